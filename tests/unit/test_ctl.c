/*
 * test_ctl.c - the control socket (ap_ctl): who may read and who may change
 * (supplementary groups count), the groups parser, and the per-client bounds
 * over a real socket and sd-event loop: a client that never reads its
 * replies is no longer read from once its unsent output passes the bound,
 * and is served again, in order, once it reads; a line over the limit is
 * refused in one sentence.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "appliance/ap_ctl.h"

#define REPLY_PAD 1000 /* each test reply is about 1 KiB */

static void test_role_table(void **state)
{
	const gid_t sup[] = {10, 4242, 20};
	const struct ap_ctl_access acc = {.read_gid = 4242, .admin_gid = 4343};
	const struct ap_ctl_access none = {.read_gid = AP_CTL_NO_GROUP,
	                                   .admin_gid = AP_CTL_NO_GROUP};

	assert_int_equal(ap_ctl_role(0, 0, NULL, 0, &none), AP_CTL_ADMIN);
	assert_int_equal(ap_ctl_role(1000, 1000, NULL, 0, &none), AP_CTL_NONE);
	/* (gid_t)-1 is no group, even for a peer that claims it. */
	assert_int_equal(ap_ctl_role(1000, AP_CTL_NO_GROUP, NULL, 0, &none), AP_CTL_NONE);
	/* A supplementary group counts, not only the primary one. */
	assert_int_equal(ap_ctl_role(1000, 1000, sup, 3, &acc), AP_CTL_READ);
	assert_int_equal(ap_ctl_role(1000, 4242, NULL, 0, &acc), AP_CTL_READ);
	assert_int_equal(ap_ctl_role(1000, 1000, sup, 1, &acc), AP_CTL_NONE);
	const gid_t admin[] = {4343};
	assert_int_equal(ap_ctl_role(1000, 1000, admin, 1, &acc), AP_CTL_ADMIN);
	assert_int_equal(ap_ctl_role(1000, 4343, NULL, 0, &acc), AP_CTL_ADMIN);
	/* The old rule let primary gid 0 in; no group is given by default now. */
	assert_int_equal(ap_ctl_role(1000, 0, NULL, 0, &none), AP_CTL_NONE);
}

static void test_reads_only(void **state)
{
	const char *reads[] = {"vserver.show", "event.show", "node.show", "cluster.show",
	                       "fence.show",   "lun.show",   "port.show", "vip.show",
	                       "fgroup.show",  "node.ping"};
	const char *changes[] = {"vserver.start", "vserver.create", "fence.set",
	                         "fence.check",   "cluster.bundle", "cluster.join",
	                         "vip.migrate",   "vserver.showx",  "",
	                         "vserver"};

	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
		assert_true(ap_ctl_reads_only(reads[i]));
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++)
		if (ap_ctl_reads_only(changes[i]))
			fail_msg("%s counted as read-only", changes[i]);
}

static void test_parse_groups(void **state)
{
	gid_t g[4];

	assert_int_equal(ap_ctl_parse_groups("Name:\tx\nGid:\t5 5 5 5\nGroups:\t10 4242 20 \n"
	                                     "NStgid:\t1\n",
	                                     g, 4),
	                 3);
	assert_int_equal(g[0], 10);
	assert_int_equal(g[1], 4242);
	assert_int_equal(g[2], 20);
	assert_int_equal(ap_ctl_parse_groups("Groups:\n", g, 4), 0);
	assert_int_equal(ap_ctl_parse_groups("Groups:\t1 2 3 4 5\n", g, 4), -E2BIG);
	assert_int_equal(ap_ctl_parse_groups("Gid:\t1\n", g, 4), -EINVAL);
	assert_int_equal(ap_ctl_parse_groups("Groups:\t1x\n", g, 4), -EINVAL);
	assert_int_equal(ap_ctl_parse_groups("Groups:\t-1\n", g, 4), -EINVAL);
	assert_int_equal(ap_ctl_parse_groups("Groups:\t4294967295\n", g, 4), -EINVAL);
	assert_int_equal(ap_ctl_parse_groups("Groups:\t99999999999999999999\n", g, 4), -EINVAL);
	/* "XGroups:" is not the line. */
	assert_int_equal(ap_ctl_parse_groups("XGroups:\t7\n", g, 4), -EINVAL);
}

/* --- over a real socket ------------------------------------------------------ */

struct srv {
	sd_event *ev;
	struct ap_ctl *ctl;
	char dir[64], path[128];
	int handled;
};

static void handler(void *arg, uint64_t conn, uid_t uid, const char *cmd, json_t *args)
{
	struct srv *s = arg;
	char pad[REPLY_PAD + 1];

	memset(pad, 'x', REPLY_PAD);
	pad[REPLY_PAD] = '\0';
	s->handled++;
	ap_ctl_reply(s->ctl, conn,
	             ap_ok(cmd, json_pack("{s:i, s:s}", "n", s->handled, "pad", pad)));
}

