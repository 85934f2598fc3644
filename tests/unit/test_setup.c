/*
 * test_setup.c - the first setup from the web console (ap_setup,
 * ap_setupform): the setup code (its alphabet and form, the check that
 * forgives case and '-', a wrong length, no code kept), the limit of wrong
 * codes, the plan (what is live, what waits for the restart, the refusals),
 * the seed file for the next boot (never the account, the cluster only when
 * it waits), and the seed built from the console's form, which the seed's
 * own validator takes; every refusal of the form leaves no seed.
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
#include "appliance/ap_setup.h"
#include "appliance/ap_setupform.h"

#define HASH "$y$j9T$F5Jx5fExrKuJuZ4Zsdbgz/$c4nRMIRhQJ3Nr.Zla0UmmXvbmHQfr6T6H9ar5mMGwh3"

static void test_code(void **state)
{
	unsigned char rnd[AP_SETUP_CODE_CHARS] = {0, 31, 32, 255, 7, 8, 100, 200};
	struct ap_setup_code c;

	(void)state;
	ap_setup_code_make(&c, rnd);
	assert_int_equal(strlen(c.code), AP_SETUP_CODE_LEN);
	assert_int_equal(c.code[4], '-');
	assert_string_equal(c.code, "A9A9-HJEJ");
	for (int i = 0; i < AP_SETUP_CODE_LEN; i++)
		if (i != 4) {
			assert_non_null(strchr(AP_SETUP_ALPHABET, c.code[i]));
			assert_null(strchr("0O1I", c.code[i]));
		}
	assert_true(ap_setup_code_equal(c.code, "A9A9-HJEJ"));
	assert_true(ap_setup_code_equal(c.code, "a9a9hjej"));
	assert_true(ap_setup_code_equal(c.code, " a9a9 hjej "));
	assert_false(ap_setup_code_equal(c.code, "A9A9-HJE"));
	assert_false(ap_setup_code_equal(c.code, "A9A9-HJEJJ"));
	assert_false(ap_setup_code_equal(c.code, "A9A9-HJEK"));
	assert_false(ap_setup_code_equal(c.code, ""));
	assert_false(ap_setup_code_equal(c.code, NULL));
	assert_false(ap_setup_code_equal("", ""));   /* no code kept: nothing matches */
	assert_false(ap_setup_code_equal("", NULL)); /* not even no code */
}

static void test_limit(void **state)
{
	unsigned char rnd[AP_SETUP_CODE_CHARS] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct ap_setup_code c;

	(void)state;
	ap_setup_code_make(&c, rnd);
	for (int i = 1; i < AP_SETUP_TRIES; i++) {
		assert_int_equal(ap_setup_code_check(&c, "WRONG-CODE"), AP_SETUP_WRONG);
		assert_int_equal(c.wrong, i);
	}
	/* A right one starts the count again. */
	assert_int_equal(ap_setup_code_check(&c, c.code), AP_SETUP_RIGHT);
	assert_int_equal(c.wrong, 0);
	for (int i = 1; i < AP_SETUP_TRIES; i++)
		assert_int_equal(ap_setup_code_check(&c, "x"), AP_SETUP_WRONG);
	assert_int_equal(ap_setup_code_check(&c, "x"), AP_SETUP_EXHAUSTED);
	/* The caller makes a new code: the old one no longer works. */
	char old[sizeof(c.code)];
	memcpy(old, c.code, sizeof(old));
	unsigned char rnd2[AP_SETUP_CODE_CHARS] = {9, 10, 11, 12, 13, 14, 15, 16};
	ap_setup_code_make(&c, rnd2);
	assert_int_equal(c.wrong, 0);
	assert_int_equal(ap_setup_code_check(&c, old), AP_SETUP_WRONG);
	assert_int_equal(ap_setup_code_check(&c, c.code), AP_SETUP_RIGHT);
}

static void parse(const char *text, struct ap_seed *s)
{
	char err[512];
	int rc = ap_seed_parse(text, strlen(text), s, err, sizeof(err));

	if (rc < 0)
		fail_msg("seed refused: %s", err);
}

