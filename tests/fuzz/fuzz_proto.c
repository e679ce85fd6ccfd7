/* libFuzzer: every uplink message body a peer can send, and the command frame. */
#include "proto.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum proto_cmd cmd;
    (void)proto_cmd_parse(data, size, &cmd);
    struct proto_hello h;
    struct proto_welcome w;
    struct proto_ack a;
    struct proto_nack n;
    struct proto_refuse r;
    struct proto_ping p;
    (void)proto_hello_decode(data, size, &h);
    (void)proto_welcome_decode(data, size, &w);
    (void)proto_ack_decode(data, size, &a);
    (void)proto_nack_decode(data, size, &n);
    (void)proto_refuse_decode(data, size, &r);
    (void)proto_ping_decode(data, size, &p);
    struct proto_fetch f;
    (void)proto_fetch_decode(data, size, &f);
    return 0;
}
