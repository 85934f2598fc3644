/*
 * lib_fs.h - small file-system helpers every layer needs.
 *
 * Errors: 0 or a negative errno.
 */
#ifndef LIB_FS_H
#define LIB_FS_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p; existing directories are fine. */
int lib_mkdir_p(const char *path, mode_t mode);
/* Write `len` bytes to path through a temporary file, fsync and rename, so a
 * reader sees the old or the new content, never a mix. Returns 1 if the file
 * changed, 0 if it already held exactly that content. */
int lib_write_file(const char *path, const char *data, size_t len, mode_t mode);
/* Read a whole small file (<= 1 MiB) into a malloc'd NUL-terminated buffer. */
int lib_read_file(const char *path, char **out);
/* Read a whole file that may hold a secret (a key): never through a
 * symbolic link (-ELOOP), a regular file only (-EINVAL), at most max bytes
 * (-EFBIG); *len is its length (no NUL counted). What was read is wiped
 * before any failure returns. */
int lib_read_secret(const char *path, size_t max, char **out, size_t *len);
/* Remove a directory tree (no symlinks followed). Missing is fine. */
int lib_rm_rf(const char *path);

#endif
