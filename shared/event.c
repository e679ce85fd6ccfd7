/* event: validation and canonical encoding of events, driven by one table (`types` below) that
 * mirrors spec §3 and §4 line for line. To add a field or a type, change the table only.
 *
 * Order of work per record: parse (jansson, or msgpack converted to jansson so both paths share
 * one validator), check `type`, `id`, `node`, then each field of the type's row, then encode.
 * Records are independent: one bad record never affects another in the same message.
 * This module does not store anything and knows nothing of sequences or batches.
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

/* Spec §3 (events from business systems) and §4 (supervision actions). `type`, `id`, `at` and
 * `node` are common to all and checked before these. */
static const struct type_rule types[] = {
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
    s->n_records = 0;
}

static void
add_reject(struct event_set *s, size_t index, const char *field, const char *reason)
{
    if (s->n_rejects == s->cap_rejects) {
        s->cap_rejects = s->cap_rejects ? 2 * s->cap_rejects : 16;
        s->rejects = xrealloc(s->rejects, s->cap_rejects * sizeof *s->rejects);
    }
    struct event_reject *r = &s->rejects[s->n_rejects++];
    r->index = index;
    snprintf(r->field, sizeof r->field, "%s", field);
    snprintf(r->reason, sizeof r->reason, "%s", reason);
}

/* ---- validation ---- */

struct check {
    char field[64];
    char reason[192];
};

static int
fail(struct check *c, const char *path, const char *reason)
{
    snprintf(c->field, sizeof c->field, "%s", path);
    snprintf(c->reason, sizeof c->reason, "%s", reason);
    return ERR_INVALID;
}

/* "path[i]" for an element of an array field; truncation only shortens the error text. */
static void
element_path(char *out, size_t cap, const char *path, size_t i)
{
    if (snprintf(out, cap, "%s[%zu]", path, i) >= (int)cap)
        out[cap - 1] = '\0';
}

static int
check_text(const json_t *v, size_t min, size_t max, bool controls_ok, const char *path,
           struct check *c)
{
    if (!json_is_string(v))
        return fail(c, path, "must be a string");
    size_t len = json_string_length(v);
    const char *s = json_string_value(v);
    if (len < min)
        return fail(c, path, "must not be empty");
    if (len > max) {
        char lim[64];
        snprintf(lim, sizeof lim, "longer than %zu bytes", max);
        return fail(c, path, lim);
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == 0 || (!controls_ok && (ch < 0x20 || ch == 0x7f)))
            return fail(c, path, "contains a control character");
    }
    return 0;
}

static bool
in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

static int
check_enum(const json_t *v, const char *const *list, const char *path, struct check *c)
{
    if (!json_is_string(v))
        return fail(c, path, "must be a string");
    if (!in_list(json_string_value(v), list)) {
        char all[160] = "";
        for (const char *const *p = list; *p; p++) {
            strncat(all, *p, sizeof all - strlen(all) - 1);
            if (p[1])
                strncat(all, ", ", sizeof all - strlen(all) - 1);
        }
        char why[192];
        snprintf(why, sizeof why, "must be one of: %s", all);
        return fail(c, path, why);
    }
    return 0;
}

/* Money arrives as a JSON number of yuan; fen are exact only if it has at most two decimals. */
static int
money_to_fen(const json_t *v, int64_t *fen, const char *path, struct check *c)
{
    if (json_is_integer(v)) {
        json_int_t y = json_integer_value(v);
        if (y < 0 || y > 100000000000LL)
            return fail(c, path, "amount out of range (0 to 100,000,000,000 yuan)");
        *fen = (int64_t)y * 100;
        return 0;
    }
    if (!json_is_real(v))
        return fail(c, path, "must be a number of yuan");
    double y = json_real_value(v);
    if (!isfinite(y) || y < 0 || y > 1e11)
        return fail(c, path, "amount out of range (0 to 100,000,000,000 yuan)");
    double f = y * 100.0;
    double r = nearbyint(f);
    if (fabs(f - r) > 1e-6 * (r > 1 ? r : 1))
        return fail(c, path, "more than two decimals");
    *fen = (int64_t)r;
    return 0;
}

