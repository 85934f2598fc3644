/*
 * nf_nl.h - internal to netfail: rtnetlink request/ack over libmnl.
 *
 * One socket per operation, in the caller's namespace or in a given one; one
 * request in flight at a time; every receive bounded by a 2 s timeout so the
 * event loop is never stuck on the kernel. Not a public concept of netfail:
 * only netfail's own files and its unit test include it.
 */
#ifndef NF_NL_H
#define NF_NL_H

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#define NF_NL_TIMEOUT_MS 2000
#define NF_NL_BUFSZ 32768

struct nf_nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	char buf[NF_NL_BUFSZ]; /* requests are built here, replies read here */
};

/* Open a NETLINK_ROUTE socket in namespace `nsfd`, or in the caller's if nsfd < 0. */
int nf_nl_open(struct nf_nl *nl, int nsfd);
void nf_nl_close(struct nf_nl *nl);
/* Start a request in nl->buf: header with `type` and `flags` (NLM_F_REQUEST added). */
struct nlmsghdr *nf_nl_msg(struct nf_nl *nl, int type, int flags);
/* Send `nlh` (built in nl->buf) and read the replies until the ack (or, for a dump,
 * until done), calling `cb` on each data message when cb is not NULL. Returns 0,
 * the kernel's negative errno, -ETIMEDOUT, or the callback's failure (a callback
 * returning MNL_CB_ERROR sets errno). */
int nf_nl_talk(struct nf_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/* What netfail needs to know about a link, as seen from the socket's namespace. */
struct nf_nl_link {
	int ifindex;
	unsigned int flags; /* IFF_* */
	int link;           /* IFLA_LINK (parent ifindex), 0 if none */
	int has_link_nsid;  /* the parent is in another namespace ... */
	int link_nsid;      /* ... whose id, seen from this one, is this */
	int has_mac;
	unsigned char mac[6];
	char kind[16];       /* IFLA_INFO_KIND, "" if none */
	int macvlan_mode;    /* IFLA_MACVLAN_MODE, -1 if none */
	unsigned int master; /* IFLA_MASTER, 0 if none */
	char ifname[16];
};

/* Look a link up by name (ifindex 0) or by index; -ENODEV if absent. */
int nf_nl_getlink(struct nf_nl *nl, const char *name, int ifindex, struct nf_nl_link *out);
/* Delete a link by name (ifindex 0) or by index; -ENODEV if absent. */
int nf_nl_dellink(struct nf_nl *nl, const char *name, int ifindex);
/* Set IFF_UP on a link, by name (ifindex 0) or by index. */
int nf_nl_setup(struct nf_nl *nl, const char *name, int ifindex);
/* Clear IFF_UP on a link, by name (ifindex 0) or by index. */
int nf_nl_setdown(struct nf_nl *nl, const char *name, int ifindex);
/* Add an address (`addr` is a struct in_addr or in6_addr); IPv6 ones with no DAD.
 * -EEXIST if already there. */
int nf_nl_addaddr(struct nf_nl *nl, int ifindex, int family, const void *addr, int prefix);
/* Id of the namespace `fd` as seen from the socket's namespace: 0 and *nsid
 * (-1 when none is assigned), or a negative errno. */
int nf_nl_getnsid(struct nf_nl *nl, int fd, int *nsid);

#endif
