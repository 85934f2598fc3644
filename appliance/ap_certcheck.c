/*
 * ap_certcheck.c - the console certificate's validator (see ap_certcheck.h).
 */
#include "appliance/ap_certcheck.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(int rc, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

void ap_cc_date(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(buf, len, "?");
}

static void day(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, len, "?");
}

/* Text from a certificate, made printable ASCII and cut to the buffer. */
static void shown(const unsigned char *s, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < len; i++)
		buf[o++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	buf[o] = '\0';
}

static void add_san(struct ap_cc_info *in, const char *kind, const char *text)
{
	size_t o = strlen(in->sans);

	if (o + strlen(kind) + strlen(text) + 4 < sizeof(in->sans))
		snprintf(in->sans + o, sizeof(in->sans) - o, "%s%s:%s", o ? ", " : "", kind, text);
}

static void describe_sans(gnutls_x509_crt_t crt, struct ap_cc_info *in)
{
	for (unsigned i = 0; i < 64; i++) {
		unsigned char v[256];
		char text[256];
		size_t vlen = sizeof(v);
		unsigned critical = 0;
		int t = gnutls_x509_crt_get_subject_alt_name(crt, i, v, &vlen, &critical);
		if (t == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (t == GNUTLS_SAN_DNSNAME || t == GNUTLS_SAN_RFC822NAME || t == GNUTLS_SAN_URI) {
			shown(v, vlen, text, sizeof(text));
			add_san(in,
			        t == GNUTLS_SAN_DNSNAME      ? "DNS"
			        : t == GNUTLS_SAN_RFC822NAME ? "email"
			                                     : "URI",
			        text);
		} else if (t == GNUTLS_SAN_IPADDRESS && (vlen == 4 || vlen == 16)) {
			if (inet_ntop(vlen == 4 ? AF_INET : AF_INET6, v, text, sizeof(text)))
				add_san(in, "IP", text);
		}
	}
}

static void describe_key(gnutls_x509_crt_t crt, struct ap_cc_info *in)
{
	unsigned bits = 0;
	int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
	gnutls_ecc_curve_t curve;

	if (pk == GNUTLS_PK_RSA)
		snprintf(in->key, sizeof(in->key), "RSA %u", bits);
	else if (pk == GNUTLS_PK_EDDSA_ED25519)
		snprintf(in->key, sizeof(in->key), "Ed25519");
	else if (pk == GNUTLS_PK_ECDSA &&
	         gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, NULL, NULL) >= 0)
		snprintf(in->key, sizeof(in->key), "ECDSA %s",
		         curve == GNUTLS_ECC_CURVE_SECP256R1   ? "P-256"
		         : curve == GNUTLS_ECC_CURVE_SECP384R1 ? "P-384"
		                                               : "(another curve)");
	else
		snprintf(in->key, sizeof(in->key), "%s",
		         gnutls_pk_get_name((gnutls_pk_algorithm_t)pk) ?: "?");
}

static void describe(gnutls_x509_crt_t *list, unsigned n, struct ap_cc_info *in)
{
	gnutls_datum_t d = {0};
	unsigned char dig[32];
	size_t dlen = sizeof(dig), o;

	memset(in, 0, sizeof(*in));
	if (gnutls_x509_crt_get_dn3(list[0], &d, 0) >= 0) {
		shown(d.data, d.size, in->subject, sizeof(in->subject));
		gnutls_free(d.data);
	}
	if (gnutls_x509_crt_get_issuer_dn3(list[0], &d, 0) >= 0) {
		shown(d.data, d.size, in->issuer, sizeof(in->issuer));
		gnutls_free(d.data);
	}
	describe_sans(list[0], in);
	describe_key(list[0], in);
	in->not_before = gnutls_x509_crt_get_activation_time(list[0]);
	in->not_after = gnutls_x509_crt_get_expiration_time(list[0]);
	if (gnutls_x509_crt_get_fingerprint(list[0], GNUTLS_DIG_SHA256, dig, &dlen) >= 0) {
		o = (size_t)snprintf(in->fpr, sizeof(in->fpr), "SHA256:");
		for (size_t i = 0; i < dlen && o + 3 <= sizeof(in->fpr); i++)
			o += (size_t)snprintf(in->fpr + o, sizeof(in->fpr) - o, "%02X", dig[i]);
	}
	in->chain = (int)n - 1;
	in->self_signed = gnutls_x509_crt_check_issuer(list[0], list[0]) == 1;
}

