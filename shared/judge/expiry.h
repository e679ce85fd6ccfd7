/* expiry: the cert.expiring alarm (issue 16; docs/trust.md): a certificate this node depends on
 * ends soon, and nobody would be told until its link was refused.
 *
 * A node judges the certificate of its own key in force, the one its parent runs on and the
 * publisher's whose bundles it takes, each against itself (subject kind "certificate", the subject
 * the certificate's node or "publisher"; no department, no answer clock):
 *   yellow  from EXPIRY_WARN_DAYS days before the certificate's end: renew it;
 *   red     from EXPIRY_ALARM_DAYS days before, and once it has ended;
 *   cleared when a later certificate (a renewal, a rotation) is in the set the node holds.
 * Like calendar.coverage, each change is stored and appended to the node's spool as an alert
 * record, so it travels up and the province sees it per node (`jiancha query nodes`).
 */
#ifndef JIANCHA_EXPIRY_H
#define JIANCHA_EXPIRY_H

#include "alert.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXPIRY_RULE "cert.expiring"
#define EXPIRY_WARN_DAYS 30
#define EXPIRY_ALARM_DAYS 7

/* A node on certificates whose certificate is in no set it holds: its end is unknown, which is
 * itself a yellow light (a certificate ending unseen is what the alarm is for). */
#define EXPIRY_END_UNKNOWN INT64_MIN

/* One certificate judged: whose it is and when it ends (0: none known, which clears a standing
 * alarm: development keys carry no certificate; EXPIRY_END_UNKNOWN: see above). The publisher's (publisher true; its subject is
 * "publisher", whose is unused) is the one the node's held bundles carry. */
struct expiry_cert {
    uint32_t whose;
    int64_t not_after_ms;
    bool publisher;
    uint32_t asked_gen; /* the node asked for this key generation's certificate (renewal) */
};

struct expiry_result {
    bool changed;           /* a change was stored and appended to the spool (not sealed) */
    bool open;              /* the alarm stands */
    enum alert_light light; /* its light, when open */
    int64_t next_ms;        /* when the clock alone changes it next, INT64_MAX if never */
};

/* Judges the alarm of one certificate as of now_ms within the caller's write transaction. */
int expiry_judge(store_txn_t *t, uint32_t node, const struct expiry_cert *c, int64_t now_ms,
                 struct expiry_result *res) __attribute__((warn_unused_result));

/* The same for each certificate in a write transaction of its own, sealing a change at once
 * (seal_at as spool.h). *next_ms: the earliest instant the clock alone changes one; *sealed:
 * batches sealed. */
int expiry_check(store_t *store, uint32_t node, const struct expiry_cert *certs, size_t n,
                 int64_t now_ms, uint32_t seal_at, int64_t *next_ms, uint64_t *sealed)
    __attribute__((warn_unused_result));

#endif
