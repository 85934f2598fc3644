/*
 * sim_trace.c - the simulated cluster and its load traces: 16 nodes (10 of
 * 16 cores and 2 x 10 GbE, 6 of 32 cores and 2 x 25 GbE), 1,000 VSs of
 * log-normal sizes in three regions (time zones 0, 8 and 16 h: diurnal
 * waves that shift the load around the cluster), hot spots (5 VSs at 3-6
 * times their load for 0.5-3 h) appearing all the time in new places, one
 * LUN saturated for 12 hours (its VSs storage-bound, their load capped),
 * 100 VSs whose LUNs only nodes 0-7 see, 10 pinned VSs, and a node that fails
 * and comes back. Everything follows from the seed; a VS's noise at a step
 * is a hash of (seed, VS, step), so every policy replays the same trace.
 */
#include "tests/sim/sim.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "vserver/vs_load.h"

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Uniform in (0, 1) from a 64-bit state (advanced). */
static double uni(uint64_t *s)
{
	*s = mix(*s);
	return ((double)(*s >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(uint64_t *s)
{
	double a = uni(s), b = uni(s);

	return sqrt(-2 * log(a)) * cos(2 * M_PI * b);
}

void sim_world_make(struct sim_world *w, uint64_t seed)
{
	uint64_t s = seed * 0x2545f4914f6cdd1dULL + 1;
	double sum_cpu = 0, sum_net = 0, cap_cpu = 0, cap_net = 0;

	memset(w, 0, sizeof(*w));
	w->seed = seed;
	w->hours = 48;
	w->step_sec = 60;
	w->n_steps = (int)(w->hours * 3600 / w->step_sec);
	/* The appliance's smoothing (vs_load.h, `vsadm balance set --smoothing`):
	 * an EWMA of 2 minutes; over a minute of constant load, the step below. */
	w->ewma_alpha = -expm1(-(double)w->step_sec * 1e6 / (double)VS_LOAD_TAU_USEC);
	for (int n = 0; n < SIM_NODES; n++) {
		bool big = n >= 10;
		snprintf(w->node_name[n], sizeof(w->node_name[n]), "n%d", n + 1);
		w->cap[n][VS_BAL_CPU] = big ? 32 : 16;
		w->cap[n][VS_BAL_NET] = big ? 6.25e9 : 2.5e9;
		cap_cpu += w->cap[n][VS_BAL_CPU];
		cap_net += w->cap[n][VS_BAL_NET];
	}
	for (int l = 0; l < SIM_LUNS; l++)
		snprintf(w->lun_name[l], sizeof(w->lun_name[l]), "lun%02d", l);
	w->sat_lun = 7;
	w->sat_start = 18;
	w->sat_end = 30;
	w->fail_node = 12;
	w->fail_at = 30;
	w->back_at = 36;
	for (int v = 0; v < SIM_VS; v++) {
		double r = uni(&s);
		snprintf(w->vs_name[v], sizeof(w->vs_name[v]), "vs%d", v);
		w->base[v] = exp(0.9 * gauss(&s));
		w->net_per_core[v] = exp(0.8 * gauss(&s));
		w->phase[v] = r < 0.5 ? 0 : r < 0.8 ? 8 : 16;
		w->lun[v] = v % SIM_LUNS;
		if (w->lun[v] == w->sat_lun)
			w->base[v] *= 3; /* the storage-bound ones are big */
		for (int n = 0; n < SIM_NODES; n++)
			w->can[v][n] = w->lun[v] < 90 || n < 8;
		w->home[v] = -1;
		/* Mean of the diurnal factor below: 0.5. */
		sum_cpu += 0.5 * w->base[v];
		sum_net += 0.5 * w->base[v] * w->net_per_core[v];
	}
	/* On average half the cores and 45% of the network are used. */
	for (int v = 0; v < SIM_VS; v++) {
		w->base[v] *= 0.5 * cap_cpu / sum_cpu;
		w->net_per_core[v] *= 0.45 * cap_net / sum_net / (0.5 * cap_cpu / sum_cpu);
	}
	for (int k = 0; k < 10; k++) {
		int v = 100 * k + 13;
		w->pinned[v] = true;
		w->home[v] = (k * 3) % SIM_NODES == w->fail_node ? 0 : (k * 3) % SIM_NODES;
	}
	for (int h = 0; h < SIM_HOT; h++) {
		struct sim_hot *x = &w->hot[h];
		x->start = 1 + uni(&s) * (w->hours - 4);
		x->dur = 0.5 + 2.5 * uni(&s);
		x->factor = 3 + 3 * uni(&s);
		for (int k = 0; k < SIM_HOT_VS; k++) {
			int v;
			do
				v = (int)(uni(&s) * SIM_VS) % SIM_VS;
			while (w->lun[v] == w->sat_lun);
			x->vs[k] = v;
		}
	}
}

static double diurnal(double t_h, double phase)
{
	return 0.5 + 0.4 * sin(2 * M_PI * (t_h - phase) / 24);
}

/* The hot-spot multiplier of every VS at t (ramps of 10 minutes). */
static void hot_factors(const struct sim_world *w, double t, double *f)
{
	for (int v = 0; v < SIM_VS; v++)
		f[v] = 1;
	for (int h = 0; h < SIM_HOT; h++) {
		const struct sim_hot *x = &w->hot[h];
		if (t < x->start || t > x->start + x->dur)
			continue;
		double ramp = fmin(fmin(t - x->start, x->start + x->dur - t) * 6, 1);
		for (int k = 0; k < SIM_HOT_VS; k++)
			f[x->vs[k]] *= 1 + (x->factor - 1) * ramp;
	}
}

bool sim_storage_bound(const struct sim_state *st, int v)
{
	const struct sim_world *w = st->w;
	double t = st->step * w->step_sec / 3600.0;

	return w->lun[v] == w->sat_lun && t >= w->sat_start && t < w->sat_end;
}

void sim_measure(struct sim_state *st)
{
	const struct sim_world *w = st->w;

	if (st->step == 0)
		return; /* sim_step took it as the first measurement */
	for (int v = 0; v < SIM_VS; v++)
		for (int d = 0; d < VS_BAL_NDIMS; d++)
			st->smooth[v][d] += w->ewma_alpha * (st->truth[v][d] - st->smooth[v][d]);
}

void sim_step(struct sim_state *st)
{
	const struct sim_world *w = st->w;
	double t = st->step * w->step_sec / 3600.0, lun_load[SIM_LUNS] = {0};
	int lun_n[SIM_LUNS] = {0};
	double hot[SIM_VS];

	st->now_usec = (uint64_t)st->step * (uint64_t)w->step_sec * 1000000 + 1;
	for (int n = 0; n < SIM_NODES; n++)
		st->up[n] = n != w->fail_node || t < w->fail_at || t >= w->back_at;
	hot_factors(w, t, hot);
	for (int v = 0; v < SIM_VS; v++) {
		uint64_t s =
		    mix(w->seed ^ mix((uint64_t)v * 0x100000001b3ULL + (uint64_t)st->step));
		double f = diurnal(t, w->phase[v]);
		if (sim_storage_bound(st, v))
			f = fmin(f, diurnal(w->sat_start, w->phase[v])); /* capped by its LUN */
		else
			f *= hot[v];
		double cpu = w->base[v] * f * fmax(0.2, 1 + 0.1 * gauss(&s));
		st->truth[v][VS_BAL_CPU] = cpu;
		st->clean[v][VS_BAL_CPU] = w->base[v] * f;
		st->clean[v][VS_BAL_NET] = w->base[v] * f * w->net_per_core[v];
		st->truth[v][VS_BAL_NET] =
		    cpu * w->net_per_core[v] * fmax(0.2, 1 + 0.1 * gauss(&s));
		if (st->step == 0) /* the first measurement, before anything is placed */
			memcpy(st->smooth[v], st->truth[v], sizeof(st->smooth[v]));
		lun_load[w->lun[v]] += f;
		lun_n[w->lun[v]]++;
	}
	for (int l = 0; l < SIM_LUNS; l++) {
		double busy = 0.1 + 0.5 * lun_load[l] / (lun_n[l] ? lun_n[l] : 1);
		st->lun_busy[l] = fmin(busy, 0.8);
	}
	if (t >= w->sat_start && t < w->sat_end)
		st->lun_busy[w->sat_lun] = 0.93 + 0.02 * sin(t);
}
