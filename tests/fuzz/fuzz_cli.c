/*
 * fuzz_cli.c - libFuzzer target: the vsadm grammar (appliance/ap_cli.h).
 *
 * The bytes are read twice, the two ways words reach ap_cli_parse:
 *  - one-shot: split at NUL bytes into argv (any byte but NUL can sit in a
 *    word, as from a shell);
 *  - interactive: the text up to the first NUL is a line for ap_cli_split,
 *    then parsed, and completed at its last word as readline would.
 * Checks: the result is 0 or -EINVAL/-ENOMEM; a refusal has no request and
 * a sentence (it may echo the word refused: the user typed it); an accepted command is a {"cmd":
 * string, "args": object} request that prints as JSON; no word that is not valid UTF-8 is accepted
 * (such a word cannot travel in a request, so accepting it would mean dropping it silently);
 * completion offers only words that start with the prefix; a split line has exactly its count of
 * words.
 *
 * Memory: everything per input, freed before returning.
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_cli.h"
#include "tests/fuzz/common.h"

#define MAX_WORDS 64

static bool utf8_ok(const char *s)
{
	json_t *j = json_string(s);

	json_decref(j);
	return j != NULL;
}

static void parse(int argc, char *const *argv)
{
	struct ap_cli_flags flags;
	char err[512];
	json_t *req = (json_t *)1;
	int rc;

	err[0] = '\0';
	rc = ap_cli_parse(argc, argv, &req, &flags, err, sizeof(err));
	fz_require(rc == 0 || rc == -EINVAL || rc == -ENOMEM, "ap_cli_parse: an unexpected result");
	if (rc < 0) {
		fz_require(req == NULL, "a refused command with a request");
		if (rc == -EINVAL)
			fz_check_err(err, sizeof(err), false);
		return;
	}
	if (flags.help) {
		json_decref(req);
		return;
	}
	fz_require(req != NULL, "an accepted command without a request");
	fz_require(json_is_string(json_object_get(req, "cmd")), "a request without its command");
	fz_require(json_is_object(json_object_get(req, "args")), "a request without its args");
	char *text = json_dumps(req, JSON_COMPACT);
	fz_require(text != NULL, "a request that does not print as JSON");
	free(text);
	for (int i = 0; i < argc; i++)
		fz_require(utf8_ok(argv[i]), "a command accepted with a word that is not UTF-8");
	json_decref(req);
}

struct completion {
	const char *prefix;
	int n;
};

static void add(const char *word, void *arg)
{
	struct completion *c = arg;

	fz_require(word && strncmp(word, c->prefix, strlen(c->prefix)) == 0,
	           "a completion that does not start with the prefix");
	c->n++;
}

static void one_shot(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_WORDS + 1];
	int argc = 0;
	size_t start = 0;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (size_t i = 0; i <= size && argc < MAX_WORDS; i++)
		if (buf[i] == '\0') {
			argv[argc++] = buf + start;
			start = i + 1;
		}
	argv[argc] = NULL;
	if (size > 0)
		parse(argc, argv);
	free(buf);
}

static void interactive(const uint8_t *data, size_t size)
{
	char *line = fz_strndup(data, size), **words = NULL, *storage = NULL;
	int n = ap_cli_split(line, &words, &storage);

	fz_require(n >= 0 || n == -EINVAL || n == -ENOMEM, "ap_cli_split: an unexpected result");
	if (n >= 0) {
		for (int i = 0; i < n; i++)
			fz_require(words[i] != NULL, "ap_cli_split: fewer words than its count");
		fz_require(words[n] == NULL, "ap_cli_split: words not NULL-terminated");
		if (n > 0)
			parse(n, words);
		/* Completing the last word, given the ones before it. */
		struct completion c = {.prefix = n > 0 ? words[n - 1] : ""};
		ap_cli_complete(n > 0 ? n - 1 : 0, words, c.prefix, add, &c);
		free(words);
		free(storage);
	}
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one_shot(data, size);
	interactive(data, size);
	return 0;
}
