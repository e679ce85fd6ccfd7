/* counter: the performance counters of spec §6, per node, day, dept and category.
 *
 * A collector counts its own records into one sheet per local day: cases accepted that day,
 * cases concluded that day and those concluded without a standing limit.case red, yellow and red
 * alerts raised that day (their current state; cleared ones do not count), the answers due among
 * them (answered, or past their first answer deadline) and those given in time (feedback.h),
 * ratings and good ratings (>= 4) given that day, complaints opened that day. Rows are per dept
 * and category (the case's item in the catalogue).
 *
 * Each day's sheet is kept as a running sum. Every counted record and alert is filed under its
 * day with the part it adds to that day's sheet. The rules pass and the desk note what changed
 * (counter_index_record, counter_note_alert, in their transactions): a new record, an alert's
 * change, and the decisions and ratings of a case whose acceptance or limit.case finding
 * arrived late. counter_refresh() counts each noted item again, takes its old part out of the sum and
 * puts the new one in, so its cost follows what changed, never the size of the day. It appends
 * each changed sheet as a `counters` record to the spool, so it travels up signed like any
 * record. A sheet's `version` is the record's own sequence at its origin: every tier keeps, per
 * node and day, only the sheet with the highest version (counter_apply), so a re-sent sheet is a
 * no-op and a correction replaces the old sheet instead of adding to it. Scores at every tier are
 * summed from these sheets (counter_sum) and computed with one formula (score.h), so the province
 * gives a county the score the county gives itself.
 */
#ifndef JIANCHA_COUNTER_H
#define JIANCHA_COUNTER_H

#include "alert.h"
#include "calendar.h"
#include "catalog.h"
#include "score.h"
#include "store.h"
#include "wire.h"

#include <stdbool.h>
#include <stdint.h>

/* Notes a newly stored record of `node` (seq, decoded) if it counts: case.accept, case.decision,
 * rating, complaint.open. Other records are ignored. */
int counter_index_record(store_txn_t *t, uint32_t node, uint64_t seq, const wire_obj_t *record)
    __attribute__((warn_unused_result));

/* Notes an alert change: its raising day must be counted again (and, for limit.case, the day the
 * case was concluded, whose on-time count depends on it). prev_raised_ms: the raise time the
 * alert had before the change (a late event moved it), whose day is counted again too; 0 if
 * none. */
int counter_note_alert(store_txn_t *t, uint32_t node, const struct alert *a, int64_t prev_raised_ms)
    __attribute__((warn_unused_result));

struct counter_refresh_result {
    uint64_t items;      /* records and alerts counted again */
    uint64_t whole_days; /* days counted whole: a store from before the running sums, once a day */
    uint64_t sheets;     /* sheets appended */
    uint64_t sealed;     /* batches sealed */
    bool more;           /* items were left for the next call */
};

/* Counts the noted items, a bounded share per call (res->more: call again soon), in transactions
 * of their own, then appends the sheet of each day whose sum changed and differs from the sheet
 * held, and seals them. The desk notes an alert when it is answered and when its first answer
 * deadline passes. The catalogue and calendar are borrowed. */
int counter_refresh(store_t *s, uint32_t node, const catalog_t *catalog, calendar_t *calendar,
                    int64_t now_ms, uint32_t seal_at, struct counter_refresh_result *res)
    __attribute__((warn_unused_result));

/* Is this decoded record a `counters` sheet? */
bool counter_is_record(const wire_obj_t *record);
/* A counter sheet record of node `origin`, well formed (day, version, rows of counts): 0 or
 * ERR_DECODE. */
int counter_record_check(const wire_obj_t *record, uint32_t origin)
    __attribute__((warn_unused_result));

/* Keeps a received sheet (record bytes and their decoded map) if its version is newer than the
 * one held for its node and day. *taken says whether it replaced anything; ERR_DECODE names a
 * malformed sheet. The sheet must be for `origin`. */
int counter_apply(store_txn_t *t, uint32_t origin, const void *record, size_t len,
                  const wire_obj_t *map, bool *taken) __attribute__((warn_unused_result));

/* Sums the sheets of days [from_day, to_day) (of node_filter only, if given; by region, of the
 * region with that code) into groups, handed out in key order: "510104", "510104/SCJGJ",
 * "510104/licensing" or a region's code. */
int counter_sum(store_t *s, int64_t from_day, int64_t to_day, enum score_by by,
                const char *node_filter, score_group_fn fn, void *arg)
    __attribute__((warn_unused_result));

/* The version of the sheet held for a node and day: 0 if none. */
int counter_version(store_txn_t *t, uint32_t node, int64_t day, uint64_t *version)
    __attribute__((warn_unused_result));

#endif
