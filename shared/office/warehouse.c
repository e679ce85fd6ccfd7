/* warehouse: the sink that copies a store's records into PostgreSQL (see warehouse.h); the rows
 * it copies are pgcopy.h's.
 *
 * Why a thread: every libpq call the sink makes (connect, the schema, COPY, COMMIT) waits on a
 * server and a network that may be slow, down or full, and the aggregator's loop must keep taking
 * its children's batches meanwhile. So the sink runs in a czmq zactor thread of its own, with its
 * own read transactions of the store (the environment is opened without MDB_NOTLS, so a read
 * transaction belongs to the thread that began it: each thread reads in its own, one at a time;
 * store.c makes a map growth wait for them), and talks to the loop only through a lock around its
 * figures and positions. It holds a read transaction only while it copies a chunk of records out
 * of the map, never while it waits on PostgreSQL.
 *
 * What it does not do: the sink thread never writes the store (warehouse_save_status and the
 * retention, warehouse_prune, run in the daemon's loop, in its write transactions); it never
 * decides that PostgreSQL lost something (the positions it reads back are the truth); it never
 * copies a record out of its origin's order.
 *
 * Invariants: a chunk holds, per origin, the records right after that origin's position, in
 * sequence; rows and positions go in one transaction; positions in memory change only after
 * that transaction's COMMIT returned success, and are read again after any failure that leaves
 * the outcome of a COMMIT unknown (a lost connection).
 */
#include "warehouse.h"

#include "calendar.h"
#include "err.h"
#include "kept.h"
#include "event.h"
#include "file.h"
#include "log.h"
#include "mem.h"
#include "node.h"
#include "timestamp.h"

#include <czmq.h>
#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the sink ---- */

struct position {
    uint32_t node;
    uint64_t seq;
};

struct warehouse {
    store_t *store;
    char *conninfo, *schema_path;
    uint32_t node;
    uint32_t batch_records;
    int64_t poll_ms, backoff_max_ms;
    zactor_t *actor;
    pthread_mutex_t lock; /* guards what follows: the loop reads, the sink writes */
    struct warehouse_stats stats;
    struct position *confirmed; /* what PostgreSQL holds, by node */
    size_t n_confirmed;
    bool positions_known;
    PGcancel *cancel; /* the open session's, for warehouse_destroy */
    bool stopping;
    /* the loop's own (warehouse_prune): per origin, the last sequence examined against cutoff */
    int64_t prune_cutoff_ms;
    struct position *examined;
    size_t n_examined, cap_examined;
};

/* A run of records read out of the store: per origin, those right after its position. */
struct entry {
    uint32_t node;
    uint64_t seq;
    size_t off, len;
};

/* The sink thread's own state. */
struct sink {
    warehouse_t *w;
    zsock_t *pipe;
    zpoller_t *poller;
    bool terminated;
    PGconn *pg;
    struct position *pos; /* by node; from PostgreSQL, then as committed */
    size_t n_pos, cap_pos;
    int *made; /* partitions made (or found) in this session: table * 1000000 + YYYYMM */
    size_t n_made, cap_made;
    struct wire_buf bytes;
    struct entry *v;
    size_t n, cap;
    uint64_t behind; /* records past the chunk's end, measured as it was read */
    uint32_t start;  /* the origin the next chunk starts at (each gets its turn first) */
    struct pgcopy_rows rows;
    int64_t backoff_ms;
    struct log_limits warned; /* per kind of failure (what failed): a new cause shows at once */
};

#define CHUNK_BYTES_MAX (32u << 20)
#define WAREHOUSE_LOCK_KEY 0x6a69616e636861LL /* "jiancha": one sink per warehouse */

static uint64_t
position_of(const struct sink *s, uint32_t node)
{
    for (size_t i = 0; i < s->n_pos; i++)
        if (s->pos[i].node == node)
            return s->pos[i].seq;
    return 0;
}

static void
position_set(struct sink *s, uint32_t node, uint64_t seq)
{
    size_t i = 0;
    while (i < s->n_pos && s->pos[i].node < node)
        i++;
    if (i < s->n_pos && s->pos[i].node == node) {
        s->pos[i].seq = seq;
        return;
    }
    if (s->n_pos == s->cap_pos) {
        s->cap_pos = s->cap_pos ? 2 * s->cap_pos : 64;
        s->pos = xrealloc(s->pos, s->cap_pos * sizeof *s->pos);
    }
    memmove(s->pos + i + 1, s->pos + i, (s->n_pos - i) * sizeof *s->pos);
    s->pos[i] = (struct position){node, seq};
    s->n_pos++;
}

