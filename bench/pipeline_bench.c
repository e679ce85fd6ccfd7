/* pipeline_bench: durable intake and collector -> aggregator throughput, CPU and memory.
 *
 *   jiancha-bench-pipeline [--events N] [--runs R] [--chunk LINES] [--tiers 2|3] [--probes N]
 *                          [--curve] [--rules] [--format json|msgpack|both] [--input FILE]
 *                          [--bin BUILD_DIR]
 *
 * Each run starts a real aggregator and collector (fresh stores, fresh keys, loopback TCP) and,
 * with --tiers 3, a province above the aggregator (the county's signature is checked at the city
 * and again at the province; with --curve on certificates from a fresh PKI and CurveZMQ on every
 * link), and streams N generated events into the collector's intake with 8
 * chunks in flight. It reports:
 *   intake   events/s from the first send to the last committed reply (durable at the collector)
 *   e2e      events/s from the first send until the top tier's store holds all N
 *   cpu      µs of CPU (user + system) per event for each daemon
 *   memory   peak RssAnon and RssFile of each daemon (the LMDB map shows up as RssFile)
 * and prints the median of every figure over the runs, once with JSON Lines messages and once with
 * the same events as msgpack arrays. With --rules the collector does what a county's always does:
 * it judges with the sample catalogue and the calendar (the rules pass, the desk) and counts its
 * day sheets every second, and the run also reports
 *   judged   events/s from the first send until the rules pass has judged all N.
 *
 * With --probes N (3 tiers, the collector judging with the catalogue) it then sends N single events
 * one at a time, half of them raising a red alert at once (a case for an item the catalogue does
 * not list) and half ordinary, and reports the median and p99 time from the send until the
 * province's store holds the alert (flushed at once at every tier) or the ordinary event (sealed
 * by the batch timers). --input takes the events from a JSON Lines file (bench/compare-rsyslog.sh
 * feeds the same lines to rsyslog) instead of generating them. Nothing here asserts on speed.
 */
#include "err.h"
#include "event.h"
#include "mem.h"
#include "store.h"
#include "timestamp.h"

#include "benchproc.h"

#include <czmq.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IN_FLIGHT 8

struct figures {
    double intake_eps, judged_eps, e2e_eps;
    double col_cpu_us, agg_cpu_us;
    double col_anon_mib, col_file_mib, agg_anon_mib, agg_file_mib;
};

static char *bin_dir;
static int tiers = 2;
static bool curve; /* certificates and CurveZMQ on every link */
static bool rules; /* the collector judges (--rules) */

struct chunks {
    char **body;
    size_t *len;
    size_t n;
};

/* Returns the number of lines read. */
static uint64_t
load_chunks(const char *file, size_t lines_per_chunk, struct chunks *c)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "bench: cannot read %s\n", file);
        exit(1);
    }
    uint64_t lines = 0;
    char *line = NULL;
    size_t cap = 0, in_chunk = 0, bcap = 0, ccap = 0;
    ssize_t len;
    memset(c, 0, sizeof *c);
    while ((len = getline(&line, &cap, f)) > 0) {
        if (in_chunk == 0) {
            if (c->n == ccap) {
                ccap = ccap ? 2 * ccap : 1024;
                c->body = xrealloc(c->body, ccap * sizeof *c->body);
                c->len = xrealloc(c->len, ccap * sizeof *c->len);
            }
            c->body[c->n] = NULL;
            c->len[c->n] = 0;
            bcap = 0;
            c->n++;
        }
        size_t k = c->n - 1;
        if (c->len[k] + (size_t)len > bcap) {
            bcap = (c->len[k] + (size_t)len) * 2;
            c->body[k] = xrealloc(c->body[k], bcap);
        }
        memcpy(c->body[k] + c->len[k], line, (size_t)len);
        c->len[k] += (size_t)len;
        lines++;
        if (++in_chunk == lines_per_chunk)
            in_chunk = 0;
    }
    free(line);
    fclose(f);
    return lines;
}

