/*
 * ap_clplace.c - node reports and the master's placement (DESIGN R4, R10).
 *
 * Each node reports what it can serve (LUNs it sees, healthy ports) and the
 * state of its VSs; every node keeps every node's last report. The master
 * computes placement with the pure vs_place() once every member of the
 * current round has spoken, powers off a departed node first where one must
 * be (ap_clfence.c), and sends the result; every node reconciles to it.
 * A placement is accepted only from the current master and only if it is
 * newer (a higher epoch) than the one held.
 */
#include "appliance/ap_cluster_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib_log.h"

/* --- the placement ----------------------------------------------------------- */

void ap_cl_save_placement(struct ap_cluster *c)
{
	json_t *arr = json_array();
	char *text;

	for (int i = 0; i < c->placement->n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "vs", c->placement->e[i].vs,
		                                     "node", c->placement->e[i].node));
	json_t *doc = json_pack("{s:I, s:o}", "epoch", (json_int_t)c->epoch, "map", arr);
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (!text || vs_store_meta_set(c->store, "placement", text) < 0)
		lib_err("cluster: cannot persist the placement");
	free(text);
}

void ap_cl_load_placement(struct ap_cluster *c, const struct vs_place_entry *e, int n)
{
	if (n > VS_MAX_VSERVERS)
		abort(); /* the codec bounds it */
	c->placement->n = n;
	if (n)
		memcpy(c->placement->e, e, (size_t)n * sizeof(*e));
}

/* The stored placement goes through the codec's rules like a received one. */
int ap_cl_load_placement_json(struct ap_cluster *c, const char *text)
{
	json_t *p = json_loads(text, 0, NULL);
	char err[VS_ERR_LEN];
	struct ap_msg m;
	int rc = -EINVAL;

	if (json_is_object(p)) {
		json_object_set_new(p, "t", json_string("sync"));
		json_object_set_new(p, "node", json_string(c->node));
		json_object_set_new(p, "version", json_integer(0));
		char *s = json_dumps(p, JSON_COMPACT);
		rc = s ? ap_msg_decode(s, strlen(s), &m, err, sizeof(err)) : -ENOMEM;
		free(s);
		if (rc == 0) {
			ap_cl_load_placement(c, m.sync.map, m.sync.n_map);
			c->epoch = m.sync.epoch;
			ap_msg_clear(&m);
		} else {
			lib_err("cluster: stored placement: %s", err);
		}
	}
	json_decref(p);
	return rc;
}

void ap_cl_forget_place(struct ap_cluster *c)
{
	free(c->last_place);
	c->last_place = NULL;
}

static int on_revert_due(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ap_cluster *c = userdata;

	c->revert_timer = sd_event_source_disable_unref(c->revert_timer);
	ap_cl_master_place(c);
	return 0;
}

