/* jiancha-aggregator: a city or province centre. Configuration, wiring and the loop: the
 * children's side of the uplink is server.h (sessions, batches stored by ingest and acknowledged
 * after their commit), the parent's side link.h, the office's intake and desk office.h. What is
 * here is what the node does with what arrives: bundles taken and passed down (relay.h, a new
 * signing key or calendar adopted), decisions passed down, and on a timer the node's own checks
 * (node.silent, node.clock, calendar.coverage) and the sealing of what goes up: every 10 ms
 * while records wait to be sealed for the parent, every 100 ms otherwise (ticker.h).
 */
#include "bundle.h"
#include "calendar.h"
#include "conf.h"
#include "coverage.h"
#include "disk.h"
#include "err.h"
#include "hangup.h"
#include "ingest.h"
#include "kept.h"
#include "link.h"
#include "log.h"
#include "mem.h"
#include "node.h"
#include "notify.h"
#include "office.h"
#include "proto.h"
#include "relay.h"
#include "rotation.h"
#include "server.h"
#include "sign.h"
#include "silence.h"
#include "skew.h"
#include "spool.h"
#include "store.h"
#include "telemetry.h"
#include "ticker.h"
#include "transport.h"
#include "timestamp.h"
#include "warehouse.h"
#include "zap.h"

#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct conf_key config_table[] = {
    {"aggregator/node", CONF_STR, NULL, 0, 0, "this node's six-digit division code"},
    {"aggregator/data", CONF_STR, NULL, 0, 0, "data directory (LMDB environment)"},
    {"aggregator/keys", CONF_STR, NULL, 0, 0,
     "the trust directory (root.1.jc, issuer, node certificates, crl.jc: docs/trust.md), or for "
     "development the children's public keys, one NODE.pub each"},
    {"listen/endpoint", CONF_STR, "tcp://127.0.0.1:7100", 0, 0, "where children connect"},
    {"listen/max_batch_bytes", CONF_INT, "67108864", 1024, 1073741824,
     "largest batch payload accepted"},
    {"listen/heartbeat_ms", CONF_INT, "1000", 50, 600000, "ping idle children this often"},
    {"listen/curve_key", CONF_STR, "", 0, 0,
     "this node's transport secret key (NODE.gN.curve-secret): children must connect with "
     "CurveZMQ using the transport key of a valid certificate; empty = plain (development)"},
    {"listen/session_timeout_ms", CONF_INT, "15000", 200, 3600000,
     "forget a session silent this long"},
    {"listen/max_sessions", CONF_INT, "1024", 1, 65536,
     "children in session at once; a HELLO past it is refused (a node holds at most 4: a fifth "
     "connection drops its quietest)"},
    {"aggregator/key", CONF_STR, "", 0, 0,
     "this node's secret signing key (needed when it forwards to a parent)"},
    {"aggregator/next_key", CONF_STR, "", 0, 0,
     "the next key generation's secret key, while rotating: in force once the parent sends the "
     "certificate for it (docs/trust.md)"},
    {"uplink/server_key", CONF_STR, "", 0, 0,
     "the parent's certificate or NAME.curve-pub: speak CurveZMQ to it with the transport key "
     "beside aggregator/key; empty = plain"},
    {"uplink/endpoint", CONF_STR, "", 0, 0,
     "the parent aggregator; empty at the top of the tree (the province)"},
    LINK_CONF_KEYS,
    {"aggregator/children", CONF_STR, "", 0, 0,
     "the children expected to report (node.silent), space-separated codes; empty = every node "
     "in keys whose division code is right below this node's"},
    {"aggregator/rollup_only", CONF_STR, "", 0, 0,
     "children whose link carries alerts and counters only (alerts-and-counters): the business "
     "events of the tiers below them stay there; the others carry all records"},
    {"bundle/publisher_key", CONF_STR, "", 0, 0,
     "a bare publisher public key (NODE.pub), for development or before certificates: bundles "
     "that carry no certificate are taken when they verify with it (with a trust directory in "
     "aggregator/keys, those that carry one are judged by the trust)"},
    {"silence/after_ms", CONF_INT, "600000", 100, 864000000,
     "node.silent turns yellow when an expected child has sent nothing this long"},
    {"silence/red_after_ms", CONF_INT, "3600000", 100, 864000000, "and red after this long"},
    {"forward/batch_max", CONF_INT, "8", 1, 1024, "children's batches per batch sent up"},
    {"intake/endpoint", CONF_STR, "", 0, 0,
     "where this office's supervisors send supervision actions (jiancha alert, supervise, patrol "
     "…); empty = ipc://DATA/intake.sock"},
    {"intake/max_message_bytes", CONF_INT, "1048576", 1024, 268435456,
     "largest intake message; larger ones are refused with an error"},
    {"desk/calendar", CONF_STR, "", 0, 0,
     "working-day calendar (TSV) for this office's deadlines: answers, supervision cases, "
     "patrols; empty = supervision actions are refused here"},
    {"desk/patrol_from", CONF_STR, "", 0, 0,
     "first day (YYYY-MM-DD) whose patrols this office is judged on; empty = the first day it ran"},
    {"forward/flush_ms", CONF_INT, "20", 1, 600000, "send a partial batch up after this long"},
    {"clock/max_skew_ms", CONF_INT, "300000", 1000, 86400000,
     "how far this node's wall clock may disagree with its parent's before node.clock is raised "
     "and the desk's deadlines are judged by the parent's clock (docs/rules.md)"},
    {"store/map_mb", CONF_INT, "256", 1, 1048576, "initial LMDB map size (it grows by itself)"},
    {"store/budget_mb", CONF_INT, "0", 0, 1048576,
     "the store's disk budget: node.disk turns yellow at 80 % of it (or of what the filesystem "
     "leaves), red at 95 %; nothing is dropped (0 = the filesystem only)"},
    {"store/max_map_mb", CONF_INT, "0", 0, 1048576,
     "the map never grows past this (0 = until the disk is full)"},
    {"metrics/listen", CONF_STR, "", 0, 0,
     "serve Prometheus metrics on HOST:PORT (GET /metrics; port 0 picks one, written to "
     "DATA/metrics.port); empty = off"},
    {"warehouse/conninfo", CONF_STR, "", 0, 0,
     "copy every record into this PostgreSQL warehouse, a libpq connection string (\"host=/run/"
     "postgresql dbname=jiancha\"; docs/warehouse.md): exactly once, falling behind rather than "
     "waiting; empty = off"},
    {"warehouse/schema", CONF_STR, "/usr/share/jiancha/warehouse.sql", 0, 0,
     "the warehouse's schema, run when the database holds none or another version (every "
     "statement in it is idempotent)"},
    {"warehouse/batch_records", CONF_INT, "5000", 1, 1000000,
     "records copied per PostgreSQL transaction"},
    {"warehouse/retry_max_ms", CONF_INT, "10000", 100, 3600000,
     "the longest wait before a PostgreSQL that failed is tried again"},
    {"warehouse/keep_months", CONF_INT, "0", 0, 1200,
     "with a warehouse: business events dated before the local month this many months back are "
     "deleted from the store once PostgreSQL holds them (alerts, counter sheets, supervision "
     "actions and audit entries stay); 0 = keep all"},
    {"log/level", CONF_STR, "info", 0, 0, "error, warn, info or debug"},
    {NULL, 0, NULL, 0, 0, NULL},
};

