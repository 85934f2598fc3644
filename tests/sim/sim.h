/*
 * sim.h - the balancer simulator (tests/sim/README.md): a simulated
 * cluster, its load traces (deterministic from a seed), and the placement
 * policies replayed on them.
 */
#ifndef SIM_H
#define SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "vserver/vs_balance.h"

#define SIM_NODES 16
#define SIM_VS 1000
#define SIM_LUNS 100
#define SIM_HOT 40 /* hot-spot events */
#define SIM_HOT_VS 5

struct sim_hot {
	double start, dur, factor; /* hours, hours, load multiplier */
	int vs[SIM_HOT_VS];
};

/* The cluster and what its load will be. */
struct sim_world {
	uint64_t seed;
	double hours;
	int step_sec;
	int n_steps;
	double cap[SIM_NODES][VS_BAL_NDIMS];
	char node_name[SIM_NODES][8];
	char vs_name[SIM_VS][8];
	char lun_name[SIM_LUNS][12];
	double base[SIM_VS];         /* cores at the top of its day */
	double net_per_core[SIM_VS]; /* bytes/s per core */
	double phase[SIM_VS];        /* hours: its region's time zone */
	int lun[SIM_VS];
	bool pinned[SIM_VS];
	int home[SIM_VS]; /* a pinned VS's node */
	bool can[SIM_VS][SIM_NODES];
	struct sim_hot hot[SIM_HOT];
	int sat_lun; /* saturated from sat_start to sat_end (hours) */
	double sat_start, sat_end;
	int fail_node; /* fails at fail_at, is back at back_at (hours) */
	double fail_at, back_at;
	double ewma_alpha; /* per step, of the smoothing the balancers see */
};

/* What every policy sees at one step. */
struct sim_state {
	const struct sim_world *w;
	int step;
	uint64_t now_usec;
	double truth[SIM_VS][VS_BAL_NDIMS];  /* this step's load */
	double smooth[SIM_VS][VS_BAL_NDIMS]; /* smoothed, what is measured */
	double clean[SIM_VS][VS_BAL_NDIMS];  /* this step's load without its noise */
	double lun_busy[SIM_LUNS];
	bool up[SIM_NODES];
};

void sim_world_make(struct sim_world *w, uint64_t seed);
/* The loads of st->step into st (truth, lun_busy, up; smooth only at step 0). */
void sim_step(struct sim_state *st);
/* This step's loads into the smoothing (st->smooth): called after the
 * policies decided and were scored on this step, as the appliance decides on
 * what it measured up to the minute before (no policy sees the minute it is
 * scored on). */
void sim_measure(struct sim_state *st);
/* A VS storage-bound at this step (its LUN saturated)? */
bool sim_storage_bound(const struct sim_state *st, int v);

struct sim_policy;
struct sim_ops {
	const char *key, *what;
	void (*start)(struct sim_policy *p, const struct sim_state *st);
	/* Place the VSs without a node (their node failed). */
	void (*failover)(struct sim_policy *p, const struct sim_state *st);
	void (*node_back)(struct sim_policy *p, const struct sim_state *st, int node);
	void (*round)(struct sim_policy *p, const struct sim_state *st);
};

struct sim_policy {
	const struct sim_ops *ops;
	int node[SIM_VS]; /* -1: down (a pinned VS waiting for its node) */
	uint64_t moved_usec[SIM_VS];
	double util[SIM_VS][VS_BAL_NDIMS]; /* Pacemaker's static utilisation */
	long moves, failover_moves, storage_bound_moves;
	long over_capacity_placements;
	/* ours: decision time per round, microseconds */
	double *round_us;
	int n_rounds;
	int err; /* the first error of a call, 0 */
};

extern const struct sim_ops sim_ours, sim_ctdb, sim_pacemaker, sim_greedy;

/* Moves v to node `to`, counted (failover: as a failover move). */
void sim_move(struct sim_policy *p, const struct sim_state *st, int v, int to, bool failover);
/* Each node's summed load l (truth or smooth) under p's placement, and
 * its share in share (either may be NULL). */
void sim_loads(const struct sim_policy *p, const struct sim_state *st,
               const double (*l)[VS_BAL_NDIMS], double (*sum)[VS_BAL_NDIMS], double *share);

#endif
