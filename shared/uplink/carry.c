/* carry: wrapping and opening carried batches. */
#include "carry.h"

#include "batch.h"
#include "err.h"
#include "event.h"
#include "node.h"

#include <stdio.h>
#include <string.h>

/* Every record of a payload but the business events, in a payload of their own. */
static void
rollup_payload(const void *payload, size_t len, struct wire_buf *out)
{
    wire_reader_t *r = wire_reader_new(payload, len);
    uint64_t seq;
    unsigned kind;
    const void *rec;
    size_t rlen;
    while (batch_payload_next(r, &seq, &kind, &rec, &rlen) == 0) {
        wire_reader_t *rr = NULL;
        const wire_obj_t *o;
        const char *type;
        size_t tl;
        bool business = wire_decode_one(rec, rlen, &rr, &o) == 0 &&
                        wire_obj_get_bytes(o, "type", WIRE_STR, &type, &tl) == 0 &&
                        event_is_business(type, tl);
        wire_reader_destroy(&rr);
        if (!business)
            batch_payload_add(out, seq, kind, rec, rlen);
    }
    wire_reader_destroy(&r);
}

void
carry_wrap(const struct carry *c, uint32_t carrier, uint64_t seq, bool rollup,
           struct wire_buf *out)
{
    char id[32], origin[7], self[7];
    node_format(c->origin, origin);
    node_format(carrier, self);
    snprintf(id, sizeof id, "%s/%llu", origin, (unsigned long long)seq);
    wire_put_map(out, rollup ? 10 : 9);
    wire_put_cstr(out, "type");
    wire_put_cstr(out, "batch");
    wire_put_cstr(out, "id");
    wire_put_cstr(out, id);
    wire_put_cstr(out, "at");
    wire_put_int(out, c->accepted_ms);
    wire_put_cstr(out, "node");
    wire_put_cstr(out, self);
    wire_put_cstr(out, "origin");
    wire_put_cstr(out, origin);
    wire_put_cstr(out, "header");
    wire_put_bin(out, c->header, c->header_len);
    wire_put_cstr(out, "key");
    wire_put_bin(out, c->key_id, c->key_id_len);
    wire_put_cstr(out, "sig");
    wire_put_bin(out, c->sig, c->sig_len);
    wire_put_cstr(out, "payload");
    if (!rollup) {
        wire_put_bin(out, c->payload, c->payload_len);
        return;
    }
    /* the child's signed header with the records a rollup needs: everything but business events */
    struct wire_buf kept;
    wire_buf_init(&kept);
    rollup_payload(c->payload, c->payload_len, &kept);
    wire_put_bin(out, kept.data, kept.len);
    wire_buf_fini(&kept);
    wire_put_cstr(out, "filtered");
    wire_put_bool(out, true);
}

int
carry_open(const wire_obj_t *m, int64_t fallback_ms, struct carry *out)
{
    memset(out, 0, sizeof *out);
    const char *origin;
    size_t ol;
    if (wire_obj_get_bytes(m, "origin", WIRE_STR, &origin, &ol) != 0 ||
        node_valid(origin, ol) != 0 ||
        wire_obj_get_bytes(m, "header", WIRE_BIN, (const char **)&out->header,
                           &out->header_len) ||
        wire_obj_get_bytes(m, "key", WIRE_BIN, (const char **)&out->key_id, &out->key_id_len) ||
        wire_obj_get_bytes(m, "sig", WIRE_BIN, (const char **)&out->sig, &out->sig_len) ||
        wire_obj_get_bytes(m, "payload", WIRE_BIN, (const char **)&out->payload,
                           &out->payload_len))
        return ERR_DECODE;
    char code[7];
    memcpy(code, origin, 6);
    code[6] = '\0';
    out->origin = node_number(code);
    if (wire_obj_get_int(m, "at", &out->accepted_ms) != 0)
        out->accepted_ms = fallback_ms;
    const wire_obj_t *filtered = wire_obj_get(m, "filtered");
    out->filtered = filtered && wire_obj_type(filtered) == WIRE_BOOL && wire_obj_bool(filtered);
    return 0;
}
