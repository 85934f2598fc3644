/*
 * test_webupload.c - the uploaded update's spool file (ap_webupload.h): one
 * at a time, exactly the announced length, removed when given up or short,
 * and never through a link planted under its name.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "appliance/ap_webupload.h"

static char dir[] = "/tmp/test-webupload.XXXXXX";

static char *spool(void)
{
	static char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", dir, AP_WU_NAME);
	return p;
}

static void test_upload(void **state)
{
	struct ap_wu *u, *v;
	char err[256], path[PATH_MAX], buf[16];
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	/* a length is needed, and a bounded one */
	assert_int_equal(ap_wu_begin(dfd, dir, 0, &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(ap_wu_begin(dfd, dir, AP_WU_MAX + 1, &u, err, sizeof(err)), -EINVAL);
	/* the whole body: the file, 0600, as long as announced */
	assert_int_equal(ap_wu_begin(dfd, dir, 10, &u, err, sizeof(err)), 0);
	assert_int_equal(ap_wu_begin(dfd, dir, 10, &v, err, sizeof(err)),
	                 -EEXIST); /* one at a time */
	assert_int_equal(ap_wu_write(u, "01234", 5, err, sizeof(err)), 0);
	assert_int_equal(ap_wu_write(u, "567890", 6, err, sizeof(err)), -EFBIG);
	assert_int_equal(ap_wu_write(u, "56789", 5, err, sizeof(err)), 0);
	assert_int_equal(ap_wu_finish(u, path, sizeof(path), err, sizeof(err)), 0);
	assert_string_equal(path, spool());
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 10);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* still there (applianced reads it): the next upload waits */
	assert_int_equal(ap_wu_begin(dfd, dir, 10, &u, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "still being written"));
	assert_int_equal(ap_wu_clean(dfd), 0);
	assert_int_equal(ap_wu_clean(dfd), 0); /* nothing left: fine */
	/* a body shorter than announced: refused, nothing left */
	assert_int_equal(ap_wu_begin(dfd, dir, 10, &u, err, sizeof(err)), 0);
	assert_int_equal(ap_wu_write(u, "0123", 4, err, sizeof(err)), 0);
	assert_int_equal(ap_wu_finish(u, path, sizeof(path), err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "4 of the 10"));
	assert_int_equal(access(spool(), F_OK), -1);
	/* given up (the client went away): nothing left */
	assert_int_equal(ap_wu_begin(dfd, dir, 10, &u, err, sizeof(err)), 0);
	ap_wu_abort(u);
	assert_int_equal(access(spool(), F_OK), -1);
	ap_wu_abort(NULL);
	/* a link planted under the name is never followed */
	char target[PATH_MAX];
	snprintf(target, sizeof(target), "%s/target", dir);
	int fd = open(target, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	assert_int_equal(symlink(target, spool()), 0);
	assert_int_equal(ap_wu_begin(dfd, dir, 4, &u, err, sizeof(err)), -EEXIST);
	fd = open(target, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 4);
	close(fd);
	assert_memory_equal(buf, "keep", 4);
	assert_int_equal(ap_wu_clean(dfd), 0); /* the link goes, not its target */
	assert_int_equal(access(target, F_OK), 0);
	unlink(target);
	close(dfd);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_upload)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
