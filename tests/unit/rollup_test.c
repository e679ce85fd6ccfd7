/* rollup: a batch header's rollup hash commits to exactly the records a rollup-only link carries
 * (every record but the business events, in order). Written from batch.h, carry.h, spool.h,
 * event.h and docs/protocol.md only: the header round-trips the field, an old header decodes
 * without it, the full payload is checked against it, a filtered payload must be exactly the
 * committed one, an old header checks only the order of a subset, a rollup carry holds the rollup
 * payload, and spool_seal commits to it. */
#include "testutil.h"

#include "batch.h"
#include "carry.h"
#include "err.h"
#include "event.h"
#include "sign.h"
#include "spool.h"
#include "store.h"

#define NODE 510104u
#define FIRST 11u

/* ---- records ---------------------------------------------------------------------------- */

/* A record map {type, id, at, node, extra fields}. `variant` changes an alert's bytes. */
static void
make_record(struct wire_buf *r, const char *type, const char *id, int variant)
{
    wire_buf_reset(r);
    bool business = event_is_business(type, strlen(type));
    bool alert = strcmp(type, "alert") == 0;
    bool counters = strcmp(type, "counters") == 0;
    bool applied = strcmp(type, "bundle.applied") == 0;
    uint32_t extra = business ? 4 : alert ? 1 : counters ? 3 : applied ? 2 : 0;
    wire_put_map(r, 4 + extra);
    wire_put_cstr(r, "type");
    wire_put_cstr(r, type);
    wire_put_cstr(r, "id");
    wire_put_cstr(r, id);
    wire_put_cstr(r, "at");
    wire_put_int(r, 1793581200000LL);
    wire_put_cstr(r, "node");
    wire_put_cstr(r, "510104");
    if (business) {
        wire_put_cstr(r, "case");
        wire_put_cstr(r, "C-1");
        wire_put_cstr(r, "item");
        wire_put_cstr(r, "I-1");
        wire_put_cstr(r, "dept");
        wire_put_cstr(r, "D1");
        wire_put_cstr(r, "handler");
        wire_put_cstr(r, "H1");
    } else if (alert) {
        wire_put_cstr(r, "alert");
        wire_put_map(r, 2);
        wire_put_cstr(r, "rule");
        wire_put_cstr(r, "limit.case");
        wire_put_cstr(r, "light");
        wire_put_uint(r, (uint64_t)variant);
    } else if (counters) {
        wire_put_cstr(r, "day");
        wire_put_cstr(r, "2026-11-02");
        wire_put_cstr(r, "version");
        wire_put_uint(r, 1);
        wire_put_cstr(r, "rows");
        wire_put_array(r, 0);
    } else if (applied) {
        wire_put_cstr(r, "kind");
        wire_put_cstr(r, "catalog");
        wire_put_cstr(r, "version");
        wire_put_uint(r, 3);
    }
}

struct rec {
    const char *type, *id;
};

/* seq FIRST.. : a mix of business events and records that are not */
static const struct rec RECS[] = {
    {"case.accept", "E-1"},     /* 11 business */
    {"alert", "A-1/0"},         /* 12 */
    {"case.decision", "E-2"},   /* 13 business */
    {"counters", "counters/510104/2026-11-02/1"}, /* 14 */
    {"complaint.close", "E-3"}, /* 15 business */
    {"bundle.applied", "B-1"},  /* 16 */
    {"alert.respond", "S-1"},   /* 17 supervision action: not business */
    {"case.close", "E-4"},      /* 18 business */
};
#define NRECS (sizeof RECS / sizeof RECS[0])
#define LAST (FIRST + NRECS - 1)

static void
add(struct wire_buf *p, uint64_t seq, const char *type, const char *id, int variant)
{
    struct wire_buf r;
    wire_buf_init(&r);
    make_record(&r, type, id, variant);
    batch_payload_add(p, seq, BATCH_KIND_EVENT, r.data, r.len);
    wire_buf_fini(&r);
}

