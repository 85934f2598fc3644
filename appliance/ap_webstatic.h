/*
 * ap_webstatic.h - the console's built assets, served by apweb (issue 12, item 5).
 *
 * The console is a directory of static files built by `make console` (vite):
 * index.html, assets/NAME-HASH.{js,css} and a file MANIFEST listing them, one
 * name a line. At start apweb reads MANIFEST and each file it names into
 * memory (ap_wst_load); a request's path is then only looked up among those
 * names (ap_wst_find). No path a client chose is ever opened.
 *
 * Pure (table-tested, fuzzed):
 *   ap_wst_name_ok   an asset name: 1..AP_WST_NAME_MAX bytes of segments of
 *                    [A-Za-z0-9._-] joined by single '/', none empty, none
 *                    starting with '.', no "..", with a known extension (ap_wst_type)
 *   ap_wst_url_name  a request's path to an asset name: "/" and "/index.html"
 *                    are index.html; "/NAME" is NAME if NAME is an asset name;
 *                    a query ("?..."), "..", NUL, '%', '\', "//" refuse it
 *   ap_wst_manifest  MANIFEST's text to its names: every line an asset name,
 *                    no duplicate, at most AP_WST_FILES_MAX, index.html among them
 *
 * Headers: ap_wst_headers gives the security headers of every page
 * (Content-Security-Policy with scripts, styles and connections from self
 * only and frame-ancestors 'none', X-Content-Type-Options, Referrer-Policy,
 * X-Frame-Options); a file under assets/ (its name carries its content's
 * hash) is cached for a year as immutable, index.html is revalidated.
 *
 * Bounds: AP_WST_FILES_MAX files, each at most AP_WST_FILE_MAX bytes, all
 * together at most AP_WST_TOTAL_MAX; MANIFEST itself at most AP_WST_MANIFEST_MAX.
 *
 * Memory: the set owns its files' bytes until ap_wst_destroy; ap_wst_find's
 * answer points into it.
 * Errors: 0 or a negative errno, with one sentence in err.
 */
#ifndef AP_WEBSTATIC_H
#define AP_WEBSTATIC_H

#include <stdbool.h>
#include <stddef.h>

#define AP_WST_NAME_MAX 127
#define AP_WST_FILES_MAX 256
#define AP_WST_FILE_MAX (8 * 1024 * 1024)
#define AP_WST_TOTAL_MAX (32 * 1024 * 1024)
#define AP_WST_MANIFEST_MAX (64 * 1024)

/* The Content-Security-Policy of every page. */
#define AP_WST_CSP                                                                                 \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
	"font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; "               \
	"frame-ancestors 'none'"

struct ap_wst_file {
	char name[AP_WST_NAME_MAX + 1];
	const char *type; /* Content-Type */
	bool immutable;   /* under assets/: named by its hash */
	unsigned char *data;
	size_t len;
};

struct ap_wst_header {
	const char *name, *value;
};

/* The content type of an asset name by its extension, NULL when not served. */
const char *ap_wst_type(const char *name);
bool ap_wst_name_ok(const char *name);
/* A request's path to an asset name in name[AP_WST_NAME_MAX + 1]: 0, or
 * -EINVAL when the path can name no asset. */
int ap_wst_url_name(const char *url, char name[AP_WST_NAME_MAX + 1]);
/* MANIFEST's text to *n names in names (AP_WST_FILES_MAX of them). */
int ap_wst_manifest(const char *text, size_t len, char (*names)[AP_WST_NAME_MAX + 1], size_t *n,
                    char *err, size_t errlen);
/* The headers of a served file (NULL-terminated; static). */
const struct ap_wst_header *ap_wst_headers(const struct ap_wst_file *f);
/* The headers every other page of apweb carries (a refusal, /metrics). */
const struct ap_wst_header *ap_wst_page_headers(void);

struct ap_wst;

/* Every file MANIFEST in dir names, read now. */
int ap_wst_load(const char *dir, struct ap_wst **out, char *err, size_t errlen);
/* The file a request's path names, or NULL. */
const struct ap_wst_file *ap_wst_find(const struct ap_wst *st, const char *url);
size_t ap_wst_count(const struct ap_wst *st, size_t *bytes);
void ap_wst_destroy(struct ap_wst *st);

#endif
