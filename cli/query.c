/* cli query / status: read a daemon's store read-only while it runs (LMDB readers never block
 * the writer). Output is a table for people or JSON Lines (--json) for scripts. */
#include "alert.h"
#include "audit.h"
#include "board.h"
#include "bundle.h"
#include "cli.h"
#include "coverage.h"
#include "desk.h"
#include "disk.h"
#include "err.h"
#include "event.h"
#include "ingest.h"
#include "mem.h"
#include "roster.h"
#include "spool.h"
#include "store.h"
#include "timestamp.h"
#include "view.h"
#include "warehouse.h"
#include "wire.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Is a daemon listening at the node's intake? For a local socket a plain connect answers at once,
 * where a ZeroMQ request to nobody would wait for its timeout; over TCP the request says. */
static bool
node_running(const char *endpoint)
{
    if (strncmp(endpoint, "ipc://", 6) != 0)
        return true;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (snprintf(sa.sun_path, sizeof sa.sun_path, "%s", endpoint + 6) >= (int)sizeof sa.sun_path)
        return true; /* cannot tell: let the request say */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return true;
    bool up = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return up;
}

/* A node that holds a roster is read by named operators only: the read is a signed request the
 * node judges (scope) and logs (audit) before anything is shown. */
static int
authorize_read(const char *dir, const char *what)
{
    char *endpoint = cli_intake_endpoint(dir);
    if (!node_running(endpoint)) {
        free(endpoint);
        fprintf(stderr,
                "jiancha: the node at %s is not running: a read is logged by the node "
                "itself (audit), so a stopped node holding a roster cannot be read; "
                "start it first (docs/office.md)\n",
                dir);
        return ERR_STATE;
    }
    struct cli_operator op = {NULL, NULL};
    cli_operator_from_env(&op);
    if (!op.name || !op.key) {
        fprintf(stderr,
                "jiancha: %s is read by named operators only: set JIANCHA_OPERATOR and "
                "JIANCHA_OPERATOR_KEY (docs/office.md)\n",
                dir);
        free(endpoint);
        return ERR_STATE;
    }
    int64_t now = timestamp_now_ms();
    char when[TIMESTAMP_TEXT_MAX], id[96];
    timestamp_format(now, when);
    snprintf(id, sizeof id, "read-%lld-%d", (long long)now, (int)getpid());
    json_t *rec = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "access.read", "id", id, "what", what,
                            "by", op.name, "at", when);
    char *body = json_dumps(rec, JSON_COMPACT);
    json_decref(rec);
    int status = cli_deliver(endpoint, body, &op, what, id, NULL);
    free(endpoint);
    free(body);
    return status == 0 ? 0 : ERR_STATE;
}

int
cli_open_store(const char *dir, const char *what, store_t **s)
{
    struct store_options o = {.readonly = true};
    int rc = store_open(dir, &o, s);
    if (rc != 0) {
        bool denied = access(dir, R_OK | X_OK) != 0 && errno == EACCES;
        fprintf(stderr, "jiancha: cannot open store in %s: %s\n", dir,
                denied ? "permission denied (a node's data is its service user's alone: "
                         "runuser -u jiancha -- jiancha ...)"
                : rc == ERR_NOT_FOUND ? "no jiancha data there"
                                      : err_str(rc));
        return rc;
    }
    store_txn_t *t = NULL;
    roster_t *roster = NULL;
    bool controlled = what && store_read(*s, &t) == 0 && bundle_held_roster(t, &roster) == 0;
    store_abort(&t);
    roster_destroy(&roster);
    if (controlled && (rc = authorize_read(dir, what)) != 0)
        store_close(s);
    return rc;
}

