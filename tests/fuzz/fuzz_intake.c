/* libFuzzer: the intake's parsers (JSON, JSON Lines, msgpack) as a business system reaches them,
 * and the JSON Lines to msgpack conversion `jiancha send` does. */
#include "event.h"
#include "wire.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct event_set set;
    event_set_init(&set);
    (void)event_parse_message(data, size, "510104", &set);
    event_set_fini(&set);
    struct wire_buf out;
    wire_buf_init(&out);
    size_t bad;
    (void)event_jsonl_to_msgpack((const char *)data, size, &out, &bad);
    wire_buf_fini(&out);
    return 0;
}
