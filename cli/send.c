/* cli send: streams a JSON Lines file into a collector's intake.
 *
 * Lines are grouped into chunks (JSON Lines bodies) with up to 4 chunks in flight on one DEALER
 * socket. Every chunk carries a request id that the collector echoes, and a reply is matched by
 * that id, never by position: when a collector dies, ZeroMQ may deliver the chunks still queued in
 * the socket to its successor while the ones already written are lost, so replies can skip. A
 * chunk whose answer does not come in time is sent again on a fresh socket with every other
 * unanswered one: the collector's duplicate check makes that safe, so a collector restart in the
 * middle of a file loses and doubles nothing.
 * With --msgpack each chunk is converted to one msgpack array before sending, which the collector
 * validates several times faster than JSON text.
 * Exit status: 0 all lines accepted or duplicates, 1 some line rejected or a chunk refused.
 */
#include "cli.h"
#include "event.h"
#include "mem.h"
#include "timestamp.h"

#include <czmq.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define IN_FLIGHT 4

struct chunk {
    char *body;
    size_t len;
    size_t *lines; /* file line number of each record */
    size_t n;
    uint64_t id;   /* request id, unique within this run */
    bool answered;
};

struct sender {
    const char *endpoint;
    zsock_t *sock;
    int64_t timeout_ms;
    int64_t give_up_ms;
    struct chunk q[IN_FLIGHT];
    size_t head, count; /* FIFO of chunks sent; the head is the oldest unanswered */
    uint64_t next_id;
    int64_t sent_at;
    size_t accepted, duplicates, rejected, lines;
    bool failed;
    bool tty;
    bool msgpack; /* convert each chunk to msgpack before sending (faster intake) */
    int64_t started, last_progress;
};

static void
reconnect(struct sender *s)
{
    zsock_destroy(&s->sock);
    s->sock = zsock_new(ZMQ_DEALER);
    zsock_set_linger(s->sock, 0);
    zsock_set_sndtimeo(s->sock, 1000);
    zsock_connect(s->sock, "%s", s->endpoint);
}

static int
send_chunk(struct sender *s, const struct chunk *c)
{
    zmsg_t *m = zmsg_new();
    zmsg_addmem(m, "", 0);
    zmsg_addstrf(m, "%llu", (unsigned long long)c->id);
    struct wire_buf mp;
    wire_buf_init(&mp);
    size_t bad;
    /* A chunk with a line that is not JSON goes as JSON Lines, so the collector names the line. */
    if (s->msgpack && event_jsonl_to_msgpack(c->body, c->len, &mp, &bad) >= 0)
        zmsg_addmem(m, mp.data, mp.len);
    else
        zmsg_addmem(m, c->body, c->len);
    wire_buf_fini(&mp);
    if (zmsg_send(&m, s->sock) != 0) {
        zmsg_destroy(&m);
        return -1;
    }
    return 0;
}

static void
progress(struct sender *s, bool final)
{
    if (!s->tty)
        return;
    int64_t now = timestamp_now_ms();
    if (!final && now - s->last_progress < 200)
        return;
    s->last_progress = now;
    double secs = (double)(now - s->started) / 1000.0;
    fprintf(stderr, "\r%10.0f events/s  accepted %zu  duplicates %zu  rejected %zu   ",
            secs > 0 ? (double)(s->accepted + s->duplicates + s->rejected) / secs : 0.0,
            s->accepted, s->duplicates, s->rejected);
    if (final)
        fputc('\n', stderr);
}

