/*
 * vs_runtime.c - converging one VS on this node (see vs_runtime.h); the
 * reconciler core. The steps live in vs_rt_storage.c, vs_rt_servers.c and
 * vs_rt_vips.c (vs_runtime_int.h).
 *
 * Shape: reconcile() looks at the desired configuration and at what is
 * already in place, performs the next missing step, and returns. A step that
 * takes time (mount, umount, waiting for a server to listen, stopping a
 * server) is started asynchronously and sets rt->busy; its completion clears
 * it and schedules reconcile() again through a deferred event source, so the
 * loop never blocks and there is no recursion. Failures put the runtime in
 * VS_RT_FAILED with a reason and arm a back-off timer that retries.
 */
#include "vserver/vs_runtime_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/lib_cgroup.h"
#include "lib/lib_fs.h"
#include "lib/lib_log.h"
#include "netfail/nf_netns.h"
#include "netfail/nf_vip.h"

uint64_t vs_rt_now(const struct vs_runtime *rt)
{
	uint64_t t = 0;

	sd_event_now(rt->env.ev, CLOCK_MONOTONIC, &t);
	return t;
}

void vs_rt_event(struct vs_runtime *rt, const char *severity, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lib_log(lib_log_level_of(severity), "%s: %s", rt->want.name, msg);
	if (rt->env.event)
		rt->env.event(rt->env.arg, rt->want.name, severity, msg);
}

const char *vs_rt_state_name(enum vs_rt_state s)
{
	static const char *const names[] = {"stopped", "starting", "running", "stopping", "failed"};
	return s <= VS_RT_FAILED ? names[s] : "unknown";
}

void vs_rt_set_state(struct vs_runtime *rt, enum vs_rt_state s)
{
	if (rt->state == s)
		return;
	rt->state = s;
	if (s == VS_RT_RUNNING || s == VS_RT_STOPPED) {
		rt->reason[0] = '\0';
		rt->storage_failed = false;
		lib_backoff_reset(&rt->retry);
	}
	if (rt->env.changed)
		rt->env.changed(rt->env.arg, rt->want.name, s);
}

void vs_runtime_netns_name(const char *vs, char *buf, size_t len)
{
	snprintf(buf, len, "vs-%s", vs);
}

const char *vs_rt_srv_name(enum server_kind k)
{
	return k == SRV_NFS       ? "ganesha.nfsd"
	       : k == SRV_SMB     ? "smbd"
	       : k == SRV_WINBIND ? "winbindd"
	                          : "dbus-daemon";
}

/* --- paths ---------------------------------------------------------------- */

static void vs_dir(const struct vs_runtime *rt, char *buf, size_t len)
{
	snprintf(buf, len, "%s/vs/%s", rt->run_dir, rt->want.name);
}

void vs_rt_file(const struct vs_runtime *rt, const char *file, char *buf, size_t len)
{
	snprintf(buf, len, "%s/vs/%s/%s", rt->run_dir, rt->want.name, file);
}

void vs_rt_smb_dir(const struct vs_runtime *rt, char *buf, size_t len)
{
	snprintf(buf, len, "%s/vs/%s/samba", rt->state_dir, rt->want.name);
}

void vs_rt_smb_run_dir(const struct vs_runtime *rt, char *buf, size_t len)
{
	vs_rt_file(rt, "samba", buf, len);
}

void vs_rt_smb_params(const struct vs_runtime *rt, struct vs_rt_smb_base *b,
                      struct fx_samba_params *sp)
{
	for (int i = 0; i < rt->want.n_vips; i++)
		b->addrs[i] = rt->want.vips[i].addr;
	vs_rt_smb_dir(rt, b->sdir, sizeof(b->sdir));
	vs_rt_smb_run_dir(rt, b->rdir, sizeof(b->rdir));
	vs_rt_file(rt, "smbpasswd", b->passdb, sizeof(b->passdb));
	snprintf(b->netbios, sizeof(b->netbios), "%.15s", rt->want.name);
	*sp = (struct fx_samba_params){.netbios_name = b->netbios,
	                               .addresses = b->addrs,
	                               .n_addresses = rt->want.n_vips,
	                               .state_dir = b->sdir,
	                               .run_dir = b->rdir,
	                               .passdb = b->passdb};
}

