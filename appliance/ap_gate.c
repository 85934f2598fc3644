/*
 * ap_gate.c - placement is the only gate to a VS's runtime (see ap_gate.h).
 */
#include "appliance/ap_gate.h"

#include <string.h>

enum ap_gate_run ap_gate_run(const struct ap_gate_in *in)
{
	if (!in->wanted)
		return AP_GATE_STOP;
	if (!in->clustered)
		return AP_GATE_RUN;
	if (!in->placed_here)
		return AP_GATE_STOP;
	/* Release before acquire: a runtime already under way here goes on (it
	 * holds the VS); one that is stopped waits for the other node. */
	if (in->busy_elsewhere && in->stopped_here)
		return AP_GATE_RELEASE;
	return AP_GATE_RUN;
}

enum ap_gate_start ap_gate_start(bool clustered, const char *placed_on, const char *self)
{
	if (!clustered)
		return AP_GATE_START_HERE;
	if (!placed_on || !placed_on[0])
		return AP_GATE_START_UNPLACED;
	return strcmp(placed_on, self) == 0 ? AP_GATE_START_HERE : AP_GATE_START_ELSEWHERE;
}
