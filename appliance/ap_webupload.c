/*
 * ap_webupload.c - the uploaded update's spool file (see ap_webupload.h).
 */
#include "appliance/ap_webupload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/lib_log.h"

struct ap_wu {
	int fd, dirfd;
	uint64_t length, got;
	char path[PATH_MAX];
};

static int path_of(const char *dir, char *path, size_t len)
{
	int n = snprintf(path, len, "%s/%s", dir, AP_WU_NAME);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int ap_wu_begin(int dirfd, const char *dir, uint64_t length, struct ap_wu **out, char *err,
                size_t errlen)
{
	struct ap_wu *u;

	*out = NULL;
	if (length == 0 || length > AP_WU_MAX)
		return snprintf(err, errlen,
		                "An update file is sent with its length (Content-Length), at "
		                "most %llu GiB.",
		                (unsigned long long)(AP_WU_MAX >> 30)),
		       -EINVAL;
	if (!(u = calloc(1, sizeof(*u))))
		return snprintf(err, errlen, "Out of memory."), -ENOMEM;
	u->length = length;
	u->dirfd = dirfd;
	if (path_of(dir, u->path, sizeof(u->path)) < 0) {
		free(u);
		return snprintf(err, errlen, "The upload directory's name is too long."),
		       -ENAMETOOLONG;
	}
	u->fd =
	    openat(dirfd, AP_WU_NAME, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (u->fd < 0) {
		int e = errno;
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
	*out = u;
	return 0;
}

int ap_wu_write(struct ap_wu *u, const void *data, size_t n, char *err, size_t errlen)
{
	const char *p = data;

	if (n > u->length - u->got)
		return snprintf(err, errlen, "The body is longer than its Content-Length."), -EFBIG;
	while (n > 0) {
		ssize_t w = write(u->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			lib_warn("apweb: writing the upload %s: %s", u->path, strerror(e));
			return snprintf(err, errlen,
			                "The update cannot be stored on this node: %s.",
			                strerror(e)),
			       -e;
		}
		p += w;
		n -= (size_t)w;
		u->got += (uint64_t)w;
	}
	return 0;
}

int ap_wu_finish(struct ap_wu *u, char *path, size_t pathlen, char *err, size_t errlen)
{
	int rc = 0;

	if (u->got != u->length) {
		snprintf(err, errlen, "The body ended after %llu of the %llu bytes announced.",
		         (unsigned long long)u->got, (unsigned long long)u->length);
		rc = -EIO;
	} else if (close(u->fd) < 0) {
		snprintf(err, errlen, "The update cannot be stored on this node: %s.",
		         strerror(errno));
		rc = -EIO;
	}
	if (rc < 0) {
		if (u->got != u->length)
			close(u->fd);
		unlinkat(u->dirfd, AP_WU_NAME, 0);
	} else {
		snprintf(path, pathlen, "%s", u->path);
	}
	free(u);
	return rc;
}

void ap_wu_abort(struct ap_wu *u)
{
	if (!u)
		return;
	close(u->fd);
	unlinkat(u->dirfd, AP_WU_NAME, 0);
	free(u);
}

int ap_wu_clean(int dirfd)
{
	return unlinkat(dirfd, AP_WU_NAME, 0) < 0 && errno != ENOENT ? -errno : 0;
}
