/*
 * lib_buf.c - growable text buffer for the configuration generators.
 *
 * Design: a sticky-error builder. Generators format many small lines; checking
 * each append would drown the logic, so the buffer remembers its first error
 * and ignores the rest, and lib_buf_finish() reports it. Growth doubles the
 * capacity; sizes are checked for overflow.
 */
#include "lib/lib_buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int lib_buf_reserve(struct lib_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return -ENOMEM;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 1024;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

void lib_buf_printf(struct lib_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	if (b->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = -EINVAL;
		return;
	}
	rc = lib_buf_reserve(b, (size_t)n);
	if (rc < 0) {
		b->err = rc;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = -EINVAL;
		return;
	}
	b->len += (size_t)n;
}

void lib_buf_free(struct lib_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

int lib_buf_finish(struct lib_buf *b, char **out)
{
	int rc = b->err;

	if (!rc && !b->p)
		rc = lib_buf_reserve(b, 0);
	if (rc) {
		lib_buf_free(b);
		b->err = 0;
		return rc;
	}
	b->p[b->len] = '\0';
	*out = b->p;
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	return 0;
}
