/* server: the parent side of the uplink protocol. The checks and the storage of batches are
 * ingest's; this file is the socket, the sessions and the replies. */
#include "server.h"

#include "bundle.h"
#include "err.h"
#include "log.h"
#include "mem.h"
#include "node.h"
#include "proto.h"
#include "timestamp.h"
#include "zap.h"

#include <stdio.h>
#include <string.h>

struct session {
    uint8_t id[256];
    size_t id_len;
    uint32_t node;
    char key_id[SIGN_KEY_ID_LEN + 1]; /* the key its HELLO was signed with */
    int64_t last_rx_ms; /* monotonic: a session lives by messages, not by the wall clock */
    int64_t last_tx_ms;
};

struct server {
    struct server_options opt;
    struct server_hooks hooks;
    char node_text[7];
    ingest_t *ingest;
    store_t *store;
    zloop_t *loop;
    zsock_t *router;
    zap_t *zap;
    struct session *sessions;
    size_t n_sessions, cap_sessions;
    uint32_t rollup_only[SERVER_ROLLUP_MAX];
    bool have_publisher_curve;
    uint8_t publisher_curve[SIGN_CURVE_BYTES];
    uint64_t batches, acks, nacks;
    bool fatal;
    struct log_limits hello_refusals; /* per node: a refused child retries at every backoff */
};

static struct session *
find_session(server_t *s, zframe_t *id)
{
    for (size_t i = 0; i < s->n_sessions; i++)
        if (s->sessions[i].id_len == zframe_size(id) &&
            memcmp(s->sessions[i].id, zframe_data(id), zframe_size(id)) == 0)
            return &s->sessions[i];
    return NULL;
}

static void
send_to(server_t *s, const void *id, size_t id_len, enum proto_cmd cmd,
        const struct wire_buf *body)
{
    zmsg_t *m = zmsg_new();
    zmsg_addmem(m, id, id_len);
    zmsg_addstr(m, proto_cmd_name(cmd));
    zmsg_addmem(m, body->data, body->len);
    if (zmsg_send(&m, s->router) != 0)
        zmsg_destroy(&m); /* the child is gone; it will resend after reconnecting */
}

static void
send_refuse(server_t *s, const void *id, size_t id_len, const char *reason)
{
    struct proto_refuse r;
    snprintf(r.reason, sizeof r.reason, "%s", reason);
    struct wire_buf b;
    wire_buf_init(&b);
    proto_refuse_encode(&r, &b);
    send_to(s, id, id_len, PROTO_REFUSE, &b);
    wire_buf_fini(&b);
}

static void
send_nack(server_t *s, const void *id, size_t id_len, const char *code, const char *reason,
          bool permanent, uint64_t seq)
{
    struct proto_nack n = {0};
    n.seq = seq;
    n.permanent = permanent;
    snprintf(n.code, sizeof n.code, "%s", code);
    snprintf(n.reason, sizeof n.reason, "%s", reason);
    struct wire_buf b;
    wire_buf_init(&b);
    proto_nack_encode(&n, &b);
    send_to(s, id, id_len, PROTO_NACK, &b);
    wire_buf_fini(&b);
}

static void
send_bundle_to(server_t *s, const void *id, size_t id_len, const void *doc, size_t len,
               const void *sig, size_t sig_len)
{
    zmsg_t *m = zmsg_new();
    zmsg_addmem(m, id, id_len);
    zmsg_addstr(m, proto_cmd_name(PROTO_BUNDLE));
    zmsg_addmem(m, doc, len);
    zmsg_addmem(m, sig, sig_len);
    if (zmsg_send(&m, s->router) != 0)
        zmsg_destroy(&m); /* the child gets it again at its next session */
}

