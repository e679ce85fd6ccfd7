/* cli access: confidentiality (art. 15, 16). Operators' keys and roster entries, approvals,
 * exports, deletions and corrections of stored records, and the audit log's verification.
 *
 *   operator key --name N --node NODE --out DIR     an operator's Ed25519 keypair (secret 0600)
 *   operator entry --name N --role R --node NODE [--dept D] --pub FILE
 *                                                   the roster line for that operator (JSON)
 *   approve --kind export|delete|correct --requester N [what is approved] --operator --key
 *                                                   an approval, signed by the approver
 *   export --data DIR --what events|alerts|report --node N --period P --approval F --out F
 *   record delete|correct --data DIR --record NODE/SEQ [--field F --value V] --reason R
 *                 --approval F                      ask the node to delete or correct a record
 *   audit verify --data DIR [--node N]              check the hash chain and signatures
 *
 * Requests go to the node's intake signed by the operator (--operator/--key or the environment),
 * where they are judged (access.h) and logged (audit.h); an export is written only once the node
 * has taken and logged its request.
 */
#include "access.h"
#include "alert.h"
#include "audit.h"
#include "board.h"
#include "bundle.h"
#include "calendar.h"
#include "cli.h"
#include "desk.h"
#include "err.h"
#include "event.h"
#include "file.h"
#include "mem.h"
#include "roster.h"
#include "sign.h"
#include "store.h"
#include "timestamp.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --name value pairs into a small table; unknown names are a usage error. */
struct args {
    const char *names[16];
    const char *values[16];
    size_t n;
};

static int
parse_args(int argc, char **argv, int from, const char *const *allowed, struct args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = from; i < argc; i += 2) {
        if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc || a->n == 16)
            return 2;
        bool ok = false;
        for (size_t k = 0; allowed[k] && !ok; k++)
            ok = strcmp(allowed[k], argv[i] + 2) == 0;
        if (!ok)
            return 2;
        a->names[a->n] = argv[i] + 2;
        a->values[a->n++] = argv[i + 1];
    }
    return 0;
}

static const char *
arg(const struct args *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->names[i], name) == 0)
            return a->values[i];
    return NULL;
}

static struct cli_operator
operator_of(const struct args *a)
{
    struct cli_operator op = {arg(a, "operator"), arg(a, "key")};
    cli_operator_from_env(&op);
    return op;
}

/* ---- operator key / entry ---- */

static int
operator_cmd(int argc, char **argv)
{
    static const char *const allowed[] = {"name", "node", "out", "role", "dept", "pub", NULL};
    struct args a;
    const char *verb = argc > 1 ? argv[1] : "";
    if (parse_args(argc, argv, 2, allowed, &a) != 0)
        goto usage;
    const char *name = arg(&a, "name"), *node = arg(&a, "node");
    if (!name || !node || node_valid(node, strlen(node)) != 0)
        goto usage;
    if (sign_init() != 0)
        return 1;
    if (strcmp(verb, "key") == 0 && arg(&a, "out")) {
        if (file_make_dirs(arg(&a, "out")) != 0)
            return 1;
        sign_key_t *k = sign_key_generate();
        int rc = sign_key_save(k, node, arg(&a, "out"), name);
        sign_key_destroy(&k);
        if (rc != 0) {
            fprintf(stderr, "jiancha operator key: %s/%s: %s\n", arg(&a, "out"), name, err_str(rc));
            return 1;
        }
        printf("%s/%s.secret (keep it to yourself) and %s/%s.pub\n", arg(&a, "out"), name,
               arg(&a, "out"), name);
        return 0;
    }
    if (strcmp(verb, "entry") == 0 && arg(&a, "role") && arg(&a, "pub")) {
        uint8_t pk[SIGN_PUBLIC_BYTES];
        char pub_node[7], hex[2 * SIGN_PUBLIC_BYTES + 1];
        int rc = sign_public_load(arg(&a, "pub"), pk, pub_node);
        if (rc != 0) {
            fprintf(stderr, "jiancha operator entry: %s: %s\n", arg(&a, "pub"), err_str(rc));
            return 1;
        }
        sign_to_hex(pk, sizeof pk, hex);
        json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "name", name, "role", arg(&a, "role"), "node",
                              node, "key", hex);
        if (arg(&a, "dept"))
            json_object_set_new(o, "dept", json_string(arg(&a, "dept")));
        char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf("%s\n", text);
        free(text);
        json_decref(o);
        return 0;
    }
usage:
    fprintf(stderr, "usage: jiancha operator key --name N --node NODE --out DIR\n"
                    "       jiancha operator entry --name N --role supervisor|department|"
                    "administrator|auditor --node NODE [--dept D] --pub FILE\n");
    return 2;
}

