#include "testutil.h"

#include "ticker.h"

/* A loop that runs for run_ms with a ticker, which is told busy from its tick number busy_from on
 * (0: from the start, -1: never) and idle again from idle_from on. */
struct run {
    ticker_t *t;
    int ticks, busy_from, idle_from;
};

static int
on_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    struct run *r = arg;
    r->ticks++;
    if (r->busy_from >= 0 && r->ticks >= r->busy_from)
        ticker_pace(r->t, r->idle_from < 0 || r->ticks < r->idle_from);
    return 0;
}

static int
on_end(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    (void)arg;
    return -1;
}

static int
ticks_in(int run_ms, int busy_from, int idle_from)
{
    zloop_t *loop = zloop_new();
    struct run r = {NULL, 0, busy_from, idle_from};
    r.t = ticker_new(loop, on_tick, &r);
    assert_non_null(r.t);
    if (busy_from == 0)
        ticker_pace(r.t, true);
    assert_true(zloop_timer(loop, (size_t)run_ms, 1, on_end, NULL) >= 0);
    zloop_start(loop);
    ticker_destroy(&r.t);
    assert_null(r.t);
    zloop_destroy(&loop);
    return r.ticks;
}

static void
an_idle_ticker_wakes_every_hundred_ms(void **state)
{
    (void)state;
    int n = ticks_in(550, -1, -1);
    /* at most 5 in 550 ms, however late the loop runs; at least one */
    assert_in_range(n, 1, 5);
}

static void
a_busy_ticker_wakes_every_ten_ms(void **state)
{
    (void)state;
    /* 50 in 500 ms on an idle machine; a loaded one (the sanitizer build) runs fewer */
    assert_true(ticks_in(500, 0, -1) >= 15);
}

static void
the_handler_itself_changes_the_pace_both_ways(void **state)
{
    (void)state;
    /* busy from its first tick (100 ms), idle again from its 11th: about 100 + 10 x 10 ms, then
     * every 100 ms for the rest of 600 ms; never 50 ticks as if it stayed busy */
    int n = ticks_in(600, 1, 11);
    assert_true(n >= 10);
    assert_true(n <= 16);
}

static void
destroying_accepts_null(void **state)
{
    (void)state;
    ticker_t *t = NULL;
    ticker_destroy(&t);
    ticker_destroy(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_idle_ticker_wakes_every_hundred_ms),
        cmocka_unit_test(a_busy_ticker_wakes_every_ten_ms),
        cmocka_unit_test(the_handler_itself_changes_the_pace_both_ways),
        cmocka_unit_test(destroying_accepts_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
