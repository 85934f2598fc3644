/*
 * lib_cgroup.c - cgroup v2 mechanics and the cpu.stat / io.stat parsers (see
 * lib_cgroup.h).
 */
#include "lib/lib_cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/lib_fs.h"
#include "lib/lib_span.h"

/* Fields of a mountinfo line, io.stat keys of a line: more is not a line of
 * that file. */
#define LIB_CG_FIELDS_MAX 64

int lib_cgroup_mountinfo_v2(const char *buf, size_t len, char *out, size_t outlen)
{
	struct lib_span line, f[LIB_CG_FIELDS_MAX];
	char first[LIB_CGROUP_PATH_MAX] = "";
	size_t off = 0;
	int nf;

	/* "id parent maj:min root mountpoint options [optional...] - fstype source super" */
	while (lib_span_line(buf, len, &off, &line) > 0) {
		nf = lib_span_split(line, f, LIB_CG_FIELDS_MAX);
		for (int i = 6; i + 1 < nf; i++) {
			if (!lib_span_eq(f[i], "-"))
				continue;
			if (lib_span_eq(f[i + 1], "cgroup2") && f[4].p[0] == '/' &&
			    !memchr(f[4].p, '\\', f[4].n)) {
				if (lib_span_eq(f[4], "/sys/fs/cgroup"))
					return lib_span_copy(f[4], out, outlen) < 0 ? -ENAMETOOLONG
					                                            : 0;
				if (!first[0])
					lib_span_copy(f[4], first, sizeof(first));
			}
			break;
		}
	}
	if (!first[0])
		return -ENOENT;
	if (strlen(first) >= outlen)
		return -ENAMETOOLONG;
	strcpy(out, first);
	return 0;
}

int lib_cgroup_find_v2(char *out, size_t outlen)
{
	char *text;
	int r = lib_read_file("/proc/self/mountinfo", &text);

	if (r < 0)
		return r;
	r = lib_cgroup_mountinfo_v2(text, strlen(text), out, outlen);
	free(text);
	return r;
}

