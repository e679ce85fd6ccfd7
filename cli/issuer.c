/* cli issuer: the administrator's side of the PKI (docs/trust.md): `jiancha keys root-init`,
 * `issuer-init`, `issue`, `revoke` and `crl publish`. Secret keys are read from 0600 files and
 * wiped after use (sign.c); none is ever written anywhere but the directory asked for. */
#include "bundle.h"
#include "cert.h"
#include "cli.h"
#include "err.h"
#include "file.h"
#include "mem.h"
#include "node.h"
#include "sign.h"
#include "timestamp.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL
/* Certificates start two days back so a node whose clock is behind still accepts them. */
#define BACKDATE_MS (2 * DAY_MS)

static int
fail(const char *cmd, const char *what)
{
    fprintf(stderr, "jiancha keys %s: %s\n", cmd, what);
    return 1;
}

static int
load_secret(const char *cmd, const char *path, sign_key_t **k, char node[7])
{
    int rc = sign_key_load(path, k, node);
    if (rc != 0) {
        fprintf(stderr, "jiancha keys %s: key %s: %s\n", cmd, path, err_str(rc));
        return 1;
    }
    return 0;
}

static int
save(const char *cmd, const char *path, const struct wire_buf *b, bool exclusive)
{
    if (file_write(path, b->data, b->len, exclusive) != 0) {
        fprintf(stderr, "jiancha keys %s: cannot write %s%s\n", cmd, path,
                exclusive ? " (is it there already?)" : "");
        return 1;
    }
    char fp[65];
    cert_fingerprint(b->data, b->len, fp);
    printf("wrote %s\nfingerprint %s\n", path, fp);
    return 0;
}

/* keys root-init --node 510000 --out DIR [--version N --prev ROOT.secret] [--years Y] */
static int
root_init(int argc, char **argv)
{
    static const struct option opts[] = {
        {"node", required_argument, NULL, 'n'}, {"out", required_argument, NULL, 'o'},
        {"version", required_argument, NULL, 'v'}, {"prev", required_argument, NULL, 'p'},
        {"years", required_argument, NULL, 'y'}, {NULL, 0, NULL, 0},
    };
    const char *node = NULL, *out = NULL, *prev_path = NULL;
    uint64_t version = 1;
    long years = 10;
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'n')
            node = optarg;
        else if (ch == 'o')
            out = optarg;
        else if (ch == 'v')
            version = strtoull(optarg, NULL, 10);
        else if (ch == 'p')
            prev_path = optarg;
        else if (ch == 'y')
            years = strtol(optarg, NULL, 10);
        else
            return 2;
    }
    if (!node || !out || version == 0 || (version > 1) != (prev_path != NULL) || years < 1 ||
        node_valid(node, strlen(node)) != 0) {
        fprintf(stderr, "usage: jiancha keys root-init --node PROVINCE --out DIR "
                        "[--version N --prev ROOT.secret] [--years Y]\n"
                        "  (version 1 is the anchor; every later version is signed by the one "
                        "before it)\n");
        return 2;
    }
    sign_key_t *prev = NULL;
    char prev_node[7];
    if (prev_path && load_secret("root-init", prev_path, &prev, prev_node) != 0)
        return 1;
    sign_key_t *k = sign_key_generate();
    char name[32], path[4096];
    snprintf(name, sizeof name, "root.%llu", (unsigned long long)version);
    int rc = sign_key_save(k, node, out, name);
    int status = 1;
    if (rc != 0) {
        fprintf(stderr, "jiancha keys root-init: cannot write %s/%s.secret: %s\n", out, name,
                rc == ERR_EXISTS ? "it is there already" : err_str(rc));
    } else {
        int64_t now = timestamp_now_ms();
        struct cert_root r = {version, {0}, now + years * 365 * DAY_MS, now};
        memcpy(r.key, sign_key_public(k), CERT_KEY_BYTES);
        struct wire_buf b;
        wire_buf_init(&b);
        cert_make_root(&r, k, prev, &b);
        snprintf(path, sizeof path, "%s/%s.jc", out, name);
        status = save("root-init", path, &b, true);
        wire_buf_fini(&b);
        if (status == 0)
            printf("keep %s/%s.secret offline; copy %s to every node's trust directory\n", out,
                   name, path);
    }
    sign_key_destroy(&k);
    sign_key_destroy(&prev);
    return status;
}