void ap_cl_master_place(struct ap_cluster *c)
{
	const char *names[AP_CL_MAX_NODES];
	int n = 0, nn = 0, mn = 0, left = 0;
	struct vs_place_note *notes, *mnotes;
	struct vs_placement *next;

	ap_cl_update_track(c);
	if (!ap_cl_is_master(c)) {
		c->n_bal_hints = 0; /* a round's moves are the master's of that round */
		return;
	}
	for (int i = 0; i < c->n_round; i++)
		if (!c->round_seen[i])
			return; /* not every member has spoken since the last change */
	for (int i = 0; i < c->n_members; i++) {
		const char *nm = ap_cl_name_of(c, c->members[i]);
		if (nm)
			names[n++] = nm;
	}
	next = malloc(sizeof(*next));
	notes = calloc(AP_MSG_MAX_NOTES, sizeof(*notes));
	mnotes = calloc(AP_MSG_MAX_NOTES, sizeof(*mnotes));
	/* Since when each member has reported (for the revert hold-down). */
	uint64_t since[AP_CL_MAX_NODES], now = ap_cl_mono_now(c);
	for (int i = 0; i < n; i++) {
		struct ap_cl_node *cn = ap_cl_node_named(c, names[i]);
		since[i] = cn && cn->report_since ? cn->report_since : now;
	}
	/* Where VSs keep failing: placement takes them elsewhere. */
	struct vs_place_entry failed[AP_CL_MAX_FAILING];
	int n_failed = ap_cl_failing(c, now, failed, AP_CL_MAX_FAILING);
	struct vs_place_ctx ctx = {.members = names,
	                           .n_members = n,
	                           .reports = c->reports,
	                           .n_reports = c->n_reports,
	                           .cur = c->placement,
	                           .now_usec = now,
	                           .member_since = since,
	                           .failed = failed,
	                           .n_failed = n_failed};
	void *bal = NULL;
	ap_cl_balance_ctx(c, names, n, &ctx, &bal);
	int prc = next && notes && mnotes ? vs_place_ex(c->hooks.config(c->arg), &ctx, next, notes,
	                                                AP_MSG_MAX_NOTES, &nn)
	                                  : -ENOMEM;
	free(bal);
	c->n_bal_hints = 0; /* made now, or no longer possible: the next round sees */
	if (prc < 0) {
		lib_err("cluster: out of memory computing the placement");
		free(next);
		free(notes);
		free(mnotes);
		return;
	}
	/* A node that left holding VSs is powered off before they move. */
	const char *victim = vs_place_to_fence(c->placement, next, names, n, ap_cl_needs_fence, c);
	const char *hvs;
	json_t *hnode;
	json_object_foreach(c->held, hvs, hnode)
	{
		if (!victim && ap_cl_needs_fence(json_string_value(hnode) ?: "", c))
			victim = json_string_value(hnode);
	}
	if (victim) {
		ap_cl_start_fence(c, victim, "left the cluster holding virtual servers");
		free(next);
		free(notes);
		free(mnotes);
		return;
	}
	/* Every change of node is a move, taken one step at a time. */
	const char *mfence = ap_cl_drive_moves(c, names, n, next, notes, nn, mnotes,
	                                       AP_MSG_MAX_NOTES - 1, &mn, &left);
	if (left) {
		snprintf(mnotes[mn].vs, sizeof(mnotes[0].vs), "%s", next->n ? next->e[0].vs : "");
		snprintf(mnotes[mn].text, sizeof(mnotes[0].text),
		         "and %d more steps of moves than one placement message holds notes for: "
		         "see vsadm move show",
		         left);
		mn++;
	}
	if (mfence)
		ap_cl_start_fence(c, mfence, "could not release a virtual server");
	/* A VS that goes home once its node has been back long enough: look
	 * again then. */
	uint64_t due = vs_place_revert_due(c->hooks.config(c->arg), &ctx);
	c->revert_timer = sd_event_source_disable_unref(c->revert_timer);
	if (due && sd_event_add_time(c->ev, &c->revert_timer, CLOCK_MONOTONIC, due, 0,
	                             on_revert_due, c) < 0)
		lib_err("cluster: cannot arm the auto-revert timer");
	free(notes);
	notes = mnotes;
	nn = mn;
	/* What was sent last: the map and the notes (a VS that cannot run changes
	 * no map, only a note). */
	json_t *map = json_array(), *jn = json_array();
	for (int i = 0; i < next->n; i++)
		json_array_append_new(
		    map, json_pack("{s:s, s:s}", "vs", next->e[i].vs, "node", next->e[i].node));
	for (int i = 0; i < nn; i++)
		json_array_append_new(
		    jn, json_pack("{s:s, s:s}", "vs", notes[i].vs, "text", notes[i].text));
	json_t *sig = json_pack("{s:o, s:o, s:o}", "map", map, "notes", jn, "moves",
	                        ap_msg_moves_json(c->moves, c->n_moves));
	char *text = json_dumps(sig, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(sig);
	bool same_as_sent = text && c->last_place && strcmp(text, c->last_place) == 0;
	bool same_as_now = next->n == c->placement->n;
	for (int i = 0; same_as_now && i < next->n; i++) {
		const char *cur = vs_placement_node(c->placement, next->e[i].vs);
		same_as_now = cur && strcmp(cur, next->e[i].node) == 0;
	}
	bool force = c->force_place;
	c->force_place = false;
	if (force || !((same_as_now && nn == 0) || same_as_sent)) {
		struct ap_msg m = {.type = AP_MSG_PLACE};
		/* Placements this node sent and that are not delivered yet count:
		 * each must be newer than the one before it. */
		if (c->sent_epoch < c->epoch)
			c->sent_epoch = c->epoch;
		m.place.epoch = ++c->sent_epoch;
		m.place.n_map = next->n;
		m.place.map = next->e;
		m.place.n_notes = nn;
		m.place.notes = notes;
		snprintf(m.place.by, sizeof(m.place.by), "%s", c->node);
		m.place.n_moves = c->n_moves;
		m.place.moves = c->moves;
		ap_cl_identity(&m, c, nn > 0 ? nn : 1);
		free(c->last_place);
		c->last_place = text ? strdup(text) : NULL;
		if (ap_cl_send(c, &m) < 0)
			ap_cl_forget_place(c);
	}
	free(text);
	free(next);
	free(notes);
}

void ap_cl_on_place(struct ap_cluster *c, const struct ap_msg *m)
{
	if (m->place.epoch <= c->epoch) {
		c->refused++;
		lib_warn("cluster: refused a placement of epoch %llu from %s: this node holds "
		         "epoch %llu",
		         (unsigned long long)m->place.epoch, m->place.by,
		         (unsigned long long)c->epoch);
		return;
	}
	/* VSs this node takes over from a fenced node: their MMP may be reset. */
	for (int i = 0; i < m->place.n_map; i++) {
		const char *vs = m->place.map[i].vs, *nd = m->place.map[i].node;
		const char *old = vs_placement_node(c->placement, vs);
		struct ap_cl_node *cn = old ? ap_cl_node_named(c, old) : NULL;
		if (strcmp(nd, c->node) == 0 && cn && strcmp(old, c->node) != 0 &&
		    cn->fstate == F_DONE)
			json_object_set_new(c->takeovers, vs, json_string(old));
		const char *hn = json_string_value(json_object_get(c->held, vs));
		struct ap_cl_node *hc = hn ? ap_cl_node_named(c, hn) : NULL;
		if (strcmp(nd, c->node) == 0 && hc && hc->fstate == F_DONE)
			json_object_set_new(c->takeovers, vs, json_string(hn));
	}
	/* The journal it carries; a master that sent newer ones since keeps its
	 * own (it is ahead of this message). */
	if (strcmp(m->place.by, c->node) != 0 || m->place.epoch >= c->sent_epoch) {
		ap_cl_adopt_moves(c, m->place.moves, m->place.n_moves);
		ap_cl_save_moves(c);
	}
	/* A VS this node acquires from a node that was fenced: no MMP wait. */
	for (int i = 0; i < m->place.n_moves; i++) {
		const struct vs_move *mv = &m->place.moves[i];
		struct ap_cl_node *fn = mv->from[0] ? ap_cl_node_named(c, mv->from) : NULL;
		if (mv->state == VS_MOVE_ACQUIRING && strcmp(mv->to, c->node) == 0 && fn &&
		    fn->fstate == F_DONE)
			json_object_set_new(c->takeovers, mv->vs, json_string(mv->from));
		/* From a node whose path to the LUN failed but that unmounted it:
		 * it no longer writes, though it could not mark MMP clean. */
		else if (mv->state == VS_MOVE_ACQUIRING && strcmp(mv->to, c->node) == 0 && fn &&
		         mv->clean && mv->kind == VS_MOVE_STORAGE)
			json_object_set_new(c->unmounted, mv->vs, json_string(mv->from));
	}
	ap_cl_load_placement(c, m->place.map, m->place.n_map);
	c->epoch = m->place.epoch;
	ap_cl_save_placement(c);
	c->heard_place = true;
	for (int i = 0; i < m->place.n_notes; i++)
		ap_cl_store_event(c, m, i, m->place.by, m->place.notes[i].vs, "info",
		                  m->place.notes[i].text);
	c->hooks.placed(c->arg);
}

/* --- reports ------------------------------------------------------------------ */

static json_t *report_json(const struct vs_node_report *r)
{
	json_t *luns = json_array(), *ports = json_array();

	for (int i = 0; i < r->n_luns; i++)
		json_array_append_new(luns, json_string(r->luns[i]));
	for (int i = 0; i < r->n_ports; i++)
		json_array_append_new(ports, json_string(r->healthy_ports[i]));
	return json_pack("{s:s, s:i, s:o, s:o}", "node", r->node, "capacity", (int)r->capacity,
	                 "luns", luns, "healthy_ports", ports);
}

/* Every node keeps every node's last report (DESIGN R10). */
static void save_reports(struct ap_cluster *c)
{
	json_t *arr = json_array();
	char *text;

	for (int i = 0; i < c->n_reports; i++)
		json_array_append_new(arr, report_json(&c->reports[i]));
	text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	if (!text || vs_store_meta_set(c->store, "reports", text) < 0)
		lib_err("cluster: cannot persist the node reports");
	free(text);
}

void ap_cl_send_report(struct ap_cluster *c, bool force)
{
	struct ap_msg m = {.type = AP_MSG_REPORT};
	struct vs_node_report *r;
	json_t *states = json_object(), *st;
	const char *vs;
	char err[VS_ERR_LEN], *text = NULL;
	size_t len;

	if (!c->connected || !states) {
		json_decref(states);
		return;
	}
	r = m.report.report = calloc(1, sizeof(*r));
	if (!r) {
		lib_err("cluster: out of memory making this node's report");
		json_decref(states);
		return;
	}
	snprintf(r->node, sizeof(r->node), "%s", c->node);
	if (!c->hooks.report(c->arg, r, states)) {
		json_decref(states);
		free(r);
		return; /* sent once it can be: ap_cluster_local_changed */
	}
	if (r->capacity < 1)
		r->capacity = 1;
	m.report.states = calloc(json_object_size(states) + 1, sizeof(*m.report.states));
	json_object_foreach(states, vs, st)
	{
		if (!m.report.states || m.report.n_states >= AP_MSG_MAX_MAP)
			break;
		snprintf(m.report.states[m.report.n_states].vs, sizeof(m.report.states[0].vs), "%s",
		         vs);
		snprintf(m.report.states[m.report.n_states].state, sizeof(m.report.states[0].state),
		         "%s", json_string_value(st) ?: "unknown");
		m.report.n_states++;
	}
	json_decref(states);
	if (ap_msg_encode(&m, &text, &len, err, sizeof(err)) < 0) {
		lib_err("cluster: this node's report cannot be sent: %s", err);
		ap_msg_clear(&m);
		return;
	}
	if (!force && c->last_report && strcmp(text, c->last_report) == 0) {
		free(text);
		ap_msg_clear(&m);
		return;
	}
	free(c->last_report);
	c->last_report = strdup(text);
	/* The text just made is what goes: encoded once. */
	if (ap_cl_send_text(c, text) < 0) {
		free(c->last_report);
		c->last_report = NULL;
	}
	ap_msg_clear(&m);
}

void ap_cl_on_report(struct ap_cluster *c, uint32_t from, const struct ap_msg *m)
{
	const struct vs_node_report *r = m->report.report;
	int i;

	if (!ap_cl_node_named(c, r->node))
		return; /* the sender check already names a node of this cluster */
	/* Each member sends its sync, then its report: with the report the
	 * master has its whole word for this round. */
	for (int k = 0; k < c->n_round; k++)
		if (c->round[k] == from)
			c->round_seen[k] = true;
	for (i = 0; i < c->n_reports; i++)
		if (strcmp(c->reports[i].node, r->node) == 0)
			break;
	bool had = i < c->n_reports;
	if (!had) {
		if (c->n_reports >= AP_CL_MAX_NODES)
			abort(); /* one report per node of the definition */
		c->n_reports++;
	}
	/* What it can serve changed (a port healed, a LUN came back): its
	 * hold-down for taking VSs back starts again, so a VS goes home only to
	 * a node that has been able to serve for the whole hold-down. */
	struct ap_cl_node *rn = ap_cl_node_named(c, r->node);
	bool same =
	    had && c->reports[i].n_ports == r->n_ports && c->reports[i].n_luns == r->n_luns &&
	    memcmp(c->reports[i].healthy_ports, r->healthy_ports,
	           (size_t)r->n_ports * sizeof(r->healthy_ports[0])) == 0 &&
	    memcmp(c->reports[i].luns, r->luns, (size_t)r->n_luns * sizeof(r->luns[0])) == 0;
	if (rn && (!rn->report_since || !same))
		rn->report_since = ap_cl_mono_now(c);
	c->reports[i] = *r;
	save_reports(c);
	ap_cl_record_words(c, r->node, m);
	/* States of the VSs that node runs: its own word replaces what it said
	 * before, and only its own VSs' entries. */
	const char *vsn;
	json_t *st, *tmp;
	json_object_foreach_safe(c->states, tmp, vsn, st)
	{
		if (strcmp(json_string_value(json_object_get(st, "node")) ?: "", r->node) == 0)
			json_object_del(c->states, vsn);
	}
	for (int k = 0; k < m->report.n_states; k++) {
		const struct ap_msg_state *s = &m->report.states[k];
		json_t *cur = json_object_get(c->states, s->vs);
		const char *other = json_string_value(json_object_get(cur, "node"));
		/* Another node's active VS is not overwritten by a node that says
		 * it is stopped there. */
		if (other && strcmp(other, r->node) != 0 && strcmp(s->state, "stopped") == 0)
			continue;
		json_object_set_new(c->states, s->vs,
		                    json_pack("{s:s, s:s}", "node", r->node, "state", s->state));
	}
	ap_cl_master_place(c);
	/* A VS another node released may start here now. */
	c->hooks.placed(c->arg);
}

/* Forget what nodes that left reported: they serve nothing now; a VS they
 * held is "held" until they are fenced (or MMP shows it idle). */
void ap_cl_drop_departed(struct ap_cluster *c)
{
	const char *vsn;
	json_t *st, *tmp;

	json_object_foreach_safe(c->takeovers, tmp, vsn, st)
	{
		struct ap_cl_node *cn = ap_cl_node_named(c, json_string_value(st) ?: "");
		if (!cn || ap_cl_is_member(c, cn->id))
			json_object_del(c->takeovers, vsn);
	}
	json_object_foreach_safe(c->states, tmp, vsn, st)
	{
		struct ap_cl_node *cn =
		    ap_cl_node_named(c, json_string_value(json_object_get(st, "node")) ?: "");
		const char *state = json_string_value(json_object_get(st, "state")) ?: "";
		if (cn && ap_cl_is_member(c, cn->id))
			continue;
		/* It may still hold the VS's mounts: fenced first, or MMP. */
		if (cn && strcmp(state, "stopped") != 0)
			json_object_set_new(c->held, vsn, json_string(cn->name));
		json_object_del(c->states, vsn);
	}
	json_object_foreach_safe(c->held, tmp, vsn, st)
	{
		struct ap_cl_node *cn = ap_cl_node_named(c, json_string_value(st) ?: "");
		if (!cn || ap_cl_is_member(c, cn->id))
			json_object_del(c->held, vsn);
	}
	for (int i = 0; i < c->n_reports; i++) {
		struct ap_cl_node *cn = ap_cl_node_named(c, c->reports[i].node);
		if (!cn || !ap_cl_is_member(c, cn->id)) {
			ap_cl_forget_words(c, c->reports[i].node);
			c->reports[i--] = c->reports[--c->n_reports];
		}
	}
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ap_cluster *c = userdata;

	ap_cl_send_report(c, false);
	/* Moves under way wait for nodes with deadlines: the master looks. */
	if (ap_cl_is_master(c) &&
	    (ap_cl_moves_active(c) || ap_cl_failing_due(c, ap_cl_mono_now(c))))
		ap_cl_master_place(c);
	uint64_t now = ap_cl_mono_now(c);
	if (ap_cl_is_master(c) && now >= c->bal_next) {
		c->bal_next = now + AP_CL_BALANCE_USEC;
		ap_cl_balance_round(c, now, (uint64_t)lib_now_usec());
	}
	sd_event_source_set_time_relative(s, AP_CL_REPORT_TICK_USEC);
	sd_event_source_set_enabled(s, SD_EVENT_ON);
	return 0;
}

int ap_cl_start_ticks(struct ap_cluster *c)
{
	if (c->tick)
		return 0;
	return sd_event_add_time_relative(c->ev, &c->tick, CLOCK_MONOTONIC, AP_CL_REPORT_TICK_USEC,
	                                  0, on_tick, c);
}

/* --- which node sees which LUN (vsadm lun show) ------------------------------------ */

static void add_lun(json_t *luns, const char *id, const char *node, const char *vs)
{
	json_t *l = json_object_get(luns, id);

	if (!l) {
		l = json_pack("{s:s, s:[], s:[]}", "lun", id, "nodes", "vservers");
		if (!l)
			return;
		json_object_set_new(luns, id, l);
	}
	json_array_append_new(json_object_get(l, node ? "nodes" : "vservers"),
	                      json_string(node ? node : vs));
}

json_t *ap_cluster_luns(struct ap_cluster *c)
{
	const struct vs_config *cfg;
	json_t *luns, *arr, *l;
	const char *id;

	if (!c || !c->enabled)
		return NULL;
	cfg = c->hooks.config(c->arg);
	luns = json_object();
	arr = json_array();
	if (!luns || !arr) {
		json_decref(luns);
		json_decref(arr);
		return NULL;
	}
	for (int i = 0; i < c->n_reports; i++)
		for (int k = 0; k < c->reports[i].n_luns; k++)
			add_lun(luns, c->reports[i].luns[k], c->reports[i].node, NULL);
	for (int i = 0; i < cfg->n_vservers; i++)
		for (int k = 0; k < cfg->vservers[i].n_fs; k++) {
			char want[VS_LUN_MAX + 8];
			const struct vs_fs *f = &cfg->vservers[i].fs[k];
			snprintf(want, sizeof(want), "%s=%s",
			         f->lun_kind == VS_LUN_UUID ? "UUID" : "LABEL", f->lun);
			add_lun(luns, want, NULL, cfg->vservers[i].name);
		}
	/* Each with the reporting members that do not see it. */
	json_object_foreach(luns, id, l)
	{
		json_t *missing = json_array(), *seen = json_object_get(l, "nodes");
		for (int i = 0; missing && i < c->n_reports; i++) {
			bool in = false;
			size_t k;
			json_t *n;
			json_array_foreach(seen, k, n)
			{
				in |= strcmp(json_string_value(n), c->reports[i].node) == 0;
			}
			if (!in)
				json_array_append_new(missing, json_string(c->reports[i].node));
		}
		json_object_set_new(l, "missing", missing);
		json_array_append(arr, l);
	}
	json_decref(luns);
	return json_pack("{s:o}", "luns", arr);
}
