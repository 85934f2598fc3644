/*
 * fx_samba.c - smb.conf of one virtual server (pure, no I/O).
 *
 * Design: one smbd per VS, inside the VS's network namespace, sharing the
 * node with other VSs' smbd. So:
 *  - standalone server with its own NetBIOS name, NetBIOS (nmbd, ports
 *    137-139) off, SMB on port 445 only. It listens on the wildcard address
 *    of the VS's namespace ("bind interfaces only = no"): the namespace
 *    holds only the VS's VIPs, so isolation is kept, and smbd can start
 *    before the VIPs exist (with "yes" it panics when none is up yet) and
 *    serves a VIP added later without a restart. "interfaces" still lists
 *    the VIPs, for the record;
 *  - every path smbd (and the samba-dcerpcd it starts on demand) writes to
 *    lives under the VS's own directories: state, cache, private, binddns,
 *    usershares and log under its state directory; lock, pid and ncalrpc
 *    under its run directory, which every uid can reach (an smbd process
 *    serving a user checks, as that user, that the other smbd processes are
 *    alive through their messaging lock files in the lock directory: one it
 *    cannot reach counts as dead, and its byte-range locks and share modes
 *    were dropped when the lock directory lay under the 0700 state root,
 *    found with two SMB sessions of real clients). Two smbd never share a
 *    tdb, a pid file or a socket. The caller creates both directories
 *    (mode 0755); smbd creates the sub-directories it needs (checked with
 *    samba 4.17);
 *  - users, not guests (DESIGN 7a): security = user against the VS's
 *    smbpasswd file, NTLMv2 only, SMB2.1 at least, signing mandatory, map
 *    to guest = never; a share is for guests only when it says guest ok,
 *    and anonymous connections are restricted unless one does; there every
 *    session is the guest (guest only), users too. A new file
 *    is its creator's (no force user), mode 0744 (create mask, force
 *    create mode: Samba maps an owner's rwx to Full Control, and without the
 *    x bit a Windows application that opens its own file asking for full
 *    rights, FILE_ALL_ACCESS or GENERIC_ALL, is refused ACCESS_DENIED:
 *    measured with a real SMB 3 client, tests/integration/smb-ops; DOS
 *    attributes live in an xattr, map archive = no: the x bit is the
 *    owner's alone, never the backup mark's);
 *  - strict sync (Samba's default, written down): a flush, and a write to
 *    a file opened with FILE_WRITE_THROUGH, is answered once the data is on
 *    disk, so what a careful client was told is written survives a failover;
 *  - no printing at all (no printcap, no spoolss).
 * smb.conf has no quoting: a value runs to the end of its line, is trimmed,
 * a trailing backslash continues the line and '%' starts a substitution. So
 * values are validated, never escaped: control characters, '%', '\\' and
 * '"' are refused everywhere, and share names also refuse the characters
 * Windows forbids in share names.
 */
#include "fsexport/fx_samba.h"

#include <nettle/sha2.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsexport/fx_join.h"
#include "lib/lib_buf.h"

#define FX_SMB_NETBIOS_MAX 15
#define FX_SMB_SHARE_MAX 80

/* The sub-directories of state_dir named by the generated file. */
static const struct {
	const char *name;
	mode_t mode;
} fx_smb_dirs[] = {
    {"state", 0755},    {"cache", 0755},      {"private", 0700},
    {"bind-dns", 0755}, {"usershares", 0755}, {"log", 0755},
};

static int fx_smb_value_ok(const char *s)
{
	const unsigned char *c;
	size_t len;

	if (!s || !*s)
		return 0;
	for (c = (const unsigned char *)s; *c; c++) {
		if (*c < 0x20 || *c > 0x7e)
			return 0;
		if (strchr("%\\\"", *c))
			return 0;
	}
	len = strlen(s);
	return s[0] != ' ' && s[len - 1] != ' ';
}

static int fx_smb_abs_ok(const char *s)
{
	return fx_smb_value_ok(s) && s[0] == '/';
}

