#include "testutil.h"

#include "cert.h"
#include "err.h"
#include "sign.h"

#define DAY 86400000LL
#define NOW 1793581200000LL /* 2026-11-02 */

static char *dir;
static sign_key_t *root1, *root2, *issuer, *rogue, *county_key;

static void
write_doc(const char *name, const struct wire_buf *b)
{
    testutil_write(dir, name, b->data, b->len);
}

static void
put_root(uint64_t version, const sign_key_t *own, const sign_key_t *prev)
{
    struct cert_root r = {version, {0}, NOW + 3650 * DAY, NOW - 10 * DAY};
    memcpy(r.key, sign_key_public(own), CERT_KEY_BYTES);
    struct wire_buf b;
    wire_buf_init(&b);
    cert_make_root(&r, own, prev, &b);
    char name[32];
    snprintf(name, sizeof name, "root.%llu.jc", (unsigned long long)version);
    write_doc(name, &b);
    wire_buf_fini(&b);
}

static void
put_issuer(uint64_t serial, const sign_key_t *key, const sign_key_t *by, uint64_t root)
{
    struct cert_issuer i = {serial, {0}, NOW - 10 * DAY, NOW + 365 * DAY, root};
    memcpy(i.key, sign_key_public(key), CERT_KEY_BYTES);
    struct wire_buf b;
    wire_buf_init(&b);
    cert_make_issuer(&i, by, &b);
    char name[32];
    snprintf(name, sizeof name, "issuer.%llu.jc", (unsigned long long)serial);
    write_doc(name, &b);
    wire_buf_fini(&b);
}

static struct cert_node
node_cert(uint64_t serial, const char *node, const char *tier, int64_t from, int64_t to,
          uint64_t issuer_serial)
{
    struct cert_node n = {0};
    n.serial = serial;
    snprintf(n.node, sizeof n.node, "%s", node);
    snprintf(n.tier, sizeof n.tier, "%s", tier);
    snprintf(n.parent, sizeof n.parent, "510100");
    memcpy(n.sign_pk, sign_key_public(county_key), CERT_KEY_BYTES);
    n.key_gen = 1;
    n.not_before = from;
    n.not_after = to;
    n.issued_at = NOW;
    n.issuer = issuer_serial;
    return n;
}

static void
put_node(const struct cert_node *n, const sign_key_t *by)
{
    struct wire_buf b;
    wire_buf_init(&b);
    cert_make_node(n, by, &b);
    char name[64];
    snprintf(name, sizeof name, "%s.%llu.cert", n->node, (unsigned long long)n->serial);
    write_doc(name, &b);
    wire_buf_fini(&b);
}

static void
put_crl(uint64_t version, const struct cert_revoked *r, size_t n, const sign_key_t *by,
        struct wire_buf *out)
{
    struct cert_crl c = {version, NOW, NOW + 30 * DAY, 1, (struct cert_revoked *)r, n};
    cert_make_crl(&c, by, out);
}

static int
setup(void **state)
{
    (void)state;
    assert_int_equal(sign_init(), 0);
    dir = testutil_tmpdir();
    root1 = sign_key_generate();
    root2 = sign_key_generate();
    issuer = sign_key_generate();
    rogue = sign_key_generate();
    county_key = sign_key_generate();
    put_root(1, root1, NULL);
    put_root(2, root2, root1);
    put_issuer(1, issuer, root2, 2);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    sign_key_t **keys[] = {&root1, &root2, &issuer, &rogue, &county_key};
    for (size_t i = 0; i < 5; i++)
        sign_key_destroy(keys[i]);
    testutil_rmdir(dir);
    return 0;
}

static const struct cert_node *
find(const cert_trust_t *t, uint64_t serial)
{
    size_t n;
    const struct cert_node *v = cert_trust_nodes(t, &n);
    for (size_t i = 0; i < n; i++)
        if (v[i].serial == serial)
            return &v[i];
    return NULL;
}

