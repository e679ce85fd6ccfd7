#include "testutil.h"

#include "err.h"
#include "event.h"
#include "wire.h"

#include <jansson.h>

#define NODE "510104"

static struct event_set set;

static int
setup(void **state)
{
    (void)state;
    event_set_init(&set);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    event_set_fini(&set);
    return 0;
}

static void
parse(const char *text)
{
    assert_int_equal(event_parse_message(text, strlen(text), NODE, &set), 0);
}

static void
parse_len(const void *text, size_t len)
{
    assert_int_equal(event_parse_message(text, len, NODE, &set), 0);
}

static void
expect_reject(const char *text, const char *field, const char *reason_part)
{
    parse(text);
    assert_int_equal(set.n_entries, 0);
    assert_int_equal(set.n_rejects, 1);
    assert_string_equal(set.rejects[0].field, field);
    if (!strstr(set.rejects[0].reason, reason_part))
        fail_msg("reason \"%s\" lacks \"%s\"", set.rejects[0].reason, reason_part);
}

static void
every_valid_vector_is_accepted_and_round_trips(void **state)
{
    (void)state;
    size_t n;
    char **lines = testutil_lines("events-valid.jsonl", &n);
    assert_int_equal(n, 25);
    for (size_t i = 0; i < n; i++) {
        parse(lines[i]);
        if (set.n_entries != 1)
            fail_msg("vector %zu rejected: %s: %s", i, set.rejects[0].field, set.rejects[0].reason);
        struct wire_buf first;
        wire_buf_init(&first);
        wire_buf_append(&first, set.records.data, set.entries[0].len);
        /* canonical -> JSON -> canonical gives the same bytes */
        char *json = event_record_to_json(first.data, first.len);
        assert_non_null(json);
        parse(json);
        assert_int_equal(set.n_entries, 1);
        assert_int_equal(set.entries[0].len, first.len);
        assert_memory_equal(set.records.data, first.data, first.len);
        free(json);
        wire_buf_fini(&first);
    }
    testutil_free_lines(lines);
}

static void
a_missing_required_field_is_named(void **state)
{
    (void)state;
    size_t n;
    char **lines = testutil_lines("events-valid.jsonl", &n);
    for (size_t i = 0; i < n; i++) {
        json_t *obj = json_loads(lines[i], 0, NULL);
        assert_non_null(obj);
        const char *names[16];
        int k = event_required_fields(json_string_value(json_object_get(obj, "type")), names, 16);
        assert_true(k > 0);
        names[k++] = "id";
        names[k++] = "at";
        for (int f = 0; f < k; f++) {
            json_t *copy = json_deep_copy(obj);
            json_object_del(copy, names[f]);
            char *text = json_dumps(copy, JSON_COMPACT);
            expect_reject(text, names[f], "required field is missing");
            free(text);
            json_decref(copy);
        }
        json_decref(obj);
    }
    testutil_free_lines(lines);
}

