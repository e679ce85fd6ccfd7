/* desk: admission, indexing and the pass over supervision actions. Keys of the desk table are
 * documented in store.h; a subject is kind + key: 'f' + alert id (its answers), 's' + supervision
 * id, 'p' + "YYYY-MM-DD" (a day's patrols), "P" (the day-by-day patrol judgement). */
#include "desk.h"

#include "alertdb.h"
#include "clocks.h"
#include "counter.h"
#include "err.h"
#include "event.h"
#include "feedback.h"
#include "log.h"
#include "mem.h"
#include "patrol.h"
#include "spool.h"
#include "supervision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUBJECT_MAX 80

struct desk {
    store_t *store;
    uint32_t node;
    char node_text[NODE_LEN + 1];
    calendar_t *cal;
    struct desk_options opt;
    uint32_t *tree;
    int64_t next_due;
};

desk_t *
desk_new(store_t *store, uint32_t node, calendar_t *calendar, const struct desk_options *opt)
{
    desk_t *d = xcalloc(1, sizeof *d);
    d->store = store;
    d->node = node;
    node_format(node, d->node_text);
    d->cal = calendar;
    d->opt = *opt;
    d->tree = xcalloc(opt->n_tree ? opt->n_tree : 1, sizeof *d->tree);
    if (opt->n_tree)
        memcpy(d->tree, opt->tree, opt->n_tree * sizeof *d->tree);
    d->opt.tree = d->tree;
    d->next_due = INT64_MIN;
    return d;
}

void
desk_destroy(desk_t **p)
{
    if (!*p)
        return;
    free((*p)->tree);
    free(*p);
    *p = NULL;
}

/* ---- small helpers ---- */

static bool
type_of(const wire_obj_t *m, char type[32])
{
    return wire_obj_get_text(m, "type", type, 32) == 0;
}

/* kind + key + NUL, the form subjects take in the desk table. */
static size_t
subject_of(uint8_t out[SUBJECT_MAX], char kind, const char *key)
{
    size_t kl = strlen(key);
    if (kl > SUBJECT_MAX - 2)
        kl = SUBJECT_MAX - 2;
    out[0] = (uint8_t)kind;
    memcpy(out + 1, key, kl);
    out[1 + kl] = 0;
    return 2 + kl;
}

/* Files the record under its subject, and the subject as due at once: the next pass judges it
 * (and files its real clock). */
static int
put_ref(store_txn_t *t, char kind, const char *key, uint64_t seq)
{
    uint8_t k[1 + SUBJECT_MAX + 8];
    k[0] = 'r';
    size_t sl = subject_of(k + 1, kind, key);
    store_be64(k + 1 + sl, seq);
    int rc = store_put(t, STORE_DESK, k, 1 + sl + 8, "", 0, 0);
    return rc ? rc : clocks_set(t, STORE_DESK, k + 1, sl, 0);
}

/* The records of a subject, in sequence order, decoded one at a time. */
typedef int (*record_fn)(void *arg, const wire_obj_t *record);

struct refs {
    store_txn_t *t;
    uint32_t node;
    size_t prefix_len;
    record_fn fn;
    void *arg;
};

static int
ref_one(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    (void)val;
    (void)vlen;
    struct refs *r = arg;
    if (klen != r->prefix_len + 8)
        return 0;
    uint8_t rk[12];
    store_be32(rk, r->node);
    memcpy(rk + 4, key + r->prefix_len, 8);
    struct wire_buf v;
    wire_buf_init(&v);
    int rc = store_get(r->t, STORE_EVENTS, rk, 12, &v);
    if (rc == 0) {
        wire_reader_t *rd = NULL;
        const wire_obj_t *m;
        if (wire_decode_one(v.data, v.len, &rd, &m) == 0)
            rc = r->fn(r->arg, m);
        wire_reader_destroy(&rd);
    } else if (rc == ERR_NOT_FOUND) {
        rc = 0; /* pruned: an action record is never pruned, but a reader must not fail on it */
    }
    wire_buf_fini(&v);
    return rc;
}

static int
each_record(store_txn_t *t, uint32_t node, char kind, const char *key, record_fn fn, void *arg)
{
    uint8_t prefix[1 + SUBJECT_MAX];
    prefix[0] = 'r';
    size_t pl = 1 + subject_of(prefix + 1, kind, key);
    struct refs r = {t, node, pl, fn, arg};
    return store_each_prefix(t, STORE_DESK, prefix, pl, false, ref_one, &r);
}

