/* bundle: signing, checking and keeping the documents sent down the tree. Table keys are in
 * store.h; the document and record layouts in docs/protocol.md. */
#include "bundle.h"

#include "calendar.h"
#include "catalog.h"
#include "cert.h"
#include "err.h"
#include "node.h"
#include "roster.h"
#include "spool.h"

#include <stdio.h>
#include <string.h>

bool
bundle_kind_known(const char *kind)
{
    return strcmp(kind, "catalog") == 0 || strcmp(kind, "calendar") == 0 ||
           strcmp(kind, "crl") == 0 || strcmp(kind, "certs") == 0 ||
           strcmp(kind, "operators") == 0;
}


void
bundle_make(const sign_key_t *key, const struct bundle *b, struct wire_buf *doc,
            uint8_t sig[SIGN_SIGNATURE_BYTES])
{
    wire_put_map(doc, b->chain ? 7 : 6);
    wire_put_cstr(doc, "v");
    wire_put_uint(doc, 1);
    wire_put_cstr(doc, "kind");
    wire_put_cstr(doc, b->kind);
    wire_put_cstr(doc, "version");
    wire_put_uint(doc, b->version);
    wire_put_cstr(doc, "published");
    wire_put_int(doc, b->published_ms);
    wire_put_cstr(doc, "publisher");
    wire_put_cstr(doc, b->publisher);
    wire_put_cstr(doc, "body");
    wire_put_bin(doc, b->body, b->body_len);
    if (b->chain) {
        wire_put_cstr(doc, "chain");
        wire_put_bin(doc, b->chain, b->chain_len);
    }
    uint8_t h[SIGN_HASH_BYTES];
    sign_hash(doc->data, doc->len, h);
    sign_detached_digest(key, SIGN_DOMAIN_BUNDLE, h, sizeof h, sig);
}

static int
check_body(struct bundle *b, char why[ERR_WHY_MAX])
{
    char err[ERR_WHY_MAX];
    if (strcmp(b->kind, "catalog") == 0) {
        catalog_t *c = NULL;
        if (catalog_parse(b->body, b->body_len, &c, err, sizeof err) != 0) {
            snprintf(why, ERR_WHY_MAX, "catalogue version %llu does not parse: %.100s",
                     (unsigned long long)b->version, err);
            return ERR_INVALID;
        }
        uint64_t v = catalog_version(c);
        catalog_destroy(&c);
        if (v != b->version) {
            snprintf(why, ERR_WHY_MAX, "bundle version %llu carries catalogue version %llu",
                     (unsigned long long)b->version, (unsigned long long)v);
            return ERR_INVALID;
        }
        return 0;
    }
    if (strcmp(b->kind, "certs") == 0) {
        /* each certificate's issuer signature is checked by whoever adds it to a trust */
        if (cert_set_each(b->body, b->body_len, NULL, NULL) != 0) {
            snprintf(why, ERR_WHY_MAX, "certificate set %llu: not a list of node certificates",
                     (unsigned long long)b->version);
            return ERR_INVALID;
        }
        return 0;
    }
    if (strcmp(b->kind, "operators") == 0) {
        roster_t *r = NULL;
        if (roster_parse(b->body, b->body_len, &r, err, sizeof err) != 0) {
            snprintf(why, ERR_WHY_MAX, "operators roster %llu: %.100s",
                     (unsigned long long)b->version, err);
            return ERR_INVALID;
        }
        uint64_t v = roster_version(r);
        roster_destroy(&r);
        if (v != b->version) {
            snprintf(why, ERR_WHY_MAX, "bundle version %llu carries roster version %llu",
                     (unsigned long long)b->version, (unsigned long long)v);
            return ERR_INVALID;
        }
        return 0;
    }
    if (strcmp(b->kind, "crl") == 0) {
        /* the issuer's signature is checked by whoever applies it, against its trust */
        struct cert_crl crl;
        if (cert_read_crl(b->body, b->body_len, &crl, err) != 0) {
            snprintf(why, ERR_WHY_MAX, "revocation list bundle %llu: %.100s",
                     (unsigned long long)b->version, err);
            return ERR_INVALID;
        }
        uint64_t v = crl.version;
        cert_crl_fini(&crl);
        if (v != b->version) {
            snprintf(why, ERR_WHY_MAX, "bundle version %llu carries revocation list version %llu",
                     (unsigned long long)b->version, (unsigned long long)v);
            return ERR_INVALID;
        }
        return 0;
    }
    calendar_t *c = NULL;
    if (calendar_parse(b->body, b->body_len, "bundle", &c, err, sizeof err) != 0) {
        snprintf(why, ERR_WHY_MAX, "calendar version %llu does not parse: %.100s",
                 (unsigned long long)b->version, err);
        return ERR_INVALID;
    }
    calendar_destroy(&c);
    return 0;
}

