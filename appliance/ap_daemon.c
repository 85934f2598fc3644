/*
 * ap_daemon.c - applianced's core (see ap_daemon.h, ap_daemon_int.h): its
 * life, the event log, the VS runtimes and the gate to them, and the hooks
 * the cluster and the port policy call. Requests are in ap_requests.c.
 *
 * Each VS has a runtime that converges asynchronously to the desired state
 * handed to it (ap_d_sync_runtimes after every change, through the gate of
 * ap_d_effective: in a cluster only where the master placed it).
 */
#include "appliance/ap_daemon_int.h"
#include "appliance/ap_login.h"
#include "appliance/ap_seedsrc.h"
#include "lib/lib_journal.h"

/* --- event log ------------------------------------------------------------ */

/* Events are queued and committed together shortly after (vs_store.h): no
 * write, let alone an fsync, on the path of a port failover. */
#define EVENT_FLUSH_USEC (100ULL * 1000)
#define EVENT_RETRY_USEC (1000ULL * 1000)

static int on_evflush(sd_event_source *s, uint64_t usec, void *userdata);

static void arm_evflush(struct ap_daemon *d, uint64_t delay)
{
	if (!d->evflush && sd_event_add_time_relative(d->ev, &d->evflush, CLOCK_MONOTONIC, delay,
	                                              10 * 1000, on_evflush, d) < 0) {
		lib_err("event log: cannot arm the flush timer; writing now");
		if (vs_store_event_flush(d->store) < 0)
			lib_err("event log: %d events are not written yet",
			        vs_store_event_queued(d->store));
	}
}

static int on_evflush(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ap_daemon *d = userdata;

	d->evflush = sd_event_source_disable_unref(d->evflush);
	if (vs_store_event_flush(d->store) < 0) {
		lib_err("event log: %d events are not written yet; trying again in 1 s",
		        vs_store_event_queued(d->store));
		arm_evflush(d, EVENT_RETRY_USEC);
	}
	return 0;
}

static void queue_event(struct ap_daemon *d, const struct vs_event *ev)
{
	int rc = vs_store_event_queue(d->store, ev);

	/* Under systemd, also a structured journal entry: on the node the event
	 * is about (every node stores the cluster's events; one journals each). */
	if (d->journal && ev->node && strcmp(ev->node, d->node) == 0) {
		struct lib_journal_event je = {.ident = "applianced",
		                               .node = ev->node,
		                               .vs = ev->vs,
		                               .severity = ev->severity,
		                               .actor = d->actor,
		                               .message = ev->message};
		int jr = lib_journal_event(&je);
		if (jr < 0)
			lib_warn("event log: cannot send this event to the journal: %s",
			         strerror(-jr));
	}

	if (rc == -ENOBUFS && vs_store_event_flush(d->store) == 0)
		rc = vs_store_event_queue(d->store, ev); /* full: written now, then queued */
	if (rc < 0) {
		lib_err("event log: this event is LOST (%d queued, the store takes none): %s",
		        vs_store_event_queued(d->store), ev->message);
		return;
	}
	arm_evflush(d, EVENT_FLUSH_USEC);
}

static void log_event(struct ap_daemon *d, const char *vs, const char *severity, const char *msg)
{
	struct vs_event ev = {.ts_usec = lib_now_usec(),
	                      .node = d->node,
	                      .vs = vs ? vs : "",
	                      .severity = severity,
	                      .message = msg};

	/* In a cluster every node's log gets it, in the cluster's order. */
	if (ap_cluster_event(d->cluster, &ev) == 0)
		return;
	ev.origin = d->node; /* numbered here; the others catch it up later */
	queue_event(d, &ev);
}

void ap_d_eventf(struct ap_daemon *d, const char *vs, const char *severity, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lib_info("%s%s%s", vs ? vs : "", vs ? ": " : "", msg);
	log_event(d, vs, severity, msg);
}

static void rt_event_sink(void *arg, const char *vs, const char *severity, const char *message)
{
	log_event(arg, vs, severity, message);
}

