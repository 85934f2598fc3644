/*
 * ap_clbalance.c - the master's balancing round (DESIGN R6, R7, section 7):
 * every AP_CL_BALANCE_USEC the master hands the pure balancer (vs_balance.h)
 * what it knows, the clock included: every member's capacity and each
 * running VS's smoothed load from the nodes' 'load' messages, each LUN's
 * busy share as the most loaded of the nodes that see it, which node can
 * serve which VS (vs_place's rule, through vs_bal_can_serve_place), and when
 * each VS last changed node (the move journal) and how long it settles
 * there after a move (vs_bal_settle_usec of its NFS lease and grace and the
 * load averages' time constant). The settings are the
 * administrator's (`vsadm balance set`). In mode "advise" each move it would
 * make and each storage-bound VS go to the event log with the numbers that
 * caused them, once per change, and nothing moves; in "auto" (the default)
 * the moves are handed to the next placement (vs_place_ctx.balance), which
 * makes them as journaled moves of kind "balance"; "off": no round.
 *
 * A round runs only when every member has sent its loads recently (no
 * decision on a partial view) and no move is under way.
 *
 * ap_cl_balance_ctx gives every placement what balancing knows: those
 * moves, the VSs that run where the balancer put them (no auto-revert for
 * them: the journal's last move of the VS is a done "balance" to where it
 * runs) and the measured loads (a failover places by them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_cluster.h"
#include "appliance/ap_cluster_int.h"
#include "lib/lib_log.h"
#include "vserver/vs_balance.h"

/* Everything one round needs, on the heap (about 1 MB at 1,000 VSs). */
struct round {
	struct vs_bal_node nodes[VS_BAL_MAX_NODES];
	const struct vs_node_report *reports[VS_BAL_MAX_NODES];
	const struct ap_msg *loads[VS_BAL_MAX_NODES];
	struct vs_bal_vs vs[VS_BAL_MAX_VS];
	const struct vs_vserver *vsp[VS_BAL_MAX_VS];
	struct vs_bal_lun luns[VS_BAL_MAX_LUNS];
	char lun_names[VS_BAL_MAX_LUNS][VS_LUN_MAX + 8];
	struct vs_place_entry failed[AP_CL_MAX_FAILING];
	struct vs_bal_move moves[VS_BAL_MAX_MOVES];
	struct vs_bal_note notes[64];
};

static int lun_index(struct round *r, int *n, const char *name, double busy)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(r->lun_names[i], name) == 0) {
			if (busy > r->luns[i].busy)
				r->luns[i].busy = busy;
			return i;
		}
	if (*n >= VS_BAL_MAX_LUNS)
		return -1;
	snprintf(r->lun_names[*n], sizeof(r->lun_names[0]), "%s", name);
	r->luns[*n].name = r->lun_names[*n];
	r->luns[*n].busy = busy;
	return (*n)++;
}

static int node_index(const struct round *r, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(r->nodes[i].name, name) == 0)
			return i;
	return -1;
}

/* When each VS last changed node, by the journal (wall clock), as a map
 * VS -> done time: one pass, not one per VS. NULL: out of memory. */
static json_t *moved_at_all(const struct ap_cluster *c)
{
	json_t *at = json_object();

	for (int i = 0; at && i < c->n_moves; i++) {
		const struct vs_move *m = &c->moves[i];
		json_t *was = json_object_get(at, m->vs);
		uint64_t t = m->at[VS_MOVE_DONE];
		if (t && (!was || (uint64_t)json_integer_value(was) < t) &&
		    json_object_set_new(at, m->vs, json_integer((json_int_t)t)) < 0) {
			json_decref(at);
			return NULL;
		}
	}
	return at;
}

/* What a node's healthy ports carry (bytes/s), by its load message and its
 * report; 1 with no healthy port (full at once). */
