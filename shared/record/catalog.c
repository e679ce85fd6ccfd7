/* catalog: parsing and checking the master list. JSON arrives here rather than through event.c
 * because the catalogue is a document of its own with its own shape; the field checks mirror
 * event.c's in spirit (name the field, say why) but the catalogue's rules are stricter: every
 * step, rollback and tier must refer to things the item defines. */
#include "catalog.h"

#include "err.h"
#include "event.h"
#include "mem.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct catalog {
    uint64_t version;
    char *text; /* the document */
    size_t text_len;
    struct catalog_thresholds defaults;
    struct catalog_thresholds per_category[CATALOG_CATEGORIES_];
    struct catalog_item *items; /* sorted by item code */
    size_t n;
    struct catalog_dept *depts; /* "departments": names by code, as the document lists them */
    size_t n_depts;
};

static const char *const category_names[CATALOG_CATEGORIES_] = {
    "licensing", "penalty", "levy", "enforcement", "confirmation", "adjudication", "payment",
    "other",
};

const char *
catalog_category_name(enum catalog_category c)
{
    return category_names[c];
}

struct ctx {
    char *err;
    size_t errlen;
    const char *item; /* code, or NULL */
    size_t index;
};

static int
bad(struct ctx *x, const char *field, const char *reason)
{
    if (x->item)
        snprintf(x->err, x->errlen, "item %s: %s: %s", x->item, field, reason);
    else
        snprintf(x->err, x->errlen, "items[%zu]: %s: %s", x->index, field, reason);
    return ERR_INVALID;
}

static int
get_text(struct ctx *x, const json_t *o, const char *field, size_t max, bool required,
         char **out)
{
    const json_t *v = json_object_get(o, field);
    *out = NULL;
    if (!v || json_is_null(v))
        return required ? bad(x, field, "required field is missing") : 0;
    if (!json_is_string(v))
        return bad(x, field, "must be a string");
    size_t len = json_string_length(v);
    if (len == 0 || len > max)
        return bad(x, field, max == EVENT_ID_MAX ? "must be 1 to 64 bytes" : "must be 1 to 256 "
                                                                             "bytes");
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)json_string_value(v)[i] < 0x20)
            return bad(x, field, "contains a control character");
    *out = xstrndup(json_string_value(v), len);
    return 0;
}

static int
get_limit(struct ctx *x, const json_t *v, const char *field, struct catalog_limit *out)
{
    const json_t *n = json_object_get(v, "n"), *u = json_object_get(v, "unit");
    if (!json_is_object(v))
        return bad(x, field, "must be an object {\"n\": N, \"unit\": \"wd\" or \"d\"}");
    if (!json_is_integer(n) || json_integer_value(n) < 1 || json_integer_value(n) > 3650)
        return bad(x, field, "n must be an integer from 1 to 3650");
    if (!json_is_string(u) ||
        (strcmp(json_string_value(u), "wd") != 0 && strcmp(json_string_value(u), "d") != 0))
        return bad(x, field, "unit must be wd or d");
    out->n = (uint32_t)json_integer_value(n);
    out->unit = json_string_value(u)[1] ? CALENDAR_WORKDAYS : CALENDAR_DAYS;
    return 0;
}

static int
get_money(struct ctx *x, const json_t *v, const char *field, int64_t *fen)
{
    if (!json_is_number(v))
        return bad(x, field, "must be a number of yuan");
    double y = json_number_value(v);
    double f = nearbyint(y * 100.0);
    if (!isfinite(y) || y < 0 || y > 1e11 || fabs(y * 100.0 - f) > 1e-6 * (f > 1 ? f : 1))
        return bad(x, field, "must be 0 to 100,000,000,000 yuan with at most two decimals");
    *fen = (int64_t)f;
    return 0;
}

static const struct catalog_thresholds spec_defaults = {0.8, 15, 5, 5, 20, 60, 60, 60, 2, 5, 1, 15};

