#include "testutil.h"

#include "alert.h"
#include "event.h"
#include "pgcopy.h"
#include "timestamp.h"
#include "wire.h"

/* The columns of the only row of table t, split at tabs (a NUL-terminated copy each). */
struct cols {
    char *v[32];
    size_t n;
};

static void
row_cols(const struct pgcopy_rows *r, enum pgcopy_table t, size_t line, struct cols *c)
{
    const char *p = (const char *)r->copy[t].data, *end = p + r->copy[t].len;
    for (size_t i = 0; i < line; i++)
        p = memchr(p, '\n', (size_t)(end - p)) + 1;
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    assert_non_null(eol);
    c->n = 0;
    for (const char *q = p;;) {
        const char *tab = memchr(q, '\t', (size_t)(eol - q));
        const char *stop = tab ? tab : eol;
        c->v[c->n++] = strndup(q, (size_t)(stop - q));
        if (!tab)
            break;
        q = tab + 1;
    }
}

static void
cols_free(struct cols *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i]);
}

/* Fresh rows holding the one record of b, stored at origin/seq. */
static void
rows_of(struct pgcopy_rows *r, uint32_t origin, uint64_t seq, const struct wire_buf *b)
{
    pgcopy_rows_init(r);
    assert_int_equal(pgcopy_rows_add(r, origin, seq, b->data, b->len), 1);
    assert_int_equal(r->lines[PGCOPY_RECORD], 1);
}

/* One canonical event of node 510104 from its JSON. */
static void
canonical(const char *json, struct event_set *set)
{
    event_set_init(set);
    assert_int_equal(event_parse_message(json, strlen(json), "510104", set), 0);
    assert_int_equal(set->n_entries, 1);
}

static void
a_business_event_is_one_record_row_with_its_fields(void **state)
{
    (void)state;
    struct event_set set;
    canonical(
        "{\"type\":\"case.accept\",\"id\":\"e1\",\"case\":\"C1\",\"item\":\"SC-XK-0101-510104\","
        "\"dept\":\"SCJGJ\",\"handler\":\"h1\",\"at\":\"2026-11-02T09:00:00+08:00\"}",
        &set);
    struct pgcopy_rows r;
    pgcopy_rows_init(&r);
    assert_int_equal(
        pgcopy_rows_add(&r, 510104, 7, set.records.data + set.entries[0].off, set.entries[0].len),
        1);
    assert_int_equal(r.lines[PGCOPY_RECORD], 1);
    for (int t = PGCOPY_ALERT_CHANGE; t < PGCOPY_TABLES_; t++)
        assert_int_equal(r.lines[t], 0);
    struct cols c;
    row_cols(&r, PGCOPY_RECORD, 0, &c);
    assert_int_equal(c.n, 10);
    assert_string_equal(c.v[0], "510104");
    assert_string_equal(c.v[1], "7");
    assert_string_equal(c.v[2], "2026-11-02T09:00:00.000+08:00");
    assert_string_equal(c.v[3], "case.accept");
    assert_string_equal(c.v[4], "e1");
    assert_string_equal(c.v[5], "SCJGJ");
    assert_string_equal(c.v[6], "C1");
    assert_string_equal(c.v[7], "SC-XK-0101-510104");
    assert_string_equal(c.v[8], "\\N"); /* no alert */
    /* the body is the record as `query events --json` prints it */
    char *json = event_record_to_json(set.records.data, set.entries[0].len);
    assert_string_equal(c.v[9], json);
    free(json);
    cols_free(&c);
    /* the month it goes to */
    assert_int_equal(r.n_months, 1);
    assert_int_equal(r.months[0], PGCOPY_RECORD * 1000000 + 202611);
    pgcopy_rows_fini(&r);
    event_set_fini(&set);
}

/* A record map with the common fields and one text field of the given bytes. */
static void
record_with(struct wire_buf *b, const char *type, const char *key, const char *text, size_t len)
{
    wire_put_map(b, 5);
    wire_put_cstr(b, "type");
    wire_put_cstr(b, type);
    wire_put_cstr(b, "id");
    wire_put_cstr(b, "x1");
    wire_put_cstr(b, "at");
    wire_put_int(b, 1793581200000LL); /* 2026-11-02 09:00 +08:00 */
    wire_put_cstr(b, "node");
    wire_put_cstr(b, "510104");
    wire_put_cstr(b, key);
    wire_put_str(b, text, len);
}

