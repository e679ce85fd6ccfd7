/* keyring: see keyring.h. */
#include "keyring.h"

#include "err.h"
#include "file.h"
#include "log.h"
#include "mem.h"
#include "node.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct entry {
    uint32_t node;
    struct keyring_key keys[KEYRING_KEYS_MAX];
    size_t n_keys;
};

struct keyring {
    char *dir;
    cert_trust_t *trust; /* NULL with bare keys */
    struct entry *entries;
    size_t n, cap;
    uint32_t *codes; /* keyring_nodes' answer */
};

static struct entry *
entry_of(const keyring_t *k, uint32_t node)
{
    for (size_t i = 0; i < k->n; i++)
        if (k->entries[i].node == node)
            return &k->entries[i];
    return NULL;
}

static struct entry *
entry_add(keyring_t *k, uint32_t node)
{
    struct entry *e = entry_of(k, node);
    if (e)
        return e;
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 16;
        k->entries = xrealloc(k->entries, k->cap * sizeof *k->entries);
        k->codes = xrealloc(k->codes, k->cap * sizeof *k->codes);
    }
    e = &k->entries[k->n];
    memset(e, 0, sizeof *e);
    e->node = node;
    k->codes[k->n++] = node;
    return e;
}

/* Past KEYRING_KEYS_MAX the oldest generation gives way. */
static void
add_key(struct entry *e, const struct keyring_key *key)
{
    size_t at = e->n_keys;
    if (at == KEYRING_KEYS_MAX) {
        at = 0;
        for (size_t i = 1; i < e->n_keys; i++)
            if (e->keys[i].key_gen < e->keys[at].key_gen)
                at = i;
        if (e->keys[at].key_gen > key->key_gen)
            return;
    } else {
        e->n_keys++;
    }
    e->keys[at] = *key;
}

static void
key_of_cert(const struct cert_node *c, struct keyring_key *key)
{
    memset(key, 0, sizeof *key);
    memcpy(key->pk, c->sign_pk, SIGN_PUBLIC_BYTES);
    memcpy(key->curve_pk, c->curve_pk, SIGN_CURVE_BYTES);
    memcpy(key->key_id, c->key_id, sizeof key->key_id);
    key->serial = c->serial;
    key->key_gen = c->key_gen;
    key->not_before = c->not_before;
    key->not_after = c->not_after;
    memcpy(key->parent, c->parent, sizeof key->parent);
}

static void
apply_revocations(keyring_t *k)
{
    for (size_t i = 0; i < k->n; i++)
        for (size_t j = 0; j < k->entries[i].n_keys; j++) {
            struct keyring_key *key = &k->entries[i].keys[j];
            const struct cert_revoked *r =
                key->serial ? cert_trust_revocation(k->trust, key->serial) : NULL;
            key->revoked_at = r ? r->at : INT64_MAX;
            snprintf(key->reason, sizeof key->reason, "%s", r ? r->reason : "");
        }
}

static int
load_certificates(keyring_t *k)
{
    char why[ERR_WHY_MAX];
    if (cert_trust_load(k->dir, &k->trust, why, sizeof why) != 0) {
        log_error("keyring: %s", why);
        return ERR_CONFIG;
    }
    size_t n;
    const struct cert_node *certs = cert_trust_nodes(k->trust, &n);
    for (size_t i = 0; i < n; i++) {
        struct keyring_key key;
        key_of_cert(&certs[i], &key);
        /* kept with its reason, so the node is refused saying why */
        char w[ERR_WHY_MAX];
        if (cert_trust_vouches(k->trust, &certs[i], w) != 0) {
            log_warn("keyring: certificate not trusted: %s", w);
            snprintf(key.refused, sizeof key.refused, "%.119s", w);
        }
        add_key(entry_add(k, node_number(certs[i].node)), &key);
    }
    apply_revocations(k);
    return 0;
}

