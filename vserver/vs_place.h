/*
 * vs_place.h - which node runs which virtual server (pure).
 *
 * The master computes placement from (configuration, membership, node
 * reports, current placement, the clock) alone, with no I/O, so it is
 * table-tested and can be simulated at scale. Rules (DESIGN R4, R8,
 * section 4):
 *   - only VSs the administrator wants running are placed;
 *   - a node can serve a VS when it reports every LUN of the VS visible and,
 *     for every VIP, a healthy port in the VIP's failover group (or its home
 *     port when it has no group);
 *   - a node under maintenance (cfg->maint: `vsadm node evacuate`) takes no
 *     VS; a VS on it moves like the VSs of a node that left (EVACUATE),
 *     and where no other node can serve it, it stays, with a note saying
 *     why; a pinned VS stays on its node, with a note;
 *   - a VS the administrator migrated (vs->at set, `vsadm vserver migrate`)
 *     runs on `at` whenever `at` is a member, not under maintenance, that
 *     has reported and can serve it (MIGRATE); otherwise the rules below
 *     apply and a note says why it is not on `at`;
 *   - a VS stays where it is while its node is a member and can serve it
 *     (a member that has not reported yet is assumed to: no move without
 *     evidence), except that
 *   - a VS away from its home node goes back (REVERT) when it has
 *     auto-revert, is not pinned, has no `at`, and its home node is a
 *     member, not under maintenance, can serve it and has been a member
 *     with a report for the hold-down (ctx->revert_hold_usec, default 30 s:
 *     a node that comes and goes draws nothing back); vs_place(), which has
 *     no clock, never reverts;
 *   - VSs to place (new ones, those of a node that left, is evacuated or can
 *     no longer serve them) are taken highest priority first, then by name,
 *     each to its home node when that one can serve it, else to the member
 *     that can serve it left with the smallest share of its capacity: by
 *     measured load when ctx has it (member_cores, vs_cores), else by the
 *     number of VSs per core (ties: fewer VSs, then name); nodes under
 *     maintenance are never chosen, standby nodes (cfg->standby) only when
 *     no active node can serve it;
 *   - a move the balancer asks for (ctx->balance) is made like a migration
 *     (kind BALANCE), and a VS that runs where the balancer put it
 *     (ctx->balanced) does not revert to its home node;
 *   - a pinned VS runs on its home node only (its first node when it has no
 *     home) and waits while that node is away (or under maintenance, if it
 *     is not running there yet).
 * Every note about a VS that changes node says why in `kind` (vs_move.h:
 * START when it had no node); a note about a VS that does not move has
 * kind VS_MOVE_NKINDS.
 *
 * Scale: a report holds 2 entries per LUN (LABEL and UUID) for up to 1,024
 * LUNs, a placement one entry per VS of the largest configuration; both are
 * fixed arrays (145 KB and 256 KB), kept on the heap and never copied whole
 * on a hot path (a message carries a report by pointer).
 *
 * Memory: all inputs borrowed; results written into caller-owned structs.
 * vs_place_ex and vs_place allocate their scratch lists: 0, or -ENOMEM with
 * `next` empty. The administrator's settings placement reads (a VS's `at`
 * and auto-revert, the nodes under maintenance) are changed through
 * vs_model.h and implemented in vs_place.c.
 */
#ifndef VS_PLACE_H
#define VS_PLACE_H

#include <stdbool.h>
#include <stddef.h>

#include "vserver/vs_model.h"
#include "vserver/vs_move.h"

#define VS_PLACE_MAX_NODES 16
#define VS_REPORT_MAX_LUNS 2048 /* entries: LABEL= and UUID= of 1,024 LUNs */
#define VS_REPORT_MAX_PORTS 16
/* How long a home node must have been back before its VSs revert to it. */
/* What each VS counts for, in cores, besides its measured load, when a VS is
 * placed by load: idle VSs spread over the nodes as they do when counted. */
#define VS_PLACE_VS_SHARE 0.02
#define VS_PLACE_REVERT_HOLD_USEC (30ULL * 1000000)

/* What a node says about itself (replicated to every node). */
struct vs_node_report {
	char node[VS_NAME_MAX + 1];
	unsigned capacity; /* relative: cores; >= 1 */
	int n_luns;
	char luns[VS_REPORT_MAX_LUNS][VS_LUN_MAX + 8]; /* "LABEL=x" and "UUID=y" */
	int n_ports;
	char healthy_ports[VS_REPORT_MAX_PORTS][VS_PORT_MAX + 1];
};

struct vs_place_entry {
	char vs[VS_NAME_MAX + 1];
	char node[VS_NAME_MAX + 1];
};

struct vs_placement {
	int n;
	struct vs_place_entry e[VS_MAX_VSERVERS];
};

/* One line per change, for the event log. */
struct vs_place_note {
	char vs[VS_NAME_MAX + 1];
	char text[200];
	enum vs_move_kind kind; /* why it changes node; VS_MOVE_NKINDS: it does not */
};

/* A move the balancer asks for (vs_balance.h), with its reason. */
struct vs_place_hint {
	char vs[VS_NAME_MAX + 1];
	char node[VS_NAME_MAX + 1]; /* where it goes */
	char reason[VS_MOVE_REASON_MAX + 1];
};

