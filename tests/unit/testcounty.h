/* testcounty: a county collector's round in a unit test, as the daemon does it: records through
 * the intake (with the desk's admission, as the collector's door sends them), then the rules
 * pass, the supervision desk and the day sheets. Shared by the tests that need a judged store. */
#ifndef JIANCHA_TESTCOUNTY_H
#define JIANCHA_TESTCOUNTY_H

#include "calendar.h"
#include "catalog.h"
#include "counter.h"
#include "desk.h"
#include "event.h"
#include "intake.h"
#include "node.h"
#include "store.h"
#include "watch.h"

#include "testutil.h"

struct testcounty {
    store_t *st;
    uint32_t node;
    const catalog_t *cat;
    calendar_t *cal;
    const char *patrol_from; /* first day the office's patrols are judged ("YYYY-MM-DD") */
    int n_sent;              /* records sent: ids are e1, e2 ... */
};

/* Sends one record (its fields but the id, which is "e<N>"); returns the refusal's field, "" when
 * stored. A record the parser refuses fails the test. */
static inline const char *
testcounty_send(struct testcounty *c, const char *json)
{
    static char field[64];
    char full[4096], nt[NODE_LEN + 1];
    snprintf(full, sizeof full, "{\"id\":\"e%d\",%s}", ++c->n_sent, json);
    node_format(c->node, nt);
    struct event_set set;
    event_set_init(&set);
    assert_int_equal(event_parse_message(full, strlen(full), nt, &set), 0);
    if (set.n_entries != 1)
        fail_msg("record refused by the parser: %s: %s", set.rejects[0].field,
                 set.rejects[0].reason);
    struct intake_result r;
    struct intake_policy policy = {.calendar = c->cal};
    assert_int_equal(intake_commit(c->st, c->node, &set, &policy, 1000, 1, &r), 0);
    event_set_fini(&set);
    snprintf(field, sizeof field, "%s", r.n_refused ? r.refused[0].field : "");
    return field;
}

/* The collector's round as of `when`: rules, desk, day sheets. */
static inline void
testcounty_judge(struct testcounty *c, const char *when)
{
    int64_t at = testutil_at(when), from;
    watch_t *w = watch_new(c->st, c->node, c->cat, c->cal);
    struct watch_result wr;
    assert_int_equal(watch_run(w, at, 1000, 100000, &wr), 0);
    watch_destroy(&w);
    assert_int_equal(calendar_parse_date(c->patrol_from, strlen(c->patrol_from), &from), 0);
    struct desk_options o = {from, NULL, 0};
    desk_t *d = desk_new(c->st, c->node, c->cal, &o);
    struct desk_result dr;
    assert_int_equal(desk_run(d, at, 1000, &dr), 0);
    desk_destroy(&d);
    struct counter_refresh_result cr;
    assert_int_equal(counter_refresh(c->st, c->node, c->cat, c->cal, at, 1000, &cr), 0);
}

#endif
