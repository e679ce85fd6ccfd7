/* watch: indexing, due clocks, per-subject replay and the alert diff. See watch.h for the
 * transaction it all happens in. Keys of the subjects and clocks tables are documented in
 * store.h. Subjects are identified as kind + key ("cC-2026-001", "qQ7", "i" for all items). */
#include "watch.h"

#include "alertdb.h"
#include "clocks.h"
#include "counter.h"
#include "coverage.h"
#include "desk.h"
#include "err.h"
#include "feedback.h"
#include "log.h"
#include "mem.h"
#include "node.h"
#include "rules.h"
#include "spool.h"

#include <czmq.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct watch {
    store_t *store;
    uint32_t node;
    char node_text[7];
    const catalog_t *catalog;
    calendar_t *cal;
    int64_t next_due;
};

watch_t *
watch_new(store_t *store, uint32_t node, const catalog_t *catalog, calendar_t *calendar)
{
    watch_t *w = xcalloc(1, sizeof *w);
    w->store = store;
    w->node = node;
    node_format(node, w->node_text);
    w->catalog = catalog;
    w->cal = calendar;
    w->next_due = INT64_MIN; /* unknown until the first pass */
    return w;
}

void
watch_destroy(watch_t **p)
{
    free(*p);
    *p = NULL;
}

/* ---- a small set of subject strings ---- */

struct subjects {
    char **v;
    char **cause; /* per subject: what brought it into the pass ("event ID"), or NULL */
    size_t n, cap;
    zhashx_t *index; /* subject -> position + 1: a pass of 20,000 records names thousands */
};

/* Adds a subject once; a later cause replaces an earlier one (the newest record names it). */
static void
subjects_add_cause(struct subjects *s, const char *subject, const char *cause)
{
    if (!s->index)
        s->index = zhashx_new();
    size_t i = (size_t)(uintptr_t)zhashx_lookup(s->index, subject);
    if (i) {
        i--;
    } else {
        if (s->n == s->cap) {
            s->cap = s->cap ? 2 * s->cap : 64;
            s->v = xrealloc(s->v, s->cap * sizeof *s->v);
            s->cause = xrealloc(s->cause, s->cap * sizeof *s->cause);
        }
        i = s->n;
        s->v[s->n] = xstrdup(subject);
        s->cause[s->n++] = NULL;
        zhashx_insert(s->index, subject, (void *)(uintptr_t)s->n);
    }
    if (cause) {
        free(s->cause[i]);
        s->cause[i] = xstrdup(cause);
    }
}

static void
subjects_add(struct subjects *s, const char *subject)
{
    subjects_add_cause(s, subject, NULL);
}

static void
subjects_free(struct subjects *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i]);
        free(s->cause[i]);
    }
    free(s->v);
    free(s->cause);
    zhashx_destroy(&s->index);
}

/* ---- helpers over the tables ---- */

static void
record_key(uint8_t key[12], uint32_t node, uint64_t seq)
{
    store_be32(key, node);
    store_be64(key + 4, seq);
}

/* subjects table key: kind + key + NUL + suffix */
static size_t
subject_key(uint8_t *out, char kind, const char *key, const void *suffix, size_t slen)
{
    size_t kl = strlen(key);
    out[0] = (uint8_t)kind;
    memcpy(out + 1, key, kl);
    out[1 + kl] = 0;
    if (slen)
        memcpy(out + 2 + kl, suffix, slen);
    return 2 + kl + slen;
}

/* ---- loading a subject's records into an engine ---- */

struct loader {
    store_txn_t *t;
    watch_t *w;
    rules_t *rules;
    size_t prefix_len;
    struct wire_buf v; /* the record being loaded */
};

static int
load_one(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    (void)val;
    (void)vlen;
    struct loader *l = arg;
    /* kind + key + NUL + seq: the seq is the last 8 bytes, after the NUL */
    if (klen < l->prefix_len + 8 || key[klen - 9] != 0)
        return 0;
    uint8_t rk[12];
    record_key(rk, l->w->node, store_from_be64(key + klen - 8));
    wire_buf_reset(&l->v);
    int rc = store_get(l->t, STORE_EVENTS, rk, 12, &l->v);
    if (rc == 0)
        rc = rules_add(l->rules, l->v.data, l->v.len);
    return rc == ERR_DECODE ? 0 : rc; /* a record no rule can read is skipped, not fatal */
}

