/*
 * ap_clusterconf.c - corosync.conf and keepalived.conf (pure, no I/O).
 *
 * Design: every value is validated first, then written bare (never quoted,
 * never escaped): a value that either parser could misread is refused with
 * -EINVAL instead. corosync's parser is line based ("key: value", "name {",
 * "}", '#' comments) and splits at the first ':', so IPv6 addresses are fine
 * as values; keepalived's splits on whitespace and treats '#' and '!' as
 * comments, quotes and backslashes as quoting, '$' as a definition and a
 * leading '@' or '~' as a config id or sequence. Hence one conservative
 * character set for paths (printable ASCII without whitespace and without
 * any of "'\{};#!$@~`), strict rules for names and interfaces, inet_pton for
 * addresses.
 *
 * corosync choices (3.1.7):
 *  - knet, crypto_model nss (the default, written out), aes256 + sha256; the
 *    key by totem.keyfile (corosync 3.1.7 has no -k option).
 *  - one `interface` block per link; link 0 (interconnect) priority 2, link 1
 *    (public) priority 1, link_mode passive: traffic stays on the
 *    interconnect while it is up and moves to the public link when it dies.
 *  - token_coefficient 0: the configured token is the real timeout on any
 *    node count (with corosync's default of 650 ms per node above two, a
 *    16-node cluster would detect a dead node after more than 10 s, most of
 *    the failover budget of DESIGN R4). consensus is left at 1.2 * token.
 *  - votequorum: two_node + wait_for_all for a pair (two_node implies it; it
 *    is written out); for 1 or 3+ nodes wait_for_all 0: quorum is a strict
 *    majority, and with wait_for_all a cluster restarted with a node still
 *    dead would never become quorate.
 *  - logging to log_file only (applianced captures stderr for its own log
 *    anyway), timestamps on; system.state_dir as given.
 *
 * keepalived choices (2.2.7): see ap_clusterconf.h. The health check is
 * written `script "PROG ARG"`: keepalived 2.2.7 splits a quoted script
 * string into argv, but silently drops everything after the first bare
 * token (measured: `script /bin/prog arg` ran prog with no argument). The
 * track file weight is
 * 1 both in the track_file block and in the instance; init_file 0 creates a
 * missing file (a node that has not been told it is the master holds no
 * extra weight). advert_int 1: a backup that becomes the preferred node takes
 * over when its master-down timer runs out (3 adverts + skew), about 3.6 s.
 */
#include "appliance/ap_clusterconf.h"

#include "lib/lib_buf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AP_CC_NAME_MAX 31
#define AP_CC_IFNAME_MAX 15 /* IFNAMSIZ - 1 */
#define AP_CC_PATH_MAX 4095
#define AP_CC_KNET_NODEID_MAX 65535 /* knet host ids are 16 bits */
#define AP_KA_ADDR_MAX 64

/* ------------------------------------------------------------------------ */
/* text buffer with a sticky error                                            */

/* ------------------------------------------------------------------------ */
/* validation                                                                 */

static bool ap_cc_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool ap_cc_alnum(char c)
{
	return ap_cc_alpha(c) || (c >= '0' && c <= '9');
}

