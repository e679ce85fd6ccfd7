/* jiancha-collector: accepts events from local business systems, stores them durably, seals them
 * into signed batches and delivers them to the parent aggregator.
 *
 * One zloop: the intake ROUTER socket, the uplink (link module) and a ticker for sealing and the
 * link's timers, every 10 ms while events wait to be sealed or judged and every 100 ms otherwise
 * (ticker.h). All logic lives in libjiancha (intake, spool, link); this file wires it
 * up and owns the one context struct. A reply goes to a business system only after the commit
 * that stored its events.
 */
#include "bundle.h"
#include "calendar.h"
#include "catalog.h"
#include "cert.h"
#include "conf.h"
#include "counter.h"
#include "disk.h"
#include "err.h"
#include "hangup.h"
#include "intake.h"
#include "kept.h"
#include "link.h"
#include "log.h"
#include "mem.h"
#include "node.h"
#include "notify.h"
#include "office.h"
#include "rotation.h"
#include "rulebook.h"
#include "sign.h"
#include "skew.h"
#include "spool.h"
#include "store.h"
#include "telemetry.h"
#include "ticker.h"
#include "timestamp.h"
#include "watch.h"
#include "zap.h"

#include <czmq.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct conf_key config_table[] = {
    {"collector/node", CONF_STR, NULL, 0, 0, "this node's six-digit division code"},
    {"collector/data", CONF_STR, NULL, 0, 0, "data directory (LMDB environment, intake socket)"},
    {"collector/key", CONF_STR, NULL, 0, 0, "the node's secret signing key file (mode 0600)"},
    {"collector/next_key", CONF_STR, "", 0, 0,
     "the next key generation's secret key, while rotating: in force once the parent sends the "
     "certificate for it (docs/trust.md)"},
    {"intake/endpoint", CONF_STR, "", 0, 0,
     "ZeroMQ endpoint business systems send to; empty = ipc://DATA/intake.sock"},
    {"intake/max_message_bytes", CONF_INT, "4194304", 1024, 268435456,
     "largest intake message; larger ones are refused with an error"},
    {"uplink/endpoint", CONF_STR, NULL, 0, 0, "the parent aggregator, e.g. tcp://10.1.2.3:7100"},
    {"uplink/server_key", CONF_STR, "", 0, 0,
     "the parent's certificate or NAME.curve-pub: speak CurveZMQ to it with the transport key "
     "beside collector/key; empty = plain"},
    LINK_CONF_KEYS,
    {"batch/max_events", CONF_INT, "1000", 1, 100000, "seal a batch at this many events"},
    {"batch/flush_ms", CONF_INT, "50", 1, 600000, "seal a partial batch after this long"},
    {"store/map_mb", CONF_INT, "64", 1, 1048576, "initial LMDB map size (it grows by itself)"},
    {"store/budget_mb", CONF_INT, "0", 0, 1048576,
     "the store's disk budget: node.disk turns yellow at 80 % of it (or of what the filesystem "
     "leaves), red at 95 %; nothing is dropped (0 = the filesystem only)"},
    {"store/max_map_mb", CONF_INT, "0", 0, 1048576,
     "the map never grows past this (0 = until the disk is full)"},
    {"rules/catalog", CONF_STR, "", 0, 0,
     "the province's catalogue (JSON); empty = no rules are evaluated"},
    {"rules/calendar", CONF_STR, "", 0, 0, "the working-day calendar (TSV); needed with a catalogue"},
    {"rules/max_records_per_pass", CONF_INT, "20000", 100, 10000000,
     "records judged per rules pass (a backlog is worked off in several passes)"},
    {"bundle/root", CONF_STR, "", 0, 0,
     "the trust's anchor (root.1.jc, compared by fingerprint when installed): bundles are "
     "applied when the publisher certificate they carry descends from it (docs/trust.md)"},
    {"bundle/publisher_key", CONF_STR, "", 0, 0,
     "a bare publisher public key (NODE.pub), for development or before bundle/root: bundles "
     "that carry no certificate are applied when they verify with it; both empty = refused"},
    {"counters/interval_ms", CONF_INT, "60000", 50, 86400000,
     "count the days that changed into counter sheets this often (they go up for scores)"},
    {"patrol/from", CONF_STR, "", 0, 0,
     "first day (YYYY-MM-DD) whose patrols this office is judged on; empty = the first day it ran"},
    {"clock/max_skew_ms", CONF_INT, "300000", 1000, 86400000,
     "how far this node's wall clock may disagree with its parent's before node.clock is raised "
     "and time rules are judged by the parent's clock (docs/rules.md)"},
    {"metrics/listen", CONF_STR, "", 0, 0,
     "serve Prometheus metrics on HOST:PORT (GET /metrics; port 0 picks one, written to "
     "DATA/metrics.port); empty = off"},
    {"log/level", CONF_STR, "info", 0, 0, "error, warn, info or debug"},
    {NULL, 0, NULL, 0, 0, NULL},
};

