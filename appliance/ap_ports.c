/*
 * ap_ports.c - port health and VIP placement on this node (see ap_ports.h).
 *
 * State kept here: one entry per port the kernel reported (health, when it
 * last changed, its flap history, traffic), one entry per VIP placed (manual
 * placement, no-healthy-port mark, the last reason it is where it is). The
 * decision itself is nf_policy_decide(); evaluate() runs it over every VIP of
 * every running VS, in configuration order, counting each move as it goes so
 * that several VIPs leaving one port spread over the others.
 */
#include "appliance/ap_stats.h"
#include "appliance/ap_ports.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/lib_log.h"
#include "netfail/nf_linkmon.h"
#include "netfail/nf_linkstats.h"
#include "netfail/nf_policy.h"
#include "netfail/nf_probe.h"

#define MAX_PORTS 64
/* Every VIP the model allows: the table grows, it never drops one. */
#define MAX_VIPS (VS_MAX_VSERVERS * VS_MAX_VIPS)
#define TICK_USEC (1000ULL * 1000)
#define STATS_EVERY_TICKS 5
#define SPREAD_EVERY_TICKS 10
#define SPREAD_MAX_VIPS 256 /* VIPs of one group weighed in a round */
#define TRAFFIC_ALPHA 0.3

struct port {
	char name[16];
	int ifindex;
	bool present, admin_up, carrier;
	struct nf_probe *probe;
	struct nf_probe_opts probe_opts; /* strings below */
	char probe_target[VS_ADDR_MAX + 1];
	bool probe_passing;
	bool healthy;
	uint64_t since; /* last health change, monotonic usec */
	struct nf_flap flap;
	bool damped_said;
	unsigned quiet_changes; /* changes not logged one by one while damped */
	uint64_t last_bytes, last_stats_usec;
	double traffic;     /* bytes/s, smoothed */
	uint64_t hot_since; /* spreading: hot since (mono usec), 0 = not hot */
};

struct vipent {
	char vs[VS_NAME_MAX + 1];
	char addr[VS_ADDR_MAX + 1];
	bool manual;
	bool spread;        /* moved to spread traffic: it stays, no auto-revert */
	uint64_t spread_at; /* when (mono usec) */
	bool no_port;
	bool seen;
	char why[160];
};

struct ap_ports {
	sd_event *ev;
	struct ap_ports_hooks hooks;
	void *arg;
	struct nf_linkmon *mon;
	sd_event_source *tick;
	sd_event_source *defer;
	unsigned ticks;
	char probe_sig[2048]; /* the probe set the current probes were made for */
	int n_ports;
	struct port ports[MAX_PORTS];
	int n_vips, cap_vips;
	struct vipent *vips; /* owned; the VIPs of the VSs running here */
	bool evaluating;
};

static uint64_t now_usec(struct ap_ports *p)
{
	uint64_t t = 0;

	sd_event_now(p->ev, CLOCK_MONOTONIC, &t);
	return t;
}

