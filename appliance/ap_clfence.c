/*
 * ap_clfence.c - fencing decisions and their outcome (DESIGN R4, section 4).
 *
 * Two kinds of node are powered off through their fence device by the
 * master: one that left the membership while holding VSs (before those move,
 * ap_clplace.c asks for it), and one that stays in corosync while its
 * applianced is gone for longer than the agent grace (its kernel may still
 * hold the VSs' mounts and VIPs; nothing else would ever take them over).
 * The outcome goes to every node in a "fenced" message, accepted only from
 * the master: the node taking a VS over then resets ext4 MMP instead of
 * waiting for it. Without a device, or when fencing fails, a departed node's
 * VSs wait for MMP; an agentless node's VSs stay where they are, reported.
 */
#include "appliance/ap_stats.h"
#include "appliance/ap_cluster_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib_log.h"

bool ap_cl_needs_fence(const char *node, void *arg)
{
	struct ap_cluster *c = arg;
	struct ap_cl_node *cn = ap_cl_node_named(c, node);

	return cn && cn->fstate != F_DONE && cn->fstate != F_FAILED &&
	       vs_config_find_fence(c->hooks.config(c->arg), node);
}

/* Tell every node how fencing `cn` ended: they all wait for it before a
 * takeover. If even that cannot be sent, this node alone knows. */
static void fence_outcome(struct ap_cluster *c, struct ap_cl_node *cn, bool ok, const char *detail,
                          uint64_t usec)
{
	struct ap_msg m = {.type = AP_MSG_FENCED};

	cn->fstate = ok ? F_SENT : F_FAILED;
	ap_stats_fence(c->stats, ok, (double)usec / 1e6);
	snprintf(m.fenced.node, sizeof(m.fenced.node), "%s", cn->name);
	m.fenced.ok = ok;
	snprintf(m.fenced.by, sizeof(m.fenced.by), "%s", c->node);
	snprintf(m.fenced.detail, sizeof(m.fenced.detail), "%s", detail);
	ap_msg_text_mend(m.fenced.detail);
	m.fenced.ms = usec / 1000;
	ap_cl_identity(&m, c, 1);
	if (ap_cl_send(c, &m) < 0) {
		cn->fstate = F_FAILED;
		ap_cl_event(
		    c, NULL, "error",
		    "fencing node %s: its outcome (%s) could not be sent to the cluster; its "
		    "virtual servers are taken over once ext4 multi-mount protection shows "
		    "their file systems idle",
		    cn->name, m.fenced.detail);
	}
}

static void on_fence_done(void *arg, const char *node, enum ap_fence_result result,
                          const char *detail, uint64_t usec)
{
	struct ap_cluster *c = arg;
	struct ap_cl_node *cn = ap_cl_node_named(c, node);

	c->fence = NULL;
	if (!cn)
		return;
	if (cn->fstate != F_RUNNING) {
		/* It came back meanwhile: its new life is not fenced. */
		ap_cl_event(c, NULL, "warning",
		            "fence agent for node %s ended (%s) after it rejoined", node, detail);
	} else {
		fence_outcome(c, cn, result == AP_FENCE_DONE, detail, usec);
	}
	ap_cl_master_place(c);
	c->hooks.placed(c->arg);
}

static int on_fence_wait(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ap_cluster *c = userdata;

	c->fence_wait = sd_event_source_disable_unref(c->fence_wait);
	c->fence_waited = true;
	ap_cl_master_place(c);
	ap_cl_check_agents(c);
	return 0;
}

void ap_cl_start_fence(struct ap_cluster *c, const char *node, const char *why)
{
	const struct vs_fence *dev = vs_config_find_fence(c->hooks.config(c->arg), node);
	struct ap_cl_node *cn = ap_cl_node_named(c, node);
	uint32_t low = UINT32_MAX;
	int rc;

	if (!dev || !cn || cn->fstate != F_NONE || c->fence || c->fence_wait)
		return; /* one at a time; placement runs again when it ends */
	for (int i = 0; i < c->n_nodes; i++)
		if (c->nodes[i].id < low)
			low = c->nodes[i].id;
	if (c->n_nodes == 2 && c->my_id != low && !c->fence_waited) {
		if (sd_event_add_time_relative(c->ev, &c->fence_wait, CLOCK_MONOTONIC,
		                               AP_CL_FENCE_PAIR_DELAY_USEC, 0, on_fence_wait,
		                               c) >= 0) {
			ap_cl_event(
			    c, NULL, "warning",
			    "node %s %s: waiting %llu s before fencing it, as the higher node "
			    "id of a pair (the lower one fences first)",
			    node, why, AP_CL_FENCE_PAIR_DELAY_USEC / 1000000);
			return;
		}
	}
	c->fence_waited = false;
	cn->fstate = F_RUNNING;
	ap_cl_event(c, NULL, "warning",
	            "node %s %s: powering it off through its fence device (%s) before its "
	            "virtual servers are taken over",
	            node, why, dev->agent);
	rc = ap_fence_run(c->ev, dev, "off", AP_CL_FENCE_TIMEOUT_USEC, on_fence_done, c, &c->fence);
	if (rc < 0) {
		char text[160];
		snprintf(text, sizeof(text), "cannot run the fence agent %s: %s", dev->agent,
		         strerror(-rc));
		fence_outcome(c, cn, false, text, 0);
		ap_cl_master_place(c);
	}
}