struct collector {
    conf_t *conf;
    metrics_t *metrics; /* Prometheus (telemetry.h), when metrics/listen is set */
    char node_text[7];
    uint32_t node;
    store_t *store;
    rotation_t *rot; /* the signing key in force, and its successor while rotating */
    link_t *link;
    office_t *office; /* the intake door and the supervision desk */
    zloop_t *loop;
    ticker_t *ticker; /* on_tick's pace: fast while events wait to be sealed or judged */
    uint32_t seal_at;
    int64_t flush_ms;
    int64_t counters_ms, counted_ms;
    int64_t disk_due_ms; /* monotonic: node.disk judged next (disk.h) */
    int64_t expiry_due_ms; /* cert.expiring judged next (expiry.h; 0: at the next tick) */
    bool restoring;      /* the store is marked restored: the passes wait for its history */
    struct log_limit bundle_refusals;
    rulebook_t *book; /* the catalogue and calendar in force */
    watch_t *watch;       /* NULL when no catalogue is configured */
    skew_t *skew;         /* this node's clock against its parent's */
    int64_t patrol_from_day;
    bool unjudged;        /* records stored since the last rules pass */
    uint64_t alert_changes;
    bool unsealed;             /* events stored but not yet in a batch */
    int64_t unsealed_since_ms; /* when the oldest of them arrived (monotonic, like counted_ms) */
    const char *config_path;   /* read again on SIGHUP */
    uint8_t publisher_pk[SIGN_PUBLIC_BYTES];
    bool has_publisher;
    cert_trust_t *publishers; /* from bundle/root; NULL without */
};

/* The instant time rules are judged at: the wall clock, unless it runs ahead of the parent's
 * (skew.h). */
static int64_t
judging_now(struct collector *c)
{
    int64_t wall, own, mono;
    if (link_parent_clock(c->link, &wall, &own, &mono))
        skew_note_parent(c->skew, wall, own, mono);
    return skew_judging_ms(c->skew, timestamp_now_ms(), timestamp_mono_ms());
}

/* The rules pass: new records, or a clock that came due. */
static void
judge(struct collector *c, int64_t now)
{
    if (c->watch && (c->unjudged || now >= watch_next_due(c->watch))) {
        struct watch_result wr;
        int rc = watch_run(c->watch, now, c->seal_at,
                           (uint64_t)conf_int(c->conf, "rules/max_records_per_pass"), &wr);
        if (rc == 0) {
            c->unjudged = wr.more;
            c->alert_changes += wr.changes;
            if (wr.sealed)
                link_kick(c->link);
            if (wr.changes)
                log_debug("collector: rules pass records=%llu subjects=%llu changes=%llu",
                          (unsigned long long)wr.records, (unsigned long long)wr.subjects,
                          (unsigned long long)wr.changes);
        } else {
            log_warn("collector: rules pass failed, will retry: %s", err_str(rc));
        }
    }
    /* After the rules: answers and deadlines of the supervision desk. */
    struct desk_result dr;
    int rc = office_judge(c->office, now, &dr);
    if (rc == 0) {
        c->alert_changes += dr.changes;
        if (dr.sealed)
            link_kick(c->link);
    } else {
        log_warn("collector: supervision desk pass failed, will retry: %s", err_str(rc));
    }
}