/* keys issuer-init --root ROOT.secret --root-doc root.N.jc --out DIR [--serial S] [--days D] */
static int
issuer_init(int argc, char **argv)
{
    static const struct option opts[] = {
        {"root", required_argument, NULL, 'r'},   {"root-doc", required_argument, NULL, 'd'},
        {"out", required_argument, NULL, 'o'},    {"serial", required_argument, NULL, 's'},
        {"days", required_argument, NULL, 'D'},   {NULL, 0, NULL, 0},
    };
    const char *root_path = NULL, *doc_path = NULL, *out = NULL;
    uint64_t serial = 1;
    long days = 365;
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'r')
            root_path = optarg;
        else if (ch == 'd')
            doc_path = optarg;
        else if (ch == 'o')
            out = optarg;
        else if (ch == 's')
            serial = strtoull(optarg, NULL, 10);
        else if (ch == 'D')
            days = strtol(optarg, NULL, 10);
        else
            return 2;
    }
    if (!root_path || !doc_path || !out || serial == 0 || days < 1) {
        fprintf(stderr, "usage: jiancha keys issuer-init --root ROOT.secret --root-doc "
                        "root.N.jc --out DIR [--serial S] [--days D]\n");
        return 2;
    }
    size_t len;
    char *doc = file_read(doc_path, &len), why[ERR_WHY_MAX];
    struct cert_root r;
    if (!doc || cert_read_root(doc, len, &r, why) != 0) {
        free(doc);
        return fail("issuer-init", doc ? why : "cannot read the root document");
    }
    free(doc);
    sign_key_t *root = NULL;
    char node[7];
    if (load_secret("issuer-init", root_path, &root, node) != 0)
        return 1;
    if (memcmp(sign_key_public(root), r.key, CERT_KEY_BYTES) != 0) {
        sign_key_destroy(&root);
        return fail("issuer-init", "the root key is not the key of that root document");
    }
    sign_key_t *k = sign_key_generate();
    int status = 1, rc = sign_key_save(k, node, out, "issuer");
    if (rc != 0) {
        fprintf(stderr, "jiancha keys issuer-init: cannot write %s/issuer.secret: %s\n", out,
                rc == ERR_EXISTS ? "it is there already" : err_str(rc));
    } else {
        int64_t now = timestamp_now_ms();
        struct cert_issuer is = {serial, {0}, now - BACKDATE_MS, now + days * DAY_MS, r.version};
        memcpy(is.key, sign_key_public(k), CERT_KEY_BYTES);
        struct wire_buf b;
        wire_buf_init(&b);
        cert_make_issuer(&is, root, &b);
        char path[4096];
        snprintf(path, sizeof path, "%s/issuer.%llu.jc", out, (unsigned long long)serial);
        status = save("issuer-init", path, &b, true);
        wire_buf_fini(&b);
    }
    sign_key_destroy(&k);
    sign_key_destroy(&root);
    return status;
}

/* keys issue --issuer ISSUER.secret --issuer-cert issuer.S.jc --request REQ [--current CERT]
 *            [--serial S] [--days D] --out DIR */