/* Hands the positions to the loop (warehouse_confirmed) and the figures with them. */
static void
publish(struct sink *s, uint64_t copied, bool committed)
{
    warehouse_t *w = s->w;
    pthread_mutex_lock(&w->lock);
    w->confirmed = xrealloc(w->confirmed, (s->n_pos ? s->n_pos : 1) * sizeof *w->confirmed);
    if (s->n_pos) /* (none yet: a warehouse that held nothing) */
        memcpy(w->confirmed, s->pos, s->n_pos * sizeof *s->pos);
    w->n_confirmed = s->n_pos;
    w->positions_known = true;
    w->stats.connected = true;
    w->stats.copied += copied;
    w->stats.commits += committed;
    pthread_mutex_unlock(&w->lock);
}

static void
note_behind(struct sink *s, uint64_t behind)
{
    warehouse_t *w = s->w;
    pthread_mutex_lock(&w->lock);
    w->stats.behind = behind;
    if (behind == 0)
        w->stats.caught_up_ms = timestamp_now_ms();
    pthread_mutex_unlock(&w->lock);
}

static bool
positions_known(warehouse_t *w)
{
    pthread_mutex_lock(&w->lock);
    bool known = w->positions_known;
    pthread_mutex_unlock(&w->lock);
    return known;
}

static bool
stopping(warehouse_t *w)
{
    pthread_mutex_lock(&w->lock);
    bool stop = w->stopping;
    pthread_mutex_unlock(&w->lock);
    return stop;
}

/* Closes the session; the positions it read stay as the last known (the loop keeps its copy). */
static void
disconnect(struct sink *s)
{
    warehouse_t *w = s->w;
    pthread_mutex_lock(&w->lock);
    PQfreeCancel(w->cancel);
    w->cancel = NULL;
    w->stats.connected = false;
    pthread_mutex_unlock(&w->lock);
    PQfinish(s->pg);
    s->pg = NULL;
    s->n_made = 0;
}

/* A failure of `what`: counted, kept for status, logged (rate-limited per what failed: PostgreSQL
 * down gives one every retry), and the session closed if it broke. */
