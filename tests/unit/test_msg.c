/*
 * test_msg.c - ap_msg, the cluster's message codec: every type round-trips
 * through encode/decode; a table of malformed, oversized and out-of-range
 * messages is refused, each with one sentence; the sender rules refuse a
 * placement or fencing outcome from a node that is not the master, a report
 * or sync speaking for another node, a live event identity of another node,
 * and a relay of a present node's events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/ap_msg.h"

static void roundtrip(const struct ap_msg *m, struct ap_msg *back)
{
	char err[256] = "", *text = NULL;
	size_t len = 0;

	assert_int_equal(ap_msg_encode(m, &text, &len, err, sizeof(err)), 0);
	assert_non_null(text);
	assert_int_equal(ap_msg_decode(text, len, back, err, sizeof(err)), 0);
	assert_int_equal(back->type, m->type);
	free(text);
}

static void test_roundtrip_every_type(void **state)
{
	struct ap_msg m, b;
	struct vs_place_entry map[2] = {{"vs1", "n1"}, {"vs2", "n3"}};
	struct vs_place_note notes[1] = {{.vs = "vs2", .text = "vs2 n2->n3: n2 left"}};
	struct ap_msg_mark marks[2] = {{"n1", 5}, {"n2", 0}};
	struct ap_msg_state states[1] = {{"vs1", "running"}};
	struct ap_msg_event evs[1] = {
	    {.ts_usec = 7, .node = "n1", .message = "hello", .origin = "n1", .oseq = 3}};

	memset(&m, 0, sizeof(m));
	m.type = AP_MSG_CFG;
	m.cfg.base = 4;
	m.cfg.delta =
	    json_pack("{s:I, s:[], s:[]}", "version", (json_int_t)5, "vservers", "deleted");
	snprintf(m.cfg.origin, sizeof(m.cfg.origin), "n2");
	m.cfg.req = 9;
	snprintf(m.cfg.what, sizeof(m.cfg.what), "vserver create vs1");
	m.cfg.uid = 4294967295u;
	snprintf(m.eo, sizeof(m.eo), "n2");
	m.es = 11;
	roundtrip(&m, &b);
	assert_int_equal(b.cfg.base, 4);
	assert_int_equal(b.cfg.uid, 4294967295u);
	assert_string_equal(b.eo, "n2");
	assert_int_equal(b.es, 11);
	assert_int_equal(b.cfg.version, 5);
	json_decref(m.cfg.delta);
	ap_msg_clear(&b);

	memset(&m, 0, sizeof(m));
	m.type = AP_MSG_SYNC;
	snprintf(m.sync.node, sizeof(m.sync.node), "n1");
	m.sync.version = 12;
	m.sync.epoch = 3;
	m.sync.has_map = true;
	m.sync.n_map = 2;
	m.sync.map = map;
	m.sync.n_marks = 2;
	m.sync.marks = marks;
	struct vs_move smv;
	vs_move_init(&smv, 9, "vs1", "n2", "n1", VS_MOVE_MIGRATE,
	             "placed on n1 by the administrator", 7);
	m.sync.n_moves = 1;
	m.sync.moves = &smv;
	roundtrip(&m, &b);
	assert_int_equal(b.sync.n_moves, 1);
	assert_memory_equal(&b.sync.moves[0], &smv, sizeof(smv));
	assert_int_equal(b.sync.n_map, 2);
	assert_string_equal(b.sync.map[1].node, "n3");
	assert_int_equal(b.sync.n_marks, 2);
	assert_int_equal(b.sync.epoch, 3);
	ap_msg_clear(&b);

	memset(&m, 0, sizeof(m));
	m.type = AP_MSG_REPORT;
	struct vs_node_report *rep = m.report.report = calloc(1, sizeof(*rep));
	assert_non_null(rep);
	snprintf(rep->node, sizeof(rep->node), "n3");
	rep->capacity = 2;
	rep->n_luns = 2;
	snprintf(rep->luns[0], sizeof(rep->luns[0]), "LABEL=lab-lun0");
	snprintf(rep->luns[1], sizeof(rep->luns[1]), "UUID=1-2-3");
	rep->n_ports = 1;
	snprintf(rep->healthy_ports[0], sizeof(rep->healthy_ports[0]), "eth1");
	m.report.n_states = 1;
	m.report.states = states;
	roundtrip(&m, &b);
	assert_int_equal(b.report.report->n_luns, 2);
	assert_string_equal(b.report.report->luns[1], "UUID=1-2-3");
	assert_string_equal(b.report.states[0].state, "running");
	ap_msg_clear(&b);
	/* 1,000 LUNs (LABEL and UUID each): the whole report travels. */
	rep->n_luns = 0;
	for (int i = 0; i < 1000; i++) {
		snprintf(rep->luns[rep->n_luns++], sizeof(rep->luns[0]), "LABEL=lun%d", i);
		snprintf(rep->luns[rep->n_luns++], sizeof(rep->luns[0]),
		         "UUID=00000000-0000-0000-0000-%012d", i);
	}
	roundtrip(&m, &b);
	assert_int_equal(b.report.report->n_luns, 2000);
	assert_string_equal(b.report.report->luns[1999],
	                    "UUID=00000000-0000-0000-0000-000000000999");
	ap_msg_clear(&b);
	free(rep);

	memset(&m, 0, sizeof(m));
	m.type = AP_MSG_PLACE;
	m.place.epoch = 8;
	m.place.n_map = 2;
	m.place.map = map;
	m.place.n_notes = 1;
	m.place.notes = notes;
	snprintf(m.place.by, sizeof(m.place.by), "n1");
	struct vs_move mv[2];
	vs_move_init(&mv[0], 3, "vs2", "n2", "n3", VS_MOVE_FAILOVER, "n2 left the cluster", 5);
	mv[0].state = VS_MOVE_ACQUIRING;
	mv[0].at[VS_MOVE_ACQUIRING] = 9;
	mv[0].clean = true;
	mv[0].n_tried = 1;
	snprintf(mv[0].tried[0], sizeof(mv[0].tried[0]), "n1");
	vs_move_init(&mv[1], 4, "vs1", "", "n1", VS_MOVE_START, "not placed yet", 6);
	m.place.n_moves = 2;
	m.place.moves = mv;
	roundtrip(&m, &b);
	assert_int_equal(b.place.epoch, 8);
	assert_string_equal(b.place.notes[0].text, "vs2 n2->n3: n2 left");
	assert_int_equal(b.place.n_moves, 2);
	assert_memory_equal(&b.place.moves[0], &mv[0], sizeof(mv[0]));
	assert_memory_equal(&b.place.moves[1], &mv[1], sizeof(mv[1]));
	ap_msg_clear(&b);

	memset(&m, 0, sizeof(m));
	m.type = AP_MSG_LOAD;
	snprintf(m.load.node, sizeof(m.load.node), "n2");
	m.load.cores = 4;
	m.load.cpu = 1.25;
	m.load.period_ms = 5000;
	struct ap_load_vs lv[1] = {{.vs = "alpha",
	                            .cpu = 1.25,
	                            .net_bps = 1e6,
	                            .net_pps = 900,
	                            .io_bps = 2e6,
	                            .cpu_trend = 2,
	                            .net_trend = 1,
	                            .has_nfs = true,
	                            .nfs_rps = 12.5}};
	struct ap_load_lun ll[1] = {
	    {.lun = "LABEL=lab-lun0", .util = 0.5, .read_bps = 1, .write_bps = 2, .iops = 3}};
	m.load.n_vs = 1;
	m.load.vs = lv;
	m.load.n_luns = 1;
	m.load.luns = ll;
	m.load.n_ports = 1;
	snprintf(m.load.ports[0].port, sizeof(m.load.ports[0].port), "eth1");
	m.load.ports[0].speed_bps = 1.25e9;
	m.load.ports[0].rx_bps = 12345.5;
	roundtrip(&m, &b);
	assert_string_equal(b.load.node, "n2");
	assert_int_equal(b.load.cores, 4);
	assert_int_equal(b.load.n_vs, 1);
	assert_string_equal(b.load.vs[0].vs, "alpha");
	assert_true(b.load.vs[0].cpu > 1.2499 && b.load.vs[0].cpu < 1.2501);
	assert_int_equal(b.load.vs[0].cpu_trend, 2);
	assert_int_equal(b.load.vs[0].net_trend, 1);
	/* The request rates: the one measured goes, the other stays absent. */
	assert_true(b.load.vs[0].has_nfs && b.load.vs[0].nfs_rps == 12.5);
	assert_false(b.load.vs[0].has_smb);
	assert_true(b.load.vs[0].smb_rps == 0);
	assert_true(b.load.luns[0].util == 0.5);
	assert_string_equal(b.load.luns[0].lun, "LABEL=lab-lun0");
	assert_string_equal(b.load.ports[0].port, "eth1");
	assert_true(b.load.ports[0].speed_bps == 1.25e9);
	ap_msg_clear(&b);
	/* A node's loads come from that node only. */
	char lerr[256];
	assert_int_equal(ap_msg_check_sender(&m, "n1", "n1", NULL, 0, lerr, sizeof(lerr)), -EPERM);
	assert_non_null(strstr(lerr, "speaks for n2"));
	assert_int_equal(ap_msg_check_sender(&m, "n2", "n1", NULL, 0, lerr, sizeof(lerr)), 0);

	memset(&m, 0, sizeof(m));
	m.type = AP_MSG_FENCED;
	snprintf(m.fenced.node, sizeof(m.fenced.node), "n3");
	m.fenced.ok = true;
	snprintf(m.fenced.by, sizeof(m.fenced.by), "n1");
	snprintf(m.fenced.detail, sizeof(m.fenced.detail), "Success: Powered OFF");
	m.fenced.ms = 130;
	roundtrip(&m, &b);
	assert_true(b.fenced.ok);
	assert_int_equal(b.fenced.ms, 130);
	ap_msg_clear(&b);

	memset(&m, 0, sizeof(m));
	m.type = AP_MSG_EVS;
	m.evs.n = 1;
	m.evs.events = evs;
	roundtrip(&m, &b);
	assert_int_equal(b.evs.events[0].oseq, 3);
	assert_string_equal(b.evs.events[0].origin, "n1");
	ap_msg_clear(&b);

	memset(&m, 0, sizeof(m));
	struct ap_msg_event live[2] = {{.ts_usec = 1, .node = "n2", .severity = AP_SEV_ERROR},
	                               {.ts_usec = 2, .node = "n2", .vs = "alpha"}};
	snprintf(live[0].message, sizeof(live[0].message), "port eth1 down");
	snprintf(live[1].message, sizeof(live[1].message), "running");
	m.type = AP_MSG_EV;
	snprintf(m.eo, sizeof(m.eo), "n2");
	m.es = 7;
	m.ev.n = 2;
	m.ev.events = live;
	roundtrip(&m, &b);
	assert_int_equal(b.ev.n, 2);
	assert_int_equal(b.ev.events[0].severity, AP_SEV_ERROR);
	assert_string_equal(b.ev.events[1].vs, "alpha");
	assert_int_equal(b.es, 7);
	ap_msg_clear(&b);
}

