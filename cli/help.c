/* help: every command of the CLI with its arguments and what it does, in one table. `jiancha
 * help`, `jiancha --help` and `--help` (or -h) after any command words print the rows those
 * words begin, on stdout. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#define ACTION_ARGS "(--data DIR | --to EP) "
#define SIGNED " [--operator N --key F]"
/* how every publishing command signs and reaches the province (cli.h) */
#define PUBLISHER                                                                                  \
    "--key PUBLISHER.secret [--cert publisher.S.jc [--chain DIR]] --to EP [--server-key CERT]"

static const struct {
    const char *words, *args, *what;
} rows[] = {
    {"keys gen", "--node ID --out DIR", "a development keypair for a node (secret 0600)"},
    {"keys request", "--node N --parent P --out DIR [--current NODE.SERIAL.cert --current-key "
                     "KEY.secret]", "a node's new key generation and its certificate request"},
    {"keys request --publisher", "--node PROVINCE --out DIR [--current publisher.S.jc "
                                 "--current-key KEY.secret]",
     "the bundle publisher's keys and their certificate request"},
    {"keys install", "--cert NODE.SERIAL.cert|publisher.S.jc --trust DIR",
     "install a node's (or the publisher's) certificate"},
    {"keys list", "--trust DIR [--soon DAYS]", "the certificates held, and those ending soon"},
    {"keys root-init", "--node PROVINCE --out DIR [--version N --prev ROOT.secret] [--years Y]",
     "the offline root (a later version is signed by the one before)"},
    {"keys issuer-init", "--root ROOT.secret --root-doc root.N.jc --out DIR [--serial S] "
                         "[--days D]", "the issuer, certified by the root"},
    {"keys issue", "--issuer ISSUER.secret --issuer-cert issuer.S.jc --request NODE.request.jc "
                   "[--current NODE.SERIAL.cert] [--serial S] [--days D] --out DIR",
     "a node certificate for a request"},
    {"keys revoke", "--trust DIR --issuer ISSUER.secret --serial S --reason superseded|compromised "
                    "[--since RFC3339]", "add a certificate to the revocation list"},
    {"keys crl publish", "--crl crl.jc " PUBLISHER, "send the revocation list down the tree"},
    {"keys certs publish", "--trust DIR [--version N] " PUBLISHER,
     "send the certificate set down the tree (after enrolling or renewing any node)"},
    {"keys pending", "--data PROVINCE-DATA [--trust DIR] [--node N]",
     "the renewals nodes asked for (unattended renewal)"},
    {"keys approve", "--data PROVINCE-DATA --node N [--gen G] --issuer ISSUER.secret "
                     "--issuer-cert issuer.S.jc --trust DIR [--days D] [" PUBLISHER "]",
     "issue the certificate a node asked for and send the set down"},
    {"keys status", "--data PROVINCE-DATA [--json]",
     "every node's key in use, certificate, transport keys, renewals, revocations"},
    {"send", "(--to EP | --data DIR) [--chunk LINES] [--timeout-ms MS] [--give-up-ms MS] "
             "[--msgpack] FILE|-", "stream JSON Lines events into a collector"},
    {"query events", "--data DIR [--node N] [--since SEQ] [--limit N] [--json]",
     "the records held, in order"},
    {"query alerts", "--data DIR [--light red|yellow] [--rule R] [--dept D] [--queue NODE] "
                     "[--open] [--calendar F] [--json]", "alerts with their answer deadlines"},
    {"query supervision", "--data DIR [--calendar F] [--json]", "supervision cases (督办)"},
    {"query scores", "--data DIR --period YYYY-MM [--node N] [--by node|dept|category|region] "
                     "[--json]", "scores and grades with the counters behind them"},
    {"query nodes", "--data DIR [--json]",
     "the tree: records, batch, lag, clock, departments' open lights, each node's own alarms "
     "(coverage, disk, cert) and the bundle versions it runs"},
    {"backup", "--data DIR --out FILE",
     "a consistent, compacted copy of a node's store, taken while its daemon runs"},
    {"restore", "--from FILE --data DIR",
     "put a backup in place; the node then takes back from its parent what it sealed since"},
    {"status", "--data DIR [--json]", "this node's store, rules pass, uplink and children"},
    {"alert respond", ACTION_ARGS "--alert ID --by WHO --action explain|correct --text T" SIGNED,
     "a department's answer to an alert"},
    {"alert close", ACTION_ARGS "--alert ID --by WHO --verdict T" SIGNED,
     "a supervisor closes an alert"},
    {"supervise open", ACTION_ARGS "--id S --target NODE[/DEPT] --subject T --by WHO "
                       "[--alert ID]" SIGNED, "a supervision case (督办): a reply within 20 wd"},
    {"supervise extend", ACTION_ARGS "--id S --days N --approver WHO" SIGNED,
     "more time, at most 10 working days in all"},
    {"supervise report", ACTION_ARGS "--id S --by WHO --text T" SIGNED, "the department's reply"},
    {"supervise close", ACTION_ARGS "--id S --by WHO --text T" SIGNED, "close a supervision case"},
    {"patrol", ACTION_ARGS "--supervisor WHO --target NODE --kind data|video|visit|sample "
               "[--findings T]" SIGNED, "log a patrol (巡查)"},
    {"followup", ACTION_ARGS "--case C --by WHO --channel CH --result T" SIGNED,
     "log a follow-up with an applicant"},
    {"sample", "--data DIR --node N --period YYYY-MM --size K --seed S --by WHO [--catalog F] "
               "[--to EP] [--dry-run] [--json]", "draw and record a reproducible spot check"},
    {"report monthly", "--data DIR --period YYYY-MM --tier-root NODE [--format md|html|csv] "
                       "[--out FILE] [--calendar F] [--regions F] [--catalog F]",
     "the monthly report (月报), in Chinese"},
    {"operator key", "--name N --node NODE --out DIR", "an operator's keypair"},
    {"operator entry", "--name N --role supervisor|department|administrator|auditor --node NODE "
                       "[--dept D] --pub FILE", "an operator's roster line"},
    {"approve", "--kind export|delete|correct --requester N ... --out FILE" SIGNED,
     "an approval, signed by the approver"},
    {"export", "--data DIR --what events|alerts|report --node N --period YYYY-MM --approval FILE "
               "--out FILE" SIGNED, "an approved export"},
    {"record delete", "--data DIR --record NODE/SEQ --reason R --approval FILE" SIGNED,
     "delete a record (province approval)"},
    {"record correct", "--data DIR --record NODE/SEQ --field F --value V --reason R --approval "
                       "FILE" SIGNED, "correct a record (province approval)"},
    {"audit verify", "--data DIR [--node N]", "check the hash-chained audit log"},
    {"web login", "--node NODE [--url http://HOST:PORT] [--operator N --key F]",
     "a sign-in link to the centre's screen (jiancha-web), valid once for 10 minutes"},
    {"bundle publish", "--kind catalog|calendar|operators --file FILE [--version N] " PUBLISHER,
     "send a signed bundle down the tree"},
    {"calendar due", "START N [wd|d] [--no-roll] [--calendar FILE]",
     "the day a limit is used up"},
    {"calendar is-workday", "DATE [--calendar FILE]", "yes (exit 0) or no (exit 1)"},
    {"catalog check", "FILE", "validate a catalogue (权力清单)"},
    {"evaluate", "--catalog FILE --calendar FILE --as-of TIME --node NODE EVENTS.jsonl",
     "run the rules over a file, print the alerts as JSON"},
    {"version", "", "the version of jiancha"},
};

/* Do the command words `words` begin with the n words of want? */
static bool
begins(const char *words, char **want, int n)
{
    const char *p = words;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(want[i]);
        if (strncmp(p, want[i], len) != 0 || (p[len] != ' ' && p[len] != '\0'))
            return false;
        p += len;
        while (*p == ' ')
            p++;
    }
    return true;
}

int
cli_help(FILE *out, char **words, int n)
{
    /* the longest run of the given words that names some command */
    while (n > 0) {
        bool any = false;
        for (size_t i = 0; i < sizeof rows / sizeof rows[0] && !any; i++)
            any = begins(rows[i].words, words, n);
        if (any)
            break;
        n--;
    }
    fprintf(out, "usage:\n");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (!begins(rows[i].words, words, n))
            continue;
        fprintf(out, "  jiancha %s%s%s\n      %s\n", rows[i].words, rows[i].args[0] ? " " : "",
                rows[i].args, rows[i].what);
    }
    if (n == 0)
        fprintf(out, "Reads (--data) open a node's store read-only; actions (--to) are signed by a "
                     "named operator (JIANCHA_OPERATOR, JIANCHA_OPERATOR_KEY). man jiancha.\n");
    return 0;
}
