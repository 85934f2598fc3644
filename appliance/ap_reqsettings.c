/*
 * ap_reqsettings.c - requests on the cluster-wide settings: `vsadm balance
 * set|show` (how the master balances VSs by load) and `vsadm node standby
 * NODE on|off`. Each option is checked by allow-list before anything
 * changes; the model checks the whole (vs_config_set_balance); the change is
 * then committed and replicated like every other.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "appliance/ap_daemon_int.h"
#include "vserver/vs_balance.h"

static const struct {
	const char *key, *opt;
	int max;
	size_t off;
} int_opts[] = {
    {"max_moves", "--max-moves", 16, offsetof(struct vs_balance_cfg, max_moves)},
    {"cooldown", "--cooldown", 86400, offsetof(struct vs_balance_cfg, cooldown_s)},
    {"min_share", "--min-share", 100, offsetof(struct vs_balance_cfg, min_share_pct)},
    {"trigger", "--trigger", 100, offsetof(struct vs_balance_cfg, trigger_pct)},
    {"high_water", "--high-water", 100, offsetof(struct vs_balance_cfg, high_water_pct)},
    {"low_water", "--low-water", 99, offsetof(struct vs_balance_cfg, low_water_pct)},
    {"smoothing", "--smoothing", 3600, offsetof(struct vs_balance_cfg, smoothing_s)},
    {"lun_busy", "--lun-busy", 100, offsetof(struct vs_balance_cfg, lun_busy_pct)},
};

int ap_d_balance_set(struct ap_daemon *d, json_t *args, char *what, size_t wlen, char *err,
                     size_t errlen)
{
	struct vs_balance_cfg b = d->cfg->balance;
	json_t *mode = json_object_get(args, "mode");
	bool any = mode != NULL;
	int rc;

	if (mode &&
	    (!json_is_string(mode) || vs_balance_mode_parse(json_string_value(mode), &b.mode) < 0))
		return snprintf(err, errlen, "Give --mode off, advise or auto."), -EINVAL;
	for (size_t i = 0; i < sizeof(int_opts) / sizeof(int_opts[0]); i++) {
		json_t *v = json_object_get(args, int_opts[i].key);
		if (!v)
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > int_opts[i].max)
			return snprintf(err, errlen,
			                "Give %s a whole number from 0 (the default) to %d.",
			                int_opts[i].opt, int_opts[i].max),
			       -EINVAL;
		*(int *)((char *)&b + int_opts[i].off) = (int)json_integer_value(v);
		any = true;
	}
	if (!any)
		return snprintf(err, errlen,
		                "Give what to set: --mode, --max-moves, --cooldown, --min-share, "
		                "--trigger, --high-water, --low-water, --smoothing or --lun-busy."),
		       -EINVAL;
	if ((rc = vs_config_set_balance(d->cfg, &b, err, errlen)) < 0)
		return rc;
	struct vs_bal_settings s;
	vs_bal_from_config(&d->cfg->balance, &s);
	snprintf(what, wlen,
	         "balancing %s: at most %d moves a round, %llu s cool-down, a node is over above "
	         "%.0f%% of its capacity and %.0f%% over the ideal; standby nodes take virtual "
	         "servers above %.0f%% and are emptied below %.0f%%; loads smoothed over %d s; "
	         "a LUN %.0f%% busy is saturated",
	         vs_balance_mode_name(d->cfg->balance.mode), s.max_moves,
	         (unsigned long long)(s.cooldown_usec / 1000000), s.min_share * 100,
	         s.trigger * 100, s.high_water * 100, s.low_water * 100, ap_d_smoothing_s(d->cfg),
	         s.lun_busy * 100);
	return 0;
}

int ap_d_smoothing_s(const struct vs_config *cfg)
{
	return (int)(vs_bal_tau_usec(&cfg->balance) / 1000000);
}

json_t *ap_d_balance_json(struct ap_daemon *d)
{
	struct vs_bal_settings s;
	json_t *o;

	vs_bal_from_config(&d->cfg->balance, &s);
	o = json_pack("{s:s, s:i, s:I, s:f, s:f, s:f, s:f, s:i, s:f, s:o}", "mode",
	              vs_balance_mode_name(d->cfg->balance.mode), "max_moves", s.max_moves,
	              "cooldown_s", (json_int_t)(s.cooldown_usec / 1000000), "min_share",
	              s.min_share, "trigger", s.trigger, "high_water", s.high_water, "low_water",
	              s.low_water, "smoothing_s", ap_d_smoothing_s(d->cfg), "lun_busy", s.lun_busy,
	              "standby", vs_standby_to_json(d->cfg));
	return o;
}
