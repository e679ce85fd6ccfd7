/* conf: zconfig does the parsing; this module walks its tree and checks every leaf against the
 * daemon's table. zconfig keeps no line numbers, so an error's line is found by looking for the
 * key's name in the file text, which is exact for the key layouts our examples use. */
#include "conf.h"

#include "err.h"
#include "file.h"
#include "log.h"
#include "mem.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct conf {
    const struct conf_key *table;
    size_t n;
    char **values; /* owned; NULL = default */
    char *file;    /* owned: where it was read, for messages about a value */
};

/* The first line (1-based) whose indentation ZPL refuses: a tab, or spaces that are not a
 * multiple of 4 or go deeper than one level below the line before; 0 when none is. (zconfig says
 * only that the text does not parse.) */
static int
first_bad_indent(const char *text)
{
    int line = 0, depth = 0;
    for (const char *p = text; *p;) {
        line++;
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        size_t spaces = 0;
        while (spaces < len && p[spaces] == ' ')
            spaces++;
        bool blank = spaces == len || p[spaces] == '#' || p[spaces] == '\r';
        if (!blank) {
            if (p[spaces] == '\t' || spaces % 4 != 0 || (int)(spaces / 4) > depth + 1)
                return line;
            depth = (int)(spaces / 4);
        }
        p += len + (eol ? 1 : 0);
    }
    return 0;
}

/* The 1-based line on which `leaf` first appears as a key after line `after`, or 0. */
static int
find_line(const char *file, const char *leaf, int after)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return 0;
    char line[1024];
    int no = 0, found = 0;
    size_t len = strlen(leaf);
    while (fgets(line, sizeof line, f)) {
        no++;
        if (no <= after)
            continue;
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncmp(p, leaf, len) == 0 &&
            (p[len] == ' ' || p[len] == '\t' || p[len] == '=' || p[len] == '\n' || !p[len])) {
            found = no;
            break;
        }
    }
    fclose(f);
    return found;
}

static int
lookup(const struct conf_key *table, const char *path)
{
    for (int i = 0; table[i].path; i++)
        if (strcmp(table[i].path, path) == 0)
            return i;
    return -1;
}

static bool
is_section(const struct conf_key *table, const char *path)
{
    size_t len = strlen(path);
    for (int i = 0; table[i].path; i++)
        if (strncmp(table[i].path, path, len) == 0 && table[i].path[len] == '/')
            return true;
    return false;
}

static int
check_value(const struct conf_key *k, const char *v, char *why, size_t whylen)
{
    if (k->type == CONF_INT) {
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (errno || end == v || *end) {
            snprintf(why, whylen, "value \"%s\" is not an integer", v);
            return ERR_CONFIG;
        }
        if (n < k->min || n > k->max) {
            snprintf(why, whylen, "value %lld is outside %lld..%lld", n, (long long)k->min,
                     (long long)k->max);
            return ERR_CONFIG;
        }
    } else if (!*v && !k->def) {
        snprintf(why, whylen, "value must not be empty");
        return ERR_CONFIG;
    }
    return 0;
}

static int
walk(conf_t *c, const char *file, zconfig_t *node, const char *prefix, char *err, size_t errlen)
{
    for (zconfig_t *ch = zconfig_child(node); ch; ch = zconfig_next(ch)) {
        const char *name = zconfig_name(ch);
        char path[256];
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "/" : "", name);
        int i = lookup(c->table, path);
        if (i < 0 && is_section(c->table, path)) {
            int rc = walk(c, file, ch, path, err, errlen);
            if (rc != 0)
                return rc;
            continue;
        }
        if (i < 0) {
            snprintf(err, errlen, "%s:%d: unknown key \"%s\"", file, find_line(file, name, 0),
                     path);
            return ERR_CONFIG;
        }
        if (zconfig_child(ch)) {
            snprintf(err, errlen, "%s:%d: key \"%s\" takes a value, not a section", file,
                     find_line(file, name, 0), path);
            return ERR_CONFIG;
        }
        const char *v = zconfig_value(ch) ? zconfig_value(ch) : "";
        char why[ERR_WHY_MAX];
        if (check_value(&c->table[i], v, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s:%d: key \"%s\": %s", file, find_line(file, name, 0), path,
                     why);
            return ERR_CONFIG;
        }
        free(c->values[i]);
        c->values[i] = xstrdup(v);
    }
    return 0;
}