/* Every bundle held here, to one child (at each session: it keeps only what is newer). */
static void
send_bundles(server_t *s, const struct session *to)
{
    /* certificates before the list that may retire the keys they replace; every kind a bundle
     * can be (bundle_kind_known), or a child that was away never gets it */
    static const char *const kinds[] = {"catalog", "calendar", "certs", "crl", "operators"};
    store_txn_t *t = NULL;
    if (store_read(s->store, &t) != 0)
        return;
    struct wire_buf doc, sig;
    wire_buf_init(&doc);
    wire_buf_init(&sig);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        uint64_t version;
        wire_buf_reset(&doc);
        wire_buf_reset(&sig);
        if (bundle_held(t, kinds[i], &version, &doc, &sig) == 0 && version)
            send_bundle_to(s, to->id, to->id_len, doc.data, doc.len, sig.data, sig.len);
    }
    wire_buf_fini(&doc);
    wire_buf_fini(&sig);
    store_abort(&t);
}

struct decide_to {
    server_t *s;
    const struct session *to;
};

static void
send_decision(void *arg, const void *record, size_t len)
{
    struct decide_to *d = arg;
    struct wire_buf b = {(uint8_t *)record, len, 0};
    send_to(d->s, d->to->id, d->to->id_len, PROTO_DECIDE, &b);
}

/* The closings decided here or above that are still open below this child (desk.h). */
static void
send_decisions(server_t *s, const struct session *to)
{
    if (!s->hooks.decisions)
        return;
    struct decide_to d = {s, to};
    if (s->hooks.decisions(s->hooks.arg, to->node, send_decision, &d) != 0)
        log_warn("server: cannot read the decisions for children; they go at the next session");
}

/* A publisher's BUNDLE on the listening socket: answered ACK (version now held) or NACK. */
static void
handle_publish(server_t *s, zframe_t *id, zframe_t *doc, zframe_t *sig, int64_t now)
{
    uint64_t version = 0;
    char why[ERR_WHY_MAX] = "BUNDLE must have two frames";
    int rc = sig && s->hooks.publish
                 ? s->hooks.publish(s->hooks.arg, zframe_data(doc), zframe_size(doc),
                                    zframe_data(sig), zframe_size(sig), now, &version, why)
                 : ERR_DECODE;
    if (rc == 0) {
        struct proto_ack ack = {version};
        struct wire_buf b;
        wire_buf_init(&b);
        proto_ack_encode(&ack, &b);
        send_to(s, zframe_data(id), zframe_size(id), PROTO_ACK, &b);
        wire_buf_fini(&b);
        return;
    }
    send_nack(s, zframe_data(id), zframe_size(id),
              rc == ERR_EXISTS          ? PROTO_NACK_STALE
              : rc == ERR_BAD_SIGNATURE ? PROTO_NACK_BAD_SIGNATURE
                                        : PROTO_NACK_MALFORMED,
              why, true, version);
    log_warn("server: bundle refused: %s", why);
}

static bool
is_rollup_only(const server_t *s, uint32_t node)
{
    for (size_t i = 0; i < s->opt.n_rollup_only; i++)
        if (s->rollup_only[i] == node)
            return true;
    return false;
}

static bool
admit_transport(void *arg, const uint8_t key[ZAP_KEY_BYTES], char user_id[16],
                char why[ERR_WHY_MAX])
{
    server_t *s = arg;
    if (s->have_publisher_curve && memcmp(key, s->publisher_curve, ZAP_KEY_BYTES) == 0) {
        snprintf(user_id, 16, "publisher"); /* may hand over bundles, never say HELLO */
        return true;
    }
    return ingest_admit_transport(s->ingest, key, timestamp_now_ms(), user_id, why);
}

/* The session for a HELLO's routing id: its own, or a new one within the bounds; NULL (refused
 * with the reason) past max_sessions. */
