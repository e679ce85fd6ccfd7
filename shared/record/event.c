/* event: validation and canonical encoding of events, driven by two tables (`business_types` and
 * `action_types` below) that mirror spec §3 and §4 line for line. To add a field or a type, change
 * the tables only.
 *
 * Order of work per record: parse (jansson for JSON, msgpack-c for msgpack; the validator reads
 * both through one small view, `struct val`, without converting), check `type`, `id`, `node`,
 * then each field of the type's row, then encode. Records are independent: one bad record never
 * affects another in the same message. A tier checks a stored record again in its canonical form
 * (event_check_canonical). This module stores nothing and knows nothing of sequences or
 * batches; division codes are node.h's.
 */
#include "event.h"

#include "err.h"
#include "mem.h"
#include "timestamp.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum kind {
    K_ID,      /* identifier */
    K_NODE,    /* six-digit division code */
    K_NAME,    /* name, at most 256 bytes */
    K_TEXT,    /* free text, at most 4096 bytes */
    K_TIME,    /* RFC 3339 or integer Unix ms; stored as ms */
    K_MONEY,   /* yuan with at most two decimals; stored as fen */
    K_ENUM,    /* one of a list of strings */
    K_ENUMS,   /* non-empty array of strings from a list */
    K_STRS,    /* array of non-empty texts (legal basis) */
    K_UINT,    /* non-negative integer */
    K_RATING,  /* integer 1..5 */
    K_SHA256,  /* 64 hex digits */
    K_LEVEL,   /* identifier or integer */
    K_OBJECT,  /* nested object checked against `sub` */
    K_OBJECTS, /* array of nested objects checked against `sub` */
};

struct field {
    const char *name;
    enum kind kind;
    bool required;
    const void *sub; /* enum list (NULL-terminated) or nested field list (name NULL-terminated) */
};

static const char *const categories[] = {"licensing",    "penalty",      "levy",
                                         "enforcement",  "confirmation", "adjudication",
                                         "payment",      "other",        NULL};
static const char *const evidence_kinds[] = {"video", "audio", "photo", "document", NULL};
static const char *const outcomes[] = {"grant", "deny", "penalty", "no_penalty", "other", NULL};
static const char *const complaint_kinds[] = {"complaint", "petition", "reconsideration", NULL};
static const char *const responses[] = {"explain", "correct", NULL};
static const char *const patrol_kinds[] = {"data", "video", "visit", "sample", NULL};
static const char *const export_whats[] = {"events", "alerts", "report", NULL};
static const char *const units[] = {"wd", "d", NULL};

static const struct field limit_fields[] = {
    {"n", K_UINT, true, NULL},
    {"unit", K_ENUM, true, units},
    {NULL, 0, 0, NULL},
};
static const struct field limits_fields[] = {
    {"promised", K_OBJECT, true, limit_fields},
    {"legal", K_OBJECT, true, limit_fields},
    {"extension", K_OBJECT, false, limit_fields},
    {NULL, 0, 0, NULL},
};
static const struct field step_fields[] = {
    {"name", K_NAME, true, NULL},
    {"limit", K_OBJECT, false, limit_fields},
    {NULL, 0, 0, NULL},
};
static const struct field penalty_fields[] = {
    {"amount", K_MONEY, true, NULL},
    {"level", K_LEVEL, true, NULL},
    {"circumstances", K_TEXT, false, NULL},
    {NULL, 0, 0, NULL},
};
static const struct field target_fields[] = {
    {"node", K_NODE, true, NULL},
    {"dept", K_ID, false, NULL},
    {NULL, 0, 0, NULL},
};

#define MAX_FIELDS 12

struct type_rule {
    const char *type;
    struct field fields[MAX_FIELDS];
};

/* Spec §3 (events from business systems), then §4 (supervision actions, below). `type`, `id`,
 * `at` and `node` are common to all and checked before these. */
static const struct type_rule business_types[] = {
    {"item.publish",
     {{"item", K_ID, true, NULL},
      {"dept", K_ID, true, NULL},
      {"name", K_NAME, true, NULL},
      {"category", K_ENUM, true, categories},
      {"limits", K_OBJECT, true, limits_fields},
      {"steps", K_OBJECTS, false, step_fields},
      {"basis", K_STRS, false, NULL},
      {"generated_at", K_TIME, false, NULL}}},
    {"item.withdraw", {{"item", K_ID, true, NULL}, {"reason", K_TEXT, false, NULL}}},
    {"staff.credential",
     {{"handler", K_ID, true, NULL},
      {"dept", K_ID, true, NULL},
      {"categories", K_ENUMS, true, categories},
      {"valid_from", K_TIME, true, NULL},
      {"valid_until", K_TIME, true, NULL},
      {"name", K_NAME, false, NULL}}},
    {"case.accept",
     {{"case", K_ID, true, NULL},
      {"item", K_ID, true, NULL},
      {"dept", K_ID, true, NULL},
      {"handler", K_ID, true, NULL},
      {"applicant", K_ID, false, NULL},
      {"channel", K_ID, false, NULL}}},
    {"case.step",
     {{"case", K_ID, true, NULL}, {"step", K_NAME, true, NULL}, {"handler", K_ID, true, NULL}}},
    {"case.rollback",
     {{"case", K_ID, true, NULL},
      {"to", K_NAME, true, NULL},
      {"handler", K_ID, true, NULL},
      {"reason", K_TEXT, false, NULL}}},
    {"case.suspend", {{"case", K_ID, true, NULL}, {"reason", K_TEXT, false, NULL}}},
    {"case.resume", {{"case", K_ID, true, NULL}, {"reason", K_TEXT, false, NULL}}},
    {"case.extend",
     {{"case", K_ID, true, NULL},
      {"limit", K_OBJECT, true, limit_fields},
      {"approver", K_ID, true, NULL}}},
    {"case.evidence",
     {{"case", K_ID, true, NULL},
      {"evidence", K_ID, true, NULL},
      {"kind", K_ENUM, true, evidence_kinds},
      {"sha256", K_SHA256, true, NULL},
      {"bytes", K_UINT, false, NULL}}},
    {"case.evidence_remove",
     {{"case", K_ID, true, NULL}, {"evidence", K_ID, true, NULL}, {"reason", K_TEXT, false, NULL}}},
    {"case.decision",
     {{"case", K_ID, true, NULL},
      {"outcome", K_ENUM, true, outcomes},
      {"handler", K_ID, true, NULL},
      {"basis", K_STRS, true, NULL},
      {"penalty", K_OBJECT, false, penalty_fields}}},
    {"case.execution",
     {{"case", K_ID, true, NULL},
      {"amount", K_MONEY, true, NULL},
      {"receipt_sha256", K_SHA256, false, NULL}}},
    {"case.close", {{"case", K_ID, true, NULL}, {"result", K_TEXT, false, NULL}}},
    {"rating",
     {{"case", K_ID, true, NULL},
      {"rating", K_RATING, true, NULL},
      {"channel", K_ID, false, NULL},
      {"comment", K_TEXT, false, NULL}}},
    {"complaint.open",
     {{"complaint", K_ID, true, NULL},
      {"dept", K_ID, true, NULL},
      {"kind", K_ENUM, false, complaint_kinds},
      {"case", K_ID, false, NULL},
      {"channel", K_ID, false, NULL},
      {"summary", K_TEXT, false, NULL},
      {"limit", K_OBJECT, false, limit_fields}}},
    {"complaint.close", {{"complaint", K_ID, true, NULL}, {"result", K_TEXT, true, NULL}}},
};

