/* region: a sorted table of division codes and names. */
#include "region.h"

#include "err.h"
#include "mem.h"
#include "node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    uint32_t code;
    char name[64];
};

struct region {
    struct entry *v;
    size_t n;
};

static int
cmp_entry(const void *a, const void *b)
{
    uint32_t x = ((const struct entry *)a)->code, y = ((const struct entry *)b)->code;
    return x < y ? -1 : x > y;
}

int
region_load(const char *path, region_t **out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return ERR_IO;
    }
    region_t *r = xcalloc(1, sizeof *r);
    size_t cap = 0, lineno = 0;
    char line[512];
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char *parent = strchr(line, '\t'), *name = parent ? strchr(parent + 1, '\t') : NULL;
        if (!name || node_valid(line, (size_t)(parent - line)) != 0 || !name[1]) {
            snprintf(err, errlen, "%s:%zu: want code <tab> parent <tab> name", path, lineno);
            rc = ERR_INVALID;
            break;
        }
        if (r->n == cap) {
            cap = cap ? 2 * cap : 256;
            r->v = xrealloc(r->v, cap * sizeof *r->v);
        }
        *parent = '\0';
        r->v[r->n].code = node_number(line);
        snprintf(r->v[r->n].name, sizeof r->v[r->n].name, "%s", name + 1);
        r->n++;
    }
    fclose(f);
    if (rc != 0) {
        region_destroy(&r);
        return rc;
    }
    if (r->n > 1)
        qsort(r->v, r->n, sizeof *r->v, cmp_entry);
    *out = r;
    return 0;
}

void
region_destroy(region_t **p)
{
    if (!*p)
        return;
    free((*p)->v);
    free(*p);
    *p = NULL;
}

const char *
region_name(const region_t *r, uint32_t code)
{
    if (!r)
        return NULL;
    struct entry key = {.code = code};
    if (!r->n)
        return NULL;
    const struct entry *e = bsearch(&key, r->v, r->n, sizeof *r->v, cmp_entry);
    return e ? e->name : NULL;
}
