/*
 * ap_clkeep.c - corosync and keepalived, configured, started and kept
 * running by applianced (DESIGN section 4).
 *
 * corosync.conf and keepalived.conf come from the pure generators of
 * ap_clusterconf; a daemon that ends is started again after a back-off, with
 * the reason in the event log. Both outlive a restart of applianced (the
 * node stays a member and keeps the management address while its agent
 * restarts); a new applianced uses the ones it finds.
 * The management address follows the master: its VRRP weight is the track
 * file applianced writes (ap_cl_update_track).
 *
 * On the appliance (--daemon-units) both are systemd units of their own,
 * appliance-corosync and appliance-keepalived (packaging/deb): applianced
 * writes their configuration where the units read it and asks systemd to
 * start them (`systemctl start`, a child through lib_run, with a deadline);
 * systemd restarts them when they end and keeps them in their own cgroups,
 * so a restart of applianced (its watchdog's included), whose unit kills
 * what is left in its cgroup, does not take the node out of the cluster.
 * A unit that will not start is an event, and asked again after a back-off.
 */
#include "appliance/ap_cluster_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_clusterconf.h"
#include "lib/lib_fs.h"
#include "lib/lib_log.h"

void ap_cl_keep_init(struct ap_cluster *c)
{
	c->corosync = (struct ap_cl_keep){.name = "corosync",
	                                  .backoff = {.min = 1000000, .max = 30000000},
	                                  .start = ap_cl_start_corosync,
	                                  .c = c};
	c->keepalived = (struct ap_cl_keep){.name = "keepalived",
	                                    .backoff = {.min = 1000000, .max = 30000000},
	                                    .start = ap_cl_start_keepalived,
	                                    .c = c};
}

/* corosync outlives a restart of applianced, as the VSs' servers do: the
 * node stays a member and its VSs stay where they are. */
void ap_cl_keep_stop(struct ap_cluster *c)
{
	c->corosync.restart = sd_event_source_disable_unref(c->corosync.restart);
	c->keepalived.restart = sd_event_source_disable_unref(c->keepalived.restart);
	lib_run_detach(c->corosync.run);
	lib_run_detach(c->keepalived.run);
}

/* --- kept running ---------------------------------------------------------------- */

static int on_keep_restart(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct ap_cl_keep *k = userdata;

	k->restart = sd_event_source_disable_unref(k->restart);
	k->start(k->c);
	return 0;
}

/* res NULL: found not running (no result to tell). */
void ap_cl_keep_end(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct ap_cl_keep *k = arg;
	char how[96] = "is not running";

	if (res)
		lib_run_describe(res, how, sizeof(how));
	k->run = NULL;
	lib_run_destroy(run);
	uint64_t delay = lib_backoff_next(&k->backoff);
	ap_cl_event(k->c, NULL, "error", "%s %s; restarting it in %.0f s", k->name, how,
	            (double)delay / 1e6);
	if (sd_event_add_time_relative(k->c->ev, &k->restart, CLOCK_MONOTONIC, delay, 0,
	                               on_keep_restart, k) < 0)
		lib_err("cluster: cannot arm the restart of %s", k->name);
}

/* --- under systemd ---------------------------------------------------------------- */

#define UNIT_START_USEC (60ULL * 1000000)

static void unit_started(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct ap_cl_keep *k = arg;

	k->run = NULL;
	if (res->end == LIB_RUN_EXITED && res->exit_code == 0) {
		lib_info("cluster: %s runs as the unit appliance-%s.service", k->name, k->name);
		lib_backoff_reset(&k->backoff);
		lib_run_destroy(run);
		return;
	}
	char how[96];
	lib_run_describe(res, how, sizeof(how));
	lib_run_destroy(run);
	uint64_t delay = lib_backoff_next(&k->backoff);
	ap_cl_event(k->c, NULL, "error",
	            "systemd did not start appliance-%s.service (systemctl %s); asking again in "
	            "%.0f s",
	            k->name, how, (double)delay / 1e6);
	if (sd_event_add_time_relative(k->c->ev, &k->restart, CLOCK_MONOTONIC, delay, 0,
	                               on_keep_restart, k) < 0)
		lib_err("cluster: cannot arm the restart of %s", k->name);
}

/* systemctl start appliance-NAME.service, off the loop; k->run is the
 * systemctl child while it runs. */
