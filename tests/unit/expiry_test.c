/* expiry: cert.expiring's lights from a certificate's end (yellow from 30 days before, red from 7
 * days before and once ended), each certificate's alarm its own (the node's and its parent's),
 * every change stored and sealed into the spool, nothing recorded when nothing changes, and a
 * later certificate (a renewal) or none known clearing it. Times are fixed, never today's. */
#include "alert.h"
#include "alertdb.h"
#include "err.h"
#include "expiry.h"
#include "node.h"
#include "spool.h"
#include "timestamp.h"

#include "testutil.h"

#define NODE 510104u
#define PARENT 510100u
#define DAY (24 * 3600 * 1000LL)

static char *dir;
static store_t *st;
static int64_t now;

static int
setup(void **state)
{
    (void)state;
    dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 4 << 20};
    assert_int_equal(store_open(dir, &o, &st), 0);
    now = testutil_at("2026-06-01T09:00:00+08:00");
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    store_close(&st);
    testutil_rmdir(dir);
    return 0;
}

/* The alarm of `whose` certificate as the store holds it (whose 0: the publisher's); false when
 * there is none. */
static bool
stored(uint32_t whose, struct alert *a)
{
    struct alert key;
    memset(&key, 0, sizeof key);
    node_format(NODE, key.node);
    snprintf(key.rule, sizeof key.rule, "%s", EXPIRY_RULE);
    snprintf(key.subject_kind, sizeof key.subject_kind, "certificate");
    if (whose)
        node_format(whose, key.subject);
    else
        snprintf(key.subject, sizeof key.subject, "publisher");
    alert_make_id(&key);
    store_txn_t *t = NULL;
    assert_int_equal(store_read(st, &t), 0);
    int rc = alertdb_get(t, key.id, a);
    store_abort(&t);
    return rc == 0;
}

static uint64_t
sealed_batches(void)
{
    store_txn_t *t = NULL;
    struct spool_state sp;
    assert_int_equal(store_read(st, &t), 0);
    assert_int_equal(spool_state_get(t, &sp), 0);
    store_abort(&t);
    return sp.batch_seq;
}

static void
check(const struct expiry_cert *certs, size_t n, int64_t at, int64_t *next)
{
    uint64_t sealed;
    assert_int_equal(expiry_check(st, NODE, certs, n, at, 1000, next, &sealed), 0);
}

static void
lights_follow_the_certificates_end(void **state)
{
    (void)state;
    int64_t next;
    struct alert a;
    struct expiry_cert own = {NODE, now + 40 * DAY, false, 0};
    check(&own, 1, now, &next);
    assert_false(stored(NODE, &a)); /* 40 days left: nothing to say */
    assert_int_equal(next, own.not_after_ms - 30 * DAY);
    uint64_t batches = sealed_batches();

    check(&own, 1, next, &next); /* 30 days left: yellow */
    assert_true(stored(NODE, &a));
    assert_int_equal(a.state, ALERT_OPEN);
    assert_int_equal(a.light, ALERT_YELLOW);
    assert_string_equal(a.rule, "cert.expiring");
    assert_string_equal(a.dept, "");
    assert_non_null(strstr(a.detail, "the certificate of 510104 ends on"));
    assert_true(sealed_batches() > batches); /* it travels up at once */
    assert_int_equal(next, own.not_after_ms - 7 * DAY);

    batches = sealed_batches();
    check(&own, 1, next - 1, &next); /* the same light again: nothing recorded */
    assert_int_equal(sealed_batches(), batches);

    check(&own, 1, own.not_after_ms - 7 * DAY, &next); /* 7 days left: red */
    assert_true(stored(NODE, &a));
    assert_int_equal(a.light, ALERT_RED);
    assert_int_equal(a.ledger[a.n_ledger - 1].action, ALERT_ESCALATED);
    assert_true(sealed_batches() > batches);

    check(&own, 1, own.not_after_ms + DAY, &next); /* ended: still red, says so */
    assert_true(stored(NODE, &a));
    assert_int_equal(a.light, ALERT_RED);
    assert_non_null(strstr(a.detail, "ended on"));

    struct expiry_cert renewed = {NODE, own.not_after_ms + 400 * DAY, false, 0};
    check(&renewed, 1, own.not_after_ms + DAY, &next); /* a renewal clears it */
    assert_true(stored(NODE, &a));
    assert_int_equal(a.state, ALERT_CLEARED);
}

