/*
 * test_netfail_mon.c - port monitoring for real: nf_linkmon (rtnetlink events)
 * and nf_probe (ARP / neighbour-solicitation probes), plus nf_pkt's frames.
 *
 * Must run as root. The test process stays in the root namespace (the
 * monitor watches it, the probes send from it) and builds, with netfail's own
 * rtnetlink helpers (no command is run):
 *
 *   root ns: nfm-l0 ==veth== nfm-l1  \
 *                                      namespace nfm-tgt, where nfm-t0 holds
 *   root ns: nfm-p0 ==veth== nfm-t0  /  192.0.2.241/24 and 2001:db8:fe::241/64
 *
 * nfm-p0, the probed port, has no address at all (IPv6 disabled on it), as a
 * node's port whose VIPs are macvlans in other namespaces. Carrier changes of
 * nfm-l0 are made by setting its peer down and up. Everything named nfm-* is
 * removed in teardown, and before setup in case a previous run died. Other
 * links of the root namespace (someone else's lab) are only ever read.
 *
 * The overflow test floods nfm-tgt only, with a monitor made inside it.
 * Timings measured here are printed as "# ..." lines. Two runs of this test
 * (two builds, two people) would fight over the names: a lock file
 * (/run/nfm-test.lock) makes the second one wait.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <linux/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netfail/nf_linkmon.h"
#include "netfail/nf_netns.h"
#include "netfail/nf_nl.h"
#include "netfail/nf_pkt.h"
#include "netfail/nf_probe.h"

#define NS_TGT "nfm-tgt"
#define TGT_V4 "192.0.2.241"
#define TGT_V6 "2001:db8:fe::241"
#define ABSENT_V4 "192.0.2.242"
#define PROBE_INTERVAL 50
#define PROBE_MISSES 3
#define TRIES 5

#define LOCK_FILE "/run/nfm-test.lock"

struct fx {
	sd_event *ev; /* one per test: what a failed test leaves is never run again */
	int ns_tgt;   /* fd of nfm-tgt */
	int lock;     /* flock of LOCK_FILE: one run of this test at a time */
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---------- rtnetlink helpers of the test (nsfd -1: the root namespace) ---------- */

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

static int bridge_create(const char *name)
{
	struct nf_nl nl;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nlattr *info;
	int r;

	r = nf_nl_open(&nl, -1);
	if (r < 0)
		return r;
	nlh = nf_nl_msg(&nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	r = nf_nl_talk(&nl, nlh, NULL, NULL);
	nf_nl_close(&nl);
	return r;
}

/* Set a link (by name, in namespace nsfd) up or down; or give it a master
 * (master >= 0: that ifindex, 0 = none) leaving its flags alone. */
static int link_change(int nsfd, const char *name, int up, int master)
{
	struct nf_nl nl;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int r;

	r = nf_nl_open(&nl, nsfd);
	if (r < 0)
		return r;
	nlh = nf_nl_msg(&nl, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (master >= 0) {
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	} else {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = up ? IFF_UP : 0;
	}
	r = nf_nl_talk(&nl, nlh, NULL, NULL);
	nf_nl_close(&nl);
	return r;
}

static int link_set(int nsfd, const char *name, int up)
{
	return link_change(nsfd, name, up, -1);
}

static int link_del(int nsfd, const char *name)
{
	struct nf_nl nl;
	int r;

	r = nf_nl_open(&nl, nsfd);
	if (r < 0)
		return r;
	r = nf_nl_dellink(&nl, name, 0);
	nf_nl_close(&nl);
	return r;
}

static int link_index(int nsfd, const char *name)
{
	struct nf_nl nl;
	struct nf_nl_link l;
	int r;

	r = nf_nl_open(&nl, nsfd);
	if (r < 0)
		return r;
	r = nf_nl_getlink(&nl, name, 0, &l);
	nf_nl_close(&nl);
	return r < 0 ? r : l.ifindex;
}

/* Add (add 1) or delete (add 0) an address of link `name` in namespace nsfd. */
static int addr_change(int nsfd, const char *name, int family, const char *addr, int prefix,
                       int add)
{
	unsigned char b[16];
	struct nf_nl nl;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int r, idx;

	if (inet_pton(family, addr, b) != 1)
		return -EINVAL;
	idx = link_index(nsfd, name);
	if (idx < 0)
		return idx;
	r = nf_nl_open(&nl, nsfd);
	if (r < 0)
		return r;
	if (add) {
		r = nf_nl_addaddr(&nl, idx, family, b, prefix);
	} else {
		nlh = nf_nl_msg(&nl, RTM_DELADDR, 0);
		ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
		ifa->ifa_family = (unsigned char)family;
		ifa->ifa_prefixlen = (unsigned char)prefix;
		ifa->ifa_index = (unsigned int)idx;
		mnl_attr_put(nlh, IFA_LOCAL, family == AF_INET ? 4 : 16, b);
		r = nf_nl_talk(&nl, nlh, NULL, NULL);
	}
	nf_nl_close(&nl);
	return r;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int r = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		r = -errno;
	else if ((size_t)n != strlen(text))
		r = -EIO;
	close(fd);
	return r;
}

/* ---------- event loop ---------- */

typedef bool (*pred_fn)(const void *arg);

/* Run the loop until pred(arg) or timeout_ms; 0, or -ETIMEDOUT. Never hangs. */
static int run_until(sd_event *ev, pred_fn pred, const void *arg, int timeout_ms)
{
	long long end = now_ns() + (long long)timeout_ms * 1000000;

	while (!pred(arg)) {
		long long left = end - now_ns();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = sd_event_run(ev, (uint64_t)(left < 50000000 ? left : 50000000) / 1000);
		assert_true(r >= 0);
	}
	return 0;
}

static bool never(const void *arg)
{
	return false;
}

static void run_for(sd_event *ev, int ms)
{
	assert_int_equal(run_until(ev, never, NULL, ms), -ETIMEDOUT);
}

/* Dispatch whatever is pending now. */
static void run_pending(sd_event *ev)
{
	int i, r;

	for (i = 0; i < 10000; i++) {
		r = sd_event_run(ev, 0);
		assert_true(r >= 0);
		if (r == 0)
			return;
	}
}

/* ---------- fixture ---------- */

static void cleanup_all(void)
{
	static const char *const links[] = {"nfm-l0", "nfm-p0", "nfm-br"};
	size_t i;

	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		int r = link_del(-1, links[i]);

		if (r < 0 && r != -ENODEV)
			fprintf(stderr, "cleanup: delete %s: %s\n", links[i], strerror(-r));
	}
	if (nf_netns_exists(NS_TGT) == 1) {
		int r = nf_netns_delete(NS_TGT);

		if (r < 0)
			fprintf(stderr, "cleanup: netns %s: %s\n", NS_TGT, strerror(-r));
	}
}

static int group_teardown(void **state)
{
	struct fx *fx = *state;

	cleanup_all();
	if (fx) {
		if (fx->ns_tgt >= 0)
			close(fx->ns_tgt);
		if (fx->lock >= 0)
			close(fx->lock);
		free(fx);
	}
	return 0;
}

/* Another run of this test (another build, another engineer's `make test`)
 * uses the same names: wait for it, at most 5 minutes. */
static int take_lock(void)
{
	int fd = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600), i;

	if (fd < 0)
		return -errno;
	for (i = 0; i < 3000; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK)
			break;
		if (i == 0)
			fprintf(stderr, "waiting for another run of this test (%s)\n", LOCK_FILE);
		usleep(100000);
	}
	close(fd);
	return -ETIMEDOUT;
}

