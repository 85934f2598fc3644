/*
 * test_loadhist.c - the short load history (ap_loadhist.h) and how `vsadm
 * load show --history` prints it (ap_loadfmt.h): one point per step however
 * often messages come, the ring keeps the newest AP_LOADHIST_POINTS, a clock
 * that went back keeps nothing, each entity's points only where it was in
 * the message (a VS that came later, a LUN that went away), figures and ages
 * as they were, and the bars scaled to each series' peak.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_loadfmt.h"
#include "appliance/ap_loadhist.h"
#include "appliance/ap_msg.h"
#include "appliance/ap_msg_int.h"

#define SEC 1000000ULL
#define STEP AP_LOADHIST_STEP_USEC

/* A 'load' message of node n1 with VSs named in vs (NULL-terminated), each
 * VS's cpu = base + its index, one port and the LUN when lun. */
static struct ap_msg *msg(const char *const *vs, double base, bool lun)
{
	struct ap_msg *m = calloc(1, sizeof(*m));
	int n = 0;

	assert_non_null(m);
	m->type = AP_MSG_LOAD;
	snprintf(m->load.node, sizeof(m->load.node), "n1");
	m->load.cores = 2;
	while (vs && vs[n])
		n++;
	m->load.n_vs = n;
	m->load.vs = n ? calloc((size_t)n, sizeof(*m->load.vs)) : NULL;
	for (int i = 0; i < n; i++) {
		snprintf(m->load.vs[i].vs, sizeof(m->load.vs[i].vs), "%s", vs[i]);
		m->load.vs[i].cpu = base + i;
		m->load.vs[i].net_bps = 1e6 * (base + i);
		m->load.cpu += m->load.vs[i].cpu;
	}
	m->load.n_ports = 1;
	snprintf(m->load.ports[0].port, sizeof(m->load.ports[0].port), "eth1");
	m->load.ports[0].rx_bps = 2e6 * base;
	m->load.ports[0].tx_bps = 1e6;
	if (lun) {
		m->load.n_luns = 1;
		m->load.luns = calloc(1, sizeof(*m->load.luns));
		snprintf(m->load.luns[0].lun, sizeof(m->load.luns[0].lun), "LABEL=lun0");
		m->load.luns[0].util = base / 10;
	}
	return m;
}

static void msg_free(struct ap_msg *m)
{
	free(m->load.vs);
	free(m->load.luns);
	free(m);
}

/* The message's JSON with the history added at now. */
static json_t *shown(const struct ap_loadhist *h, const struct ap_msg *m, uint64_t now)
{
	json_t *o = ap_msg_enc_load(m);

	assert_non_null(o);
	assert_int_equal(ap_loadhist_json(h, o, now), 0);
	return o;
}

static json_t *vs_hist(json_t *o, const char *name)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(o, "vs"), i,
	                   e) if (strcmp(json_string_value(json_object_get(e, "vs")), name) ==
	                          0) return json_object_get(e, "history");
	fail_msg("no VS %s", name);
	return NULL;
}

static void test_one_point_per_step(void **state)
{
	(void)state;
	static const char *const vs[] = {"a", NULL};
	struct ap_loadhist *h;
	struct ap_msg *m = msg(vs, 1, false);

	assert_int_equal(ap_loadhist_create(&h), 0);
	assert_int_equal(ap_loadhist_add(h, m, 100 * SEC), 1);
	/* Every 5 s, as the sampler sends: only the one a step later is kept. */
	for (uint64_t t = 105 * SEC; t < 100 * SEC + STEP; t += 5 * SEC)
		assert_int_equal(ap_loadhist_add(h, m, t), 0);
	assert_int_equal(ap_loadhist_add(h, m, 100 * SEC + STEP), 1);
	assert_int_equal(ap_loadhist_count(h), 2);
	/* A clock that went back keeps nothing. */
	assert_int_equal(ap_loadhist_add(h, m, 50 * SEC), 0);
	assert_int_equal(ap_loadhist_count(h), 2);
	ap_loadhist_destroy(h);
	msg_free(m);
}

static void test_ring_keeps_newest(void **state)
{
	(void)state;
	static const char *const vs[] = {"a", NULL};
	struct ap_loadhist *h;
	uint64_t t = 0;

	assert_int_equal(ap_loadhist_create(&h), 0);
	for (int i = 0; i < AP_LOADHIST_POINTS + 5; i++, t += STEP) {
		struct ap_msg *m = msg(vs, i, false);
		assert_int_equal(ap_loadhist_add(h, m, t), 1);
		msg_free(m);
	}
	assert_int_equal(ap_loadhist_count(h), AP_LOADHIST_POINTS);
	struct ap_msg *now = msg(vs, 99, false);
	uint64_t at = t - STEP; /* the newest point's time */
	json_t *o = shown(h, now, at + 3 * SEC);
	json_t *pts = json_object_get(json_object_get(o, "history"), "points");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(o, "history"), "step_s")),
	    (json_int_t)(STEP / SEC));
	assert_int_equal(json_array_size(pts), AP_LOADHIST_POINTS);
	/* Oldest first: the 6th message's point (cpu 5), taken 19 steps
	 * before the newest; the newest has cpu 24 and is 3 s old. */
	json_t *first = json_array_get(pts, 0), *last = json_array_get(pts, AP_LOADHIST_POINTS - 1);
	assert_true(json_real_value(json_object_get(first, "cpu")) == 5.0);
	assert_int_equal(json_integer_value(json_object_get(first, "ago_s")),
	                 (json_int_t)((AP_LOADHIST_POINTS - 1) * STEP / SEC + 3));
	assert_true(json_real_value(json_object_get(last, "cpu")) == 24.0);
	assert_int_equal(json_integer_value(json_object_get(last, "ago_s")), 3);
	json_t *vh = vs_hist(o, "a");
	assert_int_equal(json_array_size(vh), AP_LOADHIST_POINTS);
	assert_true(json_real_value(json_object_get(json_array_get(vh, 0), "net_bps")) == 5e6);
	json_decref(o);
	msg_free(now);
	ap_loadhist_destroy(h);
}

