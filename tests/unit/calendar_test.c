#include "calendar.h"
#include "err.h"

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

static int64_t
day(const char *s)
{
    int64_t d;
    assert_int_equal(calendar_parse_date(s, strlen(s), &d), 0);
    return d;
}

static void
expect_due(const char *start, uint32_t n, enum calendar_unit unit, const char *want)
{
    char got[16];
    calendar_format_date(calendar_due(cal, day(start), n, unit, true, NULL, NULL), got);
    if (strcmp(got, want) != 0)
        fail_msg("%s + %u: got %s, want %s", start, n, got, want);
}

static void
the_spec_vectors_hold(void **state)
{
    (void)state;
    expect_due("2025-09-26", 20, CALENDAR_WORKDAYS, "2025-10-30");
    expect_due("2025-09-26", 30, CALENDAR_WORKDAYS, "2025-11-13");
    expect_due("2026-02-13", 5, CALENDAR_WORKDAYS, "2026-02-27");
    expect_due("2024-09-27", 10, CALENDAR_WORKDAYS, "2024-10-16");
    expect_due("2025-12-31", 1, CALENDAR_WORKDAYS, "2026-01-04");
    expect_due("2026-04-30", 5, CALENDAR_WORKDAYS, "2026-05-11");
}

static void
adjusted_weekend_days_work_and_holidays_do_not(void **state)
{
    (void)state;
    assert_true(calendar_is_workday(cal, day("2026-01-04")));  /* Sunday, adjusted */
    assert_false(calendar_is_workday(cal, day("2025-10-01"))); /* National Day */
    assert_false(calendar_is_workday(cal, day("2026-11-28"))); /* ordinary Saturday */
    assert_true(calendar_is_workday(cal, day("2026-11-25")));  /* ordinary Wednesday */
}

static void
calendar_day_limits_ending_on_a_rest_day_roll_to_the_next_working_day(void **state)
{
    (void)state;
    /* 2026-11-20 + 8 d = Saturday 2026-11-28 -> Monday 2026-11-30 */
    expect_due("2026-11-20", 8, CALENDAR_DAYS, "2026-11-30");
    char got[16];
    calendar_format_date(calendar_due(cal, day("2026-11-20"), 8, CALENDAR_DAYS, false, NULL, NULL),
                         got);
    assert_string_equal(got, "2026-11-28");
}

struct span {
    int64_t from, to; /* suspended at the end of days from..to */
};

static enum calendar_skip
suspended(void *arg, int64_t d)
{
    const struct span *s = arg;
    return d >= s->from && d <= s->to ? CALENDAR_SKIPPED : CALENDAR_COUNTS;
}

/* Suspended from a day on and never resumed. */
static enum calendar_skip
suspended_from(void *arg, int64_t d)
{
    return d >= *(const int64_t *)arg ? CALENDAR_SKIPPED_ON : CALENDAR_COUNTS;
}

/* A skip that never lets a day count, without saying so: the walk must still end. */
static enum calendar_skip
never_counts(void *arg, int64_t d)
{
    (void)arg;
    (void)d;
    return CALENDAR_SKIPPED;
}

static void
a_suspension_across_a_holiday_stops_the_clock(void **state)
{
    (void)state;
    /* Accepted Friday 2025-09-26, 20 wd -> 2025-10-30. Suspended for a hearing from 2025-09-29
     * through 2025-10-10, which spans the National Day holiday: the working days 09-29, 09-30,
     * 10-09, 10-10 (and the adjusted Saturday 10-11 is after it) do not count. */
    struct span s = {day("2025-09-29"), day("2025-10-10")};
    char got[16];
    calendar_format_date(calendar_due(cal, day("2025-09-26"), 20, CALENDAR_WORKDAYS, true,
                                      suspended, &s),
                         got);
    /* 09-28 (adjusted Sunday) counts: 1; then from 10-11: 19 more working days */
    assert_string_equal(got, "2025-11-05");
    assert_int_equal(calendar_count(cal, day("2025-09-26"), day("2025-10-13"), CALENDAR_WORKDAYS,
                                    suspended, &s),
                     3); /* 09-28, 10-11, 10-13 */
}