/* Every one of these is refused with one sentence and leaves the struct
 * cleared. */
static const char *const bad[] = {
    "",
    "not json",
    "[]",
    "{}",
    "{\"t\":\"nosuch\"}",
    "{\"t\":7}",
    /* sync: epoch -1 once wrapped to 2^64-1 */
    "{\"t\":\"sync\",\"node\":\"n1\",\"version\":1,\"epoch\":-1}",
    "{\"t\":\"sync\",\"node\":\"n1\",\"version\":-1}",
    "{\"t\":\"sync\",\"node\":\"n1\",\"version\":1.5}",
    "{\"t\":\"sync\",\"node\":\"n1\",\"version\":\"1\"}",
    "{\"t\":\"sync\",\"node\":\"../n1\",\"version\":1}",
    "{\"t\":\"sync\",\"node\":\"n1\",\"version\":1,\"map\":[]}",
    "{\"t\":\"sync\",\"node\":\"n1\",\"version\":1,\"epoch\":2,\"map\":[{\"vs\":\"a\",\"node\":"
    "\"n1\"},{\"vs\":\"a\",\"node\":\"n2\"}]}",
    "{\"t\":\"sync\",\"node\":\"n1\",\"version\":1,\"marks\":{\"n1\":-5}}",
    "{\"t\":\"sync\",\"node\":\"n1\",\"version\":1,\"marks\":{\"n 1\":5}}",
    "{\"t\":\"sync\",\"node\":\"n1\",\"node\":\"n2\",\"version\":1}",
    /* full: version -1 */
    "{\"t\":\"full\",\"by\":\"n1\",\"doc\":{\"version\":-1}}",
    "{\"t\":\"full\",\"by\":\"n1\",\"doc\":[]}",
    "{\"t\":\"full\",\"by\":\"n1\"}",
    /* cfg */
    "{\"t\":\"cfg\",\"base\":3,\"delta\":{\"version\":3,\"vservers\":[],\"deleted\":[]},\"origin\":"
    "\"n1\",\"req\":1,\"what\":\"x\","
    "\"uid\":0}",
    "{\"t\":\"cfg\",\"base\":3,\"delta\":{\"version\":4,\"vservers\":[],\"deleted\":[]},\"origin\":"
    "\"n1\",\"req\":1,\"what\":\"x\","
    "\"uid\":4294967296}",
    "{\"t\":\"cfg\",\"base\":3,\"delta\":{\"version\":4,\"vservers\":[],\"deleted\":[]},\"origin\":"
    "\"n1\",\"req\":1,\"what\":"
    "\"a\\nb\",\"uid\":0}",
    /* report */
    "{\"t\":\"report\",\"node\":\"n1\",\"report\":{\"node\":\"n2\",\"capacity\":1,\"luns\":[],"
    "\"healthy_ports\":[]},\"states\":{}}",
    "{\"t\":\"report\",\"node\":\"n1\",\"report\":{\"node\":\"n1\",\"capacity\":0,\"luns\":[],"
    "\"healthy_ports\":[]},\"states\":{}}",
    "{\"t\":\"report\",\"node\":\"n1\",\"report\":{\"node\":\"n1\",\"capacity\":1,\"luns\":["
    "\"/dev/sda\"],\"healthy_ports\":[]},\"states\":{}}",
    "{\"t\":\"report\",\"node\":\"n1\",\"report\":{\"node\":\"n1\",\"capacity\":1,\"luns\":[],"
    "\"healthy_ports\":[\"../x\"]},\"states\":{}}",
    "{\"t\":\"report\",\"node\":\"n1\",\"report\":{\"node\":\"n1\",\"capacity\":1,\"luns\":[],"
    "\"healthy_ports\":[]},\"states\":{\"vs1\":\"RUNNING; rm\"}}",
    /* place */
    "{\"t\":\"place\",\"epoch\":0,\"by\":\"n1\",\"map\":[],\"notes\":[]}",
    "{\"t\":\"place\",\"epoch\":-3,\"by\":\"n1\",\"map\":[],\"notes\":[]}",
    /* moves: missing; unknown state; a bad name; two with one id; a bad step */
    "{\"t\":\"place\",\"epoch\":1,\"by\":\"n1\",\"map\":[],\"notes\":[]}",
    "{\"t\":\"place\",\"epoch\":1,\"by\":\"n1\",\"map\":[],\"notes\":[],\"moves\":[{\"id\":1,"
    "\"vs\":\"a\",\"kind\":\"start\",\"state\":\"flying\",\"from\":\"\",\"to\":\"n1\",\"reason\":"
    "\"x\",\"attempts\":0,\"tried\":[],\"at\":{}}]}",
    "{\"t\":\"place\",\"epoch\":1,\"by\":\"n1\",\"map\":[],\"notes\":[],\"moves\":[{\"id\":1,"
    "\"vs\":\"a\",\"kind\":\"start\",\"state\":\"done\",\"from\":\"../x\",\"to\":\"n1\",\"reason\":"
    "\"x\",\"attempts\":0,\"tried\":[],\"at\":{}}]}",
    "{\"t\":\"place\",\"epoch\":1,\"by\":\"n1\",\"map\":[],\"notes\":[],\"moves\":[{\"id\":1,"
    "\"vs\":\"a\",\"kind\":\"start\",\"state\":\"done\",\"from\":\"\",\"to\":\"n1\",\"reason\":"
    "\"x\",\"attempts\":0,\"tried\":[],\"at\":{}},{\"id\":1,\"vs\":\"b\",\"kind\":\"start\","
    "\"state\":\"done\",\"from\":\"\",\"to\":\"n1\",\"reason\":\"x\",\"attempts\":0,\"tried\":[],"
    "\"at\":{}}]}",
    "{\"t\":\"place\",\"epoch\":1,\"by\":\"n1\",\"map\":[],\"notes\":[],\"moves\":[{\"id\":1,"
    "\"vs\":\"a\",\"kind\":\"start\",\"state\":\"done\",\"from\":\"\",\"to\":\"n1\",\"reason\":"
    "\"x\",\"attempts\":0,\"tried\":[],\"at\":{\"soon\":3}}]}",
    "{\"t\":\"place\",\"epoch\":1,\"by\":\"n1\",\"map\":[{\"vs\":\"\",\"node\":\"n1\"}],"
    "\"notes\":[]}",
    /* ev and identity */
    "{\"t\":\"ev\",\"events\":[{\"ts\":1,\"node\":\"n1\",\"severity\":\"fatal\",\"message\":"
    "\"x\"}]}",
    "{\"t\":\"ev\",\"events\":[{\"ts\":1,\"node\":\"n1\",\"severity\":\"info\",\"message\":"
    "\"x\"}],\"eo\":\"n1\"}",
    "{\"t\":\"ev\",\"events\":[{\"ts\":1,\"node\":\"n1\",\"severity\":\"info\",\"message\":"
    "\"x\"}],\"es\":-1,\"eo\":\"n1\"}",
    /* no event; the old single-event form; numbered past INT64_MAX */
    "{\"t\":\"ev\",\"events\":[]}",
    "{\"t\":\"ev\",\"ts\":1,\"node\":\"n1\",\"severity\":\"info\",\"message\":\"x\"}",
    "{\"t\":\"ev\",\"events\":[{\"ts\":1,\"node\":\"n1\",\"severity\":\"info\",\"message\":"
    "\"x\"},{\"ts\":1,\"node\":\"n1\",\"severity\":\"info\",\"message\":\"y\"}],\"eo\":\"n1\","
    "\"es\":9223372036854775807}",
    /* load: a negative figure; utilisation over 1; an unknown trend; a VS
     * twice; cores 0; a port that is no interface name; a LUN that is no
     * LABEL=/UUID=; a figure as a string */
    "{\"t\":\"load\",\"node\":\"n1\",\"cores\":2,\"cpu\":0.5,\"period_ms\":5000,\"vs\":[{\"vs\":"
    "\"a\",\"cpu\":-1,\"net_bps\":1,\"net_pps\":1,\"io_bps\":0,\"cpu_trend\":\"flat\",\"net_"
    "trend\":\"flat\"}],\"ports\":[],\"luns\":[]}",
    "{\"t\":\"load\",\"node\":\"n1\",\"cores\":2,\"cpu\":0.5,\"period_ms\":5000,\"vs\":[],"
    "\"ports\":[],\"luns\":[{\"lun\":\"LABEL=x\",\"util\":1.5,\"read_bps\":0,\"write_bps\":0,"
    "\"iops\":0,\"trend\":\"flat\"}]}",
    "{\"t\":\"load\",\"node\":\"n1\",\"cores\":2,\"cpu\":0.5,\"period_ms\":5000,\"vs\":[{\"vs\":"
    "\"a\",\"cpu\":1,\"net_bps\":1,\"net_pps\":1,\"io_bps\":0,\"cpu_trend\":\"up\",\"net_trend\":"
    "\"flat\"}],\"ports\":[],\"luns\":[]}",
    "{\"t\":\"load\",\"node\":\"n1\",\"cores\":2,\"cpu\":0.5,\"period_ms\":5000,\"vs\":[{\"vs\":"
    "\"a\",\"cpu\":0.5,\"net_bps\":1,\"net_pps\":1,\"io_bps\":0,\"cpu_trend\":\"flat\",\"net_"
    "trend\":\"rising\"},{\"vs\":\"a\",\"cpu\":0.5,\"net_bps\":1,\"net_pps\":1,\"io_bps\":0,\"cpu_"
    "trend\":\"flat\",\"net_trend\":\"rising\"}],\"ports\":[],\"luns\":[]}",
    "{\"t\":\"load\",\"node\":\"n1\",\"cores\":2,\"cpu\":0,\"period_ms\":4611686018427387904,"
    "\"vs\":[],\"ports\":[],\"luns\":[]}",
    "{\"t\":\"load\",\"node\":\"n1\",\"cores\":2,\"cpu\":0,\"period_ms\":5000,\"vs\":[],\"ports\":["
    "{\"port\":\"eth1\",\"rx_bps\":0,\"tx_bps\":0,\"speed_bps\":1,\"trend\":\"flat\"},{\"port\":"
    "\"eth1\",\"rx_bps\":0,\"tx_bps\":0,\"speed_bps\":1,\"trend\":\"flat\"}],\"luns\":[]}",
    "{\"t\":\"load\",\"node\":\"n1\",\"cores\":0,\"cpu\":0,\"period_ms\":5000,\"vs\":[],\"ports\":["
    "],\"luns\":[]}",
    "{\"t\":\"load\",\"node\":\"n1\",\"cores\":2,\"cpu\":0.5,\"period_ms\":5000,\"vs\":[],"
    "\"ports\":[{\"port\":\"../"
    "x\",\"rx_bps\":0,\"tx_bps\":0,\"speed_bps\":0,\"trend\":\"flat\"}],\"luns\":[]}",
    "{\"t\":\"load\",\"node\":\"n1\",\"cores\":2,\"cpu\":0.5,\"period_ms\":5000,\"vs\":[],"
    "\"ports\":[],\"luns\":[{\"lun\":\"/dev/"
    "sda\",\"util\":0.5,\"read_bps\":0,\"write_bps\":0,\"iops\":0,\"trend\":\"flat\"}]}",
    "{\"t\":\"load\",\"node\":\"n1\",\"cores\":2,\"cpu\":0.5,\"period_ms\":5000,\"vs\":[{\"vs\":"
    "\"a\",\"cpu\":\"1\",\"net_bps\":1,\"net_pps\":1,\"io_bps\":0,\"cpu_trend\":\"flat\",\"net_"
    "trend\":\"flat\"}],\"ports\":[],\"luns\":[]}",
    /* load: a request rate below 0, above the limit, not a number */
    "{\"t\":\"load\",\"node\":\"n1\",\"cores\":2,\"cpu\":0.5,\"period_ms\":5000,\"vs\":[{\"vs\":"
    "\"a\",\"cpu\":1,\"net_bps\":1,\"net_pps\":1,\"io_bps\":0,\"cpu_trend\":\"flat\",\"net_"
    "trend\":\"flat\",\"nfs_rps\":-1}],\"ports\":[],\"luns\":[]}",
    "{\"t\":\"load\",\"node\":\"n1\",\"cores\":2,\"cpu\":0.5,\"period_ms\":5000,\"vs\":[{\"vs\":"
    "\"a\",\"cpu\":1,\"net_bps\":1,\"net_pps\":1,\"io_bps\":0,\"cpu_trend\":\"flat\",\"net_"
    "trend\":\"flat\",\"smb_rps\":1e300}],\"ports\":[],\"luns\":[]}",
    "{\"t\":\"load\",\"node\":\"n1\",\"cores\":2,\"cpu\":0.5,\"period_ms\":5000,\"vs\":[{\"vs\":"
    "\"a\",\"cpu\":1,\"net_bps\":1,\"net_pps\":1,\"io_bps\":0,\"cpu_trend\":\"flat\",\"net_"
    "trend\":\"flat\",\"smb_rps\":\"3\"}],\"ports\":[],\"luns\":[]}",
    /* fenced */
    "{\"t\":\"fenced\",\"node\":\"n2\",\"ok\":1,\"by\":\"n1\",\"detail\":\"\",\"ms\":1}",
    /* evs: relayed events need an identity */
    "{\"t\":\"evs\",\"events\":[{\"ts\":1,\"node\":\"n1\",\"severity\":\"info\",\"message\":"
    "\"x\"}]}",
    "{\"t\":\"evs\",\"events\":[{\"ts\":1,\"node\":\"n1\",\"severity\":\"info\",\"message\":"
    "\"x\",\"origin\":\"n1\",\"oseq\":0}]}",
};

