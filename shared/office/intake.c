/* intake: duplicate check, append and seal in one transaction per group of messages (group
 * commit: one fsync per group, never per event). */
#include "intake.h"

#include "access.h"
#include "alertdb.h"
#include "audit.h"
#include "bundle.h"
#include "counter.h"
#include "desk.h"
#include "err.h"
#include "event.h"
#include "node.h"
#include "roster.h"
#include "spool.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

struct commit_args {
    uint32_t node;
    const struct event_set *set;
    const struct intake_policy *policy;
    uint32_t seal_at;
    int64_t now_ms;
    struct intake_result res;
};

static void
refuse(struct intake_result *res, size_t index, const char *field, const char *reason)
{
    if (res->n_refused < INTAKE_REFUSED_MAX) {
        struct event_reject *r = &res->refused[res->n_refused];
        r->index = index;
        snprintf(r->field, sizeof r->field, "%s", field);
        snprintf(r->reason, sizeof r->reason, "%s", reason);
    }
    res->n_refused++;
}

/* A supervision action is judged before it is stored: with a roster held, its operator's
 * signature, role and scope (access.h), then against what this node holds (desk.h). A refusal
 * names the field and reason; an operator's request is logged either way (audit.h). */
struct judged {
    wire_reader_t *rd;
    const wire_obj_t *m;
    const struct roster_operator *op;
    bool refused;
    char field[64], reason[192];
};

static int
judge_action(store_txn_t *t, struct commit_args *a, const roster_t *roster,
             const struct event_entry *e, struct judged *j)
{
    if (wire_decode_one(a->set->records.data + e->off, e->len, &j->rd, &j->m) != 0)
        return ERR_DECODE; /* the set holds canonical records only */
    int rc = 0;
    if (roster)
        rc = access_judge(roster, t, a->node, &a->policy->request, j->m, &j->op, j->field,
                          j->reason);
    char type[32];
    bool read = wire_obj_get_text(j->m, "type", type, sizeof type) == 0 &&
                (strcmp(type, "access.read") == 0 || strncmp(type, "web.", 4) == 0);
    if (rc == 0 && a->policy->calendar)
        rc = desk_admit(t, a->node, a->policy->calendar, j->m, j->field, j->reason);
    else if (rc == 0 && !read)
        rc = event_refuse(j->field, j->reason, "type",
                          "this node keeps no calendar (desk/calendar), so it cannot judge "
                          "supervision actions");
    if (rc == ERR_INVALID) {
        refuse(&a->res, e->index, j->field, j->reason);
        j->refused = true;
        rc = 0;
    }
    return rc;
}

static int
log_request(store_txn_t *t, struct commit_args *a, const struct event_entry *e,
            const struct judged *j, uint64_t seq)
{
    const struct access_request *req = &a->policy->request;
    char type[32] = "", outcome[300] = "stored";
    if (wire_obj_get_text(j->m, "type", type, sizeof type) != 0)
        type[0] = '\0';
    if (j->refused)
        snprintf(outcome, sizeof outcome, "refused: %s: %s", j->field, j->reason);
    /* a read on the screen is unsigned: its operator is the one its sign-in names (access.h) */
    struct audit_entry ae = {
        .at_ms = a->now_ms,
        .operator= j->op ? j->op->name : req->operator ? req->operator : "",
        .role = j->op ? roster_role_name(j->op->role) : "",
        .action = type,
        .record = e->id,
        .seq = j->refused ? 0 : seq,
        .outcome = outcome,
        .request = req->body ? req->body : "",
        .request_len = req->body ? req->body_len : 0,
        .sig = j->op ? req->sig : NULL,
    };
    a->res.audited++;
    return audit_append(t, a->node, &ae);
}

/* A business event: nothing refuses it once its id is new, so the id is put first with the
 * sequence the record will take, and the put finding the id is the duplicate check (one B-tree
 * descent for both). */
