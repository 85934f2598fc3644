/*
 * ap_msg_int.h - the field readers of the cluster message codec, shared by
 * its parts (ap_msg.c the messages, ap_msgmove.c the move journal), not by
 * anyone else: every other module goes through ap_msg.h.
 *
 * Each reader fetches one field of a decoded JSON object and refuses, with
 * one sentence naming the message type and the field, the wrong JSON type,
 * a value out of range or a string over its length or with characters its
 * kind may not hold. Memory: strings are copied into caller buffers of
 * max + 1 bytes; arrays and objects are borrowed from the JSON object.
 * Errors: 0, -EINVAL (malformed), -E2BIG (over a limit).
 */
#ifndef AP_MSG_INT_H
#define AP_MSG_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a reader is, for its sentence: the message type and the sentence. */
struct ap_mf_at {
	const char *type;
	char *err;
	size_t errlen;
};

enum ap_mf_kind {
	MF_NAME,          /* a node, VS or fs name: [A-Za-z][A-Za-z0-9_-]* */
	MF_NAME_OR_EMPTY, /* the same, or "" */
	MF_TEXT,          /* printable text, no control characters */
	MF_WORD,          /* a lower-case word (a state) */
	MF_PORT,          /* an interface name */
	MF_LUN,           /* LABEL=x or UUID=y */
};

bool ap_mf_is_name(const char *s, size_t max);
bool ap_mf_is_text(const char *s);
bool ap_mf_str_ok(const char *s, enum ap_mf_kind k, size_t max);
int ap_mf_str(const struct ap_mf_at *at, json_t *obj, const char *key, bool required,
              enum ap_mf_kind kind, char *buf, size_t max);
int ap_mf_int(const struct ap_mf_at *at, json_t *obj, const char *key, bool required, int64_t min,
              int64_t max, int64_t *out);
int ap_mf_u64(const struct ap_mf_at *at, json_t *obj, const char *key, bool required,
              uint64_t *out);
int ap_mf_bool(const struct ap_mf_at *at, json_t *obj, const char *key, bool *out);
/* A finite number (integer or real) in [min, max]. */
int ap_mf_num(const struct ap_mf_at *at, json_t *obj, const char *key, double min, double max,
              double *out);
int ap_mf_array(const struct ap_mf_at *at, json_t *obj, const char *key, bool required, size_t max,
                json_t **arr, int *n);
int ap_mf_object(const struct ap_mf_at *at, json_t *obj, const char *key, json_t **out);
/* calloc of n entries; NULL for n <= 0. */
void *ap_mf_alloc(int n, size_t size);

/* ap_msgmove.c: the "moves" of a 'place' message (at most AP_MSG_MAX_MOVES,
 * ids unique); *out is calloc'd (the message owns it). */
struct vs_move;
int ap_msg_dec_moves(const struct ap_mf_at *at, json_t *o, int *n, struct vs_move **out);

/* ap_msgload.c: the body of a 'load' message, decoded into m->load (lists
 * calloc'd, the message owns them), and encoded from it. */
struct ap_msg;
int ap_msg_dec_load(const struct ap_mf_at *at, json_t *o, struct ap_msg *m);
json_t *ap_msg_enc_load(const struct ap_msg *m);

#endif
