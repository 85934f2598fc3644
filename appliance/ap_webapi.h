/*
 * ap_webapi.h - the REST API's core (issue 12), pure: the routing table,
 * a request's JSON body mapped to the control request applianced already
 * knows (the same validation then applies, and the same one-sentence
 * errors), and an error sentence mapped to its HTTP status.
 *
 * Routes (docs/api/openapi.yaml describes exactly these; a unit test checks
 * the two against each other):
 *   POST   /api/v1/login                  {name, password}: a session
 *   POST   /api/v1/logout
 *   GET    /api/v1/vservers               vserver.show
 *   POST   /api/v1/vservers               vserver.create {name, priority?, pinned?, home?}
 *   GET    /api/v1/vservers/{name}        vserver.show {name}
 *   DELETE /api/v1/vservers/{name}        vserver.delete {force?}
 *   POST   /api/v1/vservers/{name}/start  vserver.start (returns at once)
 *   POST   /api/v1/vservers/{name}/stop   vserver.stop (returns at once)
 *   POST   /api/v1/vservers/{name}/migrate vserver.migrate {to} or {home: true}
 *   GET    /api/v1/nodes, /luns, /events, /moves, /load, /cluster
 *
 * Inputs are hostile: a path parameter is checked by allow-list (1..31 of
 * [A-Za-z0-9_-], a letter first) before anything uses it; a body must be a
 * JSON object of at most AP_WA_BODY_MAX bytes whose members are those the
 * route names, each of its type; a sentence never quotes a value the client
 * sent except a name that passed the allow-list.
 *
 * Memory: the table is static; ap_wa_build's *args is a new reference.
 * Errors: 0 or a negative errno with one sentence in err.
 */
#ifndef AP_WEBAPI_H
#define AP_WEBAPI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define AP_WA_BODY_MAX (16 * 1024)
#define AP_WA_NAME_MAX 31

enum ap_wa_op { AP_WA_LOGIN, AP_WA_LOGOUT, AP_WA_CALL };

struct ap_wa_route {
	const char *method;  /* "GET", "POST", "DELETE" */
	const char *pattern; /* "/api/v1/vservers/{name}/start" */
	enum ap_wa_op op;
	const char *cmd;         /* the control request (AP_WA_CALL) */
	const char *const *keys; /* the body's members, "name:type" (s, i, b); NULL: none */
	bool changes;            /* needs the CSRF token (every method but GET) */
	int ok_status;           /* 200, 201 */
};

/* The whole table (for the OpenAPI check). */
const struct ap_wa_route *ap_wa_routes(size_t *n);

/* The route of method + path: 0 and *route (with the path's name in name,
 * "" when it has none), -ENOENT (404: no such path), -EPERM (405: the path
 * exists, not with this method; allow gets "GET, POST" etc.), -EINVAL (400:
 * a path parameter that is not a name). */
int ap_wa_match(const char *method, const char *path, const struct ap_wa_route **route,
                char name[AP_WA_NAME_MAX + 1], char *allow, size_t allowlen, char *err,
                size_t errlen);

/* The control request's args for this route from its body (may be NULL /
 * empty when the route takes none) and the path's name. */
int ap_wa_build(const struct ap_wa_route *r, const char *name, const char *body, size_t len,
                json_t **args, char *err, size_t errlen);

/* The HTTP status of one of applianced's error sentences: 403, 404, 409 or
 * 400. */
int ap_wa_status(const char *sentence);

/* Is s a name by the path's allow-list? */
bool ap_wa_name_ok(const char *s);

#endif
