/* cli renewal: the province's side of the unattended renewal (keynote.h, docs/trust.md):
 * `jiancha keys pending` lists the requests nodes sent up; `jiancha keys approve` issues the
 * certificate for one, after checking it is signed by the node's key in force, and sends the
 * certificate set down the tree, where the node switches on its own. */
#include "cert.h"
#include "cli.h"
#include "err.h"
#include "file.h"
#include "keystatus.h"
#include "mem.h"
#include "node.h"
#include "keynote.h"
#include "sign.h"
#include "store.h"
#include "timestamp.h"

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The certificate of `node` in the trust that certifies key pk, or failing pk, its newest. */
static const struct cert_node *
cert_of(const cert_trust_t *t, const char *node, const uint8_t *pk)
{
    size_t n;
    const struct cert_node *all = cert_trust_nodes(t, &n), *best = NULL;
    char why[ERR_WHY_MAX];
    for (size_t i = 0; i < n; i++) {
        if (strcmp(all[i].node, node) != 0 || cert_trust_vouches(t, &all[i], why) != 0)
            continue;
        if (pk && memcmp(all[i].sign_pk, pk, CERT_KEY_BYTES) == 0)
            return &all[i];
        if (!pk && (!best || all[i].key_gen > best->key_gen ||
                    (all[i].key_gen == best->key_gen && all[i].not_after > best->not_after)))
            best = &all[i];
    }
    return best;
}

struct listing {
    const cert_trust_t *trust; /* NULL: no status column */
    uint32_t node;             /* 0: every node */
    size_t shown, pending;
    /* approve: the request chosen (the newest generation of the node, or the one asked for) */
    uint32_t gen, picked_gen;
    char *file;
    size_t len;
};

static int
list_one(void *arg, const struct keynote_request *r)
{
    struct listing *l = arg;
    if (l->node && r->node != l->node)
        return 0;
    char code[7], at[TIMESTAMP_TEXT_MAX], fp[65], status[80] = "pending";
    node_format(r->node, code);
    timestamp_format(r->at, at);
    cert_fingerprint(r->request, r->len, fp);
    struct cert_request q;
    char why[ERR_WHY_MAX];
    if (cert_check_request(r->request, r->len, NULL, &q, why) != 0)
        snprintf(status, sizeof status, "unreadable: %.60s", why);
    const struct cert_node *c = l->trust ? cert_of(l->trust, code, q.sign_pk) : NULL;
    if (c)
        snprintf(status, sizeof status, "certified (%llu)", (unsigned long long)c->serial);
    l->pending += !c;
    printf("%-7s %4u %-29s %-20s %s\n", code, r->gen, at, status, fp);
    l->shown++;
    return 0;
}

static int
pick_one(void *arg, const struct keynote_request *r)
{
    struct listing *l = arg;
    if (r->node != l->node || (l->gen && r->gen != l->gen) || (l->file && r->gen <= l->picked_gen))
        return 0;
    free(l->file);
    l->file = xmalloc(r->len ? r->len : 1);
    memcpy(l->file, r->request, r->len);
    l->len = r->len;
    l->picked_gen = r->gen; /* a newer generation held later replaces it */
    return 0;
}

/* Reads the requests held at DATA (the province's store). */
static int
each_request(const char *data, const char *what, keynote_request_fn fn, void *arg)
{
    store_t *s = NULL;
    if (cli_open_store(data, what, &s) != 0)
        return 1;
    store_txn_t *t = NULL;
    int rc = store_read(s, &t);
    if (rc == 0)
        rc = keynote_each_request(t, fn, arg);
    store_abort(&t);
    store_close(&s);
    if (rc != 0)
        fprintf(stderr, "jiancha keys %s: cannot read the requests in %s: %s\n", what, data,
                err_str(rc));
    return rc != 0;
}

