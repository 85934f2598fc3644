/*
 * test_netfail.c - netfail's namespaces, VIP devices and announcements, for real.
 *
 * Must run as root. The test process stays in its own (root) namespace and
 * builds, with netfail's own functions and rtnetlink:
 *
 *   root ns: nft-p0 ==veth== nft-c0 \
 *                                     nft-cbr (bridge, "the switch" and the client's
 *   root ns: nft-p1 ==veth== nft-c1 /  address 192.0.2.250/24, 2001:db8:ff::250/64)
 *                                      all in namespace nft-cli
 *   namespace nft-a: the VS, whose VIP macvlans hang on nft-p0 or nft-p1.
 *
 * Announcements are captured in nft-cli with AF_PACKET sockets on the bridge
 * ports (so we also see which port they came in by), and their effect is
 * checked in the client's kernel: a planted wrong neighbour entry is corrected
 * by the GARP / NA, and the bridge's FDB follows the MAC to the new port.
 * Reachability is checked with UDP round trips between nft-cli and nft-a.
 * Everything named nft-* is removed in teardown, and before setup in case a
 * previous run died.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/magic.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "netfail/nf_netns.h"
#include "netfail/nf_nl.h"
#include "netfail/nf_vip.h"

#define NS_VS "nft-a"
#define NS_B "nft-b"
#define NS_CLI "nft-cli"
#define NS_STALE "nft-s"
#define CLI_V4 "192.0.2.250"
#define CLI_V6 "2001:db8:ff::250"
#define VIP_V4 "192.0.2.251"
#define VIP_V6 "2001:db8:ff::251"

static const unsigned char MAC_A[6] = {0x02, 0x4e, 0x46, 0x00, 0x00, 0x0a};
static const unsigned char MAC_B[6] = {0x02, 0x4e, 0x46, 0x00, 0x00, 0x0b};
static const unsigned char MAC_C[6] = {0x02, 0x4e, 0x46, 0x00, 0x00, 0x0c};
static const unsigned char MAC_BOGUS[6] = {0x02, 0x4e, 0x46, 0x00, 0x00, 0x99};

struct fx {
	int ns_vs;  /* fd of nft-a */
	int ns_cli; /* fd of nft-cli */
	int cbr;    /* ifindex of nft-cbr in nft-cli */
	int c0, c1; /* ifindex of nft-c0, nft-c1 in nft-cli */
};

/* ---------- small netlink helpers of the test ---------- */

static int ns_open_nl(struct nf_nl *nl, int nsfd)
{
	return nf_nl_open(nl, nsfd);
}

/* veth NAME (caller's ns) <-> PEER created straight into peer_ns. */
static int veth_create(const char *name, const char *peer, int peer_ns)
{
	struct nf_nl nl;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nlattr *info, *data, *p;
	int r;

	r = nf_nl_open(&nl, -1);
	if (r < 0)
		return r;
	nlh = nf_nl_msg(&nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	p = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_ns);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	r = nf_nl_talk(&nl, nlh, NULL, NULL);
	nf_nl_close(&nl);
	return r;
}

static int bridge_create(struct nf_nl *nl, const char *name)
{
	struct nlmsghdr *nlh = nf_nl_msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *info;

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	return nf_nl_talk(nl, nlh, NULL, NULL);
}

static int link_set_master(struct nf_nl *nl, int ifindex, int master)
{
	struct nlmsghdr *nlh = nf_nl_msg(nl, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	return nf_nl_talk(nl, nlh, NULL, NULL);
}

static int link_set_down(struct nf_nl *nl, int ifindex)
{
	struct nlmsghdr *nlh = nf_nl_msg(nl, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_change = IFF_UP;
	return nf_nl_talk(nl, nlh, NULL, NULL);
}

static int link_index(int nsfd, const char *name)
{
	struct nf_nl nl;
	struct nf_nl_link l;
	int r;

	r = ns_open_nl(&nl, nsfd);
	if (r < 0)
		return r;
	r = nf_nl_getlink(&nl, name, 0, &l);
	nf_nl_close(&nl);
	return r < 0 ? r : l.ifindex;
}

static int link_get(int nsfd, const char *name, struct nf_nl_link *l)
{
	struct nf_nl nl;
	int r;

	r = ns_open_nl(&nl, nsfd);
	if (r < 0)
		return r;
	r = nf_nl_getlink(&nl, name, 0, l);
	nf_nl_close(&nl);
	return r;
}

/* Addresses of one link. */
struct addr_scan {
	int ifindex;
	int family;
	unsigned char want[16];
	int nglobal;        /* global addresses of the link, any family */
	int found;          /* `want` is there ... */
	int prefix;         /* ... with this prefix ... */
	unsigned int flags; /* ... and these IFA_F_* */
};

static int addr_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	unsigned int t = mnl_attr_get_type(attr);

	if (t <= IFA_MAX)
		tb[t] = attr;
	return MNL_CB_OK;
}

static int addr_scan_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_scan *sc = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = {0};
	const struct nlattr *a;
	size_t alen;

	if (nlh->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != sc->ifindex)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	if (ifa->ifa_scope == RT_SCOPE_UNIVERSE)
		sc->nglobal++;
	alen = ifa->ifa_family == AF_INET ? 4 : 16;
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (ifa->ifa_family == sc->family && a && mnl_attr_get_payload_len(a) == alen &&
	    !memcmp(mnl_attr_get_payload(a), sc->want, alen)) {
		sc->found = 1;
		sc->prefix = ifa->ifa_prefixlen;
		sc->flags = tb[IFA_FLAGS] ? mnl_attr_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
	}
	return MNL_CB_OK;
}

