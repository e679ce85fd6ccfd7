#define _GNU_SOURCE /* memmem */
#include "testutil.h"

#include "alert.h"
#include "batch.h"
#include "carry.h"
#include "err.h"
#include "event.h"
#include "ingest.h"
#include "spool.h"

#define CHILD 510104u

/* A collector-side store that seals batches, and an aggregator-side ingest that receives them. */
static char *dir;
static store_t *child, *parent;
static sign_key_t *key, *stranger;
static ingest_t *in;

struct built {
    struct wire_buf header, payload;
    char key_id[SIGN_KEY_ID_LEN + 1];
    uint8_t sig[SIGN_SIGNATURE_BYTES];
};

/* A canonical case.accept of CHILD with id `id` (what a collector stores), appended as a record
 * bytes in out. */
static void
event_record(const char *id, struct wire_buf *out)
{
    char line[256];
    snprintf(line, sizeof line,
             "{\"type\":\"case.accept\",\"id\":\"%s\",\"at\":1793581200000,\"case\":\"C-%s\","
             "\"item\":\"LIC\",\"dept\":\"D\",\"handler\":\"H\"}",
             id, id);
    struct event_set set;
    event_set_init(&set);
    assert_int_equal(event_parse_message(line, strlen(line), "510104", &set), 0);
    assert_int_equal(set.n_entries, 1);
    wire_buf_append(out, set.records.data + set.entries[0].off, set.entries[0].len);
    event_set_fini(&set);
}

static int
fill_fn(store_txn_t *t, void *arg)
{
    int n = *(int *)arg;
    for (int i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "e%d", i + 1);
        struct wire_buf rec;
        wire_buf_init(&rec);
        event_record(id, &rec);
        uint64_t seq;
        int rc = spool_append(t, CHILD, rec.data, rec.len, &seq);
        wire_buf_fini(&rec);
        if (rc != 0)
            return rc;
    }
    uint64_t sealed;
    return spool_seal(t, CHILD, 2, true, 1793581200000LL, &sealed);
}

static int
setup(void **state)
{
    (void)state;
    dir = testutil_tmpdir();
    char path[512];
    assert_int_equal(sign_init(), 0);
    snprintf(path, sizeof path, "%s/keys", dir);
    assert_int_equal(sign_keypair_write("510104", path), 0);
    snprintf(path, sizeof path, "%s/other", dir);
    assert_int_equal(sign_keypair_write("510104", path), 0);
    snprintf(path, sizeof path, "%s/keys/510104.secret", dir);
    assert_int_equal(sign_key_load(path, &key, NULL), 0);
    snprintf(path, sizeof path, "%s/other/510104.secret", dir);
    assert_int_equal(sign_key_load(path, &stranger, NULL), 0);
    struct store_options o = {.map_bytes = 4 << 20};
    snprintf(path, sizeof path, "%s/child", dir);
    assert_int_equal(store_open(path, &o, &child), 0);
    snprintf(path, sizeof path, "%s/parent", dir);
    assert_int_equal(store_open(path, &o, &parent), 0);
    int n = 10; /* five batches of two */
    assert_int_equal(store_write(child, fill_fn, &n), 0);
    snprintf(path, sizeof path, "%s/keys", dir);
    struct ingest_options io = {.keys_dir = path, .max_batch_bytes = 1 << 20};
    assert_int_equal(ingest_new(&io, parent, &in), 0);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    ingest_destroy(&in);
    store_close(&child);
    store_close(&parent);
    sign_key_destroy(&key);
    sign_key_destroy(&stranger);
    testutil_rmdir(dir);
    return 0;
}

static void
build(uint64_t seq, const sign_key_t *k, struct built *b)
{
    wire_buf_init(&b->header);
    wire_buf_init(&b->payload);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(child, &t), 0);
    assert_int_equal(spool_load(t, CHILD, seq, &b->header, &b->payload), 0);
    store_abort(&t);
    batch_sign(k, b->header.data, b->header.len, b->key_id, b->sig);
}

static int
hello(const sign_key_t *k, const char *node, struct proto_welcome *w, char reason[160])
{
    struct proto_hello h = {PROTO_VERSION, "", "", 1793581200000LL}, got;
    memcpy(h.node, node, 7);
    sign_key_id(sign_key_public(k), h.key_id);
    struct wire_buf b;
    wire_buf_init(&b);
    proto_hello_encode(&h, &b);
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    proto_hello_sign(k, &b, sig);
    int rc = ingest_hello(in, b.data, b.len, sig, sizeof sig, 2, &got, w, reason);
    wire_buf_fini(&b);
    return rc;
}

