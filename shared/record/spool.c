/* spool: sealing, loading and pruning batches. Stateless in memory: everything is read from and
 * written to the caller's transaction, which keeps store_write's retry-after-growth safe. */
#include "spool.h"

#include "batch.h"
#include "event.h"
#include "err.h"
#include "kept.h"
#include "log.h"

#include <string.h>

static void
event_key(uint8_t key[12], uint32_t node, uint64_t seq)
{
    store_be32(key, node);
    store_be64(key + 4, seq);
}

int
spool_state_get(store_txn_t *t, struct spool_state *st)
{
    memset(st, 0, sizeof *st);
    int rc = store_meta_get_u64(t, "next_seq", &st->next_seq);
    if (rc == 0)
        rc = store_meta_get_u64(t, "sealed_seq", &st->sealed_seq);
    if (rc == 0)
        rc = store_meta_get_u64(t, "batch_seq", &st->batch_seq);
    if (rc == 0)
        rc = store_meta_get_u64(t, "acked_batch", &st->acked_batch);
    if (rc != 0)
        return rc;
    if (st->next_seq == 0)
        st->next_seq = 1;
    uint64_t top;
    rc = store_meta_get_u64(t, "top", &top);
    if (rc != 0)
        return rc;
    st->top = top != 0;
    uint64_t restored;
    rc = store_meta_get_u64(t, "restored", &restored);
    if (rc != 0)
        return rc;
    st->restored = restored != 0;
    struct wire_buf b;
    wire_buf_init(&b);
    rc = store_get(t, STORE_META, "batch_hash", 10, &b);
    if (rc == 0 && b.len == SIGN_HASH_BYTES)
        memcpy(st->batch_hash, b.data, SIGN_HASH_BYTES);
    else if (rc == 0)
        rc = ERR_CORRUPT;
    else if (rc == ERR_NOT_FOUND)
        rc = 0;
    wire_buf_fini(&b);
    return rc;
}

static int
top_fn(store_txn_t *t, void *arg)
{
    return store_meta_put_u64(t, "top", *(bool *)arg ? 1 : 0);
}

int
spool_set_top(store_t *s, bool top)
{
    return store_write(s, top_fn, &top);
}

int
spool_next_seq(store_txn_t *t, uint64_t *seq)
{
    int rc = store_meta_get_u64(t, "next_seq", seq);
    if (rc == 0 && *seq == 0)
        *seq = 1;
    return rc;
}

int
spool_append(store_txn_t *t, uint32_t node, const void *record, size_t len, uint64_t *seq)
{
    /* a restored store appends nothing until its history is back: its parent may hold other
     * records at the sequences that come next (spool_adopt) */
    uint64_t restored, next;
    int rc = store_meta_get_u64(t, "restored", &restored);
    if (rc == 0 && restored)
        return ERR_RESTORING;
    if (rc == 0)
        rc = spool_next_seq(t, &next);
    if (rc != 0)
        return rc;
    uint8_t key[12];
    event_key(key, node, next);
    /* At a collector this node's records are the table's last keys: appended, with no search
     * and full pages. At an aggregator its children's records sort after its own, so the append
     * is refused and the record put in its place. An existing key would be a bug, reported
     * rather than overwritten. */
    rc = store_put(t, STORE_EVENTS, key, sizeof key, record, len,
                   STORE_APPEND | STORE_NOOVERWRITE);
    if (rc == ERR_EXISTS)
        rc = store_put(t, STORE_EVENTS, key, sizeof key, record, len, STORE_NOOVERWRITE);
    if (rc == 0)
        rc = kept_note(t, key, record, len);
    if (rc == 0)
        rc = store_meta_put_u64(t, "next_seq", next + 1);
    if (rc == 0)
        *seq = next;
    return rc;
}

