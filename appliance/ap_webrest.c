/*
 * ap_webrest.c - the REST API's glue (see ap_webrest.h).
 */
#include "appliance/ap_webrest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "appliance/ap_webapi.h"
#include "appliance/ap_webcall.h"
#include "appliance/ap_webhttp.h"
#include "appliance/ap_websess.h"
#include "lib/lib_log.h"

#define COOKIE "apweb_session"

struct wreq;

struct ap_wr {
	sd_event *ev;
	char *socket;
	struct ap_sess_table sess;
	struct ap_lim lim;
	struct wreq *waiting;    /* suspended, a call in flight */
	void (*kick)(void *arg); /* run libmicrohttpd soon (a resumed connection) */
	void *kick_arg;
};

struct wreq {
	struct ap_wr *wr;
	struct MHD_Connection *conn;
	const struct ap_wa_route *route;
	char name[AP_WA_NAME_MAX + 1];
	char account[AP_SESS_NAME_MAX + 1]; /* login: the name tried */
	char addr[INET6_ADDRSTRLEN];
	char *body;
	size_t body_len;
	bool too_large, answered, queued;
	struct ap_wq *call;
	/* The answer, once there is one. */
	int status;
	char *text;
	char cookie[160];
	char retry[24];
	struct wreq *next;
};

static uint64_t now_s(struct ap_wr *wr)
{
	uint64_t t = 0;

	if (sd_event_now(wr->ev, CLOCK_MONOTONIC, &t) < 0) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		return (uint64_t)ts.tv_sec;
	}
	return t / 1000000;
}

bool ap_wr_is_api(const char *url)
{
	return url && strncmp(url, "/api/", 5) == 0;
}

int ap_wr_create(sd_event *ev, const struct ap_wr_opts *o, struct ap_wr **out)
{
	struct ap_lim_cfg defaults = AP_LIM_DEFAULTS, lim = o->lim;
	struct ap_wr *wr = calloc(1, sizeof(*wr));

	if (!wr || !(wr->socket = strdup(o->socket))) {
		free(wr);
		return -ENOMEM;
	}
	if (lim.addr_max <= 0 || lim.fails_max <= 0 || !lim.addr_window_s || !lim.lock_s)
		lim = defaults;
	wr->ev = sd_event_ref(ev);
	ap_sess_init(&wr->sess, o->idle_s ? o->idle_s : AP_SESS_IDLE_DEFAULT,
	             o->max_s ? o->max_s : AP_SESS_MAX_DEFAULT);
	ap_lim_init(&wr->lim, &lim);
	*out = wr;
	return 0;
}

static void unlink_waiting(struct wreq *q)
{
	for (struct wreq **p = &q->wr->waiting; *p; p = &(*p)->next)
		if (*p == q) {
			*p = q->next;
			break;
		}
	q->next = NULL;
}

static void set_answer(struct wreq *q, int status, json_t *body)
{
	free(q->text);
	q->status = status;
	q->text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	q->answered = true;
}

static void set_error(struct wreq *q, int status, const char *sentence)
{
	set_answer(q, status, json_pack("{s:s}", "error", sentence));
}

void ap_wr_stop(struct ap_wr *wr)
{
	while (wr && wr->waiting) {
		struct wreq *q = wr->waiting;
		unlink_waiting(q);
		ap_wq_cancel(q->call);
		q->call = NULL;
		set_error(q, 503, "The web process is stopping.");
		MHD_resume_connection(q->conn);
	}
}

void ap_wr_destroy(struct ap_wr *wr)
{
	if (!wr)
		return;
	ap_wr_stop(wr);
	explicit_bzero(&wr->sess, sizeof(wr->sess));
	sd_event_unref(wr->ev);
	free(wr->socket);
	free(wr);
}

void ap_wr_completed(void *arg)
{
	struct wreq *q = arg;

	if (!q)
		return;
	if (q->call) { /* the client went away while applianced worked */
		unlink_waiting(q);
		ap_wq_cancel(q->call);
	}
	if (q->body) {
		explicit_bzero(q->body, q->body_len); /* a login's body holds a password */
		free(q->body);
	}
	free(q->text);
	free(q);
}

static enum MHD_Result queue(struct wreq *q, const char *allow)
{
	const char *text = q->text ? q->text : "{\"error\":\"Out of memory.\"}";
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json") !=
	        MHD_YES ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
	    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") != MHD_YES ||
	    (allow && *allow &&
	     MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES) ||
	    (q->cookie[0] &&
	     MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, q->cookie) != MHD_YES) ||
	    (q->retry[0] &&
	     MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, q->retry) != MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	rc = MHD_queue_response(q->conn, (unsigned)(q->text ? q->status : 500), r);
	MHD_destroy_response(r);
	q->queued = rc == MHD_YES;
	return rc;
}