static void
text_is_escaped_for_copy_and_made_valid_utf8(void **state)
{
    (void)state;
    struct wire_buf b;
    wire_buf_init(&b);
    /* tab, newline, CR, backslash, a NUL, a byte that is no UTF-8, and 中 */
    static const char dept[] = "a\tb\nc\rd\\e\0f\xffg\xe4\xb8\xad";
    static const char text[] = "a\0b";
    record_with(&b, "case.note", "dept", dept, sizeof dept - 1);
    struct pgcopy_rows r;
    pgcopy_rows_init(&r);
    assert_int_equal(pgcopy_rows_add(&r, 510104, 1, b.data, b.len), 1);
    struct cols c;
    row_cols(&r, PGCOPY_RECORD, 0, &c);
    assert_int_equal(c.n, 10);
    assert_string_equal(c.v[5], "a\\tb\\nc\\rd\\\\e\xef\xbf\xbd"
                                "f\xef\xbf\xbdg\xe4\xb8\xad");
    cols_free(&c);
    /* jsonb refuses \u0000: a NUL in valid text says U+FFFD in the body instead */
    wire_buf_reset(&b);
    pgcopy_rows_reset(&r);
    record_with(&b, "case.note", "text", text, sizeof text - 1);
    assert_int_equal(pgcopy_rows_add(&r, 510104, 2, b.data, b.len), 1);
    row_cols(&r, PGCOPY_RECORD, 0, &c);
    assert_null(strstr(c.v[9], "u0000"));
    assert_non_null(strstr(c.v[9], "\"text\":\"a\\\\ufffdb\""));
    cols_free(&c);
    pgcopy_rows_fini(&r);
    wire_buf_fini(&b);
}

static void
an_alert_change_has_its_state_and_ledger(void **state)
{
    (void)state;
    struct alert a;
    memset(&a, 0, sizeof a);
    snprintf(a.node, sizeof a.node, "510104");
    snprintf(a.rule, sizeof a.rule, "limit.case");
    snprintf(a.article, sizeof a.article, "11");
    snprintf(a.dept, sizeof a.dept, "SCJGJ");
    snprintf(a.item, sizeof a.item, "SC-XK-0101-510104");
    snprintf(a.subject_kind, sizeof a.subject_kind, "case");
    snprintf(a.subject, sizeof a.subject, "C1");
    snprintf(a.detail, sizeof a.detail, "late");
    alert_make_id(&a);
    a.raised_ms = 1793581200000LL;
    a.light = a.finding = ALERT_YELLOW;
    alert_log(&a, a.raised_ms, ALERT_RAISED, ALERT_YELLOW);
    a.light = a.finding = ALERT_RED;
    alert_log(&a, a.raised_ms + 86400000, ALERT_ESCALATED, ALERT_RED);
    snprintf(a.queue, sizeof a.queue, "510100");
    struct wire_buf b;
    wire_buf_init(&b);
    alert_record_encode(&a, &b);
    struct pgcopy_rows r;
    rows_of(&r, 510104, 3, &b);
    assert_int_equal(r.lines[PGCOPY_ALERT_CHANGE], 1);
    struct cols c;
    row_cols(&r, PGCOPY_ALERT_CHANGE, 0, &c);
    assert_int_equal(c.n, 24);
    assert_string_equal(c.v[0], "510104");
    assert_string_equal(c.v[1], "3");
    assert_string_equal(c.v[3], a.id);
    assert_string_equal(c.v[4], "2"); /* changes */
    assert_string_equal(c.v[6], "limit.case");
    assert_string_equal(c.v[8], "red");
    assert_string_equal(c.v[10], "open");
    assert_string_equal(c.v[15], "2026-11-02T09:00:00.000+08:00"); /* raised */
    assert_string_equal(c.v[16], "510100");                        /* queue */
    assert_string_equal(c.v[17], "\\N");                           /* no answer due */
    assert_non_null(strstr(c.v[23], "\"action\":\"raised\""));
    assert_non_null(strstr(c.v[23], "\"action\":\"escalated\""));
    cols_free(&c);
    pgcopy_rows_fini(&r);
    wire_buf_fini(&b);
}

