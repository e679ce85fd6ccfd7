/* signin_test: sign-in links and sessions, checked against what signin.h and docs/api.md promise
 * (written from the header, not from signin.c). */
#include "err.h"
#include "roster.h"
#include "sign.h"
#include "signin.h"

#include "testutil.h"

#include <ctype.h>
#include <jansson.h>

#define BASE "http://127.0.0.1:8480"
#define AT 1775095200000LL /* 2026-04-02T10:00:00+08:00 */

/* zhang: the province's supervisor; wu: a supervisor of Chengdu; li: a department operator of
 * Zigong; he: a county (Jinjiang) supervisor; ghost: a key the roster does not list. */
enum { ZHANG, WU, LI, HE, GHOST, N_OPS };
static const char *const names[N_OPS] = {"zhang.wei", "wu.fang", "li.na", "he.ping", "ghost"};
static sign_key_t *keys[N_OPS];
static roster_t *roster;

static int
setup(void **state)
{
    (void)state;
    assert_int_equal(sign_init(), 0);
    static const char *const roles[N_OPS] = {"supervisor", "supervisor", "department",
                                             "supervisor", "supervisor"};
    static const char *const offices[N_OPS] = {"510000", "510100", "510300", "510104", "510000"};
    json_t *ops = json_array();
    for (int i = 0; i < N_OPS; i++) {
        keys[i] = sign_key_generate();
        assert_non_null(keys[i]);
        if (i == GHOST)
            continue;
        char hex[2 * SIGN_PUBLIC_BYTES + 1];
        sign_to_hex(sign_key_public(keys[i]), SIGN_PUBLIC_BYTES, hex);
        json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "name", names[i], "role", roles[i], "node",
                              offices[i], "key", hex);
        if (i == LI)
            json_object_set_new(o, "dept", json_string("SWJ"));
        json_array_append_new(ops, o);
    }
    json_t *doc = json_pack("{s:i,s:o}", "version", 1, "operators", ops);
    char *text = json_dumps(doc, 0);
    char why[ERR_WHY_MAX];
    if (roster_parse(text, strlen(text), &roster, why, sizeof why) != 0)
        fail_msg("roster: %s", why);
    free(text);
    json_decref(doc);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    for (int i = 0; i < N_OPS; i++)
        sign_key_destroy(&keys[i]);
    roster_destroy(&roster);
    return 0;
}

/* A link's two parameters, split out of the URL the header describes. */
struct link {
    char r[4096];
    char s[256];
};

static void
split(const char *url, struct link *l)
{
    const char *prefix = BASE "/signin?r=";
    if (strncmp(url, prefix, strlen(prefix)) != 0)
        fail_msg("link does not start with BASE/signin?r=: %s", url);
    const char *r = url + strlen(prefix);
    const char *amp = strstr(r, "&s=");
    assert_non_null(amp);
    assert_true((size_t)(amp - r) < sizeof l->r);
    memcpy(l->r, r, (size_t)(amp - r));
    l->r[amp - r] = '\0';
    assert_true(strlen(amp + 3) < sizeof l->s);
    strcpy(l->s, amp + 3);
}

static void
make(int signer, const char *operator, uint32_t node, int64_t at, struct link *l)
{
    char *url = signin_link_make(BASE, keys[signer], operator, node, at);
    assert_non_null(url);
    split(url, l);
    free(url);
}

/* Reads a link that must read; returns the request. */
static struct signin_request
read_ok(const struct link *l)
{
    struct signin_request req;
    char why[ERR_WHY_MAX] = "";
    int rc = signin_link_read(l->r, l->s, &req, why);
    if (rc != 0)
        fail_msg("link refused (%d): %s", rc, why);
    return req;
}

/* Judges a link at `here` as of now: "" when accepted (and the operator named must be `want`),
 * else the reason given. */
static const char *
judge(const struct link *l, uint32_t here, int64_t now, const char *want)
{
    static char why[ERR_WHY_MAX];
    struct signin_request req = read_ok(l);
    const struct roster_operator *op = NULL;
    why[0] = '\0';
    int rc = signin_judge(&req, roster, here, now, &op, why);
    if (rc == 0) {
        assert_non_null(op);
        assert_string_equal(op->name, want);
        return "";
    }
    assert_int_equal(rc, ERR_INVALID);
    assert_true(strlen(why) > 0); /* a refusal says why */
    return why;
}

