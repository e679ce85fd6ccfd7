/* sample: a reproducible spot-check sample of concluded cases (抽查, art. 11(4)).
 *
 * The cases are sorted by category and id, so the draw does not depend on the order they were
 * found in. The sample size is shared among the categories in proportion to their cases (largest
 * remainders first, ties to the category listed first), and each category's cases are drawn
 * uniformly without replacement by a Fisher-Yates shuffle over a deterministic stream keyed by
 * the BLAKE2b hash of "node|period|seed". The same cases, node, period, seed and size always
 * give the same sample.
 */
#ifndef JIANCHA_SAMPLE_H
#define JIANCHA_SAMPLE_H

#include "event.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sample_unit {
    char id[EVENT_ID_MAX + 1];
    char category[16];
    bool chosen;
};

/* Sorts units and marks `size` of them chosen (all of them if size >= n). Returns the count
 * chosen. */
size_t sample_draw(struct sample_unit *units, size_t n, size_t size, const char *node,
                   const char *period, uint64_t seed);

#endif