static int
issue(int argc, char **argv)
{
    static const struct option opts[] = {
        {"issuer", required_argument, NULL, 'i'}, {"issuer-cert", required_argument, NULL, 'c'},
        {"request", required_argument, NULL, 'q'}, {"current", required_argument, NULL, 'u'},
        {"serial", required_argument, NULL, 's'}, {"days", required_argument, NULL, 'D'},
        {"out", required_argument, NULL, 'o'},    {NULL, 0, NULL, 0},
    };
    const char *issuer_path = NULL, *cert_path = NULL, *req_path = NULL, *cur_path = NULL,
               *out = NULL;
    uint64_t serial = 0;
    long days = 395; /* 13 months: renewed at 80 % */
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'i':
            issuer_path = optarg;
            break;
        case 'c':
            cert_path = optarg;
            break;
        case 'q':
            req_path = optarg;
            break;
        case 'u':
            cur_path = optarg;
            break;
        case 's':
            serial = strtoull(optarg, NULL, 10);
            break;
        case 'D':
            days = strtol(optarg, NULL, 10);
            break;
        case 'o':
            out = optarg;
            break;
        default:
            return 2;
        }
    }
    if (!issuer_path || !cert_path || !req_path || !out || days < 1) {
        fprintf(stderr, "usage: jiancha keys issue --issuer ISSUER.secret --issuer-cert "
                        "issuer.S.jc --request NODE.request.jc [--current NODE.SERIAL.cert] "
                        "[--serial S] [--days D] --out DIR\n");
        return 2;
    }
    struct cert_node current;
    char why[ERR_WHY_MAX];
    if (cur_path) {
        size_t len;
        char *file = file_read(cur_path, &len);
        if (!file || (cert_read_node(file, len, &current, why) != 0 &&
                      cert_read_publisher(file, len, &current, why) != 0)) {
            free(file);
            return fail("issue", file ? why : "cannot read the current certificate");
        }
        free(file);
    }
    size_t len;
    char *file = file_read(req_path, &len);
    if (!file)
        return fail("issue", "cannot read the request");
    struct cli_issuer ci = {issuer_path, cert_path, serial, days};
    int status = cli_issue_request(&ci, file, len, cur_path ? &current : NULL, out, NULL);
    free(file);
    return status;
}

int
cli_issue_request(const struct cli_issuer *ci, const void *request, size_t request_len,
                  const struct cert_node *current, const char *out, char written[4096])
{
    char why[ERR_WHY_MAX];
    size_t len;
    struct cert_issuer is;
    char *file = file_read(ci->cert, &len);
    if (!file || cert_read_issuer(file, len, &is, why) != 0) {
        free(file);
        return fail("issue", file ? why : "cannot read the issuer certificate");
    }
    free(file);
    struct cert_request q;
    char fp[65];
    cert_fingerprint(request, request_len, fp);
    int rc = cert_check_request(request, request_len, current, &q, why);
    if (rc != 0)
        return fail("issue", why);
    bool publisher = strcmp(q.tier, "publisher") == 0;
    if (publisher ? strcmp(cert_tier_of(q.node), "province") != 0 || q.parent[0]
                  : strcmp(cert_tier_of(q.node), q.tier) != 0)
        return fail("issue", publisher ? "a publisher is the province's, with no parent"
                                       : "the request's tier does not match its division code");
    if (current && strcmp(current->tier, q.tier) != 0)
        return fail("issue", "the current certificate and the request are of different roles");
    sign_key_t *k = NULL;
    char node[7];
    if (load_secret("issue", ci->key, &k, node) != 0)
        return 1;
    if (memcmp(sign_key_public(k), is.key, CERT_KEY_BYTES) != 0) {
        sign_key_destroy(&k);
        return fail("issue", "the issuer key is not the key of that issuer certificate");
    }
    int64_t now = timestamp_now_ms();
    struct cert_node n = {0};
    n.serial = ci->serial ? ci->serial : (uint64_t)now; /* one issuer, one workstation: unique */
    memcpy(n.node, q.node, sizeof n.node);
    memcpy(n.tier, q.tier, sizeof n.tier);
    memcpy(n.parent, q.parent, sizeof n.parent);
    memcpy(n.sign_pk, q.sign_pk, CERT_KEY_BYTES);
    memcpy(n.curve_pk, q.curve_pk, CERT_KEY_BYTES);
    n.key_gen = q.key_gen;
    n.not_before = now - BACKDATE_MS;
    n.not_after = now + ci->days * DAY_MS;
    if (n.not_after > is.not_after) {
        /* a certificate is judged with its issuer valid: past the issuer's end it would fail
         * silently, so it ends with its issuer and cert.expiring warns of that */
        n.not_after = is.not_after;
        char end[TIMESTAMP_TEXT_MAX];
        timestamp_format(is.not_after, end);
        printf("the certificate ends with its issuer, on %.10s\n", end);
    }
    n.issued_at = now;
    n.issuer = is.serial;
    struct wire_buf b;
    wire_buf_init(&b);
    if (publisher)
        cert_make_publisher(&n, k, &b);
    else
        cert_make_node(&n, k, &b);
    sign_key_destroy(&k);
    char path[4096];
    if (publisher)
        snprintf(path, sizeof path, "%s/publisher.%llu.jc", out, (unsigned long long)n.serial);
    else
        snprintf(path, sizeof path, "%s/%s.%llu.cert", out, n.node, (unsigned long long)n.serial);
    if (file_make_dirs(out) != 0) {
        wire_buf_fini(&b);
        return fail("issue", "cannot make the output directory");
    }
    printf("request from %s (%s, parent %s, key generation %u%s), fingerprint %s\n", q.node,
           q.tier, q.parent[0] ? q.parent : "-", q.key_gen, q.rotation ? ", a rotation" : "", fp);
    printf("compare that fingerprint with the one the node printed before you distribute this\n");
    int status = save("issue", path, &b, true);
    wire_buf_fini(&b);
    if (status == 0 && written)
        snprintf(written, 4096, "%s", path);
    return status;
}

