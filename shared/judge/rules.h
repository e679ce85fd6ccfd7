/* rules: the supervision rules of spec §5 that concern cases, items, credentials, ratings and
 * complaints, evaluated over a node's events with a catalogue and a working-day calendar.
 *
 * Every case is judged by replaying its events sorted by (`at`, arrival), so the result never
 * depends on the order events arrived in (spec §3). Point rules (a skipped step, a penalty outside
 * its band …) fire at the event's time; time rules (limits, overdue complaints, missing execution)
 * fire at the local midnight after the day their threshold is reached, and only once the
 * evaluation time has passed it. One engine serves `jiancha evaluate` (a fixed clock) and, later,
 * the collector (the wall clock).
 */
#ifndef JIANCHA_RULES_H
#define JIANCHA_RULES_H

#include "alert.h"
#include "calendar.h"
#include "catalog.h"

#include <stddef.h>
#include <stdint.h>

typedef struct rules rules_t;

/* The catalogue and calendar are borrowed and must outlive the engine. */
rules_t *rules_new(const catalog_t *catalog, calendar_t *calendar, const char *node);
void rules_destroy(rules_t **p);

/* Adds one canonical event record (event.h); arrival order is the order of calls. Records of other
 * nodes, and types no rule reads, are ignored. 0 or ERR_DECODE. */
int rules_add(rules_t *r, const void *record, size_t len) __attribute__((warn_unused_result));

/* Calls fn with the handler of each event added so far that names one (at most 64 bytes), in
 * the order they were added, repeats included: the caller of a case's load learns who acted in
 * it without reading its records again. */
void rules_each_handler(const rules_t *r, void (*fn)(void *arg, const char *handler), void *arg);

/* What to evaluate: case rules, complaint rules, item rules (any combination). */
#define RULES_CASES 1u
#define RULES_COMPLAINTS 2u
#define RULES_ITEMS 4u
#define RULES_ALL (RULES_CASES | RULES_COMPLAINTS | RULES_ITEMS)

/* Evaluates the rules in `scope` as of `as_of_ms` and calls emit for each alert, ordered by
 * raised time then id. The alerts are borrowed for the duration of the call. Returns the alert
 * count. */
typedef void (*rules_emit_fn)(void *arg, const struct alert *a);
size_t rules_evaluate(rules_t *r, int64_t as_of_ms, unsigned scope, rules_emit_fn emit,
                      void *arg);

/* After an evaluation: the earliest instant after as_of at which a time rule would fire or
 * escalate (the moment to evaluate again without new events), or INT64_MAX if none. */
int64_t rules_next_change(const rules_t *r);

/* The subject a decoded event record belongs to, for indexing: its kind ('c' case, 'q'
 * complaint, 'h' handler credential, 'i' item publish) and key copied into key (at most 64 bytes
 * + NUL), and for a case's record its handler ("" if none). 0, or ERR_NOT_FOUND for records no
 * rule reads. */
int rules_subject_of_map(const wire_obj_t *record, char *kind, char key[65], char handler[65])
    __attribute__((warn_unused_result));

#endif
