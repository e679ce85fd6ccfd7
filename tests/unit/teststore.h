/* teststore: the fixture of the unit tests that need a fresh store and nothing else: a 4 MiB
 * store in a new temporary directory, opened by teststore_setup and removed by teststore_teardown
 * (cmocka's setup and teardown of each test). */
#ifndef JIANCHA_TESTSTORE_H
#define JIANCHA_TESTSTORE_H

#include "store.h"
#include "testutil.h"

static char *dir;
static store_t *st;

static int
teststore_setup(void **state)
{
    (void)state;
    dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 4 << 20};
    assert_int_equal(store_open(dir, &o, &st), 0);
    return 0;
}

static int
teststore_teardown(void **state)
{
    (void)state;
    store_close(&st);
    testutil_rmdir(dir);
    return 0;
}

#endif
