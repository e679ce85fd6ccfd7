/* snapshot: the board (board.h) as of at most about a second ago, shared by many readers on many
 * threads: the centre's screen, whose every request and live stream reads it.
 *
 * Reading a whole board takes a while on a big store (about 300 ms at a million events), far
 * longer than a screen's requests may wait, and the figures change less often than they are
 * read. So one board is loaded by one thread at a time and shared: snapshot_take hands out the
 * board in force (loading the first one; others asking meanwhile wait for it), and a thread of the
 * snapshot's own loads the next one every refresh_ms while someone asked within the last minute.
 * A board stays valid until its last taker puts it back, even after a newer one replaced it.
 */
#ifndef JIANCHA_SNAPSHOT_H
#define JIANCHA_SNAPSHOT_H

#include "board.h"
#include "calendar.h"
#include "store.h"

#include <stdint.h>

typedef struct snapshot snapshot_t;

/* The store and calendar are borrowed and must outlive the snapshot (the calendar counts
 * supervision cases' due dates, as board_load). Starts the refresher thread. */
snapshot_t *snapshot_new(store_t *store, calendar_t *calendar, int64_t refresh_ms);
/* Stops the refresher; every board taken must have been put back. */
void snapshot_destroy(snapshot_t **p);

/* The board in force, read-only, until snapshot_put. ERR_* when the first board cannot be
 * read (later failures keep the previous board in force and are logged). */
int snapshot_take(snapshot_t *s, const struct board **board) __attribute__((warn_unused_result));
void snapshot_put(snapshot_t *s, const struct board **board);

/* How old the board in force is (0: none yet). */
int64_t snapshot_age_ms(snapshot_t *s, int64_t now_ms);

#endif
