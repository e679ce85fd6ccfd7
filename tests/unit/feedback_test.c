#include "alert.h"
#include "calendar.h"
#include "feedback.h"
#include "timestamp.h"

#include "testutil.h"

static calendar_t *cal;

static int
setup(void **state)
{
    (void)state;
    cal = testutil_calendar();
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    calendar_destroy(&cal);
    return 0;
}

static struct alert
raised(const char *rule, enum alert_light light, const char *when)
{
    struct alert a = {0};
    snprintf(a.rule, sizeof a.rule, "%s", rule);
    snprintf(a.node, sizeof a.node, "510104");
    a.light = light;
    a.state = ALERT_OPEN;
    a.raised_ms = testutil_at(when);
    alert_log(&a, a.raised_ms, ALERT_RAISED, light);
    feedback_start(&a, cal, a.raised_ms, NULL);
    return a;
}

/* Raised on 2026-09-25 (Mid-Autumn holiday): the 5 working days are 09-28, 09-29, 09-30, 10-08
 * and 10-09 (10-01 to 10-07 National Day), so the answer is late from 10-10 00:00. */
static void
answer_deadline_counts_working_days_after_the_raising_day(void **state)
{
    (void)state;
    struct alert a = raised("limit.case", ALERT_YELLOW, "2026-09-25T00:00:00+08:00");
    assert_int_equal(a.answer_due_ms, testutil_at("2026-10-10T00:00:00+08:00"));
    /* a near miss: the last instant before the deadline takes no step */
    assert_int_equal(feedback_due(&a, cal, "510100", a.answer_due_ms - 1), 0);
    assert_int_equal(a.light, ALERT_YELLOW);
    assert_int_equal(feedback_due(&a, cal, "510100", a.answer_due_ms), 1);
    assert_int_equal(a.light, ALERT_RED);
    assert_string_equal(a.queue, "");
    assert_int_equal(a.ledger[a.n_ledger - 1].action, ALERT_ESCALATED);
}

static void
a_yellow_goes_red_then_to_the_parent_and_stops_there(void **state)
{
    (void)state;
    struct alert a = raised("basis.missing", ALERT_YELLOW, "2026-11-02T10:00:00+08:00");
    /* a month later, nobody answered: both steps at once, each logged at its own deadline */
    assert_int_equal(feedback_due(&a, cal, "510100", testutil_at("2026-12-31T00:00:00+08:00")), 2);
    assert_int_equal(a.light, ALERT_RED);
    assert_string_equal(a.queue, "510100");
    assert_int_equal(a.feedback_steps, 2);
    assert_int_equal(a.n_ledger, 3);
    assert_true(a.ledger[1].at_ms < a.ledger[2].at_ms);
    assert_int_equal(a.answer_due_ms, 0);
    assert_int_equal(feedback_due(&a, cal, "510100", testutil_at("2027-06-01T00:00:00+08:00")), 0);
}

static void
a_red_at_the_top_of_the_tree_stays_in_its_own_queue(void **state)
{
    (void)state;
    struct alert a = raised("node.silent", ALERT_RED, "2026-11-02T10:00:00+08:00");
    assert_int_equal(a.answer_due_ms, 0); /* platform alarms take no answer clock */
    a = raised("limit.legal", ALERT_RED, "2026-11-02T10:00:00+08:00");
    assert_int_equal(feedback_due(&a, cal, "", testutil_at("2026-12-31T00:00:00+08:00")), 0);
    assert_string_equal(a.queue, "");
    assert_int_equal(a.answer_due_ms, 0);
}

