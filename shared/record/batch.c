/* batch: header layout, payload records, and the signature over them. Signature and hash checks
 * come before any payload decoding, so unauthenticated bytes are never parsed beyond the header. */
#include "batch.h"

#include "err.h"
#include "event.h"
#include "node.h"

#include <stdbool.h>
#include <string.h>

void
batch_header_encode(const struct batch_header *h, struct wire_buf *out)
{
    wire_put_map(out, h->has_rollup ? 11 : 10);
    wire_put_cstr(out, "v");
    wire_put_uint(out, h->version);
    wire_put_cstr(out, "node");
    wire_put_cstr(out, h->node);
    wire_put_cstr(out, "seq");
    wire_put_uint(out, h->seq);
    wire_put_cstr(out, "prev");
    wire_put_bin(out, h->prev, sizeof h->prev);
    wire_put_cstr(out, "first");
    wire_put_uint(out, h->first);
    wire_put_cstr(out, "last");
    wire_put_uint(out, h->last);
    wire_put_cstr(out, "count");
    wire_put_uint(out, h->count);
    wire_put_cstr(out, "created");
    wire_put_int(out, h->created_ms);
    wire_put_cstr(out, "payload");
    wire_put_bin(out, h->payload_hash, sizeof h->payload_hash);
    wire_put_cstr(out, "bytes");
    wire_put_uint(out, h->payload_bytes);
    if (h->has_rollup) {
        wire_put_cstr(out, "rollup");
        wire_put_bin(out, h->rollup_hash, sizeof h->rollup_hash);
    }
}

static int
get_fixed_bin(const wire_obj_t *m, const char *key, uint8_t *out, size_t len)
{
    const char *p;
    size_t n;
    if (wire_obj_get_bytes(m, key, WIRE_BIN, &p, &n) != 0 || n != len)
        return ERR_DECODE;
    memcpy(out, p, len);
    return 0;
}

