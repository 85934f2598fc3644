/*
 * ap_webscrape.c - apweb's asynchronous refresh of /metrics (see ap_webscrape.h).
 */
#include "appliance/ap_webscrape.h"
#include "appliance/ap_webline.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "appliance/ap_webmetrics.h"
#include "lib/lib_log.h"

static const char *const cmds[] = {"load.show", "cluster.show", "node.show", "vserver.show",
                                   "move.show"};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

struct ap_ws {
	sd_event *ev;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	sd_event_source *tick, *deadline, *io;
	int fd;
	size_t step; /* the request in flight */
	char out[64];
	size_t out_len, out_off;
	char *in;
	size_t in_len;
	json_t *docs[NCMDS]; /* this refresh's */
	json_t *last[NCMDS]; /* the last complete refresh's */
	bool have_last, ok;
	uint64_t last_at; /* CLOCK_MONOTONIC of the last complete refresh */
	char *text;
	char failed[160]; /* the last failure logged ("" when none) */
};

static uint64_t now_mono(struct ap_ws *ws)
{
	uint64_t t = 0;

	if (sd_event_now(ws->ev, CLOCK_MONOTONIC, &t) < 0)
		t = 0;
	return t;
}

static void render(struct ap_ws *ws)
{
	struct ap_wm_input in = {.scrape_ok = ws->ok};
	char *text = NULL;

	if (ws->have_last) {
		in.load = ws->last[0];
		in.cluster = ws->last[1];
		in.node = ws->last[2];
		in.vservers = ws->last[3];
		in.moves = ws->last[4];
		in.age_s = (double)(now_mono(ws) - ws->last_at) / 1e6;
	} else {
		in.age_s = NAN;
	}
	if (ap_wm_render(&in, &text) < 0) {
		lib_warn("apweb: out of memory rendering /metrics; serving the last text");
		return;
	}
	free(ws->text);
	ws->text = text;
}

static void close_conn(struct ap_ws *ws)
{
	ws->io = sd_event_source_disable_unref(ws->io);
	ws->deadline = sd_event_source_disable_unref(ws->deadline);
	if (ws->fd >= 0)
		close(ws->fd);
	ws->fd = -1;
	free(ws->in);
	ws->in = NULL;
	ws->in_len = 0;
	for (size_t i = 0; i < NCMDS; i++) {
		json_decref(ws->docs[i]);
		ws->docs[i] = NULL;
	}
}

static void finish(struct ap_ws *ws, const char *why)
{
	if (!why) {
		for (size_t i = 0; i < NCMDS; i++) {
			json_decref(ws->last[i]);
			ws->last[i] = ws->docs[i];
			ws->docs[i] = NULL;
		}
		ws->have_last = true;
		ws->last_at = now_mono(ws);
		if (ws->failed[0])
			lib_info("apweb: reading applianced's figures works again");
		ws->failed[0] = '\0';
	} else if (strcmp(ws->failed, why) != 0) {
		lib_warn("apweb: cannot refresh /metrics: %s", why);
		snprintf(ws->failed, sizeof(ws->failed), "%s", why);
	}
	ws->ok = why == NULL;
	close_conn(ws);
	render(ws);
}

static int send_step(struct ap_ws *ws)
{
	int n =
	    snprintf(ws->out, sizeof(ws->out), "{\"cmd\":\"%s\",\"args\":{}}\n", cmds[ws->step]);

	if (n < 0 || (size_t)n >= sizeof(ws->out))
		abort(); /* the commands are ours and short */
	ws->out_len = (size_t)n;
	ws->out_off = 0;
	return sd_event_source_set_io_events(ws->io, EPOLLIN | EPOLLOUT);
}

/* One reply line: keep its data (or NULL for {"ok": false}); then the next
 * request, or the end. Returns the failure's sentence, or NULL. */
static const char *on_line(struct ap_ws *ws, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *r = json_loadb(line, len, 0, &jerr), *ok;

	if (!r || !json_is_object(r)) {
		json_decref(r);
		return "applianced answered with something that is not a JSON object";
	}
	ok = json_object_get(r, "ok");
	if (!json_is_boolean(ok)) {
		json_decref(r);
		return "applianced's answer has no \"ok\"";
	}
	if (json_is_true(ok))
		ws->docs[ws->step] = json_incref(json_object_get(r, "data"));
	json_decref(r);
	ws->step++;
	if (ws->step < NCMDS && send_step(ws) < 0)
		return "cannot watch the control socket";
	return NULL;
}

