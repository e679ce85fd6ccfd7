/* snapshot_test: one board shared by threads, refreshed by its own thread, checked against what
 * snapshot.h promises (written from the header, not from snapshot.c).
 *
 * A county store (510104) with late cases judged as a collector judges them, so it holds alerts,
 * a supervision case and patrols; each take is compared with board_load over the same store. The
 * refresher's period is kept short (100 ms or less) where a test waits for it, and every wait is
 * bounded by a deadline. */
#include "alert.h"
#include "board.h"
#include "calendar.h"
#include "catalog.h"
#include "desk.h"
#include "err.h"
#include "event.h"
#include "intake.h"
#include "kept.h"
#include "snapshot.h"
#include "store.h"
#include "timestamp.h"
#include "watch.h"

#include "testcounty.h"
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

/* A levy item of the county's tax bureau: 5 working days promised, 10 legal. */
static const char *const test_catalog =
    "{\"version\":1,\"items\":["
    "{\"item\":\"LEVY\",\"name\":\"征收\",\"category\":\"levy\",\"node\":\"510104\","
    "\"dept\":\"SWJ\",\"basis\":[\"法1\"],\"limits\":{\"promised\":{\"n\":5,\"unit\":\"wd\"},"
    "\"legal\":{\"n\":10,\"unit\":\"wd\"}},\"steps\":[{\"name\":\"核定\"}]}]}";

static char *dir;
static store_t *st;
static catalog_t *cat;
static calendar_t *cal;
static int n_sent;

/* Sends one record through the county's intake; returns the refusal's field ("" when stored). */
static const char *
send(const char *json)
{
    struct testcounty c = {st, 510104, cat, cal, "2026-10-12", n_sent};
    const char *field = testcounty_send(&c, json);
    n_sent = c.n_sent;
    return field;
}

/* The collector's round as of `when`: rules, desk, counters (testcounty.h). */
static void
judge(const char *when)
{
    struct testcounty c = {st, 510104, cat, cal, "2026-10-12", n_sent};
    testcounty_judge(&c, when);
}

/* A case of the levy item accepted at `at` and never decided. */
static void
accept(const char *case_id, const char *at)
{
    char json[512];
    snprintf(json, sizeof json,
             "\"type\":\"case.accept\",\"case\":\"%s\",\"item\":\"LEVY\",\"dept\":\"SWJ\","
             "\"handler\":\"h\",\"at\":\"%s\"",
             case_id, at);
    assert_string_equal(send(json), "");
}

static void
load_board(struct board *b)
{
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(board_load(t, cal, b), 0);
    store_abort(&t);
}

static int
setup(void **state)
{
    (void)state;
    char err[512];
    dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 8 << 20};
    assert_int_equal(store_open(dir, &o, &st), 0);
    assert_int_equal(catalog_parse(test_catalog, strlen(test_catalog), &cat, err, sizeof err), 0);
    cal = testutil_calendar();
    n_sent = 0;
    /* C1 late, a patrol, then a supervision case on C1's light */
    accept("C1", "2026-10-12T09:00:00+08:00");
    assert_string_equal(send("\"type\":\"patrol\",\"supervisor\":\"he\",\"target\":\"510104\","
                             "\"kind\":\"data\",\"at\":\"2026-10-12T15:00:00+08:00\""),
                        "");
    judge("2026-10-20T12:00:00+08:00");
    struct board b;
    load_board(&b);
    assert_true(b.n_alerts > 0);
    char json[512];
    const char *alert = NULL;
    for (size_t i = 0; i < b.n_alerts; i++)
        if (strcmp(b.alerts[i].subject, "C1") == 0)
            alert = b.alerts[i].id;
    assert_non_null(alert);
    snprintf(json, sizeof json,
             "\"type\":\"supervise.open\",\"supervision\":\"S1\",\"target\":{\"node\":\"510104\","
             "\"dept\":\"SWJ\"},\"subject\":\"核查\",\"by\":\"zhang\",\"alert\":\"%s\","
             "\"at\":\"2026-10-20T13:00:00+08:00\"",
             alert);
    board_fini(&b);
    assert_string_equal(send(json), "");
    judge("2026-10-20T14:00:00+08:00");
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    catalog_destroy(&cat);
    calendar_destroy(&cal);
    store_close(&st);
    testutil_rmdir(dir);
    return 0;
}