struct tree {
    pid_t province, city, col; /* province is 0 with two tiers */
};

/* The county collector under a city aggregator, and with --tiers 3 the province above it. The
 * collector judges with the catalogue when `rules`. */
/* Certificates for the three nodes from a fresh root and issuer, in DIR/trust (keys in DIR/keys),
 * made with the CLI as an administrator would. */
static void
pki(const char *dir)
{
    static const char *const nodes[][2] = {
        {"510000", ""}, {"510100", "510000"}, {"510104", "510100"}};
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "(J=%s/cli/jiancha; D=%s; $J keys root-init --node 510000 --out $D/offline && "
             "$J keys issuer-init --root $D/offline/root.1.secret --root-doc $D/offline/root.1.jc "
             "--out $D/admin && mkdir -p $D/trust && cp $D/offline/root.1.jc $D/admin/issuer.1.jc "
             "$D/trust/) >/dev/null",
             bin_dir, dir);
    bench_run(cmd);
    for (int i = 0; i < 3; i++) {
        snprintf(cmd, sizeof cmd,
                 "(J=%s/cli/jiancha; D=%s; $J keys request --node %s %s%s --out $D/keys && "
                 "$J keys issue --issuer $D/admin/issuer.secret --issuer-cert $D/admin/issuer.1.jc "
                 "--request $D/keys/%s.g1.request.jc --serial %d --out $D/certs && "
                 "$J keys install --cert $D/certs/%s.%d.cert --trust $D/trust) >/dev/null",
                 bin_dir, dir, nodes[i][0], *nodes[i][1] ? "--parent " : "", nodes[i][1],
                 nodes[i][0], 100 + i, nodes[i][0], 100 + i);
        bench_run(cmd);
    }
}

static void
start_tree(const char *dir, bool judging, struct tree *tr)
{
    char cmd[2048], ep[256] = "", text[4096];
    if (curve) {
        pki(dir);
    } else {
        for (int i = 0; i < 3; i++) {
            static const char *const nodes[] = {"510104", "510100", "510000"};
            snprintf(cmd, sizeof cmd, "%s/cli/jiancha keys gen --node %s --out %s/keys >/dev/null",
                     bin_dir, nodes[i], dir);
            bench_run(cmd);
        }
    }
    /* key files and the lines that put a link on CurveZMQ */
    const char *trust = curve ? "trust" : "keys", *gen = curve ? ".g1" : "";
    char listen_curve[3][1200], uplink_curve[3][1200]; /* province, city, county */
    static const char *const code[] = {"510000", "510100", "510104"};
    for (int i = 0; i < 3; i++) {
        listen_curve[i][0] = uplink_curve[i][0] = '\0';
        if (!curve)
            continue;
        snprintf(listen_curve[i], sizeof listen_curve[i],
                 "    curve_key = %s/keys/%s.g1.curve-secret\n", dir, code[i]);
        if (i > 0)
            snprintf(uplink_curve[i], sizeof uplink_curve[i],
                     "    server_key = %s/keys/%s.g1.curve-pub\n", dir, code[i - 1]);
    }
    tr->province = 0;
    if (tiers == 3) {
        snprintf(text, sizeof text,
                 "aggregator\n    node = 510000\n    data = %s/province\n    keys = %s/%s\n"
                 "listen\n    endpoint = tcp://127.0.0.1:*\n%slog\n    level = warn\n",
                 dir, dir, trust, listen_curve[0]);
        tr->province = bench_start_daemon(bin_dir, dir, "province", "aggregator", text);
        bench_endpoint_of(dir, "province", ep);
    }
    int n = snprintf(text, sizeof text,
                     "aggregator\n    node = 510100\n    data = %s/agg\n    keys = %s/%s\n"
                     "listen\n    endpoint = tcp://127.0.0.1:*\n%slog\n    level = warn\n",
                     dir, dir, trust, listen_curve[1]);
    if (tiers == 3)
        snprintf(text + n, sizeof text - (size_t)n,
                 "aggregator\n    key = %s/keys/510100%s.secret\nuplink\n    endpoint = %s\n%s",
                 dir, gen, ep, uplink_curve[1]);
    tr->city = bench_start_daemon(bin_dir, dir, "agg", "aggregator", text);
    bench_endpoint_of(dir, "agg", ep);
    n = snprintf(
        text, sizeof text,
        "collector\n    node = 510104\n    data = %s/col\n    key = %s/keys/510104%s.secret\n"
        "uplink\n    endpoint = %s\n%slog\n    level = warn\n",
        dir, dir, gen, ep, curve ? uplink_curve[2] : "");
    if (judging)
        snprintf(text + n, sizeof text - (size_t)n,
                 "rules\n    catalog = %s/config/catalog.json\n"
                 "    calendar = %s/config/cn-workdays.tsv\n"
                 "counters\n    interval_ms = %d\n", /* --rules counts; the probes wait for none */
                 BENCH_SOURCE, BENCH_SOURCE, rules ? 1000 : 86400000);
    tr->col = bench_start_daemon(bin_dir, dir, "col", "collector", text);
    char path[1024];
    snprintf(path, sizeof path, "%s/col/intake.sock", dir);
    for (int i = 0; i < 200 && access(path, F_OK) != 0; i++)
        bench_sleep_us(20000);
    bench_sleep_us(200000); /* sessions open */
}