static int
time_to_ms(const json_t *v, int64_t *ms, const char *path, struct check *c)
{
    if (json_is_integer(v)) {
        json_int_t t = json_integer_value(v);
        if (t < TIMESTAMP_MIN_MS || t >= TIMESTAMP_MAX_MS)
            return fail(c, path, "Unix milliseconds before 2000 or after 2099");
        *ms = t;
        return 0;
    }
    if (!json_is_string(v))
        return fail(c, path, "must be an RFC 3339 string or Unix milliseconds");
    const char *why;
    if (timestamp_parse(json_string_value(v), json_string_length(v), ms, &why) != 0)
        return fail(c, path, why);
    return 0;
}

static int check_object(const json_t *obj, const struct field *fields, const char *prefix,
                        struct check *c);

static int
check_value(const json_t *v, const struct field *f, const char *path, struct check *c)
{
    int64_t tmp;
    switch (f->kind) {
    case K_ID:
        return check_text(v, 1, EVENT_ID_MAX, false, path, c);
    case K_NODE:
        if (!json_is_string(v) ||
            event_node_valid(json_string_value(v), json_string_length(v)) != 0)
            return fail(c, path, "must be a six-digit division code like \"510104\"");
        return 0;
    case K_NAME:
        return check_text(v, 1, EVENT_NAME_MAX, false, path, c);
    case K_TEXT:
        return check_text(v, 0, EVENT_TEXT_MAX, true, path, c);
    case K_TIME:
        return time_to_ms(v, &tmp, path, c);
    case K_MONEY:
        return money_to_fen(v, &tmp, path, c);
    case K_ENUM:
        return check_enum(v, f->sub, path, c);
    case K_ENUMS: {
        if (!json_is_array(v) || json_array_size(v) == 0)
            return fail(c, path, "must be a non-empty array");
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e)
        {
            char sub[64];
            element_path(sub, sizeof sub, path, i);
            if (check_enum(e, f->sub, sub, c) != 0)
                return ERR_INVALID;
        }
        return 0;
    }
    case K_STRS: {
        if (!json_is_array(v))
            return fail(c, path, "must be an array of strings");
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e)
        {
            char sub[64];
            element_path(sub, sizeof sub, path, i);
            if (check_text(e, 1, EVENT_NAME_MAX, false, sub, c) != 0)
                return ERR_INVALID;
        }
        return 0;
    }
    case K_UINT:
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return fail(c, path, "must be a non-negative integer");
        return 0;
    case K_RATING:
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 5)
            return fail(c, path, "must be an integer from 1 to 5");
        return 0;
    case K_SHA256: {
        if (!json_is_string(v) || json_string_length(v) != 64)
            return fail(c, path, "must be 64 hexadecimal digits");
        const char *s = json_string_value(v);
        for (int i = 0; i < 64; i++)
            if (!strchr("0123456789abcdefABCDEF", s[i]))
                return fail(c, path, "must be 64 hexadecimal digits");
        return 0;
    }
    case K_LEVEL:
        if (json_is_integer(v))
            return 0;
        return check_text(v, 1, EVENT_ID_MAX, false, path, c);
    case K_OBJECT:
        if (!json_is_object(v))
            return fail(c, path, "must be an object");
        return check_object(v, f->sub, path, c);
    case K_OBJECTS: {
        if (!json_is_array(v))
            return fail(c, path, "must be an array of objects");
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e)
        {
            char sub[64];
            element_path(sub, sizeof sub, path, i);
            if (!json_is_object(e))
                return fail(c, sub, "must be an object");
            if (check_object(e, f->sub, sub, c) != 0)
                return ERR_INVALID;
        }
        return 0;
    }
    }
    return fail(c, path, "unchecked kind");
}

static int
check_object(const json_t *obj, const struct field *fields, const char *prefix, struct check *c)
{
    for (const struct field *f = fields; f->name; f++) {
        char path[64];
        if (prefix[0])
            snprintf(path, sizeof path, "%s.%s", prefix, f->name);
        else
            snprintf(path, sizeof path, "%s", f->name);
        const json_t *v = json_object_get(obj, f->name);
        if (!v || json_is_null(v)) {
            if (f->required)
                return fail(c, path, "required field is missing");
            continue;
        }
        if (check_value(v, f, path, c) != 0)
            return ERR_INVALID;
    }
    /* Limits are counts of days; a zero-day limit would be red at once and is never meant. */
    if (fields == limit_fields && json_integer_value(json_object_get(obj, "n")) < 1)
        return fail(c, prefix[0] ? prefix : "n", "limit must be at least 1 day");
    return 0;
}

