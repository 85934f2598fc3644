/*
 * ap_system.c - A/B slots and update files: the pure decisions (see ap_system.h).
 */
#include "appliance/ap_system.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define ENV_HEAD "# GRUB Environment Block\n"

static int refuse(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return -EINVAL;
}

char ap_sys_slot_of(const char *w)
{
	if (w && (strcmp(w, "a") == 0 || strcmp(w, "b") == 0))
		return w[0];
	return 0;
}

char ap_sys_other(char slot)
{
	return slot == 'a' ? 'b' : slot == 'b' ? 'a' : 0;
}

char ap_sys_good(const struct ap_sys_env *e)
{
	return e->slot_good ? e->slot_good : 'a';
}

int ap_sys_env_parse(const char *buf, size_t len, struct ap_sys_env *e, char *err, size_t errlen)
{
	size_t hl = strlen(ENV_HEAD), i;

	*e = (struct ap_sys_env){0};
	if (len != AP_SYS_ENV_SIZE || memcmp(buf, ENV_HEAD, hl) != 0)
		return refuse(err, errlen,
		              "The boot loader's environment is not a 1024-byte GRUB environment "
		              "block.");
	for (i = hl; i < len && buf[i] != '#';) {
		const char *line = buf + i, *nl = memchr(line, '\n', len - i), *eq;
		if (!nl)
			return refuse(err, errlen,
			              "The boot loader's environment has a line without "
			              "its end.");
		eq = memchr(line, '=', (size_t)(nl - line));
		i = (size_t)(nl - buf) + 1;
		if (!eq)
			return refuse(err, errlen,
			              "The boot loader's environment has a line that is "
			              "not NAME=VALUE.");
		size_t nlen = (size_t)(eq - line), vlen = (size_t)(nl - eq - 1);
		char val[8];
		if (vlen >= sizeof(val)) {
			val[0] = '?', val[1] = '\0';
		} else {
			memcpy(val, eq + 1, vlen);
			val[vlen] = '\0';
		}
		char *slot = NULL;
		if (nlen == 9 && memcmp(line, "slot_good", 9) == 0)
			slot = &e->slot_good;
		else if (nlen == 8 && memcmp(line, "slot_try", 8) == 0)
			slot = &e->slot_try;
		else if (nlen == 11 && memcmp(line, "rolled_back", 11) == 0)
			slot = &e->rolled_back;
		if (slot) {
			if (val[0] && !ap_sys_slot_of(val))
				return refuse(err, errlen,
				              "The boot loader's environment names a slot "
				              "that is neither a nor b.");
			*slot = ap_sys_slot_of(val);
		} else if (nlen == 8 && memcmp(line, "try_left", 8) == 0) {
			if (strcmp(val, "1") == 0)
				e->try_left = 1;
			else if (val[0] && strcmp(val, "0") != 0)
				return refuse(err, errlen,
				              "The boot loader's try counter is neither 0 "
				              "nor 1.");
		}
	}
	for (; i < len; i++)
		if (buf[i] != '#')
			return refuse(err, errlen,
			              "The boot loader's environment has text after its "
			              "padding.");
	return 0;
}

void ap_sys_env_format(const struct ap_sys_env *e, char out[AP_SYS_ENV_SIZE])
{
	int n = snprintf(out, AP_SYS_ENV_SIZE,
	                 ENV_HEAD "slot_good=%s\nslot_try=%s\ntry_left=%d\nrolled_back=%s\n",
	                 e->slot_good == 'b'   ? "b"
	                 : e->slot_good == 'a' ? "a"
	                                       : "",
	                 e->slot_try == 'b'   ? "b"
	                 : e->slot_try == 'a' ? "a"
	                                      : "",
	                 e->try_left ? 1 : 0,
	                 e->rolled_back == 'b'   ? "b"
	                 : e->rolled_back == 'a' ? "a"
	                                         : "");
	memset(out + n, '#', AP_SYS_ENV_SIZE - (size_t)n);
}

