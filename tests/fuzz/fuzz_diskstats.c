/*
 * fuzz_diskstats.c - libFuzzer target: the /proc/diskstats parser
 * (fx_diskstats_parse in fsexport/fx_diskstats.c) and the rate function.
 *
 * The bytes are the text as read (no NUL needed). Checks: the parser returns
 * 0, -EINVAL or -ENOMEM; a refusal leaves the result empty ({NULL, 0}); an
 * accepted text has at least one device, each with a printable name of no
 * blanks and a major:minor no other device has; a round trip holds: the
 * records printed back in the kernel's 20-field format parse to the same
 * records. Rates between every device and the next one (given the same
 * major:minor) are finite and >= 0 with a utilisation in 0..1, or -ERANGE
 * with zeros.
 *
 * Memory: everything allocated per input is freed before returning.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsexport/fx_diskstats.h"
#include "tests/fuzz/common.h"

static void check_rate(const struct fx_diskstat *a, const struct fx_diskstat *b)
{
	struct fx_diskstat c = *b;
	struct fx_diskrate r;
	int rc;

	c.major = a->major;
	c.minor = a->minor;
	rc = fx_diskstats_rate(a, &c, 1 + (b->reads % 10000000), &r);
	fz_require(rc == 0 || rc == -ERANGE, "fx_diskstats_rate: an unexpected result");
	fz_require(isfinite(r.read_bps) && isfinite(r.write_bps) && isfinite(r.read_iops) &&
	               isfinite(r.write_iops) && isfinite(r.queue) && r.read_bps >= 0 &&
	               r.write_bps >= 0 && r.read_iops >= 0 && r.write_iops >= 0 && r.queue >= 0,
	           "a rate that is no rate");
	fz_require(r.util >= 0 && r.util <= 1, "a utilisation out of 0..1");
	if (rc < 0)
		fz_require(r.read_bps == 0 && r.util == 0, "a reset with a rate");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fx_diskstats s = {(void *)&s, 7}, back;
	char *text;
	size_t len = 0;
	int rc = fx_diskstats_parse((const char *)data, size, &s);

	fz_require(rc == 0 || rc == -EINVAL || rc == -ENOMEM,
	           "fx_diskstats_parse: an unexpected result");
	if (rc < 0) {
		fz_require(s.dev == NULL && s.n == 0, "a refused text left a result");
		return 0;
	}
	fz_require(s.n >= 1, "an accepted text with no device");
	for (size_t i = 0; i < s.n; i++) {
		const struct fx_diskstat *d = &s.dev[i];
		size_t n = strlen(d->name);

		fz_require(n >= 1 && n < FX_DISK_NAME_MAX, "a name of a bad length");
		for (size_t k = 0; k < n; k++)
			fz_require(d->name[k] > ' ' && d->name[k] < 0x7f, "a name with a blank");
		for (size_t j = 0; j < i; j++)
			fz_require(s.dev[j].major != d->major || s.dev[j].minor != d->minor,
			           "a device twice");
		fz_require(fx_diskstats_find(&s, d->major, d->minor) == d, "find misses a device");
		check_rate(d, &s.dev[(i + 1) % s.n]);
		check_rate(d, d);
	}

	/* Round trip through the kernel's format. */
	text = malloc(s.n * 256);
	fz_require(text != NULL, "out of memory");
	for (size_t i = 0; i < s.n; i++) {
		const struct fx_diskstat *d = &s.dev[i];

		len += (size_t)sprintf(
		    text + len, "%4u %7u %s %llu 0 %llu 0 %llu 0 %llu 0 0 %u %u 0 0 0 0 0 0\n",
		    d->major, d->minor, d->name, (unsigned long long)d->reads,
		    (unsigned long long)d->sectors_read, (unsigned long long)d->writes,
		    (unsigned long long)d->sectors_written, d->io_ticks_ms, d->time_in_queue_ms);
	}
	rc = fx_diskstats_parse(text, len, &back);
	fz_require(rc == 0, "the records printed back do not parse");
	fz_require(back.n == s.n && memcmp(back.dev, s.dev, s.n * sizeof(*s.dev)) == 0,
	           "the round trip changed a record");
	free(text);
	fx_diskstats_free(&back);
	fx_diskstats_free(&s);
	return 0;
}