static void
wrong_types_and_values_are_named_with_a_reason(void **state)
{
    (void)state;
    const char *accept =
        "{\"type\":\"case.accept\",\"id\":\"x\",\"at\":\"2026-11-02T09:00:00+08:00\","
        "\"case\":\"C\",\"item\":\"I\",\"dept\":\"D\",\"handler\":";
    char buf[512];
    snprintf(buf, sizeof buf, "%s 42}", accept);
    expect_reject(buf, "handler", "must be a string");
    snprintf(buf, sizeof buf, "%s \"\"}", accept);
    expect_reject(buf, "handler", "must not be empty");
    snprintf(buf, sizeof buf, "%s \"%s\"}", accept,
             "0123456789012345678901234567890123456789012345678901234567890123456789");
    expect_reject(buf, "handler", "longer than 64 bytes");
    snprintf(buf, sizeof buf, "%s \"a\\u0001b\"}", accept);
    expect_reject(buf, "handler", "control character");
    expect_reject(
        "{\"type\":\"rating\",\"id\":\"x\",\"at\":1793581200000,\"case\":\"C\",\"rating\":\"5\"}",
        "rating", "1 to 5");
    expect_reject(
        "{\"type\":\"rating\",\"id\":\"x\",\"at\":1793581200000,\"case\":\"C\",\"rating\":6}",
        "rating", "1 to 5");
    expect_reject("{\"type\":\"case.execution\",\"id\":\"x\",\"at\":1793581200000,\"case\":\"C\","
                  "\"amount\":12.345}",
                  "amount", "two decimals");
    expect_reject("{\"type\":\"case.execution\",\"id\":\"x\",\"at\":1793581200000,\"case\":\"C\","
                  "\"amount\":-1}",
                  "amount", "out of range");
    expect_reject("{\"type\":\"case.evidence\",\"id\":\"x\",\"at\":1793581200000,\"case\":\"C\","
                  "\"evidence\":\"E\",\"kind\":\"smell\",\"sha256\":\"00\"}",
                  "kind", "one of: video, audio, photo, document");
    expect_reject("{\"type\":\"case.evidence\",\"id\":\"x\",\"at\":1793581200000,\"case\":\"C\","
                  "\"evidence\":\"E\",\"kind\":\"video\",\"sha256\":\"00\"}",
                  "sha256", "64 hexadecimal");
    expect_reject("{\"type\":\"case.extend\",\"id\":\"x\",\"at\":1793581200000,\"case\":\"C\","
                  "\"limit\":{\"n\":5,\"unit\":\"weeks\"},\"approver\":\"L\"}",
                  "limit.unit", "one of: wd, d");
    expect_reject(
        "{\"type\":\"case.step\",\"id\":\"x\",\"at\":\"2026-11-02T09:00:00\",\"case\":\"C\","
        "\"step\":\"s\",\"handler\":\"h\"}",
        "at", "no offset");
    expect_reject("{\"type\":\"case.step\",\"id\":\"x\",\"at\":1793581200,\"case\":\"C\","
                  "\"step\":\"s\",\"handler\":\"h\"}",
                  "at", "before 2000");
    expect_reject("{\"type\":\"case.teleport\",\"id\":\"x\",\"at\":1793581200000}", "type",
                  "unknown event type");
    expect_reject("{\"type\":\"case.close\",\"id\":\"x\",\"at\":1793581200000,\"case\":\"C\","
                  "\"node\":\"510105\"}",
                  "node", "not this collector's node");
    expect_reject("{\"type\":\"case.close\",\"id\":\"x\",\"at\":1793581200000,\"case\":\"C\","
                  "\"node\":\"51\"}",
                  "node", "six-digit");
    expect_reject(
        "{\"type\":\"item.publish\",\"id\":\"x\",\"at\":1793581200000,\"item\":\"I\","
        "\"dept\":\"D\",\"name\":\"n\",\"category\":\"licensing\",\"limits\":{\"promised\":"
        "{\"n\":5,\"unit\":\"wd\"},\"legal\":{\"n\":10,\"unit\":\"wd\"}},\"steps\":[{\"name\":"
        "\"a\"},{\"limit\":{\"n\":1,\"unit\":\"wd\"}}]}",
        "steps[1].name", "required field is missing");
    expect_reject(
        "{\"type\":\"case.close\",\"id\":\"x\",\"id\":\"y\",\"at\":1793581200000,\"case\":\"C\"}",
        "", "duplicate");
    expect_reject("[1]", "", "not an object");
}

static void
unknown_fields_are_kept_and_node_is_filled_in(void **state)
{
    (void)state;
    parse("{\"type\":\"case.close\",\"id\":\"x\",\"at\":1793581200000,\"case\":\"C\",\"x_vendor\":"
          "{\"a\":[1,2]}}");
    assert_int_equal(set.n_entries, 1);
    char *json = event_record_to_json(set.records.data, set.entries[0].len);
    assert_non_null(strstr(json, "\"x_vendor\":{\"a\":[1,2]}"));
    assert_non_null(strstr(json, "\"node\":\"510104\""));
    free(json);
}

static void
money_is_stored_as_exact_fen(void **state)
{
    (void)state;
    parse("{\"type\":\"case.execution\",\"id\":\"x\",\"at\":1793581200000,\"case\":\"C\","
          "\"amount\":0.29}");
    assert_int_equal(set.n_entries, 1);
    wire_reader_t *r = NULL;
    const wire_obj_t *o;
    assert_int_equal(wire_decode_one(set.records.data, set.entries[0].len, &r, &o), 0);
    uint64_t fen;
    assert_int_equal(wire_obj_get_uint(o, "amount", &fen), 0);
    assert_int_equal(fen, 29);
    wire_reader_destroy(&r);
}

