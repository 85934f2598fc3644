/*
 * test_move.c - the move state machine (vserver/vs_move.h): every path, a
 * failure injected at every step, a restart (or a new master) from every
 * journal state, and a randomised simulation of three nodes with crashes,
 * fencing, failed mounts and slow nodes in which no two nodes ever hold the
 * VS at once and the VS ends up served once the faults stop.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vserver/vs_move.h"

#define S (1000000ULL)

static const struct vs_move_node up_stopped = {
    .member = true, .fenceable = true, .word = VS_MOVE_W_STOPPED};
static const struct vs_move_node up_busy = {
    .member = true, .fenceable = true, .word = VS_MOVE_W_BUSY};
static const struct vs_move_node up_running = {
    .member = true, .fenceable = true, .word = VS_MOVE_W_RUNNING};
static const struct vs_move_node up_failed = {
    .member = true, .fenceable = true, .word = VS_MOVE_W_FAILED};
static const struct vs_move_node gone = {.member = false, .fenceable = true};
static const struct vs_move_node gone_fenced = {.member = false, .fenced = true, .fenceable = true};
static const struct vs_move_node gone_nodev = {.member = false, .fenceable = false};

static struct vs_move_facts facts(struct vs_move_node from, struct vs_move_node to, bool can,
                                  const char *next)
{
	struct vs_move_facts f = {.from = from, .to = to, .to_can_serve = can, .next = next};
	return f;
}

static void step(struct vs_move *m, struct vs_move_facts f, uint64_t now, enum vs_move_state want,
                 const char *place, bool fence)
{
	struct vs_move_out o;
	struct vs_move copy = *m;
	struct vs_move_out o2;

	vs_move_step(m, &f, now, &o);
	if (m->state != want)
		fail_msg("state %s, wanted %s (%s)", vs_move_state_name(m->state),
		         vs_move_state_name(want), o.text);
	assert_string_equal(o.place, place);
	assert_int_equal(o.fence_from, fence);
	assert_string_equal(vs_move_place(m), place);
	/* A new master (or a restarted one) holds the same journal entry: with
	 * the same facts it takes the same step. */
	vs_move_step(&copy, &f, now, &o2);
	assert_memory_equal(&copy, m, sizeof(copy));
	assert_string_equal(o2.text, o.text);
}

static void test_first_start(void **state)
{
	struct vs_move m;
	vs_move_init(&m, 1, "vs1", "", "n1", VS_MOVE_START, "not placed yet", 1 * S);
	assert_string_equal(vs_move_place(&m), "");
	step(&m, facts(gone, up_stopped, true, NULL), 1 * S, VS_MOVE_ACQUIRING, "n1", false);
	step(&m, facts(gone, up_busy, true, NULL), 2 * S, VS_MOVE_ACQUIRING, "n1", false);
	step(&m, facts(gone, up_running, true, NULL), 3 * S, VS_MOVE_DONE, "n1", false);
	assert_true(vs_move_over(&m));
	assert_int_equal(m.at[VS_MOVE_DONE], 3 * S);
}

static void test_planned_migration(void **state)
{
	struct vs_move m;
	struct vs_move_out o;
	vs_move_init(&m, 2, "vs1", "n1", "n2", VS_MOVE_MIGRATE, "vsadm vserver migrate", 10 * S);
	/* Until the step is taken, the VS stays where it runs. */
	assert_string_equal(vs_move_place(&m), "n1");
	step(&m, facts(up_running, up_stopped, true, NULL), 10 * S, VS_MOVE_RELEASING, "", false);
	/* Still stopping on n1: nothing is placed anywhere, n2 does not start. */
	step(&m, facts(up_busy, up_stopped, true, NULL), 11 * S, VS_MOVE_RELEASING, "", false);
	/* n1 stopped it: released and acquiring on n2 in one step. */
	struct vs_move_facts f = facts(up_stopped, up_stopped, true, NULL);
	vs_move_step(&m, &f, 12 * S, &o);
	assert_int_equal(m.state, VS_MOVE_ACQUIRING);
	assert_string_equal(o.place, "n2");
	assert_true(o.changed);
	assert_non_null(strstr(o.text, "n1 released it in 2.0 s"));
	assert_non_null(strstr(o.text, "acquiring on n2"));
	step(&m, facts(up_stopped, up_running, true, NULL), 13 * S, VS_MOVE_DONE, "n2", false);
}

