/* feedback: a department's answer to an alert and what happens without one (spec §4
 * alert.respond and alert.close, §5 feedback.overdue; art. 6 to 8).
 *
 * A raised alert must be answered (an explanation or a correction) by the end of the 5th working
 * day after the day it was raised in the system (its answer clock starts when the node records it:
 * a light raised late, from events that arrived late, gives the department its full time). A bad rating (rating.bad) must be answered by a call-back (a
 * response, or a followup of the case) within 1 working day, and corrected within 15. Each missed
 * deadline takes the alert up one step: a yellow turns red; a red goes to the parent tier's queue
 * (its supervision office handles it from then on). After a step the department has another 5
 * working days; after the second step no further step is taken. A closed or cleared alert takes no
 * step. The functions work on a value; the desk (desk.h) stores and sends the result.
 */
#ifndef JIANCHA_FEEDBACK_H
#define JIANCHA_FEEDBACK_H

#include "alert.h"
#include "calendar.h"
#include "catalog.h"

#include <stdbool.h>
#include <stdint.h>

#define FEEDBACK_ANSWER_WD 5
#define FEEDBACK_CALLBACK_WD 1 /* rating.bad: call the applicant back */
#define FEEDBACK_FIX_WD 15     /* rating.bad: fix what they complained of */
#define FEEDBACK_STEPS_MAX 2

/* The instant the first answer to an alert is late (the local midnight ending the deadline's last
 * working day), from its answer clock's start; 0 if it has no clock. The scores count an answer
 * given before it as in time. */
int64_t feedback_answer_deadline(calendar_t *cal, const struct alert *a);

/* Starts the answer clock of an alert recorded (or raised again) at from_ms, with the windows of
 * its item's thresholds (catalog.h: answer_workdays, callback_workdays, fix_workdays; NULL: the
 * spec's 5, 1 and 15), which the alert keeps. */
void feedback_start(struct alert *a, calendar_t *cal, int64_t from_ms,
                    const struct catalog_thresholds *th);

/* A department's response at at_ms (correct: a correction, else an explanation), a followup of
 * the alert's case, or a supervisor's closing (摘牌). Each returns true if the alert changed. */
bool feedback_respond(struct alert *a, calendar_t *cal, int64_t at_ms, bool correct);
bool feedback_followup(struct alert *a, calendar_t *cal, int64_t at_ms);
bool feedback_close(struct alert *a, int64_t at_ms);

/* Takes the steps whose deadlines passed by now (parent: the node whose queue a red goes to, ""
 * at the top of the tree). Returns the number of steps taken. */
unsigned feedback_due(struct alert *a, calendar_t *cal, const char *parent, int64_t now_ms);

/* Does this alert rule take an answer clock? (Department alerts do; the platform's own alarms,
 * node.silent, node.clone and key.compromised, are answered by administrators, and an office's
 * patrol.shortfall by the office to its parent.) */
bool feedback_applies(const struct alert *a);

#endif
