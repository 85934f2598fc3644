/*
 * vs_rt_servers.c - the file servers of one VS (see vs_runtime_int.h): their
 * configuration (ganesha.conf, smb.conf, from what the preparation found
 * safe), ganesha.nfsd and smbd started in the VS namespace, adopted after a
 * daemon restart (pid file, name, namespace), waited for until they listen,
 * restarted with back-off when they die, stopped politely. The VS's
 * statistics bus (dbus-daemon, fsexport/fx_statbus.h) is supervised the same
 * way, but a bus that fails is given up, never the VS.
 */
#include "vserver/vs_runtime_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fsexport/fx_ganesha.h"
#include "fsexport/fx_identity.h"
#include "fsexport/fx_join.h"
#include "fsexport/fx_samba.h"
#include "fsexport/fx_statbus.h"
#include "fsexport/fx_tree.h"
#include "lib/lib_cgroup.h"
#include "lib/lib_fs.h"
#include "lib/lib_log.h"
#include "lib/lib_mntns.h"
#include "netfail/nf_netns.h"
#include "vserver/vs_users.h"

/* --- configuration of the servers ---------------------------------------------- */

/* passwd and group live in the VS's ids directory, smbpasswd beside the
 * other generated files (smbd reads it by its path, on every logon). The
 * servers read them anew at each lookup, so a change needs no reload. */
static void ids_file(const struct vs_runtime *rt, const char *name, char *buf, size_t len)
{
	char sub[PATH_MAX];

	if (strcmp(name, "smbpasswd") == 0) {
		vs_rt_file(rt, name, buf, len);
		return;
	}
	snprintf(sub, sizeof(sub), "ids/%s", name);
	vs_rt_file(rt, sub, buf, len);
}

static int write_identity(struct vs_runtime *rt)
{
	static const struct {
		const char *name;
		mode_t mode;
	} files[] = {{"passwd", 0644}, {"group", 0644}, {"smbpasswd", 0600}};
	struct vs_users_files f;
	char path[PATH_MAX];
	const char *nss = rt->want.join.realm[0] ? fx_join_nsswitch() : fx_identity_nsswitch();
	int rc = vs_users_files(&rt->want, &f);

	if (rc < 0)
		return rc;
	/* passwd and group in a directory of their own, which the servers see
	 * as FX_ID_NSS_DIR (fx_identity.h: why a directory). */
	vs_rt_file(rt, "ids", path, sizeof(path));
	rc = lib_mkdir_p(path, 0755);
	const char *texts[] = {f.passwd, f.group, f.smbpasswd};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]) && rc >= 0; i++) {
		ids_file(rt, files[i].name, path, sizeof(path));
		rc = lib_write_file(path, texts[i], strlen(texts[i]), files[i].mode);
	}
	vs_users_files_free(&f);
	if (rc >= 0) {
		vs_rt_file(rt, "nsswitch.conf", path, sizeof(path));
		rc = lib_write_file(path, nss, strlen(nss), 0644);
	}
	return rc < 0 ? rc : 0;
}

