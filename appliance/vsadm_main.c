/*
 * vsadm - the support engineer's shell (DESIGN section 9).
 *
 * One-shot: `vsadm vserver show --json`; with no arguments an interactive
 * shell with history (~/.vsadm_history) and TAB completion. Every command is
 * parsed by ap_cli (the one grammar table), sent to the local applianced over
 * its control socket, and the answer printed for a person, or as JSON with
 * --json. Errors are one sentence on stderr and exit status 1 (2 for usage).
 *
 * The socket is $VSADM_SOCKET, else /run/appliance/applianced.sock (ap_ctlcall.h).
 */
#include "fsexport/fx_ganesha.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <jansson.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "appliance/ap_loadfmt.h"
#include "appliance/ap_certcli.h"
#include "appliance/ap_cli.h"
#include "appliance/ap_ctlcall.h"
#include "lib/lib_pwhash.h"

#define REPLY_TIMEOUT_S 300
/* An update is read twice and written once: minutes on a slow disk. */
#define UPDATE_TIMEOUT_S 3600
/* How long system reboot waits for this node's VSs to move away. */
#define EVACUATE_WAIT_S 600

static const char *s(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

static void print_vserver_line(json_t *v)
{
	json_t *rt = json_object_get(v, "runtime");
	json_t *vips = json_object_get(v, "vips");
	char addrs[256] = "";
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(vips, i, e)
	{
		n += (size_t)snprintf(addrs + n, sizeof(addrs) - n, "%s%s", i ? "," : "",
		                      s(e, "cidr"));
		if (n >= sizeof(addrs))
			break;
	}
	const char *state = json_array_size(json_object_get(rt, "no_healthy_port"))
	                        ? "no-healthy-port"
	                        : s(rt, "state");
	printf("%-16s %-15s %-9s %-8s %3zu %3zu %3zu  %s\n", s(v, "name"), state, s(v, "admin"),
	       s(rt, "node")[0] ? s(rt, "node") : "-",
	       json_array_size(json_object_get(v, "filesystems")),
	       json_array_size(json_object_get(v, "exports")),
	       json_array_size(json_object_get(v, "shares")), addrs[0] ? addrs : "-");
}

static void print_vserver_detail(json_t *v)
{
	json_t *rt = json_object_get(v, "runtime"), *e, *r;
	size_t i, k;

	printf("Virtual server: %s\n", s(v, "name"));
	printf("  State:        %s%s%s\n", s(rt, "state"), s(rt, "reason")[0] ? " - " : "",
	       s(rt, "reason"));
	json_t *marks = json_object_get(rt, "no_healthy_port");
	if (json_array_size(marks)) {
		printf("  Marked:       no-healthy-port for");
		json_array_foreach(marks, i, e) printf(" %s", json_string_value(e));
		printf("\n");
	}
	printf("  Wanted:       %s\n", s(v, "admin"));
	printf("  Node:         %s\n", s(rt, "node")[0] ? s(rt, "node") : "-");
	printf("  Priority:     %lld%s\n", json_integer_value(json_object_get(v, "priority")),
	       json_is_true(json_object_get(v, "pinned")) ? " (pinned)" : "");
	if (s(v, "home")[0])
		printf("  Home node:    %s\n", s(v, "home"));
	if (s(v, "at")[0])
		printf("  Migrated to:  %s (it runs there while %s can serve it)\n", s(v, "at"),
		       s(v, "at"));
	printf("  Auto-revert:  %s\n", json_is_false(json_object_get(v, "auto_revert")) ? "off"
	                               : s(v, "home")[0]
	                                   ? "on (back to its home node once it is healthy)"
	                                   : "on (it has no home node)");
	{
		json_int_t l = json_integer_value(json_object_get(v, "nfs_lease"));
		json_int_t g = json_integer_value(json_object_get(v, "nfs_grace"));
		json_int_t el = l ? l : FX_GANESHA_LEASE_DEFAULT;
		json_int_t eg = g                               ? g
		                : FX_GANESHA_GRACE_DEFAULT > el ? FX_GANESHA_GRACE_DEFAULT
		                                                : el;
		printf("  NFSv4 lease:  %lld s%s, grace %lld s%s\n", (long long)el,
		       l ? "" : " (default)", (long long)eg, g ? "" : " (default)");
	}
	json_t *jn = json_object_get(v, "join");
	if (jn)
		printf("  Domain:       %s (%s) through %s (%s), uids %lld-%lld\n", s(jn, "realm"),
		       s(jn, "workgroup"), s(jn, "dc_name"), s(jn, "dc"),
		       json_integer_value(json_object_get(jn, "idmap_lo")),
		       json_integer_value(json_object_get(jn, "idmap_hi")));
	if (s(rt, "netns")[0])
		printf("  Namespace:    %s\n", s(rt, "netns"));
	printf("  Virtual IPs:\n");
	json_array_foreach(json_object_get(v, "vips"), i, e)
	{
		const char *where = "-";
		json_array_foreach(json_object_get(rt, "vips"), k,
		                   r) if (strcmp(s(r, "address"), s(e, "address")) == 0) where =
		    json_is_true(json_object_get(r, "up")) ? s(r, "port") : "down";
		printf("    %-40s home port %-8s now on %s\n", s(e, "cidr"), s(e, "home_port"),
		       where);
	}
	printf("  File systems:\n");
	json_array_foreach(json_object_get(v, "filesystems"), i, e)
	{
		const char *dev = "-", *mnt = "not mounted", *probe = "-";
		json_array_foreach(json_object_get(rt, "filesystems"), k,
		                   r) if (strcmp(s(r, "name"), s(e, "name")) == 0)
		{
			dev = s(r, "device");
			mnt = json_is_true(json_object_get(r, "mounted")) ? s(r, "mountpoint")
			                                                  : "not mounted";
			probe = s(r, "probe");
		}
		printf("    %-12s %-24s %-12s %s (storage probe: %s)\n", s(e, "name"), s(e, "lun"),
		       dev, mnt, probe);
	}
	printf("  NFS exports:\n");
	json_array_foreach(json_object_get(v, "exports"), i, e)
	    printf("    %-24s fs %s:/%s%s%s%s\n", s(e, "pseudo"), s(e, "fs"), s(e, "path"),
	           json_is_true(json_object_get(e, "ro")) ? " read-only" : "",
	           s(e, "clients")[0] ? " clients " : "", s(e, "clients"));
	printf("  SMB shares:\n");
	json_array_foreach(json_object_get(v, "shares"), i, e)
	    printf("    %-24s fs %s:/%s%s\n", s(e, "name"), s(e, "fs"), s(e, "path"),
	           json_is_true(json_object_get(e, "ro")) ? " read-only" : "");
	json_t *srv = json_object_get(rt, "servers");
	const char *kinds[] = {"nfs", "smb", "stats_bus", "winbind"};
	const char *titles[] = {"NFS server:", "SMB server:", "Stats bus:", "Winbind:"};
	for (int j = 0; j < 4 && srv; j++) {
		json_t *x = json_object_get(srv, kinds[j]);
		if (!x || (j == 3 && !jn && !json_integer_value(json_object_get(x, "pid"))))
			continue; /* an older applianced; winbindd of a VS not joined */
		json_int_t pid = json_integer_value(json_object_get(x, "pid"));
		printf("  %-13s %s%s", titles[j], s(x, "program"), pid ? "" : " not running");
		if (pid)
			printf(" pid %lld%s", pid,
			       json_is_true(json_object_get(x, "serving")) ? " serving" : "");
		printf(", %lld restarts%s%s\n", json_integer_value(json_object_get(x, "restarts")),
		       s(x, "last_end")[0] ? ", last end: " : "", s(x, "last_end"));
	}
}

static void print_event(json_t *e)
{
	long long us = json_integer_value(json_object_get(e, "ts_usec"));
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char stamp[32] = "?";

	if (gmtime_r(&t, &tm))
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("%s.%03lldZ %-6s %-12s %-7s %s\n", stamp, (us / 1000) % 1000, s(e, "node"),
	       s(e, "vs")[0] ? s(e, "vs") : "-", s(e, "severity"), s(e, "message"));
}

static int newest_first(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "id"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "id"));

	return x < y ? 1 : x > y ? -1 : 0;
}