/* A VS's measured load, in cores (the 'load' messages). */
struct vs_place_load {
	char vs[VS_NAME_MAX + 1];
	double cores;
	double net_bps; /* its VIPs' traffic, bytes/s (the larger of in and out) */
};

/* What placement sees besides the configuration. All borrowed. */
struct vs_place_ctx {
	const char *const *members; /* names of the nodes of the quorate membership */
	int n_members;
	const struct vs_node_report *reports;
	int n_reports;
	const struct vs_placement *cur; /* NULL = nothing placed */
	uint64_t now_usec;              /* monotonic clock of the caller */
	/* Per members[i]: since when it is a member with a report (same clock);
	 * NULL = long enough ago. */
	const uint64_t *member_since;
	uint64_t revert_hold_usec; /* 0 = VS_PLACE_REVERT_HOLD_USEC */
	/* VS -> node pairs where the VS's servers kept failing (the master's
	 * threshold): that node cannot take it, and a VS placed there moves
	 * (VS_MOVE_RECOVER) when another node can serve it, else stays, noted.
	 * A pinned VS stays on its node. NULL = none. */
	const struct vs_place_entry *failed;
	int n_failed;
	/* Moves the balancer asks for this round (VS_MOVE_BALANCE): made when
	 * the VS runs where it did, is not pinned, has no `at`, and the target
	 * can take it; NULL = none. */
	const struct vs_place_hint *balance;
	int n_balance;
	/* VSs that run where the balancer put them (their last move): they do
	 * not go back home (auto-revert) for as long as they run there. */
	const char *const *balanced;
	int n_balanced;
	/* Measured load (NULL = unknown: VSs are counted): per members[i], the
	 * cores its VSs use; and each VS's cores and traffic. A VS to place
	 * goes to the node left with the smallest share of its capacity, the
	 * share being the larger of CPU (cores over the node's) and network
	 * (traffic over the speed of its healthy ports) when member_net_bps
	 * and member_net_cap are given (NULL: CPU alone), as the balancer
	 * scores it (vs_balance.h). */
	const double *member_cores;
	const double *member_net_bps; /* per members[i]: bytes/s through its ports */
	const double *member_net_cap; /* per members[i]: bytes/s its healthy ports carry */
	const struct vs_place_load *vs_cores;
	int n_vs_cores;
};

const char *vs_placement_node(const struct vs_placement *pl, const char *vs);
/* Append vs -> node (the caller keeps pl->n below VS_MAX_VSERVERS). */
void vs_placement_put(struct vs_placement *pl, const char *vs, const char *node);
/* The report of `node` among r[0..n), or NULL. */
const struct vs_node_report *vs_report_of(const struct vs_node_report *r, int n, const char *node);

/* The placement for `ctx`, into next. notes may be NULL; *n_notes (may be
 * NULL) gets the count written (at most max_notes). 0 or -ENOMEM (next then
 * empty). */
int vs_place_ex(const struct vs_config *cfg, const struct vs_place_ctx *ctx,
                struct vs_placement *next, struct vs_place_note *notes, int max_notes,
                int *n_notes);

/* As vs_place_ex without a clock: maintenance and migration as the
 * configuration says, but no auto-revert (it needs the hold-down). */
int vs_place(const struct vs_config *cfg, const char *const *members, int n_members,
             const struct vs_node_report *reports, int n_reports, const struct vs_placement *cur,
             struct vs_placement *next, struct vs_place_note *notes, int max_notes, int *n_notes);

/* When the next revert falls due: the earliest time (ctx's clock, after
 * ctx->now_usec) at which a VS that would go back home now but for the
 * hold-down may go; 0 when none waits. The caller places again then. */
uint64_t vs_place_revert_due(const struct vs_config *cfg, const struct vs_place_ctx *ctx);

/* Does this node run `vs` now? Only with quorum (a node of a minority
 * partition, or one cut off, runs nothing: the quorate side takes over),
 * only where the placement says, and, until the master has spoken since this
 * daemon started (heard), only a VS still running here (already_here: its
 * namespace exists), wherever the stored placement puts it: a stale
 * placement neither starts nor stops anything after a boot or a restart. */
bool vs_place_runs_here(const struct vs_placement *pl, const char *vs, const char *node,
                        bool quorate, bool heard, bool already_here);

/* Fencing before a takeover: the first node (in `next`'s order) that a VS
 * leaves for another node while the departed node is not among `members`
 * and `needs_fence(node, arg)` says it must still be powered off (it has a
 * fence device and is not fenced yet). Its VSs must not be placed before it
 * is fenced or its fencing has failed. NULL when no such node. */
const char *vs_place_to_fence(const struct vs_placement *cur, const struct vs_placement *next,
                              const char *const *members, int n_members,
                              bool (*needs_fence)(const char *node, void *arg), void *arg);

/* Can `r`'s node serve `vs`? If not, why (a phrase) in why. */
bool vs_node_can_serve(const struct vs_config *cfg, const struct vs_vserver *vs,
                       const struct vs_node_report *r, char *why, size_t len);

#endif