static void pevent(struct ap_ports *p, const char *vs, const char *severity, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void pevent(struct ap_ports *p, const char *vs, const char *severity, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lib_log(lib_log_level_of(severity), "%s%s%s", vs ? vs : "", vs ? ": " : "", msg);
	p->hooks.event(p->arg, vs, severity, msg);
}

static struct port *find_port(struct ap_ports *p, const char *name)
{
	for (int i = 0; i < p->n_ports; i++)
		if (strcmp(p->ports[i].name, name) == 0)
			return &p->ports[i];
	return NULL;
}

static struct port *get_port(struct ap_ports *p, const char *name)
{
	struct port *pt = find_port(p, name);

	if (pt || p->n_ports >= MAX_PORTS)
		return pt;
	pt = &p->ports[p->n_ports++];
	memset(pt, 0, sizeof(*pt));
	snprintf(pt->name, sizeof(pt->name), "%s", name);
	pt->probe_passing = true;
	return pt;
}

static struct vipent *get_vip(struct ap_ports *p, const char *vs, const char *addr, bool create)
{
	for (int i = 0; i < p->n_vips; i++)
		if (strcmp(p->vips[i].vs, vs) == 0 && strcmp(p->vips[i].addr, addr) == 0)
			return &p->vips[i];
	if (!create)
		return NULL;
	if (vs_grow((void **)&p->vips, &p->cap_vips, p->n_vips, sizeof(p->vips[0]), MAX_VIPS) < 0) {
		lib_err("%s: out of memory tracking virtual IP %s: its port is not watched", vs,
		        addr);
		return NULL;
	}
	struct vipent *v = &p->vips[p->n_vips++];
	memset(v, 0, sizeof(*v));
	snprintf(v->vs, sizeof(v->vs), "%s", vs);
	snprintf(v->addr, sizeof(v->addr), "%s", addr);
	return v;
}

static struct nf_policy_params params(const struct vs_fgroup *g)
{
	struct nf_policy_params pp = {
	    .hold_down = (g ? g->hold_down_s : VS_FG_HOLD_DOWN_DEFAULT) * 1000000ULL,
	    .damp_window = NF_DAMP_WINDOW_DEFAULT,
	    .damp_threshold = NF_DAMP_THRESHOLD_DEFAULT,
	};
	return pp;
}

/* --- the decision over every VIP --------------------------------------------- */

struct view {
	struct nf_port_view pv[MAX_PORTS];
};

static void build_view(struct ap_ports *p, struct view *w)
{
	for (int i = 0; i < p->n_ports; i++) {
		struct port *pt = &p->ports[i];
		w->pv[i] = (struct nf_port_view){.name = pt->name,
		                                 .healthy = pt->healthy,
		                                 .healthy_since = pt->since,
		                                 .flap = &pt->flap,
		                                 .vips = 0,
		                                 .traffic = (uint64_t)pt->traffic};
	}
}

/* Group ports of a VIP as indices into the port table (created if unknown). */
static int group_of(struct ap_ports *p, const struct vs_config *cfg, const struct vs_vip *vip,
                    int *idx)
{
	const struct vs_fgroup *g = vs_vip_fgroup(cfg, vip);
	int n = 0;

	if (!g) {
		struct port *pt = get_port(p, vip->home_port);
		if (pt)
			idx[n++] = (int)(pt - p->ports);
		return n;
	}
	for (int k = 0; k < g->n_ports; k++) {
		struct port *pt = get_port(p, g->ports[k]);
		if (pt)
			idx[n++] = (int)(pt - p->ports);
	}
	return n;
}

static void evaluate(struct ap_ports *p)
{
	const struct vs_config *cfg = p->hooks.config(p->arg);
	uint64_t now = now_usec(p);
	struct view *w;

	if (p->evaluating)
		return;
	w = malloc(sizeof(*w));
	if (!w)
		return;
	p->evaluating = true;
	for (int i = 0; i < p->n_vips; i++)
		p->vips[i].seen = false;
	/* Make every port a VIP may use known before building the view. */
	for (int s = 0; s < cfg->n_vservers; s++)
		for (int k = 0; k < cfg->vservers[s].n_vips; k++) {
			int idx[VS_FG_MAX_PORTS];
			group_of(p, cfg, &cfg->vservers[s].vips[k], idx);
		}
	build_view(p, w);
	/* Current load: VIPs per port. */
	for (int s = 0; s < cfg->n_vservers; s++) {
		const struct vs_vserver *vs = &cfg->vservers[s];
		struct vs_runtime *rt = p->hooks.runtime(p->arg, vs->name);
		for (int k = 0; rt && k < vs->n_vips; k++) {
			const char *cur = vs_runtime_vip_port(rt, vs->vips[k].addr);
			struct port *pt = cur ? find_port(p, cur) : NULL;
			if (pt)
				w->pv[pt - p->ports].vips++;
		}
	}
	for (int s = 0; s < cfg->n_vservers; s++) {
		const struct vs_vserver *vs = &cfg->vservers[s];
		struct vs_runtime *rt = p->hooks.runtime(p->arg, vs->name);
		for (int k = 0; rt && k < vs->n_vips; k++) {
			const struct vs_vip *vip = &vs->vips[k];
			const char *cur = vs_runtime_vip_port(rt, vip->addr);
			if (!cur)
				continue; /* not up yet: placed by ap_ports_choose */
			struct vipent *ve = get_vip(p, vs->name, vip->addr, true);
			int idx[VS_FG_MAX_PORTS];
			struct nf_decision d;
			if (!ve)
				continue;
			ve->seen = true;
			struct nf_vip_view v = {.home = vip->home_port,
			                        .current = cur,
			                        .auto_revert = !vip->no_auto_revert,
			                        .manual = ve->manual || ve->spread,
			                        .group = idx,
			                        .n_group = group_of(p, cfg, vip, idx)};
			struct nf_policy_params pp = params(vs_vip_fgroup(cfg, vip));

			nf_policy_decide(&v, w->pv, p->n_ports, &pp, now, &d);
			if (d.verdict == NF_NO_PORT) {
				if (!ve->no_port)
					pevent(
					    p, vs->name, "error",
					    "no healthy port for virtual IP %s: %s; it stays on %s "
					    "(no-healthy-port)",
					    vip->addr, d.why, cur);
				ve->no_port = true;
				snprintf(ve->why, sizeof(ve->why), "%s", d.why);
				continue;
			}
			if (ve->no_port) {
				ve->no_port = false;
				pevent(p, vs->name, "info",
				       "virtual IP %s has a healthy port again; no-healthy-port "
				       "cleared",
				       vip->addr);
			}
			if (d.verdict == NF_STAY) {
				if (d.held)
					snprintf(ve->why, sizeof(ve->why),
					         "waiting to return home: %s", d.why);
				else if (strcmp(cur, vip->home_port) == 0)
					ve->why[0] = '\0';
				continue;
			}
			const char *to = p->ports[d.port].name;
			char was[VS_PORT_MAX + 1];
			snprintf(was, sizeof(was), "%s", cur); /* the move rewrites *cur */
			cur = was;
			int rc = vs_runtime_vip_move(rt, vip->addr, to);
			if (rc < 0) {
				ap_stats_vip(p->hooks.stats, AP_STATS_VIP_FAILED);
				pevent(p, vs->name, "error",
				       "moving virtual IP %s from %s to %s failed: %s", vip->addr,
				       cur, to, strerror(-rc));
				continue;
			}
			struct port *from = find_port(p, cur);
			if (from && w->pv[from - p->ports].vips > 0)
				w->pv[from - p->ports].vips--;
			w->pv[d.port].vips++;
			ve->spread = false; /* a failure moved it: the policy's again */
			ap_stats_vip(p->hooks.stats,
			             d.revert ? AP_STATS_VIP_REVERT : AP_STATS_VIP_FAILOVER);
			if (d.revert) {
				ve->why[0] = '\0';
				pevent(p, vs->name, "info",
				       "virtual IP %s returned home %s -> %s: %s", vip->addr, cur,
				       to, d.why);
			} else {
				snprintf(ve->why, sizeof(ve->why), "%s", d.why);
				pevent(p, vs->name, "warning", "virtual IP %s moved %s -> %s: %s",
				       vip->addr, cur, to, d.why);
			}
		}
	}
	/* Hot standbys on the other ports of each up VIP's group, made by the
	 * runtime later, off the path of this round. */
	for (int s = 0; s < cfg->n_vservers; s++) {
		const struct vs_vserver *vs = &cfg->vservers[s];
		struct vs_runtime *rt = p->hooks.runtime(p->arg, vs->name);
		for (int k = 0; rt && k < vs->n_vips; k++) {
			const char *cur = vs_runtime_vip_port(rt, vs->vips[k].addr);
			char others[VS_FG_MAX_PORTS][VS_PORT_MAX + 1];
			int idx[VS_FG_MAX_PORTS], n = 0;
			int n_group = cur ? group_of(p, cfg, &vs->vips[k], idx) : 0;
			for (int g = 0; g < n_group; g++)
				if (strcmp(p->ports[idx[g]].name, cur) != 0)
					snprintf(others[n++], sizeof(others[0]), "%s",
					         p->ports[idx[g]].name);
			if (cur)
				vs_runtime_vip_standbys(rt, vs->vips[k].addr,
				                        (const char(*)[VS_PORT_MAX + 1]) others, n);
		}
	}
	/* Forget VIPs that are gone (deleted, or their VS stopped). */
	for (int i = 0; i < p->n_vips; i++) {
		if (p->vips[i].seen)
			continue;
		p->vips[i] = p->vips[--p->n_vips];
		i--;
	}
	p->evaluating = false;
	free(w);
}

/* --- port health ----------------------------------------------------------------- */

static void update_health(struct ap_ports *p, struct port *pt, const char *cause)
{
	bool healthy = pt->present && pt->admin_up && pt->carrier && pt->probe_passing;
	uint64_t now = now_usec(p);
	struct nf_port_view view = {.flap = &pt->flap};
	struct nf_policy_params pp = params(NULL);

	if (healthy == pt->healthy && pt->since)
		return;
	bool first = pt->since == 0;
	pt->healthy = healthy;
	pt->since = now;
	if (first)
		return; /* the initial state is not a change */
	nf_flap_note(&pt->flap, now);
	if (nf_port_damped(&view, &pp, now)) {
		if (!pt->damped_said) {
			pt->damped_said = true;
			pevent(p, NULL, "warning",
			       "port %s damped: %u health changes within %.0f s; no VIP moves onto "
			       "it or back to it until it is stable",
			       pt->name, nf_flap_count(&pt->flap, now, pp.damp_window),
			       (double)pp.damp_window / 1e6);
		}
		pt->quiet_changes++;
	} else {
		pevent(p, NULL, healthy ? "info" : "warning", "port %s %s: %s", pt->name,
		       healthy ? "healthy" : "unhealthy", cause);
	}
	evaluate(p);
}

static void on_probe(const char *port, bool passing, void *arg);

static void on_link(const struct nf_link *l, void *arg)
{
	struct ap_ports *p = arg;
	struct port *pt = l->gone ? find_port(p, l->name) : get_port(p, l->name);
	uint64_t now = now_usec(p);
	char cause[64];

	if (!pt)
		return;
	if (!l->gone && pt->last_stats_usec && now > pt->last_stats_usec) {
		uint64_t bytes = l->rx_bytes + l->tx_bytes;
		double rate = bytes >= pt->last_bytes ? (double)(bytes - pt->last_bytes) * 1e6 /
		                                            (double)(now - pt->last_stats_usec)
		                                      : 0;
		pt->traffic = TRAFFIC_ALPHA * rate + (1 - TRAFFIC_ALPHA) * pt->traffic;
	}
	pt->last_bytes = l->rx_bytes + l->tx_bytes;
	pt->last_stats_usec = now;
	snprintf(cause, sizeof(cause), "%s",
	         l->gone              ? "the port was removed"
	         : !l->admin_up       ? "administratively down"
	         : !l->carrier        ? "lost carrier"
	         : !pt->probe_passing ? "probe failing"
	                              : "carrier up");
	if (pt->probe && l->carrier && !pt->carrier) {
		/* Carrier back: misses counted without it mean nothing; probe afresh
		 * (passing until proven otherwise). */
		nf_probe_destroy(pt->probe);
		pt->probe = NULL;
		pt->probe_passing = true;
		if (nf_probe_create(p->ev, &pt->probe_opts, on_probe, p, &pt->probe) < 0)
			pevent(p, NULL, "error", "cannot probe from port %s again", pt->name);
	}
	pt->present = !l->gone;
	pt->ifindex = l->ifindex;
	pt->admin_up = l->admin_up;
	pt->carrier = l->carrier;
	update_health(p, pt, cause);
}

static void on_probe(const char *port, bool passing, void *arg)
{
	struct ap_ports *p = arg;
	struct port *pt = find_port(p, port);

	if (!pt || !pt->carrier)
		return; /* without carrier the probe says nothing new */
	pt->probe_passing = passing;
	update_health(p, pt, passing ? "probe answered again" : "probe target not answering");
}

/* (Re)make the probes when the set of probed ports changed. */
static void make_probes(struct ap_ports *p)
{
	const struct vs_config *cfg = p->hooks.config(p->arg);
	char sig[sizeof(p->probe_sig)] = "";
	size_t n = 0;

	for (int i = 0; i < cfg->n_fgroups; i++) {
		const struct vs_fgroup *g = &cfg->fgroups[i];
		if (!g->probe[0])
			continue;
		for (int k = 0; k < g->n_ports && n < sizeof(sig); k++)
			n += (size_t)snprintf(sig + n, sizeof(sig) - n, "%s>%s/%u/%u;", g->ports[k],
			                      g->probe, g->probe_interval_ms, g->probe_misses);
	}
	if (strcmp(sig, p->probe_sig) == 0)
		return;
	snprintf(p->probe_sig, sizeof(p->probe_sig), "%s", sig);
	for (int i = 0; i < p->n_ports; i++) {
		nf_probe_destroy(p->ports[i].probe);
		p->ports[i].probe = NULL;
		p->ports[i].probe_passing = true;
	}
	for (int i = 0; i < cfg->n_fgroups; i++) {
		const struct vs_fgroup *g = &cfg->fgroups[i];
		if (!g->probe[0])
			continue;
		for (int k = 0; k < g->n_ports; k++) {
			struct port *pt = get_port(p, g->ports[k]);
			int rc = -ENOMEM;
			if (pt) {
				snprintf(pt->probe_target, sizeof(pt->probe_target), "%s",
				         g->probe);
				pt->probe_opts =
				    (struct nf_probe_opts){.port = pt->name,
				                           .target = pt->probe_target,
				                           .interval_ms = g->probe_interval_ms,
				                           .misses = g->probe_misses};
				rc = nf_probe_create(p->ev, &pt->probe_opts, on_probe, p,
				                     &pt->probe);
			}
			if (rc < 0)
				pevent(p, NULL, "error", "cannot probe %s from port %s: %s",
				       g->probe, g->ports[k], strerror(-rc));
		}
	}
	for (int i = 0; i < p->n_ports; i++)
		update_health(p, &p->ports[i], "probes changed");
}

/* --- VIPs spread over their group's ports by traffic -------------------------- */

static double port_capacity(const struct vs_fgroup *g, const struct port *pt)
{
	uint32_t mbps = 0;
	int rc;

	if (g->port_mbps)
		return g->port_mbps * 125000.0;
	rc = nf_linkstats_speed(pt->name, &mbps);
	return (double)nf_linkstats_capacity(rc, mbps, 0) / 8;
}

static void spread_group(struct ap_ports *p, const struct vs_config *cfg, const struct vs_fgroup *g,
                         const struct nf_spread_params *sp, uint64_t now)
{
	struct nf_spread_port sports[VS_FG_MAX_PORTS];
	struct nf_spread_vip *sv = calloc(SPREAD_MAX_VIPS, sizeof(*sv));
	struct vipent **ves = calloc(SPREAD_MAX_VIPS, sizeof(*ves));
	struct nf_policy_params pp = params(g);
	int np = 0, nv = 0;

	if (!sv || !ves)
		goto out;
	for (int k = 0; k < g->n_ports; k++) {
		struct port *pt = find_port(p, g->ports[k]);
		double bps = 0;
		if (!pt || !pt->present)
			continue;
		if (p->hooks.port_rate(p->arg, pt->name, &bps) < 0)
			goto out; /* not measured yet: no decision */
		struct nf_port_view pv = {.flap = &pt->flap};
		double cap = port_capacity(g, pt);
		if (bps / cap < sp->hot)
			pt->hot_since = 0;
		else if (!pt->hot_since)
			pt->hot_since = now;
		sports[np++] =
		    (struct nf_spread_port){.name = pt->name,
		                            .usable = pt->healthy && !nf_port_damped(&pv, &pp, now),
		                            .capacity = cap,
		                            .traffic = bps,
		                            .hot_since = pt->hot_since};
	}
	if (np < 2)
		goto out;
	for (int s = 0; s < cfg->n_vservers; s++) {
		const struct vs_vserver *vs = &cfg->vservers[s];
		struct vs_runtime *rt = p->hooks.runtime(p->arg, vs->name);
		for (int k = 0; rt && k < vs->n_vips; k++) {
			const struct vs_vip *vip = &vs->vips[k];
			const char *cur = vs_runtime_vip_port(rt, vip->addr);
			int at = -1;
			double bps = 0;
			if (!cur || vs_vip_fgroup(cfg, vip) != g)
				continue;
			for (int i = 0; i < np; i++)
				if (strcmp(sports[i].name, cur) == 0)
					at = i;
			struct vipent *ve = at >= 0 ? get_vip(p, vs->name, vip->addr, true) : NULL;
			if (!ve || p->hooks.vip_rate(p->arg, vs->name, vip->addr, &bps) < 0)
				continue;
			if (nv == SPREAD_MAX_VIPS) {
				lib_warn(
				    "ports: group %s has more than %d VIPs up here: the others "
				    "are not weighed for spreading",
				    g->name, SPREAD_MAX_VIPS);
				goto decide;
			}
			sv[nv] = (struct nf_spread_vip){.addr = vip->addr,
			                                .port = at,
			                                .traffic = bps,
			                                .manual = ve->manual,
			                                .moved = ve->spread_at};
			ves[nv++] = ve;
		}
	}
decide:;
	struct nf_spread_move mv;
	if (nf_spread_decide(sp, sports, np, sv, nv, now, &mv) != 1)
		goto out;
	struct vipent *ve = ves[mv.vip];
	struct vs_runtime *rt = p->hooks.runtime(p->arg, ve->vs);
	const char *to = sports[mv.to].name, *from = sports[sv[mv.vip].port].name;
	int rc = rt ? vs_runtime_vip_move(rt, ve->addr, to) : -ENOENT;
	if (rc < 0) {
		pevent(p, ve->vs, "error", "moving virtual IP %s from %s to %s failed: %s",
		       ve->addr, from, to, strerror(-rc));
		goto out;
	}
	ve->spread = true;
	ve->spread_at = now;
	ap_stats_vip(p->hooks.stats, AP_STATS_VIP_SPREAD);
	snprintf(ve->why, sizeof(ve->why), "moved to spread the traffic of group %s", g->name);
	pevent(p, ve->vs, "info", "virtual IP %s moved %s -> %s to spread the traffic: %s",
	       ve->addr, from, to, mv.reason);
out:
	free(sv);
	free(ves);
}

static void spread(struct ap_ports *p)
{
	const struct vs_config *cfg = p->hooks.config(p->arg);
	struct nf_spread_params sp;
	uint64_t now = now_usec(p);

	if (!p->hooks.port_rate || !p->hooks.vip_rate)
		return;
	nf_spread_defaults(&sp);
	if (p->hooks.spread_params)
		p->hooks.spread_params(p->arg, &sp);
	for (int g = 0; g < cfg->n_fgroups; g++)
		spread_group(p, cfg, &cfg->fgroups[g], &sp, now);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ap_ports *p = userdata;

	if (++p->ticks % STATS_EVERY_TICKS == 0 && nf_linkmon_refresh(p->mon) < 0)
		lib_warn("ports: cannot refresh the link counters");
	/* Damped ports that calmed down get their voice back. */
	for (int i = 0; i < p->n_ports; i++) {
		struct port *pt = &p->ports[i];
		struct nf_port_view view = {.flap = &pt->flap};
		struct nf_policy_params pp = params(NULL);
		if (pt->damped_said && !nf_port_damped(&view, &pp, now_usec(p))) {
			pt->damped_said = false;
			pevent(
			    p, NULL, "info",
			    "port %s no longer damped (%u changes were not logged one by one); it "
			    "is %s",
			    pt->name, pt->quiet_changes, pt->healthy ? "healthy" : "unhealthy");
			pt->quiet_changes = 0;
		}
	}
	evaluate(p); /* reverts come due with time */
	if (p->ticks % SPREAD_EVERY_TICKS == 0)
		spread(p);
	sd_event_source_set_time_relative(s, TICK_USEC);
	sd_event_source_set_enabled(s, SD_EVENT_ON);
	return 0;
}

/* --- public -------------------------------------------------------------------- */

int ap_ports_create(sd_event *ev, const struct ap_ports_hooks *hooks, void *arg,
                    struct ap_ports **out)
{
	struct ap_ports *p = calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return -ENOMEM;
	p->ev = sd_event_ref(ev);
	p->hooks = *hooks;
	p->arg = arg;
	rc = nf_linkmon_create(ev, on_link, p, &p->mon);
	if (rc == 0)
		rc = sd_event_add_time_relative(ev, &p->tick, CLOCK_MONOTONIC, TICK_USEC, 0,
		                                on_tick, p);
	if (rc < 0) {
		ap_ports_destroy(p);
		return rc;
	}
	make_probes(p);
	*out = p;
	return 0;
}

void ap_ports_destroy(struct ap_ports *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n_ports; i++)
		nf_probe_destroy(p->ports[i].probe);
	nf_linkmon_destroy(p->mon);
	sd_event_source_disable_unref(p->tick);
	sd_event_source_disable_unref(p->defer);
	sd_event_unref(p->ev);
	free(p->vips);
	free(p);
}

