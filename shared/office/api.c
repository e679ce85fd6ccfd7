/* api: the screen's JSON API, apart from HTTP. See api.h and docs/api.md. */
#include "api.h"

#include "alert.h"
#include "board.h"
#include "calendar.h"
#include "err.h"
#include "log.h"
#include "mem.h"
#include "node.h"
#include "report.h"
#include "timestamp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* HTTP's statuses, by their names */
enum {
    MHD_HTTP_OK = 200,
    MHD_HTTP_BAD_REQUEST = 400,
    MHD_HTTP_FORBIDDEN = 403,
    MHD_HTTP_NOT_FOUND = 404,
    MHD_HTTP_SERVICE_UNAVAILABLE = 503,
};

#define CACHED 5000       /* scores, patrols, trends: the same answer for 5 s */
#define CACHED_NODES 2000 /* the tree: counting every record held takes a while */

/* One request being answered. */
struct call {
    const struct api_context *c;
    const struct api_arg *args;
    size_t n_args;
    struct api_answer *out;
};

static void
answer(struct call *q, unsigned status, json_t *body, int64_t max_age_ms)
{
    q->out->status = status;
    q->out->body = body;
    q->out->max_age_ms = max_age_ms;
}

/* Answers with an error; -1, for the callers' `if (...) return`. */
static int
fail(struct call *q, unsigned status, const char *field, const char *reason)
{
    answer(q, status,
           json_pack("{s:{s:i,s:o,s:s}}", "error", "status", (int)status, "field",
                     field ? json_string(field) : json_null(), "reason", reason),
           0);
    return -1;
}

static const char *
arg(const struct call *q, const char *key)
{
    for (size_t i = 0; i < q->n_args; i++)
        if (strcmp(q->args[i].key, key) == 0)
            return q->args[i].value[0] ? q->args[i].value : NULL;
    return NULL;
}

/* 0, or -1 with the 400 answered: a parameter the path does not take, repeated, or too long. */
static int
check_args(struct call *q, const char *const *allowed)
{
    if (q->n_args > API_ARGS_MAX)
        return fail(q, MHD_HTTP_BAD_REQUEST, NULL, "too many parameters");
    for (size_t i = 0; i < q->n_args; i++) {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(*a, q->args[i].key) == 0;
        if (!known)
            return fail(q, MHD_HTTP_BAD_REQUEST, q->args[i].key, "not a parameter of this path");
        for (size_t j = 0; j < i; j++)
            if (strcmp(q->args[j].key, q->args[i].key) == 0)
                return fail(q, MHD_HTTP_BAD_REQUEST, q->args[i].key, "given twice");
        if (strlen(q->args[i].value) > API_ARG_VALUE_MAX)
            return fail(q, MHD_HTTP_BAD_REQUEST, q->args[i].key, "too long");
    }
    return 0;
}

static json_t *
time_json(int64_t ms)
{
    char when[TIMESTAMP_TEXT_MAX];
    timestamp_format(ms, when);
    return json_string(when);
}

/* A node parameter (0 when absent); -1 with a 400 or 403 answered for a bad or out-of-scope one. */
static int
node_arg(struct call *q, const char *name, uint32_t *node)
{
    const char *v = arg(q, name);
    *node = 0;
    if (!v)
        return 0;
    if (node_valid(v, strlen(v)) != 0)
        return fail(q, MHD_HTTP_BAD_REQUEST, name, "a six-digit division code");
    *node = node_number(v);
    if (!view_node_in_scope(q->c->scope, *node))
        return fail(q, MHD_HTTP_FORBIDDEN, name, "outside the operator's scope");
    return 0;
}

/* A month parameter (default: this month). */
static int
month_arg(struct call *q, const char *name, char out[8])
{
    const char *v = arg(q, name);
    int64_t f, n;
    if (!v) {
        int y;
        unsigned m, d;
        timestamp_civil_from_days(calendar_day_of(q->c->now_ms), &y, &m, &d);
        snprintf(out, 8, "%04d-%02u", y, m);
        return 0;
    }
    if (strlen(v) != 7 || calendar_parse_month(v, &f, &n) != 0)
        return fail(q, MHD_HTTP_BAD_REQUEST, name, "a month, YYYY-MM");
    memcpy(out, v, 8);
    return 0;
}

