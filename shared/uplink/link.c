/* link: a small state machine driven by the loop (messages) and link_tick (time).
 *
 *   WAITING --tick after backoff--> HELLO --WELCOME--> ACTIVE --permanent NACK--> PARKED
 *      ^                              |                   |
 *      +------ silence / timeout -----+-------------------+      REFUSE --> REFUSED (retry slowly)
 *
 * Invariants: acked <= next_send - 1 <= sealed batch; the window holds batches acked+1 ..
 * next_send-1. A resend is always go-back-N from acked+1; the parent's duplicate check makes it
 * harmless. Socket rebuilds happen in link_tick, never inside the socket's own reader.
 */
#include "link.h"

#include "batch.h"
#include "err.h"
#include "log.h"
#include "mem.h"
#include "node.h"
#include "proto.h"
#include "spool.h"
#include "timestamp.h"
#include "zap.h"

#include <string.h>

#define BACKOFF_MIN_MS 100
#define PRUNE_EVERY_MS 1000
#define CONTACT_EVERY_MS 5000 /* how stale the parent-contact time in the store may get */

struct link {
    struct link_options opt;
    char *endpoint;
    store_t *store;
    uint32_t node;
    char node_text[7];
    const sign_key_t *key;
    const sign_curve_t *curve; /* CurveZMQ when set, with the parent's keys below */
    uint8_t server_keys[LINK_SERVER_KEYS_MAX][SIGN_CURVE_BYTES];
    size_t n_server_keys, server_pick; /* the one tried now; the next after a silent HELLO */
    struct link_hooks hooks;
    zloop_t *loop;
    zsock_t *sock;

    enum link_state state;
    uint64_t acked;
    uint64_t pruned;
    uint64_t next_send;
    uint64_t sent_hwm; /* highest batch sent in this session */
    /* Timers run on the monotonic clock (timestamp_mono_ms), so setting the wall clock never
     * drops a healthy session; wall time goes only into what the parent reads (HELLO, PING). */
    int64_t last_rx_ms;
    int64_t last_rx_wall_ms;                /* for the parent-contact time a status shows */
    int64_t contact_saved_wall_ms;          /* the last of them written to the store */
    int64_t parent_wall_ms, parent_mono_ms; /* the parent's clock as its last PING said */
    int64_t parent_own_wall_ms;             /* this node's wall clock as that PING arrived */
    int64_t last_tx_ms;
    int64_t hello_ms; /* when the current attempt to open a session began */
    bool hello_sent;
    int64_t progress_ms; /* last time acked advanced (or the window was empty) */
    int64_t retry_at_ms;
    int64_t pause_until_ms;
    int64_t backoff_ms;
    int64_t last_prune_ms;
    uint64_t recover_to; /* LINK_RECOVER: the last batch the parent holds */
    uint64_t fetch_last; /* the last batch the FETCH in flight asks for */
    int64_t fetch_ms;    /* when the last FETCH went, or a RETURN came */
    bool rebuild;
    char last_problem[160];

    uint64_t reconnects, resends, batches_sent;
    struct wire_buf header, payload;
};

const char *
link_state_name(enum link_state s)
{
    static const char *const names[] = {"waiting",     "hello",  "active",
                                        "parked",      "refused", "recovering"};
    return names[s];
}

link_t *
link_new(const struct link_options *opt, store_t *store, uint32_t node, const sign_key_t *key)
{
    link_t *l = xcalloc(1, sizeof *l);
    l->opt = *opt;
    l->endpoint = xstrdup(opt->endpoint);
    l->opt.endpoint = l->endpoint;
    l->store = store;
    l->node = node;
    node_format(node, l->node_text);
    l->key = key;
    l->state = LINK_WAITING;
    l->backoff_ms = BACKOFF_MIN_MS;
    wire_buf_init(&l->header);
    wire_buf_init(&l->payload);
    return l;
}

static void
drop_socket(link_t *l)
{
    if (!l->sock)
        return;
    if (l->loop)
        zloop_reader_end(l->loop, l->sock);
    zsock_destroy(&l->sock);
}