static struct session *
session_for(server_t *s, zframe_t *id, const char *node_text)
{
    /* Sessions are bounded per node and in all, so a peer opening connection after connection
     * cannot fill the table. (A node may hold a few at once: a clone and the real node both
     * need one for their histories to be compared.) */
    uint32_t node = node_number(node_text);
    size_t of_node = 0, oldest = 0;
    for (size_t i = 0; i < s->n_sessions; i++)
        if (s->sessions[i].node == node &&
            (of_node++ == 0 || s->sessions[i].last_rx_ms < s->sessions[oldest].last_rx_ms))
            oldest = i;
    if (of_node >= SERVER_SESSIONS_PER_NODE && !find_session(s, id)) {
        /* the node's quietest connection goes: a flapping link leaves dead ones behind */
        log_info("server: session dropped node=%s (its oldest of %d)", node_text,
                 SERVER_SESSIONS_PER_NODE);
        s->sessions[oldest] = s->sessions[--s->n_sessions];
    }
    struct session *ss = find_session(s, id);
    if (ss)
        return ss;
    if (s->n_sessions >= s->opt.max_sessions) {
        char reason[160];
        snprintf(reason, sizeof reason,
                 "this aggregator holds %zu sessions, its limit (listen/max_sessions)",
                 s->n_sessions);
        send_refuse(s, zframe_data(id), zframe_size(id), reason);
        log_warn("server: session refused node=%s: %s", node_text, reason);
        return NULL;
    }
    if (s->n_sessions == s->cap_sessions) {
        s->cap_sessions = s->cap_sessions ? 2 * s->cap_sessions : 16;
        s->sessions = xrealloc(s->sessions, s->cap_sessions * sizeof *s->sessions);
    }
    ss = &s->sessions[s->n_sessions++];
    memset(ss, 0, sizeof *ss);
    ss->id_len = zframe_size(id) < sizeof ss->id ? zframe_size(id) : sizeof ss->id;
    memcpy(ss->id, zframe_data(id), ss->id_len);
    return ss;
}

static void
handle_hello(server_t *s, zframe_t *id, zframe_t *body, zframe_t *sig, int64_t now)
{
    struct proto_hello h = {0};
    char reason[160];
    struct proto_welcome w;
    int rc = ingest_hello(s->ingest, zframe_data(body), zframe_size(body),
                          sig ? zframe_data(sig) : NULL, sig ? zframe_size(sig) : 0, now, &h, &w,
                          reason);
    if (rc != 0) {
        send_refuse(s, zframe_data(id), zframe_size(id), reason);
        uint64_t suppressed;
        if (log_allow_from(&s->hello_refusals, node_number(h.node[0] ? h.node : "000000"),
                           10, &suppressed))
            log_warn("server: session refused node=%s: %s suppressed=%llu",
                     h.node[0] ? h.node : "?", reason, (unsigned long long)suppressed);
        return;
    }
    memcpy(w.node, s->node_text, 7);
    /* Under CurveZMQ the connection's transport key already names a node: it must be this one. */
    const char *user = zap_user_of(body);
    if (s->zap && (!user || strcmp(user, h.node) != 0)) {
        snprintf(reason, sizeof reason, "HELLO for %s on a connection authenticated as %s",
                 h.node, user ? user : "nobody");
        send_refuse(s, zframe_data(id), zframe_size(id), reason);
        log_warn("server: session refused node=%s: %s", h.node, reason);
        return;
    }
    struct session *ss = session_for(s, id, h.node);
    if (!ss)
        return;
    ss->node = node_number(h.node);
    memcpy(ss->key_id, h.key_id, sizeof ss->key_id);
    ss->last_rx_ms = ss->last_tx_ms = timestamp_mono_ms();
    snprintf(w.mode, sizeof w.mode, "%s",
             is_rollup_only(s, ss->node) ? PROTO_MODE_ROLLUP : PROTO_MODE_ALL);
    struct wire_buf b;
    wire_buf_init(&b);
    proto_welcome_encode(&w, &b);
    send_to(s, ss->id, ss->id_len, PROTO_WELCOME, &b);
    wire_buf_fini(&b);
    send_bundles(s, ss);
    send_decisions(s, ss);
    log_info("server: session open node=%s key=%s mode=%s resume_after=%llu", h.node, h.key_id,
             w.mode, (unsigned long long)w.last_seq);
}

