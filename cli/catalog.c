/* cli catalog: checks a catalogue file without loading it anywhere. */
#include "catalog.h"
#include "cli.h"

#include <stdio.h>
#include <string.h>

int
cli_catalog(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "check") != 0) {
        fprintf(stderr, "usage: jiancha catalog check FILE\n");
        return 2;
    }
    catalog_t *c = NULL;
    char err[512];
    if (catalog_load(argv[2], &c, err, sizeof err) != 0) {
        fprintf(stderr, "jiancha catalog: %s\n", err);
        return 1;
    }
    size_t per[CATALOG_CATEGORIES_] = {0};
    for (size_t i = 0; i < catalog_count(c); i++)
        per[catalog_at(c, i)->category]++;
    printf("%s: version %llu, %zu items:", argv[2], (unsigned long long)catalog_version(c),
           catalog_count(c));
    for (int k = 0; k < CATALOG_CATEGORIES_; k++)
        printf(" %s %zu", catalog_category_name((enum catalog_category)k), per[k]);
    printf("\n");
    catalog_destroy(&c);
    return 0;
}