static void
release(struct built *b)
{
    wire_buf_fini(&b->header);
    wire_buf_fini(&b->payload);
}

static struct ingest_msg
msg_of(const struct built *b)
{
    struct ingest_msg m = {.node = CHILD,
                           .header = b->header.data,
                           .header_len = b->header.len,
                           .payload = b->payload.data,
                           .payload_len = b->payload.len,
                           .key_id = b->key_id,
                           .key_id_len = SIGN_KEY_ID_LEN,
                           .sig = b->sig,
                           .sig_len = SIGN_SIGNATURE_BYTES};
    return m;
}

/* Entries of a table of the parent's store. */
static uint64_t
parent_count(enum store_table tb)
{
    store_txn_t *t = NULL;
    assert_int_equal(store_read(parent, &t), 0);
    uint64_t n = store_count(t, tb);
    store_abort(&t);
    return n;
}

static uint64_t
stored_records(void)
{
    return parent_count(STORE_EVENTS);
}

static void
batches_in_order_are_stored_and_acknowledged_in_one_group(void **state)
{
    (void)state;
    struct built b[3];
    struct ingest_msg m[3];
    for (int i = 0; i < 3; i++) {
        build((uint64_t)i + 1, key, &b[i]);
        m[i] = msg_of(&b[i]);
    }
    assert_int_equal(ingest_batches(in, m, 3, 1), 0);
    for (int i = 0; i < 3; i++) {
        assert_true(m[i].ack);
        assert_int_equal(m[i].reply_ack.seq, (uint64_t)i + 1);
        release(&b[i]);
    }
    assert_int_equal(stored_records(), 6);
    struct proto_welcome w;
    char reason[160];
    assert_int_equal(hello(key, "510104", &w, reason), 0);
    assert_int_equal(w.last_seq, 3);
}

static void
an_exact_resend_is_acknowledged_without_storing_again(void **state)
{
    (void)state;
    struct built b;
    build(1, key, &b);
    struct ingest_msg m = msg_of(&b);
    assert_int_equal(ingest_batches(in, &m, 1, 1), 0);
    m = msg_of(&b);
    assert_int_equal(ingest_batches(in, &m, 1, 2), 0);
    assert_true(m.ack);
    assert_int_equal(stored_records(), 2);
    size_t n;
    const struct ingest_node *nodes = ingest_nodes(in, &n);
    assert_int_equal(n, 1);
    assert_int_equal(nodes[0].duplicates, 1);
    release(&b);
}

static void
a_gap_is_refused_with_the_expected_sequence(void **state)
{
    (void)state;
    struct built b;
    build(3, key, &b);
    struct ingest_msg m = msg_of(&b);
    assert_int_equal(ingest_batches(in, &m, 1, 1), 0);
    assert_false(m.ack);
    assert_string_equal(m.reply_nack.code, PROTO_NACK_GAP);
    assert_int_equal(m.reply_nack.expected, 1);
    assert_false(m.reply_nack.permanent);
    assert_int_equal(stored_records(), 0);
    release(&b);
}

static void
tampered_or_foreign_batches_are_refused_for_good(void **state)
{
    (void)state;
    struct built b;
    build(1, stranger, &b);
    struct ingest_msg m = msg_of(&b);
    assert_int_equal(ingest_batches(in, &m, 1, 1), 0);
    assert_string_equal(m.reply_nack.code, PROTO_NACK_BAD_SIGNATURE);
    assert_true(m.reply_nack.permanent);
    release(&b);

    build(1, key, &b);
    b.payload.data[b.payload.len - 1] ^= 1;
    m = msg_of(&b);
    assert_int_equal(ingest_batches(in, &m, 1, 1), 0);
    assert_string_equal(m.reply_nack.code, PROTO_NACK_MALFORMED);
    b.payload.data[b.payload.len - 1] ^= 1;
    b.header.data[3] ^= 1;
    m = msg_of(&b);
    assert_int_equal(ingest_batches(in, &m, 1, 1), 0);
    assert_string_equal(m.reply_nack.code, PROTO_NACK_BAD_SIGNATURE);
    release(&b);

    m.node = 510105; /* no session for an unknown node */
    assert_int_equal(ingest_batches(in, &m, 1, 1), 0);
    assert_string_equal(m.reply_nack.code, PROTO_NACK_HELLO_FIRST);
    assert_int_equal(stored_records(), 0);
    struct proto_welcome w;
    char reason[160];
    assert_int_equal(hello(key, "510105", &w, reason), ERR_UNKNOWN_NODE);
    assert_non_null(strstr(reason, "not a known child"));
    assert_int_equal(hello(stranger, "510104", &w, reason), ERR_BAD_SIGNATURE);
    assert_non_null(strstr(reason, "has no key"));
}