static const struct type_rule action_types[] = {
    {"alert.respond",
     {{"alert", K_ID, true, NULL},
      {"by", K_ID, true, NULL},
      {"action", K_ENUM, true, responses},
      {"text", K_TEXT, true, NULL}}},
    {"alert.close",
     {{"alert", K_ID, true, NULL}, {"by", K_ID, true, NULL}, {"verdict", K_TEXT, true, NULL}}},
    {"supervise.open",
     {{"supervision", K_ID, true, NULL},
      {"target", K_OBJECT, true, target_fields},
      {"subject", K_TEXT, true, NULL},
      {"by", K_ID, true, NULL},
      {"alert", K_ID, false, NULL}}},
    {"supervise.extend",
     {{"supervision", K_ID, true, NULL},
      {"limit", K_OBJECT, true, limit_fields},
      {"approver", K_ID, true, NULL}}},
    {"supervise.report",
     {{"supervision", K_ID, true, NULL}, {"by", K_ID, true, NULL}, {"text", K_TEXT, true, NULL}}},
    {"supervise.close",
     {{"supervision", K_ID, true, NULL}, {"by", K_ID, true, NULL}, {"text", K_TEXT, true, NULL}}},
    {"patrol",
     {{"supervisor", K_ID, true, NULL},
      {"target", K_NODE, true, NULL},
      {"kind", K_ENUM, true, patrol_kinds},
      {"findings", K_TEXT, false, NULL}}},
    {"followup",
     {{"case", K_ID, true, NULL},
      {"by", K_ID, true, NULL},
      {"channel", K_ID, true, NULL},
      {"result", K_TEXT, true, NULL}}},
    /* our extensions of §4 (docs/office.md): an operator reading a node's data, an export of
     * data, the deletion or correction of a stored record, each with the approval it needs, and
     * the draw of a spot check */
    /* `session`: a read on the centre's screen, unsigned, vouched for by the operator's sign-in */
    {"access.read",
     {{"what", K_TEXT, true, NULL}, {"by", K_ID, true, NULL}, {"session", K_ID, false, NULL}}},
    {"export",
     {{"what", K_ENUM, true, export_whats},
      {"target", K_NODE, true, NULL},
      {"period", K_ID, true, NULL},
      {"requester", K_ID, true, NULL},
      {"approval", K_TEXT, false, NULL}}},
    {"record.delete",
     {{"record", K_ID, true, NULL},
      {"reason", K_TEXT, true, NULL},
      {"requester", K_ID, true, NULL},
      {"approval", K_TEXT, false, NULL}}},
    {"record.correct",
     {{"record", K_ID, true, NULL},
      {"field", K_ID, true, NULL},
      {"value", K_TEXT, true, NULL},
      {"reason", K_TEXT, true, NULL},
      {"requester", K_ID, true, NULL},
      {"approval", K_TEXT, false, NULL}}},
    /* the centre's screen (docs/api.md): an operator's signed sign-in, valid until `until`; each
     * read made in the session it opens is an access.read naming it */
    {"web.signin", {{"by", K_ID, true, NULL}, {"until", K_TIME, true, NULL}}},
    {"sample.draw",
     {{"sample", K_ID, true, NULL},
      {"target", K_NODE, true, NULL},
      {"period", K_ID, true, NULL},
      {"seed", K_UINT, true, NULL},
      {"size", K_UINT, true, NULL},
      {"cases", K_STRS, true, NULL},
      {"by", K_ID, true, NULL}}},
};

static const struct field common_fields[] = {
    {"id", K_ID, true, NULL},
    {"at", K_TIME, true, NULL},
    {"node", K_NODE, false, NULL},
    {NULL, 0, 0, NULL},
};

/* ---- the result set ---- */

void
event_set_init(struct event_set *s)
{
    memset(s, 0, sizeof *s);
    wire_buf_init(&s->records);
}

void
event_set_fini(struct event_set *s)
{
    wire_buf_fini(&s->records);
    free(s->entries);
    free(s->rejects);
    memset(s, 0, sizeof *s);
}