/* The id of the rating.bad alert a followup of this case answers. */
static void
rating_alert_id(const char *node, const char *case_id, char id[ALERT_ID_LEN])
{
    struct alert q = {0};
    snprintf(q.node, sizeof q.node, "%s", node);
    snprintf(q.rule, sizeof q.rule, "rating.bad");
    snprintf(q.subject_kind, sizeof q.subject_kind, "case");
    snprintf(q.subject, sizeof q.subject, "%s", case_id);
    alert_make_id(&q);
    memcpy(id, q.id, ALERT_ID_LEN);
}

/* The desk key of an alert known here ('a' + id): its length, 0 for an id too long to be one. */
static size_t
entry_key(uint8_t k[1 + ALERT_ID_LEN], const char *id)
{
    size_t l = strlen(id);
    if (l >= ALERT_ID_LEN)
        return 0;
    k[0] = 'a';
    memcpy(k + 1, id, l);
    return 1 + l;
}

/* A child's alert's desk entry (node, flags, dept), or ERR_NOT_FOUND. */
static int
child_entry(store_txn_t *t, const char *id, struct wire_buf *v)
{
    uint8_t k[1 + ALERT_ID_LEN];
    size_t kl = entry_key(k, id);
    return kl ? store_get(t, STORE_DESK, k, kl, v) : ERR_NOT_FOUND;
}

/* 0 with *known whether the alert is this node's or a child's known here; or a read error. */
static int
alert_known(store_txn_t *t, const char *id, bool *known)
{
    uint8_t k[1 + ALERT_ID_LEN];
    size_t kl = entry_key(k, id);
    *known = false;
    if (!kl)
        return 0;
    int rc = store_has(t, STORE_ALERTS, id, kl - 1, known);
    if (rc == 0 && !*known)
        rc = store_has(t, STORE_DESK, k, kl, known);
    return rc;
}

/* Flags of a child's alert in its desk entry ('a' + id -> node, flags, dept): bit 0 it stands,
 * bit 1 it is a platform alarm or an office's own finding (no department answers it). Entries
 * written before the flag read as a department's. */
#define DESK_PLATFORM 2

static bool
child_alarm(store_txn_t *t, const char *id)
{
    struct wire_buf v;
    wire_buf_init(&v);
    bool platform = child_entry(t, id, &v) == 0 && v.len >= 5 && (v.data[4] & DESK_PLATFORM);
    wire_buf_fini(&v);
    return platform;
}

/* ---- admission ---- */

struct replay {
    calendar_t *cal;
    struct supervision s;
    char field[64], reason[192];
    bool refused;
};

static int
replay_one(void *arg, const wire_obj_t *m)
{
    struct replay *r = arg;
    char field[64], reason[192];
    /* admitted records apply; one that no longer does is reported once, at admission */
    if (supervision_apply(&r->s, r->cal, m, field, reason) != 0 && !r->refused) {
        r->refused = true;
        memcpy(r->field, field, sizeof field);
        memcpy(r->reason, reason, sizeof reason);
    }
    return 0;
}

static int
load_supervision(store_txn_t *t, uint32_t node, calendar_t *cal, const char *id, struct replay *r)
{
    memset(r, 0, sizeof *r);
    r->cal = cal;
    return each_record(t, node, 's', id, replay_one, r);
}

struct target {
    char node[NODE_LEN + 1];
    char dept[EVENT_ID_MAX + 1];
    bool found;
};

static int
target_one(void *arg, const wire_obj_t *m)
{
    struct target *x = arg;
    char type[32];
    const wire_obj_t *tg = wire_obj_get(m, "target");
    if (x->found || !type_of(m, type) || strcmp(type, "supervise.open") != 0 || !tg ||
        wire_obj_get_text(tg, "node", x->node, sizeof x->node) != 0)
        return 0;
    if (wire_obj_get_text(tg, "dept", x->dept, sizeof x->dept) != 0)
        x->dept[0] = '\0';
    x->found = true;
    return 0;
}

int
desk_supervision_target(store_txn_t *t, uint32_t node, const char *id,
                        char target_node[NODE_LEN + 1], char dept[EVENT_ID_MAX + 1])
{
    struct target x = {"", "", false};
    int rc = each_record(t, node, 's', id, target_one, &x);
    if (rc == 0 && !x.found)
        rc = ERR_NOT_FOUND;
    if (rc == 0) {
        memcpy(target_node, x.node, sizeof x.node);
        memcpy(dept, x.dept, sizeof x.dept);
    }
    return rc;
}

