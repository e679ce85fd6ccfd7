/* catalog: the province's master list of power items (权力清单, spec §2).
 *
 * The document is JSON: {"version": N, "items": [ITEM, ...]}, N a positive integer that grows
 * with every publication (a newer version replaces an older one, never the reverse). Each ITEM
 * carries the fields of spec §2; catalog_parse() checks all of them and names the item, the field
 * and the reason of the first problem. The parsed catalogue is immutable; lookups borrow.
 */
#ifndef JIANCHA_CATALOG_H
#define JIANCHA_CATALOG_H

#include "calendar.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum catalog_category {
    CATALOG_LICENSING,
    CATALOG_PENALTY,
    CATALOG_LEVY,
    CATALOG_ENFORCEMENT,
    CATALOG_CONFIRMATION,
    CATALOG_ADJUDICATION,
    CATALOG_PAYMENT,
    CATALOG_OTHER,
    CATALOG_CATEGORIES_
};

/* Evidence kinds as bits of catalog_item.evidence. */
#define CATALOG_EVIDENCE_VIDEO 1u
#define CATALOG_EVIDENCE_AUDIO 2u
#define CATALOG_EVIDENCE_PHOTO 4u
#define CATALOG_EVIDENCE_DOCUMENT 8u

struct catalog_limit {
    uint32_t n; /* 0: no limit */
    enum calendar_unit unit;
};

struct catalog_step {
    char *name;
    struct catalog_limit limit;
};

struct catalog_tier {
    char *level;
    int64_t min_fen, max_fen;
    bool min_inclusive, max_inclusive;
};

/* Rule thresholds (spec §5 defaults), configurable in the catalogue document: a top-level
 * "thresholds" object with "default" and per-category entries, and an item's own "thresholds";
 * the most specific setting wins. */
struct catalog_thresholds {
    double yellow_ratio;           /* limits and complaints turn yellow at ceil(ratio * N): 0.8 */
    uint32_t execution_days;       /* execution.missing: calendar days ... 15 */
    uint32_t execution_workdays;   /* ... then working days after the decision: 5 */
    uint32_t offline_workdays;     /* item.offline: working days after `effective`: 5 */
    uint32_t disclosure_workdays;  /* disclosure.late: working days after generated_at: 20 */
    uint32_t complaint_days;       /* complaint.overdue default limits, calendar days: 60 */
    uint32_t petition_days;        /* 60 */
    uint32_t reconsideration_days; /* 60 */
    int64_t rating_bad_max;        /* rating.bad at this rating or below: 2 */
    uint32_t answer_workdays;      /* feedback.overdue: a department answers within: 5 */
    uint32_t callback_workdays;    /* ... a bad rating is called back within: 1 */
    uint32_t fix_workdays;         /* ... and fixed within: 15 */
};

struct catalog_item {
    char *item, *name, *dept;
    char node[7];
    enum catalog_category category;
    char **basis;
    size_t n_basis;
    struct catalog_limit promised, legal, extension;
    struct catalog_step *steps;
    size_t n_steps;
    uint32_t (*rollbacks)[2]; /* [from, to] step indices */
    size_t n_rollbacks;
    unsigned evidence;
    bool credential;
    struct catalog_tier *tiers;
    size_t n_tiers;
    bool public_;
    int64_t effective_day; /* -1: none */
    struct catalog_thresholds th; /* resolved: item, else category, else default */
};

typedef struct catalog catalog_t;

/* Parses and checks a catalogue document. On failure ERR_INVALID with "item X: field: reason" (or
 * "items[i]" when the item has no code) in err. */
int catalog_parse(const char *text, size_t len, catalog_t **out, char *err, size_t errlen)
    __attribute__((warn_unused_result));
int catalog_load(const char *path, catalog_t **out, char *err, size_t errlen)
    __attribute__((warn_unused_result));
void catalog_destroy(catalog_t **p);

uint64_t catalog_version(const catalog_t *c);
/* The document as parsed (borrowed, NUL-terminated), for storing it and sending it on. */
const char *catalog_text(const catalog_t *c, size_t *len);
size_t catalog_count(const catalog_t *c);
const struct catalog_item *catalog_at(const catalog_t *c, size_t i);
/* The item with this code, or NULL. */
const struct catalog_item *catalog_find(const catalog_t *c, const char *item);

/* A department's name by its code, from the document's optional "departments" object (names by
 * code, the same at every node: {"SCJGJ": "市场监督管理局"}); NULL when it names none. */
struct catalog_dept {
    char code[65];
    char name[97];
};
const char *catalog_dept_name(const catalog_t *c, const char *dept);

const char *catalog_category_name(enum catalog_category c);
/* The thresholds for subjects without an item (complaints): the document's default. */
const struct catalog_thresholds *catalog_default_thresholds(const catalog_t *c);
/* Index of a step by name in an item, or -1. */
int catalog_step_index(const struct catalog_item *it, const char *name);

#endif
