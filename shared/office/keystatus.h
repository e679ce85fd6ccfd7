/* keystatus: the administrator's view of every node's keys (issue 16, `jiancha keys status`),
 * from what the tree reported to this node, not from the administrator's own files:
 *   - the key each node signs with: the key id of its last batch held here, matched to its
 *     certificate in the certificate set held here (serial, generation, end);
 *   - the transport key generation each aggregator reports serving (key.transport, keynote.h),
 *     and so the one each node's parent serves;
 *   - renewals asked for (key.request) and not yet certified by the set held;
 *   - the revocation list held, and whether a node's key in use is on it.
 * Rows come for every node the certificate set held names and every node that asked for a
 * renewal (development keys, in no set, are not listed).
 */
#ifndef JIANCHA_KEYSTATUS_H
#define JIANCHA_KEYSTATUS_H

#include "sign.h"
#include "store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct keystatus_row {
    uint32_t node;
    char key_id[SIGN_KEY_ID_LEN + 1]; /* of its last batch held here; "" when none */
    uint32_t key_gen;                 /* of that key's certificate; 0 when unknown */
    uint64_t serial;                  /* that certificate (the one ending last) */
    int64_t not_after;
    uint32_t newest_gen;       /* the newest generation the set certifies for it */
    uint32_t serves_gen;       /* the transport key generation it serves (0: none reported) */
    uint32_t parent_serves_gen; /* its parent's */
    uint32_t pending_gen;      /* a renewal asked and not yet certified (0: none) */
    char revoked[16];          /* the reason, when the certificate in use is revoked */
};

struct keystatus {
    struct keystatus_row *rows; /* owned; by node */
    size_t n;
    uint64_t crl_version; /* the revocation list held (0: none) */
    size_t crl_entries;
    uint64_t certs_version; /* the certificate set held (0: none) */
};

/* Reads it all within one read transaction. 0 or a storage error. */
int keystatus_read(store_txn_t *t, struct keystatus *out) __attribute__((warn_unused_result));
void keystatus_fini(struct keystatus *ks);

/* The view as JSON: {certs_version, crl_version, crl_entries, nodes: [row, …]} (new reference). */
json_t *keystatus_json(const struct keystatus *ks);

#endif
