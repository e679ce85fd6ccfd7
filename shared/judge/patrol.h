/* patrol: how often a supervision office must patrol (巡查, spec §4 patrol, §5 patrol.shortfall;
 * art. 11(2)).
 *
 * On each working day a province office must patrol its own platform at least once and at least 2
 * distinct cities and 8 distinct counties of the province once each; a city office its own platform
 * at least twice and each of its counties once; a county office its own platform at least twice.
 * The cities and counties an office must reach are those of the node tree it knows; where the tree
 * holds fewer than 2 cities or 8 counties, all of them are required. A day short of this raises a
 * yellow patrol.shortfall for the office at the local midnight that ends it; non-working days
 * require nothing.
 */
#ifndef JIANCHA_PATROL_H
#define JIANCHA_PATROL_H

#include "alert.h"
#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PATROL_PROVINCE_OWN 1
#define PATROL_PROVINCE_CITIES 2
#define PATROL_PROVINCE_COUNTIES 8
#define PATROL_CITY_OWN 2
#define PATROL_COUNTY_OWN 2

/* Judges one working day of an office: the nodes it patrolled that day (one entry per patrol,
 * repeats allowed) against the tree of nodes it knows (its descendants; others are ignored).
 * Returns true, with what was missing in why, if the day fell short. */
bool patrol_short(uint32_t office, const uint32_t *targets, size_t n_targets,
                  const uint32_t *tree, size_t n_tree, char why[ERR_WHY_MAX]);

/* The patrol.shortfall alert of an office's day (day number, see calendar.h). */
void patrol_alert(uint32_t office, int64_t day, const char *why, struct alert *a);

#endif
