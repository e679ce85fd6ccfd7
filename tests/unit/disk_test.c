/* disk: node.disk's lights from a reading (yellow from 80 % of the room, red from 95 %, a standing
 * alarm kept as yellow down to 75 %), and the alarm judged into the store: raised, escalated,
 * lowered and cleared, each change stored, appended to the spool and sealed, nothing recorded
 * when nothing changes; the budget is the smaller of the configured ones; a real reading of a
 * store is within its filesystem. */
#include "teststore.h"
#include "testutil.h"

#include "alert.h"
#include "alertdb.h"
#include "disk.h"
#include "err.h"
#include "spool.h"

#define NODE 510104u
#define MIB (1024ull * 1024ull)

static struct disk_reading
reading(uint64_t used_mib, uint64_t room_mib)
{
    struct disk_reading r = {used_mib * MIB, room_mib * MIB, room_mib * MIB, 1000 * MIB};
    return r;
}

static void
lights_follow_the_thresholds_with_a_margin(void **state)
{
    (void)state;
    struct disk_reading r = reading(79, 100);
    assert_int_equal(disk_light(&r, DISK_NONE), DISK_NONE);
    r = reading(80, 100);
    assert_int_equal(disk_light(&r, DISK_NONE), ALERT_YELLOW);
    r = reading(94, 100);
    assert_int_equal(disk_light(&r, DISK_NONE), ALERT_YELLOW);
    r = reading(95, 100);
    assert_int_equal(disk_light(&r, DISK_NONE), ALERT_RED);
    assert_int_equal(disk_light(&r, ALERT_YELLOW), ALERT_RED);
    /* a standing alarm falls to yellow in the margin and clears only below it */
    r = reading(76, 100);
    assert_int_equal(disk_light(&r, ALERT_RED), ALERT_YELLOW);
    assert_int_equal(disk_light(&r, DISK_NONE), DISK_NONE);
    r = reading(74, 100);
    assert_int_equal(disk_light(&r, ALERT_YELLOW), DISK_NONE);
    r = reading(0, 0); /* no room at all */
    assert_int_equal(disk_light(&r, DISK_NONE), ALERT_RED);
}

static void
the_budget_is_the_smaller_one_set(void **state)
{
    (void)state;
    assert_int_equal(disk_budget_bytes(0, 0), 0);
    assert_int_equal(disk_budget_bytes(100, 0), 100 * MIB);
    assert_int_equal(disk_budget_bytes(0, 50), 50 * MIB);
    assert_int_equal(disk_budget_bytes(100, 50), 50 * MIB);
    assert_int_equal(disk_budget_bytes(40, 50), 40 * MIB);
}

static uint64_t
records(void)
{
    store_txn_t *t = NULL;
    struct spool_state sp;
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(spool_state_get(t, &sp), 0);
    store_abort(&t);
    return sp.next_seq - 1;
}

/* The alarm as stored: its state and light, and its last ledger action. */
static void
stored(enum alert_state state, enum alert_light light, enum alert_action last)
{
    struct alert a;
    alert_node_alarm(&a, NODE, DISK_RULE);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(alertdb_get(t, a.id, &a), 0);
    store_abort(&t);
    assert_int_equal(a.state, state);
    assert_int_equal(a.light, light);
    assert_true(a.n_ledger > 0);
    assert_int_equal(a.ledger[a.n_ledger - 1].action, last);
    assert_string_equal(a.subject_kind, "node");
    assert_string_equal(a.subject, "510104");
}

static void
judge(uint64_t used_mib, uint64_t room_mib, int64_t at, bool want_change)
{
    struct disk_reading r = reading(used_mib, room_mib);
    bool changed;
    uint64_t sealed, before = records();
    assert_int_equal(disk_check(st, NODE, &r, at, 1, &changed, &sealed), 0);
    assert_int_equal(changed, want_change);
    assert_int_equal(records(), before + (want_change ? 1 : 0));
    assert_int_equal(sealed, want_change ? 1 : 0); /* sealed at once: it goes up now */
}

static void
the_alarm_is_raised_escalated_lowered_and_cleared_once_each(void **state)
{
    (void)state;
    int64_t at = 1793581200000LL;
    judge(50, 100, at, false);
    judge(85, 100, at + 1, true);
    stored(ALERT_OPEN, ALERT_YELLOW, ALERT_RAISED);
    judge(86, 100, at + 2, false); /* the same light: nothing recorded */
    judge(96, 100, at + 3, true);
    stored(ALERT_OPEN, ALERT_RED, ALERT_ESCALATED);
    judge(77, 100, at + 4, true);
    stored(ALERT_OPEN, ALERT_YELLOW, ALERT_LOWERED);
    judge(76, 100, at + 5, false);
    judge(60, 100, at + 6, true);
    stored(ALERT_CLEARED, ALERT_YELLOW, ALERT_CLEARED_ACT);
    judge(60, 100, at + 7, false);
    judge(99, 100, at + 8, true); /* raised again after clearing */
    stored(ALERT_OPEN, ALERT_RED, ALERT_RAISED);
}

static void
a_reading_of_a_store_is_within_its_filesystem(void **state)
{
    (void)state;
    struct disk_reading r;
    assert_int_equal(disk_read(st, dir, 0, &r), 0);
    assert_true(r.used_bytes > 0);
    assert_int_equal(r.room_bytes, r.used_bytes + r.fs_free_bytes);
    assert_int_equal(disk_read(st, dir, r.used_bytes * 2, &r), 0);
    assert_int_equal(r.room_bytes, r.used_bytes * 2 < r.used_bytes + r.fs_free_bytes
                                       ? r.used_bytes * 2
                                       : r.used_bytes + r.fs_free_bytes);
    assert_int_equal(disk_read(st, "/nonexistent/jiancha", 0, &r), ERR_IO);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lights_follow_the_thresholds_with_a_margin),
        cmocka_unit_test(the_budget_is_the_smaller_one_set),
        cmocka_unit_test_setup_teardown(the_alarm_is_raised_escalated_lowered_and_cleared_once_each,
                                        teststore_setup, teststore_teardown),
        cmocka_unit_test_setup_teardown(a_reading_of_a_store_is_within_its_filesystem,
                                        teststore_setup, teststore_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
