/*
 * test_certcheck.c - the console certificate (issue 12): the validator
 * (ap_certcheck.h) over pairs made here with GnuTLS at test time (nothing
 * secret is checked in): a matching pair, a mismatched key, expired, not
 * yet valid, garbage, a chain in and out of order, weak and foreign keys,
 * an EKU without serverAuth, two keys, an encrypted key, a key inside the
 * certificate file; no refusal quotes the key. The model's form check
 * (vs_tls.h) on hostile texts; the pair in the configuration: JSON, delta,
 * copy, equality and the state store keep the key, the show document never
 * has it. Who may ask what (ap_ctl, ap_roles).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "appliance/ap_certcheck.h"
#include "appliance/ap_certcli.h"
#include "appliance/ap_cli.h"
#include "appliance/ap_ctl.h"
#include "appliance/ap_roles.h"
#include "vserver/vs_delta.h"
#include "vserver/vs_json.h"
#include "vserver/vs_store.h"
#include "vserver/vs_tls.h"

#define NOW ((time_t)1800000000) /* 2027-01-15 */
#define DAY 86400

static gnutls_x509_privkey_t key_new(gnutls_pk_algorithm_t pk, unsigned bits)
{
	gnutls_x509_privkey_t k;

	assert_int_equal(gnutls_x509_privkey_init(&k), 0);
	assert_true(gnutls_x509_privkey_generate(k, pk, bits, 0) >= 0);
	return k;
}

static gnutls_x509_privkey_t ec(gnutls_ecc_curve_t curve)
{
	return key_new(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(curve));
}

struct spec {
	time_t from, to;
	bool ca;
	const char *eku; /* NULL: serverAuth; "": none */
	const char *cn;
};

static unsigned serial_no = 1;

static gnutls_x509_crt_t crt_new(gnutls_x509_privkey_t key, const struct spec *s,
                                 gnutls_x509_crt_t issuer, gnutls_x509_privkey_t ikey)
{
	gnutls_x509_crt_t c;
	unsigned char serial[4] = {0, 0, 0, (unsigned char)serial_no++};

	assert_int_equal(gnutls_x509_crt_init(&c), 0);
	assert_int_equal(gnutls_x509_crt_set_version(c, 3), 0);
	assert_int_equal(gnutls_x509_crt_set_serial(c, serial, sizeof(serial)), 0);
	assert_int_equal(gnutls_x509_crt_set_activation_time(c, s->from), 0);
	assert_int_equal(gnutls_x509_crt_set_expiration_time(c, s->to), 0);
	assert_int_equal(gnutls_x509_crt_set_dn_by_oid(c, GNUTLS_OID_X520_COMMON_NAME, 0, s->cn,
	                                               (unsigned)strlen(s->cn)),
	                 0);
	if (!s->ca)
		assert_int_equal(gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_DNSNAME, s->cn,
		                                                      (unsigned)strlen(s->cn),
		                                                      GNUTLS_FSAN_APPEND),
		                 0);
	assert_int_equal(gnutls_x509_crt_set_basic_constraints(c, s->ca, -1), 0);
	assert_int_equal(gnutls_x509_crt_set_key_usage(c, s->ca ? GNUTLS_KEY_KEY_CERT_SIGN
	                                                        : GNUTLS_KEY_DIGITAL_SIGNATURE),
	                 0);
	if (!s->ca && (!s->eku || s->eku[0]))
		assert_int_equal(gnutls_x509_crt_set_key_purpose_oid(
		                     c, s->eku ? s->eku : GNUTLS_KP_TLS_WWW_SERVER, 0),
		                 0);
	assert_int_equal(gnutls_x509_crt_set_key(c, key), 0);
	gnutls_x509_privkey_t signer = ikey ? ikey : key;
	bool ed = gnutls_x509_privkey_get_pk_algorithm(signer) == GNUTLS_PK_EDDSA_ED25519;
	assert_true(gnutls_x509_crt_sign2(c, issuer ? issuer : c, signer,
	                                  ed ? GNUTLS_DIG_SHA512 : GNUTLS_DIG_SHA256, 0) >= 0);
	return c;
}

static char *pem_crt(gnutls_x509_crt_t c)
{
	gnutls_datum_t d;

	assert_true(gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_PEM, &d) >= 0);
	char *s = strndup((char *)d.data, d.size);
	gnutls_free(d.data);
	return s;
}

