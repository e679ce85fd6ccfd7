#include "testutil.h"

#include "bundle.h"
#include "cert.h"
#include "err.h"
#include "ingest.h"
#include "relay.h"
#include "sign.h"
#include "spool.h"
#include "store.h"

static char *dir;
static store_t *st;
static ingest_t *in;
static sign_key_t *publisher;

static int
setup(void **state)
{
    (void)state;
    assert_int_equal(sign_init(), 0);
    dir = testutil_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/keys", dir);
    assert_int_equal(sign_keypair_write("510104", path), 0);
    struct store_options o = {.map_bytes = 4 << 20};
    snprintf(path, sizeof path, "%s/city", dir);
    assert_int_equal(store_open(path, &o, &st), 0);
    snprintf(path, sizeof path, "%s/keys", dir);
    struct ingest_options io = {.keys_dir = path, .self_node = 510100, .max_batch_bytes = 1 << 20,
                                .forward_node = 510100, .forward_seal_at = 8};
    assert_int_equal(ingest_new(&io, st, &in), 0);
    publisher = sign_key_generate();
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    ingest_destroy(&in);
    sign_key_destroy(&publisher);
    store_close(&st);
    testutil_rmdir(dir);
    return 0;
}

static void
make(const char *kind, uint64_t version, const char *body, struct wire_buf *doc,
     uint8_t sig[SIGN_SIGNATURE_BYTES])
{
    struct bundle b = {.version = version, .published_ms = 1793581200000LL, .body = body,
                       .body_len = strlen(body)};
    snprintf(b.kind, sizeof b.kind, "%s", kind);
    snprintf(b.publisher, sizeof b.publisher, "510000");
    wire_buf_init(doc);
    bundle_make(publisher, &b, doc, sig);
}

static void
a_newer_bundle_is_taken_once_and_acknowledged_upward(void **state)
{
    (void)state;
    const char *cal = "2026-10-01\tholiday\t国庆节\n";
    struct wire_buf doc;
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    make("calendar", 5, cal, &doc, sig);
    struct relay r = {in, st, 510100, true, NULL};
    struct relay_result res;
    char why[ERR_WHY_MAX];
    /* no publisher key: refused */
    assert_int_equal(relay_take(&r, doc.data, doc.len, sig, sizeof sig, 1, &res, why), ERR_STATE);
    r.publisher_pk = sign_key_public(publisher);
    assert_int_equal(relay_take(&r, doc.data, doc.len, sig, sizeof sig, 1, &res, why), 0);
    assert_true(res.taken);
    assert_string_equal(res.bundle.kind, "calendar");
    assert_int_equal(relay_take(&r, doc.data, doc.len, sig, sizeof sig, 2, &res, why), ERR_EXISTS);
    assert_false(res.taken);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    struct spool_state sp;
    assert_int_equal(spool_state_get(t, &sp), 0);
    assert_int_equal(sp.next_seq, 2); /* one bundle.applied record, for the parent */
    store_abort(&t);
    wire_buf_fini(&doc);
}

static void
a_list_for_bare_keys_is_refused_and_nothing_kept(void **state)
{
    (void)state;
    struct wire_buf doc;
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    /* a well-formed but unsigned-by-any-issuer list: the body check reads it, the keyring refuses */
    struct cert_crl c = {1, 1, 2, 1, NULL, 0};
    sign_key_t *issuer = sign_key_generate();
    struct wire_buf crl;
    wire_buf_init(&crl);
    cert_make_crl(&c, issuer, &crl);
    char body[4096];
    assert_true(crl.len < sizeof body);
    memcpy(body, crl.data, crl.len);
    struct bundle b = {.kind = "crl", .version = 1, .published_ms = 1, .publisher = "510000",
                       .body = body, .body_len = crl.len};
    wire_buf_init(&doc);
    bundle_make(publisher, &b, &doc, sig);
    struct relay r = {in, st, 510100, true, sign_key_public(publisher)};
    struct relay_result res;
    char why[ERR_WHY_MAX];
    assert_int_equal(relay_take(&r, doc.data, doc.len, sig, sizeof sig, 1, &res, why), ERR_STATE);
    assert_non_null(strstr(why, "bare keys"));
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    uint64_t v;
    assert_int_equal(bundle_held(t, "crl", &v, NULL, NULL), 0);
    assert_int_equal(v, 0);
    store_abort(&t);
    wire_buf_fini(&doc);
    wire_buf_fini(&crl);
    sign_key_destroy(&issuer);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_newer_bundle_is_taken_once_and_acknowledged_upward,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_list_for_bare_keys_is_refused_and_nothing_kept, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