static void
add_handler(void *arg, const char *handler)
{
    subjects_add(arg, handler);
}

static int
load_subject(store_txn_t *t, watch_t *w, rules_t *rules, char kind, const char *key,
             struct subjects *handlers)
{
    uint8_t prefix[80];
    size_t plen = kind == 'i' ? 1 : subject_key(prefix, kind, key, NULL, 0);
    prefix[0] = (uint8_t)kind;
    struct loader l = {t, w, rules, plen, {0}};
    wire_buf_init(&l.v);
    int rc = store_each_prefix(t, STORE_SUBJECTS, prefix, plen, false, load_one, &l);
    wire_buf_fini(&l.v);
    /* every record under a case's prefix is of a case (rules_subject_of_map): the engine holds
     * only them yet, and their handlers */
    if (rc == 0 && handlers)
        rules_each_handler(rules, add_handler, handlers);
    return rc;
}

/* ---- the alert diff ---- */

struct produced {
    struct alert *v;
    size_t n, cap;
};

static void
collect(void *arg, const struct alert *a)
{
    struct produced *p = arg;
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 16;
        p->v = xrealloc(p->v, p->cap * sizeof *p->v);
    }
    p->v[p->n++] = *a;
}

struct pass {
    watch_t *w;
    int64_t now;
    uint32_t seal_at;
    uint64_t max_records;
    struct watch_result res;
};

/* Stores the alert and appends its change as an `alert` record to the spool. prev_raised_ms: the
 * raise time the stored alert had before (0 if new), whose day is counted again. */
static int
record_change(store_txn_t *t, struct pass *p, const struct alert *a, char kind, const char *key,
              int64_t prev_raised_ms)
{
    int rc = alertdb_record(t, p->w->node, a);
    uint8_t sk[200];
    size_t sl = 0;
    if (rc == 0) {
        uint8_t inner[80];
        size_t il = subject_key(inner, kind, key, NULL, 0);
        sk[0] = 'A';
        memcpy(sk + 1, inner, il);
        memcpy(sk + 1 + il, a->id, strlen(a->id));
        sl = 1 + il + strlen(a->id);
        rc = store_put(t, STORE_SUBJECTS, sk, sl, "", 0, 0);
    }
    if (rc == 0)
        rc = counter_note_alert(t, p->w->node, a, prev_raised_ms);
    /* the supervision desk's clock for the department's answer */
    if (rc == 0 && a->answer_due_ms)
        rc = desk_note_raised(t, a);
    if (rc == 0)
        p->res.changes++;
    return rc;
}

struct stored_ids {
    store_txn_t *t;
    size_t prefix_len;
    struct subjects ids;
};

static int
stored_one(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    (void)val;
    (void)vlen;
    struct stored_ids *s = arg;
    char id[ALERT_ID_LEN];
    size_t n = klen - s->prefix_len;
    if (n >= sizeof id)
        return 0;
    memcpy(id, key + s->prefix_len, n);
    id[n] = '\0';
    subjects_add(&s->ids, id);
    return 0;
}

static int
set_clock(store_txn_t *t, char kind, const char *key, int64_t due)
{
    uint8_t sk[80];
    size_t il = subject_key(sk, kind, key, NULL, 0);
    return clocks_set(t, STORE_CLOCKS, sk, il, due);
}

/* The thresholds of an alert's item, else the catalogue's default. */
static const struct catalog_thresholds *
thresholds_of(const watch_t *w, const struct alert *a)
{
    const struct catalog_item *it = a->item[0] ? catalog_find(w->catalog, a->item) : NULL;
    return it ? &it->th : catalog_default_thresholds(w->catalog);
}

/* Brings a stored alert to the engine's finding `a` (what `jiancha evaluate` gives for the same
 * history as of now): raised again if it had been cleared, escalated, lowered or its times
 * corrected, each with a ledger entry naming the cause. The answer clock and the steps it took
 * stay: they are the department's own record (feedback.h), shown over the finding. */
