/* ingest: verify, sequence, store, acknowledge.
 *
 * Checks run cheapest first and never decode unauthenticated bytes beyond the header: frame
 * sizes, signature over the header bytes as received, header decode, node match, payload hash,
 * then sequence rules (docs/protocol.md):
 *   seq <= last_seq      duplicate: same header hash -> ACK again; other content -> conflict
 *   seq == last_seq + 1  prev must equal last_hash and first must follow last_record -> store
 *   seq >  last_seq + 1  gap: NACK with expected = last_seq + 1 (a fast-forward is never taken)
 * Node state changes are made on a working copy inside the transaction and adopted only after
 * the commit, so a failed or retried commit leaves memory as it was.
 */
#include "ingest.h"

#include "arrival.h"
#include "batch.h"
#include "carry.h"
#include "cert.h"
#include "err.h"
#include "event.h"
#include "file.h"
#include "kept.h"
#include "keyring.h"
#include "log.h"
#include "mem.h"
#include "quarantine.h"
#include "schema.h"
#include "spool.h"
#include "timestamp.h"

#include <dirent.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Refusals are rate-limited per child and per code, so one kind never hides another. */
static const char *const refusal_codes[] = {
    PROTO_NACK_BAD_SIGNATURE, PROTO_NACK_MALFORMED, PROTO_NACK_BROKEN_CHAIN,
    PROTO_NACK_CONFLICT,      PROTO_NACK_BUSY,      PROTO_NACK_HELLO_FIRST,
};
#define REFUSAL_KINDS (sizeof refusal_codes / sizeof refusal_codes[0] + 1)

struct ingest {
    struct ingest_options opt;
    char *keys_dir;
    keyring_t *keys; /* the keys each node may sign with */
    store_t *store;
    struct ingest_node *nodes; /* sorted by node */
    size_t n_nodes;
    struct ingest_node *work; /* working copy during a transaction */
    struct log_limit (*refusals)[REFUSAL_KINDS]; /* per child and code, parallel to nodes */
    uint64_t sealed; /* batches sealed for the parent, not yet taken */
    bool rollup;     /* the parent wants alerts and counters only (PROTO_MODE_ROLLUP) */
};

static int
cmp_node(const void *a, const void *b)
{
    uint32_t x = ((const struct ingest_node *)a)->node, y = ((const struct ingest_node *)b)->node;
    return x < y ? -1 : x > y;
}

static struct ingest_node *
find(struct ingest_node *v, size_t n, uint32_t node)
{
    struct ingest_node key = {.node = node};
    return n ? bsearch(&key, v, n, sizeof *v, cmp_node) : NULL;
}

static void
node_encode(const struct ingest_node *st, struct wire_buf *out)
{
    wire_put_map(out, st->sealed_known ? 11 : 10);
    wire_put_cstr(out, "repeated");
    wire_put_uint(out, st->repeated);
    if (st->sealed_known) {
        wire_put_cstr(out, "sealed");
        wire_put_uint(out, st->sealed_seq);
    }
    wire_put_cstr(out, "skew");
    wire_put_int(out, st->skew_ms);
    wire_put_cstr(out, "last_seq");
    wire_put_uint(out, st->last_seq);
    wire_put_cstr(out, "last_hash");
    wire_put_bin(out, st->last_hash, SIGN_HASH_BYTES);
    wire_put_cstr(out, "last_record");
    wire_put_uint(out, st->last_record);
    wire_put_cstr(out, "last_contact");
    wire_put_int(out, st->last_contact_ms);
    wire_put_cstr(out, "batches");
    wire_put_uint(out, st->batches);
    wire_put_cstr(out, "records");
    wire_put_uint(out, st->records);
    wire_put_cstr(out, "duplicates");
    wire_put_uint(out, st->duplicates);
    wire_put_cstr(out, "rejected");
    wire_put_uint(out, st->rejected);
}

int
ingest_node_load(store_txn_t *t, uint32_t node, struct ingest_node *st)
{
    /* what is not stored (in-memory flags such as diverged) starts clear, never stack garbage */
    memset(st, 0, sizeof *st);
    uint8_t key[4];
    store_be32(key, node);
    struct wire_buf b;
    wire_buf_init(&b);
    int rc = store_get(t, STORE_NODES, key, 4, &b);
    if (rc != 0) {
        wire_buf_fini(&b);
        return rc;
    }
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    const char *h;
    size_t hl;
    rc = ERR_CORRUPT;
    if (wire_decode_one(b.data, b.len, &r, &m) == 0 &&
        wire_obj_get_uint(m, "last_seq", &st->last_seq) == 0 &&
        wire_obj_get_bytes(m, "last_hash", WIRE_BIN, &h, &hl) == 0 && hl == SIGN_HASH_BYTES &&
        wire_obj_get_uint(m, "last_record", &st->last_record) == 0 &&
        wire_obj_get_uint(m, "batches", &st->batches) == 0 &&
        wire_obj_get_uint(m, "records", &st->records) == 0 &&
        wire_obj_get_uint(m, "duplicates", &st->duplicates) == 0 &&
        wire_obj_get_uint(m, "rejected", &st->rejected) == 0) {
        memcpy(st->last_hash, h, hl);
        const wire_obj_t *c = wire_obj_get(m, "last_contact");
        st->last_contact_ms = c && wire_obj_type(c) == WIRE_UINT ? (int64_t)wire_obj_uint(c) : 0;
        const wire_obj_t *k = wire_obj_get(m, "skew");
        st->skew_ms = !k                              ? 0
                      : wire_obj_type(k) == WIRE_INT  ? wire_obj_int(k)
                      : wire_obj_type(k) == WIRE_UINT ? (int64_t)wire_obj_uint(k)
                                                      : 0;
        if (wire_obj_get_uint(m, "repeated", &st->repeated) != 0)
            st->repeated = 0; /* kept by a version that did not count them */
        st->sealed_known = wire_obj_get_uint(m, "sealed", &st->sealed_seq) == 0;
        if (!st->sealed_known)
            st->sealed_seq = 0;
        st->node = node;
        rc = 0;
    }
    wire_reader_destroy(&r);
    wire_buf_fini(&b);
    return rc;
}

