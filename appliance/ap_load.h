/*
 * ap_load.h - what this node measures, every few seconds (DESIGN R6,
 * section 7): CPU per VS (its cgroup's cpu.stat), bytes and packets per VS
 * (the links of its network namespace: its VIP devices) and per port (this
 * node's links), bytes, I/Os and utilisation per LUN (/proc/diskstats of the
 * device that carries it here), and the VS's own I/O (its file systems'
 * devices). Every series is smoothed (vs_load.h: an EWMA over 2 minutes, a
 * short history, a trend); after each sample the smoothed figures go out as
 * one 'load' message (ap_msg.h) through the sample hook.
 *
 * Request rates: each VS's ganesha and smbd counters, read by a child per
 * period (busctl / smbstatus through lib_run, a deadline of 3 s, at most one
 * at a time per VS and server); the answer is parsed when it comes
 * (fx_srvstats.h) and the rate goes out with the next sample.
 *
 * Nothing here blocks: cgroupfs, /proc/diskstats, rtnetlink and a stat of a
 * /dev node answer without touching storage. A counter that went backwards
 * (a VS restarted: its cgroup is new) skips that interval.
 *
 * Memory: opaque; hooks' results are copied. Errors: 0 or a negative errno.
 */
#ifndef AP_LOAD_H
#define AP_LOAD_H

#include <stdint.h>
#include <systemd/sd-event.h>

#include "appliance/ap_msg.h"

#define AP_LOAD_PERIOD_USEC (5ULL * 1000000)
#define AP_LOAD_MAX_DEVS 8 /* devices of one VS's file systems measured */

/* A VS this node runs, as the sampler sees it. */
struct ap_load_src {
	char vs[VS_NAME_MAX + 1];
	int nsfd;         /* its network namespace (borrowed), -1 none */
	char cgroup[256]; /* its cgroup directory, "" none */
	int n_devs;
	char devs[AP_LOAD_MAX_DEVS][64];
	int n_vips; /* its VIPs: each measured on its own devices */
	char vips[VS_MAX_VIPS][VS_ADDR_MAX + 1];
	/* Its servers' request counters (fx_srvstats.h), each read by a child
	 * (lib_run, argv only) per period: its smb.conf for `smbstatus -P`
	 * ("" none), and the address of the VS's statistics bus its ganesha is
	 * on (fx_statbus.h; "" none: NFS requests not measured). */
	char smb_conf[256];
	char nfs_bus[256];
};

/* A LUN this node sees. */
struct ap_load_lunsrc {
	char lun[VS_LUN_MAX + 8]; /* LABEL=x or UUID=y */
	char dev[64];
};

struct ap_load_hooks {
	/* The VSs to measure (up to max); returns how many. */
	int (*vss)(void *arg, struct ap_load_src *out, int max);
	/* The LUNs to measure (up to max); returns how many. */
	int (*luns)(void *arg, struct ap_load_lunsrc *out, int max);
	/* A new sample: the 'load' message to send (borrowed for the call). */
	void (*sample)(void *arg, const struct ap_msg *m);
	/* The time constant of the averages now (the administrator's setting);
	 * NULL: vs_load's default. */
	uint64_t (*tau_usec)(void *arg);
	void *arg;
};

struct ap_load;

/* Starts sampling every period_usec (0: AP_LOAD_PERIOD_USEC). */
int ap_load_create(sd_event *ev, const char *node, int cores, uint64_t period_usec,
                   const struct ap_load_hooks *hooks, struct ap_load **out);
void ap_load_destroy(struct ap_load *l);

/* Smoothed traffic (bytes/s, the larger of in and out) of a port of this
 * node, and of one VIP of a VS that runs here: 0, or -ENOENT when it is
 * not measured (yet). */
int ap_load_port_rate(const struct ap_load *l, const char *port, double *bps);
int ap_load_vip_rate(const struct ap_load *l, const char *vs, const char *addr, double *bps);

#endif