static int on_defer(sd_event_source *s, void *userdata)
{
	struct ap_ports *p = userdata;

	p->defer = sd_event_source_disable_unref(p->defer);
	make_probes(p);
	evaluate(p);
	return 0;
}

void ap_ports_config_changed(struct ap_ports *p)
{
	/* Deferred: the caller may be in the middle of a runtime's work. */
	if (!p->defer && sd_event_add_defer(p->ev, &p->defer, on_defer, p) < 0)
		lib_warn("ports: cannot schedule a re-evaluation");
}

const char *ap_ports_choose(struct ap_ports *p, const char *vs, const struct vs_vip *vip)
{
	const struct vs_config *cfg = p->hooks.config(p->arg);
	struct view *w = malloc(sizeof(*w));
	int idx[VS_FG_MAX_PORTS];
	struct nf_decision d;
	const char *port = NULL;

	if (!w)
		return NULL;
	int n_group = group_of(p, cfg, vip, idx);
	build_view(p, w);
	/* Load: VIPs up on each port now. */
	for (int s = 0; s < cfg->n_vservers; s++) {
		struct vs_runtime *rt = p->hooks.runtime(p->arg, cfg->vservers[s].name);
		for (int k = 0; rt && k < cfg->vservers[s].n_vips; k++) {
			const char *cur = vs_runtime_vip_port(rt, cfg->vservers[s].vips[k].addr);
			struct port *pt = cur ? find_port(p, cur) : NULL;
			if (pt)
				w->pv[pt - p->ports].vips++;
		}
	}
	struct nf_vip_view v = {.home = vip->home_port,
	                        .current = "",
	                        .auto_revert = !vip->no_auto_revert,
	                        .group = idx,
	                        .n_group = n_group};
	struct nf_policy_params pp = params(vs_vip_fgroup(cfg, vip));
	nf_policy_decide(&v, w->pv, p->n_ports, &pp, now_usec(p), &d);
	struct vipent *ve = get_vip(p, vs, vip->addr, true);
	if (d.verdict == NF_MOVE) {
		port = p->ports[d.port].name;
		if (ve && strcmp(port, vip->home_port) != 0)
			snprintf(ve->why, sizeof(ve->why), "%s", d.why);
	} else if (ve && d.verdict == NF_NO_PORT) {
		if (!ve->no_port)
			pevent(
			    p, vs, "error",
			    "no healthy port for virtual IP %s: %s; it is brought up on its home "
			    "port %s (no-healthy-port)",
			    vip->addr, d.why, vip->home_port);
		ve->no_port = true;
		snprintf(ve->why, sizeof(ve->why), "%s", d.why);
	}
	if (ve)
		ve->seen = true;
	free(w);
	return port;
}

