#include "alert.h"
#include "err.h"
#include "skew.h"
#include "store.h"
#include "timestamp.h"
#include "wire.h"

#include "testutil.h"

static char *dir;
static store_t *st;
static skew_t *sk;

static int
setup(void **state)
{
    (void)state;
    dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 4 << 20};
    assert_int_equal(store_open(dir, &o, &st), 0);
    sk = skew_new(st, 510104, 300000);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    skew_destroy(&sk);
    store_close(&st);
    testutil_rmdir(dir);
    return 0;
}

/* The stored node.clock alarm's state, or -1 when there is none. */
static int
alarm_state(void)
{
    struct alert a = {0};
    snprintf(a.node, sizeof a.node, "510104");
    snprintf(a.rule, sizeof a.rule, "node.clock");
    snprintf(a.subject_kind, sizeof a.subject_kind, "node");
    snprintf(a.subject, sizeof a.subject, "510104");
    alert_make_id(&a);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    struct wire_buf v;
    wire_buf_init(&v);
    struct alert got;
    int state = store_get(t, STORE_ALERTS, a.id, strlen(a.id), &v) == 0 &&
                        alert_decode_bytes(v.data, v.len, &got) == 0
                    ? (int)got.state
                    : -1;
    wire_buf_fini(&v);
    store_abort(&t);
    return state;
}

#define DAY 86400000LL

static void
a_clock_a_day_ahead_is_judged_by_the_parents_and_raises_node_clock(void **state)
{
    (void)state;
    int64_t parent = testutil_at("2026-11-12T10:00:00+08:00"), mono = 5000;
    uint64_t sealed;
    /* nothing heard: the node's own clock stands, nothing is raised */
    assert_int_equal(skew_judging_ms(sk, parent + DAY, mono), parent + DAY);
    assert_int_equal(skew_check(sk, parent + DAY, 100, &sealed), 0);
    assert_int_equal(alarm_state(), -1);
    /* in step with the parent, within the bound */
    skew_note_parent(sk, parent, parent + 1000, mono);
    assert_int_equal(skew_check(sk, parent + 1000, 100, &sealed), 0);
    assert_int_equal(alarm_state(), -1);
    /* a day ahead, measured by the next PING: judged by the parent's clock carried forward on
     * the monotonic one at once, but no alarm from one reading (a step read across) */
    skew_note_parent(sk, parent + 2000, parent + DAY + 2000, mono + 2000);
    assert_int_equal(skew_judging_ms(sk, parent + DAY + 12000, mono + 12000), parent + 12000);
    assert_int_equal(skew_check(sk, parent + DAY + 2000, 100, &sealed), 0);
    assert_int_equal(alarm_state(), -1);
    /* still so at the PINGs of the next 10 s: the alarm */
    skew_note_parent(sk, parent + 7000, parent + DAY + 7000, mono + 7000);
    assert_int_equal(skew_check(sk, parent + DAY + 7000, 100, &sealed), 0);
    assert_int_equal(alarm_state(), -1);
    skew_note_parent(sk, parent + 12000, parent + DAY + 12000, mono + 12000);
    assert_int_equal(skew_check(sk, parent + DAY + 12000, 100, &sealed), 0);
    assert_int_equal(alarm_state(), ALERT_OPEN);
    assert_true(sealed >= 1); /* the alarm leaves in the next batch */
    /* a second check changes nothing */
    assert_int_equal(skew_check(sk, parent + DAY + 13000, 100, &sealed), 0);
    assert_int_equal(sealed, 0);
    /* back in step: cleared, and the node's own clock stands again */
    skew_note_parent(sk, parent + 20000, parent + 20000, mono + 20000);
    assert_int_equal(skew_check(sk, parent + 20000, 100, &sealed), 0);
    assert_int_equal(alarm_state(), ALERT_CLEARED);
    assert_int_equal(skew_judging_ms(sk, parent + 21000, mono + 21000), parent + 21000);
}

static void
a_clock_behind_judges_by_its_own_and_a_restart_keeps_the_alarm_once(void **state)
{
    (void)state;
    int64_t parent = testutil_at("2026-11-12T10:00:00+08:00");
    uint64_t sealed;
    skew_note_parent(sk, parent, parent - DAY, 1000);
    skew_note_parent(sk, parent + 10000, parent - DAY + 10000, 11000);
    /* behind: lights wait for the node's own clock; nothing is raised early */
    assert_int_equal(skew_judging_ms(sk, parent - DAY, 1000), parent - DAY);
    assert_int_equal(skew_check(sk, parent - DAY, 100, &sealed), 0);
    assert_int_equal(alarm_state(), ALERT_OPEN);
    /* a restarted node reads the open alarm back and does not raise it again */
    skew_destroy(&sk);
    sk = skew_new(st, 510104, 300000);
    skew_note_parent(sk, parent + 1000, parent - DAY + 1000, 2000);
    /* one reading, not yet confirmed: the alarm stands, neither cleared nor raised again */
    assert_int_equal(skew_check(sk, parent - DAY + 1000, 100, &sealed), 0);
    assert_int_equal(sealed, 0);
    assert_int_equal(alarm_state(), ALERT_OPEN);
    skew_note_parent(sk, parent + 11000, parent - DAY + 11000, 12000);
    assert_int_equal(skew_check(sk, parent - DAY + 11000, 100, &sealed), 0);
    assert_int_equal(sealed, 0);
    assert_int_equal(alarm_state(), ALERT_OPEN);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            a_clock_a_day_ahead_is_judged_by_the_parents_and_raises_node_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_clock_behind_judges_by_its_own_and_a_restart_keeps_the_alarm_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
