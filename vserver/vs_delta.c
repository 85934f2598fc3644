/*
 * vs_delta.c - a configuration change as the change itself (see vs_delta.h).
 *
 * Computing a delta compares the two configurations VS by VS (by name; the
 * same index first, since a change rarely reorders): a VS whose struct
 * differs and whose document differs is sent whole, a VS missing from `to`
 * is named as deleted; the failover groups, fence devices and nodes under
 * maintenance ("maint": [names], replacing the list) go whole when they
 * changed. Applying replaces a VS in place (so every node keeps
 * the same order), appends a new one, and removes a deleted one, each
 * through vs_json's loader, which re-validates through the model's change
 * functions against the rest of the configuration.
 */
#include "vserver/vs_delta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vserver/vs_err.h"
#include "vserver/vs_account.h"
#include "vserver/vs_tls.h"
#include "vserver/vs_json.h"

/* Index of `name` in cfg, trying `hint` first; -1 when absent. */
static int index_of(const struct vs_config *cfg, const char *name, int hint)
{
	if (hint >= 0 && hint < cfg->n_vservers && strcmp(cfg->vservers[hint].name, name) == 0)
		return hint;
	for (int i = 0; i < cfg->n_vservers; i++)
		if (strcmp(cfg->vservers[i].name, name) == 0)
			return i;
	return -1;
}

json_t *vs_config_delta(const struct vs_config *from, const struct vs_config *to)
{
	json_t *d = json_pack("{s:I, s:[], s:[]}", "version", (json_int_t)to->version, "vservers",
	                      "deleted");
	json_t *set = json_object_get(d, "vservers"), *del = json_object_get(d, "deleted");

	if (!d)
		return NULL;
	for (int i = 0; i < to->n_vservers; i++) {
		int k = index_of(from, to->vservers[i].name, i);
		if (k >= 0 && vs_vserver_equal(&from->vservers[k], &to->vservers[i]))
			continue;
		json_array_append_new(set, vs_vserver_to_json(&to->vservers[i]));
	}
	for (int i = 0; i < from->n_vservers; i++)
		if (index_of(to, from->vservers[i].name, i) < 0)
			json_array_append_new(del, json_string(from->vservers[i].name));
	if (from->n_fgroups != to->n_fgroups ||
	    memcmp(from->fgroups, to->fgroups, (size_t)to->n_fgroups * sizeof(to->fgroups[0])) != 0)
		json_object_set_new(d, "fgroups", vs_fgroups_to_json(to));
	if (from->n_fences != to->n_fences ||
	    memcmp(from->fences, to->fences, (size_t)to->n_fences * sizeof(to->fences[0])) != 0)
		json_object_set_new(d, "fences", vs_fences_to_json(to));
	bool same_maint = from->n_maint == to->n_maint;
	for (int i = 0; same_maint && i < to->n_maint; i++)
		same_maint = strcmp(from->maint[i], to->maint[i]) == 0;
	if (!same_maint)
		json_object_set_new(d, "maint", vs_maint_to_json(to));
	bool same_standby = from->n_standby == to->n_standby;
	for (int i = 0; same_standby && i < to->n_standby; i++)
		same_standby = strcmp(from->standby[i], to->standby[i]) == 0;
	if (!same_standby)
		json_object_set_new(d, "standby", vs_standby_to_json(to));
	if (memcmp(&from->balance, &to->balance, sizeof(to->balance)) != 0)
		json_object_set_new(d, "balance", vs_balance_to_json(to));
	if (from->n_accounts != to->n_accounts ||
	    memcmp(from->accounts, to->accounts,
	           (size_t)to->n_accounts * sizeof(to->accounts[0])) != 0)
		json_object_set_new(d, "accounts", vs_accounts_to_json(to));
	if (!vs_tls_equal(from, to)) /* null: back to each node's self-signed */
		json_object_set_new(d, "tls", to->tls_cert ? vs_tls_to_json(to) : json_null());
	return d;
}