/* A node that does not send the request rates (an older one) is still read:
 * its VSs have none. */
static void test_load_without_rates(void **state)
{
	static const char old[] =
	    "{\"t\":\"load\",\"node\":\"n1\",\"cores\":2,\"cpu\":0.5,\"period_ms\":5000,\"vs\":[{"
	    "\"vs\":\"a\",\"cpu\":1,\"net_bps\":1,\"net_pps\":1,\"io_bps\":0,\"cpu_trend\":"
	    "\"flat\","
	    "\"net_trend\":\"flat\"},{\"vs\":\"b\",\"cpu\":1,\"net_bps\":1,\"net_pps\":1,\"io_"
	    "bps\":0,\"cpu_trend\":\"flat\",\"net_trend\":\"flat\",\"smb_rps\":0,\"nfs_rps\":250.5}"
	    "],"
	    "\"ports\":[],\"luns\":[]}";
	struct ap_msg m;
	char err[256] = "";

	(void)state;
	assert_int_equal(ap_msg_decode(old, strlen(old), &m, err, sizeof(err)), 0);
	assert_int_equal(m.load.n_vs, 2);
	assert_false(m.load.vs[0].has_nfs || m.load.vs[0].has_smb);
	assert_true(m.load.vs[1].has_nfs && m.load.vs[1].nfs_rps == 250.5);
	assert_true(m.load.vs[1].has_smb && m.load.vs[1].smb_rps == 0);
	ap_msg_clear(&m);
}

