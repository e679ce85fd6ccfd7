/* cert: signing, reading and judging the PKI's documents. Layouts are in cert.h and
 * docs/trust.md. */
#include "cert.h"

#include "err.h"
#include "file.h"
#include "log.h"
#include "mem.h"
#include "node.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
cert_tier_of(const char *node)
{
    static const char *const tiers[] = {"province", "city", "county"};
    return tiers[node_depth(node_number(node))];
}

/* ---- the signed file ---- */

static void
make_signed(const char *domain, const struct wire_buf *doc, const sign_key_t *const *keys,
            size_t n, struct wire_buf *out)
{
    wire_put_array(out, 3);
    wire_put_cstr(out, domain);
    wire_put_bin(out, doc->data, doc->len);
    size_t real = 0;
    for (size_t i = 0; i < n; i++)
        real += keys[i] != NULL;
    wire_put_array(out, (uint32_t)real);
    for (size_t i = 0; i < n; i++) {
        if (!keys[i])
            continue;
        uint8_t sig[SIGN_SIGNATURE_BYTES];
        char id[SIGN_KEY_ID_LEN + 1];
        sign_detached(keys[i], domain, doc->data, doc->len, sig);
        sign_key_id(sign_key_public(keys[i]), id);
        wire_put_array(out, 2);
        wire_put_cstr(out, id);
        wire_put_bin(out, sig, sizeof sig);
    }
}

struct signed_doc {
    wire_reader_t *file_reader, *doc_reader;
    const uint8_t *doc;
    size_t doc_len;
    const wire_obj_t *map;
    struct {
        char id[SIGN_KEY_ID_LEN + 1];
        const uint8_t *sig;
    } sigs[CERT_SIGS_MAX];
    size_t n_sigs;
};

static void
signed_fini(struct signed_doc *s)
{
    wire_reader_destroy(&s->doc_reader);
    wire_reader_destroy(&s->file_reader);
}

static int
open_signed(const void *file, size_t len, const char *domain, struct signed_doc *s,
            char why[ERR_WHY_MAX])
{
    memset(s, 0, sizeof *s);
    const wire_obj_t *a;
    const char *d;
    size_t dl;
    if (wire_decode_one(file, len, &s->file_reader, &a) != 0 || wire_obj_type(a) != WIRE_ARRAY ||
        wire_obj_size(a) != 3 || wire_obj_type(wire_obj_at(a, 0)) != WIRE_STR ||
        wire_obj_type(wire_obj_at(a, 1)) != WIRE_BIN ||
        wire_obj_type(wire_obj_at(a, 2)) != WIRE_ARRAY) {
        snprintf(why, ERR_WHY_MAX, "not a signed jiancha document");
        return ERR_DECODE;
    }
    d = wire_obj_bytes(wire_obj_at(a, 0), &dl);
    if (dl != strlen(domain) || memcmp(d, domain, dl) != 0) {
        snprintf(why, ERR_WHY_MAX, "a %.*s document where %s was expected",
                 (int)(dl < 40 ? dl : 40), d, domain);
        return ERR_DECODE;
    }
    s->doc = (const uint8_t *)wire_obj_bytes(wire_obj_at(a, 1), &s->doc_len);
    const wire_obj_t *sigs = wire_obj_at(a, 2);
    for (uint32_t i = 0; i < wire_obj_size(sigs) && s->n_sigs < CERT_SIGS_MAX; i++) {
        const wire_obj_t *p = wire_obj_at(sigs, i);
        size_t il, sl;
        if (wire_obj_type(p) != WIRE_ARRAY || wire_obj_size(p) != 2 ||
            wire_obj_type(wire_obj_at(p, 0)) != WIRE_STR ||
            wire_obj_type(wire_obj_at(p, 1)) != WIRE_BIN)
            continue;
        const char *id = wire_obj_bytes(wire_obj_at(p, 0), &il);
        const uint8_t *sig = (const uint8_t *)wire_obj_bytes(wire_obj_at(p, 1), &sl);
        if (il != SIGN_KEY_ID_LEN || sl != SIGN_SIGNATURE_BYTES)
            continue;
        memcpy(s->sigs[s->n_sigs].id, id, il);
        s->sigs[s->n_sigs].id[il] = '\0';
        s->sigs[s->n_sigs++].sig = sig;
    }
    if (wire_decode_one(s->doc, s->doc_len, &s->doc_reader, &s->map) != 0 ||
        wire_obj_type(s->map) != WIRE_MAP) {
        snprintf(why, ERR_WHY_MAX, "the %s document does not decode", domain);
        return ERR_DECODE;
    }
    uint64_t v;
    if (wire_obj_get_uint(s->map, "v", &v) != 0 || v != 1) {
        snprintf(why, ERR_WHY_MAX, "the %s document is not version 1", domain);
        return ERR_DECODE;
    }
    return 0;
}

