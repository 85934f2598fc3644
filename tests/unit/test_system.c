/*
 * test_system.c - ap_system's decisions (pure): the boot loader's environment
 * parsed and formatted (1024 bytes, what GRUB rewrites in place), which kind
 * of boot this is, the update plan (never the running slot; refused on a trial
 * or odd boot), the confirmation, the guard, each slot's state and the last
 * update's outcome (the rollback sentence), the update file's manifest by
 * allow-list and its sizes, the path vsadm sends, the reboot gate, and the
 * children's argument allow-list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "appliance/ap_system.h"

static struct ap_sys_env env(char good, char try_, int left, char rb)
{
	return (struct ap_sys_env){
	    .slot_good = good, .slot_try = try_, .try_left = left, .rolled_back = rb};
}

static void test_env_roundtrip(void **state)
{
	char buf[AP_SYS_ENV_SIZE + 1], err[256];
	struct ap_sys_env in = env('b', 'a', 1, 0), out;

	ap_sys_env_format(&in, buf);
	assert_int_equal(buf[AP_SYS_ENV_SIZE - 1], '#');
	assert_int_equal(ap_sys_env_parse(buf, AP_SYS_ENV_SIZE, &out, err, sizeof(err)), 0);
	assert_int_equal(out.slot_good, in.slot_good);
	assert_int_equal(out.slot_try, in.slot_try);
	assert_int_equal(out.try_left, in.try_left);
	assert_int_equal(out.rolled_back, in.rolled_back);
	/* What grub-editenv creates, and GRUB's own save_env with other variables. */
	memset(buf, '#', AP_SYS_ENV_SIZE);
	memcpy(buf, "# GRUB Environment Block\n", 25);
	assert_int_equal(ap_sys_env_parse(buf, AP_SYS_ENV_SIZE, &out, err, sizeof(err)), 0);
	assert_int_equal(out.slot_good, 0);
	assert_int_equal(ap_sys_good(&out), 'a');
	const char *t =
	    "# GRUB Environment Block\nnext_entry=\nslot_try=b\ntry_left=0\nrolled_back=\n";
	memcpy(buf, t, strlen(t));
	assert_int_equal(ap_sys_env_parse(buf, AP_SYS_ENV_SIZE, &out, err, sizeof(err)), 0);
	assert_int_equal(out.slot_try, 'b');
	assert_int_equal(out.try_left, 0);

	static const struct {
		const char *text;
		const char *want;
	} bad[] = {
	    {"# not GRUB\n", "not a 1024-byte"},
	    {"# GRUB Environment Block\nslot_good=c\n", "neither a nor b"},
	    {"# GRUB Environment Block\nslot_try=ab\n", "neither a nor b"},
	    {"# GRUB Environment Block\ntry_left=2\n", "neither 0"},
	    {"# GRUB Environment Block\nnoequals\n", "NAME=VALUE"},
	    {"# GRUB Environment Block\nslot_good=a\n#x\n", "after its padding"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(buf, '#', AP_SYS_ENV_SIZE);
		memcpy(buf, bad[i].text, strlen(bad[i].text));
		if (strstr(bad[i].text, "#x"))
			memcpy(buf + strlen(bad[i].text) + 5, "zz", 2);
		assert_true(ap_sys_env_parse(buf, AP_SYS_ENV_SIZE, &out, err, sizeof(err)) < 0);
		assert_non_null(strstr(err, bad[i].want));
	}
	assert_true(ap_sys_env_parse(buf, 100, &out, err, sizeof(err)) < 0);
}

