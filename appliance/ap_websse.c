/*
 * ap_websse.c - the event log as server-sent events (see ap_websse.h).
 */
#include "appliance/ap_websse.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "appliance/ap_webcall.h"
#include "lib/lib_log.h"

struct ap_sse {
	struct ap_sse_hub *h;
	struct MHD_Connection *conn;
	char account[32], sid[80], vs[32];
	int64_t after;
	bool primed;    /* after is known */
	bool ended;     /* nothing more: the end once the buffer is read */
	bool suspended; /* waiting for bytes */
	char *buf;
	size_t len, off;
	uint64_t last_write; /* usec, monotonic */
	sd_event_source *timer;
	struct ap_wq *call;
	struct ap_sse *next;
};

/* A stream's first line: from it on, every event comes. */
#define OPENING ": the event log of applianced\nretry: 2000\n\n"

struct ap_sse_hub {
	struct ap_sse_env env;
	char *socket;
	struct ap_sse *streams;
	int n;
	bool stopping;
	sd_event_source *kick; /* deferred run of libmicrohttpd (wake) */
};

static uint64_t now_usec(struct ap_sse_hub *h)
{
	uint64_t t = 0;

	if (sd_event_now(h->env.ev, CLOCK_MONOTONIC, &t) < 0) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	}
	return t;
}

int ap_sse_hub_new(const struct ap_sse_env *env, struct ap_sse_hub **out)
{
	struct ap_sse_hub *h = calloc(1, sizeof(*h));

	if (!h || !(h->socket = strdup(env->socket))) {
		free(h);
		return -ENOMEM;
	}
	h->env = *env;
	h->env.socket = h->socket;
	*out = h;
	return 0;
}

int ap_sse_hub_count(const struct ap_sse_hub *h)
{
	return h ? h->n : 0;
}

/* Bytes for the client: 0, or -ENOSPC when the buffer is full (then the
 * stream ends: a client this slow gets the end, not a hole). */
