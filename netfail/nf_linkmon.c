/*
 * nf_linkmon.c - link state from rtnetlink events (see nf_linkmon.h).
 *
 * Design:
 * - Two NETLINK_ROUTE sockets of the caller's namespace, both non-blocking
 *   and close-on-exec, opened at creation: `mon`, bound to the RTMGRP_LINK
 *   group, only receives events; `dump`, bound to no group, carries the
 *   asynchronous RTM_GETLINK dumps of nf_linkmon_refresh() and of the ENOBUFS
 *   recovery, one at a time. Keeping them apart means an event burst can never
 *   push a dump reply out, and sequence numbers only matter on `dump`. `mon` is
 *   subscribed before the initial dump, so a change that races with creation
 *   is reported by an event after the dump's report. The initial dump is
 *   synchronous, on a third, short-lived socket (nf_nl, 2 s receive timeout),
 *   as the header promises every link before create returns.
 * - Latency: `mon`'s I/O source has SD_EVENT_PRIORITY_IMPORTANT and the
 *   callback is called from it, for each message, as the message is parsed:
 *   no deferral, no timer. Up to NF_LINKMON_BATCH datagrams are read per
 *   dispatch, then the loop gets control back (level-triggered: the rest is
 *   read at the next iteration).
 * - `mon` gets a large receive buffer (SO_RCVBUFFORCE, which needs
 *   CAP_NET_ADMIN, else SO_RCVBUF capped by rmem_max). If it overflows anyway
 *   (ENOBUFS: events were lost), the events still queued are read and dropped
 *   unreported, then a dump is started; if one is already running it is done
 *   again when it ends, since it may predate the loss. The kernel reports
 *   ENOBUFS at the next receive, before the backlog queued ahead of the loss:
 *   reporting that backlog would replay stale states whose successors are
 *   gone, and, while the dump runs, mask its fresh entries (rule (2) below).
 *   A dump that cannot be started is retried by a timer.
 * - A dump report must never overwrite a newer event. Both sockets are in
 *   one thread, but an entry of a dump may be read after an event that was
 *   generated later (the kernel fills a dump skb before queueing it, and the
 *   two sockets are separate queues). Hence: (1) before a dump datagram is
 *   handled, `mon` is drained, so the events queued before it are reported
 *   first; (2) a link that had an event reported since the dump was requested
 *   is skipped in that dump (the event is at least as new as what the dump
 *   read; a change after the dump read it has its own event). The set of such
 *   links is a small array; if it overflows, the rest of the dump is skipped
 *   and the dump is done again. Whatever the interleaving, the last report of
 *   a link is its current state.
 * - A dump that the kernel flags NLM_F_DUMP_INTR (links were added or
 *   removed while it ran, so it may have skipped one) is used, then done
 *   again. The initial one (through libmnl, which stops at the flag) is done
 *   again on a fresh socket, up to NF_LINKMON_INTR_TRIES times.
 * - If `dump` fails (a receive error, an error reply), it is closed, so that
 *   no reply of the broken dump can be mistaken for one of the next, and
 *   re-opened for the retry in the namespace of creation (an fd of it is kept;
 *   nf_netns_socket()).
 * - Only messages with ifi_family AF_UNSPEC describe links: the bridge also
 *   sends RTM_NEWLINK/RTM_DELLINK with family AF_BRIDGE to RTNLGRP_LINK for
 *   its ports (a DELLINK when a port merely leaves the bridge), which must
 *   not read as a link that is gone. Loopback is skipped.
 * - A gone link (RTM_DELLINK, also when moved to another namespace) is
 *   reported with admin_up and carrier false and operstate IF_OPER_NOTPRESENT,
 *   its name and last counters as the message carries them.
 * - The callback may destroy the monitor: the struct is then only marked
 *   dead (sockets and sources released at once) and freed when the dispatch
 *   that called out returns. It may also call nf_linkmon_refresh(). No global
 *   state.
 */
#include "netfail/nf_linkmon.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/lib_log.h"
#include "netfail/nf_netns.h"
#include "netfail/nf_nl.h"

