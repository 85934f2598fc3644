/*
 * ap_cluster.c - the cluster's core: lifecycle, delivery, membership, quorum
 * and the master (see ap_cluster.h; the other concepts live in the ap_cl*.c
 * files listed in ap_cluster_int.h).
 *
 * Delivery: every message corosync delivers is decoded by ap_msg (typed,
 * range-checked) and its sender checked against the type's rule before any
 * handler sees it; a refused message changes nothing and is logged with its
 * sender. Every node processes the same messages in the same order, so every
 * node's configuration, placement and event log are the same.
 *
 * The master is the lowest node id among the nodes whose applianced is in
 * the process group (of the quorate partition: the group spans only the
 * nodes corosync connects): a node whose corosync lives on without its
 * agent is no candidate, and once it has been so for longer than the agent
 * grace the master fences it (ap_clfence.c). The process group, not the
 * quorum view, because its changes are ordered with the messages.
 */
#include "appliance/ap_cluster_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib_log.h"
#include "vserver/vs_json.h"

/* --- nodes and membership ------------------------------------------------------ */

const char *ap_cl_name_of(const struct ap_cluster *c, uint32_t id)
{
	for (int i = 0; i < c->n_nodes; i++)
		if (c->nodes[i].id == id)
			return c->nodes[i].name;
	return NULL;
}

struct ap_cl_node *ap_cl_node_named(struct ap_cluster *c, const char *name)
{
	for (int i = 0; i < c->n_nodes; i++)
		if (strcmp(c->nodes[i].name, name) == 0)
			return &c->nodes[i];
	return NULL;
}

static bool id_in(const uint32_t *ids, int n, uint32_t id)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

bool ap_cl_is_member(const struct ap_cluster *c, uint32_t id)
{
	return id_in(c->members, c->n_members, id);
}

bool ap_cl_in_group(const struct ap_cluster *c, uint32_t id)
{
	return id_in(c->group, c->n_group, id);
}

uint32_t ap_cl_master_id(const struct ap_cluster *c)
{
	uint32_t low = UINT32_MAX;

	/* From the process group alone: its changes are delivered in the same
	 * order as messages on every node (virtual synchrony), so every node
	 * names the same master for every message. corosync's quorum view is a
	 * separate stream that reaches nodes at different points. */
	for (int i = 0; i < c->n_group; i++)
		if (c->group[i] < low && ap_cl_name_of(c, c->group[i]))
			low = c->group[i];
	return low == UINT32_MAX ? 0 : low;
}

bool ap_cl_is_master(const struct ap_cluster *c)
{
	return c->my_id && c->quorate && c->connected && ap_cl_master_id(c) == c->my_id;
}

bool ap_cl_connected(const struct ap_cluster *c)
{
	return c->tpi && c->tp->connected(c->tpi);
}

/* --- sending ------------------------------------------------------------------- */

/* Send what waits in the queue, in order; corosync says "try again" while
 * it settles a membership change. */
static int flush_out(struct ap_cluster *c)
{
	while (c->n_out > 0) {
		int rc = c->tp->send(c->tpi, c->out[0], strlen(c->out[0]));
		if (rc == -EAGAIN)
			return rc;
		if (rc < 0)
			lib_warn("cluster: a message was lost: %s", strerror(-rc));
		free(c->out[0]);
		memmove(c->out, c->out + 1, (size_t)(c->n_out - 1) * sizeof(c->out[0]));
		c->n_out--;
	}
	return 0;
}

static int on_flush(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ap_cluster *c = userdata;

	if (flush_out(c) == -EAGAIN) {
		sd_event_source_set_time_relative(s, AP_CL_FLUSH_RETRY_USEC);
		sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	} else {
		c->flush = sd_event_source_disable_unref(c->flush);
	}
	return 0;
}

