/* patrol: the daily patrol requirement of an office. See patrol.h. */
#include "patrol.h"

#include "calendar.h"
#include "err.h"
#include "node.h"

#include <stdio.h>
#include <string.h>

static bool
under(uint32_t node, uint32_t office)
{
    for (uint32_t p = node_parent(node); p; p = node_parent(p))
        if (p == office)
            return true;
    return false;
}

static size_t
count_of(const uint32_t *v, size_t n, uint32_t node)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += v[i] == node;
    return c;
}

/* Distinct nodes of a depth under the office, in list v (each counted once). */
static size_t
distinct(const uint32_t *v, size_t n, uint32_t office, int depth)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        if (node_depth(v[i]) != depth || !under(v[i], office))
            continue;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = v[k] == v[i];
        c += !seen;
    }
    return c;
}

static size_t
min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

bool
patrol_short(uint32_t office, const uint32_t *targets, size_t n_targets, const uint32_t *tree,
             size_t n_tree, char why[ERR_WHY_MAX])
{
    char name[NODE_LEN + 1];
    size_t own = count_of(targets, n_targets, office);
    why[0] = '\0';
    switch (node_depth(office)) {
    case 0: {
        size_t cities = distinct(targets, n_targets, office, 1);
        size_t counties = distinct(targets, n_targets, office, 2);
        size_t need_cities = min_size(PATROL_PROVINCE_CITIES, distinct(tree, n_tree, office, 1));
        size_t need_counties =
            min_size(PATROL_PROVINCE_COUNTIES, distinct(tree, n_tree, office, 2));
        if (own < PATROL_PROVINCE_OWN || cities < need_cities || counties < need_counties)
            snprintf(why, ERR_WHY_MAX,
                     "own platform %zu of %d, cities %zu of %zu, counties %zu of %zu patrolled",
                     own, PATROL_PROVINCE_OWN, cities, need_cities, counties, need_counties);
        break;
    }
    case 1: {
        size_t missing = 0;
        uint32_t first = 0;
        for (size_t i = 0; i < n_tree; i++) {
            if (node_parent(tree[i]) != office || node_depth(tree[i]) != 2 ||
                count_of(tree, i, tree[i]) || count_of(targets, n_targets, tree[i]))
                continue;
            if (!missing++)
                first = tree[i];
        }
        node_format(first, name);
        if (own < PATROL_CITY_OWN || missing)
            snprintf(why, ERR_WHY_MAX, "own platform %zu of %d; %zu counties not patrolled%s%s",
                     own, PATROL_CITY_OWN, missing, missing ? ", first " : "", missing ? name : "");
        break;
    }
    default:
        if (own < PATROL_COUNTY_OWN)
            snprintf(why, ERR_WHY_MAX, "own platform %zu of %d", own, PATROL_COUNTY_OWN);
        break;
    }
    return why[0] != '\0';
}

void
patrol_alert(uint32_t office, int64_t day, const char *why, struct alert *a)
{
    memset(a, 0, sizeof *a);
    snprintf(a->rule, sizeof a->rule, "patrol.shortfall");
    snprintf(a->article, sizeof a->article, "11(2)");
    a->light = a->finding = ALERT_YELLOW;
    a->state = ALERT_OPEN;
    node_format(office, a->node);
    snprintf(a->subject_kind, sizeof a->subject_kind, "day");
    calendar_format_date(day, a->subject);
    a->raised_ms = calendar_day_start_ms(day + 1);
    snprintf(a->detail, sizeof a->detail, "patrols short on %s: %s", a->subject, why);
    alert_make_id(a);
    alert_log(a, a->raised_ms, ALERT_RAISED, ALERT_YELLOW);
}