void
event_set_reset(struct event_set *s)
{
    wire_buf_reset(&s->records);
    s->n_entries = 0;
    s->n_rejects = 0;
    s->n_rejected = 0;
    s->n_records = 0;
}

static void
add_reject(struct event_set *s, size_t index, const char *field, const char *reason)
{
    /* counted all; kept only the first few: a reply (and the memory for it) stays bounded */
    s->n_rejected++;
    if (s->n_rejects == EVENT_REJECTS_KEPT)
        return;
    if (s->n_rejects == s->cap_rejects) {
        s->cap_rejects = s->cap_rejects ? 2 * s->cap_rejects : 16;
        s->rejects = xrealloc(s->rejects, s->cap_rejects * sizeof *s->rejects);
    }
    struct event_reject *r = &s->rejects[s->n_rejects++];
    r->index = index;
    snprintf(r->field, sizeof r->field, "%s", field);
    snprintf(r->reason, sizeof r->reason, "%s", reason);
}

/* ---- one view over both parsers ----
 *
 * A record arrives as a jansson tree (JSON input) or a msgpack-c tree (msgpack input). Rather
 * than convert one into the other (an allocation per value), the validator and the encoder read
 * both through this small view. Msgpack trees are checked once up front (check_wire) for what
 * jansson guarantees by construction: valid UTF-8, string keys, no duplicate keys, bounded depth.
 */

enum vtype { V_NULL, V_BOOL, V_INT, V_REAL, V_STR, V_ARR, V_OBJ, V_BAD };

struct val {
    const json_t *j;
    const wire_obj_t *w;
};

static const struct val absent = {NULL, NULL};

static bool
v_present(struct val v)
{
    return v.j || v.w;
}

static enum vtype
v_type(struct val v)
{
    if (v.j) {
        switch (json_typeof(v.j)) {
        case JSON_NULL:
            return V_NULL;
        case JSON_TRUE:
        case JSON_FALSE:
            return V_BOOL;
        case JSON_INTEGER:
            return V_INT;
        case JSON_REAL:
            return V_REAL;
        case JSON_STRING:
            return V_STR;
        case JSON_ARRAY:
            return V_ARR;
        case JSON_OBJECT:
            return V_OBJ;
        }
        return V_BAD;
    }
    switch (wire_obj_type(v.w)) {
    case WIRE_NIL:
        return V_NULL;
    case WIRE_BOOL:
        return V_BOOL;
    case WIRE_UINT:
        return wire_obj_uint(v.w) > INT64_MAX ? V_BAD : V_INT;
    case WIRE_INT:
        return V_INT;
    case WIRE_FLOAT:
        return V_REAL;
    case WIRE_STR:
        return V_STR;
    case WIRE_ARRAY:
        return V_ARR;
    case WIRE_MAP:
        return V_OBJ;
    default:
        return V_BAD;
    }
}

static const char *
v_str(struct val v, size_t *len)
{
    if (v.j) {
        *len = json_string_length(v.j);
        return json_string_value(v.j);
    }
    return wire_obj_bytes(v.w, len);
}

/* Compares a string value with a C string. */
static bool
v_str_is(struct val v, const char *s)
{
    size_t len;
    const char *p = v_str(v, &len);
    return strlen(s) == len && memcmp(p, s, len) == 0;
}

static int64_t
v_int(struct val v)
{
    if (v.j)
        return json_integer_value(v.j);
    return wire_obj_type(v.w) == WIRE_UINT ? (int64_t)wire_obj_uint(v.w) : wire_obj_int(v.w);
}

static double
v_real(struct val v)
{
    return v.j ? json_real_value(v.j) : wire_obj_float(v.w);
}

static bool
v_bool(struct val v)
{
    return v.j ? json_is_true(v.j) : wire_obj_bool(v.w);
}

static size_t
v_size(struct val v)
{
    if (v.j)
        return json_is_array(v.j) ? json_array_size(v.j) : json_object_size(v.j);
    return wire_obj_size(v.w);
}

static struct val
v_at(struct val v, size_t i)
{
    struct val r = absent;
    if (v.j)
        r.j = json_array_get(v.j, i);
    else
        r.w = wire_obj_at(v.w, (uint32_t)i);
    return r;
}

static struct val
v_get(struct val v, const char *key)
{
    struct val r = absent;
    if (v.j)
        r.j = json_object_get(v.j, key);
    else
        r.w = wire_obj_get(v.w, key);
    return r;
}

struct v_iter {
    struct val obj;
    void *jit;
    uint32_t i;
};

static struct v_iter
v_iter_start(struct val obj)
{
    struct v_iter it = {obj, obj.j ? json_object_iter((json_t *)obj.j) : NULL, 0};
    return it;
}

/* Next key and value of an object, in the order they arrived. */
static bool
v_iter_next(struct v_iter *it, const char **key, size_t *klen, struct val *value)
{
    *value = absent;
    if (it->obj.j) {
        if (!it->jit)
            return false;
        *key = json_object_iter_key(it->jit);
        *klen = json_object_iter_key_len(it->jit);
        value->j = json_object_iter_value(it->jit);
        it->jit = json_object_iter_next((json_t *)it->obj.j, it->jit);
        return true;
    }
    if (it->i >= wire_obj_size(it->obj.w))
        return false;
    *key = wire_obj_bytes(wire_obj_key_at(it->obj.w, it->i), klen);
    value->w = wire_obj_at(it->obj.w, it->i);
    it->i++;
    return true;
}

static bool
utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= len)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        /* overlong forms, surrogates and values past U+10FFFF are not UTF-8 */
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return false;
        i += n + 1;
    }
    return true;
}

struct key_ref {
    const char *p;
    size_t len;
};