/* --- runtimes ------------------------------------------------------------------ */

struct rt_entry *ap_d_find_rt(struct ap_daemon *d, const char *name)
{
	return vs_index_get(&d->rt_ix, name);
}

static int on_reap(sd_event_source *s, void *userdata)
{
	struct ap_daemon *d = userdata;
	struct rt_entry **pp = &d->rts;

	d->reaper = sd_event_source_disable_unref(d->reaper);
	while (*pp) {
		struct rt_entry *e = *pp;
		if (e->deleting && vs_runtime_state(e->rt) == VS_RT_STOPPED) {
			*pp = e->next;
			if (vs_index_del(&d->rt_ix, e->name) < 0)
				abort(); /* every entry is indexed */
			vs_runtime_destroy(e->rt);
			char dir[PATH_MAX];
			snprintf(dir, sizeof(dir), "%s/vs/%s", d->run_dir, e->name);
			lib_rm_rf(dir);
			snprintf(dir, sizeof(dir), "%s/vs/%s", d->state_dir, e->name);
			lib_rm_rf(dir);
			free(e);
			continue;
		}
		pp = &e->next;
	}
	return 0;
}

static void rt_changed(void *arg, const char *vs, enum vs_rt_state state)
{
	struct ap_daemon *d = arg;
	struct waiter **pp = &d->waiters;
	struct rt_entry *e = ap_d_find_rt(d, vs);

	while (*pp) {
		struct waiter *w = *pp;
		if (strcmp(w->vs, vs) != 0 || (state != w->target && state != VS_RT_FAILED)) {
			pp = &w->next;
			continue;
		}
		if (state == w->target)
			ap_ctl_reply(d->ctl, w->conn,
			             ap_ok(state == VS_RT_RUNNING ? "running"
			                   : e && e->deleting     ? "stopped and deleted"
			                                          : "stopped",
			                   NULL));
		else
			ap_ctl_reply(d->ctl, w->conn,
			             ap_error("'%s' failed: %s.", vs,
			                      e ? vs_runtime_reason(e->rt) : "unknown reason"));
		*pp = w->next;
		free(w);
	}
	if (d->ports)
		ap_ports_config_changed(d->ports);
	ap_cluster_local_changed(d->cluster);
	if (e && e->deleting && state == VS_RT_STOPPED && !d->reaper &&
	    sd_event_add_defer(d->ev, &d->reaper, on_reap, d) < 0)
		lib_err("cannot schedule the removal of %s", vs);
}

static const char *rt_vip_port(void *arg, const char *vs, const struct vs_vip *vip)
{
	struct ap_daemon *d = arg;

	return d->ports ? ap_ports_choose(d->ports, vs, vip) : NULL;
}

static int rt_lun_find(void *arg, const char *tag, const char *value, struct fx_lun_info *out)
{
	struct ap_daemon *d = arg;

	return ap_luns_find(d->luns, tag, value, out);
}

static int add_runtime(struct ap_daemon *d, const struct vs_vserver *vs)
{
	struct vs_runtime_env env = {
	    .ev = d->ev,
	    .node = d->node,
	    .run_dir = d->run_dir,
	    .state_dir = d->state_dir,
	    .self_exe = d->self_exe,
	    .lease_lifetime = FX_GANESHA_LEASE_DEFAULT,
	    .grace_period = FX_GANESHA_GRACE_DEFAULT,
	    .probe_interval_usec = PROBE_INTERVAL_USEC,
	    .event = rt_event_sink,
	    .vip_port = rt_vip_port,
	    .lun_find = rt_lun_find,
	    .changed = rt_changed,
	    .cgroup_parent = ap_d_cgroup_parent(d),
	    .arg = d,
	};
	struct rt_entry *e = calloc(1, sizeof(*e));
	int rc;

	if (!e)
		return -ENOMEM;
	snprintf(e->name, sizeof(e->name), "%s", vs->name);
	rc = vs_runtime_create(&env, vs, &e->rt);
	if (rc < 0) {
		free(e);
		return rc;
	}
	rc = vs_index_put(&d->rt_ix, e->name, e);
	if (rc < 0) {
		vs_runtime_destroy(e->rt);
		free(e);
		return rc;
	}
	e->next = d->rts;
	d->rts = e;
	return 0;
}

