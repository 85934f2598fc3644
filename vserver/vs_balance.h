/*
 * vs_balance.h - the load balancer: which VSs to move so that no node carries
 * much more than its share (pure; DESIGN R6, R7, section 7).
 *
 * What for. The master calls vs_bal_round() every balancing period with the
 * smoothed loads it has measured; it gets back at most a few moves (VS, from,
 * to), each with a reason for the event log that carries the numbers behind
 * it, and notes about the VSs it will not move (storage-bound ones, with the
 * LUN that holds them back). vs_bal_pick() scores one VS to place (failover,
 * a new VS) on the same shares: the node where it leaves the smallest share
 * (the mean, without the headroom for swings below).
 *
 * The model. A node's share is the largest, over the load dimensions (CPU in
 * cores, network in bytes/s), of its VSs' summed load over its capacity. The
 * ideal is the cluster's total load over its total capacity, per dimension,
 * the largest of those: no placement can put the most loaded node below it.
 * A node's share at a peak adds to each dimension's load its VSs' spread,
 * peak x sqrt(the sum of their loads squared): the VSs' loads swing
 * independently of each other from minute to minute, so a node carried by
 * one big VS swings by almost as much, relatively, as that VS, and one of
 * 60 like-sized VSs by an eighth of it. The default 0.2 is about two standard
 * deviations of a load that swings by 10% of itself. Nodes are compared, and
 * moves chosen, by their share at a peak: a node carrying a big VS is kept
 * further under the ideal, where its swings do not make it the most loaded.
 * The trigger and settle levels are then over the ideal plus the pool's
 * average spread (a node of typical spread is over where it would be
 * without it). The figures in out and the numbers in the reasons are the
 * mean shares.
 * A round:
 *   - balances the pool: the member nodes that have not failed, are not under
 *     maintenance and are active, plus the standby nodes while they are open
 *     (below); VSs on other nodes are left to failover and evacuation (vs_place);
 *   - acts only on a node whose share at a peak passes the ideal (plus the
 *     average spread) by the trigger margin (hysteresis); such a node then
 *     sheds, within the round, down to the ideal by settle x the trigger
 *     margin (a band: a node left just under the trigger is over again at
 *     the next swing of its load); and it only makes a move that lowers the
 *     larger of the two nodes' shares at a peak by at least min_gain and by
 *     more than the move's cost
 *     (move_cost + move_cost_load x the VS's share): so a move is never undone
 *     under the same load, and a small imbalance moves nothing;
 *   - picks, greedily, the move of largest gain less cost, at most max_moves
 *     per round, from the most loaded node that has one;
 *   - never moves a pinned VS, one moved less than cooldown_usec ago, or a
 *     storage-bound one; never moves for load to a node that holds a VS still
 *     settling there (moved less than vs_bal_vs.settle_usec ago: so lately that its
 *     clients may still be waiting out the NFS grace and its smoothed load
 *     has not caught up, so the node looks lighter than it is; seen in CI:
 *     an idle VS sent after a loaded one whose load had not yet shown); never
 *     moves to a node that cannot serve the VS (the
 *     caller's can_serve, e.g. vs_bal_can_serve_place(), which asks vs_place's
 *     vs_node_can_serve), nor to a failed, non-member or maintenance node, nor
 *     one whose share would pass target_max (unless the ideal is above it);
 *   - storage-bound: a VS with a LUN busier than lun_busy (the LUN's busy
 *     fraction as all nodes see it together) on a node whose share is under
 *     node_bound is held back by its storage, not by its node: moving it helps
 *     nothing. It is never moved for load, and a note names the LUN. (On a node
 *     at or past node_bound the node is a bottleneck too, and it may move.)
 *   - standby nodes: demand is the load of every VS on the pool and on the
 *     standby nodes over the active nodes' capacity. Above high_water the
 *     standby nodes are open (they join the pool); a standby node that holds a
 *     VS stays open until demand falls under low_water; then it is emptied:
 *     its VSs (not the pinned ones) go back to active nodes, where they leave
 *     a share under high_water, before any move for load.
 * Modes: VS_BAL_OFF computes nothing to move (no moves, no notes; the
 * figures in out are still filled); VS_BAL_ADVISE and VS_BAL_AUTO compute the
 * same moves: the caller logs them (advise) or makes them (auto). Since a
 * round is stateless, in advise mode the same advice comes back every round
 * until the loads change: the caller logs a change of advice once.
 *
 * Memory: every input is borrowed and never kept; names are the caller's
 * strings. Results go into caller-owned arrays (struct vs_bal_out). Nothing
 * is allocated: no -ENOMEM.
 *
 * Errors (0 or a negative errno, nothing written but out's counts then zero):
 * -EINVAL for settings out of range, a VS's node or LUN index out of range, a
 * negative or non-finite load, capacity or busy fraction, a member node
 * without capacity; -E2BIG for more nodes, VSs, LUNs or LUNs per VS than the
 * limits below, or when out cannot hold max_moves moves. Notes that do not fit
 * in out->notes are counted in out->notes_lost (a truncation, reported).
 */
