/* roster: the named operators of the supervision system and what each may do (art. 15, 16).
 *
 * The province publishes the roster as a signed bundle of kind "operators" (bundle.h); every node
 * keeps the newest and judges each operator's request against it. The document is JSON:
 *   {"version": N, "operators": [{"name": "zhang.wei", "role": "supervisor", "node": "510100",
 *     "dept": "SWJ", "key": "<64 hex digits: Ed25519 public key>"}, ...]}
 * Roles: `supervisor` (a supervision office: closes alerts, supervision cases, patrols, samples,
 * approves exports of its office), `department` (answers its own department's alerts), `administrator`
 * (keys, catalogue; at the province: approves deletions and corrections), `auditor` (reads and
 * verifies the audit log). `node` is the operator's office: its scope is that node and the nodes
 * below it. `dept` binds a department operator to one department.
 */
#ifndef JIANCHA_ROSTER_H
#define JIANCHA_ROSTER_H

#include "event.h"
#include "sign.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum roster_role { ROSTER_SUPERVISOR, ROSTER_DEPARTMENT, ROSTER_ADMINISTRATOR, ROSTER_AUDITOR };

struct roster_operator {
    char name[EVENT_ID_MAX + 1];
    enum roster_role role;
    uint32_t node; /* office; scope = this node and below */
    char dept[EVENT_ID_MAX + 1]; /* department operators: their department */
    uint8_t key[SIGN_PUBLIC_BYTES];
};

typedef struct roster roster_t;

/* Parses a roster document; ERR_INVALID with "operator N: field: reason" in why. */
int roster_parse(const void *text, size_t len, roster_t **out, char *why, size_t why_len)
    __attribute__((warn_unused_result));
void roster_destroy(roster_t **p);

uint64_t roster_version(const roster_t *r);
size_t roster_count(const roster_t *r);
/* The operator of that name, or NULL; borrowed from the roster. */
const struct roster_operator *roster_find(const roster_t *r, const char *name);
const char *roster_role_name(enum roster_role role);

/* Is node within the operator's scope (their office or below)? */
bool roster_in_scope(const struct roster_operator *op, uint32_t node);

#endif
