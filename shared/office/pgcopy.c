/* pgcopy: a record as the COPY rows of the warehouse's tables. See pgcopy.h. */
#include "pgcopy.h"

#include "alert.h"
#include "calendar.h"
#include "counter.h"
#include "event.h"
#include "mem.h"
#include "node.h"
#include "timestamp.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- COPY text: one line per row, tab between columns, \N for NULL ---- */

static const struct {
    const char *name;
    bool by_day; /* partitioned by a date column (day), not by the timestamptz `at` */
    const char *columns;
} tables[PGCOPY_TABLES_] = {
    {"record", false, "node, seq, at, type, id, dept, case_id, item, alert_id, body"},
    {"alert_change", false,
     "node, seq, at, alert_id, changes, alert_node, rule, article, light, finding, state, dept, "
     "item, subject_kind, subject, raised_at, queue, answer_due_at, responded_at, corrected_at, "
     "closed_at, steps, detail, ledger"},
    {"counter_sheet", true, "node, seq, at, day, version"},
    {"counter_row", true,
     "node, day, version, dept, category, cases, concluded, on_time, red, yellow, response_due, "
     "responded_in_time, ratings, ratings_good, complaints, escalated"},
    {"audit_entry", false,
     "node, seq, at, n, prev, operator, role, action, record, record_seq, outcome, request, sig"},
};

const char *
pgcopy_table_name(enum pgcopy_table t)
{
    return tables[t].name;
}

void
pgcopy_copy_sql(enum pgcopy_table t, char *out, size_t cap)
{
    snprintf(out, cap, "COPY jiancha.%s (%s) FROM STDIN", tables[t].name, tables[t].columns);
}

/* The length of the valid UTF-8 sequence at p (a NUL is not one: PostgreSQL refuses it), or 0. */
static size_t
utf8_seq(const uint8_t *p, size_t left)
{
    uint8_t c = p[0];
    if (c >= 0x01 && c < 0x80)
        return 1;
    size_t n = c >= 0xC2 && c <= 0xDF   ? 2
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4
                                        : 0;
    if (n == 0 || n > left)
        return 0;
    /* the second byte's range rules out overlong forms, surrogates and code points past 10FFFF */
    uint8_t lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    uint8_t hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

/* Text as a COPY column: backslash escapes for the four bytes COPY reads specially, U+FFFD for
 * anything PostgreSQL would refuse. */
static void
put_text(struct wire_buf *b, const char *text, size_t len)
{
    const uint8_t *p = (const uint8_t *)text;
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_seq(p + i, len - i);
        if (n == 0) {
            wire_buf_append(b, "\xEF\xBF\xBD", 3);
            i++;
            continue;
        }
        const char *esc = p[i] == '\\'   ? "\\\\"
                          : p[i] == '\t' ? "\\t"
                          : p[i] == '\n' ? "\\n"
                          : p[i] == '\r' ? "\\r"
                                         : NULL;
        if (esc)
            wire_buf_append(b, esc, 2);
        else
            wire_buf_append(b, p + i, n);
        i += n;
    }
}

static void
put_cstr(struct wire_buf *b, const char *s)
{
    put_text(b, s, strlen(s));
}

static void
put_null(struct wire_buf *b)
{
    wire_buf_append(b, "\\N", 2);
}

static void
put_tab(struct wire_buf *b)
{
    wire_buf_append(b, "\t", 1);
}

static void
put_u64(struct wire_buf *b, uint64_t v)
{
    char n[24];
    wire_buf_append(b, n, (size_t)snprintf(n, sizeof n, "%llu", (unsigned long long)v));
}

/* An instant; 0 (never) is NULL. */
static void
put_time(struct wire_buf *b, int64_t ms)
{
    if (ms == 0) {
        put_null(b);
        return;
    }
    char t[TIMESTAMP_TEXT_MAX];
    timestamp_format(ms, t);
    put_cstr(b, t);
}

/* A text field of the record's map, or NULL when it has none. */
static void
put_field(struct wire_buf *b, const wire_obj_t *m, const char *key)
{
    const char *p;
    size_t len;
    if (wire_obj_get_bytes(m, key, WIRE_STR, &p, &len) == 0)
        put_text(b, p, len);
    else
        put_null(b);
}

