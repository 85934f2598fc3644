/*
 * fx_samba.h - smb.conf of one virtual server (pure).
 *
 * Generates a standalone-server smb.conf for the smbd of one VS: its own
 * NetBIOS name, bound only to the VS's addresses, NetBIOS disabled, and every
 * state path (state, cache, lock, private, pid, ncalrpc, log) under a per-VS
 * directory, so several smbd run side by side on one node.
 *
 * Memory: the caller owns the params; *out is malloc'd and owned by the caller.
 * Errors: -EINVAL if a value would break the file's syntax (newline, '[',
 * ']', '=' in a name, non-printable character), -ENOMEM.
 */
#ifndef FX_SAMBA_H
#define FX_SAMBA_H

#include <stdbool.h>

struct fx_smb_share {
	const char *name; /* share name */
	const char *path; /* absolute path on this node */
	bool ro;
};

struct fx_samba_params {
	const char *netbios_name;	/* upper-cased by the generator, <= 15 chars */
	const char *const *addresses; /* the VIPs, bare addresses */
	int n_addresses;
	const char *state_dir; /* per-VS directory for every samba state path */
	const struct fx_smb_share *shares;
	int n_shares;
};

int fx_samba_conf(const struct fx_samba_params *p, char **out);

#endif