/* In the key's own legacy form (EC PRIVATE KEY, RSA PRIVATE KEY); Ed25519
 * has none (GnuTLS writes "UNKNOWN"): PKCS#8, as openssl writes it. */
static char *pem_key(gnutls_x509_privkey_t k)
{
	gnutls_datum_t d;

	if (gnutls_x509_privkey_get_pk_algorithm(k) == GNUTLS_PK_EDDSA_ED25519)
		assert_true(gnutls_x509_privkey_export2_pkcs8(k, GNUTLS_X509_FMT_PEM, NULL,
		                                              GNUTLS_PKCS_PLAIN, &d) >= 0);
	else
		assert_true(gnutls_x509_privkey_export2(k, GNUTLS_X509_FMT_PEM, &d) >= 0);
	char *s = strndup((char *)d.data, d.size);
	gnutls_free(d.data);
	return s;
}

static char *cat(const char *a, const char *b)
{
	char *s = malloc(strlen(a) + strlen(b) + 1);

	strcpy(s, a);
	strcat(s, b);
	return s;
}

static const struct spec valid = {NOW - DAY, NOW + 365 * DAY, false, NULL, "console.example.org"};

/* The fixture: a CA, a leaf it signed, a self-signed pair, a stray key. */
struct fx {
	gnutls_x509_privkey_t ca_key, leaf_key, self_key, other_key;
	gnutls_x509_crt_t ca, leaf, self;
	char *ca_pem, *leaf_pem, *self_pem, *leaf_key_pem, *self_key_pem, *other_key_pem;
};

static struct fx F;

static int setup(void **state)
{
	struct spec ca = {NOW - 10 * DAY, NOW + 3650 * DAY, true, "", "Example Test CA"};

	gnutls_global_init();
	F.ca_key = ec(GNUTLS_ECC_CURVE_SECP384R1);
	F.leaf_key = ec(GNUTLS_ECC_CURVE_SECP256R1);
	F.self_key = ec(GNUTLS_ECC_CURVE_SECP256R1);
	F.other_key = ec(GNUTLS_ECC_CURVE_SECP256R1);
	F.ca = crt_new(F.ca_key, &ca, NULL, NULL);
	F.leaf = crt_new(F.leaf_key, &valid, F.ca, F.ca_key);
	F.self = crt_new(F.self_key, &valid, NULL, NULL);
	F.ca_pem = pem_crt(F.ca);
	F.leaf_pem = pem_crt(F.leaf);
	F.self_pem = pem_crt(F.self);
	F.leaf_key_pem = pem_key(F.leaf_key);
	F.self_key_pem = pem_key(F.self_key);
	F.other_key_pem = pem_key(F.other_key);
	return 0;
}

static int teardown(void **state)
{
	gnutls_x509_crt_deinit(F.ca);
	gnutls_x509_crt_deinit(F.leaf);
	gnutls_x509_crt_deinit(F.self);
	gnutls_x509_privkey_deinit(F.ca_key);
	gnutls_x509_privkey_deinit(F.leaf_key);
	gnutls_x509_privkey_deinit(F.self_key);
	gnutls_x509_privkey_deinit(F.other_key);
	free(F.ca_pem);
	free(F.leaf_pem);
	free(F.self_pem);
	free(F.leaf_key_pem);
	free(F.self_key_pem);
	free(F.other_key_pem);
	gnutls_global_deinit();
	return 0;
}

/* A piece of the key's base64 that no sentence may hold. */
static void no_key_in(const char *text, const char *key_pem)
{
	const char *nl = strchr(key_pem, '\n');
	char piece[17];

	assert_null(strstr(text, "PRIVATE KEY-----"));
	if (!nl) /* not a key at all ("garbage"): not quoted either */
		return assert_null(strstr(text, key_pem));
	snprintf(piece, sizeof(piece), "%s", nl + 1);
	assert_null(strstr(text, piece));
}

static int check(const char *cert, const char *key, char *err, size_t errlen, struct ap_cc_info *in)
{
	char *c = NULL, *k = NULL;
	int rc = ap_cc_check(cert, strlen(cert), key, strlen(key), NOW, &c, &k, in, err, errlen);

	if (rc == 0) {
		assert_int_equal(vs_tls_form_check(c, k, NULL, 0), 0);
		assert_non_null(strstr(k, "-----BEGIN PRIVATE KEY-----\n"));
	} else {
		assert_null(c);
		assert_null(k);
		no_key_in(err, key);
	}
	free(c);
	free(k);
	return rc;
}