/* Copies what the engine judges (light, times, place, reason) onto the stored alert. */
static void
take_finding(struct alert *old, const struct alert *a)
{
    old->finding = a->finding;
    old->finding_ms = a->finding_ms;
    old->raised_ms = a->raised_ms;
    old->provisional = a->provisional;
    snprintf(old->dept, sizeof old->dept, "%s", a->dept);
    snprintf(old->item, sizeof old->item, "%s", a->item);
    snprintf(old->detail, sizeof old->detail, "%s", a->detail);
}

static int
follow_finding(store_txn_t *t, struct pass *p, struct alert *old, const struct alert *a,
               char kind, const char *key, const char *cause)
{
    watch_t *w = p->w;
    int64_t prev_raised = old->raised_ms;
    if (old->state == ALERT_CLEARED) {
        /* Shown founded again by a later event or by the clock: open it again. */
        old->state = ALERT_OPEN;
        take_finding(old, a);
        old->queue[0] = '\0';
        feedback_start(old, w->cal, p->now, thresholds_of(w, old));
        old->light = alert_shown_light(old);
        /* brought back by the clock: at its threshold's instant; by a record: when learnt */
        alert_log_cause(old, cause ? p->now : old->raised_ms, ALERT_RAISED, old->finding, cause);
        return record_change(t, p, old, kind, key, prev_raised);
    }
    /* Also what it says: a late acceptance names the dept and item, a late event the reason. */
    if (a->finding == old->finding && a->raised_ms == old->raised_ms &&
        a->finding_ms == old->finding_ms && a->provisional == old->provisional &&
        strcmp(a->dept, old->dept) == 0 && strcmp(a->item, old->item) == 0 &&
        strcmp(a->detail, old->detail) == 0)
        return 0;
    enum alert_action act = a->finding > old->finding   ? ALERT_ESCALATED
                            : a->finding < old->finding ? ALERT_LOWERED
                                                        : ALERT_CORRECTED;
    take_finding(old, a);
    old->light = alert_shown_light(old);
    /* an escalation by the clock happened when the threshold passed; a correction when learnt */
    alert_log_cause(old, act == ALERT_ESCALATED ? a->finding_ms : p->now, act, old->finding,
                    act == ALERT_ESCALATED ? NULL : cause);
    return record_change(t, p, old, kind, key, prev_raised);
}

static int
evaluate_subject(store_txn_t *t, struct pass *p, const char *subject, const char *cause)
{
    watch_t *w = p->w;
    char kind = subject[0];
    const char *key = subject + 1;
    rules_t *rules = rules_new(w->catalog, w->cal, w->node_text);
    struct subjects handlers = {0};
    int rc = load_subject(t, w, rules, kind, key, kind == 'c' ? &handlers : NULL);
    /* A case is judged with the credentials of the handlers who acted in it. */
    for (size_t i = 0; rc == 0 && i < handlers.n; i++)
        rc = load_subject(t, w, rules, 'h', handlers.v[i], NULL);
    struct produced got = {0};
    unsigned scope = kind == 'c' ? RULES_CASES : kind == 'q' ? RULES_COMPLAINTS : RULES_ITEMS;
    if (rc == 0)
        rules_evaluate(rules, p->now, scope, collect, &got);
    /* A case lit for qualification is filed under each of its handlers, so a credential that
     * arrives late finds it (see note_qualified). */
    bool unqualified = false;
    for (size_t i = 0; i < got.n && !unqualified; i++)
        unqualified = strcmp(got.v[i].rule, "qualification") == 0;
    for (size_t i = 0; rc == 0 && unqualified && i < handlers.n; i++) {
        uint8_t qk[160];
        size_t ql = subject_key(qk, 'Q', handlers.v[i], key, strlen(key));
        rc = store_put(t, STORE_SUBJECTS, qk, ql, "", 0, 0);
    }
    subjects_free(&handlers);
    int64_t next = rules_next_change(rules);
    rules_destroy(&rules);
    p->res.subjects++;

    /* The alerts stored for this subject before this pass. */
    uint8_t prefix[90];
    size_t il = subject_key(prefix + 1, kind, key, NULL, 0);
    prefix[0] = 'A';
    struct stored_ids st = {t, 1 + il, {0}};
    if (rc == 0)
        rc = store_each_prefix(t, STORE_SUBJECTS, prefix, 1 + il, false, stored_one, &st);

    for (size_t i = 0; rc == 0 && i < got.n; i++) {
        struct alert *a = &got.v[i];
        struct alert old;
        int g = alertdb_get(t, a->id, &old);
        if (g == ERR_NOT_FOUND) {
            /* the answer clock runs from when the light is recorded, not from a past raised_at */
            feedback_start(a, w->cal, a->raised_ms > p->now ? a->raised_ms : p->now,
                           thresholds_of(w, a));
            rc = record_change(t, p, a, kind, key, 0);
        } else if (g == 0) {
            rc = follow_finding(t, p, &old, a, kind, key, cause);
        } else {
            rc = g;
        }
    }
    /* Alerts this subject no longer produces: a late event showed them unfounded. */
    for (size_t i = 0; rc == 0 && i < st.ids.n; i++) {
        bool still = false;
        for (size_t k = 0; k < got.n && !still; k++)
            still = strcmp(got.v[k].id, st.ids.v[i]) == 0;
        if (still)
            continue;
        struct alert old;
        if (alertdb_get(t, st.ids.v[i], &old) == 0 &&
            (old.state == ALERT_OPEN || old.state == ALERT_RESPONDED)) {
            old.state = ALERT_CLEARED;
            old.answer_due_ms = 0; /* nothing is owed on an unfounded light */
            alert_log_cause(&old, p->now, ALERT_CLEARED_ACT, old.finding, cause);
            rc = record_change(t, p, &old, kind, key, 0);
        }
    }
    if (rc == 0)
        rc = set_clock(t, kind, key, next);
    subjects_free(&st.ids);
    free(got.v);
    return rc;
}

