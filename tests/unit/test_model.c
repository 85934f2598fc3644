/*
 * test_model.c - the VS model: value checks, validated changes (a refused
 * change leaves the configuration byte for byte as it was), the placement
 * settings (`at`, auto-revert, nodes under maintenance), JSON round trip,
 * stable MACs, and the SQLite store.
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

#include "vserver/vs_delta.h"
#include "vserver/vs_json.h"
#include "fsexport/fx_ganesha.h"
#include "vserver/vs_model.h"
#include "vserver/vs_store.h"

static bool ports(const char *p, void *arg)
{
	return strcmp(p, "eth1") == 0 || strcmp(p, "eth2") == 0;
}

/* A configuration with one VS "vs1": VIP, fs "data", export, share. */
static struct vs_config *base(void)
{
	struct vs_config *c = calloc(1, sizeof(*c));
	char err[VS_ERR_LEN];

	assert_non_null(c);
	assert_int_equal(vs_config_create(c, "vs1", 50, false, "", err, sizeof(err)), 0);
	assert_int_equal(
	    vs_config_vip_add(c, "vs1", "192.0.2.10/24", "eth1", ports, NULL, err, sizeof(err)), 0);
	assert_int_equal(vs_config_fs_add(c, "vs1", "data", "LABEL=lab-lun0", err, sizeof(err)), 0);
	assert_int_equal(
	    vs_config_export_add(c, "vs1", "/data", "data", "", "", false, err, sizeof(err)), 0);
	assert_int_equal(vs_config_share_add(c, "vs1", "data", "data", "", false, err, sizeof(err)),
	                 0);
	assert_int_equal(vs_config_create(c, "vs2", 10, true, "n2", err, sizeof(err)), 0);
	return c;
}

struct bad_case {
	const char *what;
	int (*apply)(struct vs_config *c, char *err, size_t len);
	int rc;
	const char *needle; /* a word the message must contain */
};

#define CASE(name, rcv, needle, body)                                                              \
	static int name(struct vs_config *c, char *err, size_t len)                                \
	{                                                                                          \
		return body;                                                                       \
	}
CASE(dup_vs, -EEXIST, "already exists", vs_config_create(c, "vs1", 50, false, "", err, len))
CASE(bad_name_meta, -EINVAL, "letters", vs_config_create(c, "vs;rm", 50, false, "", err, len))
CASE(bad_name_space, -EINVAL, "letters", vs_config_create(c, "vs 1", 50, false, "", err, len))
CASE(bad_name_long, -EINVAL, "too long",
     vs_config_create(c, "averyveryveryveryverylongvservername", 50, false, "", err, len))
CASE(bad_name_digit, -EINVAL, "start with a letter",
     vs_config_create(c, "1vs", 50, false, "", err, len))
CASE(bad_name_empty, -EINVAL, "empty", vs_config_create(c, "", 50, false, "", err, len))
CASE(bad_prio, -EINVAL, "priority", vs_config_create(c, "vs3", 101, false, "", err, len))
CASE(vip_taken, -EEXIST, "vs1",
     vs_config_vip_add(c, "vs2", "192.0.2.10/24", "eth1", ports, NULL, err, len))
CASE(vip_taken_v6_spelling, -EEXIST, "already",
     (vs_config_vip_add(c, "vs2", "2001:db8::1/64", "eth1", ports, NULL, err, len),
      vs_config_vip_add(c, "vs1", "2001:0db8:0::1/64", "eth1", ports, NULL, err, len)))
CASE(vip_no_prefix, -EINVAL, "prefix",
     vs_config_vip_add(c, "vs1", "192.0.2.11", "eth1", ports, NULL, err, len))
CASE(vip_bad_addr, -EINVAL, "not a valid",
     vs_config_vip_add(c, "vs1", "192.0.2.300/24", "eth1", ports, NULL, err, len))
CASE(vip_bad_prefix, -EINVAL, "prefix",
     vs_config_vip_add(c, "vs1", "192.0.2.11/33", "eth1", ports, NULL, err, len))
CASE(vip_prefix_junk, -EINVAL, "prefix",
     vs_config_vip_add(c, "vs1", "192.0.2.11/2x", "eth1", ports, NULL, err, len))
CASE(vip_broadcast, -EINVAL, "broadcast",
     vs_config_vip_add(c, "vs1", "192.0.2.255/24", "eth1", ports, NULL, err, len))
CASE(vip_multicast, -EINVAL, "unicast",
     vs_config_vip_add(c, "vs1", "224.0.0.5/24", "eth1", ports, NULL, err, len))
CASE(vip_unknown_port, -ENOENT, "no port",
     vs_config_vip_add(c, "vs1", "192.0.2.11/24", "eth9", ports, NULL, err, len))
CASE(vip_port_meta, -EINVAL, "port name",
     vs_config_vip_add(c, "vs1", "192.0.2.11/24", "eth1;ls", ports, NULL, err, len))
CASE(vip_unknown_vs, -ENOENT, "no virtual server",
     vs_config_vip_add(c, "nope", "192.0.2.11/24", "eth1", ports, NULL, err, len))
CASE(fs_dup, -EEXIST, "already has", vs_config_fs_add(c, "vs1", "data", "LABEL=x", err, len))
CASE(fs_lun_taken, -EEXIST, "already used",
     vs_config_fs_add(c, "vs2", "d2", "LABEL=lab-lun0", err, len))
