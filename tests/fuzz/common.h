/*
 * common.h - what the libFuzzer targets of tests/fuzz share: copying the
 * fuzzer's bytes into C strings, and cheap structural checks of generated
 * configuration text that catch an injection (a value that opened a new
 * line, block or section in the file it was written into).
 *
 * A check that fails is a finding: fz_require() prints one line naming it
 * and aborts, so libFuzzer records the input as a crash.
 *
 * Memory: fz_strndup() returns malloc'd text owned by the caller; the checks
 * only read. Errors: none returned; an allocation failure aborts (a fuzz
 * harness has no one to report it to).
 */
#ifndef FZ_COMMON_H
#define FZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Abort with "fuzz check failed: WHAT" when cond is false. */
#define fz_require(cond, what)                                                                     \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fz_fail(what, __FILE__, __LINE__);                                         \
	} while (0)

void fz_fail(const char *what, const char *file, int line);

/* With FUZZ_VERBOSE=1 in the environment, prints one line to stderr (what a
 * seed did: accepted, or the refusal's sentence), to maintain the corpora. */
void fz_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* data[0..len) as a NUL-terminated string (embedded NULs cut it short). */
char *fz_strndup(const uint8_t *data, size_t len);

/* An error sentence: non-empty, NUL-terminated within len and, if printable
 * is set, printable ASCII only (what a decoder of a peer's or the store's
 * bytes logs must not split a log line or carry terminal escapes). */
void fz_check_err(const char *err, size_t len, bool printable);

/* Every character printable ASCII, tab or newline. */
bool fz_text_clean(const char *text);

/* Braces balance (never below zero) outside double quotes; no quoted value
 * spans a newline or holds a brace or semicolon. For ganesha.conf and
 * keepalived.conf. */
bool fz_braces_ok(const char *text);

/* Lines (after leading tabs) that start with `prefix`. */
int fz_count_lines(const char *text, const char *prefix);

/* smb.conf: each line empty, a comment, "[name]" or "\tkey = value" with
 * key in [a-z0-9 ]. *sections gets the number of "[...]" lines. */
bool fz_smb_ok(const char *text, int *sections);

/* corosync.conf: each line (after tabs) empty, a comment, "}", "word {" or
 * "key: value" with a value free of whitespace and braces. */
bool fz_corosync_ok(const char *text);

/* The checks above on known good and known injected texts: aborts if one is
 * wrong, so a check that could never fail does not pass unnoticed. */
void fz_selftest(void);

#endif
