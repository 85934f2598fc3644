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
 *
 * Stuck children: every kill arms a second timer (stuck_usec). If it fires,
 * the child sits in the kernel: the caller gets LIB_RUN_STUCK, the output
 * pipe is closed, and only the child source stays, now silent (on_child
 * reaps without a callback). When the run is destroyed before the child
 * ends, the pid goes to a reaper: a floating pidfd source of the loop that
 * waitpid()s it once it is readable and then frees itself.
 */
#include "lib/lib_run.h"
#include "lib/lib_log.h"

#include <errno.h>
#include <stdint.h>
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
	bool stuck; /* reported LIB_RUN_STUCK: no callback any more */
	int kill_sig;
	uint64_t stuck_usec;
	sd_event_source *child_src;
	sd_event_source *out_src;
	sd_event_source *timer_src;
	sd_event_source *kill_src;
	sd_event_source *stuck_src;
	int out_fd;
	int pidfd;
	char *buf;
	size_t len, cap, max;
	bool truncated;
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
		if (r->len + (size_t)n > r->cap && r->cap < r->max) {
			size_t cap = r->cap * 2 > r->max ? r->max : r->cap * 2;
			while (cap < r->len + (size_t)n && cap < r->max)
				cap = cap * 2 > r->max ? r->max : cap * 2;
			char *b = realloc(r->buf, cap + 1);
			if (b) {
				r->buf = b;
				r->cap = cap;
			}
		}
		size_t room = r->cap - r->len;
		size_t take = (size_t)n < room ? (size_t)n : room;
		memcpy(r->buf + r->len, tmp, take);
		r->len += take;
		if (take < (size_t)n)
			r->truncated = true;
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

/* Everything but the watch of the process itself. */
static void release_output_and_timers(struct lib_run *r)
{
	r->timer_src = sd_event_source_disable_unref(r->timer_src);
	r->kill_src = sd_event_source_disable_unref(r->kill_src);
	r->stuck_src = sd_event_source_disable_unref(r->stuck_src);
	r->out_src = sd_event_source_disable_unref(r->out_src);
	if (r->out_fd >= 0) {
		close(r->out_fd);
		r->out_fd = -1;
	}
}

