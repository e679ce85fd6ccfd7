/* hangup: SIGHUP blocked and read from a signalfd. */
#include "hangup.h"

#include "err.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

int
hangup_open(int *fd)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
        return ERR_IO;
    *fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return *fd >= 0 ? 0 : ERR_IO;
}

bool
hangup_take(int fd)
{
    struct signalfd_siginfo si;
    bool seen = false;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si)
        seen = true;
    return seen;
}

void
hangup_close(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}
