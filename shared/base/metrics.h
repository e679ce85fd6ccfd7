/* metrics: Prometheus metrics of a daemon, served over HTTP (the one door to libmicrohttpd for
 * them) in the text exposition format, version 0.0.4.
 *
 * The daemon's loop renders its figures into text now and then (telemetry.h) and publishes it;
 * libmicrohttpd's own thread answers GET /metrics with the text last published (so a scrape
 * never touches the loop's state and sees figures at most a publication old). Anything else is
 * 404; a method other than GET or HEAD is 405. Off unless a listen address is configured.
 */
#ifndef JIANCHA_METRICS_H
#define JIANCHA_METRICS_H

#include "err.h"
#include "wire.h"

#include <stddef.h>
#include <stdint.h>

typedef struct metrics metrics_t;

/* Listens on "HOST:PORT" (an IPv4 address; port 0 picks one). NULL with why on failure. */
metrics_t *metrics_new(const char *listen, char why[ERR_WHY_MAX]);
void metrics_destroy(metrics_t **p);

/* The port actually bound. */
int metrics_port(const metrics_t *m);

/* Replaces the text served (copied). */
void metrics_publish(metrics_t *m, const void *text, size_t len);

/* Exposition helpers, appending to out: a family's HELP and TYPE lines ("counter", "gauge",
 * "histogram"), then its samples (labels: "" or `key="value",...` without braces). */
void metrics_family(struct wire_buf *out, const char *name, const char *type, const char *help);
void metrics_sample(struct wire_buf *out, const char *name, const char *labels, double value);

#endif
