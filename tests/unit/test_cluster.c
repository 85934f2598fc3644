/*
 * test_cluster.c - the cluster protocol (ap_cluster) over a fake transport:
 * no corosync, no lab. The test plays corosync: it says who is in the
 * quorate view and in the process group, delivers messages "from" any node,
 * and reads what this node sent (each of which must decode).
 *
 * This node is n2 of n1..n3. Checked: a placement or fencing outcome from a
 * node that is not the master changes nothing, from the master it applies;
 * a report speaking for another node is refused; a forged event identity is
 * refused; a sync with epoch -1 and a full configuration with version -1
 * are refused, an unannounced full copy is refused, an announced newer one
 * adopted, and a node behind gets this node's version announced again
 * before its full copy; the master is the lowest id whose applianced is in the group; a
 * node in corosync without its applianced past the grace is fenced by the
 * master (a stand-in agent on PATH), or reported when it has no device.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/ap_cluster.h"
#include "appliance/ap_msg.h"
#include "lib/lib_fs.h"
#include "vserver/vs_delta.h"
#include "vserver/vs_json.h"

/* --- the fake transport ----------------------------------------------------- */

#define MAX_SENT 512

struct fake {
	struct ap_cpg_hooks hooks;
	void *arg;
	bool up;
	int n_sent;
	char *sent[MAX_SENT];
};

static struct fake fk; /* one cluster per test */

static int fk_open(sd_event *ev, const char *group, const struct ap_cpg_hooks *hooks, void *arg,
                   void **impl)
{
	fk.hooks = *hooks;
	fk.arg = arg;
	*impl = &fk;
	return 0;
}

static void fk_close(void *impl)
{
	struct fake *f = impl;

	for (int i = 0; i < f->n_sent; i++)
		free(f->sent[i]);
	f->n_sent = 0;
}

static int fk_send(void *impl, const char *data, size_t len)
{
	struct fake *f = impl;
	struct ap_msg m;
	char err[256];

	/* Everything this node sends decodes. */
	if (ap_msg_decode(data, len, &m, err, sizeof(err)) != 0)
		fail_msg("sent a message that does not decode (%s): %.*s", err, (int)len, data);
	ap_msg_clear(&m);
	if (f->n_sent < MAX_SENT)
		f->sent[f->n_sent++] = strndup(data, len);
	return 0;
}

static bool fk_connected(const void *impl)
{
	return ((const struct fake *)impl)->up;
}

static int fk_link_up(void *impl, uint32_t nodeid, int link)
{
	return -ENOENT;
}

static const struct ap_transport fake_tp = {.open = fk_open,
                                            .close = fk_close,
                                            .send = fk_send,
                                            .connected = fk_connected,
                                            .link_up = fk_link_up,
                                            .manages_daemons = false};

static void deliver(uint32_t from, const char *text)
{
	fk.hooks.deliver(fk.arg, from, text, strlen(text));
}

/* corosync delivers a node's own messages to it too, in order: deliver what
 * this node sent since the last pump. */
static int pumped;
static void pump(void)
{
	while (pumped < fk.n_sent) {
		char *t = strdup(fk.sent[pumped++]);
		deliver(2, t);
		free(t);
	}
}

/* The last message of type t this node sent, or NULL. */
static const char *sent_of(const char *t)
{
	char key[32];

	snprintf(key, sizeof(key), "\"t\":\"%s\"", t);
	for (int i = fk.n_sent - 1; i >= 0; i--)
		if (strstr(fk.sent[i], key))
			return fk.sent[i];
	return NULL;
}

/* --- the daemon's side ------------------------------------------------------ */

struct world {
	sd_event *ev;
	char dir[64];
	struct vs_store *store;
	struct vs_config *cfg;
	int adopted;
	int events;
	char last_event[600];
	int placed;
	struct ap_cluster *cl;
};

static const struct vs_config *h_config(void *arg)
{
	return ((struct world *)arg)->cfg;
}

static void h_adopt(void *arg, struct vs_config *cfg)
{
	struct world *w = arg;

	vs_config_swap(w->cfg, cfg);
	w->adopted++;
}

