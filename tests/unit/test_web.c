/*
 * test_web.c - apweb's own decisions: the request routing table
 * (ap_wh_route: 404, 405, 413, /metrics), the CapEff parser of the
 * privilege check, and the certificate in its state directory (made once
 * with a 0600 key in a 0700 directory, the same one reused, a half pair or a
 * planted symlink refused), and the scraper over a real socket and sd-event
 * loop: a refresh fills /metrics with scrape_ok 1; a refresh that applianced
 * never answers ends at the deadline with scrape_ok 0 and the last figures
 * kept, while the loop goes on.
 */
#include <errno.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/gnutls.h>

#include "appliance/ap_webcert.h"
#include "appliance/ap_webhttp.h"
#include "appliance/ap_webpriv.h"
#include "appliance/ap_webscrape.h"

static void test_route(void **state)
{
	static const struct {
		const char *method, *url;
		long long len;
		uint64_t seen;
		enum ap_wh_route want;
	} t[] = {
	    {"GET", "/metrics", -1, 0, AP_WH_METRICS},
	    {"HEAD", "/metrics", -1, 0, AP_WH_METRICS},
	    {"GET", "/metrics", AP_WH_BODY_MAX, AP_WH_BODY_MAX, AP_WH_METRICS},
	    {"GET", "/metrics", AP_WH_BODY_MAX + 1, 0, AP_WH_TOO_LARGE},
	    {"GET", "/metrics", -1, AP_WH_BODY_MAX + 1, AP_WH_TOO_LARGE},
	    {"GET", "/nope", -1, 0, AP_WH_NOT_FOUND},
	    {"GET", "/", -1, 0, AP_WH_NOT_FOUND},
	    {"GET", "/metrics/", -1, 0, AP_WH_NOT_FOUND},
	    {"GET", "/../metrics", -1, 0, AP_WH_NOT_FOUND},
	    {"GET", "/METRICS", -1, 0, AP_WH_NOT_FOUND},
	    {"GET", NULL, -1, 0, AP_WH_NOT_FOUND},
	    {"POST", "/metrics", 1, 0, AP_WH_BAD_METHOD},
	    {"POST", "/metrics", 1 << 30, 0, AP_WH_BAD_METHOD},
	    {"PUT", "/nope", -1, 0, AP_WH_BAD_METHOD},
	    {"get", "/metrics", -1, 0, AP_WH_BAD_METHOD},
	    {"OPTIONS", "*", -1, 0, AP_WH_BAD_METHOD},
	    {NULL, "/metrics", -1, 0, AP_WH_BAD_METHOD},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (ap_wh_route(t[i].method, t[i].url, t[i].len, t[i].seen) != t[i].want)
			fail_msg("row %zu: %s %s gave %d, not %d", i, t[i].method, t[i].url,
			         ap_wh_route(t[i].method, t[i].url, t[i].len, t[i].seen),
			         t[i].want);
}

static void test_capeff(void **state)
{
	uint64_t c = 1;

	assert_int_equal(
	    ap_wp_parse_capeff("Name:\tx\nCapPrm:\t1\nCapEff:\t0000000000000000\n", &c), 0);
	assert_int_equal(c, 0);
	assert_int_equal(ap_wp_parse_capeff("CapEff:\t000001ffffffffff\n", &c), 0);
	assert_int_equal(c, 0x1ffffffffffULL);
	assert_int_equal(ap_wp_parse_capeff("CapInh:\t0\n", &c), -EINVAL);
	assert_int_equal(ap_wp_parse_capeff("CapEff:\t\n", &c), -EINVAL);
	assert_int_equal(ap_wp_parse_capeff("CapEff:\t00zz\n", &c), -EINVAL);
	assert_int_equal(ap_wp_parse_capeff("CapEff:\t00000000000000000\n", &c), -EINVAL);
	assert_int_equal(ap_wp_parse_capeff("", &c), -EINVAL);
}

static void free_pair(char *cert, char *key)
{
	free(cert);
	free(key);
}

static void test_cert(void **state)
{
	char dir[] = "/tmp/test_web.XXXXXX", sub[64], path[128], err[256];
	char fpr1[AP_WC_FPR_LEN], fpr2[AP_WC_FPR_LEN];
	char *cert = NULL, *key = NULL;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/state", dir);
	struct ap_wc_opts o = {
	    .dir = sub, .node = "n1", .address = "192.0.2.5", .uid = (uid_t)-1, .gid = 0};
	assert_int_equal(ap_wc_load_or_make(&o, &cert, &key, fpr1, sizeof(fpr1), err, sizeof(err)),
	                 0);
	assert_non_null(strstr(cert, "BEGIN CERTIFICATE"));
	assert_non_null(strstr(key, "PRIVATE KEY"));
	assert_int_equal(strncmp(fpr1, "SHA256:", 7), 0);
	assert_int_equal(strlen(fpr1), 7 + 64);
	free_pair(cert, key);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/key.pem", sub);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* Reused: the same certificate at the next start. */
	assert_int_equal(ap_wc_load_or_make(&o, &cert, &key, fpr2, sizeof(fpr2), err, sizeof(err)),
	                 0);
	assert_string_equal(fpr1, fpr2);
	free_pair(cert, key);
	/* A key that is a link (planted by the web user): refused, not followed. */
	char moved[160];
	snprintf(moved, sizeof(moved), "%s/key.real", dir);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(symlink(moved, path), 0);
	assert_int_equal(ap_wc_load_or_make(&o, &cert, &key, fpr2, sizeof(fpr2), err, sizeof(err)),
	                 -ELOOP);
	assert_null(cert);
	assert_null(key);
	assert_non_null(strstr(err, "Cannot read"));
	/* Half a pair: refused with a sentence, not replaced. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(ap_wc_load_or_make(&o, &cert, &key, fpr2, sizeof(fpr2), err, sizeof(err)),
	                 -EINVAL);
	assert_non_null(strstr(err, "has cert.pem but not key.pem"));
	assert_int_equal(access(path, F_OK), -1);
	/* A state directory that is a file. */
	o.dir = moved;
	assert_int_equal(ap_wc_load_or_make(&o, &cert, &key, fpr2, sizeof(fpr2), err, sizeof(err)),
	                 -ENOTDIR);
	unlink(moved);
	snprintf(path, sizeof(path), "%s/cert.pem", sub);
	unlink(path);
	rmdir(sub);
	assert_int_equal(rmdir(dir), 0);
}

/* IPv6 and the wildcard address: a certificate all the same. */
static void test_cert_v6(void **state)
{
	char dir[] = "/tmp/test_web.XXXXXX", path[128], err[256], fpr[AP_WC_FPR_LEN];
	char *cert = NULL, *key = NULL;

	assert_non_null(mkdtemp(dir));
	const char *addrs[] = {"2001:db8::5", "::", "0.0.0.0"};
	for (size_t i = 0; i < 3; i++) {
		struct ap_wc_opts o = {
		    .dir = dir, .node = "n1", .address = addrs[i], .uid = (uid_t)-1, .gid = 0};
		assert_int_equal(
		    ap_wc_load_or_make(&o, &cert, &key, fpr, sizeof(fpr), err, sizeof(err)), 0);
		free_pair(cert, key);
		snprintf(path, sizeof(path), "%s/cert.pem", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/key.pem", dir);
		unlink(path);
	}
	assert_int_equal(rmdir(dir), 0);
}

/* The fake applianced (a child): the first connection gets an answer to
 * each request, the second none (it is held open until the child is killed). */
static void fake_daemon(int lfd)
{
	static const char *const replies[] = {
	    "{\"ok\":false,\"error\":\"This node is in no cluster.\"}",
	    "{\"ok\":true,\"data\":{\"enabled\":false}}",
	    "{\"ok\":true,\"data\":{\"name\":\"n1\",\"uptime_s\":7}}",
	    "{\"ok\":true,\"data\":[{\"name\":\"vs1\",\"runtime\":{\"state\":"
	    "\"running\",\"node\":\"n1\"}}]}",
	    "{\"ok\":false,\"error\":\"no cluster\"}",
	};
	int c = accept(lfd, NULL, NULL);
	char buf[4096];
	size_t got = 0, sent = 0;

	while (c >= 0 && sent < 5) {
		ssize_t n = read(c, buf + got, sizeof(buf) - got);
		if (n <= 0)
			_exit(1);
		got += (size_t)n;
		for (char *nl; sent < 5 && (nl = memchr(buf, '\n', got));) {
			if (!strstr(buf, "\"args\":{}"))
				_exit(2); /* not a read request as vsadm sends it */
			dprintf(c, "%s\n", replies[sent++]);
			got -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, got);
		}
	}
	int hold = accept(lfd, NULL, NULL); /* the second refresh: never answered */
	(void)hold;
	pause();
	_exit(0);
}

/* Runs the loop until the text has `line` or `secs` pass; true when it came. */
static bool run_until(sd_event *ev, struct ap_ws *ws, const char *line, int secs)
{
	time_t end = time(NULL) + secs;
	size_t len;

	while (time(NULL) < end) {
		if (strstr(ap_ws_text(ws, &len), line))
			return true;
		assert_true(sd_event_run(ev, 100000) >= 0);
	}
	return strstr(ap_ws_text(ws, &len), line) != NULL;
}

static void test_scrape(void **state)
{
	char dir[] = "/tmp/test_web.XXXXXX";
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	sd_event *ev = NULL;
	struct ap_ws *ws = NULL;
	size_t len;
	int lfd;
	pid_t pid;

	assert_non_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/ctl.sock", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		fake_daemon(lfd);
	close(lfd);
	assert_int_equal(sd_event_new(&ev), 0);
	assert_int_equal(ap_ws_create(ev, sa.sun_path, &ws), 0);
	assert_non_null(strstr(ap_ws_text(ws, &len), "appliance_scrape_ok 0\n"));
	assert_true(run_until(ev, ws, "appliance_scrape_ok 1\n", 3));
	const char *t = ap_ws_text(ws, &len);
	assert_int_equal(len, strlen(t));
	assert_non_null(
	    strstr(t, "appliance_vs_state{vs=\"vs1\",state=\"running\",node=\"n1\"} 1\n"));
	assert_non_null(strstr(t, "appliance_node_uptime_seconds{node=\"n1\"} 7\n"));
	assert_null(strstr(t, "appliance_cluster_quorate")); /* refused parts left out */
	/* The next refresh (5 s on) is never answered: the deadline (4 s) ends it. */
	time_t t0 = time(NULL);
	assert_true(run_until(ev, ws, "appliance_scrape_ok 0\n", 12));
	long took = (long)(time(NULL) - t0);
	assert_true(took >= (long)((AP_WS_PERIOD_USEC + AP_WS_DEADLINE_USEC) / 1000000) - 2);
	t = ap_ws_text(ws, &len);
	assert_non_null(
	    strstr(t, "appliance_vs_state{vs=\"vs1\",state=\"running\",node=\"n1\"} 1\n"));
	ap_ws_destroy(ws);
	sd_event_unref(ev);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(sa.sun_path);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_route),  cmocka_unit_test(test_capeff),
	    cmocka_unit_test(test_cert),   cmocka_unit_test(test_cert_v6),
	    cmocka_unit_test(test_scrape),
	};
	int rc;

	if (gnutls_global_init() < 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	gnutls_global_deinit();
	return rc;
}
