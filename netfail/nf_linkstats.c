/*
 * nf_linkstats.c - link counters by rtnetlink, link speed by ethtool, and
 * their rates (see nf_linkstats.h).
 */
#include "netfail/nf_linkstats.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/lib_span.h"
#include "netfail/nf_nl.h"

struct nf_ls_attrs {
	const struct nlattr *name, *stats64;
};

static int nf_ls_attr_cb(const struct nlattr *attr, void *data)
{
	struct nf_ls_attrs *a = data;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_IFNAME:
		a->name = attr;
		break;
	case IFLA_STATS64:
		a->stats64 = attr;
		break;
	}
	return MNL_CB_OK;
}

int nf_linkstats_msg(const struct nlmsghdr *nlh, struct nf_linkstat *out)
{
	struct nf_ls_attrs a = {0};
	const struct ifinfomsg *ifi;
	struct nf_linkstat l = {0};
	size_t n;

	if (nlh->nlmsg_len < sizeof(*nlh))
		return -EINVAL;
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return -EINVAL;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_index <= 0 || mnl_attr_parse(nlh, sizeof(*ifi), nf_ls_attr_cb, &a) < 0 ||
	    !a.name)
		return -EINVAL;
	n = strnlen(mnl_attr_get_payload(a.name), mnl_attr_get_payload_len(a.name));
	if (n == 0 || n >= sizeof(l.name))
		return -EINVAL;
	memcpy(l.name, mnl_attr_get_payload(a.name), n);
	l.ifindex = ifi->ifi_index;
	if (a.stats64 && mnl_attr_get_payload_len(a.stats64) >= sizeof(struct rtnl_link_stats64)) {
		struct rtnl_link_stats64 st;

		memcpy(&st, mnl_attr_get_payload(a.stats64), sizeof(st));
		l.rx_bytes = st.rx_bytes;
		l.tx_bytes = st.tx_bytes;
		l.rx_packets = st.rx_packets;
		l.tx_packets = st.tx_packets;
	}
	*out = l;
	return 1;
}

#define NF_LS_INTR_TRIES 3

struct nf_ls_dump {
	struct nf_linkstats s;
	size_t cap;
};

static int nf_ls_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nf_ls_dump *d = data;
	struct nf_linkstat l, *nl;
	int r = nf_linkstats_msg(nlh, &l);

	if (r < 0) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	if (r == 0)
		return MNL_CB_OK;
	nl = lib_span_grow(d->s.link, &d->cap, d->s.n, sizeof(*nl));
	if (!nl) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	d->s.link = nl;
	d->s.link[d->s.n++] = l;
	return MNL_CB_OK;
}

int nf_linkstats_read(struct nf_linkstats *out)
{
	return nf_linkstats_read_ns(-1, out);
}

int nf_linkstats_read_ns(int nsfd, struct nf_linkstats *out)
{
	struct nf_ls_dump d = {{NULL, 0}, 0};
	struct nf_nl nl;
	int r;

	out->link = NULL;
	out->n = 0;
	r = nf_nl_open(&nl, nsfd);
	if (r < 0)
		return r;
	/* -EINTR: links came or went during the dump (NLM_F_DUMP_INTR), which
	 * may have missed one: dump again. */
	for (int i = 0; i < NF_LS_INTR_TRIES; i++) {
		struct nlmsghdr *nlh = nf_nl_msg(&nl, RTM_GETLINK, NLM_F_DUMP);
		struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

		ifi->ifi_family = AF_UNSPEC;
		d.s.n = 0;
		r = nf_nl_talk(&nl, nlh, nf_ls_dump_cb, &d);
		if (r != -EINTR)
			break;
	}
	nf_nl_close(&nl);
	if (r < 0) {
		free(d.s.link);
		return r;
	}
	*out = d.s;
	return 0;
}

void nf_linkstats_free(struct nf_linkstats *s)
{
	free(s->link);
	s->link = NULL;
	s->n = 0;
}

const struct nf_linkstat *nf_linkstats_find(const struct nf_linkstats *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->link[i].name, name) == 0)
			return &s->link[i];
	return NULL;
}

/* ETHTOOL_GLINKSETTINGS, with room after it for its 3 link-mode bitmaps of
 * at most 127 words each. */
#define NF_LS_KWORDS (sizeof(struct ethtool_link_settings) / 4 + 3 * 127)

int nf_linkstats_speed(const char *name, uint32_t *mbps)
{
	uint32_t buf[NF_LS_KWORDS];
	struct ethtool_link_settings *k = (void *)buf;
	struct ifreq ifr;
	int fd, r = 0;

	if (!name || !name[0] || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	/* The handshake: the kernel answers the first call with the (negated)
	 * number of 32-bit words its link-mode bitmaps take. */
	for (int pass = 0; pass < 2 && r == 0; pass++) {
		int8_t nwords = pass ? (int8_t)-k->link_mode_masks_nwords : 0;

		memset(buf, 0, sizeof(buf));
		k->cmd = ETHTOOL_GLINKSETTINGS;
		k->link_mode_masks_nwords = nwords;
		ifr.ifr_data = (void *)buf;
		if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
			r = errno == EOPNOTSUPP ? -EOPNOTSUPP : -errno;
		else if (pass == 0 &&
		         (k->link_mode_masks_nwords >= 0 || -k->link_mode_masks_nwords > 127))
			r = -EPROTO;
	}
	close(fd);
	if (r < 0)
		return r;
	if (k->speed == 0 || k->speed == (uint32_t)SPEED_UNKNOWN)
		return -ENODATA;
	*mbps = k->speed;
	return 0;
}

uint64_t nf_linkstats_capacity(int speed_rc, uint32_t mbps, uint32_t default_mbps)
{
	if (speed_rc == 0 && mbps > 0)
		return (uint64_t)mbps * 1000000;
	return (uint64_t)(default_mbps ? default_mbps : NF_LINK_DEFAULT_MBPS) * 1000000;
}

int nf_linkstats_rate(const struct nf_linkstat *prev, const struct nf_linkstat *cur,
                      uint64_t elapsed_usec, struct nf_linkrate *out)
{
	double secs = (double)elapsed_usec / 1e6;

	memset(out, 0, sizeof(*out));
	if (elapsed_usec == 0 || prev->ifindex != cur->ifindex)
		return -EINVAL;
	if (cur->rx_bytes < prev->rx_bytes || cur->tx_bytes < prev->tx_bytes ||
	    cur->rx_packets < prev->rx_packets || cur->tx_packets < prev->tx_packets)
		return -ERANGE;
	out->rx_bps = (double)(cur->rx_bytes - prev->rx_bytes) / secs;
	out->tx_bps = (double)(cur->tx_bytes - prev->tx_bytes) / secs;
	out->rx_pps = (double)(cur->rx_packets - prev->rx_packets) / secs;
	out->tx_pps = (double)(cur->tx_packets - prev->tx_packets) / secs;
	return 0;
}