/* What this node should do with a VS: in a cluster, run it only with quorum
 * and only where the master placed it (ap_gate: placement is the only gate);
 * alone, as the administrator says. `out` is a view of vs (a shallow copy
 * that borrows vs's lists): handed to vs_runtime_update, which copies what
 * it keeps, and never freed with vs_vserver_free. */
void ap_d_effective(struct ap_daemon *d, const struct vs_vserver *vs, struct vs_vserver *out)
{
	bool clustered = ap_cluster_enabled(d->cluster);
	struct rt_entry *e = ap_d_find_rt(d, vs->name);
	struct ap_gate_in in = {.clustered = clustered,
	                        .wanted = vs->admin == VS_ADMIN_RUNNING,
	                        .stopped_here = !e || vs_runtime_state(e->rt) == VS_RT_STOPPED};
	char who[VS_NAME_MAX + 1] = "";

	*out = *vs;
	if (clustered && in.wanted) {
		char ns[VS_NAME_MAX + 8];
		vs_runtime_netns_name(vs->name, ns, sizeof(ns));
		bool here = nf_netns_exists(ns) == 1;
		/* Just started, quorum not known yet: a VS running here is kept
		 * (this applianced restarted under it), nothing else starts. */
		bool quorate = ap_cluster_quorate(d->cluster) ||
		               (here && !ap_cluster_quorum_known(d->cluster));
		in.placed_here =
		    vs_place_runs_here(ap_cluster_placement(d->cluster), vs->name, d->node, quorate,
		                       ap_cluster_placement_heard(d->cluster), here);
		/* Release before acquire: not while the node it leaves still
		 * holds it (its report says so), or, if that node is gone, until
		 * it is fenced; else the mount would wait for MMP. */
		in.busy_elsewhere =
		    in.placed_here && in.stopped_here &&
		    ap_cluster_vs_busy_elsewhere(d->cluster, vs->name, who, sizeof(who));
	}
	enum ap_gate_run g = ap_gate_run(&in);
	if (g != AP_GATE_RUN)
		out->admin = VS_ADMIN_STOPPED;
	if (g == AP_GATE_RELEASE && e && !e->waiting)
		ap_d_eventf(d, vs->name, "info",
		            "placed here; waits for %s to release it (or to be fenced)", who);
	if (e)
		e->waiting = g == AP_GATE_RELEASE;
}

/* Hand every VS's desired state to its runtime (after any change). */
void ap_d_sync_runtimes(struct ap_daemon *d)
{
	struct vs_vserver *eff = malloc(sizeof(*eff));

	if (!eff) {
		lib_err("out of memory converging the virtual servers");
		return;
	}
	for (struct rt_entry *e = d->rts; e; e = e->next)
		e->in_cfg = false;
	for (int i = 0; i < d->cfg->n_vservers; i++) {
		const struct vs_vserver *vs = &d->cfg->vservers[i];
		struct rt_entry *e = ap_d_find_rt(d, vs->name);
		char from[VS_NAME_MAX + 1];
		bool fenced;
		ap_d_effective(d, vs, eff);
		if (e && !e->deleting) {
			bool idle = vs_runtime_state(e->rt) == VS_RT_STOPPED &&
			            eff->admin == VS_ADMIN_STOPPED;
			uint64_t h = idle ? vs_vserver_hash(eff) : 0;
			if (!idle || !e->quiet || e->quiet_hash != h)
				vs_runtime_update(e->rt, eff);
			e->quiet = idle;
			e->quiet_hash = h;
		} else if (!e && add_runtime(d, eff) < 0)
			lib_err("%s: cannot create its runtime", vs->name);
		/* Taken over from a fenced node, or from one that unmounted it with
		 * its path failed: no need to wait for MMP. */
		e = ap_d_find_rt(d, vs->name);
		if (e)
			e->in_cfg = true;
		if (e && !e->deleting &&
		    ap_cluster_takeover_take(d->cluster, vs->name, from, sizeof(from), &fenced))
			vs_runtime_allow_mmp_reset(e->rt, from, fenced);
	}
	free(eff);
	for (struct rt_entry *e = d->rts; e; e = e->next) {
		if (e->deleting || e->in_cfg)
			continue;
		/* Deleted from the configuration: stop it, then forget it. */
		struct vs_vserver gone = {0};
		snprintf(gone.name, sizeof(gone.name), "%s", e->name);
		gone.admin = VS_ADMIN_STOPPED;
		e->deleting = true;
		vs_runtime_update(e->rt, &gone);
		if (vs_runtime_state(e->rt) == VS_RT_STOPPED && !d->reaper &&
		    sd_event_add_defer(d->ev, &d->reaper, on_reap, d) < 0)
			lib_err("cannot schedule the removal of %s", e->name);
	}
}

