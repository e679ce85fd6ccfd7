/* cli bundle: `jiancha bundle publish`, the province sending a signed catalogue or calendar down
 * the tree through its aggregator. */
#include "bundle.h"
#include "cert.h"
#include "catalog.h"
#include "cli.h"
#include "roster.h"
#include "err.h"
#include "file.h"
#include "mem.h"
#include "proto.h"
#include "sign.h"
#include "timestamp.h"
#include "zap.h"

#include <czmq.h>
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
usage(void)
{
    fprintf(stderr, "usage: jiancha bundle publish --kind catalog|calendar|operators --file FILE "
                    "[--version N] " CLI_PUBLISHER_USAGE "\n"
                    "  (--cert: the publisher's certificate, sent with its chain from --chain DIR "
                    "or its own directory; nodes with bundle/root judge it)\n"
                    "  (--server-key: speak CurveZMQ to the aggregator, with the transport key "
                    "beside SECRET)\n"
                    "  (a catalogue's version is its own \"version\"; a calendar needs --version)\n");
    return 2;
}

/* Sends the bundle and waits for the aggregator's answer: 0 when it holds this version now. */
static int publish_over(zsock_t *s, const char *to, const struct wire_buf *doc,
                        const uint8_t sig[SIGN_SIGNATURE_BYTES], uint64_t version);

static int
publish(const char *to, const char *keyfile, const char *server_key, const struct wire_buf *doc,
        const uint8_t sig[SIGN_SIGNATURE_BYTES], uint64_t version)
{
    zsock_t *s = zsock_new(ZMQ_DEALER);
    zsock_set_linger(s, 0);
    zsock_set_rcvtimeo(s, 10000);
    sign_curve_t *curve = NULL;
    if (server_key) {
        /* CurveZMQ as the publisher: its transport key lies beside its signing key */
        uint8_t server[ZAP_KEY_BYTES];
        char why[ERR_WHY_MAX], path[4096];
        size_t kl = strlen(keyfile);
        snprintf(path, sizeof path, "%.*s.curve-secret",
                 (int)(kl > 7 && strcmp(keyfile + kl - 7, ".secret") == 0 ? kl - 7 : kl), keyfile);
        int rc = zap_server_key_load(server_key, server, why);
        if (rc == 0 && (rc = sign_curve_load(path, &curve, NULL)) != 0)
            snprintf(why, sizeof why, "%.100s: %s", path, err_str(rc));
        if (rc != 0) {
            fprintf(stderr, "jiancha bundle publish: %s\n", why);
            zsock_destroy(&s);
            return 1;
        }
        zap_curve_client(s, server, sign_curve_public(curve), sign_curve_secret(curve));
    }
    int status = publish_over(s, to, doc, sig, version);
    sign_curve_destroy(&curve);
    return status;
}

static int
publish_over(zsock_t *s, const char *to, const struct wire_buf *doc,
             const uint8_t sig[SIGN_SIGNATURE_BYTES], uint64_t version)
{
    if (zsock_connect(s, "%s", to) != 0) {
        fprintf(stderr, "jiancha bundle publish: cannot connect to %s\n", to);
        zsock_destroy(&s);
        return 1;
    }
    zmsg_t *m = zmsg_new();
    zmsg_addstr(m, proto_cmd_name(PROTO_BUNDLE));
    zmsg_addmem(m, doc->data, doc->len);
    zmsg_addmem(m, sig, SIGN_SIGNATURE_BYTES);
    int status = 1;
    if (zmsg_send(&m, s) != 0) {
        zmsg_destroy(&m);
        fprintf(stderr, "jiancha bundle publish: cannot send to %s\n", to);
        zsock_destroy(&s);
        return 1;
    }
    zmsg_t *r = zmsg_recv(s);
    zframe_t *cf = r ? zmsg_first(r) : NULL, *body = r ? zmsg_next(r) : NULL;
    enum proto_cmd cmd;
    struct proto_nack n;
    if (!cf || !body || proto_cmd_parse(zframe_data(cf), zframe_size(cf), &cmd) != 0) {
        fprintf(stderr, "jiancha bundle publish: no answer from %s within 10 s: is the aggregator "
                        "up, on CurveZMQ (then give --server-key with its certificate), and does it "
                        "admit this publisher's transport key? Its log says why it refused\n",
                to);
    } else if (cmd == PROTO_ACK) {
        printf("published: version %llu is held at %s and goes down the tree\n",
               (unsigned long long)version, to);
        status = 0;
    } else if (cmd == PROTO_NACK &&
               proto_nack_decode(zframe_data(body), zframe_size(body), &n) == 0) {
        fprintf(stderr, "jiancha bundle publish: refused (%s): %s\n", n.code, n.reason);
    } else {
        fprintf(stderr, "jiancha bundle publish: unexpected answer from %s\n", to);
    }
    zmsg_destroy(&r);
    zsock_destroy(&s);
    return status;
}

