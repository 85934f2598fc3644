/*
 * ap_webapi.c - REST routes and JSON mapping (see ap_webapi.h).
 */
#include "appliance/ap_webapi.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const k_login[] = {"name:s", "password:s", NULL};
static const char *const k_create[] = {"name:s", "priority:i", "pinned:b", "home:s", NULL};
static const char *const k_set[] = {"auto_revert:b", "nfs_lease:i", "nfs_grace:i", "nfs_domain:s",
                                    NULL};
static const char *const k_delete[] = {"force:b", NULL};
static const char *const k_migrate[] = {"to:s", "home:b", NULL};
static const char *const k_join[] = {"domain:s", "dc:s", "user:s", "password:s", NULL};
static const char *const k_leave[] = {"user:s", "password:s", NULL};
static const char *const k_vip[] = {"address:s", "home_port:s", "group:s", "no_auto_revert:b",
                                    NULL};
static const char *const k_vipmove[] = {"port:s", NULL};
static const char *const k_fgroup[] = {
    "name:s",         "ports:s",     "probe:s",      "probe_interval:i",
    "probe_misses:i", "hold_down:i", "port_speed:i", NULL};
static const char *const k_speed[] = {"port_speed:i", NULL};
static const char *const k_fence[] = {"agent:s", "options:s", NULL};
static const char *const k_fs[] = {"fs:s", "lun:s", NULL};
static const char *const k_export[] = {"pseudo:s", "fs:s",       "path:s",     "clients:s", "ro:b",
                                       "squash:s", "anon_uid:i", "anon_gid:i", "sec:s",     NULL};
static const char *const k_share[] = {"share:s", "fs:s",    "path:s",    "ro:b", "read:s",
                                      "write:s", "guest:b", "encrypt:b", NULL};
static const char *const k_standby[] = {"state:s", NULL};
static const char *const k_balance[] = {
    "mode:s",       "max_moves:i", "cooldown:i",  "min_share:i", "trigger:i",
    "high_water:i", "low_water:i", "smoothing:i", "lun_busy:i",  NULL};
static const char *const k_user[] = {"name:s", "uid:i", "groups:a", "password:s", NULL};
static const char *const k_password[] = {"password:s", NULL};
static const char *const k_group[] = {"name:s", "gid:i", NULL};
static const char *const k_member[] = {"user:s", NULL};
static const char *const k_admin[] = {"name:s", "role:s", "password:s", NULL};
static const char *const k_none[] = {NULL};
static const char *const q_events[] = {"vs:n", "limit:i", "after:i", NULL};
static const char *const q_stream[] = {"vs:n", NULL};
static const char *const q_moves[] = {"vs:n", "after:i", NULL};
static const char *const q_vips[] = {"vs:n", NULL};
static const char *const q_load[] = {"history:b", NULL};

#define V1 "/api/v1"
#define VS V1 "/vservers/{name}"
#define READ_OP(p, c, o) .method = "GET", .pattern = p, .op = o, .cmd = c, .ok_status = 200
#define READ(p, c) READ_OP(p, c, AP_WA_CALL)
#define GET_(p, c)                                                                                 \
	{                                                                                          \
		READ(p, c)                                                                         \
	}
#define CHANGE(m, p, c, k, st)                                                                     \
	.method = m, .pattern = p, .op = AP_WA_CALL, .cmd = c, .keys = k, .changes = true,         \
	.ok_status = st

