/* schema: one dispatcher over the record kinds; each kind's layout is its own module's. */
#include "schema.h"

#include "alert.h"
#include "bundle.h"
#include "counter.h"
#include "err.h"
#include "event.h"
#include "keynote.h"
#include "sign.h"
#include "timestamp.h"
#include "wire.h"

#include <stdio.h>
#include <string.h>

static int
refuse(char *field, char *reason, const char *f, const char *why)
{
    snprintf(field, SCHEMA_FIELD_MAX, "%s", f);
    snprintf(reason, SCHEMA_REASON_MAX, "%s", why);
    return ERR_INVALID;
}

static bool
is_text(const wire_obj_t *m, const char *key, size_t max)
{
    const char *p;
    size_t l;
    return wire_obj_get_bytes(m, key, WIRE_STR, &p, &l) == 0 && l <= max;
}

static bool
text_is(const wire_obj_t *m, const char *key, const char *want)
{
    const char *p;
    size_t l;
    return wire_obj_get_bytes(m, key, WIRE_STR, &p, &l) == 0 && l == strlen(want) &&
           memcmp(p, want, l) == 0;
}

static int
check_audit(const wire_obj_t *m, char *field, char *reason)
{
    static const char *const texts[] = {"operator", "role", "action", "record", "outcome",
                                        "request"};
    uint64_t u;
    const char *p;
    size_t l;
    if (wire_obj_get_uint(m, "n", &u) != 0 || u == 0)
        return refuse(field, reason, "n", "must be the entry's number, from 1");
    if (wire_obj_get_uint(m, "seq", &u) != 0)
        return refuse(field, reason, "seq", "must be an unsigned integer");
    if (wire_obj_get_bytes(m, "prev", WIRE_BIN, &p, &l) != 0 || l != SIGN_HASH_BYTES)
        return refuse(field, reason, "prev", "must be 32 bytes (the previous entry's hash)");
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (!is_text(m, texts[i], 65536))
            return refuse(field, reason, texts[i], "must be text");
    if (wire_obj_get_bytes(m, "sig", WIRE_BIN, &p, &l) != 0 ||
        (l != 0 && l != SIGN_SIGNATURE_BYTES))
        return refuse(field, reason, "sig", "must be empty or a 64-byte signature");
    return 0;
}

static int
check_own(const char *type, const wire_obj_t *m, uint32_t node, const char *node_text,
          char *field, char *reason)
{
    if (strcmp(type, "alert") == 0) {
        const wire_obj_t *am = wire_obj_get(m, "alert");
        struct alert a;
        if (!am || alert_decode(am, &a) != 0)
            return refuse(field, reason, "alert", "is not an alert");
        if (strcmp(a.node, node_text) != 0)
            return refuse(field, reason, "alert.node", "is not the node whose log holds it");
        return 0;
    }
    if (strcmp(type, "counters") == 0)
        return counter_record_check(m, node) == 0
                   ? 0
                   : refuse(field, reason, "rows", "is not a day sheet of this node");
    if (strcmp(type, "bundle.applied") == 0) {
        char kind[BUNDLE_KIND_MAX];
        uint64_t v;
        if (wire_obj_get_text(m, "kind", kind, sizeof kind) != 0 || !bundle_kind_known(kind))
            return refuse(field, reason, "kind", "is not a bundle kind");
        if (wire_obj_get_uint(m, "version", &v) != 0)
            return refuse(field, reason, "version", "must be an unsigned integer");
        return 0;
    }
    if (strcmp(type, "audit") == 0)
        return check_audit(m, field, reason);
    if (strcmp(type, KEYNOTE_REQUEST) == 0 || strcmp(type, KEYNOTE_TRANSPORT) == 0) {
        char f[32], w[ERR_WHY_MAX];
        if ((strcmp(type, KEYNOTE_REQUEST) == 0 ? keynote_check(m, node_text, f, w)
                                                : keynote_check_transport(m, node_text, f, w)) == 0)
            return 0;
        snprintf(field, SCHEMA_FIELD_MAX, "%s", f);
        snprintf(reason, SCHEMA_REASON_MAX, "%.*s", SCHEMA_REASON_MAX - 1, w);
        return ERR_INVALID;
    }
    if (strcmp(type, "batch") == 0) {
        static const char *const bins[] = {"header", "key", "sig", "payload"};
        const char *p;
        size_t l;
        if (wire_obj_get_bytes(m, "origin", WIRE_STR, &p, &l) != 0 ||
            node_valid(p, l) != 0)
            return refuse(field, reason, "origin", "must be a six-digit division code");
        for (size_t i = 0; i < 4; i++)
            if (wire_obj_get_bytes(m, bins[i], WIRE_BIN, &p, &l) != 0)
                return refuse(field, reason, bins[i], "must be bytes");
        return 0;
    }
    char why[SCHEMA_REASON_MAX];
    snprintf(why, sizeof why, "unknown record type \"%.64s\"", type);
    return refuse(field, reason, "type", why);
}

int
schema_check(const void *record, size_t len, uint32_t node, char field[SCHEMA_FIELD_MAX],
             char reason[SCHEMA_REASON_MAX])
{
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    if (wire_decode_one(record, len, &r, &m) != 0)
        return refuse(field, reason, "", "is not one msgpack value");
    int rc = schema_check_map(m, node, field, reason);
    wire_reader_destroy(&r);
    return rc;
}

int
schema_check_map(const wire_obj_t *m, uint32_t node, char field[SCHEMA_FIELD_MAX],
                 char reason[SCHEMA_REASON_MAX])
{
    char node_text[NODE_LEN + 1];
    node_format(node, node_text);
    char type[32];
    int64_t at;
    int rc;
    if (wire_obj_type(m) != WIRE_MAP)
        rc = refuse(field, reason, "", "is not a map");
    else if (wire_obj_get_text(m, "type", type, sizeof type) != 0)
        rc = refuse(field, reason, "type", "required text field is missing");
    else if (!is_text(m, "id", EVENT_ID_MAX) || text_is(m, "id", ""))
        rc = refuse(field, reason, "id", "must be text of 1 to 64 bytes");
    else if (wire_obj_get_int(m, "at", &at) != 0 || at < TIMESTAMP_MIN_MS ||
             at >= TIMESTAMP_MAX_MS)
        rc = refuse(field, reason, "at", "must be Unix milliseconds from 2000 to 2099");
    else if (!text_is(m, "node", node_text))
        rc = refuse(field, reason, "node", "is not the node whose log holds the record");
    else {
        rc = event_check_canonical(m, node_text, field, reason);
        if (rc == ERR_NOT_FOUND)
            rc = check_own(type, m, node, node_text, field, reason);
    }
    return rc;
}
