/* intake: duplicate check, append and seal in one transaction per message (group commit: one
 * fsync per message, never per event). */
#include "intake.h"

#include "desk.h"
#include "err.h"
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

/* A supervision action is judged against this node before it is stored, and indexed with it. */
static int
admit_action(store_txn_t *t, struct commit_args *a, const struct event_entry *e, bool *refused,
             wire_reader_t **rd, const wire_obj_t **m)
{
    *refused = false;
    if (wire_decode_one(a->set->records.data + e->off, e->len, rd, m) != 0)
        return ERR_DECODE; /* the set holds canonical records only */
    char field[64], reason[192];
    int rc = desk_admit(t, a->node, a->policy->calendar, *m, field, reason);
    if (rc == ERR_INVALID) {
        refuse(&a->res, e->index, field, reason);
        *refused = true;
        rc = 0;
    }
    return rc;
}

static int
commit_fn(store_txn_t *t, void *arg)
{
    struct commit_args *a = arg;
    memset(&a->res, 0, sizeof a->res);
    uint8_t key[4 + EVENT_ID_MAX];
    store_be32(key, a->node);
    for (size_t i = 0; i < a->set->n_entries; i++) {
        const struct event_entry *e = &a->set->entries[i];
        size_t idlen = strlen(e->id);
        memcpy(key + 4, e->id, idlen);
        if (store_has(t, STORE_IDS, key, 4 + idlen)) {
            a->res.duplicates++;
            continue;
        }
        if (!e->action && a->policy && a->policy->actions_only) {
            refuse(&a->res, e->index, "type",
                   "an aggregator takes supervision actions only; business events go to the "
                   "node's collector");
            continue;
        }
        if (e->action && a->policy && a->policy->actions_only && !a->policy->calendar) {
            refuse(&a->res, e->index, "type",
                   "this node keeps no calendar (desk/calendar), so it cannot judge supervision "
                   "actions");
            continue;
        }
        wire_reader_t *rd = NULL;
        const wire_obj_t *m = NULL;
        bool refused = false;
        int rc = 0;
        if (e->action && a->policy && a->policy->calendar)
            rc = admit_action(t, a, e, &refused, &rd, &m);
        uint64_t seq;
        if (rc == 0 && !refused)
            rc = spool_append(t, a->node, a->set->records.data + e->off, e->len, &seq);
        if (rc == 0 && !refused && m)
            rc = desk_index(t, a->node, seq, m);
        wire_reader_destroy(&rd);
        if (rc == 0 && refused)
            continue;
        if (rc == 0) {
            uint8_t v[8];
            store_be64(v, seq);
            rc = store_put(t, STORE_IDS, key, 4 + idlen, v, 8, 0);
        }
        if (rc != 0)
            return rc;
        a->res.accepted++;
        a->res.last_seq = seq;
    }
    if (a->res.accepted == 0)
        return 0;
    return spool_seal(t, a->node, a->seal_at, false, a->now_ms, &a->res.sealed);
}

int
intake_commit(store_t *store, uint32_t node, const struct event_set *set,
              const struct intake_policy *policy, uint32_t seal_at, int64_t now_ms,
              struct intake_result *res)
{
    struct commit_args a = {
        .node = node, .set = set, .policy = policy, .seal_at = seal_at, .now_ms = now_ms};
    memset(res, 0, sizeof *res);
    if (set->n_entries == 0)
        return 0;
    int rc = store_write(store, commit_fn, &a);
    if (rc == 0)
        *res = a.res;
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
                       : rc == 0                                     ? INTAKE_REFUSED_MAX
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
    if (rc != 0)
        json_object_set_new(o, "error", json_string(err_str(rc)));
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}