static void test_matching_pair(void **state)
{
	struct ap_cc_info in;
	char err[256] = "", fpr[VS_TLS_FPR_LEN], *c, *k;

	assert_int_equal(check(F.self_pem, F.self_key_pem, err, sizeof(err), &in), 0);
	assert_string_equal(in.subject, "CN=console.example.org");
	assert_string_equal(in.sans, "DNS:console.example.org");
	assert_string_equal(in.key, "ECDSA P-256");
	assert_true(in.self_signed);
	assert_int_equal(in.chain, 0);
	assert_int_equal(in.not_before, NOW - DAY);
	assert_int_equal(in.not_after, NOW + 365 * DAY);
	assert_int_equal(strlen(in.fpr), 7 + 64);
	/* The model's fingerprint (no X.509 parsed) is the validator's. */
	assert_int_equal(ap_cc_check(F.self_pem, strlen(F.self_pem), F.self_key_pem,
	                             strlen(F.self_key_pem), NOW, &c, &k, NULL, err, sizeof(err)),
	                 0);
	assert_int_equal(vs_tls_fingerprint(c, fpr, sizeof(fpr)), 0);
	assert_string_equal(fpr, in.fpr);
	/* The canonical form goes through again, unchanged. */
	char *c2, *k2;
	assert_int_equal(
	    ap_cc_check(c, strlen(c), k, strlen(k), NOW, &c2, &k2, NULL, err, sizeof(err)), 0);
	assert_string_equal(c, c2);
	assert_string_equal(k, k2);
	free(c);
	free(k);
	free(c2);
	free(k2);
	json_t *j = ap_cc_info_json(&in);
	assert_string_equal(json_string_value(json_object_get(j, "not_after")),
	                    "2028-01-15T08:00:00Z");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "names"), 0)),
	                    "DNS:console.example.org");
	json_decref(j);
}

static void test_refusals(void **state)
{
	struct spec expired = valid, later = valid, client = valid, noeku = valid;
	char err[256], want[128], d[16];
	struct ap_cc_info in;

	expired.from = NOW - 400 * DAY;
	expired.to = NOW - 30 * DAY;
	later.from = NOW + 2 * DAY;
	client.eku = GNUTLS_KP_TLS_WWW_CLIENT;
	noeku.eku = "";
	gnutls_x509_crt_t ce = crt_new(F.self_key, &expired, NULL, NULL);
	gnutls_x509_crt_t cl = crt_new(F.self_key, &later, NULL, NULL);
	gnutls_x509_crt_t cc = crt_new(F.self_key, &client, NULL, NULL);
	gnutls_x509_crt_t cn = crt_new(F.self_key, &noeku, NULL, NULL);
	char *pe = pem_crt(ce), *pl = pem_crt(cl), *pc = pem_crt(cc), *pn = pem_crt(cn);

	assert_int_equal(check(F.self_pem, F.other_key_pem, err, sizeof(err), &in), -EINVAL);
	assert_string_equal(err, "The key does not belong to the certificate.");

	time_t t = NOW - 30 * DAY;
	strftime(d, sizeof(d), "%Y-%m-%d", gmtime(&t));
	snprintf(want, sizeof(want), "The certificate expired on %s.", d);
	assert_int_equal(check(pe, F.self_key_pem, err, sizeof(err), &in), -EINVAL);
	assert_string_equal(err, want);
	t = NOW + 2 * DAY;
	strftime(d, sizeof(d), "%Y-%m-%d", gmtime(&t));
	snprintf(want, sizeof(want), "The certificate is not valid before %s.", d);
	assert_int_equal(check(pl, F.self_key_pem, err, sizeof(err), &in), -EINVAL);
	assert_string_equal(err, want);

	assert_int_equal(check(pc, F.self_key_pem, err, sizeof(err), &in), -EINVAL);
	assert_non_null(strstr(err, "serverAuth"));
	assert_int_equal(check(pn, F.self_key_pem, err, sizeof(err), &in), 0); /* no EKU: any */

	/* Garbage. */
	assert_int_equal(check("hello", F.self_key_pem, err, sizeof(err), &in), -EINVAL);
	assert_string_equal(err, "The certificate file holds no PEM certificate.");
	assert_int_equal(check("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
	                       F.self_key_pem, err, sizeof(err), &in),
	                 -EINVAL);
	assert_int_equal(check(F.self_pem, "garbage", err, sizeof(err), &in), -EINVAL);
	assert_string_equal(err, "The key file holds no PEM private key.");
	assert_int_equal(check(F.self_pem,
	                       "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
	                       err, sizeof(err), &in),
	                 -EINVAL);
	assert_string_equal(err, "The key file holds no private key that can be read.");
	/* A NUL inside. */
	char *c, *k;
	assert_int_equal(ap_cc_check(F.self_pem, strlen(F.self_pem) + 1, F.self_key_pem,
	                             strlen(F.self_key_pem), NOW, &c, &k, &in, err, sizeof(err)),
	                 -EINVAL);

	/* Two keys, a key in the certificate file. */
	char *two = cat(F.self_key_pem, F.other_key_pem), *both = cat(F.self_pem, F.self_key_pem);
	assert_int_equal(check(F.self_pem, two, err, sizeof(err), &in), -EINVAL);
	assert_string_equal(err,
	                    "The key file must hold exactly one private key, and nothing else.");
	assert_int_equal(check(both, F.self_key_pem, err, sizeof(err), &in), -EINVAL);
	assert_non_null(strstr(err, "holds a private key too"));
	no_key_in(err, F.self_key_pem);

	free(two);
	free(both);
	free(pe);
	free(pl);
	free(pc);
	free(pn);
	gnutls_x509_crt_deinit(ce);
	gnutls_x509_crt_deinit(cl);
	gnutls_x509_crt_deinit(cc);
	gnutls_x509_crt_deinit(cn);
}