/* Encodes records [first, last] of `node` as a payload. */
static int
build_payload(store_txn_t *t, uint32_t node, uint64_t first, uint64_t last, struct wire_buf *out)
{
    store_cursor_t *c = NULL;
    int rc = store_cursor_open(t, STORE_EVENTS, &c);
    if (rc != 0)
        return rc;
    struct wire_buf k, v;
    wire_buf_init(&k);
    wire_buf_init(&v);
    uint8_t key[12];
    event_key(key, node, first);
    uint64_t expect = first;
    rc = store_cursor_seek(c, key, sizeof key, &k, &v);
    while (rc == 0 && expect <= last) {
        if (k.len != 12 || store_from_be32(k.data) != node ||
            store_from_be64(k.data + 4) != expect) {
            rc = ERR_CORRUPT;
            break;
        }
        batch_payload_add(out, expect, BATCH_KIND_EVENT, v.data, v.len);
        expect++;
        if (expect > last)
            break;
        wire_buf_reset(&k);
        wire_buf_reset(&v);
        rc = store_cursor_next(c, &k, &v);
    }
    if (rc == ERR_NOT_FOUND)
        rc = ERR_CORRUPT; /* a sealed or counted record is missing */
    wire_buf_fini(&k);
    wire_buf_fini(&v);
    store_cursor_close(&c);
    return rc;
}

int
spool_seal(store_txn_t *t, uint32_t node, uint32_t max_records, bool all, int64_t now_ms,
           uint64_t *sealed)
{
    struct spool_state st;
    int rc = spool_state_get(t, &st);
    *sealed = 0;
    if (rc != 0 || st.restored)
        return rc; /* restored: its next batches are the parent's to give back (spool_adopt) */
    struct wire_buf payload, header;
    wire_buf_init(&payload);
    wire_buf_init(&header);
    while (rc == 0) {
        uint64_t pending = st.next_seq - 1 - st.sealed_seq;
        if (pending == 0 || (!all && pending < max_records))
            break;
        struct batch_header h = {.version = BATCH_VERSION};
        node_format(node, h.node);
        h.seq = st.batch_seq + 1;
        memcpy(h.prev, st.batch_hash, SIGN_HASH_BYTES);
        h.first = st.sealed_seq + 1;
        h.last = st.sealed_seq + (pending < max_records ? pending : max_records);
        h.count = (uint32_t)(h.last - h.first + 1);
        h.created_ms = now_ms;
        wire_buf_reset(&payload);
        rc = build_payload(t, node, h.first, h.last, &payload);
        if (rc != 0)
            break;
        sign_hash(payload.data, payload.len, h.payload_hash);
        h.payload_bytes = payload.len;
        /* what a rollup-only link keeps, committed to under this node's own signature */
        batch_rollup_hash(payload.data, payload.len, h.rollup_hash);
        h.has_rollup = true;
        wire_buf_reset(&header);
        batch_header_encode(&h, &header);
        uint8_t key[8];
        store_be64(key, h.seq);
        rc = store_put(t, STORE_OUTBOX, key, 8, header.data, header.len, STORE_APPEND);
        if (rc != 0)
            break;
        batch_hash(header.data, header.len, st.batch_hash);
        st.batch_seq = h.seq;
        st.sealed_seq = h.last;
        (*sealed)++;
    }
    if (rc == 0 && *sealed) {
        rc = store_meta_put_u64(t, "sealed_seq", st.sealed_seq);
        if (rc == 0)
            rc = store_meta_put_u64(t, "batch_seq", st.batch_seq);
        if (rc == 0)
            rc = store_put(t, STORE_META, "batch_hash", 10, st.batch_hash, SIGN_HASH_BYTES, 0);
    }
    wire_buf_fini(&payload);
    wire_buf_fini(&header);
    return rc;
}

struct seal_args {
    uint32_t node;
    uint32_t max;
    int64_t now;
    uint64_t sealed;
};

static int
seal_fn(store_txn_t *t, void *arg)
{
    struct seal_args *a = arg;
    return spool_seal(t, a->node, a->max, true, a->now, &a->sealed);
}

int
spool_seal_pending(store_t *s, uint32_t node, uint32_t max_records, int64_t now_ms,
                   uint64_t *sealed)
{
    struct seal_args a = {node, max_records, now_ms, 0};
    int rc = store_write(s, seal_fn, &a);
    *sealed = rc == 0 ? a.sealed : 0;
    return rc;
}