/* --- life ------------------------------------------------------------------------ */

static void cl_adopt(void *arg, struct vs_config *cfg)
{
	struct ap_daemon *d = arg;

	vs_config_swap(d->cfg, cfg); /* taken, not copied; the cluster frees the old one */
	if (vs_store_save_config(d->store, d->cfg) < 0)
		lib_err("cluster: cannot persist configuration version %llu",
		        (unsigned long long)d->cfg->version);
	ap_d_sync_runtimes(d);
	if (d->ports)
		ap_ports_config_changed(d->ports);
}

static void cl_store_event(void *arg, const struct vs_event *ev)
{
	queue_event(arg, ev);
}

/* Is this LUN (of the scan) the one of a file system of a VS here that is
 * in the given case: failed (its storage probe or preparation failed or
 * hung: this node counts as not reaching it) or serving (running, its
 * storage probe answering)? */
static bool lun_used_here(struct ap_daemon *d, const struct fx_lun_info *l, bool failed)
{
	for (struct rt_entry *e = d->rts; e; e = e->next) {
		if (failed ? !vs_runtime_storage_failed(e->rt)
		           : vs_runtime_state(e->rt) != VS_RT_RUNNING ||
		                 vs_runtime_storage_failed(e->rt))
			continue; /* first: a scan of the configuration only for the few */
		const struct vs_vserver *vs = vs_config_find(d->cfg, e->name);
		if (!vs)
			continue;
		for (int i = 0; i < vs->n_fs; i++) {
			const char *want = vs->fs[i].lun_kind == VS_LUN_LABEL ? l->label : l->uuid;
			if (want[0] && strcmp(want, vs->fs[i].lun) == 0)
				return true;
		}
	}
	return false;
}

/* Puts the names of one LUN into the report; false when it is full. */
static bool report_lun(struct ap_daemon *d, struct vs_node_report *r, const struct fx_lun_info *l,
                       int left)
{
	if (r->n_luns + 2 > VS_REPORT_MAX_LUNS) {
		/* Loudly: a VS on a LUN left out cannot run here. */
		if (!d->luns_capped)
			lib_warn(
			    "this node sees more LUNs than a report holds (%d entries): %d are "
			    "left out",
			    VS_REPORT_MAX_LUNS, left);
		d->luns_capped = true;
		return false;
	}
	if (l->label[0])
		snprintf(r->luns[r->n_luns++], sizeof(r->luns[0]), "LABEL=%s", l->label);
	if (l->uuid[0])
		snprintf(r->luns[r->n_luns++], sizeof(r->luns[0]), "UUID=%s", l->uuid);
	return true;
}

