/* report: gathering the monthly figures from the counter sheets and the board. See report.h. */
#include "report.h"

#include "board.h"
#include "counter.h"
#include "err.h"
#include "mem.h"
#include "node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The gravest department rules first, for the notable violations. */
static const char *const gravity[] = {
    "execution.mismatch",
    "discretion",
    "evidence.altered",
    "evidence.missing",
    "qualification",
    "procedure.order",
    "item.unlisted",
    "limit.legal",
    "basis.missing",
    "procedure.rollback",
    "limit.case",
    "complaint.overdue",
    "item.offline",
    "execution.missing",
    "item.mismatch",
    "disclosure.late",
    "limit.step",
    "rating.bad",
    NULL,
};

static size_t
gravity_of(const char *rule)
{
    size_t i = 0;
    while (gravity[i] && strcmp(gravity[i], rule) != 0)
        i++;
    return i;
}

/* Is node at or below root? */
static bool
under(uint32_t node, uint32_t root)
{
    for (uint32_t n = node; n; n = node_parent(n))
        if (n == root)
            return true;
    return false;
}

struct rows {
    struct report_row *v;
    size_t n, cap;
};

static struct report_row *
row_of(struct rows *rs, const char *key)
{
    for (size_t i = 0; i < rs->n; i++)
        if (strcmp(rs->v[i].key, key) == 0)
            return &rs->v[i];
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? 2 * rs->cap : 16;
        rs->v = xrealloc(rs->v, rs->cap * sizeof *rs->v);
    }
    struct report_row *r = &rs->v[rs->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->key, sizeof r->key, "%s", key);
    return r;
}

struct sums {
    uint32_t root;
    struct rows *rows;
    struct score_counters *total;
    bool by_category; /* key is node/category: add under the category */
};

static void
take_group(void *arg, const char *key, const struct score_counters *c)
{
    struct sums *s = arg;
    if (node_valid(key, 6) != 0 || !under(node_number(key), s->root))
        return;
    if (s->by_category) {
        const char *slash = strchr(key, '/');
        if (slash)
            score_add(&row_of(s->rows, slash + 1)->c, c);
        return;
    }
    if (s->total)
        score_add(s->total, c);
    char code[7];
    memcpy(code, key, 6);
    code[6] = '\0';
    score_add(&row_of(s->rows, code)->c, c);
}

static int
cmp_row_score(const void *a, const void *b)
{
    const struct report_row *x = a, *y = b;
    if (x->r.score != y->r.score)
        return x->r.score > y->r.score ? -1 : 1;
    return strcmp(x->key, y->key);
}

static int
cmp_row_key(const void *a, const void *b)
{
    return strcmp(((const struct report_row *)a)->key, ((const struct report_row *)b)->key);
}

static void
score_rows(struct rows *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        score_compute(&rs->v[i].c, &score_default_weights, &rs->v[i].r);
}

static int
cmp_notable(const void *a, const void *b)
{
    const struct alert *x = a, *y = b;
    size_t gx = gravity_of(x->rule), gy = gravity_of(y->rule);
    if (gx != gy)
        return gx < gy ? -1 : 1;
    if (x->raised_ms != y->raised_ms)
        return x->raised_ms < y->raised_ms ? -1 : 1;
    return strcmp(x->id, y->id);
}

static struct report_office *
office_of(struct report *r, size_t *cap, uint32_t node)
{
    for (size_t i = 0; i < r->n_offices; i++)
        if (r->offices[i].node == node)
            return &r->offices[i];
    if (r->n_offices == *cap) {
        *cap = *cap ? 2 * *cap : 8;
        r->offices = xrealloc(r->offices, *cap * sizeof *r->offices);
    }
    struct report_office *o = &r->offices[r->n_offices++];
    memset(o, 0, sizeof *o);
    o->node = node;
    return o;
}

static int
cmp_office(const void *a, const void *b)
{
    uint32_t x = ((const struct report_office *)a)->node;
    uint32_t y = ((const struct report_office *)b)->node;
    return x < y ? -1 : x > y;
}

