/*
 * ap_loadhist.h - a short history of one node's measured loads, as its
 * 'load' messages said them (ap_msg.h), for `vsadm load show --history`
 * (DESIGN R6, section 7: "kept as a short history").
 *
 * Every node keeps one per cluster node, fed by each 'load' message it
 * receives (ap_clload.c), so any node shows the history of the whole
 * cluster, as it shows the current loads. A point is kept when the newest
 * kept one is at least AP_LOADHIST_STEP_USEC older (the messages come every
 * sampling period, 5 s: one in six is kept); AP_LOADHIST_POINTS of them make
 * 10 minutes, the oldest overwritten. The figures are the sender's smoothed
 * ones: a point is the load then, not a peak. A node whose messages stop
 * leaves a gap (the points say how long ago they were taken); the history
 * is in memory only and starts again after a restart of applianced.
 *
 * Pure: the clock is an argument, no I/O. Memory: opaque; add copies what it
 * keeps out of the message; the JSON made is the caller's.
 * Errors: 0 or a negative errno (-ENOMEM).
 */
#ifndef AP_LOADHIST_H
#define AP_LOADHIST_H

#include <jansson.h>
#include <stdint.h>

#include "appliance/ap_msg.h"

#define AP_LOADHIST_POINTS 20
#define AP_LOADHIST_STEP_USEC (30ULL * 1000000)

struct ap_loadhist;

int ap_loadhist_create(struct ap_loadhist **out);
void ap_loadhist_destroy(struct ap_loadhist *h);

/* Keeps m's load figures (m->type is AP_MSG_LOAD) as a point taken at
 * now_usec (monotonic) when the newest point is at least a step older, or
 * there is none. 1: kept; 0: not due; -ENOMEM: nothing kept. A clock that
 * went back (now before the newest point) keeps nothing. */
int ap_loadhist_add(struct ap_loadhist *h, const struct ap_msg *m, uint64_t now_usec);

/* How many points are kept. */
int ap_loadhist_count(const struct ap_loadhist *h);

/* Adds "history" to o, the node's load as ap_msg_enc_load made it:
 *   o.history            {"step_s": 30, "points": [{"ago_s", "cpu"}...]}
 *   o.vs[k].history      [{"ago_s", "cpu", "net_bps", "io_bps"[, "nfs_rps"]
 *                          [, "smb_rps"]}...]
 *   o.ports[k].history   [{"ago_s", "rx_bps", "tx_bps"}...]
 *   o.luns[k].history    [{"ago_s", "util", "iops"}...]
 * oldest first, each entity's points only where it was in the message (a VS
 * that moved here has the points since). -ENOMEM: o may hold part of it. */
int ap_loadhist_json(const struct ap_loadhist *h, json_t *o, uint64_t now_usec);

#endif