static int
cmp_key_ref(const void *a, const void *b)
{
    const struct key_ref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->p, y->p, n) : 0;
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Are a map's keys (strings, checked) all different? Small maps pairwise; large ones sorted, so a
 * hostile map of 60,000 keys costs milliseconds, not seconds. */
static bool
keys_unique(const wire_obj_t *o)
{
    uint32_t n = wire_obj_size(o);
    if (n <= 16) {
        /* each key read once, then compared pairwise: a record's map is small */
        const char *p[16];
        size_t l[16];
        for (uint32_t i = 0; i < n; i++)
            p[i] = wire_obj_bytes(wire_obj_key_at(o, i), &l[i]);
        for (uint32_t i = 1; i < n; i++)
            for (uint32_t j = 0; j < i; j++)
                if (l[j] == l[i] && (l[i] == 0 || (p[i][0] == p[j][0] &&
                                                   memcmp(p[i], p[j], l[i]) == 0)))
                    return false;
        return true;
    }
    struct key_ref *v = xcalloc(n, sizeof *v);
    for (uint32_t i = 0; i < n; i++)
        v[i].p = wire_obj_bytes(wire_obj_key_at(o, i), &v[i].len);
    qsort(v, n, sizeof *v, cmp_key_ref);
    bool unique = true;
    for (uint32_t i = 1; i < n && unique; i++)
        unique = cmp_key_ref(&v[i - 1], &v[i]) != 0;
    free(v);
    return unique;
}

/* What jansson guarantees for JSON, checked for a msgpack tree: 0 or a static reason. */
static const char *
check_wire(const wire_obj_t *o, int depth)
{
    size_t len;
    const char *p;
    if (depth > 16)
        return "nesting deeper than 16";
    switch (wire_obj_type(o)) {
    case WIRE_STR:
        p = wire_obj_bytes(o, &len);
        return utf8_valid((const unsigned char *)p, len) ? NULL : "a string is not valid UTF-8";
    case WIRE_BIN:
    case WIRE_OTHER:
        return "bin and ext values are not allowed";
    case WIRE_FLOAT:
        return isfinite(wire_obj_float(o)) ? NULL : "a number is not finite";
    case WIRE_ARRAY:
        for (uint32_t i = 0; i < wire_obj_size(o); i++) {
            const char *why = check_wire(wire_obj_at(o, i), depth + 1);
            if (why)
                return why;
        }
        return NULL;
    case WIRE_MAP:
        for (uint32_t i = 0; i < wire_obj_size(o); i++) {
            const wire_obj_t *k = wire_obj_key_at(o, i);
            if (wire_obj_type(k) != WIRE_STR)
                return "a map key is not a string";
            p = wire_obj_bytes(k, &len);
            if ((len && memchr(p, 0, len)) || !utf8_valid((const unsigned char *)p, len))
                return "a map key is not valid UTF-8 text";
        }
        if (!keys_unique(o))
            return "duplicate key in a map";
        for (uint32_t i = 0; i < wire_obj_size(o); i++) {
            const char *why = check_wire(wire_obj_at(o, i), depth + 1);
            if (why)
                return why;
        }
        return NULL;
    default:
        return NULL;
    }
}

/* ---- validation ---- */

struct check {
    char field[64];
    char reason[192];
    bool canonical; /* a stored record: money already in fen (event_check_canonical) */
};

/* Records the failing field as "prefix.name" (or "prefix[i]") and the reason. Paths are built
 * only here, on failure, so valid records pay nothing for them. */
static int
fail(struct check *c, const char *prefix, const char *name, long index, const char *reason)
{
    int n;
    if (index >= 0)
        n = snprintf(c->field, sizeof c->field, "%s[%ld]", prefix, index);
    else if (prefix[0])
        n = snprintf(c->field, sizeof c->field, "%s.%s", prefix, name);
    else
        n = snprintf(c->field, sizeof c->field, "%s", name);
    if (n >= (int)sizeof c->field)
        c->field[sizeof c->field - 1] = '\0';
    snprintf(c->reason, sizeof c->reason, "%s", reason);
    return ERR_INVALID;
}

/* A field's path for nested checks: "prefix.name". */
static void
join_path(char *out, size_t cap, const char *prefix, const char *name, long index)
{
    int n;
    if (index >= 0)
        n = snprintf(out, cap, "%s[%ld]", prefix, index);
    else if (prefix[0])
        n = snprintf(out, cap, "%s.%s", prefix, name);
    else
        n = snprintf(out, cap, "%s", name);
    if (n >= (int)cap)
        out[cap - 1] = '\0';
}

/* Where a value sits: the field name under a prefix, or an index of the prefix array. */
struct at {
    const char *prefix;
    const char *name;
    long index;
};

static int
failat(struct check *c, struct at a, const char *reason)
{
    return fail(c, a.prefix, a.name, a.index, reason);
}

static int
check_text(struct val v, size_t min, size_t max, bool controls_ok, struct at a, struct check *c)
{
    if (v_type(v) != V_STR)
        return failat(c, a, "must be a string");
    size_t len;
    const char *s = v_str(v, &len);
    if (len < min)
        return failat(c, a, "must not be empty");
    if (len > max) {
        char lim[64];
        snprintf(lim, sizeof lim, "longer than %zu bytes", max);
        return failat(c, a, lim);
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == 0 || (!controls_ok && (ch < 0x20 || ch == 0x7f)))
            return failat(c, a, "contains a control character");
    }
    return 0;
}

static bool
in_list(struct val v, const char *const *list)
{
    for (; *list; list++)
        if (v_str_is(v, *list))
            return true;
    return false;
}

