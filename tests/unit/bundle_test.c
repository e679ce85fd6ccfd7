#include "testutil.h"

#include "bundle.h"
#include "cert.h"
#include "err.h"
#include "rotation.h"
#include "sign.h"
#include "spool.h"
#include "store.h"

static char *dir;
static store_t *st;
static sign_key_t *publisher, *rogue;

static const char *const catalog_v3 =
    "{\"version\":3,\"items\":[{\"item\":\"LIC\",\"name\":\"许可\",\"category\":\"licensing\","
    "\"node\":\"510104\",\"dept\":\"D\",\"basis\":[\"法1\"],\"limits\":{\"promised\":{\"n\":10,"
    "\"unit\":\"wd\"},\"legal\":{\"n\":20,\"unit\":\"wd\"}},\"steps\":[{\"name\":\"受理\"}]}]}";

static int
setup(void **state)
{
    (void)state;
    assert_int_equal(sign_init(), 0);
    dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 4 << 20};
    assert_int_equal(store_open(dir, &o, &st), 0);
    publisher = sign_key_generate();
    rogue = sign_key_generate();
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    sign_key_destroy(&publisher);
    sign_key_destroy(&rogue);
    store_close(&st);
    testutil_rmdir(dir);
    return 0;
}

static void
make(const char *kind, uint64_t version, const char *body, const sign_key_t *by,
     struct wire_buf *doc, uint8_t sig[SIGN_SIGNATURE_BYTES])
{
    struct bundle b = {.version = version, .published_ms = 1793581200000LL, .body = body,
                       .body_len = strlen(body)};
    snprintf(b.kind, sizeof b.kind, "%s", kind);
    snprintf(b.publisher, sizeof b.publisher, "510000");
    wire_buf_init(doc);
    bundle_make(by, &b, doc, sig);
}

struct keep {
    const struct bundle *b;
    const struct wire_buf *doc;
    const uint8_t *sig;
    bool taken;
};

static int
keep_fn(store_txn_t *t, void *arg)
{
    struct keep *k = arg;
    return bundle_keep(t, 510104, 510104, k->b, k->doc->data, k->doc->len, k->sig,
                       SIGN_SIGNATURE_BYTES, 1793581200000LL, &k->taken);
}

static void
only_a_newer_verified_bundle_is_kept_and_acknowledged(void **state)
{
    (void)state;
    struct wire_buf doc;
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    struct bundle b;
    char why[ERR_WHY_MAX];
    make("catalog", 3, catalog_v3, publisher, &doc, sig);
    assert_int_equal(bundle_open(&(struct bundle_trust){.publisher_pk = sign_key_public(publisher)}, doc.data, doc.len, sig, sizeof sig, 0,
                                 &b, why),
                     0);
    assert_string_equal(b.kind, "catalog");
    struct keep k = {&b, &doc, sig, false};
    assert_int_equal(store_write(st, keep_fn, &k), 0);
    assert_true(k.taken);
    assert_int_equal(store_write(st, keep_fn, &k), 0); /* the same again: nothing */
    assert_false(k.taken);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    uint64_t v;
    assert_int_equal(bundle_held(t, "catalog", &v, NULL, NULL), 0);
    assert_int_equal(v, 3);
    struct spool_state sp;
    assert_int_equal(spool_state_get(t, &sp), 0);
    assert_int_equal(sp.next_seq, 2); /* one bundle.applied record */
    store_abort(&t);
    wire_buf_fini(&doc);
}

