/*
 * vs_rt_vips.c - the VIPs of one VS (see vs_runtime_int.h): a macvlan per VIP
 * in the VS namespace (nf_vip), announced at once and twice more 100 ms
 * apart, moved between ports by the port policy (vs_runtime_vip_move).
 * Hot standbys (vs_vipdev.h): once the VS runs, each up VIP gets a down twin
 * on every other port of its group, at idle priority; a move raises the
 * twin (0.25-0.45 ms here) instead of making a device (0.45-0.7 ms, and
 * ~1.3 ms per VIP in the daemon with its look-ups). The device a move left
 * behind is set down after the round and becomes the standby of its port,
 * or is deleted (setting down costs the kernel 12-16 ms, deleting 17-29 ms:
 * neither may sit between two moves).
 */
#include "vserver/vs_runtime_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib_log.h"
#include "netfail/nf_vip.h"
#include "vserver/vs_vipdev.h"

/* --- VIPs ------------------------------------------------------------------------ */

static struct vipst *find_vip(struct vs_runtime *rt, const char *addr)
{
	for (int i = 0; i < rt->n_vips; i++)
		if (strcmp(rt->vips[i].addr, addr) == 0)
			return &rt->vips[i];
	return NULL;
}

/* The device of VIP `addr` on `port` (vs_vipdev.h). */
static int vip_ifname(const char *addr, const char *port, char *buf, size_t len)
{
	int idx = nf_port_index(port);

	return idx < 0 ? idx : vs_vipdev_name(addr, idx, buf, len);
}

static const struct vs_vip *want_vip(const struct vs_runtime *rt, const char *addr)
{
	for (int i = 0; i < rt->want.n_vips; i++)
		if (strcmp(rt->want.vips[i].addr, addr) == 0)
			return &rt->want.vips[i];
	return NULL;
}

static void vip_spec(const struct vs_runtime *rt, const struct vs_vip *v, const char *ifname,
                     const char *port, struct nf_vip_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->family = v->family;
	spec->addr = v->addr;
	spec->prefix = v->prefix;
	spec->ifname = ifname;
	spec->parent = port;
	vs_vip_mac(rt->want.name, v->addr, spec->mac);
}

/* Repeats of the announcements, 100 ms apart, after the first one. */
static int on_announce(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct vs_runtime *rt = userdata;
	bool more = false;

	for (int i = 0; i < rt->n_vips; i++) {
		struct vipst *st = &rt->vips[i];
		const struct vs_vip *v = want_vip(rt, st->addr);
		struct nf_vip_spec spec;
		if (!st->up || st->announce_left <= 0 || !v)
			continue;
		vip_spec(rt, v, st->ifname, st->port, &spec);
		if (nf_vip_announce_fd(rt->afd, rt->nsfd, &spec, 1) < 0)
			st->announce_left = 0;
		else
			st->announce_left--;
		more |= st->announce_left > 0;
	}
	if (more) {
		sd_event_source_set_time_relative(s, ANNOUNCE_GAP_USEC);
		sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	} else {
		rt->announce_timer = sd_event_source_disable_unref(rt->announce_timer);
	}
	return 0;
}

static void announce_later(struct vs_runtime *rt, struct vipst *st)
{
	st->announce_left = ANNOUNCE_COUNT - 1;
	if (!rt->announce_timer &&
	    sd_event_add_time_relative(rt->env.ev, &rt->announce_timer, CLOCK_MONOTONIC,
	                               ANNOUNCE_GAP_USEC, 0, on_announce, rt) < 0)
		lib_warn("%s: cannot arm the announcement timer", rt->want.name);
}

static bool sb_wanted(const struct vipst *st, const char *port)
{
	for (int i = 0; i < st->n_sbw; i++)
		if (strcmp(st->sbw[i], port) == 0)
			return strcmp(port, st->port) != 0;
	return false;
}

static struct vs_rt_standby *find_sb(struct vipst *st, const char *port)
{
	for (int i = 0; i < st->n_sb; i++)
		if (strcmp(st->sb[i].port, port) == 0)
			return &st->sb[i];
	return NULL;
}

static void forget_sb(struct vipst *st, struct vs_rt_standby *sb)
{
	*sb = st->sb[--st->n_sb];
}

/* Devices left behind by moves, after every announcement of this round: the
 * standby of their port if one is wanted there (set down: 12-16 ms in the
 * kernel), else deleted (17-29 ms). */
