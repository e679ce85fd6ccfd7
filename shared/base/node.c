/* node: division codes as text and numbers. */
#include "node.h"

#include "err.h"

int
node_valid(const char *s, size_t len)
{
    if (len != NODE_LEN)
        return ERR_INVALID;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return ERR_INVALID;
    return 0;
}

uint32_t
node_number(const char *node)
{
    uint32_t v = 0;
    for (int i = 0; i < NODE_LEN && node[i]; i++)
        v = v * 10 + (uint32_t)(node[i] - '0');
    return v;
}

void
node_format(uint32_t number, char out[NODE_LEN + 1])
{
    /* by hand: an aggregator names the origin of every record it checks, and snprintf was 3.4%
     * of its instructions */
    number %= 1000000u;
    for (int i = NODE_LEN - 1; i >= 0; i--, number /= 10)
        out[i] = (char)('0' + number % 10);
    out[NODE_LEN] = '\0';
}

int
node_depth(uint32_t node)
{
    return node % 10000 == 0 ? 0 : node % 100 == 0 ? 1 : 2;
}

uint32_t
node_parent(uint32_t node)
{
    switch (node_depth(node)) {
    case 2:
        return node / 100 * 100;
    case 1:
        return node / 10000 * 10000;
    default:
        return 0;
    }
}
