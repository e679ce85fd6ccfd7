/* batch: the signed unit that travels up the tree.
 *
 * A batch is a header (msgpack map), a payload (a stream of msgpack records), the id of the key
 * that signed it and an Ed25519 signature. The header carries the payload's BLAKE2b-256 hash; the
 * signature covers domain SIGN_DOMAIN_BATCH, the header hash and the key id, so one signature
 * covers everything. The batch hash (BLAKE2b-256 of the header bytes) chains each batch to the one
 * before it. The key id is signed but kept out of the header so that a batch sealed under one key
 * can be signed again under its successor without breaking the chain. docs/protocol.md has the
 * layout.
 *
 * Payload records are msgpack arrays [seq, kind, record-bytes]: `seq` is the origin node's record
 * sequence (contiguous from header.first to header.last), `kind` says what the record is
 * (BATCH_KIND_EVENT) and record-bytes is the canonical record as a msgpack bin.
 */
#ifndef JIANCHA_BATCH_H
#define JIANCHA_BATCH_H

#include "sign.h"
#include "wire.h"

#include <stdint.h>

#define BATCH_VERSION 1
#define BATCH_KIND_EVENT 1
#define BATCH_HEADER_MAX 1024 /* a valid header is under 300 bytes */

struct batch_header {
    uint32_t version;
    char node[7];
    uint64_t seq;                   /* batch sequence, from 1, no gaps */
    uint8_t prev[SIGN_HASH_BYTES];  /* hash of the previous batch; zeros for seq 1 */
    uint64_t first, last;           /* record sequences covered */
    uint32_t count;                 /* last - first + 1 */
    int64_t created_ms;
    uint8_t payload_hash[SIGN_HASH_BYTES];
    uint64_t payload_bytes;
    /* what a rollup-only link carries up (every record but the business events, as
     * batch_rollup_payload writes them): its hash, so the top tier checks the alerts and counter
     * sheets it gets through a rollup-only carrier against the origin's own signature (optional:
     * headers sealed before it have none) */
    bool has_rollup;
    uint8_t rollup_hash[SIGN_HASH_BYTES];
};

void batch_header_encode(const struct batch_header *h, struct wire_buf *out);
/* Strict decode: every field present with its type; ERR_DECODE naming nothing else. */
int batch_header_decode(const void *data, size_t len, struct batch_header *h)
    __attribute__((warn_unused_result));
void batch_hash(const void *header, size_t len, uint8_t out[SIGN_HASH_BYTES]);

void batch_payload_add(struct wire_buf *payload, uint64_t seq, unsigned kind, const void *record,
                       size_t len);

/* The records of a payload that a rollup-only link carries: every element whose record is not a
 * business event (event.h), its bytes as they stand in the payload, in order: a payload of their
 * own. batch_rollup_hash is its hash, computed without copying (what a header's rollup_hash is). */
void batch_rollup_payload(const void *payload, size_t len, struct wire_buf *out);
void batch_rollup_hash(const void *payload, size_t len, uint8_t out[SIGN_HASH_BYTES]);

/* Checks the payload against the header: size, hash, count and contiguous sequences, and the
 * rollup hash when the header has one. Then batch_payload_next walks it. 0 or ERR_BAD_HASH /
 * ERR_DECODE. */
int batch_payload_check(const struct batch_header *h, const void *payload, size_t len)
    __attribute__((warn_unused_result));
/* For a filtered copy of a payload (a parent that wants only rollups, see ingest.h): records in
 * ascending sequence within the header's bounds, and exactly the records the header's rollup hash
 * commits to (ERR_BAD_HASH otherwise). A header without a rollup hash vouches for no subset: the
 * records are then vouched for by the carrier's batch only. 0, ERR_BAD_HASH or ERR_DECODE. */
int batch_payload_check_subset(const struct batch_header *h, const void *payload, size_t len)
    __attribute__((warn_unused_result));
/* Next record from a reader over the payload: 0, ERR_NOT_FOUND at the end, ERR_DECODE. The
 * record bytes are borrowed from the payload. */
int batch_payload_next(wire_reader_t *r, uint64_t *seq, unsigned *kind, const void **record,
                       size_t *len) __attribute__((warn_unused_result));

/* Signs header bytes with `key`; key_id receives the signing key's id. */
void batch_sign(const struct sign_key *key, const void *header, size_t len,
                char key_id[SIGN_KEY_ID_LEN + 1], uint8_t sig[SIGN_SIGNATURE_BYTES]);
/* Verifies against pk, whose id must equal key_id: 0 or ERR_BAD_SIGNATURE. */
int batch_verify(const uint8_t pk[SIGN_PUBLIC_BYTES], const void *header, size_t len,
                 const char *key_id, size_t key_id_len, const uint8_t sig[SIGN_SIGNATURE_BYTES])
    __attribute__((warn_unused_result));

#endif
