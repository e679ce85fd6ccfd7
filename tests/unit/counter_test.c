#include "alert.h"
#include "calendar.h"
#include "catalog.h"
#include "counter.h"
#include "desk.h"
#include "err.h"
#include "event.h"
#include "intake.h"
#include "spool.h"
#include "store.h"
#include "timestamp.h"
#include "watch.h"

#include "testutil.h"

static const char *const test_catalog =
    "{\"version\":1,\"items\":["
    "{\"item\":\"LIC\",\"name\":\"许可\",\"category\":\"licensing\",\"node\":\"510104\","
    "\"dept\":\"D\",\"basis\":[\"法1\"],\"limits\":{\"promised\":{\"n\":10,\"unit\":\"wd\"},"
    "\"legal\":{\"n\":20,\"unit\":\"wd\"}},\"steps\":[{\"name\":\"受理\"},{\"name\":\"决定\"}]}]}";

static char *dir, *dir2;
static store_t *st, *up; /* the county, and a parent holding the sheets it sent */
static catalog_t *cat;
static calendar_t *cal;
static watch_t *w;
static int n_sent;
static struct counter_refresh_result last; /* of the latest count() */

static int
setup(void **state)
{
    (void)state;
    char err[512];
    dir = testutil_tmpdir();
    dir2 = testutil_tmpdir();
    struct store_options o = {.map_bytes = 4 << 20};
    assert_int_equal(store_open(dir, &o, &st), 0);
    assert_int_equal(store_open(dir2, &o, &up), 0);
    assert_int_equal(catalog_parse(test_catalog, strlen(test_catalog), &cat, err, sizeof err), 0);
    cal = testutil_calendar();
    w = watch_new(st, 510104, cat, cal);
    n_sent = 0;
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    watch_destroy(&w);
    catalog_destroy(&cat);
    calendar_destroy(&cal);
    store_close(&st);
    store_close(&up);
    testutil_rmdir(dir);
    testutil_rmdir(dir2);
    return 0;
}

/* Every line sent, for a replay in order. */
#define SENT_MAX 64
static char sent[SENT_MAX][600];
static int64_t sent_at[SENT_MAX];

/* Commits one line to a store; returns its `at`. */
static int64_t
commit(store_t *to, const char *full)
{
    struct event_set set;
    event_set_init(&set);
    assert_int_equal(event_parse_message(full, strlen(full), "510104", &set), 0);
    assert_int_equal(set.n_entries, 1);
    int64_t at = set.entries[0].at_ms;
    struct intake_result r;
    assert_int_equal(intake_commit(to, 510104, &set, NULL, 1000, 1, &r), 0);
    event_set_fini(&set);
    return at;
}

static void send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
send(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    assert_true(n_sent < SENT_MAX);
    char *full = sent[n_sent];
    snprintf(full, sizeof sent[0], "{\"id\":\"e%d\",%s}", n_sent + 1, line);
    sent_at[n_sent++] = commit(st, full);
}

/* A rules pass, a desk pass and a counter refresh as of `when`; returns the sheets appended. */
static uint64_t
count(const char *when)
{
    struct watch_result r;
    assert_int_equal(watch_run(w, testutil_at(when), 1000, 20000, &r), 0);
    int64_t from;
    assert_int_equal(calendar_parse_date("2100-01-01", 10, &from), 0); /* no patrol days */
    struct desk_options o = {from, NULL, 0};
    desk_t *d = desk_new(st, 510104, cal, &o);
    struct desk_result dr;
    assert_int_equal(desk_run(d, testutil_at(when), 1000, &dr), 0);
    desk_destroy(&d);
    assert_int_equal(counter_refresh(st, 510104, cat, cal, testutil_at(when), 1000, &last), 0);
    return last.sheets;
}

struct got {
    char key[8][160];
    struct score_counters c[8];
    int n;
};

static void
collect(void *arg, const char *key, const struct score_counters *c)
{
    struct got *g = arg;
    assert_true(g->n < 8);
    snprintf(g->key[g->n], sizeof g->key[0], "%s", key);
    g->c[g->n++] = *c;
}

