/* door: a node's intake socket, driven by a REQ-like client in the same process: the reply comes
 * after the commit and names what was accepted, duplicated and rejected (field and reason); an
 * oversize message is refused whole; requests waiting together share one commit; the socket's
 * mode is the daemon's, whatever the umask. */
#include "door.h"
#include "err.h"
#include "store.h"

#include "testutil.h"

#include <czmq.h>
#include <jansson.h>
#include <sys/stat.h>

static char *dir;
static store_t *st;
static door_t *door;
static zsock_t *client;

static int
setup(void **state)
{
    (void)state;
    dir = testutil_tmpdir();
    struct store_options o = {.map_bytes = 4 << 20};
    char path[512], ep[600], why[ERR_WHY_MAX];
    snprintf(path, sizeof path, "%s/store", dir);
    assert_int_equal(store_open(path, &o, &st), 0);
    snprintf(ep, sizeof ep, "ipc://%s/intake.sock", dir);
    struct intake_policy policy = {0};
    mode_t was = umask(0);
    door = door_new(st, 510104, ep, 4096, 100, &policy, why, sizeof why);
    umask(was);
    assert_non_null(door);
    client = zsock_new_dealer(ep);
    assert_non_null(client);
    zsock_set_rcvtimeo(client, 5000);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    zsock_destroy(&client);
    door_destroy(&door);
    store_close(&st);
    testutil_rmdir(dir);
    return 0;
}

/* Sends body as request `rid`, lets the door handle it, and returns the parsed reply. */
static json_t *
ask(const char *rid, const char *body, size_t len)
{
    zmsg_t *m = zmsg_new();
    zmsg_addstr(m, "");
    zmsg_addstr(m, rid);
    zmsg_addmem(m, body, len);
    assert_int_equal(zmsg_send(&m, client), 0);
    struct intake_result res;
    int rc = 0;
    for (int i = 0; i < 500 && rc == 0; i++) {
        rc = door_handle(door, 1793581200000LL, DOOR_GROUP, &res);
        if (rc == 0)
            zclock_sleep(2);
    }
    assert_int_equal(rc, 1);
    zmsg_t *r = zmsg_recv(client);
    assert_non_null(r);
    char *delim = zmsg_popstr(r), *id = zmsg_popstr(r), *text = zmsg_popstr(r);
    assert_string_equal(delim, "");
    assert_string_equal(id, rid); /* replies are matched by request id */
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    assert_non_null(j);
    free(delim);
    free(id);
    free(text);
    zmsg_destroy(&r);
    return j;
}

static json_int_t
num(const json_t *j, const char *key)
{
    return json_integer_value(json_object_get(j, key));
}

static void
a_reply_counts_accepted_duplicates_and_rejects_with_their_field(void **state)
{
    (void)state;
    const char *msg =
        "{\"type\":\"case.accept\",\"id\":\"a1\",\"at\":\"2026-11-02T09:00:00+08:00\","
        "\"case\":\"C1\",\"item\":\"LIC\",\"dept\":\"D\",\"handler\":\"H\"}\n"
        "{\"type\":\"case.accept\",\"id\":\"a2\",\"at\":\"2026-11-02T09:00:00+08:00\","
        "\"item\":\"LIC\",\"dept\":\"D\",\"handler\":\"H\"}\n";
    json_t *j = ask("r1", msg, strlen(msg));
    assert_int_equal(num(j, "records"), 2);
    assert_int_equal(num(j, "accepted"), 1);
    assert_int_equal(num(j, "rejected_count"), 1);
    json_t *rej = json_array_get(json_object_get(j, "rejected"), 0);
    assert_int_equal(num(rej, "index"), 1);
    assert_string_equal(json_string_value(json_object_get(rej, "field")), "case");
    json_decref(j);
    /* the same event again: a duplicate, stored once */
    j = ask("r2", msg, strlen(msg));
    assert_int_equal(num(j, "accepted"), 0);
    assert_int_equal(num(j, "duplicates"), 1);
    json_decref(j);
    struct door_stats ds;
    door_stats(door, &ds);
    assert_int_equal(ds.accepted, 1);
    assert_int_equal(ds.duplicates, 1);
    assert_int_equal(ds.rejected, 2);
}

