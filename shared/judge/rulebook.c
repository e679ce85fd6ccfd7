/* rulebook: see rulebook.h. The catalogue in force is also kept in the store's meta table
 * ("catalog", "catalog_version") for `jiancha status` and the next start. */
#include "rulebook.h"

#include "err.h"
#include "log.h"
#include "mem.h"
#include "sign.h"
#include "spool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rulebook {
    store_t *store;
    uint32_t node;
    bool have_publisher;
    uint8_t publisher_pk[SIGN_PUBLIC_BYTES];
    cert_trust_t *publishers; /* borrowed; NULL without a root */
    catalog_t *catalog;
    calendar_t *calendar;
};

static int
store_catalog_fn(store_txn_t *t, void *arg)
{
    const catalog_t *cat = arg;
    size_t len;
    const char *text = catalog_text(cat, &len);
    int rc = store_put(t, STORE_META, "catalog", 7, text, len, 0);
    if (rc == 0)
        rc = store_meta_put_u64(t, "catalog_version", catalog_version(cat));
    return rc;
}

/* A newer file replaces the stored catalogue; a newer stored one (from the province) stays over an
 * older file. */
static int
keep_catalog(rulebook_t *r)
{
    store_txn_t *t = NULL;
    uint64_t stored = 0;
    struct wire_buf text;
    wire_buf_init(&text);
    int rc = store_read(r->store, &t);
    if (rc == 0)
        rc = store_meta_get_u64(t, "catalog_version", &stored);
    if (rc == 0 && stored > catalog_version(r->catalog))
        rc = store_get(t, STORE_META, "catalog", 7, &text);
    store_abort(&t);
    if (rc == 0 && stored > catalog_version(r->catalog)) {
        catalog_t *newer = NULL;
        char why[ERR_WHY_MAX];
        if (catalog_parse((const char *)text.data, text.len, &newer, why, sizeof why) == 0) {
            log_warn("rulebook: the store holds catalogue version %llu, newer than the file's "
                     "%llu; keeping the stored one",
                     (unsigned long long)stored, (unsigned long long)catalog_version(r->catalog));
            catalog_destroy(&r->catalog);
            r->catalog = newer;
        } else {
            log_error("rulebook: stored catalogue version %llu does not parse (%s); using the "
                      "file's", (unsigned long long)stored, why);
            stored = 0;
        }
    }
    wire_buf_fini(&text);
    if (rc == 0 && stored < catalog_version(r->catalog))
        rc = store_write(r->store, store_catalog_fn, r->catalog);
    return rc;
}

/* The catalogue or calendar a bundle carries, parsed (neither for lists and certificate sets). */
struct parsed {
    catalog_t *catalog;
    calendar_t *calendar;
};

static int
parse(const struct bundle *b, struct parsed *out, char *why, size_t len)
{
    memset(out, 0, sizeof *out);
    if (strcmp(b->kind, "catalog") == 0)
        return catalog_parse(b->body, b->body_len, &out->catalog, why, len);
    if (strcmp(b->kind, "calendar") == 0) {
        int rc = calendar_parse(b->body, b->body_len, "bundle", &out->calendar, why, len);
        if (rc == 0)
            calendar_set_version(out->calendar, b->version);
        return rc;
    }
    return 0;
}

static bool
adopt(rulebook_t *r, struct parsed *p)
{
    if (p->catalog) {
        catalog_destroy(&r->catalog);
        r->catalog = p->catalog;
    }
    if (p->calendar) {
        calendar_destroy(&r->calendar);
        r->calendar = p->calendar;
    }
    return p->catalog || p->calendar;
}

static struct bundle_trust
trust_of(const rulebook_t *r)
{
    return (struct bundle_trust){r->publishers, r->have_publisher ? r->publisher_pk : NULL, NULL,
                                 NULL};
}

/* A revocation list puts the publisher certificates it names out of force here. */
static void
apply_crl(rulebook_t *r, const struct bundle *b)
{
    char why[ERR_WHY_MAX];
    int rc = r->publishers ? cert_trust_apply_crl(r->publishers, b->body, b->body_len, why) : 0;
    if (rc != 0 && rc != ERR_EXISTS)
        log_warn("rulebook: revocation list %llu not in force for publishers: %s",
                 (unsigned long long)b->version, why);
}

/* Bundles received by an earlier run are in force over the files; each is judged as of when it
 * was published (a publisher certificate that ended since does not undo what it signed), and
 * their chains and revocation list teach the trust the publishers of later bundles. */