static int
query_events(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},  {"node", required_argument, NULL, 'n'},
        {"since", required_argument, NULL, 's'}, {"limit", required_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},        {NULL, 0, NULL, 0},
    };
    const char *data = NULL, *node = NULL;
    uint64_t since = 0, limit = UINT64_MAX;
    bool json = false;
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            data = optarg;
            break;
        case 'n':
            node = optarg;
            break;
        case 's':
            since = strtoull(optarg, NULL, 10);
            break;
        case 'l':
            limit = strtoull(optarg, NULL, 10);
            break;
        case 'j':
            json = true;
            break;
        default:
            return 2;
        }
    }
    if (!data || (node && node_valid(node, strlen(node)) != 0)) {
        fprintf(stderr, "usage: jiancha query events --data DIR [--node N] [--since SEQ] "
                        "[--limit N] [--json]\n");
        return 2;
    }
    store_t *s = NULL;
    if (cli_open_store(data, "query events", &s) != 0)
        return 1;
    store_txn_t *t = NULL;
    store_cursor_t *c = NULL;
    int rc = store_read(s, &t);
    if (rc == 0)
        rc = store_cursor_open(t, STORE_EVENTS, &c);
    uint8_t key[12] = {0};
    if (node)
        store_be32(key, node_number(node));
    store_be64(key + 4, since);
    struct wire_buf k, v;
    wire_buf_init(&k);
    wire_buf_init(&v);
    uint64_t shown = 0;
    if (!json && rc == 0)
        printf("%-6s %10s  %-20s %s\n", "node", "seq", "type", "id");
    int crc = rc == 0 ? store_cursor_seek(c, key, sizeof key, &k, &v) : rc;
    while (crc == 0 && shown < limit) {
        if (k.len != 12)
            break;
        uint32_t kn = store_from_be32(k.data);
        uint64_t seq = store_from_be64(k.data + 4);
        if (node && kn != node_number(node))
            break;
        if (seq >= since) {
            char nt[7];
            node_format(kn, nt);
            /* a record deleted or corrected with the province's approval is shown so */
            struct wire_buf change;
            wire_buf_init(&change);
            bool changed = desk_change_of(t, kn, seq, &change) == 0;
            char ctype[32] = "", cid[EVENT_ID_MAX + 1];
            if (changed && event_record_peek(change.data, change.len, ctype, cid) != 0)
                changed = false;
            bool deleted = changed && strcmp(ctype, "record.delete") == 0;
            if (json) {
                char *text = deleted ? NULL : event_record_to_json(v.data, v.len);
                char *ctext = changed ? event_record_to_json(change.data, change.len) : NULL;
                printf("{\"node\":\"%s\",\"seq\":%llu,\"event\":%s%s%s}\n", nt,
                       (unsigned long long)seq, text ? text : "null",
                       changed ? (deleted ? ",\"deleted\":" : ",\"corrected\":") : "",
                       changed ? (ctext ? ctext : "null") : "");
                free(text);
                free(ctext);
            } else {
                char type[32], id[EVENT_ID_MAX + 1];
                if (event_record_peek(v.data, v.len, type, id) != 0)
                    snprintf(type, sizeof type, "?");
                printf("%-6s %10llu  %-20s %s%s\n", nt, (unsigned long long)seq, type, id,
                       !changed  ? ""
                       : deleted ? "  (deleted)"
                                 : "  (corrected)");
            }
            wire_buf_fini(&change);
            shown++;
        }
        wire_buf_reset(&k);
        wire_buf_reset(&v);
        crc = store_cursor_next(c, &k, &v);
    }
    wire_buf_fini(&k);
    wire_buf_fini(&v);
    store_cursor_close(&c);
    store_abort(&t);
    store_close(&s);
    if (rc != 0 && rc != ERR_NOT_FOUND) {
        fprintf(stderr, "jiancha query events: %s\n", err_str(rc));
        return 1;
    }
    return 0;
}

static int query_nodes(int argc, char **argv);

int
cli_query(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "events") == 0)
        return query_events(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "alerts") == 0)
        return cli_alerts(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "supervision") == 0)
        return cli_supervision(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "scores") == 0)
        return cli_scores(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "nodes") == 0)
        return query_nodes(argc, argv);
    fprintf(stderr, "usage: jiancha query events --data DIR [--node N] [--since SEQ] [--json]\n"
                    "       jiancha query alerts --data DIR [--light red|yellow] [--rule R] "
                    "[--dept D] [--open] [--queue NODE] [--json]\n"
                    "       jiancha query supervision --data DIR [--calendar F] [--json]\n");
    return 2;
}