/* Bytes as bytea's hex form ("\x0a1b…", its backslash escaped for COPY). */
static void
put_bytea(struct wire_buf *b, const void *data, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    wire_buf_append(b, "\\\\x", 3);
    for (size_t i = 0; i < len; i++) {
        char h[2] = {hex[((const uint8_t *)data)[i] >> 4], hex[((const uint8_t *)data)[i] & 15]};
        wire_buf_append(b, h, 2);
    }
}

/* JSON text for a jsonb column: jsonb refuses \u0000, which jansson writes for a NUL inside a
 * string; it becomes \ufffd (an escaped backslash before "u0000" is left alone). */
static void
put_json(struct wire_buf *b, const char *json)
{
    struct wire_buf fixed;
    wire_buf_init(&fixed);
    for (const char *p = json; *p; p++) {
        if (*p == '\\' && p[1]) {
            bool nul = strncmp(p + 1, "u0000", 5) == 0;
            wire_buf_append(&fixed, nul ? "\\ufffd" : p, nul ? 6 : 2);
            p += nul ? 5 : 1;
        } else {
            wire_buf_append(&fixed, p, 1);
        }
    }
    put_text(b, (const char *)fixed.data, fixed.len);
    wire_buf_fini(&fixed);
}

static void
end_row(struct pgcopy_rows *r, enum pgcopy_table t)
{
    wire_buf_append(&r->copy[t], "\n", 1);
    r->lines[t]++;
}

/* ---- months and their partitions ---- */

static int
month_of_days(int64_t day)
{
    int y;
    unsigned m, d;
    timestamp_civil_from_days(day, &y, &m, &d);
    return y * 100 + (int)m;
}

int
pgcopy_month_of_ms(int64_t ms)
{
    return month_of_days(calendar_day_of(ms));
}

int
pgcopy_month_of_day(int64_t day)
{
    return month_of_days(day);
}

void
pgcopy_partition_sql(enum pgcopy_table t, int month, char *out, size_t cap)
{
    int y = month / 100, m = month % 100;
    int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
    const char *zone = tables[t].by_day ? "" : " 00:00:00+08";
    snprintf(out, cap,
             "CREATE TABLE IF NOT EXISTS jiancha.%s_y%04dm%02d PARTITION OF jiancha.%s FOR VALUES "
             "FROM ('%04d-%02d-01%s') TO ('%04d-%02d-01%s')",
             tables[t].name, y, m, tables[t].name, y, m, zone, ny, nm, zone);
}

static void
note_month(struct pgcopy_rows *r, enum pgcopy_table t, int month)
{
    int key = (int)t * 1000000 + month;
    for (size_t i = 0; i < r->n_months; i++)
        if (r->months[i] == key)
            return;
    if (r->n_months == r->cap_months) {
        r->cap_months = r->cap_months ? 2 * r->cap_months : 16;
        r->months = xrealloc(r->months, r->cap_months * sizeof *r->months);
    }
    r->months[r->n_months++] = key;
}

void
pgcopy_rows_init(struct pgcopy_rows *r)
{
    memset(r, 0, sizeof *r);
    for (int t = 0; t < PGCOPY_TABLES_; t++)
        wire_buf_init(&r->copy[t]);
}

void
pgcopy_rows_reset(struct pgcopy_rows *r)
{
    for (int t = 0; t < PGCOPY_TABLES_; t++) {
        wire_buf_reset(&r->copy[t]);
        r->lines[t] = 0;
    }
    r->n_months = 0;
}

void
pgcopy_rows_fini(struct pgcopy_rows *r)
{
    for (int t = 0; t < PGCOPY_TABLES_; t++)
        wire_buf_fini(&r->copy[t]);
    free(r->months);
    memset(r, 0, sizeof *r);
}

/* ---- a record's rows ---- */

/* The columns every typed row starts with: the record's place and time. */
static void
put_place(struct wire_buf *b, const char *origin, uint64_t seq, int64_t at)
{
    put_cstr(b, origin);
    put_tab(b);
    put_u64(b, seq);
    put_tab(b);
    put_time(b, at);
}

