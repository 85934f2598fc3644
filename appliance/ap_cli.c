/*
 * ap_cli.c - the vsadm command table and its parser (see ap_cli.h).
 */
#include "appliance/ap_cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* OPT_ONOFF: "on" or "off", sent as a JSON boolean; OPT_LIST: a string
 * that may be given again, sent as an array in the order given. */
enum opt_type { OPT_STR, OPT_INT, OPT_BOOL, OPT_ONOFF, OPT_LIST };

struct opt {
	const char *flag; /* "--priority" */
	const char *key;  /* JSON member */
	enum opt_type type;
	bool required;
	const char *meta; /* for usage: "N" */
};

#define MAX_POS 4
#define MAX_OPTS 10

struct cmd {
	const char *w1, *w2; /* words; w2 may be NULL */
	const char *request; /* control command */
	const char *pos[MAX_POS];
	int n_required_pos; /* positional arguments that must be there */
	struct opt opts[MAX_OPTS];
	const char *help;
};

/* Commands whose first positional argument is one of a few words: those
 * words, for completion (the daemon checks the word either way). */
static const char *const member_actions[] = {"add", "remove", NULL};
static const struct {
	const char *w1, *w2;
	const char *const *words;
} choices[] = {{"group", "member", member_actions}};

/* Options whose value is one of a few words: those words, for completion. */
static const char *const role_words[] = {"admin", "operator", "read-only", NULL};
static const struct {
	const char *flag;
	const char *const *words;
} opt_choices[] = {{"--role", role_words}};

static const char *const *opt_choices_of(const char *flag)
{
	for (size_t i = 0; i < sizeof(opt_choices) / sizeof(opt_choices[0]); i++)
		if (strcmp(opt_choices[i].flag, flag) == 0)
			return opt_choices[i].words;
	return NULL;
}

static const char *const *choices_of(const char *w1, const char *w2)
{
	for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++)
		if (strcmp(choices[i].w1, w1) == 0 && strcmp(choices[i].w2, w2) == 0)
			return choices[i].words;
	return NULL;
}

/* Options understood by every show command. */
#define JSON_OPT                                                                                   \
	{                                                                                          \
		"--json", NULL, OPT_BOOL, false, NULL                                              \
	}

