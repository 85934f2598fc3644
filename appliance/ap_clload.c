/*
 * ap_clload.c - every node's measured loads, as their 'load' messages said
 * (ap_load.h samples them; ap_msg.h carries them): kept in memory only, one
 * entry per node, replaced by each newer message, so any node answers `vsadm
 * load show` for the whole cluster and the master balances on them. Loads
 * are not persisted: after a restart they are measured again within a
 * sampling period. Each node's messages also feed its short history
 * (ap_loadhist.h), shown by `load show --history`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_cluster.h"
#include "appliance/ap_cluster_int.h"
#include "appliance/ap_loadhist.h"
#include "appliance/ap_msg_int.h"
#include "lib/lib_log.h"

static struct ap_cl_load *slot(struct ap_cluster *c, const char *node)
{
	struct ap_cl_node *n = ap_cl_node_named(c, node);

	return n ? &c->loads[n - c->nodes] : NULL;
}

/* The message kept, not its history. */
static void forget(struct ap_cl_load *l)
{
	struct ap_loadhist *hist = l->hist;

	free(l->m.load.vs);
	free(l->m.load.luns);
	memset(l, 0, sizeof(*l));
	l->hist = hist;
}

/* m's lists taken over (steal) or copied. */
static int keep(struct ap_cluster *c, struct ap_msg *m, bool steal)
{
	struct ap_cl_load *l = slot(c, m->load.node);
	struct ap_msg copy = *m;

	if (!l)
		return -ENOENT;
	if (steal) {
		m->load.vs = NULL;
		m->load.luns = NULL;
	} else {
		copy.load.vs = ap_mf_alloc(m->load.n_vs, sizeof(*copy.load.vs));
		copy.load.luns = ap_mf_alloc(m->load.n_luns, sizeof(*copy.load.luns));
		if ((m->load.n_vs && !copy.load.vs) || (m->load.n_luns && !copy.load.luns)) {
			free(copy.load.vs);
			free(copy.load.luns);
			return -ENOMEM;
		}
		if (m->load.n_vs)
			memcpy(copy.load.vs, m->load.vs,
			       (size_t)m->load.n_vs * sizeof(*copy.load.vs));
		if (m->load.n_luns)
			memcpy(copy.load.luns, m->load.luns,
			       (size_t)m->load.n_luns * sizeof(*copy.load.luns));
	}
	/* A slot that now holds another node (the node list changed) starts
	 * its history again. */
	if (l->have && strcmp(l->m.load.node, copy.load.node) != 0) {
		ap_loadhist_destroy(l->hist);
		l->hist = NULL;
	}
	forget(l);
	l->m = copy;
	l->have = true;
	l->at = ap_cl_mono_now(c);
	if (!l->hist && ap_loadhist_create(&l->hist) < 0)
		lib_warn("cluster: no memory for the load history of %s", copy.load.node);
	if (l->hist && ap_loadhist_add(l->hist, &l->m, l->at) < 0)
		lib_warn("cluster: no memory for a point of the load history of %s",
		         copy.load.node);
	return 0;
}

void ap_cl_on_load(struct ap_cluster *c, struct ap_msg *m)
{
	if (keep(c, m, true) < 0)
		lib_warn("cluster: cannot keep the loads of %s", m->load.node);
}

void ap_cluster_send_load(struct ap_cluster *c, const struct ap_msg *m)
{
	struct ap_msg own = *m;

	/* Kept here at once (also without corosync), and again when it comes
	 * back from the group like every node's. */
	int rc = keep(c, &own, false);
	/* -ENOENT: no cluster (yet) that this node is a member of. */
	if (rc < 0 && rc != -ENOENT)
		lib_warn("cluster: cannot keep this node's loads: %s", strerror(-rc));
	if (ap_cl_connected(c))
		(void)ap_cl_send(c, m);
}

const struct ap_msg *ap_cluster_load_of(struct ap_cluster *c, const char *node, uint64_t *age_usec)
{
	struct ap_cl_load *l = slot(c, node);

	if (!l || !l->have)
		return NULL;
	if (age_usec)
		*age_usec = ap_cl_mono_now(c) - l->at;
	return &l->m;
}

json_t *ap_cluster_loads_json(struct ap_cluster *c, bool history)
{
	json_t *nodes = json_array();

	for (int i = 0; nodes && i < c->n_nodes; i++) {
		uint64_t age = 0;
		const struct ap_msg *m = ap_cluster_load_of(c, c->nodes[i].name, &age);
		json_t *o = m ? ap_msg_enc_load(m) : json_pack("{s:s}", "node", c->nodes[i].name);
		if (!o)
			continue;
		json_object_set_new(o, "member", json_boolean(ap_cl_is_member(c, c->nodes[i].id)));
		if (m)
			json_object_set_new(o, "age_ms", json_integer((json_int_t)(age / 1000)));
		const struct ap_loadhist *h = c->loads[i].hist;
		if (m && history && h && ap_loadhist_json(h, o, ap_cl_mono_now(c)) < 0) {
			json_decref(o);
			json_decref(nodes);
			return NULL;
		}
		json_array_append_new(nodes, o);
	}
	json_t *o = nodes ? json_pack("{s:o}", "nodes", nodes) : NULL;
	/* The last balancing round, where this node ran it (the master). */
	if (o && c->bal_last.at)
		json_object_set_new(
		    o, "balance",
		    json_pack("{s:s, s:f, s:f, s:f, s:i, s:I}", "mode",
		              c->bal_last.mode == 2 ? "auto" : "advise", "ideal", c->bal_last.ideal,
		              "worst", c->bal_last.worst, "worst_after", c->bal_last.worst_after,
		              "moves", c->bal_last.n_moves, "at_usec", (json_int_t)c->bal_last.at));
	return o;
}

void ap_cl_loads_free(struct ap_cluster *c)
{
	for (int i = 0; i < AP_CL_MAX_NODES; i++) {
		forget(&c->loads[i]);
		ap_loadhist_destroy(c->loads[i].hist);
		c->loads[i].hist = NULL;
	}
}
