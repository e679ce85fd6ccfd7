/* cli alerts: `query alerts` and `query supervision`, the alerts and supervision cases as the tier
 * whose store is read sees them (board.h): each alert with the queue that handles it, the answers
 * and closings entered at any tier it reached, and the supervision case on it. */
#include "board.h"
#include "calendar.h"
#include "cli.h"
#include "err.h"
#include "store.h"
#include "timestamp.h"

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

struct alert_filter {
    const char *light, *rule, *dept, *queue;
    bool open_only, json;
};

static bool
alert_matches(const struct alert *a, const struct alert_filter *f)
{
    return (!f->light || strcmp(alert_light_name(a->light), f->light) == 0) &&
           (!f->rule || strcmp(a->rule, f->rule) == 0) &&
           (!f->dept || strcmp(a->dept, f->dept) == 0) &&
           (!f->queue || strcmp(board_queue_of(a), f->queue) == 0) &&
           (!f->open_only || a->state == ALERT_OPEN || a->state == ALERT_RESPONDED);
}

static void
print_alert_row(const struct alert *a, const struct alert_filter *f)
{
    if (f->json) {
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
    struct alert_filter f = {0};
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
            f.open_only = true;
            break;
        case 'j':
            f.json = true;
            break;
        default:
            return 2;
        }
    }
    if (!data || (f.light && strcmp(f.light, "red") && strcmp(f.light, "yellow"))) {
        fprintf(stderr, "usage: jiancha query alerts --data DIR [--light red|yellow] [--rule R] "
                        "[--dept D] [--queue NODE] [--open] [--calendar F] [--json]\n");
        return 2;
    }
    struct board b;
    if (open_board("query alerts", data, calendar, &b) != 0)
        return 1;
    if (!f.json)
        printf("%-19s %-6s %-9s %-18s %-6s %-8s %-20s %-19s %-6s %-10s %s\n", "id", "light",
               "state", "rule", "node", "dept", "subject", "raised", "queue", "supervision",
               "detail");
    for (size_t i = 0; i < b.n_alerts; i++)
        if (alert_matches(&b.alerts[i], &f))
            print_alert_row(&b.alerts[i], &f);
    board_fini(&b);
    return 0;
}

static json_t *
time_or_null(int64_t ms)
{
    if (!ms)
        return json_null();
    char when[TIMESTAMP_TEXT_MAX];
    timestamp_format(ms, when);
    return json_string(when);
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
            json_t *o = json_pack(
                "{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:i,s:o,s:o,s:s}", "supervision", s->id, "office",
                s->node, "target_node", s->target_node, "target_dept", s->target_dept, "subject",
                s->subject, "state", supervision_state(s, now), "opened_at",
                time_or_null(s->opened_ms), "due", time_or_null(s->due_ms), "extended_wd",
                (json_int_t)s->extended_wd, "reported_at", time_or_null(s->reported_ms),
                "closed_at", time_or_null(s->closed_ms), "alert", s->alert);
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