static bool
is_lower_hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return false;
    return true;
}

static void
a_link_reads_back_as_the_request_signed(void **state)
{
    (void)state;
    struct link l;
    make(ZHANG, names[ZHANG], 510000, AT, &l);
    struct signin_request req = read_ok(&l);
    assert_string_equal(req.by, names[ZHANG]);
    assert_int_equal(req.node, 510000);
    assert_int_equal(req.at_ms, AT);
    assert_int_equal(req.until_ms, AT + SIGNIN_LINK_MS);
    assert_int_equal(SIGNIN_LINK_MS, 10 * 60 * 1000);
    /* the id is "signin-" and 32 hex digits */
    assert_int_equal(strncmp(req.id, "signin-", 7), 0);
    assert_true(is_lower_hex(req.id + 7, 32));
    /* the text is the signed JSON request, NUL-terminated, and len counts it */
    assert_int_equal(req.len, strlen(req.text));
    json_error_t je;
    json_t *doc = json_loadb(req.text, req.len, 0, &je);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "type")), "web.signin");
    assert_string_equal(json_string_value(json_object_get(doc, "id")), req.id);
    assert_string_equal(json_string_value(json_object_get(doc, "by")), names[ZHANG]);
    assert_string_equal(json_string_value(json_object_get(doc, "node")), "510000");
    assert_non_null(json_object_get(doc, "at"));
    assert_non_null(json_object_get(doc, "until"));
    json_decref(doc);
    /* r is the base64url of the text, s the hex of the signature */
    uint8_t bin[SIGNIN_TEXT_MAX];
    size_t n = 0;
    assert_int_equal(sign_from_base64url(l.r, strlen(l.r), bin, sizeof bin, &n), 0);
    assert_int_equal(n, req.len);
    assert_memory_equal(bin, req.text, n);
    assert_true(is_lower_hex(l.s, 2 * SIGN_SIGNATURE_BYTES));
    /* signed like every operator's request to a node (access.h): the operator domain */
    assert_int_equal(
        sign_verify(sign_key_public(keys[ZHANG]), SIGN_DOMAIN_OPERATOR, req.text, req.len, req.sig),
        0);
    /* two links are two requests */
    struct link l2;
    make(ZHANG, names[ZHANG], 510000, AT, &l2);
    struct signin_request req2 = read_ok(&l2);
    assert_string_not_equal(req.id, req2.id);
}

static void
the_operator_of_the_roster_signs_in_with_a_fresh_link(void **state)
{
    (void)state;
    struct link l;
    make(ZHANG, names[ZHANG], 510000, AT, &l);
    assert_string_equal(judge(&l, 510000, AT, names[ZHANG]), "");
    assert_string_equal(judge(&l, 510000, AT + 1000, names[ZHANG]), "");
    assert_string_equal(judge(&l, 510000, AT + SIGNIN_LINK_MS - 1, names[ZHANG]), "");
    /* a clock a little behind the signer's is no reason to refuse */
    assert_string_equal(judge(&l, 510000, AT - 30 * 1000, names[ZHANG]), "");
    /* a city supervisor on the city's screen */
    make(WU, names[WU], 510100, AT, &l);
    assert_string_equal(judge(&l, 510100, AT + 1000, names[WU]), "");
}

static void
a_link_that_was_tampered_with_is_refused(void **state)
{
    (void)state;
    struct link l;
    make(ZHANG, names[ZHANG], 510000, AT, &l);
    /* one signature digit changed */
    struct link bad = l;
    bad.s[10] = bad.s[10] == '0' ? '1' : '0';
    assert_string_not_equal(judge(&bad, 510000, AT + 1000, names[ZHANG]), "");

    /* one character of the text changed: a digit of the id, then the node's code */
    char text[SIGNIN_TEXT_MAX + 1];
    size_t n = 0;
    assert_int_equal(sign_from_base64url(l.r, strlen(l.r), text, SIGNIN_TEXT_MAX, &n), 0);
    text[n] = '\0';
    char *id = strstr(text, "signin-");
    assert_non_null(id);
    id[7] = id[7] == '0' ? '1' : '0';
    char *r = sign_to_base64url(text, n);
    bad = l;
    assert_true(strlen(r) < sizeof bad.r);
    strcpy(bad.r, r);
    free(r);
    struct signin_request req = read_ok(&bad); /* it still reads: only the signature is wrong */
    assert_string_equal(req.by, names[ZHANG]);
    assert_string_not_equal(judge(&bad, 510000, AT + 1000, names[ZHANG]), "");
    id[7] = id[7] == '0' ? '1' : '0'; /* back as signed */
    char *node = strstr(text, "\"510000\"");
    assert_non_null(node);
    node[4] = '1'; /* "510100": the link moved to the city */
    r = sign_to_base64url(text, n);
    strcpy(bad.r, r);
    free(r);
    req = read_ok(&bad);
    assert_int_equal(req.node, 510100);
    assert_string_not_equal(judge(&bad, 510100, AT + 1000, names[ZHANG]), "");

    /* made with another operator's key in zhang's name */
    make(WU, names[ZHANG], 510000, AT, &l);
    assert_string_not_equal(judge(&l, 510000, AT + 1000, names[ZHANG]), "");
}