static void free_list(gnutls_x509_crt_t *list, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
}

/* The certificates of the text, leaf first, each issued by the next. */
static int import_chain(const char *cert, size_t len, gnutls_x509_crt_t **list, unsigned *n,
                        char *err, size_t errlen)
{
	gnutls_datum_t d = {(unsigned char *)cert, (unsigned)len};
	int grc;

	*list = NULL;
	*n = 0;
	if (len == 0 || memchr(cert, '\0', len) || !memmem(cert, len, "-----BEGIN ", 11))
		return fail(-EINVAL, err, errlen, "The certificate file holds no PEM certificate.");
	if (len > AP_CC_FILE_MAX)
		return fail(-E2BIG, err, errlen, "The certificate file is over %d KiB.",
		            AP_CC_FILE_MAX / 1024);
	grc = gnutls_x509_crt_list_import2(list, n, &d, GNUTLS_X509_FMT_PEM,
	                                   GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
	if (grc == GNUTLS_E_CERTIFICATE_LIST_UNSORTED)
		return fail(-EINVAL, err, errlen,
		            "The certificates are not in order: the server's first, then each "
		            "one's issuer.");
	if (grc == GNUTLS_E_MEMORY_ERROR)
		return fail(-ENOMEM, err, errlen, "Out of memory.");
	if (grc < 0 || *n == 0) {
		*list = NULL;
		*n = 0;
		return fail(-EINVAL, err, errlen,
		            "The certificate file holds no PEM certificate that can be read.");
	}
	if (*n > AP_CC_CHAIN_MAX) {
		unsigned have = *n;
		free_list(*list, *n);
		*list = NULL;
		*n = 0;
		return fail(-E2BIG, err, errlen,
		            "The certificate file holds %u certificates; at most %d are accepted.",
		            have, AP_CC_CHAIN_MAX);
	}
	return 0;
}

int ap_cc_describe(const char *cert, time_t now, struct ap_cc_info *info, char *err, size_t errlen)
{
	gnutls_x509_crt_t *list;
	unsigned n;
	int rc = import_chain(cert, cert ? strlen(cert) : 0, &list, &n, err, errlen);

	if (rc < 0)
		return rc;
	describe(list, n, info);
	free_list(list, n);
	return 0;
}

static int check_dates(gnutls_x509_crt_t *list, unsigned n, time_t now, char *err, size_t errlen)
{
	for (unsigned i = 0; i < n; i++) {
		time_t nb = gnutls_x509_crt_get_activation_time(list[i]);
		time_t na = gnutls_x509_crt_get_expiration_time(list[i]);
		char d[32], which[48] = "The certificate";
		if (i)
			snprintf(which, sizeof(which), "Certificate %u of the chain", i + 1);
		if (nb == (time_t)-1 || na == (time_t)-1)
			return fail(-EINVAL, err, errlen, "%s has no readable validity dates.",
			            which);
		if (na < now) {
			day(na, d, sizeof(d));
			return fail(-EINVAL, err, errlen, "%s expired on %s.", which, d);
		}
		if (nb > now) {
			day(nb, d, sizeof(d));
			return fail(-EINVAL, err, errlen, "%s is not valid before %s.", which, d);
		}
	}
	return 0;
}

static int check_usage(gnutls_x509_crt_t leaf, char *err, size_t errlen)
{
	unsigned ku = 0, critical = 0;
	bool has_eku = false, server = false;

	for (unsigned i = 0; i < 32; i++) {
		char oid[128];
		size_t len = sizeof(oid);
		int grc = gnutls_x509_crt_get_key_purpose_oid(leaf, i, oid, &len, &critical);
		if (grc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (grc < 0)
			return fail(-EINVAL, err, errlen,
			            "The certificate's extended key usage cannot be read.");
		has_eku = true;
		if (strcmp(oid, GNUTLS_KP_TLS_WWW_SERVER) == 0 || strcmp(oid, GNUTLS_KP_ANY) == 0)
			server = true;
	}
	if (has_eku && !server)
		return fail(-EINVAL, err, errlen,
		            "The certificate is not for TLS servers (its extended key usage has no "
		            "serverAuth).");
	if (gnutls_x509_crt_get_key_usage(leaf, &ku, &critical) >= 0 &&
	    !(ku & GNUTLS_KEY_DIGITAL_SIGNATURE))
		return fail(-EINVAL, err, errlen,
		            "The certificate's key usage does not allow digital signatures, which "
		            "TLS needs.");
	return 0;
}

/* One private key of an accepted kind. */
static int import_key(const char *key, size_t len, gnutls_x509_privkey_t *out, char *err,
                      size_t errlen)
{
	gnutls_datum_t d = {(unsigned char *)key, (unsigned)len};
	const char *p = key, *end = key + len;
	unsigned bits = 0, blocks = 0;
	int grc, pk;

	if (len == 0 || memchr(key, '\0', len))
		return fail(-EINVAL, err, errlen, "The key file holds no PEM private key.");
	if (len > VS_TLS_KEY_MAX)
		return fail(-E2BIG, err, errlen, "The key file is over %d KiB.",
		            VS_TLS_KEY_MAX / 1024);
	while (p < end && (p = memmem(p, (size_t)(end - p), "-----BEGIN ", 11))) {
		blocks++;
		p += 11;
	}
	if (blocks != 1)
		return fail(-EINVAL, err, errlen,
		            blocks ? "The key file must hold exactly one private key, and nothing "
		                     "else."
		                   : "The key file holds no PEM private key.");
	if (memmem(key, len, "ENCRYPTED", 9))
		return fail(-EINVAL, err, errlen,
		            "The private key is encrypted; give it decrypted (openssl pkey -in KEY "
		            "-out PLAIN).");
	if ((grc = gnutls_x509_privkey_init(out)) < 0)
		return fail(-ENOMEM, err, errlen, "Out of memory.");
	grc = gnutls_x509_privkey_import2(*out, &d, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN);
	if (grc < 0) {
		gnutls_x509_privkey_deinit(*out);
		*out = NULL;
		return fail(-EINVAL, err, errlen,
		            "The key file holds no private key that can be read.");
	}
	pk = gnutls_x509_privkey_get_pk_algorithm2(*out, &bits);
	bool ok = (pk == GNUTLS_PK_RSA && bits >= 2048) || pk == GNUTLS_PK_EDDSA_ED25519;
	if (pk == GNUTLS_PK_ECDSA) {
		gnutls_ecc_curve_t curve;
		gnutls_datum_t x = {0}, y = {0}, k = {0};
		if (gnutls_x509_privkey_export_ecc_raw(*out, &curve, &x, &y, &k) >= 0) {
			ok = curve == GNUTLS_ECC_CURVE_SECP256R1 ||
			     curve == GNUTLS_ECC_CURVE_SECP384R1;
			gnutls_free(x.data);
			gnutls_free(y.data);
			if (k.data)
				explicit_bzero(k.data, k.size);
			gnutls_free(k.data);
		}
	}
	if (!ok) {
		gnutls_x509_privkey_deinit(*out);
		*out = NULL;
		if (pk == GNUTLS_PK_RSA)
			return fail(-EINVAL, err, errlen,
			            "The RSA key has %u bits; at least 2048 are needed.", bits);
		return fail(-EINVAL, err, errlen,
		            "The key is of a kind not accepted: give RSA (2048 bits or more), "
		            "ECDSA on P-256 or P-384, or Ed25519.");
	}
	return 0;
}

static int same_key(gnutls_x509_crt_t leaf, gnutls_x509_privkey_t key)
{
	unsigned char a[64], b[64];
	size_t al = sizeof(a), bl = sizeof(b);

	if (gnutls_x509_crt_get_key_id(leaf, GNUTLS_KEYID_USE_SHA256, a, &al) < 0 ||
	    gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, b, &bl) < 0)
		return 0;
	return al == bl && memcmp(a, b, al) == 0;
}

/* The canonical texts: each certificate as GnuTLS writes it, the key as
 * PKCS#8 PEM, not encrypted. */
static int export_all(gnutls_x509_crt_t *list, unsigned n, gnutls_x509_privkey_t key,
                      char **cert_out, char **key_out)
{
	size_t len = 0;
	char *c = NULL;
	gnutls_datum_t d;

	for (unsigned i = 0; i < n; i++) {
		if (gnutls_x509_crt_export2(list[i], GNUTLS_X509_FMT_PEM, &d) < 0)
			goto nomem;
		char *nc = realloc(c, len + d.size + 1);
		if (!nc) {
			gnutls_free(d.data);
			goto nomem;
		}
		c = nc;
		memcpy(c + len, d.data, d.size);
		len += d.size;
		c[len] = '\0';
		gnutls_free(d.data);
	}
	if (gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
	                                      &d) < 0)
		goto nomem;
	*key_out = malloc(d.size + 1);
	if (*key_out) {
		memcpy(*key_out, d.data, d.size);
		(*key_out)[d.size] = '\0';
	}
	explicit_bzero(d.data, d.size);
	gnutls_free(d.data);
	if (!*key_out)
		goto nomem;
	*cert_out = c;
	return 0;
nomem:
	free(c);
	return -ENOMEM;
}

