/*
 * lib_buf.h - growable text buffer for the configuration generators (ganesha,
 * samba, corosync, keepalived).
 *
 * The first failure (allocation, formatting) is kept in `err` and every later
 * append is a no-op, so a generator appends unconditionally and checks once at
 * the end with lib_buf_finish().
 */
#ifndef LIB_BUF_H
#define LIB_BUF_H

#include <stddef.h>

struct lib_buf {
	char *p;
	size_t len;
	size_t cap;
	int err; /* 0 or the first negative errno */
};

/* printf-style append; sets b->err on failure. */
void lib_buf_printf(struct lib_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* On success hands the NUL-terminated text to *out and returns 0; on failure
 * frees the buffer and returns the first error. The buffer is empty after. */
int lib_buf_finish(struct lib_buf *b, char **out);
/* Frees the buffer (for error paths before lib_buf_finish). */
void lib_buf_free(struct lib_buf *b);

#endif