int
desk_admit(store_txn_t *t, uint32_t node, calendar_t *cal, const wire_obj_t *m, char field[64],
           char reason[192])
{
    char type[32], id[EVENT_ID_MAX + 1];
    if (!type_of(m, type))
        return 0;
    if (strcmp(type, "alert.respond") == 0 || strcmp(type, "alert.close") == 0) {
        bool known = false;
        if (wire_obj_get_text(m, "alert", id, sizeof id) == 0) {
            int rc = alert_known(t, id, &known);
            if (rc != 0)
                return rc;
        }
        if (!known)
            return event_refuse(field, reason, "alert", "no such alert is known at this node");
        struct alert a;
        if (alertdb_get(t, id, &a) != 0) {
            /* a child's alert, known here by its desk entry */
            if (child_alarm(t, id))
                return event_refuse(field, reason, "alert",
                                    "a platform alarm or an office's own finding of a node "
                                    "below: it is not answered or closed here, it clears when "
                                    "its cause is gone (docs/office.md)");
            return 0;
        }
        if (a.state == ALERT_CLOSED || a.state == ALERT_CLEARED)
            return event_refuse(field, reason, "alert",
                                a.state == ALERT_CLOSED ? "the alert is closed"
                                                        : "the alert was cleared");
        /* Only what a department answers goes through the desk; an answer or closing of a
         * platform alarm or an office's own would be stored and change nothing. */
        if (!feedback_applies(&a)) {
            char why[ERR_WHY_MAX];
            snprintf(why, sizeof why, "%s is %s: it is not answered or closed here, it clears "
                     "when its cause is gone (docs/office.md)", a.rule,
                     strcmp(a.rule, "patrol.shortfall") == 0 ? "the office's own finding"
                                                              : "a platform alarm");
            return event_refuse(field, reason, "alert", why);
        }
        return 0;
    }
    if (strncmp(type, "supervise.", 10) == 0) {
        if (wire_obj_get_text(m, "supervision", id, sizeof id) != 0)
            return event_refuse(field, reason, "supervision", "missing");
        char alert[EVENT_ID_MAX + 1];
        bool known = true;
        int rc = 0;
        if (strcmp(type, "supervise.open") == 0 &&
            wire_obj_get_text(m, "alert", alert, sizeof alert) == 0)
            rc = alert_known(t, alert, &known);
        if (rc != 0)
            return rc;
        if (!known)
            return event_refuse(field, reason, "alert", "no such alert is known at this node");
        struct replay r;
        rc = load_supervision(t, node, cal, id, &r);
        if (rc != 0)
            return rc;
        return supervision_apply(&r.s, cal, m, field, reason);
    }
    if (strcmp(type, "patrol") == 0) {
        char target[NODE_LEN + 1];
        if (wire_obj_get_text(m, "target", target, sizeof target) != 0)
            return event_refuse(field, reason, "target", "missing");
        uint32_t tn = node_number(target);
        bool below = tn == node;
        for (uint32_t p = node_parent(tn); p && !below; p = node_parent(p))
            below = p == node;
        if (!below)
            return event_refuse(field, reason, "target",
                                "an office patrols its own platform and the nodes below it");
    }
    return 0;
}

/* 'd' + alert id -> a closing record decided here or above for an alert of a node below, to send
 * down until that node's own record shows the alert closed or cleared. */
static size_t
decision_key(uint8_t k[1 + ALERT_ID_LEN], const char *alert_id)
{
    size_t l = strlen(alert_id);
    if (l >= ALERT_ID_LEN)
        l = ALERT_ID_LEN - 1;
    k[0] = 'd';
    memcpy(k + 1, alert_id, l);
    return 1 + l;
}

/* A closing entered here for a child's alert: kept to send down (the record's own bytes). */
static int
keep_decision(store_txn_t *t, uint32_t node, uint64_t seq, const char *alert_id)
{
    uint8_t rk[12], k[1 + ALERT_ID_LEN];
    store_be32(rk, node);
    store_be64(rk + 4, seq);
    struct wire_buf v;
    wire_buf_init(&v);
    int rc = store_get(t, STORE_EVENTS, rk, 12, &v);
    if (rc == 0)
        rc = store_put(t, STORE_DESK, k, decision_key(k, alert_id), v.data, v.len, 0);
    wire_buf_fini(&v);
    return rc;
}

