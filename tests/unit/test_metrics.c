/*
 * test_metrics.c - apweb's /metrics renderer (ap_webmetrics.h): golden lines
 * from answers shaped as applianced gives them, hostile label values escaped
 * (and cut), missing or malformed fields skipped without losing the rest,
 * inputs absent, and every family's samples together under one header.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appliance/ap_stats.h"
#include "appliance/ap_webmetrics.h"

static const char *const LOAD =
    "{\"nodes\":[{\"node\":\"n1\",\"cores\":2,\"cpu\":0.5,\"period_ms\":5000,\"member\":true,"
    "\"age_ms\":1200,\"vs\":[{\"vs\":\"vs1\",\"cpu\":0.25,\"net_bps\":1000.5,\"net_pps\":10,"
    "\"io_bps\":0,\"cpu_trend\":\"flat\",\"net_trend\":\"up\",\"nfs_rps\":3}],\"ports\":[{"
    "\"port\":\"eth1\",\"rx_bps\":1,\"tx_bps\":2,\"speed_bps\":1.25e9,\"trend\":\"flat\"}],"
    "\"luns\":[{\"lun\":\"lab-lun0\",\"util\":0.1,\"read_bps\":5,\"write_bps\":6,\"iops\":7,"
    "\"trend\":\"flat\"}]},{\"node\":\"n2\",\"member\":false}]}";
static const char *const CLUSTER =
    "{\"enabled\":true,\"cluster\":\"lab\",\"node\":\"n1\",\"corosync\":true,\"quorate\":true,"
    "\"master\":\"n1\",\"nodes\":[{\"name\":\"n1\",\"state\":\"member\",\"fence_device\":true,"
    "\"maintenance\":false},{\"name\":\"n2\",\"state\":\"away\",\"fence_device\":false,"
    "\"maintenance\":true}],\"refused_messages\":3,\"config_version\":42}";
static const char *const NODE = "{\"name\":\"n1\",\"uptime_s\":33}";
static const char *const VSERVERS =
    "[{\"name\":\"vs1\",\"runtime\":{\"state\":\"running\",\"node\":\"n1\",\"vips\":[{"
    "\"address\":\"192.0.2.50\",\"port\":\"eth1\",\"up\":true}],\"servers\":{\"nfs\":{"
    "\"serving\":true,\"restarts\":2},\"smb\":{\"serving\":false,\"restarts\":0}}}},"
    "{\"name\":\"vs2\",\"runtime\":{\"state\":\"starting\",\"node\":\"n2\"}}]";
static const char *const MOVES =
    "{\"moves\":[{\"kind\":\"start\",\"state\":\"done\"},{\"kind\":\"failover\",\"state\":"
    "\"stuck\"},{\"kind\":\"start\",\"state\":\"done\"},{\"kind\":7}]}";

static json_t *parse(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);

	assert_non_null(j);
	return j;
}

static char *render(const char *load, const char *cl, const char *node, const char *vs,
                    const char *mv, bool ok)
{
	struct ap_wm_input in = {.load = load ? parse(load) : NULL,
	                         .cluster = cl ? parse(cl) : NULL,
	                         .node = node ? parse(node) : NULL,
	                         .vservers = vs ? parse(vs) : NULL,
	                         .moves = mv ? parse(mv) : NULL,
	                         .scrape_ok = ok,
	                         .age_s = 2.5};
	char *text = NULL;

	assert_int_equal(ap_wm_render(&in, &text), 0);
	assert_non_null(text);
	json_decref(in.load);
	json_decref(in.cluster);
	json_decref(in.node);
	json_decref(in.vservers);
	json_decref(in.moves);
	return text;
}

/* The text has this exact line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static void expect(const char *text, const char *line)
{
	if (!has_line(text, line))
		fail_msg("missing line: %s\n--- text:\n%s", line, text);
}

static void test_golden(void **state)
{
	char *t = render(LOAD, CLUSTER, NODE, VSERVERS, MOVES, true);

	expect(t, "# HELP appliance_scrape_ok 1 when apweb's last refresh from applianced worked, "
	          "else 0.");
	expect(t, "# TYPE appliance_scrape_ok gauge");
	expect(t, "appliance_scrape_ok 1");
	expect(t, "appliance_scrape_age_seconds 2.5");
	expect(t, "appliance_cluster_quorate 1");
	expect(t, "appliance_cluster_info{cluster=\"lab\",node=\"n1\",master=\"n1\"} 1");
	expect(t, "# TYPE appliance_cluster_refused_messages_total counter");
	expect(t, "appliance_cluster_refused_messages_total 3");
	expect(t, "appliance_config_version 42");
	expect(t, "appliance_node_member{node=\"n1\"} 1");
	expect(t, "appliance_node_member{node=\"n2\"} 0");
	expect(t, "appliance_node_state{node=\"n2\",state=\"away\"} 1");
	expect(t, "appliance_node_maintenance{node=\"n2\"} 1");
	expect(t, "appliance_node_fence_device{node=\"n1\"} 1");
	expect(t, "appliance_node_uptime_seconds{node=\"n1\"} 33");
	expect(t, "appliance_node_cpu_cores{node=\"n1\"} 2");
	expect(t, "appliance_node_vs_cpu_cores{node=\"n1\"} 0.5");
	expect(t, "appliance_node_load_age_seconds{node=\"n1\"} 1.2");
	expect(t, "appliance_vs_cpu_cores{vs=\"vs1\",node=\"n1\"} 0.25");
	expect(t, "appliance_vs_network_bytes_per_second{vs=\"vs1\",node=\"n1\"} 1000.5");
	expect(t, "appliance_vs_network_packets_per_second{vs=\"vs1\",node=\"n1\"} 10");
	expect(t, "appliance_vs_io_bytes_per_second{vs=\"vs1\",node=\"n1\"} 0");
	expect(t, "appliance_vs_nfs_requests_per_second{vs=\"vs1\",node=\"n1\"} 3");
	expect(t, "appliance_port_receive_bytes_per_second{port=\"eth1\",node=\"n1\"} 1");
	expect(t, "appliance_port_transmit_bytes_per_second{port=\"eth1\",node=\"n1\"} 2");
	expect(t, "appliance_port_speed_bytes_per_second{port=\"eth1\",node=\"n1\"} 1250000000");
	expect(t, "appliance_lun_utilization_ratio{lun=\"lab-lun0\",node=\"n1\"} 0.1");
	expect(t, "appliance_lun_read_bytes_per_second{lun=\"lab-lun0\",node=\"n1\"} 5");
	expect(t, "appliance_lun_write_bytes_per_second{lun=\"lab-lun0\",node=\"n1\"} 6");
	expect(t, "appliance_lun_io_operations_per_second{lun=\"lab-lun0\",node=\"n1\"} 7");
	expect(t, "appliance_vs_state{vs=\"vs1\",state=\"running\",node=\"n1\"} 1");
	expect(t, "appliance_vs_state{vs=\"vs2\",state=\"starting\",node=\"n2\"} 1");
	expect(t,
	       "appliance_vip_up{vs=\"vs1\",address=\"192.0.2.50\",port=\"eth1\",node=\"n1\"} 1");
	expect(t, "appliance_vs_server_serving{vs=\"vs1\",server=\"smb\"} 0");
	expect(t, "appliance_vs_server_restarts_total{vs=\"vs1\",server=\"nfs\"} 2");
	expect(t, "appliance_moves{kind=\"start\",state=\"done\"} 2");
	expect(t, "appliance_moves{kind=\"failover\",state=\"stuck\"} 1");
	/* Not measured: no line at all, never a 0 that was not seen. */
	assert_null(strstr(t, "appliance_vs_smb_requests_per_second{"));
	assert_null(strstr(t, "node=\"n2\"} 0\nappliance_node_cpu"));
	assert_false(has_line(t, "appliance_node_cpu_cores{node=\"n2\"} 0"));
	free(t);
}

