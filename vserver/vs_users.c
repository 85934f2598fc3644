/*
 * vs_users.c - the local users and groups of a VS: their rules and the
 * changes of them (see vs_users.h). Pure: every function takes the VS and
 * the values, checks everything first and changes the VS only when all
 * passed, so a refusal leaves the VS as it was.
 */
#include "vserver/vs_users.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsexport/fx_identity.h"
#include "vserver/vs_err.h"

/* Names of the system's own accounts and groups (Debian's base-passwd, and
 * what SMB and NFS treat specially): a VS's user never takes one. */
static const char *const reserved[] = {
    "root",
    "daemon",
    "bin",
    "sys",
    "sync",
    "games",
    "man",
    "lp",
    "mail",
    "news",
    "uucp",
    "proxy",
    "www-data",
    "backup",
    "list",
    "irc",
    "gnats",
    "nobody",
    "nogroup",
    "adm",
    "tty",
    "disk",
    "kmem",
    "dialout",
    "fax",
    "voice",
    "cdrom",
    "floppy",
    "tape",
    "sudo",
    "audio",
    "dip",
    "operator",
    "src",
    "shadow",
    "utmp",
    "video",
    "sasl",
    "plugdev",
    "staff",
    "users",
    "wheel",
    "guest",
    "admin",
    "administrator",
    "messagebus",
    "sshd",
    "systemd-journal",
    "systemd-network",
    "systemd-resolve",
    "systemd-timesync",
    "_apt",
    "statd",
    "avahi",
    "ganesha",
    "appliance",
};

int vs_user_name_check(const char *name, const char *what, char *err, size_t errlen)
{
	char shown[48];
	size_t n = name ? strlen(name) : 0;

	if (n == 0)
		return vs_fail(-EINVAL, err, errlen, "A %s name must not be empty.", what);
	if (n > VS_USER_NAME_MAX)
		return vs_fail(-EINVAL, err, errlen, "A %s name is at most %d characters long.",
		               what, VS_USER_NAME_MAX);
	if (!(islower((unsigned char)name[0]) || name[0] == '_'))
		return vs_fail(-EINVAL, err, errlen,
		               "The %s name '%s' must start with a lower-case letter or '_'.", what,
		               vs_shown(name, shown, sizeof(shown)));
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!(islower(c) || isdigit(c) || c == '_' || c == '-'))
			return vs_fail(-EINVAL, err, errlen,
			               "The %s name '%s' may hold only lower-case letters, digits, "
			               "'_' and '-'.",
			               what, vs_shown(name, shown, sizeof(shown)));
	}
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(name, reserved[i]) == 0)
			return vs_fail(
			    -EINVAL, err, errlen,
			    "'%s' is a name of the system's own accounts; choose another "
			    "%s name.",
			    name, what);
	if (strncmp(name, "systemd-", 8) == 0)
		return vs_fail(
		    -EINVAL, err, errlen,
		    "Names starting with 'systemd-' belong to the system; choose another "
		    "%s name.",
		    what);
	return 0;
}

int vs_user_id_check(long long id, const char *what, char *err, size_t errlen)
{
	if (id < VS_ID_MIN || id > VS_ID_MAX)
		return vs_fail(-EINVAL, err, errlen,
		               "A %s must be from %d to %d (lower ones and higher ones belong to "
		               "the system).",
		               what, VS_ID_MIN, VS_ID_MAX);
	return 0;
}

int vs_user_hash_check(const char *nt, const char *crypt, char *nt_out, char *err, size_t errlen)
{
	if (nt) {
		size_t n = strlen(nt);
		bool hex = n == VS_NTHASH_LEN;
		for (size_t i = 0; hex && i < n; i++)
			hex = isxdigit((unsigned char)nt[i]);
		/* The value is password-equivalent: never quoted back. */
		if (!hex)
			return vs_fail(-EINVAL, err, errlen,
			               "The NT hash of a password must be %d hexadecimal digits.",
			               VS_NTHASH_LEN);
		if (nt_out) {
			for (size_t i = 0; i < n; i++)
				nt_out[i] = (char)toupper((unsigned char)nt[i]);
			nt_out[n] = '\0';
		}
	}
	if (crypt) {
		size_t n = strlen(crypt);
		bool ok = n > 3 && n <= VS_CRYPT_MAX && strncmp(crypt, "$y$", 3) == 0;
		for (size_t i = 0; ok && i < n; i++) {
			unsigned char c = (unsigned char)crypt[i];
			ok = isalnum(c) || c == '.' || c == '/' || c == '$';
		}
		if (!ok)
			return vs_fail(
			    -EINVAL, err, errlen,
			    "The crypt hash of a password must be a yescrypt hash ('$y$...', "
			    "at most %d characters of [./0-9A-Za-z$]).",
			    VS_CRYPT_MAX);
	}
	return 0;
}