static void test_malformed_refused(void **state)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ap_msg m;
		char err[256] = "";
		int rc = ap_msg_decode(bad[i], strlen(bad[i]), &m, err, sizeof(err));
		if (rc == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_true(rc == -EINVAL || rc == -E2BIG);
		assert_true(strlen(err) > 10);
		assert_non_null(strchr(err, '.'));
		assert_null(strchr(err, '\n'));
		assert_int_equal(m.type, AP_MSG_NONE);
		assert_null(m.sync.map);
	}
}

static void test_limits_refused(void **state)
{
	struct ap_msg m;
	char err[256];
	/* A string one over its limit; a list one over its limit. */
	char big[2 * AP_MSG_TEXT_MAX + 200];
	memset(big, 'a', AP_MSG_TEXT_MAX + 1);
	big[AP_MSG_TEXT_MAX + 1] = '\0';
	char *text = malloc(strlen(big) + 200);
	sprintf(text,
	        "{\"t\":\"ev\",\"events\":[{\"ts\":1,\"node\":\"n1\",\"severity\":\"info\","
	        "\"message\":\"%s\"}]}",
	        big);
	assert_int_equal(ap_msg_decode(text, strlen(text), &m, err, sizeof(err)), -E2BIG);
	big[AP_MSG_TEXT_MAX] = '\0';
	sprintf(text,
	        "{\"t\":\"ev\",\"events\":[{\"ts\":1,\"node\":\"n1\",\"severity\":\"info\","
	        "\"message\":\"%s\"}]}",
	        big);
	assert_int_equal(ap_msg_decode(text, strlen(text), &m, err, sizeof(err)), 0);
	ap_msg_clear(&m);
	free(text);

	json_t *evs = json_array();
	for (int i = 0; i <= AP_MSG_MAX_EVENTS; i++)
		json_array_append_new(evs, json_pack("{s:i, s:s, s:s, s:s, s:s, s:i}", "ts", 1,
		                                     "node", "n1", "severity", "info", "message",
		                                     "x", "origin", "n1", "oseq", i + 1));
	json_t *o = json_pack("{s:s, s:o}", "t", "evs", "events", evs);
	text = json_dumps(o, JSON_COMPACT);
	assert_int_equal(ap_msg_decode(text, strlen(text), &m, err, sizeof(err)), -E2BIG);
	free(text);
	json_array_remove(evs, 0);
	text = json_dumps(o, JSON_COMPACT);
	assert_int_equal(ap_msg_decode(text, strlen(text), &m, err, sizeof(err)), 0);
	assert_int_equal(m.evs.n, AP_MSG_MAX_EVENTS);
	ap_msg_clear(&m);
	free(text);
	json_decref(o);

	/* A report one LUN entry over its limit is refused whole. */
	json_t *luns = json_array();
	for (int i = 0; i <= VS_REPORT_MAX_LUNS; i++)
		json_array_append_new(luns, json_sprintf("LABEL=l%d", i));
	o = json_pack("{s:s, s:s, s:{s:s, s:i, s:o, s:[]}, s:{}}", "t", "report", "node", "n1",
	              "report", "node", "n1", "capacity", 1, "luns", luns, "healthy_ports",
	              "states");
	text = json_dumps(o, JSON_COMPACT);
	assert_int_equal(ap_msg_decode(text, strlen(text), &m, err, sizeof(err)), -E2BIG);
	assert_null(m.report.report);
	free(text);
	json_array_remove(luns, 0);
	text = json_dumps(o, JSON_COMPACT);
	assert_int_equal(ap_msg_decode(text, strlen(text), &m, err, sizeof(err)), 0);
	assert_int_equal(m.report.report->n_luns, VS_REPORT_MAX_LUNS);
	ap_msg_clear(&m);
	free(text);
	json_decref(o);

	/* The encoder refuses what the decoder would. */
	struct ap_msg e = {.type = AP_MSG_EV};
	struct ap_msg_event bad_ev = {.node = "bad name", .message = "x"};
	char *out = NULL;
	size_t len;
	e.ev.n = 1;
	e.ev.events = &bad_ev;
	assert_int_equal(ap_msg_encode(&e, &out, &len, err, sizeof(err)), -EINVAL);
	assert_null(out);
}

