/* alertdb: the alerts table of a node's store, and a change sent up.
 *
 * Every module that judges (watch, desk, skew, coverage, silence, quarantine) keeps the current
 * state of its alerts here, keyed by alert id, and appends each change as an `alert` record to a
 * node's spool so it travels up in the next signed batch. Sealing stays with the caller: a pass
 * seals once for all its changes.
 */
#ifndef JIANCHA_ALERTDB_H
#define JIANCHA_ALERTDB_H

#include "alert.h"
#include "store.h"

#include <stdint.h>

/* The stored alert with this id: 0, ERR_NOT_FOUND, ERR_CORRUPT (undecodable) or a store error. */
int alertdb_get(store_txn_t *t, const char *id, struct alert *a)
    __attribute__((warn_unused_result));

/* Stores the alert's state (no record sent). */
int alertdb_put(store_txn_t *t, const struct alert *a) __attribute__((warn_unused_result));

/* Stores the alert and appends its change to `node`'s spool (the node whose log carries it up:
 * this node, or at an aggregator the node it forwards as). */
int alertdb_record(store_txn_t *t, uint32_t node, const struct alert *a)
    __attribute__((warn_unused_result));

#endif
