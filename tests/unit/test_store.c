/*
 * test_store.c - the state store's files are 0600 whatever the umask (old
 * ones are fixed, a symlink is refused), and the event queue: events queued
 * on the fast path are committed together in order, readers and direct
 * writes see them first, and a full queue is refused, not grown.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "vserver/vs_store.h"

struct tmp {
	char dir[64], db[128];
};

static void tmp_make(struct tmp *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->db, sizeof(t->db), "%s/state.db", t->dir);
}

static void tmp_drop(struct tmp *t)
{
	char p[160];
	const char *sfx[] = {"", "-wal", "-shm", "-journal"};

	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", t->db, sfx[i]);
		unlink(p);
	}
	rmdir(t->dir);
}

static mode_t mode_of(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) < 0)
		return (mode_t)-1;
	return sb.st_mode & 07777;
}

static void test_modes(void **state)
{
	struct tmp t;
	struct vs_store *st;
	struct vs_config *cfg = calloc(1, sizeof(*cfg));
	char p[160];
	mode_t old = umask(0);
	struct vs_event ev = {.ts_usec = 1,
	                      .node = "n1",
	                      .vs = "",
	                      .severity = "info",
	                      .message = "password=hunter2 would be in here"};

	assert_non_null(cfg);
	tmp_make(&t);
	assert_int_equal(vs_store_open(t.db, &st), 0);
	cfg->version = 1;
	assert_int_equal(vs_store_save_config(st, cfg), 0);
	assert_int_equal(vs_store_event_add(st, &ev, NULL), 0);
	assert_int_equal(mode_of(t.db), 0600);
	snprintf(p, sizeof(p), "%s-wal", t.db);
	assert_int_equal(mode_of(p), 0600);
	snprintf(p, sizeof(p), "%s-shm", t.db);
	assert_int_equal(mode_of(p), 0600);
	vs_store_close(st);
	/* A store left 0644 by an older release is made 0600 at open. */
	assert_int_equal(chmod(t.db, 0644), 0);
	assert_int_equal(vs_store_open(t.db, &st), 0);
	assert_int_equal(mode_of(t.db), 0600);
	vs_store_close(st);
	tmp_drop(&t);
	/* A symlink planted in its place is refused, and not followed. */
	tmp_make(&t);
	snprintf(p, sizeof(p), "%s/elsewhere", t.dir);
	assert_int_equal(symlink(p, t.db), 0);
	assert_int_equal(vs_store_open(t.db, &st), -EINVAL);
	assert_int_equal(access(p, F_OK), -1); /* nothing created where it points */
	unlink(t.db);
	tmp_drop(&t);
	umask(old);
	vs_config_free(cfg);
	free(cfg);
}

/* The nodes under maintenance, the standby nodes and the balancing
 * settings survive a restart (the header row). */
static void test_maint_persisted(void **state)
{
	struct tmp t;
	struct vs_store *st;
	struct vs_config *cfg = calloc(1, sizeof(*cfg)), *back = calloc(1, sizeof(*back));
	char err[256];

	assert_non_null(cfg);
	assert_non_null(back);
	tmp_make(&t);
	assert_int_equal(vs_store_open(t.db, &st), 0);
	assert_int_equal(vs_config_maint(cfg, "n2", true, err, sizeof(err)), 0);
	assert_int_equal(vs_config_standby(cfg, "n3", true, err, sizeof(err)), 0);
	struct vs_balance_cfg b = cfg->balance;
	b.mode = VS_BALANCE_ADVISE;
	b.max_moves = 3;
	b.cooldown_s = 777;
	assert_int_equal(vs_config_set_balance(cfg, &b, err, sizeof(err)), 0);
	assert_int_equal(vs_store_save_config(st, cfg), 0);
	vs_store_close(st);
	assert_int_equal(vs_store_open(t.db, &st), 0);
	assert_int_equal(vs_store_load_config(st, back), 0);
	assert_int_equal(back->n_maint, 1);
	assert_string_equal(back->maint[0], "n2");
	assert_true(vs_config_is_standby(back, "n3"));
	assert_int_equal(back->balance.mode, VS_BALANCE_ADVISE);
	assert_int_equal(back->balance.max_moves, 3);
	assert_int_equal(back->balance.cooldown_s, 777);
	assert_true(vs_config_equal(cfg, back));
	vs_store_close(st);
	tmp_drop(&t);
	vs_config_free(cfg);
	vs_config_free(back);
	free(cfg);
	free(back);
}

static json_t *all_events(struct vs_store *st)
{
	json_t *out = NULL;

	assert_int_equal(vs_store_events(st, 0, 10000, NULL, &out), 0);
	return out;
}

