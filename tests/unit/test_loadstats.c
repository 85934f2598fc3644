/*
 * test_loadstats.c - the measurement building blocks: /proc/diskstats,
 * rtnetlink link counters and ethtool speed, cgroup v2 cpu.stat, io.stat and
 * mountinfo parsed from real-looking text (lines copied from the machine this
 * was written on), malformed text refused with -EINVAL and nothing half
 * filled, rates from two samples, counter resets and wraps, utilisation
 * clamping; the load series' EWMA over irregular intervals, its resistance to
 * short spikes, the history ring and the trend; and the thin readers on this
 * machine's own files (a cgroup made, a busy child moved in and measured,
 * when cgroup v2 is there and we may).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsexport/fx_diskstats.h"
#include "lib/lib_cgroup.h"
#include "lib/lib_span.h"
#include "netfail/nf_linkstats.h"
#include "vserver/vs_load.h"

#define SEC 1000000ULL
/* A string literal or pointer as (text, length). */
#define TEXT(t) (t), strlen(t)

/* From this machine's /proc/diskstats (kernel 6.18: 20 fields). */
static const char diskstats_real[] =
    "   7       0 loop0 179417 9373 6403734 450263 49471 145706 1167044 549831 0 306468 "
    "1023897 0 0 0 0 15090 23803\n"
    " 254       0 vda 608896 28034 17512922 2226902 719057 178813 33690224 564740 0 304208 "
    "2944264 187898 120 43191128 75356 169008 77265\n"
    " 253       0 zram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

static void test_diskstats_parse(void **state)
{
	struct fx_diskstats s;
	const struct fx_diskstat *d;

	assert_int_equal(fx_diskstats_parse(TEXT(diskstats_real), &s), 0);
	assert_int_equal(s.n, 3);
	d = fx_diskstats_find(&s, 254, 0);
	assert_non_null(d);
	assert_string_equal(d->name, "vda");
	assert_int_equal(d->reads, 608896);
	assert_int_equal(d->sectors_read, 17512922);
	assert_int_equal(d->writes, 719057);
	assert_int_equal(d->sectors_written, 33690224);
	assert_int_equal(d->io_ticks_ms, 304208);
	assert_int_equal(d->time_in_queue_ms, 2944264);
	assert_string_equal(s.dev[0].name, "loop0");
	assert_string_equal(s.dev[2].name, "zram0");
	assert_null(fx_diskstats_find(&s, 8, 0));
	fx_diskstats_free(&s);
	assert_null(s.dev);

	/* Older kernels: 14 fields (before 4.18), 18 (before 5.5); tabs too. */
	assert_int_equal(
	    fx_diskstats_parse(TEXT("   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n"
	                            "   8       1 sda1\t1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n"),
	                       &s),
	    0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.dev[0].io_ticks_ms, 10);
	assert_int_equal(s.dev[1].time_in_queue_ms, 11);
	assert_int_equal(s.dev[1].minor, 1);
	fx_diskstats_free(&s);

	/* The largest numbers that fit. */
	assert_int_equal(
	    fx_diskstats_parse(TEXT("4294967295 4294967295 x 18446744073709551615 0 0 0 0 0 0 0 0 "
	                            "4294967295 4294967295\n"),
	                       &s),
	    0);
	assert_true(s.dev[0].reads == UINT64_MAX);
	assert_true(s.dev[0].io_ticks_ms == UINT32_MAX);
	fx_diskstats_free(&s);
}

static void test_diskstats_malformed(void **state)
{
	static const char *const bad[] = {
	    "",
	    "\n",
	    "   8       0 sda 1 2 3 4 5 6 7 8 9 10\n",  /* truncated: 13 fields */
	    "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11", /* no final newline */
	    "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n   8  1 sda1 1 2\n",    /* second cut */
	    "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11 12\n",                   /* 15 fields */
	    "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\n", /* 21 */
	    "   8       0 sda 1 2 3 4 5 6 7 8 9 10 1x\n",                      /* non-digit */
	    "   8       0 sda 1 2 3 -4 5 6 7 8 9 10 11\n",                     /* sign */
	    "   8       0 sda 18446744073709551616 2 3 4 5 6 7 8 9 10 11\n",   /* 2^64 */
	    "   8       0 sda 1 2 3 4 5 6 7 8 9 4294967296 11\n",  /* io_ticks > 32 bits */
	    "   8       0 sda 1 2 3 4294967296 5 6 7 8 9 10 11\n", /* ms reading > 32 bits */
	    "4294967296 0 sda 1 2 3 4 5 6 7 8 9 10 11\n",          /* major */
	    "   x       0 sda 1 2 3 4 5 6 7 8 9 10 11\n",
	    "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n   8       0 sdb 1 2 3 4 5 6 7 8 9 10 11\n",
	    "   8       0 a123456789b123456789c123456789d123456789e123456789f123456789g1234 "
	    "1 2 3 4 5 6 7 8 9 10 11\n", /* a name of 64 characters */
	    "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n\n",
	    "   8       0 s\001a 1 2 3 4 5 6 7 8 9 10 11\n",
	};
	struct fx_diskstats s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s.dev = (void *)&s;
		s.n = 99;
		if (fx_diskstats_parse(TEXT(bad[i]), &s) != -EINVAL)
			fail_msg("accepted malformed diskstats #%zu", i);
		assert_null(s.dev);
		assert_int_equal(s.n, 0);
	}
	/* A NUL byte inside the buffer. */
	char nul[] = "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n";
	nul[5] = '\0';
	assert_int_equal(fx_diskstats_parse(nul, sizeof(nul) - 1, &s), -EINVAL);
	assert_null(s.dev);
}

