/*
 * lib_pwhash.c - a password's NT hash (nettle's MD4 over UTF-16LE) and its
 * yescrypt hash (libxcrypt), and the policy (see lib_pwhash.h).
 */
#include "lib/lib_pwhash.h"

#include <crypt.h>
#include <errno.h>
#include <nettle/md4.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
	return -EINVAL;
}

/* The next code point of UTF-8 s at *i (advanced), or -1 when malformed
 * (overlong forms, surrogates and values past U+10FFFF included). */
static long utf8_next(const unsigned char *s, size_t n, size_t *i)
{
	unsigned char c = s[*i];
	int len = c < 0x80             ? 1
	          : (c & 0xe0) == 0xc0 ? 2
	          : (c & 0xf0) == 0xe0 ? 3
	          : (c & 0xf8) == 0xf0 ? 4
	                               : 0;
	static const long min[] = {0, 0, 0x80, 0x800, 0x10000};
	long cp;

	if (!len || *i + (size_t)len > n)
		return -1;
	cp = len == 1 ? c : c & (0x7f >> len);
	for (int k = 1; k < len; k++) {
		if ((s[*i + (size_t)k] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[*i + (size_t)k] & 0x3f);
	}
	if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += (size_t)len;
	return cp;
}

int lib_pw_check(const char *pw, char *err, size_t errlen)
{
	size_t n = pw ? strlen(pw) : 0;

	if (n < LIB_PW_MIN)
		return fail(err, errlen, "A password has at least 8 characters.");
	if (n > LIB_PW_MAX)
		return fail(err, errlen, "A password has at most 256 bytes.");
	for (size_t i = 0; i < n;) {
		long cp = utf8_next((const unsigned char *)pw, n, &i);
		if (cp < 0)
			return fail(err, errlen, "A password must be valid UTF-8 text.");
		if (cp < 0x20 || cp == 0x7f)
			return fail(err, errlen, "A password must not hold control characters.");
	}
	return 0;
}

int lib_pw_hash(const char *pw, char *nt, char *crypt_out, char *err, size_t errlen)
{
	uint8_t u16[2 * 2 * LIB_PW_MAX], dig[MD4_DIGEST_SIZE];
	size_t n, m = 0;
	struct md4_ctx md;
	struct crypt_data cd;
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	int rc = lib_pw_check(pw, err, errlen);

	if (rc < 0)
		return rc;
	n = strlen(pw);
	for (size_t i = 0; i < n;) {
		long cp = utf8_next((const unsigned char *)pw, n, &i);
		if (cp >= 0x10000) { /* a surrogate pair */
			long v = cp - 0x10000, hi = 0xd800 + (v >> 10), lo = 0xdc00 + (v & 0x3ff);
			u16[m++] = (uint8_t)(hi & 0xff);
			u16[m++] = (uint8_t)(hi >> 8);
			u16[m++] = (uint8_t)(lo & 0xff);
			u16[m++] = (uint8_t)(lo >> 8);
		} else {
			u16[m++] = (uint8_t)(cp & 0xff);
			u16[m++] = (uint8_t)(cp >> 8);
		}
	}
	md4_init(&md);
	md4_update(&md, m, u16);
	md4_digest(&md, sizeof(dig), dig);
	explicit_bzero(u16, sizeof(u16));
	for (size_t i = 0; i < sizeof(dig); i++)
		snprintf(nt + 2 * i, 3, "%02X", dig[i]);
	explicit_bzero(dig, sizeof(dig));

	if (!crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt))) {
		if (err && errlen)
			snprintf(err, errlen, "Cannot make a salt for the password's hash.");
		return -EIO;
	}
	memset(&cd, 0, sizeof(cd));
	const char *h = crypt_rn(pw, salt, &cd, sizeof(cd));
	if (!h || h[0] == '*' || strlen(h) > LIB_CRYPT_MAX) {
		explicit_bzero(&cd, sizeof(cd));
		if (err && errlen)
			snprintf(err, errlen, "Cannot compute the password's yescrypt hash.");
		return -EIO;
	}
	snprintf(crypt_out, LIB_CRYPT_MAX + 1, "%s", h);
	explicit_bzero(&cd, sizeof(cd));
	return 0;
}

int lib_pw_verify(const char *pw, const char *crypt_hash)
{
	struct crypt_data cd;
	int ok;

	if (!crypt_hash || strncmp(crypt_hash, "$y$", 3) != 0)
		return -EINVAL;
	memset(&cd, 0, sizeof(cd));
	const char *h = crypt_rn(pw, crypt_hash, &cd, sizeof(cd));
	ok = h && h[0] != '*' && strcmp(h, crypt_hash) == 0;
	explicit_bzero(&cd, sizeof(cd));
	return ok;
}
