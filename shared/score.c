/* score: one pass over a store's records collects cases (item, dept), the latest state of every
 * alert, and the period's counts; then counters are grouped and handed out in key order. Memory
 * is proportional to the cases and alerts seen, which a monthly report can afford. */
#include "score.h"

#include "alert.h"
#include "calendar.h"
#include "err.h"
#include "event.h"
#include "mem.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct score_weights score_default_weights = {0.35, 0.25, 0.10, 0.15, 0.15};

const char *
score_grade(double s)
{
    return s >= 90 ? "优秀" : s >= 75 ? "良好" : s >= 60 ? "合格" : "不合格";
}

static double
rate(uint64_t num, uint64_t den)
{
    return den ? (double)num / (double)den : 1.0;
}

void
score_compute(const struct score_counters *c, const struct score_weights *w,
              struct score_result *out)
{
    out->on_time_rate = rate(c->on_time, c->concluded);
    double red = c->cases ? (double)c->red / (double)c->cases : (c->red ? 1.0 : 0.0);
    double yellow = c->cases ? (double)c->yellow / (double)c->cases : (c->yellow ? 1.0 : 0.0);
    out->red_term = 1.0 - (red > 1 ? 1 : red);
    out->yellow_term = 1.0 - (yellow > 1 ? 1 : yellow);
    out->satisfaction_rate = rate(c->ratings_good, c->ratings);
    out->response_rate = rate(c->responded_in_time, c->response_due);
    out->score = 100.0 * (w->on_time * out->on_time_rate + w->red * out->red_term +
                          w->yellow * out->yellow_term + w->satisfaction * out->satisfaction_rate +
                          w->response * out->response_rate);
    out->grade = score_grade(out->score);
}

/* ---- the scan ---- */

struct kase {
    char *key; /* node/case */
    char *dept;
    enum catalog_category cat;
    bool known;
};

struct group {
    char *key;
    struct score_counters c;
};

struct scan {
    const catalog_t *catalog;
    int64_t from, to, now;
    enum score_by by;
    struct kase *cases;
    size_t n_cases, cap_cases;
    struct alert *alerts;
    size_t n_alerts, cap_alerts;
    struct group *groups;
    size_t n_groups, cap_groups;
    /* deferred: decisions and ratings need the case's dept and category */
    struct pending {
        char *case_key;
        char type; /* 'd' decision, 'r' rating */
        int64_t rating;
    } *pend;
    size_t n_pend, cap_pend;
};

static int
cmp_case(const void *a, const void *b)
{
    return strcmp(((const struct kase *)a)->key, ((const struct kase *)b)->key);
}

static struct group *
group_of(struct scan *s, const char *node, const char *dept, enum catalog_category cat)
{
    char key[160];
    if (s->by == SCORE_BY_NODE)
        snprintf(key, sizeof key, "%s", node);
    else if (s->by == SCORE_BY_DEPT)
        snprintf(key, sizeof key, "%s/%s", node, dept ? dept : "?");
    else
        snprintf(key, sizeof key, "%s/%s", node, catalog_category_name(cat));
    for (size_t i = 0; i < s->n_groups; i++)
        if (strcmp(s->groups[i].key, key) == 0)
            return &s->groups[i];
    if (s->n_groups == s->cap_groups) {
        s->cap_groups = s->cap_groups ? 2 * s->cap_groups : 32;
        s->groups = xrealloc(s->groups, s->cap_groups * sizeof *s->groups);
    }
    struct group *g = &s->groups[s->n_groups++];
    memset(g, 0, sizeof *g);
    g->key = xstrdup(key);
    return g;
}

static char *
str_of(const wire_obj_t *m, const char *key)
{
    const char *p;
    size_t l;
    return wire_obj_get_bytes(m, key, WIRE_STR, &p, &l) == 0 ? xstrndup(p, l) : NULL;
}

