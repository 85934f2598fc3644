/*
 * fx_samba.h - smb.conf of one virtual server (pure).
 *
 * Generates a standalone-server smb.conf for the smbd of one VS: its own
 * NetBIOS name, bound only to the VS's addresses, NetBIOS disabled, and every
 * state path (state, cache, private, log) under a per-VS directory and the
 * volatile ones (lock, pid, ncalrpc) under a per-VS run directory, so several
 * smbd run side by side on one node.
 *
 * Identity (DESIGN 7a): users log in with their password (NTLMv2 against
 * the VS's smbpasswd file, fx_identity.h), SMB2.1 at least, signing
 * mandatory; no guest unless a share says so (map to guest = never: a
 * wrong password is refused, never turned into a guest). Files a user
 * creates are that user's (no force user); the share's lists become
 * `valid users`, `read list` and `write list`.
 *
 * Operational facts (samba 4.17, measured): SIGHUP to the main smbd rereads
 * the file; a new share is served at once and a removed share refuses new
 * tree connects, but clients already connected to a removed share keep it
 * until `smbcontrol -s CONF smbd close-share NAME`. smbd spawns
 * samba-dcerpcd on demand (share listing), in its own session: it outlives
 * smbd, so the supervisor stops it too (pid in STATE_DIR/run/samba-dcerpcd.pid).
 *
 * Joined (params.member): `server role = member server`, security = ads,
 * realm, workgroup, the idmap ranges (refused when they overlap the VS's
 * local ids, VS range 1000-59999, or each other), winbindd's settings.
 *
 * Memory: the caller owns the params; *out is malloc'd and owned by the caller.
 * Errors: -EINVAL if a value would break the file's syntax (newline, '[',
 * ']', '=' in a name, non-printable character; a list name outside
 * [a-z0-9_-] with an optional leading '@'), a guest share with a list,
 * -ENOMEM.
 */
#ifndef FX_SAMBA_H
#define FX_SAMBA_H

#include <stdbool.h>
#include <stddef.h>

struct fx_smb_share {
	const char *name; /* share name */
	const char *path; /* absolute path on this node */
	bool ro;
	bool guest;   /* guests without a password may use it */
	bool encrypt; /* SMB3 encryption required */
	/* Space-separated users and "@groups" (NULL or "": none). Both empty:
	 * every user of the VS; otherwise only those, read-only for read. */
	const char *read, *write;
};

/* A VS joined to a domain (fsexport/fx_join.h): smbd is a member (security
 * = ads) and its users come from winbindd with a deterministic idmap, the
 * domain's RIDs at rid_lo + RID, every other SID from the tdb range. Its
 * private and state directories (machine secret, idmap) are under
 * secrets_dir, on the VS's own file system, so the join moves with it; the
 * keytab is dedicated, in private. */
struct fx_smb_member {
	const char *realm;        /* fx_join_realm_ok, upper-cased */
	const char *workgroup;    /* fx_join_workgroup_ok */
	const char *dc_addr;      /* password server, a bare address; NULL: found by DNS */
	const char *secrets_dir;  /* absolute */
	const char *winbindd_dir; /* winbindd socket directory, absolute */
	unsigned rid_lo, rid_hi, star_lo, star_hi;
};

struct fx_samba_params {
	const char *netbios_name;     /* upper-cased by the generator, <= 15 chars */
	const char *const *addresses; /* the VIPs, bare addresses */
	int n_addresses;
	const char *state_dir; /* per-VS directory for samba's lasting state paths */
	/* Per-VS volatile directory, reachable by every uid (as Samba's own
	 * /run/samba): lock, pid and ncalrpc. An smbd process serving a user
	 * runs as that user and looks up the other smbd processes' messaging
	 * lock files under the lock directory; one it cannot reach counts as
	 * dead, and its byte-range locks and share modes are dropped. */
	const char *run_dir;
	const struct fx_smb_share *shares;
	int n_shares;
	const char *passdb;                 /* absolute path of the VS's smbpasswd file */
	const struct fx_smb_member *member; /* NULL: a standalone server */
};

int fx_samba_conf(const struct fx_samba_params *p, char **out);

/* The SID of a VS's own domain (its local users are that SID plus a RID):
 * "S-1-5-21-A-B-C" from the SHA-256 of the VS's name, so it is the same on
 * every node. Without it each node's smbd made its own, and a user's SID
 * changed with a move (measured: S-1-5-21-2991559814-... on n1,
 * S-1-5-21-3395782664-... on n2, the same user). Set into the VS's
 * secrets.tdb with `net setlocalsid` before smbd starts. Pure.
 * Errors: -EINVAL an empty name, -ENOSPC len too small (FX_SMB_SID_MAX). */
#define FX_SMB_SID_MAX 48
int fx_samba_domain_sid(const char *vs_name, char *out, size_t len);

/* Not pure: creates, under an existing state_dir, the sub-directories the
 * generated smb.conf names (private 0700, the others 0755); existing ones are
 * kept. smbd 4.17 creates state, cache, lock, pid and ncalrpc itself but not
 * the private or log directory: without them it cannot open secrets.tdb and
 * falls back to logging in /var/log/samba. Call before starting smbd.
 * Errors: -EINVAL, -ENOTDIR (a name exists and is not a directory), or the
 * negative errno of open/mkdir. */
int fx_samba_mkdirs(const char *state_dir);

#endif
