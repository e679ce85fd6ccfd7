/* counter: day sheets of the performance counters. Keys of the days and counters tables are
 * documented in store.h; the sheet record is documented in docs/protocol.md. */
#include "counter.h"

#include "alertdb.h"
#include "err.h"
#include "event.h"
#include "feedback.h"
#include "mem.h"
#include "spool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STOP 1 /* a walk's callback found what it wanted (errors are negative) */

/* ---- small readers over a decoded record ---- */

static bool
str_is(const wire_obj_t *m, const char *key, const char *want)
{
    const char *p;
    size_t l;
    return wire_obj_get_bytes(m, key, WIRE_STR, &p, &l) == 0 && l == strlen(want) &&
           memcmp(p, want, l) == 0;
}

/* A string field, "" when absent or too long. */
static void
str_copy(const wire_obj_t *m, const char *key, char *out, size_t cap)
{
    if (wire_obj_get_text(m, key, out, cap) != 0)
        out[0] = '\0';
}

/* An integer field; *ok turns false when it is absent or not an integer. */
static int64_t
int_of(const wire_obj_t *m, const char *key, bool *ok)
{
    int64_t v = 0;
    if (wire_obj_get_int(m, key, &v) != 0 && ok)
        *ok = false;
    return v;
}

/* ---- keys of the days table ---- */

/* tag + node + day: the head of every key of the days table (store.h) */
#define DAY_KEY_LEN 9
/* the longest tail of an item: a record's seq or an alert's id */
#define ITEM_TAIL_MAX ALERT_ID_LEN
/* a pending item's key: 'i' + node + day + the item's tag + its tail */
#define PENDING_KEY_MAX (DAY_KEY_LEN + 1 + ITEM_TAIL_MAX)

static size_t
day_key(uint8_t *out, char tag, uint32_t node, int64_t day)
{
    out[0] = (uint8_t)tag;
    store_be32(out + 1, node);
    store_be32(out + 5, (uint32_t)day);
    return DAY_KEY_LEN;
}

/* Notes an item of a day ('r' + record seq, or 'a' + alert id) to be counted again; a record's
 * note holds its facts (below), an alert's nothing. */
static int
note_item(store_txn_t *t, char tag, uint32_t node, int64_t day, const void *tail, size_t tl,
          const void *facts, size_t fl)
{
    uint8_t k[PENDING_KEY_MAX];
    if (tl > ITEM_TAIL_MAX)
        return 0; /* not an item of ours */
    day_key(k, 'i', node, day);
    k[DAY_KEY_LEN] = (uint8_t)tag;
    memcpy(k + DAY_KEY_LEN + 1, tail, tl);
    return store_put(t, STORE_DAYS, k, DAY_KEY_LEN + 1 + tl, fl ? facts : "", fl, 0);
}

/* Files an item under its day, keeping what it already adds if it is filed there, and notes it. */
static int
file_item(store_txn_t *t, char tag, uint32_t node, int64_t day, const void *tail, size_t tl,
          const void *facts, size_t fl)
{
    uint8_t k[PENDING_KEY_MAX];
    if (tl > ITEM_TAIL_MAX)
        return 0;
    day_key(k, tag, node, day);
    memcpy(k + DAY_KEY_LEN, tail, tl);
    int rc = store_put(t, STORE_DAYS, k, DAY_KEY_LEN + tl, "", 0, STORE_NOOVERWRITE);
    if (rc == ERR_EXISTS)
        rc = 0;
    return rc ? rc : note_item(t, tag, node, day, tail, tl, facts, fl);
}

/* ---- what a counted record says ----
 *
 * The fields of a counted record that its count reads. A record never changes, so the note that
 * has it counted again carries them ('i' value, store.h) and the count reads the note, not the
 * record: a get and a decode per item were most of a refresh. A note without them (from before,
 * or a day counted whole) has the record read. */
enum fact_type { FACT_OTHER, FACT_ACCEPT, FACT_DECISION, FACT_RATING, FACT_COMPLAINT };

struct facts {
    enum fact_type type;
    bool rating_ok; /* a rating: its value is an integer */
    int64_t rating;
    char ref[EVENT_ID_MAX + 1]; /* the case, or an opened complaint's dept; "" if absent */
};

/* 'F', type, rating_ok, rating (i64 BE), ref */
#define FACTS_HEAD 11
#define FACTS_MAX (FACTS_HEAD + EVENT_ID_MAX)

static void
facts_of(const wire_obj_t *m, struct facts *f)
{
    memset(f, 0, sizeof *f);
    const char *t;
    size_t tl;
    if (wire_obj_get_bytes(m, "type", WIRE_STR, &t, &tl) != 0)
        tl = 0; /* absent or not text: other */
#define TYPE_IS(name) (tl == sizeof name - 1 && memcmp(t, name, tl) == 0)
    f->type = TYPE_IS("case.accept")      ? FACT_ACCEPT
              : TYPE_IS("case.decision")  ? FACT_DECISION
              : TYPE_IS("rating")         ? FACT_RATING
              : TYPE_IS("complaint.open") ? FACT_COMPLAINT
                                          : FACT_OTHER;
#undef TYPE_IS
    str_copy(m, f->type == FACT_COMPLAINT ? "dept" : "case", f->ref, sizeof f->ref);
    if (f->type == FACT_RATING) {
        f->rating_ok = true;
        f->rating = int_of(m, "rating", &f->rating_ok);
    }
}

static size_t
facts_encode(const struct facts *f, uint8_t out[FACTS_MAX])
{
    size_t rl = strlen(f->ref);
    out[0] = 'F';
    out[1] = (uint8_t)f->type;
    out[2] = f->rating_ok;
    store_be64(out + 3, (uint64_t)f->rating);
    memcpy(out + FACTS_HEAD, f->ref, rl);
    return FACTS_HEAD + rl;
}

/* false when the note holds no facts */
static bool
facts_decode(const uint8_t *v, size_t len, struct facts *f)
{
    if (len < FACTS_HEAD || len > FACTS_MAX || v[0] != 'F' || v[1] > FACT_COMPLAINT || v[2] > 1)
        return false;
    memset(f, 0, sizeof *f);
    f->type = (enum fact_type)v[1];
    f->rating_ok = v[2];
    f->rating = (int64_t)store_from_be64(v + 3);
    memcpy(f->ref, v + FACTS_HEAD, len - FACTS_HEAD);
    return true;
}

/* Notes record `seq_be` of a day with its facts. */
static int
note_record(store_txn_t *t, uint32_t node, int64_t day, const uint8_t seq_be[8],
            const struct facts *f)
{
    uint8_t v[FACTS_MAX];
    return note_item(t, 'r', node, day, seq_be, 8, v, facts_encode(f, v));
}

/* ---- a case's records ---- */

typedef int (*record_fn)(void *arg, const uint8_t seq_be[8], const wire_obj_t *record);

/* Calls fn with the node's record `seq_be` decoded (a missing or undecodable record is skipped);
 * v is scratch space. */