/* ---- the pass ---- */

struct index_ctx {
    store_txn_t *t;
    struct subjects *set;
    const char *cause;
    const char *node; /* this node's code: a parent's copies of its children's alerts are not ours */
};

static int
add_handler_case(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    (void)val;
    (void)vlen;
    struct index_ctx *x = arg;
    /* 'Q' + handler + NUL + case */
    const uint8_t *nul = memchr(key + 1, 0, klen - 1);
    if (!nul)
        return 0;
    char subject[80];
    size_t cl = klen - (size_t)(nul + 1 - key);
    if (cl >= sizeof subject - 1)
        return 0;
    subject[0] = 'c';
    memcpy(subject + 1, nul + 1, cl);
    subject[1 + cl] = '\0';
    subjects_add_cause(x->set, subject, x->cause[0] ? x->cause : NULL);
    return 0;
}

static int
add_due(void *arg, const uint8_t *subject, size_t len)
{
    char text[80];
    /* the subject is kind + key + NUL: drop the NUL */
    size_t n = len < sizeof text - 1 ? len : sizeof text - 1;
    memcpy(text, subject, n);
    text[n] = '\0';
    subjects_add(arg, text);
    return 0;
}

/* ---- judging every subject again with a newer calendar ---- */

/* A calendar new to the stored alerts (meta "calendar_judged" holds the digest of the one they
 * were judged with) starts a walk over every subject, at most max_records per pass, kept in meta
 * "recheck": [cause length u8][cause][subjects key to go on from]. */
struct recheck {
    bool active;
    char cause[ALERT_CAUSE_MAX];
    uint8_t from[CLOCKS_SUBJECT_MAX];
    size_t from_len;
};

static int
recheck_load(store_txn_t *t, struct recheck *r)
{
    memset(r, 0, sizeof *r);
    struct wire_buf v;
    wire_buf_init(&v);
    int rc = store_get(t, STORE_META, "recheck", 7, &v);
    if (rc == ERR_NOT_FOUND) {
        rc = 0;
    } else if (rc == 0) {
        size_t cl = v.len >= 1 ? v.data[0] : 0;
        if (v.len < 1 || cl >= sizeof r->cause || v.len - 1 < cl ||
            v.len - 1 - cl > sizeof r->from) {
            rc = ERR_CORRUPT;
        } else {
            r->active = true;
            memcpy(r->cause, v.data + 1, cl);
            r->from_len = v.len - 1 - cl;
            memcpy(r->from, v.data + 1 + cl, r->from_len);
        }
    }
    wire_buf_fini(&v);
    return rc;
}

