/*
 * vs_fence.c - fence devices: the allow-list of agents and options, the
 * agent's stdin, masking, and the fence-device changes of the configuration
 * (see vs_fence.h). Pure: nothing here runs, opens or logs anything.
 */
#include "vserver/vs_fence.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vserver/vs_err.h"

#define KEY_MAX 32     /* longest option key accepted */
#define SECRET_MAX 128 /* longest secret value */
#define TEXT_MAX 64    /* longest user name, plug name */

enum syntax {
	S_HOST,   /* host name or IPv4/IPv6 address */
	S_UINT,   /* decimal integer in [min, max] */
	S_BOOL,   /* 1 0 yes no on off true false (what the agents' stdin parser takes) */
	S_CHOICE, /* one of `choices` */
	S_HEX,    /* min..max hexadecimal digits */
	S_URI,    /* an absolute URI path */
	S_NAME,   /* letters, digits, '.', '_', '-', ':'; not starting with '-' */
	S_TEXT,   /* a user name: printable, no space, ',' or '=' */
	S_SECRET, /* printable, no ',' or '=', no space at either end */
	S_IPMB,   /* an IPMB address: 0x00-0xff or 0-255 */
};

struct opt {
	const char *key;
	const char *same_as; /* the option this is another name of, NULL = none */
	enum syntax syn;
	int min, max;        /* S_UINT: range; S_HEX: digit counts */
	const char *choices; /* S_CHOICE: "a|b|c" */
	bool secret;
};

#define END                                                                                        \
	{                                                                                          \
		NULL, NULL, S_TEXT, 0, 0, NULL, false                                              \
	}

/* Options every fencing.py agent has (timeouts in seconds). */
static const struct opt common_opts[] = {
    {"delay", NULL, S_UINT, 0, 600, NULL, false},
    {"login_timeout", NULL, S_UINT, 1, 600, NULL, false},
    {"power_timeout", NULL, S_UINT, 1, 600, NULL, false},
    {"power_wait", NULL, S_UINT, 0, 600, NULL, false},
    {"shell_timeout", NULL, S_UINT, 1, 600, NULL, false},
    {"stonith_status_sleep", NULL, S_UINT, 1, 60, NULL, false},
    {"retry_on", NULL, S_UINT, 1, 10, NULL, false},
    {"disable_timeout", NULL, S_CHOICE, 0, 0, "true|false", false},
    END,
};

/* Agents that talk to a device over the network. */
static const struct opt net_opts[] = {
    {"ip", NULL, S_HOST, 0, 0, NULL, false},
    {"ipaddr", "ip", S_HOST, 0, 0, NULL, false},
    {"ipport", NULL, S_UINT, 1, 65535, NULL, false},
    {"username", NULL, S_TEXT, 0, 0, NULL, false},
    {"login", "username", S_TEXT, 0, 0, NULL, false},
    {"password", NULL, S_SECRET, 0, 0, NULL, true},
    {"passwd", "password", S_SECRET, 0, 0, NULL, true},
    END,
};

static const struct opt ipmi_opts[] = {
    {"auth", NULL, S_CHOICE, 0, 0, "md5|password|none", false},
    {"cipher", NULL, S_UINT, 0, 17, NULL, false},
    {"hexadecimal_kg", NULL, S_HEX, 2, 40, NULL, true},
    {"lanplus", NULL, S_BOOL, 0, 0, NULL, false},
    {"method", NULL, S_CHOICE, 0, 0, "onoff|cycle", false},
    {"privlvl", NULL, S_CHOICE, 0, 0, "callback|user|operator|administrator", false},
    {"target", NULL, S_IPMB, 0, 0, NULL, false},
    {"ipmitool_timeout", NULL, S_UINT, 1, 600, NULL, false},
    {"plug", NULL, S_HOST, 0, 0, NULL, false},
    {"port", "plug", S_HOST, 0, 0, NULL, false},
    {"port_as_ip", NULL, S_BOOL, 0, 0, NULL, false},
    END,
};

static const struct opt redfish_opts[] = {
    {"plug", NULL, S_HOST, 0, 0, NULL, false},
    {"port", "plug", S_HOST, 0, 0, NULL, false},
    {"port_as_ip", NULL, S_BOOL, 0, 0, NULL, false},
    {"redfish_uri", NULL, S_URI, 0, 0, NULL, false},
    {"systems_uri", NULL, S_URI, 0, 0, NULL, false},
    {"ssl", NULL, S_BOOL, 0, 0, NULL, false},
    {"ssl_insecure", NULL, S_BOOL, 0, 0, NULL, false},
    {"ssl_secure", NULL, S_BOOL, 0, 0, NULL, false},
    END,
};

