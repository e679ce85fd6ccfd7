/* cli keys: a node's keys and certificates (docs/trust.md). `gen` (a bare signing key, for
 * development), `request` (run on the node: new keys made there, a request signed by them and,
 * for a rotation, by the current key), `install` (a certificate into a trust directory, checked
 * first) and `list`; the administrator's commands are in issuer.c. */
#include "cert.h"
#include "cli.h"
#include "err.h"
#include "file.h"
#include "node.h"
#include "sign.h"
#include "timestamp.h"

#include <dirent.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

static int
gen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"node", required_argument, NULL, 'n'},
        {"out", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    const char *node = NULL, *out = NULL;
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'n')
            node = optarg;
        else if (ch == 'o')
            out = optarg;
        else
            return 2;
    }
    if (!node || !out) {
        fprintf(stderr, "usage: jiancha keys gen --node ID --out DIR\n");
        return 2;
    }
    int rc = sign_keypair_write(node, out);
    if (rc == ERR_INVALID) {
        fprintf(stderr, "jiancha keys gen: --node \"%s\" is not a six-digit division code\n", node);
        return 2;
    }
    if (rc != 0) {
        fprintf(stderr, "jiancha keys gen: cannot write %s/%s.secret: %s\n", out, node,
                rc == ERR_EXISTS ? "a secret key for this node is already there" : err_str(rc));
        return 1;
    }
    uint8_t pk[SIGN_PUBLIC_BYTES];
    char path[4096], id[SIGN_KEY_ID_LEN + 1];
    snprintf(path, sizeof path, "%s/%s.pub", out, node);
    if (sign_public_load(path, pk, NULL) != 0)
        return 1;
    sign_key_id(pk, id);
    printf("wrote %s/%s.secret (0600) and %s/%s.pub, key id %s\n", out, node, out, node, id);
    return 0;
}

/* keys request --node N --parent P --out DIR [--current CERT --current-key SECRET]; with
 * --publisher, keys for the province's bundle publisher (a publisher certificate, cert.h) */
static int
request(int argc, char **argv)
{
    static const struct option opts[] = {
        {"node", required_argument, NULL, 'n'},    {"parent", required_argument, NULL, 'p'},
        {"out", required_argument, NULL, 'o'},     {"current", required_argument, NULL, 'c'},
        {"current-key", required_argument, NULL, 'k'}, {"publisher", no_argument, NULL, 'P'},
        {NULL, 0, NULL, 0},
    };
    const char *node = NULL, *parent = "", *out = NULL, *cur = NULL, *cur_key = NULL;
    bool publisher = false;
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'n')
            node = optarg;
        else if (ch == 'p')
            parent = optarg;
        else if (ch == 'o')
            out = optarg;
        else if (ch == 'c')
            cur = optarg;
        else if (ch == 'k')
            cur_key = optarg;
        else if (ch == 'P')
            publisher = true;
        else
            return 2;
    }
    if (!node || !out || (cur != NULL) != (cur_key != NULL) ||
        node_valid(node, strlen(node)) != 0 ||
        (*parent && node_valid(parent, strlen(parent)) != 0) ||
        (!*parent && strcmp(cert_tier_of(node), "province") != 0) || (publisher && *parent)) {
        fprintf(stderr, "usage: jiancha keys request --node N --parent P --out DIR "
                        "[--current NODE.SERIAL.cert --current-key KEY.secret]\n"
                        "       jiancha keys request --publisher --node PROVINCE --out DIR "
                        "[--current publisher.SERIAL.jc --current-key KEY.secret]\n"
                        "  (--parent may be left out for the province only)\n");
        return 2;
    }
    struct cert_node current;
    sign_key_t *old = NULL;
    char why[ERR_WHY_MAX], key_node[7];
    uint32_t gen_no = 1;
    if (cur) {
        size_t len;
        char *file = file_read(cur, &len);
        int rc = !file       ? ERR_IO
                 : publisher ? cert_read_publisher(file, len, &current, why)
                             : cert_read_node(file, len, &current, why);
        free(file);
        if (rc != 0) {
            fprintf(stderr, "jiancha keys request: %s: %s\n", cur,
                    rc == ERR_IO ? "cannot read it" : why);
            return 1;
        }
        rc = sign_key_load(cur_key, &old, key_node);
        if (rc != 0 || memcmp(sign_key_public(old), current.sign_pk, CERT_KEY_BYTES) != 0) {
            fprintf(stderr, "jiancha keys request: %s: %s\n", cur_key,
                    rc ? err_str(rc) : "is not the key of the current certificate");
            sign_key_destroy(&old);
            return 1;
        }
        gen_no = current.key_gen + 1;
    }
    char name[32];
    snprintf(name, sizeof name, "%s.g%u", publisher ? "publisher" : node, gen_no);
    sign_key_t *k = sign_key_generate();
    struct cert_request q = {0};
    snprintf(q.node, sizeof q.node, "%s", node);
    snprintf(q.tier, sizeof q.tier, "%s", publisher ? "publisher" : cert_tier_of(node));
    snprintf(q.parent, sizeof q.parent, "%s", parent);
    memcpy(q.sign_pk, sign_key_public(k), CERT_KEY_BYTES);
    q.key_gen = gen_no;
    q.at = timestamp_now_ms();
    int rc = sign_key_save(k, node, out, name);
    if (rc == 0)
        rc = sign_curve_keypair_write(node, out, name, q.curve_pk);
    int status = 1;
    if (rc != 0) {
        fprintf(stderr, "jiancha keys request: cannot write %s/%s.*: %s\n", out, name,
                rc == ERR_EXISTS ? "keys of this generation are there already" : err_str(rc));
    } else {
        struct wire_buf b;
        wire_buf_init(&b);
        cert_make_request(&q, k, old, &b);
        char path[4096], fp[65];
        snprintf(path, sizeof path, "%s/%s.request.jc", out, name);
        if (file_write(path, b.data, b.len, true) == 0) {
            cert_fingerprint(b.data, b.len, fp);
            printf("wrote %s (keys %s/%s.secret and .curve-secret stay here, 0600)\n"
                   "fingerprint %s\n"
                   "send the request to the administrator; read the fingerprint to them by "
                   "another channel\n",
                   path, out, name, fp);
            status = 0;
        } else {
            fprintf(stderr, "jiancha keys request: cannot write %s\n", path);
        }
        wire_buf_fini(&b);
    }
    sign_key_destroy(&k);
    sign_key_destroy(&old);
    return status;
}

