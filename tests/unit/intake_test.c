#include "testutil.h"

#include "err.h"
#include "intake.h"
#include "spool.h"

#include <jansson.h>

#define NODE "510104"

static void
duplicates_within_and_across_messages_are_stored_once(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 4 << 20};
    store_t *st = NULL;
    assert_int_equal(store_open(dir, &o, &st), 0);
    struct event_set set;
    event_set_init(&set);
    const char *m1 = "{\"type\":\"case.close\",\"id\":\"a\",\"at\":1793581200000,\"case\":\"C\"}\n"
                     "{\"type\":\"case.close\",\"id\":\"b\",\"at\":1793581200000,\"case\":\"C\"}\n"
                     "{\"type\":\"case.close\",\"id\":\"a\",\"at\":1793581200000,\"case\":\"C\"}\n";
    assert_int_equal(event_parse_message(m1, strlen(m1), NODE, &set), 0);
    struct intake_result r;
    assert_int_equal(intake_commit(st, 510104, &set, NULL, 2, 1793581200000LL, &r), 0);
    assert_int_equal(r.accepted, 2);
    assert_int_equal(r.duplicates, 1);
    assert_int_equal(r.sealed, 1);
    const char *m2 = "{\"type\":\"case.close\",\"id\":\"b\",\"at\":1793581200000,\"case\":\"C\"}\n"
                     "{\"type\":\"case.close\",\"id\":\"c\",\"at\":1793581200000}\n"
                     "{\"type\":\"case.close\",\"id\":\"d\",\"at\":1793581200000,\"case\":\"C\"}\n";
    assert_int_equal(event_parse_message(m2, strlen(m2), NODE, &set), 0);
    assert_int_equal(intake_commit(st, 510104, &set, NULL, 2, 1793581200000LL, &r), 0);
    assert_int_equal(r.accepted, 1);
    assert_int_equal(r.duplicates, 1);
    assert_int_equal(r.last_seq, 3);

    char *reply = intake_reply_json(&set, &r, 0);
    json_t *j = json_loads(reply, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(j, "accepted")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "duplicates")), 1);
    json_t *rej = json_array_get(json_object_get(j, "rejected"), 0);
    assert_int_equal(json_integer_value(json_object_get(rej, "index")), 1);
    assert_string_equal(json_string_value(json_object_get(rej, "field")), "case");
    assert_null(json_object_get(j, "error"));
    json_decref(j);
    free(reply);

    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(store_count(t, STORE_EVENTS), 3);
    assert_int_equal(store_count(t, STORE_IDS), 3);
    store_abort(&t);
    event_set_fini(&set);
    store_close(&st);
    testutil_rmdir(dir);
}

static void
a_full_store_refuses_the_whole_message_and_keeps_what_it_had(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 1 << 20, .max_map_bytes = 1 << 20};
    store_t *st = NULL;
    assert_int_equal(store_open(dir, &o, &st), 0);
    struct event_set set;
    event_set_init(&set);
    char *msg = malloc(4 << 20);
    size_t len = 0;
    int accepted_total = 0, rc = 0;
    for (int round = 0; round < 100 && rc == 0; round++) {
        len = 0;
        for (int i = 0; i < 200; i++)
            len += (size_t)sprintf(msg + len,
                                   "{\"type\":\"case.close\",\"id\":\"r%d-%d\",\"at\":1793581200000,"
                                   "\"case\":\"C\",\"result\":\"%0200d\"}\n",
                                   round, i, 0);
        assert_int_equal(event_parse_message(msg, len, NODE, &set), 0);
        struct intake_result r;
        rc = intake_commit(st, 510104, &set, NULL, 1000, 1793581200000LL, &r);
        if (rc == 0)
            accepted_total += (int)r.accepted;
        else {
            char *reply = intake_reply_json(&set, &r, rc);
            assert_non_null(strstr(reply, "\"error\":\"storage full\""));
            assert_non_null(strstr(reply, "\"accepted\":0"));
            free(reply);
        }
    }
    assert_int_equal(rc, ERR_STORAGE_FULL);
    assert_true(accepted_total > 0);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(store_count(t, STORE_EVENTS), (uint64_t)accepted_total);
    store_abort(&t);
    free(msg);
    event_set_fini(&set);
    store_close(&st);
    testutil_rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(duplicates_within_and_across_messages_are_stored_once),
        cmocka_unit_test(a_full_store_refuses_the_whole_message_and_keeps_what_it_had),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