int
spool_load(store_txn_t *t, uint32_t node, uint64_t batch_seq, struct wire_buf *header,
           struct wire_buf *payload)
{
    uint8_t key[8];
    store_be64(key, batch_seq);
    wire_buf_reset(header);
    wire_buf_reset(payload);
    int rc = store_get(t, STORE_OUTBOX, key, 8, header);
    if (rc != 0)
        return rc;
    struct batch_header h;
    if (batch_header_decode(header->data, header->len, &h) != 0)
        return ERR_CORRUPT;
    rc = build_payload(t, node, h.first, h.last, payload);
    if (rc != 0)
        return rc;
    uint8_t hash[SIGN_HASH_BYTES];
    sign_hash(payload->data, payload->len, hash);
    if (payload->len != h.payload_bytes || memcmp(hash, h.payload_hash, sizeof hash) != 0) {
        log_error("spool: stored records differ from sealed batch seq=%llu: %s",
                  (unsigned long long)batch_seq, err_str(ERR_CORRUPT));
        return ERR_CORRUPT;
    }
    return 0;
}

/* Deletes the `batch` records of one acknowledged batch of the carrier's. */
static int
drop_carried(store_txn_t *t, uint32_t carrier, const uint8_t batch_key[8])
{
    struct wire_buf h, v;
    wire_buf_init(&h);
    wire_buf_init(&v);
    struct batch_header hd;
    int rc = store_get(t, STORE_OUTBOX, batch_key, 8, &h);
    if (rc == 0 && batch_header_decode(h.data, h.len, &hd) != 0)
        rc = ERR_CORRUPT;
    for (uint64_t seq = hd.first; rc == 0 && seq <= hd.last; seq++) {
        uint8_t key[12];
        event_key(key, carrier, seq);
        wire_buf_reset(&v);
        rc = store_get(t, STORE_EVENTS, key, 12, &v);
        char type[32], id[EVENT_ID_MAX + 1];
        if (rc == 0 && event_record_peek(v.data, v.len, type, id) == 0 &&
            strcmp(type, "batch") == 0) {
            rc = store_del(t, STORE_EVENTS, key, 12);
            if (rc == 0)
                rc = kept_forget(t, key);
        }
        if (rc == ERR_NOT_FOUND)
            rc = 0;
    }
    wire_buf_fini(&h);
    wire_buf_fini(&v);
    return rc;
}

/* A parked batch the parent acknowledged after all (an operator fixed the cause and restarted
 * the node) is parked no more: status must not list it. */
static int
unpark_delivered(store_txn_t *t, uint64_t acked)
{
    if (store_count(t, STORE_PARKED) == 0)
        return 0;
    store_cursor_t *c = NULL;
    int rc = store_cursor_open(t, STORE_PARKED, &c);
    if (rc != 0)
        return rc;
    uint8_t done[16][12];
    size_t n = 0;
    struct wire_buf k;
    wire_buf_init(&k);
    int crc = store_cursor_seek(c, NULL, 0, &k, NULL);
    while (crc == 0 && n < 16) {
        if (k.len == 12 && store_from_be64(k.data + 4) <= acked)
            memcpy(done[n++], k.data, 12);
        wire_buf_reset(&k);
        crc = store_cursor_next(c, &k, NULL);
    }
    wire_buf_fini(&k);
    store_cursor_close(&c);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = store_del(t, STORE_PARKED, done[i], 12);
    return rc;
}