static double net_capacity(const struct ap_msg *l, const struct vs_node_report *rep)
{
	double cap = 0;

	for (int p = 0; p < l->load.n_ports; p++)
		for (int h = 0; h < rep->n_ports; h++)
			if (strcmp(l->load.ports[p].port, rep->healthy_ports[h]) == 0)
				cap += l->load.ports[p].speed_bps;
	return cap > 0 ? cap : 1;
}

/* A member's loads are recent enough to decide on: sent within three of its
 * periods and a balancing period. */
static bool load_fresh(const struct ap_msg *l, uint64_t age)
{
	return age <= 3 * (uint64_t)l->load.period_ms * 1000 + AP_CL_BALANCE_USEC;
}

/* Said once per change: the advice for vs (or a note) is logged when its
 * gist (sig: where it would go, or what the note is) differs from what the
 * last round said; the numbers alone changing say nothing new. */
static void say_once(struct ap_cluster *c, const char *vs, const char *sig, const char *text,
                     bool advice)
{
	const char *was = json_string_value(json_object_get(c->bal_said, vs));

	if (was && strcmp(was, sig) == 0)
		return;
	json_object_set_new(c->bal_said, vs, json_string(sig));
	ap_cl_event(c, vs, "info", "balancing%s: %s", advice ? " (advice, nothing moved)" : "",
	            text);
}

/* The reason without its "VS A->B: " head (the move's own note says that). */
static const char *reason_body(const char *reason)
{
	const char *p = strstr(reason, ": ");

	return p ? p + 2 : reason;
}