static int64_t
int_of(const wire_obj_t *m, const char *key)
{
    const wire_obj_t *v = wire_obj_get(m, key);
    if (!v)
        return 0;
    return wire_obj_type(v) == WIRE_UINT ? (int64_t)wire_obj_uint(v)
           : wire_obj_type(v) == WIRE_INT ? wire_obj_int(v)
                                          : 0;
}

static void
take(struct scan *s, const char *node, const wire_obj_t *m)
{
    char *type = str_of(m, "type");
    if (!type)
        return;
    int64_t at = int_of(m, "at");
    bool in = at >= s->from && at < s->to;
    char ck[160];
    char *cid = str_of(m, "case");
    snprintf(ck, sizeof ck, "%s/%s", node, cid ? cid : "");
    if (strcmp(type, "case.accept") == 0 && cid) {
        if (s->n_cases == s->cap_cases) {
            s->cap_cases = s->cap_cases ? 2 * s->cap_cases : 1024;
            s->cases = xrealloc(s->cases, s->cap_cases * sizeof *s->cases);
        }
        struct kase *k = &s->cases[s->n_cases++];
        k->key = xstrdup(ck);
        k->dept = str_of(m, "dept");
        char *item = str_of(m, "item");
        const struct catalog_item *it = item ? catalog_find(s->catalog, item) : NULL;
        k->known = it != NULL;
        k->cat = it ? it->category : CATALOG_OTHER;
        free(item);
        if (in)
            group_of(s, node, k->dept, k->cat)->c.cases++;
    } else if (in && cid && (strcmp(type, "case.decision") == 0 || strcmp(type, "rating") == 0)) {
        if (s->n_pend == s->cap_pend) {
            s->cap_pend = s->cap_pend ? 2 * s->cap_pend : 1024;
            s->pend = xrealloc(s->pend, s->cap_pend * sizeof *s->pend);
        }
        s->pend[s->n_pend++] = (struct pending){xstrdup(ck), type[0] == 'c' ? 'd' : 'r',
                                                int_of(m, "rating")};
    } else if (in && strcmp(type, "complaint.open") == 0) {
        char *dept = str_of(m, "dept");
        group_of(s, node, dept, CATALOG_OTHER)->c.complaints++;
        free(dept);
    } else if (strcmp(type, "alert") == 0 && wire_obj_get(m, "alert")) {
        struct alert a;
        if (alert_decode(wire_obj_get(m, "alert"), &a) == 0) {
            size_t i;
            for (i = 0; i < s->n_alerts && strcmp(s->alerts[i].id, a.id) != 0; i++)
                ;
            if (i == s->n_alerts) {
                if (s->n_alerts == s->cap_alerts) {
                    s->cap_alerts = s->cap_alerts ? 2 * s->cap_alerts : 256;
                    s->alerts = xrealloc(s->alerts, s->cap_alerts * sizeof *s->alerts);
                }
                s->n_alerts++;
            }
            s->alerts[i] = a; /* records come in order: the last is the latest state */
        }
    }
    free(cid);
    free(type);
}

static const struct kase *
find_case(const struct scan *s, const char *key)
{
    struct kase k = {.key = (char *)key};
    return s->n_cases ? bsearch(&k, s->cases, s->n_cases, sizeof k, cmp_case) : NULL;
}

static bool
late(const struct scan *s, const char *node, const char *case_id)
{
    for (size_t i = 0; i < s->n_alerts; i++) {
        const struct alert *a = &s->alerts[i];
        if (a->light == ALERT_RED && a->state != ALERT_CLEARED &&
            strcmp(a->rule, "limit.case") == 0 && strcmp(a->node, node) == 0 &&
            strcmp(a->subject, case_id) == 0)
            return true;
    }
    return false;
}

static int
cmp_group(const void *a, const void *b)
{
    return strcmp(((const struct group *)a)->key, ((const struct group *)b)->key);
}

