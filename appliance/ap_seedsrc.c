/*
 * ap_seedsrc.c - finding, mounting and reading the first-boot seed (see
 * ap_seedsrc.h). Runs once at boot in a oneshot unit, never in a daemon's
 * event loop.
 */
#include "appliance/ap_seedsrc.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsexport/fx_lun.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

static const char *const seed_fs_types[] = {"ext4", "ext3", "ext2", "vfat", "iso9660", NULL};

/* name beneath dirfd: a regular file of at most AP_SEED_MAX bytes, read
 * whole into *out (malloc'd, NUL-terminated), its size in *len. */
static int read_beneath(int dirfd, const char *name, const char *shown, char **out, size_t *len,
                        char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int rc;

	*out = NULL;
	*len = 0;
	if (fd < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			snprintf(err, errlen, "There is no %s.", shown);
		else
			snprintf(err, errlen, "Cannot open %s: %s%s.", shown, strerror(-rc),
			         rc == -ELOOP ? " (a symbolic link is not followed)" : "");
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "Refused %s: it is not a regular file.", shown);
		return -EINVAL;
	}
	if (st.st_size > AP_SEED_MAX) {
		close(fd);
		snprintf(err, errlen, "Refused %s: it is larger than %d bytes.", shown,
		         AP_SEED_MAX);
		return -E2BIG;
	}
	buf = malloc(AP_SEED_MAX + 2);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "Out of memory.");
		return -ENOMEM;
	}
	/* Up to one byte past the cap: a file that grew is caught here. */
	for (;;) {
		ssize_t r = read(fd, buf + got, AP_SEED_MAX + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			close(fd);
			explicit_bzero(buf, got);
			free(buf);
			snprintf(err, errlen, "Cannot read %s: %s.", shown, strerror(-rc));
			return rc;
		}
		if (r == 0 || (got += (size_t)r) > AP_SEED_MAX)
			break;
	}
	close(fd);
	if (got > AP_SEED_MAX) {
		explicit_bzero(buf, got);
		free(buf);
		snprintf(err, errlen, "Refused %s: it is larger than %d bytes.", shown,
		         AP_SEED_MAX);
		return -E2BIG;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

static void wipe(char *buf, size_t len)
{
	if (buf)
		explicit_bzero(buf, len);
	free(buf);
}

/* The seed and its bundle file in the directory dirfd; where names it. */
static int load_dir(int dirfd, const char *where, struct ap_seed *seed, char *err, size_t errlen)
{
	char shown[PATH_MAX + 80], *text = NULL;
	size_t len;
	int rc;

	snprintf(shown, sizeof(shown), "%s on %s", AP_SEED_FILE, where);
	rc = read_beneath(dirfd, AP_SEED_FILE, shown, &text, &len, err, errlen);
	if (rc < 0)
		return rc;
	rc = ap_seed_parse(text, len, seed, err, errlen);
	wipe(text, len);
	if (rc < 0 || !seed->bundle_file[0])
		return rc;
	snprintf(shown, sizeof(shown), "the bundle file %s on %s (named by the seed)",
	         seed->bundle_file, where);
	rc = read_beneath(dirfd, seed->bundle_file, shown, &text, &len, err, errlen);
	if (rc == -ENOENT)
		rc = -EINVAL; /* a seed whose bundle is missing is refused, not absent */
	if (rc == 0)
		rc = ap_seed_set_bundle(seed, text, len, err, errlen);
	wipe(text, len);
	if (rc < 0)
		ap_seed_clear(seed);
	return rc;
}

static int load_device(const struct fx_lun_info *lun, const char *run_dir, struct ap_seed *seed,
                       char *err, size_t errlen)
{
	char mnt[PATH_MAX], where[160];
	bool typed = false;
	int rc, dirfd;

	for (int i = 0; seed_fs_types[i] && !typed; i++)
		typed = strcmp(lun->type, seed_fs_types[i]) == 0;
	snprintf(where, sizeof(where), "%s (label %s)", lun->dev, AP_SEED_LABEL);
	if (!typed) {
		snprintf(err, errlen,
		         "The seed file system %s is %s; a seed is on ext4, vfat or iso9660.",
		         where, lun->type);
		return -EINVAL;
	}
	if (snprintf(mnt, sizeof(mnt), "%s/mnt", run_dir) >= (int)sizeof(mnt))
		return snprintf(err, errlen, "The run directory's path is too long."),
		       -ENAMETOOLONG;
	if ((mkdir(run_dir, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(mnt, 0700) < 0 && errno != EEXIST)) {
		rc = -errno;
		snprintf(err, errlen, "Cannot make %s: %s.", mnt, strerror(-rc));
		return rc;
	}
	if (mount(lun->dev, mnt, lun->type,
	          MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOSYMFOLLOW, NULL) < 0) {
		rc = -errno;
		snprintf(err, errlen, "The seed file system %s cannot be mounted: %s.", where,
		         strerror(-rc));
		(void)rmdir(mnt);
		return rc;
	}
	dirfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "The seed file system %s cannot be read: %s.", where,
		         strerror(-rc));
	} else {
		rc = load_dir(dirfd, where, seed, err, errlen);
		if (rc == -ENOENT)
			rc = -EINVAL; /* a seed disk without a seed is a mistake to say */
		close(dirfd);
	}
	if (umount2(mnt, 0) < 0 && umount2(mnt, MNT_DETACH) < 0 && rc == 0) {
		rc = -errno;
		ap_seed_clear(seed);
		snprintf(err, errlen, "The seed file system %s cannot be unmounted: %s.", where,
		         strerror(-rc));
	}
	(void)rmdir(mnt);
	return rc;
}

