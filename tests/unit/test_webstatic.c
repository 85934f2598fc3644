/*
 * test_webstatic.c - the console's asset table (appliance/ap_webstatic.c):
 * which names are assets, which request paths name one (and every way a
 * path may try to reach another file: "..", NUL, '%', '\', "//", a query,
 * a hidden file, an unknown extension), the manifest's parser, the headers
 * of a page, and ap_wst_load over a directory made here (a file not in the
 * manifest is never served; a link or a directory in a listed name's place,
 * or a missing file, refuses the whole set).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "appliance/ap_webstatic.h"

static void test_names(void **state)
{
	static const struct {
		const char *name;
		bool ok;
	} cases[] = {
	    {"index.html", true},
	    {"assets/index-DkX2_a9f.js", true},
	    {"assets/index-0a1b.css", true},
	    {"favicon.svg", true},
	    {"a/b/c.png", true},
	    {"", false},
	    {"/index.html", false},
	    {"assets//a.js", false},
	    {"assets/", false},
	    {"../etc/passwd.txt", false},
	    {"assets/../index.html", false},
	    {"assets/..js", false},
	    {"assets/a..b.js", false},
	    {".hidden.js", false},
	    {"assets/.x.css", false},
	    {"index.html\\", false},
	    {"a\\b.js", false},
	    {"a b.js", false},
	    {"a%2fb.js", false},
	    {"MANIFEST", false},
	    {"index.php", false},
	    {"index.htm", false},
	    {"js", false},
	    {".js", false},
	    {"a:b.js", false},
	    {"é.js", false},
	};
	char longname[AP_WST_NAME_MAX + 2];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (ap_wst_name_ok(cases[i].name) != cases[i].ok)
			fail_msg("ap_wst_name_ok(\"%s\") should be %d", cases[i].name, cases[i].ok);
	}
	assert_false(ap_wst_name_ok(NULL));
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + AP_WST_NAME_MAX - 3, ".js", 4); /* exactly the longest */
	assert_true(ap_wst_name_ok(longname));
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + AP_WST_NAME_MAX - 2, ".js", 4); /* one longer */
	assert_false(ap_wst_name_ok(longname));
	assert_string_equal(ap_wst_type("x.js"), "text/javascript; charset=utf-8");
	assert_string_equal(ap_wst_type("index.html"), "text/html; charset=utf-8");
	assert_string_equal(ap_wst_type("a.css"), "text/css; charset=utf-8");
	assert_null(ap_wst_type("a.exe"));
	assert_null(ap_wst_type(NULL));
}

static void test_url(void **state)
{
	static const struct {
		const char *url, *name; /* NULL: refused */
	} cases[] = {
	    {"/", "index.html"},
	    {"/index.html", "index.html"},
	    {"/assets/index-abc.js", "assets/index-abc.js"},
	    {"", NULL},
	    {"index.html", NULL},
	    {"//index.html", NULL},
	    {"/../index.html", NULL},
	    {"/assets/../../etc/passwd", NULL},
	    {"/assets/%2e%2e/x.js", NULL},
	    {"/assets%2fx.js", NULL},
	    {"/assets/x.js?v=1", NULL},
	    {"/assets/x.js#a", NULL},
	    {"/assets\\x.js", NULL},
	    {"/MANIFEST", NULL},
	    {"/assets/", NULL},
	    {"/.git/config.txt", NULL},
	    {"/api/v1/vservers", NULL},
	    {"/metrics", NULL},
	};
	char name[AP_WST_NAME_MAX + 1];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = ap_wst_url_name(cases[i].url, name);
		if (cases[i].name) {
			if (rc != 0 || strcmp(name, cases[i].name) != 0)
				fail_msg("\"%s\" should name \"%s\" (rc %d, \"%s\")", cases[i].url,
				         cases[i].name, rc, name);
		} else if (rc != -EINVAL || name[0]) {
			fail_msg("\"%s\" should be refused (rc %d, \"%s\")", cases[i].url, rc,
			         name);
		}
	}
	assert_int_equal(ap_wst_url_name(NULL, name), -EINVAL);
	/* An embedded NUL ends the C string libmicrohttpd hands over: what is
	 * left must itself be an asset's name. */
	static const char nul[] = "/assets/x.js\0../../etc/passwd";
	assert_int_equal(ap_wst_url_name(nul, name), 0);
	assert_string_equal(name, "assets/x.js");
	static const char nul2[] = "/assets/x\0.js";
	assert_int_equal(ap_wst_url_name(nul2, name), -EINVAL);
}

static char names[AP_WST_FILES_MAX][AP_WST_NAME_MAX + 1];

static int manifest(const char *text, size_t *n, char *err, size_t errlen)
{
	return ap_wst_manifest(text, strlen(text), names, n, err, errlen);
}

