/*
 * ap_webstatic.c - the console's built assets in memory (see ap_webstatic.h).
 */
#include "appliance/ap_webstatic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ap_wst {
	size_t n, bytes;
	struct ap_wst_file f[AP_WST_FILES_MAX];
};

static const struct {
	const char *ext, *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
};

#define SECURITY_HEADERS                                                                           \
	{"Content-Security-Policy", AP_WST_CSP}, {"X-Content-Type-Options", "nosniff"},            \
	    {"Referrer-Policy", "no-referrer"}, {"X-Frame-Options", "DENY"},                       \
	{                                                                                          \
		"Cross-Origin-Opener-Policy", "same-origin"                                        \
	}

static const struct ap_wst_header h_immutable[] = {
    SECURITY_HEADERS,
    {"Cache-Control", "public, max-age=31536000, immutable"},
    {NULL, NULL},
};
static const struct ap_wst_header h_revalidate[] = {
    SECURITY_HEADERS,
    {"Cache-Control", "no-cache"},
    {NULL, NULL},
};
static const struct ap_wst_header h_page[] = {
    SECURITY_HEADERS,
    {"Cache-Control", "no-store"},
    {NULL, NULL},
};

const char *ap_wst_type(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t e = strlen(types[i].ext);
		if (n > e && strcmp(name + n - e, types[i].ext) == 0)
			return types[i].type;
	}
	return NULL;
}

static bool seg_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

bool ap_wst_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	bool seg_start = true;

	if (n == 0 || n > AP_WST_NAME_MAX || strstr(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (name[i] == '/') {
			if (seg_start) /* empty segment: a leading '/' or "//" */
				return false;
			seg_start = true;
			continue;
		}
		if (!seg_char(name[i]) || (seg_start && name[i] == '.'))
			return false; /* "..", ".hidden" and anything not plain */
		seg_start = false;
	}
	return !seg_start && ap_wst_type(name) != NULL;
}

int ap_wst_url_name(const char *url, char name[AP_WST_NAME_MAX + 1])
{
	name[0] = '\0';
	if (!url || url[0] != '/')
		return -EINVAL;
	if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0) {
		snprintf(name, AP_WST_NAME_MAX + 1, "index.html");
		return 0;
	}
	if (strlen(url + 1) > AP_WST_NAME_MAX || !ap_wst_name_ok(url + 1))
		return -EINVAL;
	snprintf(name, AP_WST_NAME_MAX + 1, "%s", url + 1);
	return 0;
}

int ap_wst_manifest(const char *text, size_t len, char (*names)[AP_WST_NAME_MAX + 1], size_t *n,
                    char *err, size_t errlen)
{
	size_t line = 0;
	bool index = false;

	*n = 0;
	if (len > AP_WST_MANIFEST_MAX)
		return snprintf(err, errlen, "The manifest is larger than %d bytes.",
		                AP_WST_MANIFEST_MAX),
		       -E2BIG;
	for (size_t i = 0; i < len;) {
		const char *s = text + i;
		const char *nl = memchr(s, '\n', len - i);
		size_t l = nl ? (size_t)(nl - s) : len - i;
		char name[AP_WST_NAME_MAX + 1];

		line++;
		i += l + (nl ? 1 : 0);
		if (l == 0)
			continue; /* a blank line (the last one's newline) */
		if (l > AP_WST_NAME_MAX || memchr(s, '\0', l)) {
			snprintf(err, errlen, "Line %zu of the manifest is not an asset's name.",
			         line);
			return -EINVAL;
		}
		memcpy(name, s, l);
		name[l] = '\0';
		if (!ap_wst_name_ok(name)) {
			snprintf(err, errlen, "Line %zu of the manifest is not an asset's name.",
			         line);
			return -EINVAL;
		}
		for (size_t k = 0; k < *n; k++)
			if (strcmp(names[k], name) == 0) {
				snprintf(err, errlen, "Line %zu of the manifest repeats a name.",
				         line);
				return -EINVAL;
			}
		if (*n == AP_WST_FILES_MAX) {
			snprintf(err, errlen, "The manifest names more than %d files.",
			         AP_WST_FILES_MAX);
			return -E2BIG;
		}
		index = index || strcmp(name, "index.html") == 0;
		memcpy(names[(*n)++], name, l + 1);
	}
	if (!index) {
		snprintf(err, errlen, "The manifest does not name index.html.");
		return -EINVAL;
	}
	return 0;
}

