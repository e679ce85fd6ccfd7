/* api: the JSON API of the centre's screen (docs/api.md), apart from HTTP: a path and its
 * parameters in, a status and a JSON answer out. The screen (screen.h) brings the requests, the
 * operator and their scope, logs each read, and keeps answers a few seconds where the answer
 * says it may.
 *
 * Every figure comes from view.h, report.h and the shared board (snapshot.h). Bad input is 400
 * naming the parameter and the reason; an id or node outside the operator's scope is 403; an
 * unknown id or path 404; a store that cannot be read 503. Error bodies are
 * {"error": {"status", "field", "reason"}}.
 */
#ifndef JIANCHA_API_H
#define JIANCHA_API_H

#include "roster.h"
#include "snapshot.h"
#include "store.h"
#include "view.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define API_PREFIX "/api/v1/"
#define API_ARGS_MAX 16
#define API_ARG_VALUE_MAX 128
#define API_ALERTS_LIMIT_MAX 1000

struct api_arg {
    const char *key, *value; /* value "" when given empty */
};

/* What a request is answered from and for whom; everything is borrowed. */
struct api_context {
    store_t *store;
    snapshot_t *snapshot;
    const struct view_names *names;
    uint32_t node; /* the screen's node */
    const struct roster_operator *op;
    const struct view_scope *scope; /* what op may see (the screen works it out from the roster) */
    int64_t now_ms;
    int64_t session_ends_ms;
};

struct api_answer {
    unsigned status;
    json_t *body;       /* owned by the caller */
    int64_t max_age_ms; /* how long the same answer may be given again to the same scope */
};

/* Is PATH (after API_PREFIX) one the API answers? The screen logs a read only for these. The
 * stream ("stream") is the screen's own. */
bool api_path_known(const char *path);

/* Answers GET API_PREFIX PATH with the given parameters (at most API_ARGS_MAX). */
void api_answer(const struct api_context *c, const char *path, const struct api_arg *args,
                size_t n_args, struct api_answer *out);

/* The standing departments' lights in scope and the sum of every change of every alert in scope
 * (the live stream's figures), from the shared board. */
struct api_lights {
    uint64_t red, yellow, changes;
};
int api_lights(snapshot_t *snapshot, const struct view_scope *scope, struct api_lights *out)
    __attribute__((warn_unused_result));

#endif
