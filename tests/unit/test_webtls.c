/*
 * test_webtls.c - apweb following the console certificate (ap_webtls.h):
 * the decision table (keep, serve the administrator's, back to the
 * self-signed one), and the administrator's pair kept in the state
 * directory (0600 files, read back, forgotten; none kept is -ENOENT).
 */
#include <errno.h>
#include <fcntl.h>
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

#include "appliance/ap_webcert.h"
#include "appliance/ap_webtls.h"

static void test_decide(void **state)
{
	static const struct {
		bool answered, set, valid;
		const char *fpr;
		bool serving_admin;
		const char *served;
		enum ap_wt_action want;
	} t[] = {
	    /* applianced down or refusing: whatever is served stays */
	    {false, false, false, NULL, false, "SHA256:OWN", AP_WT_KEEP},
	    {false, false, false, NULL, true, "SHA256:A", AP_WT_KEEP},
	    {false, true, true, "SHA256:B", true, "SHA256:A", AP_WT_KEEP},
	    /* a new administrator's pair */
	    {true, true, true, "SHA256:A", false, "SHA256:OWN", AP_WT_SERVE_ADMIN},
	    {true, true, true, "SHA256:B", true, "SHA256:A", AP_WT_SERVE_ADMIN},
	    /* the one served already */
	    {true, true, true, "SHA256:A", true, "SHA256:A", AP_WT_KEEP},
	    /* refused by the validator: the served one stays */
	    {true, true, false, "SHA256:B", true, "SHA256:A", AP_WT_KEEP},
	    {true, true, false, "SHA256:B", false, "SHA256:OWN", AP_WT_KEEP},
	    {true, true, true, NULL, false, "SHA256:OWN", AP_WT_KEEP},
	    /* reset */
	    {true, false, false, NULL, true, "SHA256:A", AP_WT_SERVE_OWN},
	    {true, false, false, NULL, false, "SHA256:OWN", AP_WT_KEEP},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		print_message("%zu\n", i);
		assert_int_equal(ap_wt_decide(t[i].answered, t[i].set, t[i].valid, t[i].fpr,
		                              t[i].serving_admin, t[i].served),
		                 t[i].want);
	}
}

static void test_kept(void **state)
{
	char dir[] = "/tmp/test_webtls.XXXXXX", path[256], *c, *k;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(ap_wc_admin_load(dir, &c, &k), -ENOENT);
	assert_int_equal(ap_wc_admin_store(dfd, "CERT\n", "KEY\n"), 0);
	assert_int_equal(ap_wc_admin_load(dir, &c, &k), 0);
	assert_string_equal(c, "CERT\n");
	assert_string_equal(k, "KEY\n");
	free(c);
	free(k);
	snprintf(path, sizeof(path), "%s/admin-key.pem", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/admin-cert.pem", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* A planted link is not followed. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/etc/hostname", path), 0);
	assert_int_equal(ap_wc_admin_load(dir, &c, &k), -ELOOP);
	assert_int_equal(ap_wc_admin_remove(dfd), 0);
	assert_int_equal(ap_wc_admin_remove(dfd), 0);
	assert_int_equal(ap_wc_admin_load(dir, &c, &k), -ENOENT);
	close(dfd);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decide),
	    cmocka_unit_test(test_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
