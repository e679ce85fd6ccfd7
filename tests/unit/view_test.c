/* view_test: the JSON views of a store, checked against what view.h and docs/api.md promise
 * (written from the header, not from view.c). */
#include "alert.h"
#include "calendar.h"
#include "catalog.h"
#include "counter.h"
#include "desk.h"
#include "err.h"
#include "event.h"
#include "intake.h"
#include "region.h"
#include "score.h"
#include "store.h"
#include "supervision.h"
#include "timestamp.h"
#include "view.h"
#include "watch.h"

#include "testcounty.h"
#include "testutil.h"

#include <jansson.h>

/* A county with a licensing item (10 wd promised) and a levy item (5 wd), and department names. */
static const char *const test_catalog =
    "{\"version\":1,\"departments\":{\"D\":\"市场监督管理局\",\"E\":\"税务局\"},\"items\":["
    "{\"item\":\"LIC\",\"name\":\"许可\",\"category\":\"licensing\",\"node\":\"510104\","
    "\"dept\":\"D\",\"basis\":[\"法1\"],\"limits\":{\"promised\":{\"n\":10,\"unit\":\"wd\"},"
    "\"legal\":{\"n\":20,\"unit\":\"wd\"}},\"steps\":[{\"name\":\"受理\"},{\"name\":\"决定\"}]},"
    "{\"item\":\"LEVY\",\"name\":\"征收\",\"category\":\"levy\",\"node\":\"510104\","
    "\"dept\":\"E\",\"basis\":[\"法2\"],\"limits\":{\"promised\":{\"n\":5,\"unit\":\"wd\"},"
    "\"legal\":{\"n\":10,\"unit\":\"wd\"}},\"steps\":[{\"name\":\"核定\"}]}]}";

static calendar_t *cal;
static region_t *regions;
static catalog_t *cat;

static int
setup(void **state)
{
    (void)state;
    char err[ERR_WHY_MAX];
    cal = testutil_calendar();
    assert_int_equal(
        region_load(JIANCHA_TEST_VECTORS "/../../config/regions.tsv", &regions, err, sizeof err),
        0);
    if (catalog_parse(test_catalog, strlen(test_catalog), &cat, err, sizeof err) != 0)
        fail_msg("catalog: %s", err);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    calendar_destroy(&cal);
    region_destroy(&regions);
    catalog_destroy(&cat);
    return 0;
}

static int64_t
day(const char *text)
{
    int64_t d;
    assert_int_equal(calendar_parse_date(text, strlen(text), &d), 0);
    return d;
}

/* The instant `hours` into a local day. */
static int64_t
at(const char *date, int64_t hours)
{
    return calendar_day_start_ms(day(date)) + hours * 3600 * 1000;
}

/* A red limit.legal of department SWJ at county 510104, raised 2026-04-02 10:00, open. */
static struct alert
county_alert(void)
{
    struct alert a;
    memset(&a, 0, sizeof a);
    snprintf(a.node, sizeof a.node, "510104");
    snprintf(a.dept, sizeof a.dept, "SWJ");
    snprintf(a.rule, sizeof a.rule, "limit.legal");
    snprintf(a.article, sizeof a.article, "10(2)3");
    snprintf(a.item, sizeof a.item, "LIC");
    snprintf(a.subject_kind, sizeof a.subject_kind, "case");
    snprintf(a.subject, sizeof a.subject, "C-1");
    snprintf(a.detail, sizeof a.detail, "法定时限已用尽");
    alert_make_id(&a);
    a.light = a.finding = ALERT_RED;
    a.state = ALERT_OPEN;
    a.raised_ms = a.finding_ms = at("2026-04-02", 10);
    alert_log(&a, a.raised_ms, ALERT_RAISED, ALERT_RED);
    return a;
}

/* ---- names ---- */

static void
rules_categories_and_handling_have_chinese_names(void **state)
{
    (void)state;
    assert_string_equal(view_rule_name("limit.legal"), "法定时限");
    assert_string_equal(view_rule_name("node.silent"), "节点失联"); /* docs/api.md */
    assert_string_equal(view_rule_name("no.such.rule"), "no.such.rule");
    assert_string_equal(view_rule_name(""), "");
    assert_string_equal(view_category_name("licensing"), "行政许可");
    assert_string_equal(view_category_name("no-such"), "no-such");
    /* every rule of docs/rules.md that raises an alert (feedback.overdue is a ledger entry, not an
     * alert of its own) and every category of the catalogue has a name of its own */
    static const char *const rules[] = {
        "limit.case",        "limit.legal",        "limit.step",        "procedure.order",
        "procedure.rollback", "qualification",      "evidence.missing",  "evidence.altered",
        "basis.missing",     "discretion",         "execution.mismatch", "execution.missing",
        "item.unlisted",     "item.offline",       "item.mismatch",     "disclosure.late",
        "rating.bad",        "node.clock",         "calendar.coverage", "node.silent",
        "node.disk",         "complaint.overdue",  "supervision.overdue", "patrol.shortfall"};
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (strcmp(view_rule_name(rules[i]), rules[i]) == 0)
            fail_msg("rule %s has no name", rules[i]);
    static const char *const cats[] = {"licensing",    "penalty",      "levy",    "enforcement",
                                       "confirmation", "adjudication", "payment", "other"};
    for (size_t i = 0; i < sizeof cats / sizeof cats[0]; i++)
        if (strcmp(view_category_name(cats[i]), cats[i]) == 0)
            fail_msg("category %s has no name", cats[i]);

    struct alert a = county_alert();
    assert_string_equal(view_handling_name(&a), "待答复");
    struct alert alarm = a; /* a platform alarm is not answered: it clears */
    snprintf(alarm.rule, sizeof alarm.rule, "calendar.coverage");
    assert_string_equal(view_handling_name(&alarm), "待消除");
    a.state = ALERT_RESPONDED;
    a.responded_ms = at("2026-04-03", 9);
    assert_string_equal(view_handling_name(&a), "已说明");
    a.corrected_ms = at("2026-04-03", 9);
    assert_string_equal(view_handling_name(&a), "已整改");
    a.state = ALERT_CLOSED;
    a.closed_ms = at("2026-04-07", 9);
    assert_string_equal(view_handling_name(&a), "已摘牌");
    a = county_alert();
    a.state = ALERT_CLEARED;
    assert_string_equal(view_handling_name(&a), "已消除");
}

/* ---- filters ---- */

static void
check_refused(const struct view_alert_filter *f, const char *want_field)
{
    char field[64] = "", reason[192] = "";
    assert_int_equal(view_alert_filter_check(f, field, reason), ERR_INVALID);
    assert_string_equal(field, want_field);
    assert_true(strlen(reason) > 0);
}

static void
check_accepted(const struct view_alert_filter *f)
{
    char field[64] = "", reason[192] = "";
    int rc = view_alert_filter_check(f, field, reason);
    if (rc != 0)
        fail_msg("filter refused: %s: %s", field, reason);
}

