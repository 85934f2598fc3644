/*
 * ap_roles.h - what each role of a console account may ask applianced
 * (DESIGN section 9, issue 12). Pure: a table, no state.
 *
 *   read-only  the show requests (ap_ctl_reads_only), except the accounts;
 *   operator   those, plus running things: start, stop, migrate, VIP
 *              migrate/revert, node evacuate/resume, fence check;
 *   admin      everything, the accounts included.
 *
 * applianced applies it to every request the web process makes for an
 * account (ap_ctl.h: "as"); vsadm's requests are gated by the socket's
 * groups instead. An unknown request is allowed to admins only (it is then
 * refused as unknown by the handler).
 *
 * Memory: none. Errors: none (a yes/no answer).
 */
#ifndef AP_ROLES_H
#define AP_ROLES_H

#include <stdbool.h>

#include "vserver/vs_model.h"

bool ap_role_allows(enum vs_role role, const char *cmd);

#endif
