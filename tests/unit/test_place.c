/*
 * test_place.c - placement: spreading a dead node's VSs by load, highest
 * priority first, constraints (LUNs, healthy ports), pinned VSs waiting,
 * VSs staying put, and a 16-node 1000-VS simulation for sanity; planned
 * moves (a table: evacuation, migration, auto-revert and the negative of
 * each, with the kind of every move), the revert hold-down.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vserver/vs_place.h"

static bool any_port(const char *p, void *a)
{
	return true;
}

static void add_vs(struct vs_config *c, const char *name, int prio, bool pinned, const char *home,
                   const char *lun, const char *vip)
{
	char err[VS_ERR_LEN];

	assert_int_equal(vs_config_create(c, name, prio, pinned, home, err, sizeof(err)), 0);
	assert_int_equal(vs_config_vip_add(c, name, vip, "eth1", any_port, NULL, err, sizeof(err)),
	                 0);
	assert_int_equal(vs_config_fs_add(c, name, "data", lun, err, sizeof(err)), 0);
	assert_int_equal(vs_config_set_admin(c, name, VS_ADMIN_RUNNING, err, sizeof(err)), 0);
}

static void report(struct vs_node_report *r, const char *node, unsigned cap, const char *luns)
{
	char buf[512], *save = NULL;

	memset(r, 0, sizeof(*r));
	snprintf(r->node, sizeof(r->node), "%s", node);
	r->capacity = cap;
	snprintf(buf, sizeof(buf), "%s", luns);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		snprintf(r->luns[r->n_luns++], sizeof(r->luns[0]), "%s", t);
	snprintf(r->healthy_ports[r->n_ports++], sizeof(r->healthy_ports[0]), "eth1");
}

#define ALL "LABEL=l0,LABEL=l1,LABEL=l2,LABEL=l3,LABEL=l4"

static void test_initial_spread_and_home(void **state)
{
	struct vs_config *c = calloc(1, sizeof(*c));
	struct vs_placement *pl = calloc(1, sizeof(*pl));
	struct vs_node_report r[3];
	const char *m[] = {"n1", "n2", "n3"};
	int nn = 0;

	add_vs(c, "a", 50, false, "", "LABEL=l0", "192.0.2.1/24");
	add_vs(c, "b", 50, false, "", "LABEL=l1", "192.0.2.2/24");
	add_vs(c, "c", 50, false, "n3", "LABEL=l2", "192.0.2.3/24");
	report(&r[0], "n1", 1, ALL);
	report(&r[1], "n2", 1, ALL);
	report(&r[2], "n3", 1, ALL);
	vs_place(c, m, 3, r, 3, NULL, pl, NULL, 0, &nn);
	assert_int_equal(pl->n, 3);
	assert_string_equal(vs_placement_node(pl, "c"), "n3"); /* home */
	/* a and b spread over n1 and n2 (n3 has c). */
	assert_string_not_equal(vs_placement_node(pl, "a"), vs_placement_node(pl, "b"));
	assert_string_not_equal(vs_placement_node(pl, "a"), "n3");
	vs_config_free(c);
	free(c);
	free(pl);
}

static void test_dead_node_priority_and_spread(void **state)
{
	struct vs_config *c = calloc(1, sizeof(*c));
	struct vs_placement *cur = calloc(1, sizeof(*cur)), *next = calloc(1, sizeof(*next));
	struct vs_node_report r[3];
	struct vs_place_note notes[16];
	const char *m[] = {"n2", "n3"};
	int nn = 0;

	add_vs(c, "low", 10, false, "", "LABEL=l0", "192.0.2.1/24");
	add_vs(c, "high", 90, false, "", "LABEL=l1", "192.0.2.2/24");
	add_vs(c, "mid", 50, false, "", "LABEL=l2", "192.0.2.3/24");
	add_vs(c, "mid2", 50, false, "", "LABEL=l3", "192.0.2.4/24");
	for (int i = 0; i < 4; i++) {
		snprintf(cur->e[i].vs, sizeof(cur->e[i].vs), "%s", c->vservers[i].name);
		snprintf(cur->e[i].node, sizeof(cur->e[i].node), "n1");
	}
	cur->n = 4;
	report(&r[1], "n2", 1, ALL);
	report(&r[2], "n3", 1, ALL);
	vs_place(c, m, 2, &r[1], 2, cur, next, notes, 16, &nn);
	assert_int_equal(next->n, 4);
	assert_int_equal(nn, 4);
	/* Highest priority first: the first note is about "high". */
	assert_string_equal(notes[0].vs, "high");
	assert_non_null(strstr(notes[0].text, "n1 left the cluster"));
	assert_string_equal(notes[3].vs, "low");
	/* Two and two. */
	int on2 = 0;
	for (int i = 0; i < next->n; i++)
		on2 += strcmp(next->e[i].node, "n2") == 0;
	assert_int_equal(on2, 2);
	vs_config_free(c);
	free(c);
	free(cur);
	free(next);
}

