/*
 * test_lib.c - the child-process runner: argv without a shell, captured
 * output, exit status and signal apart, deadlines that kill the whole
 * process group, closed descriptors, adoption; a child that the kill does
 * not end reported stuck and reaped later without a second callback; bounded
 * and larger output; and the file helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/lib_b64.h"
#include "lib/lib_backoff.h"
#include "lib/lib_fs.h"
#include "lib/lib_pwhash.h"
#include "lib/lib_run.h"

static void test_exit_status_and_output(void **state)
{
	const char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
	struct lib_run_opts o = {.argv = argv, .netns_fd = -1, .capture = true, .out_fd = -1};
	struct lib_run_result r;
	char *out = NULL;

	assert_int_equal(lib_run_sync(&o, &r, &out), 0);
	assert_int_equal(r.end, LIB_RUN_EXITED);
	assert_int_equal(r.exit_code, 3);
	assert_string_equal(out, "out\nerr\n");
	free(out);
}

static void test_cgroup_procs(void **state)
{
	/* The child writes "0" into the file it is given before its exec (a
	 * cgroup.procs moves the writer; a plain file shows the write). */
	char path[] = "/tmp/test-lib-cgprocs.XXXXXX";
	int fd = mkstemp(path);
	const char *argv[] = {"true", NULL};
	struct lib_run_opts o = {.argv = argv, .netns_fd = -1, .out_fd = -1, .cgroup_procs = path};
	struct lib_run_result r;
	char *text = NULL;

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(lib_run_sync(&o, &r, NULL), 0);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(lib_read_file(path, &text), 0);
	assert_string_equal(text, "0");
	free(text);
	/* One that cannot be opened leaves the child running, where it was. */
	o.cgroup_procs = "/nonexistent/cgroup.procs";
	assert_int_equal(lib_run_sync(&o, &r, NULL), 0);
	assert_int_equal(r.exit_code, 0);
	unlink(path);
}

static void test_env(void **state)
{
	/* An entry added, one of ours replaced, the others kept. */
	const char *argv[] = {"env", NULL};
	const char *env[] = {"HX_RUN_A=new", "HX_RUN_B=b", NULL};
	struct lib_run_opts o = {
	    .argv = argv, .netns_fd = -1, .capture = true, .out_fd = -1, .env = env};
	struct lib_run_result r;
	char *out = NULL;

	setenv("HX_RUN_A", "old", 1);
	setenv("HX_RUN_C", "kept", 1);
	assert_int_equal(lib_run_sync(&o, &r, &out), 0);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(out, "HX_RUN_A=new\n"));
	assert_null(strstr(out, "HX_RUN_A=old"));
	assert_non_null(strstr(out, "HX_RUN_B=b\n"));
	assert_non_null(strstr(out, "HX_RUN_C=kept\n"));
	free(out);
	const char *bad[] = {"NOEQUALS", NULL};
	o.env = bad;
	assert_int_equal(lib_run_sync(&o, &r, &out), -EINVAL);
	unsetenv("HX_RUN_A");
	unsetenv("HX_RUN_C");
}

static void test_no_shell_interpretation(void **state)
{
	/* A metacharacter in an argument stays a literal argument. */
	const char *argv[] = {"echo", "a; rm -rf /nonexistent $(id)", NULL};
	struct lib_run_opts o = {.argv = argv, .netns_fd = -1, .capture = true, .out_fd = -1};
	struct lib_run_result r;
	char *out = NULL;

	assert_int_equal(lib_run_sync(&o, &r, &out), 0);
	assert_string_equal(out, "a; rm -rf /nonexistent $(id)\n");
	free(out);
}

static void test_stdin_data(void **state)
{
	/* The child reads the caller's text on stdin, then EOF. */
	const char *argv[] = {"cat", NULL};
	struct lib_run_opts o = {.argv = argv,
	                         .netns_fd = -1,
	                         .capture = true,
	                         .out_fd = -1,
	                         .stdin_data = "action=off\npassword=s3cret\n"};
	struct lib_run_result r;
	char *out = NULL, big[LIB_RUN_STDIN_MAX + 2];

	assert_int_equal(lib_run_sync(&o, &r, &out), 0);
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(out, "action=off\npassword=s3cret\n");
	free(out);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	o.stdin_data = big;
	assert_int_equal(lib_run_sync(&o, &r, NULL), -E2BIG);
}

