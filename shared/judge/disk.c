/* disk: node.disk, judged from a reading of the store and its filesystem. The alarm's state is
 * its stored alert, nothing else. */
#include "disk.h"

#include "alert.h"
#include "alertdb.h"
#include "err.h"
#include "log.h"
#include "node.h"
#include "spool.h"

#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

int
disk_read(store_t *store, const char *dir, uint64_t budget_bytes, struct disk_reading *out)
{
    memset(out, 0, sizeof *out);
    struct statvfs fs;
    if (statvfs(dir, &fs) != 0)
        return ERR_IO;
    uint64_t map;
    store_usage(store, &map, &out->used_bytes);
    out->budget_bytes = budget_bytes;
    out->fs_free_bytes = (uint64_t)fs.f_bavail * fs.f_frsize;
    /* the data file grows page by page into the free space (the map is address space only) */
    uint64_t reach = out->used_bytes + out->fs_free_bytes;
    out->room_bytes = budget_bytes && budget_bytes < reach ? budget_bytes : reach;
    return 0;
}

uint64_t
disk_budget_bytes(int64_t budget_mb, int64_t max_map_mb)
{
    uint64_t budget = (uint64_t)budget_mb << 20, cap = (uint64_t)max_map_mb << 20;
    return !budget || (cap && cap < budget) ? cap : budget;
}

int
disk_light(const struct disk_reading *r, int standing)
{
    if (r->room_bytes == 0)
        return ALERT_RED;
    /* percent of the room in use, in hundredths, without overflow on large stores */
    uint64_t pct100 = (uint64_t)((double)r->used_bytes * 10000.0 / (double)r->room_bytes);
    if (pct100 >= DISK_RED_PCT * 100)
        return ALERT_RED;
    if (pct100 >= DISK_YELLOW_PCT * 100)
        return ALERT_YELLOW;
    if (standing != DISK_NONE && pct100 >= DISK_CLEAR_PCT * 100)
        return ALERT_YELLOW; /* within the margin: a standing alarm stays, lowered to yellow */
    return DISK_NONE;
}

struct check {
    uint32_t node;
    const struct disk_reading *r;
    int64_t now_ms;
    uint32_t seal_at;
    bool changed;
    uint64_t sealed;
};

static int
check_fn(store_txn_t *t, void *arg)
{
    struct check *c = arg;
    c->changed = false;
    c->sealed = 0;
    struct alert a, old;
    alert_node_alarm(&a, c->node, DISK_RULE);
    int rc = alertdb_get(t, a.id, &old);
    bool have = rc == 0;
    if (rc != 0 && rc != ERR_NOT_FOUND && rc != ERR_CORRUPT)
        return rc;
    bool open = have && (old.state == ALERT_OPEN || old.state == ALERT_RESPONDED);
    int want = disk_light(c->r, open ? (int)old.finding : DISK_NONE);
    if (want == DISK_NONE && !open)
        return 0;
    if (have)
        a = old;
    char why[ERR_WHY_MAX];
    snprintf(why, sizeof why, "the store uses %.1f MiB of its %.1f MiB room (budget %s, %.1f MiB "
             "free on its filesystem)", (double)c->r->used_bytes / 1048576.0,
             (double)c->r->room_bytes / 1048576.0, c->r->budget_bytes ? "set" : "none",
             (double)c->r->fs_free_bytes / 1048576.0);
    if (want == DISK_NONE) {
        a.state = ALERT_CLEARED;
        alert_log(&a, c->now_ms, ALERT_CLEARED_ACT, a.finding);
        log_info("disk: node.disk cleared node=%s: %s", a.node, why);
    } else if (!open) {
        a.state = ALERT_OPEN;
        a.light = a.finding = (enum alert_light)want;
        a.raised_ms = a.finding_ms = c->now_ms;
        snprintf(a.detail, sizeof a.detail, "%.*s", (int)sizeof a.detail - 1, why);
        alert_log(&a, c->now_ms, ALERT_RAISED, a.finding);
    } else if (want != (int)old.finding) {
        enum alert_action act = want > (int)old.finding ? ALERT_ESCALATED : ALERT_LOWERED;
        a.light = a.finding = (enum alert_light)want;
        a.finding_ms = c->now_ms;
        snprintf(a.detail, sizeof a.detail, "%.*s", (int)sizeof a.detail - 1, why);
        alert_log(&a, c->now_ms, act, a.finding);
    } else {
        return 0;
    }
    if (want != DISK_NONE)
        log_warn("disk: node.disk %s node=%s: %s", alert_light_name(a.finding), a.node, why);
    rc = alertdb_record(t, c->node, &a);
    if (rc == 0)
        rc = spool_seal(t, c->node, c->seal_at, true, c->now_ms, &c->sealed);
    c->changed = rc == 0;
    return rc;
}

int
disk_check(store_t *store, uint32_t node, const struct disk_reading *r, int64_t now_ms,
           uint32_t seal_at, bool *changed, uint64_t *sealed)
{
    struct check c = {node, r, now_ms, seal_at, false, 0};
    int rc = store_write(store, check_fn, &c);
    *changed = rc == 0 && c.changed;
    *sealed = rc == 0 ? c.sealed : 0;
    return rc;
}

int
disk_poll(store_t *store, uint32_t node, const char *dir, uint64_t budget_bytes, int64_t now_ms,
          int64_t mono_ms, int64_t *next_mono_ms, uint32_t seal_at, uint64_t *sealed)
{
    *sealed = 0;
    if (*next_mono_ms && mono_ms < *next_mono_ms)
        return 0;
    struct disk_reading r;
    int rc = disk_read(store, dir, budget_bytes, &r);
    bool changed;
    if (rc == 0)
        rc = disk_check(store, node, &r, now_ms, seal_at, &changed, sealed);
    if (rc == 0)
        *next_mono_ms = mono_ms + DISK_CHECK_MS;
    return rc;
}