#define NF_LINKMON_RCVBUF (16 * 1024 * 1024)
#define NF_LINKMON_BUFSZ 32768 /* MNL_SOCKET_DUMP_SIZE: the kernel's largest dump skb */
#define NF_LINKMON_BATCH 64
#define NF_LINKMON_TOUCHED_MAX 64
#define NF_LINKMON_RETRY_US (100 * 1000)
#define NF_LINKMON_INTR_TRIES 10
#define NF_LINKMON_DISCARD_MAX (1L << 20) /* datagrams; a 16 MB queue holds ~15000 */

struct nf_linkmon {
	sd_event *ev;
	nf_linkmon_fn fn;
	void *arg;
	int nsfd; /* the namespace of creation, to re-open `dump` in */
	struct mnl_socket *mon;
	sd_event_source *mon_src;
	struct mnl_socket *dump; /* NULL after a failure, until the retry */
	sd_event_source *dump_src;
	sd_event_source *retry_src;
	unsigned int dump_portid;
	unsigned int dump_seq;
	bool dumping;    /* a dump is in flight on `dump` */
	bool dump_again; /* start another when it ends */
	/* links with an event reported since the running dump was requested */
	int touched[NF_LINKMON_TOUCHED_MAX];
	unsigned int ntouched;
	bool touched_overflow;
	unsigned int busy; /* calling out to fn */
	bool dead;         /* destroyed during the call-out: free when it returns */
	char buf[NF_LINKMON_BUFSZ] __attribute__((aligned(8)));
};

struct nf_linkmon_tb {
	const struct nlattr **tb;
	unsigned int max;
};

static int nf_linkmon_attr_cb(const struct nlattr *attr, void *data)
{
	struct nf_linkmon_tb *t = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type <= t->max)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

/* Parse a link message into *l: 1 to report, 0 to skip, or -EPROTO. */
static int nf_linkmon_parse(const struct nlmsghdr *nlh, struct nf_link *l)
{
	const struct nlattr *tb[IFLA_MAX + 1];
	struct nf_linkmon_tb t = {tb, IFLA_MAX};
	const struct ifinfomsg *ifi;

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return 0;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return -EPROTO;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_family != AF_UNSPEC || (ifi->ifi_flags & IFF_LOOPBACK) || ifi->ifi_index <= 0)
		return 0;
	memset(tb, 0, sizeof(tb));
	if (mnl_attr_parse(nlh, sizeof(*ifi), nf_linkmon_attr_cb, &t) < 0)
		return -EPROTO;
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi->ifi_index;
	if (tb[IFLA_IFNAME]) {
		size_t n = strnlen(mnl_attr_get_payload(tb[IFLA_IFNAME]),
		                   mnl_attr_get_payload_len(tb[IFLA_IFNAME]));

		if (n >= sizeof(l->name))
			n = sizeof(l->name) - 1;
		memcpy(l->name, mnl_attr_get_payload(tb[IFLA_IFNAME]), n);
	}
	if (nlh->nlmsg_type == RTM_DELLINK) {
		l->gone = true;
		l->operstate = IF_OPER_NOTPRESENT;
	} else {
		l->admin_up = (ifi->ifi_flags & IFF_UP) != 0;
		l->carrier = (ifi->ifi_flags & IFF_LOWER_UP) != 0;
		l->operstate = IF_OPER_UNKNOWN;
		if (tb[IFLA_OPERSTATE] && mnl_attr_get_payload_len(tb[IFLA_OPERSTATE]) >= 1)
			l->operstate = mnl_attr_get_u8(tb[IFLA_OPERSTATE]);
	}
	if (tb[IFLA_STATS64] &&
	    mnl_attr_get_payload_len(tb[IFLA_STATS64]) >= sizeof(struct rtnl_link_stats64)) {
		struct rtnl_link_stats64 st;

		memcpy(&st, mnl_attr_get_payload(tb[IFLA_STATS64]), sizeof(st));
		l->rx_bytes = st.rx_bytes;
		l->tx_bytes = st.tx_bytes;
		l->rx_packets = st.rx_packets;
		l->tx_packets = st.tx_packets;
	} else if (tb[IFLA_STATS] &&
	           mnl_attr_get_payload_len(tb[IFLA_STATS]) >= sizeof(struct rtnl_link_stats)) {
		struct rtnl_link_stats st;

		memcpy(&st, mnl_attr_get_payload(tb[IFLA_STATS]), sizeof(st));
		l->rx_bytes = st.rx_bytes;
		l->tx_bytes = st.tx_bytes;
		l->rx_packets = st.rx_packets;
		l->tx_packets = st.tx_packets;
	}
	return 1;
}

