/*
 * nf_linkstats.h - traffic counters and link speed of the network devices of
 * this node, and the rates between two samples (port and VIP load, node
 * network capacity: DESIGN R6).
 *
 * Pieces:
 *  - nf_linkstats_read(): one RTM_GETLINK dump over rtnetlink (libmnl) in the
 *    namespace of the calling thread (a lab node is a network namespace: the
 *    sampler measures where it runs, there is no namespace argument), every
 *    wait bounded by 2 s (nf_nl.h), the dump repeated (3 tries) when links
 *    came or went during it. The counters are the kernel's 64-bit
 *    IFLA_STATS64 (in every RTM_NEWLINK since 2.6.35; a message without it
 *    gives zero counters).
 *  - nf_linkstats_msg(): the pure part, one RTM_NEWLINK message to a record.
 *  - nf_linkstats_speed(): the link speed by the ethtool ioctl
 *    (ETHTOOL_GLINKSETTINGS) on a socket of the caller's namespace. Not
 *    /sys/class/net: sysfs shows the namespace of whoever mounted it, which
 *    need not be the caller's (seen on the machine this was written on: a
 *    shell's /sys/class/net listed the lab's host devices while its own
 *    namespace held lo, eth0, ifb0 and ifb1). veth reports 10000 Mb/s, a macvlan its lower
 *    device's speed; virtio-net often reports nothing (-ENODATA), loopback,
 *    ifb and others have no ethtool settings (-EOPNOTSUPP).
 *  - nf_linkstats_capacity(): the speed to use, or the configured default
 *    when the device reports none (NF_LINK_DEFAULT_MBPS if the caller has no
 *    setting: 10 Gb/s, the lab's veth speed and a common server port).
 *  - nf_linkstats_rate(): pure, bytes and packets per second between two
 *    samples of one link.
 *
 * Memory: nf_linkstats_read() fills the caller's struct with a malloc'd array
 * released by nf_linkstats_free(); on failure *out is empty ({NULL, 0}).
 * Errors: 0 or a negative errno. read: the socket's and the kernel's errors,
 * -ETIMEDOUT, -ENOMEM, -EINTR (links kept changing during 3 dumps). msg: 1 for a link record, 0 for
 * a message that is not a link (skipped), -EINVAL for a malformed one. speed: -ENODATA when the
 * device reports no speed, -EOPNOTSUPP when it has no ethtool settings,
 * -ENODEV when there is no such device. rate: -EINVAL for a zero elapsed time
 * or two different links, -ERANGE when a counter went backwards (the device
 * was re-created or its counters reset: skip this interval and take the new
 * sample as the base; *out is zeroed). A 64-bit counter does not wrap in
 * practice (584 years at 1 Tb/s).
 */
#ifndef NF_LINKSTATS_H
#define NF_LINKSTATS_H

#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

#define NF_LINK_DEFAULT_MBPS 10000

struct nf_linkstat {
	int ifindex;
	char name[16];
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
};

struct nf_linkstats {
	struct nf_linkstat *link; /* malloc'd, in the kernel's order */
	size_t n;
};

struct nf_linkrate {
	double rx_bps, tx_bps; /* bytes per second */
	double rx_pps, tx_pps; /* packets per second */
};

/* Every link of the caller's namespace, loopback included (about 33 KiB of
 * stack: the netlink buffer). */
int nf_linkstats_read(struct nf_linkstats *out);
/* The same in the network namespace open on nsfd (borrowed; -1: the caller's). */
int nf_linkstats_read_ns(int nsfd, struct nf_linkstats *out);
void nf_linkstats_free(struct nf_linkstats *s);
/* The record named `name` in s, or NULL. */
const struct nf_linkstat *nf_linkstats_find(const struct nf_linkstats *s, const char *name);
/* One rtnetlink message (RTM_NEWLINK with its ifinfomsg) into *out. A link
 * without counters in the message is reported with zero counters. */
int nf_linkstats_msg(const struct nlmsghdr *nlh, struct nf_linkstat *out);
/* Link speed in Mb/s of device `name`, in the caller's namespace. */
int nf_linkstats_speed(const char *name, uint32_t *mbps);
/* Capacity in bits per second: speed_rc and mbps as nf_linkstats_speed()
 * returned them, default_mbps (0: NF_LINK_DEFAULT_MBPS) when it failed. */
uint64_t nf_linkstats_capacity(int speed_rc, uint32_t mbps, uint32_t default_mbps);
/* Rates of one link between prev and cur, elapsed_usec apart (> 0). */
int nf_linkstats_rate(const struct nf_linkstat *prev, const struct nf_linkstat *cur,
                      uint64_t elapsed_usec, struct nf_linkrate *out);

#endif
