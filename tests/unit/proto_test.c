#include "testutil.h"

#include "err.h"
#include "proto.h"

static void
every_message_round_trips(void **state)
{
    (void)state;
    struct wire_buf b;
    wire_buf_init(&b);
    struct proto_hello h = {PROTO_VERSION, "510104", "0123456789abcdef", 1793581200000LL}, h2;
    proto_hello_encode(&h, &b);
    assert_int_equal(proto_hello_decode(b.data, b.len, &h2), 0);
    assert_string_equal(h2.node, "510104");
    assert_string_equal(h2.key_id, "0123456789abcdef");
    assert_int_equal(h2.sent_ms, 1793581200000LL);

    struct proto_welcome w = {PROTO_VERSION, "510100", PROTO_MODE_ROLLUP, 42, {1, 2, 3}}, w2;
    wire_buf_reset(&b);
    proto_welcome_encode(&w, &b);
    assert_int_equal(proto_welcome_decode(b.data, b.len, &w2), 0);
    assert_int_equal(w2.last_seq, 42);
    assert_string_equal(w2.mode, PROTO_MODE_ROLLUP);
    assert_memory_equal(w2.last_hash, w.last_hash, SIGN_HASH_BYTES);

    struct proto_nack n = {7, "gap", "expected batch 5", false, 5}, n2;
    wire_buf_reset(&b);
    proto_nack_encode(&n, &b);
    assert_int_equal(proto_nack_decode(b.data, b.len, &n2), 0);
    assert_string_equal(n2.code, "gap");
    assert_int_equal(n2.expected, 5);
    assert_false(n2.permanent);

    struct proto_ack a = {99}, a2;
    wire_buf_reset(&b);
    proto_ack_encode(&a, &b);
    assert_int_equal(proto_ack_decode(b.data, b.len, &a2), 0);
    assert_int_equal(a2.seq, 99);

    struct proto_ping p = {1793581200000LL, 77, {7}, true}, p2;
    wire_buf_reset(&b);
    proto_ping_encode(&p, &b);
    assert_int_equal(proto_ping_decode(b.data, b.len, &p2), 0);
    assert_int_equal(p2.sealed, 77);
    assert_int_equal(p2.sent_ms, p.sent_ms);

    struct proto_refuse r = {"unknown node"}, r2;
    wire_buf_reset(&b);
    proto_refuse_encode(&r, &b);
    assert_int_equal(proto_refuse_decode(b.data, b.len, &r2), 0);
    assert_string_equal(r2.reason, "unknown node");
    wire_buf_fini(&b);
}

static void
bad_bodies_and_commands_are_decode_errors(void **state)
{
    (void)state;
    struct wire_buf b;
    wire_buf_init(&b);
    struct proto_hello h = {PROTO_VERSION, "51010", "0123456789abcdef", 0}, h2;
    proto_hello_encode(&h, &b); /* node of 5 digits */
    assert_int_equal(proto_hello_decode(b.data, b.len, &h2), ERR_DECODE);
    /* six bytes, but not six digits: a NUL or a control byte never reaches a log line */
    static const char *const bad_nodes[] = {"5101\x01\x34", "51\n104", "abcdef"}; /* \x34 is "4" */
    for (size_t i = 0; i < 3; i++) {
        wire_buf_reset(&b);
        memcpy(h.node, bad_nodes[i], 7);
        proto_hello_encode(&h, &b);
        assert_int_equal(proto_hello_decode(b.data, b.len, &h2), ERR_DECODE);
    }
    struct proto_ack a;
    assert_int_equal(proto_ack_decode("\x91\x01", 2, &a), ERR_DECODE);
    assert_int_equal(proto_ack_decode("", 0, &a), ERR_DECODE);
    enum proto_cmd cmd;
    assert_int_equal(proto_cmd_parse("BATCH", 5, &cmd), 0);
    assert_int_equal(cmd, PROTO_BATCH);
    assert_int_equal(proto_cmd_parse("BATCHX", 6, &cmd), ERR_DECODE);
    assert_int_equal(proto_cmd_parse("BATC", 4, &cmd), ERR_DECODE);
    wire_buf_fini(&b);
}

/* A peer's NACK whose reason is longer than ours (or names no expected batch) is still read: the
 * reason cut at a character boundary, not lost as "unexpected answer". */
static void
a_long_reason_is_cut_not_refused(void **state)
{
    (void)state;
    char reason[400];
    size_t n = 0;
    while (n + 3 < sizeof reason - 1) {
        memcpy(reason + n, "证", 3); /* three bytes each: a cut may fall inside one */
        n += 3;
    }
    reason[n] = '\0';
    struct wire_buf b;
    wire_buf_init(&b);
    wire_put_map(&b, 4);
    wire_put_cstr(&b, "seq");
    wire_put_uint(&b, 3);
    wire_put_cstr(&b, "code");
    wire_put_cstr(&b, "malformed");
    wire_put_cstr(&b, "reason");
    wire_put_cstr(&b, reason);
    wire_put_cstr(&b, "permanent");
    wire_put_bool(&b, true);
    struct proto_nack got;
    assert_int_equal(proto_nack_decode(b.data, b.len, &got), 0);
    assert_int_equal(got.expected, 0);
    assert_true(got.permanent);
    size_t len = strlen(got.reason);
    assert_true(len < sizeof got.reason && len > 0);
    assert_int_equal(len % 3, 0); /* whole characters only */
    assert_memory_equal(got.reason, reason, len);
    wire_buf_fini(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_message_round_trips),
        cmocka_unit_test(bad_bodies_and_commands_are_decode_errors),
        cmocka_unit_test(a_long_reason_is_cut_not_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
