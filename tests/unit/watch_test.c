#include "alert.h"
#include "calendar.h"
#include "catalog.h"
#include "err.h"
#include "event.h"
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
    "\"legal\":{\"n\":20,\"unit\":\"wd\"}},\"steps\":[{\"name\":\"受理\"},{\"name\":\"决定\"}]}]}";

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

/* The stored state of the case's limit.case alert (light and state), or "none". */
static void
limit_alert(char out[32])
{
    struct alert a = {0};
    snprintf(a.node, sizeof a.node, "510104");
    snprintf(a.rule, sizeof a.rule, "limit.case");
    snprintf(a.subject_kind, sizeof a.subject_kind, "case");
    snprintf(a.subject, sizeof a.subject, "C1");
    alert_make_id(&a);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    struct wire_buf v;
    wire_buf_init(&v);
    struct alert got;
    if (store_get(t, STORE_ALERTS, a.id, strlen(a.id), &v) == 0 &&
        alert_decode_bytes(v.data, v.len, &got) == 0)
        snprintf(out, 32, "%s/%s/%zu", alert_light_name(got.light), alert_state_name(got.state),
                 got.n_ledger);
    else
        snprintf(out, 32, "none");
    wire_buf_fini(&v);
    store_abort(&t);
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
    r = pass("2026-12-31T00:00:00+08:00");
    assert_int_equal(r.changes, 0);
    assert_int_equal(alert_records(), 3);
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            clocks_raise_escalate_and_a_late_event_clears_each_change_recorded_once, setup,
            teardown),
        cmocka_unit_test_setup_teardown(a_backlog_is_judged_in_bounded_passes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