static int
adopt_held(rulebook_t *r)
{
    static const char *const kinds[] = {"catalog", "calendar", "crl"};
    struct bundle_trust bt = trust_of(r);
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        store_txn_t *t = NULL;
        struct wire_buf doc, sig;
        wire_buf_init(&doc);
        wire_buf_init(&sig);
        uint64_t version = 0;
        int rc = store_read(r->store, &t);
        if (rc == 0)
            rc = bundle_held(t, kinds[i], &version, &doc, &sig);
        store_abort(&t);
        struct bundle b;
        struct parsed p;
        char why[ERR_WHY_MAX] = "";
        bool newer = version && (i > 0 || !r->catalog || version > catalog_version(r->catalog));
        if (rc == 0 && newer) {
            if (bundle_peek(doc.data, doc.len, &b) == 0 &&
                bundle_open(&bt, doc.data, doc.len, sig.data, sig.len, b.published_ms, &b, why) ==
                    0 &&
                parse(&b, &p, why, sizeof why) == 0) {
                if (i == 2) {
                    apply_crl(r, &b);
                } else {
                    adopt(r, &p);
                    log_info("rulebook: in force from the province: %s version %llu", kinds[i],
                             (unsigned long long)version);
                }
            } else {
                log_error("rulebook: held %s bundle version %llu no longer verifies (%s)%s",
                          kinds[i], (unsigned long long)version, why,
                          i < 2 ? "; using the file's" : "");
            }
        }
        wire_buf_fini(&doc);
        wire_buf_fini(&sig);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int
rulebook_open(store_t *store, uint32_t node, const char *catalog_path, const char *calendar_path,
              const uint8_t *publisher_pk, cert_trust_t *publishers, rulebook_t **out, char *why,
              size_t why_len)
{
    rulebook_t *r = xcalloc(1, sizeof *r);
    r->store = store;
    r->node = node;
    r->publishers = publishers;
    if (publisher_pk) {
        memcpy(r->publisher_pk, publisher_pk, SIGN_PUBLIC_BYTES);
        r->have_publisher = true;
    }
    int rc = 0;
    if (catalog_path && *catalog_path) {
        if (catalog_load(catalog_path, &r->catalog, why, why_len) != 0 ||
            calendar_load(calendar_path, &r->calendar, why, why_len) != 0)
            rc = ERR_CONFIG;
        if (rc == 0 && (rc = keep_catalog(r)) != 0)
            snprintf(why, why_len, "cannot keep the catalogue in the store: %s", err_str(rc));
    }
    if (rc == 0 && (r->have_publisher || r->publishers) && (rc = adopt_held(r)) != 0)
        snprintf(why, why_len, "cannot read the bundles held: %s", err_str(rc));
    if (rc != 0) {
        rulebook_destroy(&r);
        return rc;
    }
    *out = r;
    return 0;
}

void
rulebook_destroy(rulebook_t **p)
{
    rulebook_t *r = *p;
    if (!r)
        return;
    catalog_destroy(&r->catalog);
    calendar_destroy(&r->calendar);
    free(r);
    *p = NULL;
}

const catalog_t *
rulebook_catalog(const rulebook_t *r)
{
    return r->catalog;
}

bool
rulebook_differs(const rulebook_t *a, const rulebook_t *b)
{
    if (!a->catalog != !b->catalog || !a->calendar != !b->calendar)
        return true;
    if (a->catalog && catalog_version(a->catalog) != catalog_version(b->catalog))
        return true;
    return a->calendar && calendar_digest(a->calendar) != calendar_digest(b->calendar);
}

calendar_t *
rulebook_calendar(const rulebook_t *r)
{
    return r->calendar;
}

struct keep {
    rulebook_t *r;
    const struct bundle *b;
    const void *doc, *sig;
    size_t len, sig_len;
    const catalog_t *catalog;
    int64_t now;
    uint32_t seal_at;
    bool taken;
    uint64_t sealed;
};

static int
keep_fn(store_txn_t *t, void *arg)
{
    struct keep *k = arg;
    int rc = bundle_keep(t, k->r->node, k->r->node, k->b, k->doc, k->len, k->sig, k->sig_len,
                         k->now, &k->taken);
    if (rc == 0 && k->taken && k->catalog)
        rc = store_catalog_fn(t, (void *)k->catalog);
    /* the acknowledgement leaves at once */
    if (rc == 0 && k->taken)
        rc = spool_seal(t, k->r->node, k->seal_at, true, k->now, &k->sealed);
    return rc;
}

int
rulebook_take(rulebook_t *r, const void *doc, size_t len, const void *sig, size_t sig_len,
              int64_t now_ms, uint32_t seal_at, struct rulebook_result *res, char why[ERR_WHY_MAX])
{
    memset(res, 0, sizeof *res);
    if (!r->have_publisher && !r->publishers) {
        snprintf(why, ERR_WHY_MAX, "no bundle/publisher_key or bundle/root configured");
        return ERR_STATE;
    }
    struct bundle *b = &res->bundle;
    struct bundle_trust bt = trust_of(r);
    char w[ERR_WHY_MAX];
    if (bundle_not_newer(r->store, doc, len, b))
        return 0;
    int rc = bundle_open(&bt, doc, len, sig, sig_len, now_ms, b, w);
    if (rc != 0) {
        snprintf(why, ERR_WHY_MAX, "%s", w);
        return rc;
    }
    if (strcmp(b->kind, "crl") == 0)
        apply_crl(r, b);
    struct parsed p;
    rc = parse(b, &p, why, ERR_WHY_MAX);
    if (rc != 0)
        return rc;
    /* never back: not even to a version older than the file in force */
    if (p.catalog && r->catalog && catalog_version(p.catalog) <= catalog_version(r->catalog)) {
        catalog_destroy(&p.catalog);
        return 0;
    }
    struct keep k = {r, b, doc, sig, len, sig_len, p.catalog, now_ms, seal_at, false, 0};
    rc = store_write(r->store, keep_fn, &k);
    if (rc != 0 || !k.taken) {
        if (rc != 0)
            snprintf(why, ERR_WHY_MAX, "cannot keep bundle %s version %llu: %s", b->kind,
                     (unsigned long long)b->version, err_str(rc));
        catalog_destroy(&p.catalog);
        calendar_destroy(&p.calendar);
        return rc;
    }
    res->taken = true;
    res->sealed = k.sealed;
    res->changed = adopt(r, &p);
    return 0;
}