static int
count_arg(struct call *q, const char *name, long def, long min, long max, long *out)
{
    const char *v = arg(q, name);
    *out = def;
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || end == v || n < min || n > max) {
        char reason[96];
        snprintf(reason, sizeof reason, "a whole number from %ld to %ld", min, max);
        fail(q, MHD_HTTP_BAD_REQUEST, name, reason);
        return -1;
    }
    *out = n;
    return 0;
}

static void
storage_error(struct call *q, int rc)
{
    log_warn("api: the store cannot be read: %s", err_str(rc));
    fail(q, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "the store cannot be read now");
}

/* The shared board; -1 with a 503 answered when no board can be read. */
static int
take_board(struct call *q, const struct board **b)
{
    int rc = snapshot_take(q->c->snapshot, b);
    if (rc != 0)
        storage_error(q, rc);
    return rc ? -1 : 0;
}

static void
get_me(struct call *q)
{
    static const char *const none[] = {NULL};
    if (check_args(q, none) != 0)
        return;
    struct view_names names = *q->c->names;
    char office[NODE_LEN + 1], here[NODE_LEN + 1];
    node_format(q->c->op->node, office);
    node_format(q->c->node, here);
    const char *on = region_name(names.regions, q->c->op->node);
    const char *hn = region_name(names.regions, q->c->node);
    const char *dn = q->c->op->dept[0] ? catalog_dept_name(names.catalog, q->c->op->dept) : NULL;
    json_t *o = json_object();
    json_object_set_new(o, "operator", json_string(q->c->op->name));
    json_object_set_new(o, "role", json_string(roster_role_name(q->c->op->role)));
    json_object_set_new(o, "office", json_string(office));
    json_object_set_new(o, "office_name", on ? json_string(on) : json_null());
    json_object_set_new(o, "dept", q->c->op->dept[0] ? json_string(q->c->op->dept) : json_null());
    json_object_set_new(o, "dept_name", dn ? json_string(dn) : json_null());
    json_object_set_new(o, "node", json_string(here));
    json_object_set_new(o, "node_name", hn ? json_string(hn) : json_null());
    json_object_set_new(o, "expires", time_json(q->c->session_ends_ms));
    json_object_set_new(o, "now", time_json(q->c->now_ms));
    answer(q, MHD_HTTP_OK, o, 0);
}

static void
get_nodes(struct call *q)
{
    static const char *const none[] = {NULL};
    if (check_args(q, none) != 0)
        return;
    const struct board *b = NULL;
    store_txn_t *t = NULL;
    struct view_node *rows = NULL;
    size_t n = 0;
    int rc = snapshot_take(q->c->snapshot, &b);
    if (rc == 0)
        rc = store_read(q->c->store, &t);
    if (rc == 0)
        rc = view_nodes(t, b, q->c->scope, &rows, &n);
    store_abort(&t);
    if (b)
        snapshot_put(q->c->snapshot, &b);
    if (rc != 0) {
        storage_error(q, rc);
        return;
    }
    struct view_names names = *q->c->names;
    json_t *list = json_array();
    bool own = false;
    for (size_t i = 0; i < n; i++) {
        own |= rows[i].node == q->c->node;
        json_array_append_new(list, view_node_json(&rows[i], &names, q->c->now_ms));
    }
    /* the node itself is always a row, even before anything was stored */
    if (!own && view_node_in_scope(q->c->scope, q->c->node)) {
        struct view_node self = {.node = q->c->node};
        json_array_insert_new(list, 0, view_node_json(&self, &names, q->c->now_ms));
    }
    free(rows);
    char here[NODE_LEN + 1], root[NODE_LEN + 1];
    node_format(q->c->node, here);
    node_format(q->c->scope->root ? q->c->scope->root : q->c->node, root);
    answer(q, MHD_HTTP_OK,
           json_pack("{s:s,s:s,s:o,s:o}", "node", here, "root", root, "at", time_json(q->c->now_ms),
                     "nodes", list),
           CACHED_NODES);
}

