/* office: the door and the desk of one node, with the calendar they share. See office.h. */
#include "office.h"

#include "err.h"
#include "file.h"
#include "log.h"
#include "mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct office {
    store_t *store;
    uint32_t node;
    uint32_t seal_at;
    door_t *door;
    desk_t *desk; /* NULL without a calendar */
    struct desk_options desk_opt;
    uint32_t *tree;
    bool fresh; /* records came in since the desk's last pass */
    struct log_limit refusals; /* a parent resends what we refuse at every session */
};

office_t *
office_new(store_t *store, uint32_t node, const struct office_options *opt, calendar_t *calendar,
           char *why, size_t why_len)
{
    struct intake_policy policy = {.calendar = calendar, .actions_only = opt->actions_only};
    door_t *door = door_new(store, node, opt->endpoint, opt->max_message_bytes, opt->seal_at,
                            &policy, why, why_len);
    if (!door)
        return NULL;
    if (opt->data_dir) {
        char *path = xasprintf("%s/%s", opt->data_dir, OFFICE_ENDPOINT_FILE);
        char *text = xasprintf("%s\n", opt->endpoint);
        if (file_write(path, text, strlen(text), false) != 0)
            log_warn("office: cannot record the intake endpoint path=%s: %s", path,
                     strerror(errno));
        free(path);
        free(text);
    }
    office_t *o = xcalloc(1, sizeof *o);
    o->store = store;
    o->node = node;
    o->seal_at = opt->seal_at;
    o->door = door;
    o->tree = xcalloc(opt->n_tree ? opt->n_tree : 1, sizeof *o->tree);
    if (opt->n_tree)
        memcpy(o->tree, opt->tree, opt->n_tree * sizeof *o->tree);
    o->desk_opt = (struct desk_options){opt->patrol_from_day, o->tree, opt->n_tree};
    office_set_calendar(o, calendar);
    return o;
}

char *
office_endpoint_of(const char *data_dir)
{
    char *path = xasprintf("%s/%s", data_dir, OFFICE_ENDPOINT_FILE);
    size_t len = 0;
    char *text = file_read(path, &len);
    free(path);
    if (text)
        text[strcspn(text, "\r\n")] = '\0';
    if (text && !text[0]) {
        free(text);
        text = NULL;
    }
    return text;
}

void
office_destroy(office_t **p)
{
    if (!*p)
        return;
    door_destroy(&(*p)->door);
    desk_destroy(&(*p)->desk);
    free((*p)->tree);
    free(*p);
    *p = NULL;
}

void
office_set_calendar(office_t *o, calendar_t *calendar)
{
    desk_destroy(&o->desk);
    if (calendar)
        o->desk = desk_new(o->store, o->node, calendar, &o->desk_opt);
    door_set_calendar(o->door, calendar);
    o->fresh = true; /* the new calendar judges whatever is due at once */
}

zsock_t *
office_socket(office_t *o)
{
    return door_socket(o->door);
}

void
office_take(office_t *o, int max, int64_t now_ms, struct office_intake *out)
{
    memset(out, 0, sizeof *out);
    struct intake_result res;
    /* max counts messages, not the door's groups of them: this is one turn of the daemon's
     * loop, and the uplink's heartbeats wait for it */
    int left = max;
    while (left > 0) {
        int n = door_handle(o->door, now_ms, (size_t)left, &res);
        if (n == 0)
            break;
        left -= n;
        out->accepted += res.accepted;
        out->sealed += res.sealed;
        o->fresh |= res.accepted > 0 || res.audited > 0;
    }
}

int
office_judge(office_t *o, int64_t now_ms, struct desk_result *res)
{
    memset(res, 0, sizeof *res);
    if (!o->desk || (!o->fresh && now_ms < desk_next_due(o->desk)))
        return 0;
    int rc = desk_run(o->desk, now_ms, o->seal_at, res);
    if (rc == 0)
        o->fresh = false;
    return rc;
}

int
office_take_decision(office_t *o, int64_t now_ms, const void *record, size_t len, bool *pass_on,
                     struct desk_result *res)
{
    memset(res, 0, sizeof *res);
    *pass_on = false;
    if (!o->desk)
        return 0;
    int rc = desk_take_decision(o->desk, now_ms, o->seal_at, record, len, pass_on, res);
    uint64_t suppressed;
    if (rc != 0 && log_allow(&o->refusals, 10, &suppressed))
        log_warn("office: a decision from the parent refused suppressed=%llu: %s",
                 (unsigned long long)suppressed, err_str(rc));
    return rc;
}

int
office_each_decision(office_t *o, uint32_t child, desk_decision_fn fn, void *arg)
{
    if (!o->desk)
        return 0;
    store_txn_t *t = NULL;
    int rc = store_read(o->store, &t);
    if (rc == 0)
        rc = desk_each_decision(t, child, fn, arg);
    store_abort(&t);
    return rc;
}

void
office_stats(const office_t *o, struct door_stats *out)
{
    door_stats(o->door, out);
}