/* ---- approve ---- */

static int
approve_cmd(int argc, char **argv)
{
    static const char *const allowed[] = {"kind",   "requester", "what",  "node",
                                          "period", "record",    "field", "value",
                                          "out",    "operator",  "key",   NULL};
    struct args a;
    if (parse_args(argc, argv, 1, allowed, &a) != 0)
        goto usage;
    const char *kind = arg(&a, "kind"), *requester = arg(&a, "requester");
    struct cli_operator op = operator_of(&a);
    if (!kind || !requester || !op.name || !op.key || !arg(&a, "out"))
        goto usage;
    json_t *d =
        json_pack("{s:s,s:s,s:s}", "approval", kind, "approver", op.name, "requester", requester);
    if (strcmp(kind, "export") == 0 && arg(&a, "what") && arg(&a, "node") && arg(&a, "period")) {
        json_object_set_new(d, "what", json_string(arg(&a, "what")));
        json_object_set_new(d, "node", json_string(arg(&a, "node")));
        json_object_set_new(d, "period", json_string(arg(&a, "period")));
    } else if ((strcmp(kind, "delete") == 0 || strcmp(kind, "correct") == 0) && arg(&a, "record") &&
               (kind[0] == 'd' || (arg(&a, "field") && arg(&a, "value")))) {
        json_object_set_new(d, "record", json_string(arg(&a, "record")));
        if (kind[0] == 'c') {
            json_object_set_new(d, "field", json_string(arg(&a, "field")));
            json_object_set_new(d, "value", json_string(arg(&a, "value")));
        }
    } else {
        json_decref(d);
        goto usage;
    }
    char when[TIMESTAMP_TEXT_MAX];
    timestamp_format(timestamp_now_ms(), when);
    json_object_set_new(d, "at", json_string(when));
    char *doc = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    sign_key_t *k = NULL;
    char node[7];
    int rc = sign_init() == 0 ? sign_key_load(op.key, &k, node) : ERR_STATE;
    if (rc != 0) {
        fprintf(stderr, "jiancha approve: key %s: %s\n", op.key, err_str(rc));
        free(doc);
        return 1;
    }
    char *approval = access_approval_make(k, doc);
    sign_key_destroy(&k);
    rc = file_write(arg(&a, "out"), approval, strlen(approval), 0644);
    if (rc == 0)
        printf("approval by %s for %s: %s\n", op.name, requester, arg(&a, "out"));
    else
        fprintf(stderr, "jiancha approve: cannot write %s: %s\n", arg(&a, "out"), err_str(rc));
    free(approval);
    free(doc);
    return rc == 0 ? 0 : 1;
usage:
    fprintf(stderr,
            "usage: jiancha approve --kind export --requester N --what events|alerts|report "
            "--node NODE --period YYYY-MM --out FILE [--operator N --key F]\n"
            "       jiancha approve --kind delete|correct --requester N --record NODE/SEQ "
            "[--field F --value V] --out FILE [--operator N --key F]\n");
    return 2;
}

/* Sends a request record (built by the caller) signed by the operator; 0 when the node took it. */
static int
send_request(const char *data, json_t *rec, const struct cli_operator *op, const char *what)
{
    int64_t now = timestamp_now_ms();
    char when[TIMESTAMP_TEXT_MAX], id[96];
    timestamp_format(now, when);
    snprintf(id, sizeof id, "%s-%lld-%d", json_string_value(json_object_get(rec, "type")),
             (long long)now, (int)getpid());
    json_object_set_new(rec, "id", json_string(id));
    json_object_set_new(rec, "at", json_string(when));
    char *body = json_dumps(rec, JSON_COMPACT);
    char *endpoint = cli_intake_endpoint(data);
    int status = cli_deliver(endpoint, body, op, what, id, stderr);
    free(endpoint);
    free(body);
    return status;
}

/* The approval file's text, or NULL (no approval: the node refuses, and logs the refusal). */
static char *
approval_text(const char *path)
{
    if (!path)
        return NULL;
    size_t len;
    char *text = file_read(path, &len);
    if (!text)
        fprintf(stderr, "jiancha: cannot read the approval %s\n", path);
    return text;
}

/* ---- export ---- */

struct export_ctx {
    store_txn_t *t;
    FILE *f;
    int64_t from_ms, to_ms;
    uint64_t n;
};

