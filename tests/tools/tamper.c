/* jiancha-tamper: changes a stored record the way an intruder with write access to a node's LMDB
 * files would, for the tests that show the audit log catches it:
 *   jiancha-tamper DIR NODE SEQ delete           remove the record
 *   jiancha-tamper DIR NODE SEQ replace OLD NEW  change bytes OLD to NEW (same length) in it
 * Exit 0 when the record was changed.
 */
#include "err.h"
#include "event.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct change {
    uint8_t key[12];
    const char *old, *new_;
    bool delete_;
};

static int
change_fn(store_txn_t *t, void *arg)
{
    struct change *c = arg;
    if (c->delete_)
        return store_del(t, STORE_EVENTS, c->key, sizeof c->key);
    struct wire_buf v;
    wire_buf_init(&v);
    int rc = store_get(t, STORE_EVENTS, c->key, sizeof c->key, &v);
    size_t n = strlen(c->old);
    uint8_t *at = NULL;
    for (size_t i = 0; rc == 0 && !at && i + n <= v.len; i++)
        if (memcmp(v.data + i, c->old, n) == 0)
            at = v.data + i;
    if (rc == 0 && !at)
        rc = ERR_NOT_FOUND;
    if (rc == 0) {
        memcpy(at, c->new_, n);
        rc = store_put(t, STORE_EVENTS, c->key, sizeof c->key, v.data, v.len, 0);
    }
    wire_buf_fini(&v);
    return rc;
}

int
main(int argc, char **argv)
{
    if (argc < 5 ||
        (strcmp(argv[4], "delete") != 0 &&
         (strcmp(argv[4], "replace") != 0 || argc != 7 || strlen(argv[5]) != strlen(argv[6])))) {
        fprintf(stderr, "usage: jiancha-tamper DIR NODE SEQ delete | replace OLD NEW\n");
        return 2;
    }
    struct change c = {.delete_ = strcmp(argv[4], "delete") == 0};
    store_be32(c.key, node_number(argv[2]));
    store_be64(c.key + 4, strtoull(argv[3], NULL, 10));
    if (!c.delete_) {
        c.old = argv[5];
        c.new_ = argv[6];
    }
    store_t *s = NULL;
    struct store_options o = {.map_bytes = 64 << 20};
    int rc = store_open(argv[1], &o, &s);
    if (rc == 0)
        rc = store_write(s, change_fn, &c);
    store_close(&s);
    if (rc != 0)
        fprintf(stderr, "jiancha-tamper: %s\n", err_str(rc));
    return rc == 0 ? 0 : 1;
}
