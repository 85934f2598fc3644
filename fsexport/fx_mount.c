/*
 * fx_mount.c - finding mounts in /proc/self/mountinfo (see fx_mount.h).
 */
#include "fsexport/fx_mount.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Undo mountinfo's octal escapes (\040 for space, ...) in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

int fx_mountinfo_find(const char *mountinfo, const char *dir, char *src, size_t len)
{
	const char *line = mountinfo;
	int found = -ENOENT;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		char *copy = strndup(line, n), *save = NULL, *tok, *fields[5] = {0};
		int i = 0;

		if (!copy)
			return -ENOMEM;
		for (tok = strtok_r(copy, " ", &save); tok && i < 5;
		     tok = strtok_r(NULL, " ", &save))
			fields[i++] = tok;
		if (i == 5) {
			unescape(fields[4]);
			if (strcmp(fields[4], dir) == 0) {
				/* After the optional fields: "- fstype source". */
				while (tok && strcmp(tok, "-") != 0)
					tok = strtok_r(NULL, " ", &save);
				tok = tok ? strtok_r(NULL, " ", &save) : NULL; /* fstype */
				tok = tok ? strtok_r(NULL, " ", &save) : NULL; /* source */
				if (src && len) {
					if (tok)
						unescape(tok);
					snprintf(src, len, "%s", tok ? tok : "");
				}
				found = 0; /* the last mount on top wins */
			}
		}
		free(copy);
		line = nl ? nl + 1 : NULL;
	}
	return found;
}

int fx_mount_find(const char *dir, char *src, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *text = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc;

	if (!f)
		return -errno;
	/* mountinfo is a seq file: read it whole with getdelim on NUL. */
	n = getdelim(&text, &cap, '\0', f);
	fclose(f);
	if (n < 0) {
		free(text);
		return -EIO;
	}
	rc = fx_mountinfo_find(text, dir, src, len);
	free(text);
	return rc;
}