static void test_diskstats_rate(void **state)
{
	struct fx_diskstat a = {.major = 254, .minor = 0, .name = "vda"}, b;
	struct fx_diskrate r;

	a.reads = 1000;
	a.writes = 2000;
	a.sectors_read = 10000;
	a.sectors_written = 40000;
	a.io_ticks_ms = 5000;
	a.time_in_queue_ms = 9000;
	b = a;
	b.reads += 400;             /* 200 IOPS over 2 s */
	b.writes += 100;            /* 50 */
	b.sectors_read += 8192;     /* 4 MiB: 2 MiB/s */
	b.sectors_written += 2048;  /* 1 MiB: 512 KiB/s */
	b.io_ticks_ms += 500;       /* busy a quarter of the time */
	b.time_in_queue_ms += 3000; /* 1.5 I/Os in flight on average */
	assert_int_equal(fx_diskstats_rate(&a, &b, 2 * SEC, &r), 0);
	assert_true(fabs(r.read_iops - 200) < 1e-9);
	assert_true(fabs(r.write_iops - 50) < 1e-9);
	assert_true(fabs(r.read_bps - 2097152) < 1e-6);
	assert_true(fabs(r.write_bps - 524288) < 1e-6);
	assert_true(fabs(r.util - 0.25) < 1e-9);
	assert_true(fabs(r.queue - 1.5) < 1e-9);

	/* Utilisation clamped: io_ticks ran 2.1 s in a 2 s interval. */
	b.io_ticks_ms = a.io_ticks_ms + 2100;
	assert_int_equal(fx_diskstats_rate(&a, &b, 2 * SEC, &r), 0);
	assert_true(r.util == 1.0);
	/* Idle: nothing moved. */
	assert_int_equal(fx_diskstats_rate(&a, &a, 2 * SEC, &r), 0);
	assert_true(r.util == 0 && r.read_bps == 0 && r.write_iops == 0);

	/* The 32-bit io_ticks wraps: 596 ms over 2 s. */
	a.io_ticks_ms = 4294967000u;
	b.io_ticks_ms = 300;
	assert_int_equal(fx_diskstats_rate(&a, &b, 2 * SEC, &r), 0);
	assert_true(fabs(r.util - 0.298) < 1e-9);

	/* A reset (the device re-created): -ERANGE and zeros, not a huge rate. */
	b = a;
	b.reads = 3;
	r.read_bps = 7;
	assert_int_equal(fx_diskstats_rate(&a, &b, 2 * SEC, &r), -ERANGE);
	assert_true(r.read_bps == 0 && r.util == 0);
	b = a;
	b.sectors_written = 0;
	assert_int_equal(fx_diskstats_rate(&a, &b, 2 * SEC, &r), -ERANGE);

	/* No time, or two devices. */
	assert_int_equal(fx_diskstats_rate(&a, &a, 0, &r), -EINVAL);
	b = a;
	b.minor = 1;
	assert_int_equal(fx_diskstats_rate(&a, &b, SEC, &r), -EINVAL);
}

/* An RTM_NEWLINK message for ifindex/name with 64-bit counters (or none). */
static struct nlmsghdr *link_msg(char *buf, int type, int ifindex, const char *name,
                                 const struct rtnl_link_stats64 *st)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	nlh->nlmsg_type = (unsigned short)type;
	ifi->ifi_index = ifindex;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	if (st)
		mnl_attr_put(nlh, IFLA_STATS64, sizeof(*st), st);
	return nlh;
}

