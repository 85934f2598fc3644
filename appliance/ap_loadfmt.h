/*
 * ap_loadfmt.h - `vsadm load show` for people: the answer of the load.show
 * request ({"nodes": [...]}, each node as its 'load' message says it, see
 * ap_msg.h) as four tables: nodes, VSs, ports and LUNs, each figure with
 * its trend, and where the answer has them (--history), each series' short
 * history as bars (ap_loadhist.h). Pure formatting into a stream; fields that are missing print
 * as "-". Memory: data borrowed.
 */
#ifndef AP_LOADFMT_H
#define AP_LOADFMT_H

#include <jansson.h>
#include <stdio.h>

void ap_load_print(FILE *out, json_t *data);
/* `vsadm balance show`: the settings in force and the standby nodes. */
void ap_balance_print(FILE *out, json_t *data);

#endif
