/*
 * test_fence.c - the fence-device allow-list (vserver/vs_fence): every key that
 * makes an agent run, read or write something is refused for each agent, the
 * configuration is then byte for byte unchanged, and the refusal never echoes
 * the value; a working device per agent is accepted; secrets are masked; the
 * agent's stdin; and nothing is run: ap_fence_run refuses a device outside
 * the allow-list before lib_run is reached (lib_run is faked here and counts
 * its calls).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appliance/ap_fence.h"
#include "lib/lib_run.h"
#include "vserver/vs_fence.h"

/* --- a fake lib_run: ap_fence_run must not reach it for a refused device ----- */

static int run_calls;
static char run_argv0[64], run_stdin[1024];
static lib_run_done_fn run_done;
static void *run_arg;

int lib_run_start(sd_event *ev, const struct lib_run_opts *opts, lib_run_done_fn done, void *arg,
                  struct lib_run **out)
{
	run_calls++;
	snprintf(run_argv0, sizeof(run_argv0), "%s", opts->argv[0]);
	assert_null(opts->argv[1]); /* argv is the agent alone: options go to stdin */
	snprintf(run_stdin, sizeof(run_stdin), "%s", opts->stdin_data ? opts->stdin_data : "");
	run_done = done;
	run_arg = arg;
	*out = (struct lib_run *)&run_calls;
	return 0;
}

void lib_run_destroy(struct lib_run *run)
{
}

const char *lib_run_describe(const struct lib_run_result *res, char *buf, size_t len)
{
	snprintf(buf, len, "exited with status %d", res->exit_code);
	return buf;
}

/* --- helpers ----------------------------------------------------------------- */

#define LAB_IPMI "ip=198.51.100.101,username=admin,password=0123456789abcdef,lanplus=1,cipher=3"

/* A configuration holding one device, for n1. */
static struct vs_config *with_device(void)
{
	struct vs_config *c = calloc(1, sizeof(*c));
	char err[VS_ERR_LEN];

	assert_non_null(c);
	assert_int_equal(vs_config_fence_set(c, "n1", "fence_ipmilan", LAB_IPMI, err, sizeof(err)),
	                 0);
	return c;
}

/* Setting `options` for n1 (replacing its device) and for n2 (a new one) is
 * refused with a sentence that holds `needle` and not `secret`, and leaves the
 * configuration byte for byte as it was. */
static void refused(const char *agent, const char *options, const char *needle, const char *secret)
{
	struct vs_config *c = with_device(), *before = calloc(1, sizeof(*c));
	char err[VS_ERR_LEN];
	const char *nodes[] = {"n1", "n2"};

	assert_non_null(before);
	assert_int_equal(vs_config_copy(before, c), 0);
	for (size_t i = 0; i < 2; i++) {
		err[0] = '\0';
		int rc = vs_config_fence_set(c, nodes[i], agent, options, err, sizeof(err));
		if (rc != -EINVAL || !strstr(err, needle) || (secret && strstr(err, secret)))
			fail_msg("%s '%s' for %s: rc %d, message \"%s\" (want \"%s\")", agent,
			         options, nodes[i], rc, err, needle);
		assert_true(vs_config_equal(c, before));
		assert_int_equal(vs_fence_check(agent, options, NULL, 0), -EINVAL);
	}
	vs_config_free(c);
	free(c);
	vs_config_free(before);
	free(before);
}

/* --- dangerous keys ----------------------------------------------------------- */

/* From each agent's `-o metadata` (fence-agents 4.12): every option that names
 * a program, script, file or path, switches on sudo or debug output. */
static const char *const ipmilan_bad[] = {
    "password_script", "passwd_script", "ipmitool_path", "sudo_path",     "sudo", "use_sudo",
    "debug",           "debug_file",    "verbose",       "verbose_level", NULL};
static const char *const redfish_bad[] = {
    "password_script", "passwd_script", "gnutlscli_path", "debug",
    "debug_file",      "verbose",       "verbose_level",  NULL};
static const char *const scsi_bad[] = {
    "corosync_cmap_path", "sg_persist_path", "sg_turs_path", "vgs_path", "logfile", "debug",
    "debug_file",         "devices",         "verbose",      NULL};
static const char *const apc_snmp_bad[] = {"password_script",
                                           "passwd_script",
                                           "snmp_priv_passwd_script",
                                           "snmpget_path",
                                           "snmpset_path",
                                           "snmpwalk_path",
                                           "debug",
                                           "debug_file",
                                           "verbose",
                                           NULL};