static void h_store_event(void *arg, const struct vs_event *ev)
{
	struct world *w = arg;

	w->events++;
	snprintf(w->last_event, sizeof(w->last_event), "%s", ev->message);
	assert_true(vs_store_event_add(w->store, ev, NULL) >= 0);
}

static bool h_report(void *arg, struct vs_node_report *r, json_t *states)
{
	r->capacity = 1;
	return true;
}

static void h_placed(void *arg)
{
	((struct world *)arg)->placed++;
}

static void h_reply(void *arg, uint64_t conn, json_t *resp)
{
	json_decref(resp);
}

static const char *definition =
    "{\"name\":\"lab\",\"nodes\":["
    "{\"id\":1,\"name\":\"n1\",\"addr\":\"198.51.100.1\",\"addr2\":\"\"},"
    "{\"id\":2,\"name\":\"n2\",\"addr\":\"198.51.100.2\",\"addr2\":\"\"},"
    "{\"id\":3,\"name\":\"n3\",\"addr\":\"198.51.100.3\",\"addr2\":\"\"}],"
    "\"mgmt\":\"\",\"mgmt_port\":\"\"}";

static const uint32_t all[] = {1, 2, 3};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	char path[128];

	memset(&fk, 0, sizeof(fk));
	pumped = 0;
	snprintf(w->dir, sizeof(w->dir), "/tmp/test_cluster.XXXXXX");
	if (!w || !mkdtemp(w->dir))
		return -1;
	snprintf(path, sizeof(path), "%s/state.db", w->dir);
	w->cfg = calloc(1, sizeof(*w->cfg));
	if (!w->cfg || vs_store_open(path, &w->store) < 0 ||
	    vs_store_meta_set(w->store, "cluster", definition) < 0 || sd_event_new(&w->ev) < 0)
		return -1;
	w->cfg->version = 3;
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	ap_cluster_destroy(w->cl);
	vs_store_close(w->store);
	sd_event_unref(w->ev);
	lib_rm_rf(w->dir);
	vs_config_free(w->cfg);
	free(w->cfg);
	free(w);
	return 0;
}

/* Start the cluster as n2: connected, quorate with n1..n3, and the given
 * process group. */
static void start(struct world *w, const uint32_t *group, int n_group, uint64_t grace)
{
	struct ap_cluster_hooks h = {.config = h_config,
	                             .adopt = h_adopt,
	                             .store_event = h_store_event,
	                             .report = h_report,
	                             .placed = h_placed,
	                             .reply = h_reply};
	char run[128];
	snprintf(run, sizeof(run), "%s/run", w->dir);
	struct ap_cluster_opts o = {.node = "n2",
	                            .run_dir = run,
	                            .state_dir = w->dir,
	                            .store = w->store,
	                            .transport = &fake_tp,
	                            .agent_grace_usec = grace};
	assert_int_equal(ap_cluster_create(w->ev, &o, &h, w, &w->cl), 0);
	assert_true(ap_cluster_enabled(w->cl));
	fk.up = true;
	fk.hooks.connected(fk.arg, true, 2);
	fk.hooks.quorum(fk.arg, true, all, 3);
	fk.hooks.members(fk.arg, group, n_group);
}

static long long refused(struct world *w)
{
	json_t *s = ap_cluster_show(w->cl);
	long long n = json_integer_value(json_object_get(s, "refused_messages"));
	json_decref(s);
	return n;
}

static const char *place_n3 = "{\"t\":\"place\",\"epoch\":7,\"by\":\"n3\","
                              "\"map\":[{\"vs\":\"vs1\",\"node\":\"n3\"}],\"notes\":[],"
                              "\"moves\":[]}";
static const char *place_n1 = "{\"t\":\"place\",\"epoch\":7,\"by\":\"n1\","
                              "\"map\":[{\"vs\":\"vs1\",\"node\":\"n1\"}],\"notes\":[],"
                              "\"moves\":[]}";