void
link_destroy(link_t **p)
{
    link_t *l = *p;
    if (!l)
        return;
    drop_socket(l);
    wire_buf_fini(&l->header);
    wire_buf_fini(&l->payload);
    free(l->endpoint);
    free(l);
    *p = NULL;
}

/* Logs a problem once until a different one happens, so an outage of days is not a flood. */
static void
problem(link_t *l, bool error, const char *text)
{
    if (strcmp(l->last_problem, text) == 0)
        return;
    snprintf(l->last_problem, sizeof l->last_problem, "%s", text);
    if (error)
        log_error("link: %s node=%s parent=%s", text, l->node_text, l->endpoint);
    else
        log_warn("link: %s node=%s parent=%s", text, l->node_text, l->endpoint);
}

static int send_frames(link_t *l, enum proto_cmd cmd, const struct wire_buf *const *frames,
                       size_t n);

static void
send_hello(link_t *l, int64_t now)
{
    (void)now;
    struct proto_hello h = {.version = PROTO_VERSION, .sent_ms = timestamp_now_ms()};
    memcpy(h.node, l->node_text, 7);
    sign_key_id(sign_key_public(l->key), h.key_id);
    struct wire_buf b;
    wire_buf_init(&b);
    proto_hello_encode(&h, &b);
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    proto_hello_sign(l->key, &b, sig);
    struct wire_buf sb = {sig, sizeof sig, 0};
    const struct wire_buf *frames[] = {&b, &sb};
    /* Until the connection is up the send fails at once (ZMQ_IMMEDIATE); the tick retries. */
    if (send_frames(l, PROTO_HELLO, frames, 2) == 0)
        l->hello_sent = true;
    l->state = LINK_HELLO;
    wire_buf_fini(&b);
}

static int on_readable(zloop_t *loop, zsock_t *sock, void *arg);

static int
connect_socket(link_t *l, int64_t now)
{
    drop_socket(l);
    l->sock = zsock_new(ZMQ_DEALER);
    if (!l->sock)
        return ERR_NET;
    zsock_set_linger(l->sock, 0);
    zsock_set_sndtimeo(l->sock, 0);
    /* Queue nothing for a peer that is not connected: a batch is either sent or retried. */
    zsock_set_immediate(l->sock, 1);
    zsock_set_sndhwm(l->sock, (int)l->opt.window * 2 + 16);
    zsock_set_heartbeat_ivl(l->sock, (int)l->opt.heartbeat_ms);
    zsock_set_heartbeat_timeout(l->sock, (int)l->opt.timeout_ms);
    zsock_set_reconnect_ivl(l->sock, BACKOFF_MIN_MS);
    zsock_set_reconnect_ivl_max(l->sock, (int)l->opt.backoff_max_ms);
    if (l->curve)
        zap_curve_client(l->sock, l->server_keys[l->server_pick], sign_curve_public(l->curve),
                         sign_curve_secret(l->curve));
    if (zsock_connect(l->sock, "%s", l->endpoint) != 0) {
        problem(l, true, "cannot connect (bad endpoint?)");
        zsock_destroy(&l->sock);
        return ERR_NET;
    }
    if (l->loop && zloop_reader(l->loop, l->sock, on_readable, l) != 0) {
        zsock_destroy(&l->sock);
        return ERR_NET;
    }
    l->last_rx_ms = now;
    l->last_tx_ms = now;
    l->hello_ms = now;
    l->hello_sent = false;
    l->reconnects++;
    return 0;
}

/* The spool's state, in a read transaction of its own. */
static int
read_state(link_t *l, struct spool_state *st)
{
    store_txn_t *t = NULL;
    int rc = store_read(l->store, &t);
    if (rc == 0)
        rc = spool_state_get(t, st);
    store_abort(&t);
    return rc;
}

int
link_attach(link_t *l, zloop_t *loop)
{
    l->loop = loop;
    l->retry_at_ms = 0;
    struct spool_state st;
    int rc = read_state(l, &st);
    if (rc != 0)
        return rc;
    l->acked = l->pruned = st.acked_batch;
    l->next_send = st.acked_batch + 1;
    link_tick(l, timestamp_mono_ms());
    return 0;
}

