/* screen: the centre's screen over HTTP. See screen.h and docs/api.md. */
#include "screen.h"

#include "alert.h"
#include "board.h"
#include "bundle.h"
#include "log.h"
#include "mem.h"
#include "node.h"
#include "report.h"
#include "roster.h"
#include "signin.h"
#include "store.h"
#include "timestamp.h"
#include "view.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COOKIE "jiancha_session"
#define ARGS_MAX 16
#define ARG_VALUE_MAX 128
#define ALERTS_LIMIT_MAX 1000
#define INTAKE_TIMEOUT_MS 5000
#define STREAM_TICK_MS 250
#define STREAM_KEEPALIVE_MS 15000
#define CACHE_MS 5000      /* reports and trends: figures at most this old */
#define CACHE_NODES_MS 2000 /* the tree: counting every record held takes a while */
#define CACHE_SLOTS 32

struct cached {
    char key[256];
    int64_t at_ms;
    char *text;
};

struct lights {
    uint64_t red, yellow, changes;
};

/* The board every request reads: loaded by one thread at a time, refreshed every second by the
 * refresher while the screen is used, freed by whoever lets go of it last. */
struct shared_board {
    struct board b;
    int refs;
    int64_t at_ms;
};

#define BOARD_REFRESH_MS 1000
#define BOARD_IDLE_MS 60000 /* no request for this long: the refresher rests */

struct screen {
    struct screen_options o;
    store_t *store;
    struct MHD_Daemon *daemon;
    signin_sessions_t *sessions;
    int port;
    volatile int stopping;
    pthread_mutex_t lock; /* stats, cache, lights */
    struct screen_stats stats;
    struct cached cache[CACHE_SLOTS];
    /* the shared board (board_lock), its loader and the refresher thread */
    pthread_mutex_t board_lock;
    pthread_cond_t board_loaded;
    struct shared_board *board;
    bool loading;
    int64_t asked_ms;
    pthread_t refresher;
    bool refresher_started;
};

static void
count(screen_t *s, uint64_t *field)
{
    pthread_mutex_lock(&s->lock);
    (*field)++;
    pthread_mutex_unlock(&s->lock);
}

/* ---- answers ---- */

static enum MHD_Result
send_response(struct MHD_Connection *c, unsigned status, struct MHD_Response *r, const char *type,
              bool cache)
{
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", cache ? "max-age=86400" : "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    /* the sign-in link must never leave in a Referer */
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; style-src 'self' "
                            "'unsafe-inline'; frame-ancestors 'none'");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result
send_text(struct MHD_Connection *c, unsigned status, const char *type, const char *text, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
    return send_response(c, status, r, type, false);
}

/* Sends the JSON and drops the reference. */
static enum MHD_Result
send_json(struct MHD_Connection *c, unsigned status, json_t *o)
{
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    return send_response(c, status, r, "application/json; charset=utf-8", false);
}

static enum MHD_Result
send_error(struct MHD_Connection *c, unsigned status, const char *field, const char *reason)
{
    return send_json(c, status,
                     json_pack("{s:{s:i,s:o,s:s}}", "error", "status", (int)status, "field",
                               field ? json_string(field) : json_null(), "reason", reason));
}