static int
with_record(store_txn_t *t, uint32_t node, const uint8_t seq_be[8], struct wire_buf *v,
            record_fn fn, void *arg)
{
    uint8_t rk[12];
    store_be32(rk, node);
    memcpy(rk + 4, seq_be, 8);
    wire_buf_reset(v);
    int rc = store_get(t, STORE_EVENTS, rk, 12, v);
    if (rc != 0)
        return rc == ERR_NOT_FOUND ? 0 : rc;
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    if (wire_decode_one(v->data, v->len, &r, &m) == 0 && wire_obj_type(m) == WIRE_MAP)
        rc = fn(arg, seq_be, m);
    wire_reader_destroy(&r);
    return rc;
}

/* Calls fn with each record of a case held in the subjects index ('c' + case + NUL + seq). */
static int
each_case_record(store_txn_t *t, uint32_t node, const char *case_id, record_fn fn, void *arg)
{
    uint8_t prefix[80];
    size_t cl = strlen(case_id);
    if (cl > 64)
        return 0;
    prefix[0] = 'c';
    memcpy(prefix + 1, case_id, cl);
    prefix[1 + cl] = 0;
    size_t plen = cl + 2;
    store_cursor_t *c = NULL;
    int rc = store_cursor_open(t, STORE_SUBJECTS, &c);
    if (rc != 0)
        return rc;
    struct wire_buf k, v;
    wire_buf_init(&k);
    wire_buf_init(&v);
    int crc = store_cursor_seek(c, prefix, plen, &k, NULL);
    while (rc == 0 && crc == 0 && k.len == plen + 8 && memcmp(k.data, prefix, plen) == 0) {
        rc = with_record(t, node, k.data + plen, &v, fn, arg);
        wire_buf_reset(&k);
        crc = store_cursor_next(c, &k, NULL);
    }
    wire_buf_fini(&k);
    wire_buf_fini(&v);
    store_cursor_close(&c);
    return rc == STOP ? 0 : rc;
}

/* ---- a case's acceptance ---- */

/* A case accepted twice is judged by its earliest acceptance by `at`, the first stored among
 * equals (rules.c); only that one counts the case and places its decisions, ratings and lights.
 * It is kept under 'p' + node + case -> at (u64 BE) + seq (u64 BE) + dept + NUL + item, so
 * placing a case is one get; a store from before the key finds it by walking the case. */
struct acceptance {
    bool held;
    int64_t at;
    uint64_t seq;
    char dept[EVENT_ID_MAX + 1];
    char item[EVENT_ID_MAX + 1];
};

/* Whether (at, seq) comes before the acceptance `a` holds (any does when it holds none). */
static bool
acceptance_before(const struct acceptance *a, int64_t at, uint64_t seq)
{
    return !a->held || at < a->at || (at == a->at && seq < a->seq);
}

/* Takes record `seq` if it is an acceptance before the one `a` holds. */
static void
acceptance_consider(struct acceptance *a, uint64_t seq, const wire_obj_t *m)
{
    bool ok = true;
    int64_t at = int_of(m, "at", &ok);
    if (!ok || !str_is(m, "type", "case.accept") || !acceptance_before(a, at, seq))
        return;
    a->held = true;
    a->at = at;
    a->seq = seq;
    str_copy(m, "dept", a->dept, sizeof a->dept);
    str_copy(m, "item", a->item, sizeof a->item);
}

static size_t
acceptance_key(uint8_t *k, uint32_t node, const char *case_id)
{
    size_t cl = strnlen(case_id, EVENT_ID_MAX);
    k[0] = 'p';
    store_be32(k + 1, node);
    memcpy(k + 5, case_id, cl);
    return 5 + cl;
}

static int
acceptance_save(store_txn_t *t, uint32_t node, const char *case_id, const struct acceptance *a)
{
    uint8_t k[5 + EVENT_ID_MAX], v[16 + 2 * (EVENT_ID_MAX + 1)];
    size_t kl = acceptance_key(k, node, case_id);
    store_be64(v, (uint64_t)a->at);
    store_be64(v + 8, a->seq);
    size_t dl = strlen(a->dept) + 1, il = strlen(a->item);
    memcpy(v + 16, a->dept, dl);
    memcpy(v + 16 + dl, a->item, il);
    return store_put(t, STORE_DAYS, k, kl, v, 16 + dl + il, 0);
}

static int
acceptance_one(void *arg, const uint8_t seq_be[8], const wire_obj_t *m)
{
    acceptance_consider(arg, store_from_be64(seq_be), m);
    return 0;
}

