/*
 * lib_b64.c - base64 encoding and strict decoding (see lib_b64.h).
 */
#include "lib/lib_b64.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int lib_b64_encode(const uint8_t *in, size_t len, char **out)
{
	size_t n = 4 * ((len + 2) / 3);
	char *o = malloc(n + 1), *p = o;

	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*p++ = alphabet[(v >> 18) & 63];
		*p++ = alphabet[(v >> 12) & 63];
		*p++ = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		*p++ = i + 2 < len ? alphabet[v & 63] : '=';
	}
	*p = '\0';
	*out = o;
	return 0;
}

int lib_b64_decode(const char *in, uint8_t **out, size_t *len)
{
	size_t n = strlen(in), k = 0;
	uint8_t *o;

	if (n % 4)
		return -EINVAL;
	o = malloc(n / 4 * 3 + 1);
	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < n; i += 4) {
		uint32_t v = 0;
		int pad = 0;
		for (int j = 0; j < 4; j++) {
			const char *c = strchr(alphabet, in[i + j]);
			if (in[i + j] == '=' && i + 4 == n && j >= 2) {
				pad++;
				v <<= 6;
				continue;
			}
			if (!c || !in[i + j] || pad) {
				free(o);
				return -EINVAL;
			}
			v = (v << 6) | (uint32_t)(c - alphabet);
		}
		o[k++] = (uint8_t)(v >> 16);
		if (pad < 2)
			o[k++] = (uint8_t)(v >> 8);
		if (pad < 1)
			o[k++] = (uint8_t)v;
	}
	*out = o;
	*len = k;
	return 0;
}
