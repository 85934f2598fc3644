/*
 * ap_ctl.h - the control socket of applianced.
 *
 * A Unix stream socket; every request is one line of JSON
 * {"cmd": "...", "args": {...}} and gets one line of JSON back,
 * {"ok": true, "message": "...", "data": ...} or {"ok": false, "error": "..."}.
 * vsadm and (later) the unprivileged REST server are its clients. The peer's
 * credentials (SO_PEERCRED) are checked on accept: only root, or a member of
 * the allowed group, may talk to it.
 *
 * A request may be answered later (vsadm waits for a start to finish): the
 * handler keeps the connection id and calls ap_ctl_reply() when ready. A
 * connection that went away meanwhile is simply skipped.
 *
 * Memory: the server owns its connections; replies passed in are stolen.
 * Errors: 0 or a negative errno.
 */
#ifndef AP_CTL_H
#define AP_CTL_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#define AP_CTL_LINE_MAX (256 * 1024)

struct ap_ctl;

/* Called for every request; must eventually call ap_ctl_reply(conn_id). */
typedef void (*ap_ctl_handler)(void *arg, uint64_t conn_id, uid_t uid, const char *cmd,
                               json_t *args);

int ap_ctl_create(sd_event *ev, const char *path, gid_t allowed_gid, ap_ctl_handler handler,
                  void *arg, struct ap_ctl **out);
void ap_ctl_destroy(struct ap_ctl *ctl);
/* Steals `resp`. Returns -ENOENT if the connection is gone. */
int ap_ctl_reply(struct ap_ctl *ctl, uint64_t conn_id, json_t *resp);

/* Response helpers (new references). */
json_t *ap_ok(const char *message, json_t *data_stolen);
json_t *ap_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
