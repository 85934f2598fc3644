/*
 * ap_webhttp.c - apweb's HTTPS server on the caller's loop (see ap_webhttp.h).
 */
#include "appliance/ap_webhttp.h"

#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "appliance/ap_webstatic.h"
#include "lib/lib_log.h"

struct ap_wh {
	sd_event *ev;
	struct MHD_Daemon *mhd;
	sd_event_source *io, *timer;
	struct ap_ws *ws;
	struct ap_wr *rest;
	unsigned flags;
	char *cert, *key; /* the pair served (copies: the way back of ap_wh_set_cert) */
	const struct ap_wst *assets;
	uint64_t body_bytes; /* request body bytes the handlers took, ever */
};

/* Rounds of libmicrohttpd run at once while request bodies come in. */
#define BODY_ROUNDS_MAX 64

/* One request's state: the body bytes seen so far. */
struct req {
	uint64_t seen;
	bool api;
	void *api_req; /* ap_webrest's */
};

enum ap_wh_route ap_wh_route(const char *method, const char *url, long long content_length,
                             uint64_t body_seen)
{
	if (!method || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0))
		return AP_WH_BAD_METHOD;
	if (content_length > AP_WH_BODY_MAX || body_seen > AP_WH_BODY_MAX)
		return AP_WH_TOO_LARGE;
	if (!url || strcmp(url, "/metrics") != 0)
		return AP_WH_NOT_FOUND;
	return AP_WH_METRICS;
}

/* The announced Content-Length: -1 when none, LLONG_MAX when not a number
 * (refused as too large: a request whose length cannot be read is not served). */
long long ap_wh_content_length(struct MHD_Connection *c)
{
	const char *v =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	long long n = 0;

	if (!v)
		return -1;
	if (!*v || strlen(v) > 18)
		return LLONG_MAX;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return LLONG_MAX;
		n = n * 10 + (*p - '0');
	}
	return n;
}

static void wipe(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* Queue resp with headers h added (every page's security headers); resp is released. */
static enum MHD_Result queue_with(struct MHD_Connection *c, unsigned status,
                                  struct MHD_Response *resp, const struct ap_wst_header *h)
{
	enum MHD_Result rc;

	for (; h->name; h++)
		if (MHD_add_response_header(resp, h->name, h->value) != MHD_YES) {
			MHD_destroy_response(resp);
			return MHD_NO;
		}
	rc = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result answer(struct ap_wh *wh, struct MHD_Connection *c, enum ap_wh_route r)
{
	static const struct {
		unsigned status;
		const char *body;
	} refusals[] = {
	    [AP_WH_NOT_FOUND] = {MHD_HTTP_NOT_FOUND, "Not found: there is no such page here.\n"},
	    [AP_WH_BAD_METHOD] = {MHD_HTTP_METHOD_NOT_ALLOWED, "Only GET is allowed here.\n"},
	    [AP_WH_TOO_LARGE] = {MHD_HTTP_CONTENT_TOO_LARGE,
	                         "The request's body is larger than this server accepts.\n"},
	};
	struct MHD_Response *resp;
	unsigned status;

	if (r == AP_WH_METRICS) {
		size_t len;
		const char *text = ap_ws_text(wh->ws, &len);
		resp = MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
		status = MHD_HTTP_OK;
		if (resp && MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		                                    "text/plain; version=0.0.4; charset=utf-8") !=
		                MHD_YES) {
			MHD_destroy_response(resp);
			resp = NULL;
		}
	} else {
		const char *body = refusals[r].body;
		resp = MHD_create_response_from_buffer(strlen(body), (void *)body,
		                                       MHD_RESPMEM_PERSISTENT);
		status = refusals[r].status;
		if (resp &&
		    (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		                             "text/plain; charset=utf-8") != MHD_YES ||
		     (r == AP_WH_BAD_METHOD && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
		                                                       "GET, HEAD") != MHD_YES))) {
			MHD_destroy_response(resp);
			resp = NULL;
		}
	}
	if (!resp)
		return MHD_NO; /* out of memory: libmicrohttpd closes the connection */
	return queue_with(c, status, resp, ap_wst_page_headers());
}