/* A counter sheet of 510104 for 2026-11-30 with two rows, one of the older 12-entry form. */
static void
sheet(struct wire_buf *b)
{
    wire_put_map(b, 7);
    wire_put_cstr(b, "type");
    wire_put_cstr(b, "counters");
    wire_put_cstr(b, "id");
    wire_put_cstr(b, "counters/510104/2026-11-30/9");
    wire_put_cstr(b, "at");
    wire_put_int(b, 1793581200000LL);
    wire_put_cstr(b, "node");
    wire_put_cstr(b, "510104");
    wire_put_cstr(b, "day");
    wire_put_cstr(b, "2026-11-30");
    wire_put_cstr(b, "version");
    wire_put_uint(b, 9);
    wire_put_cstr(b, "rows");
    wire_put_array(b, 2);
    wire_put_array(b, 13);
    wire_put_cstr(b, "SCJGJ");
    wire_put_cstr(b, "licensing");
    for (uint64_t i = 1; i <= 11; i++)
        wire_put_uint(b, i);
    wire_put_array(b, 12);
    wire_put_cstr(b, "SWJ");
    wire_put_cstr(b, "levy");
    for (uint64_t i = 1; i <= 10; i++)
        wire_put_uint(b, 10 * i);
}

static void
a_counter_sheet_has_its_sheet_row_and_count_rows(void **state)
{
    (void)state;
    struct wire_buf b;
    wire_buf_init(&b);
    sheet(&b);
    struct pgcopy_rows r;
    rows_of(&r, 510104, 9, &b);
    assert_int_equal(r.lines[PGCOPY_COUNTER_SHEET], 1);
    assert_int_equal(r.lines[PGCOPY_COUNTER_ROW], 2);
    struct cols c;
    row_cols(&r, PGCOPY_COUNTER_SHEET, 0, &c);
    assert_int_equal(c.n, 5);
    assert_string_equal(c.v[3], "2026-11-30");
    assert_string_equal(c.v[4], "9");
    cols_free(&c);
    row_cols(&r, PGCOPY_COUNTER_ROW, 0, &c);
    assert_int_equal(c.n, 16);
    assert_string_equal(c.v[3], "SCJGJ");
    assert_string_equal(c.v[4], "licensing");
    assert_string_equal(c.v[5], "1");
    assert_string_equal(c.v[15], "11");
    cols_free(&c);
    row_cols(&r, PGCOPY_COUNTER_ROW, 1, &c);
    assert_string_equal(c.v[14], "100"); /* complaints */
    assert_string_equal(c.v[15], "0");   /* escalated, not counted then */
    cols_free(&c);
    /* a sheet of another node in this origin's log counts nowhere, as at the tiers */
    pgcopy_rows_reset(&r);
    assert_int_equal(pgcopy_rows_add(&r, 510105, 9, b.data, b.len), 1);
    assert_int_equal(r.lines[PGCOPY_COUNTER_SHEET], 0);
    pgcopy_rows_fini(&r);
    wire_buf_fini(&b);
}

static void
an_audit_entry_keeps_its_hash_and_signature_as_bytes(void **state)
{
    (void)state;
    struct wire_buf b;
    wire_buf_init(&b);
    uint8_t prev[32], sig[64];
    memset(prev, 0xab, sizeof prev);
    memset(sig, 0x01, sizeof sig);
    wire_put_map(&b, 14);
    const char *texts[][2] = {
        {"type", "audit"},     {"id", "audit-4"},      {"node", "510000"},
        {"operator", "zhang"}, {"role", "supervisor"}, {"action", "alert.close"},
        {"record", "r1"},      {"outcome", "stored"},  {"request", "{\"x\":1}"}};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        wire_put_cstr(&b, texts[i][0]);
        wire_put_cstr(&b, texts[i][1]);
    }
    wire_put_cstr(&b, "at");
    wire_put_int(&b, 1793581200000LL);
    wire_put_cstr(&b, "n");
    wire_put_uint(&b, 4);
    wire_put_cstr(&b, "seq");
    wire_put_uint(&b, 12);
    wire_put_cstr(&b, "prev");
    wire_put_bin(&b, prev, sizeof prev);
    wire_put_cstr(&b, "sig");
    wire_put_bin(&b, sig, sizeof sig);
    struct pgcopy_rows r;
    rows_of(&r, 510000, 20, &b);
    assert_int_equal(r.lines[PGCOPY_AUDIT_ENTRY], 1);
    struct cols c;
    row_cols(&r, PGCOPY_AUDIT_ENTRY, 0, &c);
    assert_int_equal(c.n, 13);
    assert_string_equal(c.v[3], "4");
    assert_int_equal(strlen(c.v[4]), 3 + 64);
    assert_memory_equal(c.v[4], "\\\\xabab", 7);
    assert_string_equal(c.v[5], "zhang");
    assert_string_equal(c.v[9], "12");
    assert_string_equal(c.v[11], "{\"x\":1}");
    assert_memory_equal(c.v[12], "\\\\x0101", 7);
    cols_free(&c);
    pgcopy_rows_fini(&r);
    wire_buf_fini(&b);
}

