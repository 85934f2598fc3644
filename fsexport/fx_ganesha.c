/*
 * fx_ganesha.c - ganesha.conf of one virtual server (pure, no I/O).
 *
 * Design: one ganesha.nfsd per VS, started inside the VS's network namespace,
 * so the file describes exactly one server:
 *  - NFSv4 only, TCP only, no NLM, no RQUOTA: only port 2049 is opened in
 *    the namespace and nothing needs rpcbind (ganesha still tries to
 *    register NFSv4 with it, logs "Cannot register NFS V4 on TCP" and goes
 *    on). Minor versions 0, 1, 2: the lab's libnfs client speaks only 4.0.
 *  - Clustered = false: with the fs recovery backend ganesha then keeps its
 *    client records directly in RecoveryRoot/v4recov (not under a per-node
 *    sub-directory), and RecoveryRoot lives on the VS's own file system, so
 *    the records move with the VS to whichever node serves it next.
 *  - Server_Owner/Server_Scope = the VS name (when given): ganesha would
 *    otherwise use the host name, and a client that sees another scope
 *    after a move does not reclaim its state.
 *  - Owners: numeric ("1200"), both ways, while every export is sec=sys:
 *    what Linux's knfsd and ONTAP (-v4-numeric-ids) do for AUTH_SYS, and
 *    what a Linux client sends and expects by default
 *    (nfs4_disable_idmapping). With names, a client whose idmapd domain
 *    is not the VS's sees every owner as nobody; and libnfs, the lab's
 *    client, shows every named owner as 65534 (measured: carol@sm1.local
 *    -> 65534 after a move). The VS's ID domain and its idmapd.conf (its
 *    own passwd and group, DESIGN 7a) are written for names once krb5
 *    exports come.
 *  - Kerberos off (no keytab on the appliance): SecType = sys only.
 *  - One EXPORT per export with the VFS FSAL. Root is squashed to nobody
 *    (65534) by default, as knfsd does: a client's root is not the
 *    server's root; an export may squash all or none, to other anonymous
 *    ids. An export
 *    restricted to clients gets Access_Type = None at export level and the
 *    access in a CLIENT block, so unlisted clients see nothing.
 * Every string value is validated, then written double-quoted; values that
 * ganesha's lexer could misread (quotes, braces, semicolons, comment signs,
 * backslash, '$', control characters) are refused with -EINVAL instead of
 * being escaped. Client lists are parsed with inet_pton and written as bare
 * CIDR tokens in canonical form (inet_ntop, a prefix without leading zeros),
 * the only form ganesha's CLIENT parser types as networks: every spelling the
 * model accepts (192.0.2.0/0024, 2001:DB8::/048) is written.
 */
#include "fsexport/fx_ganesha.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib_buf.h"

#define FX_GANESHA_LEASE_MAX 120 /* the smallest upper bound across ganesha 2.x-5.x */
#define FX_GANESHA_GRACE_MAX 180
#define FX_GANESHA_NAME_MAX 63
#define FX_GANESHA_CLIENT_MAX 64 /* one CIDR in text form, with margin */

/* A value that can sit between double quotes in ganesha.conf. */
static int fx_gan_str_ok(const char *s)
{
	const unsigned char *c;

	if (!s || !*s)
		return 0;
	for (c = (const unsigned char *)s; *c; c++) {
		if (*c < 0x20 || *c > 0x7e)
			return 0;
		if (strchr("\"'\\{};#$", *c))
			return 0;
	}
	return 1;
}

static int fx_gan_abs_ok(const char *s)
{
	return fx_gan_str_ok(s) && s[0] == '/';
}

