/*
 * test_luns.c - ap_luns: the node's LUN list comes from a child (here a
 * script standing in for `applianced --lun-scan`), and lookups answer from
 * its last result: found, not seen, a label on two file systems, a scan that
 * failed, no scan yet; a refresh calls its waiter once the scan has ended.
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
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/ap_luns.h"

static char script[] = "/tmp/test_luns.XXXXXX";

static void write_script(const char *body)
{
	FILE *f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(script, 0755), 0);
}

static void count(void *arg)
{
	(*(int *)arg)++;
}

/* Run the loop until *flag is set (or 5 s). */
static void run_until_set(sd_event *ev, const int *flag)
{
	for (int i = 0; i < 500 && !*flag; i++)
		assert_true(sd_event_run(ev, 10000) >= 0);
	assert_true(*flag);
}

static int setup(void **state)
{
	int fd = mkstemp(script);
	if (fd < 0)
		return -1;
	close(fd);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	return sigprocmask(SIG_BLOCK, &mask, NULL);
}

static int teardown(void **state)
{
	unlink(script);
	return 0;
}

static void test_lookup_from_last_scan(void **state)
{
	sd_event *ev;
	struct ap_luns *l;
	struct fx_lun_info info;
	int changed = 0, done = 0;

	write_script(
	    "echo '["
	    "{\"device\":\"/dev/loop3\",\"type\":\"ext4\",\"label\":\"data\",\"uuid\":\"u1\","
	    "\"mmp\":true,\"mmp_interval\":1},"
	    "{\"device\":\"/dev/loop4\",\"type\":\"ext4\",\"label\":\"twice\",\"uuid\":\"u2\","
	    "\"mmp\":true,\"mmp_interval\":1},"
	    "{\"device\":\"/dev/loop5\",\"type\":\"xfs\",\"label\":\"twice\",\"uuid\":\"u3\","
	    "\"mmp\":false,\"mmp_interval\":0}]'");
	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(ap_luns_create(ev, script, 3600ULL * 1000000, count, &changed, &l), 0);
	/* Before the first scan ends, nobody knows. */
	assert_int_equal(ap_luns_find(l, "LABEL", "data", &info), -EAGAIN);
	assert_int_equal(ap_luns_refresh(l, count, &done), 0);
	run_until_set(ev, &done);
	assert_int_equal(changed, 1);
	assert_int_equal(ap_luns_find(l, "LABEL", "data", &info), 0);
	assert_string_equal(info.dev, "/dev/loop3");
	assert_true(info.mmp);
	assert_int_equal(ap_luns_find(l, "UUID", "u3", &info), 0);
	assert_string_equal(info.type, "xfs");
	assert_int_equal(ap_luns_find(l, "LABEL", "gone", &info), -ENOENT);
	assert_int_equal(ap_luns_find(l, "LABEL", "twice", &info), -ENOTUNIQ);
	assert_int_equal(ap_luns_find(l, "PARTUUID", "x", &info), -EINVAL);
	const struct fx_lun_info *list;
	assert_int_equal(ap_luns_list(l, &list), 3);
	assert_string_equal(ap_luns_error(l), "");
	/* The same result again: no change reported. */
	done = 0;
	assert_int_equal(ap_luns_refresh(l, count, &done), 0);
	run_until_set(ev, &done);
	assert_int_equal(changed, 1);
	/* A scan that fails keeps the last good list and says why. */
	write_script("echo 'blkid: cannot read /dev/loop3' >&2; exit 1");
	done = 0;
	assert_int_equal(ap_luns_refresh(l, count, &done), 0);
	run_until_set(ev, &done);
	assert_int_equal(ap_luns_find(l, "LABEL", "data", &info), 0);
	assert_non_null(strstr(ap_luns_error(l), "exited with status 1"));
	ap_luns_destroy(l);
	sd_event_unref(ev);
}

static void test_failed_first_scan(void **state)
{
	sd_event *ev;
	struct ap_luns *l;
	struct fx_lun_info info;
	int done = 0;

	write_script("echo 'not json'");
	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(ap_luns_create(ev, script, 3600ULL * 1000000, NULL, NULL, &l), 0);
	assert_int_equal(ap_luns_refresh(l, count, &done), 0);
	run_until_set(ev, &done);
		assert_int_equal(ap_luns_find(l, "LABEL", "data", &info), -EIO);
	assert_string_equal(ap_luns_error(l), "the LUN scan printed no readable list");
	/* Destroyed with a waiter pending: it is dropped, never called. */
	done = 0;
	assert_int_equal(ap_luns_refresh(l, count, &done), 0);
	ap_luns_destroy(l);
	assert_int_equal(done, 0);
	sd_event_unref(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lookup_from_last_scan),
	    cmocka_unit_test(test_failed_first_scan),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
