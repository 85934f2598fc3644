/*
 * fx_tree.h - the layout of a virtual server's file system, prepared
 * safely.
 *
 * What it is for: NFS and SMB clients write the file system, so the
 * appliance's own state on it must be out of their reach and every path the
 * appliance (root) creates there must stay inside it. The layout:
 *
 *   LUN root            root:root 0755 - no client ever sees it
 *     lost+found/       mkfs's, left alone
 *     .appliance/       root 0700: the storage probe's file, nfs-recovery/
 *                       (ganesha's NFSv4 recovery directory)
 *     data/             the client tree: owned as the LUN root was when it
 *                       was made (mkfs's root_owner); every export's and
 *                       share's path is relative to it, so none can reach
 *                       .appliance or lost+found
 *
 * A file system still in the old layout (clients owned the root) is
 * converted at its first preparation: data/ is made with the root's owner
 * and mode, every entry of the root except lost+found and a root-owned
 * .appliance directory (a client-planted symlink, file or directory is
 * client content) is renamed into data/, and only then the root is given to
 * root 0755. Each step is idempotent, so an interrupted conversion resumes.
 *
 * All of it touches the storage, which may hang, so it never runs in the
 * daemon's event loop: `applianced --fs-prepare MOUNT_DIR [SUB...]`
 * (fx_tree_main) runs it in a child with a deadline, and the daemon parses
 * the child's output with fx_tree_parse (pure). Every path is resolved with
 * lib_beneath (openat2, no symlink followed, never outside the mount).
 *
 * Memory: strings are borrowed; nothing is allocated for the caller.
 * Errors: 0 or a negative errno; a sub-directory's own failure (-ELOOP a
 * planted symlink, -EXDEV outside, -ENOTDIR...) is reported per
 * sub-directory, the layout's failure for the whole file system.
 */
#ifndef FX_TREE_H
#define FX_TREE_H

#include <stdbool.h>
#include <stddef.h>

#define FX_TREE_STATE ".appliance"
#define FX_TREE_DATA "data"
#define FX_TREE_RECOVERY "nfs-recovery" /* under FX_TREE_STATE */
#define FX_TREE_MAX_SUBS 1024           /* sub-directories per preparation */

/* Not pure: lay out the file system whose root is mount_dir (which must be
 * a mount point when require_mount is set), then create each subs[i]
 * beneath data/; rcs[i] gets 0 or that sub-directory's negative errno. The
 * return value is the layout's: on failure rcs is left as it was. */
int fx_tree_prepare(const char *mount_dir, bool require_mount, const char *const *subs, int n,
                    int *rcs);

/* The child: argv[0] is MOUNT_DIR, the rest are sub-directories. Prints
 * one line per sub-directory ("0" or "-ERRNO") and exits 0; a layout
 * failure prints one sentence and exits 1; 2 for bad arguments. */
int fx_tree_main(int argc, char **argv);

/* Pure: read the child's output for n sub-directories into rcs; -EPROTO if
 * it is not exactly n lines of "0" or "-ERRNO". */
int fx_tree_parse(const char *out, int n, int *rcs);

/* Pure: the absolute path handed to ganesha/smbd for a sub-directory
 * ("" = data/ itself): MOUNT_DIR/data[/SUB]. -ENAMETOOLONG. */
int fx_tree_data_path(const char *mount_dir, const char *sub, char *buf, size_t len);
/* Pure: MOUNT_DIR/.appliance/NAME (NAME "" = .appliance itself). */
int fx_tree_state_path(const char *mount_dir, const char *name, char *buf, size_t len);

/* Not pure, for the probe child: the storage probe (fx_probe.h) in
 * .appliance of the file system mounted on mount_dir (a mount point when
 * require_mount is set), resolved beneath it without following symlinks. */
int fx_tree_probe(const char *mount_dir, bool require_mount);

#endif