static int
send_frames(link_t *l, enum proto_cmd cmd, const struct wire_buf *const *frames, size_t n)
{
    if (!l->sock)
        return ERR_NET;
    zmsg_t *msg = zmsg_new();
    zmsg_addstr(msg, proto_cmd_name(cmd));
    for (size_t i = 0; i < n; i++)
        zmsg_addmem(msg, frames[i]->data, frames[i]->len);
    if (zmsg_send(&msg, l->sock) != 0) {
        zmsg_destroy(&msg);
        return ERR_NET;
    }
    l->last_tx_ms = timestamp_mono_ms();
    return 0;
}

static void
go_waiting(link_t *l, int64_t now, const char *why)
{
    problem(l, false, why);
    l->state = LINK_WAITING;
    l->rebuild = true;
    l->retry_at_ms = now + l->backoff_ms;
    l->backoff_ms = l->backoff_ms * 2 > l->opt.backoff_max_ms ? l->opt.backoff_max_ms
                                                              : l->backoff_ms * 2;
}

struct park_args {
    uint32_t node;
    uint64_t seq;
    const char *reason;
};

static int
park_fn(store_txn_t *t, void *arg)
{
    struct park_args *a = arg;
    return spool_park(t, a->node, a->seq, a->reason);
}

static void
park(link_t *l, uint64_t seq, const char *code, const char *reason)
{
    char text[200];
    snprintf(text, sizeof text, "parent refused batch seq=%llu for good, parked for an operator: "
                                "%s: %s",
             (unsigned long long)seq, code, reason);
    struct park_args a = {l->node, seq, text};
    int rc = store_write(l->store, park_fn, &a);
    if (rc != 0)
        log_error("link: cannot record parked batch node=%s seq=%llu: %s", l->node_text,
                  (unsigned long long)seq, err_str(rc));
    problem(l, true, text);
    l->state = LINK_PARKED;
}

static void
fill_window(link_t *l)
{
    if (l->state != LINK_ACTIVE || !l->sock)
        return;
    int64_t now = timestamp_mono_ms();
    if (now < l->pause_until_ms)
        return;
    if (l->next_send - l->acked - 1 >= l->opt.window)
        return;
    store_txn_t *t = NULL;
    struct spool_state st;
    if (store_read(l->store, &t) != 0)
        return;
    if (spool_state_get(t, &st) != 0) {
        store_abort(&t);
        return;
    }
    while (l->next_send <= st.batch_seq && l->next_send - l->acked - 1 < l->opt.window) {
        int rc = spool_load(t, l->node, l->next_send, &l->header, &l->payload);
        if (rc != 0) {
            store_abort(&t);
            if (rc == ERR_NOT_FOUND)
                park(l, l->next_send, "pruned", "the parent asks for a batch this node no longer "
                                                "holds");
            else
                park(l, l->next_send, "local", err_str(rc));
            return;
        }
        char key_id[SIGN_KEY_ID_LEN + 1];
        uint8_t sig[SIGN_SIGNATURE_BYTES];
        batch_sign(l->key, l->header.data, l->header.len, key_id, sig);
        struct wire_buf kb = {(uint8_t *)key_id, SIGN_KEY_ID_LEN, 0};
        struct wire_buf sb = {sig, SIGN_SIGNATURE_BYTES, 0};
        const struct wire_buf *frames[] = {&l->header, &l->payload, &kb, &sb};
        if (send_frames(l, PROTO_BATCH, frames, 4) != 0)
            break; /* the pipe is full or gone; the tick retries */
        if (l->next_send == l->acked + 1)
            l->progress_ms = now;
        log_debug("link: sent batch node=%s seq=%llu bytes=%zu", l->node_text,
                  (unsigned long long)l->next_send, l->payload.len);
        if (l->next_send > l->sent_hwm)
            l->sent_hwm = l->next_send;
        l->next_send++;
        l->batches_sent++;
    }
    store_abort(&t);
}

