/*
 * vs_runtime.h - one virtual server brought to life on this node.
 *
 * The runtime is a reconciler: it is given the desired configuration of one
 * VS (including whether the administrator wants it running) and converges
 * the node to it, one step at a time, each step idempotent:
 *   start: network namespace -> find LUNs (libblkid, MMP required) -> mount
 *          -> ganesha/smb configuration -> ganesha.nfsd, smbd in the namespace
 *          (waiting until they listen) -> VIP macvlans -> announcements ->
 *          running, storage probes every few seconds;
 *   stop:  the reverse, VIPs first, so no client reaches a half-stopped VS.
 * Because every step first looks at what is already there (namespace, mount
 * in mountinfo, server found by its pid file), a restarted daemon picks up a
 * serving VS without disturbing its clients, and a half-done start or stop
 * resumes where it was.
 *
 * Changes to exports and shares of a running VS rewrite the configuration
 * and signal the servers to reload (SIGHUP), so other clients stay connected.
 * Servers that die are restarted with exponential back-off. Slow work (mount,
 * umount, the storage probe, and every file-system operation on a mounted
 * file system: its layout, the export/share sub-directories, fx_tree.h) runs
 * in child processes through lib_run with deadlines; the event loop never
 * makes a syscall on a mounted file system, so a hung LUN leaves it free.
 * Exports and shares are published only at the paths such a child resolved
 * beneath the file system's data/ without following a symlink.
 *
 * Every action and its reason goes to env->event (the node's event log).
 *
 * Memory: the runtime copies what it needs from env (except ev, borrowed for
 * the runtime's life) and from the VS; vs_runtime_destroy frees it and leaves
 * the VS as it is on the node (running servers keep running).
 * Errors: creation returns 0 or a negative errno; failures while converging
 * are states (VS_RT_FAILED with a reason), retried with back-off.
 */
#ifndef VS_RUNTIME_H
#define VS_RUNTIME_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

#include "fsexport/fx_lun.h"
#include "vserver/vs_model.h"

enum vs_rt_state {
	VS_RT_STOPPED = 0,
	VS_RT_STARTING,
	VS_RT_RUNNING,
	VS_RT_STOPPING,
	VS_RT_FAILED,
};

struct vs_runtime_env {
	sd_event *ev;
	const char *node;      /* this node's name, for messages */
	const char *run_dir;   /* volatile: mount points, generated configs, pid files */
	const char *state_dir; /* persistent: samba's databases */
	const char *self_exe;  /* `self_exe --storage-probe DIR`, `--fs-prepare DIR SUB...` */
	int lease_lifetime;    /* NFSv4 lease, seconds */
	int grace_period;      /* NFSv4 grace, seconds */
	/* A storage probe (write + fsync of a heartbeat file) starts every
	 * interval; one that fails counts at once, one that has not answered
	 * within the deadline (0: three intervals) counts as a hung path. A
	 * probe slower than an interval is only said (a busy LUN is not a lost
	 * one: fsync waits behind every other I/O). */
	uint64_t probe_interval_usec;
	uint64_t probe_deadline_usec;
	/* Event log sink; severity is "info", "warning" or "error". */
	void (*event)(void *arg, const char *vs, const char *severity, const char *message);
	/* The port a VIP should be brought up on (the node's port policy); NULL
	 * (or a NULL callback) means its home port. */
	const char *(*vip_port)(void *arg, const char *vs, const struct vs_vip *vip);
	/* The device that carries a LUN on this node, from the node's last LUN
	 * scan (probing devices may block, so it is done off the loop): 0,
	 * -ENOENT not seen, -EAGAIN no scan yet (wait), other negative errno.
	 * NULL: probe here with libblkid (tests). */
	int (*lun_find)(void *arg, const char *tag, const char *value, struct fx_lun_info *out);
	/* Called after every state change (may be NULL). */
	void (*changed)(void *arg, const char *vs, enum vs_rt_state state);
	/* A cgroup v2 directory under which each VS gets its own (named after
	 * it) holding its servers, whose cpu.stat measures its CPU; NULL: none. */
	const char *cgroup_parent;
	void *arg;
};

struct vs_runtime;

int vs_runtime_create(const struct vs_runtime_env *env, const struct vs_vserver *vs,
                      struct vs_runtime **out);
/* A new desired configuration (name must not change); converging starts.
 * The runtime keeps its own deep copy of vs (create and update alike). */
void vs_runtime_update(struct vs_runtime *rt, const struct vs_vserver *vs);
void vs_runtime_destroy(struct vs_runtime *rt);

