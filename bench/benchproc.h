/* benchproc: starting real daemons for a benchmark and reading what they do. Shared by the bench
 * programs; never by the daemons or the tests. */
#ifndef JIANCHA_BENCHPROC_H
#define JIANCHA_BENCHPROC_H

#include <stdint.h>
#include <sys/types.h>

void bench_sleep_us(long us);

/* Runs a shell command; exits the benchmark if it fails. */
void bench_run(const char *cmd);

/* The median of v[0..n-1] (n >= 1), which it sorts. */
double bench_median(double *v, int n);

/* Starts EXE -c CONFIG with its stderr in LOG; the child's pid. */
pid_t bench_spawn(const char *exe, const char *config, const char *log);

/* Writes TEXT to DIR/NAME.conf and starts BIN_DIR/KIND/jiancha-KIND on it (log in DIR/NAME.log). */
pid_t bench_start_daemon(const char *bin_dir, const char *dir, const char *name, const char *kind,
                         const char *text);

/* Waits (at most 10 s) for DIR/NAME/listen.endpoint, an aggregator's bound endpoint, into EP. */
void bench_endpoint_of(const char *dir, const char *name, char ep[256]);

/* CPU seconds (user + system) a process has used so far; 0 when it is gone. */
double bench_cpu_seconds(pid_t pid);

/* Raises *ANON_MIB and *FILE_MIB to the process's RssAnon and RssFile if they are higher. */
void bench_rss(pid_t pid, double *anon_mib, double *file_mib);

/* The records the store in DIR holds (its events table); 0 when it cannot be opened. */
uint64_t bench_stored(const char *dir);

/* The last record seq a collector's rules pass has judged (meta "rules_seq"); 0 if none. */
uint64_t bench_judged(const char *dir);

#endif