/* Elsewhere in fence-agents (ssh and AMT agents): refused by name as well. */
static const char *const other_bad[] = {"amttool_path", "ssh_path",    "identity_file",
                                        "ssh_options",  "telnet_path", NULL};

static void dangerous_for(const char *agent, const char *base, const char *const *keys)
{
	/* The value is a command and a marker: neither may show in the refusal. */
	static const char value[] = "/tmp/MARKER-x";

	for (size_t i = 0; keys[i]; i++) {
		char opts[VS_FENCE_OPTS_MAX + 1], needle[80];
		snprintf(opts, sizeof(opts), "%s%s%s=%s", base, *base ? "," : "", keys[i], value);
		snprintf(needle, sizeof(needle), "'%s' is refused", keys[i]);
		refused(agent, opts, needle, "MARKER");
		/* First in the list, too. */
		snprintf(opts, sizeof(opts), "%s=%s%s%s", keys[i], value, *base ? "," : "", base);
		refused(agent, opts, needle, "MARKER");
	}
}

static void test_dangerous_keys_refused(void **state)
{
	static const char *const ipmi_aliases[] = {
	    "fence_ipmilan", "fence_ipmilanplus", "fence_idrac", "fence_ilo3",
	    "fence_ilo4",    "fence_ilo5",        "fence_imm"};

	for (size_t i = 0; i < sizeof(ipmi_aliases) / sizeof(ipmi_aliases[0]); i++) {
		dangerous_for(ipmi_aliases[i], LAB_IPMI, ipmilan_bad);
		dangerous_for(ipmi_aliases[i], LAB_IPMI, other_bad);
	}
	dangerous_for("fence_redfish", "ip=bmc.example.com,username=root,password=pw", redfish_bad);
	dangerous_for("fence_scsi", "plug=n1", scsi_bad);
	dangerous_for("fence_apc_snmp", "ip=192.0.2.50,community=private,plug=3", apc_snmp_bad);
	dangerous_for("fence_apc_snmp", "", other_bad);
}

/* The attack of issue 8, verbatim, and its neighbours. */
static void test_attack_refused(void **state)
{
	refused("fence_ipmilan",
	        "ip=198.51.100.101,username=admin,password_script=id >/tmp/x; echo pw",
	        "'password_script' is refused", "/tmp/x");
	/* fence-agents maps '-' to '_' on stdin: the other spelling is no way round. */
	refused("fence_ipmilan", "ip=192.0.2.1,password-script=id", "fence option 2",
	        "password-script");
	/* An argument smuggled into ipmitool's command line through a value. */
	refused("fence_ipmilan", "ip=192.0.2.1 -I open", "not a host name", "-I open");
	refused("fence_ipmilan", "ip=-oProxyCommand", "not a host name", "Proxy");
	refused("fence_ipmilan", "ip=192.0.2.1,cipher=3 -v", "from 0 to 17", "-v");
	refused("fence_ipmilan", "ip=192.0.2.1,username=-v", "not starting with '-'", NULL);
	refused("fence_ipmilan", "ip=192.0.2.1,hexadecimal_kg=00;id", "hexadecimal", ";id");
	refused("fence_ipmilan", "ip=192.0.2.1,target=0x20 -b 7", "IPMB", "-b 7");
	/* A newline would start an option of its own on the agent's stdin. */
	refused("fence_ipmilan", "ip=192.0.2.1,password=a\npassword_script=id", "printable",
	        "password_script");
	refused("fence_ipmilan", "ip=192.0.2.1,action=on", "chosen by the appliance", NULL);
}

/* --- syntax of keys and values ------------------------------------------------- */

struct bad_value {
	const char *agent, *options, *needle, *secret;
};

