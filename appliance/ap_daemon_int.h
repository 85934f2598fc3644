/*
 * ap_daemon_int.h - what the files of applianced's core share (private).
 *
 * applianced's core is one object (struct ap_daemon) over two files:
 *   ap_daemon.c    life (create, destroy), the event log, the VS runtimes and
 *                  the gate to them, the cluster's and the ports' hooks
 *   ap_requests.c  the control socket's requests: validation, the change
 *                  path (apply, commit, answer), show, events, LUNs, fencing
 * and is included by them alone.
 */
#ifndef AP_DAEMON_INT_H
#define AP_DAEMON_INT_H

#include "appliance/ap_stats.h"
#include "appliance/ap_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
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
#include "appliance/ap_load.h"
#include "appliance/ap_ctl.h"
#include "appliance/ap_ports.h"
#include "appliance/ap_setup.h"
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
	/* lun.show waits at most RESCAN_BUDGET_USEC, then answers from the last
	 * scan (answered): a stalled device holds a scan up to its deadline. The
	 * entry stays until the scan ends, which still calls it. */
	sd_event_source *budget;
	bool answered;
	struct rescan *next;
};

#define RESCAN_BUDGET_USEC (2ULL * 1000000)

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

struct ap_sysop;
struct ap_daemon {
	sd_event *ev;
	/* The console account the request being handled is made for ("operator
	 * bob"; "" for none: vsadm), named in its events (ap_reqadmin.c). */
	char actor[VS_NAME_MAX + 16];
	char *node, *run_dir, *state_dir, *self_exe;
	struct ap_sysop *sysops; /* system.* children in flight (ap_reqsystem.c) */
	struct vs_store *store;
	struct vs_config *cfg;
	struct ap_ctl *ctl;
	struct ap_ports *ports;
	struct ap_cluster *cluster;
	struct vs_config *before; /* the configuration before the change being made */
	struct ap_luns *luns;     /* the LUNs this node sees (scanned in a child) */
	struct ap_logins *logins; /* console passwords being checked (children) */
	struct ap_stats stats;    /* counters since this start, for /metrics */
	bool journal;             /* stderr is journald's: events also as journal entries */
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
	struct ap_load *load;     /* the load sampler (ap_dload.c) */
	char cgroup_parent[256];  /* VSs' cgroups are made under it; "" none */
	bool load_capped;         /* said once: more VSs than a load message holds */
	bool has_web_uid;         /* web_uid is apweb's (ap_ctl.h) */
	uid_t web_uid;
	/* The first setup from the web console (ap_reqsetup.c). */
	struct ap_setup_code setup;   /* the code while the node needs setup */
	bool setup_done;              /* set up from the console since this start */
	char *setup_seed;             /* the seed file for the next boot */
	bool setup_reboot;            /* restart to apply it (--setup-reboot) */
	sd_event_source *setup_timer; /* the restart, soon after the answer */
	struct lib_run *reboot_run;
};

