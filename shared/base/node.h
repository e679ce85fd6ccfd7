/* node: administrative division codes, the names of nodes (GB/T 2260: six digits, 510000 the
 * province, 510100 a city, 510104 a county). Everything that names a node uses these, from the
 * signing module up; they know nothing of events.
 */
#ifndef JIANCHA_NODE_H
#define JIANCHA_NODE_H

#include <stddef.h>
#include <stdint.h>

#define NODE_LEN 6 /* digits of a division code */

/* Exactly six ASCII digits: 0 or ERR_INVALID. */
int node_valid(const char *s, size_t len);
/* A valid code as a number (store keys use it) and back ("%06u"). */
uint32_t node_number(const char *node);
void node_format(uint32_t number, char out[NODE_LEN + 1]);
/* Codes nest (51xxxx is a county of city 51xx00, of province 510000): a code's depth, 0 province,
 * 1 city, 2 county, and its parent (0 for a province). */
int node_depth(uint32_t node);
uint32_t node_parent(uint32_t node);

#endif
