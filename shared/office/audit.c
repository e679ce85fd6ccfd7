/* audit: writing and verifying the hash-chained log. See audit.h; the record's layout is in
 * docs/protocol.md. */
#include "audit.h"

#include "access.h"
#include "err.h"
#include "event.h"
#include "mem.h"
#include "spool.h"
#include "timestamp.h"

#include <stdio.h>
#include <string.h>

/* meta "audit_head": the node (u32 BE) + n (u64 BE) + BLAKE2b-256 of its last entry's record */
#define HEAD_LEN (4 + 8 + SIGN_HASH_BYTES)

static int
head_get(store_txn_t *t, uint32_t *node, uint64_t *n, uint8_t hash[SIGN_HASH_BYTES])
{
    struct wire_buf v;
    wire_buf_init(&v);
    int rc = store_get(t, STORE_META, "audit_head", 10, &v);
    if (rc == 0 && v.len == HEAD_LEN) {
        *node = store_from_be32(v.data);
        *n = store_from_be64(v.data + 4);
        memcpy(hash, v.data + 12, SIGN_HASH_BYTES);
    } else if (rc == ERR_NOT_FOUND) {
        *node = 0;
        *n = 0;
        memset(hash, 0, SIGN_HASH_BYTES);
        rc = 0;
    } else if (rc == 0) {
        rc = ERR_CORRUPT;
    }
    wire_buf_fini(&v);
    return rc;
}

int
audit_append(store_txn_t *t, uint32_t node, const struct audit_entry *e)
{
    uint64_t n;
    uint32_t owner;
    uint8_t prev[SIGN_HASH_BYTES];
    int rc = head_get(t, &owner, &n, prev);
    if (rc != 0)
        return rc;
    n++;
    char id[32], node_text[NODE_LEN + 1];
    snprintf(id, sizeof id, "audit-%llu", (unsigned long long)n);
    node_format(node, node_text);
    struct wire_buf rec;
    wire_buf_init(&rec);
    wire_put_map(&rec, 14);
    wire_put_cstr(&rec, "type");
    wire_put_cstr(&rec, "audit");
    wire_put_cstr(&rec, "id");
    wire_put_cstr(&rec, id);
    wire_put_cstr(&rec, "at");
    wire_put_int(&rec, e->at_ms);
    wire_put_cstr(&rec, "node");
    wire_put_cstr(&rec, node_text);
    wire_put_cstr(&rec, "n");
    wire_put_uint(&rec, n);
    wire_put_cstr(&rec, "prev");
    wire_put_bin(&rec, prev, sizeof prev);
    wire_put_cstr(&rec, "operator");
    wire_put_cstr(&rec, e->operator);
    wire_put_cstr(&rec, "role");
    wire_put_cstr(&rec, e->role);
    wire_put_cstr(&rec, "action");
    wire_put_cstr(&rec, e->action);
    wire_put_cstr(&rec, "record");
    wire_put_cstr(&rec, e->record);
    wire_put_cstr(&rec, "seq");
    wire_put_uint(&rec, e->seq);
    wire_put_cstr(&rec, "outcome");
    wire_put_cstr(&rec, e->outcome);
    wire_put_cstr(&rec, "request");
    wire_put_str(&rec, e->request, e->request_len);
    wire_put_cstr(&rec, "sig");
    if (e->sig)
        wire_put_bin(&rec, e->sig, SIGN_SIGNATURE_BYTES);
    else
        wire_put_bin(&rec, "", 0);
    uint64_t seq;
    rc = spool_append(t, node, rec.data, rec.len, &seq);
    if (rc == 0) {
        uint8_t head[HEAD_LEN];
        store_be32(head, node);
        store_be64(head + 4, n);
        sign_hash(rec.data, rec.len, head + 12);
        rc = store_put(t, STORE_META, "audit_head", 10, head, sizeof head, 0);
    }
    wire_buf_fini(&rec);
    return rc;
}

int
audit_count(store_txn_t *t, uint64_t *n)
{
    uint32_t owner;
    uint8_t hash[SIGN_HASH_BYTES];
    return head_get(t, &owner, n, hash);
}

/* ---- verifying ---- */

struct walk {
    store_txn_t *t;
    uint32_t node;
    const roster_t *roster;
    audit_problem_fn fn;
    void *arg;
    struct audit_summary *sum;
    uint64_t n;                    /* the last entry's number */
    uint8_t hash[SIGN_HASH_BYTES]; /* and its hash */
};

/* Reports a break: why is the text before the detail, tail the text after it. */
static void
problem(struct walk *w, uint64_t n, const char *why_text, const char *detail, const char *tail)
{
    char why[ERR_WHY_MAX];
    snprintf(why, sizeof why, "%s%s%s", why_text, detail, tail);
    w->sum->problems++;
    w->fn(w->arg, w->node, n, why);
}

/* The record at (node, seq) has this id? */
static bool
record_is(store_txn_t *t, uint32_t node, uint64_t seq, const char *id)
{
    uint8_t k[12];
    store_be32(k, node);
    store_be64(k + 4, seq);
    struct wire_buf v;
    wire_buf_init(&v);
    char type[32], got[EVENT_ID_MAX + 1];
    bool ok = store_get(t, STORE_EVENTS, k, 12, &v) == 0 &&
              event_record_peek(v.data, v.len, type, got) == 0 && strcmp(got, id) == 0;
    wire_buf_fini(&v);
    return ok;
}

/* A read on the centre's screen is unsigned: the record at (node, seq) is an access.read of this
 * operator naming a sign-in of theirs stored at the node (access.h). */
