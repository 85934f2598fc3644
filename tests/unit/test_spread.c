/*
 * test_spread.c - VIPs spread over a node's ports by traffic
 * (netfail/nf_spread.h): a hot port hands a VIP to its idle peer; a short
 * spike (hot for less than the hold) moves nothing; a move that would make
 * the target hot is not made; manual and cooling VIPs stay; an unusable
 * port is never chosen; balanced ports move nothing; bad input is refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netfail/nf_spread.h"

#define S (1000000ULL)
#define NOW (10000 * S)
#define CAP 1000.0

struct fx {
	struct nf_spread_params p;
	struct nf_spread_port ports[3];
	struct nf_spread_vip vips[4];
	struct nf_spread_move m;
};

/* eth1 carries two VIPs, 400 and 350 of 1000 (0.75: hot for 5 min), eth2
 * idle, eth3 down. */
static void base(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	nf_spread_defaults(&f->p);
	f->ports[0] = (struct nf_spread_port){"eth1", true, CAP, 750, NOW - 300 * S};
	f->ports[1] = (struct nf_spread_port){"eth2", true, CAP, 10, 0};
	f->ports[2] = (struct nf_spread_port){"eth3", false, CAP, 0, 0};
	f->vips[0] = (struct nf_spread_vip){"192.0.2.1", 0, 400, false, 0};
	f->vips[1] = (struct nf_spread_vip){"192.0.2.2", 0, 350, false, 0};
	f->vips[2] = (struct nf_spread_vip){"192.0.2.3", 1, 10, false, 0};
}

static int decide(struct fx *f)
{
	return nf_spread_decide(&f->p, f->ports, 3, f->vips, 3, NOW, &f->m);
}

static void test_hot_port_hands_a_vip_to_its_idle_peer(void **state)
{
	struct fx f;

	base(&f);
	assert_int_equal(decide(&f), 1);
	assert_int_equal(f.m.to, 1);
	/* 350 leaves 0.40 and 0.36; 400 would leave 0.35 and 0.41: the smaller
	 * of the two larger shares wins. */
	assert_int_equal(f.m.vip, 1);
	assert_non_null(strstr(f.m.reason, "port eth1 at 0.75"));
	assert_non_null(strstr(f.m.reason, "eth2 at 0.01"));
}

static void test_short_spike_moves_nothing(void **state)
{
	struct fx f;

	base(&f);
	f.ports[0].hot_since = NOW - 30 * S; /* hot for 30 s, the hold is 60 s */
	assert_int_equal(decide(&f), 0);
	f.ports[0].hot_since = 0;
	assert_int_equal(decide(&f), 0);
	f.ports[0].hot_since = NOW - 61 * S;
	assert_int_equal(decide(&f), 1);
}

static void test_not_onto_a_port_it_would_make_hot(void **state)
{
	struct fx f;

	base(&f);
	f.ports[1].traffic = 300; /* + 350 = 0.65 > room 0.50 */
	f.vips[2].traffic = 300;
	assert_int_equal(decide(&f), 0);
	f.p.room = 0.70;
	assert_int_equal(decide(&f), 1);
}

static void test_manual_cooling_and_unusable_stay(void **state)
{
	struct fx f;

	base(&f);
	f.vips[0].manual = true;
	f.vips[1].moved = NOW - 60 * S; /* cooling down: 10 min */
	assert_int_equal(decide(&f), 0);
	f.vips[1].moved = NOW - 700 * S;
	assert_int_equal(decide(&f), 1);
	assert_int_equal(f.m.vip, 1);
	/* The idle peer down (eth3 is already): nowhere to go. */
	base(&f);
	f.ports[1].usable = false;
	assert_int_equal(decide(&f), 0);
}

static void test_balanced_or_cool_moves_nothing(void **state)
{
	struct fx f;

	base(&f);
	f.ports[0].traffic = 500; /* 0.50: not hot */
	assert_int_equal(decide(&f), 0);
	/* Both hot and alike: a move gains nothing. */
	base(&f);
	f.ports[1].traffic = 750;
	f.ports[1].hot_since = NOW - 300 * S;
	f.vips[2].traffic = 750;
	assert_int_equal(decide(&f), 0);
}

static void test_bad_input_refused(void **state)
{
	struct fx f;

	base(&f);
	f.ports[1].capacity = 0;
	assert_int_equal(decide(&f), -EINVAL);
	base(&f);
	f.vips[0].port = 7;
	assert_int_equal(decide(&f), -EINVAL);
	base(&f);
	f.vips[0].traffic = -1;
	assert_int_equal(decide(&f), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hot_port_hands_a_vip_to_its_idle_peer),
	    cmocka_unit_test(test_short_spike_moves_nothing),
	    cmocka_unit_test(test_not_onto_a_port_it_would_make_hot),
	    cmocka_unit_test(test_manual_cooling_and_unusable_stay),
	    cmocka_unit_test(test_balanced_or_cool_moves_nothing),
	    cmocka_unit_test(test_bad_input_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