static void test_constraints(void **state)
{
	struct vs_config *c = calloc(1, sizeof(*c));
	struct vs_placement *next = calloc(1, sizeof(*next));
	struct vs_node_report r[2];
	struct vs_place_note notes[4];
	const char *m[] = {"n1", "n2"};
	int nn = 0;

	add_vs(c, "a", 50, false, "", "LABEL=l4", "192.0.2.1/24");
	report(&r[0], "n1", 4, "LABEL=l0"); /* n1 lost its path to l4 */
	report(&r[1], "n2", 1, ALL);
	vs_place(c, m, 2, r, 2, NULL, next, notes, 4, &nn);
	assert_string_equal(vs_placement_node(next, "a"), "n2");
	/* No healthy port on n2 either: nowhere. */
	r[1].n_ports = 0;
	vs_place(c, m, 2, r, 2, NULL, next, notes, 4, &nn);
	assert_null(vs_placement_node(next, "a"));
	assert_non_null(strstr(notes[0].text, "cannot run anywhere"));
	vs_config_free(c);
	free(c);
	free(next);
}

static void test_pinned_waits(void **state)
{
	struct vs_config *c = calloc(1, sizeof(*c));
	struct vs_placement *next = calloc(1, sizeof(*next));
	struct vs_node_report r[2];
	struct vs_place_note notes[4];
	const char *m[] = {"n2", "n3"};
	const char *all[] = {"n1", "n2", "n3"};
	struct vs_node_report r3[3];
	int nn = 0;

	add_vs(c, "p", 80, true, "n1", "LABEL=l0", "192.0.2.1/24");
	report(&r[0], "n2", 1, ALL);
	report(&r[1], "n3", 1, ALL);
	vs_place(c, m, 2, r, 2, NULL, next, notes, 4, &nn);
	assert_null(vs_placement_node(next, "p"));
	assert_non_null(strstr(notes[0].text, "waits for its node"));
	report(&r3[0], "n1", 1, ALL);
	report(&r3[1], "n2", 1, ALL);
	report(&r3[2], "n3", 1, ALL);
	vs_place(c, all, 3, r3, 3, next, next, notes, 4, &nn);
	assert_string_equal(vs_placement_node(next, "p"), "n1");
	vs_config_free(c);
	free(c);
	free(next);
}

static void test_stays_put(void **state)
{
	struct vs_config *c = calloc(1, sizeof(*c));
	struct vs_placement *cur = calloc(1, sizeof(*cur)), *next = calloc(1, sizeof(*next));
	struct vs_node_report r[2];
	const char *m[] = {"n1", "n2"};
	int nn = 0;

	add_vs(c, "a", 50, false, "n1", "LABEL=l0", "192.0.2.1/24");
	add_vs(c, "b", 50, false, "", "LABEL=l1", "192.0.2.2/24");
	cur->n = 2;
	strcpy(cur->e[0].vs, "a");
	strcpy(cur->e[0].node, "n2"); /* away from home, but healthy: no flapping back */
	strcpy(cur->e[1].vs, "b");
	strcpy(cur->e[1].node, "n2");
	report(&r[0], "n1", 1, ALL);
	report(&r[1], "n2", 1, ALL);
	vs_place(c, m, 2, r, 2, cur, next, NULL, 0, &nn);
	assert_string_equal(vs_placement_node(next, "a"), "n2");
	assert_string_equal(vs_placement_node(next, "b"), "n2");
	assert_int_equal(nn, 0);
	/* A master that just took over has no report of n2 yet (only n1's):
	 * n2 keeps its VSs; a move needs evidence (seen in the lab: a
	 * rejoining master moved a VS "n2 has not reported yet"). */
	vs_place(c, m, 2, r, 1, cur, next, NULL, 0, &nn);
	assert_string_equal(vs_placement_node(next, "a"), "n2");
	assert_string_equal(vs_placement_node(next, "b"), "n2");
	assert_int_equal(nn, 0);
	/* Stopped by the administrator: no longer placed. */
	c->vservers[1].admin = VS_ADMIN_STOPPED;
	vs_place(c, m, 2, r, 2, cur, next, NULL, 0, &nn);
	assert_null(vs_placement_node(next, "b"));
	vs_config_free(c);
	free(c);
	free(cur);
	free(next);
}

static void put(struct vs_placement *pl, const char *vs, const char *node)
{
	snprintf(pl->e[pl->n].vs, sizeof(pl->e[0].vs), "%s", vs);
	snprintf(pl->e[pl->n].node, sizeof(pl->e[0].node), "%s", node);
	pl->n++;
}

static bool unfenced(const char *node, void *arg)
{
	/* arg: the nodes already fenced or without a fence device, ","-joined */
	char key[40];
	snprintf(key, sizeof(key), ",%s,", node);
	return !strstr((const char *)arg, key);
}

