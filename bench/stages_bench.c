/* stages_bench: the county's real path in one process, the CPU each stage of it spends per event.
 *
 *   jiancha-bench-stages [--events N] [--runs R] [--hours H] [--pass-every M] [--count-every K]
 *                        [--bin BUILD_DIR]
 *
 * N events from jiancha-eventgen (over H hours; the pipeline bench's 24 by default) are sent as
 * msgpack messages of 1,000, as `jiancha send --format msgpack` does. Each message is parsed and
 * committed (durable, in an LMDB store under /tmp) as the collector's door does; every M messages
 * a rules pass and a desk pass run, and every K messages the counters are counted again, as the
 * collector's loop does under load (a pass per loop turn, the counters each second). The CPU time
 * of the process (user and system, so the kernel's share of each commit is in, the wait for the
 * disk is not) is taken around each stage and printed per event, per run and as medians.
 *
 * The transport (sealing is in the intake's stage; signing and sending are not here) and the
 * other daemons are left out, so the figures do not move with what else the machine runs as much
 * as the pipeline bench's do, and a change to one stage shows in that stage. Nothing here asserts
 * on speed.
 */
#include "benchproc.h"
#include "calendar.h"
#include "catalog.h"
#include "counter.h"
#include "desk.h"
#include "err.h"
#include "event.h"
#include "intake.h"
#include "mem.h"
#include "store.h"
#include "watch.h"
#include "wire.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NODE 510104u
#define MESSAGE 1000

enum stage { PARSE, INTAKE, PASS, DESK, COUNT, STAGES };
static const char *const stage_names[STAGES] = {"parse", "intake", "rules pass", "desk",
                                                "counters"};

static double
cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
fail(const char *what, int rc)
{
    fprintf(stderr, "bench: %s failed: %s\n", what, err_str(rc));
    exit(1);
}

/* The generated events as msgpack messages of MESSAGE records (the last may hold fewer); returns
 * how many messages, *records how many events they hold. */
static size_t
messages(const char *bin, uint64_t events, unsigned hours, struct wire_buf **out,
         uint64_t *records)
{
    char file[] = "/tmp/jiancha-bench-stages-events-XXXXXX";
    int fd = mkstemp(file);
    if (fd < 0)
        exit(1);
    close(fd);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s/bench/jiancha-eventgen --count %llu --hours %u > %s", bin,
             (unsigned long long)events, hours, file);
    if (system(cmd) != 0) {
        unlink(file);
        fprintf(stderr, "bench: failed: %s\n", cmd);
        exit(1);
    }
    FILE *f = fopen(file, "r");
    if (!f)
        exit(1);
    size_t n = 0, cap = 0, lines = 0;
    struct wire_buf text;
    wire_buf_init(&text);
    char *line = NULL;
    size_t lcap = 0;
    ssize_t got;
    for (;;) {
        got = getline(&line, &lcap, f);
        if (got > 0) {
            wire_buf_append(&text, line, (size_t)got);
            lines++;
        }
        if ((got <= 0 && text.len) || lines == MESSAGE) {
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                *out = xrealloc(*out, cap * sizeof **out);
            }
            wire_buf_init(&(*out)[n]);
            size_t bad;
            int got_records =
                event_jsonl_to_msgpack((const char *)text.data, text.len, &(*out)[n], &bad);
            if (got_records < 0)
                fail("event_jsonl_to_msgpack", got_records);
            *records += (uint64_t)got_records;
            n++;
            wire_buf_reset(&text);
            lines = 0;
        }
        if (got <= 0)
            break;
    }
    free(line);
    fclose(f);
    unlink(file);
    wire_buf_fini(&text);
    return n;
}

