/*
 * ap_syswrite.c - the children of `vsadm system ...` (see ap_system.h):
 * applianced runs itself as `applianced --system-OP [FILE]` through lib_run,
 * so that reading a gigabyte and writing a partition never happen in its
 * event loop. Each prints one JSON line on stdout ({"ok": true, ...} or
 * {"ok": false, "error": SENTENCE}) and exits 0 or 1.
 *
 *   --system-show         the slots, their versions and states, the last update
 *   --system-write FILE   check FILE whole (manifest, sizes, sha256), write its
 *                         root into the other slot (O_EXCL: never a mounted one),
 *                         check the sha256 again as written, carry this node's
 *                         identity into it (host name, hosts, machine id, the
 *                         seed's network files), then point GRUB at it for one try
 *   --system-confirm      a healthy boot: a trial becomes the good slot; a
 *                         rollback GRUB made is recorded as the last outcome
 *   --system-guard        (appliance-slot-guard.service) reboot an unconfirmed trial
 *
 * The running slot is the root file system's partition, told by its GPT name
 * (approot-a/-b in /sys/dev/block/MAJ:MIN/uevent), and must agree with
 * appliance.slot on the kernel command line; the other slot is the partition
 * of the same disk named for it.
 */
#include "appliance/ap_system.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <linux/fs.h>
#include <nettle/sha2.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "lib/lib_fs.h"
#include "lib/lib_run.h"

#define CHUNK (1u << 20)
#define MNT "/run/appliance/update-target"

static int answer_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int answer_err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_t *j = json_pack("{s:b, s:s}", "ok", 0, "error", msg);
	if (j) {
		json_dumpf(j, stdout, JSON_COMPACT);
		json_decref(j);
	}
	printf("\n");
	return 1;
}

static int answer(json_t *j)
{
	if (!j)
		return answer_err("Out of memory.");
	json_object_set_new(j, "ok", json_true());
	json_dumpf(j, stdout, JSON_COMPACT);
	printf("\n");
	json_decref(j);
	return 0;
}

/* A small text file (at most max-1 bytes) into buf; its length or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t n = 0;
	ssize_t r;

	if (fd < 0)
		return -errno;
	while (n < max - 1 && (r = read(fd, buf + n, max - 1 - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			close(fd);
			return r;
		}
		n += (size_t)r;
	}
	buf[n] = '\0';
	close(fd);
	return (ssize_t)n;
}

/* A value of a KEY=VALUE file (uevent, os-release style). */
static int kv_get(const char *text, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			const char *v = p + kl + 1;
			size_t vl = strcspn(v, "\n");
			if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"')
				v++, vl -= 2;
			if (vl >= len)
				return -ENAMETOOLONG;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return 0;
		}
	}
	return -ENOENT;
}

struct slots {
	char running;         /* 'a' | 'b' */
	dev_t root_dev;       /* the running root's device */
	char disk[64];        /* "vda" */
	char target_dev[96];  /* "/dev/vda3" */
	uint64_t target_size; /* bytes */
	char running_ver[AP_SYS_VERSION_MAX + 1];
};

