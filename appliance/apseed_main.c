/*
 * appliance-seed - first boot from a seed (issue 13 item 2; README "First
 * boot from a seed").
 *
 *   appliance-seed network [--root DIR] [--state-dir DIR] [--boot-seed PATH]
 *       before the network and applianced (appliance-seed-network.service):
 *       the node's name (/etc/hostname, /etc/hosts, sethostname) and a
 *       systemd-networkd file per port of the seed; marks STATE/seeded-network.
 *   appliance-seed cluster [--state-dir DIR] [--boot-seed PATH] [--socket PATH]
 *       once applianced is ready (appliance-seed-cluster.service): cluster
 *       create or join and the first console account, through applianced's
 *       control socket, each skipped when it is already so (idempotent);
 *       marks STATE/seeded-cluster. With no seed (or a refused one) it prints
 *       where to go and what to do ("APPLIANCE SETUP: ...").
 *   appliance-seed hash
 *       a password from stdin, its yescrypt hash on stdout: the "crypt_hash"
 *       of a seed's admin account (mkpasswd -m yescrypt makes the same).
 *
 * Why a program of its own and not a vsadm noun: vsadm is the administrator's
 * client of applianced, and every vsadm command is a control request of its
 * one grammar table (ap_cli); seeding is root's boot-time work that happens
 * partly before applianced exists (mount a disk, write /etc, set the host
 * name). Kept apart, vsadm never mounts or writes /etc, and the seed's code
 * runs only in its two oneshot units.
 *
 * Both phases read the seed again (ap_seedsrc.h) and check it whole
 * (ap_seed.h) before changing anything: a refused seed changes nothing, the
 * node comes up as if it had none, and the console says why. Every decision
 * and refusal is one line on stdout, which the units send to the journal and
 * the console: "APPLIANCE SEED: ...", "APPLIANCE SEED REFUSED: ...",
 * "APPLIANCE SETUP: ...". Exit status 0 done (or nothing to do), 1 refused or
 * failed, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/ap_ctlcall.h"
#include "appliance/ap_seed.h"
#include "appliance/ap_seedsrc.h"
#include "lib/lib_fs.h"
#include "lib/lib_pwhash.h"

#define RUN_DIR "/run/appliance-seed"
#define SETUP_PORT 8443
#define CONNECT_TRIES 60 /* seconds applianced may take to answer */
#define QUORUM_WAIT_S 120

struct opts {
	const char *phase;
	const char *root;      /* where /etc is: "/" (a test gives a directory) */
	const char *state_dir; /* the markers */
	const char *boot_seed;
	const char *socket;
};

