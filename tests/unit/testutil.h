/* testutil: small helpers shared by the unit tests (temporary directories, vector files). */
#ifndef JIANCHA_TESTUTIL_H
#define JIANCHA_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* A fresh directory under /tmp; the caller removes it with testutil_rmdir. */
static inline char *
testutil_tmpdir(void)
{
    char tmpl[] = "/tmp/jiancha-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static inline void
testutil_rmdir(char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

/* Writes bytes to DIR/NAME. */
static inline void
testutil_write(const char *dir, const char *name, const void *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Reads the vector file's non-empty lines into a NULL-terminated array of strings. */
static inline char **
testutil_lines(const char *name, size_t *count)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", JIANCHA_TEST_VECTORS, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char **lines = calloc(1024, sizeof *lines);
    size_t n = 0, cap = 0;
    char *line = NULL;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0 && n < 1023) {
        while (len && (line[len - 1] == '\n'))
            line[--len] = '\0';
        if (len)
            lines[n++] = strdup(line);
    }
    free(line);
    fclose(f);
    *count = n;
    return lines;
}

static inline void
testutil_free_lines(char **lines)
{
    for (size_t i = 0; lines[i]; i++)
        free(lines[i]);
    free(lines);
}

/* The official calendar shipped in config/ (2024-2026). */
#ifdef JIANCHA_CALENDAR_H
static inline calendar_t *
testutil_calendar(void)
{
    char err[512];
    calendar_t *cal = NULL;
    assert_int_equal(calendar_load(JIANCHA_TEST_VECTORS "/../../config/cn-workdays.tsv", &cal, err,
                                   sizeof err),
                     0);
    return cal;
}
#endif

/* An RFC 3339 time as Unix milliseconds. */
#ifdef JIANCHA_TIMESTAMP_H
static inline int64_t
testutil_at(const char *text)
{
    int64_t t;
    const char *why;
    assert_int_equal(timestamp_parse(text, strlen(text), &t, &why), 0);
    return t;
}
#endif

#endif
