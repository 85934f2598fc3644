/*
 * sim_policies.c - the placement policies the simulator replays:
 *   ours       vs_balance.h: vs_bal_pick at start and failover, vs_bal_round
 *              every round (auto, default settings);
 *   ctdb       count-based, as CTDB's IP allocation: each node the same number
 *              of VSs (addresses), at start, at failover, and again when a node
 *              comes back (CTDB moves addresses to a node that becomes healthy);
 *              never by load;
 *   pacemaker  placement-strategy=balanced: each VS to the node with the most
 *              free capacity (more attributes with more free capacity, then
 *              fewer resources, then the first node), from static utilisation
 *              (the VS's load at the start, as an administrator would set it),
 *              at start and failover only; resource stickiness keeps
 *              everything where it is afterwards;
 *   greedy     a naive rebalancer: every round, while the hottest node is over
 *              1.05 x the ideal, the biggest VS of the hottest node that fits
 *              goes to the coolest node; no cost, no cool-down, blind to
 *              storage (start and failover as ours, so only rebalancing
 *              differs).
 * Every policy respects pinned VSs and the nodes that can serve a VS.
 */
#include "tests/sim/sim.h"

#include "fsexport/fx_ganesha.h"
#include "vserver/vs_load.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void sim_move(struct sim_policy *p, const struct sim_state *st, int v, int to, bool failover)
{
	if (p->node[v] == to)
		return;
	p->node[v] = to;
	p->moved_usec[v] = st->now_usec;
	if (failover) {
		p->failover_moves++;
		return;
	}
	p->moves++;
	p->storage_bound_moves += sim_storage_bound(st, v);
}

static double share_of(const double *cap, const double *l)
{
	double s = 0;

	for (int d = 0; d < VS_BAL_NDIMS; d++)
		s = fmax(s, l[d] / cap[d]);
	return s;
}

void sim_loads(const struct sim_policy *p, const struct sim_state *st,
               const double (*l)[VS_BAL_NDIMS], double (*sum)[VS_BAL_NDIMS], double *share)
{
	double acc[SIM_NODES][VS_BAL_NDIMS] = {{0}};

	for (int v = 0; v < SIM_VS; v++)
		if (p->node[v] >= 0)
			for (int d = 0; d < VS_BAL_NDIMS; d++)
				acc[p->node[v]][d] += l[v][d];
	for (int n = 0; n < SIM_NODES; n++) {
		if (sum)
			memcpy(sum[n], acc[n], sizeof(acc[n]));
		if (share)
			share[n] = share_of(st->w->cap[n], acc[n]);
	}
}

/* Pinned VSs start on their node; true if v is one. */
static bool pinned_start(struct sim_policy *p, const struct sim_state *st, int v)
{
	if (!st->w->pinned[v])
		return false;
	p->node[v] = st->w->home[v];
	return true;
}

/* ---- ours ---- */

static bool world_can(int vs, int node, void *arg)
{
	const struct sim_world *w = arg;

	return w->can[vs][node];
}

/* The balancer's view of p's cluster at st; `unplaced`: the VSs on a node
 * that is down count as not running. */
struct view {
	struct vs_bal_node nodes[SIM_NODES];
	struct vs_bal_vs vs[SIM_VS];
	struct vs_bal_lun luns[SIM_LUNS];
	struct vs_bal_in in;
};

static struct view *view_of(const struct sim_policy *p, const struct sim_state *st)
{
	const struct sim_world *w = st->w;
	struct view *x = calloc(1, sizeof(*x));

	if (!x)
		abort();
	for (int n = 0; n < SIM_NODES; n++) {
		x->nodes[n].name = w->node_name[n];
		memcpy(x->nodes[n].cap, w->cap[n], sizeof(w->cap[n]));
		x->nodes[n].flags = VS_BAL_MEMBER | (st->up[n] ? 0 : VS_BAL_FAILED);
	}
	for (int l = 0; l < SIM_LUNS; l++)
		x->luns[l] = (struct vs_bal_lun){.name = w->lun_name[l], .busy = st->lun_busy[l]};
	for (int v = 0; v < SIM_VS; v++) {
		struct vs_bal_vs *y = &x->vs[v];
		y->name = w->vs_name[v];
		y->node = p->node[v] >= 0 && st->up[p->node[v]] ? p->node[v] : -1;
		y->pinned = w->pinned[v];
		memcpy(y->load, st->smooth[v], sizeof(y->load));
		y->n_luns = 1;
		y->luns[0] = w->lun[v];
		y->moved_usec = p->moved_usec[v];
		/* As the master gives it (ap_clbalance.c), at the defaults: the
		 * simulated loads do not dip after a move, but the rule holds
		 * the targets. */
		y->settle_usec = vs_bal_settle_usec(FX_GANESHA_GRACE_DEFAULT,
		                                    FX_GANESHA_LEASE_DEFAULT, VS_LOAD_TAU_USEC);
	}
	x->in = (struct vs_bal_in){.nodes = x->nodes,
	                           .n_nodes = SIM_NODES,
	                           .vs = x->vs,
	                           .n_vs = SIM_VS,
	                           .luns = x->luns,
	                           .n_luns = SIM_LUNS,
	                           .can_serve = world_can,
	                           .arg = (void *)w,
	                           .now_usec = st->now_usec};
	return x;
}

