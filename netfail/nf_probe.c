/*
 * nf_probe.c - active reachability probes from a port (see nf_probe.h).
 *
 * Design:
 * - One AF_PACKET SOCK_RAW socket per probe, non-blocking and close-on-exec,
 *   bound to the port with the protocol of the answers (ETH_P_ARP or
 *   ETH_P_IPV6). Whole Ethernet frames are built and parsed by nf_pkt.c, so
 *   nothing depends on the kernel's own IP stack on the port: the port may
 *   hold no address at all (VIPs live on macvlans above it, in other
 *   namespaces), and the probe itself never creates a neighbour entry.
 *   IPv4 sends an RFC 5227 ARP probe (spa 0.0.0.0); Linux answers those with
 *   a unicast ARP reply to the requester's MAC, so an answer must also name
 *   our MAC as tha (replies to other nodes' probes of the same gateway,
 *   flooded by a switch, do not count). IPv6 sends a DAD-form neighbour
 *   solicitation (from ::, to the target's solicited-node group); the target
 *   answers to ff02::1, which the socket joins at the link layer
 *   (PACKET_ADD_MEMBERSHIP of 33:33:00:00:00:01), since the port's stack may
 *   have IPv6 disabled and a NIC would filter the group out. Those answers
 *   are multicast, so for IPv6 an answer to another node's probe of the same
 *   target also counts: a port that receives but cannot send would pass.
 * - A classic BPF filter attached before the socket is bound lets only the
 *   answers through (an ETH_P_IPV6 socket would otherwise get a copy of every
 *   IPv6 frame of the port, NFS traffic included).
 * - The port is looked up by name (SIOCGIFINDEX, SIOCGIFHWADDR on the probe's
 *   own socket, which answers for the socket's namespace) before every send:
 *   a port deleted and re-created under the same name, or whose MAC changed,
 *   is followed by re-binding the same socket (no close: closing a packet
 *   socket waits for an RCU grace period, 5-20 ms, that must not stall the
 *   loop). A send failing with ENXIO/ENODEV (the bound device went away)
 *   forgets the binding and tries once more at once. An absent port, a port
 *   without carrier or admin-down just gets no answer: misses are counted.
 * - Timing: one sd-event CLOCK_MONOTONIC timer, re-armed at fixed steps of
 *   interval_ms (no drift; late ticks skip ahead), 1 ms accuracy. Each tick
 *   first judges the previous round (no answer since the last send: one more
 *   miss; the `misses`-th turns a passing port failed), then sends the next
 *   request. Answers are judged as they arrive, in the socket's I/O callback:
 *   any answer resets the misses, and the first one after a failure reports
 *   the port passing at once, without waiting for the next tick.
 * - The callback may destroy the probe: the struct is then only marked dead
 *   (its sources and socket released at once) and freed when the dispatch
 *   that called out returns. No global state.
 * - Cost: destroy closes the socket, which waits for an RCU grace period
 *   (5-20 ms measured here); probes are meant to live as long as their group.
 */
#include "netfail/nf_probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/lib_log.h"
#include "netfail/nf_pkt.h"

#define NF_PROBE_MIN_INTERVAL_MS 50
#define NF_PROBE_ACCURACY_US 1000
#define NF_PROBE_RX_BATCH 64 /* frames read per I/O callback at most */

struct nf_probe {
	sd_event *ev;
	sd_event_source *io;
	sd_event_source *timer;
	nf_probe_fn fn;
	void *arg;
	char port[IFNAMSIZ];
	int family; /* AF_INET or AF_INET6 */
	uint8_t target[16];
	uint64_t interval_us;
	uint32_t misses_max;
	int fd;
	int ifindex; /* the socket is bound to this device; 0: not bound */
	uint8_t mac[6];
	uint64_t due; /* CLOCK_MONOTONIC time of the next tick */
	bool passing;
	bool answered; /* an answer came since the last send */
	uint32_t missed;
	uint64_t answers;
	unsigned int busy; /* calling out to fn */
	bool dead;         /* destroyed during the call-out: free when it returns */
};

static const uint8_t nf_probe_allnodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};