static struct got
sum(store_t *s, enum score_by by)
{
    struct got g = {0};
    int64_t from, to;
    assert_int_equal(calendar_parse_date("2026-11-01", 10, &from), 0);
    assert_int_equal(calendar_parse_date("2026-12-01", 10, &to), 0);
    assert_int_equal(counter_sum(s, from, to, by, NULL, collect, &g), 0);
    return g;
}

struct apply {
    const void *rec;
    size_t len;
    const wire_obj_t *m;
    bool taken;
};

static int
apply_fn(store_txn_t *t, void *arg)
{
    struct apply *a = arg;
    return counter_apply(t, 510104, a->rec, a->len, a->m, &a->taken);
}

/* Applies every `counters` record of the county at the parent, in the county's order (each twice
 * when `twice`, as a re-send would); returns how many replaced a sheet. */
static int
ship(bool twice)
{
    store_txn_t *r = NULL;
    store_cursor_t *c = NULL;
    assert_int_equal(store_read(st, &r), 0);
    assert_int_equal(store_cursor_open(r, STORE_EVENTS, &c), 0);
    struct wire_buf v;
    wire_buf_init(&v);
    int taken = 0;
    int rc = store_cursor_seek(c, NULL, 0, NULL, &v);
    while (rc == 0) {
        wire_reader_t *rd = NULL;
        const wire_obj_t *m;
        assert_int_equal(wire_decode_one(v.data, v.len, &rd, &m), 0);
        for (int i = 0; counter_is_record(m) && i < (twice ? 2 : 1); i++) {
            struct apply a = {v.data, v.len, m, false};
            assert_int_equal(store_write(up, apply_fn, &a), 0);
            taken += a.taken;
        }
        wire_reader_destroy(&rd);
        wire_buf_reset(&v);
        rc = store_cursor_next(c, NULL, &v);
    }
    wire_buf_fini(&v);
    store_cursor_close(&c);
    store_abort(&r);
    return taken;
}

#define ACCEPT(case_, day)                                                                         \
    send("\"type\":\"case.accept\",\"at\":\"2026-11-%sT09:00:00+08:00\",\"case\":\"%s\","          \
         "\"item\":\"LIC\",\"dept\":\"D\",\"handler\":\"H1\"",                                     \
         day, case_)
#define DECIDE(case_, day)                                                                         \
    send("\"type\":\"case.decision\",\"at\":\"2026-11-%sT09:00:00+08:00\",\"case\":\"%s\","        \
         "\"outcome\":\"grant\",\"handler\":\"H1\",\"basis\":[\"法1\"]",                           \
         day, case_)

static void
a_day_is_counted_by_dept_and_category(void **state)
{
    (void)state;
    ACCEPT("C1", "02");
    ACCEPT("C2", "02");
    send("\"type\":\"complaint.open\",\"at\":\"2026-11-02T10:00:00+08:00\",\"complaint\":\"Q1\","
         "\"dept\":\"D\"");
    DECIDE("C1", "03");
    send("\"type\":\"rating\",\"at\":\"2026-11-03T10:00:00+08:00\",\"case\":\"C1\",\"rating\":5");
    send("\"type\":\"rating\",\"at\":\"2026-11-03T11:00:00+08:00\",\"case\":\"C2\",\"rating\":2");
    assert_int_equal(count("2026-11-03T12:00:00+08:00"), 2); /* one sheet per day */
    struct got g = sum(st, SCORE_BY_NODE);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.key[0], "510104");
    assert_int_equal(g.c[0].cases, 2);
    assert_int_equal(g.c[0].concluded, 1);
    assert_int_equal(g.c[0].on_time, 1);
    assert_int_equal(g.c[0].ratings, 2);
    assert_int_equal(g.c[0].ratings_good, 1);
    assert_int_equal(g.c[0].complaints, 1);
    g = sum(st, SCORE_BY_CATEGORY);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.key[0], "510104/licensing");
    assert_int_equal(g.c[0].cases, 2);
    assert_string_equal(g.key[1], "510104/other");
    assert_int_equal(g.c[1].complaints, 1);
    /* nothing new: no sheet is sent again */
    assert_int_equal(count("2026-11-03T13:00:00+08:00"), 0);
}