static int
recheck_save(store_txn_t *t, const struct recheck *r)
{
    if (!r->active) {
        int rc = store_del(t, STORE_META, "recheck", 7);
        return rc == ERR_NOT_FOUND ? 0 : rc;
    }
    uint8_t v[1 + ALERT_CAUSE_MAX + CLOCKS_SUBJECT_MAX];
    size_t cl = strlen(r->cause);
    v[0] = (uint8_t)cl;
    memcpy(v + 1, r->cause, cl);
    memcpy(v + 1 + cl, r->from, r->from_len);
    return store_put(t, STORE_META, "recheck", 7, v, 1 + cl + r->from_len, 0);
}

/* Adds up to `max` subjects from where the walk stands (cases 'c', complaints 'q', then all items
 * as "i"); ends the walk past the last. Each subject is one subjects-table prefix: kind + key +
 * NUL; the key kind + key + 0x01 is the first one past it. */
static int
recheck_walk(store_txn_t *t, struct recheck *r, uint64_t max, struct subjects *set)
{
    store_cursor_t *c = NULL;
    int rc = store_cursor_open(t, STORE_SUBJECTS, &c);
    if (rc != 0)
        return rc;
    struct wire_buf k;
    wire_buf_init(&k);
    uint64_t added = 0;
    uint8_t seek[CLOCKS_SUBJECT_MAX];
    size_t seek_len = r->from_len;
    memcpy(seek, r->from, r->from_len);
    if (seek_len == 0) {
        seek[0] = 'c';
        seek_len = 1;
    }
    for (;;) {
        wire_buf_reset(&k);
        int crc = store_cursor_seek(c, seek, seek_len, &k, NULL);
        if (crc == ERR_NOT_FOUND || (crc == 0 && k.data[0] > 'q')) {
            r->active = false;
            break;
        }
        if (crc != 0) {
            rc = crc;
            break;
        }
        if (added == max) {
            /* stop here: the next pass goes on from this subject */
            r->from_len = seek_len;
            memcpy(r->from, seek, seek_len);
            break;
        }
        char kind = (char)k.data[0];
        if (kind == 'c' || kind == 'q') {
            const uint8_t *nul = memchr(k.data, 0, k.len);
            size_t kl = nul ? (size_t)(nul - k.data) : k.len;
            if (kl > 65)
                kl = 65; /* kind + a key of at most 64 bytes (rules_subject_of_map) */
            char subject[80];
            memcpy(subject, k.data, kl);
            subject[kl] = '\0';
            subjects_add_cause(set, subject, r->cause);
            added++;
            memcpy(seek, k.data, kl);
            seek[kl] = 0x01;
            seek_len = kl + 1;
        } else if (kind == 'i') {
            subjects_add_cause(set, "i", r->cause);
            added++;
            seek[0] = 'j';
            seek_len = 1;
        } else {
            /* credential holders and anything between: on to the next kind judged */
            seek[0] = kind < 'c' ? 'c' : kind < 'i' ? 'i' : 'q';
            seek_len = 1;
        }
    }
    wire_buf_fini(&k);
    store_cursor_close(&c);
    return rc;
}

static int
lit_for_qualification(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    (void)val;
    (void)vlen;
    struct index_ctx *x = arg;
    char id[ALERT_ID_LEN];
    if (klen >= sizeof id)
        return 0;
    memcpy(id, key, klen);
    id[klen] = '\0';
    struct alert a;
    if (alertdb_get(x->t, id, &a) != 0 || strcmp(a.rule, "qualification") != 0 ||
        strcmp(a.subject_kind, "case") != 0 || strcmp(a.node, x->node) != 0)
        return 0;
    char subject[80];
    snprintf(subject, sizeof subject, "c%.70s", a.subject);
    subjects_add(x->set, subject);
    return 0;
}

/* Stores judged before the 'Q' index existed (they filed every case under 'H' + handler) have
 * their cases lit for qualification judged once more, which files them; once per store. */
static int
qualification_index(store_txn_t *t, const char *node, struct subjects *set)
{
    uint64_t built;
    int rc = store_meta_get_u64(t, "qualification_index", &built);
    if (rc != 0 || built)
        return rc;
    struct index_ctx x = {t, set, "", node};
    rc = store_each_prefix(t, STORE_ALERTS, "", 0, false, lit_for_qualification, &x);
    if (rc == 0)
        rc = store_meta_put_u64(t, "qualification_index", 1);
    return rc;
}

