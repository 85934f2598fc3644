/*
 * vs_rt_join.c - a running VS joins an Active Directory domain, or leaves
 * it (vs_runtime.h: vs_runtime_join), and the parts of its samba
 * configuration a join brings (vs_runtime_int.h: vs_rt_member).
 *
 * Recipe (docs/research/ad-join, Samba 4.17): `net ads lookup` asks the DC
 * (CLDAP) for its DNS name and the domain's short name; `net ads join -S
 * DC` then connects to the DC by that name, so the VS's mount namespace
 * gets a hosts file naming it, and Kerberos a krb5.conf with the KDC by
 * address (KRB5_CONFIG). The machine secret (private/secrets.tdb) and the
 * idmap state are under .appliance/samba on the VS's first file system:
 * the join moves with the VS. The administrator's password reaches net on
 * its stdin (a pipe, lib_run's stdin_data) and is wiped from memory as
 * soon as net has been started.
 */
#include "vserver/vs_runtime_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fsexport/fx_join.h"
#include "fsexport/fx_tree.h"
#include "lib/lib_fs.h"
#include "lib/lib_log.h"
#include "lib/lib_mntns.h"

#define JOIN_STEP_USEC (60ULL * 1000000) /* each net command's deadline */

enum join_step { STEP_LOOKUP, STEP_JOIN, STEP_KEYTAB, STEP_LEAVE };

struct vs_rt_join {
	struct vs_runtime *rt;
	enum join_step step;
	bool leave;
	char realm[VS_JOIN_REALM_MAX + 1], user[FX_JOIN_USER_MAX + 1], dc[VS_ADDR_MAX + 1];
	char pwline[LIB_RUN_STDIN_MAX]; /* the password and a newline, wiped once used */
	struct vs_join found;
	struct lib_run *run;
	vs_join_done_fn done;
	void *arg;
	char note[VS_ERR_LEN]; /* what the done sentence adds (keytab, remote leave) */
};

int vs_rt_member(struct vs_runtime *rt, const struct vs_join *j, struct vs_rt_member *out)
{
	const struct mountst *first =
	    rt->want.n_fs ? vs_rt_find_mount(rt, rt->want.fs[0].name) : NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!first || !first->mounted)
		return -EAGAIN;
	rc = fx_tree_state_path(first->dir, "samba", out->secrets, sizeof(out->secrets));
	if (rc == 0)
		rc = lib_mkdir_p(out->secrets, 0700);
	if (rc == 0)
		rc = fx_samba_mkdirs(out->secrets);
	if (rc < 0)
		return rc;
	vs_rt_file(rt, "winbindd", out->wbdir, sizeof(out->wbdir));
	vs_rt_file(rt, "krb5.conf", out->krb5, sizeof(out->krb5));
	vs_rt_file(rt, "hosts", out->hosts, sizeof(out->hosts));
	snprintf(out->krb5env, sizeof(out->krb5env), "KRB5_CONFIG=%s", out->krb5);
	if ((rc = lib_mkdir_p(out->wbdir, 0755)) < 0)
		return rc;
	out->m = (struct fx_smb_member){.realm = j->realm,
	                                .workgroup = j->workgroup,
	                                .dc_addr = j->dc_addr[0] ? j->dc_addr : NULL,
	                                .secrets_dir = out->secrets,
	                                .winbindd_dir = out->wbdir,
	                                .rid_lo = j->rid_lo,
	                                .rid_hi = j->rid_hi,
	                                .star_lo = FX_JOIN_STAR_LO,
	                                .star_hi = FX_JOIN_STAR_HI};
	return 0;
}

int vs_rt_member_files(struct vs_runtime *rt, const struct vs_join *j, struct vs_rt_member *mb)
{
	char *text = NULL;
	int rc = fx_join_krb5_conf(j->realm, j->dc_addr, &text);

	if (rc == 0) {
		rc = lib_write_file(mb->krb5, text, strlen(text), 0644);
		free(text);
		text = NULL;
	}
	if (rc >= 0)
		rc = fx_join_hosts(j->dc_addr, j->dc_name, &text);
	if (rc >= 0) {
		rc = lib_write_file(mb->hosts, text, strlen(text), 0644);
		free(text);
	}
	return rc < 0 ? rc : 0;
}

