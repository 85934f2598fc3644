/*
 * test_srvstats.c - the request counters of ganesha and smbd
 * (fsexport/fx_srvstats.c) from their real answers: busctl's JSON of
 * ganesha 4.3's GetGlobalOPS and smbstatus -P of samba 4.17 (both copied
 * from a hand run on this machine), the other pair form, statistics
 * disabled, and malformed answers refused with the counter left 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "fsexport/fx_srvstats.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ganesha),
	    cmocka_unit_test(test_smbd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
