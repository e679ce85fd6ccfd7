/* cli actions: what supervisors and departments enter (spec §4): answering and closing alerts,
 * supervision cases, patrols and follow-up calls.
 *
 * Each command builds one record and sends it to the intake of the node where it is entered (a
 * collector, or an aggregator's office desk). The node judges it against what it holds and answers
 * with the record's fate: stored, or refused with the field and the reason. A resend of the same
 * record (same --id) is answered as a duplicate, so retrying is safe.
 * With --operator NAME --key FILE (or $JIANCHA_OPERATOR and $JIANCHA_OPERATOR_KEY) the request
 * is signed by that operator; a node that holds a roster takes supervision actions only so signed
 * (access.h) and logs each one (audit.h).
 * Exit status: 0 stored (or already stored), 1 refused or no answer, 2 usage.
 */
#include "cli.h"
#include "err.h"
#include "mem.h"
#include "office.h"
#include "sign.h"
#include "timestamp.h"

#include <czmq.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ANSWER_TIMEOUT_MS 10000 /* $JIANCHA_ANSWER_TIMEOUT_MS overrides */

enum opt_kind {
    O_STR,    /* the value as a string field */
    O_TARGET, /* NODE or NODE/DEPT -> {"node", "dept"} */
    O_DAYS,   /* N -> {"n": N, "unit": "wd"} */
};

struct opt {
    const char *name;  /* command-line option, without -- */
    const char *field; /* record field */
    enum opt_kind kind;
    bool required;
};

struct command {
    const char *family, *verb; /* verb NULL: the family is the command */
    const char *type;
    struct opt opts[8];
    const char *help;
};

static const struct command commands[] = {
    {"alert",
     "respond",
     "alert.respond",
     {{"alert", "alert", O_STR, true},
      {"by", "by", O_STR, true},
      {"action", "action", O_STR, true},
      {"text", "text", O_STR, true}},
     "--alert ID --by WHO --action explain|correct --text T"},
    {"alert",
     "close",
     "alert.close",
     {{"alert", "alert", O_STR, true},
      {"by", "by", O_STR, true},
      {"verdict", "verdict", O_STR, true}},
     "--alert ID --by WHO --verdict T"},
    {"supervise",
     "open",
     "supervise.open",
     {{"id", "supervision", O_STR, true},
      {"target", "target", O_TARGET, true},
      {"subject", "subject", O_STR, true},
      {"by", "by", O_STR, true},
      {"alert", "alert", O_STR, false}},
     "--id S --target NODE[/DEPT] --subject T --by WHO [--alert ID]"},
    {"supervise",
     "extend",
     "supervise.extend",
     {{"id", "supervision", O_STR, true},
      {"days", "limit", O_DAYS, true},
      {"approver", "approver", O_STR, true}},
     "--id S --days N --approver WHO"},
    {"supervise",
     "report",
     "supervise.report",
     {{"id", "supervision", O_STR, true}, {"by", "by", O_STR, true}, {"text", "text", O_STR, true}},
     "--id S --by WHO --text T"},
    {"supervise",
     "close",
     "supervise.close",
     {{"id", "supervision", O_STR, true}, {"by", "by", O_STR, true}, {"text", "text", O_STR, true}},
     "--id S --by WHO --text T"},
    {"patrol",
     NULL,
     "patrol",
     {{"supervisor", "supervisor", O_STR, true},
      {"target", "target", O_STR, true},
      {"kind", "kind", O_STR, true},
      {"findings", "findings", O_STR, false}},
     "--supervisor WHO --target NODE --kind data|video|visit|sample [--findings T]"},
    {"followup",
     NULL,
     "followup",
     {{"case", "case", O_STR, true},
      {"by", "by", O_STR, true},
      {"channel", "channel", O_STR, true},
      {"result", "result", O_STR, true}},
     "--case C --by WHO --channel CH --result T"},
};

static void
usage_of(const char *family)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].family, family) == 0)
            fprintf(stderr,
                    "usage: jiancha %s%s%s (--data DIR | --to ENDPOINT) %s [--at TIME] "
                    "[--record-id ID]\n",
                    family, commands[i].verb ? " " : "", commands[i].verb ? commands[i].verb : "",
                    commands[i].help);
}

static const struct opt *
find_opt(const struct command *c, const char *name)
{
    for (size_t i = 0; i < 8 && c->opts[i].name; i++)
        if (strcmp(c->opts[i].name, name) == 0)
            return &c->opts[i];
    return NULL;
}

