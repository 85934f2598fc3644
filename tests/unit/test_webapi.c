/*
 * test_webapi.c - the decisions behind the console's accounts, login and
 * REST API (issue 12), all pure: the role table (ap_roles), who may act
 * for an account on the control socket (ap_ctl_check_as), the console
 * accounts in the model (vs_account: validation, last admin, JSON and
 * delta round trips, the hash never in `show`), the session table and its
 * CSRF check (ap_websess, clock passed in), the login rate limit and
 * lock-out (ap_weblimit), the routes, the JSON body -> control request
 * mapping and the status of an error sentence (ap_webapi), and the routing
 * table against docs/api/openapi.json (every documented path and method is
 * routed, nothing is routed undocumented).
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "appliance/ap_cli.h"
#include "appliance/ap_ctl.h"
#include "appliance/ap_roles.h"
#include "appliance/ap_webapi.h"
#include "appliance/ap_weblimit.h"
#include "appliance/ap_websess.h"
#include "vserver/vs_account.h"
#include "vserver/vs_delta.h"
#include "vserver/vs_json.h"

#define HASH "$y$j9T$abcdefghijklmnopqrstu/$ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdef"

static void test_roles(void **state)
{
	static const struct {
		enum vs_role role;
		const char *cmd;
		bool ok;
	} cases[] = {
	    {VS_ROLE_READONLY, "vserver.show", true},
	    {VS_ROLE_READONLY, "event.show", true},
	    {VS_ROLE_READONLY, "vserver.start", false},
	    {VS_ROLE_READONLY, "vserver.stop", false},
	    {VS_ROLE_READONLY, "vserver.create", false},
	    {VS_ROLE_READONLY, "admin.show", false},
	    {VS_ROLE_READONLY, "admin.add", false},
	    {VS_ROLE_READONLY, "bogus", false},
	    {VS_ROLE_OPERATOR, "vserver.show", true},
	    {VS_ROLE_OPERATOR, "vserver.start", true},
	    {VS_ROLE_OPERATOR, "vserver.stop", true},
	    {VS_ROLE_OPERATOR, "vserver.migrate", true},
	    {VS_ROLE_OPERATOR, "node.evacuate", true},
	    {VS_ROLE_OPERATOR, "vserver.create", false},
	    {VS_ROLE_OPERATOR, "vserver.delete", false},
	    {VS_ROLE_OPERATOR, "admin.add", false},
	    {VS_ROLE_OPERATOR, "admin.show", false},
	    {VS_ROLE_OPERATOR, "fs.add", false},
	    {VS_ROLE_READONLY, "cluster.bundle", false}, /* the cluster key */
	    {VS_ROLE_OPERATOR, "cluster.bundle", false},
	    {VS_ROLE_ADMIN, "cluster.bundle", true},
	    {VS_ROLE_READONLY, "system.show", true},
	    {VS_ROLE_OPERATOR, "system.update", false},
	    {VS_ROLE_OPERATOR, "system.reboot", false},
	    {VS_ROLE_ADMIN, "system.update", true},
	    {VS_ROLE_ADMIN, "system.reboot", true},
	    {VS_ROLE_ADMIN, "vserver.create", true},
	    {VS_ROLE_ADMIN, "admin.add", true},
	    {VS_ROLE_ADMIN, "admin.show", true},
	    {VS_ROLE_ADMIN, "vserver.delete", true},
	    {(enum vs_role)7, "vserver.show", false},
	    {VS_ROLE_ADMIN, NULL, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (ap_role_allows(cases[i].role, cases[i].cmd) != cases[i].ok)
			fail_msg("case %zu: role %d %s", i, cases[i].role, cases[i].cmd);
	}
}

static void test_check_as(void **state)
{
	struct ap_ctl_access web = {.read_gid = AP_CTL_NO_GROUP,
	                            .admin_gid = AP_CTL_NO_GROUP,
	                            .has_web_uid = true,
	                            .web_uid = 994};
	struct ap_ctl_access none = {.read_gid = AP_CTL_NO_GROUP, .admin_gid = AP_CTL_NO_GROUP};
	json_t *alice = json_string("alice"), *bad = json_string("al ice"), *num = json_integer(3),
	       *empty = json_string(""),
	       *longname = json_string("a234567890123456789012345678901x");
	char err[128];

	assert_int_equal(ap_ctl_check_as(994, &web, NULL, err, sizeof(err)), 0);
	assert_int_equal(ap_ctl_check_as(994, &web, alice, err, sizeof(err)), 1);
	assert_int_equal(ap_ctl_check_as(0, &web, alice, err, sizeof(err)), -EPERM);
	assert_string_equal(err, "Permission denied: only the web process may act for a console "
	                         "account.");
	assert_int_equal(ap_ctl_check_as(995, &web, alice, err, sizeof(err)), -EPERM);
	/* No web uid configured: nobody, uid 0 included (the zero default). */
	assert_int_equal(ap_ctl_check_as(0, &none, alice, err, sizeof(err)), -EPERM);
	assert_int_equal(ap_ctl_check_as(994, &none, alice, err, sizeof(err)), -EPERM);
	assert_int_equal(ap_ctl_check_as(994, &web, bad, err, sizeof(err)), -EINVAL);
	assert_null(strstr(err, "al ice"));
	assert_int_equal(ap_ctl_check_as(994, &web, num, err, sizeof(err)), -EINVAL);
	assert_int_equal(ap_ctl_check_as(994, &web, empty, err, sizeof(err)), -EINVAL);
	assert_int_equal(ap_ctl_check_as(994, &web, longname, err, sizeof(err)), -EINVAL);
	/* A forger from another uid is refused before its name is looked at. */
	assert_int_equal(ap_ctl_check_as(1000, &web, bad, err, sizeof(err)), -EPERM);
	json_decref(alice);
	json_decref(bad);
	json_decref(num);
	json_decref(empty);
	json_decref(longname);
}

