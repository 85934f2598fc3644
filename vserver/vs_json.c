/*
 * vs_json.c - the VS model to and from JSON (see vs_json.h).
 *
 * Loading replays the document through the validated change functions of
 * vs_model.c (create, vip add, fs add, ...), so the same rules hold for a
 * configuration typed by an administrator and one read back from disk.
 */
#include "vserver/vs_json.h"
#include "vserver/vs_account.h"
#include "vserver/vs_tls.h"
#include "vserver/vs_users.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int vs_json_int(const json_t *obj, const char *key, json_int_t min, json_int_t max, json_int_t *out)
{
	json_t *v = json_object_get(obj, key);
	json_int_t n;

	if (!v || json_is_null(v))
		return 1;
	if (!json_is_integer(v))
		return -EINVAL;
	n = json_integer_value(v);
	if (n < min || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

json_t *vs_vserver_to_json(const struct vs_vserver *vs)
{
	json_t *vips = json_array(), *fss = json_array(), *exps = json_array();
	json_t *shares = json_array();

	for (int i = 0; i < vs->n_vips; i++) {
		const struct vs_vip *v = &vs->vips[i];
		char cidr[VS_ADDR_MAX + 8];
		snprintf(cidr, sizeof(cidr), "%s/%d", v->addr, v->prefix);
		json_array_append_new(vips, json_pack("{s:s, s:s, s:i, s:s, s:s, s:b}", "address",
		                                      v->addr, "cidr", cidr, "prefix", v->prefix,
		                                      "home_port", v->home_port, "group", v->group,
		                                      "auto_revert", !v->no_auto_revert));
	}
	for (int i = 0; i < vs->n_fs; i++) {
		const struct vs_fs *f = &vs->fs[i];
		char lun[VS_LUN_MAX + 8];
		snprintf(lun, sizeof(lun), "%s=%s", f->lun_kind == VS_LUN_UUID ? "UUID" : "LABEL",
		         f->lun);
		json_array_append_new(fss, json_pack("{s:s, s:s}", "name", f->name, "lun", lun));
	}
	for (int i = 0; i < vs->n_exports; i++) {
		const struct vs_export *e = &vs->exports[i];
		static const char *const squash[] = {"root", "all", "none"};
		json_t *x = json_pack("{s:i, s:s, s:s, s:s, s:s, s:b}", "id", (json_int_t)e->id,
		                      "pseudo", e->pseudo, "fs", e->fs, "path", e->path, "clients",
		                      e->clients, "ro", e->ro);
		/* Absent when the default, as before these existed. */
		if (e->squash != VS_SQUASH_ROOT)
			json_object_set_new(x, "squash", json_string(squash[e->squash]));
		if (e->anon_uid != VS_ANON_DEFAULT)
			json_object_set_new(x, "anon_uid", json_integer(e->anon_uid));
		if (e->anon_gid != VS_ANON_DEFAULT)
			json_object_set_new(x, "anon_gid", json_integer(e->anon_gid));
		json_array_append_new(exps, x);
	}
	for (int i = 0; i < vs->n_shares; i++) {
		const struct vs_share *s = &vs->shares[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "name", s->name, "fs", s->fs, "path",
		                      s->path, "ro", s->ro);
		char list[VS_SHARE_LIST_TEXT];
		/* Absent unless set, as before these existed. */
		if (s->guest)
			json_object_set_new(o, "guest", json_true());
		if (s->encrypt)
			json_object_set_new(o, "encrypt", json_true());
		if (s->n_read) {
			vs_share_list_text(s->read, s->n_read, ',', list, sizeof(list));
			json_object_set_new(o, "read", json_string(list));
		}
		if (s->n_write) {
			vs_share_list_text(s->write, s->n_write, ',', list, sizeof(list));
			json_object_set_new(o, "write", json_string(list));
		}
		json_array_append_new(shares, o);
	}
	json_t *o = json_pack("{s:s, s:i, s:b, s:s, s:s, s:b, s:s, s:i, s:o, s:o, s:o, s:o}",
	                      "name", vs->name, "priority", vs->priority, "pinned", vs->pinned,
	                      "home", vs->home, "at", vs->at, "auto_revert", !vs->no_auto_revert,
	                      "admin", vs->admin == VS_ADMIN_RUNNING ? "running" : "stopped",
	                      "next_export_id", (json_int_t)vs->next_export_id, "vips", vips,
	                      "filesystems", fss, "exports", exps, "shares", shares);
	if (o && (vs->n_users || vs->n_groups)) {
		json_t *users = json_array(), *groups = json_array();
		for (int i = 0; i < vs->n_users; i++) {
			const struct vs_user *u = &vs->users[i];
			json_t *gl = json_array();
			for (int k = 0; k < u->n_groups; k++)
				json_array_append_new(gl, json_string(u->groups[k]));
			json_array_append_new(users, json_pack("{s:s, s:I, s:o, s:s, s:s}", "name",
			                                       u->name, "uid", (json_int_t)u->uid,
			                                       "groups", gl, "nt_hash", u->nt_hash,
			                                       "crypt_hash", u->crypt_hash));
		}
		for (int i = 0; i < vs->n_groups; i++)
			json_array_append_new(groups,
			                      json_pack("{s:s, s:I}", "name", vs->groups[i].name,
			                                "gid", (json_int_t)vs->groups[i].gid));
		json_object_set_new(o, "users", users);
		json_object_set_new(o, "groups", groups);
	}
	/* Only when set: a document without them means the defaults. */
	if (o && vs->nfs_lease)
		json_object_set_new(o, "nfs_lease", json_integer(vs->nfs_lease));
	if (o && vs->nfs_grace)
		json_object_set_new(o, "nfs_grace", json_integer(vs->nfs_grace));
	if (o && vs->nfs_domain[0])
		json_object_set_new(o, "nfs_domain", json_string(vs->nfs_domain));
	if (o && vs->join.realm[0])
		json_object_set_new(o, "join", vs_join_to_json(&vs->join));
	return o;
}

static json_t *node_list_json(const char (*list)[VS_NAME_MAX + 1], int n)
{
	json_t *arr = json_array();

	for (int i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_string(list[i]));
	return arr;
}

json_t *vs_maint_to_json(const struct vs_config *cfg)
{
	return node_list_json(cfg->maint, cfg->n_maint);
}

json_t *vs_standby_to_json(const struct vs_config *cfg)
{
	return node_list_json(cfg->standby, cfg->n_standby);
}

json_t *vs_balance_to_json(const struct vs_config *cfg)
{
	const struct vs_balance_cfg *b = &cfg->balance;

	return json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "mode",
	                 b->mode == VS_BALANCE_DEFAULT ? "default" : vs_balance_mode_name(b->mode),
	                 "max_moves", b->max_moves, "cooldown_s", b->cooldown_s, "min_share_pct",
	                 b->min_share_pct, "trigger_pct", b->trigger_pct, "high_water_pct",
	                 b->high_water_pct, "low_water_pct", b->low_water_pct, "smoothing_s",
	                 b->smoothing_s, "lun_busy_pct", b->lun_busy_pct);
}

json_t *vs_fgroups_to_json(const struct vs_config *cfg)
{
	json_t *groups = json_array();

	for (int i = 0; i < cfg->n_fgroups; i++) {
		const struct vs_fgroup *g = &cfg->fgroups[i];
		json_t *ports = json_array();
		for (int k = 0; k < g->n_ports; k++)
			json_array_append_new(ports, json_string(g->ports[k]));
		json_array_append_new(groups, json_pack("{s:s, s:o, s:s, s:I, s:I, s:I}", "name",
		                                        g->name, "ports", ports, "probe", g->probe,
		                                        "probe_interval_ms",
		                                        (json_int_t)g->probe_interval_ms,
		                                        "probe_misses", (json_int_t)g->probe_misses,
		                                        "hold_down_s", (json_int_t)g->hold_down_s));
		if (g->port_mbps)
			json_object_set_new(json_array_get(groups, json_array_size(groups) - 1),
			                    "port_mbps", json_integer(g->port_mbps));
	}
	return groups;
}

json_t *vs_fences_to_json(const struct vs_config *cfg)
{
	json_t *fences = json_array();

	for (int i = 0; i < cfg->n_fences; i++)
		json_array_append_new(
		    fences, json_pack("{s:s, s:s, s:s}", "node", cfg->fences[i].node, "agent",
		                      cfg->fences[i].agent, "options", cfg->fences[i].options));
	return fences;
}

json_t *vs_config_to_json(const struct vs_config *cfg)
{
	json_t *arr = json_array();

	for (int i = 0; i < cfg->n_vservers; i++)
		json_array_append_new(arr, vs_vserver_to_json(&cfg->vservers[i]));
	json_t *j =
	    json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "version", (json_int_t)cfg->version,
	              "fgroups", vs_fgroups_to_json(cfg), "fences", vs_fences_to_json(cfg), "maint",
	              vs_maint_to_json(cfg), "standby", vs_standby_to_json(cfg), "balance",
	              vs_balance_to_json(cfg), "vservers", arr);

	if (j && cfg->n_accounts) /* absent when none: older documents stay the same */
		json_object_set_new(j, "accounts", vs_accounts_to_json(cfg));
	if (j && cfg->tls_cert) /* the same: absent when none */
		json_object_set_new(j, "tls", vs_tls_to_json(cfg));
	return j;
}