int vs_rt_reap_stale(sd_event_source *s, void *userdata)
{
	struct vs_runtime *rt = userdata;

	rt->reap_defer = sd_event_source_disable_unref(rt->reap_defer);
	for (int i = 0; i < rt->n_stale && rt->nsfd >= 0; i++) {
		const struct vs_rt_stale *o = &rt->stale[i];
		struct vipst *st = find_vip(rt, o->addr);
		const struct vs_vip *v = want_vip(rt, o->addr);
		struct nf_vip_spec spec;
		int rc;

		if (st && st->up && v && sb_wanted(st, o->port) && !find_sb(st, o->port) &&
		    st->n_sb < VS_FG_MAX_PORTS) {
			vip_spec(rt, v, o->ifname, o->port, &spec);
			rc = nf_vip_standby(rt->nsfd, &spec);
			if (rc == 0) {
				struct vs_rt_standby *sb = &st->sb[st->n_sb++];
				snprintf(sb->port, sizeof(sb->port), "%s", o->port);
				snprintf(sb->ifname, sizeof(sb->ifname), "%s", o->ifname);
				continue;
			}
			lib_warn("%s: cannot keep %s as the standby of %s on %s: %s", rt->want.name,
			         o->ifname, o->addr, o->port, strerror(-rc));
		}
		rc = nf_vip_down(rt->nsfd, o->ifname);
		if (rc < 0 && rc != -ENODEV)
			lib_warn("%s: cannot delete the old device %s: %s", rt->want.name,
			         o->ifname, strerror(-rc));
	}
	rt->n_stale = 0;
	return 0;
}

static void drop_later(struct vs_runtime *rt, const char *ifname, const char *addr,
                       const char *port)
{
	if (rt->n_stale < (int)(sizeof(rt->stale) / sizeof(rt->stale[0]))) {
		struct vs_rt_stale *o = &rt->stale[rt->n_stale++];
		snprintf(o->ifname, sizeof(o->ifname), "%s", ifname);
		snprintf(o->addr, sizeof(o->addr), "%s", addr);
		snprintf(o->port, sizeof(o->port), "%s", port);
	} else {
		lib_warn("%s: too many old devices to delete at once; %s stays until the "
		         "virtual server stops",
		         rt->want.name, ifname);
	}
	if (!rt->reap_defer &&
	    sd_event_add_defer(rt->env.ev, &rt->reap_defer, vs_rt_reap_stale, rt) < 0)
		lib_warn("%s: cannot schedule the deletion of %s", rt->want.name, ifname);
}

int vs_runtime_vip_move(struct vs_runtime *rt, const char *addr, const char *port)
{
	struct vipst *st = find_vip(rt, addr);
	const struct vs_vip *v = want_vip(rt, addr);
	struct vs_rt_standby *sb;
	struct nf_vip_spec spec;
	char ifname[16], old[16];
	int rc = -ENODEV;

	if (!st || !st->up || !v || rt->nsfd < 0)
		return -ENOENT;
	if (strcmp(st->port, port) == 0)
		return 0;
	sb = find_sb(st, port);
	if (sb) {
		/* The hot path: one RTM_NEWLINK. */
		snprintf(ifname, sizeof(ifname), "%s", sb->ifname);
		rc = nf_vip_activate(rt->nsfd, ifname);
		forget_sb(st, sb);
		if (rc < 0)
			lib_warn("%s: the standby %s of %s on %s could not be raised (%s); making "
			         "the device instead",
			         rt->want.name, ifname, addr, port, strerror(-rc));
	}
	vip_spec(rt, v, ifname, port, &spec);
	if (rc < 0) {
		rc = vip_ifname(addr, port, ifname, sizeof(ifname));
		if (rc == 0)
			rc = nf_vip_up(rt->nsfd, &spec);
		if (rc < 0)
			return rc;
	}
	/* Announce first; the old device goes once every VIP of this round moved. */
	rc = nf_vip_announce_fd(rt->afd, rt->nsfd, &spec, 1);
	snprintf(old, sizeof(old), "%s", st->ifname);
	drop_later(rt, old, addr, st->port);
	snprintf(st->ifname, sizeof(st->ifname), "%s", ifname);
	snprintf(st->port, sizeof(st->port), "%s", port);
	if (rc < 0)
		lib_warn("%s: announcing %s on %s failed: %s", rt->want.name, addr, port,
		         strerror(-rc));
	announce_later(rt, st);
	return 0;
}

