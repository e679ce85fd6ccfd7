/* coverage: the calendar.coverage alarm (docs/rules.md): does the calendar in force still cover
 * the days this node counts?
 *
 * Working days past the calendar's last year are guessed Monday to Friday (calendar.h), and a
 * deadline that rests on the guess may be wrong by a whole holiday week. A node raises
 * calendar.coverage against itself (subject kind "node", no department, no answer clock):
 *   yellow  from COVERAGE_WARN_DAYS days before the calendar's end: a newer calendar is due;
 *   red     once the calendar's end has passed: from then on findings rest on guessed days
 *           (before it, a deadline computed past the end is only a schedule, and a newer
 *           calendar recomputes every clock; docs/decisions.md);
 *   lowered or cleared when a newer calendar comes, the ledger naming it ("calendar 7").
 * Each change is stored and appended to the node's spool as an alert record, so it travels up
 * and every tier shows it per node (`jiancha query nodes`). Its log line is written once per
 * change, hence once per calendar, never on every command.
 */
#ifndef JIANCHA_COVERAGE_H
#define JIANCHA_COVERAGE_H

#include "alert.h"
#include "calendar.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

#define COVERAGE_WARN_DAYS 30
#define COVERAGE_RULE "calendar.coverage"

struct coverage_result {
    bool changed;           /* a change was stored and appended to the spool (not sealed) */
    bool open;              /* the alarm stands */
    enum alert_light light; /* its light, when open */
    int64_t next_ms;        /* when the clock alone changes it next, INT64_MAX if never */
};

/* Judges the alarm as of now_ms within the caller's write transaction. fresh: `cal` is new to
 * this judgement, so a change it makes names it in the ledger. */
int coverage_judge(store_txn_t *t, uint32_t node, const calendar_t *cal, int64_t now_ms,
                   bool fresh, struct coverage_result *res) __attribute__((warn_unused_result));

/* The same in a write transaction of its own, sealing a change at once (seal_at as spool.h):
 * for an aggregator, whose desk counts answer and supervision days with its calendar.
 * *sealed: batches sealed. */
int coverage_check(store_t *store, uint32_t node, const calendar_t *cal, int64_t now_ms,
                   uint32_t seal_at, struct coverage_result *res, uint64_t *sealed)
    __attribute__((warn_unused_result));

#endif