/* keys revoke --trust DIR --issuer ISSUER.secret --serial S --reason superseded|compromised
 *             [--since TIME] */
static int
revoke(int argc, char **argv)
{
    static const struct option opts[] = {
        {"trust", required_argument, NULL, 't'},  {"issuer", required_argument, NULL, 'i'},
        {"serial", required_argument, NULL, 's'}, {"reason", required_argument, NULL, 'r'},
        {"since", required_argument, NULL, 'S'},  {NULL, 0, NULL, 0},
    };
    const char *trust_dir = NULL, *issuer_path = NULL, *reason = NULL, *since_text = NULL;
    uint64_t serial = 0;
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 't')
            trust_dir = optarg;
        else if (ch == 'i')
            issuer_path = optarg;
        else if (ch == 's')
            serial = strtoull(optarg, NULL, 10);
        else if (ch == 'r')
            reason = optarg;
        else if (ch == 'S')
            since_text = optarg;
        else
            return 2;
    }
    int64_t since = 0;
    const char *bad;
    if (!trust_dir || !issuer_path || !serial || !reason ||
        (strcmp(reason, "superseded") && strcmp(reason, "compromised")) ||
        (since_text && (strcmp(reason, "compromised") ||
                        timestamp_parse(since_text, strlen(since_text), &since, &bad) != 0))) {
        fprintf(stderr, "usage: jiancha keys revoke --trust DIR --issuer ISSUER.secret --serial S "
                        "--reason superseded|compromised [--since RFC3339 (compromised only)]\n");
        return 2;
    }
    char why[ERR_WHY_MAX];
    cert_trust_t *t = NULL;
    if (cert_trust_load(trust_dir, &t, why, sizeof why) != 0)
        return fail("revoke", why);
    const struct cert_node *target = NULL;
    size_t n;
    const struct cert_node *all = cert_trust_nodes(t, &n);
    for (size_t i = 0; i < n; i++)
        if (all[i].serial == serial)
            target = &all[i];
    const struct cert_node *pubs = cert_trust_publishers(t, &n);
    for (size_t i = 0; i < n; i++)
        if (pubs[i].serial == serial)
            target = &pubs[i];
    const struct cert_crl *old = cert_trust_crl(t);
    if (!target || cert_trust_revocation(t, serial)) {
        cert_trust_destroy(&t);
        return fail("revoke", "no such certificate in the trust directory, or revoked already");
    }
    sign_key_t *k = NULL;
    char node[7];
    if (load_secret("revoke", issuer_path, &k, node) != 0) {
        cert_trust_destroy(&t);
        return 1;
    }
    /* the list is signed by the issuer whose key this is, whichever issued the certificate (an
     * old issuer's certificates are revoked by its successor after a rotation) */
    size_t n_issuers;
    const struct cert_issuer *issuers = cert_trust_issuers(t, &n_issuers), *signer = NULL;
    for (size_t i = 0; i < n_issuers; i++)
        if (memcmp(issuers[i].key, sign_key_public(k), CERT_KEY_BYTES) == 0)
            signer = &issuers[i];
    if (!signer) {
        sign_key_destroy(&k);
        cert_trust_destroy(&t);
        return fail("revoke", "the issuer key is not that of an issuer in the trust directory");
    }
    int64_t now = timestamp_now_ms();
    struct cert_crl c = {old->version + 1, now, now + 30 * DAY_MS, signer->serial, NULL, 0};
    c.revoked = xcalloc(old->n_revoked + 1, sizeof *c.revoked);
    if (old->n_revoked)
        memcpy(c.revoked, old->revoked, old->n_revoked * sizeof *c.revoked);
    struct cert_revoked *r = &c.revoked[old->n_revoked];
    r->serial = serial;
    memcpy(r->node, target->node, sizeof r->node);
    snprintf(r->reason, sizeof r->reason, "%s", reason);
    r->at = now;
    r->since = since ? since : (strcmp(reason, "compromised") == 0 ? now : 0);
    c.n_revoked = old->n_revoked + 1;
    struct wire_buf b;
    wire_buf_init(&b);
    cert_make_crl(&c, k, &b);
    sign_key_destroy(&k);
    printf("certificate %llu of %s revoked (%s); revocation list version %llu\n",
           (unsigned long long)serial, r->node, reason, (unsigned long long)c.version);
    free(c.revoked);
    /* the new list must be one this trust accepts: signed by the certificate's issuer */
    char w[ERR_WHY_MAX];
    int status = 1;
    if (cert_trust_apply_crl(t, b.data, b.len, w) != 0) {
        fail("revoke", w);
    } else {
        char path[4096];
        snprintf(path, sizeof path, "%s/crl.jc", trust_dir);
        status = save("revoke", path, &b, false);
        if (status == 0)
            printf("send it down the tree: jiancha keys crl publish --crl %s ...\n", path);
    }
    wire_buf_fini(&b);
    cert_trust_destroy(&t);
    return status;
}

