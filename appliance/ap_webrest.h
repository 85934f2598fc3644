/*
 * ap_webrest.h - apweb's REST API over libmicrohttpd (issue 12): sessions,
 * CSRF, login limits and the calls to applianced behind /api/v1. The
 * decisions are pure and elsewhere (ap_webapi.h routes and JSON,
 * ap_websess.h sessions and tokens, ap_weblimit.h limits); this is the glue.
 *
 *   - Every path but POST /api/v1/login needs a live session: the cookie
 *     apweb_session (HttpOnly, Secure, SameSite=Strict, Path=/) set at login;
 *     none or an expired one: 401.
 *   - Every method but GET needs X-CSRF-Token equal to the session's token
 *     (the login's body gives it): missing or wrong: 403.
 *   - The request goes to applianced with "as": the session's account, so
 *     applianced applies its role (ap_roles.h) and names it in the event
 *     log; its one-sentence refusal comes back as {"error": ...} with the
 *     status of ap_wa_status (403, 404, 409, 400); applianced unreachable
 *     or silent: 503. A login over its rate limit or to a locked account:
 *     429 with Retry-After. A full session table: 503, logged.
 *   - A body over AP_WA_BODY_MAX: 413.
 *   - Long actions answer 202 at once with "poll": start and stop (no_wait)
 *     the VS to poll; migrate and evacuate the moves, after the newest
 *     move id of the journal read just before them ("moves_after").
 *   - GET /api/v1/moves and /moves/{id}: move.show, filtered here.
 *   - A password of a body (users, console accounts) is hashed here as
 *     vsadm does (lib_pwhash): only its hashes go to applianced; the body
 *     is wiped once read.
 *   - GET /api/v1/events/stream: a stream of ap_websse.h (503 past its cap).
 * A request waiting for applianced is suspended in libmicrohttpd (never
 * blocking the loop) and resumed by the reply.
 *
 * Memory: the REST state owns its sessions and its calls; a request's state
 * (con_cls) is freed by ap_wr_completed.
 * Errors: 0 or a negative errno.
 */
#ifndef AP_WEBREST_H
#define AP_WEBREST_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "appliance/ap_weblimit.h"

struct ap_wr_opts {
	const char *socket;     /* applianced's control socket */
	uint64_t idle_s, max_s; /* session expiry (0: the defaults) */
	struct ap_lim_cfg lim;  /* zero: the defaults */
	const char *spool_dir;  /* where an uploaded update goes (NULL: no uploads) */
	int spool_fd;           /* that directory, opened before root was left */
};

struct ap_wr;

int ap_wr_create(sd_event *ev, const struct ap_wr_opts *o, struct ap_wr **out);
/* Ends the calls in flight (their requests get 503 and are resumed): before
 * libmicrohttpd stops (ap_wh_destroy calls it). */
void ap_wr_stop(struct ap_wr *wr);
/* ap_wr_stop, then frees; after ap_wh_destroy. */
void ap_wr_destroy(struct ap_wr *wr);

/* The server's: how to make libmicrohttpd run once a connection is resumed
 * (resuming alone does not wake its loop here). */
void ap_wr_set_kick(struct ap_wr *wr, void (*kick)(void *arg), void *arg);

bool ap_wr_is_api(const char *url);
/* libmicrohttpd's access handler for an /api/ URL. */
enum MHD_Result ap_wr_request(struct ap_wr *wr, struct MHD_Connection *c, const char *url,
                              const char *method, const char *upload, size_t *upload_size,
                              void **req);
void ap_wr_completed(void *req);

#endif