static const char *
type_of_file(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "application/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json; charset=utf-8"},
        {".png", "image/png"},
        {".svg", "image/svg+xml"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* A path under the pages: letters, digits, '-', '_', '.', '/' and no "..". */
static bool
safe_path(const char *p)
{
    if (p[0] != '/' || strstr(p, "..") || strstr(p, "//") || strlen(p) > 200)
        return false;
    for (const char *c = p; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_' || *c == '.' || *c == '/'))
            return false;
    return true;
}

static enum MHD_Result
send_file(screen_t *s, struct MHD_Connection *c, const char *path)
{
    char full[4096];
    snprintf(full, sizeof full, "%s%s", s->o.pages, path);
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        static const char nf[] = "not found\n";
        return send_text(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", nf, sizeof nf - 1);
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    /* the pinned libraries never change under one name; the pages may, with the package */
    return send_response(c, MHD_HTTP_OK, r, type_of_file(path), strncmp(path, "/vendor/", 8) == 0);
}

/* ---- the node's intake: sign-ins and reads are logged there ---- */

/* Hands one request to the node. 0 stored, ERR_EXISTS already stored, ERR_INVALID refused (why
 * says why), ERR_STATE no answer. */
static int
deliver(screen_t *s, const char *body, const char *auth, char why[ERR_WHY_MAX])
{
    zsock_t *sock = zsock_new(ZMQ_REQ);
    if (!sock) {
        snprintf(why, ERR_WHY_MAX, "cannot make a socket");
        return ERR_STATE;
    }
    zsock_set_linger(sock, 0);
    zsock_set_sndtimeo(sock, INTAKE_TIMEOUT_MS);
    zsock_set_rcvtimeo(sock, INTAKE_TIMEOUT_MS);
    zmsg_t *m = zmsg_new();
    zmsg_addstr(m, body);
    if (auth)
        zmsg_addstr(m, auth);
    char *answer = NULL;
    if (zsock_connect(sock, "%s", s->o.intake) == 0 && zmsg_send(&m, sock) == 0)
        answer = zstr_recv(sock);
    zmsg_destroy(&m);
    zsock_destroy(&sock);
    if (!answer) {
        snprintf(why, ERR_WHY_MAX, "the node did not answer at %s", s->o.intake);
        return ERR_STATE;
    }
    json_t *a = json_loads(answer, 0, NULL);
    zstr_free(&answer);
    json_t *rej = json_array_get(json_object_get(a, "rejected"), 0);
    int rc = ERR_STATE;
    if (json_integer_value(json_object_get(a, "accepted")) == 1)
        rc = 0;
    else if (json_integer_value(json_object_get(a, "duplicates")) == 1)
        rc = ERR_EXISTS;
    else if (rej) {
        snprintf(why, ERR_WHY_MAX, "%s: %s", json_string_value(json_object_get(rej, "field")),
                 json_string_value(json_object_get(rej, "reason")));
        rc = ERR_INVALID;
    } else {
        snprintf(why, ERR_WHY_MAX, "%s",
                 json_is_string(json_object_get(a, "error"))
                     ? json_string_value(json_object_get(a, "error"))
                     : "an answer the screen does not understand");
    }
    json_decref(a);
    return rc;
}

/* ---- requests ---- */

struct arg {
    const char *key, *value;
};

struct req {
    screen_t *s;
    struct MHD_Connection *c;
    struct signin_session session;
    struct roster_operator op;
    struct view_scope scope;
    char dept[EVENT_ID_MAX + 1];
    struct arg args[ARGS_MAX];
    size_t n_args;
    bool too_many, too_long;
    int64_t now;
};

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct req *q = cls;
    if (q->n_args == ARGS_MAX) {
        q->too_many = true;
        return MHD_NO;
    }
    if (value && strlen(value) > ARG_VALUE_MAX)
        q->too_long = true;
    q->args[q->n_args++] = (struct arg){key, value ? value : ""};
    return MHD_YES;
}

static const char *
arg(const struct req *q, const char *key)
{
    for (size_t i = 0; i < q->n_args; i++)
        if (strcmp(q->args[i].key, key) == 0)
            return q->args[i].value[0] ? q->args[i].value : NULL;
    return NULL;
}

/* 0, or the 400 already sent: a parameter the route does not take, repeated, or too long. */
static int
check_args(struct req *q, const char *const *allowed, enum MHD_Result *sent)
{
    if (q->too_many) {
        *sent = send_error(q->c, MHD_HTTP_BAD_REQUEST, NULL, "too many parameters");
        return -1;
    }
    for (size_t i = 0; i < q->n_args; i++) {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(*a, q->args[i].key) == 0;
        char reason[160];
        if (!known) {
            snprintf(reason, sizeof reason, "not a parameter of this path");
            *sent = send_error(q->c, MHD_HTTP_BAD_REQUEST, q->args[i].key, reason);
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(q->args[j].key, q->args[i].key) == 0) {
                *sent = send_error(q->c, MHD_HTTP_BAD_REQUEST, q->args[i].key, "given twice");
                return -1;
            }
        if (strlen(q->args[i].value) > ARG_VALUE_MAX) {
            *sent = send_error(q->c, MHD_HTTP_BAD_REQUEST, q->args[i].key, "too long");
            return -1;
        }
    }
    return 0;
}

/* The text of what was read, for the log: the path and its parameters. */
static void
what_of(const struct req *q, const char *url, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "GET %s", url);
    for (size_t i = 0; i < q->n_args && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%c%s=%s", i ? '&' : '?', q->args[i].key,
                              q->args[i].value);
}

/* Logs the read at the node before anything is shown; false (and a 503 sent) when it cannot. */
static bool
log_read(struct req *q, const char *url, enum MHD_Result *sent)
{
    uint8_t nonce[12];
    sign_random(nonce, sizeof nonce);
    char hex[2 * sizeof nonce + 1], id[40], at[TIMESTAMP_TEXT_MAX], what[1024];
    sign_to_hex(nonce, sizeof nonce, hex);
    snprintf(id, sizeof id, "read-%s", hex);
    timestamp_format(q->now, at);
    what_of(q, url, what, sizeof what);
    json_t *o =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", "web.read", "id", id, "by",
                  q->session.operator, "what", what, "session", q->session.signin, "at", at);
    char *body = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    char why[ERR_WHY_MAX];
    int rc = deliver(q->s, body, NULL, why);
    free(body);
    if (rc == 0) {
        count(q->s, &q->s->stats.reads_logged);
        return true;
    }
    count(q->s, &q->s->stats.reads_unlogged);
    log_warn("screen: read not logged, so not served operator=%s what=\"%s\": %s",
             q->session.operator, what, why);
    *sent = send_error(q->c, rc == ERR_INVALID ? MHD_HTTP_FORBIDDEN : MHD_HTTP_SERVICE_UNAVAILABLE,
                       NULL,
                       rc == ERR_INVALID ? why
                                         : "the node cannot log this read now, so it is not shown "
                                           "(every read is logged: art. 15); try again shortly");
    return false;
}

/* The operator of the session, as the roster the node holds now names them. */
static bool
load_operator(struct req *q)
{
    store_txn_t *t = NULL;
    roster_t *roster = NULL;
    bool ok = store_read(q->s->store, &t) == 0 && bundle_held_roster(t, &roster) == 0;
    store_abort(&t);
    const struct roster_operator *op = ok ? roster_find(roster, q->session.operator) : NULL;
    if (op)
        q->op = *op;
    roster_destroy(&roster);
    if (!op)
        return false;
    /* the scope: all this node holds when its scope holds the node, else their office below */
    q->scope.root = roster_in_scope(&q->op, q->s->o.node) ? 0 : q->op.node;
    if (q->op.role == ROSTER_DEPARTMENT && q->op.dept[0]) {
        snprintf(q->dept, sizeof q->dept, "%s", q->op.dept);
        q->scope.dept = q->dept;
    }
    return true;
}

static struct view_names
names_of(const screen_t *s)
{
    return (struct view_names){s->o.regions, s->o.catalog, s->o.calendar};
}

static json_t *
time_json(int64_t ms)
{
    char when[TIMESTAMP_TEXT_MAX];
    timestamp_format(ms, when);
    return json_string(when);
}

/* A node parameter: NULL when absent; a 400 or 403 is sent for a bad or out-of-scope one. */
static int
node_arg(struct req *q, const char *name, uint32_t *node, enum MHD_Result *sent)
{
    const char *v = arg(q, name);
    *node = 0;
    if (!v)
        return 0;
    if (node_valid(v, strlen(v)) != 0) {
        *sent = send_error(q->c, MHD_HTTP_BAD_REQUEST, name, "a six-digit division code");
        return -1;
    }
    *node = node_number(v);
    if (!view_node_in_scope(&q->scope, *node)) {
        *sent = send_error(q->c, MHD_HTTP_FORBIDDEN, name, "outside the operator's scope");
        return -1;
    }
    return 0;
}

/* A month parameter (default: this month). */
static int
month_arg(struct req *q, const char *name, char out[8], enum MHD_Result *sent)
{
    const char *v = arg(q, name);
    int64_t f, n;
    if (!v) {
        int y;
        unsigned m, d;
        timestamp_civil_from_days(calendar_day_of(q->now), &y, &m, &d);
        snprintf(out, 8, "%04d-%02u", y, m);
        return 0;
    }
    if (strlen(v) != 7 || calendar_parse_month(v, &f, &n) != 0) {
        *sent = send_error(q->c, MHD_HTTP_BAD_REQUEST, name, "a month, YYYY-MM");
        return -1;
    }
    memcpy(out, v, 8);
    return 0;
}