/* The walk for the seed's label: distinct file systems (by UUID) carrying it. */
struct find {
	struct fx_lun_info lun;
	int n;
};

/* Not a floppy: qemu has a drive without a disk, and reading one costs seconds of retries;
 * no seed is on a floppy. */
static bool probe_it(const char *dev, void *arg)
{
	return strncmp(dev, "/dev/fd", 7) != 0;
}

static int found(const char *dev, int rc, const struct fx_lun_info *info, void *arg)
{
	struct find *f = arg;

	if (rc != 1 || strcmp(info->label, AP_SEED_LABEL) != 0)
		return 0;
	if (f->n == 0 || strcmp(f->lun.uuid, info->uuid) != 0)
		f->n++;
	if (f->n == 1)
		f->lun = *info;
	return 0;
}

static int find_seed_fs(struct fx_lun_info *lun)
{
	struct fx_lun_walk_ops ops = {.before = probe_it, .after = found};
	struct find f = {.n = 0};
	int rc = fx_lun_walk(&ops, &f);

	if (rc < 0)
		return rc;
	if (f.n > 1)
		return -ENOTUNIQ;
	if (f.n == 0)
		return -ENOENT;
	*lun = f.lun;
	return 0;
}

int ap_seedsrc_load(const char *boot_path, const char *run_dir, struct ap_seed *seed, char *where,
                    size_t wherelen, char *err, size_t errlen)
{
	struct fx_lun_info lun;
	char dir[PATH_MAX];
	const char *slash;
	int rc, dirfd;

	memset(seed, 0, sizeof(*seed));
	where[0] = '\0';
	rc = find_seed_fs(&lun);
	if (rc == 0) {
		snprintf(where, wherelen, "%s (label %s)", lun.dev, AP_SEED_LABEL);
		return load_device(&lun, run_dir, seed, err, errlen);
	}
	if (rc == -ENOTUNIQ) {
		snprintf(where, wherelen, "the disks labelled %s", AP_SEED_LABEL);
		snprintf(err, errlen,
		         "Two file systems are labelled %s: remove one, so that the seed is "
		         "unambiguous.",
		         AP_SEED_LABEL);
		return rc;
	}
	if (rc != -ENOENT) {
		snprintf(where, wherelen, "the block devices");
		snprintf(err, errlen, "The block devices cannot be searched for a seed: %s.",
		         strerror(-rc));
		return rc;
	}
	/* The seed on the root file system: a file in the directory of boot_path. */
	slash = strrchr(boot_path, '/');
	if (!slash || strcmp(slash + 1, AP_SEED_FILE) != 0 ||
	    (size_t)(slash - boot_path) >= sizeof(dir))
		return snprintf(err, errlen, "The seed path %s is not DIR/%s.", boot_path,
		                AP_SEED_FILE),
		       -EINVAL;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - boot_path), boot_path);
	dirfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return snprintf(err, errlen, "No seed (no %s, no file system labelled %s).",
		                boot_path, AP_SEED_LABEL),
		       -ENOENT;
	snprintf(where, wherelen, "%s", dir[0] ? dir : "/");
	rc = load_dir(dirfd, where, seed, err, errlen);
	close(dirfd);
	if (rc == -ENOENT)
		snprintf(err, errlen, "No seed (no %s, no file system labelled %s).", boot_path,
		         AP_SEED_LABEL);
	else
		snprintf(where, wherelen, "%s", boot_path);
	return rc;
}