/* One run over a fresh store: the CPU seconds of each stage in spent. */
static void
run(const catalog_t *cat, calendar_t *cal, const struct wire_buf *msgs, size_t n, unsigned every,
    unsigned count_every, double spent[STAGES])
{
    char dir[] = "/tmp/jiancha-bench-stages-XXXXXX";
    struct store_options o = {.map_bytes = 1ull << 30};
    store_t *st = NULL;
    if (!mkdtemp(dir))
        exit(1);
    int rc = store_open(dir, &o, &st);
    if (rc != 0)
        fail("store_open", rc);
    watch_t *w = watch_new(st, NODE, cat, cal);
    int64_t far;
    if (calendar_parse_date("2100-01-01", 10, &far) != 0)
        exit(1);
    struct desk_options dopt = {far, NULL, 0}; /* no patrol days judged */
    desk_t *dk = desk_new(st, NODE, cal, &dopt);
    struct event_set set;
    event_set_init(&set);
    memset(spent, 0, STAGES * sizeof *spent);
    int64_t at = 0;
    for (size_t m = 0; m < n; m++) {
        bool last = m == n - 1;
        double t0 = cpu_s();
        if ((rc = event_parse_message(msgs[m].data, msgs[m].len, "510104", &set)) != 0)
            fail("event_parse_message", rc);
        double t1 = cpu_s();
        struct intake_result ir;
        if ((rc = intake_commit(st, NODE, &set, NULL, MESSAGE, 0, &ir)) != 0)
            fail("intake_commit", rc);
        double t2 = cpu_s();
        spent[PARSE] += t1 - t0;
        spent[INTAKE] += t2 - t1;
        if (set.n_entries)
            at = set.entries[set.n_entries - 1].at_ms; /* the clock follows the events */
        if ((m + 1) % every != 0 && !last)
            continue;
        struct watch_result wr;
        do {
            if ((rc = watch_run(w, at, MESSAGE, 20000, &wr)) != 0)
                fail("watch_run", rc);
        } while (wr.more);
        double t3 = cpu_s();
        struct desk_result dr;
        if ((rc = desk_run(dk, at, MESSAGE, &dr)) != 0)
            fail("desk_run", rc);
        double t4 = cpu_s();
        spent[PASS] += t3 - t2;
        spent[DESK] += t4 - t3;
        if ((m + 1) % count_every != 0 && !last)
            continue;
        struct counter_refresh_result cr;
        do {
            if ((rc = counter_refresh(st, NODE, cat, cal, at, MESSAGE, &cr)) != 0)
                fail("counter_refresh", rc);
        } while (cr.more);
        spent[COUNT] += cpu_s() - t4;
    }
    event_set_fini(&set);
    watch_destroy(&w);
    desk_destroy(&dk);
    store_close(&st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    bench_run(cmd);
}

static void
usage(FILE *to)
{
    fprintf(to,
            "usage: jiancha-bench-stages [--events N] [--runs R] [--hours H] [--pass-every M]\n"
            "                            [--count-every K] [--bin BUILD_DIR]\n"
            "  --events N       events generated (default 200000), sent in msgpack messages of "
            "1000\n"
            "  --runs R         runs over a fresh store each, 1..32 (default 3)\n"
            "  --hours H        hours the events spread over (default 24)\n"
            "  --pass-every M   a rules pass and a desk pass every M messages (default 20)\n"
            "  --count-every K  the counters counted again every K messages (default 50)\n"
            "  --bin DIR        the build directory holding bench/jiancha-eventgen (default "
            "build)\n"
            "Prints the CPU microseconds per event of each stage (parse, intake, rules pass, desk, "
            "counters),\nper run and as medians taken stage by stage.\n");
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"events", required_argument, NULL, 'e'},
        {"runs", required_argument, NULL, 'r'},
        {"hours", required_argument, NULL, 'h'},
        {"pass-every", required_argument, NULL, 'p'},
        {"count-every", required_argument, NULL, 'c'},
        {"bin", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    uint64_t events = 200000;
    int runs = 3;
    unsigned hours = 24, every = 20, count_every = 50;
    const char *bin = "build";
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'e':
            events = strtoull(optarg, NULL, 10);
            break;
        case 'r':
            runs = atoi(optarg);
            break;
        case 'h':
            hours = (unsigned)atoi(optarg);
            break;
        case 'p':
            every = (unsigned)atoi(optarg);
            break;
        case 'c':
            count_every = (unsigned)atoi(optarg);
            break;
        case 'b':
            bin = optarg;
            break;
        case '?':
            usage(stderr);
            return 2;
        default:
            usage(stdout);
            return 0;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "bench: unexpected argument %s\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (runs < 1 || runs > 32 || events < MESSAGE || hours < 1 || every < 1 || count_every < 1) {
        fprintf(stderr, "bench: --runs 1..32, --events >= %d, the others >= 1\n", MESSAGE);
        return 2;
    }
    char err[512];
    catalog_t *cat = NULL;
    calendar_t *cal = NULL;
    if (catalog_load(BENCH_SOURCE "/config/catalog.json", &cat, err, sizeof err) != 0 ||
        calendar_load(BENCH_SOURCE "/config/cn-workdays.tsv", &cal, err, sizeof err) != 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    struct wire_buf *msgs = NULL;
    uint64_t records = 0;
    size_t n = messages(bin, events, hours, &msgs, &records);
    double per[STAGES][32], total[32];
    printf("stages bench: %llu msgpack events in %zu messages of up to %d over %u hours, a "
           "rules pass every %u messages, the counters every %u, runs: %d; CPU us per event\n",
           (unsigned long long)records, n, MESSAGE, hours, every, count_every, runs);
    for (int r = 0; r < runs; r++) {
        double spent[STAGES];
        run(cat, cal, msgs, n, every, count_every, spent);
        total[r] = 0;
        printf("run %d:", r + 1);
        for (int s = 0; s < STAGES; s++) {
            per[s][r] = spent[s] / (double)records * 1e6;
            total[r] += per[s][r];
            printf(" %s %.2f%s", stage_names[s], per[s][r], s + 1 < STAGES ? "," : "");
        }
        printf(" | total %.2f\n", total[r]);
        fflush(stdout);
    }
    printf("median:");
    for (int s = 0; s < STAGES; s++)
        printf(" %s %.2f%s", stage_names[s], bench_median(per[s], runs), s + 1 < STAGES ? "," : "");
    double t = bench_median(total, runs);
    printf(" | total %.2f us/event, a CPU bound of %.0f events/s on one core\n", t, 1e6 / t);
    for (size_t i = 0; i < n; i++)
        wire_buf_fini(&msgs[i]);
    free(msgs);
    catalog_destroy(&cat);
    calendar_destroy(&cal);
    return 0;
}