static int
count_arg(struct req *q, const char *name, long def, long min, long max, long *out,
          enum MHD_Result *sent)
{
    const char *v = arg(q, name);
    *out = def;
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || end == v || n < min || n > max) {
        char reason[96];
        snprintf(reason, sizeof reason, "a whole number from %ld to %ld", min, max);
        *sent = send_error(q->c, MHD_HTTP_BAD_REQUEST, name, reason);
        return -1;
    }
    *out = n;
    return 0;
}

static enum MHD_Result
storage_error(struct req *q, int rc)
{
    log_warn("screen: store read failed dir=%s: %s", q->s->o.data, err_str(rc));
    return send_error(q->c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "the store cannot be read now");
}

/* ---- answers kept a few seconds ---- */

/* A cached answer for this key, younger than max_age_ms: a malloc'd copy, or NULL. */
static char *
cache_get(screen_t *s, const char *key, int64_t now, int64_t max_age_ms)
{
    char *text = NULL;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < CACHE_SLOTS && !text; i++)
        if (s->cache[i].text && strcmp(s->cache[i].key, key) == 0 &&
            now - s->cache[i].at_ms < max_age_ms)
            text = xstrdup(s->cache[i].text);
    pthread_mutex_unlock(&s->lock);
    return text;
}

static void
cache_put(screen_t *s, const char *key, int64_t now, const char *text)
{
    pthread_mutex_lock(&s->lock);
    size_t slot = 0;
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        if (!s->cache[i].text || strcmp(s->cache[i].key, key) == 0) {
            slot = i;
            break;
        }
        if (s->cache[i].at_ms < s->cache[slot].at_ms)
            slot = i;
    }
    free(s->cache[slot].text);
    snprintf(s->cache[slot].key, sizeof s->cache[slot].key, "%s", key);
    s->cache[slot].at_ms = now;
    s->cache[slot].text = xstrdup(text);
    pthread_mutex_unlock(&s->lock);
}

static enum MHD_Result
send_cached(struct req *q, const char *key, json_t *o)
{
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    cache_put(q->s, key, q->now, text);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    return send_response(q->c, MHD_HTTP_OK, r, "application/json; charset=utf-8", false);
}

static bool
from_cache(struct req *q, const char *key, int64_t max_age_ms, enum MHD_Result *sent)
{
    char *text = cache_get(q->s, key, q->now, max_age_ms);
    if (!text)
        return false;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    *sent = send_response(q->c, MHD_HTTP_OK, r, "application/json; charset=utf-8", false);
    return true;
}

/* ---- the shared board ---- */

static void
board_drop(struct shared_board *sb)
{
    if (sb && --sb->refs == 0) {
        board_fini(&sb->b);
        free(sb);
    }
}

/* Loads a board and puts it in force; called without board_lock held. */
static int
board_reload(screen_t *s)
{
    struct shared_board *sb = xcalloc(1, sizeof *sb);
    sb->refs = 1; /* the screen's own */
    sb->at_ms = timestamp_now_ms();
    store_txn_t *t = NULL;
    int rc = store_read(s->store, &t);
    if (rc == 0)
        rc = board_load(t, s->o.calendar, &sb->b);
    store_abort(&t);
    if (rc != 0) {
        free(sb);
        return rc;
    }
    pthread_mutex_lock(&s->board_lock);
    board_drop(s->board);
    s->board = sb;
    pthread_mutex_unlock(&s->board_lock);
    return 0;
}

/* The board in force, at most about a second old; board_put lets go of it. */
static int
board_take(screen_t *s, struct shared_board **out)
{
    pthread_mutex_lock(&s->board_lock);
    s->asked_ms = timestamp_now_ms();
    while (!s->board) {
        if (s->loading) {
            pthread_cond_wait(&s->board_loaded, &s->board_lock);
            continue;
        }
        s->loading = true; /* the first request loads it; the others wait for that one */
        pthread_mutex_unlock(&s->board_lock);
        int rc = board_reload(s);
        pthread_mutex_lock(&s->board_lock);
        s->loading = false;
        pthread_cond_broadcast(&s->board_loaded);
        if (rc != 0) {
            pthread_mutex_unlock(&s->board_lock);
            return rc;
        }
    }
    s->board->refs++;
    *out = s->board;
    pthread_mutex_unlock(&s->board_lock);
    return 0;
}

static void
board_put(screen_t *s, struct shared_board **sb)
{
    pthread_mutex_lock(&s->board_lock);
    board_drop(*sb);
    pthread_mutex_unlock(&s->board_lock);
    *sb = NULL;
}

/* Reloads the board every second while the screen is used, so no request waits for a load. */
static void *
refresh(void *arg)
{
    screen_t *s = arg;
    while (!s->stopping) {
        zclock_sleep(250);
        int64_t now = timestamp_now_ms();
        pthread_mutex_lock(&s->board_lock);
        bool due = s->board && now - s->asked_ms < BOARD_IDLE_MS &&
                   now - s->board->at_ms >= BOARD_REFRESH_MS;
        pthread_mutex_unlock(&s->board_lock);
        if (due && board_reload(s) != 0)
            log_warn("screen: the board cannot be read now dir=%s", s->o.data);
    }
    return NULL;
}

/* ---- the API ---- */

static enum MHD_Result
api_me(struct req *q)
{
    static const char *const none[] = {NULL};
    enum MHD_Result sent;
    if (check_args(q, none, &sent) != 0)
        return sent;
    struct view_names names = names_of(q->s);
    char office[NODE_LEN + 1], here[NODE_LEN + 1];
    node_format(q->op.node, office);
    node_format(q->s->o.node, here);
    const char *on = region_name(names.regions, q->op.node);
    const char *hn = region_name(names.regions, q->s->o.node);
    const char *dn = q->op.dept[0] ? catalog_dept_name(names.catalog, q->op.dept) : NULL;
    json_t *o = json_object();
    json_object_set_new(o, "operator", json_string(q->op.name));
    json_object_set_new(o, "role", json_string(roster_role_name(q->op.role)));
    json_object_set_new(o, "office", json_string(office));
    json_object_set_new(o, "office_name", on ? json_string(on) : json_null());
    json_object_set_new(o, "dept", q->op.dept[0] ? json_string(q->op.dept) : json_null());
    json_object_set_new(o, "dept_name", dn ? json_string(dn) : json_null());
    json_object_set_new(o, "node", json_string(here));
    json_object_set_new(o, "node_name", hn ? json_string(hn) : json_null());
    json_object_set_new(o, "expires", time_json(q->session.ends_ms));
    json_object_set_new(o, "now", time_json(q->now));
    return send_json(q->c, MHD_HTTP_OK, o);
}

