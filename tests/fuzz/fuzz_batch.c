/* libFuzzer: what a parent decodes of a child's batch before and after its signature: the header,
 * the payload against a header, and each record against its kind's schema. */
#include "batch.h"
#include "schema.h"
#include "wire.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct batch_header h;
    (void)batch_header_decode(data, size, &h);
    /* the first bytes as a header when they decode, the rest as its payload */
    for (size_t cut = 1; cut < size && cut <= BATCH_HEADER_MAX; cut++)
        if (batch_header_decode(data, cut, &h) == 0) {
            (void)batch_payload_check(&h, data + cut, size - cut);
            (void)batch_payload_check_subset(&h, data + cut, size - cut);
            break;
        }
    wire_reader_t *r = wire_reader_new(data, size);
    uint64_t seq;
    unsigned kind;
    const void *rec;
    size_t len;
    char field[SCHEMA_FIELD_MAX], reason[SCHEMA_REASON_MAX];
    while (batch_payload_next(r, &seq, &kind, &rec, &len) == 0)
        (void)schema_check(rec, len, 510104, field, reason);
    wire_reader_destroy(&r);
    (void)schema_check(data, size, 510104, field, reason);
    return 0;
}
