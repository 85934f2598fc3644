/*
 * ap_ctl.c - line-delimited JSON over a Unix socket, non-blocking both ways
 * (see ap_ctl.h). Each connection has an input buffer (lines are dispatched
 * as they complete; one request at a time per connection) and an output
 * buffer flushed when the socket is writable. Reading (and handling the
 * requests already read) pauses while the output buffer is over
 * AP_CTL_OUT_HIGH and resumes as it drains.
 */
#include "appliance/ap_ctl.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/lib_log.h"

struct conn {
	struct ap_ctl *ctl;
	uint64_t id;
	int fd;
	uid_t uid;
	enum ap_ctl_role role;
	sd_event_source *src;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	bool waiting;     /* a request is being handled */
	bool eof;         /* the client sent all it will: answer what is left, close */
	bool closing;     /* close once the output is sent (after a refusal) */
	bool gone;        /* hung up while a request was handled: drop at the reply */
	bool dispatching; /* inside dispatch_lines: freeing is deferred to it */
	struct conn *next;
};

struct ap_ctl {
	sd_event *ev;
	int fd;
	char *path;
	struct ap_ctl_access acc;
	char *read_group, *admin_group;
	sd_event_source *src;
	ap_ctl_handler handler;
	void *arg;
	uint64_t next_id;
	struct conn *conns;
};

json_t *ap_ok(const char *message, json_t *data)
{
	json_t *r = json_pack("{s:b, s:s}", "ok", 1, "message", message ? message : "");

	if (data)
		json_object_set_new(r, "data", data);
	return r;
}

json_t *ap_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

/* --- access (pure) ---------------------------------------------------------- */

static bool in_group(gid_t want, gid_t gid, const gid_t *groups, int n)
{
	if (want == AP_CTL_NO_GROUP)
		return false;
	if (gid == want)
		return true;
	for (int i = 0; i < n; i++)
		if (groups[i] == want)
			return true;
	return false;
}

enum ap_ctl_role ap_ctl_role(uid_t uid, gid_t gid, const gid_t *groups, int n_groups,
                             const struct ap_ctl_access *acc)
{
	if (uid == 0 || in_group(acc->admin_gid, gid, groups, n_groups))
		return AP_CTL_ADMIN;
	if (in_group(acc->read_gid, gid, groups, n_groups))
		return AP_CTL_READ;
	return AP_CTL_NONE;
}

bool ap_ctl_reads_only(const char *cmd)
{
	static const char *const reads[] = {
	    "vserver.show", "event.show", "lun.show",     "port.show",   "vip.show",
	    "fgroup.show",  "fence.show", "node.show",    "node.ping",   "cluster.show",
	    "move.show",    "load.show",  "balance.show", "user.show",   "group.show",
	    "admin.show",   "cert.show",  "setup.show",   "system.show",
	};

	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
		if (strcmp(cmd, reads[i]) == 0)
			return true;
	return false;
}

bool ap_ctl_web_only(const char *cmd)
{
	return strcmp(cmd, "cert.get") == 0;
}

int ap_ctl_check_as(uid_t uid, const struct ap_ctl_access *acc, const json_t *as, char *err,
                    size_t errlen)
{
	const char *s = json_string_value(as);
	size_t n = s ? strlen(s) : 0;
	bool ok = n > 0 && n <= 31 && isalpha((unsigned char)s[0]);

	if (!as)
		return 0;
	if (!acc->has_web_uid || uid != acc->web_uid)
		return snprintf(err, errlen,
		                "Permission denied: only the web process may act for a console "
		                "account."),
		       -EPERM;
	for (size_t i = 0; ok && i < n; i++)
		ok = isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-';
	if (!ok)
		return snprintf(err, errlen, "The account of the request is not a valid name."),
		       -EINVAL;
	return 1;
}

int ap_ctl_parse_groups(const char *status, gid_t *out, int max)
{
	const char *p = status;
	int n = 0;

	while (p && strncmp(p, "Groups:", 7) != 0) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return -EINVAL;
	p += 7;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\n' || *p == '\0')
			return n;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		unsigned long long v = 0;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (unsigned)(*p++ - '0');
			if (v >= (gid_t)-1)
				return -EINVAL; /* (gid_t)-1 is no group */
		}
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\0')
			return -EINVAL;
		if (n >= max)
			return -E2BIG;
		out[n++] = (gid_t)v;
	}
}

