/*
 * nf_announce.c - telling the network where a VIP now is.
 *
 * Design:
 * - IPv4: gratuitous ARP, in its request form (RFC 5227 "ARP announcement":
 *   sender and target protocol address both the VIP, sender hardware address
 *   the VIP's MAC, target hardware address zero, Ethernet broadcast). Requests
 *   update existing neighbour entries on Linux with the default arp_accept=0,
 *   and switches learn the MAC's new port from the frame's source. Sent from
 *   an AF_PACKET SOCK_RAW socket opened inside the VS namespace and bound to
 *   the device with protocol 0, so it never queues received frames. Frames
 *   are padded to the 60-byte Ethernet minimum ourselves.
 * - IPv6: unsolicited Neighbour Advertisement (RFC 4861 7.2.6) to ff02::1,
 *   Override set, Solicited clear, Router clear, target = VIP, with a target
 *   link-layer address option = MAC. A raw ICMPv6 socket in the namespace,
 *   bound to the device and to the VIP as source (possible at once, the
 *   address has no DAD), hop limit 255 as receivers require; the kernel fills
 *   the checksum; an ICMPv6 filter blocks every incoming message.
 * - `count` packets go out back to back, non-blocking; spacing repeats is the
 *   caller's business (its event loop). The device index is looked up with
 *   SIOCGIFINDEX on the socket itself, which answers for the socket's
 *   namespace.
 * - Cost: closing an AF_PACKET socket waits for an RCU grace period
 *   (synchronize_net in packet_release), 5-20 ms measured here, after the
 *   frames are out; a caller sending many announcements may want a long-lived
 *   socket per namespace instead (not offered by this API yet).
 */
#include "netfail/nf_vip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netfail/nf_netns.h"
#include "netfail/nf_vip_int.h"

#define NF_ETH_ZLEN 60
#define NF_ANNOUNCE_MAX 64

static int nf_ifindex_of(int fd, const char *ifname)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		return -errno;
	return ifr.ifr_ifindex;
}

/* Build the gratuitous ARP frame for `ip` from `mac` into `f` (NF_ETH_ZLEN bytes). */
static void nf_garp_frame(unsigned char *f, const unsigned char mac[6], const unsigned char ip[4])
{
	static const unsigned char arp_hdr[8] = {
	    0x00, 0x01, /* htype Ethernet */
	    0x08, 0x00, /* ptype IPv4 */
	    6,    4,    /* hlen, plen */
	    0x00, 0x01, /* op request */
	};

	memset(f, 0, NF_ETH_ZLEN);
	memset(f, 0xff, 6);    /* destination: broadcast */
	memcpy(f + 6, mac, 6); /* source */
	f[12] = 0x08;          /* ETH_P_ARP */
	f[13] = 0x06;
	memcpy(f + 14, arp_hdr, sizeof(arp_hdr));
	memcpy(f + 22, mac, 6); /* sender hardware address */
	memcpy(f + 28, ip, 4);  /* sender protocol address */
	/* target hardware address f[32..37] stays zero */
	memcpy(f + 38, ip, 4); /* target protocol address */
}

static int nf_announce_v4(int nsfd, const struct nf_vip_spec *s, const struct nf_vip_addr *a,
                          int count)
{
	unsigned char frame[NF_ETH_ZLEN];
	struct sockaddr_ll sll;
	int fd, idx, i, r = 0;

	fd = nf_netns_socket(nsfd, AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		return fd;
	idx = nf_ifindex_of(fd, s->ifname);
	if (idx < 0) {
		r = idx;
		goto out;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = 0; /* send only: receive nothing */
	sll.sll_ifindex = idx;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		r = -errno;
		goto out;
	}
	nf_garp_frame(frame, s->mac, a->bytes);
	for (i = 0; i < count; i++) {
		ssize_t n = send(fd, frame, sizeof(frame), MSG_DONTWAIT);

		if (n < 0) {
			r = -errno;
			goto out;
		}
		if ((size_t)n != sizeof(frame)) {
			r = -EIO;
			goto out;
		}
	}
out:
	close(fd);
	return r;
}

static int nf_setsockopt_int(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val)) < 0 ? -errno : 0;
}