static void
a_link_for_another_node_or_time_is_refused(void **state)
{
    (void)state;
    struct link l;
    /* made for the city, opened on the province's screen, and the reverse */
    make(ZHANG, names[ZHANG], 510100, AT, &l);
    assert_string_not_equal(judge(&l, 510000, AT + 1000, names[ZHANG]), "");
    assert_string_equal(judge(&l, 510100, AT + 1000, names[ZHANG]), "");
    make(ZHANG, names[ZHANG], 510000, AT, &l);
    assert_string_not_equal(judge(&l, 510100, AT + 1000, names[ZHANG]), "");
    /* ended */
    assert_string_not_equal(judge(&l, 510000, AT + SIGNIN_LINK_MS + 1, names[ZHANG]), "");
    assert_string_not_equal(judge(&l, 510000, AT + 3600 * 1000LL, names[ZHANG]), "");
    /* starting more than a minute ahead of the screen's clock */
    assert_string_not_equal(judge(&l, 510000, AT - 2 * 60 * 1000, names[ZHANG]), "");
    assert_string_not_equal(judge(&l, 510000, AT - 24 * 3600 * 1000LL, names[ZHANG]), "");
}

static void
only_operators_whose_scope_meets_the_node_sign_in(void **state)
{
    (void)state;
    struct link l;
    /* a key and name the roster does not hold */
    make(GHOST, names[GHOST], 510000, AT, &l);
    assert_string_not_equal(judge(&l, 510000, AT + 1000, names[GHOST]), "");
    /* Zigong's operator at Chengdu: scopes apart */
    make(LI, names[LI], 510100, AT, &l);
    assert_string_not_equal(judge(&l, 510100, AT + 1000, names[LI]), "");
    /* ... and at a county of Chengdu */
    make(LI, names[LI], 510104, AT, &l);
    assert_string_not_equal(judge(&l, 510104, AT + 1000, names[LI]), "");
    /* but at the province, which their office lies below (access.h: "or an office below it") */
    make(LI, names[LI], 510000, AT, &l);
    assert_string_equal(judge(&l, 510000, AT + 1000, names[LI]), "");
    /* a county's supervisor at the province and at its city: office below the node */
    make(HE, names[HE], 510000, AT, &l);
    assert_string_equal(judge(&l, 510000, AT + 1000, names[HE]), "");
    make(HE, names[HE], 510100, AT, &l);
    assert_string_equal(judge(&l, 510100, AT + 1000, names[HE]), "");
    /* ... not at another city */
    make(HE, names[HE], 510300, AT, &l);
    assert_string_not_equal(judge(&l, 510300, AT + 1000, names[HE]), "");
    /* the province's supervisor at a county: the node lies in their scope */
    make(ZHANG, names[ZHANG], 510104, AT, &l);
    assert_string_equal(judge(&l, 510104, AT + 1000, names[ZHANG]), "");
    /* the city's supervisor at the county below it, not at the county of another city */
    make(WU, names[WU], 510104, AT, &l);
    assert_string_equal(judge(&l, 510104, AT + 1000, names[WU]), "");
    make(WU, names[WU], 510302, AT, &l);
    assert_string_not_equal(judge(&l, 510302, AT + 1000, names[WU]), "");
}