/* keys pending --data DIR [--trust DIR] [--node N] */
static int
pending(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"trust", required_argument, NULL, 't'},
        {"node", required_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    const char *data = NULL, *trust = NULL, *node = NULL;
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'd')
            data = optarg;
        else if (ch == 't')
            trust = optarg;
        else if (ch == 'n')
            node = optarg;
        else
            return 2;
    }
    if (!data || (node && node_valid(node, strlen(node)) != 0)) {
        fprintf(stderr, "usage: jiancha keys pending --data PROVINCE-DATA [--trust DIR] "
                        "[--node N]\n");
        return 2;
    }
    cert_trust_t *t = NULL;
    char why[ERR_WHY_MAX];
    if (trust && cert_trust_load(trust, &t, why, sizeof why) != 0) {
        fprintf(stderr, "jiancha keys pending: %s\n", why);
        return 1;
    }
    struct listing l = {t, node ? node_number(node) : 0, 0, 0, 0, 0, NULL, 0};
    printf("%-7s %4s %-29s %-20s %s\n", "node", "gen", "requested", "status",
           "request fingerprint (the node's log prints it)");
    int status = each_request(data, "keys pending", list_one, &l);
    if (status == 0)
        printf("%zu requests, %zu not certified%s\n", l.shown, l.pending,
               t ? "" : " (without --trust, every request counts as not certified)");
    cert_trust_destroy(&t);
    return status;
}

/* keys approve --data DIR --node N [--gen G] --issuer ISSUER.secret --issuer-cert issuer.S.jc
 *              --trust DIR [--days D] [--serial S] [publisher options: the set goes down] */
static int
approve(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},    {"node", required_argument, NULL, 'n'},
        {"gen", required_argument, NULL, 'g'},     {"issuer", required_argument, NULL, 'i'},
        {"issuer-cert", required_argument, NULL, 'c'}, {"trust", required_argument, NULL, 't'},
        {"days", required_argument, NULL, 'D'},    {"serial", required_argument, NULL, 's'},
        CLI_PUBLISHER_OPTIONS,                     {NULL, 0, NULL, 0},
    };
    const char *data = NULL, *node = NULL, *trust = NULL;
    struct cli_issuer ci = {NULL, NULL, 0, 395};
    struct cli_publisher pub = {0};
    unsigned long gen = 0;
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            data = optarg;
            break;
        case 'n':
            node = optarg;
            break;
        case 'g':
            gen = strtoul(optarg, NULL, 10);
            break;
        case 'i':
            ci.key = optarg;
            break;
        case 'c':
            ci.cert = optarg;
            break;
        case 't':
            trust = optarg;
            break;
        case 'D':
            ci.days = strtol(optarg, NULL, 10);
            break;
        case 's':
            ci.serial = strtoull(optarg, NULL, 10);
            break;
        default:
            if (!cli_publisher_option(ch, optarg, &pub))
                return 2;
        }
    }
    if (!data || !node || node_valid(node, strlen(node)) != 0 || !ci.key || !ci.cert ||
        !trust || ci.days < 1 || (pub.to && !pub.key) || gen > UINT32_MAX) {
        fprintf(stderr, "usage: jiancha keys approve --data PROVINCE-DATA --node N [--gen G] "
                        "--issuer ISSUER.secret --issuer-cert issuer.S.jc --trust DIR [--days D] "
                        "[--serial S] [" CLI_PUBLISHER_USAGE "]\n"
                        "  (with --to, the certificate set of DIR goes down the tree at once)\n");
        return 2;
    }
    struct listing l = {NULL, node_number(node), 0, 0, (uint32_t)gen, 0, NULL, 0};
    if (each_request(data, "keys approve", pick_one, &l) != 0)
        return 1;
    if (!l.file) {
        fprintf(stderr, "jiancha keys approve: %s has asked for no certificate%s (jiancha keys "
                        "pending)\n", node, gen ? " of that generation" : "");
        return 1;
    }
    /* the request must be signed by the key the node runs now: it proves the request is the
     * node's own, as a rotation request made on the node does */
    cert_trust_t *t = NULL;
    char why[ERR_WHY_MAX];
    int status = 1;
    if (cert_trust_load(trust, &t, why, sizeof why) != 0) {
        fprintf(stderr, "jiancha keys approve: %s\n", why);
    } else {
        const struct cert_node *current = cert_of(t, node, NULL);
        char written[4096];
        if (!current)
            fprintf(stderr, "jiancha keys approve: %s has no certificate in %s to renew\n", node,
                    trust);
        else if (cli_issue_request(&ci, l.file, l.len, current, trust, written) == 0)
            status = pub.to ? cli_certs_publish(trust, 0, &pub) : 0;
        if (status == 0 && !pub.to)
            printf("send it down the tree: jiancha keys certs publish --trust %s ...\n", trust);
    }
    cert_trust_destroy(&t);
    free(l.file);
    return status;
}