int
bundle_peek(const void *doc, size_t len, struct bundle *b)
{
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    const char *kind, *pub, *body;
    size_t kl, pl, bl;
    uint64_t v = 0;
    const wire_obj_t *ver = NULL, *at = NULL;
    int rc = ERR_DECODE;
    if (wire_decode_one(doc, len, &r, &m) == 0 && wire_obj_type(m) == WIRE_MAP &&
        wire_obj_get_uint(m, "v", &v) == 0 && v == 1 &&
        wire_obj_get_bytes(m, "kind", WIRE_STR, &kind, &kl) == 0 && kl < BUNDLE_KIND_MAX &&
        (ver = wire_obj_get(m, "version")) && wire_obj_type(ver) == WIRE_UINT &&
        (at = wire_obj_get(m, "published")) &&
        (wire_obj_type(at) == WIRE_UINT || wire_obj_type(at) == WIRE_INT) &&
        wire_obj_get_bytes(m, "publisher", WIRE_STR, &pub, &pl) == 0 && pl == 6 &&
        wire_obj_get_bytes(m, "body", WIRE_BIN, &body, &bl) == 0 &&
        /* msgpack-c refers into the input for bin values; the body must outlive the reader */
        body >= (const char *)doc && body + bl <= (const char *)doc + len) {
        memset(b, 0, sizeof *b);
        const char *chain;
        size_t cl;
        if (wire_obj_get_bytes(m, "chain", WIRE_BIN, &chain, &cl) == 0 &&
            chain >= (const char *)doc && chain + cl <= (const char *)doc + len) {
            b->chain = chain;
            b->chain_len = cl;
        }
        memcpy(b->kind, kind, kl);
        b->kind[kl] = '\0';
        b->version = wire_obj_uint(ver);
        b->published_ms =
            wire_obj_type(at) == WIRE_UINT ? (int64_t)wire_obj_uint(at) : wire_obj_int(at);
        memcpy(b->publisher, pub, 6);
        b->publisher[6] = '\0';
        b->body = body;
        b->body_len = bl;
        rc = 0;
    }
    wire_reader_destroy(&r);
    return rc;
}

/* One document of a chain added to the trust; a new one is handed to bt->learned under the name it
 * has in a trust directory. */