/* One line per move: id, VS, kind, from -> to, state, each step's time
 * after the first, the reason. */
static void print_move(json_t *m)
{
	json_t *steps = json_object_get(m, "steps"), *st;
	json_int_t base = json_integer_value(json_object_get(json_array_get(steps, 0), "at_usec"));
	json_int_t attempts = json_integer_value(json_object_get(m, "attempts"));
	char line[1024] = "";
	size_t i, n = 0;

	json_array_foreach(steps, i, st)
	{
		json_int_t at = json_integer_value(json_object_get(st, "at_usec"));
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s %.1f s", i ? ", " : "",
		                      s(st, "state"), (double)(at - base) / 1e6);
		if (n >= sizeof(line))
			break;
	}
	printf("%-5lld %-12s %-9s %s -> %s %s: %s; %s",
	       (long long)json_integer_value(json_object_get(m, "id")), s(m, "vs"), s(m, "kind"),
	       s(m, "from")[0] ? s(m, "from") : "-", s(m, "to")[0] ? s(m, "to") : "-",
	       s(m, "state"), line[0] ? line : "no step yet", s(m, "reason"));
	if (attempts > 0)
		printf(" (%lld target%s failed)", (long long)attempts, attempts == 1 ? "" : "s");
	printf("\n");
}

