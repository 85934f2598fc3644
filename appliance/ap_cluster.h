/*
 * ap_cluster.h - the cluster as applianced sees it: one replicated truth,
 * membership, quorum, the master and its placement (DESIGN section 4).
 *
 * All of it rides on corosync (ap_cpg): every change of configuration is a
 * message carrying the version it was based on, applied by every node on
 * delivery if that version is still current (so all nodes stay identical and
 * a change needs quorum); on a membership change members announce their
 * version and the most recent configuration is sent to those behind. Each
 * node reports what it can serve (LUNs it sees, healthy ports, the state of
 * its VSs); the master (lowest node id of the quorate membership) computes
 * placement with vs_place() and sends it; every node reconciles to it. A node
 * without quorum runs no VS.
 *
 * A node that leaves while holding VSs is powered off through its fence
 * device (ap_fence), when it has one, before the master moves its VSs; the
 * confirmation is a message, so every node knows the node is off, and the
 * node taking a VS over may reset ext4's MMP instead of waiting for it.
 *
 * The cluster is defined once (`vsadm cluster create` on one node, which
 * makes the authentication key) and joined from a bundle (`vsadm cluster
 * join`): the bundle holds the key, so it is written 0600 and is to be moved
 * like a secret. This module starts and supervises the node's corosync.
 *
 * Trust: every message is decoded by ap_msg and its sender checked against
 * its type's rule (placement and fencing outcomes only from the master, a
 * report or sync only from the node it speaks for, a full configuration only
 * as the answer its sender announced and only if newer) before it changes
 * anything; a refused message is logged with its sender and counted
 * (`refused_messages` in ap_cluster_show).
 *
 * The master is the lowest id of the quorate membership whose applianced is
 * in the process group. A node in corosync without its applianced for longer
 * than the agent grace is fenced by the master (its VSs then move as a dead
 * node's do); an applianced back within the grace keeps its VSs.
 *
 * Memory: opaque; hooks' arg borrowed; returned JSON owned by the caller.
 * Errors: 0 or a negative errno with a sentence in err where asked.
 */
#ifndef AP_CLUSTER_H
#define AP_CLUSTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "appliance/ap_cpg.h"
#include "vserver/vs_model.h"
#include "vserver/vs_place.h"
#include "vserver/vs_store.h"

struct ap_cluster_hooks {
	const struct vs_config *(*config)(void *arg);
	/* A configuration delivered by the cluster: persist it, converge to it.
	 * The hook may take cfg's contents (vs_config_swap, no copy): the
	 * cluster frees whatever cfg holds afterwards. */
	void (*adopt)(void *arg, struct vs_config *cfg);
	/* Store one event (replicated: every node stores the same ones). */
	void (*store_event)(void *arg, const struct vs_event *ev);
	/* Fill this node's report (LUNs, healthy ports) and VS states; false
	 * while this node cannot yet say what it can serve (its first LUN scan
	 * has not ended): nothing is sent then, and the master waits for it
	 * rather than move VSs away for want of LUNs. */
	bool (*report)(void *arg, struct vs_node_report *r, json_t *states);
	/* The placement changed: converge. */
	void (*placed)(void *arg);
	void (*reply)(void *arg, uint64_t conn, json_t *resp);
};

struct ap_stats;

struct ap_cluster_opts {
	const char *node;
	const char *run_dir;
	const char *state_dir;
	struct vs_store *store;
	const char *self_dir; /* directory of applianced and vsadm (the health check) */
	/* corosync and keepalived are systemd units applianced starts
	 * (ap_clkeep.c; ap_daemon.h daemon_units), not its own children. */
	bool daemon_units;
	/* NULL = corosync (ap_cpg_transport), which also makes this module start
	 * and supervise corosync and keepalived; unit tests pass a fake. */
	const struct ap_transport *transport;
	/* How long a node may stay in corosync without its applianced before
	 * the master fences it; 0 = the default (10 s) or the definition's. */
	uint64_t agent_grace_usec;
	/* Where moves and fencing outcomes are counted (ap_stats.h; the
	 * caller's, outliving the cluster); NULL: not counted. */
	struct ap_stats *stats;
};

struct ap_cluster;

int ap_cluster_create(sd_event *ev, const struct ap_cluster_opts *o,
                      const struct ap_cluster_hooks *hooks, void *arg, struct ap_cluster **out);
void ap_cluster_destroy(struct ap_cluster *c);

bool ap_cluster_enabled(const struct ap_cluster *c);
bool ap_cluster_quorate(const struct ap_cluster *c);
/* Has this node learnt whether it has quorum since it started (a quorum
 * notification came, or corosync stayed unreachable for AP_CL_QUORUM_WAIT)?
 * Until then a VS already running here is kept as it is, neither started
 * nor stopped: an applianced restarted under running VSs does not stop
 * them while it reconnects. */
