#include "access.h"
#include "alert.h"
#include "desk.h"
#include "err.h"
#include "event.h"
#include "roster.h"
#include "sign.h"
#include "spool.h"
#include "store.h"

#include "testutil.h"

#include <jansson.h>

enum { ZHANG, WU, LI, PROV, CITYADMIN, N_OPS };
static const char *const names[N_OPS] = {"zhang", "wu", "li", "prov", "cityadmin"};
static sign_key_t *keys[N_OPS];
static roster_t *roster;
static char *dir;
static store_t *st;
static char alert_id[ALERT_ID_LEN];

static int
note_fn(store_txn_t *t, void *arg)
{
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    const struct wire_buf *rec = arg;
    assert_int_equal(wire_decode_one(rec->data, rec->len, &r, &m), 0);
    int rc = desk_note_alert(t, 510104, m);
    uint8_t k[12];
    store_be32(k, 510104);
    store_be64(k + 4, 7);
    if (rc == 0)
        rc = store_put(t, STORE_EVENTS, k, 12, rec->data, rec->len, 0);
    wire_reader_destroy(&r);
    return rc;
}

static int
setup(void **state)
{
    (void)state;
    assert_int_equal(sign_init(), 0);
    static const char *const roles[N_OPS] = {"supervisor", "supervisor", "department",
                                             "administrator", "administrator"};
    static const char *const nodes[N_OPS] = {"510100", "510100", "510104", "510000", "510100"};
    json_t *ops = json_array();
    for (int i = 0; i < N_OPS; i++) {
        keys[i] = sign_key_generate();
        char hex[65];
        sign_to_hex(sign_key_public(keys[i]), SIGN_PUBLIC_BYTES, hex);
        json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "name", names[i], "role", roles[i], "node",
                              nodes[i], "key", hex);
        if (i == LI)
            json_object_set_new(o, "dept", json_string("SWJ"));
        json_array_append_new(ops, o);
    }
    json_t *doc = json_pack("{s:i,s:o}", "version", 1, "operators", ops);
    char *text = json_dumps(doc, 0);
    char why[ERR_WHY_MAX];
    assert_int_equal(roster_parse(text, strlen(text), &roster, why, sizeof why), 0);
    free(text);
    json_decref(doc);
    dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 4 << 20};
    assert_int_equal(store_open(dir, &o, &st), 0);
    /* a county SWJ alert known at this city, and a county record 510104/7 */
    struct alert a = {0};
    snprintf(a.node, sizeof a.node, "510104");
    snprintf(a.dept, sizeof a.dept, "SWJ");
    snprintf(a.rule, sizeof a.rule, "rating.bad");
    snprintf(a.subject_kind, sizeof a.subject_kind, "case");
    snprintf(a.subject, sizeof a.subject, "C1");
    alert_make_id(&a);
    alert_log(&a, 1793581200000LL, ALERT_RAISED, ALERT_YELLOW);
    memcpy(alert_id, a.id, sizeof alert_id);
    struct wire_buf rec;
    wire_buf_init(&rec);
    alert_record_encode(&a, &rec);
    assert_int_equal(store_write(st, note_fn, &rec), 0);
    wire_buf_fini(&rec);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    for (int i = 0; i < N_OPS; i++)
        sign_key_destroy(&keys[i]);
    roster_destroy(&roster);
    store_close(&st);
    testutil_rmdir(dir);
    return 0;
}

/* Judges the JSON request at the city as signed by `signer` and claimed by `who`; returns the
 * refused field, or "" when allowed. */