static void print_moves(json_t *data)
{
	json_t *arr = json_is_array(data) ? data : json_object_get(data, "moves");
	size_t n = json_array_size(arr);
	json_t **v = n ? calloc(n, sizeof(*v)) : NULL;

	if (n == 0) {
		printf("No moves.\n");
		return;
	}
	if (!v) { /* as they came (newest first, as sent) */
		for (size_t i = 0; i < n; i++)
			print_move(json_array_get(arr, i));
		return;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, n, sizeof(*v), newest_first);
	for (size_t i = 0; i < n; i++)
		print_move(v[i]);
	free(v);
}

/* system show: the running slot, each slot, the last update's outcome. */
static void print_system(json_t *data)
{
	json_t *slots = json_object_get(data, "slots");

	printf("Running slot %s, version %s (%s boot)\n", s(data, "running"), s(data, "version"),
	       s(data, "boot"));
	for (const char *k = "a"; *k; k = k[0] == 'a' ? "b" : "") {
		json_t *e = json_object_get(slots, k);
		printf("  slot %s  %-8s %s\n", k, s(e, "state"),
		       s(e, "version")[0] ? s(e, "version") : "-");
	}
	if (s(data, "outcome")[0])
		printf("Last update: %s\n", s(data, "outcome"));
	else
		printf("Last update: none\n");
}