static struct vs_vserver *find_vs(const struct vs_config *cfg, const char *name)
{
	return vs_config_find((struct vs_config *)cfg, name);
}

int ap_ports_migrate(struct ap_ports *p, const char *vs, const char *addr, const char *port,
                     char *err, size_t errlen)
{
	const struct vs_config *cfg = p->hooks.config(p->arg);
	struct vs_vserver *v = find_vs(cfg, vs);
	struct vs_runtime *rt = v ? p->hooks.runtime(p->arg, vs) : NULL;
	struct vs_vip *vip = v ? vs_vserver_find_vip(v, addr) : NULL;
	int idx[VS_FG_MAX_PORTS], n, rc;
	bool in_group = false;

	if (!v)
		return snprintf(err, errlen, "There is no virtual server named '%s'.", vs), -ENOENT;
	if (!vip)
		return snprintf(err, errlen, "'%s' has no virtual IP %s.", vs, addr), -ENOENT;
	const char *cur = rt ? vs_runtime_vip_port(rt, vip->addr) : NULL;
	if (!cur)
		return snprintf(err, errlen, "The virtual IP %s is not up: start '%s' first.",
		                vip->addr, vs),
		       -EBUSY;
	n = group_of(p, cfg, vip, idx);
	for (int k = 0; k < n; k++)
		in_group |= strcmp(p->ports[idx[k]].name, port) == 0;
	if (!in_group)
		return snprintf(err, errlen,
		                "The port %s is not in the failover group of %s (its home port is "
		                "%s).",
		                port, vip->addr, vip->home_port),
		       -EINVAL;
	struct port *pt = find_port(p, port);
	if (!pt || !pt->healthy)
		return snprintf(err, errlen, "The port %s is not healthy.", port), -EHOSTUNREACH;
	rc = vs_runtime_vip_move(rt, vip->addr, port);
	if (rc < 0)
		return snprintf(err, errlen, "Moving %s to %s failed: %s.", vip->addr, port,
		                strerror(-rc)),
		       rc;
	struct vipent *ve = get_vip(p, vs, vip->addr, true);
	if (ve) {
		ve->manual = strcmp(port, vip->home_port) != 0;
		snprintf(ve->why, sizeof(ve->why), "%s",
		         ve->manual ? "moved by an administrator" : "");
	}
	pevent(p, vs, "info", "virtual IP %s moved %s -> %s by an administrator%s", vip->addr, cur,
	       port, strcmp(cur, port) == 0 ? " (already there)" : "");
	return 0;
}