static void
fail(struct sink *s, const char *what, const char *msg)
{
    warehouse_t *w = s->w;
    char text[WAREHOUSE_ERROR_MAX];
    snprintf(text, sizeof text, "%s: %s", what, msg && *msg ? msg : "no message");
    /* one line: libpq's messages end in a newline and indent their hints with a tab */
    for (char *p = text; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    size_t len = strlen(text);
    while (len && text[len - 1] == ' ')
        text[--len] = '\0';
    s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : 250;
    if (s->backoff_ms > w->backoff_max_ms)
        s->backoff_ms = w->backoff_max_ms;
    pthread_mutex_lock(&w->lock);
    bool quiet = w->stopping; /* a cancelled statement at shutdown is no failure */
    if (!quiet) {
        w->stats.failures++;
        w->stats.error_ms = timestamp_now_ms();
        snprintf(w->stats.error, sizeof w->stats.error, "%s", text);
    }
    pthread_mutex_unlock(&w->lock);
    uint64_t suppressed, tag = 14695981039346656037ULL; /* FNV-1a of what failed */
    for (const char *p = what; *p; p++)
        tag = (tag ^ (uint8_t)*p) * 1099511628211ULL;
    /* a warehouse that belongs to another node or schema waits for an operator: an error */
    enum log_level level = strcmp(what, "sink") == 0 ? LOG_LEVEL_ERROR : LOG_LEVEL_WARN;
    if (!quiet && log_allow_from(&s->warned, tag, 30, &suppressed))
        log_at(level, "warehouse: %s retry_ms=%lld suppressed=%llu", text, (long long)s->backoff_ms,
               (unsigned long long)suppressed);
    if (s->pg && PQstatus(s->pg) != CONNECTION_OK)
        disconnect(s);
}

/* Runs sql expecting `want`; on anything else fails with what and returns ERR_NET. */
static int
run(struct sink *s, const char *what, const char *sql, ExecStatusType want, PGresult **keep)
{
    PGresult *res = PQexec(s->pg, sql);
    if (PQresultStatus(res) != want) {
        fail(s, what, res ? PQresultErrorMessage(res) : PQerrorMessage(s->pg));
        PQclear(res);
        return ERR_NET;
    }
    if (keep)
        *keep = res;
    else
        PQclear(res);
    return 0;
}

static void
on_notice(void *arg, const char *message)
{
    (void)arg;
    log_debug("warehouse: postgresql says: %s", message);
}

/* The schema version the warehouse holds (jiancha.sink), 0 for none. The schema is run only
 * when it differs: replacing its views at every connection would wait for every reader of them. */
static int
schema_installed(struct sink *s, int *version)
{
    PGresult *res = NULL;
    *version = 0;
    int rc =
        run(s, "schema", "SELECT to_regclass('jiancha.sink') IS NOT NULL", PGRES_TUPLES_OK, &res);
    bool have = rc == 0 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    res = NULL;
    if (have && (rc = run(s, "schema", "SELECT coalesce(max(schema_version), 0) FROM jiancha.sink",
                          PGRES_TUPLES_OK, &res)) == 0)
        *version = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

/* Connects, installs the schema, claims the warehouse for this node and reads the positions
 * back: 0, or ERR_NET after fail(). */
static int
connect_pg(struct sink *s)
{
    warehouse_t *w = s->w;
    /* defaults the operator's string may override: it is expanded in place of dbname */
    const char *const keys[] = {"connect_timeout",
                                "keepalives_idle",
                                "keepalives_interval",
                                "keepalives_count",
                                "application_name",
                                "dbname",
                                NULL};
    const char *const values[] = {"10", "30", "10", "3", "jiancha-aggregator", w->conninfo, NULL};
    s->pg = PQconnectdbParams(keys, values, 1);
    if (PQstatus(s->pg) != CONNECTION_OK) {
        fail(s, "connect", PQerrorMessage(s->pg));
        PQfinish(s->pg);
        s->pg = NULL;
        return ERR_NET;
    }
    PQsetNoticeProcessor(s->pg, on_notice, NULL);
    PGcancel *cancel = PQgetCancel(s->pg);
    pthread_mutex_lock(&w->lock);
    w->cancel = cancel;
    pthread_mutex_unlock(&w->lock);
    /* the positions decide what the store may forget (retention): commits must be durable */
    int rc = run(s, "session",
                 "SET client_encoding = 'UTF8'; SET synchronous_commit = on; "
                 "SET client_min_messages = warning",
                 PGRES_COMMAND_OK, NULL);
    PGresult *res = NULL;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT pg_try_advisory_lock(%lld)", WAREHOUSE_LOCK_KEY);
    if (rc == 0 && (rc = run(s, "lock", sql, PGRES_TUPLES_OK, &res)) == 0 &&
        strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        fail(s, "lock", "another sink is copying into this warehouse");
        rc = ERR_STATE;
    }
    PQclear(res);
    res = NULL;
    int installed = 0;
    if (rc == 0)
        rc = schema_installed(s, &installed);
    if (rc == 0 && installed != WAREHOUSE_SCHEMA_VERSION) {
        size_t len;
        char *schema = file_read(w->schema_path, &len);
        if (!schema) {
            fail(s, "schema", strerror(errno));
            rc = ERR_IO;
        } else {
            rc = run(s, "schema", schema, PGRES_COMMAND_OK, NULL);
            free(schema);
        }
        if (rc == 0)
            log_info("warehouse: schema version %d installed (was %d)", WAREHOUSE_SCHEMA_VERSION,
                     installed);
    }
    char node[NODE_LEN + 1];
    node_format(w->node, node);
    snprintf(sql, sizeof sql,
             "INSERT INTO jiancha.sink (node, schema_version) VALUES ('%s', %d) ON CONFLICT "
             "DO NOTHING; SELECT node, schema_version FROM jiancha.sink",
             node, WAREHOUSE_SCHEMA_VERSION);
    if (rc == 0 && (rc = run(s, "sink", sql, PGRES_TUPLES_OK, &res)) == 0 &&
        (strcmp(PQgetvalue(res, 0, 0), node) != 0 ||
         atoi(PQgetvalue(res, 0, 1)) != WAREHOUSE_SCHEMA_VERSION)) {
        char why[160];
        snprintf(why, sizeof why,
                 "the warehouse belongs to node %s, schema %s (this is %s, "
                 "schema %d)",
                 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), node, WAREHOUSE_SCHEMA_VERSION);
        fail(s, "sink", why);
        rc = ERR_STATE;
    }
    PQclear(res);
    res = NULL;
    if (rc == 0 && (rc = run(s, "positions", "SELECT node, seq FROM jiancha.position",
                             PGRES_TUPLES_OK, &res)) == 0) {
        s->n_pos = 0;
        for (int i = 0; i < PQntuples(res); i++)
            position_set(s, node_number(PQgetvalue(res, i, 0)),
                         strtoull(PQgetvalue(res, i, 1), NULL, 10));
        publish(s, 0, false);
        log_info("warehouse: connected node=%s database=%s host=%s origins=%zu", node, PQdb(s->pg),
                 PQhost(s->pg), s->n_pos);
    }
    PQclear(res);
    if (rc != 0 && s->pg)
        disconnect(s);
    return rc;
}

/* ---- reading a chunk out of the store ---- */

static void
chunk_add(struct sink *s, uint32_t node, uint64_t seq, const struct wire_buf *v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = (struct entry){node, seq, s->bytes.len, v->len};
    wire_buf_append(&s->bytes, v->data, v->len);
}

/* Moves the cursor to the first key at or after node/seq; its key in k (reset first). */
static int
seek(store_cursor_t *c, uint32_t node, uint64_t seq, struct wire_buf *k, struct wire_buf *v)
{
    uint8_t key[12];
    store_be32(key, node);
    store_be64(key + 4, seq);
    wire_buf_reset(k);
    if (v)
        wire_buf_reset(v);
    return store_cursor_seek(c, key, sizeof key, k, v);
}

/* The last sequence the store holds of `node`, or `none`. */
static int
last_of(store_cursor_t *c, uint32_t node, uint64_t none, struct wire_buf *k, uint64_t *last)
{
    int rc = seek(c, node + 1, 0, k, NULL);
    wire_buf_reset(k);
    if (rc == 0)
        rc = store_cursor_prev(c, k, NULL);
    else if (rc == ERR_NOT_FOUND)
        rc = store_cursor_last(c, k, NULL);
    *last = rc == 0 && k->len == 12 && store_from_be32(k->data) == node
                ? store_from_be64(k->data + 4)
                : none;
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

/* Reads up to `budget` records past the positions, origin by origin from s->start (wrapping),
 * and measures how many more the store holds past what was read. */
static int
read_chunk(struct sink *s, uint64_t budget)
{
    s->n = 0;
    s->behind = 0;
    wire_buf_reset(&s->bytes);
    store_txn_t *t = NULL;
    store_cursor_t *c = NULL;
    int rc = store_read(s->w->store, &t);
    if (rc == 0)
        rc = store_cursor_open(t, STORE_EVENTS, &c);
    if (rc == ERR_NOT_FOUND)
        rc = 0; /* no table yet: nothing to copy */
    struct wire_buf k, v;
    wire_buf_init(&k);
    wire_buf_init(&v);
    uint32_t at = s->start, filled_at = 0;
    bool wrapped = false, filled = false;
    while (rc == 0 && c) {
        int crc = seek(c, at, 0, &k, NULL);
        if (crc == ERR_NOT_FOUND && !wrapped && s->start) {
            wrapped = true;
            at = 0;
            continue;
        }
        if (crc != 0) {
            rc = crc == ERR_NOT_FOUND ? 0 : crc;
            break;
        }
        uint32_t origin = k.len == 12 ? store_from_be32(k.data) : at;
        if (wrapped && origin >= s->start)
            break;
        uint64_t taken = position_of(s, origin);
        crc = seek(c, origin, taken + 1, &k, &v);
        while (crc == 0 && budget && s->bytes.len < CHUNK_BYTES_MAX && k.len == 12 &&
               store_from_be32(k.data) == origin) {
            taken = store_from_be64(k.data + 4);
            chunk_add(s, origin, taken, &v);
            budget--;
            wire_buf_reset(&k);
            wire_buf_reset(&v);
            crc = store_cursor_next(c, &k, &v);
        }
        if (!filled && (!budget || s->bytes.len >= CHUNK_BYTES_MAX)) {
            filled = true;
            filled_at = origin;
        }
        uint64_t last;
        if (crc != 0 && crc != ERR_NOT_FOUND)
            rc = crc;
        else
            rc = last_of(c, origin, taken, &k, &last);
        if (rc == 0 && last > taken)
            s->behind += last - taken;
        at = origin + 1;
    }
    /* the next chunk starts after the origin that filled this one, so every origin gets a turn
     * at the front however far behind one of them is */
    s->start = filled ? filled_at + 1 : 0;
    wire_buf_fini(&k);
    wire_buf_fini(&v);
    store_cursor_close(&c);
    store_abort(&t);
    return rc;
}

/* ---- copying a chunk ---- */

static int
copy_table(struct sink *s, enum pgcopy_table t)
{
    char sql[512];
    pgcopy_copy_sql(t, sql, sizeof sql);
    const char *name = pgcopy_table_name(t);
    int rc = run(s, name, sql, PGRES_COPY_IN, NULL);
    if (rc != 0)
        return rc;
    const struct wire_buf *b = &s->rows.copy[t];
    bool sent = true;
    for (size_t off = 0; sent && off < b->len; off += 1u << 20) {
        size_t n = b->len - off < (1u << 20) ? b->len - off : 1u << 20;
        sent = PQputCopyData(s->pg, (const char *)b->data + off, (int)n) == 1;
    }
    if (PQputCopyEnd(s->pg, sent ? NULL : "the sink could not send its rows") != 1)
        sent = false;
    PGresult *res;
    bool ok = sent;
    while ((res = PQgetResult(s->pg)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && ok) {
            fail(s, name, PQresultErrorMessage(res));
            ok = false;
            rc = ERR_NET;
        }
        PQclear(res);
    }
    if (!sent && rc == 0) {
        fail(s, name, PQerrorMessage(s->pg));
        rc = ERR_NET;
    }
    return rc;
}

/* Per origin of the chunk: its position before and after, and its `record` rows. */
struct moved {
    uint32_t node;
    uint64_t old, seq, rows;
};

/* The positions moved, guarded: each must still be what this sink read or committed, or the
 * transaction is rolled back (another writer, or a PostgreSQL restored from an older backup) and
 * the positions read again. */
static void
positions_sql(const struct moved *m, size_t n, struct wire_buf *out)
{
    wire_buf_reset(out);
    const char *head = "WITH v(node, old, seq, n) AS (VALUES ";
    wire_buf_append(out, head, strlen(head));
    for (size_t i = 0; i < n; i++) {
        char row[128], node[NODE_LEN + 1];
        node_format(m[i].node, node);
        int len = snprintf(row, sizeof row,
                           "%s('%s'::text, %llu::bigint, %llu::bigint, "
                           "%llu::bigint)",
                           i ? ", " : "", node, (unsigned long long)m[i].old,
                           (unsigned long long)m[i].seq, (unsigned long long)m[i].rows);
        wire_buf_append(out, row, (size_t)len);
    }
    const char *tail =
        ") INSERT INTO jiancha.position AS p (node, seq, records, copied_at) "
        "SELECT node, seq, n, now() FROM v ON CONFLICT (node) DO UPDATE SET seq = EXCLUDED.seq, "
        "records = p.records + EXCLUDED.records, copied_at = EXCLUDED.copied_at "
        "WHERE p.seq = (SELECT old FROM v WHERE v.node = EXCLUDED.node)";
    wire_buf_append(out, tail, strlen(tail) + 1);
}

/* Makes the partitions the rows need that this session has not made yet, each in its own
 * statement before the copy's transaction (a new partition locks its parent: briefly, not for a
 * whole copy). */
static int
make_partitions(struct sink *s)
{
    for (size_t i = 0; i < s->rows.n_months; i++) {
        int key = s->rows.months[i];
        bool made = false;
        for (size_t j = 0; j < s->n_made && !made; j++)
            made = s->made[j] == key;
        if (made)
            continue;
        char sql[512];
        pgcopy_partition_sql((enum pgcopy_table)(key / 1000000), key % 1000000, sql, sizeof sql);
        int rc = run(s, "partition", sql, PGRES_COMMAND_OK, NULL);
        if (rc != 0)
            return rc;
        if (s->n_made == s->cap_made) {
            s->cap_made = s->cap_made ? 2 * s->cap_made : 64;
            s->made = xrealloc(s->made, s->cap_made * sizeof *s->made);
        }
        s->made[s->n_made++] = key;
    }
    return 0;
}

/* Copies the chunk read, rows and positions in one transaction. */
static int
copy_chunk(struct sink *s)
{
    pgcopy_rows_reset(&s->rows);
    struct moved *m = xcalloc(s->n, sizeof *m);
    size_t n_moved = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct entry *e = &s->v[i];
        if (n_moved == 0 || m[n_moved - 1].node != e->node)
            m[n_moved++] = (struct moved){e->node, position_of(s, e->node), 0, 0};
        m[n_moved - 1].seq = e->seq;
        m[n_moved - 1].rows +=
            (uint64_t)pgcopy_rows_add(&s->rows, e->node, e->seq, s->bytes.data + e->off, e->len);
    }
    struct wire_buf sql;
    wire_buf_init(&sql);
    positions_sql(m, n_moved, &sql);
    PGresult *res = NULL;
    int rc = make_partitions(s);
    if (rc == 0)
        rc = run(s, "begin", "BEGIN", PGRES_COMMAND_OK, NULL);
    for (int t = 0; rc == 0 && t < PGCOPY_TABLES_; t++)
        if (s->rows.lines[t])
            rc = copy_table(s, (enum pgcopy_table)t);
    if (rc == 0)
        rc = run(s, "position", (const char *)sql.data, PGRES_COMMAND_OK, &res);
    if (rc == 0 && strtoull(PQcmdTuples(res), NULL, 10) != n_moved) {
        fail(s, "position",
             "the warehouse's positions are not those this sink read: read "
             "again");
        rc = ERR_CONFLICT;
    }
    PQclear(res);
    if (rc == 0)
        rc = run(s, "commit", "COMMIT", PGRES_COMMAND_OK, NULL);
    if (rc == 0) {
        uint64_t copied = 0;
        for (size_t i = 0; i < n_moved; i++) {
            position_set(s, m[i].node, m[i].seq);
            copied += m[i].rows;
        }
        publish(s, copied, true);
        s->backoff_ms = 0;
    } else if (s->pg) {
        /* the session still stands: end the failed transaction; a conflict reads again */
        PQclear(PQexec(s->pg, "ROLLBACK"));
        if (rc == ERR_CONFLICT)
            disconnect(s);
    }
    wire_buf_fini(&sql);
    free(m);
    return rc;
}

/* Waits ms on the pipe: true when told to stop ($TERM). */
static bool
wait_pipe(struct sink *s, int64_t ms)
{
    if (s->terminated)
        return true;
    void *which = zpoller_wait(s->poller, (int)(ms > INT32_MAX ? INT32_MAX : ms));
    if (which == s->pipe) {
        char *cmd = zstr_recv(s->pipe);
        if (!cmd || strcmp(cmd, "$TERM") == 0)
            s->terminated = true;
        zstr_free(&cmd);
    } else if (zpoller_terminated(s->poller)) {
        s->terminated = true;
    }
    return s->terminated;
}

static void
sink_actor(zsock_t *pipe, void *arg)
{
    struct sink s = {.w = arg, .pipe = pipe};
    s.poller = zpoller_new(pipe, NULL);
    wire_buf_init(&s.bytes);
    pgcopy_rows_init(&s.rows);
    zsock_signal(pipe, 0);
    while (!s.terminated && !stopping(s.w)) {
        if (!s.pg && connect_pg(&s) != 0) {
            /* still measured, for status: how far behind the last known positions (none known
             * before the first connection: the figure stays unknown) */
            if (positions_known(s.w) && read_chunk(&s, 0) == 0)
                note_behind(&s, s.behind);
            wait_pipe(&s, s.backoff_ms);
            continue;
        }
        int rc = read_chunk(&s, s.w->batch_records);
        if (rc != 0) {
            fail(&s, "store", err_str(rc));
            wait_pipe(&s, s.backoff_ms);
            continue;
        }
        if (s.n == 0) {
            note_behind(&s, s.behind);
            wait_pipe(&s, s.w->poll_ms);
            continue;
        }
        if (copy_chunk(&s) != 0) {
            note_behind(&s, s.behind + s.n);
            wait_pipe(&s, s.backoff_ms);
            continue;
        }
        note_behind(&s, s.behind);
        wait_pipe(&s, 0);
    }
    if (s.pg)
        disconnect(&s);
    pgcopy_rows_fini(&s.rows);
    wire_buf_fini(&s.bytes);
    free(s.v);
    free(s.pos);
    free(s.made);
    zpoller_destroy(&s.poller);
}

warehouse_t *
warehouse_new(store_t *store, const struct warehouse_options *opt)
{
    warehouse_t *w = xcalloc(1, sizeof *w);
    w->store = store;
    w->conninfo = xstrdup(opt->conninfo);
    w->schema_path = xstrdup(opt->schema_path);
    w->node = opt->node;
    w->batch_records = opt->batch_records ? opt->batch_records : 5000;
    w->poll_ms = opt->poll_ms > 0 ? opt->poll_ms : 200;
    w->backoff_max_ms = opt->backoff_max_ms > 0 ? opt->backoff_max_ms : 10000;
    w->stats.caught_up_ms = timestamp_now_ms();
    w->stats.behind = WAREHOUSE_BEHIND_UNKNOWN;
    pthread_mutex_init(&w->lock, NULL);
    w->actor = zactor_new(sink_actor, w);
    return w;
}

void
warehouse_destroy(warehouse_t **p)
{
    warehouse_t *w = *p;
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    PGcancel *cancel = w->cancel; /* taken over: the thread no longer frees it */
    w->cancel = NULL;
    pthread_mutex_unlock(&w->lock);
    /* a statement in progress ends at once, its transaction rolled back (PQcancel reaches the
     * server on a connection of its own, outside the lock the thread takes) */
    char why[256];
    if (cancel && !PQcancel(cancel, why, sizeof why))
        log_debug("warehouse: cancel at stop: %s", why);
    PQfreeCancel(cancel);
    zactor_destroy(&w->actor);
    PQfreeCancel(w->cancel); /* one the thread made after the stop began */
    pthread_mutex_destroy(&w->lock);
    free(w->confirmed);
    free(w->examined);
    free(w->conninfo);
    free(w->schema_path);
    free(w);
    *p = NULL;
}

void
warehouse_stats(warehouse_t *w, struct warehouse_stats *out)
{
    pthread_mutex_lock(&w->lock);
    *out = w->stats;
    pthread_mutex_unlock(&w->lock);
}

bool
warehouse_confirmed(warehouse_t *w, uint32_t origin, uint64_t *seq)
{
    pthread_mutex_lock(&w->lock);
    bool known = w->positions_known;
    *seq = 0;
    for (size_t i = 0; known && i < w->n_confirmed; i++)
        if (w->confirmed[i].node == origin)
            *seq = w->confirmed[i].seq;
    pthread_mutex_unlock(&w->lock);
    return known;
}

int
warehouse_save_status(store_txn_t *t, const struct warehouse_stats *st, int64_t now_ms)
{
    int rc = store_meta_put_u64(t, WAREHOUSE_META_SAVED, (uint64_t)now_ms);
    if (rc == 0)
        rc = store_meta_put_u64(t, WAREHOUSE_META_UP, st->connected);
    if (rc == 0)
        rc = store_meta_put_u64(t, WAREHOUSE_META_BEHIND, st->behind);
    if (rc == 0)
        rc = store_meta_put_u64(t, WAREHOUSE_META_CAUGHT_UP, (uint64_t)st->caught_up_ms);
    if (rc == 0)
        rc = store_meta_put_u64(t, WAREHOUSE_META_COPIED, st->copied);
    if (rc == 0)
        rc = store_meta_put_u64(t, WAREHOUSE_META_ERROR_AT, (uint64_t)st->error_ms);
    if (rc == 0)
        rc = store_put(t, STORE_META, WAREHOUSE_META_ERROR, strlen(WAREHOUSE_META_ERROR), st->error,
                       strlen(st->error), 0);
    return rc;
}

int
warehouse_check(const char *conninfo, const char *schema_path, char why[ERR_WHY_MAX])
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
    if (!opts) {
        snprintf(why, ERR_WHY_MAX, "not a libpq connection string: %s",
                 err ? err : "out of memory");
        for (char *p = why; *p; p++)
            if (*p == '\n')
                *p = ' ';
        PQfreemem(err);
        return ERR_CONFIG;
    }
    PQconninfoFree(opts);
    if (access(schema_path, R_OK) != 0) {
        snprintf(why, ERR_WHY_MAX, "%s: cannot read the schema: %s", schema_path, strerror(errno));
        return ERR_CONFIG;
    }
    return 0;
}

