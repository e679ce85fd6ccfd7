/* libFuzzer: the province's catalogue (JSON), the working-day calendar (TSV) and stored alerts,
 * as files, bundles and records bring them. */
#include "alert.h"
#include "calendar.h"
#include "catalog.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    catalog_t *cat = NULL;
    if (catalog_parse((const char *)data, size, &cat, err, sizeof err) == 0)
        catalog_destroy(&cat);
    calendar_t *cal = NULL;
    if (calendar_parse((const char *)data, size, "fuzz", &cal, err, sizeof err) == 0) {
        /* a parsed calendar must answer without hanging or overflowing */
        (void)calendar_due(cal, 20000, 30, CALENDAR_WORKDAYS, true, NULL, NULL);
        calendar_destroy(&cal);
    }
    struct alert a;
    if (alert_decode_bytes(data, size, &a) == 0) {
        char *json = alert_to_json(&a);
        free(json);
    }
    return 0;
}
