/* notify: sd_notify calls; a failure to reach the manager is not the daemon's to act on. */
#include "notify.h"

#include "err.h"

#include <czmq.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

void
notify_ready(const char *status)
{
    char msg[256];
    snprintf(msg, sizeof msg, "READY=1\nSTATUS=%s", status);
    (void)sd_notify(0, msg);
}

void
notify_status(const char *status)
{
    char msg[256];
    snprintf(msg, sizeof msg, "STATUS=%s", status);
    (void)sd_notify(0, msg);
}

static int
feed(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    (void)arg;
    (void)sd_notify(0, "WATCHDOG=1");
    return 0;
}

int
notify_watchdog_loop(zloop_t *loop)
{
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0)
        return 0;
    return zloop_timer(loop, (size_t)(usec / 2000), 0, feed, NULL) >= 0 ? 0 : ERR_STATE;
}

void
notify_stopping(void)
{
    (void)sd_notify(0, "STOPPING=1");
}
