/* link: the child side of the uplink protocol against a scripted parent (a ROUTER socket in this
 * process, driven by the same zloop): HELLO first, batches in order from the parent's position,
 * signed, pruned once acknowledged; a permanent NACK parks; a WELCOME naming more than the node
 * ever sealed parks it as a restored or cloned store; hello-first makes it say HELLO again. */
#include "batch.h"
#include "err.h"
#include "link.h"
#include "proto.h"
#include "sign.h"
#include "spool.h"
#include "store.h"
#include "timestamp.h"

#include "testutil.h"

#include <czmq.h>

#define CHILD 510104u

static char *dir;
static store_t *st;
static sign_key_t *key;

/* What the scripted parent does, and what it saw. */
struct parent {
    zsock_t *router;
    link_t *link;
    uint64_t welcome_last;      /* the position its WELCOME states */
    const char *nack_code;      /* answer every BATCH with this NACK (permanent unless gap) */
    bool hello_first_once;      /* answer the first BATCH with hello-first */
    int hellos;
    uint64_t seen[32];          /* batch sequences received, in order */
    size_t n_seen;
    bool signed_ok;             /* every batch verified with the child's key */
    uint64_t stop_after;        /* end the loop once this batch is acknowledged */
};

/* The hash of the child's sealed batch seq (zeros when it has none): what a parent that holds it
 * states in its WELCOME. */
static void
held_hash(uint64_t seq, uint8_t out[SIGN_HASH_BYTES])
{
    memset(out, 0, SIGN_HASH_BYTES);
    store_txn_t *t = NULL;
    struct wire_buf h;
    wire_buf_init(&h);
    uint8_t k[8];
    store_be64(k, seq);
    assert_int_equal(store_read(st, &t), 0);
    if (seq && store_get(t, STORE_OUTBOX, k, 8, &h) == 0)
        batch_hash(h.data, h.len, out);
    store_abort(&t);
    wire_buf_fini(&h);
}

static void
send_cmd(struct parent *p, zframe_t *id, enum proto_cmd cmd, const struct wire_buf *body)
{
    zmsg_t *m = zmsg_new();
    zmsg_append(m, &(zframe_t *){zframe_dup(id)});
    zmsg_addstr(m, proto_cmd_name(cmd));
    zmsg_addmem(m, body->data, body->len);
    zmsg_send(&m, p->router);
}

static int
on_parent(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    struct parent *p = arg;
    zmsg_t *m = zmsg_recv(sock);
    zframe_t *id = zmsg_first(m), *cf = zmsg_next(m), *f1 = zmsg_next(m);
    enum proto_cmd cmd;
    struct wire_buf out;
    wire_buf_init(&out);
    if (cf && proto_cmd_parse(zframe_data(cf), zframe_size(cf), &cmd) == 0) {
        if (cmd == PROTO_HELLO) {
            struct proto_hello h;
            assert_int_equal(proto_hello_decode(zframe_data(f1), zframe_size(f1), &h), 0);
            assert_string_equal(h.node, "510104");
            p->hellos++;
            struct proto_welcome w = {PROTO_VERSION, "510100", PROTO_MODE_ALL, p->welcome_last,
                                      {0}};
            held_hash(p->welcome_last, w.last_hash); /* the hash of the batch it says it holds */
            proto_welcome_encode(&w, &out);
            send_cmd(p, id, PROTO_WELCOME, &out);
        } else if (cmd == PROTO_BATCH) {
            zframe_t *payload = zmsg_next(m), *kid = zmsg_next(m), *sig = zmsg_next(m);
            struct batch_header h;
            assert_int_equal(batch_header_decode(zframe_data(f1), zframe_size(f1), &h), 0);
            assert_int_equal(batch_payload_check(&h, zframe_data(payload), zframe_size(payload)), 0);
            p->signed_ok = p->signed_ok &&
                           batch_verify(sign_key_public(key), zframe_data(f1), zframe_size(f1),
                                        (const char *)zframe_data(kid), zframe_size(kid),
                                        zframe_data(sig)) == 0;
            p->seen[p->n_seen++ % 32] = h.seq;
            if (p->hello_first_once || p->nack_code) {
                struct proto_nack n = {h.seq, "", "scripted", true, 0};
                snprintf(n.code, sizeof n.code, "%s",
                         p->hello_first_once ? PROTO_NACK_HELLO_FIRST : p->nack_code);
                n.permanent = !p->hello_first_once;
                p->hello_first_once = false;
                proto_nack_encode(&n, &out);
                send_cmd(p, id, PROTO_NACK, &out);
            } else {
                struct proto_ack a = {h.seq};
                proto_ack_encode(&a, &out);
                send_cmd(p, id, PROTO_ACK, &out);
            }
        }
    }
    wire_buf_fini(&out);
    zmsg_destroy(&m);
    return 0;
}

static uint64_t meta(const char *name);

static int
on_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    struct parent *p = arg;
    link_tick(p->link, timestamp_mono_ms());
    struct link_status ls;
    link_status(p->link, &ls);
    /* the scene is over once parked, or once the last batch is acknowledged and pruned */
    if (ls.state == LINK_PARKED ||
        (p->stop_after && ls.acked >= p->stop_after && meta("acked_batch") >= p->stop_after))
        return -1;
    return 0;
}