static bool
screen_read_vouched(store_txn_t *t, uint32_t node, uint64_t seq, const char *operator)
{
    uint8_t k[12];
    store_be32(k, node);
    store_be64(k + 4, seq);
    struct wire_buf v;
    wire_buf_init(&v);
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    char type[16], by[EVENT_ID_MAX + 1], session[EVENT_ID_MAX + 1], signer[EVENT_ID_MAX + 1];
    int64_t at;
    bool ok = store_get(t, STORE_EVENTS, k, 12, &v) == 0 &&
              wire_decode_one(v.data, v.len, &r, &m) == 0 &&
              wire_obj_get_text(m, "type", type, sizeof type) == 0 &&
              strcmp(type, "access.read") == 0 && wire_obj_get_text(m, "by", by, sizeof by) == 0 &&
              strcmp(by, operator) == 0 &&
              wire_obj_get_text(m, "session", session, sizeof session) == 0 &&
              access_web_session(t, node, session, signer, &at) == 0 &&
              strcmp(signer, operator) == 0;
    wire_reader_destroy(&r);
    wire_buf_fini(&v);
    return ok;
}

static void
check_entry(struct walk *w, const uint8_t *bytes, size_t len, const wire_obj_t *m)
{
    uint64_t n = 0, seq = 0;
    const char *prev, *request, *sig;
    size_t prev_len, request_len, sig_len;
    char operator[EVENT_ID_MAX + 1], record[EVENT_ID_MAX + 1], outcome[256];
    if (wire_obj_get_uint(m, "n", &n) != 0 || wire_obj_get_uint(m, "seq", &seq) != 0 ||
        wire_obj_get_bytes(m, "prev", WIRE_BIN, &prev, &prev_len) != 0 ||
        prev_len != SIGN_HASH_BYTES ||
        wire_obj_get_bytes(m, "request", WIRE_STR, &request, &request_len) != 0 ||
        wire_obj_get_bytes(m, "sig", WIRE_BIN, &sig, &sig_len) != 0 ||
        wire_obj_get_text(m, "operator", operator, sizeof operator) != 0 ||
        wire_obj_get_text(m, "record", record, sizeof record) != 0 ||
        wire_obj_get_text(m, "outcome", outcome, sizeof outcome) != 0) {
        problem(w, w->n + 1, "an audit record that is not a whole entry", "", "");
        w->n++;
        sign_hash(bytes, len, w->hash);
        return;
    }
    w->sum->entries++;
    w->sum->refused += strncmp(outcome, "refused", 7) == 0;
    char text[64];
    if (n != w->n + 1) {
        snprintf(text, sizeof text, "%llu follows %llu", (unsigned long long)n,
                 (unsigned long long)w->n);
        problem(w, n, n > w->n + 1 ? "entries missing: " : "entry repeated or out of order: ", text,
                "");
    } else if (memcmp(prev, w->hash, SIGN_HASH_BYTES) != 0) {
        problem(w, n, "its prev is not the hash of the entry before: that entry was changed", "",
                "");
    }
    if (w->roster && sig_len == SIGN_SIGNATURE_BYTES) {
        const struct roster_operator *op = roster_find(w->roster, operator);
        if (!op)
            problem(w, n, "operator ", operator, " is not on the roster");
        else if (sign_verify(op->key, SIGN_DOMAIN_OPERATOR, request, request_len,
                             (const uint8_t *)sig) != 0)
            problem(w, n, "the request does not carry its operator's signature: changed", "", "");
    } else if (w->roster && strcmp(outcome, "stored") == 0 &&
               !screen_read_vouched(w->t, w->node, seq, operator)) {
        problem(w, n, "a stored request without an operator's signature", "", "");
    }
    if (strcmp(outcome, "stored") == 0 && !record_is(w->t, w->node, seq, record))
        problem(w, n, "the record it stored (", record, ") is missing or another one");
    w->n = n;
    sign_hash(bytes, len, w->hash);
}

static int
entry_one(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    (void)key;
    (void)klen;
    struct walk *w = arg;
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    char type[8];
    if (wire_decode_one(val, vlen, &r, &m) == 0 &&
        wire_obj_get_text(m, "type", type, sizeof type) == 0 && strcmp(type, "audit") == 0)
        check_entry(w, val, vlen, m);
    wire_reader_destroy(&r);
    return 0;
}

int
audit_verify(store_txn_t *t, uint32_t node, const roster_t *roster, audit_problem_fn fn, void *arg,
             struct audit_summary *sum)
{
    memset(sum, 0, sizeof *sum);
    struct walk w = {t, node, roster, fn, arg, sum, 0, {0}};
    uint8_t prefix[4];
    store_be32(prefix, node);
    int rc = store_each_prefix(t, STORE_EVENTS, prefix, 4, true, entry_one, &w);
    uint64_t n = 0;
    uint32_t owner = 0;
    uint8_t hash[SIGN_HASH_BYTES];
    if (rc == 0)
        rc = head_get(t, &owner, &n, hash);
    if (rc == 0 && owner == node) {
        char text[64];
        snprintf(text, sizeof text, "%llu, the log ends at %llu", (unsigned long long)n,
                 (unsigned long long)w.n);
        if (rc == 0 && n != w.n)
            problem(&w, n, "the node's last entry is ", text, ": entries removed");
        else if (rc == 0 && n && memcmp(hash, w.hash, SIGN_HASH_BYTES) != 0)
            problem(&w, n, "the last entry is not the one the node wrote: changed", "", "");
    }
    return rc;
}
