/*
 * ap_cli.h - the vsadm grammar (pure): words in, a control request out.
 *
 * One table describes every command: its words, positional arguments,
 * options and the control-socket command it becomes. The same table drives
 * parsing (one-shot and interactive), `vsadm help` and tab completion, so
 * they can never disagree.
 *
 * Memory: *req is a new JSON reference owned by the caller. Completion
 * returns pointers into static tables.
 * Errors: -EINVAL with one sentence in err (unknown command, missing or
 * extra argument, unknown option, bad number).
 */
#ifndef AP_CLI_H
#define AP_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct ap_cli_flags {
	bool json;   /* --json: print the data as JSON */
	bool follow; /* event show --follow */
	bool help;   /* the request is for help, nothing to send */
};

int ap_cli_parse(int argc, char *const *argv, json_t **req, struct ap_cli_flags *flags, char *err,
                 size_t errlen);
/* The full usage text, into buf (16 KiB is enough). */
void ap_cli_usage(char *buf, size_t len);
/* Candidates for the word at position `pos` given the words before it; calls
 * add() for each candidate starting with `prefix`. */
void ap_cli_complete(int pos, char *const *words, const char *prefix,
                     void (*add)(const char *word, void *arg), void *arg);
/* Split an interactive line into words (whitespace, '...' and "..." quotes,
 * backslash escapes). Returns the count or -EINVAL (unbalanced quote);
 * words point into the malloc'd *storage, freed by the caller. */
int ap_cli_split(const char *line, char ***words, char **storage);

#endif