static int addr_scan(int nsfd, int ifindex, int family, const char *addr, struct addr_scan *sc)
{
	struct nf_nl nl;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int r;

	memset(sc, 0, sizeof(*sc));
	sc->ifindex = ifindex;
	sc->family = family;
	if (inet_pton(family, addr, sc->want) != 1)
		return -EINVAL;
	r = ns_open_nl(&nl, nsfd);
	if (r < 0)
		return r;
	nlh = nf_nl_msg(&nl, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	r = nf_nl_talk(&nl, nlh, addr_scan_cb, sc);
	nf_nl_close(&nl);
	return r;
}

static int addr_add(int nsfd, int ifindex, int family, const char *addr, int prefix)
{
	unsigned char b[16];
	struct nf_nl nl;
	int r;

	if (inet_pton(family, addr, b) != 1)
		return -EINVAL;
	r = ns_open_nl(&nl, nsfd);
	if (r < 0)
		return r;
	r = nf_nl_addaddr(&nl, ifindex, family, b, prefix);
	nf_nl_close(&nl);
	return r;
}

/* Neighbour entries (ARP/ND cache with family AF_INET/6, FDB with AF_BRIDGE). */
struct neigh_scan {
	int family;
	int ifindex;                 /* 0: any */
	unsigned char dst[16];       /* for AF_INET/6 */
	const unsigned char *lladdr; /* for AF_BRIDGE: find the port of this MAC */
	int found;
	unsigned char mac[6];
	int port;
	unsigned int state;
};

static int neigh_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	unsigned int t = mnl_attr_get_type(attr);

	if (t <= NDA_MAX)
		tb[t] = attr;
	return MNL_CB_OK;
}

static int neigh_scan_cb(const struct nlmsghdr *nlh, void *data)
{
	struct neigh_scan *sc = data;
	const struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NDA_MAX + 1] = {0};
	size_t alen = sc->family == AF_INET ? 4 : 16;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || nd->ndm_family != sc->family)
		return MNL_CB_OK;
	if (sc->ifindex && nd->ndm_ifindex != sc->ifindex)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*nd), neigh_attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	if (!tb[NDA_LLADDR] || mnl_attr_get_payload_len(tb[NDA_LLADDR]) != 6)
		return MNL_CB_OK;
	if (sc->family == AF_BRIDGE) {
		if (memcmp(mnl_attr_get_payload(tb[NDA_LLADDR]), sc->lladdr, 6))
			return MNL_CB_OK;
	} else if (!tb[NDA_DST] || mnl_attr_get_payload_len(tb[NDA_DST]) != alen ||
	           memcmp(mnl_attr_get_payload(tb[NDA_DST]), sc->dst, alen)) {
		return MNL_CB_OK;
	}
	sc->found = 1;
	sc->port = nd->ndm_ifindex;
	sc->state = nd->ndm_state;
	memcpy(sc->mac, mnl_attr_get_payload(tb[NDA_LLADDR]), 6);
	return MNL_CB_OK;
}

static int neigh_scan(int nsfd, struct neigh_scan *sc)
{
	struct nf_nl nl;
	struct nlmsghdr *nlh;
	struct ndmsg *nd;
	int r;

	sc->found = 0;
	r = ns_open_nl(&nl, nsfd);
	if (r < 0)
		return r;
	nlh = nf_nl_msg(&nl, RTM_GETNEIGH, NLM_F_DUMP);
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = (unsigned char)sc->family;
	r = nf_nl_talk(&nl, nlh, neigh_scan_cb, sc);
	nf_nl_close(&nl);
	return r;
}

/* Plant a STALE neighbour entry ip -> mac on ifindex. */
static int neigh_plant(int nsfd, int ifindex, int family, const char *ip, const unsigned char *mac)
{
	unsigned char b[16];
	struct nf_nl nl;
	struct nlmsghdr *nlh;
	struct ndmsg *nd;
	int r;

	if (inet_pton(family, ip, b) != 1)
		return -EINVAL;
	r = ns_open_nl(&nl, nsfd);
	if (r < 0)
		return r;
	nlh = nf_nl_msg(&nl, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE);
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = (unsigned char)family;
	nd->ndm_ifindex = ifindex;
	nd->ndm_state = NUD_STALE;
	mnl_attr_put(nlh, NDA_DST, family == AF_INET ? 4 : 16, b);
	mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	r = nf_nl_talk(&nl, nlh, NULL, NULL);
	nf_nl_close(&nl);
	return r;
}