/* month k before the period: its text and its [first, next) days */
static void
month_back(const char *period, int k, char out[8], int64_t *first, int64_t *next)
{
    int y = atoi(period), m = atoi(period + 5) - k;
    while (m < 1) {
        m += 12;
        y--;
    }
    snprintf(out, 8, "%04u-%02u", (unsigned)(y % 10000), (unsigned)(m % 100));
    if (calendar_parse_month(out, first, next) != 0)
        *first = *next = 0;
}

int
report_build(store_t *store, calendar_t *cal, const char *period, uint32_t root, int64_t now_ms,
             struct report *r)
{
    memset(r, 0, sizeof *r);
    int64_t first, next;
    if (calendar_parse_month(period, &first, &next) != 0)
        return ERR_INVALID;
    snprintf(r->period, sizeof r->period, "%s", period);
    r->root = root;
    int64_t from_ms = calendar_day_start_ms(first), to_ms = calendar_day_start_ms(next);

    /* counters: by node (and the total), by category, by region */
    struct rows nodes = {0}, cats = {0}, regions = {0}, rules = {0};
    struct sums s = {root, &nodes, &r->total, false};
    int rc = counter_sum(store, first, next, SCORE_BY_NODE, NULL, take_group, &s);
    struct sums sc = {root, &cats, NULL, true};
    if (rc == 0)
        rc = counter_sum(store, first, next, SCORE_BY_CATEGORY, NULL, take_group, &sc);
    struct sums sr = {root, &regions, NULL, false};
    if (rc == 0)
        rc = counter_sum(store, first, next, SCORE_BY_REGION, NULL, take_group, &sr);
    /* a region is the root or a city under it: counties are nodes, not regions */
    size_t kept = 0;
    for (size_t i = 0; i < regions.n; i++)
        if (node_depth(node_number(regions.v[i].key)) < 2)
            regions.v[kept++] = regions.v[i];
    regions.n = kept;
    int64_t trend_from_ms[REPORT_TREND_MONTHS], trend_to_ms[REPORT_TREND_MONTHS];
    for (int k = 0; rc == 0 && k < REPORT_TREND_MONTHS; k++) {
        struct report_trend *t = &r->trend[REPORT_TREND_MONTHS - 1 - k];
        int64_t f, n;
        month_back(period, k, t->month, &f, &n);
        trend_from_ms[REPORT_TREND_MONTHS - 1 - k] = calendar_day_start_ms(f);
        trend_to_ms[REPORT_TREND_MONTHS - 1 - k] = calendar_day_start_ms(n);
        struct rows tmp = {0};
        struct score_counters total = {0};
        struct sums st = {root, &tmp, &total, false};
        rc = counter_sum(store, f, n, SCORE_BY_NODE, NULL, take_group, &st);
        t->cases = total.cases;
        free(tmp.v);
    }

