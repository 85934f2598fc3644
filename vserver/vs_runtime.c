/*
 * vs_runtime.c - converging one VS on this node (see vs_runtime.h).
 *
 * Shape: reconcile() looks at the desired configuration and at what is
 * already in place, performs the next missing step, and returns. A step that
 * takes time (mount, umount, waiting for a server to listen, stopping a
 * server) is started asynchronously and sets rt->busy; its completion clears
 * it and schedules reconcile() again through a deferred event source, so the
 * loop never blocks and there is no recursion. Failures put the runtime in
 * VS_RT_FAILED with a reason and arm a back-off timer that retries.
 */
#include "vserver/vs_runtime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsexport/fx_ganesha.h"
#include "fsexport/fx_lun.h"
#include "fsexport/fx_mount.h"
#include "fsexport/fx_samba.h"
#include "fsexport/fx_tree.h"
#include "lib/lib_backoff.h"
#include "lib/lib_fs.h"
#include "lib/lib_log.h"
#include "lib/lib_run.h"
#include "netfail/nf_netns.h"
#include "netfail/nf_vip.h"

#define MOUNT_TIMEOUT_USEC (120ULL * 1000000) /* MMP may wait ~11 s; a hung path more */
#define UMOUNT_TIMEOUT_USEC (60ULL * 1000000)
#define PREPARE_TIMEOUT_USEC (20ULL * 1000000) /* a few ms when the storage answers */
#define PREPARE_STUCK_USEC (2ULL * 1000000)    /* after the kill, a child in D state */
#define READY_TIMEOUT_USEC (30ULL * 1000000)
#define READY_POLL_USEC (20ULL * 1000)
#define STOP_GRACE_USEC (5ULL * 1000000)
#define RETRY_MIN_USEC (2ULL * 1000000)
#define RETRY_MAX_USEC (60ULL * 1000000)
#define RESTART_MIN_USEC (1ULL * 1000000)
#define RESTART_MAX_USEC (30ULL * 1000000)
#define STABLE_USEC (60ULL * 1000000)
#define ANNOUNCE_COUNT 3 /* one at once, then repeats */
#define ANNOUNCE_GAP_USEC (100ULL * 1000)
#define NFS_PORT 2049
#define SMB_PORT 445

enum server_kind { SRV_NFS = 0, SRV_SMB = 1 };

struct server {
	enum server_kind kind;
	struct lib_run *run;
	bool ready;
	bool stopping; /* we asked it to stop: its end is expected */
	unsigned restarts;
	struct lib_backoff backoff;
	uint64_t started_usec;
	sd_event_source *restart_timer;
	char last_end[96];
};

struct mountst {
	char name[VS_NAME_MAX + 1];
	char dev[64];
	char dir[PATH_MAX];
	bool mounted;
	bool mmp_reset_tried; /* this takeover's MMP reset was attempted */
	bool probe_failed;
	char probe_error[160];
	struct lib_run *probe;
	/* The last successful preparation (fx_tree): its sub-directories,
	 * '\n'-separated, and each one's result; NULL = to be prepared. */
	char *prep_subs;
	int *prep_rcs;
	int n_prep;
};

struct vipst {
	char addr[VS_ADDR_MAX + 1];
	char ifname[16];
	char port[VS_PORT_MAX + 1];
	char slot; /* 'a' or 'b': a move creates the other one, then drops this */
	bool up;
	int announce_left; /* repeats still due from the repeat timer */
};

struct vs_runtime {
	struct vs_runtime_env env;
	char *node, *run_dir, *state_dir, *self_exe;
	struct vs_vserver want;
	char netns[VS_NAME_MAX + 8];
	int nsfd;
	enum vs_rt_state state;
	char reason[VS_ERR_LEN];
	bool busy;
	sd_event_source *defer;
	sd_event_source *retry_timer;
	sd_event_source *probe_timer;
	sd_event_source *ready_timer;
	uint64_t ready_deadline;
	struct server *ready_wait;
	struct lib_backoff retry;
	struct lib_run *op; /* mount / umount in flight */
	int op_index;
	bool op_mount;
	bool op_reset;                        /* the op is tune2fs -E clear_mmp */
	char mmp_reset_from[VS_NAME_MAX + 1]; /* fenced last holder, "" = none */
	struct lib_run *prep;                 /* applianced --fs-prepare in flight */
	char prep_fs[VS_NAME_MAX + 1];        /* ... for this file system */
	char *prep_subs;                      /* ... with these sub-directories */
	int n_prep_subs;
	sd_event_source *prep_timer; /* it did not end even after its kill */
	bool storage_failed;         /* the failure is the storage's (reason says how) */
	struct server srv[2];
	int n_mounts;
	struct mountst mounts[VS_MAX_FS];
	int n_vips;
	struct vipst vips[VS_MAX_VIPS];
	int afd; /* announcer socket in the VS namespace */
	sd_event_source *announce_timer;
	sd_event_source *reap_defer;
	int n_stale;
	char stale[VS_MAX_VIPS * 2][16]; /* devices left by moves, deleted right after */
};

static void kick(struct vs_runtime *rt);

static uint64_t now_usec(const struct vs_runtime *rt)
{
	uint64_t t = 0;

	sd_event_now(rt->env.ev, CLOCK_MONOTONIC, &t);
	return t;
}

static void rt_event(struct vs_runtime *rt, const char *severity, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void rt_event(struct vs_runtime *rt, const char *severity, const char *fmt, ...)
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

static void set_state(struct vs_runtime *rt, enum vs_rt_state s)
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

static const char *srv_name(enum server_kind k)
{
	return k == SRV_NFS ? "ganesha.nfsd" : "smbd";
}

/* --- paths ---------------------------------------------------------------- */

static void vs_dir(const struct vs_runtime *rt, char *buf, size_t len)
{
	snprintf(buf, len, "%s/vs/%s", rt->run_dir, rt->want.name);
}

static void vs_file(const struct vs_runtime *rt, const char *file, char *buf, size_t len)
{
	snprintf(buf, len, "%s/vs/%s/%s", rt->run_dir, rt->want.name, file);
}

static void smb_state_dir(const struct vs_runtime *rt, char *buf, size_t len)
{
	snprintf(buf, len, "%s/vs/%s/samba", rt->state_dir, rt->want.name);
}

static void mount_dir(const struct vs_runtime *rt, const char *fs, char *buf, size_t len)
{
	snprintf(buf, len, "%s/mnt/%s/%s", rt->run_dir, rt->want.name, fs);
}

static struct mountst *find_mount(struct vs_runtime *rt, const char *fs)
{
	for (int i = 0; i < rt->n_mounts; i++)
		if (strcmp(rt->mounts[i].name, fs) == 0)
			return &rt->mounts[i];
	return NULL;
}

static void forget_prep(struct mountst *m)
{
	free(m->prep_subs);
	free(m->prep_rcs);
	m->prep_subs = NULL;
	m->prep_rcs = NULL;
	m->n_prep = 0;
}

/* Remove mounts[i] from the table. */
static void forget_mount(struct vs_runtime *rt, int i)
{
	struct mountst *m = &rt->mounts[i];

	forget_prep(m);
	memmove(m, m + 1, (size_t)(rt->n_mounts - i - 1) * sizeof(*m));
	rt->n_mounts--;
}

/* --- failure and retry ------------------------------------------------------ */

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct vs_runtime *rt = userdata;

	rt->retry_timer = sd_event_source_disable_unref(rt->retry_timer);
	kick(rt);
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
		rt_event(rt, "error", "%s; retrying every %llu s at most", reason,
		         (unsigned long long)(RETRY_MAX_USEC / 1000000));
	snprintf(rt->reason, sizeof(rt->reason), "%s", reason);
	rt->storage_failed = storage; /* before the state change is reported */
	set_state(rt, VS_RT_FAILED);
	rt->retry_timer = sd_event_source_disable_unref(rt->retry_timer);
	if (sd_event_add_time_relative(rt->env.ev, &rt->retry_timer, CLOCK_MONOTONIC, delay, 0,
	                               on_retry, rt) < 0)
		lib_err("%s: cannot arm the retry timer", rt->want.name);
}