static void
a_decision_before_its_acceptance_is_placed_when_the_acceptance_arrives(void **state)
{
    (void)state;
    DECIDE("C1", "03");
    assert_int_equal(count("2026-11-03T12:00:00+08:00"), 1);
    struct got g = sum(st, SCORE_BY_DEPT);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.key[0], "510104/?");
    ACCEPT("C1", "02");
    assert_int_equal(count("2026-11-03T13:00:00+08:00"), 2); /* 11-02 new, 11-03 re-counted */
    g = sum(st, SCORE_BY_DEPT);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.key[0], "510104/D");
    assert_int_equal(g.c[0].cases, 1);
    assert_int_equal(g.c[0].concluded, 1);
}

static void
a_late_red_and_its_response_deadline_change_the_sheets(void **state)
{
    (void)state;
    ACCEPT("C1", "02");
    count("2026-11-02T12:00:00+08:00");
    /* promised 10 wd used up at the end of 11-16: red (raised 11-13 as yellow) */
    count("2026-11-18T00:00:00+08:00");
    struct got g = sum(st, SCORE_BY_NODE);
    assert_int_equal(g.c[0].red, 1);
    assert_int_equal(g.c[0].response_due, 0);
    DECIDE("C1", "18");
    count("2026-11-18T12:00:00+08:00");
    g = sum(st, SCORE_BY_NODE);
    assert_int_equal(g.c[0].concluded, 1);
    assert_int_equal(g.c[0].on_time, 0); /* concluded under a standing red */
    /* raised 11-13 but recorded 11-18 (Wed): the department's 5 working days are 11-19 to 11-25;
     * from the end of 11-25 an answer is due in the scores (and the alert goes to the city) */
    assert_int_equal(count("2026-11-25T23:00:00+08:00"), 0);
    assert_int_equal(count("2026-11-26T00:00:01+08:00"), 1);
    g = sum(st, SCORE_BY_NODE);
    assert_int_equal(g.c[0].response_due, 1);
    assert_int_equal(g.c[0].responded_in_time, 0);
}

static void
a_correction_replaces_the_sheet_at_the_parent_and_a_resend_changes_nothing(void **state)
{
    (void)state;
    ACCEPT("C1", "02");
    count("2026-11-02T12:00:00+08:00");
    assert_int_equal(ship(true), 1); /* the second copy of the same version is not taken */
    ACCEPT("C2", "02");              /* a late event: the day's sheet is counted again */
    count("2026-11-02T13:00:00+08:00");
    /* the parent sees the old sheet again (a re-send), then the new one */
    assert_int_equal(ship(true), 1);
    struct got g = sum(up, SCORE_BY_NODE);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.c[0].cases, 2); /* replaced, not 1 + 2 */
    struct got mine = sum(st, SCORE_BY_NODE);
    assert_memory_equal(&g.c[0], &mine.c[0], sizeof g.c[0]);
    /* the old version arriving after the new one changes nothing */
    assert_int_equal(ship(false), 0);
    g = sum(up, SCORE_BY_NODE);
    assert_int_equal(g.c[0].cases, 2);
}

static void
regions_roll_nodes_up_by_division_code(void **state)
{
    (void)state;
    ACCEPT("C1", "02");
    ACCEPT("C2", "02");
    count("2026-11-02T12:00:00+08:00");
    struct got g = sum(st, SCORE_BY_REGION);
    assert_int_equal(g.n, 2); /* the county 510104 counts in 成都 510100 and 四川 510000 */
    assert_string_equal(g.key[0], "510000");
    assert_string_equal(g.key[1], "510100");
    assert_int_equal(g.c[0].cases, 2);
    assert_int_equal(g.c[1].cases, 2);
    struct got one = {0};
    int64_t from, to;
    assert_int_equal(calendar_parse_date("2026-11-01", 10, &from), 0);
    assert_int_equal(calendar_parse_date("2026-12-01", 10, &to), 0);
    assert_int_equal(counter_sum(st, from, to, SCORE_BY_REGION, "510100", collect, &one), 0);
    assert_int_equal(one.n, 1);
    assert_string_equal(one.key[0], "510100");
    assert_int_equal(one.c[0].cases, 2);
}