void
link_kick(link_t *l)
{
    fill_window(l);
}

/* Asks the parent for this node's batches after the last one held here. */
static void
send_fetch(link_t *l, int64_t now)
{
    struct spool_state st;
    int rc = read_state(l, &st);
    if (rc != 0) {
        go_waiting(l, now, "cannot read spool state");
        return;
    }
    struct proto_fetch f = {st.batch_seq + 1, l->recover_to};
    l->fetch_last = f.to - f.from + 1 > PROTO_FETCH_MAX ? f.from + PROTO_FETCH_MAX - 1 : f.to;
    struct wire_buf b;
    wire_buf_init(&b);
    proto_fetch_encode(&f, &b);
    const struct wire_buf *frames[] = {&b};
    (void)send_frames(l, PROTO_FETCH, frames, 1); /* lost: the tick asks again */
    wire_buf_fini(&b);
    l->fetch_ms = now;
}

static int
restored_fn(store_txn_t *t, void *arg)
{
    (void)arg;
    return spool_set_restored(t, false);
}

struct adopt_args {
    link_t *l;
    const void *header, *payload;
    size_t header_len, payload_len;
};

static int
adopt_fn(store_txn_t *t, void *arg)
{
    struct adopt_args *a = arg;
    int rc = spool_adopt(t, a->l->node, a->header, a->header_len, a->payload, a->payload_len,
                         a->l->hooks.restored, a->l->hooks.arg);
    struct spool_state st;
    if (rc == 0)
        rc = spool_state_get(t, &st);
    if (rc == 0 && st.batch_seq == a->l->recover_to)
        rc = spool_set_restored(t, false); /* everything the parent held is back */
    return rc;
}

/* One of this node's own batches given back: checked against this node's key and chain, then
 * stored as its own; the last one ends the recovery with a new HELLO. */
static void
on_return(link_t *l, zmsg_t *msg, zframe_t *header, int64_t now)
{
    zframe_t *payload = zmsg_next(msg), *key_id = zmsg_next(msg), *sig = zmsg_next(msg);
    struct batch_header h;
    if (!payload || !key_id || !sig || zframe_size(sig) != SIGN_SIGNATURE_BYTES ||
        batch_header_decode(zframe_data(header), zframe_size(header), &h) != 0) {
        problem(l, false, "parent returned a malformed batch");
        return;
    }
    if (batch_verify(sign_key_public(l->key), zframe_data(header), zframe_size(header),
                     (const char *)zframe_data(key_id), zframe_size(key_id),
                     zframe_data(sig)) != 0) {
        park(l, h.seq, PROTO_NACK_BAD_SIGNATURE,
             "a batch the parent returned after the restore is not signed with this node's key "
             "(a key rotated since the backup: restore a newer backup, or start afresh)");
        return;
    }
    struct adopt_args a = {l, zframe_data(header), zframe_data(payload), zframe_size(header),
                           zframe_size(payload)};
    int rc = store_write(l->store, adopt_fn, &a);
    if (rc == ERR_CONFLICT || rc == ERR_DECODE) {
        park(l, h.seq, PROTO_NACK_CONFLICT,
             "the parent holds batches of another history than this restored store (a clone, or "
             "a backup of another node)");
        return;
    }
    if (rc != 0) {
        go_waiting(l, now, "cannot store a batch taken back from the parent");
        return;
    }
    l->fetch_ms = now;
    l->acked = l->pruned = h.seq;
    if (h.seq < l->recover_to) {
        if (h.seq >= l->fetch_last)
            send_fetch(l, now); /* the parent sends at most PROTO_FETCH_MAX per FETCH */
        return;
    }
    log_info("link: restored node=%s took back its batches up to %llu from its parent; going on",
             l->node_text, (unsigned long long)h.seq);
    send_hello(l, now);
}

