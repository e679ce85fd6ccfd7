/* disk: the node.disk alarm (docs/rules.md): is this node's store running out of room?
 *
 * A node's room is the smaller of its configured budget (store/budget_mb; 0 = none) and what the
 * store could reach on its filesystem (the pages it uses plus the space still free there). The
 * node raises node.disk against itself (subject kind "node", no department, no answer clock):
 *   yellow  once the store uses DISK_YELLOW_PCT % of its room;
 *   red     from DISK_RED_PCT %;
 *   lowered, then cleared, when it falls back below DISK_CLEAR_PCT % (a margin, so a store at
 *           the edge does not raise and clear it at every check).
 * Each change is stored and appended to the spool as an alert record, so it travels up and
 * every tier shows it per node (`jiancha query nodes`, column disk). Nothing is ever dropped to
 * make room: a full store refuses intake with an error, and what is unsent stays.
 */
#ifndef JIANCHA_DISK_H
#define JIANCHA_DISK_H

#include "store.h"

#include <stdbool.h>
#include <stdint.h>

#define DISK_RULE "node.disk"
#define DISK_YELLOW_PCT 80
#define DISK_RED_PCT 95
#define DISK_CLEAR_PCT 75

struct disk_reading {
    uint64_t used_bytes;    /* pages the store uses */
    uint64_t room_bytes;    /* min(budget, used + free space of its filesystem) */
    uint64_t budget_bytes;  /* 0: none configured */
    uint64_t fs_free_bytes; /* free to this process on the store's filesystem */
};

/* Reads the store's use and its filesystem's free space (statvfs of `dir`). */
int disk_read(store_t *store, const char *dir, uint64_t budget_bytes, struct disk_reading *out)
    __attribute__((warn_unused_result));

#define DISK_NONE (-1) /* no alarm */

/* The light a reading calls for (ALERT_YELLOW, ALERT_RED or DISK_NONE) given the one standing
 * (DISK_NONE when none): the thresholds with their margin. */
int disk_light(const struct disk_reading *r, int standing);

/* Judges the alarm for a reading in a write transaction of its own; a change is stored, appended
 * to the spool and sealed at once (seal_at as spool.h). *changed: a change was made; *sealed:
 * batches sealed. */
int disk_check(store_t *store, uint32_t node, const struct disk_reading *r, int64_t now_ms,
               uint32_t seal_at, bool *changed, uint64_t *sealed)
    __attribute__((warn_unused_result));

/* The budget node.disk judges by: the smaller of store/budget_mb and store/max_map_mb (0 in
 * either: not set), in bytes; 0 when neither is set. */
uint64_t disk_budget_bytes(int64_t budget_mb, int64_t max_map_mb);

/* A daemon's timer: reads and judges once DISK_CHECK_MS have passed on the monotonic clock since
 * the last time (*next_mono_ms, 0 at first). 0 or an error (retried at the next call);
 * *sealed as disk_check. The budget is the smaller of the configured ones (0: none). */
#define DISK_CHECK_MS 10000
int disk_poll(store_t *store, uint32_t node, const char *dir, uint64_t budget_bytes,
              int64_t now_ms, int64_t mono_ms, int64_t *next_mono_ms, uint32_t seal_at,
              uint64_t *sealed) __attribute__((warn_unused_result));

#endif
