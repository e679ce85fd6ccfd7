/* ingest: the receiving side of the uplink protocol, used by every aggregator.
 *
 * For each child node it knows the keys it may sign with (keyring.h: certificates under the
 * trust, or development NODE.pub files), the last batch durably stored, that batch's hash and
 * the last record sequence. ingest_batches() takes the batches a loop iteration received, checks
 * each (sizes, signature over the received header bytes, payload hash, sequence and chain)
 * before decoding its payload, then every record against its kind's schema (schema.h), stores
 * every good one with its effects at this tier (arrival.h) in ONE transaction (group commit) and
 * only then fills in the replies: ACK for stored and exact duplicates, NACK with a code for the
 * rest. On a storage failure nothing is acknowledged. One chain check (sequence, previous hash,
 * first record) judges a child's own batches and the batches it carries alike.
 *
 * Tiers: an aggregator that forwards appends every batch it accepts, unchanged and with the time
 * it accepted it, as a `batch` record (carry.h) to its own spool (in the same transaction), and
 * seals those into batches it signs for its parent. A receiving aggregator unpacks `batch` records: it checks
 * each inner batch against its origin node's key and that node's own sequence and chain, and
 * stores the origin's records under the origin node, so the province verifies a county's
 * signature itself and holds its events exactly once.
 */
#ifndef JIANCHA_INGEST_H
#define JIANCHA_INGEST_H

#include "bundle.h"
#include "err.h"
#include "keyring.h"
#include "proto.h"
#include "sign.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ingest_options {
    const char *keys_dir;     /* a trust directory (root.1.jc, issuers, node certificates, crl:
                                 cert.h), or for development NODE.pub files: the children's keys
                                 and, at upper tiers, those of every node whose batches come
                                 through them */
    uint32_t self_node;       /* this aggregator: its children's certificates name it parent */
    uint64_t max_batch_bytes; /* payloads above this are refused */
    uint32_t forward_node;    /* this node, when it forwards to a parent; 0 at the top tier */
    uint32_t forward_seal_at; /* child batches per batch sent up */
};

struct ingest_node {
    uint32_t node;
    /* persisted in the nodes table */
    uint64_t last_seq;
    uint8_t last_hash[SIGN_HASH_BYTES];
    uint64_t last_record;
    int64_t last_contact_ms;
    uint64_t batches;
    uint64_t records;
    uint64_t duplicates;
    uint64_t rejected;
    uint64_t repeated; /* records whose id the node had already sent: counted, not stored */
    /* in memory: since when the child's chain has not moved on because its batches were refused
     * (gap, broken chain, conflict, failed checks); 0 once a batch is accepted again */
    int64_t stuck_since_ms;
    uint64_t stuck_at_seq; /* the batch it should send next */
    /* from the child's heartbeats (persisted by ingest_save_contacts) */
    uint64_t sealed_seq; /* its last sealed batch: backlog = sealed_seq - last_seq */
    bool sealed_known;   /* it said so */
    bool diverged;       /* in memory: its heartbeat showed another history (see note_ping) */
    int64_t skew_ms;     /* its clock minus ours when its last heartbeat arrived */
};

/* One received batch: frames borrowed from the caller's message; reply filled by ingest. */
struct ingest_msg {
    uint32_t node; /* from the session's HELLO */
    const void *header, *payload, *key_id, *sig;
    size_t header_len, payload_len, key_id_len, sig_len;
    bool ack; /* reply: ACK (ack.seq) or NACK (nack) */
    struct proto_ack reply_ack;
    struct proto_nack reply_nack;
};

typedef struct ingest ingest_t;

int ingest_new(const struct ingest_options *opt, store_t *store, ingest_t **out)
    __attribute__((warn_unused_result));
void ingest_destroy(ingest_t **p);

/* Answers a HELLO (body and signature frames as received): 0 with the decoded HELLO and the
 * WELCOME to send, or an error with a reason for REFUSE (ERR_DECODE, ERR_UNKNOWN_NODE,
 * ERR_BAD_SIGNATURE, ERR_INVALID for a version). */
int ingest_hello(ingest_t *in, const void *body, size_t len, const void *sig, size_t sig_len,
                 int64_t now_ms, struct proto_hello *h, struct proto_welcome *w,
                 char reason[160]) __attribute__((warn_unused_result));

