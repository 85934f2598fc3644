/*
 * test_seed.c - the first-boot seed (ap_seed): a table of good and bad seeds
 * (each bad one refused with its own sentence, which never quotes the hash or
 * the key), a join bundle given in the seed or read from its file, and the
 * generators' texts and requests.
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

#include "appliance/ap_seed.h"
#include "lib/lib_b64.h"

#define HASH "$y$j9T$F5Jx5fExrKuJuZ4Zsdbgz/$c4nRMIRhQJ3Nr.Zla0UmmXvbmHQfr6T6H9ar5mMGwh3"
#define ADMIN "\"admin\": {\"name\": \"admin\", \"crypt_hash\": \"" HASH "\"}"
#define ETH0 "\"ports\": {\"eth0\": {\"addresses\": [\"10.0.2.15/24\"], \"gateway\": \"10.0.2.2\"}}"
#define CREATE "\"cluster\": {\"create\": {\"name\": \"c1\", \"nodes\": \"seed1=10.0.2.15\"}}"

/* A bundle as `vsadm cluster bundle` writes it, for node seed1 (key: 256
 * bytes of 7). */
static char *bundle_text(const char *node)
{
	uint8_t key[256];
	char *b64 = NULL, *out = NULL;

	memset(key, 7, sizeof(key));
	assert_int_equal(lib_b64_encode(key, sizeof(key), &b64), 0);
	assert_true(
	    asprintf(&out,
	             "{\"name\": \"c9\", \"nodes\": [{\"id\": 1, \"name\": \"n1\", \"addr\": "
	             "\"192.0.2.1\", \"addr2\": \"\"}, {\"id\": 2, \"name\": \"%s\", "
	             "\"addr\": \"192.0.2.2\", \"addr2\": \"\"}], \"key\": \"%s\", "
	             "\"mgmt\": \"\", \"mgmt_port\": \"\", \"agent_grace_s\": 10}",
	             node, b64) > 0);
	free(b64);
	return out;
}

static int parse(const char *text, struct ap_seed *s, char *err, size_t errlen)
{
	return ap_seed_parse(text, strlen(text), s, err, errlen);
}

