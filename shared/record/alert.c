/* alert: ids, ledger and JSON for alerts. */
#include "alert.h"

#include "node.h"

#include "sign.h"
#include "timestamp.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

void
alert_node_alarm(struct alert *a, uint32_t node, const char *rule)
{
    memset(a, 0, sizeof *a);
    node_format(node, a->node);
    snprintf(a->rule, sizeof a->rule, "%s", rule);
    snprintf(a->article, sizeof a->article, "14");
    snprintf(a->subject_kind, sizeof a->subject_kind, "node");
    snprintf(a->subject, sizeof a->subject, "%s", a->node);
    alert_make_id(a);
}

void
alert_make_id(struct alert *a)
{
    char key[256];
    int n = snprintf(key, sizeof key, "%s|%s|%s|%s", a->node, a->rule, a->subject_kind,
                     a->subject);
    uint8_t h[SIGN_HASH_BYTES];
    sign_hash(key, n < (int)sizeof key ? (size_t)n : sizeof key - 1, h);
    char hex[17];
    sign_to_hex(h, 8, hex);
    snprintf(a->id, sizeof a->id, "A-%s", hex);
}

void
alert_log_cause(struct alert *a, int64_t at_ms, enum alert_action action, enum alert_light light,
                const char *cause)
{
    size_t i = a->n_ledger < ALERT_LEDGER_MAX ? a->n_ledger++ : ALERT_LEDGER_MAX - 1;
    a->ledger[i] = (struct alert_entry){at_ms, action, light, ""};
    if (cause)
        snprintf(a->ledger[i].cause, sizeof a->ledger[i].cause, "%s", cause);
    a->changes++;
}

void
alert_log(struct alert *a, int64_t at_ms, enum alert_action action, enum alert_light light)
{
    alert_log_cause(a, at_ms, action, light, NULL);
}

enum alert_light
alert_shown_light(const struct alert *a)
{
    return a->feedback_steps ? ALERT_RED : a->finding;
}

bool
alert_is_department(const char *rule)
{
    return strncmp(rule, "node.", 5) != 0 && strncmp(rule, "key.", 4) != 0 &&
           strncmp(rule, "cert.", 5) != 0 &&
           strncmp(rule, "calendar.", 9) != 0 &&
           strcmp(rule, "patrol.shortfall") != 0 && strcmp(rule, "supervision.overdue") != 0;
}

const char *
alert_light_name(enum alert_light l)
{
    return l == ALERT_RED ? "red" : "yellow";
}

const char *
alert_state_name(enum alert_state s)
{
    static const char *const names[] = {"open", "responded", "closed", "cleared"};
    return names[s];
}

static const char *
action_name(enum alert_action a)
{
    static const char *const names[ALERT_ACTIONS_] = {"raised",  "escalated", "responded",
                                                      "closed",  "cleared",   "lowered",
                                                      "corrected"};
    return names[a];
}

static json_t *
time_json(int64_t ms)
{
    char buf[TIMESTAMP_TEXT_MAX];
    timestamp_format(ms, buf);
    return json_string(buf);
}