static void test_failover_waits_for_fencing(void **state)
{
	struct vs_move m;
	vs_move_init(&m, 3, "vs1", "n1", "n2", VS_MOVE_FAILOVER, "n1 left the cluster", 1 * S);
	/* n1 left with a fence device: powered off before anything. */
	step(&m, facts(gone, up_stopped, true, NULL), 1 * S, VS_MOVE_RELEASING, "", true);
	step(&m, facts(gone, up_stopped, true, NULL), 2 * S, VS_MOVE_RELEASING, "", true);
	step(&m, facts(gone_fenced, up_stopped, true, NULL), 3 * S, VS_MOVE_ACQUIRING, "n2", false);
	step(&m, facts(gone_fenced, up_running, true, NULL), 4 * S, VS_MOVE_DONE, "n2", false);

	/* Without a fence device: on at once, ext4 MMP guards the mount. */
	vs_move_init(&m, 4, "vs1", "n1", "n2", VS_MOVE_FAILOVER, "n1 left the cluster", 1 * S);
	struct vs_move_out o;
	struct vs_move_facts f = facts(gone_nodev, up_stopped, true, NULL);
	vs_move_step(&m, &f, 1 * S, &o);
	assert_int_equal(m.state, VS_MOVE_ACQUIRING);
	assert_non_null(strstr(o.text, "multi-mount protection"));
}