/* The acceptance kept under the case's key (a->held false when there is none). */
static int
acceptance_read(store_txn_t *t, uint32_t node, const char *case_id, struct acceptance *a)
{
    memset(a, 0, sizeof *a);
    uint8_t k[5 + EVENT_ID_MAX];
    size_t kl = acceptance_key(k, node, case_id);
    struct wire_buf v;
    wire_buf_init(&v);
    int rc = store_get(t, STORE_DAYS, k, kl, &v);
    if (rc == 0) {
        const uint8_t *dept = v.data + 16, *end = v.data + v.len;
        const uint8_t *nul = v.len > 16 ? memchr(dept, 0, (size_t)(end - dept)) : NULL;
        size_t dl = nul ? (size_t)(nul - dept) : 0, il = nul ? (size_t)(end - nul - 1) : 0;
        if (nul && dl <= EVENT_ID_MAX && il <= EVENT_ID_MAX) {
            a->held = true;
            a->at = (int64_t)store_from_be64(v.data);
            a->seq = store_from_be64(v.data + 8);
            memcpy(a->dept, dept, dl);
            memcpy(a->item, nul + 1, il);
        }
    }
    wire_buf_fini(&v);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

/* The acceptance that counts for a case, held or not (a->held). */
static int
acceptance_find(store_txn_t *t, uint32_t node, const char *case_id, struct acceptance *a)
{
    int rc = acceptance_read(t, node, case_id, a);
    if (rc == 0 && !a->held)
        rc = each_case_record(t, node, case_id, acceptance_one, a);
    return rc;
}

/* ---- noting what changed ---- */

struct dirty_ctx {
    store_txn_t *t;
    uint32_t node;
    bool decisions, ratings, accepts;
    struct acceptance earliest; /* with accepts: the earliest acceptance walked */
};

static int
dirty_one(void *arg, const uint8_t seq_be[8], const wire_obj_t *m)
{
    struct dirty_ctx *d = arg;
    if (d->accepts)
        acceptance_consider(&d->earliest, store_from_be64(seq_be), m);
    struct facts f;
    facts_of(m, &f);
    if ((d->decisions && f.type == FACT_DECISION) || (d->ratings && f.type == FACT_RATING) ||
        (d->accepts && f.type == FACT_ACCEPT)) {
        bool ok = true;
        int64_t at = int_of(m, "at", &ok);
        if (ok)
            return note_record(d->t, d->node, calendar_day_of(at), seq_be, &f);
    }
    return 0;
}

int
counter_index_record(store_txn_t *t, uint32_t node, uint64_t seq, const wire_obj_t *m)
{
    if (wire_obj_type(m) != WIRE_MAP)
        return 0;
    struct facts f;
    facts_of(m, &f);
    bool ok = true;
    int64_t at = int_of(m, "at", &ok);
    if (f.type == FACT_OTHER || !ok)
        return 0;
    uint8_t seq_be[8], facts[FACTS_MAX];
    store_be64(seq_be, seq);
    int rc = file_item(t, 'r', node, calendar_day_of(at), seq_be, sizeof seq_be, facts,
                       facts_encode(&f, facts));
    /* A case's dept and category come from its acceptance: when that arrives after the decision
     * or a rating (events may come out of order), they are counted again. The case's lights need
     * its acceptance (rules.c), so none is counted before it. */
    if (rc == 0 && f.type == FACT_ACCEPT) {
        const char *case_id = f.ref;
        /* Its other acceptances are counted again too: the one that counted before no longer
         * does, and a store from before the key counted each of them. The same walk finds the
         * earliest of them for a case with no key yet. */
        struct dirty_ctx d = {t, node, true, true, true, {0}};
        struct acceptance was;
        rc = each_case_record(t, node, case_id, dirty_one, &d);
        if (rc == 0)
            rc = acceptance_read(t, node, case_id, &was);
        if (rc == 0 && !was.held)
            was = d.earliest;
        if (rc == 0 && acceptance_before(&was, at, seq)) {
            struct acceptance now = {0};
            acceptance_consider(&now, seq, m);
            rc = acceptance_save(t, node, case_id, &now);
        }
    }
    return rc;
}

int
counter_note_alert(store_txn_t *t, uint32_t node, const struct alert *a, int64_t prev_raised_ms)
{
    int64_t day = calendar_day_of(a->raised_ms);
    size_t il = strlen(a->id);
    int rc = 0;
    /* A late event moved its raising: what it added to its old day is taken away there. */
    if (prev_raised_ms && calendar_day_of(prev_raised_ms) != day)
        rc = note_item(t, 'a', node, calendar_day_of(prev_raised_ms), a->id, il, NULL, 0);
    if (rc == 0)
        rc = file_item(t, 'a', node, day, a->id, il, NULL, 0);
    if (rc == 0 && strcmp(a->rule, "limit.case") == 0 && strcmp(a->subject_kind, "case") == 0) {
        struct dirty_ctx d = {t, node, true, false, false, {0}};
        rc = each_case_record(t, node, a->subject, dirty_one, &d);
    }
    return rc;
}

/* ---- what one record or alert adds to its day ---- */

/* One counted record's or alert's share of its day's sheet: one row's counts, or nothing. It is
 * kept as the value of the item's key, so a change takes away exactly what was added before. */
struct part {
    bool any;
    char dept[EVENT_ID_MAX + 1];
    char category[16];
    struct score_counters c;
};

/* A row is dept, category and these counts, in this order; sheets from before `escalated` was
 * counted have COUNTER_FIELDS_V1 counts and read it as 0. */
#define COUNTER_FIELDS 11
#define COUNTER_FIELDS_V1 10

static void
counters_to_array(const struct score_counters *c, uint64_t out[COUNTER_FIELDS])
{
    uint64_t v[COUNTER_FIELDS] = {c->cases,        c->concluded,         c->on_time, c->red,
                                  c->yellow,       c->response_due,      c->responded_in_time,
                                  c->ratings,      c->ratings_good,      c->complaints,
                                  c->escalated};
    memcpy(out, v, sizeof v);
}

static void
counters_from_array(const uint64_t v[COUNTER_FIELDS], struct score_counters *c)
{
    *c = (struct score_counters){.cases = v[0],
                                 .concluded = v[1],
                                 .on_time = v[2],
                                 .red = v[3],
                                 .yellow = v[4],
                                 .response_due = v[5],
                                 .responded_in_time = v[6],
                                 .ratings = v[7],
                                 .ratings_good = v[8],
                                 .complaints = v[9],
                                 .escalated = v[10]};
}

static void
counters_add_array(struct score_counters *c, const uint64_t v[COUNTER_FIELDS])
{
    c->cases += v[0];
    c->concluded += v[1];
    c->on_time += v[2];
    c->red += v[3];
    c->yellow += v[4];
    c->response_due += v[5];
    c->responded_in_time += v[6];
    c->ratings += v[7];
    c->ratings_good += v[8];
    c->complaints += v[9];
    c->escalated += v[10];
}

static void
part_set(struct part *p, const char *dept, const char *category)
{
    p->any = true;
    snprintf(p->dept, sizeof p->dept, "%s", dept);
    snprintf(p->category, sizeof p->category, "%s", category);
}

/* Empty when the part adds nothing. */
static void
part_encode(const struct part *p, struct wire_buf *out)
{
    if (!p->any)
        return;
    uint64_t v[COUNTER_FIELDS];
    counters_to_array(&p->c, v);
    wire_put_array(out, 2 + COUNTER_FIELDS);
    wire_put_cstr(out, p->dept);
    wire_put_cstr(out, p->category);
    for (int f = 0; f < COUNTER_FIELDS; f++)
        wire_put_uint(out, v[f]);
}

static int
part_decode(const uint8_t *data, size_t len, struct part *p)
{
    memset(p, 0, sizeof *p);
    if (len == 0)
        return 0;
    wire_reader_t *r = NULL;
    const wire_obj_t *row;
    int rc = ERR_CORRUPT;
    if (wire_decode_one(data, len, &r, &row) == 0 && wire_obj_type(row) == WIRE_ARRAY &&
        wire_obj_size(row) == 2 + COUNTER_FIELDS &&
        wire_obj_type(wire_obj_at(row, 0)) == WIRE_STR &&
        wire_obj_type(wire_obj_at(row, 1)) == WIRE_STR) {
        uint64_t v[COUNTER_FIELDS];
        rc = 0;
        for (int f = 0; f < COUNTER_FIELDS; f++) {
            const wire_obj_t *o = wire_obj_at(row, 2 + (size_t)f);
            if (wire_obj_type(o) != WIRE_UINT)
                rc = ERR_CORRUPT;
            v[f] = rc == 0 ? wire_obj_uint(o) : 0;
        }
        size_t dl, cl;
        const char *d = wire_obj_bytes(wire_obj_at(row, 0), &dl);
        const char *c = wire_obj_bytes(wire_obj_at(row, 1), &cl);
        if (rc == 0 && dl < sizeof p->dept && cl < sizeof p->category) {
            p->any = true;
            memcpy(p->dept, d, dl);
            memcpy(p->category, c, cl);
            counters_from_array(v, &p->c);
        } else {
            rc = ERR_CORRUPT;
        }
    }
    wire_reader_destroy(&r);
    return rc;
}

struct count_ctx {
    store_txn_t *t;
    uint32_t node;
    char node_text[7];
    const catalog_t *catalog;
    calendar_t *cal;
    int64_t now;
    struct wire_buf scratch; /* the record of the item being counted */
};

static const char *
category_of_item(const catalog_t *catalog, const char *item)
{
    const struct catalog_item *it = item[0] ? catalog_find(catalog, item) : NULL;
    return catalog_category_name(it ? it->category : CATALOG_OTHER);
}

struct accept_ctx {
    char dept[EVENT_ID_MAX + 1];
    const char *category;
    uint64_t seq; /* the acceptance's record, 0 when none is held */
};

/* The dept and category of a case, from the acceptance that counts for it ("?" and other if
 * none is held yet). */
static int
case_place(struct count_ctx *x, const char *case_id, struct accept_ctx *a)
{
    struct acceptance ac;
    int rc = acceptance_find(x->t, x->node, case_id, &ac);
    snprintf(a->dept, sizeof a->dept, "%s", ac.held ? ac.dept : "?");
    a->category = ac.held ? category_of_item(x->catalog, ac.item)
                          : catalog_category_name(CATALOG_OTHER);
    a->seq = ac.held ? ac.seq : 0;
    return rc;
}

/* A case concluded while its limit.case finding stands red was not concluded in time: the case's
 * own times decide, never a light raised for a missed answer. */
static bool
late(struct count_ctx *x, const char *case_id)
{
    struct alert q = {0}, a;
    snprintf(q.node, sizeof q.node, "%s", x->node_text);
    snprintf(q.rule, sizeof q.rule, "limit.case");
    snprintf(q.subject_kind, sizeof q.subject_kind, "case");
    snprintf(q.subject, sizeof q.subject, "%s", case_id);
    alert_make_id(&q);
    return alertdb_get(x->t, q.id, &a) == 0 && a.finding == ALERT_RED &&
           a.state != ALERT_CLEARED;
}

/* What a counted record adds, from its facts: a case accepted or a complaint opened under its
 * dept; a case concluded (in time or not) or a rating under the case's place. */
static int
facts_part(struct count_ctx *x, uint64_t seq, const struct facts *f, struct part *p)
{
    if (f->type == FACT_ACCEPT) {
        struct accept_ctx a;
        int rc = case_place(x, f->ref, &a);
        if (rc != 0)
            return rc;
        if (a.seq != seq)
            return 0; /* a later acceptance of a case already accepted counts nothing */
        part_set(p, a.dept, a.category);
        p->c.cases = 1;
    } else if (f->type == FACT_COMPLAINT) {
        part_set(p, f->ref, catalog_category_name(CATALOG_OTHER));
        p->c.complaints = 1;
    } else if (f->type == FACT_DECISION || f->type == FACT_RATING) {
        struct accept_ctx a;
        int rc = case_place(x, f->ref, &a);
        if (rc != 0)
            return rc;
        part_set(p, a.dept, a.category);
        if (f->type == FACT_DECISION) {
            p->c.concluded = 1;
            p->c.on_time = !late(x, f->ref);
        } else {
            p->c.ratings = 1;
            p->c.ratings_good = f->rating_ok && f->rating >= 4;
        }
    }
    return 0;
}

struct record_part_ctx {
    struct count_ctx *x;
    struct part *p;
};

/* facts_part of a record read from the store (a record_fn) */
static int
record_part(void *arg, const uint8_t seq_be[8], const wire_obj_t *m)
{
    struct record_part_ctx *rp = arg;
    struct facts f;
    facts_of(m, &f);
    return facts_part(rp->x, store_from_be64(seq_be), &f, rp->p);
}

/* What an alert adds to `day`: nothing when it is cleared, unknown, or raised on another day now
 * (*elsewhere); otherwise a light under its dept, and the answers due and given in time. */
static int
alert_part(struct count_ctx *x, const uint8_t *id, size_t len, int64_t day, struct part *p,
           bool *elsewhere)
{
    struct alert a;
    char text[ALERT_ID_LEN];
    memset(p, 0, sizeof *p);
    *elsewhere = false;
    if (len >= sizeof text)
        return 0; /* not an alert id of ours */
    memcpy(text, id, len);
    text[len] = '\0';
    int rc = alertdb_get(x->t, text, &a);
    if (rc != 0)
        return rc == ERR_NOT_FOUND ? 0 : rc;
    *elsewhere = calendar_day_of(a.raised_ms) != day;
    if (*elsewhere || a.state == ALERT_CLEARED)
        return 0;
    const char *category = category_of_item(x->catalog, a.item);
    if (strcmp(a.subject_kind, "case") == 0) {
        struct accept_ctx ac;
        rc = case_place(x, a.subject, &ac);
        if (rc != 0)
            return rc;
        category = ac.category;
    }
    part_set(p, a.dept[0] ? a.dept : "?", category);
    if (a.finding == ALERT_RED)
        p->c.red = 1;
    else
        p->c.yellow = 1;
    p->c.escalated = a.feedback_steps != 0;
    /* Due an answer once answered or once its first deadline passed; in time if answered before
     * that deadline (feedback.h). */
    int64_t deadline = feedback_answer_deadline(x->cal, &a);
    if (deadline && (a.responded_ms || x->now >= deadline)) {
        p->c.response_due = 1;
        p->c.responded_in_time = a.responded_ms && a.responded_ms < deadline;
    }
    return 0;
}

/* What the item under a days key (tag 'r' + seq or 'a' + id after the day) adds to its day; a
 * record's from the facts of its note when given (note, nl), else read from the store. */
static int
item_part(struct count_ctx *x, char tag, int64_t day, const uint8_t *tail, size_t tl,
          const uint8_t *note, size_t nl, struct part *p, bool *elsewhere)
{
    *elsewhere = false;
    if (tag == 'a')
        return alert_part(x, tail, tl, day, p, elsewhere);
    memset(p, 0, sizeof *p);
    if (tl != 8)
        return 0;
    struct facts f;
    if (note && facts_decode(note, nl, &f))
        return facts_part(x, store_from_be64(tail), &f, p);
    struct record_part_ctx rp = {x, p};
    return with_record(x->t, x->node, tail, &x->scratch, record_part, &rp);
}

/* ---- a day's sheet ---- */

struct row {
    char dept[EVENT_ID_MAX + 1];
    char category[16];
    struct score_counters c;
};

struct sheet {
    struct row *v;
    size_t n, cap;
};

static struct row *
row_find(struct sheet *s, const char *dept, const char *category)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].dept, dept) == 0 && strcmp(s->v[i].category, category) == 0)
            return &s->v[i];
    return NULL;
}

