/* access: who may do what (art. 15, 16). An operator's request to a node is authenticated by the
 * operator's signature over the exact request text and judged against the roster (roster.h): the
 * operator's role, the scope of their office, the people the record names, and for exports,
 * deletions and corrections the approval they carry.
 *
 * | request | who | where |
 * |---|---|---|
 * | access.read (a query, report or sample reading the node's store) | any role | the node in scope |
 * | web.signin (a sign-in link to the centre's screen, docs/api.md) | any role | the node in scope, or an office below it |
 * | access.read with `session` (a read on the screen; unsigned, logged by jiancha-web) | the operator of the sign-in it names | within ACCESS_WEB_SESSION_MAX_MS of that sign-in |
 * | alert.respond | department (its own dept's alerts) | an alert in scope |
 * | alert.close, supervise.open/extend/close, patrol, sample.draw | supervisor | their own office |
 * | supervise.report, followup | department or supervisor | in scope |
 * | export | supervisor, auditor or administrator, with an approval signed by another supervisor or administrator of the same office | data in scope |
 * | record.delete, record.correct | supervisor or administrator, with an approval signed by an administrator of the province | a record in scope |
 *
 * The person a record names (`by`, `supervisor`, `approver`, `requester`) must be the operator
 * who signed it. An approval is a JSON object {"doc": TEXT, "sig": HEX}: the approver's signature
 * (domain SIGN_DOMAIN_APPROVAL) over TEXT, itself a JSON object naming the approval kind, the
 * approver, the requester and what is approved (docs/decisions.md).
 */
#ifndef JIANCHA_ACCESS_H
#define JIANCHA_ACCESS_H

#include "roster.h"
#include "store.h"
#include "wire.h"

#include <stddef.h>
#include <stdint.h>

/* A sign-in link lives at most this long; a session's reads are taken this long after it. */
#define ACCESS_WEB_LINK_MAX_MS (15 * 60 * 1000LL)
#define ACCESS_WEB_SESSION_MAX_MS (12 * 3600 * 1000LL)

/* The signature that came with a request: the operator's name and their signature of body. */
struct access_request {
    const char *operator; /* NULL: the request was not signed */
    const uint8_t *sig;
    const void *body;
    size_t body_len;
};

/* Judges one canonical action record of a signed request at node `here`. 0 with *op set when
 * allowed; ERR_INVALID with the field and reason otherwise (*op set when the operator was at least
 * authenticated). */
int access_judge(const roster_t *roster, store_txn_t *t, uint32_t here,
                 const struct access_request *req, const wire_obj_t *record,
                 const struct roster_operator **op, char field[64], char reason[192])
    __attribute__((warn_unused_result));

/* The web.signin stored at node under the id `session`: its operator and its `at`. ERR_NOT_FOUND
 * when no record has that id, ERR_DECODE when the record is not a sign-in. */
int access_web_session(store_txn_t *t, uint32_t node, const char *session,
                       char by[EVENT_ID_MAX + 1], int64_t *at_ms)
    __attribute__((warn_unused_result));

/* Makes an approval: signs doc (a JSON object's text) with the approver's key; the result is a
 * malloc'd {"doc", "sig"} JSON text. */
char *access_approval_make(const sign_key_t *approver, const char *doc);

#endif
