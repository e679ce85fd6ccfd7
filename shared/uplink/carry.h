/* carry: a child's batch wrapped as a `batch` record of its parent's spool, to travel up one more
 * tier unchanged (docs/protocol.md, carried batches).
 *
 * The record holds the child's header, key id, signature and payload as received, its origin,
 * the time the carrying tier accepted it (`at`: what the origin's key is judged as of), and, on
 * a rollup-only link, only the records a rollup carries (`filtered`: every kind but business
 * events, checked against the signed header as a subset).
 */
#ifndef JIANCHA_CARRY_H
#define JIANCHA_CARRY_H

#include "wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct carry {
    uint32_t origin;
    const void *header, *key_id, *sig, *payload; /* borrowed */
    size_t header_len, key_id_len, sig_len, payload_len;
    int64_t accepted_ms; /* when the carrier accepted it */
    bool filtered;       /* the payload holds a subset of the header's records */
};

/* The `batch` record carrying batch `seq` of c->origin, written by node `carrier` (c->filtered
 * is ignored: rollup says whether to keep only what a rollup carries). */
void carry_wrap(const struct carry *c, uint32_t carrier, uint64_t seq, bool rollup,
                struct wire_buf *out);

/* The carried batch of a decoded `batch` record (fields borrowed from m). ERR_DECODE when a field
 * is missing or of the wrong type; without `at`, accepted_ms is `fallback_ms`. */
int carry_open(const wire_obj_t *m, int64_t fallback_ms, struct carry *out)
    __attribute__((warn_unused_result));

#endif
