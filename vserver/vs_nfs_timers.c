/*
 * vs_nfs_timers.c - the NFSv4 lease and grace of a virtual server.
 *
 * Each VS runs its own ganesha, so each VS has its own lease and grace
 * (as ONTAP's per-SVM v4-lease-seconds / v4-grace-seconds). What they trade
 * (DESIGN section 5): ganesha 4.3 lifts grace once every recorded client has
 * reclaimed, but only in its reaper, every lease/2 seconds, so after a move a
 * reclaiming client waits up to lease/2 s (plus its own back-off) before it
 * may open files again; a shorter lease shortens that wait, and makes every
 * idle client renew more often, so a client cut off for longer than the
 * lease loses its state. An idle Linux client renews every max(2/3 lease,
 * 5 s): below VS_NFS_LEASE_MIN (7 s, 2 s to spare) it would lose its state
 * while doing nothing wrong. The grace must be at least the lease (a client
 * must have a whole lease to notice and reclaim).
 */
#include "vserver/vs_model.h"

#include "fsexport/fx_ganesha.h"
#include "vserver/vs_err.h"

#include <errno.h>

void vs_vserver_nfs_timers(const struct vs_vserver *vs, int *lease, int *grace)
{
	*lease = vs->nfs_lease ? vs->nfs_lease : FX_GANESHA_LEASE_DEFAULT;
	*grace = vs->nfs_grace ? vs->nfs_grace : FX_GANESHA_GRACE_DEFAULT;
	/* A lease set above the default grace, with the grace left at its
	 * default: the grace follows the lease (never shorter than it). */
	if (!vs->nfs_grace && *grace < *lease)
		*grace = *lease;
}

int vs_config_set_nfs_timers(struct vs_config *cfg, const char *name, int lease, int grace,
                             char *err, size_t errlen)
{
	struct vs_vserver *vs, t;
	int rc = vs_config_need(cfg, name, &vs, err, errlen), el, eg;

	if (rc < 0)
		return rc;
	if (lease != -1 && lease != 0 && (lease < VS_NFS_LEASE_MIN || lease > VS_NFS_LEASE_MAX))
		return vs_fail(
		    -EINVAL, err, errlen,
		    "The NFSv4 lease must be %d to %d seconds (0 for the default, %d): an "
		    "idle Linux client renews only every 5 s.",
		    VS_NFS_LEASE_MIN, VS_NFS_LEASE_MAX, FX_GANESHA_LEASE_DEFAULT);
	if (grace != -1 && grace != 0 && (grace < 1 || grace > VS_NFS_GRACE_MAX))
		return vs_fail(
		    -EINVAL, err, errlen,
		    "The NFSv4 grace period must be up to %d seconds (0 for the default, "
		    "%d).",
		    VS_NFS_GRACE_MAX, FX_GANESHA_GRACE_DEFAULT);
	t.nfs_lease = lease == -1 ? vs->nfs_lease : lease;
	t.nfs_grace = grace == -1 ? vs->nfs_grace : grace;
	vs_vserver_nfs_timers(&t, &el, &eg);
	if (eg < el)
		return vs_fail(-EINVAL, err, errlen,
		               "The NFSv4 grace period (%d s) must be at least the lease (%d s): a "
		               "client needs a whole lease to notice the move and reclaim.",
		               eg, el);
	if (t.nfs_lease != vs->nfs_lease || t.nfs_grace != vs->nfs_grace) {
		vs->nfs_lease = t.nfs_lease;
		vs->nfs_grace = t.nfs_grace;
		cfg->version++;
	}
	return 0;
}