static void
handle_ping(server_t *s, zframe_t *id, zframe_t *body, const struct session *ss, int64_t now)
{
    if (!ss) {
        /* A child still talking to this aggregator's previous run (ZeroMQ reconnected under
         * it): no session, so it must say HELLO again, or an idle child would never get one
         * (no bundles, no position, and silent to node.silent). */
        send_nack(s, zframe_data(id), zframe_size(id), PROTO_NACK_HELLO_FIRST, "say HELLO first",
                  false, 0);
        return;
    }
    struct proto_ping ping = {0};
    if (proto_ping_decode(zframe_data(body), zframe_size(body), &ping) == 0)
        ingest_note_ping(s->ingest, ss->node, &ping, now);
    /* the echo is the PING's own time, not whatever else a body may carry */
    struct proto_ping pong = {ping.sent_ms, 0, {0}, false};
    struct wire_buf b;
    wire_buf_init(&b);
    proto_ping_encode(&pong, &b);
    send_to(s, zframe_data(id), zframe_size(id), PROTO_PONG, &b);
    wire_buf_fini(&b);
}

/* A node restored from a backup asks for its own batches back: each one this tier holds whole,
 * in order, as RETURN [header][payload][key][sig]; the first it cannot give ends the answer (the
 * child then stops asking and parks, naming why). */
static void
handle_fetch(server_t *s, zframe_t *id, zframe_t *body, const struct session *ss)
{
    struct proto_fetch f;
    if (!ss || proto_fetch_decode(zframe_data(body), zframe_size(body), &f) != 0) {
        send_nack(s, zframe_data(id), zframe_size(id),
                  ss ? PROTO_NACK_MALFORMED : PROTO_NACK_HELLO_FIRST,
                  ss ? "FETCH needs from <= to" : "say HELLO first", ss != NULL, 0);
        return;
    }
    store_txn_t *t = NULL;
    if (store_read(s->store, &t) != 0)
        return; /* the child asks again after its timeout */
    struct wire_buf h, p, k, g;
    wire_buf_init(&h);
    wire_buf_init(&p);
    wire_buf_init(&k);
    wire_buf_init(&g);
    uint64_t sent = 0;
    for (uint64_t seq = f.from; seq <= f.to && sent < PROTO_FETCH_MAX; seq++, sent++) {
        wire_buf_reset(&h);
        wire_buf_reset(&p);
        wire_buf_reset(&k);
        wire_buf_reset(&g);
        int rc = ingest_batch_held(t, ss->node, seq, &h, &p, &k, &g);
        if (rc != 0) {
            char node[7];
            node_format(ss->node, node);
            log_warn("server: cannot give back batch node=%s seq=%llu: %s", node,
                     (unsigned long long)seq, err_str(rc));
            break;
        }
        zmsg_t *m = zmsg_new();
        zmsg_addmem(m, zframe_data(id), zframe_size(id));
        zmsg_addstr(m, proto_cmd_name(PROTO_RETURN));
        zmsg_addmem(m, h.data, h.len);
        zmsg_addmem(m, p.data, p.len);
        zmsg_addmem(m, k.data, k.len);
        zmsg_addmem(m, g.data, g.len);
        if (zmsg_send(&m, s->router) != 0) {
            zmsg_destroy(&m);
            break; /* the child asks again for what it lacks */
        }
    }
    store_abort(&t);
    wire_buf_fini(&h);
    wire_buf_fini(&p);
    wire_buf_fini(&k);
    wire_buf_fini(&g);
}

