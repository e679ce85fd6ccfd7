/* board: one walk over the stored records. See board.h. */
#include "board.h"

#include "err.h"
#include "event.h"
#include "feedback.h"
#include "kept.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct action {
    char alert[EVENT_ID_MAX + 1];
    char node[NODE_LEN + 1];
    int64_t at;
    bool close, correct;
};

/* Every alert state seen, in the order seen: sorted by id and order, the last of each id wins. */
struct seen {
    struct alert a;
    size_t order;
};

struct walk {
    calendar_t *cal;
    struct board *b;
    size_t cap_patrols;
    struct seen *seen;
    size_t n_seen, cap_seen, cap_cases;
    struct action *acts;
    size_t n_acts, cap_acts;
};

static void
alert_seen(struct walk *w, const struct alert *a)
{
    if (w->n_seen == w->cap_seen) {
        w->cap_seen = w->cap_seen ? 2 * w->cap_seen : 64;
        w->seen = xrealloc(w->seen, w->cap_seen * sizeof *w->seen);
    }
    w->seen[w->n_seen].a = *a;
    w->seen[w->n_seen].order = w->n_seen;
    w->n_seen++;
}

static int
cmp_seen(const void *x, const void *y)
{
    const struct seen *p = x, *q = y;
    int c = strcmp(p->a.id, q->a.id);
    return c ? c : p->order < q->order ? -1 : p->order > q->order;
}

static struct supervision *
case_slot(struct walk *w, const char *node, const char *id)
{
    struct board *b = w->b;
    for (size_t i = 0; i < b->n_cases; i++)
        if (strcmp(b->cases[i].id, id) == 0 && strcmp(b->cases[i].node, node) == 0)
            return &b->cases[i];
    if (b->n_cases == w->cap_cases) {
        w->cap_cases = w->cap_cases ? 2 * w->cap_cases : 16;
        b->cases = xrealloc(b->cases, w->cap_cases * sizeof *b->cases);
    }
    struct supervision *s = &b->cases[b->n_cases++];
    memset(s, 0, sizeof *s);
    return s;
}

static void
take_record(struct walk *w, const wire_obj_t *m)
{
    char type[32], node[NODE_LEN + 1], id[EVENT_ID_MAX + 1];
    if (wire_obj_get_text(m, "type", type, sizeof type) != 0 ||
        wire_obj_get_text(m, "node", node, sizeof node) != 0)
        return;
    if (strcmp(type, "alert") == 0) {
        struct alert a;
        if (wire_obj_get(m, "alert") && alert_decode(wire_obj_get(m, "alert"), &a) == 0)
            alert_seen(w, &a); /* in each node's order: the last is the latest */
    } else if (strcmp(type, "alert.respond") == 0 || strcmp(type, "alert.close") == 0) {
        if (wire_obj_get_text(m, "alert", id, sizeof id) != 0)
            return;
        if (w->n_acts == w->cap_acts) {
            w->cap_acts = w->cap_acts ? 2 * w->cap_acts : 16;
            w->acts = xrealloc(w->acts, w->cap_acts * sizeof *w->acts);
        }
        struct action *x = &w->acts[w->n_acts++];
        memset(x, 0, sizeof *x);
        memcpy(x->alert, id, sizeof id);
        memcpy(x->node, node, sizeof node);
        if (wire_obj_get_int(m, "at", &x->at) != 0)
            x->at = 0;
        char action[16];
        x->close = type[6] == 'c';
        x->correct = wire_obj_get_text(m, "action", action, sizeof action) == 0 &&
                     strcmp(action, "correct") == 0;
    } else if (strcmp(type, "patrol") == 0) {
        struct board *b = w->b;
        if (b->n_patrols == w->cap_patrols) {
            w->cap_patrols = w->cap_patrols ? 2 * w->cap_patrols : 64;
            b->patrols = xrealloc(b->patrols, w->cap_patrols * sizeof *b->patrols);
        }
        struct board_patrol *p = &b->patrols[b->n_patrols];
        if (wire_obj_get_int(m, "at", &p->at_ms) == 0) {
            p->office = node_number(node);
            b->n_patrols++;
        }
    } else if (strncmp(type, "supervise.", 10) == 0 && w->cal) {
        if (wire_obj_get_text(m, "supervision", id, sizeof id) != 0)
            return;
        char field[64], reason[192];
        /* admitted at their node; a record that does not apply changes nothing here either */
        if (supervision_apply(case_slot(w, node, id), w->cal, m, field, reason) != 0)
            return;
    }
}