int vs_rt_write_configs(struct vs_runtime *rt, bool *nfs_changed, bool *smb_changed)
{
	int n_all = rt->want.n_exports + rt->want.n_shares;
	struct fx_nfs_export *ex = calloc((size_t)rt->want.n_exports + 1, sizeof(*ex));
	struct fx_smb_share *sh = calloc((size_t)rt->want.n_shares + 1, sizeof(*sh));
	char(*paths)[PATH_MAX] = calloc((size_t)n_all + 1, sizeof(*paths));
	/* each share's read and write lists, space-separated */
	char(*lists)[2][VS_SHARE_LIST_TEXT] = calloc((size_t)rt->want.n_shares + 1, sizeof(*lists));
	char recovery[PATH_MAX], file[PATH_MAX];
	char *text = NULL;
	int rc, n_ex = 0, n_sh = 0;

	if (!ex || !sh || !paths || !lists) {
		rc = -ENOMEM;
		goto out;
	}
	/* Only what the last preparation (off the loop) found safe is published;
	 * it reported the others once. */
	for (int i = 0; i < rt->want.n_exports; i++) {
		const struct vs_export *e = &rt->want.exports[i];
		if (vs_rt_published_path(rt, e->fs, e->path, paths[n_ex], sizeof(paths[0])) < 0)
			continue;
		ex[n_ex] = (struct fx_nfs_export){.id = e->id,
		                                  .path = paths[n_ex],
		                                  .pseudo = e->pseudo,
		                                  .clients = e->clients,
		                                  .ro = e->ro,
		                                  .squash = (enum fx_nfs_squash)e->squash,
		                                  .anon_uid = e->anon_uid,
		                                  .anon_gid = e->anon_gid};
		n_ex++;
	}
	for (int i = 0; i < rt->want.n_shares; i++) {
		const struct vs_share *s = &rt->want.shares[i];
		char *path = paths[n_ex + n_sh];
		if (vs_rt_published_path(rt, s->fs, s->path, path, sizeof(paths[0])) < 0)
			continue;
		vs_share_list_text(s->read, s->n_read, ' ', lists[n_sh][0], sizeof(lists[0][0]));
		vs_share_list_text(s->write, s->n_write, ' ', lists[n_sh][1], sizeof(lists[0][1]));
		sh[n_sh] = (struct fx_smb_share){.name = s->name,
		                                 .path = path,
		                                 .ro = s->ro,
		                                 .guest = s->guest,
		                                 .encrypt = s->encrypt,
		                                 .read = lists[n_sh][0],
		                                 .write = lists[n_sh][1]};
		n_sh++;
	}
	/* NFSv4 recovery state lives on the VS's first file system: it moves with
	 * it (prepared, root 0700, by fx_tree). Without one, a volatile place. */
	const struct mountst *first =
	    rt->want.n_fs ? vs_rt_find_mount(rt, rt->want.fs[0].name) : NULL;
	if (!first && rt->n_mounts)
		first = &rt->mounts[0];
	if (first) {
		rc = fx_tree_state_path(first->dir, FX_TREE_RECOVERY, recovery, sizeof(recovery));
	} else {
		vs_rt_file(rt, "nfs-recovery", recovery, sizeof(recovery));
		rc = lib_mkdir_p(recovery, 0700);
	}
	if (rc < 0)
		goto out;
	int lease = rt->env.lease_lifetime, grace = rt->env.grace_period;
	if (rt->want.nfs_lease || rt->want.nfs_grace)
		vs_vserver_nfs_timers(&rt->want, &lease, &grace);
	/* Its NFSv4 ID domain, in the idmapd.conf ganesha reads. */
	char domain[VS_DOMAIN_MAX + 1], idmap[PATH_MAX];
	vs_vserver_nfs_domain(&rt->want, domain, sizeof(domain));
	vs_rt_file(rt, "idmapd.conf", idmap, sizeof(idmap));
	if ((rc = fx_ganesha_idmapd(domain, &text)) < 0)
		goto out;
	rc = lib_write_file(idmap, text, strlen(text), 0644);
	free(text);
	text = NULL;
	if (rc < 0)
		goto out;
	struct fx_ganesha_params gp = {.name = rt->want.name,
	                               .domain = domain,
	                               .idmap_conf = idmap,
	                               .recovery_root = recovery,
	                               .lease_lifetime = lease,
	                               .grace_period = grace,
	                               .exports = ex,
	                               .n_exports = n_ex};
	rc = fx_ganesha_conf(&gp, &text);
	if (rc < 0)
		goto out;
	vs_rt_file(rt, "ganesha.conf", file, sizeof(file));
	rc = lib_write_file(file, text, strlen(text), 0644);
	free(text);
	text = NULL;
	if (rc < 0)
		goto out;
	*nfs_changed = rc == 1;

	rc = write_identity(rt);
	if (rc < 0)
		goto out;
	struct vs_rt_smb_base base;
	struct fx_samba_params sp;
	vs_rt_smb_params(rt, &base, &sp);
	rc = lib_mkdir_p(base.sdir, 0755);
	if (rc == 0)
		rc = lib_mkdir_p(base.rdir, 0755);
	if (rc < 0)
		goto out;
	struct vs_rt_member mb;
	if (rt->want.join.realm[0] && ((rc = vs_rt_member(rt, &rt->want.join, &mb)) < 0 ||
	                               (rc = vs_rt_member_files(rt, &rt->want.join, &mb)) < 0))
		goto out;
	sp.shares = sh;
	sp.n_shares = n_sh;
	sp.member = rt->want.join.realm[0] ? &mb.m : NULL;
	rc = fx_samba_conf(&sp, &text);
	if (rc < 0)
		goto out;
	vs_rt_file(rt, "smb.conf", file, sizeof(file));
	rc = lib_write_file(file, text, strlen(text), 0644);
	free(text);
	if (rc < 0)
		goto out;
	*smb_changed = rc == 1;
	rc = 0;
out:
	free(ex);
	free(sh);
	free(paths);
	free(lists);
	return rc;
}