static void
add_alert(struct pgcopy_rows *r, const char *origin, uint64_t seq, int64_t at, const wire_obj_t *m)
{
    const wire_obj_t *body = wire_obj_get(m, "alert");
    struct alert a;
    if (!body || wire_obj_type(body) != WIRE_MAP || alert_decode(body, &a) != 0)
        return; /* the record row keeps it; it is no alert state */
    /* the ledger as `query alerts --json` prints it: times as text, actions by name */
    char *text = alert_to_json(&a);
    json_t *whole = json_loads(text, 0, NULL);
    char *ledger = json_dumps(json_object_get(whole, "ledger"), JSON_COMPACT | JSON_ENCODE_ANY);
    struct wire_buf *b = &r->copy[PGCOPY_ALERT_CHANGE];
    put_place(b, origin, seq, at);
    const char *texts[] = {a.id,
                           NULL,
                           a.node,
                           a.rule,
                           a.article,
                           alert_light_name(a.light),
                           alert_light_name(a.finding),
                           alert_state_name(a.state),
                           a.dept,
                           a.item,
                           a.subject_kind,
                           a.subject};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        put_tab(b);
        if (texts[i])
            put_cstr(b, texts[i]);
        else
            put_u64(b, alert_changes(&a)); /* the column after the id */
    }
    put_tab(b);
    put_time(b, a.raised_ms);
    put_tab(b);
    if (a.queue[0])
        put_cstr(b, a.queue);
    else
        put_null(b);
    const int64_t times[] = {a.answer_due_ms, a.responded_ms, a.corrected_ms, a.closed_ms};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        put_tab(b);
        put_time(b, times[i]);
    }
    put_tab(b);
    put_u64(b, a.feedback_steps);
    put_tab(b);
    put_cstr(b, a.detail);
    put_tab(b);
    put_json(b, ledger ? ledger : "[]");
    end_row(r, PGCOPY_ALERT_CHANGE);
    note_month(r, PGCOPY_ALERT_CHANGE, pgcopy_month_of_ms(at));
    free(ledger);
    json_decref(whole);
    free(text);
}

static void
add_counters(struct pgcopy_rows *r, const char *origin, uint64_t seq, int64_t at,
             const wire_obj_t *m)
{
    char date[16];
    int64_t day;
    uint64_t version;
    /* a sheet that counts nowhere at the tiers (counter_apply) counts nowhere here either */
    if (counter_record_check(m, node_number(origin)) != 0 ||
        wire_obj_get_text(m, "day", date, sizeof date) != 0 ||
        calendar_parse_date(date, strlen(date), &day) != 0 ||
        wire_obj_get_uint(m, "version", &version) != 0)
        return;
    struct wire_buf *b = &r->copy[PGCOPY_COUNTER_SHEET];
    put_place(b, origin, seq, at);
    put_tab(b);
    put_cstr(b, date);
    put_tab(b);
    put_u64(b, version);
    end_row(r, PGCOPY_COUNTER_SHEET);
    note_month(r, PGCOPY_COUNTER_SHEET, pgcopy_month_of_day(day));
    const wire_obj_t *rows = wire_obj_get(m, "rows");
    b = &r->copy[PGCOPY_COUNTER_ROW];
    for (uint32_t i = 0; i < wire_obj_size(rows); i++) {
        const wire_obj_t *row = wire_obj_at(rows, i);
        size_t dl, cl;
        const char *dept = wire_obj_bytes(wire_obj_at(row, 0), &dl);
        const char *cat = wire_obj_bytes(wire_obj_at(row, 1), &cl);
        put_cstr(b, origin);
        put_tab(b);
        put_cstr(b, date);
        put_tab(b);
        put_u64(b, version);
        put_tab(b);
        put_text(b, dept, dl);
        put_tab(b);
        put_text(b, cat, cl);
        /* 11 counts; a sheet from before `escalated` has 10 and reads it as 0 (counter.h) */
        for (uint32_t f = 0; f < 11; f++) {
            put_tab(b);
            put_u64(b, 2 + f < wire_obj_size(row) ? wire_obj_uint(wire_obj_at(row, 2 + f)) : 0);
        }
        end_row(r, PGCOPY_COUNTER_ROW);
    }
    if (wire_obj_size(rows))
        note_month(r, PGCOPY_COUNTER_ROW, pgcopy_month_of_day(day));
}

