/* calendar: a sorted table of exception days over Monday-to-Friday. Lookups are binary searches;
 * counting walks day by day, which for limits of tens of days is cheaper than any cleverness.
 * Days past the calendar are not logged here: calendar.coverage (shared/judge/coverage.c) is the
 * operator's warning, raised once per calendar in force. */
#include "calendar.h"

#include "err.h"
#include "file.h"
#include "mem.h"
#include "sign.h"
#include "store.h"
#include "timestamp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct exception_day {
    int64_t day;
    bool workday; /* true: adjusted working day; false: holiday */
};

struct calendar {
    struct exception_day *days; /* sorted by day */
    size_t n;
    int first_year, last_year;
    uint64_t version; /* the bundle's version, 0 for a file */
    uint64_t digest;  /* of the text, to tell calendars apart */
};

static int
digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return ERR_INVALID;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int
calendar_parse_date(const char *s, size_t len, int64_t *day)
{
    int y, m, d;
    if (len != 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) || digits(s + 5, 2, &m) ||
        digits(s + 8, 2, &d) || m < 1 || m > 12 || d < 1 || d > 31)
        return ERR_INVALID;
    int64_t z = timestamp_days_from_civil(y, (unsigned)m, (unsigned)d);
    int yy;
    unsigned mm, dd;
    timestamp_civil_from_days(z, &yy, &mm, &dd);
    if (yy != y || (int)mm != m || (int)dd != d)
        return ERR_INVALID; /* 2026-02-30 and the like */
    *day = z;
    return 0;
}

int
calendar_parse_month(const char *text, int64_t *first_day, int64_t *next_first_day)
{
    int y, m;
    if (!text || strlen(text) != 7 || text[4] != '-' || digits(text, 4, &y) ||
        digits(text + 5, 2, &m) || m < 1 || m > 12)
        return ERR_INVALID;
    *first_day = timestamp_days_from_civil(y, (unsigned)m, 1);
    *next_first_day = m == 12 ? timestamp_days_from_civil(y + 1, 1, 1)
                              : timestamp_days_from_civil(y, (unsigned)m + 1, 1);
    return 0;
}

void
calendar_format_date(int64_t day, char out[16])
{
    int y;
    unsigned m, d;
    timestamp_civil_from_days(day, &y, &m, &d);
    snprintf(out, 16, "%04d-%02u-%02u", y % 10000, m, d);
}

int64_t
calendar_day_of(int64_t ms)
{
    int64_t local = ms + TIMESTAMP_SHANGHAI_OFFSET_MS;
    return local >= 0 ? local / 86400000 : (local - 86399999) / 86400000;
}

int64_t
calendar_day_start_ms(int64_t day)
{
    return day * 86400000 - TIMESTAMP_SHANGHAI_OFFSET_MS;
}

static int
year_of(int64_t day)
{
    int y;
    unsigned m, d;
    timestamp_civil_from_days(day, &y, &m, &d);
    return y;
}

static int
cmp_day(const void *a, const void *b)
{
    int64_t x = ((const struct exception_day *)a)->day, y = ((const struct exception_day *)b)->day;
    return x < y ? -1 : x > y;
}

int
calendar_parse(const char *text, size_t len, const char *name, calendar_t **out, char *err,
               size_t errlen)
{
    calendar_t *c = xcalloc(1, sizeof *c);
    size_t cap = 0, start = 0;
    int line = 0;
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *s = text + start;
        size_t n = end - start;
        line++;
        start = end + 1;
        if (n && s[n - 1] == '\r')
            n--;
        if (n == 0 || s[0] == '#')
            continue;
        const char *tab1 = memchr(s, '\t', n);
        const char *tab2 = tab1 ? memchr(tab1 + 1, '\t', n - (size_t)(tab1 + 1 - s)) : NULL;
        size_t kind_len = tab1 ? (size_t)((tab2 ? tab2 : s + n) - (tab1 + 1)) : 0;
        int64_t day;
        const char *why = NULL;
        if (!tab1 || calendar_parse_date(s, (size_t)(tab1 - s), &day) != 0)
            why = "expected a date YYYY-MM-DD, a tab, then holiday or workday";
        else if (!(kind_len == 7 && memcmp(tab1 + 1, "holiday", 7) == 0) &&
                 !(kind_len == 7 && memcmp(tab1 + 1, "workday", 7) == 0))
            why = "kind must be holiday or workday";
        if (why) {
            snprintf(err, errlen, "%s:%d: %s", name, line, why);
            calendar_destroy(&c);
            return ERR_INVALID;
        }
        if (c->n == cap) {
            cap = cap ? 2 * cap : 128;
            c->days = xrealloc(c->days, cap * sizeof *c->days);
        }
        c->days[c->n].day = day;
        c->days[c->n].workday = tab1[1] == 'w';
        c->n++;
    }
    if (c->n == 0) {
        snprintf(err, errlen, "%s: no days listed", name);
        calendar_destroy(&c);
        return ERR_INVALID;
    }
    qsort(c->days, c->n, sizeof *c->days, cmp_day);
    uint8_t h[SIGN_HASH_BYTES];
    sign_hash(text, len, h);
    c->digest = store_from_be64(h);
    for (size_t i = 1; i < c->n; i++) {
        if (c->days[i].day == c->days[i - 1].day) {
            char d[16];
            calendar_format_date(c->days[i].day, d);
            snprintf(err, errlen, "%s: %s is listed twice", name, d);
            calendar_destroy(&c);
            return ERR_INVALID;
        }
    }
    c->first_year = year_of(c->days[0].day);
    c->last_year = year_of(c->days[c->n - 1].day);
    *out = c;
    return 0;
}

