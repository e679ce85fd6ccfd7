/* calendar: working days in Asia/Shanghai, from the official calendar file (spec §1).
 *
 * The file is TSV: `YYYY-MM-DD <tab> holiday|workday <tab> name`, `#` comments. A working day is
 * Monday to Friday unless listed as `holiday`, plus any weekend day listed as `workday`. The file
 * covers whole years (its first to last listed year); asking about a day outside them answers
 * Monday to Friday, a guess: an unpublished year's holidays are unknown. Deadlines that rest on
 * the guess are marked provisional, and the node raises calendar.coverage (shared/judge/coverage.h).
 * Days are numbered from 1970-01-01 (local dates).
 */
#ifndef JIANCHA_CALENDAR_H
#define JIANCHA_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum calendar_unit { CALENDAR_WORKDAYS, CALENDAR_DAYS };

typedef struct calendar calendar_t;

/* Loads a calendar file; on failure ERR_INVALID with "file:line: reason" in err. */
int calendar_load(const char *path, calendar_t **out, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/* The same from text in memory (bundles sent down the tree, tests). `name` labels errors. */
int calendar_parse(const char *text, size_t len, const char *name, calendar_t **out, char *err,
                   size_t errlen) __attribute__((warn_unused_result));
void calendar_destroy(calendar_t **p);

/* First and last year the file covers. */
void calendar_years(const calendar_t *c, int *first, int *last);

/* "YYYY-MM-DD" to a day number: 0 or ERR_INVALID. */
int calendar_parse_date(const char *text, size_t len, int64_t *day)
    __attribute__((warn_unused_result));
/* "YYYY-MM" to the month's first day and the next month's first day: 0 or ERR_INVALID. */
int calendar_parse_month(const char *text, int64_t *first_day, int64_t *next_first_day)
    __attribute__((warn_unused_result));
/* A day number as "YYYY-MM-DD" (11 bytes with NUL). */
void calendar_format_date(int64_t day, char out[16]);
/* The local (Asia/Shanghai) day of an instant, and the instant a local day starts. */
int64_t calendar_day_of(int64_t ms);
int64_t calendar_day_start_ms(int64_t day);

bool calendar_is_workday(const calendar_t *c, int64_t day);
/* True if the day lies in a year the file covers. */
bool calendar_covers(const calendar_t *c, int64_t day);
/* The first day the file does not cover: January 1 after its last year. */
int64_t calendar_end_day(const calendar_t *c);

/* Which calendar this is: the version of the bundle that brought it (0 for a file, until the
 * holder sets it), and a digest of its text that tells any two calendars apart. */
uint64_t calendar_version(const calendar_t *c);
void calendar_set_version(calendar_t *c, uint64_t version);
uint64_t calendar_digest(const calendar_t *c);
/* "calendar 7" for a bundle's, "calendar file <digest>" for a file's: the cause a ledger names. */
#define CALENDAR_LABEL_MAX 40
void calendar_label(const calendar_t *c, char out[CALENDAR_LABEL_MAX]);

/* What an optional skip predicate says of a day: it counts, it does not (the case was suspended
 * at its end), or neither it nor any later day does (a suspension not yet resumed). */
enum calendar_skip { CALENDAR_COUNTS, CALENDAR_SKIPPED, CALENDAR_SKIPPED_ON };
typedef enum calendar_skip (*calendar_skip_fn)(void *arg, int64_t day);

/* calendar_due's answer for a clock that stands still: no day on which it is used up. */
#define CALENDAR_NEVER INT64_MAX
/* The longest walk calendar_due takes past `start` before it answers CALENDAR_NEVER: 20 years,
 * far beyond any limit of the contract, so a malformed limit or skip cannot hang a daemon. */
#define CALENDAR_SEARCH_DAYS 7305

/* The day on which a clock of n units started on `start` is used up: counting begins the day
 * after start; a day counts if it is a working day (CALENDAR_WORKDAYS) or any day
 * (CALENDAR_DAYS), and skip (if given) does not exclude it. A calendar-day limit whose last day is
 * not a working day is moved to the next working day when roll_to_workday is set. n >= 1.
 * CALENDAR_NEVER when skip says no later day counts, or past CALENDAR_SEARCH_DAYS. */
int64_t calendar_due(const calendar_t *c, int64_t start, uint32_t n, enum calendar_unit unit,
                     bool roll_to_workday, calendar_skip_fn skip, void *arg);

/* How many counted days lie in (start, end]: the clock's day number at the end of `end`. */
uint32_t calendar_count(const calendar_t *c, int64_t start, int64_t end, enum calendar_unit unit,
                        calendar_skip_fn skip, void *arg);

#endif
