/* api_test: the centre's screen JSON API apart from HTTP, checked against what api.h and
 * docs/api.md promise (written from the header and the doc, not from api.c).
 *
 * One county store (510104) is built once with November 2026's cases judged as a collector judges
 * them (report_test's approach): late cases of two departments (SWJ, GAJ) raise red and yellow
 * lights, a bad rating raises one more, the office's patrol days raise patrol.shortfall alarms and
 * a supervision case is opened on one of the SWJ alerts. Every answer is compared with what the
 * store's own board, view.h and report.h give, and checked on its own against the doc. The clock
 * is fixed at 2026-11-30 12:00 Chengdu time. */
#include "alert.h"
#include "api.h"
#include "board.h"
#include "calendar.h"
#include "catalog.h"
#include "counter.h"
#include "desk.h"
#include "err.h"
#include "event.h"
#include "intake.h"
#include "node.h"
#include "region.h"
#include "report.h"
#include "roster.h"
#include "snapshot.h"
#include "store.h"
#include "timestamp.h"
#include "view.h"
#include "watch.h"

#include "testcounty.h"
#include "testutil.h"

#include <jansson.h>
#include <time.h>

#define CONFIG JIANCHA_TEST_VECTORS "/../../config"
#define HOUR_MS (3600 * (int64_t)1000)

/* The config catalogue's levy item of the county's tax bureau and its "other" item of the police
 * bureau, both 5 working days promised, 10 legal. */
#define SWJ_ITEM "SC-ZS-0501-510104"
#define GAJ_ITEM "SC-QT-0999-510104"
#define SWJ_BASIS "《中华人民共和国城镇土地使用税暂行条例》第八条"
#define GAJ_BASIS "《中华人民共和国户口登记条例》第十条"

static char *dir;
static store_t *st;
static calendar_t *cal;
static region_t *regions;
static catalog_t *cat;
static snapshot_t *snap;
static struct view_names names;
static int64_t now_ms;
static int n_sent;
static char supervised[ALERT_ID_LEN]; /* the SWJ alert S1 is opened on */

static struct roster_operator prov_op, city_op, zigong_op, swj_op, gaj_op;
static const struct view_scope prov_scope = {510000, NULL};
static const struct view_scope city_scope = {510100, NULL};
static const struct view_scope zigong_scope = {510300, NULL};
static const struct view_scope swj_scope = {510000, "SWJ"};
static const struct view_scope gaj_scope = {510000, "GAJ"};

/* ---- the store ---- */

/* Sends one record through the county's intake; returns the refusal's field ("" when stored). */
static const char *
send(const char *json)
{
    struct testcounty c = {st, 510104, cat, cal, "2026-11-02", n_sent};
    const char *field = testcounty_send(&c, json);
    n_sent = c.n_sent;
    return field;
}

/* The collector's round as of `when`: rules, desk, counters (testcounty.h). */
static void
judge(const char *when)
{
    struct testcounty c = {st, 510104, cat, cal, "2026-11-02", n_sent};
    testcounty_judge(&c, when);
}

static void
load_board(struct board *b)
{
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(board_load(t, cal, b), 0);
    store_abort(&t);
}

/* The board's alert of that rule and case at the county, or NULL. */
static const struct alert *
find_alert(const struct board *b, const char *rule, const char *case_id)
{
    for (size_t i = 0; i < b->n_alerts; i++)
        if (strcmp(b->alerts[i].rule, rule) == 0 && strcmp(b->alerts[i].subject, case_id) == 0 &&
            strcmp(b->alerts[i].node, "510104") == 0)
            return &b->alerts[i];
    return NULL;
}

static void
make_operator(struct roster_operator *op, const char *name, enum roster_role role, uint32_t node,
              const char *dept)
{
    memset(op, 0, sizeof *op);
    snprintf(op->name, sizeof op->name, "%s", name);
    op->role = role;
    op->node = node;
    snprintf(op->dept, sizeof op->dept, "%s", dept);
}

static int
setup(void **state)
{
    (void)state;
    char err[ERR_WHY_MAX];
    dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 16 << 20};
    assert_int_equal(store_open(dir, &o, &st), 0);
    cal = testutil_calendar();
    if (region_load(CONFIG "/regions.tsv", &regions, err, sizeof err) != 0)
        fail_msg("regions: %s", err);
    if (catalog_load(CONFIG "/catalog.json", &cat, err, sizeof err) != 0)
        fail_msg("catalog: %s", err);
    names = (struct view_names){regions, cat, cal};
    now_ms = testutil_at("2026-11-30T12:00:00+08:00");

    /* C1 (SWJ) decided in time, then rated badly; C2 (SWJ) never decided; C3 (GAJ) decided late;
     * C4 (GAJ) accepted the week before and still open; C5 (GAJ) accepted on 11-27 */
    static const char *const records[] = {
        "\"type\":\"case.accept\",\"case\":\"C1\",\"item\":\"" SWJ_ITEM "\",\"dept\":\"SWJ\","
        "\"handler\":\"h\",\"at\":\"2026-11-02T09:00:00+08:00\"",
        "\"type\":\"case.decision\",\"case\":\"C1\",\"outcome\":\"grant\",\"handler\":\"h\","
        "\"basis\":[\"" SWJ_BASIS "\"],\"at\":\"2026-11-04T09:00:00+08:00\"",
        "\"type\":\"rating\",\"case\":\"C1\",\"rating\":1,\"at\":\"2026-11-05T10:00:00+08:00\"",
        "\"type\":\"case.accept\",\"case\":\"C2\",\"item\":\"" SWJ_ITEM "\",\"dept\":\"SWJ\","
        "\"handler\":\"h\",\"at\":\"2026-11-02T10:00:00+08:00\"",
        "\"type\":\"case.accept\",\"case\":\"C3\",\"item\":\"" GAJ_ITEM "\",\"dept\":\"GAJ\","
        "\"handler\":\"g\",\"at\":\"2026-11-03T10:00:00+08:00\"",
        "\"type\":\"case.decision\",\"case\":\"C3\",\"outcome\":\"grant\",\"handler\":\"g\","
        "\"basis\":[\"" GAJ_BASIS "\"],\"at\":\"2026-11-12T09:00:00+08:00\"",
        "\"type\":\"case.accept\",\"case\":\"C4\",\"item\":\"" GAJ_ITEM "\",\"dept\":\"GAJ\","
        "\"handler\":\"g\",\"at\":\"2026-11-19T10:00:00+08:00\"",
        "\"type\":\"case.accept\",\"case\":\"C5\",\"item\":\"" GAJ_ITEM "\",\"dept\":\"GAJ\","
        "\"handler\":\"g\",\"at\":\"2026-11-23T10:00:00+08:00\"",
        "\"type\":\"patrol\",\"supervisor\":\"he\",\"target\":\"510104\",\"kind\":\"data\","
        "\"at\":\"2026-11-02T09:00:00+08:00\"",
        "\"type\":\"patrol\",\"supervisor\":\"he\",\"target\":\"510104\",\"kind\":\"video\","
        "\"at\":\"2026-11-03T15:00:00+08:00\"",
    };
    n_sent = 0;
    for (size_t i = 0; i < sizeof records / sizeof records[0]; i++)
        if (strcmp(send(records[i]), "") != 0)
            fail_msg("record %zu refused", i);
    judge("2026-11-04T00:00:01+08:00");
    judge("2026-11-16T09:00:00+08:00");

    /* a supervision case on C2's legal-limit alert */
    struct board b;
    load_board(&b);
    const struct alert *a = find_alert(&b, "limit.legal", "C2");
    if (!a)
        a = find_alert(&b, "limit.case", "C2");
    assert_non_null(a);
    snprintf(supervised, sizeof supervised, "%s", a->id);
    board_fini(&b);
    char json[512];
    snprintf(json, sizeof json,
             "\"type\":\"supervise.open\",\"supervision\":\"S1\",\"target\":{\"node\":\"510104\","
             "\"dept\":\"SWJ\"},\"subject\":\"逾期未办结\",\"by\":\"zhang\",\"alert\":\"%s\","
             "\"at\":\"2026-11-16T10:00:00+08:00\"",
             supervised);
    const char *refused = send(json);
    if (strcmp(refused, "") != 0)
        fail_msg("supervise.open refused at the county: %s", refused);
    /* C5's yellow light answered by its department, the county's own STHJJ item.offline light
     * closed by its office */
    judge("2026-11-30T08:00:00+08:00");
    load_board(&b);
    const struct alert *c5 = find_alert(&b, "limit.case", "C5");
    const struct alert *off = find_alert(&b, "item.offline", "SC-CF-0422-510104");
    assert_non_null(c5);
    assert_non_null(off);
    snprintf(json, sizeof json,
             "\"type\":\"alert.respond\",\"alert\":\"%s\",\"by\":\"chen.gang\",\"action\":"
             "\"explain\",\"text\":\"材料补正中\",\"at\":\"2026-11-30T09:00:00+08:00\"",
             c5->id);
    refused = send(json);
    if (strcmp(refused, "") != 0)
        fail_msg("alert.respond refused at the county: %s", refused);
    snprintf(json, sizeof json,
             "\"type\":\"alert.close\",\"alert\":\"%s\",\"by\":\"zhang\",\"verdict\":"
             "\"已上线\",\"at\":\"2026-11-30T10:00:00+08:00\"",
             off->id);
    refused = send(json);
    if (strcmp(refused, "") != 0)
        fail_msg("alert.close refused at the county: %s", refused);
    board_fini(&b);
    judge("2026-11-30T12:00:00+08:00");

    make_operator(&prov_op, "zhang.wei", ROSTER_SUPERVISOR, 510000, "");
    make_operator(&city_op, "wu.fang", ROSTER_SUPERVISOR, 510100, "");
    make_operator(&zigong_op, "he.li", ROSTER_SUPERVISOR, 510300, "");
    make_operator(&swj_op, "li.na", ROSTER_DEPARTMENT, 510000, "SWJ");
    make_operator(&gaj_op, "chen.gang", ROSTER_DEPARTMENT, 510000, "GAJ");
    snap = snapshot_new(st, cal, 100);
    assert_non_null(snap);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    snapshot_destroy(&snap);
    assert_null(snap);
    catalog_destroy(&cat);
    region_destroy(&regions);
    calendar_destroy(&cal);
    store_close(&st);
    testutil_rmdir(dir);
    return 0;
}