/* A command name by allow-list: lower-case words joined by dots. */
static bool cmd_valid(const char *cmd)
{
	size_t n = strlen(cmd);

	if (n == 0 || n > AP_CTL_CMD_MAX || cmd[0] == '.' || cmd[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((cmd[i] >= 'a' && cmd[i] <= 'z') || cmd[i] == '.' || cmd[i] == '_'))
			return false;
	return true;
}

/* --- connections ---------------------------------------------------------------- */

static void conn_free(struct conn *c)
{
	struct conn **pp;

	for (pp = &c->ctl->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	sd_event_source_disable_unref(c->src);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static size_t pending(const struct conn *c)
{
	return c->out_len - c->out_off;
}

/* May more requests of this client be handled now? */
static bool can_take(const struct conn *c)
{
	return !c->waiting && !c->closing && !c->gone && pending(c) <= AP_CTL_OUT_HIGH;
}

static bool reading(const struct conn *c)
{
	return can_take(c) && !c->eof;
}

/* Nothing left to do for this client. */
static bool done(const struct conn *c)
{
	return !c->waiting && pending(c) == 0 &&
	       (c->closing || (c->eof && !(c->in_len && memchr(c->in, '\n', c->in_len))));
}

static void update_events(struct conn *c)
{
	uint32_t ev = pending(c) ? EPOLLOUT : 0;

	if (reading(c))
		ev |= EPOLLIN;
	sd_event_source_set_io_events(c->src, ev);
}

static int flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -errno;
		c->out_off += (size_t)n;
	}
	c->out_len = c->out_off = 0;
	return 0;
}

static void dispatch_lines(struct conn *c);

/* A line over the limit: say so, then close once it is sent. */
static void refuse_long_line(struct conn *c)
{
	lib_warn("control: a request over %d bytes from uid %u; closing", AP_CTL_LINE_MAX,
	         (unsigned)c->uid);
	c->in_len = 0;
	c->waiting = true;
	ap_ctl_reply(c->ctl, c->id,
	             ap_error("A request is longer than %d KiB; the connection is closed.",
	                      AP_CTL_LINE_MAX / 1024));
	c->closing = true;
}

static int on_conn(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct conn *c = userdata;
	char buf[8192];
	ssize_t n;

	if ((revents & EPOLLOUT) && flush(c) < 0) {
		conn_free(c);
		return 0;
	}
	if ((revents & (EPOLLHUP | EPOLLERR)) && !reading(c)) {
		/* Gone while we were not reading it: nobody will read the replies. */
		if (c->waiting) {
			c->gone = true; /* dropped when the reply is ready */
			sd_event_source_set_enabled(c->src, SD_EVENT_OFF);
			return 0;
		}
		conn_free(c);
		return 0;
	}
	if ((revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) && reading(c)) {
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n < 0) {
			conn_free(c);
			return 0;
		}
		if (n == 0) {
			c->eof = true;
		} else {
			char *nb = realloc(c->in, c->in_len + (size_t)n + 1);
			if (!nb) {
				conn_free(c);
				return 0;
			}
			c->in = nb;
			memcpy(c->in + c->in_len, buf, (size_t)n);
			c->in_len += (size_t)n;
			c->in[c->in_len] = '\0';
		}
	}
	/* Handles what was read, or what waited for the output to drain. */
	dispatch_lines(c);
	return 0;
}