static const struct ap_wa_route routes[] = {
    {.method = "POST",
     .pattern = V1 "/login",
     .op = AP_WA_LOGIN,
     .cmd = "admin.login",
     .keys = k_login,
     .ok_status = 200,
     .flags = AP_WA_SECRET},
    {.method = "POST",
     .pattern = V1 "/logout",
     .op = AP_WA_LOGOUT,
     .keys = k_none,
     .changes = true,
     .ok_status = 200},
    /* The first setup: no session (the setup code instead; ap_webrest.c). */
    {.method = "GET",
     .pattern = V1 "/setup",
     .op = AP_WA_SETUP_SHOW,
     .cmd = "setup.show",
     .ok_status = 200},
    {.method = "POST",
     .pattern = V1 "/setup",
     .op = AP_WA_SETUP,
     .cmd = "setup.apply",
     .ok_status = 200,
     .flags = AP_WA_SECRET},
    GET_(V1 "/cluster", "cluster.show"),
    /* The join bundle, for a node set up from its console (admins alone:
     * ap_roles.h; it holds the cluster key: no-store as every answer). */
    GET_(V1 "/cluster/bundle", "cluster.bundle"),
    GET_(V1 "/nodes", "node.show"),
    GET_(V1 "/ping", "node.ping"),
    {CHANGE("POST", V1 "/nodes/{node}/standby", "node.standby", k_standby, 200), .params = "node"},
    {CHANGE("POST", V1 "/nodes/{node}/evacuate", "node.evacuate", k_none, 202), .params = "node",
     .flags = AP_WA_PLANNED},
    {CHANGE("POST", V1 "/nodes/{node}/resume", "node.resume", k_none, 200), .params = "node"},
    /* Virtual servers. */
    GET_(V1 "/vservers", "vserver.show"),
    {CHANGE("POST", V1 "/vservers", "vserver.create", k_create, 201)},
    {READ(VS, "vserver.show"), .params = "name"},
    {CHANGE("PATCH", VS, "vserver.set", k_set, 200), .params = "name"},
    {CHANGE("DELETE", VS, "vserver.delete", k_delete, 200), .params = "name"},
    {CHANGE("POST", VS "/start", "vserver.start", k_none, 202), .params = "name",
     .flags = AP_WA_NO_WAIT},
    {CHANGE("POST", VS "/stop", "vserver.stop", k_none, 202), .params = "name",
     .flags = AP_WA_NO_WAIT},
    {CHANGE("POST", VS "/migrate", "vserver.migrate", k_migrate, 202), .params = "name",
     .flags = AP_WA_PLANNED},
    {CHANGE("POST", VS "/join", "vserver.join", k_join, 200), .params = "name",
     .flags = AP_WA_SECRET},
    {CHANGE("POST", VS "/leave", "vserver.leave", k_leave, 200), .params = "name",
     .flags = AP_WA_SECRET},
    /* Virtual IPs. */
    {READ(V1 "/vips", "vip.show"), .query = q_vips},
    {READ(VS "/vips", "vip.show"), .params = "vs"},
    {CHANGE("POST", VS "/vips", "vip.add", k_vip, 201), .params = "vs"},
    {CHANGE("POST", VS "/vips/revert", "vip.revert", k_none, 200), .params = "vs"},
    {CHANGE("DELETE", VS "/vips/{address}", "vip.remove", k_none, 200), .params = "vs,address"},
    {CHANGE("POST", VS "/vips/{address}/migrate", "vip.migrate", k_vipmove, 200),
     .params = "vs,address"},
    {CHANGE("POST", VS "/vips/{address}/revert", "vip.revert", k_none, 200),
     .params = "vs,address"},
    /* File systems, exports, shares: a VS's, in its configuration. */
    {READ(VS "/filesystems", "vserver.show"), .params = "name", .pick = "filesystems"},
    {CHANGE("POST", VS "/filesystems", "fs.add", k_fs, 201), .params = "vs"},
    {CHANGE("DELETE", VS "/filesystems/{fs}", "fs.remove", k_none, 200), .params = "vs,fs"},
    {READ(VS "/exports", "vserver.show"), .params = "name", .pick = "exports"},
    {CHANGE("POST", VS "/exports", "export.add", k_export, 201), .params = "vs"},
    {CHANGE("DELETE", VS "/exports/{export}", "export.remove", k_none, 200), .params = "vs,pseudo"},
    {READ(VS "/shares", "vserver.show"), .params = "name", .pick = "shares"},
    {CHANGE("POST", VS "/shares", "share.add", k_share, 201), .params = "vs"},
    {CHANGE("DELETE", VS "/shares/{share}", "share.remove", k_none, 200), .params = "vs,share"},
    /* Users and groups of a VS. */
    {READ(VS "/users", "user.show"), .params = "vs"},
    {CHANGE("POST", VS "/users", "user.add", k_user, 201), .params = "vs",
     .flags = AP_WA_HASH | AP_WA_SECRET},
    {READ(VS "/users/{user}", "user.show"), .params = "vs,name"},
    {CHANGE("DELETE", VS "/users/{user}", "user.remove", k_none, 200), .params = "vs,name"},
    {CHANGE("PUT", VS "/users/{user}/password", "user.passwd", k_password, 200),
     .params = "vs,name", .flags = AP_WA_HASH | AP_WA_SECRET},
    {READ(VS "/groups", "group.show"), .params = "vs"},
    {CHANGE("POST", VS "/groups", "group.add", k_group, 201), .params = "vs"},
    {CHANGE("DELETE", VS "/groups/{group}", "group.remove", k_none, 200), .params = "vs,name"},
    {CHANGE("POST", VS "/groups/{group}/members", "group.member", k_member, 200),
     .params = "vs,group", .fixed = "action=add"},
    {CHANGE("DELETE", VS "/groups/{group}/members/{user}", "group.member", k_none, 200),
     .params = "vs,group,user", .fixed = "action=remove"},
    /* Failover groups, ports, LUNs. */
    GET_(V1 "/fgroups", "fgroup.show"),
    {CHANGE("POST", V1 "/fgroups", "fgroup.create", k_fgroup, 201)},
    {CHANGE("PATCH", V1 "/fgroups/{fgroup}", "fgroup.set", k_speed, 200), .params = "name"},
    {CHANGE("DELETE", V1 "/fgroups/{fgroup}", "fgroup.delete", k_none, 200), .params = "name"},
    GET_(V1 "/ports", "port.show"),
    GET_(V1 "/luns", "lun.show"),
    /* Fencing. */
    GET_(V1 "/fencing", "fence.show"),
    {CHANGE("PUT", V1 "/fencing/{node}", "fence.set", k_fence, 200), .params = "node"},
    {CHANGE("DELETE", V1 "/fencing/{node}", "fence.delete", k_none, 200), .params = "node"},
    {CHANGE("POST", V1 "/fencing/{node}/check", "fence.check", k_none, 200), .params = "node"},
    /* Moves, loads, balancing, events. */
    {READ_OP(V1 "/moves", "move.show", AP_WA_MOVES), .query = q_moves},
    {READ_OP(V1 "/moves/{id}", "move.show", AP_WA_MOVES), .params = "id"},
    {READ(V1 "/load", "load.show"), .query = q_load},
    GET_(V1 "/balance", "balance.show"),
    {CHANGE("PATCH", V1 "/balance", "balance.set", k_balance, 200)},
    {READ(V1 "/events", "event.show"), .query = q_events},
    {READ_OP(V1 "/events/stream", "event.show", AP_WA_STREAM), .query = q_stream},
    /* The node's boot slots: what runs, an update uploaded (admins; 202, the
     * outcome in the event log), the reboot (admins; the gate as vsadm's,
     * never forced). Per node: the node whose console is asked. */
    GET_(V1 "/system", "system.show"),
    {.method = "PUT",
     .pattern = V1 "/system/update",
     .op = AP_WA_UPLOAD,
     .cmd = "system.update",
     .changes = true,
     .ok_status = 202},
    {CHANGE("POST", V1 "/system/reboot", "system.reboot", k_none, 200)},
    /* Console accounts (applianced lets admins alone). */
    GET_(V1 "/admins", "admin.show"),
    {CHANGE("POST", V1 "/admins", "admin.add", k_admin, 201),
     .flags = AP_WA_HASH_CRYPT | AP_WA_SECRET},
    {CHANGE("PUT", V1 "/admins/{account}/password", "admin.passwd", k_password, 200),
     .params = "name", .flags = AP_WA_HASH_CRYPT | AP_WA_SECRET},
    {CHANGE("DELETE", V1 "/admins/{account}", "admin.remove", k_none, 200), .params = "name"},
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

bool ap_wa_addr_ok(const char *s)
{
	unsigned char buf[16];
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n >= INET6_ADDRSTRLEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) && s[i] != '.' && s[i] != ':')
			return false;
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

