/*
 * vs_rt_vips.c - the VIPs of one VS (see vs_runtime_int.h): a macvlan per VIP
 * in the VS namespace (nf_vip), announced at once and twice more 100 ms
 * apart, moved between ports by the port policy (vs_runtime_vip_move), and
 * the devices a move left behind deleted after the round (a deletion costs
 * the kernel 15-20 ms, which must not sit between two moves).
 */
#include "vserver/vs_runtime_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib_log.h"
#include "netfail/nf_vip.h"

/* --- VIPs ------------------------------------------------------------------------ */

static struct vipst *find_vip(struct vs_runtime *rt, const char *addr)
{
	for (int i = 0; i < rt->n_vips; i++)
		if (strcmp(rt->vips[i].addr, addr) == 0)
			return &rt->vips[i];
	return NULL;
}

static void vip_ifname(const char *addr, char slot, char *buf, size_t len)
{
	uint8_t mac[6];

	vs_vip_mac("", addr, mac);
	snprintf(buf, len, "v%02x%02x%02x%02x%c", mac[2], mac[3], mac[4], mac[5], slot);
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

/* Devices left behind by moves: deleting one takes the kernel 15-20 ms (an
 * RCU grace period), so it is done after every announcement of this round. */
int vs_rt_reap_stale(sd_event_source *s, void *userdata)
{
	struct vs_runtime *rt = userdata;

	rt->reap_defer = sd_event_source_disable_unref(rt->reap_defer);
	for (int i = 0; i < rt->n_stale && rt->nsfd >= 0; i++) {
		int rc = nf_vip_down(rt->nsfd, rt->stale[i]);
		if (rc < 0 && rc != -ENODEV)
			lib_warn("%s: cannot delete the old device %s: %s", rt->want.name,
			         rt->stale[i], strerror(-rc));
	}
	rt->n_stale = 0;
	return 0;
}

static void drop_later(struct vs_runtime *rt, const char *ifname)
{
	if (rt->n_stale < (int)(sizeof(rt->stale) / sizeof(rt->stale[0])))
		snprintf(rt->stale[rt->n_stale++], sizeof(rt->stale[0]), "%s", ifname);
	else
		lib_warn("%s: too many old devices to delete at once; %s stays until the "
		         "virtual server stops",
		         rt->want.name, ifname);
	if (!rt->reap_defer &&
	    sd_event_add_defer(rt->env.ev, &rt->reap_defer, vs_rt_reap_stale, rt) < 0)
		lib_warn("%s: cannot schedule the deletion of %s", rt->want.name, ifname);
}

int vs_runtime_vip_move(struct vs_runtime *rt, const char *addr, const char *port)
{
	struct vipst *st = find_vip(rt, addr);
	const struct vs_vip *v = want_vip(rt, addr);
	struct nf_vip_spec spec;
	char ifname[16], old[16];
	int rc;

	if (!st || !st->up || !v || rt->nsfd < 0)
		return -ENOENT;
	if (strcmp(st->port, port) == 0)
		return 0;
	char slot = st->slot == 'a' ? 'b' : 'a';
	vip_ifname(addr, slot, ifname, sizeof(ifname));
	vip_spec(rt, v, ifname, port, &spec);
	rc = nf_vip_up(rt->nsfd, &spec);
	if (rc < 0)
		return rc;
	/* Announce first; the old device goes once every VIP of this round moved. */
	rc = nf_vip_announce_fd(rt->afd, rt->nsfd, &spec, 1);
	snprintf(old, sizeof(old), "%s", st->ifname);
	snprintf(st->ifname, sizeof(st->ifname), "%s", ifname);
	snprintf(st->port, sizeof(st->port), "%s", port);
	st->slot = slot;
	drop_later(rt, old);
	if (rc < 0)
		lib_warn("%s: announcing %s on %s failed: %s", rt->want.name, addr, port,
		         strerror(-rc));
	announce_later(rt, st);
	return 0;
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
		/* Fresh: a device of the other slot may be left from before a daemon
		 * restart; it would hold the same MAC. */
		vip_ifname(v->addr, 'b', ifname, sizeof(ifname));
		nf_vip_down(rt->nsfd, ifname);
		vip_ifname(v->addr, 'a', ifname, sizeof(ifname));
		vip_spec(rt, v, ifname, port, &spec);
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
		st->slot = 'a';
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
