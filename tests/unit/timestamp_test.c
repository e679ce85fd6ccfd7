#include "testutil.h"

#include "err.h"
#include "timestamp.h"

static int64_t
parse(const char *s)
{
    int64_t ms;
    const char *why;
    assert_int_equal(timestamp_parse(s, strlen(s), &ms, &why), 0);
    return ms;
}

static void
offsets_and_fractions_give_the_same_instant(void **state)
{
    (void)state;
    int64_t a = parse("2026-11-25T09:30:00+08:00");
    assert_int_equal(a, parse("2026-11-25T01:30:00Z"));
    assert_int_equal(a, parse("2026-11-24T20:30:00-05:00"));
    assert_int_equal(a + 250, parse("2026-11-25T09:30:00.25+08:00"));
    assert_int_equal(a, 1795570200000LL);
}

static void
malformed_times_are_refused_with_a_reason(void **state)
{
    (void)state;
    const char *bad[] = {"2026-11-25T09:30:00",        "2026-11-25 09:30:00+08:00",
                         "2026-02-30T09:30:00+08:00",  "2026-11-25T24:00:00+08:00",
                         "1999-12-31T23:59:59Z",       "2026-11-25T09:30:00+0800",
                         "2026-11-25T09:30:00.+08:00", "2026-11-25T09:30:00+08:00x",
                         ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms;
        const char *why = NULL;
        assert_int_equal(timestamp_parse(bad[i], strlen(bad[i]), &ms, &why), ERR_INVALID);
        assert_non_null(why);
    }
}

static void
format_writes_shanghai_time(void **state)
{
    (void)state;
    char buf[TIMESTAMP_TEXT_MAX];
    timestamp_format(parse("2026-11-25T01:30:00Z"), buf);
    assert_string_equal(buf, "2026-11-25T09:30:00.000+08:00");
    timestamp_format(parse("2026-12-31T16:00:00.5Z"), buf);
    assert_string_equal(buf, "2027-01-01T00:00:00.500+08:00");
}

static void
extreme_times_are_formatted_at_the_bounds(void **state)
{
    (void)state;
    char buf[TIMESTAMP_TEXT_MAX];
    timestamp_format(INT64_MIN, buf);
    assert_string_equal(buf, "0000-01-01T00:00:00.000+08:00");
    timestamp_format(INT64_MAX, buf);
    assert_string_equal(buf, "9999-12-31T23:59:59.999+08:00");
}

static void
civil_days_round_trip(void **state)
{
    (void)state;
    for (int64_t d = -1000; d < 50000; d += 7) {
        int y;
        unsigned m, dd;
        timestamp_civil_from_days(d, &y, &m, &dd);
        assert_int_equal(timestamp_days_from_civil(y, m, dd), d);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(offsets_and_fractions_give_the_same_instant),
        cmocka_unit_test(malformed_times_are_refused_with_a_reason),
        cmocka_unit_test(format_writes_shanghai_time),
        cmocka_unit_test(extreme_times_are_formatted_at_the_bounds),
        cmocka_unit_test(civil_days_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
