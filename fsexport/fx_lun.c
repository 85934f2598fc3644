/*
 * fx_lun.c - finding LUNs and their file systems with libblkid.
 *
 * Design:
 *  - The candidates are the entries of /proc/partitions, opened as
 *    /dev/<name>. A name without a node in this mount namespace is skipped
 *    silently (a lab node has a private /dev holding only its own loop
 *    devices), and so is a node whose device number is not the one the
 *    kernel lists (a stale or foreign node). RAM disks, floppies and CD
 *    drives are not candidates (fx_lun_major_ok).
 *  - Each device is probed with libblkid's low-level API on a file
 *    descriptor we opened (superblocks only: TYPE, LABEL, UUID). There is no
 *    blkid cache file: a cache could answer for a path that is gone, which is
 *    what the probe is there to detect. For the same reason the device's
 *    clean cached pages are dropped first (posix_fadvise DONTNEED), so an
 *    unmounted LUN whose path died fails to read instead of answering from
 *    the page cache.
 *  - For ext2/3/4 the superblock is read again with pread (1024 bytes at
 *    offset 1024) and parsed by the pure fx_ext4_sb_mmp(): the appliance
 *    mounts ext4 only with multi-mount protection. Offsets (kernel
 *    fs/ext4/ext4.h, struct ext4_super_block): s_magic 0x38 (le16, 0xEF53),
 *    s_rev_level 0x4C (le32; features exist from revision 1 on),
 *    s_feature_incompat 0x60 (le32, EXT4_FEATURE_INCOMPAT_MMP 0x0100),
 *    s_mmp_update_interval 0x166 (le16).
 *  - fx_lun_find returns the first device carrying the tag. Another device
 *    with the same UUID is another path to the same LUN and is fine; for a
 *    LABEL, a second device with that label and a different UUID makes the
 *    answer ambiguous (-ENOTUNIQ): mounting the wrong file system is worse
 *    than mounting none. When no readable device matches but some device
 *    could not be read, the LUN may be behind it: the read error is
 *    returned rather than -ENOENT.
 * Probing reads from the devices and can block on a hung path; the daemon
 * runs it in a child with a deadline, as it does the storage probe.
 */
#include "fsexport/fx_lun.h"

#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define FX_EXT_SB_OFFSET 1024
#define FX_EXT_SB_SIZE 1024
#define FX_EXT_MAGIC 0xEF53
#define FX_EXT_OFF_MAGIC 0x38
#define FX_EXT_OFF_REV_LEVEL 0x4C
#define FX_EXT_OFF_INCOMPAT 0x60
#define FX_EXT_OFF_MMP_INTERVAL 0x166
#define FX_EXT_INCOMPAT_MMP 0x0100u
#define FX_EXT_SB_MIN (FX_EXT_OFF_MMP_INTERVAL + 2)

static unsigned fx_le16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t fx_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int fx_ext4_sb_mmp(const uint8_t *sb, size_t len, unsigned *interval)
{
	if (interval)
		*interval = 0;
	if (!sb || len < FX_EXT_SB_MIN)
		return -EINVAL;
	if (fx_le16(sb + FX_EXT_OFF_MAGIC) != FX_EXT_MAGIC)
		return -EINVAL;
	if (fx_le32(sb + FX_EXT_OFF_REV_LEVEL) < 1)
		return 0; /* revision 0 has no feature fields */
	if (!(fx_le32(sb + FX_EXT_OFF_INCOMPAT) & FX_EXT_INCOMPAT_MMP))
		return 0;
	if (interval)
		*interval = fx_le16(sb + FX_EXT_OFF_MMP_INTERVAL);
	return 1;
}

/* Copies a probe value into dst; returns 0, or -ENAMETOOLONG (dst left empty). */
static int fx_lun_value(blkid_probe pr, const char *name, char *dst, size_t size)
{
	const char *data;
	size_t len;

	dst[0] = '\0';
	if (blkid_probe_lookup_value(pr, name, &data, &len) != 0)
		return 0; /* absent */
	/* len counts the terminating NUL */
	if (len > 0 && data[len - 1] == '\0')
		len--;
	if (len >= size || memchr(data, '\0', len))
		return -ENAMETOOLONG;
	memcpy(dst, data, len);
	dst[len] = '\0';
	return 0;
}

