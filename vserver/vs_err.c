/*
 * vs_err.c - the sentences the model writes for an administrator (see vs_err.h).
 */
#include "vserver/vs_err.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int vs_fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

const char *vs_shown(const char *s, char *buf, size_t len)
{
	size_t j = 0;

	for (size_t i = 0; s[i] && j + 4 < len; i++)
		buf[j++] = isprint((unsigned char)s[i]) ? s[i] : '?';
	if (strlen(s) >= len - 4 && j + 4 >= len)
		buf[j++] = '.', buf[j++] = '.', buf[j++] = '.';
	buf[j] = '\0';
	return buf;
}
