/*
 * vs_balance.c - the load balancer (see vs_balance.h).
 */
#include "vserver/vs_balance.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vserver/vs_load.h"

/* The share of a dimension with no capacity that carries load. */
#define HUGE_SHARE 1e6
/* Scores this close are equal (rounding). */
#define EPS 1e-9

static const char *const dim_name[VS_BAL_NDIMS] = {"cpu", "net"};

uint64_t vs_bal_settle_usec(int grace_s, int lease_s, uint64_t tau_usec)
{
	uint64_t g = grace_s > 0 ? (uint64_t)grace_s : 0, l = lease_s > 0 ? (uint64_t)lease_s : 0;

	return (g + l) * 1000000 + 2 * tau_usec;
}

uint64_t vs_bal_tau_usec(const struct vs_balance_cfg *b)
{
	return b->smoothing_s > 0 ? (uint64_t)b->smoothing_s * 1000000 : VS_LOAD_TAU_USEC;
}

void vs_bal_defaults(struct vs_bal_settings *s)
{
	*s = (struct vs_bal_settings){
	    .mode = VS_BAL_AUTO,
	    .max_moves = 3,
	    .cooldown_usec = 10ULL * 60 * 1000000,
	    .trigger = 0.05,
	    .settle = 0.5,
	    .min_gain = 0.005,
	    .move_cost = 0.003,
	    .move_cost_load = 0.05,
	    .target_max = 0.90,
	    .high_water = 0.80,
	    .low_water = 0.50,
	    .lun_busy = 0.85,
	    .node_bound = 0.90,
	    .min_share = 0.30,
	    .peak = 0.2,
	};
}

void vs_bal_from_config(const struct vs_balance_cfg *b, struct vs_bal_settings *s)
{
	vs_bal_defaults(s);
	if (b->mode == VS_BALANCE_OFF)
		s->mode = VS_BAL_OFF;
	else if (b->mode == VS_BALANCE_ADVISE)
		s->mode = VS_BAL_ADVISE;
	if (b->max_moves)
		s->max_moves = b->max_moves;
	if (b->cooldown_s)
		s->cooldown_usec = (uint64_t)b->cooldown_s * 1000000;
	if (b->min_share_pct)
		s->min_share = b->min_share_pct / 100.0;
	if (b->trigger_pct)
		s->trigger = b->trigger_pct / 100.0;
	if (b->high_water_pct)
		s->high_water = b->high_water_pct / 100.0;
	if (b->low_water_pct)
		s->low_water = b->low_water_pct / 100.0;
	if (b->lun_busy_pct)
		s->lun_busy = b->lun_busy_pct / 100.0;
}

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool frac(double x, double lo, double hi)
{
	return isfinite(x) && x >= lo && x <= hi;
}

int vs_bal_check_settings(const struct vs_bal_settings *s, char *err, size_t len)
{
	if (s->mode != VS_BAL_OFF && s->mode != VS_BAL_ADVISE && s->mode != VS_BAL_AUTO)
		return fail(err, len, "The balancing mode must be off, advise or auto.");
	if (s->max_moves < 1 || s->max_moves > VS_BAL_MAX_MOVES)
		return fail(err, len, "At most 1 to %d moves per round, not %d.", VS_BAL_MAX_MOVES,
		            s->max_moves);
	if (!frac(s->trigger, 0, 10) || !frac(s->min_gain, 0, 1) || !frac(s->move_cost, 0, 1) ||
	    !frac(s->move_cost_load, 0, 10))
		return fail(err, len,
		            "The trigger (0-10), minimum gain and move cost (0-1) and the cost per "
		            "unit of load (0-10) must be finite and in range.");
	if (!frac(s->settle, 0, 1))
		return fail(err, len, "The settle fraction of the trigger must be 0-1.");
	if (!frac(s->min_share, 0, 10))
		return fail(err, len, "The least share that counts as a load must be 0-10.");
	if (!frac(s->peak, 0, 10))
		return fail(err, len, "The headroom for the loads' swings must be 0-10.");
	if (!frac(s->target_max, 0.01, 10) || !frac(s->lun_busy, 0.01, 1) ||
	    !frac(s->node_bound, 0.01, 10))
		return fail(err, len,
		            "The target limit, the saturated LUN's busy fraction and the node "
		            "bottleneck share must be positive fractions.");
	if (!frac(s->low_water, 0, 10) || !frac(s->high_water, 0, 10) ||
	    s->low_water >= s->high_water)
		return fail(err, len,
		            "The standby low-water mark (%.2f) must be under the high-water mark "
		            "(%.2f).",
		            s->low_water, s->high_water);
	return 0;
}

