/*
 * ap_reqvsset.c - `vsadm vserver set NAME`: a virtual server's own
 * settings (auto-revert, NFSv4 lease and grace, NFSv4 ID domain). Every
 * value is checked before anything changes; the change is then committed
 * and replicated like every other.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "appliance/ap_daemon_int.h"

/* One NFS timer argument of vserver.set: -1 when absent, else 0..INT_MAX
 * (the range is vs_config_set_nfs_timers' to check). */
static int timer_arg(json_t *args, const char *key, const char *opt, int *out, char *err,
                     size_t errlen)
{
	json_t *v = json_object_get(args, key);

	*out = -1;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT_MAX)
		return snprintf(err, errlen, "Give %s a number of seconds.", opt), -EINVAL;
	*out = (int)json_integer_value(v);
	return 0;
}

/* vserver set [--auto-revert on|off] [--nfs-lease S] [--nfs-grace S]: all
 * checked before anything changes. */
int ap_d_vserver_set(struct ap_daemon *d, json_t *args, const char *name, char *what, size_t wlen,
                     char *err, size_t errlen)
{
	json_t *ar = json_object_get(args, "auto_revert");
	struct vs_vserver *v;
	int rc, lease, grace, el, eg;
	size_t n = 0;

	if (ar && !json_is_boolean(ar))
		return snprintf(err, errlen, "Give --auto-revert on or off."), -EINVAL;
	if ((rc = timer_arg(args, "nfs_lease", "--nfs-lease", &lease, err, errlen)) < 0 ||
	    (rc = timer_arg(args, "nfs_grace", "--nfs-grace", &grace, err, errlen)) < 0)
		return rc;
	const char *dom = json_string_value(json_object_get(args, "nfs_domain"));
	char low[VS_DOMAIN_MAX + 2];
	if (!ar && lease == -1 && grace == -1 && !dom)
		return snprintf(err, errlen,
		                "Give what to set: --auto-revert on|off, --nfs-lease SECONDS, "
		                "--nfs-grace SECONDS or --nfs-domain DOMAIN."),
		       -EINVAL;
	if ((rc = vs_config_need(d->cfg, name, &v, err, errlen)) < 0 ||
	    (dom && (rc = vs_nfs_domain_check(dom, low, err, errlen)) < 0))
		return rc;
	/* The timers first: they are the setting that can be refused. */
	if ((lease != -1 || grace != -1) &&
	    (rc = vs_config_set_nfs_timers(d->cfg, name, lease, grace, err, errlen)) < 0)
		return rc;
	if ((dom && (rc = vs_config_set_nfs_domain(d->cfg, name, low, err, errlen)) < 0) ||
	    (ar &&
	     (rc = vs_config_set_auto_revert(d->cfg, name, json_is_true(ar), err, errlen)) < 0))
		return rc;
	what[0] = 0;
	if (ar && v->pinned)
		n = snprintf(what, wlen, "auto-revert of %s is %s (it is pinned: it never moves)",
		             name, json_is_true(ar) ? "on" : "off");
	else if (ar && !json_is_true(ar))
		n = snprintf(
		    what, wlen,
		    "auto-revert of %s is off: it stays where it runs until it is migrated", name);
	else if (ar && v->home[0])
		n = snprintf(what, wlen,
		             "auto-revert of %s is on: it goes back to its home node %s once %s is "
		             "healthy again",
		             name, v->home, v->home);
	else if (ar)
		n = snprintf(what, wlen,
		             "auto-revert of %s is on (it has no home node to go back to)", name);
	if (n >= wlen)
		n = wlen - 1;
	if (lease != -1 || grace != -1) {
		vs_vserver_nfs_timers(v, &el, &eg);
		snprintf(what + n, wlen - n,
		         "%sthe NFSv4 lease of %s is %d s and its grace %d s, from its next start "
		         "(clients reclaiming after a move wait up to %d s for the grace to lift)",
		         n ? "; " : "", name, el, eg, el / 2);
		n = strlen(what);
	}
	if (dom) {
		vs_vserver_nfs_domain(v, low, sizeof(low)); /* its default when "" */
		snprintf(what + n, wlen - n,
		         "%sthe NFSv4 ID domain of %s is %s, from its next start", n ? "; " : "",
		         name, low);
	}
	return 0;
}
