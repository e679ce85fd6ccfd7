#include "calendar.h"
#include "catalog.h"
#include "err.h"
#include "event.h"
#include "rules.h"
#include "timestamp.h"

#include "testutil.h"

/* A small catalogue: one licensing item (working-day limits, credential, document evidence, a
 * limited first step, one allowed return) and one penalty item (calendar-day limits, tiers). */
static const char *const test_catalog =
    "{\"version\":1,\"items\":["
    "{\"item\":\"LIC\",\"name\":\"许可\",\"category\":\"licensing\",\"node\":\"510104\","
    "\"dept\":\"D\",\"basis\":[\"法1\"],\"limits\":{\"promised\":{\"n\":10,\"unit\":\"wd\"},"
    "\"legal\":{\"n\":20,\"unit\":\"wd\"},\"extension\":{\"n\":10,\"unit\":\"wd\"}},"
    "\"steps\":[{\"name\":\"受理\",\"limit\":{\"n\":1,\"unit\":\"wd\"}},{\"name\":\"审查\"},"
    "{\"name\":\"决定\"}],\"rollbacks\":[[\"审查\",\"受理\"]],\"evidence\":[\"document\"],"
    "\"credential\":true,\"public\":true,\"effective\":\"2026-11-02\"},"
    "{\"item\":\"PEN\",\"name\":\"处罚\",\"category\":\"penalty\",\"node\":\"510104\","
    "\"dept\":\"D\",\"basis\":[\"法2\"],\"limits\":{\"promised\":{\"n\":30,\"unit\":\"d\"},"
    "\"legal\":{\"n\":60,\"unit\":\"d\"}},\"steps\":[{\"name\":\"立案\"},{\"name\":\"决定\"}],"
    "\"discretion\":[{\"level\":\"A\",\"min\":0,\"max\":1000,\"max_inclusive\":false},"
    "{\"level\":\"B\",\"min\":1000,\"max\":5000}]}]}";

static catalog_t *cat;
static calendar_t *cal;
static char got[64][192];
static size_t n_got;

static int
setup(void **state)
{
    (void)state;
    char err[512];
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
    return 0;
}

static void
collect(void *arg, const struct alert *a)
{
    (void)arg;
    if (n_got < 64)
        snprintf(got[n_got++], sizeof got[0], "%s:%s:%s", a->rule, alert_light_name(a->light),
                 a->subject);
}

/* Events as JSON lines (the publish of LIC is added so item.offline stays quiet), evaluated as of
 * a time; the alerts land in got[] as "rule:light:subject". */
static void
run(const char *const *lines, size_t n, const char *as_of)
{
    static const char *const publish =
        "{\"type\":\"item.publish\",\"id\":\"pub\",\"at\":\"2026-11-02T08:00:00+08:00\","
        "\"item\":\"LIC\",\"dept\":\"D\",\"name\":\"许可\",\"category\":\"licensing\","
        "\"limits\":{\"promised\":{\"n\":10,\"unit\":\"wd\"},\"legal\":{\"n\":20,\"unit\":\"wd\"}},"
        "\"basis\":[\"法1\"]}";
    rules_t *r = rules_new(cat, cal, "510104");
    struct event_set set;
    event_set_init(&set);
    for (size_t i = 0; i <= n; i++) {
        const char *line = i < n ? lines[i] : publish;
        assert_int_equal(event_parse_message(line, strlen(line), "510104", &set), 0);
        if (set.n_entries != 1)
            fail_msg("bad test event %zu: %s: %s", i, set.rejects[0].field, set.rejects[0].reason);
        assert_int_equal(rules_add(r, set.records.data, set.entries[0].len), 0);
    }
    int64_t t;
    const char *why;
    assert_int_equal(timestamp_parse(as_of, strlen(as_of), &t, &why), 0);
    n_got = 0;
    rules_evaluate(r, t, RULES_ALL, collect, NULL);
    event_set_fini(&set);
    rules_destroy(&r);
}

