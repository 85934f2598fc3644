/*
 * ap_webapi.h - the REST API's core (issue 12), pure: the routing table,
 * a request's path parameters, query and JSON body mapped to the control
 * request applianced already knows (the same validation then applies, and
 * the same one-sentence errors), an error sentence mapped to its HTTP
 * status, and the filters of the move journal (GET /api/v1/moves...).
 *
 * Every control command vsadm has is routed (docs/api/openapi.json
 * describes exactly these; a unit test checks the two against each other),
 * except cluster.create and cluster.join: a node's bootstrap, done with
 * vsadm on the node itself, or once from the console's setup page while the
 * node has no account and no cluster (GET and POST /api/v1/setup:
 * setup.show, setup.apply; no session, the setup code instead, ap_setup.h).
 * cluster.bundle is routed (GET /api/v1/cluster/bundle, admins alone) so
 * that a node with no shell can hand the bundle to the next one's setup.
 *
 * Inputs are hostile. A path parameter is checked by the allow-list of its
 * kind before anything uses it: a name (1..31 of [A-Za-z0-9_-], a letter
 * first), an address (an IPv4 or IPv6 address, inet_pton's, no prefix), an
 * export (the components of its NFSv4 path after the first '/': 1..64 of
 * [A-Za-z0-9._-] each, never "." or "..", at most 127 characters in all;
 * the rest of the URL), a move id (1..18 digits). A body must be a JSON
 * object of at most AP_WA_BODY_MAX bytes whose members are those the route
 * names, each of its type (s string, i integer, b boolean, a array of at
 * most AP_WA_LIST_MAX strings); a query's members likewise (n a name, i a
 * whole number, b true|false|1|0). A sentence never quotes a value the client sent except a
 * name that passed the allow-list.
 *
 * Memory: the table is static; *args and the filters' results are new
 * references.
 * Errors: 0 or a negative errno with one sentence in err.
 */
#ifndef AP_WEBAPI_H
#define AP_WEBAPI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AP_WA_BODY_MAX (16 * 1024)
#define AP_WA_NAME_MAX 31
#define AP_WA_PARAMS_MAX 3
#define AP_WA_PARAM_MAX 127 /* an export's path, the longest parameter */
#define AP_WA_LIST_MAX 32

enum ap_wa_op {
	AP_WA_LOGIN,
	AP_WA_LOGOUT,
	AP_WA_CALL,   /* one control request, its answer */
	AP_WA_MOVES,  /* move.show, filtered (?vs=, ?after=, or {id}) */
	AP_WA_STREAM, /* the event log as server-sent events (ap_websse.h) */
	/* The node's first setup (ap_setup.h), without a session: whether it is
	 * needed, and the form (ap_setupform.h) with the setup code. */
	AP_WA_SETUP_SHOW,
	AP_WA_SETUP,
	/* An update file as the body (application/octet-stream): an admin's
	 * session checked before it is read, streamed to a spool file
	 * (ap_webupload.h), then system.update of that file. */
	AP_WA_UPLOAD,
};

/* What the glue does besides the call. */
enum {
	AP_WA_NO_WAIT = 1 << 0,    /* a long action: no_wait set, answered at once */
	AP_WA_PLANNED = 1 << 1,    /* a planned move: 202 with the moves to poll */
	AP_WA_HASH = 1 << 2,       /* "password" becomes nt_hash and crypt_hash */
	AP_WA_HASH_CRYPT = 1 << 3, /* "password" becomes crypt_hash (a console account) */
	AP_WA_SECRET = 1 << 4,     /* the body holds a password: wiped, never logged */
};

struct ap_wa_route {
	const char *method;  /* "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char *pattern; /* "/api/v1/vservers/{name}/vips/{address}" */
	enum ap_wa_op op;
	const char *cmd;         /* the control request */
	const char *const *keys; /* the body's members, "name:type"; NULL: none */
	bool changes;            /* needs the CSRF token (every method but GET) */
	int ok_status;           /* 200, 201, 202 */
	const char
	    *params;       /* the control arguments of the path's parameters, in order: "vs,name" */
	const char *fixed; /* a fixed argument "key=value", or NULL */
	const char *const *query; /* the query's members, "name:type"; NULL: none */
	const char *pick;         /* a GET's answer: this member of applianced's data */
	unsigned flags;
};

/* A request's path parameters, in the pattern's order. */
struct ap_wa_path {
	int n;
	char v[AP_WA_PARAMS_MAX][AP_WA_PARAM_MAX + 2];
};

/* The whole table (for the OpenAPI check). */
const struct ap_wa_route *ap_wa_routes(size_t *n);

/* The route of method + path: 0 and *route with its parameters in *pp,
 * -ENOENT (404: no such path), -EPERM (405: the path exists, not with this
 * method; allow gets "GET, POST" etc.), -EINVAL (400: a path parameter
 * that its allow-list refuses). */
int ap_wa_match(const char *method, const char *path, const struct ap_wa_route **route,
                struct ap_wa_path *pp, char *allow, size_t allowlen, char *err, size_t errlen);

/* The control request's args for this route from its body (may be NULL /
 * empty when the route takes none) and the path's parameters (NULL: none). */
int ap_wa_build(const struct ap_wa_route *r, const struct ap_wa_path *pp, const char *body,
                size_t len, json_t **args, char *err, size_t errlen);

/* One member of the query (?key=value) into args, checked by the route's
 * list. */
int ap_wa_query(const struct ap_wa_route *r, const char *key, const char *value, json_t *args,
                char *err, size_t errlen);

/* The moves of move.show's data ({"moves": [...]}) that the request asks
 * for: with "id" in args the one move (-ENOENT when the journal has it not),
 * else those of "vs" (when given) newer than "after" (when given), as
 * {"moves": [...]}. */
int ap_wa_moves(json_t *data, json_t *args, json_t **out, char *err, size_t errlen);

/* The newest move id of move.show's data (0: none). */
int64_t ap_wa_moves_newest(json_t *data);

/* The HTTP status of one of applianced's error sentences: 403, 404, 409,
 * 500 or 400. */
int ap_wa_status(const char *sentence);

/* The allow-lists of path parameters. */
bool ap_wa_name_ok(const char *s);
bool ap_wa_addr_ok(const char *s);
bool ap_wa_export_ok(const char *s);
bool ap_wa_id_ok(const char *s);

/* Last-Event-ID's value: 0 and *id, or -EINVAL when it is not 1..18 digits. */
int ap_wa_event_id(const char *s, int64_t *id);

#endif