static bool ok_load(const double v[VS_BAL_NDIMS])
{
	for (int d = 0; d < VS_BAL_NDIMS; d++)
		if (!isfinite(v[d]) || v[d] < 0)
			return false;
	return true;
}

static bool up(const struct vs_bal_node *n)
{
	return (n->flags & VS_BAL_MEMBER) && !(n->flags & VS_BAL_FAILED);
}

/* May take VSs at all (an active node, or a standby one). */
static bool usable(const struct vs_bal_node *n)
{
	return up(n) && !(n->flags & VS_BAL_MAINT);
}

static bool active(const struct vs_bal_node *n)
{
	return usable(n) && !(n->flags & VS_BAL_STANDBY);
}

static int check_in(const struct vs_bal_in *in)
{
	if (in->n_nodes < 0 || in->n_vs < 0 || in->n_luns < 0)
		return -EINVAL;
	if (in->n_nodes > VS_BAL_MAX_NODES || in->n_vs > VS_BAL_MAX_VS ||
	    in->n_luns > VS_BAL_MAX_LUNS)
		return -E2BIG;
	if ((in->n_nodes && !in->nodes) || (in->n_vs && !in->vs) || (in->n_luns && !in->luns))
		return -EINVAL;
	for (int n = 0; n < in->n_nodes; n++) {
		const struct vs_bal_node *nd = &in->nodes[n];
		if (!nd->name || !ok_load(nd->cap) || (up(nd) && nd->cap[VS_BAL_CPU] <= 0))
			return -EINVAL;
	}
	for (int i = 0; i < in->n_luns; i++)
		if (!in->luns[i].name || !isfinite(in->luns[i].busy) || in->luns[i].busy < 0)
			return -EINVAL;
	for (int v = 0; v < in->n_vs; v++) {
		const struct vs_bal_vs *x = &in->vs[v];
		if (x->n_luns > VS_BAL_VS_LUNS)
			return -E2BIG;
		if (!x->name || x->node < -1 || x->node >= in->n_nodes || x->n_luns < 0 ||
		    !ok_load(x->load))
			return -EINVAL;
		for (int k = 0; k < x->n_luns; k++)
			if (x->luns[k] < 0 || x->luns[k] >= in->n_luns)
				return -EINVAL;
	}
	return 0;
}

/* The share of load l on a node of capacity cap in dimension d. */
static double dim_share(const double *cap, const double *l, int d)
{
	if (cap[d] > 0)
		return l[d] / cap[d];
	return l[d] > 0 ? HUGE_SHARE : 0;
}

/* The share and the dimension that sets it. */
static double share_dim(const double *cap, const double *l, int *dim)
{
	double best = 0;

	*dim = 0;
	for (int d = 0; d < VS_BAL_NDIMS; d++) {
		double x = dim_share(cap, l, d);
		if (x > best) {
			best = x;
			*dim = d;
		}
	}
	return best;
}

static double share(const double *cap, const double *l)
{
	int d;

	return share_dim(cap, l, &d);
}

double vs_bal_share(const struct vs_bal_node *node, const double load[VS_BAL_NDIMS])
{
	return share(node->cap, load);
}

/* The share at a peak (vs_balance.h) of load l, summed squares q. */
static double peak_share(const struct vs_bal_settings *s, const double *cap, const double *l,
                         const double *q)
{
	double p[VS_BAL_NDIMS];

	for (int d = 0; d < VS_BAL_NDIMS; d++)
		p[d] = l[d] + s->peak * sqrt(q[d]);
	return share(cap, p);
}

/* l +/- the VS's load into out. */
static void with(const double *l, const double *vs, double sign, double *out)
{
	for (int d = 0; d < VS_BAL_NDIMS; d++) {
		out[d] = l[d] + sign * vs[d];
		if (out[d] < 0)
			out[d] = 0; /* rounding */
	}
}

/* q +/- the squares of the VS's load into out. */
static void with_sq(const double *q, const double *vs, double sign, double *out)
{
	for (int d = 0; d < VS_BAL_NDIMS; d++) {
		out[d] = q[d] + sign * vs[d] * vs[d];
		if (out[d] < 0)
			out[d] = 0; /* rounding */
	}
}