static void test_fence_before_takeover(void **state)
{
	struct vs_placement cur = {0}, next = {0};
	const char *m[] = {"n2", "n3"};

	put(&cur, "a", "n1");
	put(&cur, "b", "n2");
	put(&cur, "c", "n4");
	/* a leaves dead n1, c stays on dead n4 (pinned, waiting), b stays. */
	put(&next, "b", "n2");
	put(&next, "a", "n3");
	put(&next, "c", "n4");
	assert_string_equal(vs_place_to_fence(&cur, &next, m, 2, unfenced, ","), "n1");
	/* Once n1 is fenced (or has no device), nothing holds the move. */
	assert_null(vs_place_to_fence(&cur, &next, m, 2, unfenced, ",n1,"));
	/* A VS leaving a live member (balancing, lost port) needs no fencing. */
	struct vs_placement cur2 = {0}, next2 = {0};
	put(&cur2, "b", "n2");
	put(&next2, "b", "n3");
	assert_null(vs_place_to_fence(&cur2, &next2, m, 2, unfenced, ","));
	/* A new VS (nowhere before) needs none either. */
	struct vs_placement next3 = {0};
	put(&next3, "z", "n2");
	assert_null(vs_place_to_fence(&cur, &next3, m, 2, unfenced, ","));
}

static void test_minority_and_stale_runs_nothing(void **state)
{
	struct vs_placement pl = {0};

	put(&pl, "a", "n1");
	/* Quorate, placed here, placement heard: runs. */
	assert_true(vs_place_runs_here(&pl, "a", "n1", true, true, false));
	/* A node of a minority partition (or cut off) runs nothing. */
	assert_false(vs_place_runs_here(&pl, "a", "n1", false, true, true));
	/* Placed elsewhere, or not placed: not here. */
	assert_false(vs_place_runs_here(&pl, "a", "n2", true, true, true));
	assert_false(vs_place_runs_here(&pl, "b", "n1", true, true, true));
	/* After a boot, before the master speaks: only what still runs here. */
	assert_false(vs_place_runs_here(&pl, "a", "n1", true, false, false));
	assert_true(vs_place_runs_here(&pl, "a", "n1", true, false, true));
	/* ... wherever the stored (maybe stale) placement puts it: neither
	 * started nor stopped before the master's word. */
	assert_true(vs_place_runs_here(&pl, "a", "n2", true, false, true));
	assert_false(vs_place_runs_here(&pl, "a", "n2", true, false, false));
	assert_false(vs_place_runs_here(&pl, "a", "n2", false, false, true));
}

static void test_simulation_16_nodes(void **state)
{
	/* 16 nodes, 250 VSs (the model's limit is 256): all placed, spread
	 * within one VS of even; then a node dies and only its VSs move. */
	struct vs_config *c = calloc(1, sizeof(*c));
	struct vs_placement *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct vs_node_report *r = calloc(16, sizeof(*r));
	const char *m[16];
	char names[16][8];
	int nn;

	for (int i = 0; i < 16; i++) {
		snprintf(names[i], sizeof(names[i]), "n%02d", i);
		m[i] = names[i];
		report(&r[i], names[i], 1, "");
	}
	/* Reports list at most 64 LUNs: the spread is tested with LUN-free VSs. */
	for (int v = 0; v < 250; v++) {
		char name[16], vip[32];
		snprintf(name, sizeof(name), "vs%03d", v);
		snprintf(vip, sizeof(vip), "192.0.%d.%d/16", 2 + v / 200, 1 + v % 200);
		add_vs(c, name, v % 100, false, "", "LABEL=x", vip);
		c->vservers[c->n_vservers - 1].n_fs = 0;
	}
	vs_place(c, m, 16, r, 16, NULL, a, NULL, 0, &nn);
	assert_int_equal(a->n, 250);
	int count[16] = {0}, lo = 1000, hi = 0;
	for (int i = 0; i < a->n; i++)
		count[atoi(a->e[i].node + 1)]++;
	for (int i = 0; i < 16; i++) {
		lo = count[i] < lo ? count[i] : lo;
		hi = count[i] > hi ? count[i] : hi;
	}
	assert_true(hi - lo <= 1);
	/* n05 dies. */
	const char *m2[15];
	for (int i = 0, k = 0; i < 16; i++)
		if (i != 5)
			m2[k++] = m[i];
	vs_place(c, m2, 15, r, 16, a, b, NULL, 0, &nn);
	assert_int_equal(b->n, 250);
	int moved = 0;
	for (int i = 0; i < b->n; i++) {
		const char *was = vs_placement_node(a, b->e[i].vs);
		assert_string_not_equal(b->e[i].node, "n05");
		moved += strcmp(was, b->e[i].node) != 0;
	}
	assert_int_equal(moved, count[5]);
	vs_config_free(c);
	free(c);
	free(a);
	free(b);
	free(r);
}