static void fail(struct vs_runtime *rt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct vs_runtime *rt, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(rt, false, fmt, ap);
	va_end(ap);
}

static void storage_fail(struct vs_runtime *rt, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A failure of the storage: the VS is reported storage-failed with it. */
static void storage_fail(struct vs_runtime *rt, const char *fmt, ...)
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
		fail(rt, "cannot create the network namespace %s: %s", rt->netns, strerror(-rc));
		return rc;
	}
	rt->nsfd = nf_netns_open(rt->netns);
	if (rt->nsfd < 0) {
		rc = rt->nsfd;
		fail(rt, "cannot open the network namespace %s: %s", rt->netns, strerror(-rc));
		return rc;
	}
	rt->afd = nf_announcer_open(rt->nsfd);
	if (rt->afd < 0)
		lib_warn("%s: no announcer socket (%s); announcing the slow way", rt->want.name,
		         strerror(-rt->afd));
	rc = nf_lo_up(rt->nsfd);
	if (rc < 0) {
		fail(rt, "cannot bring up the loopback of %s: %s", rt->netns, strerror(-rc));
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
		rt_event(rt, "warning", "cannot delete the network namespace %s: %s", rt->netns,
		         strerror(-rc));
}

/* --- mounts ------------------------------------------------------------------ */

static void on_mount_op(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct vs_runtime *rt = arg;
	struct mountst *m = &rt->mounts[rt->op_index];
	char how[96];
	bool ok = res->end == LIB_RUN_EXITED && res->exit_code == 0;
	char out[200];

	snprintf(out, sizeof(out), "%s", res->output);
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = ' ';
	lib_run_describe(res, how, sizeof(how));
	if (rt->op_reset) {
		/* Either way the mount comes next; without the reset it waits for
		 * MMP to show the file system idle, which is still safe. */
		if (ok)
			rt_event(rt, "info",
			         "file system %s: multi-mount protection reset on %s, without "
			         "waiting, because its last holder %s was fenced",
			         m->name, m->dev, rt->mmp_reset_from);
		else
			rt_event(rt, "warning",
			         "file system %s: resetting multi-mount protection on %s failed "
			         "(tune2fs %s: %s); mounting waits for it instead",
			         m->name, m->dev, how, out);
	} else if (rt->op_mount) {
		if (ok) {
			m->mounted = true;
			forget_prep(m); /* its layout is prepared next, off the loop */
			rt_event(rt, "info", "mounted file system %s (%s) on %s", m->name, m->dev,
			         m->dir);
		} else {
			rt->busy = false;
			rt->op = NULL;
			lib_run_destroy(run);
			fail(rt, "mounting file system %s (%s) failed: mount %s: %s", m->name,
			     m->dev, how, out);
			return;
		}
	} else {
		if (ok) {
			rt_event(rt, "info", "unmounted file system %s from %s", m->name, m->dir);
			if (rmdir(m->dir) < 0 && errno != ENOENT)
				lib_warn("%s: cannot remove %s: %s", rt->want.name, m->dir,
				         strerror(errno));
			forget_mount(rt, rt->op_index);
		} else {
			rt->busy = false;
			rt->op = NULL;
			lib_run_destroy(run);
			fail(rt, "unmounting file system %s from %s failed: umount %s: %s", m->name,
			     m->dir, how, out);
			return;
		}
	}
	rt->busy = false;
	rt->op = NULL;
	lib_run_destroy(run);
	kick(rt);
}

static int start_op(struct vs_runtime *rt, int index, bool mount, bool reset)
{
	struct mountst *m = &rt->mounts[index];
	const char *margv[] = {"mount", "-t", "ext4", "-o", FX_MOUNT_OPTS, m->dev, m->dir, NULL};
	const char *uargv[] = {"umount", m->dir, NULL};
	const char *rargv[] = {"tune2fs", "-f", "-E", "clear_mmp", m->dev, NULL};
	struct lib_run_opts o = {
	    .argv = reset   ? rargv
	            : mount ? margv
	                    : uargv,
	    .netns_fd = -1,
	    .timeout_usec = mount ? MOUNT_TIMEOUT_USEC : UMOUNT_TIMEOUT_USEC,
	    .capture = true,
	    .out_fd = -1,
	};
	int rc;

	rt->op_index = index;
	rt->op_mount = mount;
	rt->op_reset = reset;
	rc = lib_run_start(rt->env.ev, &o, on_mount_op, rt, &rt->op);
	if (rc < 0) {
		fail(rt, "cannot run %s: %s", o.argv[0], strerror(-rc));
		return rc;
	}
	rt->busy = true;
	return 0;
}

/* Make sure every desired file system is mounted; returns 1 when a step is in
 * flight or failed (reconcile must stop here), 0 when all are mounted. */
static int ensure_mounts(struct vs_runtime *rt)
{
	for (int i = 0; i < rt->want.n_fs; i++) {
		const struct vs_fs *f = &rt->want.fs[i];
		const char *tag = f->lun_kind == VS_LUN_UUID ? "UUID" : "LABEL";
		struct mountst *m = find_mount(rt, f->name);
		struct fx_lun_info lun;
		char src[64];
		int rc;

		if (m && m->mounted)
			continue;
		rc = rt->env.lun_find ? rt->env.lun_find(rt->env.arg, tag, f->lun, &lun)
		                      : fx_lun_find(tag, f->lun, &lun);
		if (rc == -EAGAIN)
			return 1; /* the node's first LUN scan is not done: it kicks us */
		if (rc == -ENOENT) {
			fail(rt, "LUN %s=%s of file system %s is not visible on node %s", tag,
			     f->lun, f->name, rt->node);
			return 1;
		}
		if (rc < 0) {
			fail(rt, "LUN %s=%s of file system %s cannot be read: %s", tag, f->lun,
			     f->name, strerror(-rc));
			return 1;
		}
		if (strcmp(lun.type, "ext4") != 0) {
			fail(rt,
			     "LUN %s=%s holds a %s file system; only ext4 with multi-mount "
			     "protection is supported",
			     tag, f->lun, lun.type[0] ? lun.type : "unknown");
			return 1;
		}
		if (!lun.mmp) {
			fail(rt,
			     "the ext4 file system on LUN %s=%s has no multi-mount protection; "
			     "enable it with 'tune2fs -O mmp %s' while it is unmounted on every "
			     "node",
			     tag, f->lun, lun.dev);
			return 1;
		}
		if (!m) {
			if (rt->n_mounts >= VS_MAX_FS)
				abort(); /* bounded by the model */
			m = &rt->mounts[rt->n_mounts++];
			memset(m, 0, sizeof(*m));
			snprintf(m->name, sizeof(m->name), "%s", f->name);
			mount_dir(rt, f->name, m->dir, sizeof(m->dir));
		}
		snprintf(m->dev, sizeof(m->dev), "%s", lun.dev);
		if (fx_mount_find(m->dir, src, sizeof(src)) == 0) {
			/* Found again after a restart of the daemon. */
			m->mounted = true;
			rt_event(rt, "info", "file system %s found mounted on %s (%s)", m->name,
			         m->dir, src);
			continue;
		}
		rc = lib_mkdir_p(m->dir, 0755);
		if (rc < 0) {
			fail(rt, "cannot create the mount point %s: %s", m->dir, strerror(-rc));
			return 1;
		}
		if (rt->mmp_reset_from[0] && !m->mmp_reset_tried) {
			/* Taken over from a node that was powered off (fenced): it
			 * cannot write any more, so the MMP block it left "in use"
			 * is reset instead of waiting for it (~22 s here). */
			m->mmp_reset_tried = true;
			start_op(rt, (int)(m - rt->mounts), true, true);
			return 1;
		}
		rt_event(rt, "info", "mounting file system %s: LUN %s=%s is %s", f->name, tag,
		         f->lun, lun.dev);
		start_op(rt, (int)(m - rt->mounts), true, false);
		return 1;
	}
	return 0;
}

