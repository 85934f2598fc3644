/*
 * ap_ctlcall.c - the tools' blocking client of the control socket (see
 * ap_ctlcall.h).
 */
#include "appliance/ap_ctlcall.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int ap_ctlcall_connect(const char *path, int timeout_s, int *fd, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = timeout_s};
	int s, rc;

	*fd = -1;
	if (!path || !*path)
		path = getenv("VSADM_SOCKET");
	if (!path || !*path)
		path = AP_CTL_SOCKET;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "The socket path %s is too long.", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "Cannot reach applianced at %s: %s (is it running?).", path,
		         strerror(errno));
		if (s >= 0)
			close(s);
		return rc;
	}
	*fd = s;
	return 0;
}

static int send_all(int fd, const char *text, size_t n, char *err, size_t errlen)
{
	for (size_t off = 0; off < n;) {
		ssize_t w = send(fd, text + off, n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int rc = -errno;
			snprintf(err, errlen, "Cannot talk to applianced: %s.", strerror(errno));
			return rc;
		}
		off += (size_t)w;
	}
	return 0;
}

int ap_ctlcall(int fd, json_t *req, json_t **resp, char *err, size_t errlen)
{
	char *text = json_dumps(req, JSON_COMPACT), *buf = NULL;
	size_t len = 0, cap = 0;
	json_error_t jerr;
	int rc;

	*resp = NULL;
	if (!text) {
		snprintf(err, errlen, "Out of memory.");
		return -ENOMEM;
	}
	size_t n = strlen(text);
	text[n] = '\n'; /* over the NUL: sent as a line, not printed */
	rc = send_all(fd, text, n + 1, err, errlen);
	explicit_bzero(text, n + 1);
	free(text);
	if (rc < 0)
		return rc;
	for (;;) {
		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap + 65536);
			if (!nb) {
				free(buf);
				snprintf(err, errlen, "Out of memory.");
				return -ENOMEM;
			}
			buf = nb;
			cap += 65536;
		}
		ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r == 0 ? -ECONNRESET : errno == EAGAIN ? -ETIMEDOUT : -errno;
			snprintf(err, errlen, "%s",
			         r == 0 ? "applianced closed the connection without an answer."
			         : rc == -ETIMEDOUT
			             ? "applianced did not answer in time; the operation may still "
			               "be in progress (see 'vsadm vserver show')."
			             : "Lost the connection to applianced.");
			free(buf);
			return rc;
		}
		len += (size_t)r;
		if (memchr(buf + len - (size_t)r, '\n', (size_t)r))
			break;
	}
	buf[len] = '\0';
	*resp = json_loads(buf, JSON_DISABLE_EOF_CHECK, &jerr);
	free(buf);
	if (!*resp) { /* jansson's text may quote the answer: position only */
		snprintf(err, errlen, "applianced sent an answer that is not JSON (at byte %d).",
		         jerr.position);
		return -EPROTO;
	}
	return 0;
}
