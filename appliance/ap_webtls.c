/*
 * ap_webtls.c - apweb's certificate follows the configuration's (see
 * ap_webtls.h).
 */
#include "appliance/ap_webtls.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "appliance/ap_certcheck.h"
#include "appliance/ap_webcall.h"
#include "lib/lib_log.h"

struct ap_wt {
	sd_event *ev;
	char *socket;
	char *own_cert, *own_key; /* the self-signed pair */
	char own_fpr[AP_CC_FPR_LEN];
	int dirfd; /* the state directory */
	struct ap_wh *wh;
	sd_event_source *tick;
	struct ap_wq *call;
	char served[AP_CC_FPR_LEN];
	bool admin;
	char said[320]; /* the last state logged */
};

enum ap_wt_action ap_wt_decide(bool answered, bool admin_set, bool admin_valid,
                               const char *admin_fpr, bool serving_admin, const char *served_fpr)
{
	if (!answered)
		return AP_WT_KEEP;
	if (admin_set)
		return admin_valid && admin_fpr &&
		               (!served_fpr || strcmp(admin_fpr, served_fpr) != 0)
		           ? AP_WT_SERVE_ADMIN
		           : AP_WT_KEEP;
	return serving_admin ? AP_WT_SERVE_OWN : AP_WT_KEEP;
}

