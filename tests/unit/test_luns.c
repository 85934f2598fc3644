/*
 * test_luns.c - ap_luns: the node's LUN list comes from a child (here a
 * script standing in for `applianced --lun-scan`), and lookups answer from
 * its last result: found, not seen, a label on two file systems, a scan that
 * failed, no scan yet; a refresh calls its waiter once the scan has ended.
 * A child that stops answering mid-list: the device it hangs on is left out
 * (hung) and skipped, the others stay visible, and it comes back once it
 * answers a probe of its own. More than 1,000 LUNs; more than AP_LUNS_MAX
 * refused loudly. The line protocol's parser refuses what is out of it.
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
#include <time.h>
#include <unistd.h>

#include "appliance/ap_luns.h"
#include "appliance/ap_lunscan.h"

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

static uint64_t now_usec(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
}

/* Run the loop until *flag is set (or 5 s; one event per iteration, and a
 * child writing line by line makes many). */
static void run_until_set(sd_event *ev, const int *flag)
{
	for (uint64_t end = now_usec() + 5000000; !*flag && now_usec() < end;)
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

	write_script("echo 'probing /dev/loop2'; echo 'none /dev/loop2'\n"
	             "echo 'probing /dev/loop3'\n"
	             "echo 'lun {\"device\":\"/dev/loop3\",\"type\":\"ext4\",\"label\":\"data\","
	             "\"uuid\":\"u1\",\"mmp\":true,\"mmp_interval\":1}'\n"
	             "echo 'probing /dev/loop4'\n"
	             "echo 'lun {\"device\":\"/dev/loop4\",\"type\":\"ext4\",\"label\":\"twice\","
	             "\"uuid\":\"u2\",\"mmp\":true,\"mmp_interval\":1}'\n"
	             "echo 'probing /dev/loop5'\n"
	             "echo 'lun {\"device\":\"/dev/loop5\",\"type\":\"xfs\",\"label\":\"twice\","
	             "\"uuid\":\"u3\",\"mmp\":false,\"mmp_interval\":0}'\n"
	             "echo 'probing /dev/loop6'; echo 'unreadable /dev/loop6'; echo 'end 3'");
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

/* --- a child that stops answering mid-list ----------------------------------
 * The script walks a plan ("DEV LABEL UUID" per line, LABEL HANG: the probe
 * of DEV never returns) as the real child walks the devices, honouring
 * --skip and --only, and logs its arguments. A child stuck in the kernel
 * cannot be made here: the deadline's kill is SIGSTOP (kill_signal, tests
 * only), so the child neither runs nor ends, as one in state D; the test's
 * SIGKILL plays the hung I/O that finally returns. */

static char dir[] = "/tmp/test_luns_d.XXXXXX";

static const char plan_script[] =
    "D=%s\n"
    "echo \"$*\" >>\"$D/args\"\n"
    "shift; only=''; skip=' '\n"
    "while [ $# -gt 1 ]; do\n"
    "  case \"$1\" in --only) only=$2;; --skip) skip=\"$skip$2 \";; esac; shift 2\n"
    "done\n"
    "n=0\n"
    "while read dev label uuid; do\n"
    "  [ -n \"$only\" ] && [ \"$dev\" != \"$only\" ] && continue\n"
    "  case \"$skip\" in *\" $dev \"*) continue;; esac\n"
    "  echo \"probing $dev\"\n"
    "  if [ \"$label\" = HANG ]; then echo $$ >\"$D/pid\"; exec sleep 30; fi\n"
    "  printf 'lun {\"device\":\"%%s\",\"type\":\"ext4\",\"label\":\"%%s\",\"uuid\":\"%%s\","
    "\"mmp\":true,\"mmp_interval\":1}\\n' \"$dev\" \"$label\" \"$uuid\"\n"
    "  n=$((n+1))\n"
    "done <\"$D/plan\"\n"
    "echo \"end $n\"";

/* Atomically: a scan may be reading the plan right now. */
static void write_file(const char *name, const char *text)
{
	char path[128], tmp[140];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
}

/* The start of a file into buf; false if it cannot be read. */
static bool slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	size_t n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return true;
}

static bool args_have(const char *needle)
{
	static char buf[65536];
	char path[128];

	snprintf(path, sizeof(path), "%s/args", dir);
	return slurp(path, buf, sizeof(buf)) && strstr(buf, needle) != NULL;
}

