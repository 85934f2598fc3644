/*
 * vs_tls.c - the console's certificate in the configuration (see vs_tls.h).
 */
#include "vserver/vs_tls.h"

#include <errno.h>
#include <nettle/sha2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib_b64.h"
#include "vserver/vs_err.h"

#define LINE_MAX_B64 76

static const char cert_begin[] = "-----BEGIN CERTIFICATE-----\n";
static const char cert_end[] = "-----END CERTIFICATE-----\n";
static const char key_begin[] = "-----BEGIN PRIVATE KEY-----\n";
static const char key_end[] = "-----END PRIVATE KEY-----\n";

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=';
}

/* One block at *p: begin, base64 lines, end. Its base64 joined into a
 * malloc'd *b64 when wanted. 0 and *p past the block, or -EINVAL. */
static int block(const char **p, const char *begin, const char *end, char **b64)
{
	const char *s = *p;
	size_t bl = strlen(begin), el = strlen(end), n = 0, cap = 0, lines = 0;
	char *out = NULL;

	if (strncmp(s, begin, bl) != 0)
		return -EINVAL;
	s += bl;
	while (*s && strncmp(s, end, el) != 0) {
		size_t len = 0;
		while (b64_char(s[len]))
			len++;
		if (len == 0 || len > LINE_MAX_B64 || s[len] != '\n') {
			free(out);
			return -EINVAL;
		}
		if (b64 && n + len + 1 > cap) {
			size_t want = cap ? cap * 2 : 4096;
			while (want < n + len + 1)
				want *= 2;
			char *nb = realloc(out, want);
			if (!nb) {
				free(out);
				return -ENOMEM;
			}
			out = nb;
			cap = want;
		}
		if (b64) {
			memcpy(out + n, s, len);
			n += len;
			out[n] = '\0';
		}
		s += len + 1;
		lines++;
	}
	if (!*s || lines == 0) {
		free(out);
		return -EINVAL;
	}
	*p = s + el;
	if (b64)
		*b64 = out;
	return 0;
}

/* The DER of one block's base64: a SEQUENCE (0x30) of at least 2 bytes. */
static int der_of(const char *b64, uint8_t **der, size_t *len)
{
	int rc = lib_b64_decode(b64, der, len);

	if (rc < 0)
		return rc;
	if (*len < 2 || (*der)[0] != 0x30) {
		free(*der);
		*der = NULL;
		return -EINVAL;
	}
	return 0;
}

/* Each block decodes; the first one's DER into *first (when wanted). */
static int blocks(const char *text, const char *begin, const char *end, int max, int *count,
                  uint8_t **first, size_t *first_len)
{
	const char *p = text;
	int n = 0, rc;

	while (*p) {
		char *b64 = NULL;
		uint8_t *der = NULL;
		size_t len = 0;
		if (n >= max)
			return -E2BIG;
		if ((rc = block(&p, begin, end, &b64)) < 0)
			return rc;
		rc = der_of(b64, &der, &len);
		free(b64);
		if (rc < 0)
			return rc;
		if (n == 0 && first) {
			*first = der;
			*first_len = len;
		} else {
			explicit_bzero(der, len);
			free(der);
		}
		n++;
	}
	*count = n;
	return n ? 0 : -EINVAL;
}

int vs_tls_form_check(const char *cert, const char *key, char *err, size_t errlen)
{
	int n = 0, rc;

	if (!cert || !*cert)
		return vs_fail(-EINVAL, err, errlen, "The request has no certificate.");
	if (!key || !*key)
		return vs_fail(-EINVAL, err, errlen, "The request has no private key.");
	if (strlen(cert) > VS_TLS_CERT_MAX)
		return vs_fail(-E2BIG, err, errlen, "The certificate is over %d KiB.",
		               VS_TLS_CERT_MAX / 1024);
	if (strlen(key) > VS_TLS_KEY_MAX)
		return vs_fail(-E2BIG, err, errlen, "The private key is over %d KiB.",
		               VS_TLS_KEY_MAX / 1024);
	rc = blocks(cert, cert_begin, cert_end, VS_TLS_CHAIN_MAX, &n, NULL, NULL);
	if (rc == -E2BIG)
		return vs_fail(rc, err, errlen, "A certificate chain has at most %d certificates.",
		               VS_TLS_CHAIN_MAX);
	if (rc == -ENOMEM)
		return vs_fail(rc, err, errlen, "Out of memory.");
	if (rc < 0)
		return vs_fail(-EINVAL, err, errlen,
		               "The certificate is not in the form vsadm sends (PEM certificates "
		               "alone); give it with 'vsadm cert set'.");
	rc = blocks(key, key_begin, key_end, 1, &n, NULL, NULL);
	if (rc == -ENOMEM)
		return vs_fail(rc, err, errlen, "Out of memory.");
	if (rc < 0)
		return vs_fail(-EINVAL, err, errlen,
		               "The private key is not in the form vsadm sends (one PKCS#8 PEM "
		               "key); give it with 'vsadm cert set'.");
	return 0;
}

