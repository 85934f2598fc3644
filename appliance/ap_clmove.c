/*
 * ap_clmove.c - the master's driver of moves and every node's journal
 * (DESIGN R9, section 5; the state machine is vserver/vs_move.c).
 *
 * The master computes the placement it wants (vs_place), then every VS whose
 * node would change becomes a move, and every move under way takes one step
 * (vs_move_step) with the facts of this instant: membership, fencing, each
 * node's own report of the VS, who can serve it. A VS under way is placed
 * where its move says (on no node while it is released, on the target
 * once nothing else holds it), not where vs_place would put it. The journal
 * (moves under way, the last AP_CL_RECENT_MOVES done and the newest move of
 * each VS, vs_move_trim) travels with every
 * placement, so every node stores it and a new master carries on from it.
 *
 * Planned moves (evacuation, revert, migration) go a few at a time
 * (AP_CL_MAX_PLANNED); failovers all at once.
 */
#include "appliance/ap_stats.h"
#include "appliance/ap_cluster_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib_log.h"
#include "vserver/vs_index.h"

static const struct vs_node_report *report_named(const struct ap_cluster *c, const char *node)
{
	return vs_report_of(c->reports, c->n_reports, node);
}

static bool in_list(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* What `node` said about `vs` in its last report (a report lists the VSs
 * that are not stopped there). */
enum vs_move_word ap_cl_word_of(const struct ap_cluster *c, const char *node, const char *vs)
{
	json_t *states = json_object_get(c->words, node);
	const char *s;

	if (!states)
		return report_named(c, node) ? VS_MOVE_W_STOPPED : VS_MOVE_NO_WORD;
	s = json_string_value(json_object_get(states, vs));
	if (!s || strcmp(s, "stopped") == 0)
		return VS_MOVE_W_STOPPED;
	if (strcmp(s, "running") == 0)
		return VS_MOVE_W_RUNNING;
	if (strcmp(s, "failed") == 0)
		return VS_MOVE_W_FAILED;
	return VS_MOVE_W_BUSY;
}

static struct vs_move_node node_facts(struct ap_cluster *c, const char *const *members, int n,
                                      const char *node, const char *vs)
{
	struct vs_move_node f = {0};
	struct ap_cl_node *cn;

	if (!node[0])
		return f;
	cn = ap_cl_node_named(c, node);
	f.member = in_list(members, n, node);
	f.fenced = cn && cn->fstate == F_DONE;
	f.fenceable = cn && cn->fstate != F_FAILED &&
	              vs_config_find_fence(c->hooks.config(c->arg), node) != NULL;
	f.word = f.member ? ap_cl_word_of(c, node, vs) : VS_MOVE_NO_WORD;
	return f;
}

void ap_cl_record_words(struct ap_cluster *c, const char *node, const struct ap_msg *m)
{
	json_t *states = json_object();

	for (int k = 0; states && k < m->report.n_states; k++)
		json_object_set_new(states, m->report.states[k].vs,
		                    json_string(m->report.states[k].state));
	if (states)
		json_object_set_new(c->words, node, states);
}

void ap_cl_forget_words(struct ap_cluster *c, const char *node)
{
	json_object_del(c->words, node);
}

/* --- the journal ---------------------------------------------------------------- */

/* The index of the move of `vs` under way, or -1. */
static int active_ix(const struct ap_cluster *c, const char *vs)
{
	for (int i = 0; i < c->n_moves; i++)
		if (!vs_move_over(&c->moves[i]) && strcmp(c->moves[i].vs, vs) == 0)
			return i;
	return -1;
}

static struct vs_move *active_move(struct ap_cluster *c, const char *vs)
{
	int i = active_ix(c, vs);

	return i < 0 ? NULL : &c->moves[i];
}

bool ap_cl_move_of(const struct ap_cluster *c, const char *vs)
{
	return active_ix(c, vs) >= 0;
}

static int count_active(const struct ap_cluster *c, bool planned_only)
{
	int n = 0;

	for (int i = 0; i < c->n_moves; i++) {
		const struct vs_move *m = &c->moves[i];
		bool planned = m->kind == VS_MOVE_EVACUATE || m->kind == VS_MOVE_REVERT ||
		               m->kind == VS_MOVE_MIGRATE || m->kind == VS_MOVE_BALANCE;
		if (!vs_move_over(m) && (!planned_only || planned))
			n++;
	}
	return n;
}

static bool in_index(void *arg, const char *vs)
{
	return vs_index_get(arg, vs) != NULL;
}

/* The journal keeps the moves under way, the AP_CL_RECENT_MOVES newest done
 * and each configured VS's newest (vs_move_trim): at most one per VS and
 * the recent ones, which AP_MSG_MAX_MOVES bounds. Out of memory: the
 * recent ones only, and said. */
static void trim_journal(struct ap_cluster *c, const struct vs_config *cfg)
{
	struct vs_index names;
	int rc = 0;

	vs_index_init(&names);
	for (int k = 0; rc == 0 && k < cfg->n_vservers; k++)
		rc = vs_index_put(&names, cfg->vservers[k].name, (void *)&cfg->vservers[k]);
	if (rc < 0) {
		lib_err("move journal: cannot index the virtual servers (%s): only the %d newest "
		        "done moves are kept",
		        strerror(-rc), AP_CL_RECENT_MOVES);
		vs_index_free(&names);
	}
	c->n_moves = vs_move_trim(c->moves, c->n_moves, AP_CL_RECENT_MOVES, in_index, &names);
	vs_index_free(&names);
}

static struct vs_move *new_move(struct ap_cluster *c)
{
	if (c->n_moves == c->cap_moves) {
		int cap = c->cap_moves ? c->cap_moves * 2 : 64;
		struct vs_move *mv;
		if (cap > AP_MSG_MAX_MOVES)
			cap = AP_MSG_MAX_MOVES;
		if (cap <= c->n_moves)
			return NULL; /* bounded: one per VS and the recent ones */
		mv = realloc(c->moves, (size_t)cap * sizeof(*mv));
		if (!mv)
			return NULL;
		c->moves = mv;
		c->cap_moves = cap;
	}
	return &c->moves[c->n_moves++];
}

void ap_cl_adopt_moves(struct ap_cluster *c, const struct vs_move *moves, int n)
{
	if (n > c->cap_moves) {
		struct vs_move *mv = realloc(c->moves, (size_t)n * sizeof(*mv));
		if (!mv) {
			lib_err("cluster: out of memory holding the move journal");
			return;
		}
		c->moves = mv;
		c->cap_moves = n;
	}
	if (n)
		memcpy(c->moves, moves, (size_t)n * sizeof(*moves));
	c->n_moves = n;
	for (int i = 0; i < n; i++)
		if (moves[i].id >= c->next_move_id)
			c->next_move_id = moves[i].id + 1;
}

void ap_cl_save_moves(struct ap_cluster *c)
{
	json_t *doc = json_pack("{s:o}", "moves", ap_msg_moves_json(c->moves, c->n_moves));
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	if (!text || vs_store_meta_set(c->store, "moves", text) < 0)
		lib_err("cluster: cannot persist the move journal");
	free(text);
}

/* The stored journal goes through the codec like a received one. */
void ap_cl_load_moves(struct ap_cluster *c)
{
	size_t cap = 8u << 20;
	char *text = malloc(cap), err[VS_ERR_LEN];
	json_t *doc;
	struct ap_msg m;

	if (!text || vs_store_meta_get(c->store, "moves", text, cap) < 0) {
		free(text);
		return;
	}
	doc = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_object(doc)) {
		json_decref(doc);
		lib_err("cluster: the stored move journal is unusable");
		return;
	}
	json_object_set_new(doc, "t", json_string("place"));
	json_object_set_new(doc, "epoch", json_integer(1));
	json_object_set_new(doc, "by", json_string(c->node));
	json_object_set_new(doc, "map", json_array());
	json_object_set_new(doc, "notes", json_array());
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (text && ap_msg_decode(text, strlen(text), &m, err, sizeof(err)) == 0) {
		ap_cl_adopt_moves(c, m.place.moves, m.place.n_moves);
		ap_msg_clear(&m);
	} else {
		lib_err("cluster: the stored move journal is unusable: %s",
		        text ? err : "no memory");
	}
	free(text);
}