static int group_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	int r;

	*state = fx;
	if (!fx)
		return -1;
	fx->ns_tgt = -1;
	fx->lock = take_lock();
	if (fx->lock < 0) {
		fprintf(stderr, "setup failed: lock: %s\n", strerror(-fx->lock));
		free(fx);
		*state = NULL;
		return -1;
	}
	cleanup_all();
	r = nf_netns_create(NS_TGT);
	if (!r) {
		fx->ns_tgt = nf_netns_open(NS_TGT);
		r = fx->ns_tgt < 0 ? fx->ns_tgt : 0;
	}
	if (r) {
		fprintf(stderr, "setup failed: %s\n", strerror(-r));
		group_teardown(state);
		*state = NULL;
		return -1;
	}
	return 0;
}

/* A fresh event loop for each test. */
static int loop_setup(void **state)
{
	struct fx *fx = *state;

	fx->ev = NULL;
	return sd_event_new(&fx->ev) < 0 ? -1 : 0;
}

static int loop_teardown(void **state)
{
	struct fx *fx = *state;

	fx->ev = sd_event_unref(fx->ev);
	return 0;
}

/* nfm-l0 (root) <-> nfm-l1 (nfm-tgt), both up. */
static int link_setup(void **state)
{
	struct fx *fx = *state;
	int r;

	if (loop_setup(state) < 0)
		return -1;
	(void)link_del(-1, "nfm-l0");
	(void)link_del(-1, "nfm-br");
	r = veth_create("nfm-l0", "nfm-l1", fx->ns_tgt);
	if (!r)
		r = link_set(-1, "nfm-l0", 1);
	if (!r)
		r = link_set(fx->ns_tgt, "nfm-l1", 1);
	if (r)
		fprintf(stderr, "link setup failed: %s\n", strerror(-r));
	return r ? -1 : 0;
}

static int link_teardown(void **state)
{
	(void)link_del(-1, "nfm-l0");
	(void)link_del(-1, "nfm-br");
	return loop_teardown(state);
}

/* nfm-p0 (root, no address) <-> nfm-t0 (nfm-tgt, the target's addresses). */
static int probe_net_up(int ns_tgt)
{
	int r;

	r = veth_create("nfm-p0", "nfm-t0", ns_tgt);
	if (!r)
		r = write_file("/proc/sys/net/ipv6/conf/nfm-p0/disable_ipv6", "1");
	if (!r)
		r = link_set(-1, "nfm-p0", 1);
	if (!r)
		r = link_set(ns_tgt, "nfm-t0", 1);
	if (!r)
		r = addr_change(ns_tgt, "nfm-t0", AF_INET, TGT_V4, 24, 1);
	if (!r)
		r = addr_change(ns_tgt, "nfm-t0", AF_INET6, TGT_V6, 64, 1);
	return r;
}

static int probe_setup(void **state)
{
	struct fx *fx = *state;
	int r;

	if (loop_setup(state) < 0)
		return -1;
	(void)link_del(-1, "nfm-p0");
	r = probe_net_up(fx->ns_tgt);
	if (r)
		fprintf(stderr, "probe setup failed: %s\n", strerror(-r));
	return r ? -1 : 0;
}

static int probe_teardown(void **state)
{
	(void)link_del(-1, "nfm-p0");
	return loop_teardown(state);
}

/* ---------- nf_linkmon ---------- */

/* What the monitor said about one link (by name), and about all of them. */
struct lrec {
	const char *name;
	int ifindex; /* if not 0: follow the link by index instead, whatever its name */
	int nrep;    /* reports of `name` */
	int ngone;
	struct nf_link last;
	long long t_ns; /* when the last report of `name` came */
	int nall;
	int nloop; /* reports of "lo": must stay 0 */
	int nbad;  /* reports without a name or index */
	struct nf_linkmon *self;
	bool destroy_on_next; /* destroy `self` at the next report of `name` */
	int after_destroy;    /* reports after that (must stay 0) */
	bool destroyed;
};