static void
a_filter_that_cannot_match_is_refused(void **state)
{
    (void)state;
    struct view_alert_filter f = {0};
    check_accepted(&f);
    f.light = "blue";
    check_refused(&f, "light");
    f.light = "Red";
    check_refused(&f, "light");
    f.light = "red";
    check_accepted(&f);
    f.light = "yellow";
    check_accepted(&f);
    f.state = "bogus";
    check_refused(&f, "state");
    static const char *const states[] = {"open", "responded", "closed", "cleared", "standing"};
    for (size_t i = 0; i < 5; i++) {
        f.state = states[i];
        check_accepted(&f);
    }
    f.node = "5101";
    check_refused(&f, "node");
    f.node = "51010a";
    check_refused(&f, "node");
    f.node = "5101040";
    check_refused(&f, "node");
    f.node = "510104";
    check_accepted(&f);
    f.rule = "limit.legal";
    f.dept = "SWJ";
    f.article = "10(2)3";
    f.queue = "510100";
    f.from_day = day("2026-04-01");
    f.has_from = true;
    f.to_day = day("2026-04-30");
    f.has_to = true;
    check_accepted(&f);
}

static void
alerts_match_every_field_of_a_filter(void **state)
{
    (void)state;
    struct alert a = county_alert();
    struct view_alert_filter f = {0};
    assert_true(view_alert_matches(&a, &f));

    f.light = "red";
    assert_true(view_alert_matches(&a, &f));
    f.light = "yellow";
    assert_false(view_alert_matches(&a, &f));
    f.light = NULL;

    f.rule = "limit.legal";
    assert_true(view_alert_matches(&a, &f));
    f.rule = "limit.case";
    assert_false(view_alert_matches(&a, &f));
    f.rule = NULL;

    f.dept = "SWJ";
    assert_true(view_alert_matches(&a, &f));
    f.dept = "SCJGJ";
    assert_false(view_alert_matches(&a, &f));
    f.dept = NULL;

    f.article = "10(2)3";
    assert_true(view_alert_matches(&a, &f));
    f.article = "10(3)";
    assert_false(view_alert_matches(&a, &f));
    f.article = NULL;

    f.node = "510104";
    assert_true(view_alert_matches(&a, &f));
    f.node = "510105";
    assert_false(view_alert_matches(&a, &f));
    f.node = NULL;

    /* the queue: "" in the alert means its own node handles it (alert.h) */
    f.queue = "510104";
    assert_true(view_alert_matches(&a, &f));
    f.queue = "510100";
    assert_false(view_alert_matches(&a, &f));
    snprintf(a.queue, sizeof a.queue, "510100");
    assert_true(view_alert_matches(&a, &f));
    f.queue = "510104";
    assert_false(view_alert_matches(&a, &f));
    f.queue = NULL;
    a.queue[0] = '\0';

    /* states, and standing = open or responded */
    static const struct {
        enum alert_state state;
        bool open, responded, closed, cleared, standing;
    } st[] = {
        {ALERT_OPEN, true, false, false, false, true},
        {ALERT_RESPONDED, false, true, false, false, true},
        {ALERT_CLOSED, false, false, true, false, false},
        {ALERT_CLEARED, false, false, false, true, false},
    };
    for (size_t i = 0; i < 4; i++) {
        a.state = st[i].state;
        f.state = "open";
        assert_int_equal(view_alert_matches(&a, &f), st[i].open);
        f.state = "responded";
        assert_int_equal(view_alert_matches(&a, &f), st[i].responded);
        f.state = "closed";
        assert_int_equal(view_alert_matches(&a, &f), st[i].closed);
        f.state = "cleared";
        assert_int_equal(view_alert_matches(&a, &f), st[i].cleared);
        f.state = "standing";
        assert_int_equal(view_alert_matches(&a, &f), st[i].standing);
    }
    f.state = NULL;
    a.state = ALERT_OPEN;

    /* several fields at once: all must match */
    f.light = "red";
    f.dept = "SWJ";
    f.rule = "limit.legal";
    assert_true(view_alert_matches(&a, &f));
    f.dept = "SCJGJ";
    assert_false(view_alert_matches(&a, &f));
    f.dept = "SWJ";
    f.light = "yellow";
    assert_false(view_alert_matches(&a, &f));
}

static void
the_day_range_is_of_local_days(void **state)
{
    (void)state;
    struct alert a = county_alert();
    /* 01:00 in Chengdu on 04-02 is 04-01 in UTC: the local day counts */
    a.raised_ms = at("2026-04-02", 1);
    struct view_alert_filter f = {0};
    f.has_from = true;
    f.from_day = day("2026-04-02");
    assert_true(view_alert_matches(&a, &f));
    f.from_day = day("2026-04-01");
    assert_true(view_alert_matches(&a, &f));
    f.from_day = day("2026-04-03");
    assert_false(view_alert_matches(&a, &f));
    f.has_from = false;
    f.has_to = true;
    f.to_day = day("2026-04-02");
    assert_true(view_alert_matches(&a, &f));
    f.to_day = day("2026-04-01");
    assert_false(view_alert_matches(&a, &f));
    f.to_day = day("2026-04-30");
    assert_true(view_alert_matches(&a, &f));
    /* the ends of the day are in it */
    f.has_from = true;
    f.from_day = f.to_day = day("2026-04-02");
    a.raised_ms = calendar_day_start_ms(day("2026-04-02"));
    assert_true(view_alert_matches(&a, &f));
    a.raised_ms = calendar_day_start_ms(day("2026-04-03")) - 1;
    assert_true(view_alert_matches(&a, &f));
    a.raised_ms = calendar_day_start_ms(day("2026-04-03"));
    assert_false(view_alert_matches(&a, &f));
    a.raised_ms = calendar_day_start_ms(day("2026-04-02")) - 1;
    assert_false(view_alert_matches(&a, &f));
    /* a range that holds the day, with other fields */
    a.raised_ms = at("2026-04-02", 10);
    f.from_day = day("2026-03-01");
    f.to_day = day("2026-04-05");
    f.light = "red";
    assert_true(view_alert_matches(&a, &f));
    f.light = "yellow";
    assert_false(view_alert_matches(&a, &f));
}

/* ---- alert JSON ---- */

static json_t *
alert_json(const struct alert *a, const struct view_names *n, int64_t now)
{
    json_t *o = view_alert_json(a, n, now);
    assert_non_null(o);
    assert_true(json_is_object(o));
    return o;
}

/* answer_wd_left of the alert as of now, or INT64_MIN when absent. */
static int64_t
wd_left(const struct alert *a, const struct view_names *n, int64_t now)
{
    json_t *o = alert_json(a, n, now);
    json_t *v = json_object_get(o, "answer_wd_left");
    int64_t r = INT64_MIN;
    if (v) {
        assert_true(json_is_integer(v));
        r = json_integer_value(v);
    }
    json_decref(o);
    return r;
}