/* --- the driver ------------------------------------------------------------------- */

static const struct vs_place_note *note_of(const struct vs_place_note *notes, int n, const char *vs)
{
	for (int i = 0; i < n; i++)
		if (strcmp(notes[i].vs, vs) == 0)
			return &notes[i];
	return NULL;
}

/* Why a VS leaves `cur` for `to`, and what kind of move that is: as
 * vs_place said (its note), else as the facts say. */
static enum vs_move_kind classify(struct ap_cluster *c, const struct vs_vserver *vs,
                                  const char *cur, const char *to, const char *const *members,
                                  int n, const struct vs_place_note *pn, char *why, size_t len)
{
	const struct vs_config *cfg = c->hooks.config(c->arg);
	const struct vs_node_report *r;
	char what[120];

	if (pn && pn->kind < VS_MOVE_NKINDS) {
		/* "moved n1->n2: <why>" or "placed on n2..." */
		const char *colon =
		    strncmp(pn->text, "moved ", 6) == 0 ? strstr(pn->text, ": ") : NULL;
		snprintf(why, len, "%s", colon ? colon + 2 : pn->text);
		return pn->kind;
	}

	if (!cur) {
		snprintf(why, len, "not placed yet");
		return VS_MOVE_START;
	}
	if (!in_list(members, n, cur)) {
		snprintf(why, len, "%s left the cluster", cur);
		return VS_MOVE_FAILOVER;
	}
	r = report_named(c, cur);
	if (r && !vs_node_can_serve(cfg, vs, r, what, sizeof(what))) {
		snprintf(why, len, "%s %s", cur, what);
		return strstr(what, "LUN") ? VS_MOVE_STORAGE : VS_MOVE_PORTS;
	}
	if (vs->home[0] && strcmp(to, vs->home) == 0) {
		snprintf(why, len, "back to its home node %s", to);
		return VS_MOVE_REVERT;
	}
	snprintf(why, len, "placed on %s by the administrator", to);
	return VS_MOVE_MIGRATE;
}

