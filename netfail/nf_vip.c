/*
 * nf_vip.c - VIP devices: one macvlan per VIP, inside the VS namespace.
 *
 * Design:
 * - Creation: one RTM_NEWLINK on a socket of the caller's (the node's)
 *   namespace, with IFLA_LINK = the parent's ifindex there and
 *   IFLA_NET_NS_FD = the VS namespace: the kernel resolves the parent in the
 *   socket's namespace and registers the macvlan (mode bridge, the given MAC)
 *   directly in the VS namespace; it is never visible in the node's. All the
 *   rest (address, up, delete) goes through a socket opened inside the VS
 *   namespace, where the device lives.
 * - Addresses: IPv4 with its broadcast; IPv6 with IFA_F_NODAD (in the header
 *   byte and in IFA_FLAGS), so the address is usable, and announceable, at
 *   once. The MAC is stable per VIP, so skipping DAD only skips a check
 *   against ourselves.
 * - Idempotence and re-parenting. An existing device of that name is kept
 *   only if it is a bridge-mode macvlan with the wanted MAC whose parent is
 *   the wanted port of the caller's namespace. The parent is identified the
 *   way the kernel reports it: seen from the VS namespace, a macvlan whose
 *   lower device lives elsewhere carries IFLA_LINK (the lower's ifindex in
 *   that other namespace) and IFLA_LINK_NETNSID (that namespace's id, as
 *   numbered by the VS namespace; reporting the link allocates the id). We
 *   ask the VS namespace for the id of the caller's namespace (RTM_GETNSID
 *   with NETNSA_FD, after the link query so the id exists) and compare both.
 *   Without IFLA_LINK_NETNSID the lower device is in the VS namespace itself,
 *   which matches only when the VS namespace is the caller's. Anything else
 *   (other kind, mode, MAC, parent) is deleted and created again: that is how
 *   a VIP moves to another port, keeping its name, MAC and address.
 *   A kept device gets its stray global addresses removed (link-local ones
 *   stay), then the wanted address (EEXIST is success), then IFF_UP.
 *   Stray ones go first: removing an IPv4 primary takes its secondaries.
 * - A failure part way leaves the device as far as it got (e.g. created but
 *   down); the next call matches it and completes it.
 * - Every netlink wait is bounded (nf_nl.c); nothing here sleeps. Measured on
 *   kernel 6.18: a move costs 17-29 ms, nearly all of it the RTM_DELLINK of
 *   the old device (RCU grace periods inside the kernel, synchronous in the
 *   sendto); creating, addressing and raising the new one is about 1.5 ms.
 */
#include "netfail/nf_vip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netfail/nf_netns.h"
#include "netfail/nf_nl.h"
#include "netfail/nf_vip_int.h"

#define NF_STRAY_MAX 16

