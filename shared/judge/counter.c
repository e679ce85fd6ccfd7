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

/* ---- keys ---- */

static size_t
day_key(uint8_t *out, char tag, uint32_t node, int64_t day)
{
    out[0] = (uint8_t)tag;
    store_be32(out + 1, node);
    store_be32(out + 5, (uint32_t)day);
    return 9;
}

static int
mark_dirty(store_txn_t *t, uint32_t node, int64_t day)
{
    uint8_t k[9];
    day_key(k, 'd', node, day);
    return store_put(t, STORE_DAYS, k, sizeof k, "", 0, 0);
}

typedef int (*record_fn)(void *arg, const wire_obj_t *record);

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
        rc = fn(arg, m);
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

/* ---- noting what changed ---- */

struct dirty_ctx {
    store_txn_t *t;
    uint32_t node;
    bool decisions, ratings;
};

static int
dirty_one(void *arg, const wire_obj_t *m)
{
    struct dirty_ctx *d = arg;
    if ((d->decisions && str_is(m, "type", "case.decision")) ||
        (d->ratings && str_is(m, "type", "rating"))) {
        bool ok = true;
        int64_t at = int_of(m, "at", &ok);
        if (ok)
            return mark_dirty(d->t, d->node, calendar_day_of(at));
    }
    return 0;
}

int
counter_index_record(store_txn_t *t, uint32_t node, uint64_t seq, const wire_obj_t *m)
{
    if (wire_obj_type(m) != WIRE_MAP)
        return 0;
    bool accept = str_is(m, "type", "case.accept");
    bool counted = accept || str_is(m, "type", "case.decision") || str_is(m, "type", "rating") ||
                   str_is(m, "type", "complaint.open");
    bool ok = true;
    int64_t at = int_of(m, "at", &ok);
    int rc = 0;
    if (counted && ok) {
        int64_t day = calendar_day_of(at);
        uint8_t k[17];
        day_key(k, 'r', node, day);
        store_be64(k + 9, seq);
        rc = store_put(t, STORE_DAYS, k, sizeof k, "", 0, 0);
        if (rc == 0)
            rc = mark_dirty(t, node, day);
        /* A case's dept and category come from its acceptance: when that arrives after the
         * decision or rating (events may come out of order), their days change too. */
        if (rc == 0 && accept) {
            char case_id[EVENT_ID_MAX + 1];
            str_copy(m, "case", case_id, sizeof case_id);
            struct dirty_ctx d = {t, node, true, true};
            rc = each_case_record(t, node, case_id, dirty_one, &d);
        }
    }
    return rc;
}

int
counter_note_alert(store_txn_t *t, uint32_t node, const struct alert *a, int64_t prev_raised_ms)
{
    int64_t day = calendar_day_of(a->raised_ms);
    if (prev_raised_ms && calendar_day_of(prev_raised_ms) != day) {
        /* The alert no longer belongs to its old day: take it out of that day's index. */
        int64_t was = calendar_day_of(prev_raised_ms);
        uint8_t k[9 + ALERT_ID_LEN];
        day_key(k, 'a', node, was);
        size_t il = strlen(a->id);
        memcpy(k + 9, a->id, il);
        int rc = store_del(t, STORE_DAYS, k, 9 + il);
        if (rc != 0 && rc != ERR_NOT_FOUND)
            return rc;
        rc = mark_dirty(t, node, was);
        if (rc != 0)
            return rc;
    }
    uint8_t k[9 + ALERT_ID_LEN];
    day_key(k, 'a', node, day);
    size_t il = strlen(a->id);
    memcpy(k + 9, a->id, il);
    int rc = store_put(t, STORE_DAYS, k, 9 + il, "", 0, 0);
    if (rc == 0)
        rc = mark_dirty(t, node, day);
    if (rc == 0 && strcmp(a->rule, "limit.case") == 0 && strcmp(a->subject_kind, "case") == 0) {
        struct dirty_ctx d = {t, node, true, false};
        rc = each_case_record(t, node, a->subject, dirty_one, &d);
    }
    return rc;
}

