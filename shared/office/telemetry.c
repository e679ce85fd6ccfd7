/* telemetry: a daemon's figures in Prometheus' text format. */
#include "telemetry.h"

#include "alert.h"
#include "batch.h"
#include "err.h"
#include "log.h"
#include "metrics.h"
#include "node.h"
#include "spool.h"

#include <stdio.h>
#include <string.h>

static void
gauge(struct wire_buf *out, const char *name, const char *help, double v)
{
    metrics_family(out, name, "gauge", help);
    metrics_sample(out, name, "", v);
}

static void
counter(struct wire_buf *out, const char *name, const char *help, double v)
{
    metrics_family(out, name, "counter", help);
    metrics_sample(out, name, "", v);
}

struct open_counts {
    uint64_t red, yellow;
};

static int
count_open(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    (void)key;
    (void)klen;
    struct open_counts *c = arg;
    struct alert a;
    if (alert_decode_bytes(val, vlen, &a) == 0 &&
        (a.state == ALERT_OPEN || a.state == ALERT_RESPONDED))
        (*(a.light == ALERT_RED ? &c->red : &c->yellow))++;
    return 0;
}

/* The age of the oldest sealed batch not yet acknowledged (0 when none waits). */
static double
oldest_unsent_s(store_txn_t *t, const struct spool_state *sp, int64_t now_ms)
{
    if (sp->top || sp->batch_seq <= sp->acked_batch)
        return 0;
    struct wire_buf h;
    wire_buf_init(&h);
    uint8_t key[8];
    store_be64(key, sp->acked_batch + 1);
    struct batch_header bh;
    double age = 0;
    if (store_get(t, STORE_OUTBOX, key, 8, &h) == 0 &&
        batch_header_decode(h.data, h.len, &bh) == 0 && now_ms > bh.created_ms)
        age = (double)(now_ms - bh.created_ms) / 1000.0;
    wire_buf_fini(&h);
    return age;
}

static void
render_store(const struct telemetry_sources *s, struct wire_buf *out)
{
    store_txn_t *t = NULL;
    struct spool_state sp;
    if (store_read(s->store, &t) != 0 || spool_state_get(t, &sp) != 0) {
        store_abort(&t);
        return;
    }
    uint64_t records = sp.next_seq ? sp.next_seq - 1 : 0;
    gauge(out, "jiancha_spool_records", "records of this node's own log", (double)records);
    gauge(out, "jiancha_batches_sealed", "the last batch this node sealed", (double)sp.batch_seq);
    gauge(out, "jiancha_batches_acknowledged", "the last batch its parent acknowledged",
          (double)sp.acked_batch);
    gauge(out, "jiancha_backlog_batches", "batches sealed and not yet acknowledged",
          sp.top ? 0 : (double)(sp.batch_seq - sp.acked_batch));
    gauge(out, "jiancha_unsealed_records", "records not yet in a batch",
          (double)(records - sp.sealed_seq));
    gauge(out, "jiancha_oldest_unsent_batch_age_seconds",
          "age of the oldest batch its parent has not acknowledged (0: none)",
          oldest_unsent_s(t, &sp, s->now_ms));
    struct open_counts oc = {0, 0};
    if (store_each_prefix(t, STORE_ALERTS, "", 0, true, count_open, &oc) == 0) {
        metrics_family(out, "jiancha_alerts_open", "gauge",
                       "alerts standing (open or answered) in this node's store, by light");
        metrics_sample(out, "jiancha_alerts_open", "light=\"red\"", (double)oc.red);
        metrics_sample(out, "jiancha_alerts_open", "light=\"yellow\"", (double)oc.yellow);
    }
    store_abort(&t);
}

