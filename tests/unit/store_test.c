#include "testutil.h"

#include "err.h"
#include "store.h"

#include <pthread.h>
#include <sys/stat.h>

struct put_args {
    int from, to;
};

static int
put_fn(store_txn_t *t, void *arg)
{
    struct put_args *a = arg;
    char val[1000];
    memset(val, 'v', sizeof val);
    for (int i = a->from; i < a->to; i++) {
        uint8_t key[8];
        store_be64(key, (uint64_t)i);
        int rc = store_put(t, STORE_EVENTS, key, 8, val, sizeof val, STORE_APPEND);
        if (rc != 0)
            return rc;
    }
    return store_meta_put_u64(t, "count", (uint64_t)a->to);
}

static void
committed_data_survives_reopen(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 1 << 20};
    store_t *s = NULL;
    assert_int_equal(store_open(dir, &o, &s), 0);
    struct put_args a = {0, 100};
    assert_int_equal(store_write(s, put_fn, &a), 0);
    store_close(&s);
    assert_null(s);

    assert_int_equal(store_open(dir, &o, &s), 0);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(s, &t), 0);
    uint64_t count;
    assert_int_equal(store_meta_get_u64(t, "count", &count), 0);
    assert_int_equal(count, 100);
    assert_int_equal(store_count(t, STORE_EVENTS), 100);
    struct wire_buf v;
    wire_buf_init(&v);
    uint8_t key[8];
    store_be64(key, 42);
    assert_int_equal(store_get(t, STORE_EVENTS, key, 8, &v), 0);
    assert_int_equal(v.len, 1000);
    store_be64(key, 4242);
    assert_int_equal(store_get(t, STORE_EVENTS, key, 8, &v), ERR_NOT_FOUND);
    wire_buf_fini(&v);
    store_abort(&t);
    store_close(&s);
    testutil_rmdir(dir);
}

static void
the_map_grows_by_itself_and_stops_at_its_limit(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 1 << 20, .max_map_bytes = 8 << 20};
    store_t *s = NULL;
    assert_int_equal(store_open(dir, &o, &s), 0);
    /* 5 MB of values: needs several doublings from 1 MiB */
    struct put_args a = {0, 5000};
    assert_int_equal(store_write(s, put_fn, &a), 0);
    uint64_t map, used;
    store_usage(s, &map, &used);
    assert_true(map >= 5u << 20);
    /* another 5 MB does not fit under 8 MiB: storage full, and nothing of it is kept */
    struct put_args b = {5000, 10000};
    assert_int_equal(store_write(s, put_fn, &b), ERR_STORAGE_FULL);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(s, &t), 0);
    assert_int_equal(store_count(t, STORE_EVENTS), 5000);
    store_abort(&t);
    /* a small write still works */
    struct put_args c = {5000, 5010};
    assert_int_equal(store_write(s, put_fn, &c), 0);
    store_close(&s);
    testutil_rmdir(dir);
}

static void
a_reader_in_another_handle_sees_commits_across_growth(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 1 << 20};
    struct store_options ro = {.readonly = true};
    store_t *w = NULL, *r = NULL;
    assert_int_equal(store_open(dir, &ro, &r), ERR_NOT_FOUND);
    assert_int_equal(store_open(dir, &o, &w), 0);
    assert_int_equal(store_open(dir, &ro, &r), 0);
    struct put_args a = {0, 3000}; /* grows the map under the reader */
    assert_int_equal(store_write(w, put_fn, &a), 0);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(r, &t), 0);
    assert_int_equal(store_count(t, STORE_EVENTS), 3000);
    store_abort(&t);
    store_close(&r);
    store_close(&w);
    testutil_rmdir(dir);
}

static int
bump_schema(store_txn_t *t, void *arg)
{
    (void)arg;
    return store_meta_put_u64(t, "schema", STORE_SCHEMA_VERSION + 1);
}

