/*
 * ap_dload.c - the daemon's side of load measurement: the cgroup under
 * which each VS's servers run (so its cpu.stat is the VS's CPU), and the
 * sampler's sources (ap_load.h): the VSs that run here with their network
 * namespace, cgroup and devices, and the LUNs of the last scan. Samples go
 * to every node through the cluster.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "appliance/ap_cluster.h"
#include "appliance/ap_daemon_int.h"
#include "appliance/ap_load.h"
#include "appliance/ap_luns.h"
#include "lib/lib_cgroup.h"
#include "lib/lib_log.h"

static int load_vss(void *arg, struct ap_load_src *out, int max)
{
	struct ap_daemon *d = arg;
	int n = 0;

	for (struct rt_entry *e = d->rts; e; e = e->next) {
		enum vs_rt_state st = vs_runtime_state(e->rt);
		if (e->deleting || st == VS_RT_STOPPED)
			continue;
		if (n == max) {
			if (!d->load_capped)
				lib_warn("load: more than %d virtual servers run here: the others "
				         "are not measured",
				         max);
			d->load_capped = true;
			break;
		}
		struct ap_load_src *s = &out[n++];
		snprintf(s->vs, sizeof(s->vs), "%s", e->name);
		s->nsfd = vs_runtime_netns_fd(e->rt);
		if (vs_runtime_cgroup(e->rt, s->cgroup, sizeof(s->cgroup)) < 0)
			s->cgroup[0] = '\0';
		s->n_devs = vs_runtime_devices(e->rt, s->devs, AP_LOAD_MAX_DEVS);
		if (vs_runtime_smb_conf(e->rt, s->smb_conf, sizeof(s->smb_conf)) < 0)
			s->smb_conf[0] = '\0';
		if (vs_runtime_nfs_bus(e->rt, s->nfs_bus, sizeof(s->nfs_bus)) < 0)
			s->nfs_bus[0] = '\0';
		const struct vs_vserver *vs = vs_config_find(d->cfg, e->name);
		s->n_vips = 0;
		for (int k = 0; vs && k < vs->n_vips && k < VS_MAX_VIPS; k++)
			snprintf(s->vips[s->n_vips++], sizeof(s->vips[0]), "%s", vs->vips[k].addr);
	}
	return n;
}

static int load_luns(void *arg, struct ap_load_lunsrc *out, int max)
{
	struct ap_daemon *d = arg;
	const struct fx_lun_info *luns;
	int n = ap_luns_list(d->luns, &luns), k = 0;

	for (int i = 0; i < n && k < max; i++) {
		if (!luns[i].label[0] && !luns[i].uuid[0])
			continue;
		struct ap_load_lunsrc *s = &out[k++];
		if (luns[i].label[0])
			snprintf(s->lun, sizeof(s->lun), "LABEL=%s", luns[i].label);
		else
			snprintf(s->lun, sizeof(s->lun), "UUID=%s", luns[i].uuid);
		snprintf(s->dev, sizeof(s->dev), "%s", luns[i].dev);
	}
	return k;
}

static void load_sample(void *arg, const struct ap_msg *m)
{
	struct ap_daemon *d = arg;

	if (d->cluster)
		ap_cluster_send_load(d->cluster, m);
}

/* <cgroup v2>/appliance/<node>: each VS's cgroup is made under it. Without
 * one the VSs run all the same, their CPU unmeasured (said once). */
static void cgroup_setup(struct ap_daemon *d)
{
	char v2[LIB_CGROUP_PATH_MAX], top[LIB_CGROUP_PATH_MAX];
	int rc = lib_cgroup_find_v2(v2, sizeof(v2));

	if (rc == 0)
		rc = lib_cgroup_create(v2, "appliance");
	if (rc == 0)
		rc = lib_cgroup_path(v2, "appliance", top, sizeof(top));
	if (rc == 0)
		rc = lib_cgroup_create(top, d->node);
	if (rc == 0)
		rc = lib_cgroup_path(top, d->node, d->cgroup_parent, sizeof(d->cgroup_parent));
	if (rc < 0) {
		d->cgroup_parent[0] = '\0';
		lib_warn("no cgroup v2 for the virtual servers (%s): their CPU is not measured",
		         strerror(-rc));
	}
}

static uint64_t load_tau(void *arg)
{
	struct ap_daemon *d = arg;

	return (uint64_t)ap_d_smoothing_s(d->cfg) * 1000000;
}

int ap_d_load_start(struct ap_daemon *d)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	struct ap_load_hooks h = {.vss = load_vss,
	                          .luns = load_luns,
	                          .sample = load_sample,
	                          .tau_usec = load_tau,
	                          .arg = d};

	cgroup_setup(d);
	return ap_load_create(d->ev, d->node, cores > 0 ? (int)cores : 1, 0, &h, &d->load);
}

int ap_d_port_rate(void *arg, const char *port, double *bps)
{
	struct ap_daemon *d = arg;

	return d->load ? ap_load_port_rate(d->load, port, bps) : -ENOENT;
}

int ap_d_vip_rate(void *arg, const char *vs, const char *addr, double *bps)
{
	struct ap_daemon *d = arg;

	return d->load ? ap_load_vip_rate(d->load, vs, addr, bps) : -ENOENT;
}

/* A port is hot for one smoothing period before a VIP leaves it; a VIP
 * moves again no sooner than the balancing cool-down. */
void ap_d_spread_params(void *arg, struct nf_spread_params *p)
{
	struct ap_daemon *d = arg;
	const struct vs_balance_cfg *b = &d->cfg->balance;

	nf_spread_defaults(p);
	p->hold_usec = (uint64_t)ap_d_smoothing_s(d->cfg) * 1000000;
	if (b->cooldown_s)
		p->cooldown_usec = (uint64_t)b->cooldown_s * 1000000;
}

const char *ap_d_cgroup_parent(const struct ap_daemon *d)
{
	return d->cgroup_parent[0] ? d->cgroup_parent : NULL;
}