static void test_entities_only_where_present(void **state)
{
	(void)state;
	static const char *const one[] = {"a", NULL}, *const two[] = {"b", "a", NULL};
	struct ap_loadhist *h;

	assert_int_equal(ap_loadhist_create(&h), 0);
	/* Two points with a and the LUN; then b came (listed first) and the
	 * LUN went away. */
	struct ap_msg *m1 = msg(one, 1, true), *m2 = msg(one, 2, true), *m3 = msg(two, 3, false);
	assert_int_equal(ap_loadhist_add(h, m1, 0), 1);
	assert_int_equal(ap_loadhist_add(h, m2, STEP), 1);
	assert_int_equal(ap_loadhist_add(h, m3, 2 * STEP), 1);
	json_t *o = shown(h, m3, 2 * STEP);
	json_t *a = vs_hist(o, "a"), *b = vs_hist(o, "b");
	assert_int_equal(json_array_size(a), 3);
	assert_int_equal(json_array_size(b), 1);
	/* a was first, then second in the list: found by name, not position. */
	assert_true(json_real_value(json_object_get(json_array_get(a, 0), "cpu")) == 1.0);
	assert_true(json_real_value(json_object_get(json_array_get(a, 2), "cpu")) == 4.0);
	assert_true(json_real_value(json_object_get(json_array_get(b, 0), "cpu")) == 3.0);
	assert_null(json_object_get(json_array_get(a, 0), "nfs_rps"));
	json_t *port = json_array_get(json_object_get(o, "ports"), 0);
	assert_int_equal(json_array_size(json_object_get(port, "history")), 3);
	json_decref(o);
	/* Shown with the older message, the LUN has its two points. */
	o = shown(h, m2, 2 * STEP);
	json_t *lun = json_array_get(json_object_get(o, "luns"), 0);
	json_t *lh = json_object_get(lun, "history");
	assert_int_equal(json_array_size(lh), 2);
	assert_true(json_real_value(json_object_get(json_array_get(lh, 1), "util")) == 0.2);
	json_decref(o);
	msg_free(m1);
	msg_free(m2);
	msg_free(m3);
	ap_loadhist_destroy(h);
}

static void test_print_bars(void **state)
{
	(void)state;
	static const char *const vs[] = {"a", NULL};
	struct ap_loadhist *h;
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(ap_loadhist_create(&h), 0);
	/* VS cpu 0, then 1, then 2 (its peak). */
	for (int i = 0; i < 3; i++) {
		struct ap_msg *m = msg(vs, i, true);
		assert_int_equal(ap_loadhist_add(h, m, (uint64_t)i * STEP), 1);
		msg_free(m);
	}
	struct ap_msg *m = msg(vs, 2, true);
	json_t *o = shown(h, m, 2 * STEP), *data = json_pack("{s:[o]}", "nodes", o);
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	ap_load_print(f, data);
	fclose(f);
	assert_non_null(strstr(text, "HISTORY: one point every 30 s"));
	/* 0 -> lowest bar, 1 -> half-way, 2 -> full; the peak after it. */
	assert_non_null(strstr(text, "▁▅█"));
	assert_non_null(strstr(text, "2.000"));
	assert_non_null(strstr(text, "LABEL=lun0"));
	/* The port's MB/s (max of rx and tx: 1, 2, 4) scaled to 4; the LUN's
	 * busy share (0, 0.1, 0.2) to its peak, over the noise floor. */
	assert_non_null(strstr(text, "\neth1             n1           ▃▅█"));
	assert_non_null(strstr(text, "\nLABEL=lun0               n1           ▁▅█"));
	free(text);
	/* A series of noise (VS cpu 0.001 .. 0.003) stays flat. */
	ap_loadhist_destroy(h);
	assert_int_equal(ap_loadhist_create(&h), 0);
	for (int i = 0; i < 3; i++) {
		struct ap_msg *q = msg(vs, 0.001 * (i + 1), false);
		assert_int_equal(ap_loadhist_add(h, q, (uint64_t)i * STEP), 1);
		msg_free(q);
	}
	json_decref(data);
	data = json_pack("{s:[o]}", "nodes", shown(h, m, 2 * STEP));
	text = NULL;
	f = open_memstream(&text, &len);
	assert_non_null(f);
	ap_load_print(f, data);
	fclose(f);
	assert_non_null(strstr(text, "\na                n1           ▁▁▁"));
	free(text);
	/* Without the history, no history section. */
	json_decref(data);
	data = json_pack("{s:[o]}", "nodes", ap_msg_enc_load(m));
	text = NULL;
	f = open_memstream(&text, &len);
	assert_non_null(f);
	ap_load_print(f, data);
	fclose(f);
	assert_null(strstr(text, "HISTORY"));
	assert_non_null(strstr(text, "VSERVER"));
	free(text);
	json_decref(data);
	msg_free(m);
	ap_loadhist_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_point_per_step),
	    cmocka_unit_test(test_ring_keeps_newest),
	    cmocka_unit_test(test_entities_only_where_present),
	    cmocka_unit_test(test_print_bars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