static void srv_up(struct srv *s, const struct ap_ctl_access *acc)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/test_ctl.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	assert_int_equal(chmod(s->dir, 0755), 0);
	snprintf(s->path, sizeof(s->path), "%s/ctl.sock", s->dir);
	assert_true(sd_event_new(&s->ev) >= 0);
	assert_int_equal(ap_ctl_create(s->ev, s->path, acc, handler, s, &s->ctl), 0);
}

static void srv_down(struct srv *s)
{
	ap_ctl_destroy(s->ctl);
	sd_event_unref(s->ev);
	rmdir(s->dir);
}

static int client(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

/* Send the stream of `line` repeated from byte *sent up to byte total. */
static ssize_t push(int fd, const char *line, size_t *sent, size_t total)
{
	char chunk[4096];
	size_t ll = strlen(line), n = 0, pos = *sent;

	while (n < sizeof(chunk) && pos + n < total) {
		chunk[n] = line[(pos + n) % ll];
		n++;
	}
	if (n == 0)
		return 0;
	ssize_t w = send(fd, chunk, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w > 0)
		*sent += (size_t)w;
	return w;
}

static const struct ap_ctl_access no_groups = {.read_gid = AP_CTL_NO_GROUP,
                                               .admin_gid = AP_CTL_NO_GROUP};

static void test_backpressure(void **state)
{
	enum { TOTAL = 5000 };
	/* 5000 requests of 200 bytes: more than the kernel buffers between us. */
	static const char line[] = "{\"cmd\":\"node.ping\",\"args\":{\"pad\":"
	                           "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	                           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	                           "xxxxxxxxxxxxxxxxxxxxxxxxxx"
	                           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}}\n";
	const size_t ll = sizeof(line) - 1;
	struct srv s;
	size_t sent = 0, got_lines = 0, idle = 0;
	int fd, last_n = 0;

	srv_up(&s, &no_groups);
	fd = client(s.path);
	assert_true(fd >= 0);
	/* Push requests and never read: the server must stop taking them. */
	while (idle < 50 && sent < TOTAL * ll) {
		int before = s.handled;
		ssize_t w;
		while ((w = push(fd, line, &sent, TOTAL * ll)) > 0)
			;
		assert_true(sd_event_run(s.ev, 10000) >= 0);
		idle = s.handled == before ? idle + 1 : 0;
	}
	assert_true(sent < TOTAL * ll); /* it stopped reading: the client is blocked */
	assert_true(s.handled < TOTAL);
	/* Handled no more than the bound, plus what the kernel holds, allows. */
	assert_true((size_t)s.handled * REPLY_PAD < AP_CTL_OUT_HIGH + 1024 * 1024);
	int stalled = s.handled;
	print_message("stalled after %d requests (%zu bytes sent)\n", stalled, sent);
	/* Nothing more happens while the client does not read. */
	for (int i = 0; i < 20; i++)
		assert_true(sd_event_run(s.ev, 5000) >= 0);
	assert_int_equal(s.handled, stalled);

	/* Now read: every request is answered, in order. */
	char *buf = malloc(1 << 20);
	size_t have = 0;
	assert_non_null(buf);
	for (int rounds = 0; got_lines < TOTAL && rounds < 200000; rounds++) {
		push(fd, line, &sent, TOTAL * ll);
		ssize_t r = recv(fd, buf + have, (1 << 20) - have - 1, MSG_DONTWAIT);
		if (r > 0) {
			have += (size_t)r;
			buf[have] = '\0';
			char *p = buf, *nl;
			while ((nl = memchr(p, '\n', have - (size_t)(p - buf)))) {
				*nl = '\0';
				json_t *j = json_loads(p, 0, NULL);
				assert_non_null(j);
				int n = (int)json_integer_value(
				    json_object_get(json_object_get(j, "data"), "n"));
				assert_int_equal(n, last_n + 1);
				last_n = n;
				json_decref(j);
				got_lines++;
				p = nl + 1;
			}
			have -= (size_t)(p - buf);
			memmove(buf, p, have);
		}
		assert_true(sd_event_run(s.ev, r > 0 ? 0 : 1000) >= 0);
	}
	free(buf);
	assert_int_equal(got_lines, TOTAL);
	assert_int_equal(s.handled, TOTAL);
	close(fd);
	srv_down(&s);
}

/* Read one reply line (blocking, with the loop turning). */
static json_t *read_reply(struct srv *s, int fd, bool *eof)
{
	char buf[65536];
	size_t have = 0;

	*eof = false;
	for (int i = 0; i < 2000; i++) {
		assert_true(sd_event_run(s->ev, 1000) >= 0);
		ssize_t r = recv(fd, buf + have, sizeof(buf) - have - 1, MSG_DONTWAIT);
		if (r == 0) {
			*eof = true;
			if (!have)
				return NULL;
		}
		if (r > 0)
			have += (size_t)r;
		buf[have] = '\0';
		if (memchr(buf, '\n', have))
			return json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
	}
	return NULL;
}

