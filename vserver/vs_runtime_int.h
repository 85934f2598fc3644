/*
 * vs_runtime_int.h - what the files of the VS runtime share (private).
 *
 * vs_runtime is one object (struct vs_runtime, one VS converging on this
 * node, see vs_runtime.h) split by concept over several files; this header
 * is their common ground and is included by them alone:
 *   vs_runtime.c     the reconciler: state, failure and retry, the
 *                    namespace, converge_running/stopped, create, update,
 *                    destroy, the live state as JSON
 *   vs_rt_storage.c  mounts (and the MMP reset of a takeover), the
 *                    preparation of each file system (--fs-prepare, off the
 *                    loop), the storage probes
 *   vs_rt_servers.c  the servers' configuration files, ganesha.nfsd and
 *                    smbd: start, adopt after a daemon restart, readiness,
 *                    restart with back-off, stop
 *   vs_rt_vips.c     VIP devices: up, moves between ports, announcements,
 *                    the deferred deletion of the devices a move left
 * Functions named vs_rt_* below follow the reconciler's convention: a step
 * returns 0 when done, 1 when it is in flight or failed (the reconcile pass
 * stops there; failures are recorded with vs_rt_fail, which arms the retry).
 *
 * Memory: everything hangs off struct vs_runtime, freed by
 * vs_runtime_destroy. Errors: as in vs_runtime.h.
 */
#ifndef VS_RUNTIME_INT_H
#define VS_RUNTIME_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/lib_backoff.h"
#include "lib/lib_run.h"
#include "fsexport/fx_samba.h"
#include "vserver/vs_runtime.h"

#define MOUNT_TIMEOUT_USEC (120ULL * 1000000) /* MMP may wait ~11 s; a hung path more */
#define UMOUNT_TIMEOUT_USEC (60ULL * 1000000)
#define PREPARE_TIMEOUT_USEC (20ULL * 1000000) /* a few ms when the storage answers */
#define READY_TIMEOUT_USEC (30ULL * 1000000)
#define READY_POLL_USEC (20ULL * 1000)
#define STOP_GRACE_USEC (5ULL * 1000000)
#define RETRY_MIN_USEC (2ULL * 1000000)
#define RETRY_MAX_USEC (60ULL * 1000000)
#define RESTART_MIN_USEC (1ULL * 1000000)
#define RESTART_MAX_USEC (30ULL * 1000000)
#define STABLE_USEC (60ULL * 1000000)
/* A server that ends this many times in a row, each time before it ran for
 * STABLE_USEC, fails the VS (the master then moves it: ap_clfailing.c). */
#define SERVER_QUICK_ENDS 4
#define ANNOUNCE_COUNT 3 /* one at once, then repeats */
#define ANNOUNCE_GAP_USEC (100ULL * 1000)
#define NFS_PORT 2049
#define SMB_PORT 445

/* The statistics bus (fsexport/fx_statbus.h) is a server like the others,
 * started before ganesha and stopped after it, but optional: a bus that
 * cannot run costs the VS's NFS request rate, never the VS. */
/* winbindd runs only for a VS joined to a domain (vs_rt_join.c), started
 * before smbd and stopped after it. */
enum server_kind { SRV_NFS = 0, SRV_SMB = 1, SRV_BUS = 2, SRV_WINBIND = 3, SRV_COUNT = 4 };
/* A bus that ended this many times in a row soon after its start is given
 * up until the VS starts again here. */
#define BUS_QUICK_ENDS 3

struct server {
	enum server_kind kind;
	struct lib_run *run;
	bool ready;
	bool stopping; /* we asked it to stop: its end is expected */
	unsigned restarts;
	unsigned quick; /* ends since it last ran STABLE_USEC in one go */
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
	uint64_t probe_start_usec; /* CLOCK_MONOTONIC start of the one running */
	bool probe_slow;           /* it passed an interval: said once */
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
	/* Hot standbys (vs_vipdev.h): down twins on other ports, made off the
	 * critical path; a move to one of those ports only raises it. */
	int n_sb;
	struct vs_rt_standby {
		char port[VS_PORT_MAX + 1];
		char ifname[16];
	} sb[VS_FG_MAX_PORTS];
	int n_sbw; /* the ports the port policy wants standbys on */
	char sbw[VS_FG_MAX_PORTS][VS_PORT_MAX + 1];
	bool up;
	int announce_left; /* repeats still due from the repeat timer */
};

struct vs_runtime {
	struct vs_runtime_env env;
	char *node, *run_dir, *state_dir, *self_exe;
	struct vs_vserver want;
	char netns[VS_NAME_MAX + 8];
	int nsfd;
	bool cgroup_made; /* its cgroup exists (env.cgroup_parent/NAME) */
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
	char mmp_reset_from[VS_NAME_MAX + 1]; /* fenced (or released) last holder, "" = none */
	bool mmp_reset_fenced;                /* it was fenced, not released */
	struct lib_run *prep;                 /* applianced --fs-prepare in flight */
	char prep_fs[VS_NAME_MAX + 1];        /* ... for this file system */
	char *prep_subs;                      /* ... with these sub-directories */
	int n_prep_subs;
	bool storage_failed; /* the failure is the storage's (reason says how) */
	struct server srv[SRV_COUNT];
	bool bus_off; /* the statistics bus is given up (said once) */
	/* The realm its smbd was started with ("" standalone): another one
	 * needs a restart, not a reload. */
	char smb_realm[VS_JOIN_REALM_MAX + 1];
	struct vs_rt_join *join; /* a join or leave in flight (vs_rt_join.c) */
	int n_mounts;
	struct mountst mounts[VS_MAX_FS];
	int n_vips;
	struct vipst vips[VS_MAX_VIPS];
	int afd; /* announcer socket in the VS namespace */
	sd_event_source *announce_timer;
	sd_event_source *reap_defer;
	int n_stale;
	struct vs_rt_stale { /* devices left by moves: standbys or deleted, after the round */
		char ifname[16];
		char addr[VS_ADDR_MAX + 1];
		char port[VS_PORT_MAX + 1];
	} stale[VS_MAX_VIPS * 2];
	sd_event_source *sb_defer; /* making and dropping standbys, at idle priority */
};

