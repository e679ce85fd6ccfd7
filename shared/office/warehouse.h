/* warehouse: the province's warehouse in PostgreSQL (docs/warehouse.md); the one door to libpq.
 *
 * An aggregator given `warehouse/conninfo` runs a sink that copies every record its store holds
 * (business events, supervision actions, alert changes with their ledgers, counter sheets, audit
 * entries; not the `batch` records an aggregator keeps only until its parent has them) into the
 * tables of config/warehouse.sql, with COPY, in transactions of up to batch_records records.
 * A record's place in the store is its origin node and its record sequence there (store.h,
 * `events`), and each origin's records are stored in ascending sequence: the sink's position is,
 * per origin, the last sequence copied, written to jiancha.position in the SAME transaction as the
 * rows. So a crash of either side, a restart or a lost connection rolls rows and position back
 * together, and the sink, which reads its positions back from PostgreSQL at every connection
 * (PostgreSQL is the truth, not the store), copies every record exactly once.
 *
 * The sink is a thread (a czmq zactor) with its own read transactions of the store: libpq blocks
 * (connecting, COPY, COMMIT wait on the server and the network), and the aggregator's loop must
 * never wait for PostgreSQL. It falls behind instead, and says how far (warehouse_stats). When
 * PostgreSQL is down, refuses, or its disk is full, the sink logs a warning (once a minute with a
 * count of those suppressed), waits (doubling up to backoff_max_ms) and tries again; it never
 * skips a record and never stops the daemon.
 */
#ifndef JIANCHA_WAREHOUSE_H
#define JIANCHA_WAREHOUSE_H

#include "err.h"
#include "pgcopy.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WAREHOUSE_SCHEMA_VERSION 1
#define WAREHOUSE_ERROR_MAX 256
/* `behind` before this process has read PostgreSQL's positions: how far behind is not known (a
 * store's whole history would be a false alarm of a lost warehouse). */
#define WAREHOUSE_BEHIND_UNKNOWN UINT64_MAX

struct warehouse_options {
    const char *conninfo;    /* libpq connection string (copied; never logged) */
    const char *schema_path; /* config/warehouse.sql, run when the warehouse holds another
                                schema version (none: a new database) (copied) */
    uint32_t node;           /* this aggregator: the warehouse is its own (jiancha.sink) */
    uint32_t batch_records;  /* records per transaction */
    int64_t poll_ms;         /* how often a sink that has copied everything looks again */
    int64_t backoff_max_ms;  /* the longest wait before PostgreSQL is tried again */
};

/* What the sink reports; a copy taken under its lock. */
struct warehouse_stats {
    bool connected;       /* a session is open and its positions are read */
    uint64_t behind;      /* records (by sequence) the store holds past the positions copied;
                             WAREHOUSE_BEHIND_UNKNOWN until the positions are first read */
    int64_t caught_up_ms; /* wall clock: when the warehouse last held all the store held (or
                             the sink started) */
    uint64_t copied;      /* records committed since start */
    uint64_t commits;     /* transactions committed since start */
    uint64_t failures;    /* connections and transactions that failed since start */
    int64_t error_ms;     /* the last failure's time; 0: none */
    char error[WAREHOUSE_ERROR_MAX]; /* and what it was (PostgreSQL's own message) */
};

typedef struct warehouse warehouse_t;

/* Starts the sink thread over the store (borrowed: it must outlive the sink). It connects on its
 * own; nothing here waits for PostgreSQL. */
warehouse_t *warehouse_new(store_t *store, const struct warehouse_options *opt);
/* Stops the sink: a statement in progress is cancelled (its transaction rolls back), the thread
 * ends. Accepts NULL. */
void warehouse_destroy(warehouse_t **p);

void warehouse_stats(warehouse_t *w, struct warehouse_stats *out);
/* The seconds the warehouse is behind at now_ms: 0 when it holds everything. (Inline: telemetry
 * and the CLI show it without linking libpq.) */
static inline double
warehouse_lag_s(const struct warehouse_stats *st, int64_t now_ms)
{
    if (st->behind == 0 || st->behind == WAREHOUSE_BEHIND_UNKNOWN || now_ms <= st->caught_up_ms)
        return 0;
    return (double)(now_ms - st->caught_up_ms) / 1000.0;
}

/* The last sequence of `origin` PostgreSQL holds, as this process read it back and committed it
 * since it started: false while the sink has not yet read its positions (nothing is confirmed). */
bool warehouse_confirmed(warehouse_t *w, uint32_t origin, uint64_t *seq);

/* The sink's figures as `jiancha status` shows them: meta entries of the store written by the
 * daemon's loop (warehouse_save_status), u64 values but WAREHOUSE_META_ERROR (text). */
#define WAREHOUSE_META_SAVED "warehouse_saved_ms"
#define WAREHOUSE_META_UP "warehouse_up"
#define WAREHOUSE_META_BEHIND "warehouse_behind"
#define WAREHOUSE_META_CAUGHT_UP "warehouse_caught_up_ms"
#define WAREHOUSE_META_COPIED "warehouse_copied"
#define WAREHOUSE_META_ERROR_AT "warehouse_error_ms"
#define WAREHOUSE_META_ERROR "warehouse_error"
int warehouse_save_status(store_txn_t *t, const struct warehouse_stats *st, int64_t now_ms)
    __attribute__((warn_unused_result));

/* --check-config: the connection string parses and the schema file can be read (nothing is
 * connected). 0 or ERR_CONFIG with why. */
int warehouse_check(const char *conninfo, const char *schema_path, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

/* ---- retention at the province (warehouse/keep_months; the daemon's loop) ---- */

/* The first instant kept with keep_months: the start of the local month keep_months months
 * before now's (keep_months 1 in December keeps November and December). */
int64_t warehouse_keep_from_ms(int64_t now_ms, int keep_months);

/* Deletes from the store the business events (event.h) dated before before_ms that the
 * warehouse has confirmed (warehouse_confirmed): never one it does not hold, never an alert,
 * counter sheet, supervision action or audit entry. Examines at most `budget` records in one
 * write transaction, each record once per cutoff (kept ones are not examined again until the
 * cutoff moves), and nothing while the sink has not read its positions. Returns 1 when the budget
 * ran out (call again), 0 when every confirmed record is examined, or a store error. The ids of
 * deleted events are kept, so one sent again is still a duplicate. */
int warehouse_prune(warehouse_t *w, store_t *s, int64_t before_ms, uint32_t budget,
                    uint64_t *deleted) __attribute__((warn_unused_result));

#endif
