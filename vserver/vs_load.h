/*
 * vs_load.h - one load series: a raw measurement (cores, bytes/s, IOPS, a
 * utilisation...) smoothed by an exponentially weighted moving average, a
 * short history of the smoothed value, and its trend. What the balancer
 * decides on (DESIGN 7: smoothed over minutes, short spikes never move a VS)
 * and what `vsadm load show` prints. Pure: no clock, no I/O; the caller
 * passes the time of each sample (monotonic microseconds).
 *
 * Smoothing: value += alpha * (sample - value) with alpha = 1 - exp(-dt/tau),
 * dt the time since the previous sample: correct for irregular intervals (two
 * samples 5 s apart move the value as much as one 10 s after the first, for
 * a steady input), and a sample after a gap much longer than tau replaces the
 * value. The first sample primes the value. With tau = 2 min, a 10x spike
 * lasting 5 s moves the value by 4% of the spike's height (1 - e^-5/120).
 *
 * History: every `step_usec` (default 10 s) the smoothed value is kept in a
 * ring of VS_LOAD_HIST entries (60: 10 minutes at 10 s), with its time; the
 * oldest is overwritten. A gap in the samples leaves a gap in the history (no
 * invented entries).
 *
 * Trend: the smoothed value now against the newest history entry at least
 * `trend_usec` old (default 5 min): rising or falling when it moved by more
 * than the dead band, max(band_abs, band_rel * the larger of the two);
 * unknown while the history is shorter than that.
 *
 * Memory: struct vs_load is a plain value owned by the caller (embed it,
 * copy it); its fields may be read, they are written only by these
 * functions.
 * Errors: 0 or -EINVAL (parameters out of range; a sample that is not a
 * finite number >= 0, or older than the previous one: nothing is changed).
 */
#ifndef VS_LOAD_H
#define VS_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VS_LOAD_HIST 60

#define VS_LOAD_TAU_USEC (120ULL * 1000000)   /* default time constant, 2 min */
#define VS_LOAD_STEP_USEC (10ULL * 1000000)   /* default history step, 10 s */
#define VS_LOAD_TREND_USEC (300ULL * 1000000) /* default trend look-back, 5 min */
#define VS_LOAD_BAND_REL 0.10                 /* default dead band: 10% ... */
#define VS_LOAD_BAND_ABS 0.0                  /* ... and no absolute floor */

enum vs_load_trend { VS_TREND_UNKNOWN, VS_TREND_FLAT, VS_TREND_RISING, VS_TREND_FALLING };

struct vs_load_params {
	uint64_t tau_usec;   /* > 0 */
	uint64_t step_usec;  /* > 0 */
	uint64_t trend_usec; /* 0 < trend_usec <= (VS_LOAD_HIST - 1) * step_usec */
	double band_rel;     /* >= 0 */
	double band_abs;     /* >= 0, in the series' unit */
};

struct vs_load_point {
	uint64_t at_usec;
	double value;
};

struct vs_load {
	struct vs_load_params p;
	bool primed;        /* a sample was taken */
	double raw;         /* the last sample */
	double value;       /* the smoothed value */
	uint64_t last_usec; /* time of the last sample */
	uint64_t next_usec; /* when the next history entry is due */
	unsigned int head;  /* index of the next entry to write */
	unsigned int count; /* entries kept, <= VS_LOAD_HIST */
	struct vs_load_point hist[VS_LOAD_HIST];
};

/* The defaults above. */
void vs_load_defaults(struct vs_load_params *p);
/* An empty series; p NULL for the defaults. */
int vs_load_init(struct vs_load *s, const struct vs_load_params *p);
/* Feed one raw sample taken at now_usec (>= the previous sample's time; an
 * equal time replaces the raw value but does not move the average). */
int vs_load_update(struct vs_load *s, uint64_t now_usec, double sample);
/* A new time constant (> 0) from the next sample on; -EINVAL otherwise. */
int vs_load_set_tau(struct vs_load *s, uint64_t tau_usec);
/* The trend of the smoothed value at its last sample. */
enum vs_load_trend vs_load_trend(const struct vs_load *s);
/* "unknown", "flat", "rising", "falling". */
const char *vs_load_trend_name(enum vs_load_trend t);
/* The word back: 0, or -EINVAL for any other text. */
int vs_load_trend_parse(const char *s, enum vs_load_trend *out);
/* Up to max history entries, oldest first, into out; returns how many. */
size_t vs_load_history(const struct vs_load *s, struct vs_load_point *out, size_t max);

#endif