static void test_queue_order_and_flush(void **state)
{
	struct tmp t;
	struct vs_store *st;
	char msg[32];

	tmp_make(&t);
	assert_int_equal(vs_store_open(t.db, &st), 0);
	for (int i = 0; i < 3; i++) {
		snprintf(msg, sizeof(msg), "queued %d", i);
		struct vs_event ev = {.ts_usec = 100 + i,
		                      .node = "n1",
		                      .vs = "vs1",
		                      .severity = "warning",
		                      .message = msg,
		                      .origin = "n1"};
		assert_int_equal(vs_store_event_queue(st, &ev), 0);
	}
	/* The strings were copied: the caller's buffer may change. */
	snprintf(msg, sizeof(msg), "overwritten");
	assert_int_equal(vs_store_event_queued(st), 3);
	/* A direct add comes after what was queued. */
	struct vs_event direct = {.ts_usec = 103,
	                          .node = "n2",
	                          .vs = "",
	                          .severity = "info",
	                          .message = "direct",
	                          .origin = "n2",
	                          .oseq = 7};
	assert_int_equal(vs_store_event_add(st, &direct, NULL), 0);
	assert_int_equal(vs_store_event_queued(st), 0);
	/* A reader sees an event just queued, without an explicit flush. */
	struct vs_event last = {.ts_usec = 104,
	                        .node = "n1",
	                        .vs = "vs1",
	                        .severity = "info",
	                        .message = "last",
	                        .origin = "n1"};
	assert_int_equal(vs_store_event_queue(st, &last), 0);
	json_t *evs = all_events(st);
	assert_int_equal(json_array_size(evs), 5);
	const char *want[] = {"queued 0", "queued 1", "queued 2", "direct", "last"};
	json_int_t prev = 0;
	for (size_t i = 0; i < 5; i++) {
		json_t *e = json_array_get(evs, i);
		assert_string_equal(json_string_value(json_object_get(e, "message")), want[i]);
		json_int_t id = json_integer_value(json_object_get(e, "id"));
		assert_true(id > prev);
		prev = id;
	}
	json_decref(evs);
	/* Local events were numbered in queue order, 1, 2, 3 then 4. */
	assert_int_equal(vs_store_events_of(st, "n1", 0, 10, &evs), 0);
	assert_int_equal(json_array_size(evs), 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(
		    json_integer_value(json_object_get(json_array_get(evs, i), "oseq")),
		    (json_int_t)i + 1);
	json_decref(evs);
	/* Queued again with the same identity: stored once. */
	assert_int_equal(vs_store_event_queue(st, &direct), 0);
	assert_int_equal(vs_store_event_flush(st), 0);
	evs = all_events(st);
	assert_int_equal(json_array_size(evs), 5);
	json_decref(evs);
	vs_store_close(st);
	tmp_drop(&t);
}

static void test_queue_bound_and_close(void **state)
{
	struct tmp t;
	struct vs_store *st;
	struct vs_event ev = {.ts_usec = 1,
	                      .node = "n1",
	                      .vs = "",
	                      .severity = "info",
	                      .message = "port eth1 unhealthy",
	                      .origin = "n1"};

	tmp_make(&t);
	assert_int_equal(vs_store_open(t.db, &st), 0);
	for (int i = 0; i < VS_STORE_QUEUE_MAX; i++)
		assert_int_equal(vs_store_event_queue(st, &ev), 0);
	/* Full: refused, never grown without bound. */
	assert_int_equal(vs_store_event_queue(st, &ev), -ENOBUFS);
	assert_int_equal(vs_store_event_queued(st), VS_STORE_QUEUE_MAX);
	assert_int_equal(vs_store_event_flush(st), 0);
	assert_int_equal(vs_store_event_queued(st), 0);
	assert_int_equal(vs_store_event_queue(st, &ev), 0);
	/* Closing writes what is still queued. */
	vs_store_close(st);
	assert_int_equal(vs_store_open(t.db, &st), 0);
	json_t *evs = all_events(st);
	assert_int_equal(json_array_size(evs), VS_STORE_QUEUE_MAX + 1);
	json_decref(evs);
	vs_store_close(st);
	tmp_drop(&t);
}

/* Sequence numbers for the cluster's events are reserved in blocks: giving
 * out 3,000 writes the store's mark only a few times (not once per event),
 * and after a reopen numbering continues past every number given before. */
static void test_sequence_blocks(void **state)
{
	struct tmp t;
	struct vs_store *st;
	int64_t first = 0, last = 0;
	char mark[32];

	tmp_make(&t);
	assert_int_equal(vs_store_open(t.db, &st), 0);
	int writes = 0;
	long long seen = -1;
	for (int i = 0; i < 3000; i++) {
		assert_int_equal(vs_store_event_seq(st, 1, &first), 0);
		assert_int_equal(first, last + 1);
		last = first;
		assert_int_equal(vs_store_meta_get(st, "event_seq", mark, sizeof(mark)), 0);
		if (atoll(mark) != seen)
			writes++, seen = atoll(mark);
		assert_true(atoll(mark) >= last);
	}
	assert_true(writes >= 2 && writes <= 4);
	vs_store_close(st);
	assert_int_equal(vs_store_open(t.db, &st), 0);
	assert_int_equal(vs_store_event_seq(st, 5, &first), 0);
	assert_true(first > last);
	vs_store_close(st);
	tmp_drop(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sequence_blocks),
	    cmocka_unit_test(test_modes),
	    cmocka_unit_test(test_maint_persisted),
	    cmocka_unit_test(test_queue_order_and_flush),
	    cmocka_unit_test(test_queue_bound_and_close),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