/* A failure injected at every step. */
static void test_failures_at_every_step(void **state)
{
	struct vs_move m;

	/* releasing: the source fails to stop it (a busy unmount): fenced once
	 * it has had the time to try. */
	vs_move_init(&m, 5, "vs1", "n1", "n2", VS_MOVE_MIGRATE, "x", 0);
	step(&m, facts(up_running, up_stopped, true, NULL), 1 * S, VS_MOVE_RELEASING, "", false);
	step(&m, facts(up_failed, up_stopped, true, NULL), 2 * S, VS_MOVE_RELEASING, "", false);
	step(&m, facts(up_failed, up_stopped, true, NULL), 1 * S + VS_MOVE_RELEASE_FAILED_USEC,
	     VS_MOVE_RELEASING, "", true);
	/* Powered off: it left, fenced. */
	step(&m, facts(gone_fenced, up_stopped, true, NULL), 30 * S, VS_MOVE_ACQUIRING, "n2",
	     false);
	/* A storage move whose source fails (its path hangs): not fenced (its
	 * other VSs stay); it has VS_MOVE_STORAGE_WAIT_USEC to finish its stop,
	 * then the target's mount waits for MMP (not clean: no MMP reset). */
	vs_move_init(&m, 6, "vs1", "n1", "n2", VS_MOVE_STORAGE, "n1 does not see LUN x", 0);
	step(&m, facts(up_busy, up_stopped, true, NULL), 1 * S, VS_MOVE_RELEASING, "", false);
	step(&m, facts(up_failed, up_stopped, true, NULL), 2 * S, VS_MOVE_RELEASING, "", false);
	step(&m, facts(up_failed, up_stopped, true, NULL), 1 * S + VS_MOVE_STORAGE_WAIT_USEC - 1,
	     VS_MOVE_RELEASING, "", false);
	struct vs_move_out so;
	struct vs_move_facts sf = facts(up_failed, up_stopped, true, NULL);
	vs_move_step(&m, &sf, 1 * S + VS_MOVE_STORAGE_WAIT_USEC, &so);
	assert_int_equal(m.state, VS_MOVE_ACQUIRING);
	assert_false(so.fence_from);
	assert_false(m.clean);
	assert_non_null(strstr(so.text, "multi-mount protection"));
	/* A source that goes on stopping (its path hangs: the unmount waits in
	 * the kernel, the word is busy) is not waited for past the storage wait
	 * either: left to MMP, not clean. */
	vs_move_init(&m, 6, "vs1", "n1", "n2", VS_MOVE_STORAGE, "n1 does not see LUN x", 0);
	step(&m, facts(up_failed, up_stopped, true, NULL), 1 * S, VS_MOVE_RELEASING, "", false);
	step(&m, facts(up_busy, up_stopped, true, NULL), 2 * S, VS_MOVE_RELEASING, "", false);
	step(&m, facts(up_busy, up_stopped, true, NULL), 1 * S + VS_MOVE_STORAGE_WAIT_USEC,
	     VS_MOVE_ACQUIRING, "n2", false);
	assert_false(m.clean);
	/* The same, but the source's stop ends (it unmounted although its path
	 * failed) within the wait: released clean, the target may reset MMP. */
	vs_move_init(&m, 6, "vs1", "n1", "n2", VS_MOVE_STORAGE, "n1 does not see LUN x", 0);
	step(&m, facts(up_failed, up_stopped, true, NULL), 1 * S, VS_MOVE_RELEASING, "", false);
	assert_false(m.clean);
	step(&m, facts(up_stopped, up_stopped, true, NULL), 2 * S, VS_MOVE_ACQUIRING, "n2", false);
	assert_true(m.clean);
	/* The target fails: releasing again from it, not clean until it says so. */
	step(&m, facts(up_stopped, up_failed, true, "n3"), 3 * S, VS_MOVE_RELEASING, "", false);
	assert_false(m.clean);
	/* Without a fence device: the same once the wait is over. */
	struct vs_move_node nodev_failed = up_failed;
	nodev_failed.fenceable = false;
	vs_move_init(&m, 6, "vs1", "n1", "n2", VS_MOVE_MIGRATE, "x", 0);
	step(&m, facts(nodev_failed, up_stopped, true, NULL), 1 * S, VS_MOVE_RELEASING, "", false);
	step(&m, facts(nodev_failed, up_stopped, true, NULL), 100 * S, VS_MOVE_ACQUIRING, "n2",
	     false);

	/* releasing: no word from the source in time: fenced. */
	vs_move_init(&m, 7, "vs1", "n1", "n2", VS_MOVE_MIGRATE, "x", 0);
	step(&m, facts(up_busy, up_stopped, true, NULL), 0, VS_MOVE_RELEASING, "", false);
	step(&m, facts(up_busy, up_stopped, true, NULL), VS_MOVE_RELEASE_USEC, VS_MOVE_RELEASING,
	     "", false);
	step(&m, facts(up_busy, up_stopped, true, NULL), VS_MOVE_RELEASE_USEC + 1,
	     VS_MOVE_RELEASING, "", true);

	/* released: the planned target can no longer serve: the next candidate. */
	vs_move_init(&m, 8, "vs1", "n1", "n2", VS_MOVE_MIGRATE, "x", 0);
	step(&m, facts(up_running, up_stopped, true, NULL), 1 * S, VS_MOVE_RELEASING, "", false);
	step(&m, facts(up_stopped, up_stopped, false, "n3"), 2 * S, VS_MOVE_ACQUIRING, "n3", false);
	assert_string_equal(m.to, "n3");

	/* acquiring: the target crashes: it is fenced (releasing from it), then
	 * the next candidate. */
	vs_move_init(&m, 9, "vs1", "n1", "n2", VS_MOVE_FAILOVER, "n1 left", 0);
	step(&m, facts(gone_fenced, up_stopped, true, NULL), 1 * S, VS_MOVE_ACQUIRING, "n2", false);
	step(&m, facts(gone_fenced, gone, true, NULL), 2 * S, VS_MOVE_RELEASING, "", false);
	assert_string_equal(m.from, "n2");
	assert_int_equal(m.attempts, 1);
	step(&m, facts(gone, gone, false, "n3"), 2 * S, VS_MOVE_RELEASING, "", true);
	step(&m, facts(gone_fenced, gone_fenced, false, "n3"), 3 * S, VS_MOVE_ACQUIRING, "n3",
	     false);
	step(&m, facts(gone_fenced, up_running, true, NULL), 4 * S, VS_MOVE_DONE, "n3", false);
	assert_int_equal(m.n_tried, 1);
	assert_string_equal(m.tried[0], "n2");

	/* acquiring: the mount fails on the target: it stops, then the next. */
	vs_move_init(&m, 10, "vs1", "", "n2", VS_MOVE_START, "x", 0);
	step(&m, facts(gone, up_busy, true, NULL), 1 * S, VS_MOVE_ACQUIRING, "n2", false);
	step(&m, facts(gone, up_failed, true, NULL), 2 * S, VS_MOVE_RELEASING, "", false);
	step(&m, facts(up_failed, up_failed, true, NULL), 3 * S, VS_MOVE_RELEASING, "", false);
	step(&m, facts(up_stopped, up_stopped, true, "n1"), 4 * S, VS_MOVE_ACQUIRING, "n1", false);

	/* ... and when no other node can serve it: stuck, then the same target
	 * again after the retry wait. */
	vs_move_init(&m, 11, "vs1", "", "n2", VS_MOVE_START, "x", 0);
	step(&m, facts(gone, up_busy, true, NULL), 1 * S, VS_MOVE_ACQUIRING, "n2", false);
	step(&m, facts(gone, up_failed, true, NULL), 2 * S, VS_MOVE_RELEASING, "", false);
	struct vs_move_facts f = facts(up_stopped, up_stopped, true, NULL);
	f.retry_tried = true;
	struct vs_move_out o;
	vs_move_step(&m, &f, 3 * S, &o);
	assert_int_equal(m.state, VS_MOVE_STUCK);
	assert_string_equal(o.place, "");
	vs_move_step(&m, &f, 3 * S + VS_MOVE_RETRY_USEC - 1, &o);
	assert_int_equal(m.state, VS_MOVE_STUCK);
	assert_false(o.changed);
	vs_move_step(&m, &f, 3 * S + VS_MOVE_RETRY_USEC, &o);
	assert_int_equal(m.state, VS_MOVE_ACQUIRING);
	assert_string_equal(o.place, "n2");

	/* acquiring: no word from the target in time. */
	vs_move_init(&m, 12, "vs1", "", "n2", VS_MOVE_START, "x", 0);
	step(&m, facts(gone, up_busy, true, NULL), 0, VS_MOVE_ACQUIRING, "n2", false);
	step(&m, facts(gone, up_busy, true, NULL), VS_MOVE_ACQUIRE_USEC, VS_MOVE_ACQUIRING, "n2",
	     false);
	step(&m, facts(gone, up_busy, true, NULL), VS_MOVE_ACQUIRE_USEC + 1, VS_MOVE_RELEASING, "",
	     false);

	/* stuck, then a node that can serve comes. */
	vs_move_init(&m, 13, "vs1", "n1", "", VS_MOVE_FAILOVER, "x", 0);
	step(&m, facts(gone_fenced, gone, false, NULL), 1 * S, VS_MOVE_STUCK, "", false);
	step(&m, facts(gone_fenced, gone, false, NULL), 2 * S, VS_MOVE_STUCK, "", false);
	step(&m, facts(gone_fenced, gone, false, "n3"), 3 * S, VS_MOVE_ACQUIRING, "n3", false);
}