/* ---- asking ---- */

static struct api_context
context(const struct roster_operator *op, const struct view_scope *scope)
{
    return (struct api_context){st, snap, &names, 510104, op, scope, now_ms, now_ms + 8 * HOUR_MS};
}

/* Splits "a=1&b=&c" into args (a bare key has the value ""); the strings live in buf. */
static size_t
split_query(const char *query, char *buf, size_t buflen, struct api_arg *args, size_t max)
{
    size_t n = 0;
    if (!query || !*query)
        return 0;
    snprintf(buf, buflen, "%s", query);
    char *save = NULL;
    for (char *p = strtok_r(buf, "&", &save); p; p = strtok_r(NULL, "&", &save)) {
        assert_true(n < max);
        char *eq = strchr(p, '=');
        if (eq)
            *eq++ = '\0';
        args[n].key = p;
        args[n].value = eq ? eq : "";
        n++;
    }
    return n;
}

/* Answers path?query for the context; the answer's body is owned by the caller. */
static struct api_answer
answer(const struct api_context *c, const char *path, const char *query)
{
    char buf[4096];
    struct api_arg args[40];
    size_t n = split_query(query, buf, sizeof buf, args, 40);
    struct api_answer out;
    memset(&out, 0xa5, sizeof out);
    api_answer(c, path, args, n, &out);
    assert_non_null(out.body);
    return out;
}

/* The body of a 200 answer to path?query; fails with the body when the status differs. */
static json_t *
ask(const struct api_context *c, const char *path, const char *query)
{
    struct api_answer a = answer(c, path, query);
    if (a.status != 200 || !json_is_object(a.body)) {
        char *text = json_dumps(a.body, JSON_COMPACT);
        char msg[1024];
        snprintf(msg, sizeof msg, "%s?%s: status %u, want 200: %s", path, query ? query : "",
                 a.status, text ? text : "(none)");
        free(text);
        json_decref(a.body);
        fail_msg("%s", msg);
    }
    return a.body;
}

/* Checks an error answer: the status, and {"error": {"status", "field", "reason"}} with the same
 * status, `field` naming want_field (NULL: any, null allowed), a reason. */
static void
refused(const struct api_context *c, const char *path, const char *query, unsigned want_status,
        const char *want_field)
{
    struct api_answer a = answer(c, path, query);
    const char *wrong = NULL;
    json_t *e = json_object_get(a.body, "error");
    json_t *s = json_object_get(e, "status");
    json_t *f = json_object_get(e, "field");
    json_t *r = json_object_get(e, "reason");
    if (a.status != want_status)
        wrong = "status";
    else if (!json_is_object(e) || json_object_size(a.body) != 1)
        wrong = "not an error body";
    else if (!json_is_integer(s) || json_integer_value(s) != (json_int_t)want_status)
        wrong = "error.status is not the answer's";
    /* a field names the parameter; with none to name (an unknown path) it may be null */
    else if (!json_is_string(f) && !(json_is_null(f) && !want_field))
        wrong = "error.field is not a string";
    else if (want_field && strcmp(json_string_value(f), want_field) != 0)
        wrong = "error.field names another parameter";
    else if (!json_is_string(r) || !*json_string_value(r))
        wrong = "error.reason missing";
    if (wrong) {
        char *text = json_dumps(a.body, JSON_COMPACT);
        char msg[1024];
        snprintf(msg, sizeof msg, "%s?%s: %s (want %u, field %s): got %u %s", path,
                 query ? query : "", wrong, want_status, want_field ? want_field : "any", a.status,
                 text ? text : "(none)");
        free(text);
        json_decref(a.body);
        fail_msg("%s", msg);
    }
    json_decref(a.body);
}

/* ---- checking answers ---- */

static const char *
str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        fail_msg("\"%s\" is not a string", key);
    return json_string_value(v);
}

static json_int_t
num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        fail_msg("\"%s\" is not an integer", key);
    return json_integer_value(v);
}

static json_t *
arr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_array(v))
        fail_msg("\"%s\" is not an array", key);
    return v;
}

/* A local RFC 3339 time (docs/api.md: "2026-03-02T09:00:00+08:00") as Unix milliseconds. */
static int64_t
time_of(json_t *o, const char *key)
{
    const char *text = str(o, key);
    size_t len = strlen(text);
    if (len < 6 || strcmp(text + len - 6, "+08:00") != 0)
        fail_msg("\"%s\" is not local time: %s", key, text);
    int64_t t;
    const char *why;
    if (timestamp_parse(text, len, &t, &why) != 0)
        fail_msg("\"%s\" is not RFC 3339: %s", key, text);
    return t;
}

static bool
in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

/* Fails naming the key where two JSON values differ. */
static void
same_json(json_t *got, json_t *want, const char *what)
{
    if (json_equal(got, want))
        return;
    char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
    char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
    fail_msg("%s differs:\n got  %s\n want %s", what, g, w);
}

/* The doc's fields of an alert, with their types and values from the doc's lists. */
static void
check_alert_fields(json_t *a)
{
    static const char *const lights[] = {"red", "yellow", NULL};
    static const char *const states[] = {"open", "responded", "closed", "cleared", NULL};
    static const char *const handling[] = {"待答复", "已说明", "已整改", "已摘牌", "已消除", "待消除", NULL};
    static const char *const actions[] = {"raised",  "escalated", "responded", "closed",
                                          "cleared", "lowered",   "corrected", NULL};
    const char *id = str(a, "id");
    assert_true(strncmp(id, "A-", 2) == 0);
    const char *rule = str(a, "rule");
    assert_string_equal(str(a, "rule_name"), view_rule_name(rule));
    assert_true(in_list(str(a, "light"), lights));
    assert_true(json_is_string(json_object_get(a, "article")));
    const char *node = str(a, "node");
    assert_true(node_valid(node, strlen(node)) == 0);
    json_t *nn = json_object_get(a, "node_name");
    assert_true(json_is_string(nn) || json_is_null(nn));
    if (region_name(regions, node_number(node)))
        assert_string_equal(json_string_value(nn), region_name(regions, node_number(node)));
    const char *dept = str(a, "dept");
    json_t *dn = json_object_get(a, "dept_name");
    assert_true(json_is_string(dn) || json_is_null(dn));
    if (*dept && catalog_dept_name(cat, dept))
        assert_string_equal(json_string_value(dn), catalog_dept_name(cat, dept));
    assert_true(json_object_get(a, "item") != NULL);
    assert_true(json_object_get(a, "item_name") != NULL);
    const char *kind = str(a, "subject_kind");
    const char *subject = str(a, "subject");
    /* the subject again under its kind's name */
    if (strcmp(kind, "case") == 0 || strcmp(kind, "item") == 0 || strcmp(kind, "complaint") == 0 ||
        strcmp(kind, "handler") == 0)
        assert_string_equal(str(a, kind), subject);
    time_of(a, "raised_at");
    assert_true(in_list(str(a, "state"), states));
    assert_true(in_list(str(a, "handling"), handling));
    assert_true(json_is_string(json_object_get(a, "detail")));
    const char *q = str(a, "queue");
    assert_true(node_valid(q, strlen(q)) == 0);
    json_t *ledger = arr(a, "ledger");
    assert_true(json_array_size(ledger) >= 1);
    size_t i;
    json_t *e;
    json_array_foreach(ledger, i, e)
    {
        time_of(e, "at");
        assert_true(in_list(str(e, "action"), actions));
        assert_true(in_list(str(e, "light"), lights));
    }
    assert_string_equal(str(json_array_get(ledger, 0), "action"), "raised");
    json_t *wd = json_object_get(a, "answer_wd_left");
    if (json_object_get(a, "answer_due")) {
        time_of(a, "answer_due");
        assert_true(json_is_integer(wd));
    }
    if (wd)
        assert_true(json_is_integer(wd));
}