static void wipe(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void ap_wt_start_clear(struct ap_wt_start *st)
{
	free(st->cert);
	wipe(st->key);
	free(st->own_cert);
	wipe(st->own_key);
	if (st->dirfd >= 0)
		close(st->dirfd);
	memset(st, 0, sizeof(*st));
	st->dirfd = -1;
}

int ap_wt_initial(const struct ap_wc_opts *own, struct ap_wt_start *st, char *err, size_t errlen)
{
	char *ac = NULL, *ak = NULL, *c2 = NULL, *k2 = NULL, why[256];
	struct ap_cc_info in;
	int rc;

	memset(st, 0, sizeof(*st));
	st->dirfd = -1;
	rc = ap_wc_load_or_make(own, &st->own_cert, &st->own_key, st->own_fpr, sizeof(st->own_fpr),
	                        err, errlen);
	if (rc < 0)
		return rc;
	st->dirfd = open(own->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	st->cert = strdup(st->own_cert);
	st->key = strdup(st->own_key);
	snprintf(st->fpr, sizeof(st->fpr), "%s", st->own_fpr);
	if (st->dirfd < 0 || !st->cert || !st->key) {
		rc = st->dirfd < 0 ? -errno : -ENOMEM;
		snprintf(err, errlen, "Cannot open the state directory %s: %s.", own->dir,
		         strerror(-rc));
		ap_wt_start_clear(st);
		return rc;
	}
	if (ap_wc_admin_load(own->dir, &ac, &ak) < 0)
		return 0; /* none kept (or unreadable): the self-signed one */
	rc = ap_cc_check(ac, strlen(ac), ak, strlen(ak), time(NULL), &c2, &k2, &in, why,
	                 sizeof(why));
	free(ac);
	wipe(ak);
	if (rc < 0) {
		lib_warn(
		    "apweb: the administrator's certificate kept in %s is refused: %s; serving "
		    "the self-signed one until applianced answers",
		    own->dir, why);
		return 0;
	}
	free(st->cert);
	wipe(st->key);
	st->cert = c2;
	st->key = k2;
	snprintf(st->fpr, sizeof(st->fpr), "%s", in.fpr);
	st->admin = true;
	lib_info("apweb: serving the administrator's certificate %s (%s) kept in %s", in.fpr,
	         in.subject, own->dir);
	return 0;
}

/* One line when the state changes. */
static void say(struct ap_wt *wt, bool warn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(struct ap_wt *wt, bool warn, const char *fmt, ...)
{
	char line[sizeof(wt->said)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (strcmp(line, wt->said) == 0)
		return;
	snprintf(wt->said, sizeof(wt->said), "%s", line);
	if (warn)
		lib_warn("apweb: %s", line);
	else
		lib_info("apweb: %s", line);
}

/* Serve the pair; fpr is its fingerprint. */
static void serve(struct ap_wt *wt, const char *cert, const char *key, const char *fpr, bool admin)
{
	char err[256];
	int rc = ap_wh_set_cert(wt->wh, cert, key, err, sizeof(err));

	if (rc == -EIO) {
		lib_err("apweb: %s", err);
		sd_event_exit(wt->ev, rc); /* to be restarted by its supervisor */
		return;
	}
	if (rc < 0) {
		say(wt, true, "cannot serve the certificate %s: %s", fpr, err);
		return;
	}
	snprintf(wt->served, sizeof(wt->served), "%s", fpr);
	wt->admin = admin;
	rc = admin ? ap_wc_admin_store(wt->dirfd, cert, key) : ap_wc_admin_remove(wt->dirfd);
	if (rc < 0)
		lib_warn("apweb: cannot %s the administrator's certificate in its state directory: "
		         "%s",
		         admin ? "keep" : "forget", strerror(-rc));
	say(wt, false,
	    "serving %s certificate %s from now on (connections open before were closed)",
	    admin ? "the administrator's" : "this node's self-signed", fpr);
}

static void serve_own(struct ap_wt *wt)
{
	serve(wt, wt->own_cert, wt->own_key, wt->own_fpr, false);
}

static void on_admin(struct ap_wt *wt, const char *cert, const char *key)
{
	char *c2 = NULL, *k2 = NULL, why[256], fpr[AP_CC_FPR_LEN] = "?";
	struct ap_cc_info in;
	int rc = ap_cc_check(cert, strlen(cert), key, strlen(key), time(NULL), &c2, &k2, &in, why,
	                     sizeof(why));

	if (rc < 0) {
		(void)vs_tls_fingerprint(cert, fpr, sizeof(fpr));
		say(wt, true, "the administrator's certificate %s is refused: %s; still serving %s",
		    fpr, why, wt->served);
		return;
	}
	enum ap_wt_action a = ap_wt_decide(true, true, true, in.fpr, wt->admin, wt->served);
	if (a == AP_WT_SERVE_ADMIN)
		serve(wt, c2, k2, in.fpr, true);
	free(c2);
	wipe(k2);
}

static void on_reply(void *arg, json_t *reply, const char *why)
{
	struct ap_wt *wt = arg;
	json_t *data = json_object_get(reply, "data"), *jk = json_object_get(data, "key");
	const char *src = json_string_value(json_object_get(data, "source"));
	const char *cert = json_string_value(json_object_get(data, "cert"));
	const char *key = json_string_value(jk);

	wt->call = NULL;
	if (!reply)
		say(wt, true, "cannot ask applianced for the console certificate (%s); serving %s",
		    why, wt->served);
	else if (!json_is_true(json_object_get(reply, "ok")))
		say(wt, true, "applianced does not give the console certificate (%s); serving %s",
		    json_string_value(json_object_get(reply, "error")) ?: "no reason given",
		    wt->served);
	else if (src && strcmp(src, "administrator") == 0 && cert && key)
		on_admin(wt, cert, key);
	else if (src && strcmp(src, "self-signed") == 0 &&
	         ap_wt_decide(true, false, false, NULL, wt->admin, wt->served) == AP_WT_SERVE_OWN)
		serve_own(wt);
	if (key) /* jansson's own copy: wiped in place before it is freed */
		explicit_bzero((char *)key, json_string_length(jk));
}

static int on_tick(sd_event_source *s, uint64_t usec, void *arg)
{
	struct ap_wt *wt = arg;
	json_t *req;

	if (sd_event_source_set_time_relative(s, AP_WT_PERIOD_USEC) < 0 ||
	    sd_event_source_set_enabled(s, SD_EVENT_ON) < 0)
		lib_err("apweb: cannot set the certificate timer; the certificate is no longer "
		        "followed");
	if (wt->call)
		return 0; /* the last one has not ended (its deadline is longer) */
	req = json_pack("{s:s, s:{}}", "cmd", "cert.get", "args");
	if (!req || ap_wq_start(wt->ev, wt->socket, req, on_reply, wt, &wt->call) < 0) {
		wt->call = NULL;
		say(wt, true, "cannot ask applianced for the console certificate; serving %s",
		    wt->served);
	}
	json_decref(req);
	return 0;
}

int ap_wt_create(sd_event *ev, const struct ap_wt_opts *o, struct ap_wt **out)
{
	struct ap_wt *wt = calloc(1, sizeof(*wt));
	struct ap_wt_start *st = o->start;
	int rc;

	if (!wt)
		return -ENOMEM;
	wt->ev = sd_event_ref(ev);
	wt->wh = o->wh;
	wt->admin = st->admin;
	snprintf(wt->served, sizeof(wt->served), "%s", st->fpr);
	snprintf(wt->own_fpr, sizeof(wt->own_fpr), "%s", st->own_fpr);
	wt->own_cert = st->own_cert;
	wt->own_key = st->own_key;
	wt->dirfd = st->dirfd;
	st->own_cert = st->own_key = NULL;
	st->dirfd = -1;
	wt->socket = strdup(o->socket);
	if (!wt->socket) {
		ap_wt_destroy(wt);
		return -ENOMEM;
	}
	rc = sd_event_add_time(ev, &wt->tick, CLOCK_MONOTONIC, 0, 0, on_tick, wt);
	if (rc < 0) {
		ap_wt_destroy(wt);
		return rc;
	}
	*out = wt;
	return 0;
}

void ap_wt_destroy(struct ap_wt *wt)
{
	if (!wt)
		return;
	ap_wq_cancel(wt->call);
	sd_event_source_disable_unref(wt->tick);
	sd_event_unref(wt->ev);
	free(wt->socket);
	free(wt->own_cert);
	wipe(wt->own_key);
	if (wt->dirfd >= 0)
		close(wt->dirfd);
	free(wt);
}