static void client_addr(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, len, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
		          (socklen_t)len);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
		          (socklen_t)len);
}

/* applianced answered (or not): the request's answer, then resume it. */
static void on_reply(void *arg, json_t *reply, const char *why)
{
	struct wreq *q = arg;
	struct ap_wr *wr = q->wr;
	bool ok = json_is_true(json_object_get(reply, "ok"));
	const char *error = json_string_value(json_object_get(reply, "error"));
	json_t *data = json_object_get(reply, "data");

	q->call = NULL;
	unlink_waiting(q);
	if (!reply) {
		lib_warn("apweb: api: %s", why ? why : "no answer");
		set_error(q, 503, "applianced cannot be reached; try again in a moment.");
	} else if (q->route->op == AP_WA_LOGIN) {
		ap_lim_result(&wr->lim, q->account, ok, now_s(wr));
		const char *name = json_string_value(json_object_get(data, "name")),
		           *role = json_string_value(json_object_get(data, "role"));
		unsigned char rnd[2 * AP_SESS_RAND];
		struct ap_sess *s = NULL;
		int rc;
		if (!ok || !name || !role) {
			set_error(q, 401,
			          error ? error : "The account name or the password is wrong.");
		} else if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
			lib_err("apweb: no random bytes for a session: %s", strerror(errno));
			set_error(q, 503, "The web process cannot make a session now.");
		} else if ((rc = ap_sess_new(&wr->sess, name, role, rnd, now_s(wr), &s)) < 0) {
			lib_err("apweb: refused a login of %s: %s", name,
			        rc == -ENOSPC ? "the session table is full" : "a bad session");
			set_error(q, 503,
			          rc == -ENOSPC ? "Too many open sessions; try again later."
			                        : "The web process cannot make a session now.");
		} else {
			snprintf(q->cookie, sizeof(q->cookie),
			         COOKIE
			         "=%s; Path=/; Max-Age=%llu; Secure; HttpOnly; SameSite=Strict",
			         s->id, (unsigned long long)wr->sess.max_s);
			set_answer(q, 200,
			           json_pack("{s:s, s:s, s:s}", "name", s->name, "role", s->role,
			                     "csrf", s->csrf));
			lib_info("apweb: %s logged in from %s", s->name, q->addr);
		}
		explicit_bzero(rnd, sizeof(rnd));
	} else if (!ok) {
		set_error(q, ap_wa_status(error), error ? error : "applianced refused it.");
	} else if (strcmp(q->route->method, "GET") == 0) {
		set_answer(q, 200, data ? json_incref(data) : json_object());
	} else {
		json_t *b = json_pack("{s:s}", "message",
		                      json_string_value(json_object_get(reply, "message")) ?: "");
		if (b && data)
			json_object_set(b, "data", data);
		set_answer(q, q->route->ok_status, b);
	}
	MHD_resume_connection(q->conn);
	if (wr->kick) /* its epoll descriptor does not say so: run it */
		wr->kick(wr->kick_arg);
}

void ap_wr_set_kick(struct ap_wr *wr, void (*kick)(void *arg), void *arg)
{
	wr->kick = kick;
	wr->kick_arg = arg;
}

/* Send args to applianced as cmd (for account `as`, NULL: none). */
static enum MHD_Result call(struct wreq *q, const char *cmd, json_t *args, const char *as)
{
	json_t *req = json_pack("{s:s, s:O}", "cmd", cmd, "args", args);
	int rc = -ENOMEM;

	if (req && as)
		json_object_set_new(req, "as", json_string(as));
	if (req)
		rc = ap_wq_start(q->wr->ev, q->wr->socket, req, on_reply, q, &q->call);
	json_decref(req);
	if (rc < 0) {
		lib_warn("apweb: api: cannot reach applianced at %s: %s", q->wr->socket,
		         strerror(-rc));
		set_error(q, 503, "applianced cannot be reached; try again in a moment.");
		return queue(q, NULL);
	}
	q->next = q->wr->waiting;
	q->wr->waiting = q;
	MHD_suspend_connection(q->conn);
	return MHD_YES;
}