static void
each_refusal_names_its_reason(void **state)
{
    (void)state;
    struct cert_node ok = node_cert(10, "510104", "county", NOW - 2 * DAY, NOW + 390 * DAY, 1);
    struct cert_node old = node_cert(11, "510104", "county", NOW - 500 * DAY, NOW - DAY, 1);
    struct cert_node early = node_cert(12, "510104", "county", NOW + DAY, NOW + 390 * DAY, 1);
    struct cert_node posing = node_cert(13, "510104", "city", NOW - DAY, NOW + 390 * DAY, 1);
    struct cert_node foreign = node_cert(14, "510104", "county", NOW - DAY, NOW + 390 * DAY, 1);
    struct cert_node revoked = node_cert(15, "510104", "county", NOW - DAY, NOW + 390 * DAY, 1);
    put_node(&ok, issuer);
    put_node(&old, issuer);
    put_node(&early, issuer);
    put_node(&posing, issuer);
    put_node(&foreign, rogue); /* names issuer 1 but is signed by another key */
    put_node(&revoked, issuer);
    struct cert_revoked r = {15, "510104", "compromised", NOW - DAY, NOW - 2 * DAY};
    struct wire_buf crl;
    wire_buf_init(&crl);
    put_crl(1, &r, 1, issuer, &crl);
    write_doc("crl.jc", &crl);
    wire_buf_fini(&crl);

    cert_trust_t *t = NULL;
    char why[ERR_WHY_MAX], w[ERR_WHY_MAX];
    assert_int_equal(cert_trust_load(dir, &t, why, sizeof why), 0);
    assert_int_equal(cert_trust_root(t)->version, 2);
    assert_int_equal(cert_trust_judge(t, find(t, 10), NOW, NOW, w), 0);
    assert_int_equal(cert_trust_judge(t, find(t, 11), NOW, NOW, w), ERR_INVALID);
    assert_non_null(strstr(w, "expired"));
    assert_int_equal(cert_trust_judge(t, find(t, 12), NOW, NOW, w), ERR_INVALID);
    assert_non_null(strstr(w, "not yet valid"));
    assert_int_equal(cert_trust_judge(t, find(t, 13), NOW, NOW, w), ERR_INVALID);
    assert_non_null(strstr(w, "is a county, not a city"));
    assert_int_equal(cert_trust_judge(t, find(t, 14), NOW, NOW, w), ERR_BAD_SIGNATURE);
    assert_non_null(strstr(w, "unknown issuer"));
    assert_int_equal(cert_trust_judge(t, find(t, 15), NOW, NOW, w), ERR_STATE);
    assert_non_null(strstr(w, "revoked (compromised)"));
    /* a batch a tier accepted before the revocation is still judged valid */
    assert_int_equal(cert_trust_judge(t, find(t, 15), NOW, NOW - 2 * DAY, w), 0);
    cert_trust_destroy(&t);
}

static void
a_root_not_signed_by_its_predecessor_ends_the_chain(void **state)
{
    (void)state;
    /* root 3 signed by its own key only: refused, and the chain stays at 2 */
    sign_key_t *root3 = sign_key_generate();
    put_root(3, root3, NULL);
    put_issuer(2, rogue, root3, 3); /* an issuer only root 3 vouches for */
    struct cert_node n = node_cert(20, "510104", "county", NOW - DAY, NOW + 390 * DAY, 2);
    put_node(&n, rogue);
    cert_trust_t *t = NULL;
    char why[ERR_WHY_MAX], w[ERR_WHY_MAX];
    assert_int_equal(cert_trust_load(dir, &t, why, sizeof why), 0);
    assert_int_equal(cert_trust_root(t)->version, 2);
    assert_int_equal(cert_trust_judge(t, find(t, 20), NOW, NOW, w), ERR_BAD_SIGNATURE);
    cert_trust_destroy(&t);
    sign_key_destroy(&root3);
    /* a forged version 1 (not self-signed) leaves no trust at all */
    struct cert_root r = {1, {0}, NOW + DAY, NOW};
    memcpy(r.key, sign_key_public(root1), CERT_KEY_BYTES);
    struct wire_buf b;
    wire_buf_init(&b);
    cert_make_root(&r, rogue, NULL, &b);
    write_doc("root.1.jc", &b);
    wire_buf_fini(&b);
    assert_int_equal(cert_trust_load(dir, &t, why, sizeof why), ERR_BAD_SIGNATURE);
    assert_null(t);
}

