/*
 * test_clusterconf.c - unit tests of appliance/ap_clusterconf: the
 * corosync.conf and keepalived.conf generators (pure, table-driven).
 *
 * Checks the key lines for 1, 2 (two_node) and 3 nodes, two knet links (and
 * the fallback to one when a node has no second address), IPv6 rings, the
 * keepalived instance (priority policy, track file, health check, VIP), the
 * keepalived command line, and tables of values that must be refused; and
 * that the appliance's units of corosync and keepalived (packaging/deb) run
 * them as applianced would, on the files it writes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/ap_clusterconf.h"
#include "appliance/ap_daemon.h"
#include "lib/lib_fs.h"

/* ------------------------------------------------------------------------ */
/* helpers                                                                    */

/* `line` is a whole line of `text`, leading tabs ignored. */
static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		const char *q = p;

		while (q > text && q[-1] == '\t')
			q--;
		if ((q == text || q[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static int count_lines(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;
	int c = 0;

	while ((p = strstr(p, line)) != NULL) {
		const char *q = p;

		while (q > text && q[-1] == '\t')
			q--;
		if ((q == text || q[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			c++;
		p += n;
	}
	return c;
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

/* corosync.conf: every line is a comment, "name {", "}" or "key: value",
 * one directive per line, braces balanced, no quotes. */
static void assert_corosync_shape(const char *text)
{
	const char *p = text;
	int depth = 0;

	assert_null(strchr(text, '"'));
	while (*p) {
		const char *end = strchr(p, '\n');
		size_t len;

		assert_non_null(end);
		while (*p == '\t')
			p++;
		len = (size_t)(end - p);
		assert_true(len > 0);
		if (*p == '#') {
			assert_int_equal(depth, 0);
		} else if (p[len - 1] == '{') {
			assert_true(len >= 3 && p[len - 2] == ' ');
			assert_null(memchr(p, ':', len));
			depth++;
		} else if (len == 1 && *p == '}') {
			depth--;
			assert_true(depth >= 0);
		} else {
			const char *colon = memchr(p, ':', len);

			assert_non_null(colon);
			assert_true(colon + 2 < end && colon[1] == ' ');
			assert_null(memchr(p, '{', len));
			assert_null(memchr(p, '}', len));
			assert_true(depth > 0);
		}
		p = end + 1;
	}
	assert_int_equal(depth, 0);
}

/* keepalived.conf: braces balanced; quotes only around the script. */
static void assert_keepalived_shape(const char *text)
{
	const char *p = text;
	int depth = 0, quotes = 0;

	for (; *p; p++) {
		if (*p == '{')
			depth++;
		if (*p == '}') {
			depth--;
			assert_true(depth >= 0);
		}
		if (*p == '"')
			quotes++;
		assert_true(*p == '\n' || *p == '\t' || (*p >= 0x20 && *p < 0x7f));
	}
	assert_int_equal(depth, 0);
	assert_int_equal(quotes, 2);
	assert_int_equal(text[strlen(text) - 1], '\n');
}

/* ------------------------------------------------------------------------ */
/* corosync.conf                                                              */

static const struct ap_cc_node nodes3[] = {
    {1, "n1", "198.51.100.201", NULL},
    {2, "n2", "198.51.100.202", ""},
    {3, "n3", "198.51.100.203", NULL},
};

static struct ap_cc_params cc_params(const struct ap_cc_node *nodes, int n)
{
	struct ap_cc_params p = {.cluster_name = "lab",
	                         .nodes = nodes,
	                         .n_nodes = n,
	                         .state_dir = "/var/lib/corosync",
	                         .log_file = "/var/log/corosync/corosync.log",
	                         .token_ms = 0};
	return p;
}

static void test_corosync_three_nodes(void **state)
{
	struct ap_cc_params p = cc_params(nodes3, 3);
	char *out = NULL;

	assert_int_equal(ap_corosync_conf(&p, "/etc/appliance/authkey", &out), 0);
	assert_non_null(out);
	assert_corosync_shape(out);
	assert_line(out, "totem {");
	assert_line(out, "version: 2");
	assert_line(out, "cluster_name: lab");
	assert_line(out, "transport: knet");
	assert_line(out, "crypto_cipher: aes256");
	assert_line(out, "crypto_hash: sha256");
	assert_line(out, "keyfile: /etc/appliance/authkey");
	assert_line(out, "token: 1000");
	assert_line(out, "token_coefficient: 0");
	assert_line(out, "linknumber: 0");
	assert_no_text(out, "linknumber: 1");
	assert_no_text(out, "ring1_addr");
	assert_int_equal(count_lines(out, "node {"), 3);
	assert_line(out, "nodeid: 1");
	assert_line(out, "nodeid: 2");
	assert_line(out, "nodeid: 3");
	assert_line(out, "name: n1");
	assert_line(out, "name: n3");
	assert_line(out, "ring0_addr: 198.51.100.201");
	assert_line(out, "ring0_addr: 198.51.100.202");
	assert_line(out, "ring0_addr: 198.51.100.203");
	assert_line(out, "provider: corosync_votequorum");
	assert_line(out, "two_node: 0");
	assert_line(out, "wait_for_all: 0");
	assert_line(out, "to_logfile: yes");
	assert_line(out, "logfile: /var/log/corosync/corosync.log");
	assert_line(out, "to_syslog: no");
	assert_line(out, "system {");
	assert_line(out, "state_dir: /var/lib/corosync");
	/* No transport or crypto left at weaker defaults. */
	assert_no_text(out, "secauth");
	assert_no_text(out, "udpu");
	free(out);
}

static void test_corosync_two_nodes(void **state)
{
	struct ap_cc_params p = cc_params(nodes3, 2);
	char *out = NULL;

	assert_int_equal(ap_corosync_conf(&p, "/etc/appliance/authkey", &out), 0);
	assert_corosync_shape(out);
	assert_line(out, "two_node: 1");
	assert_line(out, "wait_for_all: 1");
	assert_int_equal(count_lines(out, "node {"), 2);
	assert_no_text(out, "198.51.100.203");
	free(out);
}

static void test_corosync_one_node(void **state)
{
	struct ap_cc_params p = cc_params(nodes3, 1);
	char *out = NULL;

	p.token_ms = 3000;
	assert_int_equal(ap_corosync_conf(&p, NULL, &out), 0);
	assert_corosync_shape(out);
	assert_line(out, "two_node: 0");
	assert_line(out, "wait_for_all: 0");
	assert_line(out, "token: 3000");
	assert_int_equal(count_lines(out, "node {"), 1);
	assert_no_text(out, "keyfile"); /* NULL: corosync's default key path */
	assert_line(out, "crypto_cipher: aes256");
	free(out);
}

static void test_corosync_sixteen_nodes(void **state)
{
	struct ap_cc_node n[AP_CC_MAX_NODES + 1];
	char names[AP_CC_MAX_NODES + 1][8], addrs[AP_CC_MAX_NODES + 1][32];
	struct ap_cc_params p;
	char *out = NULL;
	int i;

	for (i = 0; i <= AP_CC_MAX_NODES; i++) {
		snprintf(names[i], sizeof(names[i]), "n%d", i + 1);
		snprintf(addrs[i], sizeof(addrs[i]), "2001:db8::%x", i + 1);
		n[i] = (struct ap_cc_node){(uint32_t)(i + 1) * 100, names[i], addrs[i], NULL};
	}
	p = cc_params(n, AP_CC_MAX_NODES);
	assert_int_equal(ap_corosync_conf(&p, NULL, &out), 0);
	assert_corosync_shape(out);
	assert_int_equal(count_lines(out, "node {"), AP_CC_MAX_NODES);
	assert_line(out, "nodeid: 1600");
	assert_line(out, "ring0_addr: 2001:db8::10");
	assert_line(out, "token_coefficient: 0");
	free(out);

	p.n_nodes = AP_CC_MAX_NODES + 1;
	out = NULL;
	assert_int_equal(ap_corosync_conf(&p, NULL, &out), -EINVAL);
	assert_null(out);
}

static void test_corosync_two_links(void **state)
{
	const struct ap_cc_node n[] = {
	    {1, "n1", "198.51.100.201", "192.0.2.11"},
	    {2, "n2", "198.51.100.202", "192.0.2.12"},
	    {3, "n3", "198.51.100.203", "192.0.2.13"},
	};
	struct ap_cc_params p = cc_params(n, 3);
	char *out = NULL;

	assert_int_equal(ap_corosync_conf(&p, "/k", &out), 0);
	assert_corosync_shape(out);
	assert_line(out, "linknumber: 0");
	assert_line(out, "linknumber: 1");
	assert_line(out, "link_mode: passive");
	/* The interconnect is preferred while it is up. */
	assert_non_null(strstr(out, "linknumber: 0\n\t\tknet_link_priority: 2\n"));
	assert_non_null(strstr(out, "linknumber: 1\n\t\tknet_link_priority: 1\n"));
	assert_line(out, "ring1_addr: 192.0.2.11");
	assert_line(out, "ring1_addr: 192.0.2.12");
	assert_line(out, "ring1_addr: 192.0.2.13");
	/* ring0 then ring1 inside each node block */
	assert_non_null(strstr(out, "ring0_addr: 198.51.100.202\n\t\tring1_addr: 192.0.2.12\n"));
	free(out);
}

static void test_corosync_partial_second_link(void **state)
{
	/* corosync wants the same links on every node: one without a public
	 * address means no link 1 at all. */
	const struct ap_cc_node n[] = {
	    {1, "n1", "198.51.100.201", "192.0.2.11"},
	    {2, "n2", "198.51.100.202", ""},
	    {3, "n3", "198.51.100.203", "192.0.2.13"},
	};
	struct ap_cc_params p = cc_params(n, 3);
	char *out = NULL;

	assert_int_equal(ap_corosync_conf(&p, "/k", &out), 0);
	assert_corosync_shape(out);
	assert_no_text(out, "linknumber: 1");
	assert_no_text(out, "ring1_addr");
	assert_no_text(out, "192.0.2.11");
	free(out);
}

static void test_corosync_ipv6(void **state)
{
	const struct ap_cc_node n[] = {
	    {7, "alpha", "2001:db8:1::7", "198.51.100.7"},
	    {9, "beta", "2001:db8:1::9", "198.51.100.9"},
	};
	struct ap_cc_params p = cc_params(n, 2);
	char *out = NULL;

	assert_int_equal(ap_corosync_conf(&p, "/k", &out), 0);
	assert_corosync_shape(out);
	assert_line(out, "ring0_addr: 2001:db8:1::7");
	assert_line(out, "ring1_addr: 198.51.100.9"); /* families may differ between links */
	assert_line(out, "nodeid: 9");
	assert_line(out, "two_node: 1");
	free(out);
}

struct cc_bad {
	const char *what;
	struct ap_cc_node n[3];
	int n_nodes; /* 0 = 3 */
	const char *cluster, *state_dir, *log_file, *keyfile;
	uint32_t token_ms;
};

#define N1                                                                                         \
	{                                                                                          \
		1, "n1", "198.51.100.201", NULL                                                    \
	}
#define N2                                                                                         \
	{                                                                                          \
		2, "n2", "198.51.100.202", NULL                                                    \
	}
#define N3                                                                                         \
	{                                                                                          \
		3, "n3", "198.51.100.203", NULL                                                    \
	}

static const struct cc_bad cc_bad[] = {
    {"cluster name starts with a digit", {N1, N2, N3}, 0, "1lab", NULL, NULL, NULL, 0},
    {"cluster name with a space", {N1, N2, N3}, 0, "my lab", NULL, NULL, NULL, 0},
    {"cluster name with a newline", {N1, N2, N3}, 0, "lab\ntotem {", NULL, NULL, NULL, 0},
    {"cluster name of 32",
     {N1, N2, N3},
     0,
     "abcdefghijklmnopqrstuvwxyz012345",
     NULL,
     NULL,
     NULL,
     0},
    {"empty cluster name", {N1, N2, N3}, 0, "", NULL, NULL, NULL, 0},
    {"no nodes", {N1, N2, N3}, -1, NULL, NULL, NULL, NULL, 0},
    {"node id 0", {{0, "n1", "198.51.100.201", NULL}, N2, N3}, 0, NULL, NULL, NULL, NULL, 0},
    {"node id above knet's 16 bits",
     {{65536, "n1", "198.51.100.201", NULL}, N2, N3},
     0,
     NULL,
     NULL,
     NULL,
     NULL,
     0},
    {"duplicate id", {N1, {1, "n2", "198.51.100.202", NULL}, N3}, 0, NULL, NULL, NULL, NULL, 0},
    {"duplicate name", {N1, {2, "n1", "198.51.100.202", NULL}, N3}, 0, NULL, NULL, NULL, NULL, 0},
    {"duplicate ring0", {N1, {2, "n2", "198.51.100.201", NULL}, N3}, 0, NULL, NULL, NULL, NULL, 0},
    {"duplicate ring0, other spelling",
     {{1, "n1", "2001:db8::1", NULL},
      {2, "n2", "2001:db8:0::1", NULL},
      {3, "n3", "2001:db8::3", NULL}},
     0,
     NULL,
     NULL,
     NULL,
     NULL,
     0},
    {"node name starts with '-'",
     {N1, {2, "-n2", "198.51.100.202", NULL}, N3},
     0,
     NULL,
     NULL,
     NULL,
     NULL,
     0},
    {"node name with '#'",
     {N1, {2, "n#2", "198.51.100.202", NULL}, N3},
     0,
     NULL,
     NULL,
     NULL,
     NULL,
     0},
    {"node name NULL", {N1, {2, NULL, "198.51.100.202", NULL}, N3}, 0, NULL, NULL, NULL, NULL, 0},
    {"ring0 out of range",
     {N1, {2, "n2", "198.51.100.300", NULL}, N3},
     0,
     NULL,
     NULL,
     NULL,
     NULL,
     0},
    {"ring0 a host name", {N1, {2, "n2", "n2.example", NULL}, N3}, 0, NULL, NULL, NULL, NULL, 0},
    {"ring0 with a prefix",
     {N1, {2, "n2", "198.51.100.202/24", NULL}, N3},
     0,
     NULL,
     NULL,
     NULL,
     NULL,
     0},
    {"ring0 with a scope", {N1, {2, "n2", "fe80::2%eth0", NULL}, N3}, 0, NULL, NULL, NULL, NULL, 0},
    {"ring0 with a newline",
     {N1, {2, "n2", "198.51.100.202\n}", NULL}, N3},
     0,
     NULL,
     NULL,
     NULL,
     NULL,
     0},
    {"ring0 NULL", {N1, {2, "n2", NULL, NULL}, N3}, 0, NULL, NULL, NULL, NULL, 0},
    {"ring0 families mixed",
     {N1, {2, "n2", "2001:db8::2", NULL}, N3},
     0,
     NULL,
     NULL,
     NULL,
     NULL,
     0},
    {"ring1 families mixed",
     {{1, "n1", "198.51.100.201", "192.0.2.1"}, {2, "n2", "198.51.100.202", "2001:db8::2"}, N3},
     0,
     NULL,
     NULL,
     NULL,
     NULL,
     0},
    {"ring1 equals ring0",
     {{1, "n1", "198.51.100.201", "198.51.100.201"}, N2, N3},
     0,
     NULL,
     NULL,
     NULL,
     NULL,
     0},
    {"ring1 duplicate",
     {{1, "n1", "198.51.100.201", "192.0.2.1"}, {2, "n2", "198.51.100.202", "192.0.2.1"}, N3},
     0,
     NULL,
     NULL,
     NULL,
     NULL,
     0},
    {"ring1 not an address",
     {{1, "n1", "198.51.100.201", "pub1"}, N2, N3},
     0,
     NULL,
     NULL,
     NULL,
     NULL,
     0},
    {"ring1 with a quote",
     {{1, "n1", "198.51.100.201", "192.0.2.1\""}, N2, N3},
     0,
     NULL,
     NULL,
     NULL,
     NULL,
     0},
    {"relative state_dir", {N1, N2, N3}, 0, NULL, "var/lib/corosync", NULL, NULL, 0},
    {"state_dir with a space", {N1, N2, N3}, 0, NULL, "/var/lib/my corosync", NULL, NULL, 0},
    {"state_dir with a brace", {N1, N2, N3}, 0, NULL, "/var/lib/}", NULL, NULL, 0},
    {"state_dir with '#'", {N1, N2, N3}, 0, NULL, "/var/lib/#x", NULL, NULL, 0},
    {"state_dir with ';'", {N1, N2, N3}, 0, NULL, "/var/lib/a;b", NULL, NULL, 0},
    {"state_dir with a tab", {N1, N2, N3}, 0, NULL, "/var/lib/a\tb", NULL, NULL, 0},
    {"state_dir non-ASCII", {N1, N2, N3}, 0, NULL, "/var/lib/\xc3\xa9", NULL, NULL, 0},
    {"empty log_file", {N1, N2, N3}, 0, NULL, NULL, "", NULL, 0},
    {"log_file with a newline", {N1, N2, N3}, 0, NULL, NULL, "/var/log/x\nto_syslog: yes", NULL, 0},
    {"relative keyfile", {N1, N2, N3}, 0, NULL, NULL, NULL, "authkey", 0},
    {"keyfile with a quote", {N1, N2, N3}, 0, NULL, NULL, NULL, "/etc/'authkey", 0},
    {"token too short", {N1, N2, N3}, 0, NULL, NULL, NULL, NULL, 50},
    {"token too long", {N1, N2, N3}, 0, NULL, NULL, NULL, NULL, 70000},
};

static void test_corosync_bad(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(cc_bad) / sizeof(cc_bad[0]); i++) {
		const struct cc_bad *t = &cc_bad[i];
		struct ap_cc_params p = cc_params(t->n, t->n_nodes ? t->n_nodes : 3);
		char *out = NULL;
		int rc;

		if (t->n_nodes < 0)
			p.n_nodes = 0;
		if (t->cluster)
			p.cluster_name = t->cluster;
		if (t->state_dir)
			p.state_dir = t->state_dir;
		if (t->log_file)
			p.log_file = t->log_file;
		p.token_ms = t->token_ms;
		rc = ap_corosync_conf(&p, t->keyfile, &out);
		if (rc != -EINVAL)
			fail_msg("%s: expected -EINVAL, got %d", t->what, rc);
		assert_null(out);
	}
}

static void test_corosync_bad_args(void **state)
{
	struct ap_cc_params p = cc_params(nodes3, 3);
	char *out = NULL;

	assert_int_equal(ap_corosync_conf(NULL, NULL, &out), -EINVAL);
	assert_int_equal(ap_corosync_conf(&p, NULL, NULL), -EINVAL);
	p.nodes = NULL;
	assert_int_equal(ap_corosync_conf(&p, NULL, &out), -EINVAL);
	p = cc_params(nodes3, 3);
	p.cluster_name = NULL;
	assert_int_equal(ap_corosync_conf(&p, NULL, &out), -EINVAL);
	p = cc_params(nodes3, 3);
	p.state_dir = NULL;
	assert_int_equal(ap_corosync_conf(&p, NULL, &out), -EINVAL);
	assert_null(out);

	/* Limits that are accepted. */
	p = cc_params(nodes3, 3);
	p.cluster_name = "abcdefghijklmnopqrstuvwxyz01234"; /* 31 */
	p.token_ms = AP_CC_TOKEN_MIN;
	assert_int_equal(ap_corosync_conf(&p, NULL, &out), 0);
	assert_line(out, "token: 100");
	free(out);
	out = NULL;
	p.token_ms = AP_CC_TOKEN_MAX;
	assert_int_equal(ap_corosync_conf(&p, NULL, &out), 0);
	free(out);
}

/* ------------------------------------------------------------------------ */
/* keepalived.conf                                                            */

static struct ap_ka_params ka_params(void)
{
	struct ap_ka_params p = {.instance = "mgmt",
	                         .interface = "ic0",
	                         .vip = "192.0.2.5/24",
	                         .vip_dev = NULL,
	                         .vrid = 51,
	                         .base_priority = 100,
	                         .track_file = "/run/appliance/keepalived/master.weight",
	                         .check_argv0 = "/usr/lib/appliance/ap-health",
	                         .check_arg = "--keepalived",
	                         .pid_dir = "/run/appliance/keepalived"};
	return p;
}

static void test_keepalived_basic(void **state)
{
	struct ap_ka_params p = ka_params();
	char *out = NULL;

	assert_int_equal(ap_keepalived_conf(&p, &out), 0);
	assert_non_null(out);
	assert_keepalived_shape(out);
	assert_line(out, "vrrp_instance mgmt {");
	assert_line(out, "state BACKUP");
	assert_no_text(out, "nopreempt");
	assert_no_text(out, "preempt_delay");
	assert_no_text(out, "vrrp_strict"); /* would add firewall rules */
	assert_no_text(out, "unicast");
	assert_line(out, "interface ic0");
	assert_line(out, "virtual_router_id 51");
	assert_line(out, "priority 100");
	assert_line(out, "advert_int 1");
	assert_no_text(out, "version 3");
	assert_line(out, "192.0.2.5/24 dev ic0");
	/* the track file: its value is added to the priority */
	assert_line(out, "track_file ap_master {");
	assert_line(out, "file /run/appliance/keepalived/master.weight");
	assert_line(out, "weight 1");
	assert_line(out, "init_file 0");
	assert_line(out, "ap_master weight 1");
	/* the health check: one quoted string, program and argument */
	assert_line(out, "vrrp_script ap_health {");
	assert_line(out, "script \"/usr/lib/appliance/ap-health --keepalived\"");
	assert_line(out, "interval 1");
	assert_line(out, "fall 2");
	assert_line(out, "rise 1");
	assert_line(out, "weight -150");
	assert_line(out, "track_script {");
	assert_line(out, "ap_health");
	/* fast takeover */
	assert_line(out, "garp_master_delay 1");
	assert_line(out, "garp_master_repeat 3");
	assert_line(out, "vrrp_garp_interval 0.001");
	assert_line(out, "enable_script_security");
	assert_line(out, "script_user root");
	free(out);
}

static void test_keepalived_variants(void **state)
{
	struct ap_ka_params p = ka_params();
	char *out = NULL;

	p.vip_dev = "eth1";
	p.check_arg = NULL;
	p.vrid = 255;
	p.base_priority = 254;
	assert_int_equal(ap_keepalived_conf(&p, &out), 0);
	assert_keepalived_shape(out);
	assert_line(out, "192.0.2.5/24 dev eth1");
	assert_line(out, "interface ic0");
	assert_line(out, "script \"/usr/lib/appliance/ap-health\"");
	assert_line(out, "virtual_router_id 255");
	assert_line(out, "priority 254");
	free(out);

	out = NULL;
	p = ka_params();
	p.vip = "2001:db8::5/64";
	assert_int_equal(ap_keepalived_conf(&p, &out), 0);
	assert_keepalived_shape(out);
	assert_line(out, "2001:db8::5/64 dev ic0");
	assert_line(out, "version 3"); /* VRRP for IPv6 */
	free(out);
}

static void test_keepalived_priority_policy(void **state)
{
	/* The effective priorities that follow from the weights (keepalived
	 * clamps the sum to 1..254): a healthy master beats every healthy
	 * node, a sick master falls below every healthy node. */
	int base = 100;
	int master = base + ap_ka_track_weight(true);
	int other = base + ap_ka_track_weight(false);
	int sick_master = master + AP_KA_CHECK_WEIGHT;

	assert_int_equal(ap_ka_track_weight(true), 100);
	assert_int_equal(ap_ka_track_weight(false), 0);
	assert_true(master > other);
	assert_true(sick_master < other);
	assert_true(AP_KA_CHECK_WEIGHT >= -253 && AP_KA_CHECK_WEIGHT < -AP_KA_MASTER_WEIGHT);
}

struct ka_bad {
	const char *what;
	int field;
	const char *value;
	int num;
};

enum {
	KA_INSTANCE,
	KA_IF,
	KA_VIP,
	KA_VIPDEV,
	KA_TRACK,
	KA_ARGV0,
	KA_ARG,
	KA_PIDDIR,
	KA_VRID,
	KA_PRIO
};

static const struct ka_bad ka_bad[] = {
    {"instance NULL", KA_INSTANCE, NULL, 0},
    {"instance with a space", KA_INSTANCE, "mg mt", 0},
    {"instance with a brace", KA_INSTANCE, "mgmt{", 0},
    {"instance starts with a digit", KA_INSTANCE, "1mgmt", 0},
    {"interface NULL", KA_IF, NULL, 0},
    {"interface empty", KA_IF, "", 0},
    {"interface of 16", KA_IF, "abcdefghijklmnop", 0},
    {"interface with '/'", KA_IF, "ic/0", 0},
    {"interface with ':'", KA_IF, "ic0:1", 0},
    {"interface with '!'", KA_IF, "ic0!", 0},
    {"interface '..'", KA_IF, "..", 0},
    {"vip NULL", KA_VIP, NULL, 0},
    {"vip without prefix", KA_VIP, "192.0.2.5", 0},
    {"vip prefix 33", KA_VIP, "192.0.2.5/33", 0},
    {"vip prefix 129", KA_VIP, "2001:db8::5/129", 0},
    {"vip empty prefix", KA_VIP, "192.0.2.5/", 0},
    {"vip prefix not a number", KA_VIP, "192.0.2.5/2x", 0},
    {"vip bad address", KA_VIP, "192.0.2.256/24", 0},
    {"vip host name", KA_VIP, "mgmt.example/24", 0},
    {"vip with a newline", KA_VIP, "192.0.2.5/24\n}", 0},
    {"vip_dev with a space", KA_VIPDEV, "eth 1", 0},
    {"vip_dev empty", KA_VIPDEV, "", 0},
    {"relative track_file", KA_TRACK, "master.weight", 0},
    {"track_file with '#'", KA_TRACK, "/run/#w", 0},
    {"track_file with '!'", KA_TRACK, "/run/!w", 0},
    {"track_file with a quote", KA_TRACK, "/run/\"w", 0},
    {"track_file with '$'", KA_TRACK, "/run/$W", 0},
    {"relative check_argv0", KA_ARGV0, "ap-health", 0},
    {"check_argv0 with a space", KA_ARGV0, "/usr/lib/ap health", 0},
    {"check_argv0 with a quote", KA_ARGV0, "/usr/lib/ap'health", 0},
    {"check_argv0 with a backslash", KA_ARGV0, "/usr/lib/ap\\health", 0},
    {"check_arg empty", KA_ARG, "", 0},
    {"check_arg with a space", KA_ARG, "--a b", 0},
    {"check_arg with a quote", KA_ARG, "\"", 0},
    {"check_arg with a newline", KA_ARG, "a\nb", 0},
    {"check_arg with ';'", KA_ARG, "a;reboot", 0},
    {"check_arg with a control character", KA_ARG, "a\x01", 0},
    {"pid_dir relative", KA_PIDDIR, "run", 0},
    {"pid_dir NULL", KA_PIDDIR, NULL, 0},
    {"vrid 0", KA_VRID, NULL, 0},
    {"priority 0", KA_PRIO, NULL, 0},
    {"priority 255", KA_PRIO, NULL, 255},
};

static void test_keepalived_bad(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(ka_bad) / sizeof(ka_bad[0]); i++) {
		const struct ka_bad *t = &ka_bad[i];
		struct ap_ka_params p = ka_params();
		char *out = NULL;
		int rc;

		switch (t->field) {
		case KA_INSTANCE:
			p.instance = t->value;
			break;
		case KA_IF:
			p.interface = t->value;
			break;
		case KA_VIP:
			p.vip = t->value;
			break;
		case KA_VIPDEV:
			p.vip_dev = t->value;
			break;
		case KA_TRACK:
			p.track_file = t->value;
			break;
		case KA_ARGV0:
			p.check_argv0 = t->value;
			break;
		case KA_ARG:
			p.check_arg = t->value;
			break;
		case KA_PIDDIR:
			p.pid_dir = t->value;
			break;
		case KA_VRID:
			p.vrid = (uint8_t)t->num;
			break;
		case KA_PRIO:
			p.base_priority = (uint8_t)t->num;
			break;
		}
		rc = ap_keepalived_conf(&p, &out);
		if (rc != -EINVAL)
			fail_msg("%s: expected -EINVAL, got %d", t->what, rc);
		assert_null(out);
	}
	{
		struct ap_ka_params p = ka_params();
		char *out = NULL;

		assert_int_equal(ap_keepalived_conf(NULL, &out), -EINVAL);
		assert_int_equal(ap_keepalived_conf(&p, NULL), -EINVAL);
		assert_null(out);
	}
}

static void test_keepalived_argv(void **state)
{
	struct ap_ka_params p = ka_params();
	char **argv = NULL;
	const char *want[] = {"/usr/sbin/keepalived",
	                      "-n",
	                      "-l",
	                      "-D",
	                      "-G",
	                      "-P",
	                      "-f",
	                      "/run/appliance/keepalived/keepalived.conf",
	                      "-p",
	                      "/run/appliance/keepalived/keepalived.pid",
	                      "-r",
	                      "/run/appliance/keepalived/vrrp.pid",
	                      NULL};
	size_t i;

	assert_int_equal(ap_keepalived_argv(&p, "/usr/sbin/keepalived",
	                                    "/run/appliance/keepalived/keepalived.conf", &argv),
	                 0);
	for (i = 0; want[i]; i++) {
		assert_non_null(argv[i]);
		assert_string_equal(argv[i], want[i]);
	}
	assert_null(argv[i]);
	free(argv);

	argv = NULL;
	assert_int_equal(ap_keepalived_argv(&p, NULL, "/etc/k.conf", &argv), 0);
	assert_string_equal(argv[0], "keepalived");
	free(argv);

	argv = NULL;
	assert_int_equal(ap_keepalived_argv(&p, NULL, "k.conf", &argv), -EINVAL);
	p.pid_dir = "run";
	assert_int_equal(ap_keepalived_argv(&p, NULL, "/etc/k.conf", &argv), -EINVAL);
	assert_int_equal(ap_keepalived_argv(NULL, NULL, "/etc/k.conf", &argv), -EINVAL);
	assert_null(argv);
}

/* packaging/deb/NAME's text, from the tree the test runs in, else next to
 * the binary's tree (build/san/tests/test_clusterconf -> ../../../). */
static char *unit_text(const char *name)
{
	char exe[PATH_MAX], path[PATH_MAX + 128], *text = NULL;
	ssize_t n;

	snprintf(path, sizeof(path), "packaging/deb/%s", name);
	if (lib_read_file(path, &text) == 0)
		return text;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(path, sizeof(path), "%s/../../../packaging/deb/%s", exe, name);
	assert_int_equal(lib_read_file(path, &text), 0);
	return text;
}

/* The value of the unit's first KEY= line (in a static buffer). */
static const char *unit_value(const char *text, const char *key)
{
	static char val[1024];
	char want[64];
	const char *p = text;

	snprintf(want, sizeof(want), "\n%s=", key);
	p = strstr(p, want);
	assert_non_null(p);
	p += strlen(want);
	size_t n = strcspn(p, "\n");
	assert_true(n < sizeof(val));
	memcpy(val, p, n);
	val[n] = '\0';
	return val;
}

static void test_units_agree(void **state)
{
	(void)state;
	char conf[256], pid_dir[256], *text, **argv = NULL, joined[1024] = "";

	/* keepalived: the unit's command line is ap_keepalived_argv's for the
	 * files applianced writes under the units' run directory. */
	snprintf(pid_dir, sizeof(pid_dir), "%s/keepalived", AP_DAEMON_UNITS_RUN_DIR);
	snprintf(conf, sizeof(conf), "%s/keepalived.conf", pid_dir);
	struct ap_ka_params p = ka_params();
	p.pid_dir = pid_dir;
	assert_int_equal(ap_keepalived_argv(&p, "/usr/sbin/keepalived", conf, &argv), 0);
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			strcat(joined, " ");
		strcat(joined, argv[i]);
	}
	free(argv);
	text = unit_text("appliance-keepalived.service");
	assert_string_equal(unit_value(text, "ExecStart"), joined);
	assert_string_equal(unit_value(text, "ConditionPathExists"), conf);
	assert_string_equal(unit_value(text, "Type"), "notify");
	assert_string_equal(unit_value(text, "Restart"), "always");
	assert_null(strstr(text, "[Install]"));
	free(text);

	/* corosync: as ap_clkeep.c runs it, on the file it writes. */
	snprintf(conf, sizeof(conf), "%s/corosync/corosync.conf", AP_DAEMON_UNITS_RUN_DIR);
	snprintf(joined, sizeof(joined), "/usr/sbin/corosync -f -c %s", conf);
	text = unit_text("appliance-corosync.service");
	assert_string_equal(unit_value(text, "ExecStart"), joined);
	assert_string_equal(unit_value(text, "ConditionPathExists"), conf);
	assert_string_equal(unit_value(text, "Restart"), "always");
	assert_null(strstr(text, "[Install]"));
	free(text);

	/* applianced's own unit asks for them. */
	text = unit_text("applianced.service");
	assert_non_null(strstr(unit_value(text, "ExecStart"), " --daemon-units"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corosync_three_nodes),
	    cmocka_unit_test(test_corosync_two_nodes),
	    cmocka_unit_test(test_corosync_one_node),
	    cmocka_unit_test(test_corosync_sixteen_nodes),
	    cmocka_unit_test(test_corosync_two_links),
	    cmocka_unit_test(test_corosync_partial_second_link),
	    cmocka_unit_test(test_corosync_ipv6),
	    cmocka_unit_test(test_corosync_bad),
	    cmocka_unit_test(test_corosync_bad_args),
	    cmocka_unit_test(test_keepalived_basic),
	    cmocka_unit_test(test_keepalived_variants),
	    cmocka_unit_test(test_keepalived_priority_policy),
	    cmocka_unit_test(test_keepalived_bad),
	    cmocka_unit_test(test_keepalived_argv),
	    cmocka_unit_test(test_units_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