static void test_manifest(void **state)
{
	char err[160];
	size_t n = 99;

	assert_int_equal(
	    manifest("index.html\nassets/a-1.js\nassets/a-1.css\n", &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "index.html");
	assert_string_equal(names[2], "assets/a-1.css");
	/* No final newline, blank lines. */
	assert_int_equal(manifest("\nassets/a.js\n\nindex.html", &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	/* Refusals, each with its sentence. */
	assert_int_equal(manifest("assets/a.js\n", &n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "The manifest does not name index.html.");
	assert_int_equal(manifest("index.html\n../x.js\n", &n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "Line 2 of the manifest is not an asset's name.");
	assert_int_equal(manifest("index.html\r\n", &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(manifest("index.html\nindex.html\n", &n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "Line 2 of the manifest repeats a name.");
	assert_int_equal(manifest("", &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(ap_wst_manifest("index.html\n\0x.js\n", 17, names, &n, err, sizeof(err)),
	                 -EINVAL);
	assert_string_equal(err, "Line 2 of the manifest is not an asset's name.");
	/* Too many names. */
	size_t cap = (AP_WST_FILES_MAX + 1) * 16 + 16;
	char *big = malloc(cap), *p = big;
	assert_non_null(big);
	p += sprintf(p, "index.html\n");
	for (int i = 0; i < AP_WST_FILES_MAX; i++)
		p += sprintf(p, "f%d.js\n", i);
	assert_int_equal(manifest(big, &n, err, sizeof(err)), -E2BIG);
	free(big);
	assert_int_equal(
	    ap_wst_manifest("index.html", AP_WST_MANIFEST_MAX + 1, names, &n, err, sizeof(err)),
	    -E2BIG);
}

static const char *header(const struct ap_wst_header *h, const char *name)
{
	for (; h->name; h++)
		if (strcmp(h->name, name) == 0)
			return h->value;
	return NULL;
}

static void test_headers(void **state)
{
	struct ap_wst_file hashed = {.name = "assets/a-1.js", .immutable = true},
	                   index = {.name = "index.html", .immutable = false};
	const struct ap_wst_header *sets[] = {ap_wst_headers(&hashed), ap_wst_headers(&index),
	                                      ap_wst_page_headers()};

	for (size_t i = 0; i < 3; i++) {
		const char *csp = header(sets[i], "Content-Security-Policy");
		assert_non_null(csp);
		assert_non_null(strstr(csp, "script-src 'self';"));
		assert_non_null(strstr(csp, "frame-ancestors 'none'"));
		assert_null(strstr(csp, "unsafe-inline"));
		assert_null(strstr(csp, "unsafe-eval"));
		assert_string_equal(header(sets[i], "X-Content-Type-Options"), "nosniff");
		assert_string_equal(header(sets[i], "Referrer-Policy"), "no-referrer");
		assert_string_equal(header(sets[i], "X-Frame-Options"), "DENY");
	}
	assert_string_equal(header(sets[0], "Cache-Control"),
	                    "public, max-age=31536000, immutable");
	assert_string_equal(header(sets[1], "Cache-Control"), "no-cache");
	assert_string_equal(header(sets[2], "Cache-Control"), "no-store");
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void test_load(void **state)
{
	char dir[] = "/tmp/test_webstatic.XXXXXX", path[512], err[256];
	struct ap_wst *st = NULL;
	const struct ap_wst_file *f;
	size_t bytes;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/assets", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	put(dir, "index.html", "<!doctype html><title>x</title>");
	put(dir, "assets/a-1.js", "console.log(1)");
	put(dir, "secret.txt", "not listed");
	put(dir, "MANIFEST", "index.html\nassets/a-1.js\n");

	assert_int_equal(ap_wst_load(dir, &st, err, sizeof(err)), 0);
	assert_int_equal(ap_wst_count(st, &bytes), 2);
	assert_int_equal(bytes,
	                 strlen("<!doctype html><title>x</title>") + strlen("console.log(1)"));
	assert_non_null(f = ap_wst_find(st, "/"));
	assert_string_equal(f->name, "index.html");
	assert_false(f->immutable);
	assert_memory_equal(f->data, "<!doctype html>", 15);
	assert_non_null(f = ap_wst_find(st, "/assets/a-1.js"));
	assert_true(f->immutable);
	assert_string_equal(f->type, "text/javascript; charset=utf-8");
	assert_int_equal(f->len, 14);
	/* On disk but not in the manifest, or not a name: never served. */
	assert_null(ap_wst_find(st, "/secret.txt"));
	assert_null(ap_wst_find(st, "/MANIFEST"));
	assert_null(ap_wst_find(st, "/assets/../index.html"));
	assert_null(ap_wst_find(NULL, "/"));
	ap_wst_destroy(st);
	st = NULL;

	/* A listed name that is a link (to a file outside) refuses the set. */
	snprintf(path, sizeof(path), "%s/assets/b-2.js", dir);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	put(dir, "MANIFEST", "index.html\nassets/b-2.js\n");
	assert_int_equal(ap_wst_load(dir, &st, err, sizeof(err)), -ELOOP);
	assert_null(st);
	assert_non_null(strstr(err, "Cannot read the console's file assets/b-2.js"));
	unlink(path);
	/* A missing file, a directory in a file's place, a bad manifest. */
	put(dir, "MANIFEST", "index.html\nassets/c-3.js\n");
	assert_int_equal(ap_wst_load(dir, &st, err, sizeof(err)), -ENOENT);
	snprintf(path, sizeof(path), "%s/assets/d.css", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	put(dir, "MANIFEST", "index.html\nassets/d.css\n");
	assert_int_equal(ap_wst_load(dir, &st, err, sizeof(err)), -EINVAL);
	rmdir(path);
	put(dir, "MANIFEST", "index.html\n/etc/passwd\n");
	assert_int_equal(ap_wst_load(dir, &st, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "Line 2 of the manifest is not an asset's name."));
	snprintf(path, sizeof(path), "%s/MANIFEST", dir);
	unlink(path);
	assert_int_equal(ap_wst_load(dir, &st, err, sizeof(err)), -ENOENT);
	assert_int_equal(ap_wst_load("/nonexistent-dir-of-test", &st, err, sizeof(err)), -ENOENT);
	assert_null(st);

	static const char *const made[] = {"index.html", "assets/a-1.js", "secret.txt", "assets"};
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, made[i]);
		assert_int_equal(remove(path), 0);
	}
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),    cmocka_unit_test(test_url),
	    cmocka_unit_test(test_manifest), cmocka_unit_test(test_headers),
	    cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