static bool
has(const char *want)
{
    for (size_t i = 0; i < n_got; i++)
        if (strcmp(got[i], want) == 0)
            return true;
    return false;
}

static bool
has_rule(const char *rule)
{
    size_t len = strlen(rule);
    for (size_t i = 0; i < n_got; i++)
        if (strncmp(got[i], rule, len) == 0 && got[i][len] == ':')
            return true;
    return false;
}

static void
expect(const char *want)
{
    if (!has(want)) {
        for (size_t i = 0; i < n_got; i++)
            print_message("  got %s\n", got[i]);
        fail_msg("missing alert %s", want);
    }
}

/* No alert of this rule at all (a bare rule name: "limit.case", not "limit.case:red"). */
static void
expect_no(const char *rule)
{
    assert_null(strchr(rule, ':'));
    if (has_rule(rule))
        fail_msg("unexpected %s alert", rule);
}

#define CRED                                                                                       \
    "{\"type\":\"staff.credential\",\"id\":\"cr\",\"at\":\"2026-01-01T00:00:00+08:00\","          \
    "\"handler\":\"H1\",\"dept\":\"D\",\"categories\":[\"licensing\",\"penalty\"],"               \
    "\"valid_from\":\"2026-01-01T00:00:00+08:00\",\"valid_until\":\"2026-12-31T00:00:00+08:00\"}"
#define EV(id, at, rest)                                                                           \
    "{\"id\":\"" id "\",\"at\":\"2026-" at ":00+08:00\"," rest "}"
#define ACCEPT(c, at, item) EV(c "a", at, "\"type\":\"case.accept\",\"case\":\"" c "\",\"item\":\"" item "\",\"dept\":\"D\",\"handler\":\"H1\"")
#define STEP(c, id, at, s) EV(id, at, "\"type\":\"case.step\",\"case\":\"" c "\",\"step\":\"" s "\",\"handler\":\"H1\"")
#define DOC(c, id, at) EV(id, at, "\"type\":\"case.evidence\",\"case\":\"" c "\",\"evidence\":\"E1\",\"kind\":\"document\",\"sha256\":\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"")
#define GRANT(c, id, at) EV(id, at, "\"type\":\"case.decision\",\"case\":\"" c "\",\"outcome\":\"grant\",\"handler\":\"H1\",\"basis\":[\"法1\"]")

static void
limit_case_turns_yellow_at_80_percent_then_red_and_a_decision_stops_it(void **state)
{
    (void)state;
    /* accepted Mon 11-02: 10 wd promised; day 8 ends Thu 11-12 (yellow at 11-13 00:00), day 10
     * ends Mon 11-16 (red at 11-17 00:00) */
    const char *open[] = {CRED, ACCEPT("C", "11-02T09:00", "LIC")};
    run(open, 2, "2026-11-12T23:59:59+08:00");
    expect_no("limit.case");
    run(open, 2, "2026-11-13T00:00:00+08:00");
    expect("limit.case:yellow:C");
    run(open, 2, "2026-11-17T00:00:00+08:00");
    expect("limit.case:red:C");
    expect_no("limit.legal");
    run(open, 2, "2026-12-01T00:00:00+08:00"); /* 20 wd end Mon 11-30 */
    expect("limit.legal:red:C");
    const char *decided[] = {CRED, ACCEPT("C", "11-02T09:00", "LIC"),
                             STEP("C", "s1", "11-03T09:00", "审查"),
                             DOC("C", "d1", "11-04T09:00"),
                             STEP("C", "s2", "11-05T09:00", "决定"),
                             GRANT("C", "g", "11-12T18:00")};
    run(decided, 6, "2026-12-31T00:00:00+08:00");
    expect_no("limit.case");
    expect_no("limit.legal");
    expect_no("procedure.order");
    expect_no("evidence.missing");
    expect_no("qualification");
}

