/*
 * ap_luns.c - LUN scans in a child, their last result kept, hung devices
 * left out and tried again alone (see ap_luns.h; the child and its protocol:
 * ap_lunscan.h).
 */
#include "appliance/ap_luns.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_lunscan.h"
#include "lib/lib_log.h"
#include "lib/lib_run.h"

#define SCAN_TIMEOUT_USEC (15ULL * 1000000)
#define PROBE_TIMEOUT_USEC (3ULL * 1000000)
/* A lun line is under 300 bytes, a probing/none pair under 150. */
#define SCAN_OUTPUT_MAX (4u * 1024 * 1024)
#define MAX_WAITERS 16

struct waiter {
	ap_luns_fn done;
	void *arg;
};

/* The run of a hung device: the child stuck on it (until it ends), or the
 * probe that tries it again. */
struct hung_run {
	struct lib_run *stuck;
	struct lib_run *probe;
};

struct ap_luns {
	sd_event *ev;
	char *self_exe;
	uint64_t interval;
	struct ap_luns_timing timing;
	ap_luns_fn changed;
	void *arg;
	struct lib_run *scan;
	sd_event_source *timer;
	bool scanned; /* a scan succeeded once */
	struct fx_lun_info *luns;
	int n;
	struct fx_lun_info *hung; /* parallel to runs */
	struct hung_run *runs;
	int n_hung;
	char error[160];
	int n_waiters;
	struct waiter waiters[MAX_WAITERS];
};

static int start_scan(struct ap_luns *l);

static int start_child(struct ap_luns *l, const char **argv, uint64_t timeout, lib_run_done_fn fn,
                       struct lib_run **out)
{
	struct lib_run_opts o = {.argv = argv,
	                         .netns_fd = -1,
	                         .timeout_usec = timeout,
	                         .capture = true,
	                         .out_fd = -1,
	                         .output_max = SCAN_OUTPUT_MAX,
	                         .stuck_usec = l->timing.stuck_usec,
	                         .kill_signal = l->timing.kill_signal};

	return lib_run_start(l->ev, &o, fn, l, out);
}

static bool same_lists(const struct fx_lun_info *a, int na, const struct fx_lun_info *b, int nb)
{
	return na == nb && (na == 0 || memcmp(a, b, (size_t)na * sizeof(a[0])) == 0);
}

static int by_dev(const void *a, const void *b)
{
	return strcmp(((const struct fx_lun_info *)a)->dev, ((const struct fx_lun_info *)b)->dev);
}

/* Takes over list (n entries, malloc'd), kept in device order so that a
 * device back from a hang does not read as a change at the next scan; true
 * if it differs from the last. */
static bool set_list(struct ap_luns *l, struct fx_lun_info *list, int n)
{
	bool changed;

	if (n > 1)
		qsort(list, (size_t)n, sizeof(list[0]), by_dev);
	changed = !l->scanned || !same_lists(list, n, l->luns, l->n);

	free(l->luns);
	l->luns = list;
	l->n = n;
	l->scanned = true;
	l->error[0] = '\0';
	return changed;
}

static int find_dev(const struct fx_lun_info *arr, int n, const char *dev)
{
	for (int i = 0; i < n; i++)
		if (strcmp(arr[i].dev, dev) == 0)
			return i;
	return -1;
}

/* dev stops answering: out of the list, into the hung set with what was
 * last known of it. stuck (may be NULL) is the child waiting on it. */
static int add_hung(struct ap_luns *l, const char *dev, struct lib_run *stuck)
{
	struct fx_lun_info *h = realloc(l->hung, (size_t)(l->n_hung + 1) * sizeof(*h));
	struct hung_run *r;
	int i = find_dev(l->luns, l->n, dev);

	if (h)
		l->hung = h;
	r = h ? realloc(l->runs, (size_t)(l->n_hung + 1) * sizeof(*r)) : NULL;
	if (!r)
		return -ENOMEM;
	l->runs = r;
	if (i >= 0) {
		l->hung[l->n_hung] = l->luns[i];
		memmove(&l->luns[i], &l->luns[i + 1], (size_t)(l->n - i - 1) * sizeof(l->luns[0]));
		l->n--;
	} else {
		memset(&l->hung[l->n_hung], 0, sizeof(l->hung[0]));
		snprintf(l->hung[l->n_hung].dev, sizeof(l->hung[0].dev), "%s", dev);
	}
	l->runs[l->n_hung++] = (struct hung_run){.stuck = stuck};
	return 0;
}

