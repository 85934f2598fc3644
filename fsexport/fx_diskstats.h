/*
 * fx_diskstats.h - block-device I/O counters from /proc/diskstats, and the
 * rates between two samples: bytes/s, IOPS and utilisation per device (what
 * a LUN's load is as this node sees it, DESIGN R6/R7).
 *
 * Pieces: a pure parser of the file's text (fx_diskstats_parse), a pure rate
 * function of two records of one device (fx_diskstats_rate), and a thin
 * reader (fx_diskstats_read) that reads the file and parses it. /proc is a
 * pseudo file system: reading it never waits on storage, so the reader is
 * safe in the event loop.
 *
 * Format (Documentation/admin-guide/iostats.rst): per line "major minor name"
 * then 11 counters (kernels before 4.18), 15 (discards, 4.18+) or 17 (flushes,
 * 5.5+); any other count is refused. Sectors are always 512 bytes whatever
 * the device's block size. io_ticks and time_in_queue are printed by the
 * kernel as 32-bit milliseconds (they wrap after 49.7 days: the rate function
 * takes their difference modulo 2^32); the other counters are 64-bit.
 *
 * Memory: fx_diskstats_parse() fills a caller's struct fx_diskstats with a
 * malloc'd array that fx_diskstats_free() releases; on failure nothing is
 * allocated and *out is left empty ({NULL, 0}): never half filled.
 * Errors: 0 or a negative errno. -EINVAL: text not in the format above (empty,
 * a line cut short or missing its final '\n', a non-digit, a number too large
 * for its field, too few or too many fields, a name over FX_DISK_NAME_MAX - 1
 * characters, the same major:minor twice); -ENOMEM; the reader adds the
 * errors of open/read. Rates: -EINVAL for a zero elapsed time or two
 * different devices, -ERANGE when a 64-bit counter went backwards (the device
 * was removed and re-created: the counters reset; skip this interval and take
 * the new record as the base; *out is zeroed).
 */
#ifndef FX_DISKSTATS_H
#define FX_DISKSTATS_H

#include <stddef.h>
#include <stdint.h>

#define FX_DISKSTATS_PATH "/proc/diskstats"
#define FX_DISK_NAME_MAX 64
#define FX_DISK_SECTOR 512

/* One device's counters, as the kernel printed them. */
struct fx_diskstat {
	unsigned int major, minor;
	char name[FX_DISK_NAME_MAX];
	uint64_t reads, writes;                 /* I/Os completed */
	uint64_t sectors_read, sectors_written; /* 512-byte sectors */
	uint32_t io_ticks_ms;                   /* time with at least one I/O in flight */
	uint32_t time_in_queue_ms; /* weighted: sum over I/Os of their time in flight */
};

struct fx_diskstats {
	struct fx_diskstat *dev; /* malloc'd, in the file's order */
	size_t n;
};

/* Rates of one device over an interval. */
struct fx_diskrate {
	double read_bps, write_bps;   /* bytes per second */
	double read_iops, write_iops; /* I/Os completed per second */
	double util;                  /* share of the interval busy, 0..1 */
	double queue;                 /* average I/Os in flight (time_in_queue / elapsed) */
};

/* Parse the text of /proc/diskstats (buf[0..len), NUL not needed). */
int fx_diskstats_parse(const char *buf, size_t len, struct fx_diskstats *out);
void fx_diskstats_free(struct fx_diskstats *s);
/* The record of major:minor in s, or NULL. */
const struct fx_diskstat *fx_diskstats_find(const struct fx_diskstats *s, unsigned int major,
                                            unsigned int minor);
/* Rates of one device between prev and cur, elapsed_usec apart (> 0). The
 * utilisation is clamped to 0..1 (io_ticks is sampled by the kernel at I/O
 * boundaries and may run ahead of the wall clock by a tick). */
int fx_diskstats_rate(const struct fx_diskstat *prev, const struct fx_diskstat *cur,
                      uint64_t elapsed_usec, struct fx_diskrate *out);
/* Read and parse FX_DISKSTATS_PATH (path NULL) or another file of its format. */
int fx_diskstats_read(const char *path, struct fx_diskstats *out);

#endif
