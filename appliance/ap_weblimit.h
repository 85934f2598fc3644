/*
 * ap_weblimit.h - the limits on console logins (issue 12). Pure: the caller
 * passes the clock (seconds) and tells each attempt's outcome.
 *
 *   per client address: at most addr_max attempts in a window of
 *     addr_window_s seconds (a fixed window that starts at the first
 *     attempt); more are refused (-EAGAIN) until the window ends;
 *   per account name: after fails_max failures in a row the name is locked
 *     for lock_s seconds (-EACCES), a success resets its count. A locked
 *     account is refused before its password is even checked, so a guess
 *     during the lock-out learns nothing.
 *
 * Both tables are bounded (AP_LIM_SLOTS entries); when one is full the
 * entry idle the longest gives its place (an attacker with very many
 * addresses can thus age out an address's count, never an account's lock:
 * locked accounts are kept while they are locked, and a new name is then
 * refused -EBUSY).
 *
 * Memory: the caller's struct. Errors: as above; 0 = may try.
 */
#ifndef AP_WEBLIMIT_H
#define AP_WEBLIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define AP_LIM_SLOTS 256
#define AP_LIM_KEY_MAX 64 /* an address's text, or a name; longer ones are cut */

struct ap_lim_cfg {
	int addr_max;
	uint64_t addr_window_s;
	int fails_max;
	uint64_t lock_s;
};
#define AP_LIM_DEFAULTS                                                                            \
	{                                                                                          \
		.addr_max = 10, .addr_window_s = 60, .fails_max = 5, .lock_s = 15 * 60             \
	}

struct ap_lim_entry {
	bool used;
	char key[AP_LIM_KEY_MAX + 1];
	int count;             /* attempts in the window / failures in a row */
	uint64_t start, until; /* window start / lock end */
	uint64_t seen;
};

struct ap_lim {
	struct ap_lim_cfg cfg;
	struct ap_lim_entry addr[AP_LIM_SLOTS], name[AP_LIM_SLOTS];
};

void ap_lim_init(struct ap_lim *l, const struct ap_lim_cfg *cfg);
/* May addr try to log in to name now? Counts the attempt against addr.
 * *retry_s: seconds until it may (when refused). */
int ap_lim_check(struct ap_lim *l, const char *addr, const char *name, uint64_t now,
                 uint64_t *retry_s);
/* The outcome of the attempt that was allowed. */
void ap_lim_result(struct ap_lim *l, const char *name, bool ok, uint64_t now);

#endif
