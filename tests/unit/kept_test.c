#include "teststore.h"
#include "testutil.h"

#include "err.h"
#include "kept.h"
#include "spool.h"
#include "wire.h"

#define NODE 510104u

/* A record {type, n}: the type decides whether the index keeps it. */
static void
record(struct wire_buf *b, const char *type, int n)
{
    wire_buf_reset(b);
    wire_put_map(b, 2);
    wire_put_cstr(b, "type");
    wire_put_cstr(b, type);
    wire_put_cstr(b, "n");
    wire_put_int(b, n);
}

struct append {
    const char *const *types;
    size_t n;
    bool raw; /* put into events without noting: a store written before the index */
};

static int
append_fn(store_txn_t *t, void *arg)
{
    struct append *a = arg;
    struct wire_buf b;
    wire_buf_init(&b);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < a->n; i++) {
        record(&b, a->types[i], (int)i);
        uint64_t seq;
        if (a->raw) {
            uint64_t next;
            rc = store_meta_get_u64(t, "next_seq", &next);
            uint8_t key[12];
            store_be32(key, NODE);
            store_be64(key + 4, next ? next : 1);
            if (rc == 0)
                rc = store_put(t, STORE_EVENTS, key, 12, b.data, b.len, 0);
            if (rc == 0)
                rc = store_meta_put_u64(t, "next_seq", (next ? next : 1) + 1);
        } else {
            rc = spool_append(t, NODE, b.data, b.len, &seq);
        }
    }
    wire_buf_fini(&b);
    return rc;
}

static void
append(const char *const *types, size_t n, bool raw)
{
    struct append a = {types, n, raw};
    assert_int_equal(store_write(st, append_fn, &a), 0);
}

struct seen {
    char list[512];
};

static int
seen_one(void *arg, const uint8_t *rec, size_t len)
{
    struct seen *s = arg;
    const char *type;
    size_t tl;
    if (wire_map_str(rec, len, "type", &type, &tl) != 0) {
        type = "?";
        tl = 1;
    }
    size_t at = strlen(s->list);
    snprintf(s->list + at, sizeof s->list - at, "%s%.*s", at ? "," : "", (int)tl, type);
    return 0;
}

/* The types the index lists, in order, or "not ready". */
static const char *
listed(void)
{
    static struct seen s;
    s.list[0] = '\0';
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    if (!kept_ready(t)) {
        store_abort(&t);
        return "not ready";
    }
    assert_int_equal(kept_each(t, seen_one, &s), 0);
    store_abort(&t);
    return s.list;
}

static const char *const mixed[] = {"case.accept",   "alert",       "case.step",
                                    "patrol",        "counters",    "supervise.open",
                                    "case.decision", "no.such.type"};

static void
business_events_are_left_out_and_the_rest_listed_in_order(void **state)
{
    (void)state;
    assert_string_equal(listed(), "not ready"); /* until the daemon builds it */
    assert_int_equal(kept_build(st), 0);
    assert_string_equal(listed(), "");
    append(mixed, 8, false);
    /* an unknown type is not a business event: a reader must still see it */
    assert_string_equal(listed(), "alert,patrol,counters,supervise.open,no.such.type");
}

static void
a_store_from_before_the_index_is_indexed_once_at_build(void **state)
{
    (void)state;
    append(mixed, 8, true);
    assert_string_equal(listed(), "not ready");
    assert_int_equal(kept_build(st), 0);
    assert_string_equal(listed(), "alert,patrol,counters,supervise.open,no.such.type");
    /* building again changes nothing; later appends are noted as they come */
    assert_int_equal(kept_build(st), 0);
    static const char *const more[] = {"alert.respond", "case.accept"};
    append(more, 2, false);
    assert_string_equal(listed(),
                        "alert,patrol,counters,supervise.open,no.such.type,alert.respond");
}

static int
drop_fn(store_txn_t *t, void *arg)
{
    (void)arg;
    uint8_t key[12];
    store_be32(key, NODE);
    store_be64(key + 4, 2); /* the alert */
    int rc = store_del(t, STORE_EVENTS, key, 12);
    store_be64(key + 4, 4); /* the patrol: forgotten as well */
    if (rc == 0)
        rc = store_del(t, STORE_EVENTS, key, 12);
    if (rc == 0)
        rc = kept_forget(t, key);
    store_be64(key + 4, 1); /* a business event, never noted: forgetting it is no error */
    if (rc == 0)
        rc = store_del(t, STORE_EVENTS, key, 12);
    if (rc == 0)
        rc = kept_forget(t, key);
    return rc;
}