static void
an_oversize_message_is_refused_whole_and_the_socket_mode_is_set(void **state)
{
    (void)state;
    char big[8192];
    memset(big, ' ', sizeof big);
    json_t *j = ask("r3", big, sizeof big);
    assert_int_equal(num(j, "accepted"), 0);
    assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "exceeds"));
    json_decref(j);
    char path[600];
    snprintf(path, sizeof path, "%s/intake.sock", dir);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, DOOR_SOCKET_MODE); /* though the umask was 0 */
}

/* The requests a pipelining sender has in flight are committed together, once, and answered in
 * the order they came: a later one sees an earlier one's event as a duplicate, an oversized one
 * among them is refused alone. */
static void
requests_waiting_together_share_one_commit_and_are_answered_in_order(void **state)
{
    (void)state;
    char big[8192];
    memset(big, ' ', sizeof big);
#define EV(id, case_)                                                                              \
    "{\"type\":\"case.accept\",\"id\":\"" id                                                       \
    "\",\"at\":\"2026-11-02T09:00:00+08:00\",\"case\":\"" case_                                    \
    "\",\"item\":\"LIC\",\"dept\":\"D\",\"handler\":\"H\"}\n"
    const char *m1 = EV("g1", "C1"), *m2 = EV("g1", "C1") EV("g2", "C2"), *m4 = EV("g3", "C3");
#undef EV
    const char *bodies[4] = {m1, m2, big, m4};
    size_t lens[4] = {strlen(m1), strlen(m2), sizeof big, strlen(m4)};
    const char *ids[4] = {"q1", "q2", "q3", "q4"};
    for (int i = 0; i < 4; i++) {
        zmsg_t *m = zmsg_new();
        zmsg_addstr(m, "");
        zmsg_addstr(m, ids[i]);
        zmsg_addmem(m, bodies[i], lens[i]);
        assert_int_equal(zmsg_send(&m, client), 0);
    }
    /* all four at the door before it reads any */
    zclock_sleep(500); /* ipc delivers at once; this leaves room for a loaded machine */
    struct store_stats before, after;
    store_stats(st, &before);
    struct intake_result res;
    assert_int_equal(door_handle(door, 1793581200000LL, DOOR_GROUP, &res), 4);
    store_stats(st, &after);
    assert_int_equal(after.commits - before.commits, 1);
    assert_int_equal(res.accepted, 3);
    assert_int_equal(res.duplicates, 1);
    assert_int_equal(door_handle(door, 1793581200000LL, DOOR_GROUP, &res), 0);
    json_int_t accepted[4] = {1, 1, 0, 1}, dups[4] = {0, 1, 0, 0};
    for (int i = 0; i < 4; i++) {
        zmsg_t *r = zmsg_recv(client);
        assert_non_null(r);
        char *delim = zmsg_popstr(r), *id = zmsg_popstr(r), *text = zmsg_popstr(r);
        assert_string_equal(id, ids[i]);
        json_error_t jerr;
        json_t *j = json_loads(text, 0, &jerr);
        assert_non_null(j);
        assert_int_equal(num(j, "accepted"), accepted[i]);
        assert_int_equal(num(j, "duplicates"), dups[i]);
        if (i == 2)
            assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "exceeds"));
        json_decref(j);
        free(delim);
        free(id);
        free(text);
        zmsg_destroy(&r);
    }
}

int
main(void)
{
    zsys_init();
    zsys_set_logstream(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            a_reply_counts_accepted_duplicates_and_rejects_with_their_field, setup, teardown),
        cmocka_unit_test_setup_teardown(
            an_oversize_message_is_refused_whole_and_the_socket_mode_is_set, setup, teardown),
        cmocka_unit_test_setup_teardown(
            requests_waiting_together_share_one_commit_and_are_answered_in_order, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