/* "event " and the record's id (its first 64 bytes), the cause a ledger entry names: written by
 * hand, as snprintf for every record of a pass was 2% of the county's real path. */
static void
cause_of_event(char cause[ALERT_CAUSE_MAX], const char *id, size_t len)
{
    _Static_assert(ALERT_CAUSE_MAX > 6 + 64, "a cause holds an id");
    size_t n = len < 64 ? len : 64;
    memcpy(cause, "event ", 6);
    memcpy(cause + 6, id, n);
    cause[6 + n] = '\0';
}

static int
pass_fn(store_txn_t *t, void *arg)
{
    struct pass *p = arg;
    watch_t *w = p->w;
    memset(&p->res, 0, sizeof p->res);
    uint64_t done, next;
    int rc = store_meta_get_u64(t, "rules_seq", &done);
    if (rc == 0)
        rc = store_meta_get_u64(t, "next_seq", &next);
    if (rc != 0)
        return rc;
    if (next == 0)
        next = 1;
    struct subjects set = {0};
    /* The first pass files the item clocks (item.offline needs no event to come due). */
    if (done == 0)
        subjects_add(&set, "i");
    rc = qualification_index(t, w->node_text, &set);
    /* A calendar the alerts were not judged with: every subject is judged again with it. */
    struct recheck rk;
    uint64_t judged;
    bool fresh = false, walked = false;
    rc = store_meta_get_u64(t, "calendar_judged", &judged);
    if (rc == 0)
        rc = recheck_load(t, &rk);
    if (rc == 0 && judged != calendar_digest(w->cal)) {
        rc = store_meta_put_u64(t, "calendar_judged", calendar_digest(w->cal));
        memset(&rk, 0, sizeof rk);
        rk.active = true;
        calendar_label(w->cal, rk.cause);
    }
    if (rc == 0 && rk.active) {
        rc = recheck_walk(t, &rk, p->max_records, &set);
        fresh = !rk.active; /* the walk ends in this pass */
        walked = true;
    }
    struct wire_buf v;
    wire_buf_init(&v);
    uint64_t last = next - 1;
    if (last > done + p->max_records) {
        last = done + p->max_records;
        p->res.more = true;
    }
    /* The new records lie in key order: a cursor walks them where a get per record descended
     * the tree again (nothing in this loop writes to events). */
    store_cursor_t *cur = NULL;
    struct wire_buf ck;
    wire_buf_init(&ck);
    if (rc == 0 && done < last)
        rc = store_cursor_open(t, STORE_EVENTS, &cur);
    for (uint64_t seq = done + 1; rc == 0 && seq <= last; seq++) {
        uint8_t rec_key[12];
        record_key(rec_key, w->node, seq);
        wire_buf_reset(&ck);
        wire_buf_reset(&v);
        rc = seq == done + 1 ? store_cursor_seek(cur, rec_key, 12, &ck, &v)
                             : store_cursor_next(cur, &ck, &v);
        if (rc == 0 && (ck.len != 12 || memcmp(ck.data, rec_key, 12) != 0))
            rc = ERR_NOT_FOUND; /* a record missing from the spool, as a get would find */
        if (rc != 0)
            break;
        /* decoded once for both the subject index and the day index */
        char kind, key[65], handler[65];
        wire_reader_t *rd = NULL;
        const wire_obj_t *m;
        if (wire_decode_one(v.data, v.len, &rd, &m) != 0 ||
            rules_subject_of_map(m, &kind, key, handler) != 0) {
            wire_reader_destroy(&rd);
            continue;
        }
        /* the record named in the ledger of a light it lowers or corrects */
        char cause[ALERT_CAUSE_MAX] = "";
        const char *idp;
        size_t idl;
        if (wire_obj_get_bytes(m, "id", WIRE_STR, &idp, &idl) == 0)
            cause_of_event(cause, idp, idl);
        rc = counter_index_record(t, w->node, seq, m);
        wire_reader_destroy(&rd);
        if (rc != 0)
            break;
        uint8_t sk[96], be[8];
        store_be64(be, seq);
        size_t sl = subject_key(sk, kind, key, be, 8);
        rc = store_put(t, STORE_SUBJECTS, sk, sl, "", 0, 0);
        p->res.records++;
        if (rc != 0)
            break;
        if (kind == 'h') {
            /* A credential arriving late changes the judgement of cases already seen. It can
             * only make a handler qualified where it was not (a handler is qualified by any
             * credential covering the moment), so only the cases lit for qualification can
             * change: those are judged again, not every case the handler ever touched. */
            uint8_t hp[80];
            size_t hl = subject_key(hp, 'Q', key, NULL, 0);
            struct index_ctx x = {t, &set, cause, w->node_text};
            rc = store_each_prefix(t, STORE_SUBJECTS, hp, hl, false, add_handler_case, &x);
        } else {
            char subject[80];
            size_t kl = kind == 'i' ? 0 : strlen(key);
            subject[0] = kind;
            memcpy(subject + 1, key, kl);
            subject[1 + kl] = '\0';
            subjects_add_cause(&set, subject, cause[0] ? cause : NULL);
        }
    }
    store_cursor_close(&cur);
    wire_buf_fini(&ck);
    wire_buf_fini(&v);
    /* Clocks due by now. */
    if (rc == 0)
        rc = clocks_each_due(t, STORE_CLOCKS, p->now, add_due, &set);
    for (size_t i = 0; rc == 0 && i < set.n; i++)
        if (set.v[i][0] != 'k') /* the coverage clock: judged below */
            rc = evaluate_subject(t, p, set.v[i], set.cause[i]);
    subjects_free(&set);
    if (rc == 0 && walked)
        rc = recheck_save(t, &rk);
    /* calendar.coverage: a change the walk's end brings names the new calendar */
    struct coverage_result cov;
    if (rc == 0)
        rc = coverage_judge(t, w->node, w->cal, p->now, fresh, &cov);
    if (rc == 0 && cov.changed)
        p->res.changes++;
    if (rc == 0)
        rc = set_clock(t, 'k', "", cov.next_ms);
    /* Alert changes leave at once rather than waiting for a full batch. */
    if (rc == 0 && p->res.changes)
        rc = spool_seal(t, w->node, p->seal_at, true, p->now, &p->res.sealed);
    /* The alert records this pass appended are not judged again: skip past them too, unless
     * the pass stopped early (their types make a later pass skip them anyway). */
    if (rc == 0 && !p->res.more)
        rc = store_meta_get_u64(t, "next_seq", &last);
    if (rc == 0)
        rc = store_meta_put_u64(t, "rules_seq", p->res.more ? last : (last ? last - 1 : 0));
    if (walked && rk.active)
        p->res.more = true; /* the walk goes on in the next pass */
    return rc;
}