static bool was_tried(const struct vs_move *m, const char *node)
{
	for (int k = 0; k < m->n_tried; k++)
		if (strcmp(m->tried[k], node) == 0)
			return true;
	return false;
}

/* The next candidate of a move: where vs_place would put the VS now, unless
 * that is its target or a node tried already; then the member that can serve
 * it with the fewest VSs per core, untried. NULL when none. */
static const char *next_candidate(struct ap_cluster *c, const struct vs_vserver *vs,
                                  const struct vs_move *m, const char *desired,
                                  const char *const *members, int n)
{
	const struct vs_config *cfg = c->hooks.config(c->arg);
	const char *best = NULL;
	double best_load = 0;
	char why[120];

	if (desired && strcmp(desired, m->to) != 0 && !was_tried(m, desired))
		return desired;
	for (int i = 0; i < n; i++) {
		const struct vs_node_report *r = report_named(c, members[i]);
		int placed = 0;
		if (strcmp(members[i], m->to) == 0 || was_tried(m, members[i]) ||
		    vs_config_in_maint(cfg, members[i]) ||
		    !vs_node_can_serve(cfg, vs, r, why, sizeof(why)))
			continue;
		for (int k = 0; k < c->placement->n; k++)
			placed += strcmp(c->placement->e[k].node, members[i]) == 0;
		double load = (double)placed / (r->capacity ? r->capacity : 1);
		if (!best || load < best_load) {
			best = members[i];
			best_load = load;
		}
	}
	return best;
}

static int by_priority(const void *a, const void *b, void *arg)
{
	const struct vs_config *cfg = arg;
	const struct vs_vserver *x = &cfg->vservers[*(const int *)a];
	const struct vs_vserver *y = &cfg->vservers[*(const int *)b];

	if (x->priority != y->priority)
		return y->priority - x->priority;
	return strcmp(x->name, y->name);
}

/* Since when the administrator's word on where `vs` goes (its `at`) is what
 * it is now, as this master saw it change (0: since before it was master). */
static uint64_t intent_since(struct ap_cluster *c, const struct vs_vserver *vs, uint64_t now)
{
	json_t *e = json_object_get(c->intents, vs->name);
	const char *at = json_string_value(json_object_get(e, "at"));

	if (e && at && strcmp(at, vs->at) == 0)
		return (uint64_t)json_integer_value(json_object_get(e, "since"));
	json_object_set_new(
	    c->intents, vs->name,
	    json_pack("{s:s, s:I}", "at", vs->at, "since", (json_int_t)(e ? now : 0)));
	return e ? now : 0;
}

/* Did a move of `vs` fail on `node` within AP_CL_FAILED_HOLD_USEC? Then a
 * planned move does not go there again before (no flapping between a node
 * that cannot mount and the one that can), unless the administrator has said
 * where it goes since. */
static bool failed_there_lately(const struct ap_cluster *c, const char *vs, const char *node,
                                uint64_t now, uint64_t intent_since)
{
	for (int i = c->n_moves - 1; i >= 0; i--) {
		const struct vs_move *m = &c->moves[i];
		/* A failure before the administrator last said where it goes
		 * (migrate) does not hold a new word back. */
		if (strcmp(m->vs, vs) != 0 || !was_tried(m, node) ||
		    m->at[VS_MOVE_PLANNED] < intent_since)
			continue;
		uint64_t end = m->at[VS_MOVE_DONE] ? m->at[VS_MOVE_DONE] : now;
		if (now < end + AP_CL_FAILED_HOLD_USEC)
			return true;
	}
	return false;
}