bool ap_wa_export_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > AP_WA_PARAM_MAX - 1)
		return false;
	for (const char *p = s; *p;) {
		size_t k = strcspn(p, "/");
		if (k == 0 || k > 64 || (k == 1 && p[0] == '.') ||
		    (k == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		for (size_t i = 0; i < k; i++)
			if (!isalnum((unsigned char)p[i]) && p[i] != '.' && p[i] != '_' &&
			    p[i] != '-')
				return false;
		p += k;
		if (*p == '/' && !*++p)
			return false; /* a trailing '/' */
	}
	return true;
}

bool ap_wa_id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 18)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

int ap_wa_event_id(const char *s, int64_t *id)
{
	*id = 0;
	if (!ap_wa_id_ok(s))
		return -EINVAL;
	*id = strtoll(s, NULL, 10);
	return 0;
}

/* The kinds of path parameters, by their placeholder. */
enum kind { K_NAME, K_ADDR, K_EXPORT, K_ID };

static enum kind kind_of(const char *ph, size_t n)
{
	if (n == 9 && strncmp(ph, "{address}", n) == 0)
		return K_ADDR;
	if (n == 8 && strncmp(ph, "{export}", n) == 0)
		return K_EXPORT;
	if (n == 4 && strncmp(ph, "{id}", n) == 0)
		return K_ID;
	return K_NAME;
}

