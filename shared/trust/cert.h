/* cert: jiancha's small PKI, libsodium only. docs/trust.md specifies every document.
 *
 * An offline root key certifies an issuer key; the issuer signs node certificates and revocation
 * lists. Every document is a msgpack map signed under a domain of its own and kept as one msgpack
 * array [domain, document (bin), [[key id, signature], …]]:
 *   root     {v, version, key, not_after, issued_at}            "jiancha/root/v1": version 1 by
 *            its own key; version N+1 by the key of N and by its own (a node walks the chain)
 *   issuer   {v, serial, key, not_before, not_after, root}      "jiancha/issuer/v1": by the root
 *   node     {v, serial, node, tier, parent, sign_pk, curve_pk, key_gen, not_before, not_after,
 *            issued_at, issuer}                                 "jiancha/nodecert/v1": by the issuer
 *   publisher the same fields, tier "publisher", parent ""       "jiancha/publisher/v1": by the
 *            issuer: the key may sign the bundles sent down the tree (bundle.h)
 *   crl      {v, version, issued_at, next_update, issuer, revoked: [[serial, node, reason, at,
 *            since], …]}                                         "jiancha/crl/v1": by the issuer
 *   request  {v, node, tier, parent, sign_pk, curve_pk, key_gen, at}
 *                                                               "jiancha/request/v1": by the new
 *            key, and by the node's current key when it rotates
 * A trust directory holds root.N.jc, issuer.SERIAL.jc, NODE.SERIAL.cert, publisher.SERIAL.jc and
 * crl.jc; cert_trust
 * loads it (walking the root chain from version 1) and judges certificates against it.
 */
#ifndef JIANCHA_CERT_H
#define JIANCHA_CERT_H

#include "err.h"
#include "sign.h"
#include "wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CERT_DOMAIN_ROOT "jiancha/root/v1"
#define CERT_DOMAIN_ISSUER "jiancha/issuer/v1"
#define CERT_DOMAIN_NODE "jiancha/nodecert/v1"
#define CERT_DOMAIN_PUBLISHER "jiancha/publisher/v1"
#define CERT_DOMAIN_CRL "jiancha/crl/v1"
#define CERT_DOMAIN_REQUEST "jiancha/request/v1"

#define CERT_KEY_BYTES 32
#define CERT_SIGS_MAX 4

struct cert_root {
    uint64_t version;
    uint8_t key[CERT_KEY_BYTES];
    int64_t not_after, issued_at;
};

struct cert_issuer {
    uint64_t serial;
    uint8_t key[CERT_KEY_BYTES];
    int64_t not_before, not_after;
    uint64_t root; /* the root version that certified it */
};

struct cert_node {
    uint64_t serial;
    char node[7];
    char tier[12];  /* "county", "city", "province": must match the division code */
    char parent[7]; /* the aggregator it reports to; "" for the province */
    uint8_t sign_pk[CERT_KEY_BYTES];
    uint8_t curve_pk[CERT_KEY_BYTES];
    uint32_t key_gen;
    int64_t not_before, not_after, issued_at;
    uint64_t issuer;
    char key_id[SIGN_KEY_ID_LEN + 1]; /* of sign_pk, filled on decode */
};

struct cert_revoked {
    uint64_t serial;
    char node[7];
    char reason[16]; /* "superseded" or "compromised" */
    int64_t at;      /* revoked from */
    int64_t since;   /* compromised: batches accepted from this instant are suspect; else 0 */
};

struct cert_crl {
    uint64_t version;
    int64_t issued_at, next_update;
    uint64_t issuer;
    struct cert_revoked *revoked; /* owned */
    size_t n_revoked;
};

struct cert_request {
    char node[7];
    char tier[12];
    char parent[7];
    uint8_t sign_pk[CERT_KEY_BYTES];
    uint8_t curve_pk[CERT_KEY_BYTES];
    uint32_t key_gen;
    int64_t at;
    bool rotation; /* signed by the node's current key too */
};

/* The tier a division code names: 51xxyy county, 51xx00 city, 510000 province. */
const char *cert_tier_of(const char *node);

/* Signing: each writes the signed file bytes (the array above) into out. `prev` signs a root
 * version > 1 together with its own key; `old` signs a rotation request with the new key. */
void cert_make_root(const struct cert_root *r, const sign_key_t *own, const sign_key_t *prev,
                    struct wire_buf *out);
void cert_make_issuer(const struct cert_issuer *i, const sign_key_t *root, struct wire_buf *out);
void cert_make_node(const struct cert_node *n, const sign_key_t *issuer, struct wire_buf *out);
void cert_make_publisher(const struct cert_node *n, const sign_key_t *issuer, struct wire_buf *out);
void cert_make_crl(const struct cert_crl *c, const sign_key_t *issuer, struct wire_buf *out);
void cert_make_request(const struct cert_request *q, const sign_key_t *new_key,
                       const sign_key_t *old_key, struct wire_buf *out);

/* Reading without trust: decodes a signed file of the given domain (signatures not checked).
 * 0 or ERR_DECODE with why. */
int cert_read_root(const void *file, size_t len, struct cert_root *r, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));
int cert_read_issuer(const void *file, size_t len, struct cert_issuer *i, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));
int cert_read_node(const void *file, size_t len, struct cert_node *n, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));
int cert_read_publisher(const void *file, size_t len, struct cert_node *n, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));
int cert_read_crl(const void *file, size_t len, struct cert_crl *c, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));
void cert_crl_fini(struct cert_crl *c);