/* [A-Za-z][A-Za-z0-9_-]*, at most 31 characters. */
static bool ap_cc_name_ok(const char *s)
{
	size_t i;

	if (!s || !ap_cc_alpha(s[0]))
		return false;
	for (i = 0; s[i]; i++) {
		if (i >= AP_CC_NAME_MAX)
			return false;
		if (!ap_cc_alnum(s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	}
	return true;
}

/* A Linux interface name as keepalived reads it: [A-Za-z0-9_.-], 1..15. */
static bool ap_cc_ifname_ok(const char *s)
{
	size_t i;

	if (!s || !s[0] || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (i = 0; s[i]; i++) {
		if (i >= AP_CC_IFNAME_MAX)
			return false;
		if (!ap_cc_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	}
	return true;
}

/* An absolute path that both parsers read as one bare token. */
static bool ap_cc_path_ok(const char *s)
{
	const unsigned char *c;

	if (!s || s[0] != '/' || strlen(s) > AP_CC_PATH_MAX)
		return false;
	for (c = (const unsigned char *)s; *c; c++) {
		if (*c <= 0x20 || *c >= 0x7f)
			return false;
		if (strchr("\"'\\{};#!$@~`", *c))
			return false;
	}
	return true;
}

/* An IPv4 or IPv6 address (no prefix, no scope): its family, or 0. */
static int ap_cc_addr_family(const char *s)
{
	unsigned char bin[sizeof(struct in6_addr)];

	if (!s || strlen(s) >= INET6_ADDRSTRLEN)
		return 0;
	if (inet_pton(AF_INET, s, bin) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, bin) == 1)
		return AF_INET6;
	return 0;
}

/* Two addresses of one family are the same address (textual forms differ). */
static bool ap_cc_addr_eq(const char *a, const char *b)
{
	unsigned char ba[sizeof(struct in6_addr)], bb[sizeof(struct in6_addr)];
	int fa = ap_cc_addr_family(a), fb = ap_cc_addr_family(b);

	if (!fa || fa != fb)
		return false;
	inet_pton(fa, a, ba);
	inet_pton(fb, b, bb);
	return memcmp(ba, bb, fa == AF_INET ? 4 : 16) == 0;
}

/* "ADDR/PREFIX" with the prefix required: its family, or 0. */
static int ap_cc_cidr_family(const char *s)
{
	char addr[AP_KA_ADDR_MAX];
	const char *slash, *d;
	int fam, prefix = 0;
	size_t alen;

	if (!s)
		return 0;
	slash = strchr(s, '/');
	if (!slash)
		return 0;
	alen = (size_t)(slash - s);
	if (alen == 0 || alen >= sizeof(addr))
		return 0;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	fam = ap_cc_addr_family(addr);
	if (!fam)
		return 0;
	d = slash + 1;
	if (!*d || strlen(d) > 3)
		return 0;
	for (; *d; d++) {
		if (*d < '0' || *d > '9')
			return 0;
		prefix = prefix * 10 + (*d - '0');
	}
	if (prefix > (fam == AF_INET ? 32 : 128))
		return 0;
	return fam;
}

static bool ap_cc_has(const char *s)
{
	return s && s[0];
}

/* ------------------------------------------------------------------------ */
/* corosync.conf                                                              */

static int ap_cc_validate(const struct ap_cc_params *p, const char *keyfile, bool *link1)
{
	int i, j, fam0 = 0, fam1 = 0, n_ring1 = 0;

	if (!ap_cc_name_ok(p->cluster_name))
		return -EINVAL;
	if (!p->nodes || p->n_nodes < 1 || p->n_nodes > AP_CC_MAX_NODES)
		return -EINVAL;
	if (!ap_cc_path_ok(p->state_dir) || !ap_cc_path_ok(p->log_file))
		return -EINVAL;
	if (keyfile && !ap_cc_path_ok(keyfile))
		return -EINVAL;
	if (p->token_ms && (p->token_ms < AP_CC_TOKEN_MIN || p->token_ms > AP_CC_TOKEN_MAX))
		return -EINVAL;
	for (i = 0; i < p->n_nodes; i++) {
		const struct ap_cc_node *n = &p->nodes[i];
		int f0 = ap_cc_addr_family(n->ring0);

		if (n->id < 1 || n->id > AP_CC_KNET_NODEID_MAX || !ap_cc_name_ok(n->name))
			return -EINVAL;
		if (!f0 || (fam0 && f0 != fam0))
			return -EINVAL; /* knet: one family per link */
		fam0 = f0;
		if (ap_cc_has(n->ring1)) {
			int f1 = ap_cc_addr_family(n->ring1);

			if (!f1 || (fam1 && f1 != fam1))
				return -EINVAL;
			fam1 = f1;
			if (ap_cc_addr_eq(n->ring0, n->ring1))
				return -EINVAL;
			n_ring1++;
		}
		for (j = 0; j < i; j++) {
			const struct ap_cc_node *m = &p->nodes[j];

			if (m->id == n->id || strcmp(m->name, n->name) == 0)
				return -EINVAL;
			if (ap_cc_addr_eq(m->ring0, n->ring0))
				return -EINVAL;
			if (ap_cc_has(n->ring1) && ap_cc_has(m->ring1) &&
			    ap_cc_addr_eq(m->ring1, n->ring1))
				return -EINVAL;
		}
	}
	*link1 = n_ring1 == p->n_nodes;
	return 0;
}

int ap_corosync_conf(const struct ap_cc_params *p, const char *keyfile, char **out)
{
	struct lib_buf b = {0};
	bool link1 = false;
	bool pair;
	int i, rc;

	if (!p || !out)
		return -EINVAL;
	rc = ap_cc_validate(p, keyfile, &link1);
	if (rc < 0)
		return rc;
	pair = p->n_nodes == 2;

	lib_buf_printf(&b, "# corosync.conf generated by applianced: do not edit\n");
	lib_buf_printf(&b,
	               "totem {\n"
	               "\tversion: 2\n"
	               "\tcluster_name: %s\n"
	               "\ttransport: knet\n"
	               "\tcrypto_model: nss\n"
	               "\tcrypto_cipher: aes256\n"
	               "\tcrypto_hash: sha256\n",
	               p->cluster_name);
	if (keyfile)
		lib_buf_printf(&b, "\tkeyfile: %s\n", keyfile);
	lib_buf_printf(&b,
	               "\ttoken: %u\n"
	               "\ttoken_coefficient: 0\n"
	               "\tlink_mode: passive\n"
	               "\tinterface {\n"
	               "\t\tlinknumber: 0\n"
	               "\t\tknet_link_priority: 2\n"
	               "\t}\n",
	               (unsigned)(p->token_ms ? p->token_ms : AP_CC_TOKEN_DEFAULT));
	if (link1)
		lib_buf_printf(&b, "\tinterface {\n"
		                   "\t\tlinknumber: 1\n"
		                   "\t\tknet_link_priority: 1\n"
		                   "\t}\n");
	lib_buf_printf(&b, "}\n");

	lib_buf_printf(&b, "nodelist {\n");
	for (i = 0; i < p->n_nodes; i++) {
		const struct ap_cc_node *n = &p->nodes[i];

		lib_buf_printf(&b,
		               "\tnode {\n"
		               "\t\tnodeid: %u\n"
		               "\t\tname: %s\n"
		               "\t\tring0_addr: %s\n",
		               (unsigned)n->id, n->name, n->ring0);
		if (link1)
			lib_buf_printf(&b, "\t\tring1_addr: %s\n", n->ring1);
		lib_buf_printf(&b, "\t}\n");
	}
	lib_buf_printf(&b, "}\n");

	lib_buf_printf(&b,
	               "quorum {\n"
	               "\tprovider: corosync_votequorum\n"
	               "\ttwo_node: %d\n"
	               "\twait_for_all: %d\n"
	               "}\n",
	               pair ? 1 : 0, pair ? 1 : 0);
	lib_buf_printf(&b,
	               "logging {\n"
	               "\tto_logfile: yes\n"
	               "\tlogfile: %s\n"
	               "\tto_stderr: no\n"
	               "\tto_syslog: no\n"
	               "\ttimestamp: on\n"
	               "}\n",
	               p->log_file);
	lib_buf_printf(&b,
	               "system {\n"
	               "\tstate_dir: %s\n"
	               "}\n",
	               p->state_dir);
	return lib_buf_finish(&b, out);
}

/* ------------------------------------------------------------------------ */
/* keepalived.conf                                                            */

int ap_ka_track_weight(bool is_master)
{
	return is_master ? AP_KA_MASTER_WEIGHT : 0;
}

static int ap_ka_validate(const struct ap_ka_params *p)
{
	if (!ap_cc_name_ok(p->instance) || !ap_cc_ifname_ok(p->interface))
		return -EINVAL;
	if (p->vip_dev && !ap_cc_ifname_ok(p->vip_dev))
		return -EINVAL;
	if (!ap_cc_cidr_family(p->vip))
		return -EINVAL;
	if (p->vrid < 1 || p->base_priority < 1 || p->base_priority > 254)
		return -EINVAL;
	if (!ap_cc_path_ok(p->track_file) || !ap_cc_path_ok(p->check_argv0) ||
	    !ap_cc_path_ok(p->pid_dir))
		return -EINVAL;
	if (p->check_arg) {
		/* A bare token: the path rule without the leading '/'. */
		const unsigned char *c = (const unsigned char *)p->check_arg;

		if (!*c || strlen(p->check_arg) > AP_CC_PATH_MAX)
			return -EINVAL;
		for (; *c; c++)
			if (*c <= 0x20 || *c >= 0x7f || strchr("\"'\\{};#!$@~`", *c))
				return -EINVAL;
	}
	return 0;
}

int ap_keepalived_conf(const struct ap_ka_params *p, char **out)
{
	struct lib_buf b = {0};
	bool v6;
	int rc;

	if (!p || !out)
		return -EINVAL;
	rc = ap_ka_validate(p);
	if (rc < 0)
		return rc;
	v6 = ap_cc_cidr_family(p->vip) == AF_INET6;

	lib_buf_printf(&b, "# keepalived.conf generated by applianced: do not edit\n");
	lib_buf_printf(&b, "global_defs {\n"
	                   "\tscript_user root\n"
	                   "\tenable_script_security\n"
	                   "\tvrrp_garp_interval 0.001\n"
	                   "\tvrrp_gna_interval 0.001\n"
	                   "}\n");
	lib_buf_printf(&b,
	               "vrrp_script ap_health {\n"
	               "\tscript \"%s%s%s\"\n"
	               "\tinterval 1\n"
	               "\ttimeout 2\n"
	               "\tfall 2\n"
	               "\trise 1\n"
	               "\tweight %d\n"
	               "}\n",
	               p->check_argv0, p->check_arg ? " " : "", p->check_arg ? p->check_arg : "",
	               AP_KA_CHECK_WEIGHT);
	lib_buf_printf(&b,
	               "track_file ap_master {\n"
	               "\tfile %s\n"
	               "\tweight 1\n"
	               "\tinit_file 0\n"
	               "}\n",
	               p->track_file);
	lib_buf_printf(&b, "vrrp_instance %s {\n", p->instance);
	lib_buf_printf(&b,
	               "\tstate BACKUP\n"
	               "\tinterface %s\n"
	               "\tvirtual_router_id %u\n"
	               "\tpriority %u\n"
	               "\tadvert_int 1\n",
	               p->interface, (unsigned)p->vrid, (unsigned)p->base_priority);
	if (v6)
		lib_buf_printf(&b, "\tversion 3\n");
	lib_buf_printf(&b,
	               "\tgarp_master_delay 1\n"
	               "\tgarp_master_repeat 3\n"
	               "\tgarp_master_refresh 60\n"
	               "\tgarp_lower_prio_repeat 3\n"
	               "\tvirtual_ipaddress {\n"
	               "\t\t%s dev %s\n"
	               "\t}\n"
	               "\ttrack_script {\n"
	               "\t\tap_health\n"
	               "\t}\n"
	               "\ttrack_file {\n"
	               "\t\tap_master weight 1\n"
	               "\t}\n"
	               "}\n",
	               p->vip, p->vip_dev ? p->vip_dev : p->interface);
	return lib_buf_finish(&b, out);
}

int ap_keepalived_argv(const struct ap_ka_params *p, const char *prog, const char *conf_path,
                       char ***out)
{
	static const char *const fixed[] = {"-n", "-l", "-D", "-G", "-P", "-f"};
	const size_t n_fixed = sizeof(fixed) / sizeof(fixed[0]);
	const size_t argc = 1 + n_fixed + 1 + 4; /* prog, fixed, conf, -p X, -r Y */
	char pid[AP_CC_PATH_MAX + 32], vrrp[AP_CC_PATH_MAX + 32];
	const char *strs[1 + 6 + 1 + 4];
	size_t i, size, off;
	char **argv, *s;

	if (!p || !out || !ap_cc_path_ok(p->pid_dir) || !ap_cc_path_ok(conf_path))
		return -EINVAL;
	if (prog && !prog[0])
		return -EINVAL;
	snprintf(pid, sizeof(pid), "%s/keepalived.pid", p->pid_dir);
	snprintf(vrrp, sizeof(vrrp), "%s/vrrp.pid", p->pid_dir);
	strs[0] = prog ? prog : "keepalived";
	for (i = 0; i < n_fixed; i++)
		strs[1 + i] = fixed[i];
	strs[1 + n_fixed] = conf_path;
	strs[2 + n_fixed] = "-p";
	strs[3 + n_fixed] = pid;
	strs[4 + n_fixed] = "-r";
	strs[5 + n_fixed] = vrrp;

	size = (argc + 1) * sizeof(char *);
	for (i = 0; i < argc; i++)
		size += strlen(strs[i]) + 1;
	argv = malloc(size);
	if (!argv)
		return -ENOMEM;
	off = (argc + 1) * sizeof(char *);
	for (i = 0; i < argc; i++) {
		size_t len = strlen(strs[i]) + 1;

		s = (char *)argv + off;
		memcpy(s, strs[i], len);
		argv[i] = s;
		off += len;
	}
	argv[argc] = NULL;
	*out = argv;
	return 0;
}