static void lrec_fn(const struct nf_link *l, void *arg)
{
	struct lrec *r = arg;

	if (r->destroyed)
		r->after_destroy++;
	r->nall++;
	if (!strcmp(l->name, "lo"))
		r->nloop++;
	if (l->ifindex <= 0 || !l->name[0])
		r->nbad++;
	if (r->ifindex ? l->ifindex != r->ifindex : strcmp(l->name, r->name) != 0)
		return;
	r->nrep++;
	r->last = *l;
	r->t_ns = now_ns();
	if (l->gone)
		r->ngone++;
	if (r->destroy_on_next) {
		r->destroy_on_next = false;
		r->destroyed = true;
		nf_linkmon_destroy(r->self);
		r->self = NULL;
	}
}

static bool lrec_carrier(const void *arg)
{
	const struct lrec *r = arg;

	return r->nrep > 0 && !r->last.gone && r->last.carrier && r->last.operstate == IF_OPER_UP;
}

static bool lrec_no_carrier(const void *arg)
{
	const struct lrec *r = arg;

	return r->nrep > 0 && !r->last.carrier;
}

static bool lrec_gone(const void *arg)
{
	const struct lrec *r = arg;

	return r->ngone > 0;
}

static bool lrec_any(const void *arg)
{
	const struct lrec *r = arg;

	return r->nrep > 0;
}

static void test_linkmon_args(void **state)
{
	struct fx *fx = *state;
	struct nf_linkmon *m = (void *)1;
	struct lrec r = {.name = "nfm-l0"};

	assert_int_equal(nf_linkmon_create(NULL, lrec_fn, &r, &m), -EINVAL);
	assert_null(m);
	assert_int_equal(nf_linkmon_create(fx->ev, NULL, &r, &m), -EINVAL);
	assert_int_equal(nf_linkmon_refresh(NULL), -EINVAL);
	nf_linkmon_destroy(NULL);
}

static void test_linkmon_initial_dump(void **state)
{
	struct fx *fx = *state;
	struct nf_linkmon *m = NULL;
	struct lrec r = {.name = "nfm-l0"};
	int idx = link_index(-1, "nfm-l0");

	assert_true(idx > 0);
	assert_int_equal(nf_linkmon_create(fx->ev, lrec_fn, &r, &m), 0);
	assert_non_null(m);
	/* before the loop ever ran */
	assert_int_equal(r.nrep, 1);
	assert_int_equal(r.last.ifindex, idx);
	assert_string_equal(r.last.name, "nfm-l0");
	assert_true(r.last.admin_up);
	assert_false(r.last.gone);
	assert_int_equal(r.nloop, 0);
	assert_int_equal(r.nbad, 0);
	assert_true(r.nall >= 2); /* nfm-l0 and at least the host's own port */
	nf_linkmon_destroy(m);
}

static void test_linkmon_carrier(void **state)
{
	struct fx *fx = *state;
	struct nf_linkmon *m = NULL;
	struct lrec r = {.name = "nfm-l0"};
	int idx = link_index(-1, "nfm-l0");
	long long sum_down = 0, sum_up = 0, max_down = 0, max_up = 0;
	int i;

	assert_true(idx > 0);
	assert_int_equal(nf_linkmon_create(fx->ev, lrec_fn, &r, &m), 0);
	assert_int_equal(run_until(fx->ev, lrec_carrier, &r, 2000), 0);
	for (i = 0; i < TRIES; i++) {
		long long t0, d;

		run_pending(fx->ev);
		t0 = now_ns();
		assert_int_equal(link_set(fx->ns_tgt, "nfm-l1", 0), 0);
		assert_int_equal(run_until(fx->ev, lrec_no_carrier, &r, 2000), 0);
		d = r.t_ns - t0;
		sum_down += d;
		max_down = d > max_down ? d : max_down;
		assert_int_equal(r.last.ifindex, idx);
		assert_string_equal(r.last.name, "nfm-l0");
		assert_true(r.last.admin_up);
		assert_false(r.last.gone);
		assert_int_not_equal(r.last.operstate, IF_OPER_UP);

		run_pending(fx->ev);
		t0 = now_ns();
		assert_int_equal(link_set(fx->ns_tgt, "nfm-l1", 1), 0);
		assert_int_equal(run_until(fx->ev, lrec_carrier, &r, 2000), 0);
		d = r.t_ns - t0;
		sum_up += d;
		max_up = d > max_up ? d : max_up;
		assert_int_equal(r.last.ifindex, idx);
		assert_true(r.last.admin_up);
	}
	printf("# linkmon: peer down -> callback (carrier off): avg %.3f ms, max %.3f ms (%d "
	       "tries)\n",
	       sum_down / 1e6 / TRIES, max_down / 1e6, TRIES);
	printf("# linkmon: peer up -> callback (carrier on): avg %.3f ms, max %.3f ms (%d tries)\n",
	       sum_up / 1e6 / TRIES, max_up / 1e6, TRIES);
	assert_true(max_down < 500 * 1000000LL);
	nf_linkmon_destroy(m);
}

/* A plain RTMGRP_LINK listener of the test's own. */
static int test_listener(struct mnl_socket **out)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
		int r = -errno;

		mnl_socket_close(nl);
		return r;
	}
	*out = nl;
	return 0;
}

struct seen {
	int ifindex;
	int found;
};

static int seen_cb(const struct nlmsghdr *nlh, void *data)
{
	struct seen *s = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type == RTM_NEWLINK && ifi->ifi_family == AF_UNSPEC &&
	    ifi->ifi_index == s->ifindex && !(ifi->ifi_flags & IFF_LOWER_UP))
		s->found = 1;
	return MNL_CB_OK;
}

/* Wait up to 2 s for the kernel to broadcast "ifindex has no carrier". */
static int listener_wait_down(struct mnl_socket *nl, int ifindex)
{
	char buf[32768] __attribute__((aligned(8)));
	struct seen s = {ifindex, 0};
	long long end = now_ns() + 2000000000LL;

	while (!s.found) {
		struct pollfd p = {.fd = mnl_socket_get_fd(nl), .events = POLLIN};
		long long left = end - now_ns();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)(left / 1000000) + 1) <= 0)
			return -ETIMEDOUT;
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		(void)mnl_cb_run(buf, (size_t)n, 0, 0, seen_cb, &s);
	}
	return 0;
}