static int
newest_first(const void *a, const void *b)
{
    const struct alert *x = *(const struct alert *const *)a, *y = *(const struct alert *const *)b;
    if (x->raised_ms != y->raised_ms)
        return x->raised_ms > y->raised_ms ? -1 : 1;
    return strcmp(x->id, y->id);
}

static int
day_arg(struct call *q, const char *name, int64_t *day, bool *has)
{
    const char *v = arg(q, name);
    *has = v != NULL;
    if (v && (strlen(v) != 10 || calendar_parse_date(v, strlen(v), day) != 0))
        return fail(q, MHD_HTTP_BAD_REQUEST, name, "a date, YYYY-MM-DD");
    return 0;
}

static void
get_alerts(struct call *q)
{
    static const char *const allowed[] = {"light", "rule", "article", "node",  "dept",   "state",
                                          "queue", "from", "to",      "limit", "offset", NULL};
    struct view_alert_filter f = {0};
    uint32_t node, queue;
    long limit, offset;
    if (check_args(q, allowed) != 0 || node_arg(q, "node", &node) != 0 ||
        node_arg(q, "queue", &queue) != 0 || day_arg(q, "from", &f.from_day, &f.has_from) != 0 ||
        day_arg(q, "to", &f.to_day, &f.has_to) != 0 ||
        count_arg(q, "limit", 100, 1, API_ALERTS_LIMIT_MAX, &limit) != 0 ||
        count_arg(q, "offset", 0, 0, 100000000, &offset) != 0)
        return;
    f.light = arg(q, "light");
    f.rule = arg(q, "rule");
    f.article = arg(q, "article");
    f.node = arg(q, "node");
    f.dept = arg(q, "dept");
    f.state = arg(q, "state");
    f.queue = arg(q, "queue");
    char field[64], reason[192];
    if (view_alert_filter_check(&f, field, reason) != 0) {
        fail(q, MHD_HTTP_BAD_REQUEST, field, reason);
        return;
    }
    if (f.dept && q->c->scope->dept && strcmp(f.dept, q->c->scope->dept) != 0) {
        fail(q, MHD_HTTP_FORBIDDEN, "dept", "outside the operator's scope");
        return;
    }
    const struct board *b = NULL;
    if (take_board(q, &b) != 0)
        return;
    const struct alert **hits = xmalloc((b->n_alerts + 1) * sizeof *hits);
    size_t n = 0;
    uint64_t red = 0, yellow = 0;
    for (size_t i = 0; i < b->n_alerts; i++) {
        const struct alert *a = &b->alerts[i];
        if (!view_alert_in_scope(q->c->scope, a) || !view_alert_matches(a, &f))
            continue;
        hits[n++] = a;
        *(a->light == ALERT_RED ? &red : &yellow) += 1;
    }
    if (n > 1)
        qsort(hits, n, sizeof *hits, newest_first);
    struct view_names names = *q->c->names;
    json_t *list = json_array();
    for (size_t i = (size_t)offset; i < n && i < (size_t)offset + (size_t)limit; i++)
        json_array_append_new(list, view_alert_json(hits[i], &names, q->c->now_ms));
    free(hits);
    snapshot_put(q->c->snapshot, &b);
    answer(q, MHD_HTTP_OK,
           json_pack("{s:I,s:I,s:I,s:I,s:I,s:o}", "total", (json_int_t)n, "offset",
                     (json_int_t)offset, "limit", (json_int_t)limit, "red", (json_int_t)red,
                     "yellow", (json_int_t)yellow, "alerts", list),
           0);
}

static bool
id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > EVENT_ID_MAX)
        return false;
    for (const char *c = id; *c; c++)
        if ((unsigned char)*c < 0x21 || *c == '/' || *c == 0x7f)
            return false;
    return true;
}

