/*
 * vs_vipdev.h - naming and planning the devices of a VIP on this node (pure).
 *
 * A VIP has at most one macvlan per port of its failover group, inside the
 * VS namespace: the live one (up) and hot standbys (down, same MAC and
 * address, nf_vip_standby) on the group's other ports, so that a failover
 * is only "raise the standby, announce" (one RTM_NEWLINK) instead of
 * creating, addressing and raising a device. A device is named after the
 * VIP and the port it sits on, "v" + 8 hex digits of the VIP's MAC + "p" +
 * the port's ifindex (at most 15 characters), so a restarted daemon finds
 * them again by name. The plan says which standbys to make and which to
 * drop, given the ports the policy wants them on.
 *
 * Memory: the caller's buffers. Errors: 0 or a negative errno (-ERANGE: a
 * name does not fit, -EINVAL: bad input).
 */
#ifndef VS_VIPDEV_H
#define VS_VIPDEV_H

#include <stddef.h>

#include "vserver/vs_model.h"

#define VS_VIPDEV_NAME_MAX 16 /* with the NUL */
#define VS_VIPDEV_IFINDEX_MAX 99999

/* "vXXXXXXXX": what every device of this VIP's name begins with. */
void vs_vipdev_prefix(const char *addr, char *buf, size_t len);
/* The device of VIP `addr` on the port of ifindex `port_ifindex`. */
int vs_vipdev_name(const char *addr, int port_ifindex, char *buf, size_t len);

/* Standbys wanted on `want` (ports), present on `have`, live on `live`:
 * create[] gets the indices into want of the standbys to make (not live,
 * not present, each once), drop[] the indices into have of those to remove
 * (on the live port, not wanted, or a repeat). Each array holds
 * VS_FG_MAX_PORTS; more than that in want or have is -EINVAL. */
int vs_vipdev_plan(const char *live, const char (*want)[VS_PORT_MAX + 1], int n_want,
                   const char (*have)[VS_PORT_MAX + 1], int n_have, int *create, int *n_create,
                   int *drop, int *n_drop);

#endif
