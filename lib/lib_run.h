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
};

#define LIB_RUN_STDIN_MAX 4096

enum lib_run_end {
	LIB_RUN_EXITED = 0, /* exit_code is valid */
	LIB_RUN_SIGNALED,   /* signal is valid */
	LIB_RUN_TIMED_OUT,  /* the deadline passed; the group was killed */
	LIB_RUN_GONE,       /* an adopted process ended; its status is unknown */
};

struct lib_run_result {
	enum lib_run_end end;
	int exit_code;
	int signal;
	const char *output; /* NUL-terminated, "" when not captured */
	size_t output_len;
};

typedef void (*lib_run_done_fn)(struct lib_run *run, const struct lib_run_result *res, void *arg);

int lib_run_start(sd_event *ev, const struct lib_run_opts *opts, lib_run_done_fn done, void *arg,
                  struct lib_run **out);
/* Watch a running process we did not start. -ESRCH if it is gone. */
int lib_run_adopt(sd_event *ev, pid_t pid, lib_run_done_fn done, void *arg, struct lib_run **out);
pid_t lib_run_pid(const struct lib_run *run);
bool lib_run_running(const struct lib_run *run);
/* Send `sig` to the process group of the child. */
int lib_run_signal(struct lib_run *run, int sig);
/* Polite stop: SIGTERM to the group now, SIGKILL after grace_usec if still running.
 * The done callback still fires when it ends. */
int lib_run_stop(struct lib_run *run, uint64_t grace_usec);
/* Free; kills the group with SIGKILL if it still runs; no callback afterwards. */
void lib_run_destroy(struct lib_run *run);

/* Free without touching the process: it goes on running, unwatched. Used
 * when the daemon exits and leaves its servers serving. */
void lib_run_detach(struct lib_run *run);

/* Describe a result in words ("exited with status 1", "killed by signal 9
 * (Killed)", "timed out") into buf; returns buf. */
const char *lib_run_describe(const struct lib_run_result *res, char *buf, size_t len);

/* Run to completion with a private event loop (for tools and tests, never in
 * a daemon's loop). The output in *res is malloc'd into *output_out (may be
 * NULL to discard). */
int lib_run_sync(const struct lib_run_opts *opts, struct lib_run_result *res, char **output_out);

#endif
