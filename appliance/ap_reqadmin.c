/*
 * ap_reqadmin.c - requests on the console accounts (issue 12): `vsadm admin
 * add|passwd|remove|show`, the web process's `admin.login`, and the gate
 * every request made for an account passes (its role, ap_roles.h).
 *
 * A password reaches applianced as its yescrypt hash (vsadm hashes what it
 * reads, lib_pwhash.h), except at login, where the web process passes what
 * the user typed and applianced checks it against the hash: the web process
 * never sees a hash. Neither a password nor a hash is logged or answered;
 * an event names the account and what changed. A failed login says the same
 * sentence for an unknown name and a wrong password, and costs the same (a
 * dummy hash is computed for an unknown name). The check runs in a child
 * (ap_login.h), so a burst of logins never stalls the event loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_daemon_int.h"
#include "appliance/ap_login.h"
#include "appliance/ap_roles.h"
#include "lib/lib_pwhash.h"
#include "vserver/vs_account.h"

bool ap_d_admin_cmd(const char *cmd)
{
	return strcmp(cmd, "admin.add") == 0 || strcmp(cmd, "admin.passwd") == 0 ||
	       strcmp(cmd, "admin.remove") == 0;
}

static const char *arg(json_t *args, const char *key)
{
	return json_string_value(json_object_get(args, key));
}

int ap_d_admin_change(struct ap_daemon *d, const char *cmd, json_t *args, char *what, size_t wlen,
                      char *err, size_t errlen)
{
	const char *name = arg(args, "name") ?: "", *crypt = arg(args, "crypt_hash");
	int rc;

	if (strcmp(cmd, "admin.add") == 0) {
		rc = vs_account_add(d->cfg, name, arg(args, "role") ?: "", crypt, err, errlen);
		if (rc == 0)
			snprintf(what, wlen, "console account %s added (role %s)", name,
			         vs_role_name(vs_account_find(d->cfg, name)->role));
	} else if (strcmp(cmd, "admin.passwd") == 0) {
		rc = vs_account_passwd(d->cfg, name, crypt, err, errlen);
		snprintf(what, wlen, "password of console account %s changed", name);
	} else if (strcmp(cmd, "admin.remove") == 0) {
		rc = vs_account_remove(d->cfg, name, err, errlen);
		snprintf(what, wlen, "console account %s removed", name);
	} else {
		return snprintf(err, errlen, "Unknown request '%s'.", cmd), -EINVAL;
	}
	if (rc == 0)
		d->cfg->version++;
	return rc;
}

json_t *ap_d_admin_show(struct ap_daemon *d)
{
	return vs_accounts_show_json(d->cfg);
}

/* A login being checked (ap_login.h): the connection to answer, the name. */
struct pending_login {
	struct ap_daemon *d;
	uint64_t conn;
	char name[VS_NAME_MAX + 1]; /* "" when not a valid name */
	bool known;
};

static json_t *refused(const char *name)
{
	lib_warn("console login refused for %s", name[0] ? name : "?");
	return ap_error("The account name or the password is wrong.");
}

static void on_login_checked(void *arg, int matched)
{
	struct pending_login *p = arg;
	/* Found again: the account may have been removed meanwhile. */
	const struct vs_account *a = p->known ? vs_account_find(p->d->cfg, p->name) : NULL;
	json_t *reply;

	if (matched < 0)
		reply = ap_error("The password could not be checked; try again.");
	else if (matched == 1 && a) {
		lib_info("console login of %s (%s)", a->name, vs_role_name(a->role));
		reply = ap_ok("logged in", json_pack("{s:s, s:s}", "name", a->name, "role",
		                                     vs_role_name(a->role)));
	} else
		reply = refused(p->name);
	ap_ctl_reply(p->d->ctl, p->conn, reply);
	free(p);
}

void ap_d_admin_login(struct ap_daemon *d, uint64_t conn, json_t *args)
{
	const char *name = arg(args, "name"), *pw = arg(args, "password");
	const struct vs_account *a = name ? vs_account_find(d->cfg, name) : NULL;
	struct pending_login *p = calloc(1, sizeof(*p));
	char e[160];
	int rc;

	if (!p) {
		ap_ctl_reply(d->ctl, conn, ap_error("Out of memory."));
		return;
	}
	*p = (struct pending_login){.d = d, .conn = conn, .known = a != NULL};
	/* The name only when it is a valid one: it is the client's text. */
	if (name && vs_check_name("account", name, VS_NAME_MAX, e, sizeof(e)) == 0)
		snprintf(p->name, sizeof(p->name), "%s", name);
	if (!pw || !*pw || strlen(pw) > LIB_PW_MAX || strchr(pw, '\n') ||
	    (a && !a->crypt_hash[0])) {
		ap_ctl_reply(d->ctl, conn, refused(p->name));
		free(p);
		return;
	}
	rc = ap_login_start(d->logins, a ? a->crypt_hash : NULL, pw, on_login_checked, p);
	if (rc == 0)
		return;
	free(p);
	ap_ctl_reply(d->ctl, conn,
	             rc == -EBUSY ? ap_error("Too many console logins are being checked at once; "
	                                     "try again in a second.")
	                          : ap_error("The password could not be checked; try again."));
}

json_t *ap_d_actor_gate(struct ap_daemon *d, const char *cmd, json_t *args)
{
	const char *as = arg(args, "_as");
	const struct vs_account *a;

	d->actor[0] = '\0';
	if (!as)
		return NULL;
	if (!(a = vs_account_find(d->cfg, as)))
		return ap_error("The console account '%s' no longer exists.", as);
	if (!ap_role_allows(a->role, cmd)) {
		lib_warn("refused %s for console account %s (%s)", cmd, a->name,
		         vs_role_name(a->role));
		return ap_error("Permission denied: the account %s is %s%s and may not do that.",
		                a->name, a->role == VS_ROLE_OPERATOR ? "an " : "",
		                vs_role_name(a->role));
	}
	snprintf(d->actor, sizeof(d->actor), "%s %s", vs_role_name(a->role), a->name);
	return NULL;
}