int
watch_run(watch_t *w, int64_t now_ms, uint32_t seal_at, uint64_t max_records,
          struct watch_result *res)
{
    struct pass p = {w, now_ms, seal_at, max_records, {0}};
    int rc = store_write(w->store, pass_fn, &p);
    if (rc == 0) {
        *res = p.res;
        store_txn_t *t = NULL;
        if (store_read(w->store, &t) == 0) {
            if (clocks_first(t, STORE_CLOCKS, &w->next_due) != 0)
                w->next_due = INT64_MIN;
            store_abort(&t);
        }
    }
    return rc;
}

int64_t
watch_next_due(watch_t *w)
{
    return w->next_due;
}

/* ---- the case index, for reads ---- */

struct case_walk {
    watch_seq_fn fn;
    void *arg;
};

static int
case_one(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    (void)val;
    (void)vlen;
    const struct case_walk *cw = arg;
    return klen < 9 ? 0 : cw->fn(cw->arg, store_from_be64(key + klen - 8));
}

int
watch_case_records(store_txn_t *t, const char *case_id, watch_seq_fn fn, void *arg)
{
    uint8_t prefix[80];
    if (strlen(case_id) > sizeof prefix - 2)
        return 0;
    size_t plen = subject_key(prefix, 'c', case_id, NULL, 0);
    struct case_walk cw = {fn, arg};
    return store_each_prefix(t, STORE_SUBJECTS, prefix, plen, false, case_one, &cw);
}
