/* rules: decoding the records the rules read, grouping them by case, replaying each case in time
 * order, and firing alerts. Deliberately stateless between evaluations: everything is recomputed
 * from the events, which is what makes arrival order irrelevant. The rule table (`rule_info`)
 * holds each rule's name and seed article; docs/rules.md explains each rule with an example.
 */
#include "rules.h"

#include "err.h"
#include "mem.h"
#include "node.h"
#include "timestamp.h"
#include "wire.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum rule {
    R_LIMIT_CASE,
    R_LIMIT_LEGAL,
    R_LIMIT_STEP,
    R_PROCEDURE_ORDER,
    R_PROCEDURE_ROLLBACK,
    R_QUALIFICATION,
    R_EVIDENCE_MISSING,
    R_EVIDENCE_ALTERED,
    R_BASIS_MISSING,
    R_DISCRETION,
    R_EXECUTION_MISMATCH,
    R_EXECUTION_MISSING,
    R_ITEM_UNLISTED,
    R_ITEM_OFFLINE,
    R_ITEM_MISMATCH,
    R_DISCLOSURE_LATE,
    R_RATING_BAD,
    R_COMPLAINT_OVERDUE,
    R_RULES_
};

static const struct {
    const char *name, *article;
} rule_info[R_RULES_] = {
    {"limit.case", "10(2)3"},         {"limit.legal", "10(2)3"},
    {"limit.step", "10(2)3"},         {"procedure.order", "10(2)1"},
    {"procedure.rollback", "10(2)4"}, {"qualification", "10(2)2"},
    {"evidence.missing", "10(2)5"},   {"evidence.altered", "10(2)5"},
    {"basis.missing", "10(2)6"},      {"discretion", "10(2)7"},
    {"execution.mismatch", "10(2)8"}, {"execution.missing", "10(2)8"},
    {"item.unlisted", "10(1)1"},      {"item.offline", "10(1)1"},
    {"item.mismatch", "10(1)2"},      {"disclosure.late", "10(1)3"},
    {"rating.bad", "10(3)"},          {"complaint.overdue", "10(3), 4(2)"},
};

enum etype {
    E_ITEM_PUBLISH,
    E_CREDENTIAL,
    E_ACCEPT,
    E_STEP,
    E_ROLLBACK,
    E_SUSPEND,
    E_RESUME,
    E_EXTEND,
    E_EVIDENCE,
    E_EVIDENCE_REMOVE,
    E_DECISION,
    E_EXECUTION,
    E_CLOSE,
    E_RATING,
    E_COMPLAINT_OPEN,
    E_COMPLAINT_CLOSE,
    E_TYPES_
};

static const char *const type_names[E_TYPES_] = {
    "item.publish", "staff.credential", "case.accept",    "case.step",
    "case.rollback", "case.suspend",    "case.resume",    "case.extend",
    "case.evidence", "case.evidence_remove", "case.decision", "case.execution",
    "case.close",    "rating",          "complaint.open", "complaint.close",
};

/* One decoded event: only the fields the rules read, copied out of the record. */
struct ev {
    enum etype type;
    uint64_t arrival;
    int64_t at;
    char *key; /* case id, complaint id, item code (publish) or handler (credential) */
    char *item, *dept, *handler, *step, *reason, *kind, *evidence, *sha256, *outcome, *name;
    char *level, *receipt;
    char **list; /* basis, or credential categories */
    size_t n_list;
    bool has_list;
    int64_t amount_fen, valid_from, valid_until, generated_at;
    bool has_amount, has_generated;
    uint32_t limit_n;
    enum calendar_unit limit_unit;
    bool has_limit;
    int64_t rating;
    struct wire_buf raw; /* item.publish: the record, for comparing limits and steps */
};

/* The strings of the decoded events live in blocks the engine frees with itself: a record's
 * dozen fields cost no allocation each (one engine is built and freed per subject judged). */
#define STRING_BLOCK 16384
struct string_block {
    struct string_block *next;
    size_t used, cap;
    char data[];
};

struct rules {
    const catalog_t *catalog;
    struct string_block *strings;
    calendar_t *cal;
    char node[7];
    struct ev *evs;
    size_t n, cap;
    uint64_t arrivals;
    /* credentials sorted by handler, built at each evaluation */
    struct ev **creds;
    size_t n_creds;
    /* evaluation output */
    struct alert *alerts;
    size_t n_alerts, cap_alerts;
    int64_t as_of;
    int64_t next_change;
};

rules_t *
rules_new(const catalog_t *catalog, calendar_t *calendar, const char *node)
{
    rules_t *r = xcalloc(1, sizeof *r);
    r->catalog = catalog;
    r->cal = calendar;
    snprintf(r->node, sizeof r->node, "%s", node);
    return r;
}

/* What an event owns beyond its strings (those are the engine's). */
static void
free_ev(struct ev *e)
{
    free(e->list);
    wire_buf_fini(&e->raw);
}

static char *
keep_str(rules_t *r, const char *p, size_t len)
{
    struct string_block *b = r->strings;
    if (!b || b->cap - b->used < len + 1) {
        size_t cap = len + 1 > STRING_BLOCK ? len + 1 : STRING_BLOCK;
        b = xmalloc(sizeof *b + cap);
        b->next = r->strings;
        b->used = 0;
        b->cap = cap;
        r->strings = b;
    }
    char *out = b->data + b->used;
    memcpy(out, p, len);
    out[len] = '\0';
    b->used += len + 1;
    return out;
}

void
rules_destroy(rules_t **p)
{
    rules_t *r = *p;
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free_ev(&r->evs[i]);
    free(r->evs);
    free(r->creds);
    free(r->alerts);
    while (r->strings) {
        struct string_block *next = r->strings->next;
        free(r->strings);
        r->strings = next;
    }
    free(r);
    *p = NULL;
}

/* ---- decoding ---- */

/* A string value kept in the engine's blocks; NULL when absent or not a string. */
static char *
str_of(rules_t *r, const wire_obj_t *v)
{
    if (!v || wire_obj_type(v) != WIRE_STR)
        return NULL;
    size_t len;
    const char *p = wire_obj_bytes(v, &len);
    return keep_str(r, p, len);
}