/* A node the keyring knows gets a delivery state (arrays parallel to nodes grow with it). */
static void
ensure_node(ingest_t *in, uint32_t node)
{
    if (find(in->nodes, in->n_nodes, node))
        return;
    in->nodes = xrealloc(in->nodes, (in->n_nodes + 1) * sizeof *in->nodes);
    in->work = xrealloc(in->work, (in->n_nodes + 1) * sizeof *in->work);
    in->refusals = xrealloc(in->refusals, (in->n_nodes + 1) * sizeof *in->refusals);
    memset(&in->refusals[in->n_nodes], 0, sizeof *in->refusals);
    struct ingest_node *n = &in->nodes[in->n_nodes++];
    memset(n, 0, sizeof *n);
    n->node = node;
    qsort(in->nodes, in->n_nodes, sizeof *in->nodes, cmp_node);
}

const struct keyring_key *
ingest_key_for(const ingest_t *in, uint32_t node, const char *key_id, size_t key_id_len,
               int64_t as_of, char why[ERR_WHY_MAX])
{
    return keyring_find(in->keys, node, key_id, key_id_len, as_of, why);
}

struct bundle_trust
ingest_bundle_trust(ingest_t *in, const uint8_t *publisher_pk)
{
    cert_trust_t *t = keyring_trust(in->keys);
    return (struct bundle_trust){t, publisher_pk, t ? keyring_learned : NULL, in->keys};
}

int
ingest_add_certificate(ingest_t *in, const void *file, size_t len, char why[ERR_WHY_MAX])
{
    bool added;
    struct cert_node n;
    int rc = keyring_add_certificate(in->keys, file, len, &added, why);
    if (rc == 0 && added && cert_read_node(file, len, &n, why) == 0)
        ensure_node(in, node_number(n.node));
    return rc;
}

/* A batch that reuses a sequence of its node with other content (a restored snapshot, a cloned
 * node): its copy is quarantined and a red node.clone alarm raised (quarantine.h). */
struct clone {
    uint32_t node;
    uint64_t seq;
    char why[ERR_WHY_MAX];
    struct wire_buf copy; /* [header, key, sig, payload]; empty when there is nothing to keep */
};

static void
clone_note(struct clone *c, uint32_t node, uint64_t seq, const char *why,
           const struct ingest_msg *m)
{
    c->node = node;
    c->seq = seq;
    snprintf(c->why, sizeof c->why, "%s", why);
    wire_buf_init(&c->copy);
    wire_put_array(&c->copy, 4);
    wire_put_bin(&c->copy, m->header, m->header_len);
    wire_put_bin(&c->copy, m->key_id, m->key_id_len);
    wire_put_bin(&c->copy, m->sig, m->sig_len);
    wire_put_bin(&c->copy, m->payload, m->payload_len);
}

static struct quarantine_tier
tier_of(const ingest_t *in)
{
    struct quarantine_tier q = {in->opt.self_node, in->opt.forward_node,
                                in->opt.forward_seal_at};
    return q;
}

static int
clone_alarm(store_txn_t *t, ingest_t *in, int64_t now_ms, uint64_t *sealed,
            const struct clone *c)
{
    int rc = c->copy.len ? quarantine_keep(t, c->node, c->seq, c->copy.data, c->copy.len) : 0;
    char why[ERR_WHY_MAX];
    snprintf(why, sizeof why, "%.160s%s", c->why, c->copy.len ? " (quarantined)" : "");
    struct quarantine_tier q = tier_of(in);
    if (rc == 0)
        rc = quarantine_alarm(t, &q, "node.clone", c->node, c->seq, why, now_ms, sealed);
    return rc;
}

/* For every compromised key of the list in force: the batches held here that the first tier
 * accepted from `since` on are quarantined, and one red key.compromised alarm says how many,
 * raised by the node's parent and by every tier that held some. */
struct compromise {
    ingest_t *in;
    store_txn_t *t;
    uint64_t sealed;
};

static int
quarantine_key(void *arg, uint32_t node, const struct keyring_key *k, const struct cert_revoked *r)
{
    struct compromise *cp = arg;
    uint64_t n;
    int rc = quarantine_key_batches(cp->t, node, k->key_id, r->since, &n);
    if (rc != 0)
        return rc;
    struct quarantine_tier q = tier_of(cp->in);
    char self[7];
    node_format(q.self, self);
    /* A tier that holds none of them and is not the node's parent has nothing to report: in a
     * province every city raised a red alarm for every compromised key, 20 of 21 saying "0
     * batches" (bench/province.sh). */
    if (n == 0 && strcmp(k->parent, self) != 0)
        return 0;
    char nt[7], since[TIMESTAMP_TEXT_MAX], why[ERR_WHY_MAX];
    node_format(node, nt);
    timestamp_format(r->since, since);
    snprintf(why, sizeof why,
             "key %s of %s compromised since %.29s: %llu batches accepted since then quarantined",
             k->key_id, nt, since, (unsigned long long)n);
    return quarantine_alarm(cp->t, &q, "key.compromised", node, k->serial, why,
                            timestamp_now_ms(), &cp->sealed);
}

static int
compromise_fn(store_txn_t *t, void *arg)
{
    struct compromise cp = {arg, t, 0};
    int rc = keyring_each_compromised(cp.in->keys, quarantine_key, &cp);
    if (rc == 0)
        cp.in->sealed += cp.sealed;
    return rc;
}

bool
ingest_admit_transport(const ingest_t *in, const uint8_t key[SIGN_CURVE_BYTES], int64_t now_ms,
                       char user_id[16], char why[ERR_WHY_MAX])
{
    return keyring_admit(in->keys, in->opt.self_node, key, now_ms, user_id, why);
}