/* The report is made in the dispatch of the netlink socket itself: once the
 * kernel has broadcast the change, ONE loop iteration reports it. */
static void test_linkmon_one_iteration(void **state)
{
	struct fx *fx = *state;
	struct nf_linkmon *m = NULL;
	struct mnl_socket *nl = NULL;
	struct lrec r = {.name = "nfm-l0"};
	int idx = link_index(-1, "nfm-l0");
	int i;

	assert_true(idx > 0);
	assert_int_equal(nf_linkmon_create(fx->ev, lrec_fn, &r, &m), 0);
	assert_int_equal(run_until(fx->ev, lrec_carrier, &r, 2000), 0);
	for (i = 0; i < TRIES; i++) {
		assert_int_equal(test_listener(&nl), 0);
		run_pending(fx->ev);
		assert_true(lrec_carrier(&r));
		assert_int_equal(link_set(fx->ns_tgt, "nfm-l1", 0), 0);
		assert_int_equal(listener_wait_down(nl, idx), 0);
		/* one iteration, allowed to wait for the fd (the broadcast reaches
		 * the two sockets one after the other) */
		assert_true(sd_event_run(fx->ev, 1000000) > 0);
		assert_true(lrec_no_carrier(&r));
		assert_int_equal(r.last.ifindex, idx);
		mnl_socket_close(nl);
		assert_int_equal(link_set(fx->ns_tgt, "nfm-l1", 1), 0);
		assert_int_equal(run_until(fx->ev, lrec_carrier, &r, 2000), 0);
	}
	nf_linkmon_destroy(m);
}

static void test_linkmon_gone(void **state)
{
	struct fx *fx = *state;
	struct nf_linkmon *m = NULL;
	struct lrec r = {.name = "nfm-l0"};
	int idx = link_index(-1, "nfm-l0");

	assert_true(idx > 0);
	assert_int_equal(nf_linkmon_create(fx->ev, lrec_fn, &r, &m), 0);
	run_pending(fx->ev);
	assert_int_equal(r.ngone, 0);
	assert_int_equal(link_del(-1, "nfm-l0"), 0);
	assert_int_equal(run_until(fx->ev, lrec_gone, &r, 2000), 0);
	assert_true(r.last.gone);
	assert_int_equal(r.last.ifindex, idx);
	assert_string_equal(r.last.name, "nfm-l0");
	assert_false(r.last.carrier);
	assert_false(r.last.admin_up);
	assert_int_equal(r.nloop, 0);
	assert_int_equal(r.nbad, 0);
	nf_linkmon_destroy(m);
}

/* Leaving a bridge makes the kernel send an AF_BRIDGE RTM_DELLINK for the port:
 * that is not the link going away. */
static void test_linkmon_bridge_port(void **state)
{
	struct fx *fx = *state;
	struct nf_linkmon *m = NULL;
	struct lrec r = {.name = "nfm-l0"}, rb = {.name = "nfm-br"};
	int br;

	assert_int_equal(bridge_create("nfm-br"), 0);
	br = link_index(-1, "nfm-br");
	assert_true(br > 0);
	assert_int_equal(nf_linkmon_create(fx->ev, lrec_fn, &r, &m), 0);
	run_pending(fx->ev);
	r.nrep = 0;
	assert_int_equal(link_change(-1, "nfm-l0", 0, br), 0);
	assert_int_equal(run_until(fx->ev, lrec_any, &r, 2000), 0);
	assert_int_equal(link_change(-1, "nfm-l0", 0, 0), 0);
	run_for(fx->ev, 200);
	assert_int_equal(r.ngone, 0);
	assert_false(r.last.gone);
	nf_linkmon_destroy(m);

	/* and the bridge itself, deleted, is gone */
	assert_int_equal(nf_linkmon_create(fx->ev, lrec_fn, &rb, &m), 0);
	assert_int_equal(rb.nrep, 1);
	assert_int_equal(link_del(-1, "nfm-br"), 0);
	assert_int_equal(run_until(fx->ev, lrec_gone, &rb, 2000), 0);
	assert_int_equal(rb.last.ifindex, br);
	nf_linkmon_destroy(m);
}

static bool lrec_two(const void *arg)
{
	const struct lrec *r = arg;

	return r->nrep >= 2;
}

/* Send n broadcast frames out of `ifname` (to raise its tx counters). */
static int send_frames(const char *ifname, int n)
{
	unsigned char f[NF_PKT_ETH_ZLEN];
	static const unsigned char mac[6] = {0x02, 0x4e, 0x46, 0x4d, 0, 1};
	static const unsigned char ip[4] = {192, 0, 2, 249};
	struct sockaddr_ll sll;
	int fd, i, r = 0;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = link_index(-1, ifname);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		r = -errno;
	nf_pkt_arp_probe(f, mac, ip);
	for (i = 0; !r && i < n; i++)
		if (send(fd, f, sizeof(f), 0) != (ssize_t)sizeof(f))
			r = -errno;
	close(fd);
	return r;
}