static struct score_counters *
row_of(struct sheet *s, const char *dept, const char *category)
{
    struct row *r = row_find(s, dept, category);
    if (r)
        return &r->c;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    r = &s->v[s->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->dept, sizeof r->dept, "%s", dept);
    snprintf(r->category, sizeof r->category, "%s", category);
    return &r->c;
}

static int
cmp_row(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    int c = strcmp(x->dept, y->dept);
    return c ? c : strcmp(x->category, y->category);
}

static void
sheet_add(struct sheet *s, const struct part *p)
{
    if (!p->any)
        return;
    uint64_t v[COUNTER_FIELDS];
    counters_to_array(&p->c, v);
    counters_add_array(row_of(s, p->dept, p->category), v);
}

/* Takes a part back out of the sheet it was added to; false if the sheet does not hold it (the
 * day is then counted again whole). A row left with no count goes, as a recount would leave it. */
static bool
sheet_take(struct sheet *s, const struct part *p)
{
    if (!p->any)
        return true;
    struct row *r = row_find(s, p->dept, p->category);
    if (!r)
        return false;
    uint64_t have[COUNTER_FIELDS], take[COUNTER_FIELDS];
    counters_to_array(&r->c, have);
    counters_to_array(&p->c, take);
    bool left = false;
    for (int f = 0; f < COUNTER_FIELDS; f++) {
        if (have[f] < take[f])
            return false;
        have[f] -= take[f];
        left |= have[f] != 0;
    }
    if (left)
        counters_from_array(have, &r->c);
    else
        *r = s->v[--s->n];
    return true;
}

