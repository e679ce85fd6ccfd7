/* sign: libsodium behind a small interface. Nothing else in the tree includes <sodium.h>. */
#include "sign.h"

#include "err.h"
#include "file.h"
#include "log.h"
#include "mem.h"
#include "node.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PUBLIC_TAG "jiancha-ed25519-public"
#define SECRET_TAG "jiancha-ed25519-secret"
#define CURVE_PUBLIC_TAG "jiancha-x25519-public"
#define CURVE_SECRET_TAG "jiancha-x25519-secret"

struct sign_key {
    uint8_t *sk; /* sodium_malloc'd, crypto_sign_SECRETKEYBYTES */
    uint8_t pk[SIGN_PUBLIC_BYTES];
};

int
sign_init(void)
{
    return sodium_init() < 0 ? ERR_STATE : 0;
}

void
sign_to_hex(const void *bin, size_t len, char *hex_out)
{
    sodium_bin2hex(hex_out, 2 * len + 1, bin, len);
}

int
sign_from_hex(const char *hex, size_t hex_len, void *bin, size_t bin_len)
{
    size_t got = 0;
    const char *end;
    if (sodium_hex2bin(bin, bin_len, hex, hex_len, NULL, &got, &end) != 0 || got != bin_len ||
        end != hex + hex_len)
        return ERR_INVALID;
    return 0;
}

void
sign_key_id(const uint8_t pk[SIGN_PUBLIC_BYTES], char out[SIGN_KEY_ID_LEN + 1])
{
    uint8_t h[SIGN_HASH_BYTES];
    sign_hash(pk, SIGN_PUBLIC_BYTES, h);
    sign_to_hex(h, SIGN_KEY_ID_LEN / 2, out);
}

void
sign_hash(const void *data, size_t len, uint8_t out[SIGN_HASH_BYTES])
{
    crypto_generichash(out, SIGN_HASH_BYTES, data, len, NULL, 0);
}

_Static_assert(sizeof(crypto_generichash_state) <= sizeof(((struct sign_hasher *)0)->state),
               "sign_hasher holds libsodium's BLAKE2b state");

void
sign_hash_init(struct sign_hasher *h)
{
    crypto_generichash_init((crypto_generichash_state *)(void *)h->state, NULL, 0,
                            SIGN_HASH_BYTES);
}

void
sign_hash_update(struct sign_hasher *h, const void *data, size_t len)
{
    crypto_generichash_update((crypto_generichash_state *)(void *)h->state, data, len);
}

void
sign_hash_final(struct sign_hasher *h, uint8_t out[SIGN_HASH_BYTES])
{
    crypto_generichash_final((crypto_generichash_state *)(void *)h->state, out, SIGN_HASH_BYTES);
}

/* The signed message: the domain with its NUL (so no domain is a prefix of another's message),
 * then the digest. */
static size_t
framed(const char *domain, const void *digest, size_t len, uint8_t *out)
{
    size_t dlen = strlen(domain) + 1;
    assert(dlen <= 32 && len <= SIGN_DIGEST_MAX);
    memcpy(out, domain, dlen);
    memcpy(out + dlen, digest, len);
    return dlen + len;
}

void
sign_detached_digest(const sign_key_t *k, const char *domain, const void *digest, size_t len,
                     uint8_t sig[SIGN_SIGNATURE_BYTES])
{
    uint8_t m[32 + SIGN_DIGEST_MAX];
    size_t mlen = framed(domain, digest, len, m);
    crypto_sign_detached(sig, NULL, m, mlen, k->sk);
}

int
sign_verify_digest(const uint8_t pk[SIGN_PUBLIC_BYTES], const char *domain, const void *digest,
                   size_t len, const uint8_t sig[SIGN_SIGNATURE_BYTES])
{
    uint8_t m[32 + SIGN_DIGEST_MAX];
    size_t mlen = framed(domain, digest, len, m);
    return crypto_sign_verify_detached(sig, m, mlen, pk) == 0 ? 0 : ERR_BAD_SIGNATURE;
}

void
sign_detached(const sign_key_t *k, const char *domain, const void *msg, size_t len,
              uint8_t sig[SIGN_SIGNATURE_BYTES])
{
    uint8_t h[SIGN_HASH_BYTES];
    sign_hash(msg, len, h);
    sign_detached_digest(k, domain, h, sizeof h, sig);
}