static char *
dup_str(rules_t *r, const wire_obj_t *m, const char *key)
{
    return str_of(r, wire_obj_get(m, key));
}

/* An integer value; false when absent or not an integer. */
static bool
int_of(const wire_obj_t *v, int64_t *out)
{
    if (!v)
        return false;
    if (wire_obj_type(v) == WIRE_UINT)
        *out = (int64_t)wire_obj_uint(v);
    else if (wire_obj_type(v) == WIRE_INT)
        *out = wire_obj_int(v);
    else
        return false;
    return true;
}

static bool
get_int(const wire_obj_t *m, const char *key, int64_t *out)
{
    return int_of(wire_obj_get(m, key), out);
}

/* The top-level fields the rules read, found in one walk of a record's keys: a lookup for each
 * walked the keys two dozen times over, most of a subject's load. Absent fields are NULL; of a
 * repeated key the first counts, as wire_obj_get() gives it. */
struct fields {
    const wire_obj_t *type, *node, *at, *case_id, *complaint, *item, *dept, *handler, *step, *to,
        *reason, *kind, *evidence, *sha256, *outcome, *name, *receipt, *amount, *penalty, *limit,
        *rating, *valid_from, *valid_until, *generated_at, *categories, *basis;
};

/* The slot of a key in `f`, or NULL for a key the rules do not read. */
static const wire_obj_t **
field_slot(struct fields *f, const char *k, size_t kl)
{
#define IS(name) (kl == sizeof name - 1 && memcmp(k, name, kl) == 0)
    switch (kl ? k[0] : 0) {
    case 'a':
        return IS("at") ? &f->at : IS("amount") ? &f->amount : NULL;
    case 'b':
        return IS("basis") ? &f->basis : NULL;
    case 'c':
        return IS("case")         ? &f->case_id
               : IS("complaint")  ? &f->complaint
               : IS("categories") ? &f->categories
                                  : NULL;
    case 'd':
        return IS("dept") ? &f->dept : NULL;
    case 'e':
        return IS("evidence") ? &f->evidence : NULL;
    case 'g':
        return IS("generated_at") ? &f->generated_at : NULL;
    case 'h':
        return IS("handler") ? &f->handler : NULL;
    case 'i':
        return IS("item") ? &f->item : NULL;
    case 'k':
        return IS("kind") ? &f->kind : NULL;
    case 'l':
        return IS("limit") ? &f->limit : NULL;
    case 'n':
        return IS("node") ? &f->node : IS("name") ? &f->name : NULL;
    case 'o':
        return IS("outcome") ? &f->outcome : NULL;
    case 'p':
        return IS("penalty") ? &f->penalty : NULL;
    case 'r':
        return IS("reason")           ? &f->reason
               : IS("rating")         ? &f->rating
               : IS("receipt_sha256") ? &f->receipt
                                      : NULL;
    case 's':
        return IS("step") ? &f->step : IS("sha256") ? &f->sha256 : NULL;
    case 't':
        return IS("type") ? &f->type : IS("to") ? &f->to : NULL;
    case 'v':
        return IS("valid_from") ? &f->valid_from : IS("valid_until") ? &f->valid_until : NULL;
    default:
        return NULL;
    }
#undef IS
}

static void
fields_of(const wire_obj_t *m, struct fields *f)
{
    memset(f, 0, sizeof *f);
    for (uint32_t i = 0; i < wire_obj_size(m); i++) {
        const wire_obj_t *k = wire_obj_key_at(m, i);
        if (wire_obj_type(k) != WIRE_STR)
            continue;
        size_t kl;
        const char *kp = wire_obj_bytes(k, &kl);
        const wire_obj_t **slot = field_slot(f, kp, kl);
        if (slot && !*slot)
            *slot = wire_obj_at(m, i);
    }
}

/* A limit object's days and unit; false when absent or incomplete. */
static bool
get_limit(const wire_obj_t *l, uint32_t *n, enum calendar_unit *unit)
{
    int64_t v;
    const char *u;
    size_t ul;
    if (!l || !get_int(l, "n", &v) || wire_obj_get_bytes(l, "unit", WIRE_STR, &u, &ul) != 0)
        return false;
    *n = (uint32_t)v;
    *unit = ul == 2 ? CALENDAR_WORKDAYS : CALENDAR_DAYS;
    return true;
}

