/*
 * ap_login.h - a console password checked in a child, off applianced's
 * event loop.
 *
 * What it is for: a yescrypt check costs about 12 ms of CPU on purpose (it
 * is what makes a stolen hash expensive to guess). Done on the event loop,
 * a burst of logins would stall every vsadm request, the cluster protocol
 * and the port checks behind it. So applianced runs itself as
 * `applianced --check-password` through lib_run: the hash and the password
 * reach the child on its stdin (never argv, never the environment), the
 * child answers with its exit status, and the loop only waits for it.
 *
 *   exit 0   the password matches the hash
 *   exit 1   it does not (also for the dummy check of an unknown account)
 *   exit 2   the input was not "HASH\nPASSWORD\n" or the hash not yescrypt
 *
 * For an account that does not exist the caller passes hash NULL: the child
 * then computes a fresh yescrypt hash of the password, which costs what a
 * real check costs, and answers 1, so a refusal takes the same time whether
 * the name exists or not.
 *
 * At most AP_LOGIN_MAX checks run at once; beyond that ap_login_start says
 * -EBUSY and the caller refuses the login with a sentence (the web process
 * limits logins per address too, ap_weblimit.h).
 *
 * Memory: struct ap_logins is the caller's (create/destroy); a check's
 * state is freed when its callback has run, or by ap_logins_destroy (no
 * callback then). The password is copied into the child's stdin buffer and
 * wiped from this process's copies before ap_login_start returns.
 * Errors: 0 or a negative errno (-EBUSY, -ENOMEM, -EINVAL: a password longer
 * than LIB_PW_MAX or with a newline, which no login may have).
 */
#ifndef AP_LOGIN_H
#define AP_LOGIN_H

#include <stdint.h>
#include <systemd/sd-event.h>

#define AP_LOGIN_MAX 8
#define AP_LOGIN_TIMEOUT_USEC (10ULL * 1000000)

struct ap_logins;

/* matched: 1 the password is right, 0 wrong, negative errno the check
 * failed (the child could not run, or timed out). */
typedef void (*ap_login_fn)(void *arg, int matched);

int ap_logins_create(sd_event *ev, const char *self_exe, struct ap_logins **out);
void ap_logins_destroy(struct ap_logins *l);

/* Start a check of pw against crypt_hash (NULL: an unknown account's dummy
 * check). fn(arg, ...) is called once, from the event loop. */
int ap_login_start(struct ap_logins *l, const char *crypt_hash, const char *pw, ap_login_fn fn,
                   void *arg);

/* How many checks are running (for tests and `vsadm admin show`). */
int ap_logins_running(const struct ap_logins *l);

/* `applianced --check-password`: the child's main (reads stdin). */
int ap_login_check_main(void);

#endif