static void
forged_mismatched_and_unknown_bundles_are_refused_with_reasons(void **state)
{
    (void)state;
    struct wire_buf doc;
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    struct bundle b;
    char why[ERR_WHY_MAX];
    make("catalog", 3, catalog_v3, rogue, &doc, sig);
    assert_int_equal(bundle_open(&(struct bundle_trust){.publisher_pk = sign_key_public(publisher)}, doc.data, doc.len, sig, sizeof sig, 0,
                                 &b, why),
                     ERR_BAD_SIGNATURE);
    wire_buf_fini(&doc);
    make("catalog", 4, catalog_v3, publisher, &doc, sig); /* says 4, carries 3 */
    assert_int_equal(bundle_open(&(struct bundle_trust){.publisher_pk = sign_key_public(publisher)}, doc.data, doc.len, sig, sizeof sig, 0,
                                 &b, why),
                     ERR_INVALID);
    assert_non_null(strstr(why, "carries catalogue version 3"));
    wire_buf_fini(&doc);
    make("firmware", 1, "x", publisher, &doc, sig);
    assert_int_equal(bundle_open(&(struct bundle_trust){.publisher_pk = sign_key_public(publisher)}, doc.data, doc.len, sig, sizeof sig, 0,
                                 &b, why),
                     ERR_INVALID);
    wire_buf_fini(&doc);
    make("certs", 1, "not a set", publisher, &doc, sig);
    assert_int_equal(bundle_open(&(struct bundle_trust){.publisher_pk = sign_key_public(publisher)}, doc.data, doc.len, sig, sizeof sig, 0,
                                 &b, why),
                     ERR_INVALID);
    /* one flipped bit anywhere in the document or the signature */
    for (size_t bit = 0; bit < (doc.len + SIGN_SIGNATURE_BYTES) * 8; bit += 7) {
        uint8_t *p = bit / 8 < doc.len ? &doc.data[bit / 8] : &sig[bit / 8 - doc.len];
        *p ^= (uint8_t)(1u << (bit % 8));
        assert_int_not_equal(bundle_open(&(struct bundle_trust){.publisher_pk = sign_key_public(publisher)}, doc.data, doc.len, sig,
                                         sizeof sig, 0, &b, why),
                             0);
        *p ^= (uint8_t)(1u << (bit % 8));
    }
    wire_buf_fini(&doc);
}

static void
a_node_switches_to_its_next_key_only_when_a_set_certifies_it(void **state)
{
    (void)state;
    /* the node's current and next keys, as files, and certificates naming them */
    sign_key_t *cur = sign_key_generate(), *next = sign_key_generate(), *issuer = sign_key_generate();
    char keys[512];
    snprintf(keys, sizeof keys, "%s/keys", dir);
    assert_int_equal(sign_key_save(cur, "510104", keys, "510104.g1"), 0);
    assert_int_equal(sign_key_save(next, "510104", keys, "510104.g2"), 0);
    char p1[600], p2[600];
    snprintf(p1, sizeof p1, "%s/510104.g1.secret", keys);
    snprintf(p2, sizeof p2, "%s/510104.g2.secret", keys);
    rotation_t *r = NULL;
    char why[ERR_WHY_MAX];
    assert_int_equal(rotation_open("510104", p1, p2, &r, why, sizeof why), 0);
    assert_memory_equal(sign_key_public(rotation_key(r)), sign_key_public(cur), 32);
    struct cert_node n = {.serial = 7, .node = "510104", .tier = "county", .parent = "510100",
                          .key_gen = 2, .not_before = 0, .not_after = INT64_MAX, .issuer = 1};
    struct wire_buf other_cert, next_cert, set;
    wire_buf_init(&other_cert);
    wire_buf_init(&next_cert);
    wire_buf_init(&set);
    memcpy(n.sign_pk, sign_key_public(issuer), 32); /* someone else's key */
    cert_make_node(&n, issuer, &other_cert);
    memcpy(n.sign_pk, sign_key_public(next), 32);
    cert_make_node(&n, issuer, &next_cert);
    wire_put_array(&set, 1);
    wire_put_bin(&set, other_cert.data, other_cert.len);
    assert_false(rotation_consider(r, set.data, set.len));
    assert_memory_equal(sign_key_public(rotation_key(r)), sign_key_public(cur), 32);
    wire_buf_reset(&set);
    wire_put_array(&set, 2);
    wire_put_bin(&set, other_cert.data, other_cert.len);
    wire_put_bin(&set, next_cert.data, next_cert.len);
    assert_true(rotation_consider(r, set.data, set.len));
    assert_memory_equal(sign_key_public(rotation_key(r)), sign_key_public(next), 32);
    assert_false(rotation_consider(r, set.data, set.len)); /* never back, never twice */
    rotation_destroy(&r);
    /* a node whose key file belongs to another node is refused */
    assert_int_equal(rotation_open("510105", p1, "", &r, why, sizeof why), ERR_CONFIG);
    assert_non_null(strstr(why, "belongs to node 510104"));
    wire_buf_fini(&other_cert);
    wire_buf_fini(&next_cert);
    wire_buf_fini(&set);
    sign_key_destroy(&cur);
    sign_key_destroy(&next);
    sign_key_destroy(&issuer);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(only_a_newer_verified_bundle_is_kept_and_acknowledged,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            forged_mismatched_and_unknown_bundles_are_refused_with_reasons, setup, teardown),
        cmocka_unit_test_setup_teardown(a_node_switches_to_its_next_key_only_when_a_set_certifies_it,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