int
cli_bundle(int argc, char **argv)
{
    static const struct option opts[] = {
        {"kind", required_argument, NULL, 'k'}, {"file", required_argument, NULL, 'f'},
        {"version", required_argument, NULL, 'v'}, CLI_PUBLISHER_OPTIONS, {NULL, 0, NULL, 0},
    };
    if (argc < 2 || strcmp(argv[1], "publish") != 0)
        return usage();
    const char *kind = NULL, *file = NULL;
    struct cli_publisher pub = {0};
    uint64_t version = 0;
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'k':
            kind = optarg;
            break;
        case 'f':
            file = optarg;
            break;
        case 'v':
            version = strtoull(optarg, NULL, 10);
            break;
        default:
            if (!cli_publisher_option(ch, optarg, &pub))
                return usage();
        }
    }
    if (!kind || !file || !pub.key || !pub.to || !bundle_kind_known(kind))
        return usage();
    if (sign_init() != 0)
        return 1;
    size_t len;
    char *body = file_read(file, &len);
    if (!body) {
        fprintf(stderr, "jiancha bundle publish: cannot read %s\n", file);
        return 1;
    }
    char why[ERR_WHY_MAX];
    if (strcmp(kind, "catalog") == 0) {
        catalog_t *c = NULL;
        if (catalog_parse(body, len, &c, why, sizeof why) != 0) {
            fprintf(stderr, "jiancha bundle publish: %s: %s\n", file, why);
            free(body);
            return 1;
        }
        if (version && version != catalog_version(c)) {
            fprintf(stderr, "jiancha bundle publish: %s states version %llu, not %llu\n", file,
                    (unsigned long long)catalog_version(c), (unsigned long long)version);
            catalog_destroy(&c);
            free(body);
            return 1;
        }
        version = catalog_version(c);
        catalog_destroy(&c);
    }
    if (strcmp(kind, "operators") == 0) {
        roster_t *r = NULL;
        if (roster_parse(body, len, &r, why, sizeof why) != 0) {
            fprintf(stderr, "jiancha bundle publish: %s: %s\n", file, why);
            free(body);
            return 1;
        }
        version = roster_version(r);
        roster_destroy(&r);
    }
    if (version == 0) {
        free(body);
        return usage();
    }
    int status = cli_bundle_publish(kind, body, len, version, &pub);
    free(body);
    return status;
}

bool
cli_publisher_option(int ch, const char *arg, struct cli_publisher *p)
{
    const char **slot = ch == 0x101   ? &p->key
                        : ch == 0x102 ? &p->cert
                        : ch == 0x103 ? &p->chain_dir
                        : ch == 0x104 ? &p->to
                        : ch == 0x105 ? &p->server_key
                                      : NULL;
    if (slot)
        *slot = arg;
    return slot != NULL;
}

struct chain_docs {
    char **files;
    size_t *lens, n;
};

static bool
chain_add(struct chain_docs *d, const char *path)
{
    size_t l;
    char *f = file_read(path, &l);
    if (!f)
        return false;
    d->files = xrealloc(d->files, (d->n + 1) * sizeof *d->files);
    d->lens = xrealloc(d->lens, (d->n + 1) * sizeof *d->lens);
    d->files[d->n] = f;
    d->lens[d->n++] = l;
    return true;
}

/* Every PREFIX*.jc file of dir but `skip`, in name order (the same chain from the same
 * directory). */
static void
chain_add_all(struct chain_docs *d, const char *dir, const char *prefix, const char *skip)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        size_t nl = strlen(name);
        if (strncmp(name, prefix, strlen(prefix)) == 0 && nl > 3 &&
            strcmp(name + nl - 3, ".jc") == 0 && (!skip || strcmp(name, skip) != 0)) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, name);
            (void)chain_add(d, path); /* one that vanished since the listing is not sent */
        }
        free(names[i]);
    }
    free(names);
}

