/* sample: stratified draws over a keyed stream. See sample.h. */
#include "sample.h"

#include "mem.h"
#include "sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
cmp_unit(const void *x, const void *y)
{
    const struct sample_unit *a = x, *b = y;
    int c = strcmp(a->category, b->category);
    return c ? c : strcmp(a->id, b->id);
}

/* Uniform draws below a bound from the stream, without modulo bias. */
struct draws {
    uint8_t buf[4096];
    size_t pos;
    uint8_t key[SIGN_HASH_BYTES];
    uint64_t block;
};

static uint32_t
next_u32(struct draws *d)
{
    if (d->pos + 4 > sizeof d->buf) {
        /* each block of the stream is keyed by the seed and the block number */
        uint8_t in[SIGN_HASH_BYTES + 8], k[SIGN_HASH_BYTES];
        memcpy(in, d->key, SIGN_HASH_BYTES);
        for (int i = 0; i < 8; i++)
            in[SIGN_HASH_BYTES + i] = (uint8_t)(d->block >> (8 * i));
        sign_hash(in, sizeof in, k);
        sign_stream(k, d->buf, sizeof d->buf);
        d->block++;
        d->pos = 0;
    }
    uint32_t v = (uint32_t)d->buf[d->pos] | (uint32_t)d->buf[d->pos + 1] << 8 |
                 (uint32_t)d->buf[d->pos + 2] << 16 | (uint32_t)d->buf[d->pos + 3] << 24;
    d->pos += 4;
    return v;
}

static uint32_t
below(struct draws *d, uint32_t bound)
{
    uint32_t limit = UINT32_MAX - UINT32_MAX % bound;
    uint32_t v;
    do
        v = next_u32(d);
    while (v >= limit);
    return v % bound;
}

size_t
sample_draw(struct sample_unit *units, size_t n, size_t size, const char *node, const char *period,
            uint64_t seed)
{
    if (n > 1)
        qsort(units, n, sizeof *units, cmp_unit);
    for (size_t i = 0; i < n; i++)
        units[i].chosen = size >= n;
    if (size >= n)
        return n;
    if (size == 0)
        return 0;
    /* strata: runs of one category */
    size_t n_strata = 0;
    size_t *start = xcalloc(n + 1, sizeof *start), *quota = xcalloc(n, sizeof *quota);
    uint64_t *rem = xcalloc(n, sizeof *rem);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(units[i].category, units[i - 1].category) != 0)
            start[n_strata++] = i;
    start[n_strata] = n;
    size_t given = 0;
    for (size_t s = 0; s < n_strata; s++) {
        uint64_t share = (uint64_t)(start[s + 1] - start[s]) * size;
        quota[s] = (size_t)(share / n);
        rem[s] = share % n;
        given += quota[s];
    }
    while (given < size) {
        size_t best = 0;
        for (size_t s = 1; s < n_strata; s++)
            if (rem[s] > rem[best])
                best = s;
        quota[best]++;
        rem[best] = 0;
        given++;
    }
    char text[256];
    int tl = snprintf(text, sizeof text, "%s|%s|%llu", node, period, (unsigned long long)seed);
    struct draws *d = xcalloc(1, sizeof *d);
    sign_hash(text, (size_t)tl < sizeof text ? (size_t)tl : sizeof text - 1, d->key);
    d->pos = sizeof d->buf;
    size_t *idx = xcalloc(n, sizeof *idx);
    for (size_t s = 0; s < n_strata; s++) {
        size_t m = start[s + 1] - start[s];
        for (size_t i = 0; i < m; i++)
            idx[i] = start[s] + i;
        /* the first quota[s] places of a partial Fisher-Yates shuffle */
        for (size_t i = 0; i < quota[s]; i++) {
            size_t j = i + below(d, (uint32_t)(m - i));
            size_t tmp = idx[i];
            idx[i] = idx[j];
            idx[j] = tmp;
            units[idx[i]].chosen = true;
        }
    }
    free(idx);
    free(d);
    free(start);
    free(quota);
    free(rem);
    return size;
}
