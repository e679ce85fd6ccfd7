#include "alert.h"
#include "calendar.h"
#include "catalog.h"
#include "coverage.h"
#include "err.h"
#include "event.h"
#include "file.h"
#include "intake.h"
#include "spool.h"
#include "store.h"
#include "timestamp.h"
#include "watch.h"

#include "testutil.h"

static const char *const test_catalog =
    "{\"version\":1,\"items\":["
    "{\"item\":\"LIC\",\"name\":\"许可\",\"category\":\"licensing\",\"node\":\"510104\","
    "\"dept\":\"D\",\"basis\":[\"法1\"],\"limits\":{\"promised\":{\"n\":10,\"unit\":\"wd\"},"
    "\"legal\":{\"n\":20,\"unit\":\"wd\"}},\"steps\":[{\"name\":\"受理\"},{\"name\":\"决定\"}]},"
    "{\"item\":\"CRED\",\"name\":\"持证许可\",\"category\":\"licensing\",\"node\":\"510104\","
    "\"dept\":\"D\",\"basis\":[\"法1\"],\"credential\":true,\"limits\":{\"promised\":{\"n\":10,"
    "\"unit\":\"wd\"},\"legal\":{\"n\":20,\"unit\":\"wd\"}},\"steps\":[{\"name\":\"受理\"},"
    "{\"name\":\"决定\"}]}]}";

static char *dir;
static store_t *st;
static catalog_t *cat;
static calendar_t *cal;
static watch_t *w;

static int
setup(void **state)
{
    (void)state;
    char err[512];
    dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 4 << 20};
    assert_int_equal(store_open(dir, &o, &st), 0);
    assert_int_equal(catalog_parse(test_catalog, strlen(test_catalog), &cat, err, sizeof err), 0);
    cal = testutil_calendar();
    w = watch_new(st, 510104, cat, cal);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    watch_destroy(&w);
    catalog_destroy(&cat);
    calendar_destroy(&cal);
    store_close(&st);
    testutil_rmdir(dir);
    return 0;
}

static void
send(const char *line)
{
    struct event_set set;
    event_set_init(&set);
    assert_int_equal(event_parse_message(line, strlen(line), "510104", &set), 0);
    assert_int_equal(set.n_entries, 1);
    struct intake_result r;
    assert_int_equal(intake_commit(st, 510104, &set, NULL, 1000, 1, &r), 0);
    assert_int_equal(r.accepted, 1);
    event_set_fini(&set);
}

static struct watch_result
pass(const char *when)
{
    struct watch_result r;
    assert_int_equal(watch_run(w, testutil_at(when), 1000, 20000, &r), 0);
    return r;
}

/* The case's stored alert of a rule; false if there is none. */
static bool
stored_alert(const char *rule, const char *case_id, struct alert *got)
{
    struct alert a = {0};
    snprintf(a.node, sizeof a.node, "510104");
    snprintf(a.rule, sizeof a.rule, "%s", rule);
    snprintf(a.subject_kind, sizeof a.subject_kind, "case");
    snprintf(a.subject, sizeof a.subject, "%s", case_id);
    alert_make_id(&a);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    struct wire_buf v;
    wire_buf_init(&v);
    bool found = store_get(t, STORE_ALERTS, a.id, strlen(a.id), &v) == 0 &&
                 alert_decode_bytes(v.data, v.len, got) == 0;
    wire_buf_fini(&v);
    store_abort(&t);
    return found;
}

static bool
stored_limit_alert(const char *case_id, struct alert *got)
{
    return stored_alert("limit.case", case_id, got);
}

/* The stored state of the case's limit.case alert (light and state), or "none". */
static void
limit_alert(char out[32])
{
    struct alert got;
    if (stored_limit_alert("C1", &got))
        snprintf(out, 32, "%s/%s/%zu", alert_light_name(got.light), alert_state_name(got.state),
                 got.n_ledger);
    else
        snprintf(out, 32, "none");
}

