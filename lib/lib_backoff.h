/*
 * lib_backoff.h - exponential back-off for restarts and retries (pure).
 *
 * The first delay is `min`, each next one doubles, up to `max`; reset starts
 * over (e.g. after a child ran long enough to count as healthy).
 * Plain value, no allocation.
 */
#ifndef LIB_BACKOFF_H
#define LIB_BACKOFF_H

#include <stdint.h>

struct lib_backoff {
	uint64_t min, max; /* usec */
	uint64_t cur;      /* the last delay handed out, 0 = none yet */
};

uint64_t lib_backoff_next(struct lib_backoff *b);
void lib_backoff_reset(struct lib_backoff *b);

#endif
