/*
 * lib_run.h - the one way this project runs a child process.
 *
 * Every external program (mount, umount, ganesha.nfsd, smbd, the storage
 * probe) is started here, as relayd and keepalived do it:
 *   - argv only, never a shell; the program is searched in PATH;
 *   - stdin is /dev/null, or a small text given by the caller (how fence
 *     agents take their options, keeping secrets out of argv), every other
 *     descriptor is closed (close_range);
 *   - the child leads its own process group, so a timeout or a stop kills
 *     the whole group and nothing it forked is left behind;
 *   - optionally entered into a network namespace before exec (setns);
 *   - stdout+stderr captured (bounded) or sent to a caller's fd;
 *   - exit status and terminating signal are reported apart, and a timeout
 *     is reported as such, not as "killed by signal 9".
 * Completion is reported through the caller's sd-event loop; nothing blocks.
 *
 * A child stuck in the kernel (state D: I/O on a hung SAN path) is not ended
 * by SIGKILL until its I/O returns, which may be never. So after every kill
 * lib_run sends (the deadline's, lib_run_stop's), a child that has not ended
 * within stuck_usec is reported as LIB_RUN_STUCK and the caller is free: it
 * may destroy the run at once. lib_run keeps the pid and reaps it when it
 * finally ends, without a callback: no zombie, no second callback. (The
 * reaper belongs to the event loop: freeing the loop first drops it, and the
 * process is then reaped by nobody until this process exits.)
 *
 * A process that this process did not start (one found again after a
 * daemon restart, by its pid file) can be adopted: it is watched with a
 * pidfd, and its end is reported the same way, with the status unknown.
 *
 * Memory: a struct lib_run is owned by the caller; lib_run_destroy() frees it
 * (killing the group if it still runs) and guarantees no further callback.
 * The result and its output buffer passed to the callback are valid only
 * during the callback.
 * Errors: 0 or a negative errno; a program that cannot be executed (ENOENT,
 * EACCES) is reported by lib_run_start() itself.
 * Requires SIGCHLD blocked in the process (sd-event child sources).
 */
#ifndef LIB_RUN_H
#define LIB_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#define LIB_RUN_OUTPUT_MAX 65536

struct lib_run;

struct lib_run_opts {
	const char *const *argv; /* argv[0] searched in PATH; NULL-terminated */
	int netns_fd;            /* >= 0: setns(CLONE_NEWNET) in the child first; -1 none */
	uint64_t timeout_usec;   /* 0 = no deadline */
	bool capture;            /* capture stdout+stderr into the result */
	int out_fd; /* when not capturing: >= 0 receives stdout+stderr, -1 = /dev/null */
	/* Given to the child as its stdin (NULL = /dev/null); at most
	 * LIB_RUN_STDIN_MAX bytes (-E2BIG), written before the child starts. */
	const char *stdin_data;
	/* > 0: this descriptor is the child's stdin instead (a pipe the caller
	 * feeds; the caller keeps and closes its copy); 0: none. With
	 * stdin_data: -EINVAL. */
	int stdin_fd;
	/* Most output captured (0 = LIB_RUN_OUTPUT_MAX, at most
	 * LIB_RUN_OUTPUT_LIMIT, else -EINVAL); the rest is discarded and the
	 * result says so (truncated). */
	size_t output_max;
	/* After a kill, how long the child may take to end before it is
	 * reported stuck (0 = LIB_RUN_STUCK_USEC). */
	uint64_t stuck_usec;
	/* The signal of the deadline's and lib_run_stop's kill: 0 = SIGKILL.
	 * Another one is for tests only: a child that survives it (SIGSTOP)
	 * stands in for a child in state D, which SIGKILL does not end. */
	int kill_signal;
	/* "NAME=value" entries added to the child's environment (each replaces
	 * one of the same NAME), NULL-terminated; NULL: the environment as is. */
	const char *const *env;
	/* A cgroup's cgroup.procs (NULL: none): the child writes "0" into it
	 * before exec, so that it runs in that cgroup from its first
	 * instruction and so do the processes it forks. Best effort: a failure
	 * leaves the child where it was (the caller may move it after). */
	const char *cgroup_procs;
};

#define LIB_RUN_STDIN_MAX 4096
#define LIB_RUN_OUTPUT_LIMIT (16u * 1024 * 1024)
#define LIB_RUN_STUCK_USEC (2ULL * 1000000)

enum lib_run_end {
	LIB_RUN_EXITED = 0, /* exit_code is valid */
	LIB_RUN_SIGNALED,   /* signal is valid */
	LIB_RUN_TIMED_OUT,  /* the deadline passed; the group was killed */
	LIB_RUN_GONE,       /* an adopted process ended; its status is unknown */
	LIB_RUN_STUCK,      /* killed, it did not end within stuck_usec; reaped later */
};

struct lib_run_result {
	enum lib_run_end end;
	int exit_code;
	int signal;
	const char *output; /* NUL-terminated, "" when not captured */
	size_t output_len;
	bool truncated; /* more output than output_max: the rest was discarded */
};

typedef void (*lib_run_done_fn)(struct lib_run *run, const struct lib_run_result *res, void *arg);

int lib_run_start(sd_event *ev, const struct lib_run_opts *opts, lib_run_done_fn done, void *arg,
                  struct lib_run **out);
/* Watch a running process we did not start. -ESRCH if it is gone. */
int lib_run_adopt(sd_event *ev, pid_t pid, lib_run_done_fn done, void *arg, struct lib_run **out);
pid_t lib_run_pid(const struct lib_run *run);
/* True until the process has ended, also after LIB_RUN_STUCK was reported. */
bool lib_run_running(const struct lib_run *run);
/* Send `sig` to the process group of the child. */
int lib_run_signal(struct lib_run *run, int sig);
/* Polite stop: SIGTERM to the group now, SIGKILL after grace_usec if still running.
 * The done callback still fires when it ends. */
int lib_run_stop(struct lib_run *run, uint64_t grace_usec);
/* Free; kills the group with SIGKILL if it still runs; no callback afterwards.
 * Never waits for a child stuck in the kernel: that one is reaped later. */
void lib_run_destroy(struct lib_run *run);

/* Free without touching the process: it goes on running, unwatched. Used
 * when the daemon exits and leaves its servers serving. */
void lib_run_detach(struct lib_run *run);

/* Describe a result in words ("exited with status 1", "killed by signal 9
 * (Killed)", "timed out and was killed", "did not end after being killed
 * (stuck in the kernel?)") into buf; returns buf. */
const char *lib_run_describe(const struct lib_run_result *res, char *buf, size_t len);

/* Run to completion with a private event loop (for tools and tests, never in
 * a daemon's loop). The output in *res is malloc'd into *output_out (may be
 * NULL to discard). */
int lib_run_sync(const struct lib_run_opts *opts, struct lib_run_result *res, char **output_out);

#endif