static void
a_suspension_and_an_extension_push_the_limit_back(void **state)
{
    (void)state;
    const char *ev[] = {CRED, ACCEPT("C", "11-02T09:00", "LIC"),
                        EV("sp", "11-03T09:00", "\"type\":\"case.suspend\",\"case\":\"C\",\"reason\":\"听证\""),
                        EV("rs", "11-06T09:00", "\"type\":\"case.resume\",\"case\":\"C\""),
                        EV("ex", "11-06T10:00", "\"type\":\"case.extend\",\"case\":\"C\",\"limit\":{\"n\":5,\"unit\":\"wd\"},\"approver\":\"L\"")};
    /* suspended at the end of 11-03, 11-04, 11-05: 15 wd from 11-02 skipping those -> 11-26 */
    run(ev, 5, "2026-11-26T23:59:00+08:00");
    assert_false(has("limit.case:red:C"));
    expect("limit.case:yellow:C");
    run(ev, 5, "2026-11-27T00:00:00+08:00");
    expect("limit.case:red:C");
}

/* 10 wd from Mon 11-02 are used up at the end of Mon 11-16: an extension approved after that, or
 * after the decision, cannot make the late decision of 11-19 a kept limit. */
static void
an_extension_approved_too_late_leaves_the_limit_missed(void **state)
{
    (void)state;
#define EXTEND(id, at) EV(id, at, "\"type\":\"case.extend\",\"case\":\"C\",\"limit\":{\"n\":5,\"unit\":\"wd\"},\"approver\":\"L\"")
    const char *after_decision[] = {CRED, ACCEPT("C", "11-02T10:00", "LIC"),
                                    GRANT("C", "g", "11-19T10:00"), EXTEND("ex", "11-20T10:00")};
    run(after_decision, 4, "2026-12-31T00:00:00+08:00");
    expect("limit.case:red:C");
    const char *after_limit[] = {CRED, ACCEPT("C", "11-02T10:00", "LIC"),
                                 EXTEND("ex", "11-18T10:00"), GRANT("C", "g", "11-19T10:00")};
    run(after_limit, 4, "2026-12-31T00:00:00+08:00");
    expect("limit.case:red:C");
    /* the same extension approved on the last day of the limit moves it to 11-23 */
    const char *in_time[] = {CRED, ACCEPT("C", "11-02T10:00", "LIC"),
                             EXTEND("ex", "11-16T18:00"), GRANT("C", "g", "11-19T10:00")};
    run(in_time, 4, "2026-12-31T00:00:00+08:00");
    assert_false(has("limit.case:red:C"));
#undef EXTEND
}

static void
limit_step_fires_only_while_the_case_stays_in_the_step(void **state)
{
    (void)state;
    const char *stuck[] = {CRED, ACCEPT("C", "11-02T09:00", "LIC")};
    run(stuck, 2, "2026-11-04T00:00:00+08:00"); /* 1 wd ends 11-03 */
    expect("limit.step:yellow:C/受理");
    const char *moved[] = {CRED, ACCEPT("C", "11-02T09:00", "LIC"),
                           STEP("C", "s1", "11-03T17:00", "审查")};
    run(moved, 3, "2026-11-04T00:00:00+08:00");
    expect_no("limit.step");
}

static void
procedure_order_catches_skipped_and_unknown_steps(void **state)
{
    (void)state;
    const char *skip[] = {CRED, ACCEPT("C", "11-02T09:00", "LIC"),
                          STEP("C", "s1", "11-03T09:00", "决定")};
    run(skip, 3, "2026-11-03T10:00:00+08:00");
    expect("procedure.order:red:C");
    const char *unknown[] = {CRED, ACCEPT("C", "11-02T09:00", "LIC"),
                             STEP("C", "s1", "11-03T09:00", "盖章")};
    run(unknown, 3, "2026-11-03T10:00:00+08:00");
    expect("procedure.order:red:C");
    const char *fine[] = {CRED, ACCEPT("C", "11-02T09:00", "LIC"),
                          STEP("C", "s1", "11-03T09:00", "审查")};
    run(fine, 3, "2026-11-03T10:00:00+08:00");
    expect_no("procedure.order");
}

