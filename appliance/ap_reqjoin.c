/*
 * ap_reqjoin.c - `vsadm vserver join VS --domain REALM [--dc ADDR] --user U
 * --password-stdin` and `vsadm vserver leave VS [--user U
 * --password-stdin]` (issue 11 item 5, DESIGN 7a). Every value is checked
 * by allow-list first (one sentence per refusal, nothing changed); the join
 * itself runs off the event loop in the VS's runtime (vs_runtime_join),
 * and only its success changes the configuration: the realm, the short
 * domain name as the DC gave it, the DC and the idmap range, never a
 * password. The administrator's password lives in this process only while
 * net is started, and is never logged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <ctype.h>

#include "appliance/ap_daemon_int.h"
#include "fsexport/fx_join.h"
#include "lib/lib_log.h"
#include "lib/lib_pwhash.h"

struct join_wait {
	struct ap_daemon *d;
	uint64_t conn;
	uid_t uid;
	bool leave;
	char vs[VS_NAME_MAX + 1];
	char user[FX_JOIN_USER_MAX + 1];
};

/* The machine account of a VS: its NetBIOS name (fx_samba) and '$'. */
static void machine_account(const char *vs, char *buf, size_t len)
{
	size_t k;

	for (k = 0; vs[k] && k < 15 && k + 2 < len; k++)
		buf[k] = (char)toupper((unsigned char)vs[k]);
	buf[k++] = '$';
	buf[k] = '\0';
}

static void on_joined(void *arg, int rc, const char *sentence, const struct vs_join *found)
{
	struct join_wait *w = arg;
	struct ap_daemon *d = w->d;
	char what[512], err[VS_ERR_LEN], acct[20];
	struct vs_vserver *v = vs_config_find(d->cfg, w->vs);
	const char *realm = v ? v->join.realm : "";

	machine_account(w->vs, acct, sizeof(acct));
	if (rc < 0) {
		ap_d_eventf(d, w->vs, "warning", "%s of a domain by uid %u failed: %s",
		            w->leave ? "leave" : "join", (unsigned)w->uid, sentence);
		ap_ctl_reply(d->ctl, w->conn, ap_error("%s", sentence));
		free(w);
		return;
	}
	if (w->leave)
		snprintf(what, sizeof(what), "left domain %s%s%s", realm,
		         w->user[0] ? "" : " (here only: its machine account stays in the domain)",
		         sentence);
	else
		snprintf(what, sizeof(what), "joined domain %s (%s) as %s through %s (%s)%s",
		         found->realm, found->workgroup, acct, found->dc_name, found->dc_addr,
		         sentence);
	/* The configuration to go back to in a cluster (ap_d_commit), as every
	 * change request takes it: this one comes back later than its request. */
	if (vs_config_copy(d->before, d->cfg) < 0) {
		ap_ctl_reply(d->ctl, w->conn,
		             ap_error("%s %s the domain, but it cannot be recorded: out of memory.",
		                      w->vs, w->leave ? "left" : "joined"));
		free(w);
		return;
	}
	rc = vs_config_set_join(d->cfg, w->vs, w->leave ? NULL : found, err, sizeof(err));
	if (rc < 0) {
		ap_ctl_reply(d->ctl, w->conn,
		             ap_error("%s %s the domain, but it cannot be recorded: %s", w->vs,
		                      w->leave ? "left" : "joined", err));
		free(w);
		return;
	}
	if (ap_d_commit(d, w->conn, w->vs, what, w->uid) == 0)
		ap_ctl_reply(d->ctl, w->conn, ap_ok(what, NULL));
	free(w);
}

static const char *str(json_t *args, const char *key)
{
	return json_string_value(json_object_get(args, key));
}

