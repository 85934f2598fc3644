/*
 * ap_requsers.c - requests on the users and groups of a VS (DESIGN R13,
 * 7a): `vsadm user add|passwd|remove|show` and `vsadm group
 * add|remove|show|member`; `vsadm share add`, whose --read and --write
 * name them, and `vsadm export add`, which says how NFS client ids map. The model (vs_users.h)
 * checks every value; a password arrives only as its two hashes (vsadm hashes what it reads from
 * stdin, lib_pwhash.h), is stored with the VS, and is never shown or
 * logged: an answer says "set" or "not set", an event names the user and
 * what changed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "appliance/ap_daemon_int.h"
#include "vserver/vs_users.h"

bool ap_d_identity_cmd(const char *cmd)
{
	static const char *const cmds[] = {"user.add",  "user.passwd",  "user.remove",
	                                   "group.add", "group.remove", "group.member"};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmd, cmds[i]) == 0)
			return true;
	return false;
}

static const char *arg(json_t *args, const char *key)
{
	return json_string_value(json_object_get(args, key));
}

static int id_arg(json_t *args, const char *key, uint32_t *out, char *err, size_t errlen)
{
	json_int_t v = 0;
	int rc = vs_json_int(args, key, VS_ID_MIN, VS_ID_MAX, &v);

	*out = 0;
	if (rc < 0)
		return vs_user_id_check(-1, key, err, errlen); /* its sentence */
	if (rc == 0)
		*out = (uint32_t)v;
	return 0;
}

static int user_add(struct vs_vserver *vs, json_t *args, char *what, size_t wlen, char *err,
                    size_t errlen)
{
	const char *groups[VS_USER_MAX_GROUPS];
	json_t *gl = json_object_get(args, "groups"), *g;
	size_t i;
	uint32_t uid;
	int rc = id_arg(args, "uid", &uid, err, errlen);

	if (rc < 0)
		return rc;
	if (gl && (!json_is_array(gl) || json_array_size(gl) > VS_USER_MAX_GROUPS))
		return snprintf(err, errlen, "A user belongs to at most %d groups.",
		                VS_USER_MAX_GROUPS),
		       -E2BIG;
	json_array_foreach(gl, i, g)
	{
		groups[i] = json_string_value(g);
		if (!groups[i])
			return snprintf(err, errlen, "A group is given by its name."), -EINVAL;
	}
	struct vs_user_spec sp = {.name = arg(args, "name") ?: "",
	                          .uid = uid,
	                          .groups = groups,
	                          .n_groups = gl ? (int)json_array_size(gl) : 0,
	                          .nt_hash = arg(args, "nt_hash"),
	                          .crypt_hash = arg(args, "crypt_hash")};
	rc = vs_user_add(vs, &sp, err, errlen);
	if (rc < 0)
		return rc;
	const struct vs_user *u = vs_user_find(vs, sp.name);
	snprintf(what, wlen, "user %s added (uid %u, group %s%s)%s", u->name, (unsigned)u->uid,
	         u->groups[0], u->n_groups > 1 ? " and more" : "",
	         u->nt_hash[0] ? ", with a password" : ", no password yet: it cannot log in");
	return 0;
}

int ap_d_identity_change(struct ap_daemon *d, const char *cmd, json_t *args, char *what,
                         size_t wlen, char *err, size_t errlen)
{
	const char *vsname = arg(args, "vs") ?: "", *name = arg(args, "name") ?: "";
	struct vs_vserver *vs;
	uint32_t gid;
	int rc = vs_config_need(d->cfg, vsname, &vs, err, errlen);

	if (rc < 0)
		return rc;
	if (strcmp(cmd, "user.add") == 0) {
		rc = user_add(vs, args, what, wlen, err, errlen);
	} else if (strcmp(cmd, "user.passwd") == 0) {
		rc = vs_user_passwd(vs, name, arg(args, "nt_hash"), arg(args, "crypt_hash"), err,
		                    errlen);
		snprintf(what, wlen, "password of user %s changed", name);
	} else if (strcmp(cmd, "user.remove") == 0) {
		rc = vs_user_remove(vs, name, err, errlen);
		snprintf(what, wlen, "user %s removed", name);
	} else if (strcmp(cmd, "group.add") == 0) {
		rc = id_arg(args, "gid", &gid, err, errlen);
		if (rc == 0)
			rc = vs_group_add(vs, name, gid, err, errlen);
		if (rc == 0)
			snprintf(what, wlen, "group %s added (gid %u)", name,
			         (unsigned)vs_group_find(vs, name)->gid);
	} else if (strcmp(cmd, "group.remove") == 0) {
		rc = vs_group_remove(vs, name, err, errlen);
		snprintf(what, wlen, "group %s removed", name);
	} else if (strcmp(cmd, "group.member") == 0) {
		const char *act = arg(args, "action") ?: "", *g = arg(args, "group") ?: "",
		           *u = arg(args, "user") ?: "";
		bool add = strcmp(act, "add") == 0;
		if (!add && strcmp(act, "remove") != 0)
			return snprintf(err, errlen, "Give add or remove after 'group member'."),
			       -EINVAL;
		rc = vs_group_member(vs, g, u, add, err, errlen);
		snprintf(what, wlen, "user %s %s group %s", u, add ? "joined" : "left", g);
	} else {
		return snprintf(err, errlen, "Unknown request '%s'.", cmd), -EINVAL;
	}
	if (rc == 0)
		d->cfg->version++;
	return rc;
}

