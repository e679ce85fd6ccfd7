/* rotation: a county's signing key (generation 1) and its successor (generation 2), each with the
 * transport key made beside it. Without a next key nothing a set says changes the key; the next
 * key and its transport key take over only when a certificate set certifies that key for this
 * node, once, never back; a restart resumes with the key the set held in the store certified;
 * key files that are missing, readable by others or another node's are refused, the reason naming
 * the file; CurveZMQ to the parent needs the transport key beside the signing key. */
#include "bundle.h"
#include "cert.h"
#include "err.h"
#include "link.h"
#include "rotation.h"
#include "sign.h"
#include "store.h"
#include "wire.h"

#include "testutil.h"

#include <czmq.h>
#include <sys/stat.h>

static char *dir;
static char keys[512], g1[600], g2[600];
static store_t *st;
static sign_key_t *cur, *next, *issuer, *publisher;
static uint8_t cur_curve[SIGN_CURVE_BYTES], next_curve[SIGN_CURVE_BYTES];

static void
open_store(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/store", dir);
    struct store_options o = {.map_bytes = 4 << 20};
    assert_int_equal(store_open(path, &o, &st), 0);
}

static int
setup(void **state)
{
    (void)state;
    assert_int_equal(sign_init(), 0);
    dir = testutil_tmpdir();
    snprintf(keys, sizeof keys, "%s/keys", dir);
    cur = sign_key_generate();
    next = sign_key_generate();
    issuer = sign_key_generate();
    publisher = sign_key_generate();
    /* as `jiancha keys request` leaves them: NODE.gN.secret and NODE.gN.curve-secret */
    assert_int_equal(sign_key_save(cur, "510104", keys, "510104.g1"), 0);
    assert_int_equal(sign_curve_keypair_write("510104", keys, "510104.g1", cur_curve), 0);
    assert_int_equal(sign_key_save(next, "510104", keys, "510104.g2"), 0);
    assert_int_equal(sign_curve_keypair_write("510104", keys, "510104.g2", next_curve), 0);
    snprintf(g1, sizeof g1, "%s/510104.g1.secret", keys);
    snprintf(g2, sizeof g2, "%s/510104.g2.secret", keys);
    open_store();
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    store_close(&st);
    sign_key_destroy(&cur);
    sign_key_destroy(&next);
    sign_key_destroy(&issuer);
    sign_key_destroy(&publisher);
    testutil_rmdir(dir);
    return 0;
}

