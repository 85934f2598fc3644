/*
 * fx_probe.c - the storage probe of a mounted file system.
 *
 * Design: the cheapest operation that proves the path to the LUN still
 * writes: open (create once) a small file at the root of the mount, pwrite a
 * fixed-size timestamp over it and fsync it. A fixed size keeps the file's
 * length constant, so no truncate is needed and each probe dirties one
 * block. fsync is the call that fails (EIO) or hangs when the path is gone;
 * the caller runs the probe in a child with a deadline, so a hang becomes a
 * timeout there. The file is opened O_NOFOLLOW relative to the directory, so
 * a symlink planted at that name is never followed. Returns the negative
 * errno of the first call that failed.
 */
#include "fsexport/fx_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int fx_probe_storage(const char *dir)
{
	int dfd, rc;

	if (!dir || !dir[0])
		return -EINVAL;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	rc = fx_probe_storage_fd(dfd);
	if (close(dfd) != 0 && !rc)
		rc = -errno;
	return rc;
}

int fx_probe_storage_fd(int dfd)
{
	struct timespec ts;
	char text[64];
	int fd, n, rc = 0;
	size_t done = 0;

	if (dfd < 0)
		return -EINVAL;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -errno;
	n = snprintf(text, sizeof(text), "%020lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -EOVERFLOW;
	fd = openat(dfd, FX_PROBE_FILE, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
	            0600);
	if (fd < 0)
		return -errno;
	while (done < (size_t)n) {
		ssize_t w = pwrite(fd, text + done, (size_t)n - done, (off_t)done);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out_file;
		}
		if (w == 0) {
			rc = -EIO;
			goto out_file;
		}
		done += (size_t)w;
	}
	if (fsync(fd) != 0)
		rc = -errno;
out_file:
	if (close(fd) != 0 && !rc)
		rc = -errno;
	return rc;
}
