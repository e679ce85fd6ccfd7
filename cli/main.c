/* jiancha: the administrators' and supervisors' command line. Dispatches to one family per file. */
#include "cli.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

static void
usage(FILE *f)
{
    fprintf(f, "usage: jiancha COMMAND ...\n"
               "  keys gen --node ID --out DIR          write a node keypair (secret 0600)\n"
               "  send [--to ENDPOINT | --data DIR] [--msgpack] FILE|-  stream JSON Lines into a collector\n"
               "  query events --data DIR [--node N] [--since SEQ] [--limit N] [--json]\n"
               "  query alerts --data DIR [--light red|yellow] [--rule R] [--dept D] [--open]\n"
               "  query scores --data DIR --period YYYY-MM [--node N] [--by node|dept|category|region]\n"
               "  query nodes --data DIR                the tree: records, batch, lag, open lights\n"
               "  alert respond|close (--data DIR | --to EP) --alert ID --by WHO ...\n"
               "                                        answer (explain/correct) or close an alert\n"
               "  supervise open|extend|report|close (--data DIR | --to EP) --id S ...\n"
               "                                        supervision cases (督办): 20 wd, at most 10 more\n"
               "  patrol (--data DIR | --to EP) --supervisor WHO --target NODE --kind K\n"
               "  followup (--data DIR | --to EP) --case C --by WHO --channel CH --result T\n"
               "  sample --data DIR --node N --period YYYY-MM --size K --seed S --by WHO\n"
               "                                        draw and record a reproducible spot-check sample\n"
               "  report monthly --data DIR --period YYYY-MM --tier-root NODE [--format md|html|csv]\n"
               "                                        the monthly report (月报), in Chinese\n"
               "  operator key|entry ...                an operator's keys and roster line\n"
               "  approve --kind export|delete|correct ... an approval, signed by the approver\n"
               "  export --data DIR --what W --node N --period P --approval F --out F\n"
               "  record delete|correct --data DIR --record NODE/SEQ ... --approval F\n"
               "  audit verify --data DIR [--node N]    check the hash-chained audit log\n"
               "  bundle publish --kind catalog|calendar|operators --file F [--version N] --key SECRET --to EP\n"
               "                                        send a signed catalogue/calendar down the tree\n"
               "  status --data DIR                     per node: batches, backlog, contact\n"
               "  calendar due START N [wd|d]           the day a limit is used up\n"
               "  calendar is-workday DATE              yes (exit 0) or no (exit 1)\n"
               "  catalog check FILE                    validate a catalogue (权力清单)\n"
               "  evaluate --catalog F --calendar F --as-of TIME --node N EVENTS.jsonl\n"
               "                                        run the rules, print alerts as JSON\n");
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    log_threshold = LOG_LEVEL_WARN;
    const char *cmd = argv[1];
    if (strcmp(cmd, "keys") == 0)
        return cli_keys(argc - 1, argv + 1);
    if (strcmp(cmd, "send") == 0)
        return cli_send(argc - 1, argv + 1);
    if (strcmp(cmd, "alert") == 0 || strcmp(cmd, "supervise") == 0 ||
        strcmp(cmd, "patrol") == 0 || strcmp(cmd, "followup") == 0)
        return cli_action(argc - 1, argv + 1);
    if (strcmp(cmd, "sample") == 0)
        return cli_sample(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return cli_report(argc - 1, argv + 1);
    if (strcmp(cmd, "operator") == 0 || strcmp(cmd, "approve") == 0 ||
        strcmp(cmd, "export") == 0 || strcmp(cmd, "record") == 0 || strcmp(cmd, "audit") == 0)
        return cli_access(argc - 1, argv + 1);
    if (strcmp(cmd, "query") == 0)
        return cli_query(argc - 1, argv + 1);
    if (strcmp(cmd, "bundle") == 0)
        return cli_bundle(argc - 1, argv + 1);
    if (strcmp(cmd, "status") == 0)
        return cli_status(argc - 1, argv + 1);
    if (strcmp(cmd, "calendar") == 0)
        return cli_calendar(argc - 1, argv + 1);
    if (strcmp(cmd, "catalog") == 0)
        return cli_catalog(argc - 1, argv + 1);
    if (strcmp(cmd, "evaluate") == 0)
        return cli_evaluate(argc - 1, argv + 1);
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("jiancha %s\n", JIANCHA_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "jiancha: unknown command \"%s\"\n", cmd);
    usage(stderr);
    return 2;
}