/* The journal's trimming: what stays is every move under way, the newest
 * done ones, and each configured VS's newest move however old. */
static bool not_gone(void *arg, const char *vs)
{
	return strcmp(vs, "gone") != 0;
}

static void test_trim(void **state)
{
	enum { N = 40 };
	struct vs_move mv[N];
	char vs[16];

	/* 0: "old" (its only move), 1: "gone" (deleted), 2: "busy" under way,
	 * 3..39: "hot" done, over and over. */
	for (int i = 0; i < N; i++) {
		snprintf(vs, sizeof(vs), "%s",
		         i == 0   ? "old"
		         : i == 1 ? "gone"
		         : i == 2 ? "busy"
		                  : "hot");
		vs_move_init(&mv[i], (uint64_t)i + 1, vs, "n1", "n2", VS_MOVE_BALANCE, "test",
		             (uint64_t)i * S);
		if (i != 2) {
			mv[i].state = VS_MOVE_DONE;
			mv[i].at[VS_MOVE_DONE] = (uint64_t)i * S + 1;
		}
	}
	int n = vs_move_trim(mv, N, 3, not_gone, NULL);
	assert_int_equal(n, 5);
	/* In the order made: old's only move, busy's, the three newest. */
	assert_string_equal(mv[0].vs, "old");
	assert_int_equal(mv[0].id, 1);
	assert_string_equal(mv[1].vs, "busy");
	assert_false(vs_move_over(&mv[1]));
	for (int k = 0; k < 3; k++)
		assert_int_equal(mv[2 + k].id, N - 2 + k);
	/* Trimming again changes nothing; with no recent ones kept, each
	 * VS's newest and the one under way. */
	assert_int_equal(vs_move_trim(mv, n, 3, not_gone, NULL), 5);
	assert_int_equal(vs_move_trim(mv, n, 0, not_gone, NULL), 3);
	assert_int_equal(mv[2].id, N); /* hot's newest; its two before it went */
}