static void
print_time(const char *label, int64_t ms)
{
    char buf[TIMESTAMP_TEXT_MAX];
    if (ms <= 0) {
        printf("  %-22s never\n", label);
        return;
    }
    timestamp_format(ms, buf);
    printf("  %-22s %s (%llds ago)\n", label, buf, (long long)((timestamp_now_ms() - ms) / 1000));
}

/* What `status` reports of a node's store, read in one transaction and then printed as text or
 * as JSON (the same facts either way). */
struct status_facts {
    uint64_t records, used, map;
    uint64_t catalog_version, rules_judged, next_seq;
    bool have_roster;
    uint64_t roster_version;
    size_t operators;
    uint64_t audit_entries, decisions_waiting;
    struct spool_state sp;
    uint64_t parent_contact_ms;
    struct ingest_node *children;
    size_t n_children, cap_children;
    struct {
        uint32_t node;
        uint64_t batch;
        char why[ERR_WHY_MAX];
    } * parked;
    size_t n_parked, cap_parked;
    uint64_t quarantined;
    /* the warehouse's sink as the daemon last saved it (warehouse.h); saved_ms 0: none */
    uint64_t wh_saved_ms;
    struct warehouse_stats wh;
};

/* The warehouse's figures the aggregator keeps in its meta table (warehouse_save_status). */
static void
warehouse_read(store_txn_t *t, struct status_facts *f)
{
    uint64_t up = 0, caught = 0, err_at = 0;
    if (store_meta_get_u64(t, WAREHOUSE_META_SAVED, &f->wh_saved_ms) != 0 || !f->wh_saved_ms ||
        store_meta_get_u64(t, WAREHOUSE_META_UP, &up) != 0 ||
        store_meta_get_u64(t, WAREHOUSE_META_BEHIND, &f->wh.behind) != 0 ||
        store_meta_get_u64(t, WAREHOUSE_META_CAUGHT_UP, &caught) != 0 ||
        store_meta_get_u64(t, WAREHOUSE_META_COPIED, &f->wh.copied) != 0 ||
        store_meta_get_u64(t, WAREHOUSE_META_ERROR_AT, &err_at) != 0) {
        f->wh_saved_ms = 0;
        return;
    }
    f->wh.connected = up != 0;
    f->wh.caught_up_ms = (int64_t)caught;
    f->wh.error_ms = (int64_t)err_at;
    struct wire_buf e;
    wire_buf_init(&e);
    if (store_get(t, STORE_META, WAREHOUSE_META_ERROR, strlen(WAREHOUSE_META_ERROR), &e) == 0)
        snprintf(f->wh.error, sizeof f->wh.error, "%.*s", (int)e.len, (const char *)e.data);
    wire_buf_fini(&e);
}

