/*
 * ap_gate.h - placement is the only gate to a VS's runtime on this node (pure).
 *
 * applianced hands each VS's runtime a desired state; the runtime then
 * creates the namespace, mounts, starts the servers. In a cluster nothing but
 * the master's placement may make that state "running" here: not a `vserver
 * start` typed on this node, not a retry, not a timer. These two functions
 * are that rule, with no I/O, so it is table-tested:
 *
 *   ap_gate_run: may the runtime here be told to run the VS now?
 *   ap_gate_start: what a `vserver start` that changes nothing in the
 *                  configuration (the VS is wanted running already) does here.
 *
 * Alone (no cluster) the administrator's word is the gate, as before.
 * Memory: inputs borrowed. Errors: none (total functions).
 */
#ifndef AP_GATE_H
#define AP_GATE_H

#include <stdbool.h>

struct ap_gate_in {
	bool clustered;      /* this node is in a cluster */
	bool wanted;         /* the configuration wants the VS running */
	bool placed_here;    /* vs_place_runs_here(): quorum, placement, heard */
	bool busy_elsewhere; /* another node still holds it, or is to be fenced */
	bool stopped_here;   /* its runtime here is stopped (or there is none) */
};

enum ap_gate_run {
	AP_GATE_STOP,    /* not here (or not wanted): the runtime stops it */
	AP_GATE_RUN,     /* run it here */
	AP_GATE_RELEASE, /* placed here, but waits for the node that holds it */
};

enum ap_gate_run ap_gate_run(const struct ap_gate_in *in);

enum ap_gate_start {
	AP_GATE_START_HERE,      /* retry here and wait for it to run */
	AP_GATE_START_ELSEWHERE, /* it runs on another node: say where, start nothing */
	AP_GATE_START_UNPLACED,  /* no node has it yet: say so, start nothing */
};

/* placed_on: the node the placement gives the VS (NULL or "" when none);
 * self: this node. */
enum ap_gate_start ap_gate_start(bool clustered, const char *placed_on, const char *self);

#endif
