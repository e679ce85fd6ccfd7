/* clocks: the two-key due index described in clocks.h. */
#include "clocks.h"

#include "err.h"

#include <string.h>

int
clocks_set(store_txn_t *t, enum store_table tb, const void *subject, size_t len, int64_t due)
{
    if (len > CLOCKS_SUBJECT_MAX)
        return ERR_INVALID;
    uint8_t sk[1 + CLOCKS_SUBJECT_MAX], tk[9 + CLOCKS_SUBJECT_MAX];
    sk[0] = 's';
    memcpy(sk + 1, subject, len);
    tk[0] = 't';
    memcpy(tk + 9, subject, len);
    struct wire_buf v;
    wire_buf_init(&v);
    int rc = store_get(t, tb, sk, 1 + len, &v);
    if (rc == 0 && v.len == 8) {
        memcpy(tk + 1, v.data, 8);
        rc = store_del(t, tb, tk, 9 + len);
        if (rc == ERR_NOT_FOUND)
            rc = 0;
        if (rc == 0)
            rc = store_del(t, tb, sk, 1 + len);
    } else if (rc == ERR_NOT_FOUND) {
        rc = 0;
    }
    wire_buf_fini(&v);
    if (rc != 0 || due == INT64_MAX)
        return rc;
    store_be64(tk + 1, (uint64_t)due);
    rc = store_put(t, tb, tk, 9 + len, "", 0, 0);
    if (rc == 0)
        rc = store_put(t, tb, sk, 1 + len, tk + 1, 8, 0);
    return rc;
}

struct due_walk {
    int64_t now;
    clocks_fn fn;
    void *arg;
};

static int
due_one(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    (void)val;
    (void)vlen;
    struct due_walk *w = arg;
    if (klen < 9 || (int64_t)store_from_be64(key + 1) > w->now)
        return 1; /* past now: the walk is over */
    return w->fn(w->arg, key + 9, klen - 9);
}

int
clocks_each_due(store_txn_t *t, enum store_table tb, int64_t now, clocks_fn fn, void *arg)
{
    struct due_walk w = {now, fn, arg};
    int rc = store_each_prefix(t, tb, "t", 1, false, due_one, &w);
    return rc == 1 ? 0 : rc;
}

static int
first_one(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    (void)val;
    (void)vlen;
    if (klen >= 9)
        *(int64_t *)arg = (int64_t)store_from_be64(key + 1);
    return 1;
}

int
clocks_first(store_txn_t *t, enum store_table tb, int64_t *due)
{
    *due = INT64_MAX;
    int rc = store_each_prefix(t, tb, "t", 1, false, first_one, due);
    return rc == 1 ? 0 : rc;
}
