/* conf: daemon configuration in ZPL, read through czmq's zconfig and checked against a table.
 *
 * Each daemon declares one table of every key it reads, with type, default, bounds and help.
 * conf_load() rejects unknown keys, values of the wrong type and values out of bounds, naming the
 * file, the line and the key. Keys are paths like "uplink/endpoint".
 */
#ifndef JIANCHA_CONF_H
#define JIANCHA_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum conf_type { CONF_STR, CONF_INT };

struct conf_key {
    const char *path;
    enum conf_type type;
    const char *def; /* NULL: required */
    int64_t min, max;
    const char *help;
};

typedef struct conf conf_t;

/* Loads and checks `file` against `table` (terminated by a NULL path). On failure returns
 * ERR_CONFIG with a one-line explanation in err. */
int conf_load(const char *file, const struct conf_key *table, conf_t **out, char *err,
              size_t errlen) __attribute__((warn_unused_result));
void conf_destroy(conf_t **p);

/* Borrowed value of a declared key (its default if not set); valid until conf_destroy. Asking for
 * an undeclared key is a bug and asserts. */
const char *conf_str(const conf_t *c, const char *path);
int64_t conf_int(const conf_t *c, const char *path);

/* 0 when the endpoint a key names (if not empty) is tcp://HOST:PORT (port 1..65535 or *) or
 * ipc://PATH; else ERR_CONFIG with err naming the file, the line and the key (--check-config). */
int conf_check_endpoint(const conf_t *c, const char *path, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Where a key's value comes from, for a message about it: "FILE:LINE: key \"PATH\"", or the
 * file and the key when it is left at its default. */
void conf_where(const conf_t *c, const char *path, char *out, size_t outlen);

/* Prints "PROG: FILE:LINE: key \"PATH\": WHY" on stderr: one --check-config problem. */
void conf_complain(const conf_t *c, const char *prog, const char *path, const char *why);

/* 0 when the directory a key names can be written, or made (its parent can be written); else
 * ERR_CONFIG with err naming the file, the line, the key and the reason (--check-config). */
int conf_check_dir(const conf_t *c, const char *path, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* The keys whose values differ between two configurations loaded with the same table, as
 * comma-separated lists (cut short past their size): those in `reloadable` (NULL-terminated) and
 * the rest, which need a restart. A reload logs both. */
struct conf_changes {
    char reloaded[512];
    char restart[512];
};
void conf_changes_collect(const conf_t *a, const conf_t *b, const char *const *reloadable,
                          struct conf_changes *out);

/* A daemon's reload (SIGHUP): loads `running`'s file again with its table into *next, collects
 * what changed against `running`, and puts the new log level in force. ERR_CONFIG with err (as
 * conf_load) when the file does not check: the caller keeps running as it was. */
int conf_reload(const conf_t *running, const char *file, const char *const *reloadable,
                conf_t **next, struct conf_changes *changes, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Prints the table as reference documentation (used by --help-config). */
void conf_print_table(const struct conf_key *table);

/* The command line every daemon takes: -c/--config FILE, -n/--check-config, --help-config,
 * -h/--help, --version (JIANCHA_VERSION, the project's version from CMake). Returns -1 to go on (with *config and *check set), or the exit status to return
 * at once (help printed, or a usage error reported on stderr). */
int conf_parse_args(int argc, char **argv, const char *prog, const struct conf_key *table,
                    const char **config, bool *check);

#endif