static int
export_event(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    struct export_ctx *x = arg;
    if (klen != 12)
        return 0;
    uint64_t seq = store_from_be64(key + 4);
    struct wire_buf change;
    wire_buf_init(&change);
    char type[32] = "", id[EVENT_ID_MAX + 1];
    bool deleted = desk_change_of(x->t, store_from_be32(key), seq, &change) == 0 &&
                   event_record_peek(change.data, change.len, type, id) == 0 &&
                   strcmp(type, "record.delete") == 0;
    wire_buf_fini(&change);
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    int64_t at;
    if (!deleted && wire_decode_one(val, vlen, &r, &m) == 0 &&
        wire_obj_get_int(m, "at", &at) == 0 && at >= x->from_ms && at < x->to_ms) {
        char *text = event_record_to_json(val, vlen);
        if (text) {
            fprintf(x->f, "%s\n", text);
            x->n++;
        }
        free(text);
    }
    wire_reader_destroy(&r);
    return 0;
}

static int
export_cmd(int argc, char **argv)
{
    static const char *const allowed[] = {"data", "what",     "node", "period", "approval",
                                          "out",  "operator", "key",  NULL};
    struct args a;
    int64_t first, next;
    if (parse_args(argc, argv, 1, allowed, &a) != 0 || !arg(&a, "data") || !arg(&a, "what") ||
        !arg(&a, "node") || !arg(&a, "out") || node_valid(arg(&a, "node"), 6) != 0 ||
        calendar_parse_month(arg(&a, "period"), &first, &next) != 0) {
        fprintf(stderr, "usage: jiancha export --data DIR --what events|alerts|report --node N "
                        "--period YYYY-MM --approval FILE --out FILE [--operator N --key F]\n");
        return 2;
    }
    struct cli_operator op = operator_of(&a);
    json_t *rec = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "export", "what", arg(&a, "what"),
                            "target", arg(&a, "node"), "period", arg(&a, "period"), "requester",
                            op.name ? op.name : "");
    char *approval = approval_text(arg(&a, "approval"));
    if (approval)
        json_object_set_new(rec, "approval", json_string(approval));
    free(approval);
    int status = send_request(arg(&a, "data"), rec, &op, "export");
    json_decref(rec);
    if (status != 0)
        return status; /* refused (and logged): nothing is written */
    const char *what = arg(&a, "what");
    if (strcmp(what, "report") == 0) {
        char *args[] = {"report",      "monthly",
                        "--data",      (char *)arg(&a, "data"),
                        "--period",    (char *)arg(&a, "period"),
                        "--tier-root", (char *)arg(&a, "node"),
                        "--format",    "csv",
                        "--out",       (char *)arg(&a, "out"),
                        NULL};
        return cli_report(12, args);
    }
    FILE *f = fopen(arg(&a, "out"), "w");
    store_t *s = NULL;
    if (!f || cli_open_store(arg(&a, "data"), NULL, &s) != 0) {
        if (f)
            fclose(f);
        else
            fprintf(stderr, "jiancha export: cannot write %s\n", arg(&a, "out"));
        return 1;
    }
    store_txn_t *t = NULL;
    int rc = store_read(s, &t);
    struct export_ctx x = {t, f, calendar_day_start_ms(first), calendar_day_start_ms(next), 0};
    uint32_t node = node_number(arg(&a, "node"));
    if (rc == 0 && strcmp(what, "events") == 0) {
        uint8_t prefix[4];
        store_be32(prefix, node);
        rc = store_each_prefix(t, STORE_EVENTS, prefix, 4, true, export_event, &x);
    } else if (rc == 0) {
        struct board b;
        rc = board_load(t, NULL, &b);
        for (size_t i = 0; rc == 0 && i < b.n_alerts; i++) {
            const struct alert *al = &b.alerts[i];
            if (node_number(al->node) != node || al->raised_ms < x.from_ms ||
                al->raised_ms >= x.to_ms)
                continue;
            char *text = alert_to_json(al);
            fprintf(f, "%s\n", text);
            free(text);
            x.n++;
        }
        board_fini(&b);
    }
    store_abort(&t);
    store_close(&s);
    if (fclose(f) != 0 || rc != 0) {
        fprintf(stderr, "jiancha export: %s: %s\n", arg(&a, "out"), err_str(rc ? rc : ERR_IO));
        return 1;
    }
    printf("exported %llu %s of %s for %s to %s\n", (unsigned long long)x.n, what, arg(&a, "node"),
           arg(&a, "period"), arg(&a, "out"));
    return 0;
}

/* ---- record delete / correct ---- */

