/*
 * test_scale.c - the model at the scale of issue 8 item 7: 1,000 VSs with 8
 * VIPs, 2 file systems and 8 exports each created, copied, serialised and
 * loaded (timed, and the memory they hold measured); one VS with 64 VIPs,
 * 256 exports and 256 shares; every limit refused loudly one past it
 * (4,096 VSs, 64 VIPs, 256 exports, 256 shares) with nothing changed; a
 * node report of 1,000 LUNs placed; a full configuration of 1,000 VSs
 * within one cluster message; and the store writing one row for one change
 * at 1,000 VSs, loading what it wrote, and converting a store of the old
 * one-document form.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "appliance/ap_msg.h"
#include "lib/lib_fs.h"
#include "vserver/vs_delta.h"
#include "vserver/vs_json.h"
#include "vserver/vs_place.h"
#include "vserver/vs_store.h"

#define N_VS 1000

static char err[VS_ERR_LEN];

static void ok(int rc)
{
	if (rc != 0)
		fail_msg("refused (%d): %s", rc, err);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* VS i: 8 VIPs, 2 file systems (LUN 2i and 2i+1), 8 exports. */
static void make_vs(struct vs_config *c, int i)
{
	char name[32], addr[64], lun[32], pseudo[32];

	snprintf(name, sizeof(name), "vs%d", i);
	ok(vs_config_create(c, name, i % 101, false, "", err, sizeof(err)));
	for (int k = 0; k < 8; k++) {
		snprintf(addr, sizeof(addr), "2001:db8:%x::%x/64", i, k + 1);
		ok(vs_config_vip_add(c, name, addr, "eth1", NULL, NULL, err, sizeof(err)));
	}
	for (int f = 0; f < 2; f++) {
		snprintf(lun, sizeof(lun), "LABEL=lun%d", 2 * i + f);
		ok(vs_config_fs_add(c, name, f ? "logs" : "data", lun, err, sizeof(err)));
	}
	for (int e = 0; e < 8; e++) {
		snprintf(pseudo, sizeof(pseudo), "/export%d", e);
		ok(vs_config_export_add(c, name, pseudo, e % 2 ? "logs" : "data", "", "", false,
		                        err, sizeof(err)));
	}
}

static struct vs_config *big(void)
{
	struct vs_config *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	for (int i = 0; i < N_VS; i++)
		make_vs(c, i);
	return c;
}

static void drop(struct vs_config *c)
{
	vs_config_free(c);
	free(c);
}

/* Bytes a configuration holds: its struct and the lists' capacities. */
static size_t held(const struct vs_config *c)
{
	size_t n = sizeof(*c) + (size_t)c->cap_vservers * sizeof(c->vservers[0]);

	for (int i = 0; i < c->n_vservers; i++) {
		const struct vs_vserver *vs = &c->vservers[i];
		n += (size_t)vs->cap_vips * sizeof(vs->vips[0]) +
		     (size_t)vs->cap_exports * sizeof(vs->exports[0]) +
		     (size_t)vs->cap_shares * sizeof(vs->shares[0]);
	}
	return n;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, res = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &res) != 2)
		res = 0;
	fclose(f);
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static void test_thousand_vservers(void **state)
{
	long rss0 = rss_kb();
	double t0 = now_ms();
	struct vs_config *c = big();
	double t1 = now_ms();
	long rss1 = rss_kb();
	struct vs_config *d = calloc(1, sizeof(*d)), *e = calloc(1, sizeof(*e));

	assert_int_equal(c->n_vservers, N_VS);
	ok(vs_config_copy(d, c));
	double t2 = now_ms();
	assert_true(vs_config_equal(c, d));
	/* A deep copy: changing the copy leaves the original alone. */
	d->vservers[N_VS - 1].vips[7].prefix = 48;
	assert_false(vs_config_equal(c, d));
	assert_int_equal(c->vservers[N_VS - 1].vips[7].prefix, 64);

	double t3 = now_ms();
	json_t *j = vs_config_to_json(c);
	char *text = json_dumps(j, JSON_COMPACT);
	double t4 = now_ms();
	assert_non_null(text);
	json_t *back = json_loads(text, 0, NULL);
	ok(vs_config_from_json(back, e, err, sizeof(err)));
	double t5 = now_ms();
	assert_true(vs_config_equal(c, e));

	/* One change at 1,000 VSs travels as itself and applies to a copy. */
	ok(vs_config_vip_add(d, "vs500", "192.0.2.77/24", "eth1", NULL, NULL, err, sizeof(err)));
	json_t *delta = vs_config_delta(c, d);
	char *dtext = json_dumps(delta, JSON_COMPACT);
	struct vs_config *out = calloc(1, sizeof(*out));
	double t6 = now_ms();
	ok(vs_config_apply_delta(c, delta, out, err, sizeof(err)));
	double t7 = now_ms();
	assert_true(vs_config_equal(out, d));

	printf("1,000 VSs (8 VIPs, 2 fs, 8 exports each): created %.1f ms, deep copy %.1f ms, "
	       "to JSON %.1f ms (%zu bytes), from JSON %.1f ms; held %zu KB (process RSS +%ld KB; "
	       "more under the sanitizers); a one-VIP delta %zu bytes, applied %.1f ms\n",
	       t1 - t0, t2 - t1, t4 - t3, strlen(text), t5 - t4, held(c) / 1024, rss1 - rss0,
	       strlen(dtext), t7 - t6);
	/* What it holds is what it has: not 1,000 times the largest VS. */
	assert_true(held(c) < 12u * 1024 * 1024);
	assert_true(strlen(dtext) < 4096);

	/* The whole configuration (catch-up) fits one cluster message. */
	struct ap_msg m = {.type = AP_MSG_FULL};
	char *wire = NULL;
	size_t len = 0;
	m.full.doc = j;
	snprintf(m.full.by, sizeof(m.full.by), "n1");
	ok(ap_msg_encode(&m, &wire, &len, err, sizeof(err)));
	printf("a full message of that configuration: %zu bytes (limit %u)\n", len,
	       AP_MSG_MAX_BYTES);
	assert_true(len < AP_MSG_MAX_BYTES);
	free(wire);

	free(dtext);
	json_decref(delta);
	free(text);
	json_decref(j);
	json_decref(back);
	drop(out);
	drop(c);
	drop(d);
	drop(e);
}