static void test_chain(void **state)
{
	char *chain = cat(F.leaf_pem, F.ca_pem), *reversed = cat(F.ca_pem, F.leaf_pem);
	char err[256], *c, *k;
	struct ap_cc_info in;

	assert_int_equal(check(chain, F.leaf_key_pem, err, sizeof(err), &in), 0);
	assert_int_equal(in.chain, 1);
	assert_false(in.self_signed);
	assert_string_equal(in.issuer, "CN=Example Test CA");
	/* Kept whole, in order. */
	assert_int_equal(ap_cc_check(chain, strlen(chain), F.leaf_key_pem, strlen(F.leaf_key_pem),
	                             NOW, &c, &k, NULL, err, sizeof(err)),
	                 0);
	const char *second = strstr(c + 1, "-----BEGIN CERTIFICATE-----");
	assert_non_null(second);
	assert_null(strstr(second + 1, "-----BEGIN CERTIFICATE-----"));
	free(c);
	free(k);
	assert_int_equal(check(reversed, F.leaf_key_pem, err, sizeof(err), &in), -EINVAL);
	assert_non_null(strstr(err, "not in order"));
	/* The CA's key for the leaf. */
	char *ca_key = pem_key(F.ca_key);
	assert_int_equal(check(chain, ca_key, err, sizeof(err), &in), -EINVAL);
	free(ca_key);
	assert_string_equal(err, "The key does not belong to the certificate.");
	/* More than AP_CC_CHAIN_MAX. */
	char *many = strdup(F.self_pem);
	for (int i = 0; i < AP_CC_CHAIN_MAX; i++) {
		char *m = cat(many, F.self_pem);
		free(many);
		many = m;
	}
	assert_true(check(many, F.self_key_pem, err, sizeof(err), &in) < 0);
	free(many);
	free(chain);
	free(reversed);
}