/* Wait up to 1 s for the client's entry for `ip` to carry `mac`. 0 or -ETIMEDOUT. */
static int neigh_wait_mac(int nsfd, int ifindex, int family, const char *ip,
                          const unsigned char *mac)
{
	struct neigh_scan sc;
	int i, r;

	memset(&sc, 0, sizeof(sc));
	sc.family = family;
	sc.ifindex = ifindex;
	if (inet_pton(family, ip, sc.dst) != 1)
		return -EINVAL;
	for (i = 0; i < 100; i++) {
		r = neigh_scan(nsfd, &sc);
		if (r < 0)
			return r;
		if (sc.found && !memcmp(sc.mac, mac, 6))
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/* Wait up to 1 s for the bridge FDB to put `mac` behind port `port`. */
static int fdb_wait_port(int nsfd, const unsigned char *mac, int port)
{
	struct neigh_scan sc;
	int i, r;

	memset(&sc, 0, sizeof(sc));
	sc.family = AF_BRIDGE;
	sc.lladdr = mac;
	for (i = 0; i < 100; i++) {
		r = neigh_scan(nsfd, &sc);
		if (r < 0)
			return r;
		if (sc.found && sc.port == port)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/* ---------- capture and traffic ---------- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An AF_PACKET socket seeing every frame of `ifname` in namespace nsfd. */
static int cap_open(int nsfd, const char *ifname)
{
	struct sockaddr_ll sll;
	struct ifreq ifr;
	int fd;

	fd = nf_netns_socket(nsfd, AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0)
		return fd;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		close(fd);
		return -errno;
	}
	sll.sll_ifindex = ifr.ifr_ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

struct want {
	int family;
	unsigned char mac[6];
	unsigned char ip[16];
};

static int is_garp(const unsigned char *f, size_t n, const struct want *w)
{
	static const unsigned char bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const unsigned char hdr[8] = {0, 1, 8, 0, 6, 4, 0, 1};

	return n >= 42 && !memcmp(f, bcast, 6) && !memcmp(f + 6, w->mac, 6) && f[12] == 0x08 &&
	       f[13] == 0x06 && !memcmp(f + 14, hdr, 8) && !memcmp(f + 22, w->mac, 6) &&
	       !memcmp(f + 28, w->ip, 4) && !memcmp(f + 38, w->ip, 4);
}

static int is_una(const unsigned char *f, size_t n, const struct want *w)
{
	static const unsigned char mdst[6] = {0x33, 0x33, 0, 0, 0, 1};
	static const unsigned char allnodes[16] = {0xff, 0x02, [15] = 1};
	const unsigned char *ip = f + 14, *icmp = f + 54;

	if (n < 14 + 40 + 32 || memcmp(f, mdst, 6) || memcmp(f + 6, w->mac, 6) || f[12] != 0x86 ||
	    f[13] != 0xdd)
		return 0;
	if ((ip[0] >> 4) != 6 || ip[6] != 58 /* ICMPv6 */ || ip[7] != 255 /* hop limit */ ||
	    memcmp(ip + 8, w->ip, 16) || memcmp(ip + 24, allnodes, 16))
		return 0;
	/* NA, code 0, flags: Override set, Solicited and Router clear */
	if (icmp[0] != 136 || icmp[1] != 0 || (icmp[4] & 0xe0) != 0x20)
		return 0;
	/* target, then option 2 (target link-layer address), length 1, the MAC */
	return !memcmp(icmp + 8, w->ip, 16) && icmp[24] == 2 && icmp[25] == 1 &&
	       !memcmp(icmp + 26, w->mac, 6);
}

/* Count incoming announcements matching `w` on capture fd, until `want` or timeout_ms. */
static int cap_count(int fd, const struct want *w, int want, int timeout_ms)
{
	unsigned char f[2048];
	long long end = now_ms() + timeout_ms;
	int got = 0;

	while (got < want) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		long long left = end - now_ms();
		ssize_t n;
		int r;

		if (left <= 0)
			break;
		r = poll(&p, 1, (int)left);
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n = recvfrom(fd, f, sizeof(f), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return -errno;
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (w->family == AF_INET ? is_garp(f, (size_t)n, w) : is_una(f, (size_t)n, w))
			got++;
	}
	return got;
}

static void want_fill(struct want *w, int family, const unsigned char *mac, const char *ip)
{
	memset(w, 0, sizeof(*w));
	w->family = family;
	memcpy(w->mac, mac, 6);
	assert_int_equal(inet_pton(family, ip, w->ip), 1);
}

/* One UDP datagram client(nft-cli) -> server(ns_srv, bound to srv_ip) and back. */
static int udp_roundtrip(int ns_srv, int ns_cli, int family, const char *srv_ip, int port)
{
	struct sockaddr_storage sa, from;
	socklen_t sl, fl;
	char buf[64];
	int s = -1, c = -1, r = -EIO;
	struct pollfd p;
	ssize_t n;

	memset(&sa, 0, sizeof(sa));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&sa;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, srv_ip, &a->sin_addr) != 1)
			return -EINVAL;
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&sa;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, srv_ip, &a->sin6_addr) != 1)
			return -EINVAL;
		sl = sizeof(*a);
	}
	s = nf_netns_socket(ns_srv, family, SOCK_DGRAM, 0);
	c = nf_netns_socket(ns_cli, family, SOCK_DGRAM, 0);
	if (s < 0 || c < 0) {
		r = s < 0 ? s : c;
		goto out;
	}
	if (bind(s, (struct sockaddr *)&sa, sl) < 0 ||
	    sendto(c, "ping", 4, 0, (struct sockaddr *)&sa, sl) != 4) {
		r = -errno;
		goto out;
	}
	p = (struct pollfd){.fd = s, .events = POLLIN};
	if (poll(&p, 1, 2000) != 1) {
		r = -ETIMEDOUT;
		goto out;
	}
	fl = sizeof(from);
	n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	if (n != 4 || memcmp(buf, "ping", 4) ||
	    sendto(s, "pong", 4, 0, (struct sockaddr *)&from, fl) != 4)
		goto out;
	p = (struct pollfd){.fd = c, .events = POLLIN};
	if (poll(&p, 1, 2000) != 1) {
		r = -ETIMEDOUT;
		goto out;
	}
	n = recv(c, buf, sizeof(buf), 0);
	if (n == 4 && !memcmp(buf, "pong", 4))
		r = 0;
out:
	if (s >= 0)
		close(s);
	if (c >= 0)
		close(c);
	return r;
}

static unsigned long long ns_inode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	return (unsigned long long)st.st_ino;
}

static int dir_lists(const char *dir, const char *name)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int found = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (!strcmp(de->d_name, name))
			found = 1;
	closedir(d);
	return found;
}

/* Is /run/netns a shared mount point (mountinfo optional field "shared:N")? */
static int netns_dir_shared(void)
{
	char line[1024];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int shared = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char mp[512];

		if (sscanf(line, "%*s %*s %*s %*s %511s", mp) == 1 && !strcmp(mp, NF_NETNS_DIR) &&
		    strstr(line, " shared:"))
			shared = 1;
	}
	fclose(f);
	return shared;
}

/* ---------- fixture ---------- */

static void cleanup_all(void)
{
	static const char *const links[] = {"nft-p0", "nft-p1", "nft-vr"};
	static const char *const nss[] = {NS_VS, NS_B, NS_CLI, NS_STALE};
	struct nf_nl nl;
	size_t i;

	if (nf_nl_open(&nl, -1) == 0) {
		for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
			int r = nf_nl_dellink(&nl, links[i], 0);

			if (r < 0 && r != -ENODEV)
				fprintf(stderr, "cleanup: delete %s: %s\n", links[i], strerror(-r));
		}
		nf_nl_close(&nl);
	}
	for (i = 0; i < sizeof(nss) / sizeof(nss[0]); i++) {
		int r = nf_netns_delete(nss[i]);

		if (r < 0 && r != -ENOENT)
			fprintf(stderr, "cleanup: netns %s: %s\n", nss[i], strerror(-r));
	}
}