static int put(struct ap_sse *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int put(struct ap_sse *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!s->buf && !(s->buf = malloc(AP_SSE_BUF_MAX + 1)))
		return -ENOMEM;
	if (s->off == s->len)
		s->off = s->len = 0;
	else if (s->off > 0) {
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	va_start(ap, fmt);
	n = vsnprintf(s->buf + s->len, AP_SSE_BUF_MAX + 1 - s->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n > AP_SSE_BUF_MAX - s->len)
		return -ENOSPC; /* nothing of it counts */
	s->len += (size_t)n;
	s->last_write = now_usec(s->h);
	return 0;
}

static int on_kick(sd_event_source *src, void *arg)
{
	struct ap_sse_hub *h = arg;

	(void)src;
	if (!h->stopping && h->env.kick)
		h->env.kick(h->env.kick_arg);
	return 0;
}

/* There is something to read (or the end): resume the connection. */
static void wake(struct ap_sse *s)
{
	struct ap_sse_hub *h = s->h;

	if (s->suspended) {
		s->suspended = false;
		MHD_resume_connection(s->conn);
	}
	/* Run libmicrohttpd either way (bytes that wait on a connection it holds
	 * ready do not show in its epoll descriptor or its timeout), but from the
	 * loop, right after this callback: run now, it may end the connection
	 * and free this stream (stream_free) under its caller. */
	if (h->stopping || !h->env.kick)
		return;
	if (!h->kick && sd_event_add_defer(h->env.ev, &h->kick, on_kick, h) < 0) {
		lib_warn("apweb: an event stream cannot schedule its write; it waits for the "
		         "next poll");
		return;
	}
	if (sd_event_source_set_enabled(h->kick, SD_EVENT_ONESHOT) < 0)
		lib_warn("apweb: an event stream cannot schedule its write; it waits for the "
		         "next poll");
}

static void end(struct ap_sse *s, const char *why)
{
	json_t *o;
	char *text;

	if (s->ended)
		return;
	s->ended = true;
	o = json_pack("{s:s}", "message", why);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (!text || put(s, "event: end\ndata: %s\n\n", text) < 0)
		lib_warn("apweb: the event stream of %s ends without its last word", s->account);
	free(text);
	json_decref(o);
	sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
	wake(s);
}

static void on_events(void *arg, json_t *reply, const char *why)
{
	struct ap_sse *s = arg;
	json_t *data = json_object_get(reply, "data"), *e;
	int64_t newest = s->after;
	bool any = false;
	size_t i;

	s->call = NULL;
	if (!reply) { /* applianced away for now: try again at the next poll */
		lib_warn("apweb: event stream: %s", why ? why : "no answer");
		return;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *err = json_string_value(json_object_get(reply, "error"));
		end(s, err ? err : "applianced refused the event log.");
		return;
	}
	json_array_foreach(data, i, e)
	{
		json_int_t id = json_integer_value(json_object_get(e, "id"));
		char *text;
		if (id > newest)
			newest = id;
		if (!s->primed || id <= s->after)
			continue;
		if (!(text = json_dumps(e, JSON_COMPACT)))
			continue;
		int rc = put(s, "id: %lld\ndata: %s\n\n", (long long)id, text);
		free(text);
		if (rc < 0) {
			s->after = newest;
			end(s, "The client reads the stream too slowly; reconnect with "
			       "Last-Event-ID.");
			return;
		}
		any = true;
	}
	s->after = newest;
	if (!s->primed && put(s, OPENING) == 0)
		any = true; /* every event from now on comes */
	s->primed = true;
	if (any)
		wake(s);
}

static int on_tick(sd_event_source *src, uint64_t usec, void *arg)
{
	struct ap_sse *s = arg;
	struct ap_sse_hub *h = s->h;

	if (s->ended)
		return 0;
	if (sd_event_source_set_time_relative(src, AP_SSE_POLL_MS * 1000ULL) < 0)
		lib_warn("apweb: an event stream cannot set its timer");
	if (!h->env.alive(h->env.alive_arg, s->sid)) {
		end(s, "The session ended; log in again.");
		return 0;
	}
	if (now_usec(h) - s->last_write >= AP_SSE_HEARTBEAT_S * 1000000ULL) {
		if (put(s, ": heartbeat\n\n") == 0)
			wake(s);
	}
	if (s->off < s->len)
		wake(s); /* bytes still waiting: never more than one poll late */
	if (s->call || s->len - s->off > AP_SSE_BUF_MAX / 2)
		return 0; /* one call at a time; a slow client first reads */
	json_t *args = json_pack("{s:i}", "limit", s->primed ? 1000 : 1);
	if (args && s->primed)
		json_object_set_new(args, "after", json_integer(s->after));
	if (args && s->vs[0])
		json_object_set_new(args, "vs", json_string(s->vs));
	json_t *req =
	    args ? json_pack("{s:s, s:o, s:s}", "cmd", "event.show", "args", args, "as", s->account)
	         : NULL;
	int rc = req ? ap_wq_start(h->env.ev, h->env.socket, req, on_events, s, &s->call) : -ENOMEM;
	json_decref(req);
	if (rc < 0)
		lib_warn("apweb: event stream: cannot ask applianced: %s", strerror(-rc));
	return 0;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct ap_sse *s = cls;

	(void)pos;
	if (s->off < s->len) {
		size_t n = s->len - s->off < max ? s->len - s->off : max;
		memcpy(buf, s->buf + s->off, n);
		s->off += n;
		return (ssize_t)n;
	}
	if (s->ended)
		return MHD_CONTENT_READER_END_OF_STREAM;
	/* Nothing now: suspended until there is (never a busy loop). */
	if (!s->suspended) {
		s->suspended = true;
		MHD_suspend_connection(s->conn);
	}
	return 0;
}

/* libmicrohttpd is done with the response: the connection is over. */
static void stream_free(void *cls)
{
	struct ap_sse *s = cls;
	struct ap_sse_hub *h = s->h;

	for (struct ap_sse **p = &h->streams; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			h->n--;
			break;
		}
	ap_wq_cancel(s->call);
	sd_event_source_disable_unref(s->timer);
	free(s->buf);
	lib_info("apweb: the event stream of %s ended", s->account);
	free(s);
}

int ap_sse_open(struct ap_sse_hub *h, struct MHD_Connection *c, const char *account,
                const char *sid, const char *vs, int64_t after, struct MHD_Response **resp)
{
	struct ap_sse *s;
	int rc;

	*resp = NULL;
	if (h->n >= AP_SSE_MAX)
		return -EBUSY;
	if (!(s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	s->h = h;
	s->conn = c;
	snprintf(s->account, sizeof(s->account), "%s", account);
	snprintf(s->sid, sizeof(s->sid), "%s", sid);
	snprintf(s->vs, sizeof(s->vs), "%s", vs ? vs : "");
	s->after = after < 0 ? 0 : after;
	s->primed = after >= 0;
	/* The first line once the stream's start is known (at once with
	 * Last-Event-ID, else when the first poll has found the newest event). */
	if ((s->primed && (rc = put(s, OPENING)) < 0) ||
	    (rc = sd_event_add_time_relative(h->env.ev, &s->timer, CLOCK_MONOTONIC, 1000, 0,
	                                     on_tick, s)) < 0 ||
	    (rc = sd_event_source_set_enabled(s->timer, SD_EVENT_ON)) < 0) {
		sd_event_source_disable_unref(s->timer);
		free(s->buf);
		free(s);
		return rc;
	}
	*resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, s, stream_free);
	if (!*resp) {
		sd_event_source_disable_unref(s->timer);
		free(s->buf);
		free(s);
		return -ENOMEM;
	}
	s->next = h->streams;
	h->streams = s;
	h->n++;
	lib_info("apweb: an event stream for %s opened (%d of %d)", s->account, h->n, AP_SSE_MAX);
	return 0;
}

void ap_sse_hub_stop(struct ap_sse_hub *h)
{
	if (!h)
		return;
	h->stopping = true;
	for (struct ap_sse *s = h->streams; s; s = s->next)
		end(s, "The web process is stopping.");
}

void ap_sse_hub_free(struct ap_sse_hub *h)
{
	if (!h)
		return;
	/* libmicrohttpd has freed every response by now; any left is cut loose. */
	while (h->streams) {
		struct ap_sse *s = h->streams;
		h->streams = s->next;
		ap_wq_cancel(s->call);
		sd_event_source_disable_unref(s->timer);
		free(s->buf);
		free(s);
	}
	sd_event_source_disable_unref(h->kick);
	free(h->socket);
	free(h);
}
