/* notify: how a daemon stands, told to its service manager (systemd's sd_notify protocol,
 * through libsystemd: the one door to it). Without a service manager (NOTIFY_SOCKET unset: a
 * terminal, a test) every call does nothing.
 *
 * A daemon says READY once its store is open and its sockets are bound, feeds the watchdog from
 * its event loop (so a loop that hangs stops feeding it and systemd restarts the daemon), and
 * says STOPPING when it leaves the loop.
 */
#ifndef JIANCHA_NOTIFY_H
#define JIANCHA_NOTIFY_H

#include <stdint.h>

/* READY=1, with a one-line status shown by `systemctl status`. */
void notify_ready(const char *status);

/* STATUS= only: what the daemon is doing now. */
void notify_status(const char *status);

/* How often to feed the watchdog: half its interval (WatchdogSec=), or 0 when none is asked. */
int64_t notify_watchdog_ms(void);

/* WATCHDOG=1. */
void notify_watchdog(void);

/* STOPPING=1. */
void notify_stopping(void);

#endif