static enum MHD_Result
api_nodes(struct req *q)
{
    static const char *const none[] = {NULL};
    enum MHD_Result sent;
    if (check_args(q, none, &sent) != 0)
        return sent;
    char key[256];
    snprintf(key, sizeof key, "nodes %u %s", q->scope.root, q->scope.dept ? q->scope.dept : "");
    if (from_cache(q, key, CACHE_NODES_MS, &sent))
        return sent;
    struct shared_board *sb = NULL;
    store_txn_t *t = NULL;
    struct view_node *rows = NULL;
    size_t n = 0;
    int rc = board_take(q->s, &sb);
    if (rc == 0)
        rc = store_read(q->s->store, &t);
    if (rc == 0)
        rc = view_nodes(t, &sb->b, &q->scope, &rows, &n);
    store_abort(&t);
    if (sb)
        board_put(q->s, &sb);
    if (rc != 0)
        return storage_error(q, rc);
    struct view_names names = names_of(q->s);
    json_t *list = json_array();
    bool own = false;
    for (size_t i = 0; i < n; i++) {
        own |= rows[i].node == q->s->o.node;
        json_array_append_new(list, view_node_json(&rows[i], &names, q->now));
    }
    /* the node itself is always a row, even before anything was stored */
    if (!own && view_node_in_scope(&q->scope, q->s->o.node)) {
        struct view_node self = {.node = q->s->o.node};
        json_array_insert_new(list, 0, view_node_json(&self, &names, q->now));
    }
    free(rows);
    char here[NODE_LEN + 1];
    node_format(q->scope.root ? q->scope.root : q->s->o.node, here);
    return send_cached(
        q, key, json_pack("{s:s,s:o,s:o}", "node", here, "at", time_json(q->now), "nodes", list));
}

static int
newest_first(const void *a, const void *b)
{
    const struct alert *x = *(const struct alert *const *)a, *y = *(const struct alert *const *)b;
    if (x->raised_ms != y->raised_ms)
        return x->raised_ms > y->raised_ms ? -1 : 1;
    return strcmp(x->id, y->id);
}


static int
day_arg(struct req *q, const char *name, int64_t *day, bool *has, enum MHD_Result *sent)
{
    const char *v = arg(q, name);
    *has = v != NULL;
    if (v && (strlen(v) != 10 || calendar_parse_date(v, strlen(v), day) != 0)) {
        *sent = send_error(q->c, MHD_HTTP_BAD_REQUEST, name, "a date, YYYY-MM-DD");
        return -1;
    }
    return 0;
}

static enum MHD_Result
api_alerts(struct req *q)
{
    static const char *const allowed[] = {"light", "rule", "article", "node",  "dept",   "state",
                                          "queue", "from", "to",      "limit", "offset", NULL};
    enum MHD_Result sent;
    struct view_alert_filter f = {0};
    uint32_t node, queue;
    long limit, offset;
    if (check_args(q, allowed, &sent) != 0 || node_arg(q, "node", &node, &sent) != 0 ||
        node_arg(q, "queue", &queue, &sent) != 0 ||
        day_arg(q, "from", &f.from_day, &f.has_from, &sent) != 0 ||
        day_arg(q, "to", &f.to_day, &f.has_to, &sent) != 0 ||
        count_arg(q, "limit", 100, 1, ALERTS_LIMIT_MAX, &limit, &sent) != 0 ||
        count_arg(q, "offset", 0, 0, 100000000, &offset, &sent) != 0)
        return sent;
    f.light = arg(q, "light");
    f.rule = arg(q, "rule");
    f.article = arg(q, "article");
    f.node = arg(q, "node");
    f.dept = arg(q, "dept");
    f.state = arg(q, "state");
    f.queue = arg(q, "queue");
    char field[64], reason[192];
    if (view_alert_filter_check(&f, field, reason) != 0)
        return send_error(q->c, MHD_HTTP_BAD_REQUEST, field, reason);
    if (f.dept && q->scope.dept && strcmp(f.dept, q->scope.dept) != 0)
        return send_error(q->c, MHD_HTTP_FORBIDDEN, "dept", "outside the operator's scope");
    struct shared_board *sb = NULL;
    int rc = board_take(q->s, &sb);
    if (rc != 0)
        return storage_error(q, rc);
    const struct alert **hits = xmalloc((sb->b.n_alerts + 1) * sizeof *hits);
    size_t n = 0;
    uint64_t red = 0, yellow = 0;
    for (size_t i = 0; i < sb->b.n_alerts; i++) {
        const struct alert *a = &sb->b.alerts[i];
        if (!view_alert_in_scope(&q->scope, a) || !view_alert_matches(a, &f))
            continue;
        hits[n++] = a;
        *(a->light == ALERT_RED ? &red : &yellow) += 1;
    }
    if (n > 1)
        qsort(hits, n, sizeof *hits, newest_first);
    struct view_names names = names_of(q->s);
    json_t *list = json_array();
    for (size_t i = (size_t)offset; i < n && i < (size_t)offset + (size_t)limit; i++)
        json_array_append_new(list, view_alert_json(hits[i], &names, q->now));
    free(hits);
    board_put(q->s, &sb);
    return send_json(q->c, MHD_HTTP_OK,
                     json_pack("{s:I,s:I,s:I,s:I,s:I,s:o}", "total", (json_int_t)n, "offset",
                               (json_int_t)offset, "limit", (json_int_t)limit, "red",
                               (json_int_t)red, "yellow", (json_int_t)yellow, "alerts", list));
}

