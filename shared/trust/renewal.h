/* renewal: a node's request for its next certificate, travelling up the tree as a record (issue
 * 16; docs/trust.md "Unattended renewal").
 *
 * A node whose certificate nears its end makes its next keys itself and appends a record
 *   {type "key.request", id "keyreq/NODE/gN", at, node, gen, request}
 * to its own log, `request` being the signed request file (cert.h: signed by the new key and by the
 * key in force). It goes up signed in the node's batches like every record; each tier checks it
 * and keeps it per node and generation, so the province's administrator lists the requests
 * (`jiancha keys pending`) and approves one (`jiancha keys approve`, which issues the certificate
 * and sends the set down). The node switches when the set certifies its new key (rotation.h).
 */
#ifndef JIANCHA_RENEWAL_H
#define JIANCHA_RENEWAL_H

#include "err.h"
#include "store.h"
#include "wire.h"

#include <stddef.h>
#include <stdint.h>

#define RENEWAL_RECORD "key.request"

/* The record for a request file (bytes copied) of `node`'s key generation gen, made at `at`. */
void renewal_record(const char *node, uint32_t gen, const void *request, size_t len, int64_t at,
                    struct wire_buf *out);

/* Checks a decoded key.request record from `node`: its request reads, is signed by the key it
 * asks to certify, and names that node and generation. 0, or ERR_INVALID with the field and why. */
int renewal_check(const wire_obj_t *m, const char *node, char field[32], char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

/* Keeps a checked record that arrived from `origin` (a record held for that node and generation
 * is replaced: a node that made its keys again asks again). */
int renewal_note(store_txn_t *t, uint32_t origin, const wire_obj_t *m)
    __attribute__((warn_unused_result));

/* One request held; request borrowed for the call. */
struct renewal {
    uint32_t node;
    uint32_t gen;
    int64_t at;
    const void *request;
    size_t len;
};
typedef int (*renewal_fn)(void *arg, const struct renewal *r);

/* Calls fn for each request held, by node and generation, until fn returns non-zero. */
int renewal_each(store_txn_t *t, renewal_fn fn, void *arg) __attribute__((warn_unused_result));

#endif