static int
check_enum(struct val v, const char *const *list, struct at a, struct check *c)
{
    if (v_type(v) != V_STR)
        return failat(c, a, "must be a string");
    if (!in_list(v, list)) {
        char why[ERR_WHY_MAX] = "must be one of: ";
        for (const char *const *p = list; *p; p++) {
            strncat(why, *p, sizeof why - strlen(why) - 1);
            if (p[1])
                strncat(why, ", ", sizeof why - strlen(why) - 1);
        }
        return failat(c, a, why);
    }
    return 0;
}

/* Money arrives as a number of yuan; fen are exact only if it has at most two decimals. */
static int
money_to_fen(struct val v, int64_t *fen, struct at a, struct check *c)
{
    enum vtype t = v_type(v);
    if (c->canonical) {
        if (t != V_INT || v_int(v) < 0 || v_int(v) > 10000000000000LL)
            return failat(c, a, "must be a whole number of fen (0 to 100,000,000,000 yuan)");
        *fen = v_int(v);
        return 0;
    }
    if (t == V_INT) {
        int64_t y = v_int(v);
        if (y < 0 || y > 100000000000LL)
            return failat(c, a, "amount out of range (0 to 100,000,000,000 yuan)");
        *fen = y * 100;
        return 0;
    }
    if (t != V_REAL)
        return failat(c, a, "must be a number of yuan");
    double y = v_real(v);
    if (!isfinite(y) || y < 0 || y > 1e11)
        return failat(c, a, "amount out of range (0 to 100,000,000,000 yuan)");
    double f = y * 100.0;
    double r = nearbyint(f);
    if (fabs(f - r) > 1e-6 * (r > 1 ? r : 1))
        return failat(c, a, "more than two decimals");
    *fen = (int64_t)r;
    return 0;
}

static int
time_to_ms(struct val v, int64_t *ms, struct at a, struct check *c)
{
    enum vtype t = v_type(v);
    if (t == V_INT) {
        int64_t x = v_int(v);
        if (x < TIMESTAMP_MIN_MS || x >= TIMESTAMP_MAX_MS)
            return failat(c, a, "Unix milliseconds before 2000 or after 2099");
        *ms = x;
        return 0;
    }
    if (t != V_STR)
        return failat(c, a, "must be an RFC 3339 string or Unix milliseconds");
    size_t len;
    const char *s = v_str(v, &len);
    const char *why;
    if (timestamp_parse(s, len, ms, &why) != 0)
        return failat(c, a, why);
    return 0;
}

static int check_object(struct val obj, const struct field *fields, const char *prefix,
                        struct check *c);

static int
check_value(struct val v, const struct field *f, struct at a, struct check *c)
{
    int64_t tmp;
    char sub[64];
    switch (f->kind) {
    case K_ID:
        return check_text(v, 1, EVENT_ID_MAX, false, a, c);
    case K_NODE: {
        size_t len = 0;
        const char *s = v_type(v) == V_STR ? v_str(v, &len) : NULL;
        if (!s || node_valid(s, len) != 0)
            return failat(c, a, "must be a six-digit division code like \"510104\"");
        return 0;
    }
    case K_NAME:
        return check_text(v, 1, EVENT_NAME_MAX, false, a, c);
    case K_TEXT:
        return check_text(v, 0, EVENT_TEXT_MAX, true, a, c);
    case K_TIME:
        return time_to_ms(v, &tmp, a, c);
    case K_MONEY:
        return money_to_fen(v, &tmp, a, c);
    case K_ENUM:
        return check_enum(v, f->sub, a, c);
    case K_ENUMS:
    case K_STRS:
    case K_OBJECTS: {
        if (v_type(v) != V_ARR || (f->kind == K_ENUMS && v_size(v) == 0))
            return failat(c, a, f->kind == K_ENUMS   ? "must be a non-empty array"
                                : f->kind == K_STRS  ? "must be an array of strings"
                                                     : "must be an array of objects");
        join_path(sub, sizeof sub, a.prefix, a.name, a.index);
        for (size_t i = 0; i < v_size(v); i++) {
            struct val e = v_at(v, i);
            struct at ea = {sub, NULL, (long)i};
            int rc;
            if (f->kind == K_ENUMS) {
                rc = check_enum(e, f->sub, ea, c);
            } else if (f->kind == K_STRS) {
                rc = check_text(e, 1, EVENT_NAME_MAX, false, ea, c);
            } else {
                if (v_type(e) != V_OBJ)
                    return failat(c, ea, "must be an object");
                char esub[64];
                join_path(esub, sizeof esub, sub, NULL, (long)i);
                rc = check_object(e, f->sub, esub, c);
            }
            if (rc != 0)
                return rc;
        }
        return 0;
    }
    case K_UINT:
        if (v_type(v) != V_INT || v_int(v) < 0)
            return failat(c, a, "must be a non-negative integer");
        return 0;
    case K_RATING:
        if (v_type(v) != V_INT || v_int(v) < 1 || v_int(v) > 5)
            return failat(c, a, "must be an integer from 1 to 5");
        return 0;
    case K_SHA256: {
        size_t len = 0;
        const char *s = v_type(v) == V_STR ? v_str(v, &len) : NULL;
        if (!s || len != 64)
            return failat(c, a, "must be 64 hexadecimal digits");
        for (int i = 0; i < 64; i++)
            if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
                  (s[i] >= 'A' && s[i] <= 'F')))
                return failat(c, a, "must be 64 hexadecimal digits");
        return 0;
    }
    case K_LEVEL:
        if (v_type(v) == V_INT)
            return 0;
        return check_text(v, 1, EVENT_ID_MAX, false, a, c);
    case K_OBJECT:
        if (v_type(v) != V_OBJ)
            return failat(c, a, "must be an object");
        join_path(sub, sizeof sub, a.prefix, a.name, a.index);
        return check_object(v, f->sub, sub, c);
    }
    return failat(c, a, "unchecked kind");
}