/* One BATCH into the group: true when it was kept (its message then lives until the replies). */
static bool
take_batch(server_t *s, zmsg_t *msg, zframe_t *id, zframe_t *f1, const struct session *ss,
           struct ingest_msg *m)
{
    zframe_t *f2 = zmsg_next(msg), *f3 = zmsg_next(msg), *f4 = zmsg_next(msg);
    memset(m, 0, sizeof *m);
    if (!ss || !f1 || !f2 || !f3 || !f4 || zmsg_next(msg)) {
        send_nack(s, zframe_data(id), zframe_size(id),
                  ss ? PROTO_NACK_MALFORMED : PROTO_NACK_HELLO_FIRST,
                  ss ? "BATCH must have four frames" : "say HELLO first", ss != NULL, 0);
        return false;
    }
    m->node = ss->node;
    m->header = zframe_data(f1);
    m->header_len = zframe_size(f1);
    m->payload = zframe_data(f2);
    m->payload_len = zframe_size(f2);
    m->key_id = zframe_data(f3);
    m->key_id_len = zframe_size(f3);
    m->sig = zframe_data(f4);
    m->sig_len = zframe_size(f4);
    return true;
}

/* The batches of one wakeup: one commit, then every reply. */
static int
commit_group(server_t *s, struct ingest_msg *batches, zframe_t **ids, zmsg_t **held, size_t nb,
             int64_t now)
{
    /* A failed commit has already turned every reply into NACK busy. After EIO the page cache
     * can no longer be trusted (fsyncgate), so the daemon stops and its supervisor restarts it. */
    int rc = ingest_batches(s->ingest, batches, nb, now);
    s->batches += nb;
    if (s->hooks.stored)
        s->hooks.stored(s->hooks.arg, rc);
    struct wire_buf b;
    wire_buf_init(&b);
    for (size_t i = 0; i < nb; i++) {
        wire_buf_reset(&b);
        if (batches[i].ack) {
            proto_ack_encode(&batches[i].reply_ack, &b);
            send_to(s, zframe_data(ids[i]), zframe_size(ids[i]), PROTO_ACK, &b);
            s->acks++;
        } else {
            proto_nack_encode(&batches[i].reply_nack, &b);
            send_to(s, zframe_data(ids[i]), zframe_size(ids[i]), PROTO_NACK, &b);
            s->nacks++;
        }
        zmsg_destroy(&held[i]);
    }
    wire_buf_fini(&b);
    if (rc == ERR_IO || rc == ERR_CORRUPT) {
        log_error("server: storage cannot be trusted, stopping for a restart: %s", err_str(rc));
        s->fatal = true;
        return -1;
    }
    return 0;
}

static int
on_router(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    server_t *s = arg;
    int64_t now = timestamp_now_ms();
    zmsg_t *held[SERVER_DRAIN_MAX];
    struct ingest_msg batches[SERVER_DRAIN_MAX];
    zframe_t *ids[SERVER_DRAIN_MAX];
    size_t nb = 0;
    for (int i = 0; i < SERVER_DRAIN_MAX && (zsock_events(sock) & ZMQ_POLLIN); i++) {
        zmsg_t *msg = zmsg_recv(sock);
        if (!msg)
            break;
        zframe_t *id = zmsg_first(msg);
        zframe_t *cf = zmsg_next(msg);
        enum proto_cmd cmd;
        if (!id || !cf || proto_cmd_parse(zframe_data(cf), zframe_size(cf), &cmd) != 0) {
            zmsg_destroy(&msg);
            continue;
        }
        struct session *ss = find_session(s, id);
        if (ss) {
            ss->last_rx_ms = timestamp_mono_ms();
            ingest_touch(s->ingest, ss->node, now);
        }
        zframe_t *f1 = zmsg_next(msg);
        if (cmd == PROTO_HELLO && f1) {
            handle_hello(s, id, f1, zmsg_next(msg), now);
        } else if (cmd == PROTO_BUNDLE && f1) {
            handle_publish(s, id, f1, zmsg_next(msg), now);
        } else if (cmd == PROTO_PING && f1) {
            handle_ping(s, id, f1, ss, now);
        } else if (cmd == PROTO_FETCH && f1) {
            handle_fetch(s, id, f1, ss);
        } else if (cmd == PROTO_BATCH && take_batch(s, msg, id, f1, ss, &batches[nb])) {
            ids[nb] = id;
            held[nb++] = msg;
            continue; /* kept until the group is committed */
        }
        zmsg_destroy(&msg);
    }
    return nb ? commit_group(s, batches, ids, held, nb, now) : 0;
}