int
sign_verify(const uint8_t pk[SIGN_PUBLIC_BYTES], const char *domain, const void *msg, size_t len,
            const uint8_t sig[SIGN_SIGNATURE_BYTES])
{
    uint8_t h[SIGN_HASH_BYTES];
    sign_hash(msg, len, h);
    return sign_verify_digest(pk, domain, h, sizeof h, sig);
}

static int
write_file(const char *path, const char *text, mode_t mode, int extra_flags)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | extra_flags, mode);
    if (fd < 0)
        return errno == EEXIST ? ERR_EXISTS : ERR_IO;
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    int rc = (w == (ssize_t)len && fsync(fd) == 0) ? 0 : ERR_IO;
    if (close(fd) != 0)
        rc = ERR_IO;
    return rc;
}


static int read_key_file(const char *path, const char *tag, uint8_t *bin, size_t bin_len,
                         char *node_out, bool secret);

/* Writes NAME.secret (0600, never over an existing one) and NAME.pub ("TAG NODE HEX" lines). */
static int
write_pair(const char *dir, const char *name, const char *node, const char *secret_tag,
           const uint8_t *sk, size_t sk_len, const char *public_tag, const uint8_t *pk,
           size_t pk_len, const char *secret_ext, const char *public_ext)
{
    if (node_valid(node, strlen(node)) != 0)
        return ERR_INVALID;
    if (file_make_dirs(dir) != 0)
        return ERR_IO;
    char *line = sodium_malloc(256);
    char *hex = sodium_malloc(2 * 64 + 1);
    if (!line || !hex)
        abort();
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, secret_ext);
    sign_to_hex(sk, sk_len, hex);
    snprintf(line, 256, "%s %s %s\n", secret_tag, node, hex);
    int rc = write_file(path, line, 0600, O_EXCL);
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/%s.%s", dir, name, public_ext);
        sign_to_hex(pk, pk_len, hex);
        snprintf(line, 256, "%s %s %s\n", public_tag, node, hex);
        rc = write_file(path, line, 0644, 0);
    }
    sodium_free(hex);
    sodium_free(line);
    return rc;
}

sign_key_t *
sign_key_generate(void)
{
    sign_key_t *k = xcalloc(1, sizeof *k);
    k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    if (!k->sk)
        abort();
    crypto_sign_keypair(k->pk, k->sk);
    return k;
}

int
sign_key_save(const sign_key_t *k, const char *node, const char *dir, const char *name)
{
    return write_pair(dir, name, node, SECRET_TAG, k->sk, crypto_sign_SECRETKEYBYTES, PUBLIC_TAG,
                      k->pk, SIGN_PUBLIC_BYTES, "secret", "pub");
}

int
sign_keypair_write(const char *node, const char *dir)
{
    if (node_valid(node, strlen(node)) != 0)
        return ERR_INVALID;
    sign_key_t *k = sign_key_generate();
    int rc = sign_key_save(k, node, dir, node);
    sign_key_destroy(&k);
    return rc;
}

int
sign_curve_keypair_write(const char *node, const char *dir, const char *name,
                         uint8_t pk[SIGN_CURVE_BYTES])
{
    uint8_t *sk = sodium_malloc(crypto_box_SECRETKEYBYTES);
    if (!sk)
        abort();
    crypto_box_keypair(pk, sk);
    int rc = write_pair(dir, name, node, CURVE_SECRET_TAG, sk, crypto_box_SECRETKEYBYTES,
                        CURVE_PUBLIC_TAG, pk, SIGN_CURVE_BYTES, "curve-secret", "curve-pub");
    sodium_free(sk);
    return rc;
}

int
sign_curve_public_load(const char *path, uint8_t pk[SIGN_CURVE_BYTES], char *node_out)
{
    return read_key_file(path, CURVE_PUBLIC_TAG, pk, SIGN_CURVE_BYTES, node_out, false);
}

struct sign_curve {
    uint8_t *sk; /* sodium_malloc'd */
    uint8_t pk[SIGN_CURVE_BYTES];
};

int
sign_curve_load(const char *path, sign_curve_t **out, char *node_out)
{
    sign_curve_t *c = xcalloc(1, sizeof *c);
    c->sk = sodium_malloc(crypto_box_SECRETKEYBYTES);
    if (!c->sk)
        abort();
    int rc = read_key_file(path, CURVE_SECRET_TAG, c->sk, crypto_box_SECRETKEYBYTES, node_out,
                           true);
    if (rc == 0)
        crypto_scalarmult_base(c->pk, c->sk);
    if (rc != 0) {
        sign_curve_destroy(&c);
        return rc;
    }
    *out = c;
    return 0;
}

