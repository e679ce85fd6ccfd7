#include "testutil.h"

#include "bundle.h"
#include "err.h"
#include "rulebook.h"
#include "sign.h"
#include "store.h"

static char *dir;
static store_t *st;
static sign_key_t *publisher;
static char catalog_file[512], calendar_file[512];

#define CATALOG(v)                                                                                 \
    "{\"version\":" #v ",\"items\":[{\"item\":\"LIC\",\"name\":\"许可\",\"category\":"           \
    "\"licensing\",\"node\":\"510104\",\"dept\":\"D\",\"basis\":[\"法1\"],\"limits\":{"          \
    "\"promised\":{\"n\":10,\"unit\":\"wd\"},\"legal\":{\"n\":20,\"unit\":\"wd\"}},"             \
    "\"steps\":[{\"name\":\"受理\"}]}]}"

static int
setup(void **state)
{
    (void)state;
    assert_int_equal(sign_init(), 0);
    dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 4 << 20};
    assert_int_equal(store_open(dir, &o, &st), 0);
    publisher = sign_key_generate();
    testutil_write(dir, "catalog.json", CATALOG(2), strlen(CATALOG(2)));
    testutil_write(dir, "cal.tsv", "2026-10-01\tholiday\t国庆节\n", strlen("2026-10-01\tholiday\t国庆节\n"));
    snprintf(catalog_file, sizeof catalog_file, "%s/catalog.json", dir);
    snprintf(calendar_file, sizeof calendar_file, "%s/cal.tsv", dir);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    sign_key_destroy(&publisher);
    store_close(&st);
    testutil_rmdir(dir);
    return 0;
}

static int
take(rulebook_t *r, const char *kind, uint64_t version, const char *body,
     struct rulebook_result *res)
{
    struct bundle b = {.version = version, .published_ms = 1, .body = body,
                       .body_len = strlen(body)};
    snprintf(b.kind, sizeof b.kind, "%s", kind);
    snprintf(b.publisher, sizeof b.publisher, "510000");
    struct wire_buf doc;
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    wire_buf_init(&doc);
    bundle_make(publisher, &b, &doc, sig);
    char why[ERR_WHY_MAX];
    int rc = rulebook_take(r, doc.data, doc.len, sig, sizeof sig, 1793581200000LL, 100, res, why);
    wire_buf_fini(&doc);
    return rc;
}

static void
bundles_replace_the_files_only_forward_and_hold_across_a_restart(void **state)
{
    (void)state;
    rulebook_t *r = NULL;
    char why[ERR_WHY_MAX];
    assert_int_equal(rulebook_open(st, 510104, catalog_file, calendar_file,
                                   sign_key_public(publisher), NULL, &r, why, sizeof why),
                     0);
    assert_int_equal(catalog_version(rulebook_catalog(r)), 2);
    struct rulebook_result res;
    assert_int_equal(take(r, "catalog", 1, CATALOG(1), &res), 0);
    assert_false(res.taken); /* older than the file's: never back */
    assert_int_equal(catalog_version(rulebook_catalog(r)), 2);
    assert_int_equal(take(r, "catalog", 3, CATALOG(3), &res), 0);
    assert_true(res.taken);
    assert_true(res.changed);
    assert_true(res.sealed >= 1); /* the acknowledgement leaves at once */
    assert_int_equal(catalog_version(rulebook_catalog(r)), 3);
    assert_int_equal(take(r, "calendar", 7, "2026-10-02\tholiday\t国庆节\n", &res), 0);
    assert_true(res.changed);
    assert_int_equal(take(r, "crl", 1, "not a list", &res), ERR_INVALID);
    rulebook_destroy(&r);
    /* a restart with the version 2 file: the province's version 3 stays in force */
    assert_int_equal(rulebook_open(st, 510104, catalog_file, calendar_file,
                                   sign_key_public(publisher), NULL, &r, why, sizeof why),
                     0);
    assert_int_equal(catalog_version(rulebook_catalog(r)), 3);
    rulebook_destroy(&r);
    /* without a publisher key bundles are refused */
    assert_int_equal(rulebook_open(st, 510104, catalog_file, calendar_file, NULL, NULL, &r, why,
                                   sizeof why),
                     0);
    assert_int_equal(take(r, "catalog", 4, CATALOG(4), &res), ERR_STATE);
    rulebook_destroy(&r);
    /* a file that does not load is named */
    assert_int_equal(rulebook_open(st, 510104, "/nonexistent.json", calendar_file, NULL, NULL, &r, why,
                                   sizeof why),
                     ERR_CONFIG);
    assert_non_null(strstr(why, "/nonexistent.json"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            bundles_replace_the_files_only_forward_and_hold_across_a_restart, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