/* Each family: one HELP, one TYPE, and all its samples right after them. */
static void test_families_grouped(void **state)
{
	char *t = render(LOAD, CLUSTER, NODE, VSERVERS, MOVES, true);
	char seen[64][96];
	int n = 0;
	char cur[96] = "";

	for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
		char name[96];
		if (strncmp(line, "# HELP ", 7) == 0) {
			sscanf(line + 7, "%95s", name);
			for (int i = 0; i < n; i++)
				if (strcmp(seen[i], name) == 0)
					fail_msg("family %s has two headers", name);
			assert_true(n < 64);
			snprintf(seen[n++], sizeof(seen[0]), "%s", name);
			snprintf(cur, sizeof(cur), "%s", name);
			continue;
		}
		if (line[0] == '#')
			continue;
		size_t k = strcspn(line, "{ ");
		snprintf(name, sizeof(name), "%.*s", (int)k, line);
		if (strcmp(name, cur) != 0)
			fail_msg("sample %s outside its family (under %s)", line, cur);
	}
	assert_true(n > 30);
	free(t);
}

static void test_escape(void **state)
{
	char out[2 * AP_WM_LABEL_MAX + 4];
	char big[AP_WM_LABEL_MAX + 10];

	ap_wm_escape("a\\b\"c\nd", out, sizeof(out));
	assert_string_equal(out, "a\\\\b\\\"c\\nd");
	ap_wm_escape("", out, sizeof(out));
	assert_string_equal(out, "");
	/* Cut at the bound, never inside a UTF-8 character (é is 2 bytes). */
	memset(big, 'x', sizeof(big));
	memcpy(big + AP_WM_LABEL_MAX - 1, "\xc3\xa9", 2);
	big[sizeof(big) - 1] = '\0';
	ap_wm_escape(big, out, sizeof(out));
	assert_int_equal(strlen(out), AP_WM_LABEL_MAX - 1);
	/* A small destination: always terminated, escapes never cut in two. */
	ap_wm_escape("\"\"\"\"", out, 6);
	assert_string_equal(out, "\\\"\\\"");
}