static int start_unit(struct ap_cluster *c, struct ap_cl_keep *k)
{
	char unit[64];

	if (k->run)
		return 0;
	snprintf(unit, sizeof(unit), "appliance-%s.service", k->name);
	const char *argv[] = {"systemctl", "start", unit, NULL};
	struct lib_run_opts o = {
	    .argv = argv, .netns_fd = -1, .out_fd = -1, .timeout_usec = UNIT_START_USEC};
	return lib_run_start(c->ev, &o, unit_started, k, &k->run);
}

/* --- corosync -------------------------------------------------------------------- */

static int write_corosync_conf(struct ap_cluster *c, char *conf, size_t len)
{
	struct ap_cc_node nodes[AP_CL_MAX_NODES];
	char dir[PATH_MAX], key[PATH_MAX], state[PATH_MAX], logf[PATH_MAX], *text = NULL;
	int rc;

	snprintf(dir, sizeof(dir), "%s/corosync", c->run_dir);
	snprintf(state, sizeof(state), "%s/corosync", c->state_dir);
	snprintf(key, sizeof(key), "%s/cluster/authkey", c->state_dir);
	snprintf(logf, sizeof(logf), "%s/corosync/corosync.log", c->state_dir);
	snprintf(conf, len, "%s/corosync.conf", dir);
	if ((rc = lib_mkdir_p(dir, 0755)) < 0 || (rc = lib_mkdir_p(state, 0700)) < 0)
		return rc;
	for (int i = 0; i < c->n_nodes; i++)
		nodes[i] = (struct ap_cc_node){.id = c->nodes[i].id,
		                               .name = c->nodes[i].name,
		                               .ring0 = c->nodes[i].addr,
		                               .ring1 = c->nodes[i].addr2};
	struct ap_cc_params p = {.cluster_name = c->name,
	                         .nodes = nodes,
	                         .n_nodes = c->n_nodes,
	                         .state_dir = state,
	                         .log_file = logf,
	                         .token_ms = 1000};
	rc = ap_corosync_conf(&p, key, &text);
	if (rc < 0)
		return rc;
	rc = lib_write_file(conf, text, strlen(text), 0644);
	free(text);
	return rc < 0 ? rc : 0;
}

void ap_cl_start_corosync(struct ap_cluster *c)
{
	char conf[PATH_MAX];
	int rc = write_corosync_conf(c, conf, sizeof(conf));

	if (rc < 0) {
		ap_cl_event(c, NULL, "error", "cannot write corosync's configuration: %s",
		            strerror(-rc));
		return;
	}
	if (ap_cl_connected(c)) {
		lib_info("cluster: corosync is already running; using it");
		return;
	}
	if (c->daemon_units) {
		rc = start_unit(c, &c->corosync);
		if (rc < 0)
			ap_cl_event(c, NULL, "error", "cannot ask systemd to start corosync: %s",
			            strerror(-rc));
		return;
	}
	const char *argv[] = {"corosync", "-f", "-c", conf, NULL};
	struct lib_run_opts o = {.argv = argv, .netns_fd = -1, .out_fd = -1};
	rc = lib_run_start(c->ev, &o, ap_cl_keep_end, &c->corosync, &c->corosync.run);
	if (rc < 0) {
		ap_cl_event(c, NULL, "error", "cannot start corosync: %s", strerror(-rc));
		return;
	}
	lib_info("cluster: corosync started (pid %d)", lib_run_pid(c->corosync.run));
}

/* --- the management address (keepalived) ---------------------------------------- */

/* The VRRP priority follows the master: the track file holds the weight. */
void ap_cl_update_track(struct ap_cluster *c)
{
	char path[PATH_MAX], text[16];
	int w;

	if (!c->mgmt[0])
		return;
	w = ap_ka_track_weight(ap_cl_is_master(c));
	if (w == c->ka_weight)
		return;
	snprintf(path, sizeof(path), "%s/keepalived/master.weight", c->run_dir);
	snprintf(text, sizeof(text), "%d\n", w);
	if (lib_write_file(path, text, strlen(text), 0644) < 0) {
		lib_err("cluster: cannot write %s", path);
		return;
	}
	c->ka_weight = w;
	lib_info("cluster: management address weight %d (%s)", w, w ? "master" : "not master");
}

