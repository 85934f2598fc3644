/*
 * fuzz_webapi.c - libFuzzer target: the REST API's parsers (appliance/ap_webapi.c),
 * which read what any client of apweb sends before it is logged in.
 *
 * The bytes: a first line "METHOD PATH", the rest the request's body.
 * Checks: ap_wa_match answers 0 / -ENOENT / -EPERM / -EINVAL with a sentence
 * (never quoting the path); on 0 the route is in the table and each path
 * parameter passes its allow-list; ap_wa_build then answers 0 with a JSON
 * object whose members are the route's own body members, each of its type,
 * or its path's and fixed arguments (and no_wait, which apweb sets), or an
 * error with a sentence and no args; ap_wa_query on the path's text as a
 * query value answers 0 or a sentence that does not quote it;
 * and no sentence of either quotes the body's bytes beyond an allow-listed
 * word. ap_wa_status answers one of the statuses it may for any text.
 *
 * Memory: nothing is kept between inputs.
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_webapi.h"
#include "tests/fuzz/common.h"

/* Is key one of the route's path or fixed arguments? */
static bool param_key(const struct ap_wa_route *r, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = r->params; p && *p;) {
		size_t k = strcspn(p, ",");
		if (k == n && strncmp(p, key, n) == 0)
			return true;
		p += k + (p[k] == ',');
	}
	return r->fixed && strncmp(r->fixed, key, n) == 0 && r->fixed[n] == '=';
}

static bool member_ok(const struct ap_wa_route *r, const char *key, json_t *v)
{
	if (param_key(r, key) && (json_is_string(v) || json_is_integer(v)))
		return true;
	if (strcmp(key, "no_wait") == 0 && json_is_true(v) && (r->flags & AP_WA_NO_WAIT))
		return true;
	for (size_t i = 0; r->keys && r->keys[i]; i++) {
		size_t n = strcspn(r->keys[i], ":");
		char t = r->keys[i][n + 1];
		if (strlen(key) == n && strncmp(key, r->keys[i], n) == 0)
			return (t == 's' && json_is_string(v)) ||
			       (t == 'i' && json_is_integer(v)) ||
			       (t == 'b' && json_is_boolean(v)) ||
			       (t == 'a' && json_is_array(v) &&
			        json_array_size(v) <= AP_WA_LIST_MAX);
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t head = nl ? (size_t)(nl - data) : size;
	char *line = fz_strndup(data, head), *sp = strchr(line, ' ');
	const char *body = nl ? (const char *)nl + 1 : "";
	size_t blen = nl ? size - head - 1 : 0;
	const struct ap_wa_route *r = NULL;
	struct ap_wa_path pp;
	char allow[64], err[256] = "";
	int rc;

	if (sp)
		*sp = '\0';
	rc = ap_wa_match(line, sp ? sp + 1 : "", &r, &pp, allow, sizeof(allow), err, sizeof(err));
	fz_require(rc == 0 || rc == -ENOENT || rc == -EPERM || rc == -EINVAL, "match's answer");
	if (rc < 0) {
		fz_require(err[0] != '\0', "a refusal has a sentence");
		/* Fixed sentences only: the path is never quoted, the method only when
		 * it is one of HTTP's. */
		fz_require(strcmp(err, "Not found: there is no such path in /api/v1.") == 0 ||
		               strcmp(err, "Not found.") == 0 ||
		               strncmp(err, "A name in the path is 1 to ", 27) == 0 ||
		               strncmp(err, "An address in the path is ", 26) == 0 ||
		               strncmp(err, "An export in the path is ", 25) == 0 ||
		               strcmp(err, "A move id in the path is a whole number.") == 0 ||
		               strcmp(err, "This path does not take the method given.") == 0 ||
		               (strncmp(err, "This path does not take the method ", 35) == 0 &&
		                strstr("GET. POST. DELETE. PUT. PATCH. HEAD.", err + 35)),
		           "a fixed sentence");
		free(line);
		return 0;
	}
	size_t n;
	const struct ap_wa_route *all = ap_wa_routes(&n);
	fz_require(r >= all && r < all + n, "a route of the table");
	for (int i = 0; i < pp.n; i++)
		fz_require(ap_wa_name_ok(pp.v[i]) || ap_wa_addr_ok(pp.v[i]) ||
		               ap_wa_export_ok(pp.v[i]) || ap_wa_id_ok(pp.v[i]),
		           "each path parameter passed an allow-list");
	json_t *args = NULL;
	rc = ap_wa_build(r, &pp, body, blen, &args, err, sizeof(err));
	if (rc == 0) {
		const char *key;
		json_t *v;
		fz_require(json_is_object(args), "args are an object");
		json_object_foreach(args, key, v)
		    fz_require(member_ok(r, key, v), "a known member");
		/* The path's text as a query: accepted by its list, or refused unquoted. */
		const char *qv = sp ? sp + 1 : "";
		char qerr[256] = "";
		for (size_t k = 0; r->query && r->query[k]; k++) {
			char key2[32];
			snprintf(key2, sizeof(key2), "%.*s", (int)strcspn(r->query[k], ":"),
			         r->query[k]);
			if (ap_wa_query(r, key2, qv, args, qerr, sizeof(qerr)) < 0)
				fz_require(qerr[0] && (!*qv || !strstr(qerr, qv) ||
				                       strstr(r->query[k], qv)),
				           "a query's refusal does not quote its value");
		}
	} else {
		fz_require(!args && err[0], "a refusal has a sentence and no args");
		fz_require(!strstr(err, "\n"), "one line");
	}
	json_decref(args);
	int st = ap_wa_status(err);
	fz_require(st == 400 || st == 403 || st == 404 || st == 409 || st == 500,
	           "a status it may give");
	free(line);
	return 0;
}