struct decisions {
    store_txn_t *t;
    uint32_t child;
    desk_decision_fn fn;
    void *arg;
};

static int
decision_one(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    struct decisions *x = arg;
    char id[ALERT_ID_LEN], dept[EVENT_ID_MAX + 1];
    if (klen < 2 || klen - 1 >= sizeof id)
        return 0;
    memcpy(id, key + 1, klen - 1);
    id[klen - 1] = '\0';
    uint32_t node;
    if (desk_alert_place(x->t, id, &node, dept) != 0)
        return 0;
    for (uint32_t n = node; n; n = node_parent(n))
        if (n == x->child) {
            x->fn(x->arg, val, vlen);
            break;
        }
    return 0;
}

int
desk_each_decision(store_txn_t *t, uint32_t child, desk_decision_fn fn, void *arg)
{
    struct decisions x = {t, child, fn, arg};
    return store_each_prefix(t, STORE_DESK, "d", 1, true, decision_one, &x);
}

static int
count_one(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    (void)key;
    (void)klen;
    (void)val;
    (void)vlen;
    (*(uint64_t *)arg)++;
    return 0;
}

int
desk_count_decisions(store_txn_t *t, uint64_t *n)
{
    *n = 0;
    return store_each_prefix(t, STORE_DESK, "d", 1, false, count_one, n);
}

struct taking {
    desk_t *d;
    const void *record;
    size_t len;
    int64_t now;
    uint32_t seal_at;
    struct desk_result res;
    bool below;
};

static int record_change(store_txn_t *t, desk_t *d, const struct alert *a, struct desk_result *res);

static int
take_fn(store_txn_t *t, void *arg)
{
    struct taking *x = arg;
    memset(&x->res, 0, sizeof x->res);
    x->below = false;
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    char type[32], id[ALERT_ID_LEN], node_text[NODE_LEN + 1];
    int64_t at;
    int rc = 0;
    if (wire_decode_one(x->record, x->len, &r, &m) != 0 || !type_of(m, type)) {
        wire_reader_destroy(&r);
        return ERR_DECODE; /* not a record */
    }
    if (strcmp(type, "alert.close") != 0 || wire_obj_get_text(m, "alert", id, sizeof id) != 0 ||
        wire_obj_get_int(m, "at", &at) != 0 ||
        wire_obj_get_text(m, "node", node_text, sizeof node_text) != 0) {
        wire_reader_destroy(&r);
        return ERR_INVALID; /* a record, but not a closing */
    }
    /* only a closing decided by an office above this node */
    bool above = false;
    for (uint32_t n = node_parent(x->d->node); n && !above; n = node_parent(n))
        above = n == node_number(node_text);
    wire_reader_destroy(&r);
    if (!above)
        return ERR_INVALID;
    struct alert a;
    rc = alertdb_get(t, id, &a);
    if (rc == 0 && strcmp(a.node, x->d->node_text) == 0) {
        if (feedback_close(&a, at))
            rc = record_change(t, x->d, &a, &x->res);
        if (rc == 0 && x->res.changes)
            rc = spool_seal(t, x->d->node, x->seal_at, true, x->now, &x->res.sealed);
        return rc;
    }
    if (rc != ERR_NOT_FOUND)
        return rc;
    uint32_t node;
    char dept[EVENT_ID_MAX + 1];
    if (desk_alert_place(t, id, &node, dept) != 0)
        return 0; /* not known here: nothing to close or pass on */
    uint8_t k[1 + ALERT_ID_LEN];
    x->below = true;
    return store_put(t, STORE_DESK, k, decision_key(k, id), x->record, x->len, 0);
}

int
desk_take_decision(desk_t *d, int64_t now_ms, uint32_t seal_at, const void *record, size_t len,
                   bool *pass_on, struct desk_result *res)
{
    struct taking x = {d, record, len, now_ms, seal_at, {0}, false};
    int rc = store_write(d->store, take_fn, &x);
    *pass_on = rc == 0 && x.below;
    if (rc == 0)
        *res = x.res;
    return rc;
}