int
ingest_apply_crl(ingest_t *in, const void *file, size_t len, char why[ERR_WHY_MAX])
{
    int rc = keyring_apply_crl(in->keys, file, len, why);
    if (rc != 0)
        return rc;
    rc = store_write(in->store, compromise_fn, in);
    if (rc != 0)
        log_error("ingest: cannot quarantine the batches of compromised keys: %s", err_str(rc));
    return 0;
}

int
ingest_new(const struct ingest_options *opt, store_t *store, ingest_t **out)
{
    ingest_t *in = xcalloc(1, sizeof *in);
    in->opt = *opt;
    in->keys_dir = xstrdup(opt->keys_dir);
    in->opt.keys_dir = in->keys_dir;
    in->store = store;
    int rc = keyring_load(in->keys_dir, &in->keys);
    if (rc == 0) {
        size_t n;
        const uint32_t *codes = keyring_nodes(in->keys, &n);
        in->nodes = xcalloc(n ? n : 1, sizeof *in->nodes);
        for (size_t i = 0; i < n; i++)
            in->nodes[in->n_nodes++].node = codes[i];
        if (in->n_nodes > 1)
            qsort(in->nodes, in->n_nodes, sizeof *in->nodes, cmp_node);
    }
    store_txn_t *t = NULL;
    if (rc == 0)
        rc = store_read(store, &t);
    for (size_t i = 0; rc == 0 && i < in->n_nodes; i++) {
        struct ingest_node saved;
        int lrc = ingest_node_load(t, in->nodes[i].node, &saved);
        if (lrc == 0) {
            saved.node = in->nodes[i].node;
            in->nodes[i] = saved;
        } else if (lrc != ERR_NOT_FOUND) {
            rc = lrc;
        }
    }
    uint64_t mode = 0;
    if (rc == 0)
        rc = store_meta_get_u64(t, "uplink_rollup", &mode);
    in->rollup = mode != 0;
    store_abort(&t);
    if (rc != 0) {
        ingest_destroy(&in);
        return rc;
    }
    in->work = xcalloc(in->n_nodes ? in->n_nodes : 1, sizeof *in->work);
    in->refusals = xcalloc(in->n_nodes ? in->n_nodes : 1, sizeof *in->refusals);
    log_info("ingest: ready children=%zu keys=%s", in->n_nodes, in->keys_dir);
    *out = in;
    return 0;
}

static int
put_mode(store_txn_t *t, void *arg)
{
    return store_meta_put_u64(t, "uplink_rollup", *(const bool *)arg);
}

int
ingest_set_rollup(ingest_t *in, bool rollup)
{
    if (in->rollup == rollup)
        return 0;
    int rc = store_write(in->store, put_mode, &rollup);
    if (rc == 0)
        in->rollup = rollup;
    return rc;
}

void
ingest_destroy(ingest_t **p)
{
    ingest_t *in = *p;
    if (!in)
        return;
    free(in->nodes);
    free(in->work);
    free(in->refusals);
    free(in->keys_dir);
    keyring_destroy(&in->keys);
    free(in);
    *p = NULL;
}

int
ingest_hello(ingest_t *in, const void *body, size_t len, const void *sig, size_t sig_len,
             int64_t now_ms, struct proto_hello *h, struct proto_welcome *w, char reason[160])
{
    if (proto_hello_decode(body, len, h) != 0) {
        snprintf(reason, 160, "HELLO does not decode");
        return ERR_DECODE;
    }
    struct ingest_node *n = NULL;
    if (node_valid(h->node, strlen(h->node)) == 0)
        n = find(in->nodes, in->n_nodes, node_number(h->node));
    if (!n) {
        snprintf(reason, 160, "node %s is not a known child of this aggregator", h->node);
        return ERR_UNKNOWN_NODE;
    }
    char why[ERR_WHY_MAX];
    const struct keyring_key *k =
        ingest_key_for(in, n->node, h->key_id, strlen(h->key_id), now_ms, why);
    if (!k) {
        snprintf(reason, 160, "HELLO refused: %.140s", why);
        return ERR_BAD_SIGNATURE;
    }
    if (k->parent[0] && node_number(k->parent) != in->opt.self_node) {
        snprintf(reason, 160, "node %s's certificate names parent %s, not this node", h->node,
                 k->parent);
        return ERR_BAD_SIGNATURE;
    }
    if (proto_hello_verify(k->pk, body, len, sig, sig_len) != 0) {
        snprintf(reason, 160, "HELLO from node %s does not verify with its key %s", h->node,
                 k->key_id);
        return ERR_BAD_SIGNATURE;
    }
    if (h->version != PROTO_VERSION) {
        snprintf(reason, 160, "protocol version %u is not supported (this parent speaks %d)",
                 h->version, PROTO_VERSION);
        return ERR_INVALID;
    }
    n->last_contact_ms = now_ms;
    memset(w, 0, sizeof *w);
    w->version = PROTO_VERSION;
    w->last_seq = n->last_seq;
    memcpy(w->last_hash, n->last_hash, SIGN_HASH_BYTES);
    return 0;
}

void
ingest_touch(ingest_t *in, uint32_t node, int64_t now_ms)
{
    struct ingest_node *n = find(in->nodes, in->n_nodes, node);
    if (n)
        n->last_contact_ms = now_ms;
}


void
ingest_note_ping(ingest_t *in, uint32_t node, const struct proto_ping *ping, int64_t now_ms)
{
    struct ingest_node *n = find(in->nodes, in->n_nodes, node);
    if (!n)
        return;
    n->last_contact_ms = now_ms;
    n->skew_ms = ping->sent_ms - now_ms;
    if (!ping->stated)
        return;
    n->sealed_seq = ping->sealed;
    n->sealed_known = true;
    if (ping->sealed < n->last_seq ||
        (ping->sealed == n->last_seq && n->last_seq &&
         memcmp(ping->sealed_hash, n->last_hash, SIGN_HASH_BYTES) != 0))
        n->diverged = true;
}

