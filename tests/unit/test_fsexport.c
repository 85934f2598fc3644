/*
 * test_fsexport.c - unit tests of fsexport/: the ganesha and smb.conf
 * generators (table-driven, pure), the ext superblock parser (synthetic
 * buffers and a real mkfs.ext4 image), LUN discovery on real loop devices,
 * and the storage probe on a temporary directory.
 *
 * The LUN tests need root and /dev/loop-control (they are skipped otherwise).
 * Loop devices are attached with LOOP_CONFIGURE and LO_FLAGS_AUTOCLEAR and the
 * backing files are unlinked right after attaching: the kernel detaches a
 * device when its last descriptor closes, so even a crashed test run leaves
 * neither a loop device nor a file behind. Labels carry the pid, so a normal
 * and a sanitizer build can run at the same time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/loop.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsexport/fx_ganesha.h"
#include "fsexport/fx_lun.h"
#include "fsexport/fx_probe.h"
#include "fsexport/fx_samba.h"

/* ------------------------------------------------------------------------ */
/* helpers                                                                    */

static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		int starts = p == text || p[-1] == '\n' || p[-1] == '\t';

		if (starts && (p[n] == '\n' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

#define assert_line(text, line)                                                                    \
	do {                                                                                       \
		if (!has_line((text), (line)))                                                     \
			fail_msg("missing line \"%s\" in:\n%s", (line), (text));                   \
	} while (0)

#define assert_no_text(text, needle)                                                               \
	do {                                                                                       \
		if (strstr((text), (needle)))                                                      \
			fail_msg("unexpected \"%s\" in:\n%s", (needle), (text));                   \
	} while (0)

static int count_char(const char *s, char c)
{
	int n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/* Every line of a ganesha.conf: blank, a comment, "NAME {", "}" or "K = V;". */
static void assert_ganesha_shape(const char *text)
{
	const char *p = text;
	int depth = 0;

	assert_int_equal(count_char(text, '"') % 2, 0);
	while (*p) {
		const char *end = strchr(p, '\n');
		size_t len;

		assert_non_null(end);
		while (*p == '\t')
			p++;
		len = (size_t)(end - p);
		if (len == 0 || *p == '#') {
			/* blank or comment */
		} else if (p[len - 1] == '{') {
			depth++;
		} else if (len == 1 && *p == '}') {
			depth--;
			assert_true(depth >= 0);
		} else {
			assert_int_equal(p[len - 1], ';');
			assert_non_null(memchr(p, '=', len));
		}
		p = end + 1;
	}
	assert_int_equal(depth, 0);
}

/* ------------------------------------------------------------------------ */
/* ganesha                                                                    */

static const struct fx_nfs_export gexp_rw = {
    .id = 1, .path = "/srv/vs1/fs1/data", .pseudo = "/data", .clients = NULL, .ro = false};
static const struct fx_nfs_export gexp_ro = {
    .id = 2, .path = "/srv/vs1/fs1/pub", .pseudo = "/pub", .clients = "", .ro = true};

static void test_ganesha_basic(void **state)
{
	struct fx_nfs_export ex[2] = {gexp_rw, gexp_ro};
	struct fx_ganesha_params p = {
	    .recovery_root = "/srv/vs1/fs1/.nfs-recovery", .exports = ex, .n_exports = 2};
	char *out = NULL;

	assert_int_equal(fx_ganesha_conf(&p, &out), 0);
	assert_non_null(out);
	assert_ganesha_shape(out);
	assert_line(out, "NFS_CORE_PARAM {");
	assert_line(out, "Protocols = 4;");
	assert_line(out, "Enable_NLM = false;");
	assert_line(out, "Enable_RQUOTA = false;");
	assert_line(out, "Enable_UDP = false;");
	assert_line(out, "Clustered = false;");
	assert_line(out, "NFSV4 {");
	assert_line(out, "RecoveryBackend = fs;");
	assert_line(out, "RecoveryRoot = \"/srv/vs1/fs1/.nfs-recovery\";");
	assert_line(out, "Lease_Lifetime = 10;");
	assert_line(out, "Grace_Period = 15;");
	assert_line(out, "Minor_Versions = 0, 1, 2;");
	assert_line(out, "Export_Id = 1;");
	assert_line(out, "Path = \"/srv/vs1/fs1/data\";");
	assert_line(out, "Pseudo = \"/data\";");
	assert_line(out, "Access_Type = RW;");
	assert_line(out, "Export_Id = 2;");
	assert_line(out, "Pseudo = \"/pub\";");
	assert_line(out, "Access_Type = RO;");
	assert_line(out, "Squash = Root_Squash;");
	assert_line(out, "SecType = sys;");
	assert_line(out, "Name = VFS;");
	assert_no_text(out, "CLIENT");
	assert_no_text(out, "Server_Scope");
	assert_no_text(out, "Dbus_Name_Prefix");
	assert_no_text(out, "Access_Type = None");
	free(out);
}

static void test_ganesha_lease_grace_name(void **state)
{
	struct fx_ganesha_params p = {
	    .name = "vs-1_a", .recovery_root = "/r", .lease_lifetime = 20, .grace_period = 40};
	char *out = NULL;

	assert_int_equal(fx_ganesha_conf(&p, &out), 0);
	assert_ganesha_shape(out);
	assert_line(out, "Lease_Lifetime = 20;");
	assert_line(out, "Grace_Period = 40;");
	assert_line(out, "Server_Owner = \"vs-1_a\";");
	assert_line(out, "Server_Scope = \"vs-1_a\";");
	assert_line(out, "Dbus_Name_Prefix = \"vs-1_a\";");
	assert_no_text(out, "EXPORT");
	free(out);
}

static void test_ganesha_clients(void **state)
{
	struct fx_nfs_export ex[2] = {
	    {.id = 7, .path = "/m/a", .pseudo = "/a", .clients = "198.51.100.0/24", .ro = false},
	    {.id = 8,
	     .path = "/m/b",
	     .pseudo = "/b",
	     .clients = " 192.0.2.7 ,2001:db8::/32,198.51.100.0/24",
	     .ro = true},
	};
	struct fx_ganesha_params p = {.recovery_root = "/r", .exports = ex, .n_exports = 2};
	const char *a, *b;
	char *out = NULL;

	assert_int_equal(fx_ganesha_conf(&p, &out), 0);
	assert_ganesha_shape(out);
	a = strstr(out, "Export_Id = 7;");
	b = strstr(out, "Export_Id = 8;");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b);
	/* export 7: nobody by default, RW for the network */
	assert_line(a, "Access_Type = None;");
	assert_line(a, "CLIENT {");
	assert_line(a, "Clients = 198.51.100.0/24;");
	assert_true(strstr(a, "Access_Type = RW;") < b);
	/* export 8: list normalised, RO */
	assert_line(b, "Clients = 192.0.2.7, 2001:db8::/32, 198.51.100.0/24;");
	assert_line(b, "Access_Type = RO;");
	assert_line(b, "Protocols = 4;");
	free(out);
}

struct gbad {
	const char *what;
	struct fx_nfs_export ex;
	const char *root;
	const char *name;
	int lease, grace;
};

static void test_ganesha_rejects(void **state)
{
	static const struct gbad bad[] = {
	    {"quote in path", {1, "/a\"b", "/p", NULL, 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"single quote", {1, "/a'b", "/p", NULL, 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"newline in path", {1, "/a\nb", "/p", NULL, 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"tab in path", {1, "/a\tb", "/p", NULL, 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"brace in pseudo", {1, "/a", "/p}", NULL, 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"open brace", {1, "/a{", "/p", NULL, 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"semicolon", {1, "/a;b", "/p", NULL, 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"comment sign", {1, "/a#b", "/p", NULL, 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"backslash", {1, "/a\\b", "/p", NULL, 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"control char", {1, "/a\x01", "/p", NULL, 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"high byte", {1, "/a\xc3\xa9", "/p", NULL, 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"relative path", {1, "a", "/p", NULL, 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"relative pseudo", {1, "/a", "p", NULL, 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"empty path", {1, "", "/p", NULL, 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"NULL path", {1, NULL, "/p", NULL, 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"id 0", {0, "/a", "/p", NULL, 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"id too big", {65536, "/a", "/p", NULL, 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"bad cidr prefix", {1, "/a", "/p", "10.0.0.0/33", 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"bad v6 prefix", {1, "/a", "/p", "2001:db8::/129", 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"host name", {1, "/a", "/p", "client.example", 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"empty prefix", {1, "/a", "/p", "1.2.3.4/", 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"trailing comma", {1, "/a", "/p", "1.2.3.4,", 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"empty item", {1, "/a", "/p", "1.2.3.4,,1.2.3.5", 0, 0, 0, 0}, "/r", NULL, 0, 0},
	    {"injection",
	     {1, "/a", "/p", "1.2.3.4; Access_Type = RW", 0, 0, 0, 0},
	     "/r",
	     NULL,
	     0,
	     0},
	    {"relative root", {1, "/a", "/p", NULL, 0, 0, 0, 0}, "r", NULL, 0, 0},
	    {"NULL root", {1, "/a", "/p", NULL, 0, 0, 0, 0}, NULL, NULL, 0, 0},
	    {"root with quote", {1, "/a", "/p", NULL, 0, 0, 0, 0}, "/r\"", NULL, 0, 0},
	    {"negative lease", {1, "/a", "/p", NULL, 0, 0, 0, 0}, "/r", NULL, -1, 0},
	    {"lease too long", {1, "/a", "/p", NULL, 0, 0, 0, 0}, "/r", NULL, 121, 180},
	    {"grace < lease", {1, "/a", "/p", NULL, 0, 0, 0, 0}, "/r", NULL, 30, 20},
	    {"grace too long", {1, "/a", "/p", NULL, 0, 0, 0, 0}, "/r", NULL, 0, 181},
	    {"name starts with digit", {1, "/a", "/p", NULL, 0, 0, 0, 0}, "/r", "1vs", 0, 0},
	    {"name with space", {1, "/a", "/p", NULL, 0, 0, 0, 0}, "/r", "v s", 0, 0},
	    {"name with quote", {1, "/a", "/p", NULL, 0, 0, 0, 0}, "/r", "v\"s", 0, 0},
	    {"empty name", {1, "/a", "/p", NULL, 0, 0, 0, 0}, "/r", "", 0, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fx_ganesha_params p = {.name = bad[i].name,
		                              .recovery_root = bad[i].root,
		                              .lease_lifetime = bad[i].lease,
		                              .grace_period = bad[i].grace,
		                              .exports = &bad[i].ex,
		                              .n_exports = 1};
		char *out = (char *)"untouched";
		int rc = fx_ganesha_conf(&p, &out);

		if (rc != -EINVAL)
			fail_msg("%s: expected -EINVAL, got %d", bad[i].what, rc);
		assert_string_equal(out, "untouched");
	}
}

/* NFS identity: squash and anonymous ids per export, the ID domain and its
 * idmapd.conf; bad values refused. */
static void test_ganesha_identity(void **state)
{
	struct fx_nfs_export ex[3] = {
	    {.id = 1, .path = "/a", .pseudo = "/a"},
	    {.id = 2,
	     .path = "/b",
	     .pseudo = "/b",
	     .squash = FX_SQUASH_ALL,
	     .anon_uid = 1500,
	     .anon_gid = 2000,
	     .clients = "192.0.2.0/24"},
	    {.id = 3, .path = "/c", .pseudo = "/c", .squash = FX_SQUASH_NONE}};
	struct fx_ganesha_params p = {.recovery_root = "/r",
	                              .exports = ex,
	                              .n_exports = 3,
	                              .domain = "vs1.local",
	                              .idmap_conf = "/run/vs1/idmapd.conf"};
	char *out = NULL;

	assert_int_equal(fx_ganesha_conf(&p, &out), 0);
	assert_ganesha_shape(out);
	const char *a = strstr(out, "Export_Id = 1;"), *b = strstr(out, "Export_Id = 2;"),
	           *c = strstr(out, "Export_Id = 3;");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_line(out, "Only_Numeric_Owners = true;"); /* sec=sys: numeric, as knfsd */
	assert_line(out, "Allow_Numeric_Owners = true;");
	assert_line(out, "DomainName = \"vs1.local\";");
	assert_line(out, "IdmapConf = \"/run/vs1/idmapd.conf\";");
	assert_line(a, "Squash = Root_Squash;");
	assert_line(a, "Anonymous_Uid = 65534;");
	assert_true(strstr(a, "Squash = Root_Squash;") < b);
	assert_line(b, "Squash = All_Squash;");
	assert_line(b, "Anonymous_Uid = 1500;");
	assert_line(b, "Anonymous_Gid = 2000;");
	assert_line(b, "\tSquash = All_Squash;"); /* in its CLIENT block too */
	assert_true(strstr(b, "Anonymous_Gid = 2000;") < c);
	assert_true(strstr(strstr(b, "CLIENT {"), "Squash = All_Squash;") < c);
	assert_line(c, "Squash = No_Root_Squash;");
	assert_line(c, "SecType = sys;");
	assert_no_text(out, "krb5;");
	free(out);

	assert_int_equal(fx_ganesha_idmapd("vs1.local", &out), 0);
	assert_line(out, "[General]");
	assert_line(out, "Domain = vs1.local");
	assert_line(out, "Method = nsswitch");
	assert_line(out, "Nobody-User = nobody");
	assert_line(out, "Nobody-Group = nogroup");
	free(out);

	static const char *const bad_domains[] = {
	    "",
	    "VS1.local",
	    "vs1..local",
	    ".vs1",
	    "vs1.",
	    "-vs.local",
	    "vs-.local",
	    "vs 1",
	    "vs1\n[x]",
	    "vs1\"",
	    "vs;1",
	    "a_b.local",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.local"};
	for (size_t i = 0; i < sizeof(bad_domains) / sizeof(bad_domains[0]); i++) {
		p.domain = bad_domains[i];
		out = (char *)"untouched";
		if (fx_ganesha_conf(&p, &out) != -EINVAL ||
		    fx_ganesha_idmapd(bad_domains[i], &out) != -EINVAL)
			fail_msg("domain '%s' accepted", bad_domains[i]);
		assert_string_equal(out, "untouched");
	}
	p.domain = "vs1.local";
	p.idmap_conf = NULL; /* one without the other */
	assert_int_equal(fx_ganesha_conf(&p, &out), -EINVAL);
	p.idmap_conf = "run/idmapd.conf";
	assert_int_equal(fx_ganesha_conf(&p, &out), -EINVAL);
	p.idmap_conf = "/run/vs1/idmapd.conf";
	ex[0].squash = (enum fx_nfs_squash)3;
	assert_int_equal(fx_ganesha_conf(&p, &out), -EINVAL);
	ex[0].squash = FX_SQUASH_ROOT;
	ex[0].anon_uid = 65535;
	assert_int_equal(fx_ganesha_conf(&p, &out), -EINVAL);
	ex[0].anon_uid = 0;
	ex[0].anon_gid = 4294967295u;
	assert_int_equal(fx_ganesha_conf(&p, &out), -EINVAL);
}

static void test_ganesha_rejects_sets(void **state)
{
	struct fx_nfs_export dup_id[2] = {{1, "/a", "/p", NULL, 0, 0, 0, 0},
	                                  {1, "/b", "/q", NULL, 0, 0, 0, 0}};
	struct fx_nfs_export dup_pseudo[2] = {{1, "/a", "/p", NULL, 0, 0, 0, 0},
	                                      {2, "/b", "/p", NULL, 0, 0, 0, 0}};
	struct fx_ganesha_params p = {.recovery_root = "/r", .exports = dup_id, .n_exports = 2};
	char *out = NULL;

	assert_int_equal(fx_ganesha_conf(&p, &out), -EINVAL);
	p.exports = dup_pseudo;
	assert_int_equal(fx_ganesha_conf(&p, &out), -EINVAL);
	p.exports = NULL;
	assert_int_equal(fx_ganesha_conf(&p, &out), -EINVAL);
	p.n_exports = -1;
	assert_int_equal(fx_ganesha_conf(&p, &out), -EINVAL);
	p.n_exports = 0;
	assert_int_equal(fx_ganesha_conf(NULL, &out), -EINVAL);
	assert_int_equal(fx_ganesha_conf(&p, NULL), -EINVAL);
	assert_null(out);
	/* and the limits themselves are accepted */
	dup_id[1].id = 65535;
	p.exports = dup_id;
	p.n_exports = 2;
	p.lease_lifetime = 120;
	p.grace_period = 180;
	assert_int_equal(fx_ganesha_conf(&p, &out), 0);
	assert_line(out, "Export_Id = 65535;");
	free(out);
}

/* ------------------------------------------------------------------------ */
/* samba                                                                      */

static const char *const saddrs[] = {"198.51.100.201", "2001:db8::10"};

static void test_samba_basic(void **state)
{
	struct fx_smb_share sh[2] = {{.name = "data", .path = "/srv/vs1/fs1/data"},
	                             {.name = "Pub$", .path = "/srv/vs1/fs1/pub", .ro = true}};
	struct fx_samba_params p = {.netbios_name = "vs1-nas",
	                            .addresses = saddrs,
	                            .n_addresses = 2,
	                            .state_dir = "/var/lib/appliance/vs/vs1/samba/",
	                            .run_dir = "/run/appliance/vs/vs1/samba",
	                            .shares = sh,
	                            .n_shares = 2,
	                            .passdb = "/run/vs1/smbpasswd"};
	const char *d, *u;
	char *out = NULL;

	assert_int_equal(fx_samba_conf(&p, &out), 0);
	assert_non_null(out);
	assert_line(out, "[global]");
	assert_line(out, "server role = standalone server");
	assert_line(out, "netbios name = VS1-NAS");
	assert_line(out, "bind interfaces only = no");
	assert_line(out, "interfaces = 198.51.100.201 2001:db8::10");
	assert_line(out, "disable netbios = yes");
	assert_line(out, "smb ports = 445");
	assert_line(out, "map to guest = never");
	assert_line(out, "security = user");
	assert_line(out, "passdb backend = smbpasswd:/run/vs1/smbpasswd");
	assert_line(out, "server signing = mandatory");
	assert_line(out, "server min protocol = SMB2_10");
	assert_line(out, "ntlm auth = ntlmv2-only");
	assert_line(out, "restrict anonymous = 2"); /* no guest share */
	assert_no_text(out, "force user");
	assert_no_text(out, "tdbsam");
	assert_line(out, "state directory = /var/lib/appliance/vs/vs1/samba/state");
	assert_line(out, "cache directory = /var/lib/appliance/vs/vs1/samba/cache");
	assert_line(out, "lock directory = /run/appliance/vs/vs1/samba/lock");
	assert_line(out, "private dir = /var/lib/appliance/vs/vs1/samba/private");
	assert_line(out, "pid directory = /run/appliance/vs/vs1/samba/run");
	assert_line(out, "ncalrpc dir = /run/appliance/vs/vs1/samba/ncalrpc");
	assert_line(out, "binddns dir = /var/lib/appliance/vs/vs1/samba/bind-dns");
	assert_line(out, "log file = /var/lib/appliance/vs/vs1/samba/log/smbd.log");
	assert_line(out, "load printers = no");
	assert_line(out, "printing = bsd");
	assert_line(out, "printcap name = /dev/null");
	assert_line(out, "disable spoolss = yes");
	assert_no_text(out, "samba//"); /* trailing slash of state_dir dropped */
	d = strstr(out, "\n[data]\n");
	u = strstr(out, "\n[Pub$]\n");
	assert_non_null(d);
	assert_non_null(u);
	assert_true(d < u);
	assert_line(d, "path = /srv/vs1/fs1/data");
	assert_line(d, "read only = no");
	assert_line(d, "guest ok = no");
	assert_line(d, "strict sync = yes");
	assert_line(d, "create mask = 0744");
	assert_line(d, "force create mode = 0100"); /* the owner's rwx: Full Control */
	assert_line(d, "map archive = no");
	assert_no_text(out, "valid users");
	assert_no_text(out, "smb encrypt");
	assert_true(strstr(d, "read only = no") < u);
	assert_line(u, "path = /srv/vs1/fs1/pub");
	assert_line(u, "read only = yes");
	/* every path of [global] is under state_dir, or /dev/null */
	{
		const char *keys[] = {"directory = ", "dir = ", "log file = ", "usershare path = "};
		size_t k;

		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			const char *q = out;

			while ((q = strstr(q, keys[k])) != NULL && q < d) {
				q += strlen(keys[k]);
				assert_true(strncmp(q, "/var/lib/appliance/vs/vs1/samba/", 32) ==
				                0 ||
				            strncmp(q, "/run/appliance/vs/vs1/samba/", 28) == 0);
			}
		}
	}
	free(out);
}

struct sbad {
	const char *what;
	const char *nb;
	const char *addr;
	const char *sd;
	const char *share;
	const char *path;
};

static void test_samba_rejects(void **state)
{
	static const struct sbad bad[] = {
	    {"netbios too long", "ABCDEFGHIJKLMNOP", "192.0.2.1", "/s", "x", "/p"},
	    {"netbios space", "VS 1", "192.0.2.1", "/s", "x", "/p"},
	    {"netbios empty", "", "192.0.2.1", "/s", "x", "/p"},
	    {"netbios NULL", NULL, "192.0.2.1", "/s", "x", "/p"},
	    {"bad address", "VS1", "192.0.2.300", "/s", "x", "/p"},
	    {"address with prefix", "VS1", "192.0.2.1/24", "/s", "x", "/p"},
	    {"address injection", "VS1", "192.0.2.1\nguest ok = yes", "/s", "x", "/p"},
	    {"relative state dir", "VS1", "192.0.2.1", "s", "x", "/p"},
	    {"state dir percent", "VS1", "192.0.2.1", "/s%m", "x", "/p"},
	    {"state dir newline", "VS1", "192.0.2.1", "/s\n[x]", "x", "/p"},
	    {"share [", "VS1", "192.0.2.1", "/s", "a[b", "/p"},
	    {"share ]", "VS1", "192.0.2.1", "/s", "a]b", "/p"},
	    {"share =", "VS1", "192.0.2.1", "/s", "a=b", "/p"},
	    {"share slash", "VS1", "192.0.2.1", "/s", "a/b", "/p"},
	    {"share global", "VS1", "192.0.2.1", "/s", "Global", "/p"},
	    {"share ipc$", "VS1", "192.0.2.1", "/s", "IPC$", "/p"},
	    {"share empty", "VS1", "192.0.2.1", "/s", "", "/p"},
	    {"share control", "VS1", "192.0.2.1", "/s", "a\x7f", "/p"},
	    {"path relative", "VS1", "192.0.2.1", "/s", "x", "p"},
	    {"path percent", "VS1", "192.0.2.1", "/s", "x", "/p/%U"},
	    {"path backslash", "VS1", "192.0.2.1", "/s", "x", "/p\\"},
	    {"path newline", "VS1", "192.0.2.1", "/s", "x", "/p\nread only = no"},
	    {"path trailing space", "VS1", "192.0.2.1", "/s", "x", "/p "},
	    {"path NULL", "VS1", "192.0.2.1", "/s", "x", NULL},
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *addrs[1] = {bad[i].addr};
		struct fx_smb_share sh = {.name = bad[i].share, .path = bad[i].path};
		struct fx_samba_params p = {.netbios_name = bad[i].nb,
		                            .addresses = addrs,
		                            .n_addresses = 1,
		                            .state_dir = bad[i].sd,
		                            .run_dir = "/r",
		                            .shares = &sh,
		                            .n_shares = 1,
		                            .passdb = "/run/vs1/smbpasswd"};
		char *out = (char *)"untouched";
		int rc = fx_samba_conf(&p, &out);

		if (rc != -EINVAL)
			fail_msg("%s: expected -EINVAL, got %d", bad[i].what, rc);
		assert_string_equal(out, "untouched");
	}
	/* the run directory (lock, pid, ncalrpc) is checked as the state directory is */
	static const char *const bad_run[] = {"r", "/r%m", "/r\n[x]", "", NULL};
	for (i = 0; i < sizeof(bad_run) / sizeof(bad_run[0]); i++) {
		const char *addr = "192.0.2.1";
		struct fx_smb_share sh = {.name = "x", .path = "/p"};
		struct fx_samba_params p = {.netbios_name = "VS1",
		                            .addresses = &addr,
		                            .n_addresses = 1,
		                            .state_dir = "/s",
		                            .run_dir = bad_run[i],
		                            .shares = &sh,
		                            .n_shares = 1,
		                            .passdb = "/run/vs1/smbpasswd"};
		char *out = NULL;
		assert_int_equal(fx_samba_conf(&p, &out), -EINVAL);
		assert_null(out);
	}
}

/* One SID per VS name, the same wherever it is computed (every node). */
static void test_samba_domain_sid(void **state)
{
	char a[FX_SMB_SID_MAX], b[FX_SMB_SID_MAX], c[FX_SMB_SID_MAX];
	unsigned x, y, z;
	char tail;

	(void)state;
	assert_int_equal(fx_samba_domain_sid("sm1", a, sizeof(a)), 0);
	assert_int_equal(fx_samba_domain_sid("sm1", b, sizeof(b)), 0);
	assert_int_equal(fx_samba_domain_sid("sm2", c, sizeof(c)), 0);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(sscanf(a, "S-1-5-21-%u-%u-%u%c", &x, &y, &z, &tail), 3);
	assert_int_equal(fx_samba_domain_sid("", a, sizeof(a)), -EINVAL);
	assert_int_equal(fx_samba_domain_sid(NULL, a, sizeof(a)), -EINVAL);
	assert_int_equal(fx_samba_domain_sid("sm1", a, 12), -ENOSPC);
}

static void test_samba_rejects_sets(void **state)
{
	struct fx_smb_share dup[2] = {{.name = "Data", .path = "/a"},
	                              {.name = "dATA", .path = "/b", .ro = true}};
	struct fx_samba_params p = {.netbios_name = "VS1",
	                            .addresses = saddrs,
	                            .n_addresses = 0,
	                            .state_dir = "/s",
	                            .run_dir = "/r",
	                            .shares = NULL,
	                            .n_shares = 0,
	                            .passdb = "/run/vs1/smbpasswd"};
	char *out = NULL;

	assert_int_equal(fx_samba_conf(&p, &out), -EINVAL); /* no address */
	p.n_addresses = 1;
	assert_int_equal(fx_samba_conf(&p, &out), 0); /* no share is fine */
	assert_line(out, "interfaces = 198.51.100.201");
	free(out);
	out = NULL;
	p.shares = dup;
	p.n_shares = 2;
	assert_int_equal(fx_samba_conf(&p, &out), -EINVAL);
	p.shares = NULL;
	assert_int_equal(fx_samba_conf(&p, &out), -EINVAL);
	assert_int_equal(fx_samba_conf(NULL, &out), -EINVAL);
	assert_int_equal(fx_samba_conf(&p, NULL), -EINVAL);
	assert_null(out);
}

/* Who may use each share: lists, guests, encryption; and lists that would
 * inject a line or a name outside the allow-list refused. */
static void test_samba_identity(void **state)
{
	struct fx_smb_share sh[3] = {{.name = "eng",
	                              .path = "/e",
	                              .read = "carol @ops",
	                              .write = "alice @eng",
	                              .encrypt = true},
	                             {.name = "pub", .path = "/p", .guest = true},
	                             {.name = "all", .path = "/a", .read = "", .write = NULL}};
	struct fx_samba_params p = {.netbios_name = "VS1",
	                            .addresses = saddrs,
	                            .n_addresses = 1,
	                            .state_dir = "/s",
	                            .run_dir = "/r",
	                            .shares = sh,
	                            .n_shares = 3,
	                            .passdb = "/run/vs1/smbpasswd"};
	char *out = NULL;

	assert_int_equal(fx_samba_conf(&p, &out), 0);
	const char *e = strstr(out, "\n[eng]\n"), *g = strstr(out, "\n[pub]\n"),
	           *a = strstr(out, "\n[all]\n");
	assert_non_null(e);
	assert_non_null(g);
	assert_non_null(a);
	assert_line(out, "restrict anonymous = 0"); /* a guest share: anonymous may connect */
	assert_line(out, "map to guest = never");   /* still: a bad password is no guest */
	assert_line(e, "valid users = carol @ops alice @eng");
	assert_line(e, "read list = carol @ops");
	assert_line(e, "write list = alice @eng");
	assert_line(e, "read only = yes"); /* only the write list writes */
	assert_line(e, "guest ok = no");
	assert_line(e, "server smb encrypt = required");
	assert_true(strstr(e, "smb encrypt") < g);
	assert_line(g, "guest ok = yes");
	assert_line(g, "guest only = yes");
	assert_true(strstr(e, "guest only") > g); /* not in [eng], which comes first */
	assert_null(strstr(a, "guest only"));
	assert_line(g, "read only = no");
	assert_true(!strstr(g, "valid users") || strstr(g, "valid users") > a);
	assert_true(!strstr(g, "smb encrypt"));
	assert_null(strstr(a, "valid users"));
	assert_line(a, "read only = no");
	assert_line(a, "guest ok = no");
	free(out);

	static const char *const bad[] = {
	    "alice\n[global]", "alice\twrite", "alice  bob", " alice",    "alice ", "@",
	    "@ alice",         "Alice",        "al%Uice",    "alice,bob", "a@b",    "root\\",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (int w = 0; w < 2; w++) {
			struct fx_smb_share one = {.name = "x", .path = "/x"};
			*(w ? &one.write : &one.read) = bad[i];
			p.shares = &one;
			p.n_shares = 1;
			out = (char *)"untouched";
			if (fx_samba_conf(&p, &out) != -EINVAL)
				fail_msg("list '%s' accepted", bad[i]);
			assert_string_equal(out, "untouched");
		}
	}
	/* a guest share with a list; no passdb; a relative passdb */
	struct fx_smb_share gl = {.name = "x", .path = "/x", .guest = true, .read = "alice"};
	p.shares = &gl;
	assert_int_equal(fx_samba_conf(&p, &out), -EINVAL);
	gl.read = NULL;
	p.passdb = NULL;
	assert_int_equal(fx_samba_conf(&p, &out), -EINVAL);
	p.passdb = "run/smbpasswd";
	assert_int_equal(fx_samba_conf(&p, &out), -EINVAL);
	p.passdb = "/run/smb passwd%U";
	assert_int_equal(fx_samba_conf(&p, &out), -EINVAL);
}

static char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/fxtest.XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	d = strdup(d);
	assert_non_null(d);
	return d;
}

/* rm -r of the small trees the tests make (no symlink is followed) */
static void rm_tree(const char *path)
{
	char cmdpath[PATH_MAX];
	struct stat st;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		static const char *const names[] = {
		    "state",    "cache",      "lock", "private",     "run", "ncalrpc",
		    "bind-dns", "usershares", "log",  FX_PROBE_FILE, "f",   "sub"};
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			int n = snprintf(cmdpath, sizeof(cmdpath), "%s/%s", path, names[i]);

			assert_true(n > 0 && (size_t)n < sizeof(cmdpath));
			rm_tree(cmdpath);
		}
		assert_int_equal(rmdir(path), 0);
	} else {
		assert_int_equal(unlink(path), 0);
	}
}

static void test_samba_mkdirs(void **state)
{
	char *dir = make_tmpdir();
	char path[PATH_MAX];
	struct stat st;
	int fd;

	assert_int_equal(fx_samba_mkdirs(dir), 0);
	snprintf(path, sizeof(path), "%s/private", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/log", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(fx_samba_mkdirs(dir), 0); /* idempotent */

	/* a file where a directory belongs */
	snprintf(path, sizeof(path), "%s/cache", dir);
	assert_int_equal(rmdir(path), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	assert_int_equal(fx_samba_mkdirs(dir), -ENOTDIR);
	assert_int_equal(unlink(path), 0);

	assert_int_equal(fx_samba_mkdirs("relative"), -EINVAL);
	assert_int_equal(fx_samba_mkdirs(NULL), -EINVAL);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(fx_samba_mkdirs(path), -ENOENT);
	rm_tree(dir);
	free(dir);
}

/* ------------------------------------------------------------------------ */
/* ext superblock (pure)                                                      */

static void sb_put16(uint8_t *sb, size_t off, unsigned v)
{
	sb[off] = (uint8_t)(v & 0xff);
	sb[off + 1] = (uint8_t)(v >> 8);
}

static void sb_put32(uint8_t *sb, size_t off, uint32_t v)
{
	sb[off] = (uint8_t)(v & 0xff);
	sb[off + 1] = (uint8_t)(v >> 8 & 0xff);
	sb[off + 2] = (uint8_t)(v >> 16 & 0xff);
	sb[off + 3] = (uint8_t)(v >> 24);
}

/* RAM disks, floppies and CD drives are never probed; disks, loop devices,
 * device-mapper and virtio disks are. */
static void test_lun_majors(void **state)
{
	(void)state;
	static const unsigned no[] = {1, 2, 11}, yes[] = {3, 7, 8, 65, 202, 252, 253, 259};

	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (fx_lun_major_ok(no[i]))
			fail_msg("major %u is probed", no[i]);
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!fx_lun_major_ok(yes[i]))
			fail_msg("major %u is not probed", yes[i]);
}

static void test_ext4_sb_synthetic(void **state)
{
	uint8_t sb[1024];
	unsigned iv = 99;

	memset(sb, 0, sizeof(sb));
	assert_int_equal(fx_ext4_sb_mmp(sb, sizeof(sb), &iv), -EINVAL); /* no magic */
	assert_int_equal(iv, 0);
	sb_put16(sb, 0x38, 0xEF53);
	sb_put32(sb, 0x4C, 1);               /* dynamic revision */
	sb_put32(sb, 0x60, 0x0002 | 0x0040); /* filetype, extents */
	sb_put16(sb, 0x166, 5);
	assert_int_equal(fx_ext4_sb_mmp(sb, sizeof(sb), &iv), 0);
	assert_int_equal(iv, 0);
	sb_put32(sb, 0x60, 0x0002 | 0x0040 | 0x0100); /* + mmp */
	sb_put16(sb, 0x166, 0x0102);                  /* little endian: 258 */
	assert_int_equal(fx_ext4_sb_mmp(sb, sizeof(sb), &iv), 1);
	assert_int_equal(iv, 258);
	assert_int_equal(fx_ext4_sb_mmp(sb, sizeof(sb), NULL), 1);
	/* the bit next door is not mmp */
	sb_put32(sb, 0x60, 0x0200 | 0x0080);
	assert_int_equal(fx_ext4_sb_mmp(sb, sizeof(sb), &iv), 0);
	/* the mmp bit in the neighbouring compat / ro_compat words is not mmp */
	sb_put32(sb, 0x60, 0);
	sb_put32(sb, 0x5C, 0x0100);
	sb_put32(sb, 0x64, 0x0100);
	assert_int_equal(fx_ext4_sb_mmp(sb, sizeof(sb), &iv), 0);
	/* revision 0 has no feature words */
	sb_put32(sb, 0x60, 0x0100);
	sb_put32(sb, 0x4C, 0);
	assert_int_equal(fx_ext4_sb_mmp(sb, sizeof(sb), &iv), 0);
	sb_put32(sb, 0x4C, 1);
	assert_int_equal(fx_ext4_sb_mmp(sb, sizeof(sb), &iv), 1);
	/* byte-swapped magic is not ext */
	sb_put16(sb, 0x38, 0x53EF);
	assert_int_equal(fx_ext4_sb_mmp(sb, sizeof(sb), &iv), -EINVAL);
	sb_put16(sb, 0x38, 0xEF53);
	/* too short to hold s_mmp_update_interval */
	assert_int_equal(fx_ext4_sb_mmp(sb, 0x167, &iv), -EINVAL);
	assert_int_equal(fx_ext4_sb_mmp(sb, 0x168, &iv), 1);
	assert_int_equal(fx_ext4_sb_mmp(NULL, 1024, &iv), -EINVAL);
}

/* ------------------------------------------------------------------------ */
/* real file systems: mkfs.ext4 and loop devices                             */

#define LUN_SIZE (32 << 20)
#define MKFS "/sbin/mkfs.ext4"

static int run_quiet(char *const argv[])
{
	static char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc, status;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	if (posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, 1, 2) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void read_uuid(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/uuid", "re");

	assert_non_null(f);
	assert_non_null(fgets(buf, (int)len, f));
	assert_int_equal(fclose(f), 0);
	buf[strcspn(buf, "\n")] = '\0';
	assert_int_equal(strlen(buf), 36);
}

/* A file of LUN_SIZE with an ext4 file system; returns 0 or -1. */
static int make_fs(const char *file, const char *label, const char *uuid, int mmp)
{
	char *argv_mmp[] = {MKFS,
	                    "-q",
	                    "-F",
	                    "-O",
	                    "mmp",
	                    "-E",
	                    "mmp_update_interval=1,nodiscard",
	                    "-L",
	                    (char *)label,
	                    "-U",
	                    (char *)uuid,
	                    (char *)file,
	                    NULL};
	char *argv_plain[] = {MKFS,          "-q", "-F",         "-E",         "nodiscard", "-L",
	                      (char *)label, "-U", (char *)uuid, (char *)file, NULL};
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, LUN_SIZE) != 0) {
		(void)close(fd);
		return -1;
	}
	if (close(fd) != 0)
		return -1;
	return run_quiet(mmp ? argv_mmp : argv_plain);
}

/* Attaches file to a free loop device with autoclear; returns the open loop
 * fd (the device lives as long as it stays open) and its number in *nr. */
static int loop_attach(const char *file, int *nr)
{
	int ctl, bfd, lfd = -1, tries;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -1;
	bfd = open(file, O_RDWR | O_CLOEXEC);
	if (bfd < 0) {
		(void)close(ctl);
		return -1;
	}
	for (tries = 0; tries < 20; tries++) {
		struct loop_config cfg;
		char dev[64];
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);

		if (n < 0)
			break;
		snprintf(dev, sizeof(dev), "/dev/loop%d", n);
		lfd = open(dev, O_RDWR | O_CLOEXEC);
		if (lfd < 0)
			break;
		memset(&cfg, 0, sizeof(cfg));
		cfg.fd = (uint32_t)bfd;
		cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
		snprintf((char *)cfg.info.lo_file_name, sizeof(cfg.info.lo_file_name), "%s", file);
		if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0) {
			*nr = n;
			break;
		}
		(void)close(lfd);
		lfd = -1;
		if (errno != EBUSY)
			break; /* EBUSY: another process took it first */
	}
	(void)close(bfd);
	(void)close(ctl);
	return lfd;
}

struct lun {
	char file[PATH_MAX];
	char label[17];
	char uuid[37];
	int fd; /* loop device, -1 = none */
	int nr;
};

struct luns {
	int ok; /* 0: environment cannot run the tests (skip) */
	struct lun mmp, plain, mmp2, dup;
};

static int lun_make(struct lun *l, const char *tag, const char *label_fmt, int mmp)
{
	snprintf(l->file, sizeof(l->file), "/tmp/fxtest-%s-%d.img", tag, (int)getpid());
	snprintf(l->label, sizeof(l->label), label_fmt, (int)getpid());
	read_uuid(l->uuid, sizeof(l->uuid));
	l->fd = -1;
	if (make_fs(l->file, l->label, l->uuid, mmp) != 0)
		return -1;
	return 0;
}

static int lun_attach(struct lun *l)
{
	l->fd = loop_attach(l->file, &l->nr);
	return l->fd < 0 ? -1 : 0;
}

/* Once attached, the file is reached through the loop device only. */
static void lun_unlink(struct lun *l)
{
	if (l->file[0] && unlink(l->file) == 0)
		l->file[0] = '\0';
}

static void lun_release(struct lun *l)
{
	if (l->fd >= 0) {
		(void)close(l->fd); /* autoclear detaches the device */
		l->fd = -1;
	}
	if (l->file[0])
		(void)unlink(l->file);
}

static int luns_teardown(void **state)
{
	struct luns *s = *state;

	if (s) {
		lun_release(&s->mmp);
		lun_release(&s->mmp2);
		lun_release(&s->plain);
		lun_release(&s->dup);
		free(s);
	}
	*state = NULL;
	return 0;
}

static int luns_setup(void **state)
{
	struct luns *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	s->mmp.fd = s->mmp2.fd = s->plain.fd = s->dup.fd = -1;
	*state = s;
	if (geteuid() != 0 || access("/dev/loop-control", W_OK) != 0 || access(MKFS, X_OK) != 0)
		return 0; /* tests skip */
	if (lun_make(&s->mmp, "mmp", "fxt-mmp-%d", 1) != 0 ||
	    lun_make(&s->plain, "plain", "fxt-nom-%d", 0) != 0)
		goto fail;
	s->mmp2 = s->mmp; /* a second path to the same LUN */
	if (lun_attach(&s->mmp) != 0 || lun_attach(&s->mmp2) != 0 || lun_attach(&s->plain) != 0)
		goto fail;
	lun_unlink(&s->mmp);
	s->mmp2.file[0] = '\0';
	lun_unlink(&s->plain);
	s->ok = 1;
	return 0;
fail:
	fprintf(stderr, "test_fsexport: cannot set up loop devices, LUN tests fail\n");
	s->ok = -1;
	return 0;
}

static struct luns *luns_get(void **state)
{
	struct luns *s = *state;

	assert_non_null(s);
	if (s->ok == 0)
		skip();
	assert_int_equal(s->ok, 1);
	return s;
}

static void assert_dev(const struct fx_lun_info *info, int nr)
{
	char dev[64];

	snprintf(dev, sizeof(dev), "/dev/loop%d", nr);
	assert_string_equal(info->dev, dev);
}

static void test_ext4_sb_real_image(void **state)
{
	struct luns *s = luns_get(state);
	uint8_t sb[1024];
	char dev[64];
	unsigned iv = 0;
	int fd;

	/* the offsets checked against what mkfs.ext4 really writes */
	snprintf(dev, sizeof(dev), "/dev/loop%d", s->mmp.nr);
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, sb, sizeof(sb), 1024), (ssize_t)sizeof(sb));
	assert_int_equal(close(fd), 0);
	assert_int_equal(fx_ext4_sb_mmp(sb, sizeof(sb), &iv), 1);
	assert_int_equal(iv, 1);
	assert_memory_equal(sb + 0x78, s->mmp.label, strlen(s->mmp.label)); /* s_volume_name */

	snprintf(dev, sizeof(dev), "/dev/loop%d", s->plain.nr);
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, sb, sizeof(sb), 1024), (ssize_t)sizeof(sb));
	assert_int_equal(close(fd), 0);
	assert_int_equal(fx_ext4_sb_mmp(sb, sizeof(sb), &iv), 0);
	assert_int_equal(iv, 0);
}

static void test_lun_find_label_mmp(void **state)
{
	struct luns *s = luns_get(state);
	struct fx_lun_info info;

	memset(&info, 0xff, sizeof(info));
	assert_int_equal(fx_lun_find("LABEL", s->mmp.label, &info), 0);
	assert_string_equal(info.type, "ext4");
	assert_string_equal(info.label, s->mmp.label);
	assert_string_equal(info.uuid, s->mmp.uuid);
	assert_true(info.mmp);
	assert_int_equal(info.mmp_interval, 1);
	/* either path of the LUN: the first one /proc/partitions lists */
	{
		char a[64], b[64];

		snprintf(a, sizeof(a), "/dev/loop%d", s->mmp.nr);
		snprintf(b, sizeof(b), "/dev/loop%d", s->mmp2.nr);
		assert_true(strcmp(info.dev, a) == 0 || strcmp(info.dev, b) == 0);
	}
}

static void test_lun_find_uuid(void **state)
{
	struct luns *s = luns_get(state);
	struct fx_lun_info info;
	char upper[37];
	size_t i;

	assert_int_equal(fx_lun_find("UUID", s->mmp.uuid, &info), 0);
	assert_string_equal(info.label, s->mmp.label);
	assert_true(info.mmp);

	for (i = 0; s->plain.uuid[i]; i++)
		upper[i] = (char)(s->plain.uuid[i] >= 'a' && s->plain.uuid[i] <= 'f'
		                      ? s->plain.uuid[i] - 'a' + 'A'
		                      : s->plain.uuid[i]);
	upper[i] = '\0';
	assert_int_equal(fx_lun_find("UUID", upper, &info), 0);
	assert_dev(&info, s->plain.nr);
	assert_string_equal(info.label, s->plain.label);
	assert_string_equal(info.type, "ext4");
	assert_false(info.mmp);
	assert_int_equal(info.mmp_interval, 0);
}

static void test_lun_find_plain_by_label(void **state)
{
	struct luns *s = luns_get(state);
	struct fx_lun_info info;

	assert_int_equal(fx_lun_find("LABEL", s->plain.label, &info), 0);
	assert_dev(&info, s->plain.nr);
	assert_string_equal(info.uuid, s->plain.uuid);
	assert_false(info.mmp);
}

static void test_lun_find_errors(void **state)
{
	struct luns *s = luns_get(state);
	struct fx_lun_info info;
	char label[32];
	int rc;

	snprintf(label, sizeof(label), "fxt-none-%d", (int)getpid());
	rc = fx_lun_find("LABEL", label, &info);
	/* -EIO only if some other device on this host cannot be read */
	assert_true(rc == -ENOENT || rc == -EIO);
	rc = fx_lun_find("UUID", "00000000-0000-0000-0000-000000000000", &info);
	assert_true(rc == -ENOENT || rc == -EIO);
	assert_int_equal(fx_lun_find("label", s->mmp.label, &info), -EINVAL);
	assert_int_equal(fx_lun_find("PARTUUID", s->mmp.uuid, &info), -EINVAL);
	assert_int_equal(fx_lun_find("LABEL", "", &info), -EINVAL);
	assert_int_equal(fx_lun_find("LABEL", NULL, &info), -EINVAL);
	assert_int_equal(fx_lun_find(NULL, "x", &info), -EINVAL);
	assert_int_equal(fx_lun_find("LABEL", "x", NULL), -EINVAL);
}

static int dup_setup(void **state)
{
	struct luns *s = *state;

	if (!s || s->ok != 1)
		return 0;
	if (lun_make(&s->dup, "dup", "fxt-nom-%d", 0) != 0 || lun_attach(&s->dup) != 0) {
		lun_release(&s->dup);
		s->dup.file[0] = '\0';
		return -1;
	}
	lun_unlink(&s->dup);
	return 0;
}

static int dup_teardown(void **state)
{
	struct luns *s = *state;

	if (s) {
		lun_release(&s->dup);
		s->dup.file[0] = '\0';
	}
	return 0;
}

static void test_lun_find_ambiguous_label(void **state)
{
	struct luns *s = luns_get(state);
	struct fx_lun_info info;

	/* the same label on another file system: refuse to choose */
	assert_string_equal(s->dup.label, s->plain.label);
	assert_int_equal(fx_lun_find("LABEL", s->plain.label, &info), -ENOTUNIQ);
	/* by UUID each is still found */
	assert_int_equal(fx_lun_find("UUID", s->dup.uuid, &info), 0);
	assert_dev(&info, s->dup.nr);
	assert_int_equal(fx_lun_find("UUID", s->plain.uuid, &info), 0);
	assert_dev(&info, s->plain.nr);
	/* two paths to one LUN (same UUID) are not ambiguous */
	assert_int_equal(fx_lun_find("LABEL", s->mmp.label, &info), 0);
}

static void test_lun_list(void **state)
{
	struct luns *s = luns_get(state);
	struct fx_lun_info list[64];
	int n = -1, i, seen_mmp = 0, seen_plain = 0, rc;

	rc = fx_lun_list(list, 64, &n);
	assert_true(rc == 0 || rc == -E2BIG);
	assert_in_range(n, 3, 64);
	for (i = 0; i < n; i++) {
		assert_true(list[i].type[0] != '\0');
		assert_int_equal(strncmp(list[i].dev, "/dev/", 5), 0);
		if (strcmp(list[i].uuid, s->mmp.uuid) == 0) {
			seen_mmp++;
			assert_true(list[i].mmp);
		}
		if (strcmp(list[i].uuid, s->plain.uuid) == 0) {
			seen_plain++;
			assert_dev(&list[i], s->plain.nr);
			assert_false(list[i].mmp);
		}
	}
	assert_int_equal(seen_mmp, 2); /* both paths */
	assert_int_equal(seen_plain, 1);

	n = -1;
	assert_int_equal(fx_lun_list(NULL, 0, &n), -E2BIG);
	assert_int_equal(n, 0);
	n = -1;
	assert_int_equal(fx_lun_list(list, 1, &n), -E2BIG);
	assert_int_equal(n, 1);
	assert_int_equal(fx_lun_list(list, 1, NULL), -EINVAL);
	assert_int_equal(fx_lun_list(NULL, 3, &n), -EINVAL);
	assert_int_equal(fx_lun_list(list, -1, &n), -EINVAL);
}

/* ------------------------------------------------------------------------ */
/* storage probe                                                             */

static void test_probe_writes_heartbeat(void **state)
{
	char *dir = make_tmpdir();
	char path[PATH_MAX], buf[128], buf2[128];
	struct stat st;
	ssize_t n, n2;
	int fd;

	assert_int_equal(fx_probe_storage(dir), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, FX_PROBE_FILE);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_int_equal(close(fd), 0);
	assert_true(n > 20);
	buf[n] = '\0';
	assert_int_equal(buf[n - 1], '\n');
	assert_true(atoll(buf) > 1600000000LL); /* a Unix time, in seconds */
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, n);

	/* again: same size, content rewritten */
	usleep(2000);
	assert_int_equal(fx_probe_storage(dir), 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n2 = read(fd, buf2, sizeof(buf2) - 1);
	assert_int_equal(close(fd), 0);
	assert_int_equal(n2, n);
	buf2[n2] = '\0';
	assert_true(strcmp(buf2, buf) > 0);
	rm_tree(dir);
	free(dir);
}

static void test_probe_errors(void **state)
{
	char *dir = make_tmpdir();
	char path[PATH_MAX], sub[PATH_MAX];
	int fd;

	assert_int_equal(fx_probe_storage(NULL), -EINVAL);
	assert_int_equal(fx_probe_storage(""), -EINVAL);
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(fx_probe_storage(path), -ENOENT);

	/* a file is not a directory */
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	assert_int_equal(fx_probe_storage(path), -ENOTDIR);

	/* a symlink planted at the probe's name is not followed */
	snprintf(sub, sizeof(sub), "%s/%s", dir, FX_PROBE_FILE);
	assert_int_equal(symlink(path, sub), 0);
	assert_int_equal(fx_probe_storage(dir), -ELOOP);
	assert_int_equal(unlink(sub), 0);

	/* a directory at the probe's name */
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(fx_probe_storage(dir), -EISDIR);
	assert_int_equal(rmdir(sub), 0);

	assert_int_equal(fx_probe_storage(dir), 0);
	rm_tree(dir);
	free(dir);
}

int main(void)
{
	/* One group: its fixture attaches the loop devices of the LUN tests
	 * (they skip where that is impossible); the other tests ignore it. */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ganesha_basic),
	    cmocka_unit_test(test_ganesha_lease_grace_name),
	    cmocka_unit_test(test_ganesha_clients),
	    cmocka_unit_test(test_ganesha_rejects),
	    cmocka_unit_test(test_ganesha_rejects_sets),
	    cmocka_unit_test(test_ganesha_identity),
	    cmocka_unit_test(test_samba_basic),
	    cmocka_unit_test(test_samba_rejects),
	    cmocka_unit_test(test_samba_rejects_sets),
	    cmocka_unit_test(test_samba_domain_sid),
	    cmocka_unit_test(test_samba_identity),
	    cmocka_unit_test(test_samba_mkdirs),
	    cmocka_unit_test(test_lun_majors),
	    cmocka_unit_test(test_ext4_sb_synthetic),
	    cmocka_unit_test(test_probe_writes_heartbeat),
	    cmocka_unit_test(test_probe_errors),
	    cmocka_unit_test(test_ext4_sb_real_image),
	    cmocka_unit_test(test_lun_find_label_mmp),
	    cmocka_unit_test(test_lun_find_uuid),
	    cmocka_unit_test(test_lun_find_plain_by_label),
	    cmocka_unit_test(test_lun_find_errors),
	    cmocka_unit_test_setup_teardown(test_lun_find_ambiguous_label, dup_setup, dup_teardown),
	    cmocka_unit_test(test_lun_list),
	};

	return cmocka_run_group_tests(tests, luns_setup, luns_teardown);
}