static const struct opt apc_snmp_opts[] = {
    {"plug", NULL, S_NAME, 0, 0, NULL, false},
    {"port", "plug", S_NAME, 0, 0, NULL, false},
    {"community", NULL, S_SECRET, 0, 0, NULL, true},
    {"snmp_auth_prot", NULL, S_CHOICE, 0, 0, "MD5|SHA", false},
    {"snmp_priv_passwd", NULL, S_SECRET, 0, 0, NULL, true},
    {"snmp_priv_prot", NULL, S_CHOICE, 0, 0, "DES|AES", false},
    {"snmp_sec_level", NULL, S_CHOICE, 0, 0, "noAuthNoPriv|authNoPriv|authPriv", false},
    {"snmp_version", NULL, S_CHOICE, 0, 0, "1|2c|3", false},
    END,
};

/* fence_scsi: `devices` (device paths) is refused as a path; without it the
 * agent finds the devices of the cluster's shared volume groups itself. */
static const struct opt scsi_opts[] = {
    {"plug", NULL, S_NAME, 0, 0, NULL, false},
    {"port", "plug", S_NAME, 0, 0, NULL, false},
    {"key", NULL, S_HEX, 1, 16, NULL, false}, /* a reservation key, not a secret */
    {"key_value", NULL, S_CHOICE, 0, 0, "id|hash", false},
    {"aptpl", NULL, S_BOOL, 0, 0, NULL, false},
    {"readonly", NULL, S_BOOL, 0, 0, NULL, false},
    {"suppress_errors", NULL, S_BOOL, 0, 0, NULL, false},
    END,
};

struct agent {
	const char *name;
	const struct opt *sets[4]; /* NULL-terminated */
};

static const struct agent agents[] = {
    {"fence_ipmilan", {common_opts, net_opts, ipmi_opts, NULL}},
    {"fence_ipmilanplus", {common_opts, net_opts, ipmi_opts, NULL}},
    {"fence_idrac", {common_opts, net_opts, ipmi_opts, NULL}},
    {"fence_ilo3", {common_opts, net_opts, ipmi_opts, NULL}},
    {"fence_ilo4", {common_opts, net_opts, ipmi_opts, NULL}},
    {"fence_ilo5", {common_opts, net_opts, ipmi_opts, NULL}},
    {"fence_imm", {common_opts, net_opts, ipmi_opts, NULL}},
    {"fence_redfish", {common_opts, net_opts, redfish_opts, NULL}},
    {"fence_apc_snmp", {common_opts, net_opts, apc_snmp_opts, NULL}},
    {"fence_scsi", {common_opts, scsi_opts, NULL}},
};

#define N_AGENTS (sizeof(agents) / sizeof(agents[0]))
#define AGENT_NAMES                                                                                \
	"fence_ipmilan (or fence_ipmilanplus, fence_idrac, fence_ilo3, fence_ilo4, "               \
	"fence_ilo5, fence_imm), fence_redfish, fence_apc_snmp or fence_scsi"

static const struct agent *find_agent(const char *name)
{
	for (size_t i = 0; name && i < N_AGENTS; i++)
		if (strcmp(agents[i].name, name) == 0)
			return &agents[i];
	return NULL;
}

static const struct opt *find_opt(const struct agent *a, const char *key, size_t len)
{
	for (int s = 0; a && a->sets[s]; s++)
		for (const struct opt *o = a->sets[s]; o->key; o++)
			if (strlen(o->key) == len && strncmp(o->key, key, len) == 0)
				return o;
	return NULL;
}

bool vs_fence_agent_known(const char *agent)
{
	return find_agent(agent) != NULL;
}

bool vs_fence_option_secret(const char *agent, const char *key)
{
	const struct opt *o = find_opt(find_agent(agent), key, strlen(key));

	return !o || o->secret;
}

/* Keys that make an agent run, read or write something of the node: named in
 * the refusal so the administrator learns why, not only that. */
static bool names_program_or_file(const char *key)
{
	static const char *const suffixes[] = {"_path", "_script", "_file", "_dir", "_cmd"};
	static const char *const names[] = {"debug",   "logfile",       "sudo",    "use_sudo",
	                                    "verbose", "verbose_level", "devices", "ssh_options",
	                                    "ssh",     "identity_file", "command", "exec"};
	size_t n = strlen(key);

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t m = strlen(suffixes[i]);
		if (n > m && strcmp(key + n - m, suffixes[i]) == 0)
			return true;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(key, names[i]) == 0)
			return true;
	return strstr(key, "script") || strstr(key, "sudo");
}

