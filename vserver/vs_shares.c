/*
 * vs_shares.c - the SMB shares of a virtual server (vs_model.h): a name
 * SMB accepts (unique ignoring case, none of SMB's reserved names), a
 * sub-directory of one of its file systems, and who may use it (vs_users.h
 * checks the names of --read and --write).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vserver/vs_err.h"
#include "vserver/vs_model.h"
#include "vserver/vs_users.h"

int vs_config_share_add(struct vs_config *cfg, const char *name, const char *share,
                        const char *fsname, const char *path, bool ro, char *err, size_t errlen)
{
	struct vs_share_opts o = {.ro = ro};

	return vs_config_share_add_opts(cfg, name, share, fsname, path, &o, err, errlen);
}

int vs_config_share_add_opts(struct vs_config *cfg, const char *name, const char *share,
                             const char *fsname, const char *path, const struct vs_share_opts *o,
                             char *err, size_t errlen)
{
	static const char *const reserved[] = {"global", "homes", "printers", "ipc$", "print$"};
	struct vs_vserver *vs;
	struct vs_share sh = {0};
	char buf[80];
	int rc = vs_config_need(cfg, name, &vs, err, errlen);

	if (rc < 0)
		return rc;
	if (!*share || strlen(share) > 80)
		return vs_fail(-EINVAL, err, errlen, "The share name must be 1 to 80 characters.");
	if (strlen(share) > VS_SHARE_MAX)
		return vs_fail(
		    -EINVAL, err, errlen,
		    "The share name '%s' is too long: at most %d characters are allowed.",
		    vs_shown(share, buf, sizeof(buf)), VS_SHARE_MAX);
	for (const char *p = share; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.$", *p))
			return vs_fail(-EINVAL, err, errlen,
			               "The share name '%s' may contain only letters, digits, '-', "
			               "'_', '.' and '$'.",
			               vs_shown(share, buf, sizeof(buf)));
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcasecmp(share, reserved[i]) == 0)
			return vs_fail(-EINVAL, err, errlen, "'%s' is a name reserved by SMB.",
			               share);
	for (int i = 0; i < vs->n_shares; i++)
		if (strcasecmp(vs->shares[i].name, share) == 0)
			return vs_fail(-EEXIST, err, errlen,
			               "'%s' already has a share named '%s' (share names ignore "
			               "case).",
			               name, vs->shares[i].name);
	rc = vs_vserver_need_fs(vs, fsname, err, errlen);
	if (rc < 0)
		return rc;
	rc = vs_normalise_subdir(path ? path : "", sh.path, sizeof(sh.path), err, errlen);
	if (rc < 0)
		return rc;
	rc = vs_share_access(vs, o, &sh, err, errlen);
	if (rc < 0)
		return rc;
	if (vs->n_shares >= VS_MAX_SHARES)
		return vs_fail(-E2BIG, err, errlen, "'%s' already has the maximum of %d shares.",
		               name, VS_MAX_SHARES);
	if (vs_grow((void **)&vs->shares, &vs->cap_shares, vs->n_shares, sizeof(vs->shares[0]),
	            VS_MAX_SHARES) < 0)
		return vs_fail(-ENOMEM, err, errlen, "Out of memory.");
	snprintf(sh.name, sizeof(sh.name), "%s", share);
	snprintf(sh.fs, sizeof(sh.fs), "%s", fsname);
	vs->shares[vs->n_shares++] = sh;
	cfg->version++;
	return 0;
}

int vs_config_share_del(struct vs_config *cfg, const char *name, const char *share, char *err,
                        size_t errlen)
{
	struct vs_vserver *vs;
	char buf[80];
	int rc = vs_config_need(cfg, name, &vs, err, errlen);

	if (rc < 0)
		return rc;
	for (int i = 0; i < vs->n_shares; i++) {
		if (strcasecmp(vs->shares[i].name, share) != 0)
			continue;
		memmove(&vs->shares[i], &vs->shares[i + 1],
		        (size_t)(vs->n_shares - i - 1) * sizeof(vs->shares[0]));
		vs->n_shares--;
		cfg->version++;
		return 0;
	}
	return vs_fail(-ENOENT, err, errlen, "'%s' has no share named '%s'.", name,
	               vs_shown(share, buf, sizeof(buf)));
}