static void test_names(void **state)
{
	enum vs_move_state s;
	enum vs_move_kind k;
	for (int i = 0; i < VS_MOVE_NSTATES; i++) {
		assert_int_equal(vs_move_state_parse(vs_move_state_name(i), &s), 0);
		assert_int_equal(s, i);
	}
	for (int i = 0; i < VS_MOVE_NKINDS; i++) {
		assert_int_equal(vs_move_kind_parse(vs_move_kind_name(i), &k), 0);
		assert_int_equal(k, i);
	}
	assert_int_equal(vs_move_state_parse("runnin", &s), -EINVAL);
	assert_int_equal(vs_move_kind_parse(NULL, &k), -EINVAL);
}

/* --- a simulation: three nodes, the master stepping the move ----------------- */

#define NN 3
static const char *const names[NN] = {"n1", "n2", "n3"};

struct simnode {
	bool alive;   /* powered and its agent running */
	bool member;  /* in the membership (an unfenced crashed node is not) */
	bool fenced;  /* powered off by the master since it left */
	bool mounted; /* holds the file system (the kernel's view) */
	bool bad;     /* its mounts fail */
	bool placed;  /* the last placement it heard gives it the VS */
	int busy;     /* steps left while mounting or unmounting */
	bool unmounting;
};

static int idx(const char *n)
{
	for (int i = 0; i < NN; i++)
		if (n && strcmp(n, names[i]) == 0)
			return i;
	return -1;
}

static struct vs_move_node view(const struct simnode *s)
{
	struct vs_move_node v = {.member = s->member, .fenced = s->fenced, .fenceable = true};
	if (!s->member)
		return v;
	v.word = s->busy || s->unmounting ? VS_MOVE_W_BUSY
	         : s->mounted             ? VS_MOVE_W_RUNNING
	         : (s->bad && s->placed)  ? VS_MOVE_W_FAILED
	                                  : VS_MOVE_W_STOPPED;
	return v;
}