static void test_stdin_fd(void **state)
{
	/* A pipe the caller holds is the child's stdin: what is written before
	 * the caller closes its end, then EOF. Not together with stdin_data. */
	const char *argv[] = {"cat", NULL};
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write(p[1], "through the pipe\n", 17), 17);
	close(p[1]);
	struct lib_run_opts o = {
	    .argv = argv, .netns_fd = -1, .capture = true, .out_fd = -1, .stdin_fd = p[0]};
	struct lib_run_result r;
	char *out = NULL;

	assert_int_equal(lib_run_sync(&o, &r, &out), 0);
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(out, "through the pipe\n");
	free(out);
	o.stdin_data = "x";
	assert_int_equal(lib_run_sync(&o, &r, NULL), -EINVAL);
	close(p[0]);
}

static void test_missing_program(void **state)
{
	const char *argv[] = {"/nonexistent/program", NULL};
	struct lib_run_opts o = {.argv = argv, .netns_fd = -1, .out_fd = -1};
	struct lib_run_result r;

	assert_int_equal(lib_run_sync(&o, &r, NULL), -ENOENT);
}

static void test_signal_reported_apart(void **state)
{
	const char *argv[] = {"sh", "-c", "kill -TERM $$", NULL};
	struct lib_run_opts o = {.argv = argv, .netns_fd = -1, .out_fd = -1};
	struct lib_run_result r;
	char how[96];

	assert_int_equal(lib_run_sync(&o, &r, NULL), 0);
	assert_int_equal(r.end, LIB_RUN_SIGNALED);
	assert_int_equal(r.signal, SIGTERM);
	assert_non_null(strstr(lib_run_describe(&r, how, sizeof(how)), "signal 15"));
}

static void test_timeout_kills_group(void **state)
{
	char pidfile[] = "/tmp/test_lib.XXXXXX";
	int fd = mkstemp(pidfile);
	char cmd[256], *text = NULL;
	struct lib_run_result r;

	assert_true(fd >= 0);
	close(fd);
	/* The grandchild records its pid, then both sleep past the deadline. */
	snprintf(cmd, sizeof(cmd), "sleep 30 & echo $! > %s; wait", pidfile);
	const char *argv[] = {"sh", "-c", cmd, NULL};
	struct lib_run_opts o = {
	    .argv = argv, .netns_fd = -1, .out_fd = -1, .timeout_usec = 300000};
	assert_int_equal(lib_run_sync(&o, &r, NULL), 0);
	assert_int_equal(r.end, LIB_RUN_TIMED_OUT);
	assert_int_equal(lib_read_file(pidfile, &text), 0);
	pid_t grandchild = (pid_t)atoi(text);
	free(text);
	unlink(pidfile);
	assert_true(grandchild > 1);
	/* Give the kernel a moment to deliver SIGKILL to the group. */
	for (int i = 0; i < 100 && kill(grandchild, 0) == 0; i++)
		usleep(10000);
	char stat[64], *st = NULL;
	snprintf(stat, sizeof(stat), "/proc/%d/stat", grandchild);
	/* Gone, or a zombie waiting for init. */
	if (lib_read_file(stat, &st) == 0) {
		char *p = strrchr(st, ')');
		assert_non_null(p);
		assert_int_equal(p[2], 'Z');
		free(st);
	}
}

static void test_fds_closed(void **state)
{
	int fd = open("/dev/null", O_RDONLY); /* not close-on-exec on purpose */
	char cmd[64];
	struct lib_run_result r;

	assert_true(fd > 2);
	snprintf(cmd, sizeof(cmd), "test -e /proc/self/fd/%d && exit 1; exit 0", fd);
	const char *argv[] = {"sh", "-c", cmd, NULL};
	struct lib_run_opts o = {.argv = argv, .netns_fd = -1, .out_fd = -1};
	assert_int_equal(lib_run_sync(&o, &r, NULL), 0);
	assert_int_equal(r.exit_code, 0);
	close(fd);
}