static int fx_gan_name_ok(const char *s)
{
	size_t i;

	if (!s || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
		return 0;
	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (i >= FX_GANESHA_NAME_MAX)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* One client token: an IPv4/IPv6 address with an optional /prefix, in any
 * spelling inet_pton and a decimal prefix allow (leading zeros included,
 * as the model accepts them); written into canon in the canonical form
 * (inet_ntop, prefix without leading zeros), the only one written out. */
static int fx_gan_cidr_ok(const char *s, size_t len, char *canon, size_t clen)
{
	char addr[FX_GANESHA_CLIENT_MAX], text[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *slash;
	size_t alen;
	int family, max, prefix = -1, n;

	if (len == 0 || len >= sizeof(addr))
		return 0;
	slash = memchr(s, '/', len);
	alen = slash ? (size_t)(slash - s) : len;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, bin) == 1)
		family = AF_INET, max = 32;
	else if (inet_pton(AF_INET6, addr, bin) == 1)
		family = AF_INET6, max = 128;
	else
		return 0;
	if (slash) {
		const char *d = slash + 1, *end = s + len;

		if (d == end)
			return 0;
		for (prefix = 0; d < end; d++) {
			if (*d < '0' || *d > '9')
				return 0;
			prefix = prefix * 10 + (*d - '0');
			if (prefix > max)
				return 0;
		}
	}
	if (!inet_ntop(family, bin, text, sizeof(text)))
		return 0;
	n = prefix < 0 ? snprintf(canon, clen, "%s", text)
	               : snprintf(canon, clen, "%s/%d", text, prefix);
	return n > 0 && (size_t)n < clen;
}

/* Walks a comma-separated client list; with b set, appends the tokens joined
 * by ", ". Returns the number of tokens, or -EINVAL. */
static int fx_gan_clients(const char *list, struct lib_buf *b)
{
	const char *p = list;
	int n = 0;

	while (*p) {
		const char *start, *end;
		char canon[FX_GANESHA_CLIENT_MAX];

		while (*p == ' ' || *p == '\t')
			p++;
		start = p;
		while (*p && *p != ',')
			p++;
		end = p;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (!fx_gan_cidr_ok(start, (size_t)(end - start), canon, sizeof(canon)))
			return -EINVAL;
		if (b)
			lib_buf_printf(b, "%s%s", n ? ", " : "", canon);
		n++;
		if (*p == ',') {
			p++;
			if (!*p)
				return -EINVAL; /* trailing comma */
		}
	}
	return n;
}

/* An NFSv4 ID domain: labels of [a-z0-9-] (1..63, not starting or ending
 * with '-') joined by single dots, 1..253 in all. */
static int fx_gan_domain_ok(const char *s)
{
	size_t label = 0, n = 0;

	if (!s || !*s)
		return 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (c == '.') {
			if (label == 0 || s[n - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if ((label == 0 && c == '-') || ++label > 63)
			return 0;
	}
	return n <= 253 && label > 0 && s[n - 1] != '-';
}

static int fx_gan_anon_ok(uint32_t id)
{
	return id <= FX_NFS_ANON_DEFAULT; /* 0: the default */
}

static int fx_gan_has_clients(const struct fx_nfs_export *e)
{
	return e->clients && e->clients[0];
}

static int fx_gan_validate(const struct fx_ganesha_params *p, int lease, int grace)
{
	int i, j;

	if (p->name && !fx_gan_name_ok(p->name))
		return -EINVAL;
	if (!fx_gan_abs_ok(p->recovery_root))
		return -EINVAL;
	if (lease < 1 || lease > FX_GANESHA_LEASE_MAX)
		return -EINVAL;
	if (grace < lease || grace > FX_GANESHA_GRACE_MAX)
		return -EINVAL;
	if (p->n_exports < 0 || (p->n_exports > 0 && !p->exports))
		return -EINVAL;
	if (!p->domain != !p->idmap_conf)
		return -EINVAL;
	if (p->domain && (!fx_gan_domain_ok(p->domain) || !fx_gan_abs_ok(p->idmap_conf)))
		return -EINVAL;
	for (i = 0; i < p->n_exports; i++) {
		const struct fx_nfs_export *e = &p->exports[i];

		if (e->id < 1 || e->id > 65535)
			return -EINVAL;
		if (e->squash != FX_SQUASH_ROOT && e->squash != FX_SQUASH_ALL &&
		    e->squash != FX_SQUASH_NONE)
			return -EINVAL;
		if (!fx_gan_anon_ok(e->anon_uid) || !fx_gan_anon_ok(e->anon_gid))
			return -EINVAL;
		if (!fx_gan_abs_ok(e->path) || !fx_gan_abs_ok(e->pseudo))
			return -EINVAL;
		if (fx_gan_has_clients(e) && fx_gan_clients(e->clients, NULL) <= 0)
			return -EINVAL;
		for (j = 0; j < i; j++) {
			if (p->exports[j].id == e->id)
				return -EINVAL;
			if (strcmp(p->exports[j].pseudo, e->pseudo) == 0)
				return -EINVAL;
		}
	}
	return 0;
}

static void fx_gan_export(struct lib_buf *b, const struct fx_nfs_export *e)
{
	static const char *const squash[] = {"Root_Squash", "All_Squash", "No_Root_Squash"};
	const char *access = e->ro ? "RO" : "RW";
	unsigned au = e->anon_uid ? e->anon_uid : FX_NFS_ANON_DEFAULT;
	unsigned ag = e->anon_gid ? e->anon_gid : FX_NFS_ANON_DEFAULT;

	lib_buf_printf(b,
	               "EXPORT {\n"
	               "\tExport_Id = %u;\n"
	               "\tPath = \"%s\";\n"
	               "\tPseudo = \"%s\";\n"
	               "\tProtocols = 4;\n"
	               "\tTransports = TCP;\n"
	               "\tSecType = sys;\n"
	               "\tSquash = %s;\n"
	               "\tAnonymous_Uid = %u;\n"
	               "\tAnonymous_Gid = %u;\n",
	               (unsigned)e->id, e->path, e->pseudo, squash[e->squash], au, ag);
	if (fx_gan_has_clients(e)) {
		lib_buf_printf(b, "\tAccess_Type = None;\n"
		                  "\tCLIENT {\n"
		                  "\t\tClients = ");
		(void)fx_gan_clients(e->clients, b); /* validated already */
		lib_buf_printf(b,
		               ";\n"
		               "\t\tAccess_Type = %s;\n"
		               "\t\tProtocols = 4;\n"
		               "\t\tTransports = TCP;\n"
		               "\t\tSecType = sys;\n"
		               "\t\tSquash = %s;\n"
		               "\t}\n",
		               access, squash[e->squash]);
	} else {
		lib_buf_printf(b, "\tAccess_Type = %s;\n", access);
	}
	lib_buf_printf(b, "\tFSAL {\n"
	                  "\t\tName = VFS;\n"
	                  "\t}\n"
	                  "}\n\n");
}

int fx_ganesha_conf(const struct fx_ganesha_params *p, char **out)
{
	struct lib_buf b = {0};
	int lease, grace, rc, i;

	if (!p || !out)
		return -EINVAL;
	lease = p->lease_lifetime ? p->lease_lifetime : FX_GANESHA_LEASE_DEFAULT;
	grace = p->grace_period ? p->grace_period : FX_GANESHA_GRACE_DEFAULT;
	rc = fx_gan_validate(p, lease, grace);
	if (rc < 0)
		return rc;

	lib_buf_printf(&b, "# ganesha.conf of one virtual server, generated by applianced.\n"
	                   "# Do not edit: it is rewritten on every change.\n\n");
	lib_buf_printf(&b, "NFS_CORE_PARAM {\n"
	                   "\tProtocols = 4;\n"
	                   "\tNFS_Port = 2049;\n"
	                   "\tEnable_NLM = false;\n"
	                   "\tEnable_RQUOTA = false;\n"
	                   "\tEnable_UDP = false;\n"
	                   "\tClustered = false;\n");
	if (p->name)
		lib_buf_printf(&b, "\tDbus_Name_Prefix = \"%s\";\n", p->name);
	lib_buf_printf(&b, "}\n\n");
	lib_buf_printf(&b, "NFS_KRB5 {\n"
	                   "\tActive_krb5 = false;\n"
	                   "}\n\n");
	lib_buf_printf(&b,
	               "NFSV4 {\n"
	               "\tRecoveryBackend = fs;\n"
	               "\tRecoveryRoot = \"%s\";\n"
	               "\tLease_Lifetime = %d;\n"
	               "\tGrace_Period = %d;\n"
	               "\tMinor_Versions = 0, 1, 2;\n"
	               "\tAllow_Numeric_Owners = true;\n"
	               "\tOnly_Numeric_Owners = true;\n",
	               p->recovery_root, lease, grace);
	if (p->domain)
		lib_buf_printf(&b,
		               "\tDomainName = \"%s\";\n"
		               "\tIdmapConf = \"%s\";\n",
		               p->domain, p->idmap_conf);
	if (p->name)
		lib_buf_printf(&b,
		               "\tServer_Owner = \"%s\";\n"
		               "\tServer_Scope = \"%s\";\n",
		               p->name, p->name);
	lib_buf_printf(&b, "}\n\n");
	for (i = 0; i < p->n_exports; i++)
		fx_gan_export(&b, &p->exports[i]);
	return lib_buf_finish(&b, out);
}

int fx_ganesha_idmapd(const char *domain, char **out)
{
	struct lib_buf b = {0};

	if (!out || !fx_gan_domain_ok(domain))
		return -EINVAL;
	lib_buf_printf(&b,
	               "# idmapd.conf of one virtual server, generated by applianced.\n"
	               "[General]\n"
	               "Domain = %s\n"
	               "\n"
	               "[Mapping]\n"
	               "Nobody-User = nobody\n"
	               "Nobody-Group = nogroup\n"
	               "\n"
	               "[Translation]\n"
	               "Method = nsswitch\n",
	               domain);
	return lib_buf_finish(&b, out);
}
