#include "teststore.h"
#include "testutil.h"

#include "alert.h"
#include "err.h"
#include "quarantine.h"
#include "spool.h"
#include "store.h"

struct alarm_args {
    uint64_t sealed;
};

static int
alarm_fn(store_txn_t *t, void *arg)
{
    struct alarm_args *a = arg;
    struct quarantine_tier city = {510100, 510100, 8};
    int rc = quarantine_keep(t, 510104, 2, "copy", 4);
    if (rc == 0)
        rc = quarantine_alarm(t, &city, "node.clone", 510104, 2, "batch 2 reused", 1, &a->sealed);
    return rc;
}

/* Batches of 510104 in the batches table: [header, key id, sig, accepted]. */
static int
batches_fn(store_txn_t *t, void *arg)
{
    (void)arg;
    for (uint64_t seq = 1; seq <= 4; seq++) {
        struct wire_buf v;
        wire_buf_init(&v);
        wire_put_array(&v, 4);
        wire_put_bin(&v, "h", 1);
        wire_put_bin(&v, seq == 3 ? "bbbbbbbbbbbbbbbb" : "aaaaaaaaaaaaaaaa", 16);
        wire_put_bin(&v, "s", 1);
        wire_put_int(&v, (int64_t)seq * 1000);
        uint8_t k[12];
        store_be32(k, 510104);
        store_be64(k + 4, seq);
        int rc = store_put(t, STORE_BATCHES, k, 12, v.data, v.len, 0);
        wire_buf_fini(&v);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int
key_fn(store_txn_t *t, void *arg)
{
    return quarantine_key_batches(t, 510104, "aaaaaaaaaaaaaaaa", 2000, arg);
}

static void
an_alarm_is_raised_once_and_sent_up_and_copies_are_kept(void **state)
{
    (void)state;
    struct alarm_args a = {0};
    assert_int_equal(store_write(st, alarm_fn, &a), 0);
    assert_int_equal(a.sealed, 1); /* the alarm leaves at once */
    assert_int_equal(store_write(st, alarm_fn, &a), 0);
    assert_int_equal(a.sealed, 1); /* once: the second is not raised nor sent */
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(store_count(t, STORE_ALERTS), 1);
    assert_int_equal(store_count(t, STORE_QUARANTINE), 1); /* the same copy, kept once */
    struct spool_state sp;
    assert_int_equal(spool_state_get(t, &sp), 0);
    assert_int_equal(sp.next_seq, 2); /* one alert record in the city's own log */
    store_abort(&t);
}

static void
a_keys_batches_from_since_on_are_copied(void **state)
{
    (void)state;
    assert_int_equal(store_write(st, batches_fn, NULL), 0);
    uint64_t n = 0;
    assert_int_equal(store_write(st, key_fn, &n), 0);
    /* seq 2 and 4: that key, accepted at 2000 or later (seq 3 is another key, seq 1 earlier) */
    assert_int_equal(n, 2);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(store_count(t, STORE_QUARANTINE), 2);
    assert_int_equal(store_count(t, STORE_BATCHES), 4); /* nothing removed */
    store_abort(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(an_alarm_is_raised_once_and_sent_up_and_copies_are_kept,
                                        teststore_setup, teststore_teardown),
        cmocka_unit_test_setup_teardown(a_keys_batches_from_since_on_are_copied, teststore_setup,
                                        teststore_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
