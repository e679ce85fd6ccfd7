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
#include "wire.h"

#include <string.h>

static bool
business(const void *record, size_t len)
{
    const char *type;
    size_t tl;
    return wire_map_str(record, len, "type", &type, &tl) == 0 && event_is_business(type, tl);
}

int
kept_note(store_txn_t *t, const uint8_t key[12], const void *record, size_t len)
{
    if (business(record, len))
        return 0;
    return store_put(t, STORE_KEPT, key, 12, "", 0, 0);
}

int
kept_forget(store_txn_t *t, const uint8_t key[12])
{
    int rc = store_del(t, STORE_KEPT, key, 12);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

bool
kept_ready(store_txn_t *t)
{
    uint64_t built;
    return store_meta_get_u64(t, "kept_index", &built) == 0 && built == 1;
}

struct build {
    uint64_t walked, noted;
};

static int
build_fn(store_txn_t *t, void *arg)
{
    struct build *b = arg;
    if (kept_ready(t))
        return 0;
    store_cursor_t *c = NULL;
    int rc = store_cursor_open(t, STORE_EVENTS, &c);
    struct wire_buf k, v;
    wire_buf_init(&k);
    wire_buf_init(&v);
    int crc = rc == 0 ? store_cursor_seek(c, NULL, 0, &k, &v) : ERR_NOT_FOUND;
    while (rc == 0 && crc == 0) {
        b->walked++;
        if (k.len == 12 && !business(v.data, v.len)) {
            rc = store_put(t, STORE_KEPT, k.data, 12, "", 0, 0);
            b->noted++;
        }
        wire_buf_reset(&k);
        wire_buf_reset(&v);
        if (rc == 0)
            crc = store_cursor_next(c, &k, &v);
    }
    store_cursor_close(&c);
    wire_buf_fini(&k);
    wire_buf_fini(&v);
    if (rc == ERR_NOT_FOUND)
        rc = 0;
    if (rc == 0 && crc != 0 && crc != ERR_NOT_FOUND)
        rc = crc;
    if (rc == 0)
        rc = store_meta_put_u64(t, "kept_index", 1);
    return rc;
}

int
kept_build(store_t *s)
{
    struct build b = {0, 0};
    int rc = store_write(s, build_fn, &b);
    if (rc == 0 && b.walked)
        log_info("kept: index of non-business records built records=%llu noted=%llu",
                 (unsigned long long)b.walked, (unsigned long long)b.noted);
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
