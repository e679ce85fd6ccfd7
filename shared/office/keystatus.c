/* keystatus: see keystatus.h. */
#include "keystatus.h"

#include "bundle.h"
#include "cert.h"
#include "err.h"
#include "ingest.h"
#include "keynote.h"
#include "mem.h"
#include "node.h"

#include <stdlib.h>
#include <string.h>

static struct keystatus_row *
row_of(struct keystatus *ks, uint32_t node)
{
    for (size_t i = 0; i < ks->n; i++)
        if (ks->rows[i].node == node)
            return &ks->rows[i];
    ks->rows = xrealloc(ks->rows, (ks->n + 1) * sizeof *ks->rows);
    struct keystatus_row *r = &ks->rows[ks->n++];
    memset(r, 0, sizeof *r);
    r->node = node;
    return r;
}

/* The certificates of the set held, kept for matching key ids. */
struct certs {
    struct keystatus *ks;
    struct cert_node *all;
    size_t n;
};

static int
take_cert(void *arg, const void *file, size_t len, const struct cert_node *c)
{
    (void)file;
    (void)len;
    struct certs *cs = arg;
    cs->all = xrealloc(cs->all, (cs->n + 1) * sizeof *cs->all);
    cs->all[cs->n++] = *c;
    struct keystatus_row *r = row_of(cs->ks, node_number(c->node));
    if (c->key_gen > r->newest_gen)
        r->newest_gen = c->key_gen;
    return 0;
}

static int
take_request(void *arg, const struct keynote_request *q)
{
    struct certs *cs = arg;
    struct cert_request req;
    char why[ERR_WHY_MAX];
    if (cert_check_request(q->request, q->len, NULL, &req, why) != 0)
        return 0;
    for (size_t i = 0; i < cs->n; i++)
        if (memcmp(cs->all[i].sign_pk, req.sign_pk, CERT_KEY_BYTES) == 0)
            return 0; /* certified since */
    struct keystatus_row *r = row_of(cs->ks, q->node);
    if (q->gen > r->pending_gen)
        r->pending_gen = q->gen;
    return 0;
}