static bool cl_report(void *arg, struct vs_node_report *r, json_t *states)
{
	struct ap_daemon *d = arg;
	char ports[VS_REPORT_MAX_PORTS][VS_PORT_MAX + 1];
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	/* The LUNs of the last scan (every few seconds, in a child): before
	 * the first one ends, this node cannot say what it can serve. */
	if (!ap_luns_scanned(d->luns))
		return false;
	const struct fx_lun_info *luns, *hung;
	int n = ap_luns_list(d->luns, &luns), n_hung = ap_luns_hung(d->luns, &hung);
	bool full = false;
	r->n_luns = 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(luns[i].type, "ext4") != 0 || !luns[i].mmp)
			continue; /* served only with MMP */
		if (lun_used_here(d, &luns[i], true))
			continue;
		if ((full = !report_lun(d, r, &luns[i], n - i + n_hung)))
			break;
	}
	/* A device a scan found hung is left out, but not the LUN of a VS
	 * running here whose mounted file system still answers its probe: that
	 * probe is the judge of a mounted path (it fails the VS after its own
	 * bound when the path is hung), a scan that was merely slow on a busy
	 * disk moves nothing. */
	for (int i = 0; i < n_hung && !full; i++)
		if (strcmp(hung[i].type, "ext4") == 0 && hung[i].mmp &&
		    lun_used_here(d, &hung[i], false))
			full = !report_lun(d, r, &hung[i], n_hung - i);
	r->capacity = cores > 0 ? (unsigned)cores : 1;
	r->n_ports = d->ports ? ap_ports_healthy(d->ports, ports, VS_REPORT_MAX_PORTS) : 0;
	for (int i = 0; i < r->n_ports; i++)
		snprintf(r->healthy_ports[i], sizeof(r->healthy_ports[i]), "%s", ports[i]);
	for (struct rt_entry *e = d->rts; e; e = e->next) {
		enum vs_rt_state st = vs_runtime_state(e->rt);
		if (st != VS_RT_STOPPED && !e->deleting)
			json_object_set_new(states, e->name, json_string(vs_rt_state_name(st)));
	}
	return true;
}

static void cl_placed(void *arg)
{
	ap_d_sync_runtimes(arg);
}

static void cl_reply(void *arg, uint64_t conn, json_t *resp)
{
	struct ap_daemon *d = arg;

	/* A change that is in was adopted just before (cl_adopt converged the
	 * runtimes to it): a second pass over every VS would cost O(n) per
	 * change for nothing. */
	ap_ctl_reply(d->ctl, conn, resp);
}

static const struct vs_config *ports_config(void *arg)
{
	return ((struct ap_daemon *)arg)->cfg;
}

static struct vs_runtime *ports_runtime(void *arg, const char *vs)
{
	struct rt_entry *e = ap_d_find_rt(arg, vs);

	return e && !e->deleting ? e->rt : NULL;
}

/* A LUN appeared, went or changed: report it, and let the VSs retry. */
static void on_luns_changed(void *arg)
{
	struct ap_daemon *d = arg;

	ap_cluster_local_changed(d->cluster);
	ap_d_sync_runtimes(d);
}

/* The id of a group named on the command line; NULL leaves *gid as it is. */
static int group_id(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[4096];
	int rc;

	if (!name)
		return 0;
	rc = getgrnam_r(name, &gr, buf, sizeof(buf), &res);
	if (rc != 0 || !res) {
		lib_err("there is no group named %s (control socket access)", name);
		return rc ? -rc : -ENOENT;
	}
	if (res->gr_gid == AP_CTL_NO_GROUP) {
		lib_err("the group %s cannot be given control socket access (gid %u)", name,
		        (unsigned)res->gr_gid);
		return -EINVAL;
	}
	*gid = res->gr_gid;
	return 0;
}

/* The uid of the web process's user; NULL leaves acc as it is. */
static int web_uid(const char *name, struct ap_ctl_access *acc)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int rc;

	if (!name)
		return 0;
	rc = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (rc != 0 || !res) {
		lib_err("there is no user named %s (--web-user)", name);
		return rc ? -rc : -ENOENT;
	}
	if (res->pw_uid == 0) {
		lib_err("the web process's user cannot be root (--web-user %s)", name);
		return -EINVAL;
	}
	acc->has_web_uid = true;
	acc->web_uid = res->pw_uid;
	return 0;
}