static void test_place_only_from_master(void **state)
{
	struct world *w = *state;

	start(w, all, 3, 0);
	assert_string_equal(ap_cluster_master(w->cl), "n1");
	int placed = w->placed;
	deliver(3, place_n3);
	assert_int_equal(ap_cluster_placement(w->cl)->n, 0);
	assert_int_equal(w->placed, placed);
	assert_int_equal(refused(w), 1);
	deliver(1, place_n1);
	assert_int_equal(ap_cluster_placement(w->cl)->n, 1);
	assert_string_equal(vs_placement_node(ap_cluster_placement(w->cl), "vs1"), "n1");
	/* The same epoch again is stale. */
	deliver(1, place_n1);
	assert_int_equal(refused(w), 2);
}

static void test_report_and_identity_of_others_refused(void **state)
{
	struct world *w = *state;

	start(w, all, 3, 0);
	/* n3 speaks for n1, claiming n1 runs vs1. */
	deliver(3, "{\"t\":\"report\",\"node\":\"n1\",\"report\":{\"node\":\"n1\",\"capacity\":1,"
	           "\"luns\":[],\"healthy_ports\":[]},\"states\":{\"vs1\":\"running\"}}");
	assert_null(ap_cluster_vs_state(w->cl, "vs1"));
	assert_int_equal(refused(w), 1);
	deliver(1, "{\"t\":\"report\",\"node\":\"n1\",\"report\":{\"node\":\"n1\",\"capacity\":1,"
	           "\"luns\":[],\"healthy_ports\":[]},\"states\":{\"vs1\":\"running\"}}");
	assert_string_equal(ap_cluster_vs_state(w->cl, "vs1"), "running");
	/* n3 reports vs1 stopped: n1's active state stands. */
	deliver(3, "{\"t\":\"report\",\"node\":\"n3\",\"report\":{\"node\":\"n3\",\"capacity\":1,"
	           "\"luns\":[],\"healthy_ports\":[]},\"states\":{\"vs1\":\"stopped\"}}");
	assert_string_equal(ap_cluster_vs_state(w->cl, "vs1"), "running");

	/* A forged identity: n3 numbers an event as n1's, INT64_MAX. */
	int events = w->events;
	deliver(3, "{\"t\":\"ev\",\"events\":[{\"ts\":1,\"node\":\"n3\",\"severity\":\"info\","
	           "\"message\":\"x\"}],\"eo\":\"n1\",\"es\":9223372036854775807}");
	assert_int_equal(w->events, events);
	json_t *marks = NULL;
	assert_int_equal(vs_store_event_marks(w->store, &marks), 0);
	assert_null(json_object_get(marks, "n1"));
	json_decref(marks);
	deliver(3, "{\"t\":\"ev\",\"events\":[{\"ts\":1,\"node\":\"n3\",\"severity\":\"info\","
	           "\"message\":\"ok\"},{\"ts\":2,\"node\":\"n3\",\"severity\":\"info\","
	           "\"message\":\"ok too\"}],\"eo\":\"n3\",\"es\":4}");
	assert_int_equal(w->events, events + 2);
	assert_int_equal(vs_store_event_marks(w->store, &marks), 0);
	assert_int_equal(json_integer_value(json_object_get(marks, "n3")), 5); /* 4 and 5 */
	json_decref(marks);
	/* One event of the batch speaking for another node: none is taken. */
	deliver(3, "{\"t\":\"ev\",\"events\":[{\"ts\":1,\"node\":\"n3\",\"severity\":\"info\","
	           "\"message\":\"ok\"},{\"ts\":2,\"node\":\"n1\",\"severity\":\"info\","
	           "\"message\":\"forged\"}],\"eo\":\"n3\",\"es\":6}");
	assert_int_equal(w->events, events + 2);
	/* A message from a node id that is not in the cluster. */
	deliver(9, "{\"t\":\"ev\",\"events\":[{\"ts\":1,\"node\":\"n3\",\"severity\":\"info\","
	           "\"message\":\"x\"}]}");
	assert_int_equal(w->events, events + 2);
}