static void test_own_process_group(void **state)
{
	char cmd[64];
	struct lib_run_result r;
	char *out = NULL;

	snprintf(cmd, sizeof(cmd), "ps -o pgid= -p $$; echo $$");
	const char *argv[] = {"sh", "-c", cmd, NULL};
	struct lib_run_opts o = {.argv = argv, .netns_fd = -1, .capture = true, .out_fd = -1};
	assert_int_equal(lib_run_sync(&o, &r, &out), 0);
	int pgid = 0, pid = 0;
	assert_int_equal(sscanf(out, "%d %d", &pgid, &pid), 2);
	assert_int_equal(pgid, pid);
	assert_int_not_equal(pgid, getpgrp());
	free(out);
}

/* --- a child that its kill does not end -------------------------------------
 * A process in state D (I/O on a hung path) is not ended by SIGKILL until its
 * I/O returns. A unit test cannot put a process in state D, so the kill is
 * SIGSTOP here (kill_signal, for tests only): the child then neither runs nor
 * ends, as a child in state D does; the test's own SIGKILL later plays the
 * I/O that finally returns. */

struct stuck_cb {
	int calls;
	enum lib_run_end end;
	char out[64];
	pid_t pid;
	bool destroy; /* destroy the run in its callback, as callers do */
};

static void on_stuck_end(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct stuck_cb *c = arg;

	c->calls++;
	c->end = res->end;
	c->pid = lib_run_pid(run);
	snprintf(c->out, sizeof(c->out), "%s", res->output);
	if (c->destroy)
		lib_run_destroy(run);
}

static uint64_t mono_usec(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
}

static char proc_state(pid_t pid) /* 0 when gone (reaped) */
{
	char path[64], *st = NULL, c;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (lib_read_file(path, &st) < 0)
		return 0;
	char *p = strrchr(st, ')');
	c = p && p[1] && p[2] ? p[2] : '?';
	free(st);
	return c;
}

static struct lib_run *start_stuck(sd_event *ev, struct stuck_cb *c)
{
	const char *argv[] = {"sh", "-c", "echo before; exec sleep 30", NULL};
	struct lib_run_opts o = {.argv = argv,
	                         .netns_fd = -1,
	                         .capture = true,
	                         .out_fd = -1,
	                         .timeout_usec = 100000,
	                         .stuck_usec = 200000,
	                         .kill_signal = SIGSTOP};
	struct lib_run *run = NULL;

	assert_int_equal(lib_run_start(ev, &o, on_stuck_end, c, &run), 0);
	uint64_t t0 = mono_usec();
	for (int i = 0; i < 300 && !c->calls; i++)
		assert_true(sd_event_run(ev, 10000) >= 0);
	uint64_t took = mono_usec() - t0;
	assert_int_equal(c->calls, 1);
	assert_int_equal(c->end, LIB_RUN_STUCK);
	assert_string_equal(c->out, "before\n");
	/* the deadline (0.1 s) plus the grace after the kill (0.2 s) */
	assert_true(took >= 300000);
	assert_true(took < 1500000);
	assert_int_equal(proc_state(c->pid), 'T'); /* still there, not ended */
	return run;
}

static void let_it_end(sd_event *ev, const struct stuck_cb *c, struct lib_run *kept)
{
	assert_int_equal(kill(c->pid, SIGKILL), 0);
	for (int i = 0; i < 200 && proc_state(c->pid); i++)
		assert_true(sd_event_run(ev, 10000) >= 0);
	assert_int_equal(proc_state(c->pid), 0); /* reaped: no zombie left */
	if (kept)
		assert_false(lib_run_running(kept));
	for (int i = 0; i < 5; i++)
		assert_true(sd_event_run(ev, 10000) >= 0);
	assert_int_equal(c->calls, 1); /* and no second callback */
}

static void block_sigchld(void)
{
	sigset_t m;

	sigemptyset(&m);
	sigaddset(&m, SIGCHLD);
	assert_int_equal(sigprocmask(SIG_BLOCK, &m, NULL), 0);
}

