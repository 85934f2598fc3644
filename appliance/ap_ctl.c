/*
 * ap_ctl.c - line-delimited JSON over a Unix socket, non-blocking both ways
 * (see ap_ctl.h). Each connection has an input buffer (lines are dispatched
 * as they complete; one request at a time per connection) and an output
 * buffer flushed when the socket is writable.
 */
#include "appliance/ap_ctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/lib_log.h"

struct conn {
	struct ap_ctl *ctl;
	uint64_t id;
	int fd;
	uid_t uid;
	sd_event_source *src;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	bool waiting; /* a request is being handled */
	bool closing;
	bool dispatching; /* inside dispatch_lines: freeing is deferred to it */
	struct conn *next;
};

struct ap_ctl {
	sd_event *ev;
	int fd;
	char *path;
	gid_t gid;
	sd_event_source *src;
	ap_ctl_handler handler;
	void *arg;
	uint64_t next_id;
	struct conn *conns;
};

json_t *ap_ok(const char *message, json_t *data)
{
	json_t *r = json_pack("{s:b, s:s}", "ok", 1, "message", message ? message : "");

	if (data)
		json_object_set_new(r, "data", data);
	return r;
}

json_t *ap_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static void conn_free(struct conn *c)
{
	struct conn **pp;

	for (pp = &c->ctl->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	sd_event_source_disable_unref(c->src);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static void update_events(struct conn *c)
{
	uint32_t ev = c->out_len > c->out_off ? EPOLLOUT : 0;

	if (!c->waiting && !c->closing)
		ev |= EPOLLIN;
	sd_event_source_set_io_events(c->src, ev);
}

static int flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -errno;
		c->out_off += (size_t)n;
	}
	c->out_len = c->out_off = 0;
	return 0;
}

static void dispatch_lines(struct conn *c);

static int on_conn(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct conn *c = userdata;
	char buf[8192];
	ssize_t n;

	if (revents & EPOLLOUT) {
		if (flush(c) < 0) {
			conn_free(c);
			return 0;
		}
	}
	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0) {
			if (c->waiting) {
				c->closing = true; /* drop it once the reply is ready */
				sd_event_source_set_enabled(c->src, SD_EVENT_OFF);
				return 0;
			}
			conn_free(c);
			return 0;
		}
		if (c->in_len + (size_t)n > AP_CTL_LINE_MAX) {
			lib_warn("control: request over %d bytes from uid %u; closing",
			         AP_CTL_LINE_MAX, (unsigned)c->uid);
			conn_free(c);
			return 0;
		}
		char *nb = realloc(c->in, c->in_len + (size_t)n + 1);
		if (!nb) {
			conn_free(c);
			return 0;
		}
		c->in = nb;
		memcpy(c->in + c->in_len, buf, (size_t)n);
		c->in_len += (size_t)n;
		c->in[c->in_len] = '\0';
		dispatch_lines(c);
		return 0;
	}
	if (c->closing && c->out_len == 0) {
		conn_free(c);
		return 0;
	}
	update_events(c);
	return 0;
}

static void dispatch_lines(struct conn *c)
{
	c->dispatching = true;
	while (!c->waiting && !c->closing && c->in_len) {
		char *nl = memchr(c->in, '\n', c->in_len);
		json_error_t jerr;
		json_t *req, *args;
		const char *cmd = NULL;
		size_t line;

		if (!nl)
			break;
		*nl = '\0';
		line = (size_t)(nl - c->in) + 1;
		req = json_loads(c->in, 0, &jerr);
		memmove(c->in, c->in + line, c->in_len - line);
		c->in_len -= line;
		c->waiting = true;
		if (!req || json_unpack(req, "{s:s}", "cmd", &cmd) < 0) {
			ap_ctl_reply(c->ctl, c->id,
			             ap_error("The request is not valid JSON with a "
			                      "\"cmd\" member."));
			json_decref(req);
			continue;
		}
		args = json_object_get(req, "args");
		if (!json_is_object(args))
			args = NULL;
		json_t *a = args ? json_incref(args) : json_object();
		c->ctl->handler(c->ctl->arg, c->id, c->uid, cmd, a);
		json_decref(a);
		json_decref(req);
	}
	c->dispatching = false;
	if (c->closing && !c->waiting) {
		conn_free(c);
		return;
	}
	update_events(c);
}

