/*
 * fx_join.h - joining one virtual server to an Active Directory domain
 * (issue 11 item 5, DESIGN 7a): the allow-lists of what an administrator
 * and a domain controller give, the per-VS files the join and winbindd need
 * (krb5.conf, hosts, nsswitch.conf), the reading of `net ads lookup`, and
 * one sentence for a failed `net ads join`. Pure: no I/O.
 *
 * Recipe (docs/research/ad-join, Samba 4.17): `net ads join -S DC` takes
 * the DC's DNS name from its CLDAP answer and connects by that name, so the
 * VS's mount namespace gets a hosts file naming the DC, and Kerberos a
 * krb5.conf with the KDC by address (no DNS needed in the lab).
 *
 * Memory: *out is malloc'd and owned by the caller; struct fx_join_dc is
 * the caller's. Errors: 0 or -EINVAL (a value outside its allow-list),
 * -ENOMEM; parsers -ENOENT when a field is missing.
 */
#ifndef FX_JOIN_H
#define FX_JOIN_H

#include <stdbool.h>
#include <stddef.h>

#define FX_JOIN_REALM_MAX 128 /* a DNS name, upper case in the realm */
#define FX_JOIN_WG_MAX 15     /* NetBIOS domain name */
#define FX_JOIN_USER_MAX 64
#define FX_JOIN_HOST_MAX 253

/* A realm: dot-separated labels of [A-Za-z0-9-] (a label neither starts nor
 * ends with '-'), at least two labels, at most FX_JOIN_REALM_MAX. */
bool fx_join_realm_ok(const char *s);
/* An administrator's account name: [A-Za-z0-9._-], not starting with '-'
 * or '.', at most FX_JOIN_USER_MAX (never an option, never a path). */
bool fx_join_user_ok(const char *s);
/* A NetBIOS domain name: [A-Za-z0-9_-], 1..15, not starting with '-'. */
bool fx_join_workgroup_ok(const char *s);
/* A DNS host name (labels as a realm's, at least one). */
bool fx_join_host_ok(const char *s);

/* The realm in upper case into out (FX_JOIN_REALM_MAX + 1): 0 or -EINVAL. */
int fx_join_realm_upper(const char *realm, char *out, size_t len);

/* What `net ads lookup -S ADDR` said about the domain controller. */
struct fx_join_dc {
	char domain[FX_JOIN_REALM_MAX + 1]; /* "Domain:", its DNS name */
	char dc_name[FX_JOIN_HOST_MAX + 1]; /* "Domain Controller:" */
	char workgroup[FX_JOIN_WG_MAX + 1]; /* "Pre-Win2k Domain:" */
	char addr[46]; /* "Information for Domain Controller:", "" when not an address */
};
/* Every field checked by its allow-list: a hostile DC's answer is refused
 * (-EINVAL), a missing line is -ENOENT. */
int fx_join_parse_lookup(const char *output, struct fx_join_dc *out);

/* krb5.conf of the VS: its realm's KDC by address, no DNS lookups. */
int fx_join_krb5_conf(const char *realm, const char *kdc_addr, char **out);
/* hosts of the VS's mount namespace: localhost, and the DC's name (and its
 * first label) at its address. */
int fx_join_hosts(const char *dc_addr, const char *dc_name, char **out);
/* nsswitch.conf of a joined VS: passwd and group from its own users
 * (extrausers, fx_identity.h), then winbind; only that VS's mount namespace
 * sees it. Static text. */
const char *fx_join_nsswitch(void);

/* One sentence for a `net ads join` or `net ads lookup` that failed, from
 * its output (never echoed: it may quote what it was given). */
void fx_join_failure(const char *output, const char *realm, const char *dc_addr, char *buf,
                     size_t len);

/* The idmap range of a domain's RIDs (rid backend: uid = lo + RID) and of
 * the rest (tdb): fixed, so every node maps a SID to the same uid, and
 * above the VS's local uids (VS_ID_MAX). fx_join_ranges_ok checks that
 * neither overlaps [local_lo, local_hi] nor the other. */
#define FX_JOIN_RID_LO 1000000u
#define FX_JOIN_RID_HI 2999999u
#define FX_JOIN_STAR_LO 3000000u
#define FX_JOIN_STAR_HI 3999999u
bool fx_join_ranges_ok(unsigned rid_lo, unsigned rid_hi, unsigned star_lo, unsigned star_hi,
                       unsigned local_lo, unsigned local_hi);

#endif