static void print_human(const char *cmd, json_t *resp)
{
	json_t *data = json_object_get(resp, "data"), *e;
	size_t i;

	if (strcmp(cmd, "vserver.show") == 0) {
		if (json_is_array(data)) {
			if (json_array_size(data) == 0) {
				printf("No virtual servers. Create one with 'vsadm vserver create "
				       "NAME'.\n");
				return;
			}
			printf("%-16s %-15s %-9s %-8s %3s %3s %3s  %s\n", "NAME", "STATE", "WANTED",
			       "NODE", "FS", "EXP", "SHR", "VIRTUAL IPS");
			json_array_foreach(data, i, e) print_vserver_line(e);
		} else {
			print_vserver_detail(data);
		}
	} else if (strcmp(cmd, "admin.show") == 0) {
		if (json_array_size(data) == 0)
			printf(
			    "No console accounts. Add one with 'vsadm admin add NAME --role admin "
			    "--password-stdin'.\n");
		else
			printf("%-32s %s\n", "ACCOUNT", "ROLE");
		json_array_foreach(data, i, e) printf("%-32s %s\n", s(e, "name"), s(e, "role"));
	} else if (strcmp(cmd, "event.show") == 0) {
		json_array_foreach(data, i, e) print_event(e);
	} else if (strcmp(cmd, "move.show") == 0) {
		print_moves(data);
	} else if (strcmp(cmd, "system.show") == 0) {
		print_system(data);
	} else if (strcmp(cmd, "load.show") == 0) {
		ap_load_print(stdout, data);
	} else if (strcmp(cmd, "balance.show") == 0) {
		ap_balance_print(stdout, data);
	} else if (strcmp(cmd, "lun.show") == 0) {
		printf("%-14s %-16s %-38s %-6s %-5s %-5s %-10s %s\n", "DEVICE", "LABEL", "UUID",
		       "TYPE", "MMP", "STATE", "VSERVER", "NODES (not: ...)");
		json_array_foreach(data, i, e)
		{
			char nodes[256] = "", *p = nodes;
			size_t k;
			json_t *n;
			const char *keys[] = {"nodes", "missing"};
			for (int w = 0; w < 2; w++) {
				json_t *list = json_object_get(e, keys[w]);
				if (w == 1 && json_array_size(list))
					p += snprintf(p, sizeof(nodes) - (size_t)(p - nodes),
					              " (not: ");
				json_array_foreach(list, k, n)
				{
					if (p >= nodes + sizeof(nodes) - 40)
						break;
					p += snprintf(p, sizeof(nodes) - (size_t)(p - nodes),
					              "%s%s", k ? "," : "", json_string_value(n));
				}
				if (w == 1 && json_array_size(list))
					p += snprintf(p, sizeof(nodes) - (size_t)(p - nodes), ")");
			}
			printf("%-14s %-16s %-38s %-6s %-5s %-5s %-10s %s\n", s(e, "device"),
			       s(e, "label"), s(e, "uuid"), s(e, "type"),
			       json_is_true(json_object_get(e, "mmp")) ? "yes" : "no",
			       s(e, "state")[0] ? s(e, "state") : "-",
			       s(e, "vserver")[0] ? s(e, "vserver") : "-", nodes[0] ? nodes : "-");
		}
	} else if (strcmp(cmd, "port.show") == 0) {
		printf("%-8s %-8s %-6s %-8s %-8s %-10s %-7s %5s %s\n", "PORT", "GROUP", "ADMIN",
		       "CARRIER", "PROBE", "HEALTH", "DAMPED", "VIPS", "SINCE");
		json_array_foreach(data, i, e)
		{
			printf("%-8s %-8s %-6s %-8s %-8s %-10s %-7s %5lld %.1f s (%lld changes in "
			       "60 s)\n",
			       s(e, "name"), s(e, "group")[0] ? s(e, "group") : "-",
			       json_is_true(json_object_get(e, "admin_up")) ? "up" : "down",
			       json_is_true(json_object_get(e, "carrier")) ? "yes" : "no",
			       s(e, "probe"), s(e, "health"),
			       json_is_true(json_object_get(e, "damped")) ? "yes" : "no",
			       json_integer_value(json_object_get(e, "vips")),
			       json_real_value(json_object_get(e, "since_s")),
			       json_integer_value(json_object_get(e, "changes_60s")));
		}
	} else if (strcmp(cmd, "vip.show") == 0) {
		printf("%-12s %-28s %-6s %-8s %-6s %-16s %s\n", "VSERVER", "ADDRESS", "HOME",
		       "GROUP", "NOW", "STATE", "WHY");
		json_array_foreach(data, i, e)
		{
			char addr[64];
			snprintf(addr, sizeof(addr), "%s/%lld", s(e, "address"),
			         json_integer_value(json_object_get(e, "prefix")));
			printf("%-12s %-28s %-6s %-8s %-6s %-16s %s%s\n", s(e, "vs"), addr,
			       s(e, "home_port"), s(e, "group")[0] ? s(e, "group") : "-",
			       s(e, "port")[0] ? s(e, "port") : "-", s(e, "state"), s(e, "why"),
			       json_is_true(json_object_get(e, "auto_revert"))
			           ? ""
			           : " (no auto-revert)");
		}
	} else if (strcmp(cmd, "fgroup.show") == 0) {
		printf("%-12s %-24s %-28s %-9s %-6s %s\n", "GROUP", "PORTS", "PROBE", "INTERVAL",
		       "MISSES", "HOLD-DOWN");
		json_array_foreach(data, i, e)
		{
			char ports[128] = "";
			size_t k, n = 0;
			json_t *pv;
			json_array_foreach(json_object_get(e, "ports"), k, pv) n +=
			    (size_t)snprintf(ports + n, sizeof(ports) - n, "%s%s", k ? "," : "",
			                     json_string_value(pv));
			printf("%-12s %-24s %-28s %6lld ms %6lld %lld s\n", s(e, "name"), ports,
			       s(e, "probe")[0] ? s(e, "probe") : "- (carrier only)",
			       json_integer_value(json_object_get(e, "probe_interval_ms")),
			       json_integer_value(json_object_get(e, "probe_misses")),
			       json_integer_value(json_object_get(e, "hold_down_s")));
		}
	} else if (strcmp(cmd, "fence.show") == 0) {
		printf("%-10s %-16s %s\n", "NODE", "AGENT", "OPTIONS");
		json_array_foreach(data, i, e)
		    printf("%-10s %-16s %s\n", s(e, "node"), s(e, "agent"), s(e, "options"));
	} else if (strcmp(cmd, "fence.check") == 0) {
		printf("Node %s is powered %s (its fence device answered in %lld ms: %s).\n",
		       s(data, "node"), s(data, "power"),
		       json_integer_value(json_object_get(data, "ms")), s(data, "detail"));
	} else if ((strcmp(cmd, "cluster.show") == 0 || strcmp(cmd, "node.show") == 0) &&
	           json_object_get(data, "nodes")) {
		printf("Cluster %s: %s, master %s; this node is %s.\n", s(data, "cluster"),
		       json_is_true(json_object_get(data, "quorate")) ? "quorate" : "NO QUORUM",
		       s(data, "master")[0] ? s(data, "master") : "none", s(data, "node"));
		printf("%-4s %-10s %-18s %-18s %-16s %-14s %s\n", "ID", "NODE", "INTERCONNECT",
		       "PUBLIC", "LINKS", "FENCE", "STATE");
		json_array_foreach(json_object_get(data, "nodes"), i, e)
		{
			printf("%-4lld %-10s %-18s %-18s %-16s %-14s %s%s%s%s%s\n",
			       json_integer_value(json_object_get(e, "id")), s(e, "name"),
			       s(e, "address"), s(e, "address2")[0] ? s(e, "address2") : "-",
			       s(e, "links"), s(e, "fence"), s(e, "state"),
			       strcmp(s(e, "name"), s(data, "master")) == 0 ? " (master)" : "",
			       s(e, "fenced")[0] ? ", " : "", s(e, "fenced"),
			       json_is_true(json_object_get(e, "maintenance")) ? ", maintenance"
			                                                       : "");
		}
		json_array_foreach(json_object_get(data, "nodes"), i, e)
		{
			if (json_is_false(json_object_get(e, "fence_device")))
				printf(
				    "Warning: node %s has no fence device: takeover of its "
				    "virtual servers waits for ext4 multi-mount protection (about "
				    "22 s) ('vsadm fence set %s ...').\n",
				    s(e, "name"), s(e, "name"));
		}
	} else if (strcmp(cmd, "node.show") == 0) {
		const char *key;
		json_t *v;
		json_object_foreach(data, key, v)
		{
			char *t = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY);
			printf("%-16s %s\n", key, t ? t : json_string_value(v));
			free(t);
		}
	} else if (s(resp, "message")[0]) {
		printf("%s\n", s(resp, "message"));
	}
}

