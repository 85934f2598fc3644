/*
 * ap_webline.c - reading applianced's replies into a bounded buffer
 * (ap_webline.h).
 */
#include "appliance/ap_webline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *ap_webline_read(int fd, char **buf, size_t *len, size_t max, const char *too_long)
{
	char chunk[16384];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? NULL
		                                         : "reading the control socket failed";
	if (n == 0)
		return "applianced closed the connection";
	if (*len + (size_t)n > max)
		return too_long;
	char *p = realloc(*buf, *len + (size_t)n);
	if (!p)
		return "out of memory";
	*buf = p;
	memcpy(p + *len, chunk, (size_t)n);
	*len += (size_t)n;
	return NULL;
}
