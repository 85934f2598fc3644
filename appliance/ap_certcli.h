/*
 * ap_certcli.h - vsadm's side of `vsadm cert set|show` (issue 12).
 *
 * cert set: the two files are read here, with the invoking user's rights
 * (O_NOFOLLOW, a regular file, at most AP_CC_FILE_MAX bytes each), checked
 * with the validator (ap_certcheck.h) and replaced in the request by the
 * canonical pair: the files' paths never reach applianced, and nothing is
 * sent when the pair is refused.
 *
 * cert show: applianced answers {source, fingerprint, cert} (vs_tls.h); the
 * certificate is described here (subject, names, issuer, validity), so
 * applianced parses no X.509. The description never holds the key (the
 * answer has none).
 *
 * Memory: ap_ccli_show returns a new reference. The key read is wiped
 * before its buffer is freed.
 * Errors: 0, or a negative errno with one sentence in err (never quoting
 * the files' text).
 */
#ifndef AP_CERTCLI_H
#define AP_CERTCLI_H

#include <jansson.h>
#include <stdio.h>
#include <time.h>

/* args {"cert_file", "key_file"} become {"cert", "key"}. */
int ap_ccli_set_args(json_t *args, time_t now, char *err, size_t errlen);
/* cert.show's data described (NULL: out of memory). */
json_t *ap_ccli_show(const json_t *data, time_t now);
/* That description for a person. */
void ap_ccli_print(FILE *f, const json_t *shown, time_t now);

#endif
