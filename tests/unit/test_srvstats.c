/*
 * test_srvstats.c - the request counters of ganesha and smbd
 * (fsexport/fx_srvstats.c) from their real answers: busctl's JSON of
 * ganesha 4.3's GetGlobalOPS and smbstatus -P of samba 4.17 (both copied
 * from a hand run on this machine), the other pair form, statistics
 * disabled, and malformed answers refused with the counter left 0; the
 * configuration of a VS's statistics bus (fsexport/fx_statbus.c): root alone
 * owns and calls, paths outside the allow-list refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fsexport/fx_srvstats.h"
#include "fsexport/fx_statbus.h"

#define TEXT(t) (t), strlen(t)

static const char gan[] =
    "{\"type\":\"bs(tt)(stststststststst)\",\"data\":[true,\"OK\",[1796167541,14677782],"
    "[\"NFSv3\",0,\"NFSv40\",95,\"NFSv41\",7,\"NFSv42\",0,\"NLM4\",0,\"MNTv1\",0,\"MNTv3\",0,"
    "\"RQUOTA\",0]]}\n";

static void test_ganesha(void **state)
{
	uint64_t n = 1;

	(void)state;
	assert_int_equal(fx_ganstats_total_ops(TEXT(gan), &n), 0);
	assert_int_equal(n, 102);
	assert_int_equal(
	    fx_ganstats_total_ops(TEXT("{\"type\":\"bs(tt)a(st)\",\"data\":[true,\"OK\",[1,2],"
	                               "[[\"NFSv40\",3],[\"NFSv42\",4]]]}"),
	                          &n),
	    0);
	assert_int_equal(n, 7);
	/* statistics disabled */
	n = 9;
	assert_int_equal(
	    fx_ganstats_total_ops(TEXT("{\"type\":\"bs(tt)(st)\",\"data\":[false,\"Global stats "
	                               "disabled\",[1,2],[\"NFSv3\",0]]}"),
	                          &n),
	    -ENODATA);
	assert_int_equal(n, 0);
	static const char *const bad[] = {
	    "",
	    "not json",
	    "[]",
	    "{\"type\":\"s\",\"data\":[\"x\"]}",
	    /* a negative count, a count as text, a pair with no count */
	    "{\"type\":\"x\",\"data\":[true,\"OK\",[1,2],[\"NFSv3\",-1]]}",
	    "{\"type\":\"x\",\"data\":[true,\"OK\",[1,2],[\"NFSv3\",\"5\"]]}",
	    "{\"type\":\"x\",\"data\":[true,\"OK\",[1,2],[\"NFSv3\",5,\"NFSv4\"]]}",
	    "{\"type\":\"x\",\"data\":[true,\"OK\",[1,2],[[\"NFSv3\"]]]}",
	    /* a total past 64 bits */
	    "{\"type\":\"x\",\"data\":[true,\"OK\",[1,2],[\"a\",9223372036854775807,\"b\","
	    "9223372036854775807,\"c\",9223372036854775807]]}",
	    /* a count that is no integer */
	    "{\"type\":\"x\",\"data\":[true,\"OK\",[1,2],[\"a\",1.5]]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 5;
		int rc = fx_ganstats_total_ops(TEXT(bad[i]), &n);
		if (rc != -EINVAL)
			fail_msg("not refused (%d): %s", rc, bad[i]);
		assert_int_equal(n, 0);
	}
	assert_int_equal(
	    fx_ganstats_total_ops(TEXT("{\"type\":\"x\",\"data\":[true,\"OK\",[1,2],[]]}"), &n),
	    -ENODATA);
}

static const char smb[] =
    "**** SMBD loop ****************************************************************\n"
    "connect_count:                                                                3\n"
    "disconnect_count:                                                             3\n"
    "idle_count:                                                                  44\n"
    "request_count:                                                               36\n"
    "push_sec_ctx_count:                                                         105\n"
    "**** System Calls *************************************************************\n"
    "syscall_opendir_count:                                                        0\n"
    "smb2_read_count:                                                              3\n";

