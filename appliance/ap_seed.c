/*
 * ap_seed.c - the first-boot seed's parser and validator (see ap_seed.h).
 *
 * Pure: text in, a struct or one sentence out. Every member of every object
 * is looked up in an allow-list first, so an unknown or misspelt member is
 * refused rather than ignored; then each value is checked as the model (or
 * the cluster's own checks) would check it later.
 */
#include "appliance/ap_seed.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "appliance/ap_cluster.h"
#include "vserver/vs_err.h"
#include "vserver/vs_users.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Every member of o is one of allowed (NULL-terminated); where names the
 * object ("the seed", "port eth0"). A member that looks like a password gets
 * its own sentence: a seed carries a hash, never a password. */
static int only(json_t *o, const char *where, const char *const *allowed, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	char buf[40];

	if (!json_is_object(o))
		return fail(err, errlen, "In the seed, %s must be a JSON object.", where);
	json_object_foreach(o, key, v)
	{
		bool ok = false;
		for (size_t i = 0; allowed[i] && !ok; i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (ok)
			continue;
		if (strcasestr(key, "pass"))
			return fail(err, errlen,
			            "The seed holds a plain password (%s of %s): a seed carries "
			            "only the account's yescrypt hash as \"crypt_hash\" (make it "
			            "with 'mkpasswd -m yescrypt' or 'appliance-seed hash').",
			            vs_shown(key, buf, sizeof(buf)), where);
		return fail(err, errlen, "The seed has an unknown member '%s' in %s.",
		            vs_shown(key, buf, sizeof(buf)), where);
	}
	return 0;
}

/* A string member into buf (size bytes); absent: "" unless required. */
static int text(json_t *o, const char *key, const char *where, bool required, char *buf,
                size_t size, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	buf[0] = '\0';
	if (!v) {
		if (required)
			return fail(err, errlen, "The seed has no \"%s\" in %s.", key, where);
		return 0;
	}
	if (!json_is_string(v))
		return fail(err, errlen, "In the seed, \"%s\" of %s must be a string.", key, where);
	if (json_string_length(v) >= size || strlen(json_string_value(v)) != json_string_length(v))
		return fail(err, errlen,
		            "In the seed, \"%s\" of %s is too long (at most %zu characters).", key,
		            where, size - 1);
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* A host address without prefix ("192.0.2.1", "2001:db8::1"): its family,
 * or 0 when it is none (the sentence in err). */
static int host_addr(const char *a, const char *what, const char *where, char *err, size_t errlen)
{
	char cidr[VS_ADDR_MAX + 8], buf[VS_ADDR_MAX + 8];
	struct vs_vip v;

	snprintf(cidr, sizeof(cidr), "%s/%d", a, strchr(a, ':') ? 128 : 32);
	if (strchr(a, '/') || vs_parse_vip(cidr, &v, NULL, 0) < 0) {
		fail(err, errlen,
		     "In the seed, the %s '%s' of %s is not a unicast IPv4 or IPv6 address.", what,
		     vs_shown(a, buf, sizeof(buf)), where);
		return 0;
	}
	return v.family;
}

/* An array of strings (at most max) into rows of width w. */
static int strings(json_t *o, const char *key, const char *where, int max, char *rows, size_t w,
                   int *n, char *err, size_t errlen)
{
	json_t *arr = json_object_get(o, key), *e;
	size_t i;

	*n = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return fail(err, errlen, "In the seed, \"%s\" of %s must be a non-empty list.", key,
		            where);
	if (json_array_size(arr) > (size_t)max)
		return fail(err, errlen, "In the seed, %s has more than %d entries in \"%s\".",
		            where, max, key);
	json_array_foreach(arr, i, e)
	{
		if (!json_is_string(e) || json_string_length(e) >= w ||
		    strlen(json_string_value(e)) != json_string_length(e))
			return fail(err, errlen,
			            "In the seed, every entry of \"%s\" of %s must be an address "
			            "(a string).",
			            key, where);
		memcpy(rows + i * w, json_string_value(e), json_string_length(e) + 1);
	}
	*n = (int)json_array_size(arr);
	return 0;
}

static int parse_port(const char *name, json_t *o, struct ap_seed_port *p, char *err, size_t errlen)
{
	static const char *const keys[] = {"dhcp", "addresses", "gateway", "gateway6", "dns", NULL};
	char where[VS_PORT_MAX + 8], buf[40], e2[VS_ERR_LEN];
	json_t *dhcp = json_object_get(o, "dhcp");
	int rc;

	if (vs_check_name("port", name, VS_PORT_MAX, e2, sizeof(e2)) < 0)
		return fail(err, errlen, "In the seed's ports: %s", e2);
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(where, sizeof(where), "port %s", name);
	rc = only(o, where, keys, err, errlen);
	if (rc < 0)
		return rc;
	if (dhcp && !json_is_boolean(dhcp))
		return fail(err, errlen, "In the seed, \"dhcp\" of %s must be true or false.",
		            where);
	p->dhcp = json_is_true(dhcp);
	rc = strings(o, "addresses", where, AP_SEED_MAX_ADDRS, p->addrs[0], sizeof(p->addrs[0]),
	             &p->n_addrs, err, errlen);
	if (rc == 0)
		rc = strings(o, "dns", where, AP_SEED_MAX_DNS, p->dns[0], sizeof(p->dns[0]),
		             &p->n_dns, err, errlen);
	if (rc == 0)
		rc = text(o, "gateway", where, false, p->gateway, sizeof(p->gateway), err, errlen);
	if (rc == 0)
		rc = text(o, "gateway6", where, false, p->gateway6, sizeof(p->gateway6), err,
		          errlen);
	if (rc < 0)
		return rc;
	if (p->dhcp == (p->n_addrs > 0))
		return fail(err, errlen,
		            "In the seed, %s needs either \"dhcp\": true or a list of "
		            "\"addresses\", not both.",
		            where);
	for (int i = 0; i < p->n_addrs; i++) {
		struct vs_vip v;
		if (vs_parse_vip(p->addrs[i], &v, e2, sizeof(e2)) < 0)
			return fail(err, errlen, "In the seed, an address of %s is refused: %s",
			            where, e2);
		snprintf(p->addrs[i], sizeof(p->addrs[i]), "%s/%d", v.addr, v.prefix);
		for (int j = 0; j < i; j++)
			if (strcmp(p->addrs[j], p->addrs[i]) == 0)
				return fail(err, errlen,
				            "In the seed, %s has the address %s twice.", where,
				            vs_shown(p->addrs[i], buf, sizeof(buf)));
	}
	if (p->dhcp && (p->gateway[0] || p->gateway6[0]))
		return fail(err, errlen,
		            "In the seed, %s uses DHCP, which gives its gateway: drop \"gateway\".",
		            where);
	for (int k = 0; k < 2; k++) {
		const char *g = k ? p->gateway6 : p->gateway;
		int f = g[0] ? host_addr(g, "gateway", where, err, errlen) : -1;
		if (f == 0)
			return -EINVAL;
		if (f > 0 && f != (k ? AF_INET6 : AF_INET))
			return fail(err, errlen, "In the seed, %s of %s must be an %s address.",
			            k ? "\"gateway6\"" : "\"gateway\"", where,
			            k ? "IPv6" : "IPv4 (IPv6: \"gateway6\")");
	}
	for (int i = 0; i < p->n_dns; i++)
		if (!host_addr(p->dns[i], "DNS server", where, err, errlen))
			return -EINVAL;
	return 0;
}

static int parse_ports(json_t *ports, struct ap_seed *s, char *err, size_t errlen)
{
	const char *name;
	json_t *o;
	int rc;

	if (!ports)
		return 0;
	if (!json_is_object(ports) || json_object_size(ports) == 0)
		return fail(err, errlen,
		            "In the seed, \"ports\" must be an object of ports, e.g. {\"eth0\": "
		            "{\"dhcp\": true}}.");
	if (json_object_size(ports) > AP_SEED_MAX_PORTS)
		return fail(err, errlen, "The seed names more than %d ports.", AP_SEED_MAX_PORTS);
	json_object_foreach(ports, name, o)
	{
		rc = parse_port(name, o, &s->ports[s->n_ports], err, errlen);
		if (rc < 0)
			return rc;
		s->n_ports++;
	}
	return 0;
}

/* This node's interconnect address in a create's node list must be one it can
 * have: one of the seed's static addresses, unless DHCP may give it (a port of
 * the seed uses DHCP, or eth0 is not in the seed and keeps the image's DHCP). */
static int check_own_address(const struct ap_seed *s, char *err, size_t errlen)
{
	char list[sizeof(s->nodes)], *save = NULL, want[VS_ADDR_MAX + 1] = "", buf[48];
	bool dhcp = true;

	snprintf(list, sizeof(list), "%s", s->nodes);
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		if (!eq)
			continue;
		*eq = '\0';
		if (strcmp(t, s->node) == 0) {
			char *plus = strchr(eq + 1, '+');
			if (plus)
				*plus = '\0';
			snprintf(want, sizeof(want), "%s", eq + 1);
		}
	}
	for (int i = 0; i < s->n_ports; i++)
		if (strcmp(s->ports[i].name, "eth0") == 0 && !s->ports[i].dhcp)
			dhcp = false;
	for (int i = 0; i < s->n_ports; i++)
		dhcp |= s->ports[i].dhcp;
	if (dhcp || !want[0])
		return 0;
	for (int i = 0; i < s->n_ports; i++)
		for (int k = 0; k < s->ports[i].n_addrs; k++) {
			struct vs_vip v, w;
			char cidr[VS_ADDR_MAX + 8];
			snprintf(cidr, sizeof(cidr), "%s/%d", want, strchr(want, ':') ? 128 : 32);
			if (vs_parse_vip(s->ports[i].addrs[k], &v, NULL, 0) == 0 &&
			    vs_parse_vip(cidr, &w, NULL, 0) == 0 && strcmp(v.addr, w.addr) == 0)
				return 0;
		}
	return fail(err, errlen,
	            "In the seed, this node's cluster address %s is none of the addresses "
	            "its ports are given.",
	            vs_shown(want, buf, sizeof(buf)));
}

static int parse_create(json_t *o, struct ap_seed *s, char *err, size_t errlen)
{
	static const char *const keys[] = {"name",      "nodes",       "mgmt",
	                                   "mgmt_port", "agent_grace", NULL};
	const char *w = "cluster.create";
	json_t *g = json_object_get(o, "agent_grace");
	char e2[VS_ERR_LEN];
	int rc = only(o, w, keys, err, errlen);

	if (rc == 0)
		rc = text(o, "name", w, true, s->cluster, sizeof(s->cluster), err, errlen);
	if (rc == 0)
		rc = text(o, "nodes", w, true, s->nodes, sizeof(s->nodes), err, errlen);
	if (rc == 0)
		rc = text(o, "mgmt", w, false, s->mgmt, sizeof(s->mgmt), err, errlen);
	if (rc == 0)
		rc =
		    text(o, "mgmt_port", w, false, s->mgmt_port, sizeof(s->mgmt_port), err, errlen);
	if (rc < 0)
		return rc;
	if (g && (!json_is_integer(g) || json_integer_value(g) < 1 || json_integer_value(g) > 3600))
		return fail(err, errlen,
		            "In the seed, the cluster's agent_grace must be between 1 and 3600 "
		            "seconds.");
	s->agent_grace = g ? (int)json_integer_value(g) : 0;
	if (ap_cluster_check_create(s->node, s->cluster, s->nodes, s->mgmt, s->mgmt_port,
	                            s->agent_grace, e2, sizeof(e2)) < 0)
		return fail(err, errlen, "The seed's cluster create is refused: %s", e2);
	s->role = AP_SEED_CREATE;
	return check_own_address(s, err, errlen);
}

bool ap_seed_file_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > AP_SEED_FILE_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int check_bundle(const struct ap_seed *s, json_t *b, char *err, size_t errlen)
{
	char e2[VS_ERR_LEN];

	if (!json_is_object(b))
		return fail(err, errlen, "In the seed, the join bundle must be a JSON object.");
	if (ap_cluster_check_bundle(s->node, b, e2, sizeof(e2)) < 0)
		return fail(err, errlen, "The seed's join bundle is refused: %s", e2);
	return 0;
}

static int parse_join(json_t *o, struct ap_seed *s, char *err, size_t errlen)
{
	static const char *const keys[] = {"bundle", "bundle_file", NULL};
	json_t *b = json_object_get(o, "bundle");
	int rc = only(o, "cluster.join", keys, err, errlen);

	if (rc == 0)
		rc = text(o, "bundle_file", "cluster.join", false, s->bundle_file,
		          sizeof(s->bundle_file), err, errlen);
	if (rc < 0)
		return rc;
	if (!b == !s->bundle_file[0])
		return fail(err, errlen,
		            "In the seed, cluster.join needs either \"bundle\" (the bundle itself) "
		            "or \"bundle_file\" (a file next to the seed), not both.");
	s->role = AP_SEED_JOIN;
	if (s->bundle_file[0]) {
		if (!ap_seed_file_name_ok(s->bundle_file))
			return fail(
			    err, errlen,
			    "In the seed, bundle_file must be a plain file name next to the "
			    "seed (letters, digits, '.', '_', '-'; not starting with '.').");
		return 0;
	}
	rc = check_bundle(s, b, err, errlen);
	if (rc == 0)
		s->bundle = json_incref(b);
	return rc;
}

static int parse_cluster(json_t *o, struct ap_seed *s, char *err, size_t errlen)
{
	static const char *const keys[] = {"create", "join", NULL};
	json_t *c, *j;
	int rc;

	if (!o)
		return 0;
	rc = only(o, "\"cluster\"", keys, err, errlen);
	if (rc < 0)
		return rc;
	c = json_object_get(o, "create");
	j = json_object_get(o, "join");
	if (!c == !j)
		return fail(err, errlen,
		            "In the seed, \"cluster\" holds either \"create\" or \"join\", one of "
		            "them.");
	return c ? parse_create(c, s, err, errlen) : parse_join(j, s, err, errlen);
}

static int parse_admin(json_t *o, struct ap_seed *s, char *err, size_t errlen)
{
	static const char *const keys[] = {"name", "crypt_hash", NULL};
	char e2[VS_ERR_LEN];
	int rc;

	if (!o)
		return 0;
	rc = only(o, "\"admin\"", keys, err, errlen);
	if (rc == 0)
		rc = text(o, "name", "\"admin\"", true, s->admin, sizeof(s->admin), err, errlen);
	if (rc == 0)
		rc = text(o, "crypt_hash", "\"admin\"", true, s->admin_hash, sizeof(s->admin_hash),
		          err, errlen);
	if (rc < 0)
		return rc;
	if (vs_check_name("account", s->admin, VS_NAME_MAX, e2, sizeof(e2)) < 0)
		return fail(err, errlen, "In the seed's admin: %s", e2);
	if (vs_user_hash_check(NULL, s->admin_hash, NULL, e2, sizeof(e2)) < 0)
		return fail(err, errlen, "In the seed's admin: %s", e2);
	return 0;
}

static int parse(json_t *root, struct ap_seed *s, char *err, size_t errlen)
{
	static const char *const keys[] = {"version", "node", "ports", "cluster", "admin", NULL};
	json_t *v = json_object_get(root, "version");
	char e2[VS_ERR_LEN];
	int rc = only(root, "the seed", keys, err, errlen);

	if (rc < 0)
		return rc;
	if (!json_is_integer(v) || json_integer_value(v) != 1)
		return fail(err, errlen, "The seed must say \"version\": 1.");
	rc = text(root, "node", "the seed", true, s->node, sizeof(s->node), err, errlen);
	if (rc < 0)
		return rc;
	/* A host name too: letters, digits and '-' only, no '_'. */
	if (vs_check_name("node", s->node, VS_NAME_MAX, e2, sizeof(e2)) < 0)
		return fail(err, errlen, "In the seed: %s", e2);
	if (strchr(s->node, '_'))
		return fail(err, errlen,
		            "In the seed, the node name is also the host name: it may not contain "
		            "'_'.");
	rc = parse_ports(json_object_get(root, "ports"), s, err, errlen);
	if (rc == 0)
		rc = parse_cluster(json_object_get(root, "cluster"), s, err, errlen);
	if (rc == 0)
		rc = parse_admin(json_object_get(root, "admin"), s, err, errlen);
	return rc;
}

int ap_seed_parse(const char *text, size_t len, struct ap_seed *seed, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;
	int rc;

	memset(seed, 0, sizeof(*seed));
	if (len > AP_SEED_MAX)
		return fail(err, errlen, "The seed is larger than %d bytes.", AP_SEED_MAX), -E2BIG;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	/* jansson's text may quote the seed, which may hold a key: position only. */
	if (!root)
		return fail(err, errlen,
		            "The seed is not valid JSON (or names a member twice) at line %d, "
		            "column %d.",
		            jerr.line, jerr.column);
	rc = json_is_object(root) ? parse(root, seed, err, errlen)
	                          : fail(err, errlen, "The seed must be a JSON object.");
	json_decref(root);
	if (rc < 0)
		ap_seed_clear(seed);
	return rc;
}

int ap_seed_set_bundle(struct ap_seed *seed, const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *b;
	int rc;

	if (seed->role != AP_SEED_JOIN || seed->bundle)
		return fail(err, errlen, "The seed names no bundle file.");
	if (len > AP_SEED_MAX)
		return fail(err, errlen, "The bundle file %s is larger than %d bytes.",
		            seed->bundle_file, AP_SEED_MAX),
		       -E2BIG;
	b = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!b)
		return fail(err, errlen,
		            "The bundle file %s is not a bundle (not JSON at line %d, column %d).",
		            seed->bundle_file, jerr.line, jerr.column);
	rc = check_bundle(seed, b, err, errlen);
	if (rc < 0) {
		json_decref(b);
		return rc;
	}
	seed->bundle = b;
	return 0;
}

void ap_seed_clear(struct ap_seed *seed)
{
	json_decref(seed->bundle);
	explicit_bzero(seed, sizeof(*seed));
}
