/*
 * nf_spread.h - spreading a node's VIPs over the healthy ports of their
 * failover group by measured traffic (pure; DESIGN R6: the client
 * connections of a VIP follow it to its new port).
 *
 * One group at a time. A port is hot when its smoothed traffic (the larger
 * of in and out) is at least `hot` of its capacity and has been for
 * `hold_usec` (the caller keeps hot_since): short spikes never move a VIP,
 * and the traffic figures are already averaged over minutes. From the
 * hottest such port one VIP moves to the coolest healthy, undamped port of
 * the group, the one whose move leaves the pair's larger share smallest,
 * provided the target stays under `room` of its capacity after it and the
 * pair's larger share drops by at least `min_gain`. Never a VIP an
 * administrator placed (manual), never one moved less than `cooldown_usec`
 * ago, at most one move a call. The reason carries the numbers.
 *
 * Memory: everything borrowed for the call; out is the caller's.
 * Errors: nf_spread_decide returns 1 with a move in *out, 0 for none, or
 * -EINVAL for inputs out of range (a capacity of 0, an index outside the
 * ports).
 */
#ifndef NF_SPREAD_H
#define NF_SPREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nf_spread_params {
	double hot;             /* share of capacity that makes a port hot; 0.70 */
	double room;            /* the target's share after the move, at most; 0.50 */
	double min_gain;        /* least drop of the pair's larger share; 0.05 */
	uint64_t hold_usec;     /* how long a port is hot before a VIP leaves it; 60 s */
	uint64_t cooldown_usec; /* between two moves of one VIP; 10 min */
};

void nf_spread_defaults(struct nf_spread_params *p);

struct nf_spread_port {
	const char *name;
	bool usable;        /* healthy and not damped */
	double capacity;    /* bytes/s each way, > 0 */
	double traffic;     /* bytes/s, smoothed, the larger direction */
	uint64_t hot_since; /* since when at `hot` or more (0: not hot) */
};

struct nf_spread_vip {
	const char *addr;
	int port;       /* index into the ports */
	double traffic; /* bytes/s, smoothed */
	bool manual;    /* placed by an administrator */
	uint64_t moved; /* last moved (same clock); 0 never */
};

struct nf_spread_move {
	int vip, to;
	char reason[200];
};

int nf_spread_decide(const struct nf_spread_params *p, const struct nf_spread_port *ports,
                     int n_ports, const struct nf_spread_vip *vips, int n_vips, uint64_t now,
                     struct nf_spread_move *out);

#endif