static bool nf_linkmon_touched(const struct nf_linkmon *m, int ifindex)
{
	unsigned int i;

	for (i = 0; i < m->ntouched; i++)
		if (m->touched[i] == ifindex)
			return true;
	return false;
}

static void nf_linkmon_touch(struct nf_linkmon *m, int ifindex)
{
	if (nf_linkmon_touched(m, ifindex))
		return;
	if (m->ntouched < NF_LINKMON_TOUCHED_MAX)
		m->touched[m->ntouched++] = ifindex;
	else
		m->touched_overflow = true;
}

/* Report one link message (from `mon` if !from_dump). */
static void nf_linkmon_msg(struct nf_linkmon *m, const struct nlmsghdr *nlh, bool from_dump)
{
	struct nf_link l;
	int r;

	r = nf_linkmon_parse(nlh, &l);
	if (r < 0)
		lib_warn("linkmon: malformed link message (type %u)", nlh->nlmsg_type);
	if (r <= 0)
		return;
	if (from_dump) {
		if (m->touched_overflow) {
			m->dump_again = true;
			return;
		}
		if (nf_linkmon_touched(m, l.ifindex))
			return;
	} else if (m->dumping) {
		nf_linkmon_touch(m, l.ifindex);
	}
	m->fn(&l, m->arg);
}

/* A NETLINK_ROUTE socket, non-blocking, bound to `groups`; in namespace nsfd,
 * or in the caller's if nsfd < 0. */
static int nf_linkmon_socket(int nsfd, unsigned int groups, struct mnl_socket **out)
{
	struct mnl_socket *nl;
	int fd, r;

	*out = NULL;
	if (nsfd >= 0) {
		fd = nf_netns_socket(nsfd, AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_ROUTE);
		if (fd < 0)
			return fd;
	} else {
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
		if (fd < 0)
			return -errno;
	}
	nl = mnl_socket_fdopen(fd);
	if (!nl) {
		r = errno ? -errno : -ENOMEM;
		close(fd);
		return r;
	}
	if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		mnl_socket_close(nl);
		return r;
	}
	*out = nl;
	return 0;
}

static int nf_linkmon_on_dump(sd_event_source *s, int fd, uint32_t revents, void *userdata);

/* Open `dump` (in the namespace nsfd, or the caller's) with its I/O source. */
static int nf_linkmon_dump_open(struct nf_linkmon *m, int nsfd)
{
	int r;

	r = nf_linkmon_socket(nsfd, 0, &m->dump);
	if (r < 0)
		return r;
	r = sd_event_add_io(m->ev, &m->dump_src, mnl_socket_get_fd(m->dump), EPOLLIN,
	                    nf_linkmon_on_dump, m);
	if (r < 0) {
		mnl_socket_close(m->dump);
		m->dump = NULL;
		return r;
	}
	(void)sd_event_source_set_description(m->dump_src, "nf-linkmon-dump");
	m->dump_portid = mnl_socket_get_portid(m->dump);
	return 0;
}

static void nf_linkmon_dump_close(struct nf_linkmon *m)
{
	m->dump_src = sd_event_source_disable_unref(m->dump_src);
	if (m->dump)
		mnl_socket_close(m->dump);
	m->dump = NULL;
	m->dumping = false;
}

/* Send an RTM_GETLINK dump request on `dump` (re-opened if it failed before). */
static int nf_linkmon_dump_start(struct nf_linkmon *m)
{
	char req[MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct ifinfomsg))]
	    __attribute__((aligned(8)));
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int r;

	if (!m->dump) {
		r = nf_linkmon_dump_open(m, m->nsfd);
		if (r < 0)
			return r;
	}
	memset(req, 0, sizeof(req));
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++m->dump_seq;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	if (mnl_socket_sendto(m->dump, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		nf_linkmon_dump_close(m);
		return r;
	}
	m->dumping = true;
	m->dump_again = false;
	m->ntouched = 0;
	m->touched_overflow = false;
	return 0;
}

static int nf_linkmon_on_retry(sd_event_source *s, uint64_t usec, void *userdata);

