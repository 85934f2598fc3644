/*
 * fuzz_srvstats.c - libFuzzer target: the request counters read from
 * ganesha's and smbd's answers (fsexport/fx_srvstats.c).
 *
 * The bytes are the answer as captured (no NUL needed). Checks: each parser
 * returns 0, -EINVAL or -ENODATA, and leaves the counter 0 on a refusal; an
 * accepted smbd profile has exactly one "request_count:" line at the start
 * of a line.
 *
 * Memory: nothing is kept between inputs.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fsexport/fx_srvstats.h"
#include "tests/fuzz/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *t = (const char *)data;
	uint64_t n = 7;
	int rc = fx_ganstats_total_ops(t, size, &n);

	fz_require(rc == 0 || rc == -EINVAL || rc == -ENODATA,
	           "fx_ganstats_total_ops: an unexpected result");
	fz_require(rc == 0 || n == 0, "a refused answer left a count");
	n = 7;
	rc = fx_smbprof_requests(t, size, &n);
	fz_require(rc == 0 || rc == -EINVAL || rc == -ENODATA,
	           "fx_smbprof_requests: an unexpected result");
	fz_require(rc == 0 || n == 0, "a refused profile left a count");
	if (rc == 0)
		fz_require(size >= 14 && (memcmp(t, "request_count:", 14) == 0 ||
		                          memmem(t, size, "\nrequest_count:", 15) != NULL),
		           "a count without its line");
	return 0;
}