static int
on_deadline(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    (void)arg;
    return -1;
}

/* Runs the link against the parent until it parks, reaches stop_after, or 5 s pass. */
static void
play(struct parent *p, struct link_status *out)
{
    static int n;
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://link-test-%d", n++);
    p->router = zsock_new_router(ep);
    assert_non_null(p->router);
    p->signed_ok = true;
    struct link_options o = {ep, 100, 2000, 1000, 200, 4, false};
    p->link = link_new(&o, st, CHILD, key);
    zloop_t *loop = zloop_new();
    assert_int_equal(zloop_reader(loop, p->router, on_parent, p), 0);
    assert_int_equal(link_attach(p->link, loop), 0);
    zloop_timer(loop, 10, 0, on_tick, p);
    zloop_timer(loop, 5000, 1, on_deadline, p);
    link_kick(p->link);
    zloop_start(loop);
    link_status(p->link, out);
    link_destroy(&p->link);
    zloop_destroy(&loop);
    zsock_destroy(&p->router);
}

static int
fill_fn(store_txn_t *t, void *arg)
{
    int n = *(int *)arg;
    for (int i = 0; i < n; i++) {
        uint64_t seq;
        int rc = spool_append(t, CHILD, "\x81\xa1x\x01", 4, &seq);
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
    snprintf(path, sizeof path, "%s/keys/510104.secret", dir);
    assert_int_equal(sign_key_load(path, &key, NULL), 0);
    struct store_options o = {.map_bytes = 4 << 20};
    snprintf(path, sizeof path, "%s/child", dir);
    assert_int_equal(store_open(path, &o, &st), 0);
    int n = 6; /* three batches of two */
    assert_int_equal(store_write(st, fill_fn, &n), 0);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    store_close(&st);
    sign_key_destroy(&key);
    testutil_rmdir(dir);
    return 0;
}

static uint64_t
meta(const char *name)
{
    store_txn_t *t = NULL;
    uint64_t v = 0;
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(store_meta_get_u64(t, name, &v), 0);
    store_abort(&t);
    return v;
}

static void
batches_go_in_order_signed_and_are_pruned_once_acknowledged(void **state)
{
    (void)state;
    struct parent p = {.stop_after = 3};
    struct link_status ls;
    play(&p, &ls);
    assert_int_equal(p.hellos, 1);
    assert_int_equal(p.n_seen, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(p.seen[i], i + 1);
    assert_true(p.signed_ok);
    assert_int_equal(ls.acked, 3);
    assert_int_equal(ls.state, LINK_ACTIVE);
    /* pruned: the outbox no longer holds what the parent has */
    assert_int_equal(meta("acked_batch"), 3);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(store_count(t, STORE_OUTBOX), 0);
    store_abort(&t);
}

static void
the_parents_position_is_where_sending_resumes(void **state)
{
    (void)state;
    /* the parent already holds batch 2 (its WELCOME says so): only batch 3 is sent */
    struct parent p = {.welcome_last = 2, .stop_after = 3};
    struct link_status ls;
    play(&p, &ls);
    assert_int_equal(p.n_seen, 1);
    assert_int_equal(p.seen[0], 3);
    assert_int_equal(ls.acked, 3);
}

static void
a_permanent_nack_parks_the_batch_for_an_operator(void **state)
{
    (void)state;
    struct parent p = {.nack_code = PROTO_NACK_BROKEN_CHAIN};
    struct link_status ls;
    play(&p, &ls);
    assert_int_equal(ls.state, LINK_PARKED);
    assert_int_equal(ls.acked, 0);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(store_count(t, STORE_PARKED), 1);
    store_abort(&t);
}

static void
a_welcome_beyond_what_the_node_sealed_parks_it(void **state)
{
    (void)state;
    /* the parent holds batch 9 of a node that sealed 3: a restored or cloned store. The node
     * shows its last batch for the record, the parent answers conflict, the node parks. */
    struct parent p = {.welcome_last = 9, .nack_code = PROTO_NACK_CONFLICT};
    struct link_status ls;
    play(&p, &ls);
    assert_int_equal(ls.state, LINK_PARKED);
    assert_true(p.n_seen >= 1);
    assert_int_equal(p.seen[0], 3);
}

static void
hello_first_makes_it_say_hello_again_and_go_on(void **state)
{
    (void)state;
    /* a parent that restarted under the connection: the first batch meets no session */
    struct parent p = {.hello_first_once = true, .stop_after = 3};
    struct link_status ls;
    play(&p, &ls);
    assert_int_equal(p.hellos, 2);
    assert_int_equal(ls.acked, 3);
    assert_int_equal(meta("acked_batch"), 3);
}

int
main(void)
{
    zsys_init();
    zsys_set_logstream(NULL);
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(batches_go_in_order_signed_and_are_pruned_once_acknowledged),
        T(the_parents_position_is_where_sending_resumes),
        T(a_permanent_nack_parks_the_batch_for_an_operator),
        T(a_welcome_beyond_what_the_node_sealed_parks_it),
        T(hello_first_makes_it_say_hello_again_and_go_on),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