static void test_hostile_labels(void **state)
{
	char *t = render(
	    "{\"nodes\":[{\"node\":\"n\\\"1\\n} 9\\nfake_metric 1\",\"cores\":2}]}", NULL, NULL,
	    "[{\"name\":\"a\\\\\\\"b\",\"runtime\":{\"state\":\"x\\ny\",\"node\":\"\"}}]", NULL,
	    false);

	expect(t, "appliance_scrape_ok 0");
	expect(t, "appliance_node_cpu_cores{node=\"n\\\"1\\n} 9\\nfake_metric 1\"} 2");
	expect(t, "appliance_vs_state{vs=\"a\\\\\\\"b\",state=\"x\\ny\",node=\"\"} 1");
	assert_false(has_line(t, "fake_metric 1"));
	/* Every line is a comment or starts with the prefix: nothing injected. */
	for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n"))
		assert_true(line[0] == '#' || strncmp(line, "appliance_", 10) == 0);
	free(t);
}

static void test_malformed_skipped(void **state)
{
	/* Wrong types everywhere; one good figure in the middle survives. */
	char *t = render("{\"nodes\":[7,{\"node\":3,\"cores\":2},{\"node\":\"n1\",\"cores\":\"2\","
	                 "\"cpu\":0.5,\"vs\":{\"vs\":\"x\"},\"ports\":[{\"rx_bps\":1},{\"port\":"
	                 "\"eth1\",\"rx_bps\":null,\"tx_bps\":4}],\"luns\":[[]]}]}",
	                 "{\"enabled\":true,\"quorate\":\"yes\",\"nodes\":[{\"name\":\"n1\"},"
	                 "{\"state\":\"member\"}],\"master\":5}",
	                 "[]", "{\"name\":\"vs1\"}", "{\"moves\":{}}", true);

	expect(t, "appliance_node_vs_cpu_cores{node=\"n1\"} 0.5");
	expect(t, "appliance_port_transmit_bytes_per_second{port=\"eth1\",node=\"n1\"} 4");
	assert_null(strstr(t, "appliance_node_cpu_cores{"));
	assert_null(strstr(t, "appliance_port_receive_bytes_per_second{"));
	assert_null(strstr(t, "appliance_cluster_quorate "));
	assert_null(strstr(t, "appliance_cluster_info{"));
	assert_null(strstr(t, "appliance_node_member{"));
	assert_null(strstr(t, "appliance_vs_state{"));
	assert_null(strstr(t, "appliance_moves{"));
	free(t);
}

static void test_nothing(void **state)
{
	struct ap_wm_input in = {.scrape_ok = false, .age_s = 0.0 / 0.0};
	char *t = NULL;

	assert_int_equal(ap_wm_render(&in, &t), 0);
	assert_string_equal(t, "# HELP appliance_scrape_ok 1 when apweb's last refresh from "
	                       "applianced worked, else 0.\n# TYPE appliance_scrape_ok gauge\n"
	                       "appliance_scrape_ok 0\n");
	free(t);
	/* Outside a cluster: this node's figures, none of the cluster's. */
	t = render(NULL, "{\"enabled\":false,\"nodes\":[]}",
	           "{\"name\":\"n1\",\"uptime_s\":5,\"config_version\":3}", "[]", NULL, true);
	expect(t, "appliance_node_uptime_seconds{node=\"n1\"} 5");
	expect(t, "appliance_config_version 3");
	assert_null(strstr(t, "appliance_cluster_quorate"));
	free(t);
}

/* This node's counters (ap_stats) as counters and histograms: a failover
 * of 3.2 s and one of 12 s, a stuck start, two fencing outcomes, VIP moves. */
