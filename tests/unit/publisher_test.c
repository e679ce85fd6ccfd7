/* The certified publisher (issue 16): a bundle carries in its `chain` what certifies the key that
 * signed it (root versions after the anchor, issuers, a `jiancha/publisher/v1` certificate), and
 * a node holding only root version 1 takes the bundle when that certificate is one its trust
 * vouches for, valid, not revoked, naming the bundle's publisher, and the signature is its key's.
 * Written from bundle.h, cert.h and docs/trust.md only (not from bundle.c / cert.c). */
#include "testutil.h"

#include "bundle.h"
#include "cert.h"
#include "err.h"
#include "sign.h"
#include "store.h"
#include "wire.h"

#define DAY 86400000LL
#define NOW 1793581200000LL /* 2026-11-02 */

static const char *const calendar_body = "2026-10-02\tholiday\t国庆节\n";

/* a macro, so the compiler checks the format where it is used */
#define CATALOG_FMT                                                                                \
    "{\"version\":%d,\"items\":[{\"item\":\"LIC\",\"name\":\"许可\",\"category\":\"licensing\","   \
    "\"node\":\"510104\",\"dept\":\"D\",\"basis\":[\"法1\"],\"limits\":{\"promised\":{\"n\":10,"  \
    "\"unit\":\"wd\"},\"legal\":{\"n\":20,\"unit\":\"wd\"}},\"steps\":[{\"name\":\"受理\"}]}]}"

/* root v1 (the anchor), the issuer it certifies (serial 1), the publisher's key */
static sign_key_t *root1, *issuer, *publisher, *rogue;
static struct wire_buf anchor, issuer1;

/* ---- documents ---- */

static void
make_root(uint64_t version, const sign_key_t *own, const sign_key_t *prev, struct wire_buf *out)
{
    struct cert_root r = {version, {0}, NOW + 7300 * DAY, NOW - 30 * DAY};
    memcpy(r.key, sign_key_public(own), CERT_KEY_BYTES);
    wire_buf_init(out);
    cert_make_root(&r, own, prev, out);
}

static void
make_issuer(uint64_t serial, const sign_key_t *key, const sign_key_t *root, uint64_t root_version,
            struct wire_buf *out)
{
    struct cert_issuer i = {serial, {0}, NOW - 10 * DAY, NOW + 3650 * DAY, root_version};
    memcpy(i.key, sign_key_public(key), CERT_KEY_BYTES);
    wire_buf_init(out);
    cert_make_issuer(&i, root, out);
}

static struct cert_node
publisher_cert(uint64_t serial, const sign_key_t *key, uint64_t issuer_serial, int64_t from,
               int64_t to)
{
    struct cert_node n = {0};
    n.serial = serial;
    snprintf(n.node, sizeof n.node, "510000");
    snprintf(n.tier, sizeof n.tier, "publisher");
    n.parent[0] = '\0';
    memcpy(n.sign_pk, sign_key_public(key), CERT_KEY_BYTES);
    n.key_gen = 1;
    n.not_before = from;
    n.not_after = to;
    n.issued_at = NOW;
    n.issuer = issuer_serial;
    return n;
}

static void
make_publisher(const struct cert_node *n, const sign_key_t *by, struct wire_buf *out)
{
    wire_buf_init(out);
    cert_make_publisher(n, by, out);
}