/* Applies the keys present in `o` over *th; names the bad key otherwise. */
static int
parse_thresholds(struct ctx *x, const json_t *o, const char *where,
                 struct catalog_thresholds *th)
{
    if (!json_is_object(o))
        return bad(x, where, "thresholds must be an object");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)o, key, v)
    {
        char field[96];
        snprintf(field, sizeof field, "%s.%s", where, key);
        if (strcmp(key, "yellow_ratio") == 0) {
            if (!json_is_number(v) || json_number_value(v) <= 0 || json_number_value(v) >= 1)
                return bad(x, field, "must be a number between 0 and 1");
            th->yellow_ratio = json_number_value(v);
            continue;
        }
        uint32_t *slot = strcmp(key, "execution_days") == 0         ? &th->execution_days
                         : strcmp(key, "execution_workdays") == 0   ? &th->execution_workdays
                         : strcmp(key, "offline_workdays") == 0     ? &th->offline_workdays
                         : strcmp(key, "disclosure_workdays") == 0  ? &th->disclosure_workdays
                         : strcmp(key, "complaint_days") == 0       ? &th->complaint_days
                         : strcmp(key, "petition_days") == 0        ? &th->petition_days
                         : strcmp(key, "reconsideration_days") == 0 ? &th->reconsideration_days
                         : strcmp(key, "answer_workdays") == 0      ? &th->answer_workdays
                         : strcmp(key, "callback_workdays") == 0    ? &th->callback_workdays
                         : strcmp(key, "fix_workdays") == 0         ? &th->fix_workdays
                                                                    : NULL;
        if (strcmp(key, "rating_bad_max") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 4)
                return bad(x, field, "must be an integer from 1 to 4");
            th->rating_bad_max = json_integer_value(v);
            continue;
        }
        if (!slot)
            return bad(x, field, "unknown threshold");
        /* an answer window of 0 days would be due before the light is seen */
        bool window = slot == &th->answer_workdays || slot == &th->callback_workdays ||
                      slot == &th->fix_workdays;
        int64_t least = window ? 1 : 0;
        if (!json_is_integer(v) || json_integer_value(v) < least || json_integer_value(v) > 3650)
            return bad(x, field, least ? "must be an integer from 1 to 3650"
                                       : "must be an integer from 0 to 3650");
        *slot = (uint32_t)json_integer_value(v);
    }
    return 0;
}

const struct catalog_thresholds *
catalog_default_thresholds(const catalog_t *c)
{
    return &c->defaults;
}

static void
free_item(struct catalog_item *it)
{
    free(it->item);
    free(it->name);
    free(it->dept);
    for (size_t i = 0; i < it->n_basis; i++)
        free(it->basis[i]);
    free(it->basis);
    for (size_t i = 0; i < it->n_steps; i++)
        free(it->steps[i].name);
    free(it->steps);
    free(it->rollbacks);
    for (size_t i = 0; i < it->n_tiers; i++)
        free(it->tiers[i].level);
    free(it->tiers);
}

