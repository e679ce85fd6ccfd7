/* alert: ids, ledger and JSON for alerts. */
#include "alert.h"

#include "sign.h"
#include "timestamp.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

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
alert_log(struct alert *a, int64_t at_ms, enum alert_action action, enum alert_light light)
{
    size_t i = a->n_ledger < ALERT_LEDGER_MAX ? a->n_ledger++ : ALERT_LEDGER_MAX - 1;
    a->ledger[i] = (struct alert_entry){at_ms, action, light};
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
    static const char *const names[] = {"raised", "escalated", "responded", "closed", "cleared"};
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
    json_object_set_new(o, "article", json_string(a->article ? a->article : ""));
    json_object_set_new(o, "node", json_string(a->node));
    json_object_set_new(o, "dept", json_string(a->dept));
    json_object_set_new(o, "item", json_string(a->item));
    json_object_set_new(o, a->subject_kind[0] ? a->subject_kind : "subject",
                        json_string(a->subject));
    json_object_set_new(o, "raised_at", time_json(a->raised_ms));
    json_object_set_new(o, "state", json_string(alert_state_name(a->state)));
    json_object_set_new(o, "detail", json_string(a->detail));
    json_t *ledger = json_array();
    for (size_t i = 0; i < a->n_ledger; i++) {
        json_t *e = json_object();
        json_object_set_new(e, "at", time_json(a->ledger[i].at_ms));
        json_object_set_new(e, "action", json_string(action_name(a->ledger[i].action)));
        json_object_set_new(e, "light", json_string(alert_light_name(a->ledger[i].light)));
        json_array_append_new(ledger, e);
    }
    json_object_set_new(o, "ledger", ledger);
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}