/* Is the document signed by pk (under its domain)? */
static bool
signed_by(const struct signed_doc *s, const char *domain, const uint8_t pk[CERT_KEY_BYTES])
{
    char id[SIGN_KEY_ID_LEN + 1];
    sign_key_id(pk, id);
    for (size_t i = 0; i < s->n_sigs; i++)
        if (strcmp(s->sigs[i].id, id) == 0 &&
            sign_verify(pk, domain, s->doc, s->doc_len, s->sigs[i].sig) == 0)
            return true;
    return false;
}

/* ---- fields ---- */

static void
put_key(struct wire_buf *b, const char *name, const uint8_t key[CERT_KEY_BYTES])
{
    wire_put_cstr(b, name);
    wire_put_bin(b, key, CERT_KEY_BYTES);
}

static void
put_int(struct wire_buf *b, const char *name, int64_t v)
{
    wire_put_cstr(b, name);
    wire_put_int(b, v);
}

static void
put_uint(struct wire_buf *b, const char *name, uint64_t v)
{
    wire_put_cstr(b, name);
    wire_put_uint(b, v);
}

static void
put_str(struct wire_buf *b, const char *name, const char *v)
{
    wire_put_cstr(b, name);
    wire_put_cstr(b, v);
}

static bool
get_key(const wire_obj_t *m, const char *name, uint8_t out[CERT_KEY_BYTES])
{
    const char *p;
    size_t l;
    if (wire_obj_get_bytes(m, name, WIRE_BIN, &p, &l) != 0 || l != CERT_KEY_BYTES)
        return false;
    memcpy(out, p, l);
    return true;
}

static bool
get_int(const wire_obj_t *m, const char *name, int64_t *out)
{
    return wire_obj_get_int(m, name, out) == 0;
}

static bool
get_str(const wire_obj_t *m, const char *name, char *out, size_t cap)
{
    return wire_obj_get_text(m, name, out, cap) == 0;
}

static bool
get_node(const wire_obj_t *m, const char *name, char out[7], bool may_be_empty)
{
    if (!get_str(m, name, out, 7))
        return false;
    return (may_be_empty && !out[0]) || node_valid(out, strlen(out)) == 0;
}

/* ---- making documents ---- */

void
cert_make_root(const struct cert_root *r, const sign_key_t *own, const sign_key_t *prev,
               struct wire_buf *out)
{
    struct wire_buf d;
    wire_buf_init(&d);
    wire_put_map(&d, 5);
    put_uint(&d, "v", 1);
    put_uint(&d, "version", r->version);
    put_key(&d, "key", r->key);
    put_int(&d, "not_after", r->not_after);
    put_int(&d, "issued_at", r->issued_at);
    const sign_key_t *keys[] = {prev, own};
    make_signed(CERT_DOMAIN_ROOT, &d, keys, 2, out);
    wire_buf_fini(&d);
}

void
cert_make_issuer(const struct cert_issuer *i, const sign_key_t *root, struct wire_buf *out)
{
    struct wire_buf d;
    wire_buf_init(&d);
    wire_put_map(&d, 6);
    put_uint(&d, "v", 1);
    put_uint(&d, "serial", i->serial);
    put_key(&d, "key", i->key);
    put_int(&d, "not_before", i->not_before);
    put_int(&d, "not_after", i->not_after);
    put_uint(&d, "root", i->root);
    const sign_key_t *keys[] = {root};
    make_signed(CERT_DOMAIN_ISSUER, &d, keys, 1, out);
    wire_buf_fini(&d);
}

static void
make_certificate(const char *domain, const struct cert_node *n, const sign_key_t *issuer,
                 struct wire_buf *out)
{
    struct wire_buf d;
    wire_buf_init(&d);
    wire_put_map(&d, 12);
    put_uint(&d, "v", 1);
    put_uint(&d, "serial", n->serial);
    put_str(&d, "node", n->node);
    put_str(&d, "tier", n->tier);
    put_str(&d, "parent", n->parent);
    put_key(&d, "sign_pk", n->sign_pk);
    put_key(&d, "curve_pk", n->curve_pk);
    put_uint(&d, "key_gen", n->key_gen);
    put_int(&d, "not_before", n->not_before);
    put_int(&d, "not_after", n->not_after);
    put_int(&d, "issued_at", n->issued_at);
    put_uint(&d, "issuer", n->issuer);
    const sign_key_t *keys[] = {issuer};
    make_signed(domain, &d, keys, 1, out);
    wire_buf_fini(&d);
}

void
cert_make_node(const struct cert_node *n, const sign_key_t *issuer, struct wire_buf *out)
{
    make_certificate(CERT_DOMAIN_NODE, n, issuer, out);
}

void
cert_make_publisher(const struct cert_node *n, const sign_key_t *issuer, struct wire_buf *out)
{
    make_certificate(CERT_DOMAIN_PUBLISHER, n, issuer, out);
}

