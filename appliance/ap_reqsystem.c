/*
 * ap_reqsystem.c - the control socket's system.* requests (ap_system.h): the
 * node's A/B root slots, an update written into the spare one, the
 * confirmation of a healthy boot, the reboot. Every read and write of a disk
 * happens in a child (`applianced --system-OP`, through lib_run); the loop
 * only starts it and answers when it ends. Each step and outcome is an event.
 *
 *   system.show      anyone who may read
 *   system.update    root through vsadm: {"file": PATH}, answered when written;
 *                    or a console admin through the web process: the file it
 *                    uploaded (PUT /api/v1/system/update; ap_sys_check_web_file),
 *                    answered at once, the outcome in the event log, the file
 *                    removed once the writer has ended
 *   system.confirm   root only: appliance-slot-confirm.service, once applianced answers
 *   system.reboot    root, or a console admin (never forced): {"check": true}
 *                    answers what the gate sees; else reboots when
 *                    ap_sys_reboot_check allows ({"force"}); only a node booted
 *                    from the image (appliance.slot= on its command line): never
 *                    the lab's host
 */
#include "appliance/ap_daemon_int.h"
#include "appliance/ap_system.h"
#include "lib/lib_fs.h"
#include "lib/lib_run.h"

#define SYS_SHOW_TIMEOUT_USEC (20ULL * 1000000)
#define SYS_WRITE_TIMEOUT_USEC (3600ULL * 1000000)

struct ap_sysop {
	struct ap_daemon *d;
	uint64_t conn;
	char cmd[24];
	char file[PATH_MAX];
	struct lib_run *run;
	bool reply; /* conn waits for the answer (not a web update: answered at once) */
	bool web;   /* the file is the web process's upload: removed at the end */
	struct ap_sysop *next;
};

void ap_d_system_destroy(struct ap_daemon *d)
{
	for (struct ap_sysop **p = &d->sysops; *p;) {
		struct ap_sysop *o = *p;
		if (o->d != d) {
			p = &o->next;
			continue;
		}
		*p = o->next;
		lib_run_destroy(o->run);
		free(o);
	}
}

bool ap_d_system_cmd(const char *cmd)
{
	return strncmp(cmd, "system.", 7) == 0;
}

static const char *jstr(json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));
	return s ? s : "";
}

/* The child's one JSON line (its last line), or NULL. */
static json_t *child_answer(const struct lib_run_result *res)
{
	const char *p = res->output, *last = p;

	for (const char *q = p; q && *q; q++)
		if (*q == '\n' && q[1])
			last = q + 1;
	return json_loads(last, JSON_DISABLE_EOF_CHECK, NULL);
}

/* The asker's answer, where one waits for it (resp is stolen). */
static void answer(struct ap_sysop *o, json_t *resp)
{
	if (o->reply)
		ap_ctl_reply(o->d->ctl, o->conn, resp);
	else
		json_decref(resp);
}

static void on_done(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct ap_sysop *o = arg;
	struct ap_daemon *d = o->d;
	json_t *a = res->end == LIB_RUN_EXITED ? child_answer(res) : NULL;
	bool ok = a && json_is_true(json_object_get(a, "ok"));
	char how[128];

	for (struct ap_sysop **p = &d->sysops; *p; p = &(*p)->next)
		if (*p == o) {
			*p = o->next;
			break;
		}
	/* The upload is spent, whatever the outcome (a new one is needed). */
	if (o->web && unlink(o->file) < 0 && errno != ENOENT)
		ap_d_eventf(d, NULL, "warning", "the uploaded update %s cannot be removed: %s",
		            o->file, strerror(errno));

	if (!a) {
		lib_run_describe(res, how, sizeof(how));
		if (strcmp(o->cmd, "system.update") == 0)
			ap_d_eventf(d, NULL, "error", "system update from %s failed: its writer %s",
			            o->file, how);
		answer(o, ap_error("The system helper %s.", how));
	} else if (!ok) {
		if (strcmp(o->cmd, "system.update") == 0)
			ap_d_eventf(d, NULL, "warning", "system update from %s refused: %s",
			            o->file, jstr(a, "error"));
		answer(o, ap_error("%s", jstr(a, "error")));
	} else if (strcmp(o->cmd, "system.update") == 0) {
		char msg[512];
		json_t *sec = json_object_get(a, "seconds");
		snprintf(
		    msg, sizeof(msg),
		    "update to %s written to slot %s (%lld MiB from %s in %.0f s): it boots at "
		    "the next reboot ('vsadm system reboot'), once; it falls back unless it "
		    "comes up healthy",
		    jstr(a, "version"), jstr(a, "slot"),
		    (long long)(json_integer_value(json_object_get(a, "bytes")) >> 20), o->file,
		    json_number_value(sec));
		ap_d_eventf(d, NULL, "info", "%s", msg);
		json_object_del(a, "ok");
		answer(o, ap_ok(msg, json_incref(a)));
	} else if (strcmp(o->cmd, "system.confirm") == 0) {
		const char *act = jstr(a, "action");
		char msg[512];
		if (strcmp(act, "confirmed") == 0) {
			snprintf(
			    msg, sizeof(msg),
			    "slot %s confirmed healthy: version %s is this node's boot slot now",
			    jstr(a, "running"), jstr(a, "version"));
			ap_d_eventf(d, NULL, "info", "%s", msg);
		} else if (strcmp(act, "rolled-back") == 0) {
			snprintf(
			    msg, sizeof(msg),
			    "update to %s failed: rolled back (slot %s did not come up healthy; "
			    "the boot loader started slot %s, version %s, again)",
			    jstr(a, "failed_version"), jstr(a, "failed_slot"), jstr(a, "running"),
			    jstr(a, "version"));
			ap_d_eventf(d, NULL, "warning", "%s", msg);
		} else {
			snprintf(msg, sizeof(msg), "slot %s (version %s): nothing to confirm",
			         jstr(a, "running"), jstr(a, "version"));
		}
		json_object_del(a, "ok");
		answer(o, ap_ok(msg, json_incref(a)));
	} else {
		json_object_del(a, "ok");
		answer(o, ap_ok(NULL, json_incref(a)));
	}
	json_decref(a);
	lib_run_destroy(run);
	free(o);
}

