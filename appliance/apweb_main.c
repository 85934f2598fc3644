/*
 * apweb - the appliance's unprivileged web process (DESIGN section 9, issue 12).
 *
 *   apweb [--listen ADDR:PORT] [--user NAME] [--group NAME] [--state-dir DIR]
 *         [--socket PATH] [--node NAME] [--session-idle S] [--session-max S]
 *         [--login-attempts N] [--lockout-after N] [--lockout-minutes M] [--assets DIR]
 *
 *   --listen     where to serve HTTPS (default 0.0.0.0:8443; [2001:db8::1]:8443
 *                or [::]:8443 for IPv6)
 *   --user       the user it runs as (default appweb); started as root it reads
 *                its key, then drops to it for good (ap_webpriv.h)
 *   --group      its group (default the user's primary group): make it the
 *                group applianced's socket is readable by (--socket-group)
 *   --state-dir  its certificate and key (default /var/lib/apweb; ap_webcert.h)
 *   --socket     applianced's control socket (default /run/appliance/applianced.sock)
 *   --node       the name in its certificate (default the host name)
 *   --session-idle / --session-max  a console session ends after S seconds
 *                without a request (default 900) / S seconds after its login
 *                (default 28800)
 *   --login-attempts  logins one client address may try a minute (default 10)
 *   --lockout-after / --lockout-minutes  an account is locked for M minutes
 *                (default 15) after N failed logins in a row (default 5)
 *   --assets     the console's built files (default /usr/share/appliance/console,
 *                where the package installs them; ap_webstatic.h), read once at
 *                start; without the default directory apweb serves no console
 *
 * Serves the console at / (ap_webstatic.h), the REST API under /api/v1 (ap_webrest.h) and GET
 * /metrics (ap_webhttp.h) from a cache refreshed every 5 s from applianced (ap_webscrape.h), with
 * the administrator's certificate when one is set (`vsadm cert set`), else its self-signed one
 * (ap_webtls.h). One sd-event loop, no thread; runs in the foreground, its stderr is its log;
 * SIGTERM or SIGINT stop it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/ap_webcert.h"
#include "appliance/ap_webhttp.h"
#include "appliance/ap_webpriv.h"
#include "appliance/ap_webscrape.h"
#include "appliance/ap_webstatic.h"
#include "appliance/ap_webtls.h"
#include "appliance/ap_webupload.h"
#include "lib/lib_log.h"

struct opts {
	const char *listen, *user, *group, *state_dir, *socket, *node, *assets;
	bool assets_given;
	uint64_t idle_s, max_s;
	struct ap_lim_cfg lim;
};

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	lib_info("apweb: signal %u received; shutting down", si->ssi_signo);
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: apweb [--listen ADDR:PORT] [--user NAME] [--group NAME] "
	           "[--state-dir DIR] [--socket PATH] [--node NAME] [--session-idle S] "
	           "[--session-max S] [--login-attempts N] [--lockout-after N] "
	           "[--lockout-minutes M] [--assets DIR]\n");
}

/* ADDR:PORT or [ADDR6]:PORT into sa; host (the address alone) for the certificate. */
static int parse_listen(const char *s, struct sockaddr_storage *sa, socklen_t *len, char *host,
                        size_t hostlen)
{
	const char *colon, *a = s;
	size_t alen;
	char *end;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			return -EINVAL;
		a = s + 1;
		alen = (size_t)(rb - a);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		alen = (size_t)(colon - s);
	}
	if (alen == 0 || alen >= hostlen)
		return -EINVAL;
	memcpy(host, a, alen);
	host[alen] = '\0';
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (errno || *end || colon[1] == '\0' || port == 0 || port > 65535)
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
	if (s[0] != '[' && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*len = sizeof(*v4);
		return 0;
	}
	if (s[0] == '[' && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*v6);
		return 0;
	}
	return -EINVAL;
}

