/*
 * ap_webscrape.h - apweb's cache of /metrics: every AP_WS_PERIOD_USEC it asks
 * applianced's control socket (as vsadm does: one JSON request per line, one
 * reply per line) load.show, cluster.show, node.show, vserver.show and
 * move.show, one after the other on one connection, and renders the text
 * (ap_webmetrics.h) that GET /metrics serves until the next refresh.
 *
 * Never blocks the loop: a non-blocking socket watched by sd-event, the whole
 * refresh under a deadline (AP_WS_DEADLINE_USEC), replies bounded
 * (AP_WS_REPLY_MAX bytes a line). A refresh that fails (no socket, refused,
 * a reply that is not JSON, the deadline) keeps the last figures read and
 * sets appliance_scrape_ok 0; the reason is logged once per change. A reply
 * {"ok": false} to one request (load.show outside a cluster) leaves that
 * part out and is not a failure.
 *
 * Only read requests are sent: the socket group's access is enough.
 *
 * Memory: the scraper owns its connection, documents and text; the text
 * returned by ap_ws_text() is valid until the next call into the loop.
 * Errors: 0 or a negative errno.
 */
#ifndef AP_WEBSCRAPE_H
#define AP_WEBSCRAPE_H

#include <stddef.h>
#include <systemd/sd-event.h>

#define AP_WS_PERIOD_USEC (5 * 1000000ULL)
#define AP_WS_DEADLINE_USEC (4 * 1000000ULL)
#define AP_WS_REPLY_MAX (1024 * 1024)

struct ap_ws;

/* path is copied; the first refresh starts at once. */
int ap_ws_create(sd_event *ev, const char *path, struct ap_ws **out);
void ap_ws_destroy(struct ap_ws *ws);
/* The text of /metrics now (never NULL; empty before the first render). */
const char *ap_ws_text(struct ap_ws *ws, size_t *len);

#endif
