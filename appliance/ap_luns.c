/*
 * ap_luns.c - LUN scans in a child, their last result kept (see ap_luns.h).
 */
#include "appliance/ap_luns.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib_log.h"
#include "lib/lib_run.h"

#define SCAN_TIMEOUT_USEC (10ULL * 1000000)
#define MAX_WAITERS 16

struct waiter {
	ap_luns_fn done;
	void *arg;
};

struct ap_luns {
	sd_event *ev;
	char *self_exe;
	uint64_t interval;
	ap_luns_fn changed;
	void *arg;
	struct lib_run *scan;
	sd_event_source *timer;
	bool scanned; /* a scan succeeded once */
	int n;
	struct fx_lun_info luns[AP_LUNS_MAX];
	char error[160];
	int n_waiters;
	struct waiter waiters[MAX_WAITERS];
};

static int start_scan(struct ap_luns *l);

static int parse(const char *text, struct fx_lun_info *out, int *n)
{
	json_error_t jerr;
	json_t *arr = json_loads(text, 0, &jerr), *e;
	size_t i;

	if (!json_is_array(arr)) {
		json_decref(arr);
		return -EINVAL;
	}
	*n = 0;
	json_array_foreach(arr, i, e)
	{
		struct fx_lun_info *f = &out[*n];
		if (*n >= AP_LUNS_MAX)
			break;
		memset(f, 0, sizeof(*f));
		snprintf(f->dev, sizeof(f->dev), "%s",
		         json_string_value(json_object_get(e, "device")) ?: "");
		snprintf(f->type, sizeof(f->type), "%s",
		         json_string_value(json_object_get(e, "type")) ?: "");
		snprintf(f->label, sizeof(f->label), "%s",
		         json_string_value(json_object_get(e, "label")) ?: "");
		snprintf(f->uuid, sizeof(f->uuid), "%s",
		         json_string_value(json_object_get(e, "uuid")) ?: "");
		f->mmp = json_is_true(json_object_get(e, "mmp"));
		f->mmp_interval = (unsigned)json_integer_value(json_object_get(e, "mmp_interval"));
		if (f->dev[0])
			(*n)++;
	}
	json_decref(arr);
	return 0;
}

static void on_scan(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct ap_luns *l = arg;
	struct fx_lun_info *next = malloc(sizeof(l->luns));
	char how[96];
	int n = 0;
	bool changed = false;

	if (res->end == LIB_RUN_EXITED && res->exit_code == 0 && next &&
	    parse(res->output, next, &n) == 0) {
		changed = !l->scanned || n != l->n ||
		          memcmp(next, l->luns, (size_t)n * sizeof(next[0])) != 0;
		memcpy(l->luns, next, (size_t)n * sizeof(next[0]));
		l->n = n;
		l->scanned = true;
		l->error[0] = '\0';
	} else if (res->end == LIB_RUN_EXITED && res->exit_code == 0) {
		snprintf(l->error, sizeof(l->error), "the LUN scan printed no readable list");
		lib_warn("%s: %.100s", l->error, res->output);
	} else {
		lib_run_describe(res, how, sizeof(how));
		snprintf(l->error, sizeof(l->error), "the LUN scan %s", how);
		lib_warn("%s: %.100s", l->error, res->output);
	}
	free(next);
	lib_run_destroy(run);
	l->scan = NULL;
	/* The waiters of this scan; a callback may ask for another one. */
	struct waiter w[MAX_WAITERS];
	int nw = l->n_waiters;
	memcpy(w, l->waiters, sizeof(w));
	l->n_waiters = 0;
	for (int i = 0; i < nw; i++)
		w[i].done(w[i].arg);
	if (changed && l->changed)
		l->changed(l->arg);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ap_luns *l = userdata;

	if (!l->scan)
		start_scan(l);
	sd_event_source_set_time(s, usec + l->interval);
	return 0;
}

static int start_scan(struct ap_luns *l)
{
	const char *argv[] = {l->self_exe, "--lun-scan", NULL};
	struct lib_run_opts o = {.argv = argv,
	                         .netns_fd = -1,
	                         .timeout_usec = SCAN_TIMEOUT_USEC,
	                         .capture = true,
	                         .out_fd = -1};
	int rc = lib_run_start(l->ev, &o, on_scan, l, &l->scan);

	if (rc < 0) {
		snprintf(l->error, sizeof(l->error), "the LUN scan cannot run: %s", strerror(-rc));
		lib_err("%s", l->error);
	}
	return rc;
}