/* The payload of RECS, with every record whose index is not set in `skip`; business records
 * left out when `nonbusiness_only`. */
static void
build(struct wire_buf *p, bool nonbusiness_only, unsigned skip)
{
    wire_buf_reset(p);
    for (size_t i = 0; i < NRECS; i++) {
        if (skip & (1u << i))
            continue;
        if (nonbusiness_only && event_is_business(RECS[i].type, strlen(RECS[i].type)))
            continue;
        add(p, FIRST + i, RECS[i].type, RECS[i].id, 0);
    }
}

static struct wire_buf full, rollup;
static struct batch_header hdr; /* with rollup hash */

static void
header_for(struct batch_header *h, const struct wire_buf *payload, const struct wire_buf *roll)
{
    *h = (struct batch_header){.version = BATCH_VERSION, .node = "510104", .seq = 2,
                               .first = FIRST, .last = LAST, .count = (uint32_t)NRECS,
                               .created_ms = 1793581200000LL, .payload_bytes = payload->len};
    memset(h->prev, 0x5a, sizeof h->prev);
    sign_hash(payload->data, payload->len, h->payload_hash);
    if (roll) {
        h->has_rollup = true;
        sign_hash(roll->data, roll->len, h->rollup_hash);
    }
}

static int
setup(void **state)
{
    (void)state;
    assert_int_equal(sign_init(), 0);
    wire_buf_init(&full);
    wire_buf_init(&rollup);
    build(&full, false, 0);
    batch_rollup_payload(full.data, full.len, &rollup);
    header_for(&hdr, &full, &rollup);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    wire_buf_fini(&full);
    wire_buf_fini(&rollup);
    return 0;
}

/* ---- 1. header round trip ---------------------------------------------------------------- */

static void
the_test_records_are_of_the_kinds_meant(void **state)
{
    (void)state;
    assert_true(event_is_business("case.accept", 11));
    assert_true(event_is_business("case.decision", 13));
    assert_true(event_is_business("complaint.close", 15));
    assert_true(event_is_business("case.close", 10));
    assert_false(event_is_business("alert", 5));
    assert_false(event_is_business("counters", 8));
    assert_false(event_is_business("bundle.applied", 14));
    assert_false(event_is_business("alert.respond", 13));
}

static void
a_header_with_a_rollup_hash_round_trips(void **state)
{
    (void)state;
    struct wire_buf b, b2;
    wire_buf_init(&b);
    wire_buf_init(&b2);
    batch_header_encode(&hdr, &b);
    assert_true(b.len <= BATCH_HEADER_MAX);
    struct batch_header d;
    memset(&d, 0xee, sizeof d);
    assert_int_equal(batch_header_decode(b.data, b.len, &d), 0);
    assert_true(d.has_rollup);
    assert_memory_equal(d.rollup_hash, hdr.rollup_hash, SIGN_HASH_BYTES);
    assert_memory_equal(d.payload_hash, hdr.payload_hash, SIGN_HASH_BYTES);
    assert_memory_equal(d.prev, hdr.prev, SIGN_HASH_BYTES);
    assert_string_equal(d.node, "510104");
    assert_int_equal(d.seq, 2);
    assert_int_equal(d.first, FIRST);
    assert_int_equal(d.last, LAST);
    assert_int_equal(d.count, NRECS);
    assert_int_equal(d.created_ms, 1793581200000LL);
    assert_int_equal(d.payload_bytes, full.len);
    batch_header_encode(&d, &b2);
    assert_int_equal(b2.len, b.len);
    assert_memory_equal(b2.data, b.data, b.len);

    /* every byte of the rollup hash counts */
    struct batch_header g = hdr;
    g.rollup_hash[31] ^= 1;
    wire_buf_reset(&b2);
    batch_header_encode(&g, &b2);
    assert_int_equal(batch_header_decode(b2.data, b2.len, &d), 0);
    assert_true(d.has_rollup);
    assert_memory_equal(d.rollup_hash, g.rollup_hash, SIGN_HASH_BYTES);
    uint8_t h1[SIGN_HASH_BYTES], h2[SIGN_HASH_BYTES];
    batch_hash(b.data, b.len, h1);
    batch_hash(b2.data, b2.len, h2);
    assert_memory_not_equal(h1, h2, SIGN_HASH_BYTES);
    wire_buf_fini(&b);
    wire_buf_fini(&b2);
}

