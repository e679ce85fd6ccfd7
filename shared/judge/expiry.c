/* expiry: cert.expiring, judged from a certificate's end and the node's clock. See expiry.h for
 * the lights; the alarm's state is its stored alert, nothing else. */
#include "expiry.h"

#include "alertdb.h"
#include "calendar.h"
#include "err.h"
#include "log.h"
#include "node.h"
#include "spool.h"

#include <stdio.h>
#include <string.h>

#define DAY_MS (24 * 3600 * 1000LL)

/* The alarm of the certificate c, raised at `node`. */
static void
alarm_of(struct alert *a, uint32_t node, const struct expiry_cert *c)
{
    memset(a, 0, sizeof *a);
    node_format(node, a->node);
    snprintf(a->rule, sizeof a->rule, "%s", EXPIRY_RULE);
    snprintf(a->article, sizeof a->article, "15");
    snprintf(a->subject_kind, sizeof a->subject_kind, "certificate");
    if (c->publisher)
        snprintf(a->subject, sizeof a->subject, "publisher");
    else
        node_format(c->whose, a->subject);
    alert_make_id(a);
}

int
expiry_judge(store_txn_t *t, uint32_t node, const struct expiry_cert *c, int64_t now_ms,
             struct expiry_result *res)
{
    memset(res, 0, sizeof *res);
    res->next_ms = INT64_MAX;
    struct alert a, old;
    alarm_of(&a, node, c);
    int rc = alertdb_get(t, a.id, &old);
    bool have = rc == 0;
    if (rc != 0 && rc != ERR_NOT_FOUND && rc != ERR_CORRUPT)
        return rc;
    bool open = have && (old.state == ALERT_OPEN || old.state == ALERT_RESPONDED);

    /* what the light should be, since when, and why */
    bool want_open = false;
    enum alert_light want = ALERT_YELLOW;
    int64_t since = now_ms;
    char why[ERR_WHY_MAX], end[16], whose[40], remedy[120];
    snprintf(whose, sizeof whose, c->publisher ? "the publisher" : "%s", a.subject);
    /* what to do: renew, or once the node asked by itself, approve at the province */
    if (c->asked_gen)
        snprintf(remedy, sizeof remedy, "its renewal (key generation %u) waits for approval at "
                 "the province (jiancha keys approve)", c->asked_gen);
    else
        snprintf(remedy, sizeof remedy, "renew it (%s)",
                 c->publisher ? "jiancha keys request --publisher" : "jiancha keys request");
    bool unknown = c->not_after_ms == EXPIRY_END_UNKNOWN;
    int64_t warn_ms = unknown ? 0 : c->not_after_ms - EXPIRY_WARN_DAYS * DAY_MS;
    int64_t alarm_ms = unknown ? 0 : c->not_after_ms - EXPIRY_ALARM_DAYS * DAY_MS;
    calendar_format_date(calendar_day_of(unknown ? 0 : c->not_after_ms), end);
    if (unknown) {
        want_open = true;
        snprintf(why, sizeof why, "the certificate of %s is in no certificate set held here: its "
                 "end is unknown (jiancha keys certs publish)", whose);
    } else if (c->not_after_ms && now_ms >= alarm_ms) {
        want_open = true;
        want = ALERT_RED;
        since = alarm_ms;
        snprintf(why, sizeof why,
                 now_ms >= c->not_after_ms ? "the certificate of %s ended on %s: %s"
                                           : "the certificate of %s ends on %s: %s",
                 whose, end, remedy);
    } else if (c->not_after_ms && now_ms >= warn_ms) {
        want_open = true;
        since = warn_ms;
        snprintf(why, sizeof why, "the certificate of %s ends on %s: %s", whose, end, remedy);
        res->next_ms = alarm_ms;
    } else if (c->not_after_ms) {
        res->next_ms = warn_ms;
    }
    res->open = want_open;
    res->light = want;
    if (!want_open && !open)
        return 0;
    if (have)
        a = old;
    if (!want_open) {
        a.state = ALERT_CLEARED;
        alert_log(&a, now_ms, ALERT_CLEARED_ACT, a.finding);
        log_info("expiry: cert.expiring cleared node=%s certificate=%s", a.node, a.subject);
    } else if (!open) {
        a.state = ALERT_OPEN;
        a.light = a.finding = want;
        a.raised_ms = a.finding_ms = since;
        snprintf(a.detail, sizeof a.detail, "%.*s", (int)sizeof a.detail - 1, why);
        alert_log(&a, since, ALERT_RAISED, want);
    } else if (want != old.finding || strcmp(old.detail, why) != 0) {
        /* a later certificate that still ends soon moves the date without changing the light */
        enum alert_action act = want > old.finding   ? ALERT_ESCALATED
                                : want < old.finding ? ALERT_LOWERED
                                                     : ALERT_CORRECTED;
        a.light = a.finding = want;
        a.finding_ms = since;
        snprintf(a.detail, sizeof a.detail, "%.*s", (int)sizeof a.detail - 1, why);
        alert_log(&a, act == ALERT_ESCALATED ? since : now_ms, act, want);
    } else {
        return 0;
    }
    if (want_open)
        log_warn("expiry: cert.expiring %s node=%s: %s", alert_light_name(want), a.node, why);
    rc = alertdb_record(t, node, &a);
    res->changed = rc == 0;
    return rc;
}

struct check {
    uint32_t node;
    const struct expiry_cert *certs;
    size_t n;
    int64_t now_ms;
    uint32_t seal_at;
    int64_t next_ms;
    uint64_t sealed;
};

static int
check_fn(store_txn_t *t, void *arg)
{
    struct check *c = arg;
    c->sealed = 0;
    c->next_ms = INT64_MAX;
    bool changed = false;
    for (size_t i = 0; i < c->n; i++) {
        struct expiry_result r;
        int rc = expiry_judge(t, c->node, &c->certs[i], c->now_ms, &r);
        if (rc != 0)
            return rc;
        changed |= r.changed;
        if (r.next_ms < c->next_ms)
            c->next_ms = r.next_ms;
    }
    return changed ? spool_seal(t, c->node, c->seal_at, true, c->now_ms, &c->sealed) : 0;
}

int
expiry_check(store_t *store, uint32_t node, const struct expiry_cert *certs, size_t n,
             int64_t now_ms, uint32_t seal_at, int64_t *next_ms, uint64_t *sealed)
{
    struct check c = {node, certs, n, now_ms, seal_at, INT64_MAX, 0};
    int rc = store_write(store, check_fn, &c);
    *next_ms = c.next_ms;
    *sealed = rc == 0 ? c.sealed : 0;
    return rc;
}