static int
get_str(const wire_obj_t *m, const char *key, char *out, size_t exact_len)
{
    const char *p;
    size_t n;
    if (wire_obj_get_bytes(m, key, WIRE_STR, &p, &n) != 0 || n != exact_len)
        return ERR_DECODE;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

int
batch_header_decode(const void *data, size_t len, struct batch_header *h)
{
    if (len > BATCH_HEADER_MAX)
        return ERR_DECODE;
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    if (wire_decode_one(data, len, &r, &m) != 0)
        return ERR_DECODE;
    uint64_t v = 0, count = 0, created = 0;
    int rc = ERR_DECODE;
    memset(h, 0, sizeof *h);
    const wire_obj_t *c = wire_obj_get(m, "created");
    if (wire_obj_type(m) == WIRE_MAP && wire_obj_get_uint(m, "v", &v) == 0 &&
        get_str(m, "node", h->node, 6) == 0 && node_valid(h->node, 6) == 0 &&
        wire_obj_get_uint(m, "seq", &h->seq) == 0 &&
        get_fixed_bin(m, "prev", h->prev, SIGN_HASH_BYTES) == 0 &&
        wire_obj_get_uint(m, "first", &h->first) == 0 &&
        wire_obj_get_uint(m, "last", &h->last) == 0 &&
        wire_obj_get_uint(m, "count", &count) == 0 && c && wire_obj_type(c) == WIRE_UINT &&
        get_fixed_bin(m, "payload", h->payload_hash, SIGN_HASH_BYTES) == 0 &&
        wire_obj_get_uint(m, "bytes", &h->payload_bytes) == 0) {
        created = wire_obj_uint(c);
        h->has_rollup = wire_obj_get(m, "rollup") != NULL;
        h->version = (uint32_t)v;
        h->count = (uint32_t)count;
        h->created_ms = (int64_t)created;
        if (v == BATCH_VERSION && h->seq >= 1 && h->first >= 1 && h->last >= h->first &&
            count == h->last - h->first + 1 && created <= INT64_MAX &&
            (!h->has_rollup || get_fixed_bin(m, "rollup", h->rollup_hash, SIGN_HASH_BYTES) == 0))
            rc = 0;
    }
    wire_reader_destroy(&r);
    return rc;
}

void
batch_hash(const void *header, size_t len, uint8_t out[SIGN_HASH_BYTES])
{
    sign_hash(header, len, out);
}

void
batch_payload_add(struct wire_buf *payload, uint64_t seq, unsigned kind, const void *record,
                  size_t len)
{
    wire_put_array(payload, 3);
    wire_put_uint(payload, seq);
    wire_put_uint(payload, kind);
    wire_put_bin(payload, record, len);
}

int
batch_payload_next(wire_reader_t *r, uint64_t *seq, unsigned *kind, const void **record,
                   size_t *len)
{
    const wire_obj_t *o;
    int rc = wire_reader_next(r, &o);
    if (rc != 0)
        return rc;
    if (wire_obj_type(o) != WIRE_ARRAY || wire_obj_size(o) != 3 ||
        wire_obj_type(wire_obj_at(o, 0)) != WIRE_UINT ||
        wire_obj_type(wire_obj_at(o, 1)) != WIRE_UINT ||
        wire_obj_type(wire_obj_at(o, 2)) != WIRE_BIN)
        return ERR_DECODE;
    *seq = wire_obj_uint(wire_obj_at(o, 0));
    *kind = (unsigned)wire_obj_uint(wire_obj_at(o, 1));
    *record = wire_obj_bytes(wire_obj_at(o, 2), len);
    return 0;
}

/* Calls fn with the bytes of each element of the payload a rollup keeps (every record but the
 * business events), as they stand in the payload. */
static void
each_kept(const void *payload, size_t len, void (*fn)(void *arg, const void *element, size_t n),
          void *arg)
{
    wire_reader_t *r = wire_reader_new(payload, len);
    uint64_t seq;
    unsigned kind;
    const void *rec;
    size_t rlen, start, elen;
    while (batch_payload_next(r, &seq, &kind, &rec, &rlen) == 0) {
        /* the type alone, read in place: this runs for every record sealed and checked */
        const char *type;
        size_t tl;
        if (wire_map_str(rec, rlen, "type", &type, &tl) == 0 && event_is_business(type, tl))
            continue;
        wire_reader_last_span(r, &start, &elen);
        fn(arg, (const uint8_t *)payload + start, elen);
    }
    wire_reader_destroy(&r);
}

static void
append_element(void *arg, const void *element, size_t n)
{
    wire_buf_append(arg, element, n);
}

static void
hash_element(void *arg, const void *element, size_t n)
{
    sign_hash_update(arg, element, n);
}

void
batch_rollup_payload(const void *payload, size_t len, struct wire_buf *out)
{
    each_kept(payload, len, append_element, out);
}

void
batch_rollup_hash(const void *payload, size_t len, uint8_t out[SIGN_HASH_BYTES])
{
    struct sign_hasher h;
    sign_hash_init(&h);
    each_kept(payload, len, hash_element, &h);
    sign_hash_final(&h, out);
}

/* Does the payload's rollup hash to what the header commits to? */
static bool
rollup_matches(const struct batch_header *h, const void *payload, size_t len, bool whole)
{
    uint8_t hash[SIGN_HASH_BYTES];
    if (whole)
        batch_rollup_hash(payload, len, hash);
    else
        sign_hash(payload, len, hash);
    return memcmp(hash, h->rollup_hash, sizeof hash) == 0;
}

int
batch_payload_check(const struct batch_header *h, const void *payload, size_t len)
{
    if (len != h->payload_bytes)
        return ERR_BAD_HASH;
    uint8_t hash[SIGN_HASH_BYTES];
    sign_hash(payload, len, hash);
    if (memcmp(hash, h->payload_hash, sizeof hash) != 0)
        return ERR_BAD_HASH;
    wire_reader_t *r = wire_reader_new(payload, len);
    uint64_t expect = h->first, seq;
    unsigned kind;
    const void *rec;
    size_t rlen;
    int rc;
    while ((rc = batch_payload_next(r, &seq, &kind, &rec, &rlen)) == 0) {
        if (seq != expect || seq > h->last) {
            rc = ERR_DECODE;
            break;
        }
        expect++;
    }
    wire_reader_destroy(&r);
    if (rc != ERR_NOT_FOUND || expect != h->last + 1)
        return ERR_DECODE;
    /* a header whose rollup hash is not its payload's would be refused at the top: refuse it at
     * the first tier, where the node still holds it */
    return h->has_rollup && !rollup_matches(h, payload, len, true) ? ERR_BAD_HASH : 0;
}

int
batch_payload_check_subset(const struct batch_header *h, const void *payload, size_t len)
{
    wire_reader_t *r = wire_reader_new(payload, len);
    uint64_t after = h->first - 1, seq;
    unsigned kind;
    const void *rec;
    size_t rlen;
    int rc;
    while ((rc = batch_payload_next(r, &seq, &kind, &rec, &rlen)) == 0) {
        if (seq <= after || seq > h->last) {
            rc = ERR_DECODE;
            break;
        }
        after = seq;
    }
    wire_reader_destroy(&r);
    if (rc != ERR_NOT_FOUND)
        return ERR_DECODE;
    return h->has_rollup && !rollup_matches(h, payload, len, false) ? ERR_BAD_HASH : 0;
}

/* The signed message is the header hash followed by the key id. */
static void
signed_digest(const void *header, size_t len, const char *key_id, uint8_t out[SIGN_HASH_BYTES +
                                                                            SIGN_KEY_ID_LEN])
{
    sign_hash(header, len, out);
    memcpy(out + SIGN_HASH_BYTES, key_id, SIGN_KEY_ID_LEN);
}

void
batch_sign(const struct sign_key *key, const void *header, size_t len,
           char key_id[SIGN_KEY_ID_LEN + 1], uint8_t sig[SIGN_SIGNATURE_BYTES])
{
    uint8_t d[SIGN_HASH_BYTES + SIGN_KEY_ID_LEN];
    sign_key_id(sign_key_public(key), key_id);
    signed_digest(header, len, key_id, d);
    sign_detached_digest(key, SIGN_DOMAIN_BATCH, d, sizeof d, sig);
}

int
batch_verify(const uint8_t pk[SIGN_PUBLIC_BYTES], const void *header, size_t len,
             const char *key_id, size_t key_id_len, const uint8_t sig[SIGN_SIGNATURE_BYTES])
{
    char want[SIGN_KEY_ID_LEN + 1];
    sign_key_id(pk, want);
    if (key_id_len != SIGN_KEY_ID_LEN || memcmp(want, key_id, SIGN_KEY_ID_LEN) != 0)
        return ERR_BAD_SIGNATURE;
    uint8_t d[SIGN_HASH_BYTES + SIGN_KEY_ID_LEN];
    signed_digest(header, len, want, d);
    return sign_verify_digest(pk, SIGN_DOMAIN_BATCH, d, sizeof d, sig);
}