/* Do the dump again in a little while (it failed; no loop spinning on it). */
static void nf_linkmon_retry_later(struct nf_linkmon *m)
{
	int r;

	if (m->retry_src)
		return;
	r = sd_event_add_time_relative(m->ev, &m->retry_src, CLOCK_MONOTONIC, NF_LINKMON_RETRY_US,
	                               10 * 1000, nf_linkmon_on_retry, m);
	if (r < 0)
		lib_err("linkmon: cannot schedule a link dump: %s", strerror(-r));
}

/* Start a dump that nobody can be told about the failure of: retry later. */
static void nf_linkmon_dump_or_retry(struct nf_linkmon *m)
{
	int r;

	if (m->dumping) {
		m->dump_again = true;
		return;
	}
	r = nf_linkmon_dump_start(m);
	if (r < 0) {
		lib_warn("linkmon: cannot start a link dump: %s", strerror(-r));
		nf_linkmon_retry_later(m);
	}
}

static int nf_linkmon_on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct nf_linkmon *m = userdata;

	m->retry_src = sd_event_source_disable_unref(m->retry_src);
	nf_linkmon_dump_or_retry(m);
	return 0;
}

/* End of a call-out section: free the monitor if it was destroyed meanwhile. */
static void nf_linkmon_leave(struct nf_linkmon *m)
{
	if (--m->busy == 0 && m->dead)
		free(m);
}

/* After an overflow: drop every queued event unread, up to the moment the
 * queue is empty. They are older than the dump that follows, and the events
 * that came after them are lost, so they could only contradict that dump. */
static void nf_linkmon_discard(struct nf_linkmon *m)
{
	long i;

	for (i = 0; i < NF_LINKMON_DISCARD_MAX; i++)
		if (mnl_socket_recvfrom(m->mon, m->buf, sizeof(m->buf)) < 0 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
}

/* Read and report what is queued on `mon`, up to a batch. Call inside busy. */
static void nf_linkmon_drain(struct nf_linkmon *m)
{
	ssize_t n;
	int i;

	for (i = 0; i < NF_LINKMON_BATCH && !m->dead; i++) {
		const struct nlmsghdr *nlh;
		int len;

		n = mnl_socket_recvfrom(m->mon, m->buf, sizeof(m->buf));
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				lib_warn("linkmon: netlink events lost (ENOBUFS), dumping all "
				         "links again");
				nf_linkmon_discard(m);
				nf_linkmon_dump_or_retry(m);
				break;
			}
			if (errno != EINTR)
				lib_warn("linkmon: netlink receive: %s", strerror(errno));
			continue;
		}
		len = (int)n;
		for (nlh = (const void *)m->buf; mnl_nlmsg_ok(nlh, len) && !m->dead;
		     nlh = mnl_nlmsg_next(nlh, &len))
			nf_linkmon_msg(m, nlh, false);
	}
}

static int nf_linkmon_on_mon(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct nf_linkmon *m = userdata;

	m->busy++;
	nf_linkmon_drain(m);
	nf_linkmon_leave(m);
	return 0;
}

/* Handle one datagram of the running dump: 1 more to come, 0 done, or -errno. */
static int nf_linkmon_dump_datagram(struct nf_linkmon *m, int len)
{
	const struct nlmsghdr *nlh;

	for (nlh = (const void *)m->buf; mnl_nlmsg_ok(nlh, len) && !m->dead;
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_seq != m->dump_seq || nlh->nlmsg_pid != m->dump_portid)
			continue; /* not ours: cannot happen, one dump at a time */
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			m->dump_again = true;
		if (nlh->nlmsg_type == NLMSG_DONE)
			return 0;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
				return -EPROTO;
			return e->error < 0 ? e->error : -EPROTO;
		}
		nf_linkmon_msg(m, nlh, true);
	}
	return 1;
}

static int nf_linkmon_on_dump(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct nf_linkmon *m = userdata;
	ssize_t n;
	int r;

	m->busy++;
	/* the events queued before this dump datagram are reported first */
	nf_linkmon_drain(m);
	if (m->dead || !m->dump)
		goto out;
	n = mnl_socket_recvfrom(m->dump, m->buf, sizeof(m->buf));
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			goto out;
		r = -errno;
	} else {
		r = nf_linkmon_dump_datagram(m, (int)n);
		if (m->dead || r > 0)
			goto out;
	}
	m->dumping = false;
	if (r < 0) {
		lib_warn("linkmon: link dump failed: %s", strerror(-r));
		nf_linkmon_dump_close(m);
		m->dump_again = false;
		nf_linkmon_retry_later(m);
	} else if (m->dump_again) {
		nf_linkmon_dump_or_retry(m);
	}