/* ---- sheets as records ---- */

/* The counts of a checked row (view_sheet), the newer ones 0 on an older sheet. */
static void
row_counts(const wire_obj_t *row, uint64_t v[COUNTER_FIELDS])
{
    size_t have = wire_obj_size(row) - 2;
    for (size_t f = 0; f < COUNTER_FIELDS; f++)
        v[f] = f < have ? wire_obj_uint(wire_obj_at(row, 2 + f)) : 0;
}

static void
encode_rows(const struct sheet *s, struct wire_buf *out)
{
    wire_put_array(out, (uint32_t)s->n);
    for (size_t i = 0; i < s->n; i++) {
        uint64_t v[COUNTER_FIELDS];
        counters_to_array(&s->v[i].c, v);
        wire_put_array(out, 2 + COUNTER_FIELDS);
        wire_put_cstr(out, s->v[i].dept);
        wire_put_cstr(out, s->v[i].category);
        for (int f = 0; f < COUNTER_FIELDS; f++)
            wire_put_uint(out, v[f]);
    }
}

static void
encode_sheet(const char *node, int64_t day, uint64_t version, int64_t now,
             const struct wire_buf *rows, struct wire_buf *out)
{
    char date[16], id[64];
    calendar_format_date(day, date);
    snprintf(id, sizeof id, "counters/%s/%s/%llu", node, date, (unsigned long long)version);
    wire_put_map(out, 7);
    wire_put_cstr(out, "type");
    wire_put_cstr(out, "counters");
    wire_put_cstr(out, "id");
    wire_put_cstr(out, id);
    wire_put_cstr(out, "at");
    wire_put_int(out, now);
    wire_put_cstr(out, "node");
    wire_put_cstr(out, node);
    wire_put_cstr(out, "day");
    wire_put_cstr(out, date);
    wire_put_cstr(out, "version");
    wire_put_uint(out, version);
    wire_put_cstr(out, "rows");
    wire_buf_append(out, rows->data, rows->len);
}

/* A sheet's identity and rows, checked. */
struct sheet_view {
    uint32_t node;
    int64_t day;
    uint64_t version;
    const wire_obj_t *rows;
};

/* Rows of counts: [dept, category, counts...], of this version or the one before. */
static bool
rows_valid(const wire_obj_t *rows)
{
    if (!rows || wire_obj_type(rows) != WIRE_ARRAY)
        return false;
    for (size_t i = 0; i < wire_obj_size(rows); i++) {
        const wire_obj_t *row = wire_obj_at(rows, i);
        if (wire_obj_type(row) != WIRE_ARRAY ||
            (wire_obj_size(row) != 2 + COUNTER_FIELDS &&
             wire_obj_size(row) != 2 + COUNTER_FIELDS_V1) ||
            wire_obj_type(wire_obj_at(row, 0)) != WIRE_STR ||
            wire_obj_type(wire_obj_at(row, 1)) != WIRE_STR)
            return false;
        for (size_t f = 0; f + 2 < wire_obj_size(row); f++)
            if (wire_obj_type(wire_obj_at(row, 2 + f)) != WIRE_UINT)
                return false;
    }
    return true;
}

static int
view_sheet(const wire_obj_t *m, struct sheet_view *s)
{
    char node[16], date[16];
    str_copy(m, "node", node, sizeof node);
    str_copy(m, "day", date, sizeof date);
    const wire_obj_t *ver = wire_obj_get(m, "version");
    s->rows = wire_obj_get(m, "rows");
    if (!counter_is_record(m) || node_valid(node, strlen(node)) != 0 ||
        calendar_parse_date(date, strlen(date), &s->day) != 0 || !ver ||
        wire_obj_type(ver) != WIRE_UINT || !s->rows || wire_obj_type(s->rows) != WIRE_ARRAY)
        return ERR_DECODE;
    s->node = node_number(node);
    s->version = wire_obj_uint(ver);
    return rows_valid(s->rows) ? 0 : ERR_DECODE;
}

int
counter_record_check(const wire_obj_t *m, uint32_t origin)
{
    struct sheet_view sv;
    return view_sheet(m, &sv) == 0 && sv.node == origin ? 0 : ERR_DECODE;
}

bool
counter_is_record(const wire_obj_t *m)
{
    return wire_obj_type(m) == WIRE_MAP && str_is(m, "type", "counters");
}

/* Adds valid rows (rows_valid) to a sheet. */
static void
sheet_of_rows(const wire_obj_t *rows, struct sheet *s)
{
    for (size_t i = 0; i < wire_obj_size(rows); i++) {
        const wire_obj_t *row = wire_obj_at(rows, i);
        size_t dl, cl;
        const char *dept = wire_obj_bytes(wire_obj_at(row, 0), &dl);
        const char *cat = wire_obj_bytes(wire_obj_at(row, 1), &cl);
        char d[EVENT_ID_MAX + 1], c[16];
        snprintf(d, sizeof d, "%.*s", (int)dl, dept);
        snprintf(c, sizeof c, "%.*s", (int)cl, cat);
        uint64_t v[COUNTER_FIELDS];
        row_counts(row, v);
        counters_add_array(row_of(s, d, c), v);
    }
}

static void
encode_view_rows(const wire_obj_t *rows, struct wire_buf *out)
{
    struct sheet s = {0};
    sheet_of_rows(rows, &s);
    encode_rows(&s, out);
    free(s.v);
}

static int
held_sheet(store_txn_t *t, uint32_t node, int64_t day, struct wire_buf *out, uint64_t *version,
           struct wire_buf *rows)
{
    uint8_t k[8];
    store_be32(k, node);
    store_be32(k + 4, (uint32_t)day);
    *version = 0;
    int rc = store_get(t, STORE_COUNTERS, k, sizeof k, out);
    if (rc != 0)
        return rc;
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    struct sheet_view sv;
    rc = ERR_CORRUPT;
    if (wire_decode_one(out->data, out->len, &r, &m) == 0 && view_sheet(m, &sv) == 0) {
        *version = sv.version;
        if (rows)
            encode_view_rows(sv.rows, rows);
        rc = 0;
    }
    wire_reader_destroy(&r);
    return rc;
}

