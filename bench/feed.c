/* jiancha-feed: streams many JSON Lines files into many collectors at once, each at a steady rate,
 * for bench/province.sh (a whole province's counties fed at a few events per second each).
 *
 *   jiancha-feed --rate EVENTS_PER_S [--tick-ms MS] LIST
 *
 * LIST has one line per stream, "ENDPOINT FILE": the collector's intake endpoint and the events it
 * is fed. Every tick each stream sends, as one JSON Lines message, the lines that are due by then
 * (rate × time since the start, the streams' starts spread over the first tick so the collectors
 * are not fed in step), on a DEALER socket of its own, and takes the replies as they come. It
 * ends when every line is sent and answered, and prints what the collectors said. One process
 * with one socket per county: a `jiancha send` per county and second would cost more CPU than
 * the daemons it measures.
 *
 * It does not resend: a collector that does not answer within 60 s of the last line fails the
 * run. Exit status: 0 when every line was accepted (or a duplicate), 1 otherwise.
 */
#include "mem.h"
#include "timestamp.h"

#include <czmq.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stream {
    char *endpoint;
    zsock_t *sock;
    char *buf;                /* the file */
    char **lines;             /* its lines, pointing into buf */
    size_t n, sent, answered; /* lines in the file, sent, and answered by a reply */
    size_t *sizes;            /* lines in each message in flight, oldest first */
    size_t head, tail;        /* the FIFO of messages in flight, indices into sizes */
    int64_t phase_ms;         /* this stream's start, after the run's */
};

struct totals {
    size_t accepted, duplicates, rejected, refused;
};

