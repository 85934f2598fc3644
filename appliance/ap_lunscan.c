/*
 * ap_lunscan.c - the LUN scan child and its line protocol (see ap_lunscan.h).
 */
#include "appliance/ap_lunscan.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ap_lunscan_dev_ok(const char *dev)
{
	size_t len = dev ? strlen(dev) : 0;

	if (len <= 5 || len >= (size_t)AP_LUNSCAN_DEV_MAX || strncmp(dev, "/dev/", 5) != 0 ||
	    strstr(dev, ".."))
		return false;
	return strspn(dev,
	              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._!:+-/") ==
	       len;
}

/* --- the parser (pure) --- */

static int grow(void **arr, int *cap, int need, size_t size)
{
	if (need <= *cap)
		return 0;
	int cap2 = *cap ? *cap * 2 : 16;
	while (cap2 < need)
		cap2 *= 2;
	void *p = realloc(*arr, (size_t)cap2 * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = cap2;
	return 0;
}

/* A string member that fits dst whole; absent or too long is refused. */
static int get_str(json_t *o, const char *key, char *dst, size_t size)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || json_string_length(v) >= size ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -EPROTO;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int parse_lun(const char *text, const char *pending, struct fx_lun_info *f)
{
	json_error_t jerr;
	json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &jerr), *mmp, *iv;
	int rc = -EPROTO;

	memset(f, 0, sizeof(*f));
	if (!json_is_object(o))
		goto out;
	mmp = json_object_get(o, "mmp");
	iv = json_object_get(o, "mmp_interval");
	if (get_str(o, "device", f->dev, sizeof(f->dev)) < 0 ||
	    get_str(o, "type", f->type, sizeof(f->type)) < 0 ||
	    get_str(o, "label", f->label, sizeof(f->label)) < 0 ||
	    get_str(o, "uuid", f->uuid, sizeof(f->uuid)) < 0 || !json_is_boolean(mmp) ||
	    !json_is_integer(iv) || json_integer_value(iv) < 0 || json_integer_value(iv) > 65535 ||
	    strcmp(f->dev, pending) != 0)
		goto out;
	f->mmp = json_is_true(mmp);
	f->mmp_interval = (unsigned)json_integer_value(iv);
	rc = 0;
out:
	json_decref(o);
	return rc;
}

static int parse_line(char *line, int max, struct ap_lunscan *s)
{
	const char *arg;
	int rc;

	if (s->complete)
		return -EPROTO; /* nothing after the end */
	if (strncmp(line, "probing ", 8) == 0) {
		arg = line + 8;
		if (s->pending[0] || !ap_lunscan_dev_ok(arg))
			return -EPROTO;
		if ((rc = grow((void **)&s->probed, &s->cap_probed, s->n_probed + 1,
		               sizeof(s->probed[0]))) < 0)
			return rc;
		snprintf(s->probed[s->n_probed++], sizeof(s->probed[0]), "%s", arg);
		snprintf(s->pending, sizeof(s->pending), "%s", arg);
		return 0;
	}
	if (strncmp(line, "lun ", 4) == 0) {
		if (!s->pending[0])
			return -EPROTO;
		if (s->n >= max)
			return -E2BIG;
		if ((rc = grow((void **)&s->luns, &s->cap, s->n + 1, sizeof(s->luns[0]))) < 0)
			return rc;
		if ((rc = parse_lun(line + 4, s->pending, &s->luns[s->n])) < 0)
			return rc;
		s->n++;
		s->pending[0] = '\0';
		return 0;
	}
	if (strncmp(line, "none ", 5) == 0 || strncmp(line, "unreadable ", 11) == 0) {
		arg = strchr(line, ' ') + 1;
		if (!s->pending[0] || strcmp(arg, s->pending) != 0)
			return -EPROTO;
		s->pending[0] = '\0';
		return 0;
	}
	if (strncmp(line, "end ", 4) == 0) {
		char *end;
		long n = strtol(line + 4, &end, 10);
		if (s->pending[0] || end == line + 4 || *end || n != s->n)
			return -EPROTO;
		s->complete = true;
		return 0;
	}
	return -EPROTO;
}

int ap_lunscan_parse(const char *text, int max, struct ap_lunscan *s)
{
	const char *p = text, *nl;
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	while (rc == 0 && (nl = strchr(p, '\n'))) {
		size_t len = (size_t)(nl - p);
		if (len + 1 > cap) {
			char *l2 = realloc(line, len + 1);
			if (!l2) {
				rc = -ENOMEM;
				break;
			}
			line = l2;
			cap = len + 1;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		rc = parse_line(line, max, s);
		p = nl + 1;
	}
	free(line);
	return rc;
}

bool ap_lunscan_probed(const struct ap_lunscan *s, const char *dev)
{
	for (int i = 0; i < s->n_probed; i++)
		if (strcmp(s->probed[i], dev) == 0)
			return true;
	return false;
}

void ap_lunscan_free(struct ap_lunscan *s)
{
	free(s->luns);
	free(s->probed);
	memset(s, 0, sizeof(*s));
}

/* --- the child --- */

struct child {
	const char *only;
	const char **skip;
	int n_skip;
	int count;
	bool failed; /* stdout failed */
};

static void say(struct child *c, const char *what, const char *text)
{
	if (printf("%s %s\n", what, text) < 0 || fflush(stdout) != 0)
		c->failed = true;
}

static bool before(const char *dev, void *arg)
{
	struct child *c = arg;

	if (c->failed || (c->only && strcmp(dev, c->only) != 0))
		return false;
	for (int i = 0; i < c->n_skip; i++)
		if (strcmp(dev, c->skip[i]) == 0)
			return false;
	say(c, "probing", dev);
	return !c->failed;
}

static int after(const char *dev, int rc, const struct fx_lun_info *f, void *arg)
{
	struct child *c = arg;
	json_t *o;
	char *text;

	if (rc < 0) {
		say(c, "unreadable", dev);
	} else if (rc == 0) {
		say(c, "none", dev);
	} else {
		o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:i}", "device", dev, "type", f->type,
		              "label", f->label, "uuid", f->uuid, "mmp", f->mmp, "mmp_interval",
		              (int)f->mmp_interval);
		text = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (!text)
			return -ENOMEM;
		say(c, "lun", text);
		free(text);
		c->count++;
	}
	return c->failed ? -EIO : 0;
}

