/* kept: the index of the records that are not business events.
 *
 * A store's `events` table holds business events (most of it: spec §3) and everything else a node
 * writes or carries: alerts, the office's actions, counter sheets, key notes. The `kept` table
 * (node + record seq -> "") lists the second kind, the records a rollup keeps (batch.h), so a
 * reader that wants only those (the board behind `query alerts` and the monthly report) walks a
 * few thousand keys instead of every event. Every writer of `events` notes what it writes here in
 * the same transaction. A store from before the index has it built once, at the daemon's start
 * (kept_build); until then kept_ready says no and readers walk `events` as before.
 *
 * The same two calls keep a tally of every node's records held, business or not (meta
 * "records/NNNNNN"), so `query nodes` and the screen read a count per node instead of walking
 * every key of `events`. A write transaction keeps the tally in memory and writes it at commit
 * (store.h), so counting costs no B-tree operation per record. A store from before the tally has
 * it built by kept_build too; until then kept_tallied says no.
 */
#ifndef JIANCHA_KEPT_H
#define JIANCHA_KEPT_H

#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Notes the record just stored at KEY (node + seq, 12 bytes), a key that was not held: the index
 * keeps it if it is not a business event, the tally counts it. */
int kept_note(store_txn_t *t, const uint8_t key[12], const void *record, size_t len)
    __attribute__((warn_unused_result));

/* Forgets the record at KEY, just deleted from the events table: the index drops it (no error if
 * it was not noted, a business event), the tally counts it out. */
int kept_forget(store_txn_t *t, const uint8_t key[12]) __attribute__((warn_unused_result));

/* Builds the index of a store written before it (a walk of every record, once; logged), or does
 * nothing when it is built. Run by the daemons at start, before they take anything. */
int kept_build(store_t *s) __attribute__((warn_unused_result));

/* Whether this store's index is complete (false for a store from before, not yet built). */
bool kept_ready(store_txn_t *t);
/* Whether the tally of records per node is complete. */
bool kept_tallied(store_txn_t *t);

/* Calls fn with each node's count of records held, in node order (nodes with none are left out).
 * Only complete when kept_tallied. */
typedef void (*kept_tally_fn)(void *arg, uint32_t node, uint64_t records);
int kept_each_tally(store_txn_t *t, kept_tally_fn fn, void *arg)
    __attribute__((warn_unused_result));

/* Calls fn for each noted record in key order (node, then seq) with the record's bytes; stops at
 * fn's first non-zero return and passes it back. A noted record no longer held is skipped. */
typedef int (*kept_fn)(void *arg, const uint8_t *record, size_t len);
int kept_each(store_txn_t *t, kept_fn fn, void *arg) __attribute__((warn_unused_result));

#endif