/* cfg unchanged by a refused change, with one sentence naming the limit. */
static void refused_at_limit(struct vs_config *c, int rc, const struct vs_config *before,
                             const char *needle)
{
	assert_int_equal(rc, -E2BIG);
	if (!strstr(err, needle))
		fail_msg("message '%s' lacks '%s'", err, needle);
	assert_null(strchr(err, '\n'));
	assert_int_equal(err[strlen(err) - 1], '.');
	assert_true(vs_config_equal(c, before));
}

static void test_largest_vserver_and_limits(void **state)
{
	struct vs_config *c = calloc(1, sizeof(*c)), *before = calloc(1, sizeof(*before));
	char addr[64], name[64];

	ok(vs_config_create(c, "big", 50, false, "", err, sizeof(err)));
	ok(vs_config_fs_add(c, "big", "data", "LABEL=big", err, sizeof(err)));
	for (int k = 0; k < VS_MAX_VIPS; k++) {
		snprintf(addr, sizeof(addr), "2001:db8::%x/64", k + 1);
		ok(vs_config_vip_add(c, "big", addr, "eth1", NULL, NULL, err, sizeof(err)));
	}
	for (int k = 0; k < VS_MAX_EXPORTS; k++) {
		snprintf(name, sizeof(name), "/e%d", k);
		ok(vs_config_export_add(c, "big", name, "data", "", "", false, err, sizeof(err)));
	}
	for (int k = 0; k < VS_MAX_SHARES; k++) {
		snprintf(name, sizeof(name), "s%d", k);
		ok(vs_config_share_add(c, "big", name, "data", "", false, err, sizeof(err)));
	}
	struct vs_vserver *vs = vs_config_find(c, "big");
	assert_int_equal(vs->n_vips, 64);
	assert_int_equal(vs->n_exports, 256);
	assert_int_equal(vs->n_shares, 256);
	/* Ids stay unique. */
	for (int k = 1; k < vs->n_exports; k++)
		assert_true(vs->exports[k].id > vs->exports[k - 1].id);

	/* One past each limit: refused, nothing changed. */
	ok(vs_config_copy(before, c));
	refused_at_limit(
	    c, vs_config_vip_add(c, "big", "192.0.2.1/24", "eth1", NULL, NULL, err, sizeof(err)),
	    before, "maximum of 64 virtual IPs");
	refused_at_limit(
	    c, vs_config_export_add(c, "big", "/one-more", "data", "", "", false, err, sizeof(err)),
	    before, "maximum of 256 exports");
	refused_at_limit(
	    c, vs_config_share_add(c, "big", "one-more", "data", "", false, err, sizeof(err)),
	    before, "maximum of 256 shares");

	/* Serialised and loaded whole. */
	json_t *j = vs_config_to_json(c);
	struct vs_config *back = calloc(1, sizeof(*back));
	ok(vs_config_from_json(j, back, err, sizeof(err)));
	assert_true(vs_config_equal(c, back));
	json_decref(j);
	drop(back);

	/* VSs: 4,096, then one more is refused. */
	for (int i = 1; i < VS_MAX_VSERVERS; i++) {
		snprintf(name, sizeof(name), "v%d", i);
		ok(vs_config_create(c, name, 50, false, "", err, sizeof(err)));
	}
	assert_int_equal(c->n_vservers, VS_MAX_VSERVERS);
	ok(vs_config_copy(before, c));
	refused_at_limit(c, vs_config_create(c, "onemore", 50, false, "", err, sizeof(err)), before,
	                 "maximum of 4096 virtual servers");
	drop(c);
	drop(before);
}