/* The users and groups of a VS (absent: none), groups first: each user's
 * groups (its personal one too) are in the list, so nothing is made. */
static int load_identity(const json_t *j, struct vs_vserver *vs, char *err, size_t errlen)
{
	json_t *users = json_object_get(j, "users"), *groups = json_object_get(j, "groups");
	json_t *e;
	size_t i;
	int rc;

	if ((users && !json_is_array(users)) || (groups && !json_is_array(groups)))
		return snprintf(err, errlen,
		                "The users or groups of a virtual server are malformed."),
		       -EINVAL;
	json_array_foreach(groups, i, e)
	{
		const char *gname = NULL;
		json_int_t gid = 0;
		if (json_unpack(e, "{s:s}", "name", &gname) < 0 ||
		    vs_json_int(e, "gid", VS_ID_MIN, VS_ID_MAX, &gid) != 0)
			return snprintf(err, errlen, "A group entry is malformed."), -EINVAL;
		rc = vs_group_add(vs, gname, (uint32_t)gid, err, errlen);
		if (rc < 0)
			return rc;
	}
	json_array_foreach(users, i, e)
	{
		const char *uname = NULL, *nt = "", *cr = "", *gn[VS_USER_MAX_GROUPS];
		json_t *gl = NULL, *g;
		json_int_t uid = 0;
		size_t k;
		if (json_unpack(e, "{s:s, s:o, s?s, s?s}", "name", &uname, "groups", &gl, "nt_hash",
		                &nt, "crypt_hash", &cr) < 0 ||
		    vs_json_int(e, "uid", VS_ID_MIN, VS_ID_MAX, &uid) != 0 || !json_is_array(gl) ||
		    json_array_size(gl) < 1 || json_array_size(gl) > VS_USER_MAX_GROUPS)
			return snprintf(err, errlen, "A user entry is malformed."), -EINVAL;
		json_array_foreach(gl, k, g)
		{
			gn[k] = json_string_value(g);
			if (!gn[k])
				return snprintf(err, errlen, "A user entry is malformed."), -EINVAL;
		}
		struct vs_user_spec sp = {.name = uname,
		                          .uid = (uint32_t)uid,
		                          .groups = gn,
		                          .n_groups = (int)json_array_size(gl),
		                          .nt_hash = nt[0] ? nt : NULL,
		                          .crypt_hash = cr[0] ? cr : NULL};
		rc = vs_user_add(vs, &sp, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void vs_json_mask_users(json_t *vsj)
{
	json_t *users = json_object_get(vsj, "users"), *u;
	size_t i;

	json_array_foreach(users, i, u)
	{
		const char *nt = json_string_value(json_object_get(u, "nt_hash"));
		bool set = nt && nt[0]; /* read before the string is freed */
		json_object_del(u, "nt_hash");
		json_object_del(u, "crypt_hash");
		json_object_set_new(u, "password", json_string(set ? "set" : "not set"));
	}
}

int vs_json_load_vs(const json_t *j, struct vs_config *cfg, char *err, size_t errlen)
{
	const char *name = NULL, *home = "", *admin = "stopped", *at = "";
	int pinned = 0, vs_revert = 1, rc;
	json_int_t priority = 50, next_id = 1, lease = 0, grace = 0;
	json_t *vips = NULL, *fss = NULL, *exps = NULL, *shares = NULL;
	json_error_t jerr;
	size_t i;
	json_t *e;
	struct vs_vserver *vs;

	if (json_unpack_ex((json_t *)j, &jerr, 0,
	                   "{s:s, s?b, s?s, s?s, s?o, s?o, s?o, s?o, s?s, s?b}", "name", &name,
	                   "pinned", &pinned, "home", &home, "admin", &admin, "vips", &vips,
	                   "filesystems", &fss, "exports", &exps, "shares", &shares, "at", &at,
	                   "auto_revert", &vs_revert) < 0) {
		snprintf(err, errlen, "A virtual server entry is malformed: %s.", jerr.text);
		return -EINVAL;
	}
	if (vs_json_int(j, "priority", 0, 100, &priority) < 0 ||
	    vs_json_int(j, "next_export_id", 1, UINT32_MAX, &next_id) < 0 ||
	    vs_json_int(j, "nfs_lease", 0, VS_NFS_LEASE_MAX, &lease) < 0 ||
	    vs_json_int(j, "nfs_grace", 0, VS_NFS_GRACE_MAX, &grace) < 0) {
		snprintf(
		    err, errlen,
		    "A virtual server entry has a priority, next export id, NFS lease or grace "
		    "out of range.");
		return -EINVAL;
	}
	rc = vs_config_create(cfg, name, (int)priority, pinned, home, err, errlen);
	if (rc == 0)
		rc = vs_config_set_at(cfg, name, at, err, errlen);
	if (rc == 0)
		rc = vs_config_set_auto_revert(cfg, name, vs_revert, err, errlen);
	if (rc == 0)
		rc = vs_config_set_nfs_timers(cfg, name, (int)lease, (int)grace, err, errlen);
	json_t *dom = json_object_get(j, "nfs_domain");
	if (rc == 0 && dom && !json_is_string(dom))
		return snprintf(err, errlen, "A virtual server's NFS domain is malformed."),
		       -EINVAL;
	if (rc == 0 && dom)
		rc = vs_config_set_nfs_domain(cfg, name, json_string_value(dom), err, errlen);
	struct vs_join jn;
	if (rc == 0 &&
	    (rc = vs_join_from_json(json_object_get(j, "join"), &jn, err, errlen)) == 0 &&
	    jn.realm[0])
		rc = vs_config_set_join(cfg, name, &jn, err, errlen);
	if (rc < 0)
		return rc;
	json_array_foreach(vips, i, e)
	{
		const char *cidr = NULL, *port = NULL, *group = "";
		int auto_revert = 1;
		if (json_unpack(e, "{s:s, s:s, s?s, s?b}", "cidr", &cidr, "home_port", &port,
		                "group", &group, "auto_revert", &auto_revert) < 0)
			return snprintf(err, errlen, "A virtual IP entry is malformed."), -EINVAL;
		rc = vs_config_vip_add(cfg, name, cidr, port, NULL, NULL, err, errlen);
		if (rc == 0)
			rc = vs_config_vip_set(cfg, name, cidr, group, !auto_revert, err, errlen);
		if (rc < 0)
			return rc;
	}
	json_array_foreach(fss, i, e)
	{
		const char *fsname = NULL, *lun = NULL;
		if (json_unpack(e, "{s:s, s:s}", "name", &fsname, "lun", &lun) < 0)
			return snprintf(err, errlen, "A file system entry is malformed."), -EINVAL;
		rc = vs_config_fs_add(cfg, name, fsname, lun, err, errlen);
		if (rc < 0)
			return rc;
	}
	vs = vs_config_find(cfg, name);
	json_array_foreach(exps, i, e)
	{
		const char *pseudo = NULL, *fsname = NULL, *path = "", *clients = "",
		           *squash = NULL, *sec = NULL;
		json_int_t id = 0, au = 0, ag = 0;
		int ro = 0;
		if (json_unpack(e, "{s:s, s:s, s?s, s?s, s?b, s?s, s?s}", "pseudo", &pseudo, "fs",
		                &fsname, "path", &path, "clients", &clients, "ro", &ro, "squash",
		                &squash, "sec", &sec) < 0 ||
		    vs_json_int(e, "id", 1, 0xffff, &id) != 0 ||
		    vs_json_int(e, "anon_uid", 1, VS_ANON_DEFAULT, &au) < 0 ||
		    vs_json_int(e, "anon_gid", 1, VS_ANON_DEFAULT, &ag) < 0)
			return snprintf(err, errlen, "An export entry is malformed."), -EINVAL;
		struct vs_export_opts eo = {.clients = clients,
		                            .ro = ro,
		                            .squash = squash,
		                            .sec = sec,
		                            .anon_uid = (uint32_t)au,
		                            .anon_gid = (uint32_t)ag};
		rc = vs_config_export_add_opts(cfg, name, pseudo, fsname, path, &eo, err, errlen);
		if (rc < 0)
			return rc;
		for (int k = 0; k < vs->n_exports - 1; k++)
			if (vs->exports[k].id == (uint32_t)id)
				return snprintf(
				           err, errlen,
				           "Two exports of one virtual server have the same id."),
				       -EINVAL;
		vs->exports[vs->n_exports - 1].id = (uint32_t)id; /* keep ids stable */
	}
	/* Users and groups before the shares that name them. */
	rc = load_identity(j, vs, err, errlen);
	if (rc < 0)
		return rc;
	json_array_foreach(shares, i, e)
	{
		const char *sname = NULL, *fsname = NULL, *path = "", *rd = NULL, *wr = NULL;
		int ro = 0, guest = 0, encrypt = 0;
		if (json_unpack(e, "{s:s, s:s, s?s, s?b, s?b, s?b, s?s, s?s}", "name", &sname, "fs",
		                &fsname, "path", &path, "ro", &ro, "guest", &guest, "encrypt",
		                &encrypt, "read", &rd, "write", &wr) < 0)
			return snprintf(err, errlen, "A share entry is malformed."), -EINVAL;
		struct vs_share_opts o = {
		    .ro = ro, .guest = guest, .encrypt = encrypt, .read = rd, .write = wr};
		rc = vs_config_share_add_opts(cfg, name, sname, fsname, path, &o, err, errlen);
		if (rc < 0)
			return rc;
	}
	uint32_t max_id = 0;
	for (int k = 0; k < vs->n_exports; k++)
		if (vs->exports[k].id > max_id)
			max_id = vs->exports[k].id;
	vs->next_export_id = (uint32_t)next_id > max_id ? (uint32_t)next_id : max_id + 1;
	vs->admin = strcmp(admin, "running") == 0 ? VS_ADMIN_RUNNING : VS_ADMIN_STOPPED;
	return 0;
}

/* Failover groups from their JSON array (NULL: none), added to cfg. */
int vs_json_load_fgroups(const json_t *groups, struct vs_config *cfg, char *err, size_t errlen)
{
	json_t *e;
	size_t i;
	int rc;

	if (groups && !json_is_array(groups))
		return snprintf(err, errlen, "A failover group list is malformed."), -EINVAL;
	json_array_foreach(groups, i, e)
	{
		const char *gname = NULL, *probe = "";
		json_t *ports = NULL, *pv;
		json_int_t interval = 0, misses = 0, hold = -1;
		char list[VS_FG_MAX_PORTS * (VS_PORT_MAX + 2)] = "";
		size_t k, n = 0;
		if (json_unpack(e, "{s:s, s:o, s?s}", "name", &gname, "ports", &ports, "probe",
		                &probe) < 0 ||
		    !json_is_array(ports) ||
		    vs_json_int(e, "probe_interval_ms", 0, 60000, &interval) < 0 ||
		    vs_json_int(e, "probe_misses", 0, 20, &misses) < 0 ||
		    vs_json_int(e, "hold_down_s", -1, 3600, &hold) < 0) {
			snprintf(err, errlen, "A failover group entry is malformed.");
			return -EINVAL;
		}
		json_array_foreach(ports, k, pv)
		{
			const char *pn = json_string_value(pv);
			if (!pn || n + strlen(pn) + 2 > sizeof(list))
				return snprintf(err, errlen,
				                "A failover group entry is malformed."),
				       -EINVAL;
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", k ? "," : "", pn);
		}
		json_int_t mbps = 0;
		if (vs_json_int(e, "port_mbps", 0, 400000, &mbps) < 0)
			return snprintf(err, errlen, "A failover group entry is malformed."),
			       -EINVAL;
		rc = vs_config_fgroup_create(cfg, gname, list, probe, (uint32_t)interval,
		                             (uint32_t)misses, (int32_t)hold, NULL, NULL, err,
		                             errlen);
		if (rc == 0 && mbps)
			rc = vs_config_fgroup_set_speed(cfg, gname, mbps, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Fence devices from their JSON array (NULL: none), added to cfg. */
int vs_json_load_fences(const json_t *arr, struct vs_config *cfg, char *err, size_t errlen)
{
	json_t *e;
	size_t i;
	int rc;

	if (arr && !json_is_array(arr))
		return snprintf(err, errlen, "A fence device list is malformed."), -EINVAL;
	json_array_foreach(arr, i, e)
	{
		const char *node = NULL, *agent = NULL, *opts = "";
		if (json_unpack(e, "{s:s, s:s, s?s}", "node", &node, "agent", &agent, "options",
		                &opts) < 0) {
			snprintf(err, errlen, "A fence device entry is malformed.");
			return -EINVAL;
		}
		rc = vs_config_fence_set(cfg, node, agent, opts, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A list of nodes from its JSON array (NULL: none), added to cfg by add(). */
static int load_node_list(const json_t *arr, struct vs_config *cfg, const char *what,
                          int (*add)(struct vs_config *, const char *, bool, char *, size_t),
                          char *err, size_t errlen)
{
	json_t *e;
	size_t i;
	int rc;

	if (arr && (!json_is_array(arr) || json_array_size(arr) > VS_MAX_MAINT))
		return snprintf(err, errlen, "A list of %s is malformed.", what), -EINVAL;
	json_array_foreach(arr, i, e)
	{
		if (!json_is_string(e))
			return snprintf(err, errlen, "A list of %s is malformed.", what), -EINVAL;
		rc = add(cfg, json_string_value(e), true, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Nodes under maintenance from their JSON array (NULL: none), added to cfg. */
int vs_json_load_maint(const json_t *arr, struct vs_config *cfg, char *err, size_t errlen)
{
	return load_node_list(arr, cfg, "nodes under maintenance", vs_config_maint, err, errlen);
}

int vs_json_load_standby(const json_t *arr, struct vs_config *cfg, char *err, size_t errlen)
{
	return load_node_list(arr, cfg, "standby nodes", vs_config_standby, err, errlen);
}

int vs_json_load_balance(const json_t *o, struct vs_config *cfg, char *err, size_t errlen)
{
	struct vs_balance_cfg b = {0};
	const char *mode = json_string_value(json_object_get(o, "mode"));
	json_int_t v[8] = {0};
	static const char *const keys[8] = {"max_moves",   "cooldown_s",     "min_share_pct",
	                                    "trigger_pct", "high_water_pct", "low_water_pct",
	                                    "smoothing_s", "lun_busy_pct"};
	uint64_t version = cfg->version;
	int rc;

	if (!o)
		return 0;
	if (!json_is_object(o) || !mode)
		return snprintf(err, errlen, "The balancing settings are malformed."), -EINVAL;
	if (strcmp(mode, "default") != 0 && vs_balance_mode_parse(mode, &b.mode) < 0)
		return snprintf(err, errlen, "The balancing mode is off, advise or auto."), -EINVAL;
	for (int i = 0; i < 8; i++)
		if (vs_json_int(o, keys[i], 0, 86400, &v[i]) < 0)
			return snprintf(err, errlen, "The balancing settings are malformed."),
			       -EINVAL;
	b.max_moves = (int)v[0];
	b.cooldown_s = (int)v[1];
	b.min_share_pct = (int)v[2];
	b.trigger_pct = (int)v[3];
	b.high_water_pct = (int)v[4];
	b.low_water_pct = (int)v[5];
	b.smoothing_s = (int)v[6];
	b.lun_busy_pct = (int)v[7];
	rc = vs_config_set_balance(cfg, &b, err, errlen);
	cfg->version = version; /* loading is no change */
	return rc;
}

int vs_config_from_json(const json_t *j, struct vs_config *cfg, char *err, size_t errlen)
{
	json_int_t version = 0;
	json_t *arr = NULL, *e;
	size_t i;
	int rc;

	vs_config_free(cfg);
	if (json_unpack((json_t *)j, "{s:o}", "vservers", &arr) < 0 || !json_is_array(arr) ||
	    vs_json_int(j, "version", 0, INT64_MAX, &version) != 0) {
		snprintf(err, errlen, "The configuration document is malformed.");
		return -EINVAL;
	}
	if ((rc = vs_json_load_fgroups(json_object_get(j, "fgroups"), cfg, err, errlen)) < 0 ||
	    (rc = vs_json_load_fences(json_object_get(j, "fences"), cfg, err, errlen)) < 0 ||
	    (rc = vs_json_load_maint(json_object_get(j, "maint"), cfg, err, errlen)) < 0 ||
	    (rc = vs_json_load_standby(json_object_get(j, "standby"), cfg, err, errlen)) < 0 ||
	    (rc = vs_json_load_balance(json_object_get(j, "balance"), cfg, err, errlen)) < 0 ||
	    (rc = vs_json_load_accounts(json_object_get(j, "accounts"), cfg, err, errlen)) < 0 ||
	    (rc = vs_json_load_tls(json_object_get(j, "tls"), cfg, err, errlen)) < 0)
		return rc;
	json_array_foreach(arr, i, e)
	{
		rc = vs_json_load_vs(e, cfg, err, errlen);

		if (rc < 0)
			return rc;
	}
	cfg->version = (uint64_t)version;
	return 0;
}
