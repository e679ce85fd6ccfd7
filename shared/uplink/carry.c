/* carry: wrapping and opening carried batches. */
#include "carry.h"

#include "batch.h"
#include "err.h"
#include "node.h"

#include <stdio.h>
#include <string.h>

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
    batch_rollup_payload(c->payload, c->payload_len, &kept);
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