out:
	nf_linkmon_leave(m);
	return 0;
}

static void nf_linkmon_release(struct nf_linkmon *m)
{
	m->mon_src = sd_event_source_disable_unref(m->mon_src);
	m->retry_src = sd_event_source_disable_unref(m->retry_src);
	nf_linkmon_dump_close(m);
	if (m->mon)
		mnl_socket_close(m->mon);
	m->mon = NULL;
	if (m->nsfd >= 0)
		close(m->nsfd);
	m->nsfd = -1;
}

static int nf_linkmon_set_rcvbuf(int fd)
{
	int sz = NF_LINKMON_RCVBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) == 0)
		return 0;
	return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) < 0 ? -errno : 0;
}

static int nf_linkmon_initial_cb(const struct nlmsghdr *nlh, void *data)
{
	/* no asynchronous dump runs yet: nothing to mark or skip */
	nf_linkmon_msg(data, nlh, false);
	return MNL_CB_OK;
}

/* The synchronous initial dump, on a short-lived socket with a receive timeout. */
static int nf_linkmon_initial_dump(struct nf_linkmon *m)
{
	struct nf_nl *nl;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int i, r;

	nl = malloc(sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	r = nf_nl_open(nl, -1);
	if (r < 0) {
		free(nl);
		return r;
	}
	/* -EINTR: NLM_F_DUMP_INTR, links came or went during the dump, which may
	 * then have missed one: dump again (links reported twice do no harm) */
	for (i = 0; i < NF_LINKMON_INTR_TRIES; i++) {
		nlh = nf_nl_msg(nl, RTM_GETLINK, NLM_F_DUMP);
		ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
		ifi->ifi_family = AF_UNSPEC;
		r = nf_nl_talk(nl, nlh, nf_linkmon_initial_cb, m);
		if (r != -EINTR)
			break;
		/* a fresh socket: the rest of the interrupted dump is still queued */
		nf_nl_close(nl);
		r = nf_nl_open(nl, -1);
		if (r < 0)
			break;
	}
	nf_nl_close(nl);
	free(nl);
	return r;
}

int nf_linkmon_create(sd_event *ev, nf_linkmon_fn fn, void *arg, struct nf_linkmon **out)
{
	struct nf_linkmon *m;
	int r;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!ev || !fn)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->ev = ev;
	m->fn = fn;
	m->arg = arg;
	m->nsfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	r = m->nsfd < 0 ? -errno : 0;
	if (r >= 0)
		r = nf_linkmon_socket(-1, RTMGRP_LINK, &m->mon);
	if (r >= 0)
		r = nf_linkmon_set_rcvbuf(mnl_socket_get_fd(m->mon));
	if (r >= 0)
		r = sd_event_add_io(ev, &m->mon_src, mnl_socket_get_fd(m->mon), EPOLLIN,
		                    nf_linkmon_on_mon, m);
	if (r >= 0)
		r = sd_event_source_set_priority(m->mon_src, SD_EVENT_PRIORITY_IMPORTANT);
	if (r >= 0)
		r = nf_linkmon_dump_open(m, -1);
	if (r >= 0)
		r = nf_linkmon_initial_dump(m);
	if (r < 0) {
		nf_linkmon_release(m);
		free(m);
		return r;
	}
	(void)sd_event_source_set_description(m->mon_src, "nf-linkmon");
	*out = m;
	return 0;
}

void nf_linkmon_destroy(struct nf_linkmon *m)
{
	if (!m || m->dead)
		return;
	nf_linkmon_release(m);
	if (m->busy)
		m->dead = true;
	else
		free(m);
}

int nf_linkmon_refresh(struct nf_linkmon *m)
{
	if (!m || m->dead)
		return -EINVAL;
	if (m->dumping) {
		m->dump_again = true;
		return 0;
	}
	return nf_linkmon_dump_start(m);
}