static int nf_announce_v6(int nsfd, const struct nf_vip_spec *s, const struct nf_vip_addr *a,
                          int count)
{
	struct {
		struct nd_neighbor_advert na;
		struct nd_opt_hdr opt;
		unsigned char mac[6];
	} __attribute__((packed)) msg;
	struct sockaddr_in6 src, dst;
	struct icmp6_filter filt;
	int fd, idx, i, r;

	fd = nf_netns_socket(nsfd, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	if (fd < 0)
		return fd;
	ICMP6_FILTER_SETBLOCKALL(&filt);
	if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof(filt)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s->ifname, strlen(s->ifname)) < 0) {
		r = -errno;
		goto out;
	}
	idx = nf_ifindex_of(fd, s->ifname);
	if (idx < 0) {
		r = idx;
		goto out;
	}
	r = nf_setsockopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255);
	if (!r)
		r = nf_setsockopt_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255);
	if (!r)
		r = nf_setsockopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, idx);
	if (!r)
		r = nf_setsockopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
	if (r)
		goto out;
	memset(&src, 0, sizeof(src));
	src.sin6_family = AF_INET6;
	memcpy(&src.sin6_addr, a->bytes, 16);
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
		r = -errno;
		goto out;
	}
	memset(&msg, 0, sizeof(msg));
	msg.na.nd_na_type = ND_NEIGHBOR_ADVERT;
	msg.na.nd_na_code = 0;
	msg.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE; /* already in network order */
	memcpy(&msg.na.nd_na_target, a->bytes, 16);
	msg.opt.nd_opt_type = ND_OPT_TARGET_LINKADDR;
	msg.opt.nd_opt_len = 1; /* in units of 8 bytes */
	memcpy(msg.mac, s->mac, 6);
	memset(&dst, 0, sizeof(dst));
	dst.sin6_family = AF_INET6;
	dst.sin6_scope_id = (uint32_t)idx;
	if (inet_pton(AF_INET6, "ff02::1", &dst.sin6_addr) != 1) {
		r = -EINVAL;
		goto out;
	}
	for (i = 0; i < count; i++) {
		ssize_t n = sendto(fd, &msg, sizeof(msg), MSG_DONTWAIT, (struct sockaddr *)&dst,
		                   sizeof(dst));

		if (n < 0) {
			r = -errno;
			goto out;
		}
		if ((size_t)n != sizeof(msg)) {
			r = -EIO;
			goto out;
		}
	}
out:
	close(fd);
	return r;
}

int nf_announcer_open(int nsfd)
{
	return nf_netns_socket(nsfd, AF_PACKET, SOCK_RAW, 0);
}

int nf_vip_announce_fd(int afd, int nsfd, const struct nf_vip_spec *s, int count)
{
	unsigned char frame[NF_ETH_ZLEN];
	struct sockaddr_ll sll;
	struct nf_vip_addr a;
	int r, idx;

	r = nf_vip_parse(s, &a);
	if (r < 0)
		return r;
	if (count < 0 || count > NF_ANNOUNCE_MAX)
		return -EINVAL;
	if (a.family != AF_INET || afd < 0)
		return nf_vip_announce(nsfd, s, count);
	idx = nf_ifindex_of(afd, s->ifname);
	if (idx < 0)
		return idx;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = idx;
	sll.sll_halen = 6;
	memset(sll.sll_addr, 0xff, 6);
	nf_garp_frame(frame, s->mac, a.bytes);
	for (int i = 0; i < count; i++) {
		ssize_t n = sendto(afd, frame, sizeof(frame), MSG_DONTWAIT, (struct sockaddr *)&sll,
				   sizeof(sll));
		if (n < 0)
			return -errno;
		if ((size_t)n != sizeof(frame))
			return -EIO;
	}
	return 0;
}

int nf_vip_announce(int nsfd, const struct nf_vip_spec *s, int count)
{

	struct nf_vip_addr a;
	int r;

	r = nf_vip_parse(s, &a);
	if (r < 0)
		return r;
	if (count < 0 || count > NF_ANNOUNCE_MAX)
		return -EINVAL;
	if (a.family == AF_INET)
		return nf_announce_v4(nsfd, s, &a, count);
	return nf_announce_v6(nsfd, s, &a, count);
}