static void
one_bad_record_does_not_stop_the_others(void **state)
{
    (void)state;
    const char *msg =
        "{\"type\":\"case.close\",\"id\":\"a\",\"at\":1793581200000,\"case\":\"C\"}\n"
        "\n"
        "{not json\n"
        "{\"type\":\"case.close\",\"id\":\"b\",\"at\":1793581200000}\n"
        "{\"type\":\"case.close\",\"id\":\"c\",\"at\":1793581200000,\"case\":\"C\"}\n";
    parse(msg);
    assert_int_equal(set.n_records, 4);
    assert_int_equal(set.n_entries, 2);
    assert_string_equal(set.entries[0].id, "a");
    assert_int_equal(set.entries[1].index, 3);
    assert_int_equal(set.n_rejects, 2);
    assert_int_equal(set.rejects[0].index, 1);
    assert_non_null(strstr(set.rejects[0].reason, "malformed JSON"));
    assert_int_equal(set.rejects[1].index, 2);
    assert_string_equal(set.rejects[1].field, "case");

    parse("[{\"type\":\"case.close\",\"id\":\"a\",\"at\":1793581200000,\"case\":\"C\"},"
          " {\"type\":\"case.close\",\"id\":\"b\",\"at\":1793581200000}]");
    assert_int_equal(set.n_entries, 1);
    assert_int_equal(set.rejects[0].index, 1);
}

static void
msgpack_input_gives_the_same_record_as_json(void **state)
{
    (void)state;
    parse("{\"type\":\"case.close\",\"id\":\"a\",\"at\":1793581200000,\"case\":\"C\"}");
    struct wire_buf want, mp;
    wire_buf_init(&want);
    wire_buf_init(&mp);
    wire_buf_append(&want, set.records.data, set.entries[0].len);
    wire_put_array(&mp, 2);
    for (int i = 0; i < 2; i++) {
        wire_put_map(&mp, 4);
        wire_put_cstr(&mp, "type");
        wire_put_cstr(&mp, "case.close");
        wire_put_cstr(&mp, "id");
        wire_put_cstr(&mp, "a");
        wire_put_cstr(&mp, "at");
        wire_put_uint(&mp, 1793581200000ULL);
        wire_put_cstr(&mp, i == 0 ? "case" : "kase");
        wire_put_cstr(&mp, "C");
    }
    assert_int_equal(event_parse_message(mp.data, mp.len, NODE, &set), 0);
    assert_int_equal(set.n_entries, 1);
    assert_int_equal(set.entries[0].len, want.len);
    assert_memory_equal(set.records.data, want.data, want.len);
    assert_int_equal(set.n_rejects, 1);
    assert_string_equal(set.rejects[0].field, "case");
    /* invalid UTF-8 in a msgpack string is refused */
    wire_buf_reset(&mp);
    wire_put_map(&mp, 1);
    wire_put_cstr(&mp, "type");
    wire_put_str(&mp, "\xff\xfe", 2);
    assert_int_equal(event_parse_message(mp.data, mp.len, NODE, &set), 0);
    assert_int_equal(set.n_rejects, 1);
    assert_non_null(strstr(set.rejects[0].reason, "UTF-8"));
    /* a duplicate key, which jansson refuses for JSON, is refused for msgpack too */
    wire_buf_reset(&mp);
    wire_put_map(&mp, 2);
    wire_put_cstr(&mp, "type");
    wire_put_cstr(&mp, "case.close");
    wire_put_cstr(&mp, "type");
    wire_put_cstr(&mp, "case.close");
    assert_int_equal(event_parse_message(mp.data, mp.len, NODE, &set), 0);
    assert_non_null(strstr(set.rejects[0].reason, "duplicate key"));
    assert_int_equal(event_parse_message("\xc1", 1, NODE, &set), ERR_DECODE);
    wire_buf_fini(&want);
    wire_buf_fini(&mp);
}

static void
json_lines_convert_to_msgpack_that_validates_the_same(void **state)
{
    (void)state;
    size_t n;
    char **lines = testutil_lines("events-valid.jsonl", &n);
    struct wire_buf text, mp, want;
    wire_buf_init(&text);
    wire_buf_init(&mp);
    wire_buf_init(&want);
    for (size_t i = 0; i < n; i++) {
        wire_buf_append(&text, lines[i], strlen(lines[i]));
        wire_buf_append(&text, "\n", 1);
    }
    parse_len(text.data, text.len);
    assert_int_equal(set.n_entries, n);
    wire_buf_append(&want, set.records.data, set.records.len);
    size_t bad = 0;
    assert_int_equal(event_jsonl_to_msgpack((const char *)text.data, text.len, &mp, &bad), (int)n);
    assert_int_equal(event_parse_message(mp.data, mp.len, NODE, &set), 0);
    assert_int_equal(set.n_entries, n);
    assert_int_equal(set.records.len, want.len);
    assert_memory_equal(set.records.data, want.data, want.len);
    wire_buf_reset(&mp);
    assert_int_equal(event_jsonl_to_msgpack("{}\n{oops\n", 9, &mp, &bad), ERR_DECODE);
    assert_int_equal(bad, 2);
    wire_buf_fini(&text);
    wire_buf_fini(&mp);
    wire_buf_fini(&want);
    testutil_free_lines(lines);
}