static void test_fenced_only_from_master(void **state)
{
	struct world *w = *state;
	const uint32_t view[] = {1, 2};

	start(w, all, 3, 0);
	fk.hooks.quorum(fk.arg, true, view, 2); /* n3 left */
	fk.hooks.members(fk.arg, view, 2);
	deliver(2, "{\"t\":\"fenced\",\"node\":\"n3\",\"ok\":true,\"by\":\"n2\",\"detail\":\"off\","
	           "\"ms\":5}");
	json_t *s = ap_cluster_show(w->cl);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(s, "nodes"), 2), "fenced")),
	                    "");
	json_decref(s);
	assert_int_equal(refused(w), 1);
	deliver(1, "{\"t\":\"fenced\",\"node\":\"n3\",\"ok\":true,\"by\":\"n1\",\"detail\":\"off\","
	           "\"ms\":5}");
	s = ap_cluster_show(w->cl);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(s, "nodes"), 2), "fenced")),
	                    "fenced");
	json_decref(s);
}

static void test_versions_and_full_copies(void **state)
{
	struct world *w = *state;
	json_t *doc;
	char *text;

	start(w, all, 3, 0);
	/* A newer placement in a member's sync comes with its journal: this
	 * node (back from away) drives no move from an older one. */
	deliver(3, "{\"t\":\"sync\",\"node\":\"n3\",\"version\":1,\"epoch\":40,\"map\":["
	           "{\"vs\":\"vs1\",\"node\":\"n3\"}],\"moves\":[{\"id\":5,\"vs\":\"vs1\",\"kind\":"
	           "\"migrate\",\"state\":\"done\",\"from\":\"n1\",\"to\":\"n3\",\"reason\":\"x\","
	           "\"attempts\":0,\"tried\":[],\"at\":{\"planned\":1,\"done\":2}}]}");
	json_t *mv = ap_cluster_moves(w->cl);
	assert_int_equal(json_array_size(json_object_get(mv, "moves")), 1);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_array_get(json_object_get(mv, "moves"), 0), "id")),
	                 5);
	json_decref(mv);
	/* epoch -1 (once 2^64-1) and version -1 are refused. */
	deliver(3, "{\"t\":\"sync\",\"node\":\"n3\",\"version\":1,\"epoch\":-1,\"map\":[]}");
	deliver(3, "{\"t\":\"full\",\"by\":\"n3\",\"doc\":{\"version\":-1}}");
	assert_int_equal(refused(w), 2);
	assert_int_equal(w->adopted, 0);

	/* A newer full copy nobody announced. */
	struct vs_config *next = calloc(1, sizeof(*next));
	next->version = 9;
	doc = vs_config_to_json(next);
	json_t *m = json_pack("{s:s, s:s, s:O}", "t", "full", "by", "n3", "doc", doc);
	text = json_dumps(m, JSON_COMPACT);
	deliver(3, text);
	assert_int_equal(w->adopted, 0);
	assert_int_equal(w->cfg->version, 3);
	/* Announced by n3's sync, then sent: adopted. */
	deliver(3, "{\"t\":\"sync\",\"node\":\"n3\",\"version\":9}");
	deliver(3, text);
	assert_int_equal(w->adopted, 1);
	assert_int_equal(w->cfg->version, 9);
	json_t *show = ap_cluster_show(w->cl);
	assert_int_equal(json_integer_value(json_object_get(show, "config_version")), 9);
	assert_int_equal(json_integer_value(json_object_get(show, "agent_grace_s")), 10);
	json_decref(show);
	free(text);
	json_decref(m);

	/* A change based on the current version applies; on an old one not. It
	 * carries the change itself: the one VS it adds. */
	struct vs_config *cur = calloc(1, sizeof(*cur));
	assert_int_equal(vs_config_copy(cur, w->cfg), 0);
	char err[256];
	assert_int_equal(vs_config_create(next, "vs7", 50, false, "", err, sizeof(err)), 0);
	next->version = 10;
	json_t *delta = vs_config_delta(cur, next);
	assert_int_equal(json_array_size(json_object_get(delta, "vservers")), 1);
	m = json_pack("{s:s, s:I, s:O, s:s, s:I, s:s, s:s, s:I}", "t", "cfg", "base", 9, "delta",
	              delta, "origin", "n1", "req", 1, "vs", "vs7", "what", "x", "uid", 0);
	text = json_dumps(m, JSON_COMPACT);
	deliver(3, text); /* n3 forwarding n1's change */
	assert_int_equal(w->cfg->version, 9);
	deliver(1, text);
	assert_int_equal(w->cfg->version, 10);
	assert_non_null(vs_config_find(w->cfg, "vs7"));
	deliver(1, text); /* base 9 is old now */
	assert_int_equal(w->cfg->version, 10);

	/* A node behind (n3's sync says 4): this node announces its version
	 * again, then sends the full copy. n3 heard this node's last sync
	 * before the change to 10 and takes a copy only of the version
	 * announced: without the new sync it would refuse 10. */
	int before = fk.n_sent, at_sync = -1, at_full = -1;
	deliver(3, "{\"t\":\"sync\",\"node\":\"n3\",\"version\":4}");
	for (int i = before; i < fk.n_sent; i++) {
		if (strstr(fk.sent[i], "\"t\":\"sync\"") && strstr(fk.sent[i], "\"version\":10") &&
		    at_sync < 0)
			at_sync = i;
		if (strstr(fk.sent[i], "\"t\":\"full\"") && at_full < 0)
			at_full = i;
	}
	assert_true(at_sync >= 0);
	assert_true(at_full > at_sync);
	free(text);
	json_decref(m);
	json_decref(delta);
	json_decref(doc);
	vs_config_free(cur);
	free(cur);
	vs_config_free(next);
	free(next);
}

