/*
 * vs_model.c - the VS model: value checks and validated changes (pure).
 *
 * Every change is checked in full against the whole configuration before a
 * single byte of it is modified, so a refused change leaves the configuration
 * exactly as it was. Messages are written for a storage administrator: one
 * sentence that says what is wrong and, where it helps, what to do.
 */
#include "vserver/vs_model.h"

#include "vserver/vs_err.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return -E2BIG;
	memcpy(dst, src, n + 1);
	return 0;
}

struct vs_vserver *vs_config_find(struct vs_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->n_vservers; i++)
		if (strcmp(cfg->vservers[i].name, name) == 0)
			return &cfg->vservers[i];
	return NULL;
}

const struct vs_fs *vs_vserver_find_fs(const struct vs_vserver *vs, const char *name)
{
	for (int i = 0; i < vs->n_fs; i++)
		if (strcmp(vs->fs[i].name, name) == 0)
			return &vs->fs[i];
	return NULL;
}

const struct vs_vserver *vs_config_vip_owner(const struct vs_config *cfg, const char *addr,
                                             const struct vs_vserver *except)
{
	for (int i = 0; i < cfg->n_vservers; i++) {
		const struct vs_vserver *vs = &cfg->vservers[i];
		if (vs == except)
			continue;
		for (int j = 0; j < vs->n_vips; j++)
			if (strcmp(vs->vips[j].addr, addr) == 0)
				return vs;
	}
	return NULL;
}

const struct vs_fgroup *vs_config_find_fgroup(const struct vs_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->n_fgroups; i++)
		if (strcmp(cfg->fgroups[i].name, name) == 0)
			return &cfg->fgroups[i];
	return NULL;
}

const struct vs_fgroup *vs_config_port_fgroup(const struct vs_config *cfg, const char *port)
{
	for (int i = 0; i < cfg->n_fgroups; i++)
		for (int j = 0; j < cfg->fgroups[i].n_ports; j++)
			if (strcmp(cfg->fgroups[i].ports[j], port) == 0)
				return &cfg->fgroups[i];
	return NULL;
}

const struct vs_fgroup *vs_vip_fgroup(const struct vs_config *cfg, const struct vs_vip *vip)
{
	if (vip->group[0])
		return vs_config_find_fgroup(cfg, vip->group);
	return vs_config_port_fgroup(cfg, vip->home_port);
}

/* The canonical spelling of an address given with or without a prefix. */
static const char *canonical_addr(const char *addr, struct vs_vip *tmp)
{
	char buf[VS_ADDR_MAX + 8];

	if (strchr(addr, '/'))
		snprintf(buf, sizeof(buf), "%s", addr);
	else
		snprintf(buf, sizeof(buf), "%s/%d", addr, strchr(addr, ':') ? 128 : 32);
	return vs_parse_vip(buf, tmp, NULL, 0) == 0 ? tmp->addr : addr;
}

struct vs_vip *vs_vserver_find_vip(struct vs_vserver *vs, const char *addr)
{
	struct vs_vip tmp;
	const char *want = canonical_addr(addr, &tmp);

	for (int i = 0; i < vs->n_vips; i++)
		if (strcmp(vs->vips[i].addr, want) == 0)
			return &vs->vips[i];
	return NULL;
}

int vs_check_name(const char *what, const char *name, size_t max, char *err, size_t errlen)
{
	char buf[48];
	size_t n = strlen(name);

	if (n == 0)
		return vs_fail(-EINVAL, err, errlen, "The %s name is empty.", what);
	if (n > max)
		return vs_fail(-EINVAL, err, errlen,
		               "The %s name '%s' is too long: at most %zu characters are allowed.",
		               what, vs_shown(name, buf, sizeof(buf)), max);
	if (!isalpha((unsigned char)name[0]))
		return vs_fail(-EINVAL, err, errlen, "The %s name '%s' must start with a letter.",
		               what, vs_shown(name, buf, sizeof(buf)));
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' && name[i] != '_')
			return vs_fail(-EINVAL, err, errlen,
			               "The %s name '%s' may contain only letters, digits, '-' and "
			               "'_'.",
			               what, vs_shown(name, buf, sizeof(buf)));
	return 0;
}