static void
an_alert_shows_its_names_beside_its_fields(void **state)
{
    (void)state;
    struct alert a = county_alert();
    snprintf(a.dept, sizeof a.dept, "D");
    struct view_names n = {regions, cat, cal};
    int64_t now = at("2026-04-02", 12);
    json_t *o = alert_json(&a, &n, now);
    /* every field alert_to_json gives, unchanged */
    char *plain = alert_to_json(&a);
    json_error_t je;
    json_t *p = json_loads(plain, 0, &je);
    assert_non_null(p);
    const char *k;
    json_t *v;
    json_object_foreach(p, k, v) {
        json_t *w = json_object_get(o, k);
        if (!w || !json_equal(v, w))
            fail_msg("field %s of alert_to_json differs in view_alert_json", k);
    }
    json_decref(p);
    free(plain);
    assert_string_equal(json_string_value(json_object_get(o, "rule_name")), "法定时限");
    assert_string_equal(json_string_value(json_object_get(o, "node_name")), "锦江区");
    assert_string_equal(json_string_value(json_object_get(o, "dept_name")), "市场监督管理局");
    assert_null(json_object_get(o, "answer_wd_left")); /* no deadline */
    json_decref(o);

    /* without tables the names are null (the rule's name needs none) */
    struct view_names none = {NULL, NULL, NULL};
    o = alert_json(&a, &none, now);
    assert_true(json_is_null(json_object_get(o, "node_name")));
    assert_true(json_is_null(json_object_get(o, "dept_name")));
    assert_string_equal(json_string_value(json_object_get(o, "rule_name")), "法定时限");
    json_decref(o);
    o = view_alert_json(&a, NULL, now);
    assert_non_null(o);
    assert_true(json_is_null(json_object_get(o, "node_name")));
    json_decref(o);

    /* a code the region file does not list, a department the catalogue does not name */
    snprintf(a.node, sizeof a.node, "519999");
    snprintf(a.dept, sizeof a.dept, "ZZZ");
    o = alert_json(&a, &n, now);
    assert_true(json_is_null(json_object_get(o, "node_name")));
    assert_true(json_is_null(json_object_get(o, "dept_name")));
    json_decref(o);
    /* an unknown rule names itself */
    snprintf(a.rule, sizeof a.rule, "x.unknown");
    o = alert_json(&a, &n, now);
    assert_string_equal(json_string_value(json_object_get(o, "rule_name")), "x.unknown");
    json_decref(o);
}

static void
answer_working_days_left_count_the_calendar(void **state)
{
    (void)state;
    /* due at the midnight ending Wednesday 2026-04-08. From Thursday 04-02: Friday 04-03, then
     * Qingming (04-04 .. 04-06, Monday a holiday), Tuesday 04-07, Wednesday 04-08: 3 working days
     * (a plain Monday-to-Friday count would reach 04-08 in 4). */
    assert_true(calendar_is_workday(cal, day("2026-04-03")));
    assert_false(calendar_is_workday(cal, day("2026-04-06")));
    assert_true(calendar_is_workday(cal, day("2026-04-07")));
    assert_true(calendar_is_workday(cal, day("2026-04-08")));
    struct alert a = county_alert();
    a.answer_from_ms = a.raised_ms;
    a.answer_due_ms = calendar_day_start_ms(day("2026-04-09"));
    struct view_names n = {regions, cat, cal};
    assert_int_equal(wd_left(&a, &n, at("2026-04-02", 10)), 3);
    assert_int_equal(wd_left(&a, &n, at("2026-04-02", 0)), 3);
    assert_int_equal(wd_left(&a, &n, at("2026-04-03", 23)), 2);
    assert_int_equal(wd_left(&a, &n, at("2026-04-04", 10)), 2); /* a holiday: 04-07, 04-08 */
    assert_int_equal(wd_left(&a, &n, at("2026-04-06", 10)), 2);
    assert_int_equal(wd_left(&a, &n, at("2026-04-07", 10)), 1);
    /* on its last day, to its last millisecond */
    assert_int_equal(wd_left(&a, &n, at("2026-04-08", 0)), 0);
    assert_int_equal(wd_left(&a, &n, at("2026-04-08", 10)), 0);
    assert_int_equal(wd_left(&a, &n, a.answer_due_ms - 1), 0);
    /* missed */
    assert_true(wd_left(&a, &n, a.answer_due_ms) < 0);
    assert_true(wd_left(&a, &n, at("2026-04-09", 10)) < 0);
    assert_true(wd_left(&a, &n, at("2026-04-20", 10)) < 0);
    assert_true(wd_left(&a, &n, at("2026-04-20", 10)) < wd_left(&a, &n, at("2026-04-09", 10)));
    /* absent without a deadline, or without a calendar */
    struct view_names nocal = {regions, cat, NULL};
    assert_true(wd_left(&a, &nocal, at("2026-04-02", 10)) == INT64_MIN);
    a.answer_due_ms = 0;
    assert_true(wd_left(&a, &n, at("2026-04-02", 10)) == INT64_MIN);

    /* across the National Day week: due at the end of Monday 2026-10-12, now Monday 09-28:
     * 09-29, 09-30, (10-01 .. 10-07 holidays), 10-08, 10-09, 10-10 (a Saturday worked), 10-12 */
    assert_true(calendar_is_workday(cal, day("2026-10-10")));
    a.answer_due_ms = calendar_day_start_ms(day("2026-10-13"));
    assert_int_equal(wd_left(&a, &n, at("2026-09-28", 15)), 6);
    assert_int_equal(wd_left(&a, &n, at("2026-10-12", 15)), 0);
}

/* ---- scope ---- */

static void
scope_is_a_subtree_and_a_department(void **state)
{
    (void)state;
    struct view_scope all = {0, NULL};
    assert_true(view_node_in_scope(&all, 510000));
    assert_true(view_node_in_scope(&all, 510104));
    assert_true(view_node_in_scope(&all, 510302));
    struct view_scope prov = {510000, NULL};
    assert_true(view_node_in_scope(&prov, 510000));
    assert_true(view_node_in_scope(&prov, 510104));
    assert_false(view_node_in_scope(&prov, 520000));
    assert_false(view_node_in_scope(&prov, 520104));
    struct view_scope city = {510100, NULL};
    assert_true(view_node_in_scope(&city, 510100));
    assert_true(view_node_in_scope(&city, 510104));
    assert_false(view_node_in_scope(&city, 510000));
    assert_false(view_node_in_scope(&city, 510300));
    assert_false(view_node_in_scope(&city, 510302));
    struct view_scope county = {510104, NULL};
    assert_true(view_node_in_scope(&county, 510104));
    assert_false(view_node_in_scope(&county, 510100));
    assert_false(view_node_in_scope(&county, 510105));

    struct alert a = county_alert(); /* SWJ at 510104 */
    assert_true(view_alert_in_scope(&all, &a));
    assert_true(view_alert_in_scope(&city, &a));
    assert_false(view_alert_in_scope(&(struct view_scope){510300, NULL}, &a));
    struct view_scope swj = {510100, "SWJ"};
    assert_true(view_alert_in_scope(&swj, &a));
    struct view_scope scj = {510100, "SCJGJ"};
    assert_false(view_alert_in_scope(&scj, &a));
    struct view_scope swj_elsewhere = {510300, "SWJ"};
    assert_false(view_alert_in_scope(&swj_elsewhere, &a));
    struct view_scope swj_all = {0, "SWJ"};
    assert_true(view_alert_in_scope(&swj_all, &a));
    snprintf(a.node, sizeof a.node, "510302");
    assert_false(view_alert_in_scope(&swj, &a));
    assert_true(view_alert_in_scope(&swj_all, &a));
}