void
cert_make_crl(const struct cert_crl *c, const sign_key_t *issuer, struct wire_buf *out)
{
    struct wire_buf d;
    wire_buf_init(&d);
    wire_put_map(&d, 6);
    put_uint(&d, "v", 1);
    put_uint(&d, "version", c->version);
    put_int(&d, "issued_at", c->issued_at);
    put_int(&d, "next_update", c->next_update);
    put_uint(&d, "issuer", c->issuer);
    wire_put_cstr(&d, "revoked");
    wire_put_array(&d, (uint32_t)c->n_revoked);
    for (size_t i = 0; i < c->n_revoked; i++) {
        const struct cert_revoked *r = &c->revoked[i];
        wire_put_array(&d, 5);
        wire_put_uint(&d, r->serial);
        wire_put_cstr(&d, r->node);
        wire_put_cstr(&d, r->reason);
        wire_put_int(&d, r->at);
        wire_put_int(&d, r->since);
    }
    const sign_key_t *keys[] = {issuer};
    make_signed(CERT_DOMAIN_CRL, &d, keys, 1, out);
    wire_buf_fini(&d);
}

void
cert_make_request(const struct cert_request *q, const sign_key_t *new_key,
                  const sign_key_t *old_key, struct wire_buf *out)
{
    struct wire_buf d;
    wire_buf_init(&d);
    wire_put_map(&d, 8);
    put_uint(&d, "v", 1);
    put_str(&d, "node", q->node);
    put_str(&d, "tier", q->tier);
    put_str(&d, "parent", q->parent);
    put_key(&d, "sign_pk", q->sign_pk);
    put_key(&d, "curve_pk", q->curve_pk);
    put_uint(&d, "key_gen", q->key_gen);
    put_int(&d, "at", q->at);
    const sign_key_t *keys[] = {new_key, old_key};
    make_signed(CERT_DOMAIN_REQUEST, &d, keys, 2, out);
    wire_buf_fini(&d);
}

/* ---- reading documents ---- */

static int
decode_root(const wire_obj_t *m, struct cert_root *r)
{
    return wire_obj_get_uint(m, "version", &r->version) == 0 && get_key(m, "key", r->key) &&
                   get_int(m, "not_after", &r->not_after) &&
                   get_int(m, "issued_at", &r->issued_at) && r->version > 0
               ? 0
               : ERR_DECODE;
}

static int
decode_issuer(const wire_obj_t *m, struct cert_issuer *i)
{
    return wire_obj_get_uint(m, "serial", &i->serial) == 0 && get_key(m, "key", i->key) &&
                   get_int(m, "not_before", &i->not_before) &&
                   get_int(m, "not_after", &i->not_after) &&
                   wire_obj_get_uint(m, "root", &i->root) == 0
               ? 0
               : ERR_DECODE;
}

static int
decode_node(const wire_obj_t *m, struct cert_node *n)
{
    uint64_t gen = 0;
    int ok = wire_obj_get_uint(m, "serial", &n->serial) == 0 && get_node(m, "node", n->node, false) &&
             get_str(m, "tier", n->tier, sizeof n->tier) &&
             get_node(m, "parent", n->parent, true) && get_key(m, "sign_pk", n->sign_pk) &&
             get_key(m, "curve_pk", n->curve_pk) && wire_obj_get_uint(m, "key_gen", &gen) == 0 &&
             gen <= UINT32_MAX && get_int(m, "not_before", &n->not_before) &&
             get_int(m, "not_after", &n->not_after) && get_int(m, "issued_at", &n->issued_at) &&
             wire_obj_get_uint(m, "issuer", &n->issuer) == 0;
    n->key_gen = (uint32_t)gen;
    if (ok)
        sign_key_id(n->sign_pk, n->key_id);
    return ok ? 0 : ERR_DECODE;
}

#define READ_DOC(fn_name, type, domain, decoder, what)                                             \
    int fn_name(const void *file, size_t len, type *out, char why[ERR_WHY_MAX])                    \
    {                                                                                              \
        struct signed_doc s;                                                                       \
        int rc = open_signed(file, len, domain, &s, why);                                          \
        if (rc == 0 && (rc = decoder(s.map, out)) != 0)                                            \
            snprintf(why, ERR_WHY_MAX, "the " what " lacks a field or has one of the wrong type"); \
        signed_fini(&s);                                                                           \
        return rc;                                                                                 \
    }

READ_DOC(cert_read_root, struct cert_root, CERT_DOMAIN_ROOT, decode_root, "root document")
READ_DOC(cert_read_issuer, struct cert_issuer, CERT_DOMAIN_ISSUER, decode_issuer,
         "issuer certificate")
READ_DOC(cert_read_node, struct cert_node, CERT_DOMAIN_NODE, decode_node, "node certificate")
READ_DOC(cert_read_publisher, struct cert_node, CERT_DOMAIN_PUBLISHER, decode_node,
         "publisher certificate")

const char *
cert_domain_of(const void *file, size_t len)
{
    static const char *const domains[] = {CERT_DOMAIN_ROOT, CERT_DOMAIN_ISSUER, CERT_DOMAIN_NODE,
                                          CERT_DOMAIN_PUBLISHER, CERT_DOMAIN_CRL,
                                          CERT_DOMAIN_REQUEST};
    wire_reader_t *r = NULL;
    const wire_obj_t *a;
    const char *found = NULL;
    if (wire_decode_one(file, len, &r, &a) == 0 && wire_obj_type(a) == WIRE_ARRAY &&
        wire_obj_size(a) == 3 && wire_obj_type(wire_obj_at(a, 0)) == WIRE_STR) {
        size_t dl;
        const char *d = wire_obj_bytes(wire_obj_at(a, 0), &dl);
        for (size_t i = 0; i < sizeof domains / sizeof *domains; i++)
            if (dl == strlen(domains[i]) && memcmp(d, domains[i], dl) == 0)
                found = domains[i];
    }
    wire_reader_destroy(&r);
    return found;
}

