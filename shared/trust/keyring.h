/* keyring: the keys an aggregator accepts, per node, and from when to when.
 *
 * Loaded from a trust directory (cert.h: every certificate the trust holds gives its node a key,
 * kept with the reason when the trust does not vouch for it) or, for development, from bare
 * NODE.pub files (one key per node, valid always, for any parent). A node may hold up to
 * KEYRING_KEYS_MAX key generations at once (rotation overlap). New certificates and revocation
 * lists are put in force here and written to the directory.
 */
#ifndef JIANCHA_KEYRING_H
#define JIANCHA_KEYRING_H

#include "cert.h"
#include "err.h"
#include "sign.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYRING_KEYS_MAX 4

/* One key a node may sign with. */
struct keyring_key {
    uint8_t pk[SIGN_PUBLIC_BYTES];
    uint8_t curve_pk[SIGN_CURVE_BYTES]; /* its transport key (zeros for bare keys) */
    char key_id[SIGN_KEY_ID_LEN + 1];
    uint64_t serial;               /* its certificate; 0 for a bare key file */
    uint32_t key_gen;
    int64_t not_before, not_after; /* the certificate's validity */
    int64_t revoked_at;            /* INT64_MAX unless revoked */
    char reason[16];               /* of the revocation */
    char parent[7];                /* the node it reports to; "" = any (bare keys) */
    char refused[120];             /* why the trust does not vouch for it ("" if it does) */
};

typedef struct keyring keyring_t;

/* Loads a directory (trust directory if it holds root.1.jc, else bare NODE.pub files).
 * ERR_CONFIG with the reason logged. */
int keyring_load(const char *dir, keyring_t **out) __attribute__((warn_unused_result));
void keyring_destroy(keyring_t **p);

/* The nodes that have keys, in no order (borrowed until the next change). */
const uint32_t *keyring_nodes(const keyring_t *k, size_t *n);

/* The key of `node` with this id, if it was valid at `as_of`: NULL with why (unknown key,
 * expired, not yet valid, revoked, not vouched for). */
const struct keyring_key *keyring_find(const keyring_t *k, uint32_t node, const char *key_id,
                                       size_t key_id_len, int64_t as_of, char why[ERR_WHY_MAX]);

/* The ZAP question for aggregator `self`: is this transport key that of a certificate valid now
 * naming `self` its parent? Then user_id receives the node's code; or of a publisher certificate
 * valid now? Then user_id is "publisher" (it may hand over bundles only). Else why says why not. */
bool keyring_admit(const keyring_t *k, uint32_t self, const uint8_t key[SIGN_CURVE_BYTES],
                   int64_t now_ms, char user_id[16], char why[ERR_WHY_MAX]);

/* The trust behind the keys (borrowed), or NULL with bare keys. */
cert_trust_t *keyring_trust(keyring_t *k);

/* A bundle_learned_fn (bundle.h) with the keyring as arg: writes a document a bundle's chain
 * taught the trust (a root version, an issuer, a publisher certificate) to the directory. */
void keyring_learned(void *arg, const char *name, const void *file, size_t len);

/* Adds a certificate (file bytes) the trust vouches for and writes it to the directory; *added
 * says whether it was new. ERR_STATE with bare keys. */
int keyring_add_certificate(keyring_t *k, const void *file, size_t len, bool *added,
                            char why[ERR_WHY_MAX]) __attribute__((warn_unused_result));

/* Puts a newer revocation list in force (ERR_EXISTS for one not newer) and writes it to the
 * directory. ERR_STATE with bare keys. */
int keyring_apply_crl(keyring_t *k, const void *file, size_t len, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

/* Calls fn for every key revoked as compromised, with its revocation. */
typedef int (*keyring_compromised_fn)(void *arg, uint32_t node, const struct keyring_key *key,
                                      const struct cert_revoked *r);
int keyring_each_compromised(const keyring_t *k, keyring_compromised_fn fn, void *arg)
    __attribute__((warn_unused_result));

#endif