static void
an_answer_in_time_stops_the_clock_and_a_late_one_keeps_the_step(void **state)
{
    (void)state;
    struct alert a = raised("limit.case", ALERT_YELLOW, "2026-11-02T10:00:00+08:00");
    assert_true(feedback_respond(&a, cal, a.answer_due_ms - 1, false));
    assert_int_equal(a.state, ALERT_RESPONDED);
    assert_int_equal(a.answer_due_ms, 0);
    assert_false(feedback_respond(&a, cal, a.answer_due_ms, false)); /* a second explanation */
    assert_int_equal(feedback_due(&a, cal, "510100", testutil_at("2026-12-31T00:00:00+08:00")), 0);
    assert_int_equal(a.light, ALERT_YELLOW);

    struct alert b = raised("limit.case", ALERT_YELLOW, "2026-11-02T10:00:00+08:00");
    int64_t due = b.answer_due_ms;
    assert_int_equal(feedback_due(&b, cal, "510100", due), 1);
    assert_true(feedback_respond(&b, cal, due + 1000, true));
    assert_int_equal(b.light, ALERT_RED);
    assert_int_equal(b.answer_due_ms, 0);
    assert_int_equal(feedback_due(&b, cal, "510100", testutil_at("2026-12-31T00:00:00+08:00")), 0);
    assert_string_equal(b.queue, "");
}

static void
a_bad_rating_needs_a_call_back_in_one_day_and_a_fix_in_fifteen(void **state)
{
    (void)state;
    /* Monday 2026-11-02: called back by the end of Tuesday, fixed by the end of 11-23 */
    struct alert a = raised("rating.bad", ALERT_YELLOW, "2026-11-02T10:00:00+08:00");
    assert_int_equal(a.answer_due_ms, testutil_at("2026-11-04T00:00:00+08:00"));
    assert_true(feedback_followup(&a, cal, testutil_at("2026-11-03T09:00:00+08:00")));
    assert_int_equal(a.state, ALERT_RESPONDED);
    assert_int_equal(a.answer_due_ms, testutil_at("2026-11-24T00:00:00+08:00"));
    assert_int_equal(feedback_due(&a, cal, "510100", testutil_at("2026-11-23T23:59:59+08:00")), 0);
    assert_int_equal(feedback_due(&a, cal, "510100", testutil_at("2026-11-24T00:00:00+08:00")), 1);
    assert_int_equal(a.light, ALERT_RED);
    /* the correction, late, stops the clock */
    assert_true(feedback_respond(&a, cal, testutil_at("2026-11-25T00:00:00+08:00"), true));
    assert_int_equal(a.answer_due_ms, 0);
    /* a followup answers only a bad rating */
    struct alert b = raised("limit.case", ALERT_YELLOW, "2026-11-02T10:00:00+08:00");
    assert_false(feedback_followup(&b, cal, testutil_at("2026-11-03T09:00:00+08:00")));
}

static void
a_closed_alert_takes_no_step_and_no_answer(void **state)
{
    (void)state;
    struct alert a = raised("limit.case", ALERT_YELLOW, "2026-11-02T10:00:00+08:00");
    assert_true(feedback_close(&a, testutil_at("2026-11-03T10:00:00+08:00")));
    assert_int_equal(a.state, ALERT_CLOSED);
    assert_false(feedback_close(&a, testutil_at("2026-11-03T11:00:00+08:00")));
    assert_false(feedback_respond(&a, cal, testutil_at("2026-11-03T11:00:00+08:00"), false));
    assert_int_equal(feedback_due(&a, cal, "510100", testutil_at("2026-12-31T00:00:00+08:00")), 0);
    assert_int_equal(a.light, ALERT_YELLOW);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(answer_deadline_counts_working_days_after_the_raising_day),
        cmocka_unit_test(a_yellow_goes_red_then_to_the_parent_and_stops_there),
        cmocka_unit_test(a_red_at_the_top_of_the_tree_stays_in_its_own_queue),
        cmocka_unit_test(an_answer_in_time_stops_the_clock_and_a_late_one_keeps_the_step),
        cmocka_unit_test(a_bad_rating_needs_a_call_back_in_one_day_and_a_fix_in_fifteen),
        cmocka_unit_test(a_closed_alert_takes_no_step_and_no_answer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