const struct vs_user *vs_user_find(const struct vs_vserver *vs, const char *name)
{
	for (int i = 0; i < vs->n_users; i++)
		if (strcmp(vs->users[i].name, name) == 0)
			return &vs->users[i];
	return NULL;
}

const struct vs_group *vs_group_find(const struct vs_vserver *vs, const char *name)
{
	for (int i = 0; i < vs->n_groups; i++)
		if (strcmp(vs->groups[i].name, name) == 0)
			return &vs->groups[i];
	return NULL;
}

const struct vs_group *vs_group_by_gid(const struct vs_vserver *vs, uint32_t gid)
{
	for (int i = 0; i < vs->n_groups; i++)
		if (vs->groups[i].gid == gid)
			return &vs->groups[i];
	return NULL;
}

static const struct vs_user *user_by_uid(const struct vs_vserver *vs, uint32_t uid)
{
	for (int i = 0; i < vs->n_users; i++)
		if (vs->users[i].uid == uid)
			return &vs->users[i];
	return NULL;
}

/* The lowest id free as a uid and (personal: also) as a gid; 0 none. */
static uint32_t free_id(const struct vs_vserver *vs, bool as_uid, bool as_gid)
{
	for (uint32_t id = VS_ID_MIN; id <= VS_ID_MAX; id++)
		if ((!as_uid || !user_by_uid(vs, id)) && (!as_gid || !vs_group_by_gid(vs, id)))
			return id;
	return 0;
}

static int no_vs_user(const char *vs, const char *name, char *err, size_t errlen)
{
	return vs_fail(-ENOENT, err, errlen, "Virtual server '%s' has no user named '%s'.", vs,
	               name);
}

static int no_vs_group(const char *vs, const char *name, char *err, size_t errlen)
{
	return vs_fail(-ENOENT, err, errlen, "Virtual server '%s' has no group named '%s'.", vs,
	               name);
}

