/*
 * fuzz_tls.c - libFuzzer target: the form check applianced makes of a
 * console certificate and key sent by a client (vs_tls_form_check in
 * vserver/vs_tls.c; applianced parses no X.509, see ap_certcheck.h), and the
 * pair's way through the configuration (vs_tls_set, the fingerprint, JSON
 * out and back, the show document).
 *
 * Input: the certificate text, a NUL byte, the key text.
 * Checks: the result is 0, -EINVAL or -E2BIG; a refusal carries one
 * printable sentence that holds no PEM marker of a key; an accepted pair has
 * a fingerprint "SHA256:" and 64 hex digits, goes through JSON unchanged, and
 * its show document has no key.
 *
 * Memory: one configuration per input, freed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/common.h"
#include "vserver/vs_err.h"
#include "vserver/vs_json.h"
#include "vserver/vs_tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t cl = nul ? (size_t)(nul - data) : size;
	char *cert = fz_strndup(data, cl),
	     *key = fz_strndup(nul ? nul + 1 : data + size, nul ? size - cl - 1 : 0);
	char err[VS_ERR_LEN] = "", fpr[VS_TLS_FPR_LEN];
	struct vs_config a, b;
	int rc = vs_tls_form_check(cert, key, err, sizeof(err));

	fz_require(rc == 0 || rc == -EINVAL || rc == -E2BIG,
	           "vs_tls_form_check: an unexpected result");
	if (rc < 0) {
		fz_check_err(err, sizeof(err), true);
		fz_require(!strstr(err, "PRIVATE KEY-----"), "a refusal quotes the key's marker");
		fz_note("refused: %s", err);
		free(cert);
		free(key);
		return 0;
	}
	fz_require(vs_tls_fingerprint(cert, fpr, sizeof(fpr)) == 0,
	           "no fingerprint of a pair accepted");
	fz_require(strlen(fpr) == 7 + 64 && strncmp(fpr, "SHA256:", 7) == 0 &&
	               strspn(fpr + 7, "0123456789ABCDEF") == 64,
	           "a fingerprint not SHA256 and 64 hex digits");
	vs_config_init(&a);
	vs_config_init(&b);
	fz_require(vs_tls_set(&a, cert, key, err, sizeof(err)) == 0,
	           "vs_tls_set refused a checked pair");
	json_t *j = vs_config_to_json(&a), *show = vs_tls_show_json(&a);
	fz_require(vs_config_from_json(j, &b, err, sizeof(err)) == 0 && vs_config_equal(&a, &b),
	           "the pair did not come back from JSON the same");
	fz_require(show && !json_object_get(show, "key"), "the show document has the key");
	char *text = json_dumps(show, 0);
	fz_require(text && !strstr(text, "PRIVATE KEY"), "the show document has a key's text");
	fz_note("accepted: %s", fpr);
	free(text);
	json_decref(show);
	json_decref(j);
	vs_config_free(&a);
	vs_config_free(&b);
	free(cert);
	free(key);
	return 0;
}