/* Parse a unicast IPv4 or IPv6 address; -EINVAL for anything else. */
static int nf_probe_parse_target(const char *s, int *family, uint8_t out[16])
{
	static const uint8_t zero[16], loop6[16] = {[15] = 1};

	memset(out, 0, 16);
	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = AF_INET;
		/* not 0/8, 127/8, multicast, reserved or broadcast */
		if (out[0] == 0 || out[0] == 127 || out[0] >= 224)
			return -EINVAL;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*family = AF_INET6;
		if (!memcmp(out, zero, 16) || !memcmp(out, loop6, 16) || out[0] == 0xff)
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

static int nf_probe_ifreq(int fd, unsigned long req, const char *name, struct ifreq *ifr)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	return ioctl(fd, req, ifr) < 0 ? -errno : 0;
}

static void nf_probe_membership(struct nf_probe *p, int ifindex, int op)
{
	struct packet_mreq mr;

	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = ifindex;
	mr.mr_type = PACKET_MR_MULTICAST;
	mr.mr_alen = 6;
	memcpy(mr.mr_address, nf_probe_allnodes_mac, 6);
	if (setsockopt(p->fd, SOL_PACKET, op, &mr, sizeof(mr)) < 0 && op == PACKET_ADD_MEMBERSHIP)
		lib_warn("probe %s: cannot join all-nodes MAC: %s", p->port, strerror(errno));
}

/* Look the port up by name; (re)bind the socket if it now names another
 * device. 0, or a negative errno (-ENODEV: no such port now). */
static int nf_probe_attach(struct nf_probe *p)
{
	struct sockaddr_ll sll;
	struct ifreq ifr;
	int r, ifindex;

	r = nf_probe_ifreq(p->fd, SIOCGIFINDEX, p->port, &ifr);
	if (r < 0)
		return r;
	ifindex = ifr.ifr_ifindex;
	r = nf_probe_ifreq(p->fd, SIOCGIFHWADDR, p->port, &ifr);
	if (r < 0)
		return r;
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		return -EOPNOTSUPP;
	memcpy(p->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ifindex == p->ifindex)
		return 0;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(p->family == AF_INET ? ETH_P_ARP : ETH_P_IPV6);
	sll.sll_ifindex = ifindex;
	if (bind(p->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	if (p->family == AF_INET6) {
		if (p->ifindex > 0) /* the old device may still exist under another name */
			nf_probe_membership(p, p->ifindex, PACKET_DROP_MEMBERSHIP);
		nf_probe_membership(p, ifindex, PACKET_ADD_MEMBERSHIP);
	}
	p->ifindex = ifindex;
	return 0;
}

/* Send one request. Failures only mean that no answer will come. */
static int nf_probe_send(struct nf_probe *p)
{
	uint8_t f[NF_PKT_NS_LEN > NF_PKT_ETH_ZLEN ? NF_PKT_NS_LEN : NF_PKT_ETH_ZLEN];
	size_t len;
	ssize_t n;
	int r, tries;

	for (tries = 0; tries < 2; tries++) {
		r = nf_probe_attach(p);
		if (r < 0)
			return r;
		if (p->family == AF_INET)
			len = nf_pkt_arp_probe(f, p->mac, p->target);
		else
			len = nf_pkt_ns(f, p->mac, p->target);
		n = send(p->fd, f, len, MSG_DONTWAIT);
		if (n == (ssize_t)len)
			return 0;
		if (n >= 0)
			return -EIO;
		r = -errno;
		if (r != -ENXIO && r != -ENODEV)
			return r; /* ENETDOWN (admin down), ENOBUFS, EAGAIN: a miss */
		p->ifindex = 0;   /* the bound device is gone: look the name up again */
	}
	return r;
}

static void nf_probe_free(struct nf_probe *p)
{
	p->io = sd_event_source_disable_unref(p->io);
	p->timer = sd_event_source_disable_unref(p->timer);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

/* End of a call-out section: free the probe if it was destroyed meanwhile. */
static bool nf_probe_leave(struct nf_probe *p)
{
	if (--p->busy == 0 && p->dead) {
		free(p);
		return true;
	}
	return false;
}

static void nf_probe_answer(struct nf_probe *p)
{
	p->missed = 0;
	p->answers++;
	p->answered = true;
	if (!p->passing) {
		p->passing = true;
		if (p->fn)
			p->fn(p->port, true, p->arg);
	}
}

static int nf_probe_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct nf_probe *p = userdata;
	uint8_t f[256];
	int i;

	p->busy++;
	for (i = 0; i < NF_PROBE_RX_BATCH && !p->dead; i++) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, f, sizeof(f), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		bool ok;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			continue; /* EINTR, or a pending device error (ENETDOWN): consumed */
		}
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (p->family == AF_INET)
			ok = nf_pkt_is_arp_reply(f, (size_t)n, p->target, p->mac);
		else
			ok = nf_pkt_is_na(f, (size_t)n, p->target);
		if (ok)
			nf_probe_answer(p);
	}
	nf_probe_leave(p);
	return 0;
}