static void
a_suspension_never_resumed_has_no_due_day(void **state)
{
    (void)state;
    /* Accepted Mon 2026-11-02, suspended at the end of 11-05 and every day after: two working
     * days count (11-03, 11-04). 2 wd fall due; 3 never do, as long as it stands still. */
    int64_t from = day("2026-11-05");
    char got[16];
    calendar_format_date(calendar_due(cal, day("2026-11-02"), 2, CALENDAR_WORKDAYS, true,
                                      suspended_from, &from),
                         got);
    assert_string_equal(got, "2026-11-04");
    assert_true(calendar_due(cal, day("2026-11-02"), 3, CALENDAR_WORKDAYS, true, suspended_from,
                             &from) == CALENDAR_NEVER);
    assert_int_equal(calendar_count(cal, day("2026-11-02"), day("2027-03-01"), CALENDAR_WORKDAYS,
                                    suspended_from, &from),
                     2); /* 11-03, 11-04 */
    /* however the days are refused, and however large the limit, the walk ends */
    assert_true(calendar_due(cal, day("2026-11-02"), 1, CALENDAR_DAYS, false, never_counts,
                             NULL) == CALENDAR_NEVER);
    assert_true(calendar_due(cal, day("2026-11-02"), UINT32_MAX, CALENDAR_WORKDAYS, false, NULL,
                             NULL) == CALENDAR_NEVER);
}

static void
an_extension_adds_its_days_to_the_limit(void **state)
{
    (void)state;
    /* 20 wd plus an approved 10 wd extension is simply 30 wd from the same start. */
    expect_due("2025-09-26", 20 + 10, CALENDAR_WORKDAYS, "2025-11-13");
}

static void
a_date_past_the_calendar_counts_weekdays_and_says_so(void **state)
{
    (void)state;
    int first, last;
    calendar_years(cal, &first, &last);
    assert_int_equal(first, 2024);
    assert_int_equal(last, 2026);
    assert_false(calendar_covers(cal, day("2027-01-04")));
    /* 2026-12-31 (Thu) + 2 wd: Fri 2027-01-01 is assumed a working day, unknown to the file */
    expect_due("2026-12-31", 2, CALENDAR_WORKDAYS, "2027-01-04");
}

static void
bad_files_are_refused_with_the_line(void **state)
{
    (void)state;
    calendar_t *c = NULL;
    char err[256];
    const char *bad = "# header\n2026-01-01\tholiday\tNew Year\n2026-13-01\tholiday\tx\n";
    assert_int_equal(calendar_parse(bad, strlen(bad), "t.tsv", &c, err, sizeof err), ERR_INVALID);
    assert_string_equal(err, "t.tsv:3: expected a date YYYY-MM-DD, a tab, then holiday or workday");
    const char *bad2 = "2026-01-01\tvacation\tx\n";
    assert_int_equal(calendar_parse(bad2, strlen(bad2), "t.tsv", &c, err, sizeof err),
                     ERR_INVALID);
    assert_string_equal(err, "t.tsv:1: kind must be holiday or workday");
    const char *dup = "2026-01-01\tholiday\tx\n2026-01-01\tworkday\ty\n";
    assert_int_equal(calendar_parse(dup, strlen(dup), "t.tsv", &c, err, sizeof err), ERR_INVALID);
    assert_non_null(strstr(err, "listed twice"));
    assert_null(c);
}

static void
local_days_follow_shanghai_midnight(void **state)
{
    (void)state;
    /* 2026-11-24T16:00:00Z is 2026-11-25 00:00 in Shanghai */
    assert_int_equal(calendar_day_of(1795536000000LL), day("2026-11-25"));
    assert_int_equal(calendar_day_of(1795536000000LL - 1), day("2026-11-24"));
    assert_int_equal(calendar_day_start_ms(day("2026-11-25")), 1795536000000LL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_spec_vectors_hold),
        cmocka_unit_test(adjusted_weekend_days_work_and_holidays_do_not),
        cmocka_unit_test(calendar_day_limits_ending_on_a_rest_day_roll_to_the_next_working_day),
        cmocka_unit_test(a_suspension_across_a_holiday_stops_the_clock),
        cmocka_unit_test(a_suspension_never_resumed_has_no_due_day),
        cmocka_unit_test(an_extension_adds_its_days_to_the_limit),
        cmocka_unit_test(a_date_past_the_calendar_counts_weekdays_and_says_so),
        cmocka_unit_test(bad_files_are_refused_with_the_line),
        cmocka_unit_test(local_days_follow_shanghai_midnight),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
