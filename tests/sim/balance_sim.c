/*
 * balance_sim.c - replays the load traces of sim_trace.c through the four
 * policies of sim_policies.c in one run, and reports per policy the most
 * loaded node's share over the ideal (p50/p95/max over the rounds), the
 * moves made per hour, and for ours the decision time per round; as a table
 * on stdout and as JSON (--json FILE). See tests/sim/README.md.
 *
 *   balance_sim [--seed N] [--hours H] [--json FILE] [--series FILE]
 *
 * --series writes one CSV line per round: hour, ideal, lower bound, noise
 * floor, then per policy its most loaded share over the ideal on the load of
 * that minute, on the smoothed load and on the noise-free load.
 */
#include "tests/sim/sim.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_POL 4
#define TARGET 1.10

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of v[0..n) (sorted in place). */
static double pct(double *v, int n, double p)
{
	if (n <= 0)
		return NAN;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	int i = (int)ceil(p / 100.0 * n) - 1;
	return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* The ideal (total load over total capacity of the up nodes, the larger
 * dimension) and a lower bound on any placement's most loaded share: the
 * ideal, a VS alone on the best node it may run on, pinned VSs' load. */
static void bounds(const struct sim_state *st, const struct sim_policy *any,
                   const double (*l)[VS_BAL_NDIMS], double *ideal, double *lb)
{
	const struct sim_world *w = st->w;
	double tot[VS_BAL_NDIMS] = {0}, cap[VS_BAL_NDIMS] = {0};
	double pin[SIM_NODES][VS_BAL_NDIMS] = {{0}};

	*lb = 0;
	for (int n = 0; n < SIM_NODES; n++)
		for (int d = 0; st->up[n] && d < VS_BAL_NDIMS; d++)
			cap[d] += w->cap[n][d];
	for (int v = 0; v < SIM_VS; v++) {
		int at = any->node[v];
		if (w->pinned[v] && !(at >= 0 && st->up[at]))
			continue; /* waits for its node */
		double best = INFINITY;
		for (int d = 0; d < VS_BAL_NDIMS; d++)
			tot[d] += l[v][d];
		for (int n = 0; n < SIM_NODES; n++) {
			if (!st->up[n] || !w->can[v][n] || (w->pinned[v] && n != at))
				continue;
			double s = 0;
			for (int d = 0; d < VS_BAL_NDIMS; d++)
				s = fmax(s, l[v][d] / w->cap[n][d]);
			best = fmin(best, s);
		}
		if (w->pinned[v])
			for (int d = 0; d < VS_BAL_NDIMS; d++)
				pin[at][d] += l[v][d];
		*lb = fmax(*lb, best);
	}
	*ideal = 0;
	for (int d = 0; d < VS_BAL_NDIMS; d++)
		*ideal = fmax(*ideal, tot[d] / cap[d]);
	for (int n = 0; n < SIM_NODES; n++)
		for (int d = 0; d < VS_BAL_NDIMS; d++)
			*lb = fmax(*lb, pin[n][d] / w->cap[n][d]);
	*lb = fmax(*lb, *ideal);
}

/* The noise floor of a round: a placement perfectly balanced on the load
 * without its per-minute noise (every node at the noise-free ideal, in each
 * dimension), seen on this minute's load, over the minute's ideal. What no
 * balancer that decides on measured load can go under: the noise of a minute
 * is not known before it. Estimated with the grouping of `any`'s placement
 * (which VSs share a node): a node's noise is its own VSs' noise. */
static double noise_floor(const struct sim_state *st, const struct sim_policy *any, double ideal)
{
	const struct sim_world *w = st->w;
	double tn[SIM_NODES][VS_BAL_NDIMS], cn[SIM_NODES][VS_BAL_NDIMS];
	double tot[VS_BAL_NDIMS] = {0}, cap[VS_BAL_NDIMS] = {0}, fl = 0;

	sim_loads(any, st, (const double(*)[VS_BAL_NDIMS])st->truth, tn, NULL);
	sim_loads(any, st, (const double(*)[VS_BAL_NDIMS])st->clean, cn, NULL);
	for (int n = 0; n < SIM_NODES; n++)
		for (int d = 0; st->up[n] && d < VS_BAL_NDIMS; d++) {
			tot[d] += cn[n][d];
			cap[d] += w->cap[n][d];
		}
	for (int n = 0; n < SIM_NODES; n++)
		for (int d = 0; st->up[n] && d < VS_BAL_NDIMS; d++)
			if (cn[n][d] > 0)
				fl = fmax(fl, tot[d] / cap[d] * tn[n][d] / cn[n][d]);
	return fl / ideal;
}

struct result {
	double *ratio;    /* per round: most loaded share / ideal */
	double *ratio_ok; /* the same, rounds where TARGET is reachable */
	double *smooth;   /* the same on the smoothed load (2 min), reachable rounds */
	double *clean;    /* the same on the noise-free load, reachable rounds */
	int n_ok, n_s_ok, n_c_ok;
};

static void stats_json(FILE *f, const char *key, double *v, int n, const char *tail)
{
	double p50 = pct(v, n, 50), p95 = pct(v, n, 95), mx = pct(v, n, 100);

	fprintf(f, "\"%s\": {\"p50\": %.3f, \"p95\": %.3f, \"max\": %.3f, \"rounds\": %d}%s", key,
	        p50, p95, mx, n, tail);
}

static int usage(void)
{
	fprintf(stderr,
	        "usage: balance_sim [--seed N] [--hours H] [--json FILE] [--series FILE]\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint64_t seed = 1;
	double hours = 48;
	const char *json = NULL, *series = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--hours") == 0 && i + 1 < argc)
			hours = strtod(argv[++i], NULL);
		else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
			json = argv[++i];
		else if (strcmp(argv[i], "--series") == 0 && i + 1 < argc)
			series = argv[++i];
		else
			return usage();
	}
	if (!(hours > 0 && hours <= 48))
		return usage();

	struct sim_world *w = calloc(1, sizeof(*w));
	struct sim_state *st = calloc(1, sizeof(*st));
	struct sim_policy *pol = calloc(N_POL, sizeof(*pol));
	const struct sim_ops *ops[N_POL] = {&sim_ours, &sim_ctdb, &sim_pacemaker, &sim_greedy};
	if (!w || !st || !pol)
		return 1;
	sim_world_make(w, seed);
	w->n_steps = (int)(hours * 3600 / w->step_sec);
	st->w = w;
	struct result res[N_POL];
	int n = w->n_steps, unreach_ideal = 0, unreach_target = 0;
	double *ideal_v = calloc((size_t)n, sizeof(double));
	double *floor_v = calloc((size_t)n, sizeof(double));
	int n_floor = 0;
	for (int p = 0; p < N_POL; p++) {
		pol[p].ops = ops[p];
		res[p].ratio = calloc((size_t)n, sizeof(double));
		res[p].ratio_ok = calloc((size_t)n, sizeof(double));
		res[p].smooth = calloc((size_t)n, sizeof(double));
		res[p].clean = calloc((size_t)n, sizeof(double));
		res[p].n_ok = res[p].n_s_ok = res[p].n_c_ok = 0;
		if (!res[p].ratio || !res[p].ratio_ok || !res[p].smooth || !res[p].clean)
			return 1;
	}
	pol[0].round_us = calloc((size_t)n, sizeof(double));
	if (!ideal_v || !floor_v || !pol[0].round_us)
		return 1;

	FILE *csv = series ? fopen(series, "w") : NULL;
	if (series && !csv) {
		fprintf(stderr, "balance_sim: %s: %s\n", series, strerror(errno));
		return 1;
	}
	if (csv) {
		fprintf(csv, "hour,ideal,lower_bound,noise_floor");
		for (int p = 0; p < N_POL; p++)
			fprintf(csv, ",%s,%s_smoothed,%s_noise_free", ops[p]->key, ops[p]->key,
			        ops[p]->key);
		fprintf(csv, "\n");
	}
	bool was_up[SIM_NODES];
	for (int k = 0; k < n; k++) {
		st->step = k;
		sim_step(st);
		for (int p = 0; p < N_POL; p++) {
			if (k == 0) {
				pol[p].ops->start(&pol[p], st);
				continue;
			}
			bool down = false;
			for (int x = 0; x < SIM_NODES; x++)
				down |= was_up[x] && !st->up[x];
			if (down)
				pol[p].ops->failover(&pol[p], st);
			for (int x = 0; x < SIM_NODES; x++)
				if (!was_up[x] && st->up[x])
					pol[p].ops->node_back(&pol[p], st, x);
			pol[p].ops->round(&pol[p], st);
		}
		memcpy(was_up, st->up, sizeof(was_up));
		double ideal, lb, s_ideal, s_lb, c_ideal, c_lb;
		bounds(st, &pol[0], st->truth, &ideal, &lb);
		bounds(st, &pol[0], st->smooth, &s_ideal, &s_lb);
		bounds(st, &pol[0], st->clean, &c_ideal, &c_lb);
		double fl = noise_floor(st, &pol[0], ideal);
		ideal_v[k] = ideal;
		unreach_ideal += lb > ideal * 1.001;
		bool ok = lb <= ideal * TARGET;
		unreach_target += !ok;
		if (ok)
			floor_v[n_floor++] = fl;
		if (csv)
			fprintf(csv, "%.3f,%.4f,%.4f,%.4f", k * w->step_sec / 3600.0, ideal, lb,
			        fl);
		for (int p = 0; p < N_POL; p++) {
			double sh[SIM_NODES], worst = 0;
			sim_loads(&pol[p], st, (const double(*)[VS_BAL_NDIMS])st->truth, NULL, sh);
			for (int x = 0; x < SIM_NODES; x++)
				if (st->up[x])
					worst = fmax(worst, sh[x]);
			res[p].ratio[k] = worst / ideal;
			sim_loads(&pol[p], st, (const double(*)[VS_BAL_NDIMS])st->smooth, NULL, sh);
			double s_worst = 0;
			for (int x = 0; x < SIM_NODES; x++)
				if (st->up[x])
					s_worst = fmax(s_worst, sh[x]);
			sim_loads(&pol[p], st, (const double(*)[VS_BAL_NDIMS])st->clean, NULL, sh);
			double c_worst = 0;
			for (int x = 0; x < SIM_NODES; x++)
				if (st->up[x])
					c_worst = fmax(c_worst, sh[x]);
			if (csv)
				fprintf(csv, ",%.4f,%.4f,%.4f", worst / ideal, s_worst / s_ideal,
				        c_worst / c_ideal);
			if (ok)
				res[p].ratio_ok[res[p].n_ok++] = worst / ideal;
			if (s_lb <= s_ideal * TARGET)
				res[p].smooth[res[p].n_s_ok++] = s_worst / s_ideal;
			if (c_lb <= c_ideal * TARGET)
				res[p].clean[res[p].n_c_ok++] = c_worst / c_ideal;
		}
		if (csv)
			fprintf(csv, "\n");
		sim_measure(st);
	}
	if (csv && fclose(csv) != 0) {
		fprintf(stderr, "balance_sim: %s: %s\n", series, strerror(errno));
		return 1;
	}
	for (int p = 0; p < N_POL; p++)
		if (pol[p].err) {
			fprintf(stderr, "balance_sim: %s: error %d\n", pol[p].ops->key, pol[p].err);
			return 1;
		}

	double ideal_min = pct(ideal_v, n, 0), ideal_max = pct(ideal_v, n, 100);
	double *us = pol[0].round_us;
	int nr = pol[0].n_rounds;
	double t50 = pct(us, nr, 50) / 1000, t99 = pct(us, nr, 99) / 1000,
	       tmax = pct(us, nr, 100) / 1000;

	printf("balance simulator: seed %llu, %d nodes, %d VSs, %.0f h, a round every %d s "
	       "(%d rounds); ideal %.2f-%.2f of capacity\n",
	       (unsigned long long)seed, SIM_NODES, SIM_VS, hours, w->step_sec, n, ideal_min,
	       ideal_max);
	printf("rounds where the ideal is not reachable: %d (%d where even %.2f x ideal is not)\n",
	       unreach_ideal, unreach_target, TARGET);
	printf("noise floor (perfect balance on the noise-free load, seen on the minute's load): "
	       "p50 %.3f p95 %.3f max %.3f\n",
	       pct(floor_v, n_floor, 50), pct(floor_v, n_floor, 95), pct(floor_v, n_floor, 100));
	printf("%-20s %27s %27s %27s %8s %8s %5s\n", "policy", "worst/ideal p50 p95 max",
	       "(all rounds) p50 p95 max", "(smoothed) p50 p95 max", "moves/h", "failover", "s-b");
	FILE *f = json ? fopen(json, "w") : NULL;
	if (json && !f) {
		fprintf(stderr, "balance_sim: %s: %s\n", json, strerror(errno));
		return 1;
	}
	if (f)
		fprintf(
		    f,
		    "{\"seed\": %llu, \"nodes\": %d, \"vservers\": %d, \"hours\": %.1f, "
		    "\"round_s\": %d, \"rounds\": %d, \"target\": %.2f,\n \"ideal_range\": [%.3f, "
		    "%.3f], \"rounds_ideal_unreachable\": %d, \"rounds_target_unreachable\": "
		    "%d,\n ",
		    (unsigned long long)seed, SIM_NODES, SIM_VS, hours, w->step_sec, n, TARGET,
		    ideal_min, ideal_max, unreach_ideal, unreach_target);
	if (f) {
		stats_json(f, "noise_floor", floor_v, n_floor, ",\n ");
		fprintf(f, "\"policies\": {\n");
	}
	for (int p = 0; p < N_POL; p++) {
		struct sim_policy *x = &pol[p];
		struct result *r = &res[p];
		double mph = (double)x->moves / hours;
		if (f) {
			fprintf(f, "  \"%s\": {\"what\": \"%s\", ", x->ops->key, x->ops->what);
			stats_json(f, "worst_over_ideal", r->ratio_ok, r->n_ok, ", ");
			stats_json(f, "worst_over_ideal_all_rounds", r->ratio, n, ", ");
			stats_json(f, "worst_over_ideal_smoothed", r->smooth, r->n_s_ok, ", ");
			stats_json(f, "worst_over_ideal_noise_free", r->clean, r->n_c_ok, ", ");
			fprintf(
			    f,
			    "\"moves\": %ld, \"moves_per_hour\": %.1f, \"failover_moves\": %ld, "
			    "\"storage_bound_moves\": %ld, \"over_capacity_placements\": %ld}%s\n",
			    x->moves, mph, x->failover_moves, x->storage_bound_moves,
			    x->over_capacity_placements, p + 1 < N_POL ? "," : "");
		}
		double a50 = pct(r->ratio, n, 50), a95 = pct(r->ratio, n, 95),
		       amax = pct(r->ratio, n, 100);
		printf(
		    "%-20s %9.3f %8.3f %8.3f %9.3f %8.3f %8.3f %9.3f %8.3f %8.3f %8.1f %8ld %5ld\n",
		    x->ops->key, pct(r->ratio_ok, r->n_ok, 50), pct(r->ratio_ok, r->n_ok, 95),
		    pct(r->ratio_ok, r->n_ok, 100), a50, a95, amax, pct(r->smooth, r->n_s_ok, 50),
		    pct(r->smooth, r->n_s_ok, 95), pct(r->smooth, r->n_s_ok, 100), mph,
		    x->failover_moves, x->storage_bound_moves);
	}
	printf("p95 on the noise-free load (balance and measurement lag, without the noise):");
	for (int p = 0; p < N_POL; p++)
		printf(" %s %.3f", ops[p]->key, pct(res[p].clean, res[p].n_c_ok, 95));
	printf("\n");
	printf("ours: decision time per round p50 %.3f ms, p99 %.3f ms, max %.3f ms (%d rounds)\n",
	       t50, t99, tmax, nr);
	printf("(s-b: moves of a VS while its LUN was saturated; failover: VSs placed after the "
	       "node failure)\n");
	if (f) {
		fprintf(f,
		        " },\n \"decision_ms\": {\"p50\": %.4f, \"p99\": %.4f, \"max\": %.4f, "
		        "\"rounds\": %d}\n}\n",
		        t50, t99, tmax, nr);
		if (fclose(f) != 0) {
			fprintf(stderr, "balance_sim: %s: %s\n", json, strerror(errno));
			return 1;
		}
	}
	for (int p = 0; p < N_POL; p++) {
		free(res[p].ratio);
		free(res[p].ratio_ok);
		free(res[p].smooth);
		free(res[p].clean);
	}
	free(floor_v);
	free(pol[0].round_us);
	free(ideal_v);
	free(pol);
	free(st);
	free(w);
	return 0;
}