/* --- value syntaxes ---------------------------------------------------------- */

static bool all_of(const char *v, size_t len, const char *extra)
{
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr(extra, v[i]))
			return false;
	return true;
}

/* RFC 1123 host name: dot-separated labels of letters, digits and '-', none
 * starting or ending with '-'. */
static bool host_name_ok(const char *v, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || v[i] == '.') {
			if (label == 0 || label > 63 || v[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)v[i]) && v[i] != '-')
			return false;
		if (label == 0 && v[i] == '-')
			return false;
		label++;
	}
	return true;
}

static bool host_ok(const char *v, size_t len)
{
	char buf[64];
	unsigned char bin[16];

	if (len < sizeof(buf)) {
		memcpy(buf, v, len);
		buf[len] = '\0';
		if (inet_pton(AF_INET, buf, bin) == 1 || inet_pton(AF_INET6, buf, bin) == 1)
			return true;
	}
	if (!host_name_ok(v, len))
		return false;
	/* No top-level name is all digits: an address inet_pton refused (010.1.1.1,
	 * 1.2.3) is not a name either. */
	size_t last = len;
	while (last > 0 && v[last - 1] != '.')
		last--;
	for (size_t i = last; i < len; i++)
		if (!isdigit((unsigned char)v[i]))
			return true;
	return false;
}

static bool uint_ok(const char *v, size_t len, long min, long max)
{
	long n = 0;

	if (len == 0 || len > 6 || (len > 1 && v[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)v[i]))
			return false;
		n = n * 10 + (v[i] - '0');
	}
	return n >= min && n <= max;
}

static bool choice_ok(const char *v, size_t len, const char *choices)
{
	for (const char *c = choices; *c;) {
		const char *bar = strchr(c, '|');
		size_t l = bar ? (size_t)(bar - c) : strlen(c);
		if (l == len && strncmp(c, v, len) == 0)
			return true;
		c += l + (bar ? 1 : 0);
	}
	return false;
}

static bool hex_ok(const char *v, size_t len, int min, int max)
{
	if (len < (size_t)min || len > (size_t)max)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)v[i]))
			return false;
	return true;
}

static bool uri_ok(const char *v, size_t len)
{
	if (len == 0 || len > 255 || v[0] != '/' || !all_of(v, len, "/._~-"))
		return false;
	for (size_t i = 0; i + 1 < len; i++)
		if (v[i] == '.' && v[i + 1] == '.')
			return false;
	return true;
}

static bool printable_ok(const char *v, size_t len, size_t max, bool space)
{
	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++)
		if (v[i] < 0x20 || v[i] > 0x7e || v[i] == ',' || v[i] == '=' ||
		    (v[i] == ' ' && !space))
			return false;
	/* The agents strip spaces at either end and one pair of enclosing quotes. */
	if (v[0] == ' ' || v[len - 1] == ' ' || (len > 1 && v[0] == '"' && v[len - 1] == '"'))
		return false;
	return true;
}

/* NULL if the value fits the syntax, else how it should look (no value in it). */
static const char *value_problem(const struct opt *o, const char *v, size_t len, char *buf,
                                 size_t blen)
{
	switch (o->syn) {
	case S_HOST:
		return host_ok(v, len) ? NULL : "is not a host name or an IP address";
	case S_UINT:
		if (uint_ok(v, len, o->min, o->max))
			return NULL;
		snprintf(buf, blen, "is not a whole number from %d to %d", o->min, o->max);
		return buf;
	case S_BOOL:
		return choice_ok(v, len, "1|0|yes|no|on|off|true|false")
		           ? NULL
		           : "is not one of 1, 0, yes, no, on, off, true, false";
	case S_CHOICE:
		if (choice_ok(v, len, o->choices))
			return NULL;
		snprintf(buf, blen, "is not one of %s", o->choices);
		return buf;
	case S_HEX:
		if (hex_ok(v, len, o->min, o->max))
			return NULL;
		snprintf(buf, blen, "is not %d to %d hexadecimal digits", o->min, o->max);
		return buf;
	case S_URI:
		return uri_ok(v, len) ? NULL
		                      : "is not an absolute URI path of letters, digits and "
		                        "'/', '.', '_', '~', '-' (without '..')";
	case S_NAME:
		return len && len <= TEXT_MAX && v[0] != '-' && all_of(v, len, "._:-")
		           ? NULL
		           : "must be 1 to 64 letters, digits, '.', '_', ':' or '-', not starting "
		             "with '-'";
	case S_TEXT:
		return printable_ok(v, len, TEXT_MAX, false) && v[0] != '-'
		           ? NULL
		           : "must be 1 to 64 printable characters without a space, ',' or '=', "
		             "not starting with '-'";
	case S_SECRET:
		return printable_ok(v, len, SECRET_MAX, true)
		           ? NULL
		           : "must be 1 to 128 printable characters without ',' or '=', with no "
		             "space at either end and not enclosed in double quotes";
	case S_IPMB:
		if ((len == 3 || len == 4) && v[0] == '0' && v[1] == 'x' &&
		    hex_ok(v + 2, len - 2, 1, 2))
			return NULL;
		return uint_ok(v, len, 0, 255)
		           ? NULL
		           : "is not an IPMB address (0x00 to 0xff, or 0 to 255)";
	}
	abort(); /* programmer error: a syntax without a check */
}

