/*
 * vs_rt_storage.c - the storage of one VS (see vs_runtime_int.h): mounts
 * (ext4 with MMP; the MMP reset of a takeover from a fenced node), the
 * preparation of each mounted file system in a child (fx_tree, --fs-prepare),
 * and the storage probes every few seconds. Nothing here makes a syscall on
 * a mounted file system: children do, through lib_run with deadlines.
 */
#include "vserver/vs_runtime_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsexport/fx_lun.h"
#include "fsexport/fx_mount.h"
#include "fsexport/fx_tree.h"
#include "lib/lib_fs.h"
#include "lib/lib_log.h"
#include "lib/lib_mntns.h"

static void mount_dir(const struct vs_runtime *rt, const char *fs, char *buf, size_t len)
{
	snprintf(buf, len, "%s/mnt/%s/%s", rt->run_dir, rt->want.name, fs);
}

struct mountst *vs_rt_find_mount(struct vs_runtime *rt, const char *fs)
{
	for (int i = 0; i < rt->n_mounts; i++)
		if (strcmp(rt->mounts[i].name, fs) == 0)
			return &rt->mounts[i];
	return NULL;
}

void vs_rt_forget_prep(struct mountst *m)
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

	vs_rt_forget_prep(m);
	memmove(m, m + 1, (size_t)(rt->n_mounts - i - 1) * sizeof(*m));
	rt->n_mounts--;
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
			vs_rt_event(rt, "info",
			            "file system %s: multi-mount protection reset on %s, without "
			            "waiting, because its last holder %s %s",
			            m->name, m->dev, rt->mmp_reset_from,
			            rt->mmp_reset_fenced
			                ? "was fenced"
			                : "unmounted it (its failed path could not "
			                  "mark it clean)");
		else
			vs_rt_event(rt, "warning",
			            "file system %s: resetting multi-mount protection on %s failed "
			            "(tune2fs %s: %s); mounting waits for it instead",
			            m->name, m->dev, how, out);
	} else if (rt->op_mount) {
		if (ok) {
			m->mounted = true;
			vs_rt_forget_prep(m); /* its layout is prepared next, off the loop */
			vs_rt_event(rt, "info", "mounted file system %s (%s) on %s", m->name,
			            m->dev, m->dir);
		} else {
			rt->busy = false;
			rt->op = NULL;
			lib_run_destroy(run);
			vs_rt_fail(rt, "mounting file system %s (%s) failed: mount %s: %s", m->name,
			           m->dev, how, out);
			return;
		}
	} else {
		if (ok) {
			vs_rt_event(rt, "info", "unmounted file system %s from %s", m->name,
			            m->dir);
			if (rmdir(m->dir) < 0 && errno != ENOENT)
				lib_warn("%s: cannot remove %s: %s", rt->want.name, m->dir,
				         strerror(errno));
			forget_mount(rt, rt->op_index);
		} else {
			rt->busy = false;
			rt->op = NULL;
			lib_run_destroy(run);
			vs_rt_fail(rt, "unmounting file system %s from %s failed: umount %s: %s",
			           m->name, m->dir, how, out);
			return;
		}
	}
	rt->busy = false;
	rt->op = NULL;
	lib_run_destroy(run);
	vs_rt_kick(rt);
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
		vs_rt_fail(rt, "cannot run %s: %s", o.argv[0], strerror(-rc));
		return rc;
	}
	rt->busy = true;
	return 0;
}

/* Make sure every desired file system is mounted; returns 1 when a step is in
 * flight or failed (reconcile must stop here), 0 when all are mounted. */