static int
set_field(json_t *rec, const struct opt *o, const char *value)
{
    switch (o->kind) {
    case O_TARGET: {
        const char *slash = strchr(value, '/');
        json_t *t = json_object();
        json_object_set_new(
            t, "node", slash ? json_stringn(value, (size_t)(slash - value)) : json_string(value));
        if (slash)
            json_object_set_new(t, "dept", json_string(slash + 1));
        json_object_set_new(rec, o->field, t);
        return 0;
    }
    case O_DAYS: {
        char *end;
        long n = strtol(value, &end, 10);
        if (*end || n < 1 || n > 1000) {
            fprintf(stderr, "jiancha: --%s: \"%s\" is not a number of working days\n", o->name,
                    value);
            return -1;
        }
        json_object_set_new(rec, o->field,
                            json_pack("{s:i,s:s}", "n", (json_int_t)n, "unit", "wd"));
        return 0;
    }
    default:
        json_object_set_new(rec, o->field, json_string(value));
        return 0;
    }
}

void
cli_operator_from_env(struct cli_operator *op)
{
    if (!op->name)
        op->name = getenv("JIANCHA_OPERATOR");
    if (!op->key)
        op->key = getenv("JIANCHA_OPERATOR_KEY");
}

/* The request as frames: the body, and the operator's signature of it when one is given. */
static zmsg_t *
request(const char *body, const struct cli_operator *op, const char *what)
{
    zmsg_t *m = zmsg_new();
    zmsg_addstr(m, body);
    if (!op || !op->name || !op->key)
        return m;
    sign_key_t *k = NULL;
    char node[7];
    int rc = sign_init() == 0 ? sign_key_load(op->key, &k, node) : ERR_STATE;
    if (rc != 0) {
        fprintf(stderr, "jiancha %s: operator key %s: %s\n", what, op->key, err_str(rc));
        zmsg_destroy(&m);
        return NULL;
    }
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    sign_detached(k, SIGN_DOMAIN_OPERATOR, body, strlen(body), sig);
    sign_key_destroy(&k);
    char hex[2 * SIGN_SIGNATURE_BYTES + 1];
    sign_to_hex(sig, sizeof sig, hex);
    zmsg_addstrf(m, "JCAUTH1 %s %s", op->name, hex);
    return m;
}

char *
cli_intake_endpoint(const char *data)
{
    char *endpoint = office_endpoint_of(data);
    return endpoint ? endpoint : xasprintf("ipc://%s/intake.sock", data);
}

int
cli_endpoint_usable(const char *endpoint, const char *what)
{
    if (strncmp(endpoint, "ipc://", 6) != 0)
        return 0;
    const char *path = endpoint + 6;
    /* a socket not there yet is waited for (a daemon restarting): the sender's own timeouts
     * decide; one this user may not use never becomes usable */
    if (access(path, W_OK) == 0)
        return 0;
    if (errno == ENOENT) {
        fprintf(stderr, "jiancha %s: %s is not there (yet): waiting for the node's daemon to open "
                        "it (the packaged services keep it in /run/jiancha-ROLE/intake.sock)\n",
                what, path);
        return 0;
    }
    if (errno != EACCES && errno != EPERM)
        return 0;
    fprintf(stderr, "jiancha %s: cannot send to %s: %s: this user may not write the socket or "
                    "reach the directory it is in (a local sender needs the node's intake group, "
                    "jiancha-intake for the packaged services, whose socket is "
                    "/run/jiancha-ROLE/intake.sock)\n",
            what, path, strerror(errno));
    return 1;
}

