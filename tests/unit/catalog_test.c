#include "testutil.h"

#include "catalog.h"
#include "err.h"

static void
the_sample_catalogue_is_valid_and_covers_every_category(void **state)
{
    (void)state;
    catalog_t *c = NULL;
    char err[512];
    assert_int_equal(catalog_load(JIANCHA_TEST_VECTORS "/../../config/catalog.json", &c, err,
                                  sizeof err),
                     0);
    assert_int_equal(catalog_version(c), 1);
    bool seen[CATALOG_CATEGORIES_] = {false};
    for (size_t i = 0; i < catalog_count(c); i++)
        seen[catalog_at(c, i)->category] = true;
    for (int k = 0; k < CATALOG_CATEGORIES_; k++)
        assert_true(seen[k]);
    const struct catalog_item *it = catalog_find(c, "SC-CF-0310-510104");
    assert_non_null(it);
    assert_string_equal(it->dept, "SCJGJ");
    assert_int_equal(it->n_tiers, 3);
    assert_int_equal(it->tiers[0].max_fen, 5000000);
    assert_false(it->tiers[0].max_inclusive);
    assert_true(it->credential);
    assert_int_equal(it->evidence, CATALOG_EVIDENCE_PHOTO | CATALOG_EVIDENCE_DOCUMENT);
    assert_int_equal(catalog_step_index(it, "告知"), 2);
    assert_int_equal(it->n_rollbacks, 2);
    assert_int_equal(it->promised.unit, CALENDAR_DAYS);
    assert_null(catalog_find(c, "NO-SUCH-ITEM"));
    catalog_destroy(&c);
}

static void
expect_error(const char *doc, const char *want)
{
    catalog_t *c = NULL;
    char err[512] = "";
    assert_int_equal(catalog_parse(doc, strlen(doc), &c, err, sizeof err), ERR_INVALID);
    assert_null(c);
    if (!strstr(err, want))
        fail_msg("\"%s\" lacks \"%s\"", err, want);
}

#define ITEM(extra)                                                                                \
    "{\"version\":2,\"items\":[{\"item\":\"X1\",\"name\":\"n\",\"category\":\"licensing\","        \
    "\"node\":\"510104\",\"dept\":\"D\",\"limits\":{\"promised\":{\"n\":5,\"unit\":\"wd\"},"       \
    "\"legal\":{\"n\":10,\"unit\":\"wd\"}},\"steps\":[{\"name\":\"a\"},{\"name\":\"b\"}]" extra    \
    "}]}"

static void
errors_name_the_item_the_field_and_the_reason(void **state)
{
    (void)state;
    catalog_t *c = NULL;
    char err[512];
    assert_int_equal(catalog_parse(ITEM(""), strlen(ITEM("")), &c, err, sizeof err), 0);
    catalog_destroy(&c);
    expect_error("{\"items\":[]}", "version: must be a positive integer");
    expect_error("{\"version\":1,\"items\":[{\"name\":\"x\"}]}", "items[0]: item: required");
    expect_error(ITEM(",\"rollbacks\":[[\"a\",\"b\"]]"), "item X1: rollbacks: each entry must be");
    expect_error(ITEM(",\"rollbacks\":[[\"b\",\"zz\"]]"), "item X1: rollbacks");
    expect_error(ITEM(",\"evidence\":[\"smell\"]"), "item X1: evidence: kinds must be");
    expect_error(ITEM(",\"discretion\":[]"), "only penalty items have discretion tiers");
    expect_error(ITEM(",\"public\":true"), "item X1: effective: a public item needs");
    expect_error(ITEM(",\"effective\":\"2026-02-30\""), "effective: must be a date");
    const char *pen = "{\"version\":1,\"items\":[{\"item\":\"P\",\"name\":\"n\",\"category\":"
                      "\"penalty\",\"node\":\"510104\",\"dept\":\"D\",\"limits\":{\"promised\":"
                      "{\"n\":5,\"unit\":\"d\"},\"legal\":{\"n\":10,\"unit\":\"d\"}},\"steps\":"
                      "[{\"name\":\"a\"}],\"discretion\":[{\"level\":\"A\",\"min\":10,\"max\":1}]}]}";
    expect_error(pen, "item P: discretion[0]: min is above max");
    const char *twice = "{\"version\":1,\"items\":[{\"item\":\"X\",\"name\":\"n\",\"category\":"
                        "\"other\",\"node\":\"510104\",\"dept\":\"D\",\"limits\":{\"promised\":"
                        "{\"n\":5,\"unit\":\"d\"},\"legal\":{\"n\":10,\"unit\":\"d\"}},\"steps\":"
                        "[{\"name\":\"a\"},{\"name\":\"a\"}]}]}";
    expect_error(twice, "item X: steps[1]: step name used twice");
}

/* Resident anonymous memory of this process, in KiB (/proc/self/status). */
static long
rss_anon_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    assert_non_null(f);
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "RssAnon:", 8) == 0)
            kib = strtol(line + 8, NULL, 10);
    fclose(f);
    return kib;
}

static void
a_parsed_catalogue_keeps_no_more_than_it_holds(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip(); /* AddressSanitizer's allocator keeps freed memory in quarantine by design */
#endif
    /* a province's worth of items: about 2 MiB of document, whose parse tree is ten times that */
    size_t cap = 4u << 20, len = 0, n = 3000;
    char *doc = malloc(cap);
    assert_non_null(doc);
    len += (size_t)snprintf(doc, cap, "{\"version\":1,\"items\":[");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(
            doc + len, cap - len,
            "%s{\"item\":\"SC-XK-%06zu\",\"name\":\"食品经营许可\",\"category\":\"licensing\","
            "\"node\":\"510104\",\"dept\":\"SCJGJ\",\"basis\":["
            "\"《中华人民共和国食品安全法》第三十五条\","
            "\"《食品经营许可和备案管理办法》第十条\"],\"limits\":{\"promised\":{\"n\":10,\"unit\":"
            "\"wd\"},\"legal\":{\"n\":20,\"unit\":\"wd\"}},\"steps\":[{\"name\":\"受理\",\"limit\":"
            "{\"n\":1,\"unit\":\"wd\"}},{\"name\":\"审查\"},{\"name\":\"决定\"}],\"rollbacks\":"
            "[[\"审查\",\"受理\"]],\"evidence\":[\"document\"],\"credential\":true}",
            i ? "," : "", i);
    len += (size_t)snprintf(doc + len, cap - len, "]}");
    assert_true(len < cap - 1);
    long before = rss_anon_kib();
    catalog_t *c = NULL;
    char err[512];
    assert_int_equal(catalog_parse(doc, len, &c, err, sizeof err), 0);
    assert_int_equal(catalog_count(c), n);
    long grown = rss_anon_kib() - before;
    /* what it holds, its copy of the document and the items, is about 2.5 times the document;
     * without giving the tree back it keeps 14 times */
    if (grown > (long)(5 * len / 1024))
        fail_msg("parsing %zu KiB kept %ld KiB resident", len / 1024, grown);
    catalog_destroy(&c);
    free(doc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_sample_catalogue_is_valid_and_covers_every_category),
        cmocka_unit_test(errors_name_the_item_the_field_and_the_reason),
        cmocka_unit_test(a_parsed_catalogue_keeps_no_more_than_it_holds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