static bool
id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > EVENT_ID_MAX)
        return false;
    for (const char *c = id; *c; c++)
        if ((unsigned char)*c < 0x21 || *c == '/' || *c == 0x7f)
            return false;
    return true;
}

static enum MHD_Result
api_alert(struct req *q, const char *id)
{
    static const char *const none[] = {NULL};
    enum MHD_Result sent;
    if (check_args(q, none, &sent) != 0)
        return sent;
    if (!id_ok(id))
        return send_error(q->c, MHD_HTTP_BAD_REQUEST, "id", "not an alert id");
    struct shared_board *sb = NULL;
    int rc = board_take(q->s, &sb);
    if (rc != 0)
        return storage_error(q, rc);
    const struct alert *a = NULL;
    for (size_t i = 0; i < sb->b.n_alerts && !a; i++)
        if (strcmp(sb->b.alerts[i].id, id) == 0)
            a = &sb->b.alerts[i];
    if (!a || !view_alert_in_scope(&q->scope, a)) {
        bool found = a != NULL;
        board_put(q->s, &sb);
        return found ? send_error(q->c, MHD_HTTP_FORBIDDEN, "id", "outside the operator's scope")
                     : send_error(q->c, MHD_HTTP_NOT_FOUND, "id", "no such alert here");
    }
    struct view_names names = names_of(q->s);
    json_t *events = json_array();
    store_txn_t *t = NULL;
    rc = store_read(q->s->store, &t);
    if (rc == 0 && strcmp(a->subject_kind, "case") == 0 && node_valid(a->node, 6) == 0)
        rc = view_case_events(t, node_number(a->node), a->subject, events);
    store_abort(&t);
    json_t *sup = json_null();
    for (size_t i = 0; i < sb->b.n_cases; i++)
        if (a->supervision[0] && strcmp(sb->b.cases[i].id, a->supervision) == 0) {
            json_decref(sup);
            sup = view_supervision_json(&sb->b.cases[i], &names, q->now);
        }
    json_t *o = json_pack("{s:o,s:o,s:o}", "alert", view_alert_json(a, &names, q->now), "events",
                          events, "supervision", sup);
    board_put(q->s, &sb);
    if (rc != 0) {
        json_decref(o);
        return storage_error(q, rc);
    }
    return send_json(q->c, MHD_HTTP_OK, o);
}

static enum MHD_Result
api_case(struct req *q, const char *id)
{
    static const char *const allowed[] = {"node", NULL};
    enum MHD_Result sent;
    uint32_t node;
    if (check_args(q, allowed, &sent) != 0 || node_arg(q, "node", &node, &sent) != 0)
        return sent;
    if (!id_ok(id))
        return send_error(q->c, MHD_HTTP_BAD_REQUEST, "id", "not a case id");
    struct shared_board *sb = NULL;
    int rc = board_take(q->s, &sb);
    if (rc != 0)
        return storage_error(q, rc);
    struct view_names names = names_of(q->s);
    json_t *alerts = json_array();
    for (size_t i = 0; i < sb->b.n_alerts; i++) {
        const struct alert *a = &sb->b.alerts[i];
        if (strcmp(a->subject_kind, "case") != 0 || strcmp(a->subject, id) != 0 ||
            !view_alert_in_scope(&q->scope, a) || node_valid(a->node, 6) != 0)
            continue;
        if (node && node_number(a->node) != node)
            continue;
        if (!node)
            node = node_number(a->node); /* the node of the case's first alert */
        json_array_append_new(alerts, view_alert_json(a, &names, q->now));
    }
    board_put(q->s, &sb);
    if (!node && !q->scope.root)
        node = q->s->o.node; /* a case without alerts: this node's own */
    if (!node) {
        json_decref(alerts);
        return send_error(q->c, MHD_HTTP_NOT_FOUND, "id", "no such case here (name its node)");
    }
    json_t *events = json_array();
    store_txn_t *t = NULL;
    rc = store_read(q->s->store, &t);
    if (rc == 0)
        rc = view_case_events(t, node, id, events);
    store_abort(&t);
    if (rc != 0) {
        json_decref(alerts);
        json_decref(events);
        return storage_error(q, rc);
    }
    if (json_array_size(events) == 0 && json_array_size(alerts) == 0) {
        json_decref(alerts);
        json_decref(events);
        return send_error(q->c, MHD_HTTP_NOT_FOUND, "id", "no such case here");
    }
    char nt[NODE_LEN + 1];
    node_format(node, nt);
    return send_json(
        q->c, MHD_HTTP_OK,
        json_pack("{s:s,s:s,s:o,s:o}", "case", id, "node", nt, "events", events, "alerts", alerts));
}

static enum MHD_Result
api_supervision(struct req *q)
{
    static const char *const allowed[] = {"state", NULL};
    enum MHD_Result sent;
    if (check_args(q, allowed, &sent) != 0)
        return sent;
    const char *state = arg(q, "state");
    if (state && strcmp(state, "open") && strcmp(state, "reported") && strcmp(state, "closed") &&
        strcmp(state, "overdue"))
        return send_error(q->c, MHD_HTTP_BAD_REQUEST, "state", "open, reported, closed or overdue");
    struct shared_board *sb = NULL;
    int rc = board_take(q->s, &sb);
    if (rc != 0)
        return storage_error(q, rc);
    struct view_names names = names_of(q->s);
    json_t *list = json_array();
    for (size_t i = 0; i < sb->b.n_cases; i++) {
        const struct supervision *c = &sb->b.cases[i];
        /* a case concerns the office that opened it and the department it targets */
        bool in =
            node_valid(c->target_node, 6) == 0 &&
            (view_node_in_scope(&q->scope, node_number(c->target_node)) ||
             (node_valid(c->node, 6) == 0 && view_node_in_scope(&q->scope, node_number(c->node))));
        if (in && q->scope.dept)
            in = strcmp(c->target_dept, q->scope.dept) == 0;
        if (!in || (state && strcmp(supervision_state(c, q->now), state) != 0))
            continue;
        json_array_append_new(list, view_supervision_json(c, &names, q->now));
    }
    board_put(q->s, &sb);
    return send_json(q->c, MHD_HTTP_OK, json_pack("{s:o}", "cases", list));
}