CASE(fs_lun_devname, -EINVAL, "LABEL=", vs_config_fs_add(c, "vs1", "d2", "/dev/sdb", err, len))
CASE(fs_lun_bad_uuid, -EINVAL, "UUID", vs_config_fs_add(c, "vs1", "d2", "UUID=zz", err, len))
CASE(fs_lun_meta, -EINVAL, "may contain",
     vs_config_fs_add(c, "vs1", "d2", "LABEL=a$(reboot)", err, len))
CASE(fs_in_use, -EBUSY, "exported", vs_config_fs_del(c, "vs1", "data", err, len))
CASE(exp_dotdot, -EINVAL, "..",
     vs_config_export_add(c, "vs1", "/x", "data", "a/../../etc", "", false, err, len))
CASE(exp_dotdot_only, -EINVAL, "..",
     vs_config_export_add(c, "vs1", "/x", "data", "..", "", false, err, len))
CASE(exp_relative, -EINVAL, "absolute",
     vs_config_export_add(c, "vs1", "data2", "data", "", "", false, err, len))
CASE(exp_root, -EINVAL, "pseudo root",
     vs_config_export_add(c, "vs1", "/", "data", "", "", false, err, len))
CASE(exp_dup, -EEXIST, "already exports",
     vs_config_export_add(c, "vs1", "/data", "data", "", "", false, err, len))
CASE(exp_nested, -EEXIST, "nest",
     vs_config_export_add(c, "vs1", "/data/sub", "data", "sub", "", false, err, len))
CASE(exp_no_fs, -ENOENT, "no file system",
     vs_config_export_add(c, "vs1", "/x", "nofs", "", "", false, err, len))
CASE(exp_bad_clients, -EINVAL, "not a valid",
     vs_config_export_add(c, "vs1", "/x", "data", "", "10.0.0/8", false, err, len))
CASE(exp_host_bits, -EINVAL, "host bits",
     vs_config_export_add(c, "vs1", "/x", "data", "", "192.0.2.5/24", false, err, len))
CASE(exp_host_bits_v6, -EINVAL, "host bits",
     vs_config_export_add(c, "vs1", "/x", "data", "", "2001:db8::1/64", false, err, len))
CASE(exp_quote, -EINVAL, "may contain",
     vs_config_export_add(c, "vs1", "/x\";", "data", "", "", false, err, len))
CASE(share_dup_case, -EEXIST, "already has",
     vs_config_share_add(c, "vs1", "DATA", "data", "", false, err, len))
CASE(share_reserved, -EINVAL, "reserved",
     vs_config_share_add(c, "vs1", "global", "data", "", false, err, len))
CASE(share_bracket, -EINVAL, "may contain",
     vs_config_share_add(c, "vs1", "a]b", "data", "", false, err, len))
CASE(share_long, -EINVAL, "too long",
     vs_config_share_add(c, "vs1",
                         "s234567890123456789012345678901234567890123456789012345678901234", "data",
                         "", false, err, len))
CASE(start_without_fs, -EINVAL, "no file system",
     vs_config_set_admin(c, "vs2", VS_ADMIN_RUNNING, err, len))
CASE(delete_running, -EBUSY, "--force",
     (vs_config_set_admin(c, "vs1", VS_ADMIN_RUNNING, err, len),
      vs_config_delete(c, "vs1", false, err, len)))
CASE(migrate_pinned, -EBUSY, "pinned", vs_config_migrate(c, "vs2", "n1", err, len))
CASE(migrate_maint, -EBUSY, "under maintenance",
     (vs_config_maint(c, "n3", true, err, len), vs_config_migrate(c, "vs1", "n3", err, len)))
CASE(migrate_bad_node, -EINVAL, "letters", vs_config_migrate(c, "vs1", "n1;reboot", err, len))
CASE(migrate_unknown_vs, -ENOENT, "no virtual server", vs_config_migrate(c, "nope", "n1", err, len))
CASE(set_at_pinned, -EBUSY, "pinned", vs_config_set_at(c, "vs2", "n1", err, len))
CASE(auto_revert_unknown_vs, -ENOENT, "no virtual server",
     vs_config_set_auto_revert(c, "nope", false, err, len))
CASE(maint_empty, -EINVAL, "empty", vs_config_maint(c, "", true, err, len))
CASE(maint_bad_node, -EINVAL, "letters", vs_config_maint(c, "n1 n2", false, err, len))
CASE(maint_full, -E2BIG, "under maintenance already", vs_config_maint(c, "n99", true, err, len))
CASE(lease_short, -EINVAL, "7 to 120 seconds", vs_config_set_nfs_timers(c, "vs1", 6, -1, err, len))
CASE(lease_long, -EINVAL, "7 to 120 seconds", vs_config_set_nfs_timers(c, "vs1", 121, -1, err, len))
CASE(grace_long, -EINVAL, "up to 180", vs_config_set_nfs_timers(c, "vs1", -1, 181, err, len))
CASE(grace_below_lease, -EINVAL, "at least the lease",
     vs_config_set_nfs_timers(c, "vs1", 20, 10, err, len))
CASE(grace_below_default_lease, -EINVAL, "at least the lease",
     vs_config_set_nfs_timers(c, "vs1", -1, 5, err, len))
CASE(timers_unknown_vs, -ENOENT, "no virtual server",
     vs_config_set_nfs_timers(c, "nope", 8, -1, err, len))
#undef CASE