#define BACK(c, id, at, to, reason) EV(id, at, "\"type\":\"case.rollback\",\"case\":\"" c "\",\"to\":\"" to "\",\"handler\":\"H1\"" reason)

static void
procedure_rollback_lights_by_what_the_return_was(void **state)
{
    (void)state;
    const char *illegal[] = {CRED, ACCEPT("C", "11-02T09:00", "LIC"),
                             STEP("C", "s1", "11-02T10:00", "审查"),
                             STEP("C", "s2", "11-02T11:00", "决定"),
                             BACK("C", "b", "11-02T12:00", "受理", ",\"reason\":\"x\"")};
    run(illegal, 5, "2026-11-02T13:00:00+08:00");
    expect("procedure.rollback:red:C");
    const char *no_reason[] = {CRED, ACCEPT("C", "11-02T09:00", "LIC"),
                               STEP("C", "s1", "11-02T10:00", "审查"),
                               BACK("C", "b", "11-02T12:00", "受理", "")};
    run(no_reason, 4, "2026-11-02T13:00:00+08:00");
    expect("procedure.rollback:yellow:C");
    const char *twice[] = {CRED, ACCEPT("C", "11-02T09:00", "LIC"),
                           STEP("C", "s1", "11-02T10:00", "审查"),
                           BACK("C", "b1", "11-02T11:00", "受理", ",\"reason\":\"补正\""),
                           STEP("C", "s2", "11-02T12:00", "审查"),
                           BACK("C", "b2", "11-02T13:00", "受理", ",\"reason\":\"补正\"")};
    run(twice, 6, "2026-11-02T14:00:00+08:00");
    expect("procedure.rollback:yellow:C");
    run(twice, 4, "2026-11-02T14:00:00+08:00"); /* one allowed return with a reason */
    expect_no("procedure.rollback");
}

static void
qualification_needs_a_credential_valid_at_that_moment(void **state)
{
    (void)state;
    const char *none[] = {ACCEPT("C", "11-02T09:00", "LIC")};
    run(none, 1, "2026-11-02T10:00:00+08:00");
    expect("qualification:red:C");
    const char *expired[] = {
        "{\"type\":\"staff.credential\",\"id\":\"cr\",\"at\":\"2026-01-01T00:00:00+08:00\","
        "\"handler\":\"H1\",\"dept\":\"D\",\"categories\":[\"licensing\"],"
        "\"valid_from\":\"2026-01-01T00:00:00+08:00\",\"valid_until\":\"2026-10-31T00:00:00+08:00\"}",
        ACCEPT("C", "11-02T09:00", "LIC")};
    run(expired, 2, "2026-11-02T10:00:00+08:00");
    expect("qualification:red:C");
    const char *ok[] = {CRED, ACCEPT("C", "11-02T09:00", "LIC")};
    run(ok, 2, "2026-11-02T10:00:00+08:00");
    expect_no("qualification");
}

static void
evidence_rules_check_before_and_after_the_decision(void **state)
{
    (void)state;
    const char *missing[] = {CRED, ACCEPT("C", "11-02T09:00", "LIC"),
                             STEP("C", "s1", "11-02T10:00", "审查"),
                             STEP("C", "s2", "11-02T11:00", "决定"), GRANT("C", "g", "11-02T12:00"),
                             DOC("C", "d1", "11-02T13:00")};
    run(missing, 6, "2026-11-02T14:00:00+08:00");
    expect("evidence.missing:red:C"); /* the document came after the decision */
    const char *altered[] = {
        CRED, ACCEPT("C", "11-02T09:00", "LIC"), DOC("C", "d1", "11-02T09:30"),
        STEP("C", "s1", "11-02T10:00", "审查"), STEP("C", "s2", "11-02T11:00", "决定"),
        GRANT("C", "g", "11-02T12:00"),
        EV("d2", "11-02T13:00", "\"type\":\"case.evidence\",\"case\":\"C\",\"evidence\":\"E1\",\"kind\":\"document\",\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\"")};
    run(altered, 7, "2026-11-02T14:00:00+08:00");
    expect_no("evidence.missing");
    expect("evidence.altered:red:C");
    run(altered, 6, "2026-11-02T14:00:00+08:00");
    expect_no("evidence.altered");
    const char *removed[] = {
        CRED, ACCEPT("C", "11-02T09:00", "LIC"), DOC("C", "d1", "11-02T09:30"),
        GRANT("C", "g", "11-02T12:00"),
        EV("rm", "11-02T13:00", "\"type\":\"case.evidence_remove\",\"case\":\"C\",\"evidence\":\"E1\"")};
    run(removed, 5, "2026-11-02T14:00:00+08:00");
    expect("evidence.altered:red:C");
}