/* ---- nodes ---- */

static void
a_node_row_carries_its_names_and_alarms(void **state)
{
    (void)state;
    struct view_names n = {regions, cat, cal};
    int64_t now = at("2026-04-02", 10);
    struct view_node r;
    memset(&r, 0, sizeof r);
    r.node = 510104;
    r.records = 1200;
    r.red_open = 2;
    r.yellow_open = 5;
    r.coverage = 0;
    r.disk = 2;
    snprintf(r.alarms[0].rule, sizeof r.alarms[0].rule, "node.silent");
    r.alarms[0].light = ALERT_RED;
    r.n_alarms = 1;
    json_t *o = view_node_json(&r, &n, now);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "node")), "510104");
    assert_string_equal(json_string_value(json_object_get(o, "name")), "锦江区");
    assert_string_equal(json_string_value(json_object_get(o, "parent")), "510100");
    assert_int_equal(json_integer_value(json_object_get(o, "depth")), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "records")), 1200);
    assert_int_equal(json_integer_value(json_object_get(o, "red")), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "yellow")), 5);
    assert_string_equal(json_string_value(json_object_get(o, "coverage")), "ok");
    assert_string_equal(json_string_value(json_object_get(o, "disk")), "red");
    /* a node without delivery state does not know these (docs/api.md) */
    static const char *const unknown[] = {"backlog", "lag_s", "skew_ms", "last_contact"};
    for (size_t i = 0; i < 4; i++) {
        json_t *v = json_object_get(o, unknown[i]);
        if (!json_is_null(v))
            fail_msg("%s should be null without delivery state", unknown[i]);
    }
    json_t *al = json_object_get(o, "alarms");
    assert_true(json_is_array(al));
    assert_int_equal(json_array_size(al), 1);
    json_t *a0 = json_array_get(al, 0);
    assert_string_equal(json_string_value(json_object_get(a0, "rule")), "node.silent");
    assert_string_equal(json_string_value(json_object_get(a0, "rule_name")), "节点失联");
    assert_string_equal(json_string_value(json_object_get(a0, "light")), "red");
    json_decref(o);

    /* a city heard directly: its delivery state */
    memset(&r, 0, sizeof r);
    r.node = 510100;
    r.has_state = true;
    r.sealed_known = true;
    r.last_seq = r.sealed_seq = 41;
    r.last_contact_ms = now - 3000;
    r.skew_ms = 12;
    r.catalog = 3;
    r.calendar = 1;
    r.crl = 2;
    r.coverage = 1;
    o = view_node_json(&r, &n, now);
    assert_string_equal(json_string_value(json_object_get(o, "name")), "成都市");
    assert_string_equal(json_string_value(json_object_get(o, "parent")), "510000");
    assert_int_equal(json_integer_value(json_object_get(o, "depth")), 1);
    assert_int_equal(json_integer_value(json_object_get(o, "batch")), 41);
    assert_int_equal(json_integer_value(json_object_get(o, "backlog")), 0);
    assert_int_equal(json_integer_value(json_object_get(o, "lag_s")), 3);
    assert_int_equal(json_integer_value(json_object_get(o, "skew_ms")), 12);
    assert_int_equal(json_integer_value(json_object_get(o, "catalog")), 3);
    assert_int_equal(json_integer_value(json_object_get(o, "calendar")), 1);
    assert_int_equal(json_integer_value(json_object_get(o, "crl")), 2);
    assert_string_equal(json_string_value(json_object_get(o, "coverage")), "yellow");
    assert_string_equal(json_string_value(json_object_get(o, "disk")), "ok");
    json_t *lc = json_object_get(o, "last_contact");
    assert_true(json_is_string(lc));
    int64_t t;
    const char *why;
    assert_int_equal(timestamp_parse(json_string_value(lc), strlen(json_string_value(lc)), &t, &why),
                     0);
    assert_int_equal(t, now - 3000);
    al = json_object_get(o, "alarms");
    assert_true(json_is_array(al));
    assert_int_equal(json_array_size(al), 0);
    json_decref(o);

    /* the province: no parent, depth 0; without a region table no name */
    memset(&r, 0, sizeof r);
    r.node = 510000;
    o = view_node_json(&r, NULL, now);
    assert_string_equal(json_string_value(json_object_get(o, "node")), "510000");
    assert_true(json_is_null(json_object_get(o, "name")));
    assert_true(json_is_null(json_object_get(o, "parent")));
    assert_int_equal(json_integer_value(json_object_get(o, "depth")), 0);
    json_decref(o);
}

/* ---- supervision ---- */

static int64_t
json_time(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        fail_msg("%s is not a time", key);
    int64_t t;
    const char *why;
    assert_int_equal(timestamp_parse(json_string_value(v), strlen(json_string_value(v)), &t, &why),
                     0);
    return t;
}

