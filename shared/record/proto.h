/* proto: the uplink protocol's messages (docs/protocol.md).
 *
 * Every message is a ZeroMQ multipart message whose first frame is the command name in ASCII.
 *   HELLO   [body][sig]                child -> parent, opens a session (signed by the child)
 *   WELCOME [body]                     parent -> child, states the last batch durably stored
 *   REFUSE  [body]                     parent -> child, the session is refused (unknown node …)
 *   BATCH   [header][payload][key][sig] child -> parent
 *   ACK     [body]                     parent -> child, every batch up to seq is stored
 *   NACK    [body]                     parent -> child, one batch refused, with a code
 *   PING / PONG [body]                 either way, liveness
 *   BUNDLE  [document][sig]            parent -> child down the tree, and a publisher -> the
 *                                      province; signed by the publisher (bundle.h)
 *   DECIDE  [record]                   parent -> child, a closing decided above (desk.h)
 *   FETCH   [body]                     child -> parent, a node restored from a backup asks for
 *                                      its own batches the parent holds (from..to)
 *   RETURN  [header][payload][key][sig] parent -> child, one of them, as the child signed it
 * Bodies are msgpack maps; this module encodes and decodes them and nothing else.
 */
#ifndef JIANCHA_PROTO_H
#define JIANCHA_PROTO_H

#include "sign.h"
#include "wire.h"

#include <stdbool.h>
#include <stdint.h>

#define PROTO_VERSION 1

enum proto_cmd {
    PROTO_HELLO,
    PROTO_WELCOME,
    PROTO_REFUSE,
    PROTO_BATCH,
    PROTO_ACK,
    PROTO_NACK,
    PROTO_PING,
    PROTO_PONG,
    PROTO_BUNDLE,
    PROTO_DECIDE, /* parent -> child: [record] a closing decided above for an alert below */
    PROTO_FETCH,  /* child -> parent: [body] its own batches from..to, after a restore */
    PROTO_RETURN, /* parent -> child: [header][payload][key][sig] one of them */
    PROTO_CMDS_
};

/* Link modes: a parent wants every record of the tiers below (`all`), or only what it needs for
 * its lights and scores (`alerts-and-counters`: the business events of spec §3 stay below). */
#define PROTO_MODE_ALL "all"
#define PROTO_MODE_ROLLUP "alerts-and-counters"

/* NACK codes. Permanent ones park the batch at the sender; the others are retried. */
#define PROTO_NACK_GAP "gap"                     /* expected another seq; resend from `expected` */
#define PROTO_NACK_HELLO_FIRST "hello-first"     /* no session: say HELLO again */
#define PROTO_NACK_BUSY "busy"                   /* parent cannot store now (disk full) */
#define PROTO_NACK_BAD_SIGNATURE "bad-signature" /* permanent */
#define PROTO_NACK_BROKEN_CHAIN "broken-chain"   /* permanent */
#define PROTO_NACK_CONFLICT "conflict"           /* permanent: seq reused with other content */
#define PROTO_NACK_MALFORMED "malformed"         /* permanent */
#define PROTO_NACK_STALE "stale"                 /* a bundle not newer than the one held */

const char *proto_cmd_name(enum proto_cmd cmd);
/* 0 and *cmd set, or ERR_DECODE for an unknown command frame. */
int proto_cmd_parse(const void *frame, size_t len, enum proto_cmd *cmd)
    __attribute__((warn_unused_result));

struct proto_hello {
    uint32_t version;
    char node[7];
    char key_id[SIGN_KEY_ID_LEN + 1];
    int64_t sent_ms; /* the child's clock, for skew measurement */
};

struct proto_welcome {
    uint32_t version;
    char node[7];      /* the parent */
    char mode[24];     /* what the parent wants carried up from below: PROTO_MODE_* */
    uint64_t last_seq; /* last batch durably stored from the child, 0 if none */
    uint8_t last_hash[SIGN_HASH_BYTES];
};

struct proto_ack {
    uint64_t seq;
};

struct proto_nack {
    uint64_t seq;
    char code[24];
    char reason[160];
    bool permanent;
    uint64_t expected;
};

struct proto_refuse {
    char reason[160];
};

struct proto_ping {
    int64_t sent_ms; /* the sender's clock: the receiver measures skew from it */
    uint64_t sealed; /* a child's last sealed batch (its backlog is sealed - acknowledged) */
    uint8_t sealed_hash[SIGN_HASH_BYTES]; /* and that batch's hash (zeros for none) */
    bool stated;     /* decoded: the sender stated `sealed` (children do, parents do not) */
};

void proto_hello_encode(const struct proto_hello *m, struct wire_buf *out);
/* A HELLO is signed over its body, so a parent never opens a session for a node whose key it does
 * not hold (and a child that reached the wrong parent is refused at once). */
void proto_hello_sign(const sign_key_t *key, const struct wire_buf *body,
                      uint8_t sig[SIGN_SIGNATURE_BYTES]);
int proto_hello_verify(const uint8_t pk[SIGN_PUBLIC_BYTES], const void *body, size_t len,
                       const void *sig, size_t sig_len) __attribute__((warn_unused_result));
int proto_hello_decode(const void *data, size_t len, struct proto_hello *m)
    __attribute__((warn_unused_result));
void proto_welcome_encode(const struct proto_welcome *m, struct wire_buf *out);
int proto_welcome_decode(const void *data, size_t len, struct proto_welcome *m)
    __attribute__((warn_unused_result));
/* FETCH: the batches of the asking node from `from` to `to` (inclusive) that the parent holds.
 * The parent answers with up to PROTO_FETCH_MAX RETURN messages in order, and nothing for a
 * batch it cannot give back whole. */
#define PROTO_FETCH_MAX 64
struct proto_fetch {
    uint64_t from, to;
};
void proto_fetch_encode(const struct proto_fetch *m, struct wire_buf *out);
int proto_fetch_decode(const void *data, size_t len, struct proto_fetch *m)
    __attribute__((warn_unused_result));
void proto_ack_encode(const struct proto_ack *m, struct wire_buf *out);
int proto_ack_decode(const void *data, size_t len, struct proto_ack *m)
    __attribute__((warn_unused_result));
void proto_nack_encode(const struct proto_nack *m, struct wire_buf *out);
int proto_nack_decode(const void *data, size_t len, struct proto_nack *m)
    __attribute__((warn_unused_result));
void proto_refuse_encode(const struct proto_refuse *m, struct wire_buf *out);
int proto_refuse_decode(const void *data, size_t len, struct proto_refuse *m)
    __attribute__((warn_unused_result));
void proto_ping_encode(const struct proto_ping *m, struct wire_buf *out);
int proto_ping_decode(const void *data, size_t len, struct proto_ping *m)
    __attribute__((warn_unused_result));

#endif