static void release_sources(struct lib_run *r)
{
	r->child_src = sd_event_source_disable_unref(r->child_src);
	release_output_and_timers(r);
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
	res->truncated = r->truncated;
	if (r->done)
		r->done(r, res, r->arg);
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	struct lib_run *r = userdata;
	struct lib_run_result res = {0};

	if (r->stuck) { /* reported already: reaped by sd-event after this */
		r->running = false;
		release_sources(r);
		return 0;
	}
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

/* Killed and still there after stuck_usec: in the kernel. The caller is
 * told and may destroy the run; the child source stays to reap it. */
static int on_stuck(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct lib_run *r = userdata;
	struct lib_run_result res = {.end = LIB_RUN_STUCK};

	drain(r);
	r->stuck = true;
	release_output_and_timers(r);
	res.output = r->buf ? r->buf : "";
	res.output_len = r->len;
	res.truncated = r->truncated;
	if (r->done)
		r->done(r, &res, r->arg);
	return 0;
}

/* The kill, and the watch for a child it does not end. */
static void kill_child(struct lib_run *r)
{
	int rc;

	lib_run_signal(r, r->kill_sig);
	if (r->stuck_src || r->stuck)
		return;
	rc = sd_event_add_time_relative(r->ev, &r->stuck_src, CLOCK_MONOTONIC, r->stuck_usec, 0,
	                                on_stuck, r);
	if (rc < 0)
		lib_warn("child %d: cannot watch for its end after the kill: %s", (int)r->pid,
		         strerror(-rc));
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct lib_run *r = userdata;

	r->timed_out = true;
	kill_child(r);
	return 0;
}

static int on_kill(sd_event_source *s, uint64_t usec, void *userdata)
{
	kill_child(userdata);
	return 0;
}

/* The reaper of a child its run no longer watches. */
static int on_reap(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	pid_t pid = (pid_t)(intptr_t)userdata, w;

	do
		w = waitpid(pid, NULL, WNOHANG);
	while (w < 0 && errno == EINTR);
	if (w == 0)
		return 0; /* not yet */
	/* The loop's reference is its only one: giving it up frees the source
	 * (and closes its pidfd) once this dispatch returns. */
	sd_event_source_set_enabled(s, SD_EVENT_OFF);
	sd_event_source_set_floating(s, false);
	return 0;
}

/* Hand a child that has not ended to the loop's reaper; returns at once. */
static void hand_to_reaper(struct lib_run *r)
{
	sd_event_source *s = NULL;
	int fd, rc;

	r->child_src = sd_event_source_disable_unref(r->child_src);
	fd = pidfd_open(r->pid, 0);
	if (fd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = sd_event_add_io(r->ev, &s, fd, EPOLLIN, on_reap, (void *)(intptr_t)r->pid);
	if (rc < 0) {
		close(fd);
		goto fail;
	}
	if ((rc = sd_event_source_set_io_fd_own(s, true)) < 0 ||
	    (rc = sd_event_source_set_floating(s, true)) < 0) {
		sd_event_source_disable_unref(s);
		goto fail;
	}
	sd_event_source_unref(s); /* the loop holds it now */
	return;
fail:
	lib_warn("child %d did not end and cannot be watched (%s): it stays a zombie once it "
	         "ends",
	         (int)r->pid, strerror(-rc));
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child(const struct lib_run_opts *o, char **envp, int inr, int outw, int errw)
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
	if (o->cgroup_procs) {
		int cg = open(o->cgroup_procs, O_WRONLY | O_CLOEXEC);
		if (cg >= 0) {
			if (write(cg, "0", 1) < 0) {
				/* best effort (see lib_run.h) */
			}
			close(cg);
		}
	}
	if (dup2(inr >= 0 ? inr : null, 0) < 0 || dup2(outw >= 0 ? outw : null, 1) < 0 ||
	    dup2(outw >= 0 ? outw : null, 2) < 0)
		goto fail;
	if (chdir("/") < 0)
		goto fail;
	/* Everything above 2 goes at exec; errw is already close-on-exec. */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		goto fail;
	if (envp)
		execvpe(o->argv[0], (char *const *)o->argv, envp);
	else
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
	r->kill_sig = SIGKILL;
	r->stuck_usec = LIB_RUN_STUCK_USEC;
	r->done = done;
	r->arg = arg;
	return r;
}

/* The child's environment: ours, each NAME of extra replaced, then extra
 * (the strings borrowed; only the array is allocated, before the fork). */
static int env_build(const char *const *extra, char ***out)
{
	extern char **environ;
	size_t n = 0, k = 0, x = 0;
	char **e;

	while (environ[n])
		n++;
	while (extra[x]) {
		if (!strchr(extra[x], '='))
			return -EINVAL;
		x++;
	}
	if (!(e = calloc(n + x + 1, sizeof(*e))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		bool replaced = false;
		for (size_t j = 0; j < x && !replaced; j++) {
			size_t len = (size_t)(strchr(extra[j], '=') - extra[j]) + 1;
			replaced = strncmp(environ[i], extra[j], len) == 0;
		}
		if (!replaced)
			e[k++] = environ[i];
	}
	for (size_t j = 0; j < x; j++)
		e[k++] = (char *)extra[j];
	*out = e;
	return 0;
}

int lib_run_start(sd_event *ev, const struct lib_run_opts *o, lib_run_done_fn done, void *arg,
                  struct lib_run **out)
{
	char **envp = NULL;
	int outp[2] = {-1, -1}, errp[2] = {-1, -1}, inp[2] = {-1, -1};
	struct lib_run *r;
	int err = 0, rc;
	ssize_t n;

	if (!o || !o->argv || !o->argv[0] || !out || o->output_max > LIB_RUN_OUTPUT_LIMIT ||
	    o->kill_signal < 0 || o->kill_signal >= NSIG)
		return -EINVAL;
	r = run_new(ev, done, arg);
	if (!r)
		return -ENOMEM;
	if (o->kill_signal)
		r->kill_sig = o->kill_signal;
	if (o->stuck_usec)
		r->stuck_usec = o->stuck_usec;
	if (o->capture) {
		r->max = o->output_max ? o->output_max : LIB_RUN_OUTPUT_MAX;
		r->cap = r->max < 4096 ? r->max : 4096;
		r->buf = malloc(r->cap + 1);
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
	if (o->stdin_data && o->stdin_fd > 0) {
		rc = -EINVAL;
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
	if (o->env && (rc = env_build(o->env, &envp)) < 0)
		goto fail;
	r->pid = fork();
	if (r->pid < 0) {
		rc = -errno;
		goto fail;
	}
	if (r->pid == 0)
		child(o, envp, o->stdin_fd > 0 ? o->stdin_fd : inp[0],
		      o->capture ? outp[1] : o->out_fd, errp[1]);
	free(envp);
	envp = NULL;
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
	free(envp);
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
		bool ended = false;
		if (!r->stuck) /* a stuck one was killed already */
			lib_run_signal(r, SIGKILL);
		/* Reap it so no zombie is left; SIGKILL takes effect at once
		 * unless the child sits in uninterruptible sleep. One known to
		 * be stuck is not waited for. */
		for (int i = 0; i < (r->stuck ? 1 : 100) && !ended; i++) {
			pid_t w = waitpid(r->pid, NULL, WNOHANG);
			ended = w == r->pid || (w < 0 && errno != EINTR);
			if (ended)
				break;
			struct timespec ms = {0, 1000000};
			nanosleep(&ms, NULL);
		}
		if (!ended)
			hand_to_reaper(r);
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
	case LIB_RUN_STUCK:
		snprintf(buf, len, "did not end after being killed (stuck in the kernel?)");
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
