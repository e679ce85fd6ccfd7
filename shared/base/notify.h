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

#include <czmq.h>
#include <stdint.h>

/* READY=1, with a one-line status shown by `systemctl status`. */
void notify_ready(const char *status);

/* STATUS= only: what the daemon is doing now. */
void notify_status(const char *status);

/* Feeds the watchdog from the daemon's loop, at half its interval (WatchdogSec=), when the
 * service manager asks for one: a loop that hangs stops feeding it. 0, or ERR_STATE when the
 * timer cannot be set. */
int notify_watchdog_loop(zloop_t *loop) __attribute__((warn_unused_result));

/* STOPPING=1. */
void notify_stopping(void);

#endif