#define PENALTY(c, id, at, amount, level, basis) EV(id, at, "\"type\":\"case.decision\",\"case\":\"" c "\",\"outcome\":\"penalty\",\"handler\":\"H1\",\"basis\":" basis ",\"penalty\":{\"amount\":" amount ",\"level\":\"" level "\"}")

static void
basis_and_discretion_are_checked_against_the_catalogue(void **state)
{
    (void)state;
    const char *nobasis[] = {CRED, ACCEPT("C", "11-02T09:00", "PEN"),
                             PENALTY("C", "p", "11-03T09:00", "500", "A", "[]")};
    run(nobasis, 3, "2026-11-03T10:00:00+08:00");
    expect("basis.missing:red:C");
    const char *other[] = {CRED, ACCEPT("C", "11-02T09:00", "PEN"),
                           PENALTY("C", "p", "11-03T09:00", "500", "A", "[\"法9\"]")};
    run(other, 3, "2026-11-03T10:00:00+08:00");
    expect("basis.missing:yellow:C");
    expect_no("discretion");
    /* A is [0, 1000): 1000 itself is outside; B is [1000, 5000] */
    const char *edge[] = {CRED, ACCEPT("C", "11-02T09:00", "PEN"),
                          PENALTY("C", "p", "11-03T09:00", "1000", "A", "[\"法2\"]")};
    run(edge, 3, "2026-11-03T10:00:00+08:00");
    expect("discretion:red:C");
    expect_no("basis.missing");
    const char *inside[] = {CRED, ACCEPT("C", "11-02T09:00", "PEN"),
                            PENALTY("C", "p", "11-03T09:00", "5000", "B", "[\"法2\"]")};
    run(inside, 3, "2026-11-03T10:00:00+08:00");
    expect_no("discretion");
    const char *nolevel[] = {CRED, ACCEPT("C", "11-02T09:00", "PEN"),
                             PENALTY("C", "p", "11-03T09:00", "100", "Z", "[\"法2\"]")};
    run(nolevel, 3, "2026-11-03T10:00:00+08:00");
    expect("discretion:red:C");
}

#define PAY(c, id, at, amount, receipt) EV(id, at, "\"type\":\"case.execution\",\"case\":\"" c "\",\"amount\":" amount receipt)
#define RECEIPT ",\"receipt_sha256\":\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\""