/* --- planned moves: maintenance, migration, auto-revert (R8) ---------------- */

static bool listed(const char *list, const char *node)
{
	char key[40], all[128];

	snprintf(key, sizeof(key), ",%s,", node);
	snprintf(all, sizeof(all), ",%s,", list ? list : "");
	return strstr(all, key) != NULL;
}

#define NOW (1000ULL * 1000000)
#define SINCE_NULL UINT64_MAX /* member_since NULL: long enough ago */
#define NO_NOTE -1

/* One VS "a" (LUN l0) and the nodes n1..n3 (members unless said otherwise). */
struct row {
	const char *what;
	const char *home, *at, *on; /* on: where it runs now (NULL: nowhere) */
	bool pinned, no_revert;
	const char *maint;   /* nodes under maintenance, ","-joined */
	const char *members; /* NULL = "n1,n2,n3" */
	const char *blind;   /* members that do not see LUN l0 */
	uint64_t home_age;   /* how long the home node has been a member */
	const char *want;    /* where a is placed; NULL = nowhere */
	int kind;            /* of the note about a; NO_NOTE: none */
	const char *needle;  /* in that note */
	const char *failed;  /* nodes where a's servers kept failing (ctx.failed) */
};

static const struct row rows[] = {
    /* Maintenance. */
    {"evacuated", "", "", "n1", false, false, "n1", NULL, NULL, 0, "n2", VS_MOVE_EVACUATE,
     "moved n1->n2: n1 is being evacuated", NULL},
    {"evacuated to its home", "n3", "", "n1", false, false, "n1", NULL, NULL, 0, "n3",
     VS_MOVE_EVACUATE, "n1 is being evacuated", NULL},
    {"evacuated, nowhere else", "", "", "n1", false, false, "n1", NULL, "n2,n3", 0, "n1",
     VS_MOVE_NKINDS,
     "stays on n1 (being evacuated): no other node can serve it (n2 does not see LUN "
     "LABEL=l0)",
     NULL},
    {"evacuated, the others too", "", "", "n1", false, false, "n1,n2", "n1,n2", NULL, 0, "n1",
     VS_MOVE_NKINDS, "stays on n1 (being evacuated): every other node is under maintenance", NULL},
    {"evacuated, alone", "", "", "n1", false, false, "n1", "n1", NULL, 0, "n1", VS_MOVE_NKINDS,
     "stays on n1 (being evacuated): no other node is a member", NULL},
    {"pinned on an evacuated node", "n1", "", "n1", true, false, "n1", NULL, NULL, 0, "n1",
     VS_MOVE_NKINDS, "stays on n1 (being evacuated): it is pinned", NULL},
    {"pinned, its node under maintenance", "n1", "", NULL, true, false, "n1", NULL, NULL, 0, NULL,
     VS_MOVE_NKINDS, "pinned to n1, which is under maintenance", NULL},
    {"new, its home under maintenance", "n1", "", NULL, false, false, "n1", NULL, NULL, 0, "n2",
     VS_MOVE_START, "placed on n2", NULL},
    {"maintenance elsewhere", "", "", "n1", false, false, "n2", NULL, NULL, 0, "n1", NO_NOTE, NULL,
     NULL},
    /* Migration. */
    {"migrated", "", "n2", "n1", false, false, "", NULL, NULL, 0, "n2", VS_MOVE_MIGRATE,
     "moved n1->n2: migrated there by the administrator", NULL},
    {"migrated before it ran", "", "n3", NULL, false, false, "", NULL, NULL, 0, "n3", VS_MOVE_START,
     "placed on n3, where the administrator migrated it", NULL},
    {"migrated where it runs", "n1", "n2", "n2", false, false, "", NULL, NULL, 60, "n2", NO_NOTE,
     NULL, NULL},
    {"migrated to a node without its LUN", "", "n3", "n1", false, false, "", NULL, "n3", 0, "n1",
     VS_MOVE_NKINDS, "stays on n1, not on n3 where it was migrated: n3 does not see LUN", NULL},
    {"migrated to a node away", "", "n4", "n1", false, false, "", NULL, NULL, 0, "n1",
     VS_MOVE_NKINDS, "n4 is not a member of the cluster", NULL},
    {"migrated to a node under maintenance", "", "n2", "n1", false, false, "n2", NULL, NULL, 0,
     "n1", VS_MOVE_NKINDS, "n2 is under maintenance", NULL},
    {"migrated, its node died", "", "n2", "n4", false, false, "", NULL, NULL, 0, "n2",
     VS_MOVE_FAILOVER, "moved n4->n2: n4 left the cluster; migrated there", NULL},
    {"migrated off an evacuated node", "", "n3", "n1", false, false, "n1", NULL, NULL, 0, "n3",
     VS_MOVE_EVACUATE, "n1 is being evacuated; migrated there", NULL},
    {"migrated nowhere, its node died", "", "n3", "n4", false, false, "", NULL, "n3", 0, "n1",
     VS_MOVE_FAILOVER, "n4 left the cluster; not on n3 where it was migrated", NULL},
    /* Auto-revert. */
    {"reverts after the hold-down", "n1", "", "n2", false, false, "", NULL, NULL, 31, "n1",
     VS_MOVE_REVERT, "moved n2->n1: back to its home node", NULL},
    {"hold-down not passed", "n1", "", "n2", false, false, "", NULL, NULL, 10, "n2", VS_MOVE_NKINDS,
     "goes back to its home node n1 once n1 has been a member for 30 s", NULL},
    {"reverts, no member_since", "n1", "", "n2", false, false, "", NULL, NULL, SINCE_NULL, "n1",
     VS_MOVE_REVERT, "back to its home node", NULL},
    {"auto-revert off", "n1", "", "n2", false, true, "", NULL, NULL, 60, "n2", NO_NOTE, NULL, NULL},
    {"pinned never moves", "n1", "", "n2", true, false, "", NULL, NULL, 60, "n2", NO_NOTE, NULL,
     NULL},
    {"home under maintenance", "n1", "", "n2", false, false, "n1", NULL, NULL, 60, "n2", NO_NOTE,
     NULL, NULL},
    {"home cannot serve", "n1", "", "n2", false, false, "", NULL, "n1", 60, "n2", NO_NOTE, NULL,
     NULL},
    {"home away", "n1", "", "n2", false, false, "", "n2,n3", NULL, 60, "n2", NO_NOTE, NULL, NULL},
    /* The kind of the other moves. */
    {"lost its LUN", "", "", "n1", false, false, "", NULL, "n1", 0, "n2", VS_MOVE_STORAGE,
     "moved n1->n2: n1 does not see LUN LABEL=l0", NULL},
    {"its node died", "", "", "n4", false, false, "", NULL, NULL, 0, "n1", VS_MOVE_FAILOVER,
     "n4 left the cluster", NULL},
    {"new", "", "", NULL, false, false, "", NULL, NULL, 0, "n1", VS_MOVE_START, "placed on n1",
     NULL},
    /* Servers that kept failing where the VS is placed. */
    {"failing where it runs", "", "", "n1", false, false, "", NULL, NULL, 0, "n2", VS_MOVE_RECOVER,
     "moved n1->n2: n1 could not run it (its servers kept failing)", "n1"},
    {"failing, nowhere else", "", "", "n1", false, false, "", NULL, "n2,n3", 0, "n1",
     VS_MOVE_NKINDS, "stays on n1: n1 could not run it (its servers kept failing)", "n1"},
    {"failing, pinned", "n1", "", "n1", true, false, "", NULL, NULL, 0, "n1", NO_NOTE, NULL, "n1"},
    {"no revert to a home it failed on", "n1", "", "n2", false, false, "", NULL, NULL, 60, "n2",
     NO_NOTE, NULL, "n1"},
    {"failed elsewhere only", "", "", "n1", false, false, "", NULL, NULL, 0, "n1", NO_NOTE, NULL,
     "n2"},
    {"migrated to a node it failed on", "", "n2", "n1", false, false, "", NULL, NULL, 0, "n1",
     VS_MOVE_NKINDS, "n2 could not run it (its servers failed there)", "n2"},
    {"failing, two nodes out", "", "", "n1", false, false, "", NULL, NULL, 0, "n3", VS_MOVE_RECOVER,
     "moved n1->n3", "n1,n2"},
};

