/*
 * nf_vip_int.h - internal to netfail: VIP spec checking shared by nf_vip.c
 * and nf_announce.c.
 */
#ifndef NF_VIP_INT_H
#define NF_VIP_INT_H

#include "netfail/nf_vip.h"

struct nf_vip_addr {
	int family;
	int len; /* 4 or 16 */
	unsigned char bytes[16];
};

/* 1 if `name` can be an interface name (1..15 chars, no '/', ':' or blanks). */
int nf_ifname_ok(const char *name);
/* Check a spec (ifname, unicast non-null MAC, family, prefix) and parse its
 * address. The parent is not checked here. 0, -EINVAL or -EAFNOSUPPORT. */
int nf_vip_parse(const struct nf_vip_spec *s, struct nf_vip_addr *a);

#endif
