/* cli alerts: `query alerts` and `query supervision`, the alerts and supervision cases as the tier
 * whose store is read sees them (board.h): each alert with the queue that handles it, the answers
 * and closings entered at any tier it reached, and the supervision case on it. */
#include "board.h"
#include "calendar.h"
#include "cli.h"
#include "err.h"
#include "store.h"
#include "timestamp.h"
#include "view.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Opens the store and loads its board with the CLI's calendar; 0, or 1 with the reason printed. */
static int
open_board(const char *what, const char *data, const char *calendar_path, struct board *b)
{
    char why[ERR_WHY_MAX];
    calendar_t *cal = NULL;
    const char *path = calendar_path ? calendar_path : cli_default_calendar();
    if (calendar_load(path, &cal, why, sizeof why) != 0) {
        fprintf(stderr, "jiancha %s: calendar %s: %s\n", what, path, why);
        return 1;
    }
    store_t *s = NULL;
    if (cli_open_store(data, what, &s) != 0) {
        calendar_destroy(&cal);
        return 1;
    }
    store_txn_t *t = NULL;
    int rc = store_read(s, &t);
    if (rc == 0)
        rc = board_load(t, cal, b);
    store_abort(&t);
    store_close(&s);
    calendar_destroy(&cal);
    if (rc != 0) {
        fprintf(stderr, "jiancha %s: %s: %s\n", what, data, err_str(rc));
        return 1;
    }
    return 0;
}

static void
print_alert_row(const struct alert *a, bool json)
{
    if (json) {
        char *text = alert_to_json(a);
        printf("%s\n", text);
        free(text);
        return;
    }
    char when[TIMESTAMP_TEXT_MAX];
    timestamp_format(a->raised_ms, when);
    /* a deadline counted on days past the calendar is a guess until a newer calendar comes */
    printf("%-19s %-6s %-9s %-18s %-6s %-8s %-20s %.19s %-6s %-10s %s%s\n", a->id,
           alert_light_name(a->light), alert_state_name(a->state), a->rule, a->node, a->dept,
           a->subject, when, board_queue_of(a), a->supervision[0] ? a->supervision : "-",
           a->provisional ? "(provisional) " : "", a->detail);
}

int
cli_alerts(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"light", required_argument, NULL, 'l'},
        {"rule", required_argument, NULL, 'r'},
        {"dept", required_argument, NULL, 'D'},
        {"queue", required_argument, NULL, 'q'},
        {"calendar", required_argument, NULL, 'c'},
        {"open", no_argument, NULL, 'o'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    const char *data = NULL, *calendar = NULL;
    struct view_alert_filter f = {0};
    bool open_only = false, json = false;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            data = optarg;
            break;
        case 'l':
            f.light = optarg;
            break;
        case 'r':
            f.rule = optarg;
            break;
        case 'D':
            f.dept = optarg;
            break;
        case 'q':
            f.queue = optarg;
            break;
        case 'c':
            calendar = optarg;
            break;
        case 'o':
            open_only = true;
            break;
        case 'j':
            json = true;
            break;
        default:
            return 2;
        }
    }
    if (open_only)
        f.state = "standing";
    char field[64], reason[192];
    if (data && view_alert_filter_check(&f, field, reason) != 0) {
        fprintf(stderr, "jiancha query alerts: --%s: %s\n", field, reason);
        return 2;
    }
    if (!data) {
        fprintf(stderr, "usage: jiancha query alerts --data DIR [--light red|yellow] [--rule R] "
                        "[--dept D] [--queue NODE] [--open] [--calendar F] [--json]\n");
        return 2;
    }
    struct board b;
    if (open_board("query alerts", data, calendar, &b) != 0)
        return 1;
    if (!json)
        printf("%-19s %-6s %-9s %-18s %-6s %-8s %-20s %-19s %-6s %-10s %s\n", "id", "light",
               "state", "rule", "node", "dept", "subject", "raised", "queue", "supervision",
               "detail");
    for (size_t i = 0; i < b.n_alerts; i++)
        if (view_alert_matches(&b.alerts[i], &f))
            print_alert_row(&b.alerts[i], json);
    board_fini(&b);
    return 0;
}

int
cli_supervision(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"calendar", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    const char *data = NULL, *calendar = NULL;
    bool json = false;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        if (ch == 'd')
            data = optarg;
        else if (ch == 'c')
            calendar = optarg;
        else if (ch == 'j')
            json = true;
        else
            return 2;
    }
    if (!data) {
        fprintf(stderr, "usage: jiancha query supervision --data DIR [--calendar F] [--json]\n");
        return 2;
    }
    struct board b;
    if (open_board("query supervision", data, calendar, &b) != 0)
        return 1;
    int64_t now = timestamp_now_ms();
    if (!json)
        printf("%-16s %-6s %-6s %-10s %-8s %-10s %-3s %-10s  %s\n", "supervision", "office",
               "target", "dept", "state", "due", "ext", "alert", "subject");
    for (size_t i = 0; i < b.n_cases; i++) {
        const struct supervision *s = &b.cases[i];
        if (json) {
            json_t *o = view_supervision_json(s, NULL, now);
            char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
            printf("%s\n", text);
            free(text);
            json_decref(o);
            continue;
        }
        char due[16];
        calendar_format_date(calendar_day_of(s->due_ms - 1), due);
        printf("%-16s %-6s %-6s %-10s %-8s %-10s %-3u %-10s  %s\n", s->id, s->node, s->target_node,
               s->target_dept[0] ? s->target_dept : "-", supervision_state(s, now), due,
               s->extended_wd, s->alert[0] ? s->alert : "-", s->subject);
    }
    board_fini(&b);
    return 0;
}
