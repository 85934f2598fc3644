/*
 * ap_clrepl.c - the replicated configuration (DESIGN section 4).
 *
 * A change is a "cfg" message carrying the change itself (vs_delta: the
 * VSs it adds or changes, those it deletes; never the whole configuration,
 * so a change costs the same at 1,000 VSs as at one) and the version it was
 * based on; every node applies it on delivery if that version is still its
 * own, so all
 * nodes stay identical and a change made on two nodes at once is applied
 * once. After a process-group change every member announces its version in
 * a "sync"; a member ahead sends its whole configuration ("full") to those
 * behind, after announcing again the version it sends (it may have
 * changed since its sync); a node accepts a full copy only if it is newer
 * than its own and is the very version its sender announced in its last
 * sync (an answer to catch-up, never an unasked replacement).
 */
#include "appliance/ap_cluster_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib_log.h"
#include "vserver/vs_delta.h"
#include "vserver/vs_json.h"

void ap_cl_reply_pending(struct ap_cluster *c, uint64_t req, json_t *resp)
{
	for (int i = 0; i < AP_CL_MAX_PENDING; i++)
		if (c->pend[i].req == req && req) {
			c->hooks.reply(c->arg, c->pend[i].conn, resp);
			c->pend[i].req = 0;
			return;
		}
	json_decref(resp);
}

/* Decode a delivered document through the model's validation and adopt it;
 * `version` is what the message said the document is. */
static int adopt_doc(struct ap_cluster *c, json_t *doc, uint64_t version)
{
	struct vs_config *tmp = calloc(1, sizeof(*tmp));
	char err[VS_ERR_LEN];
	int rc;

	if (!tmp)
		return -ENOMEM;
	rc = vs_config_from_json(doc, tmp, err, sizeof(err));
	if (rc == 0 && tmp->version != version) {
		snprintf(err, sizeof(err), "its version is not the one announced");
		rc = -EINVAL;
	}
	if (rc == 0)
		c->hooks.adopt(c->arg, tmp);
	else
		lib_err("cluster: a delivered configuration is invalid: %s", err);
	vs_config_free(tmp);
	free(tmp);
	return rc;
}

void ap_cl_on_cfg(struct ap_cluster *c, const struct ap_msg *m)
{
	const struct vs_config *cfg = c->hooks.config(c->arg);
	bool mine = strcmp(m->cfg.origin, c->node) == 0;
	struct vs_config *next;
	char err[VS_ERR_LEN];
	int rc;

	if (m->cfg.base != cfg->version) {
		if (mine)
			ap_cl_reply_pending(
			    c, m->cfg.req,
			    json_pack("{s:b, s:s}", "ok", 0, "error",
			              "The configuration changed meanwhile on another node; "
			              "nothing was changed: try again."));
		return;
	}
	next = calloc(1, sizeof(*next));
	rc = next ? vs_config_apply_delta(cfg, m->cfg.delta, next, err, sizeof(err)) : -ENOMEM;
	if (rc == 0 && next->version != m->cfg.version)
		rc = -EINVAL;
	if (rc < 0) {
		lib_err("cluster: a change from %s (version %llu) cannot be applied: %s",
		        m->cfg.origin, (unsigned long long)m->cfg.version,
		        rc == -ENOMEM ? "out of memory" : err);
		vs_config_free(next);
		free(next);
		if (mine)
			ap_cl_reply_pending(c, m->cfg.req,
			                    json_pack("{s:b, s:s}", "ok", 0, "error",
			                              "The change could not be applied."));
		return;
	}
	c->hooks.adopt(c->arg, next);
	vs_config_free(next);
	free(next);
	char msg[AP_MSG_TEXT_MAX + 1];
	snprintf(msg, sizeof(msg), "%s (by uid %u on %s, configuration version %llu)", m->cfg.what,
	         (unsigned)m->cfg.uid, m->cfg.origin,
	         (unsigned long long)c->hooks.config(c->arg)->version);
	ap_cl_store_event(c, m, 0, m->cfg.origin, m->cfg.vs, "info", msg);
	if (mine)
		ap_cl_reply_pending(c, m->cfg.req,
		                    json_pack("{s:b, s:s}", "ok", 1, "message", m->cfg.what));
	ap_cl_master_place(c);
}

void ap_cl_send_sync(struct ap_cluster *c)
{
	struct ap_msg m = {.type = AP_MSG_SYNC};
	json_t *marks = NULL;
	const char *origin;
	json_t *v;

	snprintf(m.sync.node, sizeof(m.sync.node), "%s", c->node);
	m.sync.version = c->hooks.config(c->arg)->version;
	m.sync.epoch = c->epoch;
	m.sync.has_map = true;
	m.sync.n_map = c->placement->n;
	m.sync.map = c->placement->e;
	m.sync.n_moves = c->n_moves;
	m.sync.moves = c->moves;
	if (vs_store_event_marks(c->store, &marks) == 0) {
		m.sync.marks = calloc(json_object_size(marks) + 1, sizeof(*m.sync.marks));
		json_object_foreach(marks, origin, v)
		{
			if (!m.sync.marks || m.sync.n_marks >= AP_MSG_MAX_MARKS)
				break;
			snprintf(m.sync.marks[m.sync.n_marks].origin,
			         sizeof(m.sync.marks[0].origin), "%s", origin);
			m.sync.marks[m.sync.n_marks++].seq = (int64_t)json_integer_value(v);
		}
	}
	json_decref(marks);
	ap_cl_send(c, &m);
	free(m.sync.marks);
}