/* vs_runtime.c: the reconciler's common ground. */
uint64_t vs_rt_now(const struct vs_runtime *rt);
void vs_rt_event(struct vs_runtime *rt, const char *severity, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vs_rt_set_state(struct vs_runtime *rt, enum vs_rt_state s);
/* Schedule a reconcile pass (deferred; several kicks make one pass). */
void vs_rt_kick(struct vs_runtime *rt);
/* Record a failure (logged once per distinct reason) and arm the retry. */
void vs_rt_fail(struct vs_runtime *rt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, as a failure of the storage (the VS is storage-failed). */
void vs_rt_storage_fail(struct vs_runtime *rt, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *vs_rt_srv_name(enum server_kind k);
/* RUN_DIR/vs/NAME/FILE, STATE_DIR/vs/NAME/samba, RUN_DIR/vs/NAME/samba
 * (lock, pid and ncalrpc: fx_samba_params.run_dir). */
void vs_rt_file(const struct vs_runtime *rt, const char *file, char *buf, size_t len);
void vs_rt_smb_dir(const struct vs_runtime *rt, char *buf, size_t len);
void vs_rt_smb_run_dir(const struct vs_runtime *rt, char *buf, size_t len);
/* What every smb.conf of the VS shares (name, addresses, directories,
 * passdb), in the buffers of b; sp borrows from b and from rt. Shares and
 * member mode are the caller's to add. */
struct vs_rt_smb_base {
	char sdir[PATH_MAX], rdir[PATH_MAX], passdb[PATH_MAX];
	char netbios[16]; /* NetBIOS names have at most 15 characters */
	const char *addrs[VS_MAX_VIPS];
};
void vs_rt_smb_params(const struct vs_runtime *rt, struct vs_rt_smb_base *b,
                      struct fx_samba_params *sp);
/* vs_rt_join.c: a joined VS's smb.conf member part, with the buffers it
 * points into (0, or a negative errno: no file system for its secrets);
 * its krb5.conf and hosts written; the binds and environment its samba
 * servers need (n binds added to binds, from index n_in; env[0] set). */
struct vs_rt_member {
	struct fx_smb_member m;
	char secrets[PATH_MAX], wbdir[PATH_MAX], krb5[PATH_MAX], hosts[PATH_MAX];
	char krb5env[PATH_MAX + 16];
};
int vs_rt_member(struct vs_runtime *rt, const struct vs_join *j, struct vs_rt_member *out);
int vs_rt_member_files(struct vs_runtime *rt, const struct vs_join *j, struct vs_rt_member *mb);
void vs_rt_join_destroy(struct vs_runtime *rt);
/* The D-Bus address of the VS's statistics bus (fx_statbus_address). */
int vs_rt_bus_address(const struct vs_runtime *rt, char *buf, size_t len);

/* vs_rt_storage.c */
struct mountst *vs_rt_find_mount(struct vs_runtime *rt, const char *fs);
void vs_rt_forget_prep(struct mountst *m);
int vs_rt_ensure_mounts(struct vs_runtime *rt);
int vs_rt_drop_mounts(struct vs_runtime *rt);
int vs_rt_ensure_prepared(struct vs_runtime *rt);
void vs_rt_prep_done(struct vs_runtime *rt);
/* The path of a prepared export/share sub-directory (0), or why not. */
int vs_rt_published_path(struct vs_runtime *rt, const char *fs, const char *sub, char *out,
                         size_t len);
int vs_rt_on_probe_timer(sd_event_source *s, uint64_t usec, void *userdata);
void vs_rt_stop_probes(struct vs_runtime *rt);

/* vs_rt_servers.c */
int vs_rt_write_configs(struct vs_runtime *rt, bool *nfs_changed, bool *smb_changed);
int vs_rt_start_server(struct vs_runtime *rt, struct server *srv);
/* The VS's cgroup (env.cgroup_parent): a server's process put into it; the
 * cgroup removed once the VS is stopped. */
void vs_rt_cgroup_join(struct vs_runtime *rt, pid_t pid);
void vs_rt_cgroup_drop(struct vs_runtime *rt);
int vs_rt_stop_server(struct vs_runtime *rt, struct server *srv);

/* vs_rt_vips.c */
int vs_rt_ensure_vips(struct vs_runtime *rt);
void vs_rt_drop_vips(struct vs_runtime *rt);
int vs_rt_reap_stale(sd_event_source *s, void *userdata);

#endif