/* The board's alert of that id, or NULL. */
static const struct alert *
board_alert(const struct board *b, const char *id)
{
    for (size_t i = 0; i < b->n_alerts; i++)
        if (strcmp(b->alerts[i].id, id) == 0)
            return &b->alerts[i];
    return NULL;
}

/* Each alert of the answer is the board's alert of that id as view_alert_json shows it. */
static void
alerts_are_the_boards(json_t *alerts, const struct board *b)
{
    size_t i;
    json_t *a;
    json_array_foreach(alerts, i, a)
    {
        check_alert_fields(a);
        const struct alert *ba = board_alert(b, str(a, "id"));
        if (!ba)
            fail_msg("alert %s is not on the board", str(a, "id"));
        json_t *want = view_alert_json(ba, &names, now_ms);
        same_json(a, want, ba->id);
        json_decref(want);
    }
}

struct tally {
    size_t n;
    uint64_t red, yellow;
};

/* What the board holds in scope matching the filter. */
static struct tally
count_board(const struct board *b, const struct view_scope *scope,
            const struct view_alert_filter *f)
{
    struct tally t = {0};
    for (size_t i = 0; i < b->n_alerts; i++) {
        const struct alert *a = &b->alerts[i];
        if (!view_alert_in_scope(scope, a) || !view_alert_matches(a, f))
            continue;
        t.n++;
        if (a->light == ALERT_RED)
            t.red++;
        else
            t.yellow++;
    }
    return t;
}

/* Standing department lights in scope, and every change of every alert in scope. */
static struct api_lights
count_lights(const struct board *b, const struct view_scope *scope)
{
    struct api_lights l = {0};
    for (size_t i = 0; i < b->n_alerts; i++) {
        const struct alert *a = &b->alerts[i];
        if (!view_alert_in_scope(scope, a))
            continue;
        l.changes += alert_changes(a);
        if (!alert_is_department(a->rule) ||
            (a->state != ALERT_OPEN && a->state != ALERT_RESPONDED))
            continue;
        if (a->light == ALERT_RED)
            l.red++;
        else
            l.yellow++;
    }
    return l;
}

static int64_t
day(const char *text)
{
    int64_t d;
    assert_int_equal(calendar_parse_date(text, strlen(text), &d), 0);
    return d;
}

/* ---- paths ---- */