static int start_child(struct ap_daemon *d, uint64_t conn, const char *cmd, const char *flag,
                       const char *file, uint64_t timeout, bool web)
{
	const char *argv[] = {d->self_exe, flag, file, NULL};
	struct ap_sysop *o = calloc(1, sizeof(*o));
	int rc;

	if (!o)
		return -ENOMEM;
	*o = (struct ap_sysop){.d = d, .conn = conn, .reply = !web, .web = web};
	snprintf(o->cmd, sizeof(o->cmd), "%s", cmd);
	snprintf(o->file, sizeof(o->file), "%s", file ? file : "");
	struct lib_run_opts opts = {.argv = argv,
	                            .netns_fd = -1,
	                            .timeout_usec = timeout,
	                            .capture = true,
	                            .output_max = 65536};
	rc = lib_run_start(d->ev, &opts, on_done, o, &o->run);
	if (rc < 0) {
		free(o);
		return rc;
	}
	o->next = d->sysops;
	d->sysops = o;
	return 0;
}

static bool busy(struct ap_daemon *d, const char *cmd)
{
	for (struct ap_sysop *o = d->sysops; o; o = o->next)
		if (strcmp(o->cmd, "system.update") == 0 || strcmp(cmd, o->cmd) == 0)
			return true;
	return false;
}

/* VSs whose runtime is not stopped on this node. */
static int running_here(struct ap_daemon *d)
{
	int n = 0;

	for (struct rt_entry *e = d->rts; e; e = e->next)
		if (!e->deleting && vs_runtime_state(e->rt) != VS_RT_STOPPED)
			n++;
	return n;
}

static void on_reboot_done(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct ap_daemon *d = arg;
	char how[128];

	if (res->end != LIB_RUN_EXITED || res->exit_code != 0)
		ap_d_eventf(d, NULL, "error", "reboot of node %s failed: systemctl reboot %s",
		            d->node, lib_run_describe(res, how, sizeof(how)));
	lib_run_destroy(run);
}