static int
on_intake(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    struct collector *c = arg;
    struct office_intake in;
    office_take(c->office, 64, timestamp_now_ms(), &in);
    if (in.accepted) {
        c->unjudged = true;
        if (!c->unsealed) {
            c->unsealed = true;
            c->unsealed_since_ms = timestamp_mono_ms();
        }
        ticker_pace(c->ticker, true); /* sealed batch/flush_ms from now, not a slow tick later */
    }
    if (in.sealed)
        link_kick(c->link);
    /* Nothing else waiting: judge now rather than at the next tick, so an alert leaves within
     * milliseconds of its event; under load the tick batches many messages into one pass. */
    if (!(zsock_events(sock) & ZMQ_POLLIN))
        judge(c, judging_now(c));
    return 0;
}

/* What SIGHUP reloads (docs/operations.md): the log level and the rules' files. Every other key
 * that changed is named as needing a restart; the running configuration stays as it was. */
static const char *const reloadable[] = {"log/level", "rules/catalog", "rules/calendar", NULL};

static void restart_rules(struct collector *c);

static void
reload(struct collector *c)
{
    char err[512];
    conf_t *next = NULL;
    struct conf_changes ch;
    if (conf_reload(c->conf, c->config_path, reloadable, &next, &ch, err, sizeof err) != 0) {
        log_error("collector: reload refused, the running configuration stays: %s", err);
        return;
    }
    /* the files are read again even under the same names: their contents are what changed */
    const char *cat = conf_str(next, "rules/catalog"), *cal = conf_str(next, "rules/calendar");
    rulebook_t *book = NULL;
    char why[ERR_WHY_MAX];
    if (*cat && !*cal) {
        log_error("collector: reload: key \"rules/calendar\" is needed with a catalogue; the "
                  "rules in force stay");
    } else if (rulebook_open(c->store, c->node, cat, cal,
                             c->has_publisher ? c->publisher_pk : NULL, c->publishers, &book,
                             why, sizeof why) != 0) {
        log_error("collector: reload: %s; the rules in force stay", why);
    } else if (rulebook_differs(book, c->book)) {
        rulebook_t *old = c->book;
        c->book = book;
        restart_rules(c); /* the watch and the desk let go of the old book's pointers here */
        rulebook_destroy(&old);
    } else {
        rulebook_destroy(&book);
    }
    const catalog_t *k = rulebook_catalog(c->book);
    const calendar_t *d = rulebook_calendar(c->book);
    char label[CALENDAR_LABEL_MAX] = "none";
    if (d)
        calendar_label(d, label);
    log_info("collector: reloaded config=%s log_level=%s catalog_version=%llu calendar=\"%s\"%s%s",
             c->config_path, conf_str(next, "log/level"),
             (unsigned long long)(k ? catalog_version(k) : 0), label,
             ch.restart[0] ? "; needs a restart to change: " : "", ch.restart);
    /* written only when the new level lets it through: the level is in force at once */
    log_debug("collector: keys reloaded: %s", ch.reloaded[0] ? ch.reloaded : "none");
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

/* While the store is marked restored (jiancha restore) the node appends and seals nothing: its
 * passes wait until the link has taken its history back from the parent (link.h), then go on
 * from it, the unsealed tail included. */
static bool
restoring(struct collector *c)
{
    if (!c->restoring)
        return false;
    store_txn_t *t = NULL;
    struct spool_state sp;
    bool still = true;
    if (store_read(c->store, &t) == 0 && spool_state_get(t, &sp) == 0)
        still = sp.restored;
    store_abort(&t);
    if (!still) {
        c->restoring = false;
        c->unsealed = true;
        c->unsealed_since_ms = 0;
        c->unjudged = true; /* the records taken back */
        log_info("collector: history taken back from the parent, the rules go on node=%s",
                 c->node_text);
    }
    return still;
}

static int
on_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    struct collector *c = arg;
    int64_t now = timestamp_now_ms();
    int64_t mono = timestamp_mono_ms();
    if (restoring(c)) {
        link_tick(c->link, mono);
        return 0;
    }
    if (c->unsealed && mono - c->unsealed_since_ms >= c->flush_ms) {
        uint64_t sealed;
        int rc = spool_seal_pending(c->store, c->node, c->seal_at, now, &sealed);
        if (rc == 0) {
            c->unsealed = false;
            if (sealed)
                link_kick(c->link);
        } else {
            log_warn("collector: sealing failed, will retry: %s", err_str(rc));
        }
    }
    int64_t judging = judging_now(c);
    uint64_t clock_sealed;
    if (skew_check(c->skew, now, c->seal_at, &clock_sealed) != 0)
        log_warn("collector: recording node.clock failed, will retry");
    else if (clock_sealed)
        link_kick(c->link);
    judge(c, judging);
    /* Counter sheets: after the rules pass, so alert changes of this tick are counted. */
    if (c->watch && !c->unjudged && mono - c->counted_ms >= c->counters_ms) {
        struct counter_refresh_result cr;
        int rc = counter_refresh(c->store, c->node, rulebook_catalog(c->book),
                                 rulebook_calendar(c->book), judging, c->seal_at,
                                 &cr);
        if (rc == 0) {
            /* a share was left (a backlog's catch-up): the next tick counts on */
            if (!cr.more)
                c->counted_ms = mono;
            if (cr.sealed)
                link_kick(c->link);
        } else {
            log_warn("collector: counting the day sheets failed, will retry: %s", err_str(rc));
        }
    }
    if (judging >= c->expiry_due_ms) {
        uint64_t sealed, asked;
        char keys_dir[4096];
        snprintf(keys_dir, sizeof keys_dir, "%s/keys", conf_str(c->conf, "collector/data"));
        if (rotation_renew(c->rot, c->store, keys_dir, judging, c->seal_at, &asked) != 0)
            log_warn("collector: the unattended renewal failed, will retry");
        else if (asked)
            link_kick(c->link);
        if (rotation_check_expiry(c->rot, c->store, c->node, c->publishers != NULL, judging,
                                  c->seal_at,
                                  &c->expiry_due_ms, &sealed) != 0) {
            log_warn("collector: judging cert.expiring failed, will retry");
            c->expiry_due_ms = judging + 60000;
        } else if (sealed) {
            link_kick(c->link);
        }
    }
    uint64_t disk_sealed;
    if (disk_poll(c->store, c->node, conf_str(c->conf, "collector/data"),
                  disk_budget_bytes(conf_int(c->conf, "store/budget_mb"),
                                    conf_int(c->conf, "store/max_map_mb")),
                  now, mono, &c->disk_due_ms, c->seal_at, &disk_sealed) != 0)
        log_warn("collector: judging node.disk failed, will retry");
    else if (disk_sealed)
        link_kick(c->link);
    link_tick(c->link, timestamp_mono_ms());
    /* The other clocks count in seconds: an idle node ticks slowly (a bundle that leaves records
     * to judge is seen at the next slow tick). */
    ticker_pace(c->ticker, c->unsealed || c->unjudged || c->restoring);
    return 0;
}