static void test_key_kinds(void **state)
{
	static const struct {
		gnutls_pk_algorithm_t pk;
		unsigned bits;
		int want;
		const char *kind;
	} t[] = {
	    {GNUTLS_PK_RSA, 1024, -EINVAL, NULL},
	    {GNUTLS_PK_RSA, 2048, 0, "RSA 2048"},
	    {GNUTLS_PK_EDDSA_ED25519, 256, 0, "Ed25519"},
	    {GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP384R1), 0, "ECDSA P-384"},
	    {GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP521R1), -EINVAL, NULL},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		gnutls_x509_privkey_t k = key_new(t[i].pk, t[i].bits);
		gnutls_x509_crt_t c = crt_new(k, &valid, NULL, NULL);
		char *pc = pem_crt(c), *pk = pem_key(k), err[256];
		struct ap_cc_info in;
		int rc = check(pc, pk, err, sizeof(err), &in);
		print_message("%zu: %d %s\n", i, rc, rc ? err : in.key);
		assert_int_equal(rc, t[i].want);
		if (rc == 0)
			assert_string_equal(in.key, t[i].kind);
		else if (t[i].pk == GNUTLS_PK_RSA)
			assert_string_equal(err,
			                    "The RSA key has 1024 bits; at least 2048 are needed.");
		else
			assert_non_null(strstr(err, "not accepted"));
		free(pc);
		free(pk);
		gnutls_x509_crt_deinit(c);
		gnutls_x509_privkey_deinit(k);
	}
	/* Encrypted. */
	gnutls_datum_t d;
	assert_true(gnutls_x509_privkey_export2_pkcs8(F.self_key, GNUTLS_X509_FMT_PEM, "secret",
	                                              GNUTLS_PKCS_PBES2_AES_256, &d) >= 0);
	char *enc = strndup((char *)d.data, d.size), err[256];
	gnutls_free(d.data);
	assert_int_equal(check(F.self_pem, enc, err, sizeof(err), NULL), -EINVAL);
	assert_non_null(strstr(err, "encrypted"));
	free(enc);
}

