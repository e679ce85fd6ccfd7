/* office: a city's office (door + desk) driven as its aggregator runs it, with a client on its
 * socket in the same process: a supervision action sent to the door is stored once and counted by
 * office_take; a business event is refused, the reply naming its field and the reason, while the
 * action beside it is stored; without a calendar actions are refused and nothing is judged; a
 * calendar set later counts the deadlines (the old one may be freed at once); office_judge raises
 * an overdue supervision case when its deadline passes, even with nothing new at the door, and
 * sends the alert to the parent's queue when its answer deadline passes, each once; a closing
 * entered here for a child's alert goes down to that child's side only, and one decided above is
 * passed on to it. */
#include "alert.h"
#include "calendar.h"
#include "err.h"
#include "event.h"
#include "file.h"
#include "mem.h"
#include "office.h"
#include "store.h"
#include "timestamp.h"
#include "wire.h"

#include "testutil.h"

#include <czmq.h>
#include <jansson.h>

#define CITY 510100
#define COUNTY 510104

static char *dir;
static store_t *st;
static calendar_t *cal;
static office_t *office;
static zsock_t *client;
static char endpoint[600];

static int
setup(void **state)
{
    (void)state;
    dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 4 << 20};
    char path[512];
    snprintf(path, sizeof path, "%s/store", dir);
    assert_int_equal(store_open(path, &o, &st), 0);
    cal = testutil_calendar();
    snprintf(endpoint, sizeof endpoint, "ipc://%s/intake.sock", dir);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    zsock_destroy(&client);
    office_destroy(&office);
    calendar_destroy(&cal);
    store_close(&st);
    testutil_rmdir(dir);
    return 0;
}

/* A city's office, as an aggregator keeps it (actions only), with no patrol days judged. */
static void
open_office(calendar_t *calendar)
{
    int64_t no_patrols;
    assert_int_equal(calendar_parse_date("2100-01-01", 10, &no_patrols), 0);
    struct office_options opt = {.endpoint = endpoint,
                                 .max_message_bytes = 1 << 16,
                                 .seal_at = 1000,
                                 .actions_only = true,
                                 .patrol_from_day = no_patrols};
    char why[ERR_WHY_MAX];
    office = office_new(st, CITY, &opt, calendar, why, sizeof why);
    assert_non_null(office);
    client = zsock_new_dealer(endpoint);
    assert_non_null(client);
    zsock_set_rcvtimeo(client, 5000);
}

/* Sends body as request `rid`, lets the office take what waits at its door as the daemon's loop
 * does once the socket is readable, and returns the parsed reply; *in says what office_take did. */
static json_t *
ask(const char *rid, const char *body, struct office_intake *in)
{
    zmsg_t *m = zmsg_new();
    zmsg_addstr(m, "");
    zmsg_addstr(m, rid);
    zmsg_addstr(m, body);
    assert_int_equal(zmsg_send(&m, client), 0);
    zpoller_t *p = zpoller_new(office_socket(office), NULL);
    assert_true(zpoller_wait(p, 5000) == office_socket(office));
    zpoller_destroy(&p);
    office_take(office, 10, testutil_at("2026-11-02T09:00:00+08:00"), in);
    zmsg_t *r = zmsg_recv(client);
    assert_non_null(r);
    char *delim = zmsg_popstr(r), *id = zmsg_popstr(r), *text = zmsg_popstr(r);
    assert_string_equal(delim, "");
    assert_string_equal(id, rid); /* replies are matched by request id */
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    assert_non_null(j);
    free(delim);
    free(id);
    free(text);
    zmsg_destroy(&r);
    return j;
}

static json_int_t
num(const json_t *j, const char *key)
{
    return json_integer_value(json_object_get(j, key));
}

static const char *
text_of(const json_t *j, const char *key)
{
    return json_string_value(json_object_get(j, key));
}

/* The reply's i-th refusal: index, field, reason. */
static const json_t *
refusal(const json_t *j, size_t i)
{
    const json_t *r = json_array_get(json_object_get(j, "rejected"), i);
    assert_non_null(r);
    return r;
}

/* The type and id of the record stored at this node's sequence seq ("" when none). */
static void
stored_record(uint64_t seq, char type[32], char id[EVENT_ID_MAX + 1])
{
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    uint8_t k[12];
    store_be32(k, CITY);
    store_be64(k + 4, seq);
    struct wire_buf v;
    wire_buf_init(&v);
    type[0] = id[0] = '\0';
    if (store_get(t, STORE_EVENTS, k, sizeof k, &v) == 0)
        assert_int_equal(event_record_peek(v.data, v.len, type, id), 0);
    wire_buf_fini(&v);
    store_abort(&t);
}