static int
learn_one(const struct bundle_trust *bt, const void *file, size_t len, struct cert_node *publisher,
          bool *has_publisher, char why[ERR_WHY_MAX])
{
    const char *domain = cert_domain_of(file, len);
    char name[64], w[ERR_WHY_MAX];
    int rc;
    if (domain && strcmp(domain, CERT_DOMAIN_ROOT) == 0) {
        struct cert_root r = {0};
        rc = cert_read_root(file, len, &r, w);
        if (rc == 0)
            rc = cert_trust_add_root(bt->trust, file, len, w);
        snprintf(name, sizeof name, "root.%llu.jc", (unsigned long long)r.version);
    } else if (domain && strcmp(domain, CERT_DOMAIN_ISSUER) == 0) {
        struct cert_issuer i = {0};
        rc = cert_read_issuer(file, len, &i, w);
        if (rc == 0)
            rc = cert_trust_add_issuer(bt->trust, file, len, w);
        snprintf(name, sizeof name, "issuer.%llu.jc", (unsigned long long)i.serial);
    } else if (domain && strcmp(domain, CERT_DOMAIN_PUBLISHER) == 0) {
        rc = cert_trust_add_publisher(bt->trust, file, len, publisher, w);
        if (rc == 0 || rc == ERR_EXISTS)
            *has_publisher = true;
        snprintf(name, sizeof name, "publisher.%llu.jc", (unsigned long long)publisher->serial);
    } else {
        snprintf(why, ERR_WHY_MAX, "the bundle's chain holds a document that is no root, issuer "
                                   "or publisher certificate");
        return ERR_DECODE;
    }
    if (rc == 0 && bt->learned)
        bt->learned(bt->arg, name, file, len);
    if (rc != 0 && rc != ERR_EXISTS) {
        snprintf(why, ERR_WHY_MAX, "the bundle's chain: %.400s", w);
        return rc;
    }
    return 0;
}

int
bundle_learn_chain(const struct bundle_trust *bt, const void *chain, size_t len,
                   struct cert_node *publisher, char why[ERR_WHY_MAX])
{
    wire_reader_t *r = NULL;
    const wire_obj_t *a;
    bool has_publisher = false;
    int rc = 0;
    if (wire_decode_one(chain, len, &r, &a) != 0 || wire_obj_type(a) != WIRE_ARRAY) {
        snprintf(why, ERR_WHY_MAX, "the bundle's chain is not an array of documents");
        rc = ERR_DECODE;
    }
    for (uint32_t i = 0; rc == 0 && i < wire_obj_size(a); i++) {
        const wire_obj_t *e = wire_obj_at(a, i);
        size_t fl;
        const char *f = wire_obj_type(e) == WIRE_BIN ? wire_obj_bytes(e, &fl) : NULL;
        if (!f) {
            snprintf(why, ERR_WHY_MAX, "the bundle's chain holds a %s where a document belongs",
                     "non-binary value");
            rc = ERR_DECODE;
        } else {
            has_publisher = false; /* the signer's is the last document */
            rc = learn_one(bt, f, fl, publisher, &has_publisher, why);
        }
    }
    wire_reader_destroy(&r);
    if (rc == 0 && !has_publisher) {
        snprintf(why, ERR_WHY_MAX, "the bundle's chain does not end with a publisher certificate");
        rc = ERR_BAD_SIGNATURE;
    }
    return rc;
}

/* The publisher's key for this bundle: its certificate's, judged by the trust, or the bare key. */
static int
publisher_key(const struct bundle_trust *bt, struct bundle *b, int64_t now_ms, uint8_t pk[SIGN_PUBLIC_BYTES],
              char why[ERR_WHY_MAX])
{
    if (b->chain && bt->trust) {
        struct cert_node p = {0};
        int rc = bundle_learn_chain(bt, b->chain, b->chain_len, &p, why);
        if (rc == 0)
            rc = cert_trust_judge_publisher(bt->trust, &p, now_ms, why);
        if (rc == 0 && strcmp(p.node, b->publisher) != 0) {
            snprintf(why, ERR_WHY_MAX, "the bundle names publisher %s, its certificate %s",
                     b->publisher, p.node);
            rc = ERR_BAD_SIGNATURE;
        }
        if (rc != 0)
            return rc;
        memcpy(pk, p.sign_pk, SIGN_PUBLIC_BYTES);
        b->publisher_serial = p.serial;
        b->publisher_not_after = p.not_after;
        return 0;
    }
    if (bt->publisher_pk) {
        memcpy(pk, bt->publisher_pk, SIGN_PUBLIC_BYTES);
        return 0;
    }
    snprintf(why, ERR_WHY_MAX, bt->trust ? "the bundle carries no publisher certificate (publish "
                                           "it with --cert publisher.S.jc)"
                                         : "no publisher is configured here (bundle/publisher_key "
                                           "or a root)");
    return ERR_BAD_SIGNATURE;
}

