/* proto: message bodies. Decoders are strict about types and lengths and ignore unknown keys, so a
 * newer peer can add fields without breaking an older one. */
#include "proto.h"

#include "err.h"
#include "node.h"

#include <stdio.h>
#include <string.h>

static const char *const names[PROTO_CMDS_] = {
    "HELLO", "WELCOME", "REFUSE", "BATCH", "ACK", "NACK", "PING", "PONG", "BUNDLE", "DECIDE",
    "FETCH", "RETURN",
};

const char *
proto_cmd_name(enum proto_cmd cmd)
{
    return names[cmd];
}

int
proto_cmd_parse(const void *frame, size_t len, enum proto_cmd *cmd)
{
    for (int i = 0; i < PROTO_CMDS_; i++) {
        if (strlen(names[i]) == len && memcmp(names[i], frame, len) == 0) {
            *cmd = (enum proto_cmd)i;
            return 0;
        }
    }
    return ERR_DECODE;
}

/* Copies a string field of at most cap-1 bytes; exact > 0 demands that length. */
static int
get_text(const wire_obj_t *m, const char *key, char *out, size_t cap, size_t exact)
{
    const char *p;
    size_t n;
    if (wire_obj_get_bytes(m, key, WIRE_STR, &p, &n) != 0 || n >= cap || (exact && n != exact))
        return ERR_DECODE;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

/* A free-text field (a reason) kept to cap - 1 bytes, cut at a UTF-8 character boundary: a peer's
 * longer reason is read, not refused. */
static int
get_reason(const wire_obj_t *m, const char *key, char *out, size_t cap)
{
    const char *p;
    size_t n;
    if (wire_obj_get_bytes(m, key, WIRE_STR, &p, &n) != 0)
        return ERR_DECODE;
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
            n--; /* p[n] is the first byte not kept: do not split its character */
    }
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

static int
open_map(const void *data, size_t len, wire_reader_t **r, const wire_obj_t **m)
{
    if (len > 4096 || wire_decode_one(data, len, r, m) != 0)
        return ERR_DECODE;
    if (wire_obj_type(*m) != WIRE_MAP) {
        wire_reader_destroy(r);
        return ERR_DECODE;
    }
    return 0;
}

void
proto_hello_sign(const sign_key_t *key, const struct wire_buf *body,
                 uint8_t sig[SIGN_SIGNATURE_BYTES])
{
    sign_detached(key, SIGN_DOMAIN_HELLO, body->data, body->len, sig);
}

int
proto_hello_verify(const uint8_t pk[SIGN_PUBLIC_BYTES], const void *body, size_t len,
                   const void *sig, size_t sig_len)
{
    if (sig_len != SIGN_SIGNATURE_BYTES)
        return ERR_BAD_SIGNATURE;
    return sign_verify(pk, SIGN_DOMAIN_HELLO, body, len, sig);
}

void
proto_hello_encode(const struct proto_hello *m, struct wire_buf *out)
{
    wire_put_map(out, 4);
    wire_put_cstr(out, "v");
    wire_put_uint(out, m->version);
    wire_put_cstr(out, "node");
    wire_put_cstr(out, m->node);
    wire_put_cstr(out, "key");
    wire_put_cstr(out, m->key_id);
    wire_put_cstr(out, "t");
    wire_put_int(out, m->sent_ms);
}

int
proto_hello_decode(const void *data, size_t len, struct proto_hello *m)
{
    wire_reader_t *r;
    const wire_obj_t *o;
    if (open_map(data, len, &r, &o) != 0)
        return ERR_DECODE;
    uint64_t v = 0;
    int rc = ERR_DECODE;
    const wire_obj_t *t = wire_obj_get(o, "t");
    if (wire_obj_get_uint(o, "v", &v) == 0 && get_text(o, "node", m->node, 7, 6) == 0 &&
        node_valid(m->node, 6) == 0 &&
        get_text(o, "key", m->key_id, sizeof m->key_id, SIGN_KEY_ID_LEN) == 0 && t &&
        wire_obj_type(t) == WIRE_UINT) {
        m->version = (uint32_t)v;
        m->sent_ms = (int64_t)wire_obj_uint(t);
        rc = 0;
    }
    wire_reader_destroy(&r);
    return rc;
}

void
proto_welcome_encode(const struct proto_welcome *m, struct wire_buf *out)
{
    wire_put_map(out, 5);
    wire_put_cstr(out, "v");
    wire_put_uint(out, m->version);
    wire_put_cstr(out, "node");
    wire_put_cstr(out, m->node);
    wire_put_cstr(out, "mode");
    wire_put_cstr(out, m->mode[0] ? m->mode : PROTO_MODE_ALL);
    wire_put_cstr(out, "last");
    wire_put_uint(out, m->last_seq);
    wire_put_cstr(out, "hash");
    wire_put_bin(out, m->last_hash, SIGN_HASH_BYTES);
}

int
proto_welcome_decode(const void *data, size_t len, struct proto_welcome *m)
{
    wire_reader_t *r;
    const wire_obj_t *o;
    if (open_map(data, len, &r, &o) != 0)
        return ERR_DECODE;
    uint64_t v = 0;
    const char *h;
    size_t hl;
    int rc = ERR_DECODE;
    if (wire_obj_get_uint(o, "v", &v) == 0 && get_text(o, "node", m->node, 7, 6) == 0 &&
        node_valid(m->node, 6) == 0 &&
        wire_obj_get_uint(o, "last", &m->last_seq) == 0 &&
        wire_obj_get_bytes(o, "hash", WIRE_BIN, &h, &hl) == 0 && hl == SIGN_HASH_BYTES) {
        memcpy(m->last_hash, h, hl);
        m->version = (uint32_t)v;
        /* an older parent states no mode: it wants everything */
        if (get_text(o, "mode", m->mode, sizeof m->mode, 0) != 0)
            snprintf(m->mode, sizeof m->mode, "%s", PROTO_MODE_ALL);
        rc = 0;
    }
    wire_reader_destroy(&r);
    return rc;
}

void
proto_fetch_encode(const struct proto_fetch *m, struct wire_buf *out)
{
    wire_put_map(out, 2);
    wire_put_cstr(out, "from");
    wire_put_uint(out, m->from);
    wire_put_cstr(out, "to");
    wire_put_uint(out, m->to);
}

int
proto_fetch_decode(const void *data, size_t len, struct proto_fetch *m)
{
    wire_reader_t *r;
    const wire_obj_t *o;
    if (open_map(data, len, &r, &o) != 0)
        return ERR_DECODE;
    int rc = wire_obj_get_uint(o, "from", &m->from) == 0 && wire_obj_get_uint(o, "to", &m->to) == 0 &&
                     m->from >= 1 && m->from <= m->to
                 ? 0
                 : ERR_DECODE;
    wire_reader_destroy(&r);
    return rc;
}

void
proto_ack_encode(const struct proto_ack *m, struct wire_buf *out)
{
    wire_put_map(out, 1);
    wire_put_cstr(out, "seq");
    wire_put_uint(out, m->seq);
}

int
proto_ack_decode(const void *data, size_t len, struct proto_ack *m)
{
    wire_reader_t *r;
    const wire_obj_t *o;
    if (open_map(data, len, &r, &o) != 0)
        return ERR_DECODE;
    int rc = wire_obj_get_uint(o, "seq", &m->seq) == 0 ? 0 : ERR_DECODE;
    wire_reader_destroy(&r);
    return rc;
}

void
proto_nack_encode(const struct proto_nack *m, struct wire_buf *out)
{
    wire_put_map(out, 5);
    wire_put_cstr(out, "seq");
    wire_put_uint(out, m->seq);
    wire_put_cstr(out, "code");
    wire_put_cstr(out, m->code);
    wire_put_cstr(out, "reason");
    wire_put_cstr(out, m->reason);
    wire_put_cstr(out, "permanent");
    wire_put_bool(out, m->permanent);
    wire_put_cstr(out, "expected");
    wire_put_uint(out, m->expected);
}

int
proto_nack_decode(const void *data, size_t len, struct proto_nack *m)
{
    wire_reader_t *r;
    const wire_obj_t *o;
    if (open_map(data, len, &r, &o) != 0)
        return ERR_DECODE;
    const wire_obj_t *p = wire_obj_get(o, "permanent");
    int rc = ERR_DECODE;
    m->expected = 0; /* only a gap names it */
    if (wire_obj_get_uint(o, "seq", &m->seq) == 0 &&
        get_text(o, "code", m->code, sizeof m->code, 0) == 0 &&
        get_reason(o, "reason", m->reason, sizeof m->reason) == 0 && p &&
        wire_obj_type(p) == WIRE_BOOL &&
        (!wire_obj_get(o, "expected") || wire_obj_get_uint(o, "expected", &m->expected) == 0)) {
        m->permanent = wire_obj_bool(p);
        rc = 0;
    }
    wire_reader_destroy(&r);
    return rc;
}

void
proto_refuse_encode(const struct proto_refuse *m, struct wire_buf *out)
{
    wire_put_map(out, 1);
    wire_put_cstr(out, "reason");
    wire_put_cstr(out, m->reason);
}

int
proto_refuse_decode(const void *data, size_t len, struct proto_refuse *m)
{
    wire_reader_t *r;
    const wire_obj_t *o;
    if (open_map(data, len, &r, &o) != 0)
        return ERR_DECODE;
    int rc = get_reason(o, "reason", m->reason, sizeof m->reason);
    wire_reader_destroy(&r);
    return rc;
}

void
proto_ping_encode(const struct proto_ping *m, struct wire_buf *out)
{
    wire_put_map(out, m->stated ? 3 : 1);
    wire_put_cstr(out, "t");
    wire_put_int(out, m->sent_ms);
    if (m->stated) {
        wire_put_cstr(out, "sealed");
        wire_put_uint(out, m->sealed);
        wire_put_cstr(out, "hash");
        wire_put_bin(out, m->sealed_hash, SIGN_HASH_BYTES);
    }
}

int
proto_ping_decode(const void *data, size_t len, struct proto_ping *m)
{
    wire_reader_t *r;
    const wire_obj_t *o;
    if (open_map(data, len, &r, &o) != 0)
        return ERR_DECODE;
    const wire_obj_t *t = wire_obj_get(o, "t");
    int rc = ERR_DECODE;
    if (t && (wire_obj_type(t) == WIRE_UINT || wire_obj_type(t) == WIRE_INT)) {
        m->sent_ms = wire_obj_type(t) == WIRE_UINT ? (int64_t)wire_obj_uint(t) : wire_obj_int(t);
        const char *h;
        size_t hl;
        m->stated = wire_obj_get_uint(o, "sealed", &m->sealed) == 0 &&
                    wire_obj_get_bytes(o, "hash", WIRE_BIN, &h, &hl) == 0 &&
                    hl == SIGN_HASH_BYTES;
        if (m->stated)
            memcpy(m->sealed_hash, h, SIGN_HASH_BYTES);
        else
            m->sealed = 0;
        rc = 0;
    }
    wire_reader_destroy(&r);
    return rc;
}