static int
save_fn(store_txn_t *t, void *arg)
{
    ingest_t *in = arg;
    struct wire_buf v;
    wire_buf_init(&v);
    int rc = 0;
    uint64_t sealed = 0;
    for (size_t i = 0; rc == 0 && i < in->n_nodes; i++) {
        /* A child that says it sealed fewer batches than this tier holds from it went back in
         * time: a store restored from an older copy (it parks; nothing of it to quarantine). */
        const struct ingest_node *n = &in->nodes[i];
        if (n->diverged) {
            struct clone c = {.node = n->node, .seq = n->last_seq};
            snprintf(c.why, sizeof c.why,
                     "a heartbeat of %06u shows another history (batch %llu there, %llu here): a "
                     "restored or cloned store",
                     n->node, (unsigned long long)n->sealed_seq, (unsigned long long)n->last_seq);
            wire_buf_init(&c.copy);
            rc = clone_alarm(t, in, timestamp_now_ms(), &sealed, &c);
            wire_buf_fini(&c.copy);
            if (rc != 0)
                break;
        }
        struct ingest_node saved;
        int lrc = ingest_node_load(t, in->nodes[i].node, &saved);
        if (lrc != 0 && lrc != ERR_NOT_FOUND) {
            rc = lrc;
            break;
        }
        if (lrc == 0 && saved.last_contact_ms == in->nodes[i].last_contact_ms &&
            saved.sealed_seq == in->nodes[i].sealed_seq &&
            saved.sealed_known == in->nodes[i].sealed_known &&
            saved.skew_ms == in->nodes[i].skew_ms)
            continue;
        if (lrc == ERR_NOT_FOUND && !in->nodes[i].last_contact_ms)
            continue;
        uint8_t key[4];
        store_be32(key, in->nodes[i].node);
        wire_buf_reset(&v);
        node_encode(&in->nodes[i], &v);
        rc = store_put(t, STORE_NODES, key, 4, v.data, v.len, 0);
    }
    wire_buf_fini(&v);
    in->sealed += sealed;
    return rc;
}

int
ingest_save_contacts(ingest_t *in)
{
    int rc = store_write(in->store, save_fn, in);
    for (size_t i = 0; rc == 0 && i < in->n_nodes; i++)
        in->nodes[i].diverged = false; /* alarmed (once: the alert id is per node and batch) */
    return rc;
}

uint64_t
ingest_take_sealed(ingest_t *in)
{
    uint64_t s = in->sealed;
    in->sealed = 0;
    return s;
}

const struct ingest_node *
ingest_nodes(const ingest_t *in, size_t *n)
{
    *n = in->n_nodes;
    return in->nodes;
}

static void
nack(struct ingest_msg *m, uint64_t seq, const char *code, bool permanent, uint64_t expected,
     const char *reason)
{
    m->ack = false;
    m->reply_nack.seq = seq;
    snprintf(m->reply_nack.code, sizeof m->reply_nack.code, "%s", code);
    snprintf(m->reply_nack.reason, sizeof m->reply_nack.reason, "%.*s",
             (int)sizeof m->reply_nack.reason - 1, reason);
    m->reply_nack.permanent = permanent;
    m->reply_nack.expected = expected;
}

/* The checks that need no store: 0 with the decoded header, or a NACK filled in. */
static int
precheck(ingest_t *in, struct ingest_msg *m, struct ingest_node *n, struct batch_header *h,
         int64_t now)
{
    if (m->header_len > BATCH_HEADER_MAX || m->sig_len != SIGN_SIGNATURE_BYTES ||
        m->payload_len > in->opt.max_batch_bytes) {
        nack(m, 0, PROTO_NACK_MALFORMED, true, 0, "frame sizes out of bounds");
        return ERR_DECODE;
    }
    char why[ERR_WHY_MAX];
    const struct keyring_key *k = ingest_key_for(in, n->node, m->key_id, m->key_id_len, now, why);
    if (!k) {
        nack(m, 0, PROTO_NACK_BAD_SIGNATURE, true, 0, why);
        return ERR_BAD_SIGNATURE;
    }
    if (batch_verify(k->pk, m->header, m->header_len, m->key_id, m->key_id_len, m->sig) != 0) {
        nack(m, 0, PROTO_NACK_BAD_SIGNATURE, true, 0,
             "signature does not verify with the node's key");
        return ERR_BAD_SIGNATURE;
    }
    if (batch_header_decode(m->header, m->header_len, h) != 0) {
        nack(m, 0, PROTO_NACK_MALFORMED, true, 0, "signed header does not decode");
        return ERR_DECODE;
    }
    if (node_number(h->node) != n->node) {
        nack(m, h->seq, PROTO_NACK_MALFORMED, true, 0, "header names another node");
        return ERR_DECODE;
    }
    if (batch_payload_check(h, m->payload, m->payload_len) != 0) {
        nack(m, h->seq, PROTO_NACK_MALFORMED, true, 0,
             "payload does not match the signed header");
        return ERR_BAD_HASH;
    }
    return 0;
}

struct txn_args {
    ingest_t *in;
    struct ingest_msg *msgs;
    struct batch_header *headers;
    int *ok; /* precheck result per message */
    size_t n;
    int64_t now_ms;
    uint64_t sealed;
    char
        why[ERR_WHY_MAX]; /* why a batch was refused for what it carries (a NACK keeps 159 bytes) */
    long refused;  /* index of the message refused for what it carries, or -1 */
    struct clone *clone; /* a carried batch that reused a sequence: alarmed in the next run */
    struct clone *invalid; /* a batch refused for a record: quarantined in the next run */
};

