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
 * Identity: each export says how it squashes (root by default) and to
 * which anonymous uid/gid; AUTH_SYS only (SecType = sys: Kerberos needs a
 * directory join, which comes later). With a domain, owners travel as
 * user@domain, mapped through the VS's idmapd.conf, and numeric owners are
 * still accepted from clients that send them.
 *
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

/* How an export maps the ids clients send (ganesha's Squash): root (the
 * default) maps uid 0 to the anonymous ids, all maps everyone, none maps
 * no one. */
enum fx_nfs_squash { FX_SQUASH_ROOT = 0, FX_SQUASH_ALL, FX_SQUASH_NONE };
#define FX_NFS_ANON_DEFAULT 65534 /* nobody / nogroup */

struct fx_nfs_export {
	uint32_t id;         /* Export_Id, 1..65535 (ganesha: 16 bits), unique in the VS */
	const char *path;    /* absolute path on this node (mount point + sub-directory) */
	const char *pseudo;  /* NFSv4 pseudo path, absolute */
	const char *clients; /* CIDR (or comma-separated CIDRs / addresses) allowed,
	                      * NULL or "" = every client */
	bool ro;
	enum fx_nfs_squash squash;
	uint32_t anon_uid, anon_gid; /* 1..65534; 0 = FX_NFS_ANON_DEFAULT */
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
	/* The NFSv4 ID domain (user@domain owners), a DNS-like name of
	 * [a-z0-9.-], and the idmapd.conf ganesha reads it from (absolute;
	 * written by fx_ganesha_idmapd). Both NULL: numeric owners only. */
	const char *domain;
	const char *idmap_conf;
};

int fx_ganesha_conf(const struct fx_ganesha_params *p, char **out);

/* The idmapd.conf of a VS (libnfsidmap's, which ganesha uses to turn a
 * uid into user@domain and back): its domain, names looked up through NSS
 * (so in the VS's own passwd and group), unknown ones as nobody/nogroup.
 * Errors: -EINVAL a bad domain, -ENOMEM. */
int fx_ganesha_idmapd(const char *domain, char **out);

#endif
