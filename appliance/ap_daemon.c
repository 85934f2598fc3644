/*
 * ap_daemon.c - applianced's core (see ap_daemon.h).
 *
 * Every change request follows one path: validate and apply to the in-memory
 * configuration (vs_model: all or nothing), persist it (vs_store; if that
 * fails the change is undone by reloading), log it in the event log with who
 * asked, then hand the new desired state of the VS to its runtime, which
 * converges asynchronously. Start and stop answer when the runtime reaches
 * the target state or fails, so `vsadm vserver start` reports the real
 * outcome.
 */
#include "appliance/ap_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "appliance/ap_cluster.h"
#include "appliance/ap_fence.h"
#include "appliance/ap_gate.h"
#include "appliance/ap_ctl.h"
#include "appliance/ap_ports.h"
#include "fsexport/fx_ganesha.h"
#include "appliance/ap_luns.h"
#include "fsexport/fx_lun.h"

#include "lib/lib_fs.h"
#include "lib/lib_log.h"
#include "netfail/nf_netns.h"
#include "netfail/nf_vip.h"
#include "vserver/vs_index.h"
#include "vserver/vs_json.h"
#include "vserver/vs_runtime.h"
#include "vserver/vs_store.h"

#define PROBE_INTERVAL_USEC (5ULL * 1000000)
#define FENCE_CHECK_TIMEOUT_USEC (30ULL * 1000000)
#define LUN_SCAN_INTERVAL_USEC (5ULL * 1000000)

/* A request that waits for a fresh LUN scan, then runs again. */
struct rescan {
	struct ap_daemon *d;
	uint64_t conn;
	uid_t uid;
	char cmd[32];
	json_t *args;
	struct rescan *next;
};

struct rt_entry {
	char name[VS_NAME_MAX + 1];
	struct vs_runtime *rt;
	bool deleting; /* config gone; destroy once stopped */
	bool waiting;  /* placed here, waits for another node to release it */
	bool in_cfg;   /* scratch of sync_runtimes: its VS is configured */
	/* Stopped, and last handed a stopped VS of this digest (vs_vserver_hash)
	 * by sync_runtimes: handing it the same again would only make it check,
	 * for every VS at every change, that nothing is left to stop. */
	bool quiet;
	uint64_t quiet_hash;
	struct rt_entry *next;
};

struct waiter {
	uint64_t conn;
	char vs[VS_NAME_MAX + 1];
	enum vs_rt_state target;
	struct waiter *next;
};

struct ap_daemon {
	sd_event *ev;
	char *node, *run_dir, *state_dir, *self_exe;
	struct vs_store *store;
	struct vs_config *cfg;
	struct ap_ctl *ctl;
	struct ap_ports *ports;
	struct ap_cluster *cluster;
	struct vs_config *before; /* the configuration before the change being made */
	struct ap_luns *luns;     /* the LUNs this node sees (scanned in a child) */
	struct rescan *rescans;   /* requests waiting for a LUN scan */
	struct rt_entry *rts;
	struct vs_index rt_ix; /* name -> rts entry: O(1) per VS at 1,000 VSs */
	struct waiter *waiters;
	sd_event_source *reaper;
	long long started_usec;
	struct ap_fence *check; /* `vsadm fence check` in flight */
	uint64_t check_conn;
	sd_event_source *evflush; /* commits the queued events */
	bool luns_capped;         /* said once: more LUNs than a report holds */
};

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