static const struct {
	const char *seed;
	const char *want; /* NULL: accepted; else a piece of the sentence */
} table[] = {
    {"{\"version\": 1, \"node\": \"seed1\"}", NULL},
    {"{\"version\": 1, \"node\": \"seed1\", " ETH0 ", " CREATE ", " ADMIN "}", NULL},
    {"{\"version\": 1, \"node\": \"seed1\", \"ports\": {\"eth0\": {\"dhcp\": true}, \"eth1\": "
     "{\"addresses\": [\"2001:db8::5/64\", \"192.0.2.9/24\"], \"gateway6\": \"2001:db8::1\", "
     "\"dns\": [\"192.0.2.53\", \"2001:db8::53\"]}}}",
     NULL},
    /* create with a management address, grace; this node's address by DHCP */
    {"{\"version\": 1, \"node\": \"seed1\", \"cluster\": {\"create\": {\"name\": \"c1\", "
     "\"nodes\": \"seed1=10.0.2.15,seed2=10.0.2.16+192.0.2.2\", \"mgmt\": \"10.0.2.100/24\", "
     "\"mgmt_port\": \"eth0\", \"agent_grace\": 20}}}",
     NULL},
    /* the document */
    {"", "not valid JSON"},
    {"[1]", "must be a JSON object"},
    {"{\"version\": 2, \"node\": \"seed1\"}", "\"version\": 1"},
    {"{\"node\": \"seed1\"}", "\"version\": 1"},
    {"{\"version\": 1}", "no \"node\""},
    {"{\"version\": 1, \"node\": \"seed1\", \"node\": \"seed2\"}", "twice"},
    {"{\"version\": 1, \"node\": \"seed1\", \"hostname\": \"x\"}", "unknown member 'hostname'"},
    /* bad names */
    {"{\"version\": 1, \"node\": \"1seed\"}", "must start with a letter"},
    {"{\"version\": 1, \"node\": \"seed one\"}", "only letters, digits"},
    {"{\"version\": 1, \"node\": \"seed_1\"}", "may not contain '_'"},
    {"{\"version\": 1, \"node\": \"s\\u0000x\"}", "not valid JSON"},
    {"{\"version\": 1, \"node\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", "too long"},
    {"{\"version\": 1, \"node\": 7}", "must be a string"},
    /* bad addresses */
    {"{\"version\": 1, \"node\": \"seed1\", \"ports\": {\"eth0\": {\"addresses\": "
     "[\"10.0.2.15\"]}}}",
     "prefix length"},
    {"{\"version\": 1, \"node\": \"seed1\", \"ports\": {\"eth0\": {\"addresses\": "
     "[\"10.0.2.300/24\"]}}}",
     "not a valid IPv4 or IPv6"},
    {"{\"version\": 1, \"node\": \"seed1\", \"ports\": {\"eth0\": {\"addresses\": "
     "[\"10.0.2.0/24\"]}}}",
     "network or broadcast"},
    {"{\"version\": 1, \"node\": \"seed1\", \"ports\": {\"eth0\": {\"addresses\": "
     "[\"10.0.2.15/24\"], \"gateway\": \"2001:db8::1\"}}}",
     "must be an IPv4"},
    {"{\"version\": 1, \"node\": \"seed1\", \"ports\": {\"eth0\": {\"addresses\": "
     "[\"10.0.2.15/24\"], \"gateway\": \"10.0.2.2/24\"}}}",
     "not a unicast"},
    {"{\"version\": 1, \"node\": \"seed1\", \"ports\": {\"eth0\": {\"addresses\": "
     "[\"10.0.2.15/24\"], \"dns\": [\"224.0.0.1\"]}}}",
     "DNS server"},
    {"{\"version\": 1, \"node\": \"seed1\", \"ports\": {\"eth0\": {\"addresses\": "
     "[\"10.0.2.15/24\", \"10.0.2.015/24\"]}}}",
     "not a valid IPv4"},
    {"{\"version\": 1, \"node\": \"seed1\", \"ports\": {\"eth0\": {\"addresses\": "
     "[\"10.0.2.15/24\", \"10.0.2.15/24\"]}}}",
     "twice"},
    {"{\"version\": 1, \"node\": \"seed1\", \"ports\": {\"eth0\": {\"dhcp\": true, "
     "\"addresses\": [\"10.0.2.15/24\"]}}}",
     "not both"},
    {"{\"version\": 1, \"node\": \"seed1\", \"ports\": {\"eth0\": {}}}", "not both"},
    {"{\"version\": 1, \"node\": \"seed1\", \"ports\": {\"eth0\": {\"dhcp\": \"yes\"}}}",
     "true or false"},
    {"{\"version\": 1, \"node\": \"seed1\", \"ports\": {\"eth0\": {\"dhcp\": true, "
     "\"gateway\": \"10.0.2.2\"}}}",
     "drop \"gateway\""},
    {"{\"version\": 1, \"node\": \"seed1\", \"ports\": {\"eth/0\": {\"dhcp\": true}}}",
     "only letters"},
    {"{\"version\": 1, \"node\": \"seed1\", \"ports\": {\"eth0\": {\"dhcp\": true, \"mtu\": "
     "9000}}}",
     "unknown member 'mtu' in port eth0"},
    {"{\"version\": 1, \"node\": \"seed1\", \"ports\": {}}", "object of ports"},
    /* cluster */
    {"{\"version\": 1, \"node\": \"seed1\", \"cluster\": {\"create\": {\"name\": \"c1\", "
     "\"nodes\": \"seed1=10.0.2.15\"}, \"join\": {\"bundle_file\": \"b.json\"}}}",
     "either \"create\" or \"join\""},
    {"{\"version\": 1, \"node\": \"seed1\", \"cluster\": {}}", "either \"create\" or \"join\""},
    {"{\"version\": 1, \"node\": \"seed1\", \"cluster\": {\"create\": {\"name\": \"c1\", "
     "\"nodes\": \"other=10.0.2.15\"}}}",
     "is not one of the cluster's nodes"},
    {"{\"version\": 1, \"node\": \"seed1\", \"cluster\": {\"create\": {\"name\": \"c1\", "
     "\"nodes\": \"seed1:10.0.2.15\"}}}",
     "is not NODE=ADDRESS"},
    {"{\"version\": 1, \"node\": \"seed1\", \"cluster\": {\"create\": {\"name\": \"c1\", "
     "\"nodes\": \"seed1=10.0.2.15\", \"mgmt\": \"10.0.2.100/24\"}}}",
     "--mgmt-port"},
    {"{\"version\": 1, \"node\": \"seed1\", \"cluster\": {\"create\": {\"name\": \"c1\", "
     "\"nodes\": \"seed1=10.0.2.15\", \"agent_grace\": 0}}}",
     "between 1 and 3600"},
    {"{\"version\": 1, \"node\": \"seed1\", \"cluster\": {\"create\": {\"nodes\": "
     "\"seed1=10.0.2.15\"}}}",
     "no \"name\" in cluster.create"},
    {"{\"version\": 1, \"node\": \"seed1\", \"cluster\": {\"create\": {\"name\": \"c1\", "
     "\"nodes\": \"seed1=10.0.2.15\", \"key\": \"x\"}}}",
     "unknown member 'key' in cluster.create"},
    /* this node's cluster address is none it can have */
    {"{\"version\": 1, \"node\": \"seed1\", " ETH0 ", \"cluster\": {\"create\": {\"name\": "
     "\"c1\", \"nodes\": \"seed1=10.0.2.99\"}}}",
     "none of the addresses"},
    {"{\"version\": 1, \"node\": \"seed1\", \"cluster\": {\"join\": {\"bundle_file\": "
     "\"../etc/shadow\"}}}",
     "plain file name"},
    {"{\"version\": 1, \"node\": \"seed1\", \"cluster\": {\"join\": {\"bundle_file\": "
     "\".hidden\"}}}",
     "plain file name"},
    {"{\"version\": 1, \"node\": \"seed1\", \"cluster\": {\"join\": {}}}", "not both"},
    {"{\"version\": 1, \"node\": \"seed1\", \"cluster\": {\"join\": {\"bundle\": {\"name\": "
     "\"c9\"}}}}",
     "no valid cluster key"},
    {"{\"version\": 1, \"node\": \"seed1\", \"cluster\": {\"join\": {\"bundle\": 5}}}",
     "must be a JSON object"},
    /* the admin account */
    {"{\"version\": 1, \"node\": \"seed1\", \"admin\": {\"name\": \"admin\", \"password\": "
     "\"Secret-123\"}}",
     "plain password"},
    {"{\"version\": 1, \"node\": \"seed1\", \"admin\": {\"name\": \"admin\", \"crypt_hash\": "
     "\"" HASH "\", \"Passwd\": \"Secret-123\"}}",
     "plain password"},
    {"{\"version\": 1, \"node\": \"seed1\", \"admin\": {\"name\": \"admin\", \"crypt_hash\": "
     "\"$6$salt$abcdef\"}}",
     "yescrypt"},
    {"{\"version\": 1, \"node\": \"seed1\", \"admin\": {\"name\": \"admin\"}}",
     "no \"crypt_hash\""},
    {"{\"version\": 1, \"node\": \"seed1\", \"admin\": {\"name\": \"root user\", "
     "\"crypt_hash\": \"" HASH "\"}}",
     "account name"},
    {"{\"version\": 1, \"node\": \"seed1\", \"admin\": {\"name\": \"admin\", \"crypt_hash\": "
     "\"" HASH "\", \"role\": \"admin\"}}",
     "unknown member 'role'"},
};

