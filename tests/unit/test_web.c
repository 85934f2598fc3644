/*
 * test_web.c - apweb's own decisions: the request routing table
 * (ap_wh_route: 404, 405, 413, /metrics), the CapEff parser of the
 * privilege check, and the certificate in its state directory (made once
 * with a 0600 key in a 0700 directory, the same one reused, a half pair or a
 * planted symlink refused).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/gnutls.h>

#include "appliance/ap_webcert.h"
#include "appliance/ap_webhttp.h"
#include "appliance/ap_webpriv.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_route),
	    cmocka_unit_test(test_capeff),
	    cmocka_unit_test(test_cert),
	    cmocka_unit_test(test_cert_v6),
	};
	int rc;

	if (gnutls_global_init() < 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	gnutls_global_deinit();
	return rc;
}
