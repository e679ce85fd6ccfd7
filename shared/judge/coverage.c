/* coverage: calendar.coverage, judged from the calendar's end and the node's clock. See
 * coverage.h for the lights; the alarm's state is its stored alert, nothing else. */
#include "coverage.h"

#include "alertdb.h"
#include "err.h"
#include "log.h"
#include "node.h"
#include "spool.h"

#include <stdio.h>
#include <string.h>

int
coverage_judge(store_txn_t *t, uint32_t node, const calendar_t *cal, int64_t now_ms,
               bool fresh, struct coverage_result *res)
{
    memset(res, 0, sizeof *res);
    res->next_ms = INT64_MAX;
    struct alert a, old;
    alert_node_alarm(&a, node, COVERAGE_RULE);
    int rc = alertdb_get(t, a.id, &old);
    bool have = rc == 0;
    if (rc != 0 && rc != ERR_NOT_FOUND && rc != ERR_CORRUPT)
        return rc;
    bool open = have && (old.state == ALERT_OPEN || old.state == ALERT_RESPONDED);

    int64_t end_day = calendar_end_day(cal);
    int64_t end_ms = calendar_day_start_ms(end_day);
    int64_t warn_ms = calendar_day_start_ms(end_day - COVERAGE_WARN_DAYS);
    int first, last;
    calendar_years(cal, &first, &last);
    char label[CALENDAR_LABEL_MAX];
    calendar_label(cal, label);

    /* What the light should be, when it became so, and why. */
    bool want_open = true;
    enum alert_light want = ALERT_RED;
    int64_t since = now_ms;
    char why[ERR_WHY_MAX]; /* kept to the detail's size below */
    if (now_ms >= end_ms) {
        since = end_ms;
        snprintf(why, sizeof why, "%s covers %d-%d: days since %d-01-01 are guessed Monday to "
                 "Friday, deadlines on them provisional; publish the %d calendar", label, first,
                 last, last + 1, last + 1);
    } else if (now_ms >= warn_ms) {
        want = ALERT_YELLOW;
        since = warn_ms;
        snprintf(why, sizeof why, "%s covers %d-%d only and ends on %d-12-31; publish the %d "
                 "calendar before then", label, first, last, last, last + 1);
        res->next_ms = end_ms;
    } else {
        want_open = false;
        res->next_ms = warn_ms;
    }
    res->open = want_open;
    res->light = want;
    /* a change a newer calendar made names it; one the clock or the rules made does not */
    const char *cause = fresh ? label : NULL;
    if (!want_open && !open)
        return 0;
    if (have)
        a = old;
    if (!want_open) {
        a.state = ALERT_CLEARED;
        alert_log_cause(&a, now_ms, ALERT_CLEARED_ACT, a.finding, cause);
        log_info("coverage: calendar.coverage cleared node=%s: %s covers %d-%d", a.node, label,
                 first, last);
    } else if (!open) {
        a.state = ALERT_OPEN;
        a.light = a.finding = want;
        a.raised_ms = a.finding_ms = since;
        snprintf(a.detail, sizeof a.detail, "%.*s", (int)sizeof a.detail - 1, why);
        alert_log(&a, since, ALERT_RAISED, want);
    } else if (want != old.finding) {
        enum alert_action act = want > old.finding ? ALERT_ESCALATED : ALERT_LOWERED;
        a.light = a.finding = want;
        a.finding_ms = since;
        snprintf(a.detail, sizeof a.detail, "%.*s", (int)sizeof a.detail - 1, why);
        alert_log_cause(&a, act == ALERT_ESCALATED ? since : now_ms, act, want,
                        act == ALERT_ESCALATED ? NULL : cause);
    } else {
        return 0;
    }
    if (want_open)
        log_warn("coverage: calendar.coverage %s node=%s: %s", alert_light_name(want), a.node,
                 why);
    rc = alertdb_record(t, node, &a);
    res->changed = rc == 0;
    return rc;
}

struct check {
    uint32_t node;
    const calendar_t *cal;
    int64_t now_ms;
    uint32_t seal_at;
    struct coverage_result res;
    uint64_t sealed;
};

static int
check_fn(store_txn_t *t, void *arg)
{
    struct check *c = arg;
    c->sealed = 0;
    int rc = coverage_judge(t, c->node, c->cal, c->now_ms, true, &c->res);
    if (rc == 0 && c->res.changed)
        rc = spool_seal(t, c->node, c->seal_at, true, c->now_ms, &c->sealed);
    return rc;
}

int
coverage_check(store_t *store, uint32_t node, const calendar_t *cal, int64_t now_ms,
               uint32_t seal_at, struct coverage_result *res, uint64_t *sealed)
{
    struct check c = {node, cal, now_ms, seal_at, {0}, 0};
    int rc = store_write(store, check_fn, &c);
    *res = c.res;
    *sealed = rc == 0 ? c.sealed : 0;
    return rc;
}