int vs_rt_ensure_mounts(struct vs_runtime *rt)
{
	/* The VSs' file systems are mounted beneath one shared directory, so
	 * the servers' own mount namespaces (slaves, vs_rt_servers.c) see each
	 * mount and unmount made here: before the first mount there. */
	char base[PATH_MAX];
	snprintf(base, sizeof(base), "%s/mnt", rt->run_dir);
	int sr = lib_mkdir_p(base, 0755);
	if (sr == 0)
		sr = lib_mntns_share(base);
	if (sr < 0) {
		vs_rt_fail(rt, "cannot make %s a shared mount for the servers' namespaces: %s%s",
		           base, strerror(-sr),
		           sr == -EBUSY
		               ? " (file systems were mounted there by an earlier version: "
		                 "restart the node)"
		               : "");
		return 1;
	}
	for (int i = 0; i < rt->want.n_fs; i++) {
		const struct vs_fs *f = &rt->want.fs[i];
		const char *tag = f->lun_kind == VS_LUN_UUID ? "UUID" : "LABEL";
		struct mountst *m = vs_rt_find_mount(rt, f->name);
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
			vs_rt_fail(rt, "LUN %s=%s of file system %s is not visible on node %s", tag,
			           f->lun, f->name, rt->node);
			return 1;
		}
		if (rc < 0) {
			vs_rt_fail(rt, "LUN %s=%s of file system %s cannot be read: %s", tag,
			           f->lun, f->name, strerror(-rc));
			return 1;
		}
		if (strcmp(lun.type, "ext4") != 0) {
			vs_rt_fail(rt,
			           "LUN %s=%s holds a %s file system; only ext4 with multi-mount "
			           "protection is supported",
			           tag, f->lun, lun.type[0] ? lun.type : "unknown");
			return 1;
		}
		if (!lun.mmp) {
			vs_rt_fail(
			    rt,
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
			vs_rt_event(rt, "info", "file system %s found mounted on %s (%s)", m->name,
			            m->dir, src);
			continue;
		}
		rc = lib_mkdir_p(m->dir, 0755);
		if (rc < 0) {
			vs_rt_fail(rt, "cannot create the mount point %s: %s", m->dir,
			           strerror(-rc));
			return 1;
		}
		if (rt->mmp_reset_from[0] && !m->mmp_reset_tried) {
			/* Taken over from a node that was powered off (fenced), or
			 * that unmounted it with its path failed: it cannot write
			 * any more, so the MMP block it left "in use" is reset
			 * instead of waiting for it (~22 s here). */
			m->mmp_reset_tried = true;
			start_op(rt, (int)(m - rt->mounts), true, true);
			return 1;
		}
		vs_rt_event(rt, "info", "mounting file system %s: LUN %s=%s is %s", f->name, tag,
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

/* A file system of the VS mounted here that this runtime does not know: a
 * daemon restarted (kill -9 while it released the VS) and told to stop a VS
 * it has not started again finds its mount left. Adopted, so that it is
 * unmounted before the VS is said to be stopped: a "stopped" with a mount
 * left would let the next node's mount fail on MMP (or worse, without it). */
static int adopt_leftovers(struct vs_runtime *rt)
{
	if (rt->want.admin == VS_ADMIN_RUNNING)
		return 0; /* ensure_mounts finds them when it runs */
	for (int i = 0; i < rt->want.n_fs; i++) {
		const char *name = rt->want.fs[i].name;
		char dir[sizeof(rt->mounts[0].dir)], src[sizeof(rt->mounts[0].dev)];
		struct mountst *m;

		if (vs_rt_find_mount(rt, name))
			continue;
		mount_dir(rt, name, dir, sizeof(dir));
		int rc = fx_mount_find(dir, src, sizeof(src));
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return rc; /* cannot tell: never "stopped" on a guess */
		if (rt->n_mounts >= VS_MAX_FS)
			abort(); /* bounded by the model: one entry per file system */
		m = &rt->mounts[rt->n_mounts++];
		memset(m, 0, sizeof(*m));
		snprintf(m->name, sizeof(m->name), "%s", name);
		snprintf(m->dir, sizeof(m->dir), "%s", dir);
		snprintf(m->dev, sizeof(m->dev), "%s", src);
		m->mounted = true;
		vs_rt_event(rt, "info", "file system %s found mounted on %s (%s): unmounting it",
		            name, dir, src);
	}
	return 0;
}

/* Unmount what is mounted but not wanted; 1 if a step is in flight. */
int vs_rt_drop_mounts(struct vs_runtime *rt)
{
	int rc = adopt_leftovers(rt);
	if (rc < 0) {
		vs_rt_fail(rt, "cannot tell which file systems are still mounted: %s",
		           strerror(-rc));
		return 1;
	}
	for (int i = 0; i < rt->n_mounts; i++) {
		struct mountst *m = &rt->mounts[i];
		if (fs_wanted(rt, m->name))
			continue;
		if (m->probe || (rt->prep && strcmp(rt->prep_fs, m->name) == 0))
			return 1; /* wait for the probe or the preparation to finish */
		/* Forgotten only when mountinfo says it is not mounted: a failed
		 * read of it is no evidence, and a "stopped" with a mount left
		 * would let the next node reset MMP under it. */
		rc = m->mounted ? 0 : fx_mount_find(m->dir, NULL, 0);
		if (rc == -ENOENT) {
			forget_mount(rt, i);
			i--;
			continue;
		}
		if (rc < 0) {
			vs_rt_fail(rt, "cannot tell whether %s is still mounted: %s", m->dir,
			           strerror(-rc));
			return 1;
		}
		m->mounted = false;
		start_op(rt, i, false, false);
		return 1;
	}
	return 0;
}

/* --- preparation of the file systems ------------------------------------------ */

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

void vs_rt_prep_done(struct vs_runtime *rt)
{
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
		vs_rt_event(rt, "error", "%s %s is not published: %s/%s %s",
		            ex ? "export" : "share", ex ? e->pseudo : sh->name, fs, sub,
		            rc == -ELOOP   ? "has a symbolic link on its way (not followed)"
		            : rc == -EXDEV ? "leads outside its file system"
		                           : strerror(-rc));
	}
}

static void on_prep_end(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct vs_runtime *rt = arg;
	struct mountst *m = vs_rt_find_mount(rt, rt->prep_fs);
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
		vs_rt_forget_prep(m);
		m->prep_subs = rt->prep_subs;
		m->prep_rcs = rcs;
		m->n_prep = rt->n_prep_subs;
		rt->prep_subs = NULL;
		vs_rt_prep_done(rt);
		report_prep(rt, m);
		vs_rt_kick(rt);
		return;
	}
	free(rcs);
	vs_rt_prep_done(rt);
	if (!m || !m->mounted) {
		vs_rt_kick(rt);
		return;
	}
	if (ok)
		vs_rt_storage_fail(rt, "preparing file system %s gave an unreadable answer: %s", fs,
		                   strerror(-rc));
	else if (res->end == LIB_RUN_EXITED && res->exit_code == 1)
		vs_rt_storage_fail(rt, "file system %s (%s): %s", fs, m->dev, out);
	else if (res->end == LIB_RUN_TIMED_OUT || res->end == LIB_RUN_STUCK)
		/* lib_run reports a child still in the kernel after its kill as
		 * STUCK and frees us from it: the loop goes on. */
		vs_rt_storage_fail(rt,
		                   "file system %s (%s) does not answer: preparing it took more "
		                   "than %llu s",
		                   fs, m->dev,
		                   (unsigned long long)(PREPARE_TIMEOUT_USEC / 1000000));
	else
		vs_rt_storage_fail(rt, "file system %s (%s) does not answer: preparing it %s", fs,
		                   m->dev, how);
}

/* Lay out every mounted file system and create the sub-directories its
 * exports and shares name, in a child (fx_tree.h): 1 while one is in
 * flight or failed (reconcile stops here), 0 when all are prepared. */
int vs_rt_ensure_prepared(struct vs_runtime *rt)
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
			vs_rt_fail(rt, "cannot prepare file system %s: %s", m->name,
			           strerror(ENOMEM));
			return 1;
		}
		if (m->prep_subs && strcmp(m->prep_subs, subs) == 0) {
			free(subs);
			continue;
		}
		argv = calloc((size_t)n + 4, sizeof(*argv));
		if (!argv) {
			free(subs);
			vs_rt_fail(rt, "cannot prepare file system %s: %s", m->name,
			           strerror(ENOMEM));
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
			vs_rt_fail(rt, "cannot prepare file system %s: %s", m->name, strerror(-rc));
			return 1;
		}
		snprintf(rt->prep_fs, sizeof(rt->prep_fs), "%s", m->name);
		rt->prep_subs = subs;
		rt->n_prep_subs = n;
		return 1;
	}
	return 0;
}