static void
every_documented_path_is_known_and_others_are_not(void **state)
{
    (void)state;
    static const char *const known[] = {
        "me",        "nodes",       "alerts",  "alerts/A-154c1b801f998f8d",
        "cases/C-1", "supervision", "patrols", "scores",
        "trends",    "stream"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!api_path_known(known[i]))
            fail_msg("\"%s\" not known", known[i]);
    static const char *const unknown[] = {"",        "nope",      "alertsx",        "me/x",
                                          "/me",     "api/v1/me", "/api/v1/alerts", "scores2",
                                          "streams", "case/C-1"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        if (api_path_known(unknown[i]))
            fail_msg("\"%s\" taken for a known path", unknown[i]);
}

static void
unknown_paths_and_ids_are_404_and_dots_400(void **state)
{
    (void)state;
    struct api_context c = context(&prov_op, &prov_scope);
    refused(&c, "nope", NULL, 404, NULL);
    refused(&c, "", NULL, 404, NULL);
    refused(&c, "alertsx", NULL, 404, NULL);
    refused(&c, "me/x", NULL, 404, NULL);
    refused(&c, "alerts/A-0000000000000000", NULL, 404, NULL);
    refused(&c, "cases/C99", "node=510104", 404, NULL);
    /* an unknown id is unknown to a department operator too, not forbidden */
    struct api_context d = context(&swj_op, &swj_scope);
    refused(&d, "alerts/A-0000000000000000", NULL, 404, NULL);
    static const char *const dots[] = {"alerts/../me", "../alerts", "cases/../../etc/passwd",
                                       "alerts/..",    "cases/..",  ".."};
    for (size_t i = 0; i < sizeof dots / sizeof dots[0]; i++)
        refused(&c, dots[i], NULL, 400, NULL);
}

/* ---- me ---- */

static void
me_names_the_operator_their_office_and_the_session(void **state)
{
    (void)state;
    struct api_context c = context(&prov_op, &prov_scope);
    struct api_answer a = answer(&c, "me", NULL);
    assert_int_equal(a.status, 200);
    assert_int_equal(a.max_age_ms, 0); /* it carries "now" */
    json_t *o = a.body;
    assert_string_equal(str(o, "operator"), "zhang.wei");
    assert_string_equal(str(o, "role"), "supervisor");
    assert_string_equal(str(o, "office"), "510000");
    assert_string_equal(str(o, "office_name"), "四川省");
    assert_true(json_is_null(json_object_get(o, "dept")));
    assert_true(json_is_null(json_object_get(o, "dept_name")));
    assert_string_equal(str(o, "node"), "510104");
    assert_string_equal(str(o, "node_name"), "锦江区");
    assert_int_equal(time_of(o, "expires"), c.session_ends_ms);
    assert_int_equal(time_of(o, "now"), now_ms);
    json_decref(o);

    c = context(&swj_op, &swj_scope);
    c.now_ms += 1000;
    c.session_ends_ms = c.now_ms + 3 * HOUR_MS;
    o = ask(&c, "me", NULL);
    assert_string_equal(str(o, "operator"), "li.na");
    assert_string_equal(str(o, "role"), "department");
    assert_string_equal(str(o, "dept"), "SWJ");
    assert_string_equal(str(o, "dept_name"), "税务局");
    assert_int_equal(time_of(o, "expires"), c.session_ends_ms);
    assert_int_equal(time_of(o, "now"), c.now_ms);
    json_decref(o);

    struct roster_operator aud;
    make_operator(&aud, "sun.li", ROSTER_AUDITOR, 510100, "");
    c = context(&aud, &city_scope);
    o = ask(&c, "me", NULL);
    assert_string_equal(str(o, "role"), "auditor");
    assert_string_equal(str(o, "office"), "510100");
    assert_string_equal(str(o, "office_name"), "成都市");
    json_decref(o);
    make_operator(&aud, "zhou.yi", ROSTER_ADMINISTRATOR, 510000, "");
    c = context(&aud, &prov_scope);
    o = ask(&c, "me", NULL);
    assert_string_equal(str(o, "role"), "administrator");
    json_decref(o);
}

/* ---- alerts ---- */

static void
the_queue_is_the_boards_alerts_in_scope_newest_first(void **state)
{
    (void)state;
    struct board b;
    load_board(&b);
    struct view_alert_filter none = {0};
    struct tally want = count_board(&b, &prov_scope, &none);
    assert_true(want.n >= 20 && want.n < 1000);
    assert_true(want.red > 0 && want.yellow > 0);

    struct api_context c = context(&prov_op, &prov_scope);
    struct api_answer an = answer(&c, "alerts", "limit=1000");
    assert_int_equal(an.status, 200);
    assert_int_equal(an.max_age_ms, 0);
    json_t *o = an.body;
    assert_int_equal(num(o, "total"), want.n);
    assert_int_equal(num(o, "red"), want.red);
    assert_int_equal(num(o, "yellow"), want.yellow);
    assert_int_equal(num(o, "offset"), 0);
    assert_int_equal(num(o, "limit"), 1000);
    json_t *alerts = arr(o, "alerts");
    assert_int_equal(json_array_size(alerts), want.n);
    alerts_are_the_boards(alerts, &b);
    /* every alert once, newest first; the counts are the page's when it holds them all */
    uint64_t red = 0, yellow = 0;
    int64_t last = INT64_MAX;
    size_t i;
    json_t *a;
    json_array_foreach(alerts, i, a)
    {
        int64_t t = time_of(a, "raised_at");
        if (t > last)
            fail_msg("alert %zu (%s) raised after the one before it", i, str(a, "id"));
        last = t;
        if (strcmp(str(a, "light"), "red") == 0)
            red++;
        else
            yellow++;
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(str(json_array_get(alerts, k), "id"), str(a, "id"));
    }
    assert_int_equal(red, want.red);
    assert_int_equal(yellow, want.yellow);
    /* the office's and platform's alarms are in the queue (docs/api.md), the supervision case is
     * shown on its alert */
    bool office_alarm = false, supervised_seen = false;
    json_array_foreach(alerts, i, a)
    {
        if (!alert_is_department(str(a, "rule")))
            office_alarm = true;
        if (strcmp(str(a, "id"), supervised) == 0) {
            supervised_seen = true;
            assert_string_equal(str(a, "supervision"), "S1");
        }
    }
    assert_true(office_alarm);
    assert_true(supervised_seen);
    json_decref(o);

    /* the default page: the first 100 (all of them here), from 0 */
    o = ask(&c, "alerts", NULL);
    assert_int_equal(num(o, "limit"), 100);
    assert_int_equal(num(o, "offset"), 0);
    assert_int_equal(num(o, "total"), want.n);
    assert_int_equal(json_array_size(arr(o, "alerts")), want.n);
    json_decref(o);
    board_fini(&b);
}

struct filter_case {
    const char *query;
    const char *light, *rule, *article, *node, *dept, *state, *queue, *from, *to;
    bool narrows; /* the fixture has alerts on both sides of it */
};

static const struct filter_case filter_cases[] = {
    {"light=red", "red", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true},
    {"light=yellow", "yellow", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true},
    {"rule=limit.case", NULL, "limit.case", NULL, NULL, NULL, NULL, NULL, NULL, NULL, true},
    {"rule=patrol.shortfall", NULL, "patrol.shortfall", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     true},
    {"rule=no.such", NULL, "no.such", NULL, NULL, NULL, NULL, NULL, NULL, NULL, false},
    {"article=11(2)", NULL, NULL, "11(2)", NULL, NULL, NULL, NULL, NULL, NULL, true},
    {"node=510104", NULL, NULL, NULL, "510104", NULL, NULL, NULL, NULL, NULL, false},
    {"node=510105", NULL, NULL, NULL, "510105", NULL, NULL, NULL, NULL, NULL, false},
    {"dept=SWJ", NULL, NULL, NULL, NULL, "SWJ", NULL, NULL, NULL, NULL, true},
    {"dept=GAJ", NULL, NULL, NULL, NULL, "GAJ", NULL, NULL, NULL, NULL, true},
    {"state=standing", NULL, NULL, NULL, NULL, NULL, "standing", NULL, NULL, NULL, true},
    {"state=open", NULL, NULL, NULL, NULL, NULL, "open", NULL, NULL, NULL, true},
    {"state=responded", NULL, NULL, NULL, NULL, NULL, "responded", NULL, NULL, NULL, true},
    {"state=closed", NULL, NULL, NULL, NULL, NULL, "closed", NULL, NULL, NULL, true},
    {"state=cleared", NULL, NULL, NULL, NULL, NULL, "cleared", NULL, NULL, NULL, false},
    {"queue=510100", NULL, NULL, NULL, NULL, NULL, NULL, "510100", NULL, NULL, true},
    {"queue=510104", NULL, NULL, NULL, NULL, NULL, NULL, "510104", NULL, NULL, true},
    {"from=2026-11-17", NULL, NULL, NULL, NULL, NULL, NULL, NULL, "2026-11-17", NULL, true},
    {"to=2026-11-16", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "2026-11-16", true},
    {"from=2026-11-17&to=2026-11-17", NULL, NULL, NULL, NULL, NULL, NULL, NULL, "2026-11-17",
     "2026-11-17", true},
    {"from=2026-01-01&to=2026-01-31", NULL, NULL, NULL, NULL, NULL, NULL, NULL, "2026-01-01",
     "2026-01-31", true},
    {"light=red&dept=GAJ&state=standing&rule=limit.case", "red", "limit.case", NULL, NULL, "GAJ",
     "standing", NULL, NULL, NULL, true},
};

/* The alert's raised local day as "YYYY-MM-DD" (its local time's first ten characters). */
static void
raised_day(json_t *a, char out[11])
{
    time_of(a, "raised_at");
    snprintf(out, 11, "%s", str(a, "raised_at"));
}

static void
every_filter_narrows_the_queue_as_the_view_matches(void **state)
{
    (void)state;
    struct board b;
    load_board(&b);
    struct view_alert_filter none = {0};
    struct tally all = count_board(&b, &prov_scope, &none);
    struct api_context c = context(&prov_op, &prov_scope);
    for (size_t k = 0; k < sizeof filter_cases / sizeof filter_cases[0]; k++) {
        const struct filter_case *fc = &filter_cases[k];
        struct view_alert_filter f = {fc->light, fc->rule,  fc->article, fc->node,
                                      fc->dept,  fc->state, fc->queue,   0,
                                      0,         false,     false};
        if (fc->from) {
            f.from_day = day(fc->from);
            f.has_from = true;
        }
        if (fc->to) {
            f.to_day = day(fc->to);
            f.has_to = true;
        }
        struct tally want = count_board(&b, &prov_scope, &f);
        if (fc->narrows && (want.n == 0 || want.n == all.n))
            fail_msg("fixture: %s does not narrow the queue (%zu of %zu)", fc->query, want.n,
                     all.n);
        char query[256];
        snprintf(query, sizeof query, "%s&limit=1000", fc->query);
        json_t *o = ask(&c, "alerts", query);
        if ((size_t)num(o, "total") != want.n)
            fail_msg("%s: total %lld, want %zu", fc->query, (long long)num(o, "total"), want.n);
        assert_int_equal(num(o, "red"), want.red);
        assert_int_equal(num(o, "yellow"), want.yellow);
        json_t *alerts = arr(o, "alerts");
        assert_int_equal(json_array_size(alerts), want.n);
        alerts_are_the_boards(alerts, &b);
        /* each alert matches the filter by its own fields */
        size_t i;
        json_t *a;
        json_array_foreach(alerts, i, a)
        {
            if (fc->light)
                assert_string_equal(str(a, "light"), fc->light);
            if (fc->rule)
                assert_string_equal(str(a, "rule"), fc->rule);
            if (fc->article)
                assert_string_equal(str(a, "article"), fc->article);
            if (fc->node)
                assert_string_equal(str(a, "node"), fc->node);
            if (fc->dept)
                assert_string_equal(str(a, "dept"), fc->dept);
            if (fc->queue)
                assert_string_equal(str(a, "queue"), fc->queue);
            if (fc->state && strcmp(fc->state, "standing") == 0)
                assert_true(strcmp(str(a, "state"), "open") == 0 ||
                            strcmp(str(a, "state"), "responded") == 0);
            else if (fc->state)
                assert_string_equal(str(a, "state"), fc->state);
            char d[11];
            raised_day(a, d);
            if (fc->from && strcmp(d, fc->from) < 0)
                fail_msg("%s: %s raised on %s", fc->query, str(a, "id"), d);
            if (fc->to && strcmp(d, fc->to) > 0)
                fail_msg("%s: %s raised on %s", fc->query, str(a, "id"), d);
        }
        json_decref(o);
    }
    board_fini(&b);
}

static void
a_page_is_a_slice_of_the_whole_queue(void **state)
{
    (void)state;
    struct api_context c = context(&prov_op, &prov_scope);
    json_t *whole = ask(&c, "alerts", "limit=1000");
    json_t *all = arr(whole, "alerts");
    size_t total = json_array_size(all);
    assert_true(total > 8);
    static const struct {
        const char *query;
        size_t offset, limit;
    } pages[] = {{"limit=5", 0, 5},
                 {"limit=5&offset=3", 3, 5},
                 {"offset=7&limit=1", 7, 1},
                 {"limit=1000&offset=2", 2, 1000},
                 {"offset=4", 4, 100}};
    for (size_t k = 0; k < sizeof pages / sizeof pages[0]; k++) {
        json_t *o = ask(&c, "alerts", pages[k].query);
        assert_int_equal(num(o, "total"), total);
        assert_int_equal(num(o, "red"), num(whole, "red"));
        assert_int_equal(num(o, "yellow"), num(whole, "yellow"));
        assert_int_equal(num(o, "offset"), pages[k].offset);
        assert_int_equal(num(o, "limit"), pages[k].limit);
        json_t *page = arr(o, "alerts");
        size_t want = total - pages[k].offset;
        if (want > pages[k].limit)
            want = pages[k].limit;
        if (json_array_size(page) != want)
            fail_msg("%s: %zu alerts, want %zu", pages[k].query, json_array_size(page), want);
        for (size_t i = 0; i < want; i++)
            assert_string_equal(str(json_array_get(page, i), "id"),
                                str(json_array_get(all, pages[k].offset + i), "id"));
        json_decref(o);
    }
    /* past the end: nothing, the counts unchanged */
    char query[64];
    snprintf(query, sizeof query, "offset=%zu", total);
    json_t *o = ask(&c, "alerts", query);
    assert_int_equal(json_array_size(arr(o, "alerts")), 0);
    assert_int_equal(num(o, "total"), total);
    json_decref(o);
    o = ask(&c, "alerts", "offset=100000&light=red");
    assert_int_equal(json_array_size(arr(o, "alerts")), 0);
    assert_int_equal(num(o, "total"), num(whole, "red"));
    json_decref(o);
    /* the page after a filter is a slice of the filtered queue */
    json_t *red = ask(&c, "alerts", "light=red&limit=1000");
    o = ask(&c, "alerts", "light=red&limit=2&offset=1");
    assert_int_equal(json_array_size(arr(o, "alerts")), 2);
    for (size_t i = 0; i < 2; i++)
        assert_string_equal(str(json_array_get(arr(o, "alerts"), i), "id"),
                            str(json_array_get(arr(red, "alerts"), i + 1), "id"));
    json_decref(o);
    json_decref(red);
    json_decref(whole);
}

static void
bad_input_is_400_naming_the_parameter(void **state)
{
    (void)state;
    struct api_context c = context(&prov_op, &prov_scope);
    static const struct {
        const char *path, *query, *field;
    } bad[] = {
        {"alerts", "colour=red", "colour"},
        {"alerts", "light=red&light=yellow", "light"},
        {"alerts", "limit=5&light=red&limit=6", "limit"},
        {"alerts", "light=blue", "light"},
        {"alerts", "light=Red", "light"},
        {"alerts", "state=bogus", "state"},
        {"alerts", "from=2026-02-30", "from"},
        {"alerts", "from=2026-11", "from"},
        {"alerts", "from=yesterday", "from"},
        {"alerts", "to=30/11/2026", "to"},
        {"alerts", "to=2026-13-01", "to"},
        {"alerts", "limit=0", "limit"},
        {"alerts", "limit=1001", "limit"},
        {"alerts", "limit=-1", "limit"},
        {"alerts", "limit=ten", "limit"},
        {"alerts", "limit=10x", "limit"},
        {"alerts", "offset=-1", "offset"},
        {"alerts", "offset=x", "offset"},
        {"alerts", "node=5101", "node"},
        {"alerts", "node=51010a", "node"},
        {"alerts", "node=5101040", "node"},
        {"me", "x=1", "x"},
        {"nodes", "light=red", "light"},
        {"supervision", "state=bogus", "state"},
        {"supervision", "state=open&state=open", "state"},
        {"supervision", "limit=5", "limit"},
        {"patrols", "period=2026-13", "period"},
        {"patrols", "period=2026-00", "period"},
        {"patrols", "period=26-11", "period"},
        {"scores", "by=mood", "by"},
        {"scores", "period=2026-13", "period"},
        {"scores", "period=2026-11-01", "period"},
        {"scores", "light=red", "light"},
        {"trends", "months=0", "months"},
        {"trends", "months=25", "months"},
        {"trends", "months=x", "months"},
        {"trends", "to=2026-13", "to"},
        {"cases/C2", "node=5101", "node"},
        {"cases/C2", "light=red", "light"},
        {"alerts/A-154c1b801f998f8d", "light=red", "light"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refused(&c, bad[i].path, bad[i].query, 400, bad[i].field);
    /* the edges that are good */
    json_t *o = ask(&c, "alerts", "limit=1000");
    json_decref(o);
    o = ask(&c, "alerts", "limit=1&offset=0");
    json_decref(o);
    o = ask(&c, "trends", "months=24&to=2026-11");
    assert_int_equal(json_array_size(arr(o, "months")), 24);
    json_decref(o);
    o = ask(&c, "trends", "months=1&to=2026-11");
    assert_int_equal(json_array_size(arr(o, "months")), 1);
    json_decref(o);

    /* more parameters than API_ARGS_MAX: refused, nothing read past them */
    struct api_arg many[API_ARGS_MAX + 1];
    static const char *const keys[] = {"light", "rule", "article", "node",  "dept",  "state",
                                       "queue", "from", "to",      "limit", "offset"};
    for (size_t i = 0; i < API_ARGS_MAX + 1; i++)
        many[i] = (struct api_arg){keys[i % 11], "x"};
    struct api_answer a;
    api_answer(&c, "alerts", many, API_ARGS_MAX + 1, &a);
    assert_int_equal(a.status, 400);
    json_t *e = json_object_get(a.body, "error");
    assert_true(json_is_object(e));
    assert_int_equal(json_integer_value(json_object_get(e, "status")), 400);
    json_decref(a.body);
}

/* ---- scope ---- */

static void
a_department_sees_its_own_and_outside_the_scope_is_403(void **state)
{
    (void)state;
    struct board b;
    load_board(&b);
    struct view_alert_filter none = {0};
    struct tally want = count_board(&b, &swj_scope, &none);
    struct tally all = count_board(&b, &prov_scope, &none);
    assert_true(want.n > 0 && want.n < all.n);

    struct api_context c = context(&swj_op, &swj_scope);
    json_t *o = ask(&c, "alerts", "limit=1000");
    assert_int_equal(num(o, "total"), want.n);
    assert_int_equal(num(o, "red"), want.red);
    assert_int_equal(num(o, "yellow"), want.yellow);
    json_t *alerts = arr(o, "alerts");
    assert_int_equal(json_array_size(alerts), want.n);
    size_t i;
    json_t *a;
    json_array_foreach(alerts, i, a) assert_string_equal(str(a, "dept"), "SWJ");
    json_decref(o);
    /* asking for another department's alerts is a read outside the scope */
    refused(&c, "alerts", "dept=GAJ", 403, "dept");
    o = ask(&c, "alerts", "dept=SWJ");
    assert_int_equal(num(o, "total"), want.n);
    json_decref(o);
    /* the supervised alert is SWJ's: theirs to read, not GAJ's */
    char path[64];
    snprintf(path, sizeof path, "alerts/%s", supervised);
    o = ask(&c, path, NULL);
    assert_string_equal(str(json_object_get(o, "alert"), "id"), supervised);
    json_decref(o);
    struct api_context g = context(&gaj_op, &gaj_scope);
    refused(&g, path, NULL, 403, NULL);
    /* nor another city's supervisor's */
    struct api_context z = context(&zigong_op, &zigong_scope);
    refused(&z, path, NULL, 403, NULL);
    refused(&z, "cases/C2", "node=510104", 403, NULL);
    /* a node outside the operator's scope, asked by name */
    struct api_context ch = context(&city_op, &city_scope);
    refused(&ch, "alerts", "node=510302", 403, "node");
    refused(&ch, "alerts", "node=510000", 403, "node");
    refused(&ch, "cases/C2", "node=510302", 403, "node");
    o = ask(&ch, "alerts", "node=510104");
    assert_int_equal(num(o, "total"), count_board(&b, &city_scope, &none).n);
    json_decref(o);
    /* the department's node rows count its lights only */
    struct api_lights dl = count_lights(&b, &swj_scope);
    assert_true(dl.red > 0);
    o = ask(&c, "nodes", NULL);
    json_t *rows = arr(o, "nodes");
    bool county = false;
    json_array_foreach(rows, i, a)
    {
        if (strcmp(str(a, "node"), "510104") != 0)
            continue;
        county = true;
        assert_int_equal(num(a, "red"), dl.red);
        assert_int_equal(num(a, "yellow"), dl.yellow);
    }
    assert_true(county);
    json_decref(o);
    board_fini(&b);
}

/* ---- an alert, a case ---- */

static void
an_alert_comes_with_its_case_records_and_supervision(void **state)
{
    (void)state;
    struct board b;
    load_board(&b);
    struct api_context c = context(&prov_op, &prov_scope);
    char path[64];
    snprintf(path, sizeof path, "alerts/%s", supervised);
    struct api_answer an = answer(&c, path, NULL);
    assert_int_equal(an.status, 200);
    json_t *o = an.body;
    json_t *a = json_object_get(o, "alert");
    assert_true(json_is_object(a));
    json_t *one = json_array(); /* the queue's own view of it */
    json_array_append(one, a);
    alerts_are_the_boards(one, &b);
    json_decref(one);
    assert_string_equal(str(a, "id"), supervised);
    assert_string_equal(str(a, "case"), "C2");
    assert_string_equal(str(a, "supervision"), "S1");
    /* the case's records in the order stored */
    json_t *events = arr(o, "events");
    assert_true(json_array_size(events) >= 1);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    json_t *want = json_array();
    assert_int_equal(view_case_events(t, 510104, "C2", want), 0);
    store_abort(&t);
    same_json(events, want, "events of C2");
    json_decref(want);
    size_t i;
    json_t *e;
    json_int_t last = -1;
    json_array_foreach(events, i, e)
    {
        assert_true(num(e, "seq") > last);
        last = num(e, "seq");
        assert_string_equal(str(json_object_get(e, "record"), "case"), "C2");
    }
    assert_string_equal(str(json_object_get(json_array_get(events, 0), "record"), "type"),
                        "case.accept");
    /* the case on it, as the supervision list shows it */
    json_t *s = json_object_get(o, "supervision");
    assert_true(json_is_object(s));
    assert_string_equal(str(s, "supervision"), "S1");
    assert_int_equal(b.n_cases, 1);
    want = view_supervision_json(&b.cases[0], &names, now_ms);
    same_json(s, want, "supervision of the alert");
    json_decref(want);
    json_decref(o);

    /* an alert with no case on it: supervision null */
    const struct alert *other = find_alert(&b, "limit.case", "C4");
    assert_non_null(other);
    snprintf(path, sizeof path, "alerts/%s", other->id);
    o = ask(&c, path, NULL);
    assert_string_equal(str(json_object_get(o, "alert"), "id"), other->id);
    assert_true(json_is_null(json_object_get(o, "supervision")));
    json_array_foreach(arr(o, "events"), i, e)
        assert_string_equal(str(json_object_get(e, "record"), "case"), "C4");
    assert_true(json_array_size(arr(o, "events")) >= 1);
    json_decref(o);
    /* an office's alarm: no case, no records of one */
    const struct alert *day_alarm = find_alert(&b, "patrol.shortfall", "2026-11-02");
    assert_non_null(day_alarm);
    snprintf(path, sizeof path, "alerts/%s", day_alarm->id);
    o = ask(&c, path, NULL);
    assert_true(json_is_null(json_object_get(o, "supervision")));
    assert_true(json_is_array(json_object_get(o, "events")));
    json_decref(o);
    board_fini(&b);
}

static void
a_case_lists_its_records_and_alerts(void **state)
{
    (void)state;
    struct board b;
    load_board(&b);
    struct api_context c = context(&prov_op, &prov_scope);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    json_t *want = json_array();
    assert_int_equal(view_case_events(t, 510104, "C2", want), 0);
    store_abort(&t);
    /* at a county the node may be left out: the screen's own */
    static const char *const queries[] = {"node=510104", NULL};
    for (size_t q = 0; q < 2; q++) {
        json_t *o = ask(&c, "cases/C2", queries[q]);
        assert_string_equal(str(o, "case"), "C2");
        assert_string_equal(str(o, "node"), "510104");
        same_json(arr(o, "events"), want, "events of C2");
        json_t *alerts = arr(o, "alerts");
        alerts_are_the_boards(alerts, &b);
        size_t n = 0;
        for (size_t i = 0; i < b.n_alerts; i++)
            if (strcmp(b.alerts[i].subject_kind, "case") == 0 &&
                strcmp(b.alerts[i].subject, "C2") == 0)
                n++;
        assert_int_equal(n, 2); /* limit.case and limit.legal */
        assert_int_equal(json_array_size(alerts), n);
        size_t i;
        json_t *a;
        json_array_foreach(alerts, i, a) assert_string_equal(str(a, "case"), "C2");
        json_decref(o);
    }
    json_decref(want);
    board_fini(&b);
}

/* api.h: "an id or node outside the operator's scope is 403"; docs/api.md: a department operator
 * sees only their department's, "a read of anything outside is 403". C2 is SWJ's case at 510104. */
static void
a_case_outside_the_scope_is_403(void **state)
{
    (void)state;
    /* inside: its department, GAJ's own case */
    struct api_context s = context(&swj_op, &swj_scope);
    json_t *o = ask(&s, "cases/C2", NULL);
    assert_int_equal(json_array_size(arr(o, "alerts")), 2);
    json_decref(o);
    struct api_context g = context(&gaj_op, &gaj_scope);
    o = ask(&g, "cases/C3", "node=510104");
    assert_true(json_array_size(arr(o, "events")) >= 2);
    json_decref(o);
    /* outside: another city's office, another department, with the node named or not; every
     * case is tried before failing, so one run lists them all */
    struct api_context z = context(&zigong_op, &zigong_scope);
    const struct {
        const struct api_context *c;
        const char *who, *query;
    } outside[] = {{&z, "510300 supervisor", "node=510104"},
                   {&z, "510300 supervisor", NULL},
                   {&g, "GAJ operator", "node=510104"},
                   {&g, "GAJ operator", NULL}};
    char wrong[1024] = "";
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        struct api_answer a = answer(outside[i].c, "cases/C2", outside[i].query);
        if (a.status != 403) {
            char *text = json_dumps(a.body, JSON_COMPACT);
            size_t len = strlen(wrong);
            snprintf(wrong + len, sizeof wrong - len, "\n  %s: cases/C2?%s: %u %.160s",
                     outside[i].who, outside[i].query ? outside[i].query : "", a.status, text);
            free(text);
        }
        json_decref(a.body);
    }
    if (*wrong)
        fail_msg("want 403 for a case outside the scope, got:%s", wrong);
}

/* ---- supervision, patrols, scores, trends, nodes ---- */

static void
supervision_cases_show_their_state_and_days_left(void **state)
{
    (void)state;
    struct board b;
    load_board(&b);
    assert_int_equal(b.n_cases, 1);
    struct api_context c = context(&prov_op, &prov_scope);
    struct api_answer an = answer(&c, "supervision", NULL);
    assert_int_equal(an.status, 200);
    json_t *cases = arr(an.body, "cases");
    assert_int_equal(json_array_size(cases), 1);
    json_t *s = json_array_get(cases, 0);
    json_t *want = view_supervision_json(&b.cases[0], &names, now_ms);
    same_json(s, want, "S1");
    json_decref(want);
    /* the doc's fields */
    assert_string_equal(str(s, "supervision"), "S1");
    assert_string_equal(str(s, "office"), "510104");
    assert_string_equal(str(s, "office_name"), "锦江区");
    assert_string_equal(str(s, "target_node"), "510104");
    assert_string_equal(str(s, "target_node_name"), "锦江区");
    assert_string_equal(str(s, "target_dept"), "SWJ");
    assert_string_equal(str(s, "dept_name"), "税务局");
    assert_string_equal(str(s, "subject"), "逾期未办结");
    assert_string_equal(str(s, "state"), "open");
    assert_int_equal(time_of(s, "opened_at"), testutil_at("2026-11-16T10:00:00+08:00"));
    time_of(s, "due");
    assert_true(num(s, "wd_left") > 0);
    assert_int_equal(num(s, "extended_wd"), 0);
    assert_true(json_is_null(json_object_get(s, "reported_at")));
    assert_true(json_is_null(json_object_get(s, "closed_at")));
    assert_string_equal(str(s, "alert"), supervised);
    json_decref(an.body);
    static const struct {
        const char *query;
        size_t n;
    } states[] = {
        {"state=open", 1}, {"state=reported", 0}, {"state=closed", 0}, {"state=overdue", 0}};
    for (size_t i = 0; i < 4; i++) {
        json_t *o = ask(&c, "supervision", states[i].query);
        if (json_array_size(arr(o, "cases")) != states[i].n)
            fail_msg("%s: %zu cases, want %zu", states[i].query, json_array_size(arr(o, "cases")),
                     states[i].n);
        json_decref(o);
    }
    /* overdue once its due instant has passed */
    c.now_ms = b.cases[0].due_ms + HOUR_MS;
    json_t *o = ask(&c, "supervision", "state=overdue");
    assert_int_equal(json_array_size(arr(o, "cases")), 1);
    assert_string_equal(str(json_array_get(arr(o, "cases"), 0), "state"), "overdue");
    json_decref(o);
    /* another city's office sees none of it */
    struct api_context z = context(&zigong_op, &zigong_scope);
    o = ask(&z, "supervision", NULL);
    assert_int_equal(json_array_size(arr(o, "cases")), 0);
    json_decref(o);
    board_fini(&b);
}

static void
patrols_are_the_monthly_reports_figures(void **state)
{
    (void)state;
    static const struct {
        const struct roster_operator *op;
        const struct view_scope *scope;
    } who[] = {{&prov_op, &prov_scope}, {&city_op, &city_scope}, {&zigong_op, &zigong_scope}};
    for (size_t w = 0; w < 3; w++) {
        struct report r;
        assert_int_equal(report_build(st, cal, "2026-11", who[w].scope->root, now_ms, &r), 0);
        struct api_context c = context(who[w].op, who[w].scope);
        /* asked for, and by default (this month) */
        static const char *const queries[] = {"period=2026-11", NULL};
        for (size_t q = 0; q < 2; q++) {
            struct api_answer an = answer(&c, "patrols", queries[q]);
            assert_int_equal(an.status, 200);
            json_t *o = an.body;
            assert_string_equal(str(o, "period"), "2026-11");
            json_t *offices = arr(o, "offices");
            assert_int_equal(json_array_size(offices), r.n_offices);
            for (size_t i = 0; i < r.n_offices; i++) {
                json_t *e = json_array_get(offices, i);
                char code[NODE_LEN + 1];
                node_format(r.offices[i].node, code);
                assert_string_equal(str(e, "node"), code);
                assert_string_equal(str(e, "name"), region_name(regions, r.offices[i].node));
                assert_int_equal(num(e, "depth"), node_depth(r.offices[i].node));
                assert_int_equal(num(e, "workdays"), r.offices[i].workdays);
                assert_int_equal(num(e, "patrols"), r.offices[i].patrols);
                assert_int_equal(num(e, "short_days"), r.offices[i].short_days);
            }
            json_decref(o);
        }
        if (w < 2) {
            assert_int_equal(r.n_offices, 1);
            assert_int_equal(r.offices[0].patrols, 2);
            assert_true(r.offices[0].short_days > 0);
        } else {
            assert_int_equal(r.n_offices, 0);
        }
        report_fini(&r);
    }
    /* a month with nothing: the office's figures are all 0 or it is not listed */
    struct api_context c = context(&prov_op, &prov_scope);
    json_t *o = ask(&c, "patrols", "period=2026-05");
    assert_string_equal(str(o, "period"), "2026-05");
    size_t i;
    json_t *e;
    json_array_foreach(arr(o, "offices"), i, e) assert_int_equal(num(e, "patrols"), 0);
    json_decref(o);
}

static void
scores_are_the_views_by_every_grouping(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        enum score_by by;
    } bys[] = {{"node", SCORE_BY_NODE},
               {"dept", SCORE_BY_DEPT},
               {"category", SCORE_BY_CATEGORY},
               {"region", SCORE_BY_REGION}};
    int64_t first, next;
    assert_int_equal(calendar_parse_month("2026-11", &first, &next), 0);
    static const struct {
        const struct roster_operator *op;
        const struct view_scope *scope;
    } who[] = {{&prov_op, &prov_scope}, {&zigong_op, &zigong_scope}};
    for (size_t w = 0; w < 2; w++) {
        struct api_context c = context(who[w].op, who[w].scope);
        for (size_t k = 0; k < 4; k++) {
            struct view_score_row *rows = NULL;
            size_t n = 0;
            assert_int_equal(view_scores(st, first, next, bys[k].by, who[w].scope, &rows, &n), 0);
            if (w == 0)
                assert_true(n > 0);
            char query[64];
            snprintf(query, sizeof query, "period=2026-11&by=%s", bys[k].name);
            struct api_answer an = answer(&c, "scores", query);
            assert_int_equal(an.status, 200);
            json_t *o = an.body;
            assert_string_equal(str(o, "period"), "2026-11");
            assert_string_equal(str(o, "by"), bys[k].name);
            json_t *got = arr(o, "rows");
            assert_int_equal(json_array_size(got), n);
            for (size_t i = 0; i < n; i++) {
                json_t *want = view_score_json(&rows[i], i + 1, "2026-11", bys[k].by, &names);
                same_json(json_array_get(got, i), want, query);
                json_decref(want);
                assert_int_equal(num(json_array_get(got, i), "rank"), i + 1);
            }
            free(rows);
            json_decref(o);
        }
    }
    /* this month by default, by node */
    struct api_context c = context(&prov_op, &prov_scope);
    json_t *o = ask(&c, "scores", NULL);
    assert_string_equal(str(o, "period"), "2026-11");
    assert_string_equal(str(o, "by"), "node");
    assert_int_equal(json_array_size(arr(o, "rows")), 1);
    json_t *row = json_array_get(arr(o, "rows"), 0);
    static const char *const ints[] = {
        "rank",    "cases",        "concluded",    "on_time",           "red",       "yellow",
        "ratings", "ratings_good", "response_due", "responded_in_time", "escalated", "complaints"};
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++)
        if (!json_is_integer(json_object_get(row, ints[k])))
            fail_msg("score row: \"%s\" is not an integer", ints[k]);
    static const char *const rates[] = {"on_time_rate", "satisfaction_rate", "response_rate",
                                        "score"};
    for (size_t k = 0; k < sizeof rates / sizeof rates[0]; k++)
        if (!json_is_number(json_object_get(row, rates[k])))
            fail_msg("score row: \"%s\" is not a number", rates[k]);
    assert_string_equal(str(row, "key"), "510104");
    assert_string_equal(str(row, "name"), "锦江区");
    assert_int_equal(num(row, "cases"), 5);
    static const char *const grades[] = {"优秀", "良好", "合格", "不合格", NULL};
    assert_true(in_list(str(row, "grade"), grades));
    assert_true(json_is_number(json_object_get(row, "score")));
    assert_true(json_is_number(json_object_get(row, "on_time_rate")));
    json_decref(o);
}