static bool fs_wanted(const struct vs_runtime *rt, const char *name)
{
	return rt->want.admin == VS_ADMIN_RUNNING && vs_vserver_find_fs(&rt->want, name);
}

/* Unmount what is mounted but not wanted; 1 if a step is in flight. */
static int drop_mounts(struct vs_runtime *rt)
{
	for (int i = 0; i < rt->n_mounts; i++) {
		struct mountst *m = &rt->mounts[i];
		if (fs_wanted(rt, m->name))
			continue;
		if (m->probe || (rt->prep && strcmp(rt->prep_fs, m->name) == 0))
			return 1; /* wait for the probe or the preparation to finish */
		if (!m->mounted && fx_mount_find(m->dir, NULL, 0) != 0) {
			forget_mount(rt, i);
			i--;
			continue;
		}
		m->mounted = false;
		start_op(rt, i, false, false);
		return 1;
	}
	return 0;
}

/* --- configuration of the servers ---------------------------------------------- */

/* The sub-directories the exports and shares want on file system `fs`,
 * '\n'-separated (the model allows no newline in a path), each once, in
 * the order of the configuration; *n their number. NULL on ENOMEM. */
static char *wanted_subs(const struct vs_runtime *rt, const char *fs, int *n)
{
	size_t cap = 1, len = 0;
	char *out;

	*n = 0;
	for (int i = 0; i < rt->want.n_exports; i++)
		cap += strlen(rt->want.exports[i].path) + 1;
	for (int i = 0; i < rt->want.n_shares; i++)
		cap += strlen(rt->want.shares[i].path) + 1;
	out = malloc(cap);
	if (!out)
		return NULL;
	out[0] = '\0';
	for (int i = 0; i < rt->want.n_exports + rt->want.n_shares; i++) {
		bool ex = i < rt->want.n_exports;
		const char *f =
		    ex ? rt->want.exports[i].fs : rt->want.shares[i - rt->want.n_exports].fs;
		const char *sub =
		    ex ? rt->want.exports[i].path : rt->want.shares[i - rt->want.n_exports].path;
		size_t sl = strlen(sub);
		bool seen = false;

		if (strcmp(f, fs) != 0)
			continue;
		for (const char *p = out; *p || p == out;) {
			size_t l = strcspn(p, "\n");
			if (p[l] == '\n' && l == sl && memcmp(p, sub, sl) == 0) {
				seen = true;
				break;
			}
			if (!p[l])
				break;
			p += l + 1;
		}
		if (seen)
			continue;
		memcpy(out + len, sub, sl);
		out[len + sl] = '\n';
		len += sl + 1;
		out[len] = '\0';
		(*n)++;
	}
	return out;
}

/* The prepared result of `sub` on m: 0, a negative errno, or -ENOENT when
 * it was not part of the last preparation. */
static int prep_result(const struct mountst *m, const char *sub)
{
	const char *p = m->prep_subs;
	size_t sl = strlen(sub);

	for (int i = 0; p && i < m->n_prep; i++) {
		size_t l = strcspn(p, "\n");
		if (l == sl && memcmp(p, sub, sl) == 0)
			return m->prep_rcs[i];
		p += l + (p[l] == '\n');
	}
	return -ENOENT;
}

static void prep_done(struct vs_runtime *rt)
{
	rt->prep_timer = sd_event_source_disable_unref(rt->prep_timer);
	free(rt->prep_subs);
	rt->prep_subs = NULL;
	rt->prep_fs[0] = '\0';
}

/* Every sub-directory the exports and shares of one file system name, and
 * a report of those that cannot be published (once per preparation). */
static void report_prep(struct vs_runtime *rt, const struct mountst *m)
{
	for (int i = 0; i < rt->want.n_exports + rt->want.n_shares; i++) {
		bool ex = i < rt->want.n_exports;
		const struct vs_export *e = ex ? &rt->want.exports[i] : NULL;
		const struct vs_share *sh = ex ? NULL : &rt->want.shares[i - rt->want.n_exports];
		const char *fs = ex ? e->fs : sh->fs, *sub = ex ? e->path : sh->path;
		int rc;

		if (strcmp(fs, m->name) != 0 || (rc = prep_result(m, sub)) == 0)
			continue;
		rt_event(rt, "error", "%s %s is not published: %s/%s %s", ex ? "export" : "share",
		         ex ? e->pseudo : sh->name, fs, sub,
		         rc == -ELOOP   ? "has a symbolic link on its way (not followed)"
		         : rc == -EXDEV ? "leads outside its file system"
		                        : strerror(-rc));
	}
}

static void on_prep_end(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct vs_runtime *rt = arg;
	struct mountst *m = find_mount(rt, rt->prep_fs);
	bool ok = res->end == LIB_RUN_EXITED && res->exit_code == 0;
	char how[96], out[160], fs[VS_NAME_MAX + 1];
	int *rcs = NULL, rc = 0;

	snprintf(fs, sizeof(fs), "%s", rt->prep_fs);
	lib_run_describe(res, how, sizeof(how));
	snprintf(out, sizeof(out), "%s", res->output);
	out[strcspn(out, "\n")] = '\0';
	if (ok) {
		rcs = calloc((size_t)rt->n_prep_subs + 1, sizeof(*rcs));
		rc = rcs ? fx_tree_parse(res->output, rt->n_prep_subs, rcs) : -ENOMEM;
	}
	rt->prep = NULL;
	lib_run_destroy(run);
	if (ok && rc == 0 && m && m->mounted) {
		forget_prep(m);
		m->prep_subs = rt->prep_subs;
		m->prep_rcs = rcs;
		m->n_prep = rt->n_prep_subs;
		rt->prep_subs = NULL;
		prep_done(rt);
		report_prep(rt, m);
		kick(rt);
		return;
	}
	free(rcs);
	prep_done(rt);
	if (!m || !m->mounted) {
		kick(rt);
		return;
	}
	if (ok)
		storage_fail(rt, "preparing file system %s gave an unreadable answer: %s", fs,
		             strerror(-rc));
	else if (res->end == LIB_RUN_EXITED && res->exit_code == 1)
		storage_fail(rt, "file system %s (%s): %s", fs, m->dev, out);
	else
		storage_fail(rt, "file system %s (%s) does not answer: preparing it %s", fs, m->dev,
		             res->end == LIB_RUN_TIMED_OUT ? "took too long" : how);
}