static void add_note(struct vs_place_note *notes, int max, int *nn, const char *vs,
                     const char *text)
{
	if (*nn >= max)
		return; /* the caller says how many were left out */
	snprintf(notes[*nn].vs, sizeof(notes[0].vs), "%s", vs);
	snprintf(notes[*nn].text, sizeof(notes[0].text), "%s", text);
	(*nn)++;
}

const char *ap_cl_drive_moves(struct ap_cluster *c, const char *const *members, int n_members,
                              struct vs_placement *next, const struct vs_place_note *in_notes,
                              int n_in, struct vs_place_note *notes, int max_notes, int *nn,
                              int *left_out)
{
	const struct vs_config *cfg = c->hooks.config(c->arg);
	struct vs_placement *eff = malloc(sizeof(*eff));
	uint64_t now = lib_now_usec();
	const char *fence = NULL;
	int planned = count_active(c, true);

	*nn = 0;
	*left_out = 0;
	if (!eff) {
		lib_err("cluster: out of memory driving the moves");
		return NULL;
	}
	eff->n = 0;
	/* Highest failover priority first (then by name): their moves start
	 * first and their steps come first in the log. */
	int *order = malloc(((size_t)cfg->n_vservers + 1) * sizeof(*order));
	if (!order) {
		free(eff);
		lib_err("cluster: out of memory driving the moves");
		return NULL;
	}
	for (int i = 0; i < cfg->n_vservers; i++)
		order[i] = i;
	qsort_r(order, (size_t)cfg->n_vservers, sizeof(*order), by_priority, (void *)cfg);
	for (int oi = 0; oi < cfg->n_vservers; oi++) {
		const struct vs_vserver *vs = &cfg->vservers[order[oi]];
		bool created = false;
		const char *desired = vs_placement_node(next, vs->name);
		const char *cur = vs_placement_node(c->placement, vs->name);
		struct vs_move *m = vs->admin == VS_ADMIN_RUNNING ? active_move(c, vs->name) : NULL;
		char why[VS_MOVE_REASON_MAX + 1], text[sizeof(notes[0].text)];
		const struct vs_place_note *pn = note_of(in_notes, n_in, vs->name);
		const char *pnote = pn ? pn->text : NULL;

		if (vs->admin != VS_ADMIN_RUNNING)
			continue;
		if (!m) {
			if (!desired || (cur && strcmp(cur, desired) == 0)) {
				if (desired)
					vs_placement_put(eff, vs->name, desired);
				/* vs_place's word on a VS that stays (waits for its
				 * hold-down, cannot run anywhere...): once per change. */
				const char *said =
				    json_string_value(json_object_get(c->said, vs->name));
				if (pnote && (!said || strcmp(said, pnote) != 0)) {
					add_note(notes, max_notes, nn, vs->name, pnote);
					json_object_set_new(c->said, vs->name, json_string(pnote));
				} else if (!pnote && said) {
					json_object_del(c->said, vs->name);
				}
				continue;
			}
			enum vs_move_kind kind =
			    classify(c, vs, cur, desired, members, n_members, pn, why, sizeof(why));
			bool is_planned = kind == VS_MOVE_EVACUATE || kind == VS_MOVE_REVERT ||
			                  kind == VS_MOVE_MIGRATE || kind == VS_MOVE_BALANCE;
			if (is_planned && cur && planned >= AP_CL_MAX_PLANNED) {
				vs_placement_put(eff, vs->name, cur); /* its turn comes */
				continue;
			}
			if (is_planned && cur &&
			    failed_there_lately(c, vs->name, desired, now,
			                        intent_since(c, vs, now))) {
				vs_placement_put(eff, vs->name,
				                 cur); /* it failed there: not again so soon */
				continue;
			}
			m = new_move(c);
			if (!m) {
				lib_err("cluster: the move journal is full; %s stays where it is",
				        vs->name);
				if (cur)
					vs_placement_put(eff, vs->name, cur);
				continue;
			}
			vs_move_init(m, c->next_move_id++, vs->name, cur ? cur : "", desired, kind,
			             why, now);
			planned += is_planned;
			created = true;
		}
		/* The facts of this instant. */
		const char *cand = next_candidate(c, vs, m, desired, members, n_members);
		struct vs_move_facts f = {
		    .from = node_facts(c, members, n_members, m->from, vs->name),
		    .to = node_facts(c, members, n_members, m->to, vs->name),
		    .next = cand,
		    .retry_tried = !cand,
		};
		if (m->to[0]) {
			char w[120];
			f.to_can_serve =
			    vs_node_can_serve(cfg, vs, report_named(c, m->to), w, sizeof(w));
		}
		struct vs_move_out o;
		enum vs_move_state was = m->state;
		vs_move_step(m, &f, now, &o);
		if (was != VS_MOVE_DONE && m->state == VS_MOVE_DONE)
			ap_stats_move(c->stats, m->kind, AP_STATS_MOVE_DONE,
			              (double)(m->at[VS_MOVE_DONE] - m->at[VS_MOVE_PLANNED]) / 1e6);
		else if (was != VS_MOVE_STUCK && m->state == VS_MOVE_STUCK)
			ap_stats_move(c->stats, m->kind, AP_STATS_MOVE_STUCK, 0);
		if (o.changed || created) {
			snprintf(m->by, sizeof(m->by), "%s", c->node);
			if (created && pnote)
				snprintf(text, sizeof(text), "%s; move %llu (%s): %s", pnote,
				         (unsigned long long)m->id, vs_move_kind_name(m->kind),
				         o.text);
			else if (created)
				snprintf(text, sizeof(text), "moved %s->%s: %s; move %llu (%s): %s",
				         m->from[0] ? m->from : "-", m->to, m->reason,
				         (unsigned long long)m->id, vs_move_kind_name(m->kind),
				         o.text);
			else
				snprintf(text, sizeof(text), "move %llu %s->%s (%s): %s",
				         (unsigned long long)m->id, m->from[0] ? m->from : "-",
				         m->to, vs_move_kind_name(m->kind), o.text);
			if (*nn < max_notes)
				add_note(notes, max_notes, nn, vs->name, text);
			else
				(*left_out)++;
		}
		if (o.fence_from && !fence) {
			snprintf(c->move_fence, sizeof(c->move_fence), "%s", m->from);
			fence = c->move_fence;
		}
		if (o.place[0])
			vs_placement_put(eff, vs->name, o.place);
	}
	/* Moves of VSs no longer wanted running (stopped or deleted) end. */
	for (int i = 0; i < c->n_moves; i++) {
		struct vs_move *m = &c->moves[i];
		const struct vs_vserver *vs = NULL;
		if (vs_move_over(m))
			continue;
		for (int k = 0; !vs && k < cfg->n_vservers; k++)
			if (strcmp(cfg->vservers[k].name, m->vs) == 0)
				vs = &cfg->vservers[k];
		if (vs && vs->admin == VS_ADMIN_RUNNING)
			continue;
		m->at[VS_MOVE_DONE] = now;
		m->state = VS_MOVE_DONE;
		ap_stats_move(c->stats, m->kind, AP_STATS_MOVE_ENDED, 0);
		snprintf(m->reason + strlen(m->reason), sizeof(m->reason) - strlen(m->reason),
		         " (ended: %s)", vs ? "stopped" : "deleted");
	}
	trim_journal(c, cfg);
	*next = *eff;
	free(eff);
	free(order);
	return fence;
}

