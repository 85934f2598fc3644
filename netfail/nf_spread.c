/*
 * nf_spread.c - VIPs spread over a group's ports by traffic (see
 * nf_spread.h). A search over (VIP on the hottest port) x (usable port):
 * at most a few dozen pairs per group.
 */
#include "netfail/nf_spread.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>

void nf_spread_defaults(struct nf_spread_params *p)
{
	*p = (struct nf_spread_params){.hot = 0.70,
	                               .room = 0.50,
	                               .min_gain = 0.05,
	                               .hold_usec = 60ULL * 1000000,
	                               .cooldown_usec = 600ULL * 1000000};
}

static double share(const struct nf_spread_port *p, double traffic)
{
	return traffic / p->capacity;
}

int nf_spread_decide(const struct nf_spread_params *p, const struct nf_spread_port *ports,
                     int n_ports, const struct nf_spread_vip *vips, int n_vips, uint64_t now,
                     struct nf_spread_move *out)
{
	int hot = -1;

	for (int i = 0; i < n_ports; i++)
		if (!(ports[i].capacity > 0) || !isfinite(ports[i].traffic) || ports[i].traffic < 0)
			return -EINVAL;
	for (int v = 0; v < n_vips; v++)
		if (vips[v].port < 0 || vips[v].port >= n_ports || !isfinite(vips[v].traffic) ||
		    vips[v].traffic < 0)
			return -EINVAL;
	/* The hottest port that has been hot for the hold. */
	for (int i = 0; i < n_ports; i++) {
		const struct nf_spread_port *pt = &ports[i];
		if (share(pt, pt->traffic) < p->hot || !pt->hot_since || now < pt->hot_since ||
		    now - pt->hot_since < p->hold_usec)
			continue;
		if (hot < 0 || share(pt, pt->traffic) > share(&ports[hot], ports[hot].traffic))
			hot = i;
	}
	if (hot < 0)
		return 0;
	const struct nf_spread_port *from = &ports[hot];
	double from_share = share(from, from->traffic), best = from_share;
	int bv = -1, bt = -1;
	for (int v = 0; v < n_vips; v++) {
		const struct nf_spread_vip *vp = &vips[v];
		if (vp->port != hot || vp->manual || vp->traffic <= 0 ||
		    (vp->moved && now >= vp->moved && now - vp->moved < p->cooldown_usec))
			continue;
		for (int t = 0; t < n_ports; t++) {
			const struct nf_spread_port *to = &ports[t];
			if (t == hot || !to->usable)
				continue;
			double to_after = share(to, to->traffic + vp->traffic);
			double from_after = share(from, from->traffic - vp->traffic);
			double worst = fmax(to_after, from_after);
			if (to_after > p->room || from_share - worst < p->min_gain || worst >= best)
				continue;
			best = worst;
			bv = v;
			bt = t;
		}
	}
	if (bv < 0)
		return 0;
	out->vip = bv;
	out->to = bt;
	snprintf(out->reason, sizeof(out->reason),
	         "port %s at %.2f of its capacity (hot for %.0f s), %s at %.2f; the VIP carries "
	         "%.2f: after the move %.2f and %.2f",
	         from->name, from_share, (double)(now - from->hot_since) / 1e6, ports[bt].name,
	         share(&ports[bt], ports[bt].traffic), share(from, vips[bv].traffic),
	         share(from, from->traffic - vips[bv].traffic),
	         share(&ports[bt], ports[bt].traffic + vips[bv].traffic));
	return 1;
}
