#include "err.h"
#include "testutil.h"

#include "calendar.h"
#include "patrol.h"

static const uint32_t tree[] = {510100, 510104, 510105, 510300, 510302, 510303, 510400, 510402};

static void
a_county_office_patrols_its_platform_twice(void **state)
{
    (void)state;
    char why[ERR_WHY_MAX];
    uint32_t once[] = {510104}, twice[] = {510104, 510104};
    assert_true(patrol_short(510104, once, 1, NULL, 0, why));
    assert_non_null(strstr(why, "own platform 1 of 2"));
    assert_false(patrol_short(510104, twice, 2, NULL, 0, why));
    assert_string_equal(why, "");
}

static void
a_city_office_patrols_each_of_its_counties(void **state)
{
    (void)state;
    char why[ERR_WHY_MAX];
    uint32_t all[] = {510100, 510100, 510104, 510105};
    uint32_t one_missing[] = {510100, 510100, 510104, 510302};
    assert_false(patrol_short(510100, all, 4, tree, 8, why));
    assert_true(patrol_short(510100, one_missing, 4, tree, 8, why));
    assert_non_null(strstr(why, "1 counties not patrolled, first 510105"));
    /* the other city's counties are not this office's */
    uint32_t own_only[] = {510300, 510300};
    assert_true(patrol_short(510300, own_only, 2, tree, 8, why));
    assert_non_null(strstr(why, "2 counties"));
}

static void
a_province_office_needs_two_cities_and_as_many_counties_as_it_has_up_to_eight(void **state)
{
    (void)state;
    char why[ERR_WHY_MAX];
    uint32_t enough[] = {510000, 510100, 510300, 510104, 510105, 510302, 510303, 510402};
    assert_false(patrol_short(510000, enough, 8, tree, 8, why));
    /* a county visited twice counts once */
    uint32_t repeat[] = {510000, 510100, 510300, 510104, 510104, 510302, 510303, 510402};
    assert_true(patrol_short(510000, repeat, 8, tree, 8, why));
    assert_non_null(strstr(why, "counties 4 of 5"));
    uint32_t no_own[] = {510100, 510300, 510104, 510105, 510302, 510303, 510402};
    assert_true(patrol_short(510000, no_own, 7, tree, 8, why));
    /* with no tree known it needs only its own platform */
    uint32_t own[] = {510000};
    assert_false(patrol_short(510000, own, 1, NULL, 0, why));
}

static void
the_alert_is_raised_at_the_midnight_ending_the_day(void **state)
{
    (void)state;
    int64_t day;
    assert_int_equal(calendar_parse_date("2026-09-30", 10, &day), 0);
    struct alert a;
    patrol_alert(510104, day, "own platform 0 of 2", &a);
    assert_string_equal(a.rule, "patrol.shortfall");
    assert_string_equal(a.subject, "2026-09-30");
    assert_int_equal(a.light, ALERT_YELLOW);
    assert_int_equal(a.raised_ms, calendar_day_start_ms(day + 1));
    struct alert b;
    patrol_alert(510104, day, "other words", &b);
    assert_string_equal(a.id, b.id); /* one alert per office and day */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_county_office_patrols_its_platform_twice),
        cmocka_unit_test(a_city_office_patrols_each_of_its_counties),
        cmocka_unit_test(
            a_province_office_needs_two_cities_and_as_many_counties_as_it_has_up_to_eight),
        cmocka_unit_test(the_alert_is_raised_at_the_midnight_ending_the_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