static void
a_supervision_case_shows_its_state_and_days_left(void **state)
{
    (void)state;
    struct supervision s;
    memset(&s, 0, sizeof s);
    snprintf(s.id, sizeof s.id, "S-1");
    snprintf(s.node, sizeof s.node, "510100");
    snprintf(s.target_node, sizeof s.target_node, "510104");
    snprintf(s.target_dept, sizeof s.target_dept, "D");
    snprintf(s.by, sizeof s.by, "wu.fang");
    snprintf(s.alert, sizeof s.alert, "A-0123456789abcdef");
    snprintf(s.subject, sizeof s.subject, "核查");
    s.opened_ms = at("2026-03-10", 9);
    s.due_ms = calendar_day_start_ms(day("2026-04-09")); /* ends with 04-08 */
    struct view_names n = {regions, cat, cal};
    int64_t now = at("2026-04-02", 10);
    json_t *o = view_supervision_json(&s, &n, now);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "supervision")), "S-1");
    assert_string_equal(json_string_value(json_object_get(o, "office")), "510100");
    assert_string_equal(json_string_value(json_object_get(o, "target_node")), "510104");
    assert_string_equal(json_string_value(json_object_get(o, "target_dept")), "D");
    assert_string_equal(json_string_value(json_object_get(o, "dept_name")), "市场监督管理局");
    assert_string_equal(json_string_value(json_object_get(o, "subject")), "核查");
    assert_string_equal(json_string_value(json_object_get(o, "alert")), "A-0123456789abcdef");
    assert_string_equal(json_string_value(json_object_get(o, "state")), "open");
    assert_string_equal(json_string_value(json_object_get(o, "state")),
                        supervision_state(&s, now));
    assert_int_equal(json_integer_value(json_object_get(o, "wd_left")), 3);
    assert_int_equal(json_integer_value(json_object_get(o, "extended_wd")), 0);
    assert_int_equal(json_time(o, "opened_at"), s.opened_ms);
    assert_int_equal(json_time(o, "due"), s.due_ms);
    assert_true(json_is_null(json_object_get(o, "reported_at")));
    assert_true(json_is_null(json_object_get(o, "closed_at")));
    json_decref(o);
    /* on its last day, then late */
    o = view_supervision_json(&s, &n, at("2026-04-08", 16));
    assert_int_equal(json_integer_value(json_object_get(o, "wd_left")), 0);
    json_decref(o);
    now = at("2026-04-09", 10);
    o = view_supervision_json(&s, &n, now);
    assert_string_equal(json_string_value(json_object_get(o, "state")), "overdue");
    assert_string_equal(json_string_value(json_object_get(o, "state")),
                        supervision_state(&s, now));
    assert_true(json_integer_value(json_object_get(o, "wd_left")) < 0);
    json_decref(o);
    /* reported, then closed */
    s.reported_ms = at("2026-04-07", 11);
    o = view_supervision_json(&s, &n, now);
    assert_string_equal(json_string_value(json_object_get(o, "state")),
                        supervision_state(&s, now));
    assert_int_equal(json_time(o, "reported_at"), s.reported_ms);
    json_decref(o);
    s.closed_ms = at("2026-04-08", 11);
    o = view_supervision_json(&s, &n, now);
    assert_string_equal(json_string_value(json_object_get(o, "state")), "closed");
    assert_int_equal(json_time(o, "closed_at"), s.closed_ms);
    json_decref(o);
    /* without a calendar: no days left to count; without a catalogue: no name */
    struct view_names bare = {regions, NULL, NULL};
    o = view_supervision_json(&s, &bare, now);
    json_t *w = json_object_get(o, "wd_left");
    assert_true(w == NULL || json_is_null(w));
    assert_true(json_is_null(json_object_get(o, "dept_name")));
    json_decref(o);
}

/* ---- views of a store ---- */

struct tmpstore {
    char *dir;
    store_t *st;
};

static void
tmpstore_open(struct tmpstore *ts)
{
    ts->dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 8 << 20};
    assert_int_equal(store_open(ts->dir, &o, &ts->st), 0);
}

static void
tmpstore_close(struct tmpstore *ts)
{
    store_close(&ts->st);
    testutil_rmdir(ts->dir);
}

static void
string_array_is(json_t *a, const char *const *want, size_t n)
{
    assert_true(json_is_array(a));
    assert_int_equal(json_array_size(a), n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(json_string_value(json_array_get(a, i)), want[i]);
}

static void
an_empty_store_has_no_rows(void **state)
{
    (void)state;
    struct tmpstore ts;
    tmpstore_open(&ts);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(ts.st, &t), 0);
    struct view_node *rows = NULL;
    size_t n = 99;
    assert_int_equal(view_nodes(t, NULL, NULL, &rows, &n), 0);
    assert_int_equal(n, 0);
    free(rows);
    json_t *ev = json_array();
    int rc = view_case_events(t, 510104, "C-1", ev);
    assert_true(rc == 0 || rc == ERR_NOT_FOUND);
    assert_int_equal(json_array_size(ev), 0);
    json_decref(ev);
    store_abort(&t);

    struct view_score_row *sr = NULL;
    n = 99;
    struct view_scope all = {0, NULL};
    assert_int_equal(view_scores(ts.st, day("2026-03-01"), day("2026-04-01"), SCORE_BY_NODE, &all,
                                 &sr, &n),
                     0);
    assert_int_equal(n, 0);
    free(sr);

    json_t *out = NULL;
    assert_int_equal(view_trends(ts.st, "2026-03", 3, &all, &out), 0);
    assert_non_null(out);
    static const char *const m3[] = {"2026-01", "2026-02", "2026-03"};
    string_array_is(json_object_get(out, "months"), m3, 3);
    assert_true(json_is_array(json_object_get(out, "lights")));
    assert_int_equal(json_array_size(json_object_get(out, "lights")), 0);
    assert_true(json_is_array(json_object_get(out, "volumes")));
    assert_int_equal(json_array_size(json_object_get(out, "volumes")), 0);
    json_decref(out);
    /* across a year's end, one month, and the most */
    assert_int_equal(view_trends(ts.st, "2026-02", 4, &all, &out), 0);
    static const char *const m4[] = {"2025-11", "2025-12", "2026-01", "2026-02"};
    string_array_is(json_object_get(out, "months"), m4, 4);
    json_decref(out);
    assert_int_equal(view_trends(ts.st, "2026-03", 1, &all, &out), 0);
    static const char *const m1[] = {"2026-03"};
    string_array_is(json_object_get(out, "months"), m1, 1);
    json_decref(out);
    assert_int_equal(view_trends(ts.st, "2026-03", VIEW_TREND_MONTHS_MAX, &all, &out), 0);
    json_t *months = json_object_get(out, "months");
    assert_int_equal(json_array_size(months), 24);
    assert_string_equal(json_string_value(json_array_get(months, 0)), "2024-04");
    assert_string_equal(json_string_value(json_array_get(months, 23)), "2026-03");
    json_decref(out);

    /* bad counts and months */
    static const int bad_counts[] = {0, -1, 25, 1000};
    for (size_t i = 0; i < 4; i++) {
        out = NULL;
        assert_int_equal(view_trends(ts.st, "2026-03", bad_counts[i], &all, &out), ERR_INVALID);
        assert_null(out);
    }
    static const char *const bad_months[] = {"2026-13", "2026-00", "2026-3", "26-03", "2026/03",
                                             "2026-03-01", "", "abcd-ef"};
    for (size_t i = 0; i < sizeof bad_months / sizeof bad_months[0]; i++) {
        out = NULL;
        if (view_trends(ts.st, bad_months[i], 3, &all, &out) != ERR_INVALID)
            fail_msg("month \"%s\" not refused", bad_months[i]);
        assert_null(out);
    }
    tmpstore_close(&ts);
}

/* A collector's store at county 510104 with November's cases judged (as report_test builds it). */
static int n_sent;

static void
send(store_t *st, const char *json)
{
    struct testcounty c = {st, 510104, cat, cal, "2026-11-02", n_sent};
    assert_string_equal(testcounty_send(&c, json), "");
    n_sent = c.n_sent;
}

static void
judge_round(store_t *st, const char *when)
{
    struct testcounty c = {st, 510104, cat, cal, "2026-11-02", n_sent};
    testcounty_judge(&c, when);
}