static enum MHD_Result
api_patrols(struct req *q)
{
    static const char *const allowed[] = {"period", NULL};
    enum MHD_Result sent;
    char period[8];
    if (check_args(q, allowed, &sent) != 0 || month_arg(q, "period", period, &sent) != 0)
        return sent;
    char key[256];
    snprintf(key, sizeof key, "patrols %s %u", period, q->scope.root);
    if (from_cache(q, key, CACHE_MS, &sent))
        return sent;
    if (!q->s->o.calendar)
        return send_error(q->c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
                          "the screen has no calendar (web/calendar): working days cannot be "
                          "counted");
    /* the monthly report's own figures, so the screen and the report never differ */
    struct report r;
    int rc = report_build(q->s->store, q->s->o.calendar, period,
                          q->scope.root ? q->scope.root : q->s->o.node, q->now, &r);
    if (rc != 0)
        return storage_error(q, rc);
    struct view_names names = names_of(q->s);
    json_t *list = json_array();
    for (size_t i = 0; i < r.n_offices; i++) {
        const struct report_office *o = &r.offices[i];
        char nt[NODE_LEN + 1];
        node_format(o->node, nt);
        const char *name = region_name(names.regions, o->node);
        json_array_append_new(list, json_pack("{s:s,s:o,s:i,s:i,s:I,s:i}", "node", nt, "name",
                                              name ? json_string(name) : json_null(), "depth",
                                              node_depth(o->node), "workdays", (int)o->workdays,
                                              "patrols", (json_int_t)o->patrols, "short_days",
                                              (int)o->short_days));
    }
    report_fini(&r);
    return send_cached(q, key, json_pack("{s:s,s:o}", "period", period, "offices", list));
}

static enum MHD_Result
api_scores(struct req *q)
{
    static const char *const allowed[] = {"period", "by", NULL};
    enum MHD_Result sent;
    char period[8];
    if (check_args(q, allowed, &sent) != 0 || month_arg(q, "period", period, &sent) != 0)
        return sent;
    const char *by = arg(q, "by") ? arg(q, "by") : "node";
    enum score_by mode;
    if (strcmp(by, "node") == 0)
        mode = SCORE_BY_NODE;
    else if (strcmp(by, "dept") == 0)
        mode = SCORE_BY_DEPT;
    else if (strcmp(by, "category") == 0)
        mode = SCORE_BY_CATEGORY;
    else if (strcmp(by, "region") == 0)
        mode = SCORE_BY_REGION;
    else
        return send_error(q->c, MHD_HTTP_BAD_REQUEST, "by", "node, dept, category or region");
    char key[256];
    snprintf(key, sizeof key, "scores %s %s %u %s", period, by, q->scope.root,
             q->scope.dept ? q->scope.dept : "");
    if (from_cache(q, key, CACHE_MS, &sent))
        return sent;
    int64_t first, after;
    if (calendar_parse_month(period, &first, &after) != 0)
        return send_error(q->c, MHD_HTTP_BAD_REQUEST, "period", "a month, YYYY-MM");
    struct view_score_row *rows = NULL;
    size_t n = 0;
    int rc = view_scores(q->s->store, first, after, mode, &q->scope, &rows, &n);
    if (rc != 0)
        return storage_error(q, rc);
    struct view_names names = names_of(q->s);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, view_score_json(&rows[i], i + 1, period, mode, &names));
    free(rows);
    return send_cached(q, key,
                       json_pack("{s:s,s:s,s:o}", "period", period, "by", by, "rows", list));
}

static enum MHD_Result
api_trends(struct req *q)
{
    static const char *const allowed[] = {"to", "months", NULL};
    enum MHD_Result sent;
    char to[8];
    long months;
    if (check_args(q, allowed, &sent) != 0 || month_arg(q, "to", to, &sent) != 0 ||
        count_arg(q, "months", 12, 1, VIEW_TREND_MONTHS_MAX, &months, &sent) != 0)
        return sent;
    char key[256];
    snprintf(key, sizeof key, "trends %s %ld %u %s", to, months, q->scope.root,
             q->scope.dept ? q->scope.dept : "");
    if (from_cache(q, key, CACHE_MS, &sent))
        return sent;
    json_t *o = NULL;
    int rc = view_trends(q->s->store, to, (int)months, &q->scope, &o);
    if (rc != 0)
        return storage_error(q, rc);
    return send_cached(q, key, o);
}

/* ---- the live stream ---- */

/* The standing department lights in scope and the sum of their changes, from the shared board. */
static int
lights_now(screen_t *s, const struct view_scope *scope, struct lights *out)
{
    struct shared_board *sb = NULL;
    int rc = board_take(s, &sb);
    if (rc != 0)
        return rc;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < sb->b.n_alerts; i++) {
        const struct alert *a = &sb->b.alerts[i];
        if (!view_alert_in_scope(scope, a))
            continue;
        out->changes += alert_changes(a);
        if ((a->state == ALERT_OPEN || a->state == ALERT_RESPONDED) &&
            alert_is_department(a->rule))
            *(a->light == ALERT_RED ? &out->red : &out->yellow) += 1;
    }
    board_put(s, &sb);
    return 0;
}

struct stream {
    screen_t *s;
    struct view_scope scope;
    char dept[EVENT_ID_MAX + 1];
    char token[SIGNIN_TOKEN_LEN + 1];
    bool sent_once;
    uint64_t last_changes;
    int64_t last_sent_ms;
};

/* One thread per connection: the reader may wait for a change. */
static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct stream *st = cls;
    for (int64_t waited = 0; !st->s->stopping; waited += STREAM_TICK_MS) {
        int64_t now = timestamp_now_ms();
        struct signin_session ss;
        if (!signin_session_find(st->s->sessions, st->token, now, &ss))
            return MHD_CONTENT_READER_END_OF_STREAM; /* signed out or ended */
        struct lights l;
        if (lights_now(st->s, &st->scope, &l) == 0 &&
            (!st->sent_once || l.changes != st->last_changes)) {
            char when[TIMESTAMP_TEXT_MAX];
            timestamp_format(now, when);
            int n = snprintf(buf, max,
                             "%sevent: lights\ndata: {\"red\":%llu,\"yellow\":%llu,\"changes\":%llu,"
                             "\"at\":\"%s\"}\n\n",
                             st->sent_once ? "" : "retry: 3000\n", (unsigned long long)l.red,
                             (unsigned long long)l.yellow, (unsigned long long)l.changes, when);
            if (n <= 0 || (size_t)n >= max)
                return MHD_CONTENT_READER_END_WITH_ERROR;
            st->sent_once = true;
            st->last_changes = l.changes;
            st->last_sent_ms = now;
            return n;
        }
        if (now - st->last_sent_ms >= STREAM_KEEPALIVE_MS && max > 16) {
            st->last_sent_ms = now;
            memcpy(buf, ": keepalive\n\n", 13);
            return 13;
        }
        zclock_sleep(STREAM_TICK_MS);
    }
    return MHD_CONTENT_READER_END_OF_STREAM;
}

