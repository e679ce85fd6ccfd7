/* screen: the centre's screen over HTTP. See screen.h and docs/api.md. */
#include "screen.h"

#include "api.h"
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COOKIE "jiancha_session"
#define SNAPSHOT_REFRESH_MS 1000 /* the alert queue on the screen is at most about this old */
#define INTAKE_TIMEOUT_MS 5000
#define STREAM_TICK_MS 250
#define STREAM_KEEPALIVE_MS 15000
#define CACHE_SLOTS 32

/* An API answer kept for others of the same scope asking the same, while the API allows. */
struct cached {
    char key[1200];
    int64_t at_ms, ends_ms;
    char *text;
};

struct screen {
    struct screen_options o;
    store_t *store;
    struct MHD_Daemon *daemon;
    signin_sessions_t *sessions;
    int port;
    volatile int stopping;
    pthread_mutex_t lock; /* stats, cache */
    struct screen_stats stats;
    struct cached cache[CACHE_SLOTS];
    snapshot_t *snapshot; /* the board every request reads */
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

struct req {
    screen_t *s;
    struct MHD_Connection *c;
    struct signin_session session;
    struct roster_operator op;
    struct view_scope scope;
    char dept[EVENT_ID_MAX + 1];
    struct api_arg args[API_ARGS_MAX + 1]; /* one more: too many is said by the API */
    size_t n_args;
    int64_t now;
};

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct req *q = cls;
    if (q->n_args == API_ARGS_MAX + 1)
        return MHD_NO;
    q->args[q->n_args++] = (struct api_arg){key, value ? value : ""};
    return MHD_YES;
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
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", "access.read", "id", id, "by",
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

/* ---- answers kept a few seconds ---- */

/* The answer kept for this key, if it has not ended: a malloc'd copy, or NULL. */
static char *
cache_get(screen_t *s, const char *key, int64_t now)
{
    char *text = NULL;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < CACHE_SLOTS && !text; i++)
        if (s->cache[i].text && now < s->cache[i].ends_ms && strcmp(s->cache[i].key, key) == 0)
            text = xstrdup(s->cache[i].text);
    pthread_mutex_unlock(&s->lock);
    return text;
}

static void
cache_put(screen_t *s, const char *key, int64_t now, int64_t max_age_ms, const char *text)
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
    s->cache[slot].ends_ms = now + max_age_ms;
    s->cache[slot].text = xstrdup(text);
    pthread_mutex_unlock(&s->lock);
}