/* ---- retention (the loop's) ---- */

int64_t
warehouse_keep_from_ms(int64_t now_ms, int keep_months)
{
    int y;
    unsigned m, d;
    timestamp_civil_from_days(calendar_day_of(now_ms), &y, &m, &d);
    int months = y * 12 + (int)m - 1 - keep_months;
    return calendar_day_start_ms(
        timestamp_days_from_civil(months / 12, (unsigned)(months % 12) + 1, 1));
}

static struct position *
examined_of(warehouse_t *w, uint32_t node)
{
    for (size_t i = 0; i < w->n_examined; i++)
        if (w->examined[i].node == node)
            return &w->examined[i];
    if (w->n_examined == w->cap_examined) {
        w->cap_examined = w->cap_examined ? 2 * w->cap_examined : 64;
        w->examined = xrealloc(w->examined, w->cap_examined * sizeof *w->examined);
    }
    w->examined[w->n_examined] = (struct position){node, 0};
    return &w->examined[w->n_examined++];
}

#define PRUNE_ORIGINS_MAX 256 /* origins examined per transaction */

struct prune {
    warehouse_t *w;
    int64_t before_ms;
    uint32_t budget;
    uint64_t deleted, examined;
    /* how far each origin was examined: kept once the transaction commits (store_write runs
     * prune_fn again after a map growth) */
    struct position done[PRUNE_ORIGINS_MAX];
    size_t n_done;
};