static int nf_probe_on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct nf_probe *p = userdata;
	uint64_t now;
	int r;

	p->busy++;
	if (!p->answered) {
		if (p->missed < UINT32_MAX)
			p->missed++;
		if (p->passing && p->missed >= p->misses_max) {
			p->passing = false;
			if (p->fn)
				p->fn(p->port, false, p->arg);
		}
	}
	if (!p->dead) {
		p->answered = false;
		(void)nf_probe_send(p);
		r = sd_event_now(p->ev, CLOCK_MONOTONIC, &now);
		if (r >= 0) {
			p->due += p->interval_us;
			if (p->due <= now)
				p->due = now + p->interval_us;
			r = sd_event_source_set_time(s, p->due);
		}
		if (r >= 0)
			r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
		if (r < 0)
			lib_err("probe %s: cannot re-arm its timer: %s", p->port, strerror(-r));
	}
	nf_probe_leave(p);
	return 0;
}

static int nf_probe_open(struct nf_probe *p)
{
	struct sock_filter prog[NF_PKT_BPF_MAX];
	struct sock_fprog fprog;

	/* protocol 0 until bound: nothing is queued before the filter is on */
	p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return -errno;
	if (p->family == AF_INET)
		fprog.len = (unsigned short)nf_pkt_bpf_arp(prog, p->target);
	else
		fprog.len = (unsigned short)nf_pkt_bpf_na(prog, p->target);
	fprog.filter = prog;
	if (setsockopt(p->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) < 0)
		return -errno;
	return nf_probe_attach(p);
}

int nf_probe_create(sd_event *ev, const struct nf_probe_opts *o, nf_probe_fn fn, void *arg,
                    struct nf_probe **out)
{
	struct nf_probe *p;
	uint64_t now;
	int r;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!ev || !o || !o->port || !o->port[0] || strlen(o->port) >= IFNAMSIZ ||
	    strchr(o->port, '/') || o->interval_ms < NF_PROBE_MIN_INTERVAL_MS || o->misses < 1)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->fd = -1;
	p->ev = ev;
	p->fn = fn;
	p->arg = arg;
	snprintf(p->port, sizeof(p->port), "%s", o->port);
	p->interval_us = (uint64_t)o->interval_ms * 1000;
	p->misses_max = o->misses;
	p->passing = true;
	r = nf_probe_parse_target(o->target, &p->family, p->target);
	if (r >= 0)
		r = nf_probe_open(p);
	if (r >= 0)
		r = sd_event_add_io(ev, &p->io, p->fd, EPOLLIN, nf_probe_on_io, p);
	if (r >= 0)
		r = sd_event_now(ev, CLOCK_MONOTONIC, &now);
	if (r >= 0) {
		p->due = now + p->interval_us;
		r = sd_event_add_time(ev, &p->timer, CLOCK_MONOTONIC, p->due, NF_PROBE_ACCURACY_US,
		                      nf_probe_on_timer, p);
	}
	if (r < 0) {
		nf_probe_free(p);
		free(p);
		return r;
	}
	(void)sd_event_source_set_description(p->io, "nf-probe-io");
	(void)sd_event_source_set_description(p->timer, "nf-probe-timer");
	(void)nf_probe_send(p); /* a failure is a miss, judged at the first tick */
	*out = p;
	return 0;
}

void nf_probe_destroy(struct nf_probe *p)
{
	if (!p || p->dead)
		return;
	nf_probe_free(p);
	if (p->busy)
		p->dead = true;
	else
		free(p);
}

bool nf_probe_passing(const struct nf_probe *p)
{
	return p && p->passing;
}

uint32_t nf_probe_missed(const struct nf_probe *p)
{
	return p ? p->missed : 0;
}

uint64_t nf_probe_answers(const struct nf_probe *p)
{
	return p ? p->answers : 0;
}
