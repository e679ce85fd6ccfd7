/* screen: the supervision centre's screen, the HTTP side of jiancha-web (docs/api.md): the pages,
 * the JSON API under /api/v1/ and the live stream of lights, over one node's store opened
 * read-only. libmicrohttpd serves it from its own threads (one per connection). The answers are
 * api.h's, over the shared board of snapshot.h; this module is the HTTP around them: sessions,
 * sign-in, static pages, logging each read, keeping answers the API lets it keep.
 *
 * Who reads: only operators signed in with a link they signed (signin.h); each sees the nodes of
 * their scope, a department operator their department. Each API request, and the opening of the
 * stream, is logged first at the node as an `access.read` naming the session (access.h): a read the node cannot log is
 * not served (503). Bad input is 400 naming the parameter and the reason, out of scope 403.
 */
#ifndef JIANCHA_SCREEN_H
#define JIANCHA_SCREEN_H

#include "calendar.h"
#include "catalog.h"
#include "err.h"
#include "region.h"

#include <stdint.h>

struct screen_options {
    const char *data;   /* the node's data directory (opened read-only) */
    uint32_t node;      /* the node whose store it is */
    const char *intake; /* the node's intake endpoint: sign-ins and reads are logged there */
    const char *listen; /* "HOST:PORT" (IPv4; port 0 picks one) */
    const char *pages;  /* directory of the pages (index.html, signin.html, vendor/...) */
    int64_t session_ms; /* how long a sign-in lasts */
    const char *tls_cert, *tls_key; /* PEM text (not paths); both NULL: plain HTTP */
    /* borrowed, may be NULL; they must outlive the screen */
    calendar_t *calendar;
    const catalog_t *catalog;
    const region_t *regions;
};

typedef struct screen screen_t;

/* Reads "IPv4-ADDRESS:PORT" (port 0: any free one). ERR_CONFIG with why otherwise. */
struct sockaddr_in;
int screen_parse_listen(const char *listen, struct sockaddr_in *sa, char why[ERR_WHY_MAX])
    __attribute__((warn_unused_result));

/* Opens the store and starts serving. NULL with why (the store cannot be opened, the address
 * cannot be bound). */
screen_t *screen_new(const struct screen_options *o, char why[ERR_WHY_MAX]);
/* Stops serving (open streams end within a second) and closes the store. */
void screen_destroy(screen_t **p);

int screen_port(const screen_t *s);

struct screen_stats {
    uint64_t requests, signins, signins_refused, reads_logged, reads_unlogged, refused;
    uint64_t sessions; /* open now */
};
void screen_stats(screen_t *s, struct screen_stats *out);

#endif