char ap_sys_cmdline_slot(const char *cmdline)
{
	const char *p = cmdline;
	static const char key[] = "appliance.slot=";

	while (p && *p) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (strncmp(p, key, sizeof(key) - 1) == 0) {
			const char *v = p + sizeof(key) - 1;
			if ((v[0] == 'a' || v[0] == 'b') &&
			    (v[1] == '\0' || v[1] == ' ' || v[1] == '\n' || v[1] == '\t'))
				return v[0];
			return 0;
		}
		p = strpbrk(p, " \t\n");
	}
	return 0;
}

enum ap_sys_boot ap_sys_boot_kind(const struct ap_sys_env *e, char running)
{
	if (running && running == e->slot_try && !e->try_left)
		return AP_SYS_BOOT_TRIAL;
	if (running && running == ap_sys_good(e))
		return AP_SYS_BOOT_GOOD;
	return AP_SYS_BOOT_ODD;
}

const char *ap_sys_boot_name(enum ap_sys_boot b)
{
	return b == AP_SYS_BOOT_GOOD ? "good" : b == AP_SYS_BOOT_TRIAL ? "trial" : "odd";
}

int ap_sys_update_plan(const struct ap_sys_env *e, char running, char *target,
                       struct ap_sys_env *next, char *err, size_t errlen)
{
	if (running != 'a' && running != 'b')
		return refuse(err, errlen,
		              "This node cannot tell which root slot it runs (no appliance.slot on "
		              "its kernel command line): it was not booted by the appliance's boot "
		              "loader; nothing was written.");
	switch (ap_sys_boot_kind(e, running)) {
	case AP_SYS_BOOT_TRIAL:
		snprintf(
		    err, errlen,
		    "This boot of slot %c is an update on trial, not yet confirmed healthy: "
		    "let it confirm (or fall back) before updating again; nothing was written.",
		    running);
		return -EBUSY;
	case AP_SYS_BOOT_ODD:
		snprintf(err, errlen,
		         "This node runs slot %c but its boot loader's good slot is %c: writing "
		         "slot %c would overwrite the good one; reboot into slot %c first; nothing "
		         "was written.",
		         running, ap_sys_good(e), ap_sys_other(running), ap_sys_good(e));
		return -EBUSY;
	case AP_SYS_BOOT_GOOD:
		break;
	}
	*target = ap_sys_other(running);
	*next = (struct ap_sys_env){
	    .slot_good = running, .slot_try = *target, .try_left = 1, .rolled_back = 0};
	return 0;
}

int ap_sys_confirm(struct ap_sys_env *e, char running)
{
	switch (ap_sys_boot_kind(e, running)) {
	case AP_SYS_BOOT_TRIAL:
		*e = (struct ap_sys_env){.slot_good = running};
		return 1;
	case AP_SYS_BOOT_GOOD:
		if (!e->slot_good) {
			e->slot_good = running;
			return 1;
		}
		return 0;
	case AP_SYS_BOOT_ODD:
		break;
	}
	return 0;
}

bool ap_sys_guard_reboot(const struct ap_sys_env *e, char running)
{
	return ap_sys_boot_kind(e, running) == AP_SYS_BOOT_TRIAL;
}

const char *ap_sys_slot_state(const struct ap_sys_env *e, char running, char slot)
{
	if (slot == e->slot_try)
		return e->try_left ? "pending" : "trial";
	if (slot == e->rolled_back)
		return "failed";
	if (slot == ap_sys_good(e))
		return "good";
	return "spare";
}

void ap_sys_outcome(const struct ap_sys_env *e, char running, const char *version, char slot,
                    char *out, size_t len)
{
	const char *v = version && version[0] ? version : "(unknown version)";

	if (slot != 'a' && slot != 'b')
		snprintf(out, len, "%s", "");
	else if (slot == e->rolled_back)
		snprintf(out, len,
		         "update to %s failed: rolled back (slot %c did not come up healthy; "
		         "slot %c runs)",
		         v, slot, ap_sys_good(e));
	else if (slot == e->slot_try && e->try_left)
		snprintf(out, len,
		         "update to %s written to slot %c: it boots at the next reboot "
		         "('vsadm system reboot')",
		         v, slot);
	else if (slot == e->slot_try)
		snprintf(
		    out, len,
		    "update to %s on trial in slot %c: it is confirmed once applianced answers", v,
		    slot);
	else if (slot == ap_sys_good(e) && slot == running)
		snprintf(out, len, "update to %s confirmed healthy: slot %c runs it", v, slot);
	else
		snprintf(out, len, "update to %s in slot %c is no longer the boot slot", v, slot);
}