static void
business_events_and_supervision_actions_are_told_apart(void **state)
{
    (void)state;
    assert_true(event_is_business("case.accept", 11));
    assert_true(event_is_business("complaint.close", 15));
    assert_false(event_is_business("alert.respond", 13));
    assert_false(event_is_business("record.delete", 13));
    assert_false(event_is_business("alert", 5)); /* a record jiancha makes, not a contract type */
    const char *msg = "[{\"type\":\"complaint.close\",\"id\":\"a\",\"complaint\":\"Q\","
                      "\"result\":\"r\",\"at\":1793581200000},{\"type\":\"patrol\",\"id\":\"b\","
                      "\"supervisor\":\"he\",\"target\":\"510104\",\"kind\":\"data\","
                      "\"at\":1793581200000}]";
    assert_int_equal(event_parse_message(msg, strlen(msg), NODE, &set), 0);
    assert_int_equal(set.n_entries, 2);
    assert_false(set.entries[0].action);
    assert_true(set.entries[1].action);
}

static void
a_flood_of_bad_records_keeps_a_bounded_list_and_counts_them_all(void **state)
{
    (void)state;
    /* 5,000 nils in one msgpack array: each is refused, only the first 100 are kept in detail */
    struct wire_buf b;
    wire_buf_init(&b);
    wire_put_array(&b, 5000);
    for (int i = 0; i < 5000; i++)
        wire_put_nil(&b);
    parse_len(b.data, b.len);
    assert_int_equal(set.n_entries, 0);
    assert_int_equal(set.n_rejected, 5000);
    assert_int_equal(set.n_rejects, EVENT_REJECTS_KEPT);
    assert_int_equal(set.rejects[99].index, 99);
    wire_buf_fini(&b);
}

static void
large_maps_are_checked_for_duplicate_and_empty_keys(void **state)
{
    (void)state;
    /* a record with 60,000 extra keys, the last repeating the first: refused as a duplicate */
    struct wire_buf b;
    wire_buf_init(&b);
    wire_put_map(&b, 60003);
    wire_put_cstr(&b, "type");
    wire_put_cstr(&b, "case.close");
    wire_put_cstr(&b, "id");
    wire_put_cstr(&b, "x");
    for (int i = 0; i < 60000; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        wire_put_cstr(&b, k);
        wire_put_int(&b, i);
    }
    wire_put_cstr(&b, "k0");
    wire_put_int(&b, 1);
    parse_len(b.data, b.len);
    assert_int_equal(set.n_entries, 0);
    assert_non_null(strstr(set.rejects[0].reason, "duplicate key"));
    /* and an empty key, twice, in a small map */
    wire_buf_reset(&b);
    wire_put_map(&b, 2);
    wire_put_cstr(&b, "");
    wire_put_int(&b, 1);
    wire_put_cstr(&b, "");
    wire_put_int(&b, 2);
    parse_len(b.data, b.len);
    assert_int_equal(set.n_entries, 0);
    assert_non_null(strstr(set.rejects[0].reason, "duplicate key"));
    wire_buf_fini(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_valid_vector_is_accepted_and_round_trips),
        cmocka_unit_test(business_events_and_supervision_actions_are_told_apart),
        cmocka_unit_test(a_missing_required_field_is_named),
        cmocka_unit_test(wrong_types_and_values_are_named_with_a_reason),
        cmocka_unit_test(unknown_fields_are_kept_and_node_is_filled_in),
        cmocka_unit_test(money_is_stored_as_exact_fen),
        cmocka_unit_test(one_bad_record_does_not_stop_the_others),
        cmocka_unit_test(msgpack_input_gives_the_same_record_as_json),
        cmocka_unit_test(json_lines_convert_to_msgpack_that_validates_the_same),
        cmocka_unit_test(a_flood_of_bad_records_keeps_a_bounded_list_and_counts_them_all),
        cmocka_unit_test(large_maps_are_checked_for_duplicate_and_empty_keys),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
