/*
 * ap_webcall.h - one request of the REST API to applianced's control socket,
 * on apweb's loop: a connection of its own, one JSON line out, one line back
 * (as vsadm does), under a deadline; never blocks.
 *
 * The request line may hold a password (admin.login): its text is wiped
 * once sent, and never logged.
 *
 * Memory: the call owns its connection and buffers; `req` is serialised at
 * start (the caller keeps it). The reply given to `done` is borrowed for the
 * callback only. A call ends exactly once: `done` is called (then the call
 * frees itself), or the caller cancels it first (no callback).
 * Errors: 0 or a negative errno (then no callback will come).
 */
#ifndef AP_WEBCALL_H
#define AP_WEBCALL_H

#include <jansson.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#define AP_WQ_DEADLINE_USEC (20 * 1000000ULL)
#define AP_WQ_REPLY_MAX (4 * 1024 * 1024)

struct ap_wq;

/* reply: applianced's answer ({"ok": ...}), or NULL with why when there is
 * none (unreachable, the deadline, not JSON). */
typedef void (*ap_wq_done)(void *arg, json_t *reply, const char *why);

int ap_wq_start(sd_event *ev, const char *path, const json_t *req, ap_wq_done done, void *arg,
                struct ap_wq **out);
void ap_wq_cancel(struct ap_wq *c);

#endif