/* --- servers -------------------------------------------------------------------- */

static void pid_file(const struct vs_runtime *rt, enum server_kind k, char *buf, size_t len)
{
	if (k == SRV_NFS) {
		vs_rt_file(rt, "ganesha.pid", buf, len);
	} else if (k == SRV_BUS) {
		vs_rt_file(rt, "bus.pid", buf, len);
	} else {
		char rdir[PATH_MAX];
		vs_rt_smb_run_dir(rt, rdir, sizeof(rdir));
		snprintf(buf, len, "%s/run/%s.pid", rdir, k == SRV_SMB ? "smbd" : "winbindd");
	}
}

static struct vs_runtime *rt_of(struct server *srv)
{
	return (struct vs_runtime *)((char *)(srv - srv->kind) - offsetof(struct vs_runtime, srv));
}

static int on_server_restart(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct server *srv = userdata;

	srv->restart_timer = sd_event_source_disable_unref(srv->restart_timer);
	vs_rt_kick(rt_of(srv));
	return 0;
}

/* smbd starts samba-dcerpcd on demand in a session of its own, so stopping
 * smbd's process group leaves it behind: stop it by its pid file. */
static void stop_dcerpcd(struct vs_runtime *rt)
{
	char rdir[PATH_MAX], file[PATH_MAX], comm_path[64], *text = NULL, *comm = NULL;
	pid_t pid;

	vs_rt_smb_run_dir(rt, rdir, sizeof(rdir));
	snprintf(file, sizeof(file), "%s/run/samba-dcerpcd.pid", rdir);
	if (lib_read_file(file, &text) < 0)
		return;
	pid = (pid_t)atoi(text);
	free(text);
	snprintf(comm_path, sizeof(comm_path), "/proc/%d/comm", pid);
	if (pid > 1 && lib_read_file(comm_path, &comm) == 0 &&
	    strncmp(comm, "samba-dcerpcd", 13) == 0) {
		/* It leads its own group with its rpcd workers. */
		if (kill(getpgid(pid) == pid ? -pid : pid, SIGTERM) < 0)
			lib_warn("%s: cannot stop samba-dcerpcd (pid %d): %s", rt->want.name, pid,
			         strerror(errno));
	}
	free(comm);
	unlink(file);
}

/* One more unexpected end of srv: true when it ended `limit` times in a row,
 * each within STABLE_USEC of its start (the count starts again then). */
static bool ended_too_often(struct server *srv, uint64_t now, unsigned limit)
{
	if (now - srv->started_usec > STABLE_USEC) {
		lib_backoff_reset(&srv->backoff);
		srv->quick = 0;
	}
	if (++srv->quick < limit)
		return false;
	srv->quick = 0;
	lib_backoff_reset(&srv->backoff);
	return true;
}

/* srv started again after its next back-off; the delay is returned. */
static uint64_t restart_later(struct vs_runtime *rt, struct server *srv)
{
	uint64_t delay = lib_backoff_next(&srv->backoff);

	srv->restarts++;
	if (sd_event_add_time_relative(rt->env.ev, &srv->restart_timer, CLOCK_MONOTONIC, delay, 0,
	                               on_server_restart, srv) < 0)
		lib_err("%s: cannot arm the restart timer", rt->want.name);
	return delay;
}