static const struct bad_case bad[] = {
    {"duplicate VS", dup_vs, -EEXIST, "already exists"},
    {"shell metacharacter in name", bad_name_meta, -EINVAL, "letters"},
    {"space in name", bad_name_space, -EINVAL, "letters"},
    {"over-long name", bad_name_long, -EINVAL, "too long"},
    {"name starting with a digit", bad_name_digit, -EINVAL, "start with a letter"},
    {"empty name", bad_name_empty, -EINVAL, "empty"},
    {"priority out of range", bad_prio, -EINVAL, "priority"},
    {"VIP of another VS", vip_taken, -EEXIST, "vs1"},
    {"VIP in another spelling", vip_taken_v6_spelling, -EEXIST, "already"},
    {"VIP without prefix", vip_no_prefix, -EINVAL, "prefix"},
    {"malformed address", vip_bad_addr, -EINVAL, "not a valid"},
    {"prefix too long", vip_bad_prefix, -EINVAL, "prefix"},
    {"prefix with junk", vip_prefix_junk, -EINVAL, "prefix"},
    {"broadcast address", vip_broadcast, -EINVAL, "broadcast"},
    {"multicast address", vip_multicast, -EINVAL, "unicast"},
    {"unknown port", vip_unknown_port, -ENOENT, "no port"},
    {"port with metacharacters", vip_port_meta, -EINVAL, "port name"},
    {"unknown VS", vip_unknown_vs, -ENOENT, "no virtual server"},
    {"duplicate fs", fs_dup, -EEXIST, "already has"},
    {"LUN used by another VS", fs_lun_taken, -EEXIST, "already used"},
    {"LUN by device name", fs_lun_devname, -EINVAL, "LABEL="},
    {"bad UUID", fs_lun_bad_uuid, -EINVAL, "UUID"},
    {"LUN label with metacharacters", fs_lun_meta, -EINVAL, "may contain"},
    {"removing an exported fs", fs_in_use, -EBUSY, "exported"},
    {"export path outside the fs", exp_dotdot, -EINVAL, ".."},
    {"export path ..", exp_dotdot_only, -EINVAL, ".."},
    {"relative pseudo path", exp_relative, -EINVAL, "absolute"},
    {"pseudo root", exp_root, -EINVAL, "pseudo root"},
    {"duplicate export", exp_dup, -EEXIST, "already exports"},
    {"nested export", exp_nested, -EEXIST, "nest"},
    {"export of unknown fs", exp_no_fs, -ENOENT, "no file system"},
    {"bad client CIDR", exp_bad_clients, -EINVAL, "not a valid"},
    {"client network with host bits", exp_host_bits, -EINVAL, "host bits"},
    {"IPv6 client network with host bits", exp_host_bits_v6, -EINVAL, "host bits"},
    {"quote in pseudo path", exp_quote, -EINVAL, "may contain"},
    {"share name clash (case)", share_dup_case, -EEXIST, "already has"},
    {"reserved share name", share_reserved, -EINVAL, "reserved"},
    {"bracket in share name", share_bracket, -EINVAL, "may contain"},
    {"over-long share name", share_long, -EINVAL, "too long"},
    {"start without fs", start_without_fs, -EINVAL, "no file system"},
    {"delete running without force", delete_running, -EBUSY, "--force"},
    {"migrating a pinned VS", migrate_pinned, -EBUSY, "pinned"},
    {"migrating to a node under maintenance", migrate_maint, -EBUSY, "under maintenance"},
    {"migrating to a bad node name", migrate_bad_node, -EINVAL, "letters"},
    {"migrating an unknown VS", migrate_unknown_vs, -ENOENT, "no virtual server"},
    {"a stored `at` on a pinned VS", set_at_pinned, -EBUSY, "pinned"},
    {"auto-revert of an unknown VS", auto_revert_unknown_vs, -ENOENT, "no virtual server"},
    {"maintenance of no node", maint_empty, -EINVAL, "empty"},
    {"maintenance of a bad node name", maint_bad_node, -EINVAL, "letters"},
    {"maintenance of a 17th node", maint_full, -E2BIG, "under maintenance already"},
    {"a 6 s NFS lease", lease_short, -EINVAL, "7 to 120 seconds"},
    {"a 121 s NFS lease", lease_long, -EINVAL, "7 to 120 seconds"},
    {"a 181 s NFS grace", grace_long, -EINVAL, "up to 180"},
    {"a grace shorter than the lease", grace_below_lease, -EINVAL, "at least the lease"},
    {"a grace shorter than the default lease", grace_below_default_lease, -EINVAL,
     "at least the lease"},
    {"NFS timers of an unknown VS", timers_unknown_vs, -ENOENT, "no virtual server"},
};

