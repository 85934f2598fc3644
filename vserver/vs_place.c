/*
 * vs_place.c - placement of virtual servers on nodes (see vs_place.h), and
 * the administrator's placement settings it reads (declared in vs_model.h:
 * a VS's `at` and auto-revert, the nodes under maintenance).
 */
#include "vserver/vs_place.h"

#include "vserver/vs_err.h"
#include "vserver/vs_index.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *vs_placement_node(const struct vs_placement *pl, const char *vs)
{
	for (int i = 0; i < pl->n; i++)
		if (strcmp(pl->e[i].vs, vs) == 0)
			return pl->e[i].node;
	return NULL;
}

/* pl's entries by VS name (the first entry of a name wins, as in
 * vs_placement_node): 0 or -ENOMEM (ix then freed). */
static int index_placement(const struct vs_placement *pl, struct vs_index *ix)
{
	vs_index_init(ix);
	for (int i = 0; pl && i < pl->n; i++) {
		int rc = vs_index_put(ix, pl->e[i].vs, (void *)&pl->e[i]);
		if (rc < 0 && rc != -EEXIST) {
			vs_index_free(ix);
			return rc;
		}
	}
	return 0;
}

static const char *indexed_node(const struct vs_index *ix, const char *vs)
{
	const struct vs_place_entry *e = vs_index_get(ix, vs);

	return e ? e->node : NULL;
}

const struct vs_node_report *vs_report_of(const struct vs_node_report *r, int n, const char *node)
{
	for (int i = 0; i < n; i++)
		if (strcmp(r[i].node, node) == 0)
			return &r[i];
	return NULL;
}

static bool has_port(const struct vs_node_report *r, const char *port)
{
	for (int i = 0; i < r->n_ports; i++)
		if (strcmp(r->healthy_ports[i], port) == 0)
			return true;
	return false;
}

/* Can r's node serve vs? 0 if so; else why (a phrase) in why and the kind
 * of move it calls for (VS_MOVE_STORAGE, VS_MOVE_PORTS), or -1 without a
 * report. */
static int cannot_serve(const struct vs_config *cfg, const struct vs_vserver *vs,
                        const struct vs_node_report *r, char *why, size_t len)
{
	if (!r) {
		snprintf(why, len, "has not reported yet");
		return -1;
	}
	for (int i = 0; i < vs->n_fs; i++) {
		char want[VS_LUN_MAX + 8];
		bool seen = false;
		snprintf(want, sizeof(want), "%s=%s",
		         vs->fs[i].lun_kind == VS_LUN_UUID ? "UUID" : "LABEL", vs->fs[i].lun);
		for (int k = 0; k < r->n_luns; k++)
			seen |= strcmp(r->luns[k], want) == 0;
		if (!seen) {
			snprintf(why, len, "does not see LUN %s", want);
			return VS_MOVE_STORAGE;
		}
	}
	for (int i = 0; i < vs->n_vips; i++) {
		const struct vs_fgroup *g = vs_vip_fgroup(cfg, &vs->vips[i]);
		bool ok = false;
		if (g) {
			for (int k = 0; k < g->n_ports; k++)
				ok |= has_port(r, g->ports[k]);
		} else {
			ok = has_port(r, vs->vips[i].home_port);
		}
		if (!ok) {
			snprintf(why, len, "has no healthy port for virtual IP %s",
			         vs->vips[i].addr);
			return VS_MOVE_PORTS;
		}
	}
	return 0;
}

bool vs_node_can_serve(const struct vs_config *cfg, const struct vs_vserver *vs,
                       const struct vs_node_report *r, char *why, size_t len)
{
	return cannot_serve(cfg, vs, r, why, len) == 0;
}