static void
trends_are_the_views_months(void **state)
{
    (void)state;
    static const struct {
        const struct roster_operator *op;
        const struct view_scope *scope;
    } who[] = {{&prov_op, &prov_scope}, {&swj_op, &swj_scope}, {&zigong_op, &zigong_scope}};
    for (size_t w = 0; w < 3; w++) {
        struct api_context c = context(who[w].op, who[w].scope);
        json_t *want = NULL;
        assert_int_equal(view_trends(st, "2026-11", 3, who[w].scope, &want), 0);
        json_t *o = ask(&c, "trends", "to=2026-11&months=3");
        same_json(json_object_get(o, "months"), json_object_get(want, "months"), "months");
        same_json(json_object_get(o, "lights"), json_object_get(want, "lights"), "lights");
        same_json(json_object_get(o, "volumes"), json_object_get(want, "volumes"), "volumes");
        json_decref(o);
        json_decref(want);
    }
    /* 12 months to this month by default */
    struct api_context c = context(&prov_op, &prov_scope);
    json_t *o = ask(&c, "trends", NULL);
    json_t *months = arr(o, "months");
    assert_int_equal(json_array_size(months), 12);
    assert_string_equal(json_string_value(json_array_get(months, 0)), "2025-12");
    assert_string_equal(json_string_value(json_array_get(months, 11)), "2026-11");
    json_t *want = NULL;
    assert_int_equal(view_trends(st, "2026-11", 12, &prov_scope, &want), 0);
    same_json(json_object_get(o, "lights"), json_object_get(want, "lights"), "lights");
    same_json(json_object_get(o, "volumes"), json_object_get(want, "volumes"), "volumes");
    json_decref(want);
    json_decref(o);
    o = ask(&c, "trends", "months=5");
    assert_string_equal(json_string_value(json_array_get(arr(o, "months"), 4)), "2026-11");
    assert_int_equal(json_array_size(arr(o, "months")), 5);
    json_decref(o);
}