/* Where a batch stands against its node's chain (docs/protocol.md), for a child's own batches and
 * for carried ones alike. */
enum chain_place {
    CHAIN_NEXT,     /* follows the last batch held: store it */
    CHAIN_HELD,     /* an exact duplicate of a batch held */
    CHAIN_CONFLICT, /* reuses a sequence held with other content */
    CHAIN_GAP,      /* a later batch than the next */
    CHAIN_BROKEN,   /* the next sequence, but its prev hash or first record does not follow */
};

static int stored_header_hash(store_txn_t *t, uint32_t node, uint64_t seq,
                              uint8_t out[SIGN_HASH_BYTES]);

/* 0 with *place, and for anything but CHAIN_NEXT and CHAIN_HELD why in the node's own terms; or
 * a storage error. */
static int
chain_place(store_txn_t *t, const struct ingest_node *w, const void *header, size_t header_len,
            const struct batch_header *h, enum chain_place *place, char why[ERR_WHY_MAX])
{
    if (h->seq <= w->last_seq) {
        uint8_t mine[SIGN_HASH_BYTES], theirs[SIGN_HASH_BYTES];
        int rc = stored_header_hash(t, w->node, h->seq, mine);
        if (rc != 0 && rc != ERR_NOT_FOUND)
            return rc;
        batch_hash(header, header_len, theirs);
        *place = rc == 0 && memcmp(mine, theirs, sizeof mine) == 0 ? CHAIN_HELD : CHAIN_CONFLICT;
        snprintf(why, ERR_WHY_MAX, "batch %llu was already stored with other content",
                 (unsigned long long)h->seq);
    } else if (h->seq > w->last_seq + 1) {
        *place = CHAIN_GAP;
        snprintf(why, ERR_WHY_MAX, "expected batch %llu", (unsigned long long)w->last_seq + 1);
    } else if (memcmp(h->prev, w->last_hash, SIGN_HASH_BYTES) != 0 ||
               h->first != w->last_record + 1) {
        *place = CHAIN_BROKEN;
        snprintf(why, ERR_WHY_MAX,
                 "batch %llu does not follow batch %llu (prev hash or first record differs)",
                 (unsigned long long)h->seq, (unsigned long long)w->last_seq);
    } else {
        *place = CHAIN_NEXT;
    }
    return 0;
}

/* A stored batch moves its node's chain on. */
static void
chain_advance(struct ingest_node *w, const void *header, size_t header_len,
              const struct batch_header *h)
{
    w->last_seq = h->seq;
    batch_hash(header, header_len, w->last_hash);
    w->last_record = h->last;
    w->batches++;
    w->records += h->count;
}

static int store_batch(store_txn_t *t, struct txn_args *a, struct ingest_node *w,
                       const struct ingest_msg *m, const struct batch_header *h,
                       int64_t accepted);

/* Checks and stores one batch carried inside a `batch` record: the origin's own signature,
 * sequence and chain, exactly as if the origin had sent it here. ERR_DUPLICATE is fine (already
 * held); other errors refuse the carrying batch with a->why. */
static int
take_origin(store_txn_t *t, struct txn_args *a, uint32_t carrier, const wire_obj_t *m)
{
    ingest_t *in = a->in;
    struct carry c;
    if (carry_open(m, a->now_ms, &c) != 0) {
        snprintf(a->why, sizeof a->why, "a carried batch record is malformed");
        return ERR_DECODE;
    }
    char node[7];
    node_format(c.origin, node);
    struct ingest_node *w = find(in->work, in->n_nodes, c.origin);
    if (!w) {
        snprintf(a->why, sizeof a->why, "carried batch from node %s, whose key this parent lacks",
                 node);
        return ERR_UNKNOWN_NODE;
    }
    /* The origin's key is judged as of when the carrier accepted the batch (its signed `at`):
     * backlog accepted before a rotation's revocation stays valid on its way up. */
    char why[ERR_WHY_MAX];
    const struct keyring_key *k =
        ingest_key_for(in, w->node, (const char *)c.key_id, c.key_id_len, c.accepted_ms, why);
    if (!k) {
        snprintf(a->why, sizeof a->why, "carried batch: %.140s", why);
        return ERR_BAD_SIGNATURE;
    }
    if (k->parent[0] && node_number(k->parent) != carrier) {
        snprintf(a->why, sizeof a->why, "carried batch from node %s, whose certificate names "
                                        "parent %s, not its carrier", node, k->parent);
        return ERR_BAD_SIGNATURE;
    }
    struct batch_header h;
    if (c.sig_len != SIGN_SIGNATURE_BYTES ||
        batch_verify(k->pk, c.header, c.header_len, c.key_id, c.key_id_len, c.sig) != 0) {
        snprintf(a->why, sizeof a->why, "carried batch from node %s: bad origin signature", node);
        return ERR_BAD_SIGNATURE;
    }
    int checked = ERR_DECODE;
    if (batch_header_decode(c.header, c.header_len, &h) == 0 && strcmp(h.node, node) == 0)
        checked = c.filtered ? batch_payload_check_subset(&h, c.payload, c.payload_len)
                             : batch_payload_check(&h, c.payload, c.payload_len);
    if (checked == ERR_BAD_HASH && c.filtered) {
        /* a rollup-only carrier may leave out business events, never change or add a record */
        snprintf(a->why, sizeof a->why, "carried batch %llu from node %s: its records are not "
                 "those its origin signed (rollup hash)", (unsigned long long)h.seq, node);
        return ERR_BAD_HASH;
    }
    if (checked != 0) {
        snprintf(a->why, sizeof a->why, "carried batch from node %s does not match its header",
                 node);
        return ERR_DECODE;
    }
    struct ingest_msg om = {.node = c.origin,
                            .header = c.header,
                            .header_len = c.header_len,
                            .payload = c.payload,
                            .payload_len = c.payload_len,
                            .key_id = c.key_id,
                            .key_id_len = c.key_id_len,
                            .sig = c.sig,
                            .sig_len = c.sig_len};
    enum chain_place place;
    int rc = chain_place(t, w, c.header, c.header_len, &h, &place, why);
    if (rc != 0)
        return rc;
    if (place != CHAIN_NEXT && place != CHAIN_HELD)
        snprintf(a->why, sizeof a->why, "carried batch from node %s: %.140s", node, why);
    switch (place) {
    case CHAIN_HELD:
        w->duplicates++;
        return ERR_DUPLICATE;
    case CHAIN_CONFLICT:
        if (!a->clone) {
            a->clone = xcalloc(1, sizeof *a->clone);
            clone_note(a->clone, w->node, h.seq, a->why, &om);
        }
        return ERR_CONFLICT;
    case CHAIN_GAP: /* a carrier sends its children's batches in order: a gap is a break */
    case CHAIN_BROKEN:
        return ERR_BROKEN_CHAIN;
    case CHAIN_NEXT:
        break;
    }
    if ((rc = store_batch(t, a, w, &om, &h, c.accepted_ms)) != 0)
        return rc;
    chain_advance(w, c.header, c.header_len, &h);
    return 0;
}