int ap_cl_send_text(struct ap_cluster *c, char *text)
{
	if (!ap_cl_connected(c)) {
		free(text);
		return -ENOTCONN;
	}
	if (c->n_out >= AP_CL_MAX_OUT) {
		lib_err("cluster: a message was not sent: %d messages wait for corosync",
		        AP_CL_MAX_OUT);
		free(text);
		return -ENOBUFS;
	}
	c->out[c->n_out++] = text;
	if (flush_out(c) == -EAGAIN && !c->flush &&
	    sd_event_add_time_relative(c->ev, &c->flush, CLOCK_MONOTONIC, AP_CL_FLUSH_RETRY_USEC, 0,
	                               on_flush, c) < 0)
		lib_err("cluster: cannot arm the send retry");
	return 0;
}

int ap_cl_send(struct ap_cluster *c, const struct ap_msg *m)
{
	char err[VS_ERR_LEN], *text = NULL;
	size_t len;
	int rc;

	if (!ap_cl_connected(c))
		return -ENOTCONN;
	rc = ap_msg_encode(m, &text, &len, err, sizeof(err));
	if (rc < 0) {
		lib_err("cluster: a '%s' message was not sent: %s", ap_msg_type_name(m->type), err);
		return rc;
	}
	return ap_cl_send_text(c, text);
}

int64_t ap_cl_new_seqs(struct ap_cluster *c, int n)
{
	int64_t first = 0;

	if (n < 1 || vs_store_event_seq(c->store, n, &first) < 0)
		return 0;
	return first;
}

/* Give a message the identity of the n events it makes. */
void ap_cl_identity(struct ap_msg *m, struct ap_cluster *c, int n_events)
{
	/* Events made before go first, so numbers follow the order made. */
	if (n_events > 0 && c->n_ev_out > 0)
		ap_cl_flush_events(c);
	m->es = ap_cl_new_seqs(c, n_events);
	if (m->es > 0)
		snprintf(m->eo, sizeof(m->eo), "%s", c->node);
	else
		m->eo[0] = '\0';
}

void ap_cl_event(struct ap_cluster *c, const char *vs, const char *severity, const char *fmt, ...)
{
	char msg[AP_MSG_TEXT_MAX + 1];
	va_list ap;
	struct vs_event ev = {.ts_usec = lib_now_usec(),
	                      .node = c->node,
	                      .vs = vs ? vs : "",
	                      .severity = severity,
	                      .message = msg};

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lib_info("cluster: %s%s%s", vs ? vs : "", vs ? ": " : "", msg);
	if (ap_cluster_event(c, &ev) < 0) {
		ev.origin = c->node; /* numbered here */
		c->hooks.store_event(c->arg, &ev);
	}
}

/* --- delivery ------------------------------------------------------------------ */

static void on_message(void *arg, uint32_t from, const char *data, size_t len)
{
	struct ap_cluster *c = arg;
	const char *sender = ap_cl_name_of(c, from);
	const char *master = ap_cl_name_of(c, ap_cl_master_id(c));
	const char *present[AP_CL_MAX_NODES];
	char err[VS_ERR_LEN];
	struct ap_msg m;
	int n_present = 0, rc;

	for (int i = 0; i < c->n_group; i++) {
		const char *nm = ap_cl_name_of(c, c->group[i]);
		if (nm)
			present[n_present++] = nm;
	}
	rc = ap_msg_decode(data, len, &m, err, sizeof(err));
	if (rc == 0)
		rc = ap_msg_check_sender(&m, sender, master, present, n_present, err, sizeof(err));
	if (rc < 0) {
		c->refused++;
		lib_warn("cluster: refused a message from node %u (%s): %s", from,
		         sender ? sender : "not a node of this cluster", err);
		ap_msg_clear(&m);
		return;
	}
	switch (m.type) {
	case AP_MSG_CFG:
		ap_cl_on_cfg(c, &m);
		break;
	case AP_MSG_SYNC:
		ap_cl_on_sync(c, from, &m);
		break;
	case AP_MSG_FULL:
		ap_cl_on_full(c, from, &m);
		break;
	case AP_MSG_REPORT:
		ap_cl_on_report(c, from, &m);
		break;
	case AP_MSG_PLACE:
		ap_cl_on_place(c, &m);
		break;
	case AP_MSG_EV:
		ap_cl_on_ev(c, &m);
		break;
	case AP_MSG_FENCED:
		ap_cl_on_fenced(c, &m);
		break;
	case AP_MSG_EVS:
		ap_cl_on_evs(c, from, &m);
		break;
	case AP_MSG_LOAD:
		ap_cl_on_load(c, &m);
		break;
	default:
		abort(); /* the codec knows no other type */
	}
	ap_msg_clear(&m);
}