/* The path of a prepared export/share sub-directory (0), or why not. */
int vs_rt_published_path(struct vs_runtime *rt, const char *fs, const char *sub, char *out,
                         size_t len)
{
	const struct mountst *m = vs_rt_find_mount(rt, fs);
	int rc;

	if (!m || !m->mounted || !m->prep_subs)
		return -ENOENT;
	rc = prep_result(m, sub);
	return rc < 0 ? rc : fx_tree_data_path(m->dir, sub, out, len);
}

/* --- storage probes ------------------------------------------------------------------ */

static uint64_t probe_deadline(const struct vs_runtime *rt)
{
	return rt->env.probe_deadline_usec ? rt->env.probe_deadline_usec
	                                   : 3 * rt->env.probe_interval_usec;
}

static uint64_t mono_now(const struct vs_runtime *rt)
{
	uint64_t now = 0;

	if (sd_event_now(rt->env.ev, CLOCK_MONOTONIC, &now) < 0)
		abort(); /* CLOCK_MONOTONIC is always there */
	return now;
}

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
	if (m->probe_slow && ok && !m->probe_failed)
		vs_rt_event(rt, "info",
		            "storage probe of file system %s (%s) answered after %.1f s", m->name,
		            m->dev, (double)(mono_now(rt) - m->probe_start_usec) / 1e6);
	m->probe_slow = false;
	if (ok && m->probe_failed) {
		m->probe_failed = false;
		m->probe_error[0] = '\0';
		vs_rt_event(rt, "info", "storage probe of file system %s (%s) healthy again",
		            m->name, m->dev);
		if (rt->storage_failed) {
			/* Converge again now rather than at the next retry. */
			rt->retry_timer = sd_event_source_disable_unref(rt->retry_timer);
			vs_rt_kick(rt);
		}
	} else if (!ok && !m->probe_failed) {
		m->probe_failed = true;
		snprintf(m->probe_error, sizeof(m->probe_error), "%s%s%s", how, *out ? ": " : "",
		         out);
		vs_rt_storage_fail(rt, "storage probe of file system %s (%s) failed: %s", m->name,
		                   m->dev, m->probe_error);
	}
}