static int
decode_crl(const wire_obj_t *m, struct cert_crl *c)
{
    memset(c, 0, sizeof *c);
    const wire_obj_t *list = wire_obj_get(m, "revoked");
    if (wire_obj_get_uint(m, "version", &c->version) != 0 ||
        !get_int(m, "issued_at", &c->issued_at) || !get_int(m, "next_update", &c->next_update) ||
        wire_obj_get_uint(m, "issuer", &c->issuer) != 0 || !list ||
        wire_obj_type(list) != WIRE_ARRAY)
        return ERR_DECODE;
    c->revoked = xcalloc(wire_obj_size(list) + 1, sizeof *c->revoked);
    for (uint32_t i = 0; i < wire_obj_size(list); i++) {
        const wire_obj_t *e = wire_obj_at(list, i);
        struct cert_revoked *r = &c->revoked[c->n_revoked];
        size_t nl, rl;
        if (wire_obj_type(e) != WIRE_ARRAY || wire_obj_size(e) != 5 ||
            wire_obj_type(wire_obj_at(e, 0)) != WIRE_UINT ||
            wire_obj_type(wire_obj_at(e, 1)) != WIRE_STR ||
            wire_obj_type(wire_obj_at(e, 2)) != WIRE_STR)
            return ERR_DECODE;
        const char *node = wire_obj_bytes(wire_obj_at(e, 1), &nl);
        const char *reason = wire_obj_bytes(wire_obj_at(e, 2), &rl);
        const wire_obj_t *at = wire_obj_at(e, 3), *since = wire_obj_at(e, 4);
        if (nl != 6 || rl >= sizeof r->reason ||
            (wire_obj_type(at) != WIRE_INT && wire_obj_type(at) != WIRE_UINT) ||
            (wire_obj_type(since) != WIRE_INT && wire_obj_type(since) != WIRE_UINT))
            return ERR_DECODE;
        r->serial = wire_obj_uint(wire_obj_at(e, 0));
        memcpy(r->node, node, 6);
        r->node[6] = '\0';
        memcpy(r->reason, reason, rl);
        r->reason[rl] = '\0';
        r->at = wire_obj_type(at) == WIRE_INT ? wire_obj_int(at) : (int64_t)wire_obj_uint(at);
        r->since =
            wire_obj_type(since) == WIRE_INT ? wire_obj_int(since) : (int64_t)wire_obj_uint(since);
        c->n_revoked++;
    }
    return 0;
}

int
cert_read_crl(const void *file, size_t len, struct cert_crl *c, char why[ERR_WHY_MAX])
{
    struct signed_doc s;
    int rc = open_signed(file, len, CERT_DOMAIN_CRL, &s, why);
    if (rc == 0 && (rc = decode_crl(s.map, c)) != 0) {
        snprintf(why, ERR_WHY_MAX,
                 "the revocation list lacks a field or has one of the wrong type");
        cert_crl_fini(c);
    }
    signed_fini(&s);
    return rc;
}

void
cert_crl_fini(struct cert_crl *c)
{
    free(c->revoked);
    c->revoked = NULL;
    c->n_revoked = 0;
}

int
cert_check_request(const void *file, size_t len, const struct cert_node *current,
                   struct cert_request *q, char why[ERR_WHY_MAX])
{
    struct signed_doc s;
    int rc = open_signed(file, len, CERT_DOMAIN_REQUEST, &s, why);
    uint64_t gen = 0;
    memset(q, 0, sizeof *q);
    if (rc == 0 &&
        !(get_node(s.map, "node", q->node, false) && get_str(s.map, "tier", q->tier, sizeof q->tier) &&
          get_node(s.map, "parent", q->parent, true) && get_key(s.map, "sign_pk", q->sign_pk) &&
          get_key(s.map, "curve_pk", q->curve_pk) &&
          wire_obj_get_uint(s.map, "key_gen", &gen) == 0 && gen <= UINT32_MAX &&
          get_int(s.map, "at", &q->at))) {
        snprintf(why, ERR_WHY_MAX, "the request lacks a field or has one of the wrong type");
        rc = ERR_DECODE;
    }
    q->key_gen = (uint32_t)gen;
    if (rc == 0 && !signed_by(&s, CERT_DOMAIN_REQUEST, q->sign_pk)) {
        snprintf(why, ERR_WHY_MAX, "the request is not signed by the key it asks to certify");
        rc = ERR_BAD_SIGNATURE;
    }
    if (rc == 0 && current) {
        q->rotation = true;
        if (strcmp(current->node, q->node) != 0 || q->key_gen <= current->key_gen) {
            snprintf(why, ERR_WHY_MAX, "a rotation of %s must ask for a key generation above %u",
                     current->node, current->key_gen);
            rc = ERR_INVALID;
        } else if (!signed_by(&s, CERT_DOMAIN_REQUEST, current->sign_pk)) {
            snprintf(why, ERR_WHY_MAX, "the rotation request is not signed by %s's current key",
                     current->node);
            rc = ERR_BAD_SIGNATURE;
        }
    }
    signed_fini(&s);
    return rc;
}

