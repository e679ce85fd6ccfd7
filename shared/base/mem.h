/* mem: allocation that aborts on exhaustion, so ordinary code never checks for NULL. */
#ifndef JIANCHA_MEM_H
#define JIANCHA_MEM_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Gives the free pages the allocator holds back to the system (glibc's malloc_trim). For after a
 * large transient allocation, such as a parse tree many times its document, whose pages would
 * otherwise stay resident for the life of the process. */
void mem_trim(void);

#endif
