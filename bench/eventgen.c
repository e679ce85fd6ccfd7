/* jiancha-eventgen: writes realistic, reproducible event streams as JSON Lines, for the demo,
 * the integration tests and the benchmarks.
 *
 * It reads the catalogue and generates, for one node: the credentials of its handlers and the
 * publication of its items first (a clean node raises no alert of its own), then cases of the
 * node's items that follow their procedure: accept, the item's steps, its required evidence, a
 * decision citing its basis (a penalty inside a discretion tier for penalty items), execution,
 * close and often a rating. Cases start evenly over --hours from --start and each case's events
 * follow within minutes to hours. With --violations P, about P% of cases break one rule each
 * (late, skipped step, unlisted return, missing evidence, unqualified handler, penalty outside its
 * band, execution differing from the decision, bad rating), so the demo has lights to show. Every
 * event id is PREFIX-N, unique within one run; the same --seed gives the same stream.
 */
#include "catalog.h"
#include "event.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void
json_limit(char *out, size_t cap, const struct catalog_limit *l)
{
    snprintf(out, cap, "{\"n\":%u,\"unit\":\"%s\"}", l->n,
             l->unit == CALENDAR_WORKDAYS ? "wd" : "d");
}

static void
publish(const struct catalog_item *it)
{
    char p[64], l[64], steps[1024] = "", basis[1024] = "";
    json_limit(p, sizeof p, &it->promised);
    json_limit(l, sizeof l, &it->legal);
    for (size_t i = 0; i < it->n_steps; i++) {
        strncat(steps, i ? ",{\"name\":\"" : "{\"name\":\"", sizeof steps - strlen(steps) - 1);
        strncat(steps, it->steps[i].name, sizeof steps - strlen(steps) - 1);
        strncat(steps, "\"}", sizeof steps - strlen(steps) - 1);
    }
    for (size_t i = 0; i < it->n_basis; i++) {
        strncat(basis, i ? ",\"" : "\"", sizeof basis - strlen(basis) - 1);
        strncat(basis, it->basis[i], sizeof basis - strlen(basis) - 1);
        strncat(basis, "\"", sizeof basis - strlen(basis) - 1);
    }
    emit("\"type\":\"item.publish\",\"item\":\"%s\",\"dept\":\"%s\",\"name\":\"%s\","
         "\"category\":\"%s\",\"limits\":{\"promised\":%s,\"legal\":%s},\"steps\":[%s],"
         "\"basis\":[%s]",
         it->item, it->dept, it->name, catalog_category_name(it->category), p, l, steps, basis);
}

enum violation {
    V_NONE,
    V_LATE,
    V_SKIP,
    V_ROLLBACK,
    V_EVIDENCE,
    V_UNQUALIFIED,
    V_DISCRETION,
    V_EXECUTION,
    V_RATING,
    V_KINDS
};

static void
sha(char out[65])
{
    for (int i = 0; i < 8; i++)
        snprintf(out + 8 * i, 9, "%08x", next_rand());
}

