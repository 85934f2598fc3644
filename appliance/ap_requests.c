/*
 * ap_requests.c - the control socket's requests (see ap_daemon_int.h).
 *
 * Every change request follows one path: validate and apply to the in-memory
 * configuration (vs_model: all or nothing), persist it, or in a cluster
 * propose it and answer on delivery (commit), log it in the event log with
 * who asked, then hand the new desired state to the runtimes. Start and stop
 * answer when the runtime reaches the target state or fails.
 */
#include "appliance/ap_daemon_int.h"

/* --- requests ------------------------------------------------------------------ */

static const char *str_arg(json_t *args, const char *key)
{
	json_t *v = json_object_get(args, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool bool_arg(json_t *args, const char *key)
{
	return json_is_true(json_object_get(args, key));
}

static bool port_exists(const char *port, void *arg)
{
	return strcmp(port, "lo") != 0 && nf_port_index(port) >= 0;
}

/* Persist the change just applied, or undo it. */
/* Returns 0 when committed here (the caller answers), 1 when proposed to the
 * cluster (the answer comes on delivery), < 0 when refused (answered). */
static int commit(struct ap_daemon *d, uint64_t conn, const char *vs, const char *what, uid_t uid)
{
	char by[640];

	if (d->actor[0]) { /* made through the web for a console account */
		snprintf(by, sizeof(by), "%s by %s (web)", what, d->actor);
		what = by;
	}
	if (ap_cluster_enabled(d->cluster)) {
		/* Nothing changes here before the cluster delivers it: the
		 * configuration goes back to the one before the change (the two
		 * exchange places, nothing is copied) and the changed one is
		 * proposed. */
		struct vs_config *next = d->cfg;
		char err[VS_ERR_LEN];
		d->cfg = d->before;
		d->before = next;
		int rc = ap_cluster_propose(d->cluster, next, d->cfg->version, conn, uid, vs, what,
		                            err, sizeof(err));
		if (rc < 0) {
			ap_ctl_reply(d->ctl, conn, ap_error("%s", err));
			return rc;
		}
		return 1;
	}
	int rc = vs_store_save_config(d->store, d->cfg);

	if (rc < 0) {
		/* Undo: the store still holds the previous version. */
		if (vs_store_load_config(d->store, d->cfg) < 0)
			lib_err("cannot reload the configuration after a failed save");
		ap_ctl_reply(d->ctl, conn,
		             ap_error("The change could not be saved to the state store; nothing "
		                      "was changed."));
		return rc;
	}
	ap_d_eventf(d, vs, "info", "%s (by uid %u, configuration version %llu)", what,
	            (unsigned)uid, (unsigned long long)d->cfg->version);
	ap_d_setup_refresh(d); /* a first account made with vsadm: no setup any more */
	ap_d_sync_runtimes(d);
	if (d->ports)
		ap_ports_config_changed(d->ports);
	return 0;
}

int ap_d_commit(struct ap_daemon *d, uint64_t conn, const char *vs, const char *what, uid_t uid)
{
	return commit(d, conn, vs, what, uid);
}

/* --- planned moves (R8): migrate, auto-revert, maintenance, the journal --------- */

/* Where a VS runs now: its node in the placement (in a cluster), or NULL. */
static const char *running_on(struct ap_daemon *d, const char *vs)
{
	return ap_cluster_enabled(d->cluster)
	           ? vs_placement_node(ap_cluster_placement(d->cluster), vs)
	           : d->node;
}

/* A node of the cluster named in a request about `what` (a noun for the
 * sentence): 0, or -ENOENT / -EINVAL with a sentence. */
static int need_cluster_node(struct ap_daemon *d, const char *node, const char *what, char *err,
                             size_t errlen)
{
	int rc;

	if (!ap_cluster_enabled(d->cluster))
		return snprintf(err, errlen,
		                "%s is for the nodes of a cluster; this node is in none ('vsadm "
		                "cluster create').",
		                what),
		       -ENOENT;
	if ((rc = vs_check_name("node", node, VS_NAME_MAX, err, errlen)) < 0)
		return rc;
	if (!ap_cluster_has_node(d->cluster, node))
		return snprintf(err, errlen,
		                "The cluster has no node named '%s' ('vsadm cluster show').", node),
		       -ENOENT;
	return 0;
}

/* vserver migrate: `at` set (--to) or cleared (--home); `what` says what
 * will happen. */
static int do_migrate(struct ap_daemon *d, json_t *args, const char *name, char *what, size_t wlen,
                      char *err, size_t errlen)
{
	const char *to = str_arg(args, "to"), *now;
	bool home = bool_arg(args, "home");
	struct vs_vserver *v;
	int rc;

	if ((to != NULL) == home)
		return snprintf(err, errlen, "Give either --to NODE or --home."), -EINVAL;
	/* --home names no node: this one stands for "in a cluster". */
	if ((rc = vs_config_need(d->cfg, name, &v, err, errlen)) < 0 ||
	    (rc = need_cluster_node(d, to ? to : d->node, "Migration", err, errlen)) < 0 ||
	    (rc = vs_config_migrate(d->cfg, name, to ? to : "", err, errlen)) < 0)
		return rc;
	now = v->admin == VS_ADMIN_RUNNING ? running_on(d, name) : NULL;
	if (to && v->admin != VS_ADMIN_RUNNING)
		snprintf(what, wlen, "%s will run on %s once it is started", name, to);
	else if (to && !now)
		snprintf(what, wlen, "%s will start on %s: see 'vsadm move show'", name, to);
	else if (to && strcmp(now, to) == 0)
		snprintf(what, wlen, "%s runs on %s and stays there", name, to);
	else if (to)
		snprintf(what, wlen, "%s moves to %s (it runs on %s): see 'vsadm move show'", name,
		         to, now);
	else if (!v->home[0])
		snprintf(what, wlen,
		         "%s is held on no node now; it has no home node, so it stays "
		         "where it runs",
		         name);
	else if (!now)
		snprintf(what, wlen, "%s will run on its home node %s", name, v->home);
	else if (strcmp(now, v->home) == 0)
		snprintf(what, wlen, "%s runs on its home node %s and stays there", name, v->home);
	else if (vs_config_in_maint(d->cfg, v->home))
		snprintf(what, wlen,
		         "%s stays on %s while its home node %s is under maintenance ('vsadm node "
		         "resume %s')",
		         name, now, v->home, v->home);
	else if (v->no_auto_revert)
		snprintf(what, wlen,
		         "%s stays on %s: its auto-revert is off ('vsadm vserver set %s "
		         "--auto-revert on' sends it home to %s)",
		         name, now, name, v->home);
	else
		snprintf(what, wlen,
		         "%s goes back to its home node %s (it runs on %s): see 'vsadm move show'",
		         name, v->home, now);
	return 0;
}

/* node evacuate / resume: the node into or out of maintenance. */
static int do_maint(struct ap_daemon *d, const char *node, bool on, char *what, size_t wlen,
                    char *err, size_t errlen)
{
	int rc, moving = 0, staying = 0;

	if ((rc = need_cluster_node(d, node, "Maintenance", err, errlen)) < 0 ||
	    (rc = vs_config_maint(d->cfg, node, on, err, errlen)) < 0)
		return rc;
	for (int i = 0; on && i < d->cfg->n_vservers; i++) {
		const struct vs_vserver *v = &d->cfg->vservers[i];
		const char *now = v->admin == VS_ADMIN_RUNNING ? running_on(d, v->name) : NULL;
		if (now && strcmp(now, node) == 0 && v->pinned)
			staying++;
		else if (now && strcmp(now, node) == 0)
			moving++;
	}
	if (on && moving + staying == 0)
		snprintf(what, wlen,
		         "node %s under maintenance: no virtual server runs there, and none will "
		         "be placed there",
		         node);
	else if (on)
		snprintf(what, wlen,
		         "node %s under maintenance: %d virtual server%s move%s to other nodes%s "
		         "(see 'vsadm move show')",
		         node, moving, moving == 1 ? "" : "s", moving == 1 ? "s" : "",
		         staying ? ", the pinned ones stay" : "");
	else
		snprintf(what, wlen,
		         "maintenance of node %s ended: it takes virtual servers again, and those "
		         "whose home it is go back after the hold-down",
		         node);
	return 0;
}

/* cluster/node show, with the nodes under maintenance marked. */
static json_t *cluster_show(struct ap_daemon *d)
{
	json_t *j = ap_cluster_show(d->cluster), *e;
	size_t i;

	json_array_foreach(json_object_get(j, "nodes"), i, e)
	{
		const char *nm = json_string_value(json_object_get(e, "name"));
		json_object_set_new(e, "maintenance", json_boolean(vs_config_in_maint(d->cfg, nm)));
	}
	if (j) {
		json_object_set_new(j, "maint", vs_maint_to_json(d->cfg));
		json_object_set_new(j, "counters", ap_stats_json(&d->stats));
	}
	return j;
}

static void wait_for(struct ap_daemon *d, uint64_t conn, const char *vs, enum vs_rt_state target)
{
	struct rt_entry *e = ap_d_find_rt(d, vs);
	struct waiter *w;

	if (e && vs_runtime_state(e->rt) == target && !e->deleting) {
		/* Already there (e.g. start of a running VS): the runtime may still
		 * converge a change, but the answer is true now. */
		ap_ctl_reply(d->ctl, conn,
		             ap_ok(target == VS_RT_RUNNING ? "running" : "stopped", NULL));
		return;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		ap_ctl_reply(d->ctl, conn, ap_error("Out of memory."));
		return;
	}
	w->conn = conn;
	w->target = target;
	snprintf(w->vs, sizeof(w->vs), "%s", vs);
	w->next = d->waiters;
	d->waiters = w;
}

static json_t *vserver_json(struct ap_daemon *d, const struct vs_vserver *vs)
{
	json_t *j = vs_vserver_to_json(vs);
	struct rt_entry *e = ap_d_find_rt(d, vs->name);

	vs_json_mask_users(j); /* never a password's hash in an answer */

	const char *where = ap_cluster_enabled(d->cluster)
	                        ? vs_placement_node(ap_cluster_placement(d->cluster), vs->name)
	                        : d->node;
	json_t *rt;
	if (e && where && strcmp(where, d->node) == 0) {
		rt = vs_runtime_to_json(e->rt);
	} else if (where) {
		const char *st = ap_cluster_vs_state(d->cluster, vs->name);
		rt = json_pack("{s:s, s:s}", "state", st ? st : "starting", "node", where);
	} else {
		rt = json_pack("{s:s, s:s}", "state",
		               vs->admin == VS_ADMIN_RUNNING ? "unplaced" : "stopped", "node", "");
	}
	json_object_set_new(rt, "no_healthy_port",
	                    d->ports ? ap_ports_marks(d->ports, vs->name) : json_array());
	json_object_set_new(j, "runtime", rt);
	return j;
}

static void do_show(struct ap_daemon *d, uint64_t conn, json_t *args)
{
	const char *name = str_arg(args, "name");
	json_t *arr;

	if (name) {
		struct vs_vserver *vs = vs_config_find(d->cfg, name);
		if (!vs) {
			ap_ctl_reply(d->ctl, conn,
			             ap_error("There is no virtual server named '%s'.", name));
			return;
		}
		ap_ctl_reply(d->ctl, conn, ap_ok(NULL, vserver_json(d, vs)));
		return;
	}
	arr = json_array();
	for (int i = 0; i < d->cfg->n_vservers; i++)
		json_array_append_new(arr, vserver_json(d, &d->cfg->vservers[i]));
	ap_ctl_reply(d->ctl, conn, ap_ok(NULL, arr));
}

static int check_lun(struct ap_daemon *d, const char *spec, char *err, size_t errlen)
{
	enum vs_lun_kind kind;
	char value[VS_LUN_MAX + 1];
	struct fx_lun_info lun;
	int rc = vs_parse_lun(spec, &kind, value, sizeof(value), err, errlen);

	if (rc < 0)
		return rc;
	rc = ap_luns_find(d->luns, kind == VS_LUN_UUID ? "UUID" : "LABEL", value, &lun);
	if (rc == -ENOTUNIQ) {
		snprintf(err, errlen,
		         "Two different file systems carry %s on this node; name the LUN by UUID "
		         "('vsadm lun show' lists them).",
		         spec);
		return rc;
	}
	if (rc == -EIO) {
		snprintf(err, errlen, "The LUNs of this node cannot be read: %s.",
		         ap_luns_error(d->luns));
		return rc;
	}
	if (rc == -ENOENT || rc == -EAGAIN) {
		snprintf(err, errlen,
		         "No LUN with %s is visible on this node ('vsadm lun show' lists them).",
		         spec);
		return rc;
	}
	if (rc < 0) {
		snprintf(err, errlen, "The LUN %s cannot be read: %s.", spec, strerror(-rc));
		return rc;
	}
	if (strcmp(lun.type, "ext4") != 0) {
		snprintf(err, errlen,
		         "The LUN %s holds a %s file system; this release serves ext4 with "
		         "multi-mount protection only.",
		         spec, lun.type[0] ? lun.type : "unrecognised");
		return -EINVAL;
	}
	if (!lun.mmp) {
		snprintf(
		    err, errlen,
		    "The ext4 file system on LUN %s (%s) has no multi-mount protection: enable "
		    "it with 'tune2fs -O mmp -E mmp_update_interval=1 %s' while it is unmounted "
		    "on every node.",
		    spec, lun.dev, lun.dev);
		return -EINVAL;
	}
	return 0;
}

static void do_events(struct ap_daemon *d, uint64_t conn, json_t *args)
{
	const char *vs = str_arg(args, "vs");
	json_t *out = NULL;
	json_int_t n = 50, after = 0;

	if (vs_json_int(args, "limit", 1, 10000, &n) < 0) {
		ap_ctl_reply(d->ctl, conn, ap_error("--last must be between 1 and 10000."));
		return;
	}
	if (vs_json_int(args, "after", 0, INT64_MAX, &after) < 0) {
		ap_ctl_reply(d->ctl, conn,
		             ap_error("The event id to read after must be 0 or more."));
		return;
	}
	if (vs_store_events(d->store, after, (int)n, vs, &out) < 0) {
		ap_ctl_reply(d->ctl, conn, ap_error("The event log cannot be read."));
		return;
	}
	ap_ctl_reply(d->ctl, conn, ap_ok(NULL, out));
}

static void do_luns(struct ap_daemon *d, uint64_t conn)
{
	const struct fx_lun_info *seen, *hung;
	int n_seen = ap_luns_list(d->luns, &seen), n_hung = ap_luns_hung(d->luns, &hung);
	json_t *arr = json_array();

	if (ap_luns_error(d->luns)[0]) {
		json_decref(arr);
		ap_ctl_reply(d->ctl, conn,
		             ap_error("The LUNs cannot be listed: %s.", ap_luns_error(d->luns)));
		return;
	}
	/* In a cluster: which nodes see each LUN, from their last reports. */
	json_t *cl = ap_cluster_enabled(d->cluster) ? ap_cluster_luns(d->cluster) : NULL;
	/* Those seen, then those whose path hangs here (not served from here). */
	for (int k = 0; k < 2; k++) {
		const struct fx_lun_info *luns = k ? hung : seen;
		for (int i = 0; i < (k ? n_hung : n_seen); i++) {
			const char *user = "";
			for (int v = 0; v < d->cfg->n_vservers; v++)
				for (int f = 0; f < d->cfg->vservers[v].n_fs; f++) {
					const struct vs_fs *fs = &d->cfg->vservers[v].fs[f];
					if ((fs->lun_kind == VS_LUN_LABEL &&
					     strcmp(fs->lun, luns[i].label) == 0) ||
					    (fs->lun_kind == VS_LUN_UUID &&
					     strcmp(fs->lun, luns[i].uuid) == 0))
						user = d->cfg->vservers[v].name;
				}
			json_t *e = json_pack(
			    "{s:s, s:s, s:s, s:s, s:b, s:i, s:s, s:s}", "device", luns[i].dev,
			    "type", luns[i].type, "label", luns[i].label, "uuid", luns[i].uuid,
			    "mmp", luns[i].mmp, "mmp_interval", (int)luns[i].mmp_interval,
			    "vserver", user, "state", k ? "hung" : "ok");
			size_t j;
			json_t *l;
			json_array_foreach(json_object_get(cl, "luns"), j, l)
			{
				const char *id = json_string_value(json_object_get(l, "lun"));
				bool match = (luns[i].label[0] && strncmp(id, "LABEL=", 6) == 0 &&
				              strcmp(id + 6, luns[i].label) == 0) ||
				             (luns[i].uuid[0] && strncmp(id, "UUID=", 5) == 0 &&
				              strcmp(id + 5, luns[i].uuid) == 0);
				if (!match || !e || json_object_get(e, "nodes"))
					continue;
				json_object_set(e, "nodes", json_object_get(l, "nodes"));
				json_object_set(e, "missing", json_object_get(l, "missing"));
			}
			json_array_append_new(arr, e);
		}
	}
	json_decref(cl);
	ap_ctl_reply(d->ctl, conn, ap_ok(NULL, arr));
}

static void on_fence_check(void *arg, const char *node, enum ap_fence_result result,
                           const char *detail, uint64_t usec)
{
	struct ap_daemon *d = arg;

	d->check = NULL;
	if (result == AP_FENCE_FAILED)
		ap_ctl_reply(
		    d->ctl, d->check_conn,
		    ap_error("The fence device of node %s did not answer: %s.", node, detail));
	else
		ap_ctl_reply(d->ctl, d->check_conn,
		             ap_ok(NULL, json_pack("{s:s, s:s, s:s, s:I}", "node", node, "power",
		                                   result == AP_FENCE_DONE ? "on" : "off", "detail",
		                                   detail, "ms", (json_int_t)(usec / 1000))));
}

static void on_rescanned(void *arg)
{
	struct rescan *r = arg;
	struct ap_daemon *d = r->d;

	for (struct rescan **p = &d->rescans; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	sd_event_source_disable_unref(r->budget);
	if (!r->answered) {
		json_object_set_new(r->args, "_rescanned", json_true());
		ap_d_handle(d, r->conn, r->uid, r->cmd, r->args);
	}
	json_decref(r->args);
	free(r);
}

/* The scan takes longer than the request may wait: answer from the last
 * one now (on_rescanned frees the entry when the scan ends). */
static int on_rescan_budget(sd_event_source *s, uint64_t usec, void *arg)
{
	struct rescan *r = arg;

	(void)s;
	(void)usec;
	r->answered = true;
	r->budget = sd_event_source_disable_unref(r->budget);
	json_object_set_new(r->args, "_rescanned", json_true());
	ap_d_handle(r->d, r->conn, r->uid, r->cmd, r->args);
	return 0;
}

/* Run the request again once a fresh LUN scan has ended, or after budget
 * microseconds (0: no limit) with the last scan's result; 0 if it will be. */
static int rescan_then(struct ap_daemon *d, uint64_t conn, uid_t uid, const char *cmd, json_t *args,
                       uint64_t budget)
{
	struct rescan *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	*r = (struct rescan){.d = d, .conn = conn, .uid = uid, .args = json_incref(args)};
	snprintf(r->cmd, sizeof(r->cmd), "%s", cmd);
	if (budget && sd_event_add_time_relative(d->ev, &r->budget, CLOCK_MONOTONIC, budget, 0,
	                                         on_rescan_budget, r) < 0) {
		json_decref(r->args);
		free(r);
		return -ENOMEM;
	}
	if (ap_luns_refresh(d->luns, on_rescanned, r) < 0) {
		sd_event_source_disable_unref(r->budget);
		json_decref(r->args);
		free(r);
		return -EBUSY;
	}
	r->next = d->rescans;
	d->rescans = r;
	return 0;
}

static void handle(struct ap_daemon *d, uint64_t conn, uid_t uid, const char *cmd, json_t *args);

/* Every request: the gate of an account's role first (ap_reqadmin.c). */
void ap_d_handle(void *arg, uint64_t conn, uid_t uid, const char *cmd, json_t *args)
{
	struct ap_daemon *d = arg;
	json_t *refused = ap_d_actor_gate(d, cmd, args);

	if (refused) {
		ap_ctl_reply(d->ctl, conn, refused);
		return;
	}
	handle(d, conn, uid, cmd, args);
	d->actor[0] = '\0';
}

static void handle(struct ap_daemon *d, uint64_t conn, uid_t uid, const char *cmd, json_t *args)
{
	char err[VS_ERR_LEN] = "", what[512];
	const char *vs = str_arg(args, "vs");
	const char *name =
	    strncmp(cmd, "fence.", 6) == 0 ? str_arg(args, "node") : str_arg(args, "name");
	int rc;

	if (strcmp(cmd, "vserver.show") == 0)
		return do_show(d, conn, args);
	if (strcmp(cmd, "vserver.join") == 0 || strcmp(cmd, "vserver.leave") == 0)
		return ap_d_vserver_join(d, conn, uid, cmd, args);
	if (strcmp(cmd, "event.show") == 0)
		return do_events(d, conn, args);
	if (ap_d_system_cmd(cmd))
		return ap_d_system(d, conn, uid, cmd, args);
	if (strcmp(cmd, "admin.show") == 0) {
		ap_ctl_reply(d->ctl, conn, ap_ok(NULL, ap_d_admin_show(d)));
		return;
	}
	if (ap_d_cert_read(cmd))
		return ap_d_cert_answer(d, conn, cmd, args);
	if (strcmp(cmd, "admin.login") == 0) {
		ap_d_admin_login(d, conn, args);
		return;
	}
	if (strcmp(cmd, "setup.show") == 0)
		return ap_d_setup_show(d, conn);
	if (strcmp(cmd, "setup.apply") == 0)
		return ap_d_setup_apply(d, conn, uid, args);
	if (strcmp(cmd, "user.show") == 0 || strcmp(cmd, "group.show") == 0) {
		json_t *list = ap_d_identity_show(d, cmd, args, err, sizeof(err));
		ap_ctl_reply(d->ctl, conn, list ? ap_ok(NULL, list) : ap_error("%s", err));
		return;
	}
	if (strcmp(cmd, "lun.show") == 0) {
		/* What the node sees now: after a fresh scan. */
		if (!json_object_get(args, "_rescanned") &&
		    rescan_then(d, conn, uid, cmd, args, RESCAN_BUDGET_USEC) == 0)
			return;
		return do_luns(d, conn);
	}
	if (strcmp(cmd, "port.show") == 0) {
		ap_ctl_reply(d->ctl, conn, ap_ok(NULL, ap_ports_show(d->ports)));
		return;
	}
	if (strcmp(cmd, "vip.show") == 0) {
		if (vs && !vs_config_find(d->cfg, vs)) {
			ap_ctl_reply(d->ctl, conn,
			             ap_error("There is no virtual server named '%s'.", vs));
			return;
		}
		ap_ctl_reply(d->ctl, conn, ap_ok(NULL, ap_ports_vips(d->ports, vs)));
		return;
	}
	if (strcmp(cmd, "fgroup.show") == 0) {
		json_t *all = vs_config_to_json(d->cfg);
		ap_ctl_reply(d->ctl, conn,
		             ap_ok(NULL, json_incref(json_object_get(all, "fgroups"))));
		json_decref(all);
		return;
	}
	if (strcmp(cmd, "vip.migrate") == 0 || strcmp(cmd, "vip.revert") == 0) {
		bool migrate = strcmp(cmd, "vip.migrate") == 0;
		const char *addr = str_arg(args, "address");
		rc = migrate ? ap_ports_migrate(d->ports, vs ? vs : "", addr ? addr : "",
		                                str_arg(args, "port") ?: "", err, sizeof(err))
		             : ap_ports_revert(d->ports, vs ? vs : "", addr, err, sizeof(err));
		if (rc < 0)
			ap_ctl_reply(d->ctl, conn, ap_error("%s", err));
		else
			ap_ctl_reply(d->ctl, conn,
			             ap_ok(migrate ? "moved"
			                   : rc    ? "returned home"
			                           : "already home",
			                   NULL));
		return;
	}
	if (strcmp(cmd, "node.show") == 0 && ap_cluster_enabled(d->cluster)) {
		ap_ctl_reply(d->ctl, conn, ap_ok(NULL, cluster_show(d)));
		return;
	}
	if (strcmp(cmd, "balance.show") == 0) {
		json_t *b = ap_d_balance_json(d);
		ap_ctl_reply(d->ctl, conn, b ? ap_ok(NULL, b) : ap_error("Out of memory."));
		return;
	}
	if (strcmp(cmd, "load.show") == 0 || strcmp(cmd, "move.show") == 0) {
		bool load = cmd[0] == 'l', in = ap_cluster_enabled(d->cluster);
		json_t *data = !in    ? NULL
		               : load ? ap_cluster_loads_json(d->cluster, bool_arg(args, "history"))
		                      : ap_cluster_moves(d->cluster);
		ap_ctl_reply(
		    d->ctl, conn,
		    data ? ap_ok(NULL, data)
		    : in ? ap_error("%s", load ? "The loads cannot be read now."
		                               : "The move journal cannot be read now.")
		         : ap_error("%s", load ? "This node is in no cluster: loads are measured "
		                                 "and shown for the nodes of a cluster."
		                               : "This node is in no cluster: virtual servers "
		                                 "move only between the nodes of a cluster."));
		return;
	}
	if (strcmp(cmd, "node.show") == 0) {
		ap_ctl_reply(
		    d->ctl, conn,
		    ap_ok(NULL,
		          json_pack("{s:s, s:I, s:i, s:I, s:s, s:s, s:o}", "name", d->node,
		                    "config_version", (json_int_t)d->cfg->version, "vservers",
		                    d->cfg->n_vservers, "uptime_s",
		                    (json_int_t)((lib_now_usec() - d->started_usec) / 1000000),
		                    "run_dir", d->run_dir, "state_dir", d->state_dir, "counters",
		                    ap_stats_json(&d->stats))));
		return;
	}
	if (strcmp(cmd, "fence.show") == 0) {
		json_t *arr = json_array();
		for (int i = 0; i < d->cfg->n_fences; i++) {
			char shown[VS_FENCE_OPTS_MAX + 1];
			vs_fence_options_shown(&d->cfg->fences[i], shown, sizeof(shown));
			json_array_append_new(
			    arr, json_pack("{s:s, s:s, s:s}", "node", d->cfg->fences[i].node,
			                   "agent", d->cfg->fences[i].agent, "options", shown));
		}
		ap_ctl_reply(d->ctl, conn, ap_ok(NULL, arr));
		return;
	}
	if (strcmp(cmd, "fence.check") == 0) {
		const struct vs_fence *dev = vs_config_find_fence(d->cfg, name ? name : "");
		if (!dev) {
			ap_ctl_reply(d->ctl, conn,
			             ap_error("Node '%s' has no fence device ('vsadm fence set').",
			                      name ? name : ""));
			return;
		}
		if (d->check) {
			ap_ctl_reply(d->ctl, conn,
			             ap_error("A fence check is already running; try again in a "
			                      "moment."));
			return;
		}
		rc = ap_fence_run(d->ev, dev, "status", FENCE_CHECK_TIMEOUT_USEC, on_fence_check, d,
		                  &d->check);
		if (rc < 0)
			ap_ctl_reply(d->ctl, conn,
			             ap_error("Cannot run the fence agent %s: %s.", dev->agent,
			                      strerror(-rc)));
		else
			d->check_conn = conn;
		return;
	}
	if (strcmp(cmd, "node.ping") == 0) {
		ap_ctl_reply(d->ctl, conn, ap_ok("", NULL));
		return;
	}
	if (strcmp(cmd, "cluster.show") == 0) {
		ap_ctl_reply(d->ctl, conn, ap_ok(NULL, cluster_show(d)));
		return;
	}
	if (strcmp(cmd, "cluster.create") == 0 || strcmp(cmd, "cluster.join") == 0) {
		bool create = strcmp(cmd, "cluster.create") == 0;
		json_int_t grace = 0;
		if (create && vs_json_int(args, "agent_grace", 1, 3600, &grace) < 0) {
			ap_ctl_reply(
			    d->ctl, conn,
			    ap_error("The agent grace must be between 1 and 3600 seconds."));
			return;
		}
		rc = create ? ap_cluster_setup(d->cluster, name ? name : "",
		                               str_arg(args, "nodes") ?: "", str_arg(args, "mgmt"),
		                               str_arg(args, "mgmt_port"), (int)grace, err,
		                               sizeof(err))
		            : ap_cluster_join(d->cluster, json_object_get(args, "bundle"), err,
		                              sizeof(err));
		ap_ctl_reply(d->ctl, conn,
		             rc < 0
		                 ? ap_error("%s", err)
		                 : ap_ok(create ? "cluster created" : "joined the cluster", NULL));
		return;
	}
	if (strcmp(cmd, "cluster.bundle") == 0) {
		/* It holds the cluster key: who took it is in the event log. */
		json_t *b = ap_cluster_bundle(d->cluster, err, sizeof(err));
		if (b && d->actor[0])
			ap_d_eventf(d, NULL, "info",
			            "the join bundle (it holds the cluster key) was given to the "
			            "console account %s",
			            d->actor);
		else if (b)
			ap_d_eventf(
			    d, NULL, "info",
			    "the join bundle (it holds the cluster key) was given to uid %u",
			    (unsigned)uid);
		ap_ctl_reply(d->ctl, conn, b ? ap_ok(NULL, b) : ap_error("%s", err));
		return;
	}
	/* Every request below changes the configuration (a deep copy of the
	 * configuration: the one to go back to in a cluster). */
	if (vs_config_copy(d->before, d->cfg) < 0) {
		ap_ctl_reply(d->ctl, conn, ap_error("Out of memory."));
		return;
	}
	if (strcmp(cmd, "vserver.create") == 0) {
		json_int_t prio = 50;
		rc = vs_json_int(args, "priority", 0, 100, &prio) < 0 ? -EINVAL : 0;
		if (rc < 0)
			snprintf(err, sizeof(err), "The priority must be between 0 and 100.");
		else
			rc = vs_config_create(d->cfg, name ? name : "", (int)prio,
			                      bool_arg(args, "pinned"), str_arg(args, "home"), err,
			                      sizeof(err));
		snprintf(what, sizeof(what), "virtual server created");
		vs = name;
	} else if (strcmp(cmd, "vserver.start") == 0 || strcmp(cmd, "vserver.stop") == 0) {
		bool start = strcmp(cmd, "vserver.start") == 0;
		struct vs_vserver *v = vs_config_find(d->cfg, name ? name : "");
		struct rt_entry *e = v ? ap_d_find_rt(d, v->name) : NULL;
		uint64_t before = d->cfg->version;
		rc = vs_config_set_admin(d->cfg, name ? name : "",
		                         start ? VS_ADMIN_RUNNING : VS_ADMIN_STOPPED, err,
		                         sizeof(err));
		if (rc == 0 && d->cfg->version == before) {
			/* No change of order. Only where the placement puts it may a
			 * failed VS get a fresh attempt: elsewhere, start nothing. */
			const char *where =
			    ap_cluster_enabled(d->cluster)
			        ? vs_placement_node(ap_cluster_placement(d->cluster), v->name)
			        : d->node;
			enum ap_gate_start g =
			    ap_gate_start(ap_cluster_enabled(d->cluster), where, d->node);
			if (start && g == AP_GATE_START_ELSEWHERE) {
				snprintf(
				    what, sizeof(what),
				    "already wanted running; it runs on %s, where the placement "
				    "puts it (nothing was started here)",
				    where);
				ap_ctl_reply(d->ctl, conn,
				             ap_ok(what, json_pack("{s:s}", "node", where)));
				return;
			}
			if (start && g == AP_GATE_START_UNPLACED) {
				ap_ctl_reply(
				    d->ctl, conn,
				    ap_ok("already wanted running; it waits for the master "
				          "to place it",
				          NULL));
				return;
			}
			if (e) {
				struct vs_vserver *eff = malloc(sizeof(*eff));
				if (!eff) {
					ap_ctl_reply(d->ctl, conn, ap_error("Out of memory."));
					return;
				}
				ap_d_effective(d, v, eff);
				vs_runtime_update(e->rt, eff);
				e->quiet = false; /* handed outside sync_runtimes */
				free(eff);
			}
			if (bool_arg(args, "no_wait"))
				ap_ctl_reply(d->ctl, conn, ap_ok("unchanged", NULL));
			else
				wait_for(d, conn, name, start ? VS_RT_RUNNING : VS_RT_STOPPED);
			return;
		}
		if (rc == 0) {
			snprintf(what, sizeof(what), "%s requested", start ? "start" : "stop");
			if (commit(d, conn, name, what, uid) != 0)
				return; /* refused, or answered when the cluster delivers it */
			if (bool_arg(args, "no_wait"))
				ap_ctl_reply(d->ctl, conn,
				             ap_ok(start ? "starting" : "stopping", NULL));
			else
				wait_for(d, conn, name, start ? VS_RT_RUNNING : VS_RT_STOPPED);
			return;
		}
	} else if (strcmp(cmd, "vserver.delete") == 0) {
		rc = vs_config_delete(d->cfg, name ? name : "", bool_arg(args, "force"), err,
		                      sizeof(err));
		if (rc == 0) {
			if (commit(d, conn, name, "virtual server deleted", uid) != 0)
				return;
			struct rt_entry *e = ap_d_find_rt(d, name);
			if (e && vs_runtime_state(e->rt) != VS_RT_STOPPED)
				wait_for(d, conn, name, VS_RT_STOPPED);
			else
				ap_ctl_reply(d->ctl, conn, ap_ok("deleted", NULL));
			return;
		}
	} else if (strcmp(cmd, "vip.add") == 0) {
		uint64_t before = d->cfg->version;
		const char *group = str_arg(args, "group");
		bool no_revert = bool_arg(args, "no_auto_revert");
		rc = vs_config_vip_add(d->cfg, vs ? vs : "", str_arg(args, "address") ?: "",
		                       str_arg(args, "home_port") ?: "", port_exists, d, err,
		                       sizeof(err));
		if (rc == 0 && (group || no_revert)) {
			rc = vs_config_vip_set(d->cfg, vs, str_arg(args, "address"), group,
			                       no_revert, err, sizeof(err));
			if (rc < 0) { /* all or nothing */
				char ignore[VS_ERR_LEN];
				vs_config_vip_del(d->cfg, vs, str_arg(args, "address"), ignore,
				                  sizeof(ignore));
				d->cfg->version = before;
			}
		}
		snprintf(what, sizeof(what), "virtual IP %s added on port %s",
		         str_arg(args, "address") ?: "", str_arg(args, "home_port") ?: "");
	} else if (strcmp(cmd, "fgroup.create") == 0) {
		json_int_t ivl = 0, mvl = 0, hvl = -1, spd = 0; /* 0 and -1: the defaults */
		if (vs_json_int(args, "port_speed", 1, 400000, &spd) < 0) {
			rc = -EINVAL;
			snprintf(err, sizeof(err),
			         "The port speed must be between 1 and 400000 Mb/s.");
		} else if (vs_json_int(args, "probe_interval", 100, 60000, &ivl) < 0) {
			rc = -EINVAL;
			snprintf(err, sizeof(err),
			         "The probe interval must be between 100 and 60000 ms.");
		} else if (vs_json_int(args, "probe_misses", 1, 20, &mvl) < 0) {
			rc = -EINVAL;
			snprintf(err, sizeof(err),
			         "The probe miss count must be between 1 and 20.");
		} else if (vs_json_int(args, "hold_down", 0, 3600, &hvl) < 0) {
			rc = -EINVAL;
			snprintf(err, sizeof(err), "The hold-down must be between 0 and 3600 s.");
		} else {
			rc = vs_config_fgroup_create(
			    d->cfg, name ? name : "", str_arg(args, "ports") ?: "",
			    str_arg(args, "probe"), (uint32_t)ivl, (uint32_t)mvl, (int32_t)hvl,
			    port_exists, d, err, sizeof(err));
			/* Checked above: the speed cannot be refused after the create. */
			if (rc == 0 && spd)
				rc =
				    vs_config_fgroup_set_speed(d->cfg, name, spd, err, sizeof(err));
		}
		snprintf(what, sizeof(what), "failover group %s created with ports %s%s%s",
		         name ? name : "", str_arg(args, "ports") ?: "",
		         str_arg(args, "probe") ? ", probing " : "", str_arg(args, "probe") ?: "");
		vs = NULL;
	} else if (strcmp(cmd, "vserver.migrate") == 0 || strcmp(cmd, "vserver.set") == 0) {
		uint64_t before = d->cfg->version;
		rc = strcmp(cmd, "vserver.set") == 0
		         ? ap_d_vserver_set(d, args, name ? name : "", what, sizeof(what), err,
		                            sizeof(err))
		         : do_migrate(d, args, name ? name : "", what, sizeof(what), err,
		                      sizeof(err));
		if (rc == 0 && d->cfg->version == before) {
			ap_ctl_reply(d->ctl, conn, ap_ok(what, NULL)); /* nothing to change */
			return;
		}
		vs = name;
	} else if (strcmp(cmd, "node.evacuate") == 0 || strcmp(cmd, "node.resume") == 0) {
		const char *node = str_arg(args, "node") ?: "";
		bool on = strcmp(cmd, "node.evacuate") == 0;
		uint64_t before = d->cfg->version;
		rc = do_maint(d, node, on, what, sizeof(what), err, sizeof(err));
		if (rc == 0 && d->cfg->version == before) {
			snprintf(what, sizeof(what),
			         "node %s %s under maintenance; nothing changed", node,
			         on ? "is already" : "is not");
			ap_ctl_reply(d->ctl, conn, ap_ok(what, NULL));
			return;
		}
		vs = NULL;
	} else if (strcmp(cmd, "node.standby") == 0) {
		const char *node = str_arg(args, "node") ?: "";
		const char *st = str_arg(args, "state") ?: "";
		uint64_t before = d->cfg->version;
		bool on = strcmp(st, "on") == 0;
		rc = need_cluster_node(d, node, "A standby node", err, sizeof(err));
		if (rc == 0 && !on && strcmp(st, "off") != 0)
			rc = -EINVAL, snprintf(err, sizeof(err), "Give on or off after the node.");
		if (rc == 0)
			rc = vs_config_standby(d->cfg, node, on, err, sizeof(err));
		if (rc == 0 && d->cfg->version == before) {
			snprintf(what, sizeof(what), "node %s %s a standby node; nothing changed",
			         node, on ? "is already" : "is not");
			ap_ctl_reply(d->ctl, conn, ap_ok(what, NULL));
			return;
		}
		snprintf(what, sizeof(what),
		         on ? "node %s is a standby node: it takes virtual servers only when the "
		              "others pass the high-water mark, or when no other can serve them"
		            : "node %s is an active node again: it takes virtual servers by load",
		         node);
		vs = NULL;
	} else if (strcmp(cmd, "balance.set") == 0) {
		uint64_t before = d->cfg->version;
		rc = ap_d_balance_set(d, args, what, sizeof(what), err, sizeof(err));
		if (rc == 0 && d->cfg->version == before) {
			ap_ctl_reply(d->ctl, conn, ap_ok(what, NULL)); /* nothing to change */
			return;
		}
		vs = NULL;
	} else if (strcmp(cmd, "fence.set") == 0) {
		rc = need_cluster_node(d, name ? name : "", "Fencing", err, sizeof(err));
		if (rc == 0)
			rc = vs_config_fence_set(d->cfg, name ? name : "",
			                         str_arg(args, "agent") ?: "",
			                         str_arg(args, "options"), err, sizeof(err));
		snprintf(what, sizeof(what), "fence device of node %s set: %s", name ? name : "",
		         str_arg(args, "agent") ?: "");
		vs = NULL;
	} else if (strcmp(cmd, "fence.delete") == 0) {
		rc = vs_config_fence_delete(d->cfg, name ? name : "", err, sizeof(err));
		snprintf(what, sizeof(what),
		         "fence device of node %s removed: its file systems will be taken over "
		         "after multi-mount protection's wait",
		         name ? name : "");
		vs = NULL;
	} else if (strcmp(cmd, "fgroup.set") == 0) {
		json_int_t spd = -1;
		uint64_t before = d->cfg->version;
		rc = vs_json_int(args, "port_speed", 0, 400000, &spd) != 0 ? -EINVAL : 0;
		if (rc < 0)
			snprintf(err, sizeof(err),
			         "Give --port-speed from 0 (as the links say) to 400000 Mb/s.");
		else
			rc = vs_config_fgroup_set_speed(d->cfg, name ? name : "", spd, err,
			                                sizeof(err));
		if (rc == 0 && d->cfg->version == before) {
			ap_ctl_reply(d->ctl, conn, ap_ok("nothing changed", NULL));
			return;
		}
		snprintf(what, sizeof(what),
		         "failover group %s: its ports carry %lld Mb/s each for spreading virtual "
		         "IPs by traffic",
		         name ? name : "", (long long)spd);
		vs = NULL;
	} else if (strcmp(cmd, "fgroup.delete") == 0) {
		rc = vs_config_fgroup_delete(d->cfg, name ? name : "", err, sizeof(err));
		snprintf(what, sizeof(what), "failover group %s deleted", name ? name : "");
		vs = NULL;
	} else if (strcmp(cmd, "vip.remove") == 0) {
		rc = vs_config_vip_del(d->cfg, vs ? vs : "", str_arg(args, "address") ?: "", err,
		                       sizeof(err));
		snprintf(what, sizeof(what), "virtual IP %s removed",
		         str_arg(args, "address") ?: "");
	} else if (strcmp(cmd, "fs.add") == 0) {
		const char *lun = str_arg(args, "lun") ?: "";
		/* Model checks first (names, clashes), then the LUN on disk. */
		rc = vs_config_find(d->cfg, vs ? vs : "") ? 0 : -ENOENT;
		if (rc < 0)
			snprintf(err, sizeof(err), "There is no virtual server named '%s'.",
			         vs ? vs : "");
		if (rc == 0)
			rc = vs_check_name("file system", str_arg(args, "fs") ?: "", VS_NAME_MAX,
			                   err, sizeof(err));
		if (rc == 0)
			rc = check_lun(d, lun, err, sizeof(err));
		if ((rc == -ENOENT || rc == -EAGAIN) && !json_object_get(args, "_rescanned") &&
		    rescan_then(d, conn, uid, cmd, args, 0) == 0)
			return; /* answered after a fresh scan */
		if (rc == 0)
			rc = vs_config_fs_add(d->cfg, vs, str_arg(args, "fs"), lun, err,
			                      sizeof(err));
		snprintf(what, sizeof(what), "file system %s added on LUN %s",
		         str_arg(args, "fs") ?: "", lun);
	} else if (strcmp(cmd, "fs.remove") == 0) {
		rc = vs_config_fs_del(d->cfg, vs ? vs : "", str_arg(args, "fs") ?: "", err,
		                      sizeof(err));
		snprintf(what, sizeof(what), "file system %s removed", str_arg(args, "fs") ?: "");
	} else if (strcmp(cmd, "export.add") == 0) {
		rc = ap_d_export_add(d, args, what, sizeof(what), err, sizeof(err));
	} else if (strcmp(cmd, "export.remove") == 0) {
		rc = vs_config_export_del(d->cfg, vs ? vs : "", str_arg(args, "pseudo") ?: "", err,
		                          sizeof(err));
		snprintf(what, sizeof(what), "NFS export %s removed",
		         str_arg(args, "pseudo") ?: "");
	} else if (ap_d_admin_cmd(cmd)) {
		rc = ap_d_admin_change(d, cmd, args, what, sizeof(what), err, sizeof(err));
	} else if (ap_d_cert_cmd(cmd)) {
		uint64_t before = d->cfg->version;
		rc = ap_d_cert_change(d, cmd, args, what, sizeof(what), err, sizeof(err));
		if (rc == 0 && d->cfg->version == before) {
			ap_ctl_reply(d->ctl, conn, ap_ok(what, NULL)); /* nothing to change */
			return;
		}
		vs = NULL;
	} else if (ap_d_identity_cmd(cmd)) {
		rc = ap_d_identity_change(d, cmd, args, what, sizeof(what), err, sizeof(err));
	} else if (strcmp(cmd, "share.add") == 0) {
		rc = ap_d_share_add(d, args, what, sizeof(what), err, sizeof(err));
	} else if (strcmp(cmd, "share.remove") == 0) {
		rc = vs_config_share_del(d->cfg, vs ? vs : "", str_arg(args, "share") ?: "", err,
		                         sizeof(err));
		snprintf(what, sizeof(what), "SMB share %s removed", str_arg(args, "share") ?: "");
	} else {
		ap_ctl_reply(d->ctl, conn, ap_error("Unknown request '%s'.", cmd));
		return;
	}
	if (rc < 0) {
		lib_info("refused %s from uid %u: %s", cmd, (unsigned)uid, err);
		ap_ctl_reply(d->ctl, conn, ap_error("%s", err));
		return;
	}
	if (commit(d, conn, vs, what, uid) != 0)
		return;
	ap_ctl_reply(d->ctl, conn, ap_ok(what, NULL));
}
