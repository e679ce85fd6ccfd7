/* libFuzzer: a daemon's configuration file (ZPL through zconfig, then the table's checks). */
#include "conf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct conf_key table[] = {
    {"collector/node", CONF_STR, NULL, 0, 0, "node"},
    {"collector/data", CONF_STR, "", 0, 0, "data"},
    {"uplink/endpoint", CONF_STR, "", 0, 0, "parent"},
    {"uplink/heartbeat_ms", CONF_INT, "1000", 10, 600000, "heartbeat"},
    {"log/level", CONF_STR, "info", 0, 0, "level"},
    {NULL, 0, NULL, 0, 0, NULL},
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/jiancha-fuzz-conf-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) == (ssize_t)size) {
        conf_t *c = NULL;
        char err[512];
        if (conf_load(path, table, &c, err, sizeof err) == 0)
            conf_destroy(&c);
    }
    close(fd);
    unlink(path);
    return 0;
}