static int
start_curve(server_t *s, char why[ERR_WHY_MAX])
{
    /* CurveZMQ: only transport keys of valid certificates of this node's children get in */
    int rc = zap_start(s->loop, admit_transport, s, &s->zap);
    if (rc != 0) {
        snprintf(why, ERR_WHY_MAX, "cannot start the ZAP handler: %s", err_str(rc));
        return rc;
    }
    zap_curve_server(s->router, sign_curve_secret(s->opt.curve));
    if (zap_watch(s->zap, s->router) != 0)
        log_warn("server: cannot watch CurveZMQ handshakes: failures go unlogged");
    return 0;
}

int
server_open(const struct server_options *opt, const struct server_hooks *hooks, ingest_t *ingest,
            store_t *store, zloop_t *loop, server_t **out, char why[ERR_WHY_MAX])
{
    *out = NULL;
    if (opt->n_rollup_only > SERVER_ROLLUP_MAX) {
        snprintf(why, ERR_WHY_MAX, "%zu children told to roll up only, at most %d",
                 opt->n_rollup_only, SERVER_ROLLUP_MAX);
        return ERR_CONFIG;
    }
    server_t *s = xcalloc(1, sizeof *s);
    s->opt = *opt;
    s->opt.rollup_only = NULL;
    s->opt.publisher_curve = NULL;
    if (opt->n_rollup_only)
        memcpy(s->rollup_only, opt->rollup_only, opt->n_rollup_only * sizeof *opt->rollup_only);
    if (opt->publisher_curve) {
        memcpy(s->publisher_curve, opt->publisher_curve, SIGN_CURVE_BYTES);
        s->have_publisher_curve = true;
    }
    if (hooks)
        s->hooks = *hooks;
    node_format(opt->node, s->node_text);
    s->ingest = ingest;
    s->store = store;
    s->loop = loop;
    s->router = zsock_new(ZMQ_ROUTER);
    int rc = opt->curve ? start_curve(s, why) : 0;
    if (rc != 0)
        goto out;
    zsock_set_linger(s->router, 0);
    zsock_set_sndtimeo(s->router, 0);
    zsock_set_router_mandatory(s->router, 0);
    zsock_set_maxmsgsize(s->router, (int64_t)opt->max_batch_bytes + (1 << 16));
    zsock_set_heartbeat_ivl(s->router, (int)opt->heartbeat_ms);
    zsock_set_heartbeat_timeout(s->router, (int)opt->session_timeout_ms);
    if (zsock_bind(s->router, "%s", opt->endpoint) < 0) {
        snprintf(why, ERR_WHY_MAX, "cannot bind %s: %s", opt->endpoint, zmq_strerror(zmq_errno()));
        rc = ERR_NET;
        goto out;
    }
    if (zloop_reader(loop, s->router, on_router, s) != 0) {
        snprintf(why, ERR_WHY_MAX, "cannot watch %s", opt->endpoint);
        rc = ERR_NET;
        goto out;
    }
    *out = s;
    return 0;
out:
    server_destroy(&s);
    return rc;
}

void
server_destroy(server_t **p)
{
    server_t *s = *p;
    if (!s)
        return;
    if (s->loop && s->router)
        zloop_reader_end(s->loop, s->router);
    zap_stop(&s->zap);
    zsock_destroy(&s->router);
    free(s->sessions);
    free(s);
    *p = NULL;
}

