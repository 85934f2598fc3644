/*
 * test_journal.c - lib_journal_attached: true only when JOURNAL_STREAM
 * names stderr's device and inode (as systemd sets it for a unit whose
 * stderr is the journal), false when it is unset, malformed, or names
 * another file. (The entries themselves are checked in the image, where a
 * journald runs: make test-image.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/lib_journal.h"

static void set_stream(const struct stat *st)
{
	char v[64];
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st->st_dev,
	         (unsigned long long)st->st_ino);
	assert_int_equal(setenv("JOURNAL_STREAM", v, 1), 0);
}

static void test_attached(void **state)
{
	struct stat err, other;
	int saved = dup(STDERR_FILENO), fd;
	char path[] = "/tmp/test_journal.XXXXXX";

	(void)state;
	assert_true(saved >= 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	assert_int_equal(fstat(STDERR_FILENO, &err), 0);

	unsetenv("JOURNAL_STREAM");
	assert_false(lib_journal_attached());
	set_stream(&err);
	assert_true(lib_journal_attached());
	assert_int_equal(setenv("JOURNAL_STREAM", "not numbers", 1), 0);
	assert_false(lib_journal_attached());
	assert_int_equal(fstat(saved, &other), 0);
	set_stream(&other); /* the terminal or file stderr was: not this stderr */
	if (other.st_ino != err.st_ino || other.st_dev != err.st_dev)
		assert_false(lib_journal_attached());

	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	close(fd);
	unsetenv("JOURNAL_STREAM");
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_attached)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