static int
check_object(struct val obj, const struct field *fields, const char *prefix, struct check *c)
{
    for (const struct field *f = fields; f->name; f++) {
        struct val v = v_get(obj, f->name);
        struct at a = {prefix, f->name, -1};
        if (!v_present(v) || v_type(v) == V_NULL) {
            if (f->required)
                return failat(c, a, "required field is missing");
            continue;
        }
        if (check_value(v, f, a, c) != 0)
            return ERR_INVALID;
    }
    /* Limits are counts of days; a zero-day limit would be red at once and is never meant. */
    if (fields == limit_fields && v_int(v_get(obj, "n")) < 1) {
        struct at a = {prefix, "n", -1};
        return failat(c, a, "limit must be at least 1 day");
    }
    return 0;
}

int
event_refuse(char field[64], char reason[192], const char *f, const char *why)
{
    snprintf(field, 64, "%s", f);
    snprintf(reason, 192, "%s", why);
    return ERR_INVALID;
}

#define N_BUSINESS_TYPES (sizeof business_types / sizeof business_types[0])
#define N_ACTION_TYPES (sizeof action_types / sizeof action_types[0])

static const struct type_rule *
find_in(const struct type_rule *v, size_t n, const char *type, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (len && v[i].type[0] == type[0] && strlen(v[i].type) == len &&
            memcmp(v[i].type, type, len) == 0)
            return &v[i];
    return NULL;
}

static const struct type_rule *
find_type(const char *type, size_t len)
{
    const struct type_rule *t = find_in(business_types, N_BUSINESS_TYPES, type, len);
    return t ? t : find_in(action_types, N_ACTION_TYPES, type, len);
}

static bool
is_action(const struct type_rule *t)
{
    return t >= action_types && t < action_types + N_ACTION_TYPES;
}

bool
event_is_business(const char *type, size_t len)
{
    const struct type_rule *t = find_type(type, len);
    return t && !is_action(t);
}

/* ---- encoding ---- */

static const struct field *
find_field(const struct field *fields, const char *name, size_t len)
{
    if (!fields)
        return NULL;
    for (const struct field *f = fields; f->name; f++)
        if (len && f->name[0] == name[0] && strlen(f->name) == len &&
            memcmp(f->name, name, len) == 0)
            return f;
    return NULL;
}

static void encode_val(struct val v, const struct field *f, struct wire_buf *out);

/* Writes an object; `extra_node` is written last as "node" when given, for records that left
 * the node out (or set it to null, which is then dropped). */
static void
encode_object(struct val obj, const struct field *fields, const struct field *more,
              const char *extra_node, struct wire_buf *out)
{
    bool null_node = extra_node && v_present(v_get(obj, "node"));
    wire_put_map(out, (uint32_t)v_size(obj) + (extra_node ? 1 : 0) - (null_node ? 1 : 0));
    struct v_iter it = v_iter_start(obj);
    const char *key;
    size_t klen;
    struct val v;
    while (v_iter_next(&it, &key, &klen, &v)) {
        if (null_node && klen == 4 && memcmp(key, "node", 4) == 0)
            continue;
        const struct field *f = find_field(fields, key, klen);
        if (!f)
            f = find_field(more, key, klen);
        wire_put_str(out, key, klen);
        encode_val(v, f, out);
    }
    if (extra_node) {
        wire_put_cstr(out, "node");
        wire_put_cstr(out, extra_node);
    }
}

static void
encode_val(struct val v, const struct field *f, struct wire_buf *out)
{
    if (f && (f->kind == K_TIME || f->kind == K_MONEY)) {
        /* only here: clearing a check's messages for every value was most of the encoding */
        struct check ignored;
        ignored.canonical = false;
        struct at a = {"", "", -1};
        int64_t n;
        if ((f->kind == K_TIME ? time_to_ms(v, &n, a, &ignored)
                               : money_to_fen(v, &n, a, &ignored)) == 0) {
            wire_put_int(out, n);
            return;
        }
    }
    switch (v_type(v)) {
    case V_OBJ:
        encode_object(v, f && f->kind == K_OBJECT ? f->sub : NULL, NULL, NULL, out);
        break;
    case V_ARR: {
        wire_put_array(out, (uint32_t)v_size(v));
        struct field nested = {NULL, K_OBJECT, false, NULL};
        const struct field *ef = NULL;
        if (f && f->kind == K_OBJECTS) {
            nested.sub = f->sub;
            ef = &nested;
        }
        for (size_t i = 0; i < v_size(v); i++)
            encode_val(v_at(v, i), ef, out);
        break;
    }
    case V_STR: {
        size_t len;
        const char *s = v_str(v, &len);
        wire_put_str(out, s, len);
        break;
    }
    case V_INT:
        wire_put_int(out, v_int(v));
        break;
    case V_REAL:
        wire_put_double(out, v_real(v));
        break;
    case V_BOOL:
        wire_put_bool(out, v_bool(v));
        break;
    case V_NULL:
    case V_BAD:
        wire_put_nil(out);
        break;
    }
}

/* ---- one record ---- */