/* Handles the reply to chunk c. */
static void
take_reply(struct sender *s, struct chunk *c, const char *text)
{
    json_error_t jerr;
    json_t *r = json_loads(text, 0, &jerr);
    if (!r) {
        fprintf(stderr, "jiancha send: unreadable reply from collector: %s\n", jerr.text);
        s->failed = true;
    } else {
        s->accepted += (size_t)json_integer_value(json_object_get(r, "accepted"));
        s->duplicates += (size_t)json_integer_value(json_object_get(r, "duplicates"));
        const json_t *err = json_object_get(r, "error");
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(r, "rejected"), i, e)
        {
            size_t idx = (size_t)json_integer_value(json_object_get(e, "index"));
            const char *field = json_string_value(json_object_get(e, "field"));
            printf("line %zu: rejected: %s%s%s\n", idx < c->n ? c->lines[idx] : 0,
                   field && *field ? field : "", field && *field ? ": " : "",
                   json_string_value(json_object_get(e, "reason")));
            s->rejected++;
        }
        /* a reply lists the first rejections and counts them all */
        const json_t *count = json_object_get(r, "rejected_count");
        size_t listed = json_array_size(json_object_get(r, "rejected"));
        if (json_is_integer(count) && (size_t)json_integer_value(count) > listed) {
            size_t more = (size_t)json_integer_value(count) - listed;
            printf("lines %zu-%zu: %zu more rejected (the collector lists the first %zu)\n",
                   c->n ? c->lines[0] : 0, c->n ? c->lines[c->n - 1] : 0, more, listed);
            s->rejected += more;
        }
        if (err) {
            printf("lines %zu-%zu: refused: %s\n", c->n ? c->lines[0] : 0,
                   c->n ? c->lines[c->n - 1] : 0, json_string_value(err));
            s->failed = true;
        }
        json_decref(r);
    }
    c->answered = true;
    /* Retire answered chunks from the head so the window only holds unanswered work. */
    while (s->count > 0 && s->q[s->head].answered) {
        struct chunk *h = &s->q[s->head];
        free(h->body);
        free(h->lines);
        memset(h, 0, sizeof *h);
        s->head = (s->head + 1) % IN_FLIGHT;
        s->count--;
    }
}

/* The chunk in flight with this request id, or NULL (a reply to a chunk already answered). */
static struct chunk *
find_chunk(struct sender *s, const char *id)
{
    for (size_t i = 0; i < s->count; i++) {
        struct chunk *c = &s->q[(s->head + i) % IN_FLIGHT];
        char want[32];
        snprintf(want, sizeof want, "%llu", (unsigned long long)c->id);
        if (!c->answered && strcmp(want, id) == 0)
            return c;
    }
    return NULL;
}

/* Waits for one reply; on timeout reconnects and resends everything in flight. */
static int
await_one(struct sender *s)
{
    int64_t began = timestamp_now_ms();
    for (;;) {
        zpoller_t *p = zpoller_new(s->sock, NULL);
        void *ready = zpoller_wait(p, (int)s->timeout_ms);
        bool interrupted = zpoller_terminated(p);
        zpoller_destroy(&p);
        if (interrupted)
            return -1;
        if (ready) {
            zmsg_t *m = zmsg_recv(s->sock);
            /* [empty][request id][reply] */
            if (m && zmsg_size(m) == 3) {
                zframe_t *e = zmsg_pop(m);
                char *id = zmsg_popstr(m), *text = zmsg_popstr(m);
                struct chunk *c = find_chunk(s, id);
                if (c)
                    take_reply(s, c, text);
                zframe_destroy(&e);
                zstr_free(&id);
                zstr_free(&text);
            }
            zmsg_destroy(&m);
            s->sent_at = timestamp_now_ms();
            return 0;
        }
        if (timestamp_now_ms() - began > s->give_up_ms) {
            fprintf(stderr, "jiancha send: no answer from %s for %lld ms, giving up\n",
                    s->endpoint, (long long)s->give_up_ms);
            return -1;
        }
        reconnect(s);
        for (size_t i = 0; i < s->count; i++)
            if (!s->q[(s->head + i) % IN_FLIGHT].answered)
                (void)send_chunk(s, &s->q[(s->head + i) % IN_FLIGHT]);
    }
}

static int
push(struct sender *s, struct chunk *c)
{
    while (s->count == IN_FLIGHT)
        if (await_one(s) != 0)
            return -1;
    size_t slot = (s->head + s->count) % IN_FLIGHT;
    c->id = ++s->next_id;
    c->answered = false;
    s->q[slot] = *c;
    s->count++;
    memset(c, 0, sizeof *c);
    (void)send_chunk(s, &s->q[slot]); /* a failed send is retried by await_one's timeout */
    progress(s, false);
    return 0;
}

