/* door: a node's intake socket, where business systems send events and the CLI sends supervision
 * actions; the collector and the aggregator both keep one.
 *
 * A request is [request id] body on a ROUTER socket (a REQ client's empty delimiter is allowed);
 * the body is one frame of JSON or msgpack (event.h). door_handle() parses it, commits the valid
 * records (intake.h) and only then replies with what was accepted, duplicated and refused, each
 * refusal naming the record, the field and the reason. Requests waiting together are committed
 * together (DOOR_GROUP).
 */
#ifndef JIANCHA_DOOR_H
#define JIANCHA_DOOR_H

#include "intake.h"
#include "node.h"
#include "store.h"

#include <czmq.h>
#include <stdint.h>

#define DOOR_SOCKET_MODE 0660 /* an ipc intake: the daemon's user and group may send */

typedef struct door door_t;

struct door_stats {
    uint64_t accepted, duplicates, rejected, refused_full;
};

/* Binds a ROUTER socket on endpoint (the policy is copied; its calendar is borrowed and may be
 * replaced with door_set_calendar). NULL with why filled when the endpoint cannot be bound. */
door_t *door_new(store_t *store, uint32_t node, const char *endpoint, int64_t max_message_bytes,
                 uint32_t seal_at, const struct intake_policy *policy, char *why, size_t why_len);
void door_destroy(door_t **p);

void door_set_calendar(door_t *d, calendar_t *calendar);
zsock_t *door_socket(door_t *d);

/* The most requests committed together: a pipelining sender's in-flight messages share one
 * fsync. */
#define DOOR_GROUP 8

/* Handles the requests waiting on the socket, up to max (at most DOOR_GROUP), in one commit, and
 * replies to each in the order they came. Returns how many it answered: 0 when none waited. res
 * sums what the commit did, so the daemon knows whether to judge or seal. */
int door_handle(door_t *d, int64_t now_ms, size_t max, struct intake_result *res);

/* Totals since start, for the daemon's stats line. */
void door_stats(const door_t *d, struct door_stats *out);

#endif
