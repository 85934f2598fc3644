/*
 * fx_mount.h - what is mounted where, and the argv that mounts a LUN.
 *
 * Mounting itself is done by mount(8) run through lib_run (a mount of an ext4
 * with MMP can wait ~11 s after an unclean stop elsewhere, which must never
 * block the daemon's loop); this header holds the pure parts: the argv, and
 * the parsing of /proc/self/mountinfo used to find mounts again after a
 * daemon restart.
 *
 * Errors: 0 or a negative errno; -ENOENT nothing mounted there.
 */
#ifndef FX_MOUNT_H
#define FX_MOUNT_H

#include <stddef.h>

/* nosuid, nodev: clients write this file system; a set-uid binary or a
 * device node planted there must never take effect on the node. */
#define FX_MOUNT_OPTS "noatime,nosuid,nodev,errors=remount-ro"

/* Pure: find the mount whose mount point is `dir` in mountinfo text; copy
 * its source device into src (may be NULL). */
int fx_mountinfo_find(const char *mountinfo, const char *dir, char *src, size_t len);
/* Reads /proc/self/mountinfo and calls fx_mountinfo_find. */
int fx_mount_find(const char *dir, char *src, size_t len);

#endif