static void
the_parents_certificate_is_an_alarm_of_its_own(void **state)
{
    (void)state;
    int64_t next;
    struct alert a;
    struct expiry_cert certs[] = {{NODE, now + 200 * DAY, false, 0}, {PARENT, now + 5 * DAY, false, 0}};
    check(certs, 2, now, &next);
    assert_false(stored(NODE, &a));
    assert_true(stored(PARENT, &a));
    assert_int_equal(a.light, ALERT_RED);
    assert_string_equal(a.node, "510104"); /* raised by the node that depends on it */
    assert_string_equal(a.subject, "510100");
    assert_non_null(strstr(a.detail, "the certificate of 510100"));
    /* the parent's certificate no longer known (no set): cleared, not left standing */
    struct expiry_cert none[] = {{NODE, now + 200 * DAY, false, 0}, {PARENT, 0, false, 0}};
    check(none, 2, now, &next);
    assert_true(stored(PARENT, &a));
    assert_int_equal(a.state, ALERT_CLEARED);
}

static void
a_later_certificate_still_ending_soon_moves_the_date(void **state)
{
    (void)state;
    int64_t next;
    struct alert a;
    struct expiry_cert first = {NODE, now + 20 * DAY, false, 0};
    check(&first, 1, now, &next);
    assert_true(stored(NODE, &a));
    char before[sizeof a.detail];
    snprintf(before, sizeof before, "%s", a.detail);
    struct expiry_cert second = {NODE, now + 25 * DAY, false, 0};
    check(&second, 1, now, &next);
    assert_true(stored(NODE, &a));
    assert_int_equal(a.light, ALERT_YELLOW);
    assert_string_not_equal(a.detail, before);
    assert_int_equal(a.ledger[a.n_ledger - 1].action, ALERT_CORRECTED);
}

static void
the_publishers_certificate_has_an_alarm_of_its_own(void **state)
{
    (void)state;
    int64_t next;
    struct alert a;
    struct expiry_cert certs[] = {{NODE, now + 200 * DAY, false, 0}, {0, now + 10 * DAY, true, 0}};
    check(certs, 2, now, &next);
    assert_false(stored(NODE, &a));
    assert_true(stored(0, &a));
    assert_int_equal(a.light, ALERT_YELLOW);
    assert_string_equal(a.node, "510104");
    assert_non_null(strstr(a.detail, "the certificate of the publisher ends on"));
    assert_non_null(strstr(a.detail, "--publisher"));
    assert_int_equal(next, certs[1].not_after_ms - 7 * DAY);
    /* a bundle signed under a renewed publisher certificate: cleared */
    struct expiry_cert renewed[] = {{NODE, now + 200 * DAY, false, 0}, {0, now + 300 * DAY, true, 0}};
    check(renewed, 2, now, &next);
    assert_true(stored(0, &a));
    assert_int_equal(a.state, ALERT_CLEARED);
}

static void
a_renewal_asked_for_says_to_approve_it(void **state)
{
    (void)state;
    int64_t next;
    struct alert a;
    struct expiry_cert own = {NODE, now + 20 * DAY, false, 0};
    check(&own, 1, now, &next);
    assert_true(stored(NODE, &a));
    assert_non_null(strstr(a.detail, "renew it (jiancha keys request)"));
    /* the node made its next keys and asked: the administrator's move now */
    own.asked_gen = 2;
    check(&own, 1, now, &next);
    assert_true(stored(NODE, &a));
    assert_int_equal(a.light, ALERT_YELLOW);
    assert_non_null(strstr(a.detail, "its renewal (key generation 2) waits for approval at the "
                                     "province (jiancha keys approve)"));
}

static void
a_certificate_in_no_set_is_a_yellow_of_its_own(void **state)
{
    (void)state;
    int64_t next;
    struct alert a;
    struct expiry_cert unseen = {NODE, EXPIRY_END_UNKNOWN, false, 0};
    check(&unseen, 1, now, &next);
    assert_true(stored(NODE, &a));
    assert_int_equal(a.light, ALERT_YELLOW);
    assert_non_null(strstr(a.detail, "its end is unknown (jiancha keys certs publish)"));
    assert_true(next == INT64_MAX || next > now + 365 * DAY); /* the clock alone changes nothing */
    /* the set comes: a certificate ending in a year clears it */
    struct expiry_cert seen = {NODE, now + 365 * DAY, false, 0};
    check(&seen, 1, now, &next);
    assert_true(stored(NODE, &a));
    assert_int_equal(a.state, ALERT_CLEARED);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(lights_follow_the_certificates_end, setup, teardown),
        cmocka_unit_test_setup_teardown(the_parents_certificate_is_an_alarm_of_its_own, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_later_certificate_still_ending_soon_moves_the_date,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(the_publishers_certificate_has_an_alarm_of_its_own, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_renewal_asked_for_says_to_approve_it, setup, teardown),
        cmocka_unit_test_setup_teardown(a_certificate_in_no_set_is_a_yellow_of_its_own, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
