/*
 * vs_nfsid.c - the NFS identity of a virtual server (DESIGN 7a, vs_model.h):
 * how each export maps the ids its clients send (squash, anonymous uid and
 * gid, security flavour) and the VS's NFSv4 ID domain, in which owners
 * travel as user@domain. Pure: checks and sets the model, one sentence on
 * a refusal, nothing changed then.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vserver/vs_err.h"
#include "vserver/vs_model.h"

static int anon_id(uint32_t id, const char *flag, uint32_t *out, char *err, size_t errlen)
{
	if (id > VS_ANON_DEFAULT)
		return vs_fail(-EINVAL, err, errlen,
		               "%s takes an id from 1 to %d (65534 is nobody, the default).", flag,
		               VS_ANON_DEFAULT);
	*out = id ? id : VS_ANON_DEFAULT;
	return 0;
}

int vs_export_identity(const struct vs_export_opts *o, struct vs_export *ex, char *err,
                       size_t errlen)
{
	static const char *const squash[] = {"root", "all", "none"};
	struct vs_export t = *ex;
	char buf[32];
	int rc;

	t.ro = o->ro;
	t.squash = VS_SQUASH_ROOT;
	if (o->squash) {
		size_t i = 0;
		while (i < 3 && strcmp(o->squash, squash[i]) != 0)
			i++;
		if (i == 3)
			return vs_fail(-EINVAL, err, errlen,
			               "--squash is root, all or none, not '%s'.",
			               vs_shown(o->squash, buf, sizeof(buf)));
		t.squash = (enum vs_squash)i;
	}
	t.sec = VS_SEC_SYS;
	if (o->sec && strcmp(o->sec, "sys") != 0) {
		if (strcmp(o->sec, "krb5") == 0 || strcmp(o->sec, "krb5i") == 0 ||
		    strcmp(o->sec, "krb5p") == 0)
			return vs_fail(
			    -EOPNOTSUPP, err, errlen,
			    "--sec %s needs the virtual server to be joined to a directory, "
			    "which is not available yet: use --sec sys.",
			    o->sec);
		return vs_fail(-EINVAL, err, errlen, "--sec is sys, not '%s'.",
		               vs_shown(o->sec, buf, sizeof(buf)));
	}
	if ((rc = anon_id(o->anon_uid, "--anon-uid", &t.anon_uid, err, errlen)) < 0 ||
	    (rc = anon_id(o->anon_gid, "--anon-gid", &t.anon_gid, err, errlen)) < 0)
		return rc;
	*ex = t;
	return 0;
}

/* [a-z0-9-] labels of 1..63 joined by dots, not starting or ending with '-'. */
static bool domain_ok(const char *d)
{
	size_t label = 0, n = strlen(d);

	if (n == 0 || n > VS_DOMAIN_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (d[i] == '.') {
			if (label == 0 || d[i - 1] == '-')
				return false;
			label = 0;
		} else if (!(islower((unsigned char)d[i]) || isdigit((unsigned char)d[i]) ||
		             (d[i] == '-' && label > 0)) ||
		           ++label > 63) {
			return false;
		}
	}
	return label > 0 && d[n - 1] != '-';
}

int vs_nfs_domain_check(const char *domain, char *low, char *err, size_t errlen)
{
	char buf[64];
	size_t i;

	for (i = 0; domain[i] && i < VS_DOMAIN_MAX + 1; i++)
		low[i] = (char)tolower((unsigned char)domain[i]);
	low[i] = '\0';
	if (domain[i] || (low[0] && !domain_ok(low)))
		return vs_fail(-EINVAL, err, errlen,
		               "'%s' is not a domain name: give labels of letters, digits and '-' "
		               "joined by dots, at most %d characters.",
		               vs_shown(domain, buf, sizeof(buf)), VS_DOMAIN_MAX);
	return 0;
}

int vs_config_set_nfs_domain(struct vs_config *cfg, const char *name, const char *domain, char *err,
                             size_t errlen)
{
	char low[VS_DOMAIN_MAX + 2];
	struct vs_vserver *vs;
	int rc = vs_config_need(cfg, name, &vs, err, errlen);

	if (rc < 0 || (rc = vs_nfs_domain_check(domain, low, err, errlen)) < 0)
		return rc;
	if (strcmp(vs->nfs_domain, low) != 0) {
		snprintf(vs->nfs_domain, sizeof(vs->nfs_domain), "%s", low);
		cfg->version++;
	}
	return 0;
}

void vs_vserver_nfs_domain(const struct vs_vserver *vs, char *buf, size_t len)
{
	size_t i;

	if (vs->nfs_domain[0]) {
		snprintf(buf, len, "%s", vs->nfs_domain);
		return;
	}
	/* VS names are [A-Za-z][A-Za-z0-9_-]*: '_' is no DNS character. */
	for (i = 0; vs->name[i] && i + 7 < len; i++)
		buf[i] = vs->name[i] == '_' ? '-' : (char)tolower((unsigned char)vs->name[i]);
	while (i > 1 && buf[i - 1] == '-') /* a label ends with a letter or digit */
		i--;
	snprintf(buf + i, len - i, ".local");
}
