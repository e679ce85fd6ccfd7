/* server: the parent side of the uplink protocol against scripted children (DEALER sockets in
 * this process; the server's loop is run for a moment after each message): nothing but HELLO
 * opens a session; a session's batch is acknowledged after its commit; sessions are bounded per
 * node and in all; WELCOME states the child's mode; a publisher's bundle goes to the owner's hook;
 * idle sessions are pinged with the wall clock and forgotten once silent. */
#include "testutil.h"

#include "batch.h"
#include "err.h"
#include "event.h"
#include "ingest.h"
#include "proto.h"
#include "server.h"
#include "spool.h"
#include "timestamp.h"

#include <czmq.h>

#define CHILD 510104u
#define OTHER 510105u

static char *dir;
static store_t *child, *parent;
static sign_key_t *key, *other_key, *stranger;
static ingest_t *in;
static zloop_t *loop;
static server_t *srv;
static char endpoint[128];

/* What the owner's hooks saw. */
static int stored_calls, stored_rc = 1, published;

static int
on_publish(void *arg, const void *doc, size_t len, const void *sig, size_t sig_len,
           int64_t now, uint64_t *version, char why[ERR_WHY_MAX])
{
    (void)arg;
    (void)sig;
    (void)now;
    published++;
    if (len == 3 && memcmp(doc, "old", 3) == 0) {
        snprintf(why, ERR_WHY_MAX, "version 7 is not newer than 9");
        *version = 7;
        return ERR_EXISTS;
    }
    *version = 42 + sig_len;
    return 0;
}

static void
on_stored(void *arg, int rc)
{
    (void)arg;
    stored_calls++;
    stored_rc = rc;
}

static int
fill_fn(store_txn_t *t, void *arg)
{
    (void)arg;
    const char *line = "{\"type\":\"case.accept\",\"id\":\"e1\",\"at\":1793581200000,"
                       "\"case\":\"C-1\",\"item\":\"LIC\",\"dept\":\"D\",\"handler\":\"H\"}";
    struct event_set set;
    event_set_init(&set);
    int rc = event_parse_message(line, strlen(line), "510104", &set);
    uint64_t seq, sealed;
    if (rc == 0)
        rc = spool_append(t, CHILD, set.records.data + set.entries[0].off, set.entries[0].len,
                          &seq);
    event_set_fini(&set);
    return rc ? rc : spool_seal(t, CHILD, 1, true, 1793581200000LL, &sealed);
}

static sign_key_t *
keypair(const char *sub, const char *node)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    assert_int_equal(sign_keypair_write(node, path), 0);
    snprintf(path, sizeof path, "%s/%s/%s.secret", dir, sub, node);
    sign_key_t *k = NULL;
    assert_int_equal(sign_key_load(path, &k, NULL), 0);
    return k;
}

static void
open_server(const uint32_t *rollup, size_t n_rollup, size_t max_sessions)
{
    struct server_options so = {
        .endpoint = "tcp://127.0.0.1:*",
        .node = 510100,
        .heartbeat_ms = 1000,
        .session_timeout_ms = 15000,
        .max_sessions = max_sessions,
        .max_batch_bytes = 1 << 20,
        .rollup_only = rollup,
        .n_rollup_only = n_rollup,
    };
    struct server_hooks hooks = {on_publish, NULL, on_stored, NULL};
    char why[ERR_WHY_MAX];
    loop = zloop_new();
    assert_int_equal(server_open(&so, &hooks, in, parent, loop, &srv, why), 0);
    snprintf(endpoint, sizeof endpoint, "%s", server_endpoint(srv));
}

static int
setup(void **state)
{
    (void)state;
    dir = testutil_tmpdir();
    assert_int_equal(sign_init(), 0);
    key = keypair("keys", "510104");
    other_key = keypair("keys", "510105");
    stranger = keypair("strangers", "510104");
    struct store_options o = {.map_bytes = 4 << 20};
    char path[512];
    snprintf(path, sizeof path, "%s/child", dir);
    assert_int_equal(store_open(path, &o, &child), 0);
    snprintf(path, sizeof path, "%s/parent", dir);
    assert_int_equal(store_open(path, &o, &parent), 0);
    assert_int_equal(store_write(child, fill_fn, NULL), 0);
    snprintf(path, sizeof path, "%s/keys", dir);
    struct ingest_options io = {.keys_dir = path, .self_node = 510100, .max_batch_bytes = 1 << 20};
    assert_int_equal(ingest_new(&io, parent, &in), 0);
    stored_calls = published = 0;
    stored_rc = 1;
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    server_destroy(&srv);
    zloop_destroy(&loop);
    ingest_destroy(&in);
    store_close(&child);
    store_close(&parent);
    sign_key_destroy(&key);
    sign_key_destroy(&other_key);
    sign_key_destroy(&stranger);
    testutil_rmdir(dir);
    return 0;
}