int
calendar_load(const char *path, calendar_t **out, char *err, size_t errlen)
{
    size_t len;
    char *buf = file_read(path, &len);
    if (!buf) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return ERR_INVALID;
    }
    int rc = calendar_parse(buf ? buf : "", len, path, out, err, errlen);
    free(buf);
    return rc;
}

void
calendar_destroy(calendar_t **p)
{
    if (!*p)
        return;
    free((*p)->days);
    free(*p);
    *p = NULL;
}

void
calendar_years(const calendar_t *c, int *first, int *last)
{
    *first = c->first_year;
    *last = c->last_year;
}

bool
calendar_covers(const calendar_t *c, int64_t day)
{
    int y = year_of(day);
    return y >= c->first_year && y <= c->last_year;
}

int64_t
calendar_end_day(const calendar_t *c)
{
    return timestamp_days_from_civil(c->last_year + 1, 1, 1);
}

uint64_t
calendar_version(const calendar_t *c)
{
    return c->version;
}

void
calendar_set_version(calendar_t *c, uint64_t version)
{
    c->version = version;
}

uint64_t
calendar_digest(const calendar_t *c)
{
    return c->digest;
}

void
calendar_label(const calendar_t *c, char out[CALENDAR_LABEL_MAX])
{
    if (c->version)
        snprintf(out, CALENDAR_LABEL_MAX, "calendar %llu", (unsigned long long)c->version);
    else
        snprintf(out, CALENDAR_LABEL_MAX, "calendar file %016llx", (unsigned long long)c->digest);
}

bool
calendar_is_workday(const calendar_t *c, int64_t day)
{
    struct exception_day key = {.day = day};
    const struct exception_day *e = bsearch(&key, c->days, c->n, sizeof *c->days, cmp_day);
    if (e)
        return e->workday;
    /* 1970-01-01 was a Thursday: day % 7 == 2 is Saturday, 3 is Sunday. */
    int64_t wd = ((day % 7) + 7) % 7;
    return wd != 2 && wd != 3;
}

int64_t
calendar_due(const calendar_t *c, int64_t start, uint32_t n, enum calendar_unit unit,
             bool roll_to_workday, calendar_skip_fn skip, void *arg)
{
    int64_t day = start;
    uint32_t counted = 0;
    while (counted < n) {
        if (++day - start > CALENDAR_SEARCH_DAYS)
            return CALENDAR_NEVER;
        if (unit == CALENDAR_WORKDAYS && !calendar_is_workday(c, day))
            continue;
        enum calendar_skip s = skip ? skip(arg, day) : CALENDAR_COUNTS;
        if (s == CALENDAR_SKIPPED_ON)
            return CALENDAR_NEVER;
        if (s == CALENDAR_SKIPPED)
            continue;
        counted++;
    }
    if (unit == CALENDAR_DAYS && roll_to_workday)
        while (!calendar_is_workday(c, day))
            if (++day - start > CALENDAR_SEARCH_DAYS)
                return CALENDAR_NEVER;
    return day;
}

uint32_t
calendar_count(const calendar_t *c, int64_t start, int64_t end, enum calendar_unit unit,
               calendar_skip_fn skip, void *arg)
{
    uint32_t counted = 0;
    for (int64_t day = start + 1; day <= end; day++) {
        if (unit == CALENDAR_WORKDAYS && !calendar_is_workday(c, day))
            continue;
        enum calendar_skip s = skip ? skip(arg, day) : CALENDAR_COUNTS;
        if (s == CALENDAR_SKIPPED_ON)
            break;
        if (s == CALENDAR_SKIPPED)
            continue;
        counted++;
    }
    return counted;
}