/* signin_link_read must refuse; returns why. */
static void
read_refused(const char *r, const char *s)
{
    struct signin_request req;
    char why[ERR_WHY_MAX] = "";
    int rc = signin_link_read(r, s, &req, why);
    if (rc != ERR_INVALID)
        fail_msg("r=%.40s s=%.40s: got %d, want ERR_INVALID", r ? r : "(null)",
                 s ? s : "(null)", rc);
    assert_true(strlen(why) > 0);
}

static void
malformed_parameters_are_refused(void **state)
{
    (void)state;
    struct link l;
    make(ZHANG, names[ZHANG], 510000, AT, &l);
    read_refused(NULL, l.s);
    read_refused(l.r, NULL);
    read_refused(NULL, NULL);
    read_refused("", l.s);
    read_refused(l.r, "");
    /* not base64url ('+' and '/' belong to the other alphabet), not hex */
    read_refused("eyJ0eXBlIjoid2ViLnNpZ25pbiJ9+/", l.s);
    read_refused("!!!!", l.s);
    struct link bad = l;
    bad.s[0] = 'z';
    read_refused(bad.r, bad.s);
    /* truncated: the signature one byte short, the text cut in half (no longer JSON) */
    bad = l;
    bad.s[strlen(bad.s) - 2] = '\0';
    read_refused(bad.r, bad.s);
    bad = l;
    bad.r[strlen(bad.r) / 2] = '\0';
    read_refused(bad.r, bad.s);
    /* a signature too long */
    bad = l;
    strcat(bad.s, "00");
    read_refused(bad.r, bad.s);
    /* well-formed base64url of something that is no sign-in request */
    char *r = sign_to_base64url("hello", 5);
    read_refused(r, l.s);
    free(r);
    r = sign_to_base64url("{\"type\":\"web.signin\"}", 21); /* no by, node, at, until */
    read_refused(r, l.s);
    free(r);
}

/* The text of a fresh link of zhang's, NUL-terminated; returns its length. */
static size_t
link_text(char text[SIGNIN_TEXT_MAX + 1])
{
    struct link l;
    make(ZHANG, names[ZHANG], 510000, AT, &l);
    size_t n = 0;
    assert_int_equal(sign_from_base64url(l.r, strlen(l.r), text, SIGNIN_TEXT_MAX, &n), 0);
    text[n] = '\0';
    return n;
}

/* A link of this text signed with zhang's key as the header says links are signed. */
static void
self_signed(const char *text, struct link *l)
{
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    sign_detached(keys[ZHANG], SIGN_DOMAIN_OPERATOR, text, strlen(text), sig);
    sign_to_hex(sig, sizeof sig, l->s);
    char *r = sign_to_base64url(text, strlen(text));
    assert_true(strlen(r) < sizeof l->r);
    strcpy(l->r, r);
    free(r);
}

static void
a_signed_request_of_another_type_is_no_sign_in(void **state)
{
    (void)state;
    char text[SIGNIN_TEXT_MAX + 1];
    link_text(text);
    /* the link's own text, signed again the same way, is accepted: what follows is refused for
     * the change made, not for the way it was built */
    struct link l;
    self_signed(text, &l);
    assert_string_equal(judge(&l, 510000, AT + 1000, names[ZHANG]), "");
    /* the same request with another type, properly signed by zhang, must not open the screen */
    char *type = strstr(text, "web.signin");
    assert_non_null(type);
    char other[SIGNIN_TEXT_MAX + 1];
    snprintf(other, sizeof other, "%.*saccess.read%s", (int)(type - text), text,
             type + strlen("web.signin"));
    self_signed(other, &l);
    struct signin_request req;
    char why[ERR_WHY_MAX] = "";
    int rc = signin_link_read(l.r, l.s, &req, why);
    if (rc == 0) {
        const struct roster_operator *op = NULL;
        rc = signin_judge(&req, roster, 510000, AT + 1000, &op, why);
    }
    assert_int_equal(rc, ERR_INVALID);
    assert_true(strlen(why) > 0);
}

/* The link's text with its "until" value replaced. */
static void
with_until(const char *text, const char *until, char out[SIGNIN_TEXT_MAX + 1])
{
    const char *u = strstr(text, "\"until\":\"");
    assert_non_null(u);
    u += strlen("\"until\":\"");
    const char *end = strchr(u, '"');
    assert_non_null(end);
    snprintf(out, SIGNIN_TEXT_MAX + 1, "%.*s%s%s", (int)(u - text), text, until, end);
}

