/*
 * ap_login.c - console password checks in a child (see ap_login.h).
 */
#include "appliance/ap_login.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/lib_log.h"
#include "lib/lib_pwhash.h"
#include "lib/lib_run.h"

struct check {
	struct ap_logins *l;
	struct lib_run *run;
	ap_login_fn fn;
	void *arg;
	struct check *next;
};

struct ap_logins {
	sd_event *ev;
	char *self_exe;
	struct check *running;
	int n;
};

int ap_logins_create(sd_event *ev, const char *self_exe, struct ap_logins **out)
{
	struct ap_logins *l = calloc(1, sizeof(*l));

	if (!l || !(l->self_exe = strdup(self_exe))) {
		free(l);
		return -ENOMEM;
	}
	l->ev = ev;
	*out = l;
	return 0;
}

static void unlink_check(struct check *c)
{
	for (struct check **p = &c->l->running; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			c->l->n--;
			return;
		}
}

void ap_logins_destroy(struct ap_logins *l)
{
	if (!l)
		return;
	while (l->running) {
		struct check *c = l->running;
		l->running = c->next;
		lib_run_destroy(c->run);
		free(c);
	}
	free(l->self_exe);
	free(l);
}

int ap_logins_running(const struct ap_logins *l)
{
	return l ? l->n : 0;
}

static void on_checked(struct lib_run *run, const struct lib_run_result *res, void *arg)
{
	struct check *c = arg;
	int matched;

	if (res->end == LIB_RUN_EXITED && (res->exit_code == 0 || res->exit_code == 1))
		matched = res->exit_code == 0;
	else if (res->end == LIB_RUN_TIMED_OUT || res->end == LIB_RUN_STUCK)
		matched = -ETIMEDOUT;
	else
		matched = -EIO;
	if (matched < 0)
		lib_warn("a console password check failed (%s)",
		         matched == -ETIMEDOUT ? "no answer in time" : "the child failed");
	unlink_check(c);
	c->fn(c->arg, matched);
	lib_run_destroy(run);
	free(c);
}

int ap_login_start(struct ap_logins *l, const char *crypt_hash, const char *pw, ap_login_fn fn,
                   void *arg)
{
	char in[LIB_CRYPT_MAX + LIB_PW_MAX + 8];
	const char *argv[] = {l->self_exe, "--check-password", NULL};
	struct check *c;
	int n, rc;

	if (!pw || strlen(pw) > LIB_PW_MAX || strchr(pw, '\n') ||
	    (crypt_hash && (strlen(crypt_hash) > LIB_CRYPT_MAX || strchr(crypt_hash, '\n'))))
		return -EINVAL;
	if (l->n >= AP_LOGIN_MAX)
		return -EBUSY;
	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	n = snprintf(in, sizeof(in), "%s\n%s\n", crypt_hash ? crypt_hash : "-", pw);
	if (n < 0 || (size_t)n >= sizeof(in)) {
		explicit_bzero(in, sizeof(in));
		free(c);
		return -EINVAL;
	}
	struct lib_run_opts o = {.argv = argv,
	                         .netns_fd = -1,
	                         .timeout_usec = AP_LOGIN_TIMEOUT_USEC,
	                         .out_fd = -1,
	                         .stdin_data = in};
	*c = (struct check){.l = l, .fn = fn, .arg = arg};
	rc = lib_run_start(l->ev, &o, on_checked, c, &c->run);
	explicit_bzero(in, sizeof(in));
	if (rc < 0) {
		lib_warn("cannot start a console password check: %s", strerror(-rc));
		free(c);
		return rc;
	}
	c->next = l->running;
	l->running = c;
	l->n++;
	return 0;
}

int ap_login_check_main(void)
{
	char in[LIB_CRYPT_MAX + LIB_PW_MAX + 8], nt[LIB_NTHASH_LEN + 1], dummy[LIB_CRYPT_MAX + 1];
	size_t len = 0;
	ssize_t r;
	int rc = 2;

	while (len < sizeof(in) - 1 &&
	       (r = read(STDIN_FILENO, in + len, sizeof(in) - 1 - len)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		len += (size_t)r;
	}
	in[len] = '\0';
	char *hash = in, *pw = strchr(in, '\n'), *end;
	if (!pw || !(end = strchr(pw + 1, '\n')) || end[1] != '\0')
		goto out;
	*pw++ = '\0';
	*end = '\0';
	if (strcmp(hash, "-") == 0) {
		/* An unknown account: the same work as a real check, then no. */
		rc = lib_pw_hash(pw, nt, dummy, NULL, 0) < 0 ? 2 : 1;
		explicit_bzero(nt, sizeof(nt));
	} else {
		int ok = lib_pw_verify(pw, hash);
		rc = ok < 0 ? 2 : ok ? 0 : 1;
	}
out:
	explicit_bzero(in, sizeof(in));
	return rc;
}
