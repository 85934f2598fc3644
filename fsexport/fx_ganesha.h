/*
 * fx_ganesha.h - nfs-ganesha configuration of one virtual server (pure).
 *
 * Generates the complete ganesha.conf text for the ganesha.nfsd of one VS
 * from plain inputs: NFSv4 only (no v3, NLM, RQUOTA or UDP), minor versions
 * 0, 1 and 2 (4.0 stays on: libnfs, the lab's client, speaks only 4.0 and
 * gets NFS4ERR_MINOR_VERS_MISMATCH without it), the VFS FSAL, the recovery
 * directory on the VS's own file system (so NFSv4 client state moves with
 * the VS), and the lease/grace defaults chosen by the appliance.
 *
 * Operational facts (ganesha 4.3, measured): SIGHUP rereads the EXPORT
 * blocks: a new export is served at once, a removed one disappears
 * (NFS4ERR_NOENT), a changed one (RO->RW, clients) takes effect, and the
 * other exports keep serving throughout. SIGHUP rereads only the exports
 * (its log says "initiating export list reload"): a change of the other
 * blocks needs a restart. ganesha creates RecoveryRoot (one level) and /var/run/ganesha (its
 * Kerberos callback credential cache) itself; the directory of the -p pid
 * file must exist (the pid file is locked: one per instance). It logs, and
 * ignores, the missing rpcbind ("Cannot register NFS V4 on TCP"), D-Bus and
 * keytab.
 *
 * Memory: the caller owns the params; *out is malloc'd and owned by the caller.
 * Errors: -EINVAL if a value would break the file's syntax (quote, newline,
 * brace, semicolon or non-printable character) or is out of range (relative
 * path, duplicate Export_Id or pseudo path, bad CIDR, lease or grace outside
 * what ganesha accepts, grace shorter than the lease), -ENOMEM.
 */
#ifndef FX_GANESHA_H
#define FX_GANESHA_H

#include <stdbool.h>
#include <stdint.h>

#define FX_GANESHA_LEASE_DEFAULT 10 /* s; Linux knfsd's floor, DESIGN section 5 */
#define FX_GANESHA_GRACE_DEFAULT 15 /* s */

struct fx_nfs_export {
	uint32_t id;         /* Export_Id, 1..65535 (ganesha: 16 bits), unique in the VS */
	const char *path;    /* absolute path on this node (mount point + sub-directory) */
	const char *pseudo;  /* NFSv4 pseudo path, absolute */
	const char *clients; /* CIDR (or comma-separated CIDRs / addresses) allowed,
	                      * NULL or "" = every client */
	bool ro;
};

struct fx_ganesha_params {
	/* VS name ([A-Za-z][A-Za-z0-9_-]*, <= 63): NFSv4 Server_Owner and
	 * Server_Scope, so a client sees the same server after the VS moves to
	 * another node and reclaims its state (ganesha's default is the host
	 * name, which differs per node), and the D-Bus name prefix, so two
	 * ganesha on one host never claim the same bus name. NULL = omitted. */
	const char *name;
	const char *recovery_root; /* absolute directory on the VS's first file system */
	int lease_lifetime;        /* seconds, 1..120; 0 = FX_GANESHA_LEASE_DEFAULT */
	int grace_period;          /* seconds, lease..180; 0 = FX_GANESHA_GRACE_DEFAULT */
	const struct fx_nfs_export *exports;
	int n_exports;
};

int fx_ganesha_conf(const struct fx_ganesha_params *p, char **out);

#endif