static void eventf(struct ap_daemon *d, const char *vs, const char *severity, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void eventf(struct ap_daemon *d, const char *vs, const char *severity, const char *fmt, ...)
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

static struct rt_entry *find_rt(struct ap_daemon *d, const char *name)
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
	struct rt_entry *e = find_rt(d, vs);

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
static void effective(struct ap_daemon *d, const struct vs_vserver *vs, struct vs_vserver *out)
{
	bool clustered = ap_cluster_enabled(d->cluster);
	struct rt_entry *e = find_rt(d, vs->name);
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
		eventf(d, vs->name, "info",
		       "placed here; waits for %s to release it (or to be fenced)", who);
	if (e)
		e->waiting = g == AP_GATE_RELEASE;
}

/* Hand every VS's desired state to its runtime (after any change). */
static void sync_runtimes(struct ap_daemon *d)
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
		struct rt_entry *e = find_rt(d, vs->name);
		char from[VS_NAME_MAX + 1];
		effective(d, vs, eff);
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
		/* Taken over from a fenced node: no need to wait for MMP. */
		e = find_rt(d, vs->name);
		if (e)
			e->in_cfg = true;
		if (e && !e->deleting &&
		    ap_cluster_takeover_take(d->cluster, vs->name, from, sizeof(from)))
			vs_runtime_allow_mmp_reset(e->rt, from);
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
	eventf(d, vs, "info", "%s (by uid %u, configuration version %llu)", what, (unsigned)uid,
	       (unsigned long long)d->cfg->version);
	sync_runtimes(d);
	if (d->ports)
		ap_ports_config_changed(d->ports);
	return 0;
}

static void wait_for(struct ap_daemon *d, uint64_t conn, const char *vs, enum vs_rt_state target)
{
	struct rt_entry *e = find_rt(d, vs);
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
	struct rt_entry *e = find_rt(d, vs->name);

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
			json_array_append_new(
			    arr, json_pack("{s:s, s:s, s:s, s:s, s:b, s:i, s:s, s:s}", "device",
			                   luns[i].dev, "type", luns[i].type, "label",
			                   luns[i].label, "uuid", luns[i].uuid, "mmp", luns[i].mmp,
			                   "mmp_interval", (int)luns[i].mmp_interval, "vserver",
			                   user, "state", k ? "hung" : "ok"));
		}
	}
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

static void handle(void *arg, uint64_t conn, uid_t uid, const char *cmd, json_t *args);

