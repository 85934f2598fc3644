/*
 * ap_webcall.c - one control request from apweb (see ap_webcall.h).
 */
#include "appliance/ap_webcall.h"
#include "appliance/ap_webline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct ap_wq {
	int fd;
	sd_event_source *io, *deadline;
	char *out;
	size_t out_len, out_off;
	char *in;
	size_t in_len;
	ap_wq_done done;
	void *arg;
};

static void wc_free(struct ap_wq *c)
{
	sd_event_source_disable_unref(c->io);
	sd_event_source_disable_unref(c->deadline);
	if (c->fd >= 0)
		close(c->fd);
	if (c->out) {
		explicit_bzero(c->out, c->out_len);
		free(c->out);
	}
	if (c->in)
		explicit_bzero(c->in, c->in_len); /* a reply may hold a key (cert.get) */
	free(c->in);
	free(c);
}

static void finish(struct ap_wq *c, json_t *reply, const char *why)
{
	ap_wq_done done = c->done;
	void *arg = c->arg;

	wc_free(c);
	done(arg, reply, why);
}

void ap_wq_cancel(struct ap_wq *c)
{
	if (c)
		wc_free(c);
}

static const char *on_readable(struct ap_wq *c, json_t **reply)
{
	char *nl;
	const char *why = ap_webline_read(c->fd, &c->in, &c->in_len, AP_WQ_REPLY_MAX,
	                                  "applianced's reply is over the size apweb reads");

	if (why)
		return why;
	if (!c->in_len || !(nl = memchr(c->in, '\n', c->in_len)))
		return NULL;
	json_error_t jerr;
	*reply = json_loadb(c->in, (size_t)(nl - c->in), 0, &jerr);
	if (!json_is_object(*reply)) {
		json_decref(*reply);
		*reply = NULL;
		return "applianced answered with something that is not a JSON object";
	}
	return NULL;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct ap_wq *c = arg;
	const char *why = NULL;
	json_t *reply = NULL;

	if ((revents & EPOLLOUT) && c->out_off < c->out_len) {
		ssize_t n = send(fd, c->out + c->out_off, c->out_len - c->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			why = "cannot write to the control socket";
		else if (n > 0 && (c->out_off += (size_t)n) == c->out_len) {
			explicit_bzero(c->out, c->out_len); /* it may hold a password */
			if (sd_event_source_set_io_events(c->io, EPOLLIN) < 0)
				why = "cannot watch the control socket";
		}
	}
	if (!why && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		why = on_readable(c, &reply);
	if (why || reply) {
		finish(c, reply, why);
		json_decref(reply);
	}
	return 0;
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *arg)
{
	finish(arg, NULL, "applianced did not answer in time");
	return 0;
}

int ap_wq_start(sd_event *ev, const char *path, const json_t *req, ap_wq_done done, void *arg,
                struct ap_wq **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ap_wq *c;
	uint64_t now = 0;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	c->fd = -1;
	c->done = done;
	c->arg = arg;
	char *text = json_dumps(req, JSON_COMPACT);
	if (!text) {
		wc_free(c);
		return -ENOMEM;
	}
	c->out_len = strlen(text) + 1;
	if (!(c->out = malloc(c->out_len))) {
		explicit_bzero(text, c->out_len - 1);
		free(text);
		wc_free(c);
		return -ENOMEM;
	}
	memcpy(c->out, text, c->out_len - 1);
	c->out[c->out_len - 1] = '\n';
	explicit_bzero(text, c->out_len - 1);
	free(text);
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		wc_free(c);
		return rc;
	}
	if ((rc = sd_event_now(ev, CLOCK_MONOTONIC, &now)) < 0 ||
	    (rc = sd_event_add_io(ev, &c->io, c->fd, EPOLLOUT | EPOLLIN, on_io, c)) < 0 ||
	    (rc = sd_event_add_time(ev, &c->deadline, CLOCK_MONOTONIC, now + AP_WQ_DEADLINE_USEC, 0,
	                            on_deadline, c)) < 0) {
		wc_free(c);
		return rc;
	}
	*out = c;
	return 0;
}
