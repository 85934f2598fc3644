/*
 * ap_seed.h - the first-boot seed (issue 13 item 2): what a new node is told
 * on its first boot, its validation and what it makes (pure).
 *
 * The seed is one JSON file, appliance-seed.json (README "First boot from a
 * seed"), on a file system labelled APPLSEED or at /boot/appliance-seed.json:
 *
 *   {"version": 1,
 *    "node": "seed1",
 *    "ports": {"eth0": {"addresses": ["10.0.2.15/24"], "gateway": "10.0.2.2",
 *                       "dns": ["10.0.2.3"]},
 *              "eth1": {"dhcp": true}},
 *    "cluster": {"create": {"name": "c1", "nodes": "seed1=10.0.2.15",
 *                           "mgmt": "10.0.2.100/24", "mgmt_port": "eth0",
 *                           "agent_grace": 10}},
 *    "admin": {"name": "admin", "crypt_hash": "$y$..."}}
 *
 * "cluster" is {"create": {...}} with the values `vsadm cluster create`
 * takes (name, --nodes, --mgmt, --mgmt-port, --agent-grace), or {"join":
 * {"bundle": {...}}} with the bundle `vsadm cluster bundle` writes, or {"join":
 * {"bundle_file": "NAME"}} naming such a file next to the seed (the caller
 * reads it and hands it to ap_seed_parse), or absent: no cluster. "admin" is
 * the first console account (role admin), with its yescrypt hash, never a
 * password. "ports", "cluster" and "admin" are optional; "version" and "node"
 * are not.
 *
 * Everything is checked by allow-list before anything is used: every member
 * must be known (a "password" anywhere is refused with its own sentence), names
 * as vs_check_name, addresses as the model's, the cluster values as
 * ap_cluster_check_create / ap_cluster_check_bundle (the same checks applianced
 * makes), and the seed at most AP_SEED_MAX bytes. A seed refused in any part is
 * refused whole. Duplicate JSON members are refused.
 *
 * The generators make, from a parsed seed, the text of /etc/hostname, of
 * /etc/hosts, of a systemd-networkd .network file per port, and the requests to
 * make to applianced (control-socket JSON, in order).
 *
 * Memory: struct ap_seed is the caller's; ap_seed_parse fills it and it holds
 * one JSON reference (the join bundle) released by ap_seed_clear (also safe on
 * a zeroed or already cleared seed). Texts from the generators are malloc'd,
 * the caller's to free; ap_seed_requests returns a new JSON reference.
 * Secrets: the bundle holds the cluster key and the admin's hash is
 * password-equivalent: no error sentence quotes either, and ap_seed_describe
 * names neither.
 * Errors: 0, or -EINVAL (a seed that is not valid), -E2BIG (too large), with
 * one sentence in err; -ENOMEM.
 */
#ifndef AP_SEED_H
#define AP_SEED_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "vserver/vs_model.h"

#define AP_SEED_MAX (64 * 1024) /* bytes of the seed file, and of a bundle file */
#define AP_SEED_FILE "appliance-seed.json"
#define AP_SEED_LABEL "APPLSEED"
#define AP_SEED_MAX_PORTS 8
#define AP_SEED_MAX_ADDRS 4 /* static addresses per port */
#define AP_SEED_MAX_DNS 3
#define AP_SEED_FILE_NAME_MAX 64 /* a bundle file's name */

enum ap_seed_role { AP_SEED_NONE = 0, AP_SEED_CREATE, AP_SEED_JOIN };

struct ap_seed_port {
	char name[VS_PORT_MAX + 1];
	bool dhcp;
	int n_addrs;
	char addrs[AP_SEED_MAX_ADDRS][VS_ADDR_MAX + 5]; /* "ADDR/PREFIX", as given */
	char gateway[VS_ADDR_MAX + 1];                  /* IPv4, "" = none */
	char gateway6[VS_ADDR_MAX + 1];                 /* IPv6, "" = none */
	int n_dns;
	char dns[AP_SEED_MAX_DNS][VS_ADDR_MAX + 1];
};

struct ap_seed {
	char node[VS_NAME_MAX + 1];
	int n_ports;
	struct ap_seed_port ports[AP_SEED_MAX_PORTS];
	enum ap_seed_role role;
	/* create */
	char cluster[VS_NAME_MAX + 1];
	char nodes[1024];
	char mgmt[VS_ADDR_MAX + 5];
	char mgmt_port[VS_PORT_MAX + 1];
	int agent_grace; /* 0 = the default */
	/* join: the bundle (a reference of its own), or the file still to read */
	json_t *bundle;
	char bundle_file[AP_SEED_FILE_NAME_MAX + 1];
	/* the first console account; "" = none */
	char admin[VS_NAME_MAX + 1];
	char admin_hash[VS_CRYPT_MAX + 1];
};

/* Parse and check text[0..len). A seed that names its bundle by a file comes
 * back with bundle NULL and bundle_file set: the caller reads that file (at
 * most AP_SEED_MAX bytes) and gives it to ap_seed_set_bundle, which checks it.
 * On failure *seed is cleared. */
int ap_seed_parse(const char *text, size_t len, struct ap_seed *seed, char *err, size_t errlen);
/* The bundle named by bundle_file, its text[0..len): checked as a join bundle
 * for seed->node, then kept in seed->bundle. */
int ap_seed_set_bundle(struct ap_seed *seed, const char *text, size_t len, char *err,
                       size_t errlen);
/* Is name allowed as a bundle file name: 1..AP_SEED_FILE_NAME_MAX of
 * [A-Za-z0-9._-], not starting with '.' (so no path, no "..")? */
bool ap_seed_file_name_ok(const char *name);
void ap_seed_clear(struct ap_seed *seed);

/* --- generators (ap_seedgen.c) --- */

/* "NODE\n" */
int ap_seed_hostname(const struct ap_seed *seed, char **out);
/* /etc/hosts: localhost and the node's name on 127.0.1.1, as Debian writes it. */
int ap_seed_hosts(const struct ap_seed *seed, char **out);
/* The systemd-networkd file of ports[i]: its name ("10-seed-PORT.network")
 * into name (64 bytes), its text into *out. */
int ap_seed_network(const struct ap_seed *seed, int i, char *name, size_t namelen, char **out);
/* The requests to make to applianced, in order: [{"cmd": ..., "args": {...}},
 * ...]: admin.add then cluster.create (the creating node's account comes
 * with its configuration into the cluster, and logs in before a quorum is
 * there), or cluster.join then admin.add (through the cluster). An empty array when
 * the seed asks for neither. The join request holds the bundle (the key). */
int ap_seed_requests(const struct ap_seed *seed, json_t **out);
/* The cluster create's values as cluster.create's args ({"name", "nodes",
 * "mgmt", "mgmt_port", "agent_grace"}; the last three when given), a new
 * reference, NULL on no memory (a create seed only). */
json_t *ap_seed_create_args(const struct ap_seed *seed);
/* One sentence for the console of what the seed asks for (no secret). */
void ap_seed_describe(const struct ap_seed *seed, char *buf, size_t len);

#endif