static void test_master_among_live_agents(void **state)
{
	struct world *w = *state;
	const uint32_t group[] = {2, 3};

	/* n1's corosync is in the view, its applianced is not in the group. */
	start(w, group, 2, 0);
	assert_string_equal(ap_cluster_master(w->cl), "n2");
	json_t *s = ap_cluster_show(w->cl);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(s, "nodes"), 0), "state")),
	                    "no agent");
	json_decref(s);
	/* A placement from n1 now is refused; n2 (this node) places. */
	deliver(1, place_n1);
	assert_int_equal(ap_cluster_placement(w->cl)->n, 0);
	fk.hooks.members(fk.arg, all, 3);
	assert_string_equal(ap_cluster_master(w->cl), "n1");
}

static void run_for(sd_event *ev, uint64_t usec, bool (*done)(void))
{
	for (uint64_t t = 0; t < usec && !(done && done()); t += 10000) {
		assert_true(sd_event_run(ev, 10000) >= 0);
		pump();
	}
}

static bool fenced_sent(void)
{
	return sent_of("fenced") != NULL;
}

static void test_agentless_node_fenced_after_grace(void **state)
{
	struct world *w = *state;
	const uint32_t group[] = {2, 3};
	char bin[128], agent[160], path[4096];

	/* A stand-in for fence_ipmilan: reads its options, says it is off. */
	snprintf(bin, sizeof(bin), "%s/bin", w->dir);
	assert_int_equal(mkdir(bin, 0755), 0);
	snprintf(agent, sizeof(agent), "%s/fence_ipmilan", bin);
	const char *body = "#!/bin/sh\ncat >/dev/null\necho 'Success: Powered OFF'\nexit 0\n";
	assert_true(lib_write_file(agent, body, strlen(body), 0755) >= 0);
	snprintf(path, sizeof(path), "%s:%s", bin, getenv("PATH") ?: "/usr/bin:/bin");
	setenv("PATH", path, 1);
	w->cfg->n_fences = 1;
	snprintf(w->cfg->fences[0].node, sizeof(w->cfg->fences[0].node), "n1");
	snprintf(w->cfg->fences[0].agent, sizeof(w->cfg->fences[0].agent), "fence_ipmilan");
	snprintf(w->cfg->fences[0].options, sizeof(w->cfg->fences[0].options),
	         "ip=198.51.100.101,username=admin,password=secret");

	start(w, group, 2, 200000); /* grace 0.2 s */
	assert_null(sent_of("fenced"));
	run_for(w->ev, 100000, NULL);
	assert_null(sent_of("fenced")); /* within the grace: nothing */
	run_for(w->ev, 5000000, fenced_sent);
	const char *f = sent_of("fenced");
	assert_non_null(f);
	assert_non_null(strstr(f, "\"node\":\"n1\""));
	assert_non_null(strstr(f, "\"ok\":true"));
	/* Delivered back (n2 is the master): every node knows n1 is off. */
	pump();
	json_t *s = ap_cluster_show(w->cl);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(s, "nodes"), 0), "fenced")),
	                    "fenced");
	json_decref(s);
}

