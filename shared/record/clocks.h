/* clocks: when each subject must be looked at again without a new record, kept in a table of the
 * store (the rules pass uses `clocks`, the supervision desk `desk`).
 *
 * A subject is an opaque byte string (the callers use kind + key + NUL). Each has at most one
 * due instant, kept under two keys: 's' + subject -> due (u64 BE), to find and replace it, and
 * 't' + due (u64 BE) + subject -> "", to walk subjects in due order.
 */
#ifndef JIANCHA_CLOCKS_H
#define JIANCHA_CLOCKS_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

#define CLOCKS_SUBJECT_MAX 160

/* Files the subject's next due instant, replacing any earlier one; INT64_MAX removes it. */
int clocks_set(store_txn_t *t, enum store_table tb, const void *subject, size_t len, int64_t due)
    __attribute__((warn_unused_result));

/* Calls fn for each subject due at or before now, in due order (fn must not set clocks of the
 * same table while walking). */
typedef int (*clocks_fn)(void *arg, const uint8_t *subject, size_t len);
int clocks_each_due(store_txn_t *t, enum store_table tb, int64_t now, clocks_fn fn, void *arg)
    __attribute__((warn_unused_result));

/* The earliest due instant in the table, or INT64_MAX. */
int clocks_first(store_txn_t *t, enum store_table tb, int64_t *due)
    __attribute__((warn_unused_result));

#endif
