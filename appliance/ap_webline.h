/*
 * ap_webline.h - the bytes of applianced's replies, as apweb's socket
 * clients (ap_webcall, ap_webscrape) gather them.
 *
 * applianced answers each request with one JSON line. A client reads what
 * its non-blocking socket holds and appends it to its buffer, bounded, then
 * looks for the newline itself (one reply, or several in order).
 *
 * Memory: *buf is malloc'd, grown here, owned by the caller (freed by it).
 * Errors: NULL when the read went well or there was nothing to read yet
 * (EAGAIN, EINTR); else why not, one phrase for the caller's log line:
 * the read failed, applianced closed the connection, out of memory, or
 * too_long when the buffer would pass max bytes.
 */
#ifndef AP_WEBLINE_H
#define AP_WEBLINE_H

#include <stddef.h>

const char *ap_webline_read(int fd, char **buf, size_t *len, size_t max, const char *too_long);

#endif
