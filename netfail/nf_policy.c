/*
 * nf_policy.c - local port choice for VIPs (see nf_policy.h for the rules).
 */
#include "netfail/nf_policy.h"

#include <stdio.h>
#include <string.h>

void nf_flap_note(struct nf_flap *f, uint64_t now)
{
	f->at[f->next] = now;
	f->next = (f->next + 1) % NF_FLAP_HISTORY;
	f->total++;
}

unsigned nf_flap_count(const struct nf_flap *f, uint64_t now, uint64_t window)
{
	unsigned n = 0, have = f->total < NF_FLAP_HISTORY ? f->total : NF_FLAP_HISTORY;

	for (unsigned i = 0; i < have; i++) {
		uint64_t t = f->at[i];
		if (t <= now && now - t <= window)
			n++;
	}
	return n;
}

bool nf_port_damped(const struct nf_port_view *p, const struct nf_policy_params *pp, uint64_t now)
{
	return p->flap && pp->damp_threshold &&
	       nf_flap_count(p->flap, now, pp->damp_window) >= pp->damp_threshold;
}

static int find(const struct nf_port_view *ports, int n, const char *name)
{
	if (!name || !*name)
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(ports[i].name, name) == 0)
			return i;
	return -1;
}

/* Is candidate a better target than best? */
static bool better(const struct nf_port_view *ports, int a, int b, int home)
{
	if (b < 0)
		return true;
	if (ports[a].vips != ports[b].vips)
		return ports[a].vips < ports[b].vips;
	if (ports[a].traffic != ports[b].traffic)
		return ports[a].traffic < ports[b].traffic;
	if ((a == home) != (b == home))
		return a == home;
	return strcmp(ports[a].name, ports[b].name) < 0;
}

/* The best healthy port of the group, skipping damped ports unless
 * allow_damped; -1 if none. */
static int pick(const struct nf_vip_view *v, const struct nf_port_view *ports, int n_ports,
                const struct nf_policy_params *pp, uint64_t now, int home, bool allow_damped)
{
	int best = -1;

	for (int k = 0; k < v->n_group; k++) {
		int i = v->group[k];
		if (i < 0 || i >= n_ports || !ports[i].healthy)
			continue;
		if (!allow_damped && nf_port_damped(&ports[i], pp, now))
			continue;
		if (better(ports, i, best, home))
			best = i;
	}
	return best;
}

static void describe_down(const struct nf_vip_view *v, const struct nf_port_view *ports,
                          int n_ports, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "no healthy port in its group (");

	for (int k = 0; k < v->n_group && n < len; k++) {
		int i = v->group[k];
		if (i < 0 || i >= n_ports)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s down", k ? ", " : "", ports[i].name);
	}
	if (n < len)
		snprintf(buf + n, len - n, ")");
}

void nf_policy_decide(const struct nf_vip_view *v, const struct nf_port_view *ports, int n_ports,
                      const struct nf_policy_params *pp, uint64_t now, struct nf_decision *out)
{
	int home = find(ports, n_ports, v->home);
	int cur = find(ports, n_ports, v->current);
	int best;

	memset(out, 0, sizeof(*out));
	out->port = -1;

	if (cur >= 0 && ports[cur].healthy) {
		/* Rule 3: revert home once it has proved itself. */
		if (cur == home || home < 0 || !v->auto_revert || v->manual || !ports[home].healthy)
			return;
		if (nf_port_damped(&ports[home], pp, now)) {
			out->held = true;
			snprintf(out->why, sizeof(out->why), "home port %s is damped (flapping)",
			         ports[home].name);
			return;
		}
		if (now - ports[home].healthy_since < pp->hold_down) {
			out->held = true;
			snprintf(out->why, sizeof(out->why),
			         "home port %s healthy for %.1f s of a %.0f s hold-down",
			         ports[home].name, (double)(now - ports[home].healthy_since) / 1e6,
			         (double)pp->hold_down / 1e6);
			return;
		}
		out->verdict = NF_MOVE;
		out->port = home;
		out->revert = true;
		snprintf(out->why, sizeof(out->why), "home port %s healthy again for %.0f s",
		         ports[home].name, (double)(now - ports[home].healthy_since) / 1e6);
		return;
	}

	/* Not placed, or on an unhealthy port (rule 1). At placement the home
	 * port is the first choice when it is healthy. */
	if (cur < 0 && home >= 0 && ports[home].healthy && !nf_port_damped(&ports[home], pp, now)) {
		out->verdict = NF_MOVE;
		out->port = home;
		snprintf(out->why, sizeof(out->why), "home port %s", ports[home].name);
		return;
	}
	best = pick(v, ports, n_ports, pp, now, home, false);
	if (best < 0)
		best = pick(v, ports, n_ports, pp, now, home, true);
	if (best < 0 && cur < 0 && home >= 0 && ports[home].healthy)
		best = home;
	if (best < 0) {
		out->verdict = NF_NO_PORT;
		describe_down(v, ports, n_ports, out->why, sizeof(out->why));
		return;
	}
	out->verdict = NF_MOVE;
	out->port = best;
	if (cur >= 0)
		snprintf(out->why, sizeof(out->why),
		         "port %s is down; %s is the least loaded "
		         "healthy port of its group (%u VIPs)%s",
		         ports[cur].name, ports[best].name, ports[best].vips,
		         nf_port_damped(&ports[best], pp, now) ? ", though damped" : "");
	else
		snprintf(out->why, sizeof(out->why),
		         "home port %s is down; %s is the least loaded "
		         "healthy port of its group",
		         home >= 0 ? ports[home].name : v->home, ports[best].name);
}