int vs_user_add(struct vs_vserver *vs, const struct vs_user_spec *sp, char *err, size_t errlen)
{
	struct vs_user u;
	bool personal;
	int rc;

	memset(&u, 0, sizeof(u));
	rc = vs_user_name_check(sp->name, "user", err, errlen);
	if (rc < 0)
		return rc;
	if (vs_user_find(vs, sp->name))
		return vs_fail(-EEXIST, err, errlen,
		               "Virtual server '%s' has a user named '%s' already.", vs->name,
		               sp->name);
	if (sp->uid) {
		rc = vs_user_id_check(sp->uid, "uid", err, errlen);
		if (rc < 0)
			return rc;
		const struct vs_user *o = user_by_uid(vs, sp->uid);
		if (o)
			return vs_fail(-EEXIST, err, errlen,
			               "uid %u is user '%s''s on virtual server '%s' already.",
			               (unsigned)sp->uid, o->name, vs->name);
	}
	if (sp->n_groups < 0 || sp->n_groups > VS_USER_MAX_GROUPS)
		return vs_fail(-E2BIG, err, errlen, "A user belongs to at most %d groups.",
		               VS_USER_MAX_GROUPS);
	for (int i = 0; i < sp->n_groups; i++) {
		rc = vs_user_name_check(sp->groups[i], "group", err, errlen);
		if (rc < 0)
			return rc;
		if (!vs_group_find(vs, sp->groups[i]))
			return no_vs_group(vs->name, sp->groups[i], err, errlen);
		for (int k = 0; k < i; k++)
			if (strcmp(sp->groups[k], sp->groups[i]) == 0)
				return vs_fail(-EINVAL, err, errlen, "Group '%s' is given twice.",
				               sp->groups[i]);
	}
	rc = vs_user_hash_check(sp->nt_hash, sp->crypt_hash, u.nt_hash, err, errlen);
	if (rc < 0)
		return rc;
	if (!sp->nt_hash != !sp->crypt_hash)
		return vs_fail(
		    -EINVAL, err, errlen,
		    "A password is given as both its NT hash and its crypt hash, or not at "
		    "all.");
	if (vs->n_users >= VS_MAX_USERS)
		return vs_fail(-E2BIG, err, errlen,
		               "Virtual server '%s' has the maximum of %d users.", vs->name,
		               VS_MAX_USERS);
	personal = sp->n_groups == 0;
	u.uid = sp->uid ? sp->uid : free_id(vs, true, personal);
	if (!u.uid)
		return vs_fail(-E2BIG, err, errlen, "Virtual server '%s' has no free uid left.",
		               vs->name);
	if (personal) {
		/* Its own group: the user's name, gid = uid. */
		const struct vs_group *g = vs_group_find(vs, sp->name);
		const struct vs_group *byid = vs_group_by_gid(vs, u.uid);
		if (g)
			return vs_fail(
			    -EEXIST, err, errlen,
			    "Virtual server '%s' has a group named '%s' already: give the "
			    "user its groups (--group).",
			    vs->name, sp->name);
		if (byid)
			return vs_fail(
			    -EEXIST, err, errlen,
			    "gid %u, for the user's own group, is group '%s''s already: give "
			    "another uid or the user's groups (--group).",
			    (unsigned)u.uid, byid->name);
		if (vs->n_groups >= VS_MAX_GROUPS)
			return vs_fail(-E2BIG, err, errlen,
			               "Virtual server '%s' has the maximum of %d groups.",
			               vs->name, VS_MAX_GROUPS);
	}
	snprintf(u.name, sizeof(u.name), "%s", sp->name);
	if (sp->crypt_hash)
		snprintf(u.crypt_hash, sizeof(u.crypt_hash), "%s", sp->crypt_hash);
	if (personal) {
		u.n_groups = 1;
		snprintf(u.groups[0], sizeof(u.groups[0]), "%s", sp->name);
	}
	for (int i = 0; i < sp->n_groups; i++)
		snprintf(u.groups[u.n_groups++], sizeof(u.groups[0]), "%s", sp->groups[i]);
	if (vs_grow((void **)&vs->users, &vs->cap_users, vs->n_users, sizeof(vs->users[0]),
	            VS_MAX_USERS) < 0 ||
	    (personal && vs_grow((void **)&vs->groups, &vs->cap_groups, vs->n_groups,
	                         sizeof(vs->groups[0]), VS_MAX_GROUPS) < 0))
		return vs_fail(-ENOMEM, err, errlen, "Out of memory.");
	if (personal) {
		struct vs_group *g = &vs->groups[vs->n_groups++];
		memset(g, 0, sizeof(*g));
		snprintf(g->name, sizeof(g->name), "%s", sp->name);
		g->gid = u.uid;
	}
	vs->users[vs->n_users++] = u;
	return 0;
}

static int group_index(const struct vs_vserver *vs, const char *name)
{
	const struct vs_group *g = vs_group_find(vs, name);
	return g ? (int)(g - vs->groups) : -1;
}

static void group_drop(struct vs_vserver *vs, int i)
{
	memmove(&vs->groups[i], &vs->groups[i + 1],
	        (size_t)(vs->n_groups - i - 1) * sizeof(vs->groups[0]));
	vs->n_groups--;
}

/* Where user u has group g among its groups (0: its primary), or -1. */
static int group_at(const struct vs_user *u, const char *g)
{
	for (int k = 0; k < u->n_groups; k++)
		if (strcmp(u->groups[k], g) == 0)
			return k;
	return -1;
}

/* User u leaves the group at index k of its list. */
static void leave(struct vs_user *u, int k)
{
	memmove(u->groups[k], u->groups[k + 1],
	        (size_t)(u->n_groups - k - 1) * sizeof(u->groups[0]));
	u->n_groups--;
}

/* Some user other than `but` has group `name` as its primary group. */
static const struct vs_user *primary_of(const struct vs_vserver *vs, const char *name,
                                        const struct vs_user *but)
{
	for (int i = 0; i < vs->n_users; i++)
		if (&vs->users[i] != but && strcmp(vs->users[i].groups[0], name) == 0)
			return &vs->users[i];
	return NULL;
}

