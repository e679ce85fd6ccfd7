/* jiancha-web: the supervision centre's screen for one node (docs/api.md). Configuration and the
 * wait for a signal; the screen itself (pages, API, sign-in, the live stream) is shared/office/
 * screen.c, which libmicrohttpd runs on its own threads. */
#include "calendar.h"
#include "catalog.h"
#include "conf.h"
#include "err.h"
#include "file.h"
#include "log.h"
#include "mem.h"
#include "node.h"
#include "notify.h"
#include "office.h"
#include "region.h"
#include "screen.h"
#include "sign.h"

#include <czmq.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct conf_key config_table[] = {
    {"web/node", CONF_STR, NULL, 0, 0,
     "the six-digit division code of the node whose screen this is"},
    {"web/data", CONF_STR, NULL, 0, 0,
     "the node's data directory: its store is opened read-only, never written"},
    {"web/intake", CONF_STR, "", 0, 0,
     "the node's intake endpoint, where every sign-in and read is logged before it is served; "
     "empty = the one the node's daemon recorded in DATA/intake.endpoint"},
    {"web/listen", CONF_STR, "127.0.0.1:8480", 0, 0,
     "where the screen listens (IPv4 HOST:PORT; port 0 picks one: see web/port_file)"},
    {"web/port_file", CONF_STR, "", 0, 0, "write the port listened on to this file (tests)"},
    {"web/pages", CONF_STR, "/usr/share/jiancha/web", 0, 0,
     "the pages and the pinned ECharts (index.html, signin.html, vendor/)"},
    {"web/calendar", CONF_STR, "/usr/share/jiancha/cn-workdays.tsv", 0, 0,
     "the working-day calendar: working days left before answers and supervision replies are due"},
    {"web/catalog", CONF_STR, "", 0, 0, "the catalogue, for department names (empty: codes)"},
    {"web/regions", CONF_STR, "/usr/share/jiancha/regions.tsv", 0, 0,
     "division codes and names, for node names (empty: codes)"},
    {"web/session_minutes", CONF_INT, "480", 5, 720, "how long a sign-in lasts"},
    {"web/tls_cert", CONF_STR, "", 0, 0,
     "PEM certificate: serve HTTPS (GnuTLS); empty = plain HTTP behind a reverse proxy"},
    {"web/tls_key", CONF_STR, "", 0, 0, "PEM private key of web/tls_cert"},
    {"log/level", CONF_STR, "info", 0, 0, "error, warn, info or debug"},
    {NULL, 0, NULL, 0, 0, NULL},
};

struct web {
    conf_t *conf;
    calendar_t *calendar;
    catalog_t *catalog;
    region_t *regions;
    char *tls_cert, *tls_key;
    char *intake; /* web/intake, or the one the node recorded */
    screen_t *screen;
};

static int
fail(const conf_t *c, const char *key, const char *why)
{
    conf_complain(c, "jiancha-web", key, why);
    return ERR_CONFIG;
}

static int
read_pem(const conf_t *c, const char *key, char **out)
{
    const char *path = conf_str(c, key);
    *out = NULL;
    if (!path[0])
        return 0;
    size_t len;
    *out = file_read(path, &len);
    if (!*out) {
        char why[ERR_WHY_MAX];
        snprintf(why, sizeof why, "cannot read %s: %s", path, strerror(errno));
        return fail(c, key, why);
    }
    return 0;
}