/* The days the county holds a running sum for, each marked to be counted whole as a store from
 * before the sums marked its days; returns how many. */
static int
mark_whole_fn(store_txn_t *t, void *arg)
{
    int *n = arg;
    store_cursor_t *c = NULL;
    assert_int_equal(store_cursor_open(t, STORE_DAYS, &c), 0);
    struct wire_buf k;
    wire_buf_init(&k);
    uint8_t days[64][9];
    *n = 0;
    int rc = store_cursor_seek(c, "s", 1, &k, NULL);
    while (rc == 0 && k.len == 9 && k.data[0] == 's') {
        assert_true(*n < 64);
        memcpy(days[*n], k.data, 9);
        days[(*n)++][0] = 'd';
        wire_buf_reset(&k);
        rc = store_cursor_next(c, &k, NULL);
    }
    wire_buf_fini(&k);
    store_cursor_close(&c);
    for (int i = 0; i < *n; i++)
        assert_int_equal(store_put(t, STORE_DAYS, days[i], 9, "", 0, 0), 0);
    return 0;
}

/* Every day counted whole as of `when` gives the sheets the running sums gave: nothing is sent. */
static void
assert_sums_equal_whole_days(const char *when)
{
    int n = 0;
    assert_int_equal(store_write(st, mark_whole_fn, &n), 0);
    assert_true(n > 0);
    struct counter_refresh_result cr;
    assert_int_equal(counter_refresh(st, 510104, cat, cal, testutil_at(when), 1000, &cr), 0);
    assert_int_equal(cr.whole_days, n);
    assert_int_equal(cr.sheets, 0);
}

static int
by_at(const void *a, const void *b)
{
    int64_t x = sent_at[*(const int *)a], y = sent_at[*(const int *)b];
    return x < y ? -1 : x > y ? 1 : *(const int *)a - *(const int *)b;
}

/* A fresh county given every line sent, sorted by `at` (ties by arrival), judged and counted once
 * as of `when`, counts the same cases, conclusions, lights and ratings per dept and category. The
 * answers due are left out: an answer's deadline runs from when the light was recorded. */
static void
assert_sums_equal_replay(const char *when)
{
    char *d3 = testutil_tmpdir();
    struct store_options o = {.map_bytes = 4 << 20};
    store_t *fresh;
    assert_int_equal(store_open(d3, &o, &fresh), 0);
    int order[SENT_MAX];
    for (int i = 0; i < n_sent; i++)
        order[i] = i;
    qsort(order, (size_t)n_sent, sizeof *order, by_at);
    for (int i = 0; i < n_sent; i++)
        commit(fresh, sent[order[i]]);
    watch_t *fw = watch_new(fresh, 510104, cat, cal);
    struct watch_result r;
    assert_int_equal(watch_run(fw, testutil_at(when), 1000, 20000, &r), 0);
    watch_destroy(&fw);
    int64_t from;
    assert_int_equal(calendar_parse_date("2100-01-01", 10, &from), 0);
    struct desk_options dopt = {from, NULL, 0};
    desk_t *d = desk_new(fresh, 510104, cal, &dopt);
    struct desk_result dr;
    assert_int_equal(desk_run(d, testutil_at(when), 1000, &dr), 0);
    desk_destroy(&d);
    struct counter_refresh_result cr;
    assert_int_equal(counter_refresh(fresh, 510104, cat, cal, testutil_at(when), 1000, &cr), 0);
    for (int by = SCORE_BY_DEPT; by <= SCORE_BY_CATEGORY; by++) {
        struct got live = sum(st, (enum score_by)by), replay = sum(fresh, (enum score_by)by);
        assert_int_equal(live.n, replay.n);
        for (int i = 0; i < live.n; i++) {
            assert_string_equal(live.key[i], replay.key[i]);
            struct score_counters *a = &live.c[i], *b = &replay.c[i];
            assert_int_equal(a->cases, b->cases);
            assert_int_equal(a->concluded, b->concluded);
            assert_int_equal(a->on_time, b->on_time);
            assert_int_equal(a->red, b->red);
            assert_int_equal(a->yellow, b->yellow);
            assert_int_equal(a->ratings, b->ratings);
            assert_int_equal(a->ratings_good, b->ratings_good);
            assert_int_equal(a->complaints, b->complaints);
        }
    }
    store_close(&fresh);
    testutil_rmdir(d3);
}

