#include "alert.h"
#include "calendar.h"
#include "catalog.h"
#include "counter.h"
#include "desk.h"
#include "err.h"
#include "event.h"
#include "intake.h"
#include "region.h"
#include "report.h"
#include "store.h"
#include "timestamp.h"
#include "watch.h"

#include "testcounty.h"
#include "testutil.h"

#include <unistd.h>

/* A county with a licensing item (10 wd promised) and a levy item (5 wd). */
static const char *const test_catalog =
    "{\"version\":1,\"items\":["
    "{\"item\":\"LIC\",\"name\":\"许可\",\"category\":\"licensing\",\"node\":\"510104\","
    "\"dept\":\"D\",\"basis\":[\"法1\"],\"limits\":{\"promised\":{\"n\":10,\"unit\":\"wd\"},"
    "\"legal\":{\"n\":20,\"unit\":\"wd\"}},\"steps\":[{\"name\":\"受理\"},{\"name\":\"决定\"}]},"
    "{\"item\":\"LEVY\",\"name\":\"征收\",\"category\":\"levy\",\"node\":\"510104\","
    "\"dept\":\"E\",\"basis\":[\"法2\"],\"limits\":{\"promised\":{\"n\":5,\"unit\":\"wd\"},"
    "\"legal\":{\"n\":10,\"unit\":\"wd\"}},\"steps\":[{\"name\":\"核定\"}]}]}";

static char *dir;
static store_t *st;
static catalog_t *cat;
static calendar_t *cal;
static int n_sent;

static int
setup(void **state)
{
    (void)state;
    char err[512];
    dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 8 << 20};
    assert_int_equal(store_open(dir, &o, &st), 0);
    assert_int_equal(catalog_parse(test_catalog, strlen(test_catalog), &cat, err, sizeof err), 0);
    cal = testutil_calendar();
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    catalog_destroy(&cat);
    calendar_destroy(&cal);
    store_close(&st);
    testutil_rmdir(dir);
    return 0;
}

static void
send(const char *json)
{
    struct testcounty c = {st, 510104, cat, cal, "2026-11-02", n_sent};
    assert_string_equal(testcounty_send(&c, json), "");
    n_sent = c.n_sent;
}

/* The collector's round as of `when`: rules, desk, counters (testcounty.h). */
static void
judge(const char *when)
{
    struct testcounty c = {st, 510104, cat, cal, "2026-11-02", n_sent};
    testcounty_judge(&c, when);
}

static void
sum_node(void *arg, const char *key, const struct score_counters *c)
{
    if (strcmp(key, "510104") == 0)
        *(struct score_counters *)arg = *c;
}

