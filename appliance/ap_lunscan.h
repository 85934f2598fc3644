/*
 * ap_lunscan.h - the LUN scan child and the line protocol it speaks.
 *
 * `applianced --lun-scan [--skip DEV]... | --only DEV` probes the block
 * devices with libblkid (fx_lun_walk) and writes one line per step on stdout,
 * each flushed before the next step, so that what it said before a device
 * hung reaches the daemon even if it never ends:
 *   probing DEV         before DEV is opened
 *   lun {JSON}          DEV holds a file system (device, type, label, uuid,
 *                       mmp, mmp_interval)
 *   none DEV            nothing to serve on DEV
 *   unreadable DEV      DEV could not be read
 *   end N               last line; N lun lines were written
 * ap_lunscan_parse() reads that text back (pure): a scan cut at its deadline
 * leaves a "probing DEV" without a result, the device it hung on.
 *
 * Memory: struct ap_lunscan's arrays are malloc'd by the parser and freed by
 * ap_lunscan_free() (also after a failed parse).
 * Errors: -EPROTO a line out of the protocol (unknown, malformed, a value too
 * long, a result for another device than the one being probed, a count that
 * disagrees), -E2BIG more than `max` file systems, -ENOMEM.
 */
#ifndef AP_LUNSCAN_H
#define AP_LUNSCAN_H

#include <stdbool.h>

#include "fsexport/fx_lun.h"

#define AP_LUNSCAN_DEV_MAX ((int)sizeof(((struct fx_lun_info *)0)->dev))

struct ap_lunscan {
	struct fx_lun_info *luns; /* the lun lines, in order */
	int n, cap;
	char (*probed)[AP_LUNSCAN_DEV_MAX]; /* every device a probing line named */
	int n_probed, cap_probed;
	char pending[AP_LUNSCAN_DEV_MAX]; /* probing, no result yet; "" if none */
	bool complete;                    /* "end N" seen, N right */
};

/* A device name the protocol accepts: "/dev/" and a kernel block device name
 * ([A-Za-z0-9._!:+-] and '/', no "..", shorter than fx_lun_info.dev). */
bool ap_lunscan_dev_ok(const char *dev);
/* text: the child's output; a last line without '\n' (cut short) is ignored. */
int ap_lunscan_parse(const char *text, int max, struct ap_lunscan *out);
bool ap_lunscan_probed(const struct ap_lunscan *s, const char *dev);
void ap_lunscan_free(struct ap_lunscan *s);

/* The child: args are those after --lun-scan; returns the exit status (0, 1
 * the devices cannot be listed or stdout fails, 2 bad arguments). */
int ap_lunscan_main(int argc, char **argv);

#endif