static const struct bad_value bad_values[] = {
    {"fence_virsh", "ip=192.0.2.1", "'fence_virsh' is not one the appliance accepts", NULL},
    {"/bin/sh", "ip=192.0.2.1", "not the name of a fence-agents program", NULL},
    {"fence_x;rm", "", "not the name of a fence-agents program", NULL},
    {"", "", "not the name", NULL},
    {NULL, "", "not the name", NULL},
    {"fence_ipmilan", "ip=192.0.2.1,quiet=1", "'quiet' is not one the appliance accepts", NULL},
    {"fence_ipmilan", "ip=192.0.2.1,community=x", "not one the appliance accepts", NULL},
    {"fence_scsi", "ip=192.0.2.1", "'ip' is not one the appliance accepts for fence_scsi", NULL},
    {"fence_ipmilan", "hunter2", "option 1 is not of the form key=value", "hunter2"},
    /* A password with a comma splits: the rest is no option, and is not echoed. */
    {"fence_ipmilan", "ip=192.0.2.1,password=ab,cd", "option 3 is not of the form", "cd"},
    {"fence_ipmilan", "ip=192.0.2.1,password=a=b", "value of fence option 'password'", "a=b"},
    {"fence_ipmilan", "ip=192.0.2.1,password= pw", "either end", " pw"},
    {"fence_ipmilan", "ip=192.0.2.1,password=\"pw\"", "double quotes", "\"pw"},
    {"fence_ipmilan", "ip=192.0.2.1,password=", "value of fence option 'password'", NULL},
    {"fence_ipmilan", "IP=192.0.2.1", "key of fence option 1", NULL},
    {"fence_ipmilan", "Secret99=192.0.2.1", "key of fence option 1", "Secret99"},
    {"fence_ipmilan", "=192.0.2.1", "key of fence option 1", NULL},
    {"fence_ipmilan", "ip=192.0.2.1,", "empty item", NULL},
    {"fence_ipmilan", ",ip=192.0.2.1", "empty item", NULL},
    {"fence_ipmilan", "ip=192.0.2.1,,lanplus=1", "empty item", NULL},
    {"fence_ipmilan", "ip=192.0.2.1,ipaddr=192.0.2.2", "'ipaddr' repeats", NULL},
    {"fence_ipmilan", "ip=192.0.2.1,ip=192.0.2.2", "'ip' repeats", NULL},
    {"fence_ipmilan", "ip=192.0.2.1,password=a,passwd=b", "'passwd' repeats", NULL},
    {"fence_ipmilan", "ip=bmc_1.example", "not a host name", NULL},
    {"fence_ipmilan", "ip=010.1.1.1", "not a host name", NULL},
    {"fence_ipmilan", "ip=1.2.3", "not a host name", NULL},
    {"fence_ipmilan", "ip=-bmc", "not a host name", NULL},
    {"fence_ipmilan", "ip=192.0.2.1,ipport=0", "from 1 to 65535", NULL},
    {"fence_ipmilan", "ip=192.0.2.1,ipport=65536", "from 1 to 65535", NULL},
    {"fence_ipmilan", "ip=192.0.2.1,ipport=0623", "from 1 to 65535", NULL},
    {"fence_ipmilan", "ip=192.0.2.1,ipport=+623", "from 1 to 65535", NULL},
    {"fence_ipmilan", "ip=192.0.2.1,cipher=18", "from 0 to 17", NULL},
    {"fence_ipmilan", "ip=192.0.2.1,lanplus=2", "1, 0, yes", NULL},
    {"fence_ipmilan", "ip=192.0.2.1,lanplus=", "1, 0, yes", NULL},
    {"fence_ipmilan", "ip=192.0.2.1,privlvl=root", "callback|user", NULL},
    {"fence_ipmilan", "ip=192.0.2.1,method=reboot", "onoff|cycle", NULL},
    {"fence_ipmilan", "ip=192.0.2.1,hexadecimal_kg=0x12", "hexadecimal", "0x12"},
    {"fence_ipmilan", "ip=192.0.2.1,power_timeout=601", "from 1 to 600", NULL},
    {"fence_ipmilan", "ip=192.0.2.1,delay=-1", "from 0 to 600", NULL},
    {"fence_ipmilan", "ip=192.0.2.1,username=a b", "without a space", NULL},
    {"fence_redfish", "ip=192.0.2.1,systems_uri=/redfish/../x", "URI path", NULL},
    {"fence_redfish", "ip=192.0.2.1,systems_uri=redfish", "URI path", NULL},
    {"fence_redfish", "ip=192.0.2.1,systems_uri=/a?b", "URI path", NULL},
    {"fence_scsi", "plug=-n1", "not starting with '-'", NULL},
    {"fence_scsi", "plug=n1,key=xyz", "hexadecimal", NULL},
    {"fence_apc_snmp", "ip=192.0.2.50,snmp_version=4", "1|2c|3", NULL},
    {"fence_apc_snmp", "ip=192.0.2.50,community=a,b", "option 3 is not", NULL},
};

static void test_bad_values_refused(void **state)
{
	for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++)
		refused(bad_values[i].agent, bad_values[i].options, bad_values[i].needle,
		        bad_values[i].secret);
}