/* Node n of ld +/- VS load vs: into l and q. */
static void node_with(const struct vs_bal_loads *ld, int n, const double *vs, double sign,
                      double *l, double *q)
{
	with(ld->l[n], vs, sign, l);
	with_sq(ld->q[n], vs, sign, q);
}

/* The VS's load carried from node `from` to `to` in ld (-1: none). */
static void carry(struct vs_bal_loads *ld, const double *vs, int from, int to)
{
	if (from >= 0)
		node_with(ld, from, vs, -1, ld->l[from], ld->q[from]);
	if (to >= 0)
		node_with(ld, to, vs, 1, ld->l[to], ld->q[to]);
}

int vs_bal_loads_of(const struct vs_bal_in *in, struct vs_bal_loads *loads)
{
	int rc = check_in(in);

	memset(loads, 0, sizeof(*loads));
	if (rc < 0)
		return rc;
	loads->n = in->n_nodes;
	for (int v = 0; v < in->n_vs; v++)
		if (in->vs[v].node >= 0)
			carry(loads, in->vs[v].load, -1, in->vs[v].node);
	return 0;
}

static bool can_serve(const struct vs_bal_in *in, int vs, int node)
{
	return !in->can_serve || in->can_serve(vs, node, in->arg);
}

/* The VS's busiest LUN, or -1 without one. */
static int busiest_lun(const struct vs_bal_in *in, int v)
{
	int best = -1;

	for (int k = 0; k < in->vs[v].n_luns; k++) {
		int l = in->vs[v].luns[k];
		if (best < 0 || in->luns[l].busy > in->luns[best].busy)
			best = l;
	}
	return best;
}

/* ---- one round -------------------------------------------------------- */

struct run {
	const struct vs_bal_settings *s;
	const struct vs_bal_in *in;
	struct vs_bal_out *out;
	struct vs_bal_loads ld; /* with this round's moves */
	bool pool[VS_BAL_MAX_NODES];
	double ideal, over; /* over: the share at a peak past which a node is over */
	double settle;      /* and the share at a peak an over node sheds down to */
	double over_mean;   /* over without the spread: for target_max */
	double start_share[VS_BAL_MAX_NODES];
	bool settling[VS_BAL_MAX_NODES]; /* holds a settling VS: no target for load */
};

