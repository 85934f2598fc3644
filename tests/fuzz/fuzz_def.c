/*
 * fuzz_def.c - libFuzzer target: the cluster definition loader
 * (ap_cl_load_definition in appliance/ap_cldef.c), which reads a stored
 * definition and a join bundle as `vsadm cluster join` hands it over.
 *
 * Checks: it returns 0 or a negative errno; a refusal carries one printable
 * sentence and leaves the cluster's previous definition untouched; an
 * accepted definition names this node (n1), has unique ids >= 1 and unique,
 * valid node names, and an agent grace within its bounds.
 *
 * Memory: the cluster struct is zeroed per input; nothing is started (the
 * loader does no I/O).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_cluster_int.h"
#include "tests/fuzz/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ap_cluster c, before;
	char err[VS_ERR_LEN] = "";
	char *text = fz_strndup(data, size);
	json_t *d = json_loads(text, 0, NULL);

	free(text);
	if (!d)
		return 0;
	memset(&c, 0, sizeof(c));
	c.node = "n1";
	c.agent_grace_usec = 7;
	before = c;
	int rc = ap_cl_load_definition(&c, d, err, sizeof(err));
	json_decref(d);
	fz_require(rc == 0 || rc == -EINVAL, "ap_cl_load_definition: an unexpected result");
	if (rc < 0) {
		fz_check_err(err, sizeof(err), true);
		fz_require(memcmp(&c, &before, sizeof(c)) == 0,
		           "a refused definition changed things");
		fz_note("refused: %s", err);
		return 0;
	}
	fz_require(c.n_nodes >= 1 && c.n_nodes <= AP_CL_MAX_NODES, "a node count out of range");
	fz_require(c.my_id >= 1, "this node has no id");
	fz_require(c.agent_grace_usec >= 1000000ULL &&
	               c.agent_grace_usec <= AP_CL_AGENT_GRACE_MAX_S * 1000000ULL,
	           "an agent grace out of range");
	bool me = false;
	for (int i = 0; i < c.n_nodes; i++) {
		fz_require(c.nodes[i].id >= 1, "a node id below 1");
		fz_require(vs_check_name("node", c.nodes[i].name, VS_NAME_MAX, NULL, 0) == 0,
		           "a node name that is no name");
		me |= strcmp(c.nodes[i].name, "n1") == 0 && c.nodes[i].id == c.my_id;
		for (int j = 0; j < i; j++)
			fz_require(c.nodes[j].id != c.nodes[i].id &&
			               strcmp(c.nodes[j].name, c.nodes[i].name) != 0,
			           "a node twice");
	}
	fz_require(me, "the definition's id for this node is not its own");
	fz_note("accepted: %d nodes", c.n_nodes);
	return 0;
}