bool ap_cl_moves_active(const struct ap_cluster *c)
{
	return count_active(c, false) > 0;
}

json_t *ap_cluster_moves(struct ap_cluster *c)
{
	json_t *arr;

	if (!c || !c->enabled)
		return NULL;
	arr = json_array();
	for (int i = c->n_moves - 1; arr && i >= 0; i--) {
		const struct vs_move *m = &c->moves[i];
		json_t *o = ap_msg_move_json(m), *steps = json_array();
		/* The steps in the order they were (last) entered. */
		int order[VS_MOVE_NSTATES], n = 0;
		for (int s = 0; s < VS_MOVE_NSTATES; s++)
			if (m->at[s])
				order[n++] = s;
		for (int a = 1; a < n; a++)
			for (int b = a; b > 0 && m->at[order[b]] < m->at[order[b - 1]]; b--) {
				int t = order[b];
				order[b] = order[b - 1];
				order[b - 1] = t;
			}
		for (int k = 0; steps && k < n; k++)
			json_array_append_new(
			    steps, json_pack("{s:s, s:I}", "state", vs_move_state_name(order[k]),
			                     "at_usec", (json_int_t)m->at[order[k]]));
		json_object_set_new(o, "steps", steps);
		json_array_append_new(arr, o);
	}
	return json_pack("{s:o}", "moves", arr);
}
