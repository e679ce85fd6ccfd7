#include "testutil.h"

#include "file.h"

#include <errno.h>
#include <sys/stat.h>

static void
a_file_is_replaced_whole_and_an_exclusive_write_never_overwrites(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/doc", dir);
    size_t len = 99;
    errno = 0;
    assert_null(file_read(path, &len));
    assert_int_equal(errno, ENOENT);
    assert_int_equal(file_write(path, "first", 5, true), 0);
    assert_int_equal(file_write(path, "second", 6, true), -1); /* exclusive: there already */
    assert_int_equal(errno, EEXIST);
    char *got = file_read(path, &len);
    assert_non_null(got);
    assert_int_equal(len, 5);
    assert_string_equal(got, "first"); /* NUL-terminated */
    free(got);
    assert_int_equal(file_write(path, "", 0, false), 0); /* replaced, even by nothing */
    got = file_read(path, &len);
    assert_non_null(got);
    assert_int_equal(len, 0);
    free(got);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    struct stat sb;
    assert_int_not_equal(stat(tmp, &sb), 0); /* no temporary left behind */
    /* a directory that does not exist: an error, nothing half-written */
    snprintf(path, sizeof path, "%s/missing/doc", dir);
    assert_int_equal(file_write(path, "x", 1, false), -1);
    testutil_rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_file_is_replaced_whole_and_an_exclusive_write_never_overwrites),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
