/* bundle: signed, versioned documents the province sends down the tree (the catalogue, the
 * working-day calendar; revocation lists later).
 *
 * A bundle is a msgpack document {v, kind, version, published, publisher, body, chain} and an
 * Ed25519 signature over domain SIGN_DOMAIN_BUNDLE and the document's BLAKE2b-256 hash, made with
 * the publisher's key. `chain` (optional) carries what certifies that key: root versions after the
 * anchor, issuers, the certificates of other publishers (the next one, during a rotation's
 * overlap, so aggregators admit its transport key before it speaks) and last the signer's
 * publisher certificate (cert.h). A node with a trust (an
 * aggregator's trust directory, a collector's anchor) learns the chain's documents and takes the
 * bundle when the publisher's certificate is valid and the signature is its key's; a bundle
 * without a chain is checked against the bare key in the configuration (development, and nodes
 * not yet moved to a root). Then the body is checked as its kind requires (a catalogue that
 * parses and states the same version; a calendar that parses). A node keeps per kind only the newest version it has
 * seen: an older or equal one changes nothing, so a bundle can be sent again at every session
 * without harm. Applying a version appends a `bundle.applied` record {kind, version} to the
 * node's spool, which travels up signed like every record; each tier notes it, so the province
 * can list the version every node runs (bundle_each_version).
 */
#ifndef JIANCHA_BUNDLE_H
#define JIANCHA_BUNDLE_H

#include "cert.h"
#include "err.h"
#include "roster.h"
#include "sign.h"
#include "store.h"
#include "wire.h"

#include <stdbool.h>
#include <stdint.h>

#define BUNDLE_KIND_MAX 16

/* What a bundle says; body is borrowed from the document it was opened from. */
struct bundle {
    char kind[BUNDLE_KIND_MAX];
    uint64_t version;
    int64_t published_ms;
    char publisher[7];
    const void *body;
    size_t body_len;
    const void *chain; /* msgpack array of signed files, or NULL */
    size_t chain_len;
    /* set by bundle_open when a certificate vouched for the publisher */
    uint64_t publisher_serial;
    int64_t publisher_not_after;
};

/* Who may publish, as a node knows it: its trust (which learns the chains bundles carry; `learned`,
 * if set, is told of each new document with its name in a trust directory, "issuer.2.jc"), a bare
 * key, or both (a bundle with a chain is judged by the trust, one without by the key). */
typedef void (*bundle_learned_fn)(void *arg, const char *name, const void *file, size_t len);
struct bundle_trust {
    cert_trust_t *trust;
    const uint8_t *publisher_pk;
    bundle_learned_fn learned;
    void *arg;
};

/* The kinds known: "catalog", "calendar", "crl" (a revocation list, signed by the issuer too),
 * "certs" (the node certificates in force, each signed by the issuer too). */
bool bundle_kind_known(const char *kind);

/* Writes a signed document for `b` (its body and chain copied) into doc and sig. */
void bundle_make(const sign_key_t *key, const struct bundle *b, struct wire_buf *doc,
                 uint8_t sig[SIGN_SIGNATURE_BYTES]);

/* Verifies and decodes a received bundle, the publisher judged as of now_ms, and checks its body
 * for its kind: 0, or ERR_BAD_SIGNATURE (signature, publisher certificate not vouched for),
 * ERR_INVALID / ERR_STATE (certificate expired, revoked; body) or ERR_DECODE, with `why` saying
 * what is wrong. The returned bundle borrows from doc. */
int bundle_open(const struct bundle_trust *bt, const void *doc, size_t len, const void *sig,
                size_t sig_len, int64_t now_ms, struct bundle *b, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

/* Adds a chain's documents to bt->trust (a held bundle's, at start); *publisher receives the
 * signer's certificate, the last document. 0, or an error with why (a document refused, a chain
 * that does not end with a publisher certificate). */
int bundle_learn_chain(const struct bundle_trust *bt, const void *chain, size_t len,
                       struct cert_node *publisher, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

/* The publisher certificate a node depends on: of the signers' certificates of its held bundles,
 * the one ending last. ERR_NOT_FOUND when no held bundle carries one. */
int bundle_held_publisher(store_txn_t *t, struct cert_node *publisher)
    __attribute__((warn_unused_result));

/* Decodes a bundle document without checking its signature: for one held in the store, which was
 * verified when it was kept. 0 or ERR_DECODE. */
int bundle_peek(const void *doc, size_t len, struct bundle *b) __attribute__((warn_unused_result));

/* The version of a kind held here (0 if none), and optionally its document and signature. */
int bundle_held(store_txn_t *t, const char *kind, uint64_t *version, struct wire_buf *doc,
                struct wire_buf *sig) __attribute__((warn_unused_result));

/* The operators roster held in the store (the newest "operators" bundle, parsed); ERR_NOT_FOUND
 * when none is held, so access is not controlled (development). */
int bundle_held_roster(store_txn_t *t, roster_t **out) __attribute__((warn_unused_result));

/* Calls fn for each certificate of the certificate set the store holds (none when it holds no
 * set), in a read transaction of its own. 0, a storage error, or ERR_DECODE for a set that no
 * longer reads (or fn's non-zero). */
int bundle_held_certs(store_t *store, cert_set_fn fn, void *arg)
    __attribute__((warn_unused_result));

/* A received document whose version of its kind is not newer than the one held (*b peeked from
 * it): it changes nothing, so it need not be judged again (its publisher may have been revoked
 * since, which would only say so at every session). False for one that does not read, or when
 * the store cannot say: that one is judged as usual. */
bool bundle_not_newer(store_t *store, const void *doc, size_t len, struct bundle *b);

/* Keeps an opened bundle if it is newer than the one held (*taken says whether it was), notes
 * that `node` runs it and, when spool_node is not 0, appends a `bundle.applied` record to that
 * node's spool. */
int bundle_keep(store_txn_t *t, uint32_t node, uint32_t spool_node, const struct bundle *b,
                const void *doc, size_t len, const void *sig, size_t sig_len, int64_t now_ms,
                bool *taken) __attribute__((warn_unused_result));

/* Notes a decoded `bundle.applied` record for `origin`. */
int bundle_note_applied(store_txn_t *t, uint32_t origin, const wire_obj_t *record)
    __attribute__((warn_unused_result));

/* Calls fn for every (node, kind, version) noted here, in node order. */
typedef void (*bundle_version_fn)(void *arg, uint32_t node, const char *kind, uint64_t version);
int bundle_each_version(store_txn_t *t, bundle_version_fn fn, void *arg)
    __attribute__((warn_unused_result));

#endif