static void drop_hung(struct ap_luns *l, int i)
{
	lib_run_destroy(l->runs[i].stuck);
	lib_run_destroy(l->runs[i].probe);
	memmove(&l->hung[i], &l->hung[i + 1], (size_t)(l->n_hung - i - 1) * sizeof(l->hung[0]));
	memmove(&l->runs[i], &l->runs[i + 1], (size_t)(l->n_hung - i - 1) * sizeof(l->runs[0]));
	l->n_hung--;
}

/* A scan cut at its deadline on s->pending: what arrived, plus the last
 * entry of every device it did not reach; pending becomes hung. Returns
 * whether anything changed, or a negative errno. */
static int apply_partial(struct ap_luns *l, const struct ap_lunscan *s, struct lib_run *stuck)
{
	struct fx_lun_info *list;
	int n = 0, rc;

	if (find_dev(l->hung, l->n_hung, s->pending) >= 0)
		return -EPROTO; /* it was to be skipped */
	rc = add_hung(l, s->pending, stuck);
	if (rc < 0)
		return rc;
	list = malloc(((size_t)s->n + (size_t)l->n + 1) * sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (int i = 0; i < s->n; i++)
		list[n++] = s->luns[i];
	for (int i = 0; i < l->n; i++)
		if (!ap_lunscan_probed(s, l->luns[i].dev))
			list[n++] = l->luns[i];
	set_list(l, list, n);
	return 1; /* the hung set changed */
}

static void call_waiters(struct ap_luns *l)
{
	/* The waiters of this scan; a callback may ask for another one. */
	struct waiter w[MAX_WAITERS];
	int nw = l->n_waiters;

	memcpy(w, l->waiters, sizeof(w));
	l->n_waiters = 0;
	for (int i = 0; i < nw; i++)
		w[i].done(w[i].arg);
}

static void on_scan(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct ap_luns *l = arg;
	struct ap_lunscan s;
	bool cut = res->end == LIB_RUN_TIMED_OUT || res->end == LIB_RUN_STUCK;
	bool ok = res->end == LIB_RUN_EXITED && res->exit_code == 0;
	bool changed = false, rescan = false, keep = false;
	int rc = ap_lunscan_parse(res->output, AP_LUNS_MAX, &s);
	char how[96];

	lib_run_describe(res, how, sizeof(how));
	if (rc == -E2BIG) {
		snprintf(l->error, sizeof(l->error),
		         "the LUN scan found more than %d file systems, the most one node serves",
		         AP_LUNS_MAX);
		lib_err("%s; the last list is kept", l->error);
	} else if (ok && rc == 0 && s.complete && !res->truncated) {
		struct fx_lun_info *list = s.luns;
		s.luns = NULL;
		changed = set_list(l, list, s.n);
	} else if (ok) {
		snprintf(l->error, sizeof(l->error), "the LUN scan printed no readable list");
		lib_warn("%s: %.100s", l->error, res->output);
	} else if (cut && rc == 0 && s.pending[0]) {
		lib_warn("LUN device %s does not answer (the scan %s while probing it): it counts "
		         "as unreachable from this node until it answers again",
		         s.pending, how);
		keep = res->end == LIB_RUN_STUCK;
		rc = apply_partial(l, &s, keep ? run : NULL);
		if (rc < 0) {
			keep = false;
			snprintf(l->error, sizeof(l->error), "the LUN scan %s: %s", how,
			         strerror(-rc));
			lib_err("%s", l->error);
		}
		changed = rc > 0;
		rescan = rc > 0; /* the devices after the hung one, at once */
	} else {
		snprintf(l->error, sizeof(l->error), "the LUN scan %s", how);
		lib_warn("%s: %.100s", l->error, res->output);
	}
	ap_lunscan_free(&s);
	if (!keep)
		lib_run_destroy(run);
	l->scan = NULL;
	if (rescan)
		start_scan(l);
	if (!l->scan)
		call_waiters(l);
	if (changed && l->changed)
		l->changed(l->arg);
}

static int hung_of_probe(const struct ap_luns *l, const struct lib_run *run)
{
	for (int i = 0; i < l->n_hung; i++)
		if (l->runs[i].probe == run)
			return i;
	return -1;
}

/* The probe of one hung device alone: an answer brings it back. */
static void on_probe(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct ap_luns *l = arg;
	int i = hung_of_probe(l, run);
	struct ap_lunscan s;
	char dev[AP_LUNSCAN_DEV_MAX], how[96];
	int rc;

	if (i < 0) { /* cannot be: every probe belongs to a hung device */
		lib_run_destroy(run);
		return;
	}
	l->runs[i].probe = NULL;
	snprintf(dev, sizeof(dev), "%s", l->hung[i].dev);
	rc = ap_lunscan_parse(res->output, 1, &s);
	if (res->end == LIB_RUN_EXITED && res->exit_code == 0 && rc == 0 && s.complete) {
		struct fx_lun_info *list = malloc(((size_t)l->n + 1) * sizeof(*list));
		if (list) {
			drop_hung(l, i);
			memcpy(list, l->luns, (size_t)l->n * sizeof(*list));
			int n = l->n;
			if (s.n == 1 && strcmp(s.luns[0].dev, dev) == 0 &&
			    find_dev(list, n, dev) < 0)
				list[n++] = s.luns[0];
			set_list(l, list, n);
			lib_info("LUN device %s answers again", dev);
			lib_run_destroy(run);
			ap_lunscan_free(&s);
			if (l->changed)
				l->changed(l->arg);
			return;
		}
	}
	ap_lunscan_free(&s);
	lib_run_describe(res, how, sizeof(how));
	lib_warn("LUN device %s still does not answer: its probe %s", dev, how);
	if (res->end == LIB_RUN_STUCK)
		l->runs[i].stuck = run; /* tried again once it has ended */
	else
		lib_run_destroy(run);
}

/* Every hung device whose stuck child has ended is tried again alone. */
static void retry_hung(struct ap_luns *l)
{
	for (int i = 0; i < l->n_hung; i++) {
		struct hung_run *r = &l->runs[i];
		const char *argv[] = {l->self_exe, "--lun-scan", "--only", l->hung[i].dev, NULL};
		int rc;

		if (r->probe || lib_run_running(r->stuck))
			continue;
		lib_run_destroy(r->stuck);
		r->stuck = NULL;
		rc = start_child(l, argv, l->timing.probe_usec, on_probe, &r->probe);
		if (rc < 0)
			lib_warn("LUN device %s cannot be probed again: %s", l->hung[i].dev,
			         strerror(-rc));
	}
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ap_luns *l = userdata;

	if (!l->scan)
		start_scan(l);
	retry_hung(l);
	sd_event_source_set_time(s, usec + l->interval);
	return 0;
}

static int start_scan(struct ap_luns *l)
{
	const char **argv = calloc(3 + 2 * (size_t)l->n_hung, sizeof(*argv));
	int rc = -ENOMEM, k = 0;

	if (argv) {
		argv[k++] = l->self_exe;
		argv[k++] = "--lun-scan";
		for (int i = 0; i < l->n_hung; i++) {
			argv[k++] = "--skip";
			argv[k++] = l->hung[i].dev;
		}
		rc = start_child(l, argv, l->timing.scan_usec, on_scan, &l->scan);
		free(argv);
	}
	if (rc < 0) {
		l->scan = NULL;
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
	l->timing = (struct ap_luns_timing){.scan_usec = SCAN_TIMEOUT_USEC,
	                                    .probe_usec = PROBE_TIMEOUT_USEC};
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

void ap_luns_set_timing(struct ap_luns *l, const struct ap_luns_timing *t)
{
	if (t->scan_usec)
		l->timing.scan_usec = t->scan_usec;
	if (t->probe_usec)
		l->timing.probe_usec = t->probe_usec;
	l->timing.stuck_usec = t->stuck_usec;
	l->timing.kill_signal = t->kill_signal;
}

void ap_luns_destroy(struct ap_luns *l)
{
	if (!l)
		return;
	lib_run_destroy(l->scan);
	while (l->n_hung > 0)
		drop_hung(l, l->n_hung - 1);
	sd_event_source_disable_unref(l->timer);
	sd_event_unref(l->ev);
	free(l->self_exe);
	free(l->luns);
	free(l->hung);
	free(l->runs);
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

int ap_luns_hung(const struct ap_luns *l, const struct fx_lun_info **out)
{
	*out = l->hung;
	return l->n_hung;
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
	if (hit) {
		*out = *hit;
		return 0;
	}
	for (int i = 0; i < l->n_hung; i++)
		if (value[0] && strcmp(label ? l->hung[i].label : l->hung[i].uuid, value) == 0)
			return -EIO; /* behind a hung path here */
	return -ENOENT;
}

const char *ap_luns_error(const struct ap_luns *l)
{
	return l->error;
}
