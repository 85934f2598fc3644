/*
 * ap_webupload.c - the uploaded update's spool file, written by a child fed
 * through a pipe (see ap_webupload.h).
 */
#include "appliance/ap_webupload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "lib/lib_log.h"
#include "lib/lib_run.h"

/* The pipe's buffer (best effort: the system's pipe-max-size may be less). */
#define PIPE_BYTES (1 << 20)

struct ap_wu {
	int pipe_fd, dirfd;
	uint64_t length, got;
	struct lib_run *run;
	bool gone; /* the writer has ended */
	char gone_how[96];
	sd_event *ev;
	sd_event_source *io;
	ap_wu_fn writable;
	void *warg;
	ap_wu_done_fn done; /* set by ap_wu_finish */
	void *darg;
	char path[PATH_MAX];
};

static int path_of(const char *dir, char *path, size_t len)
{
	int n = snprintf(path, len, "%s/%s", dir, AP_WU_NAME);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Frees u: its writer killed if it runs, the pipe closed, the file removed
 * unless keep. */
static void drop(struct ap_wu *u, bool keep)
{
	sd_event_source_disable_unref(u->io);
	lib_run_destroy(u->run);
	if (u->pipe_fd >= 0)
		close(u->pipe_fd);
	if (!keep)
		unlinkat(u->dirfd, AP_WU_NAME, 0);
	sd_event_unref(u->ev);
	free(u);
}

static void on_writer(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct ap_wu *u = arg;
	bool ok = res->end == LIB_RUN_EXITED && res->exit_code == 0;
	char err[256];

	u->gone = true;
	lib_run_describe(res, u->gone_how, sizeof(u->gone_how));
	if (!u->done) {
		/* Before the body's end: the next write says so (EPIPE); a waiter
		 * is told at once. */
		if (!ok)
			lib_warn("apweb: the upload's writer %s before the body's end",
			         u->gone_how);
		if (u->writable) {
			ap_wu_fn fn = u->writable;
			u->writable = NULL;
			u->io = sd_event_source_disable_unref(u->io);
			fn(u->warg);
		}
		return;
	}
	if (ok && u->got == u->length) {
		u->done(u->darg, 0, u->path, NULL);
		drop(u, true);
		return;
	}
	lib_warn("apweb: the upload's writer %s", u->gone_how);
	snprintf(err, sizeof(err), "The update cannot be stored on this node: its writer %s.",
	         u->gone_how);
	u->done(u->darg, -EIO, NULL, err);
	drop(u, false);
}

int ap_wu_begin(sd_event *ev, int dirfd, const char *dir, uint64_t length, struct ap_wu **out,
                char *err, size_t errlen)
{
	struct ap_wu *u;
	struct statvfs vfs;
	int fd, p[2], rc;

	*out = NULL;
	if (length == 0 || length > AP_WU_MAX)
		return snprintf(err, errlen,
		                "An update file is sent with its length (Content-Length), at "
		                "most %llu GiB.",
		                (unsigned long long)(AP_WU_MAX >> 30)),
		       -EINVAL;
	if (fstatvfs(dirfd, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < length)
		return snprintf(
		           err, errlen,
		           "The update needs %llu MiB and this node has %llu MiB free for "
		           "it.",
		           (unsigned long long)(length >> 20),
		           (unsigned long long)(((uint64_t)vfs.f_bavail * vfs.f_frsize) >> 20)),
		       -ENOSPC;
	if (!(u = calloc(1, sizeof(*u))))
		return snprintf(err, errlen, "Out of memory."), -ENOMEM;
	u->length = length;
	u->dirfd = dirfd;
	u->pipe_fd = -1;
	u->ev = sd_event_ref(ev);
	if (path_of(dir, u->path, sizeof(u->path)) < 0) {
		sd_event_unref(u->ev);
		free(u);
		return snprintf(err, errlen, "The upload directory's name is too long."),
		       -ENAMETOOLONG;
	}
	fd = openat(dirfd, AP_WU_NAME, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		sd_event_unref(u->ev);
		free(u);
		if (e == EEXIST)
			return snprintf(err, errlen,
			                "An uploaded update is still being written (or checked): "
			                "wait for its end ('vsadm event show') and send it again."),
			       -EEXIST;
		lib_warn("apweb: cannot create the upload %s/%s: %s", dir, AP_WU_NAME, strerror(e));
		return snprintf(err, errlen, "The update cannot be stored on this node: %s.",
		                strerror(e)),
		       -e;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		rc = -errno;
		close(fd);
		drop(u, false);
		return snprintf(err, errlen, "The update cannot be stored on this node: %s.",
		                strerror(-rc)),
		       rc;
	}
	u->pipe_fd = p[1];
	if (fcntl(p[1], F_SETPIPE_SZ, PIPE_BYTES) < 0) {
		/* smaller than asked: slower, not wrong */
	}
	const char *argv[] = {"cat", NULL};
	struct lib_run_opts o = {.argv = argv, .netns_fd = -1, .stdin_fd = p[0], .out_fd = fd};
	if (fcntl(p[1], F_SETFL, O_NONBLOCK) < 0)
		rc = -errno;
	else
		rc = lib_run_start(ev, &o, on_writer, u, &u->run);
	close(p[0]);
	close(fd);
	if (rc < 0) {
		lib_warn("apweb: cannot start the upload's writer: %s", strerror(-rc));
		drop(u, false);
		return snprintf(err, errlen, "The update cannot be stored on this node: %s.",
		                strerror(-rc)),
		       rc;
	}
	*out = u;
	return 0;
}

int ap_wu_write(struct ap_wu *u, const void *data, size_t n, size_t *taken, char *err,
                size_t errlen)
{
	const char *p = data;

	*taken = 0;
	if (n > u->length - u->got)
		return snprintf(err, errlen, "The body is longer than its Content-Length."), -EFBIG;
	while (n > 0) {
		ssize_t w = write(u->pipe_fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return 0;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			if (u->gone)
				snprintf(err, errlen,
				         "The update cannot be stored on this node: its writer %s.",
				         u->gone_how);
			else
				snprintf(err, errlen,
				         "The update cannot be stored on this node: %s.",
				         strerror(e));
			return -EIO;
		}
		p += w;
		n -= (size_t)w;
		u->got += (uint64_t)w;
		*taken += (size_t)w;
	}
	return 0;
}

static int on_room(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct ap_wu *u = arg;
	ap_wu_fn fn = u->writable;

	u->writable = NULL;
	u->io = sd_event_source_disable_unref(u->io);
	if (fn)
		fn(u->warg);
	return 0;
}

int ap_wu_wait(struct ap_wu *u, ap_wu_fn fn, void *arg)
{
	int rc;

	if (u->gone)
		return -EPIPE;
	u->writable = fn;
	u->warg = arg;
	if (u->io)
		return 0;
	rc = sd_event_add_io(u->ev, &u->io, u->pipe_fd, EPOLLOUT, on_room, u);
	if (rc < 0)
		u->writable = NULL;
	return rc;
}

int ap_wu_finish(struct ap_wu *u, ap_wu_done_fn done, void *arg, char *err, size_t errlen)
{
	if (u->got != u->length) {
		snprintf(err, errlen, "The body ended after %llu of the %llu bytes announced.",
		         (unsigned long long)u->got, (unsigned long long)u->length);
		drop(u, false);
		return -EIO;
	}
	if (u->gone) { /* before its end of file: it failed */
		snprintf(err, errlen, "The update cannot be stored on this node: its writer %s.",
		         u->gone_how);
		drop(u, false);
		return -EIO;
	}
	u->io = sd_event_source_disable_unref(u->io);
	u->writable = NULL;
	close(u->pipe_fd); /* the writer's end of file */
	u->pipe_fd = -1;
	u->done = done;
	u->darg = arg;
	return 0;
}

void ap_wu_abort(struct ap_wu *u)
{
	if (u)
		drop(u, false);
}

int ap_wu_clean(int dirfd)
{
	return unlinkat(dirfd, AP_WU_NAME, 0) < 0 && errno != ENOENT ? -errno : 0;
}