/* A whole number 1..max of decimal digits alone. */
static int number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out < 1 || *out > max)
		return -EINVAL;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"user", required_argument, NULL, 'u'},
	    {"group", required_argument, NULL, 'g'},
	    {"state-dir", required_argument, NULL, 'd'},
	    {"socket", required_argument, NULL, 's'},
	    {"node", required_argument, NULL, 'n'},
	    {"session-idle", required_argument, NULL, 'I'},
	    {"session-max", required_argument, NULL, 'M'},
	    {"login-attempts", required_argument, NULL, 'A'},
	    {"lockout-after", required_argument, NULL, 'F'},
	    {"lockout-minutes", required_argument, NULL, 'L'},
	    {"assets", required_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o->listen = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'g':
			o->group = optarg;
			break;
		case 'd':
			o->state_dir = optarg;
			break;
		case 's':
			o->socket = optarg;
			break;
		case 'n':
			o->node = optarg;
			break;
		case 'a':
			o->assets = optarg;
			o->assets_given = true;
			break;
		case 'I':
		case 'M':
		case 'A':
		case 'F':
		case 'L':
			if (number(optarg, c == 'I' || c == 'M' ? 7 * 24 * 3600 : 100000, &v) < 0) {
				fprintf(stderr, "apweb: %s wants a whole number from 1 to %d.\n",
				        argv[optind - 1],
				        c == 'I' || c == 'M' ? 7 * 24 * 3600 : 100000);
				return -EINVAL;
			}
			if (c == 'I')
				o->idle_s = v;
			else if (c == 'M')
				o->max_s = v;
			else if (c == 'A')
				o->lim.addr_max = (int)v;
			else if (c == 'F')
				o->lim.fails_max = (int)v;
			else
				o->lim.lock_s = v * 60;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {.listen = "0.0.0.0:8443",
	                 .user = "appweb",
	                 .state_dir = "/var/lib/apweb",
	                 .socket = "/run/appliance/applianced.sock",
	                 .assets = "/usr/share/appliance/console",
	                 .lim = AP_LIM_DEFAULTS};
	struct sockaddr_storage sa;
	socklen_t salen = 0;
	char host[INET6_ADDRSTRLEN + 1], name[65] = "", err[256];
	struct ap_wt_start st = {.dirfd = -1};
	uid_t uid;
	gid_t gid;
	sd_event *ev = NULL;
	struct ap_ws *ws = NULL;
	struct ap_wh *wh = NULL;
	struct ap_wr *wr = NULL;
	struct ap_wt *wt = NULL;
	struct ap_wst *assets = NULL;
	sigset_t mask;
	int rc, status = 1, spool_fd = -1;

	rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (parse_listen(o.listen, &sa, &salen, host, sizeof(host)) < 0) {
		fprintf(stderr, "apweb: --listen wants ADDR:PORT or [ADDR6]:PORT with a numeric "
		                "address and a port 1-65535.\n");
		return 2;
	}
	if (!o.node) {
		if (gethostname(name, sizeof(name) - 1) < 0) {
			fprintf(stderr, "apweb: no --node given and no host name.\n");
			return 2;
		}
		o.node = name;
	}
	if (ap_wp_lookup(o.user, o.group, &uid, &gid, err, sizeof(err)) < 0) {
		fprintf(stderr, "apweb: %s\n", err);
		return 2;
	}
	if ((rc = gnutls_global_init()) < 0) {
		fprintf(stderr, "apweb: GnuTLS does not start: %s.\n", gnutls_strerror(rc));
		return 1;
	}
	/* As root (if we are): the state directory, the key; then root is left for good. */
	struct ap_wc_opts co = {.dir = o.state_dir,
	                        .node = o.node,
	                        .address = host,
	                        .uid = geteuid() == 0 ? uid : (uid_t)-1,
	                        .gid = gid};
	/* The state directory kept open for uploads: its parents need not be
	 * searchable once root is left. */
	if (ap_wt_initial(&co, &st, err, sizeof(err)) < 0 ||
	    ((spool_fd = open(o.state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 &&
	     snprintf(err, sizeof(err), "Cannot open the state directory %s: %s.", o.state_dir,
	              strerror(errno)) > 0) ||
	    ap_wp_drop(uid, gid, err, sizeof(err)) < 0) {
		fprintf(stderr, "apweb: %s\n", err);
		goto out;
	}
	lib_info("apweb: running as uid %u gid %u, no capabilities; certificate %s", (unsigned)uid,
	         (unsigned)gid, st.fpr);
	/* As apweb's own user: what it cannot read it does not serve. */
	if (ap_wst_load(o.assets, &assets, err, sizeof(err)) < 0) {
		if (o.assets_given) {
			fprintf(stderr, "apweb: %s\n", err);
			goto out;
		}
		lib_warn("apweb: no console: %s", err);
	} else {
		size_t bytes, n = ap_wst_count(assets, &bytes);
		lib_info("apweb: the console: %zu files, %zu bytes, from %s", n, bytes, o.assets);
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGPIPE);
	sigaddset(&mask, SIGCHLD); /* the upload's writer, watched by lib_run */
	if ((rc = sigprocmask(SIG_BLOCK, &mask, NULL)) < 0 || (rc = sd_event_default(&ev)) < 0 ||
	    (rc = sd_event_add_signal(ev, NULL, SIGTERM, on_signal, NULL)) < 0 ||
	    (rc = sd_event_add_signal(ev, NULL, SIGINT, on_signal, NULL)) < 0) {
		fprintf(stderr, "apweb: cannot set up the event loop: %s.\n",
		        strerror(rc < 0 ? -rc : errno));
		goto out;
	}
	if ((rc = ap_ws_create(ev, o.socket, &ws)) < 0) {
		fprintf(stderr, "apweb: cannot read from %s: %s.\n", o.socket, strerror(-rc));
		goto out;
	}
	/* An update upload a crash or a restart left is no use to anyone. */
	if ((rc = ap_wu_clean(spool_fd)) < 0)
		lib_warn("apweb: cannot remove the upload left in %s: %s", o.state_dir,
		         strerror(-rc));
	struct ap_wr_opts ro = {.socket = o.socket,
	                        .idle_s = o.idle_s,
	                        .max_s = o.max_s,
	                        .lim = o.lim,
	                        .spool_dir = o.state_dir,
	                        .spool_fd = spool_fd};
	if ((rc = ap_wr_create(ev, &ro, &wr)) < 0) {
		fprintf(stderr, "apweb: cannot set up the REST API: %s.\n", strerror(-rc));
		goto out;
	}
	struct ap_wh_opts ho = {.addr = (struct sockaddr *)&sa,
	                        .addrlen = salen,
	                        .cert = st.cert,
	                        .key = st.key,
	                        .rest = wr,
	                        .assets = assets};
	if (ap_wh_create(ev, &ho, ws, &wh, err, sizeof(err)) < 0) {
		fprintf(stderr, "apweb: %s: %s\n", o.listen, err);
		goto out;
	}
	struct ap_wt_opts to = {.socket = o.socket, .wh = wh, .start = &st};
	if ((rc = ap_wt_create(ev, &to, &wt)) < 0) {
		fprintf(stderr, "apweb: cannot follow the console certificate: %s.\n",
		        strerror(-rc));
		goto out;
	}
	ap_wt_start_clear(&st); /* the served key: the server keeps its own copy */
	lib_info("apweb: serving https://%s/metrics and /api/v1%s", o.listen,
	         assets ? " and the console at /" : "");
	rc = sd_event_loop(ev);
	status = rc < 0 ? 1 : 0;
out:
	ap_wt_destroy(wt);
	ap_wh_destroy(wh);
	ap_wr_destroy(wr);
	ap_ws_destroy(ws);
	ap_wst_destroy(assets);
	sd_event_unref(ev);
	if (spool_fd >= 0)
		close(spool_fd);
	ap_wt_start_clear(&st);
	gnutls_global_deinit();
	return status;
}
