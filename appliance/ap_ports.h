/*
 * ap_ports.h - the node's ports and where each VIP lives among them.
 *
 * Glue between mechanism and policy: port state comes from the kernel as it
 * changes (nf_linkmon: carrier, admin state, counters) and from the probes of
 * failover groups (nf_probe); the pure policy (nf_policy) decides, for every
 * VIP of every running VS, whether it stays, moves to another port of its
 * group, returns home, or has no healthy port left; the VS runtimes carry the
 * moves out (vs_runtime_vip_move). A carrier loss is handled inside the
 * netlink event's callback: no timer, no process on that path.
 *
 * Every few seconds the VIPs of each failover group are also spread over
 * its ports by measured traffic (nf_spread: a port hot for a while hands a
 * VIP to a cool peer); a VIP moved so stays there (no auto-revert) until a
 * port failure moves it again.
 *
 * Every decision goes to the event log with its reason. The "no healthy
 * port" marks are exact at every instant (set and cleared in the same event
 * that changes a port) and shown by `vsadm vserver show`.
 *
 * Memory: opaque; the hooks' arg is borrowed. Returned JSON is owned by the
 * caller. Errors: 0 or a negative errno, with a sentence in err where asked.
 */
#ifndef AP_PORTS_H
#define AP_PORTS_H

#include <jansson.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "netfail/nf_spread.h"
#include "vserver/vs_model.h"
#include "vserver/vs_runtime.h"

struct ap_stats;

struct ap_ports_hooks {
	const struct vs_config *(*config)(void *arg);
	/* The runtime of a running VS, or NULL. */
	struct vs_runtime *(*runtime)(void *arg, const char *vs);
	void (*event)(void *arg, const char *vs, const char *severity, const char *message);
	/* Spreading VIPs over their group's ports by traffic (nf_spread.h):
	 * smoothed bytes/s of a port and of a VIP (0, or negative when not
	 * measured), and the settings in force. NULL: no spreading. */
	int (*port_rate)(void *arg, const char *port, double *bps);
	int (*vip_rate)(void *arg, const char *vs, const char *addr, double *bps);
	void (*spread_params)(void *arg, struct nf_spread_params *p);
	/* Where VIP moves are counted (ap_stats.h; outlives the ports); NULL: not. */
	struct ap_stats *stats;
};

struct ap_ports;

int ap_ports_create(sd_event *ev, const struct ap_ports_hooks *hooks, void *arg,
                    struct ap_ports **out);
void ap_ports_destroy(struct ap_ports *p);

/* The configuration or a VS's state changed: probes are re-made and VIPs
 * re-placed, right after the current event (never inside the caller). */
void ap_ports_config_changed(struct ap_ports *p);
/* Where a VIP that is being brought up should go (a vs_runtime_env.vip_port). */
const char *ap_ports_choose(struct ap_ports *p, const char *vs, const struct vs_vip *vip);

int ap_ports_migrate(struct ap_ports *p, const char *vs, const char *addr, const char *port,
                     char *err, size_t errlen);
/* addr NULL: every VIP of the VS. */
int ap_ports_revert(struct ap_ports *p, const char *vs, const char *addr, char *err, size_t errlen);

json_t *ap_ports_show(struct ap_ports *p);
/* Every VIP (of `vs`, or all when NULL): where it is, where it belongs, why. */
json_t *ap_ports_vips(struct ap_ports *p, const char *vs);
/* Names of the healthy ports (for the node's report); returns the count. */
int ap_ports_healthy(struct ap_ports *p, char names[][VS_PORT_MAX + 1], int max);
/* The addresses of `vs` that have no healthy port (an array, maybe empty). */
json_t *ap_ports_marks(struct ap_ports *p, const char *vs);

#endif
