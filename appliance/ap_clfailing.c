/*
 * ap_clfailing.c - the master's watch on VSs whose servers keep failing
 * where they are placed.
 *
 * A node's runtime retries a VS that fails (a mount refused, ganesha or smbd
 * ending again and again) with a back-off, and says "failed" in its report
 * meanwhile; a retry may serve for a while and fail again. The master counts
 * from the first failure of a VS on the node the placement puts it on, with
 * no move of it under way, and forgets it only after AP_CL_FAILING_FORGET_USEC
 * without one: failing again AP_CL_FAILING_MOVE_USEC or more after the first
 * failure marks the pair, and vs_place (ctx.failed) then moves the VS to a node that can
 * serve it (a move of kind "recover") or, where none can, keeps it there and
 * says so. A mark holds for AP_CL_FAILED_HOLD_USEC, so the VS does not come
 * straight back (auto-revert included); a VS that runs again before the
 * threshold is forgotten. The counts are the master's own (monotonic clock):
 * a new master starts them afresh.
 *
 * c->failing: vs -> {"node": N, "since": first failure, "last": last seen
 * failing, "marked": usec or 0}.
 */
#include "appliance/ap_cluster_int.h"
#include "lib/lib_log.h"

#include <string.h>

static uint64_t num(json_t *e, const char *k)
{
	return (uint64_t)json_integer_value(json_object_get(e, k));
}

int ap_cl_failing(struct ap_cluster *c, uint64_t now, struct vs_place_entry *out, int max)
{
	const struct vs_config *cfg = c->hooks.config(c->arg);
	int n = 0;

	for (int i = 0; i < cfg->n_vservers; i++) {
		const struct vs_vserver *vs = &cfg->vservers[i];
		const char *cur = vs_placement_node(c->placement, vs->name);
		json_t *e = json_object_get(c->failing, vs->name);
		bool failing = vs->admin == VS_ADMIN_RUNNING && !vs->pinned && cur &&
		               ap_cl_word_of(c, cur, vs->name) == VS_MOVE_W_FAILED &&
		               !ap_cl_move_of(c, vs->name);

		const char *was = e ? json_string_value(json_object_get(e, "node")) : NULL;
		if (e && num(e, "marked")) {
			if (now >= num(e, "marked") + AP_CL_FAILED_HOLD_USEC) {
				json_object_del(c->failing, vs->name);
				e = NULL;
			}
		} else if (e && (!was || !cur || strcmp(was, cur) != 0 ||
		                 (!failing && now >= num(e, "last") + AP_CL_FAILING_FORGET_USEC))) {
			json_object_del(c->failing, vs->name); /* it moved, or runs again */
			e = NULL;
		}
		if (e && failing && !num(e, "marked"))
			json_object_set_new(e, "last", json_integer((json_int_t)now));
		if (!e && failing) {
			e = json_pack("{s:s, s:I, s:I, s:I}", "node", cur, "since", (json_int_t)now,
			              "last", (json_int_t)now, "marked", (json_int_t)0);
			if (!e || json_object_set_new(c->failing, vs->name, e) < 0) {
				lib_err("cluster: out of memory watching %s fail on %s", vs->name,
				        cur);
				continue;
			}
		}
		if (e && failing && !num(e, "marked") &&
		    now >= num(e, "since") + AP_CL_FAILING_MOVE_USEC) {
			json_object_set_new(e, "marked", json_integer((json_int_t)now));
			lib_info(
			    "cluster: %s has failed on %s, again and again for %llu s: it goes to "
			    "a node that can serve it, and not back to %s for %llu s",
			    vs->name, cur, (unsigned long long)((now - num(e, "since")) / 1000000),
			    cur, (unsigned long long)(AP_CL_FAILED_HOLD_USEC / 1000000));
		}
		if (e && num(e, "marked")) {
			if (n >= max) {
				lib_err("cluster: more failing virtual servers than %d; %s is not "
				        "moved "
				        "for it",
				        max, vs->name);
				continue;
			}
			snprintf(out[n].vs, sizeof(out[n].vs), "%s", vs->name);
			snprintf(out[n].node, sizeof(out[n].node), "%s",
			         json_string_value(json_object_get(e, "node")));
			n++;
		}
	}
	return n;
}

bool ap_cl_failing_due(const struct ap_cluster *c, uint64_t now)
{
	const char *vs;
	json_t *e;

	json_object_foreach(c->failing, vs, e)
	{
		uint64_t m = num(e, "marked");
		if (m ? now >= m + AP_CL_FAILED_HOLD_USEC
		      : now >= num(e, "since") + AP_CL_FAILING_MOVE_USEC ||
		            now >= num(e, "last") + AP_CL_FAILING_FORGET_USEC)
			return true;
	}
	return false;
}