static void
render_children(const struct telemetry_sources *s, struct wire_buf *out)
{
    struct server_stats st;
    server_stats(s->server, &st);
    gauge(out, "jiancha_server_sessions", "children in session", (double)st.sessions);
    metrics_family(out, "jiancha_server_batches_total", "counter",
                   "children's batches answered, by reply");
    metrics_sample(out, "jiancha_server_batches_total", "reply=\"ack\"", (double)st.acks);
    metrics_sample(out, "jiancha_server_batches_total", "reply=\"nack\"", (double)st.nacks);
    size_t n;
    const struct ingest_node *nodes = ingest_nodes(s->ingest, &n);
    static const struct {
        const char *name, *type, *help;
    } fam[] = {
        {"jiancha_child_records", "gauge", "records stored from the node"},
        {"jiancha_child_last_batch", "gauge", "the node's last batch stored here"},
        {"jiancha_child_lag_seconds", "gauge", "since the node was last heard (-1: never)"},
        {"jiancha_child_skew_seconds", "gauge", "the node's clock minus this one's"},
        {"jiancha_child_backlog_batches", "gauge", "batches the node sealed and this one lacks"},
        {"jiancha_child_rejected_total", "counter", "the node's batches refused"},
    };
    for (size_t f = 0; f < sizeof fam / sizeof fam[0]; f++) {
        metrics_family(out, fam[f].name, fam[f].type, fam[f].help);
        for (size_t i = 0; i < n; i++) {
            const struct ingest_node *c = &nodes[i];
            char labels[32], code[7];
            node_format(c->node, code);
            snprintf(labels, sizeof labels, "child=\"%s\"", code);
            double v = f == 0   ? (double)c->records
                       : f == 1 ? (double)c->last_seq
                       : f == 2
                           ? (c->last_contact_ms ? (double)(s->now_ms - c->last_contact_ms) / 1000.0
                                                 : -1.0)
                       : f == 3 ? (double)c->skew_ms / 1000.0
                       : f == 4 ? (c->sealed_known && c->sealed_seq > c->last_seq
                                       ? (double)(c->sealed_seq - c->last_seq)
                                       : 0.0)
                                : (double)c->rejected;
            metrics_sample(out, fam[f].name, labels, v);
        }
    }
}

/* The warehouse's sink: only its figures are read here, so the collector, which has none, needs
 * no libpq. */
static void
render_warehouse(const struct warehouse_stats *w, int64_t now_ms, struct wire_buf *out)
{
    gauge(out, "jiancha_warehouse_up", "1 while a session with the PostgreSQL warehouse is open",
          w->connected ? 1 : 0);
    /* not known before the sink has first read PostgreSQL's positions: no sample then, rather
     * than the whole store counted as missing */
    if (w->behind != WAREHOUSE_BEHIND_UNKNOWN) {
        gauge(out, "jiancha_warehouse_behind_records",
              "records the store holds that the warehouse does not yet (by sequence)",
              (double)w->behind);
        gauge(out, "jiancha_warehouse_behind_seconds",
              "since the warehouse last held every record the store held (0: it does)",
              warehouse_lag_s(w, now_ms));
    }
    counter(out, "jiancha_warehouse_records_copied_total", "records committed to the warehouse",
            (double)w->copied);
    counter(out, "jiancha_warehouse_commits_total", "transactions committed to the warehouse",
            (double)w->commits);
    counter(out, "jiancha_warehouse_failures_total",
            "connections and transactions with the warehouse that failed", (double)w->failures);
}

