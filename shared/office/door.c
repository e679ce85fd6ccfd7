/* door: request framing and replies of the intake socket. See door.h. */
#include "door.h"

#include "err.h"
#include "log.h"
#include "mem.h"
#include "sign.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* The envelope of one request: who asked, whether it used a REQ-style empty delimiter, and the
 * optional request id a pipelining client uses to match replies to requests. */
struct envelope {
    zframe_t *identity;
    bool delimiter;
    zframe_t *request_id;
};

/* A request read and parsed, waiting for the group's commit. */
struct waiting {
    struct envelope env;
    zframe_t *body;
    char *answer; /* the reply already decided (malformed or oversized), or NULL */
    int parse_rc;
    struct event_set set;
    struct intake_policy policy;
    char operator[EVENT_ID_MAX + 1];
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    struct intake_result res; /* what the commit did with it */
    int store_rc;             /* and its error, 0 if none */
};

/* What a waiting set may keep between groups (the sets of the usual messages of 1,000 records
 * stay allocated; a message of up to intake/max_message_bytes is freed after its reply). */
#define DOOR_KEEP_BYTES (1u << 20)

struct door {
    store_t *store;
    uint32_t node;
    char node_text[NODE_LEN + 1];
    zsock_t *sock;
    int64_t max_message;
    uint32_t seal_at;
    struct intake_policy policy;
    struct waiting *waiting; /* [DOOR_GROUP]: the requests of one commit, owned */
    struct door_stats stats;
};

door_t *
door_new(store_t *store, uint32_t node, const char *endpoint, int64_t max_message_bytes,
         uint32_t seal_at, const struct intake_policy *policy, char *why, size_t why_len)
{
    door_t *d = xcalloc(1, sizeof *d);
    d->store = store;
    d->node = node;
    node_format(node, d->node_text);
    d->max_message = max_message_bytes;
    d->seal_at = seal_at;
    d->policy = *policy;
    d->waiting = xcalloc(DOOR_GROUP, sizeof *d->waiting);
    for (size_t i = 0; i < DOOR_GROUP; i++)
        event_set_init(&d->waiting[i].set);
    d->sock = zsock_new(ZMQ_ROUTER);
    zsock_set_linger(d->sock, 0);
    zsock_set_sndtimeo(d->sock, 1000);
    /* A hard cap well above the configured limit, so an oversize message still gets a clear
     * reply while a runaway one (past the cap ZeroMQ drops the connection) cannot exhaust
     * memory. */
    int64_t cap = max_message_bytes * 4 > (64 << 20) ? max_message_bytes * 4 : (64 << 20);
    zsock_set_maxmsgsize(d->sock, cap > (1 << 30) ? (1 << 30) : (int)cap);
    if (zsock_bind(d->sock, "%s", endpoint) < 0) {
        snprintf(why, why_len, "cannot bind intake %s: %s", endpoint, zmq_strerror(zmq_errno()));
        door_destroy(&d);
        return NULL;
    }
    /* Who may send events is who may open the socket: the daemon's group, whatever the umask. */
    if (strncmp(endpoint, "ipc://", 6) == 0 && chmod(endpoint + 6, DOOR_SOCKET_MODE) != 0) {
        snprintf(why, why_len, "cannot set mode %03o on intake %s: %s", DOOR_SOCKET_MODE, endpoint,
                 strerror(errno));
        door_destroy(&d);
        return NULL;
    }
    return d;
}

void
door_destroy(door_t **p)
{
    if (!*p)
        return;
    zsock_destroy(&(*p)->sock);
    for (size_t i = 0; (*p)->waiting && i < DOOR_GROUP; i++)
        event_set_fini(&(*p)->waiting[i].set);
    free((*p)->waiting);
    free(*p);
    *p = NULL;
}

void
door_set_calendar(door_t *d, calendar_t *calendar)
{
    d->policy.calendar = calendar;
}

zsock_t *
door_socket(door_t *d)
{
    return d->sock;
}

void
door_stats(const door_t *d, struct door_stats *out)
{
    *out = d->stats;
}

static void
reply(door_t *d, struct envelope *env, const char *text)
{
    zmsg_t *out = zmsg_new();
    zmsg_append(out, &env->identity);
    if (env->delimiter)
        zmsg_addmem(out, "", 0);
    if (env->request_id)
        zmsg_append(out, &env->request_id);
    zmsg_addstr(out, text);
    if (zmsg_send(&out, d->sock) != 0)
        zmsg_destroy(&out); /* the sender went away; its retry is answered as a duplicate */
}

/* "JCAUTH1 NAME HEX": 0, or ERR_INVALID (then the request counts as unsigned). */
static int
read_auth(zframe_t *f, char operator[EVENT_ID_MAX + 1], uint8_t sig[SIGN_SIGNATURE_BYTES])
{
    char text[8 + EVENT_ID_MAX + 2 + 2 * SIGN_SIGNATURE_BYTES + 1];
    size_t len = zframe_size(f);
    if (len >= sizeof text)
        return ERR_INVALID;
    memcpy(text, zframe_data(f), len);
    text[len] = '\0';
    char *name = text + 8, *space = strchr(name, ' ');
    if (!space || space == name || (size_t)(space - name) > EVENT_ID_MAX)
        return ERR_INVALID;
    *space = '\0';
    if (sign_from_hex(space + 1, strlen(space + 1), sig, SIGN_SIGNATURE_BYTES) != 0)
        return ERR_INVALID;
    memcpy(operator, name, (size_t)(space - name) + 1);
    return 0;
}