static int
take_business(store_txn_t *t, struct commit_args *a, const struct event_entry *e,
              const uint8_t *key, size_t klen)
{
    uint64_t next, seq = 0;
    uint8_t v[8];
    int rc = spool_next_seq(t, &next);
    store_be64(v, next);
    if (rc == 0)
        rc = store_put(t, STORE_IDS, key, klen, v, 8, STORE_NOOVERWRITE);
    if (rc == ERR_EXISTS) {
        a->res.duplicates++;
        return 0;
    }
    if (rc == 0)
        rc = spool_append(t, a->node, a->set->records.data + e->off, e->len, &seq);
    if (rc == 0 && seq != next)
        rc = ERR_STATE; /* the id would name another record */
    if (rc == 0) {
        a->res.accepted++;
        a->res.last_seq = seq;
    }
    return rc;
}

static int
commit_one(store_txn_t *t, struct commit_args *a)
{
    memset(&a->res, 0, sizeof a->res);
    uint8_t key[4 + EVENT_ID_MAX];
    store_be32(key, a->node);
    roster_t *roster = NULL;
    int rc = 0;
    bool actions = false;
    for (size_t i = 0; i < a->set->n_entries && !actions; i++)
        actions = a->set->entries[i].action;
    if (a->policy && actions) {
        rc = bundle_held_roster(t, &roster);
        if (rc == ERR_NOT_FOUND)
            rc = 0; /* no roster published: access is not controlled (development) */
    }
    for (size_t i = 0; rc == 0 && i < a->set->n_entries; i++) {
        const struct event_entry *e = &a->set->entries[i];
        size_t idlen = strlen(e->id);
        memcpy(key + 4, e->id, idlen);
        if (!e->action && !(a->policy && a->policy->actions_only)) {
            rc = take_business(t, a, e, key, 4 + idlen);
            continue;
        }
        bool seen;
        if ((rc = store_has(t, STORE_IDS, key, 4 + idlen, &seen)) != 0)
            break;
        if (seen) {
            a->res.duplicates++;
            continue;
        }
        if (!e->action && a->policy && a->policy->actions_only) {
            refuse(&a->res, e->index, "type",
                   "an aggregator takes supervision actions only; business events go to the "
                   "node's collector");
            continue;
        }
        struct judged j = {0};
        if (e->action && a->policy && (a->policy->calendar || roster))
            rc = judge_action(t, a, roster, e, &j);
        else if (e->action && a->policy && a->policy->actions_only) {
            refuse(&a->res, e->index, "type",
                   "this node keeps no calendar (desk/calendar), so it cannot judge supervision "
                   "actions");
            continue;
        }
        uint64_t seq = 0;
        if (rc == 0 && !j.refused)
            rc = spool_append(t, a->node, a->set->records.data + e->off, e->len, &seq);
        if (rc == 0 && !j.refused && j.m)
            rc = desk_index(t, a->node, seq, j.m);
        if (rc == 0 && roster && j.m)
            rc = log_request(t, a, e, &j, seq);
        wire_reader_destroy(&j.rd);
        if (rc != 0 || j.refused)
            continue;
        uint8_t v[8];
        store_be64(v, seq);
        rc = store_put(t, STORE_IDS, key, 4 + idlen, v, 8, 0);
        if (rc != 0)
            break;
        a->res.accepted++;
        a->res.last_seq = seq;
    }
    roster_destroy(&roster);
    if (rc != 0 || (a->res.accepted == 0 && a->res.audited == 0))
        return rc;
    /* an operator's request and its log entry leave at once, like an alert */
    return spool_seal(t, a->node, a->seal_at, a->res.audited > 0, a->now_ms, &a->res.sealed);
}

struct group_args {
    uint32_t node;
    struct intake_part *parts;
    size_t n;
    uint32_t seal_at;
    int64_t now_ms;
};

/* The messages in the order they came: a later one sees an earlier one's ids as duplicates. */
static int
group_fn(store_txn_t *t, void *arg)
{
    struct group_args *g = arg;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < g->n; i++) {
        struct intake_part *p = &g->parts[i];
        struct commit_args a = {.node = g->node,
                                .set = p->set,
                                .policy = p->policy,
                                .seal_at = g->seal_at,
                                .now_ms = g->now_ms};
        rc = commit_one(t, &a);
        p->res = a.res;
    }
    return rc;
}