/* ---- counting one day ---- */

struct row {
    char dept[EVENT_ID_MAX + 1];
    char category[16];
    struct score_counters c;
};

struct sheet {
    struct row *v;
    size_t n, cap;
};

static struct score_counters *
row_of(struct sheet *s, const char *dept, const char *category)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].dept, dept) == 0 && strcmp(s->v[i].category, category) == 0)
            return &s->v[i].c;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    struct row *r = &s->v[s->n++];
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

struct count_ctx {
    store_txn_t *t;
    uint32_t node;
    char node_text[7];
    const catalog_t *catalog;
    calendar_t *cal;
    int64_t now;
    struct sheet sheet;
};

static const char *
category_of_item(const catalog_t *catalog, const char *item)
{
    const struct catalog_item *it = item[0] ? catalog_find(catalog, item) : NULL;
    return catalog_category_name(it ? it->category : CATALOG_OTHER);
}

struct accept_ctx {
    const catalog_t *catalog;
    char dept[EVENT_ID_MAX + 1];
    const char *category;
};

static int
accept_one(void *arg, const wire_obj_t *m)
{
    struct accept_ctx *a = arg;
    if (!str_is(m, "type", "case.accept"))
        return 0;
    char item[EVENT_ID_MAX + 1];
    str_copy(m, "dept", a->dept, sizeof a->dept);
    str_copy(m, "item", item, sizeof item);
    a->category = category_of_item(a->catalog, item);
    return STOP;
}