static void test_bad_input_changes_nothing(void **state)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vs_config *c = base(), *before = calloc(1, sizeof(*c));
		char err[VS_ERR_LEN] = "";
		int rc;

		assert_non_null(before);
		/* Cases that first make a valid change compare against that state. */
		if (bad[i].apply == delete_running) {
			vs_config_set_admin(c, "vs1", VS_ADMIN_RUNNING, err, sizeof(err));
		} else if (bad[i].apply == vip_taken_v6_spelling) {
			vs_config_vip_add(c, "vs2", "2001:db8::1/64", "eth1", ports, NULL, err,
			                  sizeof(err));
		} else if (bad[i].apply == migrate_maint) {
			vs_config_maint(c, "n3", true, err, sizeof(err));
		} else if (bad[i].apply == maint_full) {
			for (int k = 0; k < VS_MAX_MAINT; k++) {
				char node[8];
				snprintf(node, sizeof(node), "n%d", k + 1);
				assert_int_equal(vs_config_maint(c, node, true, err, sizeof(err)),
				                 0);
			}
		}
		assert_int_equal(vs_config_copy(before, c), 0);
		rc = bad[i].apply(c, err, sizeof(err));
		if (rc != bad[i].rc || !strstr(err, bad[i].needle) || !vs_config_equal(before, c))
			fail_msg("case '%s': rc %d (want %d), message '%s' (want '%s'), changed %d",
			         bad[i].what, rc, bad[i].rc, err, bad[i].needle,
			         !vs_config_equal(before, c));
		/* One sentence: ends with a period, no newline. */
		assert_null(strchr(err, '\n'));
		assert_int_equal(err[strlen(err) - 1], '.');
		vs_config_free(before);
		free(before);
		vs_config_free(c);
		free(c);
	}
}

static void test_valid_changes(void **state)
{
	struct vs_config *c = base();
	char err[VS_ERR_LEN];
	uint64_t v = c->version;
	struct vs_vserver *vs = vs_config_find(c, "vs1");

	assert_int_equal(vs->n_vips, 1);
	assert_string_equal(vs->vips[0].addr, "192.0.2.10");
	assert_int_equal(vs->vips[0].prefix, 24);
	assert_int_equal(vs_config_vip_add(c, "vs1", "2001:DB8:0::0:10/64", "eth2", ports, NULL,
	                                   err, sizeof(err)),
	                 0);
	assert_string_equal(vs->vips[1].addr, "2001:db8::10"); /* canonical */
	assert_true(c->version > v);
	assert_int_equal(vs_config_export_add(c, "vs1", "/ro", "data", "/a/b/", "192.0.2.0/24",
	                                      true, err, sizeof(err)),
	                 0);
	assert_string_equal(vs->exports[1].path, "a/b"); /* normalised */
	assert_int_equal(vs->exports[1].id, 2);
	/* Ids are never reused after a removal. */
	assert_int_equal(vs_config_export_del(c, "vs1", "/ro", err, sizeof(err)), 0);
	assert_int_equal(
	    vs_config_export_add(c, "vs1", "/ro2", "data", "", "", false, err, sizeof(err)), 0);
	assert_int_equal(vs->exports[1].id, 3);
	assert_int_equal(vs_config_vip_del(c, "vs1", "2001:db8:0::10", err, sizeof(err)), 0);
	assert_int_equal(vs->n_vips, 1);
	assert_int_equal(vs_config_delete(c, "vs2", false, err, sizeof(err)), 0);
	assert_null(vs_config_find(c, "vs2"));
	vs_config_free(c);
	free(c);
}

/* Where the administrator wants VSs (R8): `at`, auto-revert, maintenance.
 * Each changes the version only when it changes something. */