int
counter_version(store_txn_t *t, uint32_t node, int64_t day, uint64_t *version)
{
    struct wire_buf v;
    wire_buf_init(&v);
    int rc = held_sheet(t, node, day, &v, version, NULL);
    wire_buf_fini(&v);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

int
counter_apply(store_txn_t *t, uint32_t origin, const void *record, size_t len,
              const wire_obj_t *map, bool *taken)
{
    *taken = false;
    struct sheet_view sv;
    if (view_sheet(map, &sv) != 0 || sv.node != origin)
        return ERR_DECODE;
    uint64_t held;
    int rc = counter_version(t, sv.node, sv.day, &held);
    if (rc != 0 || held >= sv.version)
        return rc;
    uint8_t k[8];
    store_be32(k, sv.node);
    store_be32(k + 4, (uint32_t)sv.day);
    rc = store_put(t, STORE_COUNTERS, k, sizeof k, record, len, 0);
    *taken = rc == 0;
    return rc;
}

/* ---- refresh ---- */

/* Items counted per write transaction, and per call of counter_refresh (the loop's share). */
#define REFRESH_CHUNK 10000
#define REFRESH_MAX 200000

/* Keys gathered from the days table, so the table can be written while they are worked through. */
/* Keys of the days table gathered, with their values when asked for (a value longer than
 * FACTS_MAX is gathered as empty: only pending notes' values are read). */
struct keys {
    uint8_t (*v)[PENDING_KEY_MAX];
    uint8_t *len;
    uint8_t (*val)[FACTS_MAX];
    uint8_t *val_len;
    size_t n, cap;
};

static void
keys_free(struct keys *k)
{
    free(k->v);
    free(k->len);
    free(k->val);
    free(k->val_len);
    memset(k, 0, sizeof *k);
}

/* Gathers up to `max` keys that start with prefix and sort after `after` (NULL: from the first),
 * and their values when `values`. */
static int
keys_gather(store_txn_t *t, const uint8_t *prefix, size_t plen, const uint8_t *after,
            size_t after_len, size_t max, bool values, struct keys *out)
{
    out->n = 0;
    store_cursor_t *c = NULL;
    int rc = store_cursor_open(t, STORE_DAYS, &c);
    if (rc != 0)
        return rc;
    struct wire_buf k, v;
    wire_buf_init(&k);
    wire_buf_init(&v);
    struct wire_buf *vp = values ? &v : NULL;
    int crc = after ? store_cursor_seek(c, after, after_len, &k, vp)
                    : store_cursor_seek(c, prefix, plen, &k, vp);
    if (crc == 0 && after && k.len == after_len && memcmp(k.data, after, after_len) == 0) {
        wire_buf_reset(&k);
        wire_buf_reset(&v);
        crc = store_cursor_next(c, &k, vp);
    }
    while (crc == 0 && out->n < max && k.len >= plen && memcmp(k.data, prefix, plen) == 0) {
        if (k.len <= PENDING_KEY_MAX) {
            if (out->n == out->cap) {
                out->cap = out->cap ? 2 * out->cap : 256;
                out->v = xrealloc(out->v, out->cap * sizeof *out->v);
                out->len = xrealloc(out->len, out->cap);
                out->val = xrealloc(out->val, out->cap * sizeof *out->val);
                out->val_len = xrealloc(out->val_len, out->cap);
            }
            memcpy(out->v[out->n], k.data, k.len);
            out->len[out->n] = (uint8_t)k.len;
            out->val_len[out->n] = v.len <= FACTS_MAX ? (uint8_t)v.len : 0;
            if (out->val_len[out->n])
                memcpy(out->val[out->n], v.data, out->val_len[out->n]);
            out->n++;
        }
        wire_buf_reset(&k);
        wire_buf_reset(&v);
        crc = store_cursor_next(c, &k, vp);
    }
    wire_buf_fini(&k);
    wire_buf_fini(&v);
    store_cursor_close(&c);
    return crc == 0 || crc == ERR_NOT_FOUND ? 0 : crc;
}

struct day_sum {
    int64_t day;
    struct sheet s;
    bool changed;
};

struct refresh {
    struct count_ctx x; /* the node, the moment counted as of, the catalogue and calendar */
    uint32_t seal_at;
    struct keys keys, day_keys;
    /* one transaction's */
    struct day_sum *days;
    size_t n_days, cap_days;
    uint64_t taken, whole; /* pending items taken; days counted whole */
    uint64_t sheets, sealed;
};

static void
days_reset(struct refresh *f)
{
    for (size_t i = 0; i < f->n_days; i++)
        free(f->days[i].s.v);
    f->n_days = 0;
}

/* Counts a day again whole: every record and alert filed under it, each one's part kept. */
static int
count_whole(struct refresh *f, struct day_sum *ds)
{
    ds->s.n = 0;
    ds->changed = true;
    f->whole++;
    int rc = 0;
    struct wire_buf val;
    wire_buf_init(&val);
    for (int pass = 0; rc == 0 && pass < 2; pass++) {
        char tag = pass == 0 ? 'r' : 'a';
        uint8_t prefix[DAY_KEY_LEN];
        day_key(prefix, tag, f->x.node, ds->day);
        const uint8_t *after = NULL;
        size_t after_len = 0;
        uint8_t last[PENDING_KEY_MAX];
        do {
            rc = keys_gather(f->x.t, prefix, sizeof prefix, after, after_len, REFRESH_CHUNK,
                             false, &f->day_keys);
            for (size_t i = 0; rc == 0 && i < f->day_keys.n; i++) {
                const uint8_t *k = f->day_keys.v[i];
                size_t kl = f->day_keys.len[i];
                struct part p;
                bool elsewhere;
                rc = item_part(&f->x, tag, ds->day, k + DAY_KEY_LEN, kl - DAY_KEY_LEN, NULL,
                               0, &p, &elsewhere);
                wire_buf_reset(&val);
                part_encode(&p, &val);
                if (rc == 0 && elsewhere)
                    rc = store_del(f->x.t, STORE_DAYS, k, kl);
                else if (rc == 0)
                    rc = store_put(f->x.t, STORE_DAYS, k, kl, val.len ? val.data : (void *)"",
                                   val.len, 0);
                sheet_add(&ds->s, &p);
            }
            if (f->day_keys.n) {
                size_t at = f->day_keys.n - 1;
                after_len = f->day_keys.len[at];
                memcpy(last, f->day_keys.v[at], after_len);
                after = last;
            }
        } while (rc == 0 && f->day_keys.n == REFRESH_CHUNK);
    }
    wire_buf_fini(&val);
    return rc;
}

/* The running sum of a day, read once per transaction. A day with no sum yet is empty, unless a
 * sheet is held for it: a store from before the sums, counted whole once. */
static int
day_sum_of(struct refresh *f, int64_t day, bool whole, struct day_sum **out)
{
    for (size_t i = 0; i < f->n_days; i++)
        if (f->days[i].day == day) {
            *out = &f->days[i];
            return whole ? count_whole(f, *out) : 0;
        }
    if (f->n_days == f->cap_days) {
        f->cap_days = f->cap_days ? 2 * f->cap_days : 16;
        f->days = xrealloc(f->days, f->cap_days * sizeof *f->days);
    }
    struct day_sum *ds = *out = &f->days[f->n_days++];
    memset(ds, 0, sizeof *ds);
    ds->day = day;
    if (whole)
        return count_whole(f, ds);
    uint8_t k[DAY_KEY_LEN];
    day_key(k, 's', f->x.node, day);
    struct wire_buf v;
    wire_buf_init(&v);
    int rc = store_get(f->x.t, STORE_DAYS, k, sizeof k, &v);
    if (rc == 0) {
        wire_reader_t *r = NULL;
        const wire_obj_t *rows;
        if (wire_decode_one(v.data, v.len, &r, &rows) == 0 && rows_valid(rows))
            sheet_of_rows(rows, &ds->s);
        else
            rc = count_whole(f, ds); /* never expected: counted again rather than stopped */
        wire_reader_destroy(&r);
    } else if (rc == ERR_NOT_FOUND) {
        uint64_t held;
        rc = counter_version(f->x.t, f->x.node, day, &held);
        if (rc == 0 && held)
            rc = count_whole(f, ds);
    }
    wire_buf_fini(&v);
    return rc;
}

/* Counts one pending item ('i' key, its note `note`) again: its old part is taken out of its day,
 * its new one put in. */
static int
count_pending(struct refresh *f, const uint8_t *key, size_t klen, const uint8_t *note, size_t nl)
{
    if (klen < DAY_KEY_LEN + 1)
        return store_del(f->x.t, STORE_DAYS, key, klen); /* names no item: nothing to count */
    int64_t day = store_from_be32(key + 5);
    char tag = (char)key[DAY_KEY_LEN];
    const uint8_t *tail = key + DAY_KEY_LEN + 1;
    size_t tl = klen - DAY_KEY_LEN - 1;
    struct day_sum *ds;
    int rc = day_sum_of(f, day, false, &ds);
    uint8_t ik[PENDING_KEY_MAX];
    day_key(ik, tag, f->x.node, day);
    memcpy(ik + DAY_KEY_LEN, tail, tl);
    size_t il = DAY_KEY_LEN + tl;
    struct wire_buf old, now;
    wire_buf_init(&old);
    wire_buf_init(&now);
    bool filed = false;
    if (rc == 0) {
        rc = store_get(f->x.t, STORE_DAYS, ik, il, &old);
        filed = rc == 0;
        if (rc == ERR_NOT_FOUND)
            rc = 0;
    }
    struct part was, p = {0};
    bool elsewhere = false;
    if (rc == 0)
        rc = item_part(&f->x, tag, day, tail, tl, note, nl, &p, &elsewhere);
    part_encode(&p, &now);
    bool same = filed ? !elsewhere && old.len == now.len &&
                            (old.len == 0 || memcmp(old.data, now.data, old.len) == 0)
                      : elsewhere || !p.any;
    if (rc == 0 && !same) {
        if (filed && (part_decode(old.data, old.len, &was) != 0 || !sheet_take(&ds->s, &was))) {
            rc = count_whole(f, ds); /* the sum did not hold what the item added: count again */
        } else {
            ds->changed = true;
            if (!elsewhere)
                sheet_add(&ds->s, &p);
            rc = elsewhere ? store_del(f->x.t, STORE_DAYS, ik, il)
                           : store_put(f->x.t, STORE_DAYS, ik, il,
                                       now.len ? now.data : (void *)"", now.len, 0);
        }
    }
    wire_buf_fini(&old);
    wire_buf_fini(&now);
    return rc == 0 ? store_del(f->x.t, STORE_DAYS, key, klen) : rc;
}

/* One transaction: days marked whole by a store from before the sums, then up to a chunk of
 * pending items; each changed sum written and its day marked to be sent. */
static int
count_fn(store_txn_t *t, void *arg)
{
    struct refresh *f = arg;
    f->x.t = t;
    f->taken = f->whole = 0;
    days_reset(f);
    uint8_t prefix[5] = {'d'};
    store_be32(prefix + 1, f->x.node);
    int rc = keys_gather(t, prefix, sizeof prefix, NULL, 0, REFRESH_CHUNK, false, &f->keys);
    for (size_t i = 0; rc == 0 && i < f->keys.n; i++) {
        struct day_sum *ds;
        if (f->keys.len[i] == DAY_KEY_LEN)
            rc = day_sum_of(f, store_from_be32(f->keys.v[i] + 5), true, &ds);
        if (rc == 0)
            rc = store_del(t, STORE_DAYS, f->keys.v[i], f->keys.len[i]);
        f->taken++;
    }
    prefix[0] = 'i';
    if (rc == 0 && f->taken < REFRESH_CHUNK)
        rc = keys_gather(t, prefix, sizeof prefix, NULL, 0, REFRESH_CHUNK - f->taken, true,
                         &f->keys);
    for (size_t i = 0; rc == 0 && i < f->keys.n; i++) {
        rc = count_pending(f, f->keys.v[i], f->keys.len[i], f->keys.val[i], f->keys.val_len[i]);
        f->taken++;
    }
    struct wire_buf rows;
    wire_buf_init(&rows);
    for (size_t i = 0; rc == 0 && i < f->n_days; i++) {
        struct day_sum *ds = &f->days[i];
        if (!ds->changed)
            continue;
        if (ds->s.n > 1)
            qsort(ds->s.v, ds->s.n, sizeof *ds->s.v, cmp_row);
        wire_buf_reset(&rows);
        encode_rows(&ds->s, &rows);
        uint8_t k[DAY_KEY_LEN];
        day_key(k, 's', f->x.node, ds->day);
        rc = store_put(t, STORE_DAYS, k, sizeof k, rows.data, rows.len, 0);
        day_key(k, 'e', f->x.node, ds->day);
        if (rc == 0)
            rc = store_put(t, STORE_DAYS, k, sizeof k, "", 0, 0);
    }
    wire_buf_fini(&rows);
    return rc;
}

/* Appends a day's sheet with these rows as a `counters` record, and keeps it as the sheet held. */
static int
send_sheet(store_txn_t *t, struct refresh *f, int64_t day, const struct wire_buf *rows)
{
    struct spool_state st;
    int rc = spool_state_get(t, &st);
    struct wire_buf rec;
    wire_buf_init(&rec);
    encode_sheet(f->x.node_text, day, st.next_seq ? st.next_seq : 1, f->x.now, rows, &rec);
    uint64_t seq;
    if (rc == 0)
        rc = spool_append(t, f->x.node, rec.data, rec.len, &seq);
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    bool taken;
    if (rc == 0)
        rc = wire_decode_one(rec.data, rec.len, &r, &m) == 0
                 ? counter_apply(t, f->x.node, rec.data, rec.len, m, &taken)
                 : ERR_CORRUPT;
    wire_reader_destroy(&r);
    wire_buf_fini(&rec);
    f->sheets++;
    return rc;
}

/* Sends the sheet of every day whose sum changed since it was last sent, if it differs from the
 * sheet held. */
static int
send_fn(store_txn_t *t, void *arg)
{
    struct refresh *f = arg;
    f->sheets = f->sealed = 0;
    uint8_t prefix[5] = {'e'};
    store_be32(prefix + 1, f->x.node);
    int rc = 0;
    struct wire_buf sum, held, held_rows;
    wire_buf_init(&sum);
    wire_buf_init(&held);
    wire_buf_init(&held_rows);
    do {
        rc = keys_gather(t, prefix, sizeof prefix, NULL, 0, REFRESH_CHUNK, false, &f->keys);
        for (size_t i = 0; rc == 0 && i < f->keys.n; i++) {
            const uint8_t *ek = f->keys.v[i];
            int64_t day = store_from_be32(ek + 5);
            uint8_t k[DAY_KEY_LEN];
            day_key(k, 's', f->x.node, day);
            wire_buf_reset(&sum);
            rc = store_get(t, STORE_DAYS, k, sizeof k, &sum);
            if (rc == ERR_NOT_FOUND) {
                wire_put_array(&sum, 0);
                rc = 0;
            }
            uint64_t held_version = 0;
            wire_buf_reset(&held);
            wire_buf_reset(&held_rows);
            if (rc == 0) {
                rc = held_sheet(t, f->x.node, day, &held, &held_version, &held_rows);
                if (rc == ERR_NOT_FOUND)
                    rc = 0;
            }
            /* An unchanged sheet is not sent again; an empty day never held stays unsent. */
            bool empty = sum.len == 1 && sum.data[0] == 0x90;
            bool same = held_version ? held_rows.len == sum.len &&
                                           memcmp(held_rows.data, sum.data, sum.len) == 0
                                     : empty;
            if (rc == 0 && !same)
                rc = send_sheet(t, f, day, &sum);
            if (rc == 0)
                rc = store_del(t, STORE_DAYS, ek, f->keys.len[i]);
        }
    } while (rc == 0 && f->keys.n == REFRESH_CHUNK);
    wire_buf_fini(&sum);
    wire_buf_fini(&held);
    wire_buf_fini(&held_rows);
    if (rc == 0)
        rc = store_meta_put_u64(t, "counters_at", (uint64_t)f->x.now);
    if (rc == 0 && f->sheets)
        rc = spool_seal(t, f->x.node, f->seal_at, true, f->x.now, &f->sealed);
    return rc;
}

int
counter_refresh(store_t *s, uint32_t node, const catalog_t *catalog, calendar_t *calendar,
                int64_t now_ms, uint32_t seal_at, struct counter_refresh_result *res)
{
    struct refresh f = {
        .x = {.node = node, .catalog = catalog, .cal = calendar, .now = now_ms},
        .seal_at = seal_at,
    };
    node_format(node, f.x.node_text);
    wire_buf_init(&f.x.scratch);
    struct counter_refresh_result r = {0};
    int rc = 0;
    do {
        rc = store_write(s, count_fn, &f);
        r.items += f.taken;
        r.whole_days += f.whole;
    } while (rc == 0 && f.taken == REFRESH_CHUNK && !(r.more = r.items >= REFRESH_MAX));
    if (rc == 0)
        rc = store_write(s, send_fn, &f);
    r.sheets = f.sheets;
    r.sealed = f.sealed;
    days_reset(&f);
    free(f.days);
    keys_free(&f.keys);
    keys_free(&f.day_keys);
    wire_buf_fini(&f.x.scratch);
    if (rc == 0 && res)
        *res = r;
    return rc;
}

/* ---- sums ---- */

struct group {
    char key[160];
    struct score_counters c;
};

struct groups {
    struct group *v;
    size_t n, cap;
};

static struct score_counters *
group_of(struct groups *g, const char *key)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->v[i].key, key) == 0)
            return &g->v[i].c;
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 32;
        g->v = xrealloc(g->v, g->cap * sizeof *g->v);
    }
    struct group *n = &g->v[g->n++];
    memset(n, 0, sizeof *n);
    snprintf(n->key, sizeof n->key, "%s", key);
    return &n->c;
}