/* Arrivals out of order, a day at a time, counted between them: a decision and a rating before
 * their acceptance, a case decided under a red that a late suspension then shows was not late
 * (its light lowered and raised days later), a complaint, answers falling due. The running sums
 * equal every day counted whole, and a fresh county given the history in order. */
static void
running_sums_equal_whole_days_and_a_replay_under_late_arrivals(void **state)
{
    (void)state;
    DECIDE("C2", "05");
    send("\"type\":\"rating\",\"at\":\"2026-11-05T10:00:00+08:00\",\"case\":\"C2\",\"rating\":5");
    ACCEPT("C1", "02");
    count("2026-11-05T12:00:00+08:00");
    ACCEPT("C2", "04");
    ACCEPT("C3", "04");
    send("\"type\":\"complaint.open\",\"at\":\"2026-11-04T10:00:00+08:00\",\"complaint\":\"Q1\","
         "\"dept\":\"D\"");
    count("2026-11-06T12:00:00+08:00");
    /* C1 (accepted 11-02, 10 wd): yellow 11-13, red from 11-17; decided under it */
    count("2026-11-13T12:00:00+08:00");
    DECIDE("C1", "18");
    count("2026-11-18T12:00:00+08:00");
    struct got g = sum(st, SCORE_BY_NODE);
    assert_int_equal(g.c[0].concluded, 2);
    assert_int_equal(g.c[0].on_time, 1);
    assert_sums_equal_whole_days("2026-11-18T12:00:00+08:00");
    /* C1 was suspended 11-03 to 11-05 (two working days): the red goes, the yellow is raised on
     * another day, and C1 was concluded in time */
    send("\"type\":\"case.suspend\",\"at\":\"2026-11-03T09:00:00+08:00\",\"case\":\"C1\"");
    send("\"type\":\"case.resume\",\"at\":\"2026-11-05T09:00:00+08:00\",\"case\":\"C1\"");
    count("2026-11-19T12:00:00+08:00");
    g = sum(st, SCORE_BY_NODE);
    assert_int_equal(g.c[0].on_time, 2);
    DECIDE("C3", "20");
    send("\"type\":\"rating\",\"at\":\"2026-11-20T10:00:00+08:00\",\"case\":\"C3\",\"rating\":1");
    count("2026-11-24T12:00:00+08:00");
    assert_sums_equal_whole_days("2026-11-24T12:00:00+08:00");
    /* the answers of the lights fall due */
    count("2026-12-04T12:00:00+08:00");
    g = sum(st, SCORE_BY_NODE);
    assert_int_equal(g.c[0].cases, 3);
    assert_int_equal(g.c[0].concluded, 3);
    assert_int_equal(g.c[0].ratings, 2);
    assert_int_equal(g.c[0].complaints, 1);
    assert_true(g.c[0].response_due >= 1);
    assert_sums_equal_whole_days("2026-12-04T12:00:00+08:00");
    assert_sums_equal_replay("2026-12-04T12:00:00+08:00");
}

/* Turns the county's days table back into what a store from before the running sums held: no
 * sums, no shares, nothing pending. */
