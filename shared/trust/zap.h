/* zap: the ZeroMQ authentication handler (ZAP, RFC 27) for CurveZMQ links.
 *
 * An aggregator's listening socket is a CURVE server; libzmq asks the handler about every client
 * that completes the CURVE handshake. The handler answers from the daemon's own state (the admit
 * callback: is this transport key in a valid, unrevoked certificate of an expected child?), so a
 * revocation or a new certificate counts from the next connection on. An admitted connection
 * carries the node code as its User-Id, which the daemon checks against the node its HELLO names.
 * Clients that do not speak CURVE never reach the handler: the handshake fails (the daemon's
 * socket monitor logs it).
 */
#ifndef JIANCHA_ZAP_H
#define JIANCHA_ZAP_H

#include "err.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#define ZAP_DOMAIN "jiancha"
#define ZAP_KEY_BYTES 32

/* Admit the client whose CURVE public key is `key`? On yes, user_id receives its node code; on no,
 * why receives the reason (logged by the handler). */
typedef bool (*zap_admit_fn)(void *arg, const uint8_t key[ZAP_KEY_BYTES], char user_id[16],
                             char why[ERR_WHY_MAX]);

typedef struct zap zap_t;

/* Binds the handler in this process's ZeroMQ context and serves it from the loop. */
int zap_start(zloop_t *loop, zap_admit_fn admit, void *arg, zap_t **out)
    __attribute__((warn_unused_result));
void zap_stop(zap_t **p);

/* Logs connections to `sock` that fail the CurveZMQ handshake (a client without CURVE never
 * reaches the handler), at most once per 10 s with a count of the rest. */
int zap_watch(zap_t *z, zsock_t *sock) __attribute__((warn_unused_result));

/* Makes a socket a CURVE server with this X25519 secret key, its clients judged by the handler. */
void zap_curve_server(zsock_t *sock, const uint8_t secret[ZAP_KEY_BYTES]);
/* Makes a socket a CURVE client of the server with that public key. */
void zap_curve_client(zsock_t *sock, const uint8_t server_public[ZAP_KEY_BYTES],
                      const uint8_t public_key[ZAP_KEY_BYTES],
                      const uint8_t secret[ZAP_KEY_BYTES]);

/* The parent's transport public key from its certificate (NODE.SERIAL.cert) or its NAME.curve-pub
 * file. 0, or an error with why. */
int zap_server_key_load(const char *path, uint8_t key[ZAP_KEY_BYTES], char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

/* The node a CURVE-authenticated message came from (its User-Id), or NULL on a plain socket. */
const char *zap_user_of(zframe_t *frame);

#endif