/* Every VS without a running node (not pinned) placed by vs_bal_pick. */
static void ours_place(struct sim_policy *p, const struct sim_state *st, bool failover)
{
	struct vs_bal_settings s;
	struct vs_bal_loads ld;
	struct view *x = view_of(p, st);
	char why[VS_BAL_TEXT_LEN];

	vs_bal_defaults(&s);
	if (vs_bal_loads_of(&x->in, &ld) < 0)
		p->err = p->err ? p->err : 1;
	for (int v = 0; v < SIM_VS; v++) {
		int to;
		if (x->vs[v].node >= 0 || pinned_start(p, st, v))
			continue;
		int rc = vs_bal_pick(&s, &x->in, v, &ld, &to, why, sizeof(why));
		if (rc < 0) {
			p->err = p->err ? p->err : rc;
			continue;
		}
		x->vs[v].node = to;
		if (failover)
			sim_move(p, st, v, to, true);
		else
			p->node[v] = to;
	}
	free(x);
}

static void ours_start(struct sim_policy *p, const struct sim_state *st)
{
	for (int v = 0; v < SIM_VS; v++)
		p->node[v] = -1;
	ours_place(p, st, false);
}

static void ours_failover(struct sim_policy *p, const struct sim_state *st)
{
	ours_place(p, st, true);
}

static void nothing_back(struct sim_policy *p, const struct sim_state *st, int node)
{
}

static double usec_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e6 + (double)(b.tv_nsec - a->tv_nsec) / 1e3;
}

static void ours_round(struct sim_policy *p, const struct sim_state *st)
{
	struct vs_bal_settings s;
	struct vs_bal_move moves[VS_BAL_MAX_MOVES];
	struct vs_bal_note notes[64];
	struct vs_bal_out out = {
	    .moves = moves, .cap_moves = VS_BAL_MAX_MOVES, .notes = notes, .cap_notes = 64};
	struct view *x = view_of(p, st);
	struct timespec t0;

	vs_bal_defaults(&s);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = vs_bal_round(&s, &x->in, &out);
	if (p->round_us)
		p->round_us[p->n_rounds++] = usec_since(&t0);
	if (rc < 0)
		p->err = p->err ? p->err : rc;
	for (int i = 0; rc == 0 && i < out.n_moves; i++)
		sim_move(p, st, moves[i].vs, moves[i].to, false);
	free(x);
}

const struct sim_ops sim_ours = {
    "ours", "vs_balance (this code)", ours_start, ours_failover, nothing_back, ours_round};

/* ---- CTDB: counts ---- */

static void counts(const struct sim_policy *p, const struct sim_state *st, int *c)
{
	memset(c, 0, SIM_NODES * sizeof(*c));
	for (int v = 0; v < SIM_VS; v++)
		if (p->node[v] >= 0 && st->up[p->node[v]])
			c[p->node[v]]++;
}

static void ctdb_place(struct sim_policy *p, const struct sim_state *st, bool failover)
{
	int c[SIM_NODES];

	counts(p, st, c);
	for (int v = 0; v < SIM_VS; v++) {
		int best = -1;
		if ((p->node[v] >= 0 && st->up[p->node[v]]) || pinned_start(p, st, v))
			continue;
		for (int n = 0; n < SIM_NODES; n++)
			if (st->up[n] && st->w->can[v][n] && (best < 0 || c[n] < c[best]))
				best = n;
		if (best < 0)
			continue;
		c[best]++;
		if (failover)
			sim_move(p, st, v, best, true);
		else
			p->node[v] = best;
	}
}

static void ctdb_start(struct sim_policy *p, const struct sim_state *st)
{
	for (int v = 0; v < SIM_VS; v++)
		p->node[v] = -1;
	ctdb_place(p, st, false);
}

static void ctdb_failover(struct sim_policy *p, const struct sim_state *st)
{
	ctdb_place(p, st, true);
}

/* A node back: VSs move to it until it has as many as the others. */
static void ctdb_back(struct sim_policy *p, const struct sim_state *st, int node)
{
	int c[SIM_NODES], up = 0, total = 0;

	counts(p, st, c);
	for (int n = 0; n < SIM_NODES; n++) {
		up += st->up[n];
		total += c[n];
	}
	while (c[node] < total / up) {
		int donor = -1, pick = -1;
		for (int n = 0; n < SIM_NODES; n++)
			if (n != node && st->up[n] && (donor < 0 || c[n] > c[donor]))
				donor = n;
		for (int v = SIM_VS - 1; v >= 0 && pick < 0; v--)
			if (p->node[v] == donor && !st->w->pinned[v] && st->w->can[v][node])
				pick = v;
		if (pick < 0 || c[donor] <= c[node] + 1)
			break;
		sim_move(p, st, pick, node, false);
		c[donor]--;
		c[node]++;
	}
}