struct aggregator {
    conf_t *conf;
    metrics_t *metrics; /* Prometheus (telemetry.h), when metrics/listen is set */
    const char *config_path; /* read again on SIGHUP */
    char node_text[7];
    store_t *store;
    ingest_t *ingest;
    server_t *server; /* the children's side of the uplink (server.h) */
    zloop_t *loop;
    ticker_t *ticker; /* on_tick's pace: fast while records wait to be sealed for the parent */
    /* forwarding to a parent (NULL link at the top tier) */
    rotation_t *rot; /* the signing key in force, and its successor while rotating */
    link_t *link;
    uint32_t node;
    uint32_t forward_seal_at;
    int64_t forward_flush_ms;
    bool unsealed;
    int64_t unsealed_since_ms; /* monotonic, as every interval of the loop */
    silence_t *silence;
    int64_t silence_checked_ms;
    office_t *office; /* this node's supervision office: its intake and desk */
    calendar_t *cal;  /* the office's calendar (NULL: no desk) */
    skew_t *skew;     /* this node's clock against its parent's (NULL at the province) */
    int64_t coverage_due_ms; /* when calendar.coverage is judged next (0: at the next tick) */
    int64_t disk_due_ms;     /* monotonic: node.disk judged next (disk.h) */
    int64_t expiry_due_ms;   /* cert.expiring judged next (expiry.h; 0: at the next tick) */
    int64_t contacts_saved_ms;
    sign_curve_t *curve; /* this node's transport key, when children connect with CurveZMQ */
    /* The listener follows the node's key rotation when it serves the transport key beside
     * aggregator/key: the next one once every expected child holds it (transport.h). */
    bool listen_follows;
    uint8_t first_curve_pk[SIGN_CURVE_BYTES];   /* beside aggregator/key, as configured */
    uint8_t serving_curve_pk[SIGN_CURVE_BYTES]; /* the key the listener serves now */
    uint32_t *kids;                             /* the children expected to report */
    size_t n_kids;
    uint32_t switch_waits_for; /* the child the listener's switch waits for (logged once) */
    int64_t switch_checked_ms; /* monotonic: the children's sets read last for it */
    bool have_publisher;
    uint8_t publisher_pk[SIGN_PUBLIC_BYTES];
    struct log_limit bundle_refusals;
    /* the warehouse in PostgreSQL (warehouse.h), when warehouse/conninfo is set */
    warehouse_t *warehouse;
    struct warehouse_stats warehouse_shown; /* as last saved for `status` */
    bool warehouse_unsaved;                  /* its saving failed: again at the next second */
    int64_t warehouse_checked_ms;            /* monotonic */
    int64_t prune_due_ms;                    /* monotonic: retention runs next */
};

/* The province sees which transport key each parent serves (keynote.h, `jiancha keys status`). */
static void
report_transport(struct aggregator *a)
{
    uint32_t gen = a->rot && a->curve ? rotation_curve_gen(a->rot, a->serving_curve_pk) : 0;
    uint64_t sealed;
    if (!gen)
        return;
    if (transport_report(a->store, a->node, gen, a->serving_curve_pk, timestamp_now_ms(),
                         a->forward_seal_at ? a->forward_seal_at : 8, &sealed) != 0)
        log_warn("aggregator: cannot record the transport key it serves; told at the next switch");
    else if (sealed && a->link)
        link_kick(a->link);
}

/* The listener takes the node's next transport key once every expected child holds the
 * certificate set that names it (transport.h). */
static void
follow_rotation(struct aggregator *a)
{
    const sign_curve_t *want = a->listen_follows ? rotation_curve(a->rot) : NULL;
    if (!want || memcmp(sign_curve_public(want), a->serving_curve_pk, SIGN_CURVE_BYTES) == 0)
        return;
    /* while it waits, the children's sets are read once a second, not at every tick */
    int64_t mono = timestamp_mono_ms();
    if (a->switch_checked_ms && mono - a->switch_checked_ms < 1000)
        return;
    a->switch_checked_ms = mono;
    bool ready;
    uint32_t lagging;
    if (transport_children_ready(a->store, a->kids, a->n_kids, &ready, &lagging) != 0) {
        log_warn("aggregator: cannot read the children's certificate sets; the listener keeps "
                 "its transport key");
        return;
    }
    if (!ready) {
        if (lagging != a->switch_waits_for) {
            char code[7];
            node_format(lagging, code);
            log_info("aggregator: the next transport key waits until child %s holds the "
                     "certificate set that names it", code);
            a->switch_waits_for = lagging;
        }
        return;
    }
    char why[ERR_WHY_MAX];
    if (server_set_curve(a->server, want, why) != 0) {
        log_error("aggregator: cannot serve the next transport key: %s", why);
        return;
    }
    memcpy(a->serving_curve_pk, sign_curve_public(want), SIGN_CURVE_BYTES);
    a->switch_waits_for = 0;
    report_transport(a);
    char id[SIGN_KEY_ID_LEN + 1];
    sign_key_id(sign_curve_public(want), id);
    log_info("aggregator: listening with the next transport key %s; children reconnect with it",
             id);
}

/* The office's desk counts working days with the newest calendar: a calendar bundle from the
 * province replaces the configured file, as it does at a collector. */
