/*
 * ap_webcert.c - apweb's self-signed certificate (see ap_webcert.h).
 */
#include "appliance/ap_webcert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/lib_fs.h"
#include "lib/lib_log.h"

/* Not lib_read_file/lib_write_file: these run as root in a directory the
 * web user owns, so they must never follow a link it could have planted
 * (lib_read_secret: O_NOFOLLOW; O_EXCL on the temporary file), and they own
 * the files. */
static int read_file(const char *path, char **out)
{
	size_t len;

	return lib_read_secret(path, AP_WC_FILE_MAX, out, &len);
}

/* Writes to PATH.tmp (mode, owner), then renames it to PATH; PATH is
 * relative to the directory dirfd (AT_FDCWD: the current one). */
static int write_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                    uid_t uid, gid_t gid)
{
	char tmp[4096];
	int fd, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	(void)unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < len && rc == 0;) {
		ssize_t n = write(fd, (const char *)data + off, len - off);
		if (n < 0 && errno != EINTR)
			rc = -errno;
		else if (n > 0)
			off += (size_t)n;
	}
	if (rc == 0 && uid != (uid_t)-1 && fchown(fd, uid, gid) < 0)
		rc = -errno;
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(dirfd, tmp, dirfd, path) < 0)
		rc = -errno;
	if (rc < 0)
		(void)unlinkat(dirfd, tmp, 0);
	return rc;
}

static int write_file(const char *path, const void *data, size_t len, mode_t mode, uid_t uid,
                      gid_t gid)
{
	return write_at(AT_FDCWD, path, data, len, mode, uid, gid);
}

static int gt(int grc)
{
	return grc == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EINVAL;
}

static int export_pem(int (*fn)(void *, gnutls_x509_crt_fmt_t, gnutls_datum_t *), void *obj,
                      gnutls_datum_t *out)
{
	int grc = fn(obj, GNUTLS_X509_FMT_PEM, out);

	return grc < 0 ? gt(grc) : 0;
}

static int export_crt(void *c, gnutls_x509_crt_fmt_t f, gnutls_datum_t *d)
{
	return gnutls_x509_crt_export2(c, f, d);
}

static int export_key(void *k, gnutls_x509_crt_fmt_t f, gnutls_datum_t *d)
{
	return gnutls_x509_privkey_export2(k, f, d);
}

/* The certificate's fields other than the key (see the header). */
static int fill(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const struct ap_wc_opts *o)
{
	unsigned char serial[16], ip[16];
	time_t now = time(NULL);
	int grc, family = strchr(o->address, ':') ? AF_INET6 : AF_INET;
	size_t iplen = family == AF_INET6 ? 16 : 4;

	if ((grc = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial))) < 0)
		return grc;
	serial[0] &= 0x7f; /* a positive integer */
	if ((grc = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (grc = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) < 0 ||
	    (grc = gnutls_x509_crt_set_activation_time(crt, now - 3600)) < 0 ||
	    (grc = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)AP_WC_VALID_DAYS * 24 *
	                                                              3600)) < 0 ||
	    (grc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, o->node,
	                                         (unsigned)strlen(o->node))) < 0 ||
	    (grc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, o->node,
	                                                (unsigned)strlen(o->node),
	                                                GNUTLS_FSAN_APPEND)) < 0 ||
	    (grc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (grc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (grc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
	    (grc = gnutls_x509_crt_set_key(crt, key)) < 0)
		return grc;
	if (inet_pton(family, o->address, ip) == 1 &&
	    memcmp(ip, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", iplen) != 0 &&
	    (grc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip,
	                                                (unsigned)iplen, GNUTLS_FSAN_APPEND)) < 0)
		return grc;
	return gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
}

static int make(const struct ap_wc_opts *o, const char *cpath, const char *kpath, char *err,
                size_t errlen)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t kd = {0}, cd = {0};
	int rc, grc;

	if ((grc = gnutls_x509_privkey_init(&key)) < 0 ||
	    (grc = gnutls_x509_privkey_generate(
	         key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0 ||
	    (grc = gnutls_x509_crt_init(&crt)) < 0 || (grc = fill(crt, key, o)) < 0) {
		snprintf(err, errlen, "Cannot make a certificate: %s.", gnutls_strerror(grc));
		rc = gt(grc);
		goto out;
	}
	if ((rc = export_pem(export_key, key, &kd)) < 0 ||
	    (rc = export_pem(export_crt, crt, &cd)) < 0) {
		snprintf(err, errlen, "Cannot encode the new certificate.");
		goto out;
	}
	if ((rc = write_file(kpath, kd.data, kd.size, 0600, o->uid, o->gid)) < 0 ||
	    (rc = write_file(cpath, cd.data, cd.size, 0644, o->uid, o->gid)) < 0) {
		snprintf(err, errlen, "Cannot write the certificate into %s: %s.", o->dir,
		         strerror(-rc));
		goto out;
	}
	lib_info("apweb: made a self-signed certificate for %s in %s, valid %d days", o->node,
	         o->dir, AP_WC_VALID_DAYS);
out:
	if (kd.data) {
		explicit_bzero(kd.data, kd.size);
		gnutls_free(kd.data);
	}
	gnutls_free(cd.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return rc;
}

static int fingerprint(const char *pem, char *fpr, size_t len)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = {(unsigned char *)pem, (unsigned)strlen(pem)};
	unsigned char dig[32];
	size_t dlen = sizeof(dig);
	int grc;

	if ((grc = gnutls_x509_crt_init(&crt)) < 0)
		return gt(grc);
	grc = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM);
	if (grc >= 0)
		grc = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, dig, &dlen);
	gnutls_x509_crt_deinit(crt);
	if (grc < 0)
		return gt(grc);
	size_t o = (size_t)snprintf(fpr, len, "SHA256:");
	for (size_t i = 0; i < dlen && o + 3 <= len; i++)
		o += (size_t)snprintf(fpr + o, len - o, "%02X", dig[i]);
	return 0;
}

