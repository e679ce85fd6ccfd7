/* arrival: what a tier does with a record from below besides storing it, by the record's type.
 *
 * One table (arrival.c) names every kind that has an effect: an `alert` enters the desk's list of
 * the alerts known here and goes up at once; a `record.*` change is noted by the desk; a
 * `counters` sheet replaces the older sheet of its node and day; a `bundle.applied` is noted
 * against the bundle. Every other kind is only stored. The transport (ingest.h) calls this for
 * each record it stores and knows none of the kinds.
 */
#ifndef JIANCHA_ARRIVAL_H
#define JIANCHA_ARRIVAL_H

#include "store.h"
#include "wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Applies the effects of one record of `origin` (its sequence, bytes and decoded map), in the
 * transaction that stores it. *urgent is set when the record must go up at once (an alert).
 * A malformed counter sheet or bundle note is kept as a record and counts nowhere: 0. */
int arrival_take(store_txn_t *t, uint32_t origin, uint64_t seq, const void *rec, size_t len,
                 const wire_obj_t *m, bool *urgent) __attribute__((warn_unused_result));

#endif