static void
nodes_show_the_tree_in_scope_with_department_lights(void **state)
{
    (void)state;
    struct board b;
    load_board(&b);
    static const struct {
        const struct roster_operator *op;
        const struct view_scope *scope;
        bool sees;
    } who[] = {{&prov_op, &prov_scope, true},
               {&city_op, &city_scope, true},
               {&gaj_op, &gaj_scope, true},
               {&zigong_op, &zigong_scope, false}};
    for (size_t w = 0; w < 4; w++) {
        struct api_context c = context(who[w].op, who[w].scope);
        struct api_answer an = answer(&c, "nodes", NULL);
        assert_int_equal(an.status, 200);
        json_t *o = an.body;
        assert_int_equal(time_of(o, "at"), now_ms);

        json_t *rows = arr(o, "nodes");
        store_txn_t *t = NULL;
        assert_int_equal(store_read(st, &t), 0);
        struct view_node *vn = NULL;
        size_t n = 0;
        assert_int_equal(view_nodes(t, NULL, who[w].scope, &vn, &n), 0);
        store_abort(&t);
        assert_int_equal(json_array_size(rows), n);
        for (size_t i = 0; i < n; i++) {
            json_t *want = view_node_json(&vn[i], &names, now_ms);
            same_json(json_array_get(rows, i), want, "node row");
            json_decref(want);
        }
        free(vn);
        bool county = false;
        uint32_t last = 0;
        size_t i;
        json_t *r;
        static const char *const keys[] = {
            "node",     "name",     "parent",  "depth", "records",      "batch",
            "backlog",  "lag_s",    "skew_ms", "red",   "yellow",       "catalog",
            "calendar", "coverage", "disk",    "crl",   "last_contact", "alarms"};
        json_array_foreach(rows, i, r)
        {
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
                if (!json_object_get(r, keys[k]))
                    fail_msg("node row without \"%s\"", keys[k]);
            uint32_t code = node_number(str(r, "node"));
            assert_true(code > last); /* code order */
            last = code;
            assert_true(view_node_in_scope(who[w].scope, code));
            if (code != 510104)
                continue;
            county = true;
            struct api_lights l = count_lights(&b, who[w].scope);
            assert_int_equal(num(r, "red"), l.red);
            assert_int_equal(num(r, "yellow"), l.yellow);
            assert_string_equal(str(r, "name"), "锦江区");
            assert_string_equal(str(r, "parent"), "510100");
            assert_int_equal(num(r, "depth"), 2);
            assert_true(num(r, "records") >= 10);
            static const char *const levels[] = {"ok", "yellow", "red", NULL};
            assert_true(in_list(str(r, "coverage"), levels));
            assert_true(in_list(str(r, "disk"), levels));
            json_t *alarms = arr(r, "alarms");
            size_t k;
            json_t *al;
            json_array_foreach(alarms, k, al)
            {
                assert_false(alert_is_department(str(al, "rule")));
                assert_string_equal(str(al, "rule_name"), view_rule_name(str(al, "rule")));
            }
            assert_true(json_array_size(alarms) > 0); /* patrol.shortfall standing */
        }
        assert_int_equal(county, who[w].sees);
        json_decref(o);
    }
    board_fini(&b);
}

