#include "alert.h"
#include "board.h"
#include "calendar.h"
#include "catalog.h"
#include "desk.h"
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
    "{\"item\":\"LEVY\",\"name\":\"征收\",\"category\":\"levy\",\"node\":\"510104\","
    "\"dept\":\"SWJ\",\"basis\":[\"法1\"],\"limits\":{\"promised\":{\"n\":5,\"unit\":\"wd\"},"
    "\"legal\":{\"n\":10,\"unit\":\"wd\"}},\"steps\":[{\"name\":\"核定\"},{\"name\":\"征收\"}]}]}";

static char *dir;
static store_t *st;
static catalog_t *cat;
static calendar_t *cal;
static uint32_t node;

static int
open_node(uint32_t n)
{
    char err[512];
    node = n;
    dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 4 << 20};
    assert_int_equal(store_open(dir, &o, &st), 0);
    assert_int_equal(catalog_parse(test_catalog, strlen(test_catalog), &cat, err, sizeof err), 0);
    cal = testutil_calendar();
    return 0;
}

static int
setup(void **state)
{
    (void)state;
    return open_node(510104);
}

static int
setup_city(void **state)
{
    (void)state;
    return open_node(510100);
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

/* Sends one JSON record through the intake with the desk's admission; returns the refusal's
 * field ("" when stored). */
static const char *
send(const char *json)
{
    static char field[64];
    char text[4096], nt[7];
    snprintf(text, sizeof text, "%s", json);
    node_format(node, nt);
    struct event_set set;
    event_set_init(&set);
    assert_int_equal(event_parse_message(text, strlen(text), nt, &set), 0);
    assert_int_equal(set.n_entries, 1);
    struct intake_policy policy = {.calendar = cal, .actions_only = node % 100 == 0};
    static struct intake_result r;
    assert_int_equal(intake_commit(st, node, &set, &policy, 1000, 1, &r), 0);
    event_set_fini(&set);
    snprintf(field, sizeof field, "%s", r.n_refused ? r.refused[0].field : "");
    return field;
}

static void
judge(const char *when)
{
    int64_t now = testutil_at(when);
    if (node % 100) {
        watch_t *w = watch_new(st, node, cat, cal);
        struct watch_result wr;
        assert_int_equal(watch_run(w, now, 1000, 100000, &wr), 0);
        watch_destroy(&w);
    }
    int64_t from;
    assert_int_equal(calendar_parse_date("2100-01-01", 10, &from), 0); /* no patrol days judged */
    struct desk_options o = {from, NULL, 0};
    desk_t *d = desk_new(st, node, cal, &o);
    struct desk_result dr;
    assert_int_equal(desk_run(d, now, 1000, &dr), 0);
    desk_destroy(&d);
}

/* C1, accepted Monday 2026-10-12 for the 5 wd levy item: yellow from 10-17, red from 10-20. */
static void
accept_late_case(void)
{
    assert_string_equal(send("{\"type\":\"case.accept\",\"id\":\"e1\",\"case\":\"C1\",\"item\":"
                             "\"LEVY\",\"dept\":\"SWJ\",\"handler\":\"h\",\"at\":"
                             "\"2026-10-12T09:00:00+08:00\"}"),
                        "");
}

static struct alert
stored(const char *rule, const char *kind, const char *subject)
{
    struct alert a = {0};
    node_format(node, a.node);
    snprintf(a.rule, sizeof a.rule, "%s", rule);
    snprintf(a.subject_kind, sizeof a.subject_kind, "%s", kind);
    snprintf(a.subject, sizeof a.subject, "%s", subject);
    alert_make_id(&a);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    struct wire_buf v;
    wire_buf_init(&v);
    struct alert got = {0};
    if (store_get(t, STORE_ALERTS, a.id, strlen(a.id), &v) == 0)
        assert_int_equal(alert_decode_bytes(v.data, v.len, &got), 0);
    wire_buf_fini(&v);
    store_abort(&t);
    return got;
}

static uint64_t
alert_records(void)
{
    store_txn_t *t = NULL;
    uint64_t next;
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(store_meta_get_u64(t, "next_seq", &next), 0);
    uint64_t n = 0;
    for (uint64_t seq = 1; seq < next; seq++) {
        uint8_t k[12];
        store_be32(k, node);
        store_be64(k + 4, seq);
        struct wire_buf v;
        wire_buf_init(&v);
        char type[32], id[EVENT_ID_MAX + 1];
        if (store_get(t, STORE_EVENTS, k, 12, &v) == 0 &&
            event_record_peek(v.data, v.len, type, id) == 0 && strcmp(type, "alert") == 0)
            n++;
        wire_buf_fini(&v);
    }
    store_abort(&t);
    return n;
}

static void
an_unanswered_alert_goes_red_then_to_the_city_each_step_recorded_once(void **state)
{
    (void)state;
    /* accepted Monday 10-12, promised 5 wd: yellow from 10-17 00:00 (day 4 ended 10-16), red from
     * 10-20; the answer was due by the end of 10-23; red already, so referred to the city */
    accept_late_case();
    judge("2026-10-17T08:00:00+08:00");
    struct alert a = stored("limit.case", "case", "C1");
    assert_int_equal(a.light, ALERT_YELLOW);
    assert_int_equal(a.answer_due_ms, testutil_at("2026-10-24T00:00:00+08:00"));
    judge("2026-10-23T23:59:59+08:00");
    a = stored("limit.case", "case", "C1");
    assert_string_equal(a.queue, "");     /* a near miss */
    assert_int_equal(a.light, ALERT_RED); /* by the rule, on 10-20 */
    uint64_t before = alert_records();
    judge("2026-10-24T00:00:00+08:00");
    a = stored("limit.case", "case", "C1");
    assert_string_equal(a.queue, "510100");
    assert_int_equal(a.feedback_steps, 1);
    assert_int_equal(alert_records(), before + 1);
    /* passes later change nothing more */
    judge("2026-12-01T00:00:00+08:00");
    judge("2026-12-02T00:00:00+08:00");
    a = stored("limit.case", "case", "C1");
    assert_int_equal(a.feedback_steps, 1);
    assert_string_equal(a.queue, "510100");
}

static void
answers_are_admitted_only_for_known_open_alerts(void **state)
{
    (void)state;
    accept_late_case();
    judge("2026-10-17T08:00:00+08:00");
    struct alert a = stored("limit.case", "case", "C1");
    char json[512];
    assert_string_equal(send("{\"type\":\"alert.respond\",\"id\":\"r0\",\"alert\":\"A-00\",\"by\":"
                             "\"li\",\"action\":\"explain\",\"text\":\"t\",\"at\":"
                             "\"2026-10-19T09:00:00+08:00\"}"),
                        "alert");
    snprintf(json, sizeof json,
             "{\"type\":\"alert.respond\",\"id\":\"r1\",\"alert\":\"%s\",\"by\":\"li\",\"action\":"
             "\"explain\",\"text\":\"t\",\"at\":\"2026-10-19T09:00:00+08:00\"}",
             a.id);
    assert_string_equal(send(json), "");
    judge("2026-10-19T10:00:00+08:00");
    a = stored("limit.case", "case", "C1");
    assert_int_equal(a.state, ALERT_RESPONDED);
    assert_int_equal(a.responded_ms, testutil_at("2026-10-19T09:00:00+08:00"));
    /* answered in time: the rule still turns it red on 10-20, but no feedback step follows */
    judge("2026-12-01T00:00:00+08:00");
    a = stored("limit.case", "case", "C1");
    assert_string_equal(a.queue, "");
    assert_int_equal(a.feedback_steps, 0);
    snprintf(
        json, sizeof json,
        "{\"type\":\"alert.close\",\"id\":\"c1\",\"alert\":\"%s\",\"by\":\"zhang\",\"verdict\":"
        "\"整改到位\",\"at\":\"2026-12-01T09:00:00+08:00\"}",
        a.id);
    assert_string_equal(send(json), "");
    judge("2026-12-01T10:00:00+08:00");
    assert_int_equal(stored("limit.case", "case", "C1").state, ALERT_CLOSED);
    json[strlen("{\"type\":\"alert.close\",\"id\":\"c")] = '2'; /* another record, same alert */
    assert_string_equal(send(json), "alert");
}

static void
an_office_judges_its_supervision_cases_and_its_patrol_days(void **state)
{
    (void)state;
    assert_string_equal(
        send("{\"type\":\"supervise.open\",\"id\":\"o1\",\"supervision\":\"S1\","
             "\"target\":{\"node\":\"510104\",\"dept\":\"SWJ\"},\"subject\":\"核查\","
             "\"by\":\"zhang\",\"at\":\"2026-10-09T10:00:00+08:00\"}"),
        "");
    assert_string_equal(send("{\"type\":\"supervise.extend\",\"id\":\"x1\",\"supervision\":\"S1\","
                             "\"limit\":{\"n\":11,\"unit\":\"wd\"},\"approver\":\"wu\",\"at\":"
                             "\"2026-10-20T10:00:00+08:00\"}"),
                        "limit.n");
    assert_string_equal(send("{\"type\":\"case.accept\",\"id\":\"b1\",\"case\":\"C1\",\"item\":"
                             "\"LEVY\",\"dept\":\"SWJ\",\"handler\":\"h\",\"at\":1793581200000}"),
                        "type"); /* an aggregator takes supervision actions only */
    judge("2026-11-05T23:59:59+08:00");
    assert_int_equal(stored("supervision.overdue", "supervision", "S1").n_ledger, 0);
    judge("2026-11-06T00:00:00+08:00");
    struct alert a = stored("supervision.overdue", "supervision", "S1");
    assert_int_equal(a.light, ALERT_RED);
    assert_int_equal(a.raised_ms, testutil_at("2026-11-06T00:00:00+08:00"));

    /* patrols from 2026-09-30: a working day short, the holiday not, a day patrolled enough */
    for (int i = 0; i < 2; i++) {
        char json[512];
        snprintf(json, sizeof json,
                 "{\"type\":\"patrol\",\"id\":\"p%d\",\"supervisor\":\"he\",\"target\":\"510100\","
                 "\"kind\":\"data\",\"at\":\"2026-10-09T1%d:00:00+08:00\"}",
                 i, i);
        assert_string_equal(send(json), "");
    }
    assert_string_equal(send("{\"type\":\"patrol\",\"id\":\"p9\",\"supervisor\":\"he\",\"target\":"
                             "\"510000\",\"kind\":\"data\",\"at\":\"2026-10-09T10:00:00+08:00\"}"),
                        "target");
    int64_t from;
    assert_int_equal(calendar_parse_date("2026-09-30", 10, &from), 0);
    struct desk_options o = {from, (const uint32_t[]){510104}, 1};
    desk_t *d = desk_new(st, node, cal, &o);
    struct desk_result dr;
    assert_int_equal(desk_run(d, testutil_at("2026-10-12T08:00:00+08:00"), 1000, &dr), 0);
    assert_int_equal(stored("patrol.shortfall", "day", "2026-09-30").state, ALERT_OPEN);
    assert_int_equal(stored("patrol.shortfall", "day", "2026-10-01").n_ledger, 0);
    assert_int_equal(stored("patrol.shortfall", "day", "2026-10-10").n_ledger, 1); /* a workday */
    /* twice on its own platform, but its county was not patrolled */
    assert_int_equal(stored("patrol.shortfall", "day", "2026-10-09").n_ledger, 1);
    assert_string_equal(send("{\"type\":\"patrol\",\"id\":\"p3\",\"supervisor\":\"he\",\"target\":"
                             "\"510104\",\"kind\":\"visit\",\"at\":\"2026-10-09T16:00:00+08:00\"}"),
                        "");
    assert_int_equal(desk_run(d, testutil_at("2026-10-12T09:00:00+08:00"), 1000, &dr), 0);
    assert_int_equal(stored("patrol.shortfall", "day", "2026-10-09").state, ALERT_CLEARED);
    assert_int_equal(stored("patrol.shortfall", "day", "2026-10-12").n_ledger, 0); /* not over */
    desk_destroy(&d);
}

static void
the_items_thresholds_set_the_answer_window(void **state)
{
    (void)state;
    char err[512];
    catalog_destroy(&cat);
    const char *doc =
        "{\"version\":1,\"thresholds\":{\"levy\":{\"answer_workdays\":2}},\"items\":["
        "{\"item\":\"LEVY\",\"name\":\"征收\",\"category\":\"levy\",\"node\":\"510104\","
        "\"dept\":\"SWJ\",\"basis\":[\"法1\"],\"limits\":{\"promised\":{\"n\":5,\"unit\":\"wd\"},"
        "\"legal\":{\"n\":10,\"unit\":\"wd\"}},\"steps\":[{\"name\":\"核定\"}]}]}";
    assert_int_equal(catalog_parse(doc, strlen(doc), &cat, err, sizeof err), 0);
    accept_late_case();
    judge("2026-10-17T08:00:00+08:00");
    /* recorded Saturday 10-17: two working days, 10-19 and 10-20 */
    struct alert a = stored("limit.case", "case", "C1");
    assert_int_equal(a.answer_wd, 2);
    assert_int_equal(a.answer_due_ms, testutil_at("2026-10-21T00:00:00+08:00"));
    catalog_t *bad = NULL;
    const char *zero = "{\"version\":1,\"thresholds\":{\"default\":{\"fix_workdays\":0}},"
                       "\"items\":[]}";
    assert_int_equal(catalog_parse(zero, strlen(zero), &bad, err, sizeof err), ERR_INVALID);
    assert_non_null(strstr(err, "thresholds.default.fix_workdays: must be an integer from 1"));
}

struct got {
    struct wire_buf record;
    int n;
};

static void
take_one(void *arg, const void *record, size_t len)
{
    struct got *g = arg;
    if (!g->n)
        wire_buf_init(&g->record);
    wire_buf_reset(&g->record);
    wire_buf_append(&g->record, record, len);
    g->n++;
}

struct put {
    const struct wire_buf *rec;
    const wire_obj_t *m;
};

/* Stores a child's alert record under its node and notes it, as ingest does. */
static int
put_fn(store_txn_t *t, void *arg)
{
    struct put *p = arg;
    uint8_t k[12];
    store_be32(k, 510104);
    store_be64(k + 4, 1);
    int rc = store_put(t, STORE_EVENTS, k, 12, p->rec->data, p->rec->len, 0);
    return rc ? rc : desk_note_alert(t, 510104, p->m);
}

static void
the_board_shows_a_childs_alert_closed_here_and_under_supervision(void **state)
{
    (void)state;
    /* a county alert carried up to this city */
    struct alert a = {0};
    snprintf(a.node, sizeof a.node, "510104");
    snprintf(a.rule, sizeof a.rule, "limit.case");
    snprintf(a.subject_kind, sizeof a.subject_kind, "case");
    snprintf(a.subject, sizeof a.subject, "C1");
    snprintf(a.queue, sizeof a.queue, "510100");
    a.light = ALERT_RED;
    a.raised_ms = testutil_at("2026-10-17T00:00:00+08:00");
    alert_make_id(&a);
    alert_log(&a, a.raised_ms, ALERT_RAISED, ALERT_RED);
    struct wire_buf rec;
    wire_buf_init(&rec);
    alert_record_encode(&a, &rec);
    store_txn_t *t = NULL;
    wire_reader_t *rd = NULL;
    const wire_obj_t *m;
    assert_int_equal(wire_decode_one(rec.data, rec.len, &rd, &m), 0);
    struct put p = {&rec, m};
    assert_int_equal(store_write(st, put_fn, &p), 0);
    wire_reader_destroy(&rd);
    wire_buf_fini(&rec);
    char json[512];
    snprintf(
        json, sizeof json,
        "{\"type\":\"supervise.open\",\"id\":\"o1\",\"supervision\":\"S1\",\"target\":{\"node\":"
        "\"510104\",\"dept\":\"SWJ\"},\"subject\":\"逾期\",\"by\":\"zhang\",\"alert\":\"%s\","
        "\"at\":\"2026-11-02T10:00:00+08:00\"}",
        a.id);
    assert_string_equal(send(json), "");
    struct board b;
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(board_load(t, cal, &b), 0);
    store_abort(&t);
    assert_int_equal(b.n_alerts, 1);
    assert_string_equal(b.alerts[0].supervision, "S1");
    assert_string_equal(board_queue_of(&b.alerts[0]), "510100");
    assert_int_equal(b.n_cases, 1);
    board_fini(&b);
    snprintf(
        json, sizeof json,
        "{\"type\":\"alert.close\",\"id\":\"c1\",\"alert\":\"%s\",\"by\":\"zhang\",\"verdict\":"
        "\"已整改\",\"at\":\"2026-11-03T10:00:00+08:00\"}",
        a.id);
    assert_string_equal(send(json), "");
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(board_load(t, cal, &b), 0);
    store_abort(&t);
    assert_int_equal(b.alerts[0].state, ALERT_CLOSED);
    board_fini(&b);

    /* the closing goes down to the county's side of the tree, and no other */
    struct got got = {0};
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(desk_each_decision(t, 510104, take_one, &got), 0);
    assert_int_equal(desk_each_decision(t, 510105, take_one, &got), 0);
    store_abort(&t);
    assert_int_equal(got.n, 1);
    char type[32], rid[EVENT_ID_MAX + 1];
    assert_int_equal(event_record_peek(got.record.data, got.record.len, type, rid), 0);
    assert_string_equal(type, "alert.close");
    assert_string_equal(rid, "c1");
    /* until the county's own record shows it closed */
    a.state = ALERT_CLOSED;
    alert_log(&a, testutil_at("2026-11-03T10:00:01+08:00"), ALERT_CLOSED_ACT, ALERT_RED);
    wire_buf_init(&rec);
    alert_record_encode(&a, &rec);
    assert_int_equal(wire_decode_one(rec.data, rec.len, &rd, &m), 0);
    p = (struct put){&rec, m};
    assert_int_equal(store_write(st, put_fn, &p), 0);
    wire_reader_destroy(&rd);
    wire_buf_fini(&rec);
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(desk_each_decision(t, 510104, take_one, &got), 0);
    store_abort(&t);
    assert_int_equal(got.n, 1);
    wire_buf_fini(&got.record);
}

static void
a_closing_from_above_closes_the_alert_here(void **state)
{
    (void)state;
    accept_late_case();
    judge("2026-10-17T08:00:00+08:00");
    struct alert a = stored("limit.case", "case", "C1");
    assert_int_equal(a.state, ALERT_OPEN);
    int64_t from;
    assert_int_equal(calendar_parse_date("2100-01-01", 10, &from), 0);
    struct desk_options o = {from, NULL, 0};
    desk_t *d = desk_new(st, node, cal, &o);
    bool pass_on;
    struct desk_result dr;
    /* decided at a sibling county: not an office above this one; then at the city */
    static const char *const offices[] = {"510105", "510100"};
    struct event_set set;
    event_set_init(&set);
    for (int i = 0; i < 2; i++) {
        char json[512];
        snprintf(json, sizeof json,
                 "{\"type\":\"alert.close\",\"id\":\"x1\",\"alert\":\"%s\",\"by\":\"z\","
                 "\"verdict\":\"v\",\"at\":1793581200000,\"node\":\"%s\"}",
                 a.id, offices[i]);
        assert_int_equal(event_parse_message(json, strlen(json), offices[i], &set), 0);
        assert_int_equal(desk_take_decision(d, 1793581200000LL, 1000, set.records.data,
                                            set.records.len, &pass_on, &dr),
                         i == 0 ? ERR_INVALID : 0);
    }
    assert_false(pass_on);
    assert_int_equal(dr.changes, 1);
    assert_int_equal(stored("limit.case", "case", "C1").state, ALERT_CLOSED);
    /* again: nothing changes */
    assert_int_equal(desk_take_decision(d, 1793581200000LL, 1000, set.records.data, set.records.len,
                                        &pass_on, &dr),
                     0);
    assert_int_equal(dr.changes, 0);
    event_set_fini(&set);
    desk_destroy(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            an_unanswered_alert_goes_red_then_to_the_city_each_step_recorded_once, setup, teardown),
        cmocka_unit_test_setup_teardown(answers_are_admitted_only_for_known_open_alerts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(the_items_thresholds_set_the_answer_window, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(an_office_judges_its_supervision_cases_and_its_patrol_days,
                                        setup_city, teardown),
        cmocka_unit_test_setup_teardown(
            the_board_shows_a_childs_alert_closed_here_and_under_supervision, setup_city, teardown),
        cmocka_unit_test_setup_teardown(a_closing_from_above_closes_the_alert_here, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
