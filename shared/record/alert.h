/* alert: a yellow warning (预警) or red alarm (报警) and its ledger (spec §5).
 *
 * An alert's id is stable: the same node, rule and subject always give the same id, so a rule
 * that fires again changes the existing alert (a yellow turning red is the same alert escalated)
 * instead of opening a second one. The ledger lists every change with its time.
 */
#ifndef JIANCHA_ALERT_H
#define JIANCHA_ALERT_H

#include "wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum alert_light { ALERT_YELLOW, ALERT_RED };
enum alert_state { ALERT_OPEN, ALERT_RESPONDED, ALERT_CLOSED, ALERT_CLEARED };
/* Ledger actions (spec §5). lowered: a late event showed the light too high; corrected: a late
 * event or a newer calendar moved the light's times, its colour unchanged. */
enum alert_action { ALERT_RAISED, ALERT_ESCALATED, ALERT_RESPONDED_ACT, ALERT_CLOSED_ACT,
                    ALERT_CLEARED_ACT, ALERT_LOWERED, ALERT_CORRECTED, ALERT_ACTIONS_ };

#define ALERT_LEDGER_MAX 12
#define ALERT_ID_LEN 20 /* "A-" + 16 hex digits + NUL fits in 20 */
#define ALERT_CAUSE_MAX 72

struct alert_entry {
    int64_t at_ms;
    enum alert_action action;
    enum alert_light light;
    /* What showed it, for a lowered, corrected or cleared light: "event ID" of the late event,
     * or "calendar N"; "" when the clock or an office did it. */
    char cause[ALERT_CAUSE_MAX];
};

/* A value type: strings are copied in, bounded like event identifiers. */
struct alert {
    char id[ALERT_ID_LEN];
    char rule[24];
    char article[16];
    /* The light shown: the finding, or red once the department let an answer deadline pass
     * (feedback_steps > 0; feedback.h). */
    enum alert_light light;
    /* The rule's own finding from the events (what `jiancha evaluate` gives), and the instant it
     * reached that light. Scores count findings; answer escalation is counted on its own. */
    enum alert_light finding;
    int64_t finding_ms;
    bool provisional; /* the deadline behind the finding lies past the calendar's years */
    enum alert_state state;
    char node[7];
    char dept[65];
    char item[65];
    char subject_kind[16]; /* "case", "item", "complaint", "handler" */
    char subject[130];     /* the case id (or other subject); case/step for limit.step */
    int64_t raised_ms;
    char detail[192]; /* why, in one sentence */
    struct alert_entry ledger[ALERT_LEDGER_MAX];
    size_t n_ledger;
    uint32_t changes; /* every change ever logged (the ledger keeps the latest): the record id */
    /* The department's answer (spec §4 alert.respond, §5 feedback.overdue; feedback.h). */
    char queue[7];          /* node whose supervision office handles it: "" = its own node */
    int64_t answer_from_ms; /* when the answer clock started (the alert recorded); 0 = no clock */
    int64_t answer_due_ms;  /* the next answer deadline; 0 = none (answered, closed, or none) */
    int64_t responded_ms;   /* first explanation or correction; 0 = none */
    int64_t corrected_ms;   /* first correction; 0 = none */
    int64_t closed_ms;      /* alert.close (摘牌); 0 = not closed */
    unsigned feedback_steps; /* lights gone up for missed answers: 0, 1 (red), 2 (parent's queue) */
    /* The windows in force when the clock started (the item's thresholds): the first answer (a
     * bad rating's call-back), an answer after a step, a bad rating's fix; 0 = the spec's. */
    unsigned answer_wd, retry_wd, fix_wd;
    /* Shown, never stored: the open supervision case (督办) on this alert, from query. */
    char supervision[65];
};

/* Fills a->id from node, rule and subject (BLAKE2b, so ids are stable across tiers). */
void alert_make_id(struct alert *a);

/* A node's alarm against itself (node.clock, node.disk, calendar.coverage …): the alert cleared to
 * zero with its node, rule, article 14, subject kind "node", the node as subject, and its id. */
void alert_node_alarm(struct alert *a, uint32_t node, const char *rule);

/* Appends a ledger entry (entries past ALERT_LEDGER_MAX keep only the latest in the last slot)
 * and counts the change. */
void alert_log(struct alert *a, int64_t at_ms, enum alert_action action, enum alert_light light);
/* The same with what caused it (see struct alert_entry). */
void alert_log_cause(struct alert *a, int64_t at_ms, enum alert_action action,
                     enum alert_light light, const char *cause);

/* The light to show for a finding and the answer steps taken: escalation by a missed answer
 * shows red whatever the finding. */
enum alert_light alert_shown_light(const struct alert *a);

/* Is this a department's alert (judged from business events, counted in the scores), rather than
 * the platform's (node.*, key.*, calendar.*) or an office's own (patrol.shortfall, supervision.overdue)? */
bool alert_is_department(const char *rule);

const char *alert_light_name(enum alert_light l);
const char *alert_state_name(enum alert_state s);

/* One line of JSON (spec §5's fields); malloc'd. */
char *alert_to_json(const struct alert *a);

/* The alert as a msgpack map (stored, and sent up inside alert records), and back. */
void alert_encode(const struct alert *a, struct wire_buf *out);
int alert_decode(const wire_obj_t *map, struct alert *a) __attribute__((warn_unused_result));
int alert_decode_bytes(const void *data, size_t len, struct alert *a)
    __attribute__((warn_unused_result));

/* How many changes the alert has had (its ledger may hold fewer). */
uint32_t alert_changes(const struct alert *a);

/* The record an alert change travels up in: {type: "alert", id: "ID/N", at, node, alert} with N
 * the count of changes and `at` the latest ledger entry (docs/protocol.md). */
void alert_record_encode(const struct alert *a, struct wire_buf *out);

#endif