#ifndef VS_BALANCE_H
#define VS_BALANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vserver/vs_model.h"
#include "vserver/vs_place.h"

enum vs_bal_dim { VS_BAL_CPU = 0, VS_BAL_NET = 1, VS_BAL_NDIMS = 2 };

#define VS_BAL_MAX_NODES VS_PLACE_MAX_NODES
#define VS_BAL_MAX_VS VS_MAX_VSERVERS
#define VS_BAL_MAX_LUNS 1024
#define VS_BAL_VS_LUNS VS_MAX_FS
#define VS_BAL_MAX_MOVES 64 /* the most max_moves may ask for */
#define VS_BAL_TEXT_LEN 240

enum vs_bal_mode { VS_BAL_OFF = 0, VS_BAL_ADVISE = 1, VS_BAL_AUTO = 2 };

struct vs_bal_settings {
	enum vs_bal_mode mode;  /* default VS_BAL_AUTO */
	int max_moves;          /* per round, 1..VS_BAL_MAX_MOVES; default 3 */
	uint64_t cooldown_usec; /* after a VS changed node; default 10 min */
	double trigger;         /* a node is over at ideal x (1 + trigger); 0.05 */
	double settle;          /* and sheds to ideal x (1 + settle x trigger); 0.5 */
	double min_gain;        /* least drop of the pair's larger share; 0.005 */
	double move_cost;       /* per move, in share; 0.003 */
	double move_cost_load;  /* per unit of the VS's own share; 0.05 */
	double target_max;      /* no move loads its target past this; 0.90 */
	double high_water;      /* standby nodes open above this demand; 0.80 */
	double low_water;       /* and are emptied below this; 0.50 */
	double lun_busy;        /* a LUN this busy is saturated; 0.85 */
	double node_bound;      /* a node this loaded is a bottleneck itself; 0.90 */
	double min_share;       /* no node is over below this share; 0.30 */
	double peak;            /* headroom per sqrt(sum of the VSs' loads^2); 0.2 */
};

/* Node flags. A node the balancer may load is a member, not failed, not
 * under maintenance, and active (or an open standby). */
#define VS_BAL_MEMBER 0x1u  /* in the quorate membership */
#define VS_BAL_FAILED 0x2u  /* failed or excluded (fenced, not reporting) */
#define VS_BAL_MAINT 0x4u   /* under maintenance (being evacuated) */
#define VS_BAL_STANDBY 0x8u /* `vsadm node standby NODE on` */

struct vs_bal_node {
	const char *name;
	double cap[VS_BAL_NDIMS]; /* cores; bytes/s of its healthy links */
	unsigned flags;
};

struct vs_bal_vs {
	const char *name;
	int node; /* index into the nodes; -1 = not running */
	bool pinned;
	double load[VS_BAL_NDIMS]; /* smoothed: cores, bytes/s */
	int n_luns;
	int luns[VS_BAL_VS_LUNS]; /* indices into the LUNs */
	uint64_t moved_usec;      /* when it last changed node (caller's clock); 0 = never */
	uint64_t settle_usec;     /* how long after moved_usec it settles (see above;
	                           * vs_bal_settle_usec); 0 = it does not */
};

struct vs_bal_lun {
	const char *name;
	double busy; /* busy fraction 0..1 as the nodes see it together */
};

/* May VS `vs` (an index into in->vs) run on node `node`? */
typedef bool (*vs_bal_can_serve_fn)(int vs, int node, void *arg);

struct vs_bal_in {
	const struct vs_bal_node *nodes;
	int n_nodes;
	const struct vs_bal_vs *vs;
	int n_vs;
	const struct vs_bal_lun *luns;
	int n_luns;
	vs_bal_can_serve_fn can_serve; /* NULL = every node can serve every VS */
	void *arg;
	uint64_t now_usec; /* the clock moved_usec is on */
};

struct vs_bal_move {
	int vs, from, to; /* indices into the VSs and nodes */
	double gain;      /* drop of the larger of the two nodes' shares at a peak */
	char reason[VS_BAL_TEXT_LEN];
};

