/*
 * vs_place.h - which node runs which virtual server (pure).
 *
 * The master computes placement from (configuration, membership, node
 * reports, current placement) alone, with no I/O, so it is table-tested and
 * can be simulated at scale. Rules (DESIGN R4, section 4):
 *   - only VSs the administrator wants running are placed;
 *   - a VS stays where it is while its node is a member and can serve it
 *     (a member that has not reported yet is assumed to: no move without
 *     evidence);
 *   - a node can serve a VS when it reports every LUN of the VS visible and,
 *     for every VIP, a healthy port in the VIP's failover group (or its home
 *     port when it has no group);
 *   - VSs to place (new ones, those of a node that left or can no longer
 *     serve them) are taken highest priority first, then by name, each to
 *     its home node when that one can serve it, else to the member that
 *     can serve it with the fewest VSs per unit of capacity (ties: name);
 *   - a pinned VS runs on its home node only (its first node when it has no
 *     home) and waits while that node is away.
 *
 * Scale: a report holds 2 entries per LUN (LABEL and UUID) for up to 1,024
 * LUNs, a placement one entry per VS of the largest configuration; both are
 * fixed arrays (145 KB and 256 KB), kept on the heap and never copied whole
 * on a hot path (a message carries a report by pointer).
 *
 * Memory: all inputs borrowed; results written into caller-owned structs.
 * vs_place allocates its scratch lists: 0, or -ENOMEM with `next` empty.
 */
#ifndef VS_PLACE_H
#define VS_PLACE_H

#include <stdbool.h>
#include <stddef.h>

#include "vserver/vs_model.h"

#define VS_PLACE_MAX_NODES 16
#define VS_REPORT_MAX_LUNS 2048 /* entries: LABEL= and UUID= of 1,024 LUNs */
#define VS_REPORT_MAX_PORTS 16

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
};

const char *vs_placement_node(const struct vs_placement *pl, const char *vs);

/* members: names of the nodes of the quorate membership. notes may be NULL;
 * *n_notes gets the count written (at most max_notes). */
int vs_place(const struct vs_config *cfg, const char *const *members, int n_members,
             const struct vs_node_report *reports, int n_reports, const struct vs_placement *cur,
             struct vs_placement *next, struct vs_place_note *notes, int max_notes, int *n_notes);

/* Does this node run `vs` now? Only with quorum (a node of a minority
 * partition, or one cut off, runs nothing: the quorate side takes over),
 * only where the placement says, and, until the master has spoken since this
 * daemon started (heard), only a VS still running here (already_here: its
 * namespace exists), so a stale placement never starts anything after a boot. */
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