int
bundle_open(const struct bundle_trust *bt, const void *doc, size_t len, const void *sig,
            size_t sig_len, int64_t now_ms, struct bundle *b, char why[ERR_WHY_MAX])
{
    int rc = bundle_peek(doc, len, b);
    if (rc != 0) {
        snprintf(why, ERR_WHY_MAX, "bundle document is malformed");
        return rc;
    }
    uint8_t pk[SIGN_PUBLIC_BYTES], h[SIGN_HASH_BYTES];
    if ((rc = publisher_key(bt, b, now_ms, pk, why)) != 0)
        return rc;
    sign_hash(doc, len, h);
    if (sig_len != SIGN_SIGNATURE_BYTES ||
        sign_verify_digest(pk, SIGN_DOMAIN_BUNDLE, h, sizeof h, sig) != 0) {
        snprintf(why, ERR_WHY_MAX, "bundle signature does not verify with the publisher's key");
        return ERR_BAD_SIGNATURE;
    }
    if (!bundle_kind_known(b->kind) || b->version == 0) {
        snprintf(why, ERR_WHY_MAX, "bundle of unknown kind \"%s\" or version 0", b->kind);
        return ERR_INVALID;
    }
    return check_body(b, why);
}

static size_t
kind_key(uint8_t *out, const char *kind)
{
    size_t kl = strlen(kind);
    out[0] = 'k';
    memcpy(out + 1, kind, kl);
    return 1 + kl;
}

static size_t
version_key(uint8_t *out, uint32_t node, const char *kind)
{
    size_t kl = strlen(kind);
    out[0] = 'v';
    store_be32(out + 1, node);
    memcpy(out + 5, kind, kl);
    return 5 + kl;
}

int
bundle_held(store_txn_t *t, const char *kind, uint64_t *version, struct wire_buf *doc,
            struct wire_buf *sig)
{
    uint8_t k[1 + BUNDLE_KIND_MAX];
    struct wire_buf v;
    wire_buf_init(&v);
    *version = 0;
    int rc = store_get(t, STORE_BUNDLES, k, kind_key(k, kind), &v);
    if (rc == ERR_NOT_FOUND) {
        wire_buf_fini(&v);
        return 0;
    }
    wire_reader_t *r = NULL;
    const wire_obj_t *o;
    if (rc == 0) {
        rc = ERR_CORRUPT;
        const char *d, *s;
        size_t dl, sl;
        if (wire_decode_one(v.data, v.len, &r, &o) == 0 && wire_obj_type(o) == WIRE_ARRAY &&
            wire_obj_size(o) == 3 && wire_obj_type(wire_obj_at(o, 0)) == WIRE_UINT &&
            wire_obj_type(wire_obj_at(o, 1)) == WIRE_BIN &&
            wire_obj_type(wire_obj_at(o, 2)) == WIRE_BIN) {
            *version = wire_obj_uint(wire_obj_at(o, 0));
            d = wire_obj_bytes(wire_obj_at(o, 1), &dl);
            s = wire_obj_bytes(wire_obj_at(o, 2), &sl);
            if (doc)
                wire_buf_append(doc, d, dl);
            if (sig)
                wire_buf_append(sig, s, sl);
            rc = 0;
        }
    }
    wire_reader_destroy(&r);
    wire_buf_fini(&v);
    return rc;
}

static int
note_version(store_txn_t *t, uint32_t node, const char *kind, uint64_t version)
{
    uint8_t k[5 + BUNDLE_KIND_MAX], be[8];
    size_t kl = version_key(k, node, kind);
    struct wire_buf v;
    wire_buf_init(&v);
    int rc = store_get(t, STORE_BUNDLES, k, kl, &v);
    bool newer = rc == ERR_NOT_FOUND || (rc == 0 && v.len == 8 && store_from_be64(v.data) < version);
    wire_buf_fini(&v);
    if (rc != 0 && rc != ERR_NOT_FOUND)
        return rc;
    if (!newer)
        return 0;
    store_be64(be, version);
    return store_put(t, STORE_BUNDLES, k, kl, be, 8, 0);
}