static int
store_batch(store_txn_t *t, struct txn_args *a, struct ingest_node *w, const struct ingest_msg *m,
            const struct batch_header *h, int64_t accepted)
{
    wire_reader_t *r = wire_reader_new(m->payload, m->payload_len);
    uint64_t seq;
    unsigned kind;
    const void *rec;
    size_t len;
    int rc;
    uint8_t key[12];
    store_be32(key, w->node);
    bool urgent = false; /* an alert inside: it goes up at once, not at the next flush */
    bool told = false;   /* a repeated id logged for this batch */
    uint8_t idkey[4 + EVENT_ID_MAX];
    store_be32(idkey, w->node);
    for (size_t index = 0; (rc = batch_payload_next(r, &seq, &kind, &rec, &len)) == 0; index++) {
        /* Decoded once, for the schema and for what this tier does with the record. Nothing this
         * tier cannot read back is stored: the whole batch is refused. */
        wire_reader_t *rr = NULL;
        const wire_obj_t *m2 = NULL;
        char field[SCHEMA_FIELD_MAX] = "", reason[SCHEMA_REASON_MAX] = "is not one msgpack value";
        bool decoded = wire_decode_one(rec, len, &rr, &m2) == 0;
        if (!decoded || schema_check_map(m2, w->node, field, reason) != 0) {
            wire_reader_destroy(&rr);
            snprintf(a->why, sizeof a->why, "record %zu (seq %llu): %s%s%.100s", index,
                     (unsigned long long)seq, field, field[0] ? ": " : "", reason);
            if (!a->invalid) {
                a->invalid = xcalloc(1, sizeof *a->invalid);
                clone_note(a->invalid, w->node, h->seq, a->why, m);
            }
            rc = ERR_INVALID;
            break;
        }
        const char *tp;
        size_t tl;
        if (wire_obj_get_bytes(m2, "type", WIRE_STR, &tp, &tl) == 0 && tl == 5 &&
            memcmp(tp, "batch", 5) == 0) {
            /* A child's batch carried up: judged and stored under its origin, not kept here. */
            rc = take_origin(t, a, w->node, m2);
            wire_reader_destroy(&rr);
            if (rc == ERR_DUPLICATE)
                continue;
            if (rc != 0)
                break;
            continue;
        }
        /* An id the node already sent is counted, never stored twice (ids are per origin). */
        const char *idp;
        size_t idl;
        if (wire_obj_get_bytes(m2, "id", WIRE_STR, &idp, &idl) != 0 || idl > EVENT_ID_MAX) {
            wire_reader_destroy(&rr);
            rc = ERR_CORRUPT; /* schema_check passed it: cannot happen */
            break;
        }
        memcpy(idkey + 4, idp, idl);
        uint8_t sv[8];
        store_be64(sv, seq);
        /* one descent: the put finds a repeated id */
        rc = store_put(t, STORE_IDS, idkey, 4 + idl, sv, 8, STORE_NOOVERWRITE);
        if (rc != 0 && rc != ERR_EXISTS) {
            wire_reader_destroy(&rr);
            break;
        }
        if (rc == ERR_EXISTS) {
            rc = 0;
            w->repeated++;
            if (!told)
                log_warn("ingest: record id repeated node=%06u batch=%llu seq=%llu id=%.*s: "
                         "counted, not stored", w->node, (unsigned long long)h->seq,
                         (unsigned long long)seq, (int)idl, idp);
            told = true;
            wire_reader_destroy(&rr);
            continue;
        }
        store_be64(key + 4, seq);
        rc = store_put(t, STORE_EVENTS, key, 12, rec, len, 0);
        if (rc == 0)
            rc = kept_note(t, key, rec, len);
        if (rc == 0)
            rc = arrival_take(t, w->node, seq, rec, len, m2, &urgent);
        wire_reader_destroy(&rr);
        if (rc != 0)
            break;
    }
    wire_reader_destroy(&r);
    if (rc != ERR_NOT_FOUND)
        return rc;
    /* Forwarding: the batch as received, with the time this tier accepted it. */
    if (a->in->opt.forward_node && a->in->opt.forward_node != w->node) {
        struct carry c = {w->node,      m->header,     m->key_id,  m->sig,
                          m->payload,   m->header_len, m->key_id_len, m->sig_len,
                          m->payload_len, a->now_ms,   false};
        struct wire_buf fr;
        wire_buf_init(&fr);
        carry_wrap(&c, a->in->opt.forward_node, h->seq, a->in->rollup, &fr);
        uint64_t fseq, sealed = 0;
        rc = spool_append(t, a->in->opt.forward_node, fr.data, fr.len, &fseq);
        wire_buf_fini(&fr);
        if (rc == 0)
            rc = spool_seal(t, a->in->opt.forward_node, a->in->opt.forward_seal_at, urgent,
                            a->now_ms, &sealed);
        a->sealed += sealed;
        if (rc != 0)
            return rc;
    }
    /* The header and signature are kept for audit and for forwarding up unchanged, with when the
     * first tier accepted the batch (what a compromise's `since` is measured against). */
    struct wire_buf v;
    wire_buf_init(&v);
    wire_put_array(&v, 4);
    wire_put_bin(&v, m->header, m->header_len);
    wire_put_bin(&v, m->key_id, m->key_id_len);
    wire_put_bin(&v, m->sig, m->sig_len);
    wire_put_int(&v, accepted);
    store_be64(key + 4, h->seq);
    rc = store_put(t, STORE_BATCHES, key, 12, v.data, v.len, 0);
    wire_buf_fini(&v);
    return rc;
}