static void
on_welcome(link_t *l, const struct proto_welcome *w, int64_t now)
{
    struct spool_state st;
    store_txn_t *t = NULL;
    if (store_read(l->store, &t) != 0 || spool_state_get(t, &st) != 0) {
        store_abort(&t);
        go_waiting(l, now, "cannot read spool state");
        return;
    }
    /* The parent must never hold more than this node sealed, nor other content for a seq we
     * still hold: either means this node's store went back in time or was cloned. */
    bool conflict = w->last_seq > st.batch_seq;
    if (!conflict && w->last_seq > 0) {
        uint8_t key[8];
        struct wire_buf h;
        wire_buf_init(&h);
        store_be64(key, w->last_seq);
        if (store_get(t, STORE_OUTBOX, key, 8, &h) == 0) {
            uint8_t hash[SIGN_HASH_BYTES];
            batch_hash(h.data, h.len, hash);
            conflict = memcmp(hash, w->last_hash, SIGN_HASH_BYTES) != 0;
        } else if (w->last_seq == st.batch_seq) {
            conflict = memcmp(st.batch_hash, w->last_hash, SIGN_HASH_BYTES) != 0;
        }
        wire_buf_fini(&h);
    }
    if (conflict && st.restored && w->last_seq > st.batch_seq) {
        /* an operator restored this store: what the parent holds beyond it is this node's own
         * history since the backup, taken back before anything new is sealed on top */
        log_warn("link: restored node=%s holds batches up to %llu, its parent up to %llu: taking "
                 "them back", l->node_text, (unsigned long long)st.batch_seq,
                 (unsigned long long)w->last_seq);
        store_abort(&t);
        l->state = LINK_RECOVER;
        l->recover_to = w->last_seq;
        send_fetch(l, now);
        return;
    }
    /* The batch to show the parent when the histories differ: it keeps a copy for audit and
     * raises the alarm, and its "conflict" parks this node. */
    uint64_t shown = w->last_seq < st.batch_seq ? w->last_seq : st.batch_seq;
    bool can_show = false;
    if (conflict && shown > 0) {
        uint8_t key[8];
        store_be64(key, shown);
        if (store_has(t, STORE_OUTBOX, key, 8, &can_show) != 0)
            can_show = false; /* unreadable: the parent is not shown it, the node parks */
    }
    store_abort(&t);
    if (conflict && can_show) {
        log_error("link: node=%s holds other batches than its parent (restored or cloned store?): "
                  "showing batch %llu to the parent for the record",
                  l->node_text, (unsigned long long)shown);
        l->state = LINK_ACTIVE;
        l->acked = shown - 1;
        l->next_send = shown;
        l->sent_hwm = shown - 1;
        l->progress_ms = now;
        fill_window(l);
        return;
    }
    if (conflict) {
        park(l, w->last_seq + 1, PROTO_NACK_CONFLICT,
             "the parent holds batches this node never sealed or with other content "
             "(restored or cloned store?)");
        return;
    }
    if (st.restored && store_write(l->store, restored_fn, NULL) != 0)
        log_warn("link: cannot clear the restored mark node=%s; cleared at the next session",
                 l->node_text);
    l->state = LINK_ACTIVE;
    l->backoff_ms = BACKOFF_MIN_MS;
    l->last_problem[0] = '\0';
    if (w->last_seq > l->acked)
        l->acked = w->last_seq;
    l->next_send = l->acked + 1;
    l->sent_hwm = l->acked;
    l->progress_ms = now;
    log_info("link: session open node=%s parent=%s parent_node=%s mode=%s resume_at=%llu",
             l->node_text, l->endpoint, w->node, w->mode, (unsigned long long)l->next_send);
    if (l->hooks.session)
        l->hooks.session(l->hooks.arg, w);
    fill_window(l);
}

void
link_options_read(const conf_t *conf, struct link_options *out)
{
    memset(out, 0, sizeof *out);
    out->endpoint = conf_str(conf, "uplink/endpoint");
    out->heartbeat_ms = conf_int(conf, "uplink/heartbeat_ms");
    out->timeout_ms = conf_int(conf, "uplink/timeout_ms");
    out->ack_timeout_ms = conf_int(conf, "uplink/ack_timeout_ms");
    out->backoff_max_ms = conf_int(conf, "uplink/backoff_max_ms");
    out->window = (uint32_t)conf_int(conf, "uplink/window");
}