/* The join bundle holds the cluster key: a new file of ours, 0600, never an
 * existing file or a symlink (one planted there would get the key). */
static int write_bundle(const char *out, json_t *data)
{
	int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0 && (errno == EEXIST || errno == ELOOP)) {
		fprintf(stderr,
		        "vsadm: %s already exists (or is a symbolic link); the bundle holds the "
		        "cluster key, so it is written only to a new file: give another name.\n",
		        out);
		return 1;
	}
	if (fd < 0 || fchmod(fd, 0600) < 0 || json_dumpfd(data, fd, JSON_COMPACT) < 0 ||
	    fsync(fd) < 0) {
		fprintf(stderr, "vsadm: cannot write %s: %s.\n", out, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(out); /* ours: created just now */
		}
		return 1;
	}
	if (close(fd) < 0) {
		fprintf(stderr, "vsadm: cannot write %s: %s.\n", out, strerror(errno));
		unlink(out);
		return 1;
	}
	printf("Join bundle written to %s (it holds the cluster key: keep it secret).\n", out);
	return 0;
}

/* A password from stdin (one line; on a terminal asked for without echo)
 * into pw (LIB_PW_MAX + 2 bytes): 0, or -1 with the sentence printed. */
static int password_read(char *pw, size_t len)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;

	if (tty) {
		fputs("Password: ", stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	char *line = fgets(pw, (int)len, stdin);
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (!line) {
		fprintf(stderr, "vsadm: no password on stdin.\n");
		return -1;
	}
	size_t n = strlen(pw);
	if (n && pw[n - 1] != '\n' && !feof(stdin)) {
		explicit_bzero(pw, len);
		fprintf(stderr, "vsadm: A password has at most %d bytes.\n", LIB_PW_MAX);
		return -1;
	}
	if (n && pw[n - 1] == '\n')
		pw[--n] = '\0';
	return 0;
}

/* A password from stdin, hashed here: only its NT and yescrypt hashes go
 * into the request, so the password never leaves vsadm. 0, or -1 with the
 * sentence printed. */
static int password_into(json_t *args)
{
	char pw[LIB_PW_MAX + 2], nt[LIB_NTHASH_LEN + 1], cr[LIB_CRYPT_MAX + 1], err[160];
	int rc;

	if (password_read(pw, sizeof(pw)) < 0)
		return -1;
	rc = lib_pw_hash(pw, nt, cr, err, sizeof(err));
	explicit_bzero(pw, sizeof(pw));
	if (rc < 0) {
		fprintf(stderr, "vsadm: %s\n", err);
		return -1;
	}
	json_object_del(args, "password_stdin");
	json_object_set_new(args, "nt_hash", json_string(nt));
	json_object_set_new(args, "crypt_hash", json_string(cr));
	explicit_bzero(nt, sizeof(nt));
	return 0;
}

/* A domain administrator's password (vserver join and leave): it goes to
 * applianced over the control socket (root's or the admin group's only),
 * which hands it to net through a pipe; never in argv, env or a log. */
static int admin_password_into(json_t *args)
{
	char pw[LIB_PW_MAX + 2];

	if (password_read(pw, sizeof(pw)) < 0)
		return -1;
	json_object_del(args, "password_stdin");
	json_object_set_new(args, "password", json_string(pw));
	explicit_bzero(pw, sizeof(pw));
	return 0;
}

/* The request's copy of a password (vserver join, leave) wiped before it is
 * freed: jansson frees its strings without. */
static void wipe_secrets(json_t *req)
{
	json_t *pw = json_object_get(json_object_get(req, "args"), "password");

	if (json_is_string(pw))
		explicit_bzero((char *)json_string_value(pw), json_string_length(pw));
}

/* One request on a fresh connection: the answer (a new reference) if ok, else
 * NULL with the sentence printed. */
static json_t *call1(const char *cmd, json_t *args)
{
	char err[512];
	json_t *req = json_pack("{s:s, s:o}", "cmd", cmd, "args", args ? args : json_object()),
	       *resp = NULL;
	int fd;

	if (!req || ap_ctlcall_connect(NULL, REPLY_TIMEOUT_S, &fd, err, sizeof(err)) < 0) {
		fprintf(stderr, "vsadm: %s\n", req ? err : "out of memory");
		json_decref(req);
		return NULL;
	}
	if (ap_ctlcall(fd, req, &resp, err, sizeof(err)) < 0)
		fprintf(stderr, "vsadm: %s\n", err);
	else if (!json_is_true(json_object_get(resp, "ok"))) {
		fprintf(stderr, "vsadm: %s\n", s(resp, "error"));
		json_decref(resp);
		resp = NULL;
	}
	close(fd);
	json_decref(req);
	return resp;
}

/* system reboot: in a cluster, this node evacuated first (the existing
 * node.evacuate), then wait until no VS runs here; applianced gates it again. */
static int system_reboot(bool force)
{
	json_t *r = force ? NULL : call1("system.reboot", json_pack("{s:b}", "check", 1));
	int waited = 0;

	if (!force && !r)
		return 1;
	if (r) {
		json_t *dt = json_object_get(r, "data");
		char node[64];
		snprintf(node, sizeof(node), "%s", s(dt, "node"));
		bool in = json_is_true(json_object_get(dt, "cluster"));
		if (in && !json_is_true(json_object_get(dt, "maintenance"))) {
			json_t *e = call1("node.evacuate", json_pack("{s:s}", "node", node));
			if (!e) {
				json_decref(r);
				return 1;
			}
			printf("%s\n", s(e, "message"));
			json_decref(e);
		}
		/* Outside a cluster nothing moves: applianced's gate says why not. */
		for (; in;) {
			int here = (int)json_integer_value(
			    json_object_get(json_object_get(r, "data"), "running_here"));
			if (here == 0)
				break;
			if (waited >= EVACUATE_WAIT_S) {
				fprintf(
				    stderr,
				    "vsadm: %d virtual server%s still run%s on %s after %d s: not "
				    "rebooting (see 'vsadm move show'; --force reboots anyway).\n",
				    here, here == 1 ? "" : "s", here == 1 ? "s" : "", node, waited);
				json_decref(r);
				return 1;
			}
			if (waited % 10 == 0)
				printf("waiting for %d virtual server%s to move away from %s\n",
				       here, here == 1 ? "" : "s", node);
			fflush(stdout);
			sleep(1);
			waited++;
			json_decref(r);
			if (!(r = call1("system.reboot", json_pack("{s:b}", "check", 1))))
				return 1;
		}
		json_decref(r);
	}
	r = call1("system.reboot", json_pack("{s:b}", "force", force));
	if (!r)
		return 1;
	printf("%s\n", s(r, "message"));
	json_decref(r);
	return 0;
}

/* Run one parsed command line; returns the exit status. */
static int run(int argc, char *const *argv)
{
	struct ap_cli_flags flags;
	char err[512];
	json_t *req = NULL, *resp;
	int fd, status = 0;
	json_int_t after = 0;

	if (ap_cli_parse(argc, argv, &req, &flags, err, sizeof(err)) < 0) {
		fprintf(stderr, "vsadm: %s\n", err);
		return 2;
	}
	if (flags.help) {
		char text[16384];
		ap_cli_usage(text, sizeof(text));
		fputs(text, stdout);
		return 0;
	}
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	json_t *rargs = json_object_get(req, "args");
	if ((strcmp(cmd, "user.passwd") == 0 || strcmp(cmd, "admin.add") == 0 ||
	     strcmp(cmd, "admin.passwd") == 0 ||
	     (strcmp(cmd, "user.add") == 0 && json_object_get(rargs, "password_stdin"))) &&
	    password_into(rargs) < 0) {
		json_decref(req);
		return 2;
	}
	if ((strcmp(cmd, "vserver.join") == 0 || strcmp(cmd, "vserver.leave") == 0) &&
	    json_object_get(rargs, "password_stdin") && admin_password_into(rargs) < 0) {
		json_decref(req);
		return 2;
	}
	if (strncmp(cmd, "admin.", 6) == 0) /* a console account keeps its yescrypt hash only */
		json_object_del(rargs, "nt_hash");
	if (strcmp(cmd, "cluster.join") == 0) {
		/* The bundle travels inside the request: it holds the key. */
		json_error_t jerr;
		const char *file = json_string_value(json_object_get(rargs, "file"));
		json_t *b = json_load_file(file, 0, &jerr);
		if (!b) {
			/* jansson's text may quote the file, which holds the key. */
			fprintf(stderr,
			        "vsadm: cannot read the bundle %s: it is not a bundle (line %d, "
			        "column %d).\n",
			        file, jerr.line, jerr.column);
			json_decref(req);
			return 1;
		}
		json_object_set_new(rargs, "bundle", b);
	}
	if (strcmp(cmd, "system.update") == 0) {
		const char *file = json_string_value(json_object_get(rargs, "file"));
		char *real = realpath(file, NULL);
		if (!real) {
			fprintf(stderr, "vsadm: cannot find the update file %s: %s\n", file,
			        strerror(errno));
			json_decref(req);
			return 1;
		}
		json_object_set_new(rargs, "file", json_string(real));
		free(real);
	}
	if (strcmp(cmd, "system.reboot") == 0) {
		status = system_reboot(json_is_true(json_object_get(rargs, "force")));
		json_decref(req);
		return status;
	}
	if (strcmp(cmd, "cert.set") == 0 &&
	    ap_ccli_set_args(rargs, time(NULL), err, sizeof(err)) < 0) {
		fprintf(stderr, "vsadm: %s\n", err); /* nothing was sent */
		json_decref(req);
		return 1;
	}
	if (ap_ctlcall_connect(
	        NULL, strcmp(cmd, "system.update") == 0 ? UPDATE_TIMEOUT_S : REPLY_TIMEOUT_S, &fd,
	        err, sizeof(err)) < 0) {
		fprintf(stderr, "vsadm: %s\n", err);
		wipe_secrets(req);
		json_decref(req);
		return 1;
	}
	for (;;) {
		if (ap_ctlcall(fd, req, &resp, err, sizeof(err)) < 0) {
			fprintf(stderr, "vsadm: %s\n", err);
			status = 1;
			break;
		}
		if (!json_is_true(json_object_get(resp, "ok"))) {
			fprintf(stderr, "vsadm: %s\n", s(resp, "error"));
			json_decref(resp);
			status = 1;
			break;
		}
		if (strcmp(cmd, "cluster.bundle") == 0) {
			const char *out = json_string_value(json_object_get(rargs, "out"));
			status = write_bundle(out, json_object_get(resp, "data"));
			json_decref(resp);
			break;
		}
		if (strcmp(cmd, "cert.show") == 0) { /* described here: see ap_certcli.h */
			json_t *shown = ap_ccli_show(json_object_get(resp, "data"), time(NULL));
			if (flags.json)
				json_dumpf(shown, stdout, JSON_INDENT(2));
			else
				ap_ccli_print(stdout, shown, time(NULL));
			if (flags.json)
				printf("\n");
			json_decref(shown);
		} else if (flags.json) {
			json_t *data = json_object_get(resp, "data");
			if (data)
				json_dumpf(data, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
			else
				json_dumpf(resp, stdout, JSON_INDENT(2));
			printf("\n");
		} else {
			print_human(cmd, resp);
		}
		fflush(stdout);
		if (!flags.follow) {
			json_decref(resp);
			break;
		}
		/* --follow: ask again for what came after the last event seen. */
		json_t *data = json_object_get(resp, "data");
		size_t nd = json_array_size(data);
		if (nd)
			after =
			    json_integer_value(json_object_get(json_array_get(data, nd - 1), "id"));
		json_decref(resp);
		json_t *args = json_object_get(req, "args");
		json_object_set_new(args, "after", json_integer(after));
		json_object_set_new(args, "limit", json_integer(1000));
		sleep(1);
	}
	close(fd);
	wipe_secrets(req);
	json_decref(req);
	return status;
}

/* --- interactive shell (readline's state is global by its design) --------- */

struct matches {
	char **v;
	size_t n, cap;
};

static void add_match(const char *w, void *arg)
{
	struct matches *m = arg;

	if (m->n + 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		char **nv = realloc(m->v, cap * sizeof(*nv));
		if (!nv)
			return;
		m->v = nv;
		m->cap = cap;
	}
	char *d = strdup(w);
	if (d)
		m->v[m->n++] = d;
}

static char **complete(const char *text, int start, int end)
{
	char *head = strndup(rl_line_buffer, (size_t)start), *storage = NULL, **words = NULL;
	struct matches m = {0};
	int n;

	rl_attempted_completion_over = 1;
	if (!head)
		return NULL;
	n = ap_cli_split(head, &words, &storage);
	free(head);
	if (n < 0)
		return NULL;
	ap_cli_complete(n, words, text, add_match, &m);
	free(words);
	free(storage);
	if (m.n == 0) {
		free(m.v);
		return NULL;
	}
	/* readline wants the common prefix first, then the matches. */
	char **out = malloc((m.n + 2) * sizeof(*out));
	if (!out) {
		for (size_t i = 0; i < m.n; i++)
			free(m.v[i]);
		free(m.v);
		return NULL;
	}
	size_t common = strlen(m.v[0]);
	for (size_t i = 1; i < m.n; i++) {
		size_t k = 0;
		while (k < common && m.v[i][k] == m.v[0][k])
			k++;
		common = k;
	}
	out[0] = strndup(m.v[0], common);
	for (size_t i = 0; i < m.n; i++)
		out[i + 1] = m.v[i];
	out[m.n + 1] = NULL;
	free(m.v);
	return out;
}

static int shell(void)
{
	char hist[512] = "";
	const char *home = getenv("HOME");
	int last = 0;

	if (home)
		snprintf(hist, sizeof(hist), "%s/.vsadm_history", home);
	rl_readline_name = "vsadm";
	rl_attempted_completion_function = complete;
	if (hist[0])
		read_history(hist);
	printf("vsadm interactive shell: 'help' lists the commands, 'quit' leaves.\n");
	for (;;) {
		char *line = readline("vsadm> "), *storage = NULL, **words = NULL;
		int n;

		if (!line) {
			printf("\n");
			break;
		}
		n = ap_cli_split(line, &words, &storage);
		if (n < 0) {
			fprintf(stderr, "vsadm: unbalanced quote.\n");
		} else if (n > 0) {
			add_history(line);
			if (strcmp(words[0], "quit") == 0 || strcmp(words[0], "exit") == 0) {
				free(words);
				free(storage);
				free(line);
				break;
			}
			last = run(n, words);
		}
		free(words);
		free(storage);
		free(line);
	}
	if (hist[0] && write_history(hist) != 0)
		fprintf(stderr, "vsadm: cannot save history to %s\n", hist);
	return last;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return shell();
	return run(argc - 1, argv + 1);
}