int
desk_index(store_txn_t *t, uint32_t node, uint64_t seq, const wire_obj_t *m)
{
    char type[32], key[EVENT_ID_MAX + 1];
    if (!type_of(m, type))
        return 0;
    if (strcmp(type, "alert.respond") == 0 || strcmp(type, "alert.close") == 0) {
        if (wire_obj_get_text(m, "alert", key, sizeof key) != 0)
            return 0;
        int rc = put_ref(t, 'f', key, seq);
        bool own = true;
        if (rc == 0 && type[6] == 'c')
            rc = store_has(t, STORE_ALERTS, key, strlen(key), &own);
        if (rc == 0 && !own)
            rc = keep_decision(t, node, seq, key);
        return rc;
    } else if (strcmp(type, "followup") == 0) {
        char node_text[NODE_LEN + 1], id[ALERT_ID_LEN];
        node_format(node, node_text);
        if (wire_obj_get_text(m, "case", key, sizeof key) == 0) {
            rating_alert_id(node_text, key, id);
            return put_ref(t, 'f', id, seq);
        }
    } else if (strncmp(type, "supervise.", 10) == 0) {
        if (wire_obj_get_text(m, "supervision", key, sizeof key) == 0)
            return put_ref(t, 's', key, seq);
    } else if (strcmp(type, "patrol") == 0) {
        int64_t at;
        if (wire_obj_get_int(m, "at", &at) == 0) {
            char date[16];
            calendar_format_date(calendar_day_of(at), date);
            return put_ref(t, 'p', date, seq);
        }
    } else if (strncmp(type, "record.", 7) == 0) {
        return desk_note_change(t, node, seq, m);
    }
    return 0;
}

int
desk_note_raised(store_txn_t *t, const struct alert *a)
{
    uint8_t subject[SUBJECT_MAX];
    size_t l = subject_of(subject, 'f', a->id);
    return clocks_set(t, STORE_DESK, subject, l, a->answer_due_ms ? a->answer_due_ms : INT64_MAX);
}

int
desk_note_change(store_txn_t *t, uint32_t origin, uint64_t seq, const wire_obj_t *record)
{
    char target[EVENT_ID_MAX + 1];
    if (wire_obj_get_text(record, "record", target, sizeof target) != 0 || strlen(target) < 8 ||
        target[6] != '/' || node_valid(target, 6) != 0)
        return 0;
    uint8_t k[13], v[12];
    k[0] = 'x';
    store_be32(k + 1, node_number(target));
    store_be64(k + 5, strtoull(target + 7, NULL, 10));
    store_be32(v, origin);
    store_be64(v + 4, seq);
    return store_put(t, STORE_DESK, k, sizeof k, v, sizeof v, 0);
}

int
desk_change_of(store_txn_t *t, uint32_t node, uint64_t seq, struct wire_buf *change)
{
    uint8_t k[13];
    k[0] = 'x';
    store_be32(k + 1, node);
    store_be64(k + 5, seq);
    struct wire_buf v;
    wire_buf_init(&v);
    int rc = store_get(t, STORE_DESK, k, sizeof k, &v);
    if (rc == 0 && v.len != 12)
        rc = ERR_CORRUPT;
    if (rc == 0) {
        uint8_t rk[12];
        memcpy(rk, v.data, 12);
        rc = store_get(t, STORE_EVENTS, rk, 12, change);
    }
    wire_buf_fini(&v);
    return rc;
}

int
desk_note_alert(store_txn_t *t, uint32_t origin, const wire_obj_t *record)
{
    const wire_obj_t *am = wire_obj_get(record, "alert");
    char id[ALERT_ID_LEN], dept[EVENT_ID_MAX + 1], state[16];
    if (!am || wire_obj_get_text(am, "id", id, sizeof id) != 0)
        return 0;
    if (wire_obj_get_text(am, "dept", dept, sizeof dept) != 0)
        dept[0] = '\0';
    bool live = wire_obj_get_text(am, "state", state, sizeof state) == 0 &&
                (strcmp(state, "open") == 0 || strcmp(state, "responded") == 0);
    /* whether a department answers it, so a tier above refuses to close a platform alarm of a
     * child as the child's own desk would */
    struct alert probe = {0};
    if (wire_obj_get_text(am, "rule", probe.rule, sizeof probe.rule) != 0)
        probe.rule[0] = '\0';
    uint8_t k[1 + ALERT_ID_LEN], v[5 + EVENT_ID_MAX];
    size_t l = strlen(id), dl = strlen(dept);
    k[0] = 'a';
    memcpy(k + 1, id, l);
    store_be32(v, origin);
    v[4] = (uint8_t)(live | (probe.rule[0] && !feedback_applies(&probe) ? DESK_PLATFORM : 0));
    memcpy(v + 5, dept, dl);
    int rc = store_put(t, STORE_DESK, k, 1 + l, v, 5 + dl, 0);
    if (rc == 0 && !live) {
        /* the alert's own node closed (or cleared) it: nothing left to send down */
        rc = store_del(t, STORE_DESK, k, decision_key(k, id));
        if (rc == ERR_NOT_FOUND)
            rc = 0;
    }
    return rc;
}