static void
get_alert(struct call *q, const char *id)
{
    static const char *const none[] = {NULL};
    if (check_args(q, none) != 0)
        return;
    if (!id_ok(id)) {
        fail(q, MHD_HTTP_BAD_REQUEST, "id", "not an alert id");
        return;
    }
    const struct board *b = NULL;
    if (take_board(q, &b) != 0)
        return;
    int rc;
    const struct alert *a = NULL;
    for (size_t i = 0; i < b->n_alerts && !a; i++)
        if (strcmp(b->alerts[i].id, id) == 0)
            a = &b->alerts[i];
    if (!a || !view_alert_in_scope(q->c->scope, a)) {
        bool found = a != NULL;
        snapshot_put(q->c->snapshot, &b);
        if (found)
            fail(q, MHD_HTTP_FORBIDDEN, "id", "outside the operator's scope");
        else
            fail(q, MHD_HTTP_NOT_FOUND, "id", "no such alert here");
        return;
    }
    struct view_names names = *q->c->names;
    json_t *events = json_array();
    store_txn_t *t = NULL;
    rc = store_read(q->c->store, &t);
    if (rc == 0 && strcmp(a->subject_kind, "case") == 0 && node_valid(a->node, 6) == 0)
        rc = view_case_events(t, node_number(a->node), a->subject, events);
    store_abort(&t);
    json_t *sup = json_null();
    for (size_t i = 0; i < b->n_cases; i++)
        if (a->supervision[0] && strcmp(b->cases[i].id, a->supervision) == 0) {
            json_decref(sup);
            sup = view_supervision_json(&b->cases[i], &names, q->c->now_ms);
        }
    json_t *o = json_pack("{s:o,s:o,s:o}", "alert", view_alert_json(a, &names, q->c->now_ms),
                          "events", events, "supervision", sup);
    snapshot_put(q->c->snapshot, &b);
    if (rc != 0) {
        json_decref(o);
        storage_error(q, rc);
        return;
    }
    answer(q, MHD_HTTP_OK, o, 0);
}

static void
get_case(struct call *q, const char *id)
{
    static const char *const allowed[] = {"node", NULL};
    uint32_t node;
    if (check_args(q, allowed) != 0 || node_arg(q, "node", &node) != 0)
        return;
    if (!id_ok(id)) {
        fail(q, MHD_HTTP_BAD_REQUEST, "id", "not a case id");
        return;
    }
    const struct board *b = NULL;
    if (take_board(q, &b) != 0)
        return;
    struct view_names names = *q->c->names;
    json_t *alerts = json_array();
    bool outside = false; /* the case has alerts the operator may not see */
    for (size_t i = 0; i < b->n_alerts; i++) {
        const struct alert *a = &b->alerts[i];
        if (strcmp(a->subject_kind, "case") != 0 || strcmp(a->subject, id) != 0 ||
            node_valid(a->node, 6) != 0 || (node && node_number(a->node) != node))
            continue;
        if (!view_alert_in_scope(q->c->scope, a)) {
            outside = true;
            continue;
        }
        if (!node)
            node = node_number(a->node); /* the node of the case's first alert */
        json_array_append_new(alerts, view_alert_json(a, &names, q->c->now_ms));
    }
    snapshot_put(q->c->snapshot, &b);
    if (!node && !q->c->scope->root)
        node = q->c->node; /* a case without alerts: this node's own */
    if (!node) {
        json_decref(alerts);
        if (outside)
            fail(q, MHD_HTTP_FORBIDDEN, "id", "outside the operator's scope");
        else
            fail(q, MHD_HTTP_NOT_FOUND, "id", "no such case here (name its node)");
        return;
    }
    json_t *events = json_array();
    store_txn_t *t = NULL;
    int rc = store_read(q->c->store, &t);
    if (rc == 0)
        rc = view_case_events(t, node, id, events);
    store_abort(&t);
    if (rc != 0) {
        json_decref(alerts);
        json_decref(events);
        storage_error(q, rc);
        return;
    }
    /* a department's operator reads their department's cases only: the case names its
     * department where it was accepted */
    const char *dept = NULL;
    for (size_t i = 0; i < json_array_size(events) && !dept; i++)
        dept = json_string_value(
            json_object_get(json_object_get(json_array_get(events, i), "record"), "dept"));
    bool forbidden = q->c->scope->dept && (!dept || strcmp(dept, q->c->scope->dept) != 0) &&
                     json_array_size(events) > 0;
    if (forbidden || (json_array_size(alerts) == 0 && outside)) {
        json_decref(alerts);
        json_decref(events);
        fail(q, MHD_HTTP_FORBIDDEN, "id", "outside the operator's scope");
        return;
    }
    if (json_array_size(events) == 0 && json_array_size(alerts) == 0) {
        json_decref(alerts);
        json_decref(events);
        fail(q, MHD_HTTP_NOT_FOUND, "id", "no such case here");
        return;
    }
    char nt[NODE_LEN + 1];
    node_format(node, nt);
    answer(
        q, MHD_HTTP_OK,
        json_pack("{s:s,s:s,s:o,s:o}", "case", id, "node", nt, "events", events, "alerts", alerts),
        0);
}