/* Split "ADDR/PREFIX"; returns the family or a negative errno. */
static int parse_cidr(const char *text, unsigned char bin[16], int *prefix, char *err,
                      size_t errlen)
{
	char addr[VS_ADDR_MAX + 1], buf[64], *end;
	const char *slash = strchr(text, '/');
	int family;
	long p;

	if (!slash)
		return vs_fail(-EINVAL, err, errlen,
		               "'%s' is not an address with a prefix length (expected ADDR/PREFIX, "
		               "e.g. 192.0.2.10/24).",
		               vs_shown(text, buf, sizeof(buf)));
	if ((size_t)(slash - text) > VS_ADDR_MAX || slash == text)
		return vs_fail(-EINVAL, err, errlen, "'%s' is not a valid IP address.",
		               vs_shown(text, buf, sizeof(buf)));
	memcpy(addr, text, (size_t)(slash - text));
	addr[slash - text] = '\0';
	if (inet_pton(AF_INET, addr, bin) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, addr, bin) == 1)
		family = AF_INET6;
	else
		return vs_fail(-EINVAL, err, errlen, "'%s' is not a valid IPv4 or IPv6 address.",
		               vs_shown(addr, buf, sizeof(buf)));
	errno = 0;
	p = strtol(slash + 1, &end, 10);
	if (!isdigit((unsigned char)slash[1]) || *end || errno || p < 0 ||
	    p > (family == AF_INET ? 32 : 128))
		return vs_fail(-EINVAL, err, errlen, "The prefix length '%s' is not valid for %s.",
		               vs_shown(slash + 1, buf, sizeof(buf)),
		               family == AF_INET ? "IPv4 (0-32)" : "IPv6 (0-128)");
	*prefix = (int)p;
	return family;
}

int vs_parse_vip(const char *text, struct vs_vip *out, char *err, size_t errlen)
{
	unsigned char bin[16];
	char canon[INET6_ADDRSTRLEN], buf[64];
	int prefix, family = parse_cidr(text, bin, &prefix, err, errlen);

	if (family < 0)
		return family;
	if (family == AF_INET) {
		if (prefix < 8 || prefix > 32)
			return vs_fail(
			    -EINVAL, err, errlen,
			    "The prefix length /%d is not usable for a virtual IP (8-32).", prefix);
		if (bin[0] == 0 || bin[0] == 127 || bin[0] >= 224)
			return vs_fail(
			    -EINVAL, err, errlen,
			    "%s cannot be a virtual IP: it is not a unicast host address.",
			    vs_shown(text, buf, sizeof(buf)));
		if (prefix <= 30) {
			uint32_t a = ntohl(*(uint32_t *)(void *)bin);
			uint32_t host = a & (0xffffffffu >> prefix);
			if (host == 0 || host == (0xffffffffu >> prefix))
				return vs_fail(
				    -EINVAL, err, errlen,
				    "%s is the network or broadcast address of its subnet, "
				    "not a host address.",
				    vs_shown(text, buf, sizeof(buf)));
		}
	} else {
		if (prefix < 16 || prefix > 128)
			return vs_fail(
			    -EINVAL, err, errlen,
			    "The prefix length /%d is not usable for a virtual IP (16-128).",
			    prefix);
		static const unsigned char zero[16];
		if (bin[0] == 0xff || memcmp(bin, zero, 15) == 0 ||
		    (bin[0] == 0xfe && (bin[1] & 0xc0) == 0x80))
			return vs_fail(-EINVAL, err, errlen,
			               "%s cannot be a virtual IP: use a global or unique-local "
			               "unicast address.",
			               vs_shown(text, buf, sizeof(buf)));
	}
	memset(out, 0, sizeof(*out));
	if (!inet_ntop(family, bin, canon, sizeof(canon)))
		return vs_fail(-EINVAL, err, errlen, "The address could not be formatted.");
	copy(out->addr, sizeof(out->addr), canon);
	out->family = family;
	out->prefix = prefix;
	return 0;
}

int vs_parse_lun(const char *text, enum vs_lun_kind *kind, char *value, size_t len, char *err,
                 size_t errlen)
{
	char buf[80];
	const char *v;

	if (strncmp(text, "LABEL=", 6) == 0) {
		*kind = VS_LUN_LABEL;
		v = text + 6;
	} else if (strncmp(text, "UUID=", 5) == 0) {
		*kind = VS_LUN_UUID;
		v = text + 5;
	} else {
		return vs_fail(-EINVAL, err, errlen,
		               "'%s' does not name a LUN: use LABEL=<label> or UUID=<uuid> (device "
		               "names differ between nodes).",
		               vs_shown(text, buf, sizeof(buf)));
	}
	if (!*v || strlen(v) > VS_LUN_MAX || strlen(v) >= len)
		return vs_fail(-EINVAL, err, errlen, "The LUN %s '%s' is empty or too long.",
		               *kind == VS_LUN_LABEL ? "label" : "UUID",
		               vs_shown(v, buf, sizeof(buf)));
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
			return vs_fail(-EINVAL, err, errlen,
			               "The LUN %s '%s' may contain only letters, digits, '-', '_' "
			               "and '.'.",
			               *kind == VS_LUN_LABEL ? "label" : "UUID",
			               vs_shown(v, buf, sizeof(buf)));
	if (*kind == VS_LUN_UUID) {
		for (const char *p = v; *p; p++)
			if (!isxdigit((unsigned char)*p) && *p != '-')
				return vs_fail(-EINVAL, err, errlen, "'%s' is not a UUID.",
				               vs_shown(v, buf, sizeof(buf)));
	}
	memcpy(value, v, strlen(v) + 1);
	return 0;
}

