/* signin: sign-in links and sessions of the centre's screen. See signin.h. */
#include "signin.h"

#include "mem.h"
#include "node.h"
#include "timestamp.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A link may come from a machine whose clock is a little ahead of the screen's. */
#define SIGNIN_AHEAD_MS (60 * 1000LL)

char *
signin_link_make(const char *base_url, const sign_key_t *key, const char *operator, uint32_t node,
                 int64_t now_ms)
{
    uint8_t nonce[16];
    sign_random(nonce, sizeof nonce);
    char hex[2 * sizeof nonce + 1], id[48], nt[NODE_LEN + 1], at[TIMESTAMP_TEXT_MAX],
        until[TIMESTAMP_TEXT_MAX];
    sign_to_hex(nonce, sizeof nonce, hex);
    snprintf(id, sizeof id, "signin-%s", hex);
    node_format(node, nt);
    timestamp_format(now_ms, at);
    timestamp_format(now_ms + SIGNIN_LINK_MS, until);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", "web.signin", "id", id,
                          "by", operator, "node", nt, "at", at, "until", until);
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    sign_detached(key, SIGN_DOMAIN_OPERATOR, text, strlen(text), sig);
    char sig_hex[2 * SIGN_SIGNATURE_BYTES + 1];
    sign_to_hex(sig, sizeof sig, sig_hex);
    char *r = sign_to_base64url(text, strlen(text));
    free(text);
    size_t blen = strlen(base_url);
    while (blen && base_url[blen - 1] == '/')
        blen--;
    char *url = xasprintf("%.*s/signin?r=%s&s=%s", (int)blen, base_url, r, sig_hex);
    free(r);
    return url;
}

/* Each refusal's sentence for the log (English, as every log line) and for the browser. */
static const struct {
    const char *why, *zh;
} refusals[] = {
    [SIGNIN_MALFORMED] = {"the link is cut short or damaged (copy it whole)",
                          "登录链接不完整或已损坏：请完整复制链接，或用 jiancha web login 重新生成。"},
    [SIGNIN_UNKNOWN_OPERATOR] = {"no such operator on the roster this node holds",
                                 "本节点的操作人员名册中没有此人：请联系省级管理员发布名册。"},
    [SIGNIN_BAD_SIGNATURE] = {"the link does not carry the operator's signature (made with "
                              "another key?)",
                              "链接的签名与名册中此人的公钥不符：请用本人的私钥重新生成链接。"},
    [SIGNIN_OTHER_NODE] = {"the link is for another node's screen (--node)",
                           "此链接是为另一节点的监察屏生成的：请用本节点的编码（--node）重新生成。"},
    [SIGNIN_ENDED] = {"the link has ended: make a new one (jiancha web login)",
                      "链接已过期（有效期 10 分钟）：请用 jiancha web login 重新生成。"},
    [SIGNIN_CLOCK_AHEAD] = {"the link starts more than a minute after this screen's clock: check "
                            "the clock of the machine that made it",
                            "链接的生成时间比本系统时钟晚一分钟以上：请校准生成链接的计算机时钟。"},
    [SIGNIN_TOO_LONG] = {"the link's times are not those of a sign-in link (it ends before it "
                         "starts, or lasts longer than 10 minutes)",
                         "链接的有效期不符（超过 10 分钟或结束早于开始）：请用 jiancha web login 重新生成。"},
    [SIGNIN_OUT_OF_SCOPE] = {"neither this node nor a node below it is in the operator's scope",
                             "本节点不在此人的监察范围内。"},
};

static int
bad(char why[ERR_WHY_MAX], enum signin_refusal r)
{
    snprintf(why, ERR_WHY_MAX, "%s", refusals[r].why);
    return ERR_INVALID;
}

enum signin_refusal
signin_refusal_of(const char *why)
{
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
        if (refusals[i].why && strcmp(refusals[i].why, why) == 0)
            return (enum signin_refusal)i;
    return SIGNIN_MALFORMED;
}

const char *
signin_refusal_zh(enum signin_refusal r)
{
    return (size_t)r < sizeof refusals / sizeof refusals[0] && refusals[r].zh
               ? refusals[r].zh
               : refusals[SIGNIN_MALFORMED].zh;
}

static int
time_field(json_t *o, const char *name, int64_t *ms)
{
    const char *text = json_string_value(json_object_get(o, name));
    const char *why;
    return text && timestamp_parse(text, strlen(text), ms, &why) == 0 ? 0 : ERR_INVALID;
}

int
signin_link_read(const char *r, const char *s, struct signin_request *out, char why[ERR_WHY_MAX])
{
    memset(out, 0, sizeof *out);
    if (!r || !s)
        return bad(why, SIGNIN_MALFORMED);
    if (sign_from_base64url(r, strlen(r), out->text, SIGNIN_TEXT_MAX, &out->len) != 0)
        return bad(why, SIGNIN_MALFORMED);
    out->text[out->len] = '\0';
    if (sign_from_hex(s, strlen(s), out->sig, sizeof out->sig) != 0)
        return bad(why, SIGNIN_MALFORMED);
    json_t *o = json_loadb(out->text, out->len, JSON_REJECT_DUPLICATES, NULL);
    const char *type = json_string_value(json_object_get(o, "type"));
    const char *id = json_string_value(json_object_get(o, "id"));
    const char *by = json_string_value(json_object_get(o, "by"));
    const char *node = json_string_value(json_object_get(o, "node"));
    int rc = 0;
    if (!o || !type || strcmp(type, "web.signin") != 0)
        rc = bad(why, SIGNIN_MALFORMED);
    else if (!id || strlen(id) > EVENT_ID_MAX || !by || strlen(by) > EVENT_ID_MAX)
        rc = bad(why, SIGNIN_MALFORMED);
    else if (!node || node_valid(node, strlen(node)) != 0)
        rc = bad(why, SIGNIN_MALFORMED);
    else if (time_field(o, "at", &out->at_ms) != 0 || time_field(o, "until", &out->until_ms) != 0)
        rc = bad(why, SIGNIN_MALFORMED);
    if (rc == 0) {
        snprintf(out->id, sizeof out->id, "%s", id);
        snprintf(out->by, sizeof out->by, "%s", by);
        out->node = node_number(node);
    }
    json_decref(o);
    return rc;
}