/* What a tier keeps of a child's batch it stored (STORE_BATCHES: [header, key id, signature,
 * accepted]): the header, key id and signature appended to the buffers given (NULL: not
 * wanted). 0, ERR_NOT_FOUND, ERR_CORRUPT or a store error. */
static int
held_entry(store_txn_t *t, uint32_t node, uint64_t seq, struct wire_buf *header,
           struct wire_buf *key_id, struct wire_buf *sig)
{
    uint8_t key[12];
    store_be32(key, node);
    store_be64(key + 4, seq);
    struct wire_buf v;
    wire_buf_init(&v);
    int rc = store_get(t, STORE_BATCHES, key, 12, &v);
    wire_reader_t *r = NULL;
    const wire_obj_t *o;
    if (rc == 0) {
        rc = ERR_CORRUPT;
        if (wire_decode_one(v.data, v.len, &r, &o) == 0 && wire_obj_type(o) == WIRE_ARRAY &&
            wire_obj_size(o) >= 3 && wire_obj_type(wire_obj_at(o, 0)) == WIRE_BIN &&
            wire_obj_type(wire_obj_at(o, 1)) == WIRE_BIN &&
            wire_obj_type(wire_obj_at(o, 2)) == WIRE_BIN) {
            struct wire_buf *out[] = {header, key_id, sig};
            for (size_t i = 0; i < 3; i++) {
                size_t n;
                const char *p = wire_obj_bytes(wire_obj_at(o, i), &n);
                if (out[i])
                    wire_buf_append(out[i], p, n);
            }
            rc = 0;
        }
    }
    wire_reader_destroy(&r);
    wire_buf_fini(&v);
    return rc;
}

static int
stored_header_hash(store_txn_t *t, uint32_t node, uint64_t seq, uint8_t out[SIGN_HASH_BYTES])
{
    struct wire_buf h;
    wire_buf_init(&h);
    int rc = held_entry(t, node, seq, &h, NULL, NULL);
    if (rc == 0)
        batch_hash(h.data, h.len, out);
    wire_buf_fini(&h);
    return rc;
}

/* A refused batch: the child's chain stands still from now, unless it already did. */
static void
stuck(struct ingest_node *w, int64_t now_ms)
{
    if (!w->stuck_since_ms)
        w->stuck_since_ms = now_ms;
    w->stuck_at_seq = w->last_seq + 1;
}

static int
txn_fn(store_txn_t *t, void *arg)
{
    struct txn_args *a = arg;
    ingest_t *in = a->in;
    memcpy(in->work, in->nodes, in->n_nodes * sizeof *in->nodes);
    a->sealed = 0;
    bool touched = false;
    /* a carried reuse found by the run this one replaces: its carrier is refused, the alarm kept */
    if (a->clone && a->refused < 0) {
        int rc = clone_alarm(t, in, a->now_ms, &a->sealed, a->clone);
        if (rc != 0)
            return rc;
    }
    /* and a batch with a record no tier may store: a copy kept for audit, nothing else */
    if (a->invalid && a->refused < 0) {
        int rc = quarantine_keep(t, a->invalid->node, a->invalid->seq, a->invalid->copy.data,
                                 a->invalid->copy.len);
        if (rc != 0)
            return rc;
    }
    for (size_t i = 0; i < a->n; i++) {
        struct ingest_msg *m = &a->msgs[i];
        struct ingest_node *w = find(in->work, in->n_nodes, m->node);
        const struct batch_header *h = &a->headers[i];
        if (!w)
            continue; /* no session: already answered hello-first */
        w->last_contact_ms = a->now_ms;
        touched = true;
        if (a->ok[i] != 0) {
            w->rejected++;
            stuck(w, a->now_ms);
            continue;
        }
        char why[ERR_WHY_MAX];
        enum chain_place place;
        int rc = chain_place(t, w, m->header, m->header_len, h, &place, why);
        if (rc != 0)
            return rc;
        if (place == CHAIN_HELD) {
            m->ack = true;
            m->reply_ack.seq = w->last_seq;
            w->duplicates++;
            continue;
        }
        if (place == CHAIN_GAP) {
            nack(m, h->seq, PROTO_NACK_GAP, false, w->last_seq + 1, why);
            stuck(w, a->now_ms);
            continue;
        }
        if (place != CHAIN_NEXT) {
            nack(m, h->seq, place == CHAIN_CONFLICT ? PROTO_NACK_CONFLICT
                                                    : PROTO_NACK_BROKEN_CHAIN, true, 0, why);
            w->rejected++;
            stuck(w, a->now_ms);
            if (place == CHAIN_CONFLICT) {
                struct clone c;
                clone_note(&c, w->node, h->seq, why, m);
                rc = clone_alarm(t, in, a->now_ms, &a->sealed, &c);
                wire_buf_fini(&c.copy);
                if (rc != 0)
                    return rc;
            }
            continue;
        }
        a->why[0] = '\0';
        rc = store_batch(t, a, w, m, h, a->now_ms);
        if (rc != 0 && a->why[0]) {
            /* A carried batch failed its origin checks: refuse the carrier, keep nothing. */
            nack(m, h->seq, rc == ERR_CONFLICT ? PROTO_NACK_CONFLICT
                             : rc == ERR_BAD_SIGNATURE ? PROTO_NACK_BAD_SIGNATURE
                             : rc == ERR_BROKEN_CHAIN  ? PROTO_NACK_BROKEN_CHAIN
                                                       : PROTO_NACK_MALFORMED,
                 true, 0, a->why);
            a->refused = (long)i;
            return ERR_INVALID; /* abort: the group is stored again without this batch */
        }
        if (rc != 0)
            return rc;
        chain_advance(w, m->header, m->header_len, h);
        w->stuck_since_ms = 0;
        m->ack = true;
        m->reply_ack.seq = h->seq;
    }
    if (!touched)
        return 0;
    /* Persist the state of every node this group touched. */
    struct wire_buf v;
    wire_buf_init(&v);
    for (size_t i = 0; i < in->n_nodes; i++) {
        if (memcmp(&in->work[i], &in->nodes[i], sizeof in->work[i]) == 0)
            continue;
        uint8_t key[4];
        store_be32(key, in->work[i].node);
        wire_buf_reset(&v);
        node_encode(&in->work[i], &v);
        int rc = store_put(t, STORE_NODES, key, 4, v.data, v.len, 0);
        if (rc != 0) {
            wire_buf_fini(&v);
            return rc;
        }
    }
    wire_buf_fini(&v);
    return 0;
}