/* A row's configuration, reports, current placement and context. */
struct fixture {
	struct vs_config *c;
	struct vs_placement *cur, *next;
	struct vs_node_report *r;
	const char *m[3];
	uint64_t since[3];
	struct vs_place_ctx x;
	struct vs_place_entry failed[3];
};

static void open_row(struct fixture *f, const struct row *w)
{
	static const char *const all[] = {"n1", "n2", "n3"};
	char err[VS_ERR_LEN], list[64], *save = NULL;
	int n = 0;

	f->c = calloc(1, sizeof(*f->c));
	f->cur = calloc(1, sizeof(*f->cur));
	f->next = calloc(1, sizeof(*f->next));
	f->r = calloc(3, sizeof(*f->r));
	assert_true(f->c && f->cur && f->next && f->r);
	add_vs(f->c, "a", 50, w->pinned, w->home, "LABEL=l0", "192.0.2.1/24");
	if (w->at[0])
		assert_int_equal(vs_config_set_at(f->c, "a", w->at, err, sizeof(err)), 0);
	if (w->no_revert)
		assert_int_equal(vs_config_set_auto_revert(f->c, "a", false, err, sizeof(err)), 0);
	snprintf(list, sizeof(list), "%s", w->maint);
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
		assert_int_equal(vs_config_maint(f->c, t, true, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++) {
		if (w->members && !listed(w->members, all[i]))
			continue;
		f->m[n] = all[i];
		report(&f->r[n], all[i], 1, listed(w->blind, all[i]) ? "LABEL=l9" : ALL);
		f->since[n] = strcmp(all[i], w->home) == 0 && w->home_age != SINCE_NULL
		                  ? NOW - w->home_age * 1000000
		                  : 0;
		n++;
	}
	if (w->on)
		put(f->cur, "a", w->on);
	f->x = (struct vs_place_ctx){.members = f->m,
	                             .n_members = n,
	                             .reports = f->r,
	                             .n_reports = n,
	                             .cur = f->cur,
	                             .now_usec = NOW,
	                             .member_since = w->home_age == SINCE_NULL ? NULL : f->since};
	for (int i = 0; i < 3; i++) {
		if (!w->failed || !listed(w->failed, all[i]))
			continue;
		snprintf(f->failed[f->x.n_failed].vs, sizeof(f->failed[0].vs), "a");
		snprintf(f->failed[f->x.n_failed].node, sizeof(f->failed[0].node), "%s", all[i]);
		f->x.n_failed++;
	}
	f->x.failed = f->failed;
}

static void close_row(struct fixture *f)
{
	vs_config_free(f->c);
	free(f->c);
	free(f->cur);
	free(f->next);
	free(f->r);
}

static void test_planned_moves_table(void **state)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		struct vs_place_note notes[8];
		struct fixture f;
		int nn = -1;

		open_row(&f, w);
		assert_int_equal(vs_place_ex(f.c, &f.x, f.next, notes, 8, &nn), 0);
		const char *got = vs_placement_node(f.next, "a");
		if (w->want ? !got || strcmp(got, w->want) != 0 : got != NULL)
			fail_msg("%s: placed on %s, want %s", w->what, got ? got : "nothing",
			         w->want ? w->want : "nothing");
		const struct vs_place_note *k = NULL;
		for (int j = 0; j < nn && !k; j++)
			if (strcmp(notes[j].vs, "a") == 0)
				k = &notes[j];
		if (w->kind == NO_NOTE && k)
			fail_msg("%s: unexpected note '%s'", w->what, k->text);
		if (w->kind != NO_NOTE &&
		    (!k || (int)k->kind != w->kind || !strstr(k->text, w->needle)))
			fail_msg("%s: note %s (kind %d), want '%s' (kind %d)", w->what,
			         k ? k->text : "none", k ? (int)k->kind : -1, w->needle, w->kind);
		/* A node under maintenance never takes a VS it did not hold. */
		if (got && vs_config_in_maint(f.c, got) && (!w->on || strcmp(w->on, got) != 0))
			fail_msg("%s: placed on %s, which is under maintenance", w->what, got);
		close_row(&f);
	}
}