static void
execution_must_match_the_decision_and_come_in_time(void **state)
{
    (void)state;
    const char *wrong[] = {CRED, ACCEPT("C", "11-02T09:00", "PEN"),
                           PENALTY("C", "p", "11-03T09:00", "2000", "B", "[\"法2\"]"),
                           PAY("C", "x", "11-04T09:00", "1500", RECEIPT)};
    run(wrong, 4, "2026-11-05T00:00:00+08:00");
    expect("execution.mismatch:red:C");
    const char *noreceipt[] = {CRED, ACCEPT("C", "11-02T09:00", "PEN"),
                               PENALTY("C", "p", "11-03T09:00", "2000", "B", "[\"法2\"]"),
                               PAY("C", "x", "11-04T09:00", "2000", "")};
    run(noreceipt, 4, "2026-11-05T00:00:00+08:00");
    expect("execution.mismatch:red:C");
    const char *right[] = {CRED, ACCEPT("C", "11-02T09:00", "PEN"),
                           PENALTY("C", "p", "11-03T09:00", "2000", "B", "[\"法2\"]"),
                           PAY("C", "x", "11-04T09:00", "2000.00", RECEIPT)};
    run(right, 4, "2026-12-31T00:00:00+08:00");
    expect_no("execution.mismatch");
    expect_no("execution.missing");
    /* decided Tue 11-03: 15 d -> Wed 11-18, then 5 wd -> Wed 11-25: fires 11-26 00:00 */
    run(right, 3, "2026-11-25T23:59:00+08:00");
    expect_no("execution.missing");
    run(right, 3, "2026-11-26T00:00:00+08:00");
    expect("execution.missing:yellow:C");
}

static void
an_item_outside_the_catalogue_is_unlisted(void **state)
{
    (void)state;
    const char *ev[] = {CRED, ACCEPT("C", "11-02T09:00", "NOPE"),
                        EV("a2", "11-02T09:00", "\"type\":\"case.accept\",\"case\":\"C2\",\"item\":\"LIC\",\"dept\":\"OTHER\",\"handler\":\"H1\"")};
    run(ev, 3, "2026-11-02T10:00:00+08:00");
    expect("item.unlisted:red:C");
    expect("item.unlisted:red:C2");
    const char *fine[] = {CRED, ACCEPT("C", "11-02T09:00", "LIC")};
    run(fine, 2, "2026-11-02T10:00:00+08:00");
    expect_no("item.unlisted");
}

static void
items_must_be_online_match_and_be_timely(void **state)
{
    (void)state;
    rules_t *r = rules_new(cat, cal, "510104");
    int64_t t;
    const char *why;
    /* LIC effective Mon 11-02: 5 wd end Mon 11-09 -> offline at 11-10 00:00 */
    assert_int_equal(timestamp_parse("2026-11-10T00:00:00+08:00", 25, &t, &why), 0);
    n_got = 0;
    rules_evaluate(r, t - 1, RULES_ALL, collect, NULL);
    expect_no("item.offline");
    n_got = 0;
    rules_evaluate(r, t, RULES_ALL, collect, NULL);
    expect("item.offline:red:LIC");
    rules_destroy(&r);
    const char *mismatch[] = {
        "{\"type\":\"item.publish\",\"id\":\"p2\",\"at\":\"2026-11-03T08:00:00+08:00\","
        "\"item\":\"LIC\",\"dept\":\"D\",\"name\":\"许可\",\"category\":\"licensing\","
        "\"limits\":{\"promised\":{\"n\":15,\"unit\":\"wd\"},\"legal\":{\"n\":20,\"unit\":\"wd\"}},"
        "\"generated_at\":\"2026-09-01T00:00:00+08:00\"}"};
    run(mismatch, 1, "2026-11-30T00:00:00+08:00");
    expect("item.mismatch:yellow:LIC");
    expect("disclosure.late:yellow:LIC"); /* 20 wd after 09-01 ended 10-13 (National Day) */
    expect_no("item.offline");            /* the fixture also published it in time */
}

