#include "calendar.h"
#include "err.h"
#include "event.h"
#include "supervision.h"
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

/* Applies one JSON record (validated and made canonical as at intake) to the case. */
static int
apply(struct supervision *s, const char *json, char field[64], char reason[192])
{
    struct event_set set;
    event_set_init(&set);
    assert_int_equal(event_parse_message(json, strlen(json), "510100", &set), 0);
    assert_int_equal(set.n_entries, 1);
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    assert_int_equal(wire_decode_one(set.records.data, set.records.len, &r, &m), 0);
    int rc = supervision_apply(s, cal, m, field, reason);
    wire_reader_destroy(&r);
    event_set_fini(&set);
    return rc;
}

#define OPEN                                                                                       \
    "{\"type\":\"supervise.open\",\"id\":\"o\",\"supervision\":\"S1\",\"target\":{\"node\":"       \
    "\"510104\",\"dept\":\"SWJ\"},\"subject\":\"逾期\",\"by\":\"zhang\",\"at\":\"2026-10-09T10:" \
    "00:00+08:00\"}"
#define EXTEND(n)                                                                                  \
    "{\"type\":\"supervise.extend\",\"id\":\"x\",\"supervision\":\"S1\",\"limit\":{\"n\":" #n      \
    ",\"unit\":\"wd\"},\"approver\":\"wu\",\"at\":\"2026-10-20T10:00:00+08:00\"}"

static void
due_in_twenty_working_days_and_extended_up_to_ten(void **state)
{
    (void)state;
    struct supervision s = {0};
    char field[64], reason[192];
    assert_int_equal(apply(&s, OPEN, field, reason), 0);
    /* 10-10 is an adjusted working day: day 20 is 11-05 */
    assert_int_equal(s.due_ms, testutil_at("2026-11-06T00:00:00+08:00"));
    assert_string_equal(s.target_node, "510104");
    assert_string_equal(s.target_dept, "SWJ");
    assert_string_equal(s.subject, "逾期"); /* whole: the next field's bytes are not part of it */
    assert_int_equal(apply(&s, EXTEND(6), field, reason), 0);
    assert_int_equal(apply(&s, EXTEND(4), field, reason), 0);
    assert_int_equal(s.extended_wd, 10);
    assert_int_equal(s.due_ms, testutil_at("2026-11-20T00:00:00+08:00"));
    assert_int_equal(apply(&s, EXTEND(1), field, reason), ERR_INVALID);
    assert_string_equal(field, "limit.n");
    assert_non_null(strstr(reason, "would total 11 working days; at most 10"));
    assert_int_equal(s.extended_wd, 10);
}

static void
refusals_name_the_field(void **state)
{
    (void)state;
    struct supervision s = {0};
    char field[64], reason[192];
    assert_int_equal(apply(&s, EXTEND(1), field, reason), ERR_INVALID);
    assert_non_null(strstr(reason, "no supervision case"));
    assert_int_equal(apply(&s, OPEN, field, reason), 0);
    assert_int_equal(apply(&s, OPEN, field, reason), ERR_INVALID);
    assert_non_null(strstr(reason, "exists"));
    assert_int_equal(
        apply(&s,
              "{\"type\":\"supervise.extend\",\"id\":\"x\",\"supervision\":\"S1\","
              "\"limit\":{\"n\":3,\"unit\":\"d\"},\"approver\":\"wu\",\"at\":1793581200000}",
              field, reason),
        ERR_INVALID);
    assert_string_equal(field, "limit.unit");
    assert_int_equal(apply(&s,
                           "{\"type\":\"supervise.close\",\"id\":\"c\",\"supervision\":\"S1\","
                           "\"by\":\"zhang\",\"text\":\"结案\",\"at\":1793581200000}",
                           field, reason),
                     0);
    assert_int_equal(apply(&s, EXTEND(1), field, reason), ERR_INVALID);
    assert_non_null(strstr(reason, "closed"));
}

static void
overdue_when_not_reported_by_the_due_instant(void **state)
{
    (void)state;
    struct supervision s = {0};
    char field[64], reason[192];
    struct alert a;
    assert_int_equal(apply(&s, OPEN, field, reason), 0);
    assert_false(supervision_overdue(&s, s.due_ms - 1, &a));
    assert_string_equal(supervision_state(&s, s.due_ms - 1), "open");
    assert_true(supervision_overdue(&s, s.due_ms, &a));
    assert_string_equal(a.rule, "supervision.overdue");
    assert_int_equal(a.light, ALERT_RED);
    assert_int_equal(a.raised_ms, s.due_ms);
    assert_string_equal(a.dept, "SWJ");
    /* reported on the last day: not overdue */
    assert_int_equal(
        apply(&s,
              "{\"type\":\"supervise.report\",\"id\":\"r\",\"supervision\":\"S1\","
              "\"by\":\"SWJ\",\"text\":\"已整改\",\"at\":\"2026-11-05T17:00:00+08:00\"}",
              field, reason),
        0);
    assert_false(supervision_overdue(&s, s.due_ms + 1, &a));
    assert_string_equal(supervision_state(&s, s.due_ms + 1), "reported");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(due_in_twenty_working_days_and_extended_up_to_ten),
        cmocka_unit_test(refusals_name_the_field),
        cmocka_unit_test(overdue_when_not_reported_by_the_due_instant),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
