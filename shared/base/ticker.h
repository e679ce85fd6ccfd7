/* ticker: the periodic timer of a daemon's loop, fast while work waits on it and slow otherwise.
 *
 * A daemon's tick seals partial batches after their flush time, works off a rules backlog and
 * runs the link's and the desk's clocks. Only the first two need a 10 ms pace; the clocks count
 * in seconds. Ticking every 10 ms when idle cost each daemon about 0.5 % of a core in wakeups and
 * per-tick reads, 1.1 cores for the 205 daemons of a province on one machine (bench/province.sh),
 * so a ticker runs every TICKER_BUSY_MS while its daemon says it is busy and every TICKER_IDLE_MS
 * otherwise. The daemon says busy as soon as work arrives (an event stored, a child's batch) and
 * decides at the end of each tick whether it still is.
 */
#ifndef JIANCHA_TICKER_H
#define JIANCHA_TICKER_H

#include <czmq.h>
#include <stdbool.h>

#define TICKER_BUSY_MS 10
#define TICKER_IDLE_MS 100

typedef struct ticker ticker_t;

/* A ticker calling fn(loop, timer_id, arg) on loop, at the idle pace until told otherwise. NULL
 * when the loop refuses the timer. */
ticker_t *ticker_new(zloop_t *loop, zloop_timer_fn fn, void *arg);
/* Ends its timer (the loop must still exist) and frees it; accepts NULL. */
void ticker_destroy(ticker_t **p);

/* The pace from now on: every TICKER_BUSY_MS when busy, else every TICKER_IDLE_MS. Does nothing
 * when the pace stays; may be called from the ticker's own handler. When the loop refuses the new
 * timer the old pace stays (logged): a slower tick delays, it loses nothing. */
void ticker_pace(ticker_t *t, bool busy);
bool ticker_busy(const ticker_t *t);

#endif