static void
november(store_t *st)
{
    n_sent = 0;
    send(st, "\"type\":\"case.accept\",\"case\":\"C1\",\"item\":\"LIC\",\"dept\":\"D\",\"handler\":"
             "\"h\",\"at\":\"2026-11-02T09:00:00+08:00\"");
    send(st, "\"type\":\"case.decision\",\"case\":\"C1\",\"outcome\":\"grant\",\"handler\":\"h\","
             "\"basis\":[\"法1\"],\"at\":\"2026-11-04T09:00:00+08:00\"");
    send(st, "\"type\":\"case.accept\",\"case\":\"C2\",\"item\":\"LIC\",\"dept\":\"D\",\"handler\":"
             "\"h\",\"at\":\"2026-11-02T10:00:00+08:00\"");
    send(st, "\"type\":\"case.accept\",\"case\":\"C3\",\"item\":\"LIC\",\"dept\":\"D\",\"handler\":"
             "\"h\",\"at\":\"2026-11-03T10:00:00+08:00\"");
    send(st, "\"type\":\"rating\",\"case\":\"C1\",\"rating\":1,\"at\":\"2026-11-05T10:00:00+08:00\"");
    send(st, "\"type\":\"case.accept\",\"case\":\"C4\",\"item\":\"LEVY\",\"dept\":\"E\",\"handler\":"
             "\"h\",\"at\":\"2026-11-02T10:00:00+08:00\"");
    send(st, "\"type\":\"case.decision\",\"case\":\"C4\",\"outcome\":\"grant\",\"handler\":\"h\","
             "\"basis\":[\"法2\"],\"at\":\"2026-11-03T09:00:00+08:00\"");
    send(st, "\"type\":\"case.accept\",\"case\":\"C5\",\"item\":\"LEVY\",\"dept\":\"E\",\"handler\":"
             "\"h\",\"at\":\"2026-11-02T11:00:00+08:00\"");
    send(st, "\"type\":\"case.decision\",\"case\":\"C3\",\"outcome\":\"grant\",\"handler\":\"h\","
             "\"basis\":[\"法1\"],\"at\":\"2026-11-10T09:00:00+08:00\"");
    judge_round(st, "2026-11-04T00:00:01+08:00");
    judge_round(st, "2026-11-30T12:00:00+08:00");
}

static void
sum_one(void *arg, const char *key, const struct score_counters *c)
{
    (void)key;
    score_add(arg, c);
}

/* Counting what the store holds by itself, to compare the views with. */
struct tally {
    uint64_t records, red_open, yellow_open, alerts;
    uint64_t red_open_d, yellow_open_d; /* of department D */
};

static int
count_record(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    (void)key;
    (void)klen;
    (void)val;
    (void)vlen;
    ((struct tally *)arg)->records++;
    return 0;
}

static int
count_alert(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    (void)key;
    (void)klen;
    struct tally *t = arg;
    struct alert a;
    assert_int_equal(alert_decode_bytes(val, vlen, &a), 0);
    t->alerts++;
    if (strcmp(a.node, "510104") == 0 && alert_is_department(a.rule) &&
        (a.state == ALERT_OPEN || a.state == ALERT_RESPONDED)) {
        bool d = strcmp(a.dept, "D") == 0;
        if (a.light == ALERT_RED) {
            t->red_open++;
            t->red_open_d += d;
        } else {
            t->yellow_open++;
            t->yellow_open_d += d;
        }
    }
    return 0;
}