static void note(struct run *r, enum vs_bal_note_kind kind, int vs, int node, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void note(struct run *r, enum vs_bal_note_kind kind, int vs, int node, const char *fmt, ...)
{
	struct vs_bal_out *o = r->out;
	va_list ap;

	if (!o->notes || o->n_notes >= o->cap_notes) {
		o->notes_lost++;
		return;
	}
	struct vs_bal_note *n = &o->notes[o->n_notes++];
	n->kind = kind;
	n->vs = vs;
	n->node = node;
	va_start(ap, fmt);
	vsnprintf(n->text, sizeof(n->text), fmt, ap);
	va_end(ap);
}

/* Where VS v is after this round's moves so far. */
static int where(const struct run *r, int v, bool *moved)
{
	for (int i = r->out->n_moves - 1; i >= 0; i--)
		if (r->out->moves[i].vs == v) {
			*moved = true;
			return r->out->moves[i].to;
		}
	*moved = false;
	return r->in->vs[v].node;
}

/* VS v changed node less than `span` ago (a clock that went back counts as
 * a move just made). */
static bool moved_within(const struct vs_bal_in *in, int v, uint64_t span)
{
	uint64_t at = in->vs[v].moved_usec, now = in->now_usec;

	return at && (now < at || now - at < span);
}

static bool cooling(const struct run *r, int v)
{
	return moved_within(r->in, v, r->s->cooldown_usec);
}

/* The saturated LUN holding VS v back on its node (share at the start of
 * the round), or -1 when it is not storage-bound. */
static int storage_bound(const struct run *r, int v)
{
	int l = busiest_lun(r->in, v), n = r->in->vs[v].node;

	if (l < 0 || n < 0 || r->in->luns[l].busy < r->s->lun_busy)
		return -1;
	return r->start_share[n] < r->s->node_bound ? l : -1;
}

/* The node of `mask` (not `from`) that can serve VS v where v leaves the
 * smallest share, under `limit`; ties: the smaller share before, then the
 * lower index. -1 if none; its share after in *after. (On the mean shares:
 * ranking failover targets at a peak was tried and helped nothing.) */
static int best_target(const struct vs_bal_in *in, const struct vs_bal_loads *ld, int v, int from,
                       const bool *mask, double limit, double *after)
{
	int best = -1;
	double best_after = 0, best_before = 0;

	for (int t = 0; t < in->n_nodes; t++) {
		double l[VS_BAL_NDIMS];
		if (!mask[t] || t == from)
			continue;
		with(ld->l[t], in->vs[v].load, 1, l);
		double a = share(in->nodes[t].cap, l), b = share(in->nodes[t].cap, ld->l[t]);
		if (a > limit)
			continue;
		if (best >= 0 && (a > best_after || (a == best_after && b >= best_before)))
			continue;
		if (!can_serve(in, v, t))
			continue;
		best = t;
		best_after = a;
		best_before = b;
	}
	*after = best_after;
	return best;
}

/* Record the move of v (reason: fmt...) and carry its load over. */
static void apply(struct run *r, int v, int from, int to, double gain, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void apply(struct run *r, int v, int from, int to, double gain, const char *fmt, ...)
{
	struct vs_bal_move *m = &r->out->moves[r->out->n_moves++];
	const double *load = r->in->vs[v].load;
	va_list ap;

	m->vs = v;
	m->from = from;
	m->to = to;
	m->gain = gain;
	va_start(ap, fmt);
	vsnprintf(m->reason, sizeof(m->reason), fmt, ap);
	va_end(ap);
	carry(&r->ld, load, from, to);
}

/* "; LUN x 0.12 busy" for VS v, or "". */
static void lun_part(const struct vs_bal_in *in, int v, char *buf, size_t len)
{
	int l = busiest_lun(in, v);

	buf[0] = 0;
	if (l >= 0)
		snprintf(buf, len, "; LUN %s %.2f busy", in->luns[l].name, in->luns[l].busy);
}

/* The standby nodes' VSs back to active nodes (demand under low-water). */
static void drain(struct run *r, double demand)
{
	const struct vs_bal_in *in = r->in;
	bool act[VS_BAL_MAX_NODES];

	for (int n = 0; n < in->n_nodes; n++)
		act[n] = active(&in->nodes[n]);
	for (int v = 0; v < in->n_vs && r->out->n_moves < r->s->max_moves; v++) {
		int from = in->vs[v].node;
		double after;
		char lun[VS_BAL_TEXT_LEN / 2];
		if (from < 0 || act[from] || !usable(&in->nodes[from]) || in->vs[v].pinned ||
		    cooling(r, v))
			continue;
		int to = best_target(in, &r->ld, v, from, act, r->s->high_water, &after);
		if (to < 0) {
			note(r, VS_BAL_NOTE_STUCK, v, from,
			     "%s stays on standby %s: no active node can serve it under the "
			     "high-water mark %.2f",
			     in->vs[v].name, in->nodes[from].name, r->s->high_water);
			continue;
		}
		lun_part(in, v, lun, sizeof(lun));
		apply(r, v, from, to, 0,
		      "%s %s->%s: standby %s emptied, demand %.2f of the active nodes' capacity "
		      "(low-water %.2f); %s %.2f with it; %s %.2f%s",
		      in->vs[v].name, in->nodes[from].name, in->nodes[to].name,
		      in->nodes[from].name, demand, r->s->low_water, in->nodes[to].name, after,
		      in->vs[v].name, share(in->nodes[from].cap, in->vs[v].load), lun);
	}
}

/* Why nothing leaves node w, by count. */
struct held {
	int pinned, storage, cool, small, settling;
};

/* The best move off node w (share sw): 0 and the move made, or -1. */
static int move_off(struct run *r, int w, struct held *h)
{
	const struct vs_bal_in *in = r->in;
	const struct vs_bal_settings *s = r->s;
	const double *capw = in->nodes[w].cap;
	int dim, bv = -1, bt = -1;
	double sw = peak_share(s, capw, r->ld.l[w], r->ld.q[w]);
	double best_score = 0, bgain = 0, bst = 0;

	share_dim(capw, r->ld.l[w], &dim);

	for (int v = 0; v < in->n_vs; v++) {
		bool moved;
		double lw[VS_BAL_NDIMS], qw[VS_BAL_NDIMS];
		if (where(r, v, &moved) != w)
			continue;
		if (in->vs[v].pinned) {
			h->pinned++;
			continue;
		}
		if (moved || cooling(r, v)) {
			h->cool++;
			continue;
		}
		if (storage_bound(r, v) >= 0) {
			h->storage++;
			continue;
		}
		node_with(&r->ld, w, in->vs[v].load, -1, lw, qw);
		double sw2 = peak_share(s, capw, lw, qw);
		double cost = s->move_cost + s->move_cost_load * share(capw, in->vs[v].load);
		h->small++; /* unless a move is found: then h is not read */
		for (int t = 0; t < in->n_nodes; t++) {
			double lt[VS_BAL_NDIMS], qt[VS_BAL_NDIMS];
			if (t == w || !r->pool[t])
				continue;
			if (r->settling[t]) {
				h->settling++;
				continue;
			}
			node_with(&r->ld, t, in->vs[v].load, 1, lt, qt);
			double st2 = peak_share(s, in->nodes[t].cap, lt, qt);
			double gain = sw - (sw2 > st2 ? sw2 : st2);
			double score = gain - cost;
			/* Ties (within rounding): the target left less loaded. */
			if (gain < s->min_gain || score < best_score - EPS ||
			    (score <= best_score + EPS && (bv < 0 || st2 >= bst)))
				continue;
			if (share(in->nodes[t].cap, lt) > s->target_max &&
			    share(in->nodes[t].cap, lt) > r->over_mean)
				continue; /* it would overload its target */
			if (!can_serve(in, v, t))
				continue;
			best_score = score;
			bv = v;
			bt = t;
			bgain = gain;
			bst = st2;
		}
	}
	if (bv < 0)
		return -1;
	const double *capt = in->nodes[bt].cap, *lv = in->vs[bv].load;
	double lw[VS_BAL_NDIMS], lt[VS_BAL_NDIMS];
	char lun[VS_BAL_TEXT_LEN / 2];
	with(r->ld.l[w], lv, -1, lw);
	with(r->ld.l[bt], lv, 1, lt);
	double bsw = share(capw, lw), bst_mean = share(capt, lt);
	lun_part(in, bv, lun, sizeof(lun));
	apply(r, bv, w, bt, bgain,
	      "%s %s->%s: %s %s %.2f of capacity, %s %.2f; %s %.2f%s; after: %s %.2f, %s %.2f "
	      "(ideal %.2f)",
	      in->vs[bv].name, in->nodes[w].name, in->nodes[bt].name, in->nodes[w].name,
	      dim_name[dim], dim_share(capw, r->ld.l[w], dim), in->nodes[bt].name,
	      dim_share(capt, r->ld.l[bt], dim), in->vs[bv].name, dim_share(capw, lv, dim), lun,
	      in->nodes[w].name, bsw, in->nodes[bt].name, bst_mean, r->ideal);
	return 0;
}

/* Pool nodes by share, most loaded first (ties: index). */
static int by_share(const struct run *r, int *order)
{
	int n = 0;
	double sh[VS_BAL_MAX_NODES];

	for (int i = 0; i < r->in->n_nodes; i++) {
		if (!r->pool[i])
			continue;
		sh[i] = peak_share(r->s, r->in->nodes[i].cap, r->ld.l[i], r->ld.q[i]);
		int k = n++;
		while (k > 0 && sh[order[k - 1]] < sh[i]) {
			order[k] = order[k - 1];
			k--;
		}
		order[k] = i;
	}
	return n;
}

/* Moves for load, until no over node has one or max_moves. */
static void balance(struct run *r)
{
	const struct vs_bal_in *in = r->in;
	bool stuck[VS_BAL_MAX_NODES] = {false}, acting[VS_BAL_MAX_NODES] = {false};

	while (r->out->n_moves < r->s->max_moves) {
		int order[VS_BAL_MAX_NODES], n = by_share(r, order), made = 0;
		for (int k = 0; k < n && !made; k++) {
			int w = order[k], dim;
			double sw = peak_share(r->s, in->nodes[w].cap, r->ld.l[w], r->ld.q[w]);
			double mean = share_dim(in->nodes[w].cap, r->ld.l[w], &dim);
			struct held h = {0};
			if (sw <= r->settle)
				break;
			/* Over the trigger, a node sheds down to the settle level in
			 * this round (a band: it is not left just under the trigger,
			 * where the next minute's load puts it over again). */
			if (sw > r->over)
				acting[w] = true;
			if (!acting[w])
				continue;
			if (move_off(r, w, &h) == 0) {
				made = 1;
				break;
			}
			if (stuck[w] || sw <= r->over)
				continue; /* under the trigger: nothing to report */
			stuck[w] = true;
			note(r, VS_BAL_NOTE_STUCK, -1, w,
			     "%s stays at %s %.2f of capacity (ideal %.2f): no move helps: %d "
			     "pinned, %d storage-bound, %d cooling down, %d that would gain too "
			     "little or overload their target%s",
			     in->nodes[w].name, dim_name[dim], mean, r->ideal, h.pinned, h.storage,
			     h.cool, h.small,
			     h.settling ? "; nodes where a VS just arrived take none until its "
			                  "load shows"
			                : "");
		}
		if (!made)
			break;
	}
}

/* Demand on the active nodes (see vs_balance.h), and which nodes are in
 * the pool. */
static double pool_of(struct run *r)
{
	const struct vs_bal_in *in = r->in;
	double load[VS_BAL_NDIMS] = {0}, cap[VS_BAL_NDIMS] = {0};
	bool holds[VS_BAL_MAX_NODES] = {false};

	for (int n = 0; n < in->n_nodes; n++) {
		if (usable(&in->nodes[n]))
			with(load, r->ld.l[n], 1, load);
		if (active(&in->nodes[n]))
			with(cap, in->nodes[n].cap, 1, cap);
	}
	for (int v = 0; v < in->n_vs; v++)
		if (in->vs[v].node >= 0)
			holds[in->vs[v].node] = true;
	double demand = share(cap, load);
	r->out->standby_open = demand > r->s->high_water;
	for (int n = 0; n < in->n_nodes; n++) {
		const struct vs_bal_node *nd = &in->nodes[n];
		bool open = r->out->standby_open || (holds[n] && demand >= r->s->low_water);
		r->pool[n] = active(nd) || (usable(nd) && open);
		r->out->standby_open |= r->pool[n] && !active(nd);
	}
	return demand;
}

/* The ideal and the most loaded node's share, over the pool. */
static void figures(const struct run *r, double *ideal, double *worst)
{
	double load[VS_BAL_NDIMS] = {0}, cap[VS_BAL_NDIMS] = {0};

	*worst = 0;
	for (int n = 0; n < r->in->n_nodes; n++) {
		if (!r->pool[n])
			continue;
		with(load, r->ld.l[n], 1, load);
		with(cap, r->in->nodes[n].cap, 1, cap);
		double x = share(r->in->nodes[n].cap, r->ld.l[n]);
		if (x > *worst)
			*worst = x;
	}
	*ideal = share(cap, load);
}

static void storage_notes(struct run *r)
{
	const struct vs_bal_in *in = r->in;

	for (int v = 0; v < in->n_vs; v++) {
		int n = in->vs[v].node, l = n >= 0 && r->pool[n] ? storage_bound(r, v) : -1;
		if (l < 0)
			continue;
		note(r, VS_BAL_NOTE_STORAGE, v, n,
		     "%s stays: storage-bound, LUN %s %.2f busy (%s at %.2f of capacity)",
		     in->vs[v].name, in->luns[l].name, in->luns[l].busy, in->nodes[n].name,
		     r->start_share[n]);
	}
}

int vs_bal_round(const struct vs_bal_settings *s, const struct vs_bal_in *in,
                 struct vs_bal_out *out)
{
	struct run r = {.s = s, .in = in, .out = out};
	int rc;

	out->n_moves = out->n_notes = out->notes_lost = 0;
	out->ideal = out->worst = out->worst_after = out->demand = 0;
	out->standby_open = false;
	rc = vs_bal_check_settings(s, NULL, 0);
	if (rc < 0)
		return rc;
	if (out->cap_moves < 0 || out->cap_notes < 0 || (out->cap_moves && !out->moves))
		return -EINVAL;
	if (out->cap_moves < s->max_moves)
		return -E2BIG;
	rc = vs_bal_loads_of(in, &r.ld);
	if (rc < 0)
		return rc;
	for (int n = 0; n < in->n_nodes; n++)
		r.start_share[n] = share(in->nodes[n].cap, r.ld.l[n]);
	for (int v = 0; v < in->n_vs; v++)
		if (in->vs[v].node >= 0 && moved_within(in, v, in->vs[v].settle_usec))
			r.settling[in->vs[v].node] = true;
	double demand = pool_of(&r);
	figures(&r, &r.ideal, &out->worst);
	out->ideal = r.ideal;
	out->demand = demand;
	/* Over the ideal by the trigger, and loaded at all: a node at a few
	 * per cent of its capacity is not helped by a move (which costs its
	 * clients a grace period). */
	r.over = fmax(r.ideal * (1 + s->trigger), s->min_share);
	r.settle = fmax(r.ideal * (1 + s->trigger * s->settle), s->min_share);
	r.over_mean = r.over;
	/* Compared at a peak: over the pool's average spread too. */
	double spread = 0;
	int n_pool = 0;
	for (int n = 0; n < in->n_nodes; n++)
		if (r.pool[n]) {
			const double *cap = in->nodes[n].cap;
			spread += peak_share(s, cap, r.ld.l[n], r.ld.q[n]) - share(cap, r.ld.l[n]);
			n_pool++;
		}
	if (n_pool) {
		r.over += spread / n_pool;
		r.settle += spread / n_pool;
	}
	if (s->mode != VS_BAL_OFF) {
		storage_notes(&r);
		if (demand < s->low_water)
			drain(&r, demand);
		balance(&r);
	}
	double ideal_after;
	figures(&r, &ideal_after, &out->worst_after);
	return 0;
}

/* ---- one VS to place -------------------------------------------------- */

int vs_bal_pick(const struct vs_bal_settings *s, const struct vs_bal_in *in, int vs,
                struct vs_bal_loads *loads, int *node, char *why, size_t len)
{
	bool act[VS_BAL_MAX_NODES], stb[VS_BAL_MAX_NODES];
	int rc = vs_bal_check_settings(s, NULL, 0), n_act = 0, n_stb = 0, n_ok = 0;
	double a_after = 0, s_after = 0;

	*node = -1;
	if (rc == 0)
		rc = check_in(in);
	if (rc < 0)
		return rc;
	if (vs < 0 || vs >= in->n_vs || loads->n != in->n_nodes)
		return -EINVAL;
	for (int n = 0; n < in->n_nodes; n++) {
		act[n] = active(&in->nodes[n]);
		stb[n] = usable(&in->nodes[n]) && !act[n];
		n_act += act[n];
		n_stb += stb[n];
		n_ok += usable(&in->nodes[n]) && can_serve(in, vs, n);
	}
	int a = best_target(in, loads, vs, -1, act, INFINITY, &a_after);
	int b = -1;
	if (a < 0 || a_after > s->high_water)
		b = best_target(in, loads, vs, -1, stb, INFINITY, &s_after);
	int to = b >= 0 && (a < 0 || s_after < a_after) ? b : a;
	if (to < 0) {
		snprintf(why, len,
		         "no node can take %s: %d active and %d standby nodes may take virtual "
		         "servers, none can serve it",
		         in->vs[vs].name, n_act, n_stb);
		return -ENOENT;
	}
	int dim;
	double l[VS_BAL_NDIMS];
	with(loads->l[to], in->vs[vs].load, 1, l);
	double after = share_dim(in->nodes[to].cap, l, &dim);
	snprintf(why, len,
	         "%s%s %s %.2f of capacity with it, the least of %d nodes that can serve it",
	         to == b ? "standby " : "", in->nodes[to].name, dim_name[dim], after, n_ok);
	carry(loads, in->vs[vs].load, -1, to);
	*node = to;
	return 0;
}

/* ---- vs_place's view -------------------------------------------------- */

bool vs_bal_can_serve_place(int vs, int node, void *view)
{
	const struct vs_bal_place_view *pv = view;
	const struct vs_node_report *rep = pv->reports[node];
	const struct vs_vserver *x = pv->vs[vs];
	char why[160];

	if (!rep || !vs_node_can_serve(pv->cfg, x, rep, why, sizeof(why)))
		return false;
	for (int i = 0; i < pv->n_failed; i++)
		if (strcmp(pv->failed[i].vs, x->name) == 0 &&
		    strcmp(pv->failed[i].node, rep->node) == 0)
			return false;
	return true;
}