static int build_topology(struct fx *fx)
{
	struct nf_nl nl;
	int r, p0, p1;

	r = veth_create("nft-p0", "nft-c0", fx->ns_cli);
	if (!r)
		r = veth_create("nft-p1", "nft-c1", fx->ns_cli);
	if (r)
		return r;
	r = nf_nl_open(&nl, -1);
	if (r)
		return r;
	p0 = if_nametoindex("nft-p0");
	p1 = if_nametoindex("nft-p1");
	r = p0 && p1 ? nf_nl_setup(&nl, NULL, p0) : -ENODEV;
	if (!r)
		r = nf_nl_setup(&nl, NULL, p1);
	nf_nl_close(&nl);
	if (r)
		return r;

	r = nf_nl_open(&nl, fx->ns_cli);
	if (r)
		return r;
	r = bridge_create(&nl, "nft-cbr");
	fx->cbr = r ? r : link_index(fx->ns_cli, "nft-cbr");
	fx->c0 = link_index(fx->ns_cli, "nft-c0");
	fx->c1 = link_index(fx->ns_cli, "nft-c1");
	if (fx->cbr <= 0 || fx->c0 <= 0 || fx->c1 <= 0)
		r = -ENODEV;
	if (!r)
		r = link_set_master(&nl, fx->c0, fx->cbr);
	if (!r)
		r = link_set_master(&nl, fx->c1, fx->cbr);
	if (!r)
		r = nf_nl_setup(&nl, NULL, fx->c0);
	if (!r)
		r = nf_nl_setup(&nl, NULL, fx->c1);
	if (!r)
		r = nf_nl_setup(&nl, NULL, fx->cbr);
	nf_nl_close(&nl);
	if (!r)
		r = addr_add(fx->ns_cli, fx->cbr, AF_INET, CLI_V4, 24);
	if (!r)
		r = addr_add(fx->ns_cli, fx->cbr, AF_INET6, CLI_V6, 64);
	if (!r)
		r = nf_lo_up(fx->ns_cli);
	return r;
}

static int group_teardown(void **state)
{
	struct fx *fx = *state;

	if (fx) {
		if (fx->ns_vs >= 0)
			close(fx->ns_vs);
		if (fx->ns_cli >= 0)
			close(fx->ns_cli);
		free(fx);
	}
	cleanup_all();
	return 0;
}

static int group_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	int r;

	*state = fx;
	if (!fx)
		return -1;
	fx->ns_vs = fx->ns_cli = -1;
	cleanup_all();
	r = nf_netns_create(NS_VS);
	if (!r)
		r = nf_netns_create(NS_CLI);
	if (!r) {
		fx->ns_vs = nf_netns_open(NS_VS);
		fx->ns_cli = nf_netns_open(NS_CLI);
		r = fx->ns_vs < 0 ? fx->ns_vs : fx->ns_cli < 0 ? fx->ns_cli : 0;
	}
	if (!r)
		r = build_topology(fx);
	if (r) {
		fprintf(stderr, "setup failed: %s\n", strerror(-r));
		group_teardown(state);
		*state = NULL;
		return -1;
	}
	return 0;
}

/* Remove the VIP devices a test may have left. */
static int vip_teardown(void **state)
{
	struct fx *fx = *state;
	int self;

	(void)nf_vip_down(fx->ns_vs, "nft-v4");
	(void)nf_vip_down(fx->ns_vs, "nft-v6");
	(void)nf_vip_down(fx->ns_vs, "nft-v4s");
	(void)nf_vip_down(fx->ns_vs, "nft-v6s");
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self >= 0) {
		(void)nf_vip_down(self, "nft-vr");
		close(self);
	}
	return 0;
}

static void spec_fill(struct nf_vip_spec *s, const char *ifname, const char *parent,
                      const unsigned char *mac, int family, const char *addr, int prefix)
{
	memset(s, 0, sizeof(*s));
	s->ifname = ifname;
	s->parent = parent;
	memcpy(s->mac, mac, 6);
	s->family = family;
	s->addr = addr;
	s->prefix = prefix;
}

/* ---------- tests: namespaces ---------- */