void ap_cl_balance_round(struct ap_cluster *c, uint64_t mono_now, uint64_t wall_now)
{
	const struct vs_config *cfg = c->hooks.config(c->arg);
	struct round *r;
	struct vs_bal_settings s;
	struct vs_bal_in in = {0};
	struct vs_bal_out out = {0};
	int nn = 0, nv = 0, nl = 0;

	if (!cfg || !c->placement || cfg->balance.mode == VS_BALANCE_OFF || ap_cl_moves_active(c))
		return;
	r = calloc(1, sizeof(*r));
	if (!r) {
		lib_err("balancing: out of memory");
		return;
	}
	for (int i = 0; i < c->n_nodes; i++) {
		const struct ap_cl_node *cn = &c->nodes[i];
		uint64_t age;
		if (!ap_cl_is_member(c, cn->id))
			continue;
		const struct ap_msg *l = ap_cluster_load_of(c, cn->name, &age);
		const struct vs_node_report *rep = vs_report_of(c->reports, c->n_reports, cn->name);
		if (!l || !rep || !load_fresh(l, age))
			goto out; /* a member not heard: no decision on a partial view */
		struct vs_bal_node *bn = &r->nodes[nn];
		bn->name = cn->name;
		bn->cap[VS_BAL_CPU] = l->load.cores;
		bn->cap[VS_BAL_NET] = net_capacity(l, rep);
		bn->flags = VS_BAL_MEMBER;
		if (vs_config_in_maint(cfg, cn->name))
			bn->flags |= VS_BAL_MAINT;
		if (vs_config_is_standby(cfg, cn->name))
			bn->flags |= VS_BAL_STANDBY;
		r->reports[nn] = rep;
		r->loads[nn] = l;
		for (int k = 0; k < l->load.n_luns; k++)
			(void)lun_index(r, &nl, l->load.luns[k].lun, l->load.luns[k].util);
		nn++;
	}
	uint64_t tau = vs_bal_tau_usec(&cfg->balance);
	json_t *moved = moved_at_all(c);
	if (!moved) {
		lib_err("balancing: out of memory");
		goto out;
	}
	for (int i = 0; i < cfg->n_vservers && nv < VS_BAL_MAX_VS; i++) {
		const struct vs_vserver *vs = &cfg->vservers[i];
		const char *at = vs_placement_node(c->placement, vs->name);
		int ni = at ? node_index(r, nn, at) : -1;
		if (ni < 0)
			continue;
		const struct ap_msg *l = r->loads[ni];
		const struct ap_load_vs *lv = NULL;
		for (int k = 0; k < l->load.n_vs && !lv; k++)
			if (strcmp(l->load.vs[k].vs, vs->name) == 0)
				lv = &l->load.vs[k];
		if (!lv)
			continue; /* not measured yet (starting): left where it is */
		struct vs_bal_vs *bv = &r->vs[nv];
		bv->name = vs->name;
		bv->node = ni;
		bv->pinned = vs->pinned;
		bv->load[VS_BAL_CPU] = lv->cpu;
		bv->load[VS_BAL_NET] = lv->net_bps;
		bv->moved_usec = (uint64_t)json_integer_value(json_object_get(moved, vs->name));
		int lease, grace;
		vs_vserver_nfs_timers(vs, &lease, &grace);
		bv->settle_usec = vs_bal_settle_usec(grace, lease, tau);
		for (int f = 0; f < vs->n_fs && bv->n_luns < VS_BAL_VS_LUNS; f++) {
			char name[VS_LUN_MAX + 8];
			snprintf(name, sizeof(name), "%s=%s",
			         vs->fs[f].lun_kind == VS_LUN_UUID ? "UUID" : "LABEL",
			         vs->fs[f].lun);
			int li = lun_index(r, &nl, name, 0);
			if (li >= 0)
				bv->luns[bv->n_luns++] = li;
		}
		r->vsp[nv++] = vs;
	}
	json_decref(moved);
	struct vs_bal_place_view view = {.cfg = cfg, .vs = r->vsp, .reports = r->reports};
	view.n_failed = ap_cl_failing(c, mono_now, r->failed, AP_CL_MAX_FAILING);
	view.failed = r->failed;
	if (view.n_failed < 0)
		view.n_failed = 0;
	in = (struct vs_bal_in){.nodes = r->nodes,
	                        .n_nodes = nn,
	                        .vs = r->vs,
	                        .n_vs = nv,
	                        .luns = r->luns,
	                        .n_luns = nl,
	                        .can_serve = vs_bal_can_serve_place,
	                        .arg = &view,
	                        .now_usec = wall_now};
	vs_bal_from_config(&cfg->balance, &s);
	out = (struct vs_bal_out){
	    .moves = r->moves, .cap_moves = VS_BAL_MAX_MOVES, .notes = r->notes, .cap_notes = 64};
	int rc = vs_bal_round(&s, &in, &out);
	if (rc < 0) {
		lib_warn("balancing: the round was refused: %s", strerror(-rc));
		goto out;
	}
	/* Advice for a VS no longer given is forgotten, so it is said again
	 * when it comes back. */
	json_t *now_said = json_object();
	bool advice = s.mode != VS_BAL_AUTO;
	c->n_bal_hints = 0;
	c->bal_hints_at = mono_now;
	for (int i = 0; i < out.n_moves; i++) {
		const struct vs_bal_move *mv = &out.moves[i];
		const char *vs = r->vs[mv->vs].name;
		char sig[2 * VS_NAME_MAX + 8];
		snprintf(sig, sizeof(sig), "%s->%s", r->nodes[mv->from].name,
		         r->nodes[mv->to].name);
		say_once(c, vs, sig, mv->reason, advice);
		json_object_set(now_said, vs, json_object_get(c->bal_said, vs));
		if (advice ||
		    c->n_bal_hints >= (int)(sizeof(c->bal_hints) / sizeof(c->bal_hints[0])))
			continue;
		struct vs_place_hint *h = &c->bal_hints[c->n_bal_hints++];
		snprintf(h->vs, sizeof(h->vs), "%s", vs);
		snprintf(h->node, sizeof(h->node), "%s", r->nodes[mv->to].name);
		snprintf(h->reason, sizeof(h->reason), "%s", reason_body(mv->reason));
	}
	for (int i = 0; i < out.n_notes; i++) {
		const struct vs_bal_note *no = &out.notes[i];
		const char *key = no->vs >= 0 ? r->vs[no->vs].name : r->nodes[no->node].name;
		if (json_object_get(now_said, key))
			continue;
		say_once(c, key, no->kind == VS_BAL_NOTE_STORAGE ? "storage" : "stuck", no->text,
		         advice);
		json_object_set(now_said, key, json_object_get(c->bal_said, key));
	}
	if (now_said) {
		json_decref(c->bal_said);
		c->bal_said = now_said;
	}
	c->bal_last.ideal = out.ideal;
	c->bal_last.worst = out.worst;
	c->bal_last.worst_after = out.worst_after;
	c->bal_last.n_moves = out.n_moves;
	c->bal_last.at = wall_now;
	c->bal_last.mode = (int)s.mode;
	if (c->n_bal_hints)
		ap_cl_master_place(c);
out:
	free(r);
}