/* A chain: a msgpack array of signed files (each a bin), as the CLI sends it. */
static void
make_chain(struct wire_buf *out, size_t n, const struct wire_buf *const *files)
{
    wire_buf_init(out);
    wire_put_array(out, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        wire_put_bin(out, files[i]->data, files[i]->len);
}

static void
make_bundle(const char *kind, uint64_t version, const char *body, const char *publisher_code,
            const struct wire_buf *chain, const sign_key_t *by, struct wire_buf *doc,
            uint8_t sig[SIGN_SIGNATURE_BYTES])
{
    struct bundle b = {.version = version, .published_ms = NOW, .body = body,
                       .body_len = strlen(body)};
    snprintf(b.kind, sizeof b.kind, "%s", kind);
    snprintf(b.publisher, sizeof b.publisher, "%s", publisher_code);
    if (chain) {
        b.chain = chain->data;
        b.chain_len = chain->len;
    }
    wire_buf_init(doc);
    bundle_make(by, &b, doc, sig);
}

static cert_trust_t *
trust_from_anchor(void)
{
    cert_trust_t *t = NULL;
    char why[ERR_WHY_MAX];
    assert_int_equal(cert_trust_from_anchor(anchor.data, anchor.len, &t, why), 0);
    assert_non_null(t);
    return t;
}

static int
open_with(cert_trust_t *t, const uint8_t *pk, const struct wire_buf *doc,
          const uint8_t sig[SIGN_SIGNATURE_BYTES], int64_t now, struct bundle *b,
          char why[ERR_WHY_MAX])
{
    memset(b, 0, sizeof *b);
    why[0] = '\0';
    return bundle_open(&(struct bundle_trust){.trust = t, .publisher_pk = pk}, doc->data, doc->len,
                       sig, SIGN_SIGNATURE_BYTES, now, b, why);
}

static size_t
publishers_held(const cert_trust_t *t)
{
    size_t n = 0;
    (void)cert_trust_publishers(t, &n);
    return n;
}

static int
setup(void **state)
{
    (void)state;
    assert_int_equal(sign_init(), 0);
    root1 = sign_key_generate();
    issuer = sign_key_generate();
    publisher = sign_key_generate();
    rogue = sign_key_generate();
    make_root(1, root1, NULL, &anchor);
    make_issuer(1, issuer, root1, 1, &issuer1);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    wire_buf_fini(&anchor);
    wire_buf_fini(&issuer1);
    sign_key_destroy(&root1);
    sign_key_destroy(&issuer);
    sign_key_destroy(&publisher);
    sign_key_destroy(&rogue);
    return 0;
}

/* ---- 1 ---- */

/* Promise: a trust holding only the anchor learns [issuer, publisher certificate] from the bundle
 * and takes the bundle signed by the certified key; the bundle reports the certificate it was
 * vouched by; bundle_learn_chain gives the same certificate to another trust, which judges it. */
static void
a_certified_publisher_is_taken_by_a_trust_holding_only_the_anchor(void **state)
{
    (void)state;
    struct cert_node pc = publisher_cert(9, publisher, 1, NOW - 2 * DAY, NOW + 365 * DAY);
    struct wire_buf pub, chain, doc;
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    make_publisher(&pc, issuer, &pub);
    assert_string_equal(cert_domain_of(pub.data, pub.len), CERT_DOMAIN_PUBLISHER);
    assert_string_equal(cert_domain_of(issuer1.data, issuer1.len), CERT_DOMAIN_ISSUER);
    assert_null(cert_domain_of("nonsense", 8));
    make_chain(&chain, 2, (const struct wire_buf *const[]){&issuer1, &pub});
    make_bundle("calendar", 2, calendar_body, "510000", &chain, publisher, &doc, sig);

    cert_trust_t *t = trust_from_anchor();
    assert_int_equal(publishers_held(t), 0);
    struct bundle b;
    char why[ERR_WHY_MAX];
    assert_int_equal(open_with(t, NULL, &doc, sig, NOW, &b, why), 0);
    assert_string_equal(b.kind, "calendar");
    assert_int_equal(b.version, 2);
    assert_string_equal(b.publisher, "510000");
    assert_int_equal(b.publisher_serial, 9);
    assert_int_equal(b.publisher_not_after, NOW + 365 * DAY);
    assert_non_null(b.chain);

    /* the trust now holds the issuer and the publisher certificate */
    size_t n = 0;
    const struct cert_node *held = cert_trust_publishers(t, &n);
    assert_int_equal(n, 1);
    assert_int_equal(held[0].serial, 9);
    assert_string_equal(held[0].node, "510000");
    assert_memory_equal(held[0].sign_pk, sign_key_public(publisher), CERT_KEY_BYTES);
    assert_int_equal(cert_trust_add_issuer(t, issuer1.data, issuer1.len, why), ERR_EXISTS);
    struct cert_node got;
    assert_int_equal(cert_trust_add_publisher(t, pub.data, pub.len, &got, why), ERR_EXISTS);
    assert_int_equal(cert_trust_judge_publisher(t, &held[0], NOW, why), 0);
    cert_trust_destroy(&t);

    /* bundle_learn_chain: a held bundle's chain, learned at start into a fresh trust */
    t = trust_from_anchor();
    struct cert_node learned = {0};
    assert_int_equal(bundle_learn_chain(&(struct bundle_trust){.trust = t}, chain.data, chain.len,
                                        &learned, why),
                     0);
    assert_int_equal(learned.serial, 9);
    assert_string_equal(learned.node, "510000");
    assert_string_equal(learned.tier, "publisher");
    assert_int_equal(learned.not_after, NOW + 365 * DAY);
    assert_int_equal(publishers_held(t), 1);
    assert_int_equal(cert_trust_judge_publisher(t, &learned, NOW, why), 0);
    cert_trust_destroy(&t);

    wire_buf_fini(&pub);
    wire_buf_fini(&chain);
    wire_buf_fini(&doc);
}

/* ---- 2 ---- */

/* Promise: the certificate is judged as of now_ms: after its not_after or before its not_before
 * the bundle is refused (ERR_INVALID, "expired" / "not yet valid", as cert_trust_judge). */
static void
a_publisher_certificate_outside_its_validity_is_refused(void **state)
{
    (void)state;
    struct cert_node pc = publisher_cert(9, publisher, 1, NOW - 2 * DAY, NOW + 365 * DAY);
    struct wire_buf pub, chain, doc;
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    make_publisher(&pc, issuer, &pub);
    make_chain(&chain, 2, (const struct wire_buf *const[]){&issuer1, &pub});
    make_bundle("calendar", 2, calendar_body, "510000", &chain, publisher, &doc, sig);
    struct bundle b;
    char why[ERR_WHY_MAX];

    cert_trust_t *t = trust_from_anchor();
    assert_int_equal(open_with(t, NULL, &doc, sig, pc.not_after + DAY, &b, why), ERR_INVALID);
    assert_non_null(strstr(why, "expired"));
    cert_trust_destroy(&t);

    t = trust_from_anchor();
    assert_int_equal(open_with(t, NULL, &doc, sig, pc.not_before - DAY, &b, why), ERR_INVALID);
    assert_non_null(strstr(why, "not yet valid"));
    /* the same certificate, judged directly, once held */
    assert_int_equal(open_with(t, NULL, &doc, sig, NOW, &b, why), 0);
    const struct cert_node *held = cert_trust_publishers(t, &(size_t){0});
    assert_int_equal(cert_trust_judge_publisher(t, held, pc.not_after + 1, why), ERR_INVALID);
    assert_int_equal(cert_trust_judge_publisher(t, held, pc.not_before - 1, why), ERR_INVALID);
    cert_trust_destroy(&t);

    wire_buf_fini(&pub);
    wire_buf_fini(&chain);
    wire_buf_fini(&doc);
}

/* ---- 3 ---- */

/* Promise: the bundle's signature must be made by the certificate's sign_pk (ERR_BAD_SIGNATURE),
 * even when the chain itself is perfectly good. */
static void
a_bundle_signed_by_another_key_than_the_certificates_is_refused(void **state)
{
    (void)state;
    struct cert_node pc = publisher_cert(9, publisher, 1, NOW - 2 * DAY, NOW + 365 * DAY);
    struct wire_buf pub, chain, doc;
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    make_publisher(&pc, issuer, &pub);
    make_chain(&chain, 2, (const struct wire_buf *const[]){&issuer1, &pub});
    make_bundle("calendar", 2, calendar_body, "510000", &chain, rogue, &doc, sig);
    struct bundle b;
    char why[ERR_WHY_MAX];
    cert_trust_t *t = trust_from_anchor();
    assert_int_equal(open_with(t, NULL, &doc, sig, NOW, &b, why), ERR_BAD_SIGNATURE);
    assert_true(why[0] != '\0');
    /* nor does a bare key rescue it: a bundle with a chain is judged by the trust */
    assert_int_equal(open_with(t, sign_key_public(rogue), &doc, sig, NOW, &b, why),
                     ERR_BAD_SIGNATURE);
    cert_trust_destroy(&t);
    wire_buf_fini(&pub);
    wire_buf_fini(&chain);
    wire_buf_fini(&doc);
}

/* ---- 4 ---- */

/* Promise: a publisher certificate whose issuer no root version held certified (here: an issuer
 * of another, self-made root) is not vouched for: ERR_BAD_SIGNATURE, and nothing of it is learned. */
static void
a_publisher_certified_under_a_foreign_root_is_refused(void **state)
{
    (void)state;
    sign_key_t *other_root = sign_key_generate(), *other_issuer = sign_key_generate();
    struct wire_buf foreign_issuer, pub, chain, doc;
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    make_issuer(1, other_issuer, other_root, 1, &foreign_issuer); /* same serial, other root */
    struct cert_node pc = publisher_cert(9, publisher, 1, NOW - 2 * DAY, NOW + 365 * DAY);
    make_publisher(&pc, other_issuer, &pub);
    make_chain(&chain, 2, (const struct wire_buf *const[]){&foreign_issuer, &pub});
    make_bundle("calendar", 2, calendar_body, "510000", &chain, publisher, &doc, sig);
    struct bundle b;
    char why[ERR_WHY_MAX];
    cert_trust_t *t = trust_from_anchor();
    assert_int_equal(open_with(t, NULL, &doc, sig, NOW, &b, why), ERR_BAD_SIGNATURE);
    assert_true(why[0] != '\0');
    assert_int_equal(publishers_held(t), 0);
    /* and the foreign issuer was not learned either: the real one is still new to the trust */
    assert_int_equal(cert_trust_add_issuer(t, issuer1.data, issuer1.len, why), 0);
    /* even now, a certificate made by the foreign issuer's key under serial 1 is not vouched for */
    struct cert_node got;
    assert_int_not_equal(cert_trust_add_publisher(t, pub.data, pub.len, &got, why), 0);
    assert_int_equal(publishers_held(t), 0);
    cert_trust_destroy(&t);
    wire_buf_fini(&foreign_issuer);
    wire_buf_fini(&pub);
    wire_buf_fini(&chain);
    wire_buf_fini(&doc);
    sign_key_destroy(&other_root);
    sign_key_destroy(&other_issuer);
}

/* ---- 5 ---- */

/* Promise: a chain must carry a publisher certificate (bundle_learn_chain: "no publisher
 * certificate"); a chain of an issuer alone certifies nothing, so the bundle is refused. */
static void
a_chain_without_a_publisher_certificate_is_refused(void **state)
{
    (void)state;
    struct wire_buf chain, doc;
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    make_chain(&chain, 1, (const struct wire_buf *const[]){&issuer1});
    make_bundle("calendar", 2, calendar_body, "510000", &chain, publisher, &doc, sig);
    struct bundle b;
    char why[ERR_WHY_MAX];
    cert_trust_t *t = trust_from_anchor();
    assert_int_not_equal(open_with(t, NULL, &doc, sig, NOW, &b, why), 0);
    assert_non_null(strstr(why, "publisher"));
    /* not even with the bare key beside it: a chained bundle is the trust's to judge */
    assert_int_not_equal(open_with(t, sign_key_public(publisher), &doc, sig, NOW, &b, why), 0);
    struct cert_node learned;
    assert_int_not_equal(
        bundle_learn_chain(&(struct bundle_trust){.trust = t}, chain.data, chain.len, &learned,
                           why),
        0);
    assert_non_null(strstr(why, "publisher"));
    cert_trust_destroy(&t);
    wire_buf_fini(&chain);
    wire_buf_fini(&doc);
}

/* ---- 6 ---- */

/* Promise: the certificate's node must be the bundle's `publisher`: a bundle naming 510100 under
 * a certificate for 510000 is refused. */
static void
a_bundle_naming_another_publisher_than_the_certificate_is_refused(void **state)
{
    (void)state;
    struct cert_node pc = publisher_cert(9, publisher, 1, NOW - 2 * DAY, NOW + 365 * DAY);
    struct wire_buf pub, chain, doc;
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    make_publisher(&pc, issuer, &pub);
    make_chain(&chain, 2, (const struct wire_buf *const[]){&issuer1, &pub});
    make_bundle("calendar", 2, calendar_body, "510100", &chain, publisher, &doc, sig);
    struct bundle b;
    char why[ERR_WHY_MAX];
    cert_trust_t *t = trust_from_anchor();
    assert_int_not_equal(open_with(t, NULL, &doc, sig, NOW, &b, why), 0);
    assert_non_null(strstr(why, "510100")); /* names what the bundle claims */
    cert_trust_destroy(&t);
    wire_buf_fini(&pub);
    wire_buf_fini(&chain);
    wire_buf_fini(&doc);
}

/* ---- 7 ---- */

/* Promise: a CRL in force that revokes the publisher certificate's serial makes its bundles
 * refused (ERR_STATE, "revoked", as cert_trust_judge); a renewed certificate (new key, new
 * serial) from the same issuer is taken. */
static void
a_revoked_publisher_is_refused_and_its_renewal_taken(void **state)
{
    (void)state;
    struct cert_node pc = publisher_cert(9, publisher, 1, NOW - 2 * DAY, NOW + 365 * DAY);
    struct wire_buf pub, chain, doc, crl;
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    make_publisher(&pc, issuer, &pub);
    make_chain(&chain, 2, (const struct wire_buf *const[]){&issuer1, &pub});
    make_bundle("calendar", 2, calendar_body, "510000", &chain, publisher, &doc, sig);
    struct bundle b;
    char why[ERR_WHY_MAX];
    cert_trust_t *t = trust_from_anchor();
    assert_int_equal(open_with(t, NULL, &doc, sig, NOW, &b, why), 0);

    struct cert_revoked r = {9, "510000", "compromised", NOW - DAY, NOW - 2 * DAY};
    struct cert_crl c = {1, NOW - DAY, NOW + 30 * DAY, 1, &r, 1};
    wire_buf_init(&crl);
    cert_make_crl(&c, issuer, &crl);
    assert_int_equal(cert_trust_apply_crl(t, crl.data, crl.len, why), 0);
    assert_non_null(cert_trust_revocation(t, 9));
    assert_int_equal(open_with(t, NULL, &doc, sig, NOW, &b, why), ERR_STATE);
    assert_non_null(strstr(why, "revoked"));
    const struct cert_node *held = cert_trust_publishers(t, &(size_t){0});
    assert_int_equal(cert_trust_judge_publisher(t, held, NOW, why), ERR_STATE);

    /* the renewal: a new key, serial 10 */
    sign_key_t *renewed = sign_key_generate();
    struct cert_node pc2 = publisher_cert(10, renewed, 1, NOW - 2 * DAY, NOW + 365 * DAY);
    struct wire_buf pub2, chain2, doc2;
    uint8_t sig2[SIGN_SIGNATURE_BYTES];
    make_publisher(&pc2, issuer, &pub2);
    make_chain(&chain2, 2, (const struct wire_buf *const[]){&issuer1, &pub2});
    make_bundle("calendar", 3, calendar_body, "510000", &chain2, renewed, &doc2, sig2);
    assert_int_equal(open_with(t, NULL, &doc2, sig2, NOW, &b, why), 0);
    assert_int_equal(b.publisher_serial, 10);
    assert_int_equal(publishers_held(t), 2);
    /* and the old one stays refused */
    assert_int_equal(open_with(t, NULL, &doc, sig, NOW, &b, why), ERR_STATE);

    cert_trust_destroy(&t);
    sign_key_destroy(&renewed);
    wire_buf_fini(&pub);
    wire_buf_fini(&chain);
    wire_buf_fini(&doc);
    wire_buf_fini(&crl);
    wire_buf_fini(&pub2);
    wire_buf_fini(&chain2);
    wire_buf_fini(&doc2);
}

/* ---- 8 ---- */

/* Promise: a chain may carry root versions after the anchor, each signed by its predecessor and
 * itself: a trust holding v1 only walks to v2 and takes a publisher certified under v2. A root v3
 * arriving without v2 is not the next version after the newest held, so it is refused (whether
 * signed by v2's key, which the trust never saw, or by v1's), and so is what it certifies. */
static void
a_chain_walks_the_root_forward_but_never_skips_a_version(void **state)
{
    (void)state;
    sign_key_t *root2 = sign_key_generate(), *root3 = sign_key_generate(),
               *issuer2 = sign_key_generate(), *issuer3 = sign_key_generate();
    struct wire_buf r2, i2, pub, chain, doc;
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    make_root(2, root2, root1, &r2);
    make_issuer(2, issuer2, root2, 2, &i2);
    struct cert_node pc = publisher_cert(9, publisher, 2, NOW - 2 * DAY, NOW + 365 * DAY);
    make_publisher(&pc, issuer2, &pub);
    make_chain(&chain, 3, (const struct wire_buf *const[]){&r2, &i2, &pub});
    make_bundle("calendar", 2, calendar_body, "510000", &chain, publisher, &doc, sig);
    struct bundle b;
    char why[ERR_WHY_MAX];
    cert_trust_t *t = trust_from_anchor();
    assert_int_equal(cert_trust_root(t)->version, 1);
    assert_int_equal(open_with(t, NULL, &doc, sig, NOW, &b, why), 0);
    assert_int_equal(cert_trust_root(t)->version, 2);
    assert_memory_equal(cert_trust_root(t)->key, sign_key_public(root2), CERT_KEY_BYTES);
    assert_int_equal(b.publisher_serial, 9);
    cert_trust_destroy(&t);

    /* v3 in a chain that skips v2: signed by v2 and itself, or by v1 and itself */
    const sign_key_t *prevs[] = {root2, root1};
    for (size_t k = 0; k < 2; k++) {
        struct wire_buf r3, i3, pub3, chain3, doc3;
        uint8_t sig3[SIGN_SIGNATURE_BYTES];
        make_root(3, root3, prevs[k], &r3);
        make_issuer(3, issuer3, root3, 3, &i3);
        struct cert_node pc3 = publisher_cert(11, publisher, 3, NOW - 2 * DAY, NOW + 365 * DAY);
        make_publisher(&pc3, issuer3, &pub3);
        make_chain(&chain3, 3, (const struct wire_buf *const[]){&r3, &i3, &pub3});
        make_bundle("calendar", 2, calendar_body, "510000", &chain3, publisher, &doc3, sig3);
        t = trust_from_anchor();
        assert_int_not_equal(open_with(t, NULL, &doc3, sig3, NOW, &b, why), 0);
        assert_non_null(strstr(why, "root"));
        assert_int_equal(cert_trust_root(t)->version, 1);
        assert_int_equal(publishers_held(t), 0);
        assert_int_not_equal(cert_trust_add_root(t, r3.data, r3.len, why), 0);
        assert_int_equal(cert_trust_root(t)->version, 1);
        cert_trust_destroy(&t);
        wire_buf_fini(&r3);
        wire_buf_fini(&i3);
        wire_buf_fini(&pub3);
        wire_buf_fini(&chain3);
        wire_buf_fini(&doc3);
    }

    /* v2 signed by its own key only (not by v1's) is refused too */
    struct wire_buf forged;
    make_root(2, root2, NULL, &forged);
    t = trust_from_anchor();
    assert_int_not_equal(cert_trust_add_root(t, forged.data, forged.len, why), 0);
    assert_int_equal(cert_trust_root(t)->version, 1);
    assert_int_equal(cert_trust_add_root(t, r2.data, r2.len, why), 0);
    assert_int_equal(cert_trust_add_root(t, r2.data, r2.len, why), ERR_EXISTS);
    assert_int_equal(cert_trust_root(t)->version, 2);
    cert_trust_destroy(&t);
    wire_buf_fini(&forged);

    wire_buf_fini(&r2);
    wire_buf_fini(&i2);
    wire_buf_fini(&pub);
    wire_buf_fini(&chain);
    wire_buf_fini(&doc);
    sign_key_destroy(&root2);
    sign_key_destroy(&root3);
    sign_key_destroy(&issuer2);
    sign_key_destroy(&issuer3);
}

/* ---- 9 ---- */

struct seen {
    int calls;
    char names[8][64];
    size_t lens[8];
    uint8_t hashes[8][SIGN_HASH_BYTES];
};

static void
learned_fn(void *arg, const char *name, const void *file, size_t len)
{
    struct seen *s = arg;
    if (s->calls < 8) {
        snprintf(s->names[s->calls], sizeof s->names[0], "%s", name);
        s->lens[s->calls] = len;
        sign_hash(file, len, s->hashes[s->calls]);
    }
    s->calls++;
}

static int
seen_index(const struct seen *s, const char *name)
{
    for (int i = 0; i < s->calls && i < 8; i++)
        if (strcmp(s->names[i], name) == 0)
            return i;
    return -1;
}

static void
assert_seen_file(const struct seen *s, const char *name, const struct wire_buf *file)
{
    int i = seen_index(s, name);
    assert_true(i >= 0);
    assert_int_equal(s->lens[i], file->len);
    uint8_t h[SIGN_HASH_BYTES];
    sign_hash(file->data, file->len, h);
    assert_memory_equal(s->hashes[i], h, SIGN_HASH_BYTES);
}

/* Promise: `learned` is told once of each document new to the trust, with its name in a trust
 * directory (root.N.jc, issuer.SERIAL.jc, publisher.SERIAL.jc) and its file bytes; a bundle
 * opened again brings nothing new and so tells nothing. */
static void
each_new_document_is_reported_once_with_its_trust_directory_name(void **state)
{
    (void)state;
    sign_key_t *root2 = sign_key_generate(), *issuer7 = sign_key_generate();
    struct wire_buf r2, i7, pub, chain, doc;
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    make_root(2, root2, root1, &r2);
    make_issuer(7, issuer7, root2, 2, &i7);
    struct cert_node pc = publisher_cert(9, publisher, 7, NOW - 2 * DAY, NOW + 365 * DAY);
    make_publisher(&pc, issuer7, &pub);
    make_chain(&chain, 3, (const struct wire_buf *const[]){&r2, &i7, &pub});
    make_bundle("calendar", 2, calendar_body, "510000", &chain, publisher, &doc, sig);

    struct seen s = {0};
    cert_trust_t *t = trust_from_anchor();
    struct bundle_trust bt = {.trust = t, .learned = learned_fn, .arg = &s};
    struct bundle b;
    char why[ERR_WHY_MAX];
    assert_int_equal(bundle_open(&bt, doc.data, doc.len, sig, sizeof sig, NOW, &b, why), 0);
    assert_int_equal(s.calls, 3);
    assert_seen_file(&s, "root.2.jc", &r2);
    assert_seen_file(&s, "issuer.7.jc", &i7);
    assert_seen_file(&s, "publisher.9.jc", &pub);
    /* the same bundle again: nothing new */
    assert_int_equal(bundle_open(&bt, doc.data, doc.len, sig, sizeof sig, NOW, &b, why), 0);
    assert_int_equal(s.calls, 3);
    cert_trust_destroy(&t);

    wire_buf_fini(&r2);
    wire_buf_fini(&i7);
    wire_buf_fini(&pub);
    wire_buf_fini(&chain);
    wire_buf_fini(&doc);
    sign_key_destroy(&root2);
    sign_key_destroy(&issuer7);
}

/* ---- 10 ---- */

/* Promise: a bundle without a chain is checked against the bare publisher_pk; with a trust but no
 * bare key it has nothing to be judged by, and is refused. */
static void
a_bundle_without_a_chain_needs_the_bare_key(void **state)
{
    (void)state;
    struct wire_buf doc;
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    make_bundle("calendar", 2, calendar_body, "510000", NULL, publisher, &doc, sig);
    struct bundle b;
    char why[ERR_WHY_MAX];
    cert_trust_t *t = trust_from_anchor();
    assert_int_not_equal(open_with(t, NULL, &doc, sig, NOW, &b, why), 0);
    assert_non_null(strstr(why, "publisher"));
    /* development mode: the bare key, with or without a trust beside it */
    assert_int_equal(open_with(t, sign_key_public(publisher), &doc, sig, NOW, &b, why), 0);
    assert_null(b.chain);
    assert_int_equal(b.publisher_serial, 0);
    assert_int_equal(open_with(NULL, sign_key_public(publisher), &doc, sig, NOW, &b, why), 0);
    /* the bare key is still checked */
    assert_int_equal(open_with(t, sign_key_public(rogue), &doc, sig, NOW, &b, why),
                     ERR_BAD_SIGNATURE);
    assert_int_equal(publishers_held(t), 0);
    cert_trust_destroy(&t);
    wire_buf_fini(&doc);
}

/* ---- 11 ---- */

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
    return bundle_keep(t, 510104, 0, k->b, k->doc->data, k->doc->len, k->sig,
                       SIGN_SIGNATURE_BYTES, NOW, &k->taken);
}

