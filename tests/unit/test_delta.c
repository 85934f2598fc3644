/*
 * test_delta.c - vs_delta: a change travels as itself. For each kind of
 * change (a VS added, changed, deleted; failover groups; fence devices; a
 * migration, auto-revert, nodes under maintenance)
 * applying the delta to the old configuration gives exactly the new one, in
 * the same order; the delta of a one-VS change is as small with 200 VSs as
 * with one; a hostile delta (a VIP another VS owns, a deleted VS that does
 * not exist, an old version, a malformed document) is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vserver/vs_delta.h"
#include "vserver/vs_json.h"

static char err[256];

static void ok(int rc)
{
	if (rc != 0)
		fail_msg("refused: %s", err);
}

static void make_vs(struct vs_config *c, const char *name, const char *vip)
{
	ok(vs_config_create(c, name, 50, false, "", err, sizeof(err)));
	ok(vs_config_vip_add(c, name, vip, "eth1", NULL, NULL, err, sizeof(err)));
	char lun[64];
	snprintf(lun, sizeof(lun), "LABEL=lun-%s", name);
	ok(vs_config_fs_add(c, name, "data", lun, err, sizeof(err)));
	ok(vs_config_export_add(c, name, "/data", "data", "", "", false, err, sizeof(err)));
}

/* from -> delta -> applied equals `to` (as JSON, so order counts). */
static size_t check_roundtrip(const struct vs_config *from, const struct vs_config *to)
{
	struct vs_config *out = calloc(1, sizeof(*out));
	json_t *d = vs_config_delta(from, to);
	assert_non_null(d);
	ok(vs_config_apply_delta(from, d, out, err, sizeof(err)));
	json_t *a = vs_config_to_json(to), *b = vs_config_to_json(out);
	if (!json_equal(a, b)) {
		char *x = json_dumps(a, 0), *y = json_dumps(b, 0);
		fail_msg("applied delta differs:\n%s\n%s", x, y);
	}
	char *text = json_dumps(d, JSON_COMPACT);
	size_t len = strlen(text);
	free(text);
	json_decref(a);
	json_decref(b);
	json_decref(d);
	vs_config_free(out);
	free(out);
	return len;
}

static void test_each_kind_of_change(void **state)
{
	struct vs_config *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));

	make_vs(a, "vs1", "192.0.2.51/24");
	make_vs(a, "vs2", "192.0.2.52/24");
	make_vs(a, "vs3", "192.0.2.53/24");
	assert_int_equal(vs_config_copy(b, a), 0);
	make_vs(b, "vs4", "192.0.2.54/24"); /* added */
	check_roundtrip(a, b);
	assert_int_equal(vs_config_copy(b, a), 0);
	ok(vs_config_vip_add(b, "vs2", "192.0.2.62/24", "eth2", NULL, NULL, err, sizeof(err)));
	size_t len = check_roundtrip(a, b); /* changed in the middle: stays in place */
	assert_true(len < 2000);
	assert_int_equal(vs_config_copy(b, a), 0);
	ok(vs_config_delete(b, "vs2", true, err, sizeof(err)));
	check_roundtrip(a, b);
	assert_int_equal(vs_config_copy(b, a), 0);
	ok(vs_config_fgroup_create(b, "pub", "eth1,eth2", NULL, 0, 0, -1, NULL, NULL, err,
	                           sizeof(err)));
	check_roundtrip(a, b);
	assert_int_equal(vs_config_copy(b, a), 0);
	ok(vs_config_fence_set(b, "n1", "fence_ipmilan",
	                       "ip=198.51.100.101,username=admin,password=pw,lanplus=1", err,
	                       sizeof(err)));
	check_roundtrip(a, b);
	/* A migration, auto-revert, nodes under maintenance (added, then one
	 * removed: the list travels whole, in order). */
	assert_int_equal(vs_config_copy(b, a), 0);
	ok(vs_config_migrate(b, "vs2", "n2", err, sizeof(err)));
	ok(vs_config_set_auto_revert(b, "vs3", false, err, sizeof(err)));
	json_t *dm = vs_config_delta(a, b);
	assert_int_equal(json_array_size(json_object_get(dm, "vservers")), 2);
	assert_null(json_object_get(dm, "maint"));
	json_decref(dm);
	check_roundtrip(a, b);
	assert_int_equal(vs_config_copy(b, a), 0);
	ok(vs_config_maint(b, "n1", true, err, sizeof(err)));
	ok(vs_config_maint(b, "n3", true, err, sizeof(err)));
	dm = vs_config_delta(a, b);
	assert_int_equal(json_array_size(json_object_get(dm, "vservers")), 0);
	assert_int_equal(json_array_size(json_object_get(dm, "maint")), 2);
	json_decref(dm);
	check_roundtrip(a, b);
	struct vs_config *m = calloc(1, sizeof(*m));
	assert_int_equal(vs_config_copy(m, b), 0);
	ok(vs_config_maint(b, "n1", false, err, sizeof(err)));
	check_roundtrip(m, b);
	ok(vs_config_maint(b, "n3", false, err, sizeof(err)));
	check_roundtrip(m, b); /* the last one removed: an empty list travels */
	vs_config_free(m);
	free(m);
	/* Nothing changed but the version. */
	assert_int_equal(vs_config_copy(b, a), 0);
	b->version++;
	json_t *d = vs_config_delta(a, b);
	assert_int_equal(json_array_size(json_object_get(d, "vservers")), 0);
	assert_null(json_object_get(d, "fgroups"));
	json_decref(d);
	vs_config_free(a);
	free(a);
	vs_config_free(b);
	free(b);
}