static void test_linkmon_refresh(void **state)
{
	struct fx *fx = *state;
	struct nf_linkmon *m = NULL;
	struct lrec r = {.name = "nfm-l0"};
	uint64_t tx0;
	long long t0;

	assert_int_equal(nf_linkmon_create(fx->ev, lrec_fn, &r, &m), 0);
	assert_int_equal(run_until(fx->ev, lrec_carrier, &r, 2000), 0);
	run_for(fx->ev, 100);
	tx0 = r.last.tx_packets;
	assert_int_equal(send_frames("nfm-l0", 10), 0);
	r.nrep = 0;
	t0 = now_ns();
	assert_int_equal(nf_linkmon_refresh(m), 0);
	assert_int_equal(r.nrep, 0); /* asynchronous */
	assert_int_equal(run_until(fx->ev, lrec_any, &r, 2000), 0);
	printf("# linkmon: refresh -> report: %.3f ms\n", (now_ns() - t0) / 1e6);
	assert_true(r.last.tx_packets >= tx0 + 10);
	assert_true(r.last.tx_bytes >= 10 * NF_PKT_ETH_ZLEN);
	assert_true(r.last.carrier);
	/* requests while one runs are folded into one more dump */
	run_for(fx->ev, 200); /* the end of the first one */
	r.nrep = 0;
	assert_int_equal(nf_linkmon_refresh(m), 0);
	assert_int_equal(nf_linkmon_refresh(m), 0);
	assert_int_equal(nf_linkmon_refresh(m), 0);
	assert_int_equal(run_until(fx->ev, lrec_two, &r, 2000), 0);
	run_for(fx->ev, 200);
	assert_int_equal(r.nrep, 2);
	assert_int_equal(r.nloop, 0);
	nf_linkmon_destroy(m);
}

/* Create a monitor of namespace nsfd (the thread visits it for the call). */
static int linkmon_create_in(int nsfd, sd_event *ev, struct lrec *r, struct nf_linkmon **m)
{
	int orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), rc;

	if (orig < 0)
		return -errno;
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		rc = -errno;
		close(orig);
		return rc;
	}
	rc = nf_linkmon_create(ev, lrec_fn, r, m);
	if (setns(orig, CLONE_NEWNET) < 0)
		abort(); /* every later step would run in the wrong namespace */
	close(orig);
	return rc;
}

/* A monitor stays in the namespace it was made in, refreshes included. */
static void test_linkmon_other_namespace(void **state)
{
	struct fx *fx = *state;
	struct nf_linkmon *m = NULL;
	struct lrec r = {.name = "nfm-l1"}, r0 = {.name = "nfm-l0"};
	int idx = link_index(fx->ns_tgt, "nfm-l1");

	assert_true(idx > 0);
	assert_int_equal(linkmon_create_in(fx->ns_tgt, fx->ev, &r, &m), 0);
	assert_int_equal(r.nrep, 1);
	assert_int_equal(r.last.ifindex, idx);
	assert_int_equal(r.nall, 1); /* nfm-l1 is all there is besides lo */
	assert_int_equal(run_until(fx->ev, lrec_carrier, &r, 2000), 0);
	r.nrep = 0;
	assert_int_equal(nf_linkmon_refresh(m), 0);
	assert_int_equal(run_until(fx->ev, lrec_any, &r, 2000), 0);
	assert_int_equal(r.last.ifindex, idx);
	assert_int_equal(link_set(-1, "nfm-l0", 0), 0);
	assert_int_equal(run_until(fx->ev, lrec_no_carrier, &r, 2000), 0);
	assert_int_equal(r.nloop + r0.nrep, 0);
	nf_linkmon_destroy(m);
}

/* Overflow the event socket: events are lost (ENOBUFS), the monitor dumps all
 * links again by itself, so the last report is the truth. Done in nfm-tgt, a
 * namespace of our own, not to flood anyone else's listeners. */
static void test_linkmon_enobufs(void **state)
{
	struct fx *fx = *state;
	struct nf_linkmon *m = NULL;
	struct lrec r = {.name = "nfm-l1"};
	struct nf_nl nl;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int idx = link_index(fx->ns_tgt, "nfm-l1"), i, n = 0, rc = 0;
	long long t0;

	assert_true(idx > 0);
	r.ifindex = idx;
	assert_int_equal(linkmon_create_in(fx->ns_tgt, fx->ev, &r, &m), 0);
	run_pending(fx->ev);
	r.nrep = 0;
	/* up/down flips without running the loop, until well past 32 MB of
	 * events (SO_RCVBUFFORCE 16 MB, doubled by the kernel) */
	t0 = now_ns();
	assert_int_equal(nf_nl_open(&nl, fx->ns_tgt), 0);
	for (i = 0; i < 20000 && !rc; i++) {
		nlh = nf_nl_msg(&nl, RTM_NEWLINK, 0);
		ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
		ifi->ifi_family = AF_UNSPEC;
		ifi->ifi_index = idx;
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = i % 2 ? IFF_UP : 0;
		rc = nf_nl_talk(&nl, nlh, NULL, NULL);
		n++;
	}
	assert_int_equal(rc, 0);
	/* the last change, down and renamed: only a fresh dump can tell it */
	nlh = nf_nl_msg(&nl, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = idx;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "nfm-l9");
	assert_int_equal(nf_nl_talk(&nl, nlh, NULL, NULL), 0);
	nf_nl_close(&nl);
	printf("# linkmon: %d link changes made in %.0f ms\n", n, (now_ns() - t0) / 1e6);
	t0 = now_ns();
	run_for(fx->ev, 1000);
	printf("# linkmon: after the overflow, %d report(s) of the link, the last one %.1f ms "
	       "after the loop ran again: %s, %s\n",
	       r.nrep, (r.t_ns - t0) / 1e6, r.last.name, r.last.admin_up ? "up" : "down");
	assert_true(r.nrep < n); /* events were lost */
	assert_string_equal(r.last.name, "nfm-l9");
	assert_false(r.last.admin_up);
	assert_false(r.last.gone);
	nf_linkmon_destroy(m);
}

/* The callback may destroy the monitor, events pending or not. */
static void test_linkmon_destroy_in_callback(void **state)
{
	struct fx *fx = *state;
	struct lrec r = {.name = "nfm-l0"};

	assert_int_equal(nf_linkmon_create(fx->ev, lrec_fn, &r, &r.self), 0);
	run_pending(fx->ev);
	/* an event, then a refresh in flight too */
	r.destroy_on_next = true;
	assert_int_equal(link_set(fx->ns_tgt, "nfm-l1", 0), 0);
	assert_int_equal(nf_linkmon_refresh(r.self), 0);
	assert_int_equal(link_set(fx->ns_tgt, "nfm-l1", 1), 0);
	run_for(fx->ev, 300);
	assert_true(r.destroyed);
	assert_null(r.self);
	assert_int_equal(r.after_destroy, 0);
}