const char *
server_endpoint(const server_t *s)
{
    return zsock_endpoint(s->router);
}

int
server_set_curve(server_t *s, const sign_curve_t *curve, char why[ERR_WHY_MAX])
{
    if (!s->zap) {
        snprintf(why, ERR_WHY_MAX, "the listening socket is not on CurveZMQ");
        return ERR_STATE;
    }
    /* libzmq takes the secret key into a listener when it binds: bind again with the new one */
    char endpoint[256];
    snprintf(endpoint, sizeof endpoint, "%s", zsock_endpoint(s->router));
    if (zsock_unbind(s->router, "%s", endpoint) != 0) {
        snprintf(why, ERR_WHY_MAX, "cannot unbind %s: %s", endpoint, zmq_strerror(zmq_errno()));
        return ERR_NET;
    }
    s->opt.curve = curve;
    zap_curve_server(s->router, sign_curve_secret(curve));
    /* the old listener closes in libzmq's I/O thread: the port frees within milliseconds */
    for (int i = 0; i < 200; i++) {
        if (zsock_bind(s->router, "%s", endpoint) >= 0)
            return 0;
        zclock_sleep(10);
    }
    snprintf(why, ERR_WHY_MAX, "cannot bind %s again: %s", endpoint, zmq_strerror(zmq_errno()));
    return ERR_NET;
}

void
server_tick(server_t *s, int64_t now_ms, int64_t mono_ms)
{
    for (size_t i = 0; i < s->n_sessions;) {
        struct session *ss = &s->sessions[i];
        if (mono_ms - ss->last_rx_ms > s->opt.session_timeout_ms) {
            char node[7];
            node_format(ss->node, node);
            log_info("server: session expired node=%s", node);
            s->sessions[i] = s->sessions[--s->n_sessions];
            continue;
        }
        if (mono_ms - ss->last_tx_ms >= s->opt.heartbeat_ms) {
            struct proto_ping p = {now_ms, 0, {0}, false}; /* wall time: children compare clocks */
            struct wire_buf b;
            wire_buf_init(&b);
            proto_ping_encode(&p, &b);
            send_to(s, ss->id, ss->id_len, PROTO_PING, &b);
            wire_buf_fini(&b);
            ss->last_tx_ms = mono_ms;
        }
        i++;
    }
}

void
server_cut_off_revoked(server_t *s, int64_t now_ms)
{
    for (size_t i = 0; i < s->n_sessions;) {
        struct session *ss = &s->sessions[i];
        char why[ERR_WHY_MAX], node[7], reason[160];
        if (ingest_key_for(s->ingest, ss->node, ss->key_id, strlen(ss->key_id), now_ms, why)) {
            i++;
            continue;
        }
        node_format(ss->node, node);
        snprintf(reason, sizeof reason, "session closed: %.140s", why);
        send_refuse(s, ss->id, ss->id_len, reason);
        log_warn("server: session cut off node=%s: %s", node, why);
        s->sessions[i] = s->sessions[--s->n_sessions];
    }
}

void
server_send_bundle(server_t *s, const void *doc, size_t len, const void *sig, size_t sig_len)
{
    for (size_t i = 0; i < s->n_sessions; i++)
        send_bundle_to(s, s->sessions[i].id, s->sessions[i].id_len, doc, len, sig, sig_len);
}

void
server_send_decisions(server_t *s)
{
    for (size_t i = 0; i < s->n_sessions; i++)
        send_decisions(s, &s->sessions[i]);
}

void
server_stats(const server_t *s, struct server_stats *st)
{
    st->sessions = s->n_sessions;
    st->batches = s->batches;
    st->acks = s->acks;
    st->nacks = s->nacks;
    st->fatal = s->fatal;
}