/* dir/file into out. */
static int lib_cg_file(const char *dir, const char *file, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s", dir, file);

	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

int lib_cgroup_has_controller(const char *dir, const char *file, const char *ctrl)
{
	char path[LIB_CGROUP_PATH_MAX], *text;
	struct lib_span line, f[LIB_CG_FIELDS_MAX];
	size_t off = 0;
	int r, nf, found = 0;

	r = lib_cg_file(dir, file, path, sizeof(path));
	if (r < 0)
		return r;
	r = lib_read_file(path, &text);
	if (r < 0)
		return r;
	while (!found && lib_span_line(text, strlen(text), &off, &line) > 0) {
		nf = lib_span_split(line, f, LIB_CG_FIELDS_MAX);
		for (int i = 0; i < nf; i++)
			found |= lib_span_eq(f[i], ctrl);
	}
	free(text);
	return found;
}

/* Write text to dir/file in one write(2), as cgroupfs wants it. */
static int lib_cg_write(const char *dir, const char *file, const char *text)
{
	char path[LIB_CGROUP_PATH_MAX];
	size_t len = strlen(text);
	ssize_t n;
	int fd, r;

	r = lib_cg_file(dir, file, path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	r = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	close(fd);
	return r;
}

int lib_cgroup_enable(const char *dir, const char *ctrl)
{
	char text[64];

	if (!ctrl[0] || strlen(ctrl) > 32 || strpbrk(ctrl, " \t\n/+-"))
		return -EINVAL;
	snprintf(text, sizeof(text), "+%s", ctrl);
	return lib_cg_write(dir, "cgroup.subtree_control", text);
}

int lib_cgroup_path(const char *parent, const char *name, char *out, size_t outlen)
{
	if (!name[0] || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
	    strlen(name) > 255 || parent[0] != '/')
		return -EINVAL;
	return lib_cg_file(parent, name, out, outlen);
}

int lib_cgroup_create(const char *parent, const char *name)
{
	char path[LIB_CGROUP_PATH_MAX];
	int r = lib_cgroup_path(parent, name, path, sizeof(path));

	if (r < 0)
		return r;
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int lib_cgroup_remove(const char *parent, const char *name)
{
	char path[LIB_CGROUP_PATH_MAX];
	int r = lib_cgroup_path(parent, name, path, sizeof(path));

	if (r < 0)
		return r;
	if (rmdir(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int lib_cgroup_move(const char *dir, pid_t pid)
{
	char text[32];

	if (pid <= 0)
		return -EINVAL;
	snprintf(text, sizeof(text), "%ld\n", (long)pid);
	return lib_cg_write(dir, "cgroup.procs", text);
}

/* A key of cpu.stat or io.stat: [a-z0-9_.]+ */
static bool lib_cg_key_ok(struct lib_span k)
{
	if (k.n == 0)
		return false;
	for (size_t i = 0; i < k.n; i++) {
		char c = k.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
			return false;
	}
	return true;
}

int lib_cgroup_cpu_parse(const char *buf, size_t len, struct lib_cgroup_cpu *out)
{
	static const char *const keys[] = {"usage_usec", "user_usec", "system_usec"};
	struct lib_span line, f[3];
	uint64_t v[3] = {0}, x;
	unsigned seen = 0;
	size_t off = 0;
	int r;

	while ((r = lib_span_line(buf, len, &off, &line)) > 0) {
		int k;

		if (lib_span_split(line, f, 3) != 2 || !lib_cg_key_ok(f[0]) ||
		    lib_span_u64(f[1], UINT64_MAX, &x) < 0)
			return -EINVAL;
		for (k = 0; k < 3 && !lib_span_eq(f[0], keys[k]); k++)
			;
		if (k == 3)
			continue;
		if (seen & (1u << k))
			return -EINVAL;
		seen |= 1u << k;
		v[k] = x;
	}
	if (r < 0 || seen != 7)
		return -EINVAL;
	out->usage_usec = v[0];
	out->user_usec = v[1];
	out->system_usec = v[2];
	return 0;
}

/* One io.stat line into *d. */
static int lib_cg_io_line(const struct lib_span *f, int nf, struct lib_cgroup_iodev *d)
{
	static const char *const keys[] = {"rbytes", "wbytes", "rios", "wios"};
	uint64_t *vals[] = {&d->rbytes, &d->wbytes, &d->rios, &d->wios};
	struct lib_span a, b;
	uint64_t major, minor;
	unsigned seen = 0;

	if (nf < 1 || lib_span_cut(f[0], ':', &a, &b) < 0 ||
	    lib_span_u64(a, UINT32_MAX, &major) < 0 || lib_span_u64(b, UINT32_MAX, &minor) < 0)
		return -EINVAL;
	d->major = (unsigned int)major;
	d->minor = (unsigned int)minor;
	for (int i = 1; i < nf; i++) {
		int k;

		if (lib_span_cut(f[i], '=', &a, &b) < 0 || !lib_cg_key_ok(a) || b.n == 0)
			return -EINVAL;
		for (k = 0; k < 4 && !lib_span_eq(a, keys[k]); k++)
			;
		if (k == 4)
			continue;
		if ((seen & (1u << k)) || lib_span_u64(b, UINT64_MAX, vals[k]) < 0)
			return -EINVAL;
		seen |= 1u << k;
	}
	return 0;
}

int lib_cgroup_io_parse(const char *buf, size_t len, struct lib_cgroup_io *out)
{
	struct lib_span line, f[LIB_CG_FIELDS_MAX];
	struct lib_cgroup_iodev *dev = NULL;
	size_t off = 0, n = 0, cap = 0;
	int r;

	out->dev = NULL;
	out->n = 0;
	while ((r = lib_span_line(buf, len, &off, &line)) > 0) {
		struct lib_cgroup_iodev *nd = lib_span_grow(dev, &cap, n, sizeof(*dev));

		if (!nd) {
			free(dev);
			return -ENOMEM;
		}
		dev = nd;
		memset(&dev[n], 0, sizeof(dev[n]));
		if (lib_cg_io_line(f, lib_span_split(line, f, LIB_CG_FIELDS_MAX), &dev[n]) < 0)
			break;
		for (size_t i = 0; i < n && r > 0; i++)
			if (dev[i].major == dev[n].major && dev[i].minor == dev[n].minor)
				r = -EINVAL;
		if (r < 0)
			break;
		n++;
	}
	if (r != 0) {
		free(dev);
		return -EINVAL;
	}
	out->dev = dev;
	out->n = n;
	return 0;
}

void lib_cgroup_io_free(struct lib_cgroup_io *io)
{
	free(io->dev);
	io->dev = NULL;
	io->n = 0;
}

/* Read dir/file into *text. */
static int lib_cg_read(const char *dir, const char *file, char **text)
{
	char path[LIB_CGROUP_PATH_MAX];
	int r = lib_cg_file(dir, file, path, sizeof(path));

	return r < 0 ? r : lib_read_file(path, text);
}

int lib_cgroup_read_cpu(const char *dir, struct lib_cgroup_cpu *out)
{
	char *text;
	int r = lib_cg_read(dir, "cpu.stat", &text);

	if (r < 0)
		return r;
	r = lib_cgroup_cpu_parse(text, strlen(text), out);
	free(text);
	return r;
}

int lib_cgroup_read_io(const char *dir, struct lib_cgroup_io *out)
{
	char *text;
	int r;

	out->dev = NULL;
	out->n = 0;
	r = lib_cg_read(dir, "io.stat", &text);
	if (r < 0)
		return r;
	r = lib_cgroup_io_parse(text, strlen(text), out);
	free(text);
	return r;
}

int lib_cgroup_cpu_rate(const struct lib_cgroup_cpu *prev, const struct lib_cgroup_cpu *cur,
                        uint64_t elapsed_usec, double *cores)
{
	*cores = 0;
	if (elapsed_usec == 0)
		return -EINVAL;
	if (cur->usage_usec < prev->usage_usec)
		return -ERANGE;
	*cores = (double)(cur->usage_usec - prev->usage_usec) / (double)elapsed_usec;
	return 0;
}
