/*
 * vs_tls.h - the console's TLS certificate and key in the replicated
 * configuration (issue 12: `vsadm cert set|reset|show`): every node's apweb
 * serves the cluster management address with it, which moves between nodes,
 * so the pair is the cluster's, not one node's. None set (cfg->tls_cert
 * NULL): each node's apweb serves its own self-signed certificate.
 *
 * The pair arrives in the canonical form that vsadm's validator writes
 * (appliance/ap_certcheck.h), which is the only form accepted here; the
 * model checks that form and nothing else (it parses no X.509, so the
 * privileged side never runs an ASN.1 parser on a client's bytes):
 *   cert  1..VS_TLS_CHAIN_MAX blocks "-----BEGIN CERTIFICATE-----\n",
 *         base64 lines of 1..76 characters, "-----END CERTIFICATE-----\n",
 *         nothing before, between or after them, at most VS_TLS_CERT_MAX
 *         bytes; each block decodes to a DER SEQUENCE;
 *   key   exactly one block "-----BEGIN PRIVATE KEY-----\n" (PKCS#8, not
 *         encrypted) ... "-----END PRIVATE KEY-----\n", at most
 *         VS_TLS_KEY_MAX bytes, the same alphabet.
 * The fingerprint is SHA-256 over the leaf's DER bytes ("SHA256:" and 64
 * upper-case hex digits, as apweb and vsadm write it).
 *
 * The key is secret: it is in the store and replication documents
 * (vs_tls_to_json) and in cert.get's answer to the web process only; the
 * show document (vs_tls_show_json) never has it, nor does any sentence.
 *
 * Memory: cfg->tls_cert and cfg->tls_key are malloc'd, owned by the
 * configuration (vs_config_free wipes the key); the *_json functions return
 * new references.
 * Errors: 0, or a negative errno with one sentence in err; the
 * configuration is unchanged on any refusal.
 */
#ifndef VS_TLS_H
#define VS_TLS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "vserver/vs_model.h"

#define VS_TLS_CERT_MAX (64 * 1024)
#define VS_TLS_KEY_MAX (16 * 1024)
#define VS_TLS_CHAIN_MAX 8
#define VS_TLS_FPR_LEN 72 /* "SHA256:" + 64 hex digits + NUL */

/* The form of a pair (pure; see above). */
int vs_tls_form_check(const char *cert, const char *key, char *err, size_t errlen);
/* SHA-256 of the first certificate block's DER: 0, or -EINVAL. */
int vs_tls_fingerprint(const char *cert, char *fpr, size_t len);

/* Set the pair (both copied): 0 when set, 1 when it is the pair already
 * set (nothing changed), -EINVAL with a sentence, -ENOMEM. Bumps nothing:
 * the caller bumps the version as for every change. */
int vs_tls_set(struct vs_config *cfg, const char *cert, const char *key, char *err, size_t errlen);
/* Back to each node's self-signed certificate: 0, or 1 when none was set. */
int vs_tls_reset(struct vs_config *cfg);
bool vs_tls_equal(const struct vs_config *a, const struct vs_config *b);

/* {"source": "administrator", "fingerprint": ..., "cert": PEM} or
 * {"source": "self-signed"}: never the key. */
json_t *vs_tls_show_json(const struct vs_config *cfg);
/* {"cert": ..., "key": ...} with the key (store, replication, the web
 * process), or NULL when none is set. */
json_t *vs_tls_to_json(const struct vs_config *cfg);
/* The pair from its JSON (NULL: none), form-checked, replacing cfg's. */
int vs_json_load_tls(const json_t *obj, struct vs_config *cfg, char *err, size_t errlen);

#endif