void
telemetry_render(const struct telemetry_sources *s, struct wire_buf *out)
{
    char labels[128], code[7];
    node_format(s->node, code);
    snprintf(labels, sizeof labels, "node=\"%s\",role=\"%s\",version=\"%s\"", code, s->role,
             JIANCHA_VERSION);
    metrics_family(out, "jiancha_info", "gauge", "this daemon: its node, role and version");
    metrics_sample(out, "jiancha_info", labels, 1);
    if (s->door) {
        metrics_family(out, "jiancha_intake_records_total", "counter",
                       "records offered at the intake since start, by outcome");
        metrics_sample(out, "jiancha_intake_records_total", "outcome=\"accepted\"",
                       (double)s->door->accepted);
        metrics_sample(out, "jiancha_intake_records_total", "outcome=\"duplicate\"",
                       (double)s->door->duplicates);
        metrics_sample(out, "jiancha_intake_records_total", "outcome=\"rejected\"",
                       (double)s->door->rejected);
        metrics_sample(out, "jiancha_intake_records_total", "outcome=\"refused_full\"",
                       (double)s->door->refused_full);
    }
    render_store(s, out);
    if (s->link) {
        struct link_status ls;
        link_status(s->link, &ls);
        gauge(out, "jiancha_uplink_up", "1 while a session with the parent is open",
              ls.state == LINK_ACTIVE ? 1 : 0);
        gauge(out, "jiancha_uplink_heard_age_seconds",
              "since the parent was last heard (-1: never)",
              ls.last_rx_ms ? (double)(s->now_ms - ls.last_rx_ms) / 1000.0 : -1.0);
        counter(out, "jiancha_uplink_batches_sent_total", "batches sent to the parent",
                (double)ls.batches_sent);
        counter(out, "jiancha_uplink_resends_total", "windows sent again", (double)ls.resends);
        counter(out, "jiancha_uplink_reconnects_total", "connections rebuilt",
                (double)ls.reconnects);
    }
    if (s->server && s->ingest)
        render_children(s, out);
    uint64_t map, used;
    store_usage(s->store, &map, &used);
    gauge(out, "jiancha_store_used_bytes", "pages the store uses", (double)used);
    gauge(out, "jiancha_store_map_bytes", "the store's map", (double)map);
    struct store_stats ss;
    store_stats(s->store, &ss);
    metrics_family(out, "jiancha_store_commit_seconds", "histogram", "durable commits");
    for (size_t i = 0; i < STORE_COMMIT_BUCKETS; i++) {
        char le[32];
        snprintf(le, sizeof le, "le=\"%g\"", store_commit_bounds_s[i]);
        metrics_sample(out, "jiancha_store_commit_seconds_bucket", le, (double)ss.commit_le[i]);
    }
    metrics_sample(out, "jiancha_store_commit_seconds_bucket", "le=\"+Inf\"", (double)ss.commits);
    metrics_sample(out, "jiancha_store_commit_seconds_sum", "", ss.commit_seconds);
    metrics_sample(out, "jiancha_store_commit_seconds_count", "", (double)ss.commits);
    int64_t not_after;
    uint32_t gen;
    bool certified = s->rot && rotation_certificate(s->rot, s->store, &not_after, &gen) == 0;
    metrics_family(out, "jiancha_certificate_expiry_seconds", "gauge",
                   "until the certificate of the key in force ends (negative: ended)");
    metrics_family(out, "jiancha_key_generation", "gauge", "the generation of the key in force");
    if (certified) {
        metrics_sample(out, "jiancha_certificate_expiry_seconds", "",
                       (double)(not_after - s->now_ms) / 1000.0);
        metrics_sample(out, "jiancha_key_generation", "", (double)gen);
    }
    if (s->cal)
        gauge(out, "jiancha_calendar_coverage_days",
              "days until the last day the working-day calendar covers (negative: past it)",
              (double)(calendar_end_day(s->cal) - calendar_day_of(s->now_ms)));
    if (s->warehouse)
        render_warehouse(s->warehouse, s->now_ms, out);
}

int
telemetry_listen(const char *listen, const char *dir, metrics_t **out, char why[ERR_WHY_MAX])
{
    *out = NULL;
    if (!listen || !*listen)
        return 0;
    *out = metrics_new(listen, why);
    if (!*out)
        return ERR_NET;
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/metrics.port", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    bool ok = f && fprintf(f, "%d\n", metrics_port(*out)) >= 0;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok || rename(tmp, path) != 0)
        log_warn("telemetry: cannot record the metrics port path=%s", path);
    log_info("telemetry: metrics on http://%s/metrics port=%d", listen, metrics_port(*out));
    return 0;
}

void
telemetry_publish(metrics_t *m, const struct telemetry_sources *s)
{
    struct wire_buf out;
    wire_buf_init(&out);
    telemetry_render(s, &out);
    metrics_publish(m, out.data, out.len);
    wire_buf_fini(&out);
}

int
telemetry_start(zloop_t *loop, const char *listen, const char *dir, zloop_timer_fn publish,
                void *arg, metrics_t **out, char why[ERR_WHY_MAX])
{
    int rc = telemetry_listen(listen, dir, out, why);
    if (rc != 0 || !*out)
        return rc;
    publish(loop, 0, arg);
    if (zloop_timer(loop, TELEMETRY_EVERY_MS, 0, publish, arg) < 0) {
        snprintf(why, ERR_WHY_MAX, "cannot set the metrics timer");
        metrics_destroy(out);
        return ERR_STATE;
    }
    return 0;
}