static void
adopt_calendar(struct aggregator *a, const void *body, size_t len, uint64_t version)
{
    if (!a->cal)
        return;
    char why[ERR_WHY_MAX];
    calendar_t *cal = NULL;
    if (calendar_parse(body, len, "bundle", &cal, why, sizeof why) != 0) {
        log_error("aggregator: calendar version %llu does not parse (%s); the desk keeps its own",
                  (unsigned long long)version, why);
        return;
    }
    calendar_set_version(cal, version);
    office_set_calendar(a->office, cal);
    calendar_destroy(&a->cal);
    a->cal = cal;
    a->coverage_due_ms = 0;
    log_info("aggregator: desk counts with calendar version %llu", (unsigned long long)version);
}

/* Records wait to be sealed for the parent: at a busy tick, forward/flush_ms after the first. */
static void
to_seal(struct aggregator *a)
{
    if (!a->unsealed) {
        a->unsealed = true;
        a->unsealed_since_ms = timestamp_mono_ms();
    }
    ticker_pace(a->ticker, a->link != NULL);
}

/* A bundle from the publisher or from the parent: taken (relay.h), then passed down to every
 * child in session. Returns 0 with *version the version now held, or an error with why. */
static int
take_bundle(struct aggregator *a, const void *doc, size_t len, const void *sig, size_t sig_len,
            int64_t now, uint64_t *version, char why[ERR_WHY_MAX])
{
    struct relay r = {a->ingest, a->store, a->node, a->link != NULL,
                      a->have_publisher ? a->publisher_pk : NULL};
    struct relay_result res;
    int rc = relay_take(&r, doc, len, sig, sig_len, now, &res, why);
    *version = res.bundle.version;
    if (res.revoked)
        server_cut_off_revoked(a->server, now);
    if (rc != 0)
        return rc;
    const struct bundle *b = &res.bundle;
    struct server_stats st;
    server_stats(a->server, &st);
    log_info("aggregator: bundle kind=%s version=%llu publisher=%s certificate=%llu passed to "
             "children=%zu",
             b->kind, (unsigned long long)b->version, b->publisher,
             (unsigned long long)b->publisher_serial, st.sessions);
    if (a->rot && strcmp(b->kind, "certs") == 0 &&
        rotation_consider(a->rot, b->body, b->body_len) && a->link)
        link_set_key(a->link, rotation_key(a->rot), rotation_curve(a->rot));
    if (a->link && strcmp(b->kind, "certs") == 0 &&
        rotation_server_keys(a->rot, a->link, a->store, node_parent(a->node), now) != 0)
        log_warn("aggregator: cannot read the parent's transport keys from the set; the ones "
                 "known stay");
    a->expiry_due_ms = 0; /* a renewal (a set, or a publisher's certificate) clears at once */
    if (strcmp(b->kind, "calendar") == 0)
        adopt_calendar(a, b->body, b->body_len, b->version);
    server_send_bundle(a->server, doc, len, sig, sig_len);
    if (a->link)
        to_seal(a); /* the bundle.applied record goes up */
    return 0;
}

static void
on_parent_bundle(void *arg, const void *doc, size_t len, const void *sig, size_t sig_len)
{
    struct aggregator *a = arg;
    uint64_t version;
    char why[ERR_WHY_MAX];
    int rc = take_bundle(a, doc, len, sig, sig_len, timestamp_now_ms(), &version, why);
    uint64_t suppressed;
    if (rc != 0 && rc != ERR_EXISTS && log_allow(&a->bundle_refusals, 10, &suppressed))
        log_warn("aggregator: bundle from the parent refused: %s", why);
}

/* The closings decided here or above that are still open below a child (desk.h). */
static int
decisions_for(void *arg, uint32_t node, void (*send)(void *, const void *, size_t), void *send_arg)
{
    struct aggregator *a = arg;
    return office_each_decision(a->office, node, send, send_arg);
}

static void
on_parent_decision(void *arg, const void *record, size_t len)
{
    struct aggregator *a = arg;
    bool pass_on;
    struct desk_result dr;
    int rc = office_take_decision(a->office, timestamp_now_ms(), record, len, &pass_on, &dr);
    if (rc == 0 && dr.sealed && a->link)
        link_kick(a->link);
    if (pass_on)
        server_send_decisions(a->server);
}

static void
on_parent_session(void *arg, const struct proto_welcome *w)
{
    struct aggregator *a = arg;
    if (ingest_set_rollup(a->ingest, strcmp(w->mode, PROTO_MODE_ROLLUP) == 0) != 0)
        log_warn("aggregator: cannot record the parent's mode %s; kept the previous one",
                 w->mode);
}

/* A publisher's BUNDLE on the listening socket (server.h). */
static int
on_publish(void *arg, const void *doc, size_t len, const void *sig, size_t sig_len, int64_t now,
           uint64_t *version, char why[ERR_WHY_MAX])
{
    return take_bundle(arg, doc, len, sig, sig_len, now, version, why);
}

/* Children's batches were committed: what is new goes up to the parent. */
static void
on_stored(void *arg, int rc)
{
    struct aggregator *a = arg;
    if (!a->link || rc != 0)
        return;
    to_seal(a); /* a partial batch for the parent may be waiting */
    if (ingest_take_sealed(a->ingest))
        link_kick(a->link);
}

/* The supervision desk: actions entered here, and the deadlines of this office's alerts,
 * supervision cases and patrols. */
/* The instant the desk judges at: the wall clock, unless it runs ahead of the parent's (skew.h). */
static int64_t
judging_now(struct aggregator *a)
{
    int64_t now = timestamp_now_ms(), mono = timestamp_mono_ms();
    if (!a->skew)
        return now;
    int64_t wall, own, at;
    if (link_parent_clock(a->link, &wall, &own, &at))
        skew_note_parent(a->skew, wall, own, at);
    return skew_judging_ms(a->skew, now, mono);
}

static void
run_desk(struct aggregator *a, int64_t now)
{
    struct desk_result dr;
    int rc = office_judge(a->office, now, &dr);
    if (rc != 0)
        log_warn("aggregator: supervision desk pass failed, will retry: %s", err_str(rc));
    else if (dr.sealed && a->link)
        link_kick(a->link);
}

static int
on_intake(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    (void)sock;
    struct aggregator *a = arg;
    struct office_intake in;
    office_take(a->office, 64, timestamp_now_ms(), &in);
    if (in.accepted)
        to_seal(a);
    /* a closing entered here for an alert below goes down at once */
    if (in.accepted)
        server_send_decisions(a->server);
    run_desk(a, judging_now(a));
    return 0;
}

/* What SIGHUP reloads (docs/operations.md): the log level and the desk's calendar file (unless a
 * calendar bundle from the province is in force over it). Every other key that changed is named
 * as needing a restart; the running configuration stays as it was. */