int vs_rt_on_probe_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct vs_runtime *rt = userdata;
	bool lost = false;

	for (int i = 0; i < rt->n_mounts; i++) {
		struct mountst *m = &rt->mounts[i];
		if (!m->mounted)
			continue;
		/* mountinfo comes from the kernel's tables, not from the storage:
		 * reading it never blocks on a dead path. */
		if (!m->probe && fx_mount_find(m->dir, NULL, 0) == -ENOENT) {
			vs_rt_event(
			    rt, "error",
			    "file system %s (%s) is no longer mounted on %s; mounting it again "
			    "and restarting the servers that used it",
			    m->name, m->dev, m->dir);
			m->mounted = false;
			m->probe_failed = false;
			m->probe_error[0] = '\0';
			vs_rt_forget_prep(m);
			lost = true;
			continue;
		}
		if (m->probe) {
			uint64_t took = mono_now(rt) - m->probe_start_usec;
			if (!m->probe_failed && took >= probe_deadline(rt)) {
				/* No answer within the deadline: the path hangs. */
				m->probe_failed = true;
				snprintf(m->probe_error, sizeof(m->probe_error),
				         "no answer within %.0f s",
				         (double)probe_deadline(rt) / 1e6);
				vs_rt_storage_fail(
				    rt, "storage probe of file system %s (%s) failed: %s", m->name,
				    m->dev, m->probe_error);
			} else if (!m->probe_failed && !m->probe_slow) {
				/* Slow, not lost yet: a busy LUN makes fsync wait. */
				m->probe_slow = true;
				vs_rt_event(rt, "warning",
				            "storage probe of file system %s (%s) slow: no answer "
				            "after %.1f s; it counts as failed after %.0f s",
				            m->name, m->dev, (double)took / 1e6,
				            (double)probe_deadline(rt) / 1e6);
			}
			continue;
		}
		/* The child resolves .appliance beneath the mount (fx_tree_probe). */
		const char *argv[] = {rt->self_exe, "--storage-probe", m->dir, NULL};
		struct lib_run_opts o = {.argv = argv,
		                         .netns_fd = -1,
		                         .capture = true,
		                         .timeout_usec =
		                             probe_deadline(rt) + rt->env.probe_interval_usec};
		if (lib_run_start(rt->env.ev, &o, on_probe_end, rt, &m->probe) < 0)
			lib_warn("%s: cannot start the storage probe of %s", rt->want.name, m->dir);
		else
			m->probe_start_usec = mono_now(rt);
	}
	if (lost) {
		/* The file servers hold files of the old mount: restart them on the
		 * new one (the statistics bus holds none). */
		vs_rt_stop_server(rt, &rt->srv[SRV_NFS]);
		vs_rt_stop_server(rt, &rt->srv[SRV_SMB]);
		vs_rt_stop_server(rt, &rt->srv[SRV_WINBIND]); /* its tdbs are on the mount */
		vs_rt_set_state(rt, VS_RT_STARTING);
		vs_rt_kick(rt);
	}
	sd_event_source_set_time_relative(s, rt->env.probe_interval_usec);
	sd_event_source_set_enabled(s, SD_EVENT_ON);
	return 0;
}

void vs_rt_stop_probes(struct vs_runtime *rt)
{
	rt->probe_timer = sd_event_source_disable_unref(rt->probe_timer);
	for (int i = 0; i < rt->n_mounts; i++) {
		lib_run_destroy(rt->mounts[i].probe);
		rt->mounts[i].probe = NULL;
	}
}