static void test_limits_and_node(void **state)
{
	char opts[VS_FENCE_OPTS_MAX + 2];
	struct vs_config *c = with_device();
	char err[VS_ERR_LEN];

	memset(opts, 'a', sizeof(opts) - 1);
	opts[sizeof(opts) - 1] = '\0';
	refused("fence_ipmilan", opts, "longer than", NULL);
	/* The node name is checked too. */
	assert_int_equal(vs_config_fence_set(c, "n 1", "fence_ipmilan", LAB_IPMI, err, sizeof(err)),
	                 -EINVAL);
	assert_non_null(strstr(err, "letters"));
	assert_int_equal(vs_config_fence_delete(c, "n9", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no fence device"));
	/* A table full of devices is refused loudly. */
	for (int i = 2; i <= VS_MAX_FENCES; i++) {
		char node[16];
		snprintf(node, sizeof(node), "n%d", i);
		assert_int_equal(vs_config_fence_set(c, node, "fence_scsi", "", err, sizeof(err)),
		                 0);
	}
	assert_int_equal(vs_config_fence_set(c, "n99", "fence_scsi", "", err, sizeof(err)), -E2BIG);
	assert_int_equal(c->n_fences, VS_MAX_FENCES);
	vs_config_free(c);
	free(c);
}

/* --- accepted devices ------------------------------------------------------------ */

static const struct {
	const char *agent, *options;
} good[] = {
    {"fence_ipmilan", LAB_IPMI ",power_wait=0"},
    {"fence_ipmilan", "ipaddr=bmc-n1.lab.example,login=admin,passwd=p@ss word!,auth=md5,"
                      "privlvl=operator,method=cycle,hexadecimal_kg=0123456789ABCDEFabcdef,"
                      "target=0x20,ipmitool_timeout=5,ipport=6230,lanplus=yes,delay=5,"
                      "power_timeout=20,login_timeout=5,shell_timeout=3,retry_on=1,"
                      "stonith_status_sleep=1,disable_timeout=true"},
    {"fence_ipmilan", "ip=2001:db8::10,username=root,password=x,plug=192.0.2.7,port_as_ip=1"},
    {"fence_idrac", "ip=192.0.2.20,username=root,password=calvin,lanplus=1"},
    {"fence_ilo5", "ip=192.0.2.21,username=Administrator,password=pw"},
    {"fence_ipmilanplus", "ip=192.0.2.22,username=a,password=b,cipher=17,target=32"},
    {"fence_imm", "ip=192.0.2.23,username=USERID,password=PASSW0RD"},
    {"fence_redfish", "ip=bmc.example.com,ipport=443,username=root,password=pw,ssl_insecure=1,"
                      "systems_uri=/redfish/v1/Systems/System.Embedded.1,redfish_uri=/redfish/v1"},
    {"fence_scsi", "plug=n1,key=1a2b,key_value=hash,aptpl=1,readonly=0,suppress_errors=1"},
    {"fence_scsi", ""},
    {"fence_apc_snmp", "ip=192.0.2.50,ipport=161,plug=3,community=private,snmp_version=2c"},
    {"fence_apc_snmp", "ip=pdu1,username=fence,password=authpw,snmp_version=3,"
                       "snmp_sec_level=authPriv,snmp_auth_prot=SHA,snmp_priv_prot=AES,"
                       "snmp_priv_passwd=privpw,plug=outlet:7"},
};

static void test_good_devices_accepted(void **state)
{
	struct vs_config *c = calloc(1, sizeof(*c));
	char err[VS_ERR_LEN];

	assert_non_null(c);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t v = c->version;
		int rc =
		    vs_config_fence_set(c, "n1", good[i].agent, good[i].options, err, sizeof(err));
		if (rc != 0)
			fail_msg("%s '%s' refused: %s", good[i].agent, good[i].options, err);
		assert_true(c->version > v);
		assert_string_equal(vs_config_find_fence(c, "n1")->options, good[i].options);
		assert_true(vs_fence_agent_known(good[i].agent));
	}
	assert_int_equal(c->n_fences, 1); /* each set replaced the last */
	vs_config_free(c);
	free(c);
}

/* --- masking, stdin ---------------------------------------------------------------- */

static void test_secrets_masked(void **state)
{
	static const struct {
		const char *agent, *options, *shown;
	} cases[] = {
	    {"fence_ipmilan", LAB_IPMI,
	     "ip=198.51.100.101,username=admin,password=***,lanplus=1,cipher=3"},
	    {"fence_ipmilan", "ip=192.0.2.1,passwd=Pw1,hexadecimal_kg=00ff",
	     "ip=192.0.2.1,passwd=***,hexadecimal_kg=***"},
	    {"fence_apc_snmp", "ip=192.0.2.50,community=Comm1,snmp_priv_passwd=Priv1,plug=2",
	     "ip=192.0.2.50,community=***,snmp_priv_passwd=***,plug=2"},
	    {"fence_scsi", "plug=n1,key=1a", "plug=n1,key=1a"}, /* a reservation key */
	};
	char err[VS_ERR_LEN], buf[VS_FENCE_OPTS_MAX + 1];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vs_fence f = {0};
		assert_int_equal(vs_fence_check(cases[i].agent, cases[i].options, err, sizeof(err)),
		                 0);
		snprintf(f.agent, sizeof(f.agent), "%s", cases[i].agent);
		snprintf(f.options, sizeof(f.options), "%s", cases[i].options);
		vs_fence_options_shown(&f, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].shown);
	}
	/* Whatever is not known to be harmless is masked: an unknown agent's options,
	 * an unknown key, an item without '='. */
	struct vs_fence odd = {.agent = "fence_virsh", .options = "ip=192.0.2.1,secret"};
	vs_fence_options_shown(&odd, buf, sizeof(buf));
	assert_string_equal(buf, "ip=***,secret=***");
	assert_true(vs_fence_option_secret("fence_ipmilan", "password_script"));
	assert_false(vs_fence_option_secret("fence_ipmilan", "ip"));
	/* A short buffer is cut, never overrun. */
	struct vs_fence f = {.agent = "fence_ipmilan", .options = LAB_IPMI};
	vs_fence_options_shown(&f, buf, 12);
	assert_string_equal(buf, "ip=198.51.1");
}