static void
take_record(struct val obj, size_t index, const char *node, struct event_set *out)
{
    struct check c = {.canonical = false};
    out->n_records++;
    if (v_type(obj) != V_OBJ) {
        add_reject(out, index, "", "record is not an object");
        return;
    }
    struct val type = v_get(obj, "type");
    if (!v_present(type)) {
        add_reject(out, index, "type", "required field is missing");
        return;
    }
    if (v_type(type) != V_STR) {
        add_reject(out, index, "type", "must be a string");
        return;
    }
    size_t tlen;
    const char *tname = v_str(type, &tlen);
    const struct type_rule *rule = find_type(tname, tlen);
    if (!rule) {
        char why[ERR_WHY_MAX];
        snprintf(why, sizeof why, "unknown event type \"%.*s\"", (int)(tlen < 100 ? tlen : 100),
                 tname);
        add_reject(out, index, "type", why);
        return;
    }
    if (check_object(obj, common_fields, "", &c) != 0 ||
        check_object(obj, rule->fields, "", &c) != 0) {
        add_reject(out, index, c.field, c.reason);
        return;
    }
    struct val n = v_get(obj, "node");
    bool has_node = v_present(n) && v_type(n) != V_NULL;
    if (has_node && !v_str_is(n, node)) {
        char why[ERR_WHY_MAX];
        size_t len;
        const char *p = v_str(n, &len);
        snprintf(why, sizeof why, "node %.*s is not this collector's node %s", (int)len, p, node);
        add_reject(out, index, "node", why);
        return;
    }
    if (out->n_entries == out->cap_entries) {
        out->cap_entries = out->cap_entries ? 2 * out->cap_entries : 64;
        out->entries = xrealloc(out->entries, out->cap_entries * sizeof *out->entries);
    }
    struct event_entry *e = &out->entries[out->n_entries++];
    e->index = index;
    e->action = is_action(rule);
    e->off = out->records.len;
    size_t idlen;
    const char *id = v_str(v_get(obj, "id"), &idlen);
    memcpy(e->id, id, idlen);
    e->id[idlen] = '\0';
    struct at a = {"", "at", -1};
    (void)time_to_ms(v_get(obj, "at"), &e->at_ms, a, &c);
    /* A null node is replaced too: it is written once, at the end. */
    encode_object(obj, rule->fields, common_fields, has_node ? NULL : node, &out->records);
    e->len = out->records.len - e->off;
}

int
event_check_canonical(const wire_obj_t *record, const char *node, char field[64],
                      char reason[192])
{
    struct check c = {.canonical = true};
    struct val obj = {NULL, record};
    if (v_type(obj) != V_OBJ)
        return event_refuse(field, reason, "", "record is not a map");
    struct val type = v_get(obj, "type");
    if (v_type(type) != V_STR)
        return event_refuse(field, reason, "type", "required string field is missing");
    size_t tlen;
    const char *tname = v_str(type, &tlen);
    const struct type_rule *rule = find_type(tname, tlen);
    if (!rule)
        return ERR_NOT_FOUND; /* a node's own record: bytes and all are its kind's to judge */
    const char *why = check_wire(record, 0);
    if (why)
        return event_refuse(field, reason, "", why);
    if (check_object(obj, common_fields, "", &c) != 0 ||
        check_object(obj, rule->fields, "", &c) != 0)
        return event_refuse(field, reason, c.field, c.reason);
    /* stored records carry their node, and only the node whose log holds them */
    if (!v_str_is(v_get(obj, "node"), node))
        return event_refuse(field, reason, "node", "is not the node whose log holds the record");
    return 0;
}

static void
take_json_text(const char *text, size_t len, size_t index, const char *node, struct event_set *out)
{
    json_error_t jerr;
    json_t *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!obj) {
        char why[ERR_WHY_MAX];
        out->n_records++;
        snprintf(why, sizeof why, "malformed JSON at column %d: %.150s", jerr.column, jerr.text);
        add_reject(out, index, "", why);
        return;
    }
    struct val v = {obj, NULL};
    take_record(v, index, node, out);
    json_decref(obj);
}

static size_t
skip_space(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i;
}

static void
take_wire(const wire_obj_t *o, size_t index, const char *node, struct event_set *out)
{
    const char *why = check_wire(o, 0);
    if (why) {
        char text[192];
        out->n_records++;
        snprintf(text, sizeof text, "msgpack record refused: %s", why);
        add_reject(out, index, "", text);
        return;
    }
    struct val v = {NULL, o};
    take_record(v, index, node, out);
}

int
event_parse_message(const void *body, size_t len, const char *node, struct event_set *out)
{
    const char *s = body;
    event_set_reset(out);
    size_t i = skip_space(s, len, 0);
    if (i == len) {
        add_reject(out, 0, "", "empty message");
        return ERR_DECODE;
    }
    if (s[i] == '[') {
        json_error_t jerr;
        json_t *arr = json_loadb(s, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!arr) {
            char why[ERR_WHY_MAX];
            snprintf(why, sizeof why, "malformed JSON array at line %d column %d: %.120s",
                     jerr.line, jerr.column, jerr.text);
            add_reject(out, 0, "", why);
            return ERR_DECODE;
        }
        for (size_t k = 0; k < json_array_size(arr); k++) {
            struct val v = {json_array_get(arr, k), NULL};
            take_record(v, k, node, out);
        }
        json_decref(arr);
        return 0;
    }
    if (s[i] == '{') {
        /* JSON Lines: each non-blank line is one record, numbered from 0. */
        size_t index = 0;
        size_t start = 0;
        while (start < len) {
            const char *nl = memchr(s + start, '\n', len - start);
            size_t end = nl ? (size_t)(nl - s) : len;
            if (skip_space(s, end, start) < end)
                take_json_text(s + start, end - start, index++, node, out);
            start = end + 1;
        }
        return 0;
    }
    /* Anything else must be msgpack: one map, or an array of maps. */
    wire_reader_t *r = NULL;
    const wire_obj_t *top;
    if (wire_decode_one(body, len, &r, &top) != 0) {
        add_reject(out, 0, "", "message is neither JSON nor a single msgpack value");
        return ERR_DECODE;
    }
    if (wire_obj_type(top) == WIRE_ARRAY) {
        for (uint32_t k = 0; k < wire_obj_size(top); k++)
            take_wire(wire_obj_at(top, k), k, node, out);
    } else {
        take_wire(top, 0, node, out);
    }
    wire_reader_destroy(&r);
    return 0;
}