int nf_ifname_ok(const char *name)
{
	size_t n, i;

	if (!name)
		return 0;
	n = strlen(name);
	if (n == 0 || n >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	for (i = 0; i < n; i++)
		if (name[i] == '/' || name[i] == ':' || name[i] <= ' ' || name[i] == 0x7f)
			return 0;
	return 1;
}

int nf_vip_parse(const struct nf_vip_spec *s, struct nf_vip_addr *a)
{
	static const unsigned char zero[6];

	if (!s || !nf_ifname_ok(s->ifname) || !s->addr)
		return -EINVAL;
	if ((s->mac[0] & 1) || !memcmp(s->mac, zero, 6))
		return -EINVAL; /* multicast or null MAC */
	memset(a, 0, sizeof(*a));
	a->family = s->family;
	if (s->family == AF_INET) {
		a->len = 4;
		if (s->prefix < 1 || s->prefix > 32)
			return -EINVAL;
	} else if (s->family == AF_INET6) {
		a->len = 16;
		if (s->prefix < 1 || s->prefix > 128)
			return -EINVAL;
	} else {
		return -EAFNOSUPPORT;
	}
	if (inet_pton(s->family, s->addr, a->bytes) != 1)
		return -EINVAL;
	return 0;
}

int nf_port_index(const char *name)
{
	unsigned int idx;

	if (!nf_ifname_ok(name))
		return -EINVAL;
	errno = 0;
	idx = if_nametoindex(name);
	if (idx == 0)
		return errno ? -errno : -ENODEV;
	return (int)idx;
}

int nf_lo_up(int nsfd)
{
	struct nf_nl nl;
	int r;

	r = nf_nl_open(&nl, nsfd);
	if (r < 0)
		return r;
	r = nf_nl_setup(&nl, "lo", 0);
	nf_nl_close(&nl);
	return r;
}

enum nf_linkop { NF_LINK_DEL, NF_LINK_UP, NF_LINK_DOWN };

/* One operation on a device of the namespace, by name. */
static int nf_vip_linkop(int nsfd, const char *ifname, enum nf_linkop op)
{
	struct nf_nl nl;
	int r;

	if (!nf_ifname_ok(ifname))
		return -EINVAL;
	r = nf_nl_open(&nl, nsfd);
	if (r < 0)
		return r;
	r = op == NF_LINK_DEL  ? nf_nl_dellink(&nl, ifname, 0)
	    : op == NF_LINK_UP ? nf_nl_setup(&nl, ifname, 0)
	                       : nf_nl_setdown(&nl, ifname, 0);
	nf_nl_close(&nl);
	return r;
}

int nf_vip_down(int nsfd, const char *ifname)
{
	return nf_vip_linkop(nsfd, ifname, NF_LINK_DEL);
}

/* 1 if `nsfd` is the calling thread's own network namespace, 0 if not, or -errno. */
static int nf_same_ns(int nsfd, int selffd)
{
	struct stat a, b;

	if (fstat(nsfd, &a) < 0 || fstat(selffd, &b) < 0)
		return -errno;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Is the existing device `l` (seen from the VS namespace) the one we want? 1, 0, -errno. */
static int nf_vip_matches(struct nf_nl *nsnl, int nsfd, const struct nf_nl_link *l,
                          const struct nf_vip_spec *s, int parent)
{
	int self, nsid, r;

	if (strcmp(l->kind, "macvlan") || l->macvlan_mode != MACVLAN_MODE_BRIDGE || !l->has_mac ||
	    memcmp(l->mac, s->mac, 6) || l->link != parent)
		return 0;
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (!l->has_link_nsid) {
		r = nf_same_ns(nsfd, self);
	} else {
		r = nf_nl_getnsid(nsnl, self, &nsid);
		if (r == 0)
			r = nsid != NETNSA_NSID_NOT_ASSIGNED && nsid == l->link_nsid;
	}
	close(self);
	return r;
}

struct nf_stray {
	int n, more;
	int ifindex;
	const struct nf_vip_addr *keep;
	int keep_prefix;
	struct {
		struct ifaddrmsg ifa;
		unsigned char local[16], address[16];
		int has_local, has_address;
	} a[NF_STRAY_MAX];
};

static int nf_stray_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type == IFA_LOCAL || type == IFA_ADDRESS)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int nf_stray_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nf_stray *st = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = {0};
	const struct nlattr *id;
	size_t alen;

	if (nlh->nlmsg_type != RTM_NEWADDR || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
		return MNL_CB_OK;
	if ((int)ifa->ifa_index != st->ifindex || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
		return MNL_CB_OK;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return MNL_CB_OK;
	alen = ifa->ifa_family == AF_INET ? 4 : 16;
	if (mnl_attr_parse(nlh, sizeof(*ifa), nf_stray_attr_cb, tb) < 0) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	id = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!id || mnl_attr_get_payload_len(id) != alen)
		return MNL_CB_OK;
	if (ifa->ifa_family == st->keep->family && ifa->ifa_prefixlen == st->keep_prefix &&
	    !memcmp(mnl_attr_get_payload(id), st->keep->bytes, alen))
		return MNL_CB_OK;
	if (st->n == NF_STRAY_MAX) {
		st->more = 1;
		return MNL_CB_OK;
	}
	st->a[st->n].ifa = *ifa;
	st->a[st->n].has_local = tb[IFA_LOCAL] && mnl_attr_get_payload_len(tb[IFA_LOCAL]) == alen;
	if (st->a[st->n].has_local)
		memcpy(st->a[st->n].local, mnl_attr_get_payload(tb[IFA_LOCAL]), alen);
	st->a[st->n].has_address =
	    tb[IFA_ADDRESS] && mnl_attr_get_payload_len(tb[IFA_ADDRESS]) == alen;
	if (st->a[st->n].has_address)
		memcpy(st->a[st->n].address, mnl_attr_get_payload(tb[IFA_ADDRESS]), alen);
	st->n++;
	return MNL_CB_OK;
}

/* Remove the global addresses of `ifindex` other than `keep`/`prefix`. */
static int nf_vip_flush_stray(struct nf_nl *nl, int ifindex, const struct nf_vip_addr *keep,
                              int prefix)
{
	struct nf_stray st;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int i, r, round;

	for (round = 0; round < 8; round++) {
		memset(&st, 0, sizeof(st));
		st.ifindex = ifindex;
		st.keep = keep;
		st.keep_prefix = prefix;
		nlh = nf_nl_msg(nl, RTM_GETADDR, NLM_F_DUMP);
		ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
		ifa->ifa_family = AF_UNSPEC;
		r = nf_nl_talk(nl, nlh, nf_stray_cb, &st);
		if (r < 0)
			return r;
		for (i = 0; i < st.n; i++) {
			size_t alen = st.a[i].ifa.ifa_family == AF_INET ? 4 : 16;

			nlh = nf_nl_msg(nl, RTM_DELADDR, 0);
			ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
			*ifa = st.a[i].ifa;
			if (st.a[i].has_local)
				mnl_attr_put(nlh, IFA_LOCAL, alen, st.a[i].local);
			if (st.a[i].has_address)
				mnl_attr_put(nlh, IFA_ADDRESS, alen, st.a[i].address);
			r = nf_nl_talk(nl, nlh, NULL, NULL);
			/* Gone already (a primary's secondaries go with it). */
			if (r < 0 && r != -EADDRNOTAVAIL && r != -ENOENT)
				return r;
		}
		if (!st.more)
			return 0;
	}
	return -EBUSY;
}

/* RTM_NEWLINK from the caller's namespace, created straight into `nsfd`. */
static int nf_vip_create(int nsfd, const struct nf_vip_spec *s, int parent)
{
	struct nf_nl nl;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nlattr *info, *idata;
	int r;

	r = nf_nl_open(&nl, -1);
	if (r < 0)
		return r;
	nlh = nf_nl_msg(&nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)parent);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, s->ifname);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, s->mac);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "macvlan");
	idata = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE);
	mnl_attr_nest_end(nlh, idata);
	mnl_attr_nest_end(nlh, info);
	r = nf_nl_talk(&nl, nlh, NULL, NULL);
	nf_nl_close(&nl);
	return r;
}

