/* jiancha-forge: a hostile (or merely odd) child for integration tests. It speaks the uplink
 * protocol to a real aggregator with batches it builds itself, and prints one line per answer:
 *   jiancha-forge ENDPOINT KEYFILE SCENARIO
 * Scenarios: replay (a batch sent twice), tamper (a payload byte flipped), badsig (signed by a
 * key the aggregator does not hold for this node), conflict (batch 1 again with other content),
 * gap (batch 3 before 2), hello (HELLO only), rogue-hello (a HELLO for the node signed by another
 * key: refused); after replay, a batch 2 that follows the chain but carries a record no tier may
 * store: garbage (bytes that are not msgpack), unknown-kind (a map of type "mystery"), no-id (an
 * event without its id), each refused for good; or repeat-id (an event id of batch 1 again beside
 * a new one: acknowledged, the repeat not stored); ping-first (a PING before any HELLO: NACK
 * hello-first). Exit 0 when every answer was the expected one.
 * With FORGE_SERVER_KEY (the parent's certificate or curve-pub) and FORGE_CURVE (a transport secret
 * key file) in the environment it speaks CurveZMQ; FORGE_WAIT_MS bounds each wait (default 5000).
 */
#include "batch.h"
#include "event.h"
#include "err.h"
#include "proto.h"
#include "sign.h"
#include "spool.h"
#include "store.h"
#include "zap.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static zsock_t *sock;

static void
send_cmd(enum proto_cmd cmd, const struct wire_buf *const *frames, size_t n)
{
    zmsg_t *m = zmsg_new();
    zmsg_addstr(m, proto_cmd_name(cmd));
    for (size_t i = 0; i < n; i++)
        zmsg_addmem(m, frames[i]->data, frames[i]->len);
    zmsg_send(&m, sock);
}

/* Waits for the next reply that is not a PING; prints and returns its command and code. */
static enum proto_cmd
reply(char code[24])
{
    for (;;) {
        const char *wait = getenv("FORGE_WAIT_MS");
        zsock_set_rcvtimeo(sock, wait ? atoi(wait) : 5000);
        zmsg_t *m = zmsg_recv(sock);
        if (!m) {
            printf("no answer\n");
            return PROTO_CMDS_;
        }
        zframe_t *c = zmsg_first(m), *b = zmsg_next(m);
        enum proto_cmd cmd;
        if (proto_cmd_parse(zframe_data(c), zframe_size(c), &cmd) != 0) {
            zmsg_destroy(&m);
            continue;
        }
        code[0] = '\0';
        if (cmd == PROTO_NACK) {
            struct proto_nack n;
            if (proto_nack_decode(zframe_data(b), zframe_size(b), &n) == 0) {
                snprintf(code, 24, "%s", n.code);
                printf("NACK %s: %s (seq=%llu%s)\n", n.code, n.reason,
                       (unsigned long long)n.seq, n.permanent ? ", permanent" : "");
            }
        } else if (cmd == PROTO_REFUSE) {
            struct proto_refuse r;
            if (proto_refuse_decode(zframe_data(b), zframe_size(b), &r) == 0)
                printf("REFUSE: %s\n", r.reason);
        } else if (cmd == PROTO_ACK) {
            struct proto_ack a;
            if (proto_ack_decode(zframe_data(b), zframe_size(b), &a) == 0)
                printf("ACK %llu\n", (unsigned long long)a.seq);
        } else if (cmd == PROTO_WELCOME) {
            struct proto_welcome w;
            if (proto_welcome_decode(zframe_data(b), zframe_size(b), &w) == 0)
                printf("WELCOME last=%llu hash=%s\n", (unsigned long long)w.last_seq,
                       memcmp(w.last_hash, (uint8_t[SIGN_HASH_BYTES]){0}, SIGN_HASH_BYTES)
                           ? "set"
                           : "zero");
        }
        zmsg_destroy(&m);
        if (cmd != PROTO_PING)
            return cmd;
    }
}

struct fill {
    uint32_t node;
    const char *tag;
    int n;
};

static int
fill_fn(store_txn_t *t, void *arg)
{
    struct fill *f = arg;
    for (int i = 0; i < f->n; i++) {
        struct wire_buf r;
        wire_buf_init(&r);
        wire_put_map(&r, 5);
        wire_put_cstr(&r, "type");
        wire_put_cstr(&r, "case.close");
        char node[7];
        node_format(f->node, node);
        wire_put_cstr(&r, "node"); /* canonical records name their node */
        wire_put_cstr(&r, node);
        wire_put_cstr(&r, "id");
        char id[64];
        snprintf(id, sizeof id, "forge-%s-%d", f->tag, i);
        wire_put_cstr(&r, id);
        wire_put_cstr(&r, "at");
        wire_put_uint(&r, 1793581200000ULL);
        wire_put_cstr(&r, "case");
        wire_put_cstr(&r, "FORGED");
        uint64_t seq;
        int rc = spool_append(t, f->node, r.data, r.len, &seq);
        wire_buf_fini(&r);
        if (rc != 0)
            return rc;
    }
    uint64_t sealed;
    return spool_seal(t, f->node, 2, true, 1793581200000LL, &sealed);
}