/* keys install --cert FILE --trust DIR: the certificate must be valid under that trust */
static int
install(int argc, char **argv)
{
    static const struct option opts[] = {
        {"cert", required_argument, NULL, 'c'},
        {"trust", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    const char *cert = NULL, *trust = NULL;
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'c')
            cert = optarg;
        else if (ch == 't')
            trust = optarg;
        else
            return 2;
    }
    if (!cert || !trust) {
        fprintf(stderr, "usage: jiancha keys install --cert NODE.SERIAL.cert|publisher.SERIAL.jc "
                        "--trust DIR\n");
        return 2;
    }
    size_t len;
    char *file = file_read(cert, &len), why[ERR_WHY_MAX];
    struct cert_node n;
    const char *domain = file ? cert_domain_of(file, len) : NULL;
    bool publisher = domain && strcmp(domain, CERT_DOMAIN_PUBLISHER) == 0;
    if (!file || (publisher ? cert_read_publisher(file, len, &n, why)
                            : cert_read_node(file, len, &n, why)) != 0) {
        fprintf(stderr, "jiancha keys install: %s: %s\n", cert, file ? why : "cannot read it");
        free(file);
        return 1;
    }
    /* judged as the daemons will judge it, before it goes in */
    cert_trust_t *t = NULL;
    char w[ERR_WHY_MAX];
    int64_t now = timestamp_now_ms();
    int rc = cert_trust_load(trust, &t, why, sizeof why);
    bool loaded = rc == 0;
    if (rc == 0 && publisher) {
        rc = cert_trust_add_publisher(t, file, len, &n, w);
        if (rc == 0 || rc == ERR_EXISTS)
            rc = cert_trust_judge_publisher(t, &n, now, w);
    } else if (rc == 0) {
        rc = cert_trust_add_node(t, file, len, &n, w);
        if (rc == 0)
            rc = cert_trust_judge(t, &n, now, now, w);
    }
    cert_trust_destroy(&t);
    char path[4096];
    if (publisher)
        snprintf(path, sizeof path, "%s/publisher.%llu.jc", trust, (unsigned long long)n.serial);
    else
        snprintf(path, sizeof path, "%s/%s.%llu.cert", trust, n.node, (unsigned long long)n.serial);
    int status = 1;
    if (rc != 0)
        fprintf(stderr, "jiancha keys install: %s: %s\n", cert, loaded ? w : why);
    else if (file_write(path, file, len, false) != 0)
        fprintf(stderr, "jiancha keys install: cannot write %s\n", path);
    else {
        printf("installed %s: %s (%s, parent %s), key generation %u, key id %s\n", path, n.node,
               n.tier, n.parent[0] ? n.parent : "-", n.key_gen, n.key_id);
        status = 0;
    }
    free(file);
    return status;
}