bool ap_sys_version_ok(const char *v)
{
	size_t n = v ? strlen(v) : 0;

	if (n == 0 || n > AP_SYS_VERSION_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr(".+~:_-", v[i]))
			return false;
	return true;
}

int ap_sys_manifest_parse(const char *hdr, size_t len, struct ap_sys_manifest *m, char *err,
                          size_t errlen)
{
	static const char *const members[] = {"format", "version", "root_size", "root_sha256"};
	const char *key, *fmt, *ver, *sum;
	json_error_t jerr;
	json_t *j, *v;
	size_t n;

	*m = (struct ap_sys_manifest){0};
	if (len > AP_SYS_HDR_SIZE)
		len = AP_SYS_HDR_SIZE;
	n = strnlen(hdr, len);
	for (size_t i = n; i < len; i++)
		if (hdr[i] != '\0')
			return refuse(err, errlen,
			              "This is not an appliance update file (its header "
			              "is not a manifest followed by zeros).");
	j = json_loadb(hdr, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(j)) {
		json_decref(j);
		return refuse(err, errlen,
		              "This is not an appliance update file (no manifest at "
		              "its start).");
	}
	json_object_foreach(j, key, v)
	{
		bool known = false;
		for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
			known |= strcmp(key, members[i]) == 0;
		if (!known) {
			snprintf(err, errlen,
			         "The update's manifest has a member '%.32s' this version does not "
			         "know: nothing was written.",
			         key);
			json_decref(j);
			return -EINVAL;
		}
	}
	fmt = json_string_value(json_object_get(j, "format"));
	ver = json_string_value(json_object_get(j, "version"));
	sum = json_string_value(json_object_get(j, "root_sha256"));
	v = json_object_get(j, "root_size");
	int rc = 0;
	if (!fmt || strcmp(fmt, AP_SYS_FORMAT) != 0)
		rc = refuse(err, errlen,
		            "The update's format is not " AP_SYS_FORMAT ", the one this version "
		            "installs.");
	else if (!ap_sys_version_ok(ver))
		rc = refuse(err, errlen,
		            "The update's version must be 1-64 letters, digits and . + ~ : _ -.");
	else if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
	         (uint64_t)json_integer_value(v) > AP_SYS_ROOT_MAX ||
	         json_integer_value(v) % 4096 != 0)
		rc = refuse(err, errlen,
		            "The update's root size must be a positive multiple of 4096 bytes, at "
		            "most 64 GiB.");
	else if (!sum || strlen(sum) != 64 || strspn(sum, "0123456789abcdef") != 64)
		rc = refuse(err, errlen,
		            "The update's root_sha256 must be 64 lower-case hex digits.");
	if (rc == 0) {
		snprintf(m->version, sizeof(m->version), "%s", ver);
		m->root_size = (uint64_t)json_integer_value(v);
		memcpy(m->sha256, sum, 65);
	}
	json_decref(j);
	return rc;
}

int ap_sys_manifest_format(const struct ap_sys_manifest *m, char out[AP_SYS_HDR_SIZE])
{
	if (!ap_sys_version_ok(m->version))
		return -EINVAL;
	memset(out, 0, AP_SYS_HDR_SIZE);
	int n = snprintf(out, AP_SYS_HDR_SIZE,
	                 "{\"format\": \"" AP_SYS_FORMAT "\", \"version\": \"%s\", \"root_size\": "
	                 "%llu, \"root_sha256\": \"%s\"}\n",
	                 m->version, (unsigned long long)m->root_size, m->sha256);
	return n > 0 && n < AP_SYS_HDR_SIZE ? 0 : -E2BIG;
}