static int fx_lun_read_ext(int fd, struct fx_lun_info *info)
{
	uint8_t sb[FX_EXT_SB_SIZE];
	ssize_t got;
	int rc;

	got = pread(fd, sb, sizeof(sb), FX_EXT_SB_OFFSET);
	if (got < 0)
		return -errno;
	if (got != (ssize_t)sizeof(sb))
		return -EIO;
	rc = fx_ext4_sb_mmp(sb, sizeof(sb), &info->mmp_interval);
	if (rc < 0)
		return -EIO; /* blkid saw ext, the second read did not: unstable device */
	info->mmp = rc == 1;
	return 0;
}

/* Probes an open device. 1: file system found and described in *info;
 * 0: nothing recognised; negative errno: the device could not be read. */
static int fx_lun_probe_fd(int fd, struct fx_lun_info *info)
{
	blkid_probe pr;
	int rc;

	pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, fd, 0, 0) != 0) {
		rc = -EIO;
		goto out;
	}
	if (blkid_probe_enable_superblocks(pr, 1) != 0 ||
	    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
	                                              BLKID_SUBLKS_TYPE) != 0) {
		rc = -ENOMEM;
		goto out;
	}
	rc = blkid_do_safeprobe(pr);
	if (rc == 1 || rc == -2) {
		rc = 0; /* no signature, or several that contradict each other */
		goto out;
	}
	if (rc != 0) {
		rc = -EIO;
		goto out;
	}
	if (fx_lun_value(pr, "TYPE", info->type, sizeof(info->type)) < 0 || !info->type[0]) {
		rc = 0; /* a type we could not name is not one we can mount */
		goto out;
	}
	/* a label or UUID longer than the struct holds stays empty: never matched */
	(void)fx_lun_value(pr, "LABEL", info->label, sizeof(info->label));
	(void)fx_lun_value(pr, "UUID", info->uuid, sizeof(info->uuid));
	if (strncmp(info->type, "ext", 3) == 0) {
		rc = fx_lun_read_ext(fd, info);
		if (rc < 0)
			goto out;
	}
	rc = 1;
out:
	blkid_free_probe(pr);
	return rc;
}

/* 1 found; 0 absent, not ours to open, or nothing recognised; -EIO the
 * device could not be read; -ENOMEM. */
static int fx_lun_probe_dev(const char *name, unsigned maj, unsigned min, struct fx_lun_info *info)
{
	struct stat st;
	int fd, n, rc, err;

	memset(info, 0, sizeof(*info));
	n = snprintf(info->dev, sizeof(info->dev), "/dev/%s", name);
	if (n < 0 || (size_t)n >= sizeof(info->dev))
		return 0;
	fd = open(info->dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		err = errno;
		/* no node here, no medium behind it, or a device this process is
		 * not allowed to use (device cgroup, LSM): none can hold our LUN */
		if (err == ENOENT || err == ENXIO || err == ENODEV || err == ENOMEDIUM ||
		    err == EACCES || err == EPERM)
			return 0;
		return err == ENOMEM ? -ENOMEM : -EIO;
	}
	if (fstat(fd, &st) != 0) {
		rc = -EIO;
		goto out;
	}
	if (!S_ISBLK(st.st_mode) || major(st.st_rdev) != maj || minor(st.st_rdev) != min) {
		rc = 0;
		goto out;
	}
	/* Best effort: failure only means the probe may read cached pages. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	rc = fx_lun_probe_fd(fd, info);
out:
	if (close(fd) != 0 && rc >= 0)
		rc = -EIO;
	if (rc < 0 && rc != -ENOMEM)
		rc = -EIO; /* every failure to read a device is a path problem */
	return rc;
}

bool fx_lun_major_ok(unsigned major)
{
	return major != 1 && major != 2 && major != 11;
}

