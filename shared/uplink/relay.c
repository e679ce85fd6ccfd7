/* relay: see relay.h. */
#include "relay.h"

#include "cert.h"
#include "err.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

/* One certificate of a set: added if the trust vouches for it; one it does not is logged and
 * left out, the rest still taken. */
static int
add_certificate(void *arg, const void *file, size_t len, const struct cert_node *n)
{
    ingest_t *in = arg;
    char why[ERR_WHY_MAX];
    if (ingest_add_certificate(in, file, len, why) != 0)
        log_warn("relay: certificate %llu of %s left out: %s", (unsigned long long)n->serial,
                 n->node, why);
    return 0;
}

struct keep {
    const struct relay *r;
    const struct bundle *b;
    const void *doc, *sig;
    size_t len, sig_len;
    int64_t now;
    bool taken;
};

static int
keep_fn(store_txn_t *t, void *arg)
{
    struct keep *k = arg;
    return bundle_keep(t, k->r->node, k->r->forwards ? k->r->node : 0, k->b, k->doc, k->len,
                       k->sig, k->sig_len, k->now, &k->taken);
}

int
relay_take(const struct relay *r, const void *doc, size_t len, const void *sig, size_t sig_len,
           int64_t now_ms, struct relay_result *res, char why[ERR_WHY_MAX])
{
    memset(res, 0, sizeof *res);
    struct bundle_trust bt = ingest_bundle_trust(r->ingest, r->publisher_pk);
    if (!bt.trust && !bt.publisher_pk) {
        snprintf(why, ERR_WHY_MAX, "no bundle/publisher_key configured and no trust directory: "
                                   "bundles are refused");
        return ERR_STATE;
    }
    struct bundle *b = &res->bundle;
    if (bundle_not_newer(r->store, doc, len, b)) {
        snprintf(why, ERR_WHY_MAX, "%s version %llu is not newer than the one held", b->kind,
                 (unsigned long long)b->version);
        return ERR_EXISTS;
    }
    int rc = bundle_open(&bt, doc, len, sig, sig_len, now_ms, b, why);
    if (rc != 0)
        return rc;
    if (strcmp(b->kind, "certs") == 0 &&
        cert_set_each(b->body, b->body_len, add_certificate, r->ingest) != 0) {
        snprintf(why, ERR_WHY_MAX, "certificate set %llu does not read",
                 (unsigned long long)b->version);
        return ERR_DECODE;
    }
    if (strcmp(b->kind, "crl") == 0) {
        rc = ingest_apply_crl(r->ingest, b->body, b->body_len, why);
        if (rc != 0 && rc != ERR_EXISTS)
            return rc;
        res->revoked = rc == 0;
    }
    struct keep k = {r, b, doc, sig, len, sig_len, now_ms, false};
    rc = store_write(r->store, keep_fn, &k);
    if (rc != 0) {
        snprintf(why, ERR_WHY_MAX, "cannot keep the bundle: %s", err_str(rc));
        return rc;
    }
    res->taken = k.taken;
    if (!k.taken) {
        snprintf(why, ERR_WHY_MAX, "%s version %llu is not newer than the one held", b->kind,
                 (unsigned long long)b->version);
        return ERR_EXISTS;
    }
    return 0;
}