static void dispatch_lines(struct conn *c)
{
	c->dispatching = true;
	while (can_take(c) && c->in_len) {
		char *nl = memchr(c->in, '\n', c->in_len);
		json_error_t jerr;
		json_t *req, *args;
		const char *cmd = NULL;
		size_t line;

		if (!nl || (size_t)(nl - c->in) > AP_CTL_LINE_MAX) {
			if (c->in_len > AP_CTL_LINE_MAX)
				refuse_long_line(c);
			break;
		}
		*nl = '\0';
		line = (size_t)(nl - c->in) + 1;
		req = json_loads(c->in, 0, &jerr);
		memmove(c->in, c->in + line, c->in_len - line);
		c->in_len -= line;
		c->waiting = true;
		if (!req || json_unpack(req, "{s:s}", "cmd", &cmd) < 0 || !cmd_valid(cmd)) {
			ap_ctl_reply(c->ctl, c->id,
			             ap_error("The request is not valid JSON with a "
			                      "\"cmd\" member."));
			json_decref(req);
			continue;
		}
		char aerr[128];
		json_t *as = json_object_get(req, "as");
		int acting = ap_ctl_check_as(c->uid, &c->ctl->acc, as, aerr, sizeof(aerr));
		bool web = c->ctl->acc.has_web_uid && c->uid == c->ctl->acc.web_uid;
		if (acting < 0) {
			lib_warn("control: refused %s from uid %u: %s", cmd, (unsigned)c->uid,
			         aerr);
			ap_ctl_reply(c->ctl, c->id, ap_error("%s", aerr));
			json_decref(req);
			continue;
		}
		if (ap_ctl_web_only(cmd) && (!web || acting == 1)) {
			lib_warn("control: refused %s from uid %u (not the web process's own)", cmd,
			         (unsigned)c->uid);
			ap_ctl_reply(c->ctl, c->id,
			             ap_error("Permission denied: only the web process may read "
			                      "the console's private key."));
			json_decref(req);
			continue;
		}
		if (c->role != AP_CTL_ADMIN && !ap_ctl_reads_only(cmd) && acting != 1 &&
		    !(web && (strcmp(cmd, "admin.login") == 0 || strcmp(cmd, "setup.apply") == 0 ||
		              ap_ctl_web_only(cmd)))) {
			const char *g = c->ctl->acc.admin_group;
			lib_warn("control: refused %s from uid %u (read-only)", cmd,
			         (unsigned)c->uid);
			if (g)
				ap_ctl_reply(c->ctl, c->id,
				             ap_error("Permission denied: only root or a member of "
				                      "the group %s may change anything.",
				                      g));
			else
				ap_ctl_reply(c->ctl, c->id,
				             ap_error("Permission denied: only root may change "
				                      "anything."));
			json_decref(req);
			continue;
		}
		args = json_object_get(req, "args");
		if (!json_is_object(args))
			args = NULL;
		json_t *a = args ? json_incref(args) : json_object();
		json_object_del(a, "_as");
		if (acting == 1)
			json_object_set(a, "_as", as);
		c->ctl->handler(c->ctl->arg, c->id, c->uid, cmd, a);
		json_decref(a);
		json_decref(req);
	}
	c->dispatching = false;
	if (done(c)) {
		conn_free(c);
		return;
	}
	update_events(c);
}

/* Close now, or when dispatch_lines (on the stack) regains control. */
static void drop(struct conn *c)
{
	if (c->dispatching) {
		c->closing = true;
		c->out_len = c->out_off = 0; /* the socket is broken: nothing more goes out */
	} else {
		conn_free(c);
	}
}

int ap_ctl_reply(struct ap_ctl *ctl, uint64_t id, json_t *resp)
{
	struct conn *c;
	char *text;
	size_t n;

	for (c = ctl->conns; c; c = c->next)
		if (c->id == id)
			break;
	if (!c) {
		json_decref(resp);
		return -ENOENT;
	}
	text = json_dumps(resp, JSON_COMPACT);
	json_decref(resp);
	c->waiting = false;
	if (!text)
		return drop(c), -ENOMEM;
	if (c->gone) {
		free(text);
		drop(c);
		return 0;
	}
	n = strlen(text);
	if (c->out_off && c->out_off >= pending(c)) { /* drop what is sent (amortised) */
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	char *nb = realloc(c->out, c->out_len + n + 1);
	if (!nb) {
		free(text);
		return drop(c), -ENOMEM;
	}
	c->out = nb;
	memcpy(c->out + c->out_len, text, n);
	c->out[c->out_len + n] = '\n';
	c->out_len += n + 1;
	free(text);
	if (flush(c) < 0) {
		drop(c);
		return 0;
	}
	if (c->dispatching)
		return 0;
	/* More complete lines may be queued behind the one just answered. */
	dispatch_lines(c);
	return 0;
}

/* The peer's supplementary groups: SO_PEERGROUPS (as they were at connect),
 * else its /proc/PID/status. The count, or a negative errno. */
static int peer_groups(int fd, pid_t pid, gid_t *out, int max)
{
	socklen_t len = (socklen_t)(max * (int)sizeof(gid_t));

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, out, &len) == 0)
		return (int)(len / sizeof(gid_t));
	if (errno == ERANGE)
		return -E2BIG;
	if (errno != ENOPROTOOPT)
		return -errno;
	char path[64], text[8192];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return ap_ctl_parse_groups(text, out, max);
}

