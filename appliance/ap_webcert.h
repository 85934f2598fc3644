/*
 * ap_webcert.h - apweb's TLS certificate and key, in its state directory.
 *
 * The directory is made 0700 if missing, and it and the files are owned by
 * the web user (uid, gid). At first start (no cert.pem nor key.pem) a
 * self-signed certificate is made with GnuTLS: an ECDSA P-256 key, SHA-256
 * signature, a random 16-byte serial, valid from one hour ago for
 * AP_WC_VALID_DAYS days, CN the node's name, subjectAltName the node's name
 * (DNS) and the listen address (IP) unless it is the wildcard, key usage
 * digitalSignature, extended key usage serverAuth, not a CA. key.pem is
 * written 0600 to a temporary name and renamed into place, cert.pem after
 * it; later starts reuse them (a half-made pair, one file without the
 * other, is refused with a sentence rather than replaced, since the
 * administrator may have put it there).
 *
 * Files are read with O_NOFOLLOW, at most AP_WC_FILE_MAX bytes each.
 *
 * Memory: *cert and *key are malloc'd PEM text owned by the caller (the key
 * should be wiped with explicit_bzero before free).
 * Errors: 0 or a negative errno, with one sentence in err.
 */
#ifndef AP_WEBCERT_H
#define AP_WEBCERT_H

#include <stddef.h>
#include <sys/types.h>

#define AP_WC_VALID_DAYS 825
#define AP_WC_FILE_MAX (64 * 1024)
#define AP_WC_FPR_LEN 96 /* "SHA256:" + 64 hex digits, NUL */

struct ap_wc_opts {
	const char *dir;
	const char *node;    /* for CN and the DNS name */
	const char *address; /* listen address (no port); "0.0.0.0"/"::" are not named */
	uid_t uid;           /* owner of the directory and files; (uid_t)-1 leaves it */
	gid_t gid;
};

int ap_wc_load_or_make(const struct ap_wc_opts *o, char **cert, char **key, char *fpr,
                       size_t fprlen, char *err, size_t errlen);

/* The administrator's pair apweb last served (`vsadm cert set`, ap_webtls.h),
 * kept in the same directory as admin-cert.pem and admin-key.pem, both 0600
 * and written by the web user to a temporary name and renamed (the key
 * first), so that apweb restarted while applianced cannot be reached serves
 * it again. load (at start, as root): 0, -ENOENT when none is kept (the
 * caller checks the pair: ap_certcheck.h). store and remove work on the
 * directory opened before root was left (dirfd: the web user may not reach
 * its path), remove gives 0 when none was there. */
int ap_wc_admin_load(const char *dir, char **cert, char **key);
int ap_wc_admin_store(int dirfd, const char *cert, const char *key);
int ap_wc_admin_remove(int dirfd);

#endif