int
score_count(store_t *st, const catalog_t *catalog, int64_t from_ms, int64_t to_ms,
            enum score_by by, const char *node_filter, int64_t now_ms, score_group_fn fn,
            void *arg)
{
    struct scan s = {.catalog = catalog, .from = from_ms, .to = to_ms, .now = now_ms, .by = by};
    store_txn_t *t = NULL;
    store_cursor_t *c = NULL;
    int rc = store_read(st, &t);
    if (rc == 0)
        rc = store_cursor_open(t, STORE_EVENTS, &c);
    struct wire_buf k, v;
    wire_buf_init(&k);
    wire_buf_init(&v);
    uint8_t start[4] = {0};
    if (node_filter)
        store_be32(start, event_node_number(node_filter));
    int crc = rc == 0 ? store_cursor_seek(c, start, 4, &k, &v) : rc;
    while (crc == 0) {
        if (k.len == 12) {
            char node[7];
            event_node_text(store_from_be32(k.data), node);
            if (node_filter && strcmp(node, node_filter) != 0)
                break;
            wire_reader_t *r = NULL;
            const wire_obj_t *m;
            if (wire_decode_one(v.data, v.len, &r, &m) == 0 && wire_obj_type(m) == WIRE_MAP)
                take(&s, node, m);
            wire_reader_destroy(&r);
        }
        wire_buf_reset(&k);
        wire_buf_reset(&v);
        crc = store_cursor_next(c, &k, &v);
    }
    wire_buf_fini(&k);
    wire_buf_fini(&v);
    store_cursor_close(&c);
    store_abort(&t);
    if (rc != 0 && rc != ERR_NOT_FOUND)
        return rc;
    if (s.n_cases > 1)
        qsort(s.cases, s.n_cases, sizeof *s.cases, cmp_case);
    for (size_t i = 0; i < s.n_pend; i++) {
        const struct kase *kc = find_case(&s, s.pend[i].case_key);
        char node[7];
        snprintf(node, sizeof node, "%.6s", s.pend[i].case_key);
        struct group *g = group_of(&s, node, kc ? kc->dept : NULL,
                                   kc ? kc->cat : CATALOG_OTHER);
        if (s.pend[i].type == 'd') {
            g->c.concluded++;
            if (!late(&s, node, s.pend[i].case_key + 7))
                g->c.on_time++;
        } else {
            g->c.ratings++;
            if (s.pend[i].rating >= 4)
                g->c.ratings_good++;
        }
        free(s.pend[i].case_key);
    }
    for (size_t i = 0; i < s.n_alerts; i++) {
        const struct alert *a = &s.alerts[i];
        if (a->state == ALERT_CLEARED || a->raised_ms < from_ms || a->raised_ms >= to_ms)
            continue;
        char ck[160];
        snprintf(ck, sizeof ck, "%s/%s", a->node, a->subject);
        const struct kase *kc = strcmp(a->subject_kind, "case") == 0 ? find_case(&s, ck) : NULL;
        struct group *g = group_of(&s, a->node, a->dept, kc ? kc->cat : CATALOG_OTHER);
        if (a->light == ALERT_RED)
            g->c.red++;
        else
            g->c.yellow++;
        /* A department answers an alert within 5 working days (spec §5 feedback.overdue),
         * counted here as a calendar week; answered ones carry a responded ledger entry. */
        if (now_ms - a->raised_ms > 7LL * 86400000) {
            g->c.response_due++;
            for (size_t e = 0; e < a->n_ledger; e++)
                if (a->ledger[e].action == ALERT_RESPONDED_ACT &&
                    a->ledger[e].at_ms - a->raised_ms <= 7LL * 86400000)
                    g->c.responded_in_time++;
        }
    }
    if (s.n_groups > 1)
        qsort(s.groups, s.n_groups, sizeof *s.groups, cmp_group);
    for (size_t i = 0; i < s.n_groups; i++) {
        fn(arg, s.groups[i].key, &s.groups[i].c);
        free(s.groups[i].key);
    }
    for (size_t i = 0; i < s.n_cases; i++) {
        free(s.cases[i].key);
        free(s.cases[i].dept);
    }
    free(s.cases);
    free(s.alerts);
    free(s.groups);
    free(s.pend);
    return 0;
}