/* Replace (in place) or add the VS of document `doc`. */
static int put_vs(struct vs_config *cfg, const json_t *doc, char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(doc, "name"));
	int at, rc;

	if (!json_is_object(doc) || !name)
		return vs_fail(-EINVAL, err, errlen, "A virtual server of a change has no name.");
	at = index_of(cfg, name, -1);
	if (at >= 0) {
		vs_vserver_free(&cfg->vservers[at]);
		memmove(&cfg->vservers[at], &cfg->vservers[at + 1],
		        (size_t)(cfg->n_vservers - at - 1) * sizeof(cfg->vservers[0]));
		cfg->n_vservers--;
	}
	rc = vs_json_load_vs(doc, cfg, err, errlen);
	if (rc < 0 || at < 0)
		return rc;
	/* Back to its place: the new entry is the last one (moved, not copied:
	 * the lists go with it). */
	int last = cfg->n_vservers - 1;
	struct vs_vserver moved = cfg->vservers[last];
	memmove(&cfg->vservers[at + 1], &cfg->vservers[at],
	        (size_t)(last - at) * sizeof(cfg->vservers[0]));
	cfg->vservers[at] = moved;
	return 0;
}

int vs_config_apply_delta(const struct vs_config *from, const json_t *delta, struct vs_config *out,
                          char *err, size_t errlen)
{
	json_int_t version = 0;
	json_t *set = json_object_get(delta, "vservers"), *del = json_object_get(delta, "deleted");
	json_t *groups = json_object_get(delta, "fgroups"),
	       *fences = json_object_get(delta, "fences"), *maint = json_object_get(delta, "maint");
	json_t *standby = json_object_get(delta, "standby"),
	       *bal = json_object_get(delta, "balance");
	json_t *e;
	size_t i;
	int rc;

	if (!json_is_object(delta) || vs_json_int(delta, "version", 0, INT64_MAX, &version) != 0 ||
	    !json_is_array(set) || !json_is_array(del) || (groups && !json_is_array(groups)) ||
	    (fences && !json_is_array(fences)) || (maint && !json_is_array(maint)) ||
	    (standby && !json_is_array(standby)) || (bal && !json_is_object(bal)))
		return vs_fail(-EINVAL, err, errlen, "A configuration change is malformed.");
	if ((uint64_t)version <= from->version)
		return vs_fail(-EINVAL, err, errlen,
		               "A configuration change is not newer than the configuration.");
	if (vs_config_copy(out, from) < 0)
		return vs_fail(-ENOMEM, err, errlen, "Out of memory.");
	if (groups) {
		out->n_fgroups = 0;
		if ((rc = vs_json_load_fgroups(groups, out, err, errlen)) < 0)
			return rc;
	}
	if (fences) {
		out->n_fences = 0;
		if ((rc = vs_json_load_fences(fences, out, err, errlen)) < 0)
			return rc;
	}
	if (maint) {
		out->n_maint = 0;
		if ((rc = vs_json_load_maint(maint, out, err, errlen)) < 0)
			return rc;
	}
	if (standby) {
		out->n_standby = 0;
		if ((rc = vs_json_load_standby(standby, out, err, errlen)) < 0)
			return rc;
	}
	if (bal && (rc = vs_json_load_balance(bal, out, err, errlen)) < 0)
		return rc;
	json_t *acc = json_object_get(delta, "accounts");
	if (acc && (rc = vs_json_load_accounts(acc, out, err, errlen)) < 0)
		return rc;
	json_t *tls = json_object_get(delta, "tls");
	if (tls && (rc = vs_json_load_tls(json_is_null(tls) ? NULL : tls, out, err, errlen)) < 0)
		return rc;
	json_array_foreach(del, i, e)
	{
		const char *name = json_string_value(e);
		char shown[VS_NAME_MAX + 8];
		if (!name || index_of(out, name, -1) < 0)
			return vs_fail(-EINVAL, err, errlen,
			               "A configuration change deletes '%s', which does not exist.",
			               name ? vs_shown(name, shown, sizeof(shown)) : "?");
		if ((rc = vs_config_delete(out, name, true, err, errlen)) < 0)
			return rc;
	}
	json_array_foreach(set, i, e)
	{
		if ((rc = put_vs(out, e, err, errlen)) < 0)
			return rc;
	}
	out->version = (uint64_t)version;
	return 0;
}