static void
stream_free(void *cls)
{
    free(cls);
}

static enum MHD_Result
api_stream(struct req *q, const char *token)
{
    static const char *const none[] = {NULL};
    enum MHD_Result sent;
    if (check_args(q, none, &sent) != 0)
        return sent;
    struct stream *st = xcalloc(1, sizeof *st);
    st->s = q->s;
    st->scope = q->scope;
    if (q->scope.dept) {
        snprintf(st->dept, sizeof st->dept, "%s", q->scope.dept);
        st->scope.dept = st->dept;
    }
    snprintf(st->token, sizeof st->token, "%s", token);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, stream_read, st, stream_free);
    return send_response(q->c, MHD_HTTP_OK, r, "text/event-stream; charset=utf-8", false);
}

/* ---- sign-in and out ---- */

static enum MHD_Result
signin_page(screen_t *s, struct MHD_Connection *c, unsigned status, const char *why)
{
    if (!why)
        return send_file(s, c, "/signin.html");
    /* a refused link: the reason, plainly, with the way to a new one */
    char *page = xasprintf(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>登录失败</title>"
        "<link rel=\"stylesheet\" href=\"/style.css\"></head><body class=\"signin\">"
        "<main class=\"signin-box\"><h1>登录失败</h1><p id=\"signin-error\">%s</p>"
        "<p>请用 <code>jiancha web login</code> 生成新的登录链接（每个链接只能使用一次，10 "
        "分钟内有效）。"
        "</p></main></body></html>",
        why);
    enum MHD_Result rc = send_text(c, status, "text/html; charset=utf-8", page, strlen(page));
    free(page);
    return rc;
}

/* Text safe inside HTML (the reason of a refusal names what the link held). */
static void
html_escape(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (; *in && n + 7 < cap; in++) {
        const char *rep = *in == '<'   ? "&lt;"
                          : *in == '>' ? "&gt;"
                          : *in == '&' ? "&amp;"
                          : *in == '"' ? "&quot;"
                                       : NULL;
        if (rep) {
            memcpy(out + n, rep, strlen(rep));
            n += strlen(rep);
        } else {
            out[n++] = *in;
        }
    }
    out[n] = '\0';
}

static enum MHD_Result
do_signin(screen_t *s, struct MHD_Connection *c)
{
    const char *r = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "r");
    const char *sg = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "s");
    struct signin_request req;
    char why[ERR_WHY_MAX], shown[2 * ERR_WHY_MAX];
    int64_t now = timestamp_now_ms();
    store_txn_t *t = NULL;
    roster_t *roster = NULL;
    const struct roster_operator *op = NULL;
    int rc = signin_link_read(r, sg, &req, why);
    if (rc == 0) {
        rc = store_read(s->store, &t);
        if (rc == 0 && bundle_held_roster(t, &roster) != 0) {
            snprintf(why, sizeof why,
                     "this node holds no roster of operators yet, so nobody "
                     "can sign in (jiancha bundle publish --kind operators)");
            rc = ERR_INVALID;
        } else if (rc != 0) {
            snprintf(why, sizeof why, "the store cannot be read now");
        }
        store_abort(&t);
    }
    if (rc == 0)
        rc = signin_judge(&req, roster, s->o.node, now, &op, why);
    char operator[EVENT_ID_MAX + 1] = "";
    if (op)
        snprintf(operator, sizeof operator, "%s", op->name);
    roster_destroy(&roster);
    if (rc == 0) {
        /* the node judges it again and keeps it: a link used before is a duplicate there */
        char auth[EVENT_ID_MAX + 2 * SIGN_SIGNATURE_BYTES + 16], hex[2 * SIGN_SIGNATURE_BYTES + 1];
        sign_to_hex(req.sig, sizeof req.sig, hex);
        snprintf(auth, sizeof auth, "JCAUTH1 %s %s", req.by, hex);
        rc = deliver(s, req.text, auth, why);
        if (rc == ERR_EXISTS)
            snprintf(why, sizeof why, "this link was used already: a link signs in once");
    }
    if (rc != 0) {
        count(s, &s->stats.signins_refused);
        log_warn("screen: sign-in refused operator=%s: %s", req.by[0] ? req.by : "-", why);
        html_escape(why, shown, sizeof shown);
        return signin_page(
            s, c, rc == ERR_STATE ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_FORBIDDEN, shown);
    }
    char token[SIGNIN_TOKEN_LEN + 1];
    signin_session_open(s->sessions, operator, req.id, now, token);
    count(s, &s->stats.signins);
    log_info("screen: signed in operator=%s signin=%s", operator, req.id);
    char cookie[256];
    snprintf(cookie, sizeof cookie,
             COOKIE "=%s; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=%lld", token,
             (long long)(s->o.session_ms / 1000));
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Set-Cookie", cookie);
    MHD_add_response_header(resp, "Location", "/#/overview");
    return send_response(c, MHD_HTTP_SEE_OTHER, resp, "text/plain; charset=utf-8", false);
}

static enum MHD_Result
do_signout(screen_t *s, struct MHD_Connection *c, const char *token)
{
    signin_session_close(s->sessions, token);
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Set-Cookie",
                            COOKIE "=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
    return send_response(c, MHD_HTTP_NO_CONTENT, r, "text/plain; charset=utf-8", false);
}

/* ---- routing ---- */

