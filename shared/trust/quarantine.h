/* quarantine: copies of batches kept apart for audit, and the red alarms that say so.
 *
 * Two things put a batch in quarantine at an aggregator: a child reusing a batch sequence with
 * other content (a restored snapshot, a cloned machine: rule node.clone), and a key revoked as
 * compromised (the batches the first tier accepted from `since` on: rule key.compromised). The
 * records themselves stay where they are; nothing is deleted. Each alarm is raised once per
 * subject in this tier's alerts table and, when the tier forwards, appended to its own log and
 * sealed at once, so it reaches the province like any alert.
 */
#ifndef JIANCHA_QUARANTINE_H
#define JIANCHA_QUARANTINE_H

#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where alarms are raised and sent. */
struct quarantine_tier {
    uint32_t self;          /* this aggregator */
    uint32_t forward_node;  /* this node's own log, when it forwards; 0 at the top */
    uint32_t forward_seal_at;
};

/* Keeps a copy (any bytes: the batch as received) under the node and batch sequence. */
int quarantine_keep(store_txn_t *t, uint32_t node, uint64_t seq, const void *copy, size_t len)
    __attribute__((warn_unused_result));

/* Raises a red alarm of `rule` about child/seq once (an alarm already raised is left as it is);
 * *sealed counts batches sealed to send it up. */
int quarantine_alarm(store_txn_t *t, const struct quarantine_tier *tier, const char *rule,
                     uint32_t child, uint64_t seq, const char *why, int64_t now_ms,
                     uint64_t *sealed) __attribute__((warn_unused_result));

/* Copies every batch of `node` held here that was signed with key_id and accepted from since_ms
 * on (the batches table's entries) into quarantine; *count says how many. */
int quarantine_key_batches(store_txn_t *t, uint32_t node, const char *key_id, int64_t since_ms,
                           uint64_t *count) __attribute__((warn_unused_result));

#endif
