/* link: the uplink protocol's client side (docs/protocol.md), shared by the collector and by a
 * city aggregator forwarding to its own parent; the parent side is server.h (sessions, replies)
 * with ingest.h (checks, storage).
 *
 * A link owns one DEALER socket to the parent and sends the sealed batches of a spool in order:
 * HELLO, then from the parent's stated position, with at most `window` batches unacknowledged.
 * Each batch is signed at send time with the node's current key. It resends from the last
 * acknowledgement when acknowledgements stop coming, rebuilds the socket with exponential backoff
 * when the parent falls silent, and parks a batch the parent refuses for good (logged once;
 * nothing more is sent until an operator restarts the node; a parked batch the parent later
 * acknowledges is unparked). A NACK hello-first (the parent restarted under a live connection)
 * makes it say HELLO again. A parent holding batches this node never sealed means another
 * history (a clone) and parks it, unless an operator restored the store from a backup
 * (spool.h, restored): then the node takes those batches back, checked against its own key and
 * chain, and goes on from them. Everything it learns is persisted
 * through the spool, so a restart resumes exactly where the parent says it stands.
 */
#ifndef JIANCHA_LINK_H
#define JIANCHA_LINK_H

#include "conf.h"
#include "proto.h"
#include "sign.h"
#include "spool.h"
#include "store.h"

#include <czmq.h>
#include <stdint.h>

struct link_options {
    const char *endpoint;   /* parent's ROUTER, e.g. tcp://127.0.0.1:7100 */
    int64_t heartbeat_ms;   /* PING when nothing was sent for this long */
    int64_t timeout_ms;     /* parent silent this long: rebuild the connection */
    int64_t ack_timeout_ms; /* no acknowledgement progress this long: resend the window */
    int64_t backoff_max_ms; /* reconnect delay doubles from 100 ms up to this */
    uint32_t window;        /* batches in flight */
    bool drop_carried;      /* an aggregator: drop carried child batches once the parent has them */
};

/* LINK_RECOVER: a store restored from a backup takes back from its parent the batches it sealed
 * after the backup (FETCH/RETURN, docs/protocol.md), then opens its session again. */
enum link_state { LINK_WAITING, LINK_HELLO, LINK_ACTIVE, LINK_PARKED, LINK_REFUSED, LINK_RECOVER };

struct link_status {
    enum link_state state;
    uint64_t acked;      /* last batch the parent acknowledged */
    uint64_t next_send;  /* next batch to send */
    int64_t last_rx_ms;  /* last message from the parent */
    uint64_t reconnects;
    uint64_t resends;
    uint64_t batches_sent;
};

/* The configuration keys of a link's tuning, shared by every daemon with an uplink (entries of a
 * conf_key table), and the options read from a loaded configuration (uplink/endpoint and these;
 * drop_carried false). */
#define LINK_CONF_KEYS                                                                             \
    {"uplink/heartbeat_ms", CONF_INT, "1000", 50, 600000, "ping the parent when idle this long"},  \
        {"uplink/timeout_ms", CONF_INT, "5000", 200, 3600000,                                      \
         "reconnect when the parent is silent this long"},                                        \
        {"uplink/ack_timeout_ms", CONF_INT, "3000", 100, 3600000,                                  \
         "resend unacknowledged batches after this long without progress"},                       \
        {"uplink/backoff_max_ms", CONF_INT, "5000", 100, 600000,                                   \
         "longest wait between reconnects"},                                                      \
        {"uplink/window", CONF_INT, "8", 1, 256, "batches in flight"}
void link_options_read(const conf_t *conf, struct link_options *out);

typedef struct link link_t;

/* The key is borrowed and must outlive the link. Nothing is connected before link_attach. */
link_t *link_new(const struct link_options *opt, store_t *store, uint32_t node,
                 const sign_key_t *key);
void link_destroy(link_t **p);

/* What the node does with what its parent says besides the protocol's own replies: a session
 * opened (the WELCOME, with the mode the parent wants), and a bundle sent down (unverified: the
 * node checks it against its publisher key). */
struct link_hooks {
    void (*session)(void *arg, const struct proto_welcome *w);
    void (*bundle)(void *arg, const void *doc, size_t len, const void *sig, size_t sig_len);
    /* a DECIDE: a closing decided above for an alert at or below this node (desk.h) */
    void (*decision)(void *arg, const void *record, size_t len);
    void *arg;
    /* a record of this node's own taken back after a restore, in the transaction that stores it:
     * what the node derives from it (ids, alerts, the desk); NULL stores the records only */
    spool_adopt_fn restored;
};
void link_set_hooks(link_t *l, const struct link_hooks *hooks);

/* Signs with another key from now on (a rotation): every batch sent after this, backlog
 * included, and a new session opened with it. The key is borrowed like the first. */
void link_set_key(link_t *l, const sign_key_t *key, const sign_curve_t *curve);

/* Speaks CurveZMQ to the parent whose transport key is server_key, as `curve` (borrowed; a
 * rotation replaces it through link_set_key). Without this the link is plain ZeroMQ. */
void link_set_curve(link_t *l, const uint8_t server_key[SIGN_CURVE_BYTES],
                    const sign_curve_t *curve);

/* The parent's transport keys to try, in order (transport.h): a HELLO that goes unanswered moves
 * the next connection on to the next key; the key in use stays in use. At most
 * LINK_SERVER_KEYS_MAX; none changes nothing. */
#define LINK_SERVER_KEYS_MAX 4
void link_set_server_keys(link_t *l, const uint8_t keys[][SIGN_CURVE_BYTES], size_t n);

/* Registers with the daemon's loop and starts connecting. */
int link_attach(link_t *l, zloop_t *loop) __attribute__((warn_unused_result));

/* New batches were sealed: send what the window allows. */
void link_kick(link_t *l);

/* Timers: heartbeats, timeouts, reconnects, pruning acknowledged batches. Call often (≤ 50 ms).
 * now_ms is on the monotonic clock (timestamp_mono_ms), never the wall clock. */
void link_tick(link_t *l, int64_t now_ms);

/* The parent's wall clock as its last PING said it, this node's wall clock and monotonic clock
 * when it arrived; false until a parent has pinged. (skew.h compares the clocks.) */
bool link_parent_clock(const link_t *l, int64_t *parent_wall_ms, int64_t *own_wall_ms,
                       int64_t *mono_ms);

void link_status(const link_t *l, struct link_status *st);
const char *link_state_name(enum link_state s);

#endif
