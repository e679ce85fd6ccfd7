/* libFuzzer: the signed documents of the PKI (root, issuer, node certificate, revocation list,
 * certificate set, key request), bundles, and the operators roster. */
#include "bundle.h"
#include "cert.h"
#include "err.h"
#include "roster.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
each_cert(void *arg, const void *file, size_t len, const struct cert_node *n)
{
    (void)arg;
    (void)file;
    (void)len;
    (void)n;
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[ERR_WHY_MAX];
    struct cert_root root;
    struct cert_issuer issuer;
    struct cert_node node;
    struct cert_crl crl;
    (void)cert_read_root(data, size, &root, why);
    (void)cert_read_issuer(data, size, &issuer, why);
    (void)cert_read_node(data, size, &node, why);
    (void)cert_read_crl(data, size, &crl, why);
    (void)cert_set_each(data, size, each_cert, NULL);
    struct bundle b;
    (void)bundle_peek(data, size, &b);
    roster_t *roster = NULL;
    char rwhy[ERR_WHY_MAX];
    if (roster_parse(data, size, &roster, rwhy, sizeof rwhy) == 0)
        roster_destroy(&roster);
    return 0;
}