int
cli_send(int argc, char **argv)
{
    static const struct option opts[] = {
        {"to", required_argument, NULL, 't'},
        {"data", required_argument, NULL, 'd'},
        {"chunk", required_argument, NULL, 'k'},
        {"timeout-ms", required_argument, NULL, 'T'},
        {"give-up-ms", required_argument, NULL, 'G'},
        {"msgpack", no_argument, NULL, 'm'},
        {NULL, 0, NULL, 0},
    };
    char *endpoint = NULL;
    size_t chunk_lines = 1000;
    struct sender s = {.timeout_ms = 5000, .give_up_ms = 120000};
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 't':
            free(endpoint);
            endpoint = xstrdup(optarg);
            break;
        case 'd':
            free(endpoint);
            endpoint = cli_intake_endpoint(optarg);
            break;
        case 'k':
            chunk_lines = (size_t)strtoul(optarg, NULL, 10);
            break;
        case 'T':
            s.timeout_ms = strtoll(optarg, NULL, 10);
            break;
        case 'G':
            s.give_up_ms = strtoll(optarg, NULL, 10);
            break;
        case 'm':
            s.msgpack = true;
            break;
        default:
            return 2;
        }
    }
    if (optind != argc - 1 || !endpoint || chunk_lines == 0) {
        fprintf(stderr, "usage: jiancha send (--to ENDPOINT | --data DIR) [--chunk LINES] "
                        "[--timeout-ms MS] [--give-up-ms MS] [--msgpack] FILE|-\n");
        free(endpoint);
        return 2;
    }
    const char *path = argv[optind];
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!in) {
        fprintf(stderr, "jiancha send: cannot read %s\n", path);
        free(endpoint);
        return 1;
    }
    if (cli_endpoint_usable(endpoint, "send") != 0) {
        if (in != stdin)
            fclose(in);
        free(endpoint);
        return 1;
    }
    zsys_init();
    zsys_set_logstream(NULL);
    s.endpoint = endpoint;
    s.tty = isatty(STDERR_FILENO);
    s.started = timestamp_now_ms();
    reconnect(&s);

    struct chunk c = {0};
    size_t cap = 0, lcap = 0;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t n;
    size_t line_no = 0;
    int rc = 0;
    while ((n = getline(&line, &line_cap, in)) >= 0) {
        line_no++;
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        size_t k = 0;
        while (k < len && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == len)
            continue;
        if (c.len + len + 1 > cap) {
            cap = (c.len + len + 1) * 2;
            c.body = xrealloc(c.body, cap);
        }
        memcpy(c.body + c.len, line, len);
        c.len += len;
        c.body[c.len++] = '\n';
        if (c.n == lcap) {
            lcap = lcap ? 2 * lcap : 256;
            c.lines = xrealloc(c.lines, lcap * sizeof *c.lines);
        }
        c.lines[c.n++] = line_no;
        s.lines++;
        if (c.n >= chunk_lines || c.len >= (1u << 20)) {
            if (push(&s, &c) != 0) {
                rc = 1;
                break;
            }
            cap = lcap = 0;
        }
    }
    if (rc == 0 && c.n > 0 && push(&s, &c) != 0)
        rc = 1;
    while (rc == 0 && s.count > 0)
        if (await_one(&s) != 0)
            rc = 1;
    free(c.body);
    free(c.lines);
    for (size_t i = 0; i < IN_FLIGHT; i++) {
        free(s.q[i].body);
        free(s.q[i].lines);
    }
    free(line);
    if (in != stdin)
        fclose(in);
    progress(&s, true);
    printf("%zu lines: %zu accepted, %zu duplicates, %zu rejected\n", s.lines, s.accepted,
           s.duplicates, s.rejected);
    zsock_destroy(&s.sock);
    free(endpoint);
    if (rc != 0 || s.failed || s.rejected > 0)
        return 1;
    return 0;
}