int ap_ports_revert(struct ap_ports *p, const char *vs, const char *addr, char *err, size_t errlen)
{
	const struct vs_config *cfg = p->hooks.config(p->arg);
	struct vs_vserver *v = find_vs(cfg, vs);
	int done = 0;

	if (!v)
		return snprintf(err, errlen, "There is no virtual server named '%s'.", vs), -ENOENT;
	if (addr && !vs_vserver_find_vip(v, addr))
		return snprintf(err, errlen, "'%s' has no virtual IP %s.", vs, addr), -ENOENT;
	for (int k = 0; k < v->n_vips; k++) {
		const struct vs_vip *vip = &v->vips[k];
		if (addr && vip != vs_vserver_find_vip(v, addr))
			continue;
		struct vipent *ve = get_vip(p, vs, vip->addr, false);
		if (ve)
			ve->manual = false;
		struct port *home = find_port(p, vip->home_port);
		struct vs_runtime *rt = p->hooks.runtime(p->arg, vs);
		const char *cur = rt ? vs_runtime_vip_port(rt, vip->addr) : NULL;
		if (!cur || strcmp(cur, vip->home_port) == 0)
			continue;
		if (!home || !home->healthy) {
			if (addr)
				return snprintf(err, errlen,
				                "The home port %s of %s is not healthy; the VIP "
				                "stays on %s.",
				                vip->home_port, vip->addr, cur),
				       -EHOSTUNREACH;
			continue;
		}
		char from[VS_PORT_MAX + 1];
		snprintf(from, sizeof(from), "%s", cur);
		int rc = vs_runtime_vip_move(rt, vip->addr, vip->home_port);
		if (rc < 0)
			return snprintf(err, errlen, "Moving %s home failed: %s.", vip->addr,
			                strerror(-rc)),
			       rc;
		if (ve)
			ve->why[0] = '\0';
		pevent(p, vs, "info", "virtual IP %s returned home %s -> %s by an administrator",
		       vip->addr, from, vip->home_port);
		done++;
	}
	return done;
}

