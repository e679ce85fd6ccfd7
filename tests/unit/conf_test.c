#include "testutil.h"

#include "conf.h"
#include "err.h"

static const struct conf_key table[] = {
    {"svc/name", CONF_STR, NULL, 0, 0, "required name"},
    {"svc/port", CONF_INT, "7100", 1, 65535, "a port"},
    {"log/level", CONF_STR, "info", 0, 0, "level"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static char *
write_file(const char *dir, const char *text)
{
    char *path = malloc(512);
    snprintf(path, 512, "%s/test.cfg", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void
values_and_defaults_are_read(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    char *path = write_file(dir, "# comment\nsvc\n    name = county\n");
    conf_t *c = NULL;
    char err[256];
    assert_int_equal(conf_load(path, table, &c, err, sizeof err), 0);
    assert_string_equal(conf_str(c, "svc/name"), "county");
    assert_int_equal(conf_int(c, "svc/port"), 7100);
    assert_string_equal(conf_str(c, "log/level"), "info");
    conf_destroy(&c);
    free(path);
    testutil_rmdir(dir);
}

static void
errors_name_the_file_line_and_key(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    struct {
        const char *text, *want;
    } cases[] = {
        {"svc\n    name = a\n    prot = 7100\n", "test.cfg:3: unknown key \"svc/prot\""},
        {"svc\n    name = a\n    port = 70000\n", "test.cfg:3: key \"svc/port\": value 70000 is "
                                                  "outside 1..65535"},
        {"svc\n    name = a\n    port = seven\n", "key \"svc/port\": value \"seven\" is not an "
                                                  "integer"},
        {"svc\n    port = 1\n", "required key \"svc/name\" is missing"},
        {"svc\n    name = a\nextra\n    x = 1\n", "test.cfg:3: unknown key \"extra\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = write_file(dir, cases[i].text);
        conf_t *c = NULL;
        char err[256] = "";
        assert_int_equal(conf_load(path, table, &c, err, sizeof err), ERR_CONFIG);
        assert_null(c);
        if (!strstr(err, cases[i].want))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].want);
        free(path);
    }
    conf_t *c = NULL;
    char err[256];
    assert_int_equal(conf_load("/nonexistent/x.cfg", table, &c, err, sizeof err), ERR_CONFIG);
    assert_non_null(strstr(err, "cannot read"));
    testutil_rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_and_defaults_are_read),
        cmocka_unit_test(errors_name_the_file_line_and_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
