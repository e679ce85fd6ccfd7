/* benchproc: what the benchmarks share: running a command, a median, and starting real daemons
 * and watching them: spawning with a config, waiting for an aggregator's endpoint, reading a process's CPU and memory from /proc, and
 * counting what a store holds and what a collector has judged. Every failure to set up exits the
 * benchmark with a line on stderr: a bench has nothing to recover.
 */
#include "benchproc.h"

#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

void
bench_sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

void
bench_run(const char *cmd)
{
    if (system(cmd) != 0) {
        fprintf(stderr, "bench: failed: %s\n", cmd);
        exit(1);
    }
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double
bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

pid_t
bench_spawn(const char *exe, const char *config, const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = freopen(log, "a", stderr);
        (void)f;
        execl(exe, exe, "-c", config, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* CPU seconds (user + system) of a process, from /proc/PID/stat. */
double
bench_cpu_seconds(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    /* Fields after the command: state is field 3; utime and stime are fields 14 and 15. */
    unsigned long long ut = 0, st = 0;
    int field = 2;
    for (char *tok = p + 2; *tok && field < 15;) {
        field++;
        char *end = strchr(tok, ' ');
        if (field == 14)
            ut = strtoull(tok, NULL, 10);
        if (field == 15)
            st = strtoull(tok, NULL, 10);
        if (!end)
            break;
        tok = end + 1;
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

void
bench_rss(pid_t pid, double *anon_mib, double *file_mib)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        unsigned long kb;
        char *v = strchr(line, ':');
        if (!v)
            continue;
        kb = strtoul(v + 1, NULL, 10);
        double mib = (double)kb / 1024.0;
        if (strncmp(line, "RssAnon:", 8) == 0 && mib > *anon_mib)
            *anon_mib = mib;
        if (strncmp(line, "RssFile:", 8) == 0 && mib > *file_mib)
            *file_mib = mib;
    }
    fclose(f);
}

/* Waits for an aggregator's listen.endpoint file: the endpoint, or exits. */
void
bench_endpoint_of(const char *dir, const char *name, char ep[256])
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/listen.endpoint", dir, name);
    ep[0] = '\0';
    for (int i = 0; i < 500 && !ep[0]; i++) {
        bench_sleep_us(20000);
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(ep, 256, f))
                ep[0] = '\0';
            fclose(f);
        }
    }
    if (!ep[0]) {
        fprintf(stderr, "bench: %s did not start\n", name);
        exit(1);
    }
    ep[strcspn(ep, "\n")] = '\0';
}

pid_t
bench_start_daemon(const char *bin_dir, const char *dir, const char *name, const char *kind,
                   const char *text)
{
    char cfg[1024], log[1024], exe[1024];
    snprintf(cfg, sizeof cfg, "%s/%s.conf", dir, name);
    snprintf(log, sizeof log, "%s/%s.log", dir, name);
    snprintf(exe, sizeof exe, "%s/%s/jiancha-%s", bin_dir, kind, kind);
    FILE *f = fopen(cfg, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        exit(1);
    return bench_spawn(exe, cfg, log);
}

/* One number read from the store in DIR in a read transaction: the events table's count (name
 * NULL) or a meta value. 0 when the store cannot be read. */
static uint64_t
read_number(const char *dir, const char *meta)
{
    struct store_options o = {.readonly = true};
    store_t *s = NULL;
    if (store_open(dir, &o, &s) != 0)
        return 0;
    store_txn_t *t = NULL;
    uint64_t n = 0;
    if (store_read(s, &t) == 0) {
        if (!meta)
            n = store_count(t, STORE_EVENTS);
        else if (store_meta_get_u64(t, meta, &n) != 0)
            n = 0;
    }
    store_abort(&t);
    store_close(&s);
    return n;
}

uint64_t
bench_stored(const char *dir)
{
    return read_number(dir, NULL);
}

uint64_t
bench_judged(const char *dir)
{
    return read_number(dir, "rules_seq");
}