static void
a_judged_month_gives_scores_trends_and_nodes(void **state)
{
    (void)state;
    struct tmpstore ts;
    tmpstore_open(&ts);
    november(ts.st);
    int64_t first, next;
    assert_int_equal(calendar_parse_month("2026-11", &first, &next), 0);
    struct score_counters want = {0};
    assert_int_equal(counter_sum(ts.st, first, next, SCORE_BY_NODE, NULL, sum_one, &want), 0);
    assert_int_equal(want.cases, 5);
    assert_true(want.red >= 2);

    /* scores by node: the county's one row, its counters the sheets' sums, scored by the formula */
    struct view_scope all = {0, NULL};
    struct view_score_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(view_scores(ts.st, first, next, SCORE_BY_NODE, &all, &rows, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].key, "510104");
    assert_memory_equal(&rows[0].c, &want, sizeof want);
    struct score_result sr;
    score_compute(&want, &score_default_weights, &sr);
    assert_true(rows[0].r.score == sr.score);
    assert_string_equal(rows[0].r.grade, sr.grade);
    struct view_names names = {regions, cat, cal};
    json_t *o = view_score_json(&rows[0], 1, "2026-11", SCORE_BY_NODE, &names);
    assert_int_equal(json_integer_value(json_object_get(o, "rank")), 1);
    assert_string_equal(json_string_value(json_object_get(o, "key")), "510104");
    assert_string_equal(json_string_value(json_object_get(o, "name")), "锦江区");
    assert_string_equal(json_string_value(json_object_get(o, "period")), "2026-11");
    assert_int_equal(json_integer_value(json_object_get(o, "cases")), 5);
    assert_int_equal(json_integer_value(json_object_get(o, "concluded")), want.concluded);
    assert_int_equal(json_integer_value(json_object_get(o, "red")), want.red);
    assert_int_equal(json_integer_value(json_object_get(o, "yellow")), want.yellow);
    assert_true(json_number_value(json_object_get(o, "score")) == sr.score);
    assert_true(json_number_value(json_object_get(o, "on_time_rate")) == sr.on_time_rate);
    assert_string_equal(json_string_value(json_object_get(o, "grade")), sr.grade);
    json_decref(o);
    free(rows);
    /* a month before holds nothing; another city's scope sees nothing of this county */
    assert_int_equal(view_scores(ts.st, day("2026-10-01"), first, SCORE_BY_NODE, &all, &rows, &n),
                     0);
    assert_int_equal(n, 0);
    free(rows);
    struct view_scope zigong = {510300, NULL};
    assert_int_equal(view_scores(ts.st, first, next, SCORE_BY_NODE, &zigong, &rows, &n), 0);
    assert_int_equal(n, 0);
    free(rows);
    struct view_scope chengdu = {510100, NULL};
    assert_int_equal(view_scores(ts.st, first, next, SCORE_BY_NODE, &chengdu, &rows, &n), 0);
    assert_int_equal(n, 1);
    free(rows);

    /* by category: levy and licensing, best first, ties by key, each scored by the formula */
    assert_int_equal(view_scores(ts.st, first, next, SCORE_BY_CATEGORY, &all, &rows, &n), 0);
    assert_int_equal(n, 2);
    uint64_t cases = 0;
    for (size_t i = 0; i < n; i++) {
        cases += rows[i].c.cases;
        score_compute(&rows[i].c, &score_default_weights, &sr);
        assert_true(rows[i].r.score == sr.score);
        if (strcmp(rows[i].key, "510104/licensing") == 0)
            assert_int_equal(rows[i].c.cases, 3);
        else if (strcmp(rows[i].key, "510104/levy") == 0)
            assert_int_equal(rows[i].c.cases, 2);
        else
            fail_msg("unexpected key %s", rows[i].key);
        if (i > 0) {
            assert_true(rows[i - 1].r.score >= rows[i].r.score);
            if (rows[i - 1].r.score == rows[i].r.score)
                assert_true(strcmp(rows[i - 1].key, rows[i].key) < 0);
        }
    }
    assert_int_equal(cases, 5);
    free(rows);

    /* trends: November's volumes by category, the lights by rule summing to the sheets' */
    json_t *tr = NULL;
    assert_int_equal(view_trends(ts.st, "2026-11", 3, &all, &tr), 0);
    static const char *const m3[] = {"2026-09", "2026-10", "2026-11"};
    string_array_is(json_object_get(tr, "months"), m3, 3);
    json_t *vol = json_object_get(tr, "volumes");
    assert_true(json_is_array(vol));
    uint64_t lic = 0, levy = 0;
    size_t i;
    json_t *e;
    json_array_foreach(vol, i, e) {
        const char *c = json_string_value(json_object_get(e, "category"));
        assert_non_null(c);
        assert_string_equal(json_string_value(json_object_get(e, "category_name")),
                            view_category_name(c));
        json_t *cs = json_object_get(e, "cases");
        assert_int_equal(json_array_size(cs), 3);
        assert_int_equal(json_integer_value(json_array_get(cs, 0)), 0);
        assert_int_equal(json_integer_value(json_array_get(cs, 1)), 0);
        if (strcmp(c, "licensing") == 0)
            lic = json_integer_value(json_array_get(cs, 2));
        else if (strcmp(c, "levy") == 0)
            levy = json_integer_value(json_array_get(cs, 2));
        else
            assert_int_equal(json_integer_value(json_array_get(cs, 2)), 0);
    }
    assert_int_equal(lic, 3);
    assert_int_equal(levy, 2);
    json_t *lights = json_object_get(tr, "lights");
    assert_true(json_is_array(lights));
    uint64_t red = 0, yellow = 0;
    json_array_foreach(lights, i, e) {
        const char *r = json_string_value(json_object_get(e, "rule"));
        assert_non_null(r);
        assert_string_equal(json_string_value(json_object_get(e, "rule_name")),
                            view_rule_name(r));
        json_t *ys = json_object_get(e, "yellow"), *rs = json_object_get(e, "red");
        assert_int_equal(json_array_size(ys), 3);
        assert_int_equal(json_array_size(rs), 3);
        for (size_t m = 0; m < 2; m++) {
            assert_int_equal(json_integer_value(json_array_get(ys, m)), 0);
            assert_int_equal(json_integer_value(json_array_get(rs, m)), 0);
        }
        yellow += json_integer_value(json_array_get(ys, 2));
        red += json_integer_value(json_array_get(rs, 2));
    }
    assert_int_equal(red, want.red);
    assert_int_equal(yellow, want.yellow);
    json_decref(tr);
    /* out of scope: nothing counted */
    assert_int_equal(view_trends(ts.st, "2026-11", 3, &zigong, &tr), 0);
    json_array_foreach(json_object_get(tr, "volumes"), i, e) {
        size_t m;
        json_t *x;
        json_array_foreach(json_object_get(e, "cases"), m, x)
            assert_int_equal(json_integer_value(x), 0);
    }
    json_array_foreach(json_object_get(tr, "lights"), i, e) {
        size_t m;
        json_t *x;
        json_array_foreach(json_object_get(e, "red"), m, x)
            assert_int_equal(json_integer_value(x), 0);
        json_array_foreach(json_object_get(e, "yellow"), m, x)
            assert_int_equal(json_integer_value(x), 0);
    }
    json_decref(tr);

    /* nodes: the county, its records and its open department lights as the store holds them */
    store_txn_t *t = NULL;
    assert_int_equal(store_read(ts.st, &t), 0);
    struct tally tl = {0};
    uint8_t pre[4];
    store_be32(pre, 510104);
    assert_int_equal(store_each_prefix(t, STORE_EVENTS, pre, 4, false, count_record, &tl), 0);
    assert_int_equal(store_each_prefix(t, STORE_ALERTS, NULL, 0, true, count_alert, &tl), 0);
    assert_true(tl.records >= 9);
    assert_true(tl.red_open >= 2);
    assert_true(tl.red_open_d >= 1 && tl.red_open_d < tl.red_open); /* C2 (D), C5 (E) */
    struct view_node *nodes = NULL;
    const struct view_node *county;
    static const struct {
        struct view_scope scope;
        bool null_scope, sees;
        int dept; /* 0: every department, 1: D */
    } sc[] = {
        {{0, NULL}, true, true, 0},       {{0, NULL}, false, true, 0},
        {{510000, NULL}, false, true, 0}, {{510100, NULL}, false, true, 0},
        {{510104, NULL}, false, true, 0}, {{510300, NULL}, false, false, 0},
        {{510105, NULL}, false, false, 0}, {{510100, "D"}, false, true, 1},
    };
    for (size_t s = 0; s < sizeof sc / sizeof sc[0]; s++) {
        assert_int_equal(
            view_nodes(t, NULL, sc[s].null_scope ? NULL : &sc[s].scope, &nodes, &n), 0);
        county = NULL;
        for (size_t k = 0; k < n; k++) {
            if (k > 0)
                assert_true(nodes[k - 1].node < nodes[k].node); /* code order, each once */
            if (!sc[s].null_scope)
                assert_true(view_node_in_scope(&sc[s].scope, nodes[k].node));
            if (nodes[k].node == 510104)
                county = &nodes[k];
        }
        if (!sc[s].sees) {
            assert_null(county);
            free(nodes);
            continue;
        }
        if (!county)
            fail_msg("scope %zu: no row of 510104", s);
        assert_int_equal(county->records, tl.records);
        assert_int_equal(county->red_open, sc[s].dept ? tl.red_open_d : tl.red_open);
        assert_int_equal(county->yellow_open, sc[s].dept ? tl.yellow_open_d : tl.yellow_open);
        free(nodes);
    }

    /* a case's records in the order stored */
    json_t *ev = json_array();
    assert_int_equal(view_case_events(t, 510104, "C1", ev), 0);
    assert_true(json_array_size(ev) >= 2);
    int64_t last = -1;
    json_array_foreach(ev, i, e) {
        json_t *seq = json_object_get(e, "seq");
        assert_true(json_is_integer(seq));
        assert_true(json_integer_value(seq) > last);
        last = json_integer_value(seq);
        json_t *rec = json_object_get(e, "record");
        assert_true(json_is_object(rec));
        assert_string_equal(json_string_value(json_object_get(rec, "case")), "C1");
    }
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_array_get(ev, 0), "record"), "type")),
        "case.accept");
    json_decref(ev);
    /* another case's records are not C1's; an unknown case adds nothing */
    ev = json_array();
    int rc = view_case_events(t, 510104, "C99", ev);
    assert_true(rc == 0 || rc == ERR_NOT_FOUND);
    assert_int_equal(json_array_size(ev), 0);
    json_decref(ev);
    store_abort(&t);
    tmpstore_close(&ts);
}

/* Every sentence the rules and alarms write, as their code prints it, reads in Chinese with its
 * figures; a sentence nobody wrote stays as it is. */
