/* silence: one small pass over the expected children, in one write transaction when anything
 * changes. The alert ids are the same stable ids the rules use (node, rule, subject). */
#include "silence.h"

#include "alert.h"
#include "err.h"
#include "event.h"
#include "mem.h"
#include "spool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct silence {
    store_t *store;
    uint32_t self;
    uint32_t *children;
    size_t n;
    int64_t yellow_ms, red_ms, started_ms;
};

silence_t *
silence_new(store_t *store, uint32_t self, const uint32_t *children, size_t n, int64_t yellow_ms,
            int64_t red_ms, int64_t started_ms)
{
    silence_t *s = xcalloc(1, sizeof *s);
    s->store = store;
    s->self = self;
    s->children = xcalloc(n ? n : 1, sizeof *s->children);
    memcpy(s->children, children, n * sizeof *children);
    s->n = n;
    s->yellow_ms = yellow_ms;
    s->red_ms = red_ms;
    s->started_ms = started_ms;
    return s;
}

void
silence_destroy(silence_t **p)
{
    if (!*p)
        return;
    free((*p)->children);
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
        const struct alert *a = &p->due[i].a;
        struct wire_buf v, rec;
        wire_buf_init(&v);
        wire_buf_init(&rec);
        alert_encode(a, &v);
        int rc = store_put(t, STORE_ALERTS, a->id, strlen(a->id), v.data, v.len, 0);
        alert_record_encode(a, &rec); /* a->node is this aggregator */
        uint64_t seq;
        if (rc == 0)
            rc = spool_append(t, p->s->self, rec.data, rec.len, &seq);
        wire_buf_fini(&v);
        wire_buf_fini(&rec);
        if (rc != 0)
            return rc;
    }
    uint64_t sealed;
    return spool_seal(t, p->s->self, p->seal_at, true, p->now, &sealed);
}

int
silence_check(silence_t *s, const ingest_t *in, int64_t now_ms, uint32_t seal_at,
              uint64_t *changes)
{
    size_t n_nodes;
    const struct ingest_node *nodes = ingest_nodes(in, &n_nodes);
    struct pass p = {s, xcalloc(s->n ? s->n : 1, sizeof *p.due), 0, now_ms, seal_at};
    store_txn_t *t = NULL;
    int rc = store_read(s->store, &t);
    for (size_t i = 0; rc == 0 && i < s->n; i++) {
        int64_t last = s->started_ms, stuck = 0;
        uint64_t stuck_at = 0;
        for (size_t k = 0; k < n_nodes; k++) {
            if (nodes[k].node != s->children[i])
                continue;
            if (nodes[k].last_contact_ms > last)
                last = nodes[k].last_contact_ms;
            if (nodes[k].stuck_since_ms) {
                stuck = nodes[k].stuck_since_ms > s->started_ms ? nodes[k].stuck_since_ms
                                                                : s->started_ms;
                stuck_at = nodes[k].stuck_at_seq;
            }
        }
        /* A child that still talks but whose batches are refused is as silent as a quiet one. */
        bool gap = stuck && now_ms - stuck > now_ms - last;
        int64_t quiet = gap ? now_ms - stuck : now_ms - last;
        char why[sizeof ((struct alert *)0)->detail];
        char code[7];
        event_node_text(s->children[i], code);
        if (gap)
            snprintf(why, sizeof why, "child %s: batch chain stuck at batch %llu for %llds", code,
                     (unsigned long long)stuck_at, (long long)(quiet / 1000));
        else
            snprintf(why, sizeof why, "child %s silent for %llds", code,
                     (long long)(quiet / 1000));
        if (quiet < s->yellow_ms)
            continue;
        enum alert_light want = quiet >= s->red_ms ? ALERT_RED : ALERT_YELLOW;
        struct alert a = {0};
        event_node_text(s->self, a.node);
        snprintf(a.rule, sizeof a.rule, "node.silent");
        snprintf(a.article, sizeof a.article, "14");
        snprintf(a.subject_kind, sizeof a.subject_kind, "child");
        event_node_text(s->children[i], a.subject);
        alert_make_id(&a);
        struct wire_buf v;
        wire_buf_init(&v);
        struct alert old;
        int g = store_get(t, STORE_ALERTS, a.id, strlen(a.id), &v);
        bool have = g == 0 && alert_decode_bytes(v.data, v.len, &old) == 0;
        wire_buf_fini(&v);
        if (g != 0 && g != ERR_NOT_FOUND) {
            rc = g;
            break;
        }
        struct due *d = &p.due[p.n_due];
        if (!have || old.state == ALERT_CLOSED || old.state == ALERT_CLEARED) {
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
    free(p.due);
    return rc;
}