/* Who is in corosync's view and who has an agent: the per-node flags, and
 * the agents that are missing (fenced after the grace). */
uint64_t ap_cl_mono_now(struct ap_cluster *c)
{
	uint64_t now = 0;

	if (sd_event_now(c->ev, CLOCK_MONOTONIC, &now) < 0)
		abort(); /* only fails for a bad clock id */
	return now;
}

void ap_cl_membership_changed(struct ap_cluster *c)
{
	uint64_t now = ap_cl_mono_now(c);

	for (int i = 0; i < c->n_nodes; i++) {
		struct ap_cl_node *n = &c->nodes[i];
		bool view = ap_cl_is_member(c, n->id), group = ap_cl_in_group(c, n->id);
		/* A node that is back lives a new life: not fenced, nothing to
		 * take over from it without MMP's wait. */
		if (view && !n->in_view && n->fstate != F_RUNNING)
			n->fstate = F_NONE;
		if (!view)
			n->report_since = 0; /* its hold-down starts again with its next report */
		n->in_view = view;
		n->in_group = group;
		if (view && !group && n->id != c->my_id) {
			if (!n->agent_gone_usec)
				n->agent_gone_usec = now;
		} else {
			n->agent_gone_usec = 0;
			n->agent_warned = false;
		}
	}
	ap_cl_check_agents(c);
}

/* The membership that counts for placement is corosync's (nodes up), not the
 * process group's: a restarting applianced leaves the group for a moment
 * while its node and its VSs stay up. */
static void set_members(struct ap_cluster *c, const uint32_t *ids, int n)
{
	char list[256] = "";
	size_t k = 0;

	c->n_members = n < AP_CL_MAX_NODES ? n : AP_CL_MAX_NODES;
	memcpy(c->members, ids, (size_t)c->n_members * sizeof(ids[0]));
	for (int i = 0; i < c->n_members && k < sizeof(list); i++)
		k += (size_t)snprintf(list + k, sizeof(list) - k, "%s%s", i ? " " : "",
		                      ap_cl_name_of(c, ids[i]) ?: "?");
	ap_cl_event(c, NULL, "info", "cluster membership: %s", list);
	ap_cl_membership_changed(c);
	ap_cl_drop_departed(c);
}

/* A process group change: someone (re)joined or left; exchange versions and
 * reports. */
static void on_members(void *arg, const uint32_t *ids, int n)
{
	struct ap_cluster *c = arg;

	lib_info("cluster: %d applianced in the process group", n);
	c->n_group = n < AP_CL_MAX_NODES ? n : AP_CL_MAX_NODES;
	memcpy(c->group, ids, (size_t)c->n_group * sizeof(ids[0]));
	ap_cl_membership_changed(c);
	c->n_round = c->n_group;
	memcpy(c->round, ids, (size_t)c->n_round * sizeof(ids[0]));
	memset(c->round_seen, 0, sizeof(c->round_seen));
	ap_cl_send_sync(c);
	ap_cl_send_report(c, true);
	ap_cl_forget_place(c);
	/* Whoever joined learns the placement now, changed or not. */
	c->force_place = true;
	ap_cl_master_place(c);
	ap_cl_update_track(c);
}

static void on_quorum(void *arg, bool quorate, const uint32_t *view, int n)
{
	struct ap_cluster *c = arg;
	bool same = n == c->n_members;

	c->quorum_known = true;
	c->quorum_wait = sd_event_source_disable_unref(c->quorum_wait);

	for (int i = 0; same && i < n; i++)
		same = view[i] == c->members[i];
	if (!same)
		set_members(c, view, n);
	if (c->quorate == quorate) {
		if (!same) {
			ap_cl_forget_place(c);
			ap_cl_master_place(c);
			c->hooks.placed(c->arg);
		}
		return;
	}
	c->quorate = quorate;
	ap_cl_event(
	    c, NULL, quorate ? "info" : "error", "%s",
	    quorate ? "this node has quorum"
	            : "this node lost quorum: it accepts no change and stops its virtual servers");
	ap_cl_forget_place(c);
	ap_cl_master_place(c);
	c->hooks.placed(c->arg);
}

