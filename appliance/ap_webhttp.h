/*
 * ap_webhttp.h - apweb's HTTPS server: libmicrohttpd with GnuTLS, run by the
 * caller's sd-event loop (MHD_USE_EPOLL without a thread of its own:
 * libmicrohttpd's epoll fd is watched by sd-event, MHD_run is called when it
 * is readable and when MHD_get_timeout says; nothing blocks the loop).
 *
 * Under /api/ it answers the REST API when the caller gives one (opts.rest,
 * ap_webrest.h); elsewhere (ap_wh_route, pure, is the decision):
 *   GET (or HEAD) /metrics   200, the text the scraper has now
 *   GET (or HEAD) / and the console's files (opts.assets, ap_webstatic.h)
 *                            200 from memory, with their cache headers
 *   any other method         405 with "Allow: GET, HEAD"
 *   a body over AP_WH_BODY_MAX bytes (announced, or sent)   413
 *   any other path           404
 * Every refusal has a one-line text body that never repeats the request.
 * Every answer outside /api/ has the console's security headers
 * (Content-Security-Policy, X-Content-Type-Options, Referrer-Policy, ...).
 * Nothing is read from disk per request; there is no directory listing.
 *
 * Bounds: AP_WH_CONN_MAX connections, AP_WH_PER_IP_MAX from one address,
 * AP_WH_TIMEOUT_S of idleness, libmicrohttpd's own header-size limit (its
 * connection memory limit, set to AP_WH_CONN_MEM).
 *
 * Memory: the server borrows the scraper; cert and key are copied (the
 * caller may wipe its copies after create; the server wipes its own).
 * Errors: 0 or a negative errno, with one sentence in err.
 */
#ifndef AP_WEBHTTP_H
#define AP_WEBHTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "appliance/ap_webrest.h"
#include "appliance/ap_webscrape.h"
#include "appliance/ap_webstatic.h"

#define AP_WH_BODY_MAX 1024
#define AP_WH_CONN_MAX 64
#define AP_WH_PER_IP_MAX 16
#define AP_WH_TIMEOUT_S 15
#define AP_WH_CONN_MEM (32 * 1024)

enum ap_wh_route { AP_WH_METRICS, AP_WH_NOT_FOUND, AP_WH_BAD_METHOD, AP_WH_TOO_LARGE };

/* The answer for a request (pure): method and path as received, the
 * announced body length (-1: none announced) and the bytes of body so far. */
enum ap_wh_route ap_wh_route(const char *method, const char *url, long long content_length,
                             uint64_t body_seen);

/* A request's announced Content-Length: -1 when none, LLONG_MAX when it is
 * not a number (refused as too large). */
struct MHD_Connection;
long long ap_wh_content_length(struct MHD_Connection *c);

struct ap_wh_opts {
	const struct sockaddr *addr; /* where to listen */
	socklen_t addrlen;
	const char *cert, *key;      /* PEM */
	struct ap_wr *rest;          /* the REST API (borrowed), NULL: none */
	const struct ap_wst *assets; /* the console's files (borrowed), NULL: none */
};

struct ap_wh;

int ap_wh_create(sd_event *ev, const struct ap_wh_opts *o, struct ap_ws *scraper,
                 struct ap_wh **out, char *err, size_t errlen);
void ap_wh_destroy(struct ap_wh *wh);

/* Serve another certificate and key (PEM, copied; checked by the caller,
 * ap_certcheck.h): a new libmicrohttpd daemon takes over the listening
 * socket (MHD_quiesce_daemon), then the old one stops. Connections open on
 * the old one are closed and requests in flight on them dropped; clients
 * reconnect. When GnuTLS refuses the new pair the served one is started
 * again (-EINVAL); -EIO when neither starts (nothing is served any more:
 * the caller should exit so that it is restarted). */
int ap_wh_set_cert(struct ap_wh *wh, const char *cert, const char *key, char *err, size_t errlen);

#endif