static void
a_bad_rating_and_an_overdue_complaint_are_flagged(void **state)
{
    (void)state;
    const char *ev[] = {CRED, ACCEPT("C", "11-02T09:00", "LIC"),
                        EV("r", "11-02T10:00", "\"type\":\"rating\",\"case\":\"C\",\"rating\":2"),
                        EV("q", "11-02T10:00", "\"type\":\"complaint.open\",\"complaint\":\"Q\",\"dept\":\"D\",\"limit\":{\"n\":10,\"unit\":\"d\"}")};
    run(ev, 4, "2026-11-10T00:00:00+08:00"); /* 8 d ended 11-10? no: day 8 is 11-10 */
    expect("rating.bad:yellow:C");
    expect_no("complaint.overdue");
    run(ev, 4, "2026-11-11T00:00:00+08:00");
    expect("complaint.overdue:yellow:Q");
    run(ev, 4, "2026-11-13T00:00:00+08:00"); /* 10 d end Thu 11-12 */
    expect("complaint.overdue:red:Q");
    const char *closed[] = {CRED,
                            EV("q", "11-02T10:00", "\"type\":\"complaint.open\",\"complaint\":\"Q\",\"dept\":\"D\",\"limit\":{\"n\":10,\"unit\":\"d\"}"),
                            EV("qc", "11-05T10:00", "\"type\":\"complaint.close\",\"complaint\":\"Q\",\"result\":\"答复\"")};
    run(closed, 3, "2026-12-31T00:00:00+08:00");
    expect_no("complaint.overdue");
    const char *good[] = {CRED, ACCEPT("C", "11-02T09:00", "LIC"),
                          EV("r", "11-02T10:00", "\"type\":\"rating\",\"case\":\"C\",\"rating\":3")};
    run(good, 3, "2026-11-03T00:00:00+08:00");
    expect_no("rating.bad");
}

/* Puts the shared test catalogue back after a test that swapped in its own. */
static int
restore_catalog(void **state)
{
    (void)state;
    char err[512];
    catalog_destroy(&cat);
    assert_int_equal(catalog_parse(test_catalog, strlen(test_catalog), &cat, err, sizeof err), 0);
    return 0;
}

static void
thresholds_come_from_the_item_then_its_category_then_the_default(void **state)
{
    (void)state;
    static const char *const tuned =
        "{\"version\":2,\"thresholds\":{\"default\":{\"complaint_days\":20},"
        "\"licensing\":{\"yellow_ratio\":0.5,\"rating_bad_max\":3}},\"items\":["
        "{\"item\":\"LIC\",\"name\":\"许可\",\"category\":\"licensing\",\"node\":\"510104\","
        "\"dept\":\"D\",\"limits\":{\"promised\":{\"n\":10,\"unit\":\"wd\"},"
        "\"legal\":{\"n\":20,\"unit\":\"wd\"}},\"steps\":[{\"name\":\"受理\"}]},"
        "{\"item\":\"LIC2\",\"name\":\"许可\",\"category\":\"licensing\",\"node\":\"510104\","
        "\"dept\":\"D\",\"limits\":{\"promised\":{\"n\":10,\"unit\":\"wd\"},"
        "\"legal\":{\"n\":20,\"unit\":\"wd\"}},\"steps\":[{\"name\":\"受理\"}],"
        "\"thresholds\":{\"yellow_ratio\":0.9}}]}";
    char err[512];
    catalog_destroy(&cat); /* this test's own catalogue; teardown_tuned frees it */
    assert_int_equal(catalog_parse(tuned, strlen(tuned), &cat, err, sizeof err), 0);
    assert_true(catalog_find(cat, "LIC")->th.yellow_ratio == 0.5);
    assert_true(catalog_find(cat, "LIC2")->th.yellow_ratio == 0.9);
    assert_int_equal(catalog_find(cat, "LIC2")->th.rating_bad_max, 3);
    assert_int_equal(catalog_default_thresholds(cat)->complaint_days, 20);
    /* LIC: yellow at working day 5 (ends Mon 11-09); LIC2: at day 9 (ends Fri 11-13) */
    const char *ev[] = {ACCEPT("C", "11-02T09:00", "LIC"), ACCEPT("D", "11-02T09:00", "LIC2"),
                        EV("r", "11-02T10:00", "\"type\":\"rating\",\"case\":\"C\",\"rating\":3"),
                        EV("q", "11-02T10:00", "\"type\":\"complaint.open\",\"complaint\":\"Q\",\"dept\":\"D\"")};
    run(ev, 4, "2026-11-10T00:00:00+08:00");
    expect("limit.case:yellow:C");
    assert_false(has("limit.case:yellow:D"));
    expect("rating.bad:yellow:C"); /* 3 counts as bad for licensing here */
    run(ev, 4, "2026-11-22T00:00:00+08:00"); /* 20 d complaint: day 16 ends 11-18 */
    expect("complaint.overdue:yellow:Q");
    assert_false(has("complaint.overdue:red:Q")); /* day 20 is Sunday 11-22: rolls to 11-23 */
    const char *bad = "{\"version\":1,\"thresholds\":{\"penalty\":{\"speed\":1}},\"items\":[]}";
    catalog_t *c = NULL;
    assert_int_equal(catalog_parse(bad, strlen(bad), &c, err, sizeof err), ERR_INVALID);
    assert_non_null(strstr(err, "thresholds.penalty.speed: unknown threshold"));
}

