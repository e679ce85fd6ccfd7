/* rotation: see rotation.h. */
#include "rotation.h"

#include "bundle.h"
#include "cert.h"
#include "err.h"
#include "expiry.h"
#include "log.h"
#include "mem.h"
#include "transport.h"
#include "node.h"
#include "zap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rotation {
    char node[7];
    sign_key_t *key, *next; /* next is NULL once in force, or when none is configured */
    /* the transport keys made with them (NODE.gN.curve-secret beside NODE.gN.secret), if any */
    sign_curve_t *curve, *next_curve;
    /* the parent's transport key as configured (uplink/server_key), when on CurveZMQ */
    uint8_t server_key[SIGN_CURVE_BYTES];
    bool have_server_key;
};

/* The transport key beside a signing key file: NAME.secret -> NAME.curve-secret, if it exists. */
static int
load_curve(const char *node, const char *key_path, sign_curve_t **c, char *why, size_t why_len)
{
    size_t len = strlen(key_path);
    if (len < 7 || strcmp(key_path + len - 7, ".secret") != 0)
        return 0;
    char path[4096];
    snprintf(path, sizeof path, "%.*s.curve-secret", (int)(len - 7), key_path);
    if (access(path, F_OK) != 0)
        return 0;
    char curve_node[7] = "";
    int rc = sign_curve_load(path, c, curve_node);
    if (rc == 0 && strcmp(curve_node, node) != 0) {
        sign_curve_destroy(c);
        rc = ERR_CONFIG;
    }
    if (rc != 0)
        snprintf(why, why_len, "cannot load transport key %s: %s", path,
                 rc == ERR_CONFIG ? "it belongs to another node" : err_str(rc));
    return rc;
}

static int
load(const char *node, const char *path, sign_key_t **k, char *why, size_t why_len)
{
    char key_node[7] = "";
    int rc = sign_key_load(path, k, key_node);
    if (rc != 0) {
        snprintf(why, why_len, "cannot load key %s: %s", path, err_str(rc));
        return rc;
    }
    if (strcmp(key_node, node) != 0) {
        snprintf(why, why_len, "key %s belongs to node %s, not %s", path, key_node, node);
        sign_key_destroy(k);
        return ERR_CONFIG;
    }
    return 0;
}

int
rotation_open(const char *node, const char *key_path, const char *next_path, rotation_t **out,
              char *why, size_t why_len)
{
    rotation_t *r = xcalloc(1, sizeof *r);
    snprintf(r->node, sizeof r->node, "%s", node);
    int rc = load(node, key_path, &r->key, why, why_len);
    if (rc == 0)
        rc = load_curve(node, key_path, &r->curve, why, why_len);
    if (rc == 0 && next_path && *next_path) {
        rc = load(node, next_path, &r->next, why, why_len);
        if (rc == 0)
            rc = load_curve(node, next_path, &r->next_curve, why, why_len);
        /* a node on CurveZMQ would switch its signing key and keep the old transport key,
         * which the parent refuses once the old certificate is retired */
        if (rc == 0 && r->curve && !r->next_curve) {
            snprintf(why, why_len, "%s: the current key has a transport key beside it "
                     "(.curve-secret) and the next one has none (jiancha keys request makes both)",
                     next_path);
            rc = ERR_CONFIG;
        }
    }
    if (rc != 0) {
        rotation_destroy(&r);
        return rc;
    }
    *out = r;
    return 0;
}

void
rotation_destroy(rotation_t **p)
{
    rotation_t *r = *p;
    if (!r)
        return;
    sign_key_destroy(&r->key);
    sign_key_destroy(&r->next);
    sign_curve_destroy(&r->curve);
    sign_curve_destroy(&r->next_curve);
    free(r);
    *p = NULL;
}

const sign_key_t *
rotation_key(const rotation_t *r)
{
    return r->key;
}

const sign_curve_t *
rotation_curve(const rotation_t *r)
{
    return r->curve;
}

struct find {
    const char *node;
    const uint8_t *pk;
    uint32_t gen;
    int64_t not_after;
    bool found;
};

/* A certificate of the node (of its key, when f->pk is set); of several (a renewal of the same
 * key) the one ending last. */
static int
certifies(void *arg, const void *file, size_t len, const struct cert_node *n)
{
    (void)file;
    (void)len;
    struct find *f = arg;
    if (strcmp(n->node, f->node) == 0 &&
        (!f->pk || memcmp(n->sign_pk, f->pk, CERT_KEY_BYTES) == 0) &&
        n->not_after > f->not_after) {
        f->gen = n->key_gen;
        f->not_after = n->not_after;
        f->found = true;
    }
    return 0; /* on through the set: a later one may end later */
}

bool
rotation_consider(rotation_t *r, const void *certs, size_t len)
{
    if (!r->next)
        return false;
    struct find f = {r->node, sign_key_public(r->next), 0, 0, false};
    if (cert_set_each(certs, len, certifies, &f) != 0 || !f.found)
        return false;
    /* the caller hands the new keys to its link at once (link_set_key) */
    sign_key_t *old = r->key;
    r->key = r->next;
    r->next = old;
    if (r->next_curve) {
        sign_curve_destroy(&r->curve);
        r->curve = r->next_curve;
        r->next_curve = NULL;
    }
    char id[SIGN_KEY_ID_LEN + 1];
    sign_key_id(sign_key_public(r->key), id);
    log_info("rotation: node=%s signs with key generation %u (key %s) from now", r->node, f.gen,
             id);
    /* never back: the old key cannot be taken up again by a later set */
    sign_key_destroy(&r->next);
    return true;
}

