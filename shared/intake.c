/* intake: duplicate check, append and seal in one transaction per message (group commit: one
 * fsync per message, never per event). */
#include "intake.h"

#include "err.h"
#include "spool.h"

#include <jansson.h>
#include <string.h>

struct commit_args {
    uint32_t node;
    const struct event_set *set;
    uint32_t seal_at;
    int64_t now_ms;
    struct intake_result res;
};

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
        uint64_t seq;
        int rc = spool_append(t, a->node, a->set->records.data + e->off, e->len, &seq);
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
intake_commit(store_t *store, uint32_t node, const struct event_set *set, uint32_t seal_at,
              int64_t now_ms, struct intake_result *res)
{
    struct commit_args a = {.node = node, .set = set, .seal_at = seal_at, .now_ms = now_ms};
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
    for (size_t i = 0; i < set->n_rejects; i++) {
        const struct event_reject *r = &set->rejects[i];
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
