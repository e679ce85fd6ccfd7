#include "err.h"
#include "roster.h"

#include "testutil.h"

static const char *const good =
    "{\"version\":3,\"operators\":["
    "{\"name\":\"zhang\",\"role\":\"supervisor\",\"node\":\"510100\",\"key\":"
    "\"0000000000000000000000000000000000000000000000000000000000000001\"},"
    "{\"name\":\"li\",\"role\":\"department\",\"node\":\"510104\",\"dept\":\"SWJ\",\"key\":"
    "\"0000000000000000000000000000000000000000000000000000000000000002\"}]}";

static void
a_roster_names_roles_and_scopes(void **state)
{
    (void)state;
    roster_t *r = NULL;
    char why[ERR_WHY_MAX];
    assert_int_equal(roster_parse(good, strlen(good), &r, why, sizeof why), 0);
    assert_int_equal(roster_version(r), 3);
    const struct roster_operator *z = roster_find(r, "zhang"), *l = roster_find(r, "li");
    assert_non_null(z);
    assert_int_equal(z->role, ROSTER_SUPERVISOR);
    assert_true(roster_in_scope(z, 510100));
    assert_true(roster_in_scope(z, 510104));  /* a county of the city */
    assert_false(roster_in_scope(z, 510302)); /* another city's county */
    assert_false(roster_in_scope(z, 510000)); /* not above */
    assert_string_equal(l->dept, "SWJ");
    assert_null(roster_find(r, "nobody"));
    roster_destroy(&r);
    assert_null(r);
}

static void
a_bad_roster_is_refused_naming_the_operator_and_field(void **state)
{
    (void)state;
    static const struct {
        const char *doc, *want;
    } bad[] = {
        {"[]", "version"},
        {"{\"version\":0,\"operators\":[]}", "version"},
        {"{\"version\":1,\"operators\":[{\"name\":\"a\",\"role\":\"boss\",\"node\":\"510100\","
         "\"key\":\"0000000000000000000000000000000000000000000000000000000000000001\"}]}",
         "operator 0: role"},
        {"{\"version\":1,\"operators\":[{\"name\":\"a\",\"role\":\"auditor\",\"node\":\"5101\","
         "\"key\":\"0000000000000000000000000000000000000000000000000000000000000001\"}]}",
         "operator 0: node"},
        {"{\"version\":1,\"operators\":[{\"name\":\"a\",\"role\":\"auditor\",\"node\":\"510100\","
         "\"key\":\"00\"}]}",
         "operator 0: key"},
        {"{\"version\":1,\"operators\":[{\"name\":\"a\",\"role\":\"auditor\",\"node\":\"510100\","
         "\"key\":\"0000000000000000000000000000000000000000000000000000000000000001\"},"
         "{\"name\":\"a\",\"role\":\"auditor\",\"node\":\"510100\","
         "\"key\":\"0000000000000000000000000000000000000000000000000000000000000001\"}]}",
         "operator 1: name: listed twice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        roster_t *r = NULL;
        char why[ERR_WHY_MAX] = "";
        assert_int_equal(roster_parse(bad[i].doc, strlen(bad[i].doc), &r, why, sizeof why),
                         ERR_INVALID);
        assert_null(r);
        if (!strstr(why, bad[i].want))
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, why, bad[i].want);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_roster_names_roles_and_scopes),
        cmocka_unit_test(a_bad_roster_is_refused_naming_the_operator_and_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