static int
on_metrics(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    struct collector *c = arg;
    struct door_stats ds;
    office_stats(c->office, &ds);
    struct telemetry_sources s = {"collector",
                                  c->node,
                                  c->store,
                                  &ds,
                                  c->link,
                                  NULL,
                                  NULL,
                                  c->book ? rulebook_calendar(c->book) : NULL,
                                  c->rot,
                                  timestamp_now_ms(),
                                  NULL};
    telemetry_publish(c->metrics, &s);
    return 0;
}

static int
on_stats(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    struct collector *c = arg;
    struct link_status ls;
    link_status(c->link, &ls);
    struct door_stats ds;
    office_stats(c->office, &ds);
    log_info("collector: stats node=%s accepted=%llu duplicates=%llu rejected=%llu "
             "refused_full=%llu alert_changes=%llu uplink=%s acked_batch=%llu resends=%llu "
             "reconnects=%llu",
             c->node_text, (unsigned long long)ds.accepted, (unsigned long long)ds.duplicates,
             (unsigned long long)ds.rejected, (unsigned long long)ds.refused_full,
             (unsigned long long)c->alert_changes,
             link_state_name(ls.state), (unsigned long long)ls.acked,
             (unsigned long long)ls.resends, (unsigned long long)ls.reconnects);
    return 0;
}