int
catalog_step_index(const struct catalog_item *it, const char *name)
{
    for (size_t i = 0; i < it->n_steps; i++)
        if (strcmp(it->steps[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int
parse_item(struct ctx *x, const catalog_t *c, const json_t *o, struct catalog_item *it)
{
    char *s = NULL;
    int rc;
    memset(it, 0, sizeof *it);
    it->effective_day = -1;
    if (!json_is_object(o))
        return bad(x, "item", "must be an object");
    if ((rc = get_text(x, o, "item", EVENT_ID_MAX, true, &it->item)) != 0)
        return rc;
    x->item = it->item;
    if ((rc = get_text(x, o, "name", EVENT_NAME_MAX, true, &it->name)) != 0 ||
        (rc = get_text(x, o, "dept", EVENT_ID_MAX, true, &it->dept)) != 0)
        return rc;
    if ((rc = get_text(x, o, "node", EVENT_ID_MAX, true, &s)) != 0)
        return rc;
    if (node_valid(s, strlen(s)) != 0) {
        free(s);
        return bad(x, "node", "must be a six-digit division code");
    }
    memcpy(it->node, s, 7);
    free(s);
    const json_t *cat = json_object_get(o, "category");
    int ci = -1;
    for (int i = 0; json_is_string(cat) && i < CATALOG_CATEGORIES_; i++)
        if (strcmp(json_string_value(cat), category_names[i]) == 0)
            ci = i;
    if (ci < 0)
        return bad(x, "category", "must be one of licensing, penalty, levy, enforcement, "
                                  "confirmation, adjudication, payment, other");
    it->category = (enum catalog_category)ci;

    const json_t *basis = json_object_get(o, "basis");
    if (basis && !json_is_array(basis))
        return bad(x, "basis", "must be an array of strings");
    it->n_basis = basis ? json_array_size(basis) : 0;
    it->basis = xcalloc(it->n_basis ? it->n_basis : 1, sizeof *it->basis);
    for (size_t i = 0; i < it->n_basis; i++) {
        const json_t *b = json_array_get(basis, i);
        if (!json_is_string(b) || json_string_length(b) == 0 || json_string_length(b) > 256)
            return bad(x, "basis", "entries must be strings of 1 to 256 bytes");
        it->basis[i] = xstrdup(json_string_value(b));
    }

    const json_t *limits = json_object_get(o, "limits");
    if (!json_is_object(limits))
        return bad(x, "limits", "required object with promised and legal");
    if ((rc = get_limit(x, json_object_get(limits, "promised"), "limits.promised",
                        &it->promised)) != 0 ||
        (rc = get_limit(x, json_object_get(limits, "legal"), "limits.legal", &it->legal)) != 0)
        return rc;
    const json_t *ext = json_object_get(limits, "extension");
    if (ext && (rc = get_limit(x, ext, "limits.extension", &it->extension)) != 0)
        return rc;
    if (it->promised.unit == it->legal.unit && it->promised.n > it->legal.n)
        return bad(x, "limits.promised", "must not exceed the legal limit");

    const json_t *steps = json_object_get(o, "steps");
    if (!json_is_array(steps) || json_array_size(steps) == 0)
        return bad(x, "steps", "must be a non-empty array of {\"name\", \"limit\"}");
    it->n_steps = json_array_size(steps);
    it->steps = xcalloc(it->n_steps, sizeof *it->steps);
    for (size_t i = 0; i < it->n_steps; i++) {
        const json_t *st = json_array_get(steps, i);
        char field[48];
        snprintf(field, sizeof field, "steps[%zu]", i);
        if (!json_is_object(st))
            return bad(x, field, "must be an object");
        if ((rc = get_text(x, st, "name", EVENT_NAME_MAX, true, &it->steps[i].name)) != 0)
            return rc;
        for (size_t k = 0; k < i; k++)
            if (strcmp(it->steps[k].name, it->steps[i].name) == 0)
                return bad(x, field, "step name used twice");
        const json_t *lim = json_object_get(st, "limit");
        if (lim && (rc = get_limit(x, lim, field, &it->steps[i].limit)) != 0)
            return rc;
    }

    const json_t *rb = json_object_get(o, "rollbacks");
    if (rb && !json_is_array(rb))
        return bad(x, "rollbacks", "must be an array of [from, to] step names");
    it->n_rollbacks = rb ? json_array_size(rb) : 0;
    it->rollbacks = xcalloc(it->n_rollbacks ? it->n_rollbacks : 1, sizeof *it->rollbacks);
    for (size_t i = 0; i < it->n_rollbacks; i++) {
        const json_t *p = json_array_get(rb, i);
        int from = -1, to = -1;
        if (json_is_array(p) && json_array_size(p) == 2 && json_is_string(json_array_get(p, 0)) &&
            json_is_string(json_array_get(p, 1))) {
            from = catalog_step_index(it, json_string_value(json_array_get(p, 0)));
            to = catalog_step_index(it, json_string_value(json_array_get(p, 1)));
        }
        if (from < 0 || to < 0 || to >= from)
            return bad(x, "rollbacks", "each entry must be [later step, earlier step] of this "
                                       "item's steps");
        it->rollbacks[i][0] = (uint32_t)from;
        it->rollbacks[i][1] = (uint32_t)to;
    }

    const json_t *ev = json_object_get(o, "evidence");
    if (ev && !json_is_array(ev))
        return bad(x, "evidence", "must be an array of video, audio, photo, document");
    for (size_t i = 0; ev && i < json_array_size(ev); i++) {
        const char *k = json_string_value(json_array_get(ev, i));
        unsigned bit = !k                         ? 0
                       : strcmp(k, "video") == 0    ? CATALOG_EVIDENCE_VIDEO
                       : strcmp(k, "audio") == 0    ? CATALOG_EVIDENCE_AUDIO
                       : strcmp(k, "photo") == 0    ? CATALOG_EVIDENCE_PHOTO
                       : strcmp(k, "document") == 0 ? CATALOG_EVIDENCE_DOCUMENT
                                                    : 0;
        if (!bit)
            return bad(x, "evidence", "kinds must be video, audio, photo or document");
        it->evidence |= bit;
    }
    const json_t *cr = json_object_get(o, "credential"), *pub = json_object_get(o, "public");
    if (cr && !json_is_boolean(cr))
        return bad(x, "credential", "must be true or false");
    if (pub && !json_is_boolean(pub))
        return bad(x, "public", "must be true or false");
    it->credential = json_is_true(cr);
    it->public_ = json_is_true(pub);

    const json_t *disc = json_object_get(o, "discretion");
    if (disc && !json_is_array(disc))
        return bad(x, "discretion", "must be an array of tiers");
    if (disc && it->category != CATALOG_PENALTY)
        return bad(x, "discretion", "only penalty items have discretion tiers");
    it->n_tiers = disc ? json_array_size(disc) : 0;
    it->tiers = xcalloc(it->n_tiers ? it->n_tiers : 1, sizeof *it->tiers);
    for (size_t i = 0; i < it->n_tiers; i++) {
        const json_t *t = json_array_get(disc, i);
        struct catalog_tier *tier = &it->tiers[i];
        char field[48];
        snprintf(field, sizeof field, "discretion[%zu]", i);
        if (!json_is_object(t))
            return bad(x, field, "must be an object");
        const json_t *lv = json_object_get(t, "level");
        if (json_is_integer(lv)) {
            char buf[32];
            snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(lv));
            tier->level = xstrdup(buf);
        } else if (json_is_string(lv) && json_string_length(lv) > 0 &&
                   json_string_length(lv) <= EVENT_ID_MAX) {
            tier->level = xstrdup(json_string_value(lv));
        } else {
            return bad(x, field, "level must be an identifier or an integer");
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(it->tiers[k].level, tier->level) == 0)
                return bad(x, field, "level defined twice");
        if ((rc = get_money(x, json_object_get(t, "min"), field, &tier->min_fen)) != 0 ||
            (rc = get_money(x, json_object_get(t, "max"), field, &tier->max_fen)) != 0)
            return rc;
        if (tier->min_fen > tier->max_fen)
            return bad(x, field, "min is above max");
        const json_t *mi = json_object_get(t, "min_inclusive"), *ma = json_object_get(t, "max_"
                                                                                       "inclusive");
        tier->min_inclusive = !mi || json_is_true(mi);
        tier->max_inclusive = !ma || json_is_true(ma);
    }
    if (it->category == CATALOG_PENALTY && it->n_tiers == 0)
        return bad(x, "discretion", "a penalty item needs its discretion tiers");

    const json_t *eff = json_object_get(o, "effective");
    if (eff) {
        if (!json_is_string(eff) || calendar_parse_date(json_string_value(eff),
                                                        json_string_length(eff),
                                                        &it->effective_day) != 0)
            return bad(x, "effective", "must be a date YYYY-MM-DD");
    }
    if (it->public_ && it->effective_day < 0)
        return bad(x, "effective", "a public item needs the date it must be online");
    it->th = c->per_category[it->category];
    const json_t *th = json_object_get(o, "thresholds");
    if (th)
        return parse_thresholds(x, th, "thresholds", &it->th);
    return 0;
}

static int
cmp_item(const void *a, const void *b)
{
    return strcmp(((const struct catalog_item *)a)->item, ((const struct catalog_item *)b)->item);
}

int
catalog_parse(const char *text, size_t len, catalog_t **out, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    *out = NULL;
    if (!doc) {
        snprintf(err, errlen, "not JSON (line %d column %d): %s", jerr.line, jerr.column,
                 jerr.text);
        return ERR_INVALID;
    }
    catalog_t *c = xcalloc(1, sizeof *c);
    const json_t *ver = json_object_get(doc, "version"), *items = json_object_get(doc, "items");
    int rc = 0;
    if (!json_is_integer(ver) || json_integer_value(ver) < 1) {
        snprintf(err, errlen, "version: must be a positive integer");
        rc = ERR_INVALID;
    } else if (!json_is_array(items)) {
        snprintf(err, errlen, "items: must be an array of items");
        rc = ERR_INVALID;
    }
    c->defaults = spec_defaults;
    const json_t *th = json_object_get(doc, "thresholds");
    if (rc == 0 && th) {
        struct ctx x = {err, errlen, "(document)", 0};
        if (!json_is_object(th)) {
            rc = bad(&x, "thresholds", "must be an object");
        } else {
            const json_t *d = json_object_get(th, "default");
            if (d)
                rc = parse_thresholds(&x, d, "thresholds.default", &c->defaults);
            const char *key;
            const json_t *v;
            json_object_foreach((json_t *)th, key, v)
            {
                bool known = strcmp(key, "default") == 0;
                for (int k = 0; k < CATALOG_CATEGORIES_; k++)
                    known = known || strcmp(key, category_names[k]) == 0;
                if (rc == 0 && !known) {
                    char field[96];
                    snprintf(field, sizeof field, "thresholds.%s", key);
                    rc = bad(&x, field, "not \"default\" or a category");
                }
            }
        }
    }
    const json_t *depts = json_object_get(doc, "departments");
    if (rc == 0 && depts) {
        struct ctx x = {err, errlen, "(document)", 0};
        const char *code;
        const json_t *v;
        if (!json_is_object(depts))
            rc = bad(&x, "departments", "must be an object of department code -> name");
        c->depts = xcalloc(json_object_size(depts) + 1, sizeof *c->depts);
        json_object_foreach((json_t *)depts, code, v)
        {
            if (rc != 0)
                break;
            char field[96];
            snprintf(field, sizeof field, "departments.%.80s", code);
            if (!json_is_string(v) || !*json_string_value(v) ||
                strlen(json_string_value(v)) >= sizeof c->depts->name || !*code ||
                strlen(code) >= sizeof c->depts->code) {
                rc = bad(&x, field, "a department code (under 65 bytes) and its name (under 97)");
                break;
            }
            snprintf(c->depts[c->n_depts].code, sizeof c->depts->code, "%s", code);
            snprintf(c->depts[c->n_depts].name, sizeof c->depts->name, "%s", json_string_value(v));
            c->n_depts++;
        }
    }
    for (int k = 0; k < CATALOG_CATEGORIES_; k++)
        c->per_category[k] = c->defaults;
    for (int k = 0; rc == 0 && th && k < CATALOG_CATEGORIES_; k++) {
        const json_t *cat = json_object_get(th, category_names[k]);
        struct ctx x = {err, errlen, "(document)", 0};
        char where[64];
        snprintf(where, sizeof where, "thresholds.%s", category_names[k]);
        if (cat)
            rc = parse_thresholds(&x, cat, where, &c->per_category[k]);
    }
    if (rc == 0) {
        c->version = (uint64_t)json_integer_value(ver);
        c->items = xcalloc(json_array_size(items) ? json_array_size(items) : 1, sizeof *c->items);
        for (size_t i = 0; rc == 0 && i < json_array_size(items); i++) {
            struct ctx x = {err, errlen, NULL, i};
            rc = parse_item(&x, c, json_array_get(items, i), &c->items[i]);
            c->n++; /* counted even on failure so destroy frees what was parsed */
        }
    }
    if (rc == 0) {
        qsort(c->items, c->n, sizeof *c->items, cmp_item);
        for (size_t i = 1; i < c->n; i++) {
            if (strcmp(c->items[i].item, c->items[i - 1].item) == 0) {
                snprintf(err, errlen, "item %s: item: code used twice", c->items[i].item);
                rc = ERR_INVALID;
                break;
            }
        }
    }
    json_decref(doc);
    /* The tree was about ten times the document, and glibc keeps freed pages resident: a county
     * holding a province's catalogue (1,649 items, 844 KiB in bench/province.sh) kept 7.5 MiB of
     * it for good, 11.5 of its 13 MiB of anonymous memory. */
    mem_trim();
    if (rc != 0) {
        catalog_destroy(&c);
        return rc;
    }
    c->text = xstrndup(text, len);
    c->text_len = len;
    *out = c;
    return 0;
}

const char *
catalog_text(const catalog_t *c, size_t *len)
{
    *len = c->text_len;
    return c->text;
}

int
catalog_load(const char *path, catalog_t **out, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (!doc) {
        snprintf(err, errlen, "%s: %s", path, jerr.text);
        return ERR_INVALID;
    }
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    char inner[512];
    int rc = catalog_parse(text, strlen(text), out, inner, sizeof inner);
    free(text);
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, inner);
    return rc;
}

void
catalog_destroy(catalog_t **p)
{
    catalog_t *c = *p;
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free_item(&c->items[i]);
    free(c->items);
    free(c->depts);
    free(c->text);
    free(c);
    *p = NULL;
}

const char *
catalog_dept_name(const catalog_t *c, const char *dept)
{
    for (size_t i = 0; c && i < c->n_depts; i++)
        if (strcmp(c->depts[i].code, dept) == 0)
            return c->depts[i].name;
    return NULL;
}

uint64_t
catalog_version(const catalog_t *c)
{
    return c->version;
}

size_t
catalog_count(const catalog_t *c)
{
    return c->n;
}

const struct catalog_item *
catalog_at(const catalog_t *c, size_t i)
{
    return i < c->n ? &c->items[i] : NULL;
}

const struct catalog_item *
catalog_find(const catalog_t *c, const char *item)
{
    struct catalog_item key = {.item = (char *)item};
    return bsearch(&key, c->items, c->n, sizeof *c->items, cmp_item);
}
