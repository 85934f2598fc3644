/*
 * ap_cpg.h - corosync's process groups and quorum, in the daemon's loop.
 *
 * The only way nodes talk to each other (DESIGN section 4): messages are
 * multicast to the CPG group and delivered to every member in the same total
 * order (CPG_TYPE_AGREED), membership changes are delivered in that same
 * order (virtual synchrony), and quorum comes from corosync's quorum service.
 * No home-made heartbeat, gossip or consensus.
 *
 * The connection to the local corosync is made when corosync is up and made
 * again after it restarts; while disconnected the node counts as inquorate.
 *
 * Memory: opaque. Message bytes passed to deliver are valid only during it.
 * Errors: 0 or a negative errno (-ENOTCONN when corosync is not reachable,
 * -EAGAIN when corosync asks to try again).
 */
#ifndef AP_CPG_H
#define AP_CPG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

struct ap_cpg_hooks {
	void (*deliver)(void *arg, uint32_t from, const char *data, size_t len);
	void (*members)(void *arg, const uint32_t *ids, int n);
	/* Quorum and the corosync membership (node ids): the nodes that are up,
	 * whether or not their applianced is connected at this instant. */
	void (*quorum)(void *arg, bool quorate, const uint32_t *view, int n);
	void (*connected)(void *arg, bool up, uint32_t local_id);
};

struct ap_cpg;

int ap_cpg_create(sd_event *ev, const char *group, const struct ap_cpg_hooks *hooks, void *arg,
                  struct ap_cpg **out);
void ap_cpg_destroy(struct ap_cpg *c);
int ap_cpg_send(struct ap_cpg *c, const char *data, size_t len);
bool ap_cpg_connected(const struct ap_cpg *c);
/* knet link `link` to node `nodeid` as corosync sees it now (its stats map):
 * 1 connected, 0 not, or a negative errno (-ENOENT: no such link). A short
 * IPC round trip to the local corosync. */
int ap_cpg_link_up(uint32_t nodeid, int link);

/* The cluster's transport as an interface, so that the protocol above it
 * (ap_cluster) runs over corosync in applianced and over a fake in unit
 * tests. `impl` is what open made. ap_cpg_transport is corosync; with it the
 * cluster also starts and supervises the node's corosync and keepalived
 * (manages_daemons), which a fake does not want. */
struct ap_transport {
	int (*open)(sd_event *ev, const char *group, const struct ap_cpg_hooks *hooks, void *arg,
	            void **impl);
	void (*close)(void *impl);
	int (*send)(void *impl, const char *data, size_t len);
	bool (*connected)(const void *impl);
	int (*link_up)(void *impl, uint32_t nodeid, int link);
	bool manages_daemons;
};

extern const struct ap_transport ap_cpg_transport;

#endif