static void test_counters(void **state)
{
	struct ap_stats st = {0};
	(void)state;
	ap_stats_move(&st, VS_MOVE_FAILOVER, AP_STATS_MOVE_DONE, 3.2);
	ap_stats_move(&st, VS_MOVE_FAILOVER, AP_STATS_MOVE_DONE, 12);
	ap_stats_move(&st, VS_MOVE_START, AP_STATS_MOVE_STUCK, 0);
	ap_stats_move(&st, VS_MOVE_NKINDS, AP_STATS_MOVE_DONE, 1); /* out of range: nothing */
	ap_stats_fence(&st, true, 1.5);
	ap_stats_fence(&st, false, 40);
	ap_stats_vip(&st, AP_STATS_VIP_FAILOVER);
	ap_stats_vip(&st, AP_STATS_VIP_FAILOVER);
	ap_stats_vip(&st, AP_STATS_VIP_REVERT);
	ap_stats_hist_add(&st.fence_s, -1); /* a negative time counts as 0 */
	json_t *node = json_pack("{s:s, s:o}", "node", "n1", "counters", ap_stats_json(&st));
	struct ap_wm_input in = {.node = node, .scrape_ok = true};
	char *t = NULL;
	assert_int_equal(ap_wm_render(&in, &t), 0);
	assert_non_null(strstr(t, "# TYPE appliance_moves_total counter\n"));
	assert_non_null(
	    strstr(t, "appliance_moves_total{node=\"n1\",kind=\"failover\",outcome=\"done\"} 2\n"));
	assert_non_null(
	    strstr(t, "appliance_moves_total{node=\"n1\",kind=\"start\",outcome=\"stuck\"} 1\n"));
	assert_non_null(strstr(t, "# TYPE appliance_move_duration_seconds histogram\n"));
	/* Cumulative: 3.2 s is in le=5 and above, 12 s in le=20 and above. */
	assert_non_null(strstr(t, "appliance_move_duration_seconds_bucket{node=\"n1\",kind="
	                          "\"failover\",le=\"2\"} 0\n"));
	assert_non_null(strstr(t, "appliance_move_duration_seconds_bucket{node=\"n1\",kind="
	                          "\"failover\",le=\"5\"} 1\n"));
	assert_non_null(strstr(t, "appliance_move_duration_seconds_bucket{node=\"n1\",kind="
	                          "\"failover\",le=\"20\"} 2\n"));
	assert_non_null(strstr(t, "appliance_move_duration_seconds_bucket{node=\"n1\",kind="
	                          "\"failover\",le=\"+Inf\"} 2\n"));
	assert_non_null(
	    strstr(t, "appliance_move_duration_seconds_sum{node=\"n1\",kind=\"failover\"} 15.2\n"));
	assert_non_null(
	    strstr(t, "appliance_move_duration_seconds_count{node=\"n1\",kind=\"failover\"} 2\n"));
	assert_non_null(strstr(t, "appliance_fencing_total{node=\"n1\",outcome=\"success\"} 1\n"));
	assert_non_null(strstr(t, "appliance_fencing_total{node=\"n1\",outcome=\"failure\"} 1\n"));
	assert_non_null(strstr(t, "appliance_fencing_duration_seconds_count{node=\"n1\"} 3\n"));
	assert_non_null(strstr(t, "appliance_fencing_duration_seconds_bucket{node=\"n1\",le="
	                          "\"0.5\"} 1\n"));
	assert_non_null(strstr(t, "appliance_fencing_duration_seconds_bucket{node=\"n1\",le="
	                          "\"300\"} 3\n"));
	assert_non_null(
	    strstr(t, "appliance_vip_port_moves_total{node=\"n1\",reason=\"failover\"} 2\n"));
	assert_non_null(
	    strstr(t, "appliance_vip_port_moves_total{node=\"n1\",reason=\"revert\"} 1\n"));
	/* One header per family. */
	const char *h = strstr(t, "# TYPE appliance_move_duration_seconds histogram");
	assert_null(strstr(h + 1, "# TYPE appliance_move_duration_seconds histogram"));
	free(t);
	/* A malformed histogram is skipped, not half written. */
	json_object_set_new(json_object_get(json_object_get(node, "counters"), "fencing"),
	                    "duration_s", json_string("x"));
	assert_int_equal(ap_wm_render(&in, &t), 0);
	assert_null(strstr(t, "appliance_fencing_duration_seconds"));
	assert_non_null(strstr(t, "appliance_fencing_total{"));
	free(t);
	json_decref(node);
}

static void test_entries_bounded(void **state)
{
	json_t *nodes = json_array();
	struct ap_wm_input in = {.scrape_ok = true};
	char *t = NULL;
	int lines = 0;

	for (int i = 0; i < AP_WM_ENTRIES_MAX + 100; i++)
		json_array_append_new(nodes, json_pack("{s:s, s:i}", "node", "n", "cores", 1));
	in.load = json_pack("{s:o}", "nodes", nodes);
	assert_int_equal(ap_wm_render(&in, &t), 0);
	for (const char *p = t; (p = strstr(p, "appliance_node_cpu_cores{")); p++)
		lines++;
	assert_int_equal(lines, AP_WM_ENTRIES_MAX);
	free(t);
	json_decref(in.load);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden),
	    cmocka_unit_test(test_families_grouped),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_hostile_labels),
	    cmocka_unit_test(test_malformed_skipped),
	    cmocka_unit_test(test_nothing),
	    cmocka_unit_test(test_entries_bounded),
	    cmocka_unit_test(test_counters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