int
signin_judge(const struct signin_request *req, const roster_t *roster, uint32_t here,
             int64_t now_ms, const struct roster_operator **op, char why[ERR_WHY_MAX])
{
    *op = NULL;
    const struct roster_operator *o = roster ? roster_find(roster, req->by) : NULL;
    if (!o)
        return bad(why, SIGNIN_UNKNOWN_OPERATOR);
    if (sign_verify(o->key, SIGN_DOMAIN_OPERATOR, req->text, req->len, req->sig) != 0)
        return bad(why, SIGNIN_BAD_SIGNATURE);
    if (req->node != here)
        return bad(why, SIGNIN_OTHER_NODE);
    if (req->until_ms <= now_ms)
        return bad(why, SIGNIN_ENDED);
    if (req->at_ms > now_ms + SIGNIN_AHEAD_MS)
        return bad(why, SIGNIN_CLOCK_AHEAD);
    if (req->until_ms <= req->at_ms || req->until_ms - req->at_ms > SIGNIN_LINK_MS)
        return bad(why, SIGNIN_TOO_LONG);
    bool below = false;
    for (uint32_t n = o->node; n && !below; n = node_parent(n))
        below = n == here;
    if (!roster_in_scope(o, here) && !below)
        return bad(why, SIGNIN_OUT_OF_SCOPE);
    *op = o;
    return 0;
}

/* ---- sessions ---- */

struct entry {
    uint8_t hash[SIGN_HASH_BYTES]; /* of the token: the table never holds a usable token */
    struct signin_session s;
};

struct signin_sessions {
    pthread_mutex_t lock;
    int64_t lifetime_ms;
    struct entry *v;
    size_t n, cap;
};

signin_sessions_t *
signin_sessions_new(int64_t lifetime_ms)
{
    signin_sessions_t *ss = xcalloc(1, sizeof *ss);
    pthread_mutex_init(&ss->lock, NULL);
    ss->lifetime_ms = lifetime_ms;
    return ss;
}

void
signin_sessions_destroy(signin_sessions_t **p)
{
    signin_sessions_t *ss = *p;
    if (!ss)
        return;
    pthread_mutex_destroy(&ss->lock);
    free(ss->v);
    free(ss);
    *p = NULL;
}

/* Drops ended sessions; called with the lock held. */
static void
sweep(signin_sessions_t *ss, int64_t now_ms)
{
    size_t kept = 0;
    for (size_t i = 0; i < ss->n; i++)
        if (ss->v[i].s.ends_ms > now_ms)
            ss->v[kept++] = ss->v[i];
    ss->n = kept;
}

static struct entry *
find(signin_sessions_t *ss, const char *token)
{
    uint8_t h[SIGN_HASH_BYTES];
    sign_hash(token, strlen(token), h);
    for (size_t i = 0; i < ss->n; i++)
        if (memcmp(ss->v[i].hash, h, sizeof h) == 0)
            return &ss->v[i];
    return NULL;
}

void
signin_session_open(signin_sessions_t *ss, const char *operator, const char * signin,
                    int64_t now_ms, char token[SIGNIN_TOKEN_LEN + 1])
{
    uint8_t raw[SIGNIN_TOKEN_LEN / 2];
    sign_random(raw, sizeof raw);
    sign_to_hex(raw, sizeof raw, token);
    pthread_mutex_lock(&ss->lock);
    sweep(ss, now_ms);
    if (ss->n == ss->cap) {
        ss->cap = ss->cap ? 2 * ss->cap : 16;
        ss->v = xrealloc(ss->v, ss->cap * sizeof *ss->v);
    }
    struct entry *e = &ss->v[ss->n++];
    memset(e, 0, sizeof *e);
    sign_hash(token, SIGNIN_TOKEN_LEN, e->hash);
    snprintf(e->s.operator, sizeof e->s.operator, "%s", operator);
    snprintf(e->s.signin, sizeof e->s.signin, "%s", signin);
    e->s.opened_ms = now_ms;
    e->s.ends_ms = now_ms + ss->lifetime_ms;
    pthread_mutex_unlock(&ss->lock);
}

bool
signin_session_find(signin_sessions_t *ss, const char *token, int64_t now_ms,
                    struct signin_session *out)
{
    if (!token || strlen(token) != SIGNIN_TOKEN_LEN)
        return false;
    pthread_mutex_lock(&ss->lock);
    struct entry *e = find(ss, token);
    bool live = e && e->s.ends_ms > now_ms;
    if (live)
        *out = e->s;
    pthread_mutex_unlock(&ss->lock);
    return live;
}

void
signin_session_close(signin_sessions_t *ss, const char *token)
{
    if (!token)
        return;
    pthread_mutex_lock(&ss->lock);
    struct entry *e = find(ss, token);
    if (e)
        *e = ss->v[--ss->n];
    pthread_mutex_unlock(&ss->lock);
}

size_t
signin_session_count(signin_sessions_t *ss, int64_t now_ms)
{
    pthread_mutex_lock(&ss->lock);
    sweep(ss, now_ms);
    size_t n = ss->n;
    pthread_mutex_unlock(&ss->lock);
    return n;
}