static void
a_link_signed_to_last_too_long_or_ending_before_it_starts_is_refused(void **state)
{
    (void)state;
    char text[SIGNIN_TEXT_MAX + 1], other[SIGNIN_TEXT_MAX + 1];
    link_text(text); /* at 2026-04-02 10:00 */
    struct link l;
    /* the operator's own signature, but two hours long: past ACCESS_WEB_LINK_MAX_MS (access.h) */
    with_until(text, "2026-04-02T12:00:00+08:00", other);
    self_signed(other, &l);
    assert_int_equal(read_ok(&l).until_ms, AT + 2 * 3600 * 1000LL);
    assert_string_not_equal(judge(&l, 510000, AT + 1000, names[ZHANG]), "");
    assert_string_not_equal(judge(&l, 510000, AT + 3600 * 1000LL, names[ZHANG]), "");
    /* ending before it starts */
    with_until(text, "2026-04-02T09:00:00+08:00", other);
    self_signed(other, &l);
    assert_string_not_equal(judge(&l, 510000, AT, names[ZHANG]), "");
    /* the same way, ten minutes long, is accepted */
    with_until(text, "2026-04-02T10:10:00+08:00", other);
    self_signed(other, &l);
    assert_string_equal(judge(&l, 510000, AT + 1000, names[ZHANG]), "");
}

static void
a_text_longer_than_the_limit_is_refused(void **state)
{
    (void)state;
    char text[SIGNIN_TEXT_MAX + 1];
    size_t n = link_text(text);
    /* the link's text with a field that takes it past SIGNIN_TEXT_MAX */
    char big[2 * SIGNIN_TEXT_MAX];
    size_t k = (size_t)snprintf(big, sizeof big, "{\"x\":\"");
    while (k < SIGNIN_TEXT_MAX - n + 16)
        big[k++] = 'a';
    big[k++] = '"';
    big[k++] = ',';
    memcpy(big + k, text + 1, n - 1);
    k += n - 1;
    big[k] = '\0';
    assert_true(k > SIGNIN_TEXT_MAX);
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    sign_detached(keys[ZHANG], SIGN_DOMAIN_OPERATOR, big, k, sig);
    char hex[2 * SIGN_SIGNATURE_BYTES + 1];
    sign_to_hex(sig, sizeof sig, hex);
    char *r = sign_to_base64url(big, k);
    read_refused(r, hex);
    free(r);
}

/* ---- sessions ---- */

#define LIFE (480 * 60 * 1000LL)

static void
a_session_names_its_operator_until_it_ends(void **state)
{
    (void)state;
    signin_sessions_t *ss = signin_sessions_new(LIFE);
    assert_non_null(ss);
    char t1[SIGNIN_TOKEN_LEN + 1], t2[SIGNIN_TOKEN_LEN + 1];
    signin_session_open(ss, "zhang.wei", "signin-aaaa", AT, t1);
    signin_session_open(ss, "wu.fang", "signin-bbbb", AT + 1000, t2);
    assert_true(is_lower_hex(t1, SIGNIN_TOKEN_LEN));
    assert_true(is_lower_hex(t2, SIGNIN_TOKEN_LEN));
    assert_string_not_equal(t1, t2);

    struct signin_session s;
    memset(&s, 0, sizeof s);
    assert_true(signin_session_find(ss, t1, AT + 5000, &s));
    assert_string_equal(s.operator, "zhang.wei");
    assert_string_equal(s.signin, "signin-aaaa");
    assert_int_equal(s.opened_ms, AT);
    assert_int_equal(s.ends_ms, AT + LIFE);
    assert_true(signin_session_find(ss, t2, AT + 5000, &s));
    assert_string_equal(s.operator, "wu.fang");
    assert_string_equal(s.signin, "signin-bbbb");
    /* still there just before its end, gone after it */
    assert_true(signin_session_find(ss, t1, AT + LIFE - 1, &s));
    assert_false(signin_session_find(ss, t1, AT + LIFE + 1, &s));
    assert_false(signin_session_find(ss, t1, AT + 2 * LIFE, &s));

    /* a wrong token: one digit changed, a prefix, nothing */
    char wrong[SIGNIN_TOKEN_LEN + 1];
    strcpy(wrong, t2);
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    assert_false(signin_session_find(ss, wrong, AT + 5000, &s));
    strcpy(wrong, t2);
    wrong[SIGNIN_TOKEN_LEN - 1] = wrong[SIGNIN_TOKEN_LEN - 1] == 'f' ? 'e' : 'f';
    assert_false(signin_session_find(ss, wrong, AT + 5000, &s));
    strcpy(wrong, t2);
    wrong[32] = '\0';
    assert_false(signin_session_find(ss, wrong, AT + 5000, &s));
    assert_false(signin_session_find(ss, "", AT + 5000, &s));
    assert_true(signin_session_find(ss, t2, AT + 5000, &s));

    /* closed: gone, the other one stays; closing twice or an unknown token is harmless */
    signin_session_close(ss, t2);
    assert_false(signin_session_find(ss, t2, AT + 6000, &s));
    signin_session_close(ss, t2);
    signin_session_close(ss, wrong);
    assert_true(signin_session_find(ss, t1, AT + 6000, &s));
    assert_string_equal(s.operator, "zhang.wei");
    signin_sessions_destroy(&ss);
    assert_null(ss);
    signin_sessions_destroy(&ss); /* NULL is accepted */
}