static int
load_bare_keys(keyring_t *k)
{
    DIR *d = opendir(k->dir);
    if (!d) {
        log_error("keyring: cannot read keys dir=%s", k->dir);
        return ERR_CONFIG;
    }
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".pub") != 0)
            continue;
        char path[4096], node[7];
        snprintf(path, sizeof path, "%s/%s", k->dir, de->d_name);
        struct keyring_key key = {.not_before = INT64_MIN, .not_after = INT64_MAX,
                                  .revoked_at = INT64_MAX};
        if (sign_public_load(path, key.pk, node) != 0) {
            log_error("keyring: not a public key file path=%s", path);
            rc = ERR_CONFIG;
            break;
        }
        sign_key_id(key.pk, key.key_id);
        struct entry *e = entry_add(k, node_number(node));
        if (e->n_keys) {
            log_error("keyring: two key files for one node node=%s dir=%s", node, k->dir);
            rc = ERR_CONFIG;
            break;
        }
        add_key(e, &key);
    }
    closedir(d);
    return rc;
}

int
keyring_load(const char *dir, keyring_t **out)
{
    keyring_t *k = xcalloc(1, sizeof *k);
    k->dir = xstrdup(dir);
    char anchor[4096];
    snprintf(anchor, sizeof anchor, "%s/root.1.jc", dir);
    int rc = access(anchor, F_OK) == 0 ? load_certificates(k) : load_bare_keys(k);
    if (rc != 0) {
        keyring_destroy(&k);
        return rc;
    }
    *out = k;
    return 0;
}

void
keyring_destroy(keyring_t **p)
{
    keyring_t *k = *p;
    if (!k)
        return;
    cert_trust_destroy(&k->trust);
    free(k->entries);
    free(k->codes);
    free(k->dir);
    free(k);
    *p = NULL;
}

const uint32_t *
keyring_nodes(const keyring_t *k, size_t *n)
{
    *n = k->n;
    return k->codes;
}

const struct keyring_key *
keyring_find(const keyring_t *k, uint32_t node, const char *key_id, size_t key_id_len,
             int64_t as_of, char why[ERR_WHY_MAX])
{
    const struct entry *e = entry_of(k, node);
    char nt[7], id[SIGN_KEY_ID_LEN + 1];
    node_format(node, nt);
    /* what a peer sent goes into logs and answers as text only if it is a key id */
    bool hex = key_id_len == SIGN_KEY_ID_LEN;
    for (size_t i = 0; hex && i < key_id_len; i++)
        hex = (key_id[i] >= '0' && key_id[i] <= '9') || (key_id[i] >= 'a' && key_id[i] <= 'f');
    snprintf(id, sizeof id, "%.*s", hex ? (int)key_id_len : 0, key_id);
    if (!hex) {
        snprintf(why, ERR_WHY_MAX, "node %s: the key id is not %d lowercase hex characters", nt,
                 SIGN_KEY_ID_LEN);
        return NULL;
    }
    for (size_t i = 0; e && i < e->n_keys; i++) {
        const struct keyring_key *key = &e->keys[i];
        if (key_id_len != SIGN_KEY_ID_LEN || memcmp(key->key_id, key_id, key_id_len) != 0)
            continue;
        if (key->refused[0])
            snprintf(why, ERR_WHY_MAX, "%s", key->refused);
        else if (as_of > key->not_after)
            snprintf(why, ERR_WHY_MAX, "node %s key %s: its certificate %llu expired", nt, id,
                     (unsigned long long)key->serial);
        else if (as_of < key->not_before)
            snprintf(why, ERR_WHY_MAX, "node %s key %s: its certificate %llu is not yet valid", nt,
                     id, (unsigned long long)key->serial);
        else if (as_of >= key->revoked_at)
            snprintf(why, ERR_WHY_MAX, "node %s key %s: its certificate %llu is revoked (%s)", nt,
                     id, (unsigned long long)key->serial, key->reason);
        else
            return key;
        return NULL;
    }
    snprintf(why, ERR_WHY_MAX, "node %s has no key %s here (no valid certificate for it)", nt, id);
    return NULL;
}

