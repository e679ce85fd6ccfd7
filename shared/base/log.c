/* log: formats one line per call and writes it to stderr in a single write so lines from
 * concurrent processes sharing a terminal or journal never interleave mid-line. Under systemd,
 * when stderr is the journal's stream (JOURNAL_STREAM names it), a line starts with its syslog
 * priority (<3> error … <7> debug) instead of a time, so `journalctl -p warning` filters by
 * level and the journal's own timestamp stands alone. */
#include "log.h"

#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum log_level log_threshold = LOG_LEVEL_INFO;

static const char *const names[] = {"error", "warn", "info", "debug"};
static const int priorities[] = {3, 4, 6, 7}; /* syslog's err, warning, info, debug */

/* Is fd the journal's stream? (systemd.exec(5): JOURNAL_STREAM is "DEVICE:INODE".) */
static bool
is_journal(int fd)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(fd, &st) == 0 &&
           (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

const char *
log_journal_prefix(int fd, enum log_level level)
{
    static const char *const prefixes[] = {"<3>", "<4>", "<6>", "<7>"};
    return is_journal(fd) ? prefixes[level] : "";
}

int
log_set_level(const char *name)
{
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(name, names[i]) == 0) {
            log_threshold = (enum log_level)i;
            return 0;
        }
    }
    return ERR_INVALID;
}

void
log_write(enum log_level level, const char *fmt, ...)
{
    static int journal = -1; /* decided at the first line: stderr does not change under us */
    if (journal < 0)
        journal = is_journal(STDERR_FILENO);
    char line[2048];
    int n;
    if (journal) {
        n = snprintf(line, sizeof line, "<%d>%s ", priorities[level], names[level]);
    } else {
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
        n += snprintf(line + n, sizeof line - (size_t)n, ".%03ldZ %s ", ts.tv_nsec / 1000000,
                      names[level]);
    }
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    /* A failed write to stderr has nowhere to be reported. */
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

bool
log_allow_from(struct log_limits *l, uint64_t tag, int interval_s, uint64_t *suppressed)
{
    for (size_t i = 0; i < LOG_SOURCES; i++)
        if (l->slot[i].used && l->slot[i].tag == tag)
            return log_allow(&l->slot[i].limit, interval_s, suppressed);
    size_t i = l->next++ % LOG_SOURCES;
    l->slot[i].used = true;
    l->slot[i].tag = tag;
    memset(&l->slot[i].limit, 0, sizeof l->slot[i].limit);
    return log_allow(&l->slot[i].limit, interval_s, suppressed);
}

bool
log_allow(struct log_limit *l, int interval_s, uint64_t *suppressed)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (l->last_s && ts.tv_sec - l->last_s < interval_s) {
        l->suppressed++;
        return false;
    }
    *suppressed = l->suppressed;
    l->suppressed = 0;
    l->last_s = ts.tv_sec ? ts.tv_sec : 1;
    return true;
}
