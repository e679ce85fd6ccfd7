#include "testutil.h"

#include "err.h"
#include "wire.h"

static void
values_round_trip_through_a_record_stream(void **state)
{
    (void)state;
    struct wire_buf b;
    wire_buf_init(&b);
    wire_put_map(&b, 3);
    wire_put_cstr(&b, "u");
    wire_put_uint(&b, 1ULL << 40);
    wire_put_cstr(&b, "i");
    wire_put_int(&b, -7);
    wire_put_cstr(&b, "s");
    wire_put_str(&b, "四川", strlen("四川"));
    wire_put_array(&b, 2);
    wire_put_bool(&b, true);
    wire_put_bin(&b, "\0\1", 2);

    wire_reader_t *r = wire_reader_new(b.data, b.len);
    const wire_obj_t *o;
    assert_int_equal(wire_reader_next(r, &o), 0);
    uint64_t u;
    assert_int_equal(wire_obj_get_uint(o, "u", &u), 0);
    assert_true(u == 1ULL << 40);
    assert_int_equal(wire_obj_type(wire_obj_get(o, "i")), WIRE_INT);
    assert_int_equal(wire_obj_int(wire_obj_get(o, "i")), -7);
    const char *p;
    size_t len;
    assert_int_equal(wire_obj_get_bytes(o, "s", WIRE_STR, &p, &len), 0);
    assert_memory_equal(p, "四川", len);
    assert_int_equal(wire_obj_get_uint(o, "missing", &u), ERR_NOT_FOUND);
    assert_int_equal(wire_obj_get_uint(o, "s", &u), ERR_DECODE);
    assert_int_equal(wire_reader_next(r, &o), 0);
    assert_int_equal(wire_obj_size(o), 2);
    assert_int_equal(wire_obj_type(wire_obj_at(o, 1)), WIRE_BIN);
    assert_int_equal(wire_reader_next(r, &o), ERR_NOT_FOUND);
    wire_reader_destroy(&r);
    wire_buf_fini(&b);
}

static void
truncated_bytes_are_a_decode_error(void **state)
{
    (void)state;
    struct wire_buf b;
    wire_buf_init(&b);
    wire_put_map(&b, 1);
    wire_put_cstr(&b, "key");
    wire_put_cstr(&b, "a value that will be cut");
    for (size_t cut = 1; cut < b.len; cut++) {
        wire_reader_t *r = NULL;
        const wire_obj_t *o;
        assert_int_equal(wire_decode_one(b.data, cut, &r, &o), ERR_DECODE);
        assert_null(r);
    }
    wire_buf_fini(&b);
}

static void
containers_claiming_more_than_the_bytes_hold_are_refused_before_allocating(void **state)
{
    (void)state;
    /* an array32 and a map32 of 4 billion elements, and a str32 longer than what follows:
     * decoding must fail at once, not allocate for the claim */
    static const uint8_t array32[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01};
    static const uint8_t map32[] = {0xdf, 0x7f, 0xff, 0xff, 0xff, 0x01, 0x02};
    static const uint8_t str32[] = {0xdb, 0x00, 0x00, 0x10, 0x00, 'a'};
    static const uint8_t nested[] = {0x91, 0x91, 0xdc, 0xff, 0xff};
    const uint8_t *bad[] = {array32, map32, str32, nested};
    size_t lens[] = {sizeof array32, sizeof map32, sizeof str32, sizeof nested};
    for (size_t i = 0; i < 4; i++) {
        wire_reader_t *r = NULL;
        const wire_obj_t *o;
        assert_int_equal(wire_decode_one(bad[i], lens[i], &r, &o), ERR_DECODE);
        assert_null(r);
    }
    /* and an honest nested value still decodes */
    static const uint8_t good[] = {0x92, 0x91, 0x01, 0x81, 0xa1, 'k', 0xc3};
    wire_reader_t *r = NULL;
    const wire_obj_t *o;
    assert_int_equal(wire_decode_one(good, sizeof good, &r, &o), 0);
    assert_int_equal(wire_obj_size(o), 2);
    wire_reader_destroy(&r);
}

