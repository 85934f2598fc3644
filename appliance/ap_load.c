/*
 * ap_load.c - the node's load sampler (see ap_load.h).
 *
 * Design: one timer. Each tick reads /proc/diskstats and this namespace's
 * links once, then each VS's cgroup cpu.stat and the links of its namespace;
 * turns the counters into rates against the previous tick (lib_cgroup,
 * nf_linkstats, fx_diskstats rate functions), feeds each rate to its
 * vs_load series and sends the smoothed figures. State is kept per VS, port
 * and LUN by name, created on first sight and dropped when it is gone.
 * Limits: more VSs, ports or LUNs than a message holds are left out, said
 * once in the log.
 */
#include "appliance/ap_load.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "fsexport/fx_diskstats.h"
#include "fsexport/fx_srvstats.h"
#include "fsexport/fx_statbus.h"
#include "lib/lib_cgroup.h"
#include "lib/lib_log.h"
#include "lib/lib_run.h"
#include "netfail/nf_linkstats.h"
#include "vserver/vs_load.h"
#include "vserver/vs_vipdev.h"

/* Two counters read together (bytes and packets, or in and out). */
struct counters {
	uint64_t a, b;
	bool have;
};

#define N_SERIES 6 /* a VS: cpu, net bytes, packets, io, nfs and smb requests */
enum { SRV_NFS, SRV_SMB, N_SRV };
#define PROBE_TIMEOUT_USEC (3ULL * 1000000)

/* A server's request counter as last read. */
struct reqcount {
	uint64_t count, at;
	bool have;
};

struct series_st {
	char name[VS_NAME_MAX + VS_ADDR_MAX + 8]; /* a VS, port, LUN, or "VS ADDR" */
	bool seen;
	uint64_t at; /* time of the previous counters; 0 = none */
	struct vs_load s[N_SERIES];
	union {
		struct {
			struct lib_cgroup_cpu cpu;
			bool have_cpu;
			struct counters net; /* bytes, packets */
			struct reqcount req[N_SRV];
		} vs;
		struct counters vip; /* rx, tx bytes */
		struct nf_linkstat link;
		struct fx_diskstat disk;
	} prev;
};

struct table {
	struct series_st *e;
	int n, cap;
};

/* A child reading one VS's server counter. */
struct probe {
	struct ap_load *l;
	struct lib_run *run;
	char vs[VS_NAME_MAX + 1];
	int srv;
	struct probe *next;
};

struct ap_load {
	sd_event *ev;
	sd_event_source *timer;
	char node[VS_NAME_MAX + 1];
	int cores;
	uint64_t period;
	struct ap_load_hooks hooks;
	struct ap_load_src *srcs;
	struct ap_load_lunsrc *lsrcs;
	struct table vss, ports, luns, vips;
	struct ap_msg msg;
	bool capped_said;
	uint64_t tau; /* of every series */
	struct probe *probes;
};

static struct series_st *table_find(const struct table *t, const char *name)
{
	for (int i = 0; i < t->n; i++)
		if (strcmp(t->e[i].name, name) == 0)
			return &t->e[i];
	return NULL;
}

static struct series_st *table_get(struct table *t, const char *name, uint64_t tau)
{
	struct series_st *found = table_find(t, name);