static void test_plan(void **state)
{
	struct ap_setup_plan p;
	struct ap_seed s;
	char err[512], *text, addr[64];

	(void)state;
	/* Same name, an address, a cluster: account and cluster live, the
	 * addresses for the next boot. */
	parse("{\"version\": 1, \"node\": \"n1\", \"ports\": {\"eth1\": {\"addresses\": "
	      "[\"192.0.2.11/24\"]}}, \"cluster\": {\"create\": {\"name\": \"solo\", \"nodes\": "
	      "\"n1=192.0.2.11\"}}, \"admin\": {\"name\": \"root1\", \"crypt_hash\": \"" HASH
	      "\"}}",
	      &s);
	assert_int_equal(ap_setup_plan(&s, "n1", &p, err, sizeof(err)), 0);
	assert_true(p.admin_live && p.cluster_live && p.boot_seed && p.reboot);
	assert_int_equal(ap_setup_boot_seed(&s, &p, &text), 0);
	assert_null(strstr(text, "admin"));
	assert_null(strstr(text, HASH));
	assert_null(strstr(text, "cluster"));
	assert_non_null(strstr(text, "192.0.2.11/24"));
	struct ap_seed again;
	parse(text, &again); /* the units take it */
	assert_string_equal(again.node, "n1");
	assert_int_equal(again.role, AP_SEED_NONE);
	ap_seed_clear(&again);
	free(text);
	ap_setup_new_address(&s, addr, sizeof(addr));
	assert_string_equal(addr, "192.0.2.11");
	/* Another name: the cluster waits for the restart, in the seed file. */
	assert_int_equal(ap_setup_plan(&s, "appliance", &p, err, sizeof(err)), 0);
	assert_true(p.admin_live && !p.cluster_live && p.boot_seed && p.reboot);
	assert_int_equal(ap_setup_boot_seed(&s, &p, &text), 0);
	assert_non_null(strstr(text, "\"create\""));
	assert_null(strstr(text, "admin"));
	parse(text, &again);
	assert_int_equal(again.role, AP_SEED_CREATE);
	assert_string_equal(again.nodes, "n1=192.0.2.11");
	ap_seed_clear(&again);
	free(text);
	ap_seed_clear(&s);
	/* Same name, no port, no cluster: all live, no restart. */
	parse("{\"version\": 1, \"node\": \"n1\", \"admin\": {\"name\": \"root1\", \"crypt_hash\": "
	      "\"" HASH "\"}}",
	      &s);
	assert_int_equal(ap_setup_plan(&s, "n1", &p, err, sizeof(err)), 0);
	assert_true(p.admin_live && !p.cluster_live && !p.boot_seed && !p.reboot);
	ap_setup_new_address(&s, addr, sizeof(addr));
	assert_string_equal(addr, "");
	ap_seed_clear(&s);
	/* Refusals: no account without a join; a join with one; a bundle file. */
	parse("{\"version\": 1, \"node\": \"n1\"}", &s);
	assert_int_equal(ap_setup_plan(&s, "n1", &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "first console account"));
	assert_false(p.admin_live || p.boot_seed || p.reboot);
	ap_seed_clear(&s);
	parse("{\"version\": 1, \"node\": \"n1\", \"cluster\": {\"join\": {\"bundle_file\": "
	      "\"b.json\"}}}",
	      &s);
	assert_int_equal(ap_setup_plan(&s, "n1", &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not the name of a file"));
	ap_seed_clear(&s);
}

static json_t *load(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	if (!j)
		fail_msg("bad test JSON: %s", jerr.text);
	return j;
}

static void test_form(void **state)
{
	char code[AP_SETUPFORM_CODE_MAX + 1], err[512], *text;
	json_t *form, *seed = NULL;
	struct ap_seed s;

	(void)state;
	form =
	    load("{\"code\": \"abcd-efgh\", \"node\": \"n1\", \"port\": \"eth1\", \"address\": "
	         "\"192.0.2.11/24\", \"gateway\": \"192.0.2.1\", \"dns\": [\"192.0.2.53\"], "
	         "\"cluster\": {\"create\": {\"name\": \"solo\", \"nodes\": \"n1=192.0.2.11\"}}, "
	         "\"admin\": {\"name\": \"root1\", \"password\": \"pw-secret-1\"}}");
	assert_string_equal(ap_setupform_password(form), "pw-secret-1");
	assert_int_equal(ap_setupform_seed(form, HASH, code, sizeof(code), &seed, err, sizeof(err)),
	                 0);
	assert_string_equal(code, "abcd-efgh");
	text = json_dumps(seed, JSON_COMPACT);
	assert_null(strstr(text, "pw-secret-1"));
	assert_null(strstr(text, "abcd"));
	assert_non_null(strstr(text, HASH));
	parse(text, &s); /* the seed's own validator takes what the form makes */
	assert_string_equal(s.node, "n1");
	assert_int_equal(s.n_ports, 1);
	assert_string_equal(s.ports[0].name, "eth1");
	assert_string_equal(s.ports[0].gateway, "192.0.2.1");
	assert_int_equal(s.role, AP_SEED_CREATE);
	assert_string_equal(s.admin, "root1");
	ap_seed_clear(&s);
	free(text);
	json_decref(seed);
	json_decref(form);

	/* DHCP on eth0 by default; empty strings count as absent. */
	form = load("{\"code\": \"x\", \"node\": \"n2\", \"dhcp\": true, \"address\": \"\", "
	            "\"gateway\": \"\", \"admin\": {\"name\": \"a1\", \"password\": \"p\"}}");
	assert_int_equal(ap_setupform_seed(form, HASH, code, sizeof(code), &seed, err, sizeof(err)),
	                 0);
	text = json_dumps(seed, JSON_COMPACT);
	assert_non_null(strstr(text, "\"eth0\":{\"dhcp\":true}"));
	parse(text, &s);
	ap_seed_clear(&s);
	free(text);
	json_decref(seed);
	json_decref(form);

	/* No network member: no port (the node keeps DHCP). */
	form = load("{\"code\": \"x\", \"node\": \"n2\", \"admin\": {\"name\": \"a1\", "
	            "\"password\": \"p\"}}");
	assert_int_equal(ap_setupform_seed(form, HASH, code, sizeof(code), &seed, err, sizeof(err)),
	                 0);
	assert_null(json_object_get(seed, "ports"));
	json_decref(seed);
	json_decref(form);

	/* Refusals: one sentence, no seed, nothing quoted. */
	static const struct {
		const char *form, *words;
		bool hash;
	} bad[] = {
	    {"{\"node\": \"n1\"}", "setup code", true},
	    {"{\"code\": \"\", \"node\": \"n1\"}", "setup code", true},
	    {"{\"code\": \"ABCD-EFGH-ABCD-EFGH-ABCD-EFGH-ABCD\", \"node\": \"n1\"}", "8 letters",
	     true},
	    {"{\"code\": \"ABCD-EFGH\"}", "node's name", true},
	    {"{\"code\": \"ABCD-EFGH\", \"node\": \"n1\", \"hostname\": \"x\"}", "not known", true},
	    {"{\"code\": \"ABCD-EFGH\", \"node\": \"n1\", \"<script>\": 1}", "not known", true},
	    {"{\"code\": 5, \"node\": \"n1\"}", "'code' must be a string", true},
	    {"{\"code\": \"A\", \"node\": \"n1\", \"dns\": [1]}", "list of strings", true},
	    {"{\"code\": \"A\", \"node\": \"n1\", \"cluster\": \"c1\"}", "an object", true},
	    {"{\"code\": \"A\", \"node\": \"n1\", \"admin\": {\"name\": \"a\"}}",
	     "name and password", true},
	    {"{\"code\": \"A\", \"node\": \"n1\", \"admin\": {\"name\": \"a\", \"password\": "
	     "\"p\", "
	     "\"crypt_hash\": \"" HASH "\"}}",
	     "not known in \"admin\"", true},
	    {"{\"code\": \"A\", \"node\": \"n1\", \"admin\": {\"name\": \"a\", \"password\": "
	     "\"p\"}}",
	     "not been hashed", false},
	    {"[1]", "JSON object", true},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		form = load(bad[i].form);
		seed = (json_t *)1;
		err[0] = '\0';
		if (ap_setupform_seed(form, bad[i].hash ? HASH : NULL, code, sizeof(code), &seed,
		                      err, sizeof(err)) != -EINVAL)
			fail_msg("form %zu accepted", i);
		assert_null(seed);
		if (!strstr(err, bad[i].words))
			fail_msg("form %zu: '%s' lacks '%s'", i, err, bad[i].words);
		assert_null(strstr(err, "script"));
		assert_null(strstr(err, HASH));
		json_decref(form);
	}
}

/* The seed text the form makes (hashed with HASH), malloc'd. */
static char *form_seed(const char *form_text)
{
	char code[AP_SETUPFORM_CODE_MAX + 1], err[512], *text;
	json_t *form = load(form_text), *seed = NULL;

	if (ap_setupform_seed(form, HASH, code, sizeof(code), &seed, err, sizeof(err)) < 0)
		fail_msg("form refused: %s", err);
	text = json_dumps(seed, JSON_COMPACT);
	json_decref(seed);
	json_decref(form);
	return text;
}

/* What the form makes and the seed validator refuses: the validator's
 * sentence, as applianced answers it. */
static void test_form_then_seed(void **state)
{
	static const struct {
		const char *form, *words;
	} cases[] = {
	    {"{\"code\": \"x\", \"node\": \"n1\", \"address\": \"300.1.1.1/24\", \"admin\": "
	     "{\"name\": \"a1\", \"password\": \"p\"}}",
	     "address"},
	    {"{\"code\": \"x\", \"node\": \"n_1\", \"admin\": {\"name\": \"a1\", "
	     "\"password\": \"p\"}}",
	     "host name"},
	    {"{\"code\": \"x\", \"node\": \"n1\", \"gateway\": \"192.0.2.1\", \"admin\": "
	     "{\"name\": \"a1\", \"password\": \"p\"}}",
	     "either \"dhcp\": true or a list"},
	};
	char err[512];
	struct ap_seed s;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = form_seed(cases[i].form);
		assert_true(ap_seed_parse(text, strlen(text), &s, err, sizeof(err)) < 0);
		if (!strstr(err, cases[i].words))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].words);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_code),           cmocka_unit_test(test_limit),
	    cmocka_unit_test(test_plan),           cmocka_unit_test(test_form),
	    cmocka_unit_test(test_form_then_seed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