static void
the_figures_are_the_counters_and_the_lights(void **state)
{
    (void)state;
    /* three licensing cases and two levy ones in November; C2 and C5 run late (red), C3 is
     * decided in time; a bad rating; a patrol on 11-02 only once (short), twice on 11-03 */
    send("\"type\":\"case.accept\",\"case\":\"C1\",\"item\":\"LIC\",\"dept\":\"D\",\"handler\":"
         "\"h\",\"at\":\"2026-11-02T09:00:00+08:00\"");
    send("\"type\":\"case.decision\",\"case\":\"C1\",\"outcome\":\"grant\",\"handler\":\"h\","
         "\"basis\":[\"法1\"],\"at\":\"2026-11-04T09:00:00+08:00\"");
    send("\"type\":\"case.accept\",\"case\":\"C2\",\"item\":\"LIC\",\"dept\":\"D\",\"handler\":"
         "\"h\",\"at\":\"2026-11-02T10:00:00+08:00\"");
    send("\"type\":\"case.accept\",\"case\":\"C3\",\"item\":\"LIC\",\"dept\":\"D\",\"handler\":"
         "\"h\",\"at\":\"2026-11-03T10:00:00+08:00\"");
    send("\"type\":\"rating\",\"case\":\"C1\",\"rating\":1,\"at\":\"2026-11-05T10:00:00+08:00\"");
    send("\"type\":\"case.accept\",\"case\":\"C4\",\"item\":\"LEVY\",\"dept\":\"E\",\"handler\":"
         "\"h\",\"at\":\"2026-11-02T10:00:00+08:00\"");
    send("\"type\":\"case.decision\",\"case\":\"C4\",\"outcome\":\"grant\",\"handler\":\"h\","
         "\"basis\":[\"法2\"],\"at\":\"2026-11-03T09:00:00+08:00\"");
    send("\"type\":\"case.accept\",\"case\":\"C5\",\"item\":\"LEVY\",\"dept\":\"E\",\"handler\":"
         "\"h\",\"at\":\"2026-11-02T11:00:00+08:00\"");
    send("\"type\":\"patrol\",\"supervisor\":\"he\",\"target\":\"510104\",\"kind\":\"data\","
         "\"at\":\"2026-11-02T09:00:00+08:00\"");
    send("\"type\":\"patrol\",\"supervisor\":\"he\",\"target\":\"510104\",\"kind\":\"data\","
         "\"at\":\"2026-11-03T09:00:00+08:00\"");
    send("\"type\":\"patrol\",\"supervisor\":\"he\",\"target\":\"510104\",\"kind\":\"video\","
         "\"at\":\"2026-11-03T15:00:00+08:00\"");
    send("\"type\":\"case.decision\",\"case\":\"C3\",\"outcome\":\"grant\",\"handler\":\"h\","
         "\"basis\":[\"法1\"],\"at\":\"2026-11-10T09:00:00+08:00\"");
    judge("2026-11-04T00:00:01+08:00");
    judge("2026-11-30T12:00:00+08:00");

    struct report r;
    int64_t now = testutil_at("2026-11-30T12:00:00+08:00");
    assert_int_equal(report_build(st, cal, "2026-11", 510000, now, &r), 0);
    /* the counters, as query scores sums them */
    int64_t first, next;
    assert_int_equal(calendar_parse_month("2026-11", &first, &next), 0);
    struct score_counters want = {0};
    assert_int_equal(counter_sum(st, first, next, SCORE_BY_NODE, NULL, sum_node, &want), 0);
    assert_int_equal(r.total.cases, 5);
    assert_int_equal(r.total.cases, want.cases);
    assert_int_equal(r.total.concluded, want.concluded);
    assert_int_equal(r.total.red, want.red);
    assert_int_equal(r.total.yellow, want.yellow);
    assert_int_equal(r.n_nodes, 1);
    assert_string_equal(r.nodes[0].key, "510104");
    /* the lights the report lists are the ones the sheets count */
    assert_int_equal(r.nodes[0].red, want.red);
    assert_int_equal(r.nodes[0].yellow, want.yellow);
    uint64_t by_rule = 0;
    for (size_t i = 0; i < r.n_rules; i++)
        by_rule += r.rules[i].red + r.rules[i].yellow;
    assert_int_equal(by_rule, want.red + want.yellow);
    assert_true(want.red >= 2); /* C2 and C5 late */
    /* categories */
    assert_int_equal(r.n_categories, 2);
    assert_string_equal(r.categories[0].key, "levy");
    assert_int_equal(r.categories[0].c.cases, 2);
    assert_int_equal(r.categories[1].c.cases, 3);
    /* the gravest first: limit.legal before limit.case before rating.bad */
    assert_true(r.n_notable >= 2);
    for (size_t i = 1; i < r.n_notable; i++)
        assert_true(strcmp(r.notable[i - 1].rule, "limit.case") != 0 ||
                    strcmp(r.notable[i].rule, "limit.legal") != 0);
    /* patrols: the office's working days so far, the short ones (11-02, and every day after
     * 11-03 with no patrol), its 3 patrol records */
    assert_int_equal(r.n_offices, 1);
    assert_int_equal(r.offices[0].patrols, 3);
    assert_int_equal(r.offices[0].workdays, 20); /* 11-02 .. 11-27 */
    assert_int_equal(r.offices[0].short_days, 19);
    /* the trend ends with the period, and the month before holds nothing */
    assert_string_equal(r.trend[REPORT_TREND_MONTHS - 1].month, "2026-11");
    assert_string_equal(r.trend[0].month, "2026-06");
    assert_int_equal(r.trend[REPORT_TREND_MONTHS - 1].cases, 5);
    assert_int_equal(r.trend[REPORT_TREND_MONTHS - 2].cases, 0);
    report_fini(&r);
    /* another tier's root sees nothing of this county */
    assert_int_equal(report_build(st, cal, "2026-11", 510300, now, &r), 0);
    assert_int_equal(r.total.cases, 0);
    assert_int_equal(r.n_nodes, 0);
    report_fini(&r);
    assert_int_equal(report_build(st, cal, "2026-13", 510000, now, &r), ERR_INVALID);
}

static void
region_names_come_from_the_file(void **state)
{
    (void)state;
    region_t *r = NULL;
    char why[ERR_WHY_MAX];
    assert_int_equal(
        region_load(JIANCHA_TEST_VECTORS "/../../config/regions.tsv", &r, why, sizeof why), 0);
    assert_string_equal(region_name(r, 510000), "四川省");
    assert_string_equal(region_name(r, 510104), "锦江区");
    assert_string_equal(region_name(r, 510300), "自贡市");
    assert_null(region_name(r, 519999));
    region_destroy(&r);
    assert_null(region_name(NULL, 510000));
    char bad[] = "/tmp/jiancha-regions-XXXXXX";
    int fd = mkstemp(bad);
    assert_true(fd >= 0);
    const char *line = "51010\t510000\tx\n"; /* a code of five digits */
    assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
    close(fd);
    assert_int_equal(region_load(bad, &r, why, sizeof why), ERR_INVALID);
    assert_non_null(strstr(why, ":1: want code"));
    unlink(bad);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_figures_are_the_counters_and_the_lights, setup,
                                        teardown),
        cmocka_unit_test(region_names_come_from_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