	if (found)
		return found;
	if (t->n == t->cap) {
		int cap = t->cap ? 2 * t->cap : 16;
		struct series_st *e = realloc(t->e, (size_t)cap * sizeof(*e));
		if (!e)
			return NULL;
		t->e = e;
		t->cap = cap;
	}
	struct series_st *s = &t->e[t->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	struct vs_load_params p;
	vs_load_defaults(&p);
	if (tau)
		p.tau_usec = tau;
	for (int k = 0; k < N_SERIES; k++)
		vs_load_init(&s->s[k], &p);
	return s;
}

/* Entries not seen this tick are dropped; the others unmarked. */
static void table_sweep(struct table *t)
{
	int w = 0;

	for (int i = 0; i < t->n; i++) {
		if (!t->e[i].seen)
			continue;
		t->e[i].seen = false;
		if (w != i)
			t->e[w] = t->e[i];
		w++;
	}
	t->n = w;
}

/* A rate into its series; a negative or non-finite one is never fed. */
static void feed(struct vs_load *s, uint64_t now, double v)
{
	if (isfinite(v) && v >= 0)
		(void)vs_load_update(s, now, v);
}

/* Two counters since the previous read into their series as rates per
 * second; one that went backwards (a device gone takes its counts with
 * it) starts again from here. */
static void feed_pair(struct counters *prev, uint64_t a, uint64_t b, double dt_usec, uint64_t now,
                      struct vs_load *sa, struct vs_load *sb)
{
	if (prev->have && dt_usec > 0 && a >= prev->a && b >= prev->b) {
		feed(sa, now, (double)(a - prev->a) * 1e6 / dt_usec);
		feed(sb, now, (double)(b - prev->b) * 1e6 / dt_usec);
	}
	prev->a = a;
	prev->b = b;
	prev->have = true;
}

static double val(const struct vs_load *s)
{
	return s->primed ? s->value : 0;
}

/* Each VIP of a VS on its own devices (its live macvlan and its standbys,
 * named after it: vs_vipdev.h), in and out kept apart. */
static void sample_vips(struct ap_load *l, const struct ap_load_src *src,
                        const struct nf_linkstats *links, uint64_t now)
{
	for (int v = 0; v < src->n_vips; v++) {
		char key[VS_NAME_MAX + VS_ADDR_MAX + 8], prefix[VS_VIPDEV_NAME_MAX];
		uint64_t rx = 0, tx = 0;
		snprintf(key, sizeof(key), "%s %s", src->vs, src->vips[v]);
		vs_vipdev_prefix(src->vips[v], prefix, sizeof(prefix));
		for (size_t i = 0; i < links->n; i++)
			if (strncmp(links->link[i].name, prefix, strlen(prefix)) == 0) {
				rx += links->link[i].rx_bytes;
				tx += links->link[i].tx_bytes;
			}
		struct series_st *st = table_get(&l->vips, key, l->tau);
		if (!st)
			continue;
		st->seen = true;
		double dt = st->at && now > st->at ? (double)(now - st->at) : 0;
		feed_pair(&st->prev.vip, rx, tx, dt, now, &st->s[0], &st->s[1]);
		st->at = now;
	}
}

static const char *const srv_name[N_SRV] = {"ganesha", "smbd"};

static void probe_free(struct probe *p)
{
	for (struct probe **pp = &p->l->probes; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	lib_run_destroy(p->run);
	free(p);
}

/* A counter read: its rate since the previous one into the VS's series (a
 * counter that went backwards, a server restarted, starts again). */
static void on_probe(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct probe *p = arg;
	struct ap_load *l = p->l;
	struct series_st *st = table_find(&l->vss, p->vs);
	uint64_t now, count;
	int rc = -EIO;

	(void)run;
	sd_event_now(l->ev, CLOCK_MONOTONIC, &now);
	if (res->end == LIB_RUN_EXITED && res->exit_code == 0)
		rc = p->srv == SRV_NFS ? fx_ganstats_total_ops(res->output, res->output_len, &count)
		                       : fx_smbprof_requests(res->output, res->output_len, &count);
	if (st) {
		struct reqcount *prev = &st->prev.vs.req[p->srv];
		if (rc < 0) {
			prev->have = false;
		} else {
			if (prev->have && now > prev->at && count >= prev->count)
				feed(&st->s[4 + p->srv], now,
				     (double)(count - prev->count) * 1e6 /
				         (double)(now - prev->at));
			prev->count = count;
			prev->at = now;
			prev->have = true;
		}
	}
	probe_free(p);
}

static bool probing(const struct ap_load *l, const char *vs, int srv)
{
	for (const struct probe *p = l->probes; p; p = p->next)
		if (p->srv == srv && strcmp(p->vs, vs) == 0)
			return true;
	return false;
}

static void probe_start(struct ap_load *l, const char *vs, int srv, const char *const *argv)
{
	struct lib_run_opts o = {.argv = argv,
	                         .netns_fd = -1,
	                         .timeout_usec = PROBE_TIMEOUT_USEC,
	                         .capture = true,
	                         .output_max = 256 * 1024};
	struct probe *p;
	int rc;

	if (probing(l, vs, srv) || !(p = calloc(1, sizeof(*p))))
		return;
	p->l = l;
	p->srv = srv;
	snprintf(p->vs, sizeof(p->vs), "%s", vs);
	rc = lib_run_start(l->ev, &o, on_probe, p, &p->run);
	if (rc < 0) {
		lib_warn("load: cannot read the request counter of %s's %s: %s", vs, srv_name[srv],
		         strerror(-rc));
		free(p);
		return;
	}
	p->next = l->probes;
	l->probes = p;
}

/* This period's reads of a VS's request counters. */
static void probe_vs(struct ap_load *l, const struct ap_load_src *src)
{
	if (src->nfs_bus[0]) {
		char dest[VS_NAME_MAX + 32], addr[sizeof(src->nfs_bus) + 16];
		snprintf(addr, sizeof(addr), "--address=%s", src->nfs_bus);
		/* The VS's own bus (fx_statbus.h), ganesha's name on it. */
		snprintf(dest, sizeof(dest), "%s.%s", src->vs, FX_STATBUS_GANESHA);
		const char *argv[] = {"busctl",
		                      addr,
		                      "--json=short",
		                      "--timeout=2",
		                      "call",
		                      dest,
		                      FX_STATBUS_OPS_PATH,
		                      FX_STATBUS_OPS_IFACE,
		                      FX_STATBUS_OPS_METHOD,
		                      NULL};
		probe_start(l, src->vs, SRV_NFS, argv);
	}
	if (src->smb_conf[0]) {
		const char *argv[] = {"smbstatus", "-s", src->smb_conf, "-P", NULL};
		probe_start(l, src->vs, SRV_SMB, argv);
	}
}

static void sample_vs(struct ap_load *l, const struct ap_load_src *src, uint64_t now,
                      struct ap_load_vs *out)
{
	struct series_st *st = table_get(&l->vss, src->vs, l->tau);
	struct lib_cgroup_cpu cpu;
	struct nf_linkstats links;
	double dt;

	memset(out, 0, sizeof(*out));
	snprintf(out->vs, sizeof(out->vs), "%s", src->vs);
	if (!st)
		return;
	st->seen = true;
	dt = st->at ? (double)(now - st->at) : 0;
	if (src->cgroup[0] && lib_cgroup_read_cpu(src->cgroup, &cpu) == 0) {
		double cores;
		if (st->prev.vs.have_cpu && dt > 0 &&
		    lib_cgroup_cpu_rate(&st->prev.vs.cpu, &cpu, now - st->at, &cores) == 0)
			feed(&st->s[0], now, cores);
		st->prev.vs.cpu = cpu;
		st->prev.vs.have_cpu = true;
	} else {
		st->prev.vs.have_cpu = false;
	}
	if (src->nsfd >= 0 && nf_linkstats_read_ns(src->nsfd, &links) == 0) {
		uint64_t bytes = 0, packets = 0;
		sample_vips(l, src, &links, now);
		for (size_t i = 0; i < links.n; i++) {
			if (strcmp(links.link[i].name, "lo") == 0)
				continue;
			bytes += links.link[i].rx_bytes + links.link[i].tx_bytes;
			packets += links.link[i].rx_packets + links.link[i].tx_packets;
		}
		nf_linkstats_free(&links);
		feed_pair(&st->prev.vs.net, bytes, packets, dt, now, &st->s[1], &st->s[2]);
	} else {
		st->prev.vs.net.have = false;
	}
	/* Its I/O: the rates of its devices, as the LUN series saw them. */
	double io = 0;
	for (int k = 0; k < src->n_devs; k++) {
		struct stat sb;
		if (stat(src->devs[k], &sb) != 0 || !S_ISBLK(sb.st_mode))
			continue;
		for (int j = 0; j < l->luns.n; j++) {
			const struct fx_diskstat *d = &l->luns.e[j].prev.disk;
			if (d->major == major(sb.st_rdev) && d->minor == minor(sb.st_rdev))
				io += l->luns.e[j].s[1].raw + l->luns.e[j].s[2].raw;
		}
	}
	feed(&st->s[3], now, io);
	st->at = now;
	out->cpu = val(&st->s[0]);
	out->net_bps = val(&st->s[1]);
	out->net_pps = val(&st->s[2]);
	out->io_bps = val(&st->s[3]);
	out->cpu_trend = (int)vs_load_trend(&st->s[0]);
	out->net_trend = (int)vs_load_trend(&st->s[1]);
	/* Rates as the counters read so far gave them; no source, no figure. */
	out->has_nfs = src->nfs_bus[0] && st->s[4].primed;
	out->nfs_rps = out->has_nfs ? val(&st->s[4]) : 0;
	out->has_smb = src->smb_conf[0] && st->s[5].primed;
	out->smb_rps = out->has_smb ? val(&st->s[5]) : 0;
	probe_vs(l, src);
}

static void sample_luns(struct ap_load *l, int n, const struct fx_diskstats *ds, uint64_t now)
{
	l->msg.load.n_luns = 0;
	for (int i = 0; i < n; i++) {
		const struct ap_load_lunsrc *src = &l->lsrcs[i];
		struct stat sb;
		const struct fx_diskstat *cur;
		struct series_st *st;

		if (stat(src->dev, &sb) != 0 || !S_ISBLK(sb.st_mode))
			continue;
		cur = fx_diskstats_find(ds, major(sb.st_rdev), minor(sb.st_rdev));
		if (!cur || !(st = table_get(&l->luns, src->lun, l->tau)))
			continue;
		st->seen = true;
		if (st->at && now > st->at && st->prev.disk.major == cur->major &&
		    st->prev.disk.minor == cur->minor) {
			struct fx_diskrate r;
			if (fx_diskstats_rate(&st->prev.disk, cur, now - st->at, &r) == 0) {
				feed(&st->s[0], now, r.util);
				feed(&st->s[1], now, r.read_bps);
				feed(&st->s[2], now, r.write_bps);
				feed(&st->s[3], now, r.read_iops + r.write_iops);
			}
		}
		st->prev.disk = *cur;
		st->at = now;
		struct ap_load_lun *o = &l->msg.load.luns[l->msg.load.n_luns++];
		snprintf(o->lun, sizeof(o->lun), "%s", src->lun);
		o->util = fmin(1, val(&st->s[0]));
		o->read_bps = val(&st->s[1]);
		o->write_bps = val(&st->s[2]);
		o->iops = val(&st->s[3]);
		o->trend = (int)vs_load_trend(&st->s[0]);
	}
	table_sweep(&l->luns);
}

static void sample_ports(struct ap_load *l, uint64_t now)
{
	struct nf_linkstats links;
	int rc = nf_linkstats_read(&links);

	l->msg.load.n_ports = 0;
	if (rc < 0) {
		lib_warn("load: cannot read this node's link counters: %s", strerror(-rc));
		return;
	}
	for (size_t i = 0; i < links.n; i++) {
		const struct nf_linkstat *cur = &links.link[i];
		struct series_st *st;
		uint32_t mbps = 0;

		if (strcmp(cur->name, "lo") == 0)
			continue;
		if (l->msg.load.n_ports >= VS_REPORT_MAX_PORTS) {
			if (!l->capped_said)
				lib_warn("load: this node has more than %d links: the others are "
				         "not measured",
				         VS_REPORT_MAX_PORTS);
			l->capped_said = true;
			break;
		}
		if (!(st = table_get(&l->ports, cur->name, l->tau)))
			continue;
		st->seen = true;
		if (st->at && now > st->at && st->prev.link.ifindex == cur->ifindex) {
			struct nf_linkrate r;
			if (nf_linkstats_rate(&st->prev.link, cur, now - st->at, &r) == 0) {
				feed(&st->s[0], now, r.rx_bps);
				feed(&st->s[1], now, r.tx_bps);
				feed(&st->s[2], now, r.rx_bps + r.tx_bps);
			}
		}
		st->prev.link = *cur;
		st->at = now;
		int src = nf_linkstats_speed(cur->name, &mbps);
		struct ap_load_port *o = &l->msg.load.ports[l->msg.load.n_ports++];
		snprintf(o->port, sizeof(o->port), "%s", cur->name);
		o->rx_bps = val(&st->s[0]);
		o->tx_bps = val(&st->s[1]);
		o->speed_bps = (double)nf_linkstats_capacity(src, mbps, 0) / 8;
		o->trend = (int)vs_load_trend(&st->s[2]);
	}
	nf_linkstats_free(&links);
	table_sweep(&l->ports);
}

static void tick(struct ap_load *l)
{
	struct fx_diskstats ds = {NULL, 0};
	uint64_t now;
	int rc, n;

	sd_event_now(l->ev, CLOCK_MONOTONIC, &now);
	uint64_t tau = l->hooks.tau_usec ? l->hooks.tau_usec(l->hooks.arg) : 0;
	if (tau != l->tau) {
		/* The administrator changed the smoothing: every series follows. */
		struct table *all[4] = {&l->vss, &l->ports, &l->luns, &l->vips};
		for (int t = 0; tau && t < 4; t++)
			for (int i = 0; i < all[t]->n; i++)
				for (int k = 0; k < N_SERIES; k++)
					(void)vs_load_set_tau(&all[t]->e[i].s[k], tau);
		l->tau = tau;
	}
	rc = fx_diskstats_read(NULL, &ds);
	if (rc < 0)
		lib_warn("load: cannot read /proc/diskstats: %s", strerror(-rc));
	n = l->hooks.luns ? l->hooks.luns(l->hooks.arg, l->lsrcs, AP_MSG_MAX_LOAD_LUNS) : 0;
	sample_luns(l, n, &ds, now);
	sample_ports(l, now);
	n = l->hooks.vss ? l->hooks.vss(l->hooks.arg, l->srcs, AP_MSG_MAX_LOAD_VS) : 0;
	l->msg.load.n_vs = 0;
	l->msg.load.cpu = 0;
	for (int i = 0; i < n; i++) {
		struct ap_load_vs *o = &l->msg.load.vs[l->msg.load.n_vs++];
		sample_vs(l, &l->srcs[i], now, o);
		l->msg.load.cpu += o->cpu;
	}
	table_sweep(&l->vss);
	table_sweep(&l->vips);
	fx_diskstats_free(&ds);
	if (l->hooks.sample)
		l->hooks.sample(l->hooks.arg, &l->msg);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ap_load *l = userdata;

	tick(l);
	sd_event_source_set_time_relative(s, l->period);
	sd_event_source_set_enabled(s, SD_EVENT_ON);
	return 0;
}

int ap_load_create(sd_event *ev, const char *node, int cores, uint64_t period_usec,
                   const struct ap_load_hooks *hooks, struct ap_load **out)
{
	struct ap_load *l = calloc(1, sizeof(*l));
	int rc;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->ev = ev;
	snprintf(l->node, sizeof(l->node), "%s", node);
	l->cores = cores > 0 ? cores : 1;
	l->period = period_usec ? period_usec : AP_LOAD_PERIOD_USEC;
	l->hooks = *hooks;
	l->srcs = calloc(AP_MSG_MAX_LOAD_VS, sizeof(*l->srcs));
	l->lsrcs = calloc(AP_MSG_MAX_LOAD_LUNS, sizeof(*l->lsrcs));
	l->msg.load.vs = calloc(AP_MSG_MAX_LOAD_VS, sizeof(*l->msg.load.vs));
	l->msg.load.luns = calloc(AP_MSG_MAX_LOAD_LUNS, sizeof(*l->msg.load.luns));
	if (!l->srcs || !l->lsrcs || !l->msg.load.vs || !l->msg.load.luns) {
		ap_load_destroy(l);
		return -ENOMEM;
	}
	l->msg.type = AP_MSG_LOAD;
	snprintf(l->msg.load.node, sizeof(l->msg.load.node), "%s", node);
	l->msg.load.cores = l->cores;
	l->msg.load.period_ms = l->period / 1000;
	rc = sd_event_add_time_relative(ev, &l->timer, CLOCK_MONOTONIC, l->period, 0, on_timer, l);
	if (rc < 0) {
		ap_load_destroy(l);
		return rc;
	}
	*out = l;
	return 0;
}

void ap_load_destroy(struct ap_load *l)
{
	if (!l)
		return;
	sd_event_source_disable_unref(l->timer);
	while (l->probes)
		probe_free(l->probes);
	free(l->srcs);
	free(l->lsrcs);
	free(l->msg.load.vs);
	free(l->msg.load.luns);
	free(l->vss.e);
	free(l->ports.e);
	free(l->luns.e);
	free(l->vips.e);
	free(l);
}

int ap_load_port_rate(const struct ap_load *l, const char *port, double *bps)
{
	const struct series_st *st = table_find(&l->ports, port);

	if (!st || !st->s[0].primed)
		return -ENOENT;
	*bps = fmax(val(&st->s[0]), val(&st->s[1]));
	return 0;
}

int ap_load_vip_rate(const struct ap_load *l, const char *vs, const char *addr, double *bps)
{
	char key[VS_NAME_MAX + VS_ADDR_MAX + 8];
	const struct series_st *st;

	snprintf(key, sizeof(key), "%s %s", vs, addr);
	st = table_find(&l->vips, key);
	if (!st || !st->s[0].primed)
		return -ENOENT;
	*bps = fmax(val(&st->s[0]), val(&st->s[1]));
	return 0;
}