/* Checks of join and leave; 0, or -EINVAL etc. with the sentence. */
static int check(struct ap_daemon *d, bool leave, json_t *args, const char *name, char *err,
                 size_t errlen)
{
	const char *realm = str(args, "domain"), *user = str(args, "user"), *dc = str(args, "dc");
	const char *pw = str(args, "password");
	unsigned char bin[16];
	struct vs_vserver *v;
	int rc = vs_config_need(d->cfg, name, &v, err, errlen);

	if (rc < 0)
		return rc;
	if (user && !fx_join_user_ok(user))
		return snprintf(err, errlen,
		                "A domain user name has 1 to %d letters, digits, '.', '_' or '-', "
		                "and does not start with '-' or '.'.",
		                FX_JOIN_USER_MAX),
		       -EINVAL;
	if (user && (!pw || !pw[0]))
		return snprintf(err, errlen,
		                "Give the domain user's password on stdin (--password-stdin)."),
		       -EINVAL;
	if (pw && strlen(pw) > LIB_PW_MAX)
		return snprintf(err, errlen, "A password has at most %d bytes.", LIB_PW_MAX),
		       -EINVAL;
	if (leave) {
		if (!v->join.realm[0])
			return snprintf(err, errlen, "%s is not joined to a domain.", name),
			       -ENOENT;
		return 0;
	}
	if (!realm || !fx_join_realm_ok(realm))
		return snprintf(err, errlen,
		                "A realm is a DNS name of letters, digits and '-' in at least two "
		                "dot-separated labels (LAB.EXAMPLE.ORG)."),
		       -EINVAL;
	if (!user)
		return snprintf(err, errlen, "Give the domain administrator with --user."), -EINVAL;
	if (dc && inet_pton(AF_INET, dc, bin) != 1 && inet_pton(AF_INET6, dc, bin) != 1)
		return snprintf(err, errlen, "Give the domain controller as an IP address (--dc)."),
		       -EINVAL;
	if (v->join.realm[0])
		return snprintf(err, errlen,
		                "%s is joined to %s already: 'vsadm vserver leave %s' first.", name,
		                v->join.realm, name),
		       -EEXIST;
	return 0;
}

void ap_d_vserver_join(struct ap_daemon *d, uint64_t conn, uid_t uid, const char *cmd, json_t *args)
{
	bool leave = strcmp(cmd, "vserver.leave") == 0;
	const char *name = str(args, "name") ?: "";
	char err[VS_ERR_LEN], realm[FX_JOIN_REALM_MAX + 1] = "";
	struct rt_entry *e;
	struct join_wait *w = NULL;
	int rc = check(d, leave, args, name, err, sizeof(err));

	if (rc == 0) {
		const struct vs_vserver *v = vs_config_find(d->cfg, name);
		if (leave)
			snprintf(realm, sizeof(realm), "%s", v->join.realm);
		else
			rc = fx_join_realm_upper(str(args, "domain"), realm, sizeof(realm));
		e = ap_d_find_rt(d, name);
		struct vs_join_req req = {.realm = realm,
		                          .user = str(args, "user"),
		                          .dc = leave ? v->join.dc_addr : str(args, "dc"),
		                          .password = str(args, "password"),
		                          .leave = leave};
		if (!(w = calloc(1, sizeof(*w)))) {
			rc = -ENOMEM;
			snprintf(err, sizeof(err), "Out of memory.");
		} else {
			*w = (struct join_wait){.d = d, .conn = conn, .uid = uid, .leave = leave};
			snprintf(w->vs, sizeof(w->vs), "%s", name);
			snprintf(w->user, sizeof(w->user), "%s", req.user ? req.user : "");
		}
		if (rc == 0 && leave && !req.user &&
		    (!e || !e->rt || vs_runtime_state(e->rt) != VS_RT_RUNNING)) {
			/* Not here, nothing to ask the domain: only the record goes. */
			on_joined(w, 0, "", NULL);
			w = NULL;
		} else if (rc == 0 && (!e || !e->rt)) {
			rc = -EAGAIN;
			snprintf(err, sizeof(err),
			         "%s does not run on this node: a join needs it running here, for "
			         "its file system holds the machine secret.",
			         name);
		} else if (rc == 0) {
			rc = vs_runtime_join(e->rt, &req, on_joined, w, err, sizeof(err));
			if (rc == 0)
				w = NULL; /* on_joined frees it */
		}
	}
	/* The password is in the request only: wipe it there. */
	json_t *pw = json_object_get(args, "password");
	if (pw && json_is_string(pw)) {
		char *p = (char *)json_string_value(pw);
		explicit_bzero(p, strlen(p));
	}
	free(w);
	if (rc < 0) {
		lib_info("refused %s from uid %u: %s", cmd, (unsigned)uid, err);
		ap_ctl_reply(d->ctl, conn, ap_error("%s", err));
	}
}
