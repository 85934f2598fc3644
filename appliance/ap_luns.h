/*
 * ap_luns.h - the LUNs this node sees, found off the event loop.
 *
 * libblkid reads every block device, and a hung SAN path would hang it: so
 * the probing runs in a child (`applianced --lun-scan`, through lib_run, with
 * a deadline) every few seconds and on demand, and the daemon answers from
 * the result of the last scan: `vsadm lun show`, the validation of `fs add`,
 * the node's report (which LUNs it can serve) and the mount of a VS's file
 * system (which device carries LABEL=x here).
 *
 * A hung device: the child says which device it is about to probe before
 * probing it, and what it found after. A scan that passes its deadline while
 * probing a device marks that device hung: it is left out of the list (so the
 * node report does not offer it: not served from here), what arrived before
 * the deadline is kept, devices not reached keep their last entry, and a new
 * scan starts at once, skipping every hung device. A hung device is tried
 * again alone (`--lun-scan --only DEV`, short deadline) once the child stuck
 * on it has ended (its I/O returned); if that probe answers, the device is
 * back in the list. So at most one child per hung device waits in the kernel.
 *
 * Limits: at most AP_LUNS_MAX file systems per node; a scan that finds more
 * fails loudly (the last list stays, ap_luns_error says why).
 *
 * Memory: opaque; fx_lun_info results are copied to the caller, or borrowed
 * (ap_luns_list, ap_luns_hung) until the next loop iteration; callbacks' arg
 * borrowed until called.
 * Errors: ap_luns_find: -EAGAIN no scan has finished yet, -ENOENT not seen by
 * the last scan, -ENOTUNIQ two file systems carry that label, -EIO the last
 * scan failed (ap_luns_error says why) and none succeeded before, or the LUN
 * was last seen on a device that is hung now (ap_luns_hung).
 */
#ifndef AP_LUNS_H
#define AP_LUNS_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "fsexport/fx_lun.h"

#define AP_LUNS_MAX 4096

struct ap_luns;

typedef void (*ap_luns_fn)(void *arg);

/* self_exe: the applianced binary run as `self_exe --lun-scan`. changed is
 * called after a scan whose result differs from the one before, and when a
 * device becomes hung or answers again (may be NULL). */
int ap_luns_create(sd_event *ev, const char *self_exe, uint64_t interval_usec, ap_luns_fn changed,
                   void *arg, struct ap_luns **out);
void ap_luns_destroy(struct ap_luns *l);

/* Deadlines (tests and tuning; 0 keeps the default): the whole scan (15 s: a busy device is slow,
 * not hung), the probe of one hung device (3 s), and after a kill the wait before a child counts as
 * stuck (2 s). kill_signal is lib_run's, for tests only. */
struct ap_luns_timing {
	uint64_t scan_usec, probe_usec, stuck_usec;
	int kill_signal;
};
void ap_luns_set_timing(struct ap_luns *l, const struct ap_luns_timing *t);

/* Scan now (or join the scan in flight); done(arg) once it has ended. */
int ap_luns_refresh(struct ap_luns *l, ap_luns_fn done, void *arg);
/* Has a scan succeeded since start (until then the list is empty, not
 * known)? */
bool ap_luns_scanned(const struct ap_luns *l);
/* The LUNs of the last successful scan, hung devices left out; returns
 * their number. */
int ap_luns_list(const struct ap_luns *l, const struct fx_lun_info **out);
/* The devices that are hung on this node, each with what the last scan that
 * read it found (only dev when none did); returns their number. */
int ap_luns_hung(const struct ap_luns *l, const struct fx_lun_info **out);
/* tag "LABEL" or "UUID". */
int ap_luns_find(const struct ap_luns *l, const char *tag, const char *value,
                 struct fx_lun_info *out);
/* Why the last scan failed, "" when it succeeded. */
const char *ap_luns_error(const struct ap_luns *l);

/* The child's side (`applianced --lun-scan [--skip DEV]... | --only DEV`,
 * args after --lun-scan): one line per step on stdout, flushed at once:
 * "probing DEV", then "lun {JSON}", "none DEV" or "unreadable DEV", and
 * "end N" (N lun lines) last. Returns the exit status. */
int ap_luns_scan_main(int argc, char **argv);

#endif
