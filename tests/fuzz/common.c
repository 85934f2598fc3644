/*
 * common.c - helpers of the fuzz targets (see common.h).
 */
#include "tests/fuzz/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", what, file, line);
	abort();
}

void fz_note(const char *fmt, ...)
{
	const char *v = getenv("FUZZ_VERBOSE");
	va_list ap;

	if (!v || strcmp(v, "1") != 0)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

char *fz_strndup(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	if (!s)
		abort();
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

void fz_check_err(const char *err, size_t len, bool printable)
{
	size_t n = strnlen(err, len);

	fz_require(n > 0, "an error without a sentence");
	fz_require(n < len, "an error sentence not terminated");
	for (size_t i = 0; printable && i < n; i++)
		if (err[i] < 0x20 || err[i] >= 0x7f) {
			fprintf(stderr, "error sentence: %s\n", err);
			fz_fail("an error sentence with a control or non-ASCII character", __FILE__,
			        __LINE__);
		}
}

bool fz_text_clean(const char *text)
{
	for (const unsigned char *c = (const unsigned char *)text; *c; c++)
		if ((*c < 0x20 && *c != '\n' && *c != '\t') || *c >= 0x7f)
			return false;
	return true;
}

bool fz_braces_ok(const char *text)
{
	bool quoted = false;
	int depth = 0;

	for (const char *c = text; *c; c++) {
		if (*c == '"') {
			quoted = !quoted;
		} else if (quoted) {
			if (*c == '\n' || *c == '{' || *c == '}' || *c == ';')
				return false;
		} else if (*c == '#') {
			/* a comment runs to the end of its line */
			while (c[1] && c[1] != '\n')
				c++;
		} else if (*c == '{') {
			depth++;
		} else if (*c == '}' && --depth < 0) {
			return false;
		}
	}
	return !quoted && depth == 0;
}

/* Calls fn on each line (without its newline), stopping at the first false. */
static bool each_line(const char *text, bool (*fn)(const char *line, size_t len, void *arg),
                      void *arg)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);

		if (!fn(text, len, arg))
			return false;
		text += len + (nl ? 1 : 0);
	}
	return true;
}

struct count {
	const char *prefix;
	int n;
};

static bool count_line(const char *line, size_t len, void *arg)
{
	struct count *c = arg;
	size_t pl = strlen(c->prefix);

	while (len > 0 && *line == '\t')
		line++, len--;
	if (len >= pl && memcmp(line, c->prefix, pl) == 0)
		c->n++;
	return true;
}

int fz_count_lines(const char *text, const char *prefix)
{
	struct count c = {.prefix = prefix};

	each_line(text, count_line, &c);
	return c.n;
}

static bool smb_line(const char *line, size_t len, void *arg)
{
	int *sections = arg;
	const char *eq;

	if (len == 0 || line[0] == '#')
		return true;
	if (line[0] == '[') {
		(*sections)++;
		return len > 2 && line[len - 1] == ']' && !memchr(line + 1, '[', len - 2) &&
		       !memchr(line + 1, ']', len - 2);
	}
	eq = memmem(line, len, " = ", 3);
	if (line[0] != '\t' || !eq || eq == line + 1)
		return false;
	for (const char *c = line + 1; c < eq; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == ' '))
			return false;
	return true;
}

bool fz_smb_ok(const char *text, int *sections)
{
	*sections = 0;
	return each_line(text, smb_line, sections);
}

static bool corosync_line(const char *line, size_t len, void *arg)
{
	const char *colon, *end = line + len;

	while (line < end && *line == '\t')
		line++;
	len = (size_t)(end - line);
	if (len == 0 || line[0] == '#' || (len == 1 && line[0] == '}'))
		return true;
	if (len > 2 && memcmp(end - 2, " {", 2) == 0) {
		for (const char *c = line; c < end - 2; c++)
			if (!((*c >= 'a' && *c <= 'z') || *c == '_'))
				return false;
		return true;
	}
	colon = memchr(line, ':', len);
	if (!colon || colon == line || colon + 2 >= end || colon[1] != ' ')
		return false;
	for (const char *c = line; c < colon; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
			return false;
	for (const char *c = colon + 2; c < end; c++)
		if (*c == ' ' || *c == '\t' || *c == '{' || *c == '}')
			return false;
	return true;
}

bool fz_corosync_ok(const char *text)
{
	int depth = 0;

	for (const char *c = text; *c; c++)
		if (*c == '{')
			depth++;
		else if (*c == '}' && --depth < 0)
			return false;
	return depth == 0 && each_line(text, corosync_line, NULL);
}

void fz_selftest(void)
{
	int n = -1;

	fz_require(fz_braces_ok("A {\n\tPath = \"/x\";\n}\n# }\n"), "selftest: good braces");
	fz_require(!fz_braces_ok("A {\n\tPath = \"/x\n\";\n}\n"), "selftest: quoted newline");
	fz_require(!fz_braces_ok("A {\n\tPath = \"/x}\";\n}\n"), "selftest: quoted brace");
	fz_require(!fz_braces_ok("A {\n}\n}\nB {\n"), "selftest: unbalanced braces");
	fz_require(fz_smb_ok("# c\n[global]\n\tnetbios name = X\n\n[s]\n\tpath = /a\n", &n) &&
	               n == 2,
	           "selftest: good smb.conf");
	fz_require(!fz_smb_ok("[global]\n\tpath = /a\ninclude = /etc/x\n", &n),
	           "selftest: smb.conf line outside the key = value form");
	fz_require(!fz_smb_ok("[global]\n[a]b]\n", &n), "selftest: smb.conf bracket in a name");
	fz_require(fz_corosync_ok("totem {\n\tring0_addr: 2001:db8::1\n}\n"),
	           "selftest: good corosync.conf");
	fz_require(!fz_corosync_ok("totem {\n\tname: a b\n}\n"), "selftest: corosync value");
	fz_require(!fz_corosync_ok("totem {\n}\n}\n"), "selftest: corosync braces");
	fz_require(fz_count_lines("nodelist {\n\tnode {\n\t}\n\tnode {\n", "node {") == 2,
	           "selftest: line count");
	fz_require(!fz_text_clean("a\x1b[2J") && fz_text_clean("a\tb\n"), "selftest: clean text");
}
