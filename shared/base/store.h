/* store: the one door to LMDB. One environment per daemon, in its data directory.
 *
 * Tables (named LMDB databases), and what their keys are:
 *   meta     short ASCII names -> values (schema version, node id, counters of the uplink;
 *            "records/" + node: the records held of each node, complete once "tally_index" is 1,
 *            kept.h)
 *   events   node (u32 BE) + record seq (u64 BE) -> canonical event record (msgpack)
 *   ids      node (u32 BE) + event id bytes -> record seq (u64 BE): duplicate detection
 *   outbox   batch seq (u64 BE) -> batch header (msgpack): sealed batches not yet acknowledged
 *   batches  node (u32 BE) + batch seq (u64 BE) -> [header, key id, signature, accepted ms]: a
 *            received batch as signed, and when the first tier accepted it
 *   nodes    node (u32 BE) -> per-child state at an aggregator (msgpack)
 *   parked   node (u32 BE) + batch seq (u64 BE) -> reason a batch was refused for good
 *   alerts   alert id -> the alert's current state and ledger (msgpack)
 *   subjects kind + key + NUL + record seq (u64 BE) -> "" : the records of a case, complaint,
 *            credential holder or item, for replaying it; kind 'A' + kind + key + NUL + alert id:
 *            the alerts of a subject; kind 'Q' + handler + NUL + case: cases lit for
 *            qualification, filed under each handler who acted in them (a late credential
 *            judges them again); stores before it also hold 'H' + handler + NUL + case, unread
 *   clocks   't' + due (u64 BE) + kind + key -> "" and 's' + kind + key -> due: when a subject's
 *            lights change next without a new event
 *   days     'r' + node (u32 BE) + day (u32 BE) + record seq (u64 BE) -> part: counted records of
 *            a day; 'a' + node + day + alert id -> part: alerts raised that day (a part is the row
 *            the item adds to the day's sheet, "" if none or not counted yet); 's' + node + day ->
 *            rows: the day's running sum; 'i' + node + day + 'r' + seq -> the record's facts
 *            ('F' ..., counter.c; "" in stores from before) or 'a' + alert id -> "": an item to
 *            count again; 'e' + node + day -> "": a day whose sheet may have to be sent;
 *            stores before the sums also hold 'd' + node + day -> "": a day to count whole
 *            (counter.h); 'p' + node + case -> at (u64 BE) + seq (u64 BE) + dept + NUL + item:
 *            the acceptance that counts for a case (its earliest)
 *   counters node (u32 BE) + day (u32 BE) -> the newest `counters` record of that node and day
 *   bundles  'k' + kind -> [document, signature]: the newest bundle of that kind held here;
 *            'v' + node (u32 BE) + kind -> version (u64 BE): the version each node runs (bundle.h);
 *            'r' + node (u32 BE) + key generation (u32 BE) -> [at, request]: a node's request for
 *            its next certificate, come up the tree (keynote.h)
 *   quarantine node (u32 BE) + batch seq (u64 BE) + BLAKE2b of the copy -> a copy kept for audit:
 *            [header, key, sig, payload] of a batch that reused its node's sequence with other
 *            content, or the batches entry of one a compromised key signed after `since`
 *   desk     the supervision office's work at this node (desk.h): 'r' + kind + key + NUL + record
 *            seq (u64 BE) -> "": the action records of an alert ('f'), a supervision case ('s') or
 *            a day's patrols ('p' + day u32 BE); 'a' + alert id -> node (u32 BE): alerts known here
 *            (own and children's); 't'/'s' clock keys as in `clocks` (clocks.h)
 *   kept     node (u32 BE) + record seq (u64 BE) -> "": the records of `events` that are not
 *            business events (alerts, the office's actions, counter sheets, key notes), for
 *            readers that want only those (kept.h); complete once meta "kept_index" is 1
 *
 * Values read out are copied into the caller's buffers: LMDB memory never leaves this module.
 * Write transactions go through store_write(), which grows the map by itself when it fills and
 * reports ERR_STORAGE_FULL when the map may not grow further or the disk is full. The environment
 * is opened with default (durable) sync flags: a commit that returned 0 survives a crash.
 */
#ifndef JIANCHA_STORE_H
#define JIANCHA_STORE_H

#include "wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION 3 /* 2: days, counters, bundles; 3: desk (a 2 is upgraded) */
#define STORE_DIR_MODE 0700    /* the service user's alone; operators read as that user (docs/operations.md) */
#define STORE_FILE_MODE 0640

enum store_table {
    STORE_META,
    STORE_EVENTS,
    STORE_IDS,
    STORE_OUTBOX,
    STORE_BATCHES,
    STORE_NODES,
    STORE_PARKED,
    STORE_ALERTS,
    STORE_SUBJECTS,
    STORE_CLOCKS,
    STORE_DAYS,
    STORE_COUNTERS,
    STORE_BUNDLES,
    STORE_QUARANTINE,
    STORE_DESK,
    STORE_KEPT,
    STORE_TABLES_
};

struct store_options {
    uint64_t map_bytes;     /* initial map size */
    uint64_t max_map_bytes; /* the map never grows past this; 0 = no limit */
    bool readonly;          /* for the CLI reading a running daemon's store */
};

typedef struct store store_t;
typedef struct store_txn store_txn_t;
typedef struct store_cursor store_cursor_t;

