/*
 * lib_log.c - timestamped log lines on stderr (see lib_log.h).
 */
#include "lib/lib_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

enum lib_log_level lib_log_level_of(const char *severity)
{
	if (strcmp(severity, "error") == 0)
		return LIB_LOG_ERR;
	if (strcmp(severity, "warning") == 0)
		return LIB_LOG_WARN;
	return LIB_LOG_INFO;
}

long long lib_now_usec(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return 0;
	return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

void lib_log(enum lib_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	char stamp[32];
	long long now = lib_now_usec();
	time_t secs = (time_t)(now / 1000000);
	struct tm tm;
	va_list ap;

	if (!gmtime_r(&secs, &tm) || !strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm))
		stamp[0] = '\0';
	flockfile(stderr);
	fprintf(stderr, "%s.%03lldZ %s: ", stamp, (now / 1000) % 1000,
	        names[level <= LIB_LOG_ERR ? level : LIB_LOG_ERR]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}
