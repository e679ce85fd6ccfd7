/* cli: the `jiancha` command's families, one file each. Each entry point takes the arguments after
 * its family name and returns the process exit status (0 ok, 1 failure, 2 usage). */
#ifndef JIANCHA_CLI_H
#define JIANCHA_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int cli_keys(int argc, char **argv);
int cli_send(int argc, char **argv);
int cli_query(int argc, char **argv);
int cli_status(int argc, char **argv);
int cli_calendar(int argc, char **argv);
int cli_catalog(int argc, char **argv);
int cli_evaluate(int argc, char **argv);
int cli_scores(int argc, char **argv);
/* `query alerts` and `query supervision`: the board as this tier sees it (board.h). */
int cli_alerts(int argc, char **argv);
int cli_supervision(int argc, char **argv);
/* The working-day calendar the CLI counts with: $JIANCHA_CALENDAR, the installed one, or the
 * source tree's. */
const char *cli_default_calendar(void);
int cli_bundle(int argc, char **argv);
/* Supervision actions: argv[0] is alert, supervise, patrol or followup. */
int cli_action(int argc, char **argv);
/* The operator a request is signed by: --operator and --key, else $JIANCHA_OPERATOR and
 * $JIANCHA_OPERATOR_KEY; both NULL: unsigned. */
struct cli_operator {
    const char *name, *key;
};
void cli_operator_from_env(struct cli_operator *op);
/* `jiancha backup` and `jiancha restore` (argv[0] says which; cli/backup.c). */
int cli_backup(int argc, char **argv);
/* Prints the usage of the commands the words begin (every command for none) on out. */
int cli_help(FILE *out, char **words, int n);
/* 1 with the reason printed when this user may not use a local (ipc://) intake socket (ZeroMQ
 * would retry a refused connection silently for ever); else 0, a socket not there yet included
 * (a restarting daemon: the sender's timeouts decide). */
int cli_endpoint_usable(const char *endpoint, const char *what);
/* The intake endpoint of the node whose data directory this is, as its daemon recorded it
 * (DATA/intake.endpoint: the packaged services keep the socket in /run), else ipc://DATA/intake.sock;
 * malloc'd. */
char *cli_intake_endpoint(const char *data);
/* Sends one record (JSON text), signed by op if given, to a node's intake and prints its fate
 * ("stored ID") on out: 0 stored or already stored, 1 refused (field and reason printed on
 * stderr) or no answer. */
int cli_deliver(const char *endpoint, const char *body, const struct cli_operator *op,
                const char *what, const char *id, FILE *out);
/* `jiancha sample`: a reproducible spot-check sample of a node's concluded cases. */
int cli_sample(int argc, char **argv);
/* `jiancha report monthly`: the monthly report (report.h) as Markdown, HTML or CSV. */
int cli_report(int argc, char **argv);
/* Confidentiality: argv[0] is operator, approve, export, record or audit (see cli/access.c). */
int cli_access(int argc, char **argv);
/* The catalogue the CLI reads categories from: $JIANCHA_CATALOG, the installed one, or the
 * source tree's. */
const char *cli_default_catalog(void);
/* Division names for reports: $JIANCHA_REGIONS, the installed one, or the source tree's. */
const char *cli_default_regions(void);
/* Opens a daemon's store read-only (it may be running); a failure is printed, naming the
 * directory. When the node holds a roster, the read (`what`, e.g. "query alerts") is first sent
 * to the node as a request signed by the operator of $JIANCHA_OPERATOR / $JIANCHA_OPERATOR_KEY,
 * which the node judges and logs; what NULL: the caller's own request was judged already. */
struct store;
int cli_open_store(const char *dir, const char *what, struct store **s);

/* Who signs a bundle and how it reaches the aggregator `to`: the publisher's key file; its
 * certificate (publisher.S.jc), sent with the root versions after 1 and the issuers found in
 * chain_dir (default: the certificate's directory) so every node can judge it (docs/trust.md);
 * the aggregator's certificate or curve-pub for CurveZMQ. Options --key, --cert, --chain, --to,
 * --server-key; cli_publisher_option takes them from getopt_long. */
struct cli_publisher {
    const char *key, *cert, *chain_dir, *to, *server_key;
};
#define CLI_PUBLISHER_OPTIONS                                                                      \
    {"key", required_argument, NULL, 0x101}, {"cert", required_argument, NULL, 0x102},             \
        {"chain", required_argument, NULL, 0x103}, {"to", required_argument, NULL, 0x104},         \
        {"server-key", required_argument, NULL, 0x105}
#define CLI_PUBLISHER_USAGE                                                                        \
    "--key PUBLISHER.secret [--cert publisher.S.jc [--chain DIR]] --to ENDPOINT "                  \
    "[--server-key CERT|CURVE-PUB]"
bool cli_publisher_option(int ch, const char *arg, struct cli_publisher *p);

/* Signs a bundle and sends it to the aggregator: 0 when it is held there, else 1 with the reason
 * printed. */
int cli_bundle_publish(const char *kind, const void *body, size_t len, uint64_t version,
                       const struct cli_publisher *p);
/* The certificate set of a trust directory (every certificate it vouches for that has not ended)
 * published as a `certs` bundle; version 0 = now's millisecond. 0 or 1 (printed). */
int cli_certs_publish(const char *trust, uint64_t version, const struct cli_publisher *p);

/* Issuing a certificate for a request (file bytes) with an issuer's key and certificate, checked
 * against the node's current certificate for a rotation (NULL for a first one), written to `out`
 * as NODE.SERIAL.cert (publisher.SERIAL.jc); *written receives its path. 0 or 1 (printed). */
struct cert_node;
struct cli_issuer {
    const char *key, *cert; /* ISSUER.secret, issuer.S.jc */
    uint64_t serial;        /* 0: now's millisecond */
    long days;
};
int cli_issue_request(const struct cli_issuer *ci, const void *request, size_t request_len,
                      const struct cert_node *current, const char *out, char written[4096]);
/* `jiancha keys pending|approve|status` (cli/nodekeys.c); -1 when argv[1] is not one of them. */
int cli_nodekeys(int argc, char **argv);

/* `jiancha web login`: a one-use sign-in link to the centre's screen (cli/web.c). */
int cli_web(int argc, char **argv);
/* The administrator's PKI commands under `keys`; -1 when argv[1] is not one of them. */
int cli_issuer(int argc, char **argv);


#endif
