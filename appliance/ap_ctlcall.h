/*
 * ap_ctlcall.h - a blocking client of applianced's control socket, for the
 * command-line tools (vsadm, appliance-seed): connect, send one JSON request
 * line, read one JSON answer line. (apweb's own, on its event loop, is
 * ap_webcall.h.)
 *
 * The socket is path, else $VSADM_SOCKET, else AP_CTL_SOCKET. A request may
 * hold a secret (a bundle's key, a hash): it is never logged, and jansson's
 * parse errors, which could quote the answer, are reported by position only.
 *
 * Memory: *fd is the caller's to close; *resp is a new reference the caller
 * owns. Errors: 0, or a negative errno with one sentence in err: -ENOENT,
 * -ECONNREFUSED etc. (applianced is not there), -ETIMEDOUT (no answer within
 * the timeout), -EPROTO (an answer that is not JSON), -ENOMEM.
 */
#ifndef AP_CTLCALL_H
#define AP_CTLCALL_H

#include <jansson.h>
#include <stddef.h>

#define AP_CTL_SOCKET "/run/appliance/applianced.sock"

/* timeout_s: how long every later answer may take (SO_RCVTIMEO). */
int ap_ctlcall_connect(const char *path, int timeout_s, int *fd, char *err, size_t errlen);
int ap_ctlcall(int fd, json_t *req, json_t **resp, char *err, size_t errlen);

#endif