bool ap_cluster_quorum_known(const struct ap_cluster *c);
/* Name of the master, or NULL when there is none (no quorum). */
const char *ap_cluster_master(const struct ap_cluster *c);
const struct vs_placement *ap_cluster_placement(const struct ap_cluster *c);
/* Has the master's placement been delivered since this daemon started? Until
 * then the persisted one is only good for VSs already running here. */
bool ap_cluster_placement_heard(const struct ap_cluster *c);
/* What the VS's node last reported of it: state, or NULL. */
const char *ap_cluster_vs_state(const struct ap_cluster *c, const char *vs);

/* Release before acquire: may this node not start `vs` yet? True while
 * another member reports it in any state but stopped (it is releasing it),
 * or a node that left while holding it is still to be fenced; who gets that
 * node's name. */
bool ap_cluster_vs_busy_elsewhere(struct ap_cluster *c, const char *vs, char *who, size_t len);
/* Is `node` one of the cluster's nodes? */
bool ap_cluster_has_node(const struct ap_cluster *c, const char *node);
/* Does this node take `vs` over from a node that was fenced (powered off by
 * its fence device; *fenced true), or from one that unmounted it after its
 * path to the LUN failed (a storage move released clean; *fenced false)?
 * Then true, with that node's name in from, once: the answer is handed to the
 * VS's runtime (vs_runtime_allow_mmp_reset). */
bool ap_cluster_takeover_take(struct ap_cluster *c, const char *vs, char *from, size_t len,
                              bool *fenced);

/* Propose a new configuration based on `base`; the reply goes to conn when
 * it is delivered (ok), or refused (someone else's change came first). */
int ap_cluster_propose(struct ap_cluster *c, const struct vs_config *next, uint64_t base,
                       uint64_t conn, uid_t uid, const char *vs, const char *what, char *err,
                       size_t errlen);
/* Broadcast an event; -ENOTCONN when not connected (store it locally then). */
int ap_cluster_event(struct ap_cluster *c, const struct vs_event *ev);
/* Local state changed (a VS started, a port failed): report soon. */
void ap_cluster_local_changed(struct ap_cluster *c);

/* nodes: "n1=198.51.100.1,n2=198.51.100.2,..." (this node must be listed). */
/* mgmt: the management address with prefix and the port it goes on; "" = none. */
/* agent_grace_s: how long a node may stay in corosync without its
 * applianced before the master fences it (1..3600; 0 = the default, 10 s);
 * part of the definition, so the bundle carries it to every node. */
int ap_cluster_setup(struct ap_cluster *c, const char *name, const char *nodes, const char *mgmt,
                     const char *mgmt_port, int agent_grace_s, char *err, size_t errlen);
json_t *ap_cluster_bundle(struct ap_cluster *c, char *err, size_t errlen);
int ap_cluster_join(struct ap_cluster *c, json_t *bundle, char *err, size_t errlen);
json_t *ap_cluster_show(struct ap_cluster *c);
/* Pure checks, the same as create and join make (no I/O, nothing kept): would
 * `vsadm cluster create` with these values, or a join with this bundle, be
 * accepted on the node called node? 0, or -EINVAL with the sentence in err
 * (a bundle's key is never quoted). */
int ap_cluster_check_create(const char *node, const char *name, const char *nodes, const char *mgmt,
                            const char *mgmt_port, int agent_grace_s, char *err, size_t errlen);
int ap_cluster_check_bundle(const char *node, json_t *bundle, char *err, size_t errlen);

/* The move journal (vsadm move show): a new reference {"moves": [...]},
 * newest first, each as the wire has it (ap_msg_move_json) with its
 * "steps" [{state, at_usec}] in order; NULL when not in a cluster. */
json_t *ap_cluster_moves(struct ap_cluster *c);
/* Loads (ap_clload.c): this node's new sample, kept and sent to every node;
 * a node's last one (NULL: none yet; age since it came); every node's for
 * `vsadm load show` ({"nodes": [...]}, a new reference, NULL on no memory),
 * with each node's short history when history (ap_loadhist.h). */
struct ap_msg;
void ap_cluster_send_load(struct ap_cluster *c, const struct ap_msg *m);
const struct ap_msg *ap_cluster_load_of(struct ap_cluster *c, const char *node, uint64_t *age_usec);
json_t *ap_cluster_loads_json(struct ap_cluster *c, bool history);

/* Which node sees which LUN (vsadm lun show), from every member's last
 * report: a new reference {"luns": [{lun: "LABEL=x" or "UUID=y", nodes: [who
 * sees it], missing: [reporting members that do not], vservers: [whose file
 * systems are on it]}]}; NULL when not in a cluster. */
json_t *ap_cluster_luns(struct ap_cluster *c);

#endif