/* The node's calendar.coverage alarm as light/state, or "none". */
static const char *
coverage(void)
{
    static char out[32];
    struct alert a = {0};
    snprintf(a.node, sizeof a.node, "510104");
    snprintf(a.rule, sizeof a.rule, COVERAGE_RULE);
    snprintf(a.subject_kind, sizeof a.subject_kind, "node");
    snprintf(a.subject, sizeof a.subject, "510104");
    alert_make_id(&a);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    struct wire_buf v;
    wire_buf_init(&v);
    struct alert got;
    if (store_get(t, STORE_ALERTS, a.id, strlen(a.id), &v) == 0 &&
        alert_decode_bytes(v.data, v.len, &got) == 0)
        snprintf(out, sizeof out, "%s/%s", alert_light_name(got.light),
                 alert_state_name(got.state));
    else
        snprintf(out, sizeof out, "none");
    wire_buf_fini(&v);
    store_abort(&t);
    return out;
}

static uint64_t
alert_records(void)
{
    store_txn_t *t = NULL;
    store_cursor_t *c = NULL;
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(store_cursor_open(t, STORE_EVENTS, &c), 0);
    struct wire_buf v;
    wire_buf_init(&v);
    uint64_t n = 0;
    int rc = store_cursor_seek(c, NULL, 0, NULL, &v);
    while (rc == 0) {
        char type[32], id[EVENT_ID_MAX + 1];
        if (event_record_peek(v.data, v.len, type, id) == 0 && strcmp(type, "alert") == 0)
            n++;
        wire_buf_reset(&v);
        rc = store_cursor_next(c, NULL, &v);
    }
    wire_buf_fini(&v);
    store_cursor_close(&c);
    store_abort(&t);
    return n;
}

static void
clocks_raise_escalate_and_a_late_event_clears_each_change_recorded_once(void **state)
{
    (void)state;
    char s[32];
    send("{\"type\":\"case.accept\",\"id\":\"a\",\"at\":\"2026-11-02T09:00:00+08:00\",\"case\":\"C1\","
         "\"item\":\"LIC\",\"dept\":\"D\",\"handler\":\"H1\"}");
    struct watch_result r = pass("2026-11-02T10:00:00+08:00");
    assert_int_equal(r.records, 1);
    limit_alert(s);
    assert_string_equal(s, "none");
    /* the next clock is the yellow threshold: the end of working day 8 (Thu 11-12) */
    assert_int_equal(watch_next_due(w), testutil_at("2026-11-13T00:00:00+08:00"));
    r = pass("2026-11-13T00:00:00+08:00");
    assert_int_equal(r.changes, 1);
    assert_true(r.sealed >= 1); /* alert changes leave at once */
    limit_alert(s);
    assert_string_equal(s, "yellow/open/1");
    r = pass("2026-11-13T08:00:00+08:00"); /* nothing new: nothing recorded */
    assert_int_equal(r.changes, 0);
    assert_int_equal(watch_next_due(w), testutil_at("2026-11-17T00:00:00+08:00"));
    r = pass("2026-11-20T00:00:00+08:00"); /* a long stop: both thresholds passed */
    assert_int_equal(r.changes, 1);
    limit_alert(s);
    assert_string_equal(s, "red/open/2");
    /* a decision dated before the yellow threshold arrives late: the alert was unfounded */
    send("{\"type\":\"case.decision\",\"id\":\"d\",\"at\":\"2026-11-10T09:00:00+08:00\","
         "\"case\":\"C1\",\"outcome\":\"grant\",\"handler\":\"H1\",\"basis\":[\"法1\"]}");
    r = pass("2026-11-20T00:00:01+08:00");
    assert_int_equal(r.changes, 1);
    limit_alert(s);
    assert_string_equal(s, "red/cleared/3");
    assert_int_equal(alert_records(), 3);
    /* weeks later the only change is the calendar's own warning (its last day is near) */
    r = pass("2026-12-31T00:00:00+08:00");
    assert_int_equal(r.changes, 1);
    assert_string_equal(coverage(), "yellow/open");
    assert_int_equal(alert_records(), 4);
    limit_alert(s);
    assert_string_equal(s, "red/cleared/3");
}