/* keys status --data DIR [--json] */
static int
status(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    const char *data = NULL;
    bool json = false;
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'd')
            data = optarg;
        else if (ch == 'j')
            json = true;
        else
            return 2;
    }
    if (!data) {
        fprintf(stderr, "usage: jiancha keys status --data PROVINCE-DATA [--json]\n");
        return 2;
    }
    store_t *s = NULL;
    if (cli_open_store(data, "keys status", &s) != 0)
        return 1;
    store_txn_t *t = NULL;
    struct keystatus ks;
    int rc = store_read(s, &t);
    if (rc == 0)
        rc = keystatus_read(t, &ks);
    store_abort(&t);
    store_close(&s);
    if (rc != 0) {
        fprintf(stderr, "jiancha keys status: cannot read %s: %s\n", data, err_str(rc));
        return 1;
    }
    if (json) {
        json_t *o = keystatus_json(&ks);
        char *text = json_dumps(o, JSON_COMPACT);
        printf("%s\n", text);
        free(text);
        json_decref(o);
        keystatus_fini(&ks);
        return 0;
    }
    printf("certificate set %llu; revocation list %llu (%zu revoked)\n",
           (unsigned long long)ks.certs_version, (unsigned long long)ks.crl_version,
           ks.crl_entries);
    printf("%-7s %-16s %4s %-20s %-10s %6s %6s %6s %7s %s\n", "node", "key in use", "gen",
           "certificate", "until", "newest", "serves", "parent", "pending", "revoked");
    for (size_t i = 0; i < ks.n; i++) {
        const struct keystatus_row *r = &ks.rows[i];
        char code[7], until[TIMESTAMP_TEXT_MAX] = "-", gen[12] = "-", serves[12] = "-",
                      parent[12] = "-", pend[12] = "-", serial[24] = "-";
        node_format(r->node, code);
        if (r->not_after)
            timestamp_format(r->not_after, until);
        if (r->key_gen)
            snprintf(gen, sizeof gen, "%u", r->key_gen);
        if (r->serial)
            snprintf(serial, sizeof serial, "%llu", (unsigned long long)r->serial);
        if (r->serves_gen)
            snprintf(serves, sizeof serves, "g%u", r->serves_gen);
        if (r->parent_serves_gen)
            snprintf(parent, sizeof parent, "g%u", r->parent_serves_gen);
        if (r->pending_gen)
            snprintf(pend, sizeof pend, "g%u", r->pending_gen);
        printf("%-7s %-16s %4s %-20s %.10s %6u %6s %6s %7s %s\n", code,
               r->key_id[0] ? r->key_id : "-", gen, serial, until, r->newest_gen, serves, parent,
               pend, r->revoked[0] ? r->revoked : "-");
    }
    keystatus_fini(&ks);
    return 0;
}

int
cli_nodekeys(int argc, char **argv)
{
    if (strcmp(argv[1], "status") == 0)
        return status(argc, argv);
    if (strcmp(argv[1], "pending") == 0)
        return pending(argc, argv);
    if (strcmp(argv[1], "approve") == 0)
        return approve(argc, argv);
    return -1;
}
