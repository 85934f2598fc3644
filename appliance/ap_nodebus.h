/*
 * ap_nodebus.h - this node's private D-Bus, for ganesha's statistics only.
 *
 * ganesha 4.3 gives its request counters (org.ganesha.nfsd.exportstats)
 * only over the D-Bus system bus, and no system bus runs on a node. So
 * applianced runs one dbus-daemon of its own: its config file (written
 * here) listens on DIR/bus.sock only, denies by default, lets root own names
 * (each VS's ganesha owns "<vs>.org.ganesha.nfsd") and call methods, and
 * lets replies and the bus's own signals through. Every ganesha is started
 * with DBUS_SYSTEM_BUS_ADDRESS = ap_nodebus_address() (a unix socket path
 * works from any network namespace); the load sampler calls it with busctl.
 *
 * Supervised: started at once, started again 5 s after it ends. A ganesha
 * that started while the bus was down, or whose bus ended, has no D-Bus
 * until it restarts (ganesha connects once): its NFS rate is then absent.
 *
 * Memory: opaque, owned by the caller. Errors: 0 or a negative errno.
 */
#ifndef AP_NODEBUS_H
#define AP_NODEBUS_H

#include <stddef.h>
#include <systemd/sd-event.h>

struct ap_nodebus;

/* "unix:path=DIR/bus.sock" into buf. */
void ap_nodebus_address(const char *dir, char *buf, size_t len);
int ap_nodebus_create(sd_event *ev, const char *dir, struct ap_nodebus **out);
/* Stops the bus. */
void ap_nodebus_destroy(struct ap_nodebus *b);

#endif
