/* cli scores: `jiancha query scores`, the performance scores of spec §6 from the counter sheets a
 * store holds (its own and those rolled up from below). */
#include "calendar.h"
#include "cli.h"
#include "counter.h"
#include "err.h"
#include "mem.h"
#include "node.h"
#include "score.h"
#include "store.h"
#include "view.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double
pct(double r)
{
    return 100.0 * r;
}

int
cli_scores(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'}, {"period", required_argument, NULL, 'p'},
        {"node", required_argument, NULL, 'n'}, {"by", required_argument, NULL, 'b'},
        {"json", no_argument, NULL, 'j'},       {NULL, 0, NULL, 0},
    };
    const char *data = NULL, *period = NULL, *node = NULL, *by = "node";
    bool json = false;
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            data = optarg;
            break;
        case 'p':
            period = optarg;
            break;
        case 'n':
            node = optarg;
            break;
        case 'b':
            by = optarg;
            break;
        case 'j':
            json = true;
            break;
        default:
            return 2;
        }
    }
    int64_t first, after;
    enum score_by mode = strcmp(by, "dept") == 0       ? SCORE_BY_DEPT
                         : strcmp(by, "category") == 0 ? SCORE_BY_CATEGORY
                         : strcmp(by, "region") == 0   ? SCORE_BY_REGION
                                                       : SCORE_BY_NODE;
    /* the period: the local month [first day, first day of the next month) */
    if (!data || calendar_parse_month(period, &first, &after) != 0 ||
        (strcmp(by, "node") && strcmp(by, "dept") && strcmp(by, "category") &&
         strcmp(by, "region")) ||
        (node && node_valid(node, strlen(node)) != 0)) {
        fprintf(stderr, "usage: jiancha query scores --data DIR --period YYYY-MM [--node N] "
                        "[--by node|dept|category|region] [--json]\n");
        return 2;
    }
    store_t *st = NULL;
    int rc = cli_open_store(data, "query scores", &st);
    if (rc != 0)
        return 1;
    struct view_score_row *rows = NULL;
    size_t n = 0;
    /* --node keeps one node's groups (a region's with --by region) */
    struct view_score_row *all = NULL;
    size_t n_all = 0;
    rc = view_scores(st, first, after, mode, NULL, &all, &n_all);
    store_close(&st);
    if (rc != 0) {
        fprintf(stderr, "jiancha query scores: %s\n", err_str(rc));
        return 1;
    }
    rows = all;
    for (size_t i = 0; i < n_all; i++)
        if (!node || strncmp(all[i].key, node, 6) == 0)
            rows[n++] = all[i];
    if (!json)
        printf("%4s  %-22s %6s %6s %7s %5s %6s %8s %8s %6s  %s\n", "rank", by, "cases", "done",
               "on-time", "red", "yellow", "satisfy", "respond", "score", "grade");
    for (size_t i = 0; i < n; i++) {
        const struct view_score_row *r = &rows[i];
        if (json) {
            json_t *o = view_score_json(r, i + 1, period, mode, NULL);
            char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
            printf("%s\n", text);
            free(text);
            json_decref(o);
        } else {
            printf("%4zu  %-22s %6llu %6llu %6.1f%% %5llu %6llu %7.1f%% %7.1f%% %6.2f  %s\n", i + 1,
                   r->key, (unsigned long long)r->c.cases, (unsigned long long)r->c.concluded,
                   pct(r->r.on_time_rate), (unsigned long long)r->c.red,
                   (unsigned long long)r->c.yellow, pct(r->r.satisfaction_rate),
                   pct(r->r.response_rate), r->r.score, r->r.grade);
        }
    }
    free(rows);
    return 0;
}
