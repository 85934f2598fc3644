/*
 * vs_model_mem.c - the memory of the VS model: lists grown by doubling, deep
 * copies, equality (see vs_model.h, "memory").
 */
#include "vserver/vs_model.h"
#include "vserver/vs_tls.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int vs_grow(void **list, int *cap, int n, size_t size, int max)
{
	if (n < *cap)
		return 0;
	if (n >= max)
		return -E2BIG;
	int want = *cap ? *cap * 2 : 4;
	if (want > max)
		want = max;
	void *p = realloc(*list, (size_t)want * size);
	if (!p)
		return -ENOMEM;
	*list = p;
	*cap = want;
	return 0;
}

void vs_vserver_free(struct vs_vserver *vs)
{
	if (!vs)
		return;
	free(vs->vips);
	free(vs->exports);
	free(vs->shares);
	free(vs->users);
	free(vs->groups);
	memset(vs, 0, sizeof(*vs));
}

void vs_config_init(struct vs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

void vs_config_free(struct vs_config *cfg)
{
	if (!cfg)
		return;
	for (int i = 0; i < cfg->n_vservers; i++)
		vs_vserver_free(&cfg->vservers[i]);
	free(cfg->vservers);
	free(cfg->tls_cert);
	if (cfg->tls_key) {
		explicit_bzero(cfg->tls_key, strlen(cfg->tls_key));
		free(cfg->tls_key);
	}
	memset(cfg, 0, sizeof(*cfg));
}

void vs_config_swap(struct vs_config *a, struct vs_config *b)
{
	struct vs_config t;

	memcpy(&t, a, sizeof(t));
	memcpy(a, b, sizeof(t));
	memcpy(b, &t, sizeof(t));
}

/* n entries of size bytes, or NULL for none; *ok false when out of memory. */
static void *dup_list(const void *src, int n, size_t size, bool *ok)
{
	void *p;

	if (n <= 0)
		return NULL;
	p = malloc((size_t)n * size);
	if (!p) {
		*ok = false;
		return NULL;
	}
	memcpy(p, src, (size_t)n * size);
	return p;
}

int vs_vserver_copy(struct vs_vserver *dst, const struct vs_vserver *src)
{
	struct vs_vserver t;
	bool ok = true;

	if (dst == src)
		return 0;
	memcpy(&t, src, sizeof(t)); /* the scalars and the fixed file systems */
	t.vips = dup_list(src->vips, src->n_vips, sizeof(src->vips[0]), &ok);
	t.exports = dup_list(src->exports, src->n_exports, sizeof(src->exports[0]), &ok);
	t.shares = dup_list(src->shares, src->n_shares, sizeof(src->shares[0]), &ok);
	t.users = dup_list(src->users, src->n_users, sizeof(src->users[0]), &ok);
	t.groups = dup_list(src->groups, src->n_groups, sizeof(src->groups[0]), &ok);
	t.cap_vips = src->n_vips;
	t.cap_exports = src->n_exports;
	t.cap_shares = src->n_shares;
	t.cap_users = src->n_users;
	t.cap_groups = src->n_groups;
	if (!ok) {
		free(t.vips);
		free(t.exports);
		free(t.shares);
		free(t.users);
		free(t.groups);
		return -ENOMEM;
	}
	vs_vserver_free(dst);
	memcpy(dst, &t, sizeof(t));
	return 0;
}

int vs_config_copy(struct vs_config *dst, const struct vs_config *src)
{
	struct vs_config t;

	if (dst == src)
		return 0;
	memcpy(&t, src, sizeof(t)); /* version, groups, fences */
	t.vservers = NULL;
	t.n_vservers = t.cap_vservers = 0;
	t.tls_cert = src->tls_cert ? strdup(src->tls_cert) : NULL;
	t.tls_key = src->tls_key ? strdup(src->tls_key) : NULL;
	if ((src->tls_cert && !t.tls_cert) || (src->tls_key && !t.tls_key)) {
		vs_config_free(&t);
		return -ENOMEM;
	}
	if (src->n_vservers > 0) {
		t.vservers = calloc((size_t)src->n_vservers, sizeof(t.vservers[0]));
		if (!t.vservers) {
			vs_config_free(&t);
			return -ENOMEM;
		}
		t.cap_vservers = src->n_vservers;
	}
	for (int i = 0; i < src->n_vservers; i++) {
		if (vs_vserver_copy(&t.vservers[i], &src->vservers[i]) < 0) {
			vs_config_free(&t);
			return -ENOMEM;
		}
		t.n_vservers++;
	}
	vs_config_free(dst);
	memcpy(dst, &t, sizeof(t));
	return 0;
}

static bool vip_eq(const struct vs_vip *a, const struct vs_vip *b)
{
	return strcmp(a->addr, b->addr) == 0 && a->family == b->family && a->prefix == b->prefix &&
	       strcmp(a->home_port, b->home_port) == 0 && strcmp(a->group, b->group) == 0 &&
	       a->no_auto_revert == b->no_auto_revert;
}

static bool fs_eq(const struct vs_fs *a, const struct vs_fs *b)
{
	return strcmp(a->name, b->name) == 0 && a->lun_kind == b->lun_kind &&
	       strcmp(a->lun, b->lun) == 0;
}

static bool export_eq(const struct vs_export *a, const struct vs_export *b)
{
	return a->id == b->id && strcmp(a->pseudo, b->pseudo) == 0 && strcmp(a->fs, b->fs) == 0 &&
	       strcmp(a->path, b->path) == 0 && strcmp(a->clients, b->clients) == 0 &&
	       a->ro == b->ro && a->squash == b->squash && a->anon_uid == b->anon_uid &&
	       a->anon_gid == b->anon_gid && a->sec == b->sec;
}

static bool share_eq(const struct vs_share *a, const struct vs_share *b)
{
	if (strcmp(a->name, b->name) != 0 || strcmp(a->fs, b->fs) != 0 ||
	    strcmp(a->path, b->path) != 0 || a->ro != b->ro || a->guest != b->guest ||
	    a->encrypt != b->encrypt || a->n_read != b->n_read || a->n_write != b->n_write)
		return false;
	for (int i = 0; i < a->n_read; i++)
		if (strcmp(a->read[i], b->read[i]) != 0)
			return false;
	for (int i = 0; i < a->n_write; i++)
		if (strcmp(a->write[i], b->write[i]) != 0)
			return false;
	return true;
}

static bool user_eq(const struct vs_user *a, const struct vs_user *b)
{
	if (strcmp(a->name, b->name) != 0 || a->uid != b->uid || a->n_groups != b->n_groups ||
	    strcmp(a->nt_hash, b->nt_hash) != 0 || strcmp(a->crypt_hash, b->crypt_hash) != 0)
		return false;
	for (int i = 0; i < a->n_groups; i++)
		if (strcmp(a->groups[i], b->groups[i]) != 0)
			return false;
	return true;
}

static bool group_eq(const struct vs_group *a, const struct vs_group *b)
{
	return strcmp(a->name, b->name) == 0 && a->gid == b->gid;
}

bool vs_vserver_equal(const struct vs_vserver *a, const struct vs_vserver *b)
{
	if (strcmp(a->name, b->name) != 0 || a->priority != b->priority || a->pinned != b->pinned ||
	    strcmp(a->home, b->home) != 0 || strcmp(a->at, b->at) != 0 ||
	    a->no_auto_revert != b->no_auto_revert || a->nfs_lease != b->nfs_lease ||
	    a->nfs_grace != b->nfs_grace || strcmp(a->nfs_domain, b->nfs_domain) != 0 ||
	    memcmp(&a->join, &b->join, sizeof(a->join)) != 0 || a->admin != b->admin ||
	    a->next_export_id != b->next_export_id || a->n_vips != b->n_vips ||
	    a->n_fs != b->n_fs || a->n_exports != b->n_exports || a->n_shares != b->n_shares)
		return false;
	for (int i = 0; i < a->n_vips; i++)
		if (!vip_eq(&a->vips[i], &b->vips[i]))
			return false;
	for (int i = 0; i < a->n_fs; i++)
		if (!fs_eq(&a->fs[i], &b->fs[i]))
			return false;
	for (int i = 0; i < a->n_exports; i++)
		if (!export_eq(&a->exports[i], &b->exports[i]))
			return false;
	for (int i = 0; i < a->n_shares; i++)
		if (!share_eq(&a->shares[i], &b->shares[i]))
			return false;
	if (a->n_users != b->n_users || a->n_groups != b->n_groups)
		return false;
	for (int i = 0; i < a->n_users; i++)
		if (!user_eq(&a->users[i], &b->users[i]))
			return false;
	for (int i = 0; i < a->n_groups; i++)
		if (!group_eq(&a->groups[i], &b->groups[i]))
			return false;
	return true;
}

static bool fgroup_eq(const struct vs_fgroup *a, const struct vs_fgroup *b)
{
	if (strcmp(a->name, b->name) != 0 || a->n_ports != b->n_ports ||
	    strcmp(a->probe, b->probe) != 0 || a->probe_interval_ms != b->probe_interval_ms ||
	    a->probe_misses != b->probe_misses || a->hold_down_s != b->hold_down_s ||
	    a->port_mbps != b->port_mbps)
		return false;
	for (int i = 0; i < a->n_ports; i++)
		if (strcmp(a->ports[i], b->ports[i]) != 0)
			return false;
	return true;
}

bool vs_config_equal(const struct vs_config *a, const struct vs_config *b)
{
	if (a->version != b->version || a->n_fgroups != b->n_fgroups ||
	    a->n_fences != b->n_fences || a->n_maint != b->n_maint ||
	    a->n_vservers != b->n_vservers)
		return false;
	for (int i = 0; i < a->n_maint; i++)
		if (strcmp(a->maint[i], b->maint[i]) != 0)
			return false;
	if (a->n_standby != b->n_standby || memcmp(&a->balance, &b->balance, sizeof(a->balance)))
		return false;
	for (int i = 0; i < a->n_standby; i++)
		if (strcmp(a->standby[i], b->standby[i]) != 0)
			return false;
	for (int i = 0; i < a->n_fgroups; i++)
		if (!fgroup_eq(&a->fgroups[i], &b->fgroups[i]))
			return false;
	for (int i = 0; i < a->n_fences; i++)
		if (strcmp(a->fences[i].node, b->fences[i].node) != 0 ||
		    strcmp(a->fences[i].agent, b->fences[i].agent) != 0 ||
		    strcmp(a->fences[i].options, b->fences[i].options) != 0)
			return false;
	if (a->n_accounts != b->n_accounts ||
	    memcmp(a->accounts, b->accounts, (size_t)a->n_accounts * sizeof(a->accounts[0])) != 0)
		return false;
	if (!vs_tls_equal(a, b))
		return false;
	for (int i = 0; i < a->n_vservers; i++)
		if (!vs_vserver_equal(&a->vservers[i], &b->vservers[i]))
			return false;
	return true;
}

struct fnv {
	uint64_t h;
};

static void fnv_bytes(struct fnv *f, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		f->h ^= b[i];
		f->h *= 0x100000001b3ULL;
	}
}