int vs_runtime_vip_standby_count(const struct vs_runtime *rt, const char *addr)
{
	for (int i = 0; i < rt->n_vips; i++)
		if (strcmp(rt->vips[i].addr, addr) == 0 && rt->vips[i].up)
			return rt->vips[i].n_sb;
	return 0;
}

/* The standby plan of one up VIP (vs_vipdev_plan); 1 if there is work. */
static int sb_plan(struct vipst *st, int *create, int *n_create, int *drop, int *n_drop)
{
	char have[VS_FG_MAX_PORTS][VS_PORT_MAX + 1];

	for (int i = 0; i < st->n_sb; i++)
		snprintf(have[i], sizeof(have[i]), "%s", st->sb[i].port);
	if (vs_vipdev_plan(st->port, (const char(*)[VS_PORT_MAX + 1]) st->sbw, st->n_sbw,
	                   (const char(*)[VS_PORT_MAX + 1]) have, st->n_sb, create, n_create, drop,
	                   n_drop) < 0)
		return 0;
	return *n_create + *n_drop > 0;
}

/* Make and drop standbys: only while the VS runs, never on a start. */
static int on_standbys(sd_event_source *s, void *userdata)
{
	struct vs_runtime *rt = userdata;

	rt->sb_defer = sd_event_source_disable_unref(rt->sb_defer);
	if (rt->state != VS_RT_RUNNING || rt->nsfd < 0 || rt->reap_defer)
		return 0; /* asked again by the port policy's next evaluation */
	for (int i = 0; i < rt->n_vips; i++) {
		struct vipst *st = &rt->vips[i];
		const struct vs_vip *v = want_vip(rt, st->addr);
		int cr[VS_FG_MAX_PORTS], dr[VS_FG_MAX_PORTS], ncr, ndr;

		if (!st->up || !v || !sb_plan(st, cr, &ncr, dr, &ndr))
			continue;
		for (int k = ndr - 1; k >= 0; k--) { /* backwards: forget_sb moves the last */
			int rc = nf_vip_down(rt->nsfd, st->sb[dr[k]].ifname);
			if (rc < 0 && rc != -ENODEV)
				lib_warn("%s: cannot delete the standby %s: %s", rt->want.name,
				         st->sb[dr[k]].ifname, strerror(-rc));
			forget_sb(st, &st->sb[dr[k]]);
		}
		for (int k = 0; k < ncr && st->n_sb < VS_FG_MAX_PORTS; k++) {
			const char *port = st->sbw[cr[k]];
			struct vs_rt_standby *sb = &st->sb[st->n_sb];
			struct nf_vip_spec spec;
			int rc = vip_ifname(st->addr, port, sb->ifname, sizeof(sb->ifname));

			vip_spec(rt, v, sb->ifname, port, &spec);
			if (rc == 0)
				rc = nf_vip_standby(rt->nsfd, &spec);
			if (rc < 0) {
				lib_warn("%s: no standby of virtual IP %s on port %s: %s",
				         rt->want.name, st->addr, port, strerror(-rc));
				continue;
			}
			memcpy(sb->port, port, sizeof(sb->port)); /* same size, NUL-ended */
			st->n_sb++;
		}
	}
	return 0;
}

void vs_runtime_vip_standbys(struct vs_runtime *rt, const char *addr,
                             const char (*ports)[VS_PORT_MAX + 1], int n)
{
	struct vipst *st = find_vip(rt, addr);
	int cr[VS_FG_MAX_PORTS], dr[VS_FG_MAX_PORTS], ncr, ndr;

	if (!st || !st->up)
		return;
	if (n > VS_FG_MAX_PORTS) {
		lib_warn("%s: virtual IP %s: standbys on %d ports at most; %d asked", rt->want.name,
		         addr, VS_FG_MAX_PORTS, n);
		n = VS_FG_MAX_PORTS;
	}
	st->n_sbw = n;
	for (int i = 0; i < n; i++)
		snprintf(st->sbw[i], sizeof(st->sbw[i]), "%s", ports[i]);
	if (!rt->sb_defer && sb_plan(st, cr, &ncr, dr, &ndr)) {
		if (sd_event_add_defer(rt->env.ev, &rt->sb_defer, on_standbys, rt) < 0 ||
		    sd_event_source_set_priority(rt->sb_defer, SD_EVENT_PRIORITY_IDLE) < 0)
			lib_warn("%s: cannot schedule the standbys of %s", rt->want.name, addr);
	}
}