static void on_rescanned(void *arg)
{
	struct rescan *r = arg;
	struct ap_daemon *d = r->d;

	for (struct rescan **p = &d->rescans; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	json_object_set_new(r->args, "_rescanned", json_true());
	handle(d, r->conn, r->uid, r->cmd, r->args);
	json_decref(r->args);
	free(r);
}

/* Run the request again once a fresh LUN scan has ended; 0 if it will be. */
static int rescan_then(struct ap_daemon *d, uint64_t conn, uid_t uid, const char *cmd, json_t *args)
{
	struct rescan *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	*r = (struct rescan){.d = d, .conn = conn, .uid = uid, .args = json_incref(args)};
	snprintf(r->cmd, sizeof(r->cmd), "%s", cmd);
	if (ap_luns_refresh(d->luns, on_rescanned, r) < 0) {
		json_decref(r->args);
		free(r);
		return -EBUSY;
	}
	r->next = d->rescans;
	d->rescans = r;
	return 0;
}

static void handle(void *arg, uint64_t conn, uid_t uid, const char *cmd, json_t *args)
{
	struct ap_daemon *d = arg;
	char err[VS_ERR_LEN] = "", what[512];
	const char *vs = str_arg(args, "vs");
	const char *name =
	    strncmp(cmd, "fence.", 6) == 0 ? str_arg(args, "node") : str_arg(args, "name");
	int rc;

	if (strcmp(cmd, "vserver.show") == 0)
		return do_show(d, conn, args);
	if (strcmp(cmd, "event.show") == 0)
		return do_events(d, conn, args);
	if (strcmp(cmd, "lun.show") == 0) {
		/* What the node sees now: after a fresh scan. */
		if (!json_object_get(args, "_rescanned") &&
		    rescan_then(d, conn, uid, cmd, args) == 0)
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
		ap_ctl_reply(d->ctl, conn, ap_ok(NULL, ap_cluster_show(d->cluster)));
		return;
	}
	if (strcmp(cmd, "node.show") == 0) {
		ap_ctl_reply(
		    d->ctl, conn,
		    ap_ok(NULL,
		          json_pack("{s:s, s:I, s:i, s:I, s:s, s:s}", "name", d->node,
		                    "config_version", (json_int_t)d->cfg->version, "vservers",
		                    d->cfg->n_vservers, "uptime_s",
		                    (json_int_t)((lib_now_usec() - d->started_usec) / 1000000),
		                    "run_dir", d->run_dir, "state_dir", d->state_dir)));
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
		ap_ctl_reply(d->ctl, conn, ap_ok(NULL, ap_cluster_show(d->cluster)));
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
		json_t *b = ap_cluster_bundle(d->cluster, err, sizeof(err));
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
		struct rt_entry *e = v ? find_rt(d, v->name) : NULL;
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
				effective(d, v, eff);
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
			struct rt_entry *e = find_rt(d, name);
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
		json_int_t ivl = 0, mvl = 0, hvl = -1; /* 0 and -1: the defaults */
		if (vs_json_int(args, "probe_interval", 100, 60000, &ivl) < 0) {
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
		}
		snprintf(what, sizeof(what), "failover group %s created with ports %s%s%s",
		         name ? name : "", str_arg(args, "ports") ?: "",
		         str_arg(args, "probe") ? ", probing " : "", str_arg(args, "probe") ?: "");
		vs = NULL;
	} else if (strcmp(cmd, "fence.set") == 0) {
		rc = 0;
		if (!ap_cluster_enabled(d->cluster)) {
			rc = -ENOENT;
			snprintf(err, sizeof(err),
			         "Fencing is for the nodes of a cluster; this node is in none "
			         "('vsadm cluster create').");
		} else if (!ap_cluster_has_node(d->cluster, name ? name : "")) {
			rc = -ENOENT;
			snprintf(err, sizeof(err),
			         "The cluster has no node named '%.31s' ('vsadm cluster show').",
			         name ? name : "");
		}
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
		    rescan_then(d, conn, uid, cmd, args) == 0)
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
		rc = vs_config_export_add(d->cfg, vs ? vs : "", str_arg(args, "pseudo") ?: "",
		                          str_arg(args, "fs") ?: "", str_arg(args, "path"),
		                          str_arg(args, "clients"), bool_arg(args, "ro"), err,
		                          sizeof(err));
		snprintf(what, sizeof(what), "NFS export %s added (file system %s%s%s%s)",
		         str_arg(args, "pseudo") ?: "", str_arg(args, "fs") ?: "",
		         bool_arg(args, "ro") ? ", read-only" : "",
		         str_arg(args, "clients") ? ", clients " : "",
		         str_arg(args, "clients") ?: "");
	} else if (strcmp(cmd, "export.remove") == 0) {
		rc = vs_config_export_del(d->cfg, vs ? vs : "", str_arg(args, "pseudo") ?: "", err,
		                          sizeof(err));
		snprintf(what, sizeof(what), "NFS export %s removed",
		         str_arg(args, "pseudo") ?: "");
	} else if (strcmp(cmd, "share.add") == 0) {
		rc = vs_config_share_add(d->cfg, vs ? vs : "", str_arg(args, "share") ?: "",
		                         str_arg(args, "fs") ?: "", str_arg(args, "path"),
		                         bool_arg(args, "ro"), err, sizeof(err));
		snprintf(what, sizeof(what), "SMB share %s added (file system %s%s)",
		         str_arg(args, "share") ?: "", str_arg(args, "fs") ?: "",
		         bool_arg(args, "ro") ? ", read-only" : "");
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

/* --- life ------------------------------------------------------------------------ */

static void cl_adopt(void *arg, struct vs_config *cfg)
{
	struct ap_daemon *d = arg;

	vs_config_swap(d->cfg, cfg); /* taken, not copied; the cluster frees the old one */
	if (vs_store_save_config(d->store, d->cfg) < 0)
		lib_err("cluster: cannot persist configuration version %llu",
		        (unsigned long long)d->cfg->version);
	sync_runtimes(d);
	if (d->ports)
		ap_ports_config_changed(d->ports);
}

static void cl_store_event(void *arg, const struct vs_event *ev)
{
	queue_event(arg, ev);
}

/* Is this LUN (of the scan) the one of a file system of a VS whose storage
 * failed here (its probe or preparation failed or hung)? Then this node
 * counts as not reaching it. */
static bool lun_failed_here(struct ap_daemon *d, const struct fx_lun_info *l)
{
	for (struct rt_entry *e = d->rts; e; e = e->next) {
		if (!vs_runtime_storage_failed(e->rt))
			continue; /* first: a scan of the configuration only for the few failed */
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

static bool cl_report(void *arg, struct vs_node_report *r, json_t *states)
{
	struct ap_daemon *d = arg;
	char ports[VS_REPORT_MAX_PORTS][VS_PORT_MAX + 1];
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	/* The LUNs of the last scan (every few seconds, in a child): before
	 * the first one ends, this node cannot say what it can serve. */
	if (!ap_luns_scanned(d->luns))
		return false;
	const struct fx_lun_info *luns;
	int n = ap_luns_list(d->luns, &luns);
	r->n_luns = 0;
	for (int i = 0; i < n; i++) {
		if (r->n_luns + 2 > VS_REPORT_MAX_LUNS) {
			/* Loudly: a VS on a LUN left out cannot run here. */
			if (!d->luns_capped)
				lib_warn("this node sees more LUNs than a report holds (%d "
				         "entries): %d of %d are left out",
				         VS_REPORT_MAX_LUNS, n - i, n);
			d->luns_capped = true;
			break;
		}
		if (strcmp(luns[i].type, "ext4") != 0 || !luns[i].mmp)
			continue; /* served only with MMP */
		if (lun_failed_here(d, &luns[i]))
			continue;
		if (luns[i].label[0])
			snprintf(r->luns[r->n_luns++], sizeof(r->luns[0]), "LABEL=%s",
			         luns[i].label);
		if (luns[i].uuid[0])
			snprintf(r->luns[r->n_luns++], sizeof(r->luns[0]), "UUID=%s", luns[i].uuid);
	}
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
	sync_runtimes(arg);
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
	struct rt_entry *e = find_rt(arg, vs);

	return e && !e->deleting ? e->rt : NULL;
}

/* A LUN appeared, went or changed: report it, and let the VSs retry. */
static void on_luns_changed(void *arg)
{
	struct ap_daemon *d = arg;

	ap_cluster_local_changed(d->cluster);
	sync_runtimes(d);
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
	rc = ap_luns_create(ev, d->self_exe, LUN_SCAN_INTERVAL_USEC, on_luns_changed, d, &d->luns);
	if (rc < 0) {
		lib_err("cannot scan the LUNs: %s", strerror(-rc));
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
	                             .self_dir = self_dir};
	rc = ap_cluster_create(ev, &co, &ch, d, &d->cluster);
	if (rc < 0) {
		lib_err("cannot set up the cluster: %s", strerror(-rc));
		goto fail;
	}
	struct ap_ports_hooks hooks = {
	    .config = ports_config, .runtime = ports_runtime, .event = rt_event_sink};
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
	    (rc = group_id(o->admin_group, &acc.admin_gid)) < 0)
		goto fail;
	rc = ap_ctl_create(ev, o->socket, &acc, handle, d, &d->ctl);
	if (rc < 0) {
		lib_err("cannot listen on %s: %s", o->socket, strerror(-rc));
		goto fail;
	}
	eventf(d, NULL, "info",
	       "applianced started on node %s: %d virtual servers, configuration "
	       "version %llu",
	       d->node, d->cfg->n_vservers, (unsigned long long)d->cfg->version);
	sync_runtimes(d);
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
		eventf(d, NULL, "info", "applianced stopping; virtual servers keep serving");
	ap_ctl_destroy(d->ctl);
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
	while (d->rescans) {
		struct rescan *r = d->rescans;
		d->rescans = r->next;
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