int
spool_prune(store_txn_t *t, uint64_t acked, uint32_t carrier)
{
    uint64_t was;
    int rc = store_meta_get_u64(t, "acked_batch", &was);
    if (rc != 0 || acked <= was)
        return rc;
    store_cursor_t *c = NULL;
    rc = store_cursor_open(t, STORE_OUTBOX, &c);
    if (rc != 0)
        return rc;
    struct wire_buf k;
    wire_buf_init(&k);
    /* Collect first, then delete: deleting under an open cursor would move it. */
    uint64_t from = 0, last = 0;
    if (store_cursor_seek(c, NULL, 0, &k, NULL) == 0 && k.len == 8)
        from = store_from_be64(k.data);
    wire_buf_reset(&k);
    if (store_cursor_last(c, &k, NULL) == 0 && k.len == 8)
        last = store_from_be64(k.data);
    store_cursor_close(&c);
    wire_buf_fini(&k);
    if (last > acked)
        last = acked;
    if (from)
        for (uint64_t to = from; to <= last && rc == 0; to++) {
            uint8_t key[8];
            store_be64(key, to);
            if (carrier)
                rc = drop_carried(t, carrier, key);
            if (rc == 0)
                rc = store_del(t, STORE_OUTBOX, key, 8);
            if (rc == ERR_NOT_FOUND)
                rc = 0;
        }
    if (rc == 0)
        rc = unpark_delivered(t, acked);
    if (rc == 0)
        rc = store_meta_put_u64(t, "acked_batch", acked);
    return rc;
}

int
spool_park(store_txn_t *t, uint32_t node, uint64_t batch_seq, const char *reason)
{
    uint8_t key[12];
    event_key(key, node, batch_seq);
    return store_put(t, STORE_PARKED, key, sizeof key, reason, strlen(reason), 0);
}

int
spool_set_restored(store_txn_t *t, bool restored)
{
    return store_meta_put_u64(t, "restored", restored ? 1 : 0);
}

int
spool_adopt(store_txn_t *t, uint32_t node, const void *header, size_t header_len,
            const void *payload, size_t payload_len, spool_adopt_fn each, void *arg)
{
    struct spool_state st;
    int rc = spool_state_get(t, &st);
    if (rc != 0)
        return rc;
    struct batch_header h;
    char own[7];
    node_format(node, own);
    if (batch_header_decode(header, header_len, &h) != 0 || strcmp(h.node, own) != 0 ||
        batch_payload_check(&h, payload, payload_len) != 0)
        return ERR_DECODE;
    if (h.seq != st.batch_seq + 1 || memcmp(h.prev, st.batch_hash, SIGN_HASH_BYTES) != 0 ||
        h.first != st.sealed_seq + 1 || h.first > st.next_seq)
        return ERR_CONFLICT;
    wire_reader_t *r = wire_reader_new(payload, payload_len);
    struct wire_buf held;
    wire_buf_init(&held);
    uint64_t seq;
    unsigned kind;
    const void *rec;
    size_t len;
    while ((rc = batch_payload_next(r, &seq, &kind, &rec, &len)) == 0) {
        uint8_t key[12];
        event_key(key, node, seq);
        if (seq < st.next_seq) { /* held since the backup: it must be this very record */
            wire_buf_reset(&held);
            rc = store_get(t, STORE_EVENTS, key, 12, &held);
            if (rc == 0 && (held.len != len || memcmp(held.data, rec, len) != 0))
                rc = ERR_CONFLICT;
            if (rc == ERR_NOT_FOUND)
                rc = ERR_CORRUPT;
        } else {
            rc = store_put(t, STORE_EVENTS, key, 12, rec, len, 0);
            if (rc == 0)
                rc = kept_note(t, key, rec, len);
            if (rc == 0 && each)
                rc = each(arg, t, seq, rec, len);
            st.next_seq = seq + 1;
        }
        if (rc != 0)
            break;
    }
    wire_reader_destroy(&r);
    wire_buf_fini(&held);
    if (rc != ERR_NOT_FOUND)
        return rc;
    batch_hash(header, header_len, st.batch_hash);
    rc = store_meta_put_u64(t, "next_seq", st.next_seq);
    if (rc == 0)
        rc = store_meta_put_u64(t, "sealed_seq", h.last);
    if (rc == 0)
        rc = store_meta_put_u64(t, "batch_seq", h.seq);
    if (rc == 0)
        rc = store_put(t, STORE_META, "batch_hash", 10, st.batch_hash, SIGN_HASH_BYTES, 0);
    if (rc == 0)
        rc = spool_prune(t, h.seq, 0);
    return rc;
}
