/*
 * ap_reqsetup.c - the first setup from the web console (issue 13 item 2;
 * the pure decisions are ap_setup.h): setup.show and setup.apply, the setup
 * code kept while the node needs setup, and the restart that applies the
 * node's name and addresses.
 *
 * The node needs setup while it has no console account, is in no cluster and
 * has not been set up from the console since applianced started. Then a
 * setup code is kept in memory and in RUN_DIR/setup-code (0600, root's), which
 * the serial console's report prints; it goes when the node no longer needs
 * setup. setup.show answers {"needed": bool} to any client; setup.apply is
 * taken from root or the web process's uid (not acting for an account), only
 * while needed, and checks the code before anything else (ap_setup_code_check;
 * the AP_SETUP_TRIES'th wrong code makes a new one, with an event that says
 * so); then the seed is checked whole (ap_seed_parse, ap_setup_plan) and
 * only then is anything changed, in this order: the seed file for the next
 * boot, the node's name in the store (a renamed node's store is its own),
 * the console account, the cluster. Each change is an event with its reason;
 * the code is in none, nor in any answer or log line.
 *
 * The restart: `systemctl reboot` through lib_run, 2 s after the answer (so
 * that it reaches the browser), only with --setup-reboot and under systemd;
 * otherwise the event says the node waits for a restart.
 */
#include <sys/random.h>
#include <systemd/sd-daemon.h>

#include "appliance/ap_daemon_int.h"
#include "appliance/ap_setup.h"
#include "lib/lib_run.h"
#include "vserver/vs_account.h"

#define REBOOT_DELAY_USEC (2ULL * 1000000)
#define REBOOT_TIMEOUT_USEC (60ULL * 1000000)

static void code_path(struct ap_daemon *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", d->run_dir, AP_SETUP_CODE_FILE);
}

bool ap_d_setup_needed(struct ap_daemon *d)
{
	return !d->setup_done && !ap_cluster_enabled(d->cluster) && d->cfg->n_accounts == 0;
}

/* A new code, in memory and in its file: 0, or a negative errno (logged). */
static int new_code(struct ap_daemon *d)
{
	unsigned char rnd[AP_SETUP_CODE_CHARS];
	char path[PATH_MAX], text[AP_SETUP_CODE_LEN + 2];
	int rc;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		rc = -errno;
		lib_err("setup: no random bytes for a setup code: %s", strerror(-rc));
		return rc;
	}
	ap_setup_code_make(&d->setup, rnd);
	explicit_bzero(rnd, sizeof(rnd));
	code_path(d, path, sizeof(path));
	snprintf(text, sizeof(text), "%s\n", d->setup.code);
	rc = lib_write_file(path, text, strlen(text), 0600);
	explicit_bzero(text, sizeof(text));
	if (rc < 0) {
		/* A code nobody can read is none: made again at the next request. */
		explicit_bzero(&d->setup, sizeof(d->setup));
		lib_err("setup: cannot write %s: %s", path, strerror(-rc));
		return rc;
	}
	return 0;
}