/* Opens or creates the environment in `dir` (created if missing unless readonly). Checks the
 * schema version; ERR_SCHEMA if it differs, ERR_NOT_FOUND if readonly and nothing is there. */
int store_open(const char *dir, const struct store_options *opt, store_t **out)
    __attribute__((warn_unused_result));
void store_close(store_t **p);

/* A read transaction; store_abort() ends it. Another thread of the process may read with its own
 * transactions (each thread one at a time, never handing one to another thread): a map growth
 * waits until they end (the warehouse's sink, warehouse.h). */
int store_read(store_t *s, store_txn_t **txn) __attribute__((warn_unused_result));
void store_abort(store_txn_t **txn);

/* Runs fn in a write transaction and commits. If the map fills, the transaction is discarded, the
 * map grown and fn run again, so fn must not change anything outside the transaction before it
 * returns. fn's own non-zero return aborts and is passed through. */
typedef int (*store_write_fn)(store_txn_t *txn, void *arg);
int store_write(store_t *s, store_write_fn fn, void *arg) __attribute__((warn_unused_result));

/* Flags for store_put. */
#define STORE_APPEND 1u      /* key sorts after every key in the table (faster); with
                              * STORE_NOOVERWRITE a key that does not is ERR_EXISTS as well */
#define STORE_NOOVERWRITE 2u /* ERR_EXISTS if the key is present */

int store_put(store_txn_t *t, enum store_table tb, const void *key, size_t klen, const void *val,
              size_t vlen, unsigned flags) __attribute__((warn_unused_result));
/* Appends the value to `out`; ERR_NOT_FOUND if absent. */
int store_get(store_txn_t *t, enum store_table tb, const void *key, size_t klen,
              struct wire_buf *out) __attribute__((warn_unused_result));
/* 0 with *present whether the key is held; a read error is returned, never taken for absence
 * (a record counted absent on a failed read would be stored twice). */
int store_has(store_txn_t *t, enum store_table tb, const void *key, size_t klen, bool *present)
    __attribute__((warn_unused_result));
int store_del(store_txn_t *t, enum store_table tb, const void *key, size_t klen)
    __attribute__((warn_unused_result));
/* Number of entries in a table. */
uint64_t store_count(store_txn_t *t, enum store_table tb);

/* Cursors walk a table in key order. seek positions at the first key >= key (key NULL: first);
 * last at the final key; next moves on, prev moves back. Each returns 0, or ERR_NOT_FOUND past
 * the end (before the start). The key and value of the current entry are appended to the given
 * buffers (either may be NULL). */
int store_cursor_open(store_txn_t *t, enum store_table tb, store_cursor_t **c)
    __attribute__((warn_unused_result));
void store_cursor_close(store_cursor_t **c);
int store_cursor_seek(store_cursor_t *c, const void *key, size_t klen, struct wire_buf *k,
                      struct wire_buf *v);
int store_cursor_last(store_cursor_t *c, struct wire_buf *k, struct wire_buf *v);
int store_cursor_next(store_cursor_t *c, struct wire_buf *k, struct wire_buf *v);
int store_cursor_prev(store_cursor_t *c, struct wire_buf *k, struct wire_buf *v);

/* Calls fn for every entry of `tb` whose key starts with prefix, in key order, with the key (and
 * the value, if want_value); stops at fn's first non-zero return and passes it back. */
typedef int (*store_each_fn)(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                             size_t vlen);
int store_each_prefix(store_txn_t *t, enum store_table tb, const void *prefix, size_t plen,
                      bool want_value, store_each_fn fn, void *arg)
    __attribute__((warn_unused_result));

/* A consistent, compacted copy of the whole environment written to fd (LMDB's own copy with
 * MDB_CP_COMPACT: free pages left out), taken in one read transaction while writers go on. The
 * fd receives the data file of an environment store_open() can open. */
int store_copy(store_t *s, int fd) __attribute__((warn_unused_result));

/* The durable commits of store_write so far, for metrics: their count, total time and a
 * cumulative histogram (commit_le[i]: commits that took at most store_commit_bounds_s[i]). The
 * daemon's loop thread only. */
#define STORE_COMMIT_BUCKETS 10
extern const double store_commit_bounds_s[STORE_COMMIT_BUCKETS];
struct store_stats {
    uint64_t commits;
    double commit_seconds;
    uint64_t commit_le[STORE_COMMIT_BUCKETS];
};
void store_stats(const store_t *s, struct store_stats *out);

/* Size of the map and of the data in it, in bytes. */
void store_usage(store_t *s, uint64_t *map_bytes, uint64_t *used_bytes);

/* Key helpers: big-endian so LMDB's byte order is numeric order. */
void store_be64(uint8_t out[8], uint64_t v);
uint64_t store_from_be64(const uint8_t in[8]);
void store_be32(uint8_t out[4], uint32_t v);
uint32_t store_from_be32(const uint8_t in[4]);

/* Meta values that are unsigned integers (stored as 8 bytes big-endian); missing reads as 0. A
 * write transaction keeps the few it touches in memory and writes the changed ones once, at its
 * commit (the spool reads and moves its sequence for every record), so within a write
 * transaction such a value is read and written through these two only, never as a raw key of
 * the meta table. */
int store_meta_get_u64(store_txn_t *t, const char *name, uint64_t *v)
    __attribute__((warn_unused_result));
int store_meta_put_u64(store_txn_t *t, const char *name, uint64_t v)
    __attribute__((warn_unused_result));

#endif
