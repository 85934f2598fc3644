/*
 * applianced - the node agent (DESIGN section 3).
 *
 *   applianced --node NAME [--run-dir DIR] [--state-dir DIR] [--socket PATH]
 *              [--socket-group GROUP] [--admin-group GROUP] [--web-user USER]
 *     (--web-user: the user apweb runs as; only its requests may act for a console account)
 *     (members of the socket group may read, of the admin group change: ap_ctl.h)
 *              [--setup-seed PATH] [--setup-reboot]
 *     (the first setup from the web console, ap_setup.h: the seed for the next boot goes to
 *      PATH, default /boot/appliance-seed.json; --setup-reboot: then restart the node with
 *      systemctl reboot, under systemd only -- the image's unit, never the lab)
 *   applianced --storage-probe DIR      (internal: one storage probe of the file system
 *                                        mounted on DIR, exit 0 if healthy)
 *   applianced --mntns-exec [--bind SRC DST]... -- CMD [ARG...] (internal: run CMD
 *     in a mount namespace of its own, lib_mntns.h)
 *   applianced --fs-prepare DIR [SUB...] (internal: lay out the file system mounted on DIR
 *                                        and create export/share sub-directories; fx_tree.h)
 *   applianced --check-password         (internal: a console password check, ap_login.h)
 *   applianced --system-show | --system-write FILE | --system-confirm | --system-guard
 *                                       (internal: the A/B root slots and their updates,
 *                                        ap_system.h; --system-guard from its timer)
 *   applianced --lun-scan [--skip DEV]... | --only DEV
 *                                       (internal: the LUNs this node sees, line by line,
 *                                        hung devices skipped; ap_lunscan.h)
 *
 * Runs in the foreground; its stderr is its log. SIGTERM or SIGINT stop it
 * cleanly, leaving the virtual servers serving; the next start finds them.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "appliance/ap_daemon.h"
#include "appliance/ap_login.h"
#include "appliance/ap_lunscan.h"
#include "appliance/ap_system.h"
#include "fsexport/fx_tree.h"
#include "lib/lib_log.h"
#include "lib/lib_mntns.h"

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	lib_info("signal %u received; shutting down", si->ssi_signo);
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: applianced --node NAME [--run-dir DIR] [--state-dir DIR] "
	           "[--socket PATH] [--socket-group GROUP] [--admin-group GROUP] "
	           "[--web-user USER] [--daemon-units] [--setup-seed PATH] [--setup-reboot]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"node", required_argument, NULL, 'n'},
	    {"run-dir", required_argument, NULL, 'r'},
	    {"state-dir", required_argument, NULL, 's'},
	    {"socket", required_argument, NULL, 'S'},
	    {"socket-group", required_argument, NULL, 'G'},
	    {"admin-group", required_argument, NULL, 'A'},
	    {"web-user", required_argument, NULL, 'W'},
	    {"storage-probe", required_argument, NULL, 'P'},
	    {"daemon-units", no_argument, NULL, 'U'},
	    {"setup-seed", required_argument, NULL, 'E'},
	    {"setup-reboot", no_argument, NULL, 'R'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ap_daemon_opts o = {.run_dir = "/run/appliance", .state_dir = "/var/lib/appliance"};
	char sock[PATH_MAX], self[PATH_MAX], host[64];
	struct ap_daemon *d = NULL;
	sd_event *ev = NULL;
	sigset_t mask;
	ssize_t n;
	int c, rc;

	/* Before getopt: sub-directories may begin with '-' and are never options. */
	if (argc >= 3 && strcmp(argv[1], "--fs-prepare") == 0)
		return fx_tree_main(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "--lun-scan") == 0)
		return ap_lunscan_main(argc - 2, argv + 2);
	if (argc >= 2 && strncmp(argv[1], "--system-", 9) == 0)
		return ap_sys_child_main(argc, argv);
	if (argc == 2 && strcmp(argv[1], "--check-password") == 0)
		return ap_login_check_main();
	if (argc >= 2 && strcmp(argv[1], LIB_MNTNS_EXEC_FLAG) == 0)
		return lib_mntns_exec_main(argc - 2, argv + 2);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o.node = optarg;
			break;
		case 'r':
			o.run_dir = optarg;
			break;
		case 's':
			o.state_dir = optarg;
			break;
		case 'S':
			o.socket = optarg;
			break;
		case 'G':
			o.socket_group = optarg;
			break;
		case 'A':
			o.admin_group = optarg;
			break;
		case 'W':
			o.web_user = optarg;
			break;
		case 'U':
			o.daemon_units = true;
			break;
		case 'E':
			o.setup_seed = optarg;
			break;
		case 'R':
			o.setup_reboot = true;
			break;
		case 'P':
			rc = fx_tree_probe(optarg, true);
			if (rc < 0) {
				fprintf(stderr, "%s\n", strerror(-rc));
				return 1;
			}
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	/* The units name their configuration files under the default run directory. */
	if (o.daemon_units && strcmp(o.run_dir, AP_DAEMON_UNITS_RUN_DIR) != 0) {
		fprintf(stderr,
		        "applianced: --daemon-units needs the run directory %s, which the units "
		        "of corosync and keepalived name\n",
		        AP_DAEMON_UNITS_RUN_DIR);
		return 2;
	}
	if (!o.node) {
		if (gethostname(host, sizeof(host)) < 0) {
			fprintf(stderr, "applianced: no --node given and no host name\n");
			return 2;
		}
		host[sizeof(host) - 1] = '\0';
		host[strcspn(host, ".")] = '\0'; /* the short name, as systemd's %l */
		o.node = host;
	}
	if (!o.socket) {
		snprintf(sock, sizeof(sock), "%s/applianced.sock", o.run_dir);
		o.socket = sock;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		perror("applianced: readlink /proc/self/exe");
		return 1;
	}
	self[n] = '\0';
	o.self_exe = self;

	/* Signals arrive through the loop; children are reaped by it. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 || signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror("applianced: signals");
		return 1;
	}
	rc = sd_event_default(&ev);
	if (rc >= 0)
		rc = sd_event_add_signal(ev, NULL, SIGTERM, on_signal, NULL);
	if (rc >= 0)
		rc = sd_event_add_signal(ev, NULL, SIGINT, on_signal, NULL);
	if (rc < 0) {
		lib_err("cannot set up the event loop: %s", strerror(-rc));
		return 1;
	}
	rc = ap_daemon_create(ev, &o, &d);
	if (rc < 0) {
		lib_err("cannot start: %s", strerror(-rc));
		sd_event_unref(ev);
		return 1;
	}
	lib_info("applianced on node %s listening on %s", o.node, o.socket);
	/* Under systemd (Type=notify, WatchdogSec=): ready once the control
	 * socket listens, and the loop itself pings the watchdog, so a loop that
	 * hangs is killed and restarted. Without NOTIFY_SOCKET both do nothing. */
	rc = sd_event_set_watchdog(ev, true);
	if (rc < 0)
		lib_warn("cannot arm the systemd watchdog: %s", strerror(-rc));
	else if (rc > 0)
		lib_info("systemd watchdog armed: the event loop pings it");
	sd_notifyf(0, "READY=1\nSTATUS=serving on %s\nMAINPID=%lu", o.socket,
	           (unsigned long)getpid());
	rc = sd_event_loop(ev);
	sd_notify(0, "STOPPING=1");
	ap_daemon_destroy(d);
	sd_event_unref(ev);
	if (rc < 0) {
		lib_err("event loop failed: %s", strerror(-rc));
		return 1;
	}
	lib_info("applianced stopped");
	return 0;
}
