/* hangup: SIGHUP as an administrator's request to reload, not a way to kill a daemon.
 *
 * hangup_open() blocks SIGHUP and hands it to the daemon's loop as a readable descriptor
 * (signalfd), where it reloads what can change without a restart (docs/operations.md). A signal
 * handler would not do: it interrupts zmq_poll, and zloop ends on an interrupted poll. SIGTERM
 * and SIGINT stay with czmq, which ends the loop between two handlers, so a commit in progress
 * always finishes before the daemon stops.
 */
#ifndef JIANCHA_HANGUP_H
#define JIANCHA_HANGUP_H

#include <stdbool.h>

/* Call first in main, before any thread starts (ZeroMQ's threads inherit the blocked mask, so
 * none of them takes the signal's default action). 0 with *fd, or ERR_IO. */
int hangup_open(int *fd) __attribute__((warn_unused_result));

/* Reads every SIGHUP waiting on the descriptor: true if there was one. */
bool hangup_take(int fd);

void hangup_close(int *fd);

#endif