static void test_placement_settings(void **state)
{
	struct vs_config *c = base(), *d = calloc(1, sizeof(*d));
	struct vs_vserver *vs = vs_config_find(c, "vs1");
	char err[VS_ERR_LEN];
	uint64_t v = c->version;

	assert_string_equal(vs->at, "");
	assert_false(vs->no_auto_revert); /* the default: auto-revert on */
	assert_int_equal(vs_config_migrate(c, "vs1", "n2", err, sizeof(err)), 0);
	assert_string_equal(vs->at, "n2");
	assert_true(c->version == v + 1);
	assert_int_equal(vs_config_migrate(c, "vs1", "n2", err, sizeof(err)), 0);
	assert_true(c->version == v + 1);
	assert_int_equal(vs_config_migrate(c, "vs1", "", err, sizeof(err)), 0);
	assert_string_equal(vs->at, "");
	/* Clearing `at` of a pinned VS is no migration: allowed. */
	assert_int_equal(vs_config_migrate(c, "vs2", "", err, sizeof(err)), 0);
	assert_int_equal(vs_config_set_auto_revert(c, "vs1", false, err, sizeof(err)), 0);
	assert_true(vs->no_auto_revert);
	v = c->version;
	assert_int_equal(vs_config_set_auto_revert(c, "vs1", false, err, sizeof(err)), 0);
	assert_true(c->version == v);
	assert_int_equal(vs_config_maint(c, "n1", true, err, sizeof(err)), 0);
	assert_int_equal(vs_config_maint(c, "n3", true, err, sizeof(err)), 0);
	assert_int_equal(vs_config_maint(c, "n1", true, err, sizeof(err)), 0);
	assert_int_equal(c->n_maint, 2);
	assert_true(vs_config_in_maint(c, "n1"));
	assert_false(vs_config_in_maint(c, "n2"));
	/* A VS migrated to a node that then goes under maintenance keeps
	 * `at`: placement keeps it off that node (vs_place.h). */
	assert_int_equal(vs_config_migrate(c, "vs1", "n2", err, sizeof(err)), 0);
	assert_int_equal(vs_config_maint(c, "n2", true, err, sizeof(err)), 0);
	assert_string_equal(vs->at, "n2");
	assert_int_equal(vs_config_maint(c, "n1", false, err, sizeof(err)), 0);
	v = c->version;
	assert_int_equal(vs_config_maint(c, "n1", false, err, sizeof(err)), 0); /* not in it */
	assert_true(c->version == v);
	assert_int_equal(c->n_maint, 2);
	assert_string_equal(c->maint[0], "n3");
	assert_string_equal(c->maint[1], "n2");
	/* Equality and the digest see every one of them. */
	assert_int_equal(vs_config_copy(d, c), 0);
	assert_true(vs_config_equal(c, d));
	uint64_t h = vs_vserver_hash(vs);
	assert_int_equal(vs_config_set_at(d, "vs1", "n3", err, sizeof(err)), 0);
	assert_false(vs_vserver_equal(&c->vservers[0], &d->vservers[0]));
	assert_true(vs_vserver_hash(&d->vservers[0]) != h);
	assert_int_equal(vs_config_copy(d, c), 0);
	assert_int_equal(vs_config_set_auto_revert(d, "vs1", true, err, sizeof(err)), 0);
	assert_true(vs_vserver_hash(&d->vservers[0]) != h);
	assert_int_equal(vs_config_copy(d, c), 0);
	assert_int_equal(vs_config_maint(d, "n3", false, err, sizeof(err)), 0);
	d->version = c->version;
	assert_false(vs_config_equal(c, d));

	/* JSON: the round trip keeps them, in order (`at` on a node under
	 * maintenance included). */
	json_t *j = vs_config_to_json(c);
	assert_int_equal(vs_config_from_json(j, d, err, sizeof(err)), 0);
	assert_true(vs_config_equal(c, d));
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(j, "vservers"), 0), "at")),
	                    "n2");
	assert_true(json_is_false(
	    json_object_get(json_array_get(json_object_get(j, "vservers"), 0), "auto_revert")));
	/* An old document (none of the three) loads with the defaults. */
	json_t *vj = json_array_get(json_object_get(j, "vservers"), 0);
	json_object_del(vj, "at");
	json_object_del(vj, "auto_revert");
	json_object_del(j, "maint");
	assert_int_equal(vs_config_from_json(j, d, err, sizeof(err)), 0);
	assert_string_equal(d->vservers[0].at, "");
	assert_false(d->vservers[0].no_auto_revert);
	assert_int_equal(d->n_maint, 0);
	json_decref(j);
	/* Hostile documents are refused like typed input. */
	static const char *const hostile[] = {
	    "{\"version\":3,\"vservers\":[{\"name\":\"p\",\"pinned\":true,\"at\":\"n2\"}]}",
	    "{\"version\":3,\"vservers\":[{\"name\":\"a\",\"at\":\"n2;ls\"}]}",
	    "{\"version\":3,\"vservers\":[{\"name\":\"a\",\"auto_revert\":\"yes\"}]}",
	    "{\"version\":3,\"vservers\":[],\"maint\":\"n1\"}",
	    "{\"version\":3,\"vservers\":[],\"maint\":[\"n1\",7]}",
	    "{\"version\":3,\"vservers\":[],\"maint\":[\"../n1\"]}",
	    "{\"version\":3,\"vservers\":[],\"maint\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\","
	    "\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]}",
	};
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		json_t *doc = json_loads(hostile[i], 0, NULL);
		assert_non_null(doc);
		err[0] = '\0';
		if (vs_config_from_json(doc, d, err, sizeof(err)) >= 0 || strlen(err) < 10)
			fail_msg("loaded: %s (%s)", hostile[i], err);
		json_decref(doc);
	}
	vs_config_free(c);
	free(c);
	vs_config_free(d);
	free(d);
}

/* The NFSv4 lease and grace of a VS: defaults, the grace following a long
 * lease, unchanged (-1), back to the defaults (0), the version only on a change. */
static void test_nfs_timers(void **state)
{
	struct vs_config *c = base();
	struct vs_vserver *vs = vs_config_find(c, "vs1");
	char err[VS_ERR_LEN];
	uint64_t v = c->version;
	int l, g;

	vs_vserver_nfs_timers(vs, &l, &g);
	assert_int_equal(l, FX_GANESHA_LEASE_DEFAULT);
	assert_int_equal(g, FX_GANESHA_GRACE_DEFAULT);
	assert_int_equal(vs_config_set_nfs_timers(c, "vs1", 7, 9, err, sizeof(err)), 0);
	vs_vserver_nfs_timers(vs, &l, &g);
	assert_true(l == 7 && g == 9 && c->version == v + 1);
	assert_int_equal(vs_config_set_nfs_timers(c, "vs1", 7, -1, err, sizeof(err)), 0);
	assert_true(c->version == v + 1);
	assert_int_equal(vs_config_set_nfs_timers(c, "vs1", 60, 0, err, sizeof(err)), 0);
	vs_vserver_nfs_timers(vs, &l, &g);
	assert_true(l == 60 && g == 60); /* the default grace follows a longer lease */
	assert_int_equal(vs_config_set_nfs_timers(c, "vs1", 0, 0, err, sizeof(err)), 0);
	assert_true(vs->nfs_lease == 0 && vs->nfs_grace == 0);
	vs_config_free(c);
	free(c);
}

/* Balancing settings and standby nodes: every refusal one sentence and
 * nothing changed; the defaults; the JSON round trip and the delta. */
