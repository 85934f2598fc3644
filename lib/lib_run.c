/*
 * lib_run.c - child processes: argv only, own process group, closed fds,
 * deadline, captured output, status and signal apart (see lib_run.h).
 *
 * Design: fork + execvp, with a close-on-exec "exec error" pipe so that a
 * program that cannot be executed is an error of lib_run_start() and not a
 * mysterious exit status 127 later. The child is waited for with an sd-event
 * child source; the captured output is drained by an I/O source and once more
 * when the child ends (a grandchild holding the pipe never delays the
 * result). A deadline kills the whole process group.
 */
#include "lib/lib_run.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct lib_run {
	sd_event *ev;
	pid_t pid;
	pid_t pgid;
	bool adopted;
	bool running;
	bool timed_out;
	sd_event_source *child_src;
	sd_event_source *out_src;
	sd_event_source *timer_src;
	sd_event_source *kill_src;
	int out_fd;
	int pidfd;
	char *buf;
	size_t len;
	lib_run_done_fn done;
	void *arg;
};

static void drain(struct lib_run *r)
{
	char tmp[4096];
	ssize_t n;

	if (r->out_fd < 0)
		return;
	for (;;) {
		n = read(r->out_fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		size_t room = LIB_RUN_OUTPUT_MAX - r->len;
		size_t take = (size_t)n < room ? (size_t)n : room;
		memcpy(r->buf + r->len, tmp, take);
		r->len += take;
	}
	r->buf[r->len] = '\0';
	if (n == 0) { /* EOF */
		r->out_src = sd_event_source_disable_unref(r->out_src);
		close(r->out_fd);
		r->out_fd = -1;
	}
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	drain(userdata);
	return 0;
}

static void release_sources(struct lib_run *r)
{
	r->child_src = sd_event_source_disable_unref(r->child_src);
	r->timer_src = sd_event_source_disable_unref(r->timer_src);
	r->kill_src = sd_event_source_disable_unref(r->kill_src);
	r->out_src = sd_event_source_disable_unref(r->out_src);
	if (r->out_fd >= 0) {
		close(r->out_fd);
		r->out_fd = -1;
	}
	if (r->pidfd >= 0) {
		close(r->pidfd);
		r->pidfd = -1;
	}
}

static void finish(struct lib_run *r, struct lib_run_result *res)
{
	drain(r);
	r->running = false;
	release_sources(r);
	if (r->timed_out)
		res->end = LIB_RUN_TIMED_OUT;
	res->output = r->buf ? r->buf : "";
	res->output_len = r->len;
	if (r->done)
		r->done(r, res, r->arg);
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	struct lib_run *r = userdata;
	struct lib_run_result res = {0};

	if (si->si_code == CLD_EXITED) {
		res.end = LIB_RUN_EXITED;
		res.exit_code = si->si_status;
	} else {
		res.end = LIB_RUN_SIGNALED;
		res.signal = si->si_status;
	}
	finish(r, &res);
	return 0;
}

static int on_pidfd(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct lib_run_result res = {.end = LIB_RUN_GONE};

	finish(userdata, &res);
	return 0;
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct lib_run *r = userdata;

	r->timed_out = true;
	lib_run_signal(r, SIGKILL);
	return 0;
}

static int on_kill(sd_event_source *s, uint64_t usec, void *userdata)
{
	lib_run_signal(userdata, SIGKILL);
	return 0;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child(const struct lib_run_opts *o, int inr, int outw, int errw)
{
	sigset_t none;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int err;

	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0 || setpgid(0, 0) < 0 || null < 0)
		goto fail;
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	if (o->netns_fd >= 0 && setns(o->netns_fd, CLONE_NEWNET) < 0)
		goto fail;
	if (dup2(inr >= 0 ? inr : null, 0) < 0 || dup2(outw >= 0 ? outw : null, 1) < 0 ||
	    dup2(outw >= 0 ? outw : null, 2) < 0)
		goto fail;
	if (chdir("/") < 0)
		goto fail;
	/* Everything above 2 goes at exec; errw is already close-on-exec. */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		goto fail;
	execvp(o->argv[0], (char *const *)o->argv);
fail:
	err = errno;
	if (write(errw, &err, sizeof(err)) < 0)
		_exit(126);
	_exit(127);
}

static struct lib_run *run_new(sd_event *ev, lib_run_done_fn done, void *arg)
{
	struct lib_run *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->ev = sd_event_ref(ev);
	r->out_fd = -1;
	r->pidfd = -1;
	r->done = done;
	r->arg = arg;
	return r;
}

int lib_run_start(sd_event *ev, const struct lib_run_opts *o, lib_run_done_fn done, void *arg,
                  struct lib_run **out)
{
	int outp[2] = {-1, -1}, errp[2] = {-1, -1}, inp[2] = {-1, -1};
	struct lib_run *r;
	int err = 0, rc;
	ssize_t n;

	if (!o || !o->argv || !o->argv[0] || !out)
		return -EINVAL;
	r = run_new(ev, done, arg);
	if (!r)
		return -ENOMEM;
	if (o->capture) {
		r->buf = malloc(LIB_RUN_OUTPUT_MAX + 1);
		if (!r->buf || pipe2(outp, O_CLOEXEC) < 0) {
			rc = r->buf ? -errno : -ENOMEM;
			goto fail;
		}
		r->buf[0] = '\0';
	}
	if (pipe2(errp, O_CLOEXEC) < 0) {
		rc = -errno;
		goto fail;
	}
	if (o->stdin_data) {
		/* Small enough for the pipe's buffer: written whole, never blocks. */
		size_t len = strlen(o->stdin_data);
		if (len > LIB_RUN_STDIN_MAX) {
			rc = -E2BIG;
			goto fail;
		}
		if (pipe2(inp, O_CLOEXEC) < 0) {
			rc = -errno;
			goto fail;
		}
		if (write(inp[1], o->stdin_data, len) != (ssize_t)len) {
			rc = -EIO;
			goto fail;
		}
		close(inp[1]);
		inp[1] = -1;
	}
	r->pid = fork();
	if (r->pid < 0) {
		rc = -errno;
		goto fail;
	}
	if (r->pid == 0)
		child(o, inp[0], o->capture ? outp[1] : o->out_fd, errp[1]);
	if (inp[0] >= 0) {
		close(inp[0]);
		inp[0] = -1;
	}
	r->pgid = r->pid;
	r->running = true;
	close(errp[1]);
	errp[1] = -1;
	if (outp[1] >= 0) {
		close(outp[1]);
		outp[1] = -1;
	}
	/* Blocks only until exec succeeds (EOF) or fails (errno arrives). */
	do
		n = read(errp[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(errp[0]);
	errp[0] = -1;
	if (n == sizeof(err)) {
		while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
			;
		r->running = false;
		rc = -err;
		goto fail;
	}
	rc = sd_event_add_child(ev, &r->child_src, r->pid, WEXITED, on_child, r);
	if (rc < 0)
		goto fail_kill;
	if (o->capture) {
		r->out_fd = outp[0];
		outp[0] = -1;
		if (fcntl(r->out_fd, F_SETFL, O_NONBLOCK) < 0) {
			rc = -errno;
			goto fail_kill;
		}
		rc = sd_event_add_io(ev, &r->out_src, r->out_fd, EPOLLIN, on_output, r);
		if (rc < 0)
			goto fail_kill;
	}
	if (o->timeout_usec) {
		rc = sd_event_add_time_relative(ev, &r->timer_src, CLOCK_MONOTONIC, o->timeout_usec,
		                                0, on_deadline, r);
		if (rc < 0)
			goto fail_kill;
	}
	*out = r;
	return 0;
fail_kill:
	lib_run_destroy(r);
	return rc;
fail:
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		if (inp[i] >= 0)
			close(inp[i]);
	}
	r->running = false;
	lib_run_destroy(r);
	return rc;
}

int lib_run_adopt(sd_event *ev, pid_t pid, lib_run_done_fn done, void *arg, struct lib_run **out)
{
	struct lib_run *r;
	int rc;

	if (pid <= 0 || !out)
		return -EINVAL;
	r = run_new(ev, done, arg);
	if (!r)
		return -ENOMEM;
	r->adopted = true;
	r->pid = pid;
	r->pgid = getpgid(pid);
	r->pidfd = pidfd_open(pid, 0);
	if (r->pidfd < 0 || r->pgid < 0) {
		rc = -errno;
		lib_run_destroy(r);
		return rc;
	}
	rc = sd_event_add_io(ev, &r->child_src, r->pidfd, EPOLLIN, on_pidfd, r);
	if (rc < 0) {
		lib_run_destroy(r);
		return rc;
	}
	r->running = true;
	*out = r;
	return 0;
}

pid_t lib_run_pid(const struct lib_run *r)
{
	return r ? r->pid : -1;
}

bool lib_run_running(const struct lib_run *r)
{
	return r && r->running;
}

int lib_run_signal(struct lib_run *r, int sig)
{
	if (!r || !r->running)
		return -ESRCH;
	/* Signal the group when the child leads one (always, for ours). */
	if (r->pgid == r->pid) {
		if (kill(-r->pgid, sig) == 0)
			return 0;
	}
	if (r->pidfd >= 0)
		return pidfd_send_signal(r->pidfd, sig, NULL, 0) < 0 ? -errno : 0;
	return kill(r->pid, sig) < 0 ? -errno : 0;
}

int lib_run_stop(struct lib_run *r, uint64_t grace_usec)
{
	int rc;

	if (!r || !r->running)
		return -ESRCH;
	rc = lib_run_signal(r, SIGTERM);
	if (rc < 0)
		return rc;
	r->kill_src = sd_event_source_disable_unref(r->kill_src);
	return sd_event_add_time_relative(r->ev, &r->kill_src, CLOCK_MONOTONIC, grace_usec, 0,
	                                  on_kill, r);
}

void lib_run_destroy(struct lib_run *r)
{
	if (!r)
		return;
	if (r->running && !r->adopted) {
		lib_run_signal(r, SIGKILL);
		/* Reap it so no zombie is left; SIGKILL takes effect at once
		 * unless the child sits in uninterruptible sleep. */
		for (int i = 0; i < 100; i++) {
			pid_t w = waitpid(r->pid, NULL, WNOHANG);
			if (w == r->pid || (w < 0 && errno != EINTR))
				break;
			struct timespec ms = {0, 1000000};
			nanosleep(&ms, NULL);
		}
	}
	release_sources(r);
	sd_event_unref(r->ev);
	free(r->buf);
	free(r);
}

void lib_run_detach(struct lib_run *r)
{
	if (!r)
		return;
	r->running = false;
	r->adopted = true;
	lib_run_destroy(r);
}

const char *lib_run_describe(const struct lib_run_result *res, char *buf, size_t len)
{
	switch (res->end) {
	case LIB_RUN_EXITED:
		snprintf(buf, len, "exited with status %d", res->exit_code);
		break;
	case LIB_RUN_SIGNALED:
		snprintf(buf, len, "killed by signal %d (%s)", res->signal,
		         sigdescr_np(res->signal) ? sigdescr_np(res->signal) : "unknown");
		break;
	case LIB_RUN_TIMED_OUT:
		snprintf(buf, len, "timed out and was killed");
		break;
	case LIB_RUN_GONE:
		snprintf(buf, len, "ended (status unknown: adopted process)");
		break;
	}
	return buf;
}

struct sync_state {
	struct lib_run_result *res;
	char **output;
	int rc;
};

static void sync_done(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct sync_state *st = arg;

	*st->res = *res;
	st->res->output = NULL;
	if (st->output) {
		*st->output = strdup(res->output);
		if (!*st->output)
			st->rc = -ENOMEM;
	}
	sd_event_exit(run->ev, 0);
}

int lib_run_sync(const struct lib_run_opts *opts, struct lib_run_result *res, char **output_out)
{
	struct sync_state st = {.res = res, .output = output_out};
	sigset_t chld, old;
	sd_event *ev = NULL;
	struct lib_run *run = NULL;
	int rc;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, &old) < 0)
		return -errno;
	rc = sd_event_new(&ev);
	if (rc >= 0)
		rc = lib_run_start(ev, opts, sync_done, &st, &run);
	if (rc >= 0)
		rc = sd_event_loop(ev);
	if (rc >= 0)
		rc = st.rc;
	lib_run_destroy(run);
	sd_event_unref(ev);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc < 0 ? rc : 0;
}
