/* file: whole-file reads and atomic, durable writes, for documents (calendars, certificates,
 * bundles) that are read or replaced as a whole. */
#ifndef JIANCHA_FILE_H
#define JIANCHA_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* A NUL-terminated malloc'd copy of the file (the caller frees it); NULL with errno set if it
 * cannot be read. */
char *file_read(const char *path, size_t *len);

/* Writes a temporary file beside path, syncs it and renames it over path, so readers see the old
 * or the new content, never a part. With `exclusive`, refuses (-1, errno EEXIST) when path
 * exists. 0 or -1 with errno set. */
int file_write(const char *path, const void *data, size_t len, bool exclusive);

/* mkdir -p, mode 0700 for every directory it makes (they may hold keys). 0 or -1 with errno. */
int file_make_dirs(const char *dir);

#endif