/* The rules start (again) with what the rulebook holds, if it holds both. */
static void
restart_rules(struct collector *c)
{
    watch_destroy(&c->watch);
    if (rulebook_catalog(c->book) && rulebook_calendar(c->book)) {
        c->watch = watch_new(c->store, c->node, rulebook_catalog(c->book),
                             rulebook_calendar(c->book));
        c->unjudged = true; /* catch up with whatever is unjudged */
    }
    if (c->office)
        office_set_calendar(c->office, rulebook_calendar(c->book));
}

static void
on_parent_bundle(void *arg, const void *doc, size_t len, const void *sig, size_t sig_len)
{
    struct collector *c = arg;
    char why[ERR_WHY_MAX];
    struct rulebook_result res;
    int rc = rulebook_take(c->book, doc, len, sig, sig_len, timestamp_now_ms(), c->seal_at, &res,
                           why);
    uint64_t suppressed;
    if (rc != 0) {
        if (log_allow(&c->bundle_refusals, 10, &suppressed))
            log_warn("collector: bundle from the parent refused: %s", why);
        return;
    }
    if (!res.taken)
        return;
    const struct bundle *b = &res.bundle;
    if (res.changed)
        restart_rules(c);
    log_info("collector: bundle applied kind=%s version=%llu publisher=%s certificate=%llu",
             b->kind, (unsigned long long)b->version, b->publisher,
             (unsigned long long)b->publisher_serial);
    if (strcmp(b->kind, "certs") == 0 && rotation_consider(c->rot, b->body, b->body_len))
        link_set_key(c->link, rotation_key(c->rot), rotation_curve(c->rot));
    if (strcmp(b->kind, "certs") == 0 &&
        rotation_server_keys(c->rot, c->link, c->store, node_parent(c->node),
                             timestamp_now_ms()) != 0)
        log_warn("collector: cannot read the parent's transport keys from the set; the ones "
                 "known stay");
    c->expiry_due_ms = 0; /* a renewal (a set, or a publisher's certificate) clears at once */
    if (res.sealed)
        link_kick(c->link);
}

/* A closing decided above for one of this node's alerts: the alert closes here too. */
static void
on_parent_decision(void *arg, const void *record, size_t len)
{
    struct collector *c = arg;
    bool pass_on;
    struct desk_result dr;
    if (office_take_decision(c->office, timestamp_now_ms(), record, len, &pass_on, &dr) == 0 &&
        dr.sealed)
        link_kick(c->link);
}

/* --check-config beyond the syntax: the files and the directory the configuration names exist
 * and are usable, each problem named with its file, line and key. */
static int
check_named(const conf_t *conf, const char *node)
{
    static const char prog[] = "jiancha-collector";
    char why[ERR_WHY_MAX];
    int bad = 0;
    if (conf_check_dir(conf, "collector/data", why, sizeof why) != 0) {
        fprintf(stderr, "%s: %s\n", prog, why);
        bad = ERR_CONFIG;
    }
    static const char *const endpoints[] = {"uplink/endpoint", "intake/endpoint"};
    for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++)
        if (conf_check_endpoint(conf, endpoints[i], why, sizeof why) != 0) {
            fprintf(stderr, "%s: %s\n", prog, why);
            bad = ERR_CONFIG;
        }
    rotation_t *rot = NULL;
    if (rotation_open(node, conf_str(conf, "collector/key"), conf_str(conf, "collector/next_key"),
                      &rot, why, sizeof why) != 0) {
        conf_complain(conf, prog, "collector/key", why);
        bad = ERR_CONFIG;
    }
    rotation_destroy(&rot);
    const char *catalog_path = conf_str(conf, "rules/catalog");
    catalog_t *cat = NULL;
    if (*catalog_path && catalog_load(catalog_path, &cat, why, sizeof why) != 0) {
        conf_complain(conf, prog, "rules/catalog", why);
        bad = ERR_CONFIG;
    }
    catalog_destroy(&cat);
    const char *calendar_path = conf_str(conf, "rules/calendar");
    calendar_t *cal = NULL;
    if (*calendar_path && calendar_load(calendar_path, &cal, why, sizeof why) != 0) {
        conf_complain(conf, prog, "rules/calendar", why);
        bad = ERR_CONFIG;
    }
    calendar_destroy(&cal);
    const char *server_key = conf_str(conf, "uplink/server_key");
    uint8_t key[ZAP_KEY_BYTES];
    if (*server_key && zap_server_key_load(server_key, key, why) != 0) {
        conf_complain(conf, prog, "uplink/server_key", why);
        bad = ERR_CONFIG;
    }
    const char *pub = conf_str(conf, "bundle/publisher_key");
    uint8_t pk[SIGN_PUBLIC_BYTES];
    char pub_node[7];
    int rc;
    if (*pub && (rc = sign_public_load(pub, pk, pub_node)) != 0) {
        snprintf(why, sizeof why, "%s: %s", pub, err_str(rc));
        conf_complain(conf, prog, "bundle/publisher_key", why);
        bad = ERR_CONFIG;
    }
    const char *root = conf_str(conf, "bundle/root");
    cert_trust_t *anchor = NULL;
    if (*root && cert_trust_anchor_load(root, &anchor, why) != 0) {
        conf_complain(conf, prog, "bundle/root", why);
        bad = ERR_CONFIG;
    }
    cert_trust_destroy(&anchor);
    return bad;
}