static int fx_smb_share_ok(const char *s)
{
	static const char *const reserved[] = {"global", "homes", "printers", "print$", "ipc$"};
	size_t i;

	if (!fx_smb_value_ok(s) || strlen(s) > FX_SMB_SHARE_MAX)
		return 0;
	if (strpbrk(s, "[]/:|<>+=;,*?#"))
		return 0;
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcasecmp(s, reserved[i]) == 0)
			return 0;
	return 1;
}

static int fx_smb_netbios_ok(const char *s)
{
	size_t i;

	if (!s || !*s || strlen(s) > FX_SMB_NETBIOS_MAX)
		return 0;
	for (i = 0; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

static int fx_smb_addr_ok(const char *s)
{
	unsigned char bin[sizeof(struct in6_addr)];

	if (!s)
		return 0;
	return inet_pton(AF_INET, s, bin) == 1 || inet_pton(AF_INET6, s, bin) == 1;
}

/* A list of users and @groups: names of [a-z0-9_-], each with an optional
 * leading '@', one space apart. */
static int fx_smb_list_ok(const char *s)
{
	if (!s)
		return 1;
	while (*s) {
		const char *name = s + (*s == '@');
		size_t n = 0;
		while ((name[n] >= 'a' && name[n] <= 'z') || (name[n] >= '0' && name[n] <= '9') ||
		       name[n] == '_' || name[n] == '-')
			n++;
		if (n == 0)
			return 0;
		s = name + n;
		if (*s == ' ' && s[1])
			s++;
		else if (*s)
			return 0;
	}
	return 1;
}

static int fx_smb_validate(const struct fx_samba_params *p)
{
	int i, j;

	if (!fx_smb_netbios_ok(p->netbios_name))
		return -EINVAL;
	if (p->n_addresses < 1 || !p->addresses)
		return -EINVAL;
	for (i = 0; i < p->n_addresses; i++)
		if (!fx_smb_addr_ok(p->addresses[i]))
			return -EINVAL;
	if (!fx_smb_abs_ok(p->state_dir) || !fx_smb_abs_ok(p->run_dir))
		return -EINVAL;
	if (p->n_shares < 0 || (p->n_shares > 0 && !p->shares))
		return -EINVAL;
	if (!fx_smb_abs_ok(p->passdb))
		return -EINVAL;
	if (p->member) {
		const struct fx_smb_member *m = p->member;
		/* the VS's local ids: vserver's VS_ID_MIN..VS_ID_MAX */
		if (!fx_join_realm_ok(m->realm) || !fx_join_workgroup_ok(m->workgroup) ||
		    (m->dc_addr && !fx_smb_addr_ok(m->dc_addr)) || !fx_smb_abs_ok(m->secrets_dir) ||
		    !fx_smb_abs_ok(m->winbindd_dir) ||
		    !fx_join_ranges_ok(m->rid_lo, m->rid_hi, m->star_lo, m->star_hi, 0, 59999))
			return -EINVAL;
	}
	for (i = 0; i < p->n_shares; i++) {
		const struct fx_smb_share *s = &p->shares[i];
		if (!fx_smb_share_ok(s->name) || !fx_smb_abs_ok(s->path) ||
		    !fx_smb_list_ok(s->read) || !fx_smb_list_ok(s->write))
			return -EINVAL;
		if (s->guest && ((s->read && *s->read) || (s->write && *s->write)))
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (strcasecmp(p->shares[i].name, p->shares[j].name) == 0)
				return -EINVAL;
	}
	return 0;
}

int fx_samba_conf(const struct fx_samba_params *p, char **out)
{
	struct lib_buf b = {0};
	char nb[FX_SMB_NETBIOS_MAX + 1];
	const char *sd, *rund;
	int sdlen, rdlen, rc, i;
	size_t k;

	if (!p || !out)
		return -EINVAL;
	rc = fx_smb_validate(p);
	if (rc < 0)
		return rc;
	for (k = 0; p->netbios_name[k]; k++)
		nb[k] = (char)toupper((unsigned char)p->netbios_name[k]);
	nb[k] = '\0';
	/* state_dir without its trailing slashes ("/" stays "") */
	sd = p->state_dir;
	sdlen = (int)strlen(sd);
	while (sdlen > 0 && sd[sdlen - 1] == '/')
		sdlen--;
	rund = p->run_dir;
	rdlen = (int)strlen(rund);
	while (rdlen > 0 && rund[rdlen - 1] == '/')
		rdlen--;

	lib_buf_printf(&b, "# smb.conf of one virtual server, generated by applianced.\n"
	                   "# Do not edit: it is rewritten on every change.\n\n");
	const struct fx_smb_member *m = p->member;
	char wg[FX_JOIN_WG_MAX + 1] = "WORKGROUP", realm[FX_JOIN_REALM_MAX + 1] = "";
	if (m) {
		for (k = 0; m->workgroup[k]; k++)
			wg[k] = (char)toupper((unsigned char)m->workgroup[k]);
		wg[k] = '\0';
		if (fx_join_realm_upper(m->realm, realm, sizeof(realm)) < 0)
			return -EINVAL;
	}
	lib_buf_printf(&b,
	               "[global]\n"
	               "\tserver role = %s\n"
	               "\tnetbios name = %s\n"
	               "\tworkgroup = %s\n"
	               "\tserver string = %s\n"
	               "\tbind interfaces only = no\n"
	               "\tinterfaces =",
	               m ? "member server" : "standalone server", nb, wg, nb);
	for (i = 0; i < p->n_addresses; i++)
		lib_buf_printf(&b, " %s", p->addresses[i]);
	bool guests = false;
	for (i = 0; i < p->n_shares; i++)
		guests = guests || p->shares[i].guest;
	lib_buf_printf(&b, "\n"
	                   "\tdisable netbios = yes\n"
	                   "\tsmb ports = 445\n");
	if (m)
		lib_buf_printf(&b,
		               "\tsecurity = ads\n"
		               "\trealm = %s\n"
		               "\tpassword server = %s\n"
		               "\tkerberos method = dedicated keytab\n"
		               "\tdedicated keytab file = FILE:%s/private/krb5.keytab\n"
		               "\tidmap config * : backend = tdb\n"
		               "\tidmap config * : range = %u-%u\n"
		               "\tidmap config %s : backend = rid\n"
		               "\tidmap config %s : range = %u-%u\n"
		               "\twinbind use default domain = yes\n"
		               "\twinbind enum users = no\n"
		               "\twinbind enum groups = no\n"
		               "\twinbindd socket directory = %s\n"
		               /* it starts before the VS's VIPs exist (after a move):
		                * offline at first, it retried the DC only after the
		                * default 30 s (measured: the first domain logon 29.7 s
		                * after the VS ran on the new node) */
		               "\twinbind reconnect delay = 2\n"
		               "\ttemplate shell = /usr/sbin/nologin\n"
		               "\ttemplate homedir = /nonexistent\n",
		               realm, m->dc_addr ? m->dc_addr : "*", m->secrets_dir, m->star_lo,
		               m->star_hi, wg, wg, m->rid_lo, m->rid_hi, m->winbindd_dir);
	else
		lib_buf_printf(&b,
		               "\tsecurity = user\n"
		               "\tpassdb backend = smbpasswd:%s\n",
		               p->passdb);
	lib_buf_printf(&b,
	               "\tntlm auth = ntlmv2-only\n"
	               "\tserver min protocol = SMB2_10\n"
	               "\tserver signing = mandatory\n"
	               "\tmap to guest = never\n"
	               "\tguest account = nobody\n"
	               "\trestrict anonymous = %d\n"
	               "\tunix password sync = no\n"
	               /* counts its requests for the load sampler (smbstatus -P) */
	               "\tsmbd profiling level = count\n",
	               guests ? 0 : 2);
	/* keep in step with fx_smb_dirs[]; a member's lasting state (machine
	 * secret, idmap) on the VS's own file system */
	const char *ld = m ? m->secrets_dir : sd;
	int ldlen = m ? (int)strlen(ld) : sdlen;
	lib_buf_printf(&b,
	               "\tstate directory = %.*s/state\n"
	               "\tcache directory = %.*s/cache\n"
	               "\tlock directory = %.*s/lock\n"
	               "\tprivate dir = %.*s/private\n"
	               "\tpid directory = %.*s/run\n"
	               "\tncalrpc dir = %.*s/ncalrpc\n"
	               "\tbinddns dir = %.*s/bind-dns\n"
	               "\tusershare path = %.*s/usershares\n"
	               "\tusershare max shares = 0\n"
	               "\tlog file = %.*s/log/smbd.log\n"
	               "\tmax log size = 1000\n"
	               "\tlogging = file\n",
	               ldlen, ld, sdlen, sd, rdlen, rund, ldlen, ld, rdlen, rund, rdlen, rund,
	               sdlen, sd, sdlen, sd, sdlen, sd);
	lib_buf_printf(&b, "\tload printers = no\n"
	                   "\tprinting = bsd\n"
	                   "\tprintcap name = /dev/null\n"
	                   "\tdisable spoolss = yes\n\n");
	for (i = 0; i < p->n_shares; i++) {
		const struct fx_smb_share *s = &p->shares[i];
		bool rd = s->read && *s->read, wr = s->write && *s->write;
		lib_buf_printf(&b,
		               "[%s]\n"
		               "\tpath = %s\n"
		               "\tread only = %s\n"
		               "\tguest ok = %s\n",
		               s->name, s->path, s->ro || rd || wr ? "yes" : "no",
		               s->guest ? "yes" : "no");
		/* A guest share is everyone's as the guest: an anonymous session's
		 * own token matches no owner, so without this a guest could not
		 * write even where nobody may (measured, samba 4.17). */
		if (s->guest)
			lib_buf_printf(&b, "\tguest only = yes\n");
		if (rd || wr)
			lib_buf_printf(&b, "\tvalid users =%s%s%s%s\n", rd ? " " : "",
			               rd ? s->read : "", wr ? " " : "", wr ? s->write : "");
		if (rd)
			lib_buf_printf(&b, "\tread list = %s\n", s->read);
		if (wr)
			lib_buf_printf(&b, "\twrite list = %s\n", s->write);
		if (s->encrypt)
			lib_buf_printf(&b, "\tserver smb encrypt = required\n");
		lib_buf_printf(&b, "\tstrict sync = yes\n"
		                   "\tcreate mask = 0744\n"
		                   "\tforce create mode = 0100\n"
		                   "\tmap archive = no\n"
		                   "\tdirectory mask = 0755\n\n");
	}
	return lib_buf_finish(&b, out);
}

int fx_samba_domain_sid(const char *vs_name, char *out, size_t len)
{
	struct sha256_ctx h;
	uint8_t d[SHA256_DIGEST_SIZE];
	uint32_t a[3];
	int n;

	if (!vs_name || !vs_name[0])
		return -EINVAL;
	sha256_init(&h);
	sha256_update(&h, strlen("appliance-vs-sid:"), (const uint8_t *)"appliance-vs-sid:");
	sha256_update(&h, strlen(vs_name), (const uint8_t *)vs_name);
	sha256_digest(&h, sizeof(d), d);
	for (int i = 0; i < 3; i++)
		a[i] = (uint32_t)d[4 * i] << 24 | (uint32_t)d[4 * i + 1] << 16 |
		       (uint32_t)d[4 * i + 2] << 8 | d[4 * i + 3];
	n = snprintf(out, len, "S-1-5-21-%u-%u-%u", a[0], a[1], a[2]);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

/* --- mechanism (I/O), apart from the pure generator above ---------------- */

int fx_samba_mkdirs(const char *state_dir)
{
	struct stat st;
	size_t i;
	int dfd, rc = 0;

	if (!state_dir || state_dir[0] != '/')
		return -EINVAL;
	dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	for (i = 0; i < sizeof(fx_smb_dirs) / sizeof(fx_smb_dirs[0]); i++) {
		if (mkdirat(dfd, fx_smb_dirs[i].name, fx_smb_dirs[i].mode) == 0)
			continue;
		if (errno != EEXIST) {
			rc = -errno;
			break;
		}
		if (fstatat(dfd, fx_smb_dirs[i].name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = -errno;
			break;
		}
		if (!S_ISDIR(st.st_mode)) {
			rc = -ENOTDIR;
			break;
		}
	}
	if (close(dfd) != 0 && !rc)
		rc = -errno;
	return rc;
}