char *
alert_to_json(const struct alert *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(a->id));
    json_object_set_new(o, "rule", json_string(a->rule));
    json_object_set_new(o, "light", json_string(alert_light_name(a->light)));
    json_object_set_new(o, "finding", json_string(alert_light_name(a->finding)));
    json_object_set_new(o, "article", json_string(a->article));
    json_object_set_new(o, "node", json_string(a->node));
    json_object_set_new(o, "dept", json_string(a->dept));
    json_object_set_new(o, "item", json_string(a->item));
    json_object_set_new(o, a->subject_kind[0] ? a->subject_kind : "subject",
                        json_string(a->subject));
    json_object_set_new(o, "raised_at", time_json(a->raised_ms));
    json_object_set_new(o, "finding_at", time_json(a->finding_ms ? a->finding_ms : a->raised_ms));
    if (a->provisional)
        json_object_set_new(o, "provisional", json_true());
    json_object_set_new(o, "state", json_string(alert_state_name(a->state)));
    json_object_set_new(o, "detail", json_string(a->detail));
    json_t *ledger = json_array();
    for (size_t i = 0; i < a->n_ledger; i++) {
        json_t *e = json_object();
        json_object_set_new(e, "at", time_json(a->ledger[i].at_ms));
        json_object_set_new(e, "action", json_string(action_name(a->ledger[i].action)));
        json_object_set_new(e, "light", json_string(alert_light_name(a->ledger[i].light)));
        if (a->ledger[i].cause[0])
            json_object_set_new(e, "cause", json_string(a->ledger[i].cause));
        json_array_append_new(ledger, e);
    }
    json_object_set_new(o, "ledger", ledger);
    json_object_set_new(o, "queue", json_string(a->queue[0] ? a->queue : a->node));
    if (a->answer_due_ms)
        json_object_set_new(o, "answer_due", time_json(a->answer_due_ms));
    if (a->responded_ms)
        json_object_set_new(o, "responded_at", time_json(a->responded_ms));
    if (a->corrected_ms)
        json_object_set_new(o, "corrected_at", time_json(a->corrected_ms));
    if (a->closed_ms)
        json_object_set_new(o, "closed_at", time_json(a->closed_ms));
    if (a->feedback_steps)
        json_object_set_new(o, "feedback_steps", json_integer(a->feedback_steps));
    if (a->supervision[0])
        json_object_set_new(o, "supervision", json_string(a->supervision));
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}

uint32_t
alert_changes(const struct alert *a)
{
    return a->changes > a->n_ledger ? a->changes : (uint32_t)a->n_ledger;
}

void
alert_encode(const struct alert *a, struct wire_buf *out)
{
    /* the answer fields only when set, so alerts without them encode as before */
    int64_t times[] = {a->answer_from_ms, a->answer_due_ms, a->responded_ms, a->corrected_ms,
                       a->closed_ms};
    static const char *const time_keys[] = {"answer_from", "answer_due", "responded", "corrected",
                                            "closed"};
    uint32_t extra = (a->queue[0] != 0) + (a->feedback_steps != 0) + (a->answer_wd != 0) +
                     (a->retry_wd != 0) + (a->fix_wd != 0) + (a->provisional != 0);
    for (size_t i = 0; i < 5; i++)
        extra += times[i] != 0;
    wire_put_map(out, 16 + extra);
    wire_put_cstr(out, "finding");
    wire_put_cstr(out, alert_light_name(a->finding));
    wire_put_cstr(out, "finding_at");
    wire_put_int(out, a->finding_ms ? a->finding_ms : a->raised_ms);
    wire_put_cstr(out, "changes");
    wire_put_uint(out, alert_changes(a));
    if (a->provisional) {
        wire_put_cstr(out, "provisional");
        wire_put_bool(out, true);
    }
    if (a->queue[0]) {
        wire_put_cstr(out, "queue");
        wire_put_cstr(out, a->queue);
    }
    if (a->feedback_steps) {
        wire_put_cstr(out, "steps");
        wire_put_uint(out, a->feedback_steps);
    }
    const unsigned windows[] = {a->answer_wd, a->retry_wd, a->fix_wd};
    static const char *const window_keys[] = {"answer_wd", "retry_wd", "fix_wd"};
    for (size_t i = 0; i < 3; i++)
        if (windows[i]) {
            wire_put_cstr(out, window_keys[i]);
            wire_put_uint(out, windows[i]);
        }
    for (size_t i = 0; i < 5; i++)
        if (times[i]) {
            wire_put_cstr(out, time_keys[i]);
            wire_put_int(out, times[i]);
        }
    wire_put_cstr(out, "id");
    wire_put_cstr(out, a->id);
    wire_put_cstr(out, "rule");
    wire_put_cstr(out, a->rule);
    wire_put_cstr(out, "article");
    wire_put_cstr(out, a->article);
    wire_put_cstr(out, "light");
    wire_put_cstr(out, alert_light_name(a->light));
    wire_put_cstr(out, "state");
    wire_put_cstr(out, alert_state_name(a->state));
    wire_put_cstr(out, "node");
    wire_put_cstr(out, a->node);
    wire_put_cstr(out, "dept");
    wire_put_cstr(out, a->dept);
    wire_put_cstr(out, "item");
    wire_put_cstr(out, a->item);
    wire_put_cstr(out, "subject_kind");
    wire_put_cstr(out, a->subject_kind);
    wire_put_cstr(out, "subject");
    wire_put_cstr(out, a->subject);
    wire_put_cstr(out, "raised");
    wire_put_int(out, a->raised_ms);
    wire_put_cstr(out, "detail");
    wire_put_cstr(out, a->detail);
    wire_put_cstr(out, "ledger");
    wire_put_array(out, (uint32_t)a->n_ledger);
    for (size_t i = 0; i < a->n_ledger; i++) {
        bool cause = a->ledger[i].cause[0] != 0;
        wire_put_array(out, cause ? 4 : 3);
        wire_put_int(out, a->ledger[i].at_ms);
        wire_put_uint(out, (uint64_t)a->ledger[i].action);
        wire_put_uint(out, (uint64_t)a->ledger[i].light);
        if (cause)
            wire_put_cstr(out, a->ledger[i].cause);
    }
}

