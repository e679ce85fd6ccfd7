/* access: authentication and the table of access.h. */
#include "access.h"

#include "desk.h"
#include "err.h"
#include "event.h"
#include "mem.h"
#include "node.h"
#include "store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
role_is(const struct roster_operator *op, enum roster_role a, int b)
{
    return op->role == a || (b >= 0 && op->role == (enum roster_role)b);
}

/* The operator must be the person the record names in `field`. */
static int
names_operator(const wire_obj_t *m, const char *name_field, const struct roster_operator *op,
               char field[64], char reason[192])
{
    char who[EVENT_ID_MAX + 1];
    if (wire_obj_get_text(m, name_field, who, sizeof who) != 0 || strcmp(who, op->name) != 0) {
        char why[ERR_WHY_MAX];
        snprintf(why, sizeof why, "must name the operator who signed the request (%s)", op->name);
        return event_refuse(field, reason, name_field, why);
    }
    return 0;
}

/* ---- approvals ---- */

char *
access_approval_make(const sign_key_t *approver, const char *doc)
{
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    sign_detached(approver, SIGN_DOMAIN_APPROVAL, doc, strlen(doc), sig);
    char hex[2 * SIGN_SIGNATURE_BYTES + 1];
    sign_to_hex(sig, sizeof sig, hex);
    json_t *o = json_pack("{s:s,s:s}", "doc", doc, "sig", hex);
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}

/* The approval a request carries: verified against the roster, its document matching what the
 * request does (every field of `want`, a NULL-terminated key/value list). */
static int
check_approval(const roster_t *roster, const wire_obj_t *m, const char *kind,
               const char *const *want, const struct roster_operator *requester,
               const struct roster_operator **approver, char field[64], char reason[192])
{
    char text[EVENT_TEXT_MAX + 1];
    if (wire_obj_get_text(m, "approval", text, sizeof text) != 0)
        return event_refuse(
            field, reason, "approval",
            strcmp(kind, "export") == 0
                ? "an export needs an approval signed by an approver of the same office"
                : "deleting or correcting a record needs an approval signed by the "
                  "province");
    json_error_t jerr;
    json_t *outer = json_loads(text, 0, &jerr);
    const char *doc = outer ? json_string_value(json_object_get(outer, "doc")) : NULL;
    const char *hex = outer ? json_string_value(json_object_get(outer, "sig")) : NULL;
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    json_t *d = doc ? json_loads(doc, 0, &jerr) : NULL;
    const char *who = d ? json_string_value(json_object_get(d, "approver")) : NULL;
    int rc = 0;
    if (!d || !hex || sign_from_hex(hex, strlen(hex), sig, sizeof sig) != 0 || !who) {
        rc = event_refuse(field, reason, "approval", "not an approval: want {\"doc\", \"sig\"}");
        goto out;
    }
    *approver = roster_find(roster, who);
    if (!*approver ||
        sign_verify((*approver)->key, SIGN_DOMAIN_APPROVAL, doc, strlen(doc), sig) != 0) {
        rc = event_refuse(field, reason, "approval",
                          "the approval does not carry the signature of an operator on the roster");
        goto out;
    }
    const char *k = json_string_value(json_object_get(d, "approval"));
    const char *req = json_string_value(json_object_get(d, "requester"));
    if (!k || strcmp(k, kind) != 0 || !req || strcmp(req, requester->name) != 0) {
        rc = event_refuse(field, reason, "approval", "the approval is for another kind or person");
        goto out;
    }
    for (size_t i = 0; want[i]; i += 2) {
        const char *v = json_string_value(json_object_get(d, want[i]));
        if (!v || strcmp(v, want[i + 1]) != 0) {
            char why[ERR_WHY_MAX];
            snprintf(why, sizeof why, "the approval does not cover this request (%s)", want[i]);
            rc = event_refuse(field, reason, "approval", why);
            goto out;
        }
    }
    if (strcmp((*approver)->name, requester->name) == 0)
        rc =
            event_refuse(field, reason, "approval", "an operator cannot approve their own request");
out:
    json_decref(d);
    json_decref(outer);
    return rc;
}

/* ---- the table ---- */

