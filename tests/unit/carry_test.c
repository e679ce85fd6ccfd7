/* carry: a wrapped batch opens to exactly what was wrapped; a rollup keeps every record but the
 * business events and says so; a record missing a field does not open. */
#include "testutil.h"

#include "batch.h"
#include "carry.h"
#include "err.h"
#include "node.h"

static void
record(struct wire_buf *payload, uint64_t seq, const char *type)
{
    struct wire_buf r;
    wire_buf_init(&r);
    wire_put_map(&r, 1);
    wire_put_cstr(&r, "type");
    wire_put_cstr(&r, type);
    batch_payload_add(payload, seq, 0, r.data, r.len);
    wire_buf_fini(&r);
}

/* Opens a wrapped record (the reader kept in *rr for the fields' lifetime). */
static int
open_wrapped(const struct wire_buf *w, wire_reader_t **rr, struct carry *c)
{
    const wire_obj_t *m;
    assert_int_equal(wire_decode_one(w->data, w->len, rr, &m), 0);
    const char *type;
    size_t tl;
    assert_int_equal(wire_obj_get_bytes(m, "type", WIRE_STR, &type, &tl), 0);
    assert_memory_equal(type, "batch", 5);
    return carry_open(m, 99, c);
}

static void
a_wrapped_batch_opens_to_what_was_wrapped(void **state)
{
    (void)state;
    struct wire_buf payload, w;
    wire_buf_init(&payload);
    wire_buf_init(&w);
    record(&payload, 1, "case.accept");
    record(&payload, 2, "alert");
    struct carry in = {510104, "HDR", "KEYID", "SIG", payload.data, 3, 5, 3, payload.len,
                       1793581200000LL, false},
                 out;
    carry_wrap(&in, 510100, 7, false, &w);
    wire_reader_t *rr = NULL;
    assert_int_equal(open_wrapped(&w, &rr, &out), 0);
    assert_int_equal(out.origin, 510104);
    assert_int_equal(out.accepted_ms, 1793581200000LL);
    assert_false(out.filtered);
    assert_int_equal(out.header_len, 3);
    assert_memory_equal(out.header, "HDR", 3);
    assert_memory_equal(out.key_id, "KEYID", 5);
    assert_memory_equal(out.sig, "SIG", 3);
    assert_int_equal(out.payload_len, payload.len);
    assert_memory_equal(out.payload, payload.data, payload.len);
    wire_reader_destroy(&rr);
    wire_buf_fini(&payload);
    wire_buf_fini(&w);
}

static void
a_rollup_keeps_everything_but_business_events(void **state)
{
    (void)state;
    struct wire_buf payload, w;
    wire_buf_init(&payload);
    wire_buf_init(&w);
    record(&payload, 1, "case.accept");
    record(&payload, 2, "alert");
    record(&payload, 3, "case.decision");
    record(&payload, 4, "counters");
    struct carry in = {510104, "H", "K", "S", payload.data, 1, 1, 1, payload.len, 5, false}, out;
    carry_wrap(&in, 510100, 1, true, &w);
    wire_reader_t *rr = NULL;
    assert_int_equal(open_wrapped(&w, &rr, &out), 0);
    assert_true(out.filtered);
    wire_reader_t *r = wire_reader_new(out.payload, out.payload_len);
    uint64_t seq, seen[4];
    unsigned kind;
    const void *rec;
    size_t len, n = 0;
    while (batch_payload_next(r, &seq, &kind, &rec, &len) == 0)
        seen[n++ % 4] = seq;
    assert_int_equal(n, 2);
    assert_int_equal(seen[0], 2);
    assert_int_equal(seen[1], 4);
    wire_reader_destroy(&r);
    wire_reader_destroy(&rr);
    wire_buf_fini(&payload);
    wire_buf_fini(&w);
}

static void
a_record_missing_a_field_does_not_open(void **state)
{
    (void)state;
    struct wire_buf w;
    wire_buf_init(&w);
    wire_put_map(&w, 3);
    wire_put_cstr(&w, "type");
    wire_put_cstr(&w, "batch");
    wire_put_cstr(&w, "origin");
    wire_put_cstr(&w, "510104");
    wire_put_cstr(&w, "header");
    wire_put_bin(&w, "H", 1);
    wire_reader_t *rr = NULL;
    struct carry out;
    assert_int_equal(open_wrapped(&w, &rr, &out), ERR_DECODE);
    wire_reader_destroy(&rr);
    wire_buf_fini(&w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_wrapped_batch_opens_to_what_was_wrapped),
        cmocka_unit_test(a_rollup_keeps_everything_but_business_events),
        cmocka_unit_test(a_record_missing_a_field_does_not_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
