/*
 * ap_reqcert.c - requests on the console's TLS certificate (issue 12):
 *
 *   cert.set   {cert, key}  the administrator's pair, in the canonical form
 *                           vsadm's validator writes (ap_certcheck.h); root
 *                           or the admin group, or an admin account
 *   cert.reset {}           back to each node's self-signed certificate
 *                           (same callers)
 *   cert.show  {}           {source, fingerprint, cert}: never the key
 *                           (a read: the socket group, every role)
 *   cert.get   {}           cert.show with the key: to the web process's own
 *                           uid alone, never for an account (ap_ctl.h gates
 *                           it before it gets here; checked again below)
 *
 * The pair is kept in the replicated configuration (vs_tls.h), so every
 * node's apweb fetches the same one. applianced checks its form only (no
 * X.509 is parsed as root: why, in ap_certcheck.h); the event of a change
 * names who made it (by uid, or the account) and the new fingerprint, never
 * the key.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "appliance/ap_daemon_int.h"
#include "vserver/vs_tls.h"

bool ap_d_cert_read(const char *cmd)
{
	return strcmp(cmd, "cert.show") == 0 || strcmp(cmd, "cert.get") == 0;
}

bool ap_d_cert_cmd(const char *cmd)
{
	return strcmp(cmd, "cert.set") == 0 || strcmp(cmd, "cert.reset") == 0;
}

void ap_d_cert_answer(struct ap_daemon *d, uint64_t conn, const char *cmd, json_t *args)
{
	json_t *data = vs_tls_show_json(d->cfg);

	if (strcmp(cmd, "cert.get") == 0) {
		if (json_object_get(args, "_as")) { /* ap_ctl refuses it first */
			json_decref(data);
			ap_ctl_reply(
			    d->ctl, conn,
			    ap_error("Permission denied: the console's key is given to the "
			             "web process alone, never for an account."));
			return;
		}
		if (data && d->cfg->tls_key)
			json_object_set_new(data, "key", json_string(d->cfg->tls_key));
	}
	ap_ctl_reply(d->ctl, conn, data ? ap_ok(NULL, data) : ap_error("Out of memory."));
}

int ap_d_cert_change(struct ap_daemon *d, const char *cmd, json_t *args, char *what, size_t wlen,
                     char *err, size_t errlen)
{
	char fpr[VS_TLS_FPR_LEN];
	int rc;

	if (strcmp(cmd, "cert.reset") == 0) {
		rc = vs_tls_reset(d->cfg);
		snprintf(what, wlen,
		         rc ? "no console certificate was set; each node's apweb serves its own "
		              "self-signed one"
		            : "console certificate reset: each node's apweb serves its own "
		              "self-signed one again");
		if (rc == 0)
			d->cfg->version++;
		return 0;
	}
	rc = vs_tls_set(d->cfg, json_string_value(json_object_get(args, "cert")),
	                json_string_value(json_object_get(args, "key")), err, errlen);
	if (rc < 0)
		return rc;
	if (vs_tls_fingerprint(d->cfg->tls_cert, fpr, sizeof(fpr)) < 0)
		snprintf(fpr, sizeof(fpr), "?"); /* the form check decoded it: cannot be */
	snprintf(what, wlen,
	         rc ? "the console certificate %s is already set; nothing changed"
	            : "console certificate set: %s, served by every node's apweb",
	         fpr);
	if (rc == 0)
		d->cfg->version++;
	return 0;
}
