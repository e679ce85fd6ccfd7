/* rotation: see rotation.h. */
#include "rotation.h"

#include "bundle.h"
#include "cert.h"
#include "err.h"
#include "expiry.h"
#include "log.h"
#include "file.h"
#include "mem.h"
#include "keynote.h"
#include "spool.h"
#include "calendar.h"
#include "transport.h"
#include "node.h"
#include "zap.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROTATION_KEYS_MAX 8
#define DAY_MS (24 * 3600 * 1000LL)

/* A key this node may sign with: configured, or made here for a renewal. */
struct candidate {
    sign_key_t *key;
    sign_curve_t *curve; /* the transport key made with it (NAME.curve-secret), if any */
    uint32_t gen;        /* its generation: from its file name, raised by the sets that certify it */
};

struct rotation {
    char node[7];
    struct candidate c[ROTATION_KEYS_MAX];
    size_t n, in_force;
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

/* The N of a key file named NAME.gN.secret; 0 for another name. */
static uint32_t
gen_of_name(const char *path)
{
    const char *base = strrchr(path, '/');
    const char *g = strstr(base ? base : path, ".g");
    if (!g || g[2] < '0' || g[2] > '9')
        return 0;
    char *end;
    unsigned long n = strtoul(g + 2, &end, 10);
    return strcmp(end, ".secret") == 0 && n <= UINT32_MAX ? (uint32_t)n : 0;
}

/* Adds the key in `path` (and the transport key beside it) as a candidate; one held already is
 * no news. */
static int
add_candidate(rotation_t *r, const char *path, uint32_t min_gen, char *why, size_t why_len)
{
    sign_key_t *k = NULL;
    sign_curve_t *c = NULL;
    int rc = load(r->node, path, &k, why, why_len);
    if (rc == 0)
        rc = load_curve(r->node, path, &c, why, why_len);
    for (size_t i = 0; rc == 0 && i < r->n; i++)
        if (memcmp(sign_key_public(r->c[i].key), sign_key_public(k), SIGN_PUBLIC_BYTES) == 0) {
            sign_key_destroy(&k);
            sign_curve_destroy(&c);
            return 0;
        }
    if (rc == 0 && r->n == ROTATION_KEYS_MAX) {
        snprintf(why, why_len, "%s: more than %d keys of this node", path, ROTATION_KEYS_MAX);
        rc = ERR_CONFIG;
    }
    if (rc != 0) {
        sign_key_destroy(&k);
        sign_curve_destroy(&c);
        return rc;
    }
    uint32_t gen = gen_of_name(path);
    r->c[r->n++] = (struct candidate){k, c, gen > min_gen ? gen : min_gen};
    return 0;
}

int
rotation_open(const char *node, const char *key_path, const char *next_path, rotation_t **out,
              char *why, size_t why_len)
{
    rotation_t *r = xcalloc(1, sizeof *r);
    snprintf(r->node, sizeof r->node, "%s", node);
    int rc = add_candidate(r, key_path, 0, why, why_len);
    if (rc == 0 && next_path && *next_path) {
        rc = add_candidate(r, next_path, r->c[0].gen + 1, why, why_len);
        /* a node on CurveZMQ would switch its signing key and keep the old transport key,
         * which the parent refuses once the old certificate is retired */
        if (rc == 0 && r->n == 2 && r->c[0].curve && !r->c[1].curve) {
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

int
rotation_adopt(rotation_t *r, const char *dir, char *why, size_t why_len)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    int rc = 0;
    size_t prefix = strlen(r->node);
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (rc == 0 && strncmp(name, r->node, prefix) == 0 && gen_of_name(name)) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, name);
            rc = add_candidate(r, path, 0, why, why_len);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

void
rotation_destroy(rotation_t **p)
{
    rotation_t *r = *p;
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        sign_key_destroy(&r->c[i].key);
        sign_curve_destroy(&r->c[i].curve);
    }
    free(r);
    *p = NULL;
}

const sign_key_t *
rotation_key(const rotation_t *r)
{
    return r->c[r->in_force].key;
}

const sign_curve_t *
rotation_curve(const rotation_t *r)
{
    return r->c[r->in_force].curve;
}

uint32_t
rotation_curve_gen(const rotation_t *r, const uint8_t pk[SIGN_CURVE_BYTES])
{
    for (size_t i = 0; i < r->n; i++)
        if (r->c[i].curve && memcmp(sign_curve_public(r->c[i].curve), pk, SIGN_CURVE_BYTES) == 0)
            return r->c[i].gen;
    return 0;
}

struct find {
    const char *node;
    const uint8_t *pk;
    uint32_t gen;
    int64_t not_after;
    bool found;
    struct cert_node cert; /* the one found */
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
        f->cert = *n;
    }
    return 0; /* on through the set: a later one may end later */
}

bool
rotation_consider(rotation_t *r, const void *certs, size_t len)
{
    /* every candidate the set certifies takes its certificate's generation; the newest certified
     * one above the key in force takes over */
    size_t best = r->in_force;
    for (size_t i = 0; i < r->n; i++) {
        struct find f = {r->node, sign_key_public(r->c[i].key), 0, 0, false, {0}};
        if (cert_set_each(certs, len, certifies, &f) != 0)
            return false;
        if (!f.found)
            continue;
        if (f.gen > r->c[i].gen)
            r->c[i].gen = f.gen;
        if (r->c[i].gen > r->c[best].gen)
            best = i;
    }
    if (best == r->in_force)
        return false;
    /* the caller hands the new keys to its link at once (link_set_key); a node on CurveZMQ
     * keeps the transport key it has when the new key has none beside it */
    if (!r->c[best].curve && r->c[r->in_force].curve)
        log_warn("rotation: node=%s: key generation %u has no transport key beside it",
                 r->node, r->c[best].gen);
    r->in_force = best;
    char id[SIGN_KEY_ID_LEN + 1];
    sign_key_id(sign_key_public(r->c[best].key), id);
    log_info("rotation: node=%s signs with key generation %u (key %s) from now", r->node,
             r->c[best].gen, id);
    return true;
}

int
rotation_attach(rotation_t *r, link_t *link, const char *server_key_path, char *why,
                size_t why_len)
{
    if (!server_key_path || !*server_key_path)
        return 0;
    if (!rotation_curve(r)) {
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
    link_set_curve(link, server, rotation_curve(r));
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
    if (r->n < 2)
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
find_held(store_t *store, const char *node, const uint8_t *pk, struct cert_node *cert)
{
    struct find f = {node, pk, 0, 0, false, {0}};
    int rc = bundle_held_certs(store, certifies, &f);
    if (rc == ERR_DECODE || (rc == 0 && !f.found))
        rc = ERR_NOT_FOUND;
    if (rc == 0)
        *cert = f.cert;
    return rc;
}

int
rotation_certificate(const rotation_t *r, store_t *store, int64_t *not_after_ms, uint32_t *key_gen)
{
    struct cert_node c;
    int rc = find_held(store, r->node, sign_key_public(rotation_key(r)), &c);
    if (rc == 0) {
        *not_after_ms = c.not_after;
        if (key_gen)
            *key_gen = c.key_gen;
    }
    return rc;
}

int
rotation_node_certificate(store_t *store, uint32_t node, int64_t *not_after_ms)
{
    char code[NODE_LEN + 1];
    node_format(node, code);
    struct cert_node c;
    int rc = find_held(store, code, NULL, &c);
    if (rc == 0)
        *not_after_ms = c.not_after;
    return rc;
}

struct ask {
    const char *node;
    uint32_t gen;
    const struct wire_buf *request;
    int64_t now;
    uint32_t seal_at;
    uint64_t sealed;
};

static int
ask_fn(store_txn_t *t, void *arg)
{
    struct ask *a = arg;
    struct wire_buf rec;
    wire_buf_init(&rec);
    keynote_request(a->node, a->gen, a->request->data, a->request->len, a->now, &rec);
    uint64_t seq;
    int rc = spool_append(t, node_number(a->node), rec.data, rec.len, &seq);
    if (rc == 0)
        rc = keynote_note_own(t, node_number(a->node), rec.data, rec.len);
    wire_buf_fini(&rec);
    if (rc == 0)
        rc = store_meta_put_u64(t, "renewal_gen", a->gen);
    if (rc == 0)
        rc = spool_seal(t, node_number(a->node), a->seal_at, true, a->now, &a->sealed);
    return rc;
}

/* Makes the keys of generation gen in dir (NODE.gN.secret and .curve-secret, 0600) and takes
 * them as a candidate; *index receives it. */
static int
make_keys(rotation_t *r, const char *dir, uint32_t gen, size_t *index, char *why, size_t why_len)
{
    char name[32], path[4096];
    snprintf(name, sizeof name, "%s.g%u", r->node, gen);
    snprintf(path, sizeof path, "%s/%s.secret", dir, name);
    uint8_t curve_pk[SIGN_CURVE_BYTES];
    sign_key_t *k = sign_key_generate();
    int rc = file_make_dirs(dir);
    if (rc == 0)
        rc = sign_key_save(k, r->node, dir, name);
    if (rc == 0)
        rc = sign_curve_keypair_write(r->node, dir, name, curve_pk);
    sign_key_destroy(&k);
    if (rc != 0) {
        snprintf(why, why_len, "cannot write %.300s: %s", path, err_str(rc));
        return rc;
    }
    *index = r->n;
    return add_candidate(r, path, gen, why, why_len);
}

int
rotation_renew(rotation_t *r, store_t *store, const char *dir, int64_t now_ms, uint32_t seal_at,
               uint64_t *sealed)
{
    *sealed = 0;
    struct cert_node cur;
    int rc = find_held(store, r->node, sign_key_public(rotation_key(r)), &cur);
    if (rc == ERR_NOT_FOUND || (rc == 0 && now_ms < cur.not_after - ROTATION_RENEW_DAYS * DAY_MS))
        return 0; /* no certificate known (development keys), or not yet due */
    if (rc != 0)
        return rc;
    uint64_t asked = 0;
    store_txn_t *t = NULL;
    rc = store_read(store, &t);
    if (rc == 0)
        rc = store_meta_get_u64(t, "renewal_gen", &asked);
    store_abort(&t);
    if (rc != 0 && rc != ERR_NOT_FOUND)
        return rc;
    /* the next generation held already (made here before, or configured) */
    size_t next = r->n;
    for (size_t i = 0; i < r->n; i++)
        if (r->c[i].gen > r->c[r->in_force].gen && (next == r->n || r->c[i].gen > r->c[next].gen))
            next = i;
    if (next < r->n && asked >= r->c[next].gen)
        return 0; /* asked already: the province's administrator approves it */
    char why[ERR_WHY_MAX];
    if (next == r->n && (rc = make_keys(r, dir, r->c[r->in_force].gen + 1, &next, why,
                                        sizeof why)) != 0) {
        log_error("rotation: node=%s cannot make its next keys: %s", r->node, why);
        return rc;
    }
    struct cert_request q = {.key_gen = r->c[next].gen, .at = now_ms};
    snprintf(q.node, sizeof q.node, "%s", r->node);
    snprintf(q.tier, sizeof q.tier, "%s", cur.tier);
    snprintf(q.parent, sizeof q.parent, "%s", cur.parent);
    memcpy(q.sign_pk, sign_key_public(r->c[next].key), CERT_KEY_BYTES);
    if (r->c[next].curve)
        memcpy(q.curve_pk, sign_curve_public(r->c[next].curve), CERT_KEY_BYTES);
    struct wire_buf req;
    wire_buf_init(&req);
    cert_make_request(&q, r->c[next].key, rotation_key(r), &req);
    char fp[65];
    cert_fingerprint(req.data, req.len, fp); /* what `jiancha keys approve` prints */
    struct ask a = {r->node, q.key_gen, &req, now_ms, seal_at, 0};
    rc = store_write(store, ask_fn, &a);
    wire_buf_fini(&req);
    if (rc != 0)
        return rc;
    *sealed = a.sealed;
    char end[16];
    calendar_format_date(calendar_day_of(cur.not_after), end);
    log_info("rotation: node=%s made its next keys (generation %u) and asked for their "
             "certificate: its own ends on %s; request fingerprint %s", r->node, q.key_gen, end,
             fp);
    return 0;
}

int
rotation_check_expiry(const rotation_t *r, store_t *store, uint32_t node, bool certified,
                      int64_t now_ms, uint32_t seal_at, int64_t *next_ms, uint64_t *sealed)
{
    struct expiry_cert certs[3];
    size_t n = 0;
    uint32_t gen;
    /* none known (development keys, no set yet) clears what may stand */
    certs[n] = (struct expiry_cert){node, 0, false, 0};
    int rc = rotation_certificate(r, store, &certs[n].not_after_ms, &gen);
    if (rc != 0 && rc != ERR_NOT_FOUND)
        return rc;
    uint64_t asked = 0;
    store_txn_t *mt = NULL;
    int mrc = store_read(store, &mt);
    if (mrc == 0)
        mrc = store_meta_get_u64(mt, "renewal_gen", &asked);
    store_abort(&mt);
    if (mrc != 0 && mrc != ERR_NOT_FOUND)
        return mrc;
    if (rc == 0 && asked > gen)
        certs[n].asked_gen = (uint32_t)asked;
    if (rc == ERR_NOT_FOUND && certified)
        certs[n].not_after_ms = EXPIRY_END_UNKNOWN; /* on certificates, none seen */
    n++;
    uint32_t parent = node_parent(node);
    if (parent) {
        certs[n] = (struct expiry_cert){parent, 0, false, 0};
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
    certs[n++] = (struct expiry_cert){0, rc == 0 ? pub.not_after : 0, true, 0};
    rc = expiry_check(store, node, certs, n, now_ms, seal_at, next_ms, sealed);
    if (*next_ms > now_ms + 60000)
        *next_ms = now_ms + 60000;
    return rc;
}