static int
copy_str(const wire_obj_t *m, const char *key, char *out, size_t cap)
{
    const char *p;
    size_t len;
    if (wire_obj_get_bytes(m, key, WIRE_STR, &p, &len) != 0 || len >= cap)
        return -1;
    memcpy(out, p, len);
    out[len] = '\0';
    return 0;
}

int
alert_decode(const wire_obj_t *m, struct alert *a)
{
    char light[8], state[12];
    memset(a, 0, sizeof *a);
    const wire_obj_t *raised = wire_obj_get(m, "raised"), *ledger = wire_obj_get(m, "ledger");
    if (copy_str(m, "id", a->id, sizeof a->id) || copy_str(m, "rule", a->rule, sizeof a->rule) ||
        copy_str(m, "article", a->article, sizeof a->article) ||
        copy_str(m, "light", light, sizeof light) || copy_str(m, "state", state, sizeof state) ||
        copy_str(m, "node", a->node, sizeof a->node) ||
        copy_str(m, "dept", a->dept, sizeof a->dept) ||
        copy_str(m, "item", a->item, sizeof a->item) ||
        copy_str(m, "subject_kind", a->subject_kind, sizeof a->subject_kind) ||
        copy_str(m, "subject", a->subject, sizeof a->subject) ||
        copy_str(m, "detail", a->detail, sizeof a->detail) || !raised || !ledger ||
        wire_obj_type(ledger) != WIRE_ARRAY)
        return -1;
    a->light = strcmp(light, "red") == 0 ? ALERT_RED : ALERT_YELLOW;
    for (int s = ALERT_OPEN; s <= ALERT_CLEARED; s++)
        if (strcmp(state, alert_state_name((enum alert_state)s)) == 0)
            a->state = (enum alert_state)s;
    a->raised_ms = wire_obj_type(raised) == WIRE_UINT ? (int64_t)wire_obj_uint(raised)
                                                      : wire_obj_int(raised);
    for (uint32_t i = 0; i < wire_obj_size(ledger) && i < ALERT_LEDGER_MAX; i++) {
        const wire_obj_t *e = wire_obj_at(ledger, i);
        if (wire_obj_type(e) != WIRE_ARRAY || wire_obj_size(e) < 3 || wire_obj_size(e) > 4)
            return -1;
        /* [at, action, light, cause?]: each of its type, or the alert does not decode */
        const wire_obj_t *at = wire_obj_at(e, 0), *act = wire_obj_at(e, 1),
                         *lit = wire_obj_at(e, 2);
        if ((wire_obj_type(at) != WIRE_UINT && wire_obj_type(at) != WIRE_INT) ||
            (wire_obj_type(at) == WIRE_UINT && wire_obj_uint(at) > INT64_MAX) ||
            wire_obj_type(act) != WIRE_UINT || wire_obj_type(lit) != WIRE_UINT ||
            wire_obj_uint(lit) > 1)
            return -1;
        a->ledger[i].at_ms = wire_obj_type(at) == WIRE_UINT ? (int64_t)wire_obj_uint(at)
                                                            : wire_obj_int(at);
        uint64_t action = wire_obj_uint(act);
        if (action >= ALERT_ACTIONS_)
            return -1;
        a->ledger[i].action = (enum alert_action)action;
        a->ledger[i].light = wire_obj_uint(lit) ? ALERT_RED : ALERT_YELLOW;
        if (wire_obj_size(e) == 4) {
            const wire_obj_t *c = wire_obj_at(e, 3);
            size_t cl = 0;
            if (wire_obj_type(c) != WIRE_STR)
                return -1;
            const char *cp = wire_obj_bytes(c, &cl);
            if (cl >= sizeof a->ledger[i].cause)
                return -1;
            memcpy(a->ledger[i].cause, cp, cl);
            a->ledger[i].cause[cl] = '\0';
        }
        a->n_ledger++;
    }
    /* Alerts stored before findings were kept apart: their light. */
    char finding[8];
    if (copy_str(m, "finding", finding, sizeof finding) == 0)
        a->finding = strcmp(finding, "red") == 0 ? ALERT_RED : ALERT_YELLOW;
    else
        a->finding = a->light;
    int64_t fv;
    a->finding_ms = wire_obj_get_int(m, "finding_at", &fv) == 0 ? fv : a->raised_ms;
    const wire_obj_t *prov = wire_obj_get(m, "provisional");
    a->provisional = prov && wire_obj_type(prov) == WIRE_BOOL && wire_obj_bool(prov);
    if (wire_obj_get_int(m, "changes", &fv) == 0 && fv >= (int64_t)a->n_ledger && fv <= UINT32_MAX)
        a->changes = (uint32_t)fv;
    else
        a->changes = (uint32_t)a->n_ledger;
    if (wire_obj_get(m, "queue") && copy_str(m, "queue", a->queue, sizeof a->queue))
        return -1;
    int64_t v;
    if (wire_obj_get_int(m, "steps", &v) == 0 && v >= 0 && v <= 2)
        a->feedback_steps = (unsigned)v;
    unsigned *windows[] = {&a->answer_wd, &a->retry_wd, &a->fix_wd};
    static const char *const window_keys[] = {"answer_wd", "retry_wd", "fix_wd"};
    for (size_t i = 0; i < 3; i++)
        if (wire_obj_get_int(m, window_keys[i], &v) == 0 && v >= 1 && v <= 3650)
            *windows[i] = (unsigned)v;
    int64_t *times[] = {&a->answer_from_ms, &a->answer_due_ms, &a->responded_ms, &a->corrected_ms,
                        &a->closed_ms};
    static const char *const time_keys[] = {"answer_from", "answer_due", "responded", "corrected",
                                            "closed"};
    for (size_t i = 0; i < 5; i++)
        if (wire_obj_get_int(m, time_keys[i], &v) == 0)
            *times[i] = v;
    return 0;
}

int
alert_decode_bytes(const void *data, size_t len, struct alert *a)
{
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    if (wire_decode_one(data, len, &r, &m) != 0)
        return -1;
    int rc = alert_decode(m, a);
    wire_reader_destroy(&r);
    return rc;
}

void
alert_record_encode(const struct alert *a, struct wire_buf *out)
{
    char rid[64];
    snprintf(rid, sizeof rid, "%s/%u", a->id, alert_changes(a));
    wire_put_map(out, 5);
    wire_put_cstr(out, "type");
    wire_put_cstr(out, "alert");
    wire_put_cstr(out, "id");
    wire_put_cstr(out, rid);
    wire_put_cstr(out, "at");
    wire_put_int(out, a->n_ledger ? a->ledger[a->n_ledger - 1].at_ms : a->raised_ms);
    wire_put_cstr(out, "node");
    wire_put_cstr(out, a->node);
    wire_put_cstr(out, "alert");
    alert_encode(a, out);
}
