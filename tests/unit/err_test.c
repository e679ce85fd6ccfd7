#include "testutil.h"

#include "err.h"

static void
every_code_has_its_own_text(void **state)
{
    (void)state;
    for (int a = ERR_BASE_ + 1; a < ERR_END_; a++) {
        assert_string_not_equal(err_str(a), "unknown error");
        for (int b = a + 1; b < ERR_END_; b++)
            assert_string_not_equal(err_str(a), err_str(b));
    }
}

static void
codes_stay_clear_of_negated_errno(void **state)
{
    (void)state;
    assert_true(ERR_END_ < -4096);
    assert_string_equal(err_str(-5), "unknown error");
    assert_string_equal(err_str(0), "success");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_code_has_its_own_text),
        cmocka_unit_test(codes_stay_clear_of_negated_errno),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
