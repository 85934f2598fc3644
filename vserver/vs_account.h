/*
 * vs_account.h - the console accounts of the appliance (DESIGN section 9,
 * issue 12): who may log in to the web console and the REST API, with
 * which role (admin, operator, read-only). They live in the replicated
 * configuration (vs_config.accounts) so every node knows them; a password
 * is only ever kept as its yescrypt hash, which no answer and no event
 * shows.
 *
 * Values by allow-list: a name is 1..VS_NAME_MAX of [A-Za-z0-9_-] starting
 * with a letter (vs_check_name); a role is "admin", "operator" or
 * "read-only"; a hash is yescrypt's "$y$" form (vs_user_hash_check).
 *
 * Memory: plain values inside the configuration; nothing allocated except
 * the JSON the *_json functions return (new references).
 * Errors: 0, or a negative errno with one sentence in err (never quoting
 * a hash); the configuration is unchanged on any refusal.
 */
#ifndef VS_ACCOUNT_H
#define VS_ACCOUNT_H

#include <jansson.h>

#include "vserver/vs_model.h"

/* "admin" / "operator" / "read-only" <-> the role: 0, or -EINVAL with a
 * sentence. */
int vs_role_parse(const char *text, enum vs_role *out, char *err, size_t errlen);
const char *vs_role_name(enum vs_role role);

const struct vs_account *vs_account_find(const struct vs_config *cfg, const char *name);
/* Add an account (-EEXIST, -E2BIG at VS_MAX_ACCOUNTS, -EINVAL). Bumps nothing:
 * the caller bumps the version as for every change. */
int vs_account_add(struct vs_config *cfg, const char *name, const char *role, const char *crypt,
                   char *err, size_t errlen);
int vs_account_passwd(struct vs_config *cfg, const char *name, const char *crypt, char *err,
                      size_t errlen);
/* Removing the last admin is refused (-EBUSY): someone must be able to
 * manage the accounts from the web. */
int vs_account_remove(struct vs_config *cfg, const char *name, char *err, size_t errlen);

/* Names and roles only (what `admin show` answers). */
json_t *vs_accounts_show_json(const struct vs_config *cfg);
/* With the hashes: for the store and replication only. */
json_t *vs_accounts_to_json(const struct vs_config *cfg);
/* The list from its JSON (NULL: none), replacing cfg's, each entry checked. */
int vs_json_load_accounts(const json_t *arr, struct vs_config *cfg, char *err, size_t errlen);

#endif