/* Close now, or when dispatch_lines (on the stack) regains control. */
static void drop(struct conn *c)
{
	if (c->dispatching)
		c->closing = true;
	else
		conn_free(c);
}

int ap_ctl_reply(struct ap_ctl *ctl, uint64_t id, json_t *resp)
{
	struct conn *c;
	char *text;
	size_t n;

	for (c = ctl->conns; c; c = c->next)
		if (c->id == id)
			break;
	if (!c) {
		json_decref(resp);
		return -ENOENT;
	}
	text = json_dumps(resp, JSON_COMPACT);
	json_decref(resp);
	c->waiting = false;
	if (!text)
		return drop(c), -ENOMEM;
	n = strlen(text);
	char *nb = realloc(c->out, c->out_len + n + 1);
	if (!nb) {
		free(text);
		return drop(c), -ENOMEM;
	}
	c->out = nb;
	memcpy(c->out + c->out_len, text, n);
	c->out[c->out_len + n] = '\n';
	c->out_len += n + 1;
	free(text);
	if (flush(c) < 0 || (c->closing && c->out_len == 0)) {
		drop(c);
		return 0;
	}
	if (c->dispatching)
		return 0;
	if (c->closing)
		sd_event_source_set_enabled(c->src, SD_EVENT_ON);
	/* More complete lines may be queued behind the one just answered. */
	if (!c->closing && c->in_len)
		dispatch_lines(c);
	else
		update_events(c);
	return 0;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ap_ctl *ctl = userdata;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct conn *c;
	int cfd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (cfd < 0)
		return 0;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != 0 && cred.gid != ctl->gid)) {
		lib_warn("control: refused a client with uid %u (only root or gid %u)",
		         (unsigned)cred.uid, (unsigned)ctl->gid);
		const char msg[] = "{\"ok\":false,\"error\":\"Permission denied: vsadm must run as "
		                   "root or as a member of the appliance group.\"}\n";
		if (send(cfd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			lib_warn("control: cannot tell the client: %s", strerror(errno));
		close(cfd);
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(cfd);
		return 0;
	}
	c->ctl = ctl;
	c->fd = cfd;
	c->uid = cred.uid;
	c->id = ++ctl->next_id;
	if (sd_event_add_io(ctl->ev, &c->src, cfd, EPOLLIN, on_conn, c) < 0) {
		close(cfd);
		free(c);
		return 0;
	}
	c->next = ctl->conns;
	ctl->conns = c;
	return 0;
}

int ap_ctl_create(sd_event *ev, const char *path, gid_t gid, ap_ctl_handler handler, void *arg,
                  struct ap_ctl **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ap_ctl *ctl;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->ev = sd_event_ref(ev);
	ctl->gid = gid;
	ctl->handler = handler;
	ctl->arg = arg;
	ctl->path = strdup(path);
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!ctl->path || ctl->fd < 0) {
		rc = ctl->path ? -errno : -ENOMEM;
		goto fail;
	}
	strcpy(sa.sun_path, path);
	if (unlink(path) < 0 && errno != ENOENT) {
		rc = -errno;
		goto fail;
	}
	if (bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0660) < 0 ||
	    listen(ctl->fd, 64) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = sd_event_add_io(ev, &ctl->src, ctl->fd, EPOLLIN, on_accept, ctl);
	if (rc < 0)
		goto fail;
	*out = ctl;
	return 0;
fail:
	ap_ctl_destroy(ctl);
	return rc;
}

void ap_ctl_destroy(struct ap_ctl *ctl)
{
	if (!ctl)
		return;
	while (ctl->conns)
		conn_free(ctl->conns);
	sd_event_source_disable_unref(ctl->src);
	if (ctl->fd >= 0) {
		close(ctl->fd);
		if (ctl->path)
			unlink(ctl->path);
	}
	free(ctl->path);
	sd_event_unref(ctl->ev);
	free(ctl);
}