static int
before_sums_fn(store_txn_t *t, void *arg)
{
    (void)arg;
    store_cursor_t *c = NULL;
    assert_int_equal(store_cursor_open(t, STORE_DAYS, &c), 0);
    struct wire_buf k;
    wire_buf_init(&k);
    uint8_t keys[256][40];
    size_t lens[256], n = 0;
    int rc = store_cursor_seek(c, NULL, 0, &k, NULL);
    while (rc == 0) {
        assert_true(n < 256 && k.len <= 40);
        memcpy(keys[n], k.data, k.len);
        lens[n++] = k.len;
        wire_buf_reset(&k);
        rc = store_cursor_next(c, &k, NULL);
    }
    wire_buf_fini(&k);
    store_cursor_close(&c);
    for (size_t i = 0; i < n; i++)
        if (keys[i][0] == 'r' || keys[i][0] == 'a')
            assert_int_equal(store_put(t, STORE_DAYS, keys[i], lens[i], "", 0, 0), 0);
        else
            assert_int_equal(store_del(t, STORE_DAYS, keys[i], lens[i]), 0);
    return 0;
}

static void
a_store_from_before_the_sums_counts_a_day_whole_once_when_it_changes(void **state)
{
    (void)state;
    ACCEPT("C1", "02");
    DECIDE("C1", "03");
    ACCEPT("C2", "03");
    count("2026-11-03T12:00:00+08:00");
    assert_int_equal(store_write(st, before_sums_fn, NULL), 0);
    /* a late acceptance for 11-02: that day is counted whole, once; 11-03 is left as it was */
    ACCEPT("C3", "02");
    assert_int_equal(count("2026-11-03T13:00:00+08:00"), 1);
    assert_int_equal(last.whole_days, 1);
    struct got g = sum(st, SCORE_BY_NODE);
    assert_int_equal(g.c[0].cases, 3);
    assert_int_equal(g.c[0].concluded, 1);
    ACCEPT("C4", "02");
    assert_int_equal(count("2026-11-03T14:00:00+08:00"), 1);
    assert_int_equal(last.whole_days, 0);
    assert_int_equal(sum(st, SCORE_BY_NODE).c[0].cases, 4);
    assert_sums_equal_whole_days("2026-11-03T14:00:00+08:00");
    assert_sums_equal_replay("2026-11-03T14:00:00+08:00");
}

/* Empties the value of every pending note ('i'), as a store from before the notes carried a
 * record's facts held them; returns how many held facts ('F'). */
static int
notes_without_facts_fn(store_txn_t *t, void *arg)
{
    int *had = arg;
    store_cursor_t *c = NULL;
    assert_int_equal(store_cursor_open(t, STORE_DAYS, &c), 0);
    struct wire_buf k, v;
    wire_buf_init(&k);
    wire_buf_init(&v);
    uint8_t keys[64][40];
    size_t lens[64], n = 0;
    int rc = store_cursor_seek(c, "i", 1, &k, &v);
    while (rc == 0 && k.data[0] == 'i') {
        assert_true(n < 64 && k.len <= 40);
        memcpy(keys[n], k.data, k.len);
        lens[n++] = k.len;
        *had += v.len > 0 && v.data[0] == 'F';
        wire_buf_reset(&k);
        wire_buf_reset(&v);
        rc = store_cursor_next(c, &k, &v);
    }
    wire_buf_fini(&k);
    wire_buf_fini(&v);
    store_cursor_close(&c);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(store_put(t, STORE_DAYS, keys[i], lens[i], "", 0, 0), 0);
    return 0;
}

/* A pending record is counted from the facts its note carries; a note from before them has its
 * record read, and both count the same. */