/* --- failure and retry ------------------------------------------------------ */

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct vs_runtime *rt = userdata;

	rt->retry_timer = sd_event_source_disable_unref(rt->retry_timer);
	vs_rt_kick(rt);
	return 0;
}

static void vfail(struct vs_runtime *rt, bool storage, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void vfail(struct vs_runtime *rt, bool storage, const char *fmt, va_list ap)
{
	char reason[VS_ERR_LEN], what[VS_ERR_LEN];

	vsnprintf(what, sizeof(what), fmt, ap);
	snprintf(reason, sizeof(reason), "%s%s", storage ? "storage failed: " : "", what);
	uint64_t delay = lib_backoff_next(&rt->retry);
	/* Log a failure once per distinct reason, not at every retry. */
	if (strcmp(reason, rt->reason) != 0 || rt->state != VS_RT_FAILED)
		vs_rt_event(rt, "error", "%s; retrying every %llu s at most", reason,
		            (unsigned long long)(RETRY_MAX_USEC / 1000000));
	snprintf(rt->reason, sizeof(rt->reason), "%s", reason);
	rt->storage_failed = storage; /* before the state change is reported */
	vs_rt_set_state(rt, VS_RT_FAILED);
	rt->retry_timer = sd_event_source_disable_unref(rt->retry_timer);
	if (sd_event_add_time_relative(rt->env.ev, &rt->retry_timer, CLOCK_MONOTONIC, delay, 0,
	                               on_retry, rt) < 0)
		lib_err("%s: cannot arm the retry timer", rt->want.name);
}

void vs_rt_fail(struct vs_runtime *rt, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(rt, false, fmt, ap);
	va_end(ap);
}

/* A failure of the storage: the VS is reported storage-failed with it. */
void vs_rt_storage_fail(struct vs_runtime *rt, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(rt, true, fmt, ap);
	va_end(ap);
}

/* --- namespace -------------------------------------------------------------- */

static int ensure_netns(struct vs_runtime *rt)
{
	int rc;

	if (rt->nsfd >= 0)
		return 0;
	rc = nf_netns_create(rt->netns);
	if (rc < 0 && rc != -EEXIST) {
		vs_rt_fail(rt, "cannot create the network namespace %s: %s", rt->netns,
		           strerror(-rc));
		return rc;
	}
	rt->nsfd = nf_netns_open(rt->netns);
	if (rt->nsfd < 0) {
		rc = rt->nsfd;
		vs_rt_fail(rt, "cannot open the network namespace %s: %s", rt->netns,
		           strerror(-rc));
		return rc;
	}
	rt->afd = nf_announcer_open(rt->nsfd);
	if (rt->afd < 0)
		lib_warn("%s: no announcer socket (%s); announcing the slow way", rt->want.name,
		         strerror(-rt->afd));
	rc = nf_lo_up(rt->nsfd);
	if (rc < 0) {
		vs_rt_fail(rt, "cannot bring up the loopback of %s: %s", rt->netns, strerror(-rc));
		return rc;
	}
	return 0;
}

static void drop_netns(struct vs_runtime *rt)
{
	int rc;

	if (rt->nsfd >= 0) {
		close(rt->nsfd);
		rt->nsfd = -1;
	}
	if (rt->afd >= 0) {
		close(rt->afd);
		rt->afd = -1;
	}
	rt->announce_timer = sd_event_source_disable_unref(rt->announce_timer);
	rc = nf_netns_delete(rt->netns);
	if (rc < 0 && rc != -ENOENT)
		vs_rt_event(rt, "warning", "cannot delete the network namespace %s: %s", rt->netns,
		            strerror(-rc));
}

/* --- the reconciler ---------------------------------------------------------------- */

static void converge_running(struct vs_runtime *rt)
{
	bool nfs_changed = false, smb_changed = false;
	int rc;

	if (rt->state != VS_RT_FAILED)
		vs_rt_set_state(rt, rt->state == VS_RT_RUNNING ? VS_RT_RUNNING : VS_RT_STARTING);
	vs_rt_drop_vips(rt);
	if (ensure_netns(rt) < 0)
		return;
	if (vs_rt_ensure_mounts(rt))
		return;
	if (vs_rt_ensure_prepared(rt))
		return;
	rc = vs_rt_write_configs(rt, &nfs_changed, &smb_changed);
	if (rc < 0) {
		vs_rt_fail(rt, "cannot write the server configuration: %s", strerror(-rc));
		return;
	}
	if (nfs_changed && rt->srv[SRV_NFS].run && rt->srv[SRV_NFS].ready) {
		lib_run_signal(rt->srv[SRV_NFS].run, SIGHUP);
		vs_rt_event(rt, "info", "ganesha.nfsd reloads its exports (SIGHUP)");
	}
	/* The statistics bus first: ganesha connects to it once, at its start. */
	if (!rt->srv[SRV_BUS].run && !rt->bus_off && !rt->srv[SRV_NFS].run) {
		rc = vs_rt_start_server(rt, &rt->srv[SRV_BUS]);
		if (rc > 0)
			return;
	}
	if (!rt->srv[SRV_NFS].run) {
		rc = vs_rt_start_server(rt, &rt->srv[SRV_NFS]);
		if (rc != 0)
			return;
	}
	/* A join or a leave changes smbd's role: a restart, not a reload. */
	if (rt->srv[SRV_SMB].run && strcmp(rt->smb_realm, rt->want.join.realm) != 0) {
		vs_rt_event(rt, "info", "smbd restarts as %s",
		            rt->want.join.realm[0] ? "a domain member" : "a standalone server");
		if (vs_rt_stop_server(rt, &rt->srv[SRV_SMB]))
			return;
	}
	bool winbind = rt->want.join.realm[0] && rt->want.n_shares > 0;
	if (!winbind && rt->srv[SRV_WINBIND].run && !rt->srv[SRV_SMB].run) {
		if (vs_rt_stop_server(rt, &rt->srv[SRV_WINBIND]))
			return;
	}
	if (winbind && !rt->srv[SRV_WINBIND].run) {
		/* before smbd: a domain logon needs it (NT_STATUS_NO_LOGON_SERVERS) */
		rc = vs_rt_start_server(rt, &rt->srv[SRV_WINBIND]);
		if (rc != 0)
			return;
	}
	if (rt->want.n_shares > 0) {
		if (smb_changed && rt->srv[SRV_SMB].run && rt->srv[SRV_SMB].ready) {
			lib_run_signal(rt->srv[SRV_SMB].run, SIGHUP);
			vs_rt_event(rt, "info", "smbd reloads its shares (SIGHUP)");
		}
		if (!rt->srv[SRV_SMB].run) {
			rc = vs_rt_start_server(rt, &rt->srv[SRV_SMB]);
			if (rc != 0)
				return;
		}
	} else if (rt->srv[SRV_SMB].run) {
		if (vs_rt_stop_server(rt, &rt->srv[SRV_SMB]))
			return;
	}
	if (!rt->srv[SRV_SMB].run && rt->srv[SRV_WINBIND].run &&
	    vs_rt_stop_server(rt, &rt->srv[SRV_WINBIND]))
		return;
	if (vs_rt_ensure_vips(rt))
		return;
	if (vs_rt_drop_mounts(rt))
		return;
	for (int i = 0; i < rt->n_mounts; i++) {
		const struct mountst *m = &rt->mounts[i];
		if (m->mounted && m->probe_failed) {
			/* Serving goes on, but the VS is reported storage-failed until
			 * the probe of every file system is healthy again. */
			vs_rt_storage_fail(rt, "storage probe of file system %s (%s) failed: %s",
			                   m->name, m->dev, m->probe_error);
			goto probes;
		}
	}
	if (rt->state != VS_RT_RUNNING)
		vs_rt_event(rt, "info", "running on node %s", rt->node);
	rt->mmp_reset_from[0] = '\0'; /* one takeover, one reset */
	vs_rt_set_state(rt, VS_RT_RUNNING);
probes:
	if (!rt->probe_timer && sd_event_add_time_relative(
	                            rt->env.ev, &rt->probe_timer, CLOCK_MONOTONIC,
	                            rt->env.probe_interval_usec, 0, vs_rt_on_probe_timer, rt) < 0)
		lib_warn("%s: cannot arm the storage probe timer", rt->want.name);
}

static void converge_stopped(struct vs_runtime *rt)
{
	bool anything = rt->nsfd >= 0 || rt->n_mounts || rt->n_vips || rt->srv[SRV_NFS].run ||
	                rt->srv[SRV_SMB].run || rt->srv[SRV_BUS].run || rt->srv[SRV_WINBIND].run ||
	                nf_netns_exists(rt->netns) == 1;

	if (!anything) {
		if (rt->state != VS_RT_STOPPED && rt->state != VS_RT_FAILED)
			vs_rt_event(rt, "info", "stopped");
		if (rt->state != VS_RT_FAILED || rt->want.admin == VS_ADMIN_STOPPED)
			vs_rt_set_state(rt, VS_RT_STOPPED);
		return;
	}
	vs_rt_set_state(rt, VS_RT_STOPPING);
	rt->mmp_reset_from[0] = '\0';
	if (rt->nsfd < 0 && nf_netns_exists(rt->netns) == 1) {
		rt->nsfd = nf_netns_open(rt->netns);
		if (rt->nsfd < 0)
			rt->nsfd = -1;
	}
	vs_rt_drop_vips(rt); /* first: no client may reach a half-stopped VS */
	if (vs_rt_stop_server(rt, &rt->srv[SRV_SMB]))
		return;
	if (vs_rt_stop_server(rt, &rt->srv[SRV_WINBIND])) /* after smbd */
		return;
	if (vs_rt_stop_server(rt, &rt->srv[SRV_NFS]))
		return;
	if (vs_rt_stop_server(rt, &rt->srv[SRV_BUS]))
		return;
	rt->bus_off = false; /* tried again at the next start here */
	vs_rt_stop_probes(rt);
	if (vs_rt_drop_mounts(rt))
		return;
	drop_netns(rt);
	vs_rt_cgroup_drop(rt);
	vs_rt_event(rt, "info",
	            "stopped: virtual IPs down, servers stopped, file systems unmounted");
	vs_rt_set_state(rt, VS_RT_STOPPED);
}

static int on_defer(sd_event_source *s, void *userdata)
{
	struct vs_runtime *rt = userdata;

	rt->defer = sd_event_source_disable_unref(rt->defer);
	if (rt->busy)
		return 0; /* the step in flight kicks again when it ends */
	if (rt->want.admin == VS_ADMIN_RUNNING) {
		if (rt->retry_timer)
			return 0; /* waiting out a failure */
		converge_running(rt);
	} else {
		rt->retry_timer = sd_event_source_disable_unref(rt->retry_timer);
		converge_stopped(rt);
	}
	return 0;
}

void vs_rt_kick(struct vs_runtime *rt)
{
	if (rt->defer)
		return;
	if (sd_event_add_defer(rt->env.ev, &rt->defer, on_defer, rt) < 0)
		lib_err("%s: cannot schedule reconciliation", rt->want.name);
}

/* --- public ------------------------------------------------------------------------ */

void vs_runtime_allow_mmp_reset(struct vs_runtime *rt, const char *node, bool fenced)
{
	snprintf(rt->mmp_reset_from, sizeof(rt->mmp_reset_from), "%s", node);
	rt->mmp_reset_fenced = fenced;
	for (int i = 0; i < rt->n_mounts; i++)
		rt->mounts[i].mmp_reset_tried = false;
	vs_rt_kick(rt);
}

int vs_runtime_create(const struct vs_runtime_env *env, const struct vs_vserver *vs,
                      struct vs_runtime **out)
{
	struct vs_runtime *rt = calloc(1, sizeof(*rt));

	if (!rt)
		return -ENOMEM;
	rt->env = *env;
	rt->node = strdup(env->node);
	rt->run_dir = strdup(env->run_dir);
	rt->state_dir = strdup(env->state_dir);
	rt->self_exe = strdup(env->self_exe);
	if (!rt->node || !rt->run_dir || !rt->state_dir || !rt->self_exe) {
		vs_runtime_destroy(rt);
		return -ENOMEM;
	}
	rt->env.node = rt->node;
	rt->env.run_dir = rt->run_dir;
	rt->env.state_dir = rt->state_dir;
	rt->env.self_exe = rt->self_exe;
	rt->nsfd = -1;
	rt->afd = -1;
	rt->retry = (struct lib_backoff){.min = RETRY_MIN_USEC, .max = RETRY_MAX_USEC};
	for (int k = 0; k < SRV_COUNT; k++) {
		rt->srv[k].backoff =
		    (struct lib_backoff){.min = RESTART_MIN_USEC, .max = RESTART_MAX_USEC};
		rt->srv[k].kind = (enum server_kind)k;
	}
	if (vs_vserver_copy(&rt->want, vs) < 0) {
		vs_runtime_destroy(rt);
		return -ENOMEM;
	}
	vs_runtime_netns_name(vs->name, rt->netns, sizeof(rt->netns));
	char dir[PATH_MAX];
	vs_dir(rt, dir, sizeof(dir));
	int rc = lib_mkdir_p(dir, 0755);
	if (rc < 0) {
		vs_runtime_destroy(rt);
		return rc;
	}
	*out = rt;
	vs_rt_kick(rt);
	return 0;
}

void vs_runtime_update(struct vs_runtime *rt, const struct vs_vserver *vs)
{
	if (rt->want.admin != vs->admin) {
		/* A new order from the administrator: retry at once. */
		rt->retry_timer = sd_event_source_disable_unref(rt->retry_timer);
		lib_backoff_reset(&rt->retry);
		if (rt->state == VS_RT_FAILED)
			rt->reason[0] = '\0';
	}
	/* Its own deep copy; nothing to copy when nothing changed. */
	if (!vs_vserver_equal(&rt->want, vs) && vs_vserver_copy(&rt->want, vs) < 0)
		lib_err("%s: out of memory taking its new configuration; it keeps the previous "
		        "one",
		        rt->want.name);
	vs_rt_kick(rt);
}

void vs_runtime_destroy(struct vs_runtime *rt)
{
	if (!rt)
		return;
	vs_rt_join_destroy(rt);
	rt->defer = sd_event_source_disable_unref(rt->defer);
	rt->retry_timer = sd_event_source_disable_unref(rt->retry_timer);
	rt->ready_timer = sd_event_source_disable_unref(rt->ready_timer);
	vs_rt_stop_probes(rt);
	lib_run_destroy(rt->op);
	lib_run_destroy(rt->prep);
	vs_rt_prep_done(rt);
	for (int i = 0; i < rt->n_mounts; i++)
		vs_rt_forget_prep(&rt->mounts[i]);
	for (int i = 0; i < SRV_COUNT; i++) {
		rt->srv[i].restart_timer = sd_event_source_disable_unref(rt->srv[i].restart_timer);
		lib_run_detach(rt->srv[i].run);
	}
	rt->announce_timer = sd_event_source_disable_unref(rt->announce_timer);
	rt->sb_defer = sd_event_source_disable_unref(rt->sb_defer);
	if (rt->reap_defer) /* do not leave an old device holding the MAC */
		vs_rt_reap_stale(rt->reap_defer, rt);
	if (rt->nsfd >= 0)
		close(rt->nsfd);
	if (rt->afd >= 0)
		close(rt->afd);
	free(rt->node);
	free(rt->run_dir);
	free(rt->state_dir);
	free(rt->self_exe);
	vs_vserver_free(&rt->want);
	free(rt);
}

enum vs_rt_state vs_runtime_state(const struct vs_runtime *rt)
{
	return rt->state;
}

const char *vs_runtime_reason(const struct vs_runtime *rt)
{
	return rt->reason;
}

bool vs_runtime_storage_failed(const struct vs_runtime *rt)
{
	return rt->state == VS_RT_FAILED && rt->storage_failed;
}

json_t *vs_runtime_to_json(const struct vs_runtime *rt)
{
	json_t *fss = json_array(), *vips = json_array(), *servers = json_object();

	for (int i = 0; i < rt->n_mounts; i++) {
		const struct mountst *m = &rt->mounts[i];
		const char *perr = m->probe_error;
		json_array_append_new(fss, json_pack("{s:s, s:s, s:s, s:b, s:s, s:s}", "name",
		                                     m->name, "device", m->dev, "mountpoint",
		                                     m->dir, "mounted", m->mounted, "probe",
		                                     !m->mounted       ? "-"
		                                     : m->probe_failed ? "failed"
		                                                       : "ok",
		                                     "probe_error", perr));
	}
	for (int i = 0; i < rt->n_vips; i++)
		json_array_append_new(
		    vips, json_pack("{s:s, s:s, s:s, s:b, s:i}", "address", rt->vips[i].addr,
		                    "port", rt->vips[i].port, "device", rt->vips[i].ifname, "up",
		                    rt->vips[i].up, "standbys", rt->vips[i].n_sb));
	static const char *const key[SRV_COUNT] = {"nfs", "smb", "stats_bus", "winbind"};
	for (int i = 0; i < SRV_COUNT; i++) {
		const struct server *s = &rt->srv[i];
		json_object_set_new(servers, key[i],
		                    json_pack("{s:s, s:i, s:b, s:i, s:s}", "program",
		                              vs_rt_srv_name(s->kind), "pid",
		                              s->run ? (int)lib_run_pid(s->run) : 0, "serving",
		                              s->run && s->ready, "restarts", (int)s->restarts,
		                              "last_end", s->last_end));
	}
	return json_pack("{s:s, s:s, s:b, s:s, s:s, s:o, s:o, s:o}", "state",
	                 vs_rt_state_name(rt->state), "reason", rt->reason, "storage_failed",
	                 vs_runtime_storage_failed(rt), "node", rt->node, "netns", rt->netns,
	                 "filesystems", fss, "vips", vips, "servers", servers);
}

int vs_runtime_netns_fd(const struct vs_runtime *rt)
{
	return rt->nsfd;
}

int vs_runtime_cgroup(const struct vs_runtime *rt, char *buf, size_t len)
{
	if (!rt->env.cgroup_parent || !rt->cgroup_made)
		return -ENOENT;
	return lib_cgroup_path(rt->env.cgroup_parent, rt->want.name, buf, len);
}

int vs_runtime_smb_conf(const struct vs_runtime *rt, char *buf, size_t len)
{
	if (!rt->srv[SRV_SMB].run || !lib_run_running(rt->srv[SRV_SMB].run))
		return -ENOENT;
	vs_rt_file(rt, "smb.conf", buf, len);
	return 0;
}

int vs_runtime_nfs_bus(const struct vs_runtime *rt, char *buf, size_t len)
{
	const struct server *bus = &rt->srv[SRV_BUS], *nfs = &rt->srv[SRV_NFS];

	if (!bus->run || !bus->ready || !lib_run_running(bus->run) || !nfs->run ||
	    !lib_run_running(nfs->run))
		return -ENOENT;
	return vs_rt_bus_address(rt, buf, len);
}

int vs_runtime_devices(const struct vs_runtime *rt, char (*devs)[64], int max)
{
	int n = 0;

	for (int i = 0; i < rt->n_mounts && n < max; i++)
		if (rt->mounts[i].mounted)
			snprintf(devs[n++], 64, "%s", rt->mounts[i].dev);
	return n;
}