static void refuse(int cfd, const char *msg)
{
	json_t *r = ap_error("%s", msg);
	char *text = r ? json_dumps(r, JSON_COMPACT) : NULL;

	json_decref(r);
	if (text) {
		size_t n = strlen(text);
		text[n] = '\n'; /* json_dumps leaves room for its NUL: now the end of line */
		if (send(cfd, text, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			lib_warn("control: cannot tell the client: %s", strerror(errno));
		free(text);
	}
	close(cfd);
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ap_ctl *ctl = userdata;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t groups[AP_CTL_MAX_GROUPS];
	enum ap_ctl_role role = AP_CTL_NONE;
	struct conn *c;
	int cfd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), ng = 0;

	if (cfd < 0)
		return 0;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		lib_warn("control: cannot read a client's credentials: %s", strerror(errno));
		close(cfd);
		return 0;
	}
	if (cred.uid != 0) {
		ng = peer_groups(cfd, cred.pid, groups, AP_CTL_MAX_GROUPS);
		if (ng < 0) {
			lib_warn("control: cannot read the groups of uid %u: %s",
			         (unsigned)cred.uid, strerror(-ng));
			ng = 0; /* its primary group still counts */
		}
	}
	role = ap_ctl_role(cred.uid, cred.gid, groups, ng, &ctl->acc);
	if (role == AP_CTL_NONE) {
		lib_warn("control: refused a client with uid %u (not root nor in the socket or "
		         "admin group)",
		         (unsigned)cred.uid);
		char msg[256];
		if (ctl->acc.read_group)
			snprintf(msg, sizeof(msg),
			         "Permission denied: vsadm must run as root or as a member of the "
			         "group %s.",
			         ctl->acc.read_group);
		else
			snprintf(msg, sizeof(msg), "Permission denied: vsadm must run as root.");
		refuse(cfd, msg);
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(cfd);
		return 0;
	}
	c->ctl = ctl;
	c->fd = cfd;
	c->uid = cred.uid;
	c->role = role;
	c->id = ++ctl->next_id;
	if (sd_event_add_io(ctl->ev, &c->src, cfd, EPOLLIN, on_conn, c) < 0) {
		close(cfd);
		free(c);
		return 0;
	}
	c->next = ctl->conns;
	ctl->conns = c;
	return 0;
}

int ap_ctl_create(sd_event *ev, const char *path, const struct ap_ctl_access *acc,
                  ap_ctl_handler handler, void *arg, struct ap_ctl **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ap_ctl *ctl;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->ev = sd_event_ref(ev);
	ctl->fd = -1;
	ctl->acc = *acc;
	ctl->read_group = acc->read_group ? strdup(acc->read_group) : NULL;
	ctl->admin_group = acc->admin_group ? strdup(acc->admin_group) : NULL;
	ctl->acc.read_group = ctl->read_group;
	ctl->acc.admin_group = ctl->admin_group;
	ctl->handler = handler;
	ctl->arg = arg;
	ctl->path = strdup(path);
	if (!ctl->path || (acc->read_group && !ctl->read_group) ||
	    (acc->admin_group && !ctl->admin_group)) {
		rc = -ENOMEM;
		goto fail;
	}
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0) {
		rc = -errno;
		goto fail;
	}
	strcpy(sa.sun_path, path);
	if (unlink(path) < 0 && errno != ENOENT) {
		rc = -errno;
		goto fail;
	}
	/* The file's group is the socket group (root's otherwise); a distinct
	 * admin group must reach it too, so then anyone may connect and the
	 * credentials checked on accept decide. */
	gid_t fgid = acc->read_gid != AP_CTL_NO_GROUP    ? acc->read_gid
	             : acc->admin_gid != AP_CTL_NO_GROUP ? acc->admin_gid
	                                                 : 0;
	mode_t mode = acc->read_gid != AP_CTL_NO_GROUP && acc->admin_gid != AP_CTL_NO_GROUP &&
	                      acc->read_gid != acc->admin_gid
	                  ? 0666
	                  : 0660;
	if (bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chown(path, 0, fgid) < 0 ||
	    chmod(path, mode) < 0 || listen(ctl->fd, 64) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = sd_event_add_io(ev, &ctl->src, ctl->fd, EPOLLIN, on_accept, ctl);
	if (rc < 0)
		goto fail;
	*out = ctl;
	return 0;
fail:
	ap_ctl_destroy(ctl);
	return rc;
}

void ap_ctl_destroy(struct ap_ctl *ctl)
{
	if (!ctl)
		return;
	while (ctl->conns)
		conn_free(ctl->conns);
	sd_event_source_disable_unref(ctl->src);
	if (ctl->fd >= 0) {
		close(ctl->fd);
		if (ctl->path)
			unlink(ctl->path);
	}
	free(ctl->path);
	free(ctl->read_group);
	free(ctl->admin_group);
	sd_event_unref(ctl->ev);
	free(ctl);
}