int
cert_set_each(const void *body, size_t len, cert_set_fn fn, void *arg)
{
    wire_reader_t *r = NULL;
    const wire_obj_t *a;
    int rc = ERR_DECODE;
    if (wire_decode_one(body, len, &r, &a) == 0 && wire_obj_type(a) == WIRE_ARRAY) {
        rc = 0;
        for (uint32_t i = 0; rc == 0 && i < wire_obj_size(a); i++) {
            const wire_obj_t *e = wire_obj_at(a, i);
            size_t fl;
            const char *f = wire_obj_type(e) == WIRE_BIN ? wire_obj_bytes(e, &fl) : NULL;
            struct cert_node n;
            char why[ERR_WHY_MAX];
            if (!f || cert_read_node(f, fl, &n, why) != 0)
                rc = ERR_DECODE;
            else if (fn)
                rc = fn(arg, f, fl, &n);
        }
    }
    wire_reader_destroy(&r);
    return rc;
}

void
cert_fingerprint(const void *file, size_t len, char out[65])
{
    uint8_t h[SIGN_HASH_BYTES];
    sign_hash(file, len, h);
    sign_to_hex(h, sizeof h, out);
}

/* ---- the trust ---- */

struct cert_trust {
    struct cert_root *roots; /* the chain, version 1 first */
    size_t n_roots;
    struct cert_issuer *issuers;
    size_t n_issuers;
    struct cert_node *nodes;
    bool *node_ok; /* signed by a known issuer */
    size_t n_nodes, cap_nodes;
    struct cert_node *publishers; /* only those a known issuer signed */
    size_t n_publishers;
    struct cert_crl crl;
};

static const struct cert_issuer *
find_issuer(const cert_trust_t *t, uint64_t serial)
{
    for (size_t i = 0; i < t->n_issuers; i++)
        if (t->issuers[i].serial == serial)
            return &t->issuers[i];
    return NULL;
}

int
cert_trust_add_root(cert_trust_t *t, const void *file, size_t len, char why[ERR_WHY_MAX])
{
    struct signed_doc s;
    struct cert_root r;
    int rc = open_signed(file, len, CERT_DOMAIN_ROOT, &s, why);
    if (rc == 0 && decode_root(s.map, &r) != 0) {
        snprintf(why, ERR_WHY_MAX, "the root document lacks a field or has one of the wrong type");
        rc = ERR_DECODE;
    }
    if (rc == 0 && r.version <= t->n_roots) {
        /* a version held already: the same key is no news, another is a forgery */
        bool same = memcmp(t->roots[r.version - 1].key, r.key, CERT_KEY_BYTES) == 0;
        snprintf(why, ERR_WHY_MAX, "root version %llu %s", (unsigned long long)r.version,
                 same ? "is held already" : "differs from the one held");
        rc = same ? ERR_EXISTS : ERR_BAD_SIGNATURE;
    } else if (rc == 0 && r.version != t->n_roots + 1) {
        snprintf(why, ERR_WHY_MAX, "root version %llu skips version %zu",
                 (unsigned long long)r.version, t->n_roots + 1);
        rc = ERR_INVALID;
    }
    /* version 1 is the anchor, installed by hand; every later one is signed by its predecessor's
     * key and by its own */
    if (rc == 0 && (!signed_by(&s, CERT_DOMAIN_ROOT, r.key) ||
                    (r.version > 1 && !signed_by(&s, CERT_DOMAIN_ROOT, t->roots[r.version - 2].key)))) {
        snprintf(why, ERR_WHY_MAX, "root version %llu is not signed by %s",
                 (unsigned long long)r.version, r.version > 1 ? "its predecessor" : "its own key");
        rc = ERR_BAD_SIGNATURE;
    }
    signed_fini(&s);
    if (rc != 0)
        return rc;
    t->roots = xrealloc(t->roots, (t->n_roots + 1) * sizeof *t->roots);
    t->roots[t->n_roots++] = r;
    return 0;
}

static int
load_roots(cert_trust_t *t, const char *dir, char *why, size_t why_len)
{
    for (uint64_t v = 1;; v++) {
        char path[4096], w[ERR_WHY_MAX];
        snprintf(path, sizeof path, "%s/root.%llu.jc", dir, (unsigned long long)v);
        size_t len;
        char *file = file_read(path, &len);
        if (!file) {
            if (v == 1) {
                snprintf(why, why_len, "%s: no root document (root.1.jc)", dir);
                return ERR_NOT_FOUND;
            }
            return 0;
        }
        int rc = cert_trust_add_root(t, file, len, w);
        free(file);
        if (rc != 0) {
            /* the chain stops at the last good version; a later file cannot skip a bad one */
            log_error("cert: root document %s refused: %s", path, w);
            if (v == 1) {
                snprintf(why, why_len, "%s: %s", path, w);
                return rc;
            }
            return 0;
        }
    }
}

