/*
 * ap_websse.h - GET /api/v1/events/stream (issue 12): applianced's event
 * log as server-sent events, on apweb's loop.
 *
 * Each stream follows the log the way `vsadm event show --follow` does:
 * every AP_SSE_POLL_MS it asks applianced (for the session's account, so
 * its role applies) for the events after the last one sent, and writes each
 * as "id: N" and one "data: {JSON}" line. A client's Last-Event-ID resumes
 * after that event; without it the stream starts with the next event after
 * its first line (a comment, sent once the newest event is known). A
 * comment line goes out after AP_SSE_HEARTBEAT_S without an event, so
 * proxies and the client see it alive.
 *
 * Bounded: at most AP_SSE_MAX streams per apweb (more: -EBUSY, the caller
 * answers 503); at most AP_SSE_BUF_MAX bytes waiting for a slow client (no
 * new poll until it has read them). The stream ends when the session is no
 * longer alive (expired, logged out: checked at every poll), when
 * applianced refuses (the account removed or its role changed), or when
 * the hub stops. Nothing blocks: the calls are ap_webcall's, and a stream
 * with nothing to send is a suspended connection, resumed when there is.
 *
 * Memory: the hub owns its streams; a stream is freed when libmicrohttpd
 * frees its response (the connection is over).
 * Errors: 0 or a negative errno.
 */
#ifndef AP_WEBSSE_H
#define AP_WEBSSE_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#define AP_SSE_MAX 8
#define AP_SSE_POLL_MS 500
#define AP_SSE_HEARTBEAT_S 15
#define AP_SSE_BUF_MAX (256 * 1024)

struct ap_sse_hub;

struct ap_sse_env {
	sd_event *ev;
	const char *socket; /* applianced's control socket */
	/* Is the session of this id alive (never extending it)? */
	bool (*alive)(void *arg, const char *sid);
	void *alive_arg;
	/* Run libmicrohttpd soon (a resumed connection). */
	void (*kick)(void *arg);
	void *kick_arg;
};

int ap_sse_hub_new(const struct ap_sse_env *env, struct ap_sse_hub **out);
/* Ends every stream (their connections resumed, to end): before
 * libmicrohttpd stops. */
void ap_sse_hub_stop(struct ap_sse_hub *h);
void ap_sse_hub_free(struct ap_sse_hub *h);
int ap_sse_hub_count(const struct ap_sse_hub *h);

/* A new stream on connection c for account of session sid, of the events
 * of vs (NULL: all), after event `after` (-1: from the next one): *resp to
 * queue (the caller destroys its reference after queueing). -EBUSY: the
 * hub is full. */
int ap_sse_open(struct ap_sse_hub *h, struct MHD_Connection *c, const char *account,
                const char *sid, const char *vs, int64_t after, struct MHD_Response **resp);

#endif