void
link_set_key(link_t *l, const sign_key_t *key, const sign_curve_t *curve)
{
    l->key = key;
    if (l->curve && curve)
        l->curve = curve;
    l->rebuild = true; /* the parent ties a session to the key of its HELLO */
    /* a new session at once, not after the old one falls silent */
    if (l->state == LINK_ACTIVE || l->state == LINK_HELLO || l->state == LINK_RECOVER) {
        l->state = LINK_WAITING;
        l->retry_at_ms = 0;
    }
}

void
link_set_curve(link_t *l, const uint8_t server_key[SIGN_CURVE_BYTES], const sign_curve_t *curve)
{
    memcpy(l->server_keys[0], server_key, SIGN_CURVE_BYTES);
    l->n_server_keys = 1;
    l->server_pick = 0;
    l->curve = curve;
    l->rebuild = true;
}

void
link_set_server_keys(link_t *l, const uint8_t keys[][SIGN_CURVE_BYTES], size_t n)
{
    if (n == 0)
        return;
    if (n > LINK_SERVER_KEYS_MAX)
        n = LINK_SERVER_KEYS_MAX;
    /* the key in use stays in use: an open session is not disturbed */
    size_t pick = 0;
    for (size_t i = 0; l->n_server_keys && i < n; i++)
        if (memcmp(keys[i], l->server_keys[l->server_pick], SIGN_CURVE_BYTES) == 0)
            pick = i;
    memcpy(l->server_keys, keys, n * SIGN_CURVE_BYTES);
    l->n_server_keys = n;
    l->server_pick = pick;
}

void
link_set_hooks(link_t *l, const struct link_hooks *hooks)
{
    l->hooks = *hooks;
}

static void
on_nack(link_t *l, const struct proto_nack *n, int64_t now)
{
    if (strcmp(n->code, PROTO_NACK_HELLO_FIRST) == 0) {
        send_hello(l, now);
        return;
    }
    if (strcmp(n->code, PROTO_NACK_GAP) == 0) {
        if (n->expected > l->acked + 1 && n->expected <= l->next_send)
            l->acked = n->expected - 1;
        l->next_send = l->acked + 1;
        l->resends++;
        fill_window(l);
        return;
    }
    if (!n->permanent) {
        /* Busy or another passing refusal: wait, then resend from the last acknowledgement. */
        problem(l, false, n->reason);
        l->next_send = l->acked + 1;
        l->pause_until_ms = now + l->backoff_ms;
        l->backoff_ms = l->backoff_ms * 2 > l->opt.backoff_max_ms ? l->opt.backoff_max_ms
                                                                  : l->backoff_ms * 2;
        return;
    }
    park(l, n->seq, n->code, n->reason);
}

