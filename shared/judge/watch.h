/* watch: the collector's rules pass. It judges the node's own records as they are stored and
 * keeps the resulting alerts, with their ledgers, in the store.
 *
 * watch_run() does, in ONE write transaction: index every record stored since the last pass by
 * its subject (case, complaint, credential holder, item); add the subjects whose clocks are due;
 * replay each affected subject through the rules engine as of now; store new, escalated and
 * cleared alerts and append each change as an `alert` record to the spool (so it travels up in
 * the next signed batch, sealed at once); and file the subject's next clock. A crash before the
 * commit simply redoes the pass, so every alert change is recorded and sent exactly once. Cost is
 * proportional to the subjects touched or due, not to all open cases.
 */
#ifndef JIANCHA_WATCH_H
#define JIANCHA_WATCH_H

#include "calendar.h"
#include "catalog.h"
#include "store.h"

#include <stdint.h>

typedef struct watch watch_t;

/* The catalogue and calendar are borrowed and must outlive the watch. */
watch_t *watch_new(store_t *store, uint32_t node, const catalog_t *catalog, calendar_t *calendar);
void watch_destroy(watch_t **p);

struct watch_result {
    uint64_t records;  /* records indexed */
    uint64_t subjects; /* subjects evaluated */
    uint64_t changes;  /* alert changes recorded (and appended to the spool) */
    uint64_t sealed;   /* batches sealed for them */
    bool more;         /* records remain past max_records: run again */
};

/* One pass as of now_ms over at most max_records new records. seal_at: the spool's batch size
 * (alert changes are sealed at once). */
int watch_run(watch_t *w, int64_t now_ms, uint32_t seal_at, uint64_t max_records,
              struct watch_result *res) __attribute__((warn_unused_result));

/* The sequences of the node's own records of case `case_id`, in order, from the index the rules
 * pass keeps (a collector's own records only: nothing at an aggregator). */
typedef int (*watch_seq_fn)(void *arg, uint64_t seq);
int watch_case_records(store_txn_t *t, const char *case_id, watch_seq_fn fn, void *arg)
    __attribute__((warn_unused_result));

/* The earliest clock filed, or INT64_MAX: when the next pass is due without new records. */
int64_t watch_next_due(watch_t *w);

#endif