/* The interface that holds this node's interconnect address. */
static int ring0_ifname(const struct ap_cluster *c, char *buf, size_t len)
{
	struct ifaddrs *ifa = NULL;
	const char *mine = NULL;
	int rc = -ENODEV;

	for (int i = 0; i < c->n_nodes; i++)
		if (c->nodes[i].id == c->my_id)
			mine = c->nodes[i].addr;
	if (!mine || getifaddrs(&ifa) < 0)
		return -ENODEV;
	for (struct ifaddrs *p = ifa; p; p = p->ifa_next) {
		char a[INET6_ADDRSTRLEN] = "";
		if (!p->ifa_addr)
			continue;
		if (p->ifa_addr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)p->ifa_addr)->sin_addr,
			          a, sizeof(a));
		else if (p->ifa_addr->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
			          &((struct sockaddr_in6 *)(void *)p->ifa_addr)->sin6_addr, a,
			          sizeof(a));
		if (strcmp(a, mine) == 0) {
			snprintf(buf, len, "%s", p->ifa_name);
			rc = 0;
			break;
		}
	}
	freeifaddrs(ifa);
	return rc;
}

void ap_cl_start_keepalived(struct ap_cluster *c)
{
	char dir[PATH_MAX], conf[PATH_MAX], track[PATH_MAX], check[PATH_MAX], ifname[16];
	char *text = NULL, **argv = NULL, *pidtext = NULL;
	int rc;

	if (!c->mgmt[0] || c->keepalived.run)
		return;
	snprintf(dir, sizeof(dir), "%s/keepalived", c->run_dir);
	snprintf(conf, sizeof(conf), "%s/keepalived.conf", dir);
	snprintf(track, sizeof(track), "%s/master.weight", dir);
	snprintf(check, sizeof(check), "%s/vsadm", c->self_dir);
	if ((rc = lib_mkdir_p(dir, 0755)) < 0 ||
	    (rc = ring0_ifname(c, ifname, sizeof(ifname))) < 0) {
		ap_cl_event(c, NULL, "error", "cannot set up the management address: %s",
		            strerror(-rc));
		return;
	}
	c->ka_weight = -1;
	ap_cl_update_track(c);
	struct ap_ka_params p = {.instance = "appliance",
	                         .interface = ifname,
	                         .vip = c->mgmt,
	                         .vip_dev = c->mgmt_port[0] ? c->mgmt_port : NULL,
	                         .vrid = 51,
	                         .base_priority = 100,
	                         .track_file = track,
	                         .check_argv0 = check,
	                         .check_arg = "ping",
	                         .pid_dir = dir};
	rc = ap_keepalived_conf(&p, &text);
	if (rc == 0)
		rc = lib_write_file(conf, text, strlen(text), 0644);
	free(text);
	if (rc < 0) {
		ap_cl_event(c, NULL, "error", "cannot write keepalived's configuration: %s",
		            strerror(-rc));
		return;
	}
	/* A keepalived left running by an earlier applianced carries on. */
	char pidf[PATH_MAX + 16], comm[64];
	snprintf(pidf, sizeof(pidf), "%s/keepalived.pid", dir);
	if (lib_read_file(pidf, &pidtext) == 0) {
		char *cm = NULL;
		snprintf(comm, sizeof(comm), "/proc/%d/comm", atoi(pidtext));
		bool alive = lib_read_file(comm, &cm) == 0 && strncmp(cm, "keepalived", 10) == 0;
		free(cm);
		free(pidtext);
		if (alive) {
			lib_info("cluster: keepalived is already running; using it");
			return;
		}
	}
	if (c->daemon_units) {
		rc = start_unit(c, &c->keepalived);
		if (rc < 0)
			ap_cl_event(c, NULL, "error", "cannot ask systemd to start keepalived: %s",
			            strerror(-rc));
		return;
	}
	rc = ap_keepalived_argv(&p, "keepalived", conf, &argv);
	if (rc == 0) {
		struct lib_run_opts o = {
		    .argv = (const char *const *)argv, .netns_fd = -1, .out_fd = -1};
		rc = lib_run_start(c->ev, &o, ap_cl_keep_end, &c->keepalived, &c->keepalived.run);
	}
	free(argv);
	if (rc < 0)
		ap_cl_event(c, NULL, "error", "cannot start keepalived: %s", strerror(-rc));
	else
		lib_info("cluster: keepalived started for the management address %s", c->mgmt);
}