static void test_cluster_settings(void **state)
{
	struct vs_config *c = base(), *d = calloc(1, sizeof(*d)), *e = calloc(1, sizeof(*e));
	char err[VS_ERR_LEN];
	uint64_t v = c->version;
	static const struct vs_balance_cfg badb[] = {
	    {.mode = (enum vs_balance_mode)7},
	    {.max_moves = 17},
	    {.max_moves = -1},
	    {.cooldown_s = 86401},
	    {.smoothing_s = 5},
	    {.lun_busy_pct = 101},
	    {.min_share_pct = 101},
	    {.trigger_pct = -5},
	    {.high_water_pct = 40}, /* under the default low water (50) */
	    {.low_water_pct = 100},
	    {.high_water_pct = 60, .low_water_pct = 60},
	};

	assert_non_null(d);
	assert_non_null(e);
	for (size_t i = 0; i < sizeof(badb) / sizeof(badb[0]); i++) {
		err[0] = '\0';
		assert_int_equal(vs_config_set_balance(c, &badb[i], err, sizeof(err)), -EINVAL);
		assert_true(strlen(err) > 10 && strchr(err, '.'));
		assert_int_equal(c->version, v);
		assert_int_equal(c->balance.mode, VS_BALANCE_DEFAULT);
	}
	struct vs_balance_cfg b = {.mode = VS_BALANCE_ADVISE, .max_moves = 2, .min_share_pct = 40};
	assert_int_equal(vs_config_set_balance(c, &b, err, sizeof(err)), 0);
	assert_int_equal(c->version, v + 1);
	assert_int_equal(vs_config_set_balance(c, &b, err, sizeof(err)), 0);
	assert_int_equal(c->version, v + 1); /* the same again: no change */
	assert_int_equal(vs_config_standby(c, "n3", true, err, sizeof(err)), 0);
	assert_true(vs_config_is_standby(c, "n3") && !vs_config_is_standby(c, "n2"));
	assert_int_equal(vs_config_standby(c, "n3", true, err, sizeof(err)), 0);
	assert_int_equal(c->version, v + 2);
	assert_int_equal(vs_config_standby(c, "no/de", true, err, sizeof(err)), -EINVAL);
	assert_int_equal(c->version, v + 2);
	enum vs_balance_mode m;
	assert_int_equal(vs_balance_mode_parse("auto", &m), 0);
	assert_int_equal(m, VS_BALANCE_AUTO);
	assert_int_equal(vs_balance_mode_parse("AUTO; rm", &m), -EINVAL);
	assert_string_equal(vs_balance_mode_name(VS_BALANCE_DEFAULT), "auto");
	/* The document keeps them. */
	json_t *j = vs_config_to_json(c);
	assert_int_equal(vs_config_from_json(j, d, err, sizeof(err)), 0);
	assert_true(vs_config_equal(c, d));
	json_decref(j);
	/* A change of them travels in the delta. */
	assert_int_equal(vs_config_copy(e, c), 0);
	assert_int_equal(vs_config_standby(e, "n3", false, err, sizeof(err)), 0);
	b.mode = VS_BALANCE_OFF;
	assert_int_equal(vs_config_set_balance(e, &b, err, sizeof(err)), 0);
	json_t *delta = vs_config_delta(c, e);
	assert_non_null(json_object_get(delta, "standby"));
	assert_non_null(json_object_get(delta, "balance"));
	assert_int_equal(vs_config_apply_delta(c, delta, d, err, sizeof(err)), 0);
	assert_true(vs_config_equal(d, e));
	/* A hostile delta: a mode that is none, refused. */
	json_object_set_new(json_object_get(delta, "balance"), "mode", json_string("fast"));
	assert_int_equal(vs_config_apply_delta(c, delta, d, err, sizeof(err)), -EINVAL);
	json_decref(delta);
	vs_config_free(c);
	vs_config_free(d);
	vs_config_free(e);
	free(c);
	free(d);
	free(e);
}

static void test_json_round_trip(void **state)
{
	struct vs_config *c = base(), *d = calloc(1, sizeof(*d));
	char err[VS_ERR_LEN];
	json_t *j;

	assert_non_null(d);
	vs_config_set_admin(c, "vs1", VS_ADMIN_RUNNING, err, sizeof(err));
	assert_int_equal(vs_config_set_nfs_timers(c, "vs1", 8, 12, err, sizeof(err)), 0);
	j = vs_config_to_json(c);
	assert_non_null(j);
	assert_int_equal(vs_config_from_json(j, d, err, sizeof(err)), 0);
	assert_int_equal(d->version, c->version);
	assert_int_equal(d->n_vservers, 2);
	assert_true(vs_vserver_equal(&d->vservers[0], &c->vservers[0]));
	assert_true(vs_vserver_equal(&d->vservers[1], &c->vservers[1]));
	assert_true(d->vservers[0].nfs_lease == 8 && d->vservers[0].nfs_grace == 12);
	/* A hostile document is validated like typed input. */
	json_object_set_new(json_array_get(json_object_get(j, "vservers"), 0), "name",
	                    json_string("a;b"));
	assert_int_equal(vs_config_from_json(j, d, err, sizeof(err)), -EINVAL);
	json_decref(j);
	vs_config_free(c);
	free(c);
	vs_config_free(d);
	free(d);
}

/* Fence devices survive the JSON round trip (the allow-list itself is tested
 * in test_fence.c). */
