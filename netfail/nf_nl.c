/*
 * nf_nl.c - rtnetlink request/ack for netfail (see nf_nl.h).
 *
 * Design: a fresh NETLINK_ROUTE socket per operation (so a reply to a request
 * that timed out can never be taken for the answer to the next one), opened
 * in the target namespace through nf_netns_socket(), with SO_RCVTIMEO bounding
 * every wait. Acks are always requested for non-dump requests, so the reader
 * knows exactly when the kernel is done; libmnl checks sequence and port ids.
 */
#include "netfail/nf_nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "netfail/nf_netns.h"

int nf_nl_open(struct nf_nl *nl, int nsfd)
{
	struct timeval tv = {.tv_sec = NF_NL_TIMEOUT_MS / 1000,
	                     .tv_usec = (NF_NL_TIMEOUT_MS % 1000) * 1000};
	int fd, r;

	nl->sock = NULL;
	if (nsfd >= 0)
		fd = nf_netns_socket(nsfd, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	else
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return nsfd >= 0 ? fd : -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	nl->sock = mnl_socket_fdopen(fd);
	if (!nl->sock) {
		r = -errno;
		close(fd);
		return r ? r : -ENOMEM;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		nf_nl_close(nl);
		return r;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	return 0;
}

void nf_nl_close(struct nf_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

struct nlmsghdr *nf_nl_msg(struct nf_nl *nl, int type, int flags)
{
	struct nlmsghdr *nlh;

	nlh = mnl_nlmsg_put_header(nl->buf);
	nlh->nlmsg_type = (unsigned short)type;
	nlh->nlmsg_flags = (unsigned short)(NLM_F_REQUEST | flags);
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

int nf_nl_talk(struct nf_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	unsigned int seq = nlh->nlmsg_seq;
	ssize_t n;
	int r;

	/* NLM_F_DUMP shares bits with NEW's NLM_F_EXCL/REPLACE: only a GET dumps. */
	if ((nlh->nlmsg_type & 3) != 2 || (nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		errno = 0;
		r = mnl_cb_run(nl->buf, (size_t)n, seq, nl->portid, cb, data);
		if (r == MNL_CB_ERROR)
			return errno ? -errno : -EPROTO;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

struct nf_nl_tb {
	const struct nlattr **tb;
	unsigned int max;
};

static int nf_nl_attr_cb(const struct nlattr *attr, void *data)
{
	struct nf_nl_tb *t = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type <= t->max)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

/* Fill tb[0..max] with the attributes of `nest` (or of the message after `hdrlen`). */
static int nf_nl_parse(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr *nest,
                       const struct nlattr **tb, unsigned int max)
{
	struct nf_nl_tb t = {tb, max};

	memset(tb, 0, sizeof(*tb) * (max + 1));
	if (nest)
		return mnl_attr_parse_nested(nest, nf_nl_attr_cb, &t) < 0 ? -EPROTO : 0;
	return mnl_attr_parse(nlh, hdrlen, nf_nl_attr_cb, &t) < 0 ? -EPROTO : 0;
}

static int nf_nl_link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nf_nl_link *out = data;
	const struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1], *mv[IFLA_MACVLAN_MAX + 1];
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return MNL_CB_OK;
	if (nf_nl_parse(nlh, sizeof(*ifi), NULL, tb, IFLA_MAX) < 0) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	memset(out, 0, sizeof(*out));
	out->ifindex = ifi->ifi_index;
	out->flags = ifi->ifi_flags;
	out->macvlan_mode = -1;
	if (tb[IFLA_IFNAME])
		snprintf(out->ifname, sizeof(out->ifname), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_LINK] && mnl_attr_get_payload_len(tb[IFLA_LINK]) >= 4)
		out->link = (int)mnl_attr_get_u32(tb[IFLA_LINK]);
	if (tb[IFLA_LINK_NETNSID] && mnl_attr_get_payload_len(tb[IFLA_LINK_NETNSID]) >= 4) {
		out->has_link_nsid = 1;
		out->link_nsid = (int)mnl_attr_get_u32(tb[IFLA_LINK_NETNSID]);
	}
	if (tb[IFLA_MASTER] && mnl_attr_get_payload_len(tb[IFLA_MASTER]) >= 4)
		out->master = mnl_attr_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6) {
		out->has_mac = 1;
		memcpy(out->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
	}
	if (tb[IFLA_LINKINFO] && nf_nl_parse(nlh, 0, tb[IFLA_LINKINFO], li, IFLA_INFO_MAX) == 0) {
		if (li[IFLA_INFO_KIND])
			snprintf(out->kind, sizeof(out->kind), "%s",
			         mnl_attr_get_str(li[IFLA_INFO_KIND]));
		if (li[IFLA_INFO_DATA] && !strcmp(out->kind, "macvlan") &&
		    nf_nl_parse(nlh, 0, li[IFLA_INFO_DATA], mv, IFLA_MACVLAN_MAX) == 0 &&
		    mv[IFLA_MACVLAN_MODE] && mnl_attr_get_payload_len(mv[IFLA_MACVLAN_MODE]) >= 4)
			out->macvlan_mode = (int)mnl_attr_get_u32(mv[IFLA_MACVLAN_MODE]);
	}
	return MNL_CB_OK;
}

/* Start a link request addressing the link by index, or by name when ifindex is 0. */
static struct nlmsghdr *nf_nl_linkmsg(struct nf_nl *nl, int type, int flags, const char *name,
                                      int ifindex, struct ifinfomsg **ifip)
{
	struct nlmsghdr *nlh = nf_nl_msg(nl, type, flags);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (!ifindex)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (ifip)
		*ifip = ifi;
	return nlh;
}

static int nf_nl_name_ok(const char *name, int ifindex)
{
	if (ifindex > 0)
		return 1;
	return ifindex == 0 && name && name[0] && strlen(name) < IFNAMSIZ;
}

int nf_nl_getlink(struct nf_nl *nl, const char *name, int ifindex, struct nf_nl_link *out)
{
	struct nlmsghdr *nlh;

	if (!nf_nl_name_ok(name, ifindex))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	nlh = nf_nl_linkmsg(nl, RTM_GETLINK, 0, name, ifindex, NULL);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return nf_nl_talk(nl, nlh, nf_nl_link_cb, out);
}

int nf_nl_dellink(struct nf_nl *nl, const char *name, int ifindex)
{
	if (!nf_nl_name_ok(name, ifindex))
		return -EINVAL;
	return nf_nl_talk(nl, nf_nl_linkmsg(nl, RTM_DELLINK, 0, name, ifindex, NULL), NULL, NULL);
}

static int nf_nl_setflag(struct nf_nl *nl, const char *name, int ifindex, unsigned int up)
{
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;

	if (!nf_nl_name_ok(name, ifindex))
		return -EINVAL;
	nlh = nf_nl_linkmsg(nl, RTM_NEWLINK, 0, name, ifindex, &ifi);
	ifi->ifi_flags = up;
	ifi->ifi_change = IFF_UP;
	return nf_nl_talk(nl, nlh, NULL, NULL);
}

int nf_nl_setup(struct nf_nl *nl, const char *name, int ifindex)
{
	return nf_nl_setflag(nl, name, ifindex, IFF_UP);
}

int nf_nl_setdown(struct nf_nl *nl, const char *name, int ifindex)
{
	return nf_nl_setflag(nl, name, ifindex, 0);
}

int nf_nl_addaddr(struct nf_nl *nl, int ifindex, int family, const void *addr, int prefix)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	size_t alen = family == AF_INET ? 4 : 16;

	if (ifindex <= 0 || (family != AF_INET && family != AF_INET6) || prefix < 0 ||
	    prefix > (int)alen * 8)
		return -EINVAL;
	nlh = nf_nl_msg(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)family;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, alen, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, addr);
	if (family == AF_INET) {
		if (prefix < 31) {
			struct in_addr brd;
			uint32_t mask = prefix ? ~0u << (32 - prefix) : 0;

			memcpy(&brd, addr, 4);
			brd.s_addr |= htonl(~mask);
			mnl_attr_put(nlh, IFA_BROADCAST, 4, &brd);
		}
	} else {
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	}
	return nf_nl_talk(nl, nlh, NULL, NULL);
}

static int nf_nl_nsid_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NETNSA_MAX + 1];
	int *nsid = data;

	if (nlh->nlmsg_type != RTM_NEWNSID)
		return MNL_CB_OK;
	if (nf_nl_parse(nlh, sizeof(struct rtgenmsg), NULL, tb, NETNSA_MAX) < 0) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	if (tb[NETNSA_NSID] && mnl_attr_get_payload_len(tb[NETNSA_NSID]) >= 4)
		*nsid = (int)mnl_attr_get_u32(tb[NETNSA_NSID]);
	return MNL_CB_OK;
}

int nf_nl_getnsid(struct nf_nl *nl, int fd, int *nsid)
{
	struct nlmsghdr *nlh = nf_nl_msg(nl, RTM_GETNSID, 0);
	struct rtgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, (uint32_t)fd);
	*nsid = NETNSA_NSID_NOT_ASSIGNED;
	return nf_nl_talk(nl, nlh, nf_nl_nsid_cb, nsid);
}
