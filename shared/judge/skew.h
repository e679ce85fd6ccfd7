/* skew: this node's wall clock held against its parent's (docs/rules.md, node.clock).
 *
 * A node judges time rules by its own clock, but a clock set a day ahead would raise lights for
 * days that have not ended, and one set back would hold them. The parent's wall clock arrives in
 * its PINGs; projected forward on this node's monotonic clock it stays right however the wall
 * clock is set here. When the two disagree by more than the bound the node raises `node.clock`
 * (red, against the node, not a department), and judges as of the earlier of the two, so no light
 * is raised for a day the parent's clock has not ended; the alarm clears once they agree again.
 * Before any parent has been heard (offline, or just started) the node's own clock stands.
 */
#ifndef JIANCHA_SKEW_H
#define JIANCHA_SKEW_H

#include "store.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct skew skew_t;

#define SKEW_BOUND_MS_DEFAULT 300000 /* 5 minutes */
#define SKEW_CONFIRM_MS 10000        /* how long the PINGs must show it before node.clock */

/* The store is borrowed and must outlive the skew. bound_ms: the disagreement tolerated. */
skew_t *skew_new(store_t *store, uint32_t node, int64_t bound_ms);
void skew_destroy(skew_t **p);

/* The parent's wall clock said parent_wall_ms when this node's wall clock said own_wall_ms and
 * its monotonic clock mono_ms (as the PING arrived). */
void skew_note_parent(skew_t *s, int64_t parent_wall_ms, int64_t own_wall_ms, int64_t mono_ms);

/* This node's clock minus the parent's as the last PING measured it; false when no parent was
 * heard. The alarm follows this measure only: a jump of this node's clock since that PING is
 * judged on the next one, so a clock moved on the whole tree at once raises nothing. */
bool skew_offset(const skew_t *s, int64_t *offset_ms);

/* The instant to judge time rules at: the node's wall clock, but never later than the parent's
 * projected clock when the two disagree beyond the bound. */
int64_t skew_judging_ms(const skew_t *s, int64_t wall_ms, int64_t mono_ms);

/* Raises `node.clock` when every PING over SKEW_CONFIRM_MS shows the clocks disagreeing beyond
 * the bound (one reading across a clock step is not a disagreement) and clears it when they
 * agree,
 * storing the change and appending it to the spool (sealed at once: it leaves in the next
 * batch). A no-op (no write) when nothing changes. *sealed: batches sealed. */
int skew_check(skew_t *s, int64_t wall_ms, uint32_t seal_at, uint64_t *sealed)
    __attribute__((warn_unused_result));

#endif
