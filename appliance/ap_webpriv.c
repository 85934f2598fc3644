/*
 * ap_webpriv.c - apweb's drop of root (see ap_webpriv.h).
 */
#include "appliance/ap_webpriv.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int ap_wp_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid, char *err,
                 size_t errlen)
{
	struct passwd *pw;
	struct group *gr;

	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen, "There is no user named '%s' for the web process.", user);
		return errno ? -errno : -ENOENT;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "The web process's user must not be root.");
		return -EPERM;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group) {
		errno = 0;
		gr = getgrnam(group);
		if (!gr) {
			snprintf(err, errlen, "There is no group named '%s'.", group);
			return errno ? -errno : -ENOENT;
		}
		*gid = gr->gr_gid;
	}
	if (*gid == 0) {
		snprintf(err, errlen, "The web process's group must not be root's.");
		return -EPERM;
	}
	return 0;
}

int ap_wp_parse_capeff(const char *status, uint64_t *caps)
{
	const char *p = status;
	uint64_t v = 0;
	int digits = 0;

	while (p && strncmp(p, "CapEff:", 7) != 0) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return -EINVAL;
	for (p += 7; *p == ' ' || *p == '\t'; p++)
		;
	for (; *p && *p != '\n'; p++, digits++) {
		int d = *p >= '0' && *p <= '9'   ? *p - '0'
		        : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
		        : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
		                                 : -1;
		if (d < 0 || digits >= 16)
			return -EINVAL;
		v = v << 4 | (uint64_t)d;
	}
	if (!digits)
		return -EINVAL;
	*caps = v;
	return 0;
}

static int capeff(uint64_t *caps)
{
	char buf[8192];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return ap_wp_parse_capeff(buf, caps);
}

/* strict (we were root): the group and no supplementary one too; started
 * as the user, its groups are as its starter gave them. */
static int verify(uid_t uid, gid_t gid, bool strict, char *err, size_t errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	uint64_t caps = ~0ULL;
	int rc;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0) {
		snprintf(err, errlen, "Cannot read the process's ids: %s.", strerror(errno));
		return -errno;
	}
	if (ru != uid || eu != uid || su != uid ||
	    (strict && (rg != gid || eg != gid || sg != gid))) {
		snprintf(err, errlen, "The process's ids are not the web user's (uid %u, gid %u).",
		         (unsigned)uid, (unsigned)gid);
		return -EPERM;
	}
	if (strict && getgroups(0, NULL) != 0) {
		snprintf(err, errlen, "The process still has supplementary groups.");
		return -EPERM;
	}
	if (setuid(0) == 0 || seteuid(0) == 0) {
		snprintf(err, errlen, "The process could become root again.");
		return -EPERM;
	}
	if ((rc = capeff(&caps)) < 0 || caps != 0) {
		snprintf(err, errlen, "The process has capabilities left (CapEff %llx).",
		         (unsigned long long)caps);
		return rc < 0 ? rc : -EPERM;
	}
	return 0;
}

int ap_wp_drop(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	bool root = geteuid() == 0;

	if (root && (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	             setresuid(uid, uid, uid) < 0)) {
		snprintf(err, errlen, "Cannot become the web user (uid %u, gid %u): %s.",
		         (unsigned)uid, (unsigned)gid, strerror(errno));
		return -errno;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "Cannot forbid new privileges: %s.", strerror(errno));
		return -errno;
	}
	return verify(uid, gid, root, err, errlen);
}