static int
setup(struct web *w, const char *config, bool check)
{
    char why[ERR_WHY_MAX];
    int rc = conf_load(config, config_table, &w->conf, why, sizeof why);
    if (rc != 0) {
        fprintf(stderr, "jiancha-web: %s\n", why);
        return rc;
    }
    const conf_t *c = w->conf;
    if (log_set_level(conf_str(c, "log/level")) != 0)
        return fail(c, "log/level", "error, warn, info or debug");
    const char *node = conf_str(c, "web/node");
    if (node_valid(node, strlen(node)) != 0)
        return fail(c, "web/node", "a six-digit division code");
    if (conf_check_endpoint(c, "web/intake", why, sizeof why) != 0) {
        fprintf(stderr, "jiancha-web: %s\n", why);
        return ERR_CONFIG;
    }
    const char *intake = conf_str(c, "web/intake");
    w->intake = intake[0] ? xstrdup(intake) : office_endpoint_of(conf_str(c, "web/data"));
    const char *cal = conf_str(c, "web/calendar");
    if (cal[0] && calendar_load(cal, &w->calendar, why, sizeof why) != 0)
        return fail(c, "web/calendar", why);
    const char *cat = conf_str(c, "web/catalog");
    if (cat[0] && catalog_load(cat, &w->catalog, why, sizeof why) != 0)
        return fail(c, "web/catalog", why);
    const char *reg = conf_str(c, "web/regions");
    if (reg[0] && region_load(reg, &w->regions, why, sizeof why) != 0)
        return fail(c, "web/regions", why);
    if ((rc = read_pem(c, "web/tls_cert", &w->tls_cert)) != 0 ||
        (rc = read_pem(c, "web/tls_key", &w->tls_key)) != 0)
        return rc;
    if (!w->tls_cert != !w->tls_key)
        return fail(c, "web/tls_key", "web/tls_cert and web/tls_key go together");
    struct stat st;
    char path[4096];
    snprintf(path, sizeof path, "%s/index.html", conf_str(c, "web/pages"));
    if (stat(path, &st) != 0)
        return fail(c, "web/pages", stat(conf_str(c, "web/pages"), &st) != 0
                                        ? "no such directory (the pages are installed by the "
                                          "jiancha-web package in /usr/share/jiancha/web)"
                                        : "holds no index.html: not the screen's pages");
    struct sockaddr_in sa;
    if (screen_parse_listen(conf_str(c, "web/listen"), &sa, why) != 0)
        return fail(c, "web/listen", why);
    snprintf(path, sizeof path, "%s/data.mdb", conf_str(c, "web/data"));
    if (stat(path, &st) != 0)
        return fail(c, "web/data", "no jiancha store there (the node's data directory: start its "
                                   "daemon first)");
    if (!w->intake)
        return fail(c, "web/intake", "empty, and the node's daemon recorded no intake endpoint in "
                                     "its data directory (intake.endpoint): start it first, or "
                                     "name its intake here");
    if (check) {
        printf("%s%s: configuration is valid\n", log_journal_prefix(STDOUT_FILENO, LOG_LEVEL_INFO),
               config);
        return 0;
    }
    if (sign_init() != 0) {
        fprintf(stderr, "jiancha-web: libsodium cannot start\n");
        return ERR_STATE;
    }
    struct screen_options o = {
        .data = conf_str(c, "web/data"),
        .node = node_number(node),
        .intake = w->intake,
        .listen = conf_str(c, "web/listen"),
        .pages = conf_str(c, "web/pages"),
        .session_ms = conf_int(c, "web/session_minutes") * 60 * 1000,
        .tls_cert = w->tls_cert,
        .tls_key = w->tls_key,
        .calendar = w->calendar,
        .catalog = w->catalog,
        .regions = w->regions,
    };
    w->screen = screen_new(&o, why);
    if (!w->screen) {
        fprintf(stderr, "jiancha-web: %s\n", why);
        return ERR_NET;
    }
    const char *port_file = conf_str(c, "web/port_file");
    if (port_file[0]) {
        char text[16];
        int n = snprintf(text, sizeof text, "%d\n", screen_port(w->screen));
        if (file_write(port_file, text, (size_t)n, false) != 0)
            return fail(c, "web/port_file", strerror(errno));
    }
    log_info("web: serving node=%s listen=%s port=%d tls=%s intake=%s", node, o.listen,
             screen_port(w->screen), w->tls_cert ? "yes" : "no", w->intake);
    return 0;
}

static void
teardown(struct web *w)
{
    screen_destroy(&w->screen);
    calendar_destroy(&w->calendar);
    catalog_destroy(&w->catalog);
    region_destroy(&w->regions);
    free(w->tls_cert);
    free(w->tls_key);
    free(w->intake);
    conf_destroy(&w->conf);
}

static int
on_stats(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    struct web *w = arg;
    struct screen_stats st;
    screen_stats(w->screen, &st);
    log_info("web: requests=%llu signins=%llu refused_signins=%llu reads_logged=%llu "
             "reads_unlogged=%llu unsigned=%llu sessions=%llu",
             (unsigned long long)st.requests, (unsigned long long)st.signins,
             (unsigned long long)st.signins_refused, (unsigned long long)st.reads_logged,
             (unsigned long long)st.reads_unlogged, (unsigned long long)st.refused,
             (unsigned long long)st.sessions);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *config;
    bool check;
    int status = conf_parse_args(argc, argv, "jiancha-web", config_table, &config, &check);
    if (status >= 0)
        return status;
    zsys_init();
    zsys_set_logstream(NULL);
    struct web w = {0};
    int rc = setup(&w, config, check);
    if (rc == 0 && !check) {
        /* the screen runs on libmicrohttpd's threads; this loop only waits for SIGTERM */
        zloop_t *loop = zloop_new();
        if (notify_watchdog_loop(loop) != 0)
            log_warn("web: cannot feed the service manager's watchdog from the loop");
        zloop_timer(loop, 60000, 0, on_stats, &w);
        notify_ready("serving the screen");
        zloop_start(loop);
        notify_stopping();
        log_info("web: stopping");
        zloop_destroy(&loop);
    }
    teardown(&w);
    return rc == 0 ? 0 : 1;
}