static void
a_backlog_is_judged_in_bounded_passes(void **state)
{
    (void)state;
    for (int i = 0; i < 5; i++) {
        char line[256];
        snprintf(line, sizeof line,
                 "{\"type\":\"case.accept\",\"id\":\"a%d\",\"at\":\"2026-11-02T09:00:00+08:00\","
                 "\"case\":\"K%d\",\"item\":\"LIC\",\"dept\":\"D\",\"handler\":\"H1\"}",
                 i, i);
        send(line);
    }
    struct watch_result r;
    assert_int_equal(watch_run(w, testutil_at("2026-11-02T10:00:00+08:00"), 1000, 2, &r), 0);
    assert_true(r.more);
    assert_int_equal(r.records, 2);
    assert_int_equal(watch_run(w, testutil_at("2026-11-02T10:00:00+08:00"), 1000, 2, &r), 0);
    assert_int_equal(watch_run(w, testutil_at("2026-11-02T10:00:00+08:00"), 1000, 2, &r), 0);
    assert_false(r.more);
    assert_int_equal(r.records, 1);
}

static void
a_late_decision_lowers_a_red_to_the_yellow_it_was_naming_the_event(void **state)
{
    (void)state;
    /* Accepted Fri 10-23 with 10 wd: day 8 ends 11-04, day 10 ends 11-06. October's events
     * arrive, the clock passes both thresholds, then November's decision dated 11-06 arrives. */
    send("{\"type\":\"case.accept\",\"id\":\"a\",\"at\":\"2026-10-23T09:00:00+08:00\",\"case\":\"C1\","
         "\"item\":\"LIC\",\"dept\":\"D\",\"handler\":\"H1\"}");
    pass("2026-11-10T12:00:00+08:00");
    struct alert a;
    assert_true(stored_limit_alert("C1", &a));
    assert_int_equal(a.finding, ALERT_RED);
    assert_int_equal(a.finding_ms, testutil_at("2026-11-07T00:00:00+08:00"));
    send("{\"type\":\"case.decision\",\"id\":\"d-1106\",\"at\":\"2026-11-06T16:00:00+08:00\","
         "\"case\":\"C1\",\"outcome\":\"grant\",\"handler\":\"H1\",\"basis\":[\"法1\"]}");
    struct watch_result r = pass("2026-11-10T12:05:00+08:00");
    assert_int_equal(r.changes, 1);
    assert_true(stored_limit_alert("C1", &a));
    assert_int_equal(a.finding, ALERT_YELLOW);
    assert_int_equal(a.light, ALERT_YELLOW);
    assert_int_equal(a.state, ALERT_OPEN);
    assert_int_equal(a.raised_ms, testutil_at("2026-11-05T00:00:00+08:00"));
    assert_int_equal(a.finding_ms, testutil_at("2026-11-05T00:00:00+08:00"));
    const struct alert_entry *last = &a.ledger[a.n_ledger - 1];
    assert_int_equal(last->action, ALERT_LOWERED);
    assert_int_equal(last->light, ALERT_YELLOW);
    assert_string_equal(last->cause, "event d-1106");
    assert_int_equal(last->at_ms, testutil_at("2026-11-10T12:05:00+08:00"));
    /* raised and escalated were recorded together (both had passed), then the lowering */
    assert_int_equal(alert_records(), 2);
    assert_int_equal(alert_changes(&a), 3);
    r = pass("2026-11-30T00:00:00+08:00");
    assert_int_equal(r.changes, 0);
}