static enum MHD_Result
route_api(struct req *q, const char *url, const char *token)
{
    const char *p = url + strlen("/api/v1/");
    /* every read is logged before it is answered */
    enum MHD_Result sent;
    static const char *const reads[] = {"me",     "nodes",  "alerts", "supervision", "patrols",
                                        "scores", "trends", "stream", NULL};
    bool known = strncmp(p, "alerts/", 7) == 0 || strncmp(p, "cases/", 6) == 0;
    for (const char *const *r = reads; *r && !known; r++)
        known = strcmp(p, *r) == 0;
    if (!known)
        return send_error(q->c, MHD_HTTP_NOT_FOUND, NULL, "no such path in the API (docs/api.md)");
    if (!log_read(q, url, &sent))
        return sent;
    if (strcmp(p, "me") == 0)
        return api_me(q);
    if (strcmp(p, "nodes") == 0)
        return api_nodes(q);
    if (strcmp(p, "alerts") == 0)
        return api_alerts(q);
    if (strncmp(p, "alerts/", 7) == 0)
        return api_alert(q, p + 7);
    if (strncmp(p, "cases/", 6) == 0)
        return api_case(q, p + 6);
    if (strcmp(p, "supervision") == 0)
        return api_supervision(q);
    if (strcmp(p, "patrols") == 0)
        return api_patrols(q);
    if (strcmp(p, "scores") == 0)
        return api_scores(q);
    if (strcmp(p, "trends") == 0)
        return api_trends(q);
    return api_stream(q, token);
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
       const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    screen_t *s = cls;
    bool post = strcmp(method, "POST") == 0;
    if (post && !*con_cls) {
        *con_cls = s; /* the body comes in later calls: wait for its end */
        return MHD_YES;
    }
    if (post && *upload_size) {
        *upload_size = 0; /* a sign-out has no body; anything sent is dropped */
        return MHD_YES;
    }
    count(s, &s->stats.requests);
    bool api = strncmp(url, "/api/", 5) == 0;
    if (!post && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "GET only (POST to sign out)");
    if (strcmp(url, "/signin") == 0 && !post)
        return do_signin(s, c);
    /* public: the sign-in page and what it needs */
    if (!post && (strcmp(url, "/signin.html") == 0 || strcmp(url, "/style.css") == 0))
        return send_file(s, c, url);
    struct req q = {.s = s, .c = c, .now = timestamp_now_ms()};
    const char *token = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE);
    bool in = signin_session_find(s->sessions, token, q.now, &q.session) && load_operator(&q);
    if (!in) {
        count(s, &s->stats.refused);
        if (api)
            return send_error(c, MHD_HTTP_UNAUTHORIZED, NULL,
                              "sign in first: jiancha web login (docs/api.md)");
        return signin_page(s, c, MHD_HTTP_OK, NULL);
    }
    if (post)
        return strcmp(url, "/api/v1/signout") == 0
                   ? do_signout(s, c, token)
                   : send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "GET only");
    if (api) {
        if (strncmp(url, "/api/v1/", 8) != 0)
            return send_error(c, MHD_HTTP_NOT_FOUND, NULL, "the API is under /api/v1/");
        if (strstr(url, ".."))
            return send_error(c, MHD_HTTP_BAD_REQUEST, "path", "no .. in a path");
        MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &q);
        return route_api(&q, url, token);
    }
    if (strcmp(url, "/") == 0)
        return send_file(s, c, "/index.html");
    if (!safe_path(url)) {
        static const char bad_path[] = "bad path\n";
        return send_text(c, MHD_HTTP_BAD_REQUEST, "text/plain; charset=utf-8", bad_path,
                         sizeof bad_path - 1);
    }
    return send_file(s, c, url);
}

/* ---- life ---- */

screen_t *
screen_new(const struct screen_options *o, char why[ERR_WHY_MAX])
{
    char host[64];
    int port = -1;
    const char *colon = strrchr(o->listen, ':');
    if (!colon || (size_t)(colon - o->listen) >= sizeof host) {
        snprintf(why, ERR_WHY_MAX, "listen %s: HOST:PORT expected", o->listen);
        return NULL;
    }
    memcpy(host, o->listen, (size_t)(colon - o->listen));
    host[colon - o->listen] = '\0';
    port = atoi(colon + 1);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (port < 0 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        snprintf(why, ERR_WHY_MAX, "listen %s: an IPv4 address and a port expected", o->listen);
        return NULL;
    }
    screen_t *s = xcalloc(1, sizeof *s);
    s->o = *o;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->board_lock, NULL);
    pthread_cond_init(&s->board_loaded, NULL);
    struct store_options so = {.readonly = true};
    int rc = store_open(o->data, &so, &s->store);
    if (rc != 0) {
        snprintf(why, ERR_WHY_MAX, "store %s: %s", o->data,
                 rc == ERR_NOT_FOUND ? "no jiancha data there (start the node first)"
                                     : err_str(rc));
        screen_destroy(&s);
        return NULL;
    }
    s->sessions = signin_sessions_new(o->session_ms);
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
    if (o->tls_cert && o->tls_key)
        s->daemon =
            MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, answer, s, MHD_OPTION_SOCK_ADDR,
                             (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                             MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)32,
                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_HTTPS_MEM_KEY,
                             o->tls_key, MHD_OPTION_HTTPS_MEM_CERT, o->tls_cert, MHD_OPTION_END);
    else
        s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, answer, s, MHD_OPTION_SOCK_ADDR,
                                     (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
                                     (unsigned)64, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)32,
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(why, ERR_WHY_MAX, "cannot listen on %s%s", o->listen,
                 o->tls_cert ? " with TLS (is the certificate and key a PEM pair?)" : "");
        screen_destroy(&s);
        return NULL;
    }
    s->refresher_started = pthread_create(&s->refresher, NULL, refresh, s) == 0;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : port;
    return s;
}

void
screen_destroy(screen_t **p)
{
    screen_t *s = *p;
    if (!s)
        return;
    s->stopping = 1;
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    if (s->refresher_started)
        pthread_join(s->refresher, NULL);
    board_drop(s->board);
    signin_sessions_destroy(&s->sessions);
    store_close(&s->store);
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        free(s->cache[i].text);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->board_lock);
    pthread_cond_destroy(&s->board_loaded);
    free(s);
    *p = NULL;
}

int
screen_port(const screen_t *s)
{
    return s->port;
}

void
screen_stats(screen_t *s, struct screen_stats *out)
{
    int64_t now = timestamp_now_ms();
    pthread_mutex_lock(&s->lock);
    *out = s->stats;
    pthread_mutex_unlock(&s->lock);
    out->sessions = signin_session_count(s->sessions, now);
}