void ap_cl_on_fenced(struct ap_cluster *c, const struct ap_msg *m)
{
	struct ap_cl_node *cn = ap_cl_node_named(c, m->fenced.node);
	char text[AP_MSG_TEXT_MAX + 1];

	if (!cn) {
		c->refused++;
		lib_warn("cluster: refused a 'fenced' message from %s about %s, not a node of this "
		         "cluster",
		         m->fenced.by, m->fenced.node);
		return;
	}
	/* The outcome counts while the node's agent is away: it left, or it
	 * stays in corosync without applianced. */
	bool away = !ap_cl_in_group(c, cn->id);
	if (away && !m->fenced.ok) {
		cn->fstate = F_FAILED;
		snprintf(text, sizeof(text),
		         "fencing node %s failed: %s; its virtual servers are taken over once ext4 "
		         "multi-mount protection shows their file systems idle (about 22 s)",
		         cn->name, m->fenced.detail);
	} else if (away) {
		cn->fstate = F_DONE;
		const char *hvs;
		json_t *hnode;
		json_object_foreach(c->held, hvs, hnode)
		{
			const char *here = vs_placement_node(c->placement, hvs);
			if (strcmp(json_string_value(hnode) ?: "", cn->name) == 0 && here &&
			    strcmp(here, c->node) == 0)
				json_object_set_new(c->takeovers, hvs, json_string(cn->name));
		}
		snprintf(
		    text, sizeof(text),
		    "node %s is powered off (fenced in %llu ms: %s): its file systems are taken "
		    "over without waiting for multi-mount protection",
		    cn->name, (unsigned long long)m->fenced.ms, m->fenced.detail);
	} else {
		snprintf(text, sizeof(text),
		         "node %s is a member again: the outcome of its fencing (%s) no longer "
		         "applies",
		         cn->name, m->fenced.detail);
	}
	ap_cl_store_event(c, m, 0, m->fenced.by, "", m->fenced.ok ? "warning" : "error", text);
	ap_cl_master_place(c);
	c->hooks.placed(c->arg); /* a takeover waiting for this may go on */
}

/* --- nodes whose agent is gone ---------------------------------------------- */

static int on_grace(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ap_cluster *c = userdata;

	c->grace_timer = sd_event_source_disable_unref(c->grace_timer);
	ap_cl_check_agents(c);
	return 0;
}

void ap_cl_check_agents(struct ap_cluster *c)
{
	uint64_t now = ap_cl_mono_now(c), next = 0;

	for (int i = 0; i < c->n_nodes; i++) {
		struct ap_cl_node *n = &c->nodes[i];
		if (!n->agent_gone_usec || n->fstate != F_NONE)
			continue;
		uint64_t due = n->agent_gone_usec + c->agent_grace_usec;
		if (now < due) {
			if (!next || due < next)
				next = due;
			continue;
		}
		if (!ap_cl_is_master(c))
			continue; /* the master decides; it is re-checked if that changes */
		if (!vs_config_find_fence(c->hooks.config(c->arg), n->name)) {
			if (!n->agent_warned)
				ap_cl_event(
				    c, NULL, "error",
				    "node %s is in the cluster but its applianced has been gone "
				    "for %llu s; it has no fence device, so its virtual servers "
				    "stay there until its applianced returns",
				    n->name,
				    (unsigned long long)((now - n->agent_gone_usec) / 1000000));
			n->agent_warned = true;
			continue;
		}
		char why[128];
		snprintf(why, sizeof(why),
		         "is in the cluster but its applianced has been gone for %llu s",
		         (unsigned long long)((now - n->agent_gone_usec) / 1000000));
		ap_cl_start_fence(c, n->name, why);
		if (c->fence || c->fence_wait)
			break; /* one at a time: the next when it ends */
	}
	c->grace_timer = sd_event_source_disable_unref(c->grace_timer);
	if (next &&
	    sd_event_add_time(c->ev, &c->grace_timer, CLOCK_MONOTONIC, next, 0, on_grace, c) < 0)
		lib_err("cluster: cannot arm the agent grace timer");
}