static int
rewrite_fn(store_txn_t *t, void *arg)
{
    (void)arg;
    /* Simulate a restored snapshot: batch 2 sealed again over different records. */
    int rc = 0;
    for (uint64_t b = 2; b <= 5 && rc == 0; b++) {
        uint8_t key8[8];
        store_be64(key8, b);
        rc = store_del(t, STORE_OUTBOX, key8, 8);
    }
    if (rc == 0)
        rc = store_meta_put_u64(t, "batch_seq", 1);
    if (rc == 0)
        rc = store_meta_put_u64(t, "sealed_seq", 3);
    uint8_t ek[12];
    store_be32(ek, CHILD);
    store_be64(ek + 4, 4);
    struct wire_buf other;
    wire_buf_init(&other);
    event_record("other", &other);
    if (rc == 0)
        rc = store_put(t, STORE_EVENTS, ek, 12, other.data, other.len, 0);
    wire_buf_fini(&other);
    uint64_t sealed;
    if (rc == 0)
        rc = spool_seal(t, CHILD, 2, false, 1793581200001LL, &sealed);
    return rc;
}

static void
a_reused_sequence_with_other_content_is_a_conflict(void **state)
{
    (void)state;
    struct built b1, b2;
    build(1, key, &b1);
    build(2, key, &b2);
    struct ingest_msg m[2] = {msg_of(&b1), msg_of(&b2)};
    assert_int_equal(ingest_batches(in, m, 2, 1), 0);
    release(&b2);
    assert_int_equal(store_write(child, rewrite_fn, NULL), 0);
    build(2, key, &b2);
    m[0] = msg_of(&b2);
    assert_int_equal(ingest_batches(in, m, 1, 2), 0);
    assert_false(m[0].ack);
    assert_string_equal(m[0].reply_nack.code, PROTO_NACK_CONFLICT);
    assert_true(m[0].reply_nack.permanent);
    assert_int_equal(stored_records(), 4);
    /* quarantined for audit, with one red node.clone alarm however often it comes again */
    assert_int_equal(ingest_batches(in, m, 1, 3), 0);
    assert_string_equal(m[0].reply_nack.code, PROTO_NACK_CONFLICT);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(parent, &t), 0);
    assert_int_equal(store_count(t, STORE_QUARANTINE), 1);
    assert_int_equal(store_count(t, STORE_ALERTS), 1);
    store_cursor_t *c = NULL;
    struct wire_buf v;
    wire_buf_init(&v);
    assert_int_equal(store_cursor_open(t, STORE_ALERTS, &c), 0);
    assert_int_equal(store_cursor_seek(c, NULL, 0, NULL, &v), 0);
    struct alert a;
    assert_int_equal(alert_decode_bytes(v.data, v.len, &a), 0);
    assert_string_equal(a.rule, "node.clone");
    assert_int_equal(a.light, ALERT_RED);
    assert_string_equal(a.subject, "510104/2");
    wire_buf_fini(&v);
    store_cursor_close(&c);
    store_abort(&t);
    release(&b1);
    release(&b2);
}

static void
a_batch_that_does_not_follow_the_chain_is_refused(void **state)
{
    (void)state;
    struct built b1, b2;
    build(1, key, &b1);
    build(2, key, &b2);
    /* Re-sign batch 2 with a broken prev hash: decode, change, encode, sign. */
    struct batch_header h;
    assert_int_equal(batch_header_decode(b2.header.data, b2.header.len, &h), 0);
    h.prev[0] ^= 0xff;
    wire_buf_reset(&b2.header);
    batch_header_encode(&h, &b2.header);
    batch_sign(key, b2.header.data, b2.header.len, b2.key_id, b2.sig);
    struct ingest_msg m[2] = {msg_of(&b1), msg_of(&b2)};
    assert_int_equal(ingest_batches(in, m, 2, 1), 0);
    assert_true(m[0].ack);
    assert_false(m[1].ack);
    assert_string_equal(m[1].reply_nack.code, PROTO_NACK_BROKEN_CHAIN);
    assert_int_equal(stored_records(), 2);
    release(&b1);
    release(&b2);
}

