/* supervision: a supervision case (督查督办, spec §4 supervise.*, §5 supervision.overdue; art. 9).
 *
 * An office opens a case on a department (its node and dept), optionally on an alert; the
 * department must report within 20 working days of the opening day; the opening office may approve
 * extensions of at most 10 working days in total; the office closes the case. Every supervise.*
 * record of one case is entered at the opening office's node, so the case is judged there from its
 * records in order. A case not reported by its due instant raises a red supervision.overdue.
 */
#ifndef JIANCHA_SUPERVISION_H
#define JIANCHA_SUPERVISION_H

#include "alert.h"
#include "calendar.h"
#include "event.h"
#include "wire.h"

#include <stdbool.h>
#include <stdint.h>

#define SUPERVISION_REPLY_WD 20
#define SUPERVISION_EXTENSION_MAX_WD 10

/* A value type; zeroed means "no case". */
struct supervision {
    char id[EVENT_ID_MAX + 1];
    char node[NODE_LEN + 1]; /* the opening office */
    char target_node[NODE_LEN + 1];
    char target_dept[EVENT_ID_MAX + 1];
    char by[EVENT_ID_MAX + 1];
    char alert[EVENT_ID_MAX + 1];
    char subject[192]; /* the matter, cut to fit */
    int64_t opened_ms;
    uint32_t extended_wd;
    int64_t due_ms; /* the midnight ending the last working day of the reply */
    int64_t reported_ms, closed_ms;
};

/* Applies one canonical supervise.* record to the case (zeroed before its opening). 0, or
 * ERR_INVALID with the field and reason a sender is told: an opening of a case that exists, an
 * action on a case not opened or already closed, an extension in calendar days or past 10 working
 * days in total, an extension after the report. */
int supervision_apply(struct supervision *s, calendar_t *cal, const wire_obj_t *record,
                      char field[64], char reason[192]) __attribute__((warn_unused_result));

/* The supervision.overdue alert of the case as of now, if its report is late: true and *a filled
 * (raised at the due instant, the following local midnight of its last day). */
bool supervision_overdue(const struct supervision *s, int64_t now_ms, struct alert *a);

/* "open", "reported", "closed" or "overdue" as of now. */
const char *supervision_state(const struct supervision *s, int64_t now_ms);

#endif