static const char *const reloadable[] = {"log/level", "desk/calendar", NULL};

static void
reload(struct aggregator *a)
{
    char err[512];
    conf_t *next = NULL;
    struct conf_changes ch;
    if (conf_reload(a->conf, a->config_path, reloadable, &next, &ch, err, sizeof err) != 0) {
        log_error("aggregator: reload refused, the running configuration stays: %s", err);
        return;
    }
    const char *cal_path = conf_str(next, "desk/calendar");
    store_txn_t *t = NULL;
    uint64_t held = 0;
    if (store_read(a->store, &t) == 0 && bundle_held(t, "calendar", &held, NULL, NULL) != 0)
        held = 0;
    store_abort(&t);
    if (!a->cal && *cal_path) {
        log_warn("aggregator: reload: key \"desk/calendar\": a desk is opened at start; restart "
                 "to open one");
    } else if (a->cal && *cal_path && !held) {
        calendar_t *cal = NULL;
        char why[ERR_WHY_MAX];
        if (calendar_load(cal_path, &cal, why, sizeof why) != 0) {
            log_error("aggregator: reload: key \"desk/calendar\": %s; the calendar in force "
                      "stays", why);
        } else if (calendar_digest(cal) != calendar_digest(a->cal)) {
            office_set_calendar(a->office, cal);
            calendar_destroy(&a->cal);
            a->cal = cal;
            a->coverage_due_ms = 0;
        } else {
            calendar_destroy(&cal);
        }
    }
    char label[CALENDAR_LABEL_MAX] = "none";
    if (a->cal)
        calendar_label(a->cal, label);
    log_info("aggregator: reloaded config=%s log_level=%s desk_calendar=\"%s\"%s%s",
             a->config_path, conf_str(next, "log/level"), label,
             ch.restart[0] ? "; needs a restart to change: " : "", ch.restart);
    /* written only when the new level lets it through: the level is in force at once */
    log_debug("aggregator: keys reloaded: %s", ch.reloaded[0] ? ch.reloaded : "none");
    conf_destroy(&next);
}

static int
on_hangup(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    if (hangup_take(item->fd))
        reload(arg);
    return 0;
}

static int
save_warehouse(store_txn_t *t, void *arg)
{
    struct aggregator *a = arg;
    return warehouse_save_status(t, &a->warehouse_shown, timestamp_now_ms());
}

/* The warehouse's figures kept for `status` when they change (a commit a second at most), and
 * the retention: old business events the warehouse holds leave the store, a bounded slice at a
 * time (the sink itself runs in its own thread, warehouse.h). */
static void
watch_warehouse(struct aggregator *a, int64_t now, int64_t mono)
{
    struct warehouse_stats st;
    warehouse_stats(a->warehouse, &st);
    const struct warehouse_stats *was = &a->warehouse_shown;
    if (a->warehouse_unsaved || st.connected != was->connected || st.behind != was->behind ||
        st.copied != was->copied || st.error_ms != was->error_ms) {
        a->warehouse_shown = st;
        a->warehouse_unsaved = store_write(a->store, save_warehouse, a) != 0;
    }
    int keep = (int)conf_int(a->conf, "warehouse/keep_months");
    if (!keep || mono < a->prune_due_ms)
        return;
    uint64_t deleted;
    int rc = warehouse_prune(a->warehouse, a->store, warehouse_keep_from_ms(now, keep), 20000,
                             &deleted);
    if (rc < 0)
        log_warn("aggregator: retention failed, will retry: %s", err_str(rc));
    else if (deleted)
        log_info("aggregator: retention deleted=%llu business events the warehouse holds",
                 (unsigned long long)deleted);
    /* each second (a pass with nothing newly confirmed costs no transaction); after a failure,
     * in ten */
    a->prune_due_ms = mono + (rc < 0 ? 10000 : 0);
}

static int
on_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    struct aggregator *a = arg;
    int64_t now = timestamp_now_ms(), mono = timestamp_mono_ms();
    server_tick(a->server, now, mono);
    if (mono - a->contacts_saved_ms >= 5000) {
        a->contacts_saved_ms = mono;
        if (ingest_save_contacts(a->ingest) != 0)
            log_warn("aggregator: cannot record children's contact, will retry");
    }
    int64_t judging = judging_now(a);
    uint64_t clock_sealed;
    if (a->skew && skew_check(a->skew, now, a->forward_seal_at, &clock_sealed) != 0)
        log_warn("aggregator: recording node.clock failed, will retry");
    else if (a->skew && clock_sealed)
        link_kick(a->link);
    run_desk(a, judging);
    if (a->cal && judging >= a->coverage_due_ms) {
        struct coverage_result cr;
        uint64_t sealed;
        if (coverage_check(a->store, a->node, a->cal, judging, a->forward_seal_at, &cr,
                           &sealed) != 0)
            log_warn("aggregator: calendar.coverage check failed, will retry");
        else
            a->coverage_due_ms = cr.next_ms;
        if (sealed && a->link)
            link_kick(a->link);
    }
    follow_rotation(a);
    if (a->rot && judging >= a->expiry_due_ms) {
        uint64_t sealed, asked;
        char keys_dir[4096];
        snprintf(keys_dir, sizeof keys_dir, "%s/keys", conf_str(a->conf, "aggregator/data"));
        if (rotation_renew(a->rot, a->store, keys_dir, judging, a->forward_seal_at, &asked) != 0)
            log_warn("aggregator: the unattended renewal failed, will retry");
        else if (asked && a->link)
            link_kick(a->link);
        if (rotation_check_expiry(a->rot, a->store, a->node,
                                  ingest_bundle_trust(a->ingest, NULL).trust != NULL, judging,
                                  a->forward_seal_at,
                                  &a->expiry_due_ms, &sealed) != 0) {
            log_warn("aggregator: judging cert.expiring failed, will retry");
            a->expiry_due_ms = judging + 60000;
        } else if (sealed && a->link) {
            link_kick(a->link);
        }
    }
    uint64_t disk_sealed;
    if (disk_poll(a->store, a->node, conf_str(a->conf, "aggregator/data"),
                  disk_budget_bytes(conf_int(a->conf, "store/budget_mb"),
                                    conf_int(a->conf, "store/max_map_mb")),
                  now, mono, &a->disk_due_ms, a->forward_seal_at, &disk_sealed) != 0)
        log_warn("aggregator: judging node.disk failed, will retry");
    else if (disk_sealed && a->link)
        link_kick(a->link);
    if (a->warehouse && mono - a->warehouse_checked_ms >= 1000) {
        a->warehouse_checked_ms = mono;
        watch_warehouse(a, now, mono);
    }
    if (mono - a->silence_checked_ms >= 1000) {
        uint64_t changes;
        a->silence_checked_ms = mono;
        if (silence_check(a->silence, a->ingest, now, mono, a->forward_seal_at, &changes) != 0)
            log_warn("aggregator: node.silent check failed, will retry");
        else if (changes && a->link)
            link_kick(a->link);
    }
    if (a->link) {
        if (a->unsealed && mono - a->unsealed_since_ms >= a->forward_flush_ms) {
            uint64_t sealed;
            int rc = spool_seal_pending(a->store, a->node, a->forward_seal_at, now, &sealed);
            if (rc == 0) {
                a->unsealed = false;
                if (sealed)
                    link_kick(a->link);
            } else {
                log_warn("aggregator: sealing for the parent failed, will retry: %s",
                         err_str(rc));
            }
        }
        link_tick(a->link, mono);
    }
    /* The other clocks count in seconds: an idle node ticks slowly. */
    ticker_pace(a->ticker, a->link && a->unsealed);
    return 0;
}