static int
judge_alert_action(store_txn_t *t, const wire_obj_t *m, const struct roster_operator *op,
                   bool respond, char field[64], char reason[192])
{
    char id[EVENT_ID_MAX + 1], dept[EVENT_ID_MAX + 1];
    uint32_t node;
    if (wire_obj_get_text(m, "alert", id, sizeof id) != 0 ||
        desk_alert_place(t, id, &node, dept) != 0)
        return event_refuse(field, reason, "alert", "no such alert is known at this node");
    if (!roster_in_scope(op, node))
        return event_refuse(field, reason, "alert", "the alert is outside the operator's scope");
    if (respond) {
        if (!role_is(op, ROSTER_DEPARTMENT, -1))
            return event_refuse(field, reason, "operator", "only a department answers its alerts");
        if (op->dept[0] && strcmp(op->dept, dept) != 0)
            return event_refuse(field, reason, "alert", "the alert is another department's");
    } else if (!role_is(op, ROSTER_SUPERVISOR, -1)) {
        return event_refuse(field, reason, "operator", "only a supervisor closes an alert");
    }
    return names_operator(m, "by", op, field, reason);
}

/* A supervision case's report comes from the department it targets, at the opening office, or
 * is entered there by one of the office's supervisors. */
static int
judge_report(store_txn_t *t, uint32_t here, const wire_obj_t *m, const struct roster_operator *op,
             char field[64], char reason[192])
{
    char id[EVENT_ID_MAX + 1], target[NODE_LEN + 1], dept[EVENT_ID_MAX + 1];
    if (wire_obj_get_text(m, "supervision", id, sizeof id) != 0 ||
        desk_supervision_target(t, here, id, target, dept) != 0)
        return event_refuse(field, reason, "supervision",
                            "no supervision case with this id was opened here");
    bool office = op->role == ROSTER_SUPERVISOR && op->node == here;
    bool targeted = op->role == ROSTER_DEPARTMENT && op->node == node_number(target) &&
                    (!dept[0] || !op->dept[0] || strcmp(dept, op->dept) == 0);
    if (!office && !targeted)
        return event_refuse(field, reason, "operator",
                            "the department the case targets reports, or this office's supervisor");
    return names_operator(m, "by", op, field, reason);
}

static int
judge_office(uint32_t here, const struct roster_operator *op, const char *what, char field[64],
             char reason[192])
{
    char why[ERR_WHY_MAX];
    if (!role_is(op, ROSTER_SUPERVISOR, -1)) {
        snprintf(why, sizeof why, "only a supervisor %s", what);
        return event_refuse(field, reason, "operator", why);
    }
    if (op->node != here) {
        snprintf(why, sizeof why, "a supervisor %s at their own office only", what);
        return event_refuse(field, reason, "operator", why);
    }
    return 0;
}

static int
judge_record_change(const roster_t *roster, store_txn_t *t, const wire_obj_t *m, bool correct,
                    const struct roster_operator *op, char field[64], char reason[192])
{
    if (!role_is(op, ROSTER_SUPERVISOR, ROSTER_ADMINISTRATOR))
        return event_refuse(
            field, reason, "operator",
            "only a supervisor or an administrator asks to delete or correct records");
    char record[EVENT_ID_MAX + 1], fname[EVENT_ID_MAX + 1] = "", value[EVENT_TEXT_MAX + 1] = "";
    if (wire_obj_get_text(m, "record", record, sizeof record) != 0 || strlen(record) < 8 ||
        record[6] != '/' || node_valid(record, 6) != 0)
        return event_refuse(field, reason, "record", "want NODE/SEQ");
    if (!roster_in_scope(op, node_number(record)))
        return event_refuse(field, reason, "record", "the record is outside the operator's scope");
    uint8_t k[12];
    store_be32(k, node_number(record));
    store_be64(k + 4, strtoull(record + 7, NULL, 10));
    bool held;
    int rc = store_has(t, STORE_EVENTS, k, 12, &held);
    if (rc != 0)
        return rc;
    if (!held)
        return event_refuse(field, reason, "record", "no such record is held at this node");
    if (correct && (wire_obj_get_text(m, "field", fname, sizeof fname) != 0 ||
                    wire_obj_get_text(m, "value", value, sizeof value) != 0))
        return event_refuse(field, reason, "field",
                            "a correction names the field and its new value");
    const char *want[] = {"record", record, correct ? "field" : NULL, fname, "value", value, NULL};
    const struct roster_operator *approver;
    rc = check_approval(roster, m, correct ? "correct" : "delete", want, op, &approver, field,
                            reason);
    if (rc != 0)
        return rc;
    if (approver->role != ROSTER_ADMINISTRATOR || node_depth(approver->node) != 0)
        return event_refuse(field, reason, "approval",
                            "deleting or correcting a record needs an approval signed by an "
                            "administrator of the province");
    return names_operator(m, "requester", op, field, reason);
}