int
bundle_held_certs(store_t *store, cert_set_fn fn, void *arg)
{
    store_txn_t *t = NULL;
    struct wire_buf doc;
    wire_buf_init(&doc);
    uint64_t version = 0;
    int rc = store_read(store, &t);
    if (rc == 0)
        rc = bundle_held(t, "certs", &version, &doc, NULL);
    store_abort(&t);
    struct bundle b;
    /* the held set was verified when it was kept; its body is read again here */
    if (rc == 0 && version &&
        (bundle_peek(doc.data, doc.len, &b) != 0 || cert_set_each(b.body, b.body_len, fn, arg)))
        rc = ERR_DECODE;
    wire_buf_fini(&doc);
    return rc;
}

bool
bundle_not_newer(store_t *store, const void *doc, size_t len, struct bundle *b)
{
    uint64_t held = 0;
    store_txn_t *t = NULL;
    int rc = bundle_peek(doc, len, b);
    if (rc == 0 && (rc = store_read(store, &t)) == 0)
        rc = bundle_held(t, b->kind, &held, NULL, NULL);
    store_abort(&t);
    return rc == 0 && b->version <= held;
}

int
bundle_keep(store_txn_t *t, uint32_t node, uint32_t spool_node, const struct bundle *b,
            const void *doc, size_t len, const void *sig, size_t sig_len, int64_t now_ms,
            bool *taken)
{
    *taken = false;
    uint64_t held;
    int rc = bundle_held(t, b->kind, &held, NULL, NULL);
    if (rc != 0 || held >= b->version)
        return rc;
    struct wire_buf v;
    wire_buf_init(&v);
    wire_put_array(&v, 3);
    wire_put_uint(&v, b->version);
    wire_put_bin(&v, doc, len);
    wire_put_bin(&v, sig, sig_len);
    uint8_t k[1 + BUNDLE_KIND_MAX];
    rc = store_put(t, STORE_BUNDLES, k, kind_key(k, b->kind), v.data, v.len, 0);
    wire_buf_fini(&v);
    if (rc == 0)
        rc = note_version(t, node, b->kind, b->version);
    if (rc == 0 && spool_node) {
        char self[7], id[64];
        node_format(spool_node, self);
        snprintf(id, sizeof id, "bundle/%s/%s/%llu", self, b->kind, (unsigned long long)b->version);
        struct wire_buf rec;
        wire_buf_init(&rec);
        wire_put_map(&rec, 6);
        wire_put_cstr(&rec, "type");
        wire_put_cstr(&rec, "bundle.applied");
        wire_put_cstr(&rec, "id");
        wire_put_cstr(&rec, id);
        wire_put_cstr(&rec, "at");
        wire_put_int(&rec, now_ms);
        wire_put_cstr(&rec, "node");
        wire_put_cstr(&rec, self);
        wire_put_cstr(&rec, "kind");
        wire_put_cstr(&rec, b->kind);
        wire_put_cstr(&rec, "version");
        wire_put_uint(&rec, b->version);
        uint64_t seq;
        rc = spool_append(t, spool_node, rec.data, rec.len, &seq);
        wire_buf_fini(&rec);
    }
    *taken = rc == 0;
    return rc;
}


int
bundle_note_applied(store_txn_t *t, uint32_t origin, const wire_obj_t *m)
{
    const char *kind;
    size_t kl;
    uint64_t version;
    if (wire_obj_get_bytes(m, "kind", WIRE_STR, &kind, &kl) != 0 || kl >= BUNDLE_KIND_MAX ||
        wire_obj_get_uint(m, "version", &version) != 0)
        return ERR_DECODE;
    char k[BUNDLE_KIND_MAX];
    memcpy(k, kind, kl);
    k[kl] = '\0';
    return note_version(t, origin, k, version);
}

