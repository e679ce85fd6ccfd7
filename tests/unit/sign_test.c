#include "testutil.h"

#include "err.h"
#include "sign.h"

#include <sys/stat.h>

static void
a_signature_verifies_only_for_its_message_domain_and_key(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    assert_int_equal(sign_init(), 0);
    assert_int_equal(sign_keypair_write("510104", dir), 0);
    assert_int_equal(sign_keypair_write("510105", dir), 0);
    char path[512], node[7];
    sign_key_t *k = NULL, *other = NULL;
    snprintf(path, sizeof path, "%s/510104.secret", dir);
    assert_int_equal(sign_key_load(path, &k, node), 0);
    assert_string_equal(node, "510104");
    snprintf(path, sizeof path, "%s/510105.secret", dir);
    assert_int_equal(sign_key_load(path, &other, NULL), 0);
    uint8_t pk[SIGN_PUBLIC_BYTES];
    snprintf(path, sizeof path, "%s/510104.pub", dir);
    assert_int_equal(sign_public_load(path, pk, node), 0);
    assert_memory_equal(pk, sign_key_public(k), SIGN_PUBLIC_BYTES);

    const char msg[] = "a batch header";
    uint8_t sig[SIGN_SIGNATURE_BYTES];
    sign_detached(k, "jiancha/test/v1", msg, sizeof msg, sig);
    assert_int_equal(sign_verify(pk, "jiancha/test/v1", msg, sizeof msg, sig), 0);
    assert_int_equal(sign_verify(pk, "jiancha/test/v2", msg, sizeof msg, sig), ERR_BAD_SIGNATURE);
    assert_int_equal(sign_verify(pk, "jiancha/test/v1", msg, sizeof msg - 1, sig),
                     ERR_BAD_SIGNATURE);
    assert_int_equal(sign_verify(sign_key_public(other), "jiancha/test/v1", msg, sizeof msg, sig),
                     ERR_BAD_SIGNATURE);
    sig[10] ^= 1;
    assert_int_equal(sign_verify(pk, "jiancha/test/v1", msg, sizeof msg, sig), ERR_BAD_SIGNATURE);
    sign_key_destroy(&k);
    sign_key_destroy(&other);
    assert_null(k);
    testutil_rmdir(dir);
}

static void
a_secret_readable_by_others_is_refused_and_never_overwritten(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    assert_int_equal(sign_init(), 0);
    assert_int_equal(sign_keypair_write("510104", dir), 0);
    assert_int_equal(sign_keypair_write("510104", dir), ERR_EXISTS);
    assert_int_equal(sign_keypair_write("5101", dir), ERR_INVALID);
    char path[512];
    snprintf(path, sizeof path, "%s/510104.secret", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(chmod(path, 0640), 0);
    sign_key_t *k = NULL;
    assert_int_equal(sign_key_load(path, &k, NULL), ERR_KEY_PERMS);
    assert_null(k);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(sign_key_load(path, &k, NULL), 0);
    sign_key_destroy(&k);
    /* a public key file is not a secret key file */
    snprintf(path, sizeof path, "%s/510104.pub", dir);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(sign_key_load(path, &k, NULL), ERR_INVALID);
    testutil_rmdir(dir);
}

static void
hex_round_trips_and_rejects_garbage(void **state)
{
    (void)state;
    uint8_t bin[4] = {0xde, 0xad, 0xbe, 0xef}, back[4];
    char hex[9];
    sign_to_hex(bin, 4, hex);
    assert_string_equal(hex, "deadbeef");
    assert_int_equal(sign_from_hex(hex, 8, back, 4), 0);
    assert_memory_equal(bin, back, 4);
    assert_int_equal(sign_from_hex("deadbeeg", 8, back, 4), ERR_INVALID);
    assert_int_equal(sign_from_hex("deadbe", 6, back, 4), ERR_INVALID);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_signature_verifies_only_for_its_message_domain_and_key),
        cmocka_unit_test(a_secret_readable_by_others_is_refused_and_never_overwritten),
        cmocka_unit_test(hex_round_trips_and_rejects_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