int ap_d_share_add(struct ap_daemon *d, json_t *args, char *what, size_t wlen, char *err,
                   size_t errlen)
{
	const char *share = arg(args, "share") ?: "", *fs = arg(args, "fs") ?: "";
	struct vs_share_opts o = {.ro = json_is_true(json_object_get(args, "ro")),
	                          .guest = json_is_true(json_object_get(args, "guest")),
	                          .encrypt = json_is_true(json_object_get(args, "encrypt")),
	                          .read = arg(args, "read"),
	                          .write = arg(args, "write")};
	int rc = vs_config_share_add_opts(d->cfg, arg(args, "vs") ?: "", share, fs,
	                                  arg(args, "path"), &o, err, errlen);

	if (rc < 0)
		return rc;
	snprintf(what, wlen, "SMB share %s added (file system %s%s%s%s%s%s%s%s)", share, fs,
	         o.ro ? ", read-only" : "", o.guest ? ", guests welcome" : "",
	         o.encrypt ? ", encrypted" : "", o.read && *o.read ? ", read: " : "",
	         o.read && *o.read ? o.read : "", o.write && *o.write ? ", write: " : "",
	         o.write && *o.write ? o.write : "");
	return 0;
}

/* An optional id argument of export.add: 0 when absent. */
static int anon_arg(json_t *args, const char *key, const char *flag, uint32_t *out, char *err,
                    size_t errlen)
{
	json_int_t v = 0;

	*out = 0;
	if (vs_json_int(args, key, 1, VS_ANON_DEFAULT, &v) < 0)
		return snprintf(err, errlen, "%s takes an id from 1 to %d.", flag, VS_ANON_DEFAULT),
		       -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int ap_d_export_add(struct ap_daemon *d, json_t *args, char *what, size_t wlen, char *err,
                    size_t errlen)
{
	const char *pseudo = arg(args, "pseudo") ?: "", *fs = arg(args, "fs") ?: "";
	struct vs_export_opts o = {.clients = arg(args, "clients"),
	                           .ro = json_is_true(json_object_get(args, "ro")),
	                           .squash = arg(args, "squash"),
	                           .sec = arg(args, "sec")};
	int rc;

	if ((rc = anon_arg(args, "anon_uid", "--anon-uid", &o.anon_uid, err, errlen)) < 0 ||
	    (rc = anon_arg(args, "anon_gid", "--anon-gid", &o.anon_gid, err, errlen)) < 0 ||
	    (rc = vs_config_export_add_opts(d->cfg, arg(args, "vs") ?: "", pseudo, fs,
	                                    arg(args, "path"), &o, err, errlen)) < 0)
		return rc;
	snprintf(
	    what, wlen, "NFS export %s added (file system %s%s%s%s, squash %s, anonymous %u:%u)",
	    pseudo, fs, o.ro ? ", read-only" : "", o.clients ? ", clients " : "",
	    o.clients ? o.clients : "", o.squash ? o.squash : "root",
	    o.anon_uid ? o.anon_uid : VS_ANON_DEFAULT, o.anon_gid ? o.anon_gid : VS_ANON_DEFAULT);
	return 0;
}

/* The members of group g: the users that have it, primary or not. */
static json_t *members_of(const struct vs_vserver *vs, const char *g)
{
	json_t *m = json_array();

	for (int i = 0; i < vs->n_users; i++)
		for (int k = 0; k < vs->users[i].n_groups; k++)
			if (strcmp(vs->users[i].groups[k], g) == 0)
				json_array_append_new(m, json_string(vs->users[i].name));
	return m;
}

json_t *ap_d_identity_show(struct ap_daemon *d, const char *cmd, json_t *args, char *err,
                           size_t errlen)
{
	const char *vsname = arg(args, "vs") ?: "", *name = arg(args, "name");
	struct vs_vserver *vs;
	json_t *out;

	if (vs_config_need(d->cfg, vsname, &vs, err, errlen) < 0)
		return NULL;
	out = json_array();
	if (strcmp(cmd, "group.show") == 0) {
		for (int i = 0; i < vs->n_groups; i++)
			json_array_append_new(
			    out, json_pack("{s:s, s:I, s:o}", "name", vs->groups[i].name, "gid",
			                   (json_int_t)vs->groups[i].gid, "members",
			                   members_of(vs, vs->groups[i].name)));
		return out;
	}
	if (name && !vs_user_find(vs, name)) {
		json_decref(out);
		snprintf(err, errlen, "Virtual server '%s' has no user named '%s'.", vs->name,
		         name);
		return NULL;
	}
	for (int i = 0; i < vs->n_users; i++) {
		const struct vs_user *u = &vs->users[i];
		if (name && strcmp(u->name, name) != 0)
			continue;
		json_t *gl = json_array();
		for (int k = 0; k < u->n_groups; k++)
			json_array_append_new(gl, json_string(u->groups[k]));
		/* Never a hash: only whether there is a password. */
		json_array_append_new(out, json_pack("{s:s, s:I, s:o, s:s}", "name", u->name, "uid",
		                                     (json_int_t)u->uid, "groups", gl, "password",
		                                     u->nt_hash[0] ? "set" : "not set"));
	}
	return out;
}