int
bundle_each_version(store_txn_t *t, bundle_version_fn fn, void *arg)
{
    store_cursor_t *c = NULL;
    int rc = store_cursor_open(t, STORE_BUNDLES, &c);
    if (rc != 0)
        return rc;
    struct wire_buf k, v;
    wire_buf_init(&k);
    wire_buf_init(&v);
    int crc = store_cursor_seek(c, "v", 1, &k, &v);
    while (crc == 0 && k.len > 5 && k.data[0] == 'v') {
        char kind[BUNDLE_KIND_MAX];
        size_t kl = k.len - 5 < sizeof kind - 1 ? k.len - 5 : sizeof kind - 1;
        memcpy(kind, k.data + 5, kl);
        kind[kl] = '\0';
        if (v.len == 8)
            fn(arg, store_from_be32(k.data + 1), kind, store_from_be64(v.data));
        wire_buf_reset(&k);
        wire_buf_reset(&v);
        crc = store_cursor_next(c, &k, &v);
    }
    wire_buf_fini(&k);
    wire_buf_fini(&v);
    store_cursor_close(&c);
    return 0;
}

int
bundle_held_roster(store_txn_t *t, roster_t **out)
{
    struct wire_buf doc, sig;
    wire_buf_init(&doc);
    wire_buf_init(&sig);
    uint64_t version = 0;
    int rc = bundle_held(t, "operators", &version, &doc, &sig);
    struct bundle b;
    if (rc == 0 && version == 0)
        rc = ERR_NOT_FOUND;
    /* the signature was checked when the bundle was taken; the store is this node's own */
    if (rc == 0 && bundle_peek(doc.data, doc.len, &b) != 0)
        rc = ERR_CORRUPT;
    char why[ERR_WHY_MAX];
    if (rc == 0 && roster_parse(b.body, b.body_len, out, why, sizeof why) != 0)
        rc = ERR_CORRUPT;
    wire_buf_fini(&doc);
    wire_buf_fini(&sig);
    return rc;
}

struct held_publisher {
    struct cert_node best;
    bool found;
};

/* One held bundle ([version, document, signature]): the publisher certificate its chain carries. */
static int
held_publisher_fn(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    (void)key;
    (void)klen;
    struct held_publisher *h = arg;
    wire_reader_t *r = NULL, *cr = NULL;
    const wire_obj_t *o, *a;
    struct bundle b;
    size_t dl;
    const char *d;
    if (wire_decode_one(val, vlen, &r, &o) == 0 && wire_obj_type(o) == WIRE_ARRAY &&
        wire_obj_size(o) == 3 && wire_obj_type(wire_obj_at(o, 1)) == WIRE_BIN &&
        (d = wire_obj_bytes(wire_obj_at(o, 1), &dl)) && bundle_peek(d, dl, &b) == 0 && b.chain &&
        wire_decode_one(b.chain, b.chain_len, &cr, &a) == 0 && wire_obj_type(a) == WIRE_ARRAY) {
        /* the signer's certificate is the chain's last; others are the next publishers' */
        uint32_t n = wire_obj_size(a);
        const wire_obj_t *e = n ? wire_obj_at(a, n - 1) : NULL;
        size_t fl;
        const char *f = e && wire_obj_type(e) == WIRE_BIN ? wire_obj_bytes(e, &fl) : NULL;
        struct cert_node p = {0};
        char why[ERR_WHY_MAX];
        if (f && cert_read_publisher(f, fl, &p, why) == 0 &&
            (!h->found || p.not_after > h->best.not_after)) {
            h->best = p;
            h->found = true;
        }
    }
    wire_reader_destroy(&cr);
    wire_reader_destroy(&r);
    return 0;
}

int
bundle_held_publisher(store_txn_t *t, struct cert_node *publisher)
{
    struct held_publisher h = {.found = false};
    int rc = store_each_prefix(t, STORE_BUNDLES, "k", 1, true, held_publisher_fn, &h);
    if (rc != 0)
        return rc;
    if (!h.found)
        return ERR_NOT_FOUND;
    *publisher = h.best;
    return 0;
}