int
conf_load(const char *file, const struct conf_key *table, conf_t **out, char *err, size_t errlen)
{
    *out = NULL;
    size_t len;
    char *text = file_read(file, &len);
    if (!text) {
        snprintf(err, errlen, "%s: cannot read: %s", file, strerror(errno));
        return ERR_CONFIG;
    }
    /* parsed from memory: zconfig_load leaks its file object when the text does not parse */
    zconfig_t *root = strlen(text) == len ? zconfig_str_load(text) : NULL;
    int bad_line = root ? 0 : first_bad_indent(text);
    free(text);
    if (!root) {
        if (bad_line)
            snprintf(err, errlen, "%s:%d: not valid ZPL (indentation is 4 spaces per level, no "
                                  "tabs)", file, bad_line);
        else
            snprintf(err, errlen, "%s: not valid ZPL (check indentation: 4 spaces per level)",
                     file);
        return ERR_CONFIG;
    }
    conf_t *c = xcalloc(1, sizeof *c);
    c->table = table;
    c->file = xstrdup(file);
    while (table[c->n].path)
        c->n++;
    c->values = xcalloc(c->n, sizeof *c->values);
    int rc = walk(c, file, root, "", err, errlen);
    zconfig_destroy(&root);
    for (size_t i = 0; rc == 0 && i < c->n; i++) {
        if (!c->values[i] && !table[i].def) {
            snprintf(err, errlen, "%s: required key \"%s\" is missing (%s)", file, table[i].path,
                     table[i].help);
            rc = ERR_CONFIG;
        }
    }
    if (rc != 0) {
        conf_destroy(&c);
        return rc;
    }
    *out = c;
    return 0;
}

void
conf_destroy(conf_t **p)
{
    conf_t *c = *p;
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->values[i]);
    free(c->values);
    free(c->file);
    free(c);
    *p = NULL;
}

void
conf_where(const conf_t *c, const char *path, char *out, size_t outlen)
{
    /* the leaf's line after its section's: "endpoint" is under several sections */
    const char *slash = strrchr(path, '/');
    int line = 0;
    if (slash) {
        char section[128];
        snprintf(section, sizeof section, "%.*s", (int)(slash - path), path);
        const char *leaf_of_section = strrchr(section, '/');
        int at = find_line(c->file, leaf_of_section ? leaf_of_section + 1 : section, 0);
        line = at ? find_line(c->file, slash + 1, at) : 0;
    }
    if (line)
        snprintf(out, outlen, "%s:%d: key \"%s\"", c->file, line, path);
    else
        snprintf(out, outlen, "%s: key \"%s\" (its default)", c->file, path);
}

void
conf_complain(const conf_t *c, const char *prog, const char *path, const char *why)
{
    char where[512];
    conf_where(c, path, where, sizeof where);
    fprintf(stderr, "%s: %s: %s\n", prog, where, why);
}

int
conf_check_dir(const conf_t *c, const char *path, char *err, size_t errlen)
{
    const char *dir = conf_str(c, path);
    char where[512];
    conf_where(c, path, where, sizeof where);
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s: %s is not a directory", where, dir);
            return ERR_CONFIG;
        }
        if (access(dir, W_OK | X_OK) != 0) {
            snprintf(err, errlen, "%s: %s: cannot write there: %s", where, dir, strerror(errno));
            return ERR_CONFIG;
        }
        return 0;
    }
    /* not there yet: the nearest directory above it that exists must let it be made (as
     * mkdir -p would; under systemd, StateDirectory= makes it before the check runs) */
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", dir);
    for (;;) {
        char *cut = strrchr(parent, '/');
        if (cut && cut != parent)
            *cut = '\0';
        else
            snprintf(parent, sizeof parent, "%s", cut ? "/" : ".");
        if (stat(parent, &st) == 0 || strcmp(parent, "/") == 0 || strcmp(parent, ".") == 0)
            break;
    }
    if (access(parent, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "%s: %s does not exist and cannot be made in %s: %s", where, dir,
                 parent, strerror(errno));
        return ERR_CONFIG;
    }
    return 0;
}

