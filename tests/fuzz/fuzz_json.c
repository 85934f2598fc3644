/*
 * fuzz_json.c - libFuzzer target: the configuration document decoder.
 *
 * The bytes are what the state store or a peer could hand vs_config_from_json
 * (vserver/vs_json.h): any text, parsed by jansson as the callers do. A
 * refused document must come with one printable sentence; an accepted one
 * must survive a round trip: encode it, decode that again, and the second
 * encoding must equal the first (same JSON, same version), so what one node
 * stores or sends is what every node reads back.
 *
 * Memory: the two configurations are allocated once (a vs_config is large;
 * libFuzzer gives the target no context pointer, so they live in a static
 * of this program's entry point) and reset by every decode.
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/common.h"
#include "vserver/vs_json.h"

/* The canonical text of a configuration: compact, keys sorted. */
static char *canonical(const struct vs_config *cfg)
{
	json_t *j = vs_config_to_json(cfg);
	char *text;

	fz_require(j != NULL, "an accepted configuration that does not encode");
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	fz_require(text != NULL, "an encoded configuration that does not print");
	json_decref(j);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vs_config *cfgs; /* [0] decoded from the input, [1] round trip */
	char err[VS_ERR_LEN], *first, *second;
	json_error_t jerr;
	json_t *doc, *again;
	int rc;

	if (!cfgs) {
		cfgs = calloc(2, sizeof(*cfgs));
		if (!cfgs)
			abort();
	}
	doc = json_loadb((const char *)data, size, 0, &jerr);
	if (!doc) {
		fz_note("not JSON: %s", jerr.text);
		return 0;
	}
	err[0] = '\0';
	rc = vs_config_from_json(doc, &cfgs[0], err, sizeof(err));
	json_decref(doc);
	if (rc < 0) {
		fz_require(rc == -EINVAL || rc == -E2BIG || rc == -EEXIST || rc == -ENOENT ||
		               rc == -ENOMEM || rc == -EBUSY,
		           "a refusal with an unexpected errno");
		fz_check_err(err, sizeof(err), true);
		fz_note("refused: %s", err);
		return 0;
	}
	fz_note("accepted: %d virtual servers", cfgs[0].n_vservers);
	fz_require(rc == 0, "a decoder result other than 0 or a negative errno");

	first = canonical(&cfgs[0]);
	again = json_loads(first, 0, &jerr);
	fz_require(again != NULL, "an encoded configuration that jansson cannot read back");
	err[0] = '\0';
	rc = vs_config_from_json(again, &cfgs[1], err, sizeof(err));
	json_decref(again);
	if (rc != 0) {
		fprintf(stderr, "round trip refused: %s\n", err);
		fz_fail("an encoded configuration that does not decode", __FILE__, __LINE__);
	}
	second = canonical(&cfgs[1]);
	if (strcmp(first, second) != 0) {
		fprintf(stderr, "first:  %s\nsecond: %s\n", first, second);
		fz_fail("a round trip that changes the configuration", __FILE__, __LINE__);
	}
	fz_require(cfgs[0].version == cfgs[1].version, "a round trip that changes the version");
	free(first);
	free(second);
	return 0;
}
