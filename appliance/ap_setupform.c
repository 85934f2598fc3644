/*
 * ap_setupform.c - the console's setup form into setup.apply's seed (see
 * ap_setupform.h). Pure.
 */
#include "appliance/ap_setupform.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *sentence)
{
	snprintf(err, errlen, "%s", sentence);
	return -EINVAL;
}

/* Every member of o is one of keys ("name:type": s string, b boolean, a
 * array of strings, o object). */
static int only(json_t *o, const char *const *keys, const char *where, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v)
	{
		char t = 0;
		for (size_t i = 0; keys[i] && !t; i++) {
			size_t n = strcspn(keys[i], ":");
			if (strlen(key) == n && strncmp(keys[i], key, n) == 0)
				t = keys[i][n + 1];
		}
		if (!t)
			return snprintf(err, errlen,
			                "The setup form has a member that is not known %s.", where),
			       -EINVAL;
		bool ok = (t == 's' && json_is_string(v)) || (t == 'b' && json_is_boolean(v)) ||
		          (t == 'o' && json_is_object(v)) || (t == 'a' && json_is_array(v));
		for (size_t i = 0; ok && t == 'a' && i < json_array_size(v); i++)
			ok = json_is_string(json_array_get(v, i));
		if (!ok)
			return snprintf(err, errlen, "In the setup form, '%s' must be %s.", key,
			                t == 's'   ? "a string"
			                : t == 'b' ? "true or false"
			                : t == 'o' ? "an object"
			                           : "a list of strings"),
			       -EINVAL;
	}
	return 0;
}

/* An optional string member: NULL when absent or "". */
static const char *opt(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && *s ? s : NULL;
}

const char *ap_setupform_password(json_t *form)
{
	return opt(json_object_get(form, "admin"), "password");
}

static int port(json_t *form, json_t *seed)
{
	const char *name = opt(form, "port") ?: "eth0", *addr = opt(form, "address"),
	           *gw = opt(form, "gateway");
	json_t *dns = json_object_get(form, "dns"), *p, *ports;
	bool dhcp = json_is_true(json_object_get(form, "dhcp"));

	if (dns && json_array_size(dns) == 0)
		dns = NULL;
	if (!addr && !gw && !dns && !dhcp)
		return 0; /* the node keeps DHCP on eth0 */
	if (!(p = json_object()) || !(ports = json_object()) ||
	    json_object_set_new(seed, "ports", ports) < 0 ||
	    json_object_set_new(ports, name, p) < 0)
		return -ENOMEM;
	if (dhcp && json_object_set_new(p, "dhcp", json_true()) < 0)
		return -ENOMEM;
	if (addr && json_object_set_new(p, "addresses", json_pack("[s]", addr)) < 0)
		return -ENOMEM;
	if (gw && json_object_set_new(p, "gateway", json_string(gw)) < 0)
		return -ENOMEM;
	if (dns && json_object_set(p, "dns", dns) < 0)
		return -ENOMEM;
	return 0;
}

int ap_setupform_seed(json_t *form, const char *crypt_hash, char *code, size_t codelen,
                      json_t **seed, char *err, size_t errlen)
{
	static const char *const keys[] = {"code:s",    "node:s",    "port:s", "dhcp:b",
	                                   "address:s", "gateway:s", "dns:a",  "cluster:o",
	                                   "admin:o",   NULL};
	static const char *const admin_keys[] = {"name:s", "password:s", NULL};
	json_t *admin = json_object_get(form, "admin"), *s;
	const char *c = json_string_value(json_object_get(form, "code"));
	int rc;

	*seed = NULL;
	if (codelen)
		code[0] = '\0';
	if (!json_is_object(form))
		return fail(err, errlen, "The setup form must be a JSON object.");
	if ((rc = only(form, keys, "here", err, errlen)) < 0 ||
	    (admin && (rc = only(admin, admin_keys, "in \"admin\"", err, errlen)) < 0))
		return rc;
	if (!c || !*c)
		return fail(
		    err, errlen,
		    "Give the setup code that the node's serial console shows (XXXX-XXXX).");
	if (strlen(c) > AP_SETUPFORM_CODE_MAX || strlen(c) >= codelen)
		return fail(err, errlen, "The setup code is XXXX-XXXX: 8 letters and digits.");
	if (!opt(form, "node"))
		return fail(err, errlen, "Give the node's name.");
	if (admin && (!opt(admin, "name") || !opt(admin, "password")))
		return fail(err, errlen, "Give the first console account's name and password.");
	if (admin && !crypt_hash)
		return fail(err, errlen, "The account's password has not been hashed.");
	s = json_pack("{s:i, s:s}", "version", 1, "node", opt(form, "node"));
	rc = s ? port(form, s) : -ENOMEM;
	if (rc == 0 && json_object_get(form, "cluster"))
		rc = json_object_set(s, "cluster", json_object_get(form, "cluster")) < 0 ? -ENOMEM
		                                                                         : 0;
	if (rc == 0 && admin)
		rc = json_object_set_new(s, "admin",
		                         json_pack("{s:s, s:s}", "name", opt(admin, "name"),
		                                   "crypt_hash", crypt_hash)) < 0
		         ? -ENOMEM
		         : 0;
	if (rc < 0) {
		json_decref(s);
		return fail(err, errlen, "Out of memory."), -ENOMEM;
	}
	snprintf(code, codelen, "%s", c);
	*seed = s;
	return 0;
}