static void
a_note_with_or_without_facts_counts_the_same(void **state)
{
    (void)state;
    ACCEPT("C1", "02");
    DECIDE("C1", "03");
    send("\"type\":\"rating\",\"at\":\"2026-11-03T10:00:00+08:00\",\"case\":\"C1\",\"rating\":5");
    send("\"type\":\"complaint.open\",\"at\":\"2026-11-02T10:00:00+08:00\",\"complaint\":\"Q1\","
         "\"dept\":\"E\"");
    count("2026-11-03T12:00:00+08:00");
    struct got with = sum(st, SCORE_BY_DEPT);
    assert_int_equal(with.n, 2);
    /* the same records again under new cases, counted from notes emptied as a store from before
     * the facts held them */
    ACCEPT("C2", "02");
    DECIDE("C2", "03");
    send("\"type\":\"rating\",\"at\":\"2026-11-03T10:00:00+08:00\",\"case\":\"C2\",\"rating\":5");
    send("\"type\":\"complaint.open\",\"at\":\"2026-11-02T10:00:00+08:00\",\"complaint\":\"Q2\","
         "\"dept\":\"E\"");
    struct watch_result r;
    assert_int_equal(watch_run(w, testutil_at("2026-11-03T13:00:00+08:00"), 1000, 20000, &r), 0);
    int had = 0;
    assert_int_equal(store_write(st, notes_without_facts_fn, &had), 0);
    assert_int_equal(had, 4); /* the pass noted each counted record with its facts */
    count("2026-11-03T13:00:00+08:00");
    struct got both = sum(st, SCORE_BY_DEPT);
    assert_int_equal(both.n, with.n);
    for (int i = 0; i < both.n; i++) {
        assert_string_equal(both.key[i], with.key[i]);
        assert_int_equal(both.c[i].cases, 2 * with.c[i].cases);
        assert_int_equal(both.c[i].concluded, 2 * with.c[i].concluded);
        assert_int_equal(both.c[i].on_time, 2 * with.c[i].on_time);
        assert_int_equal(both.c[i].ratings, 2 * with.c[i].ratings);
        assert_int_equal(both.c[i].ratings_good, 2 * with.c[i].ratings_good);
        assert_int_equal(both.c[i].complaints, 2 * with.c[i].complaints);
    }
    assert_int_equal(both.c[0].cases + both.c[1].cases, 2);
    assert_int_equal(both.c[0].ratings_good + both.c[1].ratings_good, 2);
    assert_int_equal(both.c[0].complaints + both.c[1].complaints, 2);
    assert_sums_equal_whole_days("2026-11-03T13:00:00+08:00");
    assert_sums_equal_replay("2026-11-03T13:00:00+08:00");
}

/* The dept a case was accepted under, from the sheets by dept: the one with a case counted, or
 * "" when none or more than one has. */
static const char *
dept_of_the_case(void)
{
    static char dept[160];
    struct got g = sum(st, SCORE_BY_DEPT);
    dept[0] = '\0';
    int with = 0;
    for (int i = 0; i < g.n; i++)
        if (g.c[i].cases) {
            snprintf(dept, sizeof dept, "%s", g.key[i]);
            with++;
        }
    return with == 1 ? dept : "";
}

/* A case accepted twice counts once, under the acceptance the rules judge it by: the earliest by
 * `at`, whatever order they arrived in; its decision follows that acceptance's dept. A third,
 * later acceptance changes nothing. */
