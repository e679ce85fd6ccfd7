/* store: LMDB environment, tables, growth and error translation.
 *
 * LMDB return codes are translated here once and logged with LMDB's own message; callers see only
 * err.h codes. The map grows by doubling (capped by max_map_bytes) when a write transaction hits
 * MDB_MAP_FULL; readers in other processes pick the new size up through MDB_MAP_RESIZED. The
 * environment never uses LMDB's no-sync, no-meta-sync or write-map flags: each can lose an
 * acknowledged commit or turn a full disk into SIGBUS.
 */
#include "store.h"

#include "err.h"
#include "log.h"
#include "mem.h"
#include "timestamp.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

static const char *const table_names[STORE_TABLES_] = {
    "meta", "events", "ids", "outbox", "batches", "nodes", "parked", "alerts", "subjects",
    "clocks", "days", "counters", "bundles", "quarantine", "desk", "kept",
};

struct store {
    MDB_env *env;
    struct log_limit full_log; /* "storage full" at most every 10 s */
    MDB_dbi dbi[STORE_TABLES_];
    bool have[STORE_TABLES_];
    uint64_t map_bytes;
    uint64_t max_map_bytes;
    bool readonly;
    char *dir;
    struct store_stats stats; /* commits of store_write, for metrics */
    /* Held for reading by every transaction from begin to its end, for writing while the map size
     * changes: LMDB allows a size change only with no transaction active in the process, and a
     * reader with threads (jiancha-web) must adopt a size another process grew. */
    pthread_rwlock_t txns;
};

/* u64 meta values a write transaction read or wrote (store_meta_get_u64) */
#define META_SLOTS 16
#define META_NAME_MAX 32

struct meta_slot {
    char name[META_NAME_MAX];
    uint64_t v;
    bool dirty;
};

struct store_txn {
    store_t *store;
    MDB_txn *txn;
    bool writing;
    struct meta_slot meta[META_SLOTS];
    size_t n_meta;
};

struct store_cursor {
    store_txn_t *txn;
    MDB_cursor *cur;
};

/* LMDB reports a short write as EIO; when the file system has no room left, that short write
 * was a full disk, which the daemon survives, not an I/O fault that needs a restart. */
static bool
disk_is_full(const store_t *s)
{
    struct statvfs v;
    if (!s || statvfs(s->dir, &v) != 0)
        return false;
    return (uint64_t)v.f_bavail * v.f_frsize < (4u << 20);
}

/* Logs a full disk at most every 10 s, with the number of refusals in between. */
static void
log_full(store_t *s, const char *what, int rc)
{
    uint64_t suppressed;
    /* the cause, not LMDB's code for it: a short write on a full disk comes back as EIO */
    const char *cause = rc == EIO ? "no space left on the file system (a short write, reported "
                                    "as an I/O error)"
                                  : mdb_strerror(rc);
    if (log_allow(&s->full_log, 10, &suppressed))
        log_warn("store: %s failed dir=%s suppressed=%llu: %s", what, s->dir,
                 (unsigned long long)suppressed, cause);
}

static int
translate(int rc, const char *what, store_t *s)
{
    if ((rc == ENOSPC || rc == EDQUOT || rc == EIO) && s && (rc != EIO || disk_is_full(s))) {
        log_full(s, what, rc);
        return ERR_STORAGE_FULL;
    }
    switch (rc) {
    case 0:
        return 0;
    case MDB_NOTFOUND:
        return ERR_NOT_FOUND;
    case MDB_KEYEXIST:
        return ERR_EXISTS;
    case MDB_MAP_FULL:
        return ERR_MAP_FULL;
    case ENOSPC:
    case EDQUOT:
        return ERR_STORAGE_FULL;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
        log_error("store: %s failed dir=%s: %s", what, s ? s->dir : "?", mdb_strerror(rc));
        return ERR_CORRUPT;
    case EIO:
        log_error("store: %s failed dir=%s: %s", what, s ? s->dir : "?", mdb_strerror(rc));
        return ERR_IO;
    default:
        log_error("store: %s failed dir=%s: %s", what, s ? s->dir : "?", mdb_strerror(rc));
        return ERR_STORE;
    }
}

void
store_be64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

uint64_t
store_from_be64(const uint8_t in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | in[i];
    return v;
}

