/*
 * ap_clusterconf.h - corosync.conf and keepalived.conf of a node (pure).
 *
 * Generates the complete text of the two third-party daemons' files from
 * plain inputs (the node records and paths chosen by applianced), with no
 * I/O, so the decisions are table-tested (DESIGN sections 4 and 8).
 *
 * corosync (3.1): knet, encrypted and authenticated (aes256 + sha256) with
 * the key at `keyfile`; link 0 is the interconnect (ring0, preferred), link 1
 * the public network (ring1) when every node has one, otherwise no node gets
 * a link 1 (corosync wants the same links on every node); votequorum, with
 * two_node + wait_for_all for a pair and neither otherwise (a majority quorum
 * needs no wait_for_all, and with it a cluster that lost a node could not
 * start again); `token` is the real token timeout whatever the node count
 * (token_coefficient 0), so failure detection stays about token + consensus
 * (1.2 * token): 2.2 s measured with 1000 ms on 2 and 3 nodes.
 *
 * keepalived (2.2): one VRRP instance, state BACKUP with preemption, whose
 * priority is base_priority + the track file's value (ap_ka_track_weight():
 * the master writes 100) - 150 while the health check fails (so a sick
 * master falls below every healthy node; -100 would tie). VRRPv2 adverts
 * every second on `interface` (multicast), VRRPv3 for an IPv6 address.
 * keepalived has no configuration keyword for its pid files: give them on
 * the command line (ap_keepalived_argv() builds it, with the pid files in
 * pid_dir), or run each node with a private /run.
 *
 * Memory: the caller owns the params; *out is malloc'd and owned by the caller
 * (for ap_keepalived_argv, one block: free(*out) frees the array and strings).
 * Errors: -EINVAL if a value is out of range or would break the file's syntax
 * (whitespace, newline or other control character, quote, backslash, brace,
 * '#', '!', ';', '$', non-ASCII), a name breaks its rule, an address does not
 * parse with inet_pton, or node ids, names or addresses repeat; -ENOMEM.
 */
#ifndef AP_CLUSTERCONF_H
#define AP_CLUSTERCONF_H

#include <stdbool.h>
#include <stdint.h>

/* clang-format off */
#define AP_CC_MAX_NODES 16
#define AP_CC_TOKEN_DEFAULT 1000 /* ms */
#define AP_CC_TOKEN_MIN 100      /* ms */
#define AP_CC_TOKEN_MAX 60000    /* ms */
#define AP_KA_MASTER_WEIGHT 100  /* track file value on the master */
#define AP_KA_CHECK_WEIGHT (-150) /* priority change while the health check fails */

struct ap_cc_node {
	uint32_t id;       /* corosync nodeid, >= 1 (knet: <= 65535) */
	const char *name;  /* node name, [A-Za-z][A-Za-z0-9_-]* <= 31 */
	const char *ring0; /* interconnect address (IPv4 or IPv6) */
	const char *ring1; /* second link (public network), NULL or "" = none */
};
struct ap_cc_params {
	const char *cluster_name; /* same rule as a node name */
	const struct ap_cc_node *nodes;
	int n_nodes;           /* 1..16 */
	const char *state_dir; /* corosync system.state_dir, absolute */
	const char *log_file;  /* absolute */
	uint32_t token_ms;     /* 0 = default 1000; else 100..60000 */
};
/* corosync.conf: knet transport, crypto_cipher aes256 + crypto_hash sha256 (the authkey file is
 * given to corosync with -k or totem.keyfile), link 0 = ring0 (and link 1 = ring1 when every node
 * has one), votequorum with two_node: 1 for exactly two nodes, wait_for_all as appropriate,
 * one directive per line (corosync's parser wants that). Returns 0, -EINVAL (bad value), -ENOMEM; *out malloc'd.
 * keyfile: absolute path written as totem.keyfile; NULL = no directive (corosync 3.1.7 has no -k:
 * it then reads /etc/corosync/authkey). Every ring0 (and every ring1) must be of one family. */
int ap_corosync_conf(const struct ap_cc_params *p, const char *keyfile, char **out);

struct ap_ka_params {
	const char *instance;     /* VRRP instance name */
	const char *interface;    /* interface VRRP adverts go out of (e.g. ic0, has an address) */
	const char *vip;          /* management address with prefix, e.g. 192.0.2.5/24 */
	const char *vip_dev;      /* device the management address goes on (e.g. eth1); NULL = interface */
	uint8_t vrid;             /* 1..255 */
	uint8_t base_priority;    /* 1..254 */
	const char *track_file;   /* absolute: applianced writes the weight (master: high) */
	const char *check_argv0;  /* absolute path of the health check program (track_script) */
	const char *check_arg;    /* one argument for it, may be NULL */
	const char *pid_dir;      /* absolute: per-node pid files (the lab runs several keepalived on one host) */
};
/* keepalived.conf: one vrrp_instance (state BACKUP, nopreempt NOT set so the master wins), priority from
 * base_priority plus the track_file's weight (track_file block with weight 1, so the file's value adds),
 * a vrrp_script running check_argv0 [check_arg] every 1 s (fall 2, rise 1, weight -100 or so), unicast
 * not needed (multicast on the interface is fine in the lab), garp settings for fast takeover.
 * Names (instance) follow the node name rule; interfaces are [A-Za-z0-9_.-], <= 15 characters;
 * the script runs as root with enable_script_security: check_argv0 and its directories must not be
 * writable by another user (keepalived disables the script otherwise). The track file is created with 0 at
 * start when missing (init_file). */
int ap_keepalived_conf(const struct ap_ka_params *p, char **out);
/* Pure: a random-free helper to write the weight the track file should hold for this node:
 * master -> 100, else 0. (Trivial, but keep the policy here.) */
int ap_ka_track_weight(bool is_master);

/* The argv (NULL-terminated) to run keepalived for p in the foreground, VRRP only, with the
 * config at conf_path (absolute) and its pid files in p->pid_dir:
 *   keepalived -n -l -D -G -P -f CONF -p PID_DIR/keepalived.pid -r PID_DIR/vrrp.pid
 * `prog` is argv[0] (NULL = "keepalived"). Only p->pid_dir is used from p. */
int ap_keepalived_argv(const struct ap_ka_params *p, const char *prog, const char *conf_path,
                       char ***out);
/* clang-format on */

#endif
