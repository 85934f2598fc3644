/*
 * ap_stats.c - this node's counters since applianced started (see ap_stats.h).
 */
#include "appliance/ap_stats.h"

#include <math.h>

static const double bounds[AP_STATS_NBOUNDS] = AP_STATS_BOUNDS;

void ap_stats_hist_add(struct ap_stats_hist *h, double seconds)
{
	int i;

	if (!isfinite(seconds) || seconds < 0)
		seconds = 0;
	for (i = 0; i < AP_STATS_NBOUNDS && seconds > bounds[i]; i++)
		;
	h->bucket[i]++;
	h->count++;
	h->sum += seconds;
}

void ap_stats_move(struct ap_stats *s, enum vs_move_kind kind, enum ap_stats_move_end end,
                   double seconds)
{
	if (!s || (unsigned)kind >= VS_MOVE_NKINDS || (unsigned)end >= AP_STATS_MOVE_NENDS)
		return;
	s->moves[kind][end]++;
	if (end == AP_STATS_MOVE_DONE)
		ap_stats_hist_add(&s->move_s[kind], seconds);
}

void ap_stats_fence(struct ap_stats *s, bool ok, double seconds)
{
	if (!s)
		return;
	if (ok)
		s->fence_ok++;
	else
		s->fence_failed++;
	ap_stats_hist_add(&s->fence_s, seconds);
}

void ap_stats_vip(struct ap_stats *s, enum ap_stats_vip reason)
{
	if (s && (unsigned)reason < AP_STATS_VIP_NREASONS)
		s->vip_moves[reason]++;
}

const char *ap_stats_move_end_name(enum ap_stats_move_end e)
{
	static const char *const names[] = {"done", "stuck", "ended"};
	return (unsigned)e < AP_STATS_MOVE_NENDS ? names[e] : "?";
}

const char *ap_stats_vip_name(enum ap_stats_vip r)
{
	static const char *const names[] = {"failover", "revert", "spread", "failed"};
	return (unsigned)r < AP_STATS_VIP_NREASONS ? names[r] : "?";
}

static json_t *hist_json(const struct ap_stats_hist *h)
{
	json_t *b = json_array();
	uint64_t cum = 0;

	for (int i = 0; i <= AP_STATS_NBOUNDS; i++) {
		cum += h->bucket[i];
		json_array_append_new(b, i < AP_STATS_NBOUNDS
		                             ? json_pack("[f, I]", bounds[i], (json_int_t)cum)
		                             : json_pack("[s, I]", "+Inf", (json_int_t)cum));
	}
	return json_pack("{s:I, s:f, s:o}", "count", (json_int_t)h->count, "sum", h->sum, "buckets",
	                 b);
}

json_t *ap_stats_json(const struct ap_stats *s)
{
	json_t *moves = json_array(), *vips = json_object();

	for (int k = 0; k < VS_MOVE_NKINDS; k++) {
		json_t *o = json_pack("{s:s, s:o}", "kind", vs_move_kind_name(k), "duration_s",
		                      hist_json(&s->move_s[k]));
		for (int e = 0; e < AP_STATS_MOVE_NENDS; e++)
			json_object_set_new(o, ap_stats_move_end_name(e),
			                    json_integer((json_int_t)s->moves[k][e]));
		json_array_append_new(moves, o);
	}
	for (int r = 0; r < AP_STATS_VIP_NREASONS; r++)
		json_object_set_new(vips, ap_stats_vip_name(r),
		                    json_integer((json_int_t)s->vip_moves[r]));
	return json_pack("{s:o, s:{s:I, s:I, s:o}, s:o}", "moves", moves, "fencing", "success",
	                 (json_int_t)s->fence_ok, "failure", (json_int_t)s->fence_failed,
	                 "duration_s", hist_json(&s->fence_s), "vip_moves", vips);
}
