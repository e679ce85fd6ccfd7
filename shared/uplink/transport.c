/* transport: see transport.h. */
#include "transport.h"

#include "bundle.h"
#include "cert.h"
#include "err.h"
#include "keynote.h"
#include "mem.h"
#include "node.h"
#include "spool.h"

#include <stdlib.h>
#include <string.h>

struct parent_certs {
    char parent[7];
    int64_t now;
    struct cert_node found[TRANSPORT_KEYS_MAX * 2];
    size_t n;
};

static int
parent_cert(void *arg, const void *file, size_t len, const struct cert_node *c)
{
    (void)file;
    (void)len;
    struct parent_certs *p = arg;
    if (strcmp(c->node, p->parent) == 0 && c->not_before <= p->now && p->now <= c->not_after &&
        p->n < sizeof p->found / sizeof *p->found)
        p->found[p->n++] = *c;
    return 0;
}

static void
add_key(uint8_t keys[TRANSPORT_KEYS_MAX][SIGN_CURVE_BYTES], size_t *n, const uint8_t *key)
{
    for (size_t i = 0; i < *n; i++)
        if (memcmp(keys[i], key, SIGN_CURVE_BYTES) == 0)
            return;
    if (*n < TRANSPORT_KEYS_MAX)
        memcpy(keys[(*n)++], key, SIGN_CURVE_BYTES);
}

int
transport_server_keys(store_t *store, uint32_t parent, const uint8_t *configured, int64_t now_ms,
                      uint8_t keys[TRANSPORT_KEYS_MAX][SIGN_CURVE_BYTES], size_t *n)
{
    *n = 0;
    struct parent_certs p = {.now = now_ms};
    node_format(parent, p.parent);
    int rc = bundle_held_certs(store, parent_cert, &p);
    if (rc == ERR_DECODE)
        p.n = 0; /* a set that no longer reads names no key */
    else if (rc != 0)
        return rc;
    /* newest generation first (a handful: insertion sort) */
    for (size_t i = 1; i < p.n; i++)
        for (size_t j = i; j > 0 && p.found[j].key_gen > p.found[j - 1].key_gen; j--) {
            struct cert_node tmp = p.found[j];
            p.found[j] = p.found[j - 1];
            p.found[j - 1] = tmp;
        }
    for (size_t i = 0; i < p.n; i++)
        add_key(keys, n, p.found[i].curve_pk);
    if (configured)
        add_key(keys, n, configured);
    return 0;
}

struct applied {
    const uint32_t *children;
    size_t n;
    uint64_t *versions; /* per child, the newest certs set it acknowledged */
};

static void
note_applied(void *arg, uint32_t node, const char *kind, uint64_t version)
{
    struct applied *a = arg;
    if (strcmp(kind, "certs") != 0)
        return;
    for (size_t i = 0; i < a->n; i++)
        if (a->children[i] == node && version > a->versions[i])
            a->versions[i] = version;
}

int
transport_children_ready(store_t *store, const uint32_t *children, size_t n, bool *ready,
                         uint32_t *lagging)
{
    *ready = false;
    *lagging = 0;
    uint64_t *versions = xcalloc(n ? n : 1, sizeof *versions), held = 0;
    struct applied a = {children, n, versions};
    store_txn_t *t = NULL;
    int rc = store_read(store, &t);
    if (rc == 0)
        rc = bundle_held(t, "certs", &held, NULL, NULL);
    if (rc == 0 && held)
        rc = bundle_each_version(t, note_applied, &a);
    store_abort(&t);
    for (size_t i = 0; rc == 0 && held && i < n && !*lagging; i++)
        if (versions[i] < held)
            *lagging = children[i];
    free(versions);
    *ready = rc == 0 && !*lagging;
    return rc;
}

struct report {
    uint32_t node, gen;
    const uint8_t *pk;
    int64_t now;
    uint32_t seal_at;
    uint64_t sealed;
};

static int
report_fn(store_txn_t *t, void *arg)
{
    struct report *r = arg;
    uint64_t told = 0;
    int rc = store_meta_get_u64(t, "transport_reported_gen", &told);
    if (rc == 0 && told == r->gen)
        return 0;
    if (rc != 0 && rc != ERR_NOT_FOUND)
        return rc;
    char code[7];
    node_format(r->node, code);
    struct wire_buf rec;
    wire_buf_init(&rec);
    keynote_transport(code, r->gen, r->pk, r->now, &rec);
    uint64_t seq;
    rc = spool_append(t, r->node, rec.data, rec.len, &seq);
    if (rc == 0)
        rc = keynote_note_own(t, r->node, rec.data, rec.len);
    wire_buf_fini(&rec);
    if (rc == 0)
        rc = store_meta_put_u64(t, "transport_reported_gen", r->gen);
    if (rc == 0)
        rc = spool_seal(t, r->node, r->seal_at, true, r->now, &r->sealed);
    return rc;
}

int
transport_report(store_t *store, uint32_t node, uint32_t gen, const uint8_t pk[SIGN_CURVE_BYTES],
                 int64_t now_ms, uint32_t seal_at, uint64_t *sealed)
{
    struct report r = {node, gen, pk, now_ms, seal_at, 0};
    int rc = store_write(store, report_fn, &r);
    *sealed = r.sealed;
    return rc;
}
