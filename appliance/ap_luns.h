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
 * Memory: opaque; fx_lun_info results are copied to the caller; callbacks'
 * arg borrowed until called.
 * Errors: ap_luns_find: -EAGAIN no scan has finished yet, -ENOENT not seen by
 * the last scan, -ENOTUNIQ two file systems carry that label, -EIO the last
 * scan failed (ap_luns_error says why) and none succeeded before.
 */
#ifndef AP_LUNS_H
#define AP_LUNS_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "fsexport/fx_lun.h"

#define AP_LUNS_MAX 64

struct ap_luns;

typedef void (*ap_luns_fn)(void *arg);

/* self_exe: the applianced binary run as `self_exe --lun-scan`. changed is
 * called after a scan whose result differs from the one before (may be NULL). */
int ap_luns_create(sd_event *ev, const char *self_exe, uint64_t interval_usec, ap_luns_fn changed,
                   void *arg, struct ap_luns **out);
void ap_luns_destroy(struct ap_luns *l);

/* Scan now (or join the scan in flight); done(arg) once it has ended. */
int ap_luns_refresh(struct ap_luns *l, ap_luns_fn done, void *arg);
/* Has a scan succeeded since start (until then the list is empty, not
 * known)? */
bool ap_luns_scanned(const struct ap_luns *l);
/* The LUNs of the last successful scan; returns their number. */
int ap_luns_list(const struct ap_luns *l, const struct fx_lun_info **out);
/* tag "LABEL" or "UUID". */
int ap_luns_find(const struct ap_luns *l, const char *tag, const char *value,
                 struct fx_lun_info *out);
/* Why the last scan failed, "" when it succeeded. */
const char *ap_luns_error(const struct ap_luns *l);

/* The child's side: list the LUNs as JSON on stdout; the exit status. */
int ap_luns_scan_main(void);

#endif
