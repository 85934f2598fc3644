/*
 * lib_beneath.h - opening and creating paths inside a hostile directory tree.
 *
 * What it is for: a tree that someone else can write (an NFS or SMB client
 * owns the directories of a virtual server's file system) must never lead a
 * privileged process elsewhere. Every path handed to these functions is
 * resolved beneath a directory descriptor the caller trusts, with openat2(2)
 * and RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
 * RESOLVE_NO_XDEV (Linux 5.6 or later): a symlink anywhere in the path
 * (relative or absolute target), a ".." that climbs out, or a mount point
 * crossed makes the call fail instead of being followed. Directories are
 * created one level at a time with mkdirat on the descriptor of their
 * parent, which was itself opened that way, so a rename or a planted symlink
 * between two steps is caught by the next step and nothing is created
 * outside the tree. Paths are never joined into strings and reopened.
 *
 * Memory: the descriptors returned belong to the caller (close them); paths
 * are borrowed.
 * Errors: 0 or a negative errno: -EINVAL a path that is empty, absolute, or
 * has an empty, "." or ".." component (lib_beneath_mkdirs) / is not a
 * relative path (lib_beneath_open); -ELOOP a symlink on the way; -EXDEV the
 * path would leave the tree (or crosses a mount); -ENOTDIR a component is not
 * a directory; -ENAMETOOLONG; -ENOSYS a kernel without openat2; otherwise
 * the errno of openat2/mkdirat/fchown.
 */
#ifndef LIB_BENEATH_H
#define LIB_BENEATH_H

#include <stddef.h>
#include <sys/types.h>

/* openat2(dirfd, path, flags | O_CLOEXEC | O_NOCTTY, mode) beneath dirfd,
 * no symlink followed. `path` is relative ("." is dirfd itself). */
int lib_beneath_open(int dirfd, const char *path, int flags, mode_t mode, int *out_fd);

/* Open the directory `path` beneath dirfd, creating each missing component
 * with mkdirat on its parent's descriptor. A directory created here gets the
 * owner and the permission bits of the directory it was created in (an
 * appliance-made sub-directory of a client tree belongs to the tree's owner,
 * not to root). "" is dirfd itself (a new descriptor). *out_fd is an
 * O_RDONLY|O_DIRECTORY descriptor; out_fd may be NULL. */
int lib_beneath_mkdirs(int dirfd, const char *path, int *out_fd);

/* True if `name` is one path component that lib_beneath_mkdirs accepts: not
 * empty, not "." or "..", no '/', shorter than NAME_MAX. */
int lib_beneath_name_ok(const char *name, size_t len);

#endif