static int
record_cmd(int argc, char **argv)
{
    static const char *const allowed[] = {"data",     "record",   "field", "value", "reason",
                                          "approval", "operator", "key",   NULL};
    const char *verb = argc > 1 ? argv[1] : "";
    bool correct = strcmp(verb, "correct") == 0;
    struct args a;
    if ((!correct && strcmp(verb, "delete") != 0) || parse_args(argc, argv, 2, allowed, &a) != 0 ||
        !arg(&a, "data") || !arg(&a, "record") || !arg(&a, "reason") ||
        (correct && (!arg(&a, "field") || !arg(&a, "value")))) {
        fprintf(stderr,
                "usage: jiancha record delete|correct --data DIR --record NODE/SEQ "
                "[--field F --value V] --reason R --approval FILE [--operator N --key F]\n");
        return 2;
    }
    struct cli_operator op = operator_of(&a);
    json_t *rec = json_pack(
        "{s:s,s:s,s:s,s:s}", "type", correct ? "record.correct" : "record.delete", "record",
        arg(&a, "record"), "reason", arg(&a, "reason"), "requester", op.name ? op.name : "");
    if (correct) {
        json_object_set_new(rec, "field", json_string(arg(&a, "field")));
        json_object_set_new(rec, "value", json_string(arg(&a, "value")));
    }
    char *approval = approval_text(arg(&a, "approval"));
    if (approval)
        json_object_set_new(rec, "approval", json_string(approval));
    free(approval);
    int status =
        send_request(arg(&a, "data"), rec, &op, correct ? "record correct" : "record delete");
    json_decref(rec);
    if (status == 0)
        printf("%s %s\n", correct ? "corrected" : "deleted", arg(&a, "record"));
    return status;
}

/* ---- audit verify ---- */

static void
print_problem(void *arg, uint32_t node, uint64_t n, const char *why)
{
    (void)arg;
    char nt[7];
    node_format(node, nt);
    printf("  %s entry %llu: %s\n", nt, (unsigned long long)n, why);
}

struct node_list {
    uint32_t v[4096];
    size_t n;
};

static int
audited_node(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    struct node_list *l = arg;
    char type[32], id[EVENT_ID_MAX + 1];
    if (klen != 12 || event_record_peek(val, vlen, type, id) != 0 || strcmp(type, "audit") != 0)
        return 0;
    uint32_t node = store_from_be32(key);
    if ((!l->n || l->v[l->n - 1] != node) && l->n < 4096)
        l->v[l->n++] = node;
    return 0;
}

static int
audit_cmd(int argc, char **argv)
{
    static const char *const allowed[] = {"data", "node", NULL};
    struct args a;
    if (argc < 2 || strcmp(argv[1], "verify") != 0 || parse_args(argc, argv, 2, allowed, &a) != 0 ||
        !arg(&a, "data") || (arg(&a, "node") && node_valid(arg(&a, "node"), 6) != 0)) {
        fprintf(stderr, "usage: jiancha audit verify --data DIR [--node N]\n");
        return 2;
    }
    if (sign_init() != 0)
        return 1;
    store_t *s = NULL;
    if (cli_open_store(arg(&a, "data"), "audit verify", &s) != 0)
        return 1;
    store_txn_t *t = NULL;
    int rc = store_read(s, &t);
    roster_t *roster = NULL;
    if (rc == 0 && bundle_held_roster(t, &roster) != 0)
        printf("no roster held here: signatures are not checked\n");
    /* the nodes whose logs this store holds; its own is the one its meta names */
    static struct node_list nodes;
    nodes.n = 0;
    if (arg(&a, "node"))
        nodes.v[nodes.n++] = node_number(arg(&a, "node"));
    else if (rc == 0)
        rc = store_each_prefix(t, STORE_EVENTS, NULL, 0, true, audited_node, &nodes);
    uint64_t problems = 0;
    for (size_t i = 0; rc == 0 && i < nodes.n; i++) {
        struct audit_summary sum;
        char nt[7];
        node_format(nodes.v[i], nt);
        rc = audit_verify(t, nodes.v[i], roster, print_problem, NULL, &sum);
        if (rc == 0)
            printf("%s: %llu entries (%llu refused requests), %llu problems\n", nt,
                   (unsigned long long)sum.entries, (unsigned long long)sum.refused,
                   (unsigned long long)sum.problems);
        problems += sum.problems;
    }
    roster_destroy(&roster);
    store_abort(&t);
    store_close(&s);
    if (rc != 0) {
        fprintf(stderr, "jiancha audit verify: %s\n", err_str(rc));
        return 1;
    }
    if (problems)
        printf("the audit log was changed or cut: %llu problems\n", (unsigned long long)problems);
    else
        printf("the audit log is whole\n");
    return problems ? 1 : 0;
}

int
cli_access(int argc, char **argv)
{
    const char *cmd = argv[0];
    if (strcmp(cmd, "operator") == 0)
        return operator_cmd(argc, argv);
    if (strcmp(cmd, "approve") == 0)
        return approve_cmd(argc, argv);
    if (strcmp(cmd, "export") == 0)
        return export_cmd(argc, argv);
    if (strcmp(cmd, "record") == 0)
        return record_cmd(argc, argv);
    return audit_cmd(argc, argv);
}