/* A certificate set (a `certs` bundle's body) holding one certificate for each (node, key). */
static void
make_set(struct wire_buf *set, size_t n, const char *const nodes[],
         const sign_key_t *const signing[])
{
    wire_buf_reset(set);
    wire_put_array(set, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        /* the i-th certificate: key generation i + 1, ending i + 1 days after 2026-11-02 */
        struct cert_node c = {.serial = 100 + i,
                              .key_gen = (uint32_t)i + 1,
                              .not_before = 0,
                              .not_after = 1793581200000LL + ((int64_t)i + 1) * 86400000LL,
                              .issued_at = 1793581200000LL,
                              .issuer = 1};
        snprintf(c.node, sizeof c.node, "%s", nodes[i]);
        snprintf(c.tier, sizeof c.tier, "%s", cert_tier_of(nodes[i]));
        snprintf(c.parent, sizeof c.parent, "510100");
        memcpy(c.sign_pk, sign_key_public(signing[i]), CERT_KEY_BYTES);
        struct wire_buf file;
        wire_buf_init(&file);
        cert_make_node(&c, issuer, &file);
        wire_put_bin(set, file.data, file.len);
        wire_buf_fini(&file);
    }
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

/* Keeps a verified `certs` bundle with this body in the store, as the collector does when its
 * parent sends one down. */
static void
hold_set(uint64_t version, const struct wire_buf *set)
{
    struct bundle b = {.kind = "certs",
                       .version = version,
                       .published_ms = 1793581200000LL,
                       .publisher = "510000",
                       .body = set->data,
                       .body_len = set->len};
    struct wire_buf doc;
    wire_buf_init(&doc);
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    bundle_make(publisher, &b, &doc, sig);
    struct bundle opened;
    char why[ERR_WHY_MAX];
    assert_int_equal(
        bundle_open(&(struct bundle_trust){.publisher_pk = sign_key_public(publisher)}, doc.data, doc.len, sig, sizeof sig, 0, &opened, why),
        0);
    struct keep k = {&opened, &doc, sig, false};
    assert_int_equal(store_write(st, keep_fn, &k), 0);
    assert_true(k.taken);
    wire_buf_fini(&doc);
}

static void
signs_with(const rotation_t *r, const sign_key_t *k, const uint8_t curve[SIGN_CURVE_BYTES])
{
    assert_memory_equal(sign_key_public(rotation_key(r)), sign_key_public(k), SIGN_PUBLIC_BYTES);
    assert_non_null(rotation_curve(r));
    assert_memory_equal(sign_curve_public(rotation_curve(r)), curve, SIGN_CURVE_BYTES);
}

static void
without_a_next_key_the_node_keeps_its_key_whatever_a_set_says(void **state)
{
    (void)state;
    struct wire_buf set;
    wire_buf_init(&set);
    make_set(&set, 2, (const char *const[]){"510104", "510104"},
             (const sign_key_t *const[]){cur, next});
    hold_set(1, &set);
    /* no next key configured: "" and NULL alike */
    const char *const none[] = {"", NULL};
    for (int i = 0; i < 2; i++) {
        rotation_t *r = NULL;
        char why[ERR_WHY_MAX] = "";
        assert_int_equal(rotation_open("510104", g1, none[i], &r, why, sizeof why), 0);
        signs_with(r, cur, cur_curve);
        assert_false(rotation_consider(r, set.data, set.len));
        assert_int_equal(rotation_resume(r, st), 0);
        signs_with(r, cur, cur_curve);
        rotation_destroy(&r);
        assert_null(r);
    }
    wire_buf_fini(&set);
}

static void
the_next_key_and_its_transport_key_take_over_once_a_set_certifies_it(void **state)
{
    (void)state;
    rotation_t *r = NULL;
    char why[ERR_WHY_MAX] = "";
    assert_int_equal(rotation_open("510104", g1, g2, &r, why, sizeof why), 0);
    signs_with(r, cur, cur_curve);
    struct wire_buf set;
    wire_buf_init(&set);
    /* not a set at all */
    assert_false(rotation_consider(r, "not a set", 9));
    /* the next key certified for another node; this node's certificate for its current key */
    make_set(&set, 2, (const char *const[]){"510105", "510104"},
             (const sign_key_t *const[]){next, cur});
    assert_false(rotation_consider(r, set.data, set.len));
    signs_with(r, cur, cur_curve);
    /* a set that also certifies the next key for this node: it signs with it from now on, and
     * speaks to its parent with the transport key made with it */
    make_set(&set, 3, (const char *const[]){"510105", "510104", "510104"},
             (const sign_key_t *const[]){next, cur, next});
    assert_true(rotation_consider(r, set.data, set.len));
    signs_with(r, next, next_curve);
    /* the same set again, or one naming only the old key: no switch, and never back */
    assert_false(rotation_consider(r, set.data, set.len));
    make_set(&set, 1, (const char *const[]){"510104"}, (const sign_key_t *const[]){cur});
    assert_false(rotation_consider(r, set.data, set.len));
    signs_with(r, next, next_curve);
    rotation_destroy(&r);
    rotation_destroy(&r); /* NULL is accepted */
    wire_buf_fini(&set);
}

static void
a_restarted_node_resumes_with_the_key_its_held_set_certified(void **state)
{
    (void)state;
    rotation_t *r = NULL;
    char why[ERR_WHY_MAX] = "";
    /* a fresh store: nothing held, the current key stays, and no certificate is known for it */
    assert_int_equal(rotation_open("510104", g1, g2, &r, why, sizeof why), 0);
    assert_int_equal(rotation_resume(r, st), 0);
    signs_with(r, cur, cur_curve);
    int64_t ends;
    uint32_t gen;
    assert_int_equal(rotation_certificate(r, st, &ends, &gen), ERR_NOT_FOUND);
    /* a held set that certifies only the current key: it stays */
    struct wire_buf set;
    wire_buf_init(&set);
    make_set(&set, 1, (const char *const[]){"510104"}, (const sign_key_t *const[]){cur});
    hold_set(1, &set);
    assert_int_equal(rotation_resume(r, st), 0);
    signs_with(r, cur, cur_curve);
    assert_int_equal(rotation_certificate(r, st, &ends, &gen), 0); /* the key in force's */
    assert_int_equal(gen, 1);
    assert_int_equal(ends, 1793581200000LL + 86400000LL);
    /* the parent sends a newer set certifying the next key: kept, and the node switches */
    make_set(&set, 2, (const char *const[]){"510104", "510104"},
             (const sign_key_t *const[]){cur, next});
    hold_set(2, &set);
    assert_true(rotation_consider(r, set.data, set.len));
    signs_with(r, next, next_curve);
    assert_int_equal(rotation_certificate(r, st, &ends, &gen), 0); /* now the next key's */
    assert_int_equal(gen, 2);
    assert_int_equal(ends, 1793581200000LL + 2 * 86400000LL);
    rotation_destroy(&r);
    /* stopped and started again with the same configuration (key = g1, next_key = g2) */
    store_close(&st);
    open_store();
    assert_int_equal(rotation_open("510104", g1, g2, &r, why, sizeof why), 0);
    signs_with(r, cur, cur_curve); /* before the store is read */
    assert_int_equal(rotation_resume(r, st), 0);
    signs_with(r, next, next_curve);
    rotation_destroy(&r);
    wire_buf_fini(&set);
}

static void
key_files_missing_open_to_others_or_of_another_node_are_refused_naming_the_file(void **state)
{
    (void)state;
    rotation_t *r = NULL;
    char why[ERR_WHY_MAX], path[700];
    /* this node's key, configured at another node */
    assert_int_equal(rotation_open("510105", g1, "", &r, why, sizeof why), ERR_CONFIG);
    assert_null(r);
    assert_non_null(strstr(why, g1));
    assert_non_null(strstr(why, "belongs to node 510104, not 510105"));
    /* a next key made for another node */
    sign_key_t *other = sign_key_generate();
    assert_int_equal(sign_key_save(other, "510105", keys, "510105.g2"), 0);
    sign_key_destroy(&other);
    snprintf(path, sizeof path, "%s/510105.g2.secret", keys);
    assert_int_equal(rotation_open("510104", g1, path, &r, why, sizeof why), ERR_CONFIG);
    assert_null(r);
    assert_non_null(strstr(why, path));
    assert_non_null(strstr(why, "belongs to node 510105"));
    /* a next key that is not there */
    snprintf(path, sizeof path, "%s/510104.g3.secret", keys);
    assert_int_not_equal(rotation_open("510104", g1, path, &r, why, sizeof why), 0);
    assert_null(r);
    assert_non_null(strstr(why, path));
    /* a transport key of another node beside this node's signing key */
    other = sign_key_generate();
    assert_int_equal(sign_key_save(other, "510104", keys, "510104.g4"), 0);
    sign_key_destroy(&other);
    uint8_t pk[SIGN_CURVE_BYTES];
    assert_int_equal(sign_curve_keypair_write("510105", keys, "510104.g4", pk), 0);
    snprintf(path, sizeof path, "%s/510104.g4.secret", keys);
    assert_int_equal(rotation_open("510104", g1, path, &r, why, sizeof why), ERR_CONFIG);
    assert_null(r);
    assert_non_null(strstr(why, "510104.g4.curve-secret"));
    assert_non_null(strstr(why, "another node"));
    /* a bare next key where the current one has a transport key: the old transport key would
     * stay in use after the switch, and the parent refuses it once the old certificate goes */
    other = sign_key_generate();
    assert_int_equal(sign_key_save(other, "510104", keys, "510104.g5"), 0);
    sign_key_destroy(&other);
    snprintf(path, sizeof path, "%s/510104.g5.secret", keys);
    assert_int_equal(rotation_open("510104", g1, path, &r, why, sizeof why), ERR_CONFIG);
    assert_null(r);
    assert_non_null(strstr(why, path));
    assert_non_null(strstr(why, "transport key"));
    /* a secret others may read */
    assert_int_equal(chmod(g2, 0644), 0);
    assert_int_equal(rotation_open("510104", g1, g2, &r, why, sizeof why), ERR_KEY_PERMS);
    assert_null(r);
    assert_non_null(strstr(why, g2));
}

static void
curve_to_the_parent_needs_the_transport_key_beside_the_signing_key(void **state)
{
    (void)state;
    /* the parent's transport public key, as its NAME.curve-pub */
    uint8_t parent_pk[SIGN_CURVE_BYTES];
    assert_int_equal(sign_curve_keypair_write("510100", keys, "510100.g1", parent_pk), 0);
    char server[700], bare[700];
    snprintf(server, sizeof server, "%s/510100.g1.curve-pub", keys);
    /* a signing key made without a transport key beside it (`jiancha keys gen`) */
    sign_key_t *k = sign_key_generate();
    assert_int_equal(sign_key_save(k, "510104", keys, "510104.g5"), 0);
    sign_key_destroy(&k);
    snprintf(bare, sizeof bare, "%s/510104.g5.secret", keys);
    struct link_options lo = {"tcp://127.0.0.1:1", 100, 2000, 1000, 200, 4, false};

    rotation_t *r = NULL;
    char why[ERR_WHY_MAX] = "";
    assert_int_equal(rotation_open("510104", bare, "", &r, why, sizeof why), 0);
    assert_null(rotation_curve(r));
    link_t *link = link_new(&lo, st, 510104, rotation_key(r));
    assert_int_equal(rotation_attach(r, link, "", why, sizeof why), 0); /* plain ZeroMQ */
    assert_int_equal(rotation_attach(r, link, server, why, sizeof why), ERR_CONFIG);
    assert_non_null(strstr(why, "curve-secret"));
    link_destroy(&link);
    rotation_destroy(&r);

    assert_int_equal(rotation_open("510104", g1, g2, &r, why, sizeof why), 0);
    link = link_new(&lo, st, 510104, rotation_key(r));
    char missing[720];
    snprintf(missing, sizeof missing, "%s/510100.g9.curve-pub", keys);
    assert_int_not_equal(rotation_attach(r, link, missing, why, sizeof why), 0);
    assert_non_null(strstr(why, "510100.g9.curve-pub"));
    assert_int_equal(rotation_attach(r, link, server, why, sizeof why), 0);
    link_destroy(&link);
    rotation_destroy(&r);
}

int
main(void)
{
    zsys_init();
    zsys_set_logstream(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            without_a_next_key_the_node_keeps_its_key_whatever_a_set_says, setup, teardown),
        cmocka_unit_test_setup_teardown(
            the_next_key_and_its_transport_key_take_over_once_a_set_certifies_it, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_restarted_node_resumes_with_the_key_its_held_set_certified, setup, teardown),
        cmocka_unit_test_setup_teardown(
            key_files_missing_open_to_others_or_of_another_node_are_refused_naming_the_file, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            curve_to_the_parent_needs_the_transport_key_beside_the_signing_key, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