static void test_cmdline(void **state)
{
	assert_int_equal(
	    ap_sys_cmdline_slot("root=PARTLABEL=approot-b rw appliance.slot=b panic=10\n"), 'b');
	assert_int_equal(ap_sys_cmdline_slot("appliance.slot=a"), 'a');
	assert_int_equal(ap_sys_cmdline_slot("xappliance.slot=a"), 0);
	assert_int_equal(ap_sys_cmdline_slot("appliance.slot=ab"), 0);
	assert_int_equal(ap_sys_cmdline_slot("appliance.slot=c"), 0);
	assert_int_equal(ap_sys_cmdline_slot("quiet"), 0);
	assert_int_equal(ap_sys_cmdline_slot(""), 0);
}

/* The life of an update, as GRUB and the units move the environment. */
static void test_plan_confirm_guard(void **state)
{
	static const struct {
		struct ap_sys_env e;
		char running;
		enum ap_sys_boot kind;
		int plan; /* 0, or the refusal's errno */
		char target;
		bool guard;
		int confirm; /* ap_sys_confirm's answer */
		char good_after;
	} t[] = {
	    /* a new image: nothing written yet, slot a runs */
	    {{0, 0, 0, 0}, 'a', AP_SYS_BOOT_GOOD, 0, 'b', false, 1, 'a'},
	    {{'a', 0, 0, 0}, 'a', AP_SYS_BOOT_GOOD, 0, 'b', false, 0, 'a'},
	    /* an update written, not rebooted yet: a second update rewrites b */
	    {{'a', 'b', 1, 0}, 'a', AP_SYS_BOOT_GOOD, 0, 'b', false, 0, 'a'},
	    /* the try booting: GRUB set try_left=0 */
	    {{'a', 'b', 0, 0}, 'b', AP_SYS_BOOT_TRIAL, -EBUSY, 0, true, 1, 'b'},
	    /* GRUB fell back: rolled_back=b, slot a again */
	    {{'a', 0, 0, 'b'}, 'a', AP_SYS_BOOT_GOOD, 0, 'b', false, 0, 'a'},
	    /* b good after a confirmed update: the next writes a */
	    {{'b', 0, 0, 0}, 'b', AP_SYS_BOOT_GOOD, 0, 'a', false, 0, 'b'},
	    /* booted by hand into the spare slot: never overwrite the good one */
	    {{'b', 0, 0, 0}, 'a', AP_SYS_BOOT_ODD, -EBUSY, 0, false, 0, 'b'},
	    /* no slot on the command line */
	    {{'a', 0, 0, 0}, 0, AP_SYS_BOOT_ODD, -EINVAL, 0, false, 0, 'a'},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ap_sys_env e = t[i].e, next;
		char target = 0, err[512] = "";
		assert_int_equal(ap_sys_boot_kind(&e, t[i].running), t[i].kind);
		int rc = ap_sys_update_plan(&e, t[i].running, &target, &next, err, sizeof(err));
		assert_int_equal(rc, t[i].plan);
		if (rc == 0) {
			assert_int_equal(target, t[i].target);
			assert_int_not_equal(target, t[i].running);
			assert_int_equal(next.slot_good, t[i].running);
			assert_int_equal(next.slot_try, target);
			assert_int_equal(next.try_left, 1);
			assert_int_equal(next.rolled_back, 0);
		} else {
			assert_non_null(strstr(err, "nothing was written"));
		}
		assert_int_equal(ap_sys_guard_reboot(&e, t[i].running), t[i].guard);
		assert_int_equal(ap_sys_confirm(&e, t[i].running), t[i].confirm);
		assert_int_equal(ap_sys_good(&e), t[i].good_after);
	}
	/* A confirmed trial leaves no try and no rollback behind. */
	struct ap_sys_env e = env('a', 'b', 0, 0);
	assert_int_equal(ap_sys_confirm(&e, 'b'), 1);
	assert_int_equal(e.slot_try, 0);
	assert_int_equal(e.try_left, 0);
	assert_false(ap_sys_guard_reboot(&e, 'b'));
}