json_t *ap_ports_show(struct ap_ports *p)
{
	const struct vs_config *cfg = p->hooks.config(p->arg);
	json_t *arr = json_array();
	uint64_t now = now_usec(p);
	struct nf_policy_params pp = params(NULL);

	for (int i = 0; i < p->n_ports; i++) {
		struct port *pt = &p->ports[i];
		struct nf_port_view view = {.flap = &pt->flap};
		const struct vs_fgroup *g = vs_config_port_fgroup(cfg, pt->name);
		unsigned vips = 0;
		for (int s = 0; s < cfg->n_vservers; s++) {
			struct vs_runtime *rt = p->hooks.runtime(p->arg, cfg->vservers[s].name);
			for (int k = 0; rt && k < cfg->vservers[s].n_vips; k++) {
				const char *cur =
				    vs_runtime_vip_port(rt, cfg->vservers[s].vips[k].addr);
				vips += cur && strcmp(cur, pt->name) == 0;
			}
		}
		json_array_append_new(
		    arr,
		    json_pack("{s:s, s:b, s:b, s:b, s:s, s:s, s:b, s:f, s:i, s:i, s:s, s:i}",
		              "name", pt->name, "present", pt->present, "admin_up", pt->admin_up,
		              "carrier", pt->carrier, "probe",
		              !pt->probe                    ? "-"
		              : nf_probe_passing(pt->probe) ? "passing"
		                                            : "failing",
		              "health", pt->healthy ? "healthy" : "unhealthy", "damped",
		              nf_port_damped(&view, &pp, now), "since_s",
		              pt->since ? (double)(now - pt->since) / 1e6 : 0.0, "changes_60s",
		              (int)nf_flap_count(&pt->flap, now, pp.damp_window), "vips", (int)vips,
		              "group", g ? g->name : "", "traffic_bps", (int)(pt->traffic * 8)));
	}
	return arr;
}