int
rules_add(rules_t *r, const void *record, size_t len)
{
    wire_reader_t *rd = NULL;
    const wire_obj_t *m;
    if (wire_decode_one(record, len, &rd, &m) != 0 || wire_obj_type(m) != WIRE_MAP) {
        wire_reader_destroy(&rd);
        return ERR_DECODE;
    }
    struct fields f;
    fields_of(m, &f);
    const char *t = NULL, *node = NULL;
    size_t tl = 0, nl = 0;
    int type = -1;
    if (f.type && wire_obj_type(f.type) == WIRE_STR) {
        t = wire_obj_bytes(f.type, &tl);
        for (int i = 0; i < E_TYPES_; i++)
            if (strlen(type_names[i]) == tl && memcmp(type_names[i], t, tl) == 0)
                type = i;
    }
    if (f.node && wire_obj_type(f.node) == WIRE_STR)
        node = wire_obj_bytes(f.node, &nl);
    if (type < 0 || !node || nl != 6 || memcmp(node, r->node, 6) != 0) {
        wire_reader_destroy(&rd);
        return 0; /* not something the rules read */
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 256;
        r->evs = xrealloc(r->evs, r->cap * sizeof *r->evs);
    }
    struct ev *e = &r->evs[r->n];
    memset(e, 0, sizeof *e);
    wire_buf_init(&e->raw);
    e->type = (enum etype)type;
    e->arrival = r->arrivals++;
    if (!int_of(f.at, &e->at)) {
        wire_reader_destroy(&rd);
        return ERR_DECODE;
    }
    const wire_obj_t *key_field = e->type == E_ITEM_PUBLISH ? f.item
                                  : e->type == E_CREDENTIAL ? f.handler
                                  : e->type == E_COMPLAINT_OPEN || e->type == E_COMPLAINT_CLOSE
                                      ? f.complaint
                                      : f.case_id;
    e->key = str_of(r, key_field);
    e->item = str_of(r, f.item);
    e->dept = str_of(r, f.dept);
    e->handler = str_of(r, f.handler);
    e->step = str_of(r, e->type == E_ROLLBACK ? f.to : f.step);
    e->reason = str_of(r, f.reason);
    e->kind = str_of(r, f.kind);
    e->evidence = str_of(r, f.evidence);
    e->sha256 = str_of(r, f.sha256);
    e->outcome = str_of(r, f.outcome);
    e->name = str_of(r, f.name);
    e->receipt = str_of(r, f.receipt);
    e->has_amount = int_of(f.amount, &e->amount_fen);
    const wire_obj_t *pen = f.penalty;
    if (pen && wire_obj_type(pen) == WIRE_MAP) {
        e->has_amount = get_int(pen, "amount", &e->amount_fen);
        const wire_obj_t *lv = wire_obj_get(pen, "level");
        if (lv && wire_obj_type(lv) == WIRE_STR)
            e->level = dup_str(r, pen, "level");
        else if (lv && (wire_obj_type(lv) == WIRE_UINT || wire_obj_type(lv) == WIRE_INT)) {
            char level[24];
            int ll = snprintf(level, sizeof level, "%lld",
                              (long long)(wire_obj_type(lv) == WIRE_UINT
                                              ? (int64_t)wire_obj_uint(lv)
                                              : wire_obj_int(lv)));
            e->level = keep_str(r, level, (size_t)ll);
        }
    }
    e->has_limit = get_limit(f.limit, &e->limit_n, &e->limit_unit);
    (void)int_of(f.rating, &e->rating);
    (void)int_of(f.valid_from, &e->valid_from);
    (void)int_of(f.valid_until, &e->valid_until);
    e->has_generated = int_of(f.generated_at, &e->generated_at);
    const wire_obj_t *list = e->type == E_CREDENTIAL ? f.categories : f.basis;
    if (list && wire_obj_type(list) == WIRE_ARRAY) {
        e->has_list = true;
        e->n_list = wire_obj_size(list);
        e->list = xcalloc(e->n_list ? e->n_list : 1, sizeof *e->list);
        for (uint32_t i = 0; i < e->n_list; i++) {
            size_t l;
            const char *p = wire_obj_type(wire_obj_at(list, i)) == WIRE_STR
                                ? wire_obj_bytes(wire_obj_at(list, i), &l)
                                : (l = 0, "");
            e->list[i] = keep_str(r, p, l);
        }
    }
    if (e->type == E_ITEM_PUBLISH)
        wire_buf_append(&e->raw, record, len);
    wire_reader_destroy(&rd);
    if (!e->key) {
        free_ev(e);
        return ERR_DECODE;
    }
    r->n++;
    return 0;
}

void
rules_each_handler(const rules_t *r, void (*fn)(void *arg, const char *handler), void *arg)
{
    for (size_t i = 0; i < r->n; i++) {
        const char *h = r->evs[i].handler;
        if (h && h[0] && strlen(h) <= 64)
            fn(arg, h);
    }
}

/* ---- firing ---- */

struct fire {
    enum rule rule;
    enum alert_light light;
    const char *subject_kind, *subject;
    const char *dept, *item;
    int64_t at;
    const char *detail;
    bool provisional; /* the deadline that fires it lies past the calendar's years */
};

/* Raises an alert, or escalates the existing one with the same id when the light is brighter. */
static void
fire(rules_t *r, const struct fire *f)
{
    if (f->at > r->as_of) {
        if (f->at < r->next_change)
            r->next_change = f->at; /* not yet: the moment to look again */
        return;
    }
    struct alert a;
    memset(&a, 0, sizeof a);
    snprintf(a.rule, sizeof a.rule, "%s", rule_info[f->rule].name);
    snprintf(a.node, sizeof a.node, "%s", r->node);
    snprintf(a.subject_kind, sizeof a.subject_kind, "%s", f->subject_kind);
    snprintf(a.subject, sizeof a.subject, "%s", f->subject);
    alert_make_id(&a);
    for (size_t i = 0; i < r->n_alerts; i++) {
        struct alert *x = &r->alerts[i];
        if (strcmp(x->id, a.id) != 0)
            continue;
        if (f->light > x->light) {
            x->light = x->finding = f->light;
            x->finding_ms = f->at;
            x->provisional = f->provisional;
            alert_log(x, f->at, ALERT_ESCALATED, f->light);
            snprintf(x->detail, sizeof x->detail, "%s", f->detail);
        }
        return;
    }
    snprintf(a.article, sizeof a.article, "%s", rule_info[f->rule].article);
    a.light = a.finding = f->light;
    a.finding_ms = f->at;
    a.provisional = f->provisional;
    a.state = ALERT_OPEN;
    snprintf(a.dept, sizeof a.dept, "%s", f->dept ? f->dept : "");
    snprintf(a.item, sizeof a.item, "%s", f->item ? f->item : "");
    snprintf(a.detail, sizeof a.detail, "%s", f->detail);
    a.raised_ms = f->at;
    alert_log(&a, f->at, ALERT_RAISED, f->light);
    if (r->n_alerts == r->cap_alerts) {
        r->cap_alerts = r->cap_alerts ? 2 * r->cap_alerts : 64;
        r->alerts = xrealloc(r->alerts, r->cap_alerts * sizeof *r->alerts);
    }
    r->alerts[r->n_alerts++] = a;
}

/* The instant a time rule fires: the local midnight after the day its threshold is reached. */
static int64_t
end_of(int64_t day)
{
    return calendar_day_start_ms(day + 1);
}

/* The instant a clock of n units from `start` is used up (end_of its due day), INT64_MAX while it
 * stands still; *provisional says whether the due day lies past the calendar's years, where
 * working days are guessed (calendar days rest on the calendar only when the last one rolls to
 * a working day). */
static int64_t
deadline(rules_t *r, int64_t start, uint32_t n, enum calendar_unit unit, bool roll,
         calendar_skip_fn skip, void *arg, bool *provisional)
{
    int64_t day = calendar_due(r->cal, start, n, unit, roll, skip, arg);
    if (provisional)
        *provisional = day != CALENDAR_NEVER && !calendar_covers(r->cal, day) &&
                       (unit == CALENDAR_WORKDAYS || roll);
    return day == CALENDAR_NEVER ? INT64_MAX : end_of(day);
}

