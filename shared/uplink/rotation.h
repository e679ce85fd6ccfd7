/* rotation: a node's signing key and its successor, and when the successor takes over.
 *
 * A node rotating its key holds both: the key in force and the next generation's (made by
 * `jiancha keys request --current …`, or by the node itself for an unattended renewal). It
 * switches when its parent sends it a certificate set (a `certs` bundle) certifying a newer
 * generation: a parent passes a set on only after putting it in
 * force itself, and sets travel down from the province, so every tier above already accepts the
 * new key. From then every send is signed with it, backlog included. At start the set held from
 * an earlier run decides, so a restart never goes back to the old key.
 */
#ifndef JIANCHA_ROTATION_H
#define JIANCHA_ROTATION_H

#include "link.h"
#include "sign.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct rotation rotation_t;

/* Loads the key in force and, if next_path is not empty, its successor; both must be the node's.
 * ERR_* with why naming the file. */
int rotation_open(const char *node, const char *key_path, const char *next_path,
                  rotation_t **out, char *why, size_t why_len) __attribute__((warn_unused_result));
void rotation_destroy(rotation_t **p);

/* Also takes the keys this node made itself for a renewal (NODE.gN.secret in dir, the node's
 * keys directory under its data): the held set decides which is in force (rotation_resume).
 * ERR_* with why naming the file. */
int rotation_adopt(rotation_t *r, const char *dir, char *why, size_t why_len)
    __attribute__((warn_unused_result));

/* The key to sign with now (borrowed; valid until rotation_destroy). */
const sign_key_t *rotation_key(const rotation_t *r);
/* The transport key made with it (NAME.curve-secret beside NAME.secret), or NULL if none: it
 * switches with the signing key. Borrowed like the key. */
const sign_curve_t *rotation_curve(const rotation_t *r);

/* The key generation of the candidate whose transport key is pk (0 when none is). */
uint32_t rotation_curve_gen(const rotation_t *r, const uint8_t pk[SIGN_CURVE_BYTES]);

/* When server_key_path is not empty (the parent's certificate or NAME.curve-pub), the link
 * speaks CurveZMQ to the parent with the transport key in force. 0, or an error with why (no
 * transport key beside the signing key, an unreadable server key). */
int rotation_attach(rotation_t *r, link_t *link, const char *server_key_path, char *why,
                    size_t why_len) __attribute__((warn_unused_result));

/* On CurveZMQ (after rotation_attach): hands the link the parent's transport keys to try, from
 * the certificate set the store holds and the configured one (transport.h). Call at start and
 * after each certificate set. 0 or a storage error. */
int rotation_server_keys(const rotation_t *r, link_t *link, store_t *store, uint32_t parent,
                         int64_t now_ms) __attribute__((warn_unused_result));

/* A certificate set from the parent: true if it certifies the next key, which is in force from
 * now (rotation_key changes). */
bool rotation_consider(rotation_t *r, const void *certs, size_t len);

/* Unattended renewal (keynote.h): once the certificate of the key in force ends within
 * ROTATION_RENEW_DAYS days, makes the next generation's keys in dir (unless they are held) and
 * appends a key.request record signed by them and by the key in force to the node's log, sealed at
 * once; asks once per generation (the store remembers). The node switches when a set certifies
 * the new key. *sealed: batches sealed. Call about once a minute. */
#define ROTATION_RENEW_DAYS 30
int rotation_renew(rotation_t *r, store_t *store, const char *dir, int64_t now_ms,
                   uint32_t seal_at, uint64_t *sealed) __attribute__((warn_unused_result));

/* At start: the set held in the store (from an earlier run) decides which key is in force. */
int rotation_resume(rotation_t *r, store_t *store) __attribute__((warn_unused_result));

/* The certificate of the key in force, found in the certificate set the store holds (the
 * province's certs bundle; of several for the key, a renewal, the one ending last): when it ends
 * and its key generation. ERR_NOT_FOUND when none is held
 * for it (development keys, or no set received yet). */
int rotation_certificate(const rotation_t *r, store_t *store, int64_t *not_after_ms,
                         uint32_t *key_gen) __attribute__((warn_unused_result));

/* When the certificate of another node (this node's parent) ends, by the set the store holds: of
 * its certificates, the one ending last. ERR_NOT_FOUND when the set holds none. */
int rotation_node_certificate(store_t *store, uint32_t node, int64_t *not_after_ms)
    __attribute__((warn_unused_result));

/* Judges cert.expiring (expiry.h) for the certificate of the key in force and the parent's (the
 * division code above this node's), by the set the store holds; a change is sealed at once. A
 * node `certified` (on certificates: a collector with bundle/root, an aggregator with a trust
 * directory) whose own certificate is in no set it holds says its end is unknown.
 * *next_ms: when to judge again (at most a minute on: a renewal comes as a new set). */
int rotation_check_expiry(const rotation_t *r, store_t *store, uint32_t node, bool certified,
                          int64_t now_ms, uint32_t seal_at, int64_t *next_ms, uint64_t *sealed)
    __attribute__((warn_unused_result));

#endif