static void on_connected(void *arg, bool up, uint32_t id)
{
	struct ap_cluster *c = arg;

	c->connected = up;
	if (!up) {
		c->quorate = false;
		c->n_members = 0;
		c->n_group = 0;
		c->hooks.placed(c->arg);
		/* corosync is gone: start it again (unless ours is still there). */
		if (c->tp->manages_daemons && !c->corosync.run && !c->corosync.restart)
			ap_cl_keep_end(NULL, NULL, &c->corosync);
		return;
	}
	if (id != c->my_id)
		lib_warn("cluster: corosync says this node is %u, the cluster definition says %u",
		         id, c->my_id);
}

static int on_quorum_wait(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ap_cluster *c = userdata;

	c->quorum_wait = sd_event_source_disable_unref(c->quorum_wait);
	if (!c->quorum_known) {
		c->quorum_known = true;
		ap_cl_event(c, NULL, "error",
		            "no word from corosync %llu s after start: this node counts as without "
		            "quorum and stops its virtual servers",
		            AP_CL_QUORUM_WAIT_USEC / 1000000);
		c->hooks.placed(c->arg);
	}
	return 0;
}

int ap_cl_open_transport(struct ap_cluster *c)
{
	struct ap_cpg_hooks h = {.deliver = on_message,
	                         .members = on_members,
	                         .quorum = on_quorum,
	                         .connected = on_connected};

	if (c->tpi)
		return 0;
	if (!c->quorum_known && !c->quorum_wait &&
	    sd_event_add_time_relative(c->ev, &c->quorum_wait, CLOCK_MONOTONIC,
	                               AP_CL_QUORUM_WAIT_USEC, 0, on_quorum_wait, c) < 0)
		c->quorum_known = true; /* cannot wait: decide from what is known */
	return c->tp->open(c->ev, AP_CL_GROUP, &h, c, &c->tpi);
}

/* --- public ---------------------------------------------------------------------- */

int ap_cluster_create(sd_event *ev, const struct ap_cluster_opts *o,
                      const struct ap_cluster_hooks *hooks, void *arg, struct ap_cluster **out)
{
	struct ap_cluster *c = calloc(1, sizeof(*c));
	char text[4096], err[VS_ERR_LEN] = "";

	if (!c)
		return -ENOMEM;
	c->ev = sd_event_ref(ev);
	c->hooks = *hooks;
	c->arg = arg;
	c->store = o->store;
	c->stats = o->stats;
	c->tp = o->transport ? o->transport : &ap_cpg_transport;
	c->agent_grace_opt = o->agent_grace_usec;
	c->agent_grace_usec =
	    o->agent_grace_usec ? o->agent_grace_usec : AP_CL_AGENT_GRACE_DEFAULT_S * 1000000ULL;
	c->node = strdup(o->node);
	c->run_dir = strdup(o->run_dir);
	c->state_dir = strdup(o->state_dir);
	c->self_dir = strdup(o->self_dir ? o->self_dir : "/usr/sbin");
	c->ka_weight = -1;
	c->daemon_units = o->daemon_units;
	ap_cl_keep_init(c);
	c->placement = calloc(1, sizeof(*c->placement));
	c->states = json_object();
	c->takeovers = json_object();
	c->unmounted = json_object();
	c->bal_said = json_object();
	c->held = json_object();
	c->words = json_object();
	c->intents = json_object();
	c->said = json_object();
	c->failing = json_object();
	c->next_move_id = 1;
	if (!c->node || !c->run_dir || !c->state_dir || !c->self_dir || !c->placement ||
	    !c->states || !c->takeovers || !c->unmounted || !c->bal_said || !c->held || !c->words ||
	    !c->intents || !c->said || !c->failing) {
		ap_cluster_destroy(c);
		return -ENOMEM;
	}
	*out = c;
	if (vs_store_meta_get(c->store, "cluster", text, sizeof(text)) == 0) {
		json_t *d = json_loads(text, 0, NULL);
		int rc = d ? ap_cl_load_definition(c, d, err, sizeof(err)) : -EINVAL;
		json_decref(d);
		if (rc < 0) {
			lib_err("cluster: the stored cluster definition is unusable: %s", err);
			return 0;
		}
		/* The placement last agreed, until the master says otherwise. */
		char *ptext = malloc(1 << 20);
		if (ptext && vs_store_meta_get(c->store, "placement", ptext, 1 << 20) == 0 &&
		    ap_cl_load_placement_json(c, ptext) < 0)
			lib_err(
			    "cluster: the stored placement is unusable; waiting for the master's");
		free(ptext);
		ap_cl_load_moves(c);
		ap_cl_enable(c);
	}
	return 0;
}