/* One of the console's files, with its headers (ap_webstatic.h). */
static enum MHD_Result serve_asset(struct MHD_Connection *c, const struct ap_wst_file *f)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(f->len, f->data, MHD_RESPMEM_PERSISTENT);

	if (!resp)
		return MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, f->type) != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return queue_with(c, MHD_HTTP_OK, resp, ap_wst_headers(f));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct ap_wh *wh = cls;
	struct req *q = *con_cls;
	enum ap_wh_route r;

	if (!q) {
		/* The headers are in: refuse now what needs no body to refuse. */
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		*con_cls = q;
		q->api = wh->rest && ap_wr_is_api(url);
		if (q->api)
			return ap_wr_request(wh->rest, c, url, method, upload_data,
			                     upload_data_size, &q->api_req);
		r = ap_wh_route(method, url, ap_wh_content_length(c), 0);
		const struct ap_wst_file *f;
		if (r == AP_WH_NOT_FOUND && (f = ap_wst_find(wh->assets, url)))
			return serve_asset(c, f);
		if (r != AP_WH_METRICS)
			return answer(wh, c, r);
		return MHD_YES; /* a body may follow: read (and count) it first */
	}
	if (q->api) {
		size_t offered = *upload_data_size;
		enum MHD_Result res = ap_wr_request(wh->rest, c, url, method, upload_data,
		                                    upload_data_size, &q->api_req);
		wh->body_bytes += offered - *upload_data_size;
		return res;
	}
	wh->body_bytes += *upload_data_size;
	if (*upload_data_size) {
		q->seen += *upload_data_size;
		*upload_data_size = 0;
		if (q->seen > AP_WH_BODY_MAX)
			return answer(wh, c, AP_WH_TOO_LARGE);
		return MHD_YES;
	}
	return answer(wh, c, ap_wh_route(method, url, -1, q->seen));
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;

	if (q)
		ap_wr_completed(q->api_req);
	free(q);
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	lib_warn("apweb: https: %s", line);
}

/* After every MHD_run: when libmicrohttpd wants to run again without I/O
 * (at once when asap). */
static void rearm(struct ap_wh *wh, bool asap)
{
	MHD_UNSIGNED_LONG_LONG ms = 0;
	uint64_t now = 0;

	if (asap)
		ms = 0;
	else if (MHD_get_timeout(wh->mhd, &ms) != MHD_YES) {
		if (sd_event_source_set_enabled(wh->timer, SD_EVENT_OFF) < 0)
			lib_warn("apweb: cannot stop the https timer");
		return;
	}
	if (sd_event_now(wh->ev, CLOCK_MONOTONIC, &now) < 0 ||
	    sd_event_source_set_time(wh->timer, now + (uint64_t)ms * 1000) < 0 ||
	    sd_event_source_set_enabled(wh->timer, SD_EVENT_ONESHOT) < 0)
		lib_err("apweb: cannot set the https timer; connections may stall");
}

/* Rounds of libmicrohttpd. While a request body comes in, a round reads one
 * TLS record or hands what it read to the handler, and its epoll descriptor
 * (edge-triggered inside) does not wake us for bytes already in the socket:
 * so rounds go on at once while they take body bytes, a bounded number
 * here, then again from the loop's next iteration (the timer at once; other
 * events are served in between). Measured with a 64 MiB upload in 71-api:
 * 64 KB/s when every round waited for the timer with sd-event's default
 * 250 ms accuracy, 74 MB/s with a 1 us accuracy, 250-270 MB/s with the
 * rounds run here as well. */
static void run(struct ap_wh *wh)
{
	bool more = false;

	for (int i = 0; i < BODY_ROUNDS_MAX; i++) {
		uint64_t before = wh->body_bytes;
		if (MHD_run(wh->mhd) != MHD_YES) {
			lib_warn("apweb: https: a round of libmicrohttpd failed");
			break;
		}
		if (!(more = wh->body_bytes != before))
			break;
	}
	rearm(wh, more);
}

/* A connection was resumed: run libmicrohttpd from the loop at once. */
static void kick(void *arg)
{
	/* From the loop, never inside libmicrohttpd. It takes a resumed
	 * connection back, calls the handler again, then sends, each in a round
	 * of its own; the timer (1 us accuracy) runs the later ones at once. */
	run(arg);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	run(arg);
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *arg)
{
	run(arg);
	return 0;
}

/* A daemon on addr, or on the listening socket fd when fd >= 0. */
static struct MHD_Daemon *start_mhd(struct ap_wh *wh, const struct sockaddr *addr, int fd,
                                    const char *cert, const char *key)
{
	struct MHD_OptionItem where[] = {
	    fd >= 0 ? (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, fd, NULL}
	            : (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, (void *)addr},
	    {MHD_OPTION_END, 0, NULL}};

	return MHD_start_daemon(
	    wh->flags, 0, NULL, NULL, on_request, wh, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, wh,
	    MHD_OPTION_ARRAY, where, MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_HTTPS_MEM_CERT, cert,
	    MHD_OPTION_HTTPS_PRIORITIES, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)AP_WH_CONN_MAX,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)AP_WH_PER_IP_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)AP_WH_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)AP_WH_CONN_MEM, MHD_OPTION_NOTIFY_COMPLETED,
	    on_completed, wh, MHD_OPTION_END);
}

