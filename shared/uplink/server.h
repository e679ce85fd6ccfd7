/* server: the uplink protocol's parent side (docs/protocol.md), run by every aggregator; the child
 * side is link.h.
 *
 * A server owns the ROUTER socket children connect to (plain, or CurveZMQ with a ZAP handler that
 * admits the transport keys of valid certificates) and the table of sessions: a session is a
 * routing id that said HELLO for a known child (ingest_hello), and is forgotten after
 * session_timeout_ms without a message. It answers each message of the protocol:
 * - HELLO: WELCOME with the child's position and mode, then every bundle held here and the
 *   decisions still open below the child; or REFUSE with the reason;
 * - BATCH: the batches of one wakeup go to ingest_batches as one group commit, and only then is
 *   each answered ACK or NACK (ingest.h);
 * - PING: PONG echoing its time; without a session, NACK hello-first (the child talks to a
 *   previous run of this aggregator and must say HELLO again);
 * - BUNDLE from the publisher: handed to the owner's publish hook, answered ACK or NACK;
 * - FETCH from a child restored from a backup: its own batches back, as RETURN messages.
 * Sessions are bounded per node (SERVER_SESSIONS_PER_NODE: a fifth connection drops the node's
 * quietest) and in all (max_sessions: a HELLO past it is refused).
 *
 * What a bundle or a decision means to the node is the owner's business: the server only moves
 * them (server_send_bundle, server_send_decisions), and asks the owner through hooks.
 */
#ifndef JIANCHA_SERVER_H
#define JIANCHA_SERVER_H

#include "err.h"
#include "ingest.h"
#include "sign.h"
#include "store.h"

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERVER_SESSIONS_PER_NODE 4 /* connections one node may hold in session at once */
#define SERVER_DRAIN_MAX 256       /* messages handled per wakeup, and so per group commit */
#define SERVER_ROLLUP_MAX 256      /* children that may be told to send alerts and counters only */

struct server_options {
    const char *endpoint;          /* where to bind, e.g. tcp://127.0.0.1:7100 (port * allowed) */
    uint32_t node;                 /* this aggregator, named in every WELCOME */
    int64_t heartbeat_ms;          /* PING an idle session this often */
    int64_t session_timeout_ms;    /* forget a session silent this long */
    size_t max_sessions;           /* sessions at once */
    uint64_t max_batch_bytes;      /* the socket refuses messages past this (and a margin) */
    const uint32_t *rollup_only;   /* children whose WELCOME says alerts-and-counters (copied) */
    size_t n_rollup_only;          /* at most SERVER_ROLLUP_MAX */
    const sign_curve_t *curve;     /* this node's transport key (borrowed); NULL = plain */
    const uint8_t *publisher_curve; /* the publisher's transport key (copied); NULL = none */
};

struct server_hooks {
    /* A publisher's BUNDLE: 0 with *version the version now held, or an error with why
     * (ERR_EXISTS: not newer; ERR_BAD_SIGNATURE; anything else: malformed). */
    int (*publish)(void *arg, const void *doc, size_t len, const void *sig, size_t sig_len,
                   int64_t now_ms, uint64_t *version, char why[ERR_WHY_MAX]);
    /* The decisions to send one child: call send(send_arg, record, len) for each. */
    int (*decisions)(void *arg, uint32_t node, void (*send)(void *, const void *, size_t),
                     void *send_arg);
    /* A group of batches was committed (rc 0) or failed (the rc of ingest_batches). */
    void (*stored)(void *arg, int rc);
    void *arg;
};

struct server_stats {
    size_t sessions;
    uint64_t batches; /* received in well-formed BATCH messages within a session */
    uint64_t acks, nacks;
    bool fatal; /* the store can no longer be trusted: the loop was stopped */
};

typedef struct server server_t;

/* Binds and registers with the loop; ingest and store are borrowed and must outlive it. On
 * failure *out is NULL and why says what (the endpoint, the key). */
int server_open(const struct server_options *opt, const struct server_hooks *hooks,
                ingest_t *ingest, store_t *store, zloop_t *loop, server_t **out,
                char why[ERR_WHY_MAX]) __attribute__((warn_unused_result));
void server_destroy(server_t **p);

/* The endpoint actually bound (a port of * resolved); valid while the server lives. */
const char *server_endpoint(const server_t *s);

/* Serves a new transport key (borrowed) on the same endpoint, for a rotation (transport.h): the
 * listener is bound again, which closes the sessions open on the old key; their children
 * reconnect. 0, or ERR_STATE (not on CurveZMQ) / ERR_NET with why. */
int server_set_curve(server_t *s, const sign_curve_t *curve, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

/* Heartbeats and session expiry; mono_ms on the monotonic clock, now_ms the wall clock the
 * PINGs carry (children compare clocks with it). Call often (≤ 50 ms). */
void server_tick(server_t *s, int64_t now_ms, int64_t mono_ms);

/* Sessions whose HELLO key is no longer valid (after a revocation) are told so with REFUSE and
 * forgotten: their next message gets hello-first, and their HELLO is refused with the reason. */
void server_cut_off_revoked(server_t *s, int64_t now_ms);

/* A bundle to every child in session (each also gets every bundle held at its next HELLO). */
void server_send_bundle(server_t *s, const void *doc, size_t len, const void *sig,
                        size_t sig_len);

/* The decisions hook's records to every child in session. */
void server_send_decisions(server_t *s);

void server_stats(const server_t *s, struct server_stats *st);

#endif
