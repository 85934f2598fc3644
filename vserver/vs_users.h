/*
 * vs_users.h - the local users and groups of a virtual server (DESIGN R13,
 * section 7a): pure, no I/O.
 *
 * What it is for. A VS owns its users and groups, as an ONTAP SVM's local
 * users: a name, a uid or gid, group membership, and for a user the two
 * forms of its password the servers need, never the password itself: the
 * NT hash (MD4 of the UTF-16LE password, all SMB's NTLM needs) and a crypt
 * hash (yescrypt, "$y$...", for anything that checks a password locally).
 * They travel in the replicated configuration with the VS, so uid N is the
 * same owner on every node the VS runs on, over NFS and SMB alike; two VSs
 * may each have a user of the same name with different ids.
 *
 * The rules (each refusal one sentence, nothing changed):
 *   - names: 1..VS_USER_NAME_MAX of [a-z0-9_-], starting with a letter or
 *     '_' (Debian's default NAME_REGEX, lower case so SMB's case-blind
 *     names map to one user); the system's own names (root, nobody, ...)
 *     refused; a user and a group may share a name (a personal group);
 *   - ids: VS_ID_MIN..VS_ID_MAX (Debian's range for accounts that are not
 *     the system's), unique among the VS's users and among its groups;
 *   - a user's primary group is the first it is given; with none, a
 *     personal group of its name with gid = uid is made with it (and
 *     removed with it when no other user has it as primary);
 *   - hashes: an NT hash is 32 hex digits (kept upper case); a crypt hash
 *     is yescrypt's "$y$" form, [./0-9A-Za-z$] only; a user without them
 *     exists but cannot log in;
 *   - a group that is some user's primary group cannot be removed; a user
 *     or group that a share names cannot be removed;
 *   - a share's read and write lists name users and "@groups" of its VS.
 *
 * Memory: the lists are the VS's (vs_model.h: pointer, count, capacity);
 * strings passed in are copied. Errors: 0 or a negative errno (-EINVAL a
 * malformed value, -EEXIST a clash, -ENOENT a missing name, -E2BIG a full
 * list, -EBUSY a group still in use, -ENOMEM), with the sentence in err.
 */
#ifndef VS_USERS_H
#define VS_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vserver/vs_model.h"

/* Limits of the model (VS_USER_NAME_MAX, VS_MAX_USERS, ...) are in
 * vs_model.h, with the structs. */

/* A user or group name: 0, or -EINVAL and the sentence ("user" / "group"
 * as what). */
int vs_user_name_check(const char *name, const char *what, char *err, size_t errlen);
/* A uid or gid given by the administrator (what: "uid" / "gid"). */
int vs_user_id_check(long long id, const char *what, char *err, size_t errlen);
/* The hashes of a password (either NULL: not given). nt is copied upper
 * case into nt_out (VS_NTHASH_LEN + 1) when given and valid. */
int vs_user_hash_check(const char *nt, const char *crypt, char *nt_out, char *err, size_t errlen);

const struct vs_user *vs_user_find(const struct vs_vserver *vs, const char *name);
const struct vs_group *vs_group_find(const struct vs_vserver *vs, const char *name);
const struct vs_group *vs_group_by_gid(const struct vs_vserver *vs, uint32_t gid);

/* A new user. uid 0: the lowest free id (for its personal group too, when
 * it gets one). groups: names of existing groups, the first its primary.
 * nt / crypt: its hashes, or NULL for none yet. */
struct vs_user_spec {
	const char *name;
	uint32_t uid;
	const char *const *groups;
	int n_groups;
	const char *nt_hash;
	const char *crypt_hash;
};
int vs_user_add(struct vs_vserver *vs, const struct vs_user_spec *spec, char *err, size_t errlen);
int vs_user_remove(struct vs_vserver *vs, const char *name, char *err, size_t errlen);
/* New hashes for a user (both given). */
int vs_user_passwd(struct vs_vserver *vs, const char *name, const char *nt, const char *crypt,
                   char *err, size_t errlen);

/* A new group; gid 0: the lowest free. */
int vs_group_add(struct vs_vserver *vs, const char *name, uint32_t gid, char *err, size_t errlen);
int vs_group_remove(struct vs_vserver *vs, const char *name, char *err, size_t errlen);
/* user joins (add) or leaves a group as a supplementary member; leaving
 * its primary group is refused. */
int vs_group_member(struct vs_vserver *vs, const char *group, const char *user, bool add, char *err,
                    size_t errlen);

/* Who may use a share: o's read and write lists ("alice,@eng") parsed into
 * sh, with o's ro, guest and encrypt. Each name must be a user, or "@" and a
 * group, of vs; none twice; --guest goes with no list (a guest share is
 * everyone's) and --ro with no write list. On a refusal sh is unchanged. */
int vs_share_access(const struct vs_vserver *vs, const struct vs_share_opts *o, struct vs_share *sh,
                    char *err, size_t errlen);
/* A share's list as text, its names separated by sep ("" when empty). */
#define VS_SHARE_LIST_TEXT (VS_SHARE_LIST_MAX * (VS_PRINCIPAL_MAX + 1) + 1)
void vs_share_list_text(const char (*list)[VS_PRINCIPAL_MAX + 1], int n, char sep, char *buf,
                        size_t len);

/* The VS's passwd, group and smbpasswd files (fx_identity.h has their
 * formats), each malloc'd and the caller's; on an error none is returned.
 * A VS the model accepted always passes; -EINVAL would mean the model let
 * through what the generator refuses. */
struct vs_users_files {
	char *passwd, *group, *smbpasswd;
};
int vs_users_files(const struct vs_vserver *vs, struct vs_users_files *out);
void vs_users_files_free(struct vs_users_files *f);

#endif