static int
judge_export(const roster_t *roster, const wire_obj_t *m, const struct roster_operator *op,
             char field[64], char reason[192])
{
    if (!role_is(op, ROSTER_SUPERVISOR, ROSTER_AUDITOR) && op->role != ROSTER_ADMINISTRATOR)
        return event_refuse(field, reason, "operator", "a department does not export data");
    char what[16], target[NODE_LEN + 1], period[16];
    if (wire_obj_get_text(m, "what", what, sizeof what) != 0 ||
        wire_obj_get_text(m, "target", target, sizeof target) != 0 ||
        wire_obj_get_text(m, "period", period, sizeof period) != 0)
        return event_refuse(field, reason, "what", "an export names what, target and period");
    if (!roster_in_scope(op, node_number(target)))
        return event_refuse(field, reason, "target", "the data is outside the operator's scope");
    const char *want[] = {"what", what, "node", target, "period", period, NULL};
    const struct roster_operator *approver;
    int rc = check_approval(roster, m, "export", want, op, &approver, field, reason);
    if (rc != 0)
        return rc;
    if (!role_is(approver, ROSTER_SUPERVISOR, ROSTER_ADMINISTRATOR) || approver->node != op->node)
        return event_refuse(field, reason, "approval",
                            "an export needs an approval signed by an approver of the same office");
    return names_operator(m, "requester", op, field, reason);
}

/* ---- the centre's screen (docs/api.md) ---- */

/* A sign-in: the operator's scope holds this node, or their office lies below it (they see their
 * part of it); the link is short-lived. */
static int
judge_web_signin(uint32_t here, const wire_obj_t *m, const struct roster_operator *op,
                 char field[64], char reason[192])
{
    bool below = false;
    for (uint32_t n = op->node; n && !below; n = node_parent(n))
        below = n == here;
    if (!roster_in_scope(op, here) && !below)
        return event_refuse(field, reason, "operator",
                            "neither this node nor a node below it is in the operator's scope");
    int64_t at, until;
    if (wire_obj_get_int(m, "at", &at) != 0 || wire_obj_get_int(m, "until", &until) != 0 ||
        until <= at || until - at > ACCESS_WEB_LINK_MAX_MS)
        return event_refuse(field, reason, "until", "a sign-in link ends within 15 minutes of `at`");
    return names_operator(m, "by", op, field, reason);
}

int
access_web_session(store_txn_t *t, uint32_t node, const char *session, char by[EVENT_ID_MAX + 1],
                   int64_t *at_ms)
{
    size_t sl = strlen(session);
    if (sl == 0 || sl > EVENT_ID_MAX)
        return ERR_NOT_FOUND;
    uint8_t key[4 + EVENT_ID_MAX], rk[12];
    store_be32(key, node);
    memcpy(key + 4, session, sl);
    struct wire_buf v;
    wire_buf_init(&v);
    int rc = store_get(t, STORE_IDS, key, 4 + sl, &v);
    if (rc == 0 && v.len != 8)
        rc = ERR_DECODE;
    if (rc == 0) {
        store_be32(rk, node);
        memcpy(rk + 4, v.data, 8);
        wire_buf_reset(&v);
        rc = store_get(t, STORE_EVENTS, rk, 12, &v);
    }
    if (rc == 0) {
        wire_reader_t *r = NULL;
        const wire_obj_t *s;
        char type[16];
        bool ok = wire_decode_one(v.data, v.len, &r, &s) == 0 &&
                  wire_obj_get_text(s, "type", type, sizeof type) == 0 &&
                  strcmp(type, "web.signin") == 0 &&
                  wire_obj_get_text(s, "by", by, EVENT_ID_MAX + 1) == 0 &&
                  wire_obj_get_int(s, "at", at_ms) == 0;
        wire_reader_destroy(&r);
        rc = ok ? 0 : ERR_DECODE;
    }
    wire_buf_fini(&v);
    return rc;
}

/* A read on the screen carries no signature of its own: it is vouched for by the sign-in it names,
 * which this node stored, for the same operator, less than a session's length before. */