/* ---- the live stream ---- */

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
    while (!st->s->stopping) {
        int64_t now = timestamp_now_ms();
        struct signin_session ss;
        if (!signin_session_find(st->s->sessions, st->token, now, &ss))
            return MHD_CONTENT_READER_END_OF_STREAM; /* signed out or ended */
        struct api_lights l;
        if (api_lights(st->s->snapshot, &st->scope, &l) == 0 &&
            (!st->sent_once || l.changes != st->last_changes)) {
            char when[TIMESTAMP_TEXT_MAX];
            timestamp_format(now, when);
            int n =
                snprintf(buf, max,
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
open_stream(struct req *q, const char *token)
{
    if (q->n_args)
        return send_error(q->c, MHD_HTTP_BAD_REQUEST, q->args[0].key,
                          "not a parameter of this path");
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

/* The sign-in page; for a refused link, why (in Chinese, then the detail) and the way to a new
 * one. The texts are HTML-escaped already. */
static enum MHD_Result
signin_page(screen_t *s, struct MHD_Connection *c, unsigned status, const char *zh,
            const char *detail)
{
    if (!zh)
        return send_file(s, c, "/signin.html");
    char *page = xasprintf(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>登录失败</title>"
        "<link rel=\"stylesheet\" href=\"/style.css\"></head><body class=\"signin\">"
        "<main class=\"signin-box\"><h1>登录失败</h1><p id=\"signin-error\">%s</p>"
        "<p class=\"signin-detail\">%s</p>"
        "<p>请用 <code>jiancha web login</code> 生成新的登录链接（每个链接只能使用一次，10 分钟内有效）。"
        "</p></main></body></html>",
        zh, detail);
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
    char why[ERR_WHY_MAX];
    int64_t now = timestamp_now_ms();
    store_txn_t *t = NULL;
    roster_t *roster = NULL;
    const struct roster_operator *op = NULL;
    const char *zh = NULL; /* what the person at the browser reads, when not the link's fault */
    int rc = signin_link_read(r, sg, &req, why);
    if (rc == 0) {
        rc = store_read(s->store, &t);
        if (rc == 0 && bundle_held_roster(t, &roster) != 0) {
            snprintf(why, sizeof why,
                     "this node holds no roster of operators yet, so nobody "
                     "can sign in (jiancha bundle publish --kind operators)");
            zh = "本节点尚未收到操作人员名册，暂时无人可以登录。";
            rc = ERR_INVALID;
        } else if (rc != 0) {
            snprintf(why, sizeof why, "the store cannot be read now");
            zh = "本节点的数据暂时无法读取，请稍后再试。";
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
        zh = rc == ERR_EXISTS  ? "此链接已使用过：每个登录链接只能使用一次，请重新生成。"
             : rc == ERR_STATE ? "本节点暂时无法记录登录（节点未运行或无应答），请稍后再试。"
                               : "本节点拒绝了此次登录（原因见下）。";
        if (rc == ERR_EXISTS)
            snprintf(why, sizeof why, "this link was used already: a link signs in once");
    }
    if (rc != 0) {
        count(s, &s->stats.signins_refused);
        log_warn("screen: sign-in refused operator=%s: %s", req.by[0] ? req.by : "-", why);
        /* in Chinese what to do; below it the detail, as the log says it */
        char zh_html[ERR_WHY_MAX], why_html[2 * ERR_WHY_MAX];
        html_escape(zh ? zh : signin_refusal_zh(signin_refusal_of(why)), zh_html, sizeof zh_html);
        html_escape(why, why_html, sizeof why_html);
        return signin_page(s, c, rc == ERR_STATE ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_FORBIDDEN,
                           zh_html, why_html);
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

/* An API read: logged at the node first, then answered (from the cache when the API allows). */
static enum MHD_Result
route_api(struct req *q, const char *url, const char *token)
{
    const char *path = url + strlen(API_PREFIX);
    if (!api_path_known(path))
        return send_error(q->c, MHD_HTTP_NOT_FOUND, NULL, "no such path in the API (docs/api.md)");
    enum MHD_Result sent;
    if (!log_read(q, url, &sent))
        return sent;
    if (strcmp(path, "stream") == 0)
        return open_stream(q, token);
    char what[1024], key[1200];
    what_of(q, url, what, sizeof what);
    /* answers are kept per scope: another operator's scope is another answer */
    snprintf(key, sizeof key, "%u %s %s", q->scope.root, q->scope.dept ? q->scope.dept : "", what);
    char *text = cache_get(q->s, key, q->now);
    if (text) {
        struct MHD_Response *r =
            MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
        return send_response(q->c, MHD_HTTP_OK, r, "application/json; charset=utf-8", false);
    }
    struct view_names names = {q->s->o.regions, q->s->o.catalog, q->s->o.calendar};
    struct api_context ctx = {q->s->store, q->s->snapshot, &names, q->s->o.node,
                              &q->op,      &q->scope,      q->now, q->session.ends_ms};
    struct api_answer a;
    api_answer(&ctx, path, q->args, q->n_args, &a);
    if (a.status == MHD_HTTP_SERVICE_UNAVAILABLE)
        log_warn("screen: cannot answer operator=%s what=\"%s\": the store cannot be read",
                 q->session.operator, what);
    text = json_dumps(a.body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(a.body);
    if (a.status == MHD_HTTP_OK && a.max_age_ms > 0)
        cache_put(q->s, key, q->now, a.max_age_ms, text);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    return send_response(q->c, a.status, r, "application/json; charset=utf-8", false);
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
        return signin_page(s, c, MHD_HTTP_OK, NULL, NULL);
    }
    if (post)
        return strcmp(url, "/api/v1/signout") == 0
                   ? do_signout(s, c, token)
                   : send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "GET only");
    if (strcmp(url, "/api/v1/signout") == 0)
        return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "POST to sign out");
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

/* libmicrohttpd's own complaints (a client gone mid-answer ...) as our log lines */
static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_debug("screen: libmicrohttpd: %s", line);
}

int
screen_parse_listen(const char *listen, struct sockaddr_in *sa, char why[ERR_WHY_MAX])
{
    char host[64], *end;
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host) {
        snprintf(why, ERR_WHY_MAX, "IPv4-ADDRESS:PORT expected (127.0.0.1:8480)");
        return ERR_CONFIG;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    long port = strtol(colon + 1, &end, 10);
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    if (*end || end == colon + 1 || port < 0 || port > 65535 ||
        inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
        snprintf(why, ERR_WHY_MAX, "IPv4-ADDRESS:PORT expected (127.0.0.1:8480; port 0 picks one)");
        return ERR_CONFIG;
    }
    sa->sin_port = htons((uint16_t)port);
    return 0;
}

screen_t *
screen_new(const struct screen_options *o, char why[ERR_WHY_MAX])
{
    struct sockaddr_in sa;
    if (screen_parse_listen(o->listen, &sa, why) != 0)
        return NULL;
    screen_t *s = xcalloc(1, sizeof *s);
    s->o = *o;
    pthread_mutex_init(&s->lock, NULL);
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
    s->snapshot = snapshot_new(s->store, o->calendar, SNAPSHOT_REFRESH_MS);
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
    if (o->tls_cert && o->tls_key)
        s->daemon =
            MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, answer, s, MHD_OPTION_SOCK_ADDR,
                             (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                             MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)32,
                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_HTTPS_MEM_KEY,
                             o->tls_key, MHD_OPTION_HTTPS_MEM_CERT, o->tls_cert,
                             MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
    else
        s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, answer, s, MHD_OPTION_SOCK_ADDR,
                                     (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
                                     (unsigned)64, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)32,
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
                                     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(why, ERR_WHY_MAX, "cannot listen on %s%s", o->listen,
                 o->tls_cert ? " with TLS (is the certificate and key a PEM pair?)" : "");
        screen_destroy(&s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : ntohs(sa.sin_port);
    /* browsers keep a Secure cookie from plain HTTP only on 127.0.0.1 and localhost */
    if (!o->tls_cert && (ntohl(sa.sin_addr.s_addr) >> 24) != 127)
        log_warn("screen: listening on %s without TLS: browsers drop the session cookie (Secure) "
                 "over plain HTTP from any address but 127.0.0.1, so sign-ins will not hold; put "
                 "an HTTPS proxy in front or set web/tls_cert (docs/api.md)",
                 o->listen);
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
    snapshot_destroy(&s->snapshot);
    signin_sessions_destroy(&s->sessions);
    store_close(&s->store);
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        free(s->cache[i].text);
    pthread_mutex_destroy(&s->lock);
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