static void test_simulation(void **state)
{
	unsigned seed = 12345;
	int served = 0, runs = 0;

	for (int run = 0; run < 2000; run++) {
		struct simnode n[NN] = {0};
		struct vs_move m;
		uint64_t now = 0;
		int cur = 0;

		for (int i = 0; i < NN; i++)
			n[i].alive = n[i].member = true;
		n[0].mounted = true;
		vs_move_init(&m, 1, "vs1", "n1", "n2", VS_MOVE_MIGRATE, "sim", now);
		for (int t = 0; t < 200; t++) {
			now += S;
			/* Faults, only in the first half. */
			if (t < 100) {
				int r = rand_r(&seed) % 100, who = rand_r(&seed) % NN;
				if (r < 4 && n[who].alive) { /* crash: mounts stay */
					n[who].alive = n[who].member = false;
					n[who].busy = 0;
					n[who].unmounting = false;
				} else if (r < 6 && !n[who].alive && n[who].fenced) {
					/* reboot: nothing mounted, a member again */
					n[who] = (struct simnode){.alive = true, .member = true};
				} else if (r < 8) {
					n[who].bad = !n[who].bad;
				}
			} else {
				for (int i = 0; i < NN; i++)
					n[i].bad = false;
				for (int i = 0; i < NN; i++)
					if (!n[i].alive && n[i].fenced)
						n[i] =
						    (struct simnode){.alive = true, .member = true};
			}
			/* The master: facts from the nodes, one step. */
			int fi = idx(m.from), ti = idx(m.to), next = -1;
			for (int i = 0; i < NN; i++)
				if (i != ti && n[i].member && !n[i].bad && next < 0) {
					bool was_tried = false;
					for (int k = 0; k < m.n_tried; k++)
						was_tried |= strcmp(m.tried[k], names[i]) == 0;
					if (!was_tried)
						next = i;
				}
			struct vs_move_facts f = {
			    .from = fi >= 0 ? view(&n[fi]) : (struct vs_move_node){0},
			    .to = ti >= 0 ? view(&n[ti]) : (struct vs_move_node){0},
			    .to_can_serve = ti >= 0 && !n[ti].bad,
			    .next = next >= 0 ? names[next] : NULL,
			    .retry_tried = next < 0,
			};
			struct vs_move_out o;
			vs_move_step(&m, &f, now, &o);
			if (o.fence_from && fi >= 0 && !n[fi].fenced) {
				n[fi].alive = n[fi].member = false;
				n[fi].mounted = false;
				n[fi].fenced = true;
				n[fi].busy = 0;
				n[fi].unmounting = false;
			}
			/* The nodes: each follows the placement it hears. */
			int pi = idx(o.place);
			for (int i = 0; i < NN; i++) {
				struct simnode *s = &n[i];
				if (!s->alive)
					continue;
				s->placed = i == pi;
				/* Holding from the start of a mount to the end of an
				 * unmount; each takes a few steps. */
				if (s->busy) {
					if (--s->busy == 0 && s->unmounting) {
						s->mounted = false;
						s->unmounting = false;
					}
					continue;
				}
				if (s->placed && !s->mounted && !s->bad) {
					s->mounted = true;
					s->busy = rand_r(&seed) % 3;
				} else if (!s->placed && s->mounted) {
					s->unmounting = true;
					s->busy = 1 + rand_r(&seed) % 3;
				}
			}
			/* The invariant: never two nodes holding it. */
			int holders = 0;
			for (int i = 0; i < NN; i++)
				holders += n[i].mounted;
			if (holders > 1)
				fail_msg(
				    "run %d, t %d: %d nodes hold the VS (move %s, from %s, to %s)",
				    run, t, holders, vs_move_state_name(m.state), m.from, m.to);
			cur = pi;
		}
		runs++;
		/* Faults stopped: it ends up served exactly once. */
		if (m.state == VS_MOVE_DONE && cur >= 0 && n[cur].mounted)
			served++;
		else
			fail_msg("run %d: not served after the faults stopped (%s, to %s)", run,
			         vs_move_state_name(m.state), m.to);
	}
	assert_int_equal(served, runs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_start),
	    cmocka_unit_test(test_planned_migration),
	    cmocka_unit_test(test_failover_waits_for_fencing),
	    cmocka_unit_test(test_failures_at_every_step),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_trim),
	    cmocka_unit_test(test_simulation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