/* A refusal is logged at most every 10 s per child, with the count of those in between. */
static void
refused(ingest_t *in, const struct ingest_msg *m)
{
    struct ingest_node *n = find(in->nodes, in->n_nodes, m->node);
    size_t kind = 0;
    while (kind < REFUSAL_KINDS - 1 && strcmp(refusal_codes[kind], m->reply_nack.code) != 0)
        kind++;
    uint64_t suppressed;
    if (n && log_allow(&in->refusals[n - in->nodes][kind], 10, &suppressed))
        log_warn("ingest: batch refused node=%06u seq=%llu code=%s suppressed=%llu: %s", m->node,
                 (unsigned long long)m->reply_nack.seq, m->reply_nack.code,
                 (unsigned long long)suppressed, m->reply_nack.reason);
}

int
ingest_batches(ingest_t *in, struct ingest_msg *msgs, size_t n, int64_t now_ms)
{
    struct batch_header *headers = xcalloc(n, sizeof *headers);
    int *ok = xcalloc(n, sizeof *ok);
    for (size_t i = 0; i < n; i++) {
        struct ingest_node *node = find(in->nodes, in->n_nodes, msgs[i].node);
        if (!node) {
            nack(&msgs[i], 0, PROTO_NACK_HELLO_FIRST, false, 0, "say HELLO first");
            ok[i] = ERR_UNKNOWN_NODE;
            continue;
        }
        ok[i] = precheck(in, &msgs[i], node, &headers[i], now_ms);
        if (ok[i] != 0)
            refused(in, &msgs[i]);
    }
    struct txn_args a = {in, msgs, headers, ok, n, now_ms, 0, "", -1, NULL, NULL};
    int rc = store_write(in->store, txn_fn, &a);
    /* A batch refused for what it carries keeps its NACK; the rest of the group goes again. */
    while (rc == ERR_INVALID && a.refused >= 0) {
        ok[a.refused] = ERR_INVALID;
        refused(in, &msgs[a.refused]);
        a.refused = -1;
        a.sealed = 0;
        rc = store_write(in->store, txn_fn, &a);
    }
    struct clone *notes[] = {a.clone, a.invalid};
    for (size_t i = 0; i < 2; i++) {
        if (notes[i])
            wire_buf_fini(&notes[i]->copy);
        free(notes[i]);
    }
    if (rc == 0)
        in->sealed += a.sealed;
    if (rc == 0) {
        memcpy(in->nodes, in->work, in->n_nodes * sizeof *in->nodes);
        /* Gaps are the normal echo of a resend window and are not worth a warning. */
        for (size_t i = 0; i < n; i++)
            if (!msgs[i].ack && ok[i] == 0 && strcmp(msgs[i].reply_nack.code, PROTO_NACK_GAP))
                refused(in, &msgs[i]);
    } else {
        log_warn("ingest: cannot store batches count=%zu: %s", n, err_str(rc));
        for (size_t i = 0; i < n; i++)
            if (ok[i] == 0)
                nack(&msgs[i], headers[i].seq, PROTO_NACK_BUSY, false, 0, err_str(rc));
    }
    free(headers);
    free(ok);
    return rc;
}

int
ingest_batch_held(store_txn_t *t, uint32_t node, uint64_t seq, struct wire_buf *header,
                  struct wire_buf *payload, struct wire_buf *key_id, struct wire_buf *sig)
{
    struct batch_header h = {0};
    int rc = held_entry(t, node, seq, header, key_id, sig);
    if (rc == 0)
        rc = batch_header_decode(header->data, header->len, &h);
    uint8_t key[12];
    store_be32(key, node);
    /* the records, in order, under the origin node: as the batch carried them */
    struct wire_buf rec;
    wire_buf_init(&rec);
    for (uint64_t s = h.first; rc == 0 && s <= h.last; s++) {
        store_be64(key + 4, s);
        wire_buf_reset(&rec);
        rc = store_get(t, STORE_EVENTS, key, 12, &rec);
        if (rc == 0)
            batch_payload_add(payload, s, BATCH_KIND_EVENT, rec.data, rec.len);
        else if (rc == ERR_NOT_FOUND)
            rc = ERR_BAD_HASH;
    }
    if (rc == 0 && batch_payload_check(&h, payload->data, payload->len) != 0)
        rc = ERR_BAD_HASH;
    wire_buf_fini(&rec);
    return rc;
}
