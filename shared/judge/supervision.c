/* supervision: replaying a supervision case's records. See supervision.h. */
#include "supervision.h"

#include "err.h"

#include <stdio.h>
#include <string.h>

static bool
type_is(const char *type, const char *want)
{
    return strcmp(type, want) == 0;
}

static void
set_due(struct supervision *s, calendar_t *cal)
{
    int64_t day = calendar_day_of(s->opened_ms);
    s->due_ms = calendar_day_start_ms(calendar_due(cal, day, SUPERVISION_REPLY_WD + s->extended_wd,
                                                   CALENDAR_WORKDAYS, false, NULL, NULL) +
                                      1);
}

int
supervision_apply(struct supervision *s, calendar_t *cal, const wire_obj_t *m, char field[64],
                  char reason[192])
{
    char type[32], id[EVENT_ID_MAX + 1];
    int64_t at;
    if (wire_obj_get_text(m, "type", type, sizeof type) != 0 ||
        wire_obj_get_text(m, "supervision", id, sizeof id) != 0 ||
        wire_obj_get_int(m, "at", &at) != 0)
        return event_refuse(field, reason, "supervision", "not a supervise.* record");
    if (type_is(type, "supervise.open")) {
        if (s->id[0])
            return event_refuse(field, reason, "supervision", "a supervision case with this id exists");
        const wire_obj_t *target = wire_obj_get(m, "target");
        memset(s, 0, sizeof *s);
        snprintf(s->id, sizeof s->id, "%s", id);
        if (wire_obj_get_text(m, "node", s->node, sizeof s->node) != 0 || !target ||
            wire_obj_get_text(target, "node", s->target_node, sizeof s->target_node) != 0)
            return event_refuse(field, reason, "target", "a supervision case needs a target node");
        if (wire_obj_get_text(target, "dept", s->target_dept, sizeof s->target_dept) != 0)
            s->target_dept[0] = '\0';
        if (wire_obj_get_text(m, "by", s->by, sizeof s->by) != 0)
            s->by[0] = '\0';
        if (wire_obj_get_text(m, "alert", s->alert, sizeof s->alert) != 0)
            s->alert[0] = '\0';
        const char *p;
        size_t l;
        if (wire_obj_get_bytes(m, "subject", WIRE_STR, &p, &l) == 0) {
            if (l >= sizeof s->subject) {
                /* cut at a UTF-8 character boundary */
                l = sizeof s->subject - 1;
                while (l && ((uint8_t)p[l] & 0xC0) == 0x80)
                    l--;
            }
            memcpy(s->subject, p, l);
            s->subject[l] = '\0';
        }
        s->opened_ms = at;
        set_due(s, cal);
        return 0;
    }
    if (!s->id[0])
        return event_refuse(field, reason, "supervision",
                      "no supervision case with this id was opened here");
    if (s->closed_ms)
        return event_refuse(field, reason, "supervision", "the supervision case is closed");
    if (type_is(type, "supervise.extend")) {
        const wire_obj_t *limit = wire_obj_get(m, "limit");
        char unit[4];
        int64_t n;
        if (!limit || wire_obj_get_text(limit, "unit", unit, sizeof unit) != 0 ||
            wire_obj_get_int(limit, "n", &n) != 0 || n < 1)
            return event_refuse(field, reason, "limit", "an extension needs n >= 1 and a unit");
        if (strcmp(unit, "wd") != 0)
            return event_refuse(field, reason, "limit.unit",
                          "extensions of a supervision case are counted in working days (wd)");
        if (s->reported_ms)
            return event_refuse(field, reason, "supervision",
                          "the department has reported: nothing left to extend");
        if (s->extended_wd + (uint64_t)n > SUPERVISION_EXTENSION_MAX_WD) {
            char why[ERR_WHY_MAX];
            snprintf(why, sizeof why,
                     "extensions would total %llu working days; at most %d in total (art. 9), "
                     "%u already approved",
                     (unsigned long long)(s->extended_wd + (uint64_t)n),
                     SUPERVISION_EXTENSION_MAX_WD, s->extended_wd);
            return event_refuse(field, reason, "limit.n", why);
        }
        s->extended_wd += (uint32_t)n;
        set_due(s, cal);
        return 0;
    }
    if (type_is(type, "supervise.report")) {
        if (!s->reported_ms)
            s->reported_ms = at;
        return 0;
    }
    if (type_is(type, "supervise.close")) {
        s->closed_ms = at;
        return 0;
    }
    return event_refuse(field, reason, "type", "not a supervise.* record");
}

bool
supervision_overdue(const struct supervision *s, int64_t now_ms, struct alert *a)
{
    if (!s->id[0] || !s->due_ms || now_ms < s->due_ms)
        return false;
    if ((s->reported_ms && s->reported_ms < s->due_ms) ||
        (s->closed_ms && s->closed_ms < s->due_ms))
        return false;
    memset(a, 0, sizeof *a);
    snprintf(a->rule, sizeof a->rule, "supervision.overdue");
    snprintf(a->article, sizeof a->article, "9");
    a->light = a->finding = ALERT_RED;
    a->state = ALERT_OPEN;
    snprintf(a->node, sizeof a->node, "%s", s->node);
    snprintf(a->dept, sizeof a->dept, "%s", s->target_dept);
    snprintf(a->subject_kind, sizeof a->subject_kind, "supervision");
    snprintf(a->subject, sizeof a->subject, "%s", s->id);
    a->raised_ms = s->due_ms;
    snprintf(a->detail, sizeof a->detail, "no report from %s%s%s within %u working days",
             s->target_node, s->target_dept[0] ? "/" : "", s->target_dept,
             SUPERVISION_REPLY_WD + s->extended_wd);
    alert_make_id(a);
    alert_log(a, a->raised_ms, ALERT_RAISED, ALERT_RED);
    return true;
}

const char *
supervision_state(const struct supervision *s, int64_t now_ms)
{
    if (s->closed_ms)
        return "closed";
    if (s->reported_ms)
        return "reported";
    return now_ms >= s->due_ms ? "overdue" : "open";
}
