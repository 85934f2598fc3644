/*
 * fx_diskstats.c - /proc/diskstats parsing and per-device rates (see
 * fx_diskstats.h).
 */
#include "fsexport/fx_diskstats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib_fs.h"
#include "lib/lib_span.h"

/* Fields on a line: major, minor, name and 11, 15 or 17 counters. */
#define FX_DS_FIELDS_MAX 20
/* Bit k set: the 1-based field k is printed as a 32-bit number. */
#define FX_DS_U32                                                                                  \
	((1u << 7) | (1u << 11) | (1u << 12) | (1u << 13) | (1u << 14) | (1u << 18) | (1u << 20))

/* Parse one line's fields into *d. */
static int fx_diskstats_line(const struct lib_span *f, int nf, struct fx_diskstat *d)
{
	uint64_t v[FX_DS_FIELDS_MAX], major, minor;
	int i;

	if (nf != 14 && nf != 18 && nf != 20)
		return -EINVAL;
	if (lib_span_u64(f[0], UINT32_MAX, &major) < 0 ||
	    lib_span_u64(f[1], UINT32_MAX, &minor) < 0 ||
	    lib_span_copy(f[2], d->name, sizeof(d->name)) < 0)
		return -EINVAL;
	for (i = 3; i < nf; i++) {
		/* Fields 7, 11-14, 18 and 20 (1-based) are 32-bit (%u in the kernel). */
		uint64_t max = (FX_DS_U32 & (1u << (i + 1))) ? UINT32_MAX : UINT64_MAX;

		if (lib_span_u64(f[i], max, &v[i]) < 0)
			return -EINVAL;
	}
	d->major = (unsigned int)major;
	d->minor = (unsigned int)minor;
	d->reads = v[3];
	d->sectors_read = v[5];
	d->writes = v[7];
	d->sectors_written = v[9];
	d->io_ticks_ms = (uint32_t)v[12];
	d->time_in_queue_ms = (uint32_t)v[13];
	return 0;
}

int fx_diskstats_parse(const char *buf, size_t len, struct fx_diskstats *out)
{
	struct lib_span line, f[FX_DS_FIELDS_MAX];
	struct fx_diskstat *dev = NULL;
	size_t off = 0, n = 0, cap = 0;
	int r, nf;

	out->dev = NULL;
	out->n = 0;
	while ((r = lib_span_line(buf, len, &off, &line)) > 0) {
		struct fx_diskstat *nd = lib_span_grow(dev, &cap, n, sizeof(*dev));

		if (!nd) {
			r = -ENOMEM;
			goto fail;
		}
		dev = nd;
		memset(&dev[n], 0, sizeof(dev[n]));
		nf = lib_span_split(line, f, FX_DS_FIELDS_MAX);
		if (nf < 0 || fx_diskstats_line(f, nf, &dev[n]) < 0) {
			r = -EINVAL;
			goto fail;
		}
		for (size_t i = 0; i < n; i++)
			if (dev[i].major == dev[n].major && dev[i].minor == dev[n].minor) {
				r = -EINVAL;
				goto fail;
			}
		n++;
	}
	if (r < 0 || n == 0) {
		r = -EINVAL;
		goto fail;
	}
	out->dev = dev;
	out->n = n;
	return 0;
fail:
	free(dev);
	return r;
}

void fx_diskstats_free(struct fx_diskstats *s)
{
	free(s->dev);
	s->dev = NULL;
	s->n = 0;
}

const struct fx_diskstat *fx_diskstats_find(const struct fx_diskstats *s, unsigned int major,
                                            unsigned int minor)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->dev[i].major == major && s->dev[i].minor == minor)
			return &s->dev[i];
	return NULL;
}

int fx_diskstats_rate(const struct fx_diskstat *prev, const struct fx_diskstat *cur,
                      uint64_t elapsed_usec, struct fx_diskrate *out)
{
	double secs = (double)elapsed_usec / 1e6, ms = (double)elapsed_usec / 1e3;

	memset(out, 0, sizeof(*out));
	if (elapsed_usec == 0 || prev->major != cur->major || prev->minor != cur->minor)
		return -EINVAL;
	if (cur->reads < prev->reads || cur->writes < prev->writes ||
	    cur->sectors_read < prev->sectors_read || cur->sectors_written < prev->sectors_written)
		return -ERANGE;
	out->read_bps = (double)(cur->sectors_read - prev->sectors_read) * FX_DISK_SECTOR / secs;
	out->write_bps =
	    (double)(cur->sectors_written - prev->sectors_written) * FX_DISK_SECTOR / secs;
	out->read_iops = (double)(cur->reads - prev->reads) / secs;
	out->write_iops = (double)(cur->writes - prev->writes) / secs;
	/* 32-bit millisecond counters: the difference modulo 2^32 survives a wrap. */
	out->util = (double)(uint32_t)(cur->io_ticks_ms - prev->io_ticks_ms) / ms;
	if (out->util > 1.0)
		out->util = 1.0;
	out->queue = (double)(uint32_t)(cur->time_in_queue_ms - prev->time_in_queue_ms) / ms;
	return 0;
}

int fx_diskstats_read(const char *path, struct fx_diskstats *out)
{
	char *text;
	int r;

	out->dev = NULL;
	out->n = 0;
	r = lib_read_file(path ? path : FX_DISKSTATS_PATH, &text);
	if (r < 0)
		return r;
	r = fx_diskstats_parse(text, strlen(text), out);
	free(text);
	return r;
}
