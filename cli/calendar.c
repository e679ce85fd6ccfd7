/* cli calendar: working-day arithmetic for people and scripts, with the same module the rules
 * use. The calendar file is --calendar, else $JIANCHA_CALENDAR, else /etc/jiancha/cn-workdays.tsv,
 * else the copy in the source tree this binary was built from. */
#include "calendar.h"
#include "cli.h"
#include "log.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* $env, else the installed /etc/jiancha/NAME, else the source tree's config/NAME. */
/* A table the CLI reads by default: named by the environment, else the one an administrator put
 * in /etc/jiancha, else the one installed with the package, else the source tree's (a build). */
static const char *
config_file(const char *env_name, const char *local, const char *installed, const char *source)
{
    const char *env = getenv(env_name);
    if (env && *env)
        return env;
    if (access(local, R_OK) == 0)
        return local;
    return access(installed, R_OK) == 0 ? installed : source;
}

const char *
cli_default_catalog(void)
{
    return config_file("JIANCHA_CATALOG", "/etc/jiancha/catalog.json", JIANCHA_DATA_DIR "/catalog.json",
                       JIANCHA_SOURCE_DIR "/config/catalog.json");
}

const char *
cli_default_calendar(void)
{
    return config_file("JIANCHA_CALENDAR", "/etc/jiancha/cn-workdays.tsv", JIANCHA_DATA_DIR "/cn-workdays.tsv",
                       JIANCHA_SOURCE_DIR "/config/cn-workdays.tsv");
}

const char *
cli_default_regions(void)
{
    return config_file("JIANCHA_REGIONS", "/etc/jiancha/regions.tsv", JIANCHA_DATA_DIR "/regions.tsv",
                       JIANCHA_SOURCE_DIR "/config/regions.tsv");
}

static void
usage(void)
{
    fprintf(stderr, "usage: jiancha calendar due START N [wd|d] [--no-roll] [--calendar FILE]\n"
                    "       jiancha calendar is-workday DATE [--calendar FILE]\n");
}

/* The answer rests on a guess when its day lies past the calendar's years: say so, once. */
static void
warn_guessed(const calendar_t *cal, int64_t day)
{
    if (calendar_covers(cal, day) || day == CALENDAR_NEVER)
        return;
    int first, last;
    calendar_years(cal, &first, &last);
    char d[16];
    calendar_format_date(day, d);
    fprintf(stderr, "jiancha calendar: warning: %s is outside the calendar's years %d-%d; days "
                    "past %d-12-31 are counted Monday to Friday until a newer calendar is "
                    "installed\n", d, first, last, last);
}

int
cli_calendar(int argc, char **argv)
{
    static const struct option opts[] = {
        {"calendar", required_argument, NULL, 'c'},
        {"no-roll", no_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL;
    bool roll = true;
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'c')
            path = optarg;
        else if (ch == 'r')
            roll = false;
        else {
            usage();
            return 2;
        }
    }
    if (argc < 2) {
        usage();
        return 2;
    }
    const char *verb = argv[1];
    char **rest = argv + optind;
    int nrest = argc - optind;
    if (!path)
        path = cli_default_calendar();
    calendar_t *cal = NULL;
    char err[512];
    if (calendar_load(path, &cal, err, sizeof err) != 0) {
        fprintf(stderr, "jiancha calendar: %s\n", err);
        return 1;
    }
    int rc = 2;
    int64_t day;
    if (strcmp(verb, "due") == 0 && (nrest == 2 || nrest == 3)) {
        char *end;
        long n = strtol(rest[1], &end, 10);
        const char *unit = nrest == 3 ? rest[2] : "wd";
        if (calendar_parse_date(rest[0], strlen(rest[0]), &day) != 0) {
            fprintf(stderr, "jiancha calendar: START \"%s\" is not a date YYYY-MM-DD\n", rest[0]);
        } else if (*end || n < 1 || n > 3650) {
            fprintf(stderr, "jiancha calendar: N \"%s\" must be 1 to 3650\n", rest[1]);
        } else if (strcmp(unit, "wd") != 0 && strcmp(unit, "d") != 0) {
            fprintf(stderr, "jiancha calendar: unit \"%s\" must be wd or d\n", unit);
        } else {
            char out[16];
            int64_t due = calendar_due(cal, day, (uint32_t)n,
                                       unit[1] ? CALENDAR_WORKDAYS : CALENDAR_DAYS, roll, NULL,
                                       NULL);
            calendar_format_date(due, out);
            printf("%s\n", out);
            warn_guessed(cal, due);
            rc = 0;
        }
    } else if (strcmp(verb, "is-workday") == 0 && nrest == 1) {
        if (calendar_parse_date(rest[0], strlen(rest[0]), &day) != 0) {
            fprintf(stderr, "jiancha calendar: DATE \"%s\" is not a date YYYY-MM-DD\n", rest[0]);
        } else {
            bool w = calendar_is_workday(cal, day);
            warn_guessed(cal, day);
            printf("%s\n", w ? "yes" : "no");
            rc = w ? 0 : 1;
        }
    } else {
        usage();
    }
    calendar_destroy(&cal);
    return rc;
}
