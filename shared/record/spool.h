/* spool: the durable outbox of a sending node, over the store.
 *
 * Records (events, later alerts) are appended to the `events` table with the node's record
 * sequence. spool_seal() cuts the unsealed tail into batches of at most max_records: it writes
 * each batch header (with its payload hash and the hash of the batch before it) to `outbox`, so a
 * batch's bounds and chain never change once sealed, whatever restarts follow. spool_load()
 * rebuilds a sealed batch's payload from the events (checking it against the sealed hash, so a
 * damaged record is never forwarded). spool_prune() drops headers the parent acknowledged.
 *
 * All state lives in the store's meta table (keys "next_seq", "sealed_seq", "batch_seq",
 * "batch_hash", "acked_batch"); every call takes the caller's transaction, so the collector can
 * seal in the same commit that stored the events.
 */
#ifndef JIANCHA_SPOOL_H
#define JIANCHA_SPOOL_H

#include "sign.h"
#include "store.h"
#include "wire.h"

#include <stdbool.h>
#include <stdint.h>

struct spool_state {
    uint64_t next_seq;    /* next record sequence to assign (from 1) */
    uint64_t sealed_seq;  /* last record sequence inside a sealed batch */
    uint64_t batch_seq;   /* last sealed batch */
    uint64_t acked_batch; /* last batch the parent acknowledged */
    uint8_t batch_hash[SIGN_HASH_BYTES];
    bool top;             /* the node has no parent (the province): its log stays here */
    bool restored;        /* an operator restored the store from a backup (jiancha restore): its
                             parent may hold batches it lost, to be taken back (spool_adopt) */
};

int spool_state_get(store_txn_t *t, struct spool_state *st) __attribute__((warn_unused_result));

/* Records whether the node runs with a parent (meta "top"), for status: a province seals its own
 * records (alerts, audit) into batches that no one acknowledges, and that is no backlog. */
int spool_set_top(store_t *s, bool top) __attribute__((warn_unused_result));

/* The sequence the next spool_append() in this transaction takes. */
int spool_next_seq(store_txn_t *t, uint64_t *seq) __attribute__((warn_unused_result));

/* Appends one record for `node` with the next sequence; *seq receives it. ERR_RESTORING while
 * the store is marked restored (nothing is appended or sealed until its history is back). */
int spool_append(store_txn_t *t, uint32_t node, const void *record, size_t len, uint64_t *seq)
    __attribute__((warn_unused_result));

/* Seals full batches of max_records from the unsealed tail, and the partial rest too when `all`.
 * *sealed receives the number of batches sealed. */
int spool_seal(store_txn_t *t, uint32_t node, uint32_t max_records, bool all, int64_t now_ms,
               uint64_t *sealed) __attribute__((warn_unused_result));

/* Seals everything pending for `node` (full batches and the partial rest) in its own write
 * transaction: what a node's flush timer does. */
int spool_seal_pending(store_t *s, uint32_t node, uint32_t max_records, int64_t now_ms,
                       uint64_t *sealed) __attribute__((warn_unused_result));

/* Copies a sealed batch's header and rebuilds its payload. ERR_NOT_FOUND if the batch was pruned
 * or never sealed; ERR_CORRUPT if the stored records no longer match the sealed hash. */
int spool_load(store_txn_t *t, uint32_t node, uint64_t batch_seq, struct wire_buf *header,
               struct wire_buf *payload) __attribute__((warn_unused_result));

/* Records that the parent holds every batch up to `acked` and drops their headers. With a
 * carrier node (an aggregator's own), the `batch` records inside those batches are dropped too:
 * they are copies of child batches held under their origins, kept only until the parent has
 * them. 0 keeps every record (a collector's rules work on them). */
int spool_prune(store_txn_t *t, uint64_t acked, uint32_t carrier)
    __attribute__((warn_unused_result));

/* Marks the store as restored from a backup (jiancha restore), or no longer so once its link
 * took back what its parent held. */
int spool_set_restored(store_txn_t *t, bool restored) __attribute__((warn_unused_result));

/* A node restored from a backup takes back one of its own batches from its parent (proto.h
 * FETCH): the batch must follow the last one sealed here (its sequence, previous hash and first
 * record); the records this node still holds must be the very ones at those sequences; the others
 * are stored, and for each `each(arg, t, seq, record, len)` applies what the node derives from it
 * (ids, alerts, the desk). The batch then counts as sealed and acknowledged. The caller checked
 * the signature. ERR_CONFLICT when a held record differs or the batch does not follow (another
 * history: a clone); ERR_DECODE for a header or payload that does not check. */
typedef int (*spool_adopt_fn)(void *arg, store_txn_t *t, uint64_t seq, const void *record,
                              size_t len);
int spool_adopt(store_txn_t *t, uint32_t node, const void *header, size_t header_len,
                const void *payload, size_t payload_len, spool_adopt_fn each, void *arg)
    __attribute__((warn_unused_result));

/* Sets a batch aside for an operator with the parent's reason. */
int spool_park(store_txn_t *t, uint32_t node, uint64_t batch_seq, const char *reason)
    __attribute__((warn_unused_result));

#endif