static pid_t hung_pid(void)
{
	char path[128];
	int pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/pid", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &pid), 1);
	fclose(f);
	unlink(path);
	return (pid_t)pid;
}

static bool proc_stopped(pid_t pid)
{
	char path[64], buf[512];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!slurp(path, buf, sizeof(buf)))
		return false;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'T';
}

static void run_for(sd_event *ev, int ms)
{
	for (int i = 0; i < ms / 10; i++)
		assert_true(sd_event_run(ev, 10000) >= 0);
}

static int n_hung(const struct ap_luns *l)
{
	const struct fx_lun_info *h;
	return ap_luns_hung(l, &h);
}

static void run_until_hung(sd_event *ev, const struct ap_luns *l, int want)
{
	for (int i = 0; i < 500 && n_hung(l) != want; i++)
		assert_true(sd_event_run(ev, 10000) >= 0);
	assert_int_equal(n_hung(l), want);
}

static void test_hung_device_left_out_then_back(void **state)
{
	const struct ap_luns_timing t = {.scan_usec = 300000,
	                                 .probe_usec = 300000,
	                                 .stuck_usec = 200000,
	                                 .kill_signal = SIGSTOP};
	const struct fx_lun_info *list, *hung;
	struct fx_lun_info info;
	struct ap_luns *l;
	sd_event *ev;
	int changed = 0, done = 0;
	char body[2048];

	assert_non_null(mkdtemp(dir));
	snprintf(body, sizeof(body), plan_script, dir);
	write_script(body);
	write_file("plan", "/dev/loop3 d3 u3\n/dev/loop4 d4 u4\n/dev/loop5 d5 u5\n");
	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(ap_luns_create(ev, script, 200000, count, &changed, &l), 0);
	ap_luns_set_timing(l, &t);
	assert_int_equal(ap_luns_refresh(l, count, &done), 0);
	run_until_set(ev, &done);
	assert_int_equal(ap_luns_list(l, &list), 3);
	assert_int_equal(changed, 1);

	/* loop4's path hangs: the scan stops answering in the middle. */
	write_file("plan", "/dev/loop3 d3 u3\n/dev/loop4 HANG\n/dev/loop5 d5 u5\n");
	done = 0;
	assert_int_equal(ap_luns_refresh(l, count, &done), 0);
	run_until_set(ev, &done);
	assert_int_equal(ap_luns_hung(l, &hung), 1);
	assert_string_equal(hung[0].dev, "/dev/loop4");
	assert_string_equal(hung[0].label, "d4"); /* what was last known of it */
	assert_int_equal(ap_luns_list(l, &list), 2);
	assert_int_equal(ap_luns_find(l, "LABEL", "d3", &info), 0);
	assert_int_equal(ap_luns_find(l, "LABEL", "d5", &info), 0);
	assert_int_equal(ap_luns_find(l, "LABEL", "d4", &info), -EIO);
	assert_int_equal(ap_luns_find(l, "UUID", "u4", &info), -EIO);
	assert_string_equal(ap_luns_error(l), "");
	assert_int_equal(changed, 2);
	pid_t pid = hung_pid();
	assert_true(proc_stopped(pid)); /* stuck, not ended */
	/* Later scans go on, skip it, and nothing piles up on it while the
	 * child stuck on it lives. */
	run_for(ev, 1000);
	assert_true(args_have("--skip /dev/loop4"));
	assert_false(args_have("--only"));
	assert_int_equal(ap_luns_list(l, &list), 2);
	assert_int_equal(changed, 2);

	/* Its I/O returns, the path is still hung: tried alone, hangs again. */
	assert_int_equal(kill(pid, SIGKILL), 0);
	for (int i = 0; i < 300 && !args_have("--only /dev/loop4"); i++)
		assert_true(sd_event_run(ev, 10000) >= 0);
	assert_true(args_have("--only /dev/loop4"));
	run_for(ev, 700);
	assert_int_equal(n_hung(l), 1);
	pid = hung_pid();
	assert_true(proc_stopped(pid));

	/* The path answers again: back in the list. */
	write_file("plan", "/dev/loop3 d3 u3\n/dev/loop4 d4 u4\n/dev/loop5 d5 u5\n");
	assert_int_equal(kill(pid, SIGKILL), 0);
	run_until_hung(ev, l, 0);
	assert_int_equal(ap_luns_list(l, &list), 3);
	assert_int_equal(ap_luns_find(l, "LABEL", "d4", &info), 0);
	assert_string_equal(info.dev, "/dev/loop4");
	assert_int_equal(changed, 3);
	ap_luns_destroy(l);
	sd_event_unref(ev);
	char path[128];
	snprintf(path, sizeof(path), "%s/plan", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/args", dir);
	unlink(path);
	rmdir(dir);
}

/* n lun lines from a shell loop. */
static void write_many(int n)
{
	char body[512];

	snprintf(body, sizeof(body),
	         "i=0; while [ $i -lt %d ]; do echo \"probing /dev/x$i\"; "
	         "echo \"lun {\\\"device\\\":\\\"/dev/x$i\\\",\\\"type\\\":\\\"ext4\\\","
	         "\\\"label\\\":\\\"l$i\\\",\\\"uuid\\\":\\\"u$i\\\",\\\"mmp\\\":true,"
	         "\\\"mmp_interval\\\":1}\"; i=$((i+1)); done; echo \"end %d\"",
	         n, n);
	write_script(body);
}

static void test_many_luns_and_the_limit(void **state)
{
	const struct fx_lun_info *list;
	struct fx_lun_info info;
	struct ap_luns *l;
	sd_event *ev;
	int done = 0;

	write_many(1500);
	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(ap_luns_create(ev, script, 3600ULL * 1000000, NULL, NULL, &l), 0);
	assert_int_equal(ap_luns_refresh(l, count, &done), 0);
	run_until_set(ev, &done);
	assert_int_equal(ap_luns_list(l, &list), 1500);
	assert_int_equal(ap_luns_find(l, "LABEL", "l1499", &info), 0);
	/* One more than the limit: refused loudly, the last list kept. */
	write_many(AP_LUNS_MAX + 1);
	done = 0;
	assert_int_equal(ap_luns_refresh(l, count, &done), 0);
	run_until_set(ev, &done);
	assert_non_null(strstr(ap_luns_error(l), "more than 4096 file systems"));
	assert_int_equal(ap_luns_list(l, &list), 1500);
	ap_luns_destroy(l);
	sd_event_unref(ev);
}

static void test_protocol_refused(void **state)
{
	static const char *bad[] = {
	    "lun {\"device\":\"/dev/a\"}\n",    /* no probing first */
	    "probing /dev/a\nnone /dev/b\n",    /* another device */
	    "probing /dev/a\nprobing /dev/b\n", /* two at once */
	    "probing ../etc\n",                 /* not a device */
	    "probing /dev/a b\n",               /* not a device name */
	    "probing /dev/a\nlun {\"device\":\"/dev/a\",\"type\":\"ext4\",\"label\":\"x\","
	    "\"uuid\":\"u\",\"mmp\":true,\"mmp_interval\":70000}\n", /* out of range */
	    "probing /dev/a\nlun {\"device\":\"/dev/a\",\"type\":\"ext4\",\"label\":\""
	    "0123456789012345678901234567890123456789012345678901234567890123456789\","
	    "\"uuid\":\"u\",\"mmp\":true,\"mmp_interval\":1}\n", /* label too long */
	    "end 1\n",                                           /* a count that disagrees */
	    "end 0\nprobing /dev/a\n",                           /* after the end */
	    "hello\n",
	};
	struct ap_lunscan s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ap_lunscan_parse(bad[i], 10, &s), -EPROTO);
		ap_lunscan_free(&s);
	}
	/* Cut short: the device being probed is known, a half line ignored. */
	assert_int_equal(
	    ap_lunscan_parse("probing /dev/a\nnone /dev/a\nprobing /dev/sdb1\nlu", 10, &s), 0);
	assert_false(s.complete);
	assert_string_equal(s.pending, "/dev/sdb1");
	assert_true(ap_lunscan_probed(&s, "/dev/a"));
	assert_false(ap_lunscan_probed(&s, "/dev/c"));
	ap_lunscan_free(&s);
	assert_true(ap_lunscan_dev_ok("/dev/cciss!c0d0p1"));
	assert_false(ap_lunscan_dev_ok("/dev/"));
	assert_false(ap_lunscan_dev_ok("/etc/passwd"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lookup_from_last_scan),
	    cmocka_unit_test(test_failed_first_scan),
	    cmocka_unit_test(test_hung_device_left_out_then_back),
	    cmocka_unit_test(test_many_luns_and_the_limit),
	    cmocka_unit_test(test_protocol_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
