/* region: names of administrative divisions (config/regions.tsv: code, parent, name), for
 * reports. Codes nest by themselves (node_parent); the file only names them. */
#ifndef JIANCHA_REGION_H
#define JIANCHA_REGION_H

#include <stddef.h>
#include <stdint.h>

typedef struct region region_t;

/* Loads the file; on failure ERR_INVALID or ERR_IO with "file:line: reason" in err. */
int region_load(const char *path, region_t **out, char *err, size_t errlen)
    __attribute__((warn_unused_result));
void region_destroy(region_t **p);

/* The division's name, or NULL if the file does not list it (r may be NULL). Borrowed from r. */
const char *region_name(const region_t *r, uint32_t code);

#endif
