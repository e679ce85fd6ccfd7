/* feedback: answer deadlines and the steps a missed one takes. See feedback.h. */
#include "feedback.h"

#include <stdio.h>
#include <string.h>

static bool
is_rating(const struct alert *a)
{
    return strcmp(a->rule, "rating.bad") == 0;
}

/* The midnight ending the n-th working day after the day of from_ms. */
static int64_t
after_workdays(calendar_t *cal, int64_t from_ms, uint32_t n)
{
    int64_t day = calendar_day_of(from_ms);
    return calendar_day_start_ms(calendar_due(cal, day, n, CALENDAR_WORKDAYS, false, NULL, NULL) +
                                 1);
}

/* The alert's windows, the spec's where it keeps none (alerts from before they were kept). */
static uint32_t
first_wd(const struct alert *a)
{
    return a->answer_wd ? a->answer_wd : is_rating(a) ? FEEDBACK_CALLBACK_WD : FEEDBACK_ANSWER_WD;
}

static uint32_t
retry_wd(const struct alert *a)
{
    return a->retry_wd ? a->retry_wd : FEEDBACK_ANSWER_WD;
}

static uint32_t
fix_wd(const struct alert *a)
{
    return a->fix_wd ? a->fix_wd : FEEDBACK_FIX_WD;
}

int64_t
feedback_answer_deadline(calendar_t *cal, const struct alert *a)
{
    if (!a->answer_from_ms)
        return 0;
    return after_workdays(cal, a->answer_from_ms, first_wd(a));
}

bool
feedback_applies(const struct alert *a)
{
    /* a department's alert, or the late report of a supervision case: the department answers */
    return alert_is_department(a->rule) || strcmp(a->rule, "supervision.overdue") == 0;
}

void
feedback_start(struct alert *a, calendar_t *cal, int64_t from_ms,
               const struct catalog_thresholds *th)
{
    if (!feedback_applies(a))
        return;
    a->answer_wd = th ? (is_rating(a) ? th->callback_workdays : th->answer_workdays) : 0;
    a->retry_wd = th ? th->answer_workdays : 0;
    a->fix_wd = th && is_rating(a) ? th->fix_workdays : 0;
    a->feedback_steps = 0;
    a->responded_ms = a->corrected_ms = a->closed_ms = 0;
    a->answer_from_ms = from_ms;
    a->answer_due_ms = feedback_answer_deadline(cal, a);
}

static bool
live(const struct alert *a)
{
    return a->state == ALERT_OPEN || a->state == ALERT_RESPONDED;
}

/* What the department still owes after an answer: a bad rating's correction, or nothing. */
static void
next_due_after_answer(struct alert *a, calendar_t *cal)
{
    if (is_rating(a) && !a->corrected_ms)
        a->answer_due_ms = after_workdays(cal, a->answer_from_ms, fix_wd(a));
    else
        a->answer_due_ms = 0;
}

bool
feedback_respond(struct alert *a, calendar_t *cal, int64_t at_ms, bool correct)
{
    if (!live(a))
        return false;
    bool changed = false;
    if (!a->responded_ms) {
        a->responded_ms = at_ms;
        changed = true;
    }
    if (correct && !a->corrected_ms) {
        a->corrected_ms = at_ms;
        changed = true;
    }
    if (!changed)
        return false;
    a->state = ALERT_RESPONDED;
    alert_log(a, at_ms, ALERT_RESPONDED_ACT, a->light);
    if (a->feedback_steps < FEEDBACK_STEPS_MAX)
        next_due_after_answer(a, cal);
    return true;
}

bool
feedback_followup(struct alert *a, calendar_t *cal, int64_t at_ms)
{
    /* A call-back answers a bad rating; for other alerts a followup is no answer. */
    if (!is_rating(a) || a->responded_ms)
        return false;
    return feedback_respond(a, cal, at_ms, false);
}

bool
feedback_close(struct alert *a, int64_t at_ms)
{
    if (!live(a))
        return false;
    a->state = ALERT_CLOSED;
    a->closed_ms = at_ms;
    a->answer_due_ms = 0;
    alert_log(a, at_ms, ALERT_CLOSED_ACT, a->light);
    return true;
}

unsigned
feedback_due(struct alert *a, calendar_t *cal, const char *parent, int64_t now_ms)
{
    unsigned steps = 0;
    while (live(a) && a->answer_due_ms && now_ms >= a->answer_due_ms &&
           a->feedback_steps < FEEDBACK_STEPS_MAX) {
        int64_t at = a->answer_due_ms;
        if (a->light == ALERT_YELLOW) {
            a->light = ALERT_RED;
        } else if (!a->queue[0] && parent && parent[0]) {
            snprintf(a->queue, sizeof a->queue, "%s", parent);
        } else {
            /* Already with the parent, or at the top of the tree: it stays where it is. */
            a->answer_due_ms = 0;
            break;
        }
        a->feedback_steps++;
        alert_log(a, at, ALERT_ESCALATED, a->light);
        steps++;
        a->answer_due_ms =
            a->feedback_steps < FEEDBACK_STEPS_MAX ? after_workdays(cal, at, retry_wd(a)) : 0;
    }
    return steps;
}