static int
cmp_group(const void *a, const void *b)
{
    return strcmp(((const struct group *)a)->key, ((const struct group *)b)->key);
}

static void
add_sheet(struct groups *g, const struct sheet_view *sv, enum score_by by)
{
    char node[7];
    node_format(sv->node, node);
    for (size_t i = 0; i < wire_obj_size(sv->rows); i++) {
        const wire_obj_t *row = wire_obj_at(sv->rows, i);
        size_t dl, cl;
        const char *dept = wire_obj_bytes(wire_obj_at(row, 0), &dl);
        const char *cat = wire_obj_bytes(wire_obj_at(row, 1), &cl);
        char key[160];
        uint64_t v[COUNTER_FIELDS];
        row_counts(row, v);
        if (by == SCORE_BY_REGION) {
            uint32_t city = sv->node / 100 * 100, province = sv->node / 10000 * 10000;
            if (city != province) {
                node_format(city, key);
                counters_add_array(group_of(g, key), v);
            }
            node_format(province, key);
            counters_add_array(group_of(g, key), v);
            continue;
        }
        if (by == SCORE_BY_NODE)
            snprintf(key, sizeof key, "%s", node);
        else if (by == SCORE_BY_DEPT)
            snprintf(key, sizeof key, "%s/%.*s", node, (int)dl, dept);
        else
            snprintf(key, sizeof key, "%s/%.*s", node, (int)cl, cat);
        counters_add_array(group_of(g, key), v);
    }
}