static int
on_metrics(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    struct aggregator *a = arg;
    struct door_stats ds;
    office_stats(a->office, &ds);
    struct warehouse_stats ws;
    if (a->warehouse)
        warehouse_stats(a->warehouse, &ws);
    struct telemetry_sources s = {"aggregator", a->node, a->store, &ds,    a->link,
                                  a->server,    a->ingest, a->cal,  a->rot, timestamp_now_ms(),
                                  a->warehouse ? &ws : NULL};
    telemetry_publish(a->metrics, &s);
    return 0;
}

static int
on_stats(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    struct aggregator *a = arg;
    struct server_stats st;
    server_stats(a->server, &st);
    log_info("aggregator: stats node=%s sessions=%zu batches=%llu acks=%llu nacks=%llu",
             a->node_text, st.sessions, (unsigned long long)st.batches,
             (unsigned long long)st.acks, (unsigned long long)st.nacks);
    return 0;
}

/* A key holding division codes separated by spaces or commas. */
static int
parse_codes(struct aggregator *a, const char *config_path, const char *key, uint32_t *out,
            size_t max, size_t *n)
{
    *n = 0;
    for (const char *p = conf_str(a->conf, key); *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, " ,");
        if (len == 0)
            break;
        if (node_valid(p, len) != 0 || *n == max) {
            fprintf(stderr, "jiancha-aggregator: %s: key \"%s\": \"%.*s\" is %s\n", config_path,
                    key, (int)len, p, *n == max ? "one code too many" : "not a division code");
            return ERR_CONFIG;
        }
        char code[7];
        memcpy(code, p, 6);
        code[6] = '\0';
        out[(*n)++] = node_number(code);
        p += len;
    }
    return 0;
}

/* The publisher's key (bundle/publisher_key), and its transport key beside it (NAME.curve-pub),
 * if any: the publisher may connect to hand bundles over CurveZMQ. */
static int
load_publisher(struct aggregator *a, const char *config_path, uint8_t curve[SIGN_CURVE_BYTES],
               bool *have_curve)
{
    const char *pub = conf_str(a->conf, "bundle/publisher_key");
    *have_curve = false;
    if (!*pub)
        return 0;
    char pub_node[7];
    int rc = sign_public_load(pub, a->publisher_pk, pub_node);
    if (rc != 0) {
        fprintf(stderr, "jiancha-aggregator: %s: key \"bundle/publisher_key\": %s: %s\n",
                config_path, pub, err_str(rc));
        return rc;
    }
    a->have_publisher = true;
    size_t pl = strlen(pub);
    if (pl > 4 && strcmp(pub + pl - 4, ".pub") == 0) {
        char path[4096];
        snprintf(path, sizeof path, "%.*s.curve-pub", (int)(pl - 4), pub);
        *have_curve = access(path, F_OK) == 0 && sign_curve_public_load(path, curve, NULL) == 0;
    }
    return 0;
}

/* The children's side: the server bound where they connect (listen/...), and the bound endpoint
 * written to DATA/listen.endpoint (with a port of * the system picks one; scripts and operators
 * read it there). */
static int
listen_children(struct aggregator *a, const char *config_path, uint64_t max_batch_bytes)
{
    uint8_t publisher_curve[SIGN_CURVE_BYTES];
    bool have_publisher_curve;
    int rc = load_publisher(a, config_path, publisher_curve, &have_publisher_curve);
    if (rc != 0)
        return rc;
    uint32_t rollup_only[SERVER_ROLLUP_MAX];
    struct server_options so = {
        .endpoint = conf_str(a->conf, "listen/endpoint"),
        .node = a->node,
        .heartbeat_ms = conf_int(a->conf, "listen/heartbeat_ms"),
        .session_timeout_ms = conf_int(a->conf, "listen/session_timeout_ms"),
        .max_sessions = (size_t)conf_int(a->conf, "listen/max_sessions"),
        .max_batch_bytes = max_batch_bytes,
        .rollup_only = rollup_only,
        .publisher_curve = have_publisher_curve ? publisher_curve : NULL,
    };
    if (parse_codes(a, config_path, "aggregator/rollup_only", rollup_only, SERVER_ROLLUP_MAX,
                    &so.n_rollup_only) != 0)
        return ERR_CONFIG;
    const char *curve_path = conf_str(a->conf, "listen/curve_key");
    if (*curve_path) {
        char curve_node[7] = "";
        rc = sign_curve_load(curve_path, &a->curve, curve_node);
        if (rc != 0 || strcmp(curve_node, a->node_text) != 0) {
            fprintf(stderr, "jiancha-aggregator: %s: key \"listen/curve_key\": %s: %s\n",
                    config_path, curve_path, rc ? err_str(rc) : "belongs to another node");
            return rc ? rc : ERR_CONFIG;
        }
        so.curve = a->curve;
        memcpy(a->serving_curve_pk, sign_curve_public(a->curve), SIGN_CURVE_BYTES);
        a->listen_follows = a->rot && rotation_curve(a->rot) &&
                            memcmp(sign_curve_public(a->curve), a->first_curve_pk,
                                   SIGN_CURVE_BYTES) == 0;
    }
    struct server_hooks hooks = {on_publish, decisions_for, on_stored, a};
    char why[ERR_WHY_MAX];
    if ((rc = server_open(&so, &hooks, a->ingest, a->store, a->loop, &a->server, why)) != 0) {
        fprintf(stderr, "jiancha-aggregator: %s\n", why);
        return rc;
    }
    const char *data = conf_str(a->conf, "aggregator/data");
    char *path = xasprintf("%s/listen.endpoint", data), *tmp = xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%s\n", server_endpoint(a->server)) < 0 || fclose(f) != 0 ||
        rename(tmp, path) != 0)
        log_warn("aggregator: cannot record the bound endpoint path=%s", path);
    free(path);
    free(tmp);
    return 0;
}

