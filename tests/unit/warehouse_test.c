/* The sink without a PostgreSQL: what it says while none answers (tests/integration/warehouse_*.sh
 * run it against a real one). */
#include "testutil.h"

#include "err.h"
#include "store.h"
#include "timestamp.h"
#include "warehouse.h"

#include <time.h>

struct put_records {
    uint32_t node;
    uint64_t from, to;
};

static int
put_records(store_txn_t *t, void *arg)
{
    struct put_records *p = arg;
    for (uint64_t seq = p->from; seq <= p->to; seq++) {
        uint8_t key[12];
        store_be32(key, p->node);
        store_be64(key + 4, seq);
        int rc = store_put(t, STORE_EVENTS, key, sizeof key, "\x80", 1, 0);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void
a_sink_that_never_reached_postgresql_says_why_and_not_how_far_behind(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 1 << 20};
    store_t *s = NULL;
    assert_int_equal(store_open(dir, &o, &s), 0);
    /* two origins, one with a gap (a rollup link's business events stay below) */
    struct put_records a = {510104, 1, 40}, b = {510105, 1, 25}, c = {510105, 31, 35};
    assert_int_equal(store_write(s, put_records, &a), 0);
    assert_int_equal(store_write(s, put_records, &b), 0);
    assert_int_equal(store_write(s, put_records, &c), 0);
    /* a socket directory with no server in it: connections are refused at once */
    char conninfo[512];
    snprintf(conninfo, sizeof conninfo, "host=%s port=1 dbname=none", dir);
    struct warehouse_options wo = {
        .conninfo = conninfo, .schema_path = "/nonexistent", .node = 510000, .backoff_max_ms = 100};
    int64_t started = timestamp_now_ms();
    warehouse_t *w = warehouse_new(s, &wo);
    struct warehouse_stats st = {0};
    for (int i = 0; i < 200 && st.failures < 2; i++) {
        nanosleep(&(struct timespec){0, 20000000}, NULL);
        warehouse_stats(w, &st);
    }
    assert_false(st.connected);
    assert_true(st.failures >= 2);        /* it tries again */
    /* PostgreSQL may hold all of it: before the positions are read, how far behind is unknown
     * (the whole store would read as a lost warehouse) */
    assert_true(st.behind == WAREHOUSE_BEHIND_UNKNOWN);
    assert_true(warehouse_lag_s(&st, st.caught_up_ms + 2500) == 0);
    assert_int_equal(st.copied, 0);
    assert_non_null(strstr(st.error, "connect: "));
    assert_true(st.error_ms >= started);
    uint64_t seq;
    assert_false(warehouse_confirmed(w, 510104, &seq)); /* nothing is confirmed */
    /* so retention deletes nothing, however old the cutoff makes everything */
    uint64_t deleted = 1;
    assert_int_equal(warehouse_prune(w, s, TIMESTAMP_MAX_MS, 1000, &deleted), 0);
    assert_int_equal(deleted, 0);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(s, &t), 0);
    assert_int_equal(store_count(t, STORE_EVENTS), 40 + 30);
    store_abort(&t);
    /* behind since it started: the lag counts from then */
    assert_true(st.caught_up_ms >= started && st.caught_up_ms <= timestamp_now_ms());
    struct warehouse_stats known = st;
    known.behind = 75;
    assert_true(warehouse_lag_s(&known, st.caught_up_ms + 2500) == 2.5);
    struct warehouse_stats none = st;
    none.behind = 0;
    assert_true(warehouse_lag_s(&none, st.caught_up_ms + 2500) == 0);
    int64_t stop = timestamp_mono_ms();
    warehouse_destroy(&w);
    assert_null(w);
    assert_true(timestamp_mono_ms() - stop < 2000); /* it stops without waiting on PostgreSQL */
    warehouse_destroy(&w);
    store_close(&s);
    testutil_rmdir(dir);
}

static int
save(store_txn_t *t, void *arg)
{
    return warehouse_save_status(t, arg, 1800000000000LL);
}

static void
the_figures_status_shows_are_kept_in_the_store(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 1 << 20};
    store_t *s = NULL;
    assert_int_equal(store_open(dir, &o, &s), 0);
    struct warehouse_stats st = {.connected = true,
                                 .behind = 12,
                                 .caught_up_ms = 1799999990000LL,
                                 .copied = 1000,
                                 .error_ms = 1799999000000LL};
    snprintf(st.error, sizeof st.error, "commit: could not extend file");
    assert_int_equal(store_write(s, save, &st), 0);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(s, &t), 0);
    uint64_t v;
    assert_int_equal(store_meta_get_u64(t, WAREHOUSE_META_SAVED, &v), 0);
    assert_int_equal(v, 1800000000000ULL);
    assert_int_equal(store_meta_get_u64(t, WAREHOUSE_META_UP, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(store_meta_get_u64(t, WAREHOUSE_META_BEHIND, &v), 0);
    assert_int_equal(v, 12);
    assert_int_equal(store_meta_get_u64(t, WAREHOUSE_META_CAUGHT_UP, &v), 0);
    assert_int_equal(v, 1799999990000ULL);
    assert_int_equal(store_meta_get_u64(t, WAREHOUSE_META_COPIED, &v), 0);
    assert_int_equal(v, 1000);
    assert_int_equal(store_meta_get_u64(t, WAREHOUSE_META_ERROR_AT, &v), 0);
    assert_int_equal(v, 1799999000000ULL);
    struct wire_buf e;
    wire_buf_init(&e);
    assert_int_equal(
        store_get(t, STORE_META, WAREHOUSE_META_ERROR, strlen(WAREHOUSE_META_ERROR), &e), 0);
    assert_int_equal(e.len, strlen(st.error));
    assert_memory_equal(e.data, st.error, e.len);
    wire_buf_fini(&e);
    store_abort(&t);
    store_close(&s);
    testutil_rmdir(dir);
}

static void
retention_keeps_the_months_back_from_the_local_month(void **state)
{
    (void)state;
    /* 2026-12-07 21:57 in China: keep 1 keeps November and December */
    int64_t now = 1796651820000LL;
    assert_int_equal(warehouse_keep_from_ms(now, 1), 1793462400000LL);  /* 2026-11-01 +08:00 */
    assert_int_equal(warehouse_keep_from_ms(now, 0), 1796054400000LL);  /* 2026-12-01 +08:00 */
    assert_int_equal(warehouse_keep_from_ms(now, 24), 1732982400000LL); /* 2024-12-01 +08:00 */
    /* 2027-01-01 00:30 in China is already January there (2026-12-31 16:30 UTC) */
    assert_int_equal(warehouse_keep_from_ms(1798734600000LL, 1), 1796054400000LL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_sink_that_never_reached_postgresql_says_why_and_not_how_far_behind),
        cmocka_unit_test(the_figures_status_shows_are_kept_in_the_store),
        cmocka_unit_test(retention_keeps_the_months_back_from_the_local_month),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
