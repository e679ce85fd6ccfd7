/* schema: what every tier checks of each record of a batch before it stores or acknowledges it
 * (docs/protocol.md, "What a parent checks of each record").
 *
 * A record is one msgpack map with `type`, `id` (1 to 64 bytes of text), `at` (Unix ms, 2000 to
 * 2099) and `node`, the node whose log holds it. Business events and supervision actions must
 * pass the intake's own validation in their canonical form (event_check_canonical); a node's own
 * records their layout:
 *   alert           `alert`: an alert (alert_decode) of that same node
 *   counters        a day sheet of that node (counter_record_check)
 *   bundle.applied  `kind` a bundle kind, `version` an unsigned integer
 *   audit           `n`, `seq` unsigned; `prev` 32 bytes; `operator`, `role`, `action`,
 *                   `record`, `outcome`, `request` text; `sig` bytes
 *   batch           a child's batch carried up: `origin` a node code, `header`, `key`, `sig` and
 *                   `payload` bytes (ingest verifies the carried batch itself, and checks its
 *                   records by this same schema under the origin)
 * Anything else is refused: a tier stores nothing it cannot read back.
 */
#ifndef JIANCHA_SCHEMA_H
#define JIANCHA_SCHEMA_H

#include "wire.h"

#include <stddef.h>
#include <stdint.h>

#define SCHEMA_FIELD_MAX 64
#define SCHEMA_REASON_MAX 192

/* 0, or ERR_INVALID with the failing field ("" for the record as a whole) and the reason. */
int schema_check(const void *record, size_t len, uint32_t node, char field[SCHEMA_FIELD_MAX],
                 char reason[SCHEMA_REASON_MAX]) __attribute__((warn_unused_result));
/* The same for a record its caller has decoded already (one decode per record on a hot path). */
int schema_check_map(const wire_obj_t *record, uint32_t node, char field[SCHEMA_FIELD_MAX],
                     char reason[SCHEMA_REASON_MAX]) __attribute__((warn_unused_result));

#endif