int ap_sys_check_sizes(uint64_t size, bool blockdev, const struct ap_sys_manifest *m,
                       uint64_t part_size, char *err, size_t errlen)
{
	uint64_t want = AP_SYS_HDR_SIZE + m->root_size;

	if (size < want || (!blockdev && size != want)) {
		snprintf(
		    err, errlen,
		    "The update file is %llu bytes but its manifest says %llu: it is cut short "
		    "or has something appended; nothing was written.",
		    (unsigned long long)size, (unsigned long long)want);
		return -EINVAL;
	}
	if (m->root_size > part_size) {
		snprintf(err, errlen,
		         "The update's root (%llu MiB) is larger than the root slot (%llu MiB); "
		         "nothing was written.",
		         (unsigned long long)(m->root_size >> 20),
		         (unsigned long long)(part_size >> 20));
		return -EFBIG;
	}
	return 0;
}

int ap_sys_check_path(const char *path, char *err, size_t errlen)
{
	size_t n = path ? strlen(path) : 0;

	if (n == 0 || path[0] != '/' || n >= PATH_MAX)
		return refuse(err, errlen, "Give the update file as an absolute path.");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
			return refuse(err, errlen,
			              "The update file's path has a control character.");
	for (const char *p = path; p; p = strchr(p + 1, '/')) {
		const char *c = p + 1;
		size_t l = strcspn(c, "/");
		if ((l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
			return refuse(err, errlen,
			              "The update file's path has a . or .. component: give it "
			              "plainly.");
	}
	return 0;
}

int ap_sys_check_web_file(const struct stat *st, uid_t web_uid, char *err, size_t errlen)
{
	if (!S_ISREG(st->st_mode))
		return refuse(err, errlen, "The uploaded update is not a regular file.");
	if (st->st_uid != web_uid)
		return refuse(err, errlen, "The uploaded update is not the web process's file.");
	if (st->st_nlink != 1)
		return refuse(err, errlen, "The uploaded update has another name (a hard link).");
	return 0;
}

int ap_sys_check_asker(const char *cmd, bool root, bool as_web, bool force, char *err,
                       size_t errlen)
{
	if (root && !as_web)
		return 0;
	if (as_web && strcmp(cmd, "system.update") == 0)
		return 0;
	if (as_web && strcmp(cmd, "system.reboot") == 0 && !force)
		return 0;
	if (as_web && strcmp(cmd, "system.reboot") == 0)
		return refuse(
		    err, errlen,
		    "A forced reboot is root's on the node (vsadm system reboot --force), "
		    "not the web console's.");
	return refuse(err, errlen,
	              as_web ? "Only root on this node may confirm a boot slot (vsadm as root)."
	                     : "Only root on this node, or a console admin through the web "
	                       "console, may update or reboot it.");
}

int ap_sys_reboot_check(bool in_cluster, bool in_maint, int running_here, bool force, char *err,
                        size_t errlen)
{
	if (force)
		return 0;
	if (in_cluster && !in_maint) {
		snprintf(err, errlen,
		         "This node is not under maintenance: its virtual servers would fail over "
		         "instead of moving ('vsadm node evacuate' first, or --force); not "
		         "rebooting.");
		return -EBUSY;
	}
	if (running_here > 0) {
		snprintf(err, errlen,
		         "%d virtual server%s still run%s on this node: %s; not rebooting (--force "
		         "reboots anyway).",
		         running_here, running_here == 1 ? "" : "s", running_here == 1 ? "s" : "",
		         in_cluster ? "wait until they have moved ('vsadm move show')"
		                    : "it is in no cluster, so they would stop; stop them first");
		return -EBUSY;
	}
	return 0;
}

int ap_sys_parse_child(int argc, char *const *argv, enum ap_sys_op *op, const char **file)
{
	static const struct {
		const char *flag;
		enum ap_sys_op op;
		int args;
	} ops[] = {{"--system-show", AP_SYS_OP_SHOW, 0},
	           {"--system-write", AP_SYS_OP_WRITE, 1},
	           {"--system-confirm", AP_SYS_OP_CONFIRM, 0},
	           {"--system-guard", AP_SYS_OP_GUARD, 0}};

	*file = NULL;
	if (argc < 2)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(argv[1], ops[i].flag) != 0)
			continue;
		if (argc != 2 + ops[i].args)
			return -EINVAL;
		if (ops[i].args) {
			char err[128];
			if (ap_sys_check_path(argv[2], err, sizeof(err)) < 0)
				return -EINVAL;
			*file = argv[2];
		}
		*op = ops[i].op;
		return 0;
	}
	return -EINVAL;
}