static int
judge_screen_read(const roster_t *roster, store_txn_t *t, uint32_t here, const wire_obj_t *m,
               const struct roster_operator **opp, char field[64], char reason[192])
{
    char by[EVENT_ID_MAX + 1], session[EVENT_ID_MAX + 1];
    int64_t at;
    if (wire_obj_get_text(m, "by", by, sizeof by) != 0 ||
        wire_obj_get_text(m, "session", session, sizeof session) != 0 ||
        wire_obj_get_int(m, "at", &at) != 0)
        return event_refuse(field, reason, "by", "missing");
    const struct roster_operator *op = roster_find(roster, by);
    if (!op)
        return event_refuse(field, reason, "by", "no such operator on the roster");
    char who[EVENT_ID_MAX + 1];
    int64_t from;
    int rc = access_web_session(t, here, session, who, &from);
    if (rc == ERR_NOT_FOUND)
        return event_refuse(field, reason, "session", "no sign-in of that id at this node");
    if (rc == ERR_DECODE)
        return event_refuse(field, reason, "session", "not a sign-in");
    if (rc != 0)
        return rc;
    if (strcmp(who, by) != 0)
        return event_refuse(field, reason, "session", "a sign-in of another operator");
    if (at < from || at - from > ACCESS_WEB_SESSION_MAX_MS)
        return event_refuse(field, reason, "at", "outside the session of that sign-in");
    *opp = op;
    return 0;
}

int
access_judge(const roster_t *roster, store_txn_t *t, uint32_t here,
             const struct access_request *req, const wire_obj_t *m,
             const struct roster_operator **opp, char field[64], char reason[192])
{
    *opp = NULL;
    /* a read on the screen comes unsigned, naming the session its operator signed in with */
    char kind[32];
    if ((!req->operator|| !req->sig) && wire_obj_get_text(m, "type", kind, sizeof kind) == 0 &&
        strcmp(kind, "access.read") == 0 && wire_obj_get(m, "session"))
        return judge_screen_read(roster, t, here, m, opp, field, reason);
    if (!req->operator|| !req->sig)
        return event_refuse(field, reason, "operator",
                            "a supervision action must be signed by a named operator (jiancha "
                            "--operator NAME --key FILE)");
    const struct roster_operator *op = roster_find(roster, req->operator);
    if (!op)
        return event_refuse(field, reason, "operator", "no such operator on the roster");
    if (sign_verify(op->key, SIGN_DOMAIN_OPERATOR, req->body, req->body_len, req->sig) != 0)
        return event_refuse(field, reason, "operator",
                            "the request does not carry the operator's signature");
    *opp = op;
    char type[32];
    if (wire_obj_get_text(m, "type", type, sizeof type) != 0)
        return event_refuse(field, reason, "type", "missing");
    if (strcmp(type, "alert.respond") == 0 || strcmp(type, "alert.close") == 0)
        return judge_alert_action(t, m, op, type[6] == 'r', field, reason);
    if (strcmp(type, "supervise.report") == 0)
        return judge_report(t, here, m, op, field, reason);
    if (strcmp(type, "followup") == 0) {
        if (!role_is(op, ROSTER_DEPARTMENT, ROSTER_SUPERVISOR) || !roster_in_scope(op, here))
            return event_refuse(field, reason, "operator",
                                "a department or supervisor of this node's tree only");
        return names_operator(m, "by", op, field, reason);
    }
    if (strncmp(type, "supervise.", 10) == 0) {
        int rc = judge_office(here, op, "handles supervision cases", field, reason);
        if (rc == 0)
            rc = names_operator(m, strcmp(type, "supervise.extend") == 0 ? "approver" : "by", op,
                                field, reason);
        return rc;
    }
    if (strcmp(type, "patrol") == 0) {
        int rc = judge_office(here, op, "records patrols", field, reason);
        return rc ? rc : names_operator(m, "supervisor", op, field, reason);
    }
    if (strcmp(type, "sample.draw") == 0) {
        int rc = judge_office(here, op, "draws spot-check samples", field, reason);
        return rc ? rc : names_operator(m, "by", op, field, reason);
    }
    if (strcmp(type, "access.read") == 0) {
        /* any role reads the nodes of its scope */
        if (!roster_in_scope(op, here))
            return event_refuse(field, reason, "operator",
                                "this node is outside the operator's scope");
        return names_operator(m, "by", op, field, reason);
    }
    if (strcmp(type, "web.signin") == 0)
        return judge_web_signin(here, m, op, field, reason);
    if (strcmp(type, "export") == 0)
        return judge_export(roster, m, op, field, reason);
    if (strcmp(type, "record.delete") == 0 || strcmp(type, "record.correct") == 0)
        return judge_record_change(roster, t, m, type[7] == 'c', op, field, reason);
    return event_refuse(field, reason, "type", "not a request an operator makes");
}
