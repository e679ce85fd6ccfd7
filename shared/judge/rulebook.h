/* rulebook: the catalogue and calendar a collector judges with, and where they come from.
 *
 * At start: the configured files; over them a newer catalogue kept in the store by an earlier run;
 * over those the bundles the province sent down (a catalogue bundle when newer; a calendar bundle
 * always, calendar files carrying no version). A bundle from the parent is verified (bundle.h: by
 * the publisher's certificate its chain carries, judged by the trust that starts from the
 * collector's root, or by a bare publisher key), parsed, kept (with its bundle.applied record, sealed at once so the
 * acknowledgement leaves) and put in force; revocation lists and certificate sets are kept and
 * acknowledged only (a collector judges no one's keys but the publisher's: a list puts revoked
 * publisher certificates out of force). The rulebook owns what it holds but the trust.
 */
#ifndef JIANCHA_RULEBOOK_H
#define JIANCHA_RULEBOOK_H

#include "bundle.h"
#include "calendar.h"
#include "catalog.h"
#include "err.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rulebook rulebook_t;

/* Both paths or neither (no rules until bundles bring them). Bundles are judged by `publishers`
 * (borrowed; it learns the chains bundles carry) and by the bare publisher_pk; both NULL refuses
 * them. ERR_CONFIG with why for a file that does not load. */
int rulebook_open(store_t *store, uint32_t node, const char *catalog_path,
                  const char *calendar_path, const uint8_t *publisher_pk,
                  cert_trust_t *publishers, rulebook_t **out, char *why, size_t why_len)
    __attribute__((warn_unused_result));
void rulebook_destroy(rulebook_t **p);

/* What is in force (borrowed: valid until the next rulebook_take that changes them); NULL when
 * there is none. The rules run only with both. */
const catalog_t *rulebook_catalog(const rulebook_t *r);
calendar_t *rulebook_calendar(const rulebook_t *r);

/* Do two rulebooks judge differently: another catalogue version or calendar, or one has rules
 * and the other not? (A reload swaps only then.) */
bool rulebook_differs(const rulebook_t *a, const rulebook_t *b);

struct rulebook_result {
    struct bundle bundle; /* borrows from the document */
    bool taken;           /* newer than the one held, and acknowledged */
    bool changed;         /* the catalogue or calendar in force changed: start the rules again */
    uint64_t sealed;      /* batches sealed for the acknowledgement */
};

/* A bundle from the parent. 0 with the result (taken false for one not newer), or an error with
 * why (no publisher key, signature, body, storage). */
int rulebook_take(rulebook_t *r, const void *doc, size_t len, const void *sig, size_t sig_len,
                  int64_t now_ms, uint32_t seal_at, struct rulebook_result *res,
                  char why[ERR_WHY_MAX]) __attribute__((warn_unused_result));

#endif