static void say(const char *tag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(const char *tag, const char *fmt, ...)
{
	va_list ap;

	printf("APPLIANCE %s: ", tag);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static int put(const struct opts *o, const char *path, const char *text)
{
	char full[PATH_MAX];
	int rc;

	snprintf(full, sizeof(full), "%s%s", strcmp(o->root, "/") ? o->root : "", path);
	rc = lib_write_file(full, text, strlen(text), 0644);
	if (rc < 0)
		say("SEED REFUSED", "cannot write %s: %s; the node keeps its earlier settings.",
		    full, strerror(-rc));
	return rc < 0 ? rc : 0;
}

static int mark(const struct opts *o, const char *name, const char *what)
{
	char path[PATH_MAX], text[1200];
	int rc = lib_mkdir_p(o->state_dir, 0755);

	snprintf(path, sizeof(path), "%s/%s", o->state_dir, name);
	snprintf(text, sizeof(text), "%s\n", what);
	if (rc == 0)
		rc = lib_write_file(path, text, strlen(text), 0644);
	if (rc < 0)
		say("SEED",
		    "the seed was applied but %s cannot be written (%s): it will be applied "
		    "again at the next boot.",
		    path, strerror(-rc));
	return rc < 0 ? rc : 0;
}

static int phase_network(const struct opts *o, const struct ap_seed *s, const char *where)
{
	char desc[1024], path[PATH_MAX];
	int rc;

	ap_seed_describe(s, desc, sizeof(desc));
	/* Every text first: nothing is written unless all of it can be. */
	char *hostname = NULL, *hosts = NULL, *net[AP_SEED_MAX_PORTS] = {0};
	char names[AP_SEED_MAX_PORTS][64];
	rc = ap_seed_hostname(s, &hostname);
	if (rc == 0)
		rc = ap_seed_hosts(s, &hosts);
	for (int i = 0; rc == 0 && i < s->n_ports; i++)
		rc = ap_seed_network(s, i, names[i], sizeof(names[i]), &net[i]);
	if (rc == 0)
		rc = put(o, "/etc/hostname", hostname);
	if (rc == 0)
		rc = put(o, "/etc/hosts", hosts);
	for (int i = 0; rc == 0 && i < s->n_ports; i++) {
		snprintf(path, sizeof(path), "/etc/systemd/network/%s", names[i]);
		rc = put(o, path, net[i]);
	}
	free(hostname);
	free(hosts);
	for (int i = 0; i < s->n_ports; i++)
		free(net[i]);
	if (rc < 0)
		return 1;
	if (strcmp(o->root, "/") == 0 && sethostname(s->node, strlen(s->node)) < 0) {
		say("SEED REFUSED", "cannot set the host name %s: %s.", s->node, strerror(errno));
		return 1;
	}
	say("SEED", "network phase applied from %s: %s.", where, desc);
	(void)mark(o, "seeded-network", desc);
	return 0;
}

/* The node's addresses, "eth0 10.0.2.15/24, ..." (IPv4, then global IPv6). */
static void addresses(char *buf, size_t len, char *first, size_t flen)
{
	struct ifaddrs *ifa = NULL;
	size_t n = 0;

	buf[0] = first[0] = '\0';
	if (getifaddrs(&ifa) < 0)
		return;
	for (int pass = 0; pass < 2; pass++)
		for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
			char a[INET6_ADDRSTRLEN];
			int fam = pass == 0 ? AF_INET : AF_INET6;
			if (!i->ifa_addr || i->ifa_addr->sa_family != fam ||
			    (i->ifa_flags & IFF_LOOPBACK))
				continue;
			const void *p =
			    fam == AF_INET
			        ? (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr
			        : (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
			if (fam == AF_INET6 && IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)p))
				continue;
			if (!inet_ntop(fam, p, a, sizeof(a)))
				continue;
			if (!first[0])
				snprintf(first, flen, fam == AF_INET6 ? "[%s]" : "%s", a);
			int w =
			    snprintf(buf + n, len - n, "%s%s %s", n ? ", " : "", i->ifa_name, a);
			if (w < 0 || (size_t)w >= len - n)
				break;
			n += (size_t)w;
		}
	freeifaddrs(ifa);
}

/* What a node without a (valid) seed tells its console. */
static void setup_help(void)
{
	char host[HOST_NAME_MAX + 1] = "?", all[512], first[INET6_ADDRSTRLEN + 2];

	for (int i = 0; i < 20; i++) { /* DHCP may still be on its way */
		addresses(all, sizeof(all), first, sizeof(first));
		if (first[0])
			break;
		sleep(1);
	}
	(void)gethostname(host, sizeof(host));
	say("SETUP", "no seed applied; this node is %s at %s.", host,
	    all[0] ? all : "no address yet (DHCP on eth0)");
	say("SETUP",
	    "open https://%s:%d/ for the web console's setup page (it asks for the setup "
	    "code that this console shows), or give the node a seed: a disk labelled %s "
	    "holding %s (README \"First boot from a seed\"), then reboot.",
	    first[0] ? first : "ADDRESS", SETUP_PORT, AP_SEED_LABEL, AP_SEED_FILE);
	say("SETUP",
	    "or as root: vsadm admin add NAME --role admin --password-stdin; vsadm cluster "
	    "create CLUSTER --nodes %s=%s (or vsadm cluster join BUNDLE).",
	    host, first[0] && first[0] != '[' ? first : "ADDRESS");
}

static int call(int fd, json_t *req, json_t **resp, const char *what)
{
	char err[512];

	if (ap_ctlcall(fd, req, resp, err, sizeof(err)) < 0) {
		say("SEED REFUSED", "%s: %s", what, err);
		return -EIO;
	}
	if (!json_is_true(json_object_get(*resp, "ok"))) {
		const char *e = json_string_value(json_object_get(*resp, "error"));
		say("SEED REFUSED", "applianced refused %s: %s", what, e ? e : "(no reason given)");
		json_decref(*resp);
		*resp = NULL;
		return -EINVAL;
	}
	return 0;
}

/* Is this request already done? 1 yes (skip it), 0 no, -1 it cannot be (said). */
static int already(int fd, const struct ap_seed *s, const char *cmd)
{
	json_t *q, *resp = NULL, *data, *e;
	bool cluster = strncmp(cmd, "cluster.", 8) == 0;
	size_t i;
	int rc;

	q = json_pack("{s:s, s:{}}", "cmd", cluster ? "cluster.show" : "admin.show", "args");
	if (!q)
		return -1;
	rc = call(fd, q, &resp, cluster ? "cluster show" : "admin show");
	json_decref(q);
	if (rc < 0)
		return -1;
	data = json_object_get(resp, "data");
	rc = 0;
	if (cluster && json_is_true(json_object_get(data, "enabled"))) {
		const char *have = json_string_value(json_object_get(data, "cluster")) ?: "";
		const char *want = s->role == AP_SEED_CREATE
		                       ? s->cluster
		                       : json_string_value(json_object_get(s->bundle, "name")) ?: "";
		if (strcmp(have, want) == 0) {
			say("SEED", "this node is in cluster %s already: nothing to %s.", have,
			    s->role == AP_SEED_CREATE ? "create" : "join");
			rc = 1;
		} else {
			say("SEED REFUSED",
			    "this node is in cluster %s already; the seed asks for %s.", have,
			    want);
			rc = -1;
		}
	}
	if (!cluster)
		json_array_foreach(
		    data, i, e) if (strcmp(json_string_value(json_object_get(e, "name")) ?: "",
		                           s->admin) == 0)
		{
			say("SEED", "console account %s exists already: left as it is.", s->admin);
			rc = 1;
		}
	json_decref(resp);
	return rc;
}

/* A change waits for quorum (applianced refuses one without): after the cluster's create or
 * join, until cluster show says quorate. 0, or -1 (said). */
static int wait_quorum(int fd)
{
	for (int t = 0; t < QUORUM_WAIT_S; t++) {
		json_t *q = json_pack("{s:s, s:{}}", "cmd", "cluster.show", "args"), *resp = NULL;
		if (!q || call(fd, q, &resp, "cluster show") < 0) {
			json_decref(q);
			return -1;
		}
		json_decref(q);
		bool ok = json_is_true(json_object_get(json_object_get(resp, "data"), "quorate"));
		json_decref(resp);
		if (ok) {
			if (t)
				say("SEED", "the cluster has quorum after %d s.", t);
			return 0;
		}
		sleep(1);
	}
	say("SEED REFUSED",
	    "the cluster has no quorum after %d s: the console account waits for "
	    "the next boot.",
	    QUORUM_WAIT_S);
	return -1;
}

static int phase_cluster(const struct opts *o, const struct ap_seed *s, const char *where)
{
	char host[HOST_NAME_MAX + 1] = "", err[512];
	json_t *reqs = NULL, *r;
	int fd = -1, rc;
	size_t i;

	if (gethostname(host, sizeof(host)) < 0 || strcmp(host, s->node) != 0) {
		say("SEED REFUSED",
		    "this node is called %s, not %s as the seed says (did the "
		    "network phase run?); nothing was asked of applianced.",
		    host, s->node);
		return 1;
	}
	if (ap_seed_requests(s, &reqs) < 0) {
		say("SEED REFUSED", "out of memory.");
		return 1;
	}
	if (json_array_size(reqs) == 0) {
		say("SEED", "the seed asks for no cluster and no console account.");
		json_decref(reqs);
		(void)mark(o, "seeded-cluster", "nothing asked");
		return 0;
	}
	for (int t = 0; t < CONNECT_TRIES; t++) {
		if (ap_ctlcall_connect(o->socket, 120, &fd, err, sizeof(err)) == 0)
			break;
		sleep(1);
	}
	if (fd < 0) {
		say("SEED REFUSED", "%s", err);
		json_decref(reqs);
		return 1;
	}
	rc = 0;
	json_array_foreach(reqs, i, r)
	{
		const char *cmd = json_string_value(json_object_get(r, "cmd"));
		json_t *resp = NULL;
		int done = already(fd, s, cmd);
		if (done < 0) {
			rc = 1;
			break;
		}
		bool cluster = strncmp(cmd, "cluster.", 8) == 0;
		if (!done) {
			if (call(fd, r, &resp, cmd) < 0) {
				rc = 1;
				break;
			}
			json_decref(resp);
			if (strcmp(cmd, "cluster.create") == 0)
				say("SEED", "cluster %s created (nodes %s).", s->cluster, s->nodes);
			else if (strcmp(cmd, "cluster.join") == 0)
				say("SEED", "joined cluster %s.",
				    json_string_value(json_object_get(s->bundle, "name")));
			else
				say("SEED", "console account %s added (role admin).", s->admin);
		}
		/* The next change (the account) waits for quorum. */
		if (cluster && i + 1 < json_array_size(reqs) && wait_quorum(fd) < 0) {
			rc = 1;
			break;
		}
	}
	close(fd);
	json_decref(reqs);
	if (rc)
		return rc;
	say("SEED", "cluster phase done from %s.", where);
	(void)mark(o, "seeded-cluster", where);
	return 0;
}

static int hash_stdin(void)
{
	char pw[LIB_PW_MAX + 2], nt[LIB_NTHASH_LEN + 1], cr[LIB_CRYPT_MAX + 1], err[200];
	int rc;

	if (!fgets(pw, sizeof(pw), stdin)) {
		fprintf(stderr, "appliance-seed: no password on stdin.\n");
		return 1;
	}
	size_t n = strlen(pw);
	if (n && pw[n - 1] == '\n')
		pw[--n] = '\0';
	else if (!feof(stdin)) {
		explicit_bzero(pw, sizeof(pw));
		fprintf(stderr, "appliance-seed: a password has at most %d bytes.\n", LIB_PW_MAX);
		return 1;
	}
	rc = lib_pw_hash(pw, nt, cr, err, sizeof(err));
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(nt, sizeof(nt));
	if (rc < 0) {
		fprintf(stderr, "appliance-seed: %s\n", err);
		return 1;
	}
	printf("%s\n", cr);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: appliance-seed network|cluster [--root DIR] [--state-dir DIR] "
	                "[--boot-seed PATH] [--socket PATH]\n       appliance-seed hash   (a "
	                "password on stdin, its yescrypt hash on stdout)\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct opts o = {
	    .root = "/", .state_dir = "/var/lib/appliance", .boot_seed = AP_SEED_BOOT_PATH};
	struct ap_seed s;
	char where[PATH_MAX + 64], err[1024];
	int rc;

	if (argc < 2)
		return usage();
	o.phase = argv[1];
	for (int i = 2; i < argc; i++) {
		const char **v = strcmp(argv[i], "--root") == 0        ? &o.root
		                 : strcmp(argv[i], "--state-dir") == 0 ? &o.state_dir
		                 : strcmp(argv[i], "--boot-seed") == 0 ? &o.boot_seed
		                 : strcmp(argv[i], "--socket") == 0    ? &o.socket
		                                                       : NULL;
		if (!v || i + 1 >= argc)
			return usage();
		*v = argv[++i];
	}
	if (strcmp(o.phase, "hash") == 0)
		return argc == 2 ? hash_stdin() : usage();
	bool network = strcmp(o.phase, "network") == 0;
	if (!network && strcmp(o.phase, "cluster") != 0)
		return usage();
	rc = ap_seedsrc_load(o.boot_seed, RUN_DIR, &s, where, sizeof(where), err, sizeof(err));
	if (rc == -ENOENT) {
		if (network)
			say("SEED", "%s The node keeps its name and DHCP on eth0.", err);
		else
			setup_help();
		return 0;
	}
	if (rc < 0) {
		say("SEED REFUSED",
		    "%s%s%s Nothing was changed: the node comes up as if it had "
		    "no seed.",
		    where, where[0] ? ": " : "", err);
		if (!network)
			setup_help();
		return 1;
	}
	rc = network ? phase_network(&o, &s, where) : phase_cluster(&o, &s, where);
	ap_seed_clear(&s);
	return rc;
}