/* The statistics bus ended on its own: started again after a back-off (its
 * ganesha, which ends with its bus, is restarted after it by the
 * reconciler's order), or given up when it keeps ending. */
static void bus_ended(struct vs_runtime *rt, struct server *srv, const char *how, uint64_t now)
{
	if (ended_too_often(srv, now, BUS_QUICK_ENDS)) {
		rt->bus_off = true;
		vs_rt_event(rt, "warning",
		            "statistics bus (dbus-daemon) ended %d times soon after its start "
		            "(last: %s): given up; this VS's NFS request rate is not measured "
		            "until it starts on this node again",
		            BUS_QUICK_ENDS, how);
	} else {
		vs_rt_event(rt, "warning",
		            "statistics bus (dbus-daemon) %s unexpectedly; restarting it in %.1f s "
		            "(ganesha.nfsd ends with it and follows)",
		            how, (double)restart_later(rt, srv) / 1e6);
	}
	vs_rt_kick(rt);
}

static void on_server_end(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct server *srv = arg;
	struct vs_runtime *rt = rt_of(srv);
	char how[96];
	uint64_t now = vs_rt_now(rt);

	lib_run_describe(res, how, sizeof(how));
	snprintf(srv->last_end, sizeof(srv->last_end), "%s", how);
	srv->run = NULL;
	srv->ready = false;
	lib_run_destroy(run);
	if (rt->ready_wait == srv) {
		rt->ready_wait = NULL;
		rt->ready_timer = sd_event_source_disable_unref(rt->ready_timer);
		rt->busy = false;
	}
	if (srv->stopping) {
		srv->stopping = false;
		if (srv->kind == SRV_SMB || srv->kind == SRV_WINBIND)
			stop_dcerpcd(rt);
		vs_rt_event(rt, "info", "%s stopped (%s)", vs_rt_srv_name(srv->kind), how);
		rt->busy = false;
		vs_rt_kick(rt);
		return;
	}
	if (srv->kind == SRV_BUS) {
		bus_ended(rt, srv, how, now);
		return;
	}
	if (rt->state != VS_RT_RUNNING) {
		/* Died while the VS was being started: the start failed. */
		char logf[PATH_MAX], sdir[PATH_MAX];
		if (srv->kind == SRV_NFS) {
			vs_rt_file(rt, "ganesha.log", logf, sizeof(logf));
		} else if (srv->kind == SRV_WINBIND) {
			vs_rt_smb_dir(rt, sdir, sizeof(sdir));
			snprintf(logf, sizeof(logf), "%s/log/winbindd.log", sdir);
		} else {
			vs_rt_smb_dir(rt, sdir, sizeof(sdir));
			snprintf(logf, sizeof(logf), "%s/log/smbd.log", sdir);
		}
		vs_rt_fail(rt, "%s %s before serving (its log: %s)", vs_rt_srv_name(srv->kind), how,
		           logf);
		return;
	}
	if (ended_too_often(srv, now, SERVER_QUICK_ENDS)) {
		/* Restarting it here is not working: say so, so that the VS is
		 * taken where it may run (the retry starts it here meanwhile). */
		vs_rt_fail(rt,
		           "%s ended %d times in a row, each within %llu s of its start (last: %s)",
		           vs_rt_srv_name(srv->kind), SERVER_QUICK_ENDS,
		           (unsigned long long)(STABLE_USEC / 1000000), how);
		return;
	}
	uint64_t delay = restart_later(rt, srv);
	vs_rt_event(rt, "warning", "%s %s unexpectedly; restarting it in %.1f s (restart %u)",
	            vs_rt_srv_name(srv->kind), how, (double)delay / 1e6, srv->restarts);
}

int vs_rt_bus_address(const struct vs_runtime *rt, char *buf, size_t len)
{
	char sock[PATH_MAX];

	vs_rt_file(rt, "bus.sock", sock, sizeof(sock));
	return fx_statbus_address(sock, buf, len);
}

/* The bus answers on its socket, winbindd on its pipe (a non-blocking
 * connect: a full backlog is "not yet", never a wait on the loop). */
