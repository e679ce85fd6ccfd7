/* snapshot: one board shared by many readers, refreshed by a thread of its own. See snapshot.h. */
#include "snapshot.h"

#include "err.h"
#include "log.h"
#include "mem.h"
#include "timestamp.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#define SNAPSHOT_IDLE_MS 60000 /* nobody asked for this long: the refresher rests */
#define SNAPSHOT_TICK_MS 250

/* A board and who holds it: the snapshot while it is in force, and each taker. */
struct held {
    struct board b;
    int refs;
    int64_t at_ms;
};

struct snapshot {
    store_t *store;
    calendar_t *calendar;
    int64_t refresh_ms;
    pthread_mutex_t lock;
    pthread_cond_t loaded;
    struct held *current;
    bool loading, stopping;
    int64_t asked_ms;
    pthread_t refresher;
    bool started;
};

/* Lets go of one hold; called with the lock held. */
static void
drop(struct held *h)
{
    if (h && --h->refs == 0) {
        board_fini(&h->b);
        free(h);
    }
}

/* Reads a board and puts it in force; called without the lock. */
static int
reload(snapshot_t *s)
{
    struct held *h = xcalloc(1, sizeof *h);
    h->refs = 1;
    h->at_ms = timestamp_now_ms();
    store_txn_t *t = NULL;
    int rc = store_read(s->store, &t);
    if (rc == 0)
        rc = board_load(t, s->calendar, &h->b);
    store_abort(&t);
    if (rc != 0) {
        free(h);
        return rc;
    }
    pthread_mutex_lock(&s->lock);
    drop(s->current);
    s->current = h;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *
refresh(void *arg)
{
    snapshot_t *s = arg;
    for (;;) {
        sleep_ms(SNAPSHOT_TICK_MS);
        int64_t now = timestamp_now_ms();
        pthread_mutex_lock(&s->lock);
        bool stop = s->stopping;
        bool due = s->current && now - s->asked_ms < SNAPSHOT_IDLE_MS &&
                   now - s->current->at_ms >= s->refresh_ms;
        pthread_mutex_unlock(&s->lock);
        if (stop)
            return NULL;
        int rc = due ? reload(s) : 0;
        if (rc != 0)
            log_warn("snapshot: the board cannot be read now: %s", err_str(rc));
    }
}

snapshot_t *
snapshot_new(store_t *store, calendar_t *calendar, int64_t refresh_ms)
{
    snapshot_t *s = xcalloc(1, sizeof *s);
    s->store = store;
    s->calendar = calendar;
    s->refresh_ms = refresh_ms;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->loaded, NULL);
    s->started = pthread_create(&s->refresher, NULL, refresh, s) == 0;
    if (!s->started)
        log_warn("snapshot: no refresher thread: each board is read when asked for");
    return s;
}

void
snapshot_destroy(snapshot_t **p)
{
    snapshot_t *s = *p;
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_mutex_unlock(&s->lock);
    if (s->started)
        pthread_join(s->refresher, NULL);
    drop(s->current);
    pthread_cond_destroy(&s->loaded);
    pthread_mutex_destroy(&s->lock);
    free(s);
    *p = NULL;
}

int
snapshot_take(snapshot_t *s, const struct board **board)
{
    int64_t now = timestamp_now_ms();
    pthread_mutex_lock(&s->lock);
    s->asked_ms = now;
    /* without a refresher, the asker reads a stale board again itself */
    bool stale = !s->started && s->current && now - s->current->at_ms >= s->refresh_ms;
    while (!s->current || stale) {
        if (s->loading) {
            pthread_cond_wait(&s->loaded, &s->lock);
            stale = false;
            continue;
        }
        s->loading = true; /* the first asker reads it; the others wait for that one */
        pthread_mutex_unlock(&s->lock);
        int rc = reload(s);
        pthread_mutex_lock(&s->lock);
        s->loading = false;
        stale = false;
        pthread_cond_broadcast(&s->loaded);
        if (rc != 0 && !s->current) {
            pthread_mutex_unlock(&s->lock);
            *board = NULL;
            return rc;
        }
    }
    s->current->refs++;
    *board = &s->current->b;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

void
snapshot_put(snapshot_t *s, const struct board **board)
{
    if (!*board)
        return;
    /* the board is the first member of its hold */
    struct held *h = (struct held *)(void *)*board;
    pthread_mutex_lock(&s->lock);
    drop(h);
    pthread_mutex_unlock(&s->lock);
    *board = NULL;
}

int64_t
snapshot_age_ms(snapshot_t *s, int64_t now_ms)
{
    pthread_mutex_lock(&s->lock);
    int64_t age = s->current ? now_ms - s->current->at_ms : 0;
    pthread_mutex_unlock(&s->lock);
    return age;
}