static int count_sent(const char *t)
{
	char key[32];
	int n = 0;

	snprintf(key, sizeof(key), "\"t\":\"%s\"", t);
	for (int i = 0; i < fk.n_sent; i++)
		n += strstr(fk.sent[i], key) != NULL;
	return n;
}

/* A burst of this node's events goes out as one message, numbered in the
 * order made; the node's own copy comes back with it; what could not be
 * sent is kept here. */
static void test_events_batched(void **state)
{
	struct world *w = *state;
	const uint32_t group[] = {1, 2, 3};
	char msg[32];

	start(w, group, 3, 0);
	run_for(w->ev, 50000, NULL);
	int before = count_sent("ev"), events = w->events;
	for (int i = 0; i < 70; i++) {
		snprintf(msg, sizeof(msg), "event %d", i);
		struct vs_event ev = {.ts_usec = 1 + i,
		                      .node = "n2",
		                      .vs = "vs1",
		                      .severity = "info",
		                      .message = msg};
		assert_int_equal(ap_cluster_event(w->cl, &ev), 0);
	}
	/* 64 went at once (a full batch); the other 6 wait for the batch timer. */
	assert_int_equal(count_sent("ev"), before + 1);
	run_for(w->ev, 50000, NULL);
	assert_int_equal(count_sent("ev"), before + 2);
	pump();
	assert_int_equal(w->events, events + 70);
	json_t *evs = NULL;
	assert_int_equal(vs_store_events_of(w->store, "n2", 0, 100, &evs), 0);
	size_t n = json_array_size(evs);
	assert_true(n >= 70);
	for (size_t i = n - 70; i < n; i++) {
		snprintf(msg, sizeof(msg), "event %zu", i - (n - 70));
		assert_string_equal(
		    json_string_value(json_object_get(json_array_get(evs, i), "message")), msg);
		if (i > n - 70)
			assert_int_equal(
			    json_integer_value(json_object_get(json_array_get(evs, i), "oseq")),
			    json_integer_value(
			        json_object_get(json_array_get(evs, i - 1), "oseq")) +
			        1);
	}
	json_decref(evs);

	/* corosync gone before the batch went: kept here, numbered here. */
	struct vs_event ev = {.ts_usec = 1, .node = "n2", .severity = "info", .message = "late"};
	assert_int_equal(ap_cluster_event(w->cl, &ev), 0);
	fk.up = false;
	run_for(w->ev, 50000, NULL);
	assert_int_equal(count_sent("ev"), before + 2);
	assert_int_equal(w->events, events + 71);
}

static void test_agentless_node_without_device_reported(void **state)
{
	struct world *w = *state;
	const uint32_t group[] = {2, 3};

	start(w, group, 2, 100000);
	run_for(w->ev, 400000, NULL);
	assert_null(sent_of("fenced"));
	assert_non_null(strstr(w->last_event, "no fence device"));
	/* Back within... later: its agent returns, nothing more happens. */
	fk.hooks.members(fk.arg, all, 3);
	json_t *s = ap_cluster_show(w->cl);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(s, "nodes"), 0), "state")),
	                    "member");
	json_decref(s);
}

int main(void)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_place_only_from_master, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_report_and_identity_of_others_refused, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_fenced_only_from_master, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_versions_and_full_copies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_master_among_live_agents, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_agentless_node_fenced_after_grace, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_events_batched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_agentless_node_without_device_reported, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