void
sign_curve_destroy(sign_curve_t **p)
{
    if (!*p)
        return;
    sodium_free((*p)->sk);
    free(*p);
    *p = NULL;
}

const uint8_t *
sign_curve_public(const sign_curve_t *c)
{
    return c->pk;
}

const uint8_t *
sign_curve_secret(const sign_curve_t *c)
{
    return c->sk;
}

/* Reads "TAG NODE HEX\n" into bin; the line buffer is wiped because it may hold a secret. */
static int
read_key_file(const char *path, const char *tag, uint8_t *bin, size_t bin_len, char *node_out,
              bool secret)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return errno == ENOENT ? ERR_NOT_FOUND : errno == EACCES ? ERR_ACCESS : ERR_IO;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return ERR_IO;
    }
    if (secret && (st.st_mode & 077)) {
        close(fd);
        log_error("sign: refusing secret key path=%s mode=%03o: %s (chmod 600)", path,
                  (unsigned)(st.st_mode & 0777), err_str(ERR_KEY_PERMS));
        return ERR_KEY_PERMS;
    }
    char *buf = sodium_malloc(512);
    if (!buf)
        abort();
    ssize_t n = read(fd, buf, 511);
    close(fd);
    int rc = ERR_INVALID;
    size_t tlen = strlen(tag);
    if (n > 0) {
        buf[n] = '\0';
        size_t len = (size_t)n;
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            len--;
        /* Layout: tag, space, 6-digit node, space, hex. */
        if (len == tlen + 1 + NODE_LEN + 1 + 2 * bin_len && memcmp(buf, tag, tlen) == 0 &&
            buf[tlen] == ' ' && buf[tlen + 1 + NODE_LEN] == ' ' &&
            node_valid(buf + tlen + 1, NODE_LEN) == 0) {
            rc = sign_from_hex(buf + tlen + 2 + NODE_LEN, 2 * bin_len, bin, bin_len);
            if (rc == 0 && node_out) {
                memcpy(node_out, buf + tlen + 1, NODE_LEN);
                node_out[NODE_LEN] = '\0';
            }
        }
    }
    sodium_free(buf);
    return rc;
}

int
sign_key_load(const char *path, sign_key_t **out, char *node_out)
{
    sign_key_t *k = xcalloc(1, sizeof *k);
    k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    if (!k->sk)
        abort();
    int rc = read_key_file(path, SECRET_TAG, k->sk, crypto_sign_SECRETKEYBYTES, node_out, true);
    if (rc == 0)
        crypto_sign_ed25519_sk_to_pk(k->pk, k->sk);
    if (rc != 0) {
        sign_key_destroy(&k);
        return rc;
    }
    *out = k;
    return 0;
}

void
sign_key_destroy(sign_key_t **p)
{
    if (!*p)
        return;
    sodium_free((*p)->sk); /* wipes before freeing */
    free(*p);
    *p = NULL;
}

const uint8_t *
sign_key_public(const sign_key_t *k)
{
    return k->pk;
}

int
sign_public_load(const char *path, uint8_t pk[SIGN_PUBLIC_BYTES], char *node_out)
{
    return read_key_file(path, PUBLIC_TAG, pk, SIGN_PUBLIC_BYTES, node_out, false);
}

void
sign_stream(const uint8_t seed[SIGN_HASH_BYTES], void *out, size_t len)
{
    _Static_assert(SIGN_HASH_BYTES == randombytes_SEEDBYTES, "a hash is a stream seed");
    randombytes_buf_deterministic(out, len, seed);
}

void
sign_random(void *out, size_t len)
{
    randombytes_buf(out, len);
}

char *
sign_to_base64url(const void *bin, size_t len)
{
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = xmalloc(cap);
    sodium_bin2base64(out, cap, bin, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

int
sign_from_base64url(const char *text, size_t text_len, void *bin, size_t cap, size_t *len)
{
    const char *end = NULL;
    if (sodium_base642bin(bin, cap, text, text_len, NULL, len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        end != text + text_len)
        return ERR_INVALID;
    return 0;
}