static void
add_audit(struct pgcopy_rows *r, const char *origin, uint64_t seq, int64_t at, const wire_obj_t *m)
{
    uint64_t n, record_seq;
    const char *prev, *sig;
    size_t prev_len, sig_len;
    if (wire_obj_get_uint(m, "n", &n) != 0 || wire_obj_get_uint(m, "seq", &record_seq) != 0 ||
        wire_obj_get_bytes(m, "prev", WIRE_BIN, &prev, &prev_len) != 0 ||
        wire_obj_get_bytes(m, "sig", WIRE_BIN, &sig, &sig_len) != 0)
        return;
    struct wire_buf *b = &r->copy[PGCOPY_AUDIT_ENTRY];
    put_place(b, origin, seq, at);
    put_tab(b);
    put_u64(b, n);
    put_tab(b);
    put_bytea(b, prev, prev_len);
    static const char *const texts[] = {"operator", "role", "action", "record"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        put_tab(b);
        put_field(b, m, texts[i]);
    }
    put_tab(b);
    put_u64(b, record_seq);
    put_tab(b);
    put_field(b, m, "outcome");
    put_tab(b);
    put_field(b, m, "request");
    put_tab(b);
    put_bytea(b, sig, sig_len);
    end_row(r, PGCOPY_AUDIT_ENTRY);
    note_month(r, PGCOPY_AUDIT_ENTRY, pgcopy_month_of_ms(at));
}

/* The `record` row of bytes that are no record: kept, in hex, at the earliest instant. */
static void
add_undecodable(struct pgcopy_rows *r, const char *origin, uint64_t seq, const void *rec,
                size_t len)
{
    struct wire_buf *b = &r->copy[PGCOPY_RECORD];
    put_place(b, origin, seq, TIMESTAMP_MIN_MS);
    put_tab(b);
    put_cstr(b, "undecodable");
    put_tab(b);
    put_cstr(b, "");
    for (int i = 0; i < 4; i++) {
        put_tab(b);
        put_null(b);
    }
    put_tab(b);
    wire_buf_append(b, "{\"bytes\": \"", 11);
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        char h[2] = {hex[((const uint8_t *)rec)[i] >> 4], hex[((const uint8_t *)rec)[i] & 15]};
        wire_buf_append(b, h, 2);
    }
    wire_buf_append(b, "\"}", 2);
    end_row(r, PGCOPY_RECORD);
    note_month(r, PGCOPY_RECORD, pgcopy_month_of_ms(TIMESTAMP_MIN_MS));
}

static bool
type_is(const char *type, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(type, want, len) == 0;
}

int
pgcopy_rows_add(struct pgcopy_rows *r, uint32_t origin, uint64_t seq, const void *record,
                size_t len)
{
    char node[NODE_LEN + 1];
    node_format(origin, node);
    wire_reader_t *rd = NULL;
    const wire_obj_t *m;
    const char *type, *id;
    size_t tl, il;
    int64_t at;
    if (wire_decode_one(record, len, &rd, &m) != 0 || wire_obj_type(m) != WIRE_MAP ||
        wire_obj_get_bytes(m, "type", WIRE_STR, &type, &tl) != 0 ||
        wire_obj_get_bytes(m, "id", WIRE_STR, &id, &il) != 0 ||
        wire_obj_get_int(m, "at", &at) != 0 || at < TIMESTAMP_MIN_MS || at >= TIMESTAMP_MAX_MS) {
        wire_reader_destroy(&rd);
        add_undecodable(r, node, seq, record, len);
        return 1;
    }
    if (type_is(type, tl, "batch")) {
        wire_reader_destroy(&rd);
        return 0;
    }
    struct wire_buf *b = &r->copy[PGCOPY_RECORD];
    put_place(b, node, seq, at);
    put_tab(b);
    put_text(b, type, tl);
    put_tab(b);
    put_text(b, id, il);
    static const char *const fields[] = {"dept", "case", "item", "alert"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        put_tab(b);
        put_field(b, m, fields[i]);
    }
    put_tab(b);
    char *json = event_record_to_json(record, len);
    put_json(b, json ? json : "{}");
    free(json);
    end_row(r, PGCOPY_RECORD);
    note_month(r, PGCOPY_RECORD, pgcopy_month_of_ms(at));
    if (type_is(type, tl, "alert"))
        add_alert(r, node, seq, at, m);
    else if (type_is(type, tl, "counters"))
        add_counters(r, node, seq, at, m);
    else if (type_is(type, tl, "audit"))
        add_audit(r, node, seq, at, m);
    wire_reader_destroy(&rd);
    return 1;
}