/* The hold-down: nothing moves before it ends, the caller learns when it
 * ends, and vs_place (no clock) never reverts. */
static void test_revert_hold_down(void **state)
{
	const struct row *w = NULL;
	struct fixture f;
	int nn;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (strcmp(rows[i].what, "hold-down not passed") == 0)
			w = &rows[i];
	assert_non_null(w);
	open_row(&f, w);
	/* n1 (home) joined 10 s ago: due 20 s from now. */
	assert_true(vs_place_revert_due(f.c, &f.x) == NOW + 20ULL * 1000000);
	/* Every second until then: nothing moves. */
	for (uint64_t t = NOW; t < NOW + 20ULL * 1000000; t += 1000000) {
		f.x.now_usec = t;
		assert_int_equal(vs_place_ex(f.c, &f.x, f.next, NULL, 0, &nn), 0);
		assert_string_equal(vs_placement_node(f.next, "a"), "n2");
	}
	f.x.now_usec = NOW + 20ULL * 1000000;
	assert_int_equal(vs_place_ex(f.c, &f.x, f.next, NULL, 0, &nn), 0);
	assert_string_equal(vs_placement_node(f.next, "a"), "n1");
	/* Nothing waits any more once it is home. */
	f.x.cur = f.next;
	assert_true(vs_place_revert_due(f.c, &f.x) == 0);
	f.x.cur = f.cur;
	/* A hold-down of the caller's own. */
	f.x.now_usec = NOW;
	f.x.revert_hold_usec = 5ULL * 1000000;
	assert_int_equal(vs_place_ex(f.c, &f.x, f.next, NULL, 0, &nn), 0);
	assert_string_equal(vs_placement_node(f.next, "a"), "n1");
	/* vs_place has no clock: it never reverts. */
	assert_int_equal(vs_place(f.c, f.m, 3, f.r, 3, f.cur, f.next, NULL, 0, &nn), 0);
	assert_string_equal(vs_placement_node(f.next, "a"), "n2");
	assert_int_equal(nn, 0);
	/* Home flaps: each return restarts the hold-down. */
	f.x.revert_hold_usec = 0;
	f.since[0] = NOW - 1000000;
	assert_int_equal(vs_place_ex(f.c, &f.x, f.next, NULL, 0, &nn), 0);
	assert_string_equal(vs_placement_node(f.next, "a"), "n2");
	close_row(&f);
}