static const char *on_readable(struct ap_ws *ws)
{
	const char *err = ap_webline_read(ws->fd, &ws->in, &ws->in_len, AP_WS_REPLY_MAX,
	                                  "a reply of applianced is over the size apweb reads");
	if (err)
		return err;
	char *nl;
	while (ws->step < NCMDS && ws->in_len && (nl = memchr(ws->in, '\n', ws->in_len))) {
		size_t len = (size_t)(nl - ws->in);
		const char *why = on_line(ws, ws->in, len);
		if (why)
			return why;
		memmove(ws->in, nl + 1, ws->in_len - len - 1);
		ws->in_len -= len + 1;
	}
	return NULL;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct ap_ws *ws = arg;
	const char *why = NULL;

	if (revents & EPOLLOUT) {
		ssize_t n = send(fd, ws->out + ws->out_off, ws->out_len - ws->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			why = "cannot write to the control socket (is applianced running, and is "
			      "apweb "
			      "in its socket group?)";
		else if (n > 0 && (ws->out_off += (size_t)n) == ws->out_len &&
		         sd_event_source_set_io_events(ws->io, EPOLLIN) < 0)
			why = "cannot watch the control socket";
	}
	if (!why && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		why = on_readable(ws);
	if (why || ws->step == NCMDS)
		finish(ws, why);
	return 0;
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *arg)
{
	finish(arg, "applianced did not answer in time");
	return 0;
}

static void start(struct ap_ws *ws)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	uint64_t now = now_mono(ws);

	if (ws->fd >= 0)
		finish(ws, "the previous refresh had not ended"); /* the deadline is shorter */
	strcpy(sa.sun_path, ws->path);
	ws->step = 0;
	ws->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ws->fd < 0)
		return finish(ws, "cannot make a socket");
	/* A Unix socket connects at once or not at all (EAGAIN: its backlog is full). */
	if (connect(ws->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		char why[160];
		snprintf(why, sizeof(why), "cannot reach applianced at %s: %s", ws->path,
		         strerror(errno));
		return finish(ws, why);
	}
	if (sd_event_add_io(ws->ev, &ws->io, ws->fd, EPOLLOUT, on_io, ws) < 0 ||
	    sd_event_add_time(ws->ev, &ws->deadline, CLOCK_MONOTONIC, now + AP_WS_DEADLINE_USEC, 0,
	                      on_deadline, ws) < 0 ||
	    send_step(ws) < 0)
		return finish(ws, "cannot watch the control socket");
}

static int on_tick(sd_event_source *s, uint64_t usec, void *arg)
{
	struct ap_ws *ws = arg;

	start(ws);
	if (sd_event_source_set_time(s, now_mono(ws) + AP_WS_PERIOD_USEC) < 0 ||
	    sd_event_source_set_enabled(s, SD_EVENT_ON) < 0)
		lib_err("apweb: cannot set the refresh timer; /metrics will not be refreshed");
	return 0;
}

int ap_ws_create(sd_event *ev, const char *path, struct ap_ws **out)
{
	struct ap_ws *ws;
	int rc;

	if (strlen(path) >= sizeof(ws->path))
		return -ENAMETOOLONG;
	ws = calloc(1, sizeof(*ws));
	if (!ws)
		return -ENOMEM;
	ws->ev = sd_event_ref(ev);
	ws->fd = -1;
	snprintf(ws->path, sizeof(ws->path), "%s", path);
	render(ws);
	if (!ws->text) {
		ap_ws_destroy(ws);
		return -ENOMEM;
	}
	rc = sd_event_add_time(ev, &ws->tick, CLOCK_MONOTONIC, 0, 0, on_tick, ws);
	if (rc < 0) {
		ap_ws_destroy(ws);
		return rc;
	}
	*out = ws;
	return 0;
}

void ap_ws_destroy(struct ap_ws *ws)
{
	if (!ws)
		return;
	close_conn(ws);
	sd_event_source_disable_unref(ws->tick);
	for (size_t i = 0; i < NCMDS; i++)
		json_decref(ws->last[i]);
	free(ws->text);
	sd_event_unref(ws->ev);
	free(ws);
}

const char *ap_ws_text(struct ap_ws *ws, size_t *len)
{
	*len = strlen(ws->text);
	return ws->text;
}
