/* timestamp: instants as Unix milliseconds, and their text form (RFC 3339 with an offset).
 *
 * jiancha keeps every instant as int64 Unix ms. Text shown to people uses Asia/Shanghai (+08:00),
 * the zone all date arithmetic is done in (spec §1).
 */
#ifndef JIANCHA_TIMESTAMP_H
#define JIANCHA_TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>

/* Offset of Asia/Shanghai from UTC; China has had no daylight saving since 1991. */
#define TIMESTAMP_SHANGHAI_OFFSET_MS (8LL * 3600 * 1000)

/* Earliest and latest instants accepted in events: 2000-01-01 and 2100-01-01 UTC. Anything
 * outside is almost certainly a unit mistake (seconds for milliseconds) or a broken clock. */
#define TIMESTAMP_MIN_MS 946684800000LL
#define TIMESTAMP_MAX_MS 4102444800000LL

/* Parses "YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)" strictly. 0, or ERR_INVALID with *why set to a
 * static reason. */
int timestamp_parse(const char *text, size_t len, int64_t *ms, const char **why)
    __attribute__((warn_unused_result));

#define TIMESTAMP_TEXT_MAX 64
/* Writes "YYYY-MM-DDTHH:MM:SS.mmm+08:00" (30 bytes with NUL) into buf. */
void timestamp_format(int64_t ms, char buf[TIMESTAMP_TEXT_MAX]);

/* Wall-clock now in Unix ms. */
int64_t timestamp_now_ms(void);
/* Milliseconds on the monotonic clock: for timeouts, heartbeats and backoff, which must not
 * move when an operator or NTP sets the wall clock. Meaningless across processes and boots. */
int64_t timestamp_mono_ms(void);
/* The same in microseconds, for measuring short work (a commit). */
int64_t timestamp_mono_us(void);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard Hinnant's algorithms). */
int64_t timestamp_days_from_civil(int y, unsigned m, unsigned d);
void timestamp_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);

#endif
