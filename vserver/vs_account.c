/*
 * vs_account.c - console accounts (see vs_account.h).
 */
#include "vserver/vs_account.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vserver/vs_err.h"
#include "vserver/vs_users.h"

static const char *const role_names[] = {
    [VS_ROLE_READONLY] = "read-only", [VS_ROLE_OPERATOR] = "operator", [VS_ROLE_ADMIN] = "admin"};

int vs_role_parse(const char *text, enum vs_role *out, char *err, size_t errlen)
{
	for (size_t i = 0; text && i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (strcmp(text, role_names[i]) == 0) {
			*out = (enum vs_role)i;
			return 0;
		}
	return vs_fail(-EINVAL, err, errlen, "A role is one of admin, operator or read-only.");
}

const char *vs_role_name(enum vs_role role)
{
	return (unsigned)role < sizeof(role_names) / sizeof(role_names[0]) ? role_names[role] : "?";
}

static int index_of(const struct vs_config *cfg, const char *name)
{
	for (int i = 0; name && i < cfg->n_accounts; i++)
		if (strcmp(cfg->accounts[i].name, name) == 0)
			return i;
	return -1;
}

const struct vs_account *vs_account_find(const struct vs_config *cfg, const char *name)
{
	int i = index_of(cfg, name);

	return i < 0 ? NULL : &cfg->accounts[i];
}

static int need_hash(const char *crypt, char *err, size_t errlen)
{
	if (!crypt || !*crypt)
		return vs_fail(-EINVAL, err, errlen,
		               "A console account needs a password (--password-stdin).");
	return vs_user_hash_check(NULL, crypt, NULL, err, errlen);
}

int vs_account_add(struct vs_config *cfg, const char *name, const char *role, const char *crypt,
                   char *err, size_t errlen)
{
	struct vs_account a = {0};
	int rc;

	if ((rc = vs_check_name("account", name ? name : "", VS_NAME_MAX, err, errlen)) < 0 ||
	    (rc = vs_role_parse(role, &a.role, err, errlen)) < 0 ||
	    (rc = need_hash(crypt, err, errlen)) < 0)
		return rc;
	if (index_of(cfg, name) >= 0)
		return vs_fail(-EEXIST, err, errlen,
		               "There is already a console account named '%s'.", name);
	if (cfg->n_accounts >= VS_MAX_ACCOUNTS)
		return vs_fail(-E2BIG, err, errlen, "There are at most %d console accounts.",
		               VS_MAX_ACCOUNTS);
	snprintf(a.name, sizeof(a.name), "%s", name);
	snprintf(a.crypt_hash, sizeof(a.crypt_hash), "%s", crypt);
	cfg->accounts[cfg->n_accounts++] = a;
	return 0;
}

static int need_account(const struct vs_config *cfg, const char *name, char *err, size_t errlen)
{
	int rc = vs_check_name("account", name ? name : "", VS_NAME_MAX, err, errlen), i;

	if (rc < 0)
		return rc;
	if ((i = index_of(cfg, name)) < 0)
		return vs_fail(-ENOENT, err, errlen,
		               "There is no console account named '%s' ('vsadm admin show').",
		               name);
	return i;
}

int vs_account_passwd(struct vs_config *cfg, const char *name, const char *crypt, char *err,
                      size_t errlen)
{
	int i = need_account(cfg, name, err, errlen), rc;

	if (i < 0)
		return i;
	if ((rc = need_hash(crypt, err, errlen)) < 0)
		return rc;
	/* Zeroed first: accounts are compared byte for byte (vs_config_equal). */
	memset(cfg->accounts[i].crypt_hash, 0, sizeof(cfg->accounts[i].crypt_hash));
	snprintf(cfg->accounts[i].crypt_hash, sizeof(cfg->accounts[i].crypt_hash), "%s", crypt);
	return 0;
}

int vs_account_remove(struct vs_config *cfg, const char *name, char *err, size_t errlen)
{
	int i = need_account(cfg, name, err, errlen), admins = 0;

	if (i < 0)
		return i;
	for (int k = 0; k < cfg->n_accounts; k++)
		admins += cfg->accounts[k].role == VS_ROLE_ADMIN;
	if (cfg->accounts[i].role == VS_ROLE_ADMIN && admins == 1 && cfg->n_accounts > 1)
		return vs_fail(-EBUSY, err, errlen,
		               "'%s' is the last admin account; add another admin before removing "
		               "it.",
		               name);
	memmove(&cfg->accounts[i], &cfg->accounts[i + 1],
	        (size_t)(cfg->n_accounts - i - 1) * sizeof(cfg->accounts[0]));
	cfg->n_accounts--;
	memset(&cfg->accounts[cfg->n_accounts], 0, sizeof(cfg->accounts[0]));
	return 0;
}

static json_t *list_json(const struct vs_config *cfg, bool hashes)
{
	json_t *arr = json_array();

	for (int i = 0; arr && i < cfg->n_accounts; i++) {
		const struct vs_account *a = &cfg->accounts[i];
		json_t *e = json_pack("{s:s, s:s}", "name", a->name, "role", vs_role_name(a->role));
		if (e && hashes)
			json_object_set_new(e, "crypt_hash", json_string(a->crypt_hash));
		json_array_append_new(arr, e);
	}
	return arr;
}

json_t *vs_accounts_show_json(const struct vs_config *cfg)
{
	return list_json(cfg, false);
}

json_t *vs_accounts_to_json(const struct vs_config *cfg)
{
	return list_json(cfg, true);
}

int vs_json_load_accounts(const json_t *arr, struct vs_config *cfg, char *err, size_t errlen)
{
	struct vs_account keep[VS_MAX_ACCOUNTS];
	int n_keep = cfg->n_accounts;
	json_t *e;
	size_t i;

	if (arr && (!json_is_array(arr) || json_array_size(arr) > VS_MAX_ACCOUNTS))
		return vs_fail(-EINVAL, err, errlen, "The console accounts are malformed.");
	memcpy(keep, cfg->accounts, sizeof(keep));
	cfg->n_accounts = 0;
	memset(cfg->accounts, 0, sizeof(cfg->accounts));
	json_array_foreach(arr, i, e)
	{
		int rc = vs_account_add(cfg, json_string_value(json_object_get(e, "name")),
		                        json_string_value(json_object_get(e, "role")),
		                        json_string_value(json_object_get(e, "crypt_hash")), err,
		                        errlen);
		if (rc < 0) {
			memcpy(cfg->accounts, keep, sizeof(keep));
			cfg->n_accounts = n_keep;
			return rc;
		}
	}
	return 0;
}
