/*
 * ap_webapi.c - REST routes and JSON mapping (see ap_webapi.h).
 */
#include "appliance/ap_webapi.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const k_login[] = {"name:s", "password:s", NULL};
static const char *const k_create[] = {"name:s", "priority:i", "pinned:b", "home:s", NULL};
static const char *const k_delete[] = {"force:b", NULL};
static const char *const k_migrate[] = {"to:s", "home:b", NULL};
static const char *const k_none[] = {NULL};

static const struct ap_wa_route routes[] = {
    {"POST", "/api/v1/login", AP_WA_LOGIN, "admin.login", k_login, false, 200},
    {"POST", "/api/v1/logout", AP_WA_LOGOUT, NULL, k_none, true, 200},
    {"GET", "/api/v1/vservers", AP_WA_CALL, "vserver.show", NULL, false, 200},
    {"POST", "/api/v1/vservers", AP_WA_CALL, "vserver.create", k_create, true, 201},
    {"GET", "/api/v1/vservers/{name}", AP_WA_CALL, "vserver.show", NULL, false, 200},
    {"DELETE", "/api/v1/vservers/{name}", AP_WA_CALL, "vserver.delete", k_delete, true, 200},
    {"POST", "/api/v1/vservers/{name}/start", AP_WA_CALL, "vserver.start", k_none, true, 200},
    {"POST", "/api/v1/vservers/{name}/stop", AP_WA_CALL, "vserver.stop", k_none, true, 200},
    {"POST", "/api/v1/vservers/{name}/migrate", AP_WA_CALL, "vserver.migrate", k_migrate, true,
     200},
    {"GET", "/api/v1/nodes", AP_WA_CALL, "node.show", NULL, false, 200},
    {"GET", "/api/v1/luns", AP_WA_CALL, "lun.show", NULL, false, 200},
    {"GET", "/api/v1/events", AP_WA_CALL, "event.show", NULL, false, 200},
    {"GET", "/api/v1/moves", AP_WA_CALL, "move.show", NULL, false, 200},
    {"GET", "/api/v1/load", AP_WA_CALL, "load.show", NULL, false, 200},
    {"GET", "/api/v1/cluster", AP_WA_CALL, "cluster.show", NULL, false, 200},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

const struct ap_wa_route *ap_wa_routes(size_t *n)
{
	*n = NROUTES;
	return routes;
}

bool ap_wa_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > AP_WA_NAME_MAX || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

/* Does path match pattern? The "{name}" segment's text goes to name (cut to
 * the allow-list's length plus one, so a long one fails the check). */
static bool path_match(const char *pattern, const char *path, char *name, size_t namelen,
                       bool *has_name)
{
	const char *p = pattern, *q = path;

	*has_name = false;
	while (*p && *q) {
		if (strncmp(p, "{name}", 6) == 0) {
			size_t n = strcspn(q, "/");
			snprintf(name, namelen, "%.*s", (int)(n < namelen ? n : namelen - 1), q);
			if (n >= namelen)
				name[namelen - 2] = '/'; /* too long: never a name */
			*has_name = true;
			p += 6;
			q += n;
			continue;
		}
		if (*p != *q)
			return false;
		p++;
		q++;
	}
	return *p == '\0' && *q == '\0';
}

int ap_wa_match(const char *method, const char *path, const struct ap_wa_route **route,
                char name[AP_WA_NAME_MAX + 1], char *allow, size_t allowlen, char *err,
                size_t errlen)
{
	char seg[AP_WA_NAME_MAX + 3];
	bool has_name, path_found = false, bad_name = false;
	size_t used = 0;

	name[0] = '\0';
	if (allowlen)
		allow[0] = '\0';
	if (!method || !path)
		return snprintf(err, errlen, "Not found."), -ENOENT;
	for (size_t i = 0; i < NROUTES; i++) {
		if (!path_match(routes[i].pattern, path, seg, sizeof(seg), &has_name))
			continue;
		if (has_name && !ap_wa_name_ok(seg)) {
			bad_name = true;
			continue;
		}
		path_found = true;
		if (strcmp(routes[i].method, method) == 0) {
			*route = &routes[i];
			snprintf(name, AP_WA_NAME_MAX + 1, "%s", has_name ? seg : "");
			return 0;
		}
		int n = snprintf(allow + used, allowlen - used, "%s%s", used ? ", " : "",
		                 routes[i].method);
		if (n > 0 && (size_t)n < allowlen - used)
			used += (size_t)n;
	}
	if (path_found)
		return snprintf(err, errlen, "This path does not take the method %s.",
		                strcmp(method, "GET") == 0 || strcmp(method, "POST") == 0 ||
		                        strcmp(method, "DELETE") == 0 ||
		                        strcmp(method, "PUT") == 0 ||
		                        strcmp(method, "PATCH") == 0 || strcmp(method, "HEAD") == 0
		                    ? method
		                    : "given"),
		       -EPERM;
	if (bad_name)
		return snprintf(
		           err, errlen,
		           "A name in the path is 1 to %d letters, digits, '_' or '-', starting "
		           "with a letter.",
		           AP_WA_NAME_MAX),
		       -EINVAL;
	return snprintf(err, errlen, "Not found: there is no such path in /api/v1."), -ENOENT;
}

/* The type letter of key in the route's list, or 0 when it is not there. */
static char key_type(const char *const *keys, const char *key)
{
	for (size_t i = 0; keys && keys[i]; i++) {
		size_t n = strcspn(keys[i], ":");
		if (strlen(key) == n && strncmp(keys[i], key, n) == 0)
			return keys[i][n + 1];
	}
	return 0;
}

static bool empty_body(const char *body, size_t len)
{
	for (size_t i = 0; body && i < len; i++)
		if (!isspace((unsigned char)body[i]))
			return false;
	return true;
}

int ap_wa_build(const struct ap_wa_route *r, const char *name, const char *body, size_t len,
                json_t **args, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *a, *v;
	const char *key;

	*args = NULL;
	if (len > AP_WA_BODY_MAX)
		return snprintf(err, errlen, "The request's body is larger than %d bytes.",
		                AP_WA_BODY_MAX),
		       -E2BIG;
	if (empty_body(body, len)) {
		a = json_object();
	} else {
		if (!r->keys)
			return snprintf(err, errlen, "This request takes no body."), -EINVAL;
		a = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(a)) {
			json_decref(a);
			return snprintf(err, errlen, "The request's body is not a JSON object."),
			       -EINVAL;
		}
	}
	if (!a)
		return snprintf(err, errlen, "Out of memory."), -ENOMEM;
	json_object_foreach(a, key, v)
	{
		char t = key_type(r->keys, key);
		bool ok = (t == 's' && json_is_string(v)) || (t == 'i' && json_is_integer(v)) ||
		          (t == 'b' && json_is_boolean(v));
		if (!t) {
			/* The key is the client's: quoted only when it is a plain word. */
			if (ap_wa_name_ok(key))
				snprintf(err, errlen, "The member '%s' is not known here.", key);
			else
				snprintf(err, errlen,
				         "The body has a member that is not known here.");
			json_decref(a); /* key was a's */
			return -EINVAL;
		}
		if (!ok) {
			snprintf(err, errlen, "The member '%s' must be %s.", key,
			         t == 's'   ? "a string"
			         : t == 'i' ? "an integer"
			                    : "true or false");
			json_decref(a);
			return -EINVAL;
		}
	}
	if (r->op == AP_WA_LOGIN) {
		const char *n = json_string_value(json_object_get(a, "name")),
		           *p = json_string_value(json_object_get(a, "password"));
		if (!n || !p || !ap_wa_name_ok(n) || strlen(p) > 256 || !*p) {
			json_decref(a);
			return snprintf(err, errlen,
			                "Give the account's name and password: {\"name\": ..., "
			                "\"password\": ...}."),
			       -EINVAL;
		}
	}
	if (r->op == AP_WA_CALL && name && *name) {
		if (!ap_wa_name_ok(name)) {
			json_decref(a);
			return snprintf(err, errlen, "The name in the path is not a valid name."),
			       -EINVAL;
		}
		json_object_set_new(a, "name", json_string(name));
	}
	/* Long actions answer at once: the client polls the VS or its move. */
	if (r->cmd && (strcmp(r->cmd, "vserver.start") == 0 || strcmp(r->cmd, "vserver.stop") == 0))
		json_object_set_new(a, "no_wait", json_true());
	*args = a;
	return 0;
}

int ap_wa_status(const char *s)
{
	if (!s)
		return 500;
	if (strncmp(s, "Permission denied", 17) == 0)
		return 403;
	if (strncmp(s, "There is no ", 12) == 0 || strstr(s, " no longer exists") ||
	    strstr(s, " has no node named "))
		return 404;
	if (strstr(s, " already ") || strstr(s, " is running: ") || strstr(s, " last admin "))
		return 409;
	return 400;
}