static void test_linkstats_msg_and_rate(void **state)
{
	char buf[1024] __attribute__((aligned(8)));
	struct rtnl_link_stats64 st = {
	    .rx_bytes = 1ULL << 40, .tx_bytes = 5000, .rx_packets = 10, .tx_packets = 20};
	struct nf_linkstat a, b;
	struct nf_linkrate r;

	assert_int_equal(nf_linkstats_msg(link_msg(buf, RTM_NEWLINK, 3, "eth1", &st), &a), 1);
	assert_int_equal(a.ifindex, 3);
	assert_string_equal(a.name, "eth1");
	assert_true(a.rx_bytes == 1ULL << 40);
	assert_int_equal(a.tx_bytes, 5000);
	assert_int_equal(a.rx_packets, 10);
	assert_int_equal(a.tx_packets, 20);
	/* No counters: zeros. No name, a name too long, a bad index: refused. */
	assert_int_equal(nf_linkstats_msg(link_msg(buf, RTM_NEWLINK, 3, "eth1", NULL), &b), 1);
	assert_int_equal(b.rx_bytes, 0);
	b = a;
	assert_int_equal(nf_linkstats_msg(link_msg(buf, RTM_NEWLINK, 3, NULL, &st), &b), -EINVAL);
	assert_int_equal(
	    nf_linkstats_msg(link_msg(buf, RTM_NEWLINK, 3, "a-name-of-16-chr", &st), &b), -EINVAL);
	assert_int_equal(nf_linkstats_msg(link_msg(buf, RTM_NEWLINK, 0, "eth1", &st), &b), -EINVAL);
	assert_int_equal(b.ifindex, a.ifindex); /* untouched */
	/* Not a link message: skipped. */
	assert_int_equal(nf_linkstats_msg(link_msg(buf, RTM_NEWADDR, 3, "eth1", &st), &b), 0);

	b = a;
	b.rx_bytes += 125000000; /* 1 Gb/s over 1 s... */
	b.tx_bytes += 250000000; /* ...and 2 Gb/s, over 2 s: half */
	b.rx_packets += 1000;
	b.tx_packets += 3000;
	assert_int_equal(nf_linkstats_rate(&a, &b, 2 * SEC, &r), 0);
	assert_true(fabs(r.rx_bps - 62500000) < 1e-6);
	assert_true(fabs(r.tx_bps - 125000000) < 1e-6);
	assert_true(fabs(r.rx_pps - 500) < 1e-9);
	assert_true(fabs(r.tx_pps - 1500) < 1e-9);
	/* A counter going backwards is a reset, not 2^64 bytes. */
	b.tx_packets = 0;
	assert_int_equal(nf_linkstats_rate(&a, &b, 2 * SEC, &r), -ERANGE);
	assert_true(r.rx_bps == 0 && r.tx_bps == 0);
	assert_int_equal(nf_linkstats_rate(&a, &a, 0, &r), -EINVAL);
	b = a;
	b.ifindex = 4;
	assert_int_equal(nf_linkstats_rate(&a, &b, SEC, &r), -EINVAL);

	/* Capacity: the speed, else the setting, else 10 Gb/s. */
	assert_true(nf_linkstats_capacity(0, 1000, 0) == 1000000000ULL);
	assert_true(nf_linkstats_capacity(-ENODATA, 0, 0) == 10000000000ULL);
	assert_true(nf_linkstats_capacity(-EOPNOTSUPP, 0, 25000) == 25000000000ULL);
}

static void test_linkstats_real(void **state)
{
	struct nf_linkstats s;
	const struct nf_linkstat *lo, *lo2;
	struct nf_linkstats s2;
	uint32_t mbps = 0;
	int r;

	assert_int_equal(nf_linkstats_read(&s), 0);
	assert_true(s.n >= 1);
	lo = nf_linkstats_find(&s, "lo");
	assert_non_null(lo);
	assert_int_equal(lo->ifindex, 1);
	for (size_t i = 0; i < s.n; i++) {
		assert_true(s.link[i].ifindex > 0 && s.link[i].name[0]);
		/* Each device: a speed, or none reported, or no ethtool at all. */
		r = nf_linkstats_speed(s.link[i].name, &mbps);
		assert_true(r == 0 || r == -ENODATA || r == -EOPNOTSUPP);
		if (r == 0)
			assert_true(mbps > 0 && mbps < 10000000);
		print_message("  %-12s rx %llu tx %llu bytes, speed %s%u\n", s.link[i].name,
		              (unsigned long long)s.link[i].rx_bytes,
		              (unsigned long long)s.link[i].tx_bytes, r ? "none " : "",
		              r ? 0 : mbps);
	}
	assert_int_equal(nf_linkstats_speed("lo", &mbps), -EOPNOTSUPP);
	assert_int_equal(nf_linkstats_speed("no-such-dev0", &mbps), -ENODEV);
	assert_int_equal(nf_linkstats_speed("", &mbps), -EINVAL);

	/* Loopback traffic between two samples: counters only grow. */
	assert_int_equal(system("ping -c 2 -i 0.2 -q 127.0.0.1 >/dev/null 2>&1 || true"), 0);
	assert_int_equal(nf_linkstats_read(&s2), 0);
	lo2 = nf_linkstats_find(&s2, "lo");
	assert_non_null(lo2);
	struct nf_linkrate rate;
	assert_int_equal(nf_linkstats_rate(lo, lo2, SEC / 2, &rate), 0);
	assert_true(rate.rx_bps >= 0 && rate.tx_pps >= 0);
	nf_linkstats_free(&s);
	nf_linkstats_free(&s2);
	assert_null(s.link);
}