struct ctx_scratch {
	const char *balanced[VS_MAX_VSERVERS];
	double member_cores[AP_CL_MAX_NODES];
	double member_net[AP_CL_MAX_NODES], member_net_cap[AP_CL_MAX_NODES];
	struct vs_place_load vs_cores[VS_MAX_VSERVERS];
};

void ap_cl_balance_ctx(struct ap_cluster *c, const char *const *members, int n,
                       struct vs_place_ctx *ctx, void **scratch)
{
	struct ctx_scratch *s = calloc(1, sizeof(*s));
	int nb = 0, nv = 0;
	bool all = true;

	*scratch = s;
	if (!s)
		return;
	/* A round's moves for the placements of that round only: never from
	 * loads of long ago (a master that lost the role and got it back). */
	if (c->n_bal_hints && ap_cl_mono_now(c) - c->bal_hints_at <= AP_CL_BALANCE_USEC) {
		ctx->balance = c->bal_hints;
		ctx->n_balance = c->n_bal_hints;
	}
	/* The newest move of each VS is the first met from the end (the
	 * journal keeps each VS's newest: ap_clmove.c). */
	json_t *seen = json_object();
	for (int i = c->n_moves - 1; seen && i >= 0; i--) {
		const struct vs_move *m = &c->moves[i];
		if (json_object_get(seen, m->vs))
			continue;
		if (json_object_set_new(seen, m->vs, json_true()) < 0)
			break;
		const char *at = vs_placement_node(c->placement, m->vs);
		if (m->kind == VS_MOVE_BALANCE && m->state == VS_MOVE_DONE && at &&
		    strcmp(at, m->to) == 0 && nb < VS_MAX_VSERVERS)
			s->balanced[nb++] = m->vs;
	}
	json_decref(seen);
	ctx->balanced = s->balanced;
	ctx->n_balanced = nb;
	bool net = true;
	for (int i = 0; i < n && i < AP_CL_MAX_NODES; i++) {
		uint64_t age;
		const struct ap_msg *l = ap_cluster_load_of(c, members[i], &age);
		const struct vs_node_report *rep =
		    vs_report_of(c->reports, c->n_reports, members[i]);
		if (!l || !load_fresh(l, age)) {
			all = false;
			continue;
		}
		s->member_cores[i] = l->load.cpu;
		net = net && rep;
		if (rep)
			s->member_net_cap[i] = net_capacity(l, rep);
		for (int k = 0; k < l->load.n_vs && nv < VS_MAX_VSERVERS; k++) {
			struct vs_place_load *pl = &s->vs_cores[nv++];
			snprintf(pl->vs, sizeof(pl->vs), "%s", l->load.vs[k].vs);
			pl->cores = l->load.vs[k].cpu;
			pl->net_bps = l->load.vs[k].net_bps;
			s->member_net[i] += pl->net_bps;
		}
	}
	/* Recent loads of every member, or none: a partial or old view would
	 * favour the node not heard. */
	if (all && n > 0) {
		ctx->member_cores = s->member_cores;
		ctx->vs_cores = s->vs_cores;
		ctx->n_vs_cores = nv;
		if (net) {
			ctx->member_net_bps = s->member_net;
			ctx->member_net_cap = s->member_net_cap;
		}
	}
}