static void test_netns_create_delete(void **state)
{
	unsigned long long self = ns_inode_of("/proc/thread-self/ns/net");
	struct statfs sf;
	struct nf_nl nl;
	struct nf_nl_link l;
	int fd, r;

	(void)state;
	assert_int_equal(nf_netns_create(NS_B), 0);
	assert_int_equal(statfs(NF_NETNS_DIR "/" NS_B, &sf), 0);
	assert_true(sf.f_type == NSFS_MAGIC);
	assert_true(dir_lists(NF_NETNS_DIR, NS_B)); /* what `ip netns list` reads */
	assert_true(netns_dir_shared());
	assert_int_equal(nf_netns_exists(NS_B), 1);
	assert_int_equal(nf_netns_create(NS_B), -EEXIST);
	/* The thread is back home, and nft-b is a namespace of its own. */
	assert_true(self != 0);
	assert_true(ns_inode_of("/proc/thread-self/ns/net") == self);
	assert_true(ns_inode_of(NF_NETNS_DIR "/" NS_B) != self);
	assert_true(ns_inode_of(NF_NETNS_DIR "/" NS_B) != ns_inode_of(NF_NETNS_DIR "/" NS_VS));

	/* A socket made in it sees its devices: lo, and nothing of ours. */
	fd = nf_netns_open(NS_B);
	assert_true(fd >= 0);
	assert_int_equal(nf_nl_open(&nl, fd), 0);
	assert_int_equal(nf_nl_getlink(&nl, "lo", 0, &l), 0);
	assert_int_equal(l.flags & IFF_UP, 0);
	assert_int_equal(nf_nl_getlink(&nl, "nft-p0", 0, &l), -ENODEV);
	nf_nl_close(&nl);
	assert_true(ns_inode_of("/proc/thread-self/ns/net") == self);
	assert_int_equal(nf_lo_up(fd), 0);
	assert_int_equal(nf_nl_open(&nl, fd), 0);
	assert_int_equal(nf_nl_getlink(&nl, "lo", 0, &l), 0);
	assert_true(l.flags & IFF_UP);
	nf_nl_close(&nl);
	/* UDP over its loopback. */
	assert_int_equal(udp_roundtrip(fd, fd, AF_INET, "127.0.0.1", 40001), 0);
	close(fd);

	assert_int_equal(nf_netns_delete(NS_B), 0);
	assert_int_equal(access(NF_NETNS_DIR "/" NS_B, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	assert_false(dir_lists(NF_NETNS_DIR, NS_B));
	assert_int_equal(nf_netns_exists(NS_B), 0);
	assert_int_equal(nf_netns_open(NS_B), -ENOENT);
	r = nf_netns_delete(NS_B);
	assert_int_equal(r, -ENOENT);
}

static void test_netns_names(void **state)
{
	char longname[80];

	(void)state;
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	assert_int_equal(nf_netns_create(NULL), -EINVAL);
	assert_int_equal(nf_netns_create(""), -EINVAL);
	assert_int_equal(nf_netns_create("."), -EINVAL);
	assert_int_equal(nf_netns_create(".."), -EINVAL);
	assert_int_equal(nf_netns_create("nft-x/y"), -EINVAL);
	assert_int_equal(nf_netns_create(longname), -EINVAL);
	assert_int_equal(nf_netns_delete("../nft-x"), -EINVAL);
	assert_int_equal(nf_netns_open("nft-x/.."), -EINVAL);
	assert_int_equal(nf_netns_exists(".."), 0);
	assert_int_equal(nf_netns_exists("nft-none"), 0);
}

/* A file with no namespace on it (a crash between create's two steps). */
static void test_netns_stale_file(void **state)
{
	int fd;

	(void)state;
	fd = open(NF_NETNS_DIR "/" NS_STALE, O_CREAT | O_EXCL | O_RDONLY | O_CLOEXEC, 0);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(nf_netns_exists(NS_STALE), 0);
	assert_int_equal(nf_netns_open(NS_STALE), -ENOENT);
	assert_int_equal(nf_netns_create(NS_STALE), 0);
	assert_int_equal(nf_netns_exists(NS_STALE), 1);
	assert_int_equal(nf_netns_delete(NS_STALE), 0);
	/* and delete copes with a stale file too */
	fd = open(NF_NETNS_DIR "/" NS_STALE, O_CREAT | O_EXCL | O_RDONLY | O_CLOEXEC, 0);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(nf_netns_delete(NS_STALE), 0);
	assert_int_equal(access(NF_NETNS_DIR "/" NS_STALE, F_OK), -1);
}

static void test_netns_socket_bad_fd(void **state)
{
	unsigned long long self = ns_inode_of("/proc/thread-self/ns/net");
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(nf_netns_socket(fd, AF_INET, SOCK_DGRAM, 0), -EINVAL);
	close(fd);
	assert_int_equal(nf_netns_socket(-1, AF_INET, SOCK_DGRAM, 0), -EBADF);
	assert_true(ns_inode_of("/proc/thread-self/ns/net") == self);
}

/* ---------- tests: ports and VIPs ---------- */

static void test_port_index(void **state)
{
	(void)state;
	assert_int_equal(nf_port_index("nft-p0"), (int)if_nametoindex("nft-p0"));
	assert_true(nf_port_index("nft-p0") > 0);
	assert_int_equal(nf_port_index("nft-none"), -ENODEV);
	assert_int_equal(nf_port_index("nft-c0"), -ENODEV); /* lives in nft-cli */
	assert_int_equal(nf_port_index("nft-0123456789abcdef"), -EINVAL);
	assert_int_equal(nf_port_index(NULL), -EINVAL);
}

static void test_vip_bad_spec(void **state)
{
	struct fx *fx = *state;
	struct nf_vip_spec s;
	static const unsigned char mcast[6] = {0x03, 0, 0, 0, 0, 1};
	static const unsigned char zero[6];

	spec_fill(&s, "nft-v4", "nft-none", MAC_A, AF_INET, VIP_V4, 24);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), -ENODEV);
	spec_fill(&s, "nft-v4", "nft-p0", MAC_A, AF_INET, "192.0.2.300", 24);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), -EINVAL);
	spec_fill(&s, "nft-v4", "nft-p0", MAC_A, AF_INET, VIP_V4, 33);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), -EINVAL);
	spec_fill(&s, "nft-v4", "nft-p0", MAC_A, AF_INET6, VIP_V4, 64);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), -EINVAL);
	spec_fill(&s, "nft-v4", "nft-p0", MAC_A, AF_UNIX, VIP_V4, 24);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), -EAFNOSUPPORT);
	spec_fill(&s, "nft-v4", "nft-p0", mcast, AF_INET, VIP_V4, 24);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), -EINVAL);
	spec_fill(&s, "nft-v4", "nft-p0", zero, AF_INET, VIP_V4, 24);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), -EINVAL);
	spec_fill(&s, "nft-0123456789abcdef", "nft-p0", MAC_A, AF_INET, VIP_V4, 24);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), -EINVAL);
	spec_fill(&s, "nft/v4", "nft-p0", MAC_A, AF_INET, VIP_V4, 24);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), -EINVAL);
	assert_int_equal(nf_vip_up(fx->ns_vs, NULL), -EINVAL);
	/* nothing was created */
	assert_int_equal(link_index(fx->ns_vs, "nft-v4"), -ENODEV);
	/* announcing a device that is not there */
	spec_fill(&s, "nft-v4", "nft-p0", MAC_A, AF_INET, VIP_V4, 24);
	assert_int_equal(nf_vip_announce(fx->ns_vs, &s, 1), -ENODEV);
	spec_fill(&s, "nft-v6", "nft-p0", MAC_B, AF_INET6, VIP_V6, 64);
	assert_int_equal(nf_vip_announce(fx->ns_vs, &s, 1), -ENODEV);
	assert_int_equal(nf_vip_announce(fx->ns_vs, &s, -1), -EINVAL);
	assert_int_equal(nf_vip_down(fx->ns_vs, "nft-v4"), -ENODEV);
	assert_int_equal(nf_vip_down(fx->ns_vs, "nft/x"), -EINVAL);
}

static void check_vip_device(struct fx *fx, const struct nf_vip_spec *s, struct nf_nl_link *l)
{
	struct addr_scan sc;

	assert_int_equal(link_get(fx->ns_vs, s->ifname, l), 0);
	assert_string_equal(l->kind, "macvlan");
	assert_int_equal(l->macvlan_mode, MACVLAN_MODE_BRIDGE);
	assert_true(l->has_mac);
	assert_memory_equal(l->mac, s->mac, 6);
	assert_true(l->flags & IFF_UP);
	assert_int_equal(l->link, (int)if_nametoindex(s->parent));
	assert_true(l->has_link_nsid); /* the parent is in another namespace */
	/* never visible in the node's namespace */
	assert_int_equal(if_nametoindex(s->ifname), 0);
	assert_int_equal(addr_scan(fx->ns_vs, l->ifindex, s->family, s->addr, &sc), 0);
	assert_true(sc.found);
	assert_int_equal(sc.prefix, s->prefix);
	assert_int_equal(sc.nglobal, 1);
	if (s->family == AF_INET6) {
		assert_true(sc.flags & IFA_F_NODAD);
		assert_false(sc.flags & IFA_F_TENTATIVE);
	}
}