static bool kind_ok(enum kind k, const char *s)
{
	switch (k) {
	case K_ADDR:
		return ap_wa_addr_ok(s);
	case K_EXPORT:
		return ap_wa_export_ok(s);
	case K_ID:
		return ap_wa_id_ok(s);
	case K_NAME:
		break;
	}
	return ap_wa_name_ok(s);
}

static const char *const kind_sentence[] = {
    [K_NAME] = "A name in the path is 1 to 31 letters, digits, '_' or '-', starting with a "
               "letter.",
    [K_ADDR] = "An address in the path is an IPv4 or IPv6 address, without its prefix.",
    [K_EXPORT] = "An export in the path is its NFSv4 path without the first '/': components "
                 "of letters, digits, '.', '_' or '-', never '.' or '..'.",
    [K_ID] = "A move id in the path is a whole number.",
};

/* Does path match pattern? Each placeholder's text goes to pp (an export's
 * takes the rest of the path). *bad: the kind of a parameter its allow-list
 * refuses (then false), else -1. */
static bool path_match(const char *pattern, const char *path, struct ap_wa_path *pp, int *bad)
{
	const char *p = pattern, *q = path;
	enum kind kinds[AP_WA_PARAMS_MAX];

	pp->n = 0;
	*bad = -1;
	while (*p && *q) {
		if (*p == '{') {
			size_t ph = strcspn(p, "}") + 1;
			enum kind k = kind_of(p, ph);
			size_t n = k == K_EXPORT ? strlen(q) : strcspn(q, "/");
			if (pp->n >= AP_WA_PARAMS_MAX)
				return false;
			/* Too long: cut, so that its allow-list refuses it. */
			snprintf(pp->v[pp->n], AP_WA_PARAM_MAX + 2, "%.*s",
			         (int)(n <= AP_WA_PARAM_MAX ? n : AP_WA_PARAM_MAX + 1), q);
			kinds[pp->n++] = k;
			p += ph;
			q += n;
			continue;
		}
		if (*p != *q)
			return false;
		p++;
		q++;
	}
	if (*p != '\0' || *q != '\0')
		return false;
	for (int i = 0; i < pp->n; i++)
		if (!kind_ok(kinds[i], pp->v[i])) {
			*bad = (int)kinds[i];
			return false;
		}
	return true;
}

static bool http_method(const char *m)
{
	static const char *const known[] = {"GET", "POST", "DELETE", "PUT", "PATCH", "HEAD"};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(m, known[i]) == 0)
			return true;
	return false;
}

int ap_wa_match(const char *method, const char *path, const struct ap_wa_route **route,
                struct ap_wa_path *pp, char *allow, size_t allowlen, char *err, size_t errlen)
{
	struct ap_wa_path seg;
	bool path_found = false;
	int bad = -1;
	size_t used = 0;