int
cert_trust_from_anchor(const void *root1, size_t len, cert_trust_t **out, char why[ERR_WHY_MAX])
{
    cert_trust_t *t = xcalloc(1, sizeof *t);
    struct cert_root r;
    int rc = cert_read_root(root1, len, &r, why);
    if (rc == 0 && r.version != 1) {
        snprintf(why, ERR_WHY_MAX, "the anchor must be root version 1, not %llu",
                 (unsigned long long)r.version);
        rc = ERR_INVALID;
    }
    if (rc == 0)
        rc = cert_trust_add_root(t, root1, len, why);
    if (rc != 0) {
        cert_trust_destroy(&t);
        return rc;
    }
    *out = t;
    return 0;
}

int
cert_trust_anchor_load(const char *path, cert_trust_t **out, char why[ERR_WHY_MAX])
{
    size_t len;
    char *file = file_read(path, &len);
    if (!file) {
        snprintf(why, ERR_WHY_MAX, "%.200s: cannot read the root document", path);
        return ERR_IO;
    }
    char w[ERR_WHY_MAX];
    int rc = cert_trust_from_anchor(file, len, out, w);
    free(file);
    if (rc != 0)
        snprintf(why, ERR_WHY_MAX, "%.200s: %.250s", path, w);
    return rc;
}

typedef int (*file_fn)(cert_trust_t *t, const char *path, const void *file, size_t len);

static int
each_file(cert_trust_t *t, const char *dir, const char *prefix, const char *suffix, file_fn fn)
{
    DIR *d = opendir(dir);
    if (!d)
        return ERR_IO;
    struct dirent *e;
    size_t pl = strlen(prefix), sl = strlen(suffix);
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        size_t nl = strlen(e->d_name);
        if (nl <= pl + sl || strncmp(e->d_name, prefix, pl) != 0 ||
            strcmp(e->d_name + nl - sl, suffix) != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len;
        char *file = file_read(path, &len);
        if (!file)
            continue;
        rc = fn(t, path, file, len);
        free(file);
    }
    closedir(d);
    return rc;
}

int
cert_trust_add_issuer(cert_trust_t *t, const void *file, size_t len, char why[ERR_WHY_MAX])
{
    struct signed_doc s;
    struct cert_issuer i;
    int rc = open_signed(file, len, CERT_DOMAIN_ISSUER, &s, why);
    if (rc == 0 && decode_issuer(s.map, &i) != 0) {
        snprintf(why, ERR_WHY_MAX, "the issuer certificate lacks a field or has one of the wrong type");
        rc = ERR_DECODE;
    }
    if (rc == 0 && (i.root == 0 || i.root > t->n_roots ||
                    !signed_by(&s, CERT_DOMAIN_ISSUER, t->roots[i.root - 1].key))) {
        snprintf(why, ERR_WHY_MAX, "issuer %llu is not signed by root version %llu",
                 (unsigned long long)i.serial, (unsigned long long)i.root);
        rc = ERR_BAD_SIGNATURE;
    }
    if (rc == 0 && find_issuer(t, i.serial)) {
        snprintf(why, ERR_WHY_MAX, "issuer %llu is held already", (unsigned long long)i.serial);
        rc = ERR_EXISTS;
    }
    signed_fini(&s);
    if (rc != 0)
        return rc;
    t->issuers = xrealloc(t->issuers, (t->n_issuers + 1) * sizeof *t->issuers);
    t->issuers[t->n_issuers++] = i;
    return 0;
}

static int
take_issuer(cert_trust_t *t, const char *path, const void *file, size_t len)
{
    char w[ERR_WHY_MAX];
    if (cert_trust_add_issuer(t, file, len, w) != 0)
        log_error("cert: issuer certificate %s refused: %s", path, w);
    return 0;
}

int
cert_trust_add_publisher(cert_trust_t *t, const void *file, size_t len, struct cert_node *out,
                         char why[ERR_WHY_MAX])
{
    struct signed_doc s;
    struct cert_node n;
    int rc = open_signed(file, len, CERT_DOMAIN_PUBLISHER, &s, why);
    if (rc == 0 && (decode_node(s.map, &n) != 0 || strcmp(n.tier, "publisher") != 0)) {
        snprintf(why, ERR_WHY_MAX,
                 "the publisher certificate lacks a field or has one of the wrong type");
        rc = ERR_DECODE;
    }
    const struct cert_issuer *is = rc == 0 ? find_issuer(t, n.issuer) : NULL;
    if (rc == 0 && (!is || !signed_by(&s, CERT_DOMAIN_PUBLISHER, is->key))) {
        snprintf(why, ERR_WHY_MAX, "publisher certificate %llu: issued by an unknown issuer (%llu)",
                 (unsigned long long)n.serial, (unsigned long long)n.issuer);
        rc = ERR_BAD_SIGNATURE;
    }
    signed_fini(&s);
    if (rc != 0)
        return rc;
    if (out)
        *out = n;
    for (size_t i = 0; i < t->n_publishers; i++)
        if (t->publishers[i].serial == n.serial &&
            memcmp(t->publishers[i].sign_pk, n.sign_pk, CERT_KEY_BYTES) == 0)
            return ERR_EXISTS;
    t->publishers = xrealloc(t->publishers, (t->n_publishers + 1) * sizeof *t->publishers);
    t->publishers[t->n_publishers++] = n;
    return 0;
}

