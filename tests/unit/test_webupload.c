/*
 * test_webupload.c - the uploaded update's spool file (ap_webupload.h): one
 * at a time, exactly the announced length, removed when given up or short,
 * and never through a link planted under its name; written by a child fed
 * through a pipe, with back-pressure when the pipe is full.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
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

/* The loop's state for one upload's end or room. */
struct end {
	bool called, room;
	int rc;
	char path[PATH_MAX], err[256];
};

static void on_done(void *arg, int rc, const char *path, const char *err)
{
	struct end *e = arg;
	e->called = true;
	e->rc = rc;
	snprintf(e->path, sizeof(e->path), "%s", path ? path : "");
	snprintf(e->err, sizeof(e->err), "%s", err ? err : "");
}

static void on_room(void *arg)
{
	((struct end *)arg)->room = true;
}

/* Runs ev until *flag or 10 s. */
static void run_until(sd_event *ev, bool *flag)
{
	for (int i = 0; i < 10000 && !*flag; i++)
		assert_true(sd_event_run(ev, 1000) >= 0);
	assert_true(*flag);
}

static void test_upload(void **state)
{
	struct ap_wu *u, *v;
	char err[256], buf[16];
	struct stat st;
	struct end e = {0};
	size_t taken;
	sd_event *ev;

	(void)state;
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD); /* lib_run watches its children through sd-event */
	assert_int_equal(sigprocmask(SIG_BLOCK, &mask, NULL), 0);
	assert_int_equal(sd_event_new(&ev), 0);
	assert_non_null(mkdtemp(dir));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	/* a length is needed, a bounded one, and one the disk has room for */
	assert_int_equal(ap_wu_begin(ev, dfd, dir, 0, &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(ap_wu_begin(ev, dfd, dir, AP_WU_MAX + 1, &u, err, sizeof(err)), -EINVAL);
	struct statvfs vfs;
	assert_int_equal(fstatvfs(dfd, &vfs), 0);
	uint64_t room = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (room + 1 <= AP_WU_MAX) {
		assert_int_equal(ap_wu_begin(ev, dfd, dir, room + (64 << 20), &u, err, sizeof(err)),
		                 -ENOSPC);
		assert_non_null(strstr(err, "MiB free"));
		assert_int_equal(access(spool(), F_OK), -1);
	}
	/* the whole body: the file, 0600, as long as announced, once the writer ended */
	assert_int_equal(ap_wu_begin(ev, dfd, dir, 10, &u, err, sizeof(err)), 0);
	assert_int_equal(ap_wu_begin(ev, dfd, dir, 10, &v, err, sizeof(err)),
	                 -EEXIST); /* one at a time */
	assert_int_equal(ap_wu_write(u, "01234", 5, &taken, err, sizeof(err)), 0);
	assert_int_equal(taken, 5);
	assert_int_equal(ap_wu_write(u, "567890", 6, &taken, err, sizeof(err)), -EFBIG);
	assert_int_equal(ap_wu_write(u, "56789", 5, &taken, err, sizeof(err)), 0);
	assert_int_equal(ap_wu_finish(u, on_done, &e, err, sizeof(err)), 0);
	run_until(ev, &e.called);
	assert_int_equal(e.rc, 0);
	assert_string_equal(e.path, spool());
	assert_int_equal(stat(e.path, &st), 0);
	assert_int_equal(st.st_size, 10);
	assert_int_equal(st.st_mode & 07777, 0600);
	int fd = open(e.path, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 10);
	close(fd);
	assert_memory_equal(buf, "0123456789", 10);
	/* still there (applianced reads it): the next upload waits */
	assert_int_equal(ap_wu_begin(ev, dfd, dir, 10, &u, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "still being written"));
	assert_int_equal(ap_wu_clean(dfd), 0);
	assert_int_equal(ap_wu_clean(dfd), 0); /* nothing left: fine */
	/* more than the pipe holds: a write takes part, the rest waits for room,
	 * and every byte arrives in order */
	size_t big = 8u << 20;
	unsigned char *data = malloc(big);
	assert_non_null(data);
	for (size_t k = 0; k < big; k++)
		data[k] = (unsigned char)(k * 7 + k / 4096);
	assert_int_equal(ap_wu_begin(ev, dfd, dir, big, &u, err, sizeof(err)), 0);
	size_t off = 0;
	int waits = 0;
	while (off < big) {
		assert_int_equal(ap_wu_write(u, data + off, big - off, &taken, err, sizeof(err)),
		                 0);
		off += taken;
		if (off < big) {
			e.room = false;
			assert_int_equal(ap_wu_wait(u, on_room, &e), 0);
			run_until(ev, &e.room);
			waits++;
		}
	}
	assert_true(waits > 0); /* the pipe was full at least once */
	memset(&e, 0, sizeof(e));
	assert_int_equal(ap_wu_finish(u, on_done, &e, err, sizeof(err)), 0);
	run_until(ev, &e.called);
	assert_int_equal(e.rc, 0);
	fd = open(spool(), O_RDONLY);
	assert_true(fd >= 0);
	unsigned char *back = malloc(big);
	assert_non_null(back);
	size_t got = 0;
	ssize_t r;
	while ((r = read(fd, back + got, big - got)) > 0)
		got += (size_t)r;
	close(fd);
	assert_int_equal(got, big);
	assert_memory_equal(back, data, big);
	free(back);
	free(data);
	assert_int_equal(ap_wu_clean(dfd), 0);
	/* a body shorter than announced: refused at once, nothing left */
	assert_int_equal(ap_wu_begin(ev, dfd, dir, 10, &u, err, sizeof(err)), 0);
	assert_int_equal(ap_wu_write(u, "0123", 4, &taken, err, sizeof(err)), 0);
	assert_int_equal(ap_wu_finish(u, on_done, &e, err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "4 of the 10"));
	assert_int_equal(access(spool(), F_OK), -1);
	/* given up (the client went away), also while its writer ends: nothing left */
	assert_int_equal(ap_wu_begin(ev, dfd, dir, 10, &u, err, sizeof(err)), 0);
	ap_wu_abort(u);
	assert_int_equal(access(spool(), F_OK), -1);
	memset(&e, 0, sizeof(e));
	assert_int_equal(ap_wu_begin(ev, dfd, dir, 2, &u, err, sizeof(err)), 0);
	assert_int_equal(ap_wu_write(u, "ab", 2, &taken, err, sizeof(err)), 0);
	assert_int_equal(ap_wu_finish(u, on_done, &e, err, sizeof(err)), 0);
	ap_wu_abort(u);
	for (int k = 0; k < 50; k++)
		assert_true(sd_event_run(ev, 2000) >= 0);
	assert_false(e.called);
	assert_int_equal(access(spool(), F_OK), -1);
	ap_wu_abort(NULL);
	/* a link planted under the name is never followed */
	char target[PATH_MAX];
	snprintf(target, sizeof(target), "%s/target", dir);
	fd = open(target, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	assert_int_equal(symlink(target, spool()), 0);
	assert_int_equal(ap_wu_begin(ev, dfd, dir, 4, &u, err, sizeof(err)), -EEXIST);
	fd = open(target, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 4);
	close(fd);
	assert_memory_equal(buf, "keep", 4);
	assert_int_equal(ap_wu_clean(dfd), 0); /* the link goes, not its target */
	assert_int_equal(access(target, F_OK), 0);
	unlink(target);
	close(dfd);
	rmdir(dir);
	sd_event_unref(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_upload)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
