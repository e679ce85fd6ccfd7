/* rules_bench: the rules engine alone, the collector's rules pass with intake, and the cost of a
 * clock tick when a few of many open cases are due.
 *
 *   jiancha-bench-rules [--events N] [--runs R] [--open K] [--due D] [--sheets S] [--late L]
 *                       [--keep DIR]
 *
 * 1. engine: N generated events (eventgen's month, ~7 per case) parsed once, then fed to a fresh
 *    engine and evaluated; events/s of rules_add + rules_evaluate.
 * 2. intake + watch: the same events committed in messages of 1000 into an LMDB store, each
 *    followed by a rules pass and a desk pass (as the collector does on its tick); events/s end
 *    to end.
 * 3. tick: K open cases whose clocks are far away and D whose clocks are due; the time of the one
 *    pass that judges the D due cases, for K and for 10·K open cases (it should not grow with K).
 * 4. the office's reads over the store of step 2: the board `query alerts` shows and the monthly
 *    report.
 * 5. sheets: a day holding S records (cases accepted and decided that day), counted; then L more
 *    cases of that day arrive, are judged, and the time of the one counter refresh that follows is
 *    taken, for S and for 10·S (it should follow L, not S). --sheets S, --late L.
 * Prints medians over R runs. Nothing here asserts on speed. --keep DIR keeps the store of the
 * last run of step 2 in DIR (node 510104, a county with its alerts, desk and day sheets) and skips
 * step 3: the screen's bench (web_bench.c) reads it.
 */
#include "benchproc.h"
#include "board.h"
#include "calendar.h"
#include "catalog.h"
#include "counter.h"
#include "desk.h"
#include "event.h"
#include "intake.h"
#include "mem.h"
#include "report.h"
#include "rules.h"
#include "store.h"
#include "timestamp.h"
#include "watch.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
ignore(void *arg, const struct alert *a)
{
    (void)a;
    (*(size_t *)arg)++;
}

/* A store in a fresh directory (dir: a mkdtemp template, filled in); exits on failure. */
static store_t *
scratch_store(char *dir)
{
    struct store_options o = {.map_bytes = 1ull << 30};
    store_t *st = NULL;
    if (!mkdtemp(dir) || store_open(dir, &o, &st) != 0)
        exit(1);
    return st;
}

/* Builds a store with `open` cases accepted on 11-20 (clocks far off) and `due` accepted on
 * 11-02 (clocks due by 11-13), judges them once as of 11-02, and times the pass as of 11-13. */