static int nf_vip_up_ns(struct nf_nl *nl, int nsfd, const struct nf_vip_spec *s,
                        const struct nf_vip_addr *a, int parent, int up)
{
	struct nf_nl_link l;
	int r, kept = 0;

	r = nf_nl_getlink(nl, s->ifname, 0, &l);
	if (r == 0) {
		r = nf_vip_matches(nl, nsfd, &l, s, parent);
		if (r < 0)
			return r;
		kept = r;
		if (!kept) {
			r = nf_nl_dellink(nl, NULL, l.ifindex);
			if (r < 0 && r != -ENODEV)
				return r;
		}
	} else if (r != -ENODEV) {
		return r;
	}
	if (!kept) {
		r = nf_vip_create(nsfd, s, parent);
		if (r < 0)
			return r;
		r = nf_nl_getlink(nl, s->ifname, 0, &l);
		if (r < 0)
			return r;
	} else {
		r = nf_vip_flush_stray(nl, l.ifindex, a, s->prefix);
		if (r < 0)
			return r;
	}
	if (!up && (l.flags & IFF_UP)) {
		/* Down first: a device going down loses its IPv6 addresses. */
		r = nf_nl_setdown(nl, NULL, l.ifindex);
		if (r < 0)
			return r;
	}
	r = nf_nl_addaddr(nl, l.ifindex, a->family, a->bytes, s->prefix);
	if (r < 0 && r != -EEXIST)
		return r;
	if (up && !(l.flags & IFF_UP))
		return nf_nl_setup(nl, NULL, l.ifindex);
	return 0;
}