/* Order independence: every permutation of a case's events gives the same alerts. */
static void
permute(const char **ev, size_t k, size_t n, const char *as_of, char (*want)[192], size_t n_want,
        size_t *runs)
{
    if (k == n) {
        run(ev, n, as_of);
        (*runs)++;
        assert_int_equal(n_got, n_want);
        for (size_t i = 0; i < n_want; i++)
            if (!has(want[i]))
                fail_msg("permutation %zu lacks %s", *runs, want[i]);
        return;
    }
    for (size_t i = k; i < n; i++) {
        const char *t = ev[k];
        ev[k] = ev[i];
        ev[i] = t;
        permute(ev, k + 1, n, as_of, want, n_want, runs);
        ev[i] = ev[k];
        ev[k] = t;
    }
}

static void
alerts_do_not_depend_on_arrival_order(void **state)
{
    (void)state;
    const char *ev[] = {CRED,
                        ACCEPT("C", "11-02T09:00", "PEN"),
                        STEP("C", "s1", "11-02T10:00", "决定"),
                        PENALTY("C", "p", "11-03T09:00", "9000", "B", "[\"法9\"]"),
                        PAY("C", "x", "11-04T09:00", "100", ""),
                        EV("r", "11-05T10:00", "\"type\":\"rating\",\"case\":\"C\",\"rating\":1"),
                        BACK("C", "b", "11-03T08:00", "立案", "")};
    const char *as_of = "2026-12-31T00:00:00+08:00";
    run(ev, 7, as_of);
    static char want[64][192];
    size_t n_want = n_got;
    assert_true(n_want >= 5);
    memcpy(want, got, sizeof want);
    size_t runs = 0;
    permute(ev, 0, 7, as_of, want, n_want, &runs);
    assert_int_equal(runs, 5040);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(limit_case_turns_yellow_at_80_percent_then_red_and_a_decision_stops_it),
        cmocka_unit_test(a_suspension_and_an_extension_push_the_limit_back),
        cmocka_unit_test(an_extension_approved_too_late_leaves_the_limit_missed),
        cmocka_unit_test(limit_step_fires_only_while_the_case_stays_in_the_step),
        cmocka_unit_test(procedure_order_catches_skipped_and_unknown_steps),
        cmocka_unit_test(procedure_rollback_lights_by_what_the_return_was),
        cmocka_unit_test(qualification_needs_a_credential_valid_at_that_moment),
        cmocka_unit_test(evidence_rules_check_before_and_after_the_decision),
        cmocka_unit_test(basis_and_discretion_are_checked_against_the_catalogue),
        cmocka_unit_test(execution_must_match_the_decision_and_come_in_time),
        cmocka_unit_test(an_item_outside_the_catalogue_is_unlisted),
        cmocka_unit_test(items_must_be_online_match_and_be_timely),
        cmocka_unit_test(a_bad_rating_and_an_overdue_complaint_are_flagged),
        cmocka_unit_test_setup_teardown(
            thresholds_come_from_the_item_then_its_category_then_the_default, NULL,
            restore_catalog),
        cmocka_unit_test(alerts_do_not_depend_on_arrival_order),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