static void
a_suspension_never_resumed_stands_the_clock_still_until_it_resumes(void **state)
{
    (void)state;
    /* Accepted Mon 11-02, suspended for expert review on 11-04 and not resumed: two days count
     * (11-03 and none after), so no threshold can come; no clock is filed for it. */
    send("{\"type\":\"case.accept\",\"id\":\"a\",\"at\":\"2026-11-02T09:00:00+08:00\",\"case\":\"C1\","
         "\"item\":\"LIC\",\"dept\":\"D\",\"handler\":\"H1\"}");
    send("{\"type\":\"case.suspend\",\"id\":\"s\",\"at\":\"2026-11-04T09:00:00+08:00\","
         "\"case\":\"C1\",\"reason\":\"专家评审\"}");
    struct watch_result r = pass("2027-06-30T00:00:00+08:00");
    assert_int_equal(r.changes, 1); /* only calendar.coverage: the calendar ended in 2026 */
    assert_string_equal(coverage(), "red/open");
    struct alert a;
    assert_false(stored_limit_alert("C1", &a));
    assert_true(watch_next_due(w) == INT64_MAX);
    /* resumed Mon 11-16: the clock runs again from 11-16 (1 counted day before: 11-03) and the
     * yellow comes at the end of its 8th counted day, Tue 11-24 */
    send("{\"type\":\"case.resume\",\"id\":\"r\",\"at\":\"2026-11-16T09:00:00+08:00\",\"case\":\"C1\"}");
    pass("2026-11-16T10:00:00+08:00");
    assert_int_equal(watch_next_due(w), testutil_at("2026-11-25T00:00:00+08:00"));
}

/* The shipped calendar with the test vector's 2027 appended, as bundle version 2. */
static calendar_t *
calendar_2027(void)
{
    size_t a_len, b_len;
    char *a = file_read(JIANCHA_TEST_VECTORS "/../../config/cn-workdays.tsv", &a_len);
    char *b = file_read(JIANCHA_TEST_VECTORS "/holidays-2027-test.tsv", &b_len);
    assert_non_null(a);
    assert_non_null(b);
    char *text = malloc(a_len + b_len + 1);
    memcpy(text, a, a_len);
    memcpy(text + a_len, b, b_len);
    calendar_t *c = NULL;
    char err[256];
    assert_int_equal(calendar_parse(text, a_len + b_len, "bundle", &c, err, sizeof err), 0);
    calendar_set_version(c, 2);
    free(a);
    free(b);
    free(text);
    return c;
}