	pp->n = 0;
	if (allowlen)
		allow[0] = '\0';
	if (!method || !path)
		return snprintf(err, errlen, "Not found."), -ENOENT;
	for (size_t i = 0; i < NROUTES; i++) {
		int b;
		if (!path_match(routes[i].pattern, path, &seg, &b)) {
			if (b >= 0 && bad < 0)
				bad = b;
			continue;
		}
		path_found = true;
		if (strcmp(routes[i].method, method) == 0) {
			*route = &routes[i];
			*pp = seg;
			return 0;
		}
		int n = snprintf(allow + used, allowlen - used, "%s%s", used ? ", " : "",
		                 routes[i].method);
		if (n > 0 && (size_t)n < allowlen - used)
			used += (size_t)n;
	}
	if (path_found)
		return snprintf(err, errlen, "This path does not take the method %s.",
		                http_method(method) ? method : "given"),
		       -EPERM;
	if (bad >= 0)
		return snprintf(err, errlen, "%s", kind_sentence[bad]), -EINVAL;
	return snprintf(err, errlen, "Not found: there is no such path in /api/v1."), -ENOENT;
}

/* The type letter of key in a list, or 0 when it is not there. */
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

static bool strings_ok(json_t *v)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) > AP_WA_LIST_MAX)
		return false;
	json_array_foreach(v, i, e) if (!json_is_string(e)) return false;
	return true;
}

static const char *type_words(char t)
{
	return t == 's'   ? "a string"
	       : t == 'i' ? "an integer"
	       : t == 'a' ? "an array of at most 32 strings"
	                  : "true or false";
}

/* Every member of a is one of keys, of its type. */
static int members_ok(const char *const *keys, json_t *a, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach(a, key, v)
	{
		char t = key_type(keys, key);
		bool ok = (t == 's' && json_is_string(v)) || (t == 'i' && json_is_integer(v)) ||
		          (t == 'b' && json_is_boolean(v)) || (t == 'a' && strings_ok(v));
		if (!t) {
			/* The key is the client's: quoted only when it is a plain word. */
			if (ap_wa_name_ok(key))
				snprintf(err, errlen, "The member '%s' is not known here.", key);
			else
				snprintf(err, errlen,
				         "The body has a member that is not known here.");
			return -EINVAL;
		}
		if (!ok)
			return snprintf(err, errlen, "The member '%s' must be %s.", key,
			                type_words(t)),
			       -EINVAL;
	}
	return 0;
}

/* The path's parameters as the route's control arguments. */
static int set_params(const struct ap_wa_route *r, const struct ap_wa_path *pp, json_t *a,
                      char *err, size_t errlen)
{
	const char *p = r->params;

	for (int i = 0; pp && i < pp->n; i++) {
		char key[32], val[AP_WA_PARAM_MAX + 3];
		size_t k = p ? strcspn(p, ",") : 0;
		if (!k || k >= sizeof(key))
			return snprintf(err, errlen, "This path takes no such parameter."), -EINVAL;
		snprintf(key, sizeof(key), "%.*s", (int)k, p);
		p += k + (p[k] == ',');
		/* An export's parameter is its path without the first '/'. */
		snprintf(val, sizeof(val), "%s%s", strcmp(key, "pseudo") == 0 ? "/" : "", pp->v[i]);
		if (strcmp(key, "id") == 0)
			json_object_set_new(a, key, json_integer(strtoll(val, NULL, 10)));
		else
			json_object_set_new(a, key, json_string(val));
	}
	if (r->fixed) {
		char key[32];
		size_t k = strcspn(r->fixed, "=");
		snprintf(key, sizeof(key), "%.*s", (int)k, r->fixed);
		json_object_set_new(a, key, json_string(r->fixed + k + 1));
	}
	return 0;
}

