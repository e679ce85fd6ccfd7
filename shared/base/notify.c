/* notify: sd_notify calls; a failure to reach the manager is not the daemon's to act on. */
#include "notify.h"

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

int64_t
notify_watchdog_ms(void)
{
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0)
        return 0;
    return (int64_t)(usec / 2000);
}

void
notify_watchdog(void)
{
    (void)sd_notify(0, "WATCHDOG=1");
}

void
notify_stopping(void)
{
    (void)sd_notify(0, "STOPPING=1");
}
