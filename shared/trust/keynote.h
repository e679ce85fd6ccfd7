/* keynote: what a node tells the tree about its keys, as records in its own log (issue 16;
 * docs/trust.md "Unattended renewal", "Transport keys rotate", "The administrator's view").
 *
 *   key.request    {type, id "keyreq/NODE/gN", at, node, gen, request}: a node whose certificate
 *                  nears its end made its next keys itself; `request` is the signed request file
 *                  (cert.h: signed by the new key and by the key in force). The province's
 *                  administrator lists the requests (`jiancha keys pending`) and approves one
 *                  (`jiancha keys approve`, which issues the certificate and sends the set down);
 *                  the node switches when the set certifies its new key (rotation.h).
 *   key.transport  {type, id "keytransport/NODE/gN", at, node, gen, curve_pk}: an aggregator
 *                  serves its listening socket with the transport key of generation gen from now
 *                  (transport.h), so the province can show which key each parent serves.
 * They go up signed in the node's batches like every record; each tier checks them and keeps the
 * newest per node (per node and generation for requests) in the bundles table.
 */
#ifndef JIANCHA_KEYNOTE_H
#define JIANCHA_KEYNOTE_H

#include "err.h"
#include "store.h"
#include "wire.h"

#include <stddef.h>
#include <stdint.h>

#define KEYNOTE_REQUEST "key.request"

/* The record for a request file (bytes copied) of `node`'s key generation gen, made at `at`. */
void keynote_request(const char *node, uint32_t gen, const void *request, size_t len, int64_t at,
                    struct wire_buf *out);

/* Checks a decoded key.request record from `node`: its request reads, is signed by the key it
 * asks to certify, and names that node and generation. 0, or ERR_INVALID with the field and why. */
int keynote_check(const wire_obj_t *m, const char *node, char field[32], char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

/* Keeps a checked record that arrived from `origin` (a record held for that node and generation
 * is replaced: a node that made its keys again asks again). */
int keynote_note(store_txn_t *t, uint32_t origin, const wire_obj_t *m)
    __attribute__((warn_unused_result));

#define KEYNOTE_TRANSPORT "key.transport"

/* The record of an aggregator serving the transport key (public curve_pk) of generation gen. */
void keynote_transport(const char *node, uint32_t gen, const uint8_t curve_pk[32], int64_t at,
                       struct wire_buf *out);

/* Checks a decoded key.transport record from `node`. 0, or ERR_INVALID with the field and why. */
int keynote_check_transport(const wire_obj_t *m, const char *node, char field[32],
                            char why[ERR_WHY_MAX]) __attribute__((warn_unused_result));

/* Keeps a checked key.transport record that arrived from `origin`: the newest generation wins. */
int keynote_note_transport(store_txn_t *t, uint32_t origin, const wire_obj_t *m)
    __attribute__((warn_unused_result));

/* The transport key generation `node` reported serving; ERR_NOT_FOUND when it never did. */
int keynote_served(store_txn_t *t, uint32_t node, uint32_t *gen)
    __attribute__((warn_unused_result));

/* Keeps a record this node made itself (either type), as its parent will: the province and a
 * node's own `jiancha keys status` see it too. */
int keynote_note_own(store_txn_t *t, uint32_t node, const void *rec, size_t len)
    __attribute__((warn_unused_result));

/* One request held; request borrowed for the call. */
struct keynote_request {
    uint32_t node;
    uint32_t gen;
    int64_t at;
    const void *request;
    size_t len;
};
typedef int (*keynote_request_fn)(void *arg, const struct keynote_request *r);

/* Calls fn for each request held, by node and generation, until fn returns non-zero. */
int keynote_each_request(store_txn_t *t, keynote_request_fn fn, void *arg) __attribute__((warn_unused_result));

#endif
