/* event: the contract's event types (spec §3 and §4), their validation, and their canonical form.
 *
 * An intake message is JSON (one object, an array of objects, or JSON Lines) or msgpack (one map or
 * an array of maps). event_parse_message() checks every record against the type table in event.c
 * and turns each valid one into its canonical record: a msgpack map holding every field of the
 * original (unknown extra fields are kept), with `node` filled in, every time field as integer Unix
 * milliseconds and every money field as integer fen. Invalid records are listed with their index,
 * the field and the reason; they never stop the valid ones.
 */
#ifndef JIANCHA_EVENT_H
#define JIANCHA_EVENT_H

#include "node.h"
#include "wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVENT_ID_MAX 64      /* identifiers: 1..64 bytes of UTF-8, no control characters */
#define EVENT_NAME_MAX 256   /* names */
#define EVENT_TEXT_MAX 4096  /* free text: reasons, comments, findings */
#define EVENT_REJECTS_KEPT 100 /* rejections listed per message; the rest are counted */

struct event_entry {
    size_t index;             /* position of the record in its message (0-based) */
    size_t off, len;          /* canonical record in event_set.records */
    char id[EVENT_ID_MAX + 1];
    int64_t at_ms;
    bool action; /* a supervision action (spec §4), not a business system's event */
};

struct event_reject {
    size_t index;
    char field[64];
    char reason[192];
};

/* The result of parsing one message; owns everything it points to. */
struct event_set {
    struct wire_buf records;
    struct event_entry *entries;
    size_t n_entries, cap_entries;
    struct event_reject *rejects; /* the first EVENT_REJECTS_KEPT of them */
    size_t n_rejects, cap_rejects;
    size_t n_rejected; /* records rejected, all of them */
    size_t n_records; /* entries + rejects */
};

void event_set_init(struct event_set *s);
void event_set_fini(struct event_set *s);
void event_set_reset(struct event_set *s);

/* Parses and validates a message body for node `node` (6 digits). Records go to `out` (reset
 * first). Returns 0 when the body could be split into records, even if some were rejected;
 * ERR_DECODE when it is not JSON or msgpack at all (then out->rejects holds one entry, index 0). */
int event_parse_message(const void *body, size_t len, const char *node, struct event_set *out)
    __attribute__((warn_unused_result));

/* Converts JSON Lines text to one msgpack array of the same records, unchanged (no validation,
 * no normalisation), for senders that prefer the faster msgpack intake. Returns the number of
 * records, or ERR_DECODE naming nothing when a line is not JSON (*bad_line is its 1-based
 * number). */
int event_jsonl_to_msgpack(const char *text, size_t len, struct wire_buf *out, size_t *bad_line)
    __attribute__((warn_unused_result));

/* Is this a business system's event (spec §3), as opposed to a supervision action (§4) or a
 * record jiancha itself makes (alert, counters …)? */
bool event_is_business(const char *type, size_t len);

/* A refusal of a valid record by what a node holds (desk, access): copies the field (64 bytes)
 * and reason (192 bytes), as a sender is told them, and returns ERR_INVALID. */
int event_refuse(char field[64], char reason[192], const char *f, const char *why);

/* Writes a canonical record as one line of JSON into a malloc'd string (times as RFC 3339 in
 * +08:00, money as yuan). Returns NULL if the bytes are not a canonical record. */
char *event_record_to_json(const void *record, size_t len);

/* The names of a type's required fields (beyond type, id and at), for tests and docs. Returns the
 * count written to names (at most max), or ERR_NOT_FOUND for an unknown type. */
int event_required_fields(const char *type, const char **names, int max);

/* Checks a stored record of a type of spec §3 or §4 in its canonical form (times in ms, money
 * in fen, `node` present and equal to `node`): 0, ERR_INVALID with the field and reason (sizes as
 * event_refuse), or ERR_NOT_FOUND for a type that is not an event's (a node's own records). */
int event_check_canonical(const wire_obj_t *record, const char *node, char field[64],
                          char reason[192]) __attribute__((warn_unused_result));

/* Borrowed type and id of a canonical record, for listing; 0 or ERR_DECODE. */
int event_record_peek(const void *record, size_t len, char type[32], char id[EVENT_ID_MAX + 1])
    __attribute__((warn_unused_result));

#endif
