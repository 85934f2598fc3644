/*
 * fx_identity.h - the user and group files of one virtual server (pure).
 *
 * What it is for (DESIGN 7a): the ganesha.nfsd and smbd of a VS resolve
 * names and ids through files of that VS alone, so uid N is the same owner
 * over NFS and SMB and two VSs may each have an `alice` with other ids.
 * This generates, from the VS's users and groups:
 *   - passwd: root and nobody (the servers need them: smbd runs as root
 *     and checks its guest account), then each user as
 *     `name:x:uid:gid:name:/nonexistent:/usr/sbin/nologin` (no shell, no
 *     home: nobody logs in to the node with them);
 *   - group: root and nogroup, then each group with its members, the users
 *     that have it as a supplementary group (a primary group lists no one,
 *     as /etc/group does);
 *   - smbpasswd, Samba's `passdb backend = smbpasswd:FILE` format:
 *     `name:uid:LM:NT:[U          ]:LCT-XXXXXXXX:`, the LM hash always
 *     disabled (32 'X'), NT the stored NT hash; a user with no password
 *     gets a disabled entry (NT 32 'X', flags [DU         ]). The change
 *     time is a fixed stamp (FX_ID_LCT): 0 would make Samba demand a new
 *     password at the next logon, and a fixed one keeps the file the same
 *     until a user changes.
 *
 * Every value is checked by allow-list before a byte is written (a name
 * could otherwise add a line or a field): names 1..FX_ID_NAME_MAX of
 * [a-z0-9_-] starting with a letter or '_', not a name of the lines above;
 * ids 1..65533 (never 0, never nobody's), unique; an NT hash 32 hex digits
 * upper case or empty; a user's gid and its supplementary groups must be
 * among the groups.
 *
 * Memory: the caller owns the params; *out is malloc'd and owned by the
 * caller. Errors: -EINVAL a value that fails the rules above (nothing is
 * returned), -ENOMEM.
 */
#ifndef FX_IDENTITY_H
#define FX_IDENTITY_H

#include <stdint.h>

#define FX_ID_NAME_MAX 32
#define FX_ID_LCT 0x60000000u /* 2021-01-14: any fixed non-zero stamp */

struct fx_id_user {
	const char *name;
	uint32_t uid;
	uint32_t gid;              /* its primary group's */
	const char *const *groups; /* names of its supplementary groups */
	int n_groups;
	const char *nt_hash; /* 32 upper-case hex digits; NULL or "": no password */
};

struct fx_id_group {
	const char *name;
	uint32_t gid;
};

struct fx_identity_params {
	const struct fx_id_user *users;
	int n_users;
	const struct fx_id_group *groups;
	int n_groups;
};

int fx_identity_passwd(const struct fx_identity_params *p, char **out);
int fx_identity_group(const struct fx_identity_params *p, char **out);
int fx_identity_smbpasswd(const struct fx_identity_params *p, char **out);

/* The nsswitch.conf of a VS's file servers: passwd, group and shadow from
 * libnss-extrausers alone (/var/lib/extrausers, onto which the directory
 * holding the VS's passwd and group is bound), the rest from files and
 * DNS. A directory, not the files, is bound: applianced replaces a file by
 * renaming a new one over it, and a bind of the file would keep showing the
 * servers the old one (a user added after smbd started could not log in;
 * ganesha sent a new user's files as numeric ids on one node, by name on
 * another). Static text, owned by the module. */
#define FX_ID_NSS_DIR "/var/lib/extrausers"
const char *fx_identity_nsswitch(void);

#endif