int
counter_sum(store_t *s, int64_t from_day, int64_t to_day, enum score_by by,
            const char *node_filter, score_group_fn fn, void *arg)
{
    store_txn_t *t = NULL;
    store_cursor_t *c = NULL;
    int rc = store_read(s, &t);
    if (rc == 0)
        rc = store_cursor_open(t, STORE_COUNTERS, &c);
    struct wire_buf k, v;
    wire_buf_init(&k);
    wire_buf_init(&v);
    uint8_t start[8] = {0};
    /* a region is made of many nodes: every sheet is read, and only that region handed out */
    const char *region = by == SCORE_BY_REGION ? node_filter : NULL;
    if (region)
        node_filter = NULL;
    uint32_t only = node_filter ? node_number(node_filter) : 0;
    if (node_filter) {
        store_be32(start, only);
        store_be32(start + 4, (uint32_t)from_day);
    }
    struct groups g = {0};
    int crc = rc == 0 ? store_cursor_seek(c, start, sizeof start, &k, &v) : rc;
    while (rc == 0 && crc == 0 && k.len == 8) {
        uint32_t node = store_from_be32(k.data);
        int64_t day = store_from_be32(k.data + 4);
        if (node_filter && node != only)
            break;
        if (day >= from_day && day < to_day) {
            wire_reader_t *r = NULL;
            const wire_obj_t *m;
            struct sheet_view sv;
            if (wire_decode_one(v.data, v.len, &r, &m) == 0 && view_sheet(m, &sv) == 0)
                add_sheet(&g, &sv, by);
            else
                rc = ERR_CORRUPT;
            wire_reader_destroy(&r);
        }
        wire_buf_reset(&k);
        wire_buf_reset(&v);
        crc = store_cursor_next(c, &k, &v);
    }
    wire_buf_fini(&k);
    wire_buf_fini(&v);
    store_cursor_close(&c);
    store_abort(&t);
    if (rc == ERR_NOT_FOUND)
        rc = 0;
    if (rc == 0) {
        if (g.n > 1)
            qsort(g.v, g.n, sizeof *g.v, cmp_group);
        for (size_t i = 0; i < g.n; i++)
            if (!region || strcmp(g.v[i].key, region) == 0)
                fn(arg, g.v[i].key, &g.v[i].c);
    }
    free(g.v);
    return rc;
}