static bool unix_listening(struct vs_runtime *rt, const char *file)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char sock[PATH_MAX];
	int fd;
	bool ok;

	vs_rt_file(rt, file, sock, sizeof(sock));
	if (strlen(sock) >= sizeof(a.sun_path))
		return false;
	memcpy(a.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return false;
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static bool listening(struct vs_runtime *rt, int port)
{
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = nf_netns_socket(rt->nsfd, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&a4, sizeof(a4)) == 0;
	close(fd);
	return ok;
}

static bool srv_answers(struct vs_runtime *rt, const struct server *srv)
{
	if (srv->kind == SRV_BUS)
		return unix_listening(rt, "bus.sock");
	if (srv->kind == SRV_WINBIND)
		return unix_listening(rt, "winbindd/pipe");
	return listening(rt, srv->kind == SRV_NFS ? NFS_PORT : SMB_PORT);
}

static int on_ready_poll(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct vs_runtime *rt = userdata;
	struct server *srv = rt->ready_wait;

	if (!srv)
		return 0;
	if (srv_answers(rt, srv)) {
		srv->ready = true;
		rt->ready_wait = NULL;
		rt->ready_timer = sd_event_source_disable_unref(rt->ready_timer);
		rt->busy = false;
		vs_rt_event(rt, "info", "%s is serving (pid %d, ready after %.0f ms)",
		            vs_rt_srv_name(srv->kind), lib_run_pid(srv->run),
		            (double)(vs_rt_now(rt) - srv->started_usec) / 1000.0);
		vs_rt_kick(rt);
		return 0;
	}
	if (vs_rt_now(rt) > rt->ready_deadline) {
		vs_rt_event(rt, "error", "%s did not start listening within %llu s; killing it",
		            vs_rt_srv_name(srv->kind),
		            (unsigned long long)(READY_TIMEOUT_USEC / 1000000));
		rt->ready_timer = sd_event_source_disable_unref(rt->ready_timer);
		lib_run_signal(srv->run, SIGKILL); /* on_server_end schedules the restart */
		return 0;
	}
	sd_event_source_set_time_relative(s, READY_POLL_USEC);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

static int wait_ready(struct vs_runtime *rt, struct server *srv)
{
	int rc;

	rt->ready_wait = srv;
	rt->ready_deadline = vs_rt_now(rt) + READY_TIMEOUT_USEC;
	rt->ready_timer = sd_event_source_disable_unref(rt->ready_timer);
	/* 1 ms accuracy: with sd-event's default (250 ms) each 20 ms poll could
	 * fire up to 250 ms late, on the path of every start and move. */
	rc = sd_event_add_time_relative(rt->env.ev, &rt->ready_timer, CLOCK_MONOTONIC, 0, 1000,
	                                on_ready_poll, rt);
	if (rc < 0)
		return rc;
	rt->busy = true;
	return 0;
}

/* A server found running after a daemon restart: pid file, same name, same
 * network namespace. Adopted to serve (told to reload its configuration) or
 * to be stopped (for_stop: a daemon restarted while it released the VS). */
static int try_adopt(struct vs_runtime *rt, struct server *srv, bool for_stop)
{
	char file[PATH_MAX], *text = NULL, comm_path[64], *comm = NULL, nsl[64];
	struct stat ns_self, ns_it;
	pid_t pid;
	int rc;

	pid_file(rt, srv->kind, file, sizeof(file));
	if (lib_read_file(file, &text) < 0)
		return -ENOENT;
	pid = (pid_t)atoi(text);
	free(text);
	if (pid <= 1)
		return -ENOENT;
	snprintf(comm_path, sizeof(comm_path), "/proc/%d/comm", pid);
	if (lib_read_file(comm_path, &comm) < 0)
		return -ESRCH;
	/* comm is at most 15 characters: ganesha.nfsd, smbd, dbus-daemon fit. */
	rc = strncmp(comm, vs_rt_srv_name(srv->kind), strlen(vs_rt_srv_name(srv->kind)));
	free(comm);
	if (rc != 0)
		return -ESRCH;
	snprintf(nsl, sizeof(nsl), "/proc/%d/ns/net", pid);
	if (fstat(rt->nsfd, &ns_self) < 0 || stat(nsl, &ns_it) < 0 ||
	    ns_self.st_ino != ns_it.st_ino)
		return -ESRCH;
	rc = lib_run_adopt(rt->env.ev, pid, on_server_end, srv, &srv->run);
	if (rc < 0)
		return rc;
	srv->ready = srv_answers(rt, srv);
	srv->started_usec = vs_rt_now(rt);
	if (for_stop) {
		vs_rt_event(rt, "info", "%s found running (pid %d): stopping it",
		            vs_rt_srv_name(srv->kind), pid);
		return 0;
	}
	vs_rt_cgroup_join(rt, pid);
	if (srv->kind == SRV_SMB) /* as configured, presumably */
		snprintf(rt->smb_realm, sizeof(rt->smb_realm), "%s", rt->want.join.realm);
	/* Its configuration may have been rewritten since it read it. */
	lib_run_signal(srv->run, SIGHUP);
	vs_rt_event(rt, "info",
	            "%s found running (pid %d), adopted and told to reload its "
	            "configuration",
	            vs_rt_srv_name(srv->kind), pid);
	return 0;
}

/* The VS's cgroup directory, made on first use: 0, -ENOENT (no cgroups
 * here), or what making it gave. */
static int cgroup_dir(struct vs_runtime *rt, char *dir, size_t len)
{
	int rc = 0;

	if (!rt->env.cgroup_parent)
		return -ENOENT;
	if (!rt->cgroup_made) {
		rc = lib_cgroup_create(rt->env.cgroup_parent, rt->want.name);
		rt->cgroup_made = rc == 0;
	}
	return rc < 0 ? rc : lib_cgroup_path(rt->env.cgroup_parent, rt->want.name, dir, len);
}

/* The cgroup.procs a server's child joins before its exec (lib_run_opts),
 * in buf; NULL: none (the move after the start says why). */
static const char *cgroup_procs(struct vs_runtime *rt, char *buf, size_t len)
{
	char dir[LIB_CGROUP_PATH_MAX];

	if (cgroup_dir(rt, dir, sizeof(dir)) < 0 ||
	    (size_t)snprintf(buf, len, "%s/cgroup.procs", dir) >= len)
		return NULL;
	return buf;
}

/* The VS's cgroup (made on first use), its servers' processes moved into it
 * so that its cpu.stat is the VS's CPU (a server started by us is there from
 * its exec: cgroup_procs; this moves an adopted one, and any that missed).
 * A failure costs the measurement only: said, never the start. */
void vs_rt_cgroup_join(struct vs_runtime *rt, pid_t pid)
{
	char dir[LIB_CGROUP_PATH_MAX];
	int rc;

	if (!rt->env.cgroup_parent)
		return;
	rc = cgroup_dir(rt, dir, sizeof(dir));
	if (rc == 0)
		rc = lib_cgroup_move(dir, pid);
	if (rc < 0 && rc != -ESRCH)
		lib_warn("%s: cannot put process %d into its cgroup under %s (its CPU is not "
		         "measured): %s",
		         rt->want.name, (int)pid, rt->env.cgroup_parent, strerror(-rc));
}

/* Its cgroup removed once its servers are gone (-EBUSY: a process is left,
 * the next stop tries again). */
void vs_rt_cgroup_drop(struct vs_runtime *rt)
{
	int rc;

	if (!rt->env.cgroup_parent || !rt->cgroup_made)
		return;
	rc = lib_cgroup_remove(rt->env.cgroup_parent, rt->want.name);
	if (rc == 0)
		rt->cgroup_made = false;
	else
		lib_warn("%s: cannot remove its cgroup: %s", rt->want.name, strerror(-rc));
}

/* dbus-daemon for the VS's statistics: its configuration written at every
 * start (it names the socket and the pid file), a stale socket removed. */
static int start_bus(struct vs_runtime *rt, struct server *srv, const char *pid)
{
	char conf[PATH_MAX], sock[PATH_MAX], cfarg[PATH_MAX + 16], *text = NULL;
	int rc;

	vs_rt_file(rt, "bus.conf", conf, sizeof(conf));
	vs_rt_file(rt, "bus.sock", sock, sizeof(sock));
	rc = fx_statbus_conf(sock, pid, &text);
	if (rc < 0)
		return rc;
	rc = lib_write_file(conf, text, strlen(text), 0600);
	free(text);
	if (rc < 0)
		return rc;
	/* A stale socket and pid file of an earlier bus (not adopted, so not
	 * running): dbus-daemon refuses to start over either. */
	if ((unlink(sock) < 0 && errno != ENOENT) || (unlink(pid) < 0 && errno != ENOENT))
		return -errno;
	snprintf(cfarg, sizeof(cfarg), "--config-file=%s", conf);
	const char *argv[] = {"dbus-daemon", cfarg, "--nofork", NULL};
	char procs[LIB_CGROUP_PATH_MAX + 16];
	struct lib_run_opts o = {.argv = argv,
	                         .netns_fd = rt->nsfd,
	                         .out_fd = -1,
	                         .cgroup_procs = cgroup_procs(rt, procs, sizeof(procs))};
	return lib_run_start(rt->env.ev, &o, on_server_end, srv, &srv->run);
}

int vs_rt_start_server(struct vs_runtime *rt, struct server *srv)
{
	char conf[PATH_MAX], log[PATH_MAX], pid[PATH_MAX], procs[LIB_CGROUP_PATH_MAX + 16];
	int rc;

	if (srv->restart_timer)
		return 1; /* back-off in progress */
	if (try_adopt(rt, srv, false) == 0) {
		if (srv->ready)
			return 0;
		return wait_ready(rt, srv) < 0 ? -EIO : 1;
	}
	pid_file(rt, srv->kind, pid, sizeof(pid));
	/* The file servers run in their network namespace, and in a mount
	 * namespace of their own where names resolve through the VS's passwd
	 * and group alone (DESIGN 7a): its ids directory is FX_ID_NSS_DIR and
	 * its nsswitch.conf the node's, so a user added later is seen at once. */
	char ids[PATH_MAX], nss[PATH_MAX];
	vs_rt_file(rt, "ids", ids, sizeof(ids));
	vs_rt_file(rt, "nsswitch.conf", nss, sizeof(nss));
	const char *const binds[][2] = {{ids, FX_ID_NSS_DIR}, {nss, "/etc/nsswitch.conf"}};
	const char *argv[32];
	if (srv->kind == SRV_BUS) {
		rc = start_bus(rt, srv, pid);
		if (rc < 0) {
			rt->bus_off = true;
			vs_rt_event(
			    rt, "warning",
			    "cannot start the statistics bus (dbus-daemon): %s; this VS's NFS "
			    "request rate is not measured",
			    strerror(-rc));
			return rc;
		}
	} else if (srv->kind == SRV_NFS) {
		vs_rt_file(rt, "ganesha.conf", conf, sizeof(conf));
		vs_rt_file(rt, "ganesha.log", log, sizeof(log));
		const char *cmd[] = {"ganesha.nfsd", "-F", "-f", conf, "-L", log, "-p", pid, NULL};
		char addr[PATH_MAX], busenv[PATH_MAX + 32];
		const char *env[] = {busenv, NULL};
		struct lib_run_opts o = {.argv = argv,
		                         .netns_fd = rt->nsfd,
		                         .out_fd = -1,
		                         .cgroup_procs = cgroup_procs(rt, procs, sizeof(procs))};
		const struct server *bus = &rt->srv[SRV_BUS];
		/* Its statistics go over the VS's own bus (ganesha takes the system
		 * bus's address from the environment). */
		if (bus->run && bus->ready && vs_rt_bus_address(rt, addr, sizeof(addr)) == 0) {
			snprintf(busenv, sizeof(busenv), "DBUS_SYSTEM_BUS_ADDRESS=%s", addr);
			o.env = env;
		}
		rc = lib_mntns_argv(rt->self_exe, binds, 2, NULL, cmd, argv, 24);
		if (rc == 0)
			rc = lib_run_start(rt->env.ev, &o, on_server_end, srv, &srv->run);
	} else {
		char sdir[PATH_MAX], wblog[PATH_MAX + 32];
		bool joined = rt->want.join.realm[0] != '\0';
		struct vs_rt_member mb;
		const char *env[] = {mb.krb5env, NULL};
		/* A member's servers also see the VS's winbindd at the socket path
		 * libwbclient has compiled in, and the DC's name (vs_rt_join.c). */
		const char *const mbinds[][2] = {{ids, FX_ID_NSS_DIR},
		                                 {nss, "/etc/nsswitch.conf"},
		                                 {mb.wbdir, "/run/samba/winbindd"},
		                                 {mb.hosts, "/etc/hosts"}};
		vs_rt_smb_dir(rt, sdir, sizeof(sdir));
		rc = fx_samba_mkdirs(sdir);
		if (rc == 0 && joined && (rc = vs_rt_member(rt, &rt->want.join, &mb)) == 0)
			rc = lib_mkdir_p("/run/samba/winbindd", 0755);
		vs_rt_file(rt, "smb.conf", conf, sizeof(conf));
		snprintf(wblog, sizeof(wblog), "--option=log file=%s/log/winbindd.log", sdir);
		const char *cmd[] = {srv->kind == SRV_SMB ? "smbd" : "winbindd",
		                     "--foreground",
		                     "--no-process-group",
		                     "-s",
		                     conf,
		                     srv->kind == SRV_SMB ? NULL : wblog,
		                     NULL};
		/* The VS's own domain SID first, the same on every node
		 * (fx_samba_domain_sid): its users keep their SIDs across a move. */
		char sid[FX_SMB_SID_MAX];
		const char *first[] = {"net", "-s", conf, "setlocalsid", sid, NULL};
		struct lib_run_opts o = {.argv = argv,
		                         .netns_fd = rt->nsfd,
		                         .out_fd = -1,
		                         .env = joined ? env : NULL,
		                         .cgroup_procs = cgroup_procs(rt, procs, sizeof(procs))};
		if (rc == 0)
			rc = fx_samba_domain_sid(rt->want.name, sid, sizeof(sid));
		if (rc == 0)
			rc = lib_mntns_argv(rt->self_exe, joined ? mbinds : binds, joined ? 4 : 2,
			                    srv->kind == SRV_SMB ? first : NULL, cmd, argv, 32);
		if (rc == 0)
			rc = lib_run_start(rt->env.ev, &o, on_server_end, srv, &srv->run);
		if (rc == 0 && srv->kind == SRV_SMB)
			snprintf(rt->smb_realm, sizeof(rt->smb_realm), "%s", rt->want.join.realm);
	}
	if (rc < 0) {
		vs_rt_fail(rt, "cannot start %s: %s", vs_rt_srv_name(srv->kind), strerror(-rc));
		return rc;
	}
	vs_rt_cgroup_join(rt, lib_run_pid(srv->run));
	srv->started_usec = vs_rt_now(rt);
	srv->ready = false;
	vs_rt_event(rt, "info", "started %s (pid %d) in namespace %s", vs_rt_srv_name(srv->kind),
	            lib_run_pid(srv->run), rt->netns);
	rc = wait_ready(rt, srv);
	return rc < 0 ? rc : 1;
}

int vs_rt_stop_server(struct vs_runtime *rt, struct server *srv)
{
	srv->restart_timer = sd_event_source_disable_unref(srv->restart_timer);
	/* One left running by a daemon that restarted meanwhile is stopped as
	 * ours are: its open files would keep the unmount from happening. */
	if (!srv->run && rt->nsfd >= 0)
		(void)try_adopt(rt, srv, true);
	if (!srv->run)
		return 0;
	if (srv->stopping)
		return 1;
	srv->stopping = true;
	if (lib_run_stop(srv->run, STOP_GRACE_USEC) < 0) {
		srv->stopping = false;
		lib_run_destroy(srv->run);
		srv->run = NULL;
		return 0;
	}
	rt->busy = true;
	return 1;
}
