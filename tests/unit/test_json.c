/*
 * test_json.c - integers range-checked before narrowing (vs_json_int) and
 * the configuration decoder refusing out-of-range 64-bit values instead of
 * cutting them (2^32+50 must not become 50).
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

#include "vserver/vs_json.h"

static void test_int_table(void **state)
{
	static const struct {
		const char *doc;
		json_int_t min, max;
		int rc;
		json_int_t out; /* 7 = unchanged */
	} rows[] = {
	    {"{\"v\": 50}", 0, 100, 0, 50},
	    {"{\"v\": 0}", 0, 100, 0, 0},
	    {"{\"v\": 100}", 0, 100, 0, 100},
	    {"{\"v\": 101}", 0, 100, -EINVAL, 7},
	    {"{\"v\": -1}", 0, 100, -EINVAL, 7},
	    {"{\"v\": 4294967346}", 0, 100, -EINVAL, 7}, /* 2^32 + 50 */
	    {"{\"v\": 4294967346}", 0, UINT32_MAX, -EINVAL, 7},
	    {"{\"v\": 4294967295}", 0, UINT32_MAX, 0, 4294967295LL},
	    {"{\"v\": -9223372036854775808}", -1, 3600, -EINVAL, 7},
	    {"{\"v\": 9223372036854775807}", 0, INT64_MAX, 0, INT64_MAX},
	    {"{\"v\": 5.0}", 0, 100, -EINVAL, 7},
	    {"{\"v\": \"5\"}", 0, 100, -EINVAL, 7},
	    {"{\"v\": true}", 0, 100, -EINVAL, 7},
	    {"{\"v\": null}", 0, 100, 1, 7},
	    {"{}", 0, 100, 1, 7},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *j = json_loads(rows[i].doc, 0, NULL);
		json_int_t out = 7;
		assert_non_null(j);
		int rc = vs_json_int(j, "v", rows[i].min, rows[i].max, &out);
		if (rc != rows[i].rc || out != rows[i].out)
			fail_msg("row %zu (%s): rc %d out %lld, want rc %d out %lld", i,
			         rows[i].doc, rc, (long long)out, rows[i].rc,
			         (long long)rows[i].out);
		json_decref(j);
	}
}

/* A valid document with the integer field `key` set to `value` (NULL: as is). */
static int load_with(const char *key, const char *value, struct vs_config *cfg)
{
	char doc[2048], err[VS_ERR_LEN] = "";
	static const char base[] =
	    "{\"version\": %s, \"fgroups\": [{\"name\": \"pub\", \"ports\": [\"eth1\"],"
	    " \"probe_interval_ms\": %s, \"probe_misses\": %s, \"hold_down_s\": %s}],"
	    " \"fences\": [], \"vservers\": [{\"name\": \"vs1\", \"priority\": %s,"
	    " \"next_export_id\": %s, \"admin\": \"stopped\", \"vips\": [],"
	    " \"filesystems\": [{\"name\": \"data\", \"lun\": \"LABEL=l0\"}],"
	    " \"exports\": [{\"id\": %s, \"pseudo\": \"/data\", \"fs\": \"data\"}],"
	    " \"shares\": []}]}";
	const char *keys[] = {"version",     "probe_interval_ms", "probe_misses",
	                      "hold_down_s", "priority",          "next_export_id",
	                      "id"};
	const char *vals[] = {"3", "1000", "3", "30", "70", "9", "4"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (key && strcmp(keys[i], key) == 0)
			vals[i] = value;
	snprintf(doc, sizeof(doc), base, vals[0], vals[1], vals[2], vals[3], vals[4], vals[5],
	         vals[6]);
	json_error_t jerr;
	json_t *j = json_loads(doc, 0, &jerr);
	if (!j)
		fail_msg("test document: %s", jerr.text);
	int rc = vs_config_from_json(j, cfg, err, sizeof(err));
	json_decref(j);
	if (rc < 0)
		assert_true(err[0] != '\0' && strchr(err, '.') != NULL); /* one sentence */
	return rc;
}

static void test_config_narrowing(void **state)
{
	struct vs_config *cfg = malloc(sizeof(*cfg));
	static const struct {
		const char *key, *value;
	} bad[] = {
	    {"priority", "4294967346"},          /* 2^32+50 would be 50 */
	    {"priority", "-4294967246"},         /* -2^32+50 */
	    {"next_export_id", "4294967305"},    /* 2^32+9 would be 9 */
	    {"id", "4294967300"},                /* 2^32+4 would be 4 */
	    {"version", "-1"},                   /* would wrap to 2^64-1 */
	    {"hold_down_s", "-8589934592"},      /* -2^33 would be 0 */
	    {"probe_misses", "4294967299"},      /* 2^32+3 would be 3 */
	    {"probe_interval_ms", "4294968296"}, /* 2^32+1000 */
	    {"priority", "70.0"},
	};

	assert_non_null(cfg);
	assert_int_equal(load_with(NULL, NULL, cfg), 0);
	assert_int_equal(cfg->version, 3);
	assert_int_equal(cfg->vservers[0].priority, 70);
	assert_int_equal(cfg->vservers[0].exports[0].id, 4);
	assert_int_equal(cfg->vservers[0].next_export_id, 9);
	assert_int_equal(cfg->fgroups[0].hold_down_s, 30);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (load_with(bad[i].key, bad[i].value, cfg) != -EINVAL)
			fail_msg("%s = %s was accepted", bad[i].key, bad[i].value);
	vs_config_free(cfg);
	free(cfg);
}

/* Two exports of a VS with one id (found by fuzz_gen: the ganesha generator
 * then refused the whole VS): refused on load; distinct ids load. */
static void test_duplicate_export_id(void **state)
{
	static const char *fmt =
	    "{\"version\":1,\"vservers\":[{\"name\":\"a\",\"vips\":[{\"cidr\":"
	    "\"192.0.2.9/24\",\"home_port\":\"eth1\"}],\"filesystems\":[{\"name\":\"d\","
	    "\"lun\":\"LABEL=l\"}],\"exports\":[{\"id\":1,\"pseudo\":\"/x\",\"fs\":\"d\"},"
	    "{\"id\":%d,\"pseudo\":\"/y\",\"fs\":\"d\"}]}]}";
	struct vs_config *cfg = calloc(1, sizeof(*cfg));
	char text[512], err[256];

	for (int id = 1; id <= 2; id++) {
		snprintf(text, sizeof(text), fmt, id);
		json_t *j = json_loads(text, 0, NULL);
		assert_non_null(j);
		int rc = vs_config_from_json(j, cfg, err, sizeof(err));
		assert_int_equal(rc, id == 1 ? -EINVAL : 0);
		json_decref(j);
		vs_config_free(cfg);
	}
	free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_int_table),
	    cmocka_unit_test(test_config_narrowing),
	    cmocka_unit_test(test_duplicate_export_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
