/*
 * ap_webmetrics.h - the text of apweb's GET /metrics (Prometheus text
 * exposition format 0.0.4) from the answers of applianced's read-only
 * requests. Pure: JSON in, text out, no I/O, no clock.
 *
 * Inputs are the "data" of each reply, any of them NULL when that request
 * failed or was not made (e.g. load.show and move.show outside a cluster):
 * its families are then left out. Every field is checked for its type; a
 * missing or malformed one skips that sample (or that entry when it has no
 * name), never the rest. Label values are escaped (\\, \", \n) and cut at
 * AP_WM_LABEL_MAX bytes (on a UTF-8 boundary); at most AP_WM_ENTRIES_MAX
 * entries of each list are read, so a hostile reply cannot grow the text
 * without bound.
 *
 * Names and units (the choices):
 * - Prefix appliance_; one family per figure, its samples together, each
 *   with # HELP and # TYPE.
 * - The loads are what applianced measures and smooths: rates, not
 *   counters, so they are gauges named after their unit per second
 *   (appliance_vs_network_bytes_per_second, ..._packets_per_second,
 *   appliance_lun_io_operations_per_second); CPU as cores in use
 *   (appliance_vs_cpu_cores, a share of a core is a fraction of 1), LUN
 *   busy time as a ratio 0..1 (appliance_lun_utilization_ratio).
 * - Counters (_total) only where the data is a counter:
 *   appliance_cluster_refused_messages_total and
 *   appliance_vs_server_restarts_total (both since applianced started).
 * - States as info-style gauges of value 1, one series for the state the
 *   thing is in: appliance_vs_state{vs,state,node}, appliance_node_state
 *   {node,state}; membership and quorum as 0/1 gauges.
 * - Moves: the move journal keeps only the most recent moves (it is
 *   bounded), so their counts are not monotonic: appliance_moves{kind,state}
 *   is a gauge of the moves in the journal, not a _total counter. The
 *   totals are this node's counters since applianced started (ap_stats.h,
 *   in node.show's "counters"), each with node="the node that counted":
 *   appliance_moves_total{node,kind,outcome} (done, stuck, ended) and the
 *   histogram appliance_move_duration_seconds{node,kind} (planned to done)
 *   of the moves it stepped as master; appliance_fencing_total{node,outcome}
 *   (success, failure) and appliance_fencing_duration_seconds{node} of the
 *   fencing it ran; appliance_vip_port_moves_total{node,reason} (failover,
 *   revert, spread, failed) between its ports.
 * - appliance_scrape_ok 1 when the last refresh of all requests worked, 0
 *   when it failed and the other figures are the last ones read;
 *   appliance_scrape_age_seconds since those figures were read.
 *
 * Memory: inputs borrowed; *out is malloc'd text owned by the caller.
 * Errors: 0, or -ENOMEM (nothing in *out).
 */
#ifndef AP_WEBMETRICS_H
#define AP_WEBMETRICS_H

#include <jansson.h>
#include <stdbool.h>

#define AP_WM_LABEL_MAX 256
#define AP_WM_ENTRIES_MAX 4096

struct ap_wm_input {
	json_t *load;     /* load.show: {"nodes": [...]} */
	json_t *cluster;  /* cluster.show */
	json_t *node;     /* node.show (this node) */
	json_t *vservers; /* vserver.show: [...] */
	json_t *moves;    /* move.show: {"moves": [...]} */
	bool scrape_ok;
	double age_s; /* since the figures were read */
};

int ap_wm_render(const struct ap_wm_input *in, char **out);

/* Appends `v` to `dst` (size `len`, always terminated) as an escaped label
 * value, cut at AP_WM_LABEL_MAX bytes of input; exposed for the tests. */
void ap_wm_escape(const char *v, char *dst, size_t len);

#endif
