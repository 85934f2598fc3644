/*
 * test_policy.c - local port choice with an injected clock: least loaded
 * target, no healthy port, revert after the hold-down, damping of a
 * flapping port, and the bound on moves a flapping port can cause.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netfail/nf_policy.h"

#define S 1000000ULL

static const struct nf_policy_params pp = {
    .hold_down = 30 * S, .damp_window = 60 * S, .damp_threshold = 4};

struct world {
	struct nf_port_view ports[3];
	struct nf_flap flaps[3];
	int group[3];
};

static void world_init(struct world *w)
{
	static const char *const names[] = {"eth1", "eth2", "eth3"};

	memset(w, 0, sizeof(*w));
	for (int i = 0; i < 3; i++) {
		w->ports[i].name = names[i];
		w->ports[i].healthy = true;
		w->ports[i].healthy_since = 0;
		w->ports[i].flap = &w->flaps[i];
		w->group[i] = i;
	}
}

static struct nf_vip_view vip(struct world *w, const char *home, const char *cur, int n_group)
{
	struct nf_vip_view v = {.home = home,
	                        .current = cur,
	                        .auto_revert = true,
	                        .group = w->group,
	                        .n_group = n_group};
	return v;
}

static void set_health(struct world *w, int i, bool healthy, uint64_t now)
{
	if (w->ports[i].healthy != healthy)
		nf_flap_note(&w->flaps[i], now);
	w->ports[i].healthy = healthy;
	if (healthy)
		w->ports[i].healthy_since = now;
}

static void test_placement_prefers_home(void **state)
{
	struct world w;
	struct nf_decision d;
	struct nf_vip_view v;

	world_init(&w);
	v = vip(&w, "eth2", "", 3);
	w.ports[1].vips = 5; /* even loaded, home wins at placement */
	nf_policy_decide(&v, w.ports, 3, &pp, 100 * S, &d);
	assert_int_equal(d.verdict, NF_MOVE);
	assert_int_equal(d.port, 1);
}

static void test_failover_to_least_loaded(void **state)
{
	struct world w;
	struct nf_decision d;
	struct nf_vip_view v;

	world_init(&w);
	set_health(&w, 0, false, 100 * S);
	w.ports[1].vips = 2;
	w.ports[2].vips = 1;
	v = vip(&w, "eth1", "eth1", 3);
	nf_policy_decide(&v, w.ports, 3, &pp, 100 * S, &d);
	assert_int_equal(d.verdict, NF_MOVE);
	assert_int_equal(d.port, 2);
	assert_false(d.revert);
	assert_non_null(strstr(d.why, "eth1 is down"));
	/* Equal VIP counts: traffic decides. */
	w.ports[1].vips = 1;
	w.ports[1].traffic = 10;
	w.ports[2].traffic = 1000;
	nf_policy_decide(&v, w.ports, 3, &pp, 100 * S, &d);
	assert_int_equal(d.port, 1);
}

static void test_spread_of_several_vips(void **state)
{
	/* Four VIPs on eth1; eth1 dies; the caller counts each move: they end
	 * up two and two on eth2 and eth3. */
	struct world w;
	struct nf_decision d;
	int on[3] = {0};

	world_init(&w);
	w.ports[0].vips = 4;
	set_health(&w, 0, false, 5 * S);
	for (int k = 0; k < 4; k++) {
		struct nf_vip_view v = vip(&w, "eth1", "eth1", 3);
		nf_policy_decide(&v, w.ports, 3, &pp, 5 * S, &d);
		assert_int_equal(d.verdict, NF_MOVE);
		w.ports[d.port].vips++;
		w.ports[0].vips--;
		on[d.port]++;
	}
	assert_int_equal(on[1], 2);
	assert_int_equal(on[2], 2);
}

static void test_no_healthy_port(void **state)
{
	struct world w;
	struct nf_decision d;
	struct nf_vip_view v;

	world_init(&w);
	set_health(&w, 0, false, 10 * S);
	set_health(&w, 1, false, 10 * S);
	v = vip(&w, "eth1", "eth1", 2); /* group eth1, eth2 */
	nf_policy_decide(&v, w.ports, 3, &pp, 10 * S, &d);
	assert_int_equal(d.verdict, NF_NO_PORT);
	assert_non_null(strstr(d.why, "eth1 down, eth2 down"));
	/* eth3 is healthy but not in the group: never used. */
	/* A port of the group heals: the VIP moves there at once, no hold-down. */
	set_health(&w, 1, true, 11 * S);
	nf_policy_decide(&v, w.ports, 3, &pp, 11 * S, &d);
	assert_int_equal(d.verdict, NF_MOVE);
	assert_int_equal(d.port, 1);
	/* A VIP without group (only its home port) has nowhere to go. */
	struct nf_vip_view lone = vip(&w, "eth1", "eth1", 1);
	nf_policy_decide(&lone, w.ports, 3, &pp, 11 * S, &d);
	assert_int_equal(d.verdict, NF_NO_PORT);
}