/* --- who may use a share --------------------------------------------------- */

/* One list of names into out; n_out their number. */
static int share_list(const struct vs_vserver *vs, const char *text, const char *flag,
                      char (*out)[VS_PRINCIPAL_MAX + 1], int *n_out, char *err, size_t errlen)
{
	char buf[64];
	const char *p = text ? text : "";
	int n = 0;

	*n_out = 0;
	int names = *p ? 1 : 0;
	for (const char *c = p; *c; c++)
		names += *c == ',';
	if (names > VS_SHARE_LIST_MAX)
		return vs_fail(-E2BIG, err, errlen, "%s names at most %d users and groups.", flag,
		               VS_SHARE_LIST_MAX);
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char name[VS_ERR_LEN]; /* the name, then the refusal */
		if (len == 0 || len > VS_PRINCIPAL_MAX)
			return vs_fail(-EINVAL, err, errlen,
			               "%s takes user names and @group names separated by commas.",
			               flag);
		memcpy(name, p, len);
		name[len] = '\0';
		bool group = name[0] == '@';
		const char *bare = name + group;
		if (vs_user_name_check(bare, group ? "group" : "user", name, sizeof(name)) < 0)
			return vs_fail(-EINVAL, err, errlen, "%s: %s", flag, name);
		if (group ? !vs_group_find(vs, bare) : !vs_user_find(vs, bare))
			return vs_fail(-ENOENT, err, errlen,
			               "%s: virtual server '%s' has no %s named '%s'.", flag,
			               vs->name, group ? "group" : "user",
			               vs_shown(bare, buf, sizeof(buf)));
		for (int i = 0; i < n; i++)
			if (strcmp(out[i], name) == 0)
				return vs_fail(-EINVAL, err, errlen, "%s names '%s' twice.", flag,
				               name);
		snprintf(out[n++], VS_PRINCIPAL_MAX + 1, "%s", name);
		p += len + (end != NULL);
		if (end && !*p)
			return vs_fail(-EINVAL, err, errlen,
			               "%s takes user names and @group names separated by commas.",
			               flag);
	}
	*n_out = n;
	return 0;
}

int vs_share_access(const struct vs_vserver *vs, const struct vs_share_opts *o, struct vs_share *sh,
                    char *err, size_t errlen)
{
	struct vs_share t = *sh;
	int rc;

	if ((rc = share_list(vs, o->read, "--read", t.read, &t.n_read, err, errlen)) < 0 ||
	    (rc = share_list(vs, o->write, "--write", t.write, &t.n_write, err, errlen)) < 0)
		return rc;
	for (int i = 0; i < t.n_read; i++)
		for (int j = 0; j < t.n_write; j++)
			if (strcmp(t.read[i], t.write[j]) == 0)
				return vs_fail(-EINVAL, err, errlen,
				               "'%s' is in both --read and --write: name it once.",
				               t.read[i]);
	if (o->guest && (t.n_read || t.n_write))
		return vs_fail(
		    -EINVAL, err, errlen,
		    "A guest share is open to everyone: --guest goes with neither --read "
		    "nor --write.");
	if (o->ro && t.n_write)
		return vs_fail(-EINVAL, err, errlen,
		               "A read-only share has no writers: --ro goes without --write.");
	t.ro = o->ro;
	t.guest = o->guest;
	t.encrypt = o->encrypt;
	*sh = t;
	return 0;
}

void vs_share_list_text(const char (*list)[VS_PRINCIPAL_MAX + 1], int n, char sep, char *buf,
                        size_t len)
{
	size_t at = 0;

	if (len)
		buf[0] = '\0';
	for (int i = 0; i < n && at < len; i++) {
		int w = snprintf(buf + at, len - at, "%s%s", i ? (char[]){sep, '\0'} : "", list[i]);
		if (w < 0)
			break;
		at += (size_t)w;
	}
}

/* The share of vs that names `name` ("@name" when group), or NULL. */
static const struct vs_share *share_naming(const struct vs_vserver *vs, const char *name,
                                           bool group)
{
	char want[VS_PRINCIPAL_MAX + 2];

	snprintf(want, sizeof(want), "%s%s", group ? "@" : "", name);
	for (int i = 0; i < vs->n_shares; i++) {
		const struct vs_share *sh = &vs->shares[i];
		for (int k = 0; k < sh->n_read + sh->n_write; k++)
			if (strcmp(k < sh->n_read ? sh->read[k] : sh->write[k - sh->n_read],
			           want) == 0)
				return sh;
	}
	return NULL;
}