json_t *ap_ports_vips(struct ap_ports *p, const char *only)
{
	const struct vs_config *cfg = p->hooks.config(p->arg);
	json_t *arr = json_array();

	for (int s = 0; s < cfg->n_vservers; s++) {
		const struct vs_vserver *vs = &cfg->vservers[s];
		if (only && strcmp(only, vs->name) != 0)
			continue;
		struct vs_runtime *rt = p->hooks.runtime(p->arg, vs->name);
		for (int k = 0; k < vs->n_vips; k++) {
			const struct vs_vip *vip = &vs->vips[k];
			const struct vs_fgroup *g = vs_vip_fgroup(cfg, vip);
			const char *cur = rt ? vs_runtime_vip_port(rt, vip->addr) : NULL;
			struct vipent *ve = get_vip(p, vs->name, vip->addr, false);
			const char *state = !cur                               ? "down"
			                    : ve && ve->no_port                ? "no-healthy-port"
			                    : strcmp(cur, vip->home_port) == 0 ? "home"
			                                                       : "away";
			json_array_append_new(
			    arr,
			    json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:i}",
			              "vs", vs->name, "address", vip->addr, "prefix", vip->prefix,
			              "home_port", vip->home_port, "group", g ? g->name : "",
			              "port", cur ? cur : "", "state", state, "auto_revert",
			              !vip->no_auto_revert, "manual", ve && ve->manual, "why",
			              ve ? ve->why : "", "standbys",
			              rt ? vs_runtime_vip_standby_count(rt, vip->addr) : 0));
		}
	}
	return arr;
}

json_t *ap_ports_marks(struct ap_ports *p, const char *vs)
{
	json_t *arr = json_array();

	for (int i = 0; i < p->n_vips; i++)
		if (p->vips[i].no_port && strcmp(p->vips[i].vs, vs) == 0)
			json_array_append_new(arr, json_string(p->vips[i].addr));
	return arr;
}

int ap_ports_healthy(struct ap_ports *p, char names[][VS_PORT_MAX + 1], int max)
{
	int n = 0;

	for (int i = 0; i < p->n_ports && n < max; i++)
		if (p->ports[i].healthy)
			snprintf(names[n++], VS_PORT_MAX + 1, "%s", p->ports[i].name);
	return n;
}
