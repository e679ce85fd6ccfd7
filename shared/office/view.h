/* view: what a tier's store holds, as the JSON that people's screens and scripts read. The CLI's
 * `query … --json` and the centre's screen (jiancha-web, docs/api.md) print these same objects, so
 * a figure never differs between them; the monthly report names rules and categories with the same
 * Chinese names.
 *
 * Every function reads through a transaction or store the caller holds; JSON comes back as new
 * jansson references the caller owns (json_decref). Names come from the optional tables in
 * struct view_names: without a table a name is null.
 */
#ifndef JIANCHA_VIEW_H
#define JIANCHA_VIEW_H

#include "alert.h"
#include "calendar.h"
#include "catalog.h"
#include "region.h"
#include "score.h"
#include "store.h"
#include "supervision.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- names, in Chinese, as the report and the screen show them ---- */

/* A rule's name ("limit.legal" → "法定时限"); the rule itself when it has none. */
const char *view_rule_name(const char *rule);
/* A category's name ("licensing" → "行政许可"); the code itself when unknown. */
const char *view_category_name(const char *category);
/* An alert's handling: 待答复, 已说明, 已整改, 已摘牌 or 已消除; a platform alarm or an office's
 * own finding, which takes no answer, stands as 待消除 until its cause is gone. */
const char *view_handling_name(const struct alert *a);

/* An alert's detail (the rule's own sentence, in English) as leaders read it, in Chinese, with
 * its figures: true with the text in out; false (out empty) for a sentence no table entry reads,
 * which is then shown as it is. */
bool view_detail_zh(const char *detail, char *out, size_t cap);

/* Borrowed tables for names and working days; any may be NULL. */
struct view_names {
    const region_t *regions;
    const catalog_t *catalog;
    calendar_t *calendar;
};

/* What an operator may see: the nodes at or below root (0: all), and for a department operator
 * one department (NULL: all). */
struct view_scope {
    uint32_t root;
    const char *dept;
};

bool view_node_in_scope(const struct view_scope *s, uint32_t node);
bool view_alert_in_scope(const struct view_scope *s, const struct alert *a);

/* ---- nodes ---- */

#define VIEW_NODE_ALARMS_MAX 8

/* One node as this tier knows it: its delivery state (children, and origins carried through them),
 * the records held, its open department lights, the bundles it acknowledged, and the node alarms
 * standing against it. */
struct view_node {
    uint32_t node;
    bool has_state;
    uint64_t last_seq, sealed_seq, records;
    bool sealed_known; /* a direct child's heartbeats said how far it sealed */
    int64_t last_contact_ms, skew_ms;
    uint64_t red_open, yellow_open;
    uint64_t catalog, calendar, crl; /* bundle versions the node acknowledged (0: none) */
    int coverage, disk, cert; /* its calendar.coverage, node.disk, cert.expiring (the worst of its
                               * own and its parent's certificate): 0 none, 1 yellow, 2 red */
    struct {
        char rule[24];
        enum alert_light light;
    } alarms[VIEW_NODE_ALARMS_MAX]; /* node and platform alarms standing against it */
    size_t n_alarms;
};

/* Every node the store knows in scope (NULL: all), in code order, its lights counted over the
 * alerts in scope; *rows is malloc'd, the caller frees it. The alerts come from board (NULL: it is
 * loaded from t), so a caller holding one does not load it twice. */
struct board;
int view_nodes(store_txn_t *t, const struct board *board, const struct view_scope *scope,
               struct view_node **rows, size_t *n) __attribute__((warn_unused_result));

/* {"node", "name", "parent", "depth", "records", "batch", "backlog", "lag_s", "skew_ms", "red",
 * "yellow", "catalog", "calendar", "coverage", "disk", "cert", "crl", "last_contact", "alarms"}. */
json_t *view_node_json(const struct view_node *r, const struct view_names *names, int64_t now_ms);

/* ---- alerts ---- */

/* A filter of the alert queue; NULL or 0 fields match everything. */
struct view_alert_filter {
    const char *light, *rule, *article, *node, *dept, *state, *queue;
    int64_t from_day, to_day; /* raised on a local day in [from_day, to_day]; 0: open-ended */
    bool has_from, has_to;
};

/* 0, or ERR_INVALID naming the field and the reason when a value cannot match anything sensible
 * (an unknown light or state, a node that is no division code). */
int view_alert_filter_check(const struct view_alert_filter *f, char field[64], char reason[192])
    __attribute__((warn_unused_result));
bool view_alert_matches(const struct alert *a, const struct view_alert_filter *f);

/* The alert (alert_to_json's fields) with rule_name, node_name, dept_name, item_name, detail_zh
 * (view_detail_zh; the English detail when no entry reads it), the subject
 * under one name (subject_kind, subject), its handling in Chinese and, with a calendar and an
 * answer deadline, answer_wd_left: working days from today to the deadline's last day (0 on it,
 * negative once missed). */
json_t *view_alert_json(const struct alert *a, const struct view_names *names, int64_t now_ms);

/* A supervision case with its state, office_name, target_node_name, dept_name and, with a
 * calendar, wd_left before its reply is due. */
json_t *view_supervision_json(const struct supervision *s, const struct view_names *names,
                              int64_t now_ms);

/* Every record of case `case_id` that node stored, in order, appended to `out` as
 * {"seq", "record"} (a deleted record's content is null with "deleted": true; a corrected one has
 * "corrected" beside it). */
int view_case_events(store_txn_t *t, uint32_t node, const char *case_id, json_t *out)
    __attribute__((warn_unused_result));

/* ---- scores ---- */

struct view_score_row {
    char key[160];
    struct score_counters c;
    struct score_result r;
};

/* The scores of spec §6 for the days [first_day, after_day), grouped by `by`, best first (ties by
 * key); only groups of nodes in scope. *rows is malloc'd, the caller frees it. */
int view_scores(store_t *s, int64_t first_day, int64_t after_day, enum score_by by,
                const struct view_scope *scope, struct view_score_row **rows, size_t *n)
    __attribute__((warn_unused_result));

/* {"rank", "key", "name", "period", the counters, the three rates, "score", "grade"}. */
json_t *view_score_json(const struct view_score_row *r, size_t rank, const char *period,
                        enum score_by by, const struct view_names *names);

/* ---- trends ---- */

#define VIEW_TREND_MONTHS_MAX 24

/* Department lights raised per month by rule (cleared ones left out, as the report leaves them)
 * and cases per month by category, for `months` months ending with `to` ("YYYY-MM"):
 * {"months": [...], "lights": [{"rule", "rule_name", "yellow": [...], "red": [...]}],
 *  "volumes": [{"category", "category_name", "cases": [...]}]}. ERR_INVALID for a bad month or
 * count. */
int view_trends(store_t *s, const char *to, int months, const struct view_scope *scope,
                json_t **out) __attribute__((warn_unused_result));

#endif