static void
state_survives_a_restart_of_the_aggregator(void **state)
{
    (void)state;
    struct built b;
    build(1, key, &b);
    struct ingest_msg m = msg_of(&b);
    assert_int_equal(ingest_batches(in, &m, 1, 1), 0);
    release(&b);
    ingest_destroy(&in);
    char path[512];
    snprintf(path, sizeof path, "%s/keys", dir);
    struct ingest_options io = {.keys_dir = path, .max_batch_bytes = 1 << 20};
    assert_int_equal(ingest_new(&io, parent, &in), 0);
    build(2, key, &b);
    m = msg_of(&b);
    assert_int_equal(ingest_batches(in, &m, 1, 1), 0);
    assert_true(m.ack);
    assert_int_equal(stored_records(), 4);
    release(&b);
}

/* Appends these records to the child's log and seals them as batch 6 (after the five of setup). */
struct extra {
    const struct wire_buf *recs;
    size_t n;
};

static int
extra_fn(store_txn_t *t, void *arg)
{
    const struct extra *x = arg;
    for (size_t i = 0; i < x->n; i++) {
        uint64_t seq;
        int rc = spool_append(t, CHILD, x->recs[i].data, x->recs[i].len, &seq);
        if (rc != 0)
            return rc;
    }
    uint64_t sealed;
    return spool_seal(t, CHILD, 100, true, 1793581200002LL, &sealed);
}

/* Sends batches 1-5, then batch 6 made of `recs`; returns the reply to batch 6. */
static struct ingest_msg
send_sixth(struct wire_buf *recs, size_t n, struct built *b6)
{
    for (uint64_t i = 1; i <= 5; i++) {
        struct built b;
        build(i, key, &b);
        struct ingest_msg m = msg_of(&b);
        assert_int_equal(ingest_batches(in, &m, 1, 1), 0);
        assert_true(m.ack);
        release(&b);
    }
    struct extra x = {recs, n};
    assert_int_equal(store_write(child, extra_fn, &x), 0);
    build(6, key, b6);
    struct ingest_msg m = msg_of(b6);
    assert_int_equal(ingest_batches(in, &m, 1, 2), 0);
    return m;
}

static void
a_record_no_tier_can_read_refuses_its_batch_naming_it(void **state)
{
    (void)state;
    /* a valid event, then bytes that are not msgpack: the batch is refused, nothing of it kept */
    struct wire_buf recs[2];
    wire_buf_init(&recs[0]);
    wire_buf_init(&recs[1]);
    event_record("e11", &recs[0]);
    wire_buf_append(&recs[1], "\xc1garbage", 8);
    struct built b;
    struct ingest_msg m = send_sixth(recs, 2, &b);
    assert_false(m.ack);
    assert_string_equal(m.reply_nack.code, PROTO_NACK_MALFORMED);
    assert_true(m.reply_nack.permanent);
    assert_non_null(strstr(m.reply_nack.reason, "record 1 (seq 12)"));
    assert_non_null(strstr(m.reply_nack.reason, "not one msgpack value"));
    assert_int_equal(stored_records(), 10);
    assert_int_equal(parent_count(STORE_QUARANTINE), 1);
    release(&b);
    wire_buf_fini(&recs[0]);
    wire_buf_fini(&recs[1]);
}

/* A map as a buggy child might write it, unchecked: type, id, at, node, then text fields. */
static void
raw_record(const char *type, const char *const *texts, size_t n_texts, struct wire_buf *out)
{
    wire_put_map(out, 4 + n_texts / 2);
    wire_put_cstr(out, "type");
    wire_put_cstr(out, type);
    wire_put_cstr(out, "id");
    wire_put_cstr(out, "m1");
    wire_put_cstr(out, "at");
    wire_put_int(out, 1793581200000LL);
    wire_put_cstr(out, "node");
    wire_put_cstr(out, "510104");
    for (size_t i = 0; i + 1 < n_texts; i += 2) {
        wire_put_cstr(out, texts[i]);
        wire_put_cstr(out, texts[i + 1]);
    }
}

