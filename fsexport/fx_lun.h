/*
 * fx_lun.h - finding LUNs and their file systems with libblkid.
 *
 * A LUN is found by the LABEL or UUID of its file system, never by device
 * name: device names differ from node to node (DESIGN section 6). The ext4
 * multi-mount protection feature is read from the superblock, because the
 * appliance refuses to mount an ext4 file system without it.
 *
 * Memory: results are copied into caller-owned structs.
 * Errors: -ENOENT no device carries that tag, -EIO the device could not be
 * read (fx_lun_find: no readable device carries the tag and some device could
 * not be read, so the LUN may be behind it), -EINVAL bad tag name,
 * -ENOTUNIQ two different file systems (different UUIDs) carry that LABEL,
 * other negative errno from the system. Devices without a node in this mount
 * namespace's /dev are skipped silently.
 * Probing reads the devices and can block on a hung path: call it off the
 * event loop (a child with a deadline).
 */
#ifndef FX_LUN_H
#define FX_LUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fx_lun_info {
	char dev[64];  /* e.g. /dev/loop3 */
	char type[16]; /* "ext4", "xfs", ... */
	char label[64];
	char uuid[64];
	bool mmp;              /* ext4 with the mmp feature */
	unsigned mmp_interval; /* s_mmp_update_interval, seconds; 0 if none */
};

/* tag is "LABEL" or "UUID". Probes every block device visible to this process. */
int fx_lun_find(const char *tag, const char *value, struct fx_lun_info *out);
/* Every block device with a recognised file system (unreadable devices are
 * left out). *n is set to the number of entries written, at most max; if more
 * were found than max, the first max are written and -E2BIG is returned. */
int fx_lun_list(struct fx_lun_info *out, int max, int *n);
/* Device by device, for a caller that must know which device it is reading
 * (a hung path blocks the probe for good): before(dev, arg) is called before
 * the device (e.g. "/dev/loop3") is opened and may skip it (false; NULL
 * probes all); after(dev, rc, info, arg) tells what the probe found: rc 1 a
 * file system (*info), 0 nothing to serve (no node here, not this block
 * device, no file system), -EIO unreadable. A non-zero return of after()
 * stops the walk and is returned; -ENOMEM stops it too. */
struct fx_lun_walk_ops {
	bool (*before)(const char *dev, void *arg);
	int (*after)(const char *dev, int rc, const struct fx_lun_info *info, void *arg);
};
int fx_lun_walk(const struct fx_lun_walk_ops *ops, void *arg);
/* Pure: may the device of this major number (a /proc/partitions line) carry
 * a LUN? Not a RAM disk (1), a floppy (2) or a CD/DVD drive (11): no shared
 * LUN is one, and probing an empty floppy or CD drive waits for a medium and
 * counts as an unreadable device (which would make a missing LUN look like
 * a path failure). */
bool fx_lun_major_ok(unsigned major);
/* Pure: given the 1024-byte ext2/3/4 superblock (the bytes at offset 1024 of
 * the device), tell whether it is ext* with the MMP feature; returns 1, 0, or
 * -EINVAL if it is not an ext superblock. Fills *interval when not NULL. */
int fx_ext4_sb_mmp(const uint8_t *sb, size_t len, unsigned *interval);

#endif
