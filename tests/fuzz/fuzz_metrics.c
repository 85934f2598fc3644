/*
 * fuzz_metrics.c - libFuzzer target: apweb's /metrics renderer
 * (appliance/ap_webmetrics.c), which reads applianced's replies.
 *
 * The bytes are up to five lines, each the data of one reply in the order
 * load.show, cluster.show, node.show, vserver.show, move.show (a line that is
 * not JSON is a failed request: NULL). Checks: the render succeeds, and
 * every line of the text is a "# HELP appliance_..." or "# TYPE
 * appliance_... gauge|counter" comment or a well-formed sample: a name of
 * [a-z_], optional labels name="value" whose values hold no raw newline, no
 * unescaped quote and no dangling backslash, then one space and a number.
 * So no reply can inject a line or a label into the exposition.
 *
 * Memory: nothing is kept between inputs.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_webmetrics.h"
#include "tests/fuzz/common.h"

static const char *name_end(const char *p)
{
	while ((*p >= 'a' && *p <= 'z') || *p == '_')
		p++;
	return p;
}

/* One sample line (NUL-terminated, no newline): true when well formed. */
static bool sample_ok(const char *p)
{
	const char *q = name_end(p);

	if (q == p || strncmp(p, "appliance_", 10) != 0)
		return false;
	if (*q == '{') {
		do {
			q++;
			const char *n = name_end(q);
			if (n == q || n[0] != '=' || n[1] != '"')
				return false;
			for (q = n + 2; *q != '"'; q++) {
				if (!*q)
					return false;
				if (*q == '\\') {
					q++;
					if (*q != '\\' && *q != '"' && *q != 'n')
						return false;
				}
			}
			q++;
		} while (*q == ',');
		if (*q++ != '}')
			return false;
	}
	if (*q++ != ' ' || !*q)
		return false;
	char *end;
	(void)strtod(q, &end);
	return *end == '\0';
}

static bool comment_ok(const char *p)
{
	if (strncmp(p, "# HELP appliance_", 17) == 0)
		return true;
	if (strncmp(p, "# TYPE appliance_", 17) != 0)
		return false;
	const char *q = name_end(p + 7);
	return strcmp(q, " gauge") == 0 || strcmp(q, " counter") == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *docs[5] = {NULL};
	size_t start = 0;
	char *text = NULL;

	for (int i = 0; i < 5 && start <= size; i++) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t end = nl ? (size_t)(nl - data) : size;
		docs[i] = json_loadb((const char *)data + start, end - start, 0, NULL);
		start = end + 1;
	}
	struct ap_wm_input in = {.load = docs[0],
	                         .cluster = docs[1],
	                         .node = docs[2],
	                         .vservers = docs[3],
	                         .moves = docs[4],
	                         .scrape_ok = size & 1,
	                         .age_s = (double)size};
	fz_require(ap_wm_render(&in, &text) == 0, "the render failed");
	for (char *line = text, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		fz_require(nl != NULL, "the text does not end with a newline");
		*nl = '\0';
		fz_require(line[0] == '#' ? comment_ok(line) : sample_ok(line),
		           "a line that is not a comment nor a well-formed sample");
	}
	free(text);
	for (int i = 0; i < 5; i++)
		json_decref(docs[i]);
	return 0;
}