static int
take_publisher(cert_trust_t *t, const char *path, const void *file, size_t len)
{
    char w[ERR_WHY_MAX];
    int rc = cert_trust_add_publisher(t, file, len, NULL, w);
    if (rc != 0 && rc != ERR_EXISTS)
        log_error("cert: publisher certificate %s refused: %s", path, w);
    return 0;
}

const struct cert_issuer *
cert_trust_issuers(const cert_trust_t *t, size_t *n)
{
    *n = t->n_issuers;
    return t->issuers;
}

const struct cert_node *
cert_trust_publishers(const cert_trust_t *t, size_t *n)
{
    *n = t->n_publishers;
    return t->publishers;
}

/* The checks of time and revocation a node's and a publisher's certificates share. */
static int
judge_validity(const cert_trust_t *t, const struct cert_node *n, const char *whose, int64_t now_ms,
               int64_t revoked_as_of, char why[ERR_WHY_MAX])
{
    const struct cert_issuer *is = find_issuer(t, n->issuer);
    if (now_ms < is->not_before || now_ms > is->not_after) {
        snprintf(why, ERR_WHY_MAX, "certificate %llu of %s: its issuer %llu is not valid now",
                 (unsigned long long)n->serial, whose, (unsigned long long)n->issuer);
        return ERR_INVALID;
    }
    if (now_ms > n->not_after) {
        snprintf(why, ERR_WHY_MAX, "certificate %llu of %s: expired", (unsigned long long)n->serial,
                 whose);
        return ERR_INVALID;
    }
    if (now_ms < n->not_before) {
        snprintf(why, ERR_WHY_MAX, "certificate %llu of %s: not yet valid",
                 (unsigned long long)n->serial, whose);
        return ERR_INVALID;
    }
    const struct cert_revoked *r = cert_trust_revocation(t, n->serial);
    if (r && revoked_as_of >= r->at) {
        snprintf(why, ERR_WHY_MAX, "certificate %llu of %s: revoked (%s)",
                 (unsigned long long)n->serial, whose, r->reason);
        return ERR_STATE;
    }
    return 0;
}

int
cert_trust_judge_publisher(const cert_trust_t *t, const struct cert_node *p, int64_t now_ms,
                           char why[ERR_WHY_MAX])
{
    bool held = false;
    for (size_t i = 0; i < t->n_publishers; i++)
        held |= t->publishers[i].serial == p->serial &&
                memcmp(t->publishers[i].sign_pk, p->sign_pk, CERT_KEY_BYTES) == 0;
    if (!held || !find_issuer(t, p->issuer)) {
        snprintf(why, ERR_WHY_MAX, "publisher certificate %llu: issued by an unknown issuer (%llu)",
                 (unsigned long long)p->serial, (unsigned long long)p->issuer);
        return ERR_BAD_SIGNATURE;
    }
    char whose[24];
    snprintf(whose, sizeof whose, "publisher %s", p->node);
    return judge_validity(t, p, whose, now_ms, now_ms, why);
}

int
cert_trust_add_node(cert_trust_t *t, const void *file, size_t len, struct cert_node *out,
                    char why[ERR_WHY_MAX])
{
    struct signed_doc s;
    struct cert_node n;
    int rc = open_signed(file, len, CERT_DOMAIN_NODE, &s, why);
    if (rc == 0 && decode_node(s.map, &n) != 0) {
        snprintf(why, ERR_WHY_MAX,
                 "the node certificate lacks a field or has one of the wrong type");
        rc = ERR_DECODE;
    }
    const struct cert_issuer *is = rc == 0 ? find_issuer(t, n.issuer) : NULL;
    bool ok = is && signed_by(&s, CERT_DOMAIN_NODE, is->key);
    signed_fini(&s);
    if (rc != 0)
        return rc;
    if (t->n_nodes == t->cap_nodes) {
        t->cap_nodes = t->cap_nodes ? 2 * t->cap_nodes : 16;
        t->nodes = xrealloc(t->nodes, t->cap_nodes * sizeof *t->nodes);
        t->node_ok = xrealloc(t->node_ok, t->cap_nodes * sizeof *t->node_ok);
    }
    /* kept even when its issuer is unknown, so it is refused with that reason, not as absent */
    t->node_ok[t->n_nodes] = ok;
    t->nodes[t->n_nodes++] = n;
    if (out)
        *out = n;
    return 0;
}

static int
take_node(cert_trust_t *t, const char *path, const void *file, size_t len)
{
    char w[ERR_WHY_MAX];
    if (cert_trust_add_node(t, file, len, NULL, w) != 0)
        log_error("cert: node certificate %s refused: %s", path, w);
    return 0;
}