static void test_smbd(void **state)
{
	uint64_t n = 1;

	(void)state;
	assert_int_equal(fx_smbprof_requests(TEXT(smb), &n), 0);
	assert_int_equal(n, 36);
	assert_int_equal(fx_smbprof_requests(TEXT("request_count: 18446744073709551615"), &n), 0);
	assert_true(n == UINT64_MAX);
	/* no profile (profiling off prints nothing of it) */
	assert_int_equal(fx_smbprof_requests(TEXT("connect_count: 3\n"), &n), -ENODATA);
	assert_int_equal(n, 0);
	static const char *const bad[] = {
	    "request_count:\n",
	    "request_count: -1\n",
	    "request_count: 12x\n",
	    "request_count: 18446744073709551616\n",
	    "request_count: 1\nrequest_count: 2\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 5;
		int rc = fx_smbprof_requests(TEXT(bad[i]), &n);
		if (rc != -EINVAL)
			fail_msg("not refused (%d): %s", rc, bad[i]);
		assert_int_equal(n, 0);
	}
}

static void test_statbus(void **state)
{
	char *conf = (char *)1, addr[64];

	(void)state;
	assert_int_equal(fx_statbus_conf("/run/appliance/vs/vs1/bus.sock",
	                                 "/run/appliance/vs/vs1/bus.pid", &conf),
	                 0);
	assert_non_null(strstr(conf, "<listen>unix:path=/run/appliance/vs/vs1/bus.sock</listen>"));
	assert_non_null(strstr(conf, "<pidfile>/run/appliance/vs/vs1/bus.pid</pidfile>"));
	/* Denied by default; root alone owns names and sends method calls. */
	char *def = strstr(conf, "<policy context=\"default\">");
	char *root = strstr(conf, "<policy user=\"root\">");
	assert_non_null(def);
	assert_non_null(root);
	assert_true(def < root);
	assert_non_null(strstr(def, "<deny own=\"*\"/>"));
	assert_non_null(strstr(def, "<deny send_type=\"method_call\"/>"));
	assert_true(strstr(def, "<allow own=\"*\"/>") > root);
	assert_true(strstr(def, "<allow send_type=\"method_call\"/>") > root);
	assert_non_null(strstr(conf, "<auth>EXTERNAL</auth>"));
	free(conf);

	assert_int_equal(fx_statbus_address("/run/x/bus.sock", addr, sizeof(addr)), 0);
	assert_string_equal(addr, "unix:path=/run/x/bus.sock");
	assert_int_equal(fx_statbus_address("/run/x/bus.sock", addr, 10), -ENAMETOOLONG);

	/* Nothing that XML or a D-Bus address would read as more than a path. */
	const char *bad[] = {"relative/bus.sock", "/run/a b",   "/run/<x>",  "/run/a&b",
	                     "/run/a\"b",         "/run/a'b",   "/run/a,b",  "/run/a;b",
	                     "/run/../etc/x",     "/run/a/..",  "/",         "",
	                     "/run/a=b",          "/run/a%2fb", "/run/a\nb", NULL};
	for (int i = 0; bad[i]; i++) {
		conf = (char *)1;
		assert_int_equal(fx_statbus_conf(bad[i], "/run/x/bus.pid", &conf), -EINVAL);
		assert_null(conf);
		assert_int_equal(fx_statbus_conf("/run/x/bus.sock", bad[i], &conf), -EINVAL);
		assert_int_equal(fx_statbus_address(bad[i], addr, sizeof(addr)), -EINVAL);
	}
	assert_int_equal(fx_statbus_conf(NULL, "/run/x/bus.pid", &conf), -EINVAL);
	char longp[FX_STATBUS_PATH_MAX + 2];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(fx_statbus_conf(longp, "/run/x/bus.pid", &conf), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ganesha),
	    cmocka_unit_test(test_smbd),
	    cmocka_unit_test(test_statbus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