static void test_fence_json(void **state)
{
	struct vs_config *c = base(), *d = calloc(1, sizeof(*d));
	char err[VS_ERR_LEN];

	assert_non_null(d);
	assert_int_equal(vs_config_fence_set(c, "n1", "fence_ipmilan",
	                                     "ip=198.51.100.101,username=admin,password=a b!c,"
	                                     "lanplus=1",
	                                     err, sizeof(err)),
	                 0);
	assert_int_equal(vs_config_fence_set(c, "n2", "fence_scsi", "", err, sizeof(err)), 0);
	json_t *j = vs_config_to_json(c);
	assert_int_equal(vs_config_from_json(j, d, err, sizeof(err)), 0);
	assert_int_equal(d->n_fences, 2);
	assert_memory_equal(d->fences, c->fences, sizeof(c->fences[0]) * 2);
	json_decref(j);
	/* A stored device outside the allow-list is refused on load. */
	j = vs_config_to_json(c);
	json_object_set_new(json_array_get(json_object_get(j, "fences"), 0), "options",
	                    json_string("ip=192.0.2.1,password_script=id"));
	assert_int_equal(vs_config_from_json(j, d, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "password_script"));
	json_decref(j);
	vs_config_free(c);
	free(c);
	vs_config_free(d);
	free(d);
}

/* Client networks are stored in the one form the ganesha generator writes. */
static void test_cidr_canonical(void **state)
{
	static const struct {
		const char *in, *stored;
	} cases[] = {
	    {"192.0.2.0/24", "192.0.2.0/24"},
	    {"192.0.2.0/0024", "192.0.2.0/24"},
	    {"192.0.2.7/32", "192.0.2.7/32"},
	    {"0.0.0.0/0", "0.0.0.0/0"},
	    {"0.0.0.0/000", "0.0.0.0/0"},
	    {"2001:DB8::/48", "2001:db8::/48"},
	    {"2001:0db8:0000::/048", "2001:db8::/48"},
	    {"::/0", "::/0"},
	    {"2001:db8::1/128", "2001:db8::1/128"},
	    {"::ffff:192.0.2.1/128", "::ffff:192.0.2.1/128"},
	};
	char err[VS_ERR_LEN], out[VS_ADDR_MAX + 5];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vs_config *c = base();
		assert_int_equal(vs_canon_cidr(cases[i].in, out, sizeof(out), err, sizeof(err)), 0);
		assert_string_equal(out, cases[i].stored);
		assert_int_equal(vs_config_export_add(c, "vs1", "/n", "data", "", cases[i].in, true,
		                                      err, sizeof(err)),
		                 0);
		assert_string_equal(vs_config_find(c, "vs1")->exports[1].clients, cases[i].stored);
		vs_config_free(c);
		free(c);
	}
	/* Too short an output buffer is refused, not cut. */
	assert_int_equal(vs_canon_cidr("192.0.2.0/24", out, 8, err, sizeof(err)), -EINVAL);
	/* Host bits are refused, with the network named and no rounding. */
	assert_int_equal(vs_canon_cidr("192.0.2.1/31", out, sizeof(out), err, sizeof(err)),
	                 -EINVAL);
	assert_non_null(strstr(err, "host bits"));
	assert_int_equal(vs_canon_cidr("192.0.2.0/31", out, sizeof(out), err, sizeof(err)), 0);
}

/* Export ids stay within ganesha's 16 bits and unique in their VS. */
static void test_export_ids(void **state)
{
	struct vs_config *c = base();
	struct vs_vserver *vs = vs_config_find(c, "vs1");
	char err[VS_ERR_LEN], pseudo[16];

	assert_int_equal(vs->exports[0].id, 1);
	/* A deleted export's id is not handed out again at once. */
	assert_int_equal(
	    vs_config_export_add(c, "vs1", "/a", "data", "", "", false, err, sizeof(err)), 0);
	assert_int_equal(vs->exports[1].id, 2);
	assert_int_equal(vs_config_export_del(c, "vs1", "/a", err, sizeof(err)), 0);
	assert_int_equal(
	    vs_config_export_add(c, "vs1", "/b", "data", "", "", false, err, sizeof(err)), 0);
	assert_int_equal(vs->exports[1].id, 3);
	/* At the top of the range, the lowest free id is taken (1 and 3 are used). */
	vs->next_export_id = VS_EXPORT_ID_MAX;
	assert_int_equal(
	    vs_config_export_add(c, "vs1", "/c", "data", "", "", false, err, sizeof(err)), 0);
	assert_int_equal(vs->exports[2].id, VS_EXPORT_ID_MAX);
	assert_int_equal(vs->next_export_id, VS_EXPORT_ID_MAX + 1);
	for (int i = 0; vs->n_exports < VS_MAX_EXPORTS; i++) {
		snprintf(pseudo, sizeof(pseudo), "/d%d", i);
		assert_int_equal(
		    vs_config_export_add(c, "vs1", pseudo, "data", "", "", false, err, sizeof(err)),
		    0);
		uint32_t id = vs->exports[vs->n_exports - 1].id;
		assert_true(id >= 1 && id <= VS_EXPORT_ID_MAX);
		for (int k = 0; k < vs->n_exports - 1; k++)
			assert_int_not_equal(vs->exports[k].id, id);
	}
	assert_int_equal(vs->exports[3].id, 2);
	assert_int_equal(vs->exports[4].id, 4);
	/* A stored next id past the range (an older state) wraps the same way. */
	vs->next_export_id = UINT32_MAX;
	assert_int_equal(vs_config_export_del(c, "vs1", "/d0", err, sizeof(err)), 0);
	assert_int_equal(
	    vs_config_export_add(c, "vs1", "/e", "data", "", "", false, err, sizeof(err)), 0);
	assert_int_equal(vs->exports[vs->n_exports - 1].id, 2);
	vs_config_free(c);
	free(c);
}

