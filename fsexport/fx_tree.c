/*
 * fx_tree.c - the layout of a VS file system (see fx_tree.h).
 *
 * Design: the root is opened once (O_DIRECTORY|O_NOFOLLOW on a path the
 * daemon owns), and everything below it goes through lib_beneath on that
 * descriptor or on descriptors obtained from it. The conversion from the old
 * layout uses renameat2(RENAME_NOREPLACE) between two descriptors: an entry
 * is moved as it is (a symlink stays a symlink, never followed), and an
 * existing name in data/ is never overwritten (the entry then gets a
 * ".from-root" suffix).
 */
#include "fsexport/fx_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsexport/fx_probe.h"
#include "lib/lib_beneath.h"

static int open_root(const char *mount_dir, bool require_mount, int *out)
{
	struct statx stx;
	int fd;

	if (!mount_dir || mount_dir[0] != '/')
		return -EINVAL;
	fd = open(mount_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (require_mount) {
		if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) < 0) {
			int rc = -errno;
			close(fd);
			return rc;
		}
		if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) ||
		    !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) {
			close(fd);
			return -ENOTCONN; /* nothing mounted there */
		}
	}
	*out = fd;
	return 0;
}

/* An entry of the root the appliance keeps there: a real directory of root's. */
static bool keep_in_root(int rootfd, const char *name)
{
	struct stat st;

	if (strcmp(name, "lost+found") != 0 && strcmp(name, FX_TREE_STATE) != 0)
		return false;
	return fstatat(rootfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
	       st.st_uid == 0;
}

static int move_into(int rootfd, int datafd, const char *name)
{
	char alt[NAME_MAX + 1];

	if (renameat2(rootfd, name, datafd, name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (snprintf(alt, sizeof(alt), "%.240s.from-root", name) >= (int)sizeof(alt))
		return -ENAMETOOLONG;
	return renameat2(rootfd, name, datafd, alt, RENAME_NOREPLACE) == 0 ? 0 : -errno;
}

/* Old layout -> new (see the header). */
static int convert(int rootfd, const struct stat *root)
{
	int datafd, dupfd, rc = 0;
	struct dirent *de;
	DIR *d;

	if (mkdirat(rootfd, FX_TREE_DATA, 0700) < 0 && errno != EEXIST)
		return -errno;
	rc = lib_beneath_open(rootfd, FX_TREE_DATA, O_RDONLY | O_DIRECTORY, 0, &datafd);
	if (rc == -ELOOP || rc == -ENOTDIR) {
		/* A client's "data" (symlink or file): out of the way, then moved
		 * into the real one below like any other client entry. */
		if (renameat2(rootfd, FX_TREE_DATA, rootfd, FX_TREE_DATA ".from-root",
		              RENAME_NOREPLACE) < 0)
			return -errno;
		if (mkdirat(rootfd, FX_TREE_DATA, 0700) < 0)
			return -errno;
		rc = lib_beneath_open(rootfd, FX_TREE_DATA, O_RDONLY | O_DIRECTORY, 0, &datafd);
	}
	if (rc < 0)
		return rc;
	if (fchown(datafd, root->st_uid, root->st_gid) < 0 ||
	    fchmod(datafd, root->st_mode & 07777) < 0) {
		rc = -errno;
		goto out;
	}
	dupfd = dup(rootfd);
	if (dupfd < 0) {
		rc = -errno;
		goto out;
	}
	d = fdopendir(dupfd);
	if (!d) {
		rc = -errno;
		close(dupfd);
		goto out;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strcmp(n, FX_TREE_DATA) == 0 ||
		    keep_in_root(rootfd, n))
			continue;
		rc = move_into(rootfd, datafd, n);
		if (rc < 0)
			break;
	}
	if (rc == 0 && errno != 0)
		rc = -errno;
	closedir(d);
	/* Last: the root becomes root's only once everything was moved. */
	if (rc == 0 && (fchown(rootfd, 0, 0) < 0 || fchmod(rootfd, 0755) < 0))
		rc = -errno;
out:
	close(datafd);
	return rc;
}

/* .appliance (root 0700) and .appliance/nfs-recovery. */
static int ensure_state(int rootfd)
{
	struct stat st;
	int fd, rc;

	if (mkdirat(rootfd, FX_TREE_STATE, 0700) < 0 && errno != EEXIST)
		return -errno;
	rc = lib_beneath_open(rootfd, FX_TREE_STATE, O_RDONLY | O_DIRECTORY, 0, &fd);
	if (rc < 0)
		return rc;
	if (fstat(fd, &st) < 0 || ((st.st_uid != 0 || st.st_gid != 0) && fchown(fd, 0, 0) < 0) ||
	    ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0))
		rc = -errno;
	if (rc == 0)
		rc = lib_beneath_mkdirs(fd, FX_TREE_RECOVERY, NULL);
	close(fd);
	return rc;
}

int fx_tree_prepare(const char *mount_dir, bool require_mount, const char *const *subs, int n,
                    int *rcs)
{
	struct stat st;
	int rootfd, datafd, rc;

	if (n < 0 || n > FX_TREE_MAX_SUBS || (n > 0 && (!subs || !rcs)))
		return -EINVAL;
	rc = open_root(mount_dir, require_mount, &rootfd);
	if (rc < 0)
		return rc;
	if (fstat(rootfd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	/* Laid out: the root is root's and nobody else may write it. */
	if (st.st_uid != 0 || (st.st_mode & 022) != 0 ||
	    faccessat(rootfd, FX_TREE_DATA, F_OK, AT_SYMLINK_NOFOLLOW) != 0) {
		rc = convert(rootfd, &st);
		if (rc < 0)
			goto out;
	}
	rc = ensure_state(rootfd);
	if (rc < 0)
		goto out;
	rc = lib_beneath_open(rootfd, FX_TREE_DATA, O_RDONLY | O_DIRECTORY, 0, &datafd);
	if (rc < 0)
		goto out;
	for (int i = 0; i < n; i++)
		rcs[i] = subs[i] ? lib_beneath_mkdirs(datafd, subs[i], NULL) : -EINVAL;
	close(datafd);
out:
	close(rootfd);
	return rc;
}

int fx_tree_main(int argc, char **argv)
{
	int rcs[FX_TREE_MAX_SUBS], rc;

	if (argc < 1 || argc - 1 > FX_TREE_MAX_SUBS) {
		fprintf(stderr, "usage: applianced --fs-prepare MOUNT_DIR [SUB...]\n");
		return 2;
	}
	rc = fx_tree_prepare(argv[0], true, (const char *const *)argv + 1, argc - 1, rcs);
	if (rc < 0) {
		printf("cannot lay out the file system: %s\n", strerror(-rc));
		return 1;
	}
	for (int i = 0; i < argc - 1; i++)
		printf("%d\n", rcs[i]);
	return fflush(stdout) == 0 ? 0 : 1;
}

int fx_tree_parse(const char *out, int n, int *rcs)
{
	const char *p = out;

	if (!out || n < 0 || (n > 0 && !rcs))
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		char *end;
		long v;

		if (!(*p == '0' || (*p == '-' && p[1] >= '1' && p[1] <= '9')))
			return -EPROTO;
		errno = 0;
		v = strtol(p, &end, 10);
		if (errno || *end != '\n' || v > 0 || v < -4095 || (v == 0 && end != p + 1))
			return -EPROTO;
		rcs[i] = (int)v;
		p = end + 1;
	}
	return *p ? -EPROTO : 0;
}

static int join(char *buf, size_t len, const char *a, const char *b, const char *c)
{
	int n = snprintf(buf, len, "%s/%s%s%s", a, b, *c ? "/" : "", c);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int fx_tree_data_path(const char *mount_dir, const char *sub, char *buf, size_t len)
{
	return join(buf, len, mount_dir, FX_TREE_DATA, sub);
}

int fx_tree_state_path(const char *mount_dir, const char *name, char *buf, size_t len)
{
	return join(buf, len, mount_dir, FX_TREE_STATE, name);
}

int fx_tree_probe(const char *mount_dir, bool require_mount)
{
	int rootfd, fd, rc;

	if (!mount_dir || !mount_dir[0])
		return -EINVAL;
	rc = open_root(mount_dir, require_mount, &rootfd);
	if (rc < 0)
		return rc;
	rc = lib_beneath_open(rootfd, FX_TREE_STATE, O_RDONLY | O_DIRECTORY, 0, &fd);
	close(rootfd);
	if (rc < 0)
		return rc;
	rc = fx_probe_storage_fd(fd);
	close(fd);
	return rc;
}