int
event_node_valid(const char *s, size_t len)
{
    if (len != EVENT_NODE_LEN)
        return ERR_INVALID;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return ERR_INVALID;
    return 0;
}

uint32_t
event_node_number(const char *node)
{
    uint32_t v = 0;
    for (int i = 0; i < EVENT_NODE_LEN && node[i]; i++)
        v = v * 10 + (uint32_t)(node[i] - '0');
    return v;
}

void
event_node_text(uint32_t number, char out[EVENT_NODE_LEN + 1])
{
    snprintf(out, EVENT_NODE_LEN + 1, "%06u", number % 1000000u);
}

static const struct type_rule *
find_type(const char *type)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].type, type) == 0)
            return &types[i];
    return NULL;
}

/* ---- encoding ---- */

static const struct field *
find_field(const struct field *fields, const char *name)
{
    if (!fields)
        return NULL;
    for (const struct field *f = fields; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

static void encode_json(const json_t *v, const struct field *f, struct wire_buf *out);

static void
encode_object(const json_t *obj, const struct field *fields, const struct field *more,
              struct wire_buf *out)
{
    wire_put_map(out, (uint32_t)json_object_size(obj));
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        const struct field *f = find_field(fields, key);
        if (!f)
            f = find_field(more, key);
        wire_put_cstr(out, key);
        encode_json(v, f, out);
    }
}

static void
encode_json(const json_t *v, const struct field *f, struct wire_buf *out)
{
    struct check ignored;
    int64_t n;
    if (f && f->kind == K_TIME && time_to_ms(v, &n, "", &ignored) == 0) {
        wire_put_int(out, n);
        return;
    }
    if (f && f->kind == K_MONEY && money_to_fen(v, &n, "", &ignored) == 0) {
        wire_put_int(out, n);
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        encode_object(v, f && f->kind == K_OBJECT ? f->sub : NULL, NULL, out);
        break;
    case JSON_ARRAY: {
        wire_put_array(out, (uint32_t)json_array_size(v));
        size_t i;
        const json_t *e;
        const struct field *ef = NULL;
        struct field nested = {NULL, K_OBJECT, false, NULL};
        if (f && f->kind == K_OBJECTS) {
            nested.sub = f->sub;
            ef = &nested;
        }
        json_array_foreach(v, i, e) encode_json(e, ef, out);
        break;
    }
    case JSON_STRING:
        wire_put_str(out, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        wire_put_int(out, json_integer_value(v));
        break;
    case JSON_REAL:
        wire_put_double(out, json_real_value(v));
        break;
    case JSON_TRUE:
        wire_put_bool(out, true);
        break;
    case JSON_FALSE:
        wire_put_bool(out, false);
        break;
    case JSON_NULL:
        wire_put_nil(out);
        break;
    }
}

/* ---- msgpack input: converted to jansson so one validator serves both ---- */

static json_t *
from_wire(const wire_obj_t *o, int depth)
{
    if (depth > 16)
        return NULL;
    size_t len;
    const char *p;
    switch (wire_obj_type(o)) {
    case WIRE_NIL:
        return json_null();
    case WIRE_BOOL:
        return json_boolean(wire_obj_bool(o));
    case WIRE_UINT:
        if (wire_obj_uint(o) > INT64_MAX)
            return NULL;
        return json_integer((json_int_t)wire_obj_uint(o));
    case WIRE_INT:
        return json_integer(wire_obj_int(o));
    case WIRE_FLOAT:
        return isfinite(wire_obj_float(o)) ? json_real(wire_obj_float(o)) : NULL;
    case WIRE_STR:
        p = wire_obj_bytes(o, &len);
        return json_stringn(p, len); /* NULL on invalid UTF-8 */
    case WIRE_ARRAY: {
        json_t *a = json_array();
        for (uint32_t i = 0; i < wire_obj_size(o); i++) {
            json_t *e = from_wire(wire_obj_at(o, i), depth + 1);
            if (!e) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, e);
        }
        return a;
    }
    case WIRE_MAP: {
        json_t *m = json_object();
        for (uint32_t i = 0; i < wire_obj_size(o); i++) {
            const wire_obj_t *k = wire_obj_key_at(o, i);
            if (wire_obj_type(k) != WIRE_STR) {
                json_decref(m);
                return NULL;
            }
            p = wire_obj_bytes(k, &len);
            json_t *e = from_wire(wire_obj_at(o, i), depth + 1);
            if (!e || memchr(p, 0, len) || json_object_setn_new(m, p, len, e) != 0) {
                json_decref(e);
                json_decref(m);
                return NULL;
            }
        }
        return m;
    }
    default:
        return NULL;
    }
}

/* ---- one record ---- */

static void
take_record(json_t *obj, size_t index, const char *node, struct event_set *out)
{
    struct check c;
    out->n_records++;
    if (!json_is_object(obj)) {
        add_reject(out, index, "", "record is not an object");
        return;
    }
    const json_t *type = json_object_get(obj, "type");
    if (!type) {
        add_reject(out, index, "type", "required field is missing");
        return;
    }
    if (!json_is_string(type)) {
        add_reject(out, index, "type", "must be a string");
        return;
    }
    const struct type_rule *rule = find_type(json_string_value(type));
    if (!rule) {
        char why[192];
        snprintf(why, sizeof why, "unknown event type \"%.100s\"", json_string_value(type));
        add_reject(out, index, "type", why);
        return;
    }
    if (check_object(obj, common_fields, "", &c) != 0 ||
        check_object(obj, rule->fields, "", &c) != 0) {
        add_reject(out, index, c.field, c.reason);
        return;
    }
    const json_t *n = json_object_get(obj, "node");
    if (n && !json_is_null(n) && strcmp(json_string_value(n), node) != 0) {
        char why[192];
        snprintf(why, sizeof why, "node %s is not this collector's node %s", json_string_value(n),
                 node);
        add_reject(out, index, "node", why);
        return;
    }
    if (!n || json_is_null(n))
        json_object_set_new(obj, "node", json_string(node));

    if (out->n_entries == out->cap_entries) {
        out->cap_entries = out->cap_entries ? 2 * out->cap_entries : 64;
        out->entries = xrealloc(out->entries, out->cap_entries * sizeof *out->entries);
    }
    struct event_entry *e = &out->entries[out->n_entries++];
    e->index = index;
    e->off = out->records.len;
    snprintf(e->id, sizeof e->id, "%s", json_string_value(json_object_get(obj, "id")));
    (void)time_to_ms(json_object_get(obj, "at"), &e->at_ms, "at", &c);
    encode_object(obj, rule->fields, common_fields, &out->records);
    e->len = out->records.len - e->off;
}

static void
take_json_text(const char *text, size_t len, size_t index, const char *node, struct event_set *out)
{
    json_error_t jerr;
    json_t *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!obj) {
        char why[192];
        out->n_records++;
        snprintf(why, sizeof why, "malformed JSON at column %d: %.150s", jerr.column, jerr.text);
        add_reject(out, index, "", why);
        return;
    }
    take_record(obj, index, node, out);
    json_decref(obj);
}

