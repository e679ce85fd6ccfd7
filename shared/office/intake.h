/* intake: storing validated events at the node that received them.
 *
 * intake_commit() takes a parsed message (event_set), drops records whose id this node already
 * accepted (duplicates are acknowledged but not stored twice), appends the rest to the spool and
 * seals full batches, all in one durable commit; intake_commit_group() does so for several. Only
 * after it returns 0 may the sender be told. intake_reply_json() writes the reply a business system
 * receives.
 */
#ifndef JIANCHA_INTAKE_H
#define JIANCHA_INTAKE_H

#include "access.h"
#include "calendar.h"
#include "event.h"
#include "store.h"

#include <stdint.h>

#define INTAKE_REFUSED_MAX 64

struct intake_result {
    size_t accepted;
    size_t duplicates;
    uint64_t sealed; /* batches sealed in the same commit */
    uint64_t last_seq;
    /* Valid records refused by what this node holds (an unknown alert, an extension past its
     * limit …) or by the door (business events at an aggregator): listed like the set's rejects,
     * the first INTAKE_REFUSED_MAX of them kept. */
    struct event_reject refused[INTAKE_REFUSED_MAX];
    size_t n_refused;
    size_t audited; /* operator requests logged (audit.h) */
};

struct intake_policy {
    calendar_t *calendar; /* judges supervision actions against this node (desk_admit) */
    bool actions_only;    /* an aggregator's door: business events belong to a collector */
    /* The message's signature, if it came with one: with a roster held, supervision actions are
     * judged against its operator (access.h) and logged (audit.h). */
    struct access_request request;
};

/* Commits the set's valid records for `node`. On error nothing was stored: ERR_STORAGE_FULL
 * when the disk or the map's limit is reached, another store error otherwise. */
int intake_commit(store_t *store, uint32_t node, const struct event_set *set,
                  const struct intake_policy *policy, uint32_t seal_at, int64_t now_ms,
                  struct intake_result *res) __attribute__((warn_unused_result));

/* Several messages in one durable commit, in order (the door takes what is waiting at once: one
 * fsync for them all). Each part's result is its own, as intake_commit() would give it; on error
 * nothing of any part was stored and every result is zero. */
struct intake_part {
    const struct event_set *set;
    const struct intake_policy *policy;
    struct intake_result res;
};
int intake_commit_group(store_t *store, uint32_t node, struct intake_part *parts, size_t n,
                        uint32_t seal_at, int64_t now_ms) __attribute__((warn_unused_result));

/* A record of `node`'s own taken back from its parent after a restore (link.h, spool_adopt), at
 * its sequence: what intake and the passes derived from it when it was first stored, so the
 * node goes on as if it had never lost it: its id is known (a business system resending it gets
 * "duplicate"), an action is indexed by the desk, an alert record's state is the alert's, a
 * counter sheet is the day's sheet held. */
int intake_adopt(store_txn_t *t, uint32_t node, uint64_t seq, const void *record, size_t len)
    __attribute__((warn_unused_result));

/* The reply as a JSON object in a malloc'd string: accepted, duplicates, rejected (index, field,
 * reason for each), and `error` when the whole message failed (rc != 0). */
char *intake_reply_json(const struct event_set *set, const struct intake_result *res, int rc);

#endif