/* ap_daemon.c */
/* One event into the (replicated) log, and the daemon's own log. */
void ap_d_eventf(struct ap_daemon *d, const char *vs, const char *severity, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
struct rt_entry *ap_d_find_rt(struct ap_daemon *d, const char *name);
/* Hand every VS's desired state to its runtime (after any change). */
void ap_d_sync_runtimes(struct ap_daemon *d);
/* What this node should do with a VS (the gate): its effective desired state. */
void ap_d_effective(struct ap_daemon *d, const struct vs_vserver *vs, struct vs_vserver *out);

/* ap_dload.c: the VSs' cgroups and the load sampler. */
int ap_d_load_start(struct ap_daemon *d);
const char *ap_d_cgroup_parent(const struct ap_daemon *d);
/* ap_ports' hooks for spreading VIPs by traffic (arg: the daemon). */
int ap_d_port_rate(void *arg, const char *port, double *bps);
int ap_d_vip_rate(void *arg, const char *vs, const char *addr, double *bps);
void ap_d_spread_params(void *arg, struct nf_spread_params *p);

/* ap_reqvsset.c: vserver.set on VS name: 0 and the event's sentence in
 * what, or a negative errno and the refusal in err, d->cfg unchanged. */
int ap_d_vserver_set(struct ap_daemon *d, json_t *args, const char *name, char *what, size_t wlen,
                     char *err, size_t errlen);
/* ap_reqsettings.c: `vsadm balance set` (0, or a negative errno with one
 * sentence in err; what says what changed) and `balance show`. */
int ap_d_balance_set(struct ap_daemon *d, json_t *args, char *what, size_t wlen, char *err,
                     size_t errlen);
json_t *ap_d_balance_json(struct ap_daemon *d);
/* The time constant of the load averages in force (seconds). */
int ap_d_smoothing_s(const struct vs_config *cfg);

/* ap_requsers.c: share.add, with who may use the share (names of the VS's
 * users and groups): 0 and the event's sentence in what, or a negative
 * errno and the refusal in err, d->cfg unchanged. */
int ap_d_share_add(struct ap_daemon *d, json_t *args, char *what, size_t wlen, char *err,
                   size_t errlen);
/* export.add, with how it maps client ids (--squash, --anon-uid,
 * --anon-gid, --sec): as ap_d_share_add. */
int ap_d_export_add(struct ap_daemon *d, json_t *args, char *what, size_t wlen, char *err,
                    size_t errlen);
/* ap_requsers.c: the users and groups of a VS. ap_d_identity_cmd: is cmd
 * one of the changes; ap_d_identity_change makes it on d->cfg (0, or a
 * negative errno with one sentence in err, nothing changed; what says what
 * changed, never a secret); ap_d_identity_show: user.show / group.show's
 * answer (masked), or NULL with the sentence in err. */
bool ap_d_identity_cmd(const char *cmd);
int ap_d_identity_change(struct ap_daemon *d, const char *cmd, json_t *args, char *what,
                         size_t wlen, char *err, size_t errlen);
json_t *ap_d_identity_show(struct ap_daemon *d, const char *cmd, json_t *args, char *err,
                           size_t errlen);

/* ap_requests.c */
/* The control socket's handler (ap_ctl_handler). */
/* ap_reqadmin.c: console accounts. ap_d_admin_cmd: is cmd one of the
 * changes (admin.add/passwd/remove); ap_d_admin_change makes it on d->cfg;
 * ap_d_admin_show: the answer (a new reference); ap_d_admin_login answers
 * conn itself, once the password is checked in a child (ap_login.h).
 * ap_d_actor_gate: for a request made for an account (args "_as"), the
 * refusal when its role may not (a new reference), else NULL with d->actor
 * set ("" when made for none). */
bool ap_d_admin_cmd(const char *cmd);
int ap_d_admin_change(struct ap_daemon *d, const char *cmd, json_t *args, char *what, size_t wlen,
                      char *err, size_t errlen);
json_t *ap_d_admin_show(struct ap_daemon *d);
void ap_d_admin_login(struct ap_daemon *d, uint64_t conn, json_t *args);
json_t *ap_d_actor_gate(struct ap_daemon *d, const char *cmd, json_t *args);

/* ap_reqsetup.c: the first setup from the web console. ap_d_setup_needed: no
 * account, no cluster, not set up since this start; ap_d_setup_refresh makes
 * the code (and its file) while needed, drops it once not; setup.show and
 * setup.apply answer conn themselves; ap_d_setup_stop frees what it holds. */
bool ap_d_setup_needed(struct ap_daemon *d);
void ap_d_setup_refresh(struct ap_daemon *d);
void ap_d_setup_show(struct ap_daemon *d, uint64_t conn);
void ap_d_setup_apply(struct ap_daemon *d, uint64_t conn, uid_t uid, json_t *args);
void ap_d_setup_stop(struct ap_daemon *d);

/* ap_reqsystem.c: system.show/update/confirm/reboot (ap_system.h); answers conn
 * itself, once its child has ended. ap_d_system_destroy ends the children
 * in flight without answering. */
bool ap_d_system_cmd(const char *cmd);
void ap_d_system(struct ap_daemon *d, uint64_t conn, uid_t uid, const char *cmd, json_t *args);
void ap_d_system_destroy(struct ap_daemon *d);

void ap_d_handle(void *arg, uint64_t conn, uid_t uid, const char *cmd, json_t *args);
/* ap_requests.c: a changed configuration saved (or proposed to the cluster:
 * 1, the cluster answers), its event logged; 0, or < 0 answered already. */
int ap_d_commit(struct ap_daemon *d, uint64_t conn, const char *vs, const char *what, uid_t uid);
/* ap_reqjoin.c: vserver.join and vserver.leave; answers conn itself. */
void ap_d_vserver_join(struct ap_daemon *d, uint64_t conn, uid_t uid, const char *cmd,
                       json_t *args);
/* ap_reqcert.c: the console's certificate. ap_d_cert_read: cert.show or
 * cert.get, answered on conn by ap_d_cert_answer; ap_d_cert_cmd: cert.set or
 * cert.reset, made on d->cfg by ap_d_cert_change (the version is not bumped
 * when nothing changes; `what` then says so). */
bool ap_d_cert_read(const char *cmd);
void ap_d_cert_answer(struct ap_daemon *d, uint64_t conn, const char *cmd, json_t *args);
bool ap_d_cert_cmd(const char *cmd);
int ap_d_cert_change(struct ap_daemon *d, const char *cmd, json_t *args, char *what, size_t wlen,
                     char *err, size_t errlen);

#endif