static void note(struct vs_place_note *notes, int max, int *n, const char *vs,
                 enum vs_move_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void note(struct vs_place_note *notes, int max, int *n, const char *vs,
                 enum vs_move_kind kind, const char *fmt, ...)
{
	va_list ap;

	if (!notes || *n >= max)
		return;
	snprintf(notes[*n].vs, sizeof(notes[*n].vs), "%s", vs);
	notes[*n].kind = kind;
	va_start(ap, fmt);
	vsnprintf(notes[*n].text, sizeof(notes[*n].text), fmt, ap);
	va_end(ap);
	(*n)++;
}

void vs_placement_put(struct vs_placement *pl, const char *vs, const char *node)
{
	snprintf(pl->e[pl->n].vs, sizeof(pl->e[0].vs), "%s", vs);
	snprintf(pl->e[pl->n].node, sizeof(pl->e[0].node), "%s", node);
	pl->n++;
}

/* One computation: its inputs and what it has counted so far. */
struct run {
	const struct vs_config *cfg;
	const struct vs_place_ctx *x;
	uint64_t hold;
	struct vs_index cur;
	unsigned load[VS_PLACE_MAX_NODES];
	double cores[VS_PLACE_MAX_NODES]; /* measured, plus what is placed */
	double net[VS_PLACE_MAX_NODES];   /* the same for traffic, bytes/s */
};

/* The balancer's hint for vs, or NULL. */
static const struct vs_place_hint *hint_of(const struct run *r, const char *vs)
{
	for (int i = 0; i < r->x->n_balance; i++)
		if (strcmp(r->x->balance[i].vs, vs) == 0)
			return &r->x->balance[i];
	return NULL;
}

static bool balanced(const struct run *r, const char *vs)
{
	for (int i = 0; i < r->x->n_balanced; i++)
		if (strcmp(r->x->balanced[i], vs) == 0)
			return true;
	return false;
}

static const struct vs_place_load *vs_measured(const struct run *r, const char *vs)
{
	for (int i = 0; i < r->x->n_vs_cores; i++)
		if (strcmp(r->x->vs_cores[i].vs, vs) == 0)
			return &r->x->vs_cores[i];
	return NULL;
}

static int member_ix(const struct run *r, const char *node)
{
	for (int i = 0; node && i < r->x->n_members; i++)
		if (strcmp(r->x->members[i], node) == 0)
			return i;
	return -1;
}

static const struct vs_node_report *report_named(const struct run *r, const char *node)
{
	return vs_report_of(r->x->reports, r->x->n_reports, node);
}

/* Did vs's servers keep failing on `node` (ctx->failed)? */
static bool failed_on(const struct run *r, const char *vs, const char *node)
{
	for (int i = 0; node && i < r->x->n_failed; i++)
		if (strcmp(r->x->failed[i].vs, vs) == 0 && strcmp(r->x->failed[i].node, node) == 0)
			return true;
	return false;
}

/* May `node` take vs now (a member, not under maintenance, reported, able
 * to serve it, its servers not failing there)? If not, why, as a sentence
 * part naming the node. */
static bool can_take(const struct run *r, const struct vs_vserver *vs, const char *node, char *why,
                     size_t len)
{
	char what[120];

	if (member_ix(r, node) < 0)
		snprintf(why, len, "%s is not a member of the cluster", node);
	else if (vs_config_in_maint(r->cfg, node))
		snprintf(why, len, "%s is under maintenance", node);
	else if (cannot_serve(r->cfg, vs, report_named(r, node), what, sizeof(what)) != 0)
		snprintf(why, len, "%s %s", node, what);
	else if (failed_on(r, vs->name, node))
		snprintf(why, len, "%s could not run it (its servers failed there)", node);
	else
		return true;
	return false;
}

/* Has members[m] been a member with a report for the hold-down? */
static bool held(const struct run *r, int m)
{
	uint64_t since;

	if (!r->x->member_since)
		return true;
	since = r->x->member_since[m];
	return r->x->now_usec >= since && r->x->now_usec - since >= r->hold;
}

/* Would vs, served on `was`, go back to its home node but for the
 * hold-down? Then the home node's member index. */
static int revert_home(const struct run *r, const struct vs_vserver *vs, const char *was)
{
	char why[160];

	if (vs->pinned || vs->no_auto_revert || vs->at[0] || !vs->home[0] ||
	    strcmp(vs->home, was) == 0 || !can_take(r, vs, vs->home, why, sizeof(why)))
		return -1;
	return member_ix(r, vs->home);
}

/* A VS still to place and why. */
struct todo {
	const struct vs_vserver *vs;
	enum vs_move_kind kind;
	char reason[160];
};

static int by_priority(const void *a, const void *b)
{
	const struct vs_vserver *x = ((const struct todo *)a)->vs;
	const struct vs_vserver *y = ((const struct todo *)b)->vs;

	if (x->priority != y->priority)
		return y->priority - x->priority;
	return strcmp(x->name, y->name);
}

/* Where each VS that can stay (or must go to `at` or home) goes; the others
 * into todo. */
static int keep(struct run *r, bool revert, struct vs_placement *next, struct todo *todo,
                struct vs_place_note *notes, int max_notes, int *nn)
{
	const struct vs_config *cfg = r->cfg;
	int n_todo = 0;

	for (int i = 0; i < cfg->n_vservers; i++) {
		const struct vs_vserver *vs = &cfg->vservers[i];
		char why[120], at_why[160] = "";
		if (vs->admin != VS_ADMIN_RUNNING)
			continue;
		const char *was = indexed_node(&r->cur, vs->name);
		bool was_member = member_ix(r, was) >= 0;
		/* A member that has not reported yet (it just rejoined, or the
		 * master just took over) keeps its VSs: moving needs evidence. */
		const struct vs_node_report *wr = was_member ? report_named(r, was) : NULL;
		int bad = wr ? cannot_serve(cfg, vs, wr, why, sizeof(why)) : 0;
		if (bad == 0 && wr && !vs->pinned && failed_on(r, vs->name, was)) {
			bad = VS_MOVE_RECOVER;
			snprintf(why, sizeof(why), "could not run it (its servers kept failing)");
		}
		bool was_ok = was_member && bad == 0;
		bool was_maint = was && vs_config_in_maint(cfg, was);

		if (vs->pinned && was_ok) {
			vs_placement_put(next, vs->name, was);
			if (was_maint)
				note(notes, max_notes, nn, vs->name, VS_MOVE_NKINDS,
				     "stays on %s (being evacuated): it is pinned to its node",
				     was);
			continue;
		}
		if (!vs->pinned && vs->at[0] && (!was || strcmp(vs->at, was) != 0)) {
			if (can_take(r, vs, vs->at, at_why, sizeof(at_why))) {
				/* The kind says why it leaves `was`: MIGRATE unless
				 * it had to leave anyway. */
				enum vs_move_kind kind = !was_member ? VS_MOVE_FAILOVER
				                         : bad > 0   ? (enum vs_move_kind)bad
				                         : was_maint ? VS_MOVE_EVACUATE
				                                     : VS_MOVE_MIGRATE;
				char pre[160] = "";
				if (kind == VS_MOVE_FAILOVER)
					snprintf(pre, sizeof(pre), "%s left the cluster; ", was);
				else if (kind == VS_MOVE_EVACUATE)
					snprintf(pre, sizeof(pre), "%s is being evacuated; ", was);
				else if (kind != VS_MOVE_MIGRATE)
					snprintf(pre, sizeof(pre), "%s %s; ", was, why);
				vs_placement_put(next, vs->name, vs->at);
				if (was)
					note(notes, max_notes, nn, vs->name, kind,
					     "moved %s->%s: %smigrated there by the administrator",
					     was, vs->at, pre);
				else
					note(notes, max_notes, nn, vs->name, VS_MOVE_START,
					     "placed on %s, where the administrator migrated it",
					     vs->at);
				continue;
			}
		}
		const struct vs_place_hint *bh = hint_of(r, vs->name);
		char bh_why[160];
		if (!vs->pinned && was_ok && !was_maint && !vs->at[0] && bh &&
		    strcmp(bh->node, was) != 0 &&
		    can_take(r, vs, bh->node, bh_why, sizeof(bh_why))) {
			vs_placement_put(next, vs->name, bh->node);
			note(notes, max_notes, nn, vs->name, VS_MOVE_BALANCE, "moved %s->%s: %s",
			     was, bh->node, bh->reason);
			continue;
		}
		if (!vs->pinned && was_ok && !was_maint) {
			int h = revert && !balanced(r, vs->name) ? revert_home(r, vs, was) : -1;
			unsigned long long hold_s = (unsigned long long)(r->hold / 1000000);
			if (h >= 0 && held(r, h)) {
				vs_placement_put(next, vs->name, vs->home);
				note(notes, max_notes, nn, vs->name, VS_MOVE_REVERT,
				     "moved %s->%s: back to its home node, a member again for "
				     "%llu s or more",
				     was, vs->home, hold_s);
				continue;
			}
			vs_placement_put(next, vs->name, was);
			if (h >= 0)
				note(notes, max_notes, nn, vs->name, VS_MOVE_NKINDS,
				     "goes back to its home node %s once %s has been a member for "
				     "%llu s (hold-down)",
				     vs->home, vs->home, hold_s);
			else if (at_why[0])
				note(notes, max_notes, nn, vs->name, VS_MOVE_NKINDS,
				     "stays on %s, not on %s where it was migrated: %s", was,
				     vs->at, at_why);
			continue;
		}
		struct todo *t = &todo[n_todo++];
		size_t len = sizeof(t->reason);
		t->vs = vs;
		if (was && !was_member) {
			t->kind = VS_MOVE_FAILOVER;
			snprintf(t->reason, len, "%s left the cluster", was);
		} else if (was_maint) {
			t->kind = VS_MOVE_EVACUATE;
			snprintf(t->reason, len, "%s is being evacuated", was);
		} else if (was) {
			t->kind = bad > 0 ? (enum vs_move_kind)bad : VS_MOVE_STORAGE;
			snprintf(t->reason, len, "%s %s", was, why);
		} else {
			t->kind = VS_MOVE_START;
			snprintf(t->reason, len, "not placed yet");
		}
		if (at_why[0]) {
			size_t n = strlen(t->reason);
			snprintf(t->reason + n, len - n, "; not on %s where it was migrated: %s",
			         vs->at, at_why);
		}
	}
	return n_todo;
}

/* A pinned VS to place: on its node, or it waits. */
static void place_pinned(struct run *r, const struct todo *t, struct vs_placement *next,
                         struct vs_place_note *notes, int max_notes, int *nn)
{
	const struct vs_vserver *vs = t->vs;
	const char *was = indexed_node(&r->cur, vs->name);
	const char *home = vs->home[0] ? vs->home : was;
	int h = member_ix(r, home);
	char why[120] = "";

	if (h >= 0 && !vs_config_in_maint(r->cfg, home) &&
	    cannot_serve(r->cfg, vs, report_named(r, home), why, sizeof(why)) == 0) {
		vs_placement_put(next, vs->name, home);
		if (h < VS_PLACE_MAX_NODES)
			r->load[h]++;
		note(notes, max_notes, nn, vs->name,
		     was && strcmp(was, home) == 0 ? VS_MOVE_NKINDS : t->kind,
		     "placed on its home node %s (pinned)", home);
		return;
	}
	note(notes, max_notes, nn, vs->name, VS_MOVE_NKINDS,
	     "pinned to %s, which is %s: it waits for its node", home ? home : "its first node",
	     h < 0                              ? "not in the cluster"
	     : vs_config_in_maint(r->cfg, home) ? "under maintenance"
	                                        : why);
}

/* Why no node but `was` can serve vs (for the note of a VS that stays). */
static void none_other(const struct run *r, const struct vs_vserver *vs, const char *was, char *out,
                       size_t len)
{
	char why[160];
	bool other = false, serving = false;

	for (int m = 0; m < r->x->n_members; m++) {
		const char *node = r->x->members[m];
		if (strcmp(node, was) == 0)
			continue;
		other = true;
		if (!vs_config_in_maint(r->cfg, node) && !serving) {
			serving = true;
			can_take(r, vs, node, why, sizeof(why));
		}
	}
	if (!other)
		snprintf(out, len, "no other node is a member");
	else if (!serving)
		snprintf(out, len, "every other node is under maintenance");
	else
		snprintf(out, len, "no other node can serve it (%s)", why);
}

static void place_todo(struct run *r, const struct todo *t, struct vs_placement *next,
                       struct vs_place_note *notes, int max_notes, int *nn)
{
	const struct vs_vserver *vs = t->vs;
	const char *was = indexed_node(&r->cur, vs->name);
	const struct vs_place_ctx *x = r->x;
	int best = -1;
	double best_load = 0;
	char why[160];

	/* Home first, when it can take it; else the least loaded that can. */
	int h = vs->home[0] ? member_ix(r, vs->home) : -1;
	bool home_ok =
	    h >= 0 && h < VS_PLACE_MAX_NODES && can_take(r, vs, vs->home, why, sizeof(why));
	if (home_ok)
		best = h;
	const struct vs_place_load *ml = vs_measured(r, vs->name);
	double own = ml ? ml->cores : 0, own_net = ml ? ml->net_bps : 0;
	bool by_net = x->member_net_bps && x->member_net_cap;
	/* Active nodes first; standby nodes only when none can take it. */
	for (int pass = 0; pass < 2 && !home_ok && best < 0; pass++)
		for (int m = 0; m < x->n_members && m < VS_PLACE_MAX_NODES; m++) {
			const struct vs_node_report *rep = report_named(r, x->members[m]);
			if (vs_config_is_standby(r->cfg, x->members[m]) != (pass == 1) ||
			    !can_take(r, vs, x->members[m], why, sizeof(why)))
				continue;
			double cap = rep->capacity ? rep->capacity : 1;
			/* Measured cores, and each VS a little (VS_PLACE_VS_SHARE)
			 * besides: idle VSs still spread, as they do when counted. */
			double l = x->member_cores ? (r->cores[m] + own) / cap +
			                                 VS_PLACE_VS_SHARE * r->load[m] / cap
			                           : (double)r->load[m] / cap;
			if (x->member_cores && by_net) {
				double ncap = x->member_net_cap[m] > 0 ? x->member_net_cap[m] : 1;
				double ln = (r->net[m] + own_net) / ncap +
				            VS_PLACE_VS_SHARE * r->load[m] / cap;
				if (ln > l)
					l = ln;
			}
			if (best < 0 || l < best_load ||
			    (l == best_load && r->load[m] < r->load[best]) ||
			    (l == best_load && r->load[m] == r->load[best] &&
			     strcmp(x->members[m], x->members[best]) < 0)) {
				best = m;
				best_load = l;
			}
		}
	if (best < 0) {
		if (was && member_ix(r, was) >= 0) {
			/* Nowhere better: it stays, and is reported. */
			vs_placement_put(next, vs->name, was);
			if (t->kind == VS_MOVE_EVACUATE) {
				none_other(r, vs, was, why, sizeof(why));
				note(notes, max_notes, nn, vs->name, VS_MOVE_NKINDS,
				     "stays on %s (being evacuated): %s", was, why);
			} else {
				note(notes, max_notes, nn, vs->name, VS_MOVE_NKINDS,
				     "stays on %s: %s, and no other node can serve it", was,
				     t->reason);
			}
		} else {
			note(notes, max_notes, nn, vs->name, VS_MOVE_NKINDS,
			     "cannot run anywhere: no member node can serve it (%s)", t->reason);
		}
		return;
	}
	const char *to = x->members[best];
	const struct vs_node_report *rep = report_named(r, to);
	vs_placement_put(next, vs->name, to);
	r->load[best]++;
	r->cores[best] += own;
	r->net[best] += own_net;
	if (was)
		note(notes, max_notes, nn, vs->name, t->kind,
		     "moved %s->%s: %s; %s has %u virtual servers for %u cores (priority %d)", was,
		     to, t->reason, to, r->load[best] - 1, rep ? rep->capacity : 1, vs->priority);
	else
		note(notes, max_notes, nn, vs->name, VS_MOVE_START,
		     "placed on %s%s (%u virtual servers for %u cores there before)", to,
		     strcmp(to, vs->home) == 0 ? ", its home node" : "", r->load[best] - 1,
		     rep ? rep->capacity : 1);
}

static int place(const struct vs_config *cfg, const struct vs_place_ctx *x, bool revert,
                 struct vs_placement *next, struct vs_place_note *notes, int max_notes,
                 int *n_notes)
{
	struct run r = {.cfg = cfg, .x = x};
	struct todo *todo;
	int n_todo, nn = 0;

	next->n = 0;
	if (n_notes)
		*n_notes = 0;
	if (cfg->n_vservers > VS_MAX_VSERVERS)
		abort(); /* the model refuses more */
	r.hold = x->revert_hold_usec ? x->revert_hold_usec : VS_PLACE_REVERT_HOLD_USEC;
	todo = calloc((size_t)cfg->n_vservers + 1, sizeof(*todo));
	if (!todo)
		return -ENOMEM;
	if (index_placement(x->cur, &r.cur) < 0) {
		free(todo);
		return -ENOMEM;
	}
	for (int m = 0; x->member_cores && m < x->n_members && m < VS_PLACE_MAX_NODES; m++)
		r.cores[m] = x->member_cores[m];
	for (int m = 0; x->member_net_bps && m < x->n_members && m < VS_PLACE_MAX_NODES; m++)
		r.net[m] = x->member_net_bps[m];
	n_todo = keep(&r, revert, next, todo, notes, max_notes, &nn);
	for (int i = 0; i < next->n; i++) {
		int m = member_ix(&r, next->e[i].node);
		if (m >= 0 && m < VS_PLACE_MAX_NODES)
			r.load[m]++;
	}
	/* Highest priority first (names are unique: the order is total). */
	qsort(todo, (size_t)n_todo, sizeof(todo[0]), by_priority);
	for (int k = 0; k < n_todo; k++) {
		if (todo[k].vs->pinned)
			place_pinned(&r, &todo[k], next, notes, max_notes, &nn);
		else
			place_todo(&r, &todo[k], next, notes, max_notes, &nn);
	}
	free(todo);
	vs_index_free(&r.cur);
	if (n_notes)
		*n_notes = nn;
	return 0;
}

int vs_place_ex(const struct vs_config *cfg, const struct vs_place_ctx *ctx,
                struct vs_placement *next, struct vs_place_note *notes, int max_notes, int *n_notes)
{
	return place(cfg, ctx, true, next, notes, max_notes, n_notes);
}

int vs_place(const struct vs_config *cfg, const char *const *members, int n_members,
             const struct vs_node_report *reports, int n_reports, const struct vs_placement *cur,
             struct vs_placement *next, struct vs_place_note *notes, int max_notes, int *n_notes)
{
	const struct vs_place_ctx x = {.members = members,
	                               .n_members = n_members,
	                               .reports = reports,
	                               .n_reports = n_reports,
	                               .cur = cur};

	return place(cfg, &x, false, next, notes, max_notes, n_notes);
}

uint64_t vs_place_revert_due(const struct vs_config *cfg, const struct vs_place_ctx *ctx)
{
	struct run r = {.cfg = cfg, .x = ctx};
	uint64_t due = 0;

	if (!ctx->member_since || index_placement(ctx->cur, &r.cur) < 0)
		return 0;
	r.hold = ctx->revert_hold_usec ? ctx->revert_hold_usec : VS_PLACE_REVERT_HOLD_USEC;
	for (int i = 0; i < cfg->n_vservers; i++) {
		const struct vs_vserver *vs = &cfg->vservers[i];
		const char *was = indexed_node(&r.cur, vs->name);
		char why[120];
		if (vs->admin != VS_ADMIN_RUNNING || !was || member_ix(&r, was) < 0 ||
		    vs_config_in_maint(cfg, was) ||
		    cannot_serve(cfg, vs, report_named(&r, was), why, sizeof(why)) > 0)
			continue;
		int h = revert_home(&r, vs, was);
		if (h < 0 || held(&r, h))
			continue;
		uint64_t at = ctx->member_since[h] + r.hold;
		if (ctx->member_since[h] > ctx->now_usec)
			at = ctx->now_usec + r.hold; /* a clock that went back: a full hold */
		if (!due || at < due)
			due = at;
	}
	vs_index_free(&r.cur);
	return due;
}

const char *vs_place_to_fence(const struct vs_placement *cur, const struct vs_placement *next,
                              const char *const *members, int n_members,
                              bool (*needs_fence)(const char *node, void *arg), void *arg)
{
	struct vs_index cur_ix;
	const char *victim = NULL;
	bool indexed = index_placement(cur, &cur_ix) == 0; /* else a scan per VS */

	for (int i = 0; !victim && i < next->n; i++) {
		const char *from = indexed ? indexed_node(&cur_ix, next->e[i].vs)
		                           : vs_placement_node(cur, next->e[i].vs);
		bool member = false;
		if (!from || strcmp(from, next->e[i].node) == 0)
			continue;
		for (int k = 0; k < n_members && !member; k++)
			member = strcmp(members[k], from) == 0;
		if (!member && needs_fence(from, arg))
			victim = from;
	}
	vs_index_free(&cur_ix);
	return victim;
}

bool vs_place_runs_here(const struct vs_placement *pl, const char *vs, const char *node,
                        bool quorate, bool heard, bool already_here)
{
	const char *where = vs_placement_node(pl, vs);

	if (!quorate)
		return false;
	/* Before the master has spoken, the stored placement may be stale
	 * (tests/model/move.pml, STALE_GATE): nothing starts, and a VS still
	 * running here keeps running, wherever that placement puts it. */
	if (!heard)
		return already_here;
	return where && strcmp(where, node) == 0;
}

/* --- the administrator's placement settings (vs_model.h) --------------------- */

static_assert(VS_MAX_MAINT == VS_PLACE_MAX_NODES, "every node of a cluster may be in maintenance");

/* `at` := node, refused for a pinned VS (and, when `maint_rule`, for a node
 * under maintenance). */
static int set_at(struct vs_config *cfg, const char *name, const char *node, bool maint_rule,
                  char *err, size_t errlen)
{
	struct vs_vserver *vs;
	int rc = vs_config_need(cfg, name, &vs, err, errlen);

	if (rc < 0)
		return rc;
	node = node ? node : "";
	if (*node) {
		rc = vs_check_name("node", node, VS_NAME_MAX, err, errlen);
		if (rc < 0)
			return rc;
		if (vs->pinned && vs->home[0])
			return vs_fail(-EBUSY, err, errlen,
			               "'%s' is pinned to its home node %s, so it cannot be "
			               "migrated: a pinned virtual server runs there only.",
			               name, vs->home);
		if (vs->pinned)
			return vs_fail(-EBUSY, err, errlen,
			               "'%s' is pinned to the node it first ran on, so it cannot "
			               "be migrated.",
			               name);
		if (maint_rule && vs_config_in_maint(cfg, node))
			return vs_fail(-EBUSY, err, errlen,
			               "Node %s is under maintenance and takes no virtual server: "
			               "end it first ('vsadm node resume %s').",
			               node, node);
	}
	if (strcmp(vs->at, node) != 0) {
		snprintf(vs->at, sizeof(vs->at), "%s", node);
		cfg->version++;
	}
	return 0;
}

int vs_config_migrate(struct vs_config *cfg, const char *vs, const char *node, char *err,
                      size_t errlen)
{
	return set_at(cfg, vs, node, true, err, errlen);
}

int vs_config_set_at(struct vs_config *cfg, const char *vs, const char *node, char *err,
                     size_t errlen)
{
	return set_at(cfg, vs, node, false, err, errlen);
}

int vs_config_set_auto_revert(struct vs_config *cfg, const char *name, bool on, char *err,
                              size_t errlen)
{
	struct vs_vserver *vs;
	int rc = vs_config_need(cfg, name, &vs, err, errlen);

	if (rc < 0)
		return rc;
	if (vs->no_auto_revert == on) {
		vs->no_auto_revert = !on;
		cfg->version++;
	}
	return 0;
}