/* keys crl publish --crl crl.jc --key PUBLISHER.secret --to ENDPOINT: a bundle of kind crl */
static int
crl_publish(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[2], "publish") != 0) {
        fprintf(stderr, "usage: jiancha keys crl publish --crl crl.jc " CLI_PUBLISHER_USAGE "\n");
        return 2;
    }
    static const struct option opts[] = {
        {"crl", required_argument, NULL, 'c'}, CLI_PUBLISHER_OPTIONS, {NULL, 0, NULL, 0},
    };
    const char *crl = NULL;
    struct cli_publisher pub = {0};
    int ch;
    optind = 3;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'c')
            crl = optarg;
        else if (!cli_publisher_option(ch, optarg, &pub))
            return 2;
    }
    if (!crl || !pub.key || !pub.to)
        return crl_publish(0, argv);
    size_t len;
    char *file = file_read(crl, &len), why[ERR_WHY_MAX];
    struct cert_crl c;
    if (!file || cert_read_crl(file, len, &c, why) != 0) {
        free(file);
        return fail("crl publish", file ? why : "cannot read the revocation list");
    }
    cert_crl_fini(&c);
    int status = cli_bundle_publish("crl", file, len, c.version, &pub);
    free(file);
    return status;
}

/* keys certs publish --trust DIR --key PUBLISHER.secret --to ENDPOINT [--version N]: every
 * certificate the trust vouches for and that has not expired, as one `certs` bundle */