static void
a_record_gone_from_the_events_is_skipped(void **state)
{
    (void)state;
    assert_int_equal(kept_build(st), 0);
    append(mixed, 8, false);
    assert_int_equal(store_write(st, drop_fn, NULL), 0);
    assert_string_equal(listed(), "counters,supervise.open,no.such.type");
}

struct counts {
    uint32_t node[4];
    uint64_t n[4];
    size_t len;
};

static void
tally_one(void *arg, uint32_t node, uint64_t records)
{
    struct counts *c = arg;
    assert_true(c->len < 4);
    c->node[c->len] = node;
    c->n[c->len++] = records;
}

/* The tally, or a walk of every key of `events`, as "node:records,..." ("not tallied" if the
 * tally is not complete and walk is false). */
static const char *
counted(bool walk)
{
    static char out[128];
    struct counts c = {0};
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    if (!walk && !kept_tallied(t)) {
        store_abort(&t);
        return "not tallied";
    }
    if (!walk) {
        assert_int_equal(kept_each_tally(t, tally_one, &c), 0);
    } else {
        store_cursor_t *cur = NULL;
        assert_int_equal(store_cursor_open(t, STORE_EVENTS, &cur), 0);
        struct wire_buf k;
        wire_buf_init(&k);
        int rc = store_cursor_seek(cur, NULL, 0, &k, NULL);
        while (rc == 0) {
            uint32_t node = store_from_be32(k.data);
            if (!c.len || c.node[c.len - 1] != node)
                tally_one(&c, node, 0);
            c.n[c.len - 1]++;
            wire_buf_reset(&k);
            rc = store_cursor_next(cur, &k, NULL);
        }
        wire_buf_fini(&k);
        store_cursor_close(&cur);
    }
    store_abort(&t);
    out[0] = '\0';
    for (size_t i = 0; i < c.len; i++) {
        size_t at = strlen(out);
        snprintf(out + at, sizeof out - at, "%s%u:%llu", i ? "," : "", (unsigned)c.node[i],
                 (unsigned long long)c.n[i]);
    }
    return out;
}

static int
other_node_fn(store_txn_t *t, void *arg)
{
    (void)arg;
    struct wire_buf b;
    wire_buf_init(&b);
    record(&b, "case.accept", 1);
    uint64_t seq;
    int rc = spool_append(t, 510105, b.data, b.len, &seq);
    wire_buf_fini(&b);
    return rc;
}

static int
untally_fn(store_txn_t *t, void *arg)
{
    (void)arg;
    return store_del(t, STORE_META, "tally_index", 11);
}

static void
the_tally_counts_each_nodes_records_as_a_walk_does(void **state)
{
    (void)state;
    assert_int_equal(kept_build(st), 0);
    assert_string_equal(counted(false), ""); /* nothing held */
    append(mixed, 8, false);
    assert_int_equal(store_write(st, other_node_fn, NULL), 0);
    assert_string_equal(counted(false), "510104:8,510105:1");
    /* records leave: a business event, an alert and a patrol (drop_fn) */
    assert_int_equal(store_write(st, drop_fn, NULL), 0);
    assert_string_equal(counted(true), "510104:5,510105:1");
    /* the alert left without kept_forget (drop_fn tests the index's skipping with it): the tally
     * counts what it was told */
    assert_string_equal(counted(false), "510104:6,510105:1");
    /* a store from before the tally has it built once, from the keys held */
    assert_int_equal(store_write(st, untally_fn, NULL), 0);
    append(mixed, 3, true);
    assert_string_equal(counted(false), "not tallied");
    assert_int_equal(kept_build(st), 0);
    assert_string_equal(counted(true), "510104:8,510105:1");
    assert_string_equal(counted(false), "510104:8,510105:1");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(business_events_are_left_out_and_the_rest_listed_in_order,
                                        teststore_setup, teststore_teardown),
        cmocka_unit_test_setup_teardown(a_store_from_before_the_index_is_indexed_once_at_build,
                                        teststore_setup, teststore_teardown),
        cmocka_unit_test_setup_teardown(a_record_gone_from_the_events_is_skipped, teststore_setup,
                                        teststore_teardown),
        cmocka_unit_test_setup_teardown(the_tally_counts_each_nodes_records_as_a_walk_does,
                                        teststore_setup, teststore_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
