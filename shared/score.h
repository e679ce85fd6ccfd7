/* score: performance counters and scores (绩效评估, spec §6).
 *
 * Counters are counted from the records a store holds for a period: cases accepted and concluded,
 * concluded within the promised limit (no standing limit.case red), red and yellow alerts (their
 * latest state, cleared ones not counted), alerts whose response deadline has passed and those
 * answered in time, ratings and good ratings, complaints. Every tier holding the same records
 * counts the same counters, and every tier computes scores from counters with the same formula,
 * so the province's score for a county equals the county's own.
 */
#ifndef JIANCHA_SCORE_H
#define JIANCHA_SCORE_H

#include "catalog.h"
#include "store.h"

#include <stdint.h>

struct score_counters {
    uint64_t cases, concluded, on_time;
    uint64_t red, yellow;
    uint64_t response_due, responded_in_time;
    uint64_t ratings, ratings_good;
    uint64_t complaints;
};

struct score_weights {
    double on_time, red, yellow, satisfaction, response; /* 0.35 0.25 0.10 0.15 0.15 */
};

extern const struct score_weights score_default_weights;

struct score_result {
    double on_time_rate, red_term, yellow_term, satisfaction_rate, response_rate;
    double score;
    const char *grade; /* 优秀 良好 合格 不合格 */
};

/* The formula of spec §6; a rate with no denominator counts as 1. */
void score_compute(const struct score_counters *c, const struct score_weights *w,
                   struct score_result *out);
const char *score_grade(double score);

enum score_by { SCORE_BY_NODE, SCORE_BY_DEPT, SCORE_BY_CATEGORY };

/* One group's counters: key is "510104", "510104/SCJGJ" or "510104/licensing". */
typedef void (*score_group_fn)(void *arg, const char *key, const struct score_counters *c);

/* Counts the records of [from_ms, to_ms) in a store (a node of `node_filter` only, if given),
 * grouped as asked, in key order. The catalogue gives each case's category. */
int score_count(store_t *s, const catalog_t *catalog, int64_t from_ms, int64_t to_ms,
                enum score_by by, const char *node_filter, int64_t now_ms, score_group_fn fn,
                void *arg) __attribute__((warn_unused_result));

#endif