static void test_size_does_not_grow_with_the_configuration(void **state)
{
	struct vs_config *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	char name[32], vip[32];

	make_vs(a, "vs0", "192.0.2.10/24");
	assert_int_equal(vs_config_copy(b, a), 0);
	ok(vs_config_vip_add(b, "vs0", "198.51.100.10/24", "eth2", NULL, NULL, err, sizeof(err)));
	size_t one = check_roundtrip(a, b);
	for (int i = 1; i < 200; i++) {
		snprintf(name, sizeof(name), "vs%d", i);
		snprintf(vip, sizeof(vip), "2001:db8::%x/64", i + 1);
		make_vs(a, name, vip);
	}
	assert_int_equal(vs_config_copy(b, a), 0);
	ok(vs_config_vip_add(b, "vs0", "198.51.100.10/24", "eth2", NULL, NULL, err, sizeof(err)));
	size_t many = check_roundtrip(a, b);
	json_t *whole = vs_config_to_json(b);
	char *text = json_dumps(whole, JSON_COMPACT);
	printf("delta of one VIP added: %zu bytes at 1 VS, %zu bytes at 200 VSs (whole "
	       "configuration %zu bytes)\n",
	       one, many, strlen(text));
	assert_true(many <= one + 16);
	assert_true(strlen(text) > 50 * many);
	free(text);
	json_decref(whole);
	vs_config_free(a);
	free(a);
	vs_config_free(b);
	free(b);
}

static void test_hostile_delta_refused(void **state)
{
	struct vs_config *a = calloc(1, sizeof(*a)), *out = calloc(1, sizeof(*out));
	json_t *d;

	make_vs(a, "vs1", "192.0.2.51/24");
	make_vs(a, "vs2", "192.0.2.52/24");
	a->version = 10;
	static const char *const bad[] = {
	    "[]",
	    "{\"version\":11}",
	    "{\"version\":10,\"vservers\":[],\"deleted\":[]}",
	    "{\"version\":11,\"vservers\":[],\"deleted\":[\"nosuch\"]}",
	    "{\"version\":11,\"vservers\":[{\"priority\":5}],\"deleted\":[]}",
	    /* vs3 takes vs1's address */
	    "{\"version\":11,\"vservers\":[{\"name\":\"vs3\",\"vips\":[{\"cidr\":\"192.0.2.51/24\","
	    "\"home_port\":\"eth1\"}]}],\"deleted\":[]}",
	    "{\"version\":11,\"vservers\":[{\"name\":\"vs3\",\"priority\":4294967346}],"
	    "\"deleted\":[]}",
	    "{\"version\":11,\"vservers\":[],\"deleted\":[],\"fences\":[{\"node\":\"n1\",\"agent\":"
	    "\"fence_ipmilan\",\"options\":\"ip=x,password_script=id\"}]}",
	    "{\"version\":11,\"vservers\":[],\"deleted\":[],\"maint\":\"n1\"}",
	    "{\"version\":11,\"vservers\":[],\"deleted\":[],\"maint\":[\"n1;reboot\"]}",
	    /* a pinned VS cannot carry `at` */
	    "{\"version\":11,\"vservers\":[{\"name\":\"vs3\",\"pinned\":true,\"home\":\"n1\","
	    "\"at\":\"n2\"}],\"deleted\":[]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = json_loads(bad[i], 0, NULL);
		assert_non_null(d);
		err[0] = '\0';
		if (vs_config_apply_delta(a, d, out, err, sizeof(err)) == 0)
			fail_msg("applied: %s", bad[i]);
		assert_true(strlen(err) > 10);
		json_decref(d);
	}
	/* The same delta with vs3 on a free address applies. */
	d = json_loads("{\"version\":11,\"vservers\":[{\"name\":\"vs3\",\"vips\":[{\"cidr\":"
	               "\"192.0.2.53/24\",\"home_port\":\"eth1\"}]}],\"deleted\":[]}",
	               0, NULL);
	ok(vs_config_apply_delta(a, d, out, err, sizeof(err)));
	assert_int_equal(out->n_vservers, 3);
	assert_int_equal(out->version, 11);
	json_decref(d);
	vs_config_free(a);
	free(a);
	vs_config_free(out);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_each_kind_of_change),
	    cmocka_unit_test(test_size_does_not_grow_with_the_configuration),
	    cmocka_unit_test(test_hostile_delta_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
