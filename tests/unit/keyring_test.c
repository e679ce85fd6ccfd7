#include "testutil.h"

#include "cert.h"
#include "err.h"
#include "keyring.h"
#include "sign.h"

#define DAY 86400000LL
#define NOW 1793581200000LL

static char *dir;
static sign_key_t *root, *issuer, *county_g1, *county_g2;

static void
write_doc(const char *name, const struct wire_buf *b)
{
    testutil_write(dir, name, b->data, b->len);
}

static void
cert_of(uint64_t serial, const sign_key_t *k, uint32_t gen, uint8_t curve_byte,
        struct wire_buf *out)
{
    struct cert_node n = {.serial = serial, .node = "510104", .tier = "county",
                          .parent = "510100", .key_gen = gen, .not_before = NOW - DAY,
                          .not_after = NOW + 100 * DAY, .issued_at = NOW, .issuer = 1};
    memcpy(n.sign_pk, sign_key_public(k), CERT_KEY_BYTES);
    memset(n.curve_pk, curve_byte, CERT_KEY_BYTES);
    wire_buf_init(out);
    cert_make_node(&n, issuer, out);
}

static int
setup(void **state)
{
    (void)state;
    assert_int_equal(sign_init(), 0);
    dir = testutil_tmpdir();
    root = sign_key_generate();
    issuer = sign_key_generate();
    county_g1 = sign_key_generate();
    county_g2 = sign_key_generate();
    struct wire_buf b;
    struct cert_root r = {1, {0}, NOW + 3650 * DAY, NOW - DAY};
    memcpy(r.key, sign_key_public(root), CERT_KEY_BYTES);
    wire_buf_init(&b);
    cert_make_root(&r, root, NULL, &b);
    write_doc("root.1.jc", &b);
    wire_buf_fini(&b);
    struct cert_issuer is = {1, {0}, NOW - DAY, NOW + 365 * DAY, 1};
    memcpy(is.key, sign_key_public(issuer), CERT_KEY_BYTES);
    wire_buf_init(&b);
    cert_make_issuer(&is, root, &b);
    write_doc("issuer.1.jc", &b);
    wire_buf_fini(&b);
    cert_of(10, county_g1, 1, 0x11, &b);
    write_doc("510104.10.cert", &b);
    wire_buf_fini(&b);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    sign_key_t **k[] = {&root, &issuer, &county_g1, &county_g2};
    for (size_t i = 0; i < 4; i++)
        sign_key_destroy(k[i]);
    testutil_rmdir(dir);
    return 0;
}

static void
two_generations_overlap_and_a_revocation_counts_from_its_instant(void **state)
{
    (void)state;
    keyring_t *k = NULL;
    assert_int_equal(keyring_load(dir, &k), 0);
    char id1[SIGN_KEY_ID_LEN + 1], id2[SIGN_KEY_ID_LEN + 1], why[ERR_WHY_MAX], user[16];
    sign_key_id(sign_key_public(county_g1), id1);
    sign_key_id(sign_key_public(county_g2), id2);
    assert_non_null(keyring_find(k, 510104, id1, SIGN_KEY_ID_LEN, NOW, why));
    assert_null(keyring_find(k, 510104, id2, SIGN_KEY_ID_LEN, NOW, why));
    assert_non_null(strstr(why, "no key"));
    /* a peer's key id that is no key id (a public key, control bytes) is never echoed */
    const char junk[SIGN_KEY_ID_LEN] = {0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x01, (char)0xff, 0x41,
                                        0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49};
    assert_null(keyring_find(k, 510104, junk, sizeof junk, NOW, why));
    assert_non_null(strstr(why, "not 16 lowercase hex characters"));
    for (const char *c = why; *c; c++)
        assert_true((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f);
    /* the next generation arrives: both are valid */
    struct wire_buf b;
    bool added;
    cert_of(11, county_g2, 2, 0x22, &b);
    assert_int_equal(keyring_add_certificate(k, b.data, b.len, &added, why), 0);
    assert_true(added);
    assert_int_equal(keyring_add_certificate(k, b.data, b.len, &added, why), 0);
    assert_false(added); /* held already */
    wire_buf_fini(&b);
    assert_non_null(keyring_find(k, 510104, id1, SIGN_KEY_ID_LEN, NOW, why));
    assert_non_null(keyring_find(k, 510104, id2, SIGN_KEY_ID_LEN, NOW, why));
    /* the old one is retired from NOW: a batch accepted before still passes, after does not */
    struct cert_revoked r = {10, "510104", "superseded", NOW, 0};
    struct cert_crl crl = {1, NOW, NOW + 30 * DAY, 1, &r, 1};
    wire_buf_init(&b);
    cert_make_crl(&crl, issuer, &b);
    assert_int_equal(keyring_apply_crl(k, b.data, b.len, why), 0);
    assert_int_equal(keyring_apply_crl(k, b.data, b.len, why), ERR_EXISTS);
    wire_buf_fini(&b);
    assert_non_null(keyring_find(k, 510104, id1, SIGN_KEY_ID_LEN, NOW - 1, why));
    assert_null(keyring_find(k, 510104, id1, SIGN_KEY_ID_LEN, NOW, why));
    assert_non_null(strstr(why, "revoked (superseded)"));
    /* transport keys: the current one is admitted by its parent only, the retired one not */
    uint8_t curve[32];
    memset(curve, 0x22, sizeof curve);
    assert_true(keyring_admit(k, 510100, curve, NOW, user, why));
    assert_string_equal(user, "510104");
    assert_false(keyring_admit(k, 510000, curve, NOW, user, why));
    assert_non_null(strstr(why, "names parent 510100"));
    memset(curve, 0x11, sizeof curve);
    assert_false(keyring_admit(k, 510100, curve, NOW, user, why));
    assert_non_null(strstr(why, "revoked"));
    memset(curve, 0x33, sizeof curve);
    assert_false(keyring_admit(k, 510100, curve, NOW, user, why));
    assert_non_null(strstr(why, "in no certificate"));
    keyring_destroy(&k);
    /* written to the directory: a restart holds the same */
    assert_int_equal(keyring_load(dir, &k), 0);
    assert_non_null(keyring_find(k, 510104, id2, SIGN_KEY_ID_LEN, NOW, why));
    assert_null(keyring_find(k, 510104, id1, SIGN_KEY_ID_LEN, NOW, why));
    keyring_destroy(&k);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            two_generations_overlap_and_a_revocation_counts_from_its_instant, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