static int still_named(const struct vs_vserver *vs, const char *name, bool group, char *err,
                       size_t errlen)
{
	const struct vs_share *sh = share_naming(vs, name, group);

	if (!sh)
		return 0;
	return vs_fail(-EBUSY, err, errlen,
	               "Share '%s' names %s '%s': remove the share or make it again without it "
	               "first.",
	               sh->name, group ? "group" : "user", name);
}

int vs_user_remove(struct vs_vserver *vs, const char *name, char *err, size_t errlen)
{
	const struct vs_user *u = vs_user_find(vs, name);

	if (!u)
		return no_vs_user(vs->name, name, err, errlen);
	int i = (int)(u - vs->users);
	/* Its personal group goes with it, when no one else lives in it. */
	int g = group_index(vs, u->name);
	bool others = false;
	for (int k = 0; k < vs->n_users && !others; k++)
		others = k != i && group_at(&vs->users[k], u->name) >= 0;
	bool personal =
	    g >= 0 && group_at(u, u->name) == 0 && vs->groups[g].gid == u->uid && !others;
	int rc = still_named(vs, name, false, err, errlen);
	if (rc < 0 || (personal && (rc = still_named(vs, name, true, err, errlen)) < 0))
		return rc;
	if (personal)
		group_drop(vs, g);
	memmove(&vs->users[i], &vs->users[i + 1],
	        (size_t)(vs->n_users - i - 1) * sizeof(vs->users[0]));
	vs->n_users--;
	return 0;
}

int vs_user_passwd(struct vs_vserver *vs, const char *name, const char *nt, const char *crypt,
                   char *err, size_t errlen)
{
	char up[VS_NTHASH_LEN + 1];
	const struct vs_user *u = vs_user_find(vs, name);
	int rc;

	if (!u)
		return no_vs_user(vs->name, name, err, errlen);
	if (!nt || !crypt)
		return vs_fail(-EINVAL, err, errlen,
		               "A new password is given as both its NT hash and its crypt hash.");
	rc = vs_user_hash_check(nt, crypt, up, err, errlen);
	if (rc < 0)
		return rc;
	struct vs_user *w = &vs->users[u - vs->users];
	snprintf(w->nt_hash, sizeof(w->nt_hash), "%s", up);
	snprintf(w->crypt_hash, sizeof(w->crypt_hash), "%s", crypt);
	return 0;
}

int vs_group_add(struct vs_vserver *vs, const char *name, uint32_t gid, char *err, size_t errlen)
{
	int rc = vs_user_name_check(name, "group", err, errlen);

	if (rc < 0)
		return rc;
	if (vs_group_find(vs, name))
		return vs_fail(-EEXIST, err, errlen,
		               "Virtual server '%s' has a group named '%s' already.", vs->name,
		               name);
	if (gid) {
		rc = vs_user_id_check(gid, "gid", err, errlen);
		if (rc < 0)
			return rc;
		const struct vs_group *o = vs_group_by_gid(vs, gid);
		if (o)
			return vs_fail(-EEXIST, err, errlen,
			               "gid %u is group '%s''s on virtual server '%s' already.",
			               (unsigned)gid, o->name, vs->name);
	} else {
		gid = free_id(vs, false, true);
		if (!gid)
			return vs_fail(-E2BIG, err, errlen,
			               "Virtual server '%s' has no free gid left.", vs->name);
	}
	if (vs->n_groups >= VS_MAX_GROUPS)
		return vs_fail(-E2BIG, err, errlen,
		               "Virtual server '%s' has the maximum of %d groups.", vs->name,
		               VS_MAX_GROUPS);
	if (vs_grow((void **)&vs->groups, &vs->cap_groups, vs->n_groups, sizeof(vs->groups[0]),
	            VS_MAX_GROUPS) < 0)
		return vs_fail(-ENOMEM, err, errlen, "Out of memory.");
	struct vs_group *g = &vs->groups[vs->n_groups++];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->gid = gid;
	return 0;
}

