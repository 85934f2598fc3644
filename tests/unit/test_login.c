/*
 * test_login.c - ap_login: console passwords are checked in a child (this
 * test binary run as `--check-password` stands in for applianced, running
 * the same ap_login_check_main): the right password matches, a wrong one
 * and an unknown account's dummy check do not, malformed input is refused
 * by the child, at most AP_LOGIN_MAX checks run at once (-EBUSY beyond),
 * and the event loop keeps running while checks are in flight (a timer of
 * 1 ms fires many times before the checks end). Destroying the checker with
 * checks in flight calls nobody.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "appliance/ap_login.h"
#include "lib/lib_pwhash.h"

static char self[4096];

struct result {
	int calls, matched;
};

static void done(void *arg, int matched)
{
	struct result *r = arg;
	r->calls++;
	r->matched = matched;
}

static int ticks;

static int on_tick(sd_event_source *s, uint64_t usec, void *arg)
{
	(void)arg;
	ticks++;
	sd_event_source_set_time(s, usec + 1000);
	return 0;
}

static void run_until(sd_event *ev, struct result *r, int n, int calls)
{
	for (int i = 0; i < 20000; i++) {
		int all = 1;
		for (int k = 0; k < n; k++)
			all &= r[k].calls >= calls;
		if (all)
			return;
		assert_true(sd_event_run(ev, 10000) >= 0);
	}
	fail_msg("the checks did not end");
}

static void hash_of(const char *pw, char crypt[LIB_CRYPT_MAX + 1])
{
	char nt[LIB_NTHASH_LEN + 1];
	assert_int_equal(lib_pw_hash(pw, nt, crypt, NULL, 0), 0);
}

static void test_right_wrong_unknown(void **state)
{
	char h[LIB_CRYPT_MAX + 1];
	struct result r[3] = {{0}};
	struct ap_logins *l;
	sd_event *ev;
	sd_event_source *tick;

	(void)state;
	hash_of("correct horse 1", h);
	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(ap_logins_create(ev, self, &l), 0);
	assert_int_equal(
	    sd_event_add_time_relative(ev, &tick, CLOCK_MONOTONIC, 1000, 0, on_tick, NULL), 0);
	assert_int_equal(sd_event_source_set_enabled(tick, SD_EVENT_ON), 0);
	ticks = 0;
	assert_int_equal(ap_login_start(l, h, "correct horse 1", done, &r[0]), 0);
	assert_int_equal(ap_login_start(l, h, "correct horse 2", done, &r[1]), 0);
	assert_int_equal(ap_login_start(l, NULL, "correct horse 1", done, &r[2]), 0);
	assert_int_equal(ap_logins_running(l), 3);
	run_until(ev, r, 3, 1);
	assert_int_equal(r[0].calls, 1);
	assert_int_equal(r[0].matched, 1);
	assert_int_equal(r[1].matched, 0);
	assert_int_equal(r[2].matched, 0);
	assert_int_equal(ap_logins_running(l), 0);
	/* The loop ran while three yescrypt checks were computed elsewhere. */
	assert_true(ticks >= 3);
	sd_event_source_unref(tick);
	ap_logins_destroy(l);
	sd_event_unref(ev);
}

static void test_bounded_and_refused(void **state)
{
	char h[LIB_CRYPT_MAX + 1];
	struct result r[AP_LOGIN_MAX + 1] = {{0}};
	struct ap_logins *l;
	sd_event *ev;

	(void)state;
	hash_of("another pass 9", h);
	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(ap_logins_create(ev, self, &l), 0);
	/* No password may hold a newline (it would end the child's input). */
	assert_int_equal(ap_login_start(l, h, "two\nlines", done, &r[0]), -EINVAL);
	char longpw[LIB_PW_MAX + 2];
	memset(longpw, 'a', sizeof(longpw) - 1);
	longpw[sizeof(longpw) - 1] = '\0';
	assert_int_equal(ap_login_start(l, h, longpw, done, &r[0]), -EINVAL);
	for (int i = 0; i < AP_LOGIN_MAX; i++)
		assert_int_equal(ap_login_start(l, h, "another pass 9", done, &r[i]), 0);
	assert_int_equal(ap_login_start(l, h, "another pass 9", done, &r[AP_LOGIN_MAX]), -EBUSY);
	run_until(ev, r, AP_LOGIN_MAX, 1);
	for (int i = 0; i < AP_LOGIN_MAX; i++)
		assert_int_equal(r[i].matched, 1);
	assert_int_equal(r[AP_LOGIN_MAX].calls, 0);
	/* Room again. */
	assert_int_equal(ap_login_start(l, h, "another pass 9", done, &r[AP_LOGIN_MAX]), 0);
	/* Destroyed in flight: no callback. */
	ap_logins_destroy(l);
	assert_int_equal(r[AP_LOGIN_MAX].calls, 0);
	sd_event_unref(ev);
}

/* The child refuses input out of its protocol with 2; a bad hash is 2 too. */
static int child_with(const char *input)
{
	int p[2], status;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[0], STDIN_FILENO);
		close(p[0]);
		close(p[1]);
		_exit(ap_login_check_main());
	}
	close(p[0]);
	assert_int_equal(write(p[1], input, strlen(input)), (ssize_t)strlen(input));
	close(p[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_child_protocol(void **state)
{
	char h[LIB_CRYPT_MAX + 1], in[512];

	(void)state;
	hash_of("protocol pass", h);
	snprintf(in, sizeof(in), "%s\nprotocol pass\n", h);
	assert_int_equal(child_with(in), 0);
	snprintf(in, sizeof(in), "%s\nprotocol pasS\n", h);
	assert_int_equal(child_with(in), 1);
	assert_int_equal(child_with("-\nprotocol pass\n"), 1);
	assert_int_equal(child_with(""), 2);
	assert_int_equal(child_with("no newline at all"), 2);
	snprintf(in, sizeof(in), "%s\nprotocol pass\nmore\n", h);
	assert_int_equal(child_with(in), 2);
	assert_int_equal(child_with("$1$md5$notyescrypt\npw\n"), 2);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--check-password") == 0)
		return ap_login_check_main();
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_right_wrong_unknown),
	    cmocka_unit_test(test_bounded_and_refused),
	    cmocka_unit_test(test_child_protocol),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