/* ---- case replay ---- */

#define MAX_SUSPENSIONS 32
#define MAX_EVIDENCE 64

struct case_state {
    rules_t *r;
    const char *id;
    const struct catalog_item *it;
    const char *dept;
    bool accepted, decided, closed, executed;
    int64_t accept_at, decided_at, stop_at; /* stop_at: decision or close, INT64_MAX if open */
    int step;
    int64_t step_enter_at;
    int rollbacks_allowed;
    int64_t susp_from[MAX_SUSPENSIONS], susp_to[MAX_SUSPENSIONS];
    size_t n_susp;
    uint32_t ext_promised, ext_legal; /* working or calendar days added by extensions in time */
    bool has_penalty;
    int64_t penalty_fen;
    struct {
        const char *id, *kind, *sha;
        bool removed;
    } evidence[MAX_EVIDENCE];
    size_t n_evidence;
};

static enum calendar_skip
suspended_at_end(void *arg, int64_t day)
{
    const struct case_state *c = arg;
    int64_t t = calendar_day_start_ms(day + 1) - 1;
    for (size_t i = 0; i < c->n_susp; i++)
        if (c->susp_from[i] <= t && t < c->susp_to[i])
            /* A suspension not yet resumed holds the clock still for good (as far as is known):
             * no later day counts, so there is no due day to search for. */
            return c->susp_to[i] == INT64_MAX ? CALENDAR_SKIPPED_ON : CALENDAR_SKIPPED;
    return CALENDAR_COUNTS;
}

static int
cmp_cred(const void *a, const void *b)
{
    return strcmp((*(const struct ev *const *)a)->key, (*(const struct ev *const *)b)->key);
}

static bool
qualified(rules_t *r, const char *dept, const char *handler, enum catalog_category cat, int64_t at)
{
    /* Find the first credential of this handler, then walk its neighbours. */
    size_t lo = 0, hi = r->n_creds;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(r->creds[mid]->key, handler) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < r->n_creds && strcmp(r->creds[i]->key, handler) == 0; i++) {
        const struct ev *e = r->creds[i];
        if (!e->dept || strcmp(e->dept, dept) != 0 || at < e->valid_from || at > e->valid_until)
            continue;
        for (size_t k = 0; k < e->n_list; k++)
            if (strcmp(e->list[k], catalog_category_name(cat)) == 0)
                return true;
    }
    return false;
}

static void
check_handler(struct case_state *c, const struct ev *e)
{
    if (!c->it || !c->it->credential || !e->handler)
        return;
    if (qualified(c->r, c->dept, e->handler, c->it->category, e->at))
        return;
    char why[ERR_WHY_MAX];
    snprintf(why, sizeof why, "handler %.40s has no %s credential valid at that moment",
             e->handler, catalog_category_name(c->it->category));
    struct fire f = {R_QUALIFICATION, ALERT_RED, "case", c->id, c->dept, c->it->item, e->at, why, false};
    fire(c->r, &f);
}

static void
point(struct case_state *c, enum rule rule, enum alert_light light, int64_t at, const char *why)
{
    struct fire f = {rule, light, "case", c->id, c->dept, c->it ? c->it->item : "", at, why, false};
    fire(c->r, &f);
}

static bool
basis_listed(const struct catalog_item *it, const char *b)
{
    for (size_t i = 0; i < it->n_basis; i++)
        if (strcmp(it->basis[i], b) == 0)
            return true;
    return false;
}

static void
on_decision(struct case_state *c, const struct ev *e)
{
    char why[ERR_WHY_MAX];
    c->decided = true;
    c->decided_at = e->at;
    if (c->stop_at > e->at)
        c->stop_at = e->at;
    check_handler(c, e);
    if (!c->it)
        return;
    unsigned have = 0;
    for (size_t i = 0; i < c->n_evidence; i++) {
        if (c->evidence[i].removed || !c->evidence[i].kind)
            continue;
        const char *k = c->evidence[i].kind;
        have |= strcmp(k, "video") == 0      ? CATALOG_EVIDENCE_VIDEO
                : strcmp(k, "audio") == 0    ? CATALOG_EVIDENCE_AUDIO
                : strcmp(k, "photo") == 0    ? CATALOG_EVIDENCE_PHOTO
                : strcmp(k, "document") == 0 ? CATALOG_EVIDENCE_DOCUMENT
                                             : 0;
    }
    if ((have & c->it->evidence) != c->it->evidence) {
        unsigned miss = c->it->evidence & ~have;
        snprintf(why, sizeof why, "decision without required evidence:%s%s%s%s",
                 miss & CATALOG_EVIDENCE_VIDEO ? " video" : "",
                 miss & CATALOG_EVIDENCE_AUDIO ? " audio" : "",
                 miss & CATALOG_EVIDENCE_PHOTO ? " photo" : "",
                 miss & CATALOG_EVIDENCE_DOCUMENT ? " document" : "");
        point(c, R_EVIDENCE_MISSING, ALERT_RED, e->at, why);
    }
    if (!e->has_list || e->n_list == 0) {
        point(c, R_BASIS_MISSING, ALERT_RED, e->at, "decision cites no legal basis");
    } else {
        for (size_t i = 0; i < e->n_list; i++) {
            if (!basis_listed(c->it, e->list[i])) {
                snprintf(why, sizeof why, "basis \"%.120s\" is not in the item's catalogue basis",
                         e->list[i]);
                point(c, R_BASIS_MISSING, ALERT_YELLOW, e->at, why);
                break;
            }
        }
    }
    if (e->outcome && strcmp(e->outcome, "penalty") == 0) {
        c->has_penalty = e->has_amount;
        c->penalty_fen = e->amount_fen;
        if (c->it->category == CATALOG_PENALTY) {
            const struct catalog_tier *tier = NULL;
            for (size_t i = 0; e->level && i < c->it->n_tiers; i++)
                if (strcmp(c->it->tiers[i].level, e->level) == 0)
                    tier = &c->it->tiers[i];
            if (!tier) {
                snprintf(why, sizeof why, "penalty level %.40s is not defined for the item",
                         e->level ? e->level : "(none)");
                point(c, R_DISCRETION, ALERT_RED, e->at, why);
            } else if (e->has_amount &&
                       (e->amount_fen < tier->min_fen ||
                        (e->amount_fen == tier->min_fen && !tier->min_inclusive) ||
                        e->amount_fen > tier->max_fen ||
                        (e->amount_fen == tier->max_fen && !tier->max_inclusive))) {
                snprintf(why, sizeof why,
                         "penalty %lld.%02lld yuan outside level %.20s (%lld.%02lld to "
                         "%lld.%02lld)",
                         (long long)(e->amount_fen / 100), (long long)(e->amount_fen % 100),
                         tier->level, (long long)(tier->min_fen / 100),
                         (long long)(tier->min_fen % 100), (long long)(tier->max_fen / 100),
                         (long long)(tier->max_fen % 100));
                point(c, R_DISCRETION, ALERT_RED, e->at, why);
            }
        }
    }
}