int vs_group_remove(struct vs_vserver *vs, const char *name, char *err, size_t errlen)
{
	int g = group_index(vs, name);

	if (g < 0)
		return no_vs_group(vs->name, name, err, errlen);
	const struct vs_user *p = primary_of(vs, name, NULL);
	int rc = still_named(vs, name, true, err, errlen);
	if (rc < 0)
		return rc;
	if (p)
		return vs_fail(
		    -EBUSY, err, errlen,
		    "Group '%s' is the primary group of user '%s': remove the user or give "
		    "it another group first.",
		    name, p->name);
	/* Its supplementary members leave it. */
	for (int i = 0; i < vs->n_users; i++) {
		int k = group_at(&vs->users[i], name);
		if (k > 0)
			leave(&vs->users[i], k);
	}
	group_drop(vs, g);
	return 0;
}

int vs_group_member(struct vs_vserver *vs, const char *group, const char *user, bool add, char *err,
                    size_t errlen)
{
	const struct vs_user *cu = vs_user_find(vs, user);

	if (!cu)
		return no_vs_user(vs->name, user, err, errlen);
	if (!vs_group_find(vs, group))
		return no_vs_group(vs->name, group, err, errlen);
	struct vs_user *u = &vs->users[cu - vs->users];
	int at = group_at(u, group);
	if (add) {
		if (at >= 0)
			return vs_fail(-EEXIST, err, errlen, "User '%s' is in group '%s' already.",
			               user, group);
		if (u->n_groups >= VS_USER_MAX_GROUPS)
			return vs_fail(-E2BIG, err, errlen,
			               "User '%s' is in the maximum of %d groups.", user,
			               VS_USER_MAX_GROUPS);
		snprintf(u->groups[u->n_groups++], sizeof(u->groups[0]), "%s", group);
		return 0;
	}
	if (at < 0)
		return vs_fail(-ENOENT, err, errlen, "User '%s' is not in group '%s'.", user,
		               group);
	if (at == 0)
		return vs_fail(-EBUSY, err, errlen,
		               "Group '%s' is user '%s''s primary group; a user cannot leave it.",
		               group, user);
	leave(u, at);
	return 0;
}

/* --- the files the VS's servers read ----------------------------------------- */

void vs_users_files_free(struct vs_users_files *f)
{
	free(f->passwd);
	free(f->group);
	free(f->smbpasswd);
	*f = (struct vs_users_files){0};
}

int vs_users_files(const struct vs_vserver *vs, struct vs_users_files *out)
{
	struct fx_id_user *us = calloc((size_t)vs->n_users + 1, sizeof(*us));
	struct fx_id_group *gs = calloc((size_t)vs->n_groups + 1, sizeof(*gs));
	const char **sup = calloc((size_t)vs->n_users * VS_USER_MAX_GROUPS + 1, sizeof(*sup));
	struct vs_users_files f = {0};
	int rc = -ENOMEM;

	*out = f;
	if (!us || !gs || !sup)
		goto out;
	for (int i = 0; i < vs->n_groups; i++)
		gs[i] = (struct fx_id_group){.name = vs->groups[i].name, .gid = vs->groups[i].gid};
	for (int i = 0; i < vs->n_users; i++) {
		const struct vs_user *u = &vs->users[i];
		const struct vs_group *primary = vs_group_find(vs, u->groups[0]);
		const char **mine = sup + (size_t)i * VS_USER_MAX_GROUPS;
		for (int j = 1; j < u->n_groups; j++)
			mine[j - 1] = u->groups[j];
		us[i] = (struct fx_id_user){.name = u->name,
		                            .uid = u->uid,
		                            .gid = primary ? primary->gid : 0, /* 0: refused */
		                            .groups = mine,
		                            .n_groups = u->n_groups - 1,
		                            .nt_hash = u->nt_hash};
	}
	struct fx_identity_params p = {
	    .users = us, .n_users = vs->n_users, .groups = gs, .n_groups = vs->n_groups};
	if ((rc = fx_identity_passwd(&p, &f.passwd)) < 0 ||
	    (rc = fx_identity_group(&p, &f.group)) < 0 ||
	    (rc = fx_identity_smbpasswd(&p, &f.smbpasswd)) < 0) {
		vs_users_files_free(&f);
		goto out;
	}
	*out = f;
	rc = 0;
out:
	free(us);
	free(gs);
	free(sup);
	return rc;
}
