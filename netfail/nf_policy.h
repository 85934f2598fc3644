/*
 * nf_policy.h - where a VIP should live among the ports of its node (pure).
 *
 * Decision code only: no I/O, no clock of its own (the time is an argument),
 * so every rule is table-tested with an injected clock.
 *
 * The rules, for one VIP with a home port and a failover group:
 *   1. A VIP on an unhealthy port moves at once to the least loaded healthy
 *      port of its group (fewest VIPs, then least traffic, then its home
 *      port, then name order), so the VIPs of a VS stay spread over ports.
 *      Ports that are damped (flapping) are chosen only when no other healthy
 *      port is left.
 *   2. When no port of the group is healthy, the VIP stays where it is and
 *      is reported "no healthy port" (the VS is then marked, and the cluster
 *      moves it to a peer node).
 *   3. A VIP away from home goes back (auto-revert) once its home port has
 *      been healthy for the hold-down time and is not damped, unless the VIP
 *      is set not to revert or was placed by hand.
 *   4. Damping: a port whose health changed `damp_threshold` times within
 *      `damp_window` is damped; VIPs are not moved onto it (rule 1) nor back
 *      to it (rule 3) until it calms down. With rule 3's hold-down, a port
 *      flapping any number of times costs each VIP at most one move away and
 *      one move back.
 *
 * Memory: everything is borrowed from the caller for the call.
 */
#ifndef NF_POLICY_H
#define NF_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NF_FLAP_HISTORY 32

/* The recent health changes of one port (owned by the caller, updated with
 * nf_flap_note). */
struct nf_flap {
	uint64_t at[NF_FLAP_HISTORY]; /* ring of change times, usec */
	unsigned next;
	unsigned total;
};

void nf_flap_note(struct nf_flap *f, uint64_t now);
/* Changes within the last `window` usec. */
unsigned nf_flap_count(const struct nf_flap *f, uint64_t now, uint64_t window);

struct nf_policy_params {
	uint64_t hold_down;      /* usec the home port must stay healthy before a revert */
	uint64_t damp_window;    /* usec */
	unsigned damp_threshold; /* changes within the window that make a port damped */
};

#define NF_DAMP_WINDOW_DEFAULT (60ULL * 1000000)
#define NF_DAMP_THRESHOLD_DEFAULT 6 /* three pulls and plugs within the window */

struct nf_port_view {
	const char *name;
	bool healthy;
	uint64_t healthy_since; /* usec; meaningful when healthy */
	const struct nf_flap *flap;
	unsigned vips;    /* VIPs on it now (the caller updates it after each move) */
	uint64_t traffic; /* bytes/s, smoothed; a tie-breaker */
};

struct nf_vip_view {
	const char *home;
	const char *current; /* "" or NULL = not placed yet */
	bool auto_revert;
	bool manual; /* placed by an administrator: no auto-revert */
	/* Indices into the ports array of the VIP's group (home included). */
	const int *group;
	int n_group;
};

enum nf_verdict {
	NF_STAY = 0, /* nothing to do */
	NF_MOVE,     /* move (or place) to `port` */
	NF_NO_PORT,  /* no healthy port in the group: stays, marked */
};

struct nf_decision {
	enum nf_verdict verdict;
	int port;      /* index into ports, for NF_MOVE */
	bool revert;   /* the move is a return home */
	bool held;     /* a revert is due later (home healing or damped) */
	char why[160]; /* one phrase for the event log */
};

bool nf_port_damped(const struct nf_port_view *p, const struct nf_policy_params *pp, uint64_t now);
void nf_policy_decide(const struct nf_vip_view *v, const struct nf_port_view *ports, int n_ports,
                      const struct nf_policy_params *pp, uint64_t now, struct nf_decision *out);

#endif