/* The preparation was killed at its deadline and has still not ended: it
 * sits in the kernel on a hung path. The loop goes on; it ends when it can. */
static int on_prep_stuck(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct vs_runtime *rt = userdata;
	struct mountst *m = find_mount(rt, rt->prep_fs);

	rt->prep_timer = sd_event_source_disable_unref(rt->prep_timer);
	if (rt->prep && m)
		storage_fail(rt,
		             "file system %s (%s) does not answer: preparing it took more than "
		             "%llu s",
		             m->name, m->dev, (unsigned long long)(PREPARE_TIMEOUT_USEC / 1000000));
	return 0;
}

/* Lay out every mounted file system and create the sub-directories its
 * exports and shares name, in a child (fx_tree.h): 1 while one is in
 * flight or failed (reconcile stops here), 0 when all are prepared. */
static int ensure_prepared(struct vs_runtime *rt)
{
	if (rt->prep)
		return 1;
	for (int i = 0; i < rt->n_mounts; i++) {
		struct mountst *m = &rt->mounts[i];
		const char **argv;
		char *subs;
		int n, rc;

		if (!m->mounted)
			continue;
		subs = wanted_subs(rt, m->name, &n);
		if (!subs) {
			fail(rt, "cannot prepare file system %s: %s", m->name, strerror(ENOMEM));
			return 1;
		}
		if (m->prep_subs && strcmp(m->prep_subs, subs) == 0) {
			free(subs);
			continue;
		}
		argv = calloc((size_t)n + 4, sizeof(*argv));
		if (!argv) {
			free(subs);
			fail(rt, "cannot prepare file system %s: %s", m->name, strerror(ENOMEM));
			return 1;
		}
		argv[0] = rt->self_exe;
		argv[1] = "--fs-prepare";
		argv[2] = m->dir;
		/* argv points into a copy whose '\n' become NULs; subs stays intact. */
		char *split = strdup(subs);
		for (int k = 0, off = 0; split && k < n; k++) {
			size_t l = strcspn(split + off, "\n");
			split[off + l] = '\0';
			argv[3 + k] = split + off;
			off += (int)l + 1;
		}
		struct lib_run_opts o = {.argv = argv,
		                         .netns_fd = -1,
		                         .capture = true,
		                         .timeout_usec = PREPARE_TIMEOUT_USEC,
		                         .out_fd = -1};
		rc = split ? lib_run_start(rt->env.ev, &o, on_prep_end, rt, &rt->prep) : -ENOMEM;
		free(split);
		free(argv);
		if (rc < 0) {
			free(subs);
			fail(rt, "cannot prepare file system %s: %s", m->name, strerror(-rc));
			return 1;
		}
		snprintf(rt->prep_fs, sizeof(rt->prep_fs), "%s", m->name);
		rt->prep_subs = subs;
		rt->n_prep_subs = n;
		rt->prep_timer = sd_event_source_disable_unref(rt->prep_timer);
		if (sd_event_add_time_relative(rt->env.ev, &rt->prep_timer, CLOCK_MONOTONIC,
		                               PREPARE_TIMEOUT_USEC + PREPARE_STUCK_USEC, 0,
		                               on_prep_stuck, rt) < 0)
			lib_warn("%s: cannot arm the preparation's watchdog", rt->want.name);
		return 1;
	}
	return 0;
}

/* The path of a prepared export/share sub-directory (0), or why not. */
static int published_path(struct vs_runtime *rt, const char *fs, const char *sub, char *out,
                          size_t len)
{
	const struct mountst *m = find_mount(rt, fs);
	int rc;

	if (!m || !m->mounted || !m->prep_subs)
		return -ENOENT;
	rc = prep_result(m, sub);
	return rc < 0 ? rc : fx_tree_data_path(m->dir, sub, out, len);
}

static int write_configs(struct vs_runtime *rt, bool *nfs_changed, bool *smb_changed)
{
	int n_all = rt->want.n_exports + rt->want.n_shares;
	struct fx_nfs_export *ex = calloc((size_t)rt->want.n_exports + 1, sizeof(*ex));
	struct fx_smb_share *sh = calloc((size_t)rt->want.n_shares + 1, sizeof(*sh));
	char(*paths)[PATH_MAX] = calloc((size_t)n_all + 1, sizeof(*paths));
	const char *addrs[VS_MAX_VIPS];
	char recovery[PATH_MAX], file[PATH_MAX], sdir[PATH_MAX];
	char *text = NULL;
	int rc, n_ex = 0, n_sh = 0;

	if (!ex || !sh || !paths) {
		rc = -ENOMEM;
		goto out;
	}
	/* Only what the last preparation (off the loop) found safe is published;
	 * it reported the others once. */
	for (int i = 0; i < rt->want.n_exports; i++) {
		const struct vs_export *e = &rt->want.exports[i];
		if (published_path(rt, e->fs, e->path, paths[n_ex], sizeof(paths[0])) < 0)
			continue;
		ex[n_ex] = (struct fx_nfs_export){.id = e->id,
		                                  .path = paths[n_ex],
		                                  .pseudo = e->pseudo,
		                                  .clients = e->clients,
		                                  .ro = e->ro};
		n_ex++;
	}
	for (int i = 0; i < rt->want.n_shares; i++) {
		const struct vs_share *s = &rt->want.shares[i];
		char *path = paths[n_ex + n_sh];
		if (published_path(rt, s->fs, s->path, path, sizeof(paths[0])) < 0)
			continue;
		sh[n_sh] = (struct fx_smb_share){.name = s->name, .path = path, .ro = s->ro};
		n_sh++;
	}
	for (int i = 0; i < rt->want.n_vips; i++)
		addrs[i] = rt->want.vips[i].addr;

	/* NFSv4 recovery state lives on the VS's first file system: it moves with
	 * it (prepared, root 0700, by fx_tree). Without one, a volatile place. */
	const struct mountst *first = rt->want.n_fs ? find_mount(rt, rt->want.fs[0].name) : NULL;
	if (!first && rt->n_mounts)
		first = &rt->mounts[0];
	if (first) {
		rc = fx_tree_state_path(first->dir, FX_TREE_RECOVERY, recovery, sizeof(recovery));
	} else {
		vs_file(rt, "nfs-recovery", recovery, sizeof(recovery));
		rc = lib_mkdir_p(recovery, 0700);
	}
	if (rc < 0)
		goto out;
	struct fx_ganesha_params gp = {.name = rt->want.name,
	                               .recovery_root = recovery,
	                               .lease_lifetime = rt->env.lease_lifetime,
	                               .grace_period = rt->env.grace_period,
	                               .exports = ex,
	                               .n_exports = n_ex};
	rc = fx_ganesha_conf(&gp, &text);
	if (rc < 0)
		goto out;
	vs_file(rt, "ganesha.conf", file, sizeof(file));
	rc = lib_write_file(file, text, strlen(text), 0644);
	free(text);
	text = NULL;
	if (rc < 0)
		goto out;
	*nfs_changed = rc == 1;

	smb_state_dir(rt, sdir, sizeof(sdir));
	rc = lib_mkdir_p(sdir, 0755);
	if (rc < 0)
		goto out;
	/* NetBIOS names have at most 15 characters. */
	char netbios[16];
	snprintf(netbios, sizeof(netbios), "%.15s", rt->want.name);
	struct fx_samba_params sp = {.netbios_name = netbios,
	                             .addresses = addrs,
	                             .n_addresses = rt->want.n_vips,
	                             .state_dir = sdir,
	                             .shares = sh,
	                             .n_shares = n_sh};
	rc = fx_samba_conf(&sp, &text);
	if (rc < 0)
		goto out;
	vs_file(rt, "smb.conf", file, sizeof(file));
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
	return rc;
}