static int
cmp_id(const void *id, const void *a)
{
    return strcmp(id, ((const struct alert *)a)->id);
}

static struct alert *
find_alert(struct board *b, const char *id)
{
    return bsearch(id, b->alerts, b->n_alerts, sizeof *b->alerts, cmp_id);
}

/* One stored record: business events are most of a store and none of the board, so their type
 * is read in place and they are never decoded (a store without the kept index walks them all). */
static int
take_bytes(void *arg, const uint8_t *record, size_t len)
{
    struct walk *w = arg;
    const char *type;
    size_t tl;
    if (wire_map_str(record, len, "type", &type, &tl) == 0 && event_is_business(type, tl))
        return 0;
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    if (wire_decode_one(record, len, &r, &m) == 0)
        take_record(w, m);
    wire_reader_destroy(&r);
    return 0;
}

int
board_load(store_txn_t *t, calendar_t *cal, struct board *b)
{
    memset(b, 0, sizeof *b);
    struct walk w = {.cal = cal, .b = b};
    store_cursor_t *c = NULL;
    struct wire_buf v;
    wire_buf_init(&v);
    int rc = 0;
    if (kept_ready(t)) {
        /* The office's records, in the order of `events`, without walking the business events. */
        rc = kept_each(t, take_bytes, &w);
    } else {
        rc = store_cursor_open(t, STORE_EVENTS, &c);
        int crc = rc == 0 ? store_cursor_seek(c, NULL, 0, NULL, &v) : ERR_NOT_FOUND;
        while (crc == 0) {
            (void)take_bytes(&w, v.data, v.len);
            wire_buf_reset(&v);
            crc = store_cursor_next(c, NULL, &v);
        }
        store_cursor_close(&c);
    }
    /* This node's own alerts: the table holds their current state. */
    if (store_cursor_open(t, STORE_ALERTS, &c) == 0) {
        wire_buf_reset(&v);
        int crc = store_cursor_seek(c, NULL, 0, NULL, &v);
        while (crc == 0) {
            struct alert a;
            if (alert_decode_bytes(v.data, v.len, &a) == 0)
                alert_seen(&w, &a);
            wire_buf_reset(&v);
            crc = store_cursor_next(c, NULL, &v);
        }
        store_cursor_close(&c);
    }
    wire_buf_fini(&v);
    if (rc == ERR_NOT_FOUND)
        rc = 0;
    if (w.n_seen > 1)
        qsort(w.seen, w.n_seen, sizeof *w.seen, cmp_seen);
    b->alerts = xcalloc(w.n_seen ? w.n_seen : 1, sizeof *b->alerts);
    for (size_t i = 0; i < w.n_seen; i++)
        if (i + 1 == w.n_seen || strcmp(w.seen[i].a.id, w.seen[i + 1].a.id) != 0)
            b->alerts[b->n_alerts++] = w.seen[i].a;
    free(w.seen);
    /* cases whose opening this store does not hold are left out */
    size_t kept = 0;
    for (size_t i = 0; i < b->n_cases; i++)
        if (b->cases[i].id[0])
            b->cases[kept++] = b->cases[i];
    b->n_cases = kept;
    /* Answers and closings entered at another tier than the alert's own. */
    for (size_t i = 0; i < w.n_acts; i++) {
        struct alert *a = find_alert(b, w.acts[i].alert);
        if (!a || strcmp(a->node, w.acts[i].node) == 0)
            continue;
        if (w.acts[i].close)
            (void)feedback_close(a, w.acts[i].at);
        else if (cal)
            (void)feedback_respond(a, cal, w.acts[i].at, w.acts[i].correct);
        else if (a->state == ALERT_OPEN)
            a->state = ALERT_RESPONDED;
    }
    for (size_t i = 0; i < b->n_cases; i++) {
        const struct supervision *s = &b->cases[i];
        struct alert *a = s->alert[0] && !s->closed_ms ? find_alert(b, s->alert) : NULL;
        if (a)
            snprintf(a->supervision, sizeof a->supervision, "%s", s->id);
    }
    free(w.acts);
    return rc;
}

void
board_fini(struct board *b)
{
    free(b->alerts);
    free(b->cases);
    free(b->patrols);
    memset(b, 0, sizeof *b);
}

const char *
board_queue_of(const struct alert *a)
{
    return a->queue[0] ? a->queue : a->node;
}