bool
keyring_admit(const keyring_t *k, uint32_t self, const uint8_t key[SIGN_CURVE_BYTES],
              int64_t now_ms, char user_id[16], char why[ERR_WHY_MAX])
{
    static const uint8_t zero[SIGN_CURVE_BYTES];
    if (memcmp(key, zero, sizeof zero) == 0) {
        snprintf(why, ERR_WHY_MAX, "a zero transport key");
        return false;
    }
    for (size_t i = 0; i < k->n; i++) {
        const struct entry *e = &k->entries[i];
        for (size_t j = 0; j < e->n_keys; j++) {
            const struct keyring_key *of = &e->keys[j];
            if (memcmp(of->curve_pk, key, SIGN_CURVE_BYTES) != 0)
                continue;
            char nt[7];
            node_format(e->node, nt);
            if (!keyring_find(k, e->node, of->key_id, SIGN_KEY_ID_LEN, now_ms, why))
                return false;
            if (!of->parent[0] || node_number(of->parent) != self) {
                snprintf(why, ERR_WHY_MAX, "transport key of %s, whose certificate names parent %s",
                         nt, of->parent[0] ? of->parent : "none");
                return false;
            }
            snprintf(user_id, 16, "%s", nt);
            return true;
        }
    }
    /* the publisher hands bundles over with the transport key its certificate names */
    size_t np;
    const struct cert_node *pubs = k->trust ? cert_trust_publishers(k->trust, &np) : NULL;
    for (size_t i = 0; pubs && i < np; i++) {
        if (memcmp(pubs[i].curve_pk, key, SIGN_CURVE_BYTES) != 0)
            continue;
        if (cert_trust_judge_publisher(k->trust, &pubs[i], now_ms, why) != 0)
            return false;
        snprintf(user_id, 16, "publisher");
        return true;
    }
    snprintf(why, ERR_WHY_MAX, "a transport key in no certificate held here");
    return false;
}

int
keyring_add_certificate(keyring_t *k, const void *file, size_t len, bool *added,
                        char why[ERR_WHY_MAX])
{
    *added = false;
    if (!k->trust) {
        snprintf(why, ERR_WHY_MAX, "this node holds bare keys, not certificates");
        return ERR_STATE;
    }
    struct cert_node c;
    int rc = cert_trust_add_node(k->trust, file, len, &c, why);
    if (rc == 0)
        rc = cert_trust_vouches(k->trust, &c, why);
    if (rc != 0)
        return rc;
    struct entry *e = entry_add(k, node_number(c.node));
    for (size_t i = 0; i < e->n_keys; i++)
        if (e->keys[i].serial == c.serial)
            return 0; /* held already */
    struct keyring_key key;
    key_of_cert(&c, &key);
    add_key(e, &key);
    apply_revocations(k);
    *added = true;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%llu.cert", k->dir, c.node, (unsigned long long)c.serial);
    if (file_write(path, file, len, false) != 0)
        log_warn("keyring: certificate %llu of %s in force but not written to %s",
                 (unsigned long long)c.serial, c.node, path);
    log_info("keyring: certificate %llu of %s (key generation %u) added",
             (unsigned long long)c.serial, c.node, c.key_gen);
    return 0;
}

cert_trust_t *
keyring_trust(keyring_t *k)
{
    return k->trust;
}

void
keyring_learned(void *arg, const char *name, const void *file, size_t len)
{
    keyring_t *k = arg;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", k->dir, name);
    if (file_write(path, file, len, false) != 0)
        log_warn("keyring: %s learned from a bundle but not written to %s: it is learned again "
                 "from the next bundle", name, path);
    else
        log_info("keyring: %s learned from a bundle's chain", name);
}

int
keyring_apply_crl(keyring_t *k, const void *file, size_t len, char why[ERR_WHY_MAX])
{
    if (!k->trust) {
        snprintf(why, ERR_WHY_MAX,
                 "this node holds bare keys, not certificates: no revocation list");
        return ERR_STATE;
    }
    int rc = cert_trust_apply_crl(k->trust, file, len, why);
    if (rc != 0)
        return rc;
    apply_revocations(k);
    char path[4096];
    snprintf(path, sizeof path, "%s/crl.jc", k->dir);
    if (file_write(path, file, len, false) != 0)
        log_warn("keyring: revocation list %llu in force but not written to %s: it is applied "
                 "again when it is sent down next",
                 (unsigned long long)cert_trust_crl(k->trust)->version, path);
    return 0;
}

int
keyring_each_compromised(const keyring_t *k, keyring_compromised_fn fn, void *arg)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && k->trust && i < k->n; i++)
        for (size_t j = 0; rc == 0 && j < k->entries[i].n_keys; j++) {
            const struct keyring_key *key = &k->entries[i].keys[j];
            const struct cert_revoked *r =
                key->serial ? cert_trust_revocation(k->trust, key->serial) : NULL;
            if (r && strcmp(r->reason, "compromised") == 0)
                rc = fn(arg, k->entries[i].node, key, r);
        }
    return rc;
}