/* The key id of the node's last batch held here (batches table: [header, key id, sig, at]). */
static int
last_key_id(store_txn_t *t, uint32_t node, char out[SIGN_KEY_ID_LEN + 1])
{
    struct ingest_node st;
    int rc = ingest_node_load(t, node, &st);
    if (rc == ERR_NOT_FOUND || (rc == 0 && st.last_seq == 0))
        return 0;
    if (rc != 0)
        return rc;
    uint8_t k[12];
    store_be32(k, node);
    store_be64(k + 4, st.last_seq);
    struct wire_buf v;
    wire_buf_init(&v);
    rc = store_get(t, STORE_BATCHES, k, sizeof k, &v);
    wire_reader_t *r = NULL;
    const wire_obj_t *o;
    if (rc == 0 && wire_decode_one(v.data, v.len, &r, &o) == 0 && wire_obj_type(o) == WIRE_ARRAY &&
        wire_obj_size(o) >= 2) {
        size_t l;
        const char *id = wire_obj_bytes(wire_obj_at(o, 1), &l);
        if (id && l == SIGN_KEY_ID_LEN) {
            memcpy(out, id, l);
            out[l] = '\0';
        }
    }
    wire_reader_destroy(&r);
    wire_buf_fini(&v);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

static int
cmp_row(const void *a, const void *b)
{
    const struct keystatus_row *x = a, *y = b;
    return x->node < y->node ? -1 : x->node > y->node;
}

int
keystatus_read(store_txn_t *t, struct keystatus *ks)
{
    memset(ks, 0, sizeof *ks);
    struct certs cs = {ks, NULL, 0};
    struct wire_buf doc;
    wire_buf_init(&doc);
    struct bundle b;
    int rc = bundle_held(t, "certs", &ks->certs_version, &doc, NULL);
    if (rc == 0 && ks->certs_version && bundle_peek(doc.data, doc.len, &b) == 0 &&
        cert_set_each(b.body, b.body_len, take_cert, &cs) != 0)
        rc = ERR_CORRUPT;
    wire_buf_reset(&doc);
    struct cert_crl crl = {0};
    uint64_t crl_version = 0;
    if (rc == 0)
        rc = bundle_held(t, "crl", &crl_version, &doc, NULL);
    char why[ERR_WHY_MAX];
    if (rc == 0 && crl_version && bundle_peek(doc.data, doc.len, &b) == 0 &&
        cert_read_crl(b.body, b.body_len, &crl, why) == 0) {
        ks->crl_version = crl.version;
        ks->crl_entries = crl.n_revoked;
    }
    wire_buf_fini(&doc);
    if (rc == 0)
        rc = keynote_each_request(t, take_request, &cs);
    size_t n_nodes = ks->n;
    for (size_t i = 0; rc == 0 && i < n_nodes; i++) {
        struct keystatus_row *r = &ks->rows[i];
        rc = last_key_id(t, r->node, r->key_id);
        for (size_t j = 0; rc == 0 && r->key_id[0] && j < cs.n; j++)
            if (node_number(cs.all[j].node) == r->node &&
                strcmp(cs.all[j].key_id, r->key_id) == 0 && cs.all[j].not_after > r->not_after) {
                r->key_gen = cs.all[j].key_gen;
                r->serial = cs.all[j].serial;
                r->not_after = cs.all[j].not_after;
            }
        for (size_t j = 0; r->serial && j < crl.n_revoked; j++)
            if (crl.revoked[j].serial == r->serial)
                snprintf(r->revoked, sizeof r->revoked, "%s", crl.revoked[j].reason);
        uint32_t gen;
        int g = rc == 0 ? keynote_served(t, r->node, &gen) : 0;
        if (rc == 0 && g == 0)
            r->serves_gen = gen;
        else if (rc == 0 && g != ERR_NOT_FOUND)
            rc = g;
    }
    for (size_t i = 0; rc == 0 && i < ks->n; i++) {
        uint32_t parent = node_parent(ks->rows[i].node), gen;
        int g = parent ? keynote_served(t, parent, &gen) : ERR_NOT_FOUND;
        if (g == 0)
            ks->rows[i].parent_serves_gen = gen;
        else if (g != ERR_NOT_FOUND)
            rc = g;
    }
    cert_crl_fini(&crl);
    free(cs.all);
    if (rc != 0) {
        keystatus_fini(ks);
        return rc;
    }
    if (ks->n > 1)
        qsort(ks->rows, ks->n, sizeof *ks->rows, cmp_row);
    return 0;
}

void
keystatus_fini(struct keystatus *ks)
{
    free(ks->rows);
    ks->rows = NULL;
    ks->n = 0;
}

json_t *
keystatus_json(const struct keystatus *ks)
{
    json_t *nodes = json_array();
    for (size_t i = 0; i < ks->n; i++) {
        const struct keystatus_row *r = &ks->rows[i];
        char code[7];
        node_format(r->node, code);
        json_array_append_new(
            nodes, json_pack("{s:s,s:s?,s:i,s:I,s:I,s:i,s:i,s:i,s:i,s:s?}", "node", code, "key_id",
                             r->key_id[0] ? r->key_id : NULL, "key_gen", (int)r->key_gen,
                             "serial", (json_int_t)r->serial, "not_after",
                             (json_int_t)r->not_after, "newest_gen", (int)r->newest_gen,
                             "serves_gen", (int)r->serves_gen, "parent_serves_gen",
                             (int)r->parent_serves_gen, "pending_gen", (int)r->pending_gen,
                             "revoked", r->revoked[0] ? r->revoked : NULL));
    }
    return json_pack("{s:I,s:I,s:I,s:o}", "certs_version", (json_int_t)ks->certs_version,
                     "crl_version", (json_int_t)ks->crl_version, "crl_entries",
                     (json_int_t)ks->crl_entries, "nodes", nodes);
}
