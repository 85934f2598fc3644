/*
 * nf_probe.h - is a port passing traffic? Active probes to a target.
 *
 * A port can keep its carrier and still pass nothing (a dead switch ASIC, a
 * wrong VLAN upstream). For such a port a failover group names a probe target
 * (typically the gateway): every interval, each probed port sends one request
 * from itself to the target, and counts a miss when no answer came back on
 * that port before the next one is due:
 *   IPv4: an ARP probe (RFC 5227: sender IP 0.0.0.0, so the port needs no
 *         address) for the target; the target's ARP reply (to the port's
 *         MAC) counts;
 *   IPv6: a neighbour solicitation for the target from the unspecified
 *         address to its solicited-node multicast group; the target's
 *         neighbour advertisement counts (it goes to all nodes: an answer to
 *         another node's probe of the same target counts too).
 * After `misses` consecutive misses the port is reported failed; the first
 * answer afterwards reports it passing again. Raw AF_PACKET sockets bound to
 * the port, driven by the caller's sd-event loop; nothing blocks, no process
 * is spawned. The port is looked up by name before each request: a port that
 * is down, without carrier or absent only misses, and one re-created under
 * the same name is probed again.
 *
 * Callback: may call nf_probe_destroy().
 * Memory: opaque; strings are copied.
 * Errors: 0 or a negative errno (-EINVAL bad target or options, -ENODEV
 * unknown port, -EOPNOTSUPP not an Ethernet port).
 * Cost: destroy closes a packet socket, which waits for an RCU grace period
 * (5-20 ms); a probe is meant to live as long as its failover group.
 */
#ifndef NF_PROBE_H
#define NF_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

struct nf_probe;

/* Called when a port's verdict changes (passing <-> failed). */
typedef void (*nf_probe_fn)(const char *port, bool passing, void *arg);

struct nf_probe_opts {
	const char *port;     /* the node's port to probe from */
	const char *target;   /* IPv4 or IPv6 unicast address */
	uint32_t interval_ms; /* >= 50 */
	uint32_t misses;      /* >= 1 */
};

/* Starts probing at once; the port is assumed passing until `misses` misses. */
int nf_probe_create(sd_event *ev, const struct nf_probe_opts *o, nf_probe_fn fn, void *arg,
                    struct nf_probe **out);
void nf_probe_destroy(struct nf_probe *p);
bool nf_probe_passing(const struct nf_probe *p);
/* Consecutive misses so far, and answers received in total (for `port show`). */
uint32_t nf_probe_missed(const struct nf_probe *p);
uint64_t nf_probe_answers(const struct nf_probe *p);

#endif