int
intake_commit_group(store_t *store, uint32_t node, struct intake_part *parts, size_t n,
                    uint32_t seal_at, int64_t now_ms)
{
    struct group_args g = {node, parts, n, seal_at, now_ms};
    int rc = store_write(store, group_fn, &g);
    for (size_t i = 0; rc != 0 && i < n; i++)
        memset(&parts[i].res, 0, sizeof parts[i].res);
    return rc;
}

int
intake_commit(store_t *store, uint32_t node, const struct event_set *set,
              const struct intake_policy *policy, uint32_t seal_at, int64_t now_ms,
              struct intake_result *res)
{
    memset(res, 0, sizeof *res);
    if (set->n_entries == 0)
        return 0;
    struct intake_part part = {.set = set, .policy = policy};
    int rc = intake_commit_group(store, node, &part, 1, seal_at, now_ms);
    if (rc == 0)
        *res = part.res;
    return rc;
}

char *
intake_reply_json(const struct event_set *set, const struct intake_result *res, int rc)
{
    json_t *o = json_object();
    json_object_set_new(o, "records", json_integer((json_int_t)set->n_records));
    json_object_set_new(o, "accepted", json_integer(rc == 0 ? (json_int_t)res->accepted : 0));
    json_object_set_new(o, "duplicates", json_integer(rc == 0 ? (json_int_t)res->duplicates : 0));
    json_t *rej = json_array();
    size_t n_refused = rc == 0 && res->n_refused < INTAKE_REFUSED_MAX ? res->n_refused
                       : rc == 0                                      ? INTAKE_REFUSED_MAX
                                                                      : 0;
    for (size_t i = 0; i < set->n_rejects + n_refused; i++) {
        const struct event_reject *r =
            i < set->n_rejects ? &set->rejects[i] : &res->refused[i - set->n_rejects];
        json_t *e = json_object();
        json_object_set_new(e, "index", json_integer((json_int_t)r->index));
        json_object_set_new(e, "field", json_string(r->field));
        json_object_set_new(e, "reason", json_string(r->reason));
        json_array_append_new(rej, e);
    }
    json_object_set_new(o, "rejected", rej);
    /* the list shows the first ones; the count is all of them */
    json_object_set_new(
        o, "rejected_count",
        json_integer((json_int_t)(set->n_rejected + (rc == 0 ? res->n_refused : 0))));
    if (rc != 0)
        json_object_set_new(o, "error", json_string(err_str(rc)));
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}

int
intake_adopt(store_txn_t *t, uint32_t node, uint64_t seq, const void *record, size_t len)
{
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    if (wire_decode_one(record, len, &r, &m) != 0 || wire_obj_type(m) != WIRE_MAP) {
        wire_reader_destroy(&r);
        return 0; /* kept as it came; nothing derives from it */
    }
    int rc = 0;
    const char *id, *type;
    size_t idlen, tl;
    if (wire_obj_get_bytes(m, "id", WIRE_STR, &id, &idlen) == 0 && idlen <= EVENT_ID_MAX) {
        uint8_t key[4 + EVENT_ID_MAX], v[8];
        store_be32(key, node);
        memcpy(key + 4, id, idlen);
        store_be64(v, seq);
        rc = store_put(t, STORE_IDS, key, 4 + idlen, v, 8, 0);
    }
    if (wire_obj_get_bytes(m, "type", WIRE_STR, &type, &tl) != 0)
        tl = 0;
    if (rc == 0 && tl == 5 && memcmp(type, "alert", 5) == 0) {
        /* {type: "alert", id, at, node, alert: {...}} (alert.h); in order, so the last change
         * taken back is the alert's state */
        const wire_obj_t *body = wire_obj_get(m, "alert");
        struct alert a;
        if (body && wire_obj_type(body) == WIRE_MAP && alert_decode(body, &a) == 0 &&
            node_number(a.node) == node)
            rc = alertdb_put(t, &a);
    } else if (rc == 0 && tl == 8 && memcmp(type, "counters", 8) == 0) {
        bool taken; /* the day's sheet as sent: the next count sends only what differs */
        rc = counter_apply(t, node, record, len, m, &taken);
        if (rc == ERR_DECODE)
            rc = 0;
    } else if (rc == 0) {
        rc = desk_index(t, node, seq, m);
    }
    wire_reader_destroy(&r);
    return rc;
}