/* vs_place applies the configuration's maintenance and migration too, and
 * an evacuated node's VSs spread over the others by load. */
static void test_evacuate_spreads(void **state)
{
	struct vs_config *c = calloc(1, sizeof(*c));
	struct vs_placement *cur = calloc(1, sizeof(*cur)), *next = calloc(1, sizeof(*next));
	struct vs_node_report r[3];
	struct vs_place_note notes[8];
	const char *m[] = {"n1", "n2", "n3"};
	char err[VS_ERR_LEN];
	int nn = 0;

	for (int i = 0; i < 4; i++) {
		char name[8], vip[32], lun[16];
		snprintf(name, sizeof(name), "v%d", i);
		snprintf(vip, sizeof(vip), "192.0.2.%d/24", i + 1);
		snprintf(lun, sizeof(lun), "LABEL=l%d", i);
		add_vs(c, name, 50, false, "", lun, vip);
		put(cur, name, "n1");
	}
	for (int i = 0; i < 3; i++)
		report(&r[i], m[i], 1, ALL);
	assert_int_equal(vs_config_maint(c, "n1", true, err, sizeof(err)), 0);
	assert_int_equal(vs_place(c, m, 3, r, 3, cur, next, notes, 8, &nn), 0);
	int on[3] = {0};
	for (int i = 0; i < next->n; i++)
		on[atoi(next->e[i].node + 1) - 1]++;
	assert_int_equal(on[0], 0);
	assert_int_equal(on[1], 2);
	assert_int_equal(on[2], 2);
	assert_int_equal(nn, 4);
	for (int i = 0; i < nn; i++)
		assert_int_equal(notes[i].kind, VS_MOVE_EVACUATE);
	/* Resumed: nothing moves back by itself (no home), nothing moves. */
	assert_int_equal(vs_config_maint(c, "n1", false, err, sizeof(err)), 0);
	assert_int_equal(vs_place(c, m, 3, r, 3, next, cur, notes, 8, &nn), 0);
	assert_int_equal(nn, 0);
	vs_config_free(c);
	free(c);
	free(cur);
	free(next);
}

/* Balancing through placement: a hint moves a VS (kind BALANCE) to a node
 * that can take it, never a pinned one or to a node that cannot serve it; a
 * VS the balancer put away from home does not revert; standby nodes take a
 * VS only when no active node can; with measured loads a failover goes to
 * the node left least loaded, not the one with fewest VSs. */