static void
a_record_of_an_unknown_kind_or_missing_a_field_is_refused(void **state)
{
    (void)state;
    /* a kind nobody defined, and a case.accept without its case: each names its field */
    static const char *const accept[] = {"item", "LIC", "dept", "D", "handler", "H"};
    static const char *const want[] = {"type: unknown record type", "case: required"};
    for (size_t k = 0; k < 2; k++) {
        teardown(state);
        setup(state);
        struct wire_buf rec;
        wire_buf_init(&rec);
        if (k == 0)
            raw_record("mystery", NULL, 0, &rec);
        else
            raw_record("case.accept", accept, 6, &rec);
        struct built b;
        struct ingest_msg m = send_sixth(&rec, 1, &b);
        assert_false(m.ack);
        assert_true(m.reply_nack.permanent);
        assert_non_null(strstr(m.reply_nack.reason, want[k]));
        assert_int_equal(stored_records(), 10);
        release(&b);
        wire_buf_fini(&rec);
    }
}

static void
an_event_id_sent_again_in_a_new_batch_is_counted_not_stored(void **state)
{
    (void)state;
    /* batch 6 repeats e3 (stored from batch 2) beside a new event: acknowledged, e3 once */
    struct wire_buf recs[2];
    wire_buf_init(&recs[0]);
    wire_buf_init(&recs[1]);
    event_record("e3", &recs[0]);
    event_record("e12", &recs[1]);
    struct built b;
    struct ingest_msg m = send_sixth(recs, 2, &b);
    assert_true(m.ack);
    assert_int_equal(stored_records(), 11);
    size_t n;
    const struct ingest_node *nodes = ingest_nodes(in, &n);
    assert_int_equal(nodes[0].repeated, 1);
    assert_int_equal(nodes[0].last_seq, 6);
    release(&b);
    wire_buf_fini(&recs[0]);
    wire_buf_fini(&recs[1]);
}

/* A county batch of e1, a bundle.applied record and e2 (one batch), signed by `key`; when
 * `changed`, the bundle.applied record says version 2 where the sealed one says 1. */
static int
county_fn(store_txn_t *t, void *arg)
{
    (void)arg;
    struct wire_buf rec;
    wire_buf_init(&rec);
    uint64_t seq;
    event_record("e1", &rec);
    int rc = spool_append(t, CHILD, rec.data, rec.len, &seq);
    wire_buf_reset(&rec);
    wire_put_map(&rec, 6);
    wire_put_cstr(&rec, "type");
    wire_put_cstr(&rec, "bundle.applied");
    wire_put_cstr(&rec, "id");
    wire_put_cstr(&rec, "bundle/510104/catalog/1");
    wire_put_cstr(&rec, "at");
    wire_put_int(&rec, 1793581200000LL);
    wire_put_cstr(&rec, "node");
    wire_put_cstr(&rec, "510104");
    wire_put_cstr(&rec, "kind");
    wire_put_cstr(&rec, "catalog");
    wire_put_cstr(&rec, "version");
    wire_put_uint(&rec, 1);
    if (rc == 0)
        rc = spool_append(t, CHILD, rec.data, rec.len, &seq);
    wire_buf_reset(&rec);
    event_record("e2", &rec);
    if (rc == 0)
        rc = spool_append(t, CHILD, rec.data, rec.len, &seq);
    wire_buf_fini(&rec);
    uint64_t sealed;
    return rc ? rc : spool_seal(t, CHILD, 10, true, 1793581200000LL, &sealed);
}

struct city_args {
    const struct wire_buf *carried;
};

static int
city_fn(store_txn_t *t, void *arg)
{
    struct city_args *c = arg;
    uint64_t seq, sealed;
    int rc = spool_append(t, 510100, c->carried->data, c->carried->len, &seq);
    return rc ? rc : spool_seal(t, 510100, 10, true, 1793581200000LL, &sealed);
}

/* The province takes the county's batch carried by a rollup-only city; `change` alters the
 * bundle.applied record the city keeps. Returns the province's answer to the city's batch. */
