/* silence: the node.silent rule (spec §5, art. 14) at an aggregator.
 *
 * Each expected child that has sent nothing, not even a heartbeat, for `yellow_ms` gets a yellow
 * node.silent alert, escalated to red at `red_ms`, and cleared once it is heard again. Silence counts from the child's last contact,
 * or from when this aggregator started if that is later (an aggregator that was itself down does
 * not blame its children). Quiet is measured on the monotonic clock, from when this aggregator
 * saw each contact: setting the wall clock (here or at a child) never makes a child silent.
 * Alerts live in the store's alerts table and every change is appended
 * to this node's own log as an alert record, so it travels up like any other.
 */
#ifndef JIANCHA_SILENCE_H
#define JIANCHA_SILENCE_H

#include "ingest.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct silence silence_t;

/* started_mono_ms: this aggregator's start on the monotonic clock (timestamp_mono_ms). */
silence_t *silence_new(store_t *store, uint32_t self, const uint32_t *children, size_t n,
                       int64_t yellow_ms, int64_t red_ms, int64_t started_mono_ms);
void silence_destroy(silence_t **p);

/* Raises or escalates what is due as of mono_ms (now_ms, the wall clock, dates the alerts);
 * *changes counts alert changes recorded. Called often (every second): each call notes the
 * contacts that changed since the last. */
int silence_check(silence_t *s, const ingest_t *in, int64_t now_ms, int64_t mono_ms,
                  uint32_t seal_at, uint64_t *changes) __attribute__((warn_unused_result));

#endif