int
conf_check_endpoint(const conf_t *c, const char *path, char *err, size_t errlen)
{
    const char *ep = conf_str(c, path);
    if (!*ep)
        return 0;
    char where[512];
    conf_where(c, path, where, sizeof where);
    const char *why = NULL;
    if (strncmp(ep, "ipc://", 6) == 0) {
        if (!ep[6])
            why = "an ipc:// endpoint needs a socket path";
    } else if (strncmp(ep, "tcp://", 6) == 0) {
        const char *colon = strrchr(ep + 6, ':');
        char *end = NULL;
        long port = colon ? strtol(colon + 1, &end, 10) : -1;
        if (!colon || colon == ep + 6)
            why = "a tcp:// endpoint is tcp://HOST:PORT";
        else if (strcmp(colon + 1, "*") != 0 && (!end || *end || port < 1 || port > 65535))
            why = "the port must be 1..65535 (or * where the system may choose)";
    } else {
        why = "an endpoint starts with tcp:// or ipc://";
    }
    if (!why)
        return 0;
    snprintf(err, errlen, "%s: \"%s\": %s", where, ep, why);
    return ERR_CONFIG;
}

const char *
conf_str(const conf_t *c, const char *path)
{
    int i = lookup(c->table, path);
    assert(i >= 0);
    return c->values[i] ? c->values[i] : c->table[i].def;
}

int64_t
conf_int(const conf_t *c, const char *path)
{
    int i = lookup(c->table, path);
    assert(i >= 0 && c->table[i].type == CONF_INT);
    return strtoll(c->values[i] ? c->values[i] : c->table[i].def, NULL, 10);
}

static void
list_add(char *list, size_t cap, const char *item)
{
    size_t n = strlen(list);
    snprintf(list + n, cap - n, "%s%s", n ? ", " : "", item);
}

void
conf_changes_collect(const conf_t *a, const conf_t *b, const char *const *reloadable,
                     struct conf_changes *out)
{
    assert(a->table == b->table);
    out->reloaded[0] = out->restart[0] = '\0';
    for (size_t i = 0; i < a->n; i++) {
        const char *path = a->table[i].path;
        const char *x = conf_str(a, path), *y = conf_str(b, path);
        if (strcmp(x ? x : "", y ? y : "") == 0)
            continue;
        bool now = false;
        for (size_t k = 0; reloadable[k] && !now; k++)
            now = strcmp(reloadable[k], path) == 0;
        if (now)
            list_add(out->reloaded, sizeof out->reloaded, path);
        else
            list_add(out->restart, sizeof out->restart, path);
    }
}

int
conf_reload(const conf_t *running, const char *file, const char *const *reloadable,
            conf_t **next, struct conf_changes *changes, char *err, size_t errlen)
{
    int rc = conf_load(file, running->table, next, err, errlen);
    if (rc != 0)
        return rc;
    conf_changes_collect(running, *next, reloadable, changes);
    if (log_set_level(conf_str(*next, "log/level")) != 0) {
        snprintf(err, errlen, "%s: key \"log/level\" must be error, warn, info or debug", file);
        conf_destroy(next);
        return ERR_CONFIG;
    }
    return 0;
}

void
conf_print_table(const struct conf_key *table)
{
    for (int i = 0; table[i].path; i++) {
        const struct conf_key *k = &table[i];
        printf("%-28s %-4s default=%s", k->path, k->type == CONF_INT ? "int" : "str",
               k->def ? (*k->def ? k->def : "\"\"") : "(required)");
        if (k->type == CONF_INT)
            printf(" range=%lld..%lld", (long long)k->min, (long long)k->max);
        printf("\n    %s\n", k->help);
    }
}

int
conf_parse_args(int argc, char **argv, const char *prog, const struct conf_key *table,
                const char **config, bool *check)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", no_argument, NULL, 'n'},
        {"help-config", no_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    *config = NULL;
    *check = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "c:nh", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            *config = optarg;
            break;
        case 'n':
            *check = true;
            break;
        case 'H':
            conf_print_table(table);
            return 0;
        case 'V':
            printf("%s %s\n", prog, JIANCHA_VERSION);
            return 0;
        default:
            fprintf(stderr, "usage: %s [-n|--check-config] [--help-config] [--version] -c FILE\n", prog);
            return ch == 'h' ? 0 : 2;
        }
    }
    if (!*config) {
        fprintf(stderr, "usage: %s [-n|--check-config] [--help-config] [--version] -c FILE\n", prog);
        return 2;
    }
    return -1;
}