/* ---------- nf_probe ---------- */

struct prec {
	int nfail, npass;
	long long t_ns; /* of the last verdict */
	char port[16];
	struct nf_probe *self;
	bool destroy_on_verdict;
	bool destroyed;
};

static void prec_fn(const char *port, bool passing, void *arg)
{
	struct prec *r = arg;

	snprintf(r->port, sizeof(r->port), "%s", port);
	if (passing)
		r->npass++;
	else
		r->nfail++;
	r->t_ns = now_ns();
	if (r->destroy_on_verdict) {
		r->destroyed = true;
		nf_probe_destroy(r->self);
		r->self = NULL;
	}
}

struct pwait {
	const struct prec *r;
	int nfail, npass;
};

static bool pwait_done(const void *arg)
{
	const struct pwait *w = arg;

	return w->r->nfail >= w->nfail && w->r->npass >= w->npass;
}

static int wait_verdicts(sd_event *ev, const struct prec *r, int nfail, int npass, int ms)
{
	struct pwait w = {r, nfail, npass};

	return run_until(ev, pwait_done, &w, ms);
}

static void test_probe_args(void **state)
{
	struct fx *fx = *state;
	struct nf_probe *p = (void *)1;
	struct prec r = {0};
	struct nf_probe_opts o = {
	    .port = "nfm-p0", .target = TGT_V4, .interval_ms = 50, .misses = 3};
	static const char *const bad[] = {
	    "",          "nonsense", "192.0.2", "0.0.0.0", "255.255.255.255", "224.0.0.1",
	    "127.0.0.1", "::",       "::1",     "ff02::1", "fe80::1%lo",      "192.0.2.241/24"};
	size_t i;

	assert_int_equal(nf_probe_create(fx->ev, NULL, prec_fn, &r, &p), -EINVAL);
	assert_null(p);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.target = bad[i];
		assert_int_equal(nf_probe_create(fx->ev, &o, prec_fn, &r, &p), -EINVAL);
	}
	o.target = NULL;
	assert_int_equal(nf_probe_create(fx->ev, &o, prec_fn, &r, &p), -EINVAL);
	o.target = TGT_V4;
	o.interval_ms = 49;
	assert_int_equal(nf_probe_create(fx->ev, &o, prec_fn, &r, &p), -EINVAL);
	o.interval_ms = 50;
	o.misses = 0;
	assert_int_equal(nf_probe_create(fx->ev, &o, prec_fn, &r, &p), -EINVAL);
	o.misses = 3;
	o.port = "nfm-nosuchport00";
	assert_int_equal(nf_probe_create(fx->ev, &o, prec_fn, &r, &p), -EINVAL); /* > 15 chars */
	o.port = "nfm-nope";
	assert_int_equal(nf_probe_create(fx->ev, &o, prec_fn, &r, &p), -ENODEV);
	o.port = "";
	assert_int_equal(nf_probe_create(fx->ev, &o, prec_fn, &r, &p), -EINVAL);
	o.port = "lo"; /* not Ethernet */
	assert_int_equal(nf_probe_create(fx->ev, &o, prec_fn, &r, &p), -EOPNOTSUPP);
	assert_null(p);
	nf_probe_destroy(NULL);
	assert_false(nf_probe_passing(NULL));
	assert_int_equal(r.nfail + r.npass, 0);
}

static struct nf_probe *probe_start(sd_event *ev, const char *target, struct prec *r)
{
	struct nf_probe_opts o = {.port = "nfm-p0",
	                          .target = target,
	                          .interval_ms = PROBE_INTERVAL,
	                          .misses = PROBE_MISSES};
	struct nf_probe *p = NULL;

	assert_int_equal(nf_probe_create(ev, &o, prec_fn, r, &p), 0);
	assert_non_null(p);
	return p;
}

/* A probe that passes, fails when the target goes, passes when it is back:
 * first by removing the address, then by setting the target's link down. */
static void probe_cycle(struct fx *fx, int family, const char *target, int prefix)
{
	struct prec r = {0};
	struct nf_probe *p;
	long long t0, fail_ms = 0, pass_ms = 0;
	int i, rc;

	p = probe_start(fx->ev, target, &r);
	assert_true(nf_probe_passing(p));
	run_for(fx->ev, 10 * PROBE_INTERVAL);
	assert_true(nf_probe_answers(p) >= 5);
	assert_true(nf_probe_passing(p));
	assert_int_equal(nf_probe_missed(p), 0);
	assert_int_equal(r.nfail + r.npass, 0);

	for (i = 0; i < 2; i++) {
		uint64_t answers;

		t0 = now_ns();
		if (i == 0)
			assert_int_equal(
			    addr_change(fx->ns_tgt, "nfm-t0", family, target, prefix, 0), 0);
		else
			assert_int_equal(link_set(fx->ns_tgt, "nfm-t0", 0), 0);
		assert_int_equal(wait_verdicts(fx->ev, &r, i + 1, i, 3000), 0);
		fail_ms = (r.t_ns - t0) / 1000000;
		assert_false(nf_probe_passing(p));
		assert_string_equal(r.port, "nfm-p0");
		assert_true(nf_probe_missed(p) >= PROBE_MISSES);
		/* between misses-1 and misses+1 intervals, plus scheduling slack */
		assert_true(fail_ms >= (PROBE_MISSES - 1) * PROBE_INTERVAL);
		assert_true(fail_ms <= (PROBE_MISSES + 1) * PROBE_INTERVAL + 150);
		run_for(fx->ev, 3 * PROBE_INTERVAL);
		assert_int_equal(r.nfail, i + 1); /* reported once */
		answers = nf_probe_answers(p);

		t0 = now_ns();
		if (i == 1)
			assert_int_equal(link_set(fx->ns_tgt, "nfm-t0", 1), 0);
		/* IPv6 addresses go with the link going down: add it again */
		rc = addr_change(fx->ns_tgt, "nfm-t0", family, target, prefix, 1);
		assert_true(rc == 0 || rc == -EEXIST);
		assert_int_equal(wait_verdicts(fx->ev, &r, i + 1, i + 1, 3000), 0);
		pass_ms = (r.t_ns - t0) / 1000000;
		assert_true(nf_probe_passing(p));
		assert_int_equal(nf_probe_missed(p), 0);
		assert_true(nf_probe_answers(p) > answers);
		assert_true(pass_ms <= PROBE_INTERVAL + 150);
		printf("# probe %s, target %s: fails %lld ms after it, passes %lld ms after "
		       "it is back (interval %d ms, misses %d)\n",
		       i == 0 ? "address removed" : "peer link down", target, fail_ms, pass_ms,
		       PROBE_INTERVAL, PROBE_MISSES);
	}
	run_for(fx->ev, 3 * PROBE_INTERVAL);
	assert_int_equal(r.nfail, 2);
	assert_int_equal(r.npass, 2);
	nf_probe_destroy(p);
}

