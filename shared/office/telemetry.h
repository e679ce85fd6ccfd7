/* telemetry: what a daemon tells Prometheus about itself (metrics.h serves it).
 *
 * Rendered by the daemon's loop from its parts, in one read transaction of its store:
 *   jiancha_info{node,role,version}                         1
 *   jiancha_intake_records_total{outcome}                   accepted, duplicate, rejected,
 *                                                           refused_full (since start)
 *   jiancha_spool_records, jiancha_batches_sealed, jiancha_batches_acknowledged,
 *   jiancha_backlog_batches, jiancha_unsealed_records       this node's own log and uplink
 *   jiancha_oldest_unsent_batch_age_seconds                 0 when nothing waits
 *   jiancha_uplink_up, jiancha_uplink_heard_age_seconds,
 *   jiancha_uplink_batches_sent_total, _resends_total, _reconnects_total   (not at the province)
 *   jiancha_server_sessions, jiancha_server_batches_total{reply}           (aggregators)
 *   jiancha_child_records{child}, jiancha_child_last_batch{child},
 *   jiancha_child_lag_seconds{child}, jiancha_child_skew_seconds{child},
 *   jiancha_child_backlog_batches{child}, jiancha_child_rejected_total{child} (aggregators)
 *   jiancha_alerts_open{light}                              every alert standing in the store
 *   jiancha_store_used_bytes, jiancha_store_map_bytes
 *   jiancha_store_commit_seconds (histogram: _bucket{le}, _sum, _count)
 *   jiancha_calendar_coverage_days                          days until the calendar's last day
 *   jiancha_certificate_expiry_seconds, jiancha_key_generation  the certificate of the key in
 *                                                           force (no sample on development keys)
 *   jiancha_warehouse_up, jiancha_warehouse_behind_records,
 *   jiancha_warehouse_behind_seconds, jiancha_warehouse_records_copied_total,
 *   jiancha_warehouse_commits_total, jiancha_warehouse_failures_total   the warehouse in
 *                                                           PostgreSQL (warehouse.h), when one
 *                                                           is configured
 */
#ifndef JIANCHA_TELEMETRY_H
#define JIANCHA_TELEMETRY_H

#include "calendar.h"
#include "door.h"
#include "ingest.h"
#include "link.h"
#include "rotation.h"
#include "metrics.h"
#include "server.h"
#include "store.h"
#include "warehouse.h"
#include "wire.h"

#include <stdint.h>

struct telemetry_sources {
    const char *role;               /* "collector" or "aggregator" */
    uint32_t node;
    store_t *store;
    const struct door_stats *door;  /* the intake's counts */
    const link_t *link;             /* NULL at the top of the tree */
    const server_t *server;         /* an aggregator's children side, else NULL */
    const ingest_t *ingest;         /* an aggregator's children, else NULL */
    const calendar_t *cal;          /* NULL: no calendar */
    const rotation_t *rot;          /* the node's signing key (NULL at the province's top) */
    int64_t now_ms;
    const struct warehouse_stats *warehouse; /* the sink's figures; NULL: no warehouse */
};

/* Appends the exposition text; a store that cannot be read leaves its figures out. */
void telemetry_render(const struct telemetry_sources *s, struct wire_buf *out);

/* A daemon's metrics: served on `listen` (metrics/listen; "" leaves *out NULL and returns 0),
 * the port bound written to DIR/metrics.port for scripts. ERR_NET with why when it cannot listen.
 */
int telemetry_listen(const char *listen, const char *dir, metrics_t **out, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

/* Renders the figures and publishes them (a daemon's timer, every TELEMETRY_EVERY_MS). */
#define TELEMETRY_EVERY_MS 5000 /* a scrape comes every 15 s or so; rendering reads every alert */
void telemetry_publish(metrics_t *m, const struct telemetry_sources *s);

/* A daemon's metrics from start: telemetry_listen, then `publish(loop, 0, arg)` at once and on a
 * timer every TELEMETRY_EVERY_MS (publish calls telemetry_publish with the daemon's sources).
 * Nothing when `listen` is empty. */
int telemetry_start(zloop_t *loop, const char *listen, const char *dir, zloop_timer_fn publish,
                    void *arg, metrics_t **out, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

#endif
