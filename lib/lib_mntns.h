/*
 * lib_mntns.h - running a program in a mount namespace of its own that
 * sees some files replaced, and still sees what is mounted later.
 *
 * What it is for: a server that must resolve names through files other
 * than the node's (a virtual server's /etc/passwd and /etc/group) runs in a
 * mount namespace where those files are bind-mounted over the node's ones.
 * That namespace is a slave of the node's: a file system mounted under a
 * shared directory (lib_mntns_share) after the server started appears in
 * it, and an unmount there is an unmount in it too, so the server never
 * holds a file system the node has let go.
 *
 * How: `PROG --mntns-exec --bind SRC DST [--bind SRC DST]... [--first N
 * W1..WN] -- CMD ARGS` (lib_mntns_exec_main, in the child started through
 * lib_run: argv only, no shell) unshares its mount namespace, makes every
 * mount a slave (MS_REC | MS_SLAVE), bind-mounts each SRC onto DST (both
 * absolute, DST existing), runs the first command W1..WN to its end when
 * there is one (it must exit 0: a server's preparation, such as setting
 * smbd's domain SID), then execs CMD in place: the pid, the process group
 * and the network namespace lib_run gave it stay CMD's.
 *
 * Memory: nothing is kept. Errors: 0 or a negative errno; the exec helper
 * writes one sentence on stderr and exits 127 when it cannot run CMD.
 */
#ifndef LIB_MNTNS_H
#define LIB_MNTNS_H

#define LIB_MNTNS_EXEC_FLAG "--mntns-exec"
#define LIB_MNTNS_MAX_BINDS 8

/* Not pure, idempotent: make dir (existing, absolute) a mount whose
 * sub-mounts propagate to slave namespaces (MS_SHARED), bind-mounting it
 * onto itself when it is no mount point yet. -EBUSY when it is none and
 * something is mounted beneath it already (a bind then would hide those
 * mounts: call it before mounting there). */
int lib_mntns_share(const char *dir);

/* argv[0] is the first word after LIB_MNTNS_EXEC_FLAG. Returns only on
 * failure, with the exit status to use (2 bad arguments, 127 otherwise). */
int lib_mntns_exec_main(int argc, char **argv);

/* Pure: fills argv_out (room for n_out entries) with self, the flag, the
 * binds, the first command (NULL-terminated, or NULL for none) and "--"
 * followed by cmd (NULL-terminated); -E2BIG when it does not fit, -EINVAL
 * for a relative path, too many binds or an empty command. */
#define LIB_MNTNS_FIRST_MAX 16
int lib_mntns_argv(const char *self, const char *const (*binds)[2], int n_binds,
                   const char *const *first, const char *const *cmd, const char **argv_out,
                   int n_out);

#endif