static void test_revert_after_hold_down(void **state)
{
	struct world w;
	struct nf_decision d;
	struct nf_vip_view v;

	world_init(&w);
	set_health(&w, 0, false, 0);
	set_health(&w, 0, true, 10 * S); /* healed at t = 10 s */
	v = vip(&w, "eth1", "eth2", 3);
	nf_policy_decide(&v, w.ports, 3, &pp, 39 * S, &d);
	assert_int_equal(d.verdict, NF_STAY);
	assert_true(d.held);
	nf_policy_decide(&v, w.ports, 3, &pp, 40 * S, &d);
	assert_int_equal(d.verdict, NF_MOVE);
	assert_int_equal(d.port, 0);
	assert_true(d.revert);
	/* Not when the VIP is set not to revert, nor after a manual move. */
	v.auto_revert = false;
	nf_policy_decide(&v, w.ports, 3, &pp, 100 * S, &d);
	assert_int_equal(d.verdict, NF_STAY);
	v.auto_revert = true;
	v.manual = true;
	nf_policy_decide(&v, w.ports, 3, &pp, 100 * S, &d);
	assert_int_equal(d.verdict, NF_STAY);
}

static void test_damping_bounds_moves(void **state)
{
	/* eth1 flaps 50 times in 10 s; count the moves of a VIP homed on it. */
	struct world w;
	struct nf_decision d;
	const char *cur = "eth1";
	int moves = 0;
	uint64_t t;

	world_init(&w);
	for (int k = 0; k < 100; k++) {
		t = 1000 * S + (uint64_t)k * 100000; /* every 0.1 s */
		set_health(&w, 0, k % 2 == 1, t);
		struct nf_vip_view v = vip(&w, "eth1", cur, 2);
		nf_policy_decide(&v, w.ports, 3, &pp, t, &d);
		if (d.verdict == NF_MOVE) {
			moves++;
			cur = w.ports[d.port].name;
		}
	}
	assert_int_equal(moves, 1); /* away once */
	assert_string_equal(cur, "eth2");
	/* eth1 ends healthy (k = 99); it stays damped for the damp window. */
	struct nf_vip_view v = vip(&w, "eth1", cur, 2);
	nf_policy_decide(&v, w.ports, 3, &pp, t + 40 * S, &d);
	assert_int_equal(d.verdict, NF_STAY);
	assert_non_null(strstr(d.why, "damped"));
	/* Calm for a whole window: one move home. */
	nf_policy_decide(&v, w.ports, 3, &pp, t + 61 * S, &d);
	assert_int_equal(d.verdict, NF_MOVE);
	assert_true(d.revert);
}

static void test_damped_port_is_last_resort(void **state)
{
	struct world w;
	struct nf_decision d;

	world_init(&w);
	for (int k = 0; k < 6; k++)
		set_health(&w, 1, k % 2 == 1, (uint64_t)k * S);
	set_health(&w, 0, false, 6 * S);
	struct nf_vip_view v = vip(&w, "eth1", "eth1", 3);
	nf_policy_decide(&v, w.ports, 3, &pp, 7 * S, &d);
	assert_int_equal(d.port, 2); /* eth3, not the damped eth2 */
	set_health(&w, 2, false, 7 * S);
	nf_policy_decide(&v, w.ports, 3, &pp, 7 * S, &d);
	assert_int_equal(d.verdict, NF_MOVE);
	assert_int_equal(d.port, 1); /* damped, but the only healthy one */
	assert_non_null(strstr(d.why, "damped"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_placement_prefers_home),
	    cmocka_unit_test(test_failover_to_least_loaded),
	    cmocka_unit_test(test_spread_of_several_vips),
	    cmocka_unit_test(test_no_healthy_port),
	    cmocka_unit_test(test_revert_after_hold_down),
	    cmocka_unit_test(test_damping_bounds_moves),
	    cmocka_unit_test(test_damped_port_is_last_resort),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
