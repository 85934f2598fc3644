/*
 * ap_webtls.c - apweb's certificate follows the configuration's (see
 * ap_webtls.h).
 */
#include "appliance/ap_webtls.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "appliance/ap_certcheck.h"
#include "appliance/ap_webcall.h"
#include "lib/lib_log.h"

struct ap_wt {
	sd_event *ev;
	char *socket;
	struct ap_wc_opts own;
	char *dir, *node, *address; /* own's strings */
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

int ap_wt_initial(const struct ap_wc_opts *own, char **cert, char **key, char *fpr, size_t fprlen,
                  bool *admin, char *err, size_t errlen)
{
	char *ac = NULL, *ak = NULL, *c2 = NULL, *k2 = NULL, why[256];
	struct ap_cc_info in;
	int rc = ap_wc_load_or_make(own, cert, key, fpr, fprlen, err, errlen);

	*admin = false;
	if (rc < 0)
		return rc;
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
	free(*cert);
	wipe(*key);
	*cert = c2;
	*key = k2;
	snprintf(fpr, fprlen, "%s", in.fpr);
	*admin = true;
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
	rc = admin ? ap_wc_admin_store(wt->own.dir, cert, key) : ap_wc_admin_remove(wt->own.dir);
	if (rc < 0)
		lib_warn("apweb: cannot %s the administrator's certificate in %s: %s",
		         admin ? "keep" : "forget", wt->own.dir, strerror(-rc));
	say(wt, false,
	    "serving %s certificate %s from now on (connections open before were closed)",
	    admin ? "the administrator's" : "this node's self-signed", fpr);
}

static void serve_own(struct ap_wt *wt)
{
	char *cert = NULL, *key = NULL, fpr[AP_CC_FPR_LEN], err[256];

	if (ap_wc_load_or_make(&wt->own, &cert, &key, fpr, sizeof(fpr), err, sizeof(err)) < 0) {
		say(wt, true, "cannot go back to the self-signed certificate: %s", err);
		return;
	}
	serve(wt, cert, key, fpr, false);
	free(cert);
	wipe(key);
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
	int rc;

	if (!wt)
		return -ENOMEM;
	wt->ev = sd_event_ref(ev);
	wt->wh = o->wh;
	wt->admin = o->serving_admin;
	snprintf(wt->served, sizeof(wt->served), "%s", o->served_fpr);
	wt->own = o->own;
	wt->own.uid = (uid_t)-1; /* the web user's own files by now */
	wt->socket = strdup(o->socket);
	wt->dir = strdup(o->own.dir);
	wt->node = strdup(o->own.node);
	wt->address = strdup(o->own.address);
	if (!wt->socket || !wt->dir || !wt->node || !wt->address) {
		ap_wt_destroy(wt);
		return -ENOMEM;
	}
	wt->own.dir = wt->dir;
	wt->own.node = wt->node;
	wt->own.address = wt->address;
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
	free(wt->dir);
	free(wt->node);
	free(wt->address);
	free(wt);
}