static void
a_newer_calendar_corrects_a_light_judged_on_guessed_days(void **state)
{
    (void)state;
    /* Accepted Wed 2027-01-20 with 10 wd, judged with a calendar ending 2026: Monday to Friday
     * makes day 8 end Mon 02-01 and day 10 Wed 02-03, a red from 02-04, provisional. */
    send("{\"type\":\"case.accept\",\"id\":\"a\",\"at\":\"2027-01-20T09:00:00+08:00\",\"case\":\"C1\","
         "\"item\":\"LIC\",\"dept\":\"D\",\"handler\":\"H1\"}");
    pass("2027-02-05T08:00:00+08:00");
    struct alert a;
    assert_true(stored_limit_alert("C1", &a));
    assert_int_equal(a.finding, ALERT_RED);
    assert_true(a.provisional);
    assert_int_equal(a.finding_ms, testutil_at("2027-02-04T00:00:00+08:00"));
    assert_string_equal(coverage(), "red/open");
    /* The province sends a calendar covering 2027 that declares the week of 02-01 holidays:
     * the collector judges with it from a new watch, as it does when a bundle is taken. */
    calendar_t *newer = calendar_2027();
    watch_destroy(&w);
    w = watch_new(st, 510104, cat, newer);
    struct watch_result r = pass("2027-02-05T08:05:00+08:00");
    assert_int_equal(r.changes, 2); /* the light and the coverage alarm */
    assert_true(stored_limit_alert("C1", &a));
    assert_int_equal(a.state, ALERT_CLEARED); /* 7 working days used: no light yet */
    const struct alert_entry *last = &a.ledger[a.n_ledger - 1];
    assert_int_equal(last->action, ALERT_CLEARED_ACT);
    assert_string_equal(last->cause, "calendar 2");
    assert_string_equal(coverage(), "red/cleared");
    /* raised again on the right days: day 8 ends Mon 02-08, day 10 Wed 02-10 */
    assert_int_equal(watch_next_due(w), testutil_at("2027-02-09T00:00:00+08:00"));
    pass("2027-02-09T00:00:00+08:00");
    assert_true(stored_limit_alert("C1", &a));
    assert_int_equal(a.state, ALERT_OPEN);
    assert_int_equal(a.finding, ALERT_YELLOW);
    assert_false(a.provisional);
    assert_int_equal(a.raised_ms, testutil_at("2027-02-09T00:00:00+08:00"));
    pass("2027-02-11T00:00:00+08:00");
    assert_true(stored_limit_alert("C1", &a));
    assert_int_equal(a.finding, ALERT_RED);
    assert_int_equal(a.finding_ms, testutil_at("2027-02-11T00:00:00+08:00"));
    /* the same calendar again (a restart) judges nothing again */
    watch_destroy(&w);
    w = watch_new(st, 510104, cat, newer);
    r = pass("2027-02-11T00:10:00+08:00");
    assert_int_equal(r.changes, 0);
    assert_int_equal(r.subjects, 0);
    watch_destroy(&w);
    calendar_destroy(&newer);
    w = watch_new(st, 510104, cat, cal); /* for teardown */
}

static void
coverage_warns_a_month_ahead_and_turns_red_when_the_calendar_ends(void **state)
{
    (void)state;
    pass("2026-12-01T12:00:00+08:00");
    assert_string_equal(coverage(), "none");
    assert_int_equal(watch_next_due(w), testutil_at("2026-12-02T00:00:00+08:00"));
    pass("2026-12-02T00:00:00+08:00");
    assert_string_equal(coverage(), "yellow/open");
    /* a case whose 10th working day falls in 2027 is a schedule, not yet a finding: still yellow */
    send("{\"type\":\"case.accept\",\"id\":\"a2\",\"at\":\"2026-12-22T09:00:00+08:00\","
         "\"case\":\"K2\",\"item\":\"LIC\",\"dept\":\"D\",\"handler\":\"H1\"}");
    pass("2026-12-23T10:01:00+08:00");
    assert_string_equal(coverage(), "yellow/open");
    assert_int_equal(watch_next_due(w), testutil_at("2027-01-01T00:00:00+08:00"));
    /* the end passes: days are guessed from now on, red at the end's instant */
    pass("2027-01-01T00:00:00+08:00");
    assert_string_equal(coverage(), "red/open");
}

/* The catalogue's item CRED needs credentials (licensing); handlers H1 and H2 act in cases. */
static void
accept_cred_case(const char *id, const char *case_id, const char *handler, const char *at)
{
    char line[512];
    snprintf(line, sizeof line,
             "{\"type\":\"case.accept\",\"id\":\"%s\",\"at\":\"%s\",\"case\":\"%s\","
             "\"item\":\"CRED\",\"dept\":\"D\",\"handler\":\"%s\"}",
             id, at, case_id, handler);
    send(line);
}

static void
credential(const char *id, const char *handler)
{
    char line[512];
    snprintf(line, sizeof line,
             "{\"type\":\"staff.credential\",\"id\":\"%s\",\"at\":\"2026-11-20T09:00:00+08:00\","
             "\"handler\":\"%s\",\"dept\":\"D\",\"categories\":[\"licensing\"],"
             "\"valid_from\":\"2026-01-01T00:00:00+08:00\","
             "\"valid_until\":\"2027-12-31T00:00:00+08:00\"}",
             id, handler);
    send(line);
}