static void
get_supervision(struct call *q)
{
    static const char *const allowed[] = {"state", NULL};
    if (check_args(q, allowed) != 0)
        return;
    const char *state = arg(q, "state");
    if (state && strcmp(state, "open") && strcmp(state, "reported") && strcmp(state, "closed") &&
        strcmp(state, "overdue")) {
        fail(q, MHD_HTTP_BAD_REQUEST, "state", "open, reported, closed or overdue");
        return;
    }
    const struct board *b = NULL;
    if (take_board(q, &b) != 0)
        return;
    struct view_names names = *q->c->names;
    json_t *list = json_array();
    for (size_t i = 0; i < b->n_cases; i++) {
        const struct supervision *c = &b->cases[i];
        /* a case concerns the office that opened it and the department it targets */
        bool in = node_valid(c->target_node, 6) == 0 &&
                  (view_node_in_scope(q->c->scope, node_number(c->target_node)) ||
                   (node_valid(c->node, 6) == 0 &&
                    view_node_in_scope(q->c->scope, node_number(c->node))));
        if (in && q->c->scope->dept)
            in = strcmp(c->target_dept, q->c->scope->dept) == 0;
        if (!in || (state && strcmp(supervision_state(c, q->c->now_ms), state) != 0))
            continue;
        json_array_append_new(list, view_supervision_json(c, &names, q->c->now_ms));
    }
    snapshot_put(q->c->snapshot, &b);
    answer(q, MHD_HTTP_OK, json_pack("{s:o}", "cases", list), 0);
}

static void
get_patrols(struct call *q)
{
    static const char *const allowed[] = {"period", NULL};
    char period[8];
    if (check_args(q, allowed) != 0 || month_arg(q, "period", period) != 0)
        return;
    if (!q->c->names->calendar) {
        fail(q, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
             "the screen has no calendar (web/calendar): working days cannot be "
             "counted");
        return;
    }
    /* the monthly report's own figures, so the screen and the report never differ */
    struct report r;
    int rc = report_build(q->c->store, q->c->names->calendar, period,
                          q->c->scope->root ? q->c->scope->root : q->c->node, q->c->now_ms, &r);
    if (rc != 0) {
        storage_error(q, rc);
        return;
    }
    struct view_names names = *q->c->names;
    json_t *list = json_array();
    for (size_t i = 0; i < r.n_offices; i++) {
        const struct report_office *o = &r.offices[i];
        char nt[NODE_LEN + 1];
        node_format(o->node, nt);
        const char *name = region_name(names.regions, o->node);
        json_array_append_new(list, json_pack("{s:s,s:o,s:i,s:i,s:I,s:i}", "node", nt, "name",
                                              name ? json_string(name) : json_null(), "depth",
                                              node_depth(o->node), "workdays", (int)o->workdays,
                                              "patrols", (json_int_t)o->patrols, "short_days",
                                              (int)o->short_days));
    }
    report_fini(&r);
    answer(q, MHD_HTTP_OK, json_pack("{s:s,s:o}", "period", period, "offices", list), CACHED);
}