int
rotation_attach(rotation_t *r, link_t *link, const char *server_key_path, char *why,
                size_t why_len)
{
    if (!server_key_path || !*server_key_path)
        return 0;
    if (!r->curve) {
        snprintf(why, why_len, "CurveZMQ needs a transport key (NAME.curve-secret) beside the "
                               "signing key (NAME.secret)");
        return ERR_CONFIG;
    }
    uint8_t server[ZAP_KEY_BYTES];
    char w[ERR_WHY_MAX];
    int rc = zap_server_key_load(server_key_path, server, w);
    if (rc != 0) {
        snprintf(why, why_len, "%s", w);
        return rc;
    }
    link_set_curve(link, server, r->curve);
    memcpy(r->server_key, server, SIGN_CURVE_BYTES);
    r->have_server_key = true;
    return 0;
}

int
rotation_server_keys(const rotation_t *r, link_t *link, store_t *store, uint32_t parent,
                     int64_t now_ms)
{
    if (!r->have_server_key)
        return 0;
    uint8_t keys[TRANSPORT_KEYS_MAX][SIGN_CURVE_BYTES];
    size_t n;
    int rc = transport_server_keys(store, parent, r->server_key, now_ms, keys, &n);
    if (rc == 0)
        link_set_server_keys(link, (const uint8_t(*)[SIGN_CURVE_BYTES])keys, n);
    return rc;
}

int
rotation_resume(rotation_t *r, store_t *store)
{
    if (!r->next)
        return 0;
    store_txn_t *t = NULL;
    struct wire_buf doc, sig;
    wire_buf_init(&doc);
    wire_buf_init(&sig);
    uint64_t version = 0;
    int rc = store_read(store, &t);
    if (rc == 0)
        rc = bundle_held(t, "certs", &version, &doc, &sig);
    store_abort(&t);
    /* the held bundle was verified when it arrived; its body is read again here */
    struct bundle b;
    if (rc == 0 && version && bundle_peek(doc.data, doc.len, &b) == 0)
        (void)rotation_consider(r, b.body, b.body_len);
    wire_buf_fini(&doc);
    wire_buf_fini(&sig);
    return rc;
}

/* The held certificate set's latest-ending certificate of node (of key pk when not NULL). */
static int
find_held(store_t *store, const char *node, const uint8_t *pk, int64_t *not_after_ms,
          uint32_t *key_gen)
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
    struct find f = {node, pk, 0, 0, false};
    if (rc == 0 && (!version || bundle_peek(doc.data, doc.len, &b) != 0 ||
                    cert_set_each(b.body, b.body_len, certifies, &f) != 0 || !f.found))
        rc = ERR_NOT_FOUND;
    wire_buf_fini(&doc);
    if (rc == 0) {
        *not_after_ms = f.not_after;
        if (key_gen)
            *key_gen = f.gen;
    }
    return rc;
}

int
rotation_certificate(const rotation_t *r, store_t *store, int64_t *not_after_ms, uint32_t *key_gen)
{
    return find_held(store, r->node, sign_key_public(r->key), not_after_ms, key_gen);
}

int
rotation_node_certificate(store_t *store, uint32_t node, int64_t *not_after_ms)
{
    char code[NODE_LEN + 1];
    node_format(node, code);
    return find_held(store, code, NULL, not_after_ms, NULL);
}

int
rotation_check_expiry(const rotation_t *r, store_t *store, uint32_t node, int64_t now_ms,
                      uint32_t seal_at, int64_t *next_ms, uint64_t *sealed)
{
    struct expiry_cert certs[3];
    size_t n = 0;
    uint32_t gen;
    /* none known (development keys, no set yet) clears what may stand */
    certs[n] = (struct expiry_cert){node, 0, false};
    int rc = rotation_certificate(r, store, &certs[n].not_after_ms, &gen);
    if (rc != 0 && rc != ERR_NOT_FOUND)
        return rc;
    n++;
    uint32_t parent = node_parent(node);
    if (parent) {
        certs[n] = (struct expiry_cert){parent, 0, false};
        rc = rotation_node_certificate(store, parent, &certs[n].not_after_ms);
        if (rc != 0 && rc != ERR_NOT_FOUND)
            return rc;
        n++;
    }
    struct cert_node pub;
    store_txn_t *t = NULL;
    rc = store_read(store, &t);
    if (rc == 0)
        rc = bundle_held_publisher(t, &pub);
    store_abort(&t);
    if (rc != 0 && rc != ERR_NOT_FOUND)
        return rc;
    certs[n++] = (struct expiry_cert){0, rc == 0 ? pub.not_after : 0, true};
    rc = expiry_check(store, node, certs, n, now_ms, seal_at, next_ms, sealed);
    if (*next_ms > now_ms + 60000)
        *next_ms = now_ms + 60000;
    return rc;
}