static void test_vip_v4(void **state)
{
	struct fx *fx = *state;
	struct nf_vip_spec s;
	struct nf_nl_link l;
	struct want w;
	int cap, n;

	spec_fill(&s, "nft-v4", "nft-p0", MAC_A, AF_INET, VIP_V4, 24);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), 0);
	check_vip_device(fx, &s, &l);

	/* The client holds a wrong, stale entry for the VIP; the GARP must fix it. */
	assert_int_equal(neigh_plant(fx->ns_cli, fx->cbr, AF_INET, VIP_V4, MAC_BOGUS), 0);
	cap = cap_open(fx->ns_cli, "nft-c0");
	assert_true(cap >= 0);
	assert_int_equal(nf_vip_announce(fx->ns_vs, &s, 3), 0);
	want_fill(&w, AF_INET, MAC_A, VIP_V4);
	n = cap_count(cap, &w, 3, 2000);
	close(cap);
	assert_int_equal(n, 3);
	assert_int_equal(neigh_wait_mac(fx->ns_cli, fx->cbr, AF_INET, VIP_V4, MAC_A), 0);

	/* and the client reaches the VIP */
	assert_int_equal(udp_roundtrip(fx->ns_vs, fx->ns_cli, AF_INET, VIP_V4, 40002), 0);

	assert_int_equal(nf_vip_down(fx->ns_vs, "nft-v4"), 0);
	assert_int_equal(link_index(fx->ns_vs, "nft-v4"), -ENODEV);
	assert_int_equal(nf_vip_down(fx->ns_vs, "nft-v4"), -ENODEV);
}

static void test_vip_v6(void **state)
{
	struct fx *fx = *state;
	struct nf_vip_spec s;
	struct nf_nl_link l;
	struct want w;
	int cap, n;

	spec_fill(&s, "nft-v6", "nft-p0", MAC_B, AF_INET6, VIP_V6, 64);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), 0);
	check_vip_device(fx, &s, &l);

	assert_int_equal(neigh_plant(fx->ns_cli, fx->cbr, AF_INET6, VIP_V6, MAC_BOGUS), 0);
	cap = cap_open(fx->ns_cli, "nft-c0");
	assert_true(cap >= 0);
	/* at once: with no DAD the address can be the source straight away */
	assert_int_equal(nf_vip_announce(fx->ns_vs, &s, 2), 0);
	want_fill(&w, AF_INET6, MAC_B, VIP_V6);
	n = cap_count(cap, &w, 2, 2000);
	close(cap);
	assert_int_equal(n, 2);
	/* The client's kernel accepted it (checksum, hop limit, flags): entry overridden. */
	assert_int_equal(neigh_wait_mac(fx->ns_cli, fx->cbr, AF_INET6, VIP_V6, MAC_B), 0);

	assert_int_equal(udp_roundtrip(fx->ns_vs, fx->ns_cli, AF_INET6, VIP_V6, 40003), 0);
	assert_int_equal(nf_vip_down(fx->ns_vs, "nft-v6"), 0);
	assert_int_equal(link_index(fx->ns_vs, "nft-v6"), -ENODEV);
}

static void test_vip_idempotent(void **state)
{
	struct fx *fx = *state;
	struct nf_vip_spec s;
	struct nf_nl_link l1, l2;
	struct addr_scan sc;
	struct nf_nl nl;

	spec_fill(&s, "nft-v4", "nft-p0", MAC_A, AF_INET, VIP_V4, 24);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), 0);
	check_vip_device(fx, &s, &l1);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), 0);
	check_vip_device(fx, &s, &l2);
	assert_int_equal(l1.ifindex, l2.ifindex); /* left as it was */

	/* A stray address and a downed device are put right, still in place. */
	assert_int_equal(addr_add(fx->ns_vs, l1.ifindex, AF_INET, "198.51.100.7", 24), 0);
	assert_int_equal(addr_add(fx->ns_vs, l1.ifindex, AF_INET, VIP_V4, 28), 0);
	assert_int_equal(addr_scan(fx->ns_vs, l1.ifindex, AF_INET, VIP_V4, &sc), 0);
	assert_int_equal(sc.nglobal, 3);
	assert_int_equal(nf_nl_open(&nl, fx->ns_vs), 0);
	assert_int_equal(link_set_down(&nl, l1.ifindex), 0);
	nf_nl_close(&nl);
	assert_int_equal(link_get(fx->ns_vs, "nft-v4", &l2), 0);
	assert_false(l2.flags & IFF_UP);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), 0);
	check_vip_device(fx, &s, &l2); /* up, one global address: ours */
	assert_int_equal(l1.ifindex, l2.ifindex);
	assert_int_equal(udp_roundtrip(fx->ns_vs, fx->ns_cli, AF_INET, VIP_V4, 40004), 0);

	/* Same again for IPv6. */
	spec_fill(&s, "nft-v6", "nft-p0", MAC_B, AF_INET6, VIP_V6, 64);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), 0);
	check_vip_device(fx, &s, &l1);
	assert_int_equal(addr_add(fx->ns_vs, l1.ifindex, AF_INET6, "2001:db8:ff::7", 64), 0);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), 0);
	check_vip_device(fx, &s, &l2);
	assert_int_equal(l1.ifindex, l2.ifindex);
}

static void test_vip_new_mac(void **state)
{
	struct fx *fx = *state;
	struct nf_vip_spec s;
	struct nf_nl_link l1, l2;

	spec_fill(&s, "nft-v4", "nft-p0", MAC_A, AF_INET, VIP_V4, 24);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), 0);
	check_vip_device(fx, &s, &l1);
	memcpy(s.mac, MAC_C, 6);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), 0);
	check_vip_device(fx, &s, &l2); /* re-created with the new MAC */
	assert_memory_equal(l2.mac, MAC_C, 6);
}

