/*
 * test_vipdev.c - VIP device names and the standby plan (vs_vipdev.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "vserver/vs_vipdev.h"

typedef char port_t[VS_PORT_MAX + 1];

static void test_names(void **state)
{
	char a[VS_VIPDEV_NAME_MAX], b[VS_VIPDEV_NAME_MAX], pre[VS_VIPDEV_NAME_MAX];

	(void)state;
	assert_int_equal(vs_vipdev_name("192.0.2.50", 3, a, sizeof(a)), 0);
	assert_int_equal(vs_vipdev_name("192.0.2.50", 4, b, sizeof(b)), 0);
	vs_vipdev_prefix("192.0.2.50", pre, sizeof(pre));
	assert_int_equal(strlen(pre), 9);
	assert_int_equal(strncmp(a, pre, 9), 0); /* recognisable by its prefix */
	assert_string_equal(a + 9, "p3");
	assert_string_not_equal(a, b); /* one device per port */
	assert_int_equal(vs_vipdev_name("192.0.2.51", 3, b, sizeof(b)), 0);
	assert_string_not_equal(a, b); /* and per VIP */
	/* The longest fits an interface name (15 characters). */
	assert_int_equal(vs_vipdev_name("2001:db8::1", VS_VIPDEV_IFINDEX_MAX, a, sizeof(a)), 0);
	assert_int_equal(strlen(a), 15);
	/* Refused, never cut short. */
	assert_int_equal(vs_vipdev_name("192.0.2.50", VS_VIPDEV_IFINDEX_MAX + 1, a, sizeof(a)),
	                 -ERANGE);
	assert_int_equal(vs_vipdev_name("192.0.2.50", 0, a, sizeof(a)), -ERANGE);
	assert_int_equal(vs_vipdev_name("192.0.2.50", 3, a, 8), -ERANGE);
}

struct plan_case {
	const char *live;
	const char *want[4];
	const char *have[4];
	const char *create; /* want indices, as digits */
	const char *drop;   /* have indices */
};

static void test_plan(void **state)
{
	static const struct plan_case cases[] = {
	    /* fresh: a standby on every other port of the group */
	    {"eth1", {"eth2", "eth3"}, {0}, "01", ""},
	    /* the policy names the live port too: no standby there */
	    {"eth1", {"eth1", "eth2"}, {0}, "1", ""},
	    /* all in place: nothing to do */
	    {"eth1", {"eth2"}, {"eth2"}, "", ""},
	    /* after a failover to eth2 the activated one is live; eth1 wanted */
	    {"eth2", {"eth1"}, {"eth2"}, "0", "0"},
	    /* a port left the group */
	    {"eth1", {"eth2"}, {"eth2", "eth3"}, "", "1"},
	    /* repeats are made once and dropped once */
	    {"eth1", {"eth2", "eth2"}, {"eth3", "eth3"}, "0", "01"},
	    /* no group: no standbys */
	    {"eth1", {0}, {"eth2"}, "", "0"},
	};
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		port_t want[VS_FG_MAX_PORTS], have[VS_FG_MAX_PORTS];
		int nw = 0, nh = 0, cr[VS_FG_MAX_PORTS], dr[VS_FG_MAX_PORTS], ncr = -1, ndr = -1;
		char got[VS_FG_MAX_PORTS + 1];

		for (; nw < 4 && cases[c].want[nw]; nw++)
			strcpy(want[nw], cases[c].want[nw]);
		for (; nh < 4 && cases[c].have[nh]; nh++)
			strcpy(have[nh], cases[c].have[nh]);
		assert_int_equal(vs_vipdev_plan(cases[c].live, (const port_t *)want, nw,
		                                (const port_t *)have, nh, cr, &ncr, dr, &ndr),
		                 0);
		for (int i = 0; i < ncr; i++)
			got[i] = (char)('0' + cr[i]);
		got[ncr] = '\0';
		assert_string_equal(got, cases[c].create);
		for (int i = 0; i < ndr; i++)
			got[i] = (char)('0' + dr[i]);
		got[ndr] = '\0';
		assert_string_equal(got, cases[c].drop);
	}
}

static void test_plan_limits(void **state)
{
	port_t p[VS_FG_MAX_PORTS + 1];
	int cr[VS_FG_MAX_PORTS], dr[VS_FG_MAX_PORTS], ncr, ndr;

	(void)state;
	memset(p, 0, sizeof(p));
	assert_int_equal(vs_vipdev_plan("eth1", (const port_t *)p, VS_FG_MAX_PORTS + 1,
	                                (const port_t *)p, 0, cr, &ncr, dr, &ndr),
	                 -EINVAL);
	assert_int_equal(
	    vs_vipdev_plan(NULL, (const port_t *)p, 0, (const port_t *)p, 0, cr, &ncr, dr, &ndr),
	    -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_plan),
	    cmocka_unit_test(test_plan_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
