/*
 * ap_setup.h - first setup from the web console (issue 13 item 2, README
 * "First boot from a seed"): a node with no seed, no console account and no
 * cluster asks for its name, address, cluster role and first account.
 * Pure: the one-time setup code, its check and limit, and what a validated
 * seed given through the console makes (which parts applianced does at once,
 * which the seed units do at the next boot). applianced's requests around it
 * are ap_reqsetup.c; apweb's form is ap_setupform.h.
 *
 * The setup code: while the node needs setup, applianced keeps a code of
 * AP_SETUP_CODE_CHARS characters of an unambiguous alphabet (no 0/O, 1/I),
 * shown grouped "XXXX-XXXX" (40 bits), made from getrandom's bytes, in
 * memory and in a 0600 file of its run directory that the serial console's
 * report (appliance-console, root) prints. Whoever sends the setup must have
 * read it there: the first person on the network cannot claim the node, and
 * a cross-site request (which carries no session here) cannot either. The
 * code is never logged, never in an event, never in an answer.
 *
 * The check: a code given is compared with the one kept in constant time
 * (after upper-casing and dropping '-' and spaces: "abcd efgh" is typed
 * easily). After AP_SETUP_TRIES wrong codes in a row the code is replaced
 * (the caller makes the new one and says so in an event, never the code):
 * 5 guesses of 2^40 per code.
 *
 * The split (ap_setup_plan): applianced does at once what it can do live --
 * the first console account, and the cluster's create or join when the node
 * keeps its name (a cluster names this node as applianced knows it). The
 * node's name and addresses need the network phase of the seed units, which
 * runs before the network: they go, with the cluster when it could not be
 * made live, into a seed file where the units look (/boot/appliance-seed.json),
 * and the node restarts. That file never holds the account (made already);
 * it holds the join bundle only when the join waits for the restart.
 * A join takes the cluster's console accounts: it asks for none.
 *
 * Memory: the caller's structs; ap_setup_boot_seed's text is malloc'd.
 * Errors: 0, or -EINVAL with one sentence in err (never the code), -ENOMEM.
 */
#ifndef AP_SETUP_H
#define AP_SETUP_H

#include <stdbool.h>
#include <stddef.h>

#include "appliance/ap_seed.h"

#define AP_SETUP_CODE_CHARS 8
#define AP_SETUP_CODE_LEN (AP_SETUP_CODE_CHARS + 1) /* "XXXX-XXXX" */
#define AP_SETUP_TRIES 5
#define AP_SETUP_CODE_FILE "setup-code"                      /* in applianced's run directory */
#define AP_SETUP_ALPHABET "ABCDEFGHJKLMNPQRSTUVWXYZ23456789" /* 32 symbols */

struct ap_setup_code {
	char code[AP_SETUP_CODE_LEN + 1]; /* "" = none made yet */
	int wrong;                        /* wrong codes in a row against this one */
};

/* A new code from AP_SETUP_CODE_CHARS random bytes (each maps to one of the
 * 32 symbols without bias); the count of wrong ones starts again. */
void ap_setup_code_make(struct ap_setup_code *c, const unsigned char rnd[AP_SETUP_CODE_CHARS]);
/* Is given the code (constant time over the code's length)? */
bool ap_setup_code_equal(const char *want, const char *given);

enum ap_setup_verdict {
	AP_SETUP_RIGHT,     /* the code: the count starts again */
	AP_SETUP_WRONG,     /* wrong, counted */
	AP_SETUP_EXHAUSTED, /* wrong, the AP_SETUP_TRIES'th: make a new code now */
};
enum ap_setup_verdict ap_setup_code_check(struct ap_setup_code *c, const char *given);

/* What applying a seed from the console does, on the node named node_now. */
struct ap_setup_plan {
	bool admin_live;   /* the console account, now */
	bool cluster_live; /* the cluster's create or join, now */
	bool boot_seed;    /* a seed file for the units at the next boot */
	bool reboot;       /* the node restarts to apply it */
};

/* Refuses what the console may not ask (a bundle by file name, a join with an
 * account, a create or no cluster without one); else fills *p. */
int ap_setup_plan(const struct ap_seed *s, const char *node_now, struct ap_setup_plan *p, char *err,
                  size_t errlen);
/* The seed file's text for the plan: version, node, ports, and the cluster
 * when it is not made live; never the account. */
int ap_setup_boot_seed(const struct ap_seed *s, const struct ap_setup_plan *p, char **text);
/* The address the node will be reached at after the restart: its first
 * static address without prefix, "" when it takes one by DHCP (or keeps). */
void ap_setup_new_address(const struct ap_seed *s, char *buf, size_t len);

#endif