static const struct cmd cmds[] = {
    {"vserver",
     "create",
     "vserver.create",
     {"name"},
     1,
     {{"--priority", "priority", OPT_INT, false, "N"},
      {"--pinned", "pinned", OPT_BOOL, false, NULL},
      {"--home", "home", OPT_STR, false, "NODE"}},
     "create a virtual server (stopped)"},
    {"vserver",
     "start",
     "vserver.start",
     {"name"},
     1,
     {{"--no-wait", "no_wait", OPT_BOOL, false, NULL}},
     "start it and wait until it serves"},
    {"vserver",
     "stop",
     "vserver.stop",
     {"name"},
     1,
     {{"--no-wait", "no_wait", OPT_BOOL, false, NULL}},
     "stop it: VIPs down, servers stopped, file systems unmounted"},
    {"vserver",
     "delete",
     "vserver.delete",
     {"name"},
     1,
     {{"--force", "force", OPT_BOOL, false, NULL}},
     "delete it (--force stops a running one first)"},
    {"vserver", "show", "vserver.show", {"name"}, 0, {JSON_OPT}, "show one or all"},
    {"vserver",
     "migrate",
     "vserver.migrate",
     {"name"},
     1,
     {{"--to", "to", OPT_STR, false, "NODE"}, {"--home", "home", OPT_BOOL, false, NULL}},
     "move it to NODE and keep it there; --home lets it go back to its home node"},
    {"vserver",
     "set",
     "vserver.set",
     {"name"},
     1,
     {{"--auto-revert", "auto_revert", OPT_ONOFF, false, "on|off"},
      {"--nfs-lease", "nfs_lease", OPT_INT, false, "SECONDS"},
      {"--nfs-grace", "nfs_grace", OPT_INT, false, "SECONDS"},
      {"--nfs-domain", "nfs_domain", OPT_STR, false, "DOMAIN"}},
     "whether it goes back home once its home node is healthy again; its NFSv4 lease and "
     "grace (0: the default) and ID domain (\"\": NAME.local), from its next start"},
    {"vserver",
     "join",
     "vserver.join",
     {"name"},
     1,
     {{"--domain", "domain", OPT_STR, true, "REALM"},
      {"--dc", "dc", OPT_STR, false, "ADDR"},
      {"--user", "user", OPT_STR, true, "USER"},
      {"--password-stdin", "password_stdin", OPT_BOOL, true, NULL}},
     "join a running virtual server to an Active Directory domain through its domain "
     "controller ADDR; the administrator's password is read from stdin"},
    {"vserver",
     "leave",
     "vserver.leave",
     {"name"},
     1,
     {{"--user", "user", OPT_STR, false, "USER"},
      {"--password-stdin", "password_stdin", OPT_BOOL, false, NULL}},
     "leave its domain (with --user, its machine account is removed from the domain too)"},
    {"vip",
     "add",
     "vip.add",
     {"vs", "address"},
     2,
     {{"--home-port", "home_port", OPT_STR, true, "PORT"},
      {"--group", "group", OPT_STR, false, "FGROUP"},
      {"--no-auto-revert", "no_auto_revert", OPT_BOOL, false, NULL}},
     "add a virtual IP ADDR/PREFIX"},
    {"vip", "remove", "vip.remove", {"vs", "address"}, 2, {{0}}, "remove a virtual IP"},
    {"vip",
     "show",
     "vip.show",
     {"vs"},
     0,
     {JSON_OPT},
     "where each VIP is, where it belongs, and why it is elsewhere"},
    {"vip",
     "migrate",
     "vip.migrate",
     {"vs", "address"},
     2,
     {{"--port", "port", OPT_STR, true, "PORT"}},
     "move a VIP to another healthy port of its group (it stays there)"},
    {"vip",
     "revert",
     "vip.revert",
     {"vs", "address"},
     1,
     {{0}},
     "send a VIP (or every VIP of VS) back to its home port"},
    {"fgroup",
     "create",
     "fgroup.create",
     {"name"},
     1,
     {{"--ports", "ports", OPT_STR, true, "P1,P2"},
      {"--probe", "probe", OPT_STR, false, "ADDR"},
      {"--probe-interval", "probe_interval", OPT_INT, false, "MS"},
      {"--probe-misses", "probe_misses", OPT_INT, false, "N"},
      {"--hold-down", "hold_down", OPT_INT, false, "S"},
      {"--port-speed", "port_speed", OPT_INT, false, "MBPS"}},
     "a failover group: ports of this node on the same network (--port-speed: their "
     "capacity for spreading VIPs by traffic, when the links do not say)"},
    {"fgroup",
     "set",
     "fgroup.set",
     {"name"},
     1,
     {{"--port-speed", "port_speed", OPT_INT, true, "MBPS"}},
     "the capacity of the group's ports for spreading VIPs by traffic (0: as the links "
     "say)"},
    {"fgroup", "delete", "fgroup.delete", {"name"}, 1, {{0}}, "delete a failover group"},
    {"fgroup", "show", "fgroup.show", {NULL}, 0, {JSON_OPT}, "the failover groups"},
    {"fence",
     "set",
     "fence.set",
     {"node"},
     1,
     {{"--agent", "agent", OPT_STR, true, "fence_AGENT"},
      {"--options", "options", OPT_STR, false, "K=V,K=V"}},
     "how to power NODE off (a fence-agents program and its options)"},
    {"fence", "delete", "fence.delete", {"node"}, 1, {{0}}, "remove NODE's fence device"},
    {"fence", "show", "fence.show", {NULL}, 0, {JSON_OPT}, "fence devices (secrets hidden)"},
    {"fence",
     "check",
     "fence.check",
     {"node"},
     1,
     {{0}},
     "ask NODE's fence device for its power state"},
    {"port",
     "show",
     "port.show",
     {NULL},
     0,
     {JSON_OPT},
     "ports: carrier, probe, health, damping, VIPs"},
    {"fs",
     "add",
     "fs.add",
     {"vs", "fs"},
     2,
     {{"--lun", "lun", OPT_STR, true, "LABEL=x|UUID=y"}},
     "add a file system on a shared LUN (ext4 with MMP)"},
    {"fs", "remove", "fs.remove", {"vs", "fs"}, 2, {{0}}, "remove a file system"},
    {"export",
     "add",
     "export.add",
     {"vs", "pseudo"},
     2,
     {{"--fs", "fs", OPT_STR, true, "FSNAME"},
      {"--path", "path", OPT_STR, false, "SUBDIR"},
      {"--clients", "clients", OPT_STR, false, "CIDR"},
      {"--ro", "ro", OPT_BOOL, false, NULL},
      {"--squash", "squash", OPT_STR, false, "root|all|none"},
      {"--anon-uid", "anon_uid", OPT_INT, false, "UID"},
      {"--anon-gid", "anon_gid", OPT_INT, false, "GID"},
      {"--sec", "sec", OPT_STR, false, "sys"}},
     "export a file system over NFSv4 at /PSEUDO (--squash: whose ids map to the anonymous "
     "ones, root by default; --anon-uid/--anon-gid: those ids, 65534 by default)"},
    {"export", "remove", "export.remove", {"vs", "pseudo"}, 2, {{0}}, "remove an export"},
    {"share",
     "add",
     "share.add",
     {"vs", "share"},
     2,
     {{"--fs", "fs", OPT_STR, true, "FSNAME"},
      {"--path", "path", OPT_STR, false, "SUBDIR"},
      {"--ro", "ro", OPT_BOOL, false, NULL},
      {"--read", "read", OPT_STR, false, "USER,@GROUP"},
      {"--write", "write", OPT_STR, false, "USER,@GROUP"},
      {"--guest", "guest", OPT_BOOL, false, NULL},
      {"--encrypt", "encrypt", OPT_BOOL, false, NULL}},
     "share a file system over SMB (users with a password; --read/--write: only those "
     "named; --guest: anyone, no password; --encrypt: SMB3 encryption required)"},
    {"share", "remove", "share.remove", {"vs", "share"}, 2, {{0}}, "remove a share"},
    {"event",
     "show",
     "event.show",
     {NULL},
     0,
     {{"--vs", "vs", OPT_STR, false, "VS"},
      {"--last", "limit", OPT_INT, false, "N"},
      {"--follow", NULL, OPT_BOOL, false, NULL},
      JSON_OPT},
     "the event log: every action with its reason"},
    {"lun",
     "show",
     "lun.show",
     {NULL},
     0,
     {JSON_OPT},
     "LUNs this node sees (in a cluster: and which nodes see each)"},
    {"cluster",
     "create",
     "cluster.create",
     {"name"},
     1,
     {{"--nodes", "nodes", OPT_STR, true, "N1=ADDR,N2=ADDR,..."},
      {"--mgmt", "mgmt", OPT_STR, false, "ADDR/PREFIX"},
      {"--mgmt-port", "mgmt_port", OPT_STR, false, "PORT"},
      {"--agent-grace", "agent_grace", OPT_INT, false, "S"}},
     "define the cluster (interconnect addresses) and its key, on one of its nodes"},
    {"cluster",
     "bundle",
     "cluster.bundle",
     {NULL},
     0,
     {{"--out", "out", OPT_STR, true, "FILE"}},
     "write the join bundle (it holds the cluster key: keep it secret)"},
    {"cluster",
     "join",
     "cluster.join",
     {"file"},
     1,
     {{0}},
     "join the cluster described by a bundle (on an empty node)"},
    {"cluster", "show", "cluster.show", {NULL}, 0, {JSON_OPT}, "members, quorum, master"},
    {"node", "show", "node.show", {NULL}, 0, {JSON_OPT}, "this node"},
    {"node",
     "evacuate",
     "node.evacuate",
     {"node"},
     1,
     {{0}},
     "maintenance: move NODE's virtual servers away and place none there"},
    {"node",
     "resume",
     "node.resume",
     {"node"},
     1,
     {{0}},
     "end NODE's maintenance: it takes virtual servers again"},
    {"system",
     "show",
     "system.show",
     {NULL},
     0,
     {JSON_OPT},
     "this node's root slots (A/B), their versions and the last update's outcome"},
    {"system",
     "update",
     "system.update",
     {"file"},
     1,
     {{0}},
     "write the update FILE (or a block device holding it) into the spare root slot; it "
     "boots once at the next reboot and stays only if it comes up healthy (root only)"},
    {"system",
     "reboot",
     "system.reboot",
     {NULL},
     0,
     {{"--force", "force", OPT_BOOL, false, NULL}},
     "reboot this node: in a cluster its virtual servers move away first (node evacuate, "
     "then wait until none runs here); --force reboots at once (root only)"},
    {"system",
     "confirm",
     "system.confirm",
     {NULL},
     0,
     {{0}},
     "confirm this boot healthy (run by appliance-slot-confirm.service; root only)"},
    {"move",
     "show",
     "move.show",
     {NULL},
     0,
     {JSON_OPT},
     "moves of virtual servers between nodes, newest first, with their steps"},
    {"node",
     "standby",
     "node.standby",
     {"node", "state"},
     2,
     {{0}},
     "on: NODE takes virtual servers only past the high-water mark (or when no other node "
     "can serve them); off: an active node again"},
    {"balance",
     "set",
     "balance.set",
     {NULL},
     0,
     {{"--mode", "mode", OPT_STR, false, "off|advise|auto"},
      {"--max-moves", "max_moves", OPT_INT, false, "N"},
      {"--cooldown", "cooldown", OPT_INT, false, "SECONDS"},
      {"--min-share", "min_share", OPT_INT, false, "PERCENT"},
      {"--trigger", "trigger", OPT_INT, false, "PERCENT"},
      {"--high-water", "high_water", OPT_INT, false, "PERCENT"},
      {"--low-water", "low_water", OPT_INT, false, "PERCENT"},
      {"--smoothing", "smoothing", OPT_INT, false, "SECONDS"},
      {"--lun-busy", "lun_busy", OPT_INT, false, "PERCENT"}},
     "how the master balances virtual servers by load (0: the default)"},
    {"balance", "show", "balance.show", {NULL}, 0, {JSON_OPT}, "the balancing settings"},
    {"load",
     "show",
     "load.show",
     {NULL},
     0,
     {{"--history", "history", OPT_BOOL, false, NULL}, JSON_OPT},
     "measured loads of every node, VS, port and LUN, smoothed, with their trend "
     "(--history: and their last 10 minutes)"},
    {"user",
     "add",
     "user.add",
     {"vs", "name"},
     2,
     {{"--uid", "uid", OPT_INT, false, "N"},
      {"--group", "groups", OPT_LIST, false, "GROUP"},
      {"--password-stdin", "password_stdin", OPT_BOOL, false, NULL}},
     "add a user to a virtual server (--group again for more groups, the first its primary; "
     "none: a group of its own name); the password is read from stdin"},
    {"user",
     "passwd",
     "user.passwd",
     {"vs", "name"},
     2,
     {{0}},
     "set a user's password, read from stdin (only its hashes leave vsadm)"},
    {"user", "remove", "user.remove", {"vs", "name"}, 2, {{0}}, "remove a user"},
    {"user",
     "show",
     "user.show",
     {"vs", "name"},
     1,
     {JSON_OPT},
     "the users of a virtual server (passwords only as set or not)"},
    {"group",
     "add",
     "group.add",
     {"vs", "name"},
     2,
     {{"--gid", "gid", OPT_INT, false, "N"}},
     "add a group to a virtual server"},
    {"group", "remove", "group.remove", {"vs", "name"}, 2, {{0}}, "remove a group"},
    {"group", "show", "group.show", {"vs"}, 1, {JSON_OPT}, "the groups of a virtual server"},
    {"group",
     "member",
     "group.member",
     {"action", "vs", "group", "user"},
     4,
     {{0}},
     "add|remove: a user joins or leaves a group"},
    {"admin",
     "add",
     "admin.add",
     {"name"},
     1,
     {{"--role", "role", OPT_STR, true, "admin|operator|read-only"},
      {"--password-stdin", "password_stdin", OPT_BOOL, true, NULL}},
     "add a console account (web console and REST API); the password is read from stdin"},
    {"admin",
     "passwd",
     "admin.passwd",
     {"name"},
     1,
     {{"--password-stdin", "password_stdin", OPT_BOOL, true, NULL}},
     "set a console account's password, read from stdin (only its hash leaves vsadm)"},
    {"admin", "remove", "admin.remove", {"name"}, 1, {{0}}, "remove a console account"},
    {"admin",
     "show",
     "admin.show",
     {NULL},
     0,
     {JSON_OPT},
     "the console accounts and their roles (never their passwords)"},
    {"cert",
     "set",
     "cert.set",
     {NULL},
     0,
     {{"--cert", "cert_file", OPT_STR, true, "FILE"}, {"--key", "key_file", OPT_STR, true, "FILE"}},
     "the console's TLS certificate (its chain may follow it) and key, served by every "
     "node's apweb; read with your rights and checked before anything changes"},
    {"cert",
     "show",
     "cert.show",
     {NULL},
     0,
     {JSON_OPT},
     "the console's certificate: subject, names, issuer, validity, fingerprint and whose "
     "it is (never the key)"},
    {"cert",
     "reset",
     "cert.reset",
     {NULL},
     0,
     {{0}},
     "back to each node's own self-signed certificate"},
    {"ping", NULL, "node.ping", {NULL}, 0, {{0}}, "exit 0 when applianced answers (health check)"},
    {"help", NULL, NULL, {NULL}, 0, {{0}}, "this text"},
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

/* Commands that need exactly one of two of their options. */
static const struct {
	const char *request, *flag[2];
} one_ofs[] = {
    {"vserver.migrate", {"--to", "--home"}},
};

static const char *const *one_of(const struct cmd *c)
{
	for (size_t i = 0; c->request && i < sizeof(one_ofs) / sizeof(one_ofs[0]); i++)
		if (strcmp(one_ofs[i].request, c->request) == 0)
			return one_ofs[i].flag;
	return NULL;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void usage_of(const struct cmd *c, char *buf, size_t len)
{
	size_t n =
	    (size_t)snprintf(buf, len, "vsadm %s%s%s", c->w1, c->w2 ? " " : "", c->w2 ? c->w2 : "");

	for (int i = 0; i < MAX_POS && c->pos[i] && n < len; i++) {
		char up[32];
		size_t k;
		for (k = 0; c->pos[i][k] && k < sizeof(up) - 1; k++)
			up[k] =
			    (char)(c->pos[i][k] >= 'a' && c->pos[i][k] <= 'z' ? c->pos[i][k] - 32
			                                                      : c->pos[i][k]);
		up[k] = '\0';
		n +=
		    (size_t)snprintf(buf + n, len - n, i < c->n_required_pos ? " %s" : " [%s]", up);
	}
	const char *const *either = one_of(c);

	for (int i = 0; i < MAX_OPTS && c->opts[i].flag && n < len; i++) {
		const struct opt *o = &c->opts[i];
		bool first = either && strcmp(o->flag, either[0]) == 0;
		bool second = either && strcmp(o->flag, either[1]) == 0;
		n += (size_t)snprintf(buf + n, len - n,
		                      first         ? " (%s%s%s"
		                      : second      ? " | %s%s%s)"
		                      : o->required ? " %s%s%s"
		                                    : " [%s%s%s]",
		                      o->flag, o->meta ? " " : "", o->meta ? o->meta : "");
	}
}

void ap_cli_usage(char *text, size_t size)
{
	size_t n = 0;

	n += (size_t)snprintf(text + n, size - n,
	                      "vsadm - administer the virtual servers of this appliance\n\n");
	for (size_t i = 0; i < N_CMDS && n < size; i++) {
		char u[256];
		usage_of(&cmds[i], u, sizeof(u));
		n += (size_t)snprintf(text + n, size - n, "  %s\n      %s\n", u, cmds[i].help);
	}
	if (n < size)
		snprintf(text + n, size - n,
		         "\nWith no arguments, vsadm is an interactive shell (history, TAB "
		         "completion).\n");
}

static const struct cmd *find_cmd(int argc, char *const *argv, int *used)
{
	for (size_t i = 0; i < N_CMDS; i++) {
		const struct cmd *c = &cmds[i];
		if (argc < 1 || strcmp(argv[0], c->w1) != 0)
			continue;
		if (!c->w2) {
			*used = 1;
			return c;
		}
		if (argc >= 2 && strcmp(argv[1], c->w2) == 0) {
			*used = 2;
			return c;
		}
	}
	return NULL;
}

static bool known_w1(const char *w)
{
	for (size_t i = 0; i < N_CMDS; i++)
		if (strcmp(cmds[i].w1, w) == 0)
			return true;
	return false;
}

int ap_cli_parse(int argc, char *const *argv, json_t **req, struct ap_cli_flags *flags, char *err,
                 size_t errlen)
{
	const struct cmd *c;
	char usage[256];
	json_t *args;
	int used = 0, npos = 0;

	memset(flags, 0, sizeof(*flags));
	*req = NULL;
	if (argc < 1)
		return fail(err, errlen, "No command given. Try 'vsadm help'.");
	c = find_cmd(argc, argv, &used);
	if (!c) {
		if (known_w1(argv[0]))
			return fail(err, errlen, "'%s' needs a sub-command%s%s. Try 'vsadm help'.",
			            argv[0], argc > 1 ? ", not " : "", argc > 1 ? argv[1] : "");
		return fail(err, errlen, "Unknown command '%s'. Try 'vsadm help'.", argv[0]);
	}
	if (!c->request) {
		flags->help = true;
		return 0;
	}
	usage_of(c, usage, sizeof(usage));
	args = json_object();
	if (!args)
		return -ENOMEM;
	for (int i = used; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) == 0 && a[2]) {
			const struct opt *o = NULL;
			char flag[64];
			const char *val = NULL, *eq = strchr(a, '=');
			size_t fl = eq ? (size_t)(eq - a) : strlen(a);
			if (fl >= sizeof(flag))
				fl = sizeof(flag) - 1;
			memcpy(flag, a, fl);
			flag[fl] = '\0';
			for (int k = 0; k < MAX_OPTS && c->opts[k].flag; k++)
				if (strcmp(c->opts[k].flag, flag) == 0)
					o = &c->opts[k];
			if (!o) {
				json_decref(args);
				return fail(err, errlen, "Unknown option '%s'. Usage: %s", flag,
				            usage);
			}
			if (o->type == OPT_BOOL) {
				if (eq) {
					json_decref(args);
					return fail(err, errlen, "The option %s takes no value.",
					            flag);
				}
				if (strcmp(flag, "--json") == 0)
					flags->json = true;
				else if (strcmp(flag, "--follow") == 0)
					flags->follow = true;
				else
					json_object_set_new(args, o->key, json_true());
				continue;
			}
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			if (!val) {
				json_decref(args);
				return fail(err, errlen, "The option %s needs a value (%s).", flag,
				            o->meta);
			}
			if (o->type == OPT_ONOFF) {
				if (strcmp(val, "on") != 0 && strcmp(val, "off") != 0) {
					json_decref(args);
					return fail(err, errlen, "The option %s takes on or off.",
					            flag);
				}
				json_object_set_new(args, o->key, json_boolean(val[1] == 'n'));
			} else if (o->type == OPT_INT) {
				char *end;
				long v;
				errno = 0;
				v = strtol(val, &end, 10);
				if (!*val || *end || errno || v < -1000000 || v > 1000000) {
					json_decref(args);
					return fail(err, errlen,
					            "The option %s needs a whole number, "
					            "not '%s'.",
					            flag, val);
				}
				json_object_set_new(args, o->key, json_integer(v));
			} else if (o->type == OPT_LIST) {
				json_t *l = json_object_get(args, o->key), *v = json_string(val);
				if (!l) {
					l = json_array();
					json_object_set_new(args, o->key, l);
				}
				if (!v || json_array_append_new(l, v) < 0) {
					json_decref(args);
					return fail(err, errlen,
					            "The value of %s is not valid UTF-8 text.",
					            flag);
				}
			} else if (json_object_set_new(args, o->key, json_string(val)) < 0) {
				/* json_string refuses invalid UTF-8: refuse, never drop. */
				json_decref(args);
				return fail(err, errlen, "The value of %s is not valid UTF-8 text.",
				            flag);
			}
			continue;
		}
		if (npos >= MAX_POS || !c->pos[npos]) {
			json_decref(args);
			return fail(err, errlen, "Unexpected argument '%s'. Usage: %s", a, usage);
		}
		/* json_string refuses invalid UTF-8: say so instead of crashing. */
		json_t *s = json_string(a);
		if (!s) {
			json_decref(args);
			return fail(err, errlen, "The argument is not valid UTF-8 text.");
		}
		json_object_set_new(args, c->pos[npos++], s);
	}
	if (npos < c->n_required_pos) {
		json_decref(args);
		return fail(err, errlen, "Missing %s. Usage: %s", c->pos[npos], usage);
	}
	for (int k = 0; k < MAX_OPTS && c->opts[k].flag; k++)
		if (c->opts[k].required && !json_object_get(args, c->opts[k].key)) {
			json_decref(args);
			return fail(err, errlen, "The option %s is required. Usage: %s",
			            c->opts[k].flag, usage);
		}
	const char *const *either = one_of(c);
	if (either) {
		int given = 0;
		for (int k = 0; k < 2; k++)
			for (int j = 0; j < MAX_OPTS && c->opts[j].flag; j++)
				if (strcmp(c->opts[j].flag, either[k]) == 0 &&
				    json_object_get(args, c->opts[j].key))
					given++;
		if (given != 1) {
			json_decref(args);
			return fail(err, errlen, "Give either %s or %s. Usage: %s", either[0],
			            either[1], usage);
		}
	}
	*req = json_pack("{s:s, s:o}", "cmd", c->request, "args", args);
	return *req ? 0 : -ENOMEM;
}