/* The body is in: authenticate, check, and hand it to applianced. */
static enum MHD_Result handle(struct wreq *q)
{
	struct ap_wr *wr = q->wr;
	const struct ap_wa_route *r = q->route;
	char err[256];
	json_t *args = NULL;
	uint64_t now = now_s(wr), retry = 0;

	if (q->too_large) {
		set_error(q, 413, "The request's body is larger than this server accepts.");
		return queue(q, NULL);
	}
	if (ap_wa_build(r, q->name, q->body, q->body_len, &args, err, sizeof(err)) < 0) {
		set_error(q, 400, err);
		return queue(q, NULL);
	}
	if (r->op == AP_WA_LOGIN) {
		snprintf(q->account, sizeof(q->account), "%s",
		         json_string_value(json_object_get(args, "name")));
		int rc = ap_lim_check(&wr->lim, q->addr, q->account, now, &retry);
		if (rc < 0) {
			json_decref(args);
			snprintf(q->retry, sizeof(q->retry), "%llu", (unsigned long long)retry);
			lib_warn("apweb: login of %s from %s refused: %s", q->account, q->addr,
			         rc == -EAGAIN ? "too many attempts from there" : "locked out");
			set_error(q, 429,
			          rc == -EAGAIN ? "Too many login attempts from this address; wait "
			                          "and try again."
			                        : "This account is locked after too many failed "
			                          "logins; wait and try again.");
			return queue(q, NULL);
		}
		enum MHD_Result res = call(q, r->cmd, args, NULL);
		json_object_clear(args); /* the password */
		json_decref(args);
		return res;
	}
	const char *id = MHD_lookup_connection_value(q->conn, MHD_COOKIE_KIND, COOKIE);
	struct ap_sess *s = ap_sess_find(&wr->sess, id, now);
	if (!s) {
		json_decref(args);
		set_error(q, 401, "Log in first (POST /api/v1/login).");
		return queue(q, NULL);
	}
	if (r->changes && !ap_sess_csrf_ok(s, MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND,
	                                                                  "X-CSRF-Token"))) {
		json_decref(args);
		lib_warn("apweb: %s %s for %s refused: no or a wrong CSRF token", r->method,
		         r->pattern, s->name);
		set_error(q, 403, "The X-CSRF-Token header is missing or wrong.");
		return queue(q, NULL);
	}
	if (r->op == AP_WA_LOGOUT) {
		json_decref(args);
		lib_info("apweb: %s logged out", s->name);
		ap_sess_end(&wr->sess, s);
		snprintf(q->cookie, sizeof(q->cookie),
		         COOKIE "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict");
		set_answer(q, 200, json_pack("{s:s}", "message", "logged out"));
		return queue(q, NULL);
	}
	enum MHD_Result res = call(q, r->cmd, args, s->name);
	json_decref(args);
	return res;
}

enum MHD_Result ap_wr_request(struct ap_wr *wr, struct MHD_Connection *c, const char *url,
                              const char *method, const char *upload, size_t *upload_size,
                              void **reqp)
{
	struct wreq *q = *reqp;

	if (!q) {
		char allow[64], err[256];
		int rc;
		if (!(q = calloc(1, sizeof(*q))))
			return MHD_NO;
		*reqp = q;
		q->wr = wr;
		q->conn = c;
		client_addr(c, q->addr, sizeof(q->addr));
		rc = ap_wa_match(method, url, &q->route, q->name, allow, sizeof(allow), err,
		                 sizeof(err));
		if (rc < 0) {
			set_error(q, rc == -ENOENT ? 404 : rc == -EPERM ? 405 : 400, err);
			return queue(q, rc == -EPERM ? allow : NULL);
		}
		if (ap_wh_content_length(c) > AP_WA_BODY_MAX) {
			set_error(q, 413, "The request's body is larger than this server accepts.");
			return queue(q, NULL);
		}
		return MHD_YES;
	}
	if (q->queued || q->call) { /* refused already, or applianced is working */
		*upload_size = 0;
		return MHD_YES;
	}
	if (q->answered) /* resumed with applianced's answer */
		return queue(q, NULL);
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (q->too_large || q->body_len + n > AP_WA_BODY_MAX) {
			q->too_large = true;
			return MHD_YES;
		}
		/* Room for the largest body at once: no realloc leaves a copy of a
		 * password behind. */
		if (!q->body && !(q->body = malloc(AP_WA_BODY_MAX)))
			return MHD_NO;
		memcpy(q->body + q->body_len, upload, n);
		q->body_len += n;
		return MHD_YES;
	}
	return handle(q);
}