static void
stop_tree(const char *dir, struct tree *tr)
{
    pid_t pids[] = {tr->col, tr->city, tr->province};
    for (int i = 0; i < 3; i++)
        if (pids[i])
            kill(pids[i], SIGTERM);
    for (int i = 0; i < 3; i++)
        if (pids[i])
            waitpid(pids[i], NULL, 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    bench_run(cmd);
}

static void
one_run(int run, const struct chunks *ch, uint64_t events, struct figures *fg)
{
    char dir[] = "/tmp/jiancha-bench-XXXXXX";
    if (!mkdtemp(dir))
        exit(1);
    struct tree tr;
    start_tree(dir, rules, &tr);
    pid_t agg = tr.city, col = tr.col;
    char path[1024];
    snprintf(path, sizeof path, "%s/col/intake.sock", dir);

    zsock_t *s = zsock_new(ZMQ_DEALER);
    zsock_connect(s, "ipc://%s", path);
    double col_cpu0 = bench_cpu_seconds(col), agg_cpu0 = bench_cpu_seconds(agg);
    int64_t t0 = timestamp_now_ms();
    size_t sent = 0, answered = 0;
    double col_anon = 0, col_file = 0, agg_anon = 0, agg_file = 0;
    while (answered < ch->n) {
        while (sent < ch->n && sent - answered < IN_FLIGHT) {
            zmsg_t *m = zmsg_new();
            zmsg_addmem(m, "", 0);
            zmsg_addmem(m, ch->body[sent], ch->len[sent]);
            zmsg_send(&m, s);
            sent++;
        }
        char *e = zstr_recv(s);
        char *r = zstr_recv(s);
        if (!r || strstr(r, "\"error\"") || !strstr(r, "\"rejected\":[]") ||
            strstr(r, "\"accepted\":0")) {
            fprintf(stderr, "bench: intake failed: %s\n", r ? r : "no reply");
            exit(1);
        }
        zstr_free(&e);
        zstr_free(&r);
        if (++answered % 100 == 0) {
            bench_rss(col, &col_anon, &col_file);
            bench_rss(agg, &agg_anon, &agg_file);
        }
    }
    int64_t t_intake = timestamp_now_ms(), t_judged = t_intake;
    snprintf(path, sizeof path, "%s/col", dir);
    while (rules && bench_judged(path) < events)
        bench_sleep_us(2000);
    t_judged = timestamp_now_ms();
    snprintf(path, sizeof path, "%s/%s", dir, tiers == 3 ? "province" : "agg");
    while (bench_stored(path) < events) {
        bench_rss(col, &col_anon, &col_file);
        bench_rss(agg, &agg_anon, &agg_file);
        bench_sleep_us(2000);
    }
    int64_t t_e2e = timestamp_now_ms();
    double col_cpu = bench_cpu_seconds(col) - col_cpu0, agg_cpu = bench_cpu_seconds(agg) - agg_cpu0;
    zsock_destroy(&s);
    stop_tree(dir, &tr);

    fg->intake_eps = (double)events * 1000.0 / (double)(t_intake - t0);
    fg->judged_eps = (double)events * 1000.0 / (double)(t_judged - t0);
    fg->e2e_eps = (double)events * 1000.0 / (double)(t_e2e - t0);
    fg->col_cpu_us = col_cpu * 1e6 / (double)events;
    fg->agg_cpu_us = agg_cpu * 1e6 / (double)events;
    fg->col_anon_mib = col_anon;
    fg->col_file_mib = col_file;
    fg->agg_anon_mib = agg_anon;
    fg->agg_file_mib = agg_file;
    printf("run %d: intake %.0f ev/s, judged %.0f ev/s, e2e %.0f ev/s, cpu collector %.2f us/ev "
           "aggregator %.2f "
           "us/ev, RssAnon collector %.1f MiB aggregator %.1f MiB, RssFile collector %.1f MiB "
           "aggregator %.1f MiB\n",
           run, fg->intake_eps, fg->judged_eps, fg->e2e_eps, fg->col_cpu_us, fg->agg_cpu_us,
           fg->col_anon_mib, fg->agg_anon_mib, fg->col_file_mib, fg->agg_file_mib);
    fflush(stdout);
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
percentile(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)(p * (double)n + 0.999999);
    return v[i ? i - 1 : 0];
}

/* Event -> province latency, one probe at a time (see the header comment). */
static void
probe_run(int probes)
{
    char dir[] = "/tmp/jiancha-bench-XXXXXX";
    if (!mkdtemp(dir))
        exit(1);
    struct tree tr;
    start_tree(dir, true, &tr);
    char path[1024], top[1024];
    snprintf(path, sizeof path, "%s/col/intake.sock", dir);
    snprintf(top, sizeof top, "%s/province", dir);
    zsock_t *s = zsock_new(ZMQ_DEALER);
    zsock_connect(s, "ipc://%s", path);
    double *alert_ms = xcalloc((size_t)probes, sizeof *alert_ms);
    double *bulk_ms = xcalloc((size_t)probes, sizeof *bulk_ms);
    size_t na = 0, nb = 0;
    for (int i = 0; i < 2 * probes; i++) {
        bool alert = i % 2 == 0;
        char line[512];
        int64_t now = timestamp_now_ms();
        if (alert)
            snprintf(line, sizeof line,
                     "{\"type\":\"case.accept\",\"id\":\"probe-%d\",\"at\":%lld,\"case\":"
                     "\"PROBE-%d\",\"item\":\"NOT-IN-CATALOGUE\",\"dept\":\"SCJGJ\","
                     "\"handler\":\"H1\"}\n",
                     i, (long long)now, i);
        else
            snprintf(line, sizeof line,
                     "{\"type\":\"staff.credential\",\"id\":\"probe-%d\",\"at\":%lld,"
                     "\"handler\":\"P%d\",\"dept\":\"SCJGJ\",\"categories\":[\"penalty\"],"
                     "\"valid_from\":\"2026-01-01T00:00:00+08:00\","
                     "\"valid_until\":\"2027-12-31T00:00:00+08:00\"}\n",
                     i, (long long)now, i);
        uint64_t base = bench_stored(top);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        zmsg_t *m = zmsg_new();
        zmsg_addmem(m, "", 0);
        zmsg_addstr(m, line);
        zmsg_send(&m, s);
        char *e = zstr_recv(s), *r = zstr_recv(s);
        if (!r || !strstr(r, "\"accepted\":1")) {
            fprintf(stderr, "bench: probe refused: %s\n", r ? r : "no reply");
            exit(1);
        }
        zstr_free(&e);
        zstr_free(&r);
        /* the alert probe brings its event and its alert record; the other its event */
        uint64_t want = base + (alert ? 2 : 1);
        for (int w = 0; bench_stored(top) < want; w++) {
            if (w > 200000) {
                fprintf(stderr, "bench: probe %d never reached the province\n", i);
                exit(1);
            }
            bench_sleep_us(100);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        if (alert)
            alert_ms[na++] = ms;
        else
            bulk_ms[nb++] = ms;
    }
    zsock_destroy(&s);
    stop_tree(dir, &tr);
    double a50 = percentile(alert_ms, na, 0.5), a99 = percentile(alert_ms, na, 0.99);
    double b50 = percentile(bulk_ms, nb, 0.5), b99 = percentile(bulk_ms, nb, 0.99);
    printf("latency county -> city -> province, %d probes each: red alert queryable at the "
           "province median %.2f ms p99 %.2f ms (%.2fx of the 10 ms goal); ordinary event median "
           "%.2f ms p99 %.2f ms (%.2fx of the 100 ms goal)\n",
           probes, a50, a99, a99 / 10.0, b50, b99, b99 / 100.0);
    free(alert_ms);
    free(bulk_ms);
}

static double
median(struct figures *f, int runs, size_t offset)
{
    double v[64];
    for (int i = 0; i < runs; i++)
        v[i] = *(double *)((char *)&f[i] + offset);
    qsort(v, (size_t)runs, sizeof v[0], cmp_double);
    return runs % 2 ? v[runs / 2] : (v[runs / 2 - 1] + v[runs / 2]) / 2;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"events", required_argument, NULL, 'e'},
        {"runs", required_argument, NULL, 'r'},
        {"chunk", required_argument, NULL, 'c'},
        {"bin", required_argument, NULL, 'b'},
        {"tiers", required_argument, NULL, 't'},
        {"probes", required_argument, NULL, 'p'},
        {"curve", no_argument, NULL, 'C'},
        {"rules", no_argument, NULL, 'R'},
        {"format", required_argument, NULL, 'f'},
        {"input", required_argument, NULL, 'i'},
        {NULL, 0, NULL, 0},
    };
    int probes = 0;
    const char *input = NULL; /* JSON Lines; NULL = generate */
    int formats = 3;          /* bit 0 JSON Lines, bit 1 msgpack */
    uint64_t events = 1000000;
    int runs = 3;
    size_t chunk = 1000;
    bin_dir = xstrdup("build");
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'e':
            events = strtoull(optarg, NULL, 10);
            break;
        case 'r':
            runs = atoi(optarg);
            break;
        case 'c':
            chunk = (size_t)strtoul(optarg, NULL, 10);
            break;
        case 't':
            tiers = atoi(optarg);
            break;
        case 'p':
            probes = atoi(optarg);
            break;
        case 'C':
            curve = true;
            break;
        case 'R':
            rules = true;
            break;
        case 'i':
            input = optarg;
            break;
        case 'f':
            formats = !strcmp(optarg, "json")      ? 1
                      : !strcmp(optarg, "msgpack") ? 2
                      : !strcmp(optarg, "both")    ? 3
                                                   : 0;
            break;
        case 'b':
            free(bin_dir);
            bin_dir = xstrdup(optarg);
            break;
        default:
            return 2;
        }
    }
    if (runs < 1 || runs > 64 || events == 0 || chunk == 0 || (tiers != 2 && tiers != 3) ||
        probes < 0 || (probes && tiers != 3) || (curve && tiers != 3) || !formats)
        return 2;
    zsys_init();
    zsys_set_logstream(NULL);
    struct chunks chs;
    if (input) {
        events = load_chunks(input, chunk, &chs);
    } else {
        char file[] = "/tmp/jiancha-bench-events-XXXXXX";
        int fd = mkstemp(file);
        close(fd);
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "%s/bench/jiancha-eventgen --count %llu --hours 24 > %s", bin_dir,
                 (unsigned long long)events, file);
        bench_run(cmd);
        load_chunks(file, chunk, &chs);
        unlink(file);
    }
    for (int format = 0; format < 2; format++) {
        if (format == 1) {
            /* The same events as msgpack arrays, converted before any clock starts. */
            for (size_t i = 0; i < chs.n; i++) {
                struct wire_buf mp;
                size_t bad;
                wire_buf_init(&mp);
                if (event_jsonl_to_msgpack(chs.body[i], chs.len[i], &mp, &bad) < 0)
                    return 1;
                free(chs.body[i]);
                chs.body[i] = (char *)mp.data;
                chs.len[i] = mp.len;
            }
        }
        if (!(formats & (1 << format)))
            continue;
        const char *fmt = format ? "msgpack" : "json";
        printf("pipeline bench (%s, %d tiers%s): %llu events in %zu messages of %zu, %d runs, 8 "
               "messages in flight\n",
               fmt, tiers, curve ? ", certificates and CurveZMQ" : "", (unsigned long long)events,
               chs.n, chunk, runs);
        struct figures f[64];
        for (int r = 0; r < runs; r++)
            one_run(r + 1, &chs, events, &f[r]);
        printf(
            "median (%s): intake %.0f ev/s | judged %.0f ev/s | collector->aggregator %.0f ev/s | "
            "cpu us/ev collector "
            "%.2f aggregator %.2f | RssAnon MiB collector %.1f aggregator %.1f | RssFile MiB "
            "collector %.1f aggregator %.1f\n",
            fmt, median(f, runs, offsetof(struct figures, intake_eps)),
            median(f, runs, offsetof(struct figures, judged_eps)),
            median(f, runs, offsetof(struct figures, e2e_eps)),
            median(f, runs, offsetof(struct figures, col_cpu_us)),
            median(f, runs, offsetof(struct figures, agg_cpu_us)),
            median(f, runs, offsetof(struct figures, col_anon_mib)),
            median(f, runs, offsetof(struct figures, agg_anon_mib)),
            median(f, runs, offsetof(struct figures, col_file_mib)),
            median(f, runs, offsetof(struct figures, agg_file_mib)));
        /* The goals of issue 17 (docs/performance.md): the county's real path 300k, intake 600k,
         * collector -> aggregator 400k, three tiers 250k, collector CPU 1.5 us/event. */
        printf("ratios to the goals (%s): intake %.2fx of 600k, %s%.2fx of %s, collector CPU "
               "%.2fx of 1.5 us (lower is better), collector RssAnon %.2fx of the 16 MiB cap\n",
               fmt, median(f, runs, offsetof(struct figures, intake_eps)) / 600000.0,
               rules ? "judged " : "e2e ",
               (rules ? median(f, runs, offsetof(struct figures, judged_eps))
                      : median(f, runs, offsetof(struct figures, e2e_eps))) /
                   (rules        ? 300000.0
                    : tiers == 3 ? 250000.0
                                 : 400000.0),
               rules        ? "300k"
               : tiers == 3 ? "250k (3 tiers)"
                            : "400k",
               median(f, runs, offsetof(struct figures, col_cpu_us)) / 1.5,
               median(f, runs, offsetof(struct figures, col_anon_mib)) / 16.0);
    }
    if (probes)
        probe_run(probes);
    for (size_t i = 0; i < chs.n; i++)
        free(chs.body[i]);
    free(chs.body);
    free(chs.len);
    free(bin_dir);
    return 0;
}