/* Batch 1 as fill_fn seals it (the same bytes, so the same hash), then batch 2 of one valid
 * record and one the scenario names. */
struct second {
    uint32_t node;
    const char *scenario;
};

static int
second_fn(store_txn_t *t, void *arg)
{
    const struct second *x = arg;
    struct fill f = {x->node, "a", 2};
    int rc = fill_fn(t, &f);
    struct wire_buf r;
    wire_buf_init(&r);
    char node[7];
    node_format(x->node, node);
    for (int i = 0; rc == 0 && i < 2; i++) {
        wire_buf_reset(&r);
        const char *type = "case.close", *id = i ? "forge-a-1" : "forge-a-2";
        bool garbage = i && strcmp(x->scenario, "garbage") == 0;
        if (i && strcmp(x->scenario, "unknown-kind") == 0)
            type = "mystery";
        if (i && strcmp(x->scenario, "no-id") == 0)
            id = NULL;
        if (i && strcmp(x->scenario, "repeat-id") != 0)
            id = id ? "forge-second" : NULL;
        if (garbage) {
            wire_buf_append(&r, "\xc1not msgpack", 13);
        } else {
            wire_put_map(&r, id ? 5 : 4);
            wire_put_cstr(&r, "type");
            wire_put_cstr(&r, type);
            if (id) {
                wire_put_cstr(&r, "id");
                wire_put_cstr(&r, id);
            }
            wire_put_cstr(&r, "at");
            wire_put_uint(&r, 1793581200000ULL);
            wire_put_cstr(&r, "node");
            wire_put_cstr(&r, node);
            wire_put_cstr(&r, "case");
            wire_put_cstr(&r, "FORGED");
        }
        uint64_t seq;
        rc = spool_append(t, x->node, r.data, r.len, &seq);
    }
    wire_buf_fini(&r);
    uint64_t sealed;
    return rc ? rc : spool_seal(t, x->node, 2, true, 1793581200000LL, &sealed);
}

static void
send_batch(store_t *st, uint32_t node, uint64_t seq, const sign_key_t *key, bool tamper)
{
    struct wire_buf h, p;
    wire_buf_init(&h);
    wire_buf_init(&p);
    store_txn_t *t = NULL;
    if (store_read(st, &t) != 0 || spool_load(t, node, seq, &h, &p) != 0) {
        fprintf(stderr, "forge: cannot build batch %llu\n", (unsigned long long)seq);
        exit(2);
    }
    store_abort(&t);
    char id[SIGN_KEY_ID_LEN + 1];
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    batch_sign(key, h.data, h.len, id, sig);
    if (tamper)
        p.data[p.len / 2] ^= 0x20;
    struct wire_buf kb = {(uint8_t *)id, SIGN_KEY_ID_LEN, 0}, sb = {sig, sizeof sig, 0};
    const struct wire_buf *frames[] = {&h, &p, &kb, &sb};
    send_cmd(PROTO_BATCH, frames, 4);
    wire_buf_fini(&h);
    wire_buf_fini(&p);
}

