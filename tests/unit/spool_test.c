#include "teststore.h"
#include "testutil.h"

#include "batch.h"
#include "err.h"
#include "spool.h"

#define NODE 510104u

struct fill {
    int records;
    uint32_t max;
    bool all;
    uint64_t sealed;
};

static int
fill_fn(store_txn_t *t, void *arg)
{
    struct fill *f = arg;
    for (int i = 0; i < f->records; i++) {
        char rec[32];
        int n = snprintf(rec, sizeof rec, "r%d", i);
        uint64_t seq;
        int rc = spool_append(t, NODE, rec, (size_t)n, &seq);
        if (rc != 0)
            return rc;
    }
    return spool_seal(t, NODE, f->max, f->all, 1793581200000LL, &f->sealed);
}

static void
full_batches_are_sealed_and_chained(void **state)
{
    (void)state;
    struct fill f = {10, 3, false, 0};
    assert_int_equal(store_write(st, fill_fn, &f), 0);
    assert_int_equal(f.sealed, 3); /* 9 records; 1 left unsealed */
    struct fill g = {0, 3, true, 0};
    assert_int_equal(store_write(st, fill_fn, &g), 0);
    assert_int_equal(g.sealed, 1);

    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    struct spool_state s;
    assert_int_equal(spool_state_get(t, &s), 0);
    assert_int_equal(s.next_seq, 11);
    assert_int_equal(s.sealed_seq, 10);
    assert_int_equal(s.batch_seq, 4);
    struct wire_buf h, p;
    wire_buf_init(&h);
    wire_buf_init(&p);
    uint8_t prev[SIGN_HASH_BYTES] = {0};
    uint64_t first = 1;
    for (uint64_t b = 1; b <= 4; b++) {
        assert_int_equal(spool_load(t, NODE, b, &h, &p), 0);
        struct batch_header d;
        assert_int_equal(batch_header_decode(h.data, h.len, &d), 0);
        assert_int_equal(d.seq, b);
        assert_int_equal(d.first, first);
        assert_memory_equal(d.prev, prev, SIGN_HASH_BYTES);
        assert_int_equal(batch_payload_check(&d, p.data, p.len), 0);
        batch_hash(h.data, h.len, prev);
        first = d.last + 1;
    }
    assert_memory_equal(prev, s.batch_hash, SIGN_HASH_BYTES);
    assert_int_equal(spool_load(t, NODE, 5, &h, &p), ERR_NOT_FOUND);
    wire_buf_fini(&h);
    wire_buf_fini(&p);
    store_abort(&t);
}

static int
prune_fn(store_txn_t *t, void *arg)
{
    return spool_prune(t, *(uint64_t *)arg, 0);
}

static void
pruning_drops_acknowledged_batches_only(void **state)
{
    (void)state;
    struct fill f = {10, 2, true, 0};
    assert_int_equal(store_write(st, fill_fn, &f), 0);
    assert_int_equal(f.sealed, 5);
    uint64_t acked = 3;
    assert_int_equal(store_write(st, prune_fn, &acked), 0);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(store_count(t, STORE_OUTBOX), 2);
    struct wire_buf h, p;
    wire_buf_init(&h);
    wire_buf_init(&p);
    assert_int_equal(spool_load(t, NODE, 3, &h, &p), ERR_NOT_FOUND);
    assert_int_equal(spool_load(t, NODE, 4, &h, &p), 0);
    struct spool_state s;
    assert_int_equal(spool_state_get(t, &s), 0);
    assert_int_equal(s.acked_batch, 3);
    wire_buf_fini(&h);
    wire_buf_fini(&p);
    store_abort(&t);
}

static int
carried_fn(store_txn_t *t, void *arg)
{
    (void)arg;
    /* two batches of two: a carried child batch and one of the carrier's own alerts in each */
    for (int i = 0; i < 4; i++) {
        struct wire_buf r;
        wire_buf_init(&r);
        wire_put_map(&r, 4);
        wire_put_cstr(&r, "type");
        wire_put_cstr(&r, i % 2 ? "alert" : "batch");
        wire_put_cstr(&r, "id");
        wire_put_cstr(&r, i % 2 ? "A-1/1" : "510104/1");
        wire_put_cstr(&r, "at");
        wire_put_int(&r, 1793581200000LL);
        wire_put_cstr(&r, "node");
        wire_put_cstr(&r, "510100");
        uint64_t seq;
        int rc = spool_append(t, NODE, r.data, r.len, &seq);
        wire_buf_fini(&r);
        if (rc != 0)
            return rc;
    }
    uint64_t sealed;
    return spool_seal(t, NODE, 2, true, 1793581200000LL, &sealed);
}

static int
prune_carrier_fn(store_txn_t *t, void *arg)
{
    return spool_prune(t, *(uint64_t *)arg, NODE);
}

static void
a_carrier_drops_acknowledged_carried_batches_and_keeps_its_own_records(void **state)
{
    (void)state;
    assert_int_equal(store_write(st, carried_fn, NULL), 0);
    uint64_t acked = 1;
    assert_int_equal(store_write(st, prune_carrier_fn, &acked), 0);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    uint8_t key[12];
    store_be32(key, NODE);
    bool want[5] = {false, false, true, true, true}; /* seq 1 (batch) dropped, 2 (alert) kept */
    for (uint64_t seq = 1; seq <= 4; seq++) {
        store_be64(key + 4, seq);
        bool held;
        assert_int_equal(store_has(t, STORE_EVENTS, key, 12, &held), 0);
        assert_int_equal(held, want[seq]);
    }
    struct wire_buf h, p;
    wire_buf_init(&h);
    wire_buf_init(&p);
    assert_int_equal(spool_load(t, NODE, 2, &h, &p), 0); /* the unacknowledged one is whole */
    wire_buf_fini(&h);
    wire_buf_fini(&p);
    store_abort(&t);
}

static int
damage_fn(store_txn_t *t, void *arg)
{
    (void)arg;
    uint8_t key[12];
    store_be32(key, NODE);
    store_be64(key + 4, 2);
    return store_put(t, STORE_EVENTS, key, 12, "XX", 2, 0);
}

static void
a_damaged_record_is_never_sent(void **state)
{
    (void)state;
    struct fill f = {4, 4, true, 0};
    assert_int_equal(store_write(st, fill_fn, &f), 0);
    assert_int_equal(store_write(st, damage_fn, NULL), 0);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    struct wire_buf h, p;
    wire_buf_init(&h);
    wire_buf_init(&p);
    assert_int_equal(spool_load(t, NODE, 1, &h, &p), ERR_CORRUPT);
    wire_buf_fini(&h);
    wire_buf_fini(&p);
    store_abort(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(full_batches_are_sealed_and_chained, teststore_setup,
                                        teststore_teardown),
        cmocka_unit_test_setup_teardown(pruning_drops_acknowledged_batches_only, teststore_setup,
                                        teststore_teardown),
        cmocka_unit_test_setup_teardown(
            a_carrier_drops_acknowledged_carried_batches_and_keeps_its_own_records, teststore_setup,
            teststore_teardown),
        cmocka_unit_test_setup_teardown(a_damaged_record_is_never_sent, teststore_setup,
                                        teststore_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