static void
get_scores(struct call *q)
{
    static const char *const allowed[] = {"period", "by", NULL};
    char period[8];
    if (check_args(q, allowed) != 0 || month_arg(q, "period", period) != 0)
        return;
    const char *by = arg(q, "by") ? arg(q, "by") : "node";
    enum score_by mode;
    if (strcmp(by, "node") == 0)
        mode = SCORE_BY_NODE;
    else if (strcmp(by, "dept") == 0)
        mode = SCORE_BY_DEPT;
    else if (strcmp(by, "category") == 0)
        mode = SCORE_BY_CATEGORY;
    else if (strcmp(by, "region") == 0)
        mode = SCORE_BY_REGION;
    else {
        fail(q, MHD_HTTP_BAD_REQUEST, "by", "node, dept, category or region");
        return;
    }
    int64_t first, after;
    if (calendar_parse_month(period, &first, &after) != 0) {
        fail(q, MHD_HTTP_BAD_REQUEST, "period", "a month, YYYY-MM");
        return;
    }
    struct view_score_row *rows = NULL;
    size_t n = 0;
    int rc = view_scores(q->c->store, first, after, mode, q->c->scope, &rows, &n);
    if (rc != 0) {
        storage_error(q, rc);
        return;
    }
    struct view_names names = *q->c->names;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, view_score_json(&rows[i], i + 1, period, mode, &names));
    free(rows);
    answer(q, MHD_HTTP_OK, json_pack("{s:s,s:s,s:o}", "period", period, "by", by, "rows", list),
           CACHED);
}

static void
get_trends(struct call *q)
{
    static const char *const allowed[] = {"to", "months", NULL};
    char to[8];
    long months;
    if (check_args(q, allowed) != 0 || month_arg(q, "to", to) != 0 ||
        count_arg(q, "months", 12, 1, VIEW_TREND_MONTHS_MAX, &months) != 0)
        return;
    json_t *o = NULL;
    int rc = view_trends(q->c->store, to, (int)months, q->c->scope, &o);
    if (rc != 0) {
        storage_error(q, rc);
        return;
    }
    answer(q, MHD_HTTP_OK, o, CACHED);
}

/* ---- the paths ---- */

static const struct {
    const char *path;
    void (*get)(struct call *q);
} paths[] = {
    {"me", get_me},           {"nodes", get_nodes},
    {"alerts", get_alerts},   {"supervision", get_supervision},
    {"patrols", get_patrols}, {"scores", get_scores},
    {"trends", get_trends},
};

bool
api_path_known(const char *path)
{
    if (strncmp(path, "alerts/", 7) == 0 || strncmp(path, "cases/", 6) == 0 ||
        strcmp(path, "stream") == 0)
        return true;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (strcmp(paths[i].path, path) == 0)
            return true;
    return false;
}

void
api_answer(const struct api_context *c, const char *path, const struct api_arg *args, size_t n_args,
           struct api_answer *out)
{
    struct call q = {c, args, n_args, out};
    memset(out, 0, sizeof *out);
    if (strstr(path, "..")) {
        fail(&q, MHD_HTTP_BAD_REQUEST, "path", "no .. in a path");
        return;
    }
    if (strncmp(path, "alerts/", 7) == 0) {
        get_alert(&q, path + 7);
        return;
    }
    if (strncmp(path, "cases/", 6) == 0) {
        get_case(&q, path + 6);
        return;
    }
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (strcmp(paths[i].path, path) == 0) {
            paths[i].get(&q);
            return;
        }
    fail(&q, MHD_HTTP_NOT_FOUND, NULL, "no such path in the API (docs/api.md)");
}

int
api_lights(snapshot_t *snapshot, const struct view_scope *scope, struct api_lights *out)
{
    const struct board *b = NULL;
    int rc = snapshot_take(snapshot, &b);
    if (rc != 0)
        return rc;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < b->n_alerts; i++) {
        const struct alert *a = &b->alerts[i];
        if (!view_alert_in_scope(scope, a))
            continue;
        out->changes += alert_changes(a);
        if ((a->state == ALERT_OPEN || a->state == ALERT_RESPONDED) && alert_is_department(a->rule))
            *(a->light == ALERT_RED ? &out->red : &out->yellow) += 1;
    }
    snapshot_put(snapshot, &b);
    return 0;
}