static int
status_read(store_t *s, struct status_facts *f)
{
    store_txn_t *t = NULL;
    int rc = store_read(s, &t);
    if (rc == 0)
        rc = spool_state_get(t, &f->sp);
    if (rc != 0) {
        store_abort(&t);
        return rc;
    }
    store_usage(s, &f->map, &f->used);
    f->records = store_count(t, STORE_EVENTS);
    f->next_seq = f->sp.next_seq;
    if (store_meta_get_u64(t, "catalog_version", &f->catalog_version) != 0)
        f->catalog_version = 0;
    /* the collector's rules pass (watch.h): how far it has judged the records stored */
    if (store_meta_get_u64(t, "rules_seq", &f->rules_judged) != 0)
        f->rules_judged = 0;
    roster_t *roster = NULL;
    if (bundle_held_roster(t, &roster) == 0) {
        f->have_roster = true;
        f->roster_version = roster_version(roster);
        f->operators = roster_count(roster);
        roster_destroy(&roster);
    }
    if (audit_count(t, &f->audit_entries) != 0)
        f->audit_entries = 0;
    if (desk_count_decisions(t, &f->decisions_waiting) != 0)
        f->decisions_waiting = 0;
    if (store_meta_get_u64(t, "parent_contact_ms", &f->parent_contact_ms) != 0)
        f->parent_contact_ms = 0;
    store_cursor_t *c = NULL;
    struct wire_buf k, v;
    wire_buf_init(&k);
    wire_buf_init(&v);
    if (store_count(t, STORE_NODES) > 0 && store_cursor_open(t, STORE_NODES, &c) == 0) {
        for (int crc = store_cursor_seek(c, NULL, 0, &k, NULL); crc == 0;
             crc = store_cursor_next(c, &k, NULL)) {
            struct ingest_node n;
            if (k.len == 4 && ingest_node_load(t, store_from_be32(k.data), &n) == 0) {
                if (f->n_children == f->cap_children) {
                    f->cap_children = f->cap_children ? 2 * f->cap_children : 16;
                    f->children = xrealloc(f->children, f->cap_children * sizeof *f->children);
                }
                f->children[f->n_children++] = n;
            }
            wire_buf_reset(&k);
        }
        store_cursor_close(&c);
    }
    if (store_count(t, STORE_PARKED) > 0 && store_cursor_open(t, STORE_PARKED, &c) == 0) {
        wire_buf_reset(&k);
        for (int crc = store_cursor_seek(c, NULL, 0, &k, &v); crc == 0;
             crc = store_cursor_next(c, &k, &v)) {
            if (k.len == 12) {
                if (f->n_parked == f->cap_parked) {
                    f->cap_parked = f->cap_parked ? 2 * f->cap_parked : 4;
                    f->parked = xrealloc(f->parked, f->cap_parked * sizeof *f->parked);
                }
                f->parked[f->n_parked].node = store_from_be32(k.data);
                f->parked[f->n_parked].batch = store_from_be64(k.data + 4);
                snprintf(f->parked[f->n_parked].why, ERR_WHY_MAX, "%.*s", (int)v.len,
                         (const char *)v.data);
                f->n_parked++;
            }
            wire_buf_reset(&k);
            wire_buf_reset(&v);
        }
        store_cursor_close(&c);
    }
    /* copies kept for audit: reused sequences (node.clone), a compromised key's batches */
    f->quarantined = store_count(t, STORE_QUARANTINE);
    warehouse_read(t, f);
    wire_buf_fini(&k);
    wire_buf_fini(&v);
    store_abort(&t);
    return 0;
}