static void test_vip_reparent(void **state)
{
	struct fx *fx = *state;
	struct nf_vip_spec s;
	struct nf_nl_link l0, l1, l2;
	struct want w;
	int cap0, cap1, n0, n1;
	struct timespec t0, t1;

	spec_fill(&s, "nft-v4", "nft-p0", MAC_A, AF_INET, VIP_V4, 24);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), 0);
	assert_int_equal(nf_vip_announce(fx->ns_vs, &s, 1), 0);
	check_vip_device(fx, &s, &l0);
	assert_int_equal(udp_roundtrip(fx->ns_vs, fx->ns_cli, AF_INET, VIP_V4, 40005), 0);
	/* the switch has learnt the VIP's MAC behind nft-c0 */
	assert_int_equal(fdb_wait_port(fx->ns_cli, MAC_A, fx->c0), 0);

	/* Move to nft-p1: same name, MAC and address; announced on the new port. */
	cap0 = cap_open(fx->ns_cli, "nft-c0");
	cap1 = cap_open(fx->ns_cli, "nft-c1");
	assert_true(cap0 >= 0 && cap1 >= 0);
	s.parent = "nft-p1";
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), 0);
	assert_int_equal(nf_vip_announce(fx->ns_vs, &s, 3), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("re-parent + 3 GARPs took %ld us\n",
	              (long)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000));
	check_vip_device(fx, &s, &l1);
	assert_int_not_equal(l1.link, l0.link);
	assert_memory_equal(l1.mac, MAC_A, 6);
	want_fill(&w, AF_INET, MAC_A, VIP_V4);
	n1 = cap_count(cap1, &w, 3, 2000);
	n0 = cap_count(cap0, &w, 1, 200); /* none may come in by the old port */
	close(cap0);
	close(cap1);
	assert_int_equal(n1, 3);
	assert_int_equal(n0, 0);
	/* The switch moved the MAC to the new port on the announcement alone. */
	assert_int_equal(fdb_wait_port(fx->ns_cli, MAC_A, fx->c1), 0);
	assert_int_equal(udp_roundtrip(fx->ns_vs, fx->ns_cli, AF_INET, VIP_V4, 40006), 0);

	/* Idempotent on the new parent too. */
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), 0);
	check_vip_device(fx, &s, &l2);
	assert_int_equal(l2.ifindex, l1.ifindex);

	/* And back, for IPv6 as well. */
	spec_fill(&s, "nft-v6", "nft-p1", MAC_B, AF_INET6, VIP_V6, 64);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), 0);
	assert_int_equal(nf_vip_announce(fx->ns_vs, &s, 1), 0);
	assert_int_equal(fdb_wait_port(fx->ns_cli, MAC_B, fx->c1), 0);
	s.parent = "nft-p0";
	cap0 = cap_open(fx->ns_cli, "nft-c0");
	assert_true(cap0 >= 0);
	assert_int_equal(nf_vip_up(fx->ns_vs, &s), 0);
	assert_int_equal(nf_vip_announce(fx->ns_vs, &s, 2), 0);
	check_vip_device(fx, &s, &l1);
	want_fill(&w, AF_INET6, MAC_B, VIP_V6);
	n0 = cap_count(cap0, &w, 2, 2000);
	close(cap0);
	assert_int_equal(n0, 2);
	assert_int_equal(fdb_wait_port(fx->ns_cli, MAC_B, fx->c0), 0);
	assert_int_equal(udp_roundtrip(fx->ns_vs, fx->ns_cli, AF_INET6, VIP_V6, 40007), 0);
}

static long us_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long)((t1.tv_sec - t0->tv_sec) * 1000000 + (t1.tv_nsec - t0->tv_nsec) / 1000);
}

/* A hot standby (same MAC and address, on the other port, down) disturbs
 * nothing; activating it is one RTM_NEWLINK and the VIP answers there. */