/* A record of this node's own taken back from the parent after a restore: what intake derived
 * from it when it first came (its id, the desk's index, its alert's state; intake.h). */
static int
on_restored(void *arg, store_txn_t *t, uint64_t seq, const void *rec, size_t len)
{
    struct collector *c = arg;
    return intake_adopt(t, c->node, seq, rec, len);
}

static int
setup(struct collector *c, const char *config_path, bool check_only)
{
    char err[512];
    c->config_path = config_path;
    if (conf_load(config_path, config_table, &c->conf, err, sizeof err) != 0) {
        fprintf(stderr, "jiancha-collector: %s\n", err);
        return ERR_CONFIG;
    }
    const char *node = conf_str(c->conf, "collector/node");
    if (node_valid(node, strlen(node)) != 0) {
        char why_node[ERR_WHY_MAX];
        snprintf(why_node, sizeof why_node, "\"%s\" is not a six-digit division code", node);
        conf_complain(c->conf, "jiancha-collector", "collector/node", why_node);
        return ERR_CONFIG;
    }
    if (log_set_level(conf_str(c->conf, "log/level")) != 0) {
        fprintf(stderr, "jiancha-collector: %s: key \"log/level\": must be error, warn, info or "
                        "debug\n", config_path);
        return ERR_CONFIG;
    }
    if (check_only) {
        if (sign_init() != 0)
            return ERR_STATE;
        int rc = check_named(c->conf, node);
        if (rc == 0)
            printf("%s%s: configuration is valid\n",
                   log_journal_prefix(STDOUT_FILENO, LOG_LEVEL_INFO), config_path);
        return rc;
    }
    snprintf(c->node_text, sizeof c->node_text, "%s", node);
    c->node = node_number(node);
    c->seal_at = (uint32_t)conf_int(c->conf, "batch/max_events");
    c->flush_ms = conf_int(c->conf, "batch/flush_ms");
    c->counters_ms = conf_int(c->conf, "counters/interval_ms");
    c->patrol_from_day = INT64_MIN;
    const char *from = conf_str(c->conf, "patrol/from");
    if (*from && calendar_parse_date(from, strlen(from), &c->patrol_from_day) != 0) {
        fprintf(stderr, "jiancha-collector: %s: key \"patrol/from\": \"%s\" is not a date "
                        "(YYYY-MM-DD)\n", config_path, from);
        return ERR_CONFIG;
    }

    if (sign_init() != 0)
        return ERR_STATE;
    char why_key[512];
    int rc = rotation_open(c->node_text, conf_str(c->conf, "collector/key"),
                           conf_str(c->conf, "collector/next_key"), &c->rot, why_key,
                           sizeof why_key);
    const char *data = conf_str(c->conf, "collector/data");
    /* keys the node made itself for a renewal (rotation.h) */
    char keys_dir[4096];
    snprintf(keys_dir, sizeof keys_dir, "%s/keys", data);
    if (rc == 0)
        rc = rotation_adopt(c->rot, keys_dir, why_key, sizeof why_key);
    if (rc != 0) {
        fprintf(stderr, "jiancha-collector: %s\n", why_key);
        return rc;
    }
    struct store_options so = {
        .map_bytes = (uint64_t)conf_int(c->conf, "store/map_mb") << 20,
        .max_map_bytes = (uint64_t)conf_int(c->conf, "store/max_map_mb") << 20,
    };
    rc = store_open(data, &so, &c->store);
    if (rc != 0) {
        fprintf(stderr, "jiancha-collector: cannot open store %s: %s\n", data, err_str(rc));
        return rc;
    }
    /* a store from before the index of non-business records gets it once (kept.h) */
    if ((rc = kept_build(c->store)) != 0) {
        fprintf(stderr, "jiancha-collector: cannot index store %s: %s\n", data, err_str(rc));
        return rc;
    }
    /* Events committed by a previous run but not yet sealed (it was killed between intake and
     * the flush timer) are sealed by the first tick, or they would wait for the next intake. */
    store_txn_t *t = NULL;
    struct spool_state sp;
    rc = store_read(c->store, &t);
    if (rc == 0)
        rc = spool_state_get(t, &sp);
    store_abort(&t);
    if (rc != 0) {
        fprintf(stderr, "jiancha-collector: cannot read spool state in %s: %s\n", data,
                err_str(rc));
        return rc;
    }
    c->unsealed = sp.next_seq - 1 > sp.sealed_seq;
    c->restoring = sp.restored;
    if (c->restoring)
        log_warn("collector: node=%s was restored from a backup: it takes back from its parent "
                 "what it sealed since, and takes no events until then", node);
    const char *catalog_path = conf_str(c->conf, "rules/catalog");
    const char *calendar_path = conf_str(c->conf, "rules/calendar");
    if (*catalog_path && !*calendar_path) {
        fprintf(stderr, "jiancha-collector: %s: key \"rules/calendar\" is needed with a "
                        "catalogue\n", config_path);
        return ERR_CONFIG;
    }
    const char *pub = conf_str(c->conf, "bundle/publisher_key");
    c->has_publisher = *pub;
    if (*pub) {
        char pub_node[7];
        rc = sign_public_load(pub, c->publisher_pk, pub_node);
        if (rc != 0) {
            fprintf(stderr, "jiancha-collector: %s: key \"bundle/publisher_key\": %s: %s\n",
                    config_path, pub, err_str(rc));
            return rc;
        }
    }
    const char *root = conf_str(c->conf, "bundle/root");
    char why_rules[512];
    if (*root && (rc = cert_trust_anchor_load(root, &c->publishers, why_rules)) != 0) {
        fprintf(stderr, "jiancha-collector: %s: key \"bundle/root\": %s\n", config_path,
                why_rules);
        return rc;
    }
    rc = rulebook_open(c->store, c->node, catalog_path, calendar_path,
                       c->has_publisher ? c->publisher_pk : NULL, c->publishers, &c->book,
                       why_rules, sizeof why_rules);
    if (rc != 0) {
        fprintf(stderr, "jiancha-collector: %s\n", why_rules);
        return rc;
    }
    restart_rules(c);
    if (c->watch)
        log_info("collector: rules on catalog_version=%llu items=%zu",
                 (unsigned long long)catalog_version(rulebook_catalog(c->book)),
                 catalog_count(rulebook_catalog(c->book)));
    c->unsealed_since_ms = 0; /* they have waited long enough: seal at the first tick */
    const char *ep = conf_str(c->conf, "intake/endpoint");
    char *ep_default = *ep ? NULL : xasprintf("ipc://%s/intake.sock", data);
    struct office_options oo = {
        .endpoint = ep_default ? ep_default : ep,
        .data_dir = data,
        .max_message_bytes = conf_int(c->conf, "intake/max_message_bytes"),
        .seal_at = c->seal_at,
        .patrol_from_day = c->patrol_from_day,
    };
    char why_door[512];
    c->office = office_new(c->store, c->node, &oo, rulebook_calendar(c->book), why_door,
                           sizeof why_door);
    if (!c->office) {
        fprintf(stderr, "jiancha-collector: %s\n", why_door);
        free(ep_default);
        return ERR_NET;
    }
    log_info("collector: intake listening node=%s endpoint=%s", c->node_text,
             ep_default ? ep_default : ep);
    free(ep_default);

    struct link_options lo;
    link_options_read(c->conf, &lo);
    rc = rotation_resume(c->rot, c->store);
    if (rc != 0) {
        fprintf(stderr, "jiancha-collector: cannot read the certificates held in %s: %s\n", data,
                err_str(rc));
        return rc;
    }
    c->link = link_new(&lo, c->store, c->node, rotation_key(c->rot));
    char why_curve[512];
    rc = rotation_attach(c->rot, c->link, conf_str(c->conf, "uplink/server_key"), why_curve,
                         sizeof why_curve);
    if (rc != 0) {
        fprintf(stderr, "jiancha-collector: %s: key \"uplink/server_key\": %s\n", config_path,
                why_curve);
        return rc;
    }
    if ((rc = rotation_server_keys(c->rot, c->link, c->store, node_parent(c->node),
                                   timestamp_now_ms())) != 0) {
        fprintf(stderr, "jiancha-collector: cannot read the certificates held in %s: %s\n", data,
                err_str(rc));
        return rc;
    }
    c->skew = skew_new(c->store, c->node, conf_int(c->conf, "clock/max_skew_ms"));
    struct link_hooks hooks = {NULL, on_parent_bundle, on_parent_decision, c, on_restored};
    link_set_hooks(c->link, &hooks);
    c->loop = zloop_new();
    zloop_reader(c->loop, office_socket(c->office), on_intake, c);
    c->ticker = ticker_new(c->loop, on_tick, c);
    if (!c->ticker) {
        fprintf(stderr, "jiancha-collector: cannot set the loop's timer\n");
        return ERR_STATE;
    }
    ticker_pace(c->ticker, c->unsealed || c->unjudged || c->restoring);
    zloop_timer(c->loop, 10000, 0, on_stats, c);
    char why_metrics[ERR_WHY_MAX];
    if ((rc = telemetry_start(c->loop, conf_str(c->conf, "metrics/listen"), data, on_metrics,
                              c, &c->metrics, why_metrics)) != 0) {
        fprintf(stderr, "jiancha-collector: %s: key \"metrics/listen\": %s\n", config_path,
                why_metrics);
        return rc;
    }
    rc = link_attach(c->link, c->loop);
    if (rc != 0) {
        fprintf(stderr, "jiancha-collector: cannot start uplink: %s\n", err_str(rc));
        return rc;
    }
    return 0;
}

