/* keynote: see keynote.h. */
#include "keynote.h"

#include "cert.h"
#include "node.h"

#include <stdio.h>
#include <string.h>

void
keynote_request(const char *node, uint32_t gen, const void *request, size_t len, int64_t at,
               struct wire_buf *out)
{
    char id[40];
    snprintf(id, sizeof id, "keyreq/%s/g%u", node, gen);
    wire_put_map(out, 6);
    wire_put_cstr(out, "type");
    wire_put_cstr(out, KEYNOTE_REQUEST);
    wire_put_cstr(out, "id");
    wire_put_cstr(out, id);
    wire_put_cstr(out, "at");
    wire_put_int(out, at);
    wire_put_cstr(out, "node");
    wire_put_cstr(out, node);
    wire_put_cstr(out, "gen");
    wire_put_uint(out, gen);
    wire_put_cstr(out, "request");
    wire_put_bin(out, request, len);
}

static int
refuse(char field[32], char why[ERR_WHY_MAX], const char *f, const char *w)
{
    snprintf(field, 32, "%s", f);
    snprintf(why, ERR_WHY_MAX, "%s", w);
    return ERR_INVALID;
}

int
keynote_check(const wire_obj_t *m, const char *node, char field[32], char why[ERR_WHY_MAX])
{
    char named[7];
    uint64_t gen;
    const char *req;
    size_t len;
    if (wire_obj_get_text(m, "node", named, sizeof named) != 0 || strcmp(named, node) != 0)
        return refuse(field, why, "node", "must be the node whose log holds it");
    if (wire_obj_get_uint(m, "gen", &gen) != 0 || gen == 0 || gen > UINT32_MAX)
        return refuse(field, why, "gen", "must be a key generation from 1");
    if (wire_obj_get_bytes(m, "request", WIRE_BIN, &req, &len) != 0)
        return refuse(field, why, "request", "must be bytes (a signed request)");
    struct cert_request q;
    char w[ERR_WHY_MAX];
    if (cert_check_request(req, len, NULL, &q, w) != 0)
        return refuse(field, why, "request", w);
    if (strcmp(q.node, node) != 0 || q.key_gen != gen)
        return refuse(field, why, "request", "names another node or key generation");
    return 0;
}

static size_t
request_key(uint8_t out[9], uint32_t node, uint32_t gen)
{
    out[0] = 'r';
    store_be32(out + 1, node);
    store_be32(out + 5, gen);
    return 9;
}

int
keynote_note(store_txn_t *t, uint32_t origin, const wire_obj_t *m)
{
    uint64_t gen;
    int64_t at;
    const char *req;
    size_t len;
    if (wire_obj_get_uint(m, "gen", &gen) != 0 || gen > UINT32_MAX ||
        wire_obj_get_int(m, "at", &at) != 0 ||
        wire_obj_get_bytes(m, "request", WIRE_BIN, &req, &len) != 0)
        return ERR_DECODE;
    struct wire_buf v;
    wire_buf_init(&v);
    wire_put_array(&v, 2);
    wire_put_int(&v, at);
    wire_put_bin(&v, req, len);
    uint8_t k[9];
    int rc = store_put(t, STORE_BUNDLES, k, request_key(k, origin, (uint32_t)gen), v.data, v.len,
                       0);
    wire_buf_fini(&v);
    return rc;
}

struct each {
    keynote_request_fn fn;
    void *arg;
};

static int
each_fn(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    struct each *e = arg;
    if (klen != 9)
        return 0;
    wire_reader_t *r = NULL;
    const wire_obj_t *o;
    int rc = 0;
    if (wire_decode_one(val, vlen, &r, &o) == 0 && wire_obj_type(o) == WIRE_ARRAY &&
        wire_obj_size(o) == 2 && wire_obj_type(wire_obj_at(o, 1)) == WIRE_BIN) {
        const wire_obj_t *at = wire_obj_at(o, 0);
        struct keynote_request rn = {store_from_be32(key + 1), store_from_be32(key + 5),
                             wire_obj_type(at) == WIRE_INT ? wire_obj_int(at)
                                                           : (int64_t)wire_obj_uint(at),
                             NULL, 0};
        rn.request = wire_obj_bytes(wire_obj_at(o, 1), &rn.len);
        rc = e->fn(e->arg, &rn);
    }
    wire_reader_destroy(&r);
    return rc;
}