/* The warehouse's keys: the connection string parses, the schema can be read, and retention only
 * with a warehouse to hold what it deletes. Each problem named (conf_complain). */
static int
check_warehouse(const conf_t *conf, const char *prog)
{
    const char *conninfo = conf_str(conf, "warehouse/conninfo");
    char why[ERR_WHY_MAX];
    if (!*conninfo) {
        if (conf_int(conf, "warehouse/keep_months") == 0)
            return 0;
        conf_complain(conf, prog, "warehouse/keep_months",
                      "needs warehouse/conninfo: only what the warehouse holds leaves the store");
        return ERR_CONFIG;
    }
    if (warehouse_check(conninfo, conf_str(conf, "warehouse/schema"), why) != 0) {
        conf_complain(conf, prog,
                      strstr(why, "connection string") ? "warehouse/conninfo" : "warehouse/schema",
                      why);
        return ERR_CONFIG;
    }
    return 0;
}

/* --check-config beyond the syntax: the files and directories the configuration names exist and
 * are usable, each problem named with its file, line and key. */
static int
check_named(const conf_t *conf, const char *node)
{
    char why[ERR_WHY_MAX];
    int bad = 0;
    if (conf_check_dir(conf, "aggregator/data", why, sizeof why) != 0) {
        fprintf(stderr, "jiancha-aggregator: %s\n", why);
        bad = ERR_CONFIG;
    }
    static const char *const endpoints[] = {"listen/endpoint", "uplink/endpoint",
                                            "intake/endpoint"};
    for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++)
        if (conf_check_endpoint(conf, endpoints[i], why, sizeof why) != 0) {
            fprintf(stderr, "jiancha-aggregator: %s\n", why);
            bad = ERR_CONFIG;
        }
    const char *keys = conf_str(conf, "aggregator/keys");
    if (access(keys, R_OK | X_OK) != 0) {
        snprintf(why, sizeof why, "%s: cannot read the directory: %s", keys, strerror(errno));
        conf_complain(conf, "jiancha-aggregator", "aggregator/keys", why);
        bad = ERR_CONFIG;
    }
    if (*conf_str(conf, "uplink/endpoint")) {
        rotation_t *rot = NULL;
        if (!*conf_str(conf, "aggregator/key")) {
            conf_complain(conf, "jiancha-aggregator", "aggregator/key", "needed with an uplink");
            bad = ERR_CONFIG;
        } else if (rotation_open(node, conf_str(conf, "aggregator/key"),
                                 conf_str(conf, "aggregator/next_key"), &rot, why,
                                 sizeof why) != 0) {
            conf_complain(conf, "jiancha-aggregator", "aggregator/key", why);
            bad = ERR_CONFIG;
        }
        rotation_destroy(&rot);
        const char *server_key = conf_str(conf, "uplink/server_key");
        uint8_t key[ZAP_KEY_BYTES];
        if (*server_key && zap_server_key_load(server_key, key, why) != 0) {
            conf_complain(conf, "jiancha-aggregator", "uplink/server_key", why);
            bad = ERR_CONFIG;
        }
    }
    const char *cal_path = conf_str(conf, "desk/calendar");
    calendar_t *cal = NULL;
    if (*cal_path && calendar_load(cal_path, &cal, why, sizeof why) != 0) {
        conf_complain(conf, "jiancha-aggregator", "desk/calendar", why);
        bad = ERR_CONFIG;
    }
    calendar_destroy(&cal);
    const char *curve_path = conf_str(conf, "listen/curve_key");
    sign_curve_t *curve = NULL;
    char curve_node[7] = "";
    int rc;
    if (*curve_path && (rc = sign_curve_load(curve_path, &curve, curve_node)) != 0) {
        snprintf(why, sizeof why, "%s: %s", curve_path, err_str(rc));
        conf_complain(conf, "jiancha-aggregator", "listen/curve_key", why);
        bad = ERR_CONFIG;
    } else if (*curve_path && strcmp(curve_node, node) != 0) {
        snprintf(why, sizeof why, "%s belongs to node %s", curve_path, curve_node);
        conf_complain(conf, "jiancha-aggregator", "listen/curve_key", why);
        bad = ERR_CONFIG;
    }
    sign_curve_destroy(&curve);
    const char *pub = conf_str(conf, "bundle/publisher_key");
    uint8_t pk[SIGN_PUBLIC_BYTES];
    char pub_node[7];
    if (*pub && (rc = sign_public_load(pub, pk, pub_node)) != 0) {
        snprintf(why, sizeof why, "%s: %s", pub, err_str(rc));
        conf_complain(conf, "jiancha-aggregator", "bundle/publisher_key", why);
        bad = ERR_CONFIG;
    }
    if ((rc = check_warehouse(conf, "jiancha-aggregator")) != 0)
        bad = rc;
    return bad;
}