static void standby_case(struct fx *fx, const char *live_name, const char *sb_name,
                         const unsigned char *mac, int family, const char *addr, int prefix,
                         int port)
{
	struct nf_vip_spec live, sb, tmp;
	struct nf_nl_link l;
	struct addr_scan sc;
	struct timespec t0;
	struct want w;
	long create_us, activate_us, demote_us;
	int cap0, cap1;

	spec_fill(&live, live_name, "nft-p0", mac, family, addr, prefix);
	spec_fill(&sb, sb_name, "nft-p1", mac, family, addr, prefix);
	assert_int_equal(nf_vip_up(fx->ns_vs, &live), 0);
	assert_int_equal(nf_vip_announce(fx->ns_vs, &live, 1), 0);
	assert_int_equal(fdb_wait_port(fx->ns_cli, mac, fx->c0), 0);
	cap1 = cap_open(fx->ns_cli, "nft-c1");
	assert_true(cap1 >= 0);
	assert_int_equal(nf_vip_standby(fx->ns_vs, &sb), 0);
	assert_int_equal(nf_vip_standby(fx->ns_vs, &sb), 0); /* idempotent */
	assert_int_equal(link_get(fx->ns_vs, sb_name, &l), 0);
	assert_false(l.flags & IFF_UP);
	assert_memory_equal(l.mac, mac, 6);
	assert_int_equal(l.link, (int)if_nametoindex("nft-p1"));
	assert_int_equal(addr_scan(fx->ns_vs, l.ifindex, family, addr, &sc), 0);
	assert_true(sc.found);
	/* The live VIP is undisturbed: it answers, and the down twin sends
	 * nothing (no DAD, no NA, no GARP) by the other port. */
	assert_int_equal(udp_roundtrip(fx->ns_vs, fx->ns_cli, family, addr, port), 0);
	assert_int_equal(nf_vip_announce(fx->ns_vs, &live, 1), 0);
	want_fill(&w, family, mac, addr);
	assert_int_equal(cap_count(cap1, &w, 1, 300), 0);
	assert_int_equal(fdb_wait_port(fx->ns_cli, mac, fx->c0), 0);

	/* Failover: the standby up, then the announcement by the new port. */
	cap0 = cap_open(fx->ns_cli, "nft-c0");
	assert_true(cap0 >= 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(nf_vip_activate(fx->ns_vs, sb_name), 0);
	activate_us = us_since(&t0);
	assert_int_equal(nf_vip_announce(fx->ns_vs, &sb, 2), 0);
	assert_int_equal(cap_count(cap1, &w, 2, 2000), 2);
	assert_int_equal(fdb_wait_port(fx->ns_cli, mac, fx->c1), 0);
	/* The old one becomes the standby of its port, off the critical path. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(nf_vip_standby(fx->ns_vs, &live), 0);
	demote_us = us_since(&t0);
	assert_int_equal(link_get(fx->ns_vs, live_name, &l), 0);
	assert_false(l.flags & IFF_UP);
	assert_int_equal(addr_scan(fx->ns_vs, l.ifindex, family, addr, &sc), 0);
	assert_true(sc.found); /* IPv6 loses it going down: put back */
	check_vip_device(fx, &sb, &l);
	assert_int_equal(udp_roundtrip(fx->ns_vs, fx->ns_cli, family, addr, port + 1), 0);
	assert_int_equal(cap_count(cap0, &w, 1, 200), 0); /* nothing by the old port */
	close(cap0);
	close(cap1);
	assert_int_equal(nf_vip_activate(fx->ns_vs, "nft-none"), -ENODEV);

	/* For comparison: the same device created, addressed and raised. */
	assert_int_equal(nf_vip_down(fx->ns_vs, live_name), 0);
	spec_fill(&tmp, live_name, "nft-p0", MAC_C, family, addr, prefix);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(nf_vip_up(fx->ns_vs, &tmp), 0);
	create_us = us_since(&t0);
	print_message("%s: standby activation %ld us, creation %ld us, demotion %ld us\n",
	              family == AF_INET ? "IPv4" : "IPv6", activate_us, create_us, demote_us);
	/* Timings are reported, not asserted: a loaded machine reorders them. */
	assert_int_equal(nf_vip_down(fx->ns_vs, live_name), 0);
	assert_int_equal(nf_vip_down(fx->ns_vs, sb_name), 0);
}

static void test_vip_standby(void **state)
{
	struct fx *fx = *state;

	standby_case(fx, "nft-v4", "nft-v4s", MAC_A, AF_INET, VIP_V4, 24, 40010);
	standby_case(fx, "nft-v6", "nft-v6s", MAC_B, AF_INET6, VIP_V6, 64, 40012);
}

/* After a daemon restart: every other up device of a VIP is set down. */
static void test_vip_quiesce(void **state)
{
	struct fx *fx = *state;
	struct nf_vip_spec a, b, c;
	struct nf_nl_link l;

	spec_fill(&a, "nft-v4", "nft-p0", MAC_A, AF_INET, VIP_V4, 24);
	spec_fill(&b, "nft-v4s", "nft-p1", MAC_A, AF_INET, VIP_V4, 24);
	spec_fill(&c, "nft-v6", "nft-p1", MAC_B, AF_INET6, VIP_V6, 64);
	assert_int_equal(nf_vip_up(fx->ns_vs, &a), 0);
	assert_int_equal(nf_vip_up(fx->ns_vs, &b), 0);
	assert_int_equal(nf_vip_up(fx->ns_vs, &c), 0);
	assert_int_equal(nf_vip_quiesce(fx->ns_vs, "nft-v4", "nft-v4"), 0);
	assert_int_equal(link_get(fx->ns_vs, "nft-v4", &l), 0);
	assert_true(l.flags & IFF_UP); /* kept */
	assert_int_equal(link_get(fx->ns_vs, "nft-v4s", &l), 0);
	assert_false(l.flags & IFF_UP); /* quiet */
	assert_int_equal(link_get(fx->ns_vs, "nft-v6", &l), 0);
	assert_true(l.flags & IFF_UP); /* another prefix: untouched */
	assert_int_equal(nf_vip_quiesce(fx->ns_vs, "nft-v4", NULL), 0);
	assert_int_equal(link_get(fx->ns_vs, "nft-v4", &l), 0);
	assert_false(l.flags & IFF_UP);
	assert_int_equal(nf_vip_quiesce(fx->ns_vs, "", NULL), -EINVAL);
}

/* The VS namespace may be the caller's own: no IFLA_LINK_NETNSID then. */
static void test_vip_same_ns(void **state)
{
	struct nf_vip_spec s;
	struct nf_nl_link l1, l2;
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	(void)state;
	assert_true(self >= 0);
	spec_fill(&s, "nft-vr", "nft-p0", MAC_C, AF_INET, "198.51.100.9", 24);
	assert_int_equal(nf_vip_up(self, &s), 0);
	assert_int_equal(link_get(self, "nft-vr", &l1), 0);
	assert_false(l1.has_link_nsid);
	assert_int_equal(l1.link, (int)if_nametoindex("nft-p0"));
	assert_int_equal(nf_vip_up(self, &s), 0);
	assert_int_equal(link_get(self, "nft-vr", &l2), 0);
	assert_int_equal(l1.ifindex, l2.ifindex);
	s.parent = "nft-p1";
	assert_int_equal(nf_vip_up(self, &s), 0);
	assert_int_equal(link_get(self, "nft-vr", &l2), 0);
	assert_int_equal(l2.link, (int)if_nametoindex("nft-p1"));
	assert_int_equal(nf_vip_down(self, "nft-vr"), 0);
	close(self);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_netns_names),
	    cmocka_unit_test(test_netns_create_delete),
	    cmocka_unit_test(test_netns_stale_file),
	    cmocka_unit_test(test_netns_socket_bad_fd),
	    cmocka_unit_test(test_port_index),
	    cmocka_unit_test_teardown(test_vip_bad_spec, vip_teardown),
	    cmocka_unit_test_teardown(test_vip_v4, vip_teardown),
	    cmocka_unit_test_teardown(test_vip_v6, vip_teardown),
	    cmocka_unit_test_teardown(test_vip_idempotent, vip_teardown),
	    cmocka_unit_test_teardown(test_vip_new_mac, vip_teardown),
	    cmocka_unit_test_teardown(test_vip_reparent, vip_teardown),
	    cmocka_unit_test_teardown(test_vip_same_ns, vip_teardown),
	    cmocka_unit_test_teardown(test_vip_standby, vip_teardown),
	    cmocka_unit_test_teardown(test_vip_quiesce, vip_teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_netfail must run as root\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