/* The running slot from the root's partition, checked against the command line. */
static int find_running(struct slots *s, char *err, size_t errlen)
{
	char path[128], text[2048], name[64], link[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (stat("/", &st) < 0)
		return snprintf(err, errlen, "Cannot stat the root file system: %s.",
		                strerror(errno)),
		       -errno;
	s->root_dev = st.st_dev;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", major(st.st_dev),
	         minor(st.st_dev));
	if (read_small(path, text, sizeof(text)) < 0 ||
	    kv_get(text, "PARTNAME", name, sizeof(name)) < 0 || strncmp(name, "approot-", 8) != 0 ||
	    !ap_sys_slot_of(name + 8))
		return snprintf(err, errlen,
		                "The root file system is not on a partition named approot-a or "
		                "approot-b: this is not an A/B appliance disk."),
		       -ENODEV;
	s->running = name[8];
	if (read_small("/proc/cmdline", text, sizeof(text)) < 0 ||
	    ap_sys_cmdline_slot(text) != s->running)
		return snprintf(err, errlen,
		                "The kernel command line's appliance.slot does not name the slot "
		                "the root is on (%c).",
		                s->running),
		       -EINVAL;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(st.st_dev), minor(st.st_dev));
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return snprintf(err, errlen, "Cannot find the root's disk: %s.", strerror(errno)),
		       -errno;
	link[n] = '\0';
	char *last = strrchr(link, '/');
	if (!last)
		return snprintf(err, errlen, "Cannot find the root's disk."), -ENODEV;
	*last = '\0';
	char *disk = strrchr(link, '/');
	snprintf(s->disk, sizeof(s->disk), "%s", disk ? disk + 1 : link);
	if (read_small(AP_SYS_RELEASE, text, sizeof(text)) >= 0)
		(void)kv_get(text, "APPLIANCE_VERSION", s->running_ver, sizeof(s->running_ver));
	return 0;
}

/* The other slot's partition on the root's disk. */
static int find_target(struct slots *s, char target, char *err, size_t errlen)
{
	char path[PATH_MAX], text[2048], name[64], dev[64], want[16];
	struct dirent *de;
	DIR *dir;
	int found = 0;

	snprintf(want, sizeof(want), "approot-%c", target);
	snprintf(path, sizeof(path), "/sys/class/block/%s", s->disk);
	if (!(dir = opendir(path)))
		return snprintf(err, errlen, "Cannot list the partitions of %s.", s->disk), -errno;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, s->disk, strlen(s->disk)) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/class/block/%s/%s/uevent", s->disk, de->d_name);
		if (read_small(path, text, sizeof(text)) < 0 ||
		    kv_get(text, "PARTNAME", name, sizeof(name)) < 0 || strcmp(name, want) != 0 ||
		    kv_get(text, "DEVNAME", dev, sizeof(dev)) < 0)
			continue;
		snprintf(path, sizeof(path), "/sys/class/block/%s/%s/size", s->disk, de->d_name);
		if (read_small(path, text, sizeof(text)) < 0)
			continue;
		s->target_size = strtoull(text, NULL, 10) * 512;
		snprintf(s->target_dev, sizeof(s->target_dev), "/dev/%s", dev);
		found++;
	}
	closedir(dir);
	if (found != 1)
		return snprintf(err, errlen,
		                "The disk %s has %s partition named %s; nothing was written.",
		                s->disk, found ? "more than one" : "no", want),
		       -ENODEV;
	return 0;
}

static int env_read(struct ap_sys_env *e, char *err, size_t errlen)
{
	char buf[AP_SYS_ENV_SIZE + 1];
	ssize_t n = read_small(AP_SYS_GRUBENV, buf, sizeof(buf));

	if (n < 0)
		return snprintf(err, errlen, "Cannot read the boot loader's environment %s: %s.",
		                AP_SYS_GRUBENV, strerror((int)-n)),
		       (int)n;
	return ap_sys_env_parse(buf, (size_t)n, e, err, errlen);
}

/* In place (GRUB's save_env rewrites the same blocks): same size, fsync. */
static int env_write(const struct ap_sys_env *e, char *err, size_t errlen)
{
	char buf[AP_SYS_ENV_SIZE];
	struct stat st;
	int fd = open(AP_SYS_GRUBENV, O_WRONLY | O_CLOEXEC | O_NOFOLLOW), rc = 0;

	ap_sys_env_format(e, buf);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size != AP_SYS_ENV_SIZE ||
	    pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf) || fsync(fd) < 0)
		rc = -(errno ? errno : EIO);
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		snprintf(err, errlen, "Cannot write the boot loader's environment %s: %s.",
		         AP_SYS_GRUBENV, strerror(-rc));
	return rc;
}

