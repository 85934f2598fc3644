/*
 * ap_seedgen.c - what a parsed seed makes (see ap_seed.h): /etc/hostname,
 * /etc/hosts, the systemd-networkd files, the requests to applianced.
 *
 * Pure: a checked struct ap_seed in, text or JSON out. Every value written
 * was checked by ap_seed_parse (names by allow-list, addresses canonical),
 * so none can open a new line or section in the files made here.
 */
#include "appliance/ap_seed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib_buf.h"

int ap_seed_hostname(const struct ap_seed *seed, char **out)
{
	struct lib_buf b = {0};

	lib_buf_printf(&b, "%s\n", seed->node);
	return lib_buf_finish(&b, out);
}

int ap_seed_hosts(const struct ap_seed *seed, char **out)
{
	struct lib_buf b = {0};

	lib_buf_printf(&b, "# Written by appliance-seed from the first-boot seed.\n");
	lib_buf_printf(&b, "127.0.0.1 localhost\n127.0.1.1 %s\n", seed->node);
	lib_buf_printf(&b, "::1 localhost ip6-localhost ip6-loopback\n");
	return lib_buf_finish(&b, out);
}

int ap_seed_network(const struct ap_seed *seed, int i, char *name, size_t namelen, char **out)
{
	const struct ap_seed_port *p;
	struct lib_buf b = {0};
	int n;

	if (i < 0 || i >= seed->n_ports)
		return -EINVAL;
	p = &seed->ports[i];
	/* Before the image's 80-dhcp.network: networkd takes the first file that
	 * matches a link. */
	n = snprintf(name, namelen, "10-seed-%s.network", p->name);
	if (n < 0 || (size_t)n >= namelen)
		return -ENAMETOOLONG;
	lib_buf_printf(&b, "# Written by appliance-seed from the first-boot seed (node %s).\n",
	               seed->node);
	lib_buf_printf(&b, "[Match]\nName=%s\n\n[Network]\n", p->name);
	if (p->dhcp)
		lib_buf_printf(&b, "DHCP=yes\n");
	for (int k = 0; k < p->n_addrs; k++)
		lib_buf_printf(&b, "Address=%s\n", p->addrs[k]);
	if (p->gateway[0])
		lib_buf_printf(&b, "Gateway=%s\n", p->gateway);
	if (p->gateway6[0])
		lib_buf_printf(&b, "Gateway=%s\n", p->gateway6);
	for (int k = 0; k < p->n_dns; k++)
		lib_buf_printf(&b, "DNS=%s\n", p->dns[k]);
	return lib_buf_finish(&b, out);
}

static int add(json_t *list, const char *cmd, json_t *args)
{
	json_t *req = args ? json_pack("{s:s, s:o}", "cmd", cmd, "args", args) : NULL;

	if (!req || json_array_append_new(list, req) < 0)
		return -ENOMEM;
	return 0;
}

json_t *ap_seed_create_args(const struct ap_seed *seed)
{
	json_t *args = json_pack("{s:s, s:s}", "name", seed->cluster, "nodes", seed->nodes);

	if (args && seed->mgmt[0]) {
		json_object_set_new(args, "mgmt", json_string(seed->mgmt));
		json_object_set_new(args, "mgmt_port", json_string(seed->mgmt_port));
	}
	if (args && seed->agent_grace)
		json_object_set_new(args, "agent_grace", json_integer(seed->agent_grace));
	return args;
}

int ap_seed_requests(const struct ap_seed *seed, json_t **out)
{
	json_t *list = json_array(), *args;
	int rc = list ? 0 : -ENOMEM;

	*out = NULL;
	/* A node that creates a cluster takes its own configuration into it, so
	 * its account comes first: it can log in (and hand out the join bundle)
	 * before the other nodes are there to make a quorum. A joining node takes
	 * the cluster's configuration, so its account is added after the join,
	 * through the cluster. */
	bool admin_first = seed->role == AP_SEED_CREATE;
	if (rc == 0 && seed->admin[0] && admin_first)
		rc = add(list, "admin.add",
		         json_pack("{s:s, s:s, s:s}", "name", seed->admin, "role", "admin",
		                   "crypt_hash", seed->admin_hash));
	if (rc == 0 && seed->role == AP_SEED_CREATE) {
		args = ap_seed_create_args(seed);
		rc = add(list, "cluster.create", args);
	} else if (rc == 0 && seed->role == AP_SEED_JOIN) {
		rc = seed->bundle
		         ? add(list, "cluster.join", json_pack("{s:O}", "bundle", seed->bundle))
		         : -EINVAL; /* the bundle file was never read */
	}
	if (rc == 0 && seed->admin[0] && !admin_first)
		rc = add(list, "admin.add",
		         json_pack("{s:s, s:s, s:s}", "name", seed->admin, "role", "admin",
		                   "crypt_hash", seed->admin_hash));
	if (rc < 0) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return 0;
}

void ap_seed_describe(const struct ap_seed *seed, char *buf, size_t len)
{
	struct lib_buf b = {0};
	char *text = NULL;

	lib_buf_printf(&b, "node %s", seed->node);
	for (int i = 0; i < seed->n_ports; i++) {
		const struct ap_seed_port *p = &seed->ports[i];
		lib_buf_printf(&b, "; %s ", p->name);
		if (p->dhcp)
			lib_buf_printf(&b, "DHCP");
		for (int k = 0; k < p->n_addrs; k++)
			lib_buf_printf(&b, "%s%s", k ? "," : "static ", p->addrs[k]);
		if (p->gateway[0] || p->gateway6[0])
			lib_buf_printf(&b, " via %s%s%s", p->gateway,
			               p->gateway[0] && p->gateway6[0] ? "," : "", p->gateway6);
	}
	if (seed->role == AP_SEED_CREATE)
		lib_buf_printf(&b, "; create cluster %s (nodes %s)", seed->cluster, seed->nodes);
	else if (seed->role == AP_SEED_JOIN)
		lib_buf_printf(&b, "; join cluster %s from %s",
		               json_string_value(json_object_get(seed->bundle, "name")) ?: "?",
		               seed->bundle_file[0] ? seed->bundle_file : "the bundle in the seed");
	else
		lib_buf_printf(&b, "; no cluster");
	lib_buf_printf(&b, "; %s%s", seed->admin[0] ? "console account " : "no console account",
	               seed->admin);
	if (lib_buf_finish(&b, &text) < 0)
		snprintf(buf, len, "node %s", seed->node);
	else
		snprintf(buf, len, "%s", text);
	free(text);
}
