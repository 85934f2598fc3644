/*
 * lib_span.c - strict scanning of kernel text files (see lib_span.h).
 */
#include "lib/lib_span.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int lib_span_line(const char *buf, size_t len, size_t *off, struct lib_span *line)
{
	const char *nl;

	if (*off >= len)
		return 0;
	nl = memchr(buf + *off, '\n', len - *off);
	if (!nl)
		return -EINVAL;
	line->p = buf + *off;
	line->n = (size_t)(nl - line->p);
	*off += line->n + 1;
	return 1;
}

static bool lib_span_blank(char c)
{
	return c == ' ' || c == '\t';
}

int lib_span_split(struct lib_span line, struct lib_span *fields, int max)
{
	int count = 0;
	size_t i = 0;

	while (i < line.n) {
		size_t start;

		if (lib_span_blank(line.p[i])) {
			i++;
			continue;
		}
		start = i;
		while (i < line.n && !lib_span_blank(line.p[i])) {
			unsigned char c = (unsigned char)line.p[i];

			if (c < 0x21 || c > 0x7e)
				return -EINVAL;
			i++;
		}
		if (count >= max)
			return -EINVAL;
		fields[count].p = line.p + start;
		fields[count].n = i - start;
		count++;
	}
	return count;
}

int lib_span_u64(struct lib_span s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s.n == 0)
		return -EINVAL;
	for (size_t i = 0; i < s.n; i++) {
		unsigned d = (unsigned char)s.p[i] - '0';

		if (d > 9 || d > max || v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int lib_span_cut(struct lib_span s, char c, struct lib_span *before, struct lib_span *after)
{
	const char *at = s.n ? memchr(s.p, c, s.n) : NULL;

	if (!at)
		return -EINVAL;
	before->p = s.p;
	before->n = (size_t)(at - s.p);
	after->p = at + 1;
	after->n = s.n - before->n - 1;
	return 0;
}

bool lib_span_eq(struct lib_span s, const char *lit)
{
	return strlen(lit) == s.n && memcmp(s.p, lit, s.n) == 0;
}

int lib_span_copy(struct lib_span s, char *out, size_t len)
{
	if (s.n == 0 || s.n >= len)
		return -EINVAL;
	memcpy(out, s.p, s.n);
	out[s.n] = '\0';
	return 0;
}

void *lib_span_grow(void *arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	void *na;

	if (n < *cap)
		return arr;
	if (ncap > SIZE_MAX / size)
		return NULL;
	na = realloc(arr, ncap * size);
	if (na)
		*cap = ncap;
	return na;
}