const struct ap_wst_header *ap_wst_headers(const struct ap_wst_file *f)
{
	return f && f->immutable ? h_immutable : h_revalidate;
}

const struct ap_wst_header *ap_wst_page_headers(void)
{
	return h_page;
}

/* The whole of a regular file at dirfd/name, at most max bytes, into *data. */
static int read_at(int dirfd, const char *name, size_t max, unsigned char **data, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	unsigned char *buf = NULL;
	size_t got = 0;
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto out;
	}
	if (st.st_size < 0 || (size_t)st.st_size > max) {
		rc = -EFBIG;
		goto out;
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		rc = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out;
		}
		if (r == 0)
			break; /* shrank meanwhile: what is there */
		got += (size_t)r;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

int ap_wst_load(const char *dir, struct ap_wst **out, char *err, size_t errlen)
{
	struct ap_wst *st = calloc(1, sizeof(*st));
	char(*names)[AP_WST_NAME_MAX + 1] = calloc(AP_WST_FILES_MAX, sizeof(*names));
	unsigned char *man = NULL;
	size_t manlen = 0, n = 0;
	int dirfd = -1, rc;

	*out = NULL;
	if (!st || !names) {
		snprintf(err, errlen, "Out of memory.");
		rc = -ENOMEM;
		goto fail;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "Cannot open the console's directory %s: %s.", dir,
		         strerror(-rc));
		goto fail;
	}
	if ((rc = read_at(dirfd, "MANIFEST", AP_WST_MANIFEST_MAX, &man, &manlen)) < 0) {
		snprintf(err, errlen, "Cannot read %s/MANIFEST: %s.", dir, strerror(-rc));
		goto fail;
	}
	char why[160];
	if ((rc = ap_wst_manifest((const char *)man, manlen, names, &n, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "%s/MANIFEST: %s", dir, why);
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		struct ap_wst_file *f = &st->f[st->n];
		/* Each name passed ap_wst_name_ok: no "..", no leading '/'; O_NOFOLLOW and
		 * the regular-file check refuse a link or a device put in its place. */
		rc = read_at(dirfd, names[i], AP_WST_FILE_MAX, &f->data, &f->len);
		if (rc < 0) {
			snprintf(err, errlen, "Cannot read the console's file %s: %s.", names[i],
			         rc == -EFBIG ? "it is too large" : strerror(-rc));
			goto fail;
		}
		st->n++;
		st->bytes += f->len;
		if (st->bytes > AP_WST_TOTAL_MAX) {
			snprintf(err, errlen,
			         "The console's files are larger than %d bytes together.",
			         AP_WST_TOTAL_MAX);
			rc = -EFBIG;
			goto fail;
		}
		snprintf(f->name, sizeof(f->name), "%s", names[i]);
		f->type = ap_wst_type(f->name);
		f->immutable = strncmp(f->name, "assets/", 7) == 0;
	}
	free(man);
	free(names);
	close(dirfd);
	*out = st;
	return 0;
fail:
	free(man);
	free(names);
	if (dirfd >= 0)
		close(dirfd);
	ap_wst_destroy(st);
	return rc;
}

const struct ap_wst_file *ap_wst_find(const struct ap_wst *st, const char *url)
{
	char name[AP_WST_NAME_MAX + 1];

	if (!st || ap_wst_url_name(url, name) < 0)
		return NULL;
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->f[i].name, name) == 0)
			return &st->f[i];
	return NULL;
}

size_t ap_wst_count(const struct ap_wst *st, size_t *bytes)
{
	if (bytes)
		*bytes = st ? st->bytes : 0;
	return st ? st->n : 0;
}

void ap_wst_destroy(struct ap_wst *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++)
		free(st->f[i].data);
	free(st);
}