int vs_canon_cidr(const char *text, char *out, size_t len, char *err, size_t errlen)
{
	unsigned char bin[16];
	char addr[INET6_ADDRSTRLEN], buf[64];
	int prefix, family;

	if (strlen(text) > VS_ADDR_MAX + 4)
		return vs_fail(-EINVAL, err, errlen, "The client network is too long.");
	family = parse_cidr(text, bin, &prefix, err, errlen);
	if (family < 0)
		return -EINVAL;
	for (int bit = prefix; bit < (family == AF_INET ? 32 : 128); bit++)
		if (bin[bit / 8] & (0x80 >> (bit % 8)))
			return vs_fail(-EINVAL, err, errlen,
			               "The client network %s has host bits set: give the network "
			               "address (the host bits zero), or /%d for a single host.",
			               vs_shown(text, buf, sizeof(buf)),
			               family == AF_INET ? 32 : 128);
	if (!inet_ntop(family, bin, addr, sizeof(addr)) ||
	    (size_t)snprintf(out, len, "%s/%d", addr, prefix) >= len)
		return vs_fail(-EINVAL, err, errlen, "The client network is too long.");
	return 0;
}

static int path_chars_ok(const char *text, char *err, size_t errlen)
{
	char buf[64];

	for (const char *p = text; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/-_.", *p))
			return vs_fail(
			    -EINVAL, err, errlen,
			    "The path '%s' may contain only letters, digits, '/', '-', '_' "
			    "and '.'.",
			    vs_shown(text, buf, sizeof(buf)));
	return 0;
}

/* Every component of a '/'-separated path is a real name (no "", ".", ".."). */
static int components_ok(const char *p, const char *whole, char *err, size_t errlen)
{
	char buf[64];

	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return vs_fail(
			    -EINVAL, err, errlen,
			    "The path '%s' leaves or does not name a directory of the file "
			    "system ('.', '..' and '//' are not allowed).",
			    vs_shown(whole, buf, sizeof(buf)));
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

int vs_normalise_subdir(const char *text, char *out, size_t len, char *err, size_t errlen)
{
	size_t n;
	const char *p = text;
	int rc;

	if (strlen(text) > VS_PATH_MAX)
		return vs_fail(-EINVAL, err, errlen,
		               "The path is too long (at most %d characters).", VS_PATH_MAX);
	rc = path_chars_ok(text, err, errlen);
	if (rc < 0)
		return rc;
	while (*p == '/')
		p++;
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	if (n >= len)
		return vs_fail(-EINVAL, err, errlen, "The path is too long.");
	memcpy(out, p, n);
	out[n] = '\0';
	rc = components_ok(out, text, err, errlen);
	return rc;
}

int vs_check_pseudo(const char *text, char *err, size_t errlen)
{
	char buf[64];
	int rc;

	if (text[0] != '/')
		return vs_fail(-EINVAL, err, errlen,
		               "The export path '%s' must be absolute (start with '/').",
		               vs_shown(text, buf, sizeof(buf)));
	if (strlen(text) > VS_PATH_MAX)
		return vs_fail(-EINVAL, err, errlen,
		               "The export path is too long (at most %d characters).", VS_PATH_MAX);
	if (strcmp(text, "/") == 0)
		return vs_fail(-EINVAL, err, errlen,
		               "The export path cannot be '/': it is the NFSv4 pseudo root.");
	rc = path_chars_ok(text, err, errlen);
	if (rc < 0)
		return rc;
	return components_ok(text + 1, text, err, errlen);
}

int vs_config_need(struct vs_config *cfg, const char *name, struct vs_vserver **out, char *err,
                   size_t errlen)
{
	char buf[48];

	*out = vs_config_find(cfg, name);
	if (!*out)
		return vs_fail(-ENOENT, err, errlen, "There is no virtual server named '%s'.",
		               vs_shown(name, buf, sizeof(buf)));
	return 0;
}

int vs_config_create(struct vs_config *cfg, const char *name, int priority, bool pinned,
                     const char *home, char *err, size_t errlen)
{
	struct vs_vserver *vs;
	int rc = vs_check_name("virtual server", name, VS_NAME_MAX, err, errlen);

	if (rc < 0)
		return rc;
	if (home && *home) {
		rc = vs_check_name("node", home, VS_NAME_MAX, err, errlen);
		if (rc < 0)
			return rc;
	}
	if (priority < 0 || priority > 100)
		return vs_fail(-EINVAL, err, errlen, "The priority must be between 0 and 100.");
	if (vs_config_find(cfg, name))
		return vs_fail(-EEXIST, err, errlen, "A virtual server named '%s' already exists.",
		               name);
	if (cfg->n_vservers >= VS_MAX_VSERVERS)
		return vs_fail(-E2BIG, err, errlen,
		               "The cluster already has the maximum of %d virtual servers.",
		               VS_MAX_VSERVERS);
	if (vs_grow((void **)&cfg->vservers, &cfg->cap_vservers, cfg->n_vservers,
	            sizeof(cfg->vservers[0]), VS_MAX_VSERVERS) < 0)
		return vs_fail(-ENOMEM, err, errlen, "Out of memory.");
	vs = &cfg->vservers[cfg->n_vservers];
	memset(vs, 0, sizeof(*vs));
	copy(vs->name, sizeof(vs->name), name);
	copy(vs->home, sizeof(vs->home), home ? home : "");
	vs->priority = priority;
	vs->pinned = pinned;
	vs->admin = VS_ADMIN_STOPPED;
	vs->next_export_id = 1;
	cfg->n_vservers++;
	cfg->version++;
	return 0;
}

int vs_config_delete(struct vs_config *cfg, const char *name, bool force, char *err, size_t errlen)
{
	struct vs_vserver *vs;
	int rc = vs_config_need(cfg, name, &vs, err, errlen);
	long i;

	if (rc < 0)
		return rc;
	if (vs->admin == VS_ADMIN_RUNNING && !force)
		return vs_fail(
		    -EBUSY, err, errlen,
		    "The virtual server '%s' is running: stop it first, or delete it with "
		    "--force to stop and delete it.",
		    name);
	i = vs - cfg->vservers;
	vs_vserver_free(vs);
	memmove(&cfg->vservers[i], &cfg->vservers[i + 1],
	        (size_t)(cfg->n_vservers - i - 1) * sizeof(*vs));
	cfg->n_vservers--;
	cfg->version++;
	return 0;
}

int vs_config_set_admin(struct vs_config *cfg, const char *name, enum vs_admin admin, char *err,
                        size_t errlen)
{
	struct vs_vserver *vs;
	int rc = vs_config_need(cfg, name, &vs, err, errlen);

	if (rc < 0)
		return rc;
	if (admin == VS_ADMIN_RUNNING && vs->n_fs == 0)
		return vs_fail(-EINVAL, err, errlen,
		               "The virtual server '%s' has no file system: add one with 'vsadm fs "
		               "add' before starting it.",
		               name);
	if (admin == VS_ADMIN_RUNNING && vs->n_vips == 0)
		return vs_fail(-EINVAL, err, errlen,
		               "The virtual server '%s' has no virtual IP: add one with 'vsadm vip "
		               "add' before starting it.",
		               name);
	if (vs->admin != admin) {
		vs->admin = admin;
		cfg->version++;
	}
	return 0;
}

static int port_name_ok(const char *port, char *err, size_t errlen);

int vs_config_vip_add(struct vs_config *cfg, const char *name, const char *addr_prefix,
                      const char *home_port, bool (*port_exists)(const char *port, void *arg),
                      void *arg, char *err, size_t errlen)
{
	struct vs_vserver *vs;
	const struct vs_vserver *owner;
	struct vs_vip vip;
	int rc = vs_config_need(cfg, name, &vs, err, errlen);

	if (rc < 0)
		return rc;
	rc = vs_parse_vip(addr_prefix, &vip, err, errlen);
	if (rc < 0)
		return rc;
	rc = port_name_ok(home_port, err, errlen);
	if (rc < 0)
		return rc;

	if (port_exists && !port_exists(home_port, arg))
		return vs_fail(-ENOENT, err, errlen, "This node has no port named '%s'.",
		               home_port);
	owner = vs_config_vip_owner(cfg, vip.addr, NULL);
	if (owner == vs)
		return vs_fail(-EEXIST, err, errlen, "%s is already a virtual IP of '%s'.",
		               vip.addr, name);
	if (owner)
		return vs_fail(-EEXIST, err, errlen,
		               "%s is already used by the virtual server '%s'; an address can "
		               "belong to one virtual server only.",
		               vip.addr, owner->name);
	if (vs->n_vips >= VS_MAX_VIPS)
		return vs_fail(-E2BIG, err, errlen,
		               "'%s' already has the maximum of %d virtual IPs.", name,
		               VS_MAX_VIPS);
	if (vs_grow((void **)&vs->vips, &vs->cap_vips, vs->n_vips, sizeof(vs->vips[0]),
	            VS_MAX_VIPS) < 0)
		return vs_fail(-ENOMEM, err, errlen, "Out of memory.");
	copy(vip.home_port, sizeof(vip.home_port), home_port);
	vs->vips[vs->n_vips++] = vip;
	cfg->version++;
	return 0;
}

int vs_config_vip_del(struct vs_config *cfg, const char *name, const char *addr, char *err,
                      size_t errlen)
{
	struct vs_vserver *vs;
	struct vs_vip parsed;
	const char *want = addr;
	char buf[64];
	int rc = vs_config_need(cfg, name, &vs, err, errlen);

	if (rc < 0)
		return rc;
	/* Accept the address with or without its prefix, in any spelling. */
	want = canonical_addr(addr, &parsed);
	for (int i = 0; i < vs->n_vips; i++) {
		if (strcmp(vs->vips[i].addr, want) != 0)
			continue;
		if (vs->admin == VS_ADMIN_RUNNING && vs->n_vips == 1)
			return vs_fail(
			    -EBUSY, err, errlen,
			    "%s is the last virtual IP of the running virtual server '%s': "
			    "stop it first.",
			    want, name);
		memmove(&vs->vips[i], &vs->vips[i + 1],
		        (size_t)(vs->n_vips - i - 1) * sizeof(vs->vips[0]));
		vs->n_vips--;
		cfg->version++;
		return 0;
	}
	return vs_fail(-ENOENT, err, errlen, "'%s' has no virtual IP %s.", name,
	               vs_shown(addr, buf, sizeof(buf)));
}

int vs_config_fs_add(struct vs_config *cfg, const char *name, const char *fsname, const char *lun,
                     char *err, size_t errlen)
{
	struct vs_vserver *vs;
	struct vs_fs fs = {0};
	int rc = vs_config_need(cfg, name, &vs, err, errlen);

	if (rc < 0)
		return rc;
	rc = vs_check_name("file system", fsname, VS_NAME_MAX, err, errlen);
	if (rc < 0)
		return rc;
	rc = vs_parse_lun(lun, &fs.lun_kind, fs.lun, sizeof(fs.lun), err, errlen);
	if (rc < 0)
		return rc;
	if (vs_vserver_find_fs(vs, fsname))
		return vs_fail(-EEXIST, err, errlen, "'%s' already has a file system named '%s'.",
		               name, fsname);
	for (int i = 0; i < cfg->n_vservers; i++) {
		const struct vs_vserver *o = &cfg->vservers[i];
		for (int j = 0; j < o->n_fs; j++)
			if (o->fs[j].lun_kind == fs.lun_kind && strcmp(o->fs[j].lun, fs.lun) == 0)
				return vs_fail(-EEXIST, err, errlen,
				               "The LUN %s is already used by file system '%s' of "
				               "'%s'; a file system belongs to one virtual server "
				               "only.",
				               lun, o->fs[j].name, o->name);
	}
	if (vs->n_fs >= VS_MAX_FS)
		return vs_fail(-E2BIG, err, errlen,
		               "'%s' already has the maximum of %d file systems.", name, VS_MAX_FS);
	copy(fs.name, sizeof(fs.name), fsname);
	vs->fs[vs->n_fs++] = fs;
	cfg->version++;
	return 0;
}

int vs_config_fs_del(struct vs_config *cfg, const char *name, const char *fsname, char *err,
                     size_t errlen)
{
	struct vs_vserver *vs;
	char buf[48];
	int rc = vs_config_need(cfg, name, &vs, err, errlen);

	if (rc < 0)
		return rc;
	for (int i = 0; i < vs->n_exports; i++)
		if (strcmp(vs->exports[i].fs, fsname) == 0)
			return vs_fail(-EBUSY, err, errlen,
			               "The file system '%s' is still exported as %s: remove the "
			               "export first.",
			               fsname, vs->exports[i].pseudo);
	for (int i = 0; i < vs->n_shares; i++)
		if (strcmp(vs->shares[i].fs, fsname) == 0)
			return vs_fail(-EBUSY, err, errlen,
			               "The file system '%s' is still shared as '%s': remove the "
			               "share first.",
			               fsname, vs->shares[i].name);
	for (int i = 0; i < vs->n_fs; i++) {
		if (strcmp(vs->fs[i].name, fsname) != 0)
			continue;
		if (vs->admin == VS_ADMIN_RUNNING && vs->n_fs == 1)
			return vs_fail(-EBUSY, err, errlen,
			               "'%s' is the last file system of the running virtual server "
			               "'%s': stop it first.",
			               fsname, name);
		memmove(&vs->fs[i], &vs->fs[i + 1], (size_t)(vs->n_fs - i - 1) * sizeof(vs->fs[0]));
		vs->n_fs--;
		cfg->version++;
		return 0;
	}
	return vs_fail(-ENOENT, err, errlen, "'%s' has no file system named '%s'.", name,
	               vs_shown(fsname, buf, sizeof(buf)));
}

int vs_vserver_need_fs(const struct vs_vserver *vs, const char *fsname, char *err, size_t errlen)
{
	char buf[48];

	if (!vs_vserver_find_fs(vs, fsname))
		return vs_fail(-ENOENT, err, errlen,
		               "'%s' has no file system named '%s': add it with 'vsadm fs add' "
		               "first.",
		               vs->name, vs_shown(fsname, buf, sizeof(buf)));
	return 0;
}

/* The id of a new export: next_export_id while it is free and within 16 bits
 * (so a deleted export's id, which clients' file handles still carry, is not
 * handed to another export soon), else the lowest free id. */
static int new_export_id(const struct vs_vserver *vs, uint32_t *out, char *err, size_t errlen)
{
	static_assert(VS_MAX_EXPORTS < VS_EXPORT_ID_MAX, "a free export id must always exist");
	uint8_t used[VS_EXPORT_ID_MAX / 8 + 1] = {0};

	for (int i = 0; i < vs->n_exports; i++)
		if (vs->exports[i].id <= VS_EXPORT_ID_MAX)
			used[vs->exports[i].id / 8] |= (uint8_t)(1u << (vs->exports[i].id % 8));
	uint32_t want = vs->next_export_id;
	if (want >= 1 && want <= VS_EXPORT_ID_MAX && !(used[want / 8] & (1u << (want % 8)))) {
		*out = want;
		return 0;
	}
	for (uint32_t id = 1; id <= VS_EXPORT_ID_MAX; id++)
		if (!(used[id / 8] & (1u << (id % 8)))) {
			*out = id;
			return 0;
		}
	return vs_fail(-E2BIG, err, errlen,
	               "'%s' has no free export id left (ganesha's ids are 1 to %d).", vs->name,
	               VS_EXPORT_ID_MAX);
}

int vs_config_export_add(struct vs_config *cfg, const char *name, const char *pseudo,
                         const char *fsname, const char *path, const char *clients, bool ro,
                         char *err, size_t errlen)
{
	struct vs_export_opts o = {.clients = clients, .ro = ro};

	return vs_config_export_add_opts(cfg, name, pseudo, fsname, path, &o, err, errlen);
}

int vs_config_export_add_opts(struct vs_config *cfg, const char *name, const char *pseudo,
                              const char *fsname, const char *path,
                              const struct vs_export_opts *opts, char *err, size_t errlen)
{
	const char *clients = opts->clients;
	struct vs_vserver *vs;
	struct vs_export ex = {0};
	int rc = vs_config_need(cfg, name, &vs, err, errlen);

	if (rc < 0)
		return rc;
	rc = vs_check_pseudo(pseudo, err, errlen);
	if (rc < 0)
		return rc;
	rc = vs_vserver_need_fs(vs, fsname, err, errlen);
	if (rc < 0)
		return rc;
	rc = vs_normalise_subdir(path ? path : "", ex.path, sizeof(ex.path), err, errlen);
	if (rc < 0)
		return rc;
	if (clients && *clients) {
		rc = vs_canon_cidr(clients, ex.clients, sizeof(ex.clients), err, errlen);
		if (rc < 0)
			return rc;
	}
	for (int i = 0; i < vs->n_exports; i++) {
		const char *o = vs->exports[i].pseudo;
		size_t n = strlen(o), m = strlen(pseudo);
		if (strcmp(o, pseudo) == 0)
			return vs_fail(-EEXIST, err, errlen, "'%s' already exports %s.", name,
			               pseudo);
		if ((n < m && strncmp(o, pseudo, n) == 0 && pseudo[n] == '/') ||
		    (m < n && strncmp(o, pseudo, m) == 0 && o[m] == '/'))
			return vs_fail(-EEXIST, err, errlen,
			               "The export path %s would nest with the existing export %s.",
			               pseudo, o);
	}
	if (vs->n_exports >= VS_MAX_EXPORTS)
		return vs_fail(-E2BIG, err, errlen, "'%s' already has the maximum of %d exports.",
		               name, VS_MAX_EXPORTS);
	copy(ex.pseudo, sizeof(ex.pseudo), pseudo);
	copy(ex.fs, sizeof(ex.fs), fsname);
	rc = vs_export_identity(opts, &ex, err, errlen);
	if (rc < 0)
		return rc;
	rc = new_export_id(vs, &ex.id, err, errlen);
	if (rc < 0)
		return rc;
	if (vs_grow((void **)&vs->exports, &vs->cap_exports, vs->n_exports, sizeof(vs->exports[0]),
	            VS_MAX_EXPORTS) < 0)
		return vs_fail(-ENOMEM, err, errlen, "Out of memory.");
	vs->next_export_id = ex.id + 1;
	vs->exports[vs->n_exports++] = ex;
	cfg->version++;
	return 0;
}

int vs_config_export_del(struct vs_config *cfg, const char *name, const char *pseudo, char *err,
                         size_t errlen)
{
	struct vs_vserver *vs;
	char buf[64];
	int rc = vs_config_need(cfg, name, &vs, err, errlen);

	if (rc < 0)
		return rc;
	for (int i = 0; i < vs->n_exports; i++) {
		if (strcmp(vs->exports[i].pseudo, pseudo) != 0)
			continue;
		memmove(&vs->exports[i], &vs->exports[i + 1],
		        (size_t)(vs->n_exports - i - 1) * sizeof(vs->exports[0]));
		vs->n_exports--;
		cfg->version++;
		return 0;
	}
	return vs_fail(-ENOENT, err, errlen, "'%s' has no export %s.", name,
	               vs_shown(pseudo, buf, sizeof(buf)));
}

static int port_name_ok(const char *port, char *err, size_t errlen)
{
	char buf[48];

	if (strlen(port) == 0 || strlen(port) > VS_PORT_MAX)
		return vs_fail(-EINVAL, err, errlen, "'%s' is not a valid port name.",
		               vs_shown(port, buf, sizeof(buf)));
	for (const char *p = port; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
			return vs_fail(-EINVAL, err, errlen, "'%s' is not a valid port name.",
			               vs_shown(port, buf, sizeof(buf)));
	return 0;
}

int vs_config_vip_set(struct vs_config *cfg, const char *name, const char *addr, const char *group,
                      bool no_auto_revert, char *err, size_t errlen)
{
	struct vs_vserver *vs;
	struct vs_vip *vip;
	char buf[64];
	int rc = vs_config_need(cfg, name, &vs, err, errlen);

	if (rc < 0)
		return rc;
	vip = vs_vserver_find_vip(vs, addr);
	if (!vip)
		return vs_fail(-ENOENT, err, errlen, "'%s' has no virtual IP %s.", name,
		               vs_shown(addr, buf, sizeof(buf)));
	if (group && *group) {
		const struct vs_fgroup *g = vs_config_find_fgroup(cfg, group);
		bool has = false;
		if (!g)
			return vs_fail(-ENOENT, err, errlen,
			               "There is no failover group named '%s' ('vsadm fgroup show' "
			               "lists them).",
			               vs_shown(group, buf, sizeof(buf)));
		for (int i = 0; i < g->n_ports; i++)
			has |= strcmp(g->ports[i], vip->home_port) == 0;
		if (!has)
			return vs_fail(
			    -EINVAL, err, errlen,
			    "The failover group '%s' does not contain the home port %s of "
			    "%s.",
			    group, vip->home_port, vip->addr);
	}
	if (group)
		snprintf(vip->group, sizeof(vip->group), "%s", group);
	vip->no_auto_revert = no_auto_revert;
	cfg->version++;
	return 0;
}

int vs_config_fgroup_create(struct vs_config *cfg, const char *name, const char *ports,
                            const char *probe, uint32_t interval_ms, uint32_t misses,
                            int32_t hold_down_s, bool (*port_exists)(const char *port, void *arg),
                            void *arg, char *err, size_t errlen)
{
	struct vs_fgroup g = {0};
	char list[VS_FG_MAX_PORTS * (VS_PORT_MAX + 2)], *save = NULL, *tok, buf[64];
	int rc = vs_check_name("failover group", name, VS_NAME_MAX, err, errlen);

	if (rc < 0)
		return rc;
	if (vs_config_find_fgroup(cfg, name))
		return vs_fail(-EEXIST, err, errlen, "A failover group named '%s' already exists.",
		               name);
	if (cfg->n_fgroups >= VS_MAX_FGROUPS)
		return vs_fail(-E2BIG, err, errlen,
		               "There are already %d failover groups, the maximum.",
		               VS_MAX_FGROUPS);
	if (strlen(ports) >= sizeof(list))
		return vs_fail(-EINVAL, err, errlen, "A failover group has at most %d ports.",
		               VS_FG_MAX_PORTS);
	snprintf(list, sizeof(list), "%s", ports);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct vs_fgroup *other;
		rc = port_name_ok(tok, err, errlen);
		if (rc < 0)
			return rc;
		if (port_exists && !port_exists(tok, arg))
			return vs_fail(-ENOENT, err, errlen, "This node has no port named '%s'.",
			               tok);
		for (int i = 0; i < g.n_ports; i++)
			if (strcmp(g.ports[i], tok) == 0)
				return vs_fail(-EINVAL, err, errlen, "The port %s is listed twice.",
				               tok);
		other = vs_config_port_fgroup(cfg, tok);
		if (other)
			return vs_fail(
			    -EEXIST, err, errlen,
			    "The port %s already belongs to the failover group '%s'; a port "
			    "belongs to one group only.",
			    tok, other->name);
		if (g.n_ports >= VS_FG_MAX_PORTS)
			return vs_fail(-E2BIG, err, errlen,
			               "A failover group has at most %d ports.", VS_FG_MAX_PORTS);
		snprintf(g.ports[g.n_ports++], sizeof(g.ports[0]), "%s", tok);
	}
	if (g.n_ports == 0)
		return vs_fail(-EINVAL, err, errlen,
		               "A failover group needs at least one port (--ports eth1,eth2).");
	if (probe && *probe) {
		struct vs_vip p;
		char cidr[VS_ADDR_MAX + 8];
		if (strchr(probe, '/'))
			return vs_fail(-EINVAL, err, errlen,
			               "The probe target '%s' is an address, without a prefix.",
			               vs_shown(probe, buf, sizeof(buf)));
		snprintf(cidr, sizeof(cidr), "%s/%d", probe, strchr(probe, ':') ? 128 : 32);
		if (strlen(probe) > VS_ADDR_MAX || vs_parse_vip(cidr, &p, NULL, 0) < 0)
			return vs_fail(
			    -EINVAL, err, errlen,
			    "The probe target '%s' is not a unicast IPv4 or IPv6 address.",
			    vs_shown(probe, buf, sizeof(buf)));
		snprintf(g.probe, sizeof(g.probe), "%s", p.addr);
	}
	if (interval_ms && (interval_ms < 100 || interval_ms > 60000))
		return vs_fail(-EINVAL, err, errlen,
		               "The probe interval must be between 100 and 60000 ms.");
	if (misses && misses > 20)
		return vs_fail(-EINVAL, err, errlen,
		               "The probe miss count must be between 1 and 20.");
	if (hold_down_s > 3600)
		return vs_fail(-EINVAL, err, errlen, "The hold-down must be between 0 and 3600 s.");
	snprintf(g.name, sizeof(g.name), "%s", name);
	g.probe_interval_ms = interval_ms ? interval_ms : VS_FG_PROBE_INTERVAL_DEFAULT;
	g.probe_misses = misses ? misses : VS_FG_PROBE_MISSES_DEFAULT;
	g.hold_down_s = hold_down_s < 0 ? VS_FG_HOLD_DOWN_DEFAULT : (uint32_t)hold_down_s;
	cfg->fgroups[cfg->n_fgroups++] = g;
	cfg->version++;
	return 0;
}

int vs_config_fgroup_delete(struct vs_config *cfg, const char *name, char *err, size_t errlen)
{
	char buf[48];

	for (int i = 0; i < cfg->n_fgroups; i++) {
		if (strcmp(cfg->fgroups[i].name, name) != 0)
			continue;
		for (int v = 0; v < cfg->n_vservers; v++)
			for (int k = 0; k < cfg->vservers[v].n_vips; k++)
				if (strcmp(cfg->vservers[v].vips[k].group, name) == 0)
					return vs_fail(
					    -EBUSY, err, errlen,
					    "The failover group '%s' is named by virtual IP "
					    "%s of '%s'.",
					    name, cfg->vservers[v].vips[k].addr,
					    cfg->vservers[v].name);
		memmove(&cfg->fgroups[i], &cfg->fgroups[i + 1],
		        (size_t)(cfg->n_fgroups - i - 1) * sizeof(cfg->fgroups[0]));
		cfg->n_fgroups--;
		cfg->version++;
		return 0;
	}
	return vs_fail(-ENOENT, err, errlen, "There is no failover group named '%s'.",
	               vs_shown(name, buf, sizeof(buf)));
}

void vs_vip_mac(const char *vs, const char *addr, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *parts[] = {vs, "\x1f", addr};

	for (size_t k = 0; k < 3; k++)
		for (const unsigned char *p = (const unsigned char *)parts[k]; *p; p++) {
			h ^= *p;
			h *= 0x100000001b3ULL;
		}
	mac[0] = 0x02; /* locally administered, unicast */
	for (int i = 1; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * (i - 1)));
}
