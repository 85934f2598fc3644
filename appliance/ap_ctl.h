/*
 * ap_ctl.h - the control socket of applianced.
 *
 * A Unix stream socket; every request is one line of JSON
 * {"cmd": "...", "args": {...}} and gets one line of JSON back,
 * {"ok": true, "message": "...", "data": ...} or {"ok": false, "error": "..."}.
 * vsadm and (later) the unprivileged REST server are its clients.
 *
 * Who may do what: the peer's credentials (SO_PEERCRED, and its
 * supplementary groups from SO_PEERGROUPS, else /proc/PID/status) give it a
 * role on accept. Root and members of the admin group may do anything;
 * members of the socket group may only read (the commands of
 * ap_ctl_reads_only: show, event, ping); anyone else is refused at once.
 * A read-only client asking for a change gets one sentence naming the group
 * it needs, and nothing changes. The socket file is root:socket-group 0660
 * (0666 when a distinct admin group exists, so that its members can reach
 * it: the daemon's own check is the gate).
 *
 * The web process (apweb, issue 12) acts for console accounts: its requests
 * carry {"as": "NAME"}, the account it authenticated. That field is trusted
 * only on a connection whose peer uid is web_uid (has_web_uid set): from any
 * other peer a request with "as" is refused whole, one sentence, nothing
 * done. A trusted name reaches the handler as args "_as" (any "_as" a client
 * put in its args is removed first), and its requests pass the socket's
 * read-only gate: applianced checks the account's role itself (ap_roles.h).
 * `admin.login` (a password check) is taken only from the web uid and root;
 * `cert.get` (the console's certificate with its key) from the web uid
 * alone, never with "as" (ap_ctl_web_only). `setup.show` is a read;
 * `setup.apply` (the node's first setup, ap_setup.h) passes this gate from
 * the web uid too, and its handler takes it from root and the web uid alone,
 * never with "as".
 *
 * Bounded per client: a request line over AP_CTL_LINE_MAX is refused and the
 * connection closed; a client whose unsent replies pass AP_CTL_OUT_HIGH is
 * no longer read from (nor its queued requests handled) until it has read
 * them, so a client that never reads cannot grow the daemon.
 *
 * A request may be answered later (vsadm waits for a start to finish): the
 * handler keeps the connection id and calls ap_ctl_reply() when ready. A
 * connection that went away meanwhile is simply skipped.
 *
 * Memory: the server owns its connections; replies passed in are stolen.
 * Errors: 0 or a negative errno.
 */
#ifndef AP_CTL_H
#define AP_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#define AP_CTL_LINE_MAX (256 * 1024)
#define AP_CTL_OUT_HIGH (512 * 1024)
#define AP_CTL_CMD_MAX 32
#define AP_CTL_NO_GROUP ((gid_t)-1)
#define AP_CTL_MAX_GROUPS 256 /* more supplementary groups than this: refused */

struct ap_ctl_access {
	gid_t read_gid;         /* the socket group: its members may read; AP_CTL_NO_GROUP */
	gid_t admin_gid;        /* its members may change anything; AP_CTL_NO_GROUP */
	const char *read_group; /* their names, for messages (NULL when none) */
	const char *admin_group;
	bool has_web_uid; /* web_uid is the web process's: it may act for accounts */
	uid_t web_uid;
};

enum ap_ctl_role { AP_CTL_NONE, AP_CTL_READ, AP_CTL_ADMIN };

/* The role of a peer (pure): uid, primary gid and supplementary groups. */
enum ap_ctl_role ap_ctl_role(uid_t uid, gid_t gid, const gid_t *groups, int n_groups,
                             const struct ap_ctl_access *acc);
/* Is `cmd` a request that changes nothing (pure)? */
bool ap_ctl_reads_only(const char *cmd);
/* Is `cmd` a request for the web process alone (pure): cert.get, which
 * answers the console's private key. It is refused to every other peer,
 * root included, and to the web process acting for an account ("as"). */
bool ap_ctl_web_only(const char *cmd);
/* The groups of a "Groups:" line of /proc/PID/status text (pure): the count,
 * -EINVAL when there is no such line or it is malformed, -E2BIG over max. */
int ap_ctl_parse_groups(const char *status, gid_t *out, int max);

/* The "as" member of a request from uid (pure): 0 when there is none, 1 when
 * it is a trusted account name, -EPERM when uid may not act for an account,
 * -EINVAL when it is not a valid account name; err gets the sentence. */
int ap_ctl_check_as(uid_t uid, const struct ap_ctl_access *acc, const json_t *as, char *err,
                    size_t errlen);

struct ap_ctl;

/* Called for every request; must eventually call ap_ctl_reply(conn_id). */
typedef void (*ap_ctl_handler)(void *arg, uint64_t conn_id, uid_t uid, const char *cmd,
                               json_t *args);

/* acc is copied (names included). */
int ap_ctl_create(sd_event *ev, const char *path, const struct ap_ctl_access *acc,
                  ap_ctl_handler handler, void *arg, struct ap_ctl **out);
void ap_ctl_destroy(struct ap_ctl *ctl);
/* Steals `resp`. Returns -ENOENT if the connection is gone. */
int ap_ctl_reply(struct ap_ctl *ctl, uint64_t conn_id, json_t *resp);

/* Response helpers (new references). */
json_t *ap_ok(const char *message, json_t *data_stolen);
json_t *ap_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