int
cli_deliver(const char *endpoint, const char *body, const struct cli_operator *op,
            const char *what, const char *id, FILE *out)
{
    if (cli_endpoint_usable(endpoint, what) != 0)
        return 1;
    zmsg_t *m = request(body, op, what);
    if (!m)
        return 1;
    zsock_t *s = zsock_new(ZMQ_REQ);
    zsock_set_linger(s, 0);
    zsock_set_sndtimeo(s, 2000);
    const char *env = getenv("JIANCHA_ANSWER_TIMEOUT_MS");
    int timeout_ms = env && atoi(env) > 0 ? atoi(env) : ANSWER_TIMEOUT_MS;
    zsock_set_rcvtimeo(s, timeout_ms);
    if (zsock_connect(s, "%s", endpoint) != 0 || zmsg_send(&m, s) != 0) {
        zmsg_destroy(&m);
        fprintf(stderr, "jiancha %s: cannot reach %s\n", what, endpoint);
        zsock_destroy(&s);
        return 1;
    }
    char *answer = zstr_recv(s);
    zsock_destroy(&s);
    if (!answer) {
        fprintf(stderr,
                "jiancha %s: no answer from %s within %d s (resend with the same "
                "--record-id: a stored record is answered as a duplicate)\n",
                what, endpoint, (timeout_ms + 999) / 1000);
        return 1;
    }
    json_error_t jerr;
    json_t *r = json_loads(answer, 0, &jerr);
    int status = 1;
    json_t *rej = r ? json_object_get(r, "rejected") : NULL;
    if (r && json_array_size(rej) > 0) {
        json_t *e = json_array_get(rej, 0);
        fprintf(stderr, "jiancha %s: refused: field %s: %s\n", what,
                json_string_value(json_object_get(e, "field")),
                json_string_value(json_object_get(e, "reason")));
    } else if (r && json_is_string(json_object_get(r, "error"))) {
        fprintf(stderr, "jiancha %s: refused: %s\n", what,
                json_string_value(json_object_get(r, "error")));
    } else if (r && json_integer_value(json_object_get(r, "accepted")) == 1) {
        if (out)
            fprintf(out, "stored %s\n", id);
        status = 0;
    } else if (r && json_integer_value(json_object_get(r, "duplicates")) == 1) {
        if (out)
            fprintf(out, "already stored %s\n", id);
        status = 0;
    } else {
        fprintf(stderr, "jiancha %s: unexpected answer: %s\n", what, answer);
    }
    json_decref(r);
    zstr_free(&answer);
    return status;
}

int
cli_action(int argc, char **argv)
{
    const char *family = argv[0];
    const char *verb = argc > 1 && strncmp(argv[1], "--", 2) != 0 ? argv[1] : NULL;
    const struct command *c = NULL;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0] && !c; i++)
        if (strcmp(commands[i].family, family) == 0 &&
            (commands[i].verb ? verb && strcmp(commands[i].verb, verb) == 0 : !verb))
            c = &commands[i];
    if (!c) {
        usage_of(family);
        return 2;
    }
    json_t *rec = json_object();
    json_object_set_new(rec, "type", json_string(c->type));
    const char *data = NULL, *to = NULL, *at = NULL, *rid = NULL;
    struct cli_operator op = {NULL, NULL};
    bool seen[8] = {false};
    int status = 0;
    for (int i = verb ? 2 : 1; i < argc && status == 0; i += 2) {
        const char *name = argv[i];
        if (strncmp(name, "--", 2) != 0 || i + 1 >= argc) {
            status = 2;
            break;
        }
        name += 2;
        const char *value = argv[i + 1];
        const struct opt *o = find_opt(c, name);
        if (strcmp(name, "data") == 0)
            data = value;
        else if (strcmp(name, "to") == 0)
            to = value;
        else if (strcmp(name, "at") == 0)
            at = value;
        else if (strcmp(name, "record-id") == 0)
            rid = value;
        else if (strcmp(name, "operator") == 0)
            op.name = value;
        else if (strcmp(name, "key") == 0)
            op.key = value;
        else if (!o)
            status = 2;
        else if (set_field(rec, o, value) != 0)
            status = 1;
        else
            seen[o - c->opts] = true;
    }
    for (size_t i = 0; status == 0 && i < 8 && c->opts[i].name; i++)
        if (c->opts[i].required && !seen[i]) {
            fprintf(stderr, "jiancha %s: --%s is required\n", family, c->opts[i].name);
            status = 2;
        }
    if (status == 0 && !data == !to)
        status = 2;
    if (status != 0) {
        if (status == 2)
            usage_of(family);
        json_decref(rec);
        return status;
    }
    int64_t now = timestamp_now_ms();
    char when[TIMESTAMP_TEXT_MAX], id[96];
    timestamp_format(now, when);
    json_object_set_new(rec, "at", json_string(at ? at : when));
    /* A record id unique to this entry unless the operator repeats one to resend it. */
    snprintf(id, sizeof id, "%s-%lld-%d", c->type, (long long)now, (int)getpid());
    json_object_set_new(rec, "id", json_string(rid ? rid : id));
    char *body = json_dumps(rec, JSON_COMPACT);
    json_decref(rec);
    char *endpoint = to ? xstrdup(to) : cli_intake_endpoint(data);
    char what[64];
    snprintf(what, sizeof what, "%s%s%s", family, verb ? " " : "", verb ? verb : "");
    cli_operator_from_env(&op);
    status = cli_deliver(endpoint, body, &op, what, rid ? rid : id, stdout);
    free(endpoint);
    free(body);
    return status;
}