/* Processes n received batches in order; see the header comment. Returns 0, or the storage error
 * (then every reply is a NACK busy). */
int ingest_batches(ingest_t *in, struct ingest_msg *msgs, size_t n, int64_t now_ms)
    __attribute__((warn_unused_result));

/* What the parent wants carried up (its WELCOME's mode): with rollup, child batches go up as
 * their signed header and only the records that are not business events (alerts, counter sheets,
 * supervision actions, bundle acknowledgements); the parent checks the header's signature and
 * chain as usual. Kept in the store, so it holds across restarts until the parent says otherwise.
 * Applies to child batches accepted from now on. */
int ingest_set_rollup(ingest_t *in, bool rollup) __attribute__((warn_unused_result));

/* Batches sealed for the parent since the last call (the daemon kicks its uplink). */
uint64_t ingest_take_sealed(ingest_t *in);

/* Any message from a child counts as contact (kept in memory; persisted with its next batch). */
void ingest_touch(ingest_t *in, uint32_t node, int64_t now_ms);

/* The key of `node` with this id, if it was valid at `as_of` (a batch is judged as of when the
 * first tier accepted it): NULL with why (unknown key, expired, not yet valid, revoked). */
const struct keyring_key *ingest_key_for(const ingest_t *in, uint32_t node, const char *key_id,
                                        size_t key_id_len, int64_t as_of, char why[ERR_WHY_MAX]);

/* The ZAP question: is this CurveZMQ client key the transport key of a certificate valid now,
 * naming this node its parent? Then user_id receives the node's code; else why says why not. */
bool ingest_admit_transport(const ingest_t *in, const uint8_t key[SIGN_CURVE_BYTES],
                            int64_t now_ms, char user_id[16], char why[ERR_WHY_MAX]);

/* Who may publish bundles here: the trust behind the keys (learning documents into the trust
 * directory) and the bare publisher_pk (borrowed; may be NULL). */
struct bundle_trust ingest_bundle_trust(ingest_t *in, const uint8_t *publisher_pk);

/* Adds a node certificate sent down the tree (a new node, or a node's next key generation) if the
 * trust vouches for it, and writes it to the trust directory. 0, ERR_STATE without a trust
 * directory, or the trust's refusal with why. */
int ingest_add_certificate(ingest_t *in, const void *file, size_t len, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

/* Puts a newer revocation list (signed by a known issuer) in force at once, for new batches and
 * for sessions (the daemon cuts off those whose key it revokes), and writes it to the trust
 * directory. ERR_EXISTS for one not newer; ERR_STATE without a trust directory. */
int ingest_apply_crl(ingest_t *in, const void *file, size_t len, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

/* A heartbeat from a child: what it has sealed and its clock (sent_ms) against ours. A child
 * that says it sealed fewer batches than this tier holds from it, or whose batch at this tier's
 * last has another hash, has another history: a restored or cloned store, alarmed (node.clone)
 * when contacts are next saved. */
void ingest_note_ping(ingest_t *in, uint32_t node, const struct proto_ping *ping,
                      int64_t now_ms);

/* Persists every child's contact, backlog and skew that changed since it was last stored, so
 * `jiancha query nodes` shows them while no batch arrives. */
int ingest_save_contacts(ingest_t *in) __attribute__((warn_unused_result));

/* The known children, borrowed until the next ingest call. */
const struct ingest_node *ingest_nodes(const ingest_t *in, size_t *n);

/* Reads one child's persisted state from a store (also used by the CLI). 0 or ERR_NOT_FOUND. */
int ingest_node_load(store_txn_t *t, uint32_t node, struct ingest_node *st)
    __attribute__((warn_unused_result));

/* A batch of `node` as the node signed it, rebuilt from what this tier holds (its header, key id
 * and signature as received, and its records in order) for a node restored from a backup that
 * asks for its own batches back (proto.h FETCH). 0; ERR_NOT_FOUND when the batch is not held;
 * ERR_BAD_HASH when its records are not all held as they came (a rollup link, a repeated id). */
int ingest_batch_held(store_txn_t *t, uint32_t node, uint64_t seq, struct wire_buf *header,
                      struct wire_buf *payload, struct wire_buf *key_id, struct wire_buf *sig)
    __attribute__((warn_unused_result));

#endif