int vs_tls_fingerprint(const char *cert, char *fpr, size_t len)
{
	const char *p = cert;
	char *b64 = NULL;
	uint8_t *der = NULL, dig[SHA256_DIGEST_SIZE];
	size_t dlen = 0, o;
	struct sha256_ctx ctx;
	int rc;

	if (!cert || len < VS_TLS_FPR_LEN)
		return -EINVAL;
	if ((rc = block(&p, cert_begin, cert_end, &b64)) < 0)
		return rc;
	rc = der_of(b64, &der, &dlen);
	free(b64);
	if (rc < 0)
		return rc;
	sha256_init(&ctx);
	sha256_update(&ctx, dlen, der);
	sha256_digest(&ctx, sizeof(dig), dig);
	free(der);
	o = (size_t)snprintf(fpr, len, "SHA256:");
	for (size_t i = 0; i < sizeof(dig); i++)
		o += (size_t)snprintf(fpr + o, len - o, "%02X", dig[i]);
	return 0;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

int vs_tls_set(struct vs_config *cfg, const char *cert, const char *key, char *err, size_t errlen)
{
	int rc = vs_tls_form_check(cert, key, err, errlen);

	if (rc < 0)
		return rc;
	if (cfg->tls_cert && strcmp(cfg->tls_cert, cert) == 0 && cfg->tls_key &&
	    strcmp(cfg->tls_key, key) == 0)
		return 1;
	char *c = strdup(cert), *k = strdup(key);
	if (!c || !k) {
		free(c);
		wipe_free(k);
		return vs_fail(-ENOMEM, err, errlen, "Out of memory.");
	}
	free(cfg->tls_cert);
	wipe_free(cfg->tls_key);
	cfg->tls_cert = c;
	cfg->tls_key = k;
	return 0;
}

int vs_tls_reset(struct vs_config *cfg)
{
	if (!cfg->tls_cert && !cfg->tls_key)
		return 1;
	free(cfg->tls_cert);
	wipe_free(cfg->tls_key);
	cfg->tls_cert = cfg->tls_key = NULL;
	return 0;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool vs_tls_equal(const struct vs_config *a, const struct vs_config *b)
{
	return str_eq(a->tls_cert, b->tls_cert) && str_eq(a->tls_key, b->tls_key);
}

json_t *vs_tls_show_json(const struct vs_config *cfg)
{
	char fpr[VS_TLS_FPR_LEN];

	if (!cfg->tls_cert || vs_tls_fingerprint(cfg->tls_cert, fpr, sizeof(fpr)) < 0)
		return json_pack("{s:s}", "source", "self-signed");
	return json_pack("{s:s, s:s, s:s}", "source", "administrator", "fingerprint", fpr, "cert",
	                 cfg->tls_cert);
}

json_t *vs_tls_to_json(const struct vs_config *cfg)
{
	if (!cfg->tls_cert || !cfg->tls_key)
		return NULL;
	return json_pack("{s:s, s:s}", "cert", cfg->tls_cert, "key", cfg->tls_key);
}

int vs_json_load_tls(const json_t *obj, struct vs_config *cfg, char *err, size_t errlen)
{
	if (!obj) {
		vs_tls_reset(cfg);
		return 0;
	}
	if (!json_is_object(obj))
		return vs_fail(-EINVAL, err, errlen, "The console certificate is malformed.");
	int rc = vs_tls_set(cfg, json_string_value(json_object_get(obj, "cert")),
	                    json_string_value(json_object_get(obj, "key")), err, errlen);
	return rc < 0 ? rc : 0;
}
