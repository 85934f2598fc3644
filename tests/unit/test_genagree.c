/*
 * test_genagree.c - the model and the generators agree: every form the model
 * (vs_config_*) accepts is written by fx_ganesha and fx_samba, and a hostile
 * value that reaches a generator anyway cannot inject a directive.
 *
 * The inputs go through the model first, exactly as an administrator's
 * command does, and the generators are then fed what the runtime feeds them
 * (each path as fx_tree_data_path makes it under a mount point, the NetBIOS
 * name cut to 15 characters, the VIPs' canonical addresses).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsexport/fx_ganesha.h"
#include "fsexport/fx_samba.h"
#include "fsexport/fx_tree.h"
#include "vserver/vs_model.h"

#define MNT "/run/appliance/mnt/vsname/fs1"

static bool any_port(const char *port, void *arg)
{
	return true;
}

static struct vs_config *new_config(const char *vsname)
{
	struct vs_config *c = calloc(1, sizeof(*c));
	char err[VS_ERR_LEN];

	assert_non_null(c);
	assert_int_equal(vs_config_create(c, vsname, 50, false, NULL, err, sizeof(err)), 0);
	assert_int_equal(vs_config_fs_add(c, vsname, "fs1", "LABEL=lun1", err, sizeof(err)), 0);
	assert_int_equal(
	    vs_config_vip_add(c, vsname, "192.0.2.10/24", "eth1", any_port, NULL, err, sizeof(err)),
	    0);
	assert_int_equal(vs_config_vip_add(c, vsname, "2001:DB8:0:0::10/64", "eth1", any_port, NULL,
	                                   err, sizeof(err)),
	                 0);
	return c;
}

/* What the runtime hands to the generators for one VS. */
static void generate(const struct vs_vserver *vs, char **ganesha, char **smb)
{
	struct fx_nfs_export ex[VS_MAX_EXPORTS];
	struct fx_smb_share sh[VS_MAX_SHARES];
	static char paths[VS_MAX_EXPORTS + VS_MAX_SHARES][PATH_MAX];
	const char *addrs[VS_MAX_VIPS];
	char recovery[PATH_MAX], netbios[16];
	int n = 0;

	for (int i = 0; i < vs->n_exports; i++, n++) {
		assert_int_equal(fx_tree_data_path(MNT, vs->exports[i].path, paths[n], PATH_MAX),
		                 0);
		ex[i] = (struct fx_nfs_export){.id = vs->exports[i].id,
		                               .path = paths[n],
		                               .pseudo = vs->exports[i].pseudo,
		                               .clients = vs->exports[i].clients,
		                               .ro = vs->exports[i].ro};
	}
	for (int i = 0; i < vs->n_shares; i++, n++) {
		assert_int_equal(fx_tree_data_path(MNT, vs->shares[i].path, paths[n], PATH_MAX), 0);
		sh[i] = (struct fx_smb_share){
		    .name = vs->shares[i].name, .path = paths[n], .ro = vs->shares[i].ro};
	}
	for (int i = 0; i < vs->n_vips; i++)
		addrs[i] = vs->vips[i].addr;
	assert_int_equal(fx_tree_state_path(MNT, FX_TREE_RECOVERY, recovery, sizeof(recovery)), 0);
	snprintf(netbios, sizeof(netbios), "%.15s", vs->name);
	struct fx_ganesha_params gp = {
	    .name = vs->name, .recovery_root = recovery, .exports = ex, .n_exports = vs->n_exports};
	struct fx_samba_params sp = {.netbios_name = netbios,
	                             .addresses = addrs,
	                             .n_addresses = vs->n_vips,
	                             .state_dir = "/var/lib/appliance/vs/x/samba",
	                             .run_dir = "/run/appliance/vs/x/samba",
	                             .shares = sh,
	                             .n_shares = vs->n_shares,
	                             .passdb = "/run/x/smbpasswd"};
	int rc = fx_ganesha_conf(&gp, ganesha);
	if (rc != 0)
		fail_msg("ganesha generator refused what the model accepted (%d)", rc);
	rc = fx_samba_conf(&sp, smb);
	if (rc != 0)
		fail_msg("samba generator refused what the model accepted (%d)", rc);
}