static char *
read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0)
            buf = xrealloc(buf, cap *= 2);
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Splits a file into its non-empty lines (they point into s->buf). */
static int
load_stream(struct stream *s, const char *endpoint, const char *path)
{
    size_t len;
    s->buf = read_file(path, &len);
    if (!s->buf)
        return -1;
    size_t cap = 256;
    s->lines = xmalloc(cap * sizeof *s->lines);
    for (char *p = s->buf; *p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        if (*p) {
            if (s->n == cap)
                s->lines = xrealloc(s->lines, (cap *= 2) * sizeof *s->lines);
            s->lines[s->n++] = p;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    s->endpoint = xstrdup(endpoint);
    s->sizes = xcalloc(s->n + 1, sizeof *s->sizes);
    s->sock = zsock_new(ZMQ_DEALER);
    zsock_set_linger(s->sock, 0);
    zsock_set_sndhwm(s->sock, 0);
    zsock_connect(s->sock, "%s", endpoint);
    return 0;
}

/* Sends the lines due by now as one message. */
static void
send_due(struct stream *s, double rate, int64_t elapsed_ms)
{
    if (elapsed_ms < s->phase_ms)
        return;
    size_t due = (size_t)(rate * (double)(elapsed_ms - s->phase_ms) / 1000.0) + 1;
    if (due > s->n)
        due = s->n;
    if (due <= s->sent)
        return;
    size_t bytes = 0;
    for (size_t i = s->sent; i < due; i++)
        bytes += strlen(s->lines[i]) + 1;
    char *body = xmalloc(bytes + 1), *w = body;
    for (size_t i = s->sent; i < due; i++) {
        size_t l = strlen(s->lines[i]);
        memcpy(w, s->lines[i], l);
        w[l] = '\n';
        w += l + 1;
    }
    zmsg_t *m = zmsg_new();
    zmsg_addmem(m, "", 0);
    zmsg_addmem(m, body, bytes);
    free(body);
    if (zmsg_send(&m, s->sock) != 0) {
        zmsg_destroy(&m);
        return; /* tried again at the next tick */
    }
    s->sizes[s->tail++] = due - s->sent;
    s->sent = due;
}

static size_t
count_of(const char *reply, const char *key)
{
    const char *p = strstr(reply, key);
    return p ? (size_t)strtoul(p + strlen(key), NULL, 10) : 0;
}

/* Takes every reply waiting on the stream's socket. */
static void
take_replies(struct stream *s, struct totals *t)
{
    zmsg_t *m;
    while ((zsock_events(s->sock) & ZMQ_POLLIN) && (m = zmsg_recv(s->sock))) {
        char *text = zmsg_size(m) >= 2 ? zframe_strdup(zmsg_last(m)) : NULL;
        zmsg_destroy(&m);
        if (!text || s->head == s->tail) {
            free(text);
            continue;
        }
        t->accepted += count_of(text, "\"accepted\":");
        t->duplicates += count_of(text, "\"duplicates\":");
        t->rejected += count_of(text, "\"rejected_count\":");
        if (strstr(text, "\"error\"")) {
            t->refused++;
            fprintf(stderr, "jiancha-feed: %s refused: %s\n", s->endpoint, text);
        }
        s->answered += s->sizes[s->head++];
        free(text);
    }
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"rate", required_argument, NULL, 'r'},
        {"tick-ms", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    double rate = 3;
    int tick_ms = 250, ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'r')
            rate = strtod(optarg, NULL);
        else if (ch == 't')
            tick_ms = atoi(optarg);
        else
            optind = argc + 1;
    }
    if (optind != argc - 1 || rate <= 0 || tick_ms < 1) {
        fprintf(stderr, "usage: jiancha-feed --rate EVENTS_PER_S [--tick-ms MS] LIST\n"
                        "  LIST: one line per stream, \"ENDPOINT FILE\"\n");
        return 2;
    }
    FILE *list = fopen(argv[optind], "r");
    if (!list) {
        fprintf(stderr, "jiancha-feed: cannot read %s\n", argv[optind]);
        return 1;
    }
    zsys_init();
    zsys_set_max_sockets(0);
    struct stream *st = NULL;
    size_t n = 0;
    char line[4096];
    while (fgets(line, sizeof line, list)) {
        char ep[2048], path[2048];
        if (sscanf(line, "%2047s %2047s", ep, path) != 2)
            continue;
        st = xrealloc(st, (n + 1) * sizeof *st);
        memset(&st[n], 0, sizeof st[n]);
        if (load_stream(&st[n], ep, path) != 0) {
            fprintf(stderr, "jiancha-feed: cannot read %s\n", path);
            return 1;
        }
        n++;
    }
    fclose(list);
    for (size_t i = 0; i < n; i++)
        st[i].phase_ms = (int64_t)(i * (size_t)tick_ms / (n ? n : 1));

    struct totals t = {0};
    int64_t start = timestamp_now_ms(), last_sent = 0;
    size_t lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += st[i].n;
    zpoller_t *poller = zpoller_new(NULL);
    for (size_t i = 0; i < n; i++)
        zpoller_add(poller, st[i].sock);
    for (;;) {
        int64_t now = timestamp_now_ms(), elapsed = now - start;
        bool all_sent = true, all_answered = true;
        for (size_t i = 0; i < n; i++) {
            send_due(&st[i], rate, elapsed);
            take_replies(&st[i], &t);
            all_sent &= st[i].sent == st[i].n;
            all_answered &= st[i].answered == st[i].n;
        }
        if (!all_sent)
            last_sent = now;
        if (all_answered || zsys_interrupted)
            break;
        if (all_sent && now - last_sent > 60000) {
            fprintf(stderr, "jiancha-feed: collectors did not answer within 60 s\n");
            break;
        }
        zpoller_wait(poller, tick_ms);
    }
    double secs = (double)(timestamp_now_ms() - start) / 1000.0;
    size_t answered = 0;
    for (size_t i = 0; i < n; i++)
        answered += st[i].answered;
    printf("fed %zu collectors %zu events in %.0f s (%.1f events/s each): accepted %zu, "
           "duplicates %zu, rejected %zu, refused messages %zu, unanswered %zu\n",
           n, lines, secs, rate, t.accepted, t.duplicates, t.rejected, t.refused, lines - answered);
    zpoller_destroy(&poller);
    for (size_t i = 0; i < n; i++) {
        zsock_destroy(&st[i].sock);
        free(st[i].buf);
        free(st[i].lines);
        free(st[i].sizes);
        free(st[i].endpoint);
    }
    free(st);
    return t.rejected || t.refused || answered != lines ? 1 : 0;
}