static void
one_case(const struct catalog_item *it, const char *node, unsigned long long no, enum violation v)
{
    char cs[64], handler[16];
    snprintf(cs, sizeof cs, "%s-%s-C%llu", id_prefix, node, no);
    if (v == V_UNQUALIFIED)
        snprintf(handler, sizeof handler, "X%03u", next_rand() % 40); /* no credential */
    else
        snprintf(handler, sizeof handler, "%s-H%02u", it->dept, next_rand() % 8);
    emit("\"type\":\"case.accept\",\"case\":\"%s\",\"item\":\"%s\",\"dept\":\"%s\","
         "\"handler\":\"%s\",\"applicant\":\"A%06u\",\"channel\":\"online\"",
         cs, it->item, it->dept, handler, next_rand() % 1000000);
    if (v == V_LATE)
        return; /* accepted, never decided: the limits will light */
    unsigned ev = it->evidence;
    if (v == V_EVIDENCE)
        ev = 0;
    const char *kinds[] = {"video", "audio", "photo", "document"};
    for (int k = 0; k < 4; k++) {
        if (!(ev & (1u << k)))
            continue;
        char h[65];
        sha(h);
        now_ms += 30000;
        emit("\"type\":\"case.evidence\",\"case\":\"%s\",\"evidence\":\"%s-E%d\",\"kind\":\"%s\","
             "\"sha256\":\"%s\"",
             cs, cs, k, kinds[k], h);
    }
    for (size_t s = 1; s < it->n_steps; s++) {
        if (v == V_SKIP && s == 1 && it->n_steps > 2)
            continue;
        now_ms += 60000 + next_rand() % 1800000;
        emit("\"type\":\"case.step\",\"case\":\"%s\",\"step\":\"%s\",\"handler\":\"%s\"", cs,
             it->steps[s].name, handler);
        if (v == V_ROLLBACK && s == it->n_steps - 1 && it->n_steps > 1) {
            now_ms += 60000;
            emit("\"type\":\"case.rollback\",\"case\":\"%s\",\"to\":\"%s\",\"handler\":\"%s\"", cs,
                 it->steps[0].name, handler);
            now_ms += 60000;
            for (size_t t = 1; t <= s; t++)
                emit("\"type\":\"case.step\",\"case\":\"%s\",\"step\":\"%s\",\"handler\":\"%s\"",
                     cs, it->steps[t].name, handler);
        }
    }
    now_ms += 60000;
    const char *basis = it->n_basis ? it->basis[0] : "《中华人民共和国行政许可法》";
    long long fen = 0;
    if (it->category == CATALOG_PENALTY && it->n_tiers) {
        const struct catalog_tier *tier = &it->tiers[next_rand() % it->n_tiers];
        long long span = tier->max_fen - tier->min_fen;
        fen = tier->min_fen + 100 +
              (span > 200 ? (long long)(next_rand() % (uint32_t)(span - 200)) : 0);
        if (v == V_DISCRETION)
            fen = tier->max_fen + 100000;
        fen -= fen % 100;
        emit("\"type\":\"case.decision\",\"case\":\"%s\",\"outcome\":\"penalty\","
             "\"handler\":\"%s\",\"basis\":[\"%s\"],\"penalty\":{\"amount\":%lld.%02lld,"
             "\"level\":\"%s\"}",
             cs, handler, basis, fen / 100, fen % 100, tier->level);
        now_ms += 3600000;
        char h[65];
        sha(h);
        long long paid = v == V_EXECUTION ? fen / 2 : fen;
        emit("\"type\":\"case.execution\",\"case\":\"%s\",\"amount\":%lld.%02lld,"
             "\"receipt_sha256\":\"%s\"",
             cs, paid / 100, paid % 100, h);
    } else {
        emit("\"type\":\"case.decision\",\"case\":\"%s\",\"outcome\":\"grant\","
             "\"handler\":\"%s\",\"basis\":[\"%s\"]",
             cs, handler, basis);
    }
    now_ms += 60000;
    emit("\"type\":\"case.close\",\"case\":\"%s\",\"result\":\"办结\"", cs);
    if (v == V_RATING || next_rand() % 3 == 0) {
        now_ms += 3600000;
        emit("\"type\":\"rating\",\"case\":\"%s\",\"rating\":%u,\"channel\":\"sms\"", cs,
             v == V_RATING ? 1 + next_rand() % 2 : 3 + next_rand() % 3);
    }
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"node", required_argument, NULL, 'n'},
        {"count", required_argument, NULL, 'c'},
        {"seed", required_argument, NULL, 's'},
        {"start", required_argument, NULL, 't'},
        {"prefix", required_argument, NULL, 'p'},
        {"hours", required_argument, NULL, 'h'},
        {"catalog", required_argument, NULL, 'k'},
        {"violations", required_argument, NULL, 'v'},
        {NULL, 0, NULL, 0},
    };
    const char *node = "510104", *prefix = "ev", *catalog_path = EVENTGEN_CATALOG;
    unsigned long long count = 1000, seed = 1;
    /* 2026-11-02 09:00 +08:00 (a Monday) in Unix ms. */
    long long start_ms = 1793581200000LL;
    double hours = 8, violations = 0;
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
        case 'k':
            catalog_path = optarg;
            break;
        case 'v':
            violations = strtod(optarg, NULL);
            break;
        default:
            fprintf(stderr, "usage: jiancha-eventgen [--node N] [--count N] [--seed S] "
                            "[--start UNIX_MS] [--hours H] [--prefix P] [--catalog FILE] "
                            "[--violations PERCENT]\n");
            return 2;
        }
    }
    catalog_t *cat = NULL;
    char err[512];
    if (catalog_load(catalog_path, &cat, err, sizeof err) != 0) {
        fprintf(stderr, "jiancha-eventgen: %s\n", err);
        return 1;
    }
    const struct catalog_item *mine[256];
    size_t n_mine = 0;
    for (size_t i = 0; i < catalog_count(cat) && n_mine < 256; i++)
        if (strcmp(catalog_at(cat, i)->node, node) == 0)
            mine[n_mine++] = catalog_at(cat, i);
    if (n_mine == 0) {
        fprintf(stderr, "jiancha-eventgen: the catalogue lists no item for node %s\n", node);
        catalog_destroy(&cat);
        return 1;
    }
    rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    n_max = count;
    id_prefix = prefix;
    now_ms = start_ms - 3600000;
    /* The node's handlers hold credentials for their department's categories, and its items are
     * online, before the first case. */
    for (size_t i = 0; i < n_mine; i++) {
        for (int h = 0; h < 8; h++)
            emit("\"type\":\"staff.credential\",\"handler\":\"%s-H%02d\",\"dept\":\"%s\","
                 "\"categories\":[\"%s\"],\"valid_from\":\"2026-01-01T00:00:00+08:00\","
                 "\"valid_until\":\"2027-12-31T00:00:00+08:00\"",
                 mine[i]->dept, h, mine[i]->dept, catalog_category_name(mine[i]->category));
        /* online from its effective date (08:00 local), as a well-run node would be */
        long long saved = now_ms;
        if (mine[i]->effective_day >= 0)
            now_ms = calendar_day_start_ms(mine[i]->effective_day) + 8 * 3600000LL;
        publish(mine[i]);
        now_ms = saved;
    }
    unsigned long long case_no = 0;
    /* About seven events per case. */
    long long spacing_ms = (long long)(hours * 3600000.0 / ((double)count / 7.0 + 1.0));
    while (n_out < n_max) {
        const struct catalog_item *it = mine[next_rand() % n_mine];
        now_ms = start_ms + (long long)case_no * spacing_ms + next_rand() % 1000;
        enum violation v = V_NONE;
        if (violations > 0 && (double)(next_rand() % 10000) < violations * 100.0)
            v = (enum violation)(1 + next_rand() % (V_KINDS - 1));
        one_case(it, node, ++case_no, v);
    }
    catalog_destroy(&cat);
    return fflush(stdout) == 0 ? 0 : 1;
}