static void
a_case_accepted_twice_counts_once_under_its_earliest_acceptance(void **state)
{
    (void)state;
    ACCEPT("K1", "03");
    DECIDE("K1", "05");
    count("2026-11-05T12:00:00+08:00");
    assert_string_equal(dept_of_the_case(), "510104/D");
    /* an earlier acceptance under another dept, arriving later */
    send("\"type\":\"case.accept\",\"at\":\"2026-11-02T09:00:00+08:00\",\"case\":\"K1\","
         "\"item\":\"LIC\",\"dept\":\"E\",\"handler\":\"H2\"");
    count("2026-11-06T12:00:00+08:00");
    struct got g = sum(st, SCORE_BY_NODE);
    assert_int_equal(g.c[0].cases, 1);
    assert_int_equal(g.c[0].concluded, 1);
    assert_string_equal(dept_of_the_case(), "510104/E");
    g = sum(st, SCORE_BY_DEPT);
    for (int i = 0; i < g.n; i++)
        assert_int_equal(g.c[i].concluded, strcmp(g.key[i], "510104/E") == 0);
    /* a later one under a third dept */
    send("\"type\":\"case.accept\",\"at\":\"2026-11-04T09:00:00+08:00\",\"case\":\"K1\","
         "\"item\":\"LIC\",\"dept\":\"F\",\"handler\":\"H3\"");
    count("2026-11-09T12:00:00+08:00");
    assert_int_equal(sum(st, SCORE_BY_NODE).c[0].cases, 1);
    assert_string_equal(dept_of_the_case(), "510104/E");
    assert_sums_equal_whole_days("2026-11-09T12:00:00+08:00");
    assert_sums_equal_replay("2026-11-09T12:00:00+08:00");
    /* a store from before the acceptance key places the case by walking it */
    assert_int_equal(store_write(st, before_sums_fn, NULL), 0);
    DECIDE("K1", "06");
    count("2026-11-09T13:00:00+08:00");
    assert_int_equal(sum(st, SCORE_BY_NODE).c[0].cases, 1);
    assert_string_equal(dept_of_the_case(), "510104/E");
    assert_sums_equal_replay("2026-11-09T13:00:00+08:00");
}

static int
apply_foreign(store_txn_t *t, void *arg)
{
    struct apply *a = arg;
    return counter_apply(t, 510105, a->rec, a->len, a->m, &a->taken);
}

static void
a_sheet_for_another_node_or_malformed_is_refused(void **state)
{
    (void)state;
    ACCEPT("C1", "02");
    count("2026-11-02T12:00:00+08:00");
    store_txn_t *r = NULL;
    assert_int_equal(store_read(st, &r), 0);
    uint8_t k[8];
    store_be32(k, 510104);
    int64_t day;
    assert_int_equal(calendar_parse_date("2026-11-02", 10, &day), 0);
    store_be32(k + 4, (uint32_t)day);
    struct wire_buf v;
    wire_buf_init(&v);
    assert_int_equal(store_get(r, STORE_COUNTERS, k, 8, &v), 0);
    store_abort(&r);
    wire_reader_t *rd = NULL;
    const wire_obj_t *m;
    assert_int_equal(wire_decode_one(v.data, v.len, &rd, &m), 0);
    struct apply a = {v.data, v.len, m, false};
    assert_int_equal(store_write(up, apply_foreign, &a), ERR_DECODE);
    wire_reader_destroy(&rd);
    const char *bad = "\x82\xa4type\xa8" "counters\xa3" "day\xaa" "2026-13-01";
    assert_int_equal(wire_decode_one(bad, strlen(bad), &rd, &m), 0);
    struct apply b = {bad, strlen(bad), m, false};
    assert_int_equal(store_write(up, apply_fn, &b), ERR_DECODE);
    wire_reader_destroy(&rd);
    wire_buf_fini(&v);
    assert_int_equal(sum(up, SCORE_BY_NODE).n, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_day_is_counted_by_dept_and_category, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_decision_before_its_acceptance_is_placed_when_the_acceptance_arrives, setup,
            teardown),
        cmocka_unit_test_setup_teardown(a_late_red_and_its_response_deadline_change_the_sheets,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_correction_replaces_the_sheet_at_the_parent_and_a_resend_changes_nothing, setup,
            teardown),
        cmocka_unit_test_setup_teardown(a_sheet_for_another_node_or_malformed_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(regions_roll_nodes_up_by_division_code, setup, teardown),
        cmocka_unit_test_setup_teardown(
            running_sums_equal_whole_days_and_a_replay_under_late_arrivals, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_store_from_before_the_sums_counts_a_day_whole_once_when_it_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_case_accepted_twice_counts_once_under_its_earliest_acceptance, setup, teardown),
        cmocka_unit_test_setup_teardown(a_note_with_or_without_facts_counts_the_same, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