static void
status_print_text(const char *data, const struct status_facts *f)
{
    const struct spool_state *sp = &f->sp;
    /* records of every kind: business events, actions, and the alerts and sheets a node makes */
    printf("store %s: %llu records, %.1f MiB used of a %.1f MiB map\n", data,
           (unsigned long long)f->records, (double)f->used / 1048576.0, (double)f->map / 1048576.0);
    if (f->catalog_version)
        printf("catalogue in force: version %llu\n", (unsigned long long)f->catalog_version);
    if (f->rules_judged)
        printf("rules pass: judged through record %llu of %llu stored\n",
               (unsigned long long)f->rules_judged,
               (unsigned long long)(sp->next_seq ? sp->next_seq - 1 : 0));
    /* the office: who may act here, what it logged, what waits to go down (docs/office.md) */
    if (f->have_roster)
        printf("operators roster: version %llu, %zu operators (actions and reads are signed)\n",
               (unsigned long long)f->roster_version, f->operators);
    if (f->audit_entries)
        printf("audit log: %llu entries (jiancha audit verify)\n",
               (unsigned long long)f->audit_entries);
    if (f->decisions_waiting)
        printf("closings waiting to go down to children: %llu\n",
               (unsigned long long)f->decisions_waiting);
    if (sp->top) {
        printf("uplink: none, the top of the tree (its %llu records of its own are kept here)\n",
               (unsigned long long)(sp->next_seq - 1));
    } else if (sp->next_seq > 1) {
        printf("uplink (this node's own events):\n");
        printf("  %-22s %llu\n", "events stored", (unsigned long long)(sp->next_seq - 1));
        printf("  %-22s %llu\n", "last batch sealed", (unsigned long long)sp->batch_seq);
        printf("  %-22s %llu\n", "last batch acked", (unsigned long long)sp->acked_batch);
        printf("  %-22s %llu batches, %llu events not yet sealed\n", "backlog",
               (unsigned long long)(sp->batch_seq - sp->acked_batch),
               (unsigned long long)(sp->next_seq - 1 - sp->sealed_seq));
        print_time("last parent contact", (int64_t)f->parent_contact_ms);
    }
    if (f->n_children) {
        printf("children:\n");
        printf("  %-6s %10s %12s %10s %8s  %s\n", "node", "batch", "records", "dups", "rejected",
               "last contact");
    }
    for (size_t i = 0; i < f->n_children; i++) {
        const struct ingest_node *n = &f->children[i];
        char nt[7], when[TIMESTAMP_TEXT_MAX];
        node_format(n->node, nt);
        timestamp_format(n->last_contact_ms, when);
        printf("  %-6s %10llu %12llu %10llu %8llu  %s\n", nt, (unsigned long long)n->last_seq,
               (unsigned long long)n->records, (unsigned long long)n->duplicates,
               (unsigned long long)n->rejected, n->last_contact_ms ? when : "never");
    }
    if (f->n_parked)
        printf("parked batches (need an operator): %zu\n", f->n_parked);
    else
        printf("parked batches: 0\n");
    for (size_t i = 0; i < f->n_parked; i++) {
        char nt[7];
        node_format(f->parked[i].node, nt);
        printf("  node %s batch %llu: %s\n", nt, (unsigned long long)f->parked[i].batch,
               f->parked[i].why);
    }
    printf("quarantined batches: %llu\n", (unsigned long long)f->quarantined);
    if (f->wh_saved_ms) {
        char when[TIMESTAMP_TEXT_MAX];
        timestamp_format((int64_t)f->wh_saved_ms, when);
        char behind[96];
        if (f->wh.behind == WAREHOUSE_BEHIND_UNKNOWN)
            snprintf(behind, sizeof behind, "how far behind unknown until it reads PostgreSQL");
        else
            snprintf(behind, sizeof behind, "%llu records behind (%.0f s)",
                     (unsigned long long)f->wh.behind, warehouse_lag_s(&f->wh, timestamp_now_ms()));
        printf("warehouse (PostgreSQL): %s, %s, %llu copied since the daemon started (as of %s)\n",
               f->wh.connected ? "connected" : "not connected", behind,
               (unsigned long long)f->wh.copied, when);
        if (f->wh.error_ms > 0)
            print_time("last error", f->wh.error_ms);
        if (f->wh.error_ms > 0)
            printf("  %s\n", f->wh.error);
    }
}

static json_t *
time_or_null(int64_t ms)
{
    char buf[TIMESTAMP_TEXT_MAX];
    if (ms <= 0)
        return json_null();
    timestamp_format(ms, buf);
    return json_string(buf);
}

