/*
 * test_join.c - a directory join's pure parts: the allow-lists of realm,
 * user, workgroup and DC name against a table of hostile values (newlines,
 * '[', '%', quotes, options), the krb5.conf and hosts of a joined VS, the
 * reading of `net ads lookup` (a hostile DC's answer refused), one sentence
 * per failure that never echoes what net was given, the member smb.conf
 * (security = ads, the rid range, no passdb) and its ranges refused when
 * they clash with the VS's local uids, and the join in the model through
 * JSON (checked again on the way in, never a password).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fsexport/fx_join.h"
#include "fsexport/fx_samba.h"
#include "vserver/vs_json.h"
#include "vserver/vs_model.h"

/* "\tLINE\n" is in text. */
static void has(const char *text, const char *line)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "\t%s\n", line);
	if (!strstr(text, buf))
		fail_msg("missing \"%s\" in:\n%s", line, text);
}

static const char *const hostile[] = {
    "",
    "LAB\nEXAMPLE.ORG",
    "LAB.EXAMPLE.ORG\n[global]",
    "[LAB].ORG",
    "LAB%u.ORG",
    "LAB\".ORG",
    "LAB'.ORG",
    "LAB EXAMPLE.ORG",
    "LAB\\EXAMPLE.ORG",
    "-S.EXAMPLE.ORG",
    "LAB..ORG",
    ".LAB.ORG",
    "LAB.ORG.",
    "LAB-.ORG",
    "LAB.ORG;x",
    "LAB.ORG}",
    "LAB=ORG.X",
    "L\x01"
    "AB.ORG",
    "L\xc3\xa9"
    "B.ORG",
};

static void test_realm_allow_list(void **state)
{
	char up[FX_JOIN_REALM_MAX + 1], big[300];

	(void)state;
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		if (fx_join_realm_ok(hostile[i]))
			fail_msg("realm accepted: \"%s\"", hostile[i]);
		assert_int_equal(fx_join_realm_upper(hostile[i], up, sizeof(up)), -EINVAL);
	}
	assert_false(fx_join_realm_ok(NULL));
	assert_false(fx_join_realm_ok("LAB")); /* one label */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[10] = '.';
	assert_false(fx_join_realm_ok(big));
	assert_true(fx_join_realm_ok("LAB.EXAMPLE.ORG"));
	assert_true(fx_join_realm_ok("lab-1.example.org"));
	assert_int_equal(fx_join_realm_upper("lab-1.example.org", up, sizeof(up)), 0);
	assert_string_equal(up, "LAB-1.EXAMPLE.ORG");
}

