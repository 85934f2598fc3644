/*
 * vs_vipdev.c - naming and planning the devices of a VIP (see vs_vipdev.h).
 */
#include "vserver/vs_vipdev.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void vs_vipdev_prefix(const char *addr, char *buf, size_t len)
{
	uint8_t mac[6];

	vs_vip_mac("", addr, mac);
	snprintf(buf, len, "v%02x%02x%02x%02x", mac[2], mac[3], mac[4], mac[5]);
}

int vs_vipdev_name(const char *addr, int port_ifindex, char *buf, size_t len)
{
	char prefix[VS_VIPDEV_NAME_MAX];
	int n;

	if (!addr || port_ifindex < 1 || port_ifindex > VS_VIPDEV_IFINDEX_MAX)
		return -ERANGE;
	vs_vipdev_prefix(addr, prefix, sizeof(prefix));
	n = snprintf(buf, len, "%sp%d", prefix, port_ifindex);
	return n < 0 || (size_t)n >= len || n >= VS_VIPDEV_NAME_MAX ? -ERANGE : 0;
}

static int index_of(const char (*set)[VS_PORT_MAX + 1], int n, const char *port)
{
	for (int i = 0; i < n; i++)
		if (strcmp(set[i], port) == 0)
			return i;
	return -1;
}

int vs_vipdev_plan(const char *live, const char (*want)[VS_PORT_MAX + 1], int n_want,
                   const char (*have)[VS_PORT_MAX + 1], int n_have, int *create, int *n_create,
                   int *drop, int *n_drop)
{
	if (!live || n_want < 0 || n_have < 0 || n_want > VS_FG_MAX_PORTS ||
	    n_have > VS_FG_MAX_PORTS)
		return -EINVAL;
	*n_create = *n_drop = 0;
	for (int i = 0; i < n_want; i++)
		if (strcmp(want[i], live) != 0 && index_of(have, n_have, want[i]) < 0 &&
		    index_of(want, i, want[i]) < 0)
			create[(*n_create)++] = i;
	for (int i = 0; i < n_have; i++)
		if (strcmp(have[i], live) == 0 || index_of(want, n_want, have[i]) < 0 ||
		    index_of(have, i, have[i]) >= 0)
			drop[(*n_drop)++] = i;
	return 0;
}