static void test_balancing(void **state)
{
	struct vs_config *c = calloc(1, sizeof(*c));
	struct vs_placement *cur = calloc(1, sizeof(*cur)), *next = calloc(1, sizeof(*next));
	struct vs_node_report r[3];
	struct vs_place_note notes[8];
	const char *m[] = {"n1", "n2", "n3"};
	char err[VS_ERR_LEN];
	int nn = 0;

	add_vs(c, "a", 50, false, "n1", "LABEL=l0", "192.0.2.1/24");
	add_vs(c, "b", 50, true, "n1", "LABEL=l1", "192.0.2.2/24");
	add_vs(c, "c", 50, false, "n1", "LABEL=l2", "192.0.2.3/24");
	put(cur, "a", "n1");
	put(cur, "b", "n1");
	put(cur, "c", "n1");
	report(&r[0], "n1", 2, ALL);
	report(&r[1], "n2", 2, ALL);
	report(&r[2], "n3", 2, "LABEL=l0,LABEL=l1,LABEL=l3"); /* cannot serve c */
	struct vs_place_hint h[3] = {{"a", "n2", "n1 cpu 0.95 of capacity, n2 0.10"},
	                             {"b", "n2", "pinned"},
	                             {"c", "n3", "n3 cannot serve it"}};
	struct vs_place_ctx x = {.members = m,
	                         .n_members = 3,
	                         .reports = r,
	                         .n_reports = 3,
	                         .cur = cur,
	                         .now_usec = 1000ULL * 1000000,
	                         .balance = h,
	                         .n_balance = 3};
	assert_int_equal(vs_place_ex(c, &x, next, notes, 8, &nn), 0);
	assert_string_equal(vs_placement_node(next, "a"), "n2");
	assert_string_equal(vs_placement_node(next, "b"), "n1");
	assert_string_equal(vs_placement_node(next, "c"), "n1");
	assert_int_equal(nn, 1);
	assert_int_equal(notes[0].kind, VS_MOVE_BALANCE);
	assert_non_null(strstr(notes[0].text, "n1 cpu 0.95"));
	/* Next round, no hint: a is away from home and n1 is healthy, so it
	 * would revert; as the balancer's it stays. */
	const char *bal[] = {"a"};
	x.cur = next;
	x.balance = NULL;
	x.n_balance = 0;
	x.balanced = bal;
	x.n_balanced = 1;
	assert_int_equal(vs_place_ex(c, &x, cur, notes, 8, &nn), 0);
	assert_string_equal(vs_placement_node(cur, "a"), "n2");
	x.n_balanced = 0;
	assert_int_equal(vs_place_ex(c, &x, cur, notes, 8, &nn), 0);
	assert_string_equal(vs_placement_node(cur, "a"), "n1"); /* without it: home */

	/* n1 dies. n2 is standby: a (no home now) goes to n3, the active one,
	 * c (which n3 cannot serve) to the standby n2. */
	vs_config_free(c);
	memset(c, 0, sizeof(*c));
	add_vs(c, "a", 50, false, "", "LABEL=l0", "192.0.2.1/24");
	add_vs(c, "c", 50, false, "", "LABEL=l2", "192.0.2.3/24");
	assert_int_equal(vs_config_standby(c, "n2", true, err, sizeof(err)), 0);
	cur->n = 0;
	put(cur, "a", "n1");
	put(cur, "c", "n1");
	const char *m2[] = {"n2", "n3"};
	struct vs_place_ctx y = {
	    .members = m2, .n_members = 2, .reports = r + 1, .n_reports = 2, .cur = cur};
	assert_int_equal(vs_place_ex(c, &y, next, notes, 8, &nn), 0);
	assert_string_equal(vs_placement_node(next, "a"), "n3");
	assert_string_equal(vs_placement_node(next, "c"), "n2");

	/* Measured loads: n2 busy (1.8 of 2 cores) with one VS, n3 idle with
	 * two: a goes to n3 although it has more VSs. */
	vs_config_free(c);
	memset(c, 0, sizeof(*c));
	add_vs(c, "a", 50, false, "", "LABEL=l0", "192.0.2.1/24");
	add_vs(c, "x", 50, false, "", "LABEL=l1", "192.0.2.4/24");
	add_vs(c, "y", 50, false, "", "LABEL=l2", "192.0.2.5/24");
	add_vs(c, "z", 50, false, "", "LABEL=l3", "192.0.2.6/24");
	cur->n = 0;
	put(cur, "a", "n1");
	put(cur, "x", "n2");
	put(cur, "y", "n3");
	put(cur, "z", "n3");
	double cores[2] = {1.8, 0.1};
	struct vs_place_load vl[1] = {{"a", 0.5, 0}};
	y.member_cores = cores;
	y.vs_cores = vl;
	y.n_vs_cores = 1;
	assert_int_equal(vs_place_ex(c, &y, next, notes, 8, &nn), 0);
	assert_string_equal(vs_placement_node(next, "a"), "n3");
	/* The network counts as the balancer counts it: n3's ports carry 95
	 * of their 100 MB/s, a brings 30 MB/s: n3 would be at 1.25 of them,
	 * n2 at 1.15 of its cores: a goes to n2. Without a's traffic, n3. */
	double net[2] = {1e6, 95e6}, ncap[2] = {100e6, 100e6};
	vl[0].net_bps = 30e6;
	y.member_net_bps = net;
	y.member_net_cap = ncap;
	assert_int_equal(vs_place_ex(c, &y, next, notes, 8, &nn), 0);
	assert_string_equal(vs_placement_node(next, "a"), "n2");
	vl[0].net_bps = 0;
	assert_int_equal(vs_place_ex(c, &y, next, notes, 8, &nn), 0);
	assert_string_equal(vs_placement_node(next, "a"), "n3");
	y.member_cores = NULL; /* counted: n2 has fewer */
	assert_int_equal(vs_place_ex(c, &y, next, notes, 8, &nn), 0);
	assert_string_equal(vs_placement_node(next, "a"), "n2");
	vs_config_free(c);
	free(c);
	free(cur);
	free(next);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_initial_spread_and_home),
	    cmocka_unit_test(test_dead_node_priority_and_spread),
	    cmocka_unit_test(test_constraints),
	    cmocka_unit_test(test_pinned_waits),
	    cmocka_unit_test(test_stays_put),
	    cmocka_unit_test(test_fence_before_takeover),
	    cmocka_unit_test(test_minority_and_stale_runs_nothing),
	    cmocka_unit_test(test_simulation_16_nodes),
	    cmocka_unit_test(test_planned_moves_table),
	    cmocka_unit_test(test_revert_hold_down),
	    cmocka_unit_test(test_evacuate_spreads),
	    cmocka_unit_test(test_balancing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