static const char *const cidrs[] = {
    "192.0.2.0/24", "192.0.2.0/0024",    "192.0.2.7/32",         "0.0.0.0/0",
    "192.0.2.0/00", "10.0.0.0/8",        "2001:db8::/32",        "2001:DB8::/48",
    "::/0",         "::1/128",           "::ffff:192.0.2.1/128", "2001:0db8:0000::1/064",
    "fe80::1/10",   "2001:db8::/000128",
};

static const char *const subs[] = {
    "", "a", "a/b/c", "...", ".hidden", "-dash", "x_y.z-1", "A/B", "a.b/c..d/e.",
};

static const char *const pseudos[] = {
    "/a", "/export/x", "/...", "/.h/-x_y.z", "/A-B_c.d", "/a/b/c/d/e/f",
};

static const char *const shares[] = {
    "s", "Share-1", "x_y.z", "a$", "data", "S", "0digit", "..",
};

static void test_every_accepted_form(void **state)
{
	struct vs_config *c = new_config("vs1");
	char err[VS_ERR_LEN], *g = NULL, *s = NULL, pseudo[64], longp[VS_PATH_MAX + 1];
	int k = 0;

	/* every CIDR spelling, each with a sub-directory and a pseudo path */
	for (size_t i = 0; i < sizeof(cidrs) / sizeof(cidrs[0]); i++) {
		snprintf(pseudo, sizeof(pseudo), "/c%zu", i);
		int rc = vs_config_export_add(c, "vs1", pseudo, "fs1", subs[i % 9], cidrs[i], i % 2,
		                              err, sizeof(err));
		if (rc != 0)
			continue; /* refused by the model: nothing to agree on */
		k++;
	}
	for (size_t i = 0; i < sizeof(pseudos) / sizeof(pseudos[0]); i++)
		k += vs_config_export_add(c, "vs1", pseudos[i], "fs1", subs[i], "", false, err,
		                          sizeof(err)) == 0;
	/* the longest pseudo path and sub-directory the model takes */
	memset(longp, 'p', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	k += vs_config_export_add(c, "vs1", longp, "fs1", longp + 1, NULL, false, err,
	                          sizeof(err)) == 0;
	int n_shares = 0;
	for (size_t i = 0; i < sizeof(shares) / sizeof(shares[0]); i++)
		n_shares += vs_config_share_add(c, "vs1", shares[i], "fs1", subs[i], i % 2, err,
		                                sizeof(err)) == 0;
	memset(longp, 's', VS_SHARE_MAX);
	longp[VS_SHARE_MAX] = '\0';
	n_shares += vs_config_share_add(c, "vs1", longp, "fs1", "", false, err, sizeof(err)) == 0;

	const struct vs_vserver *vs = vs_config_find(c, "vs1");
	assert_int_equal(vs->n_exports, k);
	assert_true(k >= 16); /* most forms are accepted: the table means something */
	assert_int_equal(vs->n_shares, n_shares);
	assert_true(n_shares >= 7);
	generate(vs, &g, &s);
	/* the odd prefix spelling is written canonically */
	assert_non_null(strstr(g, "192.0.2.0/24"));
	assert_null(strstr(g, "/0024"));
	assert_non_null(strstr(g, MNT "/data/a/b/c"));
	assert_non_null(strstr(s, "[a$]"));
	free(g);
	free(s);
	vs_config_free(c);
	free(c);
}

static void test_vs_names(void **state)
{
	static const char *const names[] = {
	    "a", "Z", "a-b_c", "vs0123456789012345678901234567", "abcdefghijklmnopqrstuvwxyzABCDE",
	    "x-"};
	char err[VS_ERR_LEN], *g, *s;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct vs_config *c = new_config(names[i]);
		assert_int_equal(vs_config_export_add(c, names[i], "/e", "fs1", "", NULL, false,
		                                      err, sizeof(err)),
		                 0);
		assert_int_equal(
		    vs_config_share_add(c, names[i], "s", "fs1", "", false, err, sizeof(err)), 0);
		generate(vs_config_find(c, names[i]), &g, &s);
		free(g);
		free(s);
		vs_config_free(c);
		free(c);
	}
}

/* The most exports and shares the model holds. */
static void test_maximum_counts(void **state)
{
	struct vs_config *c = new_config("vs1");
	char err[VS_ERR_LEN], name[32], *g, *s;

	for (int i = 0; i < VS_MAX_EXPORTS; i++) {
		snprintf(name, sizeof(name), "/e%d", i);
		assert_int_equal(vs_config_export_add(c, "vs1", name, "fs1", name + 1, NULL, false,
		                                      err, sizeof(err)),
		                 0);
	}
	for (int i = 0; i < VS_MAX_SHARES; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		assert_int_equal(
		    vs_config_share_add(c, "vs1", name, "fs1", name, false, err, sizeof(err)), 0);
	}
	generate(vs_config_find(c, "vs1"), &g, &s);
	free(g);
	free(s);
	vs_config_free(c);
	free(c);
}

