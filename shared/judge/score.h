/* score: performance scores and grades (绩效评估, spec §6) from counters.
 *
 * The counters themselves are counted and rolled up the tree by counter.h; this module holds only
 * what every tier must compute the same way: the formula and the grades.
 */
#ifndef JIANCHA_SCORE_H
#define JIANCHA_SCORE_H

#include <stdint.h>

struct score_counters {
    uint64_t cases, concluded, on_time;
    uint64_t red, yellow;
    uint64_t response_due, responded_in_time;
    uint64_t escalated; /* lights raised that day that went up for a missed answer (feedback.h) */
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

/* Adds one group's counters to another's. */
void score_add(struct score_counters *to, const struct score_counters *from);

/* The formula of spec §6; a rate with no denominator counts as 1. */
void score_compute(const struct score_counters *c, const struct score_weights *w,
                   struct score_result *out);
const char *score_grade(double score);

/* Regions roll nodes up by their division codes: a county 510104 counts in its city's region
 * 510100 and its province's 510000; a city node in both too; the province node in 510000. */
enum score_by { SCORE_BY_NODE, SCORE_BY_DEPT, SCORE_BY_CATEGORY, SCORE_BY_REGION };

/* One group's counters: key is "510104", "510104/SCJGJ", "510104/licensing" or (regions)
 * "510100". */
typedef void (*score_group_fn)(void *arg, const char *key, const struct score_counters *c);

#endif