int ap_luns_create(sd_event *ev, const char *self_exe, uint64_t interval_usec, ap_luns_fn changed,
                   void *arg, struct ap_luns **out)
{
	struct ap_luns *l = calloc(1, sizeof(*l));
	uint64_t now = 0;
	int rc;

	if (!l)
		return -ENOMEM;
	l->ev = sd_event_ref(ev);
	l->self_exe = strdup(self_exe);
	l->interval = interval_usec;
	l->changed = changed;
	l->arg = arg;
	if (!l->self_exe) {
		ap_luns_destroy(l);
		return -ENOMEM;
	}
	sd_event_now(ev, CLOCK_MONOTONIC, &now);
	rc = sd_event_add_time(ev, &l->timer, CLOCK_MONOTONIC, now + interval_usec, 0, on_timer, l);
	if (rc >= 0)
		rc = sd_event_source_set_enabled(l->timer, SD_EVENT_ON);
	if (rc >= 0)
		rc = start_scan(l);
	if (rc < 0) {
		ap_luns_destroy(l);
		return rc;
	}
	*out = l;
	return 0;
}

void ap_luns_destroy(struct ap_luns *l)
{
	if (!l)
		return;
	lib_run_destroy(l->scan);
	sd_event_source_disable_unref(l->timer);
	sd_event_unref(l->ev);
	free(l->self_exe);
	free(l);
}

int ap_luns_refresh(struct ap_luns *l, ap_luns_fn done, void *arg)
{
	int rc;

	if (l->n_waiters >= MAX_WAITERS)
		return -EBUSY;
	if (!l->scan && (rc = start_scan(l)) < 0)
		return rc;
	l->waiters[l->n_waiters++] = (struct waiter){.done = done, .arg = arg};
	return 0;
}

bool ap_luns_scanned(const struct ap_luns *l)
{
	return l->scanned;
}

int ap_luns_list(const struct ap_luns *l, const struct fx_lun_info **out)
{
	*out = l->luns;
	return l->n;
}

int ap_luns_find(const struct ap_luns *l, const char *tag, const char *value,
                 struct fx_lun_info *out)
{
	bool label = strcmp(tag, "LABEL") == 0;
	const struct fx_lun_info *hit = NULL;

	if (!label && strcmp(tag, "UUID") != 0)
		return -EINVAL;
	if (!l->scanned)
		return l->error[0] ? -EIO : -EAGAIN;
	for (int i = 0; i < l->n; i++) {
		const char *v = label ? l->luns[i].label : l->luns[i].uuid;
		if (strcmp(v, value) != 0)
			continue;
		/* The same file system through two paths is one LUN; two file
		 * systems with one label are an error (fx_lun_find's rule). */
		if (hit && strcmp(hit->uuid, l->luns[i].uuid) != 0)
			return -ENOTUNIQ;
		if (!hit)
			hit = &l->luns[i];
	}
	if (!hit)
		return -ENOENT;
	*out = *hit;
	return 0;
}

const char *ap_luns_error(const struct ap_luns *l)
{
	return l->error;
}

int ap_luns_scan_main(void)
{
	struct fx_lun_info luns[AP_LUNS_MAX];
	int n = 0, rc = fx_lun_list(luns, AP_LUNS_MAX, &n);
	json_t *arr = json_array();
	char *text;

	if (rc < 0 && rc != -E2BIG) {
		fprintf(stderr, "cannot list the LUNs: %s\n", strerror(-rc));
		json_decref(arr);
		return 1;
	}
	for (int i = 0; i < n; i++)
		json_array_append_new(
		    arr, json_pack("{s:s, s:s, s:s, s:s, s:b, s:i}", "device", luns[i].dev, "type",
		                   luns[i].type, "label", luns[i].label, "uuid", luns[i].uuid,
		                   "mmp", luns[i].mmp, "mmp_interval", (int)luns[i].mmp_interval));
	text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	if (!text || puts(text) == EOF || fflush(stdout) != 0) {
		free(text);
		return 1;
	}
	free(text);
	return 0;
}