static size_t
skip_space(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i;
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
            char why[192];
            snprintf(why, sizeof why, "malformed JSON array at line %d column %d: %.120s", jerr.line,
                     jerr.column, jerr.text);
            add_reject(out, 0, "", why);
            return ERR_DECODE;
        }
        size_t k;
        json_t *e;
        json_array_foreach(arr, k, e) take_record(e, k, node, out);
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
        for (uint32_t k = 0; k < wire_obj_size(top); k++) {
            json_t *obj = from_wire(wire_obj_at(top, k), 0);
            if (!obj) {
                out->n_records++;
                add_reject(out, k, "", "msgpack record has invalid UTF-8, non-string keys, "
                                       "ext types or nesting deeper than 16");
                continue;
            }
            take_record(obj, k, node, out);
            json_decref(obj);
        }
    } else {
        json_t *obj = from_wire(top, 0);
        if (!obj) {
            out->n_records++;
            add_reject(out, 0, "", "msgpack record has invalid UTF-8, non-string keys, ext "
                                   "types or nesting deeper than 16");
        } else {
            take_record(obj, 0, node, out);
            json_decref(obj);
        }
    }
    wire_reader_destroy(&r);
    return 0;
}

/* ---- canonical record back to JSON, for people ---- */

static json_t *
to_json(const wire_obj_t *o, const struct field *f, const struct field *more, int depth);

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
        const struct field *f = find_field(fields, key);
        if (!f)
            f = find_field(more, key);
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
    return from_wire(o, depth);
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
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)(tlen < 31 ? tlen : 31), type);
        const struct type_rule *rule = find_type(name);
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
    const struct type_rule *rule = find_type(type);
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