/* The [global]-only smb.conf net runs with (join-smb.conf). */
static int write_join_conf(struct vs_runtime *rt, const struct vs_join *j, struct vs_rt_member *mb,
                           char *file, size_t len)
{
	struct vs_rt_smb_base base;
	struct fx_samba_params sp;
	char *text = NULL;
	int rc;

	if ((rc = vs_rt_member(rt, j, mb)) < 0)
		return rc;
	vs_rt_smb_params(rt, &base, &sp);
	sp.member = &mb->m;
	if ((rc = fx_samba_conf(&sp, &text)) < 0)
		return rc;
	vs_rt_file(rt, "join-smb.conf", file, len);
	rc = lib_write_file(file, text, strlen(text), 0644);
	free(text);
	return rc < 0 ? rc : 0;
}

static void finish(struct vs_rt_join *op, int rc, const char *sentence)
{
	struct vs_runtime *rt = op->rt;

	explicit_bzero(op->pwline, sizeof(op->pwline));
	rt->join = NULL;
	op->done(op->arg, rc, sentence, rc == 0 && !op->leave ? &op->found : NULL);
	lib_run_destroy(op->run);
	explicit_bzero(op, sizeof(*op));
	free(op);
}

void vs_rt_join_destroy(struct vs_runtime *rt)
{
	if (rt->join)
		finish(rt->join, -ECANCELED,
		       "The virtual server stopped here before the join ended; it is not joined.");
}

static void on_step(struct lib_run *run, const struct lib_run_result *res, void *arg);

/* Run one net command in the VS's network namespace, with its hosts file
 * (when it has one) and KRB5_CONFIG; the password on stdin when with_pw. */
static int run_net(struct vs_rt_join *op, const char *const *cmd, struct vs_rt_member *mb,
                   bool with_pw)
{
	struct vs_runtime *rt = op->rt;
	const char *const binds[][2] = {{mb->hosts, "/etc/hosts"}};
	const char *argv[32], *env[] = {mb->krb5env, NULL};
	bool hosts = access(mb->hosts, R_OK) == 0;
	int rc = hosts ? lib_mntns_argv(rt->self_exe, binds, 1, NULL, cmd, argv, 32) : 0;

	if (rc < 0)
		return rc;
	struct lib_run_opts o = {.argv = hosts ? argv : cmd,
	                         .netns_fd = rt->nsfd,
	                         .timeout_usec = JOIN_STEP_USEC,
	                         .capture = true,
	                         .stdin_data = with_pw ? op->pwline : NULL,
	                         .env = env};
	lib_run_destroy(op->run);
	op->run = NULL;
	rc = lib_run_start(rt->env.ev, &o, on_step, op, &op->run);
	return rc;
}

static int start_lookup(struct vs_rt_join *op)
{
	struct vs_rt_member mb;
	char conf[PATH_MAX];
	struct vs_join guess = {.rid_lo = FX_JOIN_RID_LO, .rid_hi = FX_JOIN_RID_HI};
	size_t k;

	snprintf(guess.realm, sizeof(guess.realm), "%s", op->realm);
	snprintf(guess.dc_addr, sizeof(guess.dc_addr), "%s", op->dc);
	/* The short name is not known yet: the realm's first label stands in. */
	for (k = 0; op->realm[k] && op->realm[k] != '.' && k < VS_JOIN_WG_MAX; k++)
		guess.workgroup[k] = op->realm[k];
	int rc = write_join_conf(op->rt, &guess, &mb, conf, sizeof(conf));
	if (rc < 0)
		return rc;
	unlink(mb.hosts); /* none before the DC has named itself */
	const char *cmd[] = {"net",  "ads", "lookup", "-s", conf, op->dc[0] ? "-S" : NULL,
	                     op->dc, NULL};
	op->step = STEP_LOOKUP;
	return run_net(op, cmd, &mb, false);
}