static void test_table(void **state)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct ap_seed s;
		char err[512] = "";
		int rc = parse(table[i].seed, &s, err, sizeof(err));
		if (!table[i].want) {
			if (rc != 0)
				fail_msg("seed %zu refused: %s", i, err);
			ap_seed_clear(&s);
			continue;
		}
		if (rc != -EINVAL)
			fail_msg("seed %zu: %d, not refused (wanted '%s')", i, rc, table[i].want);
		if (!strstr(err, table[i].want))
			fail_msg("seed %zu: '%s' does not say '%s'", i, err, table[i].want);
		assert_null(strchr(err, '\n'));
		assert_null(strstr(err, "F5Jx5f")); /* the hash is never quoted */
		assert_null(strstr(err, "Secret")); /* nor a password */
		assert_string_equal(s.node, "");    /* a refused seed is cleared */
		assert_null(s.bundle);
	}
}

static void test_oversize(void **state)
{
	size_t n = AP_SEED_MAX + 1;
	char *big = malloc(n + 1), err[256] = "";
	struct ap_seed s;

	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, "{\"version\": 1, \"node\": \"seed1\"}", 31);
	big[n] = '\0';
	assert_int_equal(ap_seed_parse(big, n, &s, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "larger than"));
	/* exactly the limit is fine */
	assert_int_equal(ap_seed_parse(big, n - 1, &s, err, sizeof(err)), 0);
	ap_seed_clear(&s);
	free(big);
}

