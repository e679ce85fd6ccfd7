/* alertdb: alerts as msgpack maps (alert_encode) under their ids; records as alert_record_encode. */
#include "alertdb.h"

#include "err.h"
#include "spool.h"

#include <string.h>

int
alertdb_get(store_txn_t *t, const char *id, struct alert *a)
{
    struct wire_buf v;
    wire_buf_init(&v);
    int rc = store_get(t, STORE_ALERTS, id, strlen(id), &v);
    if (rc == 0 && alert_decode_bytes(v.data, v.len, a) != 0)
        rc = ERR_CORRUPT;
    wire_buf_fini(&v);
    return rc;
}

int
alertdb_put(store_txn_t *t, const struct alert *a)
{
    struct wire_buf v;
    wire_buf_init(&v);
    alert_encode(a, &v);
    int rc = store_put(t, STORE_ALERTS, a->id, strlen(a->id), v.data, v.len, 0);
    wire_buf_fini(&v);
    return rc;
}

int
alertdb_record(store_txn_t *t, uint32_t node, const struct alert *a)
{
    int rc = alertdb_put(t, a);
    if (rc != 0)
        return rc;
    struct wire_buf rec;
    wire_buf_init(&rec);
    alert_record_encode(a, &rec);
    uint64_t seq;
    rc = spool_append(t, node, rec.data, rec.len, &seq);
    wire_buf_fini(&rec);
    return rc;
}