/* Time rules of one clock: yellow at the end of day ceil(frac*N), red at the end of day N, unless
 * the clock stopped before. frac 0 means red only. */
static void
clock_rule(struct case_state *c, enum rule rule, const char *subject, int64_t start_at,
           int64_t stop_at, uint32_t n, enum calendar_unit unit, double yellow_frac,
           enum alert_light full_light)
{
    if (n == 0)
        return;
    int64_t start = calendar_day_of(start_at);
    char why[ERR_WHY_MAX];
    bool prov;
    if (yellow_frac > 0) {
        uint32_t k = (uint32_t)((double)n * yellow_frac + 0.999999);
        if (k < n) {
            int64_t at = deadline(c->r, start, k, unit, false, suspended_at_end, c, &prov);
            if (at != INT64_MAX && at <= stop_at) {
                snprintf(why, sizeof why, "%u of %u %s used", k, n,
                         unit == CALENDAR_WORKDAYS ? "working days" : "days");
                struct fire f = {rule, ALERT_YELLOW, "case", subject, c->dept,
                                 c->it ? c->it->item : "", at, why, prov};
                fire(c->r, &f);
            }
        }
    }
    int64_t at = deadline(c->r, start, n, unit, true, suspended_at_end, c, &prov);
    if (at != INT64_MAX && at <= stop_at) {
        snprintf(why, sizeof why, "limit of %u %s used up", n,
                 unit == CALENDAR_WORKDAYS ? "working days" : "days");
        struct fire f = {rule, full_light, "case", subject, c->dept, c->it ? c->it->item : "",
                         at, why, prov};
        fire(c->r, &f);
    }
}

/* An approved extension adds its days to a limit, up to the item's `extension` in all, only if
 * it was approved while that limit still ran (docs/decisions.md): one approved after the limit was
 * used up, or after the decision or close stopped the clock (replay_case checks that), would turn
 * a missed limit into a kept one after the fact. */
static void
extend(struct case_state *c, uint32_t *added, uint32_t n, enum calendar_unit unit,
       const struct ev *e)
{
    if (n == 0)
        return;
    bool prov;
    int64_t used_up = deadline(c->r, calendar_day_of(c->accept_at), n + *added, unit, true,
                               suspended_at_end, c, &prov);
    if (used_up != INT64_MAX && used_up <= e->at)
        return;
    uint32_t cap = c->it->extension.n;
    *added = *added + e->limit_n > cap ? cap : *added + e->limit_n;
}

static void
leave_step(struct case_state *c, int64_t at)
{
    if (!c->it || c->step < 0 || c->step >= (int)c->it->n_steps)
        return;
    const struct catalog_step *s = &c->it->steps[c->step];
    if (!s->limit.n)
        return;
    char subject[130];
    snprintf(subject, sizeof subject, "%.64s/%.60s", c->id, s->name);
    clock_rule(c, R_LIMIT_STEP, subject, c->step_enter_at, at, s->limit.n, s->limit.unit, 0,
               ALERT_YELLOW);
}

