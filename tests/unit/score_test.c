#include "testutil.h"

#include "score.h"

static void
the_formula_weighs_the_five_rates(void **state)
{
    (void)state;
    struct score_counters c = {.cases = 100, .concluded = 80, .on_time = 60, .red = 10,
                               .yellow = 20, .response_due = 10, .responded_in_time = 5,
                               .ratings = 50, .ratings_good = 40};
    struct score_result r;
    score_compute(&c, &score_default_weights, &r);
    /* 100 * (0.35*0.75 + 0.25*0.9 + 0.10*0.8 + 0.15*0.8 + 0.15*0.5) = 76.25 */
    assert_true(r.score > 76.2499 && r.score < 76.2501);
    assert_string_equal(r.grade, "良好");
}

static void
a_rate_without_denominator_counts_as_one_and_red_is_capped(void **state)
{
    (void)state;
    struct score_counters none = {0};
    struct score_result r;
    score_compute(&none, &score_default_weights, &r);
    assert_true(r.score > 99.999);
    assert_string_equal(r.grade, "优秀");
    struct score_counters bad = {.cases = 2, .red = 9, .yellow = 9};
    score_compute(&bad, &score_default_weights, &r);
    /* red and yellow terms floor at 0: 100 * (0.35 + 0 + 0 + 0.15 + 0.15) = 65 */
    assert_true(r.score > 64.999 && r.score < 65.001);
    assert_string_equal(r.grade, "合格");
    assert_string_equal(score_grade(59.99), "不合格");
    assert_string_equal(score_grade(90), "优秀");
    assert_string_equal(score_grade(75), "良好");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_formula_weighs_the_five_rates),
        cmocka_unit_test(a_rate_without_denominator_counts_as_one_and_red_is_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