/* The city's supervision.overdue alert for case S1 (zeroed when none is stored). */
static struct alert
overdue_alert(void)
{
    struct alert a = {0};
    node_format(CITY, a.node);
    snprintf(a.rule, sizeof a.rule, "supervision.overdue");
    snprintf(a.subject_kind, sizeof a.subject_kind, "supervision");
    snprintf(a.subject, sizeof a.subject, "S1");
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

/* A case opened Friday 2026-10-09: 20 working days by the official calendar, the last 11-05. */
static const char *const open_s1 =
    "{\"type\":\"supervise.open\",\"id\":\"o1\",\"supervision\":\"S1\",\"target\":{\"node\":"
    "\"510104\",\"dept\":\"SWJ\"},\"subject\":\"核查\",\"by\":\"zhang\",\"at\":"
    "\"2026-10-09T10:00:00+08:00\"}";

static struct desk_result
judge(const char *when)
{
    struct desk_result res;
    assert_int_equal(office_judge(office, testutil_at(when), &res), 0);
    return res;
}

static void
a_supervision_action_sent_to_the_office_is_stored_once_and_reported(void **state)
{
    (void)state;
    open_office(cal);
    struct office_intake in;
    json_t *j = ask("r1", open_s1, &in);
    assert_int_equal(num(j, "accepted"), 1);
    assert_int_equal(num(j, "rejected_count"), 0);
    json_decref(j);
    assert_int_equal(in.accepted, 1);
    char type[32], id[EVENT_ID_MAX + 1];
    stored_record(1, type, id);
    assert_string_equal(type, "supervise.open");
    assert_string_equal(id, "o1");
    /* sent again (a client retrying after a lost reply): acknowledged, not stored twice */
    j = ask("r2", open_s1, &in);
    assert_int_equal(num(j, "accepted"), 0);
    assert_int_equal(num(j, "duplicates"), 1);
    json_decref(j);
    assert_int_equal(in.accepted, 0);
    stored_record(2, type, id);
    assert_string_equal(type, "");
    struct door_stats ds;
    office_stats(office, &ds);
    assert_int_equal(ds.accepted, 1);
    assert_int_equal(ds.duplicates, 1);
}

static void
an_aggregators_office_refuses_a_business_event_naming_the_field_and_the_reason(void **state)
{
    (void)state;
    open_office(cal);
    const char *msg =
        "{\"type\":\"case.accept\",\"id\":\"b1\",\"case\":\"C1\",\"item\":\"LEVY\",\"dept\":"
        "\"SWJ\",\"handler\":\"h\",\"at\":\"2026-11-02T09:00:00+08:00\"}\n"
        "{\"type\":\"patrol\",\"id\":\"p1\",\"supervisor\":\"he\",\"target\":\"510104\","
        "\"kind\":\"data\",\"at\":\"2026-11-02T09:00:00+08:00\"}\n";
    struct office_intake in;
    json_t *j = ask("r1", msg, &in);
    assert_int_equal(num(j, "records"), 2);
    assert_int_equal(num(j, "accepted"), 1); /* the patrol beside it is stored */
    assert_int_equal(num(j, "rejected_count"), 1);
    assert_int_equal(num(refusal(j, 0), "index"), 0);
    assert_string_equal(text_of(refusal(j, 0), "field"), "type");
    assert_non_null(strstr(text_of(refusal(j, 0), "reason"), "supervision actions only"));
    json_decref(j);
    assert_int_equal(in.accepted, 1);
    char type[32], id[EVENT_ID_MAX + 1];
    stored_record(1, type, id);
    assert_string_equal(type, "patrol");
    stored_record(2, type, id);
    assert_string_equal(type, ""); /* the business event was not stored */
}

static void
an_office_without_a_calendar_refuses_actions_and_judges_nothing(void **state)
{
    (void)state;
    open_office(NULL);
    struct office_intake in;
    json_t *j = ask("r1", open_s1, &in);
    assert_int_equal(num(j, "accepted"), 0);
    assert_int_equal(num(j, "rejected_count"), 1);
    assert_string_equal(text_of(refusal(j, 0), "field"), "type");
    assert_non_null(strstr(text_of(refusal(j, 0), "reason"), "keeps no calendar"));
    json_decref(j);
    assert_int_equal(in.accepted, 0);
    struct desk_result res = judge("2026-12-01T00:00:00+08:00");
    assert_int_equal(res.subjects, 0);
    assert_int_equal(res.changes, 0);
    assert_int_equal(overdue_alert().n_ledger, 0);
}

static void
a_calendar_set_later_counts_the_deadlines_and_the_old_one_may_go(void **state)
{
    (void)state;
    /* the official calendar, and one where Monday 11-02 became a holiday: the case's 20th
     * working day moves from Thursday 11-05 to Friday 11-06 */
    size_t len;
    char *official = file_read(JIANCHA_TEST_VECTORS "/../../config/cn-workdays.tsv", &len);
    assert_non_null(official);
    char *text = xasprintf("%.*s2026-11-02\tholiday\ttest\n", (int)len, official);
    free(official);
    calendar_t *moved = NULL;
    char err[512];
    assert_int_equal(calendar_parse(text, strlen(text), "moved", &moved, err, sizeof err), 0);
    free(text);
    open_office(NULL);
    office_set_calendar(office, cal);
    office_set_calendar(office, moved);
    calendar_destroy(&cal); /* "the old one may be freed after this returns" */
    cal = moved;
    struct office_intake in;
    json_t *j = ask("r1", open_s1, &in);
    assert_int_equal(num(j, "accepted"), 1);
    json_decref(j);
    judge("2026-11-06T00:00:00+08:00");
    assert_int_equal(overdue_alert().n_ledger, 0); /* the official calendar would be late here */
    struct desk_result res = judge("2026-11-07T00:00:00+08:00");
    assert_int_equal(res.changes, 1);
    struct alert a = overdue_alert();
    assert_int_equal(a.light, ALERT_RED);
    assert_int_equal(a.raised_ms, testutil_at("2026-11-07T00:00:00+08:00"));
}

static void
office_judge_raises_an_overdue_case_and_then_its_missed_answer_each_once(void **state)
{
    (void)state;
    open_office(cal);
    struct office_intake in;
    json_t *j = ask("r1", open_s1, &in);
    assert_int_equal(num(j, "accepted"), 1);
    json_decref(j);
    /* the pass after the action came in: nothing is late yet */
    struct desk_result res = judge("2026-11-05T23:59:59+08:00");
    assert_int_equal(res.changes, 0);
    assert_int_equal(overdue_alert().n_ledger, 0);
    /* nothing new at the door since, but the case's deadline has passed: the desk runs */
    res = judge("2026-11-06T00:00:00+08:00");
    assert_int_equal(res.changes, 1);
    assert_true(res.sealed >= 1); /* an alert leaves at once, whatever seal_at says */
    struct alert a = overdue_alert();
    assert_int_equal(a.light, ALERT_RED);
    assert_int_equal(a.raised_ms, testutil_at("2026-11-06T00:00:00+08:00"));
    assert_int_equal(a.n_ledger, 1);
    /* later passes record it no more */
    res = judge("2026-11-06T00:00:01+08:00");
    assert_int_equal(res.changes, 0);
    res = judge("2026-11-13T23:59:59+08:00");
    assert_int_equal(res.changes, 0);
    assert_int_equal(overdue_alert().n_ledger, 1);
    /* its answer was due by the end of Friday 11-13 (5 working days): unanswered and red
     * already, it goes to the province's queue, once */
    assert_int_equal(a.answer_due_ms, testutil_at("2026-11-14T00:00:00+08:00"));
    res = judge("2026-11-14T00:00:00+08:00");
    assert_int_equal(res.changes, 1);
    a = overdue_alert();
    assert_string_equal(a.queue, "510000");
    assert_int_equal(a.feedback_steps, 1);
    res = judge("2026-12-01T00:00:00+08:00");
    assert_int_equal(res.changes, 0);
    assert_int_equal(overdue_alert().feedback_steps, 1);
}

struct got {
    struct wire_buf record;
    int n;
};

static void
take_one(void *arg, const void *record, size_t len)
{
    struct got *g = arg;
    wire_buf_reset(&g->record);
    wire_buf_append(&g->record, record, len);
    g->n++;
}

struct put {
    const struct wire_buf *rec;
    const wire_obj_t *m;
};

/* Stores a county's alert record at this city and notes it, as ingest does with what arrives. */
static int
put_fn(store_txn_t *t, void *arg)
{
    struct put *p = arg;
    uint8_t k[12];
    store_be32(k, COUNTY);
    store_be64(k + 4, 1);
    int rc = store_put(t, STORE_EVENTS, k, 12, p->rec->data, p->rec->len, 0);
    return rc ? rc : desk_note_alert(t, COUNTY, p->m);
}

/* The closings waiting to go down to a child's side of the tree: how many, and the last's id. */
static int
decisions_for(uint32_t child, char id[EVENT_ID_MAX + 1])
{
    struct got g = {.n = 0};
    wire_buf_init(&g.record);
    assert_int_equal(office_each_decision(office, child, take_one, &g), 0);
    char type[32];
    id[0] = '\0';
    if (g.n) {
        assert_int_equal(event_record_peek(g.record.data, g.record.len, type, id), 0);
        assert_string_equal(type, "alert.close");
    }
    wire_buf_fini(&g.record);
    return g.n;
}

static void
a_closing_for_a_childs_alert_goes_down_to_that_childs_side_only(void **state)
{
    (void)state;
    /* without a desk (no calendar) nothing goes down and nothing from above is taken */
    open_office(NULL);
    char id[EVENT_ID_MAX + 1];
    assert_int_equal(decisions_for(COUNTY, id), 0);
    bool pass_on = true;
    struct desk_result res;
    assert_int_equal(office_take_decision(office, 1, "x", 1, &pass_on, &res), 0);
    assert_false(pass_on);
    office_set_calendar(office, cal);

    /* a county alert carried up to this city */
    struct alert a = {0};
    node_format(COUNTY, a.node);
    snprintf(a.rule, sizeof a.rule, "limit.case");
    snprintf(a.subject_kind, sizeof a.subject_kind, "case");
    snprintf(a.subject, sizeof a.subject, "C1");
    a.light = ALERT_RED;
    a.raised_ms = testutil_at("2026-10-17T00:00:00+08:00");
    alert_make_id(&a);
    alert_log(&a, a.raised_ms, ALERT_RAISED, ALERT_RED);
    struct wire_buf rec;
    wire_buf_init(&rec);
    alert_record_encode(&a, &rec);
    wire_reader_t *rd = NULL;
    const wire_obj_t *m;
    assert_int_equal(wire_decode_one(rec.data, rec.len, &rd, &m), 0);
    struct put p = {&rec, m};
    assert_int_equal(store_write(st, put_fn, &p), 0);
    wire_reader_destroy(&rd);
    wire_buf_fini(&rec);

    /* closed at this city's office: handed to the county's session, not to a sibling's */
    char json[512];
    snprintf(json, sizeof json,
             "{\"type\":\"alert.close\",\"id\":\"c1\",\"alert\":\"%s\",\"by\":\"zhang\","
             "\"verdict\":\"已整改\",\"at\":\"2026-11-03T10:00:00+08:00\"}",
             a.id);
    struct office_intake in;
    json_t *j = ask("r1", json, &in);
    assert_int_equal(num(j, "accepted"), 1);
    json_decref(j);
    assert_int_equal(decisions_for(COUNTY, id), 1);
    assert_string_equal(id, "c1");
    assert_int_equal(decisions_for(510105, id), 0);

    /* decided at the province: taken here and passed on towards the county */
    snprintf(json, sizeof json,
             "{\"type\":\"alert.close\",\"id\":\"x1\",\"alert\":\"%s\",\"by\":\"wang\","
             "\"verdict\":\"v\",\"at\":1793581200000,\"node\":\"510000\"}",
             a.id);
    struct event_set set;
    event_set_init(&set);
    assert_int_equal(event_parse_message(json, strlen(json), "510000", &set), 0);
    assert_int_equal(set.n_entries, 1);
    int64_t now = testutil_at("2026-11-02T09:00:00+08:00");
    assert_int_equal(
        office_take_decision(office, now, set.records.data, set.records.len, &pass_on, &res), 0);
    assert_true(pass_on);
    assert_int_equal(res.changes, 0); /* the county's alert is the county's to change */
    event_set_fini(&set);
    /* a closing "decided" by the county itself is no decision from above */
    event_set_init(&set);
    snprintf(json, sizeof json,
             "{\"type\":\"alert.close\",\"id\":\"x2\",\"alert\":\"%s\",\"by\":\"wang\","
             "\"verdict\":\"v\",\"at\":1793581200000,\"node\":\"510104\"}",
             a.id);
    assert_int_equal(event_parse_message(json, strlen(json), "510104", &set), 0);
    assert_int_equal(
        office_take_decision(office, now, set.records.data, set.records.len, &pass_on, &res),
        ERR_INVALID);
    assert_false(pass_on);
    event_set_fini(&set);
}

int
main(void)
{
    zsys_init();
    zsys_set_logstream(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            a_supervision_action_sent_to_the_office_is_stored_once_and_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(
            an_aggregators_office_refuses_a_business_event_naming_the_field_and_the_reason, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            an_office_without_a_calendar_refuses_actions_and_judges_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_calendar_set_later_counts_the_deadlines_and_the_old_one_may_go, setup, teardown),
        cmocka_unit_test_setup_teardown(
            office_judge_raises_an_overdue_case_and_then_its_missed_answer_each_once, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            a_closing_for_a_childs_alert_goes_down_to_that_childs_side_only, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
