/*
 * lib_span.h - strict scanning of the kernel's small text files (/proc,
 * sysfs, cgroupfs): lines, blank-separated fields, unsigned decimals.
 *
 * For: parsers that must refuse what is not exactly the expected shape (a
 * truncated read, a number that does not fit, a stray byte) instead of
 * guessing, so a caller never acts on a half-read sample.
 *
 * A span is a (pointer, length) view into the caller's buffer: nothing is
 * copied or allocated, and a span is valid as long as that buffer is. The
 * buffer need not be NUL-terminated; a NUL byte in it is refused like any
 * other control character.
 *
 * Errors: 0 (or a count) on success, -EINVAL for text of the wrong shape.
 */
#ifndef LIB_SPAN_H
#define LIB_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lib_span {
	const char *p;
	size_t n;
};

/* The next line of buf[0..len) from *off, without its '\n', into *line;
 * *off moves past it. 1 for a line, 0 at the end of the text, -EINVAL when
 * the rest of the text does not end with '\n' (a truncated read). */
int lib_span_line(const char *buf, size_t len, size_t *off, struct lib_span *line);
/* Split a line into the fields separated by runs of spaces or tabs (leading
 * and trailing blanks ignored). Returns the number of fields (0 for a blank
 * line), or -EINVAL when there are more than max or a byte is neither a blank
 * nor printable ASCII. */
int lib_span_split(struct lib_span line, struct lib_span *fields, int max);
/* An unsigned decimal (digits only, no sign, no blanks) of at most `max`. */
int lib_span_u64(struct lib_span s, uint64_t max, uint64_t *out);
/* Split s at its first `c` into the parts before and after it; -EINVAL if
 * there is none. */
int lib_span_cut(struct lib_span s, char c, struct lib_span *before, struct lib_span *after);
/* s equals the NUL-terminated `lit`. */
bool lib_span_eq(struct lib_span s, const char *lit);
/* Copy s into out[0..len) as a NUL-terminated string; -EINVAL if it does not
 * fit (len - 1 characters at most) or is empty. */
int lib_span_copy(struct lib_span s, char *out, size_t len);

/* For the parsers' record arrays: arr (malloc'd, *cap elements of `size`
 * bytes, n of them used; NULL and 0 at first) with room for one more. Returns
 * the array, moved or not, or NULL when out of memory (arr is then still
 * valid and the caller's to free). Capacity doubles from 16. */
void *lib_span_grow(void *arr, size_t *cap, size_t n, size_t size);

#endif