static void
status_print_json(const char *data, const struct status_facts *f)
{
    const struct spool_state *sp = &f->sp;
    json_t *o = json_pack(
        "{s:s, s:I, s:I, s:I, s:o, s:o}", "data", data, "records", (json_int_t)f->records,
        "used_bytes", (json_int_t)f->used, "map_bytes", (json_int_t)f->map, "catalog_version",
        f->catalog_version ? json_integer((json_int_t)f->catalog_version) : json_null(),
        "rules_judged_through",
        f->rules_judged ? json_integer((json_int_t)f->rules_judged) : json_null());
    if (f->have_roster)
        json_object_set_new(o, "roster",
                            json_pack("{s:I, s:I}", "version", (json_int_t)f->roster_version,
                                      "operators", (json_int_t)f->operators));
    json_object_set_new(o, "audit_entries", json_integer((json_int_t)f->audit_entries));
    json_object_set_new(o, "decisions_waiting", json_integer((json_int_t)f->decisions_waiting));
    if (sp->top)
        json_object_set_new(o, "uplink", json_null());
    else
        json_object_set_new(
            o, "uplink",
            json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "events_stored",
                      (json_int_t)(sp->next_seq ? sp->next_seq - 1 : 0), "batch_sealed",
                      (json_int_t)sp->batch_seq, "batch_acked", (json_int_t)sp->acked_batch,
                      "backlog_batches", (json_int_t)(sp->batch_seq - sp->acked_batch),
                      "unsealed_events",
                      (json_int_t)(sp->next_seq ? sp->next_seq - 1 - sp->sealed_seq : 0),
                      "last_parent_contact", time_or_null((int64_t)f->parent_contact_ms)));
    json_t *kids = json_array();
    for (size_t i = 0; i < f->n_children; i++) {
        const struct ingest_node *n = &f->children[i];
        char nt[7];
        node_format(n->node, nt);
        json_array_append_new(
            kids,
            json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:o}", "node", nt, "batch",
                      (json_int_t)n->last_seq, "records", (json_int_t)n->records, "duplicates",
                      (json_int_t)n->duplicates, "rejected", (json_int_t)n->rejected, "repeated",
                      (json_int_t)n->repeated, "last_contact", time_or_null(n->last_contact_ms)));
    }
    json_object_set_new(o, "children", kids);
    json_t *parked = json_array();
    for (size_t i = 0; i < f->n_parked; i++) {
        char nt[7];
        node_format(f->parked[i].node, nt);
        json_array_append_new(parked, json_pack("{s:s, s:I, s:s}", "node", nt, "batch",
                                                (json_int_t)f->parked[i].batch, "reason",
                                                f->parked[i].why));
    }
    json_object_set_new(o, "parked", parked);
    json_object_set_new(o, "quarantined", json_integer((json_int_t)f->quarantined));
    json_object_set_new(
        o, "warehouse",
        !f->wh_saved_ms ? json_null()
                        : json_pack("{s:b, s:o, s:o, s:I, s:o, s:o, s:s?}", "connected",
                                    f->wh.connected, "behind_records",
                                    f->wh.behind == WAREHOUSE_BEHIND_UNKNOWN
                                        ? json_null()
                                        : json_integer((json_int_t)f->wh.behind),
                                    "behind_seconds",
                                    f->wh.behind == WAREHOUSE_BEHIND_UNKNOWN
                                        ? json_null()
                                        : json_real(warehouse_lag_s(&f->wh, timestamp_now_ms())),
                                    "copied", (json_int_t)f->wh.copied, "as_of",
                                    time_or_null((int64_t)f->wh_saved_ms), "last_error_at",
                                    time_or_null(f->wh.error_ms), "last_error",
                                    f->wh.error_ms > 0 ? f->wh.error : NULL));
    char *text = json_dumps(o, JSON_INDENT(2));
    printf("%s\n", text);
    free(text);
    json_decref(o);
}

/* The arguments of a read that takes --data DIR [--json] from argv[first]: -1 to go on, or the
 * exit status (the usage printed). */
static int
data_json_args(int argc, char **argv, int first, const char *usage, const char **data, bool *json)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    *data = NULL;
    *json = false;
    int ch;
    optind = first;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'd')
            *data = optarg;
        else if (ch == 'j')
            *json = true;
        else
            return 2;
    }
    if (!*data) {
        fprintf(stderr, "usage: %s\n", usage);
        return 2;
    }
    return -1;
}

int
cli_status(int argc, char **argv)
{
    const char *data;
    bool json;
    int status = data_json_args(argc, argv, 1, "jiancha status --data DIR [--json]", &data, &json);
    if (status >= 0)
        return status;
    store_t *s = NULL;
    if (cli_open_store(data, "status", &s) != 0)
        return 1;
    struct status_facts f = {0};
    int rc = status_read(s, &f);
    store_close(&s);
    if (rc != 0) {
        fprintf(stderr, "jiancha status: %s\n", err_str(rc));
    } else if (json) {
        status_print_json(data, &f);
    } else {
        status_print_text(data, &f);
    }
    free(f.children);
    free(f.parked);
    return rc == 0 ? 0 : 1;
}

/* ---- query nodes ---- */