/* docs/api.md: "The node and every node below it in the operator's scope", the node being the one
 * whose screen it is (jiancha-web "serves one node's data"; /me's "node" is the screen's). */
static void
the_node_list_is_headed_by_the_screens_node(void **state)
{
    (void)state;
    struct api_context c = context(&prov_op, &prov_scope);
    json_t *o = ask(&c, "nodes", NULL);
    json_t *me = ask(&c, "me", NULL);
    char head[16], screen[16];
    snprintf(head, sizeof head, "%s", str(o, "node"));
    snprintf(screen, sizeof screen, "%s", str(me, "node"));
    json_decref(me);
    json_decref(o);
    assert_string_equal(screen, "510104");
    if (strcmp(head, screen) != 0)
        fail_msg("/nodes \"node\" is %s, the screen's node (/me) is %s", head, screen);
}

static void
answers_say_how_long_they_may_be_kept(void **state)
{
    (void)state;
    struct api_context c = context(&prov_op, &prov_scope);
    static const struct {
        const char *path, *query;
        int64_t min, max; /* docs/api.md */
    } ages[] = {
        {"scores", "period=2026-11", 1, 5000},
        {"patrols", "period=2026-11", 1, 5000},
        {"trends", NULL, 1, 5000},
        {"nodes", NULL, 1, 2000},
        {"alerts", NULL, 0, 0},
        {"me", NULL, 0, 0},
    };
    for (size_t i = 0; i < sizeof ages / sizeof ages[0]; i++) {
        struct api_answer a = answer(&c, ages[i].path, ages[i].query);
        assert_int_equal(a.status, 200);
        if (a.max_age_ms < ages[i].min || a.max_age_ms > ages[i].max)
            fail_msg("%s: max_age_ms %lld, want %lld..%lld", ages[i].path, (long long)a.max_age_ms,
                     (long long)ages[i].min, (long long)ages[i].max);
        json_decref(a.body);
    }
}