static struct ingest_msg
through_rollup_city(bool change, char reason[160])
{
    char path[512];
    snprintf(path, sizeof path, "%s/keys", dir);
    assert_int_equal(sign_keypair_write("510100", path), 0);
    snprintf(path, sizeof path, "%s/keys/510100.secret", dir);
    sign_key_t *city_key = NULL;
    assert_int_equal(sign_key_load(path, &city_key, NULL), 0);
    store_t *county = NULL, *city = NULL, *prov = NULL;
    struct store_options o = {.map_bytes = 4 << 20};
    snprintf(path, sizeof path, "%s/county", dir);
    assert_int_equal(store_open(path, &o, &county), 0);
    assert_int_equal(store_write(county, county_fn, NULL), 0);
    struct wire_buf header, payload, carried;
    wire_buf_init(&header);
    wire_buf_init(&payload);
    wire_buf_init(&carried);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(county, &t), 0);
    assert_int_equal(spool_load(t, CHILD, 1, &header, &payload), 0);
    store_abort(&t);
    char key_id[SIGN_KEY_ID_LEN + 1];
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    batch_sign(key, header.data, header.len, key_id, sig);
    if (change) {
        /* the one "version" 1 in the payload is the bundle.applied record's (msgpack fixint) */
        uint8_t *v = memmem(payload.data, payload.len, "version\x01", 8);
        assert_non_null(v);
        v[7] = 2;
    }
    struct carry c = {CHILD, header.data, key_id, sig, payload.data,
                      header.len, SIGN_KEY_ID_LEN, SIGN_SIGNATURE_BYTES, payload.len,
                      1793581200000LL, false};
    carry_wrap(&c, 510100, 1, true, &carried);
    snprintf(path, sizeof path, "%s/city", dir);
    assert_int_equal(store_open(path, &o, &city), 0);
    struct city_args ca = {&carried};
    assert_int_equal(store_write(city, city_fn, &ca), 0);
    struct built b;
    wire_buf_init(&b.header);
    wire_buf_init(&b.payload);
    assert_int_equal(store_read(city, &t), 0);
    assert_int_equal(spool_load(t, 510100, 1, &b.header, &b.payload), 0);
    store_abort(&t);
    batch_sign(city_key, b.header.data, b.header.len, b.key_id, b.sig);
    snprintf(path, sizeof path, "%s/province", dir);
    assert_int_equal(store_open(path, &o, &prov), 0);
    snprintf(path, sizeof path, "%s/keys", dir);
    ingest_t *pin = NULL;
    struct ingest_options io = {.keys_dir = path, .max_batch_bytes = 1 << 20, .self_node = 510000};
    assert_int_equal(ingest_new(&io, prov, &pin), 0);
    struct ingest_msg m = msg_of(&b);
    m.node = 510100;
    assert_int_equal(ingest_batches(pin, &m, 1, 1), 0);
    snprintf(reason, 160, "%s", m.ack ? "" : m.reply_nack.reason);
    store_txn_t *pt = NULL;
    assert_int_equal(store_read(prov, &pt), 0);
    uint64_t stored = store_count(pt, STORE_EVENTS);
    store_abort(&pt);
    /* a rollup keeps the bundle.applied record only, or nothing when refused */
    assert_int_equal(stored, m.ack ? 1 : 0);
    ingest_destroy(&pin);
    release(&b);
    wire_buf_fini(&header);
    wire_buf_fini(&payload);
    wire_buf_fini(&carried);
    store_close(&county);
    store_close(&city);
    store_close(&prov);
    sign_key_destroy(&city_key);
    return m;
}

static void
a_rollup_carrier_is_held_to_what_the_origin_signed(void **state)
{
    (void)state;
    char reason[160];
    struct ingest_msg m = through_rollup_city(false, reason);
    assert_true(m.ack);
}

static void
a_rollup_carrier_that_changes_a_kept_record_is_refused(void **state)
{
    (void)state;
    char reason[160];
    struct ingest_msg m = through_rollup_city(true, reason);
    assert_false(m.ack);
    assert_true(m.reply_nack.permanent);
    assert_non_null(strstr(reason, "its records are not those its origin signed"));
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(batches_in_order_are_stored_and_acknowledged_in_one_group),
        T(an_exact_resend_is_acknowledged_without_storing_again),
        T(a_gap_is_refused_with_the_expected_sequence),
        T(tampered_or_foreign_batches_are_refused_for_good),
        T(a_reused_sequence_with_other_content_is_a_conflict),
        T(a_batch_that_does_not_follow_the_chain_is_refused),
        T(state_survives_a_restart_of_the_aggregator),
        T(a_record_no_tier_can_read_refuses_its_batch_naming_it),
        T(a_record_of_an_unknown_kind_or_missing_a_field_is_refused),
        T(an_event_id_sent_again_in_a_new_batch_is_counted_not_stored),
        T(a_rollup_carrier_is_held_to_what_the_origin_signed),
        T(a_rollup_carrier_that_changes_a_kept_record_is_refused),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