/* A node that sees 1,000 LUNs (2,000 report entries) serves the VS on the
 * last of them; three such nodes share 1,000 VSs. */
static void test_thousand_luns_placed(void **state)
{
	struct vs_config *c = calloc(1, sizeof(*c));
	struct vs_node_report *r = calloc(3, sizeof(*r));
	struct vs_placement *next = calloc(1, sizeof(*next));
	const char *members[] = {"n1", "n2", "n3"};
	char name[32], lun[32];
	int nn = 0;

	assert_non_null(c);
	assert_non_null(r);
	assert_non_null(next);
	for (int i = 0; i < N_VS; i++) {
		snprintf(name, sizeof(name), "vs%d", i);
		snprintf(lun, sizeof(lun), "LABEL=lun%d", i);
		ok(vs_config_create(c, name, 50, false, "", err, sizeof(err)));
		ok(vs_config_fs_add(c, name, "data", lun, err, sizeof(err)));
		c->vservers[i].admin = VS_ADMIN_RUNNING;
	}
	for (int n = 0; n < 3; n++) {
		snprintf(r[n].node, sizeof(r[n].node), "%s", members[n]);
		r[n].capacity = 1;
		for (int i = 0; i < N_VS; i++) {
			snprintf(r[n].luns[r[n].n_luns++], sizeof(r[n].luns[0]), "LABEL=lun%d", i);
			snprintf(r[n].luns[r[n].n_luns++], sizeof(r[n].luns[0]),
			         "UUID=00000000-0000-0000-0000-%012d", i);
		}
	}
	assert_true(r[0].n_luns <= VS_REPORT_MAX_LUNS);
	double t0 = now_ms();
	ok(vs_place(c, members, 3, r, 3, NULL, next, NULL, 0, &nn));
	double t1 = now_ms();
	printf("placement of 1,000 VSs on 3 nodes reporting 1,000 LUNs each: %.1f ms\n", t1 - t0);
	assert_int_equal(next->n, N_VS);
	assert_non_null(vs_placement_node(next, "vs999"));
	/* The last LUN counts like the first: a node without it cannot. */
	r[1].n_luns -= 2;
	assert_false(vs_node_can_serve(c, vs_config_find(c, "vs999"), &r[1], name, sizeof(name)));
	assert_true(vs_node_can_serve(c, vs_config_find(c, "vs999"), &r[0], name, sizeof(name)));
	drop(c);
	free(r);
	free(next);
}

