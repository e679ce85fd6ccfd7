/* wire: the one door to msgpack-c.
 *
 * Writing: a growable byte buffer (struct wire_buf) and wire_put_* calls that append msgpack
 * values to it. Reading: a wire_reader_t walks a buffer of concatenated msgpack values (a record
 * stream) one at a time; each value is a borrowed wire_obj_t tree that stays valid until the next
 * wire_reader_next or wire_reader_destroy. Decoding never trusts the bytes: sizes are checked and
 * a malformed buffer yields ERR_DECODE, never a crash.
 */
#ifndef JIANCHA_WIRE_H
#define JIANCHA_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wire_buf {
    uint8_t *data; /* owned */
    size_t len;
    size_t cap;
};

void wire_buf_init(struct wire_buf *b);
void wire_buf_fini(struct wire_buf *b);
void wire_buf_reset(struct wire_buf *b);
void wire_buf_append(struct wire_buf *b, const void *data, size_t len);

void wire_put_map(struct wire_buf *b, uint32_t pairs);
void wire_put_array(struct wire_buf *b, uint32_t items);
void wire_put_str(struct wire_buf *b, const char *s, size_t len);
void wire_put_cstr(struct wire_buf *b, const char *s);
void wire_put_bin(struct wire_buf *b, const void *data, size_t len);
void wire_put_uint(struct wire_buf *b, uint64_t v);
void wire_put_int(struct wire_buf *b, int64_t v);
void wire_put_double(struct wire_buf *b, double v);
void wire_put_bool(struct wire_buf *b, bool v);
void wire_put_nil(struct wire_buf *b);

enum wire_type {
    WIRE_NIL,
    WIRE_BOOL,
    WIRE_UINT,
    WIRE_INT, /* negative integers only; msgpack stores non-negative ones as WIRE_UINT */
    WIRE_FLOAT,
    WIRE_STR,
    WIRE_BIN,
    WIRE_ARRAY,
    WIRE_MAP,
    WIRE_OTHER /* ext types: never produced by jiancha, rejected by every decoder */
};

typedef struct wire_obj wire_obj_t;

enum wire_type wire_obj_type(const wire_obj_t *o);
bool wire_obj_bool(const wire_obj_t *o);
uint64_t wire_obj_uint(const wire_obj_t *o);
int64_t wire_obj_int(const wire_obj_t *o);
double wire_obj_float(const wire_obj_t *o);
/* Borrowed bytes of a STR or BIN value; not NUL-terminated. */
const char *wire_obj_bytes(const wire_obj_t *o, size_t *len);
uint32_t wire_obj_size(const wire_obj_t *o); /* items of an ARRAY, pairs of a MAP */
const wire_obj_t *wire_obj_at(const wire_obj_t *o, uint32_t i);
const wire_obj_t *wire_obj_key_at(const wire_obj_t *o, uint32_t i);
/* The value under a string key of a MAP, or NULL. */
const wire_obj_t *wire_obj_get(const wire_obj_t *o, const char *key);
/* Convenience lookups that check the type: 0, or ERR_NOT_FOUND / ERR_DECODE. */
int wire_obj_get_uint(const wire_obj_t *map, const char *key, uint64_t *out)
    __attribute__((warn_unused_result));
int wire_obj_get_bytes(const wire_obj_t *map, const char *key, enum wire_type type,
                       const char **ptr, size_t *len) __attribute__((warn_unused_result));
/* A signed integer (msgpack encodes non-negative ones as uint): ERR_DECODE past INT64_MAX. */
int wire_obj_get_int(const wire_obj_t *map, const char *key, int64_t *out)
    __attribute__((warn_unused_result));
/* A string copied NUL-terminated into out: ERR_DECODE if it needs cap bytes or more. */
int wire_obj_get_text(const wire_obj_t *map, const char *key, char *out, size_t cap)
    __attribute__((warn_unused_result));

typedef struct wire_reader wire_reader_t;

/* A reader over borrowed bytes (they must outlive the reader). */
wire_reader_t *wire_reader_new(const void *data, size_t len);
void wire_reader_destroy(wire_reader_t **p);
/* Next value: 0 and *obj set, ERR_NOT_FOUND at the clean end, ERR_DECODE on bad bytes. */
int wire_reader_next(wire_reader_t *r, const wire_obj_t **obj) __attribute__((warn_unused_result));
/* Byte offset of the next value, and the start offset and length of the value last returned. */
size_t wire_reader_offset(const wire_reader_t *r);
void wire_reader_last_span(const wire_reader_t *r, size_t *start, size_t *len);

/* Decodes exactly one value filling the whole buffer into a fresh reader; ERR_DECODE otherwise. */
int wire_decode_one(const void *data, size_t len, wire_reader_t **reader, const wire_obj_t **obj)
    __attribute__((warn_unused_result));

/* Finds the string value of `key` in the map at the start of data without decoding the rest (no
 * allocation): 0 with *out borrowed from data; ERR_NOT_FOUND when the map has no such key or its
 * value is not a string; ERR_DECODE when data does not start with a well-formed map. For hot
 * paths that need one field of many records (a record's type). */
int wire_map_str(const void *data, size_t len, const char *key, const char **out, size_t *out_len)
    __attribute__((warn_unused_result));

#endif
