/* wire: msgpack encoding and decoding through msgpack-c.
 *
 * wire_obj_t is msgpack_object under another name, so walking a decoded value costs no copies.
 * A reader decodes into one msgpack zone of its own, cleared before each value rather than
 * allocated anew, and a destroyed reader is kept (one per thread) for the next wire_reader_new:
 * decoding a record costs no malloc. Nothing here knows about events or batches: those layouts
 * live in their own modules.
 */
#include "wire.h"

#include "err.h"
#include "mem.h"

#include <msgpack.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void
wire_buf_init(struct wire_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void
wire_buf_fini(struct wire_buf *b)
{
    free(b->data);
    wire_buf_init(b);
}

void
wire_buf_reset(struct wire_buf *b)
{
    b->len = 0;
}

void
wire_buf_append(struct wire_buf *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len)
            cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
}

static int
append_cb(void *data, const char *buf, size_t len)
{
    wire_buf_append(data, buf, len);
    return 0;
}

/* A packer is two pointers; making one per call keeps msgpack types out of the header. */
#define PACKER(pk, b)                                                                              \
    msgpack_packer pk;                                                                             \
    msgpack_packer_init(&pk, (b), append_cb)

void
wire_put_map(struct wire_buf *b, uint32_t pairs)
{
    PACKER(pk, b);
    msgpack_pack_map(&pk, pairs);
}

void
wire_put_array(struct wire_buf *b, uint32_t items)
{
    PACKER(pk, b);
    msgpack_pack_array(&pk, items);
}

void
wire_put_str(struct wire_buf *b, const char *s, size_t len)
{
    PACKER(pk, b);
    msgpack_pack_str_with_body(&pk, s, len);
}

void
wire_put_cstr(struct wire_buf *b, const char *s)
{
    wire_put_str(b, s, strlen(s));
}

void
wire_put_bin(struct wire_buf *b, const void *data, size_t len)
{
    PACKER(pk, b);
    msgpack_pack_bin_with_body(&pk, data, len);
}

void
wire_put_uint(struct wire_buf *b, uint64_t v)
{
    PACKER(pk, b);
    msgpack_pack_uint64(&pk, v);
}

void
wire_put_int(struct wire_buf *b, int64_t v)
{
    PACKER(pk, b);
    msgpack_pack_int64(&pk, v);
}

void
wire_put_double(struct wire_buf *b, double v)
{
    PACKER(pk, b);
    msgpack_pack_double(&pk, v);
}

void
wire_put_bool(struct wire_buf *b, bool v)
{
    PACKER(pk, b);
    if (v)
        msgpack_pack_true(&pk);
    else
        msgpack_pack_false(&pk);
}

void
wire_put_nil(struct wire_buf *b)
{
    PACKER(pk, b);
    msgpack_pack_nil(&pk);
}

static const msgpack_object *
mo(const wire_obj_t *o)
{
    return (const msgpack_object *)o;
}

enum wire_type
wire_obj_type(const wire_obj_t *o)
{
    switch (mo(o)->type) {
    case MSGPACK_OBJECT_NIL:
        return WIRE_NIL;
    case MSGPACK_OBJECT_BOOLEAN:
        return WIRE_BOOL;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return WIRE_UINT;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return WIRE_INT;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return WIRE_FLOAT;
    case MSGPACK_OBJECT_STR:
        return WIRE_STR;
    case MSGPACK_OBJECT_BIN:
        return WIRE_BIN;
    case MSGPACK_OBJECT_ARRAY:
        return WIRE_ARRAY;
    case MSGPACK_OBJECT_MAP:
        return WIRE_MAP;
    default:
        return WIRE_OTHER;
    }
}

bool
wire_obj_bool(const wire_obj_t *o)
{
    return mo(o)->via.boolean;
}

uint64_t
wire_obj_uint(const wire_obj_t *o)
{
    return mo(o)->via.u64;
}

int64_t
wire_obj_int(const wire_obj_t *o)
{
    return mo(o)->via.i64;
}

double
wire_obj_float(const wire_obj_t *o)
{
    return mo(o)->via.f64;
}

const char *
wire_obj_bytes(const wire_obj_t *o, size_t *len)
{
    if (mo(o)->type == MSGPACK_OBJECT_BIN) {
        *len = mo(o)->via.bin.size;
        return mo(o)->via.bin.ptr;
    }
    *len = mo(o)->via.str.size;
    return mo(o)->via.str.ptr;
}

uint32_t
wire_obj_size(const wire_obj_t *o)
{
    if (mo(o)->type == MSGPACK_OBJECT_ARRAY)
        return mo(o)->via.array.size;
    if (mo(o)->type == MSGPACK_OBJECT_MAP)
        return mo(o)->via.map.size;
    return 0;
}