int fx_lun_walk(const struct fx_lun_walk_ops *ops, void *arg)
{
	struct fx_lun_info info;
	char line[256], name[128], dev[sizeof(info.dev)];
	unsigned maj, min;
	unsigned long long blocks;
	FILE *f;
	int rc = 0, r, n;

	if (!ops || !ops->after)
		return -EINVAL;
	f = fopen("/proc/partitions", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %u %u %llu %127s", &maj, &min, &blocks, name) != 4)
			continue; /* header, blank line */
		if (name[0] == '.' || strstr(name, "..") || !fx_lun_major_ok(maj))
			continue;
		n = snprintf(dev, sizeof(dev), "/dev/%s", name);
		if (n < 0 || (size_t)n >= sizeof(dev))
			continue; /* no device name that long carries a LUN of ours */
		if (ops->before && !ops->before(dev, arg))
			continue;
		r = fx_lun_probe_dev(name, maj, min, &info);
		if (r == -ENOMEM) {
			rc = r;
			break;
		}
		rc = ops->after(dev, r, &info, arg);
		if (rc)
			break;
	}
	if (!rc && ferror(f))
		rc = -EIO;
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	return rc;
}

/* Called for each recognised file system: 0 goes on, anything else stops the
 * scan and is returned by it. */
typedef int (*fx_lun_visit_fn)(const struct fx_lun_info *info, void *arg);

struct fx_lun_scan_ctx {
	fx_lun_visit_fn visit;
	void *arg;
	int read_err;
};

static int fx_lun_scan_after(const char *dev, int rc, const struct fx_lun_info *info, void *arg)
{
	struct fx_lun_scan_ctx *c = arg;

	if (rc < 0 && !c->read_err)
		c->read_err = rc;
	return rc == 1 ? c->visit(info, c->arg) : 0;
}

/* Visits every readable block device with a file system. *read_err receives
 * the first error of a device that could not be read (the scan goes on). */
static int fx_lun_scan(fx_lun_visit_fn visit, void *arg, int *read_err)
{
	static const struct fx_lun_walk_ops ops = {.after = fx_lun_scan_after};
	struct fx_lun_scan_ctx c = {.visit = visit, .arg = arg};
	int rc = fx_lun_walk(&ops, &c);

	*read_err = c.read_err;
	return rc;
}

struct fx_lun_find_ctx {
	int by_uuid;
	const char *value;
	int have;
	struct fx_lun_info found;
};

static int fx_lun_find_visit(const struct fx_lun_info *info, void *arg)
{
	struct fx_lun_find_ctx *c = arg;

	if (c->by_uuid) {
		if (strcasecmp(info->uuid, c->value) != 0)
			return 0;
		c->found = *info;
		c->have = 1;
		return 1; /* same UUID elsewhere is another path to this LUN */
	}
	if (strcmp(info->label, c->value) != 0)
		return 0;
	if (!c->have) {
		c->found = *info;
		c->have = 1;
		return 0; /* go on: the label must be unique */
	}
	if (strcasecmp(c->found.uuid, info->uuid) != 0 || !info->uuid[0])
		return -ENOTUNIQ;
	return 0;
}

int fx_lun_find(const char *tag, const char *value, struct fx_lun_info *out)
{
	struct fx_lun_find_ctx c;
	int rc, read_err;

	if (!tag || !value || !out || !value[0] || strlen(value) >= sizeof(out->label))
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	if (strcmp(tag, "UUID") == 0)
		c.by_uuid = 1;
	else if (strcmp(tag, "LABEL") != 0)
		return -EINVAL;
	c.value = value;
	rc = fx_lun_scan(fx_lun_find_visit, &c, &read_err);
	if (rc < 0)
		return rc;
	if (c.have) {
		*out = c.found;
		return 0;
	}
	return read_err ? read_err : -ENOENT;
}

struct fx_lun_list_ctx {
	struct fx_lun_info *out;
	int max;
	int count;
};

static int fx_lun_list_visit(const struct fx_lun_info *info, void *arg)
{
	struct fx_lun_list_ctx *c = arg;

	if (c->count < c->max)
		c->out[c->count] = *info;
	c->count++;
	return 0;
}

int fx_lun_list(struct fx_lun_info *out, int max, int *n)
{
	struct fx_lun_list_ctx c;
	int rc, read_err;

	if (!n || max < 0 || (max > 0 && !out))
		return -EINVAL;
	*n = 0;
	c.out = out;
	c.max = max;
	c.count = 0;
	rc = fx_lun_scan(fx_lun_list_visit, &c, &read_err);
	if (rc < 0)
		return rc;
	*n = c.count < max ? c.count : max;
	return c.count > max ? -E2BIG : 0;
}
