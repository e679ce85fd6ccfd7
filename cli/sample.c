/* cli sample: a spot check's reproducible sample of concluded cases (art. 11(4)).
 *
 * Reads the node's cases concluded (decided) in the month from the store at --data, draws the
 * sample stratified by category (sample.h), prints it, and records the draw as a `sample.draw`
 * record at the node where the office works (its intake), so the draw itself is kept, signed and
 * sent up like any action. --dry-run prints without recording.
 */
#include "sample.h"
#include "calendar.h"
#include "catalog.h"
#include "cli.h"
#include "err.h"
#include "event.h"
#include "mem.h"
#include "store.h"
#include "timestamp.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cases {
    const catalog_t *catalog;
    int64_t from_ms, to_ms;
    struct sample_unit *v; /* accepted cases, with their category */
    size_t n, cap;
    char **decided; /* cases decided in the period */
    size_t n_decided, cap_decided;
};

static int
take(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    (void)key;
    (void)klen;
    struct cases *c = arg;
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    char type[32], id[EVENT_ID_MAX + 1], item[EVENT_ID_MAX + 1];
    int64_t at;
    if (wire_decode_one(val, vlen, &r, &m) == 0 &&
        wire_obj_get_text(m, "type", type, sizeof type) == 0 &&
        wire_obj_get_text(m, "case", id, sizeof id) == 0) {
        if (strcmp(type, "case.accept") == 0 &&
            wire_obj_get_text(m, "item", item, sizeof item) == 0) {
            if (c->n == c->cap) {
                c->cap = c->cap ? 2 * c->cap : 256;
                c->v = xrealloc(c->v, c->cap * sizeof *c->v);
            }
            struct sample_unit *u = &c->v[c->n++];
            memset(u, 0, sizeof *u);
            memcpy(u->id, id, sizeof u->id);
            const struct catalog_item *it = catalog_find(c->catalog, item);
            snprintf(u->category, sizeof u->category, "%s",
                     catalog_category_name(it ? it->category : CATALOG_OTHER));
        } else if (strcmp(type, "case.decision") == 0 && wire_obj_get_int(m, "at", &at) == 0 &&
                   at >= c->from_ms && at < c->to_ms) {
            if (c->n_decided == c->cap_decided) {
                c->cap_decided = c->cap_decided ? 2 * c->cap_decided : 256;
                c->decided = xrealloc(c->decided, c->cap_decided * sizeof *c->decided);
            }
            c->decided[c->n_decided++] = xstrdup(id);
        }
    }
    wire_reader_destroy(&r);
    return 0;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
cli_sample(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"node", required_argument, NULL, 'n'},
        {"period", required_argument, NULL, 'p'},
        {"size", required_argument, NULL, 'k'},
        {"seed", required_argument, NULL, 's'},
        {"by", required_argument, NULL, 'b'},
        {"catalog", required_argument, NULL, 'c'},
        {"to", required_argument, NULL, 't'},
        {"dry-run", no_argument, NULL, 'y'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    const char *data = NULL, *node = NULL, *period = NULL, *by = NULL, *to = NULL;
    const char *catalog_path = cli_default_catalog();
    long long size = -1, seed = -1;
    bool dry = false, json = false;
    struct cli_operator op = {NULL, NULL};
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            data = optarg;
            break;
        case 'n':
            node = optarg;
            break;
        case 'p':
            period = optarg;
            break;
        case 'k':
            size = atoll(optarg);
            break;
        case 's':
            seed = atoll(optarg);
            break;
        case 'b':
            by = optarg;
            break;
        case 'c':
            catalog_path = optarg;
            break;
        case 't':
            to = optarg;
            break;
        case 'y':
            dry = true;
            break;
        case 'j':
            json = true;
            break;
        case 'O':
            op.name = optarg;
            break;
        case 'K':
            op.key = optarg;
            break;
        default:
            return 2;
        }
    }
    int64_t first, next;
    if (!data || !node || node_valid(node, strlen(node)) != 0 ||
        calendar_parse_month(period, &first, &next) != 0 || size < 1 || seed < 0 || (!by && !dry)) {
        fprintf(stderr, "usage: jiancha sample --data DIR --node N --period YYYY-MM --size K "
                        "--seed S --by WHO [--catalog F] [--to ENDPOINT] [--dry-run] [--json]\n");
        return 2;
    }
    char why[ERR_WHY_MAX];
    catalog_t *cat = NULL;
    if (catalog_load(catalog_path, &cat, why, sizeof why) != 0) {
        fprintf(stderr, "jiancha sample: catalogue %s: %s\n", catalog_path, why);
        return 1;
    }
    store_t *st = NULL;
    if (cli_open_store(data, "sample", &st) != 0) {
        catalog_destroy(&cat);
        return 1;
    }
    struct cases c = {
        cat, calendar_day_start_ms(first), calendar_day_start_ms(next), NULL, 0, 0, NULL, 0, 0};
    uint8_t prefix[4];
    store_be32(prefix, node_number(node));
    store_txn_t *t = NULL;
    int rc = store_read(st, &t);
    if (rc == 0)
        rc = store_each_prefix(t, STORE_EVENTS, prefix, 4, true, take, &c);
    store_abort(&t);
    store_close(&st);
    /* the population: accepted cases with a decision in the month */
    if (c.n_decided > 1)
        qsort(c.decided, c.n_decided, sizeof *c.decided, cmp_str);
    size_t n = 0;
    for (size_t i = 0; i < c.n; i++)
        if (c.n_decided &&
            bsearch(&(const char *){c.v[i].id}, c.decided, c.n_decided, sizeof *c.decided, cmp_str))
            c.v[n++] = c.v[i];
    size_t chosen = sample_draw(c.v, n, (size_t)size, node, period, (uint64_t)seed);
    json_t *list = json_array();
    if (!json)
        printf("sample of %zu among %zu cases of %s concluded in %s (seed %lld):\n", chosen, n,
               node, period, seed);
    for (size_t i = 0; i < n; i++) {
        if (!c.v[i].chosen)
            continue;
        json_array_append_new(list, json_string(c.v[i].id));
        if (json)
            printf("{\"case\":\"%s\",\"category\":\"%s\"}\n", c.v[i].id, c.v[i].category);
        else
            printf("  %-14s %s\n", c.v[i].category, c.v[i].id);
    }
    for (size_t i = 0; i < c.n_decided; i++)
        free(c.decided[i]);
    free(c.decided);
    free(c.v);
    catalog_destroy(&cat);
    int status = rc == 0 ? 0 : 1;
    if (rc == 0 && !dry) {
        char id[96], when[TIMESTAMP_TEXT_MAX];
        int64_t now = timestamp_now_ms();
        timestamp_format(now, when);
        snprintf(id, sizeof id, "sample-%s-%s-%lld", node, period, seed);
        json_t *rec =
            json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:O,s:s,s:s}", "type", "sample.draw", "id", id,
                      "sample", id, "target", node, "period", period, "seed", (json_int_t)seed,
                      "size", (json_int_t)size, "cases", list, "by", by, "at", when);
        char *body = json_dumps(rec, JSON_COMPACT);
        char *endpoint = to ? xstrdup(to) : cli_intake_endpoint(data);
        cli_operator_from_env(&op);
        status = cli_deliver(endpoint, body, &op, "sample", id, json ? stderr : stdout);
        free(endpoint);
        free(body);
        json_decref(rec);
    }
    json_decref(list);
    return status;
}