static void
a_store_of_another_schema_version_is_refused(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 1 << 20};
    store_t *s = NULL;
    assert_int_equal(store_open(dir, &o, &s), 0);
    assert_int_equal(store_write(s, bump_schema, NULL), 0);
    store_close(&s);
    assert_int_equal(store_open(dir, &o, &s), ERR_SCHEMA);
    assert_null(s);
    testutil_rmdir(dir);
}

static void
cursors_walk_in_key_order(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 1 << 20};
    store_t *s = NULL;
    assert_int_equal(store_open(dir, &o, &s), 0);
    struct put_args a = {1, 11};
    assert_int_equal(store_write(s, put_fn, &a), 0);
    store_txn_t *t = NULL;
    store_cursor_t *c = NULL;
    assert_int_equal(store_read(s, &t), 0);
    assert_int_equal(store_cursor_open(t, STORE_EVENTS, &c), 0);
    struct wire_buf k;
    wire_buf_init(&k);
    uint8_t from[8];
    store_be64(from, 5);
    int rc = store_cursor_seek(c, from, 8, &k, NULL);
    uint64_t expect = 5;
    while (rc == 0) {
        assert_int_equal(store_from_be64(k.data), expect++);
        wire_buf_reset(&k);
        rc = store_cursor_next(c, &k, NULL);
    }
    assert_int_equal(rc, ERR_NOT_FOUND);
    assert_int_equal(expect, 11);
    assert_int_equal(store_cursor_last(c, &k, NULL), 0);
    assert_int_equal(store_from_be64(k.data), 10);
    wire_buf_reset(&k);
    assert_int_equal(store_cursor_prev(c, &k, NULL), 0);
    assert_int_equal(store_from_be64(k.data), 9);
    store_be64(from, 1);
    wire_buf_reset(&k);
    assert_int_equal(store_cursor_seek(c, from, 8, &k, NULL), 0);
    assert_int_equal(store_cursor_prev(c, NULL, NULL), ERR_NOT_FOUND);
    wire_buf_fini(&k);
    store_cursor_close(&c);
    store_abort(&t);
    store_close(&s);
    testutil_rmdir(dir);
}

struct reader_args {
    store_t *s;
    volatile bool stop;
    uint64_t reads, bytes;
};

/* Reads every value in transactions of its own until told to stop. */
static void *
reader(void *arg)
{
    struct reader_args *r = arg;
    struct wire_buf v;
    wire_buf_init(&v);
    while (!r->stop) {
        store_txn_t *t = NULL;
        if (store_read(r->s, &t) != 0)
            continue;
        store_cursor_t *c = NULL;
        if (store_cursor_open(t, STORE_EVENTS, &c) == 0) {
            for (int rc = store_cursor_seek(c, NULL, 0, NULL, &v); rc == 0;
                 rc = store_cursor_next(c, NULL, &v)) {
                r->bytes += v.len;
                wire_buf_reset(&v);
            }
            store_cursor_close(&c);
        }
        store_abort(&t);
        r->reads++;
    }
    wire_buf_fini(&v);
    return NULL;
}

static void
a_reader_thread_is_out_of_the_map_while_it_grows(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 1 << 20};
    store_t *s = NULL;
    assert_int_equal(store_open(dir, &o, &s), 0);
    struct reader_args r = {.s = s};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, reader, &r), 0);
    /* 20 MB in small writes: the map doubles several times while the thread reads */
    for (int i = 0; i < 200; i++) {
        struct put_args a = {i * 100, (i + 1) * 100};
        assert_int_equal(store_write(s, put_fn, &a), 0);
    }
    r.stop = true;
    pthread_join(th, NULL);
    assert_true(r.reads > 0);
    uint64_t map, used;
    store_usage(s, &map, &used);
    assert_true(map >= 16u << 20);
    store_close(&s);
    testutil_rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(committed_data_survives_reopen),
        cmocka_unit_test(the_map_grows_by_itself_and_stops_at_its_limit),
        cmocka_unit_test(a_reader_in_another_handle_sees_commits_across_growth),
        cmocka_unit_test(a_store_of_another_schema_version_is_refused),
        cmocka_unit_test(cursors_walk_in_key_order),
        cmocka_unit_test(a_reader_thread_is_out_of_the_map_while_it_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
