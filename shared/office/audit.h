/* audit: the append-only, hash-chained log of every operator request at a node (art. 15, 16).
 *
 * Each request an operator signs and sends to a node (an answer, a closing, a supervision action,
 * a patrol, an export, a deletion …), stored or refused, becomes one `audit` record in the node's
 * own chain, written in the same transaction as what it logs, so it is signed in batches and
 * travels up the tree like any record. An entry holds its number n (1, 2, 3 … per node), the
 * BLAKE2b-256 hash of the previous entry's record (`prev`), the operator, role, action, outcome,
 * the sequence of the record it stored, and the exact request text with the operator's signature.
 * The node keeps the number and hash of its last entry in its meta table.
 *
 * audit_verify() walks a node's entries as a store holds them and reports every break: a number
 * missing or repeated (an entry removed or replayed), a `prev` that is not the hash of the entry
 * before (an entry changed), an operator signature that does not verify against the roster, a
 * stored action record that is missing or another one, and at the node itself a last entry that is
 * not the one its meta names (entries removed from the end).
 */
#ifndef JIANCHA_AUDIT_H
#define JIANCHA_AUDIT_H

#include "roster.h"
#include "sign.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

struct audit_entry {
    int64_t at_ms;
    const char *operator;
    const char *role; /* "" when the operator is not on the roster */
    const char *action;
    const char *record; /* the request's record id */
    uint64_t seq;       /* the record's sequence at this node when stored; 0 when refused */
    const char *outcome; /* "stored", "duplicate", or "refused: FIELD: REASON" */
    const void *request;
    size_t request_len;
    const uint8_t *sig; /* the operator's signature of the request, or NULL */
};

/* Appends the entry to `node`'s log in the caller's write transaction. */
int audit_append(store_txn_t *t, uint32_t node, const struct audit_entry *e)
    __attribute__((warn_unused_result));

/* The number of the last entry this node wrote (0: none). */
int audit_count(store_txn_t *t, uint64_t *n) __attribute__((warn_unused_result));

/* A break found by audit_verify: the entry's number (0 when the break is not one entry's), and
 * why. */
typedef void (*audit_problem_fn)(void *arg, uint32_t node, uint64_t n, const char *why);

struct audit_summary {
    uint64_t entries, refused, problems;
};

/* Verifies `node`'s log held in the store (roster may be NULL: signatures are then not checked).
 * In the node's own store its meta names the last entry, so entries cut from the end show too. */
int audit_verify(store_txn_t *t, uint32_t node, const roster_t *roster, audit_problem_fn fn,
                 void *arg, struct audit_summary *sum) __attribute__((warn_unused_result));

#endif