static int start_join(struct vs_rt_join *op, enum join_step step)
{
	struct vs_rt_member mb;
	char conf[PATH_MAX];
	int rc = write_join_conf(op->rt, &op->found, &mb, conf, sizeof(conf));

	if (rc == 0)
		rc = vs_rt_member_files(op->rt, &op->found, &mb);
	if (rc < 0)
		return rc;
	op->step = step;
	if (step == STEP_KEYTAB) {
		const char *cmd[] = {"net", "ads", "keytab", "create", "-s", conf, "-P", NULL};
		return run_net(op, cmd, &mb, false);
	}
	const char *cmd[] = {"net",    "ads", step == STEP_JOIN ? "join" : "leave",
	                     "-s",     conf,  "-U",
	                     op->user, "-S",  op->found.dc_addr,
	                     NULL};
	return run_net(op, cmd, &mb, true);
}

/* The machine secret and keytab of a VS that leaves. */
static void forget_secrets(struct vs_rt_join *op)
{
	struct vs_rt_member mb;
	char f[PATH_MAX + 32];
	static const char *const files[] = {"secrets.tdb", "krb5.keytab", "netlogon_creds_cli.tdb"};

	if (vs_rt_member(op->rt, &op->found, &mb) < 0)
		return;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(f, sizeof(f), "%s/private/%s", mb.secrets, files[i]);
		if (unlink(f) < 0 && errno != ENOENT)
			lib_warn("%s: cannot remove %s: %s", op->rt->want.name, f, strerror(errno));
	}
}

static void on_step(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct vs_rt_join *op = arg;
	char sentence[VS_ERR_LEN];
	bool ok = res->end == LIB_RUN_EXITED && res->exit_code == 0;
	int rc;

	if (res->end == LIB_RUN_TIMED_OUT || res->end == LIB_RUN_STUCK) {
		if (op->step == STEP_KEYTAB)
			goto keytab_done;
		snprintf(sentence, sizeof(sentence),
		         "The domain controller%s%s did not answer within %llu s; the virtual "
		         "server is %s.",
		         op->found.dc_addr[0] ? " at " : "", op->found.dc_addr,
		         (unsigned long long)(JOIN_STEP_USEC / 1000000),
		         op->leave ? "left only here" : "not joined");
		if (op->leave) {
			forget_secrets(op);
			finish(op, 0, sentence);
		} else {
			finish(op, -ETIMEDOUT, sentence);
		}
		return;
	}
	switch (op->step) {
	case STEP_LOOKUP: {
		struct fx_join_dc dc;
		if (!ok && !op->dc[0]) {
			snprintf(sentence, sizeof(sentence),
			         "No domain controller of %s was found through DNS (give one with "
			         "--dc); the virtual server is not joined.",
			         op->realm);
			finish(op, -EHOSTUNREACH, sentence);
			return;
		}
		if (!ok) {
			fx_join_failure(res->output, op->realm, op->dc, sentence, sizeof(sentence));
			finish(op, -EHOSTUNREACH, sentence);
			return;
		}
		rc = fx_join_parse_lookup(res->output, &dc);
		if (rc < 0) {
			snprintf(sentence, sizeof(sentence),
			         "The domain controller's answer %s; the virtual server is not "
			         "joined.",
			         rc == -ENOENT ? "lacks its name or the domain's"
			                       : "names it or the domain with characters this "
			                         "appliance refuses");
			finish(op, -EPROTO, sentence);
			return;
		}
		if (strcasecmp(dc.domain, op->realm) != 0) {
			snprintf(sentence, sizeof(sentence),
			         "The domain controller at %s serves %s, not the realm %s; the "
			         "virtual server is not joined.",
			         op->dc[0] ? op->dc : dc.addr, dc.domain, op->realm);
			finish(op, -ENOENT, sentence);
			return;
		}
		snprintf(op->found.realm, sizeof(op->found.realm), "%s", op->realm);
		snprintf(op->found.workgroup, sizeof(op->found.workgroup), "%s", dc.workgroup);
		snprintf(op->found.dc_addr, sizeof(op->found.dc_addr), "%s",
		         op->dc[0] ? op->dc : dc.addr);
		snprintf(op->found.dc_name, sizeof(op->found.dc_name), "%s", dc.dc_name);
		op->found.rid_lo = FX_JOIN_RID_LO;
		op->found.rid_hi = FX_JOIN_RID_HI;
		if (!op->found.dc_addr[0]) {
			finish(op, -EPROTO,
			       "The domain controller found by DNS gave no address; give it with "
			       "--dc.");
			return;
		}
		rc = start_join(op, op->leave ? STEP_LEAVE : STEP_JOIN);
		if (rc < 0) {
			snprintf(sentence, sizeof(sentence),
			         "Cannot run net ads %s: %s; the virtual server is %s.",
			         op->leave ? "leave" : "join", strerror(-rc),
			         op->leave ? "still joined" : "not joined");
			finish(op, rc, sentence);
			return;
		}
		explicit_bzero(op->pwline, sizeof(op->pwline)); /* in net's pipe now */
		return;
	}
	case STEP_JOIN:
		if (!ok) {
			fx_join_failure(res->output, op->realm, op->found.dc_addr, sentence,
			                sizeof(sentence));
			finish(op, -EACCES, sentence);
			return;
		}
		if (start_join(op, STEP_KEYTAB) == 0)
			return;
		snprintf(op->note, sizeof(op->note), " (its keytab was not made)");
		break;
	case STEP_KEYTAB:
		if (!ok)
			snprintf(op->note, sizeof(op->note),
			         " (net ads keytab create failed: Kerberos logins may be refused)");
		break;
	case STEP_LEAVE:
		if (!ok) {
			fx_join_failure(res->output, op->realm, op->found.dc_addr, sentence,
			                sizeof(sentence));
			/* "...; the virtual server is not joined." reads wrong here */
			char *cut = strstr(sentence, "; the virtual server");
			if (cut)
				*cut = '\0';
			snprintf(op->note, sizeof(op->note),
			         "; its machine account stays in the domain: %.200s", sentence);
		}
		forget_secrets(op);
		break;
	}
keytab_done:
	snprintf(sentence, sizeof(sentence), "%s", op->note);
	finish(op, 0, sentence);
}

