/*
 * test_lib.c - the child-process runner: argv without a shell, captured
 * output, exit status and signal apart, deadlines that kill the whole
 * process group, closed descriptors, adoption; and the file helpers.
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
#include <unistd.h>

#include <cmocka.h>

#include "lib/lib_b64.h"
#include "lib/lib_backoff.h"
#include "lib/lib_fs.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exit_status_and_output),
	    cmocka_unit_test(test_no_shell_interpretation),
	    cmocka_unit_test(test_stdin_data),
	    cmocka_unit_test(test_missing_program),
	    cmocka_unit_test(test_signal_reported_apart),
	    cmocka_unit_test(test_timeout_kills_group),
	    cmocka_unit_test(test_fds_closed),
	    cmocka_unit_test(test_own_process_group),
	    cmocka_unit_test(test_files),
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test(test_b64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
