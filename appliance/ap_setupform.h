/*
 * ap_setupform.h - the body of the console's POST /api/v1/setup made into
 * the request applianced checks (setup.apply: the code and a seed), in apweb
 * (issue 13 item 2, ap_setup.h). Pure.
 *
 *   {"code": "XXXX-XXXX", "node": "n1",
 *    "port": "eth0", "address": "192.0.2.11/24", "gateway": "192.0.2.1",
 *    "dns": ["192.0.2.53"],                       (or "dhcp": true)
 *    "cluster": {"create": {"name": "c1", "nodes": "n1=192.0.2.11",
 *                           "mgmt": "192.0.2.5/24", "mgmt_port": "eth0"}}
 *               (or {"join": {"bundle": {...}}}, or absent),
 *    "admin": {"name": "admin", "password": "..."}}
 *
 * becomes the seed {"version": 1, "node", "ports": {PORT: {...}}, "cluster",
 * "admin": {"name", "crypt_hash"}} of ap_seed.h (the same schema as
 * appliance-seed.json), which applianced validates whole with the seed's own
 * validator. Here only the form's shape is checked, by allow-list: every
 * member known and of its type ("" counts as absent for the optional
 * strings, as a form sends them); the values are the seed validator's to
 * judge. The port is eth0 unless named; no address, no DHCP, no gateway and
 * no DNS: no port in the seed (the node keeps DHCP on eth0). The password
 * never reaches the seed: the caller hashes it (lib_pwhash, as vsadm does)
 * and passes the hash.
 *
 * Memory: *seed is a new reference. Errors: 0, or -EINVAL with one sentence
 * in err that quotes nothing the client sent; -ENOMEM.
 */
#ifndef AP_SETUPFORM_H
#define AP_SETUPFORM_H

#include <jansson.h>
#include <stddef.h>

#define AP_SETUPFORM_CODE_MAX 32 /* a code as typed, blanks and '-' included */

/* The form's admin password (NULL when there is none): the caller's to hash. */
const char *ap_setupform_password(json_t *form);
/* form into the code (at most AP_SETUPFORM_CODE_MAX characters) and *seed;
 * crypt_hash: the hash of the admin's password (NULL when the form has no
 * admin). */
int ap_setupform_seed(json_t *form, const char *crypt_hash, char *code, size_t codelen,
                      json_t **seed, char *err, size_t errlen);

#endif