void ap_cli_complete(int pos, char *const *words, const char *prefix,
                     void (*add)(const char *word, void *arg), void *arg)
{
	size_t pl = strlen(prefix);
	const char *const *vals = NULL;
	int have = 0; /* the words given (a caller may pass fewer than pos) */

	while (have < pos && words[have])
		have++;
	if (pos >= 3 && have == pos)
		vals = opt_choices_of(words[pos - 1]);

	/* The value of an option that takes one of a few words. */
	for (int k = 0; vals && vals[k]; k++)
		if (strncmp(vals[k], prefix, pl) == 0)
			add(vals[k], arg);
	if (vals)
		return;
	for (size_t i = 0; i < N_CMDS; i++) {
		const struct cmd *c = &cmds[i];
		const char *cand = NULL;
		if (pos == 0) {
			/* Each first word once. */
			bool seen = false;
			for (size_t k = 0; k < i; k++)
				if (strcmp(cmds[k].w1, c->w1) == 0)
					seen = true;
			if (!seen)
				cand = c->w1;
		} else if (pos == 1 && strcmp(words[0], c->w1) == 0) {
			cand = c->w2;
		} else if (pos == 2 && c->w2 && strcmp(words[0], c->w1) == 0 &&
		           strcmp(words[1], c->w2) == 0 && prefix[0] != '-') {
			const char *const *w = choices_of(c->w1, c->w2);
			for (int k = 0; w && w[k]; k++)
				if (strncmp(w[k], prefix, pl) == 0)
					add(w[k], arg);
		} else if (pos >= 2 && strcmp(words[0], c->w1) == 0 && c->w2 &&
		           strcmp(words[1], c->w2) == 0 && prefix[0] == '-') {
			for (int k = 0; k < MAX_OPTS && c->opts[k].flag; k++)
				if (strncmp(c->opts[k].flag, prefix, pl) == 0)
					add(c->opts[k].flag, arg);
		}
		if (cand && strncmp(cand, prefix, pl) == 0)
			add(cand, arg);
	}
}

int ap_cli_split(const char *line, char ***words, char **storage)
{
	size_t len = strlen(line);
	char *buf = malloc(len + 1), *o = buf;
	char **w = calloc(len / 2 + 2, sizeof(*w));
	int n = 0;
	const char *p = line;

	if (!buf || !w) {
		free(buf);
		free(w);
		return -ENOMEM;
	}
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		w[n++] = o;
		char quote = 0;
		while (*p && (quote || (*p != ' ' && *p != '\t'))) {
			if (quote && *p == quote) {
				quote = 0;
				p++;
			} else if (!quote && (*p == '\'' || *p == '"')) {
				quote = *p++;
			} else if (*p == '\\' && p[1] && quote != '\'') {
				*o++ = p[1];
				p += 2;
			} else {
				*o++ = *p++;
			}
		}
		if (quote) {
			free(buf);
			free(w);
			return -EINVAL;
		}
		*o++ = '\0';
	}
	w[n] = NULL;
	*words = w;
	*storage = buf;
	return n;
}