void ap_cl_on_sync(struct ap_cluster *c, uint32_t from, const struct ap_msg *m)
{
	const struct vs_config *cfg = c->hooks.config(c->arg);
	struct ap_cl_node *cn = ap_cl_node_named(c, m->sync.node);

	if (cn)
		cn->announced = m->sync.version;
	if (from != c->my_id)
		ap_cl_send_missed_events(c, m);
	if (m->sync.has_map && m->sync.epoch > c->epoch) {
		/* A newer placement than ours, and its journal: we were away. */
		ap_cl_load_placement(c, m->sync.map, m->sync.n_map);
		ap_cl_adopt_moves(c, m->sync.moves, m->sync.n_moves);
		ap_cl_save_moves(c);
		c->epoch = m->sync.epoch;
		c->heard_place = true;
		ap_cl_save_placement(c);
		c->hooks.placed(c->arg);
	}
	lib_info("cluster: %s is at configuration version %llu, this node at %llu", m->sync.node,
	         (unsigned long long)m->sync.version, (unsigned long long)cfg->version);
	if (m->sync.version > cfg->version && m->sync.version != c->pulled) {
		/* Behind: say so again, in case our first word was lost. */
		struct ap_msg ask = {.type = AP_MSG_SYNC};
		c->pulled = m->sync.version;
		snprintf(ask.sync.node, sizeof(ask.sync.node), "%s", c->node);
		ask.sync.version = cfg->version;
		ap_cl_send(c, &ask);
	}
	if (m->sync.version < cfg->version) {
		/* Announce the version sent first: the node behind takes a full
		 * copy only of the version its sender announced, and ours may have
		 * changed since our last sync (a change delivered between our sync
		 * and its own left it refusing every copy until the next
		 * membership change; seen in 50-cluster). */
		ap_cl_send_sync(c);
		struct ap_msg full = {.type = AP_MSG_FULL};
		full.full.doc = vs_config_to_json(cfg);
		snprintf(full.full.by, sizeof(full.full.by), "%s", c->node);
		if (full.full.doc)
			ap_cl_send(c, &full);
		json_decref(full.full.doc);
	}
}

void ap_cl_on_full(struct ap_cluster *c, uint32_t from, const struct ap_msg *m)
{
	const struct vs_config *cfg = c->hooks.config(c->arg);
	struct ap_cl_node *cn = ap_cl_node_named(c, m->full.by);

	if (m->full.version <= cfg->version)
		return; /* an answer to someone else, or old */
	if (!cn || cn->announced != m->full.version) {
		c->refused++;
		lib_warn("cluster: refused a full configuration (version %llu) from %s: it is not "
		         "the version %s announced (%llu)",
		         (unsigned long long)m->full.version, m->full.by, m->full.by,
		         (unsigned long long)(cn ? cn->announced : 0));
		return;
	}
	if (adopt_doc(c, m->full.doc, m->full.version) == 0) {
		ap_cl_event(c, NULL, "info", "caught up to configuration version %llu from %s",
		            (unsigned long long)m->full.version, m->full.by);
		ap_cl_master_place(c);
	}
}

int ap_cluster_propose(struct ap_cluster *c, const struct vs_config *next, uint64_t base,
                       uint64_t conn, uid_t uid, const char *vs, const char *what, char *err,
                       size_t errlen)
{
	struct ap_msg m = {.type = AP_MSG_CFG};
	int slot = -1, rc;

	if (!ap_cluster_quorate(c))
		return snprintf(err, errlen,
		                "This node has no quorum: the cluster accepts no change now."),
		       -ENOLINK;
	for (int i = 0; i < AP_CL_MAX_PENDING; i++)
		if (!c->pend[i].req)
			slot = i;
	if (slot < 0)
		return snprintf(err, errlen, "Too many changes in flight; try again."), -EBUSY;
	m.cfg.base = base;
	/* The change itself: what differs between the configuration and next. */
	m.cfg.delta = vs_config_delta(c->hooks.config(c->arg), next);
	snprintf(m.cfg.origin, sizeof(m.cfg.origin), "%s", c->node);
	m.cfg.req = ++c->next_req;
	snprintf(m.cfg.vs, sizeof(m.cfg.vs), "%s", vs ? vs : "");
	snprintf(m.cfg.what, sizeof(m.cfg.what), "%s", what);
	m.cfg.uid = (uint32_t)uid;
	ap_cl_identity(&m, c, 1);
	c->pend[slot].req = m.cfg.req;
	c->pend[slot].conn = conn;
	rc = m.cfg.delta ? ap_cl_send(c, &m) : -ENOMEM;
	json_decref(m.cfg.delta);
	if (rc < 0) {
		c->pend[slot].req = 0;
		return snprintf(err, errlen, "The change could not be sent to the cluster (%s).",
		                strerror(-rc)),
		       rc;
	}
	return 0;
}