const wire_obj_t *
wire_obj_at(const wire_obj_t *o, uint32_t i)
{
    if (mo(o)->type == MSGPACK_OBJECT_ARRAY)
        return (const wire_obj_t *)&mo(o)->via.array.ptr[i];
    return (const wire_obj_t *)&mo(o)->via.map.ptr[i].val;
}

const wire_obj_t *
wire_obj_key_at(const wire_obj_t *o, uint32_t i)
{
    return (const wire_obj_t *)&mo(o)->via.map.ptr[i].key;
}

const wire_obj_t *
wire_obj_get(const wire_obj_t *o, const char *key)
{
    if (mo(o)->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t klen = strlen(key);
    const msgpack_object_map *m = &mo(o)->via.map;
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object *k = &m->ptr[i].key;
        /* the first byte first: a record's keys are short and many have the same length */
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen &&
            (klen == 0 || k->via.str.ptr[0] == key[0]) && memcmp(k->via.str.ptr, key, klen) == 0)
            return (const wire_obj_t *)&m->ptr[i].val;
    }
    return NULL;
}

int
wire_obj_get_uint(const wire_obj_t *map, const char *key, uint64_t *out)
{
    const wire_obj_t *v = wire_obj_get(map, key);
    if (!v)
        return ERR_NOT_FOUND;
    if (wire_obj_type(v) != WIRE_UINT)
        return ERR_DECODE;
    *out = wire_obj_uint(v);
    return 0;
}

int
wire_obj_get_int(const wire_obj_t *map, const char *key, int64_t *out)
{
    const wire_obj_t *v = wire_obj_get(map, key);
    if (!v)
        return ERR_NOT_FOUND;
    if (wire_obj_type(v) == WIRE_INT) {
        *out = wire_obj_int(v);
        return 0;
    }
    if (wire_obj_type(v) == WIRE_UINT && wire_obj_uint(v) <= INT64_MAX) {
        *out = (int64_t)wire_obj_uint(v);
        return 0;
    }
    return ERR_DECODE;
}