/* ---- the stream's figures ---- */

static struct api_lights
lights(snapshot_t *s, const struct view_scope *scope)
{
    struct api_lights l;
    memset(&l, 0xa5, sizeof l);
    assert_int_equal(api_lights(s, scope, &l), 0);
    return l;
}

static int64_t
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs last: it answers one of the alerts, changing the store. */
static void
the_lights_count_standing_department_lights_and_move_with_a_change(void **state)
{
    (void)state;
    struct board b;
    load_board(&b);
    const struct view_scope *scopes[] = {&prov_scope, &city_scope, &swj_scope, &gaj_scope,
                                         &zigong_scope};
    struct api_lights before[5];
    for (size_t i = 0; i < 5; i++) {
        struct api_lights want = count_lights(&b, scopes[i]);
        before[i] = lights(snap, scopes[i]);
        if (before[i].red != want.red || before[i].yellow != want.yellow ||
            before[i].changes != want.changes)
            fail_msg("scope %zu: lights %llu/%llu/%llu, want %llu/%llu/%llu", i,
                     (unsigned long long)before[i].red, (unsigned long long)before[i].yellow,
                     (unsigned long long)before[i].changes, (unsigned long long)want.red,
                     (unsigned long long)want.yellow, (unsigned long long)want.changes);
    }
    assert_true(before[0].red > 0 && before[0].yellow > 0);
    assert_true(before[2].red > 0 && before[2].red < before[0].red);
    assert_int_equal(before[4].red + before[4].yellow + before[4].changes, 0);
    /* the stream counts department lights only; the queue counts every alarm too */
    struct api_context c = context(&prov_op, &prov_scope);
    json_t *o = ask(&c, "alerts", "state=standing");
    assert_true((uint64_t)num(o, "yellow") > before[0].yellow);
    json_decref(o);

    /* GAJ answers C4's red light */
    const struct alert *c4 = find_alert(&b, "limit.case", "C4");
    assert_non_null(c4);
    assert_int_equal(c4->state, ALERT_OPEN);
    char id[ALERT_ID_LEN];
    snprintf(id, sizeof id, "%s", c4->id);
    board_fini(&b);
    char json[512];
    snprintf(json, sizeof json,
             "\"type\":\"alert.respond\",\"alert\":\"%s\",\"by\":\"chen.gang\",\"action\":"
             "\"explain\",\"text\":\"已受理待补件\",\"at\":\"2026-11-30T11:00:00+08:00\"",
             id);
    assert_string_equal(send(json), "");
    judge("2026-11-30T12:00:00+08:00");
    load_board(&b);
    assert_int_equal(board_alert(&b, id)->state, ALERT_RESPONDED);
    struct api_lights want[5];
    for (size_t i = 0; i < 5; i++)
        want[i] = count_lights(&b, scopes[i]);
    assert_true(want[0].changes > before[0].changes);

    /* the shared board follows within about a second (refresh_ms 100 here) */
    int64_t deadline = mono_ms() + 3000;
    struct api_lights now = lights(snap, &prov_scope);
    while (now.changes == before[0].changes && mono_ms() < deadline) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        now = lights(snap, &prov_scope);
    }
    for (size_t i = 0; i < 5; i++) {
        struct api_lights got = lights(snap, scopes[i]);
        if (got.red != want[i].red || got.yellow != want[i].yellow ||
            got.changes != want[i].changes)
            fail_msg("scope %zu after: lights %llu/%llu/%llu, want %llu/%llu/%llu", i,
                     (unsigned long long)got.red, (unsigned long long)got.yellow,
                     (unsigned long long)got.changes, (unsigned long long)want[i].red,
                     (unsigned long long)want[i].yellow, (unsigned long long)want[i].changes);
    }
    /* an answer leaves the light standing; only the alert's department saw a change */
    assert_int_equal(want[0].red, before[0].red);
    assert_int_equal(want[2].changes, before[2].changes);
    assert_true(want[3].changes > before[3].changes);
    /* and the queue shows it answered */
    char path[64];
    snprintf(path, sizeof path, "alerts/%s", id);
    o = ask(&c, path, NULL);
    assert_string_equal(str(json_object_get(o, "alert"), "state"), "responded");
    assert_string_equal(str(json_object_get(o, "alert"), "handling"), "已说明");
    json_decref(o);
    board_fini(&b);

    /* a fresh snapshot gives the same figures at once */
    snapshot_t *fresh = snapshot_new(st, cal, 1000);
    assert_non_null(fresh);
    struct api_lights f = lights(fresh, &prov_scope);
    assert_int_equal(f.changes, want[0].changes);
    assert_int_equal(f.red, want[0].red);
    assert_int_equal(f.yellow, want[0].yellow);
    snapshot_destroy(&fresh);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_documented_path_is_known_and_others_are_not),
        cmocka_unit_test(unknown_paths_and_ids_are_404_and_dots_400),
        cmocka_unit_test(me_names_the_operator_their_office_and_the_session),
        cmocka_unit_test(the_queue_is_the_boards_alerts_in_scope_newest_first),
        cmocka_unit_test(every_filter_narrows_the_queue_as_the_view_matches),
        cmocka_unit_test(a_page_is_a_slice_of_the_whole_queue),
        cmocka_unit_test(bad_input_is_400_naming_the_parameter),
        cmocka_unit_test(a_department_sees_its_own_and_outside_the_scope_is_403),
        cmocka_unit_test(an_alert_comes_with_its_case_records_and_supervision),
        cmocka_unit_test(a_case_lists_its_records_and_alerts),
        cmocka_unit_test(a_case_outside_the_scope_is_403),
        cmocka_unit_test(supervision_cases_show_their_state_and_days_left),
        cmocka_unit_test(patrols_are_the_monthly_reports_figures),
        cmocka_unit_test(scores_are_the_views_by_every_grouping),
        cmocka_unit_test(trends_are_the_views_months),
        cmocka_unit_test(nodes_show_the_tree_in_scope_with_department_lights),
        cmocka_unit_test(the_node_list_is_headed_by_the_screens_node),
        cmocka_unit_test(answers_say_how_long_they_may_be_kept),
        cmocka_unit_test(the_lights_count_standing_department_lights_and_move_with_a_change),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
