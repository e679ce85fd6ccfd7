/* kept: the index of non-business records (kept.h). The predicate is event.h's: a record whose
 * type is a business event's is left out, anything else (including a record whose type cannot be
 * read, which a reader must still see) is noted. The type is read in place: noting costs no
 * decode. The index is complete once meta "kept_index" is 1; kept_build sets it after the walk,
 * in the same transaction, so a crash mid-build leaves a store that builds again.
 */
#include "kept.h"

#include "err.h"
#include "event.h"
#include "log.h"
#include "mem.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
business(const void *record, size_t len)
{
    const char *type;
    size_t tl;
    return wire_map_str(record, len, "type", &type, &tl) == 0 && event_is_business(type, tl);
}

#define TALLY_PREFIX "records/"
#define TALLY_NAME_MAX 24

/* TALLY_PREFIX and the node's six digits, written by hand: a tally is named for every record
 * stored, and snprintf's internals showed in the intake's profile. */
static void
tally_name(uint32_t node, char out[TALLY_NAME_MAX])
{
    if (node > 999999) {
        snprintf(out, TALLY_NAME_MAX, TALLY_PREFIX "%u", (unsigned)node);
        return;
    }
    size_t p = sizeof TALLY_PREFIX - 1;
    memcpy(out, TALLY_PREFIX, p);
    for (int i = 5; i >= 0; i--, node /= 10)
        out[p + (size_t)i] = (char)('0' + node % 10);
    out[p + 6] = '\0';
}

/* Moves a node's tally by +1 or -1 (never below 0). */
static int
tally_move(store_txn_t *t, const uint8_t key[12], int by)
{
    char name[TALLY_NAME_MAX];
    tally_name(store_from_be32(key), name);
    uint64_t n;
    int rc = store_meta_get_u64(t, name, &n);
    if (rc != 0)
        return rc;
    if (by < 0 && n == 0)
        return 0;
    return store_meta_put_u64(t, name, by > 0 ? n + 1 : n - 1);
}

int
kept_note(store_txn_t *t, const uint8_t key[12], const void *record, size_t len)
{
    int rc = tally_move(t, key, +1);
    if (rc != 0 || business(record, len))
        return rc;
    return store_put(t, STORE_KEPT, key, 12, "", 0, 0);
}

int
kept_forget(store_txn_t *t, const uint8_t key[12])
{
    int rc = store_del(t, STORE_KEPT, key, 12);
    if (rc == ERR_NOT_FOUND)
        rc = 0;
    return rc == 0 ? tally_move(t, key, -1) : rc;
}

bool
kept_tallied(store_txn_t *t)
{
    uint64_t built;
    return store_meta_get_u64(t, "tally_index", &built) == 0 && built == 1;
}

struct tally_walk {
    kept_tally_fn fn;
    void *arg;
};

static int
tally_one(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    struct tally_walk *w = arg;
    size_t pl = strlen(TALLY_PREFIX);
    char digits[8];
    if (vlen != 8 || klen - pl != 6)
        return 0;
    memcpy(digits, key + pl, 6);
    digits[6] = '\0';
    uint64_t n = store_from_be64(val);
    if (n)
        w->fn(w->arg, (uint32_t)strtoul(digits, NULL, 10), n);
    return 0;
}

int
kept_each_tally(store_txn_t *t, kept_tally_fn fn, void *arg)
{
    struct tally_walk w = {fn, arg};
    return store_each_prefix(t, STORE_META, TALLY_PREFIX, strlen(TALLY_PREFIX), true, tally_one,
                             &w);
}

bool
kept_ready(store_txn_t *t)
{
    uint64_t built;
    return store_meta_get_u64(t, "kept_index", &built) == 0 && built == 1;
}

struct build {
    uint64_t walked, noted;
    bool tally; /* the tally was built */
    /* records per node, in node order (the walk's) */
    uint32_t *nodes;
    uint64_t *counts;
    size_t n, cap;
};

static void
build_count(struct build *b, uint32_t node)
{
    if (b->n && b->nodes[b->n - 1] == node) {
        b->counts[b->n - 1]++;
        return;
    }
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 64;
        b->nodes = xrealloc(b->nodes, b->cap * sizeof *b->nodes);
        b->counts = xrealloc(b->counts, b->cap * sizeof *b->counts);
    }
    b->nodes[b->n] = node;
    b->counts[b->n++] = 1;
}

/* One walk of `events` builds what is missing: the index (reading each record's type) and the
 * tally (keys only). */
static int
build_fn(store_txn_t *t, void *arg)
{
    struct build *b = arg;
    b->walked = b->noted = b->n = 0;
    bool index = !kept_ready(t);
    b->tally = !kept_tallied(t);
    if (!index && !b->tally)
        return 0;
    store_cursor_t *c = NULL;
    int rc = store_cursor_open(t, STORE_EVENTS, &c);
    struct wire_buf k, v;
    wire_buf_init(&k);
    wire_buf_init(&v);
    struct wire_buf *vp = index ? &v : NULL;
    int crc = rc == 0 ? store_cursor_seek(c, NULL, 0, &k, vp) : ERR_NOT_FOUND;
    while (rc == 0 && crc == 0) {
        b->walked++;
        if (k.len == 12 && b->tally)
            build_count(b, store_from_be32(k.data));
        if (k.len == 12 && index && !business(v.data, v.len)) {
            rc = store_put(t, STORE_KEPT, k.data, 12, "", 0, 0);
            b->noted++;
        }
        wire_buf_reset(&k);
        wire_buf_reset(&v);
        if (rc == 0)
            crc = store_cursor_next(c, &k, vp);
    }
    store_cursor_close(&c);
    wire_buf_fini(&k);
    wire_buf_fini(&v);
    if (rc == ERR_NOT_FOUND)
        rc = 0;
    if (rc == 0 && crc != 0 && crc != ERR_NOT_FOUND)
        rc = crc;
    for (size_t i = 0; rc == 0 && b->tally && i < b->n; i++) {
        char name[TALLY_NAME_MAX];
        tally_name(b->nodes[i], name);
        rc = store_meta_put_u64(t, name, b->counts[i]);
    }
    if (rc == 0 && index)
        rc = store_meta_put_u64(t, "kept_index", 1);
    if (rc == 0 && b->tally)
        rc = store_meta_put_u64(t, "tally_index", 1);
    return rc;
}

int
kept_build(store_t *s)
{
    struct build b = {0};
    int rc = store_write(s, build_fn, &b);
    if (rc == 0 && b.walked)
        log_info("kept: index of non-business records and tally of records built records=%llu "
                 "noted=%llu nodes=%zu",
                 (unsigned long long)b.walked, (unsigned long long)b.noted, b.n);
    free(b.nodes);
    free(b.counts);
    return rc;
}

struct walk {
    store_txn_t *t;
    kept_fn fn;
    void *arg;
    struct wire_buf v;
};

static int
each_one(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    (void)val;
    (void)vlen;
    struct walk *w = arg;
    if (klen != 12)
        return 0;
    wire_buf_reset(&w->v);
    int rc = store_get(w->t, STORE_EVENTS, key, 12, &w->v);
    if (rc == ERR_NOT_FOUND)
        return 0;
    return rc != 0 ? rc : w->fn(w->arg, w->v.data, w->v.len);
}

int
kept_each(store_txn_t *t, kept_fn fn, void *arg)
{
    struct walk w = {t, fn, arg, {0}};
    wire_buf_init(&w.v);
    int rc = store_each_prefix(t, STORE_KEPT, "", 0, false, each_one, &w);
    wire_buf_fini(&w.v);
    return rc;
}