static void decode_ok(const char *text, struct ap_msg *m)
{
	char err[256];
	int rc = ap_msg_decode(text, strlen(text), m, err, sizeof(err));
	if (rc != 0)
		fail_msg("refused (%s): %s", err, text);
}

static void test_sender_rules(void **state)
{
	struct ap_msg m;
	char err[256];
	const char *present[] = {"n1", "n2", "n3"};

	decode_ok(
	    "{\"t\":\"place\",\"epoch\":5,\"by\":\"n3\",\"map\":[],\"notes\":[],\"moves\":[]}", &m);
	/* A placement from a node that is not the master. */
	assert_int_equal(ap_msg_check_sender(&m, "n3", "n1", present, 3, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "not the master"));
	/* None at all. */
	assert_int_equal(ap_msg_check_sender(&m, "n3", NULL, present, 3, err, sizeof(err)), -EPERM);
	assert_int_equal(ap_msg_check_sender(&m, "n3", "n3", present, 3, err, sizeof(err)), 0);
	/* The master sends it signed by another. */
	assert_int_equal(ap_msg_check_sender(&m, "n1", "n1", present, 3, err, sizeof(err)), -EPERM);
	ap_msg_clear(&m);

	decode_ok(
	    "{\"t\":\"fenced\",\"node\":\"n2\",\"ok\":true,\"by\":\"n3\",\"detail\":\"\",\"ms\":1}",
	    &m);
	assert_int_equal(ap_msg_check_sender(&m, "n3", "n1", present, 3, err, sizeof(err)), -EPERM);
	assert_int_equal(ap_msg_check_sender(&m, "n3", "n3", present, 3, err, sizeof(err)), 0);
	ap_msg_clear(&m);

	decode_ok("{\"t\":\"report\",\"node\":\"n1\",\"report\":{\"node\":\"n1\",\"capacity\":1,"
	          "\"luns\":[],\"healthy_ports\":[]},\"states\":{}}",
	          &m);
	assert_int_equal(ap_msg_check_sender(&m, "n2", "n1", present, 3, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "speaks for n1"));
	assert_int_equal(ap_msg_check_sender(&m, "n1", "n1", present, 3, err, sizeof(err)), 0);
	/* A node that is not in the cluster at all. */
	assert_int_equal(ap_msg_check_sender(&m, NULL, "n1", present, 3, err, sizeof(err)), -EPERM);
	ap_msg_clear(&m);

	decode_ok("{\"t\":\"sync\",\"node\":\"n1\",\"version\":3}", &m);
	assert_int_equal(ap_msg_check_sender(&m, "n2", "n1", present, 3, err, sizeof(err)), -EPERM);
	assert_int_equal(ap_msg_check_sender(&m, "n1", "n2", present, 3, err, sizeof(err)), 0);
	ap_msg_clear(&m);

	/* A forged identity: n3 numbering events as n1's (INT64_MAX once stopped
	 * n1's catch-up). */
	decode_ok("{\"t\":\"ev\",\"events\":[{\"ts\":1,\"node\":\"n3\",\"severity\":\"info\","
	          "\"message\":\"x\"}],\"eo\":\"n1\",\"es\":9223372036854775807}",
	          &m);
	assert_int_equal(ap_msg_check_sender(&m, "n3", "n1", present, 3, err, sizeof(err)), -EPERM);
	ap_msg_clear(&m);
	/* A batch: every event must be the sender's own. */
	decode_ok("{\"t\":\"ev\",\"events\":[{\"ts\":1,\"node\":\"n3\",\"severity\":\"info\","
	          "\"message\":\"x\"},{\"ts\":1,\"node\":\"n2\",\"severity\":\"info\","
	          "\"message\":\"y\"}],\"eo\":\"n3\",\"es\":5}",
	          &m);
	assert_int_equal(ap_msg_check_sender(&m, "n3", "n1", present, 3, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "speaks for n2"));
	ap_msg_clear(&m);
	decode_ok("{\"t\":\"ev\",\"events\":[{\"ts\":1,\"node\":\"n3\",\"severity\":\"info\","
	          "\"message\":\"x\"},{\"ts\":1,\"node\":\"n3\",\"severity\":\"info\","
	          "\"message\":\"y\"}],\"eo\":\"n3\",\"es\":5}",
	          &m);
	assert_int_equal(ap_msg_check_sender(&m, "n3", "n1", present, 3, err, sizeof(err)), 0);
	ap_msg_clear(&m);
	decode_ok("{\"t\":\"cfg\",\"base\":3,\"delta\":{\"version\":4,\"vservers\":[],\"deleted\":["
	          "]},\"origin\":\"n1\",\"req\":1,"
	          "\"what\":\"x\",\"uid\":0}",
	          &m);
	assert_int_equal(ap_msg_check_sender(&m, "n2", "n1", present, 3, err, sizeof(err)), -EPERM);
	assert_int_equal(ap_msg_check_sender(&m, "n1", "n3", present, 3, err, sizeof(err)), 0);
	ap_msg_clear(&m);

	/* Catch-up may relay an absent node's events, not a present one's. */
	decode_ok("{\"t\":\"evs\",\"events\":[{\"ts\":1,\"node\":\"n4\",\"severity\":\"info\","
	          "\"message\":\"x\",\"origin\":\"n4\",\"oseq\":9}]}",
	          &m);
	assert_int_equal(ap_msg_check_sender(&m, "n2", "n1", present, 3, err, sizeof(err)), 0);
	ap_msg_clear(&m);
	decode_ok("{\"t\":\"evs\",\"events\":[{\"ts\":1,\"node\":\"n1\",\"severity\":\"info\","
	          "\"message\":\"x\",\"origin\":\"n1\",\"oseq\":9223372036854775807}]}",
	          &m);
	assert_int_equal(ap_msg_check_sender(&m, "n2", "n1", present, 3, err, sizeof(err)), -EPERM);
	assert_int_equal(ap_msg_check_sender(&m, "n1", "n1", present, 3, err, sizeof(err)), 0);
	ap_msg_clear(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_every_type), cmocka_unit_test(test_malformed_refused),
	    cmocka_unit_test(test_load_without_rates),   cmocka_unit_test(test_limits_refused),
	    cmocka_unit_test(test_sender_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