static void
details_read_in_chinese(void **state)
{
    (void)state;
    static const struct {
        const char *en, *zh;
    } cases[] = {
        {"limit of 10 working days used up", "10 个工作日的时限已用尽"},
        {"limit of 30 days used up", "30 日的时限已用尽"},
        {"8 of 10 working days used", "10 个工作日的时限已用去 8 个工作日"},
        {"24 of 30 days used", "30 日的时限已用去 24 日"},
        {"handler h9 has no licensing credential valid at that moment",
         "办理人 h9 办理时没有有效的 licensing 执法资格"},
        {"decision without required evidence: video photo", "作出决定时缺少必需的证据：视频 照片"},
        {"decision without required evidence: document", "作出决定时缺少必需的证据：文书"},
        {"basis \"《行政许可法》第三十条\" is not in the item's catalogue basis",
         "依据“《行政许可法》第三十条”不在该事项清单所列依据之中"},
        {"penalty level C is not defined for the item", "该事项没有裁量档次 C"},
        {"penalty 5000.00 yuan outside level B (1000.00 to 3000.00)",
         "罚款 5000.00 元超出裁量档次 B（1000.00 至 3000.00 元）"},
        {"item SC-XK-9 is not in the catalogue for node 510104 dept SWJ",
         "事项 SC-XK-9 不在节点 510104 部门 SWJ 的权力清单中"},
        {"step \"决定\" entered from \"(not accepted)\": not the next step",
         "从“(not accepted)”进入“决定”：不是下一个环节"},
        {"step \"盖章\" entered from \"受理\": not a step of the item", "从“受理”进入“盖章”：该事项没有此环节"},
        {"return from \"决定\" to \"受理\" is not allowed", "不允许从“决定”退回“受理”"},
        {"evidence V1 registered again with another hash after the decision",
         "证据 V1 在作出决定后以不同的摘要重新登记"},
        {"evidence V1 removed after the decision", "证据 V1 在作出决定后被删除"},
        {"executed 800.00 yuan, decided 1000.00 yuan", "执行 800.00 元，决定 1000.00 元"},
        {"applicant rated 1 of 5: call back within 1 wd, fix within 15 wd",
         "申请人评价 1 分（满分 5 分）：1 个工作日内回访，15 个工作日内整改"},
        {"penalty decided, no execution after 15 d + 3 wd", "处罚已决定，15 日又 3 个工作日后仍未执行"},
        {"published name differs from the catalogue", "公开的name与权力清单不符"},
        {"public item not published 5 working days after it took effect", "事项生效后 5 个工作日内未公开"},
        {"published more than 20 working days after it was generated", "信息生成后超过 20 个工作日才公开"},
        {"complaint open for 8 of 10 working days", "投诉信访已办理 8 个工作日（时限 10 个工作日）"},
        {"petition open past its limit of 60 days", "投诉信访超过 60 日的时限仍未办结"},
        {"no report from 510104/SWJ within 20 working days", "510104 SWJ 未在 20 个工作日内报告督办结果"},
        {"patrols short on 2026-11-20: own platform 0 of 1, cities 1 of 2, counties 3 of 8 patrolled",
         "2026-11-20 巡查不足：本级平台 0/1 次，市州 1/2 个，县市区 3/8 个"},
        {"patrols short on 2026-11-20: own platform 1 of 2; 2 counties not patrolled, first 510104",
         "2026-11-20 巡查不足：本级平台 1/2 次，2 个县市区未巡查（首个 510104）"},
        {"patrols short on 2026-11-20: own platform 1 of 2", "2026-11-20 巡查不足：本级平台 1/2 次"},
        {"child 510104 silent for 900s", "下级节点 510104 已 900 秒没有消息"},
        {"child 510104: batch chain stuck at batch 42 for 600s", "下级节点 510104 的批次链停在第 42 批已 600 秒"},
        {"the node's clock is 600 s ahead of its parent's (bound 300 s)", "节点时钟比上级快 600 秒（允许 300 秒）"},
        {"calendar file d33c25bcbe69dea3 covers 2024-2026 only and ends on 2026-12-31; publish the "
         "2027 calendar before then",
         "工作日历只覆盖 2024—2026 年，至 2026 年 12 月 31 日止；请在此之前发布 2027 年工作日历"},
        {"the certificate of 510104 ends on 2026-12-27: renew it (jiancha keys request)",
         "510104 的证书将于 2026-12-27 到期：请续期（jiancha keys request）"},
        {"the certificate of 510100 ended on 2026-12-12: renew it (jiancha keys request)",
         "510100 的证书已于 2026-12-12 到期：请续期（jiancha keys request）"},
        {"the certificate of 510104 ends on 2027-01-01: its renewal (key generation 2) waits for "
         "approval at the province (jiancha keys approve)",
         "510104 的证书将于 2027-01-01 到期：已申请续期（第 2 代密钥），待省级审批（jiancha keys approve）"},
        {"the certificate of 510100 is in no certificate set held here: its end is unknown "
         "(jiancha keys certs publish)",
         "本节点持有的证书集中没有 510100 的证书，无法得知其到期日（jiancha keys certs publish）"},
        {"the certificate of the publisher ends on 2027-01-02: renew it (jiancha keys request "
         "--publisher)",
         "发布者的证书将于 2027-01-02 到期：请续期（jiancha keys request --publisher）"},
        {"the certificate of the publisher ended on 2026-12-01: renew it (jiancha keys request "
         "--publisher)",
         "发布者的证书已于 2026-12-01 到期：请续期（jiancha keys request --publisher）"},
        {"the store uses 81.0 MiB of its 100.0 MiB room (budget set, 500.0 MiB free on its filesystem)",
         "存储已用 81.0 MiB，可用空间共 100.0 MiB（文件系统剩余 500.0 MiB）"},
    };
    char out[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool read = view_detail_zh(cases[i].en, out, sizeof out);
        if (!read || strcmp(out, cases[i].zh) != 0)
            fail_msg("\"%s\" read as \"%s\" (%s), not \"%s\"", cases[i].en, out,
                     read ? "read" : "not read", cases[i].zh);
    }
    assert_false(view_detail_zh("something no rule says", out, sizeof out));
    assert_string_equal(out, "");
    /* a short buffer is cut, never overrun */
    char small[8];
    assert_true(view_detail_zh("limit of 10 working days used up", small, sizeof small));
    assert_true(strlen(small) < sizeof small);
    json_t *whole = json_string(small); /* NULL for a character cut in two */
    assert_non_null(whole);
    json_decref(whole);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rules_categories_and_handling_have_chinese_names),
        cmocka_unit_test(details_read_in_chinese),
        cmocka_unit_test(a_filter_that_cannot_match_is_refused),
        cmocka_unit_test(alerts_match_every_field_of_a_filter),
        cmocka_unit_test(the_day_range_is_of_local_days),
        cmocka_unit_test(an_alert_shows_its_names_beside_its_fields),
        cmocka_unit_test(answer_working_days_left_count_the_calendar),
        cmocka_unit_test(scope_is_a_subtree_and_a_department),
        cmocka_unit_test(a_node_row_carries_its_names_and_alarms),
        cmocka_unit_test(a_supervision_case_shows_its_state_and_days_left),
        cmocka_unit_test(an_empty_store_has_no_rows),
        cmocka_unit_test(a_judged_month_gives_scores_trends_and_nodes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