static void test_user_and_workgroup_allow_lists(void **state)
{
	static const char *const bad_users[] = {
	    "",        "-Uroot",
	    ".hidden", "a b",
	    "a\nb",    "a%b",
	    "a\"b",    "a'b",
	    "a[b",     "a/b",
	    "LAB\\x",  "a:b",
	    "a@b",     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
	static const char *const bad_wg[] = {"",    "-LAB", "L B", "L\nB", "L%B",
	                                     "L[B", "L\"B", "L.B", "L\\B", "ABCDEFGHIJKLMNOP"};
	(void)state;
	for (size_t i = 0; i < sizeof(bad_users) / sizeof(bad_users[0]); i++)
		if (fx_join_user_ok(bad_users[i]))
			fail_msg("user accepted: \"%s\"", bad_users[i]);
	for (size_t i = 0; i < sizeof(bad_wg) / sizeof(bad_wg[0]); i++)
		if (fx_join_workgroup_ok(bad_wg[i]))
			fail_msg("workgroup accepted: \"%s\"", bad_wg[i]);
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		if (fx_join_host_ok(hostile[i]))
			fail_msg("host accepted: \"%s\"", hostile[i]);
	assert_true(fx_join_user_ok("Administrator"));
	assert_true(fx_join_user_ok("j.doe_2-x"));
	assert_true(fx_join_workgroup_ok("LAB"));
	assert_true(fx_join_workgroup_ok("MY_DOM-1"));
	assert_true(fx_join_host_ok("dc1"));
	assert_true(fx_join_host_ok("dc1.lab.example.org"));
}

static void test_krb5_and_hosts(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(fx_join_krb5_conf("lab.example.org", "192.0.2.8", &out), 0);
	has(out, "default_realm = LAB.EXAMPLE.ORG");
	has(out, "dns_lookup_kdc = false");
	has(out, "LAB.EXAMPLE.ORG = {");
	assert_non_null(strstr(out, "\t\tkdc = 192.0.2.8\n"));
	free(out);
	out = NULL;
	assert_int_equal(fx_join_krb5_conf("LAB.EXAMPLE.ORG", "2001:db8::8", &out), 0);
	assert_non_null(strstr(out, "\t\tkdc = [2001:db8::8]\n"));
	free(out);
	out = NULL;
	assert_int_equal(fx_join_krb5_conf("LAB.ORG\n}", "192.0.2.8", &out), -EINVAL);
	assert_int_equal(fx_join_krb5_conf("LAB.ORG", "192.0.2.8\n", &out), -EINVAL);
	assert_int_equal(fx_join_krb5_conf("LAB.ORG", "dc1", &out), -EINVAL);
	assert_null(out);
	assert_int_equal(fx_join_hosts("192.0.2.8", "dc1.lab.example.org", &out), 0);
	assert_non_null(strstr(out, "\n192.0.2.8\tdc1.lab.example.org dc1\n"));
	assert_non_null(strstr(out, "127.0.0.1\tlocalhost\n"));
	free(out);
	out = NULL;
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		assert_int_equal(fx_join_hosts("192.0.2.8", hostile[i], &out), -EINVAL);
	assert_int_equal(fx_join_hosts("192.0.2.8 evil", "dc1", &out), -EINVAL);
	assert_null(out);
	assert_non_null(strstr(fx_join_nsswitch(), "passwd:         extrausers winbind\n"));
	assert_non_null(strstr(fx_join_nsswitch(), "group:          extrausers winbind\n"));
}

#define LOOKUP                                                                                     \
	"Information for Domain Controller: 192.0.2.8\n\n"                                         \
	"Response Type:\t\tLOGON_SAM_LOGON_RESPONSE_EX\n"                                          \
	"Forest:\t\t\tlab.example.org\n"                                                           \
	"Domain:\t\t\tlab.example.org\n"                                                           \
	"Domain Controller:\tdc1.lab.example.org\n"                                                \
	"Pre-Win2k Domain:\tLAB\n"                                                                 \
	"Pre-Win2k Hostname:\tDC1\n"

static void test_lookup(void **state)
{
	struct fx_join_dc dc;

	(void)state;
	assert_int_equal(fx_join_parse_lookup(LOOKUP, &dc), 0);
	assert_string_equal(dc.domain, "lab.example.org");
	assert_string_equal(dc.dc_name, "dc1.lab.example.org");
	assert_string_equal(dc.workgroup, "LAB");
	assert_string_equal(dc.addr, "192.0.2.8");
	/* A hostile DC: its names are refused, not copied into a file. */
	assert_int_equal(fx_join_parse_lookup("Domain: lab.example.org\n"
	                                      "Domain Controller: dc1\n"
	                                      "Pre-Win2k Domain: LAB%u\n",
	                                      &dc),
	                 -EINVAL);
	assert_int_equal(fx_join_parse_lookup("Domain: lab.example.org\n"
	                                      "Domain Controller: dc1 evil.org\n"
	                                      "Pre-Win2k Domain: LAB\n",
	                                      &dc),
	                 -EINVAL);
	assert_int_equal(fx_join_parse_lookup("Domain: lab.example.org\n"
	                                      "Pre-Win2k Domain: LAB\n",
	                                      &dc),
	                 -ENOENT);
	assert_int_equal(fx_join_parse_lookup("", &dc), -ENOENT);
}

static void test_failure_sentences(void **state)
{
	static const struct {
		const char *output, *want;
	} t[] = {
	    {"Failed to join domain: failed to connect to AD: Preauthentication failed",
	     "The domain refused the administrator's name or password; the virtual server is "
	     "not joined."},
	    {"Failed to join domain: failed to lookup DC info for domain 'LAB.EXAMPLE.ORG' over "
	     "rpc: The attempted logon is invalid. This is either due to a bad username or "
	     "authentication information.",
	     "The domain refused the administrator's name or password; the virtual server is "
	     "not joined."},
	    {"session setup failed: NT_STATUS_LOGON_FAILURE",
	     "The domain refused the administrator's name or password; the virtual server is "
	     "not joined."},
	    {"Didn't find the cldap server!",
	     "No domain controller answered at 192.0.2.9; the virtual server is not joined."},
	    {"Cannot find KDC for requested realm",
	     "The domain controller at 192.0.2.9 does not serve the realm NO.SUCH; the virtual "
	     "server is not joined."},
	    {"Failed to join domain: NT_STATUS_ACCESS_DENIED",
	     "The administrator may not join computers to NO.SUCH; the virtual server is not "
	     "joined."},
	    {"secret-pw something else",
	     "The join to NO.SUCH failed for a reason net ads join did not name; the virtual "
	     "server is not joined."},
	};
	char buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fx_join_failure(t[i].output, "NO.SUCH", "192.0.2.9", buf, sizeof(buf));
		assert_string_equal(buf, t[i].want);
		assert_null(strstr(buf, "secret-pw"));
	}
	fx_join_failure(NULL, "NO.SUCH", "192.0.2.9", buf, sizeof(buf));
	assert_non_null(strstr(buf, "not joined"));
}

