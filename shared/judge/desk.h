/* desk: the supervision office's work at one node (spec §4, §5 feedback.overdue,
 * supervision.overdue, patrol.shortfall; art. 6 to 9, 11).
 *
 * Supervision actions (alert.respond, alert.close, supervise.*, patrol, followup) are records of
 * the node where they are entered, stored and signed like any other, so they travel up the tree.
 * desk_admit() judges each one in the intake transaction against what this node holds, so a sender
 * is told at once when an alert is unknown here, a case was never opened or an extension would pass
 * 10 working days; desk_index() files the stored action under its alert, case or patrol day and
 * marks that subject due, and desk_note_raised() files a new alert's answer deadline. desk_run() then
 * does, in ONE write transaction: take the subjects whose clocks are due; apply answers and closings to this node's own alerts and take the steps of
 * missed answer deadlines (feedback.h); judge supervision cases (supervision.h) and every day's
 * patrols since `patrol_from` (patrol.h); store each alert change, append it as an `alert` record
 * to the spool and seal it at once. A crash before the commit redoes the pass.
 *
 * Alerts of other nodes (children's, at an aggregator) are not changed here: their state is their
 * own node's, and actions taken on them at this tier are shown over it by queries (docs/rules.md).
 */
#ifndef JIANCHA_DESK_H
#define JIANCHA_DESK_H

#include "alert.h"
#include "calendar.h"
#include "event.h"
#include "store.h"
#include "wire.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct desk desk_t;

struct desk_options {
    /* First day whose patrols are judged; INT64_MIN = the day of the first pass. A different day
     * configured later takes effect at the next pass. */
    int64_t patrol_from_day;
    const uint32_t *tree;    /* nodes below this office it must patrol, besides those it heard */
    size_t n_tree;
};

/* The calendar is borrowed and must outlive the desk; options are copied. */
desk_t *desk_new(store_t *store, uint32_t node, calendar_t *calendar,
                 const struct desk_options *opt);
void desk_destroy(desk_t **p);

/* Judges one canonical record about to be stored at `node` (decoded). Records that are not
 * supervision actions pass. 0, or ERR_INVALID with the field and the reason the sender is told.
 * On 0 the caller stores the record and then calls desk_index() with its sequence. */
int desk_admit(store_txn_t *t, uint32_t node, calendar_t *calendar, const wire_obj_t *record,
               char field[64], char reason[192]) __attribute__((warn_unused_result));
int desk_index(store_txn_t *t, uint32_t node, uint64_t seq, const wire_obj_t *record)
    __attribute__((warn_unused_result));

/* Notes an `alert` record received from a child (decoded), so actions on it are admitted here. */
int desk_note_alert(store_txn_t *t, uint32_t origin, const wire_obj_t *record)
    __attribute__((warn_unused_result));
/* Notes a record.delete or record.correct (decoded, stored at origin/seq), so queries show the
 * record it names deleted or corrected; and finds the one naming a record (its bytes appended to
 * change), or ERR_NOT_FOUND. The latest one stored wins. */
int desk_note_change(store_txn_t *t, uint32_t origin, uint64_t seq, const wire_obj_t *record)
    __attribute__((warn_unused_result));
int desk_change_of(store_txn_t *t, uint32_t node, uint64_t seq, struct wire_buf *change)
    __attribute__((warn_unused_result));
/* The target (node, dept: "" when the case names none) of a supervision case opened here;
 * ERR_NOT_FOUND. */
int desk_supervision_target(store_txn_t *t, uint32_t node, const char *id,
                            char target_node[NODE_LEN + 1], char dept[EVENT_ID_MAX + 1])
    __attribute__((warn_unused_result));
/* The node and dept of an alert known here (this node's own, or a child's); ERR_NOT_FOUND. */
int desk_alert_place(store_txn_t *t, const char *id, uint32_t *node, char dept[EVENT_ID_MAX + 1])
    __attribute__((warn_unused_result));

/* Files the answer clock of an alert this node raised (or raised again): the desk judges it when
 * its answer is due, or sooner if an answer arrives. */
int desk_note_raised(store_txn_t *t, const struct alert *a) __attribute__((warn_unused_result));

struct desk_result {
    uint64_t subjects; /* alerts, cases and patrol days judged */
    uint64_t changes;  /* alert changes recorded */
    uint64_t sealed;   /* batches sealed for them */
};


int desk_run(desk_t *d, int64_t now_ms, uint32_t seal_at, struct desk_result *res)
    __attribute__((warn_unused_result));

/* Closings travel down (docs/office.md): a closing entered at this node for an alert of a node
 * below is kept, and sent to the child on whose side that node is, at every session and when it
 * is entered, until the alert's own node reports it closed or cleared. desk_each_decision() calls
 * fn with each closing record to send to `child`. */
typedef void (*desk_decision_fn)(void *arg, const void *record, size_t len);
int desk_each_decision(store_txn_t *t, uint32_t child, desk_decision_fn fn, void *arg)
    __attribute__((warn_unused_result));
/* How many closings wait to go down. */
int desk_count_decisions(store_txn_t *t, uint64_t *n) __attribute__((warn_unused_result));
/* A closing received from the parent: applied when the alert is this node's own (its change
 * recorded and sealed, res says so), kept to pass on (*pass_on) when it is a child's; ERR_INVALID
 * when the record is not a closing decided above this node, ERR_DECODE when it is not a record. */
int desk_take_decision(desk_t *d, int64_t now_ms, uint32_t seal_at, const void *record,
                       size_t len, bool *pass_on, struct desk_result *res)
    __attribute__((warn_unused_result));

/* The earliest clock filed, or INT64_MAX (INT64_MIN before the first pass). */
int64_t desk_next_due(desk_t *d);

#endif