static void
a_header_without_a_rollup_hash_round_trips(void **state)
{
    (void)state;
    struct batch_header h;
    header_for(&h, &full, NULL);
    struct wire_buf b, b2;
    wire_buf_init(&b);
    wire_buf_init(&b2);
    batch_header_encode(&h, &b);
    struct batch_header d;
    memset(&d, 0xee, sizeof d);
    assert_int_equal(batch_header_decode(b.data, b.len, &d), 0);
    assert_false(d.has_rollup);
    assert_int_equal(d.seq, 2);
    assert_int_equal(d.first, FIRST);
    assert_int_equal(d.last, LAST);
    assert_memory_equal(d.payload_hash, h.payload_hash, SIGN_HASH_BYTES);
    batch_header_encode(&d, &b2);
    assert_int_equal(b2.len, b.len);
    assert_memory_equal(b2.data, b.data, b.len);
    /* the one with a rollup hash is another header */
    struct wire_buf r;
    wire_buf_init(&r);
    batch_header_encode(&hdr, &r);
    assert_true(r.len > b.len);
    wire_buf_fini(&r);
    wire_buf_fini(&b);
    wire_buf_fini(&b2);
}

/* An old header built by hand from docs/protocol.md's table (no rollup key at all). */
static void
old_header_bytes(const struct batch_header *h, struct wire_buf *b)
{
    wire_put_map(b, 10);
    wire_put_cstr(b, "v");
    wire_put_uint(b, h->version);
    wire_put_cstr(b, "node");
    wire_put_cstr(b, h->node);
    wire_put_cstr(b, "seq");
    wire_put_uint(b, h->seq);
    wire_put_cstr(b, "prev");
    wire_put_bin(b, h->prev, SIGN_HASH_BYTES);
    wire_put_cstr(b, "first");
    wire_put_uint(b, h->first);
    wire_put_cstr(b, "last");
    wire_put_uint(b, h->last);
    wire_put_cstr(b, "count");
    wire_put_uint(b, h->count);
    wire_put_cstr(b, "created");
    wire_put_uint(b, (uint64_t)h->created_ms);
    wire_put_cstr(b, "payload");
    wire_put_bin(b, h->payload_hash, SIGN_HASH_BYTES);
    wire_put_cstr(b, "bytes");
    wire_put_uint(b, h->payload_bytes);
}

static void
an_old_header_decodes_without_a_rollup_hash(void **state)
{
    (void)state;
    struct batch_header h;
    header_for(&h, &full, NULL);
    struct wire_buf b;
    wire_buf_init(&b);
    old_header_bytes(&h, &b);
    struct batch_header d;
    memset(&d, 0xee, sizeof d);
    assert_int_equal(batch_header_decode(b.data, b.len, &d), 0);
    assert_false(d.has_rollup);
    assert_int_equal(d.seq, 2);
    assert_int_equal(d.first, FIRST);
    assert_int_equal(d.last, LAST);
    assert_int_equal(d.count, NRECS);
    assert_int_equal(d.payload_bytes, full.len);
    assert_memory_equal(d.payload_hash, h.payload_hash, SIGN_HASH_BYTES);
    assert_int_equal(batch_payload_check(&d, full.data, full.len), 0);
    wire_buf_fini(&b);
}