/* Is the record a business event dated before the cutoff? */
static bool
prunable(const struct wire_buf *v, int64_t before_ms)
{
    const char *type;
    size_t tl;
    if (wire_map_str(v->data, v->len, "type", &type, &tl) != 0 || !event_is_business(type, tl))
        return false;
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    int64_t at;
    bool old = wire_decode_one(v->data, v->len, &r, &m) == 0 &&
               wire_obj_get_int(m, "at", &at) == 0 && at < before_ms;
    wire_reader_destroy(&r);
    return old;
}

/* Examines each origin's records from where the last pass stopped through what the warehouse
 * confirmed, deleting the old business events among them, within the budget. */
static int
prune_fn(store_txn_t *t, void *arg)
{
    struct prune *p = arg;
    p->deleted = p->examined = 0;
    p->n_done = 0;
    store_cursor_t *c = NULL;
    int rc = store_cursor_open(t, STORE_EVENTS, &c);
    if (rc != 0)
        return rc == ERR_NOT_FOUND ? 0 : rc;
    struct wire_buf k, v;
    wire_buf_init(&k);
    wire_buf_init(&v);
    uint32_t at = 0;
    while (rc == 0 && p->examined < p->budget && p->n_done < PRUNE_ORIGINS_MAX) {
        int crc = seek(c, at, 0, &k, NULL);
        if (crc != 0) {
            rc = crc == ERR_NOT_FOUND ? 0 : crc;
            break;
        }
        uint32_t origin = store_from_be32(k.data);
        uint64_t confirmed, from = examined_of(p->w, origin)->seq;
        at = origin + 1;
        if (!warehouse_confirmed(p->w, origin, &confirmed) || confirmed <= from)
            continue;
        uint64_t through = from;
        crc = seek(c, origin, from + 1, &k, &v);
        while (crc == 0 && k.len == 12 && store_from_be32(k.data) == origin &&
               store_from_be64(k.data + 4) <= confirmed && p->examined < p->budget) {
            through = store_from_be64(k.data + 4);
            p->examined++;
            if (prunable(&v, p->before_ms)) {
                /* deleting moves the cursor onto the next entry: seek it again */
                uint8_t key[12];
                memcpy(key, k.data, 12);
                if ((rc = store_del(t, STORE_EVENTS, key, 12)) != 0 ||
                    (rc = kept_forget(t, key)) != 0)
                    break;
                p->deleted++;
                crc = seek(c, origin, through + 1, &k, &v);
                continue;
            }
            wire_buf_reset(&k);
            wire_buf_reset(&v);
            crc = store_cursor_next(c, &k, &v);
        }
        if (rc == 0 && crc != 0 && crc != ERR_NOT_FOUND)
            rc = crc;
        if (through > from)
            p->done[p->n_done++] = (struct position){origin, through};
    }
    wire_buf_fini(&k);
    wire_buf_fini(&v);
    store_cursor_close(&c);
    return rc;
}