static void drop_code(struct ap_daemon *d)
{
	char path[PATH_MAX];

	code_path(d, path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		lib_warn("setup: cannot remove %s: %s", path, strerror(errno));
	explicit_bzero(&d->setup, sizeof(d->setup));
}

void ap_d_setup_refresh(struct ap_daemon *d)
{
	bool needed = ap_d_setup_needed(d);

	if (needed && !d->setup.code[0]) {
		if (new_code(d) == 0)
			ap_d_eventf(
			    d, NULL, "info",
			    "this node has no console account and is in no cluster: the web "
			    "console asks for its setup, with the setup code shown on the "
			    "node's serial console");
	} else if (!needed && d->setup.code[0]) {
		drop_code(d);
	}
}

void ap_d_setup_stop(struct ap_daemon *d)
{
	d->setup_timer = sd_event_source_disable_unref(d->setup_timer);
	lib_run_destroy(d->reboot_run);
	d->reboot_run = NULL;
	free(d->setup_seed);
	d->setup_seed = NULL;
	explicit_bzero(&d->setup, sizeof(d->setup));
}

static void on_reboot_done(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct ap_daemon *d = arg;
	char how[128];

	if (res->end != LIB_RUN_EXITED || res->exit_code != 0)
		ap_d_eventf(d, NULL, "error",
		            "the restart that applies the setup failed: systemctl reboot %s; "
		            "restart the node by hand",
		            lib_run_describe(res, how, sizeof(how)));
	lib_run_detach(run);
	d->reboot_run = NULL;
}

static int on_reboot_timer(sd_event_source *s, uint64_t usec, void *arg)
{
	struct ap_daemon *d = arg;
	static const char *const argv[] = {"systemctl", "reboot", NULL};
	struct lib_run_opts o = {
	    .argv = argv, .netns_fd = -1, .timeout_usec = REBOOT_TIMEOUT_USEC, .out_fd = -1};
	int rc;

	d->setup_timer = sd_event_source_disable_unref(d->setup_timer);
	rc = lib_run_start(d->ev, &o, on_reboot_done, d, &d->reboot_run);
	if (rc < 0)
		ap_d_eventf(d, NULL, "error",
		            "the restart that applies the setup cannot be started (systemctl "
		            "reboot: %s); restart the node by hand",
		            strerror(-rc));
	return 0;
}

void ap_d_setup_show(struct ap_daemon *d, uint64_t conn)
{
	ap_d_setup_refresh(d);
	ap_ctl_reply(d->ctl, conn, ap_ok(NULL, json_pack("{s:b}", "needed", ap_d_setup_needed(d))));
}

/* The code of the request: right, or the refusal answered (and a new code
 * made after too many). */
static bool code_ok(struct ap_daemon *d, uint64_t conn, uid_t uid, json_t *args)
{
	const char *given = json_string_value(json_object_get(args, "code"));

	switch (ap_setup_code_check(&d->setup, given ? given : "")) {
	case AP_SETUP_RIGHT:
		return true;
	case AP_SETUP_WRONG:
		lib_warn("setup: refused a wrong setup code from uid %u (%d of %d)", (unsigned)uid,
		         d->setup.wrong, AP_SETUP_TRIES);
		ap_ctl_reply(d->ctl, conn,
		             ap_error("Permission denied: the setup code is wrong (the node's "
		                      "serial console shows it)."));
		return false;
	case AP_SETUP_EXHAUSTED:
		break;
	}
	int rc = new_code(d);
	ap_d_eventf(d, NULL, "warning", "setup: %d wrong setup codes in a row (from uid %u): %s",
	            AP_SETUP_TRIES, (unsigned)uid,
	            rc == 0 ? "a new code replaces the old one, shown on the serial console "
	                      "when it next reports (systemctl restart appliance-console)"
	                    : "no new code could be made; the setup stays refused");
	ap_ctl_reply(d->ctl, conn,
	             ap_error("Permission denied: the setup code is wrong; after %d wrong codes "
	                      "a new one was made: read it again on the node's serial console.",
	                      AP_SETUP_TRIES));
	return false;
}

/* The seed of the request, parsed and checked: 0, or the refusal answered. */
static int seed_of(struct ap_daemon *d, uint64_t conn, json_t *args, struct ap_seed *s)
{
	json_t *seed = json_object_get(args, "seed");
	char err[VS_ERR_LEN], *text;
	int rc;

	memset(s, 0, sizeof(*s));
	if (!json_is_object(seed)) {
		ap_ctl_reply(d->ctl, conn, ap_error("The setup carries no seed (a JSON object)."));
		return -EINVAL;
	}
	text = json_dumps(seed, JSON_COMPACT);
	if (!text) {
		ap_ctl_reply(d->ctl, conn, ap_error("Out of memory."));
		return -ENOMEM;
	}
	rc = ap_seed_parse(text, strlen(text), s, err, sizeof(err));
	explicit_bzero(text, strlen(text)); /* the join bundle holds the cluster key */
	free(text);
	if (rc < 0)
		ap_ctl_reply(d->ctl, conn, ap_error("%s", err));
	return rc;
}

/* The seed file for the next boot: 0, or the refusal answered. */
static int write_boot_seed(struct ap_daemon *d, uint64_t conn, const struct ap_seed *s,
                           const struct ap_setup_plan *p)
{
	char *text = NULL;
	int rc = ap_setup_boot_seed(s, p, &text);

	if (rc == 0) {
		rc = lib_write_file(d->setup_seed, text, strlen(text), 0600);
		explicit_bzero(text, strlen(text));
		if (rc < 0)
			ap_ctl_reply(
			    d->ctl, conn,
			    ap_error("The seed for the restart cannot be written to %s (%s); "
			             "nothing was changed.",
			             d->setup_seed, strerror(-rc)));
	} else {
		ap_ctl_reply(d->ctl, conn, ap_error("Out of memory."));
	}
	free(text);
	return rc < 0 ? rc : 0;
}

/* The console account, made as admin.add makes it: 0, or answered. */
static int add_admin(struct ap_daemon *d, uint64_t conn, uid_t uid, const struct ap_seed *s)
{
	char err[VS_ERR_LEN], what[256];
	json_t *args = json_pack("{s:s, s:s, s:s}", "name", s->admin, "role", "admin", "crypt_hash",
	                         s->admin_hash);
	int rc = args ? vs_config_copy(d->before, d->cfg) : -ENOMEM;

	if (rc < 0) {
		json_decref(args);
		ap_ctl_reply(d->ctl, conn, ap_error("Out of memory."));
		return rc;
	}
	rc = ap_d_admin_change(d, "admin.add", args, what, sizeof(what), err, sizeof(err));
	json_decref(args);
	if (rc < 0) {
		ap_ctl_reply(d->ctl, conn, ap_error("%s", err));
		return rc;
	}
	char why[320];
	snprintf(why, sizeof(why), "%s: the node's first setup from the web console", what);
	return ap_d_commit(d, conn, NULL, why, uid); /* not in a cluster: 0 or answered */
}

void ap_d_setup_apply(struct ap_daemon *d, uint64_t conn, uid_t uid, json_t *args)
{
	bool web = d->has_web_uid && uid == d->web_uid;
	struct ap_setup_plan p;
	struct ap_seed s;
	char err[VS_ERR_LEN], desc[1024], addr[VS_ADDR_MAX + 1];
	int rc;

	if ((uid != 0 && !web) || json_object_get(args, "_as")) {
		lib_warn("setup: refused setup.apply from uid %u (only root or the web process)",
		         (unsigned)uid);
		ap_ctl_reply(d->ctl, conn,
		             ap_error("Permission denied: only the web process or root may apply "
		                      "the node's setup."));
		return;
	}
	ap_d_setup_refresh(d);
	if (!ap_d_setup_needed(d)) {
		ap_ctl_reply(d->ctl, conn,
		             ap_error("This node is already set up: log in to its console."));
		return;
	}
	if (!code_ok(d, conn, uid, args))
		return;
	if (seed_of(d, conn, args, &s) < 0)
		return;
	rc = ap_setup_plan(&s, d->node, &p, err, sizeof(err));
	if (rc < 0) {
		ap_ctl_reply(d->ctl, conn, ap_error("%s", err));
		ap_seed_clear(&s);
		return;
	}
	ap_seed_describe(&s, desc, sizeof(desc));
	ap_setup_new_address(&s, addr, sizeof(addr));
	/* Every check passed: the changes, each refusal answered. */
	if (p.boot_seed && write_boot_seed(d, conn, &s, &p) < 0) {
		ap_seed_clear(&s);
		return;
	}
	if (p.boot_seed && strcmp(s.node, d->node) != 0 &&
	    (rc = vs_store_meta_set(d->store, "node", s.node)) < 0) {
		(void)unlink(d->setup_seed);
		ap_ctl_reply(d->ctl, conn,
		             ap_error("The node's new name cannot be recorded in its state store; "
		                      "nothing was changed."));
		ap_seed_clear(&s);
		return;
	}
	if (p.admin_live && add_admin(d, conn, uid, &s) < 0) {
		if (p.boot_seed) {
			(void)unlink(d->setup_seed);
			(void)vs_store_meta_set(d->store, "node", d->node);
		}
		ap_seed_clear(&s);
		return;
	}
	d->setup_done = true;
	drop_code(d);
	ap_d_eventf(d, NULL, "info", "setup from the web console (by uid %u): %s", (unsigned)uid,
	            desc);
	if (p.cluster_live) {
		rc = s.role == AP_SEED_CREATE
		         ? ap_cluster_setup(
		               d->cluster, s.cluster, s.nodes, s.mgmt[0] ? s.mgmt : NULL,
		               s.mgmt_port[0] ? s.mgmt_port : NULL, s.agent_grace, err, sizeof(err))
		         : ap_cluster_join(d->cluster, s.bundle, err, sizeof(err));
		if (rc < 0) {
			ap_d_eventf(d, NULL, "error", "setup: the cluster cannot be %s: %s",
			            s.role == AP_SEED_CREATE ? "created" : "joined", err);
			ap_ctl_reply(
			    d->ctl, conn,
			    ap_error("The console account was made, but the cluster cannot "
			             "be %s: %s",
			             s.role == AP_SEED_CREATE ? "created" : "joined", err));
			ap_seed_clear(&s);
			return;
		}
	}
	if (p.boot_seed)
		ap_d_eventf(d, NULL, "info",
		            "setup: the node's name and addresses%s are in %s for the seed units, "
		            "which apply them at the next boot; %s",
		            s.role != AP_SEED_NONE && !p.cluster_live ? " and its cluster" : "",
		            d->setup_seed,
		            d->setup_reboot && sd_booted() > 0
		                ? "the node restarts now"
		                : "the node waits for a restart (applianced runs without "
		                  "--setup-reboot)");
	bool restart = p.reboot && d->setup_reboot && sd_booted() > 0;
	if (restart && sd_event_add_time_relative(d->ev, &d->setup_timer, CLOCK_MONOTONIC,
	                                          REBOOT_DELAY_USEC, 0, on_reboot_timer, d) < 0) {
		ap_d_eventf(d, NULL, "error",
		            "setup: the restart cannot be scheduled; restart the node by hand");
		restart = false;
	}
	ap_ctl_reply(d->ctl, conn,
	             ap_ok(restart ? "set up: the node restarts" : "set up",
	                   json_pack("{s:s, s:s, s:b, s:b, s:b}", "node", s.node, "address", addr,
	                             "reboot", p.reboot, "restarting", restart, "cluster_later",
	                             s.role != AP_SEED_NONE && !p.cluster_live)));
	ap_seed_clear(&s);
}