static void do_reboot(struct ap_daemon *d, uint64_t conn, json_t *args)
{
	bool in = ap_cluster_enabled(d->cluster), maint = in && vs_config_in_maint(d->cfg, d->node);
	bool force = json_is_true(json_object_get(args, "force"));
	int here = running_here(d);
	char err[512];

	if (json_is_true(json_object_get(args, "check"))) {
		ap_ctl_reply(
		    d->ctl, conn,
		    ap_ok(NULL, json_pack("{s:s, s:b, s:b, s:i}", "node", d->node, "cluster", in,
		                          "maintenance", maint, "running_here", here)));
		return;
	}
	if (busy(d, "system.update")) {
		ap_ctl_reply(d->ctl, conn,
		             ap_error("An update is being written: reboot once it has ended."));
		return;
	}
	if (ap_sys_reboot_check(in, maint, here, force, err, sizeof(err)) < 0) {
		ap_ctl_reply(d->ctl, conn, ap_error("%s", err));
		return;
	}
	/* Never the machine of a node that was not booted from the image (the
	 * lab's nodes share their host). */
	char *cmdline = NULL;
	char slot =
	    lib_read_file("/proc/cmdline", &cmdline) == 0 ? ap_sys_cmdline_slot(cmdline) : 0;
	free(cmdline);
	if (!slot) {
		ap_ctl_reply(
		    d->ctl, conn,
		    ap_error("This node was not booted from the appliance image (no "
		             "appliance.slot on its kernel command line): not rebooting its "
		             "machine."));
		return;
	}
	const char *argv[] = {"systemctl", "reboot", NULL};
	struct lib_run_opts o = {
	    .argv = argv, .netns_fd = -1, .timeout_usec = 60ULL * 1000000, .out_fd = -1};
	struct lib_run *run;
	int rc = lib_run_start(d->ev, &o, on_reboot_done, d, &run);
	if (rc < 0) {
		ap_ctl_reply(d->ctl, conn,
		             ap_error("Cannot run systemctl reboot: %s.", strerror(-rc)));
		return;
	}
	ap_d_eventf(d, NULL, "info", "node %s reboots (%s%s%s)", d->node,
	            force ? "forced"
	            : in  ? "under maintenance, no virtual server left here"
	                  : "no virtual server runs here",
	            d->actor[0] ? "; by " : "; by root", d->actor);
	ap_ctl_reply(d->ctl, conn, ap_ok("rebooting", NULL));
}

void ap_d_system(struct ap_daemon *d, uint64_t conn, uid_t uid, const char *cmd, json_t *args)
{
	char err[512];
	int rc;

	if (strcmp(cmd, "system.show") == 0) {
		rc = start_child(d, conn, cmd, "--system-show", NULL, SYS_SHOW_TIMEOUT_USEC, false);
		if (rc < 0)
			ap_ctl_reply(d->ctl, conn,
			             ap_error("Cannot run the system helper: %s.", strerror(-rc)));
		return;
	}
	bool web = d->actor[0] != '\0';
	if (ap_sys_check_asker(cmd, uid == 0, web, json_is_true(json_object_get(args, "force")),
	                       err, sizeof(err)) < 0) {
		ap_ctl_reply(d->ctl, conn, ap_error("%s", err));
		return;
	}
	if (strcmp(cmd, "system.reboot") == 0)
		return do_reboot(d, conn, args);
	if (strcmp(cmd, "system.update") != 0 && strcmp(cmd, "system.confirm") != 0) {
		ap_ctl_reply(d->ctl, conn, ap_error("Unknown request '%s'.", cmd));
		return;
	}
	bool update = strcmp(cmd, "system.update") == 0;
	const char *file = json_string_value(json_object_get(args, "file"));
	if (update && ap_sys_check_path(file, err, sizeof(err)) < 0) {
		ap_ctl_reply(d->ctl, conn, ap_error("%s", err));
		return;
	}
	if (busy(d, cmd)) {
		ap_ctl_reply(d->ctl, conn,
		             ap_error("An update is being written already; wait for its end."));
		return;
	}
	/* The web process's upload: its own regular file (never a device, a
	 * link, or a file of another it could point root at). */
	struct stat st;
	if (update && web && (!d->has_web_uid || lstat(file, &st) < 0)) {
		ap_ctl_reply(d->ctl, conn, ap_error("The uploaded update is not there."));
		return;
	}
	if (update && web && ap_sys_check_web_file(&st, d->web_uid, err, sizeof(err)) < 0) {
		ap_ctl_reply(d->ctl, conn, ap_error("%s", err));
		return;
	}
	rc = start_child(d, conn, cmd, update ? "--system-write" : "--system-confirm",
	                 update ? file : NULL,
	                 update ? SYS_WRITE_TIMEOUT_USEC : SYS_SHOW_TIMEOUT_USEC, update && web);
	if (rc < 0) {
		ap_ctl_reply(d->ctl, conn,
		             ap_error("Cannot run the system helper: %s.", strerror(-rc)));
		return;
	}
	if (!update)
		return;
	char msg[256];
	snprintf(msg, sizeof(msg),
	         "system update from %s started by %s: checking it, then writing the spare root "
	         "slot",
	         web ? "the uploaded file" : file, web ? d->actor : "root");
	ap_d_eventf(d, NULL, "info", "%s", msg);
	if (web) /* answered now; the outcome is an event ('vsadm event show') */
		ap_ctl_reply(d->ctl, conn, ap_ok(msg, json_pack("{s:b}", "started", 1)));
}
