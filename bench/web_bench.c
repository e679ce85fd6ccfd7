/* web_bench: how fast the centre's screen answers over a county's store of a million events.
 *
 *   jiancha-bench-web [--events N] [--requests K] [--bin BUILD] [--store DIR]
 *
 * Builds the store with the rules bench (N events through intake, the rules pass, the desk and
 * the day sheets; --store reuses one it kept), gives it a roster, then runs the real daemons over
 * it: jiancha-collector (whose intake logs every read) and jiancha-web. Signs in with a link, then
 * asks each API path K times in a row, one connection per request as a browser's first visit
 * would, and prints the median and the 99th percentile per path, every read logged at the node
 * (one intake commit each, fsync included). Nothing here asserts on speed.
 */
#include "bundle.h"
#include "err.h"
#include "mem.h"
#include "sign.h"
#include "signin.h"
#include "store.h"
#include "timestamp.h"

#include "benchproc.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NODE 510104

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile of v (sorted in place), q in [0, 1]. */
static double
quantile(double *v, size_t n, double q)
{
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* One HTTP/1.1 GET on a fresh connection: the status, and the body's length; the response
 * headers are kept in head (for the sign-in's cookie). -1 when the screen cannot be reached. */
static int
get(int port, const char *path, const char *cookie, size_t *body_len, char *head, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char req[4096];
    int n = snprintf(
        req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%sConnection: close\r\n\r\n",
        path, cookie ? "Cookie: jiancha_session=" : "", cookie ? cookie : "", cookie ? "\r\n" : "");
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    struct wire_buf in;
    wire_buf_init(&in);
    char buf[65536];
    ssize_t got;
    while ((got = read(fd, buf, sizeof buf)) > 0)
        wire_buf_append(&in, buf, (size_t)got);
    close(fd);
    wire_buf_append(&in, "", 1);
    int status = -1;
    const char *text = (const char *)in.data;
    const char *end = strstr(text, "\r\n\r\n");
    if (sscanf(text, "HTTP/1.1 %d", &status) != 1 || !end)
        status = -1;
    if (end && head)
        snprintf(head, cap, "%.*s", (int)(end - text), text);
    *body_len = end ? in.len - 1 - (size_t)(end + 4 - text) : 0;
    wire_buf_fini(&in);
    return status;
}

static bool
wait_for(const char *path, int seconds)
{
    struct stat st;
    for (int i = 0; i < seconds * 20; i++) {
        if (stat(path, &st) == 0 && st.st_size >= 0)
            return true;
        sleep_ms(50);
    }
    return false;
}

/* The roster: one supervisor of the county, "bench", as the province would publish it. */
struct roster_args {
    const sign_key_t *publisher;
    const char *text;
};

static int
keep_roster(store_txn_t *t, void *arg)
{
    const struct roster_args *r = arg;
    struct bundle b = {.kind = "operators",
                       .version = 1,
                       .published_ms = timestamp_now_ms(),
                       .publisher = "510000",
                       .body = r->text,
                       .body_len = strlen(r->text)};
    struct wire_buf doc;
    wire_buf_init(&doc);
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    bundle_make(r->publisher, &b, &doc, sig);
    struct bundle opened;
    bool taken;
    int rc = bundle_peek(doc.data, doc.len, &opened);
    if (rc == 0)
        rc = bundle_keep(t, NODE, 0, &opened, doc.data, doc.len, sig, sizeof sig,
                         timestamp_now_ms(), &taken);
    wire_buf_fini(&doc);
    return rc;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"events", required_argument, NULL, 'e'},
        {"requests", required_argument, NULL, 'k'},
        {"bin", required_argument, NULL, 'b'},
        {"store", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    unsigned long long events = 1000000;
    int requests = 200;
    const char *bin = "build", *store_dir = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'e')
            events = strtoull(optarg, NULL, 10);
        else if (ch == 'k')
            requests = atoi(optarg);
        else if (ch == 'b')
            bin = optarg;
        else if (ch == 's')
            store_dir = optarg;
        else
            return 2;
    }
    if (requests < 10 || sign_init() != 0)
        return 2;
    char work[] = "/tmp/jiancha-bench-web-XXXXXX";
    if (!mkdtemp(work))
        return 1;
    char data[256], cmd[1024];
    if (store_dir)
        snprintf(data, sizeof data, "%s", store_dir);
    else
        snprintf(data, sizeof data, "%s/county", work);
    if (!store_dir) {
        printf("building a county store of %llu events with the rules bench...\n", events);
        fflush(stdout);
        snprintf(cmd, sizeof cmd,
                 "%s/bench/jiancha-bench-rules --events %llu --runs 1 --bin %s --keep %s "
                 ">/dev/null",
                 bin, events, bin, data);
        if (system(cmd) != 0) {
            fprintf(stderr, "bench: the rules bench failed\n");
            return 1;
        }
    }
    /* keys: the county's, the province's publisher, and the operator's */
    snprintf(cmd, sizeof cmd, "%s/keys", work);
    if (sign_keypair_write("510104", cmd) != 0)
        return 1;
    sign_key_t *publisher = sign_key_generate(), *op = sign_key_generate();
    char pk[2 * SIGN_PUBLIC_BYTES + 1];
    sign_to_hex(sign_key_public(op), SIGN_PUBLIC_BYTES, pk);
    char roster[512];
    snprintf(roster, sizeof roster,
             "{\"version\": 1, \"operators\": [{\"name\": \"bench\", \"role\": \"supervisor\", "
             "\"node\": \"510104\", \"key\": \"%s\"}]}",
             pk);
    store_t *st = NULL;
    struct store_options so = {0};
    struct roster_args ra = {publisher, roster};
    if (store_open(data, &so, &st) != 0 || store_write(st, keep_roster, &ra) != 0) {
        fprintf(stderr, "bench: cannot give the store a roster\n");
        return 1;
    }
    store_close(&st);

    char ccfg[300], wcfg[300], port_file[300], sock[300], log[300], exe[300];
    snprintf(ccfg, sizeof ccfg, "%s/collector.cfg", work);
    snprintf(wcfg, sizeof wcfg, "%s/web.cfg", work);
    snprintf(port_file, sizeof port_file, "%s/web.port", work);
    snprintf(sock, sizeof sock, "%s/intake.sock", data);
    snprintf(log, sizeof log, "%s/daemons.log", work);
    FILE *f = fopen(ccfg, "w");
    fprintf(
        f,
        "collector\n    node = 510104\n    data = %s\n    key = %s/keys/510104.secret\n"
        "uplink\n    endpoint = tcp://127.0.0.1:9\nrules\n    catalog = %s/config/catalog.json\n"
        "    calendar = %s/config/cn-workdays.tsv\nlog\n    level = warn\n",
        data, work, BENCH_SOURCE, BENCH_SOURCE);
    fclose(f);
    f = fopen(wcfg, "w");
    fprintf(
        f,
        "web\n    node = 510104\n    data = %s\n    intake = ipc://%s\n    listen = 127.0.0.1:0\n"
        "    port_file = %s\n    pages = %s/web/pages\n    calendar = %s/config/cn-workdays.tsv\n"
        "    catalog = %s/config/catalog.json\n    regions = %s/config/regions.tsv\n"
        "log\n    level = warn\n",
        data, sock, port_file, BENCH_SOURCE, BENCH_SOURCE, BENCH_SOURCE, BENCH_SOURCE);
    fclose(f);
    unlink(sock);
    snprintf(exe, sizeof exe, "%s/collector/jiancha-collector", bin);
    pid_t collector = bench_spawn(exe, ccfg, log);
    if (!wait_for(sock, 30)) {
        fprintf(stderr, "bench: the collector did not start (%s)\n", log);
        return 1;
    }
    snprintf(exe, sizeof exe, "%s/web/jiancha-web", bin);
    pid_t web = bench_spawn(exe, wcfg, log);
    if (!wait_for(port_file, 30)) {
        fprintf(stderr, "bench: the screen did not start (%s)\n", log);
        kill(collector, SIGTERM);
        return 1;
    }
    sleep_ms(200);
    f = fopen(port_file, "r");
    int port = 0;
    if (!f || fscanf(f, "%d", &port) != 1)
        return 1;
    fclose(f);

    /* sign in */
    char base[64], head[8192], cookie[80] = "";
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    char *link = signin_link_make(base, op, "bench", NODE, timestamp_now_ms());
    size_t len;
    int status = get(port, strstr(link, "/signin"), NULL, &len, head, sizeof head);
    const char *c = strstr(head, "jiancha_session=");
    if (status != 303 || !c || sscanf(c, "jiancha_session=%64[0-9a-f]", cookie) != 1) {
        fprintf(stderr, "bench: sign-in failed (%d)\n%s\n", status, head);
        kill(web, SIGTERM);
        kill(collector, SIGTERM);
        return 1;
    }
    free(link);

    /* an alert id for the drill-down */
    char alert_path[128] = "/api/v1/alerts/none";
    {
        char tmp[512];
        snprintf(tmp, sizeof tmp,
                 "curl -s -H 'Cookie: jiancha_session=%s' '%s/api/v1/alerts?limit=1' | "
                 "sed -n 's/.*\"id\":\"\\(A-[0-9a-f]*\\)\".*/\\1/p'",
                 cookie, base);
        FILE *p = popen(tmp, "r");
        char id[64] = "";
        if (p && fgets(id, sizeof id, p))
            snprintf(alert_path, sizeof alert_path, "/api/v1/alerts/%.*s", (int)strcspn(id, "\n"),
                     id);
        if (p)
            pclose(p);
    }
    const char *paths[] = {
        "/api/v1/me",
        "/api/v1/alerts",
        "/api/v1/alerts?light=red&state=standing&limit=100",
        alert_path,
        "/api/v1/nodes",
        "/api/v1/supervision",
        "/api/v1/scores?period=2026-11",
        "/api/v1/patrols?period=2026-11",
        "/api/v1/trends?to=2026-11&months=12",
    };
    printf("%-52s %9s %9s %9s %9s %s\n", "path", "first ms", "median ms", "p99 ms", "max ms",
           "bytes");
    double *lat = xcalloc((size_t)requests, sizeof *lat);
    double worst_p99 = 0;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        double first = 0;
        size_t bytes = 0;
        for (int k = 0; k < requests; k++) {
            double a = now_s();
            status = get(port, paths[i], cookie, &bytes, NULL, 0);
            lat[k] = (now_s() - a) * 1e3;
            if (status != 200) {
                fprintf(stderr, "bench: %s answered %d\n", paths[i], status);
                kill(web, SIGTERM);
                kill(collector, SIGTERM);
                return 1;
            }
            if (k == 0)
                first = lat[0];
        }
        double med = quantile(lat, (size_t)requests, 0.5);
        double p99 = quantile(lat, (size_t)requests, 0.99);
        double max = lat[requests - 1];
        worst_p99 = p99 > worst_p99 ? p99 : worst_p99;
        printf("%-52s %9.1f %9.1f %9.1f %9.1f %zu\n", paths[i], first, med, p99, max, bytes);
        fflush(stdout);
    }
    printf("worst p99 over the paths: %.1f ms (%d requests each, every one logged at the node; "
           "%llu events in the store)\n",
           worst_p99, requests, store_dir ? 0ULL : events);
    free(lat);
    kill(web, SIGTERM);
    kill(collector, SIGTERM);
    waitpid(web, NULL, 0);
    waitpid(collector, NULL, 0);
    sign_key_destroy(&publisher);
    sign_key_destroy(&op);
    snprintf(cmd, sizeof cmd, "rm -rf %s", work);
    if (system(cmd) != 0)
        return 1;
    return 0;
}