static void test_states_outcome(void **state)
{
	char out[512];
	struct ap_sys_env e;

	e = env('a', 'b', 1, 0);
	assert_string_equal(ap_sys_slot_state(&e, 'a', 'a'), "good");
	assert_string_equal(ap_sys_slot_state(&e, 'a', 'b'), "pending");
	ap_sys_outcome(&e, 'a', "2.0", 'b', out, sizeof(out));
	assert_non_null(strstr(out, "update to 2.0 written to slot b"));
	e = env('a', 'b', 0, 0);
	assert_string_equal(ap_sys_slot_state(&e, 'b', 'b'), "trial");
	ap_sys_outcome(&e, 'b', "2.0", 'b', out, sizeof(out));
	assert_non_null(strstr(out, "on trial"));
	e = env('a', 0, 0, 'b');
	assert_string_equal(ap_sys_slot_state(&e, 'a', 'b'), "failed");
	ap_sys_outcome(&e, 'a', "3.0-bad", 'b', out, sizeof(out));
	assert_non_null(strstr(out, "update to 3.0-bad failed: rolled back"));
	e = env('b', 0, 0, 0);
	assert_string_equal(ap_sys_slot_state(&e, 'b', 'a'), "spare");
	ap_sys_outcome(&e, 'b', "2.0", 'b', out, sizeof(out));
	assert_non_null(strstr(out, "confirmed healthy"));
	ap_sys_outcome(&e, 'b', "", 0, out, sizeof(out));
	assert_string_equal(out, "");
}

