/* quarantine: see quarantine.h; the table's keys are in store.h. */
#include "quarantine.h"

#include "alertdb.h"
#include "err.h"
#include "log.h"
#include "node.h"
#include "sign.h"
#include "spool.h"
#include "wire.h"

#include <stdio.h>
#include <string.h>

int
quarantine_keep(store_txn_t *t, uint32_t node, uint64_t seq, const void *copy, size_t len)
{
    uint8_t qk[4 + 8 + SIGN_HASH_BYTES];
    store_be32(qk, node);
    store_be64(qk + 4, seq);
    sign_hash(copy, len, qk + 12);
    return store_put(t, STORE_QUARANTINE, qk, sizeof qk, copy, len, 0);
}

int
quarantine_alarm(store_txn_t *t, const struct quarantine_tier *tier, const char *rule,
                 uint32_t child, uint64_t seq, const char *why, int64_t now_ms, uint64_t *sealed)
{
    struct alert al = {0};
    node_format(tier->self, al.node);
    snprintf(al.rule, sizeof al.rule, "%s", rule);
    snprintf(al.article, sizeof al.article, "15");
    snprintf(al.subject_kind, sizeof al.subject_kind, "child");
    char code[7];
    node_format(child, code);
    snprintf(al.subject, sizeof al.subject, "%s/%llu", code, (unsigned long long)seq);
    alert_make_id(&al);
    bool raised;
    int rc = store_has(t, STORE_ALERTS, al.id, strlen(al.id), &raised);
    if (rc != 0 || raised)
        return rc; /* raised already: one alarm per subject */
    al.light = al.finding = ALERT_RED;
    al.state = ALERT_OPEN;
    al.raised_ms = now_ms;
    snprintf(al.detail, sizeof al.detail, "%.190s", why);
    alert_log(&al, now_ms, ALERT_RAISED, ALERT_RED);
    log_error("quarantine: %s node=%s seq=%llu: %s", rule, code, (unsigned long long)seq, why);
    /* the province (nothing to forward to) keeps it; a lower tier also sends it up */
    if (!tier->forward_node)
        return alertdb_put(t, &al);
    uint64_t n = 0;
    rc = alertdb_record(t, tier->forward_node, &al);
    if (rc == 0)
        rc = spool_seal(t, tier->forward_node, tier->forward_seal_at, true, now_ms, &n);
    *sealed += n;
    return rc;
}

int
quarantine_key_batches(store_txn_t *t, uint32_t node, const char *key_id, int64_t since_ms,
                       uint64_t *count)
{
    *count = 0;
    store_cursor_t *c = NULL;
    int rc = store_cursor_open(t, STORE_BATCHES, &c);
    if (rc != 0)
        return rc;
    uint8_t prefix[4];
    store_be32(prefix, node);
    struct wire_buf key, v;
    wire_buf_init(&key);
    wire_buf_init(&v);
    /* copies go to another table: the cursor over batches is undisturbed */
    int crc = store_cursor_seek(c, prefix, 4, &key, &v);
    while (crc == 0 && key.len == 12 && memcmp(key.data, prefix, 4) == 0) {
        wire_reader_t *rd = NULL;
        const wire_obj_t *o;
        /* [header, key id, signature, accepted ms] */
        if (wire_decode_one(v.data, v.len, &rd, &o) == 0 && wire_obj_type(o) == WIRE_ARRAY &&
            wire_obj_size(o) == 4) {
            size_t kl;
            const char *kid = wire_obj_bytes(wire_obj_at(o, 1), &kl);
            const wire_obj_t *acc = wire_obj_at(o, 3);
            int64_t accepted = wire_obj_type(acc) == WIRE_INT ? wire_obj_int(acc)
                                                              : (int64_t)wire_obj_uint(acc);
            if (kid && kl == SIGN_KEY_ID_LEN && memcmp(kid, key_id, kl) == 0 &&
                accepted >= since_ms) {
                rc = quarantine_keep(t, node, store_from_be64(key.data + 4), v.data, v.len);
                (*count)++;
            }
        }
        wire_reader_destroy(&rd);
        if (rc != 0)
            break;
        wire_buf_reset(&key);
        wire_buf_reset(&v);
        crc = store_cursor_next(c, &key, &v);
    }
    store_cursor_close(&c);
    wire_buf_fini(&key);
    wire_buf_fini(&v);
    return rc;
}
