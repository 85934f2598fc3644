/*
 * ap_daemon.h - the node agent's core: configuration, runtimes, requests.
 *
 * Owns the node's configuration (loaded from and saved to the state store on
 * every accepted change), one vs_runtime per virtual server, the event log,
 * and the answers to control-socket requests. main() creates it with the
 * paths and the event loop, and destroys it on SIGTERM; destroying leaves
 * every virtual server serving (servers keep running, file systems stay
 * mounted), and the next start finds them again.
 *
 * Memory: opaque; the options are copied. Errors: 0 or a negative errno,
 * logged with the reason.
 */
#ifndef AP_DAEMON_H
#define AP_DAEMON_H

#include <stdbool.h>
#include <systemd/sd-event.h>

struct ap_daemon_opts {
	const char *node;      /* node name */
	const char *run_dir;   /* /run/appliance */
	const char *state_dir; /* /var/lib/appliance */
	const char *socket;    /* control socket path */
	const char *self_exe;  /* this program, for the storage probe */
	/* Control socket access (ap_ctl.h): members of socket_group may read,
	 * members of admin_group (and root) may change; NULL = none. */
	const char *socket_group;
	const char *admin_group;
	/* The user the web process (apweb) runs as: only its connections may
	 * act for a console account (ap_ctl.h "as"); NULL = no web process. */
	const char *web_user;
	/* corosync and keepalived run as the systemd units appliance-corosync
	 * and appliance-keepalived (the appliance image), which applianced
	 * starts after writing their configuration under run_dir (which must
	 * then be AP_DAEMON_UNITS_RUN_DIR); false: applianced starts and
	 * supervises them itself (the lab). */
	bool daemon_units;
	/* The first setup from the web console (ap_setup.h): where the seed for
	 * the next boot goes (NULL: AP_SEED_BOOT_PATH, where the seed units
	 * look), and whether the node restarts to apply it (systemctl reboot,
	 * under systemd only: the image; never the lab). */
	const char *setup_seed;
	bool setup_reboot;
};

#define AP_DAEMON_UNITS_RUN_DIR "/run/appliance"

struct ap_daemon;

int ap_daemon_create(sd_event *ev, const struct ap_daemon_opts *opts, struct ap_daemon **out);
void ap_daemon_destroy(struct ap_daemon *d);

#endif