static int
setup(struct aggregator *a, const char *config_path, bool check_only)
{
    char err[512];
    a->config_path = config_path;
    if (conf_load(config_path, config_table, &a->conf, err, sizeof err) != 0) {
        fprintf(stderr, "jiancha-aggregator: %s\n", err);
        return ERR_CONFIG;
    }
    const char *node = conf_str(a->conf, "aggregator/node");
    if (node_valid(node, strlen(node)) != 0) {
        char why_node[ERR_WHY_MAX];
        snprintf(why_node, sizeof why_node, "\"%s\" is not a six-digit division code", node);
        conf_complain(a->conf, "jiancha-aggregator", "aggregator/node", why_node);
        return ERR_CONFIG;
    }
    if (log_set_level(conf_str(a->conf, "log/level")) != 0) {
        fprintf(stderr, "jiancha-aggregator: %s: key \"log/level\": must be error, warn, info or "
                        "debug\n", config_path);
        return ERR_CONFIG;
    }
    if (check_only) {
        if (sign_init() != 0)
            return ERR_STATE;
        int rc = check_named(a->conf, node);
        if (rc == 0)
            printf("%s%s: configuration is valid\n",
                   log_journal_prefix(STDOUT_FILENO, LOG_LEVEL_INFO), config_path);
        return rc;
    }
    snprintf(a->node_text, sizeof a->node_text, "%s", node);
    if (sign_init() != 0)
        return ERR_STATE;
    const char *data = conf_str(a->conf, "aggregator/data");
    struct store_options so = {
        .map_bytes = (uint64_t)conf_int(a->conf, "store/map_mb") << 20,
        .max_map_bytes = (uint64_t)conf_int(a->conf, "store/max_map_mb") << 20,
    };
    int rc = store_open(data, &so, &a->store);
    if (rc != 0) {
        fprintf(stderr, "jiancha-aggregator: cannot open store %s: %s\n", data, err_str(rc));
        return rc;
    }
    /* a store from before the index of non-business records gets it once (kept.h) */
    if ((rc = kept_build(a->store)) != 0) {
        fprintf(stderr, "jiancha-aggregator: cannot index store %s: %s\n", data, err_str(rc));
        return rc;
    }
    a->node = node_number(node);
    const char *up = conf_str(a->conf, "uplink/endpoint");
    if ((rc = spool_set_top(a->store, !*up)) != 0) {
        fprintf(stderr, "jiancha-aggregator: %s: cannot write its store: %s\n", data,
                err_str(rc));
        return rc;
    }
    if ((rc = check_warehouse(a->conf, "jiancha-aggregator")) != 0)
        return rc;
    if (*conf_str(a->conf, "warehouse/conninfo")) {
        struct warehouse_options wo = {
            .conninfo = conf_str(a->conf, "warehouse/conninfo"),
            .schema_path = conf_str(a->conf, "warehouse/schema"),
            .node = a->node,
            .batch_records = (uint32_t)conf_int(a->conf, "warehouse/batch_records"),
            .backoff_max_ms = conf_int(a->conf, "warehouse/retry_max_ms"),
        };
        a->warehouse = warehouse_new(a->store, &wo);
        log_info("aggregator: copying into the warehouse keep_months=%lld",
                 (long long)conf_int(a->conf, "warehouse/keep_months"));
    }
    const char *keyfile = conf_str(a->conf, "aggregator/key");
    if (*up && !*keyfile) {
        fprintf(stderr, "jiancha-aggregator: %s: key \"aggregator/key\" is needed with an "
                        "uplink\n", config_path);
        return ERR_CONFIG;
    }
    if (*keyfile) {
        /* the province too: its keys rotate, and its listener with them */
        char why_key[512];
        char keys_dir[4096];
        snprintf(keys_dir, sizeof keys_dir, "%s/keys", data);
        rc = rotation_open(a->node_text, keyfile, conf_str(a->conf, "aggregator/next_key"),
                           &a->rot, why_key, sizeof why_key);
        if (rc == 0) /* keys the node made itself for a renewal (rotation.h) */
            rc = rotation_adopt(a->rot, keys_dir, why_key, sizeof why_key);
        if (rc == 0 && rotation_curve(a->rot))
            memcpy(a->first_curve_pk, sign_curve_public(rotation_curve(a->rot)),
                   SIGN_CURVE_BYTES);
        if (rc == 0)
            rc = rotation_resume(a->rot, a->store);
        if (rc != 0) {
            fprintf(stderr, "jiancha-aggregator: %s\n", why_key);
            return rc;
        }
    }
    if (*up) {
        a->forward_seal_at = (uint32_t)conf_int(a->conf, "forward/batch_max");
        a->forward_flush_ms = conf_int(a->conf, "forward/flush_ms");
    }
    struct ingest_options io = {
        .keys_dir = conf_str(a->conf, "aggregator/keys"),
        .self_node = a->node,
        .max_batch_bytes = (uint64_t)conf_int(a->conf, "listen/max_batch_bytes"),
        .forward_node = *up ? a->node : 0,
        .forward_seal_at = a->forward_seal_at,
    };
    rc = ingest_new(&io, a->store, &a->ingest);
    if (rc != 0) {
        fprintf(stderr, "jiancha-aggregator: cannot load child keys from %s: %s\n", io.keys_dir,
                err_str(rc));
        return rc;
    }
    /* The children expected to report: configured, or every node whose key is here. */
    {
        uint32_t kids[4096];
        size_t nk = 0;
        if (parse_codes(a, config_path, "aggregator/children", kids, 4096, &nk) != 0)
            return ERR_CONFIG;
        if (!*conf_str(a->conf, "aggregator/children")) {
            size_t n_nodes;
            const struct ingest_node *nodes = ingest_nodes(a->ingest, &n_nodes);
            /* by default the nodes held whose division code sits right below this one: a
             * province holding every county's certificate expects only its cities */
            for (size_t i = 0; i < n_nodes && nk < 4096; i++)
                if (nodes[i].node != a->node && node_parent(nodes[i].node) == a->node)
                    kids[nk++] = nodes[i].node;
        }
        a->kids = xcalloc(nk ? nk : 1, sizeof *a->kids);
        memcpy(a->kids, kids, nk * sizeof *kids);
        a->n_kids = nk;
        a->silence = silence_new(a->store, a->node, kids, nk,
                                 conf_int(a->conf, "silence/after_ms"),
                                 conf_int(a->conf, "silence/red_after_ms"), timestamp_mono_ms());
        if (!a->forward_seal_at)
            a->forward_seal_at = 8;
    }
    const char *cal_path = conf_str(a->conf, "desk/calendar");
    if (*cal_path) {
        char why_cal[512];
        if (calendar_load(cal_path, &a->cal, why_cal, sizeof why_cal) != 0) {
            fprintf(stderr, "jiancha-aggregator: %s: key \"desk/calendar\": %s\n", config_path,
                    why_cal);
            return ERR_CONFIG;
        }
    }
    {
        struct office_options oo = {
            .max_message_bytes = conf_int(a->conf, "intake/max_message_bytes"),
            .seal_at = a->forward_seal_at,
            .actions_only = true,
            .patrol_from_day = INT64_MIN,
        };
        const char *from_text = conf_str(a->conf, "desk/patrol_from");
        if (*from_text &&
            calendar_parse_date(from_text, strlen(from_text), &oo.patrol_from_day) != 0) {
            fprintf(stderr, "jiancha-aggregator: %s: key \"desk/patrol_from\": \"%s\" is not a "
                            "date (YYYY-MM-DD)\n", config_path, from_text);
            return ERR_CONFIG;
        }
        uint32_t kids[4096];
        if (parse_codes(a, config_path, "aggregator/children", kids, 4096, &oo.n_tree) != 0)
            return ERR_CONFIG;
        oo.tree = kids;
        const char *iep = conf_str(a->conf, "intake/endpoint");
        char *iep_default = *iep ? NULL : xasprintf("ipc://%s/intake.sock", data);
        oo.endpoint = iep_default ? iep_default : iep;
        oo.data_dir = data;
        char why_door[512];
        a->office = office_new(a->store, a->node, &oo, a->cal, why_door, sizeof why_door);
        free(iep_default);
        if (!a->office) {
            fprintf(stderr, "jiancha-aggregator: %s\n", why_door);
            return ERR_NET;
        }
    }
    if (a->cal) {
        /* a calendar the province sent before this start is in force over the file */
        store_txn_t *t = NULL;
        struct wire_buf doc;
        wire_buf_init(&doc);
        uint64_t held = 0;
        struct bundle b;
        if (store_read(a->store, &t) == 0 && bundle_held(t, "calendar", &held, &doc, NULL) == 0 &&
            held && bundle_peek(doc.data, doc.len, &b) == 0)
            adopt_calendar(a, b.body, b.body_len, held);
        store_abort(&t);
        wire_buf_fini(&doc);
    }
    a->loop = zloop_new();
    if ((rc = listen_children(a, config_path, io.max_batch_bytes)) != 0)
        return rc;
    report_transport(a); /* its link, if any, sends it when it starts */
    zloop_reader(a->loop, office_socket(a->office), on_intake, a);
    a->ticker = ticker_new(a->loop, on_tick, a);
    if (!a->ticker) {
        fprintf(stderr, "jiancha-aggregator: cannot set the loop's timer\n");
        return ERR_STATE;
    }
    if (*up) {
        struct link_options lo;
        link_options_read(a->conf, &lo);
        lo.drop_carried = true;
        a->link = link_new(&lo, a->store, a->node, rotation_key(a->rot));
        a->skew = skew_new(a->store, a->node, conf_int(a->conf, "clock/max_skew_ms"));
        char why_curve[512];
        rc = rotation_attach(a->rot, a->link, conf_str(a->conf, "uplink/server_key"), why_curve,
                             sizeof why_curve);
        if (rc != 0) {
            fprintf(stderr, "jiancha-aggregator: %s: key \"uplink/server_key\": %s\n",
                    config_path, why_curve);
            return rc;
        }
        if ((rc = rotation_server_keys(a->rot, a->link, a->store, node_parent(a->node),
                                       timestamp_now_ms())) != 0) {
            fprintf(stderr, "jiancha-aggregator: cannot read the certificates held: %s\n",
                    err_str(rc));
            return rc;
        }
        /* a restored aggregator takes its own records back as they are (collector.c derives) */
        struct link_hooks hooks = {on_parent_session, on_parent_bundle, on_parent_decision, a,
                                   NULL};
        link_set_hooks(a->link, &hooks);
        /* Batches accepted by a previous run but not yet sealed for the parent. */
        to_seal(a);
        rc = link_attach(a->link, a->loop);
        if (rc != 0) {
            fprintf(stderr, "jiancha-aggregator: cannot start uplink: %s\n", err_str(rc));
            return rc;
        }
        log_info("aggregator: forwarding node=%s parent=%s", a->node_text, up);
    }
    zloop_timer(a->loop, 10000, 0, on_stats, a);
    char why_metrics[ERR_WHY_MAX];
    if ((rc = telemetry_start(a->loop, conf_str(a->conf, "metrics/listen"), data, on_metrics,
                              a, &a->metrics, why_metrics)) != 0) {
        fprintf(stderr, "jiancha-aggregator: %s: key \"metrics/listen\": %s\n", config_path,
                why_metrics);
        return rc;
    }
    log_info("aggregator: listening node=%s endpoint=%s", a->node_text,
             server_endpoint(a->server));
    return 0;
}