static int
stop_loop(zloop_t *l, int timer_id, void *arg)
{
    (void)l;
    (void)timer_id;
    (void)arg;
    return -1;
}

/* Runs the server's loop for a moment: what the children sent is handled and answered. */
static void
pump(void)
{
    zloop_timer(loop, 150, 1, stop_loop, NULL);
    zloop_start(loop);
}

static zsock_t *
connect_child(void)
{
    zsock_t *d = zsock_new_dealer(endpoint);
    assert_non_null(d);
    zsock_set_rcvtimeo(d, 2000);
    return d;
}

static void
send_frames(zsock_t *d, enum proto_cmd cmd, const struct wire_buf *f1, const struct wire_buf *f2)
{
    zmsg_t *m = zmsg_new();
    zmsg_addstr(m, proto_cmd_name(cmd));
    if (f1)
        zmsg_addmem(m, f1->data, f1->len);
    if (f2)
        zmsg_addmem(m, f2->data, f2->len);
    assert_int_equal(zmsg_send(&m, d), 0);
    pump();
}

/* The next reply of a command (PINGs of the heartbeat are skipped unless asked for); its
 * first body frame in body. */
static enum proto_cmd
reply(zsock_t *d, struct wire_buf *body)
{
    zmsg_t *m = zmsg_recv(d);
    assert_non_null(m);
    zframe_t *cf = zmsg_first(m), *f1 = zmsg_next(m);
    enum proto_cmd cmd;
    assert_int_equal(proto_cmd_parse(zframe_data(cf), zframe_size(cf), &cmd), 0);
    wire_buf_reset(body);
    if (f1)
        wire_buf_append(body, zframe_data(f1), zframe_size(f1));
    zmsg_destroy(&m);
    return cmd;
}

static void
say_hello(zsock_t *d, const sign_key_t *k, const char *node)
{
    struct proto_hello h = {PROTO_VERSION, "", "", 1793581200000LL};
    memcpy(h.node, node, 7);
    sign_key_id(sign_key_public(k), h.key_id);
    struct wire_buf b, s;
    wire_buf_init(&b);
    wire_buf_init(&s);
    proto_hello_encode(&h, &b);
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    proto_hello_sign(k, &b, sig);
    wire_buf_append(&s, sig, sizeof sig);
    send_frames(d, PROTO_HELLO, &b, &s);
    wire_buf_fini(&b);
    wire_buf_fini(&s);
}

static void
expect_nack(zsock_t *d, const char *code, bool permanent)
{
    struct wire_buf b;
    wire_buf_init(&b);
    assert_int_equal(reply(d, &b), PROTO_NACK);
    struct proto_nack n;
    assert_int_equal(proto_nack_decode(b.data, b.len, &n), 0);
    assert_string_equal(n.code, code);
    assert_int_equal(n.permanent, permanent);
    wire_buf_fini(&b);
}

static void
expect_welcome(zsock_t *d, const char *mode)
{
    struct wire_buf b;
    wire_buf_init(&b);
    assert_int_equal(reply(d, &b), PROTO_WELCOME);
    struct proto_welcome w;
    assert_int_equal(proto_welcome_decode(b.data, b.len, &w), 0);
    assert_string_equal(w.node, "510100");
    assert_string_equal(w.mode, mode);
    assert_int_equal(w.last_seq, 0);
    wire_buf_fini(&b);
}

static void
expect_refuse(zsock_t *d, const char *part)
{
    struct wire_buf b;
    wire_buf_init(&b);
    assert_int_equal(reply(d, &b), PROTO_REFUSE);
    struct proto_refuse r;
    assert_int_equal(proto_refuse_decode(b.data, b.len, &r), 0);
    if (!strstr(r.reason, part))
        fail_msg("refusal \"%s\" does not say \"%s\"", r.reason, part);
    wire_buf_fini(&b);
}

static size_t
sessions(void)
{
    struct server_stats st;
    server_stats(srv, &st);
    return st.sessions;
}

