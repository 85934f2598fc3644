/*
 * ap_webpriv.h - apweb leaves root: the web user's ids, dropping to them
 * for good, and the check that nothing is left.
 *
 * Started as root, apweb reads its key, then calls ap_wp_drop(): no
 * supplementary groups (setgroups(0)), setgid, setuid, no new privileges
 * (PR_SET_NO_NEW_PRIVS), then it verifies: real, effective and saved ids
 * are the user's, no supplementary group, setuid(0) fails, and CapEff in
 * /proc/self/status is 0. Started as the user itself, ap_wp_drop() only
 * verifies (uids and CapEff; its groups are as its starter gave them, e.g.
 * the socket group as a supplementary one) and sets no-new-privileges. A failed check is an error:
 * apweb then exits rather than serve.
 *
 * Errors: 0 or a negative errno, with one sentence in err.
 */
#ifndef AP_WEBPRIV_H
#define AP_WEBPRIV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The uid of user, and the gid of group (NULL: the user's primary group). */
int ap_wp_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid, char *err,
                 size_t errlen);
int ap_wp_drop(uid_t uid, gid_t gid, char *err, size_t errlen);
/* The CapEff mask of /proc/PID/status text (pure): 0, or -EINVAL when there
 * is no such line or it is not hexadecimal. */
int ap_wp_parse_capeff(const char *status, uint64_t *caps);

#endif
