/* jiancha backup and restore: a node's store copied while its daemon runs, and put back.
 *
 * A backup is LMDB's own compacting copy (store_copy), written to FILE.tmp, synced and renamed,
 * with a progress line on stderr for stores past a few MiB. A restore puts such a file in place
 * as DIR/data.mdb (DIR made 0700; a store already there is refused) and marks the store as
 * restored: at its next session the node takes back from its parent the batches it sealed after
 * the backup, and goes on from them (link.h; docs/operations.md). */
#include "cli.h"

#include "err.h"
#include "spool.h"
#include "store.h"
#include "timestamp.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_FROM_BYTES (8u << 20) /* smaller copies finish before a line would help */

struct copy_job {
    store_t *store;
    int fd;
    int rc;
    atomic_bool done;
};

static void *
copy_thread(void *arg)
{
    struct copy_job *j = arg;
    j->rc = store_copy(j->store, j->fd);
    atomic_store(&j->done, true);
    return NULL;
}

/* "what: 12.0 of ~40.0 MiB" on stderr, over itself on a terminal. */
static void
progress(const char *what, uint64_t done, uint64_t total, bool last)
{
    bool tty = isatty(STDERR_FILENO);
    if (!tty && !last)
        return;
    fprintf(stderr, "%s%s: %.1f of ~%.1f MiB%s", tty ? "\r" : "", what, (double)done / 1048576.0,
            (double)total / 1048576.0, last ? "\n" : "");
}

static int
backup(const char *data, const char *out)
{
    store_t *s = NULL;
    if (cli_open_store(data, "backup", &s) != 0)
        return 1;
    uint64_t map, used;
    store_usage(s, &map, &used);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "jiancha backup: cannot write %s: %s\n", tmp, strerror(errno));
        store_close(&s);
        return 1;
    }
    struct copy_job j = {s, fd, 0, false};
    pthread_t th;
    if (pthread_create(&th, NULL, copy_thread, &j) != 0) {
        copy_thread(&j);
    } else {
        /* the copy runs in its own thread; its file's size is the progress */
        while (!atomic_load(&j.done)) {
            struct timespec nap = {0, 100 * 1000 * 1000};
            struct stat st;
            if (used >= PROGRESS_FROM_BYTES && fstat(fd, &st) == 0)
                progress("backup", (uint64_t)st.st_size, used, false);
            nanosleep(&nap, NULL);
        }
        pthread_join(th, NULL);
    }
    store_close(&s);
    struct stat st;
    int rc = j.rc;
    if (rc == 0 && (fsync(fd) != 0 || fstat(fd, &st) != 0))
        rc = ERR_IO;
    if (close(fd) != 0 && rc == 0)
        rc = ERR_IO;
    if (rc == 0 && rename(tmp, out) != 0)
        rc = ERR_IO;
    if (rc != 0) {
        fprintf(stderr, "jiancha backup: %s: %s\n", out, err_str(rc));
        unlink(tmp);
        return 1;
    }
    if (used >= PROGRESS_FROM_BYTES)
        progress("backup", (uint64_t)st.st_size, used, true);
    printf("backup of %s in %s: %.1f MiB (compacted from %.1f MiB in use)\n", data, out,
           (double)st.st_size / 1048576.0, (double)used / 1048576.0);
    return 0;
}

static int
mark_fn(store_txn_t *t, void *arg)
{
    (void)arg;
    return spool_set_restored(t, true);
}

/* Copies src to dst (made 0600), synced, with a progress line for large files. */
static int
copy_file(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    struct stat st;
    if (out < 0 || fstat(in, &st) != 0) {
        close(in);
        if (out >= 0)
            close(out);
        return -1;
    }
    static char buf[1 << 20];
    uint64_t done = 0;
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        for (ssize_t w = 0; w < n;) {
            ssize_t k = write(out, buf + w, (size_t)(n - w));
            if (k < 0) {
                close(in);
                close(out);
                return -1;
            }
            w += k;
        }
        done += (uint64_t)n;
        if ((uint64_t)st.st_size >= PROGRESS_FROM_BYTES)
            progress("restore", done, (uint64_t)st.st_size, false);
    }
    if ((uint64_t)st.st_size >= PROGRESS_FROM_BYTES)
        progress("restore", done, (uint64_t)st.st_size, true);
    int rc = n < 0 || fsync(out) != 0 ? -1 : 0;
    close(in);
    if (close(out) != 0)
        rc = -1;
    return rc;
}

static int
restore(const char *from, const char *data)
{
    char path[4096], tmp[4096];
    snprintf(path, sizeof path, "%s/data.mdb", data);
    snprintf(tmp, sizeof tmp, "%s/data.mdb.restore", data);
    if (access(path, F_OK) == 0) {
        fprintf(stderr, "jiancha restore: %s already holds a store; stop its daemon and move it "
                        "away first (a restore never overwrites one)\n", data);
        return 1;
    }
    if (mkdir(data, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "jiancha restore: cannot make %s: %s\n", data, strerror(errno));
        return 1;
    }
    unlink(tmp);
    if (copy_file(from, tmp) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "jiancha restore: cannot copy %s to %s: %s\n", from, path,
                strerror(errno));
        unlink(tmp);
        return 1;
    }
    store_t *s = NULL;
    struct store_options o = {0};
    int rc = store_open(data, &o, &s);
    if (rc == 0)
        rc = store_write(s, mark_fn, NULL);
    struct spool_state sp = {0};
    store_txn_t *t = NULL;
    if (rc == 0 && (rc = store_read(s, &t)) == 0)
        rc = spool_state_get(t, &sp);
    store_abort(&t);
    store_close(&s);
    if (rc != 0) {
        fprintf(stderr, "jiancha restore: %s is not a jiancha store: %s\n", from, err_str(rc));
        unlink(path);
        return 1;
    }
    printf("restored %s into %s: records up to %llu, batches up to %llu; at its next session the "
           "node takes back from its parent what it sealed after the backup\n",
           from, data, (unsigned long long)(sp.next_seq - 1), (unsigned long long)sp.batch_seq);
    return 0;
}

int
cli_backup(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"out", required_argument, NULL, 'o'},
        {"from", required_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    bool is_restore = strcmp(argv[0], "restore") == 0;
    const char *data = NULL, *out = NULL, *from = NULL;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'd')
            data = optarg;
        else if (ch == 'o')
            out = optarg;
        else if (ch == 'f')
            from = optarg;
        else
            return 2;
    }
    if (is_restore ? !data || !from : !data || !out) {
        fprintf(stderr, is_restore ? "usage: jiancha restore --from FILE --data DIR\n"
                                   : "usage: jiancha backup --data DIR --out FILE\n");
        return 2;
    }
    return is_restore ? restore(from, data) : backup(data, out);
}