static const char SUM[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void test_manifest(void **state)
{
	char hdr[AP_SYS_HDR_SIZE], err[512];
	struct ap_sys_manifest m = {.root_size = 8192}, got;

	snprintf(m.version, sizeof(m.version), "0.1~git20261203.abc");
	memcpy(m.sha256, SUM, 65);
	assert_int_equal(ap_sys_manifest_format(&m, hdr), 0);
	assert_int_equal(ap_sys_manifest_parse(hdr, sizeof(hdr), &got, err, sizeof(err)), 0);
	assert_string_equal(got.version, m.version);
	assert_int_equal(got.root_size, 8192);
	assert_string_equal(got.sha256, SUM);

	static const struct {
		const char *json;
		const char *want;
	} bad[] = {
	    {"", "no manifest"},
	    {"[]", "no manifest"},
	    {"{\"format\": \"appliance-update/2\", \"version\": \"1\", \"root_size\": 4096, "
	     "\"root_sha256\": \"%s\"}",
	     "format"},
	    {"{\"format\": \"appliance-update/1\", \"version\": \"1 2\", \"root_size\": 4096, "
	     "\"root_sha256\": \"%s\"}",
	     "version"},
	    {"{\"format\": \"appliance-update/1\", \"version\": \"1\", \"root_size\": 4095, "
	     "\"root_sha256\": \"%s\"}",
	     "multiple of 4096"},
	    {"{\"format\": \"appliance-update/1\", \"version\": \"1\", \"root_size\": -4096, "
	     "\"root_sha256\": \"%s\"}",
	     "multiple of 4096"},
	    {"{\"format\": \"appliance-update/1\", \"version\": \"1\", \"root_size\": "
	     "137438953472, \"root_sha256\": \"%s\"}",
	     "64 GiB"},
	    {"{\"format\": \"appliance-update/1\", \"version\": \"1\", \"root_size\": 4096, "
	     "\"root_sha256\": \"%.63s\"}",
	     "64 lower-case hex"},
	    {"{\"format\": \"appliance-update/1\", \"version\": \"1\", \"root_size\": 4096, "
	     "\"root_sha256\": \"%s\", \"script\": \"rm -rf /\"}",
	     "does not know"},
	    {"{\"format\": \"appliance-update/1\", \"format\": \"appliance-update/1\", "
	     "\"version\": \"1\", \"root_size\": 4096, \"root_sha256\": \"%s\"}",
	     "no manifest"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(hdr, 0, sizeof(hdr));
		snprintf(hdr, sizeof(hdr), bad[i].json, SUM);
		assert_true(ap_sys_manifest_parse(hdr, sizeof(hdr), &got, err, sizeof(err)) < 0);
		assert_non_null(strstr(err, bad[i].want));
	}
	/* Something after the manifest but within the header. */
	assert_int_equal(ap_sys_manifest_format(&m, hdr), 0);
	hdr[AP_SYS_HDR_SIZE - 1] = 'x';
	assert_true(ap_sys_manifest_parse(hdr, sizeof(hdr), &got, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "followed by zeros"));
	/* A version that would not fit the state or a sentence. */
	snprintf(m.version, sizeof(m.version), "a/b");
	assert_int_equal(ap_sys_manifest_format(&m, hdr), -EINVAL);
}

static void test_sizes_path_reboot(void **state)
{
	struct ap_sys_manifest m = {.root_size = 1 << 20};
	char err[512];

	assert_int_equal(ap_sys_check_sizes(4096 + (1 << 20), false, &m, 2 << 20, err, sizeof(err)),
	                 0);
	assert_int_equal(
	    ap_sys_check_sizes(4096 + (1 << 20) + 1, false, &m, 2 << 20, err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "appended"));
	assert_int_equal(ap_sys_check_sizes(4096 + 5, false, &m, 2 << 20, err, sizeof(err)),
	                 -EINVAL);
	/* a block device may be larger than the file it holds */
	assert_int_equal(ap_sys_check_sizes(8 << 20, true, &m, 2 << 20, err, sizeof(err)), 0);
	assert_int_equal(ap_sys_check_sizes(4096 + (1 << 20), false, &m, 1 << 19, err, sizeof(err)),
	                 -EFBIG);
	assert_non_null(strstr(err, "larger than the root slot"));

	static const struct {
		const char *path;
		int rc;
	} paths[] = {
	    {"/dev/vdb", 0},
	    {"/root/appliance-update.img", 0},
	    {"relative.img", -EINVAL},
	    {"", -EINVAL},
	    {"/a/../etc/shadow", -EINVAL},
	    {"/a/./b", -EINVAL},
	    {"/a/b\nc", -EINVAL},
	    {"/a/..b", 0},
	    {"/a/b/..", -EINVAL},
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		assert_int_equal(ap_sys_check_path(paths[i].path, err, sizeof(err)), paths[i].rc);
	assert_int_equal(ap_sys_check_path(NULL, err, sizeof(err)), -EINVAL);

	static const struct {
		bool cluster, maint;
		int here;
		bool force;
		int rc;
		const char *want;
	} rb[] = {
	    {false, false, 0, false, 0, NULL},
	    {false, false, 2, false, -EBUSY, "would stop"},
	    {true, false, 0, false, -EBUSY, "not under maintenance"},
	    {true, true, 1, false, -EBUSY, "wait until they have moved"},
	    {true, true, 0, false, 0, NULL},
	    {true, false, 3, true, 0, NULL},
	};
	for (size_t i = 0; i < sizeof(rb) / sizeof(rb[0]); i++) {
		err[0] = '\0';
		assert_int_equal(ap_sys_reboot_check(rb[i].cluster, rb[i].maint, rb[i].here,
		                                     rb[i].force, err, sizeof(err)),
		                 rb[i].rc);
		if (rb[i].want)
			assert_non_null(strstr(err, rb[i].want));
	}
}

/* Who may ask for system.*, and which uploaded file applianced takes. */
static void test_asker_web_file(void **state)
{
	char err[256];
	struct stat st = {.st_mode = S_IFREG | 0600, .st_uid = 998, .st_nlink = 1};

	(void)state;
	assert_int_equal(ap_sys_check_asker("system.update", true, false, false, err, sizeof(err)),
	                 0);
	assert_int_equal(ap_sys_check_asker("system.confirm", true, false, false, err, sizeof(err)),
	                 0);
	assert_int_equal(ap_sys_check_asker("system.reboot", true, false, true, err, sizeof(err)),
	                 0);
	/* a console admin through the web: an update, a reboot never forced */
	assert_int_equal(ap_sys_check_asker("system.update", false, true, false, err, sizeof(err)),
	                 0);
	assert_int_equal(ap_sys_check_asker("system.reboot", false, true, false, err, sizeof(err)),
	                 0);
	assert_true(ap_sys_check_asker("system.reboot", false, true, true, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "--force"));
	assert_true(ap_sys_check_asker("system.confirm", false, true, false, err, sizeof(err)) < 0);
	/* root's vsadm acting for an account is the web's case, not root's */
	assert_true(ap_sys_check_asker("system.confirm", true, true, false, err, sizeof(err)) < 0);
	/* a member of the admin group (not root), through vsadm */
	assert_true(ap_sys_check_asker("system.update", false, false, false, err, sizeof(err)) < 0);
	assert_true(ap_sys_check_asker("system.reboot", false, false, false, err, sizeof(err)) < 0);

	assert_int_equal(ap_sys_check_web_file(&st, 998, err, sizeof(err)), 0);
	assert_true(ap_sys_check_web_file(&st, 0, err, sizeof(err)) < 0); /* another's */
	st.st_nlink = 2;
	assert_true(ap_sys_check_web_file(&st, 998, err, sizeof(err)) < 0); /* a hard link */
	assert_non_null(strstr(err, "hard link"));
	st.st_nlink = 1;
	st.st_mode = S_IFLNK | 0777;
	assert_true(ap_sys_check_web_file(&st, 998, err, sizeof(err)) < 0);
	st.st_mode = S_IFBLK | 0600;
	assert_true(ap_sys_check_web_file(&st, 998, err, sizeof(err)) < 0);
}

static void test_child_args(void **state)
{
	enum ap_sys_op op;
	const char *file;
	static const struct {
		int argc;
		const char *argv[4];
		int rc;
		enum ap_sys_op op;
	} t[] = {
	    {2, {"applianced", "--system-show"}, 0, AP_SYS_OP_SHOW},
	    {3, {"applianced", "--system-write", "/dev/vdb"}, 0, AP_SYS_OP_WRITE},
	    {2, {"applianced", "--system-confirm"}, 0, AP_SYS_OP_CONFIRM},
	    {2, {"applianced", "--system-guard"}, 0, AP_SYS_OP_GUARD},
	    {2, {"applianced", "--system-write"}, -EINVAL, 0},
	    {3, {"applianced", "--system-write", "rel"}, -EINVAL, 0},
	    {3, {"applianced", "--system-write", "/a/../b"}, -EINVAL, 0},
	    {3, {"applianced", "--system-show", "/x"}, -EINVAL, 0},
	    {2, {"applianced", "--system-format"}, -EINVAL, 0},
	    {1, {"applianced"}, -EINVAL, 0},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = ap_sys_parse_child(t[i].argc, (char *const *)t[i].argv, &op, &file);
		assert_int_equal(rc, t[i].rc);
		if (rc == 0) {
			assert_int_equal(op, t[i].op);
			if (op == AP_SYS_OP_WRITE)
				assert_string_equal(file, t[i].argv[2]);
			else
				assert_null(file);
		}
	}
	assert_true(ap_sys_version_ok("0.1~git20261203080000.abcdef123456"));
	assert_false(ap_sys_version_ok(""));
	assert_false(ap_sys_version_ok("1;reboot"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_env_roundtrip),      cmocka_unit_test(test_cmdline),
	    cmocka_unit_test(test_plan_confirm_guard), cmocka_unit_test(test_states_outcome),
	    cmocka_unit_test(test_manifest),           cmocka_unit_test(test_sizes_path_reboot),
	    cmocka_unit_test(test_child_args),         cmocka_unit_test(test_asker_web_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