/* The dept and category of a case, from its acceptance ("?" and other if not held yet). */
static int
case_place(struct count_ctx *x, const char *case_id, struct accept_ctx *a)
{
    a->catalog = x->catalog;
    snprintf(a->dept, sizeof a->dept, "?");
    a->category = catalog_category_name(CATALOG_OTHER);
    return each_case_record(x->t, x->node, case_id, accept_one, a);
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

static int
count_record(void *arg, const wire_obj_t *m)
{
    struct count_ctx *x = arg;
    char dept[EVENT_ID_MAX + 1], id[EVENT_ID_MAX + 1];
    if (str_is(m, "type", "case.accept")) {
        str_copy(m, "dept", dept, sizeof dept);
        str_copy(m, "item", id, sizeof id);
        row_of(&x->sheet, dept, category_of_item(x->catalog, id))->cases++;
    } else if (str_is(m, "type", "complaint.open")) {
        str_copy(m, "dept", dept, sizeof dept);
        row_of(&x->sheet, dept, catalog_category_name(CATALOG_OTHER))->complaints++;
    } else {
        bool decision = str_is(m, "type", "case.decision");
        str_copy(m, "case", id, sizeof id);
        struct accept_ctx a;
        int rc = case_place(x, id, &a);
        if (rc != 0)
            return rc;
        struct score_counters *c = row_of(&x->sheet, a.dept, a.category);
        if (decision) {
            c->concluded++;
            if (!late(x, id))
                c->on_time++;
        } else {
            bool ok = true;
            int64_t rating = int_of(m, "rating", &ok);
            c->ratings++;
            if (ok && rating >= 4)
                c->ratings_good++;
        }
    }
    return 0;
}

static int
count_alert(struct count_ctx *x, const char *id, size_t len)
{
    struct alert a;
    char text[ALERT_ID_LEN];
    if (len >= sizeof text)
        return 0; /* not an alert id of ours */
    memcpy(text, id, len);
    text[len] = '\0';
    int rc = alertdb_get(x->t, text, &a);
    if (rc != 0)
        return rc == ERR_NOT_FOUND ? 0 : rc;
    if (a.state == ALERT_CLEARED)
        return 0;
    const char *category = category_of_item(x->catalog, a.item);
    if (strcmp(a.subject_kind, "case") == 0) {
        struct accept_ctx ac;
        rc = case_place(x, a.subject, &ac);
        if (rc != 0)
            return rc;
        category = ac.category;
    }
    struct score_counters *c = row_of(&x->sheet, a.dept[0] ? a.dept : "?", category);
    if (a.finding == ALERT_RED)
        c->red++;
    else
        c->yellow++;
    if (a.feedback_steps)
        c->escalated++;
    /* Due an answer once answered or once its first deadline passed; in time if answered before
     * that deadline (feedback.h). */
    int64_t deadline = feedback_answer_deadline(x->cal, &a);
    if (deadline && (a.responded_ms || x->now >= deadline)) {
        c->response_due++;
        if (a.responded_ms && a.responded_ms < deadline)
            c->responded_in_time++;
    }
    return 0;
}

static int
count_day(struct count_ctx *x, int64_t day)
{
    x->sheet.n = 0;
    uint8_t prefix[9];
    store_cursor_t *c = NULL;
    int rc = store_cursor_open(x->t, STORE_DAYS, &c);
    if (rc != 0)
        return rc;
    struct wire_buf k, v;
    wire_buf_init(&k);
    wire_buf_init(&v);
    for (int pass = 0; rc == 0 && pass < 2; pass++) {
        day_key(prefix, pass == 0 ? 'r' : 'a', x->node, day);
        wire_buf_reset(&k);
        int crc = store_cursor_seek(c, prefix, sizeof prefix, &k, NULL);
        while (rc == 0 && crc == 0 && k.len > 9 && memcmp(k.data, prefix, 9) == 0) {
            if (pass == 1) {
                rc = count_alert(x, (const char *)k.data + 9, k.len - 9);
            } else if (k.len == 17) {
                rc = with_record(x->t, x->node, k.data + 9, &v, count_record, x);
            }
            wire_buf_reset(&k);
            crc = store_cursor_next(c, &k, NULL);
        }
    }
    wire_buf_fini(&k);
    wire_buf_fini(&v);
    store_cursor_close(&c);
    if (x->sheet.n > 1)
        qsort(x->sheet.v, x->sheet.n, sizeof *x->sheet.v, cmp_row);
    return rc;
}

/* ---- sheets as records ---- */

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

/* The counts of a checked row (view_sheet), the newer ones 0 on an older sheet. */
static void
row_counts(const wire_obj_t *row, uint64_t v[COUNTER_FIELDS])
{
    size_t have = wire_obj_size(row) - 2;
    for (size_t f = 0; f < COUNTER_FIELDS; f++)
        v[f] = f < have ? wire_obj_uint(wire_obj_at(row, 2 + f)) : 0;
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
    for (size_t i = 0; i < wire_obj_size(s->rows); i++) {
        const wire_obj_t *row = wire_obj_at(s->rows, i);
        if (wire_obj_type(row) != WIRE_ARRAY ||
            (wire_obj_size(row) != 2 + COUNTER_FIELDS &&
             wire_obj_size(row) != 2 + COUNTER_FIELDS_V1) ||
            wire_obj_type(wire_obj_at(row, 0)) != WIRE_STR ||
            wire_obj_type(wire_obj_at(row, 1)) != WIRE_STR)
            return ERR_DECODE;
        for (size_t f = 0; f + 2 < wire_obj_size(row); f++)
            if (wire_obj_type(wire_obj_at(row, 2 + f)) != WIRE_UINT)
                return ERR_DECODE;
    }
    return 0;
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

static void
encode_view_rows(const wire_obj_t *rows, struct wire_buf *out)
{
    struct sheet s = {0};
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
        counters_add_array(row_of(&s, d, c), v);
    }
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

struct refresh {
    uint32_t node;
    const catalog_t *catalog;
    calendar_t *cal;
    int64_t now;
    uint32_t seal_at;
    struct counter_refresh_result res;
};

static int
refresh_fn(store_txn_t *t, void *arg)
{
    struct refresh *f = arg;
    memset(&f->res, 0, sizeof f->res);
    int rc = 0;
    struct count_ctx x = {.t = t, .node = f->node, .catalog = f->catalog, .cal = f->cal,
                          .now = f->now};
    node_format(f->node, x.node_text);
    /* The dirty days, collected first: counting reads the days table the marks live in. */
    int64_t *days = NULL;
    size_t n_days = 0, cap_days = 0;
    store_cursor_t *c = NULL;
    if (rc == 0)
        rc = store_cursor_open(t, STORE_DAYS, &c);
    struct wire_buf k, held, rows;
    wire_buf_init(&k);
    wire_buf_init(&held);
    wire_buf_init(&rows);
    uint8_t prefix[5] = {'d'};
    store_be32(prefix + 1, f->node);
    int crc = rc == 0 ? store_cursor_seek(c, prefix, sizeof prefix, &k, NULL) : rc;
    while (crc == 0 && k.len == 9 && memcmp(k.data, prefix, 5) == 0) {
        if (n_days == cap_days) {
            cap_days = cap_days ? 2 * cap_days : 16;
            days = xrealloc(days, cap_days * sizeof *days);
        }
        days[n_days++] = store_from_be32(k.data + 5);
        wire_buf_reset(&k);
        crc = store_cursor_next(c, &k, NULL);
    }
    store_cursor_close(&c);
    for (size_t i = 0; rc == 0 && i < n_days; i++) {
        rc = count_day(&x, days[i]);
        struct wire_buf now_rows;
        wire_buf_init(&now_rows);
        encode_rows(&x.sheet, &now_rows);
        uint64_t held_version = 0;
        wire_buf_reset(&held);
        wire_buf_reset(&rows);
        if (rc == 0) {
            rc = held_sheet(t, f->node, days[i], &held, &held_version, &rows);
            if (rc == ERR_NOT_FOUND)
                rc = 0;
        }
        /* An unchanged sheet is not sent again; an empty day never held stays unsent. */
        bool same = held_version ? rows.len == now_rows.len &&
                                       memcmp(rows.data, now_rows.data, rows.len) == 0
                                 : x.sheet.n == 0;
        if (rc == 0 && !same) {
            struct spool_state st;
            rc = spool_state_get(t, &st);
            struct wire_buf rec;
            wire_buf_init(&rec);
            encode_sheet(x.node_text, days[i], st.next_seq ? st.next_seq : 1, f->now, &now_rows,
                         &rec);
            uint64_t seq;
            if (rc == 0)
                rc = spool_append(t, f->node, rec.data, rec.len, &seq);
            wire_reader_t *r = NULL;
            const wire_obj_t *m;
            bool taken;
            if (rc == 0)
                rc = wire_decode_one(rec.data, rec.len, &r, &m) == 0
                         ? counter_apply(t, f->node, rec.data, rec.len, m, &taken)
                         : ERR_CORRUPT;
            wire_reader_destroy(&r);
            wire_buf_fini(&rec);
            f->res.sheets++;
        }
        wire_buf_fini(&now_rows);
        uint8_t dk[9];
        day_key(dk, 'd', f->node, days[i]);
        if (rc == 0)
            rc = store_del(t, STORE_DAYS, dk, sizeof dk);
    }
    wire_buf_fini(&k);
    wire_buf_fini(&held);
    wire_buf_fini(&rows);
    free(days);
    free(x.sheet.v);
    if (rc == 0)
        rc = store_meta_put_u64(t, "counters_at", (uint64_t)f->now);
    if (rc == 0 && f->res.sheets)
        rc = spool_seal(t, f->node, f->seal_at, true, f->now, &f->res.sealed);
    return rc;
}

int
counter_refresh(store_t *s, uint32_t node, const catalog_t *catalog, calendar_t *calendar,
                int64_t now_ms, uint32_t seal_at, struct counter_refresh_result *res)
{
    struct refresh f = {node, catalog, calendar, now_ms, seal_at, {0}};
    int rc = store_write(s, refresh_fn, &f);
    if (rc == 0 && res)
        *res = f.res;
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