void
store_be32(uint8_t out[4], uint32_t v)
{
    for (int i = 3; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

uint32_t
store_from_be32(const uint8_t in[4])
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = v << 8 | in[i];
    return v;
}

/* Transactions this thread holds, of any store: a thread that holds one cannot wait for the
 * others to end before it grows the map (it would wait for itself). */
static _Thread_local unsigned held_here;

/* Begins a transaction holding s->txns for reading; end() lets go of it. */
static int
begin(store_t *s, unsigned flags, MDB_txn **txn)
{
    for (int tries = 0; tries < 3; tries++) {
        pthread_rwlock_rdlock(&s->txns);
        int rc = mdb_txn_begin(s->env, NULL, flags, txn);
        if (rc == 0) {
            held_here++;
            return 0;
        }
        pthread_rwlock_unlock(&s->txns);
        if (rc != MDB_MAP_RESIZED)
            return translate(rc, "begin transaction", s);
        /* Another process grew the map; adopt its size and try again. */
        pthread_rwlock_wrlock(&s->txns);
        rc = mdb_env_set_mapsize(s->env, 0);
        pthread_rwlock_unlock(&s->txns);
        if (rc != 0)
            return translate(rc, "adopt map size", s);
    }
    return ERR_STORE;
}

static void
end(store_t *s)
{
    held_here--;
    pthread_rwlock_unlock(&s->txns);
}

static int
open_tables(store_t *s)
{
    MDB_txn *txn;
    int rc = begin(s, s->readonly ? MDB_RDONLY : 0, &txn);
    if (rc != 0)
        return rc;
    for (int i = 0; i < STORE_TABLES_; i++) {
        int mrc = mdb_dbi_open(txn, table_names[i], s->readonly ? 0 : MDB_CREATE, &s->dbi[i]);
        if (mrc == MDB_NOTFOUND && s->readonly)
            continue;
        if (mrc != 0) {
            mdb_txn_abort(txn);
            end(s);
            return translate(mrc, "open table", s);
        }
        s->have[i] = true;
    }
    /* The schema version is written once, at creation, and checked at every open. */
    MDB_val k = {6, "schema"}, v;
    int grc = s->have[STORE_META] ? mdb_get(txn, s->dbi[STORE_META], &k, &v) : MDB_NOTFOUND;
    if (grc == MDB_NOTFOUND) {
        if (s->readonly) {
            mdb_txn_abort(txn);
            end(s);
            return ERR_NOT_FOUND;
        }
        uint8_t ver[8];
        store_be64(ver, STORE_SCHEMA_VERSION);
        v.mv_size = 8;
        v.mv_data = ver;
        grc = mdb_put(txn, s->dbi[STORE_META], &k, &v, 0);
    } else if (grc == 0) {
        uint64_t found = v.mv_size == 8 ? store_from_be64(v.mv_data) : 0;
        if (found == 2 && !s->readonly) {
            /* Schema 3 only added the desk table, created above: the upgrade is the new number. */
            uint8_t ver[8];
            store_be64(ver, STORE_SCHEMA_VERSION);
            v.mv_size = 8;
            v.mv_data = ver;
            log_info("store: schema 2 upgraded to %d dir=%s", STORE_SCHEMA_VERSION, s->dir);
            grc = mdb_put(txn, s->dbi[STORE_META], &k, &v, 0);
        } else if (found != STORE_SCHEMA_VERSION && !(found == 2 && s->readonly)) {
            log_error("store: schema mismatch dir=%s found=%llu expected=%d", s->dir,
                      v.mv_size == 8 ? (unsigned long long)store_from_be64(v.mv_data) : 0ULL,
                      STORE_SCHEMA_VERSION);
            mdb_txn_abort(txn);
            end(s);
            return ERR_SCHEMA;
        }
    }
    if (grc != 0) {
        mdb_txn_abort(txn);
        end(s);
        return translate(grc, "record schema", s);
    }
    /* Committing (also a read-only transaction) keeps the table handles open; an abort would
     * close them. */
    int crc = mdb_txn_commit(txn);
    end(s);
    return translate(crc, "open tables", s);
}

int
store_open(const char *dir, const struct store_options *opt, store_t **out)
{
    *out = NULL;
    /* The data is confidential: the daemon's user writes, its group (administrators running
     * the CLI) reads, nobody else enters, whatever the umask or the mode an old directory had. */
    if (!opt->readonly && ((mkdir(dir, STORE_DIR_MODE) != 0 && errno != EEXIST) ||
                           chmod(dir, STORE_DIR_MODE) != 0)) {
        log_error("store: cannot create dir=%s mode=%03o: %s", dir, STORE_DIR_MODE,
                  strerror(errno));
        return ERR_IO;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    struct stat st;
    if (opt->readonly && stat(path, &st) != 0)
        return ERR_NOT_FOUND;

    store_t *s = xcalloc(1, sizeof *s);
    pthread_rwlock_init(&s->txns, NULL);
    s->dir = xstrdup(dir);
    s->readonly = opt->readonly;
    s->max_map_bytes = opt->max_map_bytes;
    s->map_bytes = opt->map_bytes ? opt->map_bytes : 64u << 20;
    if (s->max_map_bytes && s->map_bytes > s->max_map_bytes)
        s->map_bytes = s->max_map_bytes;
    /* An existing file larger than the configured start size keeps its size. */
    if (stat(path, &st) == 0 && (uint64_t)st.st_size > s->map_bytes)
        s->map_bytes = (uint64_t)st.st_size;

    int rc = translate(mdb_env_create(&s->env), "create environment", s);
    if (rc == 0)
        rc = translate(mdb_env_set_maxdbs(s->env, STORE_TABLES_), "set tables", s);
    if (rc == 0)
        rc = translate(mdb_env_set_mapsize(s->env, s->map_bytes), "set map size", s);
    if (rc == 0)
        rc = translate(mdb_env_set_maxreaders(s->env, 126), "set readers", s);
    if (rc == 0)
        rc = translate(mdb_env_open(s->env, dir, opt->readonly ? MDB_RDONLY : 0, STORE_FILE_MODE),
                       "open environment", s);
    if (rc == 0) {
        int dead = 0;
        /* Clear reader slots left by processes that were killed (kill -9 leaves them). */
        mdb_reader_check(s->env, &dead);
        if (dead)
            log_info("store: cleared stale readers dir=%s count=%d", dir, dead);
        rc = open_tables(s);
    }
    if (rc != 0) {
        store_close(&s);
        return rc;
    }
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    s->map_bytes = info.me_mapsize;
    *out = s;
    return 0;
}

void
store_close(store_t **p)
{
    store_t *s = *p;
    if (!s)
        return;
    if (s->env)
        mdb_env_close(s->env);
    pthread_rwlock_destroy(&s->txns);
    free(s->dir);
    free(s);
    *p = NULL;
}

int
store_read(store_t *s, store_txn_t **txn)
{
    MDB_txn *t;
    int rc = begin(s, MDB_RDONLY, &t);
    if (rc != 0)
        return rc;
    *txn = xcalloc(1, sizeof **txn);
    (*txn)->store = s;
    (*txn)->txn = t;
    return 0;
}

void
store_abort(store_txn_t **txn)
{
    if (!*txn)
        return;
    mdb_txn_abort((*txn)->txn);
    end((*txn)->store);
    free(*txn);
    *txn = NULL;
}

static int
grow(store_t *s)
{
    uint64_t next = s->map_bytes * 2;
    if (s->max_map_bytes && next > s->max_map_bytes)
        next = s->max_map_bytes;
    if (next <= s->map_bytes) {
        log_warn("store: map at its limit dir=%s bytes=%llu", s->dir,
                 (unsigned long long)s->map_bytes);
        return ERR_STORAGE_FULL;
    }
    /* A reading thread (the warehouse's sink) must be out of the map while it moves: the writer
     * waits for its transaction to end. The writer's own thread may hold a read transaction
     * (LMDB lets it): then it cannot wait for the lock, and grows as it always did. */
    bool locked = held_here ? pthread_rwlock_trywrlock(&s->txns) == 0
                            : pthread_rwlock_wrlock(&s->txns) == 0;
    int rc = translate(mdb_env_set_mapsize(s->env, next), "grow map", s);
    if (locked)
        pthread_rwlock_unlock(&s->txns);
    if (rc != 0)
        return rc;
    log_info("store: map grown dir=%s bytes=%llu", s->dir, (unsigned long long)next);
    s->map_bytes = next;
    return 0;
}

const double store_commit_bounds_s[STORE_COMMIT_BUCKETS] = {0.0005, 0.001, 0.002, 0.005, 0.01,
                                                            0.025,  0.05,  0.1,   0.25,  1.0};

static void
note_commit(struct store_stats *st, int64_t us)
{
    st->commits++;
    st->commit_seconds += (double)us / 1e6;
    for (size_t i = 0; i < STORE_COMMIT_BUCKETS; i++)
        if ((double)us / 1e6 <= store_commit_bounds_s[i])
            st->commit_le[i]++;
}

void
store_stats(const store_t *s, struct store_stats *out)
{
    *out = s->stats;
}

static int
meta_write(store_txn_t *t, const char *name, uint64_t v)
{
    uint8_t b[8];
    store_be64(b, v);
    return store_put(t, STORE_META, name, strlen(name), b, 8, 0);
}

/* Writes the meta values the transaction changed. */
static int
meta_flush(store_txn_t *t)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < t->n_meta; i++)
        if (t->meta[i].dirty)
            rc = meta_write(t, t->meta[i].name, t->meta[i].v);
    return rc;
}