/* Reads one request into w: parsed, or with its answer decided (malformed or oversized). */
static void
take_request(door_t *d, zmsg_t *msg, struct waiting *w)
{
    struct envelope env = {zmsg_pop(msg), false, NULL};
    /* An operator's signature travels as a last frame "JCAUTH1 NAME HEX" (access.h). */
    zframe_t *auth = NULL;
    zframe_t *last = zmsg_last(msg);
    if (last && zframe_size(last) > 8 && memcmp(zframe_data(last), "JCAUTH1 ", 8) == 0) {
        zmsg_remove(msg, last);
        auth = last;
    }
    if (zmsg_size(msg) >= 2 && zframe_size(zmsg_first(msg)) == 0) {
        zframe_t *empty = zmsg_pop(msg);
        zframe_destroy(&empty);
        env.delimiter = true;
    }
    if (zmsg_size(msg) == 2 && zframe_size(zmsg_first(msg)) <= 64)
        env.request_id = zmsg_pop(msg);
    w->env = env;
    w->body = zmsg_pop(msg);
    w->answer = NULL;
    event_set_reset(&w->set);
    if (!w->body || zmsg_size(msg) != 0) {
        w->answer = xstrdup("{\"accepted\":0,\"duplicates\":0,\"rejected\":[],\"error\":\"a "
                            "message is [request id] body, the body one frame of JSON or "
                            "msgpack\"}");
    } else if ((int64_t)zframe_size(w->body) > d->max_message) {
        w->answer =
            xasprintf("{\"accepted\":0,\"duplicates\":0,\"rejected\":[],\"error\":\"message "
                      "of %zu bytes exceeds the limit of %lld bytes\"}",
                      zframe_size(w->body), (long long)d->max_message);
        log_warn("intake: refused oversized message node=%s bytes=%zu limit=%lld", d->node_text,
                 zframe_size(w->body), (long long)d->max_message);
    } else {
        w->parse_rc =
            event_parse_message(zframe_data(w->body), zframe_size(w->body), d->node_text, &w->set);
        w->policy = d->policy;
        if (auth && read_auth(auth, w->operator, w->sig) == 0)
            w->policy.request = (struct access_request){w->operator, w->sig, zframe_data(w->body),
                                                        zframe_size(w->body)};
    }
    zframe_destroy(&auth);
}

/* Commits the waiting requests' records; a group that fails for another reason than a full
 * store is committed again one request at a time, so one request's failure is its own. */
static void
commit_waiting(door_t *d, size_t n, int64_t now_ms)
{
    struct intake_part parts[DOOR_GROUP];
    struct waiting *of[DOOR_GROUP];
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        struct waiting *w = &d->waiting[i];
        w->store_rc = 0;
        memset(&w->res, 0, sizeof w->res);
        if (w->set.n_entries > 0) {
            parts[np] = (struct intake_part){&w->set, &w->policy, {0}};
            of[np++] = w;
        }
    }
    if (np == 0)
        return;
    int rc = intake_commit_group(d->store, d->node, parts, np, d->seal_at, now_ms);
    for (size_t k = 0; k < np; k++) {
        int one = rc;
        if (rc != 0 && rc != ERR_STORAGE_FULL && np > 1)
            one = intake_commit_group(d->store, d->node, &parts[k], 1, d->seal_at, now_ms);
        of[k]->store_rc = one;
        of[k]->res = parts[k].res;
        if (one == ERR_STORAGE_FULL)
            d->stats.refused_full++;
        else if (one != 0)
            log_error("intake: commit failed node=%s records=%zu: %s", d->node_text,
                      parts[k].set->n_entries, err_str(one));
    }
}

int
door_handle(door_t *d, int64_t now_ms, size_t max, struct intake_result *res)
{
    memset(res, 0, sizeof *res);
    size_t n = 0;
    /* What is waiting now, up to a group: one commit and one fsync for them all. */
    while (n < DOOR_GROUP && n < max && (zsock_events(d->sock) & ZMQ_POLLIN)) {
        zmsg_t *msg = zmsg_recv(d->sock);
        if (!msg)
            break;
        take_request(d, msg, &d->waiting[n++]);
        zmsg_destroy(&msg);
    }
    if (n == 0)
        return 0;
    commit_waiting(d, n, now_ms);
    for (size_t i = 0; i < n; i++) {
        struct waiting *w = &d->waiting[i];
        const struct intake_result *r = &w->res;
        bool answered = w->answer != NULL;
        char *text = answered ? w->answer
                              : intake_reply_json(&w->set, r,
                                                  w->store_rc                 ? w->store_rc
                                                  : w->parse_rc == ERR_DECODE ? ERR_DECODE
                                                                              : 0);
        if (w->env.identity)
            reply(d, &w->env, text);
        free(text);
        w->answer = NULL;
        zframe_destroy(&w->env.identity);
        zframe_destroy(&w->env.request_id);
        zframe_destroy(&w->body);
        if (!answered && w->store_rc == 0) {
            d->stats.accepted += r->accepted;
            d->stats.duplicates += r->duplicates;
            d->stats.rejected += w->set.n_rejected + r->n_refused;
            res->accepted += r->accepted;
            res->duplicates += r->duplicates;
            res->sealed += r->sealed;
            res->audited += r->audited;
            if (r->last_seq > res->last_seq)
                res->last_seq = r->last_seq;
        }
        /* A group keeps DOOR_GROUP sets: one that held a large message gives its memory back,
         * so a burst of them leaves the daemon no bigger than one would. */
        if (w->set.records.cap + w->set.cap_entries * sizeof *w->set.entries > DOOR_KEEP_BYTES) {
            event_set_fini(&w->set);
            event_set_init(&w->set);
        }
    }
    return (int)n;
}