/* A random value of every kind msgpack has, nested a little. */
static void
random_value(struct wire_buf *b, unsigned *seed, int depth)
{
    int kind = (int)(rand_r(seed) % (depth > 2 ? 6 : 8));
    switch (kind) {
    case 0: wire_put_uint(b, (uint64_t)rand_r(seed) << (rand_r(seed) % 33)); break;
    case 1: wire_put_int(b, -(int64_t)(rand_r(seed) % 100000)); break;
    case 2: wire_put_double(b, rand_r(seed) / 7.0); break;
    case 3: wire_put_bool(b, rand_r(seed) % 2); break;
    case 4: {
        char text[300];
        size_t n = (size_t)(rand_r(seed) % sizeof text);
        memset(text, 'a' + rand_r(seed) % 26, n);
        if (rand_r(seed) % 2)
            wire_put_str(b, text, n);
        else
            wire_put_bin(b, text, n);
        break;
    }
    case 5: wire_put_nil(b); break;
    case 6: {
        uint32_t n = (uint32_t)(rand_r(seed) % 20);
        wire_put_array(b, n);
        for (uint32_t i = 0; i < n; i++)
            random_value(b, seed, depth + 1);
        break;
    }
    default: {
        uint32_t n = (uint32_t)(rand_r(seed) % 20);
        wire_put_map(b, n);
        for (uint32_t i = 0; i < n; i++) {
            char key[16];
            snprintf(key, sizeof key, "k%u", i);
            wire_put_cstr(b, key);
            random_value(b, seed, depth + 1);
        }
    }
    }
}

/* wire_map_str reads one string field in place; it must say what decoding the map says. */
static void
one_field_read_in_place_agrees_with_decoding(void **state)
{
    (void)state;
    unsigned seed = 20261207;
    for (int round = 0; round < 2000; round++) {
        struct wire_buf b;
        wire_buf_init(&b);
        uint32_t pairs = (uint32_t)(rand_r(&seed) % 20) + 1;
        uint32_t at = (uint32_t)rand_r(&seed) % (pairs + 1); /* pairs: no "type" at all */
        wire_put_map(&b, pairs);
        for (uint32_t i = 0; i < pairs; i++) {
            if (i == at) {
                wire_put_cstr(&b, "type");
                if (rand_r(&seed) % 4)
                    wire_put_cstr(&b, round % 2 ? "case.accept" : "alert");
                else
                    random_value(&b, &seed, 0); /* a type that may not be a string */
                continue;
            }
            char key[16];
            snprintf(key, sizeof key, "f%u", i);
            wire_put_cstr(&b, key);
            random_value(&b, &seed, 0);
        }
        const char *got;
        size_t gl;
        int rc = wire_map_str(b.data, b.len, "type", &got, &gl);
        wire_reader_t *r = NULL;
        const wire_obj_t *m;
        assert_int_equal(wire_decode_one(b.data, b.len, &r, &m), 0);
        const char *want;
        size_t wl;
        if (wire_obj_get_bytes(m, "type", WIRE_STR, &want, &wl) == 0) {
            assert_int_equal(rc, 0);
            assert_int_equal(gl, wl);
            assert_memory_equal(got, want, wl);
        } else {
            assert_int_equal(rc, ERR_NOT_FOUND);
        }
        wire_reader_destroy(&r);
        /* cut anywhere: never read past the end, never a wrong answer */
        size_t cut = (size_t)rand_r(&seed) % b.len;
        rc = wire_map_str(b.data, cut, "type", &got, &gl);
        assert_true(rc == ERR_DECODE || rc == ERR_NOT_FOUND ||
                    (rc == 0 && got + gl <= (const char *)b.data + cut));
        wire_buf_fini(&b);
    }
    /* not a map */
    struct wire_buf b;
    wire_buf_init(&b);
    wire_put_array(&b, 1);
    wire_put_cstr(&b, "type");
    const char *got;
    size_t gl;
    assert_int_equal(wire_map_str(b.data, b.len, "type", &got, &gl), ERR_DECODE);
    wire_buf_fini(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(containers_claiming_more_than_the_bytes_hold_are_refused_before_allocating),
        cmocka_unit_test(values_round_trip_through_a_record_stream),
        cmocka_unit_test(truncated_bytes_are_a_decode_error),
        cmocka_unit_test(one_field_read_in_place_agrees_with_decoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