static void
replay_case(rules_t *r, struct ev **evs, size_t n)
{
    struct case_state c = {.r = r, .id = evs[0]->key, .step = -1, .stop_at = INT64_MAX};
    char why[ERR_WHY_MAX];
    for (size_t i = 0; i < n; i++) {
        const struct ev *e = evs[i];
        switch (e->type) {
        case E_ACCEPT: {
            if (c.accepted)
                break;
            c.accepted = true;
            c.accept_at = e->at;
            c.dept = e->dept;
            const struct catalog_item *it = e->item ? catalog_find(r->catalog, e->item) : NULL;
            if (!it || strcmp(it->node, r->node) != 0 || !e->dept || strcmp(it->dept, e->dept)) {
                snprintf(why, sizeof why, "item %.64s is not in the catalogue for node %s dept %.40s",
                         e->item ? e->item : "?", r->node, e->dept ? e->dept : "?");
                struct fire f = {R_ITEM_UNLISTED, ALERT_RED, "case", c.id, c.dept, e->item,
                                 e->at, why, false};
                fire(r, &f);
                break;
            }
            c.it = it;
            c.step = 0;
            c.step_enter_at = e->at;
            check_handler(&c, e);
            break;
        }
        case E_STEP: {
            if (!c.it)
                break;
            int idx = catalog_step_index(c.it, e->step ? e->step : "");
            if (idx != c.step + 1) {
                snprintf(why, sizeof why, "step \"%.60s\" entered from \"%.60s\"%s",
                         e->step ? e->step : "?",
                         c.step >= 0 ? c.it->steps[c.step].name : "(not accepted)",
                         idx < 0 ? ": not a step of the item" : ": not the next step");
                point(&c, R_PROCEDURE_ORDER, ALERT_RED, e->at, why);
            }
            check_handler(&c, e);
            if (idx >= 0) {
                leave_step(&c, e->at);
                c.step = idx;
                c.step_enter_at = e->at;
            }
            break;
        }
        case E_ROLLBACK: {
            if (!c.it)
                break;
            int to = catalog_step_index(c.it, e->step ? e->step : "");
            bool listed = false;
            for (size_t k = 0; k < c.it->n_rollbacks; k++)
                if ((int)c.it->rollbacks[k][0] == c.step && (int)c.it->rollbacks[k][1] == to)
                    listed = true;
            if (!listed) {
                snprintf(why, sizeof why, "return from \"%.60s\" to \"%.60s\" is not allowed",
                         c.step >= 0 ? c.it->steps[c.step].name : "?", e->step ? e->step : "?");
                point(&c, R_PROCEDURE_ROLLBACK, ALERT_RED, e->at, why);
            } else if (!e->reason || !*e->reason) {
                point(&c, R_PROCEDURE_ROLLBACK, ALERT_YELLOW, e->at, "return without a reason");
            } else if (++c.rollbacks_allowed > 1) {
                point(&c, R_PROCEDURE_ROLLBACK, ALERT_YELLOW, e->at,
                      "a second return in one case");
            }
            if (to >= 0) {
                leave_step(&c, e->at);
                c.step = to;
                c.step_enter_at = e->at;
            }
            break;
        }
        case E_SUSPEND:
            if (c.n_susp < MAX_SUSPENSIONS &&
                (c.n_susp == 0 || c.susp_to[c.n_susp - 1] != INT64_MAX)) {
                c.susp_from[c.n_susp] = e->at;
                c.susp_to[c.n_susp++] = INT64_MAX;
            }
            break;
        case E_RESUME:
            if (c.n_susp && c.susp_to[c.n_susp - 1] == INT64_MAX)
                c.susp_to[c.n_susp - 1] = e->at;
            break;
        case E_EXTEND:
            if (c.it && e->has_limit && c.accepted && e->at < c.stop_at) {
                extend(&c, &c.ext_promised, c.it->promised.n, c.it->promised.unit, e);
                extend(&c, &c.ext_legal, c.it->legal.n, c.it->legal.unit, e);
            }
            break;
        case E_EVIDENCE: {
            size_t k;
            for (k = 0; k < c.n_evidence; k++)
                if (strcmp(c.evidence[k].id, e->evidence ? e->evidence : "") == 0)
                    break;
            if (k < c.n_evidence) {
                if (c.decided && e->sha256 && c.evidence[k].sha &&
                    strcasecmp(c.evidence[k].sha, e->sha256) != 0) {
                    snprintf(why, sizeof why, "evidence %.60s registered again with another "
                                              "hash after the decision", e->evidence);
                    point(&c, R_EVIDENCE_ALTERED, ALERT_RED, e->at, why);
                }
                c.evidence[k].sha = e->sha256;
                c.evidence[k].kind = e->kind;
                c.evidence[k].removed = false;
            } else if (c.n_evidence < MAX_EVIDENCE && e->evidence) {
                c.evidence[c.n_evidence].id = e->evidence;
                c.evidence[c.n_evidence].kind = e->kind;
                c.evidence[c.n_evidence].sha = e->sha256;
                c.evidence[c.n_evidence++].removed = false;
            }
            break;
        }
        case E_EVIDENCE_REMOVE:
            for (size_t k = 0; k < c.n_evidence; k++)
                if (e->evidence && strcmp(c.evidence[k].id, e->evidence) == 0)
                    c.evidence[k].removed = true;
            if (c.decided) {
                snprintf(why, sizeof why, "evidence %.60s removed after the decision",
                         e->evidence ? e->evidence : "?");
                point(&c, R_EVIDENCE_ALTERED, ALERT_RED, e->at, why);
            }
            break;
        case E_DECISION:
            if (!c.decided) {
                leave_step(&c, e->at);
                on_decision(&c, e);
            }
            break;
        case E_EXECUTION:
            c.executed = true;
            if (c.has_penalty && (!e->has_amount || e->amount_fen != c.penalty_fen)) {
                snprintf(why, sizeof why, "executed %lld.%02lld yuan, decided %lld.%02lld yuan",
                         (long long)(e->amount_fen / 100), (long long)(e->amount_fen % 100),
                         (long long)(c.penalty_fen / 100), (long long)(c.penalty_fen % 100));
                point(&c, R_EXECUTION_MISMATCH, ALERT_RED, e->at, why);
            } else if (c.has_penalty && !e->receipt) {
                point(&c, R_EXECUTION_MISMATCH, ALERT_RED, e->at, "execution without a receipt "
                                                                  "hash");
            }
            break;
        case E_CLOSE:
            if (!c.closed) {
                c.closed = true;
                if (!c.decided)
                    leave_step(&c, e->at);
                if (c.stop_at > e->at)
                    c.stop_at = e->at;
            }
            break;
        case E_RATING: {
            const struct catalog_thresholds *th =
                c.it ? &c.it->th : catalog_default_thresholds(r->catalog);
            if (e->rating <= th->rating_bad_max) {
                snprintf(why, sizeof why, "applicant rated %lld of 5: call back within 1 wd, fix "
                                          "within 15 wd", (long long)e->rating);
                struct fire f = {R_RATING_BAD, ALERT_YELLOW, "case", c.id,
                                 c.dept ? c.dept : "", c.it ? c.it->item : "", e->at, why, false};
                fire(r, &f);
            }
            break;
        }
        default:
            break;
        }
    }
    if (!c.it || !c.accepted)
        return;
    /* Clocks still running at the end (or stopped by the decision / close). */
    if (!c.decided && !c.closed)
        leave_step(&c, INT64_MAX);
    clock_rule(&c, R_LIMIT_CASE, c.id, c.accept_at, c.stop_at, c.it->promised.n + c.ext_promised,
               c.it->promised.unit, c.it->th.yellow_ratio, ALERT_RED);
    clock_rule(&c, R_LIMIT_LEGAL, c.id, c.accept_at, c.stop_at, c.it->legal.n + c.ext_legal,
               c.it->legal.unit, 0, ALERT_RED);
    if (c.decided && c.has_penalty && !c.executed) {
        /* 15 calendar days then 5 working days after the decision (by default) */
        int64_t d = calendar_day_of(c.decided_at), at = end_of(d);
        bool prov = false;
        if (c.it->th.execution_days) {
            at = deadline(r, d, c.it->th.execution_days, CALENDAR_DAYS, false, NULL, NULL, &prov);
            d = calendar_day_of(at) - 1;
        }
        if (c.it->th.execution_workdays && at != INT64_MAX)
            at = deadline(r, d, c.it->th.execution_workdays, CALENDAR_WORKDAYS, false, NULL, NULL,
                          &prov);
        snprintf(why, sizeof why, "penalty decided, no execution after %u d + %u wd",
                 c.it->th.execution_days, c.it->th.execution_workdays);
        struct fire f = {R_EXECUTION_MISSING, ALERT_YELLOW, "case", c.id, c.dept, c.it->item,
                         at, why, prov};
        if (at != INT64_MAX)
            fire(r, &f);
    }
}

