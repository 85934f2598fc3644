/*
 * ap_certcli.c - vsadm's cert set and show (see ap_certcli.h).
 */
#include "appliance/ap_certcli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_certcheck.h"
#include "lib/lib_fs.h"

/* A file of the user's, whole: 0, or -errno with the sentence. */
static int read_user_file(const char *what, const char *path, char **out, size_t *len, char *err,
                          size_t errlen)
{
	int rc = lib_read_secret(path, AP_CC_FILE_MAX, out, len);

	if (rc == -ELOOP)
		snprintf(err, errlen, "The %s file %s is a symbolic link; give the file itself.",
		         what, path);
	else if (rc == -EINVAL)
		snprintf(err, errlen, "The %s file %s is not a regular file.", what, path);
	else if (rc == -EFBIG)
		snprintf(err, errlen, "The %s file %s is over %d KiB.", what, path,
		         AP_CC_FILE_MAX / 1024);
	else if (rc < 0)
		snprintf(err, errlen, "Cannot read the %s file %s: %s.", what, path, strerror(-rc));
	return rc;
}

static void wipe(char *s, size_t n)
{
	if (s) {
		explicit_bzero(s, n);
		free(s);
	}
}

int ap_ccli_set_args(json_t *args, time_t now, char *err, size_t errlen)
{
	const char *cf = json_string_value(json_object_get(args, "cert_file"));
	const char *kf = json_string_value(json_object_get(args, "key_file"));
	char *cert = NULL, *key = NULL, *c2 = NULL, *k2 = NULL;
	size_t cl = 0, kl = 0;
	int rc;

	if (!cf || !kf)
		return snprintf(err, errlen, "Give --cert FILE and --key FILE."), -EINVAL;
	if ((rc = read_user_file("certificate", cf, &cert, &cl, err, errlen)) < 0)
		return rc;
	if ((rc = read_user_file("key", kf, &key, &kl, err, errlen)) < 0) {
		free(cert);
		return rc;
	}
	rc = ap_cc_check(cert, cl, key, kl, now, &c2, &k2, NULL, err, errlen);
	free(cert);
	wipe(key, kl);
	if (rc < 0)
		return rc;
	json_object_del(args, "cert_file");
	json_object_del(args, "key_file");
	if (json_object_set_new(args, "cert", json_string(c2)) < 0 ||
	    json_object_set_new(args, "key", json_string(k2)) < 0)
		rc = -ENOMEM, snprintf(err, errlen, "Out of memory.");
	free(c2);
	wipe(k2, strlen(k2));
	return rc;
}

json_t *ap_ccli_show(const json_t *data, time_t now)
{
	const char *src = json_string_value(json_object_get(data, "source"));
	const char *pem = json_string_value(json_object_get(data, "cert"));
	struct ap_cc_info in;
	char err[256];

	if (!src || strcmp(src, "administrator") != 0 || !pem)
		return json_pack("{s:s}", "source", "self-signed");
	if (ap_cc_describe(pem, now, &in, err, sizeof(err)) < 0)
		return json_pack("{s:s, s:s, s:s}", "source", "administrator", "fingerprint",
		                 json_string_value(json_object_get(data, "fingerprint")) ?: "?",
		                 "error", err);
	json_t *j = ap_cc_info_json(&in);
	if (j) {
		json_object_set_new(j, "source", json_string("administrator"));
		json_object_set_new(j, "cert", json_string(pem));
	}
	return j;
}

static const char *s(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k)) ?: "";
}

void ap_ccli_print(FILE *f, const json_t *j, time_t now)
{
	if (strcmp(s(j, "source"), "administrator") != 0) {
		fprintf(f, "Certificate:  each node's own, self-signed (made by its apweb at first "
		           "start).\n"
		           "              'vsadm cert set --cert FILE --key FILE' gives every node "
		           "one of yours.\n");
		return;
	}
	fprintf(f, "Certificate:  the administrator's (vsadm cert set), served by every node's "
	           "apweb\n");
	if (s(j, "error")[0]) {
		fprintf(f, "Fingerprint:  %s\nProblem:      %s\n", s(j, "fingerprint"),
		        s(j, "error"));
		return;
	}
	const json_t *names = json_object_get(j, "names"), *e;
	size_t i;
	fprintf(f, "Subject:      %s\n", s(j, "subject"));
	fprintf(f, "Names:        ");
	json_array_foreach(names, i, e) fprintf(f, "%s%s", i ? ", " : "", json_string_value(e));
	fprintf(f, "%s\n", json_array_size(names) ? "" : "(none)");
	fprintf(f, "Issuer:       %s%s\n", s(j, "issuer"),
	        json_is_true(json_object_get(j, "self_signed")) ? " (self-signed)" : "");
	fprintf(f, "Valid:        %s to %s", s(j, "not_before"), s(j, "not_after"));
	struct tm tm = {0};
	const char *na = s(j, "not_after");
	if (strptime(na, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		time_t end = timegm(&tm);
		if (end < now)
			fprintf(f, " (EXPIRED)");
		else
			fprintf(f, " (%lld days left)", (long long)((end - now) / 86400));
	}
	fprintf(f, "\nKey:          %s\n", s(j, "key_type"));
	fprintf(f, "Fingerprint:  %s\n", s(j, "fingerprint"));
	json_int_t chain = json_integer_value(json_object_get(j, "chain"));
	if (chain)
		fprintf(f, "Chain:        %lld more certificate%s after it\n", (long long)chain,
		        chain == 1 ? "" : "s");
}
