/*
 * fuzz_setup.c - libFuzzer target: the console's first-setup form
 * (ap_setupform_seed in appliance/ap_setupform.c), the seed it makes checked
 * by the seed's validator (ap_seed_parse), the setup's plan and the seed file
 * for the next boot (ap_setup.c), and the setup code's check.
 *
 * The bytes are the body of POST /api/v1/setup as anyone on the network may
 * send it. Checks: a refused form gives no seed and one printable sentence;
 * an accepted one gives a seed whose account is its name and hash alone (no
 * password); when the validator takes that seed, the plan is
 * consistent (a restart only with a seed file) and the seed file never holds
 * the account's hash, and the validator takes it again; a code shorter than a
 * setup code never matches one.
 *
 * Memory: everything freed each input.
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_seed.h"
#include "appliance/ap_setup.h"
#include "appliance/ap_setupform.h"
#include "tests/fuzz/common.h"

#define HASH "$y$j9T$F5Jx5fExrKuJuZ4Zsdbgz/$c4nRMIRhQJ3Nr.Zla0UmmXvbmHQfr6T6H9ar5mMGwh3"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char code[AP_SETUPFORM_CODE_MAX + 1], err[VS_ERR_LEN] = "", *text = NULL, *boot = NULL;
	json_t *form = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	json_t *seed = (json_t *)1;
	struct ap_setup_plan p;
	struct ap_seed s;

	if (!form)
		return 0;
	const char *pw = ap_setupform_password(form);
	int rc =
	    ap_setupform_seed(form, pw ? HASH : NULL, code, sizeof(code), &seed, err, sizeof(err));
	fz_require(rc == 0 || rc == -EINVAL, "ap_setupform_seed: an unexpected result");
	if (rc < 0) {
		fz_require(seed == NULL, "a refused form gave a seed");
		fz_check_err(err, sizeof(err), true);
		fz_note("form refused: %s", err);
		goto out;
	}
	text = json_dumps(seed, JSON_COMPACT);
	fz_require(text != NULL, "a seed that cannot be written");
	json_t *admin = json_object_get(seed, "admin");
	fz_require(!admin || (json_object_size(admin) == 2 && json_object_get(admin, "name") &&
	                      json_object_get(admin, "crypt_hash")),
	           "the seed's account holds more than its name and hash (a password?)");
	/* The code given is that code, and no code made from other bytes. */
	unsigned char rnd[AP_SETUP_CODE_CHARS] = {3, 1, 4, 1, 5, 9, 2, 6};
	struct ap_setup_code c;
	ap_setup_code_make(&c, rnd);
	fz_require(!ap_setup_code_equal(c.code, code) || strlen(code) >= AP_SETUP_CODE_CHARS,
	           "a code shorter than the code matched");
	fz_require(ap_setup_code_equal(c.code, c.code), "a code that does not match itself");
	rc = ap_seed_parse(text, strlen(text), &s, err, sizeof(err));
	if (rc < 0) {
		fz_check_err(err, sizeof(err), true);
		fz_note("seed refused: %s", err);
		goto out;
	}
	rc = ap_setup_plan(&s, "appliance", &p, err, sizeof(err));
	if (rc == 0) {
		fz_require(!p.reboot || p.boot_seed, "a restart without a seed file");
		fz_require(p.admin_live == (s.admin[0] != '\0'), "the account not made at once");
		fz_require(ap_setup_boot_seed(&s, &p, &boot) == 0, "no seed file");
		fz_require(!strstr(boot, HASH), "the account's hash in the seed file");
		struct ap_seed again;
		fz_require(ap_seed_parse(boot, strlen(boot), &again, err, sizeof(err)) == 0,
		           "the seed file is refused by the validator");
		fz_require(strcmp(again.node, s.node) == 0 && again.n_ports == s.n_ports &&
		               !again.admin[0],
		           "the seed file changed the node, or holds the account");
		ap_seed_clear(&again);
		fz_note("planned: live admin %d cluster %d, boot seed %d", p.admin_live,
		        p.cluster_live, p.boot_seed);
	} else {
		fz_check_err(err, sizeof(err), true);
	}
	ap_seed_clear(&s);
out:
	if (boot)
		explicit_bzero(boot, strlen(boot));
	free(boot);
	free(text);
	if (seed != (json_t *)1)
		json_decref(seed);
	json_decref(form);
	return 0;
}