int
wire_obj_get_text(const wire_obj_t *map, const char *key, char *out, size_t cap)
{
    const char *p;
    size_t n;
    int rc = wire_obj_get_bytes(map, key, WIRE_STR, &p, &n);
    if (rc != 0)
        return rc;
    if (n >= cap)
        return ERR_DECODE;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

int
wire_obj_get_bytes(const wire_obj_t *map, const char *key, enum wire_type type, const char **ptr,
                   size_t *len)
{
    const wire_obj_t *v = wire_obj_get(map, key);
    if (!v)
        return ERR_NOT_FOUND;
    if (wire_obj_type(v) != type)
        return ERR_DECODE;
    *ptr = wire_obj_bytes(v, len);
    return 0;
}

#define WIRE_ZONE_CHUNK 4096 /* a record decodes within one chunk */

/* Under AddressSanitizer every value gets fresh memory and no reader is kept, so a use of a value
 * after its reader moved on or was destroyed is still caught. */
#if defined(__SANITIZE_ADDRESS__)
#define WIRE_REUSE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WIRE_REUSE 0
#endif
#endif
#ifndef WIRE_REUSE
#define WIRE_REUSE 1
#endif

/* Empties the zone for the next value: kept memory, or fresh memory under ASan. */
static void
zone_reset(msgpack_zone *z)
{
    if (WIRE_REUSE) {
        msgpack_zone_clear(z);
        return;
    }
    msgpack_zone_destroy(z);
    if (!msgpack_zone_init(z, WIRE_ZONE_CHUNK))
        abort();
}

struct wire_reader {
    const char *data;
    size_t len;
    size_t off;
    size_t last_start;
    msgpack_zone zone;
    msgpack_object obj;
};

/* The reader a thread destroyed last, kept for its next one; freed when the thread ends. */
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

static void
reader_free(void *p)
{
    wire_reader_t *r = p;
    msgpack_zone_destroy(&r->zone);
    free(r);
}

static void
spare_init(void)
{
    if (pthread_key_create(&spare_key, reader_free) != 0)
        abort(); /* only when the process is out of keys: nothing here could go on */
}

wire_reader_t *
wire_reader_new(const void *data, size_t len)
{
    pthread_once(&spare_once, spare_init);
    wire_reader_t *r = pthread_getspecific(spare_key);
    if (r) {
        pthread_setspecific(spare_key, NULL);
    } else {
        r = xcalloc(1, sizeof *r);
        if (!msgpack_zone_init(&r->zone, WIRE_ZONE_CHUNK))
            abort(); /* xcalloc's policy: out of memory ends the process */
    }
    r->data = data;
    r->len = len;
    r->off = 0;
    r->last_start = 0;
    memset(&r->obj, 0, sizeof r->obj);
    return r;
}

void
wire_reader_destroy(wire_reader_t **p)
{
    wire_reader_t *r = *p;
    if (!r)
        return;
    *p = NULL;
    msgpack_zone_clear(&r->zone);
    if (WIRE_REUSE && !pthread_getspecific(spare_key) && pthread_setspecific(spare_key, r) == 0)
        return;
    reader_free(r);
}

/* Big-endian unsigned of n bytes at p. */
static uint64_t
be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Walks one msgpack value without building it: false if its containers declare more elements
 * than the bytes left could hold, or it runs past the end. msgpack-c allocates a container's
 * elements before reading them, so a few hostile bytes claiming 4 billion would cost gigabytes. */
static bool
plausible(const uint8_t *p, size_t len)
{
    uint64_t pending = 1;
    size_t i = 0;
    while (pending > 0) {
        if (i >= len || pending > len - i)
            return false;
        uint8_t b = p[i++];
        pending--;
        uint64_t skip = 0, items = 0;
        size_t n = 0; /* bytes of a length that follows */
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
            continue;
        else if ((b & 0xf0) == 0x80)
            items = 2 * (uint64_t)(b & 0x0f);
        else if ((b & 0xf0) == 0x90)
            items = b & 0x0f;
        else if ((b & 0xe0) == 0xa0)
            skip = b & 0x1f;
        else
            switch (b) {
            case 0xc4: case 0xd9: n = 1; break;                 /* bin8, str8 */
            case 0xc5: case 0xda: n = 2; break;                 /* bin16, str16 */
            case 0xc6: case 0xdb: n = 4; break;                 /* bin32, str32 */
            case 0xc7: n = 1; skip = 1; break;                  /* ext8: type byte too */
            case 0xc8: n = 2; skip = 1; break;
            case 0xc9: n = 4; skip = 1; break;
            case 0xca: skip = 4; break;                         /* float32 */
            case 0xcb: skip = 8; break;
            case 0xcc: case 0xd0: skip = 1; break;
            case 0xcd: case 0xd1: skip = 2; break;
            case 0xce: case 0xd2: skip = 4; break;
            case 0xcf: case 0xd3: skip = 8; break;
            case 0xd4: skip = 2; break;                         /* fixext */
            case 0xd5: skip = 3; break;
            case 0xd6: skip = 5; break;
            case 0xd7: skip = 9; break;
            case 0xd8: skip = 17; break;
            case 0xdc: case 0xdd: {                             /* array16/32 */
                size_t m = b == 0xdc ? 2 : 4;
                if (len - i < m)
                    return false;
                items = be(p + i, m);
                i += m;
                break;
            }
            case 0xde: case 0xdf: {                             /* map16/32 */
                size_t m = b == 0xde ? 2 : 4;
                if (len - i < m)
                    return false;
                items = 2 * be(p + i, m);
                i += m;
                break;
            }
            default:
                return false; /* 0xc1: never used */
            }
        if (n) {
            if (len - i < n)
                return false;
            skip += be(p + i, n);
            i += n;
        }
        if (skip > len - i)
            return false;
        i += skip;
        pending += items;
    }
    return true;
}

int
wire_reader_next(wire_reader_t *r, const wire_obj_t **obj)
{
    if (r->off >= r->len)
        return ERR_NOT_FOUND;
    size_t start = r->off;
    if (!plausible((const uint8_t *)r->data + r->off, r->len - r->off))
        return ERR_DECODE;
    /* the previous value's objects go with the zone's contents, as the reader's contract says */
    zone_reset(&r->zone);
    size_t off = r->off;
    msgpack_unpack_return ret = msgpack_unpack(r->data, r->len, &off, &r->zone, &r->obj);
    if (ret != MSGPACK_UNPACK_SUCCESS && ret != MSGPACK_UNPACK_EXTRA_BYTES)
        return ERR_DECODE;
    r->off = off;
    r->last_start = start;
    *obj = (const wire_obj_t *)&r->obj;
    return 0;
}

size_t
wire_reader_offset(const wire_reader_t *r)
{
    return r->off;
}

void
wire_reader_last_span(const wire_reader_t *r, size_t *start, size_t *len)
{
    *start = r->last_start;
    *len = r->off - r->last_start;
}

int
wire_decode_one(const void *data, size_t len, wire_reader_t **reader, const wire_obj_t **obj)
{
    wire_reader_t *r = wire_reader_new(data, len);
    if (wire_reader_next(r, obj) != 0 || wire_reader_offset(r) != len) {
        wire_reader_destroy(&r);
        return ERR_DECODE;
    }
    *reader = r;
    return 0;
}

/* ---- reading one field without decoding ---- */

struct scan {
    const uint8_t *p, *end;
};

static bool
scan_take(struct scan *s, size_t n, const uint8_t **at)
{
    if ((size_t)(s->end - s->p) < n)
        return false;
    if (at)
        *at = s->p;
    s->p += n;
    return true;
}

/* A big-endian length of `bytes` bytes. */
static bool
scan_len(struct scan *s, size_t bytes, uint64_t *n)
{
    const uint8_t *b;
    if (!scan_take(s, bytes, &b))
        return false;
    *n = 0;
    for (size_t i = 0; i < bytes; i++)
        *n = (*n << 8) | b[i];
    return true;
}

/* A string's bytes, if the next value is one. */
static bool
scan_str(struct scan *s, const char **out, size_t *len)
{
    const uint8_t *b;
    uint64_t n;
    if (!scan_take(s, 1, &b))
        return false;
    if (*b >= 0xa0 && *b <= 0xbf)
        n = *b & 0x1f;
    else if (*b == 0xd9 || *b == 0xda || *b == 0xdb) {
        if (!scan_len(s, *b == 0xd9 ? 1 : *b == 0xda ? 2 : 4, &n))
            return false;
    } else {
        s->p--;
        return false;
    }
    const uint8_t *at;
    if (!scan_take(s, n, &at))
        return false;
    *out = (const char *)at;
    *len = n;
    return true;
}

/* Skips one value (nested up to depth). */
static bool
scan_skip(struct scan *s, int depth)
{
    const uint8_t *b;
    uint64_t n = 0;
    if (depth > 32 || !scan_take(s, 1, &b))
        return false;
    uint8_t c = *b;
    if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3)
        return true; /* fixints, nil, booleans */
    if (c >= 0xa0 && c <= 0xbf)
        return scan_take(s, c & 0x1f, NULL);
    if (c >= 0x90 && c <= 0x9f)
        n = c & 0x0f;
    else if (c >= 0x80 && c <= 0x8f)
        n = 2 * (uint64_t)(c & 0x0f);
    switch (c) {
    case 0xcc: case 0xd0: return scan_take(s, 1, NULL);
    case 0xcd: case 0xd1: return scan_take(s, 2, NULL);
    case 0xce: case 0xd2: case 0xca: return scan_take(s, 4, NULL);
    case 0xcf: case 0xd3: case 0xcb: return scan_take(s, 8, NULL);
    case 0xd4: return scan_take(s, 2, NULL);
    case 0xd5: return scan_take(s, 3, NULL);
    case 0xd6: return scan_take(s, 5, NULL);
    case 0xd7: return scan_take(s, 9, NULL);
    case 0xd8: return scan_take(s, 17, NULL);
    case 0xd9: case 0xc4: return scan_len(s, 1, &n) && scan_take(s, n, NULL);
    case 0xda: case 0xc5: return scan_len(s, 2, &n) && scan_take(s, n, NULL);
    case 0xdb: case 0xc6: return scan_len(s, 4, &n) && scan_take(s, n, NULL);
    case 0xc7: return scan_len(s, 1, &n) && scan_take(s, n + 1, NULL);
    case 0xc8: return scan_len(s, 2, &n) && scan_take(s, n + 1, NULL);
    case 0xc9: return scan_len(s, 4, &n) && scan_take(s, n + 1, NULL);
    case 0xdc: if (!scan_len(s, 2, &n)) return false; break;
    case 0xdd: if (!scan_len(s, 4, &n)) return false; break;
    case 0xde: if (!scan_len(s, 2, &n)) return false; n *= 2; break;
    case 0xdf: if (!scan_len(s, 4, &n)) return false; n *= 2; break;
    default:
        if (!(c >= 0x80 && c <= 0x9f))
            return false; /* 0xc1 is never used */
    }
    for (uint64_t i = 0; i < n; i++)
        if (!scan_skip(s, depth + 1))
            return false;
    return true;
}

int
wire_map_str(const void *data, size_t len, const char *key, const char **out, size_t *out_len)
{
    struct scan s = {data, (const uint8_t *)data + len};
    const uint8_t *b;
    uint64_t pairs;
    if (!scan_take(&s, 1, &b))
        return ERR_DECODE;
    if (*b >= 0x80 && *b <= 0x8f)
        pairs = *b & 0x0f;
    else if (*b == 0xde || *b == 0xdf) {
        if (!scan_len(&s, *b == 0xde ? 2 : 4, &pairs))
            return ERR_DECODE;
    } else {
        return ERR_DECODE;
    }
    size_t kl = strlen(key);
    for (uint64_t i = 0; i < pairs; i++) {
        const char *k;
        size_t l;
        bool is_str = scan_str(&s, &k, &l);
        if (!is_str && !scan_skip(&s, 1))
            return ERR_DECODE;
        if (is_str && l == kl && memcmp(k, key, kl) == 0)
            return scan_str(&s, out, out_len) ? 0 : ERR_NOT_FOUND;
        if (!scan_skip(&s, 1))
            return ERR_DECODE;
    }
    return ERR_NOT_FOUND;
}
