/*
 * lib_journal.h - the event log's entries also as structured journal
 * entries, when the process's stderr is journald's (a systemd unit).
 *
 * What it is for: an administrator of the image filters the node's journal
 * by field (`journalctl APPLIANCE_VS=vs1`, `journalctl
 * MESSAGE_ID=LIB_JOURNAL_EVENT_ID -p warning`) rather than grepping text.
 * Each entry has MESSAGE (the event's text, "VS: text" for a VS's),
 * PRIORITY (err 3, warning 4, info 6), SYSLOG_IDENTIFIER, MESSAGE_ID (one
 * id for every appliance event), APPLIANCE_NODE, APPLIANCE_VS (when about
 * a VS), APPLIANCE_SEVERITY and APPLIANCE_ACTOR (the console account, when a
 * change was made for one).
 *
 * Whether to: lib_journal_attached() says whether stderr is the journal's
 * stream (JOURNAL_STREAM names stderr's device and inode, as systemd sets
 * it), so a process under the lab or a terminal sends nothing.
 *
 * Values are the caller's strings, sent as they are (the journal protocol
 * takes any bytes in a field; a newline in MESSAGE stays in MESSAGE).
 * Stateless. Errors: 0 or the negative errno of sd_journal_send.
 */
#ifndef LIB_JOURNAL_H
#define LIB_JOURNAL_H

#include <stdbool.h>

/* The MESSAGE_ID of every appliance event (a random 128-bit id, fixed). */
#define LIB_JOURNAL_EVENT_ID "5b0c4f1e6a9d4e2f8c3b7a1d0e9f2c41"

bool lib_journal_attached(void);

struct lib_journal_event {
	const char *ident;    /* SYSLOG_IDENTIFIER, "applianced" */
	const char *node;     /* APPLIANCE_NODE */
	const char *vs;       /* APPLIANCE_VS; NULL or "" when about the node */
	const char *severity; /* "info", "warning", "error" */
	const char *actor;    /* APPLIANCE_ACTOR; NULL or "" for none */
	const char *message;
};

int lib_journal_event(const struct lib_journal_event *e);

#endif