static const char *
judge(const char *json, int who, int signer)
{
    static char field[64];
    char reason[192];
    struct event_set set;
    event_set_init(&set);
    assert_int_equal(event_parse_message(json, strlen(json), "510100", &set), 0);
    if (set.n_entries != 1)
        fail_msg("not a valid record: %s: %s", set.rejects[0].field, set.rejects[0].reason);
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    sign_detached(keys[signer], SIGN_DOMAIN_OPERATOR, json, strlen(json), sig);
    struct access_request req = {names[who], sig, json, strlen(json)};
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    assert_int_equal(wire_decode_one(set.records.data, set.records.len, &r, &m), 0);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    const struct roster_operator *op;
    int rc = access_judge(roster, t, 510100, &req, m, &op, field, reason);
    store_abort(&t);
    wire_reader_destroy(&r);
    event_set_fini(&set);
    if (rc == 0)
        field[0] = '\0';
    else
        assert_int_equal(rc, ERR_INVALID);
    return field;
}

static int
open_case_fn(store_txn_t *t, void *arg)
{
    (void)arg;
    const char *json = "{\"type\":\"supervise.open\",\"id\":\"o1\",\"supervision\":\"S1\","
                       "\"target\":{\"node\":\"510104\",\"dept\":\"SWJ\"},\"subject\":\"核查\","
                       "\"by\":\"zhang\",\"at\":1793581200000}";
    struct event_set set;
    event_set_init(&set);
    assert_int_equal(event_parse_message(json, strlen(json), "510100", &set), 0);
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    assert_int_equal(wire_decode_one(set.records.data, set.records.len, &r, &m), 0);
    uint64_t seq;
    int rc = spool_append(t, 510100, set.records.data, set.records.len, &seq);
    if (rc == 0)
        rc = desk_index(t, 510100, seq, m);
    wire_reader_destroy(&r);
    event_set_fini(&set);
    return rc;
}

static void
a_case_is_reported_by_the_department_it_targets_or_the_office(void **state)
{
    (void)state;
    assert_int_equal(store_write(st, open_case_fn, NULL), 0);
    static const struct {
        int who;
        const char *want;
    } cases[] = {
        {LI, ""},           /* the county's SWJ, at the city's office */
        {ZHANG, ""},        /* the office's supervisor */
        {PROV, "operator"}, /* neither */
    };
    char json[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(json, sizeof json,
                 "{\"type\":\"supervise.report\",\"id\":\"r1\",\"supervision\":\"S1\","
                 "\"by\":\"%s\",\"text\":\"已整改\",\"at\":1793581200000}",
                 names[cases[i].who]);
        assert_string_equal(judge(json, cases[i].who, cases[i].who), cases[i].want);
    }
    snprintf(json, sizeof json,
             "{\"type\":\"supervise.report\",\"id\":\"r2\",\"supervision\":\"S9\","
             "\"by\":\"li\",\"text\":\"t\",\"at\":1793581200000}");
    assert_string_equal(judge(json, LI, LI), "supervision"); /* no such case here */
}

static void
roles_scopes_and_names_decide(void **state)
{
    (void)state;
    char json[1024];
    snprintf(json, sizeof json,
             "{\"type\":\"alert.close\",\"id\":\"c1\",\"alert\":\"%s\",\"by\":\"zhang\","
             "\"verdict\":\"v\",\"at\":1793581200000}",
             alert_id);
    assert_string_equal(judge(json, ZHANG, ZHANG), "");
    assert_string_equal(judge(json, ZHANG, WU), "operator"); /* another's signature */
    assert_string_equal(judge(json, WU, WU), "by");          /* names zhang, signed by wu */
    assert_string_equal(judge(json, LI, LI), "operator");    /* a department does not close */
    snprintf(json, sizeof json,
             "{\"type\":\"alert.respond\",\"id\":\"r1\",\"alert\":\"%s\",\"by\":\"li\","
             "\"action\":\"explain\",\"text\":\"t\",\"at\":1793581200000}",
             alert_id);
    assert_string_equal(judge(json, LI, LI), "");
    assert_string_equal(judge(json, ZHANG, ZHANG), "operator"); /* supervisors do not answer */
    assert_string_equal(judge("{\"type\":\"patrol\",\"id\":\"p1\",\"supervisor\":\"zhang\","
                              "\"target\":\"510104\",\"kind\":\"data\",\"at\":1793581200000}",
                              ZHANG, ZHANG),
                        "");
    assert_string_equal(judge("{\"type\":\"patrol\",\"id\":\"p1\",\"supervisor\":\"prov\","
                              "\"target\":\"510104\",\"kind\":\"data\",\"at\":1793581200000}",
                              PROV, PROV),
                        "operator"); /* not a supervisor, and not this office's */
}

