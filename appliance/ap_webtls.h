/*
 * ap_webtls.h - apweb follows the console certificate of the replicated
 * configuration (`vsadm cert set|reset`, issue 12).
 *
 * At start (ap_wt_initial, as root before root is left) apweb serves the
 * administrator's pair it kept in its state directory (ap_webcert.h) when
 * one is there and the validator takes it (ap_certcheck.h), else its own
 * self-signed one: so a restart while applianced cannot be reached serves
 * the administrator's certificate still.
 *
 * Then, at once and every AP_WT_PERIOD_USEC on a timer of its own, it asks
 * applianced for cert.get (given to the web process's uid alone, ap_ctl.h)
 * and decides (ap_wt_decide, pure):
 *   no answer (applianced down, refused, not JSON)        keep what is served
 *   the administrator's pair, refused by the validator    keep it; one log
 *                                                         line says why
 *   the administrator's pair, valid, another fingerprint  serve it
 *                                                         (ap_wh_set_cert)
 *                                                         and keep it in the
 *                                                         state directory
 *   none set while the administrator's is served          serve the
 *                                                         self-signed one
 *                                                         again, forget the
 *                                                         kept pair
 *   otherwise                                             keep
 * A switch closes the connections open on the old listener (ap_webhttp.h).
 * Each state is logged once, when it changes; never the key.
 *
 * Memory: the follower owns its call and timer; it borrows the server. The
 * key of a reply is wiped once used.
 * Errors: 0 or a negative errno (with a sentence in err for ap_wt_initial).
 */
#ifndef AP_WEBTLS_H
#define AP_WEBTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "appliance/ap_webcert.h"
#include "appliance/ap_webhttp.h"

#define AP_WT_PERIOD_USEC (5 * 1000000ULL)

enum ap_wt_action { AP_WT_KEEP, AP_WT_SERVE_ADMIN, AP_WT_SERVE_OWN };

/* answered: applianced said which certificate is set; admin_set: the
 * administrator's (admin_valid: the validator takes it, admin_fpr its
 * fingerprint); serving_admin / served_fpr: what is served now. */
enum ap_wt_action ap_wt_decide(bool answered, bool admin_set, bool admin_valid,
                               const char *admin_fpr, bool serving_admin, const char *served_fpr);

/* What apweb starts with, read as root before root is left: the pair to
 * serve now (the administrator's kept one when the validator takes it, else
 * the self-signed one), the self-signed pair (to go back to after a reset:
 * the web user may not reach the directory's path) and the state directory
 * opened (dirfd), where the administrator's pair is kept. */
struct ap_wt_start {
	char *cert, *key; /* to serve now */
	char fpr[AP_WC_FPR_LEN];
	bool admin;
	char *own_cert, *own_key; /* the self-signed pair */
	char own_fpr[AP_WC_FPR_LEN];
	int dirfd;
};

/* st is filled (all NULL and -1 on failure); wipe it with ap_wt_start_clear. */
int ap_wt_initial(const struct ap_wc_opts *own, struct ap_wt_start *st, char *err, size_t errlen);
void ap_wt_start_clear(struct ap_wt_start *st);

struct ap_wt_opts {
	const char *socket;        /* applianced's control socket */
	struct ap_wh *wh;          /* the server whose certificate follows */
	struct ap_wt_start *start; /* its own_cert, own_key and dirfd are taken */
};

struct ap_wt;

int ap_wt_create(sd_event *ev, const struct ap_wt_opts *o, struct ap_wt **out);
void ap_wt_destroy(struct ap_wt *wt);

#endif
