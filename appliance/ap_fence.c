/*
 * ap_fence.c - running a fence agent (see ap_fence.h).
 */
#include "appliance/ap_fence.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib_log.h"
#include "lib/lib_run.h"

struct ap_fence {
	struct lib_run *run;
	char node[VS_NAME_MAX + 1];
	bool status;
	uint64_t started;
	ap_fence_done_fn done;
	void *arg;
};

/* The last non-empty line of the agent's output that is not a Python
 * warning, for the event log. */
static void last_line(const char *out, char *buf, size_t len)
{
	const char *p = out, *best = NULL;
	size_t best_len = 0;

	while (*p) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		while (l && (p[l - 1] == ' ' || p[l - 1] == '\r'))
			l--;
		if (l && !strstr(p, "Warning") && strncmp(p, "  ", 2) != 0) {
			best = p;
			best_len = l;
		}
		p += e ? (size_t)(e - p) + 1 : strlen(p);
	}
	snprintf(buf, len, "%.*s", (int)(best ? best_len : 0), best ? best : "");
}

static void on_end(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct ap_fence *f = arg;
	char detail[200], how[96];
	enum ap_fence_result r = AP_FENCE_FAILED;

	if (res->end == LIB_RUN_EXITED && res->exit_code == 0)
		r = AP_FENCE_DONE;
	else if (res->end == LIB_RUN_EXITED && res->exit_code == 2 && f->status)
		r = AP_FENCE_OFF;
	last_line(res->output, detail, sizeof(detail));
	if (r == AP_FENCE_FAILED && res->end != LIB_RUN_EXITED) {
		lib_run_describe(res, how, sizeof(how));
		snprintf(detail, sizeof(detail), "the agent %s", how);
	} else if (!detail[0]) {
		lib_run_describe(res, how, sizeof(how));
		snprintf(detail, sizeof(detail), "the agent %s", how);
	}
	f->done(f->arg, f->node, r, detail, (uint64_t)(lib_now_usec() - (long long)f->started));
	lib_run_destroy(run);
	free(f);
}

int ap_fence_run(sd_event *ev, const struct vs_fence *dev, const char *action,
                 uint64_t timeout_usec, ap_fence_done_fn done, void *arg, struct ap_fence **out)
{
	char input[VS_FENCE_OPTS_MAX + 64];
	const char *argv[] = {dev->agent, NULL};
	struct ap_fence *f;
	int rc;

	if (strcmp(action, "off") != 0 && strcmp(action, "status") != 0)
		abort(); /* programmer error */
	rc = vs_fence_check(dev->agent, dev->options, NULL, 0);
	if (rc < 0)
		return rc;
	rc = vs_fence_stdin(dev, action, input, sizeof(input));
	if (rc < 0)
		return rc;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	snprintf(f->node, sizeof(f->node), "%s", dev->node);
	f->status = strcmp(action, "status") == 0;
	f->done = done;
	f->arg = arg;
	f->started = (uint64_t)lib_now_usec();
	struct lib_run_opts o = {
	    .argv = argv,
	    .netns_fd = -1,
	    .timeout_usec = timeout_usec,
	    .capture = true,
	    .out_fd = -1,
	    .stdin_data = input,
	};
	rc = lib_run_start(ev, &o, on_end, f, &f->run);
	explicit_bzero(input, sizeof(input));
	if (rc < 0) {
		free(f);
		return rc;
	}
	*out = f;
	return 0;
}

void ap_fence_cancel(struct ap_fence *f)
{
	if (!f)
		return;
	lib_run_destroy(f->run);
	free(f);
}
