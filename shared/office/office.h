/* office: a node's supervision office as its daemon runs it: the intake door (door.h) and the desk
 * that judges what comes through it (desk.h), with the working-day calendar they count with.
 *
 * The collector and the aggregator each keep one office. The collector's door also takes its
 * business systems' events; an aggregator's takes supervision actions only. The calendar is
 * borrowed: the collector's rulebook holds it (and replaces it when a bundle arrives); the
 * aggregator loads its `desk/calendar` and adopts calendar bundles. Without a calendar the desk
 * does not run and the door judges no supervision actions.
 */
#ifndef JIANCHA_OFFICE_H
#define JIANCHA_OFFICE_H

#include "calendar.h"
#include "desk.h"
#include "door.h"
#include "store.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#define OFFICE_ENDPOINT_FILE "intake.endpoint"

typedef struct office office_t;

struct office_options {
    const char *endpoint;      /* where the door binds */
    const char *data_dir;      /* the endpoint is recorded in DATA/intake.endpoint (NULL: not) */
    int64_t max_message_bytes; /* larger requests are refused with an error */
    uint32_t seal_at;          /* the spool's batch size */
    bool actions_only;         /* an aggregator's door */
    int64_t patrol_from_day;   /* INT64_MIN: the day the desk first runs */
    const uint32_t *tree;      /* the children the office must patrol (copied) */
    size_t n_tree;
};

/* Binds the door and records its endpoint in DATA/intake.endpoint, where the CLI finds the node
 * whose store it reads (the packaged services keep the socket in /run, not beside the data); the
 * calendar (may be NULL) is borrowed. NULL with why on failure. */
office_t *office_new(store_t *store, uint32_t node, const struct office_options *opt,
                     calendar_t *calendar, char *why, size_t why_len);
void office_destroy(office_t **p);

/* The intake endpoint a node's daemon recorded in its data directory, malloc'd; NULL when none
 * is recorded (a daemon that never ran there). */
char *office_endpoint_of(const char *data_dir);

/* Counts with another calendar from now on (the old one may be freed after this returns). */
void office_set_calendar(office_t *o, calendar_t *calendar);

zsock_t *office_socket(office_t *o);

struct office_intake {
    uint64_t accepted; /* records stored by the requests handled */
    uint64_t sealed;   /* batches sealed for them */
};

/* Handles the requests waiting at the door (at most max of them). */
void office_take(office_t *o, int max, int64_t now_ms, struct office_intake *out);

/* Runs the desk when something is due or came in since its last pass; 0 or the store's error
 * (logged by the caller). res->sealed says whether batches were sealed. */
int office_judge(office_t *o, int64_t now_ms, struct desk_result *res)
    __attribute__((warn_unused_result));

/* Closings decided above for alerts here or below (desk.h): taken from the parent (a refusal is
 * logged here, at most every 10 s), and handed to fn for each child session. Both do nothing
 * without a desk. */
int office_take_decision(office_t *o, int64_t now_ms, const void *record, size_t len,
                         bool *pass_on, struct desk_result *res) __attribute__((warn_unused_result));
int office_each_decision(office_t *o, uint32_t child, desk_decision_fn fn, void *arg)
    __attribute__((warn_unused_result));

void office_stats(const office_t *o, struct door_stats *out);

#endif
