/* arrival: the effects of a stored record, one row per kind. */
#include "arrival.h"

#include "bundle.h"
#include "counter.h"
#include "desk.h"
#include "err.h"
#include "keynote.h"

#include <string.h>

struct arrival_rec {
    uint32_t origin;
    uint64_t seq;
    const void *rec;
    size_t len;
    const wire_obj_t *m;
};

static int
take_alert(store_txn_t *t, const struct arrival_rec *r)
{
    return desk_note_alert(t, r->origin, r->m);
}

static int
take_change(store_txn_t *t, const struct arrival_rec *r)
{
    return desk_note_change(t, r->origin, r->seq, r->m);
}

static int
take_counters(store_txn_t *t, const struct arrival_rec *r)
{
    bool taken;
    int rc = counter_apply(t, r->origin, r->rec, r->len, r->m, &taken);
    return rc == ERR_DECODE ? 0 : rc;
}

static int
take_bundle_applied(store_txn_t *t, const struct arrival_rec *r)
{
    int rc = bundle_note_applied(t, r->origin, r->m);
    return rc == ERR_DECODE ? 0 : rc;
}

static int
take_key_request(store_txn_t *t, const struct arrival_rec *r)
{
    int rc = keynote_note(t, r->origin, r->m);
    return rc == ERR_DECODE ? 0 : rc;
}

static int
take_key_transport(store_txn_t *t, const struct arrival_rec *r)
{
    int rc = keynote_note_transport(t, r->origin, r->m);
    return rc == ERR_DECODE ? 0 : rc;
}

static const struct {
    const char *type;
    bool prefix; /* the type starts with this */
    bool urgent; /* goes up at once, not at the next flush */
    int (*take)(store_txn_t *t, const struct arrival_rec *r);
} kinds[] = {
    {"alert", false, true, take_alert},
    {"record.", true, false, take_change},
    {"counters", false, false, take_counters},
    {"bundle.applied", false, false, take_bundle_applied},
    {KEYNOTE_REQUEST, false, true, take_key_request},
    {KEYNOTE_TRANSPORT, false, false, take_key_transport},
};

int
arrival_take(store_txn_t *t, uint32_t origin, uint64_t seq, const void *rec, size_t len,
             const wire_obj_t *m, bool *urgent)
{
    const char *type;
    size_t tl;
    if (wire_obj_get_bytes(m, "type", WIRE_STR, &type, &tl) != 0)
        return 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t kl = strlen(kinds[i].type);
        if (kinds[i].prefix ? tl < kl || memcmp(type, kinds[i].type, kl) != 0
                            : tl != kl || memcmp(type, kinds[i].type, kl) != 0)
            continue;
        if (kinds[i].urgent)
            *urgent = true;
        struct arrival_rec r = {origin, seq, rec, len, m};
        return kinds[i].take(t, &r);
    }
    return 0;
}