static void test_stdin(void **state)
{
	struct vs_fence f = {.node = "n1", .agent = "fence_ipmilan", .options = LAB_IPMI};
	char buf[VS_FENCE_OPTS_MAX + 64];

	/* The action first, then one option per line. */
	assert_int_equal(vs_fence_stdin(&f, "off", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "action=off\nip=198.51.100.101\nusername=admin\n"
	                         "password=0123456789abcdef\nlanplus=1\ncipher=3\n");
	assert_int_equal(vs_fence_stdin(&f, "status", buf, 20), -ENOSPC);
	struct vs_fence none = {.node = "n1", .agent = "fence_scsi", .options = ""};
	assert_int_equal(vs_fence_stdin(&none, "status", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "action=status\n");
}

/* --- nothing outside the allow-list is run ------------------------------------------- */

static enum ap_fence_result got_result;
static int got_calls;

static void on_done(void *arg, const char *node, enum ap_fence_result r, const char *detail,
                    uint64_t elapsed)
{
	got_calls++;
	got_result = r;
}

static void test_nothing_run(void **state)
{
	/* A device planted past the model (a forged copy of the configuration). */
	struct vs_fence planted = {.node = "n2",
	                           .agent = "fence_ipmilan",
	                           .options = "ip=192.0.2.1,password_script=id >/tmp/x"};
	struct vs_fence sh = {.node = "n2", .agent = "sh", .options = ""};
	struct vs_fence ok = {.node = "n2", .agent = "fence_ipmilan", .options = LAB_IPMI};
	struct ap_fence *f = NULL;

	run_calls = 0;
	assert_int_equal(ap_fence_run(NULL, &planted, "off", 1000000, on_done, NULL, &f), -EINVAL);
	assert_int_equal(ap_fence_run(NULL, &sh, "status", 1000000, on_done, NULL, &f), -EINVAL);
	assert_int_equal(run_calls, 0);
	assert_null(f);
	/* A device of the allow-list is run: the agent alone in argv, options on stdin. */
	assert_int_equal(ap_fence_run(NULL, &ok, "status", 1000000, on_done, NULL, &f), 0);
	assert_int_equal(run_calls, 1);
	assert_string_equal(run_argv0, "fence_ipmilan");
	assert_non_null(strstr(run_stdin, "action=status\nip=198.51.100.101\n"));
	struct lib_run_result res = {.end = LIB_RUN_EXITED, .exit_code = 2, .output = ""};
	run_done((struct lib_run *)&run_calls, &res, run_arg);
	assert_int_equal(got_calls, 1);
	assert_int_equal(got_result, AP_FENCE_OFF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dangerous_keys_refused),
	    cmocka_unit_test(test_attack_refused),
	    cmocka_unit_test(test_bad_values_refused),
	    cmocka_unit_test(test_limits_and_node),
	    cmocka_unit_test(test_good_devices_accepted),
	    cmocka_unit_test(test_secrets_masked),
	    cmocka_unit_test(test_stdin),
	    cmocka_unit_test(test_nothing_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
