/*
 * nf_vip.h - virtual IP devices: a macvlan per VIP, inside the VS namespace.
 *
 * A VIP is a macvlan (mode bridge) on a physical port of the node, created
 * directly into the VS's network namespace with a MAC derived from VS and
 * address (stable across moves, so client ARP caches stay right), its address
 * set with no duplicate-address detection, brought up, and announced
 * (gratuitous ARP for IPv4, unsolicited neighbour advertisement for IPv6).
 * All of it is rtnetlink (libmnl) and raw sockets: no command is run.
 *
 * Memory: inputs are borrowed for the call.
 * Errors: 0 or a negative errno from the kernel (-ENODEV unknown port, ...).
 */
#ifndef NF_VIP_H
#define NF_VIP_H

#include <stdint.h>

struct nf_vip_spec {
	const char *ifname; /* name inside the VS namespace, <= 15 chars */
	const char *parent; /* port in the node's namespace (the caller's) */
	uint8_t mac[6];
	int family; /* AF_INET or AF_INET6 */
	const char *addr;
	int prefix;
};

/* Ifindex of a port of this node's namespace, or a negative errno
 * (-ENODEV absent, -EINVAL not a valid interface name). */
int nf_port_index(const char *name);
/* Bring up `lo` in the namespace. */
int nf_lo_up(int nsfd);
/* Create (or re-create on a different parent) the macvlan, set the address,
 * bring it up. Idempotent: an existing device with the same parent, MAC and
 * address is left as it is (other global addresses on it are removed; a device
 * of that name with another parent, MAC, kind or mode is re-created). After a
 * failure the device may exist half-configured; calling again converges. */
int nf_vip_up(int nsfd, const struct nf_vip_spec *s);
/* A hot standby: the same device as nf_vip_up (same matching, same address)
 * but left DOWN (an up one is set down). A down macvlan is not in its
 * parent's receive table and never sends, so it does not disturb the live
 * device of the same MAC and address elsewhere (tested: no FDB entry on the
 * switch, ARP and TCP to the live one unchanged; its local route is
 * harmless). Idempotent like nf_vip_up. */
int nf_vip_standby(int nsfd, const struct nf_vip_spec *s);
/* Set a standby UP: one RTM_NEWLINK (the failover's only step before the
 * announcement). -ENODEV if there is no such device. */
int nf_vip_activate(int nsfd, const char *ifname);
/* Set down every up device of the namespace whose name begins with `prefix`,
 * except `keep` (may be NULL): after a daemon restart, no older device of a
 * VIP may stay up beside the one it is brought up on. At most 16 (-E2BIG). */
int nf_vip_quiesce(int nsfd, const char *prefix, const char *keep);
/* Delete the device; -ENODEV if it was not there. */
int nf_vip_down(int nsfd, const char *ifname);
/* Send `count` (0..64) announcements of the VIP from the device (GARP /
 * unsolicited NA), back to back; -ENODEV if the device is not there. */
int nf_vip_announce(int nsfd, const struct nf_vip_spec *s, int count);
/* A send-only packet socket inside the namespace, kept open for the VS's life:
 * closing a packet socket waits for an RCU grace period (5-20 ms measured
 * here), which must not sit on the failover path. Returns the fd or -errno. */
int nf_announcer_open(int nsfd);
/* nf_vip_announce through an announcer socket (IPv4; IPv6 goes through
 * nf_vip_announce, whose ICMPv6 socket closes without that wait). */
int nf_vip_announce_fd(int afd, int nsfd, const struct nf_vip_spec *s, int count);

#endif