/* --- the whole option list ----------------------------------------------------- */

static bool key_ok(const char *k, size_t len)
{
	if (len == 0 || len > KEY_MAX || !islower((unsigned char)k[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!islower((unsigned char)k[i]) && !isdigit((unsigned char)k[i]) && k[i] != '_')
			return false;
	return true;
}

static int check_agent(const char *agent, const struct agent **out, char *err, size_t errlen)
{
	char buf[48];
	size_t n = agent ? strlen(agent) : 0;

	*out = find_agent(agent);
	if (*out)
		return 0;
	if (n == 0 || n > VS_NAME_MAX || !all_of(agent, n, "_"))
		return vs_fail(-EINVAL, err, errlen,
		               "The fence agent is not the name of a fence-agents program: use "
		               "%s.",
		               AGENT_NAMES);
	return vs_fail(-EINVAL, err, errlen,
	               "The fence agent '%s' is not one the appliance accepts: use %s.",
	               vs_shown(agent, buf, sizeof(buf)), AGENT_NAMES);
}

/* One "key=value" item, number `pos` (from 1) of the list. `seen` collects
 * the options given so far (by the name they are another name of). */
static int check_item(const struct agent *a, const char *item, size_t len, int pos,
                      const struct opt **seen, int *n_seen, char *err, size_t errlen)
{
	const char *eq = memchr(item, '=', len);
	char key[KEY_MAX + 1], how[96];
	const struct opt *o;

	if (!eq)
		return vs_fail(-EINVAL, err, errlen,
		               "Fence option %d is not of the form key=value.", pos);
	if (!key_ok(item, (size_t)(eq - item)))
		return vs_fail(-EINVAL, err, errlen,
		               "The key of fence option %d is not 1 to %d characters of a-z, 0-9 "
		               "and '_' starting with a letter.",
		               pos, KEY_MAX);
	snprintf(key, sizeof(key), "%.*s", (int)(eq - item), item);
	if (strcmp(key, "action") == 0)
		return vs_fail(
		    -EINVAL, err, errlen,
		    "The fence option 'action' is chosen by the appliance (off, status).");
	o = find_opt(a, key, strlen(key));
	if (!o && names_program_or_file(key))
		return vs_fail(
		    -EINVAL, err, errlen,
		    "The fence option '%s' is refused: it makes the agent, which runs as "
		    "root, run, read or write something on the node.",
		    key);
	if (!o)
		return vs_fail(-EINVAL, err, errlen,
		               "The fence option '%s' is not one the appliance accepts for %s.",
		               key, a->name);
	const struct opt *canon = o->same_as ? find_opt(a, o->same_as, strlen(o->same_as)) : o;
	for (int i = 0; i < *n_seen; i++)
		if (seen[i] == canon)
			return vs_fail(-EINVAL, err, errlen,
			               "The fence option '%s' repeats an option given before (%s, "
			               "under this or another of its names).",
			               key, canon->key);
	seen[(*n_seen)++] = canon;
	const char *problem =
	    value_problem(o, eq + 1, len - (size_t)(eq + 1 - item), how, sizeof(how));
	if (problem)
		return vs_fail(-EINVAL, err, errlen, "The value of fence option '%s' %s.", key,
		               problem);
	return 0;
}

int vs_fence_check(const char *agent, const char *options, char *err, size_t errlen)
{
	const struct opt *seen[VS_FENCE_OPTS_MAX / 2 + 1];
	const struct agent *a;
	int n_seen = 0, pos = 0;
	int rc = check_agent(agent, &a, err, errlen);

	if (rc < 0)
		return rc;
	options = options ? options : "";
	if (strlen(options) > VS_FENCE_OPTS_MAX)
		return vs_fail(-EINVAL, err, errlen,
		               "The fence options are longer than %d characters.",
		               VS_FENCE_OPTS_MAX);
	for (const char *p = options; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return vs_fail(-EINVAL, err, errlen,
			               "The fence options hold a character that is not printable "
			               "ASCII (a newline, for instance).");
	for (const char *p = options; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		pos++;
		if (len == 0 || (end && !end[1]))
			return vs_fail(
			    -EINVAL, err, errlen,
			    "The fence options hold an empty item (two commas in a row, or "
			    "a comma at either end).");
		rc = check_item(a, p, len, pos, seen, &n_seen, err, errlen);
		if (rc < 0)
			return rc;
		p += len + (end ? 1 : 0);
	}
	return 0;
}

/* --- the agent's input, and what people see --------------------------------------- */

int vs_fence_stdin(const struct vs_fence *f, const char *action, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "action=%s\n", action);

	for (const char *p = f->options; *p && n < len;) {
		const char *end = strchr(p, ',');
		size_t l = end ? (size_t)(end - p) : strlen(p);
		n += (size_t)snprintf(buf + n, len - n, "%.*s\n", (int)l, p);
		p += l + (end ? 1 : 0);
	}
	return n < len ? 0 : -ENOSPC;
}

void vs_fence_options_shown(const struct vs_fence *f, char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (const char *p = f->options; *p && n < len;) {
		const char *end = strchr(p, ',');
		size_t l = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', l);
		size_t kl = eq ? (size_t)(eq - p) : l;
		char key[KEY_MAX + 1];
		snprintf(key, sizeof(key), "%.*s", (int)(kl > KEY_MAX ? KEY_MAX : kl), p);
		if (!eq || kl > KEY_MAX || vs_fence_option_secret(f->agent, key))
			n += (size_t)snprintf(buf + n, len - n, "%s%s=***", n ? "," : "", key);
		else
			n += (size_t)snprintf(buf + n, len - n, "%s%.*s", n ? "," : "", (int)l, p);
		p += l + (end ? 1 : 0);
	}
}

/* --- configuration changes ----------------------------------------------------- */

const struct vs_fence *vs_config_find_fence(const struct vs_config *cfg, const char *node)
{
	for (int i = 0; i < cfg->n_fences; i++)
		if (strcmp(cfg->fences[i].node, node) == 0)
			return &cfg->fences[i];
	return NULL;
}

int vs_config_fence_set(struct vs_config *cfg, const char *node, const char *agent,
                        const char *options, char *err, size_t errlen)
{
	struct vs_fence f = {0};
	int rc = vs_check_name("node", node, VS_NAME_MAX, err, errlen);

	if (rc < 0)
		return rc;
	options = options ? options : "";
	rc = vs_fence_check(agent, options, err, errlen);
	if (rc < 0)
		return rc;
	snprintf(f.node, sizeof(f.node), "%s", node);
	snprintf(f.agent, sizeof(f.agent), "%s", agent);
	snprintf(f.options, sizeof(f.options), "%s", options);
	struct vs_fence *cur = (struct vs_fence *)vs_config_find_fence(cfg, node);
	if (!cur) {
		if (cfg->n_fences >= VS_MAX_FENCES)
			return vs_fail(-E2BIG, err, errlen,
			               "There are already %d fence devices, the maximum.",
			               VS_MAX_FENCES);
		cur = &cfg->fences[cfg->n_fences++];
	}
	*cur = f;
	cfg->version++;
	return 0;
}

int vs_config_fence_delete(struct vs_config *cfg, const char *node, char *err, size_t errlen)
{
	char buf[48];
	const struct vs_fence *f = vs_config_find_fence(cfg, node);

	if (!f)
		return vs_fail(-ENOENT, err, errlen, "Node '%s' has no fence device.",
		               vs_shown(node, buf, sizeof(buf)));
	int i = (int)(f - cfg->fences);
	memmove(&cfg->fences[i], &cfg->fences[i + 1],
	        (size_t)(cfg->n_fences - i - 1) * sizeof(cfg->fences[0]));
	cfg->n_fences--;
	cfg->version++;
	return 0;
}