/* A string with its terminator, so "ab","c" and "a","bc" differ. */
static void fnv_str(struct fnv *f, const char *s)
{
	fnv_bytes(f, s, strlen(s) + 1);
}

static void fnv_int(struct fnv *f, int64_t v)
{
	fnv_bytes(f, &v, sizeof(v));
}

uint64_t vs_vserver_hash(const struct vs_vserver *vs)
{
	struct fnv f = {0xcbf29ce484222325ULL};

	fnv_str(&f, vs->name);
	fnv_int(&f, vs->priority);
	fnv_int(&f, vs->pinned);
	fnv_str(&f, vs->home);
	fnv_str(&f, vs->at);
	fnv_int(&f, vs->no_auto_revert);
	fnv_int(&f, vs->nfs_lease);
	fnv_int(&f, vs->nfs_grace);
	fnv_str(&f, vs->nfs_domain);
	fnv_str(&f, vs->join.realm);
	fnv_str(&f, vs->join.workgroup);
	fnv_str(&f, vs->join.dc_addr);
	fnv_str(&f, vs->join.dc_name);
	fnv_int(&f, vs->join.rid_lo);
	fnv_int(&f, vs->join.rid_hi);
	fnv_int(&f, vs->admin);
	fnv_int(&f, vs->next_export_id);
	fnv_int(&f, vs->n_vips);
	for (int i = 0; i < vs->n_vips; i++) {
		const struct vs_vip *v = &vs->vips[i];
		fnv_str(&f, v->addr);
		fnv_int(&f, v->family);
		fnv_int(&f, v->prefix);
		fnv_str(&f, v->home_port);
		fnv_str(&f, v->group);
		fnv_int(&f, v->no_auto_revert);
	}
	fnv_int(&f, vs->n_fs);
	for (int i = 0; i < vs->n_fs; i++) {
		fnv_str(&f, vs->fs[i].name);
		fnv_int(&f, vs->fs[i].lun_kind);
		fnv_str(&f, vs->fs[i].lun);
	}
	fnv_int(&f, vs->n_exports);
	for (int i = 0; i < vs->n_exports; i++) {
		const struct vs_export *e = &vs->exports[i];
		fnv_int(&f, e->id);
		fnv_str(&f, e->pseudo);
		fnv_str(&f, e->fs);
		fnv_str(&f, e->path);
		fnv_str(&f, e->clients);
		fnv_int(&f, e->ro);
		fnv_int(&f, e->squash);
		fnv_int(&f, (int)e->anon_uid);
		fnv_int(&f, (int)e->anon_gid);
		fnv_int(&f, e->sec);
	}
	fnv_int(&f, vs->n_shares);
	for (int i = 0; i < vs->n_shares; i++) {
		const struct vs_share *s = &vs->shares[i];
		fnv_str(&f, s->name);
		fnv_str(&f, s->fs);
		fnv_str(&f, s->path);
		fnv_int(&f, s->ro);
		fnv_int(&f, s->guest);
		fnv_int(&f, s->encrypt);
		fnv_int(&f, s->n_read);
		for (int k = 0; k < s->n_read; k++)
			fnv_str(&f, s->read[k]);
		fnv_int(&f, s->n_write);
		for (int k = 0; k < s->n_write; k++)
			fnv_str(&f, s->write[k]);
	}
	fnv_int(&f, vs->n_users);
	for (int i = 0; i < vs->n_users; i++) {
		const struct vs_user *u = &vs->users[i];
		fnv_str(&f, u->name);
		fnv_int(&f, (int)u->uid);
		fnv_int(&f, u->n_groups);
		for (int k = 0; k < u->n_groups; k++)
			fnv_str(&f, u->groups[k]);
		fnv_str(&f, u->nt_hash);
		fnv_str(&f, u->crypt_hash);
	}
	fnv_int(&f, vs->n_groups);
	for (int i = 0; i < vs->n_groups; i++) {
		fnv_str(&f, vs->groups[i].name);
		fnv_int(&f, (int)vs->groups[i].gid);
	}
	return f.h;
}