static void test_long_line(void **state)
{
	struct srv s;
	int fd;
	bool eof;
	size_t len = AP_CTL_LINE_MAX + 100000, off = 0;
	char *big = malloc(len);

	assert_non_null(big);
	memset(big, 'a', len);
	srv_up(&s, &no_groups);
	fd = client(s.path);
	assert_true(fd >= 0);
	while (off < len) {
		ssize_t w = send(fd, big + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0)
			off += (size_t)w;
		else if (w < 0 && errno != EAGAIN)
			break; /* closed by the server: fine */
		assert_true(sd_event_run(s.ev, 1000) >= 0);
	}
	json_t *r = read_reply(&s, fd, &eof);
	assert_non_null(r);
	assert_false(json_is_true(json_object_get(r, "ok")));
	assert_non_null(strstr(json_string_value(json_object_get(r, "error")), "longer than"));
	assert_int_equal(s.handled, 0);
	json_decref(r);
	/* Then the connection is closed. */
	for (int i = 0; i < 100 && !eof; i++) {
		char c;
		assert_true(sd_event_run(s.ev, 1000) >= 0);
		ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
		eof = n == 0 || (n < 0 && errno != EAGAIN);
	}
	assert_true(eof);
	close(fd);
	free(big);
	srv_down(&s);
}

/* A child that drops to uid 65534 with `groups` sends `line` and writes the
 * first reply line to `out` (a pipe). */
static pid_t as_nobody(const char *path, const gid_t *groups, int n, const char *line, int out)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	if (setgroups((size_t)n, groups) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
		_exit(3);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		_exit(4);
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0 && errno != EPIPE && errno != ECONNRESET)
		_exit(5); /* refused on accept: the server may have closed already */
	char buf[4096];
	ssize_t r = recv(fd, buf, sizeof(buf), 0);
	if (r > 0 && write(out, buf, (size_t)r) != r)
		_exit(6);
	_exit(0);
}

static char *ask_as(struct srv *s, const gid_t *groups, int n, const char *line)
{
	int p[2];
	static char buf[4096];
	size_t have = 0;
	int st;

	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	pid_t pid = as_nobody(s->path, groups, n, line, p[1]);
	assert_true(pid > 0);
	close(p[1]);
	for (int i = 0; i < 3000; i++) {
		assert_true(sd_event_run(s->ev, 1000) >= 0);
		ssize_t r = read(p[0], buf + have, sizeof(buf) - have - 1);
		if (r == 0)
			break;
		if (r > 0)
			have += (size_t)r;
	}
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	buf[have] = '\0';
	return buf;
}

static void test_groups_over_socket(void **state)
{
	const struct ap_ctl_access acc = {
	    .read_gid = 4242, .admin_gid = 4343, .read_group = "vsread", .admin_group = "vsadmin"};
	const gid_t reader[] = {100, 4242}, admin[] = {4343}, other[] = {100};
	struct srv s;
	struct stat st;
	char *r;

	if (geteuid() != 0)
		skip();
	srv_up(&s, &acc);
	assert_int_equal(stat(s.path, &st), 0);
	assert_int_equal(st.st_gid, 4242);
	assert_int_equal(st.st_mode & 0777, 0666); /* distinct admin group: the daemon decides */
	/* A member of the socket group (supplementary) reads... */
	r = ask_as(&s, reader, 2, "{\"cmd\":\"vserver.show\"}\n");
	assert_non_null(strstr(r, "\"ok\":true"));
	assert_int_equal(s.handled, 1);
	/* ...but may not change anything: one sentence naming the group. */
	r = ask_as(&s, reader, 2, "{\"cmd\":\"vserver.start\",\"args\":{\"name\":\"a\"}}\n");
	assert_non_null(strstr(r, "\"ok\":false"));
	assert_non_null(strstr(r, "Permission denied: only root or a member of the group vsadmin "
	                          "may change anything."));
	assert_int_equal(s.handled, 1); /* the handler never saw it */
	/* An admin-group member changes. */
	r = ask_as(&s, admin, 1, "{\"cmd\":\"vserver.start\",\"args\":{\"name\":\"a\"}}\n");
	assert_non_null(strstr(r, "\"ok\":true"));
	assert_int_equal(s.handled, 2);
	/* Anyone else is refused on accept. */
	r = ask_as(&s, other, 1, "{\"cmd\":\"vserver.show\"}\n");
	assert_non_null(strstr(r, "vsadm must run as root or as a member of the group vsread."));
	assert_int_equal(s.handled, 2);
	/* A command name outside the allow-list is refused without echo. */
	r = ask_as(&s, admin, 1, "{\"cmd\":\"secret=hunter2\"}\n");
	assert_non_null(strstr(r, "\"ok\":false"));
	assert_null(strstr(r, "hunter2"));
	srv_down(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_role_table),   cmocka_unit_test(test_reads_only),
	    cmocka_unit_test(test_parse_groups), cmocka_unit_test(test_backpressure),
	    cmocka_unit_test(test_long_line),    cmocka_unit_test(test_groups_over_socket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