static double
tick(const catalog_t *cat, calendar_t *cal, uint64_t open, uint64_t due)
{
    char dir[] = "/tmp/jiancha-bench-rules-XXXXXX";
    store_t *st = scratch_store(dir);
    struct event_set set;
    event_set_init(&set);
    struct wire_buf msg;
    wire_buf_init(&msg);
    uint64_t total = open + due;
    for (uint64_t i = 0; i < total;) {
        wire_buf_reset(&msg);
        for (int k = 0; k < 1000 && i < total; k++, i++) {
            char line[256];
            int n = snprintf(line, sizeof line,
                             "{\"type\":\"case.accept\",\"id\":\"t%llu\",\"at\":\"2026-11-%02d"
                             "T09:00:00+08:00\",\"case\":\"K%llu\",\"item\":\"SC-QT-0999-510104\","
                             "\"dept\":\"GAJ\",\"handler\":\"GAJ-H01\"}\n",
                             (unsigned long long)i, i < due ? 2 : 20, (unsigned long long)i);
            wire_buf_append(&msg, line, (size_t)n);
        }
        struct intake_result r;
        if (event_parse_message(msg.data, msg.len, "510104", &set) != 0 ||
            intake_commit(st, 510104, &set, NULL, 1000, 0, &r) != 0)
            exit(1);
    }
    watch_t *w = watch_new(st, 510104, cat, cal);
    struct watch_result wr;
    int64_t t0, t1;
    const char *why;
    if (timestamp_parse("2026-11-02T10:00:00+08:00", 25, &t0, &why) != 0 ||
        timestamp_parse("2026-11-10T00:00:00+08:00", 25, &t1, &why) != 0)
        exit(1);
    do {
        if (watch_run(w, t0, 1000, 100000, &wr) != 0)
            exit(1);
    } while (wr.more);
    double a = now_s();
    if (watch_run(w, t1, 1000, 100000, &wr) != 0)
        exit(1);
    double secs = now_s() - a;
    if (wr.subjects < due)
        fprintf(stderr, "bench: only %llu of %llu due cases judged\n",
                (unsigned long long)wr.subjects, (unsigned long long)due);
    watch_destroy(&w);
    store_close(&st);
    event_set_fini(&set);
    wire_buf_fini(&msg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    bench_run(cmd);
    return secs;
}

/* Commits `cases` cases of 11-02 (accepted at 09:00, decided at 15:00), numbered from `first`, in
 * messages of 1000 records, each followed by a rules pass as the collector runs it. */
static void
day_of_cases(store_t *st, watch_t *w, uint64_t first, uint64_t cases)
{
    struct event_set set;
    event_set_init(&set);
    struct wire_buf msg;
    wire_buf_init(&msg);
    int64_t at;
    const char *why;
    if (timestamp_parse("2026-11-02T16:00:00+08:00", 25, &at, &why) != 0)
        exit(1);
    for (uint64_t i = first; i < first + cases;) {
        wire_buf_reset(&msg);
        for (int k = 0; k < 500 && i < first + cases; k++, i++) {
            char line[512];
            int n = snprintf(line, sizeof line,
                             "{\"type\":\"case.accept\",\"id\":\"a%llu\",\"at\":\"2026-11-02"
                             "T09:00:00+08:00\",\"case\":\"S%llu\",\"item\":\"SC-QT-0999-510104\","
                             "\"dept\":\"GAJ\",\"handler\":\"GAJ-H01\"}\n"
                             "{\"type\":\"case.decision\",\"id\":\"d%llu\",\"at\":\"2026-11-02"
                             "T15:00:00+08:00\",\"case\":\"S%llu\",\"outcome\":\"grant\","
                             "\"handler\":\"GAJ-H01\",\"basis\":[\"b\"]}\n",
                             (unsigned long long)i, (unsigned long long)i, (unsigned long long)i,
                             (unsigned long long)i);
            wire_buf_append(&msg, line, (size_t)n);
        }
        struct intake_result r;
        struct watch_result wr;
        if (event_parse_message(msg.data, msg.len, "510104", &set) != 0 ||
            intake_commit(st, 510104, &set, NULL, 1000, 0, &r) != 0)
            exit(1);
        do {
            if (watch_run(w, at, 1000, 100000, &wr) != 0)
                exit(1);
        } while (wr.more);
    }
    event_set_fini(&set);
    wire_buf_fini(&msg);
}

/* A day of `held` records counted, then `late` more records of it: the seconds of the refresh
 * that counts them (the median of `runs` such arrivals). */
static double
sheets(const catalog_t *cat, calendar_t *cal, uint64_t held, uint64_t late, int runs)
{
    char dir[] = "/tmp/jiancha-bench-rules-XXXXXX";
    store_t *st = scratch_store(dir);
    watch_t *w = watch_new(st, 510104, cat, cal);
    int64_t at;
    const char *why;
    if (timestamp_parse("2026-11-02T16:00:00+08:00", 25, &at, &why) != 0)
        exit(1);
    day_of_cases(st, w, 0, held / 2);
    struct counter_refresh_result cr;
    do {
        if (counter_refresh(st, 510104, cat, cal, at, 1000, &cr) != 0)
            exit(1);
    } while (cr.more);
    double secs[32];
    for (int r = 0; r < runs; r++) {
        day_of_cases(st, w, held / 2 + (uint64_t)r * late / 2, late / 2);
        double a = now_s();
        if (counter_refresh(st, 510104, cat, cal, at, 1000, &cr) != 0)
            exit(1);
        secs[r] = now_s() - a;
        if (cr.sheets != 1)
            fprintf(stderr, "bench: %llu sheets sent for one day\n", (unsigned long long)cr.sheets);
    }
    watch_destroy(&w);
    store_close(&st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    bench_run(cmd);
    return bench_median(secs, runs);
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"events", required_argument, NULL, 'e'},
        {"runs", required_argument, NULL, 'r'},
        {"open", required_argument, NULL, 'o'},
        {"due", required_argument, NULL, 'd'},
        {"bin", required_argument, NULL, 'b'},
        {"keep", required_argument, NULL, 'k'},
        {"sheets", required_argument, NULL, 's'},
        {"late", required_argument, NULL, 'l'},
        {NULL, 0, NULL, 0},
    };
    uint64_t events = 1000000, open = 100000, due = 1000, held = 100000, late = 1000;
    int runs = 3;
    const char *bin = "build", *keep = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'e':
            events = strtoull(optarg, NULL, 10);
            break;
        case 'r':
            runs = atoi(optarg);
            break;
        case 'o':
            open = strtoull(optarg, NULL, 10);
            break;
        case 'd':
            due = strtoull(optarg, NULL, 10);
            break;
        case 'b':
            bin = optarg;
            break;
        case 'k':
            keep = optarg;
            break;
        case 's':
            held = strtoull(optarg, NULL, 10);
            break;
        case 'l':
            late = strtoull(optarg, NULL, 10);
            break;
        default:
            return 2;
        }
    }
    if (runs < 1 || runs > 32)
        return 2;
    char err[512];
    catalog_t *cat = NULL;
    calendar_t *cal = NULL;
    if (catalog_load(BENCH_SOURCE "/config/catalog.json", &cat, err, sizeof err) != 0 ||
        calendar_load(BENCH_SOURCE "/config/cn-workdays.tsv", &cal, err, sizeof err) != 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    char file[] = "/tmp/jiancha-bench-rules-events-XXXXXX";
    int fd = mkstemp(file);
    if (fd < 0)
        return 1;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s/bench/jiancha-eventgen --count %llu --hours 552 --violations 3 > %s", bin,
             (unsigned long long)events, file);
    bench_run(cmd);
    FILE *f = fopen(file, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    struct wire_buf records;
    wire_buf_init(&records);
    size_t *offs = xcalloc(events + 1, sizeof *offs), n_rec = 0;
    struct wire_buf text;
    wire_buf_init(&text);
    struct event_set set;
    event_set_init(&set);
    while ((n = getline(&line, &cap, f)) > 0 && n_rec < events) {
        wire_buf_append(&text, line, (size_t)n);
        if (event_parse_message(line, (size_t)n, "510104", &set) != 0 || set.n_entries != 1)
            continue;
        offs[n_rec++] = records.len;
        wire_buf_append(&records, set.records.data, set.entries[0].len);
    }
    offs[n_rec] = records.len;
    free(line);
    fclose(f);
    unlink(file);
    int64_t as_of;
    const char *why;
    if (timestamp_parse("2026-11-30T00:00:00+08:00", 25, &as_of, &why) != 0)
        return 1;

    double engine[32], piped[32], board_ms[32], report_ms[32];
    size_t alerts = 0;
    for (int r = 0; r < runs; r++) {
        double a = now_s();
        rules_t *rules = rules_new(cat, cal, "510104");
        for (size_t i = 0; i < n_rec; i++)
            if (rules_add(rules, records.data + offs[i], offs[i + 1] - offs[i]) != 0)
                return 1;
        alerts = 0;
        rules_evaluate(rules, as_of, RULES_ALL, ignore, &alerts);
        rules_destroy(&rules);
        engine[r] = (double)n_rec / (now_s() - a);

        char dir[] = "/tmp/jiancha-bench-rules-XXXXXX";
        store_t *st = scratch_store(dir);
        watch_t *w = watch_new(st, 510104, cat, cal);
        /* the collector's supervision desk runs after each rules pass (no patrol days judged) */
        int64_t far;
        if (calendar_parse_date("2100-01-01", 10, &far) != 0)
            return 1;
        struct desk_options dopt = {far, NULL, 0};
        desk_t *dk = desk_new(st, 510104, cal, &dopt);
        a = now_s();
        /* messages of 1000 lines, each committed, then a rules pass as of its last event */
        size_t pos = 0, lines = 0, start = 0;
        for (size_t i = 0; i <= text.len; i++) {
            if (i < text.len && text.data[i] != '\n')
                continue;
            if (++lines % 1000 != 0 && i < text.len)
                continue;
            if (i <= start)
                break; /* the text ended with a full message */
            struct intake_result ir;
            if (event_parse_message(text.data + start, i - start, "510104", &set) != 0 ||
                intake_commit(st, 510104, &set, NULL, 1000, 0, &ir) != 0)
                return 1;
            struct watch_result wr;
            int64_t at = set.n_entries ? set.entries[set.n_entries - 1].at_ms : as_of;
            do {
                if (watch_run(w, at, 1000, 100000, &wr) != 0)
                    return 1;
            } while (wr.more);
            struct desk_result dr;
            if (desk_run(dk, at, 1000, &dr) != 0)
                return 1;
            start = i + 1;
            pos++;
        }
        piped[r] = (double)n_rec / (now_s() - a);
        /* 4. the office's reads over the store just built: its day sheets counted, then the
         * board (`query alerts`) and the monthly report */
        struct counter_refresh_result cr;
        if (counter_refresh(st, 510104, cat, cal, as_of, 1000, &cr) != 0)
            return 1;
        a = now_s();
        store_txn_t *t = NULL;
        struct board b;
        if (store_read(st, &t) != 0 || board_load(t, cal, &b) != 0)
            return 1;
        store_abort(&t);
        board_ms[r] = (now_s() - a) * 1e3;
        size_t n_alerts = b.n_alerts;
        board_fini(&b);
        a = now_s();
        struct report rep;
        if (report_build(st, cal, "2026-11", 510000, as_of, &rep) != 0)
            return 1;
        report_ms[r] = (now_s() - a) * 1e3;
        report_fini(&rep);
        watch_destroy(&w);
        desk_destroy(&dk);
        store_close(&st);
        if (keep && r == runs - 1)
            snprintf(cmd, sizeof cmd, "rm -rf %s && mv %s %s", keep, dir, keep);
        else
            snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        bench_run(cmd);
        printf("run %d: engine %.0f ev/s, intake + rules pass + desk %.0f ev/s (%zu alerts, %zu "
               "messages); board %.1f ms (%zu alerts), monthly report %.1f ms\n",
               r + 1, engine[r], piped[r], alerts, pos, board_ms[r], n_alerts, report_ms[r]);
        fflush(stdout);
    }
    printf("median: engine alone %.0f ev/s | intake + rules pass + desk %.0f ev/s | %zu events, "
           "about %zu "
           "cases\n",
           bench_median(engine, runs), bench_median(piped, runs), n_rec, n_rec / 7);
    printf("median office reads over the store: board (query alerts) %.1f ms, monthly report %.1f "
           "ms\n",
           bench_median(board_ms, runs), bench_median(report_ms, runs));
    double small[32], big[32];
    for (int r = 0; r < runs && !keep; r++) {
        small[r] = tick(cat, cal, open / 10, due);
        big[r] = tick(cat, cal, open, due);
        printf("tick run %d: %llu due of %llu open: %.1f ms; of %llu open: %.1f ms\n", r + 1,
               (unsigned long long)due, (unsigned long long)(open / 10 + due), small[r] * 1e3,
               (unsigned long long)(open + due), big[r] * 1e3);
        fflush(stdout);
    }
    double ms = keep ? 0 : bench_median(small, runs) * 1e3, mb = keep ? 0 : bench_median(big, runs) * 1e3;
    if (!keep)
        printf(
            "median tick: %llu due cases judged in %.1f ms with %llu open, %.1f ms with %llu open "
            "(ratio %.2f; cost follows the due cases, not the open ones)\n",
            (unsigned long long)due, ms, (unsigned long long)(open / 10 + due), mb,
            (unsigned long long)(open + due), mb / ms);
    if (!keep && held) {
        double day_s = sheets(cat, cal, held, late, runs) * 1e3;
        double day_b = sheets(cat, cal, 10 * held, late, runs) * 1e3;
        printf("median sheets: %llu late records of a day counted in %.1f ms when it held %llu, "
               "%.1f ms when it held %llu (ratio %.2f; cost follows the late records, not the "
               "day)\n",
               (unsigned long long)late, day_s, (unsigned long long)held, day_b,
               (unsigned long long)(10 * held), day_b / day_s);
    }
    free(offs);
    wire_buf_fini(&records);
    wire_buf_fini(&text);
    event_set_fini(&set);
    catalog_destroy(&cat);
    calendar_destroy(&cal);
    return 0;
}
