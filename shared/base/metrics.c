/* metrics: libmicrohttpd in its internal polling thread, serving one text under a mutex. */
#include "metrics.h"

#include "log.h"
#include "mem.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct metrics {
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock;
    char *text; /* owned; what GET /metrics answers */
    size_t len;
    int port;
};

static enum MHD_Result
answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
       const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    metrics_t *m = cls;
    unsigned status = MHD_HTTP_OK;
    struct MHD_Response *r;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    } else if (strcmp(url, "/metrics") != 0) {
        static const char nf[] = "only /metrics is served here\n";
        status = MHD_HTTP_NOT_FOUND;
        r = MHD_create_response_from_buffer(sizeof nf - 1, (void *)nf, MHD_RESPMEM_PERSISTENT);
    } else {
        pthread_mutex_lock(&m->lock);
        r = MHD_create_response_from_buffer(m->len, m->text, MHD_RESPMEM_MUST_COPY);
        pthread_mutex_unlock(&m->lock);
        MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    }
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

metrics_t *
metrics_new(const char *listen, char why[ERR_WHY_MAX])
{
    const char *colon = strrchr(listen, ':');
    struct sockaddr_in sa = {.sin_family = AF_INET};
    char host[64];
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || (size_t)(colon - listen) >= sizeof host || !end || *end || port < 0 ||
        port > 65535) {
        snprintf(why, ERR_WHY_MAX, "\"%s\" is not HOST:PORT", listen);
        return NULL;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        snprintf(why, ERR_WHY_MAX, "\"%s\" is not an IPv4 address", host);
        return NULL;
    }
    sa.sin_port = htons((uint16_t)port);
    metrics_t *m = xcalloc(1, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
    m->text = xstrdup("");
    m->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
                                 NULL, answer, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (!m->daemon) {
        snprintf(why, ERR_WHY_MAX, "cannot listen on %s (in use, or not an address here)", listen);
        metrics_destroy(&m);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
    m->port = info ? info->port : (int)port;
    return m;
}

void
metrics_destroy(metrics_t **p)
{
    metrics_t *m = *p;
    if (!m)
        return;
    if (m->daemon)
        MHD_stop_daemon(m->daemon);
    pthread_mutex_destroy(&m->lock);
    free(m->text);
    free(m);
    *p = NULL;
}

int
metrics_port(const metrics_t *m)
{
    return m->port;
}

void
metrics_publish(metrics_t *m, const void *text, size_t len)
{
    char *copy = xmalloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    pthread_mutex_lock(&m->lock);
    char *old = m->text;
    m->text = copy;
    m->len = len;
    pthread_mutex_unlock(&m->lock);
    free(old);
}

void
metrics_family(struct wire_buf *out, const char *name, const char *type, const char *help)
{
    char line[512];
    int n = snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    wire_buf_append(out, line, n < 0 ? 0 : (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

void
metrics_sample(struct wire_buf *out, const char *name, const char *labels, double value)
{
    char line[512];
    int n = snprintf(line, sizeof line, "%s%s%s%s %.17g\n", name, *labels ? "{" : "", labels,
                     *labels ? "}" : "", value);
    wire_buf_append(out, line, n < 0 ? 0 : (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}
