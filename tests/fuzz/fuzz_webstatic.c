/*
 * fuzz_webstatic.c - libFuzzer target: the console's asset table's parsers
 * (appliance/ap_webstatic.c): a request's path (ap_wst_url_name, what any
 * client sends before it is logged in) and the manifest (ap_wst_manifest).
 *
 * Checks: a path is refused (-EINVAL, empty name) or names an asset that
 * passes ap_wst_name_ok, holds no "..", '%', '\' or "//" and has a content
 * type; a manifest gives 0 with names that each pass ap_wst_name_ok, are
 * unique and include index.html, or an error with a printable sentence.
 *
 * Memory: nothing is kept between inputs.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_webstatic.h"
#include "tests/fuzz/common.h"

static char names[AP_WST_FILES_MAX][AP_WST_NAME_MAX + 1];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *url = fz_strndup(data, len), name[AP_WST_NAME_MAX + 1], err[160];
	int rc = ap_wst_url_name(url, name);
	size_t n = 0;

	fz_require(rc == 0 || rc == -EINVAL, "ap_wst_url_name: an unexpected result");
	if (rc == 0) {
		fz_require(ap_wst_name_ok(name), "a path named what is not an asset's name");
		fz_require(!strstr(name, "..") && !strchr(name, '%') && !strchr(name, '\\') &&
		               !strstr(name, "//") && name[0] != '/',
		           "a path named an asset with a way out");
		fz_require(ap_wst_type(name) != NULL, "an asset without a content type");
	} else {
		fz_require(name[0] == '\0', "a refused path left a name");
	}
	free(url);

	err[0] = '\0';
	rc = ap_wst_manifest((const char *)data, len, names, &n, err, sizeof(err));
	fz_require(rc == 0 || rc == -EINVAL || rc == -E2BIG,
	           "ap_wst_manifest: an unexpected result");
	if (rc == 0) {
		int index = 0;
		fz_require(n >= 1 && n <= AP_WST_FILES_MAX, "a manifest of no or too many names");
		for (size_t i = 0; i < n; i++) {
			fz_require(ap_wst_name_ok(names[i]), "a manifest name that is not a name");
			index += strcmp(names[i], "index.html") == 0;
			for (size_t k = 0; k < i; k++)
				fz_require(strcmp(names[i], names[k]) != 0, "a repeated name");
		}
		fz_require(index == 1, "a manifest without index.html");
	} else {
		fz_check_err(err, sizeof(err), true);
	}
	return 0;
}