static int nf_vip_make(int nsfd, const struct nf_vip_spec *s, int up)
{
	struct nf_vip_addr a;
	struct nf_nl nl;
	int parent, r;

	r = nf_vip_parse(s, &a);
	if (r < 0)
		return r;
	parent = nf_port_index(s->parent);
	if (parent < 0)
		return parent;
	r = nf_nl_open(&nl, nsfd);
	if (r < 0)
		return r;
	r = nf_vip_up_ns(&nl, nsfd, s, &a, parent, up);
	nf_nl_close(&nl);
	return r;
}

int nf_vip_up(int nsfd, const struct nf_vip_spec *s)
{
	return nf_vip_make(nsfd, s, 1);
}

int nf_vip_standby(int nsfd, const struct nf_vip_spec *s)
{
	return nf_vip_make(nsfd, s, 0);
}

int nf_vip_activate(int nsfd, const char *ifname)
{
	return nf_vip_linkop(nsfd, ifname, NF_LINK_UP);
}

struct nf_quiet {
	const char *prefix, *keep;
	int n;
	char names[NF_STRAY_MAX][16];
};

static int nf_quiet_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(attr) == IFLA_IFNAME)
		tb[IFLA_IFNAME] = attr;
	return MNL_CB_OK;
}

static int nf_quiet_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nf_quiet *q = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1] = {0};
	const char *name;

	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)) ||
	    !(ifi->ifi_flags & IFF_UP))
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifi), nf_quiet_attr_cb, tb) < 0 || !tb[IFLA_IFNAME] ||
	    mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_OK;
	name = mnl_attr_get_str(tb[IFLA_IFNAME]);
	if (strncmp(name, q->prefix, strlen(q->prefix)) != 0 || strcmp(name, q->keep) == 0 ||
	    strlen(name) >= sizeof(q->names[0]))
		return MNL_CB_OK;
	if (q->n == NF_STRAY_MAX) {
		errno = E2BIG;
		return MNL_CB_ERROR;
	}
	strcpy(q->names[q->n++], name);
	return MNL_CB_OK;
}

int nf_vip_quiesce(int nsfd, const char *prefix, const char *keep)
{
	struct nf_quiet q = {.prefix = prefix, .keep = keep ? keep : ""};
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nf_nl nl;
	int r;

	if (!prefix || !*prefix)
		return -EINVAL;
	r = nf_nl_open(&nl, nsfd);
	if (r < 0)
		return r;
	nlh = nf_nl_msg(&nl, RTM_GETLINK, NLM_F_DUMP);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	r = nf_nl_talk(&nl, nlh, nf_quiet_cb, &q);
	for (int i = 0; r == 0 && i < q.n; i++) {
		r = nf_nl_setdown(&nl, q.names[i], 0);
		if (r == -ENODEV)
			r = 0;
	}
	nf_nl_close(&nl);
	return r;
}
