/*
 * ap_msgfield.c - the codec's field readers (see ap_msg_int.h).
 */
#include "appliance/ap_msg_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_msg.h"
#include "vserver/vs_err.h"

/* --- field readers ------------------------------------------------------------ */

static bool name_char(char ch, bool first)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
		return true;
	return !first && ((ch >= '0' && ch <= '9') || ch == '_' || ch == '-');
}

/* A node, VS or fs name: [A-Za-z][A-Za-z0-9_-]*, at most max. */
bool ap_mf_is_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i], i == 0))
			return false;
	return true;
}

/* Printable text: no control characters (jansson has checked UTF-8). */
bool ap_mf_is_text(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

bool ap_mf_str_ok(const char *s, enum ap_mf_kind k, size_t max)
{
	size_t n = strlen(s);

	if (n > max)
		return false;
	switch (k) {
	case MF_NAME:
		return ap_mf_is_name(s, max);
	case MF_NAME_OR_EMPTY:
		return n == 0 || ap_mf_is_name(s, max);
	case MF_TEXT:
		return ap_mf_is_text(s);
	case MF_WORD: /* a lower-case word: state names */
		if (n == 0)
			return false;
		for (size_t i = 0; i < n; i++)
			if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
				return false;
		return true;
	case MF_PORT: /* an interface name */
		if (n == 0 || strchr(s, '/') || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
			return false;
		for (size_t i = 0; i < n; i++)
			if (!(name_char(s[i], false) || s[i] == '.'))
				return false;
		return true;
	case MF_LUN: { /* LABEL=x or UUID=y, x and y printable without spaces */
		const char *v = strncmp(s, "LABEL=", 6) == 0  ? s + 6
		                : strncmp(s, "UUID=", 5) == 0 ? s + 5
		                                              : NULL;
		if (!v || !*v)
			return false;
		for (; *v; v++)
			if ((unsigned char)*v <= 0x20 || *v == 0x7f)
				return false;
		return true;
	}
	}
	return false;
}

/* An absent field: fine when optional (0), else refused. */
static int missing(const struct ap_mf_at *at, const char *key, bool required)
{
	if (!required)
		return 0;
	return vs_fail(-EINVAL, at->err, at->errlen, "A '%s' message has no '%s'.", at->type, key);
}

/* A string field into buf (size max+1). */
int ap_mf_str(const struct ap_mf_at *at, json_t *obj, const char *key, bool required,
              enum ap_mf_kind kind, char *buf, size_t max)
{
	json_t *v = json_object_get(obj, key);

	buf[0] = '\0';
	if (!v)
		return missing(at, key, required);
	if (!json_is_string(v))
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "The '%s' of a '%s' message is not a string.", key, at->type);
	if (json_string_length(v) > max)
		return vs_fail(-E2BIG, at->err, at->errlen,
		               "The '%s' of a '%s' message is longer than %zu characters.", key,
		               at->type, max);
	const char *s = json_string_value(v);
	if (strlen(s) != json_string_length(v) || !ap_mf_str_ok(s, kind, max))
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "The '%s' of a '%s' message holds characters it may not hold.", key,
		               at->type);
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

/* An integer field in [min, max]. */
int ap_mf_int(const struct ap_mf_at *at, json_t *obj, const char *key, bool required, int64_t min,
              int64_t max, int64_t *out)
{
	json_t *v = json_object_get(obj, key);

	*out = 0;
	if (!v)
		return missing(at, key, required);
	if (!json_is_integer(v))
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "The '%s' of a '%s' message is not an integer.", key, at->type);
	json_int_t i = json_integer_value(v);
	if (i < min || i > max)
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "The '%s' of a '%s' message is out of range.", key, at->type);
	*out = (int64_t)i;
	return 0;
}

int ap_mf_u64(const struct ap_mf_at *at, json_t *obj, const char *key, bool required, uint64_t *out)
{
	int64_t v;
	int rc = ap_mf_int(at, obj, key, required, 0, AP_MSG_SEQ_MAX, &v);

	*out = (uint64_t)v;
	return rc;
}

int ap_mf_bool(const struct ap_mf_at *at, json_t *obj, const char *key, bool *out)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_boolean(v))
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "The '%s' of a '%s' message is not true or false.", key, at->type);
	*out = json_is_true(v);
	return 0;
}

int ap_mf_num(const struct ap_mf_at *at, json_t *obj, const char *key, double min, double max,
              double *out)
{
	json_t *v = json_object_get(obj, key);
	double d;

	*out = 0;
	if (!json_is_number(v))
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "The '%s' of a '%s' message is not a number.", key, at->type);
	d = json_number_value(v);
	if (!isfinite(d) || d < min || d > max)
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "The '%s' of a '%s' message is out of range.", key, at->type);
	*out = d;
	return 0;
}

/* An array field of at most max entries; *n its size. */
int ap_mf_array(const struct ap_mf_at *at, json_t *obj, const char *key, bool required, size_t max,
                json_t **arr, int *n)
{
	json_t *v = json_object_get(obj, key);

	*arr = NULL;
	*n = 0;
	if (!v)
		return missing(at, key, required);
	if (!json_is_array(v))
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "The '%s' of a '%s' message is not a list.", key, at->type);
	if (json_array_size(v) > max)
		return vs_fail(-E2BIG, at->err, at->errlen,
		               "The '%s' of a '%s' message has more than %zu entries.", key,
		               at->type, max);
	*arr = v;
	*n = (int)json_array_size(v);
	return 0;
}

int ap_mf_object(const struct ap_mf_at *at, json_t *obj, const char *key, json_t **out)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_object(v))
		return vs_fail(-EINVAL, at->err, at->errlen,
		               "The '%s' of a '%s' message is not an object.", key, at->type);
	*out = v;
	return 0;
}

void *ap_mf_alloc(int n, size_t size)
{
	return n > 0 ? calloc((size_t)n, size) : NULL;
}
