/*
 * ap_nodebus.c - this node's private D-Bus for ganesha (see ap_nodebus.h).
 *
 * Design: one lib_run child (dbus-daemon --nofork), a restart timer. The
 * config is rewritten at every start (it names the socket's path).
 */
#include "appliance/ap_nodebus.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/lib_fs.h"
#include "lib/lib_log.h"
#include "lib/lib_run.h"

#define RESTART_USEC (5ULL * 1000000)

struct ap_nodebus {
	sd_event *ev;
	char dir[PATH_MAX - 32];
	struct lib_run *run;
	sd_event_source *timer;
};

static void start(struct ap_nodebus *b);

void ap_nodebus_address(const char *dir, char *buf, size_t len)
{
	snprintf(buf, len, "unix:path=%s/bus.sock", dir);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *arg)
{
	struct ap_nodebus *b = arg;

	b->timer = sd_event_source_disable_unref(b->timer);
	start(b);
	return 0;
}

static void later(struct ap_nodebus *b)
{
	if (!b->timer && sd_event_add_time_relative(b->ev, &b->timer, CLOCK_MONOTONIC, RESTART_USEC,
	                                            0, on_timer, b) < 0)
		lib_warn("node bus: cannot schedule its restart");
}

static void on_end(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct ap_nodebus *b = arg;
	char how[128];

	lib_warn("node bus: dbus-daemon %s; starting it again in 5 s (ganesha's statistics "
	         "wait for it)",
	         lib_run_describe(res, how, sizeof(how)));
	b->run = NULL;
	lib_run_destroy(run);
	later(b);
}

static void start(struct ap_nodebus *b)
{
	char conf[PATH_MAX], sock[PATH_MAX], text[2048], cfarg[PATH_MAX + 16];
	int rc;

	snprintf(conf, sizeof(conf), "%s/bus.conf", b->dir);
	snprintf(sock, sizeof(sock), "%s/bus.sock", b->dir);
	snprintf(
	    text, sizeof(text),
	    "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
	    " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
	    "<!-- This node's bus for ganesha's statistics, written by applianced. -->\n"
	    "<busconfig>\n"
	    "  <type>system</type>\n"
	    "  <listen>unix:path=%s</listen>\n"
	    "  <auth>EXTERNAL</auth>\n"
	    "  <policy context=\"default\">\n"
	    "    <deny own=\"*\"/>\n"
	    "    <deny send_type=\"method_call\"/>\n"
	    "    <allow send_destination=\"org.freedesktop.DBus\" "
	    "send_interface=\"org.freedesktop.DBus\"/>\n"
	    "    <allow send_type=\"method_return\"/>\n"
	    "    <allow send_type=\"error\"/>\n"
	    "    <allow receive_type=\"method_return\"/>\n"
	    "    <allow receive_type=\"error\"/>\n"
	    "    <allow receive_type=\"signal\" receive_sender=\"org.freedesktop.DBus\"/>\n"
	    "  </policy>\n"
	    "  <policy user=\"root\">\n"
	    "    <allow own=\"*\"/>\n"
	    "    <allow send_type=\"method_call\"/>\n"
	    "    <allow receive_type=\"method_call\"/>\n"
	    "  </policy>\n"
	    "</busconfig>\n",
	    sock);
	if ((rc = lib_mkdir_p(b->dir, 0700)) < 0 ||
	    (rc = lib_write_file(conf, text, strlen(text), 0600)) < 0) {
		lib_warn("node bus: cannot write %s: %s", conf, strerror(-rc));
		later(b);
		return;
	}
	(void)unlink(sock); /* a stale socket of an earlier bus */
	snprintf(cfarg, sizeof(cfarg), "--config-file=%s", conf);
	const char *argv[] = {"dbus-daemon", cfarg, "--nofork", "--nopidfile", NULL};
	struct lib_run_opts o = {.argv = argv, .netns_fd = -1, .out_fd = -1};
	rc = lib_run_start(b->ev, &o, on_end, b, &b->run);
	if (rc < 0) {
		lib_warn("node bus: cannot start dbus-daemon: %s", strerror(-rc));
		b->run = NULL;
		later(b);
	}
}

int ap_nodebus_create(sd_event *ev, const char *dir, struct ap_nodebus **out)
{
	struct ap_nodebus *b = calloc(1, sizeof(*b));

	*out = NULL;
	if (!b)
		return -ENOMEM;
	if (strlen(dir) >= sizeof(b->dir)) {
		free(b);
		return -ENAMETOOLONG;
	}
	b->ev = ev;
	snprintf(b->dir, sizeof(b->dir), "%s", dir);
	start(b);
	*out = b;
	return 0;
}

void ap_nodebus_destroy(struct ap_nodebus *b)
{
	if (!b)
		return;
	sd_event_source_disable_unref(b->timer);
	if (b->run)
		lib_run_destroy(b->run);
	free(b);
}