enum vs_rt_state vs_runtime_state(const struct vs_runtime *rt);
/* The reason of the last failure, "" if none. */
const char *vs_runtime_reason(const struct vs_runtime *rt);
/* The VS is failed because of its storage: a storage probe failed or did not
 * answer, or preparing a file system failed or hung (the reason, beginning
 * "storage failed: ", says which). Its servers go on serving what they can;
 * it is running again once every probe is healthy. */
bool vs_runtime_storage_failed(const struct vs_runtime *rt);
const char *vs_rt_state_name(enum vs_rt_state s);
/* Live state for `vsadm vserver show`: a new object owned by the caller. */
json_t *vs_runtime_to_json(const struct vs_runtime *rt);

/* The VS is being taken over from `node`, which its fence device powered off
 * (fenced), or which unmounted it although its path to the LUN had failed (so
 * it could not mark its MMP block clean): file systems not yet mounted here
 * have their ext4 MMP block reset (tune2fs -f -E clear_mmp) before the mount
 * instead of waiting for MMP to show them idle. Good for this one start:
 * cleared once the VS runs or stops. Only the cluster, after a confirmed
 * fence or a confirmed release, may call this. */
void vs_runtime_allow_mmp_reset(struct vs_runtime *rt, const char *node, bool fenced);

/* Move an up VIP to another port of the node now: its standby on `port` is
 * raised (else a new macvlan, same MAC and address, is made there), announced
 * at once and twice more 100 ms apart; after the current event the old
 * device becomes the standby of its port (or is deleted if none is wanted). -ENOENT if the VIP is
 * not up. The caller (the port policy) logs the reason. */
int vs_runtime_vip_move(struct vs_runtime *rt, const char *addr, const char *port);
/* The ports of the VIP's failover group other than the one it is up on:
 * the runtime keeps a hot standby on each (a down macvlan with the same MAC
 * and address, nf_vip_standby), made and dropped later at idle priority and
 * never while the VS is starting, so that a move there is only raising it
 * and announcing. n <= VS_FG_MAX_PORTS (more are ignored, loudly). Cheap
 * when nothing changed: the port policy calls it after every evaluation. */
void vs_runtime_vip_standbys(struct vs_runtime *rt, const char *addr,
                             const char (*ports)[VS_PORT_MAX + 1], int n);
/* Standbys ready for the VIP now (0 when it is not up). */
int vs_runtime_vip_standby_count(const struct vs_runtime *rt, const char *addr);
/* The port the VIP is up on, or NULL. */
const char *vs_runtime_vip_port(const struct vs_runtime *rt, const char *addr);

/* The netns name of a VS ("vs-NAME"). */
void vs_runtime_netns_name(const char *vs, char *buf, size_t len);

/* For measuring it (ap_load): its network namespace while it has one (fd
 * borrowed, -1 none); its cgroup directory (0, or -ENOENT when it has none);
 * the devices of its mounted file systems (up to max, the count returned). */
int vs_runtime_netns_fd(const struct vs_runtime *rt);
int vs_runtime_cgroup(const struct vs_runtime *rt, char *buf, size_t len);
int vs_runtime_devices(const struct vs_runtime *rt, char (*devs)[64], int max);
/* Join a running VS to an Active Directory domain, or leave it
 * (vs_rt_join.c): `net ads lookup`, then `net ads join` (and `net ads keytab
 * create`) in the VS's namespaces, each with a deadline, off the loop; the
 * password goes to net through a pipe on its stdin, never in argv, env or
 * a log, and is wiped once net has it. done is called once with 0 and what
 * was found (the caller records it in the configuration), or a negative
 * errno and one sentence; a failed join changes nothing. Leave: with a
 * user and password the machine account is removed from the domain
 * (`net ads leave`), and always the VS's machine secret and keytab; a
 * failed remote leave is said in the sentence with rc 0 (left locally).
 * The caller's strings are copied. Errors at once: -EAGAIN (the VS does
 * not run here, or has no file system for its secrets), -EBUSY (one in
 * flight), -ENOMEM, with a sentence in err. */
struct vs_join_req {
	const char *realm, *user, *dc, *password; /* dc NULL: found by DNS */
	bool leave;
};
typedef void (*vs_join_done_fn)(void *arg, int rc, const char *sentence,
                                const struct vs_join *found);
int vs_runtime_join(struct vs_runtime *rt, const struct vs_join_req *req, vs_join_done_fn done,
                    void *arg, char *err, size_t errlen);

/* The smb.conf of its smbd while that runs (0, or -ENOENT). */
int vs_runtime_smb_conf(const struct vs_runtime *rt, char *buf, size_t len);
/* The D-Bus address of its statistics bus while that and its ganesha run
 * (fsexport/fx_statbus.h): 0, -ENOENT, -EINVAL (a run directory whose path
 * the bus refuses), -ENAMETOOLONG. */
int vs_runtime_nfs_bus(const struct vs_runtime *rt, char *buf, size_t len);

#endif