static void test_probe_v4(void **state)
{
	probe_cycle(*state, AF_INET, TGT_V4, 24);
}

static void test_probe_v6(void **state)
{
	probe_cycle(*state, AF_INET6, TGT_V6, 64);
}

/* A target nobody holds fails; a probe of the real target on the same port
 * is not fooled by it, nor it by the other's answers. */
static void test_probe_absent_target(void **state)
{
	struct fx *fx = *state;
	struct prec r1 = {0}, r2 = {0};
	struct nf_probe *p1, *p2;
	long long t0 = now_ns();

	p1 = probe_start(fx->ev, TGT_V4, &r1);
	p2 = probe_start(fx->ev, ABSENT_V4, &r2);
	assert_int_equal(wait_verdicts(fx->ev, &r2, 1, 0, 3000), 0);
	printf("# probe of an absent target: failed after %lld ms\n", (r2.t_ns - t0) / 1000000);
	run_for(fx->ev, 5 * PROBE_INTERVAL);
	assert_false(nf_probe_passing(p2));
	assert_int_equal(nf_probe_answers(p2), 0);
	assert_int_equal(r2.npass, 0);
	assert_true(nf_probe_passing(p1));
	assert_true(nf_probe_answers(p1) > 0);
	assert_int_equal(r1.nfail, 0);
	nf_probe_destroy(p2);
	nf_probe_destroy(p1);
}

/* The port disappears, and comes back under the same name (new ifindex). */
static void test_probe_port_gone(void **state)
{
	struct fx *fx = *state;
	struct prec r4 = {0}, r6 = {0};
	struct nf_probe *p4, *p6;
	int idx0 = link_index(-1, "nfm-p0");

	p4 = probe_start(fx->ev, TGT_V4, &r4);
	p6 = probe_start(fx->ev, TGT_V6, &r6);
	run_for(fx->ev, 4 * PROBE_INTERVAL);
	assert_true(nf_probe_answers(p4) > 0);
	assert_true(nf_probe_answers(p6) > 0);
	assert_int_equal(link_del(-1, "nfm-p0"), 0);
	assert_int_equal(wait_verdicts(fx->ev, &r4, 1, 0, 3000), 0);
	assert_int_equal(wait_verdicts(fx->ev, &r6, 1, 0, 3000), 0);
	run_for(fx->ev, 3 * PROBE_INTERVAL);
	assert_int_equal(probe_net_up(fx->ns_tgt), 0);
	assert_int_not_equal(link_index(-1, "nfm-p0"), idx0);
	assert_int_equal(wait_verdicts(fx->ev, &r4, 1, 1, 3000), 0);
	assert_int_equal(wait_verdicts(fx->ev, &r6, 1, 1, 3000), 0);
	assert_true(nf_probe_passing(p4));
	assert_true(nf_probe_passing(p6));
	nf_probe_destroy(p4);
	nf_probe_destroy(p6);
}

/* The callback may destroy the probe. */
static void test_probe_destroy_in_callback(void **state)
{
	struct fx *fx = *state;
	struct prec r = {.destroy_on_verdict = true};

	r.self = probe_start(fx->ev, TGT_V4, &r);
	run_for(fx->ev, 3 * PROBE_INTERVAL);
	assert_int_equal(link_set(fx->ns_tgt, "nfm-t0", 0), 0);
	assert_int_equal(wait_verdicts(fx->ev, &r, 1, 0, 3000), 0);
	assert_true(r.destroyed);
	assert_null(r.self);
	run_for(fx->ev, 3 * PROBE_INTERVAL);
	assert_int_equal(r.nfail, 1);
	assert_int_equal(r.npass, 0);
}

/* ---------- nf_pkt: frame layouts (no privileges needed) ---------- */

