/* silence: one small pass over the expected children, in one write transaction when anything
 * changes. The alert ids are the same stable ids the rules use (node, rule, subject). */
#include "silence.h"

#include "alertdb.h"
#include "err.h"
#include "mem.h"
#include "node.h"
#include "spool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What this aggregator last saw of a child, and when by its monotonic clock. */
struct seen {
    int64_t contact_ms, contact_mono; /* ingest's last contact (wall), when it changed */
    int64_t stuck_ms, stuck_mono;     /* ingest's stuck_since (wall), when it was seen; 0: not */
    int open;                         /* its node.silent stands: -1 not yet read, 0 no, 1 yes */
};

struct silence {
    store_t *store;
    uint32_t self;
    uint32_t *children;
    struct seen *seen;
    size_t n;
    int64_t yellow_ms, red_ms;
};

silence_t *
silence_new(store_t *store, uint32_t self, const uint32_t *children, size_t n, int64_t yellow_ms,
            int64_t red_ms, int64_t started_mono_ms)
{
    silence_t *s = xcalloc(1, sizeof *s);
    s->store = store;
    s->self = self;
    s->children = xcalloc(n ? n : 1, sizeof *s->children);
    memcpy(s->children, children, n * sizeof *children);
    s->seen = xcalloc(n ? n : 1, sizeof *s->seen);
    for (size_t i = 0; i < n; i++) {
        s->seen[i].contact_mono = started_mono_ms; /* quiet counts from this start at the most */
        s->seen[i].open = -1;
    }
    s->n = n;
    s->yellow_ms = yellow_ms;
    s->red_ms = red_ms;
    return s;
}

void
silence_destroy(silence_t **p)
{
    if (!*p)
        return;
    free((*p)->children);
    free((*p)->seen);
    free(*p);
    *p = NULL;
}

struct due {
    struct alert a;
    bool is_new;
};

struct pass {
    silence_t *s;
    struct due *due;
    size_t n_due;
    int64_t now;
    uint32_t seal_at;
};

static int
record_fn(store_txn_t *t, void *arg)
{
    struct pass *p = arg;
    for (size_t i = 0; i < p->n_due; i++) {
        int rc = alertdb_record(t, p->s->self, &p->due[i].a); /* the alert's node is this one */
        if (rc != 0)
            return rc;
    }
    uint64_t sealed;
    return spool_seal(t, p->s->self, p->seal_at, true, p->now, &sealed);
}

int
silence_check(silence_t *s, const ingest_t *in, int64_t now_ms, int64_t mono_ms,
              uint32_t seal_at, uint64_t *changes)
{
    size_t n_nodes;
    const struct ingest_node *nodes = ingest_nodes(in, &n_nodes);
    struct pass p = {s, xcalloc(s->n ? s->n : 1, sizeof *p.due), 0, now_ms, seal_at};
    store_txn_t *t = NULL;
    int rc = store_read(s->store, &t);
    for (size_t i = 0; rc == 0 && i < s->n; i++) {
        struct seen *sn = &s->seen[i];
        uint64_t stuck_at = 0;
        for (size_t k = 0; k < n_nodes; k++) {
            if (nodes[k].node != s->children[i])
                continue;
            if (nodes[k].last_contact_ms != sn->contact_ms) {
                sn->contact_ms = nodes[k].last_contact_ms;
                sn->contact_mono = mono_ms;
            }
            if (nodes[k].stuck_since_ms != sn->stuck_ms) {
                sn->stuck_ms = nodes[k].stuck_since_ms;
                sn->stuck_mono = sn->stuck_ms ? mono_ms : 0;
            }
            stuck_at = nodes[k].stuck_at_seq;
        }
        /* A child that still talks but whose batches are refused is as silent as a quiet one. */
        int64_t quiet_since = mono_ms - sn->contact_mono;
        int64_t stuck_for = sn->stuck_mono ? mono_ms - sn->stuck_mono : 0;
        bool gap = stuck_for > quiet_since;
        int64_t quiet = gap ? stuck_for : quiet_since;
        char why[sizeof ((struct alert *)0)->detail];
        char code[7];
        node_format(s->children[i], code);
        if (gap)
            snprintf(why, sizeof why, "child %s: batch chain stuck at batch %llu for %llds", code,
                     (unsigned long long)stuck_at, (long long)(quiet / 1000));
        else
            snprintf(why, sizeof why, "child %s silent for %llds", code,
                     (long long)(quiet / 1000));
        if (quiet < s->yellow_ms && sn->open == 0)
            continue;
        enum alert_light want = quiet >= s->red_ms ? ALERT_RED : ALERT_YELLOW;
        struct alert a = {0};
        node_format(s->self, a.node);
        snprintf(a.rule, sizeof a.rule, "node.silent");
        snprintf(a.article, sizeof a.article, "14");
        snprintf(a.subject_kind, sizeof a.subject_kind, "child");
        node_format(s->children[i], a.subject);
        alert_make_id(&a);
        struct alert old;
        int g = alertdb_get(t, a.id, &old);
        bool have = g == 0;
        if (g != 0 && g != ERR_NOT_FOUND && g != ERR_CORRUPT) {
            rc = g;
            break;
        }
        bool stands = have && (old.state == ALERT_OPEN || old.state == ALERT_RESPONDED);
        struct due *d = &p.due[p.n_due];
        sn->open = quiet >= s->yellow_ms || stands;
        if (quiet < s->yellow_ms) {
            /* heard again (or its chain moves again): the alarm clears by itself */
            if (stands) {
                old.state = ALERT_CLEARED;
                alert_log(&old, now_ms, ALERT_CLEARED_ACT, old.finding);
                d->a = old;
                p.n_due++;
                sn->open = 0;
            }
            continue;
        }
        if (!stands) {
            a.light = a.finding = want;
            /* raised again: its record ids go on from the old alert's, never repeat them */
            a.changes = have ? alert_changes(&old) : 0;
            a.state = ALERT_OPEN;
            a.raised_ms = now_ms;
            snprintf(a.detail, sizeof a.detail, "%s", why);
            alert_log(&a, now_ms, ALERT_RAISED, want);
            d->a = a;
            d->is_new = true;
            p.n_due++;
        } else if (want > old.light) {
            old.light = old.finding = want;
            old.finding_ms = now_ms;
            snprintf(old.detail, sizeof old.detail, "%s", why);
            alert_log(&old, now_ms, ALERT_ESCALATED, want);
            d->a = old;
            p.n_due++;
        }
    }
    store_abort(&t);
    *changes = 0;
    if (rc == 0 && p.n_due) {
        rc = store_write(s->store, record_fn, &p);
        if (rc == 0)
            *changes = p.n_due;
    }
    if (rc != 0)
        for (size_t i = 0; i < s->n; i++)
            s->seen[i].open = -1; /* not stored: read the alarms again next time */
    free(p.due);
    return rc;
}
