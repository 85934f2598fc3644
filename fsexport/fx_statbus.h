/*
 * fx_statbus.h - the private D-Bus of one VS, over which its ganesha gives
 * its statistics (pure: paths in, text out; no I/O).
 *
 * ganesha 4.3 offers its request counters only over D-Bus (fx_srvstats.h).
 * Each VS gets a dbus-daemon of its own, started and supervised with its
 * servers (vserver/vs_rt_servers.c): a socket in the VS's run directory, a
 * pid file for adoption after an applianced restart, deny by default, root
 * alone may own names and call methods. A bus per VS, not per node: ganesha
 * exits when its bus goes (libdbus's shared connection exits on
 * disconnect), so a bus shares the life of the servers it carries. ganesha
 * owns "VS.org.ganesha.nfsd" on it (Dbus_Name_Prefix, fx_ganesha.c).
 *
 * Paths are allow-listed (absolute, [A-Za-z0-9/._-] only, at most
 * FX_STATBUS_PATH_MAX): nothing needs escaping in the XML or in the D-Bus
 * address, and no path can smuggle a directive.
 *
 * fx_statbus_conf: the dbus-daemon configuration, *out malloc'ed (the
 * caller frees it). fx_statbus_address: "unix:path=SOCK" into buf.
 * Errors: 0, -EINVAL (a path outside the allow-list), -ENAMETOOLONG (buf
 * too small), -ENOMEM. *out is NULL on any error.
 */
#ifndef FX_STATBUS_H
#define FX_STATBUS_H

#include <stddef.h>

#define FX_STATBUS_PATH_MAX 200
/* The name ganesha owns on its bus after the VS's prefix, and the call
 * that gives its counters. */
#define FX_STATBUS_GANESHA "org.ganesha.nfsd"
#define FX_STATBUS_OPS_PATH "/org/ganesha/nfsd/ExportMgr"
#define FX_STATBUS_OPS_IFACE "org.ganesha.nfsd.exportstats"
#define FX_STATBUS_OPS_METHOD "GetGlobalOPS"

int fx_statbus_conf(const char *sock_path, const char *pid_path, char **out);
int fx_statbus_address(const char *sock_path, char *buf, size_t len);

#endif