static void test_pkt_arp(void **state)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x0a}, other[6] = {0x02, 0, 0, 0, 0, 0x0b};
	static const uint8_t tip[4] = {192, 0, 2, 241};
	static const uint8_t want[42] = {
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0,  0, 0x0a, 0x08, 0x06, /* eth */
	    0,    1,    0x08, 0,    6,    4,    0,    1,                             /* request */
	    0x02, 0,    0,    0,    0,    0x0a, 0,    0, 0, 0,                       /* sha, spa */
	    0,    0,    0,    0,    0,    0,    192,  0, 2, 241};                    /* tha, tpa */
	uint8_t f[NF_PKT_ETH_ZLEN], reply[NF_PKT_ETH_ZLEN];
	size_t i;

	assert_int_equal(nf_pkt_arp_probe(f, mac, tip), NF_PKT_ETH_ZLEN);
	assert_memory_equal(f, want, sizeof(want));
	for (i = sizeof(want); i < sizeof(f); i++)
		assert_int_equal(f[i], 0);
	/* our own request is no answer */
	assert_false(nf_pkt_is_arp_reply(f, sizeof(f), tip, mac));
	/* the reply Linux sends to an ARP probe */
	memset(reply, 0, sizeof(reply));
	memcpy(reply, mac, 6);
	memcpy(reply + 6, other, 6);
	memcpy(reply + 12, "\x08\x06\x00\x01\x08\x00\x06\x04\x00\x02", 10);
	memcpy(reply + 22, other, 6);
	memcpy(reply + 28, tip, 4);
	memcpy(reply + 32, mac, 6);
	assert_true(nf_pkt_is_arp_reply(reply, sizeof(reply), tip, mac));
	assert_false(nf_pkt_is_arp_reply(reply, 41, tip, mac));
	assert_false(nf_pkt_is_arp_reply(reply, sizeof(reply), tip, other)); /* not to us */
	reply[31] = 242;
	assert_false(nf_pkt_is_arp_reply(reply, sizeof(reply), tip, mac)); /* not the target */
}

static void test_pkt_ns(void **state)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x0a};
	uint8_t target[16], f[NF_PKT_NS_LEN], na[NF_PKT_NS_LEN];
	static const uint8_t dst[16] = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0x02, 0x41};
	static const uint8_t zero[16];

	assert_int_equal(inet_pton(AF_INET6, TGT_V6, target), 1);
	assert_int_equal(nf_pkt_ns(f, mac, target), NF_PKT_NS_LEN);
	assert_memory_equal(f, "\x33\x33\xff\x00\x02\x41", 6);
	assert_memory_equal(f + 6, mac, 6);
	assert_memory_equal(f + 12, "\x86\xdd\x60\x00\x00\x00\x00\x18\x3a\xff", 10);
	assert_memory_equal(f + 22, zero, 16);
	assert_memory_equal(f + 38, dst, 16);
	assert_int_equal(f[54], 135);
	assert_int_equal(f[55], 0);
	assert_memory_equal(f + 58, zero, 4);
	assert_memory_equal(f + 62, target, 16);
	/* a correct checksum sums to zero */
	assert_int_equal(nf_pkt_icmp6_csum(f + 22, f + 38, f + 54, 24), 0);
	assert_int_not_equal(f[56] | f[57], 0);
	assert_false(nf_pkt_is_na(f, sizeof(f), target));
	/* an NA for the target */
	memcpy(na, f, sizeof(na));
	na[54] = 136;
	assert_true(nf_pkt_is_na(na, sizeof(na), target));
	assert_false(nf_pkt_is_na(na, sizeof(na) - 1, target));
	na[21] = 64; /* not from the link */
	assert_false(nf_pkt_is_na(na, sizeof(na), target));
	na[21] = 255;
	na[77] ^= 1;
	assert_false(nf_pkt_is_na(na, sizeof(na), target));
}

static void test_pkt_bpf(void **state)
{
	struct sock_filter prog[NF_PKT_BPF_MAX];
	static const uint8_t tip[4] = {192, 0, 2, 241};
	uint8_t target[16];
	unsigned int n, i;

	assert_int_equal(inet_pton(AF_INET6, TGT_V6, target), 1);
	n = nf_pkt_bpf_arp(prog, tip);
	assert_true(n > 2 && n <= NF_PKT_BPF_MAX);
	/* every test jumps to the final drop when false */
	for (i = 0; i < n; i++)
		if (prog[i].code == (BPF_JMP | BPF_JEQ | BPF_K))
			assert_int_equal(i + 1 + prog[i].jf, n - 1);
	assert_int_equal(prog[n - 1].k, 0);
	n = nf_pkt_bpf_na(prog, target);
	assert_true(n > 2 && n <= NF_PKT_BPF_MAX);
	for (i = 0; i < n; i++)
		if (prog[i].code == (BPF_JMP | BPF_JEQ | BPF_K))
			assert_int_equal(i + 1 + prog[i].jf, n - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pkt_arp),
	    cmocka_unit_test(test_pkt_ns),
	    cmocka_unit_test(test_pkt_bpf),
	    cmocka_unit_test_setup_teardown(test_linkmon_args, loop_setup, loop_teardown),
	    cmocka_unit_test_setup_teardown(test_linkmon_initial_dump, link_setup, link_teardown),
	    cmocka_unit_test_setup_teardown(test_linkmon_carrier, link_setup, link_teardown),
	    cmocka_unit_test_setup_teardown(test_linkmon_one_iteration, link_setup, link_teardown),
	    cmocka_unit_test_setup_teardown(test_linkmon_gone, link_setup, link_teardown),
	    cmocka_unit_test_setup_teardown(test_linkmon_bridge_port, link_setup, link_teardown),
	    cmocka_unit_test_setup_teardown(test_linkmon_refresh, link_setup, link_teardown),
	    cmocka_unit_test_setup_teardown(test_linkmon_destroy_in_callback, link_setup,
	                                    link_teardown),
	    cmocka_unit_test_setup_teardown(test_linkmon_other_namespace, link_setup,
	                                    link_teardown),
	    cmocka_unit_test_setup_teardown(test_linkmon_enobufs, link_setup, link_teardown),
	    cmocka_unit_test_setup_teardown(test_probe_args, probe_setup, probe_teardown),
	    cmocka_unit_test_setup_teardown(test_probe_v4, probe_setup, probe_teardown),
	    cmocka_unit_test_setup_teardown(test_probe_v6, probe_setup, probe_teardown),
	    cmocka_unit_test_setup_teardown(test_probe_absent_target, probe_setup, probe_teardown),
	    cmocka_unit_test_setup_teardown(test_probe_port_gone, probe_setup, probe_teardown),
	    cmocka_unit_test_setup_teardown(test_probe_destroy_in_callback, probe_setup,
	                                    probe_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