int
desk_alert_place(store_txn_t *t, const char *id, uint32_t *node, char dept[EVENT_ID_MAX + 1])
{
    struct alert a;
    int rc = alertdb_get(t, id, &a);
    if (rc == 0) {
        *node = node_number(a.node);
        memcpy(dept, a.dept, sizeof a.dept);
        return 0;
    }
    if (rc != ERR_NOT_FOUND)
        return rc;
    struct wire_buf v;
    wire_buf_init(&v);
    rc = child_entry(t, id, &v);
    if (rc == 0 && (v.len < 5 || v.len > 5 + EVENT_ID_MAX))
        rc = ERR_CORRUPT;
    if (rc == 0) {
        *node = store_from_be32(v.data);
        memcpy(dept, v.data + 5, v.len - 5);
        dept[v.len - 5] = '\0';
    }
    wire_buf_fini(&v);
    return rc;
}

/* ---- the pass ---- */

struct subjects {
    char **v;
    size_t n, cap;
};

static void
subjects_add(struct subjects *s, char kind, const char *key)
{
    char text[SUBJECT_MAX];
    snprintf(text, sizeof text, "%c%s", kind, key);
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], text) == 0)
            return;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = xstrdup(text);
}

static void
subjects_free(struct subjects *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

struct pass {
    desk_t *d;
    int64_t now;
    uint32_t seal_at;
    struct desk_result res;
};

static int
set_clock(store_txn_t *t, char kind, const char *key, int64_t due)
{
    uint8_t s[SUBJECT_MAX];
    size_t l = subject_of(s, kind, key);
    return clocks_set(t, STORE_DESK, s, l, due);
}

/* Stores an alert of this node and sends its change up. */
static int
record_change(store_txn_t *t, desk_t *d, const struct alert *a, struct desk_result *res)
{
    int rc = alertdb_record(t, d->node, a);
    /* an answer changes a department's response timeliness; an office's own alerts count nowhere */
    if (rc == 0 && alert_is_department(a->rule))
        rc = counter_note_alert(t, d->node, a, 0);
    if (rc == 0)
        res->changes++;
    return rc;
}

/* -- answers to an alert -- */

struct answers {
    calendar_t *cal;
    struct alert *a;
    int64_t since; /* the alert's latest raising: earlier answers were to a cleared predecessor */
    bool changed;
};

static int
answer_one(void *arg, const wire_obj_t *m)
{
    struct answers *x = arg;
    char type[32], action[16];
    int64_t at;
    if (!type_of(m, type) || wire_obj_get_int(m, "at", &at) != 0 || at < x->since)
        return 0;
    if (strcmp(type, "alert.respond") == 0) {
        bool correct = wire_obj_get_text(m, "action", action, sizeof action) == 0 &&
                       strcmp(action, "correct") == 0;
        x->changed |= feedback_respond(x->a, x->cal, at, correct);
    } else if (strcmp(type, "alert.close") == 0) {
        x->changed |= feedback_close(x->a, at);
    } else if (strcmp(type, "followup") == 0) {
        x->changed |= feedback_followup(x->a, x->cal, at);
    }
    return 0;
}

static int
judge_answers(store_txn_t *t, struct pass *p, const char *id)
{
    struct alert a;
    int rc = alertdb_get(t, id, &a);
    if (rc == ERR_NOT_FOUND)
        return 0; /* another node's alert (or not raised yet): shown over it by queries */
    if (rc != 0 || strcmp(a.node, p->d->node_text) != 0 || !feedback_applies(&a))
        return rc;
    struct answers x = {p->d->cal, &a, 0, false};
    for (size_t i = 0; i < a.n_ledger; i++)
        if (a.ledger[i].action == ALERT_RAISED)
            x.since = a.ledger[i].at_ms;
    rc = each_record(t, p->d->node, 'f', id, answer_one, &x);
    char parent[NODE_LEN + 1] = "";
    uint32_t pn = node_parent(p->d->node);
    if (pn)
        node_format(pn, parent);
    if (rc == 0 && feedback_due(&a, p->d->cal, parent, p->now))
        x.changed = true;
    if (rc == 0 && x.changed)
        rc = record_change(t, p->d, &a, &p->res);
    /* a deadline passed without a step (at the top of the tree): the answer is due in the scores */
    int64_t first = feedback_answer_deadline(p->d->cal, &a);
    if (rc == 0 && !x.changed && first && p->now >= first && alert_is_department(a.rule))
        rc = counter_note_alert(t, p->d->node, &a, 0);
    if (rc == 0)
        rc = set_clock(t, 'f', id, a.answer_due_ms ? a.answer_due_ms : INT64_MAX);
    return rc;
}

/* -- supervision cases -- */

static int
judge_supervision(store_txn_t *t, struct pass *p, const char *id)
{
    struct replay r;
    int rc = load_supervision(t, p->d->node, p->d->cal, id, &r);
    if (rc != 0 || !r.s.id[0])
        return rc;
    if (r.refused)
        log_warn("desk: supervision %s: a stored record no longer applies (%s: %s)", id, r.field,
                 r.reason);
    struct alert a, old;
    if (supervision_overdue(&r.s, p->now, &a)) {
        rc = alertdb_get(t, a.id, &old);
        if (rc == ERR_NOT_FOUND) {
            feedback_start(&a, p->d->cal, a.raised_ms > p->now ? a.raised_ms : p->now, NULL);
            rc = record_change(t, p->d, &a, &p->res);
            if (rc == 0)
                rc = set_clock(t, 'f', a.id, a.answer_due_ms ? a.answer_due_ms : INT64_MAX);
        }
    }
    if (rc == 0) {
        bool waiting = !r.s.reported_ms && !r.s.closed_ms && p->now < r.s.due_ms;
        rc = set_clock(t, 's', id, waiting ? r.s.due_ms : INT64_MAX);
    }
    return rc;
}

/* -- patrols -- */

struct targets {
    uint32_t *v;
    size_t n, cap;
};

static void
targets_add(struct targets *x, uint32_t node)
{
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 16;
        x->v = xrealloc(x->v, x->cap * sizeof *x->v);
    }
    x->v[x->n++] = node;
}