/* The update state: {"slots": {"a": VERSION, ...}, "last": {...}}. */
static json_t *state_read(void)
{
	json_t *j = json_load_file(AP_SYS_STATE, JSON_REJECT_DUPLICATES, NULL);

	if (!json_is_object(j)) {
		json_decref(j);
		j = json_object();
	}
	if (j && !json_is_object(json_object_get(j, "slots")))
		json_object_set_new(j, "slots", json_object());
	return j;
}

static int state_write(json_t *j, char *err, size_t errlen)
{
	char tmp[] = AP_SYS_STATE ".new";
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644), rc = 0;

	if (fd < 0 || json_dumpfd(j, fd, JSON_INDENT(1)) < 0 || fsync(fd) < 0)
		rc = -(errno ? errno : EIO);
	if (fd >= 0)
		close(fd);
	if (rc == 0 && rename(tmp, AP_SYS_STATE) < 0)
		rc = -errno;
	if (rc < 0)
		snprintf(err, errlen, "Cannot write the update state %s: %s.", AP_SYS_STATE,
		         strerror(-rc));
	return rc;
}

static const char *slot_version(json_t *st, char slot)
{
	char k[2] = {slot, '\0'};
	return json_string_value(json_object_get(json_object_get(st, "slots"), k));
}

static int do_show(void)
{
	struct slots s = {0};
	struct ap_sys_env e;
	char err[512], outcome[512], k[2] = {0};
	json_t *st, *slots, *last;

	if (find_running(&s, err, sizeof(err)) < 0 || env_read(&e, err, sizeof(err)) < 0)
		return answer_err("%s", err);
	if (!(st = state_read()))
		return answer_err("Out of memory.");
	slots = json_object();
	for (char c = 'a'; c <= 'b'; c++) {
		const char *v =
		    c == s.running && s.running_ver[0] ? s.running_ver : slot_version(st, c);
		k[0] = c;
		json_object_set_new(slots, k,
		                    json_pack("{s:s, s:s}", "version", v ? v : "", "state",
		                              ap_sys_slot_state(&e, s.running, c)));
	}
	last = json_object_get(st, "last");
	ap_sys_outcome(&e, s.running, json_string_value(json_object_get(last, "version")),
	               ap_sys_slot_of(json_string_value(json_object_get(last, "slot"))), outcome,
	               sizeof(outcome));
	json_t *j =
	    json_pack("{s:s#, s:s, s:s, s:o, s:O?, s:s}", "running", &s.running, 1, "version",
	              s.running_ver, "boot", ap_sys_boot_name(ap_sys_boot_kind(&e, s.running)),
	              "slots", slots, "last_update", last, "outcome", outcome);
	json_decref(st);
	return answer(j);
}

static int hash_hex(struct sha256_ctx *c, char out[65])
{
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256_digest(c, sizeof(d), d);
	for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	return 0;
}

/* Read size bytes of src from offset AP_SYS_HDR_SIZE, hashing them, and
 * write them to dst (>= 0). */