static const char *
qualification(const char *case_id)
{
    struct alert a;
    if (!stored_alert("qualification", case_id, &a))
        return "none";
    return alert_state_name(a.state);
}

static int
forget_qualification_index(store_txn_t *t, void *arg)
{
    (void)arg;
    uint8_t k[] = "QH1\0C1";
    int rc = store_del(t, STORE_SUBJECTS, k, sizeof k - 1);
    if (rc == 0)
        rc = store_meta_put_u64(t, "qualification_index", 0);
    return rc;
}

static void
a_late_credential_judges_again_only_the_cases_lit_for_qualification(void **state)
{
    (void)state;
    accept_cred_case("a1", "C1", "H1", "2026-11-02T09:00:00+08:00");
    accept_cred_case("a2", "C2", "H1", "2026-11-03T09:00:00+08:00");
    accept_cred_case("a3", "C3", "H2", "2026-11-03T09:00:00+08:00");
    pass("2026-11-04T12:00:00+08:00");
    assert_string_equal(qualification("C1"), "open");
    assert_string_equal(qualification("C2"), "open");
    assert_string_equal(qualification("C3"), "open");
    pass("2026-11-20T12:00:00+08:00"); /* the yellow thresholds pass: no clock is due next */
    /* H1's credential arrives late: both of H1's cases clear, H2's stays. */
    credential("cr1", "H1");
    struct watch_result r = pass("2026-11-20T12:01:00+08:00");
    assert_string_equal(qualification("C1"), "cleared");
    assert_string_equal(qualification("C2"), "cleared");
    assert_string_equal(qualification("C3"), "open");
    assert_int_equal(r.subjects, 2);
    /* Cases H1 handles once qualified are never lit, so a renewed credential does not judge
     * them again: only the two cases filed when they were lit are. */
    for (int i = 0; i < 20; i++) {
        char id[16], c[16];
        snprintf(id, sizeof id, "b%d", i);
        snprintf(c, sizeof c, "D%d", i);
        accept_cred_case(id, c, "H1", "2026-11-23T09:00:00+08:00");
    }
    pass("2026-11-23T12:00:00+08:00");
    assert_string_equal(qualification("D0"), "none");
    credential("cr2", "H1");
    r = pass("2026-11-23T12:05:00+08:00");
    assert_int_equal(r.subjects, 2);
    assert_int_equal(r.changes, 0);
    /* A store judged before the index (no 'Q' rows) files its lit cases at its next pass, so
     * H2's late credential still clears C3. */
    assert_int_equal(store_write(st, forget_qualification_index, NULL), 0);
    uint8_t q3[] = "QH2\0C3";
    store_txn_t *t = NULL;
    struct wire_buf v;
    wire_buf_init(&v);
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(store_get(t, STORE_SUBJECTS, q3, sizeof q3 - 1, &v), 0);
    store_abort(&t);
    wire_buf_fini(&v);
    credential("cr3", "H2");
    pass("2026-11-24T12:00:00+08:00");
    assert_string_equal(qualification("C3"), "cleared");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            clocks_raise_escalate_and_a_late_event_clears_each_change_recorded_once, setup,
            teardown),
        cmocka_unit_test_setup_teardown(a_backlog_is_judged_in_bounded_passes, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_late_decision_lowers_a_red_to_the_yellow_it_was_naming_the_event, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_suspension_never_resumed_stands_the_clock_still_until_it_resumes, setup, teardown),
        cmocka_unit_test_setup_teardown(a_newer_calendar_corrects_a_light_judged_on_guessed_days,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            coverage_warns_a_month_ahead_and_turns_red_when_the_calendar_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_late_credential_judges_again_only_the_cases_lit_for_qualification, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
