/*
 * lib_cgroup.h - cgroup v2 mechanics: where the v2 hierarchy is mounted,
 * which controllers it offers, creating and removing a cgroup, moving a
 * process into one, and reading its CPU and I/O counters (cpu.stat, io.stat)
 * with pure parsers. No domain: the caller names the cgroups (one per VS,
 * holding its ganesha and smbd, is what the appliance makes of it).
 *
 * What this machine offered when this was written (kernel 6.18, the lab's
 * host): a hybrid layout. /sys/fs/cgroup is a tmpfs of v1 hierarchies (cpu,
 * cpuacct, cpuset, memory, devices, freezer, blkio, pids, name=systemd) and
 * the v2 hierarchy is mounted at /sys/fs/cgroup/unified with only "hugetlb"
 * in its cgroup.controllers and an empty cgroup.subtree_control: the cpu and
 * io controllers are bound to v1 and cannot be enabled in v2. Still, a v2
 * cgroup can be created there, a pid moved into it, and its cpu.stat read:
 * usage_usec, user_usec and system_usec are kept by the core for every v2
 * cgroup whether the cpu controller is enabled or not (cgroup-v2.rst, "This
 * file exists whether the controller is enabled or not"; checked here: a busy
 * child moved in showed its 1.97 s). io.stat exists only where the io
 * controller is enabled in the parent's subtree_control: not on this
 * machine (lib_cgroup_read_io() gets -ENOENT), on a pure v2 system (Debian 12's
 * default, /sys/fs/cgroup itself cgroup2) after lib_cgroup_enable(parent,
 * "io"). Per-VS I/O can also be had from the LUN's /proc/diskstats, since a
 * VS's file systems are its own LUNs (fx_diskstats.h).
 *
 * Blocking: cgroupfs is a pseudo file system (mkdir, rmdir, reads and writes
 * of its files never wait on storage). Paths: `parent` and `dir` are absolute
 * directories in the v2 hierarchy; `name` is one path component.
 *
 * Memory: lib_cgroup_io_parse()/lib_cgroup_read_io() fill the caller's struct
 * with a malloc'd array released by lib_cgroup_io_free(); on failure it is
 * left empty ({NULL, 0}), never half filled. Other out-parameters are the
 * caller's.
 * Errors: 0 or a negative errno. -EINVAL: a bad name or argument, or text not
 * in the file's format (see each parser); -ENAMETOOLONG; the errors of mkdir,
 * rmdir, open, read and write as the kernel gave them (-EBUSY from remove: the
 * cgroup still holds processes or children; -ESRCH from move: no such
 * process; -ENOENT: no such cgroup, or the file of a controller that is not
 * enabled). -ERANGE from the rate function: a counter went backwards (the
 * cgroup was removed and re-created: skip this interval, take the new sample
 * as the base).
 */
#ifndef LIB_CGROUP_H
#define LIB_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LIB_CGROUP_PATH_MAX 4096

/* cpu.stat: the three counters every v2 cgroup has (microseconds). */
struct lib_cgroup_cpu {
	uint64_t usage_usec, user_usec, system_usec;
};

/* io.stat: one device's counters (bytes and I/Os since the cgroup began). */
struct lib_cgroup_iodev {
	unsigned int major, minor;
	uint64_t rbytes, wbytes, rios, wios;
};

struct lib_cgroup_io {
	struct lib_cgroup_iodev *dev; /* malloc'd, in the file's order */
	size_t n;
};

/* The mount point of the v2 hierarchy, from the text of /proc/self/mountinfo:
 * /sys/fs/cgroup if it is cgroup2, else the first cgroup2 mount (mount points
 * with escaped characters are skipped). -ENOENT when there is none. */
int lib_cgroup_mountinfo_v2(const char *buf, size_t len, char *out, size_t outlen);
/* The same read from /proc/self/mountinfo. */
int lib_cgroup_find_v2(char *out, size_t outlen);
/* Whether the space-separated controller list of `file` in dir (e.g.
 * "cgroup.controllers", "cgroup.subtree_control") names `ctrl`: 1 or 0. */
int lib_cgroup_has_controller(const char *dir, const char *file, const char *ctrl);
/* Enable `ctrl` (e.g. "io", "cpu") for the children of dir ("+ctrl" into its
 * cgroup.subtree_control). The kernel refuses one it does not offer there
 * (-ENOENT, or -EBUSY when dir holds processes of its own). */
int lib_cgroup_enable(const char *dir, const char *ctrl);

/* parent/name into out[0..outlen), name checked (not empty, no '/', not "."
 * or ".."). */
int lib_cgroup_path(const char *parent, const char *name, char *out, size_t outlen);
/* Create parent/name; an existing one is fine (0: a restarted daemon adopts
 * it). */
int lib_cgroup_create(const char *parent, const char *name);
/* Remove parent/name; a missing one is fine (0). -EBUSY while it holds
 * processes (move or kill them first). */
int lib_cgroup_remove(const char *parent, const char *name);
/* Move process pid (all its threads) into the cgroup at dir. */
int lib_cgroup_move(const char *dir, pid_t pid);

/* Parse cpu.stat text: "key value" lines; usage_usec, user_usec and
 * system_usec each required exactly once, other keys (nice_usec, nr_periods,
 * ...) checked for shape and ignored. Empty text is refused. */
int lib_cgroup_cpu_parse(const char *buf, size_t len, struct lib_cgroup_cpu *out);
/* Parse io.stat text: per line "MAJ:MIN key=value ..."; rbytes, wbytes, rios
 * and wios must be unsigned decimals (0 when absent), other keys (dbytes,
 * dios, cost.*, ...) are checked for shape and ignored; a device twice is
 * refused. Empty text is a cgroup that did no I/O yet: 0 devices. */
int lib_cgroup_io_parse(const char *buf, size_t len, struct lib_cgroup_io *out);
void lib_cgroup_io_free(struct lib_cgroup_io *io);
/* dir/cpu.stat, dir/io.stat read and parsed. */
int lib_cgroup_read_cpu(const char *dir, struct lib_cgroup_cpu *out);
int lib_cgroup_read_io(const char *dir, struct lib_cgroup_io *out);
/* Cores used between two cpu.stat samples elapsed_usec (> 0) apart:
 * delta usage_usec / elapsed (1.5 = one and a half cores busy). */
int lib_cgroup_cpu_rate(const struct lib_cgroup_cpu *prev, const struct lib_cgroup_cpu *cur,
                        uint64_t elapsed_usec, double *cores);

#endif
