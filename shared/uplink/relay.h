/* relay: an aggregator taking a bundle, from the publisher or from its parent, before it passes
 * it on to its children.
 *
 * relay_take() checks the publisher (by its certificate when the ingest's trust is a certificate
 * trust, learning the bundle's chain into it; else by the bare key) and the body; puts certificates and revocation
 * lists in force in the ingest's keyring first (a child that switches to a new key when its parent
 * sends the certificate can count on every tier above accepting it; a revocation counts here
 * before it goes on); and keeps the bundle if it is newer than the one held, with a
 * bundle.applied record in the node's own log when it forwards. The daemon then sends a taken
 * bundle to its children and acts on its kind (cuts off sessions a list revokes, rotates its own
 * key when a set certifies its next one).
 */
#ifndef JIANCHA_RELAY_H
#define JIANCHA_RELAY_H

#include "bundle.h"
#include "err.h"
#include "ingest.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

struct relay {
    ingest_t *ingest;
    store_t *store;
    uint32_t node;
    bool forwards;                /* keeps acknowledgements in its own log for its parent */
    const uint8_t *publisher_pk;  /* a bare key; NULL: only a certified publisher */
};

struct relay_result {
    struct bundle bundle; /* borrows from the document */
    bool taken;           /* newer than the one held: pass it on */
    bool revoked;         /* a newer revocation list came in force: check the sessions */
};

/* 0 with the result; ERR_EXISTS for a bundle not newer than the one held; another error with why
 * for a bundle refused (signature, body, a list from an unknown issuer, storage). */
int relay_take(const struct relay *r, const void *doc, size_t len, const void *sig,
               size_t sig_len, int64_t now_ms, struct relay_result *res, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

#endif