static int copy_hash(int src, int dst, uint64_t size, char hex[65], char *buf)
{
	struct sha256_ctx c;
	uint64_t done = 0;

	sha256_init(&c);
	while (done < size) {
		size_t want = size - done < CHUNK ? (size_t)(size - done) : CHUNK;
		ssize_t r = pread(src, buf, want, (off_t)(AP_SYS_HDR_SIZE + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		sha256_update(&c, (size_t)r, (const uint8_t *)buf);
		if (dst >= 0) {
			for (ssize_t w = 0; w < r;) {
				ssize_t n =
				    pwrite(dst, buf + w, (size_t)(r - w), (off_t)(done + w));
				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0)
					return n < 0 ? -errno : -EIO;
				w += n;
			}
		}
		done += (uint64_t)r;
	}
	return hash_hex(&c, hex);
}

/* Copy one file of the running root into the mounted new one (if it exists here). */
static int carry(const char *rel, mode_t mode)
{
	char src[PATH_MAX], dst[PATH_MAX], buf[65536];
	ssize_t n;

	snprintf(src, sizeof(src), "/%s", rel);
	snprintf(dst, sizeof(dst), MNT "/%s", rel);
	n = read_small(src, buf, sizeof(buf));
	if (n == -ENOENT)
		return 0;
	if (n < 0)
		return (int)n;
	int rc = lib_write_file(dst, buf, (size_t)n, mode);
	return rc < 0 ? rc : 0;
}

/* The node's identity into the written slot, in a mount namespace of this child's. */
static int carry_identity(const char *dev, char *err, size_t errlen)
{
	static const char *const files[] = {"etc/hostname", "etc/hosts", "etc/machine-id"};
	int rc = 0;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return snprintf(err, errlen, "Cannot make a private mount namespace: %s.",
		                strerror(errno)),
		       -errno;
	if (mkdir("/run/appliance", 0755) < 0 && errno != EEXIST)
		return snprintf(err, errlen, "Cannot create /run/appliance: %s.", strerror(errno)),
		       -errno;
	if (mkdir(MNT, 0700) < 0 && errno != EEXIST)
		return snprintf(err, errlen, "Cannot create %s: %s.", MNT, strerror(errno)), -errno;
	if (mount(dev, MNT, "ext4", MS_NOSUID | MS_NODEV | MS_NOATIME, NULL) < 0)
		return snprintf(
		           err, errlen,
		           "The written slot %s does not mount as ext4 (%s): the update's root "
		           "is not a file system.",
		           dev, strerror(errno)),
		       -errno;
	for (size_t i = 0; rc == 0 && i < sizeof(files) / sizeof(files[0]); i++)
		rc = carry(files[i], 0644);
	/* The seed's network files (appliance-seed: 10-seed-PORT.network). */
	DIR *d = rc == 0 ? opendir("/etc/systemd/network") : NULL;
	struct dirent *de;
	while (d && rc == 0 && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (strncmp(de->d_name, "10-seed-", 8) == 0 && l > 8 &&
		    strcmp(de->d_name + l - 8, ".network") == 0 && l < 64) {
			char rel[96];
			snprintf(rel, sizeof(rel), "etc/systemd/network/%s", de->d_name);
			rc = carry(rel, 0644);
		}
	}
	if (d)
		closedir(d);
	if (rc < 0)
		snprintf(err, errlen, "Cannot carry this node's identity into the new slot: %s.",
		         strerror(-rc));
	if (umount(MNT) < 0 && rc == 0) {
		rc = -errno;
		snprintf(err, errlen, "Cannot unmount the written slot: %s.", strerror(errno));
	}
	return rc;
}

static int do_write(const char *file)
{
	struct slots s = {0};
	struct ap_sys_env e, next;
	struct ap_sys_manifest m;
	char err[512], hdr[AP_SYS_HDR_SIZE], hex[65], target;
	struct stat st;
	uint64_t size;
	struct timespec t0, t1;
	int src, dst, rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (find_running(&s, err, sizeof(err)) < 0 || env_read(&e, err, sizeof(err)) < 0)
		return answer_err("%s Nothing was written.", err);
	if (ap_sys_update_plan(&e, s.running, &target, &next, err, sizeof(err)) < 0 ||
	    find_target(&s, target, err, sizeof(err)) < 0)
		return answer_err("%s", err);
	src = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (src < 0)
		return answer_err("Cannot open the update file %s: %s; nothing was written.", file,
		                  strerror(errno));
	if (fstat(src, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
		close(src);
		return answer_err(
		    "The update file %s is neither a regular file nor a block device; "
		    "nothing was written.",
		    file);
	}
	if (S_ISBLK(st.st_mode) && st.st_rdev == s.root_dev) {
		close(src);
		return answer_err("The update file %s is the running root itself.", file);
	}
	size = (uint64_t)st.st_size;
	if (S_ISBLK(st.st_mode) && ioctl(src, BLKGETSIZE64, &size) < 0) {
		close(src);
		return answer_err("Cannot tell the size of %s: %s.", file, strerror(errno));
	}
	ssize_t n = pread(src, hdr, sizeof(hdr), 0);
	if (n != (ssize_t)sizeof(hdr)) {
		close(src);
		return answer_err("The update file %s is shorter than its header; nothing was "
		                  "written.",
		                  file);
	}
	if (ap_sys_manifest_parse(hdr, sizeof(hdr), &m, err, sizeof(err)) < 0 ||
	    ap_sys_check_sizes(size, S_ISBLK(st.st_mode), &m, s.target_size, err, sizeof(err)) <
	        0) {
		close(src);
		return answer_err("%s", err);
	}
	char *buf = malloc(CHUNK);
	if (!buf) {
		close(src);
		return answer_err("Out of memory.");
	}
	/* 1. The whole file checked before anything is written. */
	rc = copy_hash(src, -1, m.root_size, hex, buf);
	if (rc < 0 || strcmp(hex, m.sha256) != 0) {
		free(buf);
		close(src);
		if (rc < 0)
			return answer_err(
			    "Cannot read the update file %s: %s; nothing was written.", file,
			    strerror(-rc));
		return answer_err("The update file's sha256 is %.16s..., not the %.16s... its "
		                  "manifest says: it is damaged or not this update; nothing was "
		                  "written.",
		                  hex, m.sha256);
	}
	/* 2. Written, O_EXCL: a mounted (or otherwise held) partition is refused. */
	dst = open(s.target_dev, O_WRONLY | O_EXCL | O_CLOEXEC);
	if (dst < 0 || fstat(dst, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev == s.root_dev) {
		int e2 = errno;
		free(buf);
		close(src);
		if (dst >= 0)
			close(dst);
		return answer_err("Cannot open slot %c (%s) for writing: %s; nothing was written.",
		                  target, s.target_dev,
		                  dst < 0 ? strerror(e2) : "not a spare slot");
	}
	rc = copy_hash(src, dst, m.root_size, hex, buf);
	if (rc == 0 && fdatasync(dst) < 0)
		rc = -errno;
	if (rc == 0 && strcmp(hex, m.sha256) != 0)
		rc = -EILSEQ;
	if (rc < 0) {
		/* The spare slot holds part of a root: make it unmountable. */
		memset(buf, 0, 65536);
		if (pwrite(dst, buf, 65536, 0) == 65536)
			(void)fdatasync(dst);
	}
	free(buf);
	close(src);
	close(dst);
	if (rc == -EILSEQ)
		return answer_err("The update file changed while it was written (its sha256 no "
		                  "longer matches): slot %c was blanked; the boot order is "
		                  "unchanged.",
		                  target);
	if (rc < 0)
		return answer_err("Writing slot %c failed: %s; it was blanked; the boot order is "
		                  "unchanged.",
		                  target, strerror(-rc));
	/* 3. This node's identity, then the state, then the boot loader. */
	if (carry_identity(s.target_dev, err, sizeof(err)) < 0)
		return answer_err("%s; the boot order is unchanged.", err);
	json_t *stj = state_read();
	char k[2] = {target, '\0'};
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (!stj)
		return answer_err("Out of memory.");
	if (s.running_ver[0])
		json_object_set_new(json_object_get(stj, "slots"), (char[]){s.running, '\0'},
		                    json_string(s.running_ver));
	json_object_set_new(json_object_get(stj, "slots"), k, json_string(m.version));
	json_object_set_new(stj, "last",
	                    json_pack("{s:s, s:s, s:s, s:I, s:f, s:I}", "version", m.version,
	                              "slot", k, "from", s.running_ver, "bytes",
	                              (json_int_t)m.root_size, "write_s", secs, "at",
	                              (json_int_t)time(NULL)));
	rc = state_write(stj, err, sizeof(err));
	json_decref(stj);
	if (rc < 0 || env_write(&next, err, sizeof(err)) < 0)
		return answer_err("%s; the boot order is unchanged.", err);
	return answer(json_pack("{s:s, s:s, s:s, s:I, s:f}", "slot", k, "version", m.version,
	                        "device", s.target_dev, "bytes", (json_int_t)m.root_size, "seconds",
	                        secs));
}

static int do_confirm(void)
{
	struct slots s = {0};
	struct ap_sys_env e;
	char err[512];
	const char *action = "nothing";
	int rc;

	if (find_running(&s, err, sizeof(err)) < 0 || env_read(&e, err, sizeof(err)) < 0)
		return answer_err("%s", err);
	json_t *st = state_read();
	if (!st)
		return answer_err("Out of memory.");
	json_t *last = json_object_get(st, "last");
	char lslot = ap_sys_slot_of(json_string_value(json_object_get(last, "slot")));
	enum ap_sys_boot kind = ap_sys_boot_kind(&e, s.running);
	char rolled = e.rolled_back;
	rc = ap_sys_confirm(&e, s.running);
	if (rc > 0 && env_write(&e, err, sizeof(err)) < 0) {
		json_decref(st);
		return answer_err("%s", err);
	}
	if (kind == AP_SYS_BOOT_TRIAL) {
		action = "confirmed";
	} else if (rolled && rolled == lslot && !json_is_true(json_object_get(last, "rollback"))) {
		/* Said once: the event of the rollback is logged by applianced. */
		json_object_set_new(last, "rollback", json_true());
		if (state_write(st, err, sizeof(err)) < 0) {
			json_decref(st);
			return answer_err("%s", err);
		}
		action = "rolled-back";
	}
	if (strcmp(action, "confirmed") == 0 && s.running_ver[0]) {
		json_object_set_new(json_object_get(st, "slots"), (char[]){s.running, '\0'},
		                    json_string(s.running_ver));
		if (state_write(st, err, sizeof(err)) < 0) {
			json_decref(st);
			return answer_err("%s", err);
		}
	}
	json_t *j = json_pack("{s:s, s:s#, s:s, s:s, s:s#}", "action", action, "running",
	                      &s.running, 1, "version", s.running_ver, "failed_version",
	                      json_string_value(json_object_get(last, "version")) ?: "",
	                      "failed_slot", rolled ? &rolled : "-", 1);
	json_decref(st);
	return answer(j);
}

static int do_guard(void)
{
	struct slots s = {0};
	struct ap_sys_env e;
	char err[512];

	if (find_running(&s, err, sizeof(err)) < 0 || env_read(&e, err, sizeof(err)) < 0) {
		printf("APPLIANCE UPDATE: guard: %s\n", err);
		return 0; /* not an A/B boot we can judge: never reboot on a doubt */
	}
	if (!ap_sys_guard_reboot(&e, s.running))
		return 0;
	printf("APPLIANCE UPDATE: slot %c (%s) did not confirm healthy within %d s of boot: "
	       "rebooting; the boot loader falls back to slot %c\n",
	       s.running, s.running_ver[0] ? s.running_ver : "?", AP_SYS_GUARD_S, ap_sys_good(&e));
	fflush(stdout);
	const char *argv[] = {"systemctl", "reboot", NULL};
	struct lib_run_opts o = {
	    .argv = argv, .netns_fd = -1, .timeout_usec = 60ULL * 1000000, .out_fd = STDOUT_FILENO};
	struct lib_run_result res;
	int rc = lib_run_sync(&o, &res, NULL);
	if (rc < 0 || res.end != LIB_RUN_EXITED || res.exit_code != 0) {
		char d[128];
		printf("APPLIANCE UPDATE: systemctl reboot failed (%s)\n",
		       rc < 0 ? strerror(-rc) : lib_run_describe(&res, d, sizeof(d)));
		return 1;
	}
	return 0;
}

int ap_sys_child_main(int argc, char **argv)
{
	enum ap_sys_op op;
	const char *file;

	if (ap_sys_parse_child(argc, argv, &op, &file) < 0)
		return answer_err("internal: bad arguments to the system child");
	switch (op) {
	case AP_SYS_OP_SHOW:
		return do_show();
	case AP_SYS_OP_WRITE:
		return do_write(file);
	case AP_SYS_OP_CONFIRM:
		return do_confirm();
	case AP_SYS_OP_GUARD:
		return do_guard();
	}
	return 2;
}
