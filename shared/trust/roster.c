/* roster: parsing and looking up the operators' roster. See roster.h. */
#include "roster.h"

#include "err.h"
#include "mem.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct roster {
    uint64_t version;
    struct roster_operator *v;
    size_t n;
};

static const char *const role_names[] = {"supervisor", "department", "administrator", "auditor"};

const char *
roster_role_name(enum roster_role role)
{
    return role_names[role];
}

static int
text_of(const json_t *o, const char *field, char *out, size_t cap, bool required)
{
    const json_t *v = json_object_get(o, field);
    if (!v)
        return required ? -1 : (out[0] = '\0', 0);
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= cap)
        return -1;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

int
roster_parse(const void *text, size_t len, roster_t **out, char *why, size_t why_len)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    const json_t *ops = doc ? json_object_get(doc, "operators") : NULL;
    const json_t *version = doc ? json_object_get(doc, "version") : NULL;
    if (!doc || !json_is_array(ops) || !json_is_integer(version) ||
        json_integer_value(version) < 1) {
        snprintf(why, why_len, "%s",
                 doc ? "want {\"version\": N >= 1, \"operators\": [...]}" : jerr.text);
        json_decref(doc);
        return ERR_INVALID;
    }
    roster_t *r = xcalloc(1, sizeof *r);
    r->version = (uint64_t)json_integer_value(version);
    r->v = xcalloc(json_array_size(ops) + 1, sizeof *r->v);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < json_array_size(ops); i++) {
        const json_t *o = json_array_get(ops, i);
        struct roster_operator *op = &r->v[r->n];
        char role[24], node[8], key[80];
        const char *bad = NULL;
        if (!json_is_object(o))
            bad = "not an object";
        else if (text_of(o, "name", op->name, sizeof op->name, true) != 0)
            bad = "name: 1 to 64 bytes";
        else if (text_of(o, "role", role, sizeof role, true) != 0)
            bad = "role: missing";
        else if (text_of(o, "node", node, sizeof node, true) != 0 ||
                 node_valid(node, strlen(node)) != 0)
            bad = "node: a six-digit division code";
        else if (text_of(o, "dept", op->dept, sizeof op->dept, false) != 0)
            bad = "dept: 1 to 64 bytes";
        else if (text_of(o, "key", key, sizeof key, true) != 0 ||
                 sign_from_hex(key, strlen(key), op->key, sizeof op->key) != 0)
            bad = "key: 64 hex digits of an Ed25519 public key";
        if (!bad) {
            bad = "role: supervisor, department, administrator or auditor";
            for (int k = 0; k < 4; k++)
                if (strcmp(role, role_names[k]) == 0) {
                    op->role = (enum roster_role)k;
                    bad = NULL;
                }
        }
        if (!bad && roster_find(r, op->name))
            bad = "name: listed twice";
        if (bad) {
            snprintf(why, why_len, "operator %zu: %s", i, bad);
            rc = ERR_INVALID;
            break;
        }
        op->node = node_number(node);
        r->n++;
    }
    json_decref(doc);
    if (rc != 0) {
        roster_destroy(&r);
        return rc;
    }
    *out = r;
    return 0;
}

void
roster_destroy(roster_t **p)
{
    if (!*p)
        return;
    free((*p)->v);
    free(*p);
    *p = NULL;
}

uint64_t
roster_version(const roster_t *r)
{
    return r->version;
}

size_t
roster_count(const roster_t *r)
{
    return r->n;
}

const struct roster_operator *
roster_find(const roster_t *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].name, name) == 0)
            return &r->v[i];
    return NULL;
}

bool
roster_in_scope(const struct roster_operator *op, uint32_t node)
{
    for (uint32_t n = node; n; n = node_parent(n))
        if (n == op->node)
            return true;
    return false;
}
