/*
 * vs_place.c - placement of virtual servers on nodes (see vs_place.h).
 */
#include "vserver/vs_place.h"

#include "vserver/vs_index.h"

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

static const struct vs_node_report *report_of(const struct vs_node_report *r, int n,
                                              const char *node)
{
	for (int i = 0; i < n; i++)
		if (strcmp(r[i].node, node) == 0)
			return &r[i];
	return NULL;
}

static bool member(const char *const *m, int n, const char *node)
{
	for (int i = 0; node && i < n; i++)
		if (strcmp(m[i], node) == 0)
			return true;
	return false;
}

static bool has_port(const struct vs_node_report *r, const char *port)
{
	for (int i = 0; i < r->n_ports; i++)
		if (strcmp(r->healthy_ports[i], port) == 0)
			return true;
	return false;
}

bool vs_node_can_serve(const struct vs_config *cfg, const struct vs_vserver *vs,
                       const struct vs_node_report *r, char *why, size_t len)
{
	if (!r) {
		snprintf(why, len, "has not reported yet");
		return false;
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
			return false;
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
			return false;
		}
	}
	return true;
}

static void note(struct vs_place_note *notes, int max, int *n, const char *vs, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void note(struct vs_place_note *notes, int max, int *n, const char *vs, const char *fmt, ...)
{
	va_list ap;

	if (!notes || *n >= max)
		return;
	snprintf(notes[*n].vs, sizeof(notes[*n].vs), "%s", vs);
	va_start(ap, fmt);
	vsnprintf(notes[*n].text, sizeof(notes[*n].text), fmt, ap);
	va_end(ap);
	(*n)++;
}

static void put(struct vs_placement *pl, const char *vs, const char *node)
{
	snprintf(pl->e[pl->n].vs, sizeof(pl->e[0].vs), "%s", vs);
	snprintf(pl->e[pl->n].node, sizeof(pl->e[0].node), "%s", node);
	pl->n++;
}

/* A VS still to place and why. */
struct todo {
	const struct vs_vserver *vs;
	char reason[120];
};

static int by_priority(const void *a, const void *b)
{
	const struct vs_vserver *x = ((const struct todo *)a)->vs;
	const struct vs_vserver *y = ((const struct todo *)b)->vs;

	if (x->priority != y->priority)
		return y->priority - x->priority;
	return strcmp(x->name, y->name);
}

int vs_place(const struct vs_config *cfg, const char *const *members, int n_members,
             const struct vs_node_report *reports, int n_reports, const struct vs_placement *cur,
             struct vs_placement *next, struct vs_place_note *notes, int max_notes, int *n_notes)
{
	struct todo *todo;
	struct vs_index cur_ix;
	unsigned load[VS_PLACE_MAX_NODES] = {0};
	int n_todo = 0, nn = 0;
	char why[120];

	next->n = 0;
	if (n_notes)
		*n_notes = 0;
	if (cfg->n_vservers > VS_MAX_VSERVERS)
		abort(); /* the model refuses more */
	todo = calloc((size_t)cfg->n_vservers + 1, sizeof(*todo));
	if (!todo)
		return -ENOMEM;
	if (index_placement(cur, &cur_ix) < 0) {
		free(todo);
		return -ENOMEM;
	}
	/* Keep what can stay. */
	for (int i = 0; i < cfg->n_vservers; i++) {
		const struct vs_vserver *vs = &cfg->vservers[i];
		if (vs->admin != VS_ADMIN_RUNNING)
			continue;
		const char *was = indexed_node(&cur_ix, vs->name);
		/* A member that has not reported yet (it just rejoined, or the
		 * master just took over) keeps its VSs: moving needs evidence. */
		const struct vs_node_report *wr = was ? report_of(reports, n_reports, was) : NULL;
		if (was && member(members, n_members, was) &&
		    (!wr || vs_node_can_serve(cfg, vs, wr, why, sizeof(why)))) {
			put(next, vs->name, was);
			continue;
		}
		char *reason = todo[n_todo].reason;
		if (was && !member(members, n_members, was))
			snprintf(reason, sizeof(todo[0].reason), "%s left the cluster", was);
		else if (was)
			snprintf(reason, sizeof(todo[0].reason), "%s %s", was, why);
		else
			snprintf(reason, sizeof(todo[0].reason), "not placed yet");
		todo[n_todo++].vs = vs;
	}
	for (int i = 0; i < next->n; i++)
		for (int m = 0; m < n_members && m < VS_PLACE_MAX_NODES; m++)
			if (strcmp(members[m], next->e[i].node) == 0)
				load[m]++;
	/* Highest priority first (names are unique: the order is total). */
	qsort(todo, (size_t)n_todo, sizeof(todo[0]), by_priority);
	for (int k = 0; k < n_todo; k++) {
		const struct vs_vserver *vs = todo[k].vs;
		const char *sreason = todo[k].reason;
		const char *was = indexed_node(&cur_ix, vs->name);
		int best = -1;
		double best_load = 0;

		if (vs->pinned) {
			const char *home = vs->home[0] ? vs->home : was;
			int h = -1;
			for (int m = 0; home && m < n_members; m++)
				if (strcmp(members[m], home) == 0)
					h = m;
			if (h >= 0 &&
			    vs_node_can_serve(cfg, vs, report_of(reports, n_reports, home), why,
			                      sizeof(why))) {
				put(next, vs->name, home);
				load[h]++;
				note(notes, max_notes, &nn, vs->name,
				     "placed on its home node %s (pinned)", home);
			} else {
				note(notes, max_notes, &nn, vs->name,
				     "pinned to %s, which is %s: it waits for its node",
				     home ? home : "its first node",
				     h < 0 ? "not in the cluster" : why);
			}
			continue;
		}
		/* Home first, when it can serve. */
		for (int m = 0; vs->home[0] && m < n_members && m < VS_PLACE_MAX_NODES; m++)
			if (strcmp(members[m], vs->home) == 0 &&
			    vs_node_can_serve(cfg, vs, report_of(reports, n_reports, members[m]),
			                      why, sizeof(why)))
				best = m;
		if (best < 0) {
			for (int m = 0; m < n_members && m < VS_PLACE_MAX_NODES; m++) {
				const struct vs_node_report *r =
				    report_of(reports, n_reports, members[m]);
				if (!vs_node_can_serve(cfg, vs, r, why, sizeof(why)))
					continue;
				double l = (double)load[m] / (r->capacity ? r->capacity : 1);
				if (best < 0 || l < best_load ||
				    (l == best_load && strcmp(members[m], members[best]) < 0)) {
					best = m;
					best_load = l;
				}
			}
		}
		if (best < 0) {
			if (was && member(members, n_members, was)) {
				/* Nowhere better: it stays, and is reported. */
				put(next, vs->name, was);
				note(notes, max_notes, &nn, vs->name,
				     "stays on %s: %s, and no other node can serve it", was,
				     sreason);
			} else {
				note(notes, max_notes, &nn, vs->name,
				     "cannot run anywhere: no member node can serve it (%s)",
				     sreason);
			}
			continue;
		}
		put(next, vs->name, members[best]);
		load[best]++;
		const struct vs_node_report *r = report_of(reports, n_reports, members[best]);
		if (was)
			note(notes, max_notes, &nn, vs->name,
			     "moved %s->%s: %s; %s has %u virtual servers for %u cores (priority "
			     "%d)",
			     was, members[best], sreason, members[best], load[best] - 1,
			     r ? r->capacity : 1, vs->priority);
		else
			note(notes, max_notes, &nn, vs->name,
			     "placed on %s%s (%u virtual servers for %u cores there before)",
			     members[best],
			     strcmp(members[best], vs->home) == 0 ? ", its home node" : "",
			     load[best] - 1, r ? r->capacity : 1);
	}
	free(todo);
	vs_index_free(&cur_ix);
	if (n_notes)
		*n_notes = nn;
	return 0;
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

	if (!quorate || !where || strcmp(where, node) != 0)
		return false;
	return heard || already_here;
}
