/* signin: how a named operator signs in to the centre's screen, and the sessions that follow
 * (art. 15; docs/api.md).
 *
 * A sign-in link carries a `web.signin` request the operator signed with their own key, like every
 * request an operator makes to a node (access.h):
 *   {"type": "web.signin", "id": "signin-<32 hex>", "by": NAME, "node": "510000",
 *    "at": T, "until": T + 10 min}
 * (times as RFC 3339 text) as JSON text in the URL:
 * BASE/signin?r=<base64url of the text>&s=<hex of the signature>.
 * The screen checks it against the roster the node holds (signin_judge), hands it to the node,
 * whose intake judges it again, stores it in the audit log and answers a second use as a
 * duplicate; only then does it open a session. A session is a random token (the browser's
 * cookie) that names the operator and the sign-in, and ends after the configured minutes; the
 * table keeps only the tokens' hashes.
 */
#ifndef JIANCHA_SIGNIN_H
#define JIANCHA_SIGNIN_H

#include "err.h"
#include "event.h"
#include "roster.h"
#include "sign.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGNIN_LINK_MS (10 * 60 * 1000LL)
#define SIGNIN_TEXT_MAX 1024
#define SIGNIN_TOKEN_LEN 64 /* hex of 32 random bytes */

/* The link for `operator` at `node`, valid from now for SIGNIN_LINK_MS; malloc'd. */
char *signin_link_make(const char *base_url, const sign_key_t *key, const char *operator,
                       uint32_t node, int64_t now_ms);

/* A sign-in request read from a link. */
struct signin_request {
    char id[EVENT_ID_MAX + 1];
    char by[EVENT_ID_MAX + 1];
    uint32_t node;
    int64_t at_ms, until_ms;
    char text[SIGNIN_TEXT_MAX + 1]; /* the signed JSON text, NUL-terminated */
    size_t len;
    uint8_t sig[SIGN_SIGNATURE_BYTES];
};

/* Reads the link's two parameters. ERR_INVALID with why naming the parameter and the reason. */
int signin_link_read(const char *r, const char *s, struct signin_request *out,
                     char why[ERR_WHY_MAX]) __attribute__((warn_unused_result));

/* Judges a request at the screen of node `here` as of now: an operator of the roster signed it,
 * its node is here, it has not ended (and does not start more than a minute ahead), it lasts at
 * most SIGNIN_LINK_MS (the node's intake allows no longer: access.h), and the operator's scope
 * and the node overlap. 0 with *op set; ERR_INVALID with why otherwise. */
int signin_judge(const struct signin_request *req, const roster_t *roster, uint32_t here,
                 int64_t now_ms, const struct roster_operator **op, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

/* Why a sign-in was refused, for the person at the browser: signin_refusal_of reads signin_judge's
 * or signin_link_read's `why`; signin_refusal_zh says it in Chinese with what to do. */
enum signin_refusal {
    SIGNIN_MALFORMED,
    SIGNIN_UNKNOWN_OPERATOR,
    SIGNIN_BAD_SIGNATURE,
    SIGNIN_OTHER_NODE,
    SIGNIN_ENDED,
    SIGNIN_CLOCK_AHEAD,
    SIGNIN_TOO_LONG,
    SIGNIN_OUT_OF_SCOPE,
};
enum signin_refusal signin_refusal_of(const char *why);
const char *signin_refusal_zh(enum signin_refusal r);

/* ---- sessions (thread-safe) ---- */

typedef struct signin_sessions signin_sessions_t;

struct signin_session {
    char operator[EVENT_ID_MAX + 1];
    char signin[EVENT_ID_MAX + 1]; /* the sign-in request's id, named by every read logged */
    int64_t opened_ms, ends_ms;
};

signin_sessions_t *signin_sessions_new(int64_t lifetime_ms);
void signin_sessions_destroy(signin_sessions_t **p);

/* Opens a session; token receives the cookie's value. Ended sessions are dropped on the way. */
void signin_session_open(signin_sessions_t *ss, const char *operator, const char * signin,
                         int64_t now_ms, char token[SIGNIN_TOKEN_LEN + 1]);
/* The session of a token, if it has not ended: true and *out filled. */
bool signin_session_find(signin_sessions_t *ss, const char *token, int64_t now_ms,
                         struct signin_session *out);
void signin_session_close(signin_sessions_t *ss, const char *token);
size_t signin_session_count(signin_sessions_t *ss, int64_t now_ms);

#endif
