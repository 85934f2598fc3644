/*
 * fx_buf.h - growable text buffer for the fsexport configuration generators
 * (internal to fsexport/, not a public concept).
 *
 * The first failure (allocation, formatting) is kept in `err` and every later
 * append is a no-op, so a generator appends unconditionally and checks once at
 * the end with fx_buf_finish().
 */
#ifndef FX_BUF_H
#define FX_BUF_H

#include <stddef.h>

struct fx_buf {
	char *p;
	size_t len;
	size_t cap;
	int err; /* 0 or the first negative errno */
};

/* printf-style append; sets b->err on failure. */
void fx_buf_printf(struct fx_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* On success hands the NUL-terminated text to *out and returns 0; on failure
 * frees the buffer and returns the first error. The buffer is empty after. */
int fx_buf_finish(struct fx_buf *b, char **out);
/* Frees the buffer (for error paths before fx_buf_finish). */
void fx_buf_free(struct fx_buf *b);

#endif