/* --- servers -------------------------------------------------------------------- */

static void pid_file(const struct vs_runtime *rt, enum server_kind k, char *buf, size_t len)
{
	if (k == SRV_NFS) {
		vs_file(rt, "ganesha.pid", buf, len);
	} else {
		char sdir[PATH_MAX];
		smb_state_dir(rt, sdir, sizeof(sdir));
		snprintf(buf, len, "%s/run/smbd.pid", sdir);
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
	kick(rt_of(srv));
	return 0;
}

/* smbd starts samba-dcerpcd on demand in a session of its own, so stopping
 * smbd's process group leaves it behind: stop it by its pid file. */
static void stop_dcerpcd(struct vs_runtime *rt)
{
	char sdir[PATH_MAX], file[PATH_MAX], comm_path[64], *text = NULL, *comm = NULL;
	pid_t pid;

	smb_state_dir(rt, sdir, sizeof(sdir));
	snprintf(file, sizeof(file), "%s/run/samba-dcerpcd.pid", sdir);
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

static void on_server_end(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct server *srv = arg;
	struct vs_runtime *rt = rt_of(srv);
	char how[96];
	uint64_t now = now_usec(rt);

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
		if (srv->kind == SRV_SMB)
			stop_dcerpcd(rt);
		rt_event(rt, "info", "%s stopped (%s)", srv_name(srv->kind), how);
		rt->busy = false;
		kick(rt);
		return;
	}
	if (rt->state != VS_RT_RUNNING) {
		/* Died while the VS was being started: the start failed. */
		char logf[PATH_MAX], sdir[PATH_MAX];
		if (srv->kind == SRV_NFS) {
			vs_file(rt, "ganesha.log", logf, sizeof(logf));
		} else {
			smb_state_dir(rt, sdir, sizeof(sdir));
			snprintf(logf, sizeof(logf), "%s/log/smbd.log", sdir);
		}
		fail(rt, "%s %s before serving (its log: %s)", srv_name(srv->kind), how, logf);
		return;
	}
	if (now - srv->started_usec > STABLE_USEC)
		lib_backoff_reset(&srv->backoff);
	uint64_t delay = lib_backoff_next(&srv->backoff);
	srv->restarts++;
	rt_event(rt, "warning", "%s %s unexpectedly; restarting it in %.1f s (restart %u)",
	         srv_name(srv->kind), how, (double)delay / 1e6, srv->restarts);
	if (sd_event_add_time_relative(rt->env.ev, &srv->restart_timer, CLOCK_MONOTONIC, delay, 0,
	                               on_server_restart, srv) < 0)
		lib_err("%s: cannot arm the restart timer", rt->want.name);
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

static int on_ready_poll(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct vs_runtime *rt = userdata;
	struct server *srv = rt->ready_wait;

	if (!srv)
		return 0;
	if (listening(rt, srv->kind == SRV_NFS ? NFS_PORT : SMB_PORT)) {
		srv->ready = true;
		rt->ready_wait = NULL;
		rt->ready_timer = sd_event_source_disable_unref(rt->ready_timer);
		rt->busy = false;
		rt_event(rt, "info", "%s is serving (pid %d, ready after %.0f ms)",
		         srv_name(srv->kind), lib_run_pid(srv->run),
		         (double)(now_usec(rt) - srv->started_usec) / 1000.0);
		kick(rt);
		return 0;
	}
	if (now_usec(rt) > rt->ready_deadline) {
		rt_event(rt, "error", "%s did not start listening within %llu s; killing it",
		         srv_name(srv->kind), (unsigned long long)(READY_TIMEOUT_USEC / 1000000));
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
	rt->ready_deadline = now_usec(rt) + READY_TIMEOUT_USEC;
	rt->ready_timer = sd_event_source_disable_unref(rt->ready_timer);
	rc = sd_event_add_time_relative(rt->env.ev, &rt->ready_timer, CLOCK_MONOTONIC, 0, 0,
	                                on_ready_poll, rt);
	if (rc < 0)
		return rc;
	rt->busy = true;
	return 0;
}

/* A server found running after a daemon restart: pid file, same name, same
 * network namespace. */
static int try_adopt(struct vs_runtime *rt, struct server *srv)
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
	rc = strncmp(comm, srv_name(srv->kind), strlen(srv->kind == SRV_NFS ? "ganesha" : "smbd"));
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
	srv->ready = listening(rt, srv->kind == SRV_NFS ? NFS_PORT : SMB_PORT);
	srv->started_usec = now_usec(rt);
	/* Its configuration may have been rewritten since it read it. */
	lib_run_signal(srv->run, SIGHUP);
	rt_event(rt, "info",
	         "%s found running (pid %d), adopted and told to reload its "
	         "configuration",
	         srv_name(srv->kind), pid);
	return 0;
}

static int start_server(struct vs_runtime *rt, struct server *srv)
{
	char conf[PATH_MAX], log[PATH_MAX], pid[PATH_MAX];
	int rc;

	if (srv->restart_timer)
		return 1; /* back-off in progress */
	if (try_adopt(rt, srv) == 0) {
		if (srv->ready)
			return 0;
		return wait_ready(rt, srv) < 0 ? -EIO : 1;
	}
	pid_file(rt, srv->kind, pid, sizeof(pid));
	if (srv->kind == SRV_NFS) {
		vs_file(rt, "ganesha.conf", conf, sizeof(conf));
		vs_file(rt, "ganesha.log", log, sizeof(log));
		const char *argv[] = {"ganesha.nfsd", "-F", "-f", conf, "-L", log, "-p", pid, NULL};
		struct lib_run_opts o = {.argv = argv, .netns_fd = rt->nsfd, .out_fd = -1};
		rc = lib_run_start(rt->env.ev, &o, on_server_end, srv, &srv->run);
	} else {
		char sdir[PATH_MAX];
		smb_state_dir(rt, sdir, sizeof(sdir));
		rc = fx_samba_mkdirs(sdir);
		vs_file(rt, "smb.conf", conf, sizeof(conf));
		const char *argv[] = {"smbd", "--foreground", "--no-process-group",
		                      "-s",   conf,           NULL};
		struct lib_run_opts o = {.argv = argv, .netns_fd = rt->nsfd, .out_fd = -1};
		if (rc == 0)
			rc = lib_run_start(rt->env.ev, &o, on_server_end, srv, &srv->run);
	}
	if (rc < 0) {
		fail(rt, "cannot start %s: %s", srv_name(srv->kind), strerror(-rc));
		return rc;
	}
	srv->started_usec = now_usec(rt);
	srv->ready = false;
	rt_event(rt, "info", "started %s (pid %d) in namespace %s", srv_name(srv->kind),
	         lib_run_pid(srv->run), rt->netns);
	rc = wait_ready(rt, srv);
	return rc < 0 ? rc : 1;
}

static int stop_server(struct vs_runtime *rt, struct server *srv)
{
	srv->restart_timer = sd_event_source_disable_unref(srv->restart_timer);
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

/* --- VIPs ------------------------------------------------------------------------ */

static struct vipst *find_vip(struct vs_runtime *rt, const char *addr)
{
	for (int i = 0; i < rt->n_vips; i++)
		if (strcmp(rt->vips[i].addr, addr) == 0)
			return &rt->vips[i];
	return NULL;
}

static void vip_ifname(const char *addr, char slot, char *buf, size_t len)
{
	uint8_t mac[6];

	vs_vip_mac("", addr, mac);
	snprintf(buf, len, "v%02x%02x%02x%02x%c", mac[2], mac[3], mac[4], mac[5], slot);
}

static const struct vs_vip *want_vip(const struct vs_runtime *rt, const char *addr)
{
	for (int i = 0; i < rt->want.n_vips; i++)
		if (strcmp(rt->want.vips[i].addr, addr) == 0)
			return &rt->want.vips[i];
	return NULL;
}

static void vip_spec(const struct vs_runtime *rt, const struct vs_vip *v, const char *ifname,
                     const char *port, struct nf_vip_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->family = v->family;
	spec->addr = v->addr;
	spec->prefix = v->prefix;
	spec->ifname = ifname;
	spec->parent = port;
	vs_vip_mac(rt->want.name, v->addr, spec->mac);
}

/* Repeats of the announcements, 100 ms apart, after the first one. */
static int on_announce(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct vs_runtime *rt = userdata;
	bool more = false;

	for (int i = 0; i < rt->n_vips; i++) {
		struct vipst *st = &rt->vips[i];
		const struct vs_vip *v = want_vip(rt, st->addr);
		struct nf_vip_spec spec;
		if (!st->up || st->announce_left <= 0 || !v)
			continue;
		vip_spec(rt, v, st->ifname, st->port, &spec);
		if (nf_vip_announce_fd(rt->afd, rt->nsfd, &spec, 1) < 0)
			st->announce_left = 0;
		else
			st->announce_left--;
		more |= st->announce_left > 0;
	}
	if (more) {
		sd_event_source_set_time_relative(s, ANNOUNCE_GAP_USEC);
		sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	} else {
		rt->announce_timer = sd_event_source_disable_unref(rt->announce_timer);
	}
	return 0;
}

static void announce_later(struct vs_runtime *rt, struct vipst *st)
{
	st->announce_left = ANNOUNCE_COUNT - 1;
	if (!rt->announce_timer &&
	    sd_event_add_time_relative(rt->env.ev, &rt->announce_timer, CLOCK_MONOTONIC,
	                               ANNOUNCE_GAP_USEC, 0, on_announce, rt) < 0)
		lib_warn("%s: cannot arm the announcement timer", rt->want.name);
}

/* Devices left behind by moves: deleting one takes the kernel 15-20 ms (an
 * RCU grace period), so it is done after every announcement of this round. */
static int on_reap_stale(sd_event_source *s, void *userdata)
{
	struct vs_runtime *rt = userdata;

	rt->reap_defer = sd_event_source_disable_unref(rt->reap_defer);
	for (int i = 0; i < rt->n_stale && rt->nsfd >= 0; i++) {
		int rc = nf_vip_down(rt->nsfd, rt->stale[i]);
		if (rc < 0 && rc != -ENODEV)
			lib_warn("%s: cannot delete the old device %s: %s", rt->want.name,
			         rt->stale[i], strerror(-rc));
	}
	rt->n_stale = 0;
	return 0;
}

static void drop_later(struct vs_runtime *rt, const char *ifname)
{
	if (rt->n_stale < (int)(sizeof(rt->stale) / sizeof(rt->stale[0])))
		snprintf(rt->stale[rt->n_stale++], sizeof(rt->stale[0]), "%s", ifname);
	else
		lib_warn("%s: too many old devices to delete at once; %s stays until the "
		         "virtual server stops",
		         rt->want.name, ifname);
	if (!rt->reap_defer &&
	    sd_event_add_defer(rt->env.ev, &rt->reap_defer, on_reap_stale, rt) < 0)
		lib_warn("%s: cannot schedule the deletion of %s", rt->want.name, ifname);
}

int vs_runtime_vip_move(struct vs_runtime *rt, const char *addr, const char *port)
{
	struct vipst *st = find_vip(rt, addr);
	const struct vs_vip *v = want_vip(rt, addr);
	struct nf_vip_spec spec;
	char ifname[16], old[16];
	int rc;

	if (!st || !st->up || !v || rt->nsfd < 0)
		return -ENOENT;
	if (strcmp(st->port, port) == 0)
		return 0;
	char slot = st->slot == 'a' ? 'b' : 'a';
	vip_ifname(addr, slot, ifname, sizeof(ifname));
	vip_spec(rt, v, ifname, port, &spec);
	rc = nf_vip_up(rt->nsfd, &spec);
	if (rc < 0)
		return rc;
	/* Announce first; the old device goes once every VIP of this round moved. */
	rc = nf_vip_announce_fd(rt->afd, rt->nsfd, &spec, 1);
	snprintf(old, sizeof(old), "%s", st->ifname);
	snprintf(st->ifname, sizeof(st->ifname), "%s", ifname);
	snprintf(st->port, sizeof(st->port), "%s", port);
	st->slot = slot;
	drop_later(rt, old);
	if (rc < 0)
		lib_warn("%s: announcing %s on %s failed: %s", rt->want.name, addr, port,
		         strerror(-rc));
	announce_later(rt, st);
	return 0;
}

const char *vs_runtime_vip_port(const struct vs_runtime *rt, const char *addr)
{
	for (int i = 0; i < rt->n_vips; i++)
		if (strcmp(rt->vips[i].addr, addr) == 0 && rt->vips[i].up)
			return rt->vips[i].port;
	return NULL;
}

static int ensure_vips(struct vs_runtime *rt)
{
	for (int i = 0; i < rt->want.n_vips; i++) {
		const struct vs_vip *v = &rt->want.vips[i];
		struct vipst *st = find_vip(rt, v->addr);
		struct nf_vip_spec spec = {
		    .family = v->family, .addr = v->addr, .prefix = v->prefix};
		char ifname[16], macs[24];
		int rc;

		if (st && st->up)
			continue;
		const char *port =
		    rt->env.vip_port ? rt->env.vip_port(rt->env.arg, rt->want.name, v) : NULL;
		if (!port)
			port = v->home_port;
		/* Fresh: a device of the other slot may be left from before a daemon
		 * restart; it would hold the same MAC. */
		vip_ifname(v->addr, 'b', ifname, sizeof(ifname));
		nf_vip_down(rt->nsfd, ifname);
		vip_ifname(v->addr, 'a', ifname, sizeof(ifname));
		vip_spec(rt, v, ifname, port, &spec);
		rc = nf_vip_up(rt->nsfd, &spec);
		if (rc < 0) {
			fail(rt, "cannot bring up virtual IP %s/%d on port %s: %s", v->addr,
			     v->prefix, port, strerror(-rc));
			return 1;
		}
		if (!st && rt->n_vips >= VS_MAX_VIPS) {
			fail(rt, "cannot track virtual IP %s: %d are up already", v->addr,
			     VS_MAX_VIPS);
			return 1;
		}
		if (!st) {
			st = &rt->vips[rt->n_vips++];
			memset(st, 0, sizeof(*st));
			snprintf(st->addr, sizeof(st->addr), "%s", v->addr);
		}
		snprintf(st->ifname, sizeof(st->ifname), "%s", ifname);
		snprintf(st->port, sizeof(st->port), "%s", port);
		st->slot = 'a';
		st->up = true;
		rc = nf_vip_announce_fd(rt->afd, rt->nsfd, &spec, 1);
		announce_later(rt, st);
		snprintf(macs, sizeof(macs), "%02x:%02x:%02x:%02x:%02x:%02x", spec.mac[0],
		         spec.mac[1], spec.mac[2], spec.mac[3], spec.mac[4], spec.mac[5]);
		rt_event(rt, rc < 0 ? "warning" : "info",
		         "virtual IP %s/%d up on port %s (MAC %s)%s%s", v->addr, v->prefix, port,
		         macs, rc < 0 ? ", announcement failed: " : ", announced",
		         rc < 0 ? strerror(-rc) : "");
	}
	return 0;
}

static bool vip_wanted(const struct vs_runtime *rt, const char *addr)
{
	if (rt->want.admin != VS_ADMIN_RUNNING)
		return false;
	for (int i = 0; i < rt->want.n_vips; i++)
		if (strcmp(rt->want.vips[i].addr, addr) == 0)
			return true;
	return false;
}

static void drop_vips(struct vs_runtime *rt)
{
	for (int i = 0; i < rt->n_vips; i++) {
		struct vipst *st = &rt->vips[i];
		if (vip_wanted(rt, st->addr))
			continue;
		if (rt->nsfd >= 0) {
			int rc = nf_vip_down(rt->nsfd, st->ifname);
			if (rc < 0 && rc != -ENODEV)
				rt_event(rt, "warning", "cannot remove virtual IP %s: %s", st->addr,
				         strerror(-rc));
			else
				rt_event(rt, "info", "virtual IP %s down (was on port %s)",
				         st->addr, st->port);
		}
		memmove(st, st + 1, (size_t)(rt->n_vips - i - 1) * sizeof(*st));
		rt->n_vips--;
		i--;
	}
}

/* --- storage probes ------------------------------------------------------------------ */

static void on_probe_end(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct vs_runtime *rt = arg;
	struct mountst *m = NULL;
	bool ok = res->end == LIB_RUN_EXITED && res->exit_code == 0;
	char how[96], out[120];

	for (int i = 0; i < rt->n_mounts; i++)
		if (rt->mounts[i].probe == run)
			m = &rt->mounts[i];
	if (!m) {
		lib_run_destroy(run);
		return;
	}
	lib_run_describe(res, how, sizeof(how));
	snprintf(out, sizeof(out), "%s", res->output);
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = ' ';
	m->probe = NULL;
	lib_run_destroy(run);
	if (ok && m->probe_failed) {
		m->probe_failed = false;
		m->probe_error[0] = '\0';
		rt_event(rt, "info", "storage probe of file system %s (%s) healthy again", m->name,
		         m->dev);
		if (rt->storage_failed) {
			/* Converge again now rather than at the next retry. */
			rt->retry_timer = sd_event_source_disable_unref(rt->retry_timer);
			kick(rt);
		}
	} else if (!ok && !m->probe_failed) {
		m->probe_failed = true;
		snprintf(m->probe_error, sizeof(m->probe_error), "%s%s%s", how, *out ? ": " : "",
		         out);
		storage_fail(rt, "storage probe of file system %s (%s) failed: %s", m->name, m->dev,
		             m->probe_error);
	}
}

static int on_probe_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct vs_runtime *rt = userdata;
	bool lost = false;

	for (int i = 0; i < rt->n_mounts; i++) {
		struct mountst *m = &rt->mounts[i];
		if (!m->mounted)
			continue;
		/* mountinfo comes from the kernel's tables, not from the storage:
		 * reading it never blocks on a dead path. */
		if (!m->probe && fx_mount_find(m->dir, NULL, 0) != 0) {
			rt_event(
			    rt, "error",
			    "file system %s (%s) is no longer mounted on %s; mounting it again "
			    "and restarting the servers that used it",
			    m->name, m->dev, m->dir);
			m->mounted = false;
			m->probe_failed = false;
			m->probe_error[0] = '\0';
			forget_prep(m);
			lost = true;
			continue;
		}
		if (m->probe) {
			if (!m->probe_failed) {
				/* Still running after a whole interval: the path hangs. */
				m->probe_failed = true;
				snprintf(m->probe_error, sizeof(m->probe_error),
				         "no answer within %.0f s",
				         (double)rt->env.probe_interval_usec / 1e6);
				storage_fail(rt, "storage probe of file system %s (%s) failed: %s",
				             m->name, m->dev, m->probe_error);
			}
			continue;
		}
		/* The child resolves .appliance beneath the mount (fx_tree_probe). */
		const char *argv[] = {rt->self_exe, "--storage-probe", m->dir, NULL};
		struct lib_run_opts o = {.argv = argv,
		                         .netns_fd = -1,
		                         .capture = true,
		                         .timeout_usec = 4 * rt->env.probe_interval_usec};
		if (lib_run_start(rt->env.ev, &o, on_probe_end, rt, &m->probe) < 0)
			lib_warn("%s: cannot start the storage probe of %s", rt->want.name, m->dir);
	}
	if (lost) {
		/* The servers hold files of the old mount: restart them on the new one. */
		for (int k = 0; k < 2; k++)
			stop_server(rt, &rt->srv[k]);
		set_state(rt, VS_RT_STARTING);
		kick(rt);
	}
	sd_event_source_set_time_relative(s, rt->env.probe_interval_usec);
	sd_event_source_set_enabled(s, SD_EVENT_ON);
	return 0;
}

static void stop_probes(struct vs_runtime *rt)
{
	rt->probe_timer = sd_event_source_disable_unref(rt->probe_timer);
	for (int i = 0; i < rt->n_mounts; i++) {
		lib_run_destroy(rt->mounts[i].probe);
		rt->mounts[i].probe = NULL;
	}
}

/* --- the reconciler ---------------------------------------------------------------- */

static void converge_running(struct vs_runtime *rt)
{
	bool nfs_changed = false, smb_changed = false;
	int rc;

	if (rt->state != VS_RT_FAILED)
		set_state(rt, rt->state == VS_RT_RUNNING ? VS_RT_RUNNING : VS_RT_STARTING);
	drop_vips(rt);
	if (ensure_netns(rt) < 0)
		return;
	if (ensure_mounts(rt))
		return;
	if (ensure_prepared(rt))
		return;
	rc = write_configs(rt, &nfs_changed, &smb_changed);
	if (rc < 0) {
		fail(rt, "cannot write the server configuration: %s", strerror(-rc));
		return;
	}
	if (nfs_changed && rt->srv[SRV_NFS].run && rt->srv[SRV_NFS].ready) {
		lib_run_signal(rt->srv[SRV_NFS].run, SIGHUP);
		rt_event(rt, "info", "ganesha.nfsd reloads its exports (SIGHUP)");
	}
	if (!rt->srv[SRV_NFS].run) {
		rc = start_server(rt, &rt->srv[SRV_NFS]);
		if (rc != 0)
			return;
	}
	if (rt->want.n_shares > 0) {
		if (smb_changed && rt->srv[SRV_SMB].run && rt->srv[SRV_SMB].ready) {
			lib_run_signal(rt->srv[SRV_SMB].run, SIGHUP);
			rt_event(rt, "info", "smbd reloads its shares (SIGHUP)");
		}
		if (!rt->srv[SRV_SMB].run) {
			rc = start_server(rt, &rt->srv[SRV_SMB]);
			if (rc != 0)
				return;
		}
	} else if (rt->srv[SRV_SMB].run) {
		if (stop_server(rt, &rt->srv[SRV_SMB]))
			return;
	}
	if (ensure_vips(rt))
		return;
	if (drop_mounts(rt))
		return;
	for (int i = 0; i < rt->n_mounts; i++) {
		const struct mountst *m = &rt->mounts[i];
		if (m->mounted && m->probe_failed) {
			/* Serving goes on, but the VS is reported storage-failed until
			 * the probe of every file system is healthy again. */
			storage_fail(rt, "storage probe of file system %s (%s) failed: %s", m->name,
			             m->dev, m->probe_error);
			goto probes;
		}
	}
	if (rt->state != VS_RT_RUNNING)
		rt_event(rt, "info", "running on node %s", rt->node);
	rt->mmp_reset_from[0] = '\0'; /* one takeover, one reset */
	set_state(rt, VS_RT_RUNNING);
probes:
	if (!rt->probe_timer &&
	    sd_event_add_time_relative(rt->env.ev, &rt->probe_timer, CLOCK_MONOTONIC,
	                               rt->env.probe_interval_usec, 0, on_probe_timer, rt) < 0)
		lib_warn("%s: cannot arm the storage probe timer", rt->want.name);
}

static void converge_stopped(struct vs_runtime *rt)
{
	bool anything = rt->nsfd >= 0 || rt->n_mounts || rt->n_vips || rt->srv[0].run ||
	                rt->srv[1].run || nf_netns_exists(rt->netns) == 1;

	if (!anything) {
		if (rt->state != VS_RT_STOPPED && rt->state != VS_RT_FAILED)
			rt_event(rt, "info", "stopped");
		if (rt->state != VS_RT_FAILED || rt->want.admin == VS_ADMIN_STOPPED)
			set_state(rt, VS_RT_STOPPED);
		return;
	}
	set_state(rt, VS_RT_STOPPING);
	rt->mmp_reset_from[0] = '\0';
	if (rt->nsfd < 0 && nf_netns_exists(rt->netns) == 1) {
		rt->nsfd = nf_netns_open(rt->netns);
		if (rt->nsfd < 0)
			rt->nsfd = -1;
	}
	drop_vips(rt); /* first: no client may reach a half-stopped VS */
	if (stop_server(rt, &rt->srv[SRV_SMB]))
		return;
	if (stop_server(rt, &rt->srv[SRV_NFS]))
		return;
	stop_probes(rt);
	if (drop_mounts(rt))
		return;
	drop_netns(rt);
	rt_event(rt, "info", "stopped: virtual IPs down, servers stopped, file systems unmounted");
	set_state(rt, VS_RT_STOPPED);
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

static void kick(struct vs_runtime *rt)
{
	if (rt->defer)
		return;
	if (sd_event_add_defer(rt->env.ev, &rt->defer, on_defer, rt) < 0)
		lib_err("%s: cannot schedule reconciliation", rt->want.name);
}

/* --- public ------------------------------------------------------------------------ */

void vs_runtime_allow_mmp_reset(struct vs_runtime *rt, const char *fenced_node)
{
	snprintf(rt->mmp_reset_from, sizeof(rt->mmp_reset_from), "%s", fenced_node);
	for (int i = 0; i < rt->n_mounts; i++)
		rt->mounts[i].mmp_reset_tried = false;
	kick(rt);
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
	for (int k = 0; k < 2; k++)
		rt->srv[k].backoff =
		    (struct lib_backoff){.min = RESTART_MIN_USEC, .max = RESTART_MAX_USEC};
	rt->srv[SRV_NFS].kind = SRV_NFS;
	rt->srv[SRV_SMB].kind = SRV_SMB;
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
	kick(rt);
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
	kick(rt);
}

void vs_runtime_destroy(struct vs_runtime *rt)
{
	if (!rt)
		return;
	rt->defer = sd_event_source_disable_unref(rt->defer);
	rt->retry_timer = sd_event_source_disable_unref(rt->retry_timer);
	rt->ready_timer = sd_event_source_disable_unref(rt->ready_timer);
	stop_probes(rt);
	lib_run_destroy(rt->op);
	lib_run_destroy(rt->prep);
	prep_done(rt);
	for (int i = 0; i < rt->n_mounts; i++)
		forget_prep(&rt->mounts[i]);
	for (int i = 0; i < 2; i++) {
		rt->srv[i].restart_timer = sd_event_source_disable_unref(rt->srv[i].restart_timer);
		lib_run_detach(rt->srv[i].run);
	}
	rt->announce_timer = sd_event_source_disable_unref(rt->announce_timer);
	if (rt->reap_defer) /* do not leave an old device holding the MAC */
		on_reap_stale(rt->reap_defer, rt);
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
		json_array_append_new(vips,
		                      json_pack("{s:s, s:s, s:s, s:b}", "address", rt->vips[i].addr,
		                                "port", rt->vips[i].port, "device",
		                                rt->vips[i].ifname, "up", rt->vips[i].up));
	for (int i = 0; i < 2; i++) {
		const struct server *s = &rt->srv[i];
		json_object_set_new(
		    servers, i == SRV_NFS ? "nfs" : "smb",
		    json_pack("{s:s, s:i, s:b, s:i, s:s}", "program", srv_name(s->kind), "pid",
		              s->run ? (int)lib_run_pid(s->run) : 0, "serving", s->run && s->ready,
		              "restarts", (int)s->restarts, "last_end", s->last_end));
	}
	return json_pack("{s:s, s:s, s:b, s:s, s:s, s:o, s:o, s:o}", "state",
	                 vs_rt_state_name(rt->state), "reason", rt->reason, "storage_failed",
	                 vs_runtime_storage_failed(rt), "node", rt->node, "netns", rt->netns,
	                 "filesystems", fss, "vips", vips, "servers", servers);
}