static void test_stuck_destroyed_in_callback(void **state)
{
	struct stuck_cb c = {.destroy = true};
	sd_event *ev;
	char how[96];
	struct lib_run_result r = {.end = LIB_RUN_STUCK};

	block_sigchld();
	assert_int_equal(sd_event_new(&ev), 0);
	start_stuck(ev, &c);
	/* The caller is free: the run is gone, the process is still there. */
	assert_int_equal(kill(c.pid, 0), 0);
	let_it_end(ev, &c, NULL);
	sd_event_unref(ev);
	assert_string_equal(lib_run_describe(&r, how, sizeof(how)),
	                    "did not end after being killed (stuck in the kernel?)");
}

static void test_stuck_kept_then_ends(void **state)
{
	struct stuck_cb c = {0};
	sd_event *ev;

	block_sigchld();
	assert_int_equal(sd_event_new(&ev), 0);
	struct lib_run *run = start_stuck(ev, &c);
	assert_true(lib_run_running(run)); /* it has not ended */
	let_it_end(ev, &c, run);
	lib_run_destroy(run);
	sd_event_unref(ev);
}

static void test_stuck_loop_freed_first(void **state)
{
	struct stuck_cb c = {.destroy = true};
	sd_event *ev;
	int st;

	block_sigchld();
	assert_int_equal(sd_event_new(&ev), 0);
	start_stuck(ev, &c);
	/* The loop goes with its reaper (no leak under ASan); the process is
	 * then nobody's to reap but ours. */
	sd_event_unref(ev);
	assert_int_equal(kill(c.pid, SIGKILL), 0);
	assert_int_equal(waitpid(c.pid, &st, 0), c.pid);
	assert_true(WIFSIGNALED(st));
}

static void test_output_bounds(void **state)
{
	const char *big[] = {"sh", "-c", "head -c 200000 /dev/zero | tr '\\0' a", NULL};
	struct lib_run_opts o = {.argv = big, .netns_fd = -1, .capture = true, .out_fd = -1};
	struct lib_run_result r;
	char *out = NULL;

	/* The default bound: 64 KiB kept, the rest discarded, and said so. */
	assert_int_equal(lib_run_sync(&o, &r, &out), 0);
	assert_int_equal(r.output_len, LIB_RUN_OUTPUT_MAX);
	assert_true(r.truncated);
	assert_int_equal(strlen(out), LIB_RUN_OUTPUT_MAX);
	free(out);
	/* A caller that needs more asks for it. */
	o.output_max = 1024 * 1024;
	assert_int_equal(lib_run_sync(&o, &r, &out), 0);
	assert_int_equal(r.output_len, 200000);
	assert_false(r.truncated);
	assert_int_equal(strspn(out, "a"), 200000);
	free(out);
	o.output_max = LIB_RUN_OUTPUT_LIMIT + 1;
	assert_int_equal(lib_run_sync(&o, &r, NULL), -EINVAL);
}