const char *vs_runtime_vip_port(const struct vs_runtime *rt, const char *addr)
{
	for (int i = 0; i < rt->n_vips; i++)
		if (strcmp(rt->vips[i].addr, addr) == 0 && rt->vips[i].up)
			return rt->vips[i].port;
	return NULL;
}

int vs_rt_ensure_vips(struct vs_runtime *rt)
{
	for (int i = 0; i < rt->want.n_vips; i++) {
		const struct vs_vip *v = &rt->want.vips[i];
		struct vipst *st = find_vip(rt, v->addr);
		struct nf_vip_spec spec = {
		    .family = v->family, .addr = v->addr, .prefix = v->prefix};
		char ifname[16], macs[24];
		int rc;

		if (st && st->up)
			continue;
		const char *port =
		    rt->env.vip_port ? rt->env.vip_port(rt->env.arg, rt->want.name, v) : NULL;
		if (!port)
			port = v->home_port;
		rc = vip_ifname(v->addr, port, ifname, sizeof(ifname));
		if (rc == 0) {
			/* After a daemon restart another device of this VIP (a standby
			 * raised by a move) may be up: no two may hold the MAC. The one
			 * on `port`, if there, is adopted as it is. */
			char prefix[VS_VIPDEV_NAME_MAX];
			vs_vipdev_prefix(v->addr, prefix, sizeof(prefix));
			rc = nf_vip_quiesce(rt->nsfd, prefix, ifname);
		}
		vip_spec(rt, v, ifname, port, &spec);
		if (rc == 0)
			rc = nf_vip_up(rt->nsfd, &spec);
		if (rc < 0) {
			vs_rt_fail(rt, "cannot bring up virtual IP %s/%d on port %s: %s", v->addr,
			           v->prefix, port, strerror(-rc));
			return 1;
		}
		if (!st && rt->n_vips >= VS_MAX_VIPS) {
			vs_rt_fail(rt, "cannot track virtual IP %s: %d are up already", v->addr,
			           VS_MAX_VIPS);
			return 1;
		}
		if (!st) {
			st = &rt->vips[rt->n_vips++];
			memset(st, 0, sizeof(*st));
			snprintf(st->addr, sizeof(st->addr), "%s", v->addr);
		}
		snprintf(st->ifname, sizeof(st->ifname), "%s", ifname);
		snprintf(st->port, sizeof(st->port), "%s", port);
		st->n_sb = 0; /* standbys left from before are adopted by on_standbys */
		st->up = true;
		rc = nf_vip_announce_fd(rt->afd, rt->nsfd, &spec, 1);
		announce_later(rt, st);
		snprintf(macs, sizeof(macs), "%02x:%02x:%02x:%02x:%02x:%02x", spec.mac[0],
		         spec.mac[1], spec.mac[2], spec.mac[3], spec.mac[4], spec.mac[5]);
		vs_rt_event(rt, rc < 0 ? "warning" : "info",
		            "virtual IP %s/%d up on port %s (MAC %s)%s%s", v->addr, v->prefix, port,
		            macs, rc < 0 ? ", announcement failed: " : ", announced",
		            rc < 0 ? strerror(-rc) : "");
	}
	return 0;
}

static bool vip_wanted(const struct vs_runtime *rt, const char *addr)
{
	if (rt->want.admin != VS_ADMIN_RUNNING)
		return false;
	for (int i = 0; i < rt->want.n_vips; i++)
		if (strcmp(rt->want.vips[i].addr, addr) == 0)
			return true;
	return false;
}

void vs_rt_drop_vips(struct vs_runtime *rt)
{
	for (int i = 0; i < rt->n_vips; i++) {
		struct vipst *st = &rt->vips[i];
		if (vip_wanted(rt, st->addr))
			continue;
		if (rt->nsfd >= 0) {
			/* Its standbys too (down, they reach nobody); when the whole
			 * VS stops, the namespace's deletion takes them at once. */
			for (int k = 0; rt->want.admin == VS_ADMIN_RUNNING && k < st->n_sb; k++)
				(void)nf_vip_down(rt->nsfd, st->sb[k].ifname);
			int rc = nf_vip_down(rt->nsfd, st->ifname);
			if (rc < 0 && rc != -ENODEV)
				vs_rt_event(rt, "warning", "cannot remove virtual IP %s: %s",
				            st->addr, strerror(-rc));
			else
				vs_rt_event(rt, "info", "virtual IP %s down (was on port %s)",
				            st->addr, st->port);
		}
		memmove(st, st + 1, (size_t)(rt->n_vips - i - 1) * sizeof(*st));
		rt->n_vips--;
		i--;
	}
}