static const char *const addrs[] = {"192.0.2.86"};

static struct fx_samba_params member_params(struct fx_smb_member *m)
{
	*m = (struct fx_smb_member){.realm = "LAB.EXAMPLE.ORG",
	                            .workgroup = "lab",
	                            .dc_addr = "192.0.2.8",
	                            .secrets_dir = "/mnt/vs/data/.appliance/samba",
	                            .winbindd_dir = "/run/appliance/vs/jv1/winbindd",
	                            .rid_lo = FX_JOIN_RID_LO,
	                            .rid_hi = FX_JOIN_RID_HI,
	                            .star_lo = FX_JOIN_STAR_LO,
	                            .star_hi = FX_JOIN_STAR_HI};
	return (struct fx_samba_params){.netbios_name = "jv1",
	                                .addresses = addrs,
	                                .n_addresses = 1,
	                                .state_dir = "/var/lib/appliance/vs/jv1/samba",
	                                .run_dir = "/run/appliance/vs/jv1/samba",
	                                .passdb = "/run/appliance/vs/jv1/smbpasswd",
	                                .member = m};
}

static void test_member_smb_conf(void **state)
{
	struct fx_smb_member m;
	struct fx_samba_params p = member_params(&m);
	char *out = NULL;

	(void)state;
	assert_int_equal(fx_samba_conf(&p, &out), 0);
	static const char *const want[] = {
	    "server role = member server",
	    "security = ads",
	    "realm = LAB.EXAMPLE.ORG",
	    "workgroup = LAB",
	    "password server = 192.0.2.8",
	    "kerberos method = dedicated keytab",
	    "dedicated keytab file = FILE:/mnt/vs/data/.appliance/samba/private/krb5.keytab",
	    "idmap config * : backend = tdb",
	    "idmap config * : range = 3000000-3999999",
	    "idmap config LAB : backend = rid",
	    "idmap config LAB : range = 1000000-2999999",
	    "winbindd socket directory = /run/appliance/vs/jv1/winbindd",
	    "winbind reconnect delay = 2",
	    "private dir = /mnt/vs/data/.appliance/samba/private",
	    "state directory = /mnt/vs/data/.appliance/samba/state",
	    "cache directory = /var/lib/appliance/vs/jv1/samba/cache",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		has(out, want[i]);
	assert_null(strstr(out, "passdb backend"));
	assert_null(strstr(out, "standalone"));
	free(out);
	out = NULL;

	/* Hostile or clashing values: refused, nothing returned. */
	const char *const bad_wg[] = {"LAB\n[x]", "L%B", "L\"B", "[LAB]", ""};
	for (size_t i = 0; i < sizeof(bad_wg) / sizeof(bad_wg[0]); i++) {
		p = member_params(&m);
		m.workgroup = bad_wg[i];
		assert_int_equal(fx_samba_conf(&p, &out), -EINVAL);
	}
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		p = member_params(&m);
		m.realm = hostile[i];
		assert_int_equal(fx_samba_conf(&p, &out), -EINVAL);
	}
	p = member_params(&m);
	m.rid_lo = 50000; /* overlaps the VS's local uids (1000-59999) */
	assert_int_equal(fx_samba_conf(&p, &out), -EINVAL);
	p = member_params(&m);
	m.star_lo = 2000000; /* overlaps the domain's range */
	assert_int_equal(fx_samba_conf(&p, &out), -EINVAL);
	p = member_params(&m);
	m.dc_addr = "192.0.2.8\n[x]";
	assert_int_equal(fx_samba_conf(&p, &out), -EINVAL);
	p = member_params(&m);
	m.secrets_dir = "relative";
	assert_int_equal(fx_samba_conf(&p, &out), -EINVAL);
	assert_null(out);
	/* Without a DC the password server is found by DNS. */
	p = member_params(&m);
	m.dc_addr = NULL;
	assert_int_equal(fx_samba_conf(&p, &out), 0);
	has(out, "password server = *");
	free(out);
}