static void
a_carried_batch_is_not_copied_and_bytes_that_are_no_record_are(void **state)
{
    (void)state;
    struct wire_buf b;
    wire_buf_init(&b);
    record_with(&b, "batch", "origin", "510104", 6);
    struct pgcopy_rows r;
    pgcopy_rows_init(&r);
    assert_int_equal(pgcopy_rows_add(&r, 510100, 5, b.data, b.len), 0);
    assert_int_equal(r.lines[PGCOPY_RECORD], 0);
    /* no record is left out: bytes that do not decode keep their place, in hex */
    assert_int_equal(pgcopy_rows_add(&r, 510100, 6, "\xc1\x00", 2), 1);
    struct cols c;
    row_cols(&r, PGCOPY_RECORD, 0, &c);
    assert_string_equal(c.v[1], "6");
    assert_string_equal(c.v[3], "undecodable");
    assert_string_equal(c.v[9], "{\"bytes\": \"c100\"}");
    cols_free(&c);
    pgcopy_rows_fini(&r);
    wire_buf_fini(&b);
}

static void
months_are_china_local_and_partitions_cover_one_each(void **state)
{
    (void)state;
    /* 2026-11-30T16:00:00Z is 2026-12-01 00:00 in China */
    assert_int_equal(pgcopy_month_of_ms(1796054400000LL - 1), 202611);
    assert_int_equal(pgcopy_month_of_ms(1796054400000LL), 202612);
    assert_int_equal(pgcopy_month_of_day(timestamp_days_from_civil(2027, 1, 31)), 202701);
    char sql[512];
    pgcopy_partition_sql(PGCOPY_RECORD, 202612, sql, sizeof sql);
    assert_string_equal(sql, "CREATE TABLE IF NOT EXISTS jiancha.record_y2026m12 PARTITION OF "
                             "jiancha.record FOR VALUES FROM ('2026-12-01 00:00:00+08') TO "
                             "('2027-01-01 00:00:00+08')");
    pgcopy_partition_sql(PGCOPY_COUNTER_ROW, 202602, sql, sizeof sql);
    assert_string_equal(sql, "CREATE TABLE IF NOT EXISTS jiancha.counter_row_y2026m02 PARTITION "
                             "OF jiancha.counter_row FOR VALUES FROM ('2026-02-01') TO "
                             "('2026-03-01')");
    pgcopy_copy_sql(PGCOPY_COUNTER_SHEET, sql, sizeof sql);
    assert_string_equal(sql, "COPY jiancha.counter_sheet (node, seq, at, day, version) FROM "
                             "STDIN");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_business_event_is_one_record_row_with_its_fields),
        cmocka_unit_test(text_is_escaped_for_copy_and_made_valid_utf8),
        cmocka_unit_test(an_alert_change_has_its_state_and_ledger),
        cmocka_unit_test(a_counter_sheet_has_its_sheet_row_and_count_rows),
        cmocka_unit_test(an_audit_entry_keeps_its_hash_and_signature_as_bytes),
        cmocka_unit_test(a_carried_batch_is_not_copied_and_bytes_that_are_no_record_are),
        cmocka_unit_test(months_are_china_local_and_partitions_cover_one_each),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