/* ---- items and complaints ---- */

static bool
same_limit(const wire_obj_t *lim, const struct catalog_limit *want)
{
    uint32_t n;
    enum calendar_unit u;
    if (!lim)
        return want->n == 0;
    int64_t v;
    const char *us;
    size_t ul;
    if (!get_int(lim, "n", &v) || wire_obj_get_bytes(lim, "unit", WIRE_STR, &us, &ul) != 0)
        return false;
    n = (uint32_t)v;
    u = ul == 2 ? CALENDAR_WORKDAYS : CALENDAR_DAYS;
    return n == want->n && u == want->unit;
}

/* Which of name, limits, steps, basis differ from the catalogue; NULL if none. */
static const char *
publish_mismatch(const struct ev *e, const struct catalog_item *it)
{
    wire_reader_t *rd = NULL;
    const wire_obj_t *m;
    const char *what = NULL;
    if (wire_decode_one(e->raw.data, e->raw.len, &rd, &m) != 0)
        return "record";
    if (!e->name || strcmp(e->name, it->name) != 0)
        what = "name";
    const wire_obj_t *lims = wire_obj_get(m, "limits");
    if (!what && (!lims || !same_limit(wire_obj_get(lims, "promised"), &it->promised) ||
                  !same_limit(wire_obj_get(lims, "legal"), &it->legal)))
        what = "limits";
    const wire_obj_t *steps = wire_obj_get(m, "steps");
    if (!what && steps) {
        if (wire_obj_size(steps) != it->n_steps)
            what = "steps";
        for (uint32_t i = 0; !what && i < wire_obj_size(steps); i++) {
            const char *p;
            size_t l;
            if (wire_obj_get_bytes(wire_obj_at(steps, i), "name", WIRE_STR, &p, &l) != 0 ||
                strlen(it->steps[i].name) != l || memcmp(p, it->steps[i].name, l) != 0)
                what = "steps";
        }
    }
    if (!what && e->has_list) {
        if (e->n_list != it->n_basis)
            what = "basis";
        for (size_t i = 0; !what && i < e->n_list; i++)
            if (!basis_listed(it, e->list[i]))
                what = "basis";
    }
    wire_reader_destroy(&rd);
    return what;
}

static void
items_rules(rules_t *r)
{
    char why[ERR_WHY_MAX];
    for (size_t i = 0; i < r->n; i++) {
        const struct ev *e = &r->evs[i];
        if (e->type != E_ITEM_PUBLISH)
            continue;
        const struct catalog_item *it = catalog_find(r->catalog, e->key);
        if (it && strcmp(it->node, r->node) == 0) {
            const char *what = publish_mismatch(e, it);
            if (what) {
                snprintf(why, sizeof why, "published %s differs from the catalogue", what);
                struct fire f = {R_ITEM_MISMATCH, ALERT_YELLOW, "item", e->key, it->dept,
                                 it->item, e->at, why, false};
                fire(r, &f);
            }
        }
        const struct catalog_thresholds *th = it ? &it->th : catalog_default_thresholds(r->catalog);
        if (e->has_generated && th->disclosure_workdays) {
            int64_t due = deadline(r, calendar_day_of(e->generated_at), th->disclosure_workdays,
                                   CALENDAR_WORKDAYS, false, NULL, NULL, NULL);
            if (e->at >= due) {
                struct fire f = {R_DISCLOSURE_LATE, ALERT_YELLOW, "item", e->key,
                                 e->dept ? e->dept : "", e->key, e->at,
                                 "published more than 20 working days after it was generated", false};
                fire(r, &f);
            }
        }
    }
    /* Public items of this node must be published within 5 wd of their effective date. */
    for (size_t k = 0; k < catalog_count(r->catalog); k++) {
        const struct catalog_item *it = catalog_at(r->catalog, k);
        if (!it->public_ || it->effective_day < 0 || strcmp(it->node, r->node) != 0)
            continue;
        bool prov = false;
        int64_t due = it->th.offline_workdays
                          ? deadline(r, it->effective_day, it->th.offline_workdays,
                                     CALENDAR_WORKDAYS, false, NULL, NULL, &prov)
                          : end_of(it->effective_day);
        if (due == INT64_MAX)
            continue;
        bool published = false;
        for (size_t i = 0; i < r->n && !published; i++)
            published = r->evs[i].type == E_ITEM_PUBLISH && strcmp(r->evs[i].key, it->item) == 0 &&
                        r->evs[i].at < due;
        if (!published) {
            struct fire f = {R_ITEM_OFFLINE, ALERT_RED, "item", it->item, it->dept, it->item, due,
                             "public item not published 5 working days after it took effect", prov};
            fire(r, &f);
        }
    }
}