/* Opens (with the trust, or the bare key for a chainless one) and keeps a bundle. */
static void
open_and_keep(store_t *st, cert_trust_t *t, const struct wire_buf *doc, const uint8_t *sig)
{
    struct bundle b;
    char why[ERR_WHY_MAX];
    assert_int_equal(open_with(t, sign_key_public(publisher), doc, sig, NOW, &b, why), 0);
    struct keep k = {&b, doc, sig, false};
    assert_int_equal(store_write(st, keep_fn, &k), 0);
    assert_true(k.taken);
}

static int
held_publisher(store_t *st, struct cert_node *p)
{
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    int rc = bundle_held_publisher(t, p);
    store_abort(&t);
    return rc;
}

/* Promise: bundle_held_publisher gives, of the publisher certificates the held bundles' chains
 * carry, the one ending last (whatever the kind or the order kept), and ERR_NOT_FOUND while no
 * held bundle carries one. */
static void
the_held_publisher_is_the_certificate_ending_last(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    store_t *st = NULL;
    struct store_options o = {.map_bytes = 4 << 20};
    assert_int_equal(store_open(dir, &o, &st), 0);
    cert_trust_t *t = trust_from_anchor();
    struct cert_node got;

    /* nothing held, then a chainless bundle only */
    assert_int_equal(held_publisher(st, &got), ERR_NOT_FOUND);
    struct wire_buf bare;
    uint8_t bare_sig[SIGN_SIGNATURE_BYTES];
    make_bundle("calendar", 1, calendar_body, "510000", NULL, publisher, &bare, bare_sig);
    open_and_keep(st, t, &bare, bare_sig);
    assert_int_equal(held_publisher(st, &got), ERR_NOT_FOUND);

    /* a calendar under a certificate ending in 300 days, a catalogue under one ending in 100 */
    struct cert_node long_c = publisher_cert(21, publisher, 1, NOW - 2 * DAY, NOW + 300 * DAY);
    struct cert_node short_c = publisher_cert(22, publisher, 1, NOW - 2 * DAY, NOW + 100 * DAY);
    struct cert_node later_c = publisher_cert(23, publisher, 1, NOW - 2 * DAY, NOW + 500 * DAY);
    struct wire_buf pl, ps, pv, cl, cs, cv, dl, ds, dv;
    uint8_t sl[SIGN_SIGNATURE_BYTES], ss[SIGN_SIGNATURE_BYTES], sv[SIGN_SIGNATURE_BYTES];
    make_publisher(&long_c, issuer, &pl);
    make_publisher(&short_c, issuer, &ps);
    make_publisher(&later_c, issuer, &pv);
    make_chain(&cl, 2, (const struct wire_buf *const[]){&issuer1, &pl});
    make_chain(&cs, 2, (const struct wire_buf *const[]){&issuer1, &ps});
    make_chain(&cv, 2, (const struct wire_buf *const[]){&issuer1, &pv});
    char cat3[1024], cat4[1024];
    snprintf(cat3, sizeof cat3, CATALOG_FMT, 3);
    snprintf(cat4, sizeof cat4, CATALOG_FMT, 4);
    make_bundle("calendar", 2, calendar_body, "510000", &cl, publisher, &dl, sl);
    make_bundle("catalog", 3, cat3, "510000", &cs, publisher, &ds, ss);
    make_bundle("catalog", 4, cat4, "510000", &cv, publisher, &dv, sv);

    open_and_keep(st, t, &dl, sl); /* kept first, ends last */
    open_and_keep(st, t, &ds, ss);
    memset(&got, 0, sizeof got);
    assert_int_equal(held_publisher(st, &got), 0);
    assert_int_equal(got.serial, 21);
    assert_int_equal(got.not_after, NOW + 300 * DAY);
    assert_string_equal(got.node, "510000");

    /* a newer catalogue under a certificate ending later still */
    open_and_keep(st, t, &dv, sv);
    memset(&got, 0, sizeof got);
    assert_int_equal(held_publisher(st, &got), 0);
    assert_int_equal(got.serial, 23);
    assert_int_equal(got.not_after, NOW + 500 * DAY);

    struct wire_buf *bufs[] = {&bare, &pl, &ps, &pv, &cl, &cs, &cv, &dl, &ds, &dv};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        wire_buf_fini(bufs[i]);
    cert_trust_destroy(&t);
    store_close(&st);
    testutil_rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            a_certified_publisher_is_taken_by_a_trust_holding_only_the_anchor, setup, teardown),
        cmocka_unit_test_setup_teardown(a_publisher_certificate_outside_its_validity_is_refused,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_bundle_signed_by_another_key_than_the_certificates_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(a_publisher_certified_under_a_foreign_root_is_refused,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_chain_without_a_publisher_certificate_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            a_bundle_naming_another_publisher_than_the_certificate_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(a_revoked_publisher_is_refused_and_its_renewal_taken,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_chain_walks_the_root_forward_but_never_skips_a_version,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            each_new_document_is_reported_once_with_its_trust_directory_name, setup, teardown),
        cmocka_unit_test_setup_teardown(a_bundle_without_a_chain_needs_the_bare_key, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(the_held_publisher_is_the_certificate_ending_last, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