/* The model's own check of what reaches applianced. */
static void test_form(void **state)
{
	char *c, *k, err[256];
	assert_int_equal(ap_cc_check(F.self_pem, strlen(F.self_pem), F.self_key_pem,
	                             strlen(F.self_key_pem), NOW, &c, &k, NULL, err, sizeof(err)),
	                 0);
	char *lead = cat("junk\n", c), *trail = cat(c, "x"), *crlf = strdup(c), *rsa = strdup(k);
	char *b = strstr(crlf, "\n");
	*b = '\r';
	memcpy(strstr(rsa, "PRIVATE KEY-----"), "PRIVATE KEX-----", 16);
	char *two_keys = cat(k, k), *dollar = strdup(c);
	dollar[40] = '$';
	const struct {
		const char *cert, *key;
		int want;
	} t[] = {
	    {c, k, 0},
	    {lead, k, -EINVAL},
	    {trail, k, -EINVAL},
	    {crlf, k, -EINVAL},
	    {dollar, k, -EINVAL},
	    {c, rsa, -EINVAL},
	    {c, two_keys, -EINVAL},
	    {"", k, -EINVAL},
	    {c, "", -EINVAL},
	    {NULL, k, -EINVAL},
	    {c, NULL, -EINVAL},
	    {"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", k, -EINVAL},
	    {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", k, -EINVAL},
	    {"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n", k, 0},
	    {"-----BEGIN CERTIFICATE-----\nMAA=\n", k, -EINVAL},
	    {k, k, -EINVAL},
	    {c, c, -EINVAL},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = vs_tls_form_check(t[i].cert, t[i].key, err, sizeof(err));
		print_message("%zu: %d %s\n", i, rc, rc ? err : "");
		assert_int_equal(rc, t[i].want);
		if (rc)
			no_key_in(err, k);
	}
	/* Too many, too long. */
	char *nine = strdup("");
	for (int i = 0; i <= VS_TLS_CHAIN_MAX; i++) {
		char *m =
		    cat(nine, "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n");
		free(nine);
		nine = m;
	}
	assert_int_equal(vs_tls_form_check(nine, k, err, sizeof(err)), -E2BIG);
	char *big = malloc(VS_TLS_CERT_MAX + 2);
	memset(big, 'A', VS_TLS_CERT_MAX + 1);
	big[VS_TLS_CERT_MAX + 1] = '\0';
	assert_int_equal(vs_tls_form_check(big, k, err, sizeof(err)), -E2BIG);
	free(big);
	free(nine);
	free(lead);
	free(trail);
	free(crlf);
	free(rsa);
	free(two_keys);
	free(dollar);
	free(c);
	free(k);
}

/* The pair in the configuration: what keeps the key, what never shows it. */
static void test_config(void **state)
{
	struct vs_config a, b, d;
	char *c, *k, err[256], path[] = "/tmp/test_certcheck.XXXXXX";

	assert_int_equal(ap_cc_check(F.self_pem, strlen(F.self_pem), F.self_key_pem,
	                             strlen(F.self_key_pem), NOW, &c, &k, NULL, err, sizeof(err)),
	                 0);
	vs_config_init(&a);
	vs_config_init(&b);
	vs_config_init(&d);
	assert_int_equal(vs_tls_set(&a, c, k, err, sizeof(err)), 0);
	assert_int_equal(vs_tls_set(&a, c, k, err, sizeof(err)), 1); /* the same: nothing */
	assert_int_equal(vs_tls_set(&a, "x", k, err, sizeof(err)), -EINVAL);
	assert_string_equal(a.tls_key, k); /* unchanged by the refusal */
	a.version = 7;

	/* JSON round trip (replication's full document). */
	json_t *j = vs_config_to_json(&a);
	assert_int_equal(vs_config_from_json(j, &b, err, sizeof(err)), 0);
	json_decref(j);
	assert_true(vs_config_equal(&a, &b));
	assert_string_equal(b.tls_key, k);
	assert_string_equal(b.tls_cert, c);

	/* Show: the fingerprint and certificate, never the key. */
	json_t *show = vs_tls_show_json(&a);
	char *text = json_dumps(show, 0);
	assert_string_equal(json_string_value(json_object_get(show, "source")), "administrator");
	assert_null(json_object_get(show, "key"));
	no_key_in(text, k);
	no_key_in(text, F.self_key_pem);
	free(text);
	json_decref(show);

	/* Delta: set, then reset (null), through apply. */
	struct vs_config empty, out;
	vs_config_init(&empty);
	vs_config_init(&out);
	json_t *delta = vs_config_delta(&empty, &a);
	assert_non_null(json_object_get(delta, "tls"));
	assert_int_equal(vs_config_apply_delta(&empty, delta, &out, err, sizeof(err)), 0);
	assert_string_equal(out.tls_key, k);
	json_decref(delta);
	assert_int_equal(vs_config_copy(&d, &out), 0);
	assert_int_equal(vs_tls_reset(&d), 0);
	assert_int_equal(vs_tls_reset(&d), 1);
	d.version = 9;
	delta = vs_config_delta(&out, &d);
	assert_true(json_is_null(json_object_get(delta, "tls")));
	struct vs_config out2;
	vs_config_init(&out2);
	assert_int_equal(vs_config_apply_delta(&out, delta, &out2, err, sizeof(err)), 0);
	assert_null(out2.tls_cert);
	assert_null(out2.tls_key);
	assert_false(vs_config_equal(&out, &out2));
	json_decref(delta);
	/* A delta of something else carries no tls. */
	struct vs_config e2;
	vs_config_init(&e2);
	assert_int_equal(vs_config_copy(&e2, &a), 0);
	e2.version = 8;
	delta = vs_config_delta(&a, &e2);
	assert_null(json_object_get(delta, "tls"));
	json_decref(delta);
	/* A hostile delta's pair is form-checked. */
	delta = json_pack("{s:I, s:[], s:[], s:{s:s, s:s}}", "version", (json_int_t)10, "vservers",
	                  "deleted", "tls", "cert", "junk", "key", k);
	assert_int_equal(vs_config_apply_delta(&a, delta, &out2, err, sizeof(err)), -EINVAL);
	no_key_in(err, k);
	json_decref(delta);

	/* The state store keeps it. */
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	struct vs_store *st;
	struct vs_config back;
	vs_config_init(&back);
	assert_int_equal(vs_store_open(path, &st), 0);
	assert_int_equal(vs_store_save_config(st, &a), 0);
	assert_int_equal(vs_store_load_config(st, &back), 0);
	assert_string_equal(back.tls_key, k);
	assert_true(vs_config_equal(&a, &back));
	vs_store_close(st);
	unlink(path);

	vs_config_free(&a);
	vs_config_free(&b);
	vs_config_free(&d);
	vs_config_free(&empty);
	vs_config_free(&out);
	vs_config_free(&out2);
	vs_config_free(&e2);
	vs_config_free(&back);
	free(c);
	free(k);
}

static void test_who_may(void **state)
{
	assert_true(ap_ctl_web_only("cert.get"));
	assert_false(ap_ctl_web_only("cert.show"));
	assert_false(ap_ctl_reads_only("cert.get"));
	assert_true(ap_ctl_reads_only("cert.show"));
	assert_false(ap_ctl_reads_only("cert.set"));
	assert_false(ap_ctl_reads_only("cert.reset"));
	assert_true(ap_role_allows(VS_ROLE_READONLY, "cert.show"));
	assert_false(ap_role_allows(VS_ROLE_READONLY, "cert.set"));
	assert_false(ap_role_allows(VS_ROLE_OPERATOR, "cert.set"));
	assert_false(ap_role_allows(VS_ROLE_OPERATOR, "cert.reset"));
	assert_false(ap_role_allows(VS_ROLE_OPERATOR, "cert.get"));
	assert_true(ap_role_allows(VS_ROLE_ADMIN, "cert.set"));
	assert_true(ap_role_allows(VS_ROLE_ADMIN, "cert.reset"));
}

/* vsadm's grammar and its reading of the files. */
static void test_cli(void **state)
{
	char *const set[] = {"cert", "set", "--cert", "/c.pem", "--key", "/k.pem"};
	char *const half[] = {"cert", "set", "--cert", "/c.pem"};
	char *const show[] = {"cert", "show", "--json"};
	struct ap_cli_flags fl;
	char err[256], dir[] = "/tmp/test_certcli.XXXXXX", cp[64], kp[64], lp[64];
	json_t *req;

	assert_int_equal(ap_cli_parse(6, set, &req, &fl, err, sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(req, "cmd")), "cert.set");
	json_t *args = json_object_get(req, "args");
	assert_string_equal(json_string_value(json_object_get(args, "cert_file")), "/c.pem");
	assert_string_equal(json_string_value(json_object_get(args, "key_file")), "/k.pem");
	json_decref(req);
	assert_int_equal(ap_cli_parse(4, half, &req, &fl, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "The option --key is required."));
	assert_int_equal(ap_cli_parse(3, show, &req, &fl, err, sizeof(err)), 0);
	assert_true(fl.json);
	json_decref(req);

	/* The files: read, checked, replaced by the canonical pair. */
	assert_non_null(mkdtemp(dir));
	snprintf(cp, sizeof(cp), "%s/c.pem", dir);
	snprintf(kp, sizeof(kp), "%s/k.pem", dir);
	snprintf(lp, sizeof(lp), "%s/l.pem", dir);
	FILE *f = fopen(cp, "w");
	fputs(F.self_pem, f);
	fclose(f);
	f = fopen(kp, "w");
	fputs(F.self_key_pem, f);
	fclose(f);
	assert_int_equal(symlink(kp, lp), 0);
	args = json_pack("{s:s, s:s}", "cert_file", cp, "key_file", kp);
	assert_int_equal(ap_ccli_set_args(args, NOW, err, sizeof(err)), 0);
	assert_null(json_object_get(args, "cert_file"));
	assert_non_null(
	    strstr(json_string_value(json_object_get(args, "key")), "-----BEGIN PRIVATE KEY-----"));
	/* cert show's description of what applianced would answer. */
	struct vs_config c;
	vs_config_init(&c);
	assert_int_equal(vs_tls_set(&c, json_string_value(json_object_get(args, "cert")),
	                            json_string_value(json_object_get(args, "key")), err,
	                            sizeof(err)),
	                 0);
	json_t *data = vs_tls_show_json(&c), *shown = ap_ccli_show(data, NOW);
	assert_string_equal(json_string_value(json_object_get(shown, "subject")),
	                    "CN=console.example.org");
	assert_string_equal(json_string_value(json_object_get(shown, "fingerprint")),
	                    json_string_value(json_object_get(data, "fingerprint")));
	char *text = json_dumps(shown, 0);
	no_key_in(text, F.self_key_pem);
	free(text);
	json_decref(data);
	json_decref(shown);
	vs_config_free(&c);
	json_decref(args);
	args = json_pack("{s:s, s:s}", "cert_file", cp, "key_file", lp);
	assert_int_equal(ap_ccli_set_args(args, NOW, err, sizeof(err)), -ELOOP);
	assert_non_null(strstr(err, "is a symbolic link; give the file itself."));
	assert_non_null(json_object_get(args, "key_file")); /* nothing replaced */
	json_decref(args);
	args = json_pack("{s:s, s:s}", "cert_file", dir, "key_file", kp);
	assert_int_equal(ap_ccli_set_args(args, NOW, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is not a regular file."));
	json_decref(args);
	unlink(cp);
	unlink(kp);
	unlink(lp);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_matching_pair), cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_chain),         cmocka_unit_test(test_key_kinds),
	    cmocka_unit_test(test_form),          cmocka_unit_test(test_config),
	    cmocka_unit_test(test_who_may),       cmocka_unit_test(test_cli),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
