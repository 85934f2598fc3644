/*
 * fx_srvstats.c - request counters from ganesha's and smbd's answers (see
 * fx_srvstats.h).
 *
 * Design: allow-list. The ganesha answer is JSON (jansson, size-bounded); the
 * counts must be non-negative integers, the names strings, so a reply of
 * another method (another signature) is refused rather than summed. The
 * smbd profile is line-oriented: exactly one "request_count:" line, its
 * value digits only.
 */
#include "fsexport/fx_srvstats.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <string.h>

static int add(uint64_t *sum, json_t *v)
{
	json_int_t n;

	if (!json_is_integer(v) || (n = json_integer_value(v)) < 0)
		return -EINVAL;
	if (*sum > UINT64_MAX - (uint64_t)n)
		return -EINVAL;
	*sum += (uint64_t)n;
	return 0;
}

/* The pairs: ["NFSv3", n, "NFSv40", m, ...] or [["NFSv3", n], ...]. */
static int sum_pairs(json_t *a, uint64_t *sum)
{
	size_t n = json_array_size(a), i;
	int rc;

	if (n == 0)
		return -ENODATA;
	if (json_is_string(json_array_get(a, 0))) {
		if (n % 2)
			return -EINVAL;
		for (i = 0; i < n; i += 2) {
			if (!json_is_string(json_array_get(a, i)))
				return -EINVAL;
			if ((rc = add(sum, json_array_get(a, i + 1))) < 0)
				return rc;
		}
		return 0;
	}
	for (i = 0; i < n; i++) {
		json_t *p = json_array_get(a, i);
		if (!json_is_array(p) || json_array_size(p) != 2 ||
		    !json_is_string(json_array_get(p, 0)))
			return -EINVAL;
		if ((rc = add(sum, json_array_get(p, 1))) < 0)
			return rc;
	}
	return 0;
}

int fx_ganstats_total_ops(const char *text, size_t len, uint64_t *out)
{
	json_t *root, *data, *ok, *pairs;
	uint64_t sum = 0;
	int rc = -EINVAL;

	*out = 0;
	if (!text || len > FX_SRVSTATS_TEXT_MAX)
		return -EINVAL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root))
		goto out;
	data = json_object_get(root, "data");
	if (!json_is_string(json_object_get(root, "type")) || !json_is_array(data) ||
	    json_array_size(data) != 4)
		goto out;
	ok = json_array_get(data, 0);
	pairs = json_array_get(data, 3);
	if (!json_is_boolean(ok) || !json_is_string(json_array_get(data, 1)) ||
	    !json_is_array(json_array_get(data, 2)) || !json_is_array(pairs))
		goto out;
	if (!json_is_true(ok)) {
		rc = -ENODATA;
		goto out;
	}
	rc = sum_pairs(pairs, &sum);
	if (rc == 0)
		*out = sum;
out:
	json_decref(root);
	return rc;
}

int fx_smbprof_requests(const char *text, size_t len, uint64_t *out)
{
	static const char key[] = "request_count:";
	const size_t klen = sizeof(key) - 1;
	bool found = false;
	uint64_t v = 0;
	size_t i = 0;

	*out = 0;
	if (!text || len > FX_SRVSTATS_TEXT_MAX)
		return -EINVAL;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len, p = i + klen;

		if (end - i >= klen && memcmp(text + i, key, klen) == 0) {
			uint64_t n = 0;
			size_t digits = 0;
			if (found)
				return -EINVAL;
			while (p < end && (text[p] == ' ' || text[p] == '\t'))
				p++;
			for (; p < end && text[p] >= '0' && text[p] <= '9'; p++, digits++) {
				unsigned d = (unsigned)(text[p] - '0');
				if (n > (UINT64_MAX - d) / 10)
					return -EINVAL;
				n = n * 10 + d;
			}
			while (p < end && (text[p] == ' ' || text[p] == '\t' || text[p] == '\r'))
				p++;
			if (!digits || p != end)
				return -EINVAL;
			v = n;
			found = true;
		}
		i = end + 1;
	}
	if (!found)
		return -ENODATA;
	*out = v;
	return 0;
}
