/* transport: which CurveZMQ keys a link uses while an aggregator's transport key rotates
 * (docs/trust.md, "Transport keys rotate").
 *
 * libzmq's CURVE server takes one long-term secret key per listening socket, and children know
 * one endpoint, so a parent cannot serve two keys at once. Instead the rotation is ordered:
 *   1. the parent's next certificate (its next signing and transport keys) comes down in a
 *      certificate set; the parent passes the set on to its children and keeps serving its
 *      current transport key;
 *   2. each child that takes the set learns the parent's keys from it (transport_server_keys):
 *      when it connects it tries them newest first, and on a handshake that does not answer the
 *      next one, so it reaches the parent whichever key it serves;
 *   3. the parent switches its listening socket to the next key only once every expected child
 *      has acknowledged a set at least as new as the one it holds (transport_children_ready), so
 *      no child is left knowing only a key that is no longer served.
 * Sessions open at the switch are closed by it (libzmq drops a listener's connections when it is
 * unbound); their children reconnect at once with the key they learned.
 */
#ifndef JIANCHA_TRANSPORT_H
#define JIANCHA_TRANSPORT_H

#include "sign.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRANSPORT_KEYS_MAX 4

/* The transport keys of `parent`'s certificates in the set the store holds that are valid at
 * now_ms, newest key generation first, then `configured` (the uplink/server_key) if it is not
 * among them; *n of them in keys. 0 (with *n possibly 0) or a storage error. */
int transport_server_keys(store_t *store, uint32_t parent, const uint8_t *configured,
                          int64_t now_ms, uint8_t keys[TRANSPORT_KEYS_MAX][SIGN_CURVE_BYTES],
                          size_t *n) __attribute__((warn_unused_result));

/* Has every child of `children` acknowledged (bundle.applied) a certificate set at least as new
 * as the one this node holds? *ready says; *lagging names the first that has not (0 when ready).
 * With no set held, ready. 0 or a storage error. */
int transport_children_ready(store_t *store, const uint32_t *children, size_t n, bool *ready,
                             uint32_t *lagging) __attribute__((warn_unused_result));

/* Tells the tree that `node` serves its listener with the transport key (public pk) of generation
 * gen: a key.transport record (keynote.h) in its own log, sealed at once, unless the store says
 * this generation was told already. *sealed: batches sealed. */
int transport_report(store_t *store, uint32_t node, uint32_t gen, const uint8_t pk[SIGN_CURVE_BYTES],
                     int64_t now_ms, uint32_t seal_at, uint64_t *sealed)
    __attribute__((warn_unused_result));

#endif