int ap_wa_build(const struct ap_wa_route *r, const struct ap_wa_path *pp, const char *body,
                size_t len, json_t **args, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *a;

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
	if (members_ok(r->keys, a, err, errlen) < 0) {
		json_decref(a);
		return -EINVAL;
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
	if (set_params(r, pp, a, err, errlen) < 0) {
		json_decref(a);
		return -EINVAL;
	}
	/* Long actions answer at once: the client polls the VS or its move. */
	if (r->flags & AP_WA_NO_WAIT)
		json_object_set_new(a, "no_wait", json_true());
	*args = a;
	return 0;
}

int ap_wa_query(const struct ap_wa_route *r, const char *key, const char *value, json_t *args,
                char *err, size_t errlen)
{
	char t = key ? key_type(r->query, key) : 0;

	if (t && !value)
		return snprintf(err, errlen, "The query member '%s' needs a value.", key), -EINVAL;
	if (!t) {
		if (key && ap_wa_name_ok(key))
			return snprintf(err, errlen, "The query member '%s' is not known here.",
			                key),
			       -EINVAL;
		return snprintf(err, errlen, "The query has a member that is not known here."),
		       -EINVAL;
	}
	if (t == 'n' && !ap_wa_name_ok(value))
		return snprintf(err, errlen,
		                "The query member '%s' is 1 to 31 letters, digits, '_' or '-', "
		                "starting with a letter.",
		                key),
		       -EINVAL;
	if (t == 'i' && !ap_wa_id_ok(value))
		return snprintf(err, errlen, "The query member '%s' is a whole number.", key),
		       -EINVAL;
	bool yes = strcmp(value, "true") == 0 || strcmp(value, "1") == 0;
	if (t == 'b' && !yes && strcmp(value, "false") != 0 && strcmp(value, "0") != 0)
		return snprintf(err, errlen, "The query member '%s' is true or false.", key),
		       -EINVAL;
	json_object_set_new(args, key,
	                    t == 'i'   ? json_integer(strtoll(value, NULL, 10))
	                    : t == 'b' ? json_boolean(yes)
	                               : json_string(value));
	return 0;
}

int64_t ap_wa_moves_newest(json_t *data)
{
	json_t *arr = json_object_get(data, "moves"), *m;
	int64_t newest = 0;
	size_t i;

	json_array_foreach(arr, i, m)
	{
		json_int_t id = json_integer_value(json_object_get(m, "id"));
		if (id > newest)
			newest = id;
	}
	return newest;
}

int ap_wa_moves(json_t *data, json_t *args, json_t **out, char *err, size_t errlen)
{
	json_t *arr = json_object_get(data, "moves"), *m, *id = json_object_get(args, "id"), *list;
	const char *vs = json_string_value(json_object_get(args, "vs"));
	json_int_t after = json_integer_value(json_object_get(args, "after"));
	size_t i;

	*out = NULL;
	if (!json_is_array(arr))
		return snprintf(err, errlen, "applianced's move journal has no moves list."), -EIO;
	json_array_foreach(arr, i, m)
	{
		if (id && json_integer_value(json_object_get(m, "id")) == json_integer_value(id)) {
			*out = json_incref(m);
			return 0;
		}
	}
	if (id)
		return snprintf(err, errlen, "There is no move %lld in the journal.",
		                (long long)json_integer_value(id)),
		       -ENOENT;
	if (!(list = json_array()))
		return snprintf(err, errlen, "Out of memory."), -ENOMEM;
	json_array_foreach(arr, i, m)
	{
		const char *mvs = json_string_value(json_object_get(m, "vs"));
		if ((vs && (!mvs || strcmp(vs, mvs) != 0)) ||
		    json_integer_value(json_object_get(m, "id")) <= after)
			continue;
		json_array_append(list, m);
	}
	*out = json_pack("{s:o}", "moves", list);
	return *out ? 0 : (snprintf(err, errlen, "Out of memory."), -ENOMEM);
}

int ap_wa_status(const char *s)
{
	if (!s)
		return 500;
	if (strncmp(s, "Permission denied", 17) == 0)
		return 403;
	if (strncmp(s, "Out of memory", 13) == 0 || strstr(s, " could not be saved ") ||
	    strstr(s, " cannot be read now"))
		return 500;
	/* A thing named in the path (or the body) that is not there; a port of
	 * the node is a body's bad value. */
	if (strncmp(s, "There is no ", 12) == 0 || strstr(s, " no longer exists") ||
	    strstr(s, " is not in group ") ||
	    (strstr(s, " has no ") && strncmp(s, "This node has no port", 21) != 0 &&
	     (strstr(s, " named ") || strstr(s, " fence device") || strstr(s, " virtual IP ") ||
	      strstr(s, " export "))))
		return 404;
	if (strstr(s, " already ") || strstr(s, " is running: ") || strstr(s, " last admin ") ||
	    strstr(s, ": stop it first"))
		return 409;
	return 400;
}
