/* cli bundle: `jiancha bundle publish`, the province sending a signed catalogue or calendar down
 * the tree through its aggregator. */
#include "bundle.h"
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
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
usage(void)
{
    fprintf(stderr, "usage: jiancha bundle publish --kind catalog|calendar|operators --file FILE "
                    "[--version N] --key SECRET --to ENDPOINT [--server-key CERT|CURVE-PUB]\n"
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
        fprintf(stderr, "jiancha bundle publish: no answer from %s within 10 s\n", to);
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
        {"version", required_argument, NULL, 'v'}, {"key", required_argument, NULL, 's'},
        {"to", required_argument, NULL, 't'},     {"server-key", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    if (argc < 2 || strcmp(argv[1], "publish") != 0)
        return usage();
    const char *kind = NULL, *file = NULL, *keyfile = NULL, *to = NULL, *server_key = NULL;
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
        case 's':
            keyfile = optarg;
            break;
        case 't':
            to = optarg;
            break;
        case 'S':
            server_key = optarg;
            break;
        default:
            return usage();
        }
    }
    if (!kind || !file || !keyfile || !to || !bundle_kind_known(kind))
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
    int status = cli_bundle_publish(kind, body, len, version, keyfile, to, server_key);
    free(body);
    return status;
}

int
cli_bundle_publish(const char *kind, const void *body, size_t len, uint64_t version,
                   const char *keyfile, const char *to, const char *server_key)
{
    sign_key_t *key = NULL;
    char node[7];
    int rc = sign_key_load(keyfile, &key, node);
    if (rc != 0) {
        fprintf(stderr, "jiancha bundle publish: key %s: %s\n", keyfile, err_str(rc));
        return 1;
    }
    struct bundle b = {.version = version, .published_ms = timestamp_now_ms(), .body = body,
                       .body_len = len};
    snprintf(b.kind, sizeof b.kind, "%s", kind);
    snprintf(b.publisher, sizeof b.publisher, "%s", node);
    struct wire_buf doc;
    wire_buf_init(&doc);
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    bundle_make(key, &b, &doc, sig);
    sign_key_destroy(&key);
    int status = publish(to, keyfile, server_key, &doc, sig, version);
    wire_buf_fini(&doc);
    return status;
}