/* The chain sent with a certified publisher's bundles: root versions 2, 3 …, every issuer and
 * every other publisher certificate of the directory (a next publisher is admitted before it
 * speaks), then the signer's certificate, which must be the key's. */
static int
load_chain(const struct cli_publisher *p, const sign_key_t *key, struct wire_buf *chain)
{
    size_t len;
    char *cert = file_read(p->cert, &len), why[ERR_WHY_MAX];
    struct cert_node c;
    if (!cert || cert_read_publisher(cert, len, &c, why) != 0) {
        fprintf(stderr, "jiancha bundle publish: %s: %s\n", p->cert,
                cert ? why : "cannot read it");
        free(cert);
        return 1;
    }
    if (memcmp(c.sign_pk, sign_key_public(key), SIGN_PUBLIC_BYTES) != 0) {
        fprintf(stderr, "jiancha bundle publish: %s certifies another key than %s\n", p->cert,
                p->key);
        free(cert);
        return 1;
    }
    char *dir = p->chain_dir ? xstrdup(p->chain_dir) : xstrdup(p->cert);
    char *slash = p->chain_dir ? NULL : strrchr(dir, '/');
    if (!p->chain_dir) {
        if (slash)
            *slash = '\0';
        else
            snprintf(dir, strlen(dir) + 1, ".");
    }
    /* in the order a node learns them: each document's signer comes before it */
    struct chain_docs docs = {0};
    unsigned last = 1;
    for (unsigned v = 2;; v++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/root.%u.jc", dir, v);
        if (!chain_add(&docs, path))
            break;
        last = v;
    }
    /* a later root version past a missing one would be left out: every node would stop there */
    char next[4096];
    snprintf(next, sizeof next, "%s/root.%u.jc", dir, last + 2);
    if (access(next, F_OK) == 0) {
        fprintf(stderr, "jiancha bundle publish: %s holds %s but not root.%u.jc: the chain of root "
                        "versions has a hole\n", dir, next, last + 1);
        for (size_t i = 0; i < docs.n; i++)
            free(docs.files[i]);
        free(docs.files);
        free(docs.lens);
        free(cert);
        free(dir);
        return 1;
    }
    char own[40];
    snprintf(own, sizeof own, "publisher.%llu.jc", (unsigned long long)c.serial);
    chain_add_all(&docs, dir, "issuer.", NULL);
    chain_add_all(&docs, dir, "publisher.", own);
    wire_put_array(chain, (uint32_t)(docs.n + 1));
    for (size_t i = 0; i < docs.n; i++) {
        wire_put_bin(chain, docs.files[i], docs.lens[i]);
        free(docs.files[i]);
    }
    wire_put_bin(chain, cert, len);
    free(docs.files);
    free(docs.lens);
    free(cert);
    free(dir);
    return 0;
}

int
cli_bundle_publish(const char *kind, const void *body, size_t len, uint64_t version,
                   const struct cli_publisher *p)
{
    sign_key_t *key = NULL;
    char node[7];
    int rc = sign_key_load(p->key, &key, node);
    if (rc != 0) {
        fprintf(stderr, "jiancha bundle publish: key %s: %s\n", p->key, err_str(rc));
        return 1;
    }
    struct wire_buf doc, chain;
    wire_buf_init(&doc);
    wire_buf_init(&chain);
    if (p->cert && load_chain(p, key, &chain) != 0) {
        sign_key_destroy(&key);
        wire_buf_fini(&chain);
        return 1;
    }
    struct bundle b = {.version = version, .published_ms = timestamp_now_ms(), .body = body,
                       .body_len = len, .chain = p->cert ? chain.data : NULL,
                       .chain_len = chain.len};
    snprintf(b.kind, sizeof b.kind, "%s", kind);
    snprintf(b.publisher, sizeof b.publisher, "%s", node);
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    bundle_make(key, &b, &doc, sig);
    sign_key_destroy(&key);
    wire_buf_fini(&chain);
    int status = publish(p->to, p->key, p->server_key, &doc, sig, version);
    wire_buf_fini(&doc);
    return status;
}