int ap_lunscan_main(int argc, char **argv)
{
	static const struct fx_lun_walk_ops ops = {.before = before, .after = after};
	struct child c = {0};
	char n[16];
	int rc;

	c.skip = calloc((size_t)argc + 1, sizeof(*c.skip));
	if (!c.skip) {
		fprintf(stderr, "cannot list the LUNs: %s\n", strerror(ENOMEM));
		return 1;
	}

	/* The arguments come from the daemon; still, only device names pass. */
	for (int i = 0; i < argc; i += 2) {
		bool skip = strcmp(argv[i], "--skip") == 0;
		if ((!skip && strcmp(argv[i], "--only") != 0) || i + 1 >= argc ||
		    !ap_lunscan_dev_ok(argv[i + 1]) || (!skip && (c.only || argc != 2))) {
			fprintf(stderr, "usage: applianced --lun-scan [--skip DEVICE]... | "
			                "--only DEVICE\n");
			free(c.skip);
			return 2;
		}
		if (skip)
			c.skip[c.n_skip++] = argv[i + 1];
		else
			c.only = argv[i + 1];
	}
	rc = fx_lun_walk(&ops, &c);
	free(c.skip);
	if (rc < 0 || c.failed) {
		fprintf(stderr, "cannot list the LUNs: %s\n", strerror(c.failed ? EIO : -rc));
		return 1;
	}
	snprintf(n, sizeof(n), "%d", c.count);
	say(&c, "end", n);
	return c.failed ? 1 : 0;
}
