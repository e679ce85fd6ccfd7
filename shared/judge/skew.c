/* skew: see skew.h. The alarm's state is read back from the store at start, so a restart neither
 * raises it twice nor forgets to clear it. */
#include "skew.h"

#include "alertdb.h"
#include "err.h"
#include "log.h"
#include "mem.h"
#include "node.h"
#include "spool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct skew {
    store_t *store;
    uint32_t node;
    int64_t bound_ms;
    bool heard;
    int64_t parent_wall_ms, own_wall_ms, mono_ms;
    int64_t beyond_mono_ms; /* the PING since which every measure passed the bound; -1: none */
    int raised; /* -1 unknown until read from the store, 0 no open alarm, 1 open */
};

skew_t *
skew_new(store_t *store, uint32_t node, int64_t bound_ms)
{
    skew_t *s = xcalloc(1, sizeof *s);
    s->store = store;
    s->node = node;
    s->bound_ms = bound_ms > 0 ? bound_ms : SKEW_BOUND_MS_DEFAULT;
    s->raised = -1;
    s->beyond_mono_ms = -1;
    return s;
}

void
skew_destroy(skew_t **p)
{
    free(*p);
    *p = NULL;
}

void
skew_note_parent(skew_t *s, int64_t parent_wall_ms, int64_t own_wall_ms, int64_t mono_ms)
{
    if (s->heard && mono_ms == s->mono_ms)
        return; /* the same PING, noted again */
    s->heard = true;
    int64_t off = own_wall_ms - parent_wall_ms;
    if (llabs(off) <= s->bound_ms)
        s->beyond_mono_ms = -1;
    else if (s->beyond_mono_ms < 0)
        s->beyond_mono_ms = mono_ms;
    s->parent_wall_ms = parent_wall_ms;
    s->own_wall_ms = own_wall_ms;
    s->mono_ms = mono_ms;
}

bool
skew_offset(const skew_t *s, int64_t *offset_ms)
{
    if (!s->heard)
        return false;
    *offset_ms = s->own_wall_ms - s->parent_wall_ms;
    return true;
}

int64_t
skew_judging_ms(const skew_t *s, int64_t wall_ms, int64_t mono_ms)
{
    if (!s->heard)
        return wall_ms;
    /* the parent's clock carried forward on the monotonic one: right however this one is set */
    int64_t parent_now = s->parent_wall_ms + (mono_ms - s->mono_ms);
    return wall_ms - parent_now > s->bound_ms ? parent_now : wall_ms;
}

struct check {
    skew_t *s;
    bool disagree;
    int64_t offset_ms, now_ms;
    uint32_t seal_at;
    uint64_t sealed;
    bool changed;
};

static int
check_fn(store_txn_t *t, void *arg)
{
    struct check *c = arg;
    struct alert a, old;
    alert_node_alarm(&a, c->s->node, "node.clock");
    int rc = alertdb_get(t, a.id, &old);
    bool have = rc == 0;
    if (rc != 0 && rc != ERR_NOT_FOUND && rc != ERR_CORRUPT)
        return rc;
    bool open = have && (old.state == ALERT_OPEN || old.state == ALERT_RESPONDED);
    c->s->raised = open;
    if (open == c->disagree)
        return 0;
    if (have)
        a = old;
    char why[ERR_WHY_MAX];
    if (c->disagree) {
        snprintf(why, sizeof why, "the node's clock is %lld s %s its parent's (bound %lld s)",
                 (long long)llabs(c->offset_ms / 1000), c->offset_ms > 0 ? "ahead of" : "behind",
                 (long long)(c->s->bound_ms / 1000));
        a.light = a.finding = ALERT_RED;
        a.state = ALERT_OPEN;
        a.raised_ms = a.finding_ms = c->now_ms;
        snprintf(a.detail, sizeof a.detail, "%.*s", (int)sizeof a.detail - 1, why);
        alert_log(&a, c->now_ms, ALERT_RAISED, ALERT_RED);
        log_error("skew: node.clock raised node=%s offset_ms=%lld: %s", a.node,
                  (long long)c->offset_ms, why);
    } else {
        a.state = ALERT_CLEARED;
        alert_log(&a, c->now_ms, ALERT_CLEARED_ACT, a.finding);
        log_info("skew: node.clock cleared node=%s offset_ms=%lld", a.node,
                 (long long)c->offset_ms);
    }
    rc = alertdb_record(t, c->s->node, &a);
    if (rc == 0)
        rc = spool_seal(t, c->s->node, c->seal_at, true, c->now_ms, &c->sealed);
    c->changed = rc == 0;
    return rc;
}

int
skew_check(skew_t *s, int64_t wall_ms, uint32_t seal_at, uint64_t *sealed)
{
    *sealed = 0;
    int64_t off = 0;
    bool known = skew_offset(s, &off);
    /* Confirmed by PINGs over SKEW_CONFIRM_MS: a clock stepped at the parent, or read just across
     * a step, is not a disagreement; a clock that is wrong stays wrong. */
    bool disagree = known && s->beyond_mono_ms >= 0 &&
                    s->mono_ms - s->beyond_mono_ms >= SKEW_CONFIRM_MS;
    /* Unheard parent, or a disagreement not yet confirmed: the alarm stands as it is. */
    if (!known || (!disagree && s->beyond_mono_ms >= 0) ||
        (s->raised >= 0 && (s->raised == 1) == disagree))
        return 0;
    /* The alarm's times are the parent's clock: this node's is the one in doubt. */
    struct check c = {s, disagree, off, wall_ms - off, seal_at, 0, false};
    int rc = store_write(s->store, check_fn, &c);
    if (rc == 0) {
        s->raised = disagree;
        *sealed = c.sealed;
    }
    return rc;
}