enum vs_bal_note_kind {
	VS_BAL_NOTE_STORAGE, /* the VS stays: storage-bound (LUN named) */
	VS_BAL_NOTE_STUCK,   /* a node is over, and no move helps (why) */
};

struct vs_bal_note {
	enum vs_bal_note_kind kind;
	int vs;   /* -1 for a note about a node */
	int node; /* the VS's node, or the node the note is about */
	char text[VS_BAL_TEXT_LEN];
};

/* The caller's arrays (moves: room for max_moves moves), then what a round
 * wrote and the figures it saw. */
struct vs_bal_out {
	struct vs_bal_move *moves;
	int cap_moves;
	struct vs_bal_note *notes; /* may be NULL with cap_notes 0 */
	int cap_notes;
	int n_moves, n_notes;
	int notes_lost;            /* notes that did not fit */
	double ideal;              /* of the pool, before the moves */
	double worst, worst_after; /* most loaded pool node's share, before/after */
	double demand;             /* for the standby nodes (see above) */
	bool standby_open;         /* standby nodes took part as targets */
};

/* Node loads (summed VS loads per node, what vs_bal_pick works on). */
struct vs_bal_loads {
	int n;
	double l[VS_BAL_MAX_NODES][VS_BAL_NDIMS];
	double q[VS_BAL_MAX_NODES][VS_BAL_NDIMS]; /* summed squares of the VSs' loads */
};

/* How long a VS that arrived on a node is settling there: its clients wait
 * out the grace (a fresh one) or reclaim within a lease (one that
 * reclaims), then its load average of time constant tau_usec takes two time
 * constants to reach 86% of what it carries. grace_s and lease_s are the
 * VS's ganesha's, in seconds. */
uint64_t vs_bal_settle_usec(int grace_s, int lease_s, uint64_t tau_usec);
/* The time constant of the nodes' load averages: the administrator's
 * smoothing, or VS_LOAD_TAU_USEC. */
uint64_t vs_bal_tau_usec(const struct vs_balance_cfg *b);

void vs_bal_defaults(struct vs_bal_settings *s);
/* The defaults with the administrator's settings of the configuration
 * (vs_model.h: struct vs_balance_cfg, each 0 = the default) over them. */
void vs_bal_from_config(const struct vs_balance_cfg *b, struct vs_bal_settings *s);
/* 0, or -EINVAL with why (a sentence) in err. */
int vs_bal_check_settings(const struct vs_bal_settings *s, char *err, size_t len);

/* One balancing round (see above): 0, -EINVAL, -E2BIG. */
int vs_bal_round(const struct vs_bal_settings *s, const struct vs_bal_in *in,
                 struct vs_bal_out *out);

/* The share (largest over the dimensions of load / capacity) of `node`
 * carrying `load`. */
double vs_bal_share(const struct vs_bal_node *node, const double load[VS_BAL_NDIMS]);

/* Each node's summed load from the VSs placed on it (any node, up or not). */
int vs_bal_loads_of(const struct vs_bal_in *in, struct vs_bal_loads *loads);

/* Where to place VS `vs` (failover, a new VS, an evacuation), with `loads`
 * the nodes' loads without it: the node that can serve it, a member, not
 * failed, not under maintenance, where its share after is smallest (ties:
 * the smaller share before, then the lower index); a standby node only when
 * no active node can take it under high_water (then the better of the two).
 * The VS's load is then added to that node in `loads` (so successive picks,
 * highest priority first, spread), its index is in *node and the numbers in
 * why ("n3 cpu 0.41 of capacity with it, the least of 12 nodes that can serve
 * it"). 0; -ENOENT (why says why) when no node can take it; -EINVAL. */
int vs_bal_pick(const struct vs_bal_settings *s, const struct vs_bal_in *in, int vs,
                struct vs_bal_loads *loads, int *node, char *why, size_t len);

/* A can_serve for the VSs and node reports of vs_place: arg is a
 * struct vs_bal_place_view, whose arrays are indexed as in->vs and in->nodes.
 * A node can serve a VS when vs_node_can_serve says so (a NULL report: it has
 * not reported, it cannot) and the VS's servers did not keep failing there
 * (the `failed` pairs of vs_place_ctx). */
struct vs_bal_place_view {
	const struct vs_config *cfg;
	const struct vs_vserver *const *vs;          /* per balancer VS */
	const struct vs_node_report *const *reports; /* per balancer node, NULL = none */
	const struct vs_place_entry *failed;
	int n_failed;
};
bool vs_bal_can_serve_place(int vs, int node, void *view);

#endif