/* A fresh store's path in a new directory (removed with lib_rm_rf). */
static void tmp_db(char *dir, size_t dlen, char *db, size_t len)
{
	snprintf(dir, dlen, "/tmp/test_scale.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(db, len, "%s/state.db", dir);
}

static void reload_equals(struct vs_store **st, const char *db, const struct vs_config *want)
{
	struct vs_config *got = calloc(1, sizeof(*got));

	vs_store_close(*st);
	assert_int_equal(vs_store_open(db, st), 0);
	assert_int_equal(vs_store_load_config(*st, got), 0);
	assert_true(vs_config_equal(got, want));
	drop(got);
}

static void test_store_writes_what_changed(void **state)
{
	char dir[64], db[128];
	struct vs_store *st;
	struct vs_config *c = big();

	tmp_db(dir, sizeof(dir), db, sizeof(db));
	assert_int_equal(vs_store_open(db, &st), 0);
	double t0 = now_ms();
	assert_int_equal(vs_store_save_config(st, c), 0);
	double t1 = now_ms();
	assert_int_equal(vs_store_config_rows_written(st), N_VS);
	/* Nothing changed: no VS row. */
	assert_int_equal(vs_store_save_config(st, c), 0);
	assert_int_equal(vs_store_config_rows_written(st), 0);
	/* One VIP added: one row. */
	ok(vs_config_vip_add(c, "vs500", "192.0.2.77/24", "eth1", NULL, NULL, err, sizeof(err)));
	double t2 = now_ms();
	assert_int_equal(vs_store_save_config(st, c), 0);
	double t3 = now_ms();
	assert_int_equal(vs_store_config_rows_written(st), 1);
	printf("store at 1,000 VSs: the first save %.1f ms (1,000 rows), one change %.1f ms "
	       "(1 row)\n",
	       t1 - t0, t3 - t2);
	/* A VS deleted in the middle, one added at the end: one row each. */
	ok(vs_config_delete(c, "vs10", true, err, sizeof(err)));
	assert_int_equal(vs_store_save_config(st, c), 0);
	assert_int_equal(vs_store_config_rows_written(st), 1);
	make_vs(c, N_VS);
	assert_int_equal(vs_store_save_config(st, c), 0);
	assert_int_equal(vs_store_config_rows_written(st), 1);
	/* A failover group: the header only. */
	ok(vs_config_fgroup_create(c, "pub", "eth1,eth2", NULL, 0, 0, -1, NULL, NULL, err,
	                           sizeof(err)));
	assert_int_equal(vs_store_save_config(st, c), 0);
	assert_int_equal(vs_store_config_rows_written(st), 0);
	/* What was written loads whole, in order; then a change after the
	 * reload is one row again. */
	reload_equals(&st, db, c);
	ok(vs_config_set_admin(c, "vs3", VS_ADMIN_STOPPED, err, sizeof(err)));
	c->vservers[3].priority = 7;
	c->version++;
	assert_int_equal(vs_store_save_config(st, c), 0);
	assert_int_equal(vs_store_config_rows_written(st), 1);
	reload_equals(&st, db, c);
	/* Another order (a full copy from a peer): every row rewritten. */
	struct vs_config *o = calloc(1, sizeof(*o));
	make_vs(o, 2);
	make_vs(o, 1);
	o->version = c->version + 1;
	assert_int_equal(vs_store_save_config(st, o), 0);
	assert_int_equal(vs_store_config_rows_written(st), 2);
	reload_equals(&st, db, o);
	vs_store_close(st);
	drop(o);
	drop(c);
	lib_rm_rf(dir);
}

/* A store of the one-document form loads, and its next save writes rows. */
static void test_store_old_form(void **state)
{
	char dir[64], db[128];
	struct vs_store *st;
	struct vs_config *c = calloc(1, sizeof(*c)), *got = calloc(1, sizeof(*got));
	sqlite3 *sq;
	sqlite3_stmt *q;

	make_vs(c, 1);
	make_vs(c, 2);
	tmp_db(dir, sizeof(dir), db, sizeof(db));
	assert_int_equal(vs_store_open(db, &st), 0);
	vs_store_close(st);
	json_t *j = vs_config_to_json(c);
	char *text = json_dumps(j, JSON_COMPACT);
	assert_int_equal(sqlite3_open(db, &sq), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(sq,
	                                    "INSERT INTO config(id, version, doc) VALUES (1, ?, ?)",
	                                    -1, &q, NULL),
	                 SQLITE_OK);
	sqlite3_bind_int64(q, 1, (sqlite3_int64)c->version);
	sqlite3_bind_text(q, 2, text, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	sqlite3_close(sq);
	assert_int_equal(vs_store_open(db, &st), 0);
	assert_int_equal(vs_store_load_config(st, got), 0);
	assert_true(vs_config_equal(got, c));
	assert_int_equal(vs_store_save_config(st, got), 0);
	assert_int_equal(vs_store_config_rows_written(st), 2); /* converted */
	reload_equals(&st, db, c);
	vs_store_close(st);
	free(text);
	json_decref(j);
	drop(c);
	drop(got);
	lib_rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_thousand_vservers),
	    cmocka_unit_test(test_largest_vserver_and_limits),
	    cmocka_unit_test(test_thousand_luns_placed),
	    cmocka_unit_test(test_store_writes_what_changed),
	    cmocka_unit_test(test_store_old_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
