/* board: the alerts and supervision cases as one tier sees them, for queries and reports.
 *
 * A tier holds the `alert` records of its own node and of every node below it (the latest record
 * of an alert is its state at its own node), its own alerts' current state in the alerts table,
 * and the supervision actions entered at it and below. The board puts these together: each alert
 * with the answers and closings entered at another tier than its own (a city closing a county's
 * alert) shown over its state, the open supervision case on it, and every supervision case with
 * its state and due date.
 */
#ifndef JIANCHA_BOARD_H
#define JIANCHA_BOARD_H

#include "alert.h"
#include "calendar.h"
#include "store.h"
#include "supervision.h"

#include <stddef.h>

struct board_patrol {
    uint32_t office; /* the node that recorded it */
    int64_t at_ms;
};

struct board {
    struct alert *alerts; /* by id */
    size_t n_alerts;
    struct supervision *cases; /* by opening node, then id */
    size_t n_cases;
    struct board_patrol *patrols; /* every patrol record held, in store order */
    size_t n_patrols;
};

/* Loads the board from a read transaction; the calendar counts supervision cases' due dates
 * (NULL: alerts only, no cases). Owns what it allocates until board_fini. */
int board_load(store_txn_t *t, calendar_t *calendar, struct board *b)
    __attribute__((warn_unused_result));
void board_fini(struct board *b);

/* The node whose supervision office handles an alert: its queue, or its own node. */
const char *board_queue_of(const struct alert *a);

#endif