/* The transaction's slot for a meta value, NULL when it keeps none (a read transaction, a long
 * name, or all slots taken: the value is then read and written through). */
static struct meta_slot *
meta_slot(store_txn_t *t, const char *name, bool *fresh)
{
    *fresh = false;
    if (!t->writing || strlen(name) >= META_NAME_MAX)
        return NULL;
    for (size_t i = 0; i < t->n_meta; i++)
        if (strcmp(t->meta[i].name, name) == 0)
            return &t->meta[i];
    if (t->n_meta == META_SLOTS)
        return NULL;
    struct meta_slot *m = &t->meta[t->n_meta++];
    snprintf(m->name, sizeof m->name, "%s", name);
    m->v = 0;
    m->dirty = false;
    *fresh = true;
    return m;
}

int
store_write(store_t *s, store_write_fn fn, void *arg)
{
    if (s->readonly)
        return ERR_STATE;
    for (;;) {
        store_txn_t t = {.store = s, .writing = true};
        int rc = begin(s, 0, &t.txn);
        if (rc != 0)
            return rc;
        rc = fn(&t, arg);
        if (rc == 0)
            rc = meta_flush(&t);
        if (rc == 0) {
            int64_t started = timestamp_mono_us();
            rc = translate(mdb_txn_commit(t.txn), "commit", s);
            end(s);
            if (rc == 0)
                note_commit(&s->stats, timestamp_mono_us() - started);
        } else {
            mdb_txn_abort(t.txn);
            end(s);
        }
        if (rc != ERR_MAP_FULL)
            return rc;
        rc = grow(s);
        if (rc != 0)
            return rc;
    }
}

