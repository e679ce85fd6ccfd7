/* cli evaluate: runs the rules engine over a JSON Lines file with a fixed clock and prints the
 * alerts as JSON Lines, so anyone can check a scenario by hand. Records that break the contract
 * are reported on stderr with their line and skipped, as a collector would refuse them. */
#include "calendar.h"
#include "catalog.h"
#include "cli.h"
#include "event.h"
#include "log.h"
#include "mem.h"
#include "rules.h"
#include "timestamp.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
print_alert(void *arg, const struct alert *a)
{
    size_t *provisional = arg;
    *provisional += a->provisional;
    char *text = alert_to_json(a);
    printf("%s\n", text);
    free(text);
}

int
cli_evaluate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"catalog", required_argument, NULL, 'c'}, {"calendar", required_argument, NULL, 'k'},
        {"as-of", required_argument, NULL, 'a'},   {"node", required_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    const char *catalog_path = NULL, *calendar_path = NULL, *as_of_text = NULL, *node = NULL;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            catalog_path = optarg;
            break;
        case 'k':
            calendar_path = optarg;
            break;
        case 'a':
            as_of_text = optarg;
            break;
        case 'n':
            node = optarg;
            break;
        default:
            return 2;
        }
    }
    if (!catalog_path || !calendar_path || !as_of_text || !node || optind != argc - 1 ||
        node_valid(node, strlen(node)) != 0) {
        fprintf(stderr, "usage: jiancha evaluate --catalog FILE --calendar FILE --as-of TIME "
                        "--node NODE EVENTS.jsonl\n");
        return 2;
    }
    int64_t as_of;
    const char *why;
    if (timestamp_parse(as_of_text, strlen(as_of_text), &as_of, &why) != 0) {
        fprintf(stderr, "jiancha evaluate: --as-of \"%s\": %s\n", as_of_text, why);
        return 2;
    }
    char err[512];
    catalog_t *cat = NULL;
    calendar_t *cal = NULL;
    if (catalog_load(catalog_path, &cat, err, sizeof err) != 0 ||
        calendar_load(calendar_path, &cal, err, sizeof err) != 0) {
        fprintf(stderr, "jiancha evaluate: %s\n", err);
        catalog_destroy(&cat);
        return 1;
    }
    FILE *in = strcmp(argv[optind], "-") == 0 ? stdin : fopen(argv[optind], "r");
    if (!in) {
        fprintf(stderr, "jiancha evaluate: cannot read %s\n", argv[optind]);
        catalog_destroy(&cat);
        calendar_destroy(&cal);
        return 1;
    }
    log_threshold = LOG_LEVEL_WARN;
    rules_t *rules = rules_new(cat, cal, node);
    struct event_set set;
    event_set_init(&set);
    char *line = NULL;
    size_t cap = 0, line_no = 0, bad = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, in)) >= 0) {
        line_no++;
        if (n == 0 || line[0] == '\n')
            continue;
        if (event_parse_message(line, (size_t)n, node, &set) != 0 || set.n_entries == 0) {
            if (set.n_rejects)
                fprintf(stderr, "line %zu: rejected: %s%s%s\n", line_no, set.rejects[0].field,
                        set.rejects[0].field[0] ? ": " : "", set.rejects[0].reason);
            bad++;
            continue;
        }
        if (rules_add(rules, set.records.data + set.entries[0].off, set.entries[0].len) != 0)
            bad++;
    }
    size_t provisional = 0;
    size_t alerts = rules_evaluate(rules, as_of, RULES_ALL, print_alert, &provisional);
    fprintf(stderr, "%zu lines, %zu rejected, %zu alerts as of %s\n", line_no, bad, alerts,
            as_of_text);
    if (provisional) {
        int first, last;
        calendar_years(cal, &first, &last);
        fprintf(stderr, "%zu alerts are provisional: the calendar covers %d-%d, and days past "
                        "%d-12-31 are counted Monday to Friday\n", provisional, first, last, last);
    }
    free(line);
    if (in != stdin)
        fclose(in);
    event_set_fini(&set);
    rules_destroy(&rules);
    catalog_destroy(&cat);
    calendar_destroy(&cal);
    return bad ? 1 : 0;
}