static void
teardown(struct aggregator *a)
{
    warehouse_destroy(&a->warehouse); /* its thread reads the store: before the store closes */
    metrics_destroy(&a->metrics);
    link_destroy(&a->link);
    silence_destroy(&a->silence);
    skew_destroy(&a->skew);
    office_destroy(&a->office);
    calendar_destroy(&a->cal);
    rotation_destroy(&a->rot);
    free(a->kids);
    server_destroy(&a->server);
    sign_curve_destroy(&a->curve);
    ticker_destroy(&a->ticker);
    zloop_destroy(&a->loop);
    ingest_destroy(&a->ingest);
    store_close(&a->store);
    conf_destroy(&a->conf);
}

int
main(int argc, char **argv)
{
    const char *config;
    bool check;
    int status = conf_parse_args(argc, argv, "jiancha-aggregator", config_table, &config, &check);
    if (status >= 0)
        return status;
    /* before zsys_init starts ZeroMQ's threads: they inherit SIGHUP blocked */
    int hup = -1;
    if (hangup_open(&hup) != 0)
        fprintf(stderr, "jiancha-aggregator: cannot take SIGHUP as a reload request\n");
    zsys_init();
    zsys_set_logstream(NULL);
    struct aggregator a = {0};
    int rc = setup(&a, config, check);
    if (rc == 0 && !check && hup >= 0) {
        zmq_pollitem_t item = {NULL, hup, ZMQ_POLLIN, 0};
        if (zloop_poller(a.loop, &item, on_hangup, &a) != 0)
            log_warn("aggregator: cannot watch for SIGHUP: a reload needs a restart");
    }
    if (rc == 0 && !check) {
        if (notify_watchdog_loop(a.loop) != 0)
            log_warn("aggregator: cannot feed the service manager's watchdog from the loop");
        char line[64];
        snprintf(line, sizeof line, "aggregating for node %s", a.node_text);
        notify_ready(line);
        zloop_start(a.loop);
        notify_stopping();
        log_info("aggregator: stopping node=%s", a.node_text);
        struct server_stats st;
        server_stats(a.server, &st);
        if (st.fatal)
            rc = ERR_IO;
    }
    teardown(&a);
    hangup_close(&hup);
    return rc == 0 ? 0 : 1;
}
