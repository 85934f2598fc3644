/*
 * nf_linkmon.h - port state from the kernel, as it changes (rtnetlink).
 *
 * Subscribes to RTNLGRP_LINK on a netlink socket of the caller's network
 * namespace (the node's), dumps every link once at creation, and from then on
 * reports each change of a link's state through the caller's sd-event loop:
 * no polling. The report is synchronous with the netlink message (no extra
 * timer, no process), because VIP failover latency starts here.
 *
 * Reported per link: ifindex, name, admin state (IFF_UP), carrier
 * (IFF_LOWER_UP, i.e. the cable), operstate, and the byte/packet counters
 * (IFLA_STATS64) that the message carries. Deleted links are reported with
 * `gone` set (and admin_up, carrier false, operstate IF_OPER_NOTPRESENT); a
 * link moved to another namespace is gone from this one. Links that are not
 * physical-like ports (loopback) are skipped. A state may be reported more
 * than once (events, then a dump); the last report of a link is its state.
 *
 * Namespace: the one the calling thread is in at creation, for the monitor's
 * whole life (refresh dumps included).
 * Callback: may call nf_linkmon_refresh() and nf_linkmon_destroy().
 * Memory: opaque; the struct passed to the callback is valid only during it.
 * Errors: 0 or a negative errno. If the socket overflows (ENOBUFS), the monitor
 * re-dumps all links by itself, so no change is ever missed.
 * Kernel latency: carrier changes reach rtnetlink through the kernel's
 * linkwatch, immediate for stacked devices (veth, macvlan: the lab's ports)
 * but rate-limited for devices without a lower link (physical NICs, bridges):
 * such a change within 1 s of an earlier linkwatch run is delayed until that
 * second is over (measured here: a bridge's carrier loss 1.02 s late).
 */
#ifndef NF_LINKMON_H
#define NF_LINKMON_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

struct nf_link {
	int ifindex;
	char name[16];
	bool admin_up;
	bool carrier;
	uint8_t operstate; /* IF_OPER_* */
	bool gone;
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
};

typedef void (*nf_linkmon_fn)(const struct nf_link *link, void *arg);

struct nf_linkmon;

/* Calls fn for every existing link before returning (the initial dump, a
 * synchronous one, each receive bounded by 2 s). */
int nf_linkmon_create(sd_event *ev, nf_linkmon_fn fn, void *arg, struct nf_linkmon **out);
void nf_linkmon_destroy(struct nf_linkmon *m);
/* Ask for a fresh dump (e.g. to refresh counters); reports come through fn,
 * later, from the loop. Requests made while a dump runs are folded into one
 * more dump after it. */
int nf_linkmon_refresh(struct nf_linkmon *m);

#endif