static int
certs_publish(int argc, char **argv)
{
    static const struct option opts[] = {
        {"trust", required_argument, NULL, 't'}, {"version", required_argument, NULL, 'v'},
        CLI_PUBLISHER_OPTIONS, {NULL, 0, NULL, 0},
    };
    const char *trust = NULL;
    struct cli_publisher pub = {0};
    uint64_t version = 0;
    int ch;
    optind = 3;
    while (argc >= 3 && (ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 't')
            trust = optarg;
        else if (ch == 'v')
            version = strtoull(optarg, NULL, 10);
        else if (!cli_publisher_option(ch, optarg, &pub))
            return 2;
    }
    if (argc < 3 || strcmp(argv[2], "publish") != 0 || !trust || !pub.key || !pub.to) {
        fprintf(stderr, "usage: jiancha keys certs publish --trust DIR [--version N] "
                        CLI_PUBLISHER_USAGE "\n"
                        "  (with --cert, the chain is taken from --chain or else --trust)\n");
        return 2;
    }
    return cli_certs_publish(trust, version, &pub);
}

int
cli_certs_publish(const char *trust, uint64_t version, const struct cli_publisher *p)
{
    struct cli_publisher pub = *p;
    char why[ERR_WHY_MAX];
    cert_trust_t *t = NULL;
    if (cert_trust_load(trust, &t, why, sizeof why) != 0)
        return fail("certs publish", why);
    int64_t now = timestamp_now_ms();
    size_t n, kept = 0;
    const struct cert_node *all = cert_trust_nodes(t, &n);
    struct wire_buf set;
    wire_buf_init(&set);
    char **files = xcalloc(n + 1, sizeof *files);
    size_t *lens = xcalloc(n + 1, sizeof *lens);
    for (size_t i = 0; i < n; i++) {
        char w[ERR_WHY_MAX], path[4096];
        if (cert_trust_vouches(t, &all[i], w) != 0 || all[i].not_after < now)
            continue;
        snprintf(path, sizeof path, "%s/%s.%llu.cert", trust, all[i].node,
                 (unsigned long long)all[i].serial);
        files[kept] = file_read(path, &lens[kept]);
        if (files[kept])
            kept++;
    }
    wire_put_array(&set, (uint32_t)kept);
    for (size_t i = 0; i < kept; i++) {
        wire_put_bin(&set, files[i], lens[i]);
        free(files[i]);
    }
    free(files);
    free(lens);
    cert_trust_destroy(&t);
    if (!version)
        version = (uint64_t)now; /* one publisher: later sets have later versions */
    printf("%zu certificates in the set, version %llu\n", kept, (unsigned long long)version);
    if (pub.cert && !pub.chain_dir)
        pub.chain_dir = trust; /* new issuers reach the aggregators with the set they certify */
    int status = cli_bundle_publish("certs", set.data, set.len, version, &pub);
    wire_buf_fini(&set);
    return status;
}

int
cli_issuer(int argc, char **argv)
{
    const char *sub = argv[1];
    if (strcmp(sub, "root-init") == 0)
        return root_init(argc, argv);
    if (strcmp(sub, "issuer-init") == 0)
        return issuer_init(argc, argv);
    if (strcmp(sub, "issue") == 0)
        return issue(argc, argv);
    if (strcmp(sub, "revoke") == 0)
        return revoke(argc, argv);
    if (strcmp(sub, "crl") == 0)
        return crl_publish(argc, argv);
    if (strcmp(sub, "certs") == 0)
        return certs_publish(argc, argv);
    return -1;
}
