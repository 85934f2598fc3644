/*
 * lib_journal.c - event log entries as structured journal entries (see
 * lib_journal.h).
 */
#include "lib/lib_journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "lib/lib_log.h"

bool lib_journal_attached(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* One "NAME=value" field into f (bounded: a long value is cut). */
static void field(struct iovec *v, int *n, char *buf, size_t len, const char *name, const char *a,
                  const char *b, const char *c)
{
	int k = snprintf(buf, len, "%s=%s%s%s", name, a, b ? b : "", c ? c : "");

	if (k < 0)
		return;
	v[*n].iov_base = buf;
	v[*n].iov_len = (size_t)k < len ? (size_t)k : len - 1;
	(*n)++;
}

int lib_journal_event(const struct lib_journal_event *e)
{
	enum lib_log_level lv = lib_log_level_of(e->severity);
	const char *prio = lv == LIB_LOG_ERR ? "3" : lv == LIB_LOG_WARN ? "4" : "6";
	bool vs = e->vs && *e->vs, actor = e->actor && *e->actor;
	char msg[2048], f[7][160];
	struct iovec v[8];
	int n = 0;

	field(v, &n, msg, sizeof(msg), "MESSAGE", vs ? e->vs : "", vs ? ": " : "", e->message);
	field(v, &n, f[0], sizeof(f[0]), "PRIORITY", prio, NULL, NULL);
	field(v, &n, f[1], sizeof(f[1]), "SYSLOG_IDENTIFIER", e->ident, NULL, NULL);
	field(v, &n, f[2], sizeof(f[2]), "MESSAGE_ID", LIB_JOURNAL_EVENT_ID, NULL, NULL);
	field(v, &n, f[3], sizeof(f[3]), "APPLIANCE_NODE", e->node, NULL, NULL);
	field(v, &n, f[4], sizeof(f[4]), "APPLIANCE_SEVERITY", e->severity, NULL, NULL);
	if (vs)
		field(v, &n, f[5], sizeof(f[5]), "APPLIANCE_VS", e->vs, NULL, NULL);
	if (actor)
		field(v, &n, f[6], sizeof(f[6]), "APPLIANCE_ACTOR", e->actor, NULL, NULL);
	return sd_journal_sendv(v, n);
}