/* sd-event watches the daemon's epoll descriptor. */
static int watch(struct ap_wh *wh, char *err, size_t errlen)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(wh->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	int rc;

	if (!info) {
		snprintf(err, errlen, "libmicrohttpd gave no epoll descriptor.");
		return -EINVAL;
	}
	if ((rc = sd_event_add_io(wh->ev, &wh->io, info->epoll_fd, EPOLLIN, on_io, wh)) < 0) {
		snprintf(err, errlen, "Cannot watch the HTTPS server: %s.", strerror(-rc));
		return rc;
	}
	return 0;
}

int ap_wh_create(sd_event *ev, const struct ap_wh_opts *o, struct ap_ws *scraper,
                 struct ap_wh **out, char *err, size_t errlen)
{
	struct ap_wh *wh = calloc(1, sizeof(*wh));
	int rc;

	if (!wh)
		return -ENOMEM;
	wh->ev = sd_event_ref(ev);
	wh->ws = scraper;
	wh->rest = o->rest;
	wh->flags = MHD_USE_EPOLL | MHD_USE_TLS | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	wh->assets = o->assets;
	if (o->addr->sa_family == AF_INET6)
		wh->flags |= MHD_USE_IPv6;
	wh->cert = strdup(o->cert);
	wh->key = strdup(o->key);
	if (!wh->cert || !wh->key) {
		ap_wh_destroy(wh);
		return -ENOMEM;
	}
	wh->mhd = start_mhd(wh, o->addr, -1, o->cert, o->key);
	if (!wh->mhd) {
		snprintf(err, errlen,
		         "Cannot serve HTTPS there (the address in use or not this node's, or the "
		         "certificate refused; see the log).");
		ap_wh_destroy(wh);
		return -EADDRNOTAVAIL;
	}
	if ((rc = watch(wh, err, errlen)) < 0) {
		ap_wh_destroy(wh);
		return rc;
	}
	/* 1 us accuracy: libmicrohttpd's "at once" must not wait for sd-event's
	 * default 250 ms window (see run()). */
	if ((rc = sd_event_add_time(ev, &wh->timer, CLOCK_MONOTONIC, 0, 1, on_timer, wh)) < 0) {
		snprintf(err, errlen, "Cannot watch the HTTPS server: %s.", strerror(-rc));
		ap_wh_destroy(wh);
		return rc;
	}
	if (wh->rest)
		ap_wr_set_kick(wh->rest, kick, wh);
	rearm(wh, false);
	*out = wh;
	return 0;
}

void ap_wh_destroy(struct ap_wh *wh)
{
	if (!wh)
		return;
	sd_event_source_disable_unref(wh->io);
	sd_event_source_disable_unref(wh->timer);
	ap_wr_stop(wh->rest); /* no connection may stay suspended */
	if (wh->mhd)
		MHD_stop_daemon(wh->mhd);
	sd_event_unref(wh->ev);
	wipe(wh->key);
	free(wh->cert);
	free(wh);
}

int ap_wh_set_cert(struct ap_wh *wh, const char *cert, const char *key, char *err, size_t errlen)
{
	char *c = strdup(cert), *k = strdup(key);
	struct MHD_Daemon *old = wh->mhd, *mhd;
	MHD_socket fd;
	bool back = false;
	int rc;

	if (!c || !k) {
		free(c);
		wipe(k);
		snprintf(err, errlen, "Out of memory.");
		return -ENOMEM;
	}
	/* The listening socket passes from the old daemon to the new one: what
	 * waits in its backlog is accepted by the new one. */
	fd = MHD_quiesce_daemon(old);
	if (fd == MHD_INVALID_SOCKET) {
		free(c);
		wipe(k);
		snprintf(err, errlen, "libmicrohttpd does not hand over its listening socket.");
		return -EINVAL;
	}
	mhd = start_mhd(wh, NULL, fd, c, k);
	if (!mhd) { /* GnuTLS refused the pair after all: the served one again */
		back = true;
		mhd = start_mhd(wh, NULL, fd, wh->cert, wh->key);
	}
	/* The old daemon's connections end here (requests in flight on them are
	 * dropped; the REST API's calls waiting for applianced answer 503). */
	ap_wr_stop(wh->rest);
	wh->io = sd_event_source_disable_unref(wh->io);
	MHD_stop_daemon(old);
	wh->mhd = mhd;
	if (!mhd) {
		close(fd);
		free(c);
		wipe(k);
		snprintf(err, errlen,
		         "libmicrohttpd cannot listen again; HTTPS is no longer served.");
		return -EIO;
	}
	if ((rc = watch(wh, err, errlen)) < 0) {
		free(c);
		wipe(k);
		return rc;
	}
	rearm(wh, false);
	if (back) {
		free(c);
		wipe(k);
		snprintf(err, errlen, "GnuTLS does not take the new pair; the served one stays.");
		return -EINVAL;
	}
	free(wh->cert);
	wipe(wh->key);
	wh->cert = c;
	wh->key = k;
	return 0;
}