int
main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: jiancha-forge ENDPOINT KEYFILE SCENARIO\n");
        return 2;
    }
    const char *scenario = argv[3];
    if (sign_init() != 0)
        return 2;
    char node[7];
    sign_key_t *key = NULL, *rogue = NULL;
    if (sign_key_load(argv[2], &key, node) != 0) {
        fprintf(stderr, "forge: cannot load %s\n", argv[2]);
        return 2;
    }
    char tmpl[] = "/tmp/jiancha-forge-XXXXXX";
    char *dir = mkdtemp(tmpl);
    struct store_options o = {.map_bytes = 4 << 20};
    store_t *st = NULL, *other = NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/a", dir);
    if (!dir || store_open(path, &o, &st) != 0)
        return 2;
    snprintf(path, sizeof path, "%s/b", dir);
    if (store_open(path, &o, &other) != 0)
        return 2;
    uint32_t n = node_number(node);
    struct fill fa = {n, "a", 8}, fb = {n, "b", 8};
    if (store_write(st, fill_fn, &fa) != 0 || store_write(other, fill_fn, &fb) != 0)
        return 2;
    snprintf(path, sizeof path, "%s/rogue", dir);
    if (sign_keypair_write(node, path) != 0)
        return 2;
    snprintf(path, sizeof path, "%s/rogue/%s.secret", dir, node);
    if (sign_key_load(path, &rogue, NULL) != 0)
        return 2;

    zsys_init();
    zsys_set_logstream(NULL);
    sock = zsock_new(ZMQ_DEALER);
    const char *server = getenv("FORGE_SERVER_KEY"), *curve_path = getenv("FORGE_CURVE");
    sign_curve_t *curve = NULL;
    if (server && curve_path) {
        uint8_t server_key[ZAP_KEY_BYTES];
        char why[ERR_WHY_MAX];
        if (zap_server_key_load(server, server_key, why) != 0 ||
            sign_curve_load(curve_path, &curve, NULL) != 0) {
            fprintf(stderr, "forge: cannot load the CurveZMQ keys: %s\n", why);
            return 2;
        }
        zap_curve_client(sock, server_key, sign_curve_public(curve), sign_curve_secret(curve));
    }
    if (zsock_connect(sock, "%s", argv[1]) != 0)
        return 2;
    struct proto_hello hello = {.version = PROTO_VERSION, .sent_ms = 1793581200000LL};
    memcpy(hello.node, node, 7);
    /* Scenario "rogue-hello": a HELLO for this node signed by another key. */
    const sign_key_t *hello_key = strcmp(scenario, "rogue-hello") == 0 ? rogue : key;
    sign_key_id(sign_key_public(hello_key), hello.key_id);
    struct wire_buf hb;
    wire_buf_init(&hb);
    proto_hello_encode(&hello, &hb);
    uint8_t hsig[SIGN_SIGNATURE_BYTES];
    proto_hello_sign(hello_key, &hb, hsig);
    struct wire_buf hs = {hsig, sizeof hsig, 0};
    const struct wire_buf *hf[] = {&hb, &hs};
    char code[24];
    enum proto_cmd first = PROTO_CMDS_;
    bool ok = false;
    if (strcmp(scenario, "ping-first") == 0) {
        /* a heartbeat on a connection that never said HELLO: told to say it */
        struct proto_ping ping = {1793581200000LL, 0, {0}, false};
        struct wire_buf pb;
        wire_buf_init(&pb);
        proto_ping_encode(&ping, &pb);
        const struct wire_buf *pf[] = {&pb};
        send_cmd(PROTO_PING, pf, 1);
        wire_buf_fini(&pb);
        ok = reply(code) == PROTO_NACK && strcmp(code, PROTO_NACK_HELLO_FIRST) == 0;
    } else {
        send_cmd(PROTO_HELLO, hf, 2);
        first = reply(code);
    }
    if (strcmp(scenario, "ping-first") == 0) {
        /* answered above */
    } else if (strcmp(scenario, "hello") == 0) {
        ok = first == PROTO_WELCOME;
    } else if (strcmp(scenario, "rogue-hello") == 0) {
        ok = first == PROTO_REFUSE;
    } else if (first != PROTO_WELCOME) {
        ok = false;
    } else if (strcmp(scenario, "replay") == 0) {
        send_batch(st, n, 1, key, false);
        bool a = reply(code) == PROTO_ACK;
        send_batch(st, n, 1, key, false);
        ok = a && reply(code) == PROTO_ACK;
    } else if (strcmp(scenario, "tamper") == 0) {
        send_batch(st, n, 1, key, true);
        ok = reply(code) == PROTO_NACK && strcmp(code, PROTO_NACK_MALFORMED) == 0;
    } else if (strcmp(scenario, "badsig") == 0) {
        send_batch(st, n, 1, rogue, false);
        ok = reply(code) == PROTO_NACK && strcmp(code, PROTO_NACK_BAD_SIGNATURE) == 0;
    } else if (strcmp(scenario, "conflict") == 0) {
        send_batch(other, n, 1, key, false);
        ok = reply(code) == PROTO_NACK && strcmp(code, PROTO_NACK_CONFLICT) == 0;
    } else if (strcmp(scenario, "gap") == 0) {
        send_batch(st, n, 3, key, false);
        ok = reply(code) == PROTO_NACK && strcmp(code, PROTO_NACK_GAP) == 0;
    } else if (strcmp(scenario, "garbage") == 0 || strcmp(scenario, "unknown-kind") == 0 ||
               strcmp(scenario, "no-id") == 0 || strcmp(scenario, "repeat-id") == 0) {
        store_t *sec = NULL;
        snprintf(path, sizeof path, "%s/c", dir);
        struct second x = {n, scenario};
        if (store_open(path, &o, &sec) != 0 || store_write(sec, second_fn, &x) != 0)
            return 2;
        send_batch(sec, n, 2, key, false);
        enum proto_cmd got = reply(code);
        ok = strcmp(scenario, "repeat-id") == 0
                 ? got == PROTO_ACK
                 : got == PROTO_NACK && strcmp(code, PROTO_NACK_MALFORMED) == 0;
        store_close(&sec);
    }
    wire_buf_fini(&hb);
    zsock_destroy(&sock);
    sign_curve_destroy(&curve);
    store_close(&st);
    store_close(&other);
    sign_key_destroy(&key);
    sign_key_destroy(&rogue);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (system(path) != 0)
        return 2;
    printf("%s: %s\n", scenario, ok ? "as expected" : "UNEXPECTED");
    return ok ? 0 : 1;
}
