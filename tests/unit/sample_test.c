#include "sample.h"

#include "testutil.h"

/* 60 licensing, 30 penalty and 10 levy cases, listed in the given order. */
static void
population(struct sample_unit *u, bool reversed)
{
    for (int i = 0; i < 100; i++) {
        int k = reversed ? 99 - i : i;
        memset(&u[i], 0, sizeof u[i]);
        snprintf(u[i].id, sizeof u[i].id, "C-%03d", k);
        snprintf(u[i].category, sizeof u[i].category, "%s",
                 k < 60 ? "licensing" : k < 90 ? "penalty" : "levy");
    }
}

static void
chosen_ids(const struct sample_unit *u, size_t n, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        if (u[i].chosen) {
            strncat(out, u[i].id, cap - strlen(out) - 1);
            strncat(out, " ", cap - strlen(out) - 1);
        }
}

static void
the_same_seed_draws_the_same_sample_whatever_the_order_found(void **state)
{
    (void)state;
    struct sample_unit a[100], b[100];
    char x[2048], y[2048];
    population(a, false);
    population(b, true);
    assert_int_equal(sample_draw(a, 100, 10, "510104", "2026-11", 7), 10);
    assert_int_equal(sample_draw(b, 100, 10, "510104", "2026-11", 7), 10);
    chosen_ids(a, 100, x, sizeof x);
    chosen_ids(b, 100, y, sizeof y);
    assert_string_equal(x, y);
    /* another seed, node or period draws another sample */
    population(b, false);
    sample_draw(b, 100, 10, "510104", "2026-11", 8);
    chosen_ids(b, 100, y, sizeof y);
    assert_string_not_equal(x, y);
    population(b, false);
    sample_draw(b, 100, 10, "510105", "2026-11", 7);
    chosen_ids(b, 100, y, sizeof y);
    assert_string_not_equal(x, y);
}

static void
each_category_gets_its_share(void **state)
{
    (void)state;
    struct sample_unit u[100];
    population(u, false);
    sample_draw(u, 100, 10, "510104", "2026-11", 1);
    int lic = 0, pen = 0, levy = 0;
    for (int i = 0; i < 100; i++)
        if (u[i].chosen) {
            lic += strcmp(u[i].category, "licensing") == 0;
            pen += strcmp(u[i].category, "penalty") == 0;
            levy += strcmp(u[i].category, "levy") == 0;
        }
    assert_int_equal(lic, 6);
    assert_int_equal(pen, 3);
    assert_int_equal(levy, 1);
    /* 7 of 100: 4.2, 2.1, 0.7 -> 4, 2 and the largest remainder (levy) 1 */
    population(u, false);
    sample_draw(u, 100, 7, "510104", "2026-11", 1);
    levy = 0;
    for (int i = 0; i < 100; i++)
        levy += u[i].chosen && strcmp(u[i].category, "levy") == 0;
    assert_int_equal(levy, 1);
}

static void
every_case_is_drawn_now_and_then(void **state)
{
    (void)state;
    /* over many seeds each of 10 levy cases is drawn about equally often (1 of 10 per draw) */
    int hits[10] = {0};
    struct sample_unit u[100];
    for (uint64_t seed = 0; seed < 2000; seed++) {
        population(u, false);
        sample_draw(u, 100, 10, "510104", "2026-11", seed);
        for (int i = 0; i < 100; i++)
            if (u[i].chosen && strcmp(u[i].category, "levy") == 0)
                hits[atoi(u[i].id + 2) - 90]++;
    }
    for (int i = 0; i < 10; i++) {
        assert_true(hits[i] > 120);
        assert_true(hits[i] < 280);
    }
}

static void
a_sample_as_large_as_the_population_takes_all(void **state)
{
    (void)state;
    struct sample_unit u[100];
    population(u, false);
    assert_int_equal(sample_draw(u, 100, 500, "510104", "2026-11", 1), 100);
    for (int i = 0; i < 100; i++)
        assert_true(u[i].chosen);
    assert_int_equal(sample_draw(u, 0, 5, "510104", "2026-11", 1), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_same_seed_draws_the_same_sample_whatever_the_order_found),
        cmocka_unit_test(each_category_gets_its_share),
        cmocka_unit_test(every_case_is_drawn_now_and_then),
        cmocka_unit_test(a_sample_as_large_as_the_population_takes_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