static void
teardown(struct collector *c)
{
    metrics_destroy(&c->metrics);
    link_destroy(&c->link);
    watch_destroy(&c->watch);
    skew_destroy(&c->skew);
    rulebook_destroy(&c->book);
    cert_trust_destroy(&c->publishers);
    ticker_destroy(&c->ticker);
    zloop_destroy(&c->loop);
    office_destroy(&c->office);
    store_close(&c->store);
    rotation_destroy(&c->rot);
    conf_destroy(&c->conf);
}

int
main(int argc, char **argv)
{
    const char *config;
    bool check;
    int status = conf_parse_args(argc, argv, "jiancha-collector", config_table, &config, &check);
    if (status >= 0)
        return status;
    /* before zsys_init starts ZeroMQ's threads: they inherit SIGHUP blocked */
    int hup = -1;
    if (hangup_open(&hup) != 0)
        fprintf(stderr, "jiancha-collector: cannot take SIGHUP as a reload request\n");
    zsys_init();
    zsys_set_logstream(NULL);
    struct collector c = {0};
    int rc = setup(&c, config, check);
    if (rc == 0 && !check && hup >= 0) {
        zmq_pollitem_t item = {NULL, hup, ZMQ_POLLIN, 0};
        if (zloop_poller(c.loop, &item, on_hangup, &c) != 0)
            log_warn("collector: cannot watch for SIGHUP: a reload needs a restart");
    }
    if (rc == 0 && !check) {
        if (notify_watchdog_loop(c.loop) != 0)
            log_warn("collector: cannot feed the service manager's watchdog from the loop");
        log_info("collector: started node=%s", c.node_text);
        char line[64];
        snprintf(line, sizeof line, "collecting for node %s", c.node_text);
        notify_ready(line);
        zloop_start(c.loop);
        notify_stopping();
        log_info("collector: stopping node=%s", c.node_text);
    }
    teardown(&c);
    hangup_close(&hup);
    return rc == 0 ? 0 : 1;
}