static void
only_a_newer_revocation_list_from_a_known_issuer_is_applied(void **state)
{
    (void)state;
    cert_trust_t *t = NULL;
    char why[ERR_WHY_MAX], w[ERR_WHY_MAX];
    assert_int_equal(cert_trust_load(dir, &t, why, sizeof why), 0);
    struct cert_revoked r = {30, "510104", "superseded", NOW, 0};
    struct wire_buf v2, v1, forged;
    wire_buf_init(&v2);
    wire_buf_init(&v1);
    wire_buf_init(&forged);
    put_crl(2, &r, 1, issuer, &v2);
    put_crl(1, NULL, 0, issuer, &v1);
    put_crl(3, NULL, 0, rogue, &forged);
    assert_int_equal(cert_trust_apply_crl(t, v2.data, v2.len, w), 0);
    assert_int_equal(cert_trust_crl(t)->version, 2);
    assert_non_null(cert_trust_revocation(t, 30));
    assert_int_equal(cert_trust_apply_crl(t, v1.data, v1.len, w), ERR_EXISTS);
    assert_non_null(strstr(w, "not newer"));
    assert_int_equal(cert_trust_apply_crl(t, v2.data, v2.len, w), ERR_EXISTS);
    assert_int_equal(cert_trust_apply_crl(t, forged.data, forged.len, w), ERR_BAD_SIGNATURE);
    assert_int_equal(cert_trust_crl(t)->version, 2);
    wire_buf_fini(&v2);
    wire_buf_fini(&v1);
    wire_buf_fini(&forged);
    cert_trust_destroy(&t);
}

static void
a_rotation_request_needs_the_old_and_the_new_key(void **state)
{
    (void)state;
    sign_key_t *next = sign_key_generate();
    struct cert_request q = {"510104", "county", "510100", {0}, {0}, 2, NOW, false};
    memcpy(q.sign_pk, sign_key_public(next), CERT_KEY_BYTES);
    struct cert_node current = node_cert(10, "510104", "county", NOW - DAY, NOW + DAY, 1);
    struct wire_buf both, new_only;
    wire_buf_init(&both);
    wire_buf_init(&new_only);
    cert_make_request(&q, next, county_key, &both);
    cert_make_request(&q, next, NULL, &new_only);
    struct cert_request got;
    char w[ERR_WHY_MAX];
    assert_int_equal(cert_check_request(both.data, both.len, &current, &got, w), 0);
    assert_true(got.rotation);
    assert_int_equal(got.key_gen, 2);
    assert_int_equal(cert_check_request(new_only.data, new_only.len, &current, &got, w),
                     ERR_BAD_SIGNATURE);
    assert_non_null(strstr(w, "current key"));
    /* a first enrolment needs only the new key */
    assert_int_equal(cert_check_request(new_only.data, new_only.len, NULL, &got, w), 0);
    /* a request signed by a key other than the one it names is refused */
    struct wire_buf wrong;
    wire_buf_init(&wrong);
    cert_make_request(&q, rogue, NULL, &wrong);
    assert_int_equal(cert_check_request(wrong.data, wrong.len, NULL, &got, w), ERR_BAD_SIGNATURE);
    wire_buf_fini(&both);
    wire_buf_fini(&new_only);
    wire_buf_fini(&wrong);
    sign_key_destroy(&next);
}

static void
every_bit_flip_of_a_certificate_is_refused(void **state)
{
    (void)state;
    struct cert_node n = node_cert(40, "510104", "county", NOW - DAY, NOW + DAY, 1);
    struct wire_buf b;
    wire_buf_init(&b);
    cert_make_node(&n, issuer, &b);
    for (size_t bit = 0; bit < b.len * 8; bit++) {
        b.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        write_doc("510104.40.cert", &b);
        cert_trust_t *t = NULL;
        char why[ERR_WHY_MAX], w[ERR_WHY_MAX];
        assert_int_equal(cert_trust_load(dir, &t, why, sizeof why), 0);
        const struct cert_node *got = find(t, 40);
        /* either unreadable, or read but not valid under the issuer's signature */
        if (got)
            assert_int_not_equal(cert_trust_judge(t, got, NOW, NOW, w), 0);
        cert_trust_destroy(&t);
        b.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    write_doc("510104.40.cert", &b);
    cert_trust_t *t = NULL;
    char why[ERR_WHY_MAX], w[ERR_WHY_MAX];
    assert_int_equal(cert_trust_load(dir, &t, why, sizeof why), 0);
    assert_int_equal(cert_trust_judge(t, find(t, 40), NOW, NOW, w), 0);
    cert_trust_destroy(&t);
    wire_buf_fini(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(each_refusal_names_its_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(a_root_not_signed_by_its_predecessor_ends_the_chain,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(only_a_newer_revocation_list_from_a_known_issuer_is_applied,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_rotation_request_needs_the_old_and_the_new_key, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(every_bit_flip_of_a_certificate_is_refused, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
