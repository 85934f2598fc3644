/*
 * fuzz_cgroupstat.c - libFuzzer target: the cgroup v2 parsers of
 * lib/lib_cgroup.c, each fed the same bytes: cpu.stat
 * (lib_cgroup_cpu_parse), io.stat (lib_cgroup_io_parse) and the v2 mount
 * point found in /proc/self/mountinfo (lib_cgroup_mountinfo_v2).
 *
 * Checks: cpu.stat gives 0 or -EINVAL, and a refusal leaves the caller's
 * struct as it was; io.stat gives 0, -EINVAL or -ENOMEM, a refusal leaves
 * the result empty, an accepted one has unique devices and survives a round
 * trip (printed back as "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=..", it
 * parses to the same records); mountinfo gives 0, -ENOENT or -ENAMETOOLONG,
 * and a mount point found is absolute, NUL-terminated within the buffer, free
 * of blanks and escapes, and in the text.
 *
 * Memory: everything allocated per input is freed before returning.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib_cgroup.h"
#include "tests/fuzz/common.h"

static void check_cpu(const char *buf, size_t len)
{
	struct lib_cgroup_cpu c = {1, 2, 3}, before = c;
	int rc = lib_cgroup_cpu_parse(buf, len, &c);

	fz_require(rc == 0 || rc == -EINVAL, "lib_cgroup_cpu_parse: an unexpected result");
	if (rc < 0)
		fz_require(memcmp(&c, &before, sizeof(c)) == 0,
		           "a refused cpu.stat changed things");
}

static void check_io(const char *buf, size_t len)
{
	struct lib_cgroup_io io = {(void *)&io, 3}, back;
	size_t n = 0;
	char *text;
	int rc = lib_cgroup_io_parse(buf, len, &io);

	fz_require(rc == 0 || rc == -EINVAL || rc == -ENOMEM,
	           "lib_cgroup_io_parse: an unexpected result");
	if (rc < 0) {
		fz_require(io.dev == NULL && io.n == 0, "a refused io.stat left a result");
		return;
	}
	text = malloc(io.n * 192 + 1);
	fz_require(text != NULL, "out of memory");
	for (size_t i = 0; i < io.n; i++) {
		const struct lib_cgroup_iodev *d = &io.dev[i];

		for (size_t j = 0; j < i; j++)
			fz_require(io.dev[j].major != d->major || io.dev[j].minor != d->minor,
			           "a device twice");
		n += (size_t)sprintf(
		    text + n, "%u:%u rbytes=%llu wbytes=%llu rios=%llu wios=%llu\n", d->major,
		    d->minor, (unsigned long long)d->rbytes, (unsigned long long)d->wbytes,
		    (unsigned long long)d->rios, (unsigned long long)d->wios);
	}
	rc = lib_cgroup_io_parse(text, n, &back);
	fz_require(rc == 0, "the records printed back do not parse");
	fz_require(back.n == io.n &&
	               (io.n == 0 || memcmp(back.dev, io.dev, io.n * sizeof(*io.dev)) == 0),
	           "the round trip changed a record");
	free(text);
	lib_cgroup_io_free(&back);
	lib_cgroup_io_free(&io);
}

static void check_mountinfo(const char *buf, size_t len)
{
	char out[64];
	int rc = lib_cgroup_mountinfo_v2(buf, len, out, sizeof(out));

	fz_require(rc == 0 || rc == -ENOENT || rc == -ENAMETOOLONG,
	           "lib_cgroup_mountinfo_v2: an unexpected result");
	if (rc < 0)
		return;
	fz_require(memchr(out, '\0', sizeof(out)) != NULL, "a mount point not terminated");
	fz_require(out[0] == '/' && !strpbrk(out, " \t\n\\"), "a mount point of a bad shape");
	fz_require(memmem(buf, len, out, strlen(out)) != NULL, "a mount point not in the text");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so ASan sees any read past the end. */
	char *buf = malloc(size ? size : 1);

	fz_require(buf != NULL, "out of memory");
	memcpy(buf, data, size);
	check_cpu(buf, size);
	check_io(buf, size);
	check_mountinfo(buf, size);
	free(buf);
	return 0;
}