/* ---- comparing boards ---- */

struct text {
    char *s;
    size_t len, cap;
};

static void appendf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
appendf(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    while (t->len + (size_t)n + 1 > t->cap) {
        t->cap = t->cap ? 2 * t->cap : 4096;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

/* A board as text: every alert (its JSON and the case shown on it), case and patrol, in order. */
static char *
board_text(const struct board *b)
{
    struct text t = {0};
    appendf(&t, "alerts %zu\n", b->n_alerts);
    for (size_t i = 0; i < b->n_alerts; i++) {
        char *j = alert_to_json(&b->alerts[i]);
        appendf(&t, "%s supervision=%s changes=%u\n", j, b->alerts[i].supervision,
                alert_changes(&b->alerts[i]));
        free(j);
    }
    appendf(&t, "cases %zu\n", b->n_cases);
    for (size_t i = 0; i < b->n_cases; i++) {
        const struct supervision *c = &b->cases[i];
        appendf(&t, "%s %s %s %s %s opened=%lld due=%lld reported=%lld closed=%lld ext=%u\n", c->id,
                c->node, c->target_node, c->target_dept, c->alert, (long long)c->opened_ms,
                (long long)c->due_ms, (long long)c->reported_ms, (long long)c->closed_ms,
                c->extended_wd);
    }
    appendf(&t, "patrols %zu\n", b->n_patrols);
    for (size_t i = 0; i < b->n_patrols; i++)
        appendf(&t, "%u %lld\n", b->patrols[i].office, (long long)b->patrols[i].at_ms);
    return t.s;
}

static void
same_board(const struct board *got, const struct board *want)
{
    char *g = board_text(got), *w = board_text(want);
    if (strcmp(g, w) != 0)
        fail_msg("boards differ:\n--- taken\n%s--- loaded\n%s", g, w);
    free(g);
    free(w);
}

static bool
has_alert(const struct board *b, const char *subject)
{
    for (size_t i = 0; i < b->n_alerts; i++)
        if (strcmp(b->alerts[i].subject, subject) == 0)
            return true;
    return false;
}

static void
sleep_ms(int64_t ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* ---- tests ---- */

static void
a_take_is_the_board_board_load_gives(void **state)
{
    (void)state;
    struct board want;
    load_board(&want);
    assert_true(want.n_alerts >= 2); /* C1's light and the patrol days' */
    assert_int_equal(want.n_cases, 1);
    assert_true(want.n_patrols >= 1);

    snapshot_t *s = snapshot_new(st, cal, 60000);
    assert_non_null(s);
    assert_int_equal(snapshot_age_ms(s, timestamp_now_ms()), 0); /* none yet */
    const struct board *b = NULL;
    assert_int_equal(snapshot_take(s, &b), 0);
    assert_non_null(b);
    same_board(b, &want);
    int64_t age = snapshot_age_ms(s, timestamp_now_ms());
    if (age < 0 || age > 5000)
        fail_msg("age %lld ms just after the first board", (long long)age);
    sleep_ms(120);
    int64_t later = snapshot_age_ms(s, timestamp_now_ms());
    if (later < 100 || later > 10000)
        fail_msg("age %lld ms 120 ms later (was %lld)", (long long)later, (long long)age);
    snapshot_put(s, &b);
    assert_null(b);
    board_fini(&want);
    snapshot_destroy(&s);
    assert_null(s);
}

static void
two_takes_while_fresh_are_the_same_board(void **state)
{
    (void)state;
    snapshot_t *s = snapshot_new(st, cal, 60000);
    assert_non_null(s);
    const struct board *a = NULL, *b = NULL;
    assert_int_equal(snapshot_take(s, &a), 0);
    assert_int_equal(snapshot_take(s, &b), 0);
    assert_ptr_equal(a, b);
    same_board(a, b);
    snapshot_put(s, &b);
    assert_null(b);
    /* the one still taken is still the board in force */
    assert_int_equal(snapshot_take(s, &b), 0);
    assert_ptr_equal(a, b);
    snapshot_put(s, &a);
    snapshot_put(s, &b);
    /* a refresher waiting a minute does not hold up its destruction */
    int64_t t0 = timestamp_mono_ms();
    snapshot_destroy(&s);
    assert_null(s);
    int64_t took = timestamp_mono_ms() - t0;
    if (took > 2000)
        fail_msg("snapshot_destroy took %lld ms", (long long)took);
}

static void
a_new_alert_shows_after_a_refresh_and_a_board_taken_stays_as_it_was(void **state)
{
    (void)state;
    const int64_t refresh = 100;
    snapshot_t *s = snapshot_new(st, cal, refresh);
    assert_non_null(s);
    const struct board *old = NULL;
    assert_int_equal(snapshot_take(s, &old), 0);
    char *before = board_text(old);
    assert_false(has_alert(old, "C2"));

    /* a second late case, judged: a new light in the store */
    accept("C2", "2026-10-12T10:00:00+08:00");
    judge("2026-10-20T15:00:00+08:00");
    struct board want;
    load_board(&want);
    assert_true(has_alert(&want, "C2"));

    sleep_ms(refresh + refresh / 2);
    const struct board *now = NULL;
    int64_t deadline = timestamp_mono_ms() + 3000;
    for (;;) {
        assert_int_equal(snapshot_take(s, &now), 0);
        if (has_alert(now, "C2") || timestamp_mono_ms() > deadline)
            break;
        snapshot_put(s, &now);
        sleep_ms(20);
    }
    if (!has_alert(now, "C2"))
        fail_msg("no refresh within 3 s of a %lld ms period", (long long)refresh);
    same_board(now, &want);
    assert_ptr_not_equal(now, old);
    int64_t age = snapshot_age_ms(s, timestamp_now_ms());
    if (age < 0 || age > 2000)
        fail_msg("age %lld ms with a %lld ms refresh", (long long)age, (long long)refresh);

    /* the board taken before is still whole and unchanged, after several refreshes */
    sleep_ms(3 * refresh);
    char *after = board_text(old);
    assert_string_equal(after, before);
    assert_false(has_alert(old, "C2"));
    free(after);
    snapshot_put(s, &old);
    assert_null(old);
    snapshot_put(s, &now);
    free(before);
    board_fini(&want);
    snapshot_destroy(&s);
}

/* ---- many readers ---- */

struct reader {
    snapshot_t *s;
    atomic_bool *stop;
    size_t n_before, n_after; /* the boards' alert counts before and after the writer's */
    /* results, checked by the main thread (cmocka's asserts are not for other threads) */
    unsigned long takes;
    unsigned errors, bad_count, bad_order, went_back;
    bool saw_new;
};

static void *
read_boards(void *arg)
{
    struct reader *r = arg;
    bool seen_new = false;
    while (!atomic_load(r->stop)) {
        const struct board *b = NULL;
        if (snapshot_take(r->s, &b) != 0 || !b) {
            r->errors++;
            continue;
        }
        r->takes++;
        if (b->n_alerts != r->n_before && b->n_alerts != r->n_after)
            r->bad_count++;
        for (size_t i = 1; i < b->n_alerts; i++)
            if (strcmp(b->alerts[i - 1].id, b->alerts[i].id) >= 0) /* board.h: by id */
                r->bad_order++;
        /* touch everything the board holds, so a freed board would show under ASan */
        uint64_t sum = 0;
        for (size_t i = 0; i < b->n_alerts; i++)
            sum += alert_changes(&b->alerts[i]) + strlen(b->alerts[i].detail);
        for (size_t i = 0; i < b->n_cases; i++)
            sum += (uint64_t)b->cases[i].due_ms;
        for (size_t i = 0; i < b->n_patrols; i++)
            sum += (uint64_t)b->patrols[i].at_ms;
        if (sum == 0)
            r->errors++;
        if (b->n_alerts == r->n_after)
            seen_new = r->saw_new = true;
        else if (seen_new)
            r->went_back++; /* a later take gave an older board */
        snapshot_put(r->s, &b);
    }
    return NULL;
}

static void
takes_from_many_threads_are_safe(void **state)
{
    (void)state;
    struct board b;
    load_board(&b);
    size_t n_before = b.n_alerts;
    board_fini(&b);
    snapshot_t *s = snapshot_new(st, cal, 10);
    assert_non_null(s);
    enum { READERS = 8 };
    pthread_t th[READERS];
    struct reader r[READERS];
    atomic_bool stop = false;
    memset(r, 0, sizeof r);
    /* every board a reader takes holds the alerts before the writer's one new light or after it
     * (checked against the store once they stop) */
    for (int i = 0; i < READERS; i++) {
        r[i].s = s;
        r[i].stop = &stop;
        r[i].n_before = n_before;
        r[i].n_after = n_before + 1;
    }
    for (int i = 0; i < READERS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, read_boards, &r[i]), 0);
    sleep_ms(150);
    /* a new light while they read: C3, late; the readers go on until the main thread's own take
     * shows it, and a little longer */
    accept("C3", "2026-10-12T11:00:00+08:00");
    judge("2026-10-20T16:00:00+08:00");
    int64_t deadline = timestamp_mono_ms() + 3000;
    bool shown = false;
    while (!shown && timestamp_mono_ms() < deadline) {
        const struct board *mine = NULL;
        assert_int_equal(snapshot_take(s, &mine), 0);
        shown = has_alert(mine, "C3");
        snapshot_put(s, &mine);
        sleep_ms(10);
    }
    sleep_ms(50);
    atomic_store(&stop, true);
    for (int i = 0; i < READERS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    load_board(&b);
    size_t n_after = b.n_alerts;
    board_fini(&b);
    assert_int_equal(n_after, n_before + 1); /* the writer's one light */
    assert_true(shown);
    unsigned long takes = 0;
    unsigned saw_new = 0;
    for (int i = 0; i < READERS; i++) {
        takes += r[i].takes;
        saw_new += r[i].saw_new;
        assert_int_equal(r[i].errors, 0);
        assert_int_equal(r[i].bad_count, 0);
        assert_int_equal(r[i].bad_order, 0);
        assert_int_equal(r[i].went_back, 0);
        assert_true(r[i].takes > 0);
    }
    assert_true(takes >= READERS);
    assert_true(saw_new > 0); /* the readers lived through a refresh */
    /* and the last board in force shows the new light */
    const struct board *last = NULL;
    assert_int_equal(snapshot_take(s, &last), 0);
    assert_true(has_alert(last, "C3"));
    snapshot_put(s, &last);
    snapshot_destroy(&s);
    assert_null(s);
}

static void
destroy_with_nothing_taken_is_clean(void **state)
{
    (void)state;
    snapshot_t *s = snapshot_new(st, cal, 50);
    assert_non_null(s);
    snapshot_destroy(&s);
    assert_null(s);
    snapshot_destroy(&s); /* NULL accepted */
    snapshot_t *none = NULL;
    snapshot_destroy(&none);
    /* after a take and its put, and after its refresher has run */
    s = snapshot_new(st, cal, 20);
    const struct board *b = NULL;
    assert_int_equal(snapshot_take(s, &b), 0);
    snapshot_put(s, &b);
    sleep_ms(100);
    snapshot_destroy(&s);
    assert_null(s);
}

/* ---- a store that cannot be read ---- */

/* Overwrites the stored state of one of the store's own alerts with bytes that are no alert. */
static int
put_garbage(store_txn_t *t, void *arg)
{
    const char *id = arg;
    static const uint8_t junk[] = {0xc1, 0xc1, 0xff, 0x00, 0x13};
    return store_put(t, STORE_ALERTS, id, strlen(id), junk, sizeof junk, 0);
}

/* Corrupts the store; true when board_load then fails (else no unreadable store can be made
 * from here). */
static bool
corrupt(void)
{
    struct board b;
    load_board(&b);
    char id[ALERT_ID_LEN];
    assert_true(b.n_alerts > 0);
    snprintf(id, sizeof id, "%s", b.alerts[0].id);
    board_fini(&b);
    assert_int_equal(store_write(st, put_garbage, id), 0);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    int rc = board_load(t, cal, &b);
    store_abort(&t);
    if (rc == 0)
        board_fini(&b);
    return rc != 0;
}

/* board_load passes over records it cannot decode, so a store that cannot be read at all (a
 * failing cursor) cannot be made from a test; the test runs if a corrupt alert ever stops it. */
static void
a_store_that_cannot_be_read_fails_the_first_take_and_keeps_a_later_board(void **state)
{
    (void)state;
    snapshot_t *early = snapshot_new(st, cal, 50);
    assert_non_null(early);
    const struct board *b = NULL;
    assert_int_equal(snapshot_take(early, &b), 0);
    char *good = board_text(b);
    snapshot_put(early, &b);
    if (!corrupt()) {
        free(good);
        snapshot_destroy(&early);
        skip();
    }
    /* the first board cannot be read: an error, no board */
    snapshot_t *s = snapshot_new(st, cal, 50);
    assert_non_null(s);
    int rc = snapshot_take(s, &b);
    assert_true(rc > ERR_BASE_ && rc < ERR_END_);
    assert_null(b);
    assert_int_equal(snapshot_age_ms(s, timestamp_now_ms()), 0);
    assert_true(snapshot_take(s, &b) < 0);
    assert_null(b);
    snapshot_destroy(&s);
    /* a later board that cannot be read: the one in force stays */
    sleep_ms(200);
    assert_int_equal(snapshot_take(early, &b), 0);
    char *kept = board_text(b);
    assert_string_equal(kept, good);
    snapshot_put(early, &b);
    free(good);
    free(kept);
    snapshot_destroy(&early);
}

static int
forget_kept(store_txn_t *t, void *arg)
{
    (void)arg;
    return store_meta_put_u64(t, "kept_index", 0);
}

/* kept.h: once the daemon has built the index of non-business records, the board is read from it
 * and must be the very board the walk of every record gave (the setup's store has cases, alerts,
 * a patrol and a supervision case); records that come after are noted as they are stored. */
static void
the_board_from_the_kept_index_is_the_board_of_every_record(void **state)
{
    (void)state;
    struct board walked, indexed;
    load_board(&walked);
    assert_int_equal(kept_build(st), 0);
    load_board(&indexed);
    same_board(&indexed, &walked);
    board_fini(&walked);
    board_fini(&indexed);
    accept("C9", "2026-10-13T09:00:00+08:00");
    assert_string_equal(send("\"type\":\"patrol\",\"supervisor\":\"li\",\"target\":\"510104\","
                             "\"kind\":\"data\",\"at\":\"2026-10-21T15:00:00+08:00\""),
                        "");
    judge("2026-10-30T12:00:00+08:00");
    load_board(&indexed);
    assert_true(has_alert(&indexed, "C9"));
    assert_int_equal(indexed.n_patrols, 2);
    /* the same store read as one from before the index (meta cleared) walks every record */
    assert_int_equal(store_write(st, forget_kept, NULL), 0);
    load_board(&walked);
    same_board(&indexed, &walked);
    board_fini(&walked);
    board_fini(&indexed);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_take_is_the_board_board_load_gives, setup, teardown),
        cmocka_unit_test_setup_teardown(the_board_from_the_kept_index_is_the_board_of_every_record,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(two_takes_while_fresh_are_the_same_board, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_new_alert_shows_after_a_refresh_and_a_board_taken_stays_as_it_was, setup, teardown),
        cmocka_unit_test_setup_teardown(takes_from_many_threads_are_safe, setup, teardown),
        cmocka_unit_test_setup_teardown(destroy_with_nothing_taken_is_clean, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_store_that_cannot_be_read_fails_the_first_take_and_keeps_a_later_board, setup,
            teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