static void
send_batch(zsock_t *d, uint64_t seq)
{
    struct wire_buf h, p;
    wire_buf_init(&h);
    wire_buf_init(&p);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(child, &t), 0);
    assert_int_equal(spool_load(t, CHILD, seq, &h, &p), 0);
    store_abort(&t);
    char key_id[SIGN_KEY_ID_LEN + 1];
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    batch_sign(key, h.data, h.len, key_id, sig);
    zmsg_t *m = zmsg_new();
    zmsg_addstr(m, proto_cmd_name(PROTO_BATCH));
    zmsg_addmem(m, h.data, h.len);
    zmsg_addmem(m, p.data, p.len);
    zmsg_addmem(m, key_id, SIGN_KEY_ID_LEN);
    zmsg_addmem(m, sig, sizeof sig);
    assert_int_equal(zmsg_send(&m, d), 0);
    pump();
    wire_buf_fini(&h);
    wire_buf_fini(&p);
}

static void
nothing_but_hello_opens_a_session(void **state)
{
    (void)state;
    open_server(NULL, 0, 16);
    zsock_t *d = connect_child();
    struct proto_ping ping = {1793581200000LL, 0, {0}, true};
    struct wire_buf b;
    wire_buf_init(&b);
    proto_ping_encode(&ping, &b);
    send_frames(d, PROTO_PING, &b, NULL);
    expect_nack(d, PROTO_NACK_HELLO_FIRST, false);
    send_batch(d, 1);
    expect_nack(d, PROTO_NACK_HELLO_FIRST, false);
    assert_int_equal(stored_calls, 0); /* nothing went to the store */
    say_hello(d, stranger, "510104"); /* a key the parent does not hold for the node */
    expect_refuse(d, "510104");
    assert_int_equal(sessions(), 0);
    wire_buf_fini(&b);
    zsock_destroy(&d);
}

static void
a_sessions_batch_is_acknowledged_after_its_commit(void **state)
{
    (void)state;
    open_server(NULL, 0, 16);
    zsock_t *d = connect_child();
    say_hello(d, key, "510104");
    expect_welcome(d, PROTO_MODE_ALL);
    assert_int_equal(sessions(), 1);
    send_batch(d, 1);
    struct wire_buf b;
    wire_buf_init(&b);
    enum proto_cmd cmd;
    while ((cmd = reply(d, &b)) == PROTO_BUNDLE || cmd == PROTO_PING)
        ;
    assert_int_equal(cmd, PROTO_ACK);
    struct proto_ack ack;
    assert_int_equal(proto_ack_decode(b.data, b.len, &ack), 0);
    assert_int_equal(ack.seq, 1);
    assert_int_equal(stored_calls, 1);
    assert_int_equal(stored_rc, 0);
    struct server_stats st;
    server_stats(srv, &st);
    assert_int_equal(st.batches, 1);
    assert_int_equal(st.acks, 1);
    assert_int_equal(st.nacks, 0);
    assert_false(st.fatal);
    /* a batch of three frames is refused for good, within the session */
    zmsg_t *m = zmsg_new();
    zmsg_addstr(m, proto_cmd_name(PROTO_BATCH));
    zmsg_addstr(m, "h");
    zmsg_addstr(m, "p");
    zmsg_addstr(m, "k");
    assert_int_equal(zmsg_send(&m, d), 0);
    pump();
    expect_nack(d, PROTO_NACK_MALFORMED, true);
    wire_buf_fini(&b);
    zsock_destroy(&d);
}

static void
welcome_states_the_childs_mode(void **state)
{
    (void)state;
    uint32_t rollup[] = {OTHER};
    open_server(rollup, 1, 16);
    zsock_t *a = connect_child(), *b = connect_child();
    say_hello(a, key, "510104");
    expect_welcome(a, PROTO_MODE_ALL);
    say_hello(b, other_key, "510105");
    expect_welcome(b, PROTO_MODE_ROLLUP);
    zsock_destroy(&a);
    zsock_destroy(&b);
}