static int
query_nodes(int argc, char **argv)
{
    const char *data;
    bool json;
    int status =
        data_json_args(argc, argv, 2, "jiancha query nodes --data DIR [--json]", &data, &json);
    if (status >= 0)
        return status;
    store_t *s = NULL;
    if (cli_open_store(data, "query nodes", &s) != 0)
        return 1;
    store_txn_t *t = NULL;
    struct view_node *rows = NULL;
    size_t n = 0;
    struct spool_state sp = {0};
    int rc = store_read(s, &t);
    if (rc == 0)
        rc = view_nodes(t, NULL, NULL, &rows, &n);
    if (rc == 0)
        rc = spool_state_get(t, &sp);
    store_abort(&t);
    store_close(&s);
    if (rc != 0) {
        fprintf(stderr, "jiancha query nodes: %s\n", err_str(rc));
        free(rows);
        return 1;
    }
    int64_t now = timestamp_now_ms();
    if (json) {
        region_t *regions = NULL;
        char why[ERR_WHY_MAX];
        if (region_load(cli_default_regions(), &regions, why, sizeof why) != 0)
            regions = NULL; /* names are a courtesy: codes still say everything */
        struct view_names names = {regions, NULL, NULL};
        for (size_t i = 0; i < n; i++) {
            json_t *o = view_node_json(&rows[i], &names, now);
            char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
            printf("%s\n", text);
            free(text);
            json_decref(o);
        }
        region_destroy(&regions);
        free(rows);
        return 0;
    }
    if (sp.batch_seq && !sp.top)
        printf("this node's uplink: %llu batches sealed, %llu acknowledged, backlog %llu\n",
               (unsigned long long)sp.batch_seq, (unsigned long long)sp.acked_batch,
               (unsigned long long)(sp.batch_seq - sp.acked_batch));
    printf("%-12s %10s %8s %8s %8s %8s %6s %6s %8s %8s %8s %6s %6s %5s  %s\n", "node", "records",
           "batch", "backlog", "lag", "skew", "red", "yellow", "catalog", "calendar", "coverage",
           "disk", "cert", "crl", "last contact");
    for (size_t i = 0; i < n; i++) {
        const struct view_node *r = &rows[i];
        char nt[7], when[TIMESTAMP_TEXT_MAX] = "-", lag[24] = "-";
        node_format(r->node, nt);
        if (r->has_state && r->last_contact_ms) {
            timestamp_format(r->last_contact_ms, when);
            snprintf(lag, sizeof lag, "%llds", (long long)((now - r->last_contact_ms) / 1000));
        }
        char label[16];
        snprintf(label, sizeof label, "%*s%s", 2 * node_depth(r->node), "", nt);
        /* backlog and skew come from a direct child's heartbeats */
        char backlog[24] = "-", skew[24] = "-";
        if (r->has_state && r->sealed_known) {
            snprintf(backlog, sizeof backlog, "%llu",
                     (unsigned long long)(r->sealed_seq > r->last_seq ? r->sealed_seq - r->last_seq
                                                                      : 0));
            snprintf(skew, sizeof skew, "%+.1fs", (double)r->skew_ms / 1000.0);
        }
        char catv[24] = "-", calv[24] = "-", crlv[24] = "-";
        if (r->catalog)
            snprintf(catv, sizeof catv, "v%llu", (unsigned long long)r->catalog);
        if (r->calendar)
            snprintf(calv, sizeof calv, "v%llu", (unsigned long long)r->calendar);
        if (r->crl)
            snprintf(crlv, sizeof crlv, "v%llu", (unsigned long long)r->crl);
        /* the node's own judgement of its calendar: ok unless calendar.coverage stands */
        static const char *const level[] = {"ok", "yellow", "red"};
        printf("%-12s %10llu %8llu %8s %8s %8s %6llu %6llu %8s %8s %8s %6s %6s %5s  %.19s\n", label,
               (unsigned long long)r->records, (unsigned long long)(r->has_state ? r->last_seq : 0),
               backlog, lag, skew, (unsigned long long)r->red_open,
               (unsigned long long)r->yellow_open, catv, calv, level[r->coverage], level[r->disk],
               level[r->cert], crlv, when);
    }
    free(rows);
    return 0;
}
