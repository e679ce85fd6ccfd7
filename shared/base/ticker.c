/* ticker: one zloop timer replaced by another of the other period when the pace changes. A
 * timer ended from its own handler is removed by zloop after the handler returns, and the new
 * one first fires a full period later, so a change of pace never runs the handler twice in a
 * row. It does not keep time: a tick is a moment to look at the clocks, never a unit of them. */
#include "ticker.h"

#include "log.h"
#include "mem.h"

struct ticker {
    zloop_t *loop;
    zloop_timer_fn *fn;
    void *arg;
    int timer_id;
    bool busy;
};

ticker_t *
ticker_new(zloop_t *loop, zloop_timer_fn fn, void *arg)
{
    ticker_t *t = xcalloc(1, sizeof *t);
    t->loop = loop;
    t->fn = fn;
    t->arg = arg;
    t->timer_id = zloop_timer(loop, TICKER_IDLE_MS, 0, fn, arg);
    if (t->timer_id < 0) {
        free(t);
        return NULL;
    }
    return t;
}

void
ticker_destroy(ticker_t **p)
{
    if (!p || !*p)
        return;
    zloop_timer_end((*p)->loop, (*p)->timer_id);
    free(*p);
    *p = NULL;
}

void
ticker_pace(ticker_t *t, bool busy)
{
    if (busy == t->busy)
        return;
    int id = zloop_timer(t->loop, busy ? TICKER_BUSY_MS : TICKER_IDLE_MS, 0, t->fn, t->arg);
    if (id < 0) {
        log_warn("ticker: the loop refused a timer of %d ms; the pace stays",
                 busy ? TICKER_BUSY_MS : TICKER_IDLE_MS);
        return;
    }
    zloop_timer_end(t->loop, t->timer_id);
    t->timer_id = id;
    t->busy = busy;
}

bool
ticker_busy(const ticker_t *t)
{
    return t->busy;
}