static int state_dir(const struct ap_wc_opts *o, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(o->dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "Cannot make the state directory %s: %s.", o->dir,
		         strerror(errno));
		return -errno;
	}
	if (lstat(o->dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "The state directory %s is not a directory.", o->dir);
		return -ENOTDIR;
	}
	if ((o->uid != (uid_t)-1 && chown(o->dir, o->uid, o->gid) < 0) || chmod(o->dir, 0700) < 0) {
		int rc = -errno;
		snprintf(err, errlen, "Cannot make %s the web user's, 0700: %s.", o->dir,
		         strerror(errno));
		return rc;
	}
	return 0;
}

int ap_wc_load_or_make(const struct ap_wc_opts *o, char **cert, char **key, char *fpr,
                       size_t fprlen, char *err, size_t errlen)
{
	char cpath[4096], kpath[4096];
	int rc;

	*cert = *key = NULL;
	if ((size_t)snprintf(cpath, sizeof(cpath), "%s/cert.pem", o->dir) >= sizeof(cpath) ||
	    (size_t)snprintf(kpath, sizeof(kpath), "%s/key.pem", o->dir) >= sizeof(kpath)) {
		snprintf(err, errlen, "The state directory's path is too long.");
		return -ENAMETOOLONG;
	}
	if ((rc = state_dir(o, err, errlen)) < 0)
		return rc;
	bool hc = access(cpath, F_OK) == 0, hk = access(kpath, F_OK) == 0;
	if (hc != hk) {
		snprintf(err, errlen, "%s has %s but not %s: put both back or remove it.", o->dir,
		         hc ? "cert.pem" : "key.pem", hc ? "key.pem" : "cert.pem");
		return -EINVAL;
	}
	if (!hc && (rc = make(o, cpath, kpath, err, errlen)) < 0)
		return rc;
	if ((rc = read_file(kpath, key)) < 0) {
		snprintf(err, errlen, "Cannot read %s: %s.", kpath, strerror(-rc));
		return rc;
	}
	if ((rc = read_file(cpath, cert)) < 0 || (rc = fingerprint(*cert, fpr, fprlen)) < 0) {
		snprintf(err, errlen, "Cannot read a certificate from %s: %s.", cpath,
		         strerror(-rc));
		free(*cert);
		*cert = NULL;
		explicit_bzero(*key, strlen(*key));
		free(*key);
		*key = NULL;
		return rc;
	}
	return 0;
}

static int admin_paths(const char *dir, char *cpath, char *kpath, size_t len)
{
	if ((size_t)snprintf(cpath, len, "%s/admin-cert.pem", dir) >= len ||
	    (size_t)snprintf(kpath, len, "%s/admin-key.pem", dir) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int ap_wc_admin_load(const char *dir, char **cert, char **key)
{
	char cpath[4096], kpath[4096];
	int rc;

	*cert = *key = NULL;
	if ((rc = admin_paths(dir, cpath, kpath, sizeof(cpath))) < 0)
		return rc;
	if ((rc = read_file(cpath, cert)) < 0)
		return rc;
	if ((rc = read_file(kpath, key)) < 0) {
		free(*cert);
		*cert = NULL;
	}
	return rc;
}

int ap_wc_admin_store(int dirfd, const char *cert, const char *key)
{
	int rc = write_at(dirfd, "admin-key.pem", key, strlen(key), 0600, (uid_t)-1, (gid_t)-1);

	return rc < 0 ? rc
	              : write_at(dirfd, "admin-cert.pem", cert, strlen(cert), 0600, (uid_t)-1,
	                         (gid_t)-1);
}

int ap_wc_admin_remove(int dirfd)
{
	if (unlinkat(dirfd, "admin-cert.pem", 0) < 0 && errno != ENOENT)
		return -errno;
	if (unlinkat(dirfd, "admin-key.pem", 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
