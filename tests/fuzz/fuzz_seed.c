/*
 * fuzz_seed.c - libFuzzer target: the first-boot seed (ap_seed_parse in
 * appliance/ap_seed.c) and what it makes (ap_seedgen.c).
 *
 * The bytes are a seed as an administrator, or whoever handed the node its
 * seed disk, wrote it; after a NUL byte, if any, the rest is a join bundle
 * file for a seed that names one. Checks: 0 or a negative errno; a refusal
 * carries one printable sentence and leaves the seed cleared; an accepted
 * seed's generated files are clean text in which every line is a section, a
 * comment or key=value (no value opened a line or a section), the host name is
 * one line, and the requests are an array of {"cmd", "args"} objects.
 *
 * Memory: the seed is on the stack and cleared each input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_seed.h"
#include "tests/fuzz/common.h"

/* Every line empty, "# ...", "[Section]" or "Key=value" with a value free of
 * spaces and brackets. */
static bool network_ok(const char *text)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n && p[0] != '#') {
			if (p[0] == '[') {
				if (p[n - 1] != ']')
					return false;
			} else {
				const char *eq = memchr(p, '=', n);
				if (!eq || eq == p)
					return false;
				for (const char *c = eq + 1; c < p + n; c++)
					if (*c == ' ' || *c == '[' || *c == ']' || *c == '=')
						return false;
			}
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t len = nul ? (size_t)(nul - data) : size;
	char err[VS_ERR_LEN] = "", name[64], *out = NULL;
	struct ap_seed s;
	json_t *reqs = NULL, *r;
	size_t i;

	int rc = ap_seed_parse((const char *)data, len, &s, err, sizeof(err));
	fz_require(rc == 0 || rc == -EINVAL || rc == -E2BIG, "ap_seed_parse: an unexpected result");
	if (rc < 0) {
		fz_check_err(err, sizeof(err), true);
		fz_require(s.node[0] == '\0' && !s.bundle && s.role == AP_SEED_NONE,
		           "a refused seed was not cleared");
		fz_note("refused: %s", err);
		return 0;
	}
	if (s.bundle_file[0]) {
		fz_require(ap_seed_file_name_ok(s.bundle_file) && !strchr(s.bundle_file, '/'),
		           "a bundle file name that is a path");
		if (nul) {
			rc = ap_seed_set_bundle(&s, (const char *)nul + 1, size - len - 1, err,
			                        sizeof(err));
			fz_require(rc == 0 || rc == -EINVAL, "ap_seed_set_bundle: unexpected");
			if (rc < 0)
				fz_check_err(err, sizeof(err), true);
		}
	}
	fz_require(ap_seed_hostname(&s, &out) == 0, "no host name");
	fz_require(strlen(out) >= 2 && strchr(out, '\n') == out + strlen(out) - 1 &&
	               fz_text_clean(out),
	           "a host name that is not one clean line");
	free(out);
	fz_require(ap_seed_hosts(&s, &out) == 0 && fz_text_clean(out), "an unclean hosts file");
	free(out);
	for (int k = 0; k < s.n_ports; k++) {
		fz_require(ap_seed_network(&s, k, name, sizeof(name), &out) == 0,
		           "a port without a .network file");
		fz_require(!strchr(name, '/') && fz_text_clean(out) && network_ok(out),
		           "a .network file a value broke into");
		fz_require(fz_count_lines(out, "[Match]") == 1 &&
		               fz_count_lines(out, "[Network]") == 1 &&
		               fz_count_lines(out, "Name=") == 1,
		           "a .network file with an extra section or match");
		free(out);
	}
	rc = ap_seed_requests(&s, &reqs);
	fz_require(rc == 0 || (rc == -EINVAL && s.role == AP_SEED_JOIN && !s.bundle),
	           "ap_seed_requests: unexpected");
	json_array_foreach(reqs, i, r) fz_require(json_is_string(json_object_get(r, "cmd")) &&
	                                              json_is_object(json_object_get(r, "args")),
	                                          "a request without its command or arguments");
	json_decref(reqs);
	ap_seed_describe(&s, err, sizeof(err));
	fz_require(fz_text_clean(err) && !strchr(err, '\n'), "a description that is not one line");
	fz_note("accepted: %s", err);
	ap_seed_clear(&s);
	return 0;
}
