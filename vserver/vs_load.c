/*
 * vs_load.c - EWMA smoothing, history ring and trend of a load series (see
 * vs_load.h).
 */
#include "vserver/vs_load.h"

#include <errno.h>
#include <math.h>
#include <string.h>

void vs_load_defaults(struct vs_load_params *p)
{
	p->tau_usec = VS_LOAD_TAU_USEC;
	p->step_usec = VS_LOAD_STEP_USEC;
	p->trend_usec = VS_LOAD_TREND_USEC;
	p->band_rel = VS_LOAD_BAND_REL;
	p->band_abs = VS_LOAD_BAND_ABS;
}

int vs_load_init(struct vs_load *s, const struct vs_load_params *p)
{
	struct vs_load_params d;

	if (!p) {
		vs_load_defaults(&d);
		p = &d;
	}
	if (p->tau_usec == 0 || p->step_usec == 0 || p->trend_usec == 0 ||
	    p->step_usec > UINT64_MAX / VS_LOAD_HIST ||
	    p->trend_usec > (uint64_t)(VS_LOAD_HIST - 1) * p->step_usec ||
	    !(p->band_rel >= 0 && isfinite(p->band_rel)) ||
	    !(p->band_abs >= 0 && isfinite(p->band_abs)))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->p = *p;
	return 0;
}

/* Keep the smoothed value in the ring. */
static void vs_load_push(struct vs_load *s, uint64_t now_usec)
{
	s->hist[s->head].at_usec = now_usec;
	s->hist[s->head].value = s->value;
	s->head = (s->head + 1) % VS_LOAD_HIST;
	if (s->count < VS_LOAD_HIST)
		s->count++;
}

int vs_load_update(struct vs_load *s, uint64_t now_usec, double sample)
{
	if (!isfinite(sample) || sample < 0 || (s->primed && now_usec < s->last_usec))
		return -EINVAL;
	if (!s->primed) {
		s->primed = true;
		s->value = sample;
	} else if (now_usec > s->last_usec) {
		double dt = (double)(now_usec - s->last_usec);
		double alpha = -expm1(-dt / (double)s->p.tau_usec);

		s->value += alpha * (sample - s->value);
	}
	s->raw = sample;
	s->last_usec = now_usec;
	if (s->count == 0 || now_usec >= s->next_usec) {
		/* One step on while on time; after a gap, one step from now. */
		bool on_time = s->count > 0 && now_usec - s->next_usec < s->p.step_usec;

		vs_load_push(s, now_usec);
		s->next_usec = (on_time ? s->next_usec : now_usec) + s->p.step_usec;
	}
	return 0;
}

enum vs_load_trend vs_load_trend(const struct vs_load *s)
{
	const struct vs_load_point *then = NULL;
	double band, diff;

	if (!s->primed || s->last_usec < s->p.trend_usec)
		return VS_TREND_UNKNOWN;
	/* Newest entry at least trend_usec before the last sample. */
	for (unsigned int i = 0; i < s->count; i++) {
		const struct vs_load_point *e =
		    &s->hist[(s->head + VS_LOAD_HIST - 1 - i) % VS_LOAD_HIST];

		if (e->at_usec <= s->last_usec - s->p.trend_usec) {
			then = e;
			break;
		}
	}
	if (!then)
		return VS_TREND_UNKNOWN;
	diff = s->value - then->value;
	band = s->p.band_rel * fmax(fabs(s->value), fabs(then->value));
	if (band < s->p.band_abs)
		band = s->p.band_abs;
	if (diff > band)
		return VS_TREND_RISING;
	if (diff < -band)
		return VS_TREND_FALLING;
	return VS_TREND_FLAT;
}

const char *vs_load_trend_name(enum vs_load_trend t)
{
	switch (t) {
	case VS_TREND_FLAT:
		return "flat";
	case VS_TREND_RISING:
		return "rising";
	case VS_TREND_FALLING:
		return "falling";
	default:
		return "unknown";
	}
}

size_t vs_load_history(const struct vs_load *s, struct vs_load_point *out, size_t max)
{
	size_t n = s->count < max ? s->count : max;

	/* The newest n, oldest first. */
	for (size_t i = 0; i < n; i++)
		out[i] = s->hist[(s->head + VS_LOAD_HIST - n + i) % VS_LOAD_HIST];
	return n;
}

int vs_load_trend_parse(const char *s, enum vs_load_trend *out)
{
	static const enum vs_load_trend all[] = {VS_TREND_UNKNOWN, VS_TREND_FLAT, VS_TREND_RISING,
	                                         VS_TREND_FALLING};

	for (size_t i = 0; s && i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, vs_load_trend_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	return -EINVAL;
}

int vs_load_set_tau(struct vs_load *s, uint64_t tau_usec)
{
	if (!tau_usec)
		return -EINVAL;
	s->p.tau_usec = tau_usec;
	return 0;
}