/* What libmicrohttpd will do with the pair: GnuTLS server credentials. */
static int gnutls_takes(const char *cert, const char *key)
{
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t c = {(unsigned char *)cert, (unsigned)strlen(cert)};
	gnutls_datum_t k = {(unsigned char *)key, (unsigned)strlen(key)};
	int grc;

	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return -ENOMEM;
	grc = gnutls_certificate_set_x509_key_mem(cred, &c, &k, GNUTLS_X509_FMT_PEM);
	gnutls_certificate_free_credentials(cred);
	return grc < 0 ? -EINVAL : 0;
}

int ap_cc_check(const char *cert, size_t cert_len, const char *key, size_t key_len, time_t now,
                char **cert_out, char **key_out, struct ap_cc_info *info, char *err, size_t errlen)
{
	gnutls_x509_crt_t *list = NULL;
	gnutls_x509_privkey_t pk = NULL;
	unsigned n = 0;
	int rc;

	*cert_out = *key_out = NULL;
	if (key && cert_len && memmem(cert, cert_len, "PRIVATE KEY-----", 16))
		return fail(-EINVAL, err, errlen,
		            "The certificate file holds a private key too: give the key in its own "
		            "file (--key).");
	if ((rc = import_chain(cert, cert_len, &list, &n, err, errlen)) < 0)
		return rc;
	if ((rc = import_key(key, key_len, &pk, err, errlen)) < 0)
		goto out;
	if (!same_key(list[0], pk)) {
		rc = fail(-EINVAL, err, errlen, "The key does not belong to the certificate.");
		goto out;
	}
	if ((rc = check_dates(list, n, now, err, errlen)) < 0 ||
	    (rc = check_usage(list[0], err, errlen)) < 0)
		goto out;
	if ((rc = export_all(list, n, pk, cert_out, key_out)) < 0) {
		fail(rc, err, errlen, "Out of memory.");
		goto out;
	}
	if (vs_tls_form_check(*cert_out, *key_out, err, errlen) < 0 ||
	    gnutls_takes(*cert_out, *key_out) < 0) {
		rc = fail(-EINVAL, err, errlen, "GnuTLS does not take this pair for a TLS server.");
		goto out;
	}
	if (info)
		describe(list, n, info);
out:
	if (rc < 0) {
		free(*cert_out);
		if (*key_out) {
			explicit_bzero(*key_out, strlen(*key_out));
			free(*key_out);
		}
		*cert_out = *key_out = NULL;
	}
	if (pk)
		gnutls_x509_privkey_deinit(pk);
	free_list(list, n);
	return rc;
}

json_t *ap_cc_info_json(const struct ap_cc_info *in)
{
	char nb[32], na[32];
	struct tm tm;

	if (!gmtime_r(&in->not_before, &tm) || !strftime(nb, sizeof(nb), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(nb, sizeof(nb), "?");
	if (!gmtime_r(&in->not_after, &tm) || !strftime(na, sizeof(na), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(na, sizeof(na), "?");
	json_t *sans = json_array();
	const char *p = in->sans;
	while (sans && *p) {
		const char *e = strstr(p, ", ");
		size_t l = e ? (size_t)(e - p) : strlen(p);
		json_array_append_new(sans, json_stringn(p, l));
		p += l + (e ? 2 : 0);
	}
	return json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:i, s:b}", "subject", in->subject,
	                 "names", sans ? sans : json_array(), "issuer", in->issuer, "not_before",
	                 nb, "not_after", na, "fingerprint", in->fpr, "key_type", in->key, "chain",
	                 in->chain, "self_signed", in->self_signed);
}
