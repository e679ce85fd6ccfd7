/* sign: the one door to libsodium. Ed25519 keys and signatures, BLAKE2b-256 hashes.
 *
 * Every signature is over a domain-separated digest: Ed25519(sk, domain || BLAKE2b-256(msg)),
 * with a distinct NUL-terminated domain per kind of document (SIGN_DOMAIN_*), so a signature made
 * for one kind can never be replayed as another. Secret keys live in sodium_malloc'd memory that
 * is wiped on destroy, and never leave this module.
 *
 * Key files are one line of text: `jiancha-ed25519-public NODE HEX` (.pub) and
 * `jiancha-ed25519-secret NODE HEX` (.secret, mode 0600; refused if group or others can read it).
 */
#ifndef JIANCHA_SIGN_H
#define JIANCHA_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define SIGN_PUBLIC_BYTES 32
#define SIGN_CURVE_BYTES 32 /* X25519 keys for CurveZMQ */
#define SIGN_SIGNATURE_BYTES 64
#define SIGN_HASH_BYTES 32
#define SIGN_KEY_ID_LEN 16 /* hex digits of the first 8 bytes of BLAKE2b-256(public key) */
#define SIGN_DOMAIN_BATCH "jiancha/batch/v1"
#define SIGN_DOMAIN_HELLO "jiancha/hello/v1"
#define SIGN_DOMAIN_BUNDLE "jiancha/bundle/v1"
#define SIGN_DOMAIN_OPERATOR "jiancha/operator/v1" /* an operator's request to a node */
#define SIGN_DOMAIN_APPROVAL "jiancha/approval/v1" /* an approval to export, delete or correct */

typedef struct sign_key sign_key_t;

/* Initialises libsodium; call once before anything else here. */
int sign_init(void) __attribute__((warn_unused_result));

/* Generates a keypair for `node` and writes DIR/NODE.pub and DIR/NODE.secret (0600). Refuses to
 * overwrite an existing secret (ERR_EXISTS). */
int sign_keypair_write(const char *node, const char *dir) __attribute__((warn_unused_result));

/* A fresh keypair in memory (secret in sodium_malloc'd memory, wiped when destroyed), and saving
 * one as DIR/NAME.secret (0600, never over an existing one) and DIR/NAME.pub for `node`. */
sign_key_t *sign_key_generate(void);
int sign_key_save(const sign_key_t *k, const char *node, const char *dir, const char *name)
    __attribute__((warn_unused_result));

/* An X25519 transport keypair for CurveZMQ: DIR/NAME.curve-secret (0600) and NAME.curve-pub;
 * pk receives the public key. */
int sign_curve_keypair_write(const char *node, const char *dir, const char *name,
                             uint8_t pk[SIGN_CURVE_BYTES]) __attribute__((warn_unused_result));
int sign_curve_public_load(const char *path, uint8_t pk[SIGN_CURVE_BYTES], char *node_out)
    __attribute__((warn_unused_result));

/* A loaded X25519 transport keypair; the secret lives in guarded memory, wiped when destroyed.
 * ERR_KEY_PERMS for a secret file others may read. */
typedef struct sign_curve sign_curve_t;
int sign_curve_load(const char *path, sign_curve_t **out, char *node_out)
    __attribute__((warn_unused_result));
void sign_curve_destroy(sign_curve_t **p);
const uint8_t *sign_curve_public(const sign_curve_t *c);
const uint8_t *sign_curve_secret(const sign_curve_t *c);

/* Loads a secret key file; ERR_KEY_PERMS if group or others may read it, ERR_INVALID if it is not
 * a key file. The node named in the file is copied to node_out (7 bytes) when non-NULL. */
int sign_key_load(const char *path, sign_key_t **out, char *node_out)
    __attribute__((warn_unused_result));
void sign_key_destroy(sign_key_t **p);
const uint8_t *sign_key_public(const sign_key_t *k);

/* Loads a public key file; node_out as above. */
int sign_public_load(const char *path, uint8_t pk[SIGN_PUBLIC_BYTES], char *node_out)
    __attribute__((warn_unused_result));

/* Key id: hex of the first 8 bytes of BLAKE2b-256(pk), NUL-terminated. */
void sign_key_id(const uint8_t pk[SIGN_PUBLIC_BYTES], char out[SIGN_KEY_ID_LEN + 1]);

void sign_hash(const void *data, size_t len, uint8_t out[SIGN_HASH_BYTES]);
/* The same hash over pieces: init, update with each, final (libsodium's state, held here so a
 * caller needs no allocation and no libsodium header). */
struct sign_hasher {
    _Alignas(64) unsigned char state[384];
};
void sign_hash_init(struct sign_hasher *h);
void sign_hash_update(struct sign_hasher *h, const void *data, size_t len);
void sign_hash_final(struct sign_hasher *h, uint8_t out[SIGN_HASH_BYTES]);
/* len bytes of a deterministic stream keyed by seed: the same seed gives the same bytes on every
 * machine (libsodium's randombytes_buf_deterministic), for draws that must be reproducible. */
void sign_stream(const uint8_t seed[SIGN_HASH_BYTES], void *out, size_t len);

/* Signs domain || BLAKE2b-256(msg). */
void sign_detached(const sign_key_t *k, const char *domain, const void *msg, size_t len,
                   uint8_t sig[SIGN_SIGNATURE_BYTES]);
int sign_verify(const uint8_t pk[SIGN_PUBLIC_BYTES], const char *domain, const void *msg,
                size_t len, const uint8_t sig[SIGN_SIGNATURE_BYTES])
    __attribute__((warn_unused_result));
/* Signs domain || digest for a digest the caller built (at most SIGN_DIGEST_MAX bytes). */
#define SIGN_DIGEST_MAX 96
void sign_detached_digest(const sign_key_t *k, const char *domain, const void *digest,
                          size_t len, uint8_t sig[SIGN_SIGNATURE_BYTES]);
int sign_verify_digest(const uint8_t pk[SIGN_PUBLIC_BYTES], const char *domain,
                       const void *digest, size_t len, const uint8_t sig[SIGN_SIGNATURE_BYTES])
    __attribute__((warn_unused_result));

/* len unpredictable bytes (session tokens, request ids). */
void sign_random(void *out, size_t len);

/* URL-safe base64 without padding (RFC 4648 §5), for documents carried in a URL: the encoding is
 * malloc'd; decoding writes at most cap bytes and their count, ERR_INVALID for bad text or too
 * much of it. */
char *sign_to_base64url(const void *bin, size_t len);
int sign_from_base64url(const char *text, size_t text_len, void *bin, size_t cap, size_t *len)
    __attribute__((warn_unused_result));

/* Hex helpers (lowercase); hex_out must hold 2*len+1. 0 or ERR_INVALID. */
void sign_to_hex(const void *bin, size_t len, char *hex_out);
int sign_from_hex(const char *hex, size_t hex_len, void *bin, size_t bin_len)
    __attribute__((warn_unused_result));

#endif