static void
the_count_leaves_out_ended_sessions(void **state)
{
    (void)state;
    signin_sessions_t *ss = signin_sessions_new(LIFE);
    char t[4][SIGNIN_TOKEN_LEN + 1];
    assert_int_equal(signin_session_count(ss, AT), 0);
    signin_session_open(ss, "a", "signin-1", AT, t[0]);
    signin_session_open(ss, "b", "signin-2", AT, t[1]);
    signin_session_open(ss, "c", "signin-3", AT + LIFE / 2, t[2]);
    assert_int_equal(signin_session_count(ss, AT + LIFE / 2), 3);
    assert_int_equal(signin_session_count(ss, AT + LIFE + 1), 1);
    /* the ended ones stay ended when a session opens afterwards */
    signin_session_open(ss, "d", "signin-4", AT + LIFE + 2, t[3]);
    assert_int_equal(signin_session_count(ss, AT + LIFE + 2), 2);
    struct signin_session s;
    assert_false(signin_session_find(ss, t[0], AT + LIFE + 3, &s));
    assert_true(signin_session_find(ss, t[2], AT + LIFE + 3, &s));
    assert_string_equal(s.operator, "c");
    assert_true(signin_session_find(ss, t[3], AT + LIFE + 3, &s));
    assert_string_equal(s.operator, "d");
    signin_session_close(ss, t[2]);
    assert_int_equal(signin_session_count(ss, AT + LIFE + 3), 1);
    assert_int_equal(signin_session_count(ss, AT + 3 * LIFE), 0);
    signin_sessions_destroy(&ss);
}

static void
a_session_of_another_lifetime_ends_on_its_own_time(void **state)
{
    (void)state;
    int64_t life = 60 * 1000;
    signin_sessions_t *ss = signin_sessions_new(life);
    char t[SIGNIN_TOKEN_LEN + 1];
    signin_session_open(ss, "zhang.wei", "signin-x", AT, t);
    struct signin_session s;
    assert_true(signin_session_find(ss, t, AT + life - 1, &s));
    assert_int_equal(s.ends_ms, AT + life);
    assert_false(signin_session_find(ss, t, AT + life + 1, &s));
    signin_sessions_destroy(&ss);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_link_reads_back_as_the_request_signed),
        cmocka_unit_test(the_operator_of_the_roster_signs_in_with_a_fresh_link),
        cmocka_unit_test(a_link_that_was_tampered_with_is_refused),
        cmocka_unit_test(a_link_for_another_node_or_time_is_refused),
        cmocka_unit_test(only_operators_whose_scope_meets_the_node_sign_in),
        cmocka_unit_test(malformed_parameters_are_refused),
        cmocka_unit_test(a_signed_request_of_another_type_is_no_sign_in),
        cmocka_unit_test(a_text_longer_than_the_limit_is_refused),
        cmocka_unit_test(a_link_signed_to_last_too_long_or_ending_before_it_starts_is_refused),
        cmocka_unit_test(a_session_names_its_operator_until_it_ends),
        cmocka_unit_test(the_count_leaves_out_ended_sessions),
        cmocka_unit_test(a_session_of_another_lifetime_ends_on_its_own_time),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