static void test_join(void **state)
{
	char *b = bundle_text("seed1"), *other = bundle_text("seed7"), *text = NULL, err[512] = "";
	struct ap_seed s;
	json_t *reqs;

	/* the bundle inside the seed */
	assert_true(asprintf(&text,
	                     "{\"version\": 1, \"node\": \"seed1\", \"cluster\": {\"join\": "
	                     "{\"bundle\": %s}}, \"admin\": {\"name\": \"admin\", "
	                     "\"crypt_hash\": \"" HASH "\"}}",
	                     b) > 0);
	assert_int_equal(parse(text, &s, err, sizeof(err)), 0);
	assert_int_equal(s.role, AP_SEED_JOIN);
	assert_non_null(s.bundle);
	assert_int_equal(ap_seed_requests(&s, &reqs), 0);
	/* joining: the account after the join, through the cluster */
	assert_int_equal(json_array_size(reqs), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(reqs, 1), "cmd")),
	                    "admin.add");
	json_t *r = json_array_get(reqs, 0);
	assert_string_equal(json_string_value(json_object_get(r, "cmd")), "cluster.join");
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(json_object_get(r, "args"), "bundle"), "name")),
	                    "c9");
	json_decref(reqs);
	ap_seed_clear(&s);
	free(text);

	/* a bundle that does not name this node: refused, the key never quoted */
	assert_true(asprintf(&text,
	                     "{\"version\": 1, \"node\": \"seed1\", \"cluster\": {\"join\": "
	                     "{\"bundle\": %s}}}",
	                     other) > 0);
	assert_int_equal(parse(text, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not one of the cluster's nodes"));
	assert_null(strstr(err, "BwcH")); /* base64 of the key's bytes */
	free(text);

	/* the bundle in a file next to the seed */
	const char *f = "{\"version\": 1, \"node\": \"seed1\", \"cluster\": {\"join\": "
	                "{\"bundle_file\": \"c9-bundle.json\"}}}";
	assert_int_equal(parse(f, &s, err, sizeof(err)), 0);
	assert_null(s.bundle);
	assert_string_equal(s.bundle_file, "c9-bundle.json");
	assert_int_equal(ap_seed_requests(&s, &reqs), -EINVAL); /* not read yet */
	assert_int_equal(ap_seed_set_bundle(&s, other, strlen(other), err, sizeof(err)), -EINVAL);
	assert_null(s.bundle);
	assert_int_equal(ap_seed_set_bundle(&s, "{\"key\"", 6, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a bundle"));
	assert_int_equal(ap_seed_set_bundle(&s, b, strlen(b), err, sizeof(err)), 0);
	assert_non_null(s.bundle);
	assert_int_equal(ap_seed_requests(&s, &reqs), 0);
	assert_int_equal(json_array_size(reqs), 1);
	json_decref(reqs);
	char d[512];
	ap_seed_describe(&s, d, sizeof(d));
	assert_non_null(strstr(d, "join cluster c9 from c9-bundle.json"));
	assert_null(strstr(d, "BwcH"));
	ap_seed_clear(&s);
	free(b);
	free(other);
}

static void test_generators(void **state)
{
	const char *text = "{\"version\": 1, \"node\": \"seed1\", \"ports\": {\"eth0\": "
	                   "{\"addresses\": [\"10.0.2.15/24\", \"fec0::0015/64\"], \"gateway\": "
	                   "\"10.0.2.2\", \"dns\": [\"10.0.2.3\"]}, \"eth1\": {\"dhcp\": true}}, "
	                   "\"cluster\": {\"create\": {\"name\": \"c1\", \"nodes\": "
	                   "\"seed1=10.0.2.15\", \"mgmt\": \"10.0.2.100/24\", \"mgmt_port\": "
	                   "\"eth0\", \"agent_grace\": 15}}, " ADMIN "}";
	struct ap_seed s;
	char err[512] = "", name[64], *out = NULL;
	json_t *reqs;

	assert_int_equal(parse(text, &s, err, sizeof(err)), 0);
	assert_int_equal(ap_seed_hostname(&s, &out), 0);
	assert_string_equal(out, "seed1\n");
	free(out);
	assert_int_equal(ap_seed_hosts(&s, &out), 0);
	assert_non_null(strstr(out, "\n127.0.1.1 seed1\n"));
	assert_non_null(strstr(out, "127.0.0.1 localhost\n"));
	free(out);
	assert_int_equal(ap_seed_network(&s, 0, name, sizeof(name), &out), 0);
	assert_string_equal(name, "10-seed-eth0.network");
	assert_string_equal(strchr(out, '\n') + 1, "[Match]\nName=eth0\n\n[Network]\n"
	                                           "Address=10.0.2.15/24\nAddress=fec0::15/64\n"
	                                           "Gateway=10.0.2.2\nDNS=10.0.2.3\n");
	free(out);
	assert_int_equal(ap_seed_network(&s, 1, name, sizeof(name), &out), 0);
	assert_string_equal(name, "10-seed-eth1.network");
	assert_string_equal(strchr(out, '\n') + 1, "[Match]\nName=eth1\n\n[Network]\nDHCP=yes\n");
	free(out);
	assert_int_equal(ap_seed_network(&s, 2, name, sizeof(name), &out), -EINVAL);

	assert_int_equal(ap_seed_requests(&s, &reqs), 0);
	char *dump = json_dumps(reqs, JSON_COMPACT | JSON_SORT_KEYS);
	/* The creating node's account first (it logs in before a quorum). */
	assert_string_equal(dump, "[{\"args\":{\"crypt_hash\":\"" HASH "\",\"name\":\"admin\","
	                          "\"role\":\"admin\"},\"cmd\":\"admin.add\"},{\"args\":{"
	                          "\"agent_grace\":15,\"mgmt\":\"10.0.2.100/24\",\"mgmt_port\":"
	                          "\"eth0\",\"name\":\"c1\",\"nodes\":\"seed1=10.0.2.15\"},"
	                          "\"cmd\":\"cluster.create\"}]");
	free(dump);
	json_decref(reqs);

	char d[512];
	ap_seed_describe(&s, d, sizeof(d));
	assert_string_equal(d, "node seed1; eth0 static 10.0.2.15/24,fec0::15/64 via 10.0.2.2; "
	                       "eth1 DHCP; create cluster c1 (nodes seed1=10.0.2.15); console "
	                       "account admin");
	ap_seed_clear(&s);

	/* nothing asked: no request */
	assert_int_equal(parse("{\"version\": 1, \"node\": \"n2\"}", &s, err, sizeof(err)), 0);
	assert_int_equal(ap_seed_requests(&s, &reqs), 0);
	assert_int_equal(json_array_size(reqs), 0);
	json_decref(reqs);
	ap_seed_describe(&s, d, sizeof(d));
	assert_string_equal(d, "node n2; no cluster; no console account");
	ap_seed_clear(&s);
	ap_seed_clear(&s); /* twice is fine */
}

static void test_file_names(void **state)
{
	assert_true(ap_seed_file_name_ok("bundle.json"));
	assert_true(ap_seed_file_name_ok("c1_b-2.json"));
	assert_false(ap_seed_file_name_ok(""));
	assert_false(ap_seed_file_name_ok(".."));
	assert_false(ap_seed_file_name_ok("a/b"));
	assert_false(ap_seed_file_name_ok("a b"));
	assert_false(ap_seed_file_name_ok(
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),      cmocka_unit_test(test_oversize),
	    cmocka_unit_test(test_join),       cmocka_unit_test(test_generators),
	    cmocka_unit_test(test_file_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