static void test_ranges(void **state)
{
	(void)state;
	assert_true(fx_join_ranges_ok(1000000, 2999999, 3000000, 3999999, 1000, 59999));
	assert_false(fx_join_ranges_ok(59999, 2999999, 3000000, 3999999, 1000, 59999));
	assert_false(fx_join_ranges_ok(0, 999, 3000000, 3999999, 500, 59999));
	assert_false(fx_join_ranges_ok(1000000, 3000000, 3000000, 3999999, 1000, 59999));
	assert_false(fx_join_ranges_ok(2000, 1000, 3000000, 3999999, 1000, 59999));
}

static void test_model_join_json(void **state)
{
	struct vs_config cfgs = {0}, backs = {0}, *cfg = &cfgs, *back = &backs;
	char err[VS_ERR_LEN];
	struct vs_join j = {.realm = "LAB.EXAMPLE.ORG",
	                    .workgroup = "LAB",
	                    .dc_addr = "192.0.2.8",
	                    .dc_name = "dc1.lab.example.org",
	                    .rid_lo = FX_JOIN_RID_LO,
	                    .rid_hi = FX_JOIN_RID_HI};

	(void)state;
	assert_int_equal(vs_config_create(cfg, "jv1", 50, false, "", err, sizeof(err)), 0);
	uint64_t v0 = cfg->version;
	/* Refused with one sentence, nothing changed. */
	struct vs_join bad = j;
	bad.rid_lo = 1000;
	assert_int_equal(vs_config_set_join(cfg, "jv1", &bad, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "overlaps the virtual server's own ids"));
	bad = j;
	snprintf(bad.workgroup, sizeof(bad.workgroup), "L%%B");
	assert_int_equal(vs_config_set_join(cfg, "jv1", &bad, err, sizeof(err)), -EINVAL);
	bad = j;
	snprintf(bad.realm, sizeof(bad.realm), "lab.example.org"); /* upper case only */
	assert_int_equal(vs_config_set_join(cfg, "jv1", &bad, err, sizeof(err)), -EINVAL);
	assert_int_equal(cfg->version, v0);
	assert_string_equal(vs_config_find(cfg, "jv1")->join.realm, "");

	assert_int_equal(vs_config_set_join(cfg, "jv1", &j, err, sizeof(err)), 0);
	assert_true(cfg->version > v0);
	json_t *doc = vs_config_to_json(cfg);
	char *text = json_dumps(doc, JSON_COMPACT);
	assert_non_null(strstr(text, "\"join\":{"));
	assert_non_null(strstr(text, "\"workgroup\":\"LAB\""));
	assert_null(strstr(text, "password"));
	assert_int_equal(vs_config_from_json(doc, back, err, sizeof(err)), 0);
	assert_memory_equal(&vs_config_find(back, "jv1")->join, &j, sizeof(j));
	vs_config_free(back);
	/* A hostile document is refused on the way in. */
	json_t *jj = json_object_get(json_array_get(json_object_get(doc, "vservers"), 0), "join");
	assert_non_null(jj);
	json_object_set_new(jj, "workgroup", json_string("LAB\n[global]"));
	assert_int_not_equal(vs_config_from_json(doc, back, err, sizeof(err)), 0);
	vs_config_free(back);
	free(text);
	json_decref(doc);
	/* Leave: forgotten. */
	assert_int_equal(vs_config_set_join(cfg, "jv1", NULL, err, sizeof(err)), 0);
	assert_string_equal(vs_config_find(cfg, "jv1")->join.realm, "");
	vs_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_realm_allow_list),
	    cmocka_unit_test(test_user_and_workgroup_allow_lists),
	    cmocka_unit_test(test_krb5_and_hosts),
	    cmocka_unit_test(test_lookup),
	    cmocka_unit_test(test_failure_sentences),
	    cmocka_unit_test(test_member_smb_conf),
	    cmocka_unit_test(test_ranges),
	    cmocka_unit_test(test_model_join_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
