/*
 * fx_identity.c - passwd, group and smbpasswd of one virtual server (pure,
 * no I/O; fx_identity.h has the formats and the rules).
 */
#include "fsexport/fx_identity.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "lib/lib_buf.h"

#define FX_ID_NOBODY 65534u

/* The lines every file starts with: names no user or group may take. */
static const char *const fx_id_reserved[] = {"root", "nobody", "nogroup"};

static bool fx_id_name_ok(const char *s)
{
	size_t n;

	if (!s || !*s || (n = strlen(s)) > FX_ID_NAME_MAX)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	for (size_t i = 0; i < sizeof(fx_id_reserved) / sizeof(fx_id_reserved[0]); i++)
		if (strcmp(s, fx_id_reserved[i]) == 0)
			return false;
	return true;
}

static bool fx_id_id_ok(uint32_t id)
{
	return id >= 1 && id < FX_ID_NOBODY - 1; /* 65534 is nobody, 65535 (uint16 -1) never */
}

static bool fx_id_hash_ok(const char *h)
{
	if (!h || !*h)
		return true;
	if (strlen(h) != 32)
		return false;
	for (int i = 0; i < 32; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'A' && h[i] <= 'F')))
			return false;
	return true;
}

static const struct fx_id_group *fx_id_group_named(const struct fx_identity_params *p,
                                                   const char *name)
{
	for (int i = 0; i < p->n_groups; i++)
		if (strcmp(p->groups[i].name, name) == 0)
			return &p->groups[i];
	return NULL;
}

static bool fx_id_has_gid(const struct fx_identity_params *p, uint32_t gid)
{
	for (int i = 0; i < p->n_groups; i++)
		if (p->groups[i].gid == gid)
			return true;
	return false;
}

static int fx_id_validate(const struct fx_identity_params *p)
{
	if (!p || p->n_users < 0 || p->n_groups < 0 || (p->n_users && !p->users) ||
	    (p->n_groups && !p->groups))
		return -EINVAL;
	for (int i = 0; i < p->n_groups; i++) {
		const struct fx_id_group *g = &p->groups[i];
		if (!fx_id_name_ok(g->name) || !fx_id_id_ok(g->gid))
			return -EINVAL;
		for (int j = 0; j < i; j++)
			if (strcmp(g->name, p->groups[j].name) == 0 || g->gid == p->groups[j].gid)
				return -EINVAL;
	}
	for (int i = 0; i < p->n_users; i++) {
		const struct fx_id_user *u = &p->users[i];
		if (!fx_id_name_ok(u->name) || !fx_id_id_ok(u->uid) || !fx_id_hash_ok(u->nt_hash) ||
		    !fx_id_has_gid(p, u->gid) || u->n_groups < 0 || (u->n_groups && !u->groups))
			return -EINVAL;
		for (int j = 0; j < u->n_groups; j++)
			if (!u->groups[j] || !fx_id_group_named(p, u->groups[j]))
				return -EINVAL;
		for (int j = 0; j < i; j++)
			if (strcmp(u->name, p->users[j].name) == 0 || u->uid == p->users[j].uid)
				return -EINVAL;
	}
	return 0;
}

typedef void fx_id_body(const struct fx_identity_params *p, struct lib_buf *b);

/* Every generator: validate everything, then write. */
static int fx_id_emit(const struct fx_identity_params *p, fx_id_body *body, char **out)
{
	struct lib_buf b = {0};
	int rc;

	if (!out)
		return -EINVAL;
	if ((rc = fx_id_validate(p)) < 0)
		return rc;
	body(p, &b);
	return lib_buf_finish(&b, out);
}

static void fx_id_passwd_body(const struct fx_identity_params *p, struct lib_buf *b)
{
	lib_buf_printf(b, "root:x:0:0:root:/root:/usr/sbin/nologin\n"
	                  "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
	for (int i = 0; i < p->n_users; i++)
		lib_buf_printf(b, "%s:x:%u:%u:%s:/nonexistent:/usr/sbin/nologin\n",
		               p->users[i].name, (unsigned)p->users[i].uid,
		               (unsigned)p->users[i].gid, p->users[i].name);
}

static bool fx_id_member(const struct fx_id_user *u, const char *group)
{
	for (int j = 0; j < u->n_groups; j++)
		if (strcmp(u->groups[j], group) == 0)
			return true;
	return false;
}

static void fx_id_group_body(const struct fx_identity_params *p, struct lib_buf *b)
{
	lib_buf_printf(b, "root:x:0:\nnogroup:x:65534:\n");
	for (int i = 0; i < p->n_groups; i++) {
		const char *sep = "";
		lib_buf_printf(b, "%s:x:%u:", p->groups[i].name, (unsigned)p->groups[i].gid);
		for (int k = 0; k < p->n_users; k++)
			if (fx_id_member(&p->users[k], p->groups[i].name)) {
				lib_buf_printf(b, "%s%s", sep, p->users[k].name);
				sep = ",";
			}
		lib_buf_printf(b, "\n");
	}
}

static void fx_id_smbpasswd_body(const struct fx_identity_params *p, struct lib_buf *b)
{
	static const char nohash[] = "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";

	for (int i = 0; i < p->n_users; i++) {
		const struct fx_id_user *u = &p->users[i];
		bool set = u->nt_hash && *u->nt_hash;
		lib_buf_printf(b, "%s:%u:%s:%s:[%s]:LCT-%08X:\n", u->name, (unsigned)u->uid, nohash,
		               set ? u->nt_hash : nohash, set ? "U          " : "DU         ",
		               FX_ID_LCT);
	}
}

int fx_identity_passwd(const struct fx_identity_params *p, char **out)
{
	return fx_id_emit(p, fx_id_passwd_body, out);
}

int fx_identity_group(const struct fx_identity_params *p, char **out)
{
	return fx_id_emit(p, fx_id_group_body, out);
}

int fx_identity_smbpasswd(const struct fx_identity_params *p, char **out)
{
	return fx_id_emit(p, fx_id_smbpasswd_body, out);
}

const char *fx_identity_nsswitch(void)
{
	return "# nsswitch.conf of one virtual server's file servers, generated by applianced.\n"
	       "passwd:         extrausers\n"
	       "group:          extrausers\n"
	       "shadow:         extrausers\n"
	       "hosts:          files dns\n"
	       "networks:       files\n"
	       "protocols:      files\n"
	       "services:       files\n"
	       "ethers:         files\n"
	       "rpc:            files\n"
	       "netgroup:       files\n";
}