/* In a namespace of its own (a child process): a veth reports 10 Gb/s and a
 * macvlan on it its lower device's speed, through the ethtool ioctl. */
static void test_linkstats_speed_veth(void **state)
{
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		print_message("  not root: skipped\n");
		skip();
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint32_t va = 0, mv = 0;

		if (unshare(CLONE_NEWNET) < 0)
			_exit(77);
		if (system("ip link add ls-va type veth peer name ls-vb && "
		           "ip link add ls-mv link ls-va type macvlan") != 0)
			_exit(77);
		_exit(nf_linkstats_speed("ls-va", &va) == 0 && va == 10000 &&
		              nf_linkstats_speed("ls-mv", &mv) == 0 && mv == 10000
		          ? 0
		          : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		print_message("  no namespace or no ip(8): skipped\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* From this machine's /sys/fs/cgroup/unified/cpu.stat, and with the cpu
 * controller's keys as a v2 system with it enabled shows them. */
static const char cpustat_real[] = "usage_usec 24680511928\n"
                                   "user_usec 18909076043\n"
                                   "system_usec 5771435885\n"
                                   "nice_usec 309320896\n";
static const char cpustat_ctrl[] = "usage_usec 1971342\n"
                                   "user_usec 1900000\n"
                                   "system_usec 71342\n"
                                   "core_sched.force_idle_usec 0\n"
                                   "nr_periods 0\n"
                                   "nr_throttled 0\n"
                                   "throttled_usec 0\n"
                                   "nr_bursts 0\n"
                                   "burst_usec 0\n";

static void test_cgroup_cpu(void **state)
{
	static const char *const bad[] = {
	    "",
	    "usage_usec 1\nuser_usec 2\n",                              /* system_usec missing */
	    "usage_usec 1\nuser_usec 2\nsystem_usec 3",                 /* no final newline */
	    "usage_usec 1\nuser_usec 2\nsystem_usec 3\nusage_usec 4\n", /* twice */
	    "usage_usec 1\nuser_usec 2\nsystem_usec 3x\n",
	    "usage_usec 1\nuser_usec 2\nsystem_usec 18446744073709551616\n",
	    "usage_usec 1 2\nuser_usec 2\nsystem_usec 3\n", /* too many fields */
	    "usage_usec\nuser_usec 2\nsystem_usec 3\n",     /* too few */
	    "usage_usec 1\nuser_usec 2\nsystem_usec 3\n\n",
	    "usage_usec 1\nUser 2\nuser_usec 2\nsystem_usec 3\n",
	    "usage_usec 1\nuser_usec 2\nsystem_usec 3\nnr_periods -1\n",
	};
	struct lib_cgroup_cpu c, before = {11, 22, 33}, a, b;
	double cores;

	assert_int_equal(lib_cgroup_cpu_parse(TEXT(cpustat_real), &c), 0);
	assert_true(c.usage_usec == 24680511928ULL);
	assert_true(c.user_usec == 18909076043ULL);
	assert_true(c.system_usec == 5771435885ULL);
	assert_int_equal(lib_cgroup_cpu_parse(TEXT(cpustat_ctrl), &c), 0);
	assert_int_equal(c.usage_usec, 1971342);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = before;
		if (lib_cgroup_cpu_parse(TEXT(bad[i]), &c) != -EINVAL)
			fail_msg("accepted malformed cpu.stat #%zu", i);
		assert_memory_equal(&c, &before, sizeof(c));
	}

	/* 1.5 cores over 2 s; a reset; no time. */
	a = (struct lib_cgroup_cpu){1000000, 800000, 200000};
	b = (struct lib_cgroup_cpu){4000000, 3000000, 1000000};
	assert_int_equal(lib_cgroup_cpu_rate(&a, &b, 2 * SEC, &cores), 0);
	assert_true(fabs(cores - 1.5) < 1e-12);
	assert_int_equal(lib_cgroup_cpu_rate(&b, &a, 2 * SEC, &cores), -ERANGE);
	assert_true(cores == 0);
	assert_int_equal(lib_cgroup_cpu_rate(&a, &b, 0, &cores), -EINVAL);
}

/* The format of the kernel's io.stat (cgroup-v2.rst), as a v2 system with
 * the io controller shows it; cost.* keys appear with io.cost. */
static const char iostat_real[] =
    "254:0 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
    "7:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021\n"
    "8:16 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0 cost.vrate=100.00 "
    "cost.usage=1234 cost.wait=0 cost.indebt=0 cost.indelay=0\n";

static void test_cgroup_io(void **state)
{
	static const char *const bad[] = {
	    "254:0 rbytes=1 wbytes=2 rios=3 wios=4", /* no final newline */
	    "254 rbytes=1 wbytes=2 rios=3 wios=4\n", /* no minor */
	    "254:x rbytes=1 wbytes=2 rios=3 wios=4\n",
	    "254:0 rbytes=1x wbytes=2 rios=3 wios=4\n",
	    "254:0 rbytes= wbytes=2 rios=3 wios=4\n",
	    "254:0 rbytes wbytes=2 rios=3 wios=4\n",
	    "254:0 rbytes=1 rbytes=2\n", /* a key twice */
	    "254:0 rbytes=18446744073709551616\n",
	    "254:0 rbytes=1\n254:0 wbytes=2\n", /* a device twice */
	    "\n",
	    "254:0 rbytes=1\n8:0 RBYTES=2\n",
	};
	struct lib_cgroup_io io;

	assert_int_equal(lib_cgroup_io_parse(TEXT(iostat_real), &io), 0);
	assert_int_equal(io.n, 3);
	assert_int_equal(io.dev[0].major, 254);
	assert_int_equal(io.dev[0].wbytes, 314773504);
	assert_int_equal(io.dev[1].rios, 8950);
	assert_int_equal(io.dev[1].wios, 1252);
	assert_int_equal(io.dev[2].minor, 16);
	assert_int_equal(io.dev[2].rbytes, 4096);
	lib_cgroup_io_free(&io);
	/* Keys absent are 0; an empty file is a cgroup with no I/O yet. */
	assert_int_equal(lib_cgroup_io_parse(TEXT("8:0 wbytes=7\n"), &io), 0);
	assert_int_equal(io.n, 1);
	assert_int_equal(io.dev[0].rbytes, 0);
	assert_int_equal(io.dev[0].wbytes, 7);
	lib_cgroup_io_free(&io);
	assert_int_equal(lib_cgroup_io_parse(TEXT(""), &io), 0);
	assert_int_equal(io.n, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		io.dev = (void *)&io;
		io.n = 5;
		if (lib_cgroup_io_parse(TEXT(bad[i]), &io) != -EINVAL)
			fail_msg("accepted malformed io.stat #%zu", i);
		assert_null(io.dev);
		assert_int_equal(io.n, 0);
	}
}

static void test_cgroup_mountinfo(void **state)
{
	/* This machine: v1 hierarchies, v2 at /sys/fs/cgroup/unified. */
	static const char hybrid[] =
	    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
	    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
	/* Debian 12: v2 only, with an optional field before the separator. */
	static const char pure[] =
	    "30 24 0:26 / /sys/fs/cgroup/x\\040y rw - cgroup2 cgroup2 rw\n"
	    "35 24 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime "
	    "shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";
	char out[LIB_CGROUP_PATH_MAX], tiny[8];

	assert_int_equal(lib_cgroup_mountinfo_v2(hybrid, strlen(hybrid), out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified");
	assert_int_equal(lib_cgroup_mountinfo_v2(pure, strlen(pure), out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup");
	assert_int_equal(lib_cgroup_mountinfo_v2(hybrid, 200, out, sizeof(out)), -ENOENT);
	assert_int_equal(lib_cgroup_mountinfo_v2("", 0, out, sizeof(out)), -ENOENT);
	assert_int_equal(lib_cgroup_mountinfo_v2(hybrid, strlen(hybrid), tiny, sizeof(tiny)),
	                 -ENAMETOOLONG);

	/* Names of cgroups. */
	assert_int_equal(lib_cgroup_path("/sys/fs/cgroup", "vs-demo", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/vs-demo");
	assert_int_equal(lib_cgroup_path("/sys/fs/cgroup", "a/b", out, sizeof(out)), -EINVAL);
	assert_int_equal(lib_cgroup_path("/sys/fs/cgroup", "..", out, sizeof(out)), -EINVAL);
	assert_int_equal(lib_cgroup_path("/sys/fs/cgroup", "", out, sizeof(out)), -EINVAL);
	assert_int_equal(lib_cgroup_path("rel", "x", out, sizeof(out)), -EINVAL);
	assert_int_equal(lib_cgroup_create("/sys/fs/cgroup", "."), -EINVAL);
}

/* The real hierarchy: a cgroup made, a busy child moved in, its CPU read. */
static void test_cgroup_real(void **state)
{
	char root[LIB_CGROUP_PATH_MAX], name[64], dir[LIB_CGROUP_PATH_MAX];
	struct lib_cgroup_cpu c0, c1;
	struct lib_cgroup_io io;
	double cores;
	int r, status;
	pid_t pid;

	r = lib_cgroup_find_v2(root, sizeof(root));
	if (r == -ENOENT || geteuid() != 0) {
		print_message("  no cgroup v2 or not root: skipped\n");
		skip();
	}
	assert_int_equal(r, 0);
	print_message("  cgroup v2 at %s: cpu %d/%d io %d/%d (controllers/subtree_control)\n", root,
	              lib_cgroup_has_controller(root, "cgroup.controllers", "cpu"),
	              lib_cgroup_has_controller(root, "cgroup.subtree_control", "cpu"),
	              lib_cgroup_has_controller(root, "cgroup.controllers", "io"),
	              lib_cgroup_has_controller(root, "cgroup.subtree_control", "io"));
	assert_true(lib_cgroup_has_controller(root, "cgroup.controllers", "cpu") >= 0);
	assert_int_equal(lib_cgroup_has_controller(root, "cgroup.controllers", "no-such"), 0);
	assert_int_equal(lib_cgroup_read_cpu(root, &c0), 0); /* the root has one too */
	assert_true(c0.usage_usec > 0);

	snprintf(name, sizeof(name), "test-loadstats-%d", (int)getpid());
	assert_int_equal(lib_cgroup_create(root, name), 0);
	assert_int_equal(lib_cgroup_create(root, name), 0); /* adopted */
	assert_int_equal(lib_cgroup_path(root, name, dir, sizeof(dir)), 0);
	assert_int_equal(lib_cgroup_read_cpu(dir, &c0), 0);
	assert_int_equal(c0.usage_usec, 0);
	r = lib_cgroup_read_io(dir, &io);
	print_message("  io.stat in a child cgroup: %s\n", r == 0 ? "read" : strerror(-r));
	assert_true(r == 0 || r == -ENOENT);
	lib_cgroup_io_free(&io);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		volatile unsigned long spin = 0;
		for (;;)
			spin++;
	}
	assert_int_equal(lib_cgroup_move(dir, pid), 0);
	assert_int_equal(lib_cgroup_remove(root, name), -EBUSY); /* it holds the child */
	struct timespec t0, t1, nap = {0, 300000000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(lib_cgroup_read_cpu(dir, &c0), 0);
	nanosleep(&nap, NULL);
	assert_int_equal(lib_cgroup_read_cpu(dir, &c1), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	uint64_t el =
	    (uint64_t)(t1.tv_sec - t0.tv_sec) * SEC + (uint64_t)((t1.tv_nsec - t0.tv_nsec) / 1000);
	assert_int_equal(lib_cgroup_cpu_rate(&c0, &c1, el, &cores), 0);
	print_message("  a spinning child: %.2f cores\n", cores);
	assert_true(cores > 0.2 && cores < 1.2);
	assert_int_equal(lib_cgroup_move(dir, 999999999), -ESRCH);
	/* Emptied (the kernel may take a moment after the reap). */
	for (int i = 0; i < 100 && (r = lib_cgroup_remove(root, name)) == -EBUSY; i++)
		usleep(10000);
	assert_int_equal(r, 0);
	assert_int_equal(lib_cgroup_remove(root, name), 0); /* already gone */
	assert_int_equal(lib_cgroup_read_cpu(dir, &c0), -ENOENT);
}

static void test_diskstats_real(void **state)
{
	struct fx_diskstats a, b;
	struct fx_diskrate r;
	struct timespec nap = {0, 100000000};

	assert_int_equal(fx_diskstats_read(NULL, &a), 0);
	assert_true(a.n >= 1);
	nanosleep(&nap, NULL);
	assert_int_equal(fx_diskstats_read(NULL, &b), 0);
	for (size_t i = 0; i < b.n; i++) {
		const struct fx_diskstat *p = fx_diskstats_find(&a, b.dev[i].major, b.dev[i].minor);

		assert_true(b.dev[i].name[0]);
		if (!p)
			continue;
		assert_int_equal(fx_diskstats_rate(p, &b.dev[i], 100000, &r), 0);
		assert_true(r.util >= 0 && r.util <= 1 && r.read_bps >= 0 && r.write_iops >= 0);
	}
	print_message("  /proc/diskstats: %zu devices, first %s\n", b.n, b.dev[0].name);
	fx_diskstats_free(&a);
	fx_diskstats_free(&b);
	assert_int_equal(fx_diskstats_read("/nonexistent/diskstats", &a), -ENOENT);
	assert_null(a.dev);
}

static void test_span(void **state)
{
	struct lib_span f[3], a, b;
	uint64_t v;

	assert_int_equal(lib_span_split((struct lib_span){"  a\tbb  c ", 10}, f, 3), 3);
	assert_true(lib_span_eq(f[1], "bb") && lib_span_eq(f[2], "c"));
	assert_int_equal(lib_span_split((struct lib_span){"a b c d", 7}, f, 3), -EINVAL);
	assert_int_equal(lib_span_split((struct lib_span){"   ", 3}, f, 3), 0);
	assert_int_equal(lib_span_u64((struct lib_span){"300", 3}, 255, &v), -EINVAL);
	assert_int_equal(lib_span_u64((struct lib_span){"255", 3}, 255, &v), 0);
	assert_int_equal(v, 255);
	assert_int_equal(lib_span_u64((struct lib_span){"5", 1}, 0, &v), -EINVAL);
	assert_int_equal(lib_span_u64((struct lib_span){"0", 1}, 0, &v), 0);
	assert_int_equal(lib_span_u64((struct lib_span){"", 0}, 9, &v), -EINVAL);
	assert_int_equal(lib_span_cut((struct lib_span){"k=v=w", 5}, '=', &a, &b), 0);
	assert_true(lib_span_eq(a, "k") && lib_span_eq(b, "v=w"));
	assert_int_equal(lib_span_cut((struct lib_span){"kv", 2}, '=', &a, &b), -EINVAL);
}

/* Feed `v` every `every` usec from *t to *t + dur. */
static void feed(struct vs_load *s, uint64_t *t, uint64_t dur, uint64_t every, double v)
{
	for (uint64_t end = *t + dur; *t < end;) {
		*t += every;
		assert_int_equal(vs_load_update(s, *t, v), 0);
	}
}

static void test_load_ewma_irregular(void **state)
{
	/* A step from 0 to 1 at t0: the value follows 1 - e^(-t/tau) whatever
	 * the sampling intervals. */
	static const uint64_t gaps[] = {1, 7, 2, 13, 3, 30, 1, 1, 5, 20, 45, 4};
	struct vs_load s, r;
	uint64_t t = 1000 * SEC, t0 = t;

	assert_int_equal(vs_load_init(&s, NULL), 0);
	assert_int_equal(vs_load_trend(&s), VS_TREND_UNKNOWN);
	assert_int_equal(vs_load_update(&s, t, 0), 0);
	for (size_t i = 0; i < sizeof(gaps) / sizeof(gaps[0]); i++) {
		t += gaps[i] * SEC;
		assert_int_equal(vs_load_update(&s, t, 1.0), 0);
		double want = 1 - exp(-(double)(t - t0) / (double)VS_LOAD_TAU_USEC);
		assert_true(fabs(s.value - want) < 1e-9);
	}
	assert_true(s.raw == 1.0 && s.last_usec == t);

	/* The same time again: the raw value changes, the average does not. */
	double v = s.value;
	assert_int_equal(vs_load_update(&s, t, 5.0), 0);
	assert_true(s.value == v && s.raw == 5.0);

	/* Refused, and nothing changed: an older sample, NaN, infinity, negative. */
	r = s;
	assert_int_equal(vs_load_update(&s, t - 1, 1.0), -EINVAL);
	assert_int_equal(vs_load_update(&s, t + SEC, NAN), -EINVAL);
	assert_int_equal(vs_load_update(&s, t + SEC, INFINITY), -EINVAL);
	assert_int_equal(vs_load_update(&s, t + SEC, -0.5), -EINVAL);
	assert_memory_equal(&s, &r, sizeof(s));

	/* After a gap of 10 tau the sample all but replaces the value. */
	assert_int_equal(vs_load_update(&s, t + 10 * VS_LOAD_TAU_USEC, 3.0), 0);
	assert_true(fabs(s.value - 3.0) < 3.0 * 1e-4);

	/* Parameters out of range. */
	struct vs_load_params p;
	vs_load_defaults(&p);
	p.tau_usec = 0;
	assert_int_equal(vs_load_init(&s, &p), -EINVAL);
	vs_load_defaults(&p);
	p.trend_usec = VS_LOAD_HIST * p.step_usec;
	assert_int_equal(vs_load_init(&s, &p), -EINVAL);
	vs_load_defaults(&p);
	p.band_rel = NAN;
	assert_int_equal(vs_load_init(&s, &p), -EINVAL);
	vs_load_defaults(&p);
	p.step_usec = 0;
	assert_int_equal(vs_load_init(&s, &p), -EINVAL);
}

static void test_load_spike(void **state)
{
	struct vs_load s, fast;
	uint64_t t = 0, tf;

	/* Steady 1.0 for 10 min, sampled every second, then 10x for 5 s. */
	assert_int_equal(vs_load_init(&s, NULL), 0);
	assert_int_equal(vs_load_update(&s, t, 1.0), 0);
	feed(&s, &t, 600 * SEC, SEC, 1.0);
	assert_true(fabs(s.value - 1.0) < 1e-9);
	feed(&s, &t, 5 * SEC, SEC, 10.0);
	print_message("  2-min EWMA after a 5 s 10x spike: %.3f (raw 10)\n", s.value);
	assert_true(s.value < 1.0 + 0.05 * 9); /* moved by under 5% of the spike */
	assert_true(s.value > 1.0);
	feed(&s, &t, 120 * SEC, SEC, 1.0);
	assert_true(s.value < 1.15); /* and fading */
	feed(&s, &t, 180 * SEC, SEC, 1.0);
	assert_true(s.value < 1.05);
	assert_int_equal(vs_load_trend(&s), VS_TREND_FLAT);

	/* The same spike with samples every 5 s (one sample): the same. */
	assert_int_equal(vs_load_init(&fast, NULL), 0);
	tf = 0;
	assert_int_equal(vs_load_update(&fast, tf, 1.0), 0);
	feed(&fast, &tf, 600 * SEC, 5 * SEC, 1.0);
	feed(&fast, &tf, 5 * SEC, 5 * SEC, 10.0);
	assert_true(fast.value < 1.0 + 0.05 * 9);

	/* A sustained 10x does move it: past 63% of the step after one tau. */
	feed(&s, &t, 120 * SEC, SEC, 10.0);
	assert_true(s.value > 1.0 + 0.63 * 9);
	assert_int_equal(vs_load_trend(&s), VS_TREND_RISING);
}

static void test_load_ring_and_trend(void **state)
{
	struct vs_load_point h[VS_LOAD_HIST + 5];
	struct vs_load s;
	uint64_t t = 50 * SEC;
	size_t n;

	assert_int_equal(vs_load_init(&s, NULL), 0);
	assert_int_equal(vs_load_update(&s, t, 2.0), 0);
	assert_int_equal(vs_load_history(&s, h, VS_LOAD_HIST), 1);
	/* Samples every 3 s for 20 min: one entry per 10 s step, the ring wraps. */
	feed(&s, &t, 1200 * SEC, 3 * SEC, 2.0);
	n = vs_load_history(&s, h, sizeof(h) / sizeof(h[0]));
	assert_int_equal(n, VS_LOAD_HIST);
	assert_int_equal(s.count, VS_LOAD_HIST);
	for (size_t i = 1; i < n; i++) {
		uint64_t d = h[i].at_usec - h[i - 1].at_usec;
		assert_true(d >= 9 * SEC && d <= 12 * SEC); /* on the 10 s grid, +- a sample */
	}
	assert_true(h[n - 1].at_usec <= t && t - h[n - 1].at_usec < 10 * SEC);
	assert_true(h[0].at_usec >= t - 600 * SEC);
	/* The last few only. */
	assert_int_equal(vs_load_history(&s, h, 3), 3);
	assert_true(h[2].at_usec == s.hist[(s.head + VS_LOAD_HIST - 1) % VS_LOAD_HIST].at_usec);
	assert_int_equal(vs_load_trend(&s), VS_TREND_FLAT);
	assert_string_equal(vs_load_trend_name(vs_load_trend(&s)), "flat");

	/* Within the dead band (10%): flat. Past it: rising, then falling. */
	feed(&s, &t, 300 * SEC, 5 * SEC, 2.1);
	assert_int_equal(vs_load_trend(&s), VS_TREND_FLAT);
	feed(&s, &t, 300 * SEC, 5 * SEC, 3.0);
	assert_int_equal(vs_load_trend(&s), VS_TREND_RISING);
	assert_string_equal(vs_load_trend_name(VS_TREND_RISING), "rising");
	feed(&s, &t, 600 * SEC, 5 * SEC, 3.0);
	assert_int_equal(vs_load_trend(&s), VS_TREND_FLAT);
	feed(&s, &t, 300 * SEC, 5 * SEC, 1.0);
	assert_int_equal(vs_load_trend(&s), VS_TREND_FALLING);

	/* A gap: no invented entries; too short a history again: unknown. */
	unsigned int before = s.head;
	t += 3600 * SEC;
	assert_int_equal(vs_load_update(&s, t, 1.0), 0);
	assert_int_equal(s.head, (before + 1) % VS_LOAD_HIST);
	feed(&s, &t, 60 * SEC, 10 * SEC, 1.0);
	assert_int_equal(vs_load_trend(&s), VS_TREND_FALLING); /* vs. an hour ago */

	/* An absolute dead band for a series near zero. */
	struct vs_load_params p;
	vs_load_defaults(&p);
	p.band_abs = 0.05;
	assert_int_equal(vs_load_init(&s, &p), 0);
	t = 0;
	assert_int_equal(vs_load_update(&s, t, 0.0), 0);
	feed(&s, &t, 200 * SEC, 10 * SEC, 0.0);
	assert_int_equal(vs_load_trend(&s), VS_TREND_UNKNOWN); /* under 5 min of history */
	feed(&s, &t, 400 * SEC, 10 * SEC, 0.04);
	assert_int_equal(vs_load_trend(&s), VS_TREND_FLAT); /* 0 -> 0.04: noise */
	feed(&s, &t, 150 * SEC, 10 * SEC, 0.5);
	assert_int_equal(vs_load_trend(&s), VS_TREND_RISING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_span),
	    cmocka_unit_test(test_diskstats_parse),
	    cmocka_unit_test(test_diskstats_malformed),
	    cmocka_unit_test(test_diskstats_rate),
	    cmocka_unit_test(test_diskstats_real),
	    cmocka_unit_test(test_linkstats_msg_and_rate),
	    cmocka_unit_test(test_linkstats_real),
	    cmocka_unit_test(test_linkstats_speed_veth),
	    cmocka_unit_test(test_cgroup_cpu),
	    cmocka_unit_test(test_cgroup_io),
	    cmocka_unit_test(test_cgroup_mountinfo),
	    cmocka_unit_test(test_cgroup_real),
	    cmocka_unit_test(test_load_ewma_irregular),
	    cmocka_unit_test(test_load_spike),
	    cmocka_unit_test(test_load_ring_and_trend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