int vs_runtime_join(struct vs_runtime *rt, const struct vs_join_req *req, vs_join_done_fn done,
                    void *arg, char *err, size_t errlen)
{
	struct vs_rt_join *op;
	int rc;

	if (rt->join)
		return snprintf(err, errlen, "%s is joining or leaving a domain already.",
		                rt->want.name),
		       -EBUSY;
	if (rt->state != VS_RT_RUNNING || rt->nsfd < 0)
		return snprintf(err, errlen,
		                "%s does not run on this node: a join needs it running, for its "
		                "file system holds the machine secret.",
		                rt->want.name),
		       -EAGAIN;
	if (!(op = calloc(1, sizeof(*op))))
		return snprintf(err, errlen, "Out of memory."), -ENOMEM;
	*op = (struct vs_rt_join){.rt = rt, .leave = req->leave, .done = done, .arg = arg};
	snprintf(op->realm, sizeof(op->realm), "%s", req->realm);
	snprintf(op->user, sizeof(op->user), "%s", req->user ? req->user : "");
	snprintf(op->dc, sizeof(op->dc), "%s", req->dc ? req->dc : "");
	if (req->password && (size_t)snprintf(op->pwline, sizeof(op->pwline), "%s\n",
	                                      req->password) >= sizeof(op->pwline)) {
		free(op);
		return snprintf(err, errlen, "The password is too long."), -E2BIG;
	}
	if (req->leave && !req->user) {
		/* Only here: nothing to ask the domain. */
		rt->join = op;
		forget_secrets(op);
		finish(op, 0, "");
		return 0;
	}
	rc = start_lookup(op);
	if (rc < 0) {
		explicit_bzero(op, sizeof(*op));
		free(op);
		return snprintf(err, errlen,
		                rc == -EAGAIN ? "%s has no mounted file system to keep its machine "
		                                "secret on."
		                              : "%s cannot run net: %s.",
		                rt->want.name, strerror(-rc)),
		       rc;
	}
	rt->join = op;
	return 0;
}
