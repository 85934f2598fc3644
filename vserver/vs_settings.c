/*
 * vs_settings.c - the cluster-wide settings of the configuration (see
 * vs_model.h): the nodes under maintenance and the standby nodes (two lists
 * of node names, kept by one helper), and how the master balances.
 *
 * Validation is by range, each refusal one sentence; what is refused leaves
 * the configuration as it was (the balancing settings are checked whole
 * before any is written).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vserver/vs_err.h"
#include "vserver/vs_model.h"

/* `node` in or out of list[0..*n) (at most VS_MAX_MAINT): the version moves
 * only on a change. */
static int node_list_set(struct vs_config *cfg, char (*list)[VS_NAME_MAX + 1], int *n,
                         const char *node, bool on, const char *full, char *err, size_t errlen)
{
	int rc = vs_check_name("node", node, VS_NAME_MAX, err, errlen);

	if (rc < 0)
		return rc;
	for (int i = 0; i < *n; i++) {
		if (strcmp(list[i], node) != 0)
			continue;
		if (on)
			return 0;
		memmove(&list[i], &list[i + 1], (size_t)(*n - i - 1) * sizeof(list[0]));
		(*n)--;
		cfg->version++;
		return 0;
	}
	if (!on)
		return 0;
	if (*n >= VS_MAX_MAINT)
		return vs_fail(-E2BIG, err, errlen,
		               "%d nodes are %s already, the most a cluster has.", VS_MAX_MAINT,
		               full);
	snprintf(list[(*n)++], sizeof(list[0]), "%s", node);
	cfg->version++;
	return 0;
}

static bool node_listed(const char (*list)[VS_NAME_MAX + 1], int n, const char *node)
{
	for (int i = 0; node && i < n; i++)
		if (strcmp(list[i], node) == 0)
			return true;
	return false;
}

int vs_config_maint(struct vs_config *cfg, const char *node, bool on, char *err, size_t errlen)
{
	return node_list_set(cfg, cfg->maint, &cfg->n_maint, node, on, "under maintenance", err,
	                     errlen);
}

bool vs_config_in_maint(const struct vs_config *cfg, const char *node)
{
	return node_listed(cfg->maint, cfg->n_maint, node);
}

int vs_config_standby(struct vs_config *cfg, const char *node, bool on, char *err, size_t errlen)
{
	return node_list_set(cfg, cfg->standby, &cfg->n_standby, node, on, "standby nodes", err,
	                     errlen);
}

bool vs_config_is_standby(const struct vs_config *cfg, const char *node)
{
	return node_listed(cfg->standby, cfg->n_standby, node);
}

int vs_config_fgroup_set_speed(struct vs_config *cfg, const char *name, int64_t mbps, char *err,
                               size_t errlen)
{
	if (mbps < 0 || mbps > 400000)
		return vs_fail(-EINVAL, err, errlen,
		               "A port speed is 1 to 400000 Mb/s (0: as the link reports it).");
	for (int i = 0; i < cfg->n_fgroups; i++) {
		if (strcmp(cfg->fgroups[i].name, name) != 0)
			continue;
		if (cfg->fgroups[i].port_mbps != (uint32_t)mbps) {
			cfg->fgroups[i].port_mbps = (uint32_t)mbps;
			cfg->version++;
		}
		return 0;
	}
	return vs_fail(-ENOENT, err, errlen, "There is no failover group named '%s'.", name);
}

static const char *const mode_names[] = {
    [VS_BALANCE_DEFAULT] = "auto",
    [VS_BALANCE_OFF] = "off",
    [VS_BALANCE_ADVISE] = "advise",
    [VS_BALANCE_AUTO] = "auto",
};

const char *vs_balance_mode_name(enum vs_balance_mode m)
{
	return m >= VS_BALANCE_DEFAULT && m <= VS_BALANCE_AUTO ? mode_names[m] : "?";
}

int vs_balance_mode_parse(const char *s, enum vs_balance_mode *out)
{
	for (int m = VS_BALANCE_OFF; s && m <= VS_BALANCE_AUTO; m++)
		if (strcmp(s, mode_names[m]) == 0) {
			*out = (enum vs_balance_mode)m;
			return 0;
		}
	return -EINVAL;
}

static bool in(int v, int lo, int hi)
{
	return v == 0 || (v >= lo && v <= hi);
}

int vs_config_set_balance(struct vs_config *cfg, const struct vs_balance_cfg *b, char *err,
                          size_t errlen)
{
	if (b->mode < VS_BALANCE_DEFAULT || b->mode > VS_BALANCE_AUTO)
		return vs_fail(-EINVAL, err, errlen, "The balancing mode is off, advise or auto.");
	if (!in(b->max_moves, 1, 16))
		return vs_fail(-EINVAL, err, errlen,
		               "At most 1 to 16 moves a balancing round (0: the default).");
	if (!in(b->smoothing_s, 10, 3600))
		return vs_fail(
		    -EINVAL, err, errlen,
		    "The smoothing of the loads is 10 to 3600 seconds (0: the default).");
	if (!in(b->cooldown_s, 1, 86400))
		return vs_fail(
		    -EINVAL, err, errlen,
		    "The cool-down after a move is 1 to 86400 seconds (0: the default).");
	if (!in(b->min_share_pct, 1, 100) || !in(b->trigger_pct, 1, 100) ||
	    !in(b->lun_busy_pct, 1, 100) || !in(b->high_water_pct, 1, 100) ||
	    !in(b->low_water_pct, 1, 99))
		return vs_fail(
		    -EINVAL, err, errlen,
		    "The least share, the trigger, the water marks and a saturated LUN's "
		    "busy share are percentages, 1 to 100 (0: the default).");
	int hi = b->high_water_pct ? b->high_water_pct : 80;
	int lo = b->low_water_pct ? b->low_water_pct : 50;
	if (lo >= hi)
		return vs_fail(
		    -EINVAL, err, errlen,
		    "The low-water mark (%d%%) must be under the high-water mark (%d%%).", lo, hi);
	if (memcmp(&cfg->balance, b, sizeof(*b)) != 0) {
		cfg->balance = *b;
		cfg->version++;
	}
	return 0;
}
