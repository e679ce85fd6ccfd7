/* jiancha-eventgen: writes realistic, reproducible event streams as JSON Lines, for the demo,
 * the integration tests and the benchmarks.
 *
 * Each case follows a plausible life: accept, the item's steps, evidence, a decision (a penalty
 * with an amount for penalty items), execution, close and often a rating. Cases start evenly
 * over --hours from --start (a working day by default) and each case's events follow its start
 * within minutes to hours, so a stream looks like a real day at one node. Every event id is PREFIX-N, unique within one run, so a test can
 * check that each id arrives exactly once. The same --seed gives the same stream.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct item {
    const char *code, *dept, *category;
    const char *steps[4];
};

static const struct item items[] = {
    {"SC-XK-0101", "SCJGJ", "licensing", {"受理", "审查", "决定", NULL}},
    {"SC-XK-0204", "ZRZYJ", "licensing", {"受理", "审查", "现场核查", "决定"}},
    {"SC-CF-0310", "SCJGJ", "penalty", {"立案", "调查取证", "告知", "决定"}},
    {"SC-CF-0422", "STHJJ", "penalty", {"立案", "调查取证", "决定", NULL}},
    {"SC-ZS-0501", "SWJ", "levy", {"核定", "征收", NULL, NULL}},
    {"SC-QZ-0602", "ZJJ", "enforcement", {"催告", "决定", "执行", NULL}},
    {"SC-QR-0703", "RSJ", "confirmation", {"受理", "审核", "确认", NULL}},
    {"SC-CJ-0804", "SLJ", "adjudication", {"受理", "调解", "裁决", NULL}},
    {"SC-JF-0905", "MZJ", "payment", {"申请", "审核", "发放", NULL}},
};

static uint64_t rng;

static uint32_t
next_rand(void)
{
    /* xorshift64*: small, fast and reproducible across platforms. */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 2685821657736338717ULL) >> 32);
}

static unsigned long long n_out, n_max;
static long long now_ms;
static const char *id_prefix;

/* Writes one event line with the common fields, unless the requested count is reached. */
__attribute__((format(printf, 1, 2))) static void
emit(const char *fmt, ...)
{
    if (n_out >= n_max)
        return;
    printf("{\"id\":\"%s-%llu\",\"at\":%lld,", id_prefix, ++n_out, now_ms);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("}\n");
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"node", required_argument, NULL, 'n'},  {"count", required_argument, NULL, 'c'},
        {"seed", required_argument, NULL, 's'},  {"start", required_argument, NULL, 't'},
        {"prefix", required_argument, NULL, 'p'}, {"hours", required_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *node = "510104", *prefix = "ev";
    unsigned long long count = 1000, seed = 1;
    /* 2026-11-02 09:00 +08:00 (a Monday) in Unix ms. */
    long long start_ms = 1793581200000LL;
    double hours = 8;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'n':
            node = optarg;
            break;
        case 'c':
            count = strtoull(optarg, NULL, 10);
            break;
        case 's':
            seed = strtoull(optarg, NULL, 10);
            break;
        case 't':
            start_ms = strtoll(optarg, NULL, 10);
            break;
        case 'p':
            prefix = optarg;
            break;
        case 'h':
            hours = strtod(optarg, NULL);
            break;
        default:
            fprintf(stderr, "usage: jiancha-eventgen [--node N] [--count N] [--seed S] "
                            "[--start UNIX_MS] [--hours H] [--prefix P]\n");
            return 2;
        }
    }
    rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    unsigned long long case_no = 0;
    n_max = count;
    id_prefix = prefix;
    const size_t n_items = sizeof items / sizeof items[0];
    /* About seven events per case. */
    long long spacing_ms = (long long)(hours * 3600000.0 / ((double)count / 7.0 + 1.0));
    while (n_out < n_max) {
        const struct item *it = &items[next_rand() % n_items];
        char cs[48];
        snprintf(cs, sizeof cs, "%s-%s-C%llu", prefix, node, ++case_no);
        char handler[16];
        snprintf(handler, sizeof handler, "H%03u", next_rand() % 40);
        now_ms = start_ms + (long long)case_no * spacing_ms + next_rand() % 1000;
        emit("\"type\":\"case.accept\",\"case\":\"%s\",\"item\":\"%s\",\"dept\":\"%s\","
             "\"handler\":\"%s\",\"applicant\":\"A%06u\",\"channel\":\"online\"",
             cs, it->code, it->dept, handler, next_rand() % 1000000);
        for (int s = 0; s < 4 && it->steps[s]; s++) {
            now_ms += 60000 + next_rand() % 1800000;
            emit("\"type\":\"case.step\",\"case\":\"%s\",\"step\":\"%s\",\"handler\":\"%s\"", cs,
                 it->steps[s], handler);
            if (s == 1) {
                now_ms += 30000;
                emit("\"type\":\"case.evidence\",\"case\":\"%s\",\"evidence\":\"%s-E1\","
                     "\"kind\":\"%s\",\"sha256\":\"%08x%08x%08x%08x%08x%08x%08x%08x\"",
                     cs, cs, next_rand() % 2 ? "document" : "photo", next_rand(), next_rand(),
                     next_rand(), next_rand(), next_rand(), next_rand(), next_rand(),
                     next_rand());
            }
        }
        now_ms += 60000;
        if (strcmp(it->category, "penalty") == 0) {
            unsigned yuan = 500 + next_rand() % 20000;
            emit("\"type\":\"case.decision\",\"case\":\"%s\",\"outcome\":\"penalty\","
                 "\"handler\":\"%s\",\"basis\":[\"《中华人民共和国行政处罚法》第二十八条\"],"
                 "\"penalty\":{\"amount\":%u.%02u,\"level\":\"B\"}",
                 cs, handler, yuan, next_rand() % 100);
            now_ms += 3600000;
            emit("\"type\":\"case.execution\",\"case\":\"%s\",\"amount\":%u.00", cs, yuan);
        } else {
            emit("\"type\":\"case.decision\",\"case\":\"%s\",\"outcome\":\"grant\","
                 "\"handler\":\"%s\",\"basis\":[\"《中华人民共和国行政许可法》第三十八条\"]",
                 cs, handler);
        }
        now_ms += 60000;
        emit("\"type\":\"case.close\",\"case\":\"%s\",\"result\":\"办结\"", cs);
        if (next_rand() % 3 == 0) {
            now_ms += 3600000;
            emit("\"type\":\"rating\",\"case\":\"%s\",\"rating\":%u,\"channel\":\"sms\"", cs,
                 1 + next_rand() % 5);
        }
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