static void test_mac_stable(void **state)
{
	uint8_t a[6], b[6], c[6];

	vs_vip_mac("vs1", "192.0.2.10", a);
	vs_vip_mac("vs1", "192.0.2.10", b);
	vs_vip_mac("vs2", "192.0.2.10", c);
	assert_memory_equal(a, b, 6);
	assert_memory_not_equal(a, c, 6);
	assert_int_equal(a[0] & 0x03, 0x02); /* locally administered, unicast */
}

static void test_store(void **state)
{
	char dir[] = "/tmp/test_model.XXXXXX", path[64], val[32];
	struct vs_store *st;
	struct vs_config *c = base(), *d = calloc(1, sizeof(*d));
	struct vs_event ev = {
	    .ts_usec = 1, .node = "n1", .vs = "vs1", .severity = "info", .message = "hello"};
	json_t *events;
	int64_t id;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.db", dir);
	/* A VS's placement settings are part of its row. */
	char err[VS_ERR_LEN];
	assert_int_equal(vs_config_migrate(c, "vs1", "n3", err, sizeof(err)), 0);
	assert_int_equal(vs_config_set_auto_revert(c, "vs1", false, err, sizeof(err)), 0);
	assert_int_equal(vs_store_open(path, &st), 0);
	assert_int_equal(vs_store_load_config(st, d), 0);
	assert_int_equal(d->n_vservers, 0);
	assert_int_equal(vs_store_save_config(st, c), 0);
	assert_int_equal(vs_store_event_add(st, &ev, &id), 0);
	ev.vs = "vs2";
	assert_int_equal(vs_store_event_add(st, &ev, &id), 0);
	assert_int_equal(vs_store_meta_set(st, "node", "n1"), 0);
	vs_store_close(st);
	/* Reopen: everything is still there. */
	assert_int_equal(vs_store_open(path, &st), 0);
	assert_int_equal(vs_store_load_config(st, d), 0);
	assert_int_equal(d->version, c->version);
	assert_true(vs_vserver_equal(&d->vservers[0], &c->vservers[0]));
	assert_int_equal(vs_store_events(st, 0, 10, "vs1", &events), 0);
	assert_int_equal(json_array_size(events), 1);
	json_decref(events);
	assert_int_equal(vs_store_events(st, 0, 10, NULL, &events), 0);
	assert_int_equal(json_array_size(events), 2);
	json_decref(events);
	assert_int_equal(vs_store_meta_get(st, "node", val, sizeof(val)), 0);
	assert_string_equal(val, "n1");
	assert_int_equal(vs_store_meta_get(st, "nothing", val, sizeof(val)), -ENOENT);
	/* Events with an identity: stored once however often they arrive;
	 * marks and the events beyond a mark are what a catch-up sends. */
	struct vs_event e2 = {.ts_usec = 5,
	                      .node = "n2",
	                      .vs = "",
	                      .severity = "info",
	                      .message = "from n2",
	                      .origin = "n2",
	                      .oseq = 7};
	assert_int_equal(vs_store_event_add(st, &e2, NULL), 0);
	assert_int_equal(vs_store_event_add(st, &e2, NULL), 1); /* again: known */
	e2.oseq = 9;
	e2.ts_usec = 3; /* older, learned later: shown in time order */
	assert_int_equal(vs_store_event_add(st, &e2, NULL), 0);
	/* Numbered here: this store's own sequence. */
	struct vs_event e1 = {.ts_usec = 6,
	                      .node = "n1",
	                      .vs = "",
	                      .severity = "info",
	                      .message = "mine",
	                      .origin = "n1"};
	assert_int_equal(vs_store_event_add(st, &e1, NULL), 0);
	assert_int_equal(vs_store_event_add(st, &e1, NULL), 0); /* oseq 0: a new one */
	json_t *marks;
	assert_int_equal(vs_store_event_marks(st, &marks), 0);
	assert_int_equal(json_integer_value(json_object_get(marks, "n2")), 9);
	assert_int_equal(json_integer_value(json_object_get(marks, "n1")), 2);
	json_decref(marks);
	assert_int_equal(vs_store_events_of(st, "n2", 7, 10, &events), 0);
	assert_int_equal(json_array_size(events), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(events, 0), "oseq")), 9);
	json_decref(events);
	assert_int_equal(vs_store_events(st, 0, 100, NULL, &events), 0);
	assert_int_equal(json_array_size(events), 6);
	for (size_t i = 1; i < json_array_size(events); i++)
		assert_true(
		    json_integer_value(json_object_get(json_array_get(events, i - 1), "ts_usec")) <=
		    json_integer_value(json_object_get(json_array_get(events, i), "ts_usec")));
	json_decref(events);
	vs_store_close(st);
	unlink(path);
	char side[80];
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	rmdir(dir);
	vs_config_free(c);
	free(c);
	vs_config_free(d);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_input_changes_nothing),
	    cmocka_unit_test(test_valid_changes),
	    cmocka_unit_test(test_placement_settings),
	    cmocka_unit_test(test_nfs_timers),
	    cmocka_unit_test(test_cluster_settings),
	    cmocka_unit_test(test_json_round_trip),
	    cmocka_unit_test(test_fence_json),
	    cmocka_unit_test(test_cidr_canonical),
	    cmocka_unit_test(test_export_ids),
	    cmocka_unit_test(test_mac_stable),
	    cmocka_unit_test(test_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