int
keynote_each_request(store_txn_t *t, keynote_request_fn fn, void *arg)
{
    struct each e = {fn, arg};
    return store_each_prefix(t, STORE_BUNDLES, "r", 1, true, each_fn, &e);
}

void
keynote_transport(const char *node, uint32_t gen, const uint8_t curve_pk[32], int64_t at,
                  struct wire_buf *out)
{
    char id[40];
    snprintf(id, sizeof id, "keytransport/%s/g%u", node, gen);
    wire_put_map(out, 6);
    wire_put_cstr(out, "type");
    wire_put_cstr(out, KEYNOTE_TRANSPORT);
    wire_put_cstr(out, "id");
    wire_put_cstr(out, id);
    wire_put_cstr(out, "at");
    wire_put_int(out, at);
    wire_put_cstr(out, "node");
    wire_put_cstr(out, node);
    wire_put_cstr(out, "gen");
    wire_put_uint(out, gen);
    wire_put_cstr(out, "curve_pk");
    wire_put_bin(out, curve_pk, 32);
}

int
keynote_check_transport(const wire_obj_t *m, const char *node, char field[32],
                        char why[ERR_WHY_MAX])
{
    char named[7];
    uint64_t gen;
    const char *pk;
    size_t len;
    if (wire_obj_get_text(m, "node", named, sizeof named) != 0 || strcmp(named, node) != 0)
        return refuse(field, why, "node", "must be the node whose log holds it");
    if (wire_obj_get_uint(m, "gen", &gen) != 0 || gen > UINT32_MAX)
        return refuse(field, why, "gen", "must be a key generation");
    if (wire_obj_get_bytes(m, "curve_pk", WIRE_BIN, &pk, &len) != 0 || len != 32)
        return refuse(field, why, "curve_pk", "must be 32 bytes (a transport public key)");
    return 0;
}

static size_t
served_key(uint8_t out[5], uint32_t node)
{
    out[0] = 't';
    store_be32(out + 1, node);
    return 5;
}

int
keynote_note_transport(store_txn_t *t, uint32_t origin, const wire_obj_t *m)
{
    uint64_t gen;
    if (wire_obj_get_uint(m, "gen", &gen) != 0 || gen > UINT32_MAX)
        return ERR_DECODE;
    uint32_t held;
    int rc = keynote_served(t, origin, &held);
    if (rc == 0 && held >= gen)
        return 0; /* a late record of an older key */
    if (rc != 0 && rc != ERR_NOT_FOUND)
        return rc;
    uint8_t k[5], v[4];
    store_be32(v, (uint32_t)gen);
    return store_put(t, STORE_BUNDLES, k, served_key(k, origin), v, 4, 0);
}

int
keynote_served(store_txn_t *t, uint32_t node, uint32_t *gen)
{
    uint8_t k[5];
    struct wire_buf v;
    wire_buf_init(&v);
    int rc = store_get(t, STORE_BUNDLES, k, served_key(k, node), &v);
    if (rc == 0 && v.len != 4)
        rc = ERR_CORRUPT;
    if (rc == 0)
        *gen = store_from_be32(v.data);
    wire_buf_fini(&v);
    return rc;
}

int
keynote_note_own(store_txn_t *t, uint32_t node, const void *rec, size_t len)
{
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    char type[32];
    int rc = ERR_DECODE;
    if (wire_decode_one(rec, len, &r, &m) == 0 &&
        wire_obj_get_text(m, "type", type, sizeof type) == 0)
        rc = strcmp(type, KEYNOTE_REQUEST) == 0     ? keynote_note(t, node, m)
             : strcmp(type, KEYNOTE_TRANSPORT) == 0 ? keynote_note_transport(t, node, m)
                                                    : ERR_DECODE;
    wire_reader_destroy(&r);
    return rc;
}
