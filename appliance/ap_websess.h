/*
 * ap_websess.h - apweb's console sessions (issue 12): a bounded table in the
 * web process's memory. Pure: the caller passes the clock (seconds, any
 * monotonic origin) and the random bytes of each new session (getrandom),
 * so every decision is table-tested.
 *
 * A session is made at a successful login: a 256-bit id (the cookie's
 * value, 64 hex digits) and a 256-bit CSRF token (returned in the login's
 * body, required as X-CSRF-Token on every request that is not a GET/HEAD),
 * the account name and its role as applianced answered them. It ends at
 * logout, after `idle_s` without a request, or `max_s` after the login
 * whatever its use. A full table (AP_SESS_MAX live sessions) refuses a new
 * login (-ENOSPC) rather than push anyone out.
 *
 * Ids and tokens are compared in constant time; a lookup by a malformed id
 * (not 64 lower-case hex digits) finds nothing.
 *
 * Memory: the table is the caller's (ap_sess_init); lookups return pointers
 * into it, valid until the next call that changes it.
 * Errors: 0 or a negative errno.
 */
#ifndef AP_WEBSESS_H
#define AP_WEBSESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AP_SESS_MAX 256
#define AP_SESS_RAND 32                   /* bytes of an id, and of a token */
#define AP_SESS_HEX (2 * AP_SESS_RAND)    /* their text */
#define AP_SESS_IDLE_DEFAULT (15 * 60)    /* seconds */
#define AP_SESS_MAX_DEFAULT (8 * 60 * 60) /* seconds */
#define AP_SESS_NAME_MAX 31

struct ap_sess {
	bool used;
	char id[AP_SESS_HEX + 1];
	char csrf[AP_SESS_HEX + 1];
	char name[AP_SESS_NAME_MAX + 1];
	char role[16];
	uint64_t born, last; /* seconds */
};

struct ap_sess_table {
	uint64_t idle_s, max_s;
	struct ap_sess s[AP_SESS_MAX];
};

void ap_sess_init(struct ap_sess_table *t, uint64_t idle_s, uint64_t max_s);
/* A new session for name/role from 2 * AP_SESS_RAND random bytes: 0 and
 * *out, -ENOSPC when the table is full of live sessions, -EINVAL for a name
 * or role that does not fit. */
int ap_sess_new(struct ap_sess_table *t, const char *name, const char *role,
                const unsigned char rnd[2 * AP_SESS_RAND], uint64_t now, struct ap_sess **out);
/* The live session of this id (its use now counts), or NULL (expired ones
 * are dropped on the way). */
struct ap_sess *ap_sess_find(struct ap_sess_table *t, const char *id, uint64_t now);
/* Is the session of id alive at now? Unlike ap_sess_find, it does not
 * count as activity (an event stream keeps no session alive). */
bool ap_sess_alive(struct ap_sess_table *t, const char *id, uint64_t now);
void ap_sess_end(struct ap_sess_table *t, struct ap_sess *s);
/* Does token match the session's CSRF token (constant time)? */
bool ap_sess_csrf_ok(const struct ap_sess *s, const char *token);
/* Live sessions now. */
int ap_sess_count(struct ap_sess_table *t, uint64_t now);

#endif