void ap_cluster_destroy(struct ap_cluster *c)
{
	if (!c)
		return;
	ap_cl_flush_events_here_too(c);
	c->ev_timer = sd_event_source_disable_unref(c->ev_timer);
	c->report_timer = sd_event_source_disable_unref(c->report_timer);
	c->revert_timer = sd_event_source_disable_unref(c->revert_timer);
	if (c->tpi)
		c->tp->close(c->tpi);
	c->flush = sd_event_source_disable_unref(c->flush);
	for (int i = 0; i < c->n_out; i++)
		free(c->out[i]);
	c->tick = sd_event_source_disable_unref(c->tick);
	c->grace_timer = sd_event_source_disable_unref(c->grace_timer);
	c->quorum_wait = sd_event_source_disable_unref(c->quorum_wait);
	ap_cl_keep_stop(c);
	free(c->self_dir);
	for (int i = 0; i < AP_CL_MAX_PENDING; i++)
		if (c->pend[i].req)
			c->hooks.reply(c->arg, c->pend[i].conn,
			               json_pack("{s:b, s:s}", "ok", 0, "error",
			                         "applianced is stopping; the change may not have "
			                         "been applied."));
	ap_fence_cancel(c->fence);
	c->fence_wait = sd_event_source_disable_unref(c->fence_wait);
	ap_cl_loads_free(c);
	json_decref(c->takeovers);
	json_decref(c->unmounted);
	json_decref(c->bal_said);
	json_decref(c->held);
	json_decref(c->states);
	json_decref(c->words);
	json_decref(c->intents);
	json_decref(c->said);
	json_decref(c->failing);
	free(c->moves);
	free(c->last_report);
	free(c->last_place);
	free(c->placement);
	free(c->node);
	free(c->run_dir);
	free(c->state_dir);
	sd_event_unref(c->ev);
	free(c);
}

bool ap_cluster_enabled(const struct ap_cluster *c)
{
	return c && c->enabled;
}

bool ap_cluster_quorate(const struct ap_cluster *c)
{
	return c && c->connected && c->quorate;
}

bool ap_cluster_quorum_known(const struct ap_cluster *c)
{
	return !c || !c->enabled || c->quorum_known;
}

const char *ap_cluster_master(const struct ap_cluster *c)
{
	if (!ap_cluster_quorate(c))
		return NULL;
	return ap_cl_name_of(c, ap_cl_master_id(c));
}

bool ap_cluster_placement_heard(const struct ap_cluster *c)
{
	return c && c->heard_place;
}

const struct vs_placement *ap_cluster_placement(const struct ap_cluster *c)
{
	return c->placement;
}

const char *ap_cluster_vs_state(const struct ap_cluster *c, const char *vs)
{
	return json_string_value(json_object_get(json_object_get(c->states, vs), "state"));
}

bool ap_cluster_takeover_take(struct ap_cluster *c, const char *vs, char *from, size_t len,
                              bool *fenced)
{
	json_t *map = c ? c->takeovers : NULL;
	json_t *v = map ? json_object_get(map, vs) : NULL;

	*fenced = v != NULL;
	if (!v && c) {
		map = c->unmounted;
		v = json_object_get(map, vs);
	}
	if (!v)
		return false;
	snprintf(from, len, "%s", json_string_value(v) ?: "");
	json_object_del(map, vs);
	return from[0] != '\0';
}