static void test_accounts(void **state)
{
	struct vs_config *cfg = calloc(1, sizeof(*cfg)), *back = calloc(1, sizeof(*cfg)),
	                 *next = calloc(1, sizeof(*cfg));
	char err[VS_ERR_LEN];
	enum vs_role r;

	assert_non_null(cfg);
	assert_int_equal(vs_role_parse("read-only", &r, err, sizeof(err)), 0);
	assert_int_equal(r, VS_ROLE_READONLY);
	assert_int_equal(vs_role_parse("root", &r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "A role is one of admin, operator or read-only.");
	assert_int_equal(vs_account_add(cfg, "alice", "admin", HASH, err, sizeof(err)), 0);
	assert_int_equal(vs_account_add(cfg, "alice", "admin", HASH, err, sizeof(err)), -EEXIST);
	assert_int_equal(vs_account_add(cfg, "1bob", "admin", HASH, err, sizeof(err)), -EINVAL);
	assert_int_equal(vs_account_add(cfg, "bob;rm", "admin", HASH, err, sizeof(err)), -EINVAL);
	assert_int_equal(vs_account_add(cfg, "bob", "boss", HASH, err, sizeof(err)), -EINVAL);
	assert_int_equal(vs_account_add(cfg, "bob", "operator", NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(vs_account_add(cfg, "bob", "operator", "$1$md5", err, sizeof(err)),
	                 -EINVAL);
	assert_null(strstr(err, "$1$md5")); /* a hash is never quoted */
	assert_int_equal(cfg->n_accounts, 1);
	assert_int_equal(vs_account_add(cfg, "bob", "operator", HASH, err, sizeof(err)), 0);
	assert_int_equal(vs_account_add(cfg, "carol", "read-only", HASH, err, sizeof(err)), 0);
	/* The last admin stays while others exist. */
	assert_int_equal(vs_account_remove(cfg, "alice", err, sizeof(err)), -EBUSY);
	assert_int_equal(vs_account_remove(cfg, "dave", err, sizeof(err)), -ENOENT);
	assert_int_equal(vs_account_passwd(cfg, "bob", "$y$short", err, sizeof(err)), 0);
	assert_int_equal(vs_account_passwd(cfg, "bob", "not a hash", err, sizeof(err)), -EINVAL);
	assert_string_equal(vs_account_find(cfg, "bob")->crypt_hash, "$y$short");
	assert_int_equal(vs_account_passwd(cfg, "bob", HASH, err, sizeof(err)), 0);

	/* show: names and roles, never a hash. */
	json_t *show = vs_accounts_show_json(cfg);
	char *text = json_dumps(show, 0);
	assert_null(strstr(text, "$y$"));
	assert_non_null(strstr(text, "\"role\": \"read-only\""));
	free(text);
	json_decref(show);

	/* The whole document and a delta carry them, and refuse bad ones. */
	cfg->version = 3;
	json_t *doc = vs_config_to_json(cfg);
	assert_int_equal(vs_config_from_json(doc, back, err, sizeof(err)), 0);
	assert_true(vs_config_equal(cfg, back));
	json_array_append_new(
	    json_object_get(doc, "accounts"),
	    json_pack("{s:s, s:s, s:s}", "name", "eve", "role", "god", "crypt_hash", HASH));
	assert_int_equal(vs_config_from_json(doc, back, err, sizeof(err)), -EINVAL);
	json_decref(doc);
	assert_int_equal(vs_config_copy(next, cfg), 0);
	assert_int_equal(vs_account_remove(next, "carol", err, sizeof(err)), 0);
	next->version = 4;
	json_t *delta = vs_config_delta(cfg, next);
	assert_non_null(json_object_get(delta, "accounts"));
	vs_config_init(back);
	assert_int_equal(vs_config_apply_delta(cfg, delta, back, err, sizeof(err)), 0);
	assert_int_equal(back->n_accounts, 2);
	assert_null(vs_account_find(back, "carol"));
	json_decref(delta);
	vs_config_free(back);
	vs_config_free(next);
	vs_config_free(cfg);
	free(back);
	free(next);
	free(cfg);
}

static void rnd_fill(unsigned char *b, unsigned char seed)
{
	for (int i = 0; i < 2 * AP_SESS_RAND; i++)
		b[i] = (unsigned char)(seed * 31 + i * 7);
}

static void test_sessions(void **state)
{
	struct ap_sess_table *t = malloc(sizeof(*t));
	unsigned char rnd[2 * AP_SESS_RAND];
	struct ap_sess *s, *s2;
	char id[AP_SESS_HEX + 1], csrf[AP_SESS_HEX + 1];

	ap_sess_init(t, 100, 1000);
	rnd_fill(rnd, 1);
	assert_int_equal(ap_sess_new(t, "alice", "admin", rnd, 10, &s), 0);
	assert_int_equal(strlen(s->id), AP_SESS_HEX);
	assert_string_not_equal(s->id, s->csrf);
	strcpy(id, s->id);
	strcpy(csrf, s->csrf);
	assert_ptr_equal(ap_sess_find(t, id, 50), s);
	/* Idle expiry counts from the last use. */
	assert_ptr_equal(ap_sess_find(t, id, 149), s);
	assert_null(ap_sess_find(t, id, 249));
	assert_int_equal(ap_sess_count(t, 249), 0);
	/* Absolute expiry, whatever the use. */
	assert_int_equal(ap_sess_new(t, "alice", "admin", rnd, 1000, &s), 0);
	for (uint64_t now = 1000; now < 1990; now += 90)
		assert_non_null(ap_sess_find(t, id, now));
	assert_null(ap_sess_find(t, id, 2000));
	/* Alive (an event stream's check) is no activity: idle expiry goes on. */
	assert_int_equal(ap_sess_new(t, "alice", "admin", rnd, 2100, &s), 0);
	assert_true(ap_sess_alive(t, id, 2150));
	assert_true(ap_sess_alive(t, id, 2199));
	assert_false(ap_sess_alive(t, id, 2201));
	assert_false(ap_sess_alive(t, NULL, 2150));
	assert_false(ap_sess_alive(t, "x", 2150));
	assert_int_equal(ap_sess_new(t, "alice", "admin", rnd, 2300, &s), 0);
	ap_sess_end(t, s);
	assert_false(ap_sess_alive(t, id, 2301));
	/* A clock gone back trusts nothing. */
	assert_int_equal(ap_sess_new(t, "alice", "admin", rnd, 3000, &s), 0);
	assert_null(ap_sess_find(t, id, 2999));
	/* Malformed ids find nothing. */
	assert_int_equal(ap_sess_new(t, "alice", "admin", rnd, 4000, &s), 0);
	assert_null(ap_sess_find(t, NULL, 4001));
	assert_null(ap_sess_find(t, "", 4001));
	char upper[AP_SESS_HEX + 1];
	strcpy(upper, id);
	upper[0] = upper[0] >= 'a' ? (char)(upper[0] - 32) : 'A';
	assert_null(ap_sess_find(t, upper, 4001));
	char longer[AP_SESS_HEX + 2];
	snprintf(longer, sizeof(longer), "%s0", id);
	assert_null(ap_sess_find(t, longer, 4001));
	assert_null(ap_sess_find(t, id + 1, 4001));
	/* CSRF. */
	assert_true(ap_sess_csrf_ok(s, csrf));
	assert_false(ap_sess_csrf_ok(s, NULL));
	assert_false(ap_sess_csrf_ok(s, ""));
	assert_false(ap_sess_csrf_ok(s, id)); /* the cookie is not the token */
	char wrong[AP_SESS_HEX + 1];
	strcpy(wrong, csrf);
	wrong[AP_SESS_HEX - 1] = wrong[AP_SESS_HEX - 1] == '0' ? '1' : '0';
	assert_false(ap_sess_csrf_ok(s, wrong));
	assert_false(ap_sess_csrf_ok(NULL, csrf));
	/* Logout ends it. */
	ap_sess_end(t, s);
	assert_null(ap_sess_find(t, id, 4002));
	/* Full: refused loudly, nobody pushed out; expired ones make room. */
	ap_sess_init(t, 100, 1000);
	for (int i = 0; i < AP_SESS_MAX; i++) {
		rnd_fill(rnd, (unsigned char)i);
		rnd[0] = (unsigned char)i;
		rnd[1] = (unsigned char)(i >> 8);
		assert_int_equal(ap_sess_new(t, "bob", "operator", rnd, 10 + (uint64_t)i / 8, &s),
		                 0);
	}
	assert_int_equal(ap_sess_count(t, 50), AP_SESS_MAX);
	assert_int_equal(ap_sess_new(t, "eve", "admin", rnd, 50, &s2), -ENOSPC);
	assert_int_equal(ap_sess_new(t, "eve", "admin", rnd, 110, &s2), 0); /* first 8 idle out */
	assert_int_equal(ap_sess_new(t, "", "admin", rnd, 110, &s2), -EINVAL);
	assert_int_equal(ap_sess_new(t, "a234567890123456789012345678901x", "admin", rnd, 110, &s2),
	                 -EINVAL);
	free(t);
}

static void test_limits(void **state)
{
	struct ap_lim_cfg cfg = {.addr_max = 3, .addr_window_s = 60, .fails_max = 2, .lock_s = 600};
	struct ap_lim *l = malloc(sizeof(*l));
	uint64_t retry;

	ap_lim_init(l, &cfg);
	/* Per address: 3 a minute. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(ap_lim_check(l, "192.0.2.9", "alice", 100, &retry), 0);
	assert_int_equal(ap_lim_check(l, "192.0.2.9", "alice", 110, &retry), -EAGAIN);
	assert_int_equal(retry, 50);
	assert_int_equal(ap_lim_check(l, "198.51.100.7", "alice", 110, &retry), 0);
	assert_int_equal(ap_lim_check(l, "192.0.2.9", "alice", 160, &retry), 0); /* new window */
	/* Per account: 2 failures lock it for 10 minutes, for every address. */
	ap_lim_init(l, &cfg);
	assert_int_equal(ap_lim_check(l, "192.0.2.1", "bob", 0, &retry), 0);
	ap_lim_result(l, "bob", false, 0);
	assert_int_equal(ap_lim_check(l, "192.0.2.1", "bob", 1, &retry), 0);
	ap_lim_result(l, "bob", false, 1);
	assert_int_equal(ap_lim_check(l, "192.0.2.2", "bob", 2, &retry), -EACCES);
	assert_int_equal(retry, 599);
	assert_int_equal(ap_lim_check(l, "192.0.2.2", "carol", 2, &retry), 0);
	assert_int_equal(ap_lim_check(l, "192.0.2.3", "bob", 601, &retry), 0); /* lock over */
	ap_lim_result(l, "bob", false, 601);
	assert_int_equal(ap_lim_check(l, "192.0.2.3", "bob", 602, &retry), 0); /* 1 of 2 again */
	ap_lim_result(l, "bob", true, 602);                                    /* reset */
	assert_int_equal(ap_lim_check(l, "192.0.2.4", "bob", 603, &retry), 0);
	ap_lim_result(l, "bob", false, 603);
	assert_int_equal(ap_lim_check(l, "192.0.2.4", "bob", 604, &retry), 0);
	/* Bounded: many addresses and names fit in the table; locks are kept. */
	ap_lim_init(l, &cfg);
	assert_int_equal(ap_lim_check(l, "192.0.2.1", "locked", 0, &retry), 0);
	ap_lim_result(l, "locked", false, 0);
	ap_lim_result(l, "locked", false, 0);
	for (int i = 0; i < 3 * AP_LIM_SLOTS; i++) {
		char a[32], n[32];
		snprintf(a, sizeof(a), "2001:db8::%x", i);
		snprintf(n, sizeof(n), "user%d", i);
		int rc = ap_lim_check(l, a, n, 10, &retry);
		assert_true(rc == 0);
	}
	assert_int_equal(ap_lim_check(l, "192.0.2.200", "locked", 11, &retry), -EACCES);
	free(l);
}

/* The path's parameters joined by '|'. */
static void joined(const struct ap_wa_path *pp, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (int i = 0; i < pp->n && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s", i ? "|" : "", pp->v[i]);
}

static void test_match(void **state)
{
	static const struct {
		const char *method, *path;
		int rc;
		const char *cmd, *params, *allow;
	} cases[] = {
	    {"GET", "/api/v1/vservers", 0, "vserver.show", "", NULL},
	    {"POST", "/api/v1/vservers", 0, "vserver.create", "", NULL},
	    {"GET", "/api/v1/vservers/vs1", 0, "vserver.show", "vs1", NULL},
	    {"GET", "/api/v1/cluster/bundle", 0, "cluster.bundle", "", NULL},
	    {"GET", "/api/v1/system", 0, "system.show", "", NULL},
	    {"PUT", "/api/v1/system/update", 0, "system.update", "", NULL},
	    {"POST", "/api/v1/system/reboot", 0, "system.reboot", "", NULL},
	    {"PATCH", "/api/v1/vservers/vs1", 0, "vserver.set", "vs1", NULL},
	    {"DELETE", "/api/v1/vservers/vs1", 0, "vserver.delete", "vs1", NULL},
	    {"POST", "/api/v1/vservers/vs-1_a/start", 0, "vserver.start", "vs-1_a", NULL},
	    {"POST", "/api/v1/vservers/vs1/stop", 0, "vserver.stop", "vs1", NULL},
	    {"POST", "/api/v1/vservers/vs1/migrate", 0, "vserver.migrate", "vs1", NULL},
	    {"POST", "/api/v1/vservers/vs1/join", 0, "vserver.join", "vs1", NULL},
	    {"POST", "/api/v1/vservers/vs1/leave", 0, "vserver.leave", "vs1", NULL},
	    {"GET", "/api/v1/vips", 0, "vip.show", "", NULL},
	    {"GET", "/api/v1/vservers/vs1/vips", 0, "vip.show", "vs1", NULL},
	    {"POST", "/api/v1/vservers/vs1/vips", 0, "vip.add", "vs1", NULL},
	    {"POST", "/api/v1/vservers/vs1/vips/revert", 0, "vip.revert", "vs1", NULL},
	    {"DELETE", "/api/v1/vservers/vs1/vips/192.0.2.7", 0, "vip.remove", "vs1|192.0.2.7",
	     NULL},
	    {"DELETE", "/api/v1/vservers/vs1/vips/2001:db8::7", 0, "vip.remove", "vs1|2001:db8::7",
	     NULL},
	    {"POST", "/api/v1/vservers/vs1/vips/192.0.2.7/migrate", 0, "vip.migrate",
	     "vs1|192.0.2.7", NULL},
	    {"POST", "/api/v1/vservers/vs1/vips/192.0.2.7/revert", 0, "vip.revert", "vs1|192.0.2.7",
	     NULL},
	    {"GET", "/api/v1/vservers/vs1/filesystems", 0, "vserver.show", "vs1", NULL},
	    {"POST", "/api/v1/vservers/vs1/filesystems", 0, "fs.add", "vs1", NULL},
	    {"DELETE", "/api/v1/vservers/vs1/filesystems/data", 0, "fs.remove", "vs1|data", NULL},
	    {"GET", "/api/v1/vservers/vs1/exports", 0, "vserver.show", "vs1", NULL},
	    {"POST", "/api/v1/vservers/vs1/exports", 0, "export.add", "vs1", NULL},
	    {"DELETE", "/api/v1/vservers/vs1/exports/data", 0, "export.remove", "vs1|data", NULL},
	    {"DELETE", "/api/v1/vservers/vs1/exports/data/sub.d/x-1", 0, "export.remove",
	     "vs1|data/sub.d/x-1", NULL},
	    {"GET", "/api/v1/vservers/vs1/shares", 0, "vserver.show", "vs1", NULL},
	    {"POST", "/api/v1/vservers/vs1/shares", 0, "share.add", "vs1", NULL},
	    {"DELETE", "/api/v1/vservers/vs1/shares/docs", 0, "share.remove", "vs1|docs", NULL},
	    {"GET", "/api/v1/vservers/vs1/users", 0, "user.show", "vs1", NULL},
	    {"POST", "/api/v1/vservers/vs1/users", 0, "user.add", "vs1", NULL},
	    {"GET", "/api/v1/vservers/vs1/users/bob", 0, "user.show", "vs1|bob", NULL},
	    {"DELETE", "/api/v1/vservers/vs1/users/bob", 0, "user.remove", "vs1|bob", NULL},
	    {"PUT", "/api/v1/vservers/vs1/users/bob/password", 0, "user.passwd", "vs1|bob", NULL},
	    {"GET", "/api/v1/vservers/vs1/groups", 0, "group.show", "vs1", NULL},
	    {"POST", "/api/v1/vservers/vs1/groups", 0, "group.add", "vs1", NULL},
	    {"DELETE", "/api/v1/vservers/vs1/groups/staff", 0, "group.remove", "vs1|staff", NULL},
	    {"POST", "/api/v1/vservers/vs1/groups/staff/members", 0, "group.member", "vs1|staff",
	     NULL},
	    {"DELETE", "/api/v1/vservers/vs1/groups/staff/members/bob", 0, "group.member",
	     "vs1|staff|bob", NULL},
	    {"GET", "/api/v1/fgroups", 0, "fgroup.show", "", NULL},
	    {"POST", "/api/v1/fgroups", 0, "fgroup.create", "", NULL},
	    {"PATCH", "/api/v1/fgroups/fg1", 0, "fgroup.set", "fg1", NULL},
	    {"DELETE", "/api/v1/fgroups/fg1", 0, "fgroup.delete", "fg1", NULL},
	    {"GET", "/api/v1/ports", 0, "port.show", "", NULL},
	    {"GET", "/api/v1/luns", 0, "lun.show", "", NULL},
	    {"GET", "/api/v1/nodes", 0, "node.show", "", NULL},
	    {"GET", "/api/v1/ping", 0, "node.ping", "", NULL},
	    {"POST", "/api/v1/nodes/n1/standby", 0, "node.standby", "n1", NULL},
	    {"POST", "/api/v1/nodes/n1/evacuate", 0, "node.evacuate", "n1", NULL},
	    {"POST", "/api/v1/nodes/n1/resume", 0, "node.resume", "n1", NULL},
	    {"GET", "/api/v1/fencing", 0, "fence.show", "", NULL},
	    {"PUT", "/api/v1/fencing/n1", 0, "fence.set", "n1", NULL},
	    {"DELETE", "/api/v1/fencing/n1", 0, "fence.delete", "n1", NULL},
	    {"POST", "/api/v1/fencing/n1/check", 0, "fence.check", "n1", NULL},
	    {"GET", "/api/v1/moves", 0, "move.show", "", NULL},
	    {"GET", "/api/v1/moves/17", 0, "move.show", "17", NULL},
	    {"GET", "/api/v1/load", 0, "load.show", "", NULL},
	    {"GET", "/api/v1/balance", 0, "balance.show", "", NULL},
	    {"PATCH", "/api/v1/balance", 0, "balance.set", "", NULL},
	    {"GET", "/api/v1/events", 0, "event.show", "", NULL},
	    {"GET", "/api/v1/events/stream", 0, "event.show", "", NULL},
	    {"GET", "/api/v1/cluster", 0, "cluster.show", "", NULL},
	    {"GET", "/api/v1/admins", 0, "admin.show", "", NULL},
	    {"POST", "/api/v1/admins", 0, "admin.add", "", NULL},
	    {"PUT", "/api/v1/admins/alice/password", 0, "admin.passwd", "alice", NULL},
	    {"DELETE", "/api/v1/admins/alice", 0, "admin.remove", "alice", NULL},
	    {"POST", "/api/v1/login", 0, "admin.login", "", NULL},
	    {"PUT", "/api/v1/vservers", -EPERM, NULL, "", "GET, POST"},
	    {"GET", "/api/v1/vservers/vs1/start", -EPERM, NULL, "", "POST"},
	    {"GET", "/api/v1/login", -EPERM, NULL, "", "POST"},
	    {"POST", "/api/v1/vservers/vs1", -EPERM, NULL, "", "GET, PATCH, DELETE"},
	    {"DELETE", "/api/v1/vservers/vs1/vips/revert", -EPERM, NULL, "", "POST"},
	    {"GET", "/api/v1/admins/alice", -EPERM, NULL, "", "DELETE"},
	    {"POST", "/api/v1/events/stream", -EPERM, NULL, "", "GET"},
	    {"GET", "/api/v1/vservers/1vs", -EINVAL, NULL, "", NULL},
	    {"GET", "/api/v1/vservers/..", -EINVAL, NULL, "", NULL},
	    {"GET", "/api/v1/vservers/a%2Fb", -EINVAL, NULL, "", NULL},
	    {"GET", "/api/v1/vservers/a234567890123456789012345678901x", -EINVAL, NULL, "", NULL},
	    {"GET", "/api/v1/vservers//start", -EINVAL, NULL, "", NULL},
	    {"DELETE", "/api/v1/vservers/vs1/vips/192.0.2.300", -EINVAL, NULL, "", NULL},
	    {"DELETE", "/api/v1/vservers/vs1/vips/192.0.2.7;rm", -EINVAL, NULL, "", NULL},
	    {"DELETE", "/api/v1/vservers/vs1/vips/host.example", -EINVAL, NULL, "", NULL},
	    {"DELETE", "/api/v1/vservers/vs1/vips/::g", -EINVAL, NULL, "", NULL},
	    {"POST", "/api/v1/vservers/vs1/vips/1.2.3/migrate", -EINVAL, NULL, "", NULL},
	    {"DELETE", "/api/v1/vservers/vs1/exports/..", -EINVAL, NULL, "", NULL},
	    {"DELETE", "/api/v1/vservers/vs1/exports/data/../etc", -EINVAL, NULL, "", NULL},
	    {"DELETE", "/api/v1/vservers/vs1/exports/data//x", -EINVAL, NULL, "", NULL},
	    {"DELETE", "/api/v1/vservers/vs1/exports/data/", -EINVAL, NULL, "", NULL},
	    {"DELETE", "/api/v1/vservers/vs1/exports/a b", -EINVAL, NULL, "", NULL},
	    {"DELETE", "/api/v1/vservers/vs1/exports/./x", -EINVAL, NULL, "", NULL},
	    {"GET", "/api/v1/moves/abc", -EINVAL, NULL, "", NULL},
	    {"GET", "/api/v1/moves/-1", -EINVAL, NULL, "", NULL},
	    {"GET", "/api/v1/moves/1234567890123456789", -EINVAL, NULL, "", NULL},
	    {"POST", "/api/v1/nodes/n%31/evacuate", -EINVAL, NULL, "", NULL},
	    {"DELETE", "/api/v1/vservers/vs1/groups/staff/members/b;b", -EINVAL, NULL, "", NULL},
	    {"GET", "/api/v1/vservers/", -ENOENT, NULL, "", NULL},
	    {"GET", "/api/v1/vservers/vs1/", -ENOENT, NULL, "", NULL},
	    {"GET", "/api/v1/vservers/vs1/start/x", -ENOENT, NULL, "", NULL},
	    {"DELETE", "/api/v1/vservers/vs1/exports/", -ENOENT, NULL, "", NULL},
	    {"GET", "/api/v1/nope", -ENOENT, NULL, "", NULL},
	    {"GET", "/api/v2/vservers", -ENOENT, NULL, "", NULL},
	    {"GET", "/api/v1/vservers?x=1", -ENOENT, NULL, "", NULL},
	    {"GET", "", -ENOENT, NULL, "", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ap_wa_route *r = NULL;
		struct ap_wa_path pp;
		char got[512], allow[64], err[256];
		int rc = ap_wa_match(cases[i].method, cases[i].path, &r, &pp, allow, sizeof(allow),
		                     err, sizeof(err));
		if (rc != cases[i].rc)
			fail_msg("case %zu (%s %s): %d, not %d", i, cases[i].method, cases[i].path,
			         rc, cases[i].rc);
		if (rc == 0) {
			assert_string_equal(r->cmd, cases[i].cmd);
			joined(&pp, got, sizeof(got));
			if (strcmp(got, cases[i].params) != 0)
				fail_msg("case %zu: parameters '%s'", i, got);
			assert_int_equal(r->changes, strcmp(cases[i].method, "GET") != 0 &&
			                                 strcmp(r->pattern, "/api/v1/login") != 0);
		} else {
			assert_true(strlen(err) > 0);
			assert_null(strstr(err, "%2F"));
			assert_null(strstr(err, ";rm"));
			assert_null(strstr(err, "etc"));
		}
		if (cases[i].allow)
			assert_string_equal(allow, cases[i].allow);
	}
	const struct ap_wa_route *r;
	struct ap_wa_path pp;
	char allow[64], err[256];
	assert_int_equal(ap_wa_match("BREW", "/api/v1/vservers", &r, &pp, allow, sizeof(allow), err,
	                             sizeof(err)),
	                 -EPERM);
	assert_null(strstr(err, "BREW")); /* an odd method is not echoed */
	/* Each kind of parameter says what it takes. */
	assert_int_equal(ap_wa_match("DELETE", "/api/v1/vservers/vs1/vips/x", &r, &pp, allow,
	                             sizeof(allow), err, sizeof(err)),
	                 -EINVAL);
	assert_non_null(strstr(err, "IPv4 or IPv6"));
	assert_int_equal(
	    ap_wa_match("GET", "/api/v1/moves/x", &r, &pp, allow, sizeof(allow), err, sizeof(err)),
	    -EINVAL);
	assert_string_equal(err, "A move id in the path is a whole number.");
	/* An export's path of 126 characters passes, one longer not. */
	char path[300], seg[200];
	memset(seg, 'a', 126);
	seg[126] = '\0';
	for (int k = 1; k < 126; k += 60)
		seg[k] = '/';
	snprintf(path, sizeof(path), "/api/v1/vservers/vs1/exports/%s", seg);
	assert_int_equal(
	    ap_wa_match("DELETE", path, &r, &pp, allow, sizeof(allow), err, sizeof(err)), 0);
	assert_string_equal(pp.v[1], seg);
	snprintf(path, sizeof(path), "/api/v1/vservers/vs1/exports/%sb", seg);
	assert_int_equal(
	    ap_wa_match("DELETE", path, &r, &pp, allow, sizeof(allow), err, sizeof(err)), -EINVAL);
}

static void test_validators(void **state)
{
	assert_true(ap_wa_addr_ok("192.0.2.1"));
	assert_true(ap_wa_addr_ok("2001:db8::1"));
	assert_true(ap_wa_addr_ok("::ffff:192.0.2.1"));
	assert_false(ap_wa_addr_ok("192.0.2.1/24"));
	assert_false(ap_wa_addr_ok("192.0.2"));
	assert_false(ap_wa_addr_ok(""));
	assert_false(ap_wa_addr_ok(NULL));
	assert_false(ap_wa_addr_ok(" 192.0.2.1"));
	assert_false(ap_wa_addr_ok("fe80::1%eth0"));
	assert_true(ap_wa_export_ok("data"));
	assert_true(ap_wa_export_ok("a/b.c/d_e-f"));
	assert_true(ap_wa_export_ok("..a"));
	assert_false(ap_wa_export_ok("/data"));
	assert_false(ap_wa_export_ok("data/.."));
	assert_false(ap_wa_export_ok("a\\b"));
	assert_false(ap_wa_export_ok(""));
	assert_true(ap_wa_id_ok("0"));
	assert_true(ap_wa_id_ok("123456789012345678"));
	assert_false(ap_wa_id_ok("1234567890123456789"));
	assert_false(ap_wa_id_ok("+1"));
	assert_false(ap_wa_id_ok("1e3"));
	int64_t id;
	assert_int_equal(ap_wa_event_id("42", &id), 0);
	assert_int_equal(id, 42);
	assert_int_equal(ap_wa_event_id("42 ", &id), -EINVAL);
	assert_int_equal(ap_wa_event_id("", &id), -EINVAL);
	assert_int_equal(ap_wa_event_id(NULL, &id), -EINVAL);
}

static const struct ap_wa_route *route(const char *method, const char *path, struct ap_wa_path *pp)
{
	const struct ap_wa_route *r = NULL;
	char allow[64], err[256];

	assert_int_equal(ap_wa_match(method, path, &r, pp, allow, sizeof(allow), err, sizeof(err)),
	                 0);
	return r;
}

static void test_build(void **state)
{
	static const struct {
		const char *method, *path, *body;
		int rc;
		const char *want; /* the args as JSON, or a part of the sentence */
	} cases[] = {
	    {"POST", "/api/v1/vservers", "{\"name\":\"vs1\",\"priority\":70,\"pinned\":true}", 0,
	     "{\"name\": \"vs1\", \"priority\": 70, \"pinned\": true}"},
	    {"POST", "/api/v1/vservers", "  ", 0, "{}"},
	    {"POST", "/api/v1/vservers", "{\"name\":\"vs1\",\"evil\":1}", -EINVAL,
	     "The member 'evil' is not known here."},
	    {"POST", "/api/v1/vservers", "{\"name\":\"vs1\",\"e\\nvil\":1}", -EINVAL,
	     "The body has a member that is not known here."},
	    {"POST", "/api/v1/vservers", "{\"name\":7}", -EINVAL, "must be a string"},
	    {"POST", "/api/v1/vservers", "{\"priority\":\"high\"}", -EINVAL, "must be an integer"},
	    {"POST", "/api/v1/vservers", "[1,2]", -EINVAL, "not a JSON object"},
	    {"POST", "/api/v1/vservers", "{\"name\":", -EINVAL, "not a JSON object"},
	    {"POST", "/api/v1/vservers", "{\"name\":\"a\",\"name\":\"b\"}", -EINVAL,
	     "not a JSON object"},
	    {"POST", "/api/v1/vservers/vs1/start", "", 0, "{\"name\": \"vs1\", \"no_wait\": true}"},
	    {"POST", "/api/v1/vservers/vs1/stop", "", 0, "{\"name\": \"vs1\", \"no_wait\": true}"},
	    {"POST", "/api/v1/vservers/vs1/start", "{\"name\":\"other\"}", -EINVAL,
	     "not known here"},
	    {"POST", "/api/v1/vservers/vs1/migrate", "{\"to\":\"n2\"}", 0,
	     "{\"to\": \"n2\", \"name\": \"vs1\"}"},
	    {"POST", "/api/v1/vservers/vs1/migrate", "{\"home\":\"yes\"}", -EINVAL,
	     "must be true or false"},
	    {"DELETE", "/api/v1/vservers/vs1", "{\"force\":true}", 0,
	     "{\"force\": true, \"name\": \"vs1\"}"},
	    {"PATCH", "/api/v1/vservers/vs1", "{\"auto_revert\":false,\"nfs_lease\":30}", 0,
	     "{\"auto_revert\": false, \"nfs_lease\": 30, \"name\": \"vs1\"}"},
	    {"PATCH", "/api/v1/vservers/vs1", "{\"auto_revert\":\"off\"}", -EINVAL,
	     "must be true or false"},
	    {"POST", "/api/v1/vservers/vs1/join",
	     "{\"domain\":\"AD.EXAMPLE\",\"user\":\"Administrator\",\"password\":\"s3cret-pw\"}", 0,
	     "{\"domain\": \"AD.EXAMPLE\", \"user\": \"Administrator\", \"password\": "
	     "\"s3cret-pw\", \"name\": \"vs1\"}"},
	    {"POST", "/api/v1/vservers/vs1/join", "{\"password\":1}", -EINVAL, "must be a string"},
	    {"POST", "/api/v1/vservers/vs1/leave", "{}", 0, "{\"name\": \"vs1\"}"},
	    {"POST", "/api/v1/vservers/vs1/vips",
	     "{\"address\":\"192.0.2.7/24\",\"home_port\":\"eth1\",\"no_auto_revert\":true}", 0,
	     "{\"address\": \"192.0.2.7/24\", \"home_port\": \"eth1\", \"no_auto_revert\": true, "
	     "\"vs\": \"vs1\"}"},
	    {"POST", "/api/v1/vservers/vs1/vips", "{\"address\":[\"x\"]}", -EINVAL,
	     "must be a string"},
	    {"POST", "/api/v1/vservers/vs1/vips", "{\"vs\":\"other\"}", -EINVAL, "not known here"},
	    {"DELETE", "/api/v1/vservers/vs1/vips/192.0.2.7", "", 0,
	     "{\"vs\": \"vs1\", \"address\": \"192.0.2.7\"}"},
	    {"POST", "/api/v1/vservers/vs1/vips/192.0.2.7/migrate", "{\"port\":\"eth2\"}", 0,
	     "{\"port\": \"eth2\", \"vs\": \"vs1\", \"address\": \"192.0.2.7\"}"},
	    {"POST", "/api/v1/vservers/vs1/vips/192.0.2.7/revert", "", 0,
	     "{\"vs\": \"vs1\", \"address\": \"192.0.2.7\"}"},
	    {"POST", "/api/v1/vservers/vs1/vips/revert", "", 0, "{\"vs\": \"vs1\"}"},
	    {"POST", "/api/v1/vservers/vs1/filesystems", "{\"fs\":\"data\",\"lun\":\"LABEL=l0\"}",
	     0, "{\"fs\": \"data\", \"lun\": \"LABEL=l0\", \"vs\": \"vs1\"}"},
	    {"DELETE", "/api/v1/vservers/vs1/filesystems/data", "", 0,
	     "{\"vs\": \"vs1\", \"fs\": \"data\"}"},
	    {"POST", "/api/v1/vservers/vs1/exports",
	     "{\"pseudo\":\"/data\",\"fs\":\"data\",\"ro\":true,\"anon_uid\":1000}", 0,
	     "{\"pseudo\": \"/data\", \"fs\": \"data\", \"ro\": true, \"anon_uid\": 1000, \"vs\": "
	     "\"vs1\"}"},
	    {"DELETE", "/api/v1/vservers/vs1/exports/data/sub", "", 0,
	     "{\"vs\": \"vs1\", \"pseudo\": \"/data/sub\"}"},
	    {"POST", "/api/v1/vservers/vs1/shares",
	     "{\"share\":\"docs\",\"fs\":\"data\","
	     "\"write\":\"bob,@staff\",\"encrypt\":true}",
	     0,
	     "{\"share\": \"docs\", \"fs\": \"data\", \"write\": \"bob,@staff\", \"encrypt\": "
	     "true, "
	     "\"vs\": \"vs1\"}"},
	    {"DELETE", "/api/v1/vservers/vs1/shares/docs", "", 0,
	     "{\"vs\": \"vs1\", \"share\": \"docs\"}"},
	    {"POST", "/api/v1/vservers/vs1/users",
	     "{\"name\":\"bob\",\"uid\":2001,\"groups\":[\"staff\",\"dev\"],\"password\":\"pw\"}",
	     0,
	     "{\"name\": \"bob\", \"uid\": 2001, \"groups\": [\"staff\", \"dev\"], \"password\": "
	     "\"pw\", \"vs\": \"vs1\"}"},
	    {"POST", "/api/v1/vservers/vs1/users", "{\"name\":\"bob\",\"groups\":\"staff\"}",
	     -EINVAL, "must be an array of at most 32 strings"},
	    {"POST", "/api/v1/vservers/vs1/users", "{\"name\":\"bob\",\"groups\":[\"a\",1]}",
	     -EINVAL, "must be an array"},
	    {"GET", "/api/v1/vservers/vs1/users/bob", "", 0,
	     "{\"vs\": \"vs1\", \"name\": \"bob\"}"},
	    {"DELETE", "/api/v1/vservers/vs1/users/bob", "", 0,
	     "{\"vs\": \"vs1\", \"name\": \"bob\"}"},
	    {"PUT", "/api/v1/vservers/vs1/users/bob/password", "{\"password\":\"s3cret-pw\"}", 0,
	     "{\"password\": \"s3cret-pw\", \"vs\": \"vs1\", \"name\": \"bob\"}"},
	    {"POST", "/api/v1/vservers/vs1/groups", "{\"name\":\"staff\",\"gid\":3000}", 0,
	     "{\"name\": \"staff\", \"gid\": 3000, \"vs\": \"vs1\"}"},
	    {"DELETE", "/api/v1/vservers/vs1/groups/staff", "", 0,
	     "{\"vs\": \"vs1\", \"name\": \"staff\"}"},
	    {"POST", "/api/v1/vservers/vs1/groups/staff/members", "{\"user\":\"bob\"}", 0,
	     "{\"user\": \"bob\", \"vs\": \"vs1\", \"group\": \"staff\", \"action\": \"add\"}"},
	    {"POST", "/api/v1/vservers/vs1/groups/staff/members", "{\"action\":\"remove\"}",
	     -EINVAL, "not known here"},
	    {"DELETE", "/api/v1/vservers/vs1/groups/staff/members/bob", "", 0,
	     "{\"vs\": \"vs1\", \"group\": \"staff\", \"user\": \"bob\", \"action\": \"remove\"}"},
	    {"POST", "/api/v1/fgroups",
	     "{\"name\":\"fg1\",\"ports\":\"eth1,eth2\","
	     "\"probe_interval\":500}",
	     0, "{\"name\": \"fg1\", \"ports\": \"eth1,eth2\", \"probe_interval\": 500}"},
	    {"PATCH", "/api/v1/fgroups/fg1", "{\"port_speed\":1000}", 0,
	     "{\"port_speed\": 1000, \"name\": \"fg1\"}"},
	    {"DELETE", "/api/v1/fgroups/fg1", "", 0, "{\"name\": \"fg1\"}"},
	    {"PUT", "/api/v1/fencing/n1", "{\"agent\":\"fence_virsh\",\"options\":\"ip=x\"}", 0,
	     "{\"agent\": \"fence_virsh\", \"options\": \"ip=x\", \"node\": \"n1\"}"},
	    {"DELETE", "/api/v1/fencing/n1", "", 0, "{\"node\": \"n1\"}"},
	    {"POST", "/api/v1/fencing/n1/check", "", 0, "{\"node\": \"n1\"}"},
	    {"POST", "/api/v1/nodes/n1/standby", "{\"state\":\"on\"}", 0,
	     "{\"state\": \"on\", \"node\": \"n1\"}"},
	    {"POST", "/api/v1/nodes/n1/standby", "{\"state\":true}", -EINVAL, "must be a string"},
	    {"POST", "/api/v1/nodes/n1/evacuate", "", 0, "{\"node\": \"n1\"}"},
	    {"POST", "/api/v1/nodes/n1/resume", "", 0, "{\"node\": \"n1\"}"},
	    {"GET", "/api/v1/moves/17", "", 0, "{\"id\": 17}"},
	    {"PATCH", "/api/v1/balance", "{\"mode\":\"auto\",\"max_moves\":2}", 0,
	     "{\"mode\": \"auto\", \"max_moves\": 2}"},
	    {"PATCH", "/api/v1/balance", "{\"mode\":1}", -EINVAL, "must be a string"},
	    {"POST", "/api/v1/admins",
	     "{\"name\":\"dave\",\"role\":\"operator\",\"password\":"
	     "\"s3cret-pw\"}",
	     0, "{\"name\": \"dave\", \"role\": \"operator\", \"password\": \"s3cret-pw\"}"},
	    {"POST", "/api/v1/admins", "{\"name\":\"dave\",\"crypt_hash\":\"$y$x\"}", -EINVAL,
	     "not known here"},
	    {"PUT", "/api/v1/admins/dave/password", "{\"password\":\"s3cret-pw\"}", 0,
	     "{\"password\": \"s3cret-pw\", \"name\": \"dave\"}"},
	    {"DELETE", "/api/v1/admins/dave", "", 0, "{\"name\": \"dave\"}"},
	    {"GET", "/api/v1/vservers", "{}", -EINVAL, "takes no body"},
	    {"GET", "/api/v1/events/stream", "{}", -EINVAL, "takes no body"},
	    {"POST", "/api/v1/login", "{\"name\":\"alice\",\"password\":\"s3cret-pw\"}", 0,
	     "{\"name\": \"alice\", \"password\": \"s3cret-pw\"}"},
	    {"POST", "/api/v1/login", "{\"name\":\"al ice\",\"password\":\"s3cret-pw\"}", -EINVAL,
	     "Give the account's name and password"},
	    {"POST", "/api/v1/login", "{\"name\":\"alice\"}", -EINVAL, "Give the account's"},
	    {"POST", "/api/v1/login", "{\"name\":\"alice\",\"password\":\"\"}", -EINVAL,
	     "Give the account's"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ap_wa_path pp;
		const struct ap_wa_route *r = route(cases[i].method, cases[i].path, &pp);
		json_t *args = NULL;
		char err[256] = "";
		int rc = ap_wa_build(r, &pp, cases[i].body, strlen(cases[i].body), &args, err,
		                     sizeof(err));
		if (rc != cases[i].rc)
			fail_msg("case %zu: %d, not %d (%s)", i, rc, cases[i].rc, err);
		if (rc == 0) {
			json_error_t jerr;
			json_t *want = json_loads(cases[i].want, 0, &jerr);
			if (!want)
				fail_msg("case %zu: bad want: %s", i, jerr.text);
			if (!json_equal(want, args)) {
				char *got = json_dumps(args, 0);
				fail_msg("case %zu: got %s", i, got);
			}
			json_decref(want);
		} else {
			if (!strstr(err, cases[i].want))
				fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].want);
			assert_null(strstr(err, "s3cret"));
			assert_null(args);
		}
		json_decref(args);
	}
	/* 33 groups: more than a list takes. */
	char body[1024] = "{\"name\":\"bob\",\"groups\":[";
	for (int k = 0; k < 33; k++)
		strcat(body, k ? ",\"g\"" : "\"g\"");
	strcat(body, "]}");
	struct ap_wa_path pp;
	json_t *args;
	char err[256];
	const struct ap_wa_route *ru = route("POST", "/api/v1/vservers/vs1/users", &pp);
	assert_int_equal(ap_wa_build(ru, &pp, body, strlen(body), &args, err, sizeof(err)),
	                 -EINVAL);
	/* Bounded. */
	char *big = malloc(AP_WA_BODY_MAX + 2);
	memset(big, ' ', AP_WA_BODY_MAX + 1);
	big[AP_WA_BODY_MAX + 1] = '\0';
	assert_int_equal(ap_wa_build(route("POST", "/api/v1/vservers", &pp), &pp, big,
	                             AP_WA_BODY_MAX + 1, &args, err, sizeof(err)),
	                 -E2BIG);
	free(big);
	/* The flags the glue acts on. */
	assert_true(route("POST", "/api/v1/vservers/vs1/migrate", &pp)->flags & AP_WA_PLANNED);
	assert_int_equal(route("POST", "/api/v1/vservers/vs1/migrate", &pp)->ok_status, 202);
	assert_true(route("POST", "/api/v1/nodes/n1/evacuate", &pp)->flags & AP_WA_PLANNED);
	assert_true(route("POST", "/api/v1/vservers/vs1/users", &pp)->flags & AP_WA_HASH);
	assert_true(route("POST", "/api/v1/admins", &pp)->flags & AP_WA_HASH_CRYPT);
	assert_false(route("POST", "/api/v1/admins", &pp)->flags & AP_WA_HASH);
	assert_true(route("POST", "/api/v1/vservers/vs1/join", &pp)->flags & AP_WA_SECRET);
	assert_string_equal(route("GET", "/api/v1/vservers/vs1/exports", &pp)->pick, "exports");
	assert_int_equal(route("GET", "/api/v1/events/stream", &pp)->op, AP_WA_STREAM);
}

static void test_query(void **state)
{
	struct ap_wa_path pp;
	const struct ap_wa_route *ev = route("GET", "/api/v1/events", &pp),
	                         *mv = route("GET", "/api/v1/moves", &pp),
	                         *vs = route("GET", "/api/v1/vservers", &pp);
	json_t *args = json_object(), *want;
	char err[256];
	json_error_t jerr;

	assert_int_equal(ap_wa_query(ev, "vs", "web0", args, err, sizeof(err)), 0);
	assert_int_equal(ap_wa_query(ev, "limit", "20", args, err, sizeof(err)), 0);
	assert_int_equal(ap_wa_query(ev, "after", "7", args, err, sizeof(err)), 0);
	want = json_loads("{\"vs\": \"web0\", \"limit\": 20, \"after\": 7}", 0, &jerr);
	assert_true(json_equal(want, args));
	json_decref(want);
	assert_int_equal(ap_wa_query(ev, "limit", "-1", args, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "The query member 'limit' is a whole number.");
	assert_int_equal(ap_wa_query(ev, "vs", "w;rm", args, err, sizeof(err)), -EINVAL);
	assert_null(strstr(err, "rm"));
	assert_int_equal(ap_wa_query(ev, "vs", NULL, args, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "The query member 'vs' needs a value.");
	assert_int_equal(ap_wa_query(ev, "evil", "1", args, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "The query member 'evil' is not known here.");
	assert_int_equal(ap_wa_query(ev, "e<vil", "1", args, err, sizeof(err)), -EINVAL);
	assert_null(strstr(err, "<"));
	assert_int_equal(ap_wa_query(vs, "vs", "web0", args, err, sizeof(err)), -EINVAL);
	assert_int_equal(ap_wa_query(mv, "after", "3", args, err, sizeof(err)), 0);
	json_decref(args);

	/* A boolean member: true|false|1|0, anything else refused unquoted. */
	const struct ap_wa_route *ld = route("GET", "/api/v1/load", &pp);
	args = json_object();
	assert_int_equal(ap_wa_query(ld, "history", "1", args, err, sizeof(err)), 0);
	assert_true(json_is_true(json_object_get(args, "history")));
	assert_int_equal(ap_wa_query(ld, "history", "false", args, err, sizeof(err)), 0);
	assert_true(json_is_false(json_object_get(args, "history")));
	assert_int_equal(ap_wa_query(ld, "history", "yes;rm", args, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "The query member 'history' is true or false.");
	assert_true(json_is_false(json_object_get(args, "history")));
	json_decref(args);
}

static void test_moves(void **state)
{
	json_error_t jerr;
	json_t *data = json_loads(
	           "{\"moves\": [{\"id\": 9, \"vs\": \"b\", \"state\": \"moving\"}, {\"id\": 8, "
	           "\"vs\": \"a\", \"state\": \"done\"}, {\"id\": 5, \"vs\": \"a\", \"state\": "
	           "\"done\"}]}",
	           0, &jerr),
	       *args, *out = NULL;
	char err[256];

	assert_non_null(data);
	assert_int_equal(ap_wa_moves_newest(data), 9);
	args = json_pack("{s:s, s:i}", "vs", "a", "after", 5);
	assert_int_equal(ap_wa_moves(data, args, &out, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(json_object_get(out, "moves")), 1);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_array_get(json_object_get(out, "moves"), 0), "id")),
	                 8);
	json_decref(out);
	json_decref(args);
	args = json_object();
	assert_int_equal(ap_wa_moves(data, args, &out, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(json_object_get(out, "moves")), 3);
	json_decref(out);
	json_decref(args);
	args = json_pack("{s:i}", "id", 8);
	assert_int_equal(ap_wa_moves(data, args, &out, err, sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(out, "vs")), "a");
	json_decref(out);
	json_decref(args);
	args = json_pack("{s:i}", "id", 4);
	assert_int_equal(ap_wa_moves(data, args, &out, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "There is no move 4 in the journal.");
	assert_int_equal(ap_wa_status(err), 404);
	assert_null(out);
	json_decref(args);
	json_t *bad = json_pack("{s:s}", "moves", "no");
	args = json_object();
	assert_int_equal(ap_wa_moves(bad, args, &out, err, sizeof(err)), -EIO);
	assert_int_equal(ap_wa_moves_newest(bad), 0);
	json_decref(bad);
	json_decref(args);
	json_decref(data);
}

static void test_status(void **state)
{
	static const struct {
		const char *sentence;
		int status;
	} cases[] = {
	    {"Permission denied: the account carol is read-only and may not do that.", 403},
	    {"Permission denied: only root may change anything.", 403},
	    {"There is no virtual server named 'x'.", 404},
	    {"The console account 'bob' no longer exists.", 404},
	    {"The cluster has no node named 'n9' ('vsadm cluster show').", 404},
	    {"A virtual server named 'vs1' already exists.", 409},
	    {"The virtual server 'vs1' is running: stop it first, or delete it with --force.", 409},
	    {"'alice' is the last admin account; add another admin before removing it.", 409},
	    {"The priority must be between 0 and 100.", 400},
	    {"Give either --to NODE or --home.", 400},
	    {"Virtual server 'vs1' has no user named 'bob'.", 404},
	    {"Node 'n1' has no fence device ('vsadm fence set').", 404},
	    {"192.0.2.7 is the last virtual IP of the running virtual server 'vs1': stop it "
	     "first.",
	     409},
	    {"'vs1' has no virtual IP 192.0.2.9.", 404},
	    {"'vs1' has no export /nope.", 404},
	    {"'vs1' has no share named 'docs'.", 404},
	    {"User 'bob' is not in group 'staff'.", 404},
	    {"This node has no port named 'eth9'.", 400},
	    {"Out of memory.", 500},
	    {"The change could not be saved to the state store; nothing was changed.", 500},
	    {NULL, 500},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (ap_wa_status(cases[i].sentence) != cases[i].status)
			fail_msg("case %zu: %d", i, ap_wa_status(cases[i].sentence));
}

/* docs/api/openapi.json, from the tree the test runs in, else next to the
 * binary's tree (build/san/tests/test_webapi -> ../../../docs). */
static json_t *openapi(void)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	json_error_t jerr;
	json_t *doc = json_load_file("docs/api/openapi.json", 0, &jerr);
	ssize_t n;

	if (doc)
		return doc;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(path, sizeof(path), "%s/../../../docs/api/openapi.json", exe);
	doc = json_load_file(path, 0, &jerr);
	if (!doc)
		fail_msg("cannot read %s: %s", path, jerr.text);
	return doc;
}

static void test_openapi(void **state)
{
	json_t *doc = openapi(), *paths = json_object_get(doc, "paths"), *ops;
	const char *path, *method;
	size_t n, documented = 0;
	const struct ap_wa_route *routes = ap_wa_routes(&n);

	assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.0.3");
	/* Everything routed is documented, with its path parameter and, for a
	 * change, the CSRF header. */
	for (size_t i = 0; i < n; i++) {
		char m[16];
		size_t k;
		for (k = 0; routes[i].method[k] && k < sizeof(m) - 1; k++)
			m[k] = (char)(routes[i].method[k] | 0x20);
		m[k] = '\0';
		json_t *op = json_object_get(json_object_get(paths, routes[i].pattern), m);
		if (!op)
			fail_msg("%s %s is routed, not documented", routes[i].method,
			         routes[i].pattern);
		char *text = json_dumps(op, 0);
		if (routes[i].changes && !strstr(text, "#/components/parameters/Csrf"))
			fail_msg("%s %s: no CSRF header documented", routes[i].method,
			         routes[i].pattern);
		if (strstr(routes[i].pattern, "{name}") && !strstr(text, "\"in\": \"path\""))
			fail_msg("%s %s: its name is not documented", routes[i].method,
			         routes[i].pattern);
		char code[8];
		snprintf(code, sizeof(code), "%d", routes[i].ok_status);
		if (!json_object_get(json_object_get(op, "responses"), code))
			fail_msg("%s %s: no %s documented", routes[i].method, routes[i].pattern,
			         code);
		free(text);
	}
	/* Everything documented is routed. */
	json_object_foreach(paths, path, ops)
	{
		json_t *op;
		json_object_foreach(ops, method, op)
		{
			bool found = false;
			documented++;
			for (size_t i = 0; i < n && !found; i++)
				found = strcmp(routes[i].pattern, path) == 0 &&
				        strcasecmp(routes[i].method, method) == 0;
			if (!found)
				fail_msg("%s %s is documented, not routed", method, path);
		}
	}
	assert_int_equal(documented, n);
	json_decref(doc);
}

static void add_word(const char *w, void *arg)
{
	char *s = arg;

	strcat(s, w);
	strcat(s, " ");
}

/* vsadm's grammar of `admin` and its completion. */
static void test_cli(void **state)
{
	char *add[] = {"admin", "add", "alice", "--role", "operator", "--password-stdin"};
	char *bad[] = {"admin", "add", "alice", "--password-stdin"};
	char *show[] = {"admin", "show", "--json"};
	struct ap_cli_flags flags;
	json_t *req = NULL;
	char err[512], got[256] = "";

	assert_int_equal(ap_cli_parse(6, add, &req, &flags, err, sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(req, "cmd")), "admin.add");
	json_t *args = json_object_get(req, "args");
	assert_string_equal(json_string_value(json_object_get(args, "role")), "operator");
	assert_string_equal(json_string_value(json_object_get(args, "name")), "alice");
	assert_true(json_is_true(json_object_get(args, "password_stdin")));
	json_decref(req);
	assert_true(ap_cli_parse(4, bad, &req, &flags, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "--role"));
	assert_int_equal(ap_cli_parse(3, show, &req, &flags, err, sizeof(err)), 0);
	json_decref(req);
	char *w1[] = {"admin", NULL};
	ap_cli_complete(1, w1, "", add_word, got);
	assert_string_equal(got, "add passwd remove show ");
	got[0] = '\0';
	char *w3[] = {"admin", "add", "bob", "--role", NULL};
	ap_cli_complete(4, w3, "", add_word, got);
	assert_string_equal(got, "admin operator read-only ");
	got[0] = '\0';
	ap_cli_complete(4, w3, "op", add_word, got);
	assert_string_equal(got, "operator ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roles),      cmocka_unit_test(test_check_as),
	    cmocka_unit_test(test_accounts),   cmocka_unit_test(test_sessions),
	    cmocka_unit_test(test_limits),     cmocka_unit_test(test_match),
	    cmocka_unit_test(test_build),      cmocka_unit_test(test_status),
	    cmocka_unit_test(test_validators), cmocka_unit_test(test_query),
	    cmocka_unit_test(test_moves),      cmocka_unit_test(test_openapi),
	    cmocka_unit_test(test_cli),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