static void
complaint_rules(rules_t *r, struct ev **evs, size_t n)
{
    const struct ev *open = NULL;
    int64_t closed_at = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        if (evs[i]->type == E_COMPLAINT_OPEN && !open)
            open = evs[i];
        if (evs[i]->type == E_COMPLAINT_CLOSE && evs[i]->at < closed_at)
            closed_at = evs[i]->at;
    }
    if (!open)
        return;
    const struct catalog_thresholds *th = catalog_default_thresholds(r->catalog);
    const char *kind0 = open->kind ? open->kind : "complaint";
    uint32_t deflt = strcmp(kind0, "petition") == 0          ? th->petition_days
                     : strcmp(kind0, "reconsideration") == 0 ? th->reconsideration_days
                                                               : th->complaint_days;
    uint32_t lim = open->has_limit ? open->limit_n : deflt;
    enum calendar_unit unit = open->has_limit ? open->limit_unit : CALENDAR_DAYS;
    if (lim == 0)
        return;
    struct case_state c = {.r = r, .id = open->key, .dept = open->dept ? open->dept : "",
                           .stop_at = closed_at};
    int64_t start = calendar_day_of(open->at);
    uint32_t k = (uint32_t)((double)lim * th->yellow_ratio + 0.999999);
    char why[ERR_WHY_MAX];
    const char *kind = open->kind ? open->kind : "complaint";
    bool yprov, rprov;
    int64_t yellow = deadline(r, start, k, unit, false, NULL, NULL, &yprov);
    int64_t red = deadline(r, start, lim, unit, true, NULL, NULL, &rprov);
    if (k < lim && yellow != INT64_MAX && yellow <= closed_at) {
        snprintf(why, sizeof why, "%s open for %u of %u %s", kind, k, lim,
                 unit == CALENDAR_WORKDAYS ? "working days" : "days");
        struct fire f = {R_COMPLAINT_OVERDUE, ALERT_YELLOW, "complaint", c.id, c.dept, "", yellow,
                         why, yprov};
        fire(r, &f);
    }
    if (red != INT64_MAX && red <= closed_at) {
        snprintf(why, sizeof why, "%s open past its limit of %u %s", kind, lim,
                 unit == CALENDAR_WORKDAYS ? "working days" : "days");
        struct fire f = {R_COMPLAINT_OVERDUE, ALERT_RED, "complaint", c.id, c.dept, "", red, why,
                         rprov};
        fire(r, &f);
    }
}

/* ---- evaluation ---- */

static int
cmp_group(const void *a, const void *b)
{
    const struct ev *x = *(const struct ev *const *)a, *y = *(const struct ev *const *)b;
    bool xc = x->type == E_COMPLAINT_OPEN || x->type == E_COMPLAINT_CLOSE;
    bool yc = y->type == E_COMPLAINT_OPEN || y->type == E_COMPLAINT_CLOSE;
    if (xc != yc)
        return xc ? 1 : -1;
    int k = strcmp(x->key, y->key);
    if (k)
        return k;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->arrival < y->arrival ? -1 : x->arrival > y->arrival;
}

static int
cmp_alert(const void *a, const void *b)
{
    const struct alert *x = a, *y = b;
    if (x->raised_ms != y->raised_ms)
        return x->raised_ms < y->raised_ms ? -1 : 1;
    return strcmp(x->id, y->id);
}

int64_t
rules_next_change(const rules_t *r)
{
    return r->next_change;
}


int
rules_subject_of_map(const wire_obj_t *m, char *kind, char key[65], char handler[65])
{
    const char *t, *p;
    size_t tl, pl;
    int rc = ERR_NOT_FOUND;
    handler[0] = '\0';
    if (wire_obj_type(m) != WIRE_MAP || wire_obj_get_bytes(m, "type", WIRE_STR, &t, &tl) != 0)
        return ERR_NOT_FOUND;
    int type = -1;
    for (int i = 0; i < E_TYPES_; i++)
        if (strlen(type_names[i]) == tl && memcmp(type_names[i], t, tl) == 0)
            type = i;
    const char *field = type == E_ITEM_PUBLISH  ? "item"
                        : type == E_CREDENTIAL ? "handler"
                        : type == E_COMPLAINT_OPEN || type == E_COMPLAINT_CLOSE ? "complaint"
                                                                                : "case";
    if (type >= 0 && wire_obj_get_bytes(m, field, WIRE_STR, &p, &pl) == 0 && pl <= 64) {
        *kind = type == E_ITEM_PUBLISH  ? 'i'
                : type == E_CREDENTIAL ? 'h'
                : type == E_COMPLAINT_OPEN || type == E_COMPLAINT_CLOSE ? 'q'
                                                                        : 'c';
        memcpy(key, p, pl);
        key[pl] = '\0';
        if (*kind == 'c' && wire_obj_get_bytes(m, "handler", WIRE_STR, &p, &pl) == 0 && pl <= 64) {
            memcpy(handler, p, pl);
            handler[pl] = '\0';
        }
        rc = 0;
    }
    return rc;
}

size_t
rules_evaluate(rules_t *r, int64_t as_of_ms, unsigned scope, rules_emit_fn emit, void *arg)
{
    r->n_alerts = 0;
    r->as_of = as_of_ms;
    r->next_change = INT64_MAX;
    free(r->creds);
    r->creds = xcalloc(r->n ? r->n : 1, sizeof *r->creds);
    r->n_creds = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->evs[i].type == E_CREDENTIAL)
            r->creds[r->n_creds++] = &r->evs[i];
    if (r->n_creds > 1)
        qsort(r->creds, r->n_creds, sizeof *r->creds, cmp_cred);
    struct ev **group = xcalloc(r->n ? r->n : 1, sizeof *group);
    size_t ng = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->evs[i].type >= E_ACCEPT)
            group[ng++] = &r->evs[i];
    qsort(group, ng, sizeof *group, cmp_group);
    for (size_t i = 0; i < ng;) {
        size_t j = i + 1;
        bool complaint = group[i]->type == E_COMPLAINT_OPEN || group[i]->type == E_COMPLAINT_CLOSE;
        while (j < ng && strcmp(group[j]->key, group[i]->key) == 0 &&
               (group[j]->type == E_COMPLAINT_OPEN || group[j]->type == E_COMPLAINT_CLOSE) ==
                   complaint)
            j++;
        if (complaint && (scope & RULES_COMPLAINTS))
            complaint_rules(r, group + i, j - i);
        else if (!complaint && (scope & RULES_CASES))
            replay_case(r, group + i, j - i);
        i = j;
    }
    free(group);
    if (scope & RULES_ITEMS)
        items_rules(r);
    if (r->n_alerts > 1)
        qsort(r->alerts, r->n_alerts, sizeof *r->alerts, cmp_alert);
    for (size_t i = 0; i < r->n_alerts; i++)
        emit(arg, &r->alerts[i]);
    return r->n_alerts;
}