static void no_round(struct sim_policy *p, const struct sim_state *st)
{
}

const struct sim_ops sim_ctdb = {"ctdb_count", "count-based (CTDB's allocation)",
                                 ctdb_start,   ctdb_failover,
                                 ctdb_back,    no_round};

/* ---- Pacemaker: balanced, static utilisation ---- */

/* Does a have more free capacity than b (Pacemaker's compare: more
 * attributes with more free capacity; then fewer resources; then first)? */
static bool more_free(const double (*freec)[VS_BAL_NDIMS], const int *c, int a, int b)
{
	int wins = 0;

	for (int d = 0; d < VS_BAL_NDIMS; d++)
		wins += (freec[a][d] > freec[b][d]) - (freec[a][d] < freec[b][d]);
	if (wins)
		return wins > 0;
	return c[a] < c[b];
}

static void pm_place(struct sim_policy *p, const struct sim_state *st, bool failover)
{
	double freec[SIM_NODES][VS_BAL_NDIMS];
	int c[SIM_NODES];

	counts(p, st, c);
	memcpy(freec, st->w->cap, sizeof(freec));
	for (int v = 0; v < SIM_VS; v++)
		if (p->node[v] >= 0 && st->up[p->node[v]])
			for (int d = 0; d < VS_BAL_NDIMS; d++)
				freec[p->node[v]][d] -= p->util[v][d];
	for (int v = 0; v < SIM_VS; v++) {
		int best = -1, any = -1;
		if ((p->node[v] >= 0 && st->up[p->node[v]]) || pinned_start(p, st, v))
			continue;
		for (int n = 0; n < SIM_NODES; n++) {
			bool fits = true;
			if (!st->up[n] || !st->w->can[v][n])
				continue;
			for (int d = 0; d < VS_BAL_NDIMS; d++)
				fits &= freec[n][d] >= p->util[v][d];
			if (any < 0 || more_free(freec, c, n, any))
				any = n;
			if (fits && (best < 0 || more_free(freec, c, n, best)))
				best = n;
		}
		if (best < 0) {
			best = any; /* Pacemaker would stop it: counted, placed anyway */
			p->over_capacity_placements++;
		}
		if (best < 0)
			continue;
		for (int d = 0; d < VS_BAL_NDIMS; d++)
			freec[best][d] -= p->util[v][d];
		c[best]++;
		if (failover)
			sim_move(p, st, v, best, true);
		else
			p->node[v] = best;
	}
}

static void pm_start(struct sim_policy *p, const struct sim_state *st)
{
	for (int v = 0; v < SIM_VS; v++) {
		p->node[v] = -1;
		memcpy(p->util[v], st->truth[v], sizeof(p->util[v]));
	}
	pm_place(p, st, false);
}

static void pm_failover(struct sim_policy *p, const struct sim_state *st)
{
	pm_place(p, st, true);
}

const struct sim_ops sim_pacemaker = {"pacemaker_balanced",
                                      "Pacemaker placement-strategy=balanced (start and failover)",
                                      pm_start,
                                      pm_failover,
                                      nothing_back,
                                      no_round};

/* ---- naive greedy ---- */

static void greedy_round(struct sim_policy *p, const struct sim_state *st)
{
	const struct sim_world *w = st->w;

	for (int it = 0; it < 64; it++) {
		double sum[SIM_NODES][VS_BAL_NDIMS], sh[SIM_NODES], tot[VS_BAL_NDIMS] = {0},
		                                                    cap[VS_BAL_NDIMS] = {0};
		int hot = -1, cool = -1, pick = -1;
		sim_loads(p, st, (const double(*)[VS_BAL_NDIMS])st->smooth, sum, sh);
		for (int n = 0; n < SIM_NODES; n++) {
			if (!st->up[n])
				continue;
			for (int d = 0; d < VS_BAL_NDIMS; d++) {
				tot[d] += sum[n][d];
				cap[d] += w->cap[n][d];
			}
			if (hot < 0 || sh[n] > sh[hot])
				hot = n;
			if (cool < 0 || sh[n] < sh[cool])
				cool = n;
		}
		if (hot < 0 || sh[hot] <= 1.05 * share_of(cap, tot))
			return;
		double biggest = 0;
		for (int v = 0; v < SIM_VS; v++) {
			double after[VS_BAL_NDIMS];
			if (p->node[v] != hot || w->pinned[v] || !w->can[v][cool])
				continue;
			for (int d = 0; d < VS_BAL_NDIMS; d++)
				after[d] = sum[cool][d] + st->smooth[v][d];
			double size = share_of(w->cap[hot], st->smooth[v]);
			if (share_of(w->cap[cool], after) < sh[hot] && size > biggest) {
				biggest = size;
				pick = v;
			}
		}
		if (pick < 0)
			return;
		sim_move(p, st, pick, cool, false);
	}
}

const struct sim_ops sim_greedy = {"naive_greedy", "naive greedy rebalancer",
                                   ours_start,     ours_failover,
                                   nothing_back,   greedy_round};
