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

struct door {
    store_t *store;
    uint32_t node;
    char node_text[NODE_LEN + 1];
    zsock_t *sock;
    int64_t max_message;
    uint32_t seal_at;
    struct intake_policy policy;
    struct event_set set;
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
    event_set_init(&d->set);
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
        snprintf(why, why_len, "cannot set mode %03o on intake %s: %s", DOOR_SOCKET_MODE,
                 endpoint, strerror(errno));
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
    event_set_fini(&(*p)->set);
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

/* The envelope of one request: who asked, whether it used a REQ-style empty delimiter, and the
 * optional request id a pipelining client uses to match replies to requests. */
struct envelope {
    zframe_t *identity;
    bool delimiter;
    zframe_t *request_id;
};

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

int
door_handle(door_t *d, int64_t now_ms, struct intake_result *res)
{
    memset(res, 0, sizeof *res);
    if (!(zsock_events(d->sock) & ZMQ_POLLIN))
        return ERR_NOT_FOUND;
    zmsg_t *msg = zmsg_recv(d->sock);
    if (!msg)
        return ERR_NOT_FOUND;
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
    zframe_t *body = zmsg_pop(msg);
    bool framed = env.identity && body && zmsg_size(msg) == 0;
    zmsg_destroy(&msg);
    if (!framed) {
        zframe_destroy(&auth);
        if (env.identity)
            reply(d, &env,
                  "{\"accepted\":0,\"duplicates\":0,\"rejected\":[],\"error\":\"a message is "
                  "[request id] body, the body one frame of JSON or msgpack\"}");
        zframe_destroy(&env.identity);
        zframe_destroy(&env.request_id);
        zframe_destroy(&body);
        return 0;
    }
    if ((int64_t)zframe_size(body) > d->max_message) {
        char *text =
            xasprintf("{\"accepted\":0,\"duplicates\":0,\"rejected\":[],\"error\":\"message "
                      "of %zu bytes exceeds the limit of %lld bytes\"}",
                      zframe_size(body), (long long)d->max_message);
        log_warn("intake: refused oversized message node=%s bytes=%zu limit=%lld", d->node_text,
                 zframe_size(body), (long long)d->max_message);
        reply(d, &env, text);
        free(text);
        zframe_destroy(&body);
        zframe_destroy(&auth);
        return 0;
    }
    int rc = event_parse_message(zframe_data(body), zframe_size(body), d->node_text, &d->set);
    int store_rc = 0;
    char operator[EVENT_ID_MAX + 1];
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    struct intake_policy policy = d->policy;
    if (auth && read_auth(auth, operator, sig) == 0)
        policy.request =
            (struct access_request){operator, sig, zframe_data(body), zframe_size(body)};
    zframe_destroy(&auth);
    if (d->set.n_entries > 0) {
        store_rc = intake_commit(d->store, d->node, &d->set, &policy, d->seal_at, now_ms, res);
        if (store_rc == ERR_STORAGE_FULL)
            d->stats.refused_full++;
        else if (store_rc != 0)
            log_error("intake: commit failed node=%s records=%zu: %s", d->node_text,
                      d->set.n_entries, err_str(store_rc));
    }
    char *text = intake_reply_json(&d->set, res, store_rc ? store_rc : (rc == ERR_DECODE ? rc : 0));
    reply(d, &env, text);
    free(text);
    zframe_destroy(&body);
    if (store_rc != 0) {
        memset(res, 0, sizeof *res);
        return 0;
    }
    d->stats.accepted += res->accepted;
    d->stats.duplicates += res->duplicates;
    d->stats.rejected += d->set.n_rejected + res->n_refused;
    return 0;
}