static void
sessions_are_bounded_per_node_and_in_all(void **state)
{
    (void)state;
    open_server(NULL, 0, 5);
    zsock_t *d[SERVER_SESSIONS_PER_NODE + 1];
    for (size_t i = 0; i <= SERVER_SESSIONS_PER_NODE; i++) {
        d[i] = connect_child();
        say_hello(d[i], key, "510104");
        expect_welcome(d[i], PROTO_MODE_ALL);
        assert_int_equal(sessions(), i < SERVER_SESSIONS_PER_NODE ? i + 1
                                                                  : SERVER_SESSIONS_PER_NODE);
    }
    /* the quietest went: the first connection has to say HELLO again */
    struct proto_ping ping = {1, 0, {0}, true};
    struct wire_buf b;
    wire_buf_init(&b);
    proto_ping_encode(&ping, &b);
    send_frames(d[0], PROTO_PING, &b, NULL);
    expect_nack(d[0], PROTO_NACK_HELLO_FIRST, false);
    send_frames(d[1], PROTO_PING, &b, NULL);
    assert_int_equal(reply(d[1], &b), PROTO_PONG);
    /* the fifth session of the table is another node's; a sixth is refused with the limit */
    zsock_t *o1 = connect_child(), *o2 = connect_child();
    say_hello(o1, other_key, "510105");
    expect_welcome(o1, PROTO_MODE_ALL);
    say_hello(o2, other_key, "510105");
    expect_refuse(o2, "listen/max_sessions");
    assert_int_equal(sessions(), 5);
    for (size_t i = 0; i <= SERVER_SESSIONS_PER_NODE; i++)
        zsock_destroy(&d[i]);
    zsock_destroy(&o1);
    zsock_destroy(&o2);
    wire_buf_fini(&b);
}

static void
a_publishers_bundle_goes_to_the_owner(void **state)
{
    (void)state;
    open_server(NULL, 0, 16);
    zsock_t *d = connect_child();
    struct wire_buf doc, sig, b;
    wire_buf_init(&doc);
    wire_buf_init(&sig);
    wire_buf_init(&b);
    wire_buf_append(&doc, "new", 3);
    wire_buf_append(&sig, "xy", 2);
    send_frames(d, PROTO_BUNDLE, &doc, &sig);
    assert_int_equal(reply(d, &b), PROTO_ACK);
    struct proto_ack ack;
    assert_int_equal(proto_ack_decode(b.data, b.len, &ack), 0);
    assert_int_equal(ack.seq, 44); /* the version the hook said it holds */
    wire_buf_reset(&doc);
    wire_buf_append(&doc, "old", 3);
    send_frames(d, PROTO_BUNDLE, &doc, &sig);
    expect_nack(d, PROTO_NACK_STALE, true);
    send_frames(d, PROTO_BUNDLE, &doc, NULL); /* one frame: never reaches the hook */
    expect_nack(d, PROTO_NACK_MALFORMED, true);
    assert_int_equal(published, 2);
    wire_buf_fini(&doc);
    wire_buf_fini(&sig);
    wire_buf_fini(&b);
    zsock_destroy(&d);
}

static void
idle_sessions_are_pinged_then_forgotten(void **state)
{
    (void)state;
    open_server(NULL, 0, 16);
    zsock_t *d = connect_child();
    say_hello(d, key, "510104");
    expect_welcome(d, PROTO_MODE_ALL);
    int64_t mono = timestamp_mono_ms();
    server_tick(srv, 1793581200000LL, mono + 1000);
    struct wire_buf b;
    wire_buf_init(&b);
    assert_int_equal(reply(d, &b), PROTO_PING);
    struct proto_ping p;
    assert_int_equal(proto_ping_decode(b.data, b.len, &p), 0);
    assert_int_equal(p.sent_ms, 1793581200000LL); /* the wall clock given: children compare */
    server_tick(srv, 1793581200000LL, mono + 1500); /* not yet due again */
    zsock_set_rcvtimeo(d, 100);
    assert_null(zmsg_recv(d));
    assert_int_equal(sessions(), 1);
    server_tick(srv, 1793581200000LL, mono + 15001);
    assert_int_equal(sessions(), 0);
    wire_buf_fini(&b);
    zsock_destroy(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(nothing_but_hello_opens_a_session, setup, teardown),
        cmocka_unit_test_setup_teardown(a_sessions_batch_is_acknowledged_after_its_commit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(welcome_states_the_childs_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(sessions_are_bounded_per_node_and_in_all, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_publishers_bundle_goes_to_the_owner, setup, teardown),
        cmocka_unit_test_setup_teardown(idle_sessions_are_pinged_then_forgotten, setup,
                                        teardown),
    };
    zsys_init();
    zsys_set_logstream(NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
