/* report: the figures of a supervision office's monthly report (art. 12, 13), for the tier rooted
 * at one node, from what that tier's store holds.
 *
 * Volumes, on-time rates, satisfaction, responses and scores come from the counter sheets (the
 * same sums and formula as `jiancha query scores`, counter.h), so the report and the scores never
 * disagree. Lights by rule and node, their handling, supervision cases and patrols come from the
 * board (board.h): the alerts raised in the month at the nodes under the root, in their current
 * state (cleared ones left out, as the counters leave them out). The trend covers the six months
 * up to the period. Rendering (Markdown, HTML, CSV) is the CLI's.
 */
#ifndef JIANCHA_REPORT_H
#define JIANCHA_REPORT_H

#include "alert.h"
#include "calendar.h"
#include "score.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

#define REPORT_TREND_MONTHS 6
#define REPORT_NOTABLE_MAX 10

struct report_row {
    char key[24]; /* node code, category, region code or rule */
    struct score_counters c;
    struct score_result r;
    uint64_t yellow, red; /* lights raised in the month (board) */
};

struct report_office {
    uint32_t node;
    uint32_t workdays;   /* working days of the month judged so far (up to yesterday) */
    uint32_t short_days; /* days with a standing patrol.shortfall */
    uint64_t patrols;    /* patrol records entered that month */
};

struct report_trend {
    char month[8];
    uint64_t cases, yellow, red;
};

struct report {
    char period[8];
    uint32_t root;
    struct score_counters total;
    struct score_result total_score;
    struct report_row *nodes; /* every node under the root with sheets, best score first */
    size_t n_nodes;
    struct report_row *categories; /* by category */
    size_t n_categories;
    struct report_row *regions; /* the root and each city region under it */
    size_t n_regions;
    struct report_row *rules; /* department lights by rule (yellow, red) */
    size_t n_rules;
    /* handling of the month's department alerts, in their current state */
    uint64_t alerts, open, responded, closed, referred, supervised;
    /* supervision cases opened in the month by offices under the root */
    uint64_t cases_opened, cases_reported_in_time, cases_overdue, cases_closed, cases_extended;
    struct report_office *offices;
    size_t n_offices;
    struct report_trend trend[REPORT_TREND_MONTHS];
    struct alert notable[REPORT_NOTABLE_MAX]; /* red department alerts, gravest rules first */
    size_t n_notable;
};

/* Computes the report for `period` ("YYYY-MM") and the tier under root from the store, as of
 * now_ms. The calendar counts working days and supervision deadlines. Owns what it allocates until
 * report_fini. ERR_INVALID for a malformed period. */
int report_build(store_t *store, calendar_t *calendar, const char *period, uint32_t root,
                 int64_t now_ms, struct report *out) __attribute__((warn_unused_result));
void report_fini(struct report *r);

#endif