int ap_daemon_create(sd_event *ev, const struct ap_daemon_opts *o, struct ap_daemon **out)
{
	struct ap_daemon *d = calloc(1, sizeof(*d));
	char path[PATH_MAX], nodename[VS_NAME_MAX + 1];
	int rc;

	if (!d)
		return -ENOMEM;
	d->ev = sd_event_ref(ev);
	d->started_usec = lib_now_usec();
	d->node = strdup(o->node);
	d->run_dir = strdup(o->run_dir);
	d->state_dir = strdup(o->state_dir);
	d->self_exe = strdup(o->self_exe);
	d->cfg = calloc(1, sizeof(*d->cfg));
	if (!d->node || !d->run_dir || !d->state_dir || !d->self_exe || !d->cfg) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = lib_mkdir_p(o->run_dir, 0755);
	if (rc == 0)
		rc = lib_mkdir_p(o->state_dir, 0700);
	if (rc < 0) {
		lib_err("cannot create %s or %s: %s", o->run_dir, o->state_dir, strerror(-rc));
		goto fail;
	}
	/* It holds the keys and the store: 0700 whatever made it (the lab, a
	 * umask). */
	int sfd = open(o->state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0 || fchmod(sfd, 0700) < 0) {
		rc = -errno;
		lib_err("cannot make %s private (0700): %s", o->state_dir, strerror(-rc));
		if (sfd >= 0)
			close(sfd);
		goto fail;
	}
	close(sfd);
	snprintf(path, sizeof(path), "%s/state.db", o->state_dir);
	rc = vs_store_open(path, &d->store);
	if (rc < 0)
		goto fail;
	/* The node's identity is persisted: a renamed node is refused, so a
	 * disk moved to another machine is noticed. */
	if (vs_store_meta_get(d->store, "node", nodename, sizeof(nodename)) == 0) {
		if (strcmp(nodename, o->node) != 0) {
			lib_err("this state store belongs to node '%s', not '%s'", nodename,
			        o->node);
			rc = -EINVAL;
			goto fail;
		}
	} else if ((rc = vs_store_meta_set(d->store, "node", o->node)) < 0) {
		goto fail;
	}
	rc = vs_store_load_config(d->store, d->cfg);
	if (rc < 0)
		goto fail;
	d->before = calloc(1, sizeof(*d->before));
	if (!d->before) {
		rc = -ENOMEM;
		goto fail;
	}
	/* Before any runtime: each is made with the cgroup parent. */
	rc = ap_d_load_start(d);
	if (rc < 0) {
		lib_err("cannot measure the loads: %s", strerror(-rc));
		goto fail;
	}
	rc = ap_luns_create(ev, d->self_exe, LUN_SCAN_INTERVAL_USEC, on_luns_changed, d, &d->luns);
	if (rc < 0) {
		lib_err("cannot scan the LUNs: %s", strerror(-rc));
		goto fail;
	}
	d->journal = lib_journal_attached();
	rc = ap_logins_create(ev, d->self_exe, &d->logins);
	if (rc < 0) {
		lib_err("cannot check console passwords: %s", strerror(-rc));
		goto fail;
	}
	struct ap_cluster_hooks ch = {.config = ports_config,
	                              .adopt = cl_adopt,
	                              .store_event = cl_store_event,
	                              .report = cl_report,
	                              .placed = cl_placed,
	                              .reply = cl_reply};
	char self_dir[PATH_MAX];
	snprintf(self_dir, sizeof(self_dir), "%s", d->self_exe);
	if (strrchr(self_dir, '/'))
		*strrchr(self_dir, '/') = '\0';
	struct ap_cluster_opts co = {.node = d->node,
	                             .run_dir = d->run_dir,
	                             .state_dir = d->state_dir,
	                             .store = d->store,
	                             .self_dir = self_dir,
	                             .daemon_units = o->daemon_units,
	                             .stats = &d->stats};
	rc = ap_cluster_create(ev, &co, &ch, d, &d->cluster);
	if (rc < 0) {
		lib_err("cannot set up the cluster: %s", strerror(-rc));
		goto fail;
	}
	struct ap_ports_hooks hooks = {.config = ports_config,
	                               .runtime = ports_runtime,
	                               .event = rt_event_sink,
	                               .port_rate = ap_d_port_rate,
	                               .vip_rate = ap_d_vip_rate,
	                               .spread_params = ap_d_spread_params,
	                               .stats = &d->stats};
	rc = ap_ports_create(ev, &hooks, d, &d->ports);
	if (rc < 0) {
		lib_err("cannot watch the ports: %s", strerror(-rc));
		goto fail;
	}
	struct ap_ctl_access acc = {.read_gid = AP_CTL_NO_GROUP,
	                            .admin_gid = AP_CTL_NO_GROUP,
	                            .read_group = o->socket_group,
	                            .admin_group = o->admin_group};
	if ((rc = group_id(o->socket_group, &acc.read_gid)) < 0 ||
	    (rc = group_id(o->admin_group, &acc.admin_gid)) < 0 ||
	    (rc = web_uid(o->web_user, &acc)) < 0)
		goto fail;
	d->has_web_uid = acc.has_web_uid;
	d->web_uid = acc.web_uid;
	d->setup_reboot = o->setup_reboot;
	if (!(d->setup_seed = strdup(o->setup_seed ? o->setup_seed : AP_SEED_BOOT_PATH))) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = ap_ctl_create(ev, o->socket, &acc, ap_d_handle, d, &d->ctl);
	if (rc < 0) {
		lib_err("cannot listen on %s: %s", o->socket, strerror(-rc));
		goto fail;
	}
	ap_d_eventf(d, NULL, "info",
	            "applianced started on node %s: %d virtual servers, configuration "
	            "version %llu",
	            d->node, d->cfg->n_vservers, (unsigned long long)d->cfg->version);
	ap_d_setup_refresh(d);
	ap_d_sync_runtimes(d);
	*out = d;
	return 0;
fail:
	ap_daemon_destroy(d);
	return rc;
}

