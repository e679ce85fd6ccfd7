/* log: one logger for the process, lines to stderr (systemd's journal picks them up).
 *
 * Lines read `level module: what happened key=value: cause`. The level is checked before any
 * formatting so debug lines cost nothing when off. The logger is the one global a daemon has.
 */
#ifndef JIANCHA_LOG_H
#define JIANCHA_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

extern enum log_level log_threshold;

/* Sets the level from "error", "warn", "info" or "debug"; returns ERR_INVALID for anything else. */
int log_set_level(const char *name);

/* Writes one line; use the macros below so the level check comes first. */
void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Rate limiting for warnings a peer can repeat: log_allow() says whether a line may be written
 * now (at most one per interval) and hands back how many were suppressed since the last one. */
struct log_limit {
    int64_t last_s;
    uint64_t suppressed;
};

bool log_allow(struct log_limit *l, int interval_s, uint64_t *suppressed);

/* The same per source (a node, a key: any 64-bit tag), for the last LOG_SOURCES sources seen, so
 * one noisy peer hides no other. Zero-initialised before use. */
#define LOG_SOURCES 32
struct log_limits {
    struct {
        uint64_t tag;
        bool used;
        struct log_limit limit;
    } slot[LOG_SOURCES];
    size_t next;
};

bool log_allow_from(struct log_limits *l, uint64_t tag, int interval_s, uint64_t *suppressed);

#define log_at(level, ...)                                                                         \
    do {                                                                                           \
        if ((level) <= log_threshold)                                                              \
            log_write((level), __VA_ARGS__);                                                       \
    } while (0)
#define log_error(...) log_at(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_at(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_at(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_at(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* "<N>" (the syslog priority of level) when fd is the journal's stream, else "": for a line a
 * daemon prints itself (stdout), so the journal files it at its level. Lines with no prefix are
 * filed at the unit's SyslogLevel= (err for jiancha's units: a start that fails says why even
 * under journalctl -p warning). */
const char *log_journal_prefix(int fd, enum log_level level);

#endif