/* The CERT_DOMAIN_* a signed file names (a static string), or NULL when it is none of them. */
const char *cert_domain_of(const void *file, size_t len);

/* A request checked against its own key (and, for a rotation, the key of `current`, the node's
 * certificate in force): 0, ERR_BAD_SIGNATURE or ERR_DECODE with why. */
int cert_check_request(const void *file, size_t len, const struct cert_node *current,
                       struct cert_request *q, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

/* A certificate set (the body of a `certs` bundle): a msgpack array of node certificate files.
 * cert_set_each calls fn with each file (borrowed) until fn returns non-zero; ERR_DECODE if the
 * body is not such an array or a file does not read as a certificate. */
typedef int (*cert_set_fn)(void *arg, const void *file, size_t len, const struct cert_node *n);
int cert_set_each(const void *body, size_t len, cert_set_fn fn, void *arg)
    __attribute__((warn_unused_result));

/* The hex fingerprint administrators compare out of band: BLAKE2b-256 of the signed file. */
void cert_fingerprint(const void *file, size_t len, char out[65]);

typedef struct cert_trust cert_trust_t;

/* Loads a trust directory: walks root.1.jc, root.2.jc … (each version signed by its predecessor),
 * then the issuers the newest root certified, the node certificates those issuers signed, and the
 * CRL. Documents that do not verify are left out, each reason logged. ERR_NOT_FOUND without
 * root.1.jc. */
int cert_trust_load(const char *dir, cert_trust_t **out, char *why, size_t why_len)
    __attribute__((warn_unused_result));
void cert_trust_destroy(cert_trust_t **p);

/* A trust in memory that starts from an anchor alone (root version 1, its file bytes): what a
 * collector holds to judge the publisher (bundle.h); documents are added as bundles bring them.
 * ERR_DECODE, ERR_INVALID (not version 1) or ERR_BAD_SIGNATURE (not signed by its own key). */
int cert_trust_from_anchor(const void *root1, size_t len, cert_trust_t **out, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

/* The same from the anchor's file (root.1.jc); why names the file. */
int cert_trust_anchor_load(const char *path, cert_trust_t **out, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

/* Adding documents as they arrive (chains in bundles, sets), each checked as loading would: a root
 * version must be the next after the newest held and signed by it and by its own key; an issuer
 * must be signed by a root version held; a publisher certificate by an issuer held. 0 when added,
 * ERR_EXISTS when held already (the same root version, issuer or certificate), another error with
 * why when refused. */
int cert_trust_add_root(cert_trust_t *t, const void *file, size_t len, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));
int cert_trust_add_issuer(cert_trust_t *t, const void *file, size_t len, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));
int cert_trust_add_publisher(cert_trust_t *t, const void *file, size_t len, struct cert_node *n,
                             char why[ERR_WHY_MAX]) __attribute__((warn_unused_result));

/* Judges a publisher certificate as of now_ms: held (so signed by a known issuer), its issuer and
 * itself valid then, not revoked. 0 or an error with why, as cert_trust_judge. */
int cert_trust_judge_publisher(const cert_trust_t *t, const struct cert_node *p, int64_t now_ms,
                               char why[ERR_WHY_MAX]) __attribute__((warn_unused_result));

/* The issuers held (borrowed until the next change). */
const struct cert_issuer *cert_trust_issuers(const cert_trust_t *t, size_t *n);

/* The publisher certificates held (borrowed until the next change). */
const struct cert_node *cert_trust_publishers(const cert_trust_t *t, size_t *n);

/* Whether the trust vouches for a certificate at all, whatever the time: signed by a known issuer
 * and its tier matching its code. 0, ERR_BAD_SIGNATURE or ERR_INVALID with why. */
int cert_trust_vouches(const cert_trust_t *t, const struct cert_node *n, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

/* Judges a certificate as of now_ms: issued by a known issuer valid then, inside its own
 * validity, tier matching its code, not revoked (as of `revoked_as_of`, normally now: a batch a
 * tier accepted before a revocation is judged as of that acceptance). 0, or an error with why:
 * ERR_BAD_SIGNATURE (unknown issuer or bad signature), ERR_INVALID (expired, not yet valid, tier),
 * ERR_STATE (revoked). */
int cert_trust_judge(const cert_trust_t *t, const struct cert_node *n, int64_t now_ms,
                     int64_t revoked_as_of, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

/* Adds a node certificate (file bytes) to the trust in memory, as loading it from the directory
 * would; *n receives it decoded. ERR_DECODE with why when it does not read. Judge it after. */
int cert_trust_add_node(cert_trust_t *t, const void *file, size_t len, struct cert_node *n,
                        char why[ERR_WHY_MAX]) __attribute__((warn_unused_result));

/* The certificates the trust holds (valid or not), for listing and for loading keys. */
const struct cert_node *cert_trust_nodes(const cert_trust_t *t, size_t *n);
const struct cert_crl *cert_trust_crl(const cert_trust_t *t);
const struct cert_root *cert_trust_root(const cert_trust_t *t);
/* The revocation of a serial, or NULL. */
const struct cert_revoked *cert_trust_revocation(const cert_trust_t *t, uint64_t serial);

/* Puts a newer CRL in force (signed by a known issuer); an older or equal version is refused
 * with ERR_EXISTS. The caller persists the file. */
int cert_trust_apply_crl(cert_trust_t *t, const void *file, size_t len, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

#endif