bool ap_cluster_vs_busy_elsewhere(struct ap_cluster *c, const char *vs, char *who, size_t len)
{
	json_t *st = json_object_get(c->states, vs);
	const char *nd = json_string_value(json_object_get(st, "node"));
	const char *state = json_string_value(json_object_get(st, "state"));

	if (nd && state && strcmp(nd, c->node) != 0 && strcmp(state, "stopped") != 0) {
		snprintf(who, len, "%s", nd);
		return true;
	}
	nd = json_string_value(json_object_get(c->held, vs));
	if (nd && ap_cl_needs_fence(nd, c)) {
		snprintf(who, len, "%s", nd);
		return true;
	}
	return false;
}

bool ap_cluster_has_node(const struct ap_cluster *c, const char *node)
{
	for (int i = 0; c && i < c->n_nodes; i++)
		if (strcmp(c->nodes[i].name, node) == 0)
			return true;
	return false;
}

static int on_report_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ap_cluster *c = userdata;

	c->report_timer = sd_event_source_disable_unref(c->report_timer);
	ap_cl_send_report(c, false);
	return 0;
}

/* The changes of a burst (a takeover changes a state per VS per step) go
 * out as one report AP_CL_REPORT_BATCH_USEC after the first. */
void ap_cluster_local_changed(struct ap_cluster *c)
{
	if (!c || !c->enabled || c->report_timer)
		return;
	if (sd_event_add_time_relative(c->ev, &c->report_timer, CLOCK_MONOTONIC,
	                               AP_CL_REPORT_BATCH_USEC, 0, on_report_timer, c) < 0)
		ap_cl_send_report(c, false);
}

json_t *ap_cluster_show(struct ap_cluster *c)
{
	static const char *const fnames[] = {"", "fencing", "fenced", "fenced", "fence failed"};
	json_t *nodes = json_array();
	uint64_t now = ap_cl_mono_now(c);

	for (int i = 0; i < c->n_nodes; i++) {
		const struct ap_cl_node *n = &c->nodes[i];
		bool member = ap_cl_is_member(c, n->id);
		const char *state = !member ? "away" : n->agent_gone_usec ? "no agent" : "member";
		char links[32] = "-";
		if (n->id != c->my_id && ap_cl_connected(c)) {
			int l0 = c->tp->link_up(c->tpi, n->id, 0);
			int l1 = n->addr2[0] ? c->tp->link_up(c->tpi, n->id, 1) : -ENOENT;
			snprintf(links, sizeof(links), "%s%s%s", l0 == 1 ? "ic:up" : "ic:down",
			         l1 == -ENOENT ? "" : ",pub:",
			         l1 == -ENOENT ? ""
			         : l1 == 1     ? "up"
			                       : "down");
		}
		const struct vs_fence *dev = vs_config_find_fence(c->hooks.config(c->arg), n->name);
		json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "id",
		                      (json_int_t)n->id, "name", n->name, "address", n->addr,
		                      "address2", n->addr2, "state", state, "links", links, "fence",
		                      dev ? dev->agent : "none", "fenced", fnames[n->fstate],
		                      "fence_device", dev != NULL);
		if (n->agent_gone_usec)
			json_object_set_new(
			    o, "agent_gone_s",
			    json_integer((json_int_t)((now - n->agent_gone_usec) / 1000000)));
		json_array_append_new(nodes, o);
	}
	return json_pack(
	    "{s:b, s:s, s:s, s:b, s:b, s:s, s:o, s:I, s:I, s:I, s:i}", "enabled", c->enabled,
	    "cluster", c->name, "node", c->node, "corosync", c->connected, "quorate",
	    ap_cluster_quorate(c), "master", ap_cluster_master(c) ?: "", "nodes", nodes,
	    "agent_grace_s", (json_int_t)(c->agent_grace_usec / 1000000), "refused_messages",
	    (json_int_t)c->refused, "config_version", (json_int_t)c->hooks.config(c->arg)->version,
	    "vservers", c->hooks.config(c->arg)->n_vservers);
}