static int
patrol_one(void *arg, const wire_obj_t *m)
{
    char target[NODE_LEN + 1];
    if (wire_obj_get_text(m, "target", target, sizeof target) == 0)
        targets_add(arg, node_number(target));
    return 0;
}

static int
tree_one(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    (void)val;
    (void)vlen;
    if (klen == 4)
        targets_add(arg, store_from_be32(key));
    return 0;
}

static int
judge_patrol_day(store_txn_t *t, struct pass *p, int64_t day)
{
    desk_t *d = p->d;
    if (!calendar_is_workday(d->cal, day))
        return 0;
    char date[16];
    calendar_format_date(day, date);
    struct targets done = {0}, tree = {0};
    int rc = each_record(t, d->node, 'p', date, patrol_one, &done);
    for (size_t i = 0; i < d->opt.n_tree; i++)
        targets_add(&tree, d->tree[i]);
    if (rc == 0)
        rc = store_each_prefix(t, STORE_NODES, NULL, 0, false, tree_one, &tree);
    char why[ERR_WHY_MAX];
    bool short_day = rc == 0 && patrol_short(d->node, done.v, done.n, tree.v, tree.n, why);
    free(done.v);
    free(tree.v);
    if (rc != 0)
        return rc;
    struct alert a, old;
    patrol_alert(d->node, day, short_day ? why : "", &a);
    rc = alertdb_get(t, a.id, &old);
    if (rc == ERR_NOT_FOUND)
        return short_day ? record_change(t, p->d, &a, &p->res) : 0;
    if (rc != 0)
        return rc;
    if (!short_day && (old.state == ALERT_OPEN || old.state == ALERT_RESPONDED)) {
        /* patrols of that day recorded late make up the shortfall */
        old.state = ALERT_CLEARED;
        alert_log(&old, p->now, ALERT_CLEARED_ACT, old.light);
        return record_change(t, p->d, &old, &p->res);
    }
    if (short_day && old.state == ALERT_CLEARED) {
        old.state = ALERT_OPEN;
        alert_log(&old, p->now, ALERT_RAISED, old.light);
        return record_change(t, p->d, &old, &p->res);
    }
    return 0;
}

