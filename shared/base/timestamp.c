/* timestamp: a strict RFC 3339 reader and a fixed-zone writer. The reader accepts exactly the
 * profile the contract names (a full date, 'T', a full time, optional fraction, 'Z' or an offset)
 * and nothing looser, because a lenient parser lets a department send ambiguous times. */
#include "timestamp.h"

#include "err.h"

#include <stdio.h>
#include <time.h>

int64_t
timestamp_days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void
timestamp_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

static int
digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int
days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

int
timestamp_parse(const char *s, size_t len, int64_t *ms, const char **why)
{
    int y, mo, d, h, mi, se;
    *why = "not an RFC 3339 time like 2026-11-25T09:30:00+08:00";
    if (len < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':')
        return ERR_INVALID;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
        return ERR_INVALID;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 60) {
        *why = "date or time out of range";
        return ERR_INVALID;
    }
    if (se == 60)
        se = 59; /* a leap second is held at :59 rather than rejected */
    size_t i = 19;
    int frac_ms = 0;
    if (i < len && s[i] == '.') {
        i++;
        size_t start = i;
        int scale = 100;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            frac_ms += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == start)
            return ERR_INVALID;
    }
    int64_t off_min = 0;
    if (i == len) {
        *why = "time has no offset (add Z or +08:00)";
        return ERR_INVALID;
    }
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh, om;
        if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return ERR_INVALID;
        off_min = (s[i] == '-' ? -1 : 1) * (oh * 60 + om);
        i += 6;
    } else {
        return ERR_INVALID;
    }
    if (i != len)
        return ERR_INVALID;
    int64_t days = timestamp_days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - off_min * 60;
    *ms = secs * 1000 + frac_ms;
    if (*ms < TIMESTAMP_MIN_MS || *ms >= TIMESTAMP_MAX_MS) {
        *why = "time before 2000 or after 2099";
        return ERR_INVALID;
    }
    return 0;
}

void
timestamp_format(int64_t ms, char buf[TIMESTAMP_TEXT_MAX])
{
    /* a stored time from a hostile record can be anything: years past 9999 or before 0 are
     * shown at the bounds, never computed into an overflow */
    static const int64_t lo = -62167219200000LL - TIMESTAMP_SHANGHAI_OFFSET_MS,
                         hi = 253402300799999LL - TIMESTAMP_SHANGHAI_OFFSET_MS; /* 0000..9999 */
    if (ms < lo)
        ms = lo;
    else if (ms > hi)
        ms = hi;
    int64_t local = ms + TIMESTAMP_SHANGHAI_OFFSET_MS;
    int64_t days = local >= 0 ? local / 86400000 : (local - 86399999) / 86400000;
    int64_t rem = local - days * 86400000;
    int y;
    unsigned m, d;
    timestamp_civil_from_days(days, &y, &m, &d);
    snprintf(buf, TIMESTAMP_TEXT_MAX, "%04d-%02u-%02uT%02d:%02d:%02d.%03d+08:00", y, m, d, (int)(rem / 3600000),
             (int)(rem / 60000 % 60), (int)(rem / 1000 % 60), (int)(rem % 1000));
}

int64_t
timestamp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
timestamp_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
timestamp_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
