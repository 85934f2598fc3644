/*
 * lib_beneath.c - openat2-based resolution inside a hostile tree (see
 * lib_beneath.h).
 *
 * Design: glibc has no wrapper for openat2, so it is called through
 * syscall(2). mkdirs walks the path component by component: each component
 * is opened with openat2 on the descriptor of the previous one; a missing
 * component is created with mkdirat on that same descriptor (EEXIST from a
 * racing creator is fine: the open that follows decides), then opened the
 * same way, and only then given its parent's owner and mode through its own
 * descriptor (fchown/fchmod never follow a name). Strings are never joined.
 */
#include "lib/lib_beneath.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BENEATH_RESOLVE                                                                            \
	(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)

int lib_beneath_open(int dirfd, const char *path, int flags, mode_t mode, int *out_fd)
{
	struct open_how how = {
	    .flags = (unsigned long long)(flags | O_CLOEXEC | O_NOCTTY),
	    .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
	    .resolve = BENEATH_RESOLVE,
	};
	long fd;

	if (dirfd < 0 || !path || !*path || path[0] == '/' || !out_fd)
		return -EINVAL;
	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	do
		fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	while (fd < 0 && (errno == EINTR || errno == EAGAIN));
	if (fd < 0)
		return -errno;
	*out_fd = (int)fd;
	return 0;
}

int lib_beneath_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > NAME_MAX)
		return 0;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return 0;
	return memchr(name, '/', len) == NULL && memchr(name, '\0', len) == NULL;
}

/* Open (creating if missing) one component below fd; inherit fd's owner/mode. */
static int step(int fd, const char *name, int *out)
{
	struct stat parent;
	int rc, child = -1;
	bool made = false;

	rc = lib_beneath_open(fd, name, O_RDONLY | O_DIRECTORY, 0, &child);
	if (rc == -ENOENT) {
		if (fstat(fd, &parent) < 0)
			return -errno;
		if (mkdirat(fd, name, 0700) < 0) {
			if (errno != EEXIST)
				return -errno;
		} else {
			made = true;
		}
		rc = lib_beneath_open(fd, name, O_RDONLY | O_DIRECTORY, 0, &child);
		if (rc == 0 && made &&
		    (fchown(child, parent.st_uid, parent.st_gid) < 0 ||
		     fchmod(child, parent.st_mode & 07777) < 0)) {
			rc = -errno;
			close(child);
		}
	}
	if (rc < 0)
		return rc;
	*out = child;
	return 0;
}

int lib_beneath_mkdirs(int dirfd, const char *path, int *out_fd)
{
	const char *p = path;
	char name[NAME_MAX + 1];
	int fd, rc;

	if (dirfd < 0 || !path || path[0] == '/')
		return -EINVAL;
	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	/* Check the whole path first: a bad one creates nothing. */
	for (const char *q = path; *q;) {
		size_t n = strcspn(q, "/");
		if (!lib_beneath_name_ok(q, n))
			return n > NAME_MAX ? -ENAMETOOLONG : -EINVAL;
		q += n;
		if (*q == '/' && !*++q)
			return -EINVAL; /* trailing '/' */
	}
	rc = lib_beneath_open(dirfd, ".", O_RDONLY | O_DIRECTORY, 0, &fd);
	if (rc < 0)
		return rc;
	while (*p) {
		size_t n = strcspn(p, "/");
		int next = -1;

		memcpy(name, p, n);
		name[n] = '\0';
		rc = step(fd, name, &next);
		close(fd);
		if (rc < 0)
			return rc;
		fd = next;
		p += n;
		if (*p == '/')
			p++;
	}
	if (out_fd)
		*out_fd = fd;
	else
		close(fd);
	return 0;
}