static char *
approval(int approver, const char *doc)
{
    return access_approval_make(keys[approver], doc);
}

static void
exports_and_deletions_need_their_approvals(void **state)
{
    (void)state;
    char json[4096];
    const char *doc = "{\"approval\":\"export\",\"approver\":\"wu\",\"requester\":\"zhang\","
                      "\"what\":\"events\",\"node\":\"510104\",\"period\":\"2026-11\"}";
    json_t *rec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "type", "export", "id", "x1", "what",
                            "events", "target", "510104", "period", "2026-11", "requester", "zhang",
                            "at", (json_int_t)1793581200000LL);
    char *text = json_dumps(rec, JSON_COMPACT);
    assert_string_equal(judge(text, ZHANG, ZHANG), "approval");
    free(text);
    struct {
        int approver;
        const char *doc, *want;
    } cases[] = {
        {WU, doc, ""},
        {ZHANG,
         "{\"approval\":\"export\",\"approver\":\"zhang\",\"requester\":\"zhang\","
         "\"what\":\"events\",\"node\":\"510104\",\"period\":\"2026-11\"}",
         "approval"}, /* their own */
        {PROV,
         "{\"approval\":\"export\",\"approver\":\"prov\",\"requester\":\"zhang\","
         "\"what\":\"events\",\"node\":\"510104\",\"period\":\"2026-11\"}",
         "approval"}, /* another office */
        {WU,
         "{\"approval\":\"export\",\"approver\":\"wu\",\"requester\":\"zhang\","
         "\"what\":\"events\",\"node\":\"510104\",\"period\":\"2026-10\"}",
         "approval"},             /* another period */
        {ZHANG, doc, "approval"}, /* wu's document, zhang's signature */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *ap = approval(cases[i].approver, cases[i].doc);
        json_object_set_new(rec, "approval", json_string(ap));
        text = json_dumps(rec, JSON_COMPACT);
        const char *got = judge(text, ZHANG, ZHANG);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("export case %zu: refused \"%s\", want \"%s\"", i, got, cases[i].want);
        free(text);
        free(ap);
    }
    json_decref(rec);
    /* deleting the county's record 510104/7 needs the province's administrator */
    for (int who = PROV; who <= CITYADMIN; who++) {
        char d[512];
        snprintf(d, sizeof d,
                 "{\"approval\":\"delete\",\"approver\":\"%s\",\"requester\":\"zhang\","
                 "\"record\":\"510104/7\"}",
                 names[who]);
        char *ap = approval(who, d);
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "type", "record.delete", "id", "d1",
                              "record", "510104/7", "reason", "r", "requester", "zhang", "approval",
                              ap, "at", (json_int_t)1793581200000LL);
        text = json_dumps(o, JSON_COMPACT);
        assert_string_equal(judge(text, ZHANG, ZHANG), who == PROV ? "" : "approval");
        free(text);
        free(ap);
        json_decref(o);
    }
    snprintf(json, sizeof json,
             "{\"type\":\"record.delete\",\"id\":\"d2\",\"record\":\"510104/8\",\"reason\":\"r\","
             "\"requester\":\"zhang\",\"at\":1793581200000}");
    assert_string_equal(judge(json, ZHANG, ZHANG), "record"); /* not held here */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roles_scopes_and_names_decide),
        cmocka_unit_test(exports_and_deletions_need_their_approvals),
        cmocka_unit_test(a_case_is_reported_by_the_department_it_targets_or_the_office),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