    /* the board: lights, their handling, supervision cases, patrol days */
    struct board b = {0};
    store_txn_t *t = NULL;
    if (rc == 0)
        rc = store_read(store, &t);
    if (rc == 0)
        rc = board_load(t, cal, &b);
    store_abort(&t);
    size_t cap_offices = 0;
    for (size_t i = 0; rc == 0 && i < b.n_patrols; i++) {
        const struct board_patrol *p = &b.patrols[i];
        if (under(p->office, root) && p->at_ms >= from_ms && p->at_ms < to_ms)
            office_of(r, &cap_offices, p->office)->patrols++;
    }
    for (size_t i = 0; rc == 0 && i < b.n_alerts; i++) {
        const struct alert *a = &b.alerts[i];
        uint32_t node = node_number(a->node);
        if (a->state == ALERT_CLEARED || !under(node, root))
            continue;
        /* the trend: department lights raised in each of the six months */
        bool department = alert_is_department(a->rule);
        for (int k = 0; department && k < REPORT_TREND_MONTHS; k++)
            if (a->raised_ms >= trend_from_ms[k] && a->raised_ms < trend_to_ms[k]) {
                if (a->light == ALERT_RED)
                    r->trend[k].red++;
                else
                    r->trend[k].yellow++;
            }
        if (strcmp(a->rule, "patrol.shortfall") == 0) {
            /* a short day counts in the month it belongs to, not the one its alarm was raised
             * in (the midnight after it) */
            int64_t day;
            int64_t at = calendar_parse_date(a->subject, strlen(a->subject), &day) == 0
                             ? calendar_day_start_ms(day)
                             : a->raised_ms;
            if (at >= from_ms && at < to_ms)
                office_of(r, &cap_offices, node)->short_days++;
            continue;
        }
        if (a->raised_ms < from_ms || a->raised_ms >= to_ms)
            continue;
        if (!department)
            continue;
        struct report_row *nr = row_of(&nodes, a->node), *rr = row_of(&rules, a->rule);
        if (a->light == ALERT_RED) {
            nr->red++;
            rr->red++;
            if (r->n_notable < REPORT_NOTABLE_MAX ||
                cmp_notable(a, &r->notable[REPORT_NOTABLE_MAX - 1]) < 0) {
                size_t at =
                    r->n_notable < REPORT_NOTABLE_MAX ? r->n_notable++ : REPORT_NOTABLE_MAX - 1;
                r->notable[at] = *a;
                qsort(r->notable, r->n_notable, sizeof *r->notable, cmp_notable);
            }
        } else {
            nr->yellow++;
            rr->yellow++;
        }
        r->alerts++;
        r->open += a->state == ALERT_OPEN;
        r->responded += a->state == ALERT_RESPONDED;
        r->closed += a->state == ALERT_CLOSED;
        r->referred += a->queue[0] != '\0';
        r->supervised += a->supervision[0] != '\0';
    }
    for (size_t i = 0; rc == 0 && i < b.n_cases; i++) {
        const struct supervision *c = &b.cases[i];
        if (!under(node_number(c->node), root) || c->opened_ms < from_ms ||
            c->opened_ms >= to_ms)
            continue;
        r->cases_opened++;
        r->cases_reported_in_time += c->reported_ms && c->reported_ms < c->due_ms;
        r->cases_overdue += (!c->reported_ms || c->reported_ms >= c->due_ms) && now_ms >= c->due_ms;
        r->cases_closed += c->closed_ms != 0;
        r->cases_extended += c->extended_wd != 0;
    }
    board_fini(&b);
    /* every office under the root that has sheets or patrols: its working days so far */
    for (size_t i = 0; i < nodes.n; i++)
        office_of(r, &cap_offices, node_number(nodes.v[i].key));
    int64_t last = calendar_day_of(now_ms) < next ? calendar_day_of(now_ms) : next;
    for (size_t i = 0; i < r->n_offices; i++)
        for (int64_t d = first; d < last; d++)
            r->offices[i].workdays += calendar_is_workday(cal, d);
    if (r->n_offices > 1)
        qsort(r->offices, r->n_offices, sizeof *r->offices, cmp_office);

    score_rows(&nodes);
    score_rows(&cats);
    score_rows(&regions);
    score_compute(&r->total, &score_default_weights, &r->total_score);
    if (nodes.n > 1)
        qsort(nodes.v, nodes.n, sizeof *nodes.v, cmp_row_score);
    if (regions.n > 1)
        qsort(regions.v, regions.n, sizeof *regions.v, cmp_row_key);
    if (rules.n > 1)
        qsort(rules.v, rules.n, sizeof *rules.v, cmp_row_key);
    r->nodes = nodes.v;
    r->n_nodes = nodes.n;
    r->categories = cats.v;
    r->n_categories = cats.n;
    r->regions = regions.v;
    r->n_regions = regions.n;
    r->rules = rules.v;
    r->n_rules = rules.n;
    if (rc != 0)
        report_fini(r);
    return rc;
}

void
report_fini(struct report *r)
{
    free(r->nodes);
    free(r->categories);
    free(r->regions);
    free(r->rules);
    free(r->offices);
    memset(r, 0, sizeof *r);
}
