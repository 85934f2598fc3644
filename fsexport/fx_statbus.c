/*
 * fx_statbus.c - the configuration of a VS's statistics bus (see
 * fx_statbus.h). The policy: anyone may talk to the bus driver and get
 * replies; only root may own a name, send a method call or receive one.
 */
#include "fsexport/fx_statbus.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/lib_buf.h"

static bool path_ok(const char *p)
{
	size_t n = p ? strlen(p) : 0;

	if (n < 2 || n > FX_STATBUS_PATH_MAX || p[0] != '/')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return strstr(p, "..") == NULL; /* no parent step, whatever the path */
}

int fx_statbus_address(const char *sock_path, char *buf, size_t len)
{
	if (!path_ok(sock_path))
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "unix:path=%s", sock_path) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int fx_statbus_conf(const char *sock_path, const char *pid_path, char **out)
{
	struct lib_buf b = {0};

	*out = NULL;
	if (!path_ok(sock_path) || !path_ok(pid_path))
		return -EINVAL;
	lib_buf_printf(
	    &b,
	    "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
	    " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
	    "<!-- A virtual server's statistics bus, written by applianced. -->\n"
	    "<busconfig>\n"
	    "  <type>system</type>\n"
	    "  <listen>unix:path=%s</listen>\n"
	    "  <pidfile>%s</pidfile>\n"
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
	    sock_path, pid_path);
	return lib_buf_finish(&b, out);
}
