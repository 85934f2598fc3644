/*
 * nf_netns.h - named network namespaces for virtual servers.
 *
 * A VS lives in a network namespace named like `ip netns` does it: a file
 * /run/netns/NAME bind-mounted from the namespace, so iproute2 tools and
 * support engineers see it (`ip netns list`, `ip netns exec`). Creation and
 * deletion are done in-process (unshare + bind mount), with no command run.
 *
 * Threading: functions that enter a namespace temporarily (setns) restore the
 * caller's namespace before returning; call them from the single event-loop
 * thread only.
 * Errors: 0 or a negative errno; -EEXIST from create means it already exists
 * (callers that reconcile treat that as success).
 * Names: 1..64 characters, no '/', not "." or ".." (else -EINVAL). Only a
 * file with a namespace mounted on it counts: a bare file left by a crash
 * mid-create is "not existing" (exists 0, open -ENOENT) and create replaces it.
 */
#ifndef NF_NETNS_H
#define NF_NETNS_H

#define NF_NETNS_DIR "/run/netns"

int nf_netns_create(const char *name);
int nf_netns_delete(const char *name);
int nf_netns_exists(const char *name); /* 1, 0 */
/* Open the namespace file O_RDONLY|O_CLOEXEC; returns the fd or a negative errno. */
int nf_netns_open(const char *name);
/* Create a socket inside the namespace `nsfd` (setns there and back); it is
 * always made close-on-exec. Aborts only if the thread cannot get back. */
int nf_netns_socket(int nsfd, int domain, int type, int protocol);

#endif
