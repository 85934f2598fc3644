/*
 * lib_backoff.c - doubling delays between min and max (see lib_backoff.h).
 */
#include "lib/lib_backoff.h"

uint64_t lib_backoff_next(struct lib_backoff *b)
{
	b->cur = b->cur ? b->cur * 2 : b->min;
	if (b->cur > b->max)
		b->cur = b->max;
	return b->cur;
}

void lib_backoff_reset(struct lib_backoff *b)
{
	b->cur = 0;
}