/* Judges every day that has ended since the last judged one. */
static int
judge_patrol_days(store_txn_t *t, struct pass *p)
{
    uint64_t judged;
    int rc = store_meta_get_u64(t, "patrol_day", &judged);
    if (rc != 0)
        return rc;
    int64_t day = (int64_t)judged;
    for (; rc == 0 && calendar_day_start_ms(day + 2) <= p->now; day++)
        rc = judge_patrol_day(t, p, day + 1);
    if (rc == 0)
        rc = store_meta_put_u64(t, "patrol_day", (uint64_t)day);
    if (rc == 0)
        rc = set_clock(t, 'P', "", calendar_day_start_ms(day + 2));
    return rc;
}

static int
judge(store_txn_t *t, struct pass *p, const char *subject)
{
    const char *key = subject + 1;
    switch (subject[0]) {
    case 'f':
        return judge_answers(t, p, key);
    case 's':
        return judge_supervision(t, p, key);
    case 'P':
        return judge_patrol_days(t, p);
    case 'p': {
        int64_t day;
        uint64_t judged;
        int rc = store_meta_get_u64(t, "patrol_day", &judged);
        if (rc == 0 && calendar_parse_date(key, strlen(key), &day) == 0 && day <= (int64_t)judged)
            rc = judge_patrol_day(t, p, day); /* a day already judged: judged again */
        return rc;
    }
    default:
        return 0;
    }
}

static int
add_due(void *arg, const uint8_t *subject, size_t len)
{
    char text[SUBJECT_MAX];
    size_t n = len < sizeof text - 1 ? len : sizeof text - 1;
    memcpy(text, subject, n);
    text[n] = '\0';
    if (text[0])
        subjects_add(arg, text[0], text + 1);
    return 0;
}

static int
pass_fn(store_txn_t *t, void *arg)
{
    struct pass *p = arg;
    desk_t *d = p->d;
    memset(&p->res, 0, sizeof p->res);
    uint64_t started, from_set;
    int rc = store_meta_get_u64(t, "desk_started", &started);
    if (rc == 0)
        rc = store_meta_get_u64(t, "patrol_from", &from_set);
    if (rc != 0)
        return rc;
    struct subjects set = {0};
    /* The first pass fixes the first day whose patrols are judged: the configured one, or today.
     * A newly configured day takes effect at once (days judged again change nothing twice). */
    bool configured = d->opt.patrol_from_day != INT64_MIN;
    if (!started || (configured && (int64_t)from_set != d->opt.patrol_from_day)) {
        int64_t from = configured ? d->opt.patrol_from_day : calendar_day_of(p->now);
        rc = store_meta_put_u64(t, "patrol_day", (uint64_t)(from - 1));
        if (rc == 0)
            rc = store_meta_put_u64(t, "patrol_from", (uint64_t)from);
        if (rc == 0)
            rc = store_meta_put_u64(t, "desk_started", 1);
        subjects_add(&set, 'P', "");
    }
    /* Subjects whose clocks are due: deadlines, and those new records or alerts touched. */
    if (rc == 0)
        rc = clocks_each_due(t, STORE_DESK, p->now, add_due, &set);
    for (size_t i = 0; rc == 0 && i < set.n; i++)
        rc = judge(t, p, set.v[i]);
    p->res.subjects = set.n;
    subjects_free(&set);
    if (rc == 0 && p->res.changes)
        rc = spool_seal(t, d->node, p->seal_at, true, p->now, &p->res.sealed);
    return rc;
}

int
desk_run(desk_t *d, int64_t now_ms, uint32_t seal_at, struct desk_result *res)
{
    /* Nothing due (the common case after a message of business events): no write transaction. */
    if (d->next_due != INT64_MIN && now_ms < d->next_due) {
        store_txn_t *t = NULL;
        int64_t due = INT64_MAX;
        int rc = store_read(d->store, &t);
        if (rc == 0)
            rc = clocks_first(t, STORE_DESK, &due);
        store_abort(&t);
        if (rc == 0 && now_ms < due) {
            d->next_due = due;
            memset(res, 0, sizeof *res);
            return 0;
        }
    }
    struct pass p = {d, now_ms, seal_at, {0}};
    int rc = store_write(d->store, pass_fn, &p);
    if (rc != 0)
        return rc;
    *res = p.res;
    store_txn_t *t = NULL;
    if (store_read(d->store, &t) == 0) {
        if (clocks_first(t, STORE_DESK, &d->next_due) != 0)
            d->next_due = INT64_MIN;
        store_abort(&t);
    }
    return 0;
}

int64_t
desk_next_due(desk_t *d)
{
    return d->next_due;
}