static int
on_readable(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    link_t *l = arg;
    int64_t now = timestamp_mono_ms();
    /* Drain what is queued so one wakeup handles a burst of acknowledgements. */
    for (int i = 0; i < 256 && (zsock_events(sock) & ZMQ_POLLIN); i++) {
        zmsg_t *msg = zmsg_recv(sock);
        if (!msg)
            break;
        l->last_rx_ms = now;
        l->last_rx_wall_ms = timestamp_now_ms();
        zframe_t *cf = zmsg_first(msg);
        zframe_t *body = zmsg_next(msg);
        enum proto_cmd cmd;
        if (!cf || proto_cmd_parse(zframe_data(cf), zframe_size(cf), &cmd) != 0 || !body) {
            problem(l, false, "parent sent a malformed message");
            zmsg_destroy(&msg);
            continue;
        }
        const void *bd = zframe_data(body);
        size_t bl = zframe_size(body);
        union {
            struct proto_welcome w;
            struct proto_ack a;
            struct proto_nack n;
            struct proto_refuse r;
            struct proto_ping p;
        } m;
        switch (cmd) {
        case PROTO_WELCOME:
            if (l->state == LINK_HELLO && proto_welcome_decode(bd, bl, &m.w) == 0)
                on_welcome(l, &m.w, now);
            break;
        case PROTO_ACK:
            /* Any batch up to the highest sent may be acknowledged, even after a go-back
             * reset next_send below it. */
            if (l->state == LINK_ACTIVE && proto_ack_decode(bd, bl, &m.a) == 0 &&
                m.a.seq > l->acked && m.a.seq <= l->sent_hwm) {
                l->acked = m.a.seq;
                if (l->next_send <= l->acked)
                    l->next_send = l->acked + 1;
                l->progress_ms = now;
            }
            break;
        case PROTO_NACK:
            if ((l->state == LINK_ACTIVE || l->state == LINK_HELLO) &&
                proto_nack_decode(bd, bl, &m.n) == 0)
                on_nack(l, &m.n, now);
            break;
        case PROTO_REFUSE:
            if (proto_refuse_decode(bd, bl, &m.r) == 0) {
                char text[200];
                snprintf(text, sizeof text, "parent refused the session: %s", m.r.reason);
                /* Logged once; retried with the usual backoff, since the cure (a key or
                 * config at the parent) comes without telling us. */
                problem(l, true, text);
                l->state = LINK_REFUSED;
                l->retry_at_ms = now + l->opt.backoff_max_ms;
                l->rebuild = true;
            }
            break;
        case PROTO_BUNDLE: {
            zframe_t *sig = zmsg_next(msg);
            if (l->hooks.bundle && sig)
                l->hooks.bundle(l->hooks.arg, bd, bl, zframe_data(sig), zframe_size(sig));
            break;
        }
        case PROTO_RETURN:
            if (l->state == LINK_RECOVER)
                on_return(l, msg, body, now);
            break;
        case PROTO_DECIDE:
            if (l->hooks.decision)
                l->hooks.decision(l->hooks.arg, bd, bl);
            break;
        case PROTO_PING:
            if (proto_ping_decode(bd, bl, &m.p) == 0) {
                l->parent_wall_ms = m.p.sent_ms;
                l->parent_mono_ms = now;
                l->parent_own_wall_ms = timestamp_now_ms();
                struct wire_buf b;
                wire_buf_init(&b);
                proto_ping_encode(&m.p, &b);
                const struct wire_buf *frames[] = {&b};
                (void)send_frames(l, PROTO_PONG, frames, 1);
                wire_buf_fini(&b);
            }
            break;
        default:
            break;
        }
        zmsg_destroy(&msg);
    }
    fill_window(l);
    return 0;
}

struct prune_args {
    uint64_t acked;
    int64_t contact_ms;
    uint32_t carrier;
};

static int
prune_fn(store_txn_t *t, void *arg)
{
    struct prune_args *a = arg;
    int rc = a->acked ? spool_prune(t, a->acked, a->carrier) : 0;
    if (rc == 0)
        rc = store_meta_put_u64(t, "parent_contact_ms", (uint64_t)a->contact_ms);
    return rc;
}

static void
heartbeat(link_t *l, int64_t now)
{
    if (!l->sock || now - l->last_tx_ms <= l->opt.heartbeat_ms)
        return;
    struct proto_ping p = {timestamp_now_ms(), 0, {0}, false};
    struct spool_state st;
    store_txn_t *t = NULL;
    if (store_read(l->store, &t) == 0 && spool_state_get(t, &st) == 0 && !st.restored) {
        /* the parent shows this node's backlog from it, and sees a history other than its own
         * (a restored store states nothing until its history is back: it is behind on purpose) */
        p.sealed = st.batch_seq;
        memcpy(p.sealed_hash, st.batch_hash, SIGN_HASH_BYTES);
        p.stated = true;
    }
    store_abort(&t);
    struct wire_buf b;
    wire_buf_init(&b);
    proto_ping_encode(&p, &b);
    const struct wire_buf *frames[] = {&b};
    (void)send_frames(l, PROTO_PING, frames, 1);
    wire_buf_fini(&b);
}

