/*
 * ap_certcheck.h - the console's TLS certificate and key, checked (issue 12):
 * what `vsadm cert set` sends and what apweb loads are passed through this
 * one validator, with GnuTLS, so both refuse the same pairs with the same
 * sentence.
 *
 * Where the checks live. The pair is parsed here, in the processes that are
 * not root: vsadm (before sending, with the invoking user's rights) and
 * apweb (before serving, as the web user). applianced, which is root, never
 * parses X.509: it checks the form of what it is given (vs_tls.h: sizes,
 * PEM markers, the base64 alphabet, the canonical form written by
 * ap_cc_check) and computes the fingerprint from the DER bytes. A flaw in an
 * ASN.1 parser is therefore never reached as root, and applianced does not
 * link GnuTLS. apweb checks again what applianced hands it (a pair in the
 * replicated configuration came from some node's vsadm, of some version).
 *
 * A pair is accepted when:
 *   - the certificate text holds 1..AP_CC_CHAIN_MAX PEM certificates, the
 *     leaf first and each issued by the next (a chain is kept, in order);
 *   - the key text holds exactly one PEM private key, not encrypted: RSA of
 *     at least 2048 bits, ECDSA on P-256 or P-384, or Ed25519;
 *   - the key is the one of the leaf's public key;
 *   - every certificate is valid at `now` (not expired, not yet valid);
 *   - the leaf, if it has an extended key usage, has serverAuth (or any), and
 *     if it has a key usage, digitalSignature;
 *   - GnuTLS takes the pair as server credentials (what libmicrohttpd does).
 *
 * Errors name what is wrong in one sentence ("The key does not belong to the
 * certificate.", "The certificate expired on 2026-01-01.") and never quote
 * the key nor any text of the files.
 *
 * Memory: ap_cc_check returns the canonical PEM in *cert_out and *key_out
 * (malloc'd, owned by the caller; wipe the key with explicit_bzero before
 * free). Fields of struct ap_cc_info are fixed arrays; names taken from a
 * certificate are cut and made printable ASCII ('?' for the rest).
 * Errors: 0, or -EINVAL (refused), -E2BIG (too large or too many), -ENOMEM,
 * with the sentence in err.
 */
#ifndef AP_CERTCHECK_H
#define AP_CERTCHECK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "vserver/vs_tls.h"

#define AP_CC_FILE_MAX VS_TLS_CERT_MAX /* bytes of a file vsadm reads */
#define AP_CC_CHAIN_MAX VS_TLS_CHAIN_MAX
#define AP_CC_FPR_LEN VS_TLS_FPR_LEN

struct ap_cc_info {
	char subject[256], issuer[256];
	char sans[512]; /* "DNS:a, IP:192.0.2.5" ("" when none) */
	char key[32];   /* "ECDSA P-256", "RSA 3072", "Ed25519" ("" when unknown) */
	time_t not_before, not_after;
	char fpr[AP_CC_FPR_LEN]; /* "SHA256:" and 64 hex digits of the leaf's DER */
	int chain;               /* certificates after the leaf */
	bool self_signed;
};

/* The pair as read (len bytes each, no NUL inside); info may be NULL. */
int ap_cc_check(const char *cert, size_t cert_len, const char *key, size_t key_len, time_t now,
                char **cert_out, char **key_out, struct ap_cc_info *info, char *err, size_t errlen);

/* A certificate chain alone (cert.show's): its leaf described; the dates are
 * not judged. */
int ap_cc_describe(const char *cert, time_t now, struct ap_cc_info *info, char *err, size_t errlen);

/* "2026-01-01 17:00 UTC" */
void ap_cc_date(time_t t, char *buf, size_t len);

/* The description as JSON (a new reference): subject, names, issuer,
 * not_before, not_after (ISO 8601 UTC), fingerprint, key_type, chain,
 * self_signed. */
json_t *ap_cc_info_json(const struct ap_cc_info *info);

#endif
