/*
 * nf_netns.c - named network namespaces, the way `ip netns` makes them.
 *
 * Design:
 * - A named namespace is a file /run/netns/NAME on which the namespace's
 *   nsfs inode is bind-mounted. /run/netns itself is made a shared mount
 *   (bind-mounted onto itself first when it is not a mount point yet), exactly
 *   as iproute2 does, so that namespace mounts made here propagate to mount
 *   namespaces cloned later (and `ip netns exec` sees them).
 * - Creation is done in the calling thread, with no child process: save the
 *   thread's namespace (/proc/thread-self/ns/net), unshare(CLONE_NEWNET),
 *   bind-mount /proc/thread-self/ns/net onto the file, setns back. Every step
 *   is undone on failure. Being unable to return to the original namespace is
 *   the one unrecoverable failure (every later socket of the daemon would be
 *   made in the wrong namespace), so that, and only that, aborts.
 * - A file without a namespace mounted on it is a leftover of a crash between
 *   the two steps of creation: nf_netns_exists() says 0 for it, nf_netns_open()
 *   -ENOENT, and nf_netns_create() replaces it. Only an nsfs mount counts.
 * - Deletion is lazy (MNT_DETACH) then unlink: the namespace itself lives on
 *   while a process, socket or fd still holds it, as with `ip netns del`.
 * - nf_netns_socket() is the way into a namespace for everything else in
 *   netfail: a socket keeps the namespace it was created in, so the thread
 *   only visits the namespace for the socket() call.
 * No global state; all functions return 0 (or an fd) or a negative errno.
 */
#include "netfail/nf_netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "lib/lib_log.h"

#define NF_NETNS_SELF "/proc/thread-self/ns/net"
/* NAME_MAX minus some room; iproute2 has no limit beyond the path's. */
#define NF_NETNS_NAME_MAX 64

static int nf_netns_path(const char *name, char *buf, size_t len)
{
	size_t n;
	int r;

	if (!name)
		return -EINVAL;
	n = strlen(name);
	if (n == 0 || n > NF_NETNS_NAME_MAX || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EINVAL;
	r = snprintf(buf, len, "%s/%s", NF_NETNS_DIR, name);
	if (r < 0 || (size_t)r >= len)
		return -EINVAL;
	return 0;
}

/* 1 if `path` has a network namespace mounted on it, 0 if not, or -errno. */
static int nf_netns_is_mounted(const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf) < 0)
		return -errno;
	return sf.f_type == NSFS_MAGIC;
}

/* mkdir -p /run/netns and make it a shared mount point, as iproute2 does. */
static int nf_netns_prepare_dir(void)
{
	int bound = 0;

	if (mkdir(NF_NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	while (mount("", NF_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
		/* EINVAL: not a mount point yet; make it one, once. */
		if (errno != EINVAL || bound)
			return -errno;
		if (mount(NF_NETNS_DIR, NF_NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
			return -errno;
		bound = 1;
	}
	return 0;
}

/* Return the thread to `orig`; failing that the process is in an unknown state. */
static void nf_netns_restore(int orig)
{
	if (setns(orig, CLONE_NEWNET) < 0) {
		lib_err("netfail: cannot return to the original network namespace: %s",
		        strerror(errno));
		abort();
	}
}

/* Make a new namespace and bind-mount it on `path` (an existing empty file). */
static int nf_netns_mount_new(const char *path)
{
	int orig, r = 0;

	orig = open(NF_NETNS_SELF, O_RDONLY | O_CLOEXEC);
	if (orig < 0)
		return -errno;
	if (unshare(CLONE_NEWNET) < 0) {
		r = -errno;
		close(orig);
		return r;
	}
	if (mount(NF_NETNS_SELF, path, "none", MS_BIND, NULL) < 0)
		r = -errno;
	/* The new namespace dies here if the mount failed: nothing else holds it. */
	nf_netns_restore(orig);
	close(orig);
	return r;
}

int nf_netns_create(const char *name)
{
	char path[sizeof(NF_NETNS_DIR) + NF_NETNS_NAME_MAX + 2];
	int fd, r, tries;

	r = nf_netns_path(name, path, sizeof(path));
	if (r < 0)
		return r;
	r = nf_netns_prepare_dir();
	if (r < 0)
		return r;
	for (tries = 0;; tries++) {
		fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
		if (fd >= 0)
			break;
		if (errno != EEXIST || tries > 0)
			return -errno;
		r = nf_netns_is_mounted(path);
		if (r < 0)
			return r == -ENOENT ? -EAGAIN : r;
		if (r == 1)
			return -EEXIST;
		/* A leftover file with no namespace on it: replace it. */
		if (unlink(path) < 0 && errno != ENOENT)
			return -errno;
	}
	close(fd);
	r = nf_netns_mount_new(path);
	if (r < 0) {
		if (unlink(path) < 0)
			lib_warn("netfail: cannot remove %s: %s", path, strerror(errno));
		return r;
	}
	return 0;
}

int nf_netns_delete(const char *name)
{
	char path[sizeof(NF_NETNS_DIR) + NF_NETNS_NAME_MAX + 2];
	int r;

	r = nf_netns_path(name, path, sizeof(path));
	if (r < 0)
		return r;
	/* EINVAL: not a mount point (a leftover file); still remove the file. */
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL)
		return -errno;
	if (unlink(path) < 0)
		return -errno;
	return 0;
}

int nf_netns_exists(const char *name)
{
	char path[sizeof(NF_NETNS_DIR) + NF_NETNS_NAME_MAX + 2];

	if (nf_netns_path(name, path, sizeof(path)) < 0)
		return 0;
	return nf_netns_is_mounted(path) == 1;
}

int nf_netns_open(const char *name)
{
	char path[sizeof(NF_NETNS_DIR) + NF_NETNS_NAME_MAX + 2];
	struct statfs sf;
	int fd, r;

	r = nf_netns_path(name, path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sf) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (sf.f_type != NSFS_MAGIC) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

int nf_netns_socket(int nsfd, int domain, int type, int protocol)
{
	int orig, fd, r;

	orig = open(NF_NETNS_SELF, O_RDONLY | O_CLOEXEC);
	if (orig < 0)
		return -errno;
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		r = -errno;
		close(orig);
		return r;
	}
	fd = socket(domain, type | SOCK_CLOEXEC, protocol);
	r = fd < 0 ? -errno : fd;
	nf_netns_restore(orig);
	close(orig);
	return r;
}