int
store_put(store_txn_t *t, enum store_table tb, const void *key, size_t klen, const void *val,
          size_t vlen, unsigned flags)
{
    if (!t->store->have[tb])
        return ERR_STATE;
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    unsigned f = 0;
    if (flags & STORE_APPEND)
        f |= MDB_APPEND;
    if (flags & STORE_NOOVERWRITE)
        f |= MDB_NOOVERWRITE;
    int rc = mdb_put(t->txn, t->store->dbi[tb], &k, &v, f);
    if (rc == MDB_KEYEXIST && (flags & STORE_APPEND) && !(flags & STORE_NOOVERWRITE))
        return ERR_STATE; /* the caller's key order is broken: a bug, reported not hidden */
    return translate(rc, "put", t->store);
}

int
store_get(store_txn_t *t, enum store_table tb, const void *key, size_t klen, struct wire_buf *out)
{
    if (!t->store->have[tb])
        return ERR_NOT_FOUND;
    MDB_val k = {klen, (void *)key}, v;
    int rc = mdb_get(t->txn, t->store->dbi[tb], &k, &v);
    if (rc != 0)
        return translate(rc, "get", t->store);
    if (out)
        wire_buf_append(out, v.mv_data, v.mv_size);
    return 0;
}

int
store_has(store_txn_t *t, enum store_table tb, const void *key, size_t klen, bool *present)
{
    int rc = store_get(t, tb, key, klen, NULL);
    *present = rc == 0;
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

int
store_del(store_txn_t *t, enum store_table tb, const void *key, size_t klen)
{
    if (!t->store->have[tb])
        return ERR_NOT_FOUND;
    MDB_val k = {klen, (void *)key};
    return translate(mdb_del(t->txn, t->store->dbi[tb], &k, NULL), "delete", t->store);
}

uint64_t
store_count(store_txn_t *t, enum store_table tb)
{
    MDB_stat st;
    if (!t->store->have[tb] || mdb_stat(t->txn, t->store->dbi[tb], &st) != 0)
        return 0;
    return st.ms_entries;
}

int
store_cursor_open(store_txn_t *t, enum store_table tb, store_cursor_t **c)
{
    if (!t->store->have[tb])
        return ERR_NOT_FOUND;
    MDB_cursor *cur;
    int rc = translate(mdb_cursor_open(t->txn, t->store->dbi[tb], &cur), "open cursor", t->store);
    if (rc != 0)
        return rc;
    *c = xmalloc(sizeof **c);
    (*c)->txn = t;
    (*c)->cur = cur;
    return 0;
}

void
store_cursor_close(store_cursor_t **c)
{
    if (!*c)
        return;
    mdb_cursor_close((*c)->cur);
    free(*c);
    *c = NULL;
}

static int
cursor_op(store_cursor_t *c, MDB_val *k, MDB_cursor_op op, struct wire_buf *kb,
          struct wire_buf *vb)
{
    MDB_val v;
    int rc = mdb_cursor_get(c->cur, k, &v, op);
    if (rc != 0)
        return translate(rc, "cursor", c->txn->store);
    if (kb)
        wire_buf_append(kb, k->mv_data, k->mv_size);
    if (vb)
        wire_buf_append(vb, v.mv_data, v.mv_size);
    return 0;
}

int
store_cursor_seek(store_cursor_t *c, const void *key, size_t klen, struct wire_buf *k,
                  struct wire_buf *v)
{
    MDB_val mk = {klen, (void *)key};
    return cursor_op(c, &mk, key ? MDB_SET_RANGE : MDB_FIRST, k, v);
}

int
store_cursor_last(store_cursor_t *c, struct wire_buf *k, struct wire_buf *v)
{
    MDB_val mk = {0, NULL};
    return cursor_op(c, &mk, MDB_LAST, k, v);
}

int
store_cursor_next(store_cursor_t *c, struct wire_buf *k, struct wire_buf *v)
{
    MDB_val mk = {0, NULL};
    return cursor_op(c, &mk, MDB_NEXT, k, v);
}

int
store_cursor_prev(store_cursor_t *c, struct wire_buf *k, struct wire_buf *v)
{
    MDB_val mk = {0, NULL};
    return cursor_op(c, &mk, MDB_PREV, k, v);
}

int
store_each_prefix(store_txn_t *t, enum store_table tb, const void *prefix, size_t plen,
                  bool want_value, store_each_fn fn, void *arg)
{
    store_cursor_t *c = NULL;
    int rc = store_cursor_open(t, tb, &c);
    if (rc != 0)
        return rc == ERR_NOT_FOUND ? 0 : rc;
    /* Keys and values are copied out: LMDB memory never leaves this module. */
    struct wire_buf k, v;
    wire_buf_init(&k);
    wire_buf_init(&v);
    rc = plen ? store_cursor_seek(c, prefix, plen, &k, want_value ? &v : NULL)
              : store_cursor_seek(c, NULL, 0, &k, want_value ? &v : NULL);
    while (rc == 0 && k.len >= plen && (plen == 0 || memcmp(k.data, prefix, plen) == 0)) {
        rc = fn(arg, k.data, k.len, v.data, v.len);
        if (rc != 0)
            break;
        wire_buf_reset(&k);
        wire_buf_reset(&v);
        rc = store_cursor_next(c, &k, want_value ? &v : NULL);
    }
    wire_buf_fini(&k);
    wire_buf_fini(&v);
    store_cursor_close(&c);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

int
store_copy(store_t *s, int fd)
{
    return translate(mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT), "copy", s);
}

void
store_usage(store_t *s, uint64_t *map_bytes, uint64_t *used_bytes)
{
    MDB_envinfo info;
    MDB_stat st;
    mdb_env_info(s->env, &info);
    mdb_env_stat(s->env, &st);
    *map_bytes = info.me_mapsize;
    *used_bytes = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
}

int
store_meta_get_u64(store_txn_t *t, const char *name, uint64_t *v)
{
    bool fresh;
    struct meta_slot *m = meta_slot(t, name, &fresh);
    if (m && !fresh) {
        *v = m->v;
        return 0;
    }
    MDB_val k = {strlen(name), (void *)name}, val;
    int rc = t->store->have[STORE_META] ? mdb_get(t->txn, t->store->dbi[STORE_META], &k, &val)
                                        : MDB_NOTFOUND;
    if (rc == MDB_NOTFOUND) {
        *v = 0;
        rc = 0;
    } else if (rc != 0) {
        rc = translate(rc, "get", t->store);
    } else if (val.mv_size != 8) {
        rc = ERR_CORRUPT;
    } else {
        *v = store_from_be64(val.mv_data);
    }
    if (m && rc == 0)
        m->v = *v;
    else if (m)
        t->n_meta--; /* not read: the slot is given back */
    return rc;
}

int
store_meta_put_u64(store_txn_t *t, const char *name, uint64_t v)
{
    bool fresh;
    struct meta_slot *m = meta_slot(t, name, &fresh);
    if (!m)
        return meta_write(t, name, v);
    m->v = v;
    m->dirty = true;
    return 0;
}