/* A value that passes no model check but reaches a generator anyway must be
 * refused, never written: each would end the quoted value or the block. */
static void test_hostile_values_refused(void **state)
{
	static const char *const evil[] = {
	    "/a\"b", "/a\nb", "/a}b", "/a{b",  "/a;b",  "/a#b",
	    "/a'b",  "/a\\b", "/a$b", "/a\rb", "/a\tb",
	};
	static const char *const evil_clients[] = {
	    "192.0.2.0/24; }", "192.0.2.0/24\n", "192.0.2.0/24}",  "*",
	    "192.0.2.0/33",    "192.0.2.0/24,",  "2001:db8::/129", "192.0.2.0/-1",
	    "192.0.2.0/2 4",   "host.example",
	};
	static const char *const evil_shares[] = {
	    "a]b", "a[b", "a\nb", "global", "a=b", "a\"b", "a%b", " a", "IPC$",
	};
	char *out = NULL;

	for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		struct fx_nfs_export e = {.id = 1, .path = evil[i], .pseudo = "/x"};
		struct fx_nfs_export e2 = {.id = 1, .path = "/x", .pseudo = evil[i]};
		struct fx_ganesha_params p = {.recovery_root = "/r", .exports = &e, .n_exports = 1};
		assert_int_equal(fx_ganesha_conf(&p, &out), -EINVAL);
		p.exports = &e2;
		assert_int_equal(fx_ganesha_conf(&p, &out), -EINVAL);
		p.exports = NULL;
		p.n_exports = 0;
		p.recovery_root = evil[i];
		assert_int_equal(fx_ganesha_conf(&p, &out), -EINVAL);

		const char *addr = "192.0.2.10";
		struct fx_smb_share sh = {.name = "s", .path = evil[i]};
		struct fx_samba_params sp = {.netbios_name = "VS",
		                             .addresses = &addr,
		                             .n_addresses = 1,
		                             .state_dir = "/s",
		                             .run_dir = "/r",
		                             .shares = &sh,
		                             .n_shares = 1,
		                             .passdb = "/run/x/smbpasswd"};
		/* smb.conf is line-based: braces, semicolons, '#' or '$' inside a value are
		 * only characters of it, but a control character, a quote, a backslash
		 * or a '%' (a substitution) is refused */
		if (strpbrk(evil[i], "\n\r\t\"\\%"))
			assert_int_equal(fx_samba_conf(&sp, &out), -EINVAL);
		else {
			char line[64];
			assert_int_equal(fx_samba_conf(&sp, &out), 0);
			snprintf(line, sizeof(line), "path = %s\n", evil[i]);
			assert_non_null(strstr(out, line));
			free(out);
		}
	}
	for (size_t i = 0; i < sizeof(evil_clients) / sizeof(evil_clients[0]); i++) {
		struct fx_nfs_export e = {
		    .id = 1, .path = "/x", .pseudo = "/x", .clients = evil_clients[i]};
		struct fx_ganesha_params p = {.recovery_root = "/r", .exports = &e, .n_exports = 1};
		if (fx_ganesha_conf(&p, &out) == 0)
			fail_msg("client list \"%s\" was written", evil_clients[i]);
	}
	for (size_t i = 0; i < sizeof(evil_shares) / sizeof(evil_shares[0]); i++) {
		const char *addr = "192.0.2.10";
		struct fx_smb_share sh = {.name = evil_shares[i], .path = "/x"};
		struct fx_samba_params sp = {.netbios_name = "VS",
		                             .addresses = &addr,
		                             .n_addresses = 1,
		                             .state_dir = "/s",
		                             .run_dir = "/r",
		                             .shares = &sh,
		                             .n_shares = 1,
		                             .passdb = "/run/x/smbpasswd"};
		if (fx_samba_conf(&sp, &out) == 0)
			fail_msg("share name \"%s\" was written", evil_shares[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_accepted_form),
	    cmocka_unit_test(test_vs_names),
	    cmocka_unit_test(test_maximum_counts),
	    cmocka_unit_test(test_hostile_values_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
