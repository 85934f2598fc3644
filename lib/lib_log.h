/*
 * lib_log.h - the process log: one line per message on stderr.
 *
 * Every line carries a UTC timestamp with milliseconds, a level and the
 * program's own text. The daemons' stderr is their log file (the lab and the
 * systemd units redirect it); the administrator-facing event log is a
 * different thing, kept by the daemon in its state store.
 *
 * Stateless: no globals, safe to call from anywhere in a single thread.
 */
#ifndef LIB_LOG_H
#define LIB_LOG_H

enum lib_log_level { LIB_LOG_DEBUG = 0, LIB_LOG_INFO, LIB_LOG_WARN, LIB_LOG_ERR };

void lib_log(enum lib_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define lib_info(...) lib_log(LIB_LOG_INFO, __VA_ARGS__)
#define lib_warn(...) lib_log(LIB_LOG_WARN, __VA_ARGS__)
#define lib_err(...) lib_log(LIB_LOG_ERR, __VA_ARGS__)

/* The level for an event-log severity word ("error", "warning", else info). */
enum lib_log_level lib_log_level_of(const char *severity);

/* Current wall-clock time in microseconds since the epoch. */
long long lib_now_usec(void);

#endif