int
event_jsonl_to_msgpack(const char *text, size_t len, struct wire_buf *out, size_t *bad_line)
{
    struct wire_buf items;
    wire_buf_init(&items);
    size_t start = 0, line = 0, n = 0;
    int rc = 0;
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        line++;
        if (skip_space(text, end, start) < end) {
            json_error_t jerr;
            json_t *o = json_loadb(text + start, end - start, JSON_REJECT_DUPLICATES, &jerr);
            if (!o) {
                *bad_line = line;
                rc = ERR_DECODE;
                break;
            }
            struct val v = {o, NULL};
            encode_val(v, NULL, &items);
            json_decref(o);
            n++;
        }
        start = end + 1;
    }
    if (rc == 0) {
        wire_put_array(out, (uint32_t)n);
        wire_buf_append(out, items.data, items.len);
    }
    wire_buf_fini(&items);
    return rc == 0 ? (int)n : rc;
}

/* ---- canonical record back to JSON, for people ---- */

static json_t *
to_json(const wire_obj_t *o, const struct field *f, const struct field *more, int depth);

static json_t *
scalar_to_json(const wire_obj_t *o)
{
    size_t len;
    const char *p;
    switch (wire_obj_type(o)) {
    case WIRE_BOOL:
        return json_boolean(wire_obj_bool(o));
    case WIRE_UINT:
        return json_integer((json_int_t)wire_obj_uint(o));
    case WIRE_INT:
        return json_integer(wire_obj_int(o));
    case WIRE_FLOAT:
        return json_real(wire_obj_float(o));
    case WIRE_STR:
        p = wire_obj_bytes(o, &len);
        return json_stringn(p, len);
    default:
        return json_null();
    }
}

static json_t *
map_to_json(const wire_obj_t *o, const struct field *fields, const struct field *more, int depth)
{
    json_t *m = json_object();
    for (uint32_t i = 0; i < wire_obj_size(o); i++) {
        const wire_obj_t *k = wire_obj_key_at(o, i);
        size_t len;
        const char *p = wire_obj_bytes(k, &len);
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(len < 127 ? len : 127), p);
        const struct field *f = find_field(fields, key, strlen(key));
        if (!f)
            f = find_field(more, key, strlen(key));
        json_t *v = to_json(wire_obj_at(o, i), f, NULL, depth + 1);
        json_object_set_new(m, key, v ? v : json_null());
    }
    return m;
}

static json_t *
to_json(const wire_obj_t *o, const struct field *f, const struct field *more, int depth)
{
    (void)more;
    if (depth > 16)
        return json_null();
    enum wire_type t = wire_obj_type(o);
    if (f && f->kind == K_TIME && (t == WIRE_UINT || t == WIRE_INT)) {
        char buf[TIMESTAMP_TEXT_MAX];
        timestamp_format(t == WIRE_UINT ? (int64_t)wire_obj_uint(o) : wire_obj_int(o), buf);
        return json_string(buf);
    }
    if (f && f->kind == K_MONEY && (t == WIRE_UINT || t == WIRE_INT)) {
        int64_t fen = t == WIRE_UINT ? (int64_t)wire_obj_uint(o) : wire_obj_int(o);
        return json_real((double)fen / 100.0);
    }
    if (t == WIRE_MAP)
        return map_to_json(o, f && f->kind == K_OBJECT ? f->sub : NULL, NULL, depth);
    if (t == WIRE_ARRAY) {
        json_t *a = json_array();
        struct field nested = {NULL, K_OBJECT, false, NULL};
        const struct field *ef = NULL;
        if (f && f->kind == K_OBJECTS) {
            nested.sub = f->sub;
            ef = &nested;
        }
        for (uint32_t i = 0; i < wire_obj_size(o); i++)
            json_array_append_new(a, to_json(wire_obj_at(o, i), ef, NULL, depth + 1));
        return a;
    }
    return scalar_to_json(o);
}

char *
event_record_to_json(const void *record, size_t len)
{
    wire_reader_t *r = NULL;
    const wire_obj_t *top;
    if (wire_decode_one(record, len, &r, &top) != 0 || wire_obj_type(top) != WIRE_MAP) {
        wire_reader_destroy(&r);
        return NULL;
    }
    const struct field *fields = NULL;
    const char *type;
    size_t tlen;
    if (wire_obj_get_bytes(top, "type", WIRE_STR, &type, &tlen) == 0) {
        const struct type_rule *rule = find_type(type, tlen);
        if (rule)
            fields = rule->fields;
    }
    json_t *obj = map_to_json(top, fields, common_fields, 0);
    char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    json_decref(obj);
    wire_reader_destroy(&r);
    return text;
}

int
event_required_fields(const char *type, const char **names, int max)
{
    const struct type_rule *rule = find_type(type, strlen(type));
    if (!rule)
        return ERR_NOT_FOUND;
    int n = 0;
    for (const struct field *f = rule->fields; f->name && n < max; f++)
        if (f->required)
            names[n++] = f->name;
    return n;
}

int
event_record_peek(const void *record, size_t len, char type[32], char id[EVENT_ID_MAX + 1])
{
    wire_reader_t *r = NULL;
    const wire_obj_t *top;
    const char *p, *q;
    size_t plen, qlen;
    if (wire_decode_one(record, len, &r, &top) != 0 ||
        wire_obj_get_bytes(top, "type", WIRE_STR, &p, &plen) != 0 ||
        wire_obj_get_bytes(top, "id", WIRE_STR, &q, &qlen) != 0) {
        wire_reader_destroy(&r);
        return ERR_DECODE;
    }
    snprintf(type, 32, "%.*s", (int)(plen < 31 ? plen : 31), p);
    snprintf(id, EVENT_ID_MAX + 1, "%.*s", (int)(qlen < EVENT_ID_MAX ? qlen : EVENT_ID_MAX), q);
    wire_reader_destroy(&r);
    return 0;
}
