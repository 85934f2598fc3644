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

#include "appliance/ap_setupform.h"
#include "appliance/ap_webapi.h"
#include "appliance/ap_webcall.h"
#include "appliance/ap_webhttp.h"
#include "appliance/ap_websess.h"
#include "appliance/ap_websse.h"
#include "appliance/ap_webupload.h"
#include "lib/lib_log.h"
#include "lib/lib_pwhash.h"

#define COOKIE "apweb_session"

struct wreq;

struct ap_wr {
	sd_event *ev;
	char *socket;
	struct ap_sess_table sess;
	struct ap_lim lim;
	struct wreq *waiting;    /* suspended, a call in flight */
	struct ap_sse_hub *sse;  /* the event streams */
	void (*kick)(void *arg); /* run libmicrohttpd soon (a resumed connection) */
	void *kick_arg;
	char *spool_dir;       /* an uploaded update's directory; NULL: none */
	int spool_fd;          /* it, opened (the caller's) */
	struct wreq *upload_q; /* suspended while its writer catches up, or ends */
};

struct wreq {
	struct ap_wr *wr;
	struct MHD_Connection *conn;
	const struct ap_wa_route *route;
	struct ap_wa_path path;
	char account[AP_SESS_NAME_MAX + 1]; /* login: the name tried; else the session's */
	char limit_key[AP_LIM_KEY_MAX + 1]; /* setup: the limiter's name ("setup@ADDR") */
	json_t *args;                       /* a planned move's, while its moves are read */
	bool planned_asked;                 /* the journal is read: now the move itself */
	int64_t moves_after;                /* the newest move before it */
	char addr[INET6_ADDRSTRLEN];
	char *body;
	size_t body_len;
	bool too_large, answered, queued;
	struct ap_wq *call;
	struct ap_wu *upload; /* an update's body being stored */
	bool upload_failed;   /* refused while it came: the answer is set */
	bool spooled;         /* the writer has ended: the file is whole (or refused) */
	char spool[PATH_MAX]; /* the stored update handed to applianced */
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

static bool session_alive(void *arg, const char *sid)
{
	struct ap_wr *wr = arg;

	return ap_sess_alive(&wr->sess, sid, now_s(wr));
}

static void kick_mhd(void *arg)
{
	struct ap_wr *wr = arg;

	if (wr->kick)
		wr->kick(wr->kick_arg);
}

int ap_wr_create(sd_event *ev, const struct ap_wr_opts *o, struct ap_wr **out)
{
	struct ap_lim_cfg defaults = AP_LIM_DEFAULTS, lim = o->lim;
	struct ap_wr *wr = calloc(1, sizeof(*wr));

	if (!wr || !(wr->socket = strdup(o->socket)) ||
	    (o->spool_dir && !(wr->spool_dir = strdup(o->spool_dir)))) {
		if (wr)
			free(wr->socket);
		free(wr);
		return -ENOMEM;
	}
	if (lim.addr_max <= 0 || lim.fails_max <= 0 || !lim.addr_window_s || !lim.lock_s)
		lim = defaults;
	wr->spool_fd = o->spool_fd;
	wr->ev = sd_event_ref(ev);
	ap_sess_init(&wr->sess, o->idle_s ? o->idle_s : AP_SESS_IDLE_DEFAULT,
	             o->max_s ? o->max_s : AP_SESS_MAX_DEFAULT);
	ap_lim_init(&wr->lim, &lim);
	struct ap_sse_env env = {.ev = ev,
	                         .socket = o->socket,
	                         .alive = session_alive,
	                         .alive_arg = wr,
	                         .kick = kick_mhd,
	                         .kick_arg = wr};
	int rc = ap_sse_hub_new(&env, &wr->sse);
	if (rc < 0) {
		sd_event_unref(wr->ev);
		free(wr->spool_dir);
		free(wr->socket);
		free(wr);
		return rc;
	}
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

/* An upload's connection suspended for its writer goes on. */
static void upload_resume(struct wreq *q)
{
	q->wr->upload_q = NULL;
	MHD_resume_connection(q->conn);
	if (q->wr->kick) /* its epoll descriptor does not say so: run it */
		q->wr->kick(q->wr->kick_arg);
}

/* A suspended upload's writer has room again. */
static void on_upload_room(void *arg)
{
	upload_resume(arg);
}

void ap_wr_stop(struct ap_wr *wr)
{
	if (wr)
		ap_sse_hub_stop(wr->sse);
	if (wr && wr->upload_q) {
		struct wreq *q = wr->upload_q;
		ap_wu_abort(q->upload);
		q->upload = NULL;
		q->upload_failed = q->spooled = true;
		set_error(q, 503, "The web process is stopping.");
		upload_resume(q);
	}
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
	ap_sse_hub_free(wr->sse);
	explicit_bzero(&wr->sess, sizeof(wr->sess));
	sd_event_unref(wr->ev);
	free(wr->spool_dir);
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
	ap_wu_abort(q->upload); /* the client went away in the middle of its body */
	if (q->body) {
		explicit_bzero(q->body, q->body_len); /* a login's body holds a password */
		free(q->body);
	}
	json_decref(q->args);
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

static int send_call(struct wreq *q, const char *cmd, json_t *args, const char *as);

/* A 202's answer: what to poll. */
static json_t *accepted(struct wreq *q, json_t *reply)
{
	const struct ap_wa_route *r = q->route;
	char poll[AP_WA_PARAM_MAX + 64];
	json_t *b = json_pack("{s:s}", "message",
	                      json_string_value(json_object_get(reply, "message")) ?: "");

	if (!b)
		return NULL;
	if (r->flags & AP_WA_PLANNED) {
		if (strcmp(r->params, "name") == 0)
			snprintf(poll, sizeof(poll), "/api/v1/moves?vs=%s&after=%lld", q->path.v[0],
			         (long long)q->moves_after);
		else
			snprintf(poll, sizeof(poll), "/api/v1/moves?after=%lld",
			         (long long)q->moves_after);
		json_object_set_new(b, "moves_after", json_integer(q->moves_after));
	} else {
		snprintf(poll, sizeof(poll), "/api/v1/vservers/%s", q->path.v[0]);
	}
	json_object_set_new(b, "poll", json_string(poll));
	return b;
}

/* applianced answered a request of the API (not a login). */
static void answer_call(struct wreq *q, json_t *reply)
{
	const struct ap_wa_route *r = q->route;
	bool ok = json_is_true(json_object_get(reply, "ok"));
	const char *error = json_string_value(json_object_get(reply, "error"));
	json_t *data = json_object_get(reply, "data");
	char err[256];

	if ((r->flags & AP_WA_PLANNED) && !q->planned_asked) {
		/* The journal before the move: its moves come after the newest. */
		json_t *a = q->args;
		q->planned_asked = true;
		q->moves_after = ok ? ap_wa_moves_newest(data) : 0;
		q->args = NULL;
		int rc = send_call(q, r->cmd, a, q->account);
		json_decref(a);
		if (rc == 0)
			return; /* still suspended, for the move's answer */
		set_error(q, 503, "applianced cannot be reached; try again in a moment.");
	} else if (!ok) {
		set_error(q, ap_wa_status(error), error ? error : "applianced refused it.");
	} else if (r->op == AP_WA_MOVES) {
		json_t *out = NULL;
		int rc = ap_wa_moves(data, q->args, &out, err, sizeof(err));
		if (rc < 0)
			set_error(q, rc == -ENOENT ? 404 : 500, err);
		else
			set_answer(q, 200, out);
	} else if (strcmp(r->method, "GET") == 0) {
		json_t *d = r->pick ? json_object_get(data, r->pick) : data;
		set_answer(q, 200, d ? json_incref(d) : json_object());
	} else if (r->ok_status == 202) {
		set_answer(q, 202, accepted(q, reply));
	} else {
		json_t *b = json_pack("{s:s}", "message",
		                      json_string_value(json_object_get(reply, "message")) ?: "");
		if (b && data)
			json_object_set(b, "data", data);
		set_answer(q, r->ok_status, b);
	}
	MHD_resume_connection(q->conn);
	if (q->wr->kick) /* its epoll descriptor does not say so: run it */
		q->wr->kick(q->wr->kick_arg);
}

/* applianced answered setup.show or setup.apply. Set up already: 404 to the
 * question (the console shows its login), 409 to a setup. A wrong code
 * counts against the client's address in the limiter, nothing else does (a
 * form mistyped is no guess). */
static void answer_setup(struct wreq *q, json_t *reply)
{
	bool ok = json_is_true(json_object_get(reply, "ok"));
	const char *error = json_string_value(json_object_get(reply, "error"));
	json_t *data = json_object_get(reply, "data");

	if (q->route->op == AP_WA_SETUP_SHOW) {
		if (!ok)
			set_error(q, ap_wa_status(error), error ? error : "applianced refused it.");
		else if (!json_is_true(json_object_get(data, "needed")))
			set_error(q, 404, "This node is set up: log in to its console.");
		else
			set_answer(q, 200, json_pack("{s:b}", "needed", 1));
		return;
	}
	int status = ok ? 200 : ap_wa_status(error);
	ap_lim_result(&q->wr->lim, q->limit_key, status != 403, now_s(q->wr));
	if (!ok) {
		lib_warn("apweb: a setup from %s refused: %s", q->addr, error ? error : "?");
		set_error(q, status, error ? error : "applianced refused it.");
		return;
	}
	lib_info("apweb: the node was set up from %s", q->addr);
	json_t *b = json_pack("{s:s}", "message",
	                      json_string_value(json_object_get(reply, "message")) ?: "set up");
	if (b && data)
		json_object_set(b, "data", data);
	set_answer(q, 200, b);
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
	/* An uploaded update applianced did not take is removed here (one it
	 * took, applianced removes once written). */
	int urc = q->spool[0] && !ok ? ap_wu_clean(wr->spool_fd) : 0;
	if (urc < 0)
		lib_warn("apweb: cannot remove the upload %s: %s", q->spool, strerror(-urc));
	if (!reply) {
		lib_warn("apweb: api: %s", why ? why : "no answer");
		set_error(q, 503, "applianced cannot be reached; try again in a moment.");
	} else if (q->route->op == AP_WA_SETUP_SHOW || q->route->op == AP_WA_SETUP) {
		answer_setup(q, reply);
	} else if (q->route->op != AP_WA_LOGIN) {
		answer_call(q, reply);
		return;
	} else {
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

/* A request's args freed, its password (join, leave, login, a hash's
 * source) wiped first: jansson frees its strings without. */
static void wipe_password(json_t *args)
{
	json_t *pw = json_object_get(args, "password");

	if (json_is_string(pw))
		explicit_bzero((char *)json_string_value(pw), json_string_length(pw));
}

static void args_free(json_t *args)
{
	wipe_password(args);
	json_decref(args);
}

/* Send args to applianced as cmd (for account `as`, NULL: none): 0, or a
 * negative errno (logged). */
static int send_call(struct wreq *q, const char *cmd, json_t *args, const char *as)
{
	json_t *req = json_pack("{s:s, s:O}", "cmd", cmd, "args", args);
	int rc = -ENOMEM;

	if (req && as)
		json_object_set_new(req, "as", json_string(as));
	if (req)
		rc = ap_wq_start(q->wr->ev, q->wr->socket, req, on_reply, q, &q->call);
	if (req && (q->route->flags & AP_WA_SECRET)) { /* sent (or not): no copy kept */
		wipe_password(args);
		json_object_clear(json_object_get(req, "args"));
	}
	json_decref(req);
	if (rc < 0) {
		lib_warn("apweb: api: cannot reach applianced at %s: %s", q->wr->socket,
		         strerror(-rc));
		return rc;
	}
	q->next = q->wr->waiting;
	q->wr->waiting = q;
	return 0;
}

/* send_call, with the request suspended until the answer. */
static enum MHD_Result call(struct wreq *q, const char *cmd, json_t *args, const char *as)
{
	if (send_call(q, cmd, args, as) < 0) {
		set_error(q, 503, "applianced cannot be reached; try again in a moment.");
		return queue(q, NULL);
	}
	MHD_suspend_connection(q->conn);
	return MHD_YES;
}

struct query_ctx {
	const struct ap_wa_route *r;
	json_t *args;
	char err[160];
	int rc;
};

static enum MHD_Result query_member(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
	struct query_ctx *x = cls;

	(void)kind;
	if (x->rc == 0)
		x->rc = ap_wa_query(x->r, key, value, x->args, x->err, sizeof(x->err));
	return MHD_YES;
}

/* A password of the body into the hashes applianced keeps (as vsadm does):
 * 0, or -EINVAL with lib_pwhash's sentence. */
static int hash_password(const struct ap_wa_route *r, json_t *args, char *err, size_t errlen)
{
	char nt[LIB_NTHASH_LEN + 1], cr[LIB_CRYPT_MAX + 1];
	const char *pw = json_string_value(json_object_get(args, "password"));
	int rc;

	if (!pw)
		return 0;
	rc = lib_pw_hash(pw, nt, cr, err, errlen);
	wipe_password(args);
	json_object_del(args, "password");
	if (rc < 0)
		return -EINVAL;
	if (r->flags & AP_WA_HASH)
		json_object_set_new(args, "nt_hash", json_string(nt));
	json_object_set_new(args, "crypt_hash", json_string(cr));
	explicit_bzero(nt, sizeof(nt));
	explicit_bzero(cr, sizeof(cr));
	return 0;
}

/* GET /api/v1/events/stream: a stream of the hub, or a refusal. */
static enum MHD_Result open_stream(struct wreq *q, struct ap_sess *s, json_t *args)
{
	const char *last = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Last-Event-ID");
	const char *vs = json_string_value(json_object_get(args, "vs"));
	struct MHD_Response *resp = NULL;
	int64_t after = -1;
	int rc;

	if (last && ap_wa_event_id(last, &after) < 0) {
		set_error(q, 400, "Last-Event-ID is an event id: a whole number.");
		return queue(q, NULL);
	}
	rc = ap_sse_open(q->wr->sse, q->conn, s->name, s->id, vs, after, &resp);
	if (rc == -EBUSY) {
		lib_warn("apweb: an event stream for %s refused: %d are open", s->name, AP_SSE_MAX);
		set_error(q, 503, "Too many event streams are open; close one or try again later.");
		return queue(q, NULL);
	}
	if (rc < 0) {
		set_error(q, 503, "The web process cannot open an event stream now.");
		return queue(q, NULL);
	}
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream") !=
	        MHD_YES ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
	    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	enum MHD_Result res = MHD_queue_response(q->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp); /* the stream is freed with libmicrohttpd's reference */
	q->queued = res == MHD_YES;
	return res;
}

/* The form's password wiped (jansson frees its strings without). */
static void form_free(json_t *form)
{
	json_t *pw = json_object_get(json_object_get(form, "admin"), "password");

	if (json_is_string(pw))
		explicit_bzero((char *)json_string_value(pw), json_string_length(pw));
	json_decref(form);
}

/* GET and POST /api/v1/setup: no session. The POST must be JSON
 * (Content-Type), within the limiter of its address, and carries the setup
 * code, which a cross-site request cannot know; the password is hashed
 * here (as vsadm does), the seed built from the form (ap_setupform.h), and
 * applianced checks the rest. */
static enum MHD_Result setup_request(struct wreq *q)
{
	struct ap_wr *wr = q->wr;
	char err[256], code[AP_SETUPFORM_CODE_MAX + 1], cr[LIB_CRYPT_MAX + 1],
	    nt[LIB_NTHASH_LEN + 1];
	uint64_t retry = 0;
	json_error_t jerr;
	json_t *form, *seed = NULL, *args;
	const char *ctype, *pw;
	int rc;

	if (q->route->op == AP_WA_SETUP_SHOW) {
		json_t *none = json_object();
		if (q->body_len) {
			json_decref(none);
			set_error(q, 400, "This request takes no body.");
			return queue(q, NULL);
		}
		enum MHD_Result res = none ? call(q, q->route->cmd, none, NULL) : MHD_NO;
		json_decref(none);
		return res;
	}
	ctype = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!ctype || strncasecmp(ctype, "application/json", 16) != 0 ||
	    (ctype[16] && ctype[16] != ';' && ctype[16] != ' ')) {
		set_error(q, 415, "The setup is sent as JSON (Content-Type: application/json).");
		return queue(q, NULL);
	}
	snprintf(q->limit_key, sizeof(q->limit_key), "setup@%s", q->addr);
	rc = ap_lim_check(&wr->lim, q->addr, q->limit_key, now_s(wr), &retry);
	if (rc < 0) {
		snprintf(q->retry, sizeof(q->retry), "%llu", (unsigned long long)retry);
		lib_warn("apweb: a setup from %s refused: %s", q->addr,
		         rc == -EAGAIN ? "too many attempts from there" : "too many wrong codes");
		set_error(q, 429,
		          rc == -EAGAIN ? "Too many attempts from this address; wait and try again."
		                        : "Too many wrong setup codes from this address; wait and "
		                          "try again.");
		return queue(q, NULL);
	}
	form = json_loadb(q->body ? q->body : "", q->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(form)) {
		json_decref(form);
		set_error(q, 400, "The request's body is not a JSON object.");
		return queue(q, NULL);
	}
	pw = ap_setupform_password(form);
	if (pw && lib_pw_hash(pw, nt, cr, err, sizeof(err)) < 0) {
		form_free(form);
		set_error(q, 400, err);
		return queue(q, NULL);
	}
	explicit_bzero(nt, sizeof(nt));
	rc = ap_setupform_seed(form, pw ? cr : NULL, code, sizeof(code), &seed, err, sizeof(err));
	explicit_bzero(cr, sizeof(cr));
	form_free(form);
	if (rc < 0) {
		set_error(q, rc == -ENOMEM ? 500 : 400, err);
		return queue(q, NULL);
	}
	args = json_pack("{s:s, s:o}", "code", code, "seed", seed);
	explicit_bzero(code, sizeof(code));
	if (!args) {
		set_error(q, 500, "Out of memory.");
		return queue(q, NULL);
	}
	enum MHD_Result res = call(q, q->route->cmd, args, NULL);
	json_decref(args);
	return res;
}

/* The request's session, and for a change its CSRF token: the session, or
 * NULL with the refusal set (401, 403). */
static struct ap_sess *session_of(struct wreq *q, uint64_t now)
{
	const struct ap_wa_route *r = q->route;
	const char *id = MHD_lookup_connection_value(q->conn, MHD_COOKIE_KIND, COOKIE);
	struct ap_sess *s = ap_sess_find(&q->wr->sess, id, now);

	if (!s) {
		set_error(q, 401, "Log in first (POST /api/v1/login).");
		return NULL;
	}
	if (r->changes && !ap_sess_csrf_ok(s, MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND,
	                                                                  "X-CSRF-Token"))) {
		lib_warn("apweb: %s %s for %s refused: no or a wrong CSRF token", r->method,
		         r->pattern, s->name);
		set_error(q, 403, "The X-CSRF-Token header is missing or wrong.");
		return NULL;
	}
	return s;
}

/* PUT /api/v1/system/update, its headers in: an admin's session and CSRF
 * token, an announced length and a binary body, checked before a byte of it
 * is stored; then the spool file opened (ap_webupload.h). */
static enum MHD_Result upload_begin(struct wreq *q)
{
	struct ap_wr *wr = q->wr;
	char err[256];
	struct ap_sess *s = session_of(q, now_s(wr));
	const char *ctype =
	    MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	long long len = ap_wh_content_length(q->conn);
	int rc;

	if (!s)
		return queue(q, NULL);
	if (strcmp(s->role, "admin") != 0) {
		snprintf(err, sizeof(err),
		         "Permission denied: the account %s is %s%s and may not do that.", s->name,
		         strcmp(s->role, "operator") == 0 ? "an " : "", s->role);
		set_error(q, 403, err);
		return queue(q, NULL);
	}
	if (!ctype || strcasecmp(ctype, "application/octet-stream") != 0) {
		set_error(
		    q, 415,
		    "An update file is sent as it is (Content-Type: application/octet-stream).");
		return queue(q, NULL);
	}
	if (!wr->spool_dir || wr->spool_fd < 0) {
		set_error(q, 503, "This web process takes no uploads.");
		return queue(q, NULL);
	}
	snprintf(q->account, sizeof(q->account), "%s", s->name);
	rc = ap_wu_begin(wr->ev, wr->spool_fd, wr->spool_dir, len < 0 ? 0 : (uint64_t)len,
	                 &q->upload, err, sizeof(err));
	if (rc < 0) {
		set_error(q,
		          rc == -EEXIST   ? 409
		          : rc == -ENOSPC ? 507
		          : rc == -EINVAL ? 411
		                          : 500,
		          err);
		return queue(q, NULL);
	}
	lib_info("apweb: an update upload of %lld bytes from %s for %s", len, q->addr, s->name);
	return MHD_YES;
}

/* The writer has ended: the file handed to applianced, or the refusal. */
static void on_spooled(void *arg, int rc, const char *path, const char *err)
{
	struct wreq *q = arg;

	q->upload = NULL; /* freed after this call */
	q->spooled = true;
	if (rc < 0) {
		q->upload_failed = true;
		set_error(q, 507, err);
		upload_resume(q);
		return;
	}
	snprintf(q->spool, sizeof(q->spool), "%s", path);
	json_t *args = json_pack("{s:s}", "file", q->spool);
	if (!args) {
		ap_wu_clean(q->wr->spool_fd);
		set_error(q, 500, "Out of memory.");
		upload_resume(q);
		return;
	}
	rc = send_call(q, q->route->cmd, args, q->account);
	json_decref(args);
	if (rc < 0) {
		ap_wu_clean(q->wr->spool_fd);
		set_error(q, 503, "applianced cannot be reached; try again in a moment.");
		upload_resume(q);
		return;
	}
	q->wr->upload_q = NULL; /* suspended for applianced's answer now (on_reply resumes) */
}

/* The upload's body has ended: once its writer has ended too, the file is
 * handed to applianced (on_spooled). */
static enum MHD_Result upload_end(struct wreq *q)
{
	char err[256];

	if (q->upload_failed || !q->upload || q->spooled)
		return queue(q, NULL);
	int rc = ap_wu_finish(q->upload, on_spooled, q, err, sizeof(err));
	if (rc < 0) {
		q->upload = NULL;
		set_error(q, 400, err);
		return queue(q, NULL);
	}
	q->wr->upload_q = q;
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
	if (r->op == AP_WA_SETUP_SHOW || r->op == AP_WA_SETUP)
		return setup_request(q);
	if (r->op == AP_WA_UPLOAD)
		return upload_end(q);
	if (ap_wa_build(r, &q->path, q->body, q->body_len, &args, err, sizeof(err)) < 0) {
		set_error(q, 400, err);
		return queue(q, NULL);
	}
	struct query_ctx qx = {.r = r, .args = args};
	MHD_get_connection_values(q->conn, MHD_GET_ARGUMENT_KIND, query_member, &qx);
	if (qx.rc < 0) {
		args_free(args);
		set_error(q, 400, qx.err);
		return queue(q, NULL);
	}
	if (r->op == AP_WA_LOGIN) {
		snprintf(q->account, sizeof(q->account), "%s",
		         json_string_value(json_object_get(args, "name")));
		int rc = ap_lim_check(&wr->lim, q->addr, q->account, now, &retry);
		if (rc < 0) {
			args_free(args);
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
		wipe_password(args); /* the password */
		json_object_clear(args);
		args_free(args);
		return res;
	}
	struct ap_sess *s = session_of(q, now);
	if (!s) {
		args_free(args);
		return queue(q, NULL);
	}
	if (r->op == AP_WA_LOGOUT) {
		args_free(args);
		lib_info("apweb: %s logged out", s->name);
		ap_sess_end(&wr->sess, s);
		snprintf(q->cookie, sizeof(q->cookie),
		         COOKIE "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict");
		set_answer(q, 200, json_pack("{s:s}", "message", "logged out"));
		return queue(q, NULL);
	}
	if (r->op == AP_WA_STREAM) {
		enum MHD_Result res = open_stream(q, s, args);
		args_free(args);
		return res;
	}
	if ((r->flags & (AP_WA_HASH | AP_WA_HASH_CRYPT)) &&
	    hash_password(r, args, err, sizeof(err)) < 0) {
		args_free(args);
		set_error(q, 400, err);
		return queue(q, NULL);
	}
	snprintf(q->account, sizeof(q->account), "%s", s->name);
	if (r->op == AP_WA_MOVES || (r->flags & AP_WA_PLANNED)) {
		/* The journal first: filtered (moves), or read before the move. */
		json_t *none = json_object();
		q->args = args;
		enum MHD_Result res = none ? call(q, "move.show", none, s->name) : MHD_NO;
		json_decref(none);
		return res;
	}
	enum MHD_Result res = call(q, r->cmd, args, s->name);
	args_free(args);
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
		rc = ap_wa_match(method, url, &q->route, &q->path, allow, sizeof(allow), err,
		                 sizeof(err));
		if (rc < 0) {
			set_error(q, rc == -ENOENT ? 404 : rc == -EPERM ? 405 : 400, err);
			return queue(q, rc == -EPERM ? allow : NULL);
		}
		if (q->route->op == AP_WA_UPLOAD)
			return upload_begin(q);
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
	if (*upload_size && q->route->op == AP_WA_UPLOAD) {
		size_t taken = 0;
		char err[256];
		int rc = q->upload ? ap_wu_write(q->upload, upload, *upload_size, &taken, err,
		                                 sizeof(err))
		                   : 0;
		*upload_size = q->upload ? *upload_size - taken : 0;
		/* The writer's pipe is full: the rest stays with libmicrohttpd, the
		 * connection suspended (so it neither reads on nor times out)
		 * until the pipe has room. */
		if (rc == 0 && *upload_size &&
		    (rc = ap_wu_wait(q->upload, on_upload_room, q)) == 0) {
			q->wr->upload_q = q;
			MHD_suspend_connection(q->conn);
			return MHD_YES;
		}
		if (rc < 0) {
			if (rc != -EFBIG && rc != -EIO)
				snprintf(err, sizeof(err),
				         "The update cannot be stored on this node: %s.",
				         strerror(-rc));
			*upload_size = 0;
			ap_wu_abort(q->upload);
			q->upload = NULL;
			q->upload_failed = true;
			lib_warn("apweb: an update upload from %s refused: %s", q->addr, err);
			set_error(q, rc == -EFBIG ? 400 : 507, err);
		}
		return MHD_YES;
	}
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