int
warehouse_prune(warehouse_t *w, store_t *s, int64_t before_ms, uint32_t budget, uint64_t *deleted)
{
    *deleted = 0;
    if (before_ms != w->prune_cutoff_ms) {
        /* a new cutoff: every record is examined again against it */
        w->prune_cutoff_ms = before_ms;
        w->n_examined = 0;
    }
    /* nothing confirmed since the last pass: no write transaction at all */
    bool news = false;
    pthread_mutex_lock(&w->lock);
    for (size_t i = 0; !news && i < w->n_confirmed; i++) {
        size_t j = 0;
        while (j < w->n_examined && w->examined[j].node != w->confirmed[i].node)
            j++;
        news = w->confirmed[i].seq > (j < w->n_examined ? w->examined[j].seq : 0);
    }
    pthread_mutex_unlock(&w->lock);
    if (!news)
        return 0;
    struct prune *p = xcalloc(1, sizeof *p);
    *p = (struct prune){.w = w, .before_ms = before_ms, .budget = budget};
    int rc = store_write(s, prune_fn, p);
    if (rc == 0) {
        *deleted = p->deleted;
        for (size_t i = 0; i < p->n_done; i++)
            examined_of(w, p->done[i].node)->seq = p->done[i].seq;
        rc = p->examined >= budget || p->n_done == PRUNE_ORIGINS_MAX ? 1 : 0;
    }
    free(p);
    return rc;
}