void
link_tick(link_t *l, int64_t now)
{
    if (l->rebuild) {
        drop_socket(l);
        l->rebuild = false;
    }
    switch (l->state) {
    case LINK_WAITING:
    case LINK_REFUSED:
        if (now >= l->retry_at_ms) {
            if (connect_socket(l, now) == 0)
                send_hello(l, now);
            else
                go_waiting(l, now, "cannot create the uplink socket");
        }
        break;
    case LINK_HELLO:
        if (now - l->hello_ms > l->opt.timeout_ms) {
            go_waiting(l, now, l->hello_sent ? "parent did not answer HELLO"
                                             : "cannot reach the parent");
            /* a CurveZMQ handshake with a key the parent no longer (or not yet) serves never
             * answers: the next attempt tries the parent's next key (transport.h) */
            if (l->curve && l->n_server_keys > 1)
                l->server_pick = (l->server_pick + 1) % l->n_server_keys;
        }
        else if (!l->hello_sent || now - l->last_tx_ms > l->opt.heartbeat_ms)
            send_hello(l, now); /* a HELLO lost to a reconnect is simply said again */
        break;
    case LINK_ACTIVE:
        if (now - l->last_rx_ms > l->opt.timeout_ms) {
            go_waiting(l, now, "parent silent, reconnecting");
            break;
        }
        if (l->next_send > l->acked + 1 && now - l->progress_ms > l->opt.ack_timeout_ms) {
            l->next_send = l->acked + 1;
            l->progress_ms = now;
            l->resends++;
        }
        heartbeat(l, now);
        fill_window(l);
        break;
    case LINK_PARKED:
        /* Still heard: the parent tells a stuck node from a dead one (node.silent says which). */
        heartbeat(l, now);
        break;
    case LINK_RECOVER:
        if (now - l->last_rx_ms > l->opt.timeout_ms) {
            go_waiting(l, now, "parent silent while taking batches back, reconnecting");
            break;
        }
        if (now - l->fetch_ms > l->opt.ack_timeout_ms)
            send_fetch(l, now); /* from the last batch taken back */
        heartbeat(l, now);
        break;
    }
    /* Pruning is lazy: the parent's WELCOME is the truth after a restart, so losing an unpruned
     * acknowledgement costs a resend the parent recognises, never data. */
    bool idle = l->next_send == l->acked + 1;
    if (l->acked > l->pruned && (idle || now - l->last_prune_ms >= PRUNE_EVERY_MS)) {
        struct prune_args a = {l->acked, l->last_rx_wall_ms, l->opt.drop_carried ? l->node : 0};
        int rc = store_write(l->store, prune_fn, &a);
        l->last_prune_ms = now;
        if (rc == 0) {
            l->pruned = l->acked;
            l->contact_saved_wall_ms = l->last_rx_wall_ms;
        }
    } else if (l->last_rx_wall_ms - l->contact_saved_wall_ms >= CONTACT_EVERY_MS &&
               now - l->last_prune_ms >= CONTACT_EVERY_MS) {
        /* an idle link still hears its parent: status says so, at most every few seconds */
        struct prune_args a = {0, l->last_rx_wall_ms, 0};
        l->last_prune_ms = now;
        if (store_write(l->store, prune_fn, &a) == 0)
            l->contact_saved_wall_ms = l->last_rx_wall_ms;
    }
}

void
link_status(const link_t *l, struct link_status *st)
{
    st->state = l->state;
    st->acked = l->acked;
    st->next_send = l->next_send;
    st->last_rx_ms = l->last_rx_wall_ms;
    st->reconnects = l->reconnects;
    st->resends = l->resends;
    st->batches_sent = l->batches_sent;
}

bool
link_parent_clock(const link_t *l, int64_t *parent_wall_ms, int64_t *own_wall_ms,
                  int64_t *mono_ms)
{
    if (!l->parent_mono_ms)
        return false;
    *parent_wall_ms = l->parent_wall_ms;
    *own_wall_ms = l->parent_own_wall_ms;
    *mono_ms = l->parent_mono_ms;
    return true;
}