static void test_files(void **state)
{
	char dir[] = "/tmp/test_lib_fs.XXXXXX", path[128], *text = NULL;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(lib_mkdir_p(path, 0755), 0);
	assert_int_equal(lib_mkdir_p(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/a/f", dir);
	assert_int_equal(lib_write_file(path, "one", 3, 0644), 1);
	assert_int_equal(lib_write_file(path, "one", 3, 0644), 0); /* unchanged */
	assert_int_equal(lib_write_file(path, "two", 3, 0644), 1);
	assert_int_equal(lib_read_file(path, &text), 0);
	assert_string_equal(text, "two");
	free(text);
	assert_int_equal(lib_rm_rf(dir), 0);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(lib_rm_rf(dir), 0);
}

static void test_backoff(void **state)
{
	struct lib_backoff b = {.min = 1000, .max = 5000};

	assert_int_equal(lib_backoff_next(&b), 1000);
	assert_int_equal(lib_backoff_next(&b), 2000);
	assert_int_equal(lib_backoff_next(&b), 4000);
	assert_int_equal(lib_backoff_next(&b), 5000);
	assert_int_equal(lib_backoff_next(&b), 5000);
	lib_backoff_reset(&b);
	assert_int_equal(lib_backoff_next(&b), 1000);
}

static void test_b64(void **state)
{
	const uint8_t in[] = {0, 1, 2, 250, 251, 252, 253};
	char *enc = NULL;
	uint8_t *dec = NULL;
	size_t len = 0;

	for (size_t n = 0; n <= sizeof(in); n++) {
		assert_int_equal(lib_b64_encode(in, n, &enc), 0);
		assert_int_equal(strlen(enc) % 4, 0);
		assert_int_equal(lib_b64_decode(enc, &dec, &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(dec, in, n);
		free(enc);
		free(dec);
	}
	assert_int_equal(lib_b64_decode("abc", &dec, &len), -EINVAL);
	assert_int_equal(lib_b64_decode("ab!d", &dec, &len), -EINVAL);
	assert_int_equal(lib_b64_decode("a=bc", &dec, &len), -EINVAL);
}

/* A password's hashes: the NT hash of known vectors ("Password" from
 * MS-NLMP's NTOWFv1 example; "password"; a non-ASCII one with a 4-byte
 * character, a surrogate pair in UTF-16, whose value was computed with
 * Python's UTF-16LE encoder and `openssl dgst -md4`), a yescrypt hash that
 * verifies, a fresh salt each time, the policy. */
static void test_pwhash(void **state)
{
	char nt[LIB_NTHASH_LEN + 1], cr[LIB_CRYPT_MAX + 1], cr2[LIB_CRYPT_MAX + 1], err[128];

	assert_int_equal(lib_pw_hash("password", nt, cr, err, sizeof(err)), 0);
	assert_string_equal(nt, "8846F7EAEE8FB117AD06BDD830B7586C");
	assert_true(strncmp(cr, "$y$", 3) == 0);
	assert_int_equal(lib_pw_verify("password", cr), 1);
	assert_int_equal(lib_pw_verify("Password", cr), 0);
	assert_int_equal(lib_pw_hash("Password", nt, cr2, err, sizeof(err)), 0);
	assert_string_equal(nt, "A4F49C406510BDCAB6824EE7C30FD852");
	assert_int_equal(lib_pw_hash("password", nt, cr2, err, sizeof(err)), 0);
	assert_string_not_equal(cr, cr2); /* a new salt */
	assert_int_equal(lib_pw_verify("x", "$6$abc"), -EINVAL);

	const char *bad[] = {"short", "tab\there-x", "bad\xc3\x28utf8", "\xed\xa0\x80surrogate"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(lib_pw_hash(bad[i], nt, cr, err, sizeof(err)), -EINVAL);
		assert_true(strlen(err) > 0 && !strstr(err, bad[i]));
	}
	char big[LIB_PW_MAX + 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(lib_pw_check(big, err, sizeof(err)), -EINVAL);
	big[LIB_PW_MAX] = '\0';
	assert_int_equal(lib_pw_check(big, err, sizeof(err)), 0);
	/* UTF-8 beyond ASCII, a 4-byte one as a surrogate pair. */
	char nt2[LIB_NTHASH_LEN + 1];
	assert_int_equal(lib_pw_hash("p\xc3\xa4ssw\xf0\x9f\x94\x91rd", nt, cr, err, sizeof(err)),
	                 0);
	assert_string_equal(nt, "B7C311413B1EA5A4481DB3515C5F93FA");
	assert_int_equal(lib_pw_hash("passw?rd", nt2, cr, err, sizeof(err)), 0);
	assert_string_not_equal(nt, nt2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exit_status_and_output),
	    cmocka_unit_test(test_no_shell_interpretation),
	    cmocka_unit_test(test_stdin_data),
	    cmocka_unit_test(test_stdin_fd),
	    cmocka_unit_test(test_missing_program),
	    cmocka_unit_test(test_signal_reported_apart),
	    cmocka_unit_test(test_timeout_kills_group),
	    cmocka_unit_test(test_fds_closed),
	    cmocka_unit_test(test_own_process_group),
	    cmocka_unit_test(test_stuck_destroyed_in_callback),
	    cmocka_unit_test(test_stuck_kept_then_ends),
	    cmocka_unit_test(test_stuck_loop_freed_first),
	    cmocka_unit_test(test_output_bounds),
	    cmocka_unit_test(test_files),
	    cmocka_unit_test(test_env),
	    cmocka_unit_test(test_cgroup_procs),
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test(test_b64),
	    cmocka_unit_test(test_pwhash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