void ap_daemon_destroy(struct ap_daemon *d)
{
	if (!d)
		return;
	if (d->store)
		ap_d_eventf(d, NULL, "info", "applianced stopping; virtual servers keep serving");
	ap_ctl_destroy(d->ctl);
	ap_d_setup_stop(d);
	ap_load_destroy(d->load);
	d->load = NULL;
	ap_ports_destroy(d->ports);
	d->ports = NULL;
	ap_fence_cancel(d->check);
	ap_cluster_destroy(d->cluster);
	d->cluster = NULL;
	while (d->waiters) {
		struct waiter *w = d->waiters;
		d->waiters = w->next;
		free(w);
	}
	while (d->rts) {
		struct rt_entry *e = d->rts;
		d->rts = e->next;
		if (vs_index_del(&d->rt_ix, e->name) < 0) /* gone before it is destroyed */
			abort();                          /* every entry is indexed */
		vs_runtime_destroy(e->rt);
		free(e);
	}
	vs_index_free(&d->rt_ix);
	d->reaper = sd_event_source_disable_unref(d->reaper);
	ap_luns_destroy(d->luns); /* drops its waiters without calling them */
	ap_d_system_destroy(d);
	ap_logins_destroy(d->logins); /* ends the checks without answering them */
	while (d->rescans) {
		struct rescan *r = d->rescans;
		d->rescans = r->next;
		sd_event_source_disable_unref(r->budget);
		json_decref(r->args);
		free(r);
	}
	d->evflush = sd_event_source_disable_unref(d->evflush);
	vs_store_close(d->store); /* writes what is still queued */
	vs_config_free(d->before);
	free(d->before);
	vs_config_free(d->cfg);
	free(d->cfg);
	free(d->node);
	free(d->run_dir);
	free(d->state_dir);
	free(d->self_exe);
	sd_event_unref(d->ev);
	free(d);
}
