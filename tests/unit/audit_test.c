#include "audit.h"
#include "err.h"
#include "event.h"
#include "roster.h"
#include "sign.h"
#include "spool.h"
#include "store.h"

#include "testutil.h"

static char *dir;
static store_t *st;
static sign_key_t *key;
static roster_t *roster;

static int
setup(void **state)
{
    (void)state;
    assert_int_equal(sign_init(), 0);
    key = sign_key_generate();
    char hex[65], doc[512], why[ERR_WHY_MAX];
    sign_to_hex(sign_key_public(key), SIGN_PUBLIC_BYTES, hex);
    snprintf(doc, sizeof doc,
             "{\"version\":1,\"operators\":[{\"name\":\"he\",\"role\":\"supervisor\","
             "\"node\":\"510104\",\"key\":\"%s\"}]}",
             hex);
    assert_int_equal(roster_parse(doc, strlen(doc), &roster, why, sizeof why), 0);
    dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 4 << 20};
    assert_int_equal(store_open(dir, &o, &st), 0);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    sign_key_destroy(&key);
    roster_destroy(&roster);
    store_close(&st);
    testutil_rmdir(dir);
    return 0;
}

static int
log_fn(store_txn_t *t, void *arg)
{
    const char *request = arg;
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    sign_detached(key, SIGN_DOMAIN_OPERATOR, request, strlen(request), sig);
    struct audit_entry e = {1793581200000LL, "he",    "supervisor",    "patrol", "p", 0,
                            "refused: x: y", request, strlen(request), sig};
    return audit_append(t, 510104, &e);
}

struct problems {
    char text[8][256];
    int n;
};

static void
note(void *arg, uint32_t node, uint64_t n, const char *why)
{
    (void)node;
    struct problems *p = arg;
    if (p->n < 8)
        snprintf(p->text[p->n++], 256, "%llu %s", (unsigned long long)n, why);
}

static struct problems
verify(void)
{
    struct problems p = {0};
    struct audit_summary sum;
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(audit_verify(t, 510104, roster, note, &p, &sum), 0);
    store_abort(&t);
    assert_int_equal((int)sum.problems, p.n);
    return p;
}

struct edit {
    uint64_t seq;
    bool del;
};

static int
edit_fn(store_txn_t *t, void *arg)
{
    struct edit *e = arg;
    uint8_t k[12];
    store_be32(k, 510104);
    store_be64(k + 4, e->seq);
    if (e->del)
        return store_del(t, STORE_EVENTS, k, 12);
    struct wire_buf v;
    wire_buf_init(&v);
    int rc = store_get(t, STORE_EVENTS, k, 12, &v);
    for (size_t i = 0; rc == 0 && i + 5 <= v.len; i++)
        if (memcmp(v.data + i, "video", 5) == 0)
            v.data[i] = 'V';
    if (rc == 0)
        rc = store_put(t, STORE_EVENTS, k, 12, v.data, v.len, 0);
    wire_buf_fini(&v);
    return rc;
}

static void
a_whole_log_verifies_and_each_break_is_named(void **state)
{
    (void)state;
    for (int i = 0; i < 5; i++)
        assert_int_equal(store_write(st, log_fn, (void *)"{\"kind\":\"video\"}"), 0);
    struct problems p = verify();
    assert_int_equal(p.n, 0);
    /* entry 2 (record seq 2) changed */
    struct edit e = {2, false};
    assert_int_equal(store_write(st, edit_fn, &e), 0);
    p = verify();
    assert_int_equal(p.n, 2);
    assert_non_null(strstr(p.text[0], "2 the request does not carry"));
    assert_non_null(strstr(p.text[1], "3 its prev is not the hash"));
    /* entry 4 removed, then the last one */
    e = (struct edit){4, true};
    assert_int_equal(store_write(st, edit_fn, &e), 0);
    p = verify();
    assert_non_null(strstr(p.text[2], "5 entries missing: 5 follows 3"));
    e = (struct edit){5, true};
    assert_int_equal(store_write(st, edit_fn, &e), 0);
    p = verify();
    assert_non_null(strstr(p.text[p.n - 1], "entries removed"));
}

static int
stored_fn(store_txn_t *t, void *arg)
{
    (void)arg;
    const char *request = "{\"type\":\"patrol\",\"id\":\"p9\"}";
    struct wire_buf rec;
    wire_buf_init(&rec);
    wire_put_map(&rec, 2);
    wire_put_cstr(&rec, "type");
    wire_put_cstr(&rec, "patrol");
    wire_put_cstr(&rec, "id");
    wire_put_cstr(&rec, "p9");
    uint64_t seq;
    int rc = spool_append(t, 510104, rec.data, rec.len, &seq);
    wire_buf_fini(&rec);
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    sign_detached(key, SIGN_DOMAIN_OPERATOR, request, strlen(request), sig);
    struct audit_entry e = {1793581200000LL, "he",    "supervisor",    "patrol", "p9", seq,
                            "stored",        request, strlen(request), sig};
    return rc ? rc : audit_append(t, 510104, &e);
}

static void
a_stored_request_must_point_at_its_record(void **state)
{
    (void)state;
    assert_int_equal(store_write(st, stored_fn, NULL), 0);
    assert_int_equal(verify().n, 0);
    struct edit e = {1, true}; /* the patrol record itself */
    assert_int_equal(store_write(st, edit_fn, &e), 0);
    struct problems p = verify();
    assert_int_equal(p.n, 1);
    assert_non_null(strstr(p.text[0], "1 the record it stored (p9) is missing"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_whole_log_verifies_and_each_break_is_named, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_stored_request_must_point_at_its_record, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