/* keys list --trust DIR [--soon DAYS] */
static int
list(int argc, char **argv)
{
    static const struct option opts[] = {
        {"trust", required_argument, NULL, 't'},
        {"soon", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    const char *trust = NULL;
    long soon = 60;
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 't')
            trust = optarg;
        else if (ch == 's')
            soon = strtol(optarg, NULL, 10);
        else
            return 2;
    }
    if (!trust) {
        fprintf(stderr, "usage: jiancha keys list --trust DIR [--soon DAYS]\n");
        return 2;
    }
    cert_trust_t *t = NULL;
    char why[ERR_WHY_MAX];
    if (cert_trust_load(trust, &t, why, sizeof why) != 0) {
        fprintf(stderr, "jiancha keys list: %s\n", why);
        return 1;
    }
    int64_t now = timestamp_now_ms();
    const struct cert_root *root = cert_trust_root(t);
    printf("root version %llu; revocation list version %llu\n",
           (unsigned long long)root->version, (unsigned long long)cert_trust_crl(t)->version);
    printf("%-20s %-7s %-9s %-7s %4s %-16s %-10s %-10s %s\n", "serial", "node", "tier", "parent",
           "gen", "key id", "from", "until", "status");
    size_t n_nodes, n_pubs;
    const struct cert_node *nodes = cert_trust_nodes(t, &n_nodes),
                           *pubs = cert_trust_publishers(t, &n_pubs);
    /* the nodes, then the publishers (tier "publisher") */
    for (size_t i = 0; i < n_nodes + n_pubs; i++) {
        const struct cert_node *v = i < n_nodes ? &nodes[i] : &pubs[i - n_nodes];
        char w[ERR_WHY_MAX], from[TIMESTAMP_TEXT_MAX], until[TIMESTAMP_TEXT_MAX],
            status[ERR_WHY_MAX];
        int rc = i < n_nodes ? cert_trust_judge(t, v, now, now, w)
                             : cert_trust_judge_publisher(t, v, now, w);
        timestamp_format(v->not_before, from);
        timestamp_format(v->not_after, until);
        if (rc == 0 && v->not_after - now < soon * DAY_MS)
            snprintf(status, sizeof status, "valid, expires in %lld days: renew",
                     (long long)((v->not_after - now) / DAY_MS));
        else if (rc == 0)
            snprintf(status, sizeof status, "valid");
        else
            snprintf(status, sizeof status, "%s", strstr(w, ": ") ? strstr(w, ": ") + 2 : w);
        printf("%-20llu %-7s %-9s %-7s %4u %-16s %.10s %.10s %s\n",
               (unsigned long long)v->serial, v->node, v->tier,
               v->parent[0] ? v->parent : "-", v->key_gen, v->key_id, from, until,
               status);
    }
    cert_trust_destroy(&t);
    return 0;
}

int
cli_keys(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: jiancha keys gen|request|install|list|root-init|issuer-init|"
                        "issue|revoke|crl|certs|pending|approve ...\n");
        return 2;
    }
    if (sign_init() != 0)
        return 1;
    if (strcmp(argv[1], "gen") == 0)
        return gen(argc, argv);
    if (strcmp(argv[1], "request") == 0)
        return request(argc, argv);
    if (strcmp(argv[1], "install") == 0)
        return install(argc, argv);
    if (strcmp(argv[1], "list") == 0)
        return list(argc, argv);
    int rc = cli_issuer(argc, argv);
    if (rc == -1)
        rc = cli_nodekeys(argc, argv);
    if (rc == -1) {
        fprintf(stderr, "jiancha keys: unknown command \"%s\"\n", argv[1]);
        return 2;
    }
    return rc;
}