static void
a_header_without_rollup_encodes_as_an_old_one(void **state)
{
    (void)state;
    /* headers sealed before the field existed keep their bytes (and so their batch hash) */
    struct batch_header h;
    header_for(&h, &full, NULL);
    struct wire_buf a, b;
    wire_buf_init(&a);
    wire_buf_init(&b);
    batch_header_encode(&h, &a);
    old_header_bytes(&h, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    wire_buf_fini(&a);
    wire_buf_fini(&b);
}

/* ---- 2. the rollup payload ---------------------------------------------------------------- */

static void
the_rollup_payload_keeps_every_record_but_the_business_events_in_order(void **state)
{
    (void)state;
    /* exactly the non-business records, seqs, kinds and bytes as in the full payload */
    struct wire_buf want;
    wire_buf_init(&want);
    build(&want, true, 0);
    assert_int_equal(rollup.len, want.len);
    assert_memory_equal(rollup.data, want.data, want.len);

    wire_reader_t *r = wire_reader_new(rollup.data, rollup.len);
    uint64_t seq;
    unsigned kind;
    const void *rec;
    size_t len;
    const uint64_t seqs[] = {12, 14, 16, 17};
    size_t n = 0;
    int rc;
    while ((rc = batch_payload_next(r, &seq, &kind, &rec, &len)) == 0) {
        assert_true(n < 4);
        assert_int_equal(seq, seqs[n]);
        assert_int_equal(kind, BATCH_KIND_EVENT);
        struct wire_buf one;
        wire_buf_init(&one);
        make_record(&one, RECS[seq - FIRST].type, RECS[seq - FIRST].id, 0);
        assert_int_equal(len, one.len);
        assert_memory_equal(rec, one.data, len);
        wire_buf_fini(&one);
        n++;
    }
    assert_int_equal(rc, ERR_NOT_FOUND);
    assert_int_equal(n, 4);
    wire_reader_destroy(&r);

    /* the rollup of a rollup is itself; of only business events, nothing */
    struct wire_buf again;
    wire_buf_init(&again);
    batch_rollup_payload(rollup.data, rollup.len, &again);
    assert_int_equal(again.len, rollup.len);
    assert_memory_equal(again.data, rollup.data, rollup.len);
    wire_buf_reset(&want);
    add(&want, 1, "case.accept", "E-9", 0);
    add(&want, 2, "case.step", "E-10", 0);
    wire_buf_reset(&again);
    batch_rollup_payload(want.data, want.len, &again);
    assert_int_equal(again.len, 0);
    wire_buf_fini(&again);
    wire_buf_fini(&want);
}

/* ---- 3. checks against the rollup hash ----------------------------------------------------- */

static void
the_full_payload_is_checked_against_the_rollup_hash(void **state)
{
    (void)state;
    assert_int_equal(batch_payload_check(&hdr, full.data, full.len), 0);
    struct batch_header g = hdr;
    g.rollup_hash[0] ^= 0x01;
    assert_int_equal(batch_payload_check(&g, full.data, full.len), ERR_BAD_HASH);
    g = hdr;
    g.rollup_hash[17] ^= 0x80;
    assert_int_equal(batch_payload_check(&g, full.data, full.len), ERR_BAD_HASH);
    /* a rollup hash of the full payload instead of the rollup one */
    g = hdr;
    sign_hash(full.data, full.len, g.rollup_hash);
    assert_int_equal(batch_payload_check(&g, full.data, full.len), ERR_BAD_HASH);
}

static void
the_committed_rollup_payload_is_accepted_as_a_subset(void **state)
{
    (void)state;
    assert_int_equal(batch_payload_check_subset(&hdr, rollup.data, rollup.len), 0);
    /* through an encoded and decoded header too */
    struct wire_buf b;
    wire_buf_init(&b);
    batch_header_encode(&hdr, &b);
    struct batch_header d;
    assert_int_equal(batch_header_decode(b.data, b.len, &d), 0);
    assert_int_equal(batch_payload_check_subset(&d, rollup.data, rollup.len), 0);
    wire_buf_fini(&b);
    /* the same records with a wrong rollup hash in the header */
    struct batch_header g = hdr;
    g.rollup_hash[5] ^= 0x10;
    assert_int_equal(batch_payload_check_subset(&g, rollup.data, rollup.len), ERR_BAD_HASH);
}

static void
a_subset_with_a_changed_alert_is_refused(void **state)
{
    (void)state;
    struct wire_buf p;
    wire_buf_init(&p);
    for (size_t i = 0; i < NRECS; i++) {
        if (event_is_business(RECS[i].type, strlen(RECS[i].type)))
            continue;
        /* the alert at seq 12 with another light: same seq, other bytes */
        add(&p, FIRST + i, RECS[i].type, RECS[i].id, i == 1 ? 1 : 0);
    }
    assert_int_equal(p.len, rollup.len);
    assert_memory_not_equal(p.data, rollup.data, p.len);
    assert_int_equal(batch_payload_check_subset(&hdr, p.data, p.len), ERR_BAD_HASH);
    wire_buf_fini(&p);
}

static void
a_subset_missing_a_non_business_record_is_refused(void **state)
{
    (void)state;
    struct wire_buf p;
    wire_buf_init(&p);
    /* each of the four non-business records left out in turn */
    const unsigned idx[] = {1, 3, 5, 6};
    for (size_t k = 0; k < 4; k++) {
        build(&p, true, 1u << idx[k]);
        assert_true(p.len < rollup.len);
        assert_int_equal(batch_payload_check_subset(&hdr, p.data, p.len), ERR_BAD_HASH);
    }
    /* and all of them: an empty subset */
    assert_int_equal(batch_payload_check_subset(&hdr, "", 0), ERR_BAD_HASH);
    wire_buf_fini(&p);
}

static void
a_subset_with_an_extra_record_is_refused(void **state)
{
    (void)state;
    struct wire_buf p;
    wire_buf_init(&p);
    /* a made-up alert at seq 13 (a business event's seq), in order */
    for (size_t i = 0; i < NRECS; i++) {
        if (i == 2)
            add(&p, FIRST + i, "alert", "A-9/0", 0);
        else if (!event_is_business(RECS[i].type, strlen(RECS[i].type)))
            add(&p, FIRST + i, RECS[i].type, RECS[i].id, 0);
    }
    assert_int_equal(batch_payload_check_subset(&hdr, p.data, p.len), ERR_BAD_HASH);

    /* the origin's own business event at seq 13 let through, in order */
    wire_buf_reset(&p);
    for (size_t i = 0; i < NRECS; i++)
        if (i == 2 || !event_is_business(RECS[i].type, strlen(RECS[i].type)))
            add(&p, FIRST + i, RECS[i].type, RECS[i].id, 0);
    assert_int_equal(batch_payload_check_subset(&hdr, p.data, p.len), ERR_BAD_HASH);
    wire_buf_fini(&p);
}

static void
the_full_payload_is_not_the_committed_subset(void **state)
{
    (void)state;
    /* every business event added to the rollup: not the records the rollup hash commits to */
    assert_int_equal(batch_payload_check_subset(&hdr, full.data, full.len), ERR_BAD_HASH);
}

static void
a_subset_out_of_order_or_bounds_is_refused_under_a_rollup_hash_too(void **state)
{
    (void)state;
    struct wire_buf p;
    wire_buf_init(&p);
    add(&p, 14, "counters", RECS[3].id, 0);
    add(&p, 12, "alert", RECS[1].id, 0);
    assert_int_not_equal(batch_payload_check_subset(&hdr, p.data, p.len), 0);
    wire_buf_reset(&p);
    add(&p, LAST + 1, "alert", "A-1/0", 0);
    assert_int_not_equal(batch_payload_check_subset(&hdr, p.data, p.len), 0);
    wire_buf_fini(&p);
}

static void
a_batch_of_business_events_only_commits_to_an_empty_rollup(void **state)
{
    (void)state;
    struct wire_buf p, r;
    wire_buf_init(&p);
    wire_buf_init(&r);
    add(&p, FIRST, "case.accept", "E-1", 0);
    add(&p, FIRST + 1, "case.decision", "E-2", 0);
    batch_rollup_payload(p.data, p.len, &r);
    assert_int_equal(r.len, 0);
    struct batch_header h = {.version = BATCH_VERSION, .node = "510104", .seq = 1,
                             .first = FIRST, .last = FIRST + 1, .count = 2,
                             .created_ms = 1793581200000LL, .payload_bytes = p.len,
                             .has_rollup = true};
    sign_hash(p.data, p.len, h.payload_hash);
    sign_hash("", 0, h.rollup_hash);
    assert_int_equal(batch_payload_check(&h, p.data, p.len), 0);
    assert_int_equal(batch_payload_check_subset(&h, "", 0), 0);
    assert_int_equal(batch_payload_check_subset(&h, p.data, p.len), ERR_BAD_HASH);
    wire_buf_fini(&p);
    wire_buf_fini(&r);
}

/* ---- 4. old headers: order only ------------------------------------------------------------ */

static void
an_old_header_accepts_any_ascending_subset(void **state)
{
    (void)state;
    struct batch_header old;
    header_for(&old, &full, NULL);
    struct wire_buf p;
    wire_buf_init(&p);
    assert_int_equal(batch_payload_check_subset(&old, rollup.data, rollup.len), 0);
    assert_int_equal(batch_payload_check_subset(&old, full.data, full.len), 0);
    /* every subset of the eight records, business or not, dropped or not */
    for (unsigned skip = 0; skip < (1u << NRECS); skip++) {
        build(&p, false, skip);
        assert_int_equal(batch_payload_check_subset(&old, p.data, p.len), 0);
    }
    /* records the origin never wrote: not vouched for here, only their order is */
    wire_buf_reset(&p);
    add(&p, FIRST, "alert", "A-7/0", 3);
    add(&p, LAST, "counters", "counters/x", 0);
    assert_int_equal(batch_payload_check_subset(&old, p.data, p.len), 0);
    wire_buf_fini(&p);
}

static void
an_old_header_refuses_a_subset_out_of_order_or_bounds(void **state)
{
    (void)state;
    struct batch_header old;
    header_for(&old, &full, NULL);
    struct wire_buf p;
    wire_buf_init(&p);
    /* descending */
    add(&p, 14, "counters", RECS[3].id, 0);
    add(&p, 12, "alert", RECS[1].id, 0);
    assert_int_equal(batch_payload_check_subset(&old, p.data, p.len), ERR_DECODE);
    /* a repeated seq */
    wire_buf_reset(&p);
    add(&p, 12, "alert", RECS[1].id, 0);
    add(&p, 12, "alert", RECS[1].id, 0);
    assert_int_equal(batch_payload_check_subset(&old, p.data, p.len), ERR_DECODE);
    /* below first */
    wire_buf_reset(&p);
    add(&p, FIRST - 1, "alert", "A-1/0", 0);
    add(&p, 12, "alert", RECS[1].id, 0);
    assert_int_equal(batch_payload_check_subset(&old, p.data, p.len), ERR_DECODE);
    /* past last */
    wire_buf_reset(&p);
    add(&p, 12, "alert", RECS[1].id, 0);
    add(&p, LAST + 1, "alert", "A-1/0", 0);
    assert_int_equal(batch_payload_check_subset(&old, p.data, p.len), ERR_DECODE);
    /* not a payload at all */
    assert_int_equal(batch_payload_check_subset(&old, "\xc1", 1), ERR_DECODE);
    wire_buf_fini(&p);
}

static void
an_old_header_accepts_an_empty_subset(void **state)
{
    (void)state;
    /* a batch of business events only filters to nothing */
    struct batch_header old;
    header_for(&old, &full, NULL);
    assert_int_equal(batch_payload_check_subset(&old, "", 0), 0);
}

/* ---- 5. carry ------------------------------------------------------------------------------ */

static void
wrap_and_open(bool roll, struct carry *out, struct wire_buf *w, wire_reader_t **rr,
              const struct wire_buf *hb)
{
    static const uint8_t sig[SIGN_SIGNATURE_BYTES] = {1, 2, 3};
    struct carry in = {NODE, hb->data, "0123456789abcdef", sig, full.data, hb->len, 16,
                       sizeof sig, full.len, 1793581300000LL, !roll /* ignored */};
    wire_buf_reset(w);
    carry_wrap(&in, 510100, 2, roll, w);
    const wire_obj_t *m;
    assert_int_equal(wire_decode_one(w->data, w->len, rr, &m), 0);
    assert_int_equal(carry_open(m, 1, out), 0);
    assert_int_equal(out->origin, NODE);
    assert_int_equal(out->accepted_ms, 1793581300000LL);
    assert_int_equal(out->header_len, hb->len);
    assert_memory_equal(out->header, hb->data, hb->len);
    assert_int_equal(out->key_id_len, 16);
    assert_memory_equal(out->key_id, "0123456789abcdef", 16);
    assert_int_equal(out->sig_len, sizeof sig);
    assert_memory_equal(out->sig, sig, sizeof sig);
}

static void
a_rollup_carry_holds_the_rollup_payload(void **state)
{
    (void)state;
    struct wire_buf hb, w;
    wire_buf_init(&hb);
    wire_buf_init(&w);
    batch_header_encode(&hdr, &hb);
    struct carry out;
    wire_reader_t *rr = NULL;

    wrap_and_open(true, &out, &w, &rr, &hb);
    assert_true(out.filtered);
    assert_int_equal(out.payload_len, rollup.len);
    assert_memory_equal(out.payload, rollup.data, rollup.len);
    struct batch_header d;
    assert_int_equal(batch_header_decode(out.header, out.header_len, &d), 0);
    assert_int_equal(batch_payload_check_subset(&d, out.payload, out.payload_len), 0);
    wire_reader_destroy(&rr);

    wrap_and_open(false, &out, &w, &rr, &hb);
    assert_false(out.filtered);
    assert_int_equal(out.payload_len, full.len);
    assert_memory_equal(out.payload, full.data, full.len);
    assert_int_equal(batch_payload_check(&d, out.payload, out.payload_len), 0);
    wire_reader_destroy(&rr);

    wire_buf_fini(&hb);
    wire_buf_fini(&w);
}

/* ---- 6. the spool seals with a rollup hash --------------------------------------------------- */

static const struct rec SPOOLED[] = {
    {"case.accept", "E-1"}, {"alert", "A-1/0"}, {"case.step", "E-2"},
    {"counters", "counters/510104/2026-11-02/1"}, {"bundle.applied", "B-1"},
    {"case.decision", "E-3"},
    /* the second batch: business events only */
    {"case.close", "E-4"}, {"rating", "E-5"},
};

static int
fill_fn(store_txn_t *t, void *arg)
{
    uint64_t *sealed = arg;
    struct wire_buf r;
    wire_buf_init(&r);
    for (size_t i = 0; i < sizeof SPOOLED / sizeof SPOOLED[0]; i++) {
        make_record(&r, SPOOLED[i].type, SPOOLED[i].id, 0);
        uint64_t seq;
        int rc = spool_append(t, NODE, r.data, r.len, &seq);
        if (rc != 0) {
            wire_buf_fini(&r);
            return rc;
        }
        assert_int_equal(seq, i + 1);
    }
    wire_buf_fini(&r);
    return spool_seal(t, NODE, 6, true, 1793581200000LL, sealed);
}

static void
the_spool_seals_batches_with_a_rollup_hash(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    store_t *st = NULL;
    struct store_options o = {.map_bytes = 4 << 20};
    assert_int_equal(store_open(dir, &o, &st), 0);
    uint64_t sealed = 0;
    assert_int_equal(store_write(st, fill_fn, &sealed), 0);
    assert_int_equal(sealed, 2);

    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    struct wire_buf h, p, r;
    wire_buf_init(&h);
    wire_buf_init(&p);
    wire_buf_init(&r);
    const size_t kept[] = {3, 0}; /* non-business records per batch */
    for (uint64_t b = 1; b <= 2; b++) {
        wire_buf_reset(&h);
        wire_buf_reset(&p);
        wire_buf_reset(&r);
        assert_int_equal(spool_load(t, NODE, b, &h, &p), 0);
        struct batch_header d;
        assert_int_equal(batch_header_decode(h.data, h.len, &d), 0);
        assert_int_equal(d.seq, b);
        assert_true(d.has_rollup);
        batch_rollup_payload(p.data, p.len, &r);
        uint8_t want[SIGN_HASH_BYTES];
        sign_hash(r.data, r.len, want);
        assert_memory_equal(d.rollup_hash, want, SIGN_HASH_BYTES);
        assert_int_equal(batch_payload_check(&d, p.data, p.len), 0);
        assert_int_equal(batch_payload_check_subset(&d, r.data, r.len), 0);
        /* the kept records are the spooled non-business ones */
        wire_reader_t *rd = wire_reader_new(r.data, r.len);
        uint64_t seq;
        unsigned kind;
        const void *rec;
        size_t len, n = 0;
        while (batch_payload_next(rd, &seq, &kind, &rec, &len) == 0) {
            const struct rec *s = &SPOOLED[seq - 1];
            assert_false(event_is_business(s->type, strlen(s->type)));
            struct wire_buf one;
            wire_buf_init(&one);
            make_record(&one, s->type, s->id, 0);
            assert_int_equal(len, one.len);
            assert_memory_equal(rec, one.data, len);
            wire_buf_fini(&one);
            n++;
        }
        wire_reader_destroy(&rd);
        assert_int_equal(n, kept[b - 1]);
    }
    wire_buf_fini(&h);
    wire_buf_fini(&p);
    wire_buf_fini(&r);
    store_abort(&t);
    store_close(&st);
    testutil_rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_test_records_are_of_the_kinds_meant),
        cmocka_unit_test(a_header_with_a_rollup_hash_round_trips),
        cmocka_unit_test(a_header_without_a_rollup_hash_round_trips),
        cmocka_unit_test(an_old_header_decodes_without_a_rollup_hash),
        cmocka_unit_test(a_header_without_rollup_encodes_as_an_old_one),
        cmocka_unit_test(the_rollup_payload_keeps_every_record_but_the_business_events_in_order),
        cmocka_unit_test(the_full_payload_is_checked_against_the_rollup_hash),
        cmocka_unit_test(the_committed_rollup_payload_is_accepted_as_a_subset),
        cmocka_unit_test(a_subset_with_a_changed_alert_is_refused),
        cmocka_unit_test(a_subset_missing_a_non_business_record_is_refused),
        cmocka_unit_test(a_subset_with_an_extra_record_is_refused),
        cmocka_unit_test(the_full_payload_is_not_the_committed_subset),
        cmocka_unit_test(a_subset_out_of_order_or_bounds_is_refused_under_a_rollup_hash_too),
        cmocka_unit_test(a_batch_of_business_events_only_commits_to_an_empty_rollup),
        cmocka_unit_test(an_old_header_accepts_any_ascending_subset),
        cmocka_unit_test(an_old_header_refuses_a_subset_out_of_order_or_bounds),
        cmocka_unit_test(an_old_header_accepts_an_empty_subset),
        cmocka_unit_test(a_rollup_carry_holds_the_rollup_payload),
        cmocka_unit_test(the_spool_seals_batches_with_a_rollup_hash),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