int
cert_trust_load(const char *dir, cert_trust_t **out, char *why, size_t why_len)
{
    cert_trust_t *t = xcalloc(1, sizeof *t);
    int rc = load_roots(t, dir, why, why_len);
    if (rc == 0)
        rc = each_file(t, dir, "issuer.", ".jc", take_issuer);
    if (rc == 0)
        rc = each_file(t, dir, "", ".cert", take_node);
    if (rc == 0)
        rc = each_file(t, dir, "publisher.", ".jc", take_publisher);
    char path[4096], w[ERR_WHY_MAX];
    snprintf(path, sizeof path, "%s/crl.jc", dir);
    size_t len;
    char *file = rc == 0 ? file_read(path, &len) : NULL;
    if (file && cert_trust_apply_crl(t, file, len, w) != 0)
        log_error("cert: revocation list %s refused: %s", path, w);
    free(file);
    if (rc != 0) {
        if (rc == ERR_IO)
            snprintf(why, why_len, "%s: cannot read the trust directory", dir);
        cert_trust_destroy(&t);
        return rc;
    }
    *out = t;
    return 0;
}

void
cert_trust_destroy(cert_trust_t **p)
{
    cert_trust_t *t = *p;
    if (!t)
        return;
    free(t->roots);
    free(t->issuers);
    free(t->nodes);
    free(t->node_ok);
    free(t->publishers);
    cert_crl_fini(&t->crl);
    free(t);
    *p = NULL;
}

const struct cert_revoked *
cert_trust_revocation(const cert_trust_t *t, uint64_t serial)
{
    for (size_t i = 0; i < t->crl.n_revoked; i++)
        if (t->crl.revoked[i].serial == serial)
            return &t->crl.revoked[i];
    return NULL;
}

int
cert_trust_vouches(const cert_trust_t *t, const struct cert_node *n, char why[ERR_WHY_MAX])
{
    const struct cert_issuer *is = find_issuer(t, n->issuer);
    bool signed_ok = false;
    for (size_t i = 0; i < t->n_nodes; i++)
        if (t->nodes[i].serial == n->serial && t->node_ok[i] &&
            memcmp(t->nodes[i].sign_pk, n->sign_pk, CERT_KEY_BYTES) == 0)
            signed_ok = true;
    if (!is || !signed_ok) {
        snprintf(why, ERR_WHY_MAX, "certificate %llu of %s: issued by an unknown issuer (%llu)",
                 (unsigned long long)n->serial, n->node, (unsigned long long)n->issuer);
        return ERR_BAD_SIGNATURE;
    }
    if (strcmp(cert_tier_of(n->node), n->tier) != 0) {
        snprintf(why, ERR_WHY_MAX, "certificate %llu: %s is a %s, not a %s",
                 (unsigned long long)n->serial, n->node, cert_tier_of(n->node), n->tier);
        return ERR_INVALID;
    }
    return 0;
}

int
cert_trust_judge(const cert_trust_t *t, const struct cert_node *n, int64_t now_ms,
                 int64_t revoked_as_of, char why[ERR_WHY_MAX])
{
    int rc = cert_trust_vouches(t, n, why);
    return rc != 0 ? rc : judge_validity(t, n, n->node, now_ms, revoked_as_of, why);
}

const struct cert_node *
cert_trust_nodes(const cert_trust_t *t, size_t *n)
{
    *n = t->n_nodes;
    return t->nodes;
}

const struct cert_crl *
cert_trust_crl(const cert_trust_t *t)
{
    return &t->crl;
}

const struct cert_root *
cert_trust_root(const cert_trust_t *t)
{
    return t->n_roots ? &t->roots[t->n_roots - 1] : NULL;
}

int
cert_trust_apply_crl(cert_trust_t *t, const void *file, size_t len, char why[ERR_WHY_MAX])
{
    struct signed_doc s;
    struct cert_crl c = {0};
    int rc = open_signed(file, len, CERT_DOMAIN_CRL, &s, why);
    if (rc == 0 && decode_crl(s.map, &c) != 0) {
        snprintf(why, ERR_WHY_MAX,
                 "the revocation list lacks a field or has one of the wrong type");
        rc = ERR_DECODE;
    }
    const struct cert_issuer *is = rc == 0 ? find_issuer(t, c.issuer) : NULL;
    if (rc == 0 && (!is || !signed_by(&s, CERT_DOMAIN_CRL, is->key))) {
        snprintf(why, ERR_WHY_MAX, "revocation list %llu: not signed by a known issuer",
                 (unsigned long long)c.version);
        rc = ERR_BAD_SIGNATURE;
    }
    if (rc == 0 && c.version <= t->crl.version) {
        snprintf(why, ERR_WHY_MAX, "revocation list %llu is not newer than the one in force (%llu)",
                 (unsigned long long)c.version, (unsigned long long)t->crl.version);
        rc = ERR_EXISTS;
    }
    signed_fini(&s);
    if (rc != 0) {
        cert_crl_fini(&c);
        return rc;
    }
    cert_crl_fini(&t->crl);
    t->crl = c;
    return 0;
}
