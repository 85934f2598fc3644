/*
 * ap_stats.h - counters of what this node's applianced did since it
 * started, for /metrics (failover and move counters and durations, fencing
 * outcomes, VIP moves between ports): monotonic, reset only by a restart,
 * as Prometheus counters are.
 *
 * Who counts what:
 * - moves: the master, as it steps the move journal (ap_clmove.c), counts a
 *   move when it ends (done), when it first gets stuck (no node can take the
 *   VS) and when it is ended because the VS was stopped or deleted; a done
 *   move's duration is from planned to done. A master change starts the new
 *   master's counts from its own start: each node's counters are its own.
 * - fencing: the node that ran the fence agent (ap_clfence.c), by outcome,
 *   with the agent's duration.
 * - VIP moves between ports of a node (netfail, ap_ports.c): failover (its
 *   port failed), revert (back to its home port), spread (by traffic),
 *   failed (the move itself failed).
 *
 * Durations go into fixed histogram buckets (AP_STATS_BOUNDS seconds, and
 * +Inf) with their sum and count.
 *
 * Pure: no I/O, no clock (durations are the caller's); a NULL struct counts
 * nothing (a module made without counters, as in unit tests). Memory: the struct
 * is the caller's (plain data, zero is empty); ap_stats_json's answer is a
 * new reference.
 */
#ifndef AP_STATS_H
#define AP_STATS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "vserver/vs_move.h"

#define AP_STATS_NBOUNDS 10
/* Upper bounds of the duration buckets, seconds (the last bucket, +Inf, is implied). */
#define AP_STATS_BOUNDS                                                                            \
	{                                                                                          \
		0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300                                             \
	}

enum ap_stats_move_end {
	AP_STATS_MOVE_DONE = 0,
	AP_STATS_MOVE_STUCK,
	AP_STATS_MOVE_ENDED,
	AP_STATS_MOVE_NENDS
};
enum ap_stats_vip {
	AP_STATS_VIP_FAILOVER = 0,
	AP_STATS_VIP_REVERT,
	AP_STATS_VIP_SPREAD,
	AP_STATS_VIP_FAILED,
	AP_STATS_VIP_NREASONS
};

struct ap_stats_hist {
	uint64_t bucket[AP_STATS_NBOUNDS + 1]; /* not cumulative; the last is +Inf */
	uint64_t count;
	double sum;
};

struct ap_stats {
	uint64_t moves[VS_MOVE_NKINDS][AP_STATS_MOVE_NENDS];
	struct ap_stats_hist move_s[VS_MOVE_NKINDS]; /* done moves, planned -> done */
	uint64_t fence_ok, fence_failed;
	struct ap_stats_hist fence_s;
	uint64_t vip_moves[AP_STATS_VIP_NREASONS];
};

/* A negative or non-finite duration counts as 0. */
void ap_stats_hist_add(struct ap_stats_hist *h, double seconds);
void ap_stats_move(struct ap_stats *s, enum vs_move_kind kind, enum ap_stats_move_end end,
                   double seconds);
void ap_stats_fence(struct ap_stats *s, bool ok, double seconds);
void ap_stats_vip(struct ap_stats *s, enum ap_stats_vip reason);

const char *ap_stats_move_end_name(enum ap_stats_move_end e);
const char *ap_stats_vip_name(enum ap_stats_vip r);

/* {"moves": [{"kind", "done", "stuck", "ended", "duration_s": H}...],
 *  "fencing": {"success", "failure", "duration_s": H},
 *  "vip_moves": {"failover", "revert", "spread", "failed"}}
 * with H = {"count", "sum", "buckets": [[le, cumulative count]...]}, le a
 * number, the last "+Inf" as a string. Every kind is listed. */
json_t *ap_stats_json(const struct ap_stats *s);

#endif
